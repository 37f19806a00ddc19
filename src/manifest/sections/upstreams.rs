//! `[upstreams.<name>]`: where each upstream's source comes from and how it is pinned.

use std::path::Path;

use crate::manifest::checks::{
    github_repository, hex, tag_pattern, tag_prefix, tarball_file_name, tarball_version, track,
    upstream_name,
};
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::path;
use crate::version::{self, escape_for_message, Version};

/// The path of key `k` of upstream `name`.
fn key(name: &str, k: &str) -> Vec<Seg> {
    path!["upstreams", name, k]
}

impl Cx<'_> {
    pub(in crate::manifest) fn upstreams(
        &mut self,
        raw: &raw::Manifest,
        dir: &Path,
    ) -> Vec<Upstream> {
        raw.upstreams
            .iter()
            .filter_map(|(name, u)| self.upstream(name, u, dir))
            .collect()
    }

    /// One upstream; `None` when its name, version or source could not be resolved.
    fn upstream(&mut self, name: &str, u: &raw::Upstream, dir: &Path) -> Option<Upstream> {
        if !self.check(path!["upstreams", name], name, upstream_name(name)) {
            return None;
        }
        let version = match Version::parse(&u.version, u.epoch) {
            Ok(v) => v,
            Err(e) => {
                self.version_err(key(name, "version"), &u.version, e);
                return None;
            }
        };
        if let Some(g) = &u.git {
            self.url(key(name, "git"), "the git URL", g);
        }
        if let Some(gh) = &u.github {
            self.check(key(name, "github"), gh, github_repository(gh));
        }
        self.tags(name, u);
        let track = match &u.track {
            Some(t) => track(t)
                .map_err(|r| self.reject(key(name, "track"), t, r))
                .ok(),
            None => None,
        };
        for (i, ig) in u.ignore.iter().enumerate() {
            if let Err(e) = version::check(ig) {
                self.version_err(path!["upstreams", name, "ignore", i], ig, e);
            }
        }
        let source = self.upstream_source(name, u, &version)?;
        let signing = self.signing(name, u, &source, dir);
        Some(Upstream {
            name: name.to_string(),
            source,
            github: u.github.clone(),
            tag_prefix: u.tag_prefix.clone().unwrap_or_default(),
            tag_pattern: u.tag_pattern.clone(),
            version,
            track,
            prereleases: u.prereleases.unwrap_or(false),
            ignore: u.ignore.clone(),
            signing,
        })
    }

    /// `tag-prefix` or `tag-pattern`, which pick the version out of a release tag.
    fn tags(&mut self, name: &str, u: &raw::Upstream) {
        if let Some(prefix) = &u.tag_prefix {
            if self.single_line(key(name, "tag-prefix"), "the tag prefix", prefix) {
                self.check(key(name, "tag-prefix"), prefix, tag_prefix(prefix));
            }
        }
        if u.tag_prefix.is_some() && u.tag_pattern.is_some() {
            self.err_note(
                key(name, "tag-pattern"),
                "give either `tag-prefix` or `tag-pattern`, not both",
                "tag-prefix strips a fixed prefix (v1.2.0); tag-pattern's `version` group picks the version out of any other tag",
            );
        }
        if let Some(pat) = &u.tag_pattern {
            self.check(key(name, "tag-pattern"), pat, tag_pattern(pat));
        }
    }

    /// Where the source comes from: a tarball pinned by its sha256 or git pinned by a commit.
    fn upstream_source(
        &mut self,
        name: &str,
        u: &raw::Upstream,
        version: &Version,
    ) -> Option<UpstreamSource> {
        match (&u.tarball, &u.git) {
            (Some(t), git) => Some(self.tarball_source(name, u, t, git, version)),
            (None, Some(g)) => Some(self.git_source(name, u, g)),
            (None, None) => {
                self.err_note(path!["upstreams", name], format!("upstream `{name}` has neither `git` nor `tarball`"), "add git = \"https://...\" with a commit, or tarball = \"https://.../name-{version}.tar.xz\" with a sha256");
                None
            }
        }
    }

    fn tarball_source(
        &mut self,
        name: &str,
        u: &raw::Upstream,
        t: &str,
        git: &Option<String>,
        version: &Version,
    ) -> UpstreamSource {
        let p = |k: &str| key(name, k);
        self.url(p("tarball"), "the tarball URL", t);
        self.check(p("tarball"), t, tarball_version(t));
        self.check(p("tarball"), t, tarball_file_name(t));
        if u.commit.is_some() {
            self.err_note(
                p("commit"),
                "a tarball upstream is pinned by `sha256`, not `commit`",
                "drop `commit`: the tarball's checksum pins it (bump records it)",
            );
        }
        let sha = u.sha256.clone().unwrap_or_default();
        if u.sha256.is_none() {
            self.err_note(
                path!["upstreams", name],
                "a tarball upstream needs `sha256`",
                "add sha256 = \"<64 hex digits>\" (bump records it for you)",
            );
        } else {
            self.check(p("sha256"), &sha, hex("sha256", &sha, 64));
        }
        UpstreamSource::Tarball {
            url: t.replace("{version}", &version.raw),
            pattern: t.to_string(),
            sha256: sha,
            git: git.clone(),
        }
    }

    fn git_source(&mut self, name: &str, u: &raw::Upstream, g: &str) -> UpstreamSource {
        let p = |k: &str| key(name, k);
        if u.sha256.is_some() {
            self.err(
                p("sha256"),
                "`sha256` belongs to tarball upstreams; a git upstream is pinned by `commit`",
            );
        }
        match &u.commit {
            None => self.err_note(
                path!["upstreams", name],
                "a git upstream needs `commit`",
                "pin the commit the release tag points to: git rev-parse <tag>^{commit}",
            ),
            Some(c) => {
                self.check(p("commit"), c, hex("commit", c, 40));
            }
        }
        UpstreamSource::Git {
            url: g.to_string(),
            commit: u.commit.clone().unwrap_or_default(),
        }
    }

    pub(in crate::manifest) fn unknown_upstream(
        &mut self,
        path: Vec<Seg>,
        name: &str,
        raw: &raw::Manifest,
    ) {
        // Declared but refused: its own error says why, and this one would contradict it.
        if raw.upstreams.contains_key(name) {
            return;
        }
        let known: Vec<&str> = raw.upstreams.keys().map(String::as_str).collect();
        self.err_note(
            path,
            format!("unknown upstream `{}`", escape_for_message(name)),
            if known.is_empty() {
                "declare it under [upstreams.<name>]".to_string()
            } else {
                format!("declared upstreams: {}", known.join(", "))
            },
        );
    }
}
