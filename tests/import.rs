//! `pkgforge import`: rendered OBS directories imported into a manifest render the same
//! files again; hand-written specs in openSUSE and Fedora style keep their requirements
//! and file lists per target; `--write` keeps the manifest's bytes; bad input is refused
//! with the file and line, and nothing is written.
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

use common::*;

/// The manifest without what import makes: only `[project]`, `[distros]` and the like.
fn project_only(manifest: &str) -> String {
    let mut doc: toml_edit::DocumentMut = manifest.parse().unwrap();
    for k in [
        "upstreams",
        "toolchains",
        "names",
        "packages",
        "rootfs",
        "archive",
    ] {
        doc.remove(k);
    }
    doc.to_string()
}

/// Whether `dir` is the image package of a kiwi description: `<image>-pkg/` beside
/// `<image>/`, which holds the `.kiwi` file.
fn is_image_package(dir: &Path) -> bool {
    let name = dir.file_name().unwrap().to_str().unwrap();
    name.strip_suffix("-pkg")
        .map(|image| dir.with_file_name(image))
        .is_some_and(|image| {
            image.is_dir()
                && std::fs::read_dir(image)
                    .unwrap()
                    .any(|f| f.unwrap().path().extension().is_some_and(|x| x == "kiwi"))
        })
}

/// The OBS package directories of a rendered tree that have a spec, image packages
/// aside (import reports them and reads no kiwi description).
fn spec_dirs(obs: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(obs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|d| {
            d.is_dir()
                && !is_image_package(d)
                && std::fs::read_dir(d)
                    .unwrap()
                    .any(|f| f.unwrap().path().extension().is_some_and(|x| x == "spec"))
        })
        .collect();
    dirs.sort();
    dirs
}

/// Every file under `obs/`, `rpm/` and `debian/` of `root`.
fn outputs(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for top in ["obs", "rpm", "debian"] {
        let dir = root.join(top);
        if !dir.is_dir() {
            continue;
        }
        for (rel, bytes) in snapshot(&dir) {
            out.insert(format!("{top}/{}", rel.display()), bytes);
        }
    }
    out
}

/// Import the rendered `obs/` of `rendered` into a manifest with only the project of
/// `manifest`, render, and return the paths whose content differs from `rendered`'s.
fn round_trip(manifest: &Path, rendered: &Path) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(manifest).unwrap();
    std::fs::write(tmp.path().join("packages.toml"), project_only(&text)).unwrap();
    let templates = manifest.parent().unwrap().join("templates");
    if templates.is_dir() {
        copy_into(&templates, &tmp.path().join("templates"));
    }
    let dirs = spec_dirs(&rendered.join("obs"));
    assert!(!dirs.is_empty(), "no spec under {}", rendered.display());
    let mut args = vec!["import".to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.push("--write".to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&pkgforge(tmp.path(), &args));
    ok(&pkgforge(tmp.path(), &["-q", "render"]));
    let want = outputs(rendered);
    let got = outputs(tmp.path());
    let mut differ: Vec<String> = want
        .keys()
        .chain(got.keys())
        .filter(|k| want.get(*k) != got.get(*k))
        .cloned()
        .collect();
    differ.sort();
    differ.dedup();
    differ
}

/// `differ` is exactly what `allowed` (parts of paths) lists: nothing else differs, and
/// every listed part still does.
#[track_caller]
fn only_listed(what: &str, differ: &[String], allowed: &[&str]) {
    let unlisted: Vec<&String> = differ
        .iter()
        .filter(|d| !allowed.iter().any(|a| d.contains(a)))
        .collect();
    assert!(
        unlisted.is_empty(),
        "{what}: the import renders other files: {unlisted:#?}"
    );
    let stale: Vec<&&str> = allowed
        .iter()
        .filter(|a| !differ.iter().any(|d| d.contains(**a)))
        .collect();
    assert!(
        stale.is_empty(),
        "{what}: listed differences that no longer differ: {stale:#?}"
    );
}

