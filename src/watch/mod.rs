//! Asking upstreams what they released: git tags (git2, or git's smart HTTP protocol
//! for https), GitHub releases with conditional requests, and tarball downloads.

pub mod branch;
pub mod cache;
pub mod check;
pub mod fetch;
pub mod git;
pub mod github;
pub mod http;
pub mod mirror;

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
