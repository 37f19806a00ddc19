//! Hostile input: versions, tags, text, URLs, scripts and paths that try to run code when
//! a spec is parsed, add a tag, a field or an element, or leave their root. Each case of
//! `tests/hostile/` is refused with a clear error, or rendered and then proven inert by
//! the real tools: `rpmspec` (with each target's macros, also over the `%changelog`
//! obs-build's changelog2spec makes of the `.changes`), debtransform and `dpkg-source`,
//! make on debian/rules (recording the recipes, running none), xmllint with the `_service` grammar and kiwi's loader.
//! `@MARKER@` in a case stands for a file in the test's temporary directory that a payload
//! would create: it must never appear. Each case is a test of its own, named
//! `refused::<case>` or `inert::<case>`: `cargo test --test hostile <case>` runs one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::http::{Response, Server};
use common::*;
use libtest_mimic::{Arguments, Trial};
use pkgforge::distro::{Distro, Family};
use pkgforge::manifest::{Model, UpstreamSource};

/// What `tests/hostile/<case>/expect.toml` says.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// What the case tries, for the failure message.
    attack: String,
    /// `refused` or `inert`.
    outcome: String,
    /// Refused: a part of the error message.
    #[serde(default)]
    message: Option<String>,
    /// Inert: text the parsed specs must show verbatim (payloads kept as plain text).
    #[serde(default)]
    spec: Vec<String>,
    /// Inert: text debian/rules' build and install targets must hand the shell verbatim.
    #[serde(default)]
    rules: Vec<String>,
}

struct Case {
    name: String,
    expect: Expect,
    tmp: tempfile::TempDir,
}

