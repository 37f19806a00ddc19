//! pkgforge: one manifest in, OBS packaging for every distro out.
//!
//! Data flows one way: [`manifest::load`] reads and resolves `packages.toml` and
//! `changelog.toml` into a [`manifest::Model`]; [`render`] turns the model into
//! `(path, bytes)` pairs; [`output`] puts them on disk. [`commands`] holds one module per
//! subcommand, each with a `run()` the binary calls with its parsed arguments.

pub mod app;
pub mod archive;
pub mod bump;
pub mod changelog;
pub mod commands;
pub mod compress;
pub mod digest;
pub mod distro;
pub mod error;
pub mod fsio;
pub mod journal;
pub mod lock;
pub mod manifest;
pub mod names;
pub mod openpgp;
pub mod output;
pub mod remote;
pub mod render;
pub mod resolve;
pub mod table;
pub mod verify;
pub mod version;
pub mod watch;

pub use error::{Error, Result};
