//! One resolver per part of the manifest, each an `impl` block of [`Cx`](super::load::Cx):
//! `[distros]`, `[project]`, `[upstreams]` with their signing keys, `[names]`,
//! `[[rootfs]]` with its kiwi keys and images, `[[packages]]` with their dependencies,
//! `[[archive]]`, and the entries of `changelog.toml`.

mod archive;
mod changelog;
mod dependencies;
pub(crate) use dependencies::GO_BUILD_ID;
mod distros;
mod images;
mod kiwi;
mod naming;
mod packages;
mod project;
mod requires;
mod rootfs;
mod signing;
mod toolchains;
mod upstreams;

pub(in crate::manifest) use changelog::{attach_changelog, resolve_changelog};
