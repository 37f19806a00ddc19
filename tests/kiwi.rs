//! Guest root filesystems: kiwi descriptions checked by kiwi itself (PyPI `kiwi`, through
//! tests/tools/check_kiwi.py), `_multibuild` by xmllint with OBS's grammar, golden cases,
//! the default-base table, the rootfs diagnostics, and (marked ignored, run by scripts/test.sh) a real
//! `kiwi-ng system prepare` of a Debian description from the Debian mirror.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;

/// kiwi's own loader and obs-build's view of the magic comments, over `files`, with
/// both kiwis: PyPI's current one, which converts the 7.5 schema forward, and kiwi
/// 9.24.56, the one Debian 12 ships, which must load every description as it is (schema
/// 7.5, no conversion). `XMLState.get_package_manager()` must be what each kiwi makes of
/// the base's package manager: dnf4 (kiwi 11) and dnf (kiwi 9.24) for Fedora's dnf5 and
/// CentOS Stream's dnf4.
#[track_caller]
fn check_kiwi(files: &[PathBuf]) {
    assert!(!files.is_empty(), "no .kiwi files to check");
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.contains("<image schemaversion=\"7.5\""),
            "{} is not in schema 7.5:\n{text}",
            f.display()
        );
    }
    for (python, kiwi) in [(python(), Kiwi::Current), (kiwi9_python(), Kiwi::Debian12)] {
        let (ok, out) = run(Command::new(python)
            .arg(repo().join("tests/tools/check_kiwi.py"))
            .args(files));
        assert!(ok, "{kiwi:?} refuses a description:\n{out}");
        for f in files {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("OK {} (", f.display())))
                .unwrap_or_else(|| panic!("{kiwi:?}: no OK line for {}:\n{out}", f.display()));
            assert!(line.contains(", schemaversion 7.5, "), "{kiwi:?}: {line}");
            let pm = expected_package_manager(f, kiwi);
            assert!(
                line.ends_with(&format!(", packagemanager {pm})")),
                "{kiwi:?}: want package manager {pm}: {line}"
            );
            match kiwi {
                Kiwi::Current => assert!(!line.contains("(kiwi 9."), "{line}"),
                Kiwi::Debian12 => assert!(line.contains("(kiwi 9.24.56, "), "{line}"),
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kiwi {
    /// PyPI's current release (kiwi 11).
    Current,
    /// kiwi 9.24.56, Debian 12's.
    Debian12,
}

/// The package manager kiwi reads from the description in `obs/<rootfs>-<base>/`: apt,
/// zypper, or 7.5's `dnf`, which kiwi 10 and later convert to `dnf4`.
fn expected_package_manager(kiwi_file: &Path, kiwi: Kiwi) -> &'static str {
    let dir = kiwi_file
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let family = |f: &str| dir.contains(&format!("-{f}-")) || dir.ends_with(&format!("-{f}"));
    if family("fedora") || family("centos") {
        match kiwi {
            Kiwi::Current => "dnf4",
            Kiwi::Debian12 => "dnf",
        }
    } else if family("opensuse") || family("sle") {
        "zypper"
    } else if family("debian") || family("ubuntu") {
        "apt"
    } else {
        panic!("no known base in {dir}")
    }
}

/// The Python of `.venv-kiwi9`, where scripts/test.sh installs PyPI `kiwi==9.24.56`
/// (Debian 12's kiwi); `PKGFORGE_KIWI9_PYTHON` points elsewhere.
fn kiwi9_python() -> PathBuf {
    let p = match std::env::var_os("PKGFORGE_KIWI9_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => repo().join(".venv-kiwi9/bin/python"),
    };
    assert!(
        p.is_file(),
        "no Python with kiwi 9.24.56 at {} (set PKGFORGE_KIWI9_PYTHON or run scripts/test.sh, which creates .venv-kiwi9)",
        p.display()
    );
    p
}

