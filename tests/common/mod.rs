//! Shared test helpers: running the binary, temporary project trees, and the real validators.
#![allow(dead_code)]

pub mod conventions;
pub mod git;
pub mod gpg;
pub mod greet;
pub mod http;
pub mod image;
pub mod smart_http;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where the bundled manifest lives).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The manifests whose rendered trees are committed beside them: Kata Containers at the
/// repository root, and pkgforge's own packaging under contrib/packaging.
pub fn bundled_dirs() -> Vec<PathBuf> {
    vec![repo(), repo().join("contrib/packaging")]
}

/// The built `pkgforge` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pkgforge"))
}

/// `pkgforge --manifest <dir>/packages.toml <args>`, run in `dir`.
pub fn pkgforge(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .arg("--manifest")
        .arg(dir.join("packages.toml"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pkgforge")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Assert success and return stdout.
#[track_caller]
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "pkgforge failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Copy a directory tree (files only, no symlinks) into a new temporary directory.
pub fn copy_tree(from: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_into(from, tmp.path());
    tmp
}

pub fn copy_into(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A validator's path. The validators are part of the test suite: a missing one fails
/// the test (scripts/test.sh installs them all).
#[track_caller]
pub fn tool(name: &str) -> PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut dirs = candidates;
    dirs.push(repo().join(".venv/bin"));
    dirs.push(PathBuf::from("/usr/lib/obs-build"));
    // mkfs.ext4, sfdisk, debugfs: outside a user's PATH on some distros
    dirs.push(PathBuf::from("/usr/sbin"));
    dirs.push(PathBuf::from("/sbin"));
    for d in dirs {
        let p = d.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "validator `{name}` is missing (PKGFORGE_REQUIRE_TOOLS={}); run scripts/test.sh, which installs every validator",
        std::env::var("PKGFORGE_REQUIRE_TOOLS").unwrap_or_default()
    );
}

/// Run a command; return (success, combined output).
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every file under `dir` with its bytes, relative paths sorted: to prove a tree unchanged.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Files under `dir` whose name matches `pred`.
pub fn files_where(dir: &Path, pred: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && pred(e.path()))
        .map(|e| e.path().to_path_buf())
        .collect();
    v.sort();
    v
}

/// Render a golden case (`tests/cases/<name>/`: the manifest, its changelog and any
/// patches or templates, plus `expected/`) into a temporary copy and compare every
/// rendered file with `expected/`. `PKGFORGE_BLESS=1` rewrites `expected/` instead.
/// Returns the temporary tree, rendered, for validators to run on.
#[track_caller]
pub fn golden(case: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(case).expect("case dir") {
        let entry = entry.unwrap();
        if entry.file_name() == "expected" {
            continue;
        }
        let dest = tmp.path().join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_into(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    ok(&pkgforge(tmp.path(), &["render", "-q"]));
    let state = std::fs::read_to_string(tmp.path().join(".pkgforge-outputs")).expect("state file");
    let mut rendered: Vec<String> = state
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect();
    rendered.push(".pkgforge-outputs".to_string());
    rendered.sort();
    let expected_dir = case.join("expected");
    if std::env::var_os("PKGFORGE_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&expected_dir);
        for rel in &rendered {
            let dest = expected_dir.join(rel);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(tmp.path().join(rel), dest).unwrap();
        }
        return tmp;
    }
    let expected: Vec<String> = files_where(&expected_dir, |_| true)
        .iter()
        .map(|p| {
            p.strip_prefix(&expected_dir)
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    let mut report = String::new();
    for rel in &rendered {
        let got = std::fs::read_to_string(tmp.path().join(rel)).unwrap_or_default();
        match std::fs::read_to_string(expected_dir.join(rel)) {
            Err(_) => report.push_str(&format!("+++ {rel}: rendered but not expected\n")),
            Ok(want) if want != got => {
                let diff = similar::TextDiff::from_lines(&want, &got);
                report.push_str(
                    &diff
                        .unified_diff()
                        .header(&format!("expected/{rel}"), &format!("rendered/{rel}"))
                        .to_string(),
                );
            }
            Ok(_) => {}
        }
    }
    for rel in expected.iter().filter(|e| !rendered.contains(e)) {
        report.push_str(&format!("--- {rel}: expected but not rendered\n"));
    }
    assert!(
        report.is_empty(),
        "golden case {} differs (re-bless with PKGFORGE_BLESS=1 cargo test):\n{report}",
        case.display()
    );
    tmp
}

/// Every golden case directory under tests/cases.
pub fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/cases"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.join("packages.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Run a command that must succeed; its combined output.
#[track_caller]
pub fn must(cmd: &mut Command, what: &str) -> String {
    let (ok, log) = run(cmd);
    assert!(ok, "{what} failed: {cmd:?}\n{log}");
    log
}

/// The Python with kiwi installed: `PKGFORGE_PYTHON`, else the venv scripts/test.sh makes.
#[track_caller]
pub fn python() -> PathBuf {
    let p = match std::env::var_os("PKGFORGE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => repo().join(".venv/bin/python"),
    };
    assert!(
        p.is_file(),
        "no Python with kiwi at {} (set PKGFORGE_PYTHON or run scripts/test.sh, which creates .venv)",
        p.display()
    );
    p
}

/// Check a native source tree the way dpkg does before a build, then build the
/// source package beside it in `work` (the orig tarball must be there already).
#[track_caller]
pub fn dpkg_source_native(tree: &Path, work: &Path) {
    must(
        Command::new(tool("dpkg-source"))
            .arg("--before-build")
            .arg(tree),
        "dpkg-source --before-build",
    );
    must(
        Command::new(tool("dpkg-source"))
            .arg("-b")
            .arg(tree)
            .current_dir(work),
        "dpkg-source -b",
    );
}

/// Under scripts/test.sh (`PKGFORGE_TEST_RECORD` set), append the Build-Depends of a
/// fixture about to be built, so the script can prove it installs every one of them.
pub fn record_build_depends(control: &Path) {
    let Some(dir) = std::env::var_os("PKGFORGE_TEST_RECORD") else {
        return;
    };
    let text = std::fs::read_to_string(control)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", control.display()));
    let mut field = String::new();
    let mut inside = false;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("Build-Depends:") {
            inside = true;
            field.push_str(v.trim());
        } else if inside && line.starts_with([' ', '\t']) {
            field.push(' ');
            field.push_str(line.trim());
        } else {
            inside = false;
        }
    }
    assert!(
        !field.is_empty(),
        "no Build-Depends in {}",
        control.display()
    );
    use std::io::Write;
    let path = Path::new(&dir).join(format!("build-depends-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    writeln!(f, "{}\t{field}", control.display()).expect("record Build-Depends");
}
