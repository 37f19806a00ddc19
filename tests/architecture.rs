//! The shape of src/, checked by scripts/check-architecture.py: the module graph only
//! points down the layers (commands, workflows, render and write, model, leaves) and has
//! no cycle, and no function is longer than 100 lines unless listed with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn check(src: &Path) -> (bool, String) {
    run(Command::new("python3")
        .arg(repo().join("scripts/check-architecture.py"))
        .arg(src))
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn src_points_down_and_its_functions_are_short() {
    let (ok, out) = check(&repo().join("src"));
    assert!(ok, "{out}");
    assert!(out.contains(", 0 problems"), "{out}");
}

#[test]
fn an_upward_import_a_cycle_and_a_long_function_are_each_named() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path();
    write(
        src,
        "lib.rs",
        "pub mod manifest;\npub mod render;\npub mod fsio;\n",
    );
    // the model reaches up into render, and render into the model: a cycle
    write(
        src,
        "manifest/mod.rs",
        "use crate::render::Output;\npub struct Model;\n",
    );
    write(
        src,
        "render/mod.rs",
        "use crate::{manifest::Model, fsio};\npub struct Output;\n// crate::digest in a comment is no edge\nconst S: &str = \"crate::digest\";\n",
    );
    let body = "    let x = 1;\n".repeat(101);
    write(
        src,
        "fsio.rs",
        &format!("pub fn long() {{\n{body}}}\npub fn short() -> u8 {{ b'}}' }}\n"),
    );
    write(src, "newthing.rs", "");
    let (ok, out) = check(src);
    assert!(!ok, "{out}");
    assert!(
        out.contains(
            "`manifest` (model) uses `crate::render` (render and write), a layer above it"
        ),
        "{out}"
    );
    assert!(out.contains("import cycle: manifest"), "{out}");
    assert!(out.contains("fsio.rs:1: fn long is 103 lines"), "{out}");
    assert!(!out.contains("fn short"), "{out}");
    assert!(!out.contains("digest"), "{out}");
    assert!(out.contains("module `newthing` has no layer"), "{out}");
}