/// Golden cases with OBS specs, and what the import cannot bring back: kiwi images and
/// the rootfs they build (no import of kiwi descriptions), archived series.
const CASES: &[(&str, &[&str])] = &[
    ("conventions", &[]),
    ("deb-signed-tarball", &[]),
    (
        "image-package",
        &[
            // the images and their image packages are not imported
            "obs/_meta/packages/",
            "/guest-rootfs-",
        ],
    ),
    (
        "image-disk",
        &[
            // the images and their image packages are not imported
            "obs/_meta/packages/",
            "/guest-rootfs-",
        ],
    ),
    (
        "kiwi-default-base",
        &[
            // the images and their image packages are not imported
            "obs/_meta/packages/",
            "/debug-image-",
            "/guest-image-",
            // the kiwi build root lines of the prjconf come with the Fedora images
            "obs/_meta/home:runtime.prjconf",
        ],
    ),
    ("per-distro", &[]),
    ("prerelease-noarch", &[]),
    ("services-server-mixed", &[]),
    ("services-server-suse", &[]),
    (
        "spec-example",
        &[
            // archived series and the rootfs image are not imported
            "obs/_archive/",
            "obs/_meta/devel:kubic:katacontainers:archive:3.0.",
            "obs/_meta/packages/",
            "/kata-containers-image-",
            // the kiwi build root lines of the prjconf come with the Fedora image
            "obs/_meta/devel:kubic:katacontainers.prjconf",
        ],
    ),
];

#[test]
fn every_golden_case_with_a_spec_renders_the_same_after_import() {
    for (name, allowed) in CASES {
        let case = repo().join("tests/cases").join(name);
        let differ = round_trip(&case.join("packages.toml"), &case.join("expected"));
        only_listed(name, &differ, allowed);
    }
}

/// The cases left out of the round trip have no spec: Debian-only packages and kiwi
/// images, which import does not read.
#[test]
fn the_cases_left_out_have_no_spec() {
    let listed: Vec<&str> = CASES.iter().map(|(n, _)| *n).collect();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let has_spec = !spec_dirs(&case.join("expected/obs")).is_empty();
        assert_eq!(
            has_spec,
            listed.contains(&name.as_str()),
            "{name}: list it in CASES (it has a spec) or explain why not"
        );
    }
}

#[test]
fn the_bundled_manifest_renders_the_same_after_import() {
    let differ = round_trip(&repo().join("packages.toml"), &repo());
    only_listed(
        "bundled",
        &differ,
        &[
            // kiwi images and their image packages: not imported
            "obs/_meta/packages/",
            "/kata-containers-image-",
            // the kiwi build root lines of the prjconf come with the Fedora image
            "obs/_meta/devel:kubic:katacontainers.prjconf",
            // the runtime's Debian 12 blocks of debian.rules are reported, not imported
            "obs/kata-runtime/debian.",
            "debian/debian-12/kata-runtime/debian/",
        ],
    );
}

/// `--define`s for a target, as the distro's rpm has them.
fn defines(target: &str) -> Vec<String> {
    let mut v: Vec<String> = match target {
        "opensuse-tumbleweed" => vec!["suse_version 1699", "is_opensuse 1"],
        "opensuse-leap-15.6" => vec!["suse_version 1500", "sle_version 150600", "is_opensuse 1"],
        "fedora-41" => vec!["fedora 41", "dist .fc41"],
        "centos-stream-9" => vec!["rhel 9", "centos 9", "dist .el9"],
        _ => panic!("no defines for {target}"),
    }
    .into_iter()
    .map(str::to_string)
    .collect();
    v.push("_docdir /usr/share/doc/packages".to_string());
    v.push("_unitdir /usr/lib/systemd/system".to_string());
    v
}

fn rpmspec(target: &str, args: &[&str], spec: &Path) -> String {
    let mut cmd = Command::new(tool("rpmspec"));
    for d in defines(target) {
        cmd.arg("--define").arg(d);
    }
    must(cmd.args(args).arg(spec), "rpmspec")
}

