//! pkgforge: one manifest in, OBS packaging for every distro out.
//!
//! Data flows one way: [`manifest::load`] reads and resolves `packages.toml` and
//! `changelog.toml` into a [`manifest::Model`]; [`render`] turns the model into
//! `(path, bytes)` pairs; `output` puts them on disk. [`commands`] holds one module per
//! subcommand, each with a `run()` the binary calls with its parsed arguments.
//! The layers and where each kind of change goes are drawn in README.md, "Architecture".

pub(crate) mod app;
pub(crate) mod archive;
pub(crate) mod build;
pub mod bump;
pub(crate) mod changelog;
pub mod commands;
pub(crate) mod compress;
pub mod digest;
pub mod distro;
pub mod error;
pub(crate) mod fsio;
pub mod import;
pub mod journal;
pub mod lock;
pub mod manifest;
pub(crate) mod names;
pub(crate) mod openpgp;
pub(crate) mod output;
pub(crate) mod remote;
pub mod render;
pub(crate) mod resolve;
pub(crate) mod sources;
pub(crate) mod table;
pub(crate) mod verify;
pub mod version;
pub mod watch;

pub use error::{Error, Result};