impl Case {
    fn dir(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    fn marker(&self) -> PathBuf {
        self.tmp.path().join("pwned")
    }

    #[track_caller]
    fn assert_no_marker(&self, after: &str) {
        assert!(
            !self.marker().exists(),
            "{}: a payload ran during {after} ({})",
            self.name,
            self.expect.attack
        );
    }

    fn model(&self) -> Model {
        pkgforge::manifest::load(&self.dir().join("packages.toml"))
            .unwrap_or_else(|e| panic!("{}: the manifest does not load: {e}", self.name))
    }
}

fn main() {
    let args = Arguments::from_args();
    let root = repo().join("tests/hostile");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("expect.toml").is_file())
        .collect();
    dirs.sort();
    let mut counts = [0usize; 2];
    let mut trials = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let outcome = read_expect(&dir).outcome;
        let refused = outcome == "refused";
        counts[usize::from(!refused)] += 1;
        trials.push(Trial::test(format!("{outcome}::{name}"), move || {
            let case = prepare(&dir);
            if refused {
                refused_with_a_clear_error(&case);
            } else {
                renders_inert(&case);
            }
            Ok(())
        }));
    }
    trials.push(Trial::test("the_corpus_is_complete", move || {
        if counts[0] >= 20 && counts[1] >= 4 {
            Ok(())
        } else {
            Err(format!(
                "hostile cases are missing: {} refused, {} inert",
                counts[0], counts[1]
            )
            .into())
        }
    }));
    trials.push(Trial::test("hostile_git_tags_are_never_applied", || {
        hostile_git_tags_are_never_applied();
        Ok(())
    }));
    trials.push(Trial::test("hostile_release_notes_stay_inert", || {
        hostile_release_notes_stay_inert();
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}

fn read_expect(dir: &Path) -> Expect {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let expect: Expect = toml::from_str(&std::fs::read_to_string(dir.join("expect.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/expect.toml: {e}"));
    assert!(
        ["refused", "inert"].contains(&expect.outcome.as_str()),
        "{name}: outcome is refused or inert"
    );
    expect
}

/// One case, copied into its own temporary directory with `@MARKER@` replaced.
fn prepare(dir: &Path) -> Case {
    let root = repo().join("tests/hostile");
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let expect = read_expect(dir);
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::copy(root.join("changelog.toml"), project.join("changelog.toml")).unwrap();
    copy_into(dir, &project);
    std::fs::remove_file(project.join("expect.toml")).unwrap();
    let marker = tmp.path().join("pwned").display().to_string();
    for f in files_where(&project, |_| true) {
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, text.replace("@MARKER@", &marker)).unwrap();
    }
    let expect = Expect {
        spec: expect
            .spec
            .iter()
            .map(|s| s.replace("@MARKER@", &marker))
            .collect(),
        rules: expect
            .rules
            .iter()
            .map(|s| s.replace("@MARKER@", &marker))
            .collect(),
        ..expect
    };
    Case { name, expect, tmp }
}

fn refused_with_a_clear_error(case: &Case) {
    let dir = case.dir();
    let before = snapshot(&dir);
    for args in [&["render"][..], &["check"], &["render", "--check"]] {
        let out = pkgforge(&dir, args);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{} ({}): {args:?} was not refused:\n{err}",
            case.name,
            case.expect.attack
        );
        assert!(
            stdout(&out).is_empty(),
            "{}: {args:?} printed on stdout",
            case.name
        );
        let want = case.expect.message.as_deref().unwrap_or("error:");
        assert!(
            err.starts_with("error: ") && err.contains(want) && err.contains("packages.toml:")
                || err.contains("changelog.toml:") && err.contains(want),
            "{}: {args:?} should say `{want}` and where:\n{err}",
            case.name
        );
    }
    assert!(
        snapshot(&dir) == before,
        "{}: a refused run wrote files",
        case.name
    );
    case.assert_no_marker("validation");
}

fn renders_inert(case: &Case) {
    let out = pkgforge(&case.dir(), &["render", "-q"]);
    assert!(
        out.status.success(),
        "{} ({}): render failed:\n{}",
        case.name,
        case.expect.attack,
        stderr(&out)
    );
    case.assert_no_marker("render");
    check_inert(&case.name, &case.dir(), &case.marker(), &case.expect);
    let _ = case.model();
}

/// Run every validator over a rendered tree and prove that nothing ran and nothing was added.
fn check_inert(name: &str, dir: &Path, marker: &Path, expect: &Expect) {
    let model = pkgforge::manifest::load(&dir.join("packages.toml"))
        .unwrap_or_else(|e| panic!("{name}: the manifest does not load: {e}"));
    let ctx = Inert { name, dir, marker };
    let mut parsed = String::new();
    for p in &model.packages {
        for t in model.rpm_targets() {
            let obs = dir
                .join("obs")
                .join(&p.name)
                .join(format!("{}.spec", p.name));
            let resolved = dir.join("rpm").join(&t.id).join(format!("{}.spec", p.name));
            for spec in [&obs, &resolved] {
                parsed.push_str(&ctx.spec(&model, p, t, spec));
            }
            // OBS turns the .changes into the spec's %changelog with changelog2spec
            let with_log = ctx.spec_with_changes(p, &obs);
            parsed.push_str(&ctx.spec(&model, p, t, &with_log));
        }
        if model.deb_targets().next().is_some() {
            parsed.push_str(&ctx.debian(&model, p));
        }
        ctx.service(&model, p);
    }
    for want in &expect.spec {
        assert!(
            parsed.contains(want.as_str()),
            "{name}: the parsed specs do not show `{want}` verbatim:\n{parsed}"
        );
    }
    if !expect.rules.is_empty() {
        let rules = ctx.rules_dry_run(&model);
        for want in &expect.rules {
            assert!(
                rules.contains(want.as_str()),
                "{name}: debian/rules does not hand the shell `{want}`:\n{rules}"
            );
        }
    }
    ctx.xml(&model);
    assert!(!marker.exists(), "{name}: a payload ran");
}

struct Inert<'a> {
    name: &'a str,
    dir: &'a Path,
    marker: &'a Path,
}

/// `--define` arguments for a target: its macros plus what the distro's rpm config has.
fn defines(t: &Distro) -> Vec<String> {
    let mut v: Vec<String> = t
        .macros
        .iter()
        .map(|(k, val)| format!("{k} {val}"))
        .collect();
    match t.family {
        Family::Fedora => v.push(format!(
            "dist .fc{}",
            t.macros.get("fedora").cloned().unwrap_or_default()
        )),
        Family::Centos => v.push(format!(
            "dist .el{}",
            t.macros.get("rhel").cloned().unwrap_or_default()
        )),
        _ => {}
    }
    v.push("_docdir /usr/share/doc/packages".to_string());
    v
}

