//! Asking upstreams what they released: the newest version each one's git tags and
//! GitHub releases allow ([`check`]), and the branch `--apply --commit-branch` commits
//! to ([`branch`]). Every request goes through [`crate::remote`].

pub mod branch;
pub mod check;

pub use crate::remote::{cache, fetch, github, mirror};

/// The version a tag stands for, through `tag-pattern` or `tag-prefix`.
pub fn version_of_tag(upstream: &crate::manifest::Upstream, tag: &str) -> Option<String> {
    match &upstream.tag_pattern {
        Some(p) => {
            let re = regex::Regex::new(p).ok()?;
            re.captures(tag)?
                .name("version")
                .map(|m| m.as_str().to_string())
        }
        None => tag
            .strip_prefix(upstream.tag_prefix.as_str())
            .map(str::to_string),
    }
}
