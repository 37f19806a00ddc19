//! The Debian side against the real tools: obs-build's debtransform, dpkg-source,
//! dpkg-buildpackage, dpkg-deb, lintian, dpkg-parsechangelog and dpkg's version order,
//! over the bundled manifests, the golden cases and a fixture built from a real git repository.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Lintian warnings the outputs may produce, and why each is accepted. Any other `W:`
/// fails the test, as does every `E:`.
const ACCEPTED_WARNINGS: &[(&str, &str)] = &[
    // Packages outside Debian have no ITP bug to close in their first changelog entry.
    ("initial-upload-closes-no-bugs", "no ITP bug outside Debian"),
    // OBS appends its build counter to the version (DEBTRANSFORM-RELEASE: 1, as OBS
    // builds with --release), so that every rebuild upgrades; debtransform adds a
    // changelog entry for it that lintian does not recognise as an NMU or explicit entry.
    (
        "changelog-file-missing-explicit-entry",
        "OBS release suffix +<counter>",
    ),
    ("no-nmu-in-changelog", "OBS release suffix +<counter>"),
    // Go builds position-independent executables (GOFLAGS=-buildmode=pie) so that they
    // are not statically linked (an error); one that needs no C library has no DT_NEEDED
    // entry, and lintian takes the PIE for a shared library without its dependencies.
    (
        "shared-library-lacks-prerequisites",
        "pure Go PIE executables",
    ),
    // debtransform always makes format 1.0 from debian.* files, and debian.* files
    // cannot create debian/source/format (a subdirectory).
    (
        "missing-debian-source-format",
        "debtransform makes format 1.0",
    ),
];

// ---------------------------------------------------------------------------------
// the fixture: a real upstream in a git repository, and a manifest pinned to it

const MAKEFILE: &str = "\
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g

all: hello hello-go

hello: hello.c
\t$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ hello.c

hello-go: go/main.go go/go.mod
\tcd go && go build -o ../hello-go .

install-hello: hello
\tinstall -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSCONFDIR)/hello
\tinstall -m 0755 hello hello-greet $(DESTDIR)$(BINDIR)/
\tinstall -m 0644 hello.1 hello-greet.1 $(DESTDIR)$(MANDIR)/man1/
\tinstall -m 0644 hello.conf $(DESTDIR)$(SYSCONFDIR)/hello/hello.conf

install-go: hello-go
\tinstall -D -m 0755 hello-go $(DESTDIR)$(BINDIR)/hello-go
\tinstall -D -m 0644 hello-go.1 $(DESTDIR)$(MANDIR)/man1/hello-go.1

clean:
\trm -f hello hello-go

.PHONY: all install-hello install-go clean
";

const HELLO_C: &str = "\
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *who = argc > 1 ? argv[1] : \"world\";
    printf(\"Hello, %s!\\n\", who);
    return 0;
}
";

const PATCH: &str = "\
Description: add --version option
 Print the program version when called with --version.
