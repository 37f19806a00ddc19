//! The golden cases: each directory of `tests/cases/` renders exactly its `expected/`
//! tree. Each case is a test of its own, named after its directory:
//! `cargo test --test golden deb-subpackages` runs one. `PKGFORGE_BLESS=1` rewrites the
//! expected trees. The validators run over the same cases in tests/rpm.rs, tests/debian.rs
//! and tests/kiwi.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use common::*;
use libtest_mimic::{Arguments, Trial};

fn main() {
    let args = Arguments::from_args();
    let all = cases();
    let count = all.len();
    let mut trials = vec![Trial::test("the_cases_are_there", move || {
        if count >= 3 {
            Ok(())
        } else {
            Err(format!("the golden cases are missing: {count} found").into())
        }
    })];
    trials.extend(all.into_iter().map(|case| {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        Trial::test(name, move || {
            golden(&case);
            Ok(())
        })
    }));
    libtest_mimic::run(&args, trials).exit();
}
