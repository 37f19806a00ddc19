//! Asking upstreams what they released: the newest version each one's git tags and
//! GitHub releases allow ([`check`]), and the branch `--apply --commit-branch` commits
//! to ([`branch`]). Every request goes through [`crate::remote`].

pub(crate) mod branch;
pub mod check;
