//! Concurrent runs: the mutating commands take `.pkgforge.lock` beside the manifest; a
//! second one fails at once (exit 2) naming the holder; read-only commands take no lock;
//! a lock left by a killed run is taken over with a warning. And the journal: a bump
//! interrupted between its two inputs is completed by the next mutating run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use pkgforge::lock::Lock;

const MANIFEST: &str = r#"[project]
name = "demo"
maintainer = "Demo Packagers <demo@example.org>"
homepage = "https://example.org/demo"
obs-project = "home:demo"
targets = ["opensuse-tumbleweed", "fedora-42", "debian-12"]
archs = ["x86_64"]

[upstreams.demo]
git = "file:///nonexistent/pkgforge-lock-test/demo.git"
commit = "0123456789abcdef0123456789abcdef01234567"
version = "1.2.0"

[[packages]]
name = "demo"
upstream = "demo"
summary = "A demo program"
description = "Demonstrates pkgforge."
build = "make"
install = "make install DESTDIR=$DESTDIR PREFIX=/usr"
files = ["/usr/bin/demo"]

[[archive]]
upstream = "demo"
series = "1.1"
version = "1.1.4"
commit = "89abcdef0123456789abcdef0123456789abcdef"
archived = "2026-10-01"
"#;

const CHANGELOG: &str = r#"[[entry]]
upstream = "demo"
version = "1.2.0"
date = "2026-11-22T04:00:00Z"
author = "Demo Packagers <demo@example.org>"
changes = ["Update to version 1.2.0"]
"#;

const BUMP: &[&str] = &[
    "bump",
    "--version",
    "1.3.0",
    "--commit",
    "fedcba9876543210fedcba9876543210fedcba98",
    "--date",
    "2026-12-01T08:00:00Z",
];

fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("packages.toml"), MANIFEST).unwrap();
    std::fs::write(tmp.path().join("changelog.toml"), CHANGELOG).unwrap();
    ok(&pkgforge(tmp.path(), &["render"]));
    tmp
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            if rel != ".pkgforge.lock" {
                out.push((rel, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out
}

#[test]
fn mutating_commands_fail_at_once_naming_the_holder() {
    let tmp = project();
    let dir = tmp.path();
    let before = tree(dir);
    let lock = Lock::acquire(&dir.join("packages.toml"), "pkgforge bump --version 3.2.0").unwrap();
    let lock_path = dir.join(".pkgforge.lock");
    for args in [
        &["render"][..],
        &["render", "--distro", "opensuse"][..],
        BUMP,
        &["archive", "prune", "--series", "1.1"][..],
        &["watch", "--apply"][..],
    ] {
        let start = Instant::now();
        let out = pkgforge(dir, args);
        let took = start.elapsed();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        let expected = format!(
            "error: another pkgforge (pid {}, `pkgforge bump --version 3.2.0`, started ",
            std::process::id()
        );
        assert!(err.starts_with(&expected), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                ") holds packages.toml's lock `{}`\n  = note: wait for it to finish",
                lock_path.display()
            )),
            "{args:?}: {err}"
        );
        assert!(took < Duration::from_secs(5), "{args:?} waited {took:?}");
        assert_eq!(tree(dir), before, "{args:?} wrote something");
    }
    // Read-only commands take no lock.
    for (args, code) in [
        (&["render", "--check"][..], 0),
        (&["diff"][..], 0),
        (&["check"][..], 0),
        (&["distros"][..], 0),
        (&["archive", "list"][..], 0),
        (&[BUMP, &["--dry-run"]].concat()[..], 0),
    ] {
        let out = pkgforge(dir, args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("lock"), "{args:?}: {}", stderr(&out));
    }
    // watch without --apply only reads too: its upstream is unreachable (exit 3), not locked.
    let out = pkgforge(dir, &["watch"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!stderr(&out).contains("holds"), "{}", stderr(&out));
    assert_eq!(
        tree(dir).len(),
        before.len() + 1,
        "only the watch cache is new"
    );

    drop(lock);
    assert!(!lock_path.exists(), "a released lock leaves no file");
    ok(&pkgforge(dir, &["render"]));
    assert!(!lock_path.exists());
}

#[test]
fn a_lock_left_by_a_killed_run_is_taken_over_with_a_warning() {
    let tmp = project();
    let dir = tmp.path();
    // A pid that is certainly dead: a child we have reaped.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .to_string();
    let lock_path = dir.join(".pkgforge.lock");
    std::fs::write(
        &lock_path,
        format!(
            "pid={pid}\nhost={host}\ncommand=pkgforge render --distro debian\nstarted=2026-11-20T12:00:00Z\nmanifest={}\n",
            dir.join("packages.toml").display()
        ),
    )
    .unwrap();
    let out = pkgforge(dir, &["render"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "warning: taking over the lock `{}` left by a pkgforge that is no longer running (pid {pid}, `pkgforge render --distro debian`, started 2026-11-20 ",
            lock_path.display()
        )),
        "{err}"
    );
    assert!(!lock_path.exists());
    // An empty lock file (a run killed before it wrote its details) is taken silently.
    std::fs::write(&lock_path, "").unwrap();
    let out = pkgforge(dir, &["render"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

/// What a bump killed after writing the changelog but before the manifest leaves: the
/// journal, the new changelog, the old manifest, some outputs new.
fn interrupted_bump(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let done = tempfile::tempdir().unwrap();
    copy_into(dir, done.path());
    ok(&pkgforge(done.path(), BUMP));
    let complete = tree(done.path());
    let new_changelog = std::fs::read_to_string(done.path().join("changelog.toml")).unwrap();
    let new_manifest = std::fs::read_to_string(done.path().join("packages.toml")).unwrap();
    let sha = |p: &str| {
        use sha2::Digest;
        let d = sha2::Sha256::digest(std::fs::read(dir.join(p)).unwrap());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let journal = serde_json::json!({
        "written": "2026-12-01T08:00:01Z",
        "pid": 1,
        "files": [
            {"path": "changelog.toml", "old_sha256": sha("changelog.toml"), "new": new_changelog},
            {"path": "packages.toml", "old_sha256": sha("packages.toml"), "new": new_manifest},
        ]
    });
    std::fs::write(
        dir.join(".pkgforge-journal"),
        serde_json::to_string(&journal).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("changelog.toml"), &new_changelog).unwrap();
    std::fs::copy(
        done.path().join("obs/demo/demo.spec"),
        dir.join("obs/demo/demo.spec"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join(".pkgforge-tmp")).unwrap();
    std::fs::write(dir.join(".pkgforge-tmp/.pkgforge-x1.tmp"), "half").unwrap();
    complete
}

#[test]
fn the_next_render_completes_an_interrupted_bump() {
    let tmp = project();
    let dir = tmp.path();
    let complete = interrupted_bump(dir);
    // Read-only commands say so and change nothing.
    let out = pkgforge(dir, &["render", "--check"]);
    assert!(
        stderr(&out).contains(
            "records an interrupted bump or prune; the next `pkgforge render` completes it"
        ),
        "{}",
        stderr(&out)
    );
    assert!(dir.join(".pkgforge-journal").exists());
    // A render limited to one distro still renders everything: the inputs moved.
    let out = pkgforge(dir, &["render", "--distro", "debian"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "warning: completing a bump or prune that was interrupted (packages.toml rolled forward from .pkgforge-journal)"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(tree(dir), complete);
    assert_eq!(pkgforge(dir, &["render", "--check"]).status.code(), Some(0));
}

#[test]
fn a_journal_is_not_rolled_over_a_manifest_edited_since() {
    let tmp = project();
    let dir = tmp.path();
    interrupted_bump(dir);
    let edited = MANIFEST.replace("A demo program", "An edited demo program");
    std::fs::write(dir.join("packages.toml"), &edited).unwrap();
    let before = tree(dir);
    let out = pkgforge(dir, &["render"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("packages.toml` changed after the bump or prune that `"),
        "{}",
        stderr(&out)
    );
    let after: Vec<_> = tree(dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".pkgforge-tmp"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".pkgforge-tmp"))
        .collect();
    assert_eq!(after, before, "nothing written");
}
