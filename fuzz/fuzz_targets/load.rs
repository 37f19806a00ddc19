//! Manifest loading: any bytes, split at the first NUL into `packages.toml` and
//! `changelog.toml`, must load or fail with a diagnostic, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = common::load(data);
});

#[path = "common.rs"]
mod common;
