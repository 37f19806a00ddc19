//! Rendering: every manifest that loads must render (or fail with a diagnostic) without
//! panicking, with the built-in templates.
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
    if let Some(model) = common::load(data) {
        if let Err(e) = pkgforge::render::render(&model, templates()) {
            let _ = e.to_string();
        }
    }
});
