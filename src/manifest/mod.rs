//! The manifest: what it says (`raw`), where it says it (`toml_file`), and what it means (`model`).
//!
//! `load` reads `packages.toml` and `changelog.toml` and hands each part to its resolver in
//! `sections`. The resolvers judge single values with the pure functions of `checks`, and
//! `diagnostics` turns what those refuse into messages located at file:line:column.

mod checks;
mod diagnostics;
mod load;
pub(crate) mod model;
pub(crate) mod raw;
mod sections;
pub(crate) mod toml_file;
pub mod vendored;

pub use load::{load, load_texts, CHANGELOG};
pub use model::*;
pub(crate) use sections::GO_BUILD_ID;
pub use vendored::{Vendored, VendoredSet, VENDOR_LICENSES};
