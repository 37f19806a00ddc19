//! `[upstreams.<name>]`: where each upstream's source comes from and how it is pinned.

use std::path::Path;

use regex::Regex;

use crate::manifest::checks::*;
use crate::manifest::diagnostics::*;
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::source::Seg;
use crate::path;
use crate::version::{self, escape_for_message, Version};

impl Cx<'_> {
    pub(in crate::manifest) fn upstreams(
        &mut self,
        raw: &raw::Manifest,
        dir: &Path,
    ) -> Vec<Upstream> {
        let mut out = Vec::new();
        for (name, u) in &raw.upstreams {
            let p = |k: &str| path!["upstreams", name, k];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                self.err(
                    path!["upstreams", name],
                    format!(
                        "`{}` is not a valid upstream name",
                        escape_for_message(name)
                    ),
                );
                continue;
            }
            let version = match Version::parse(&u.version, u.epoch) {
                Ok(v) => v,
                Err(e) => {
                    self.version_err(p("version"), &u.version, e);
                    continue;
                }
            };
            if let Some(g) = &u.git {
                self.url(p("git"), "the git URL", g);
            }
            if let Some(gh) = &u.github {
                let ok = gh.split('/').count() == 2
                    && gh.split('/').all(|s| {
                        !s.is_empty()
                            && s.chars()
                                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    });
                if !ok {
                    self.err_note(
                        p("github"),
                        format!("`{}` is not a GitHub repository", escape_for_message(gh)),
                        "write it as owner/name, e.g. kata-containers/kata-containers",
                    );
                }
            }
            let tag_prefix = u.tag_prefix.clone().unwrap_or_default();
            if u.tag_prefix.is_some()
                && self.single_line(p("tag-prefix"), "the tag prefix", &tag_prefix)
                && tag_prefix.chars().any(|c| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '$' | '`' | '\\' | '"' | '\'' | '%' | '~' | '^' | ':' | '?' | '*' | '['
                        )
                })
            {
                self.err(
                    p("tag-prefix"),
                    "the tag prefix contains a character git does not allow in tags",
                );
            }
            if u.tag_prefix.is_some() && u.tag_pattern.is_some() {
                self.err_note(
                    p("tag-pattern"),
                    "give either `tag-prefix` or `tag-pattern`, not both",
                    "tag-prefix strips a fixed prefix (v1.2.0); tag-pattern's `version` group picks the version out of any other tag",
                );
            }
            if let Some(pat) = &u.tag_pattern {
                match Regex::new(pat) {
                    Ok(re) if re.capture_names().flatten().any(|n| n == "version") => {}
                    Ok(_) => self.err_note(
                        p("tag-pattern"),
                        "the tag pattern has no group named `version`",
                        "write it like ^release-(?P<version>[0-9.]+)$",
                    ),
                    Err(e) => {
                        let (what, at) = regex_error(&e);
                        self.err_within(
                            p("tag-pattern"),
                            pat,
                            at,
                            format!("the tag pattern is not a valid regex: {what}"),
                            Some("write it like ^release-(?P<version>[0-9.]+)$".to_string()),
                        );
                    }
                }
            }
            let track = match &u.track {
                Some(t) => match semver::VersionReq::parse(t) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        self.err_note(
                            p("track"),
                            format!(
                                "`{}` is not a semver requirement: {e}",
                                escape_for_message(t)
                            ),
                            "for example track = \"^3\" or \"~6.6\"",
                        );
                        None
                    }
                },
                None => None,
            };
            for (i, ig) in u.ignore.iter().enumerate() {
                if let Err(e) = version::check(ig) {
                    self.version_err(path!["upstreams", name, "ignore", i], ig, e);
                }
            }
            let source = match (&u.tarball, &u.git) {
                (Some(t), git) => {
                    self.url(p("tarball"), "the tarball URL", t);
                    if !t.contains("{version}") {
                        self.err_note(p("tarball"), "the tarball URL has no `{version}`", "write the URL with {version} where the version goes, so bump can fetch new releases");
                    }
                    // the file name OBS downloads, the spec unpacks and debtransform names
                    let file = t
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .replace("{version}", "1.0");
                    let tarball = [
                        ".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".tgz", ".tar", ".zip",
                    ]
                    .iter()
                    .any(|ext| file.len() > ext.len() && file.ends_with(ext));
                    if !tarball
                        || !file.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~' | '-')
                        })
                    {
                        let at = t.rfind('/').map(|i| i + 1..t.len());
                        self.err_within(
                            p("tarball"),
                            t,
                            at,
                            "the tarball URL must end with the tarball's file name",
                            Some("such as https://example.org/demo-{version}.tar.xz, without a query: OBS downloads the file by that name, and the spec and debtransform unpack it by that name".to_string()),
                        );
                    }
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
                    } else if !is_hex(&sha, 64) {
                        self.check(p("sha256"), &sha, hex("sha256", &sha, 64));
                    }
                    Source::Tarball {
                        url: t.replace("{version}", &version.raw),
                        pattern: t.clone(),
                        sha256: sha,
                        git: git.clone(),
                    }
                }
                (None, Some(g)) => {
                    if u.sha256.is_some() {
                        self.err(p("sha256"), "`sha256` belongs to tarball upstreams; a git upstream is pinned by `commit`");
                    }
                    let commit = u.commit.clone().unwrap_or_default();
                    match &u.commit {
                        None => self.err_note(path!["upstreams", name], "a git upstream needs `commit`", "pin the commit the release tag points to: git rev-parse <tag>^{commit}"),
                        Some(c) => {
                            self.check(p("commit"), c, hex("commit", c, 40));
                        }
                    }
                    Source::Git {
                        url: g.clone(),
                        commit,
                    }
                }
                (None, None) => {
                    self.err_note(path!["upstreams", name], format!("upstream `{name}` has neither `git` nor `tarball`"), "add git = \"https://...\" with a commit, or tarball = \"https://.../name-{version}.tar.xz\" with a sha256");
                    continue;
                }
            };
            let signing = self.signing(name, u, &source, dir);
            out.push(Upstream {
                name: name.clone(),
                source,
                github: u.github.clone(),
                tag_prefix,
                tag_pattern: u.tag_pattern.clone(),
                version,
                track,
                prereleases: u.prereleases.unwrap_or(false),
                ignore: u.ignore.clone(),
                signing,
            });
        }
        out
    }

    pub(in crate::manifest) fn unknown_upstream(
        &mut self,
        path: Vec<Seg>,
        name: &str,
        raw: &raw::Manifest,
    ) {
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
