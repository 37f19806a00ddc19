//! Crash safety: `render` and `bump` killed with SIGKILL at many instants on a large
//! generated manifest. After every kill each file is its old or its new content, the
//! manifest and the changelog parse, no temporary file sits where osc or dpkg-source would
//! take it for a source, and the next `render` repairs everything (`render --check` then
//! exits 0). See `src/journal.rs` for the design.
//!
//! `PKGFORGE_CRASH_PACKAGES` (default 50: about 2,000 files) and `PKGFORGE_CRASH_RUNS` (kills per command,
//! default 30) scale it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const OLD_COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const NEW_COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Many packages on every built-in target, with subpackages and a guest image, so render
/// writes thousands of files in every kind of directory. `edited` is the same manifest
/// after a hand edit that touches nearly every output: maintainer, summaries, version.
fn manifest(packages: usize, edited: bool) -> String {
    let (maintainer, version, commit, what) = if edited {
        (
            "New Packagers <new@example.org>",
            "1.2.1",
            NEW_COMMIT,
            "Edited crash test package",
        )
    } else {
        (
            "Crash Packagers <crash@example.org>",
            "1.2.0",
            OLD_COMMIT,
            "Crash test package",
        )
    };
    // every built-in distro
    let targets: Vec<String> = pkgforge::distro::builtin()
        .iter()
        .map(|d| format!("\"{}\"", d.id))
        .collect();
    let mut s = format!(
        r#"# A large generated manifest for the crash test.
[project]
name = "crash"
maintainer = "{maintainer}"
homepage = "https://example.org/crash"
obs-project = "home:crash"
targets = [{}]
archs = ["x86_64", "aarch64"]

[upstreams.crash]
git = "https://example.org/crash.git"
commit = "{commit}"   # pinned
version = "{version}"

[toolchains]
go = "1.22"
"#,
        targets.join(", ")
    );
    for i in 0..packages {
        s.push_str(&format!(
            r#"
[[packages]]
name = "crash-{i:03}"
upstream = "crash"
summary = "{what} {i}"
description = """
Package number {i} of the crash test.

It exists to be written and killed."""
toolchain = "go"
build-requires = ["make"]
build = "make -C part{i}"
install = "make -C part{i} install DESTDIR=$DESTDIR PREFIX=/usr"
files = ["/usr/bin/crash-{i:03}"]
"#
        ));
        if i % 4 == 0 {
            s.push_str(&format!(
                r#"
[[packages.subpackages]]
suffix = "tools"
summary = "Tools of {what} {i}"
files = ["/usr/bin/crash-{i:03}-tool"]
"#
            ));
        }
    }
    s.push_str(
        r#"
[[rootfs]]
name = "crash-image"
summary = "Crash test guest image"
upstream = "crash"
bases = ["opensuse-tumbleweed", "fedora-41", "debian-12"]
packages = ["systemd"]
"#,
    );
    s
}

fn changelog(edited: bool) -> String {
    let newer = if edited {
        "[[entry]]\nupstream = \"crash\"\nversion = \"1.2.1\"\ndate = \"2026-11-15T12:00:00Z\"\nauthor = \"New Packagers <new@example.org>\"\nchanges = [\"Update to version 1.2.1\"]\n\n"
    } else {
        ""
    };
    newer.to_string() + "[[entry]]\nupstream = \"crash\"\nversion = \"1.2.0\"\ndate = \"2026-11-01T12:00:00Z\"\nauthor = \"Crash Packagers <crash@example.org>\"\nchanges = [\"Update to version 1.2.0\"]\n"
}

/// A scratch directory, on tmpfs (`/dev/shm`) when there is one: every run copies and
/// compares thousands of files, which a disk makes slow, and what is tested, a process
/// killed between two system calls, is the same on any filesystem. Override with
/// `PKGFORGE_CRASH_TMPDIR`.
fn scratch() -> tempfile::TempDir {
    let base = std::env::var_os("PKGFORGE_CRASH_TMPDIR")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|d| d.is_dir()))
        .unwrap_or_else(std::env::temp_dir);
    tempfile::Builder::new()
        .prefix("pkgforge-crash-")
        .tempdir_in(&base)
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

/// Every file under `dir` by relative path.
type Tree = BTreeMap<PathBuf, Vec<u8>>;

