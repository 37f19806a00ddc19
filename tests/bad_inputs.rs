//! The bad-input corpus: every directory of `tests/bad/` is a manifest pkgforge must
//! refuse, with the exact message of its `expected.txt`, exit code 2 and nothing written,
//! through `render`, `render --check`, `check` and `diff` alike. Each case is a test of
//! its own, named after its directory: `cargo test --test bad_inputs bad-commit` runs one.
//! `PKGFORGE_BLESS=1` rewrites the `expected.txt` files from what pkgforge prints.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let bad = repo().join("tests/bad");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&bad)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let count = cases.len();
    let mut trials = vec![Trial::test("the_corpus_is_complete", move || {
        if count >= 90 {
            Ok(())
        } else {
            Err(format!("the bad-input corpus is missing cases: {count} found").into())
        }
    })];
    trials.extend(cases.into_iter().map(|case| {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        Trial::test(name, move || refused(&case))
    }));
    libtest_mimic::run(&args, trials).exit();
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Refused the same way by every command, the tree untouched, the message as expected.
fn refused(case: &Path) -> Result<(), Failed> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("tests/bad/changelog.toml"),
        tmp.path().join("changelog.toml"),
    )
    .unwrap();
    copy_into(case, tmp.path());
    let _ = std::fs::remove_file(tmp.path().join("expected.txt"));
    // A tree rendered earlier, which the refused run must leave alone.
    write(tmp.path(), "obs/demo/demo.spec", "old spec\n");
    write(
        tmp.path(),
        ".pkgforge-outputs",
        "obs/demo/demo.spec\tdemo\trpm\n",
    );
    let before = snapshot(tmp.path());
    let mut failures = String::new();
    let mut first: Option<String> = None;
    for args in [
        &["render"][..],
        &["render", "--check"],
        &["check"],
        &["diff"],
    ] {
        let out = pkgforge(tmp.path(), args);
        let err = stderr(&out).replace(&format!("{}/", tmp.path().display()), "");
        if out.status.code() != Some(2) || !stdout(&out).is_empty() {
            failures.push_str(&format!("{args:?} exited {:?}\n{err}\n", out.status.code()));
        }
        match &first {
            None => first = Some(err),
            Some(f) if *f != err => {
                failures.push_str(&format!("{args:?} printed another message:\n{err}\n"))
            }
            Some(_) => {}
        }
    }
    if snapshot(tmp.path()) != before {
        failures.push_str("the tree changed\n");
    }
    let got = first.unwrap_or_default();
    let expected_file = case.join("expected.txt");
    if std::env::var_os("PKGFORGE_BLESS").is_some() {
        std::fs::write(&expected_file, &got).unwrap();
    } else {
        let want = std::fs::read_to_string(&expected_file).unwrap_or_default();
        if want != got {
            let diff = similar::TextDiff::from_lines(&want, &got);
            failures.push_str(&format!(
                "{}",
                diff.unified_diff().header("expected.txt", "printed")
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.into())
    }
}
