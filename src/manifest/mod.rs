//! The manifest: what it says (`raw`), where it says it (`source`), and what it means (`model`).

mod checks;
mod diagnostics;
mod load;
pub mod model;
pub mod raw;
mod sections;
pub mod source;

pub use load::{load, load_texts, CHANGELOG};
pub use model::*;