/// Every base gets schema 7.5, which kiwi 9.24 (Debian 12's) reads without converting and
/// kiwi 11 converts: Fedora's dnf5 and CentOS Stream's dnf4 are 7.5's `dnf`, which kiwi
/// 11 reads as dnf4, and the agent file is an `<archive>` (kiwi 10's `<file>` needs 8.x).
#[test]
fn descriptions_load_with_the_kiwi_of_their_base() {
    let three = render_case(&case("kiwi-three-families"));
    let centos = render_case(&case("kiwi-default-base"));
    let mut files = named(&three.path().join("obs"), ".kiwi");
    files.extend(named(&centos.path().join("obs"), ".kiwi"));
    for base in ["fedora-41", "centos-stream-9"] {
        let f = files
            .iter()
            .find(|f| {
                f.to_string_lossy()
                    .contains(&format!("guest-image-{base}/"))
            })
            .unwrap_or_else(|| panic!("no {base} description in {files:?}"));
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.contains("<packagemanager>dnf</packagemanager>"),
            "{text}"
        );
    }
    let fedora = std::fs::read_to_string(
        three
            .path()
            .join("obs/guest-image-fedora-41/guest-image.kiwi"),
    )
    .unwrap();
    // kiwi's dnf4 runs dnf-3 inside the image root too: the bootstrap installs it after
    // the manifest's own bootstrap list.
    assert!(
        fedora.contains(
            "    <package name=\"ca-certificates\"/>\n    <package name=\"python3-dnf\"/>\n  </packages>\n  <packages type=\"image\">"
        ),
        "{fedora}"
    );
    let centos_text = std::fs::read_to_string(
        centos
            .path()
            .join("obs/guest-image-centos-stream-9/guest-image.kiwi"),
    )
    .unwrap();
    assert!(!centos_text.contains("python3-dnf"), "{centos_text}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains("<file "), "{}: {text}", f.display());
    }
    check_kiwi(&files);
}

/// The agent given as a `file` reaches the image as `<agent-name>.tar` beside the
/// description: one entry at the agent's path, mode 0755, root-owned, the file's bytes,
/// and the same bytes on every render. The raw file is no longer in the kiwi package.
#[test]
fn agent_file_ships_as_a_deterministic_tar() {
    let c = case("kiwi-three-families");
    let agent = std::fs::read(c.join("agent/guest-agent")).unwrap();
    let first = render_case(&c);
    let second = render_case(&c);
    for base in ["opensuse-tumbleweed", "fedora-41", "debian-12"] {
        let pkg = format!("obs/guest-image-{base}");
        let dir = first.path().join(&pkg);
        assert!(
            !dir.join("guest-agent").exists(),
            "{base}: the raw agent file"
        );
        let text = std::fs::read_to_string(dir.join("guest-image.kiwi")).unwrap();
        assert!(
            text.contains("    <archive name=\"guest-agent.tar\"/>\n  </packages>"),
            "{text}"
        );
        let bytes = std::fs::read(dir.join("guest-agent.tar")).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(second.path().join(&pkg).join("guest-agent.tar")).unwrap(),
            "{base}: the archive differs between two renders"
        );
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut entries = Vec::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let h = e.header().clone();
            assert_eq!(h.entry_type(), tar::EntryType::Regular);
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            entries.push(format!(
                "{} mode {:o} {}:{} {}:{} mtime {}",
                e.path().unwrap().display(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.username().unwrap().unwrap(),
                h.groupname().unwrap().unwrap(),
                h.mtime().unwrap(),
            ));
            assert_eq!(data, agent, "{base}: the agent's bytes");
        }
        assert_eq!(
            entries,
            ["usr/libexec/guest-agent mode 755 0:0 root:root mtime 0"],
            "{base}"
        );
        // GNU tar, as kiwi runs it, reads the same.
        let listed = must(
            Command::new("tar")
                .arg("-tvf")
                .arg(dir.join("guest-agent.tar")),
            "tar -tvf",
        );
        assert!(
            listed.starts_with("-rwxr-xr-x root/root ")
                && listed.trim_end().ends_with(" usr/libexec/guest-agent"),
            "{listed}"
        );
    }
}

