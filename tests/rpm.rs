//! The rpm side against the real tools: rpmspec, rpmlint, spec-cleaner, rpmbuild,
//! obs-build's changelog2spec and xmllint, over the bundled manifests and every golden case.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use pkgforge::distro::Distro;

/// The bundled manifests (rendered and committed beside them) and every golden case
/// rendered into a temporary directory.
fn rendered_trees() -> Vec<(PathBuf, Option<tempfile::TempDir>)> {
    let mut v: Vec<(PathBuf, Option<tempfile::TempDir>)> =
        bundled_dirs().into_iter().map(|d| (d, None)).collect();
    for case in cases() {
        let tmp = golden_or_render(&case);
        v.push((tmp.path().to_path_buf(), Some(tmp)));
    }
    v
}

/// The specs `render` wrote in a tree: under `obs/` and `rpm/` (the repository root also
/// holds hand-written specs, the import tests' inputs).
fn rendered_specs(dir: &Path) -> Vec<PathBuf> {
    ["obs", "rpm"]
        .iter()
        .flat_map(|top| {
            files_where(&dir.join(top), |p| {
                p.extension().is_some_and(|e| e == "spec")
            })
        })
        .collect()
}

/// Render a case without comparing (the golden test compares).
fn golden_or_render(case: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(case, tmp.path());
    let _ = std::fs::remove_dir_all(tmp.path().join("expected"));
    ok(&pkgforge(tmp.path(), &["render", "-q"]));
    tmp
}

fn model(dir: &Path) -> pkgforge::manifest::Model {
    pkgforge::manifest::load(&dir.join("packages.toml")).expect("manifest loads")
}

/// `--define` arguments for a target, plus what Debian's rpm lacks and SUSE/Fedora define.
fn defines(t: &Distro) -> Vec<String> {
    let mut v = Vec::new();
    for (k, val) in &t.macros {
        v.push(format!("{k} {val}"));
    }
    let dist = match t.family {
        pkgforge::distro::Family::Fedora => {
            format!(".fc{}", t.macros.get("fedora").cloned().unwrap_or_default())
        }
        pkgforge::distro::Family::Centos => {
            format!(".el{}", t.macros.get("rhel").cloned().unwrap_or_default())
        }
        _ => String::new(),
    };
    if !dist.is_empty() {
        v.push(format!("dist {dist}"));
    }
    // SUSE's rpm-config names the extension brp-compress gives man and info pages
    if t.family.group() == Some("suse") {
        v.push("ext_man .gz".to_string());
        v.push("ext_info .gz".to_string());
    }
    for (k, val) in [
        ("_unitdir", "/usr/lib/systemd/system"),
        ("_tmpfilesdir", "/usr/lib/tmpfiles.d"),
        ("_sysusersdir", "/usr/lib/sysusers.d"),
        ("_udevrulesdir", "/usr/lib/udev/rules.d"),
        ("_sysctldir", "/usr/lib/sysctl.d"),
        ("_fontsdir", "/usr/share/fonts"),
        ("_docdir", "/usr/share/doc/packages"),
    ] {
        v.push(format!("{k} {val}"));
    }
    v
}

fn with_defines<'a>(cmd: &'a mut Command, t: &Distro) -> &'a mut Command {
    for d in defines(t) {
        cmd.arg("--define").arg(d);
    }
    cmd
}