Author: Jane Packager <jane@example.com>
Forwarded: not-needed
Last-Update: 2026-11-22
---
--- a/hello.c
+++ b/hello.c
@@ -4,6 +4,10 @@
 int main(int argc, char **argv)
 {
     const char *who = argc > 1 ? argv[1] : \"world\";
+    if (strcmp(who, \"--version\") == 0) {
+        printf(\"hello 1.0\\n\");
+        return 0;
+    }
     printf(\"Hello, %s!\\n\", who);
     return 0;
 }
";

const HELLO_GREET: &str = "\
#!/bin/sh
# hello-greet: greet every argument using hello
set -e
for name in \"$@\"; do
    hello \"$name\"
done
";

const GO_MAIN: &str = "\
package main

import \"fmt\"

func main() {
\tfmt.Println(\"Hello from Go!\")
}
";

fn man(name: &str, what: &str) -> String {
    format!(
        ".TH {} 1 \"2026-11-22\" \"{name} 1.0\" \"User Commands\"\n.SH NAME\n{name} \\- {what}\n.SH SYNOPSIS\n.B {name}\n.SH DESCRIPTION\n.B {name}\n{what}.\n",
        name.to_uppercase()
    )
}

/// The upstream: a git repository with the program, its Makefile and a tag `v1.0`.
fn upstream_repo(dir: &Path) -> String {
    let files: Vec<(&str, String, bool)> = vec![
        ("Makefile", MAKEFILE.to_string(), false),
        ("hello.c", HELLO_C.to_string(), false),
        ("hello-greet", HELLO_GREET.to_string(), true),
        ("hello.conf", "greeting = Hello\n".to_string(), false),
        ("hello.1", man("hello", "print a friendly greeting"), false),
        (
            "hello-greet.1",
            man("hello-greet", "greet several people at once"),
            false,
        ),
        ("hello-go.1", man("hello-go", "greet from Go"), false),
        (
            "go/go.mod",
            "module example.com/hello\n\ngo 1.19\n".to_string(),
            false,
        ),
        ("go/main.go", GO_MAIN.to_string(), false),
        (
            "README.md",
            "# hello\n\nA friendly greeting.\n".to_string(),
            false,
        ),
    ];
    let repo = git2::Repository::init(dir).expect("git init");
    for (path, content, exec) in &files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        if *exec {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let mut index = repo.index().unwrap();
    for (path, _, _) in &files {
        index.add_path(Path::new(path)).unwrap();
    }
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::new(
        "Jane Upstream",
        "jane@example.com",
        &git2::Time::new(1_795_000_000, 0),
    )
    .unwrap();
    let commit = repo
        .commit(Some("HEAD"), &sig, &sig, "hello 1.0", &tree, &[])
        .unwrap();
    let obj = repo.find_object(commit, None).unwrap();
    repo.tag("v1.0", &obj, &sig, "hello 1.0", false).unwrap();
    commit.to_string()
}

fn fixture_manifest(repo: &Path, commit: &str) -> String {
    format!(
        r#"[project]
name = "hello"
maintainer = "Jane Packager <jane@example.com>"
homepage = "https://example.com/hello"
license = "Apache-2.0"
obs-project = "home:jane:hello"
targets = ["debian-12", "ubuntu-24.04", "opensuse-tumbleweed"]
archs = ["x86_64", "aarch64"]

[upstreams.hello]
git = "file://{repo}"
tag-prefix = "v"
version = "1.0"
commit = "{commit}"

[toolchains]
go = "1.19"

[[packages]]
name = "hello"
upstream = "hello"
summary = "friendly greeting program"
description = """
hello prints a friendly greeting to standard output. It is a tiny
example program that exercises the Debian packaging pkgforge renders.

This package contains the hello program and its configuration file."""
section = "utils"
build = "make hello"
install = "make install-hello DESTDIR=$DESTDIR PREFIX=/usr"
files = ["/usr/bin/hello", "/usr/share/man/man1/hello.1"]
config-files = ["/etc/hello/hello.conf"]
patches = ["patches/0001-add-version-option.patch"]

[[packages.subpackages]]
suffix = "tools"
summary = "helper scripts for the hello greeting program"
description = """
hello-greet greets several people at once by calling hello for every
argument."""
archs = ["noarch"]
files = ["/usr/bin/hello-greet", "/usr/share/man/man1/hello-greet.1"]

[[packages]]
name = "hello-go"
upstream = "hello"
summary = "friendly greeting program written in Go"
description = """
hello-go prints a friendly greeting. It is built with the distro's own Go
toolchain, offline."""
section = "utils"
toolchain = "go"
build = """
# the Go program has its own module
make hello-go"""
install = "make install-go DESTDIR=$DESTDIR PREFIX=/usr"
files = ["/usr/bin/hello-go", "/usr/share/man/man1/hello-go.1"]
"#,
        repo = repo.display()
    )
}

const FIXTURE_CHANGELOG: &str = r#"[[entry]]
upstream = "hello"
version = "1.0"
date = "2026-11-22T04:00:00Z"
author = "Jane Packager <jane@example.com>"
changes = ["Add the --version option", "Package the Go greeter as well; this line is long enough that the Debian changelog has to wrap it"]

[[entry]]
upstream = "hello"
version = "1.0"
date = "2026-11-21T04:00:00Z"
author = "Jane Packager <jane@example.com>"
changes = ["Initial package"]
"#;

struct Fixture {
    project: tempfile::TempDir,
    repo: tempfile::TempDir,
    commit: String,
}

/// A project rendered from a manifest pinned to a fresh upstream repository.
fn fixture() -> Fixture {
    let repo = tempfile::tempdir().unwrap();
    let commit = upstream_repo(repo.path());
    let project = tempfile::tempdir().unwrap();
    let p = project.path();
    std::fs::write(
        p.join("packages.toml"),
        fixture_manifest(repo.path(), &commit),
    )
    .unwrap();
    std::fs::write(p.join("changelog.toml"), FIXTURE_CHANGELOG).unwrap();
    std::fs::create_dir_all(p.join("patches")).unwrap();
    std::fs::write(p.join("patches/0001-add-version-option.patch"), PATCH).unwrap();
    ok(&pkgforge(p, &["render", "-q"]));
    Fixture {
        project,
        repo,
        commit,
    }
}

impl Fixture {
    /// The tarball obs_scm + tar + recompress make: the pinned commit under `<name>-<version>/`.
    /// `git archive` of the commit under `prefix`, compressed as `out`'s name says (gzip
    /// or xz).
    fn tarball(&self, prefix: &str, out: &Path) {
        let compress = if out.to_string_lossy().ends_with(".gz") {
            format!("'{}' -n", tool("gzip").display())
        } else {
            format!("'{}'", tool("xz").display())
        };
        let script = format!(
            "'{}' -C '{}' archive --format=tar --prefix='{prefix}/' {} | {compress} -c >'{}'",
            tool("git").display(),
            self.repo.path().display(),
            self.commit,
            out.display()
        );
        let (ok, log) = run(Command::new("sh").arg("-ec").arg(script));
        assert!(ok, "git archive failed:\n{log}");
    }

    fn model(&self) -> pkgforge::manifest::Model {
        pkgforge::manifest::load(&self.project.path().join("packages.toml")).expect("loads")
    }
}

// ---------------------------------------------------------------------------------
// helpers

/// The value of `field` in a control-style file.
fn field(text: &str, field: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
}

/// `dpkg-buildpackage -b -us -uc` in `dir`: the binaries land beside it. Build
/// dependencies are checked (no `-d`), so a missing one is named; they are also recorded
/// for scripts/test.sh's check that it installs every package the tests need.
fn build(dir: &Path) {
    record_build_depends(&dir.join("debian/control"));
    must(
        Command::new(tool("dpkg-buildpackage"))
            .args(["-b", "-us", "-uc"])
            .current_dir(dir)
            .env("DEB_BUILD_OPTIONS", "parallel=2")
            .env_remove("MAKEFLAGS"),
        "dpkg-buildpackage",
    );
}

/// The regular files a .deb installs, without the docs debhelper adds, and manual pages
/// by the name the manifest gives them (dh_compress gzips them, as rpm's brp-compress does).
fn deb_files(deb: &Path) -> BTreeSet<String> {
    let out = must(
        Command::new(tool("dpkg-deb")).arg("-c").arg(deb),
        "dpkg-deb -c",
    );
    out.lines()
        .filter(|l| l.starts_with('-') || l.starts_with('l'))
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_string())
        .filter(|p| !p.starts_with("/usr/share/doc/"))
        .map(|p| match p.strip_suffix(".gz") {
            Some(stem) if p.starts_with("/usr/share/man/") => stem.to_string(),
            _ => p,
        })
        .collect()
}

/// Every .deb (not -dbgsym) in `dir` has exactly the files the manifest gives its package.
#[track_caller]
fn check_debs(dir: &Path, model: &pkgforge::manifest::Model, package: &str) {
    let p = model.packages.iter().find(|p| p.name == package).unwrap();
    let mut expected: Vec<(String, Vec<String>)> = vec![(
        p.name.clone(),
        p.files.iter().chain(&p.config_files).cloned().collect(),
    )];
    for s in &p.subpackages {
        expected.push((
            s.name.clone(),
            s.files.iter().chain(&s.config_files).cloned().collect(),
        ));
    }
    for (name, files) in expected {
        let debs = files_where(dir, |f| {
            let n = f.file_name().unwrap().to_string_lossy();
            n.starts_with(&format!("{name}_")) && n.ends_with(".deb")
        });
        assert_eq!(debs.len(), 1, "one .deb for {name} in {}", dir.display());
        let got = deb_files(&debs[0]);
        let want: BTreeSet<String> = files.into_iter().collect();
        assert_eq!(got, want, "files of {}", debs[0].display());
    }
}

/// Lintian on `files`: no `E:`, and no `W:` but the accepted ones.
#[track_caller]
fn lintian(files: &[PathBuf], extra: &[&str]) {
    lintian_except(files, extra, &[]);
}

/// Lintian, tolerating the exact lines in `known` (tags that are about lintian's own
/// data or the test's stand-ins, not the package).
#[track_caller]
fn lintian_except(files: &[PathBuf], extra: &[&str], known: &[&str]) {
    let (_, out) = run(Command::new(tool("lintian"))
        .args(["--tag-display-limit", "0"])
        .args(extra)
        .args(files));
    let re = regex::Regex::new(r"^([EW]): [^:]+: (\S+)").unwrap();
    let bad: Vec<&str> = out
        .lines()
        .filter(|l| !known.contains(l))
        .filter(|l| match re.captures(l) {
            Some(c) => &c[1] == "E" || !ACCEPTED_WARNINGS.iter().any(|(t, _)| *t == &c[2]),
            None => l.starts_with("E: ") || l.contains("internal error"),
        })
        .collect();
    assert!(
        bad.is_empty(),
        "lintian on {files:?} reports:\n{}\n\nfull output:\n{out}",
        bad.join("\n")
    );
}

fn only(dir: &Path, ext: &str) -> PathBuf {
    let v = files_where(dir, |f| {
        f.parent() == Some(dir) && f.to_string_lossy().ends_with(ext)
    });
    assert_eq!(v.len(), 1, "one *{ext} in {}: {v:?}", dir.display());
    v[0].clone()
}

/// obs-build's debtransform as OBS runs it (with a build counter as release), then
/// `dpkg-source -x`: returns the generated .dsc and the unpacked tree.
fn debtransform(obs_dir: &Path, work: &Path, release: Option<&str>) -> (PathBuf, PathBuf) {
    let out = work.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let name = obs_dir.file_name().unwrap().to_string_lossy().to_string();
    let tool_path = tool("debtransform");
    let path = format!(
        "{}:{}",
        tool_path.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(&tool_path);
    if let Some(r) = release {
        cmd.args(["--release", r]);
    }
    must(
        cmd.arg(obs_dir)
            .arg(obs_dir.join(format!("{name}.dsc")))
            .arg(&out)
            .env("PATH", path),
        "debtransform",
    );
    let dsc = only(&out, ".dsc");
    let tree = work.join("build");
    must(
        Command::new(tool("dpkg-source"))
            .arg("-x")
            .arg(&dsc)
            .arg(&tree),
        "dpkg-source -x",
    );
    (dsc, tree)
}

// ---------------------------------------------------------------------------------
// end to end

#[test]
fn fixture_builds_from_the_obs_debtransform_set() {
    let f = fixture();
    let model = f.model();
    for package in ["hello", "hello-go"] {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join(package);
        std::fs::create_dir_all(&src).unwrap();
        copy_into(&f.project.path().join("obs").join(package), &src);
        let dsc_text = std::fs::read_to_string(src.join(format!("{package}.dsc"))).unwrap();
        let tar = field(&dsc_text, "DEBTRANSFORM-TAR").expect("DEBTRANSFORM-TAR");
        assert_eq!(tar, format!("{package}-1.0.tar.gz"));
        f.tarball(&format!("{package}-1.0"), &src.join(&tar));

        let (dsc, tree) = debtransform(&src, work.path(), Some("7.1"));
        let version = field(&std::fs::read_to_string(&dsc).unwrap(), "Version").unwrap();
        assert_eq!(version, "1.0-2+7.1");
        // the gzip tarball becomes the .orig.tar.gz as it is, not recompressed
        assert_eq!(
            std::fs::read(work.path().join(format!("out/{package}_1.0.orig.tar.gz"))).unwrap(),
            std::fs::read(src.join(&tar)).unwrap()
        );
        if package == "hello" {
            // the patch is applied
            let c = std::fs::read_to_string(tree.join("hello.c")).unwrap();
            assert!(c.contains("--version"), "patch not applied:\n{c}");
        }
        build(&tree);
        check_debs(work.path(), &model, package);
        let changes = only(work.path(), ".changes");
        lintian(&[changes, dsc], &[]);
    }
}

#[test]
fn fixture_builds_from_the_native_directories() {
    let f = fixture();
    let model = f.model();
    for target in ["debian-12", "ubuntu-24.04"] {
        for package in ["hello", "hello-go"] {
            let work = tempfile::tempdir().unwrap();
            let w = work.path();
            let orig = w.join(format!("{package}_1.0.orig.tar.xz"));
            f.tarball(&format!("{package}-1.0"), &orig);
            must(
                Command::new("tar").arg("-xf").arg(&orig).current_dir(w),
                "tar",
            );
            let tree = w.join(format!("{package}-1.0"));
            let debian = f
                .project
                .path()
                .join("debian")
                .join(target)
                .join(package)
                .join("debian");
            std::fs::create_dir_all(tree.join("debian")).unwrap();
            copy_into(&debian, &tree.join("debian"));
            dpkg_source_native(&tree, w);
            build(&tree);
            check_debs(w, &model, package);
            let mut files = vec![only(w, ".dsc"), only(w, ".changes")];
            files.sort();
            if target.starts_with("ubuntu") {
                // The changelog names the Ubuntu release; bookworm's lintian 2.116 knows
                // Ubuntu releases up to lunar (23.04) only.
                let known = format!("E: {package} changes: bad-distribution-in-changes-file noble");
                lintian_except(&files, &["--profile", "ubuntu"], &[&known]);
            } else {
                lintian(&files, &[]);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// changelogs

/// Every Debian changelog under `dir`.
fn changelogs(dir: &Path) -> Vec<PathBuf> {
    files_where(dir, |f| {
        let n = f.file_name().unwrap().to_string_lossy();
        n == "debian.changelog"
            || (n == "changelog" && f.parent().is_some_and(|p| p.ends_with("debian")))
    })
}

#[track_caller]
fn parse_changelogs(dir: &Path) -> usize {
    let all = changelogs(dir);
    for c in &all {
        let out = must(
            Command::new(tool("dpkg-parsechangelog"))
                .arg("-l")
                .arg(c)
                .args(["--all"]),
            "dpkg-parsechangelog",
        );
        assert!(
            !out.contains("warning"),
            "dpkg-parsechangelog warns on {}:\n{out}",
            c.display()
        );
    }
    // the .dsc and the changelog agree, so debtransform adds no entry of its own
    for dsc in files_where(&dir.join("obs"), |f| f.to_string_lossy().ends_with(".dsc")) {
        let v = field(&std::fs::read_to_string(&dsc).unwrap(), "Version").unwrap();
        let log = dsc.parent().unwrap().join("debian.changelog");
        let top = must(
            Command::new(tool("dpkg-parsechangelog"))
                .arg("-l")
                .arg(&log)
                .args(["-S", "Version"]),
            "dpkg-parsechangelog -S Version",
        );
        assert_eq!(top.trim(), v, "{} and its changelog", dsc.display());
    }
    all.len()
}

/// A bundled manifest (one of `bundled_dirs()`) rendered afresh into a temporary directory.
fn bundled(dir: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["packages.toml", "changelog.toml"] {
        std::fs::copy(dir.join(f), tmp.path().join(f)).unwrap();
    }
    for d in ["patches", "templates"] {
        if dir.join(d).is_dir() {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
            copy_into(&dir.join(d), &tmp.path().join(d));
        }
    }
    ok(&pkgforge(tmp.path(), &["render", "-q"]));
    tmp
}

#[test]
fn every_rendered_changelog_parses() {
    for dir in bundled_dirs() {
        let b = bundled(&dir);
        // one OBS set and a native directory per deb target, for each package; and the
        // image packages' sets, counted below for Kata
        let model = pkgforge::manifest::load(&dir.join("packages.toml")).unwrap();
        let images: usize = model
            .rootfs
            .iter()
            .flat_map(|r| r.bases.iter().map(|base| r.package_name(base)))
            .map(|name| {
                changelogs(b.path())
                    .iter()
                    .filter(|c| {
                        let c = c.to_string_lossy();
                        c.contains(&format!("/{name}-pkg/"))
                            || c.contains(&format!("/{name}/debian/"))
                    })
                    .count()
            })
            .sum();
        let sets = model.packages.len() * (1 + model.deb_targets().count()) + images;
        assert_eq!(parse_changelogs(b.path()), sets, "{}", dir.display());
        assert!(parse_changelogs(&dir) >= sets, "{}", dir.display());
    }
    // Kata: 4 packages and the Debian 12 image package on three deb targets
    assert_eq!(parse_changelogs(bundled(&repo()).path()), 20);
    let f = fixture();
    assert_eq!(parse_changelogs(f.project.path()), 6);
    for case in deb_cases() {
        let tmp = golden(&case);
        assert!(parse_changelogs(tmp.path()) > 0, "{}", case.display());
    }
}

#[test]
fn changelog_is_dch_format() {
    let f = fixture();
    let text = std::fs::read_to_string(
        f.project
            .path()
            .join("debian/debian-12/hello/debian/changelog"),
    )
    .unwrap();
    assert_eq!(
        text,
        "\
hello (1.0-2) bookworm; urgency=medium

  * Add the --version option
  * Package the Go greeter as well; this line is long enough that the Debian
    changelog has to wrap it

 -- Jane Packager <jane@example.com>  Sun, 22 Nov 2026 04:00:00 +0000

hello (1.0-1) bookworm; urgency=medium

  * Initial package

 -- Jane Packager <jane@example.com>  Sat, 21 Nov 2026 04:00:00 +0000
"
    );
    let obs = std::fs::read_to_string(f.project.path().join("obs/hello/debian.changelog")).unwrap();
    assert!(obs.starts_with("hello (1.0-2) unstable; urgency=medium\n"));
    let noble = std::fs::read_to_string(
        f.project
            .path()
            .join("debian/ubuntu-24.04/hello/debian/changelog"),
    )
    .unwrap();
    assert!(noble.starts_with("hello (1.0-2) noble; urgency=medium\n"));
}

// ---------------------------------------------------------------------------------
// golden cases

fn deb_cases() -> Vec<PathBuf> {
    cases()
        .into_iter()
        .filter(|c| {
            c.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("deb-"))
        })
        .collect()
}

/// A stand-in upstream tree: the sources are not needed to check the packaging itself.
fn dummy_upstream(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("README"), "stand-in upstream\n").unwrap();
}

/// The vendored directories `debian/copyright` names (from `vendor-licenses.toml`), as
/// the build has them once the vendor archive is unpacked at the top of the tree:
/// lintian checks every `Files:` pattern against the source tree it is given.
fn vendored_stand_ins(p: &pkgforge::manifest::Package, dir: &Path) {
    for d in pkgforge::manifest::vendored::current(p) {
        std::fs::create_dir_all(dir.join(&d.dir)).unwrap();
        std::fs::write(dir.join(&d.dir).join("LICENSE"), "stand-in licence\n").unwrap();
    }
}

#[test]
fn golden_cases_match_and_pass_dpkg_source_and_lintian() {
    let all = deb_cases();
    assert!(all.len() >= 3, "the deb golden cases are missing");
    for case in all {
        let tmp = golden(&case);
        check_sources(tmp.path());
    }
}

#[test]
fn bundled_manifests_pass_dpkg_source_and_lintian() {
    for dir in bundled_dirs() {
        check_sources(bundled(&dir).path());
    }
}

/// Every package's OBS set goes through debtransform and `dpkg-source -x`, every native
/// directory through `dpkg-source --before-build` and `-b`, over a stand-in upstream
/// tree; debhelper reads each control file and lintian checks each source package.
fn check_sources(root: &Path) {
    let model = pkgforge::manifest::load(&root.join("packages.toml")).unwrap();
    for p in &model.packages {
        // OBS set: debtransform and dpkg-source accept it, lintian accepts the source
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join(&p.name);
        std::fs::create_dir_all(&src).unwrap();
        copy_into(&root.join("obs").join(&p.name), &src);
        let dsc_text = std::fs::read_to_string(src.join(format!("{}.dsc", p.name))).unwrap();
        let tar = field(&dsc_text, "DEBTRANSFORM-TAR").unwrap();
        let top = pkgforge::render::tarball_dir(&tar);
        dummy_upstream(&work.path().join("up").join(top));
        vendored_stand_ins(p, &work.path().join("up").join(top));
        must(
            Command::new("tar")
                .arg("-caf")
                .arg(src.join(&tar))
                .arg(top)
                .current_dir(work.path().join("up")),
            "tar",
        );
        let (dsc, unpacked) = debtransform(&src, work.path(), None);
        must(
            Command::new(tool("dh_listpackages")).current_dir(&unpacked),
            "dh_listpackages",
        );
        lintian(&[dsc], &[]);

        // native directories: dpkg-source applies the patches and builds a source package
        for t in model.deb_targets() {
            let work = tempfile::tempdir().unwrap();
            let upstream = &p.version.deb;
            let tree = work.path().join(format!("{}-{upstream}", p.name));
            dummy_upstream(&tree);
            vendored_stand_ins(p, &tree);
            let orig = work
                .path()
                .join(format!("{}_{upstream}.orig.tar.xz", p.name));
            must(
                Command::new("tar")
                    .arg("-caf")
                    .arg(&orig)
                    .arg(tree.file_name().unwrap())
                    .current_dir(work.path()),
                "tar",
            );
            let debian = root.join("debian").join(&t.id).join(&p.name).join("debian");
            std::fs::create_dir_all(tree.join("debian")).unwrap();
            copy_into(&debian, &tree.join("debian"));
            dpkg_source_native(&tree, work.path());
            must(
                Command::new(tool("dh_listpackages")).current_dir(&tree),
                "dh_listpackages",
            );
            let profile: &[&str] = if t.family == pkgforge::distro::Family::Ubuntu {
                &["--profile", "ubuntu"]
            } else {
                &[]
            };
            // With the upstream's key in debian/upstream/, dpkg-source and lintian look
            // for the upstream's signature of the orig tarball; the stand-in tarball has
            // none, which is the one thing lintian may say about it.
            let unsigned = format!(
                "W: {} source: orig-tarball-missing-upstream-signature {}",
                p.name,
                orig.file_name().unwrap().to_string_lossy()
            );
            let known: &[&str] = if debian.join("upstream/signing-key.asc").is_file() {
                &[unsigned.as_str()]
            } else {
                &[]
            };
            lintian_except(&[only(work.path(), ".dsc")], profile, known);
        }
    }
}

// ---------------------------------------------------------------------------------
// versions

#[test]
fn version_translation_sorts_like_upstream() {
    use pkgforge::version::Version;
    // ascending, as upstream means them
    let raw = [
        "1.9",
        "1.10",
        "3.2.0-alpha.1",
        "3.2.0-beta1",
        "3.2.0-rc1",
        "3.2.0rc2",
        "3.2.0",
        "3.2.0+git20260101.abc123",
        "3.2.0.1",
        "3.2.1-rc1",
        "3.2.1",
        "10.0",
    ];
    let mut versions: Vec<Version> = raw
        .iter()
        .map(|r| Version::parse(r, None).unwrap())
        .collect();
    // an epoch sorts above everything without one
    versions.push(Version::parse("0.1", Some(1)).unwrap());

    let deb: Vec<String> = versions.iter().map(|v| v.debian(1)).collect();
    for w in deb.windows(2) {
        let (ok, out) =
            run(Command::new(tool("dpkg")).args(["--compare-versions", &w[0], "lt", &w[1]]));
        assert!(ok, "dpkg: {} is not older than {} {out}", w[0], w[1]);
    }
    // the packaging revision orders releases of one version
    for (a, b) in [("3.2.0~rc1-1", "3.2.0~rc1-2"), ("3.2.0-2", "3.2.0-2+7.1")] {
        assert!(run(Command::new(tool("dpkg")).args(["--compare-versions", a, "lt", b])).0);
    }

    let rpm: Vec<(String, String, String)> = versions
        .iter()
        .map(|v| {
            (
                v.epoch.map(|e| e.to_string()).unwrap_or_else(|| "0".into()),
                v.rpm.clone(),
                "1".to_string(),
            )
        })
        .collect();
    let json = serde_json::to_string(&rpm).unwrap();
    let script = "\
import json, sys, rpm
vs = json.loads(sys.argv[1])
bad = [(a, b) for a, b in zip(vs, vs[1:]) if rpm.labelCompare(tuple(a), tuple(b)) != -1]
print(json.dumps(bad))
sys.exit(1 if bad else 0)
";
    // python3-rpm is a binding for the system's python3, not for one in a virtualenv or
    // pyenv that may come first in PATH; -I: the `rpm/` output directory must not shadow it
    let python = Path::new("/usr/bin/python3");
    assert!(
        python.is_file(),
        "validator /usr/bin/python3 (with python3-rpm) is missing"
    );
    let (ok, out) = run(Command::new(python).args(["-I", "-c", script, &json]));
    assert!(ok, "rpm order differs for: {out}");
}

// ---------------------------------------------------------------------------------
// selection

#[test]
fn distro_selection_writes_only_the_selected_deb_files() {
    let f = fixture();
    let p = f.project.path();
    std::fs::remove_dir_all(p.join("debian")).unwrap();
    std::fs::remove_dir_all(p.join("obs")).unwrap();
    ok(&pkgforge(p, &["render", "-q", "--distro", "ubuntu"]));
    assert!(p.join("debian/ubuntu-24.04/hello/debian/control").is_file());
    assert!(!p.join("debian/debian-12").exists());
    assert!(p.join("obs/hello/hello.dsc").is_file());
    assert!(!p.join("obs/hello/hello.spec").exists());
    let rules = p.join("debian/ubuntu-24.04/hello/debian/rules");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(rules).unwrap().permissions().mode() & 0o111,
        0o111
    );
    ok(&pkgforge(p, &["render", "-q", "--distro", "opensuse"]));
    assert!(p.join("obs/hello/hello.spec").is_file());
}

/// Systemd units and a package with an empty build, from a native directory built twice
/// in the same tree with `dpkg-buildpackage` (source and binaries, so that `dpkg-source`
/// sees any file the first build left): the service with an `[Install]` section is
/// enabled and started, the static one neither, no `-dbgsym` package comes from the
/// package whose build is empty, and lintian accepts the result.
#[test]
fn units_and_a_second_build_in_the_same_tree() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let upstream = w.join("upstream");
    let (_, commit) = common::git::repo_with(&upstream, conventions::UPSTREAM, "hello 1.0");
    let project = w.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("packages.toml"),
        conventions::manifest(
            &format!("file://{}", upstream.display()),
            &commit,
            r#""debian-12""#,
        ),
    )
    .unwrap();
    std::fs::write(project.join("changelog.toml"), conventions::CHANGELOG).unwrap();
    ok(&pkgforge(&project, &["render", "-q"]));
    for package in ["hello", "hello-blob"] {
        let build_dir = w.join(format!("build-{package}"));
        std::fs::create_dir_all(&build_dir).unwrap();
        let orig = build_dir.join(format!("{package}_1.0.orig.tar.xz"));
        must(
            Command::new("sh").arg("-c").arg(format!(
                "git -C '{}' archive --format=tar --prefix={package}-1.0/ {commit} | xz >'{}'",
                upstream.display(),
                orig.display()
            )),
            "git archive",
        );
        must(
            Command::new("tar")
                .arg("-xf")
                .arg(&orig)
                .current_dir(&build_dir),
            "tar",
        );
        let tree = build_dir.join(format!("{package}-1.0"));
        copy_into(
            &project
                .join("debian/debian-12")
                .join(package)
                .join("debian"),
            &tree.join("debian"),
        );
        record_build_depends(&tree.join("debian/control"));
        for round in ["first", "second"] {
            must(
                Command::new(tool("dpkg-buildpackage"))
                    .args(["-us", "-uc"])
                    .current_dir(&tree)
                    .env_remove("MAKEFLAGS"),
                &format!("{round} dpkg-buildpackage of {package} in the same tree"),
            );
        }
        let debs = files_where(&build_dir, |p| p.to_string_lossy().ends_with(".deb"));
        assert!(
            debs.iter()
                .all(|d| !d.to_string_lossy().contains("-dbgsym_")),
            "{debs:?}"
        );
        if package == "hello" {
            let deb = debs
                .iter()
                .find(|d| {
                    d.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("hello_")
                })
                .unwrap();
            let files = must(
                Command::new(tool("dpkg-deb")).arg("-c").arg(deb),
                "dpkg-deb -c",
            );
            assert!(
                files.contains("/systemd/system/hello-agent.service"),
                "{files}"
            );
            let control = w.join("control");
            must(
                Command::new(tool("dpkg-deb"))
                    .arg("-e")
                    .arg(deb)
                    .arg(&control),
                "dpkg-deb -e",
            );
            let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
            assert!(
                postinst.contains("deb-systemd-helper enable 'hello.service'"),
                "{postinst}"
            );
            assert!(
                postinst.contains("deb-systemd-invoke $_dh_action 'hello.service'"),
                "{postinst}"
            );
            assert!(!postinst.contains("hello-agent"), "{postinst}");
        } else {
            assert_eq!(debs.len(), 1, "{debs:?}");
        }
        let changes = only(&build_dir, ".changes");
        lintian(&[changes], &[]);
    }
}

// ---------------------------------------------------------------------------------
// image packages

/// An image package: `pkgforge sources` packs the image kiwi made (a stand-in kiwi-ng
/// here) as the `.dsc`'s `DEBTRANSFORM-TAR`; debtransform and dpkg-buildpackage build an
/// architecture-specific .deb that installs the image under /usr/lib/<project>, with no
/// -dbgsym package; lintian accepts it. The native directory builds too, twice.
#[test]
fn image_package_builds_from_the_image_kiwi_made() {
    let project = common::image::project();
    image_package(
        project.path(),
        "/usr/lib/guestrt/guest-rootfs-debian-12.tar.xz",
        |_| {},
    );
}

/// An image package with `install-as = "disk"`: its build, as a user would run it, makes
/// a disk image from the archive (under fakeroot, mkfs.ext4 -d, sfdisk) that the .deb installs
/// as `/usr/lib/<project>/<rootfs>.img`: one partition at sector 2048 holding an ext4 file
/// system with the archive's tree, owners and modes. Lintian accepts it; the native
/// directory builds twice in one tree.
#[test]
fn image_package_installs_a_disk_image() {
    let project = common::image::disk_project();
    image_package(project.path(), "/usr/lib/guestrt/guest-rootfs.img", |deb| {
        let root = tempfile::tempdir().unwrap();
        must(
            Command::new(tool("dpkg-deb"))
                .arg("-x")
                .arg(deb)
                .arg(root.path()),
            "dpkg-deb -x",
        );
        common::image::check_disk_image(&root.path().join("usr/lib/guestrt/guest-rootfs.img"));
    });
}

/// Builds the Debian 12 image package of the rendered case in `dir` from the OBS set and
/// from the native directories of two targets: one .deb that installs `installed`,
/// which `check` then inspects; lintian accepts each.
fn image_package(dir: &Path, installed: &str, check: impl Fn(&Path)) {
    let kiwi = common::image::fake_kiwi(dir);
    let package = "guest-rootfs-debian-12";
    common::ok(&common::image::sources(
        dir,
        &kiwi,
        &format!("{package}-pkg"),
    ));
    let args = std::fs::read_to_string(kiwi.join("kiwi-args")).unwrap();
    assert!(
        args.contains("/debian,apt-deb,bookworm,,false,false,,main,bookworm,false"),
        "{args}"
    );
    let obs = dir.join("obs").join(format!("{package}-pkg"));
    let tar = "guest-rootfs-debian-12-1.4.tar.gz";
    let dsc_text = std::fs::read_to_string(obs.join(format!("{package}.dsc"))).unwrap();
    assert_eq!(field(&dsc_text, "DEBTRANSFORM-TAR").unwrap(), tar);
    let want: BTreeSet<String> = [installed.to_string()].into();

    // the OBS set, as OBS builds it
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join(package);
    std::fs::create_dir_all(&src).unwrap();
    copy_into(&obs, &src);
    let (dsc, tree) = debtransform(&src, work.path(), Some("3.1"));
    build(&tree);
    let debs = files_where(work.path(), |f| f.to_string_lossy().ends_with(".deb"));
    assert_eq!(debs.len(), 1, "one .deb, no -dbgsym: {debs:?}");
    assert!(
        debs[0].to_string_lossy().ends_with("_amd64.deb"),
        "{debs:?}"
    );
    assert_eq!(deb_files(&debs[0]), want);
    check(&debs[0]);
    lintian(&[only(work.path(), ".changes"), dsc], &[]);

    // the native directory, with the same archive as the orig tarball
    for target in ["debian-12", "ubuntu-24.04"] {
        let work = tempfile::tempdir().unwrap();
        let w = work.path();
        must(
            Command::new("tar")
                .arg("-xf")
                .arg(obs.join(tar))
                .current_dir(w),
            "tar",
        );
        let orig = w.join(format!("{package}_1.4.orig.tar.xz"));
        must(
            Command::new("tar")
                .arg("-cJf")
                .arg(&orig)
                .arg(format!("{package}-1.4"))
                .current_dir(w),
            "tar",
        );
        let tree = w.join(format!("{package}-1.4"));
        let debian = dir.join("debian").join(target).join(package).join("debian");
        std::fs::create_dir_all(tree.join("debian")).unwrap();
        copy_into(&debian, &tree.join("debian"));
        dpkg_source_native(&tree, w);
        build(&tree);
        // clean, then a second build in the same tree
        build(&tree);
        let debs = files_where(w, |f| f.to_string_lossy().ends_with(".deb"));
        assert_eq!(debs.len(), 1, "{debs:?}");
        assert_eq!(deb_files(&debs[0]), want);
        check(&debs[0]);
        if target.starts_with("ubuntu") {
            let known = format!("E: {package} changes: bad-distribution-in-changes-file noble");
            lintian_except(
                &[only(w, ".dsc"), only(w, ".changes")],
                &["--profile", "ubuntu"],
                &[&known],
            );
        } else {
            lintian(&[only(w, ".dsc"), only(w, ".changes")], &[]);
        }
    }
}