/// The kiwi build of a Fedora image runs dnf-3 on the build host: the project's build
/// configuration adds `python3-dnf` to what `kiwi-packagemanager:dnf` brings into the kiwi
/// build root of each Fedora repository that builds an image, and obs-build reads it so.
#[test]
fn prjconf_adds_dnf3_to_the_kiwi_build_root_of_fedora() {
    let tmp = render_case(&case("kiwi-three-families"));
    let prjconf = std::fs::read_to_string(tmp.path().join("obs/_meta/home:guest.prjconf")).unwrap();
    let line = "Substitute: kiwi-packagemanager:dnf kiwi-packagemanager:dnf python3-dnf";
    assert!(
        prjconf.contains(&format!(
            "# Fedora 41\n%if \"%_repository\" == \"Fedora_41\"\n{line}\n%endif\n"
        )),
        "{prjconf}"
    );
    assert_eq!(prjconf.matches(line).count(), 1, "{prjconf}");
    // What obs-build's Build::get_sysbuild makes of the dependency Build/Kiwi.pm adds.
    let obs_build = tool("queryconfig").parent().unwrap().to_path_buf();
    for (repository, want) in [
        ("Fedora_41", "kiwi-packagemanager:dnf python3-dnf"),
        ("openSUSE_Tumbleweed", "kiwi-packagemanager:dnf"),
    ] {
        let dist = tmp.path().join(format!("{repository}.conf"));
        std::fs::write(
            &dist,
            format!("%define _repository {repository}\n{prjconf}"),
        )
        .unwrap();
        let out = must(
            Command::new("perl")
                .arg("-I")
                .arg(&obs_build)
                .args([
                    "-MBuild",
                    "-e",
                    "my $c = Build::read_config('x86_64', $ARGV[0]); \
                     print join(' ', Build::do_subst($c, 'kiwi-packagemanager:dnf')), \"\\n\";",
                ])
                .arg(&dist),
            "perl Build::do_subst",
        );
        assert_eq!(out.trim(), want, "{repository}");
    }
    // CentOS Stream's own package manager is dnf4: its kiwi build root has dnf-3.
    let centos = render_case(&case("kiwi-default-base"));
    let prjconf = std::fs::read_to_string(
        named(&centos.path().join("obs/_meta"), ".prjconf")
            .first()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        prjconf.matches("python3-dnf").count(),
        1,
        "only the Fedora base's repository: {prjconf}"
    );
}

#[track_caller]
fn check_multibuild(files: &[PathBuf]) {
    let rng = repo().join("tests/schemas/obs/multibuild.rng");
    for f in files {
        let (ok, out) = run(Command::new(tool("xmllint"))
            .args(["--noout", "--relaxng"])
            .arg(&rng)
            .arg(f));
        assert!(ok, "{} is not a valid _multibuild:\n{out}", f.display());
    }
}

fn named(dir: &Path, suffix: &'static str) -> Vec<PathBuf> {
    files_where(dir, |p| {
        p.to_string_lossy().ends_with(suffix)
            && !p.components().any(|c| c.as_os_str() == "expected")
    })
}

fn case(name: &str) -> PathBuf {
    repo().join("tests/cases").join(name)
}

/// A case rendered into a temporary directory, without comparing it.
fn render_case(case: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(case, tmp.path());
    let _ = std::fs::remove_dir_all(tmp.path().join("expected"));
    ok(&pkgforge(tmp.path(), &["render", "-q"]));
    tmp
}

/// A project from manifest text (and an empty changelog unless packages need entries).
fn project(manifest: &str, changelog: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("packages.toml"), manifest).unwrap();
    std::fs::write(tmp.path().join("changelog.toml"), changelog).unwrap();
    tmp
}