fn snapshot(dir: &Path) -> Tree {
    let mut out = Tree::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .arg("--manifest")
        .arg(dir.join("packages.toml"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("PKGFORGE_AUTHOR", "Crash Packagers <crash@example.org>")
        .env_remove("GITHUB_TOKEN")
        .env_remove("SOURCE_DATE_EPOCH");
    c
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    cmd(dir, args).output().unwrap()
}

const BUMP: &[&str] = &[
    "bump",
    "--version",
    "1.3.0",
    "--commit",
    NEW_COMMIT,
    "--date",
    "2026-12-01T08:00:00Z",
];

/// The old tree, the new tree, and what turns one into the other.
struct Scenario {
    name: &'static str,
    old: Tree,
    new: Tree,
    /// Prepares a copy of the old tree for the command (the render scenario edits the
    /// manifest first).
    setup: Box<dyn Fn(&Path)>,
    args: &'static [&'static str],
}

fn render_fresh(dir: &Path, manifest: &str, changelog: &str) -> Tree {
    std::fs::write(dir.join("packages.toml"), manifest).unwrap();
    std::fs::write(dir.join("changelog.toml"), changelog).unwrap();
    ok(&run(dir, &["render"]));
    snapshot(dir)
}

fn write_tree(dir: &Path, tree: &Tree) {
    for (p, bytes) in tree {
        let full = dir.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
}

/// What a kill left, checked against the two trees; panics with the reason.
fn check_after_kill(s: &Scenario, dir: &Path, label: &str) {
    let now = snapshot(dir);
    for (p, bytes) in &now {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let in_tmp = p.starts_with(".pkgforge-tmp");
        if in_tmp || p == Path::new(".pkgforge.lock") || p == Path::new(".pkgforge-journal") {
            continue;
        }
        assert!(
            !(name.starts_with(".pkgforge-") && name.ends_with(".tmp")),
            "{label}: temporary file {} outside .pkgforge-tmp/",
            p.display()
        );
        if p == Path::new(".pkgforge-outputs") {
            // Old, new, or the union written first: every line is an old or a new one.
            let known: BTreeSet<&str> = [&s.old, &s.new]
                .iter()
                .filter_map(|t| t.get(p))
                .flat_map(|b| std::str::from_utf8(b).unwrap().lines())
                .collect();
            for line in std::str::from_utf8(bytes).unwrap().lines() {
                assert!(
                    known.contains(line),
                    "{label}: .pkgforge-outputs has a line neither old nor new: {line}"
                );
            }
            continue;
        }
        let old = s.old.get(p);
        let new = s.new.get(p);
        assert!(
            old == Some(bytes) || new == Some(bytes),
            "{label}: {} is neither its old nor its new content ({} bytes; old {:?}, new {:?})",
            p.display(),
            bytes.len(),
            old.map(Vec::len),
            new.map(Vec::len)
        );
    }
    // A file missing now must be missing in the old or the new tree.
    for p in s.old.keys().chain(s.new.keys()) {
        if !now.contains_key(p) {
            assert!(
                !(s.old.contains_key(p) && s.new.contains_key(p)),
                "{label}: {} vanished",
                p.display()
            );
        }
    }
    for f in ["packages.toml", "changelog.toml"] {
        let text = String::from_utf8(now[Path::new(f)].clone()).unwrap();
        text.parse::<toml::Table>()
            .unwrap_or_else(|e| panic!("{label}: {f} does not parse: {e}"));
    }
}

#[derive(Default, Debug)]
struct Outcome {
    runs: usize,
    /// Killed before it changed anything.
    untouched: usize,
    /// Killed half-way: some files old, some new.
    partial: usize,
    /// Killed after it finished (or it finished before the kill).
    complete: usize,
    /// A bump journal was left and rolled forward by the next render.
    journals: usize,
    /// Temporary files left in .pkgforge-tmp/ and removed by the next render.
    temporaries: usize,
    /// Stale locks taken over by the next render.
    stale_locks: usize,
}

fn classify(s: &Scenario, dir: &Path, setup_tree: &Tree) -> &'static str {
    let now = snapshot(dir);
    let relevant = |t: &Tree| -> Tree {
        t.iter()
            .filter(|(p, _)| {
                !p.starts_with(".pkgforge-tmp")
                    && *p != Path::new(".pkgforge.lock")
                    && *p != Path::new(".pkgforge-journal")
            })
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect()
    };
    let now = relevant(&now);
    if now == relevant(setup_tree) {
        "untouched"
    } else if now == relevant(&s.new) {
        "complete"
    } else {
        "partial"
    }
}

/// One kill: copy the old tree, start the command, kill it after `delay` (counted from
/// the first temporary file when `after_first_write`), check, repair, check again.
fn kill_once(
    s: &Scenario,
    delay: Duration,
    after_first_write: bool,
    label: &str,
    outcome: &mut Outcome,
) {
    let tmp = scratch();
    let dir = tmp.path();
    write_tree(dir, &s.old);
    (s.setup)(dir);
    let setup_tree = snapshot(dir);
    let mut child = cmd(dir, s.args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if after_first_write {
        let start = Instant::now();
        while !dir.join(".pkgforge-tmp").exists()
            && child.try_wait().unwrap().is_none()
            && start.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    std::thread::sleep(delay);
    let _ = child.kill();
    child.wait().unwrap();

    check_after_kill(s, dir, label);
    let class = classify(s, dir, &setup_tree);
    match class {
        "untouched" => outcome.untouched += 1,
        "complete" => outcome.complete += 1,
        _ => outcome.partial += 1,
    }
    outcome.runs += 1;
    let journal = dir.join(".pkgforge-journal").exists();
    let temporaries = std::fs::read_dir(dir.join(".pkgforge-tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    outcome.journals += journal as usize;
    let holder_left =
        std::fs::read_to_string(dir.join(".pkgforge.lock")).is_ok_and(|t| t.contains("pid="));
    outcome.stale_locks += holder_left as usize;
    outcome.temporaries += temporaries;
    let manifest_moved =
        std::fs::read(dir.join("packages.toml")).unwrap() == s.new[Path::new("packages.toml")];

    // The next render repairs everything.
    let repair = run(dir, &["render"]);
    assert!(
        repair.status.success(),
        "{label}: the repairing render failed\n{}",
        stderr(&repair)
    );
    if holder_left {
        assert!(
            stderr(&repair).contains("warning: taking over the lock"),
            "{label}: a dead holder's lock is taken over with a warning\n{}",
            stderr(&repair)
        );
    }
    let after = snapshot(dir);
    if journal || manifest_moved {
        assert!(
            after == s.new,
            "{label}: the repairing render did not complete the change ({class}, journal {journal}): {:?}",
            first_difference(&after, &s.new)
        );
    } else {
        assert!(
            after == s.old || after == s.new,
            "{label}: after the repairing render the tree is neither old nor new: {:?} / {:?}",
            first_difference(&after, &s.old),
            first_difference(&after, &s.new)
        );
    }
    // The tree equals a complete render, so `render --check` passes; run it now and then
    // to prove it (each run costs a full render).
    if outcome.runs % 5 == 1 {
        let check = run(dir, &["render", "--check"]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "{label}: render --check after the repair\n{}",
            stderr(&check)
        );
    }
}

fn first_difference(a: &Tree, b: &Tree) -> Option<String> {
    let keys: BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    keys.into_iter().find(|k| a.get(*k) != b.get(*k)).map(|k| {
        format!(
            "{} ({:?} vs {:?} bytes)",
            k.display(),
            a.get(k).map(Vec::len),
            b.get(k).map(Vec::len)
        )
    })
}

/// How long the command takes uncut, and when its first write happens.
fn measure(s: &Scenario) -> (Duration, Duration) {
    let tmp = scratch();
    let dir = tmp.path();
    write_tree(dir, &s.old);
    (s.setup)(dir);
    let start = Instant::now();
    let mut child = cmd(dir, s.args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_write = None;
    while child.try_wait().unwrap().is_none() {
        if first_write.is_none() && dir.join(".pkgforge-tmp").exists() {
            first_write = Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let total = start.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        snapshot(dir),
        s.new,
        "{}: an uncut run gives the new tree",
        s.name
    );
    (total, first_write.unwrap_or(total))
}

fn kill_many(s: &Scenario, runs: usize) -> Outcome {
    let (total, first_write) = measure(s);
    let writing = total.saturating_sub(first_write);
    eprintln!(
        "{}: {} files; an uncut run takes {total:?}, writing from {first_write:?}",
        s.name,
        s.new.len()
    );
    let mut outcome = Outcome::default();
    // Half the kills spread over the whole run, half over its writing phase (found by
    // waiting for the first temporary file), so both loading and writing get hit.
    let uniform = runs.div_ceil(2);
    for i in 0..runs {
        let (delay, after_write) = if i < uniform {
            (total.mul_f64(i as f64 / (uniform - 1).max(1) as f64), false)
        } else {
            let j = i - uniform;
            let n = (runs - uniform).max(1);
            (writing.mul_f64(j as f64 / n as f64), true)
        };
        let label = format!(
            "{} kill {i} at {delay:?}{}",
            s.name,
            if after_write {
                " after the first write"
            } else {
                ""
            }
        );
        kill_once(s, delay, after_write, &label, &mut outcome);
    }
    eprintln!("{}: {outcome:?}", s.name);
    assert_eq!(outcome.runs, runs);
    outcome
}

fn scenarios(packages: usize) -> Vec<Scenario> {
    let old_dir = scratch();
    let old = render_fresh(
        old_dir.path(),
        &manifest(packages, false),
        &changelog(false),
    );

    // render: the manifest and the changelog edited by hand, then rendered.
    let (new_manifest, new_changelog) = (manifest(packages, true), changelog(true));
    let render_new_dir = scratch();
    let render_new = render_fresh(render_new_dir.path(), &new_manifest, &new_changelog);
    let render = Scenario {
        name: "render",
        old: old.clone(),
        new: render_new,
        setup: Box::new(move |dir: &Path| {
            std::fs::write(dir.join("packages.toml"), &new_manifest).unwrap();
            std::fs::write(dir.join("changelog.toml"), &new_changelog).unwrap();
        }),
        args: &["render"],
    };

    // bump: a new version and commit, a changelog entry, the 1.2 series archived.
    let bump_dir = scratch();
    write_tree(bump_dir.path(), &old);
    ok(&run(bump_dir.path(), BUMP));
    let bump_new = snapshot(bump_dir.path());
    assert!(bump_new.keys().any(|p| p.starts_with("obs/_archive")));
    let bump = Scenario {
        name: "bump",
        old,
        new: bump_new,
        setup: Box::new(|_: &Path| {}),
        args: BUMP,
    };
    vec![render, bump]
}

#[test]
fn kills_at_any_point_leave_old_or_new_files_and_the_next_render_repairs_them() {
    let packages = env_usize("PKGFORGE_CRASH_PACKAGES", 50);
    let runs = env_usize("PKGFORGE_CRASH_RUNS", 30);
    let mut total = Outcome::default();
    for s in scenarios(packages) {
        let changed = s
            .old
            .iter()
            .filter(|(p, b)| s.new.get(*p) != Some(*b))
            .count();
        eprintln!(
            "{}: {} of {} old files change",
            s.name,
            changed,
            s.old.len()
        );
        assert!(
            changed * 3 > s.old.len(),
            "{}: a large part of the files must change",
            s.name
        );
        let o = kill_many(&s, runs);
        total.runs += o.runs;
        total.untouched += o.untouched;
        total.partial += o.partial;
        total.complete += o.complete;
        total.journals += o.journals;
        total.temporaries += o.temporaries;
        total.stale_locks += o.stale_locks;
    }
    eprintln!("all: {total:?}");
    // The kills must have landed in the middle of writing, not only before or after.
    assert!(
        total.partial > 0,
        "no kill hit a half-written tree: {total:?}"
    );
}

#[test]
fn a_second_run_fails_at_once_while_a_real_one_holds_the_lock() {
    let packages = env_usize("PKGFORGE_CRASH_PACKAGES", 50);
    let tmp = scratch();
    let dir = tmp.path();
    std::fs::write(dir.join("packages.toml"), manifest(packages, false)).unwrap();
    std::fs::write(dir.join("changelog.toml"), changelog(false)).unwrap();
    let mut first = cmd(dir, &["render"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir.join(".pkgforge.lock");
    let start = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("started="))
        && start.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let begun = Instant::now();
    let second = run(dir, BUMP);
    let took = begun.elapsed();
    let still_running = first.try_wait().unwrap().is_none();
    first.wait().unwrap();
    if !still_running {
        // The first one finished before the second looked: nothing to learn on this machine.
        eprintln!("the first render finished too soon to test against it");
        return;
    }
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    let err = stderr(&second);
    assert!(
        err.contains(&format!(
            "another pkgforge (pid {}, `pkgforge --manifest",
            first.id()
        )) && err.contains(" render`, started ")
            && err.contains("holds packages.toml's lock"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "it waited {took:?}");
    // Nothing of the bump was written.
    assert!(std::fs::read_to_string(dir.join("changelog.toml"))
        .unwrap()
        .starts_with("[[entry]]\nupstream = \"crash\"\nversion = \"1.2.0\""));
    assert!(!lock.exists(), "a clean release deletes the lock file");
}
