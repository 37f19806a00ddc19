//! One resolver per manifest section, each a part of [`Cx`](super::load::Cx)'s work.

mod archive;
mod changelog;
mod dependencies;
mod distros;
mod images;
mod kiwi;
mod naming;
mod packages;
mod project;
mod requires;
mod rootfs;
mod signing;
mod upstreams;

pub(in crate::manifest) use changelog::{attach_changelog, resolve_changelog};
