//! `bump` and `archive` against real git repositories and a real HTTP server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::http::{Response, Server};
use common::*;

/// An upstream repository with releases 1.0.0 (annotated tag v1.0.0), 1.0.1 (lightweight tag)
/// and 2.0.0, and a project packaging it at 1.0.0 plus a tarball upstream.
struct Fixture {
    _tmp: tempfile::TempDir,
    project: PathBuf,
    repo: git2::Repository,
    commits: Vec<String>,
    server: Server,
}

const MANIFEST: &str = r#"# A project with two upstreams.
[project]
name = "hello"
maintainer = "Hello Packagers <hello@example.org>"
obs-project = "home:hello"
archive-project = "home:hello:archive"
keep-archived = 1
targets = ["opensuse-tumbleweed", "fedora-42", "debian-12"]
archs = ["x86_64"]

[upstreams.hello]   # the program itself
git     = "GIT_URL"    # pinned below
tag-prefix = 'v'
version = "1.0.0"   # bumped by pkgforge
commit = "COMMIT"

[names]
greeting-devel = { rpm = "greeting-devel", deb = "libgreeting-dev" }   # inline, untouched

[upstreams.data]
tarball = "SERVER/dl/data-{version}.tar.gz"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
version = "5.0"

[[packages]]
name = "hello"
upstream = "hello"
summary = "Greets the world"
description = "A greeting program."
build-requires = ["make", "gcc"]
requires = ["hello-data-files"]
files = ["/usr/bin/hello"]

[[packages]]
name = "hello-data-files"
upstream = "hello"
summary = "Data files of hello"
description = "Greetings."
archs = ["noarch"]
build = "true"
install = "make install DESTDIR=$DESTDIR PREFIX=/usr"
files = ["/usr/share/hello/greeting.txt"]

[[packages]]
name = "data"
upstream = "data"
summary = "Reference data"
description = "Data."
archs = ["noarch"]
files = ["/usr/share/data"]
"#;

const CHANGELOG: &str = r#"# history, newest first

[[entry]]
upstream = "hello"
version = "1.0.0"
date = "2026-11-01T10:00:00Z"
author = "Hello Packagers <hello@example.org>"
changes = ["Initial package"]