/// The descriptions of the bundled manifest (the repository root) and of
/// contrib/packaging, as committed.
#[test]
fn bundled_descriptions_load_with_kiwi() {
    let kiwis = named(&repo().join("obs"), ".kiwi");
    let bases: Vec<String> = kiwis
        .iter()
        .map(|p| {
            p.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    for base in ["opensuse-tumbleweed", "fedora-41", "debian-12"] {
        assert!(
            bases.contains(&format!("kata-containers-image-{base}")),
            "the bundled guest image on {base} is missing: {bases:?}"
        );
    }
    // contrib/packaging renders no image today; its descriptions are checked when it does.
    let mut all = kiwis;
    all.extend(named(&repo().join("contrib/packaging"), ".kiwi"));
    check_kiwi(&all);
    check_multibuild(&named(&repo().join("obs"), "/_multibuild"));
}

#[test]
fn every_case_description_loads_with_kiwi() {
    let mut kiwis = 0;
    let mut multibuilds = 0;
    for c in cases() {
        let tmp = render_case(&c);
        let k = named(tmp.path(), ".kiwi");
        let m = named(tmp.path(), "/_multibuild");
        kiwis += k.len();
        multibuilds += m.len();
        if !k.is_empty() {
            check_kiwi(&k);
        }
        check_multibuild(&m);
    }
    assert!(kiwis >= 9, "only {kiwis} descriptions among the cases");
    assert!(
        multibuilds >= 2,
        "only {multibuilds} _multibuild files among the cases"
    );
}

#[test]
fn golden_three_families() {
    let tmp = golden(&case("kiwi-three-families"));
    let dir = tmp.path().join("obs");
    for base in ["opensuse-tumbleweed", "fedora-41", "debian-12"] {
        let pkg = dir.join(format!("guest-image-{base}"));
        assert!(pkg.join("guest-image.kiwi").is_file(), "{base}");
        assert!(pkg.join("config.sh").is_file(), "{base}");
        assert!(
            pkg.join("guest-agent.tar").is_file(),
            "{base}: the agent's archive ships in the OBS package"
        );
        assert!(!pkg.join("guest-agent").exists(), "{base}");
    }
    check_kiwi(&named(&dir, ".kiwi"));
}

#[test]
fn golden_versions_and_archs() {
    let tmp = golden(&case("kiwi-versions-archs"));
    let dir = tmp.path().join("obs");
    check_kiwi(&named(&dir, ".kiwi"));
    let multibuild = named(&dir, "/_multibuild");
    assert_eq!(multibuild.len(), 4, "one _multibuild per base");
    check_multibuild(&multibuild);
    let kiwi = std::fs::read_to_string(dir.join("pipeline-rootfs-fedora-42/pipeline-rootfs.kiwi"))
        .unwrap();
    assert!(
        kiwi.contains("<!-- OBS-ExclusiveArch: x86_64 aarch64 s390x ppc64le -->"),
        "{kiwi}"
    );
    assert!(
        kiwi.contains("<!-- OBS-Profiles: @BUILD_FLAVOR@ -->"),
        "{kiwi}"
    );
}

#[test]
fn golden_default_base() {
    let c = case("kiwi-default-base");
    let tmp = golden(&c);
    check_kiwi(&named(&tmp.path().join("obs"), ".kiwi"));
    // Each per-target spec requires the image of the target's default base.
    let requires = |target: &str| {
        let spec =
            std::fs::read_to_string(tmp.path().join(format!("rpm/{target}/runtime-config.spec")))
                .unwrap();
        spec.lines()
            .filter(|l| l.starts_with("Requires:"))
            .map(|l| l.trim_start_matches("Requires:").trim().to_string())
            .collect::<Vec<_>>()
    };
    // SLE falls back to an openSUSE base and CentOS (whose own image may fail) to
    // Fedora, by group, before the first base.
    for (target, guest) in [
        ("opensuse-tumbleweed", "guest-image-opensuse-leap-15.6"),
        ("opensuse-leap-15.6", "guest-image-opensuse-leap-15.6"),
        ("sle-15-sp6", "guest-image-opensuse-leap-15.6"),
        ("fedora-41", "guest-image-fedora-41"),
        ("centos-stream-9", "guest-image-fedora-41"),
    ] {
        let r = requires(target);
        assert!(r.contains(&guest.to_string()), "{target}: {r:?}");
        assert!(
            r.contains(&"debug-image-fedora-41".to_string()),
            "{target}: {r:?}"
        );
    }
}

/// Ubuntu falls back to a Debian base by group; without a base of the target's package
/// format, only `default-base` gives a target another format's image.
#[test]
fn debian_targets_get_debian_images_unless_default_base_says_otherwise() {
    let tmp = golden(&case("kiwi-default-base"));
    for target in ["debian-12", "ubuntu-24.04"] {
        let control = std::fs::read_to_string(
            tmp.path()
                .join(format!("debian/{target}/runtime-config/debian/control")),
        )
        .unwrap();
        assert!(control.contains("guest-image-debian-12"), "{control}");
        // debug-image names fedora-41 as its default-base
        assert!(control.contains("debug-image-fedora-41"), "{control}");
    }
    let manifest = |bases: &str, default_base: &str| {
        format!(
            "[project]\nname = \"p\"\nmaintainer = \"P <p@example.org>\"\nobs-project = \"home:p\"\n\
             targets = [\"fedora-41\", \"centos-stream-9\", \"debian-12\", \"ubuntu-24.04\"]\narchs = [\"x86_64\"]\n\n\
             [[packages]]\nname = \"runner\"\nupstream = \"u\"\nsummary = \"Runner\"\ndescription = \"Runs guests.\"\n\
             requires = [\"guest\"]\nfiles = [\"/usr/bin/runner\"]\n\n\
             [upstreams.u]\ngit = \"https://example.org/u.git\"\nversion = \"1.0.0\"\ncommit = \"0123456789abcdef0123456789abcdef01234567\"\n\n\
             [[rootfs]]\nname = \"guest\"\nsummary = \"Guest\"\nversion = \"1.0.0\"\nbases = {bases}\npackages = [\"systemd\"]\n{default_base}"
        )
    };
    let changelog = "[[entry]]\nupstream = \"u\"\nversion = \"1.0.0\"\ndate = \"2026-11-01T00:00:00Z\"\nauthor = \"P <p@example.org>\"\nchanges = [\"Initial package\"]\n";
    // rpm bases only: the Debian and Ubuntu targets have no image of their format
    let p = project(&manifest("[\"fedora-41\"]", ""), changelog);
    let out = pkgforge(p.path(), &["render", "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: rootfs `guest` has no deb base, but packages of debian-12, ubuntu-24.04 require it"),
        "{}",
        stderr(&out)
    );
    assert!(!p.path().join("obs").exists());
    // default-base says so: the Debian packages require the Fedora image
    let p = project(
        &manifest("[\"fedora-41\"]", "default-base = \"fedora-41\"\n"),
        changelog,
    );
    ok(&pkgforge(p.path(), &["render", "-q"]));
    let control =
        std::fs::read_to_string(p.path().join("debian/ubuntu-24.04/runner/debian/control"))
            .unwrap();
    assert!(control.contains("guest-fedora-41"), "{control}");
    // with a Debian base, Ubuntu gets it by group and CentOS gets Fedora's
    let p = project(&manifest("[\"fedora-41\", \"debian-12\"]", ""), changelog);
    let table = ok(&pkgforge(p.path(), &["distros"]));
    for row in [
        "guest   centos-stream-9  fedora-41  same group   guest-fedora-41",
        "guest   ubuntu-24.04     debian-12  same group   guest-debian-12",
    ] {
        assert!(table.contains(row), "{row}\n{table}");
    }
}

/// The table `pkgforge distros` prints for a manifest with rootfs, against
/// `tests/cases/kiwi-default-base/default-bases.txt` (re-blessed with PKGFORGE_BLESS=1).
#[test]
fn default_base_table() {
    let c = case("kiwi-default-base");
    let out = ok(&pkgforge(&c, &["distros"]));
    let table = &out[out.find("ROOTFS").expect("the default-base table")..];
    let expected_path = c.join("default-bases.txt");
    if std::env::var_os("PKGFORGE_BLESS").is_some() {
        std::fs::write(&expected_path, table).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    if expected != table {
        let diff = similar::TextDiff::from_lines(&expected, table);
        panic!(
            "the default-base table differs (re-bless with PKGFORGE_BLESS=1):\n{}",
            diff.unified_diff()
                .header("default-bases.txt", "pkgforge distros")
        );
    }
}

#[test]
fn distros_without_rootfs_prints_no_table() {
    let tmp = project(
        "[project]\nname = \"p\"\nmaintainer = \"P <p@example.org>\"\nobs-project = \"home:p\"\ntargets = [\"debian-12\"]\n",
        "",
    );
    let out = ok(&pkgforge(tmp.path(), &["distros"]));
    assert!(!out.contains("ROOTFS"), "{out}");
}

/// `--distro` writes the images a selected target's packages ship, and its base's own.
#[test]
fn distro_selection_writes_the_images_a_target_ships() {
    let tmp = copy_tree(&case("kiwi-default-base"));
    let _ = std::fs::remove_dir_all(tmp.path().join("expected"));
    ok(&pkgforge(
        tmp.path(),
        &["render", "-q", "--distro", "centos-stream-9"],
    ));
    let obs = tmp.path().join("obs");
    // CentOS's own image may fail, so its packages get Fedora's, by group
    for written in [
        "guest-image-fedora-41",
        "guest-image-centos-stream-9",
        "debug-image-fedora-41",
    ] {
        assert!(obs.join(written).is_dir(), "{written} not written");
    }
    for skipped in [
        "guest-image-debian-12",
        "guest-image-opensuse-leap-15.6",
        "debug-image-debian-12",
    ] {
        assert!(
            !obs.join(skipped).exists(),
            "{skipped} written for centos-stream-9"
        );
    }
}

#[test]
fn package_meta_builds_each_image_in_its_base_repository_only() {
    let tmp = render_case(&case("kiwi-three-families"));
    let meta = std::fs::read_to_string(
        tmp.path()
            .join("obs/_meta/packages/guest-image-fedora-41.xml"),
    )
    .unwrap();
    assert!(
        meta.contains("<package name=\"guest-image-fedora-41\" project=\"home:guest\">"),
        "{meta}"
    );
    assert!(
        meta.contains("<disable/>") && meta.contains("<enable repository=\"Fedora_41\"/>"),
        "{meta}"
    );
}

const BASE: &str = r#"[project]
name = "p"
maintainer = "P <p@example.org>"
obs-project = "home:p"
targets = ["opensuse-tumbleweed", "fedora-41", "debian-12"]
archs = ["x86_64", "aarch64"]

[[rootfs]]
name = "img"
summary = "Image"
version = "1.0.0"
bases = ["opensuse-tumbleweed", "fedora-41", "debian-12"]
packages = ["systemd"]
"#;

/// A manifest refused with exit 2, nothing written, and this message at this place.
#[track_caller]
fn refused(extra: &str, message: &str, at: &str) {
    let tmp = project(&format!("{BASE}{extra}"), "");
    let out = pkgforge(tmp.path(), &["render"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(message), "expected `{message}` in:\n{err}");
    assert!(err.contains(at), "expected `{at}` in:\n{err}");
    assert!(!tmp.path().join("obs").exists(), "something was written");
}

#[test]
fn refuses_unknown_rootfs_keys() {
    refused(
        "[rootfs.distro.fedora]\nbuild-may-fail = true\n",
        "unknown key `build-may-fail`",
        "packages.toml:15:1",
    );
}

#[test]
fn refuses_a_base_that_is_not_a_target() {
    let manifest = BASE.replace(
        "bases = [\"opensuse-tumbleweed\", \"fedora-41\", \"debian-12\"]",
        "bases = [\"opensuse-tumbleweed\", \"fedora-42\"]",
    );
    let tmp = project(&manifest, "");
    let out = pkgforge(tmp.path(), &["check"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("base `fedora-42` is not one of the project's targets"),
        "{err}"
    );
    assert!(err.contains("packages.toml:12:33"), "{err}");
    assert!(err.contains("add the base to [project] targets"), "{err}");
}

#[test]
fn refuses_an_override_that_selects_no_base() {
    refused(
        "[rootfs.distro.centos]\nbuild-can-fail = true\n",
        "`centos` selects none of the rootfs's bases",
        "packages.toml:14:16",
    );
}

#[test]
fn refuses_arch_packages_for_an_arch_the_image_is_not_built_for() {
    refused(
        "arch-packages = { s390x = [\"s390-tools\"] }\n",
        "the image is not built for architecture `s390x`",
        "packages.toml:14:",
    );
}

#[test]
fn refuses_version_constraints_as_image_packages() {
    refused(
        "delete = [\"apt >= 2\"]\n",
        "`apt >= 2` is not a package name",
        "packages.toml:14:11",
    );
}

#[test]
fn refuses_an_agent_given_twice() {
    refused(
        "agent = { package = \"kata-agent\", file = \"agent\" }\n",
        "give the agent as a `package` or a `file`, not both",
        "packages.toml:14:9",
    );
}

#[test]
fn refuses_an_agent_file_outside_the_manifest_directory() {
    refused(
        "agent = { file = \"../kata-agent\" }\n",
        "escapes its root with `..`",
        "packages.toml:14:19",
    );
}

#[test]
fn refuses_when_every_base_may_fail() {
    refused(
        "[rootfs.distro.rpm]\nbuild-can-fail = true\n[rootfs.distro.deb]\nbuild-can-fail = true\n",
        "every base of rootfs `img` has build-can-fail",
        "packages.toml:12:",
    );
}

#[test]
fn refuses_a_default_base_whose_build_may_fail() {
    refused(
        "default-base = \"fedora-41\"\n[rootfs.distro.fedora-41]\nbuild-can-fail = true\n",
        "default base `fedora-41` has build-can-fail",
        "packages.toml:14:16",
    );
}

#[test]
fn refuses_a_profile_name_obs_cannot_use_as_a_flavor() {
    refused(
        "[[rootfs.profiles]]\nname = \"conf idential\"\ndescription = \"x\"\n",
        "`conf idential` is not a valid profile name",
        "packages.toml:15:8",
    );
}

#[test]
fn refuses_apt_keys_on_a_repository_of_rpm_bases() {
    refused(
        "[[rootfs.repositories]]\nsource = \"obs://home:p:deps/{obs-repository}\"\nbases = [\"rpm\"]\ndistribution = \"stable\"\n",
        "`distribution` only applies to apt repositories",
        "packages.toml:17:16",
    );
}

#[test]
fn refuses_unknown_repository_placeholders() {
    refused(
        "[[rootfs.repositories]]\nsource = \"obs://home:p/{repository}\"\n",
        "unknown placeholder",
        "packages.toml:15:10",
    );
}

#[test]
fn refuses_a_config_sh_with_its_own_shebang() {
    refused(
        "config-sh = \"\"\"#!/bin/sh\ntrue\"\"\"\n",
        "must not start with `#!`",
        "packages.toml:14:13",
    );
}

/// `kiwi-ng system prepare` of the Debian 12 description of the three-families case, with
/// its repositories replaced by the Debian mirror this machine's apt uses. Slow (about half
/// a minute with a warm cache, two without) and needs root and the network to the mirror,
/// so it is marked ignored and scripts/test.sh runs it on its own with `-- --ignored`.
/// `PKGFORGE_DEBIAN_MIRROR` overrides the mirror.
#[test]
#[ignore = "slow: builds a Debian root with kiwi-ng; scripts/test.sh runs it"]
fn slow_kiwi_prepares_the_debian_description() {
    let (_, uid) = run(Command::new("id").arg("-u"));
    assert_eq!(uid.trim(), "0", "kiwi-ng system prepare needs root");
    let kiwi_ng = python().with_file_name("kiwi-ng");
    assert!(
        kiwi_ng.is_file(),
        "no kiwi-ng beside {}",
        python().display()
    );
    let mirror = std::env::var("PKGFORGE_DEBIAN_MIRROR")
        .unwrap_or_else(|_| "http://deb.debian.org/debian".into());
    let tmp = render_case(&case("kiwi-three-families"));
    let description = tmp.path().join("obs/guest-image-debian-12");
    let root = tmp.path().join("root");
    let started = Instant::now();
    let (ok, out) = run(Command::new(&kiwi_ng)
        .env(
            "PATH",
            format!(
                "{}:{}",
                kiwi_ng.parent().unwrap().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .args(["--logfile", "stdout", "system", "prepare", "--description"])
        .arg(&description)
        .arg("--root")
        .arg(&root)
        // The description's own repositories are OBS's; locally, the Debian mirror.
        .arg("--ignore-repos")
        .arg(format!(
            "--add-repo={mirror},apt-deb,debian,,false,false,,main,bookworm,false"
        )));
    let took = started.elapsed();
    eprintln!(
        "kiwi-ng system prepare of the Debian 12 description took {:.0} s",
        took.as_secs_f64()
    );
    assert!(ok, "kiwi-ng system prepare failed after {took:?}:\n{out}");
    let agent = root.join("usr/libexec/guest-agent");
    assert!(agent.is_file(), "the agent file is not in the root");
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = agent.metadata().unwrap();
        assert_eq!(meta.mode() & 0o7777, 0o755, "the agent's mode");
        assert_eq!((meta.uid(), meta.gid()), (0, 0), "the agent's owner");
    }
    assert_eq!(
        std::fs::read(&agent).unwrap(),
        std::fs::read(case("kiwi-three-families").join("agent/guest-agent")).unwrap()
    );
    assert!(
        root.join("usr/sbin/chronyd").is_file(),
        "chrony is not installed"
    );
    if cfg!(target_arch = "x86_64") {
        assert!(
            root.join("usr/bin/cpuid").is_file(),
            "the x86_64-only package is missing"
        );
    }
    assert!(
        !root.join("usr/bin/apt-get").exists(),
        "the delete list left apt in place"
    );
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert!(passwd.contains("agent:x:990:"), "{passwd}");
    // An absolute link into the image root: look at the link, not at what it names.
    let chrony = root.join("etc/systemd/system/multi-user.target.wants/chrony.service");
    assert!(
        chrony.symlink_metadata().is_ok(),
        "config.sh did not enable chrony"
    );
}

/// `pkgforge sources --package <rootfs>-debian-12-pkg` with the real kiwi-ng (root):
/// kiwi builds the Debian 12 image of the `image-package` case from the repositories of
/// the distro table (deb.debian.org), and the image package's source holds the archive
/// it made, with the guest's packages in it; a second run takes it from the cache.
/// Slow (several minutes), so scripts/test.sh runs it with the other ignored ones.
#[test]
#[ignore = "slow: builds a Debian image with kiwi-ng; scripts/test.sh runs it"]
fn slow_sources_builds_the_image_of_an_image_package() {
    let (_, uid) = run(Command::new("id").arg("-u"));
    assert_eq!(uid.trim(), "0", "kiwi-ng system build needs root");
    let kiwi_ng = python().with_file_name("kiwi-ng");
    assert!(
        kiwi_ng.is_file(),
        "no kiwi-ng beside {}",
        python().display()
    );
    let project = common::image::project();
    let dir = project.path();
    // The agent as a file: kiwi unpacks its archive into the image.
    let agent = b"#!/bin/sh\necho guest agent\n";
    std::fs::write(dir.join("guest-agent"), agent).unwrap();
    let mut manifest = std::fs::read_to_string(dir.join("packages.toml")).unwrap();
    manifest.push_str(
        "\n[rootfs.agent]\nfile = \"guest-agent\"\npath = \"/usr/libexec/guest-agent\"\n",
    );
    std::fs::write(dir.join("packages.toml"), manifest).unwrap();
    ok(&pkgforge(dir, &["render", "-q"]));
    assert!(dir
        .join("obs/guest-rootfs-debian-12/guest-agent.tar")
        .is_file());
    let package = "guest-rootfs-debian-12-pkg";
    let started = Instant::now();
    let out = common::image::sources(dir, kiwi_ng.parent().unwrap(), package);
    eprintln!(
        "pkgforge sources --package {package} took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    ok(&out);
    let archive = dir
        .join("obs")
        .join(package)
        .join("guest-rootfs-debian-12-1.4.tar.gz");
    assert_eq!(
        common::image::tar_list(&archive),
        [
            "guest-rootfs-debian-12-1.4/",
            "guest-rootfs-debian-12-1.4/guest-rootfs-debian-12.tar.xz"
        ]
    );
    let x = tempfile::tempdir().unwrap();
    must(
        Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(x.path()),
        "tar -xzf",
    );
    let image = x
        .path()
        .join("guest-rootfs-debian-12-1.4/guest-rootfs-debian-12.tar.xz");
    let listed = must(Command::new("tar").arg("-tJf").arg(&image), "tar -tJf");
    for f in [
        "usr/bin/systemctl",
        "usr/bin/kmod",
        "usr/libexec/guest-agent",
    ] {
        assert!(
            listed.lines().any(|l| l.trim_start_matches("./") == f),
            "{f} is not in the image"
        );
    }
    let verbose = must(Command::new("tar").arg("-tvJf").arg(&image), "tar -tvJf");
    let line = verbose
        .lines()
        .find(|l| {
            l.ends_with(" ./usr/libexec/guest-agent") || l.ends_with(" usr/libexec/guest-agent")
        })
        .unwrap_or_else(|| panic!("no agent in the image:\n{verbose}"));
    assert!(
        line.starts_with("-rwxr-xr-x root/root "),
        "the agent in the image: {line}"
    );
    let unpacked = Command::new("tar")
        .arg("-xOJf")
        .arg(&image)
        .args(["--wildcards", "*usr/libexec/guest-agent"])
        .output()
        .unwrap();
    assert!(unpacked.status.success());
    assert_eq!(unpacked.stdout, agent, "the agent's bytes in the image");
    let again = common::image::sources(dir, kiwi_ng.parent().unwrap(), package);
    assert!(
        stderr(&again).contains(&format!("{package}: cached")),
        "{}",
        stderr(&again)
    );
}