#[test]
fn specs_parse_for_every_rpm_target() {
    let rpmspec = tool("rpmspec");
    let mut checked = 0;
    for (dir, _keep) in rendered_trees() {
        let m = model(&dir);
        for p in &m.packages {
            let obs = dir
                .join("obs")
                .join(&p.name)
                .join(format!("{}.spec", p.name));
            for t in m.rpm_targets() {
                let target_spec = dir.join("rpm").join(&t.id).join(format!("{}.spec", p.name));
                for spec in [&obs, &target_spec] {
                    let out = with_defines(Command::new(&rpmspec).arg("-P"), t)
                        .arg(spec)
                        .output()
                        .unwrap();
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert!(
                        out.status.success() && err.trim().is_empty(),
                        "rpmspec -P {} for {}:\n{err}",
                        spec.display(),
                        t.id
                    );
                    let parsed = String::from_utf8_lossy(&out.stdout);
                    // The resolved requirements of this target are what the parsed spec asks for.
                    for br in &p.targets[&t.id].build_requires {
                        assert!(
                            parsed.contains(&format!("BuildRequires:  {br}\n")),
                            "{} for {}: missing BuildRequires {br}\n{parsed}",
                            spec.display(),
                            t.id
                        );
                    }
                    for rq in &p.targets[&t.id].requires {
                        assert!(
                            parsed.contains(&format!("Requires:       {rq}\n")),
                            "{} for {}: missing Requires {rq}",
                            spec.display(),
                            t.id
                        );
                    }
                    assert!(
                        !parsed.contains("%{"),
                        "{} for {}: an unexpanded macro is left:\n{parsed}",
                        spec.display(),
                        t.id
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 40, "only {checked} specs parsed");
}

/// rpmlint on every rendered spec, with the package's rpmlintrc as OBS applies it: its
/// filters cover the spec and the binary rpms built from it together, so a spec alone
/// leaves the binary ones unused (`--ignore-unused-rpmlintrc`); the image package tests
/// check the rpms and the spec in one run, where every filter is used.
#[test]
fn rpmlint_reports_no_errors() {
    let rpmlint = tool("rpmlint");
    let mut checked = 0;
    for (dir, _keep) in rendered_trees() {
        for spec in rendered_specs(&dir) {
            let mut cmd = Command::new(&rpmlint);
            let stem = spec.file_stem().unwrap().to_string_lossy().to_string();
            let rc = files_where(&dir.join("obs"), |p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy() == format!("{stem}-rpmlintrc"))
            });
            if let Some(rc) = rc.first() {
                cmd.arg("-r").arg(rc).arg("--ignore-unused-rpmlintrc");
            }
            let (_, text) = run(cmd.arg(&spec));
            let summary = text
                .lines()
                .find(|l| l.contains("specfiles checked"))
                .unwrap_or_else(|| panic!("rpmlint printed no summary:\n{text}"));
            assert!(
                summary.contains(" 0 errors"),
                "rpmlint {}:\n{text}",
                spec.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 20);
}

/// Every rendered spec, the OBS ones and the per-target ones, is as spec-cleaner writes
/// it. spec-cleaner empties `%changelog` (OBS keeps it in `.changes`), so the per-target
/// specs are compared up to it.
#[test]
fn spec_cleaner_leaves_every_spec_unchanged() {
    let cleaner = tool("spec-cleaner");
    let mut checked = 0;
    let up_to_changelog = |s: &str| -> String {
        match s.find("\n%changelog\n") {
            Some(i) => s[..i].to_string(),
            None => s.to_string(),
        }
    };
    for (dir, _keep) in rendered_trees() {
        for spec in rendered_specs(&dir) {
            let out = Command::new(&cleaner).arg(&spec).output().unwrap();
            assert!(
                out.status.success(),
                "spec-cleaner {} failed: {}",
                spec.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let mut original = std::fs::read_to_string(&spec).unwrap();
            let mut cleaned = String::from_utf8_lossy(&out.stdout).to_string();
            if !spec.starts_with(dir.join("obs")) {
                original = up_to_changelog(&original);
                cleaned = up_to_changelog(&cleaned);
            }
            if original != cleaned {
                let diff = similar::TextDiff::from_lines(original.as_str(), cleaned.as_str());
                panic!(
                    "spec-cleaner changes {}:\n{}",
                    spec.display(),
                    diff.unified_diff().header("rendered", "cleaned")
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} specs cleaned");
}

#[test]
fn rpmbuild_makes_source_packages() {
    let rpmbuild = tool("rpmbuild");
    for (dir, _keep) in rendered_trees() {
        let m = model(&dir);
        // deb-only cases have no spec to build
        let Some(t) = m.rpm_targets().next().cloned() else {
            continue;
        };
        for p in &m.packages {
            let top = tempfile::tempdir().unwrap();
            let sources = top.path().join("SOURCES");
            std::fs::create_dir_all(&sources).unwrap();
            let obs = dir.join("obs").join(&p.name);
            for f in std::fs::read_dir(&obs).unwrap() {
                let f = f.unwrap();
                std::fs::copy(f.path(), sources.join(f.file_name())).unwrap();
            }
            // The sources OBS services would produce: empty stand-ins suffice for -bs.
            let spec = obs.join(format!("{}.spec", p.name));
            let parsed =
                run(with_defines(Command::new(tool("rpmspec")).arg("-P"), &t).arg(&spec)).1;
            for line in parsed.lines().filter(|l| l.starts_with("Source")) {
                let value = line.split_whitespace().nth(1).unwrap();
                let name = value.rsplit('/').next().unwrap();
                std::fs::write(sources.join(name), b"").unwrap();
            }
            let (ok, text) = run(with_defines(&mut Command::new(&rpmbuild), &t)
                .arg("-bs")
                .arg("--define")
                .arg(format!("_topdir {}", top.path().display()))
                .arg("--define")
                .arg(format!("_sourcedir {}", sources.display()))
                .arg(&spec));
            assert!(ok, "rpmbuild -bs {}:\n{text}", spec.display());
            assert!(!files_where(&top.path().join("SRPMS"), |p| p
                .to_string_lossy()
                .ends_with(".src.rpm"))
            .is_empty());
        }
    }
}

#[test]
fn changes_parse_with_changelog2spec() {
    let c2s = tool("changelog2spec");
    let header = regex::Regex::new(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] UTC [0-9]{4} - .+ <[^>]+>$").unwrap();
    let mut checked = 0;
    for (dir, _keep) in rendered_trees() {
        for changes in files_where(&dir.join("obs"), |p| {
            p.extension().is_some_and(|e| e == "changes")
        }) {
            let (ok, text) = run(Command::new(&c2s)
                .args(["--test", "--target", "rpm"])
                .arg(&changes));
            assert!(ok, "changelog2spec {}:\n{text}", changes.display());
            assert!(
                text.starts_with("* "),
                "changelog2spec printed no entry for {}:\n{text}",
                changes.display()
            );
            let content = std::fs::read_to_string(&changes).unwrap();
            let lines: Vec<&str> = content.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if *l == "-".repeat(67) {
                    assert!(
                        header.is_match(lines[i + 1]),
                        "{}: bad header {:?}",
                        changes.display(),
                        lines[i + 1]
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 6);
}

/// Every `<service>` of a `_service` validates against the grammar and uses only the
/// services, modes and parameters OBS defines (tests/schemas/obs/services.toml).
#[test]
fn services_validate() {
    let xmllint = tool("xmllint");
    let schemas = repo().join("tests/schemas/obs");
    let facts: toml::Table =
        toml::from_str(&std::fs::read_to_string(schemas.join("services.toml")).unwrap()).unwrap();
    let modes: Vec<&str> = facts["modes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let services = facts["services"].as_table().unwrap();
    let mut checked = 0;
    for (dir, _keep) in rendered_trees() {
        for file in files_where(&dir.join("obs"), |p| {
            p.file_name().is_some_and(|n| n == "_service")
        }) {
            let (ok, text) = run(Command::new(&xmllint)
                .arg("--noout")
                .arg("--relaxng")
                .arg(schemas.join("service.rng"))
                .arg(&file));
            assert!(ok, "{}: {text}", file.display());
            let xml = std::fs::read_to_string(&file).unwrap();
            let mut reader = quick_xml::Reader::from_str(&xml);
            let mut current: Option<String> = None;
            let mut seen: Vec<String> = Vec::new();
            loop {
                use quick_xml::events::Event;
                let event = reader.read_event().unwrap();
                match &event {
                    Event::Start(e) | Event::Empty(e) => {
                        let attr = |n: &str| {
                            e.try_get_attribute(n).unwrap().map(|a| {
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .to_string()
                            })
                        };
                        match e.name().as_ref() {
                            "service" => {
                                let name = attr("name").unwrap();
                                let def = services.get(&name).unwrap_or_else(|| {
                                    panic!("{}: unknown service {name}", file.display())
                                });
                                if let Some(m) = attr("mode") {
                                    assert!(
                                        modes.contains(&m.as_str()),
                                        "{}: mode {m}",
                                        file.display()
                                    );
                                }
                                seen.clear();
                                if matches!(event, Event::Empty(_)) {
                                    let required = def["required"].as_array().unwrap();
                                    assert!(
                                        required.is_empty(),
                                        "{}: service {name} lacks required {required:?}",
                                        file.display()
                                    );
                                } else {
                                    current = Some(name);
                                }
                            }
                            "param" => {
                                let service = current.as_ref().unwrap();
                                let p = attr("name").unwrap();
                                let allowed = services[service]["params"].as_array().unwrap();
                                assert!(
                                    allowed.iter().any(|a| a.as_str() == Some(p.as_str())),
                                    "{}: service {service} has no parameter {p}",
                                    file.display()
                                );
                                seen.push(p);
                            }
                            _ => {}
                        }
                    }
                    Event::End(e) if e.name().as_ref() == "service" => {
                        let service = current.take().unwrap();
                        for req in services[&service]["required"].as_array().unwrap() {
                            assert!(
                                seen.iter().any(|s| Some(s.as_str()) == req.as_str()),
                                "{}: service {service} lacks required {req}",
                                file.display()
                            );
                        }
                    }
                    Event::Eof => break,
                    _ => {}
                }
            }
            checked += 1;
        }
        let xml = |f: &Path| f.extension().is_some_and(|e| e == "xml");
        for meta in files_where(&dir.join("obs/_meta"), xml) {
            let (ok, text) = run(Command::new(&xmllint).arg("--noout").arg(&meta));
            assert!(ok, "{}: {text}", meta.display());
        }
    }
    assert!(checked >= 8);
}

/// End to end: a real upstream git repository, the tarball obs_scm + tar would make from
/// the pinned commit, and `rpmbuild -bb` of the rendered spec.
#[test]
fn builds_a_binary_rpm_from_a_pinned_git_commit() {
    let work = tempfile::tempdir().unwrap();
    let upstream = work.path().join("hello");
    let (commit, _) = hello_upstream(&upstream);
    let project = work.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("packages.toml"),
        format!(
            r#"[project]
name = "hello"
maintainer = "Hello Packagers <hello@example.org>"
obs-project = "home:hello"
targets = ["opensuse-tumbleweed", "fedora-42"]
archs = ["x86_64"]

[upstreams.hello]
git = "file://{}"
commit = "{commit}"
tag-prefix = "v"
version = "1.0"

[[packages]]
name = "hello"
upstream = "hello"
summary = "Greets the world"
description = "A greeting program."
build-requires = ["make", "gcc"]
build = "make"
install = "make install DESTDIR=$DESTDIR PREFIX=/usr"
files = ["/usr/bin/hello", "/usr/share/hello/greeting.txt"]
config-files = ["/etc/hello/hello.conf"]

[[packages.subpackages]]
suffix = "doc"
summary = "Documentation of hello"
archs = ["noarch"]
files = ["/usr/share/doc/hello-doc/README"]
"#,
            upstream.display()
        ),
    )
    .unwrap();
    std::fs::write(
        project.join("changelog.toml"),
        "[[entry]]\nversion = \"1.0\"\ndate = \"2026-11-22T04:00:00Z\"\nauthor = \"Hello Packagers <hello@example.org>\"\nchanges = [\"Initial package\"]\n",
    )
    .unwrap();
    ok(&pkgforge(&project, &["render", "-q"]));

    let top = work.path().join("rpmbuild");
    let sources = top.join("SOURCES");
    std::fs::create_dir_all(&sources).unwrap();
    // obs_scm checks out the pinned revision; tar + recompress make <name>-<version>.tar.xz
    let tarball = sources.join("hello-1.0.tar.xz");
    let (ok_archive, text) = run(Command::new("sh").arg("-c").arg(format!(
        "git -C '{}' archive --format=tar --prefix=hello-1.0/ {commit} | xz > '{}'",
        upstream.display(),
        tarball.display()
    )));
    assert!(ok_archive, "{text}");
    let spec = project.join("obs/hello/hello.spec");
    let m = model(&project);
    let t = m.rpm_targets().next().unwrap().clone();
    let (built, text) = run(with_defines(&mut Command::new(tool("rpmbuild")), &t)
        .arg("-bb")
        .arg("--nodeps")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg("--define")
        .arg("_build_id_links none")
        .arg("--define")
        .arg("debug_package %{nil}")
        .arg(&spec));
    assert!(built, "rpmbuild -bb:\n{text}");
    let rpms = files_where(&top.join("RPMS"), |p| p.to_string_lossy().ends_with(".rpm"));
    let main = rpms
        .iter()
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("hello-1.0")
        })
        .expect("main rpm");
    let doc = rpms
        .iter()
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("hello-doc-")
        })
        .expect("doc rpm");
    let list = |rpm: &Path| -> Vec<String> {
        let (ok, text) = run(Command::new(tool("rpm")).arg("-qlp").arg(rpm));
        assert!(ok, "{text}");
        let mut v: Vec<String> = text.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(
        list(main),
        [
            "/etc/hello",
            "/etc/hello/hello.conf",
            "/usr/bin/hello",
            "/usr/share/hello",
            "/usr/share/hello/greeting.txt"
        ]
    );
    assert_eq!(
        list(doc),
        [
            "/usr/share/doc/hello-doc",
            "/usr/share/doc/hello-doc/README"
        ]
    );
    let (ok_cfg, cfg) = run(Command::new(tool("rpm")).arg("-qcp").arg(main));
    assert!(ok_cfg);
    assert_eq!(cfg.trim(), "/etc/hello/hello.conf");
    assert!(doc.to_string_lossy().ends_with(".noarch.rpm"));
}

/// A man page as `make install` leaves it, uncompressed: rpm compresses it after
/// `%install`, and the spec's `%files` finds it under `%{?ext_man}` on SUSE (whose rpm
/// defines it) and on Fedora (whose spec defines it), in the OBS and the per-target spec.
#[test]
fn man_pages_are_packaged_as_rpm_compresses_them() {
    let work = tempfile::tempdir().unwrap();
    let upstream = work.path().join("hello");
    let (_, commit) = common::git::repo_with(
        &upstream,
        &[
            ("Makefile", "all:\n\t@true\ninstall:\n\tinstall -D -m 0644 hello.1 $(DESTDIR)/usr/share/man/man1/hello.1\n"),
            ("hello.1", ".TH HELLO 1\n.SH NAME\nhello \\- greet\n"),
        ],
        "hello 1.0",
    );
    let project = work.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("packages.toml"),
        format!(
            r#"[project]
name = "hello"
maintainer = "Hello Packagers <hello@example.org>"
obs-project = "home:hello"
targets = ["opensuse-tumbleweed", "fedora-42"]

[upstreams.hello]
git = "file://{}"
commit = "{commit}"
version = "1.0"

[[packages]]
name = "hello"
upstream = "hello"
summary = "Greets the world"
description = "A greeting program's manual."
archs = ["noarch"]
files = ["/usr/share/man/man1/hello.1"]
"#,
            upstream.display()
        ),
    )
    .unwrap();
    std::fs::write(
        project.join("changelog.toml"),
        "[[entry]]\nversion = \"1.0\"\ndate = \"2026-11-22T04:00:00Z\"\nauthor = \"Hello Packagers <hello@example.org>\"\nchanges = [\"Initial package\"]\n",
    )
    .unwrap();
    ok(&pkgforge(&project, &["render", "-q"]));
    let m = model(&project);
    let mut builds = Vec::new();
    for t in m.rpm_targets() {
        builds.push((t.clone(), project.join("obs/hello/hello.spec")));
        builds.push((
            t.clone(),
            project.join("rpm").join(&t.id).join("hello.spec"),
        ));
    }
    for (t, spec) in builds {
        let top = tempfile::tempdir().unwrap();
        hello_tarball(&upstream, &commit, &top.path().join("SOURCES"));
        must(
            with_defines(&mut Command::new(tool("rpmbuild")), &t)
                .arg("-bb")
                .arg("--nodeps")
                .arg("--define")
                .arg(format!("_topdir {}", top.path().display()))
                // brp-compress needs bash (`read -d`), the /bin/sh of SUSE and Fedora;
                // Debian's rpm runs it with dash, which compresses nothing
                .arg("--define")
                .arg("__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}")
                .arg(&spec),
            &format!("rpmbuild -bb {} for {}", spec.display(), t.id),
        );
        let rpm = files_where(&top.path().join("RPMS"), |p| {
            p.to_string_lossy().ends_with(".noarch.rpm")
        });
        assert_eq!(rpm.len(), 1, "{}", spec.display());
        let list = must(
            Command::new(tool("rpm")).arg("-qlp").arg(&rpm[0]),
            "rpm -qlp",
        );
        assert_eq!(
            list.trim(),
            "/usr/share/man/man1/hello.1.gz",
            "{} for {}",
            spec.display(),
            t.id
        );
    }
}

/// The hello upstream, committed and tagged v1.0.
pub fn hello_upstream(dir: &Path) -> (String, git2::Repository) {
    let (repo, oid) = common::git::repo_with(dir, common::git::HELLO, "hello 1.0");
    common::git::tag(&repo, "v1.0", &oid);
    (oid, repo)
}

/// Systemd units, an info page, a licence file and an arch-dependent subpackage, built
/// with `rpmbuild -bb` from the OBS and the per-target spec for Tumbleweed and Fedora:
/// SUSE's `%service_*` scriptlets and Fedora's `%systemd_*` ones (stand-ins here, as
/// Debian's rpm has neither), a static unit not restarted, `%{?_isa}` on the Fedora
/// subpackage's requirement of its base package, the info page as rpm compresses it,
/// `%license`, and no debug package for a package whose build is empty.
#[test]
fn systemd_units_info_pages_and_licences_follow_each_family() {
    let work = tempfile::tempdir().unwrap();
    let upstream = work.path().join("hello");
    let (_, commit) = common::git::repo_with(&upstream, conventions::UPSTREAM, "hello 1.0");
    let project = work.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("packages.toml"),
        conventions::manifest(
            &format!("file://{}", upstream.display()),
            &commit,
            r#""opensuse-tumbleweed", "fedora-42""#,
        ),
    )
    .unwrap();
    std::fs::write(project.join("changelog.toml"), conventions::CHANGELOG).unwrap();
    ok(&pkgforge(&project, &["render", "-q"]));
    let blob = std::fs::read_to_string(project.join("obs/hello-blob/hello-blob.spec")).unwrap();
    assert!(
        blob.contains("\n%global debug_package %{nil}\nName:"),
        "{blob}"
    );
    let hello = std::fs::read_to_string(project.join("obs/hello/hello.spec")).unwrap();
    assert!(!hello.contains("debug_package"), "{hello}");

    let m = model(&project);
    for t in m.rpm_targets() {
        let suse = t.family.group() == Some("suse");
        for spec in [
            project.join("obs/hello/hello.spec"),
            project.join("rpm").join(&t.id).join("hello.spec"),
        ] {
            let top = tempfile::tempdir().unwrap();
            hello_tarball(&upstream, &commit, &top.path().join("SOURCES"));
            let mut cmd = Command::new(tool("rpmbuild"));
            with_defines(&mut cmd, t)
                .arg("-bb")
                .arg("--nodeps")
                .arg("--define")
                .arg(format!("_topdir {}", top.path().display()))
                .arg("--define")
                .arg("__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}")
                .arg("--define")
                .arg("_isa (x86-64)");
            // stand-ins for the macros of SUSE's and Fedora's systemd-rpm-macros
            for m in [
                "service_add_pre",
                "service_add_post",
                "service_del_preun",
                "service_del_postun",
                "service_del_postun_without_restart",
                "systemd_post",
                "systemd_preun",
                "systemd_postun",
                "systemd_postun_with_restart",
            ] {
                cmd.arg("--define").arg(format!("{m}() echo {m} %*"));
            }
            must(
                cmd.arg(&spec),
                &format!("rpmbuild -bb {} for {}", spec.display(), t.id),
            );
            let rpms = files_where(&top.path().join("RPMS"), |p| {
                p.to_string_lossy().ends_with(".rpm")
            });
            let find = |prefix: &str| {
                rpms.iter()
                    .find(|p| {
                        p.file_name()
                            .unwrap()
                            .to_string_lossy()
                            .starts_with(&format!("{prefix}-1.0-"))
                    })
                    .unwrap_or_else(|| panic!("{prefix} in {rpms:?}"))
                    .clone()
            };
            let (main, data) = (find("hello"), find("hello-data"));
            let scripts = must(
                Command::new(tool("rpm"))
                    .arg("-qp")
                    .arg("--scripts")
                    .arg(&main),
                "rpm --scripts",
            );
            let want: &[&str] = if suse {
                &[
                    "service_add_pre hello.service hello-agent.service",
                    "service_add_post hello.service hello-agent.service",
                    "service_del_preun hello.service hello-agent.service",
                    "service_del_postun hello.service\n",
                    "service_del_postun_without_restart hello-agent.service",
                ]
            } else {
                &[
                    "systemd_post hello.service hello-agent.service",
                    "systemd_preun hello.service hello-agent.service",
                    "systemd_postun_with_restart hello.service\n",
                    "systemd_postun hello-agent.service",
                ]
            };
            for w in want {
                assert!(
                    scripts.contains(w),
                    "{} for {}: no `{w}` in\n{scripts}",
                    spec.display(),
                    t.id
                );
            }
            let other = if suse { "systemd_" } else { "service_" };
            assert!(
                !scripts.contains(other),
                "{} for {}:\n{scripts}",
                spec.display(),
                t.id
            );
            let list = must(Command::new(tool("rpm")).arg("-qlp").arg(&main), "rpm -qlp");
            for f in [
                "/usr/share/info/hello.info.gz",
                "/usr/lib/systemd/system/hello-agent.service",
            ] {
                assert!(
                    list.lines().any(|l| l == f),
                    "{} for {}: no {f} in\n{list}",
                    spec.display(),
                    t.id
                );
            }
            // the directory is %{_defaultlicensedir}/<name>, with the version on Debian's rpm
            assert!(
                list.lines()
                    .any(|l| l.starts_with("/usr/share/licenses/hello") && l.ends_with("/LICENSE")),
                "{} for {}: no licence in\n{list}",
                spec.display(),
                t.id
            );
            let requires = must(
                Command::new(tool("rpm"))
                    .arg("-qp")
                    .arg("--requires")
                    .arg(&data),
                "rpm --requires",
            );
            let parent = if suse {
                "hello = 1.0"
            } else {
                "hello(x86-64) = 1.0-"
            };
            assert!(
                requires.lines().any(|l| l.starts_with(parent)),
                "{} for {}: hello-data requires\n{requires}",
                spec.display(),
                t.id
            );
        }
    }
}

/// `hello-1.0.tar.xz` in `sources`: the pinned commit under `hello-1.0/`, as obs_scm,
/// tar and recompress make it.
fn hello_tarball(upstream: &Path, commit: &str, sources: &Path) {
    std::fs::create_dir_all(sources).unwrap();
    must(
        Command::new("sh").arg("-c").arg(format!(
            "git -C '{}' archive --format=tar --prefix=hello-1.0/ {commit} | xz > '{}'",
            upstream.display(),
            sources.join("hello-1.0.tar.xz").display()
        )),
        "git archive",
    );
}

/// An image package: `pkgforge sources` packs the image kiwi made (a stand-in kiwi-ng
/// here) as the spec's Source0, rpmbuild builds the OBS spec into an architecture-specific
/// rpm that installs the image in `/usr/lib/<project>`, with no debug package, and
/// rpmlint reports no error on it.
#[test]
fn image_package_builds_from_the_image_kiwi_made() {
    let project = common::image::project();
    let dir = project.path();
    let (kiwi, obs) = image_package_sources(dir);
    let source = obs.join("guest-rootfs-opensuse-tumbleweed-1.4.tar.gz");
    assert_eq!(
        common::image::tar_list(&source),
        [
            "guest-rootfs-opensuse-tumbleweed-1.4/",
            "guest-rootfs-opensuse-tumbleweed-1.4/guest-rootfs-opensuse-tumbleweed.tar.xz"
        ]
    );
    // kiwi read the base's repositories, not the OBS project's
    let args = std::fs::read_to_string(kiwi.join("kiwi-args")).unwrap();
    assert!(args.contains("--ignore-repos"), "{args}");
    assert!(
        args.contains("/tumbleweed/repo/oss,rpm-md,repo-oss,"),
        "{args}"
    );
    assert!(
        args.contains("obs/guest-rootfs-opensuse-tumbleweed\n"),
        "{args}"
    );
    let gitignore = std::fs::read_to_string(obs.join(".gitignore")).unwrap();
    assert!(gitignore.contains("/guest-rootfs-opensuse-tumbleweed-1.4.tar.gz\n"));

    let m = model(dir);
    for t in m.rpm_targets() {
        let top = tempfile::tempdir().unwrap();
        let rpm = image_rpm(t, &obs, top.path());
        let (ok_list, list) = run(Command::new(tool("rpm")).arg("-qlp").arg(&rpm));
        assert!(ok_list, "{list}");
        let files: Vec<&str> = list.lines().collect();
        assert_eq!(
            files,
            [
                "/usr/lib/guestrt",
                "/usr/lib/guestrt/guest-rootfs-opensuse-tumbleweed.tar.xz"
            ]
        );
        rpmlint_image(&rpm, &obs);
    }
}

/// An image package with `install-as = "disk"`: the spec's build, as a user would run it,
/// makes a disk image from the archive (as root, mkfs.ext4 -d, sfdisk); the rpm installs
/// it as `/usr/lib/<project>/<rootfs>.img`, with one partition at sector 2048 holding an
/// ext4 file system with the archive's tree, owners and modes; rpmlint accepts it. The
/// spec asks OBS for a root build the way obs-build's `build` looks for it, and needs no
/// `fakeroot`, which CentOS and RHEL have only in EPEL.
#[test]
fn image_package_installs_a_disk_image() {
    let project = common::image::disk_project();
    let dir = project.path();
    let (_, obs) = image_package_sources(dir);
    let m = model(dir);
    let targets: Vec<&Distro> = m.rpm_targets().collect();
    assert_eq!(targets.len(), 2, "openSUSE Tumbleweed and Fedora 41");
    let specs = files_where(dir, |p| p.to_string_lossy().ends_with("tumbleweed.spec"));
    assert_eq!(specs.len(), 1 + targets.len(), "{specs:?}");
    for spec in &specs {
        let text = std::fs::read_to_string(spec).unwrap();
        // obs-build: egrep '^#[[:blank:]]*needsrootforbuild[[:blank:]]*$' <$RECIPEFILE
        let root = text
            .lines()
            .filter(|l| l.strip_prefix('#').map(str::trim) == Some("needsrootforbuild"))
            .count();
        assert_eq!(root, 1, "{}:\n{text}", spec.display());
        assert!(!text.contains("fakeroot"), "{}:\n{text}", spec.display());
    }
    for t in targets {
        let top = tempfile::tempdir().unwrap();
        let rpm = image_rpm(t, &obs, top.path());
        let (ok_list, list) = run(Command::new(tool("rpm")).arg("-qlp").arg(&rpm));
        assert!(ok_list, "{list}");
        let files: Vec<&str> = list.lines().collect();
        assert_eq!(
            files,
            ["/usr/lib/guestrt", "/usr/lib/guestrt/guest-rootfs.img"]
        );
        let root = top.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        must(
            Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "{} '{}' | cpio -idm --quiet",
                    tool("rpm2cpio").display(),
                    rpm.display()
                ))
                .current_dir(&root),
            "rpm2cpio",
        );
        common::image::check_disk_image(&root.join("usr/lib/guestrt/guest-rootfs.img"));
        rpmlint_image(&rpm, &obs);
    }
}

/// `pkgforge sources` for the openSUSE image package of the project in `dir`, with a
/// stand-in kiwi-ng: the stand-in's directory, and the package's OBS directory with its
/// source beside the spec.
fn image_package_sources(dir: &Path) -> (PathBuf, PathBuf) {
    let kiwi = common::image::fake_kiwi(dir);
    let package = "guest-rootfs-opensuse-tumbleweed-pkg";
    ok(&common::image::sources(dir, &kiwi, package));
    (kiwi, dir.join("obs").join(package))
}

/// rpmbuild -bb of the OBS spec of an image package in `obs`, for target `t`, with the
/// sources beside it: its one rpm, architecture-specific, with no debug package.
fn image_rpm(t: &Distro, obs: &Path, top: &Path) -> PathBuf {
    let spec = files_where(obs, |p| p.to_string_lossy().ends_with(".spec"));
    assert_eq!(spec.len(), 1, "{spec:?}");
    let (built, text) = run(with_defines(&mut Command::new(tool("rpmbuild")), t)
        .arg("-bb")
        .arg("--nodeps")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .arg("--define")
        .arg(format!("_sourcedir {}", obs.display()))
        .arg("--define")
        .arg("_build_id_links none")
        .arg(&spec[0]));
    assert!(built, "rpmbuild -bb for {}:\n{text}", t.id);
    let rpms = files_where(&top.join("RPMS"), |p| p.to_string_lossy().ends_with(".rpm"));
    assert_eq!(rpms.len(), 1, "one rpm, no debug package: {rpms:?}");
    let name = rpms[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("guest-rootfs-opensuse-tumbleweed-1.4-0.") && !name.contains("noarch"),
        "{name}"
    );
    rpms[0].clone()
}

/// rpmlint, with the package's rpmlintrc as OBS reads it, reports no error on an image
/// package's rpm and spec but what a local build lacks that OBS adds (its signature, packager,
/// and the changelog from the .changes), and the Group tag the manifest leaves out.
fn rpmlint_image(rpm: &Path, obs: &Path) {
    let spec = files_where(obs, |p| p.to_string_lossy().ends_with(".spec"));
    let host_only = [
        "no-signature",
        "no-packager-tag",
        "no-changelogname-tag",
        "no-group-tag",
    ];
    let rpmlintrc = files_where(obs, |p| p.to_string_lossy().ends_with("-rpmlintrc"));
    assert_eq!(rpmlintrc.len(), 1, "{rpmlintrc:?}");
    // the rpm and the spec in one run, as OBS checks the binary and the source rpms:
    // every filter of the rpmlintrc must be used
    let (_, lint) = run(Command::new(tool("rpmlint"))
        .arg("-r")
        .arg(&rpmlintrc[0])
        .arg(rpm)
        .arg(&spec[0]));
    assert!(
        lint.contains(" 1 packages and 1 specfiles checked"),
        "{lint}"
    );
    let errors: Vec<&str> = lint
        .lines()
        .filter(|l| l.contains(": E: "))
        .filter(|l| !host_only.iter().any(|t| l.ends_with(&format!(": E: {t}"))))
        .collect();
    assert!(errors.is_empty(), "rpmlint {}:\n{lint}", rpm.display());
}
