//! `pkgforge templates list` and `templates show`.

use crate::error::{Error, Result};
use crate::render::templates;

use super::Outcome;

/// The name of every built-in template, one a line.
pub fn list() -> Outcome {
    let names: String = templates::DEFAULTS
        .iter()
        .map(|(name, _)| format!("{name}\n"))
        .collect();
    Outcome::text(0, names)
}

/// The text of a built-in template, to start an override from.
pub fn show(name: &str) -> Result<Outcome> {
    match templates::stamped(name) {
        Some(text) => Ok(Outcome::text(0, text)),
        None => {
            let names: Vec<&str> = templates::DEFAULTS.iter().map(|(n, _)| *n).collect();
            Err(Error::usage(format!("`{name}` is not a built-in template"))
                .with_note(format!("templates: {}", names.join(", "))))
        }
    }
}