fn rpmspec(t: &Distro, args: &[&str], spec: &Path) -> (bool, String, String) {
    let mut cmd = Command::new(tool("rpmspec"));
    for d in defines(t) {
        cmd.arg("--define").arg(d);
    }
    let out = cmd.args(args).arg(spec).output().expect("run rpmspec");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

impl Inert<'_> {
    #[track_caller]
    fn no_marker(&self, after: &str) {
        assert!(
            !self.marker.exists(),
            "{}: a payload ran during {after}",
            self.name
        );
    }

    /// `rpmspec -P` and queries of one spec for one target: it parses, runs nothing, and
    /// has exactly the packages, requirements, scriptlets and texts of the manifest.
    fn spec(
        &self,
        model: &Model,
        p: &pkgforge::manifest::Package,
        t: &Distro,
        spec: &Path,
    ) -> String {
        let what = format!("{}: {} for {}", self.name, spec.display(), t.id);
        let (ok, parsed, err) = rpmspec(t, &["-P"], spec);
        self.no_marker(&format!("rpmspec -P {}", spec.display()));
        assert!(ok && err.trim().is_empty(), "{what}: rpmspec -P:\n{err}");

        // binary packages: the package and its subpackages, nothing else
        let (ok, names, err) = rpmspec(t, &["-q", "--qf", "%{NAME}\\n"], spec);
        assert!(ok, "{what}: rpmspec -q:\n{err}");
        let mut want: Vec<String> = vec![p.name.clone()];
        want.extend(p.subpackages.iter().map(|s| s.name.clone()));
        let mut got: Vec<String> = names.lines().map(str::to_string).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{what}: binary packages");

        // requirements: one per manifest entry (plus each subpackage's on its parent)
        let expected_requires = p.targets[&t.id].requires.len()
            + p.subpackages
                .iter()
                .map(|s| 1 + s.requires[&t.id].len())
                .sum::<usize>();
        let (ok, requires, err) = rpmspec(t, &["-q", "--requires"], spec);
        assert!(ok, "{what}: rpmspec -q --requires:\n{err}");
        assert_eq!(
            requires.lines().count(),
            expected_requires,
            "{what}: requirements\n{requires}"
        );
        let (ok, build_requires, err) = rpmspec(t, &["-q", "--srpm", "--requires"], spec);
        assert!(ok, "{what}: rpmspec -q --srpm --requires:\n{err}");
        assert_eq!(
            build_requires.lines().count(),
            p.targets[&t.id].build_requires.len(),
            "{what}: build requirements\n{build_requires}"
        );

        // no scriptlet or trigger the manifest did not ask for
        let (ok, scripts, err) = rpmspec(
            t,
            &["-q", "--qf", "%{PREIN}|%{POSTIN}|%{PREUN}|%{POSTUN}|%{PRETRANS}|%{POSTTRANS}|%{VERIFYSCRIPT}|[%{TRIGGERSCRIPTS}]\\n"],
            spec,
        );
        assert!(ok, "{what}: rpmspec -q scriptlets:\n{err}");
        for line in scripts.lines() {
            assert_eq!(
                line, "(none)|(none)|(none)|(none)|(none)|(none)|(none)|",
                "{what}: a scriptlet appeared"
            );
        }

        // the texts come back exactly as the manifest wrote them
        let (ok, main, err) = rpmspec(
            t,
            &[
                "-q",
                "--qf",
                "%{SUMMARY}\\n%{LICENSE}\\n%{GROUP}\\n%{URL}\\n%{DESCRIPTION}\\n@END@\\n",
            ],
            spec,
        );
        assert!(ok, "{what}: rpmspec -q texts:\n{err}");
        let first = main.split("@END@\n").next().unwrap_or("");
        let mut lines = first.splitn(5, '\n');
        assert_eq!(lines.next(), Some(p.summary.as_str()), "{what}: Summary");
        assert_eq!(lines.next(), Some(p.license.as_str()), "{what}: License");
        let group = lines.next().unwrap_or("");
        if let Some(g) = &p.group {
            assert_eq!(group, g, "{what}: Group");
        }
        let url = lines.next().unwrap_or("");
        assert_eq!(
            Some(url),
            p.url.as_deref().or(Some("(none)")),
            "{what}: URL"
        );
        assert_eq!(
            lines.next().map(|d| d.trim_end()),
            Some(p.description.trim_end()),
            "{what}: %description"
        );
        self.no_marker(&format!("rpmspec -q {}", spec.display()));
        let _ = model;
        parsed
    }

    /// The OBS spec with the `%changelog` obs-build makes of the `.changes`, as OBS builds it.
    fn spec_with_changes(&self, p: &pkgforge::manifest::Package, obs: &Path) -> PathBuf {
        let changes = obs.with_file_name(format!("{}.changes", p.name));
        let out = Command::new(tool("changelog2spec"))
            .args(["--target", "rpm", "--file"])
            .arg(&changes)
            .output()
            .expect("run changelog2spec");
        assert!(
            out.status.success(),
            "{}: changelog2spec {}: {}",
            self.name,
            changes.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let log = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            log.lines().filter(|l| l.starts_with("* ")).count(),
            p.changelog.len(),
            "{}: changelog2spec made another number of entries:\n{log}",
            self.name
        );
        let spec = std::fs::read_to_string(obs).unwrap();
        let path = obs.with_file_name(format!("{}-with-changes.spec.test", p.name));
        std::fs::write(&path, format!("{}\n{log}", spec.trim_end())).unwrap();
        path
    }

    /// debtransform and `dpkg-source -x` on the OBS set, `dpkg-source -b` on each native
    /// directory, and their control files and changelogs parsed.
    fn debian(&self, model: &Model, p: &pkgforge::manifest::Package) -> String {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join(&p.name);
        std::fs::create_dir_all(&src).unwrap();
        copy_into(&self.dir.join("obs").join(&p.name), &src);
        let dsc_text = std::fs::read_to_string(src.join(format!("{}.dsc", p.name))).unwrap();
        let tar = dsc_text
            .lines()
            .find_map(|l| l.strip_prefix("DEBTRANSFORM-TAR:"))
            .map(|v| v.trim().to_string())
            .expect("DEBTRANSFORM-TAR");
        let top = pkgforge::render::tarball_dir(&tar);
        stand_in_upstream(&work.path().join("up").join(top));
        must(
            Command::new("tar")
                .arg("-caf")
                .arg(src.join(&tar))
                .arg(top)
                .current_dir(work.path().join("up")),
            "tar",
        );
        let out = work.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let debtransform = tool("debtransform");
        let path = format!(
            "{}:{}",
            debtransform.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        must(
            Command::new(&debtransform)
                .arg(&src)
                .arg(src.join(format!("{}.dsc", p.name)))
                .arg(&out)
                .env("PATH", path),
            "debtransform",
        );
        self.no_marker("debtransform");
        let dsc = files_where(&out, |f| f.extension().is_some_and(|e| e == "dsc"));
        assert_eq!(dsc.len(), 1, "{}: debtransform made one .dsc", self.name);
        let tree = work.path().join("build");
        must(
            Command::new(tool("dpkg-source"))
                .arg("-x")
                .arg(&dsc[0])
                .arg(&tree),
            "dpkg-source -x",
        );
        self.no_marker("dpkg-source -x");
        let mut texts = self.control(p, &tree.join("debian/control"));
        self.changelog(p, &tree.join("debian/changelog"));

        for t in model.deb_targets() {
            let work = tempfile::tempdir().unwrap();
            let upstream = &p.version.deb;
            let tree = work.path().join(format!("{}-{upstream}", p.name));
            stand_in_upstream(&tree);
            must(
                Command::new("tar")
                    .arg("-caf")
                    .arg(
                        work.path()
                            .join(format!("{}_{upstream}.orig.tar.xz", p.name)),
                    )
                    .arg(tree.file_name().unwrap())
                    .current_dir(work.path()),
                "tar",
            );
            let native = self
                .dir
                .join("debian")
                .join(&t.id)
                .join(&p.name)
                .join("debian");
            std::fs::create_dir_all(tree.join("debian")).unwrap();
            copy_into(&native, &tree.join("debian"));
            dpkg_source_native(&tree, work.path());
            self.no_marker("dpkg-source -b");
            texts.push_str(&self.control(p, &tree.join("debian/control")));
            self.changelog(p, &tree.join("debian/changelog"));
        }
        texts
    }

    /// One source paragraph and one paragraph per binary package, only the fields pkgforge
    /// writes, and the summary and description as the manifest gives them.
    fn control(&self, p: &pkgforge::manifest::Package, path: &Path) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        let paragraphs = deb822(&text);
        let what = format!("{}: {}", self.name, path.display());
        assert_eq!(
            paragraphs.len(),
            2 + p.subpackages.len(),
            "{what}: paragraphs\n{text}"
        );
        let source_fields = [
            "Source",
            "Section",
            "Priority",
            "Maintainer",
            "Build-Depends",
            "Build-Depends-Arch",
            "Build-Depends-Indep",
            "Standards-Version",
            "Homepage",
            "Rules-Requires-Root",
        ];
        let binary_fields = [
            "Package",
            "Architecture",
            "Section",
            "Depends",
            "Pre-Depends",
            "Recommends",
            "Multi-Arch",
            "Description",
        ];
        for (i, para) in paragraphs.iter().enumerate() {
            let allowed: &[&str] = if i == 0 {
                &source_fields
            } else {
                &binary_fields
            };
            for k in para.keys() {
                assert!(
                    allowed.contains(&k.as_str()),
                    "{what}: an extra field `{k}`\n{text}"
                );
            }
        }
        let binaries: Vec<&str> = paragraphs[1..]
            .iter()
            .filter_map(|para| para.get("Package").map(String::as_str))
            .collect();
        let mut want: Vec<&str> = vec![p.name.as_str()];
        want.extend(p.subpackages.iter().map(|s| s.name.as_str()));
        assert_eq!(binaries, want, "{what}: binary packages");
        let description = &paragraphs[1]["Description"];
        let (summary, long) = description.split_once('\n').unwrap_or((description, ""));
        assert_eq!(summary, p.summary, "{what}: the summary");
        // the long description, folded back as dpkg shows it
        let unfolded: Vec<String> = long
            .lines()
            .map(|l| {
                let l = l.strip_prefix(' ').unwrap_or(l);
                if l == "." {
                    String::new()
                } else {
                    l.to_string()
                }
            })
            .collect();
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            words(&unfolded.join("\n")),
            words(&p.description),
            "{what}: the description's words"
        );
        text
    }

    fn changelog(&self, p: &pkgforge::manifest::Package, path: &Path) {
        let out = must(
            Command::new(tool("dpkg-parsechangelog"))
                .arg("-l")
                .arg(path)
                .args(["--all", "--format", "rfc822"]),
            "dpkg-parsechangelog",
        );
        assert_eq!(
            out.lines().filter(|l| l.starts_with("Version: ")).count(),
            p.changelog.len(),
            "{}: {} has another number of entries:\n{out}",
            self.name,
            path.display()
        );
    }

    /// make on every debian/rules for the build and install targets, with a SHELL that
    /// records each recipe instead of running it: make itself runs nothing of the
    /// manifest's (its `$` are escaped), and hands the shell the lines as written. (`make -n`
    /// would not do: it runs recipes that mention `$(MAKE)`.)
    fn rules_dry_run(&self, model: &Model) -> String {
        let mut printed = String::new();
        for p in &model.packages {
            for rules in [self.dir.join("obs").join(&p.name).join("debian.rules")]
                .into_iter()
                .chain(model.deb_targets().map(|t| {
                    self.dir
                        .join("debian")
                        .join(&t.id)
                        .join(&p.name)
                        .join("debian/rules")
                }))
            {
                let work = tempfile::tempdir().unwrap();
                let recorder = work.path().join("record-shell");
                let record = work.path().join("recipes");
                std::fs::write(
                    &recorder,
                    "#!/bin/sh\nfor a in \"$@\"; do last=$a; done\nprintf '%s\\n' \"$last\" >>\"$RECORD\"\n",
                )
                .unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&recorder, std::fs::Permissions::from_mode(0o755))
                    .unwrap();
                let out = Command::new(tool("make"))
                    .arg("-f")
                    .arg(&rules)
                    .arg(format!("SHELL={}", recorder.display()))
                    .args(["override_dh_auto_build", "override_dh_auto_install"])
                    .current_dir(work.path())
                    .env("RECORD", &record)
                    .env_remove("MAKEFLAGS")
                    .env_remove("MAKELEVEL")
                    .output()
                    .expect("run make");
                assert!(
                    out.status.success(),
                    "{}: make -f {}: {}",
                    self.name,
                    rules.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
                self.no_marker(&format!("make -f {}", rules.display()));
                printed.push_str(&std::fs::read_to_string(&record).unwrap_or_default());
            }
        }
        printed
    }

    /// The `_service`: valid against OBS's grammar, exactly the services and parameters of
    /// the upstream's kind, the URL as the manifest gives it.
    fn service(&self, model: &Model, p: &pkgforge::manifest::Package) {
        let file = self.dir.join("obs").join(&p.name).join("_service");
        must(
            Command::new(tool("xmllint"))
                .arg("--noout")
                .arg("--relaxng")
                .arg(repo().join("tests/schemas/obs/service.rng"))
                .arg(&file),
            "xmllint --relaxng service.rng",
        );
        let counts = element_counts(&file);
        let upstream = model.upstream(&p.upstream).unwrap();
        let (services, params, url) = match &upstream.source {
            UpstreamSource::Git { url, .. } => (4, 7, url.clone()),
            UpstreamSource::Tarball { url, .. } => (2, 3, url.clone()),
        };
        let vendor = match p.vendor {
            Some(pkgforge::manifest::Vendor::Go) => (1, 1),
            Some(pkgforge::manifest::Vendor::Cargo) => (1, 3),
            None => (0, 0),
        };
        let want: BTreeMap<String, usize> = [
            ("services".to_string(), 1),
            ("service".to_string(), services + vendor.0),
            ("param".to_string(), params + vendor.1),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            counts,
            want,
            "{}: the elements of {}",
            self.name,
            file.display()
        );
        if let UpstreamSource::Git { .. } = upstream.source {
            let got = xpath(
                &file,
                "string(//service[@name='obs_scm']/param[@name='url'])",
            );
            assert_eq!(got, url, "{}: the git URL", self.name);
        }
    }

    /// Every XML file is well-formed, every kiwi description loads in kiwi and has one
    /// image with one description, and the summary comes back exactly.
    fn xml(&self, model: &Model) {
        let xml = files_where(&self.dir.join("obs"), |f| {
            let n = f.file_name().unwrap().to_string_lossy();
            n.ends_with(".xml") || n.ends_with(".kiwi") || n == "_service" || n == "_multibuild"
        });
        for f in &xml {
            must(
                Command::new(tool("xmllint")).arg("--noout").arg(f),
                "xmllint --noout",
            );
        }
        let kiwis: Vec<&PathBuf> = xml
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "kiwi"))
            .collect();
        let images: usize = model.rootfs.iter().map(|r| r.bases.len()).sum();
        assert_eq!(
            kiwis.len(),
            images,
            "{}: one kiwi description per image",
            self.name
        );
        if kiwis.is_empty() {
            return;
        }
        let (ok, out) = run(Command::new(python())
            .arg(repo().join("tests/tools/check_kiwi.py"))
            .args(&kiwis));
        assert!(ok, "{}: kiwi refuses a description:\n{out}", self.name);
        self.no_marker("kiwi's loader");
        for r in &model.rootfs {
            for b in &r.bases {
                let f = self
                    .dir
                    .join("obs")
                    .join(r.package_name(b))
                    .join(format!("{}.kiwi", r.name));
                let counts = element_counts(&f);
                for element in [
                    "image",
                    "description",
                    "specification",
                    "author",
                    "contact",
                    "preferences",
                ] {
                    assert_eq!(
                        counts.get(element),
                        Some(&1),
                        "{}: {} has another number of <{element}>",
                        self.name,
                        f.display()
                    );
                }
                let spec = xpath(&f, "string(//description/specification)");
                assert_eq!(
                    spec,
                    format!("{}, {} base", r.summary, b.name),
                    "{}: {} <specification>",
                    self.name,
                    f.display()
                );
            }
        }
    }
}

