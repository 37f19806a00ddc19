//! Every input the fuzzers (`fuzz/`) crashed on, replayed through the same steps as the
//! fuzz targets: `fuzz/regressions/load-*` are loaded, `fuzz/regressions/render-*` are
//! loaded and rendered. Each must finish with a model or a diagnostic, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

use std::path::Path;

#[path = "../fuzz/fuzz_targets/common.rs"]
mod fuzz_input;

fn inputs(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Run each input on its own thread so a panic names the input.
fn replay(prefix: &str, step: fn(&[u8])) -> usize {
    let all = inputs(prefix);
    for (name, data) in &all {
        let data = data.clone();
        let result = std::thread::spawn(move || step(&data)).join();
        assert!(result.is_ok(), "fuzz/regressions/{name} panics again");
    }
    all.len()
}

#[test]
fn manifest_loading_survives_every_saved_crash() {
    let n = replay("load-", |data| {
        let _ = fuzz_input::load(data);
    });
    eprintln!("{n} load inputs replayed");
}

#[test]
fn rendering_survives_every_saved_crash() {
    let n = replay("render-", |data| {
        if let Some(model) = fuzz_input::load(data) {
            let templates = pkgforge::render::Templates::load(Path::new(fuzz_input::DIR)).unwrap();
            if let Err(e) = pkgforge::render::render(&model, &templates) {
                let _ = e.to_string();
            }
        }
    });
    eprintln!("{n} render inputs replayed");
}

#[test]
fn rendering_hostile_fields_survives_every_saved_crash() {
    let n = replay("fields-", |data| {
        let (manifest, changelog) = fuzz_input::fields(data);
        let mut input = manifest.into_bytes();
        input.push(0);
        input.extend_from_slice(changelog.as_bytes());
        if let Some(model) = fuzz_input::load(&input) {
            let templates = pkgforge::render::Templates::load(Path::new(fuzz_input::DIR)).unwrap();
            if let Err(e) = pkgforge::render::render(&model, &templates) {
                let _ = e.to_string();
            }
        }
    });
    eprintln!("{n} fields inputs replayed");
}

/// The `fields` target's defaults make a manifest that loads and renders, so mutations
/// start from the renderers rather than from a validation error.
#[test]
fn the_fields_target_starts_from_a_manifest_that_renders() {
    let (manifest, changelog) = fuzz_input::fields(b"");
    let model = pkgforge::manifest::load_texts(
        &Path::new(fuzz_input::DIR).join("packages.toml"),
        manifest,
        changelog,
    )
    .unwrap_or_else(|e| panic!("the default fields do not load:\n{e}"));
    let templates = pkgforge::render::Templates::load(Path::new(fuzz_input::DIR)).unwrap();
    let outputs = pkgforge::render::render(&model, &templates).unwrap();
    assert!(outputs.len() > 20, "{}", outputs.len());
}
