//! The rendered build configuration (`obs/_meta/<project>.prjconf`): obs-build reads it,
//! and, in the ignored test that scripts/test.sh runs as root, builds a package from the
//! Debian mirror in a chroot with it, installs the result and runs the program.
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

fn manifest(repo: &Path, commit: &str) -> String {
    format!(
        r#"[project]
name = "greet"
maintainer = "Jane Packager <jane@example.com>"
homepage = "https://example.com/greet"
license = "MIT"
obs-project = "home:jane:greet"
targets = ["opensuse-tumbleweed", "fedora-42", "debian-12", "debian-13"]
archs = ["x86_64"]

[upstreams.greet]
git = "file://{repo}"
tag-prefix = "v"
version = "1.0"
commit = "{commit}"

[[packages]]
name = "greet"
upstream = "greet"
summary = "friendly greeting script"
description = "greet prints a friendly greeting."
archs = ["noarch"]
section = "utils"
install = "make install DESTDIR=$DESTDIR PREFIX=/usr"
files = ["/usr/bin/greet"]
"#,
        repo = repo.display()
    )
}

const CHANGELOG: &str = r#"[[entry]]
upstream = "greet"
version = "1.0"
date = "2026-11-22T04:00:00Z"
author = "Jane Packager <jane@example.com>"
changes = ["Initial package"]
"#;

struct Project {
    dir: tempfile::TempDir,
    upstream: tempfile::TempDir,
    commit: String,
}

fn project() -> Project {
    let upstream = tempfile::tempdir().unwrap();
    let (repo, commit) = common::git::repo_with(upstream.path(), greet::FILES, "greet 1.0");
    common::git::tag(&repo, "v1.0", &commit);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("packages.toml"),
        manifest(upstream.path(), &commit),
    )
    .unwrap();
    std::fs::write(dir.path().join("changelog.toml"), CHANGELOG).unwrap();
    ok(&pkgforge(dir.path(), &["render", "-q"]));
    Project {
        dir,
        upstream,
        commit,
    }
}

fn prjconf(p: &Project) -> String {
    std::fs::read_to_string(p.dir.path().join("obs/_meta/home:jane:greet.prjconf")).unwrap()
}

/// The configuration OBS builds repository `repository` with: `%_repository` defined
/// first, as OBS's scheduler does, then the project's configuration.
fn dist_file(p: &Project, repository: &str, dir: &Path) -> PathBuf {
    let path = dir.join(format!("{repository}.conf"));
    std::fs::write(
        &path,
        format!("%define _repository {repository}\n{}", prjconf(p)),
    )
    .unwrap();
    path
}

/// One value of obs-build's view of a configuration, through its `queryconfig`.
fn query(dist: &Path, what: &str) -> String {
    let out = must(
        Command::new(tool("queryconfig"))
            .args(["--archpath", "x86_64", "--dist"])
            .arg(dist)
            .arg(what)
            .env("BUILD_DIR", tool("queryconfig").parent().unwrap()),
        "queryconfig",
    );
    out.trim().to_string()
}

#[test]
fn obs_build_reads_a_block_per_debian_repository_and_none_for_rpm() {
    let p = project();
    let text = prjconf(&p);
    assert!(
        text.contains("%if \"%_repository\" == \"Debian_12\""),
        "{text}"
    );
    assert!(
        text.contains("%if \"%_repository\" == \"Debian_13\""),
        "{text}"
    );
    assert!(!text.contains("openSUSE_Tumbleweed"), "{text}");
    let tmp = tempfile::tempdir().unwrap();
    for repository in ["Debian_12", "Debian_13"] {
        let dist = dist_file(&p, repository, tmp.path());
        assert_eq!(query(&dist, "type"), "dsc", "{repository}");
        assert_eq!(query(&dist, "binarytype"), "deb", "{repository}");
    }
    for repository in ["openSUSE_Tumbleweed", "Fedora_42"] {
        let dist = dist_file(&p, repository, tmp.path());
        assert_ne!(query(&dist, "type"), "dsc", "{repository}");
    }
}

fn mirror() -> String {
    std::env::var("PKGFORGE_DEBIAN_MIRROR")
        .unwrap_or_else(|_| "http://deb.debian.org/debian".to_string())
        .trim_end_matches('/')
        .to_string()
}

/// What OBS builds from: the package's directory with the tarball obs_scm, tar and
/// recompress make from the pinned commit.
fn obs_package(p: &Project, work: &Path) -> PathBuf {
    let src = work.join("greet");
    std::fs::create_dir_all(&src).unwrap();
    copy_into(&p.dir.path().join("obs/greet"), &src);
    let dsc = std::fs::read_to_string(src.join("greet.dsc")).unwrap();
    let tar = dsc
        .lines()
        .find_map(|l| l.strip_prefix("DEBTRANSFORM-TAR: "))
        .expect("DEBTRANSFORM-TAR")
        .trim()
        .to_string();
    // gzip for a project with Debian targets, which this one has; xz otherwise
    let compress = match tar.ends_with(".gz") {
        true => tool("gzip"),
        false => tool("xz"),
    };
    let script = format!(
        "'{}' -C '{}' archive --format=tar --prefix=greet-1.0/ {} | '{}' -c >'{}'",
        tool("git").display(),
        p.upstream.path().display(),
        p.commit,
        compress.display(),
        src.join(&tar).display()
    );
    must(Command::new("sh").arg("-ec").arg(script), "git archive");
    src
}

fn is_root() -> bool {
    let (_, id) = run(Command::new("id").arg("-u"));
    id.trim() == "0"
}

#[test]
#[ignore = "builds in a chroot from the Debian mirror, as root; scripts/test.sh runs it"]
fn obs_build_builds_and_installs_on_debian_12_and_13_with_the_rendered_configuration() {
    assert!(
        is_root(),
        "obs-build's chroot build needs root: run scripts/test.sh as root"
    );
    let p = project();
    let work = tempfile::tempdir().unwrap();
    let src = obs_package(&p, work.path());
    let cache = work.path().join("cache");
    for (repository, suite) in [("Debian_12", "bookworm"), ("Debian_13", "trixie")] {
        let dist = dist_file(&p, repository, work.path());
        let root = work.path().join(format!("root-{suite}"));
        let (built, log) = run(Command::new(tool("build"))
            .arg("--root")
            .arg(&root)
            .arg("--repo")
            .arg(format!("{}/{suite}/main", mirror()))
            .arg("--dist")
            .arg(&dist)
            .args(["--arch", "x86_64", "--cachedir"])
            .arg(&cache)
            .arg(src.join("greet.dsc")));
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        assert!(
            built,
            "{repository}: obs-build failed; last lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
        let debs = files_where(&root.join("usr/src/packages/DEBS"), |f| {
            f.extension().is_some_and(|e| e == "deb")
        });
        assert_eq!(debs.len(), 1, "{repository}: {debs:?}");
        let inside = Path::new("/usr/src/packages/DEBS").join(debs[0].file_name().unwrap());
        must(
            Command::new("chroot")
                .arg(&root)
                .arg("dpkg")
                .arg("-i")
                .arg(&inside),
            "dpkg -i in the build root",
        );
        let (ran, out) = run(Command::new("chroot").arg(&root).arg("greet"));
        assert!(ran, "{repository}: greet failed: {out}");
        assert_eq!(out.trim(), "Hello from greet 1.0", "{repository}");
        let _ = Command::new(tool("build"))
            .arg("--root")
            .arg(&root)
            .arg("--kill")
            .output();
    }
}
