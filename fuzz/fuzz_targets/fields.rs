//! Rendering with hostile values: the input, split at \x01 bytes, fills the string fields
//! of a valid manifest and changelog (TOML-escaped, so the document always parses). Byte
//! mutations of whole manifests rarely get past validation; this target reaches every
//! renderer with arbitrary text in every field validation lets through.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn templates() -> &'static pkgforge::render::Templates {
    static T: OnceLock<pkgforge::render::Templates> = OnceLock::new();
    T.get_or_init(|| {
        pkgforge::render::Templates::load(Path::new(common::DIR))
            .unwrap_or_else(|e| panic!("the built-in templates load: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let (manifest, changelog) = common::fields(data);
    let mut input = manifest.into_bytes();
    input.push(0);
    input.extend_from_slice(changelog.as_bytes());
    if let Some(model) = common::load(&input) {
        if let Err(e) = pkgforge::render::render(&model, templates()) {
            let _ = e.to_string();
        }
    }
});