/// A stand-in upstream tree: the sources are not needed to check the packaging itself.
fn stand_in_upstream(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("README"), "stand-in upstream\n").unwrap();
}

/// The paragraphs of a deb822 file: field -> value, continuation lines joined with `\n`.
fn deb822(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut cur: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            last = None;
        } else if line.starts_with([' ', '\t']) {
            let k = last.clone().expect("a continuation line after a field");
            let v = cur.get_mut(&k).unwrap();
            v.push('\n');
            v.push_str(line);
        } else {
            let (k, v) = line.split_once(':').expect("a field");
            assert!(
                !cur.contains_key(k),
                "field {k} twice in a paragraph:\n{text}"
            );
            cur.insert(k.to_string(), v.trim().to_string());
            last = Some(k.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// How many elements of each name an XML file has.
fn element_counts(path: &Path) -> BTreeMap<String, usize> {
    use quick_xml::events::Event;
    let xml = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut counts = BTreeMap::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.name().as_ref().to_string();
                *counts.entry(name).or_insert(0) += 1;
            }
            Ok(Event::Eof) => break,
            Err(e) => panic!("{}: {e}", path.display()),
            _ => {}
        }
    }
    counts
}

/// The decoded string value of an XPath expression, as xmllint computes it.
fn xpath(path: &Path, expr: &str) -> String {
    let out = Command::new(tool("xmllint"))
        .arg("--xpath")
        .arg(expr)
        .arg(path)
        .output()
        .expect("run xmllint");
    assert!(
        out.status.success(),
        "xmllint --xpath {expr} {}",
        path.display()
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

/// A project whose one upstream is a git repository made by the test, pinned at v1.0.0,
/// in a directory whose path is a valid part of a git tag name (no leading dots).
struct Upstream {
    tmp: tempfile::TempDir,
    repo: git2::Repository,
    commits: Vec<String>,
}

impl Upstream {
    fn new(github: bool) -> Upstream {
        let tmp = tempfile::Builder::new()
            .prefix("hostile")
            .tempdir()
            .unwrap();
        let (repo, c0) = git::repo_with(&tmp.path().join("upstream"), git::HELLO, "1.0.0");
        git::tag(&repo, "v1.0.0", &c0);
        let c1 = git::commit(&repo, &[("README", "1.1\n")], "1.1.0");
        let project = tmp.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        let github = if github {
            "github = \"org/demo\"\n"
        } else {
            ""
        };
        let manifest = std::fs::read_to_string(repo_root_hostile().join("base.toml"))
            .unwrap()
            .replace(
                "git = \"https://example.org/demo.git\"\ncommit = \"0123456789abcdef0123456789abcdef01234567\"\nversion = \"1.2.0\"",
                &format!(
                    "git = \"file://{}\"\n{github}commit = \"{c0}\"\nversion = \"1.0.0\"",
                    tmp.path().join("upstream").display()
                ),
            );
        assert!(manifest.contains("version = \"1.0.0\""));
        std::fs::write(project.join("packages.toml"), manifest).unwrap();
        std::fs::write(
            project.join("changelog.toml"),
            std::fs::read_to_string(repo_root_hostile().join("changelog.toml"))
                .unwrap()
                .replace("1.2.0", "1.0.0"),
        )
        .unwrap();
        ok(&pkgforge(&project, &["render", "-q"]));
        Upstream {
            tmp,
            repo,
            commits: vec![c0, c1],
        }
    }

    fn project(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    fn marker(&self) -> PathBuf {
        self.tmp.path().join("pwned")
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut cmd = Command::new(bin());
        cmd.current_dir(self.project())
            .arg("--manifest")
            .arg(self.project().join("packages.toml"))
            .args(args)
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", "1796000000")
            .env_remove("GITHUB_TOKEN")
            .env_remove("PKGFORGE_GITHUB_API");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

fn repo_root_hostile() -> PathBuf {
    repo().join("tests/hostile")
}

/// Git tags are valid ref names with `%`, `{`, `(`, `$`, `;` and backquotes in them:
/// `watch --apply` reports every hostile one and applies only the real release.
fn hostile_git_tags_are_never_applied() {
    let up = Upstream::new(false);
    let marker = up.marker().display().to_string();
    let hostile = [
        // `%{lua:...}` cannot be a tag (git refuses `:` and `?`), `%(...)` and `%{...}` can
        format!("v9.9.9%{{x}}%(touch${{IFS}}{marker})"),
        format!("v9.9.8%(touch${{IFS}}{marker})"),
        format!("v9.9.7$(touch${{IFS}}{marker})"),
        format!("v9.9.6;touch${{IFS}}{marker}"),
        format!("v9.9.5`touch${{IFS}}{marker}`"),
        "v9.9.4%global".to_string(),
        "v9.9.3\"".to_string(),
    ];
    for t in &hostile {
        assert!(
            git2::Reference::is_valid_name(&format!("refs/tags/{t}")),
            "{t}"
        );
        git::lightweight_tag(&up.repo, t, &up.commits[1]);
    }
    git::tag(&up.repo, "v1.1.0", &up.commits[1]);
    let out = up.run(&["watch", "--json", "--apply"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let report = &list[0];
    assert_eq!(report["applied"], true, "{report}");
    assert_eq!(
        report["invalid_tags"].as_array().unwrap().len(),
        hostile.len(),
        "{report}"
    );
    let manifest = std::fs::read_to_string(up.project().join("packages.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "commit = \"{}\"\nversion = \"1.1.0\"",
            up.commits[1]
        )),
        "{manifest}"
    );
    assert!(
        !manifest.contains("9.9"),
        "a hostile tag reached the manifest"
    );
    assert!(!up.marker().exists(), "a hostile tag ran");
    let expect = Expect {
        attack: "hostile git tags".into(),
        outcome: "inert".into(),
        message: None,
        spec: vec![],
        rules: vec![],
    };
    check_inert("git tags", &up.project(), &up.marker(), &expect);
}

/// GitHub release notes become changelog lines when `bump` runs: the hostile ones are
/// dropped or stay plain text in every changelog format.
fn hostile_release_notes_stay_inert() {
    let up = Upstream::new(true);
    let marker = up.marker().display().to_string();
    let server = Server::start();
    let notes = format!(
        "## Changes\n- %{{lua:io.open(\"{marker}\",\"w\")}}\n- %(touch {marker})\n- %post\n%post\n- %global p %%\n- ]]> </param> & <x>\n* $(touch {marker}) `touch {marker}`\n- 100% fixed\n- Ordinary fix\n"
    );
    server.route(
        "/api/repos/org/demo/releases/tags/v1.1.0",
        Response::ok(serde_json::json!({ "tag_name": "v1.1.0", "body": notes }).to_string()),
    );
    let api = server.url("/api");
    let out = up.run(
        &["bump", "--version", "1.1.0", "--commit", &up.commits[1]],
        &[("PKGFORGE_GITHUB_API", &api)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        server
            .requests_to("/api/repos/org/demo/releases/tags/v1.1.0")
            .len(),
        1
    );
    let log = std::fs::read_to_string(up.project().join("changelog.toml")).unwrap();
    assert!(
        log.contains("Ordinary fix") && log.contains("%post"),
        "{log}"
    );
    assert!(!log.contains("lua") && !log.contains("%("), "{log}");
    let expect = Expect {
        attack: "hostile release notes".into(),
        outcome: "inert".into(),
        message: None,
        spec: vec![
            "-   * %post".into(),
            "-   * %global p %%".into(),
            "-   * $(touch".into(),
        ],
        rules: vec![],
    };
    check_inert("release notes", &up.project(), &up.marker(), &expect);
}