/// Requirements, sorted, without those on packages of the same spec (pkgforge pins a
/// subpackage to its main package itself) and rpmlib's.
fn requirements(text: &str, own: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("rpmlib("))
        .filter(|l| {
            let name = l.split([' ', '(']).next().unwrap_or_default();
            !own.contains(&name)
        })
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// The `%files` entries of each binary package, without `%dir` lines (pkgforge owns
/// the package's directories itself), sorted.
fn file_lists(evaluated: &str, main: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in evaluated.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("%files") {
            let rest = rest.trim();
            current = Some(match rest {
                "" => main.to_string(),
                r if r.starts_with("-n ") => r[3..].trim().to_string(),
                r => format!("{main}-{r}"),
            });
            continue;
        }
        if l.starts_with('%')
            && !l.starts_with("%config")
            && !l.starts_with("%license")
            && !l.starts_with("%dir")
            && !l.starts_with("%{")
        {
            current = None;
            continue;
        }
        if let Some(c) = &current {
            if !l.is_empty() && !l.starts_with("%dir") {
                out.entry(c.clone()).or_default().push(l.to_string());
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

const TARGETS: &[&str] = &[
    "opensuse-tumbleweed",
    "opensuse-leap-15.6",
    "fedora-41",
    "centos-stream-9",
];

const ADOPTER: &str = "# A project that adopts pkgforge.
[project]
name = \"greetings\"
maintainer = \"Greet Packagers <greet@example.org>\"
license = \"MIT\"
obs-project = \"home:greet\"
targets = [\"opensuse-tumbleweed\", \"opensuse-leap-15.6\", \"fedora-41\", \"centos-stream-9\"]
archs = [\"x86_64\"]
";

#[test]
fn hand_written_specs_keep_requirements_and_files_per_target() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("packages.toml"), ADOPTER).unwrap();
    let suse = repo().join("tests/import/suse/greet");
    let fedora = repo().join("tests/import/fedora/hellofed");
    let o = pkgforge(
        tmp.path(),
        &[
            "import",
            suse.to_str().unwrap(),
            fedora.to_str().unwrap(),
            "--write",
        ],
    );
    ok(&o);
    // the %check section has no manifest key: reported at its line
    assert!(
        stderr(&o).contains("tests/import/suse/greet/greet.spec:59: section `%check` has no manifest key; not imported"),
        "{}",
        stderr(&o)
    );
    ok(&pkgforge(tmp.path(), &["-q", "render"]));
    for (dir, main, own) in [
        (&suse, "greet", &["greet", "greet-doc", "greet-devel"][..]),
        (&fedora, "hellofed", &["hellofed", "hellofed-libs"][..]),
    ] {
        let original = dir.join(format!("{main}.spec"));
        let rendered = tmp.path().join(format!("obs/{main}/{main}.spec"));
        for t in TARGETS {
            let req = |s: &Path| requirements(&rpmspec(t, &["-q", "--requires"], s), own);
            assert_eq!(req(&original), req(&rendered), "{main} on {t}: Requires");
            let breq =
                |s: &Path| requirements(&rpmspec(t, &["-q", "--srpm", "--requires"], s), own);
            assert_eq!(
                breq(&original),
                breq(&rendered),
                "{main} on {t}: BuildRequires"
            );
            let files = |s: &Path| file_lists(&rpmspec(t, &["-P"], s), main);
            let want = files(&original);
            assert!(!want.is_empty(), "{main}: no %files read");
            assert_eq!(want, files(&rendered), "{main} on {t}: files");
        }
    }
    // the patches are copied beside the manifest
    for p in [
        "patches/greet/greet-fix-typo.patch",
        "patches/hellofed/0001-build-fix.patch",
    ] {
        assert!(tmp.path().join(p).is_file(), "{p}");
    }
    // the per-target differences became [names] entries and an override
    let manifest = std::fs::read_to_string(tmp.path().join("packages.toml")).unwrap();
    assert!(
        manifest.contains("[names.libcurl4]\nrhel = \"libcurl\"\n"),
        "{manifest}"
    );
    assert!(manifest.contains("[packages.distro.\"opensuse-leap-15.6\"]\nbuild-requires = [\"gcc\", \"make\", \"libcurl-devel\", \"pkgconfig(zlib)\"]\n"), "{manifest}");
}

/// A manifest with comments, a package and a [toolchains] table the import adds to.
const EXISTING: &str = "# Our packages.
[project]
name = \"tools\"   # the OBS project's short name
maintainer = \"Tool Packagers <tool@example.org>\"
license = \"MIT\"
obs-project = \"home:tool\"
targets = [\"opensuse-tumbleweed\", \"opensuse-leap-15.6\"]
archs = [\"x86_64\"]
services = \"server\"

[toolchains]
rust = \"1.80\"   # keep in step with the distros

# The first package.
[upstreams.old]
tarball = \"https://example.org/old-{version}.tar.gz\"
sha256 = \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"
version = \"1.0\"

[[packages]]
name = \"old\"
upstream = \"old\"
summary = \"An old tool\"
description = \"It was here first.\"
files = [\"/usr/bin/old\"]
";

const EXISTING_CHANGELOG: &str = "# newest first
[[entry]]
upstream = \"old\"
version = \"1.0\"
date = \"2026-12-01T00:00:00Z\"
author = \"Tool Packagers <tool@example.org>\"
changes = [\"Initial package\"]
";

#[test]
fn write_keeps_the_manifest_bytes_outside_the_added_entries() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("packages.toml"), EXISTING).unwrap();
    std::fs::write(tmp.path().join("changelog.toml"), EXISTING_CHANGELOG).unwrap();
    let dir = repo().join("tests/cases/services-server-suse/expected/obs/suse-tool");
    ok(&pkgforge(
        tmp.path(),
        &["import", dir.to_str().unwrap(), "--write"],
    ));
    let manifest = std::fs::read_to_string(tmp.path().join("packages.toml")).unwrap();
    // go is added to the existing [toolchains] table, every other byte stays
    let edited = EXISTING.replace(
        "rust = \"1.80\"   # keep in step with the distros\n",
        "rust = \"1.80\"   # keep in step with the distros\ngo = \"1.22\"\n",
    );
    assert!(
        manifest.starts_with(&format!("{edited}\n[upstreams.suse-tool]\n")),
        "{manifest}"
    );
    assert!(
        manifest.ends_with("files = [\"/usr/bin/suse-tool\"]\n"),
        "{manifest}"
    );
    // the imported entry is older than the existing one: it goes after it
    let changelog = std::fs::read_to_string(tmp.path().join("changelog.toml")).unwrap();
    assert_eq!(
        changelog,
        format!(
            "{EXISTING_CHANGELOG}\n[[entry]]\nupstream = \"suse-tool\"\nversion = \"0.9.0\"\n\
             date = \"2026-11-20T12:00:00Z\"\nauthor = \"Tool Packagers <tool@example.org>\"\n\
             changes = [\"Initial package\"]\n"
        )
    );
    ok(&pkgforge(tmp.path(), &["check"]));
}

/// A directory's files: (name, text).
type Files = &'static [(&'static str, &'static str)];

/// Each bad directory: its files, and the error, verbatim.
const BAD: &[(&str, Files, &str)] = &[
    (
        "broken",
        &[(
            "broken.spec",
            "Name:           broken\nVersion:        1.0\nRelease:        0\nSummary:        s\n\
             License:        MIT\n%if 0%{?suse_version}\nRequires:       foo\n\n%description\nd\n\n%files\n",
        )],
        "error: rpm cannot parse this spec for opensuse-tumbleweed: line 6: Unclosed %if
 --> broken/broken.spec:6:1
  |
6 | %if 0%{?suse_version}
  | ^^^^^^^^^^^^^^^^^^^^^
  = help: fix the spec so `rpmspec -P` reads it, then import again
",
    ),
    (
        "empty",
        &[("README", "no spec here\n")],
        "error: no spec file in this package directory
 --> empty
  = help: pkgforge import reads OBS package directories: give the one with the *.spec
",
    ),
    (
        "unknown",
        &[
            (
                "unknown.spec",
                "Name: unknown\nVersion: 1\nRelease: 0\nSummary: s\nLicense: MIT\n%description\nd\n%files\n",
            ),
            (
                "_service",
                "<services>\n  <service name=\"obs_scm\">\n    <param name=\"url\">https://example.org/u.git</param>\n  </service>\n  <service name=\"frobnicate\"/>\n</services>\n",
            ),
        ],
        "error: unknown service `frobnicate`: pkgforge cannot express it
 --> unknown/_service:5:3
  |
5 |   <service name=\"frobnicate\"/>
  |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = note: known services: obs_scm, tar_scm, download_files, verify_file, set_version, tar, recompress, go_modules, cargo_vendor, cargo_audit
  = help: remove the service, import, and add what it did by hand
",
    ),
];

#[test]
fn bad_input_is_refused_at_its_file_and_line_and_nothing_is_written() {
    for (name, files, error) in BAD {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("packages.toml"), ADOPTER).unwrap();
        for (f, text) in *files {
            let p = tmp.path().join(name).join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let before = snapshot(tmp.path());
        let o = pkgforge(tmp.path(), &["import", name, "--write"]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert_eq!(stderr(&o), *error, "{name}");
        assert_eq!(
            snapshot(tmp.path()),
            before,
            "{name}: something was written"
        );
    }
}

#[test]
fn without_write_the_entries_are_printed_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("packages.toml"), ADOPTER).unwrap();
    let before = snapshot(tmp.path());
    let dir = repo().join("tests/import/fedora/hellofed");
    let out = ok(&pkgforge(tmp.path(), &["import", dir.to_str().unwrap()]));
    assert!(out.starts_with("# packages.toml\n[upstreams.hellofed]\ntarball = \"https://example.org/hellofed/archive/v{version}/hellofed-{version}.tar.gz\"\n"), "{out}");
    assert!(
        out.contains("\n# changelog.toml\n[[entry]]\nupstream = \"hellofed\"\nversion = \"1.3\"\n"),
        "{out}"
    );
    assert_eq!(snapshot(tmp.path()), before);
}

/// A `debian/` directory is read as the debtransform files are: the same entries.
#[test]
fn a_debian_directory_reads_as_the_debtransform_files() {
    let flat = repo().join("tests/cases/spec-example/expected/obs/kata-runtime");
    let nested = tempfile::tempdir().unwrap();
    let pkg = nested.path().join("kata-runtime");
    std::fs::create_dir_all(pkg.join("debian")).unwrap();
    for (rel, bytes) in snapshot(&flat) {
        let name = rel.to_string_lossy().to_string();
        let to = match name.strip_prefix("debian.") {
            Some(rest) => pkg.join("debian").join(rest),
            None => pkg.join(&name),
        };
        std::fs::write(to, bytes).unwrap();
    }
    assert!(pkg.join("debian/control").is_file());
    let case = std::fs::read_to_string(repo().join("tests/cases/spec-example/packages.toml"));
    let entries = |dir: &Path| {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("packages.toml"),
            project_only(case.as_ref().unwrap()),
        )
        .unwrap();
        ok(&pkgforge(tmp.path(), &["import", dir.to_str().unwrap()]))
    };
    let from_flat = entries(&flat);
    assert!(from_flat.contains("section = \"admin\"\n"), "{from_flat}");
    assert_eq!(entries(&pkg), from_flat);
}

/// Imported in place (the checkout at `obs/<package>/`), `pkgforge diff` then shows
/// what rendering changes in the original files, and `render` makes them pkgforge's.
#[test]
fn diff_after_write_shows_the_changes_to_the_original_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("packages.toml"), ADOPTER).unwrap();
    copy_into(
        &repo().join("tests/import/suse/greet"),
        &tmp.path().join("obs/greet"),
    );
    ok(&pkgforge(tmp.path(), &["import", "obs/greet", "--write"]));
    let diff = ok(&pkgforge(tmp.path(), &["diff"]));
    assert!(
        diff.contains("--- a/obs/greet/greet.spec\n+++ b/obs/greet/greet.spec\n"),
        "{diff}"
    );
    assert!(
        diff.contains(
            "-# Written in the style openSUSE packages use, for pkgforge's import tests.\n"
        ),
        "{diff}"
    );
    ok(&pkgforge(tmp.path(), &["-q", "render"]));
    ok(&pkgforge(tmp.path(), &["render", "--check"]));
}

/// An image package is the render of a `[[rootfs]]`, not a package of its own: import
/// leaves it out and says so, naming the kiwi description beside it.
#[test]
fn an_image_package_is_reported_not_imported() {
    let case = repo().join("tests/cases/kiwi-three-families");
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(case.join("packages.toml")).unwrap();
    std::fs::write(tmp.path().join("packages.toml"), project_only(&text)).unwrap();
    let before = snapshot(tmp.path());
    let pkg = case.join("expected/obs/guest-image-debian-12-pkg");
    let out = pkgforge(tmp.path(), &["import", pkg.to_str().unwrap(), "--write"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let kiwi = case.join("expected/obs/guest-image-debian-12/guest-image.kiwi");
    assert!(
        stderr.contains(&format!(
            "{}: the image package of the kiwi description {}: import reads no kiwi \
             descriptions; add its [[rootfs]] by hand",
            pkg.display(),
            kiwi.display()
        )),
        "{stderr}"
    );
    assert_eq!(snapshot(tmp.path()), before, "nothing was imported");
}