[[entry]]
upstream = "data"
version = "5.0"
date = "2026-11-01T09:00:00Z"
author = "Hello Packagers <hello@example.org>"
changes = ["Initial package"]
"#;

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let (repo, c1) = git::repo_with(&tmp.path().join("upstream"), git::HELLO, "hello 1.0");
        git::tag(&repo, "v1.0.0", &c1);
        let c2 = git::commit(
            &repo,
            &[(
                "hello.c",
                "#include <stdio.h>\nint main(void) { puts(\"hello 1.1\"); return 0; }\n",
            )],
            "hello 1.1",
        );
        git::lightweight_tag(&repo, "v1.0.1", &c2);
        let c3 = git::commit(
            &repo,
            &[(
                "hello.c",
                "#include <stdio.h>\nint main(void) { puts(\"hello 2\"); return 0; }\n",
            )],
            "hello 2.0",
        );
        git::tag(&repo, "v2.0.0", &c3);
        let server = Server::start();
        let project = tmp.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        let manifest = MANIFEST
            .replace(
                "GIT_URL",
                &format!("file://{}", tmp.path().join("upstream").display()),
            )
            .replace("COMMIT", &c1)
            .replace("SERVER", &server.base);
        std::fs::write(project.join("packages.toml"), manifest).unwrap();
        std::fs::write(project.join("changelog.toml"), CHANGELOG).unwrap();
        ok(&pkgforge(&project, &["render", "-q"]));
        Fixture {
            _tmp: tmp,
            project,
            repo,
            commits: vec![c1, c2, c3],
            server,
        }
    }

    fn bump(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(bin());
        cmd.current_dir(&self.project)
            .arg("--manifest")
            .arg(self.project.join("packages.toml"))
            .arg("bump")
            .args(args)
            .env("NO_COLOR", "1")
            .env("PKGFORGE_GITHUB_API", self.server.url("/api"))
            .env_remove("PKGFORGE_AUTHOR")
            .env_remove("SOURCE_DATE_EPOCH");
        cmd.output().unwrap()
    }

    fn manifest(&self) -> String {
        std::fs::read_to_string(self.project.join("packages.toml")).unwrap()
    }

    fn file(&self, rel: &str) -> String {
        std::fs::read_to_string(self.project.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

fn rev_parse(repo: &git2::Repository, spec: &str) -> String {
    repo.revparse_single(spec)
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string()
}

#[test]
fn bump_pins_the_commit_of_the_tag_and_only_changed_values_move() {
    let f = Fixture::new();
    let before = f.manifest();
    let out = f.bump(&["--version", "1.0.1", "--date", "2026-11-22T04:00:00Z"]);
    ok(&out);
    let after = f.manifest();
    assert_eq!(rev_parse(&f.repo, "v1.0.1^{commit}"), f.commits[1]);
    let expected = before
        .replace(
            "version = \"1.0.0\"   # bumped by pkgforge",
            "version = \"1.0.1\"   # bumped by pkgforge",
        )
        .replace(
            &format!("commit = \"{}\"", f.commits[0]),
            &format!("commit = \"{}\"", f.commits[1]),
        );
    assert_eq!(
        after, expected,
        "only the version and the commit may change"
    );
    let log = f.file("changelog.toml");
    assert!(log.starts_with("# history, newest first\n\n[[entry]]\nupstream = \"hello\"\nversion = \"1.0.1\"\ndate = \"2026-11-22T04:00:00Z\"\nauthor = \"Hello Packagers <hello@example.org>\"\nchanges = [\n    \"Update to version 1.0.1\",\n]\n\n[[entry]]\nupstream = \"hello\"\nversion = \"1.0.0\""), "{log}");
    // every format agrees, both packages of the upstream moved together
    let changes = f.file("obs/hello/hello.changes");
    assert!(changes.starts_with("-------------------------------------------------------------------\nSun Nov 22 04:00:00 UTC 2026 - Hello Packagers <hello@example.org>\n\n- Update to version 1.0.1\n"), "{changes}");
    let (c2s_ok, text) = run(Command::new(tool("changelog2spec"))
        .args(["--test", "--target", "rpm"])
        .arg(f.project.join("obs/hello/hello.changes")));
    assert!(c2s_ok, "{text}");
    for p in ["hello", "hello-data-files"] {
        let spec = f.file(&format!("obs/{p}/{p}.spec"));
        assert!(spec.contains("Version:        1.0.1\n"), "{p}: {spec}");
        let service = f.file(&format!("obs/{p}/_service"));
        assert!(
            service.contains(&format!(
                "<param name=\"revision\">{}</param>",
                f.commits[1]
            )),
            "{service}"
        );
    }
    // the exact requirement between the two components follows the new version
    assert!(f
        .file("obs/hello/hello.spec")
        .contains("Requires:       hello-data-files = 1.0.1\n"));
    let target = f.file("rpm/fedora-42/hello.spec");
    assert!(
        target.contains("Release:        1%{?dist}\n"),
        "the revision starts again at 1"
    );
    assert!(target.contains("* Sun Nov 22 2026 Hello Packagers <hello@example.org> - 1.0.1-1\n- Update to version 1.0.1\n"), "{target}");
    let m = pkgforge::manifest::load(&f.project.join("packages.toml")).unwrap();
    for t in m.rpm_targets() {
        let spec = f.project.join("rpm").join(&t.id).join("hello.spec");
        let mut cmd = Command::new(tool("rpmspec"));
        cmd.arg("-P");
        for (k, v) in &t.macros {
            cmd.arg("--define").arg(format!("{k} {v}"));
        }
        let (parsed, text) = run(cmd.arg(&spec));
        assert!(parsed, "{text}");
    }
    for changelog in [
        "obs/hello/debian.changelog",
        "debian/debian-12/hello/debian/changelog",
    ] {
        let (parsed, text) = run(Command::new(tool("dpkg-parsechangelog"))
            .arg("-l")
            .arg(f.project.join(changelog))
            .args(["-S", "Version"]));
        assert!(parsed, "{text}");
        assert_eq!(text.trim(), "1.0.1-1", "{changelog}");
    }
    assert_eq!(
        pkgforge(&f.project, &["render", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn a_missing_tag_is_refused_and_nothing_changes() {
    let f = Fixture::new();
    let before = snapshot(&f.project);
    let out = f.bump(&["--version", "1.0.2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("has no tag for version 1.0.2 (looked for `v1.0.2`)"),
        "{err}"
    );
    assert!(
        err.contains("newest tags there: 2.0.0, 1.0.1, 1.0.0; pass --commit SHA"),
        "{err}"
    );
    assert!(snapshot(&f.project) == before);
    // --commit pins by hand
    let sha = "0123456789abcdef0123456789abcdef01234567";
    ok(&f.bump(&["--version", "1.0.2", "--commit", sha]));
    assert!(f.manifest().contains(&format!("commit = \"{sha}\"")));
}

#[test]
fn versions_that_are_not_newer_are_refused_unless_forced() {
    let f = Fixture::new();
    let out = f.bump(&["--version", "0.9", "--commit", &f.commits[0]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("0.9 is not newer than the current version 1.0.0 of `hello`"),
        "{}",
        stderr(&out)
    );
    ok(&f.bump(&["--version", "0.9", "--commit", &f.commits[0], "--force"]));
}

#[test]
fn a_new_series_archives_the_old_one() {
    let f = Fixture::new();
    ok(&f.bump(&["--version", "1.0.1", "--date", "2026-11-20T00:00:00Z"]));
    let out = f.bump(&[
        "--version",
        "2.0.0",
        "--date",
        "2026-11-22T00:00:00Z",
        "--message",
        "Update to version 2.0.0",
        "--message",
        "Drop the 1.x compatibility patch",
    ]);
    ok(&out);
    assert!(
        stderr(&out).contains("archived series 1.0"),
        "{}",
        stderr(&out)
    );
    let manifest = f.manifest();
    assert!(manifest.ends_with(&format!(
        "\n[[archive]]\nupstream = \"hello\"\nseries = \"1.0\"\nversion = \"1.0.1\"\ncommit = \"{}\"\narchived = \"2026-11-22\"\n",
        f.commits[1]
    )), "{manifest}");
    // the archived packages, pinned to the old commit, with the history up to it
    let service = f.file("obs/_archive/1.0/hello/_service");
    assert!(
        service.contains(&format!(
            "<param name=\"revision\">{}</param>",
            f.commits[1]
        )),
        "{service}"
    );
    let spec = f.file("obs/_archive/1.0/hello/hello.spec");
    assert!(spec.contains("Version:        1.0.1\n"));
    assert!(
        spec.contains("Requires:       hello-data-files = 1.0.1\n"),
        "{spec}"
    );
    let changes = f.file("obs/_archive/1.0/hello/hello.changes");
    assert!(
        changes.contains("- Update to version 1.0.1") && !changes.contains("2.0.0"),
        "{changes}"
    );
    let meta = f.file("obs/_meta/home:hello:archive:1.0.xml");
    assert!(
        meta.contains("<project name=\"home:hello:archive:1.0\">"),
        "{meta}"
    );
    // the archive outputs pass the same validators
    let (c2s, text) = run(Command::new(tool("changelog2spec"))
        .args(["--test", "--target", "rpm"])
        .arg(f.project.join("obs/_archive/1.0/hello/hello.changes")));
    assert!(c2s, "{text}");
    let (lint, text) = run(Command::new(tool("xmllint"))
        .arg("--noout")
        .arg("--relaxng")
        .arg(repo().join("tests/schemas/obs/service.rng"))
        .arg(f.project.join("obs/_archive/1.0/hello/_service")));
    assert!(lint, "{text}");
    let (parsed, text) = run(Command::new(tool("rpmspec"))
        .args(["-P", "--define", "suse_version 1699"])
        .arg(f.project.join("obs/_archive/1.0/hello/hello.spec")));
    assert!(parsed, "{text}");
    let (parsed, text) = run(Command::new(tool("dpkg-parsechangelog"))
        .arg("-l")
        .arg(f.project.join("obs/_archive/1.0/hello/debian.changelog"))
        .args(["-S", "Version"]));
    assert!(parsed && text.trim() == "1.0.1-1", "{text}");
    let dsc = f.file("obs/_archive/1.0/hello/hello.dsc");
    assert!(
        dsc.contains("Version: 1.0.1-1\n") && dsc.contains("DEBTRANSFORM-TAR: hello-1.0.1.tar.gz"),
        "{dsc}"
    );
    let (ok_c, text) =
        run(Command::new(tool("spec-cleaner"))
            .arg(f.project.join("obs/_archive/1.0/hello/hello.spec")));
    assert!(
        ok_c && text == spec,
        "spec-cleaner changes the archived spec"
    );

    // list, and the warning beyond keep-archived = 1
    let list = pkgforge(&f.project, &["archive", "list"]);
    assert!(
        stdout(&list).contains(&format!(
            "hello     1.0     1.0.1    commit {}  2026-11-22  kept in home:hello:archive:1.0",
            f.commits[1]
        )),
        "{}",
        stdout(&list)
    );
    ok(&f.bump(&[
        "--version",
        "3.0.0",
        "--commit",
        "0123456789abcdef0123456789abcdef01234567",
        "--force",
        "--date",
        "2026-11-23T00:00:00Z",
    ]));
    let list = stdout(&pkgforge(&f.project, &["archive", "list"]));
    assert!(
        list.contains("beyond keep-archived = 1: pkgforge archive prune --series 1.0"),
        "{list}"
    );
    let render = pkgforge(&f.project, &["render"]);
    assert!(stderr(&render).contains("warning: archived series 1.0 of `hello` is beyond keep-archived = 1; remove it with `pkgforge archive prune --series 1.0`"), "{}", stderr(&render));
    assert!(
        f.project.join("obs/_archive/1.0/hello/hello.spec").exists(),
        "nothing is removed implicitly"
    );

    // prune removes that series' entry and outputs and nothing else
    std::fs::write(
        f.project.join("obs/_archive/1.0/hello/hello-1.0.1.tar.xz"),
        "placed by the user",
    )
    .unwrap();
    let before: Vec<PathBuf> = files_where(&f.project, |_| true);
    ok(&pkgforge(
        &f.project,
        &["archive", "prune", "--series", "1.0"],
    ));
    let after: Vec<PathBuf> = files_where(&f.project, |_| true);
    let gone: Vec<&PathBuf> = before.iter().filter(|p| !after.contains(p)).collect();
    assert!(
        !gone.is_empty()
            && gone
                .iter()
                .all(|p| p.to_string_lossy().contains("/obs/_archive/1.0/")
                    || p.to_string_lossy().ends_with("home:hello:archive:1.0.xml")
                    || p.to_string_lossy()
                        .ends_with("home:hello:archive:1.0.prjconf")),
        "{gone:?}"
    );
    assert!(f
        .project
        .join("obs/_archive/1.0/hello/hello-1.0.1.tar.xz")
        .exists());
    assert!(f.project.join("obs/_archive/2.0/hello/hello.spec").exists());
    assert!(!f.manifest().contains("series = \"1.0\""));
    assert_eq!(
        pkgforge(&f.project, &["render", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn dry_run_writes_nothing() {
    let f = Fixture::new();
    let files = files_where(&f.project, |_| true);
    let before: Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> = files
        .iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::read(p).unwrap(),
                std::fs::metadata(p).unwrap().modified().unwrap(),
            )
        })
        .collect();
    let out = f.bump(&[
        "--version",
        "2.0.0",
        "--dry-run",
        "--date",
        "2026-11-22T00:00:00Z",
    ]);
    ok(&out);
    let diff = stdout(&out);
    assert!(
        diff.contains("--- a/packages.toml\n+++ b/packages.toml"),
        "{diff}"
    );
    assert!(
        diff.contains("+version = \"2.0.0\"   # bumped by pkgforge"),
        "{diff}"
    );
    assert!(diff.contains("--- a/changelog.toml"));
    assert!(
        diff.contains("+++ b/obs/_archive/1.0/hello/hello.spec"),
        "{diff}"
    );
    let after: Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> = files_where(&f.project, |_| true)
        .iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::read(p).unwrap(),
                std::fs::metadata(p).unwrap().modified().unwrap(),
            )
        })
        .collect();
    assert!(before == after, "--dry-run changed a file or its mtime");
}

#[test]
fn a_failure_midway_leaves_the_tree_as_it_was() {
    let f = Fixture::new();
    // obs/_archive is a file, so the archived outputs cannot be written even as root.
    std::fs::write(f.project.join("obs/_archive"), "in the way").unwrap();
    let before = snapshot(&f.project);
    let out = f.bump(&["--version", "2.0.0"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("obs/_archive"), "{}", stderr(&out));
    assert!(
        snapshot(&f.project) == before,
        "a failed bump left changes behind"
    );
    let leftovers = files_where(&f.project, |p| {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".pkgforge-")
    });
    assert!(
        leftovers.iter().all(|p| p.ends_with(".pkgforge-outputs")),
        "{leftovers:?}"
    );
}

#[test]
fn a_tarball_bump_records_the_downloaded_sha256() {
    let f = Fixture::new();
    let tarball = b"pretend this is data-5.1.tar.gz".to_vec();
    f.server
        .route("/dl/data-5.1.tar.gz", Response::ok(tarball.clone()));
    ok(&f.bump(&[
        "--upstream",
        "data",
        "--version",
        "5.1",
        "--date",
        "2026-11-22T00:00:00Z",
    ]));
    let want = pkgforge::digest::sha256_hex(&tarball);
    assert!(
        f.manifest().contains(&format!("sha256 = \"{want}\"")),
        "{}",
        f.manifest()
    );
    let service = f.file("obs/data/_service");
    assert!(
        service.contains(&format!("<param name=\"checksum\">{want}</param>"))
            && service.contains("data-5.1.tar.gz"),
        "{service}"
    );
    // a version that was never released: the server answers 404
    let before = snapshot(&f.project);
    let out = f.bump(&["--upstream", "data", "--version", "5.2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/dl/data-5.2.tar.gz answered 404"),
        "{}",
        stderr(&out)
    );
    assert!(snapshot(&f.project) == before);
}

#[test]
fn release_notes_come_from_github_when_it_has_them() {
    let f = Fixture::new();
    let manifest = f.manifest().replace(
        "tag-prefix = 'v'",
        "tag-prefix = 'v'\ngithub = \"hello/hello\"",
    );
    std::fs::write(f.project.join("packages.toml"), manifest).unwrap();
    f.server.route(
        "/api/repos/hello/hello/releases/tags/v1.0.1",
        Response::ok(r###"{"tag_name":"v1.0.1","body":"## Changes\r\n- Faster greetings\r\n- Fix a %{lua:crash} in parsing\r\n* Translations\r\n"}"###),
    );
    ok(&f.bump(&["--version", "1.0.1", "--date", "2026-11-22T00:00:00Z"]));
    let log = f.file("changelog.toml");
    assert!(log.contains("changes = [\n    \"Update to version 1.0.1\",\n    \"  * Faster greetings\",\n    \"  * Translations\",\n]"), "{log}");
}

fn _unused(_: &Path) {}
