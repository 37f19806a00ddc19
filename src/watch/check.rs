//! The watch job: ask every upstream for its releases, apply the tracking policy, check
//! that pinned tags did not move, and report.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::manifest::{Model, Pin, Upstream, UpstreamSource};
use crate::remote::{self, fetch::Fetcher};
use crate::version;

/// A release an upstream published, as pkgforge reads it.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub version: String,
    pub prerelease: bool,
    pub commit: Option<String>,
}

/// A pinned release whose tag no longer points at the pinned commit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Moved {
    pub version: String,
    pub tag: String,
    pub pinned: String,
    /// Where the tag points now; `None` when it was deleted.
    pub now: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub upstream: String,
    pub source: String,
    pub current: String,
    pub newest_seen: Option<String>,
    pub newest_allowed: Option<String>,
    /// What `--apply` does: "up to date", "bump to X", or why nothing.
    pub action: String,
    pub error: Option<String>,
    pub moved_tags: Vec<Moved>,
    /// Tags that look like releases but are not valid versions, ignored.
    pub invalid_tags: Vec<String>,
    pub applied: bool,
    /// For an upstream with a keyring: whether the release `--apply` would bump to is
    /// signed by a key of the keyring.
    pub signature: Option<SignatureCheck>,
    /// The commit of the newest allowed release's tag, when known.
    #[serde(skip)]
    pub newest_commit: Option<String>,
}

/// The signature check of one release.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureCheck {
    pub version: String,
    /// "verified", "refused" (exit 4: the release is not what the keyring vouches for) or
    /// "unchecked" (the signature could not be fetched).
    pub status: String,
    /// The fingerprint of the key that signed, when it verified.
    pub key: Option<String>,
    /// Why it was refused or unchecked.
    pub message: Option<String>,
}

impl Report {
    pub(crate) fn has_update(&self) -> bool {
        self.error.is_none()
            && self.moved_tags.is_empty()
            && !self.refused()
            && self.action.starts_with("bump to ")
    }

    /// Whether the release to bump to failed its signature check.
    pub(crate) fn refused(&self) -> bool {
        self.signature
            .as_ref()
            .is_some_and(|s| s.status == "refused")
    }
}

/// Check the signature of the release `version` of an upstream with a keyring.
fn check_signature(
    u: &Upstream,
    version: &str,
    tags: Option<&remote::git::Tags>,
) -> SignatureCheck {
    let now = jiff::Timestamp::now().as_second();
    let result = match &u.source {
        UpstreamSource::Tarball { .. } => match u.tarball_url(version) {
            Some(url) => match remote::http::download(&url) {
                Ok(bytes) => crate::verify::tarball(u, version, &bytes, now),
                Err(e) => Err(crate::error::Error::unreachable(e.to_string())),
            },
            None => Ok(None),
        },
        UpstreamSource::Git { url, .. } => {
            let tag = tags
                .and_then(|t| {
                    t.keys()
                        .find(|t| u.version_of_tag(t).as_deref() == Some(version))
                        .cloned()
                })
                .unwrap_or_else(|| format!("{}{version}", u.tag_prefix));
            crate::verify::tag(u, url, &tag, version, now).map(|t| t.map(|t| t.key))
        }
    };
    let (status, key, message) = match result {
        Ok(key) => ("verified", key, None),
        Err(e) if e.kind() == Some(crate::error::Kind::Unverified) => {
            ("refused", None, Some(e.message()))
        }
        Err(e) => ("unchecked", None, Some(e.message())),
    };
    SignatureCheck {
        version: version.to_string(),
        status: status.to_string(),
        key,
        message,
    }
}

pub(crate) struct Options<'a> {
    pub upstreams: Vec<&'a Upstream>,
    pub jobs: usize,
    pub github_api: String,
}

/// The newest version seen, and the newest the policy allows.
pub(crate) fn decide(
    upstream: &Upstream,
    candidates: &[Candidate],
) -> (Option<String>, Option<Candidate>) {
    let newest = |it: &mut dyn Iterator<Item = &Candidate>| -> Option<Candidate> {
        it.max_by(|a, b| version::compare(&a.version, &b.version))
            .cloned()
    };
    let seen = newest(&mut candidates.iter()).map(|c| c.version);
    let allowed = newest(&mut candidates.iter().filter(|c| {
        if c.prerelease && !upstream.prereleases {
            return false;
        }
        if upstream.ignore.iter().any(|i| i == &c.version) {
            return false;
        }
        match &upstream.track {
            None => true,
            Some(req) => version::lenient_semver(&c.version).is_some_and(|mut v| {
                // a pre-release is in track when its release would be
                v.pre = semver::Prerelease::EMPTY;
                req.matches(&v)
            }),
        }
    }));
    (seen, allowed)
}

fn is_prerelease(v: &str) -> bool {
    version::Version::parse(v, None).is_ok_and(|p| p.rpm.contains('~'))
}

/// Candidates from GitHub's releases (drafts left out); a release whose tag names no
/// valid version goes to `invalid`.
fn release_candidates(
    u: &Upstream,
    list: Vec<remote::github::Release>,
    tags: Option<&remote::git::Tags>,
    invalid: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for r in list.into_iter().filter(|r| !r.draft) {
        match u.version_of_tag(&r.tag_name) {
            Some(v) if version::check(&v).is_ok() => candidates.push(Candidate {
                prerelease: r.prerelease || is_prerelease(&v),
                commit: tags.and_then(|t| t.get(&r.tag_name).cloned()),
                version: v,
            }),
            Some(_) => invalid.push(version::escape_for_message(&r.tag_name)),
            None => {}
        }
    }
    candidates
}

/// Candidates from git tags; a tag that looks like a version but is not a valid one goes
/// to `invalid`.
fn tag_candidates(
    u: &Upstream,
    t: &remote::git::Tags,
    invalid: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for (tag, commit) in t {
        match u.version_of_tag(tag) {
            Some(v)
                if version::check(&v).is_ok() && v.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                candidates.push(Candidate {
                    prerelease: is_prerelease(&v),
                    commit: Some(commit.clone()),
                    version: v,
                })
            }
            Some(v) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                invalid.push(version::escape_for_message(tag))
            }
            _ => {}
        }
    }
    candidates
}

/// The pinned releases of `u` (current and archived) whose tags moved or vanished.
fn moved_tags(model: &Model, u: &Upstream, t: &remote::git::Tags) -> Vec<Moved> {
    let mut moved = Vec::new();
    let mut pins: Vec<(String, String)> = Vec::new();
    if let UpstreamSource::Git { commit, .. } = &u.source {
        pins.push((u.version.raw.clone(), commit.clone()));
    }
    for a in model.archive.iter().filter(|a| a.upstream == u.name) {
        if let Pin::Commit(c) = &a.pin {
            pins.push((a.version.raw.clone(), c.clone()));
        }
    }
    for (v, pinned) in pins {
        let tag = t
            .keys()
            .find(|tag| u.version_of_tag(tag).as_deref() == Some(v.as_str()))
            .cloned()
            .unwrap_or_else(|| format!("{}{v}", u.tag_prefix));
        let now = t.get(&tag).cloned();
        if now.as_deref() != Some(pinned.as_str()) {
            moved.push(Moved {
                version: v,
                tag,
                pinned,
                now,
            });
        }
    }
    moved
}

/// What to do about `u`: nothing when it could not be checked or a pinned tag moved,
/// else a bump to the newest allowed release, unless its signature is refused.
fn set_action(
    report: &mut Report,
    u: &Upstream,
    errors: &[String],
    allowed: Option<&Candidate>,
    tags: Option<&remote::git::Tags>,
) {
    if !errors.is_empty() {
        report.error = Some(errors.join("; "));
        report.action = "none: the upstream could not be checked".to_string();
    } else if !report.moved_tags.is_empty() {
        report.action = "none: a pinned tag moved; check it by hand".to_string();
    } else {
        report.action = match allowed {
            Some(c)
                if version::compare(&c.version, &u.version.raw) == std::cmp::Ordering::Greater =>
            {
                format!("bump to {}", c.version)
            }
            _ => "up to date".to_string(),
        };
        if let (Some(version), true) = (report.action.strip_prefix("bump to "), u.signing.is_some())
        {
            let check = check_signature(u, version, tags);
            if check.status == "refused" {
                report.action = format!("none: the signature of {version} does not verify");
            }
            report.signature = Some(check);
        }
    }
}

/// Check one upstream.
fn check_one(model: &Model, u: &Upstream, fetcher: &Fetcher, api: &str) -> Report {
    let mut report = Report {
        upstream: u.name.clone(),
        source: String::new(),
        current: u.version.raw.clone(),
        newest_seen: None,
        newest_allowed: None,
        action: String::new(),
        error: None,
        moved_tags: Vec::new(),
        invalid_tags: Vec::new(),
        applied: false,
        signature: None,
        newest_commit: None,
    };
    let git_url = match &u.source {
        UpstreamSource::Git { url, .. } => Some(url.clone()),
        UpstreamSource::Tarball { git, .. } => git.clone(),
    };
    let mut errors = Vec::new();
    // The tags and the releases are asked for at once: waiting for one and then the other
    // would add the tag listing to every upstream's round trip.
    let (tags, releases) = std::thread::scope(|s| {
        let tags = git_url
            .as_ref()
            .map(|url| s.spawn(move || remote::git::remote_tags(url)));
        let releases = u
            .github
            .as_ref()
            .map(|repo| remote::github::releases(fetcher, api, repo));
        let tags = tags.map(|t| {
            t.join().unwrap_or_else(|_| {
                Err(remote::Error::Failed(format!(
                    "listing the tags of {git_url:?} panicked"
                )))
            })
        });
        (tags, releases)
    });
    let tags = match tags {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            errors.push(format!("{e:#}"));
            None
        }
        None => None,
    };
    let mut candidates = Vec::new();
    let mut sources = Vec::new();
    if let Some(releases) = releases {
        sources.push("github");
        match releases {
            Ok(list) => {
                candidates = release_candidates(u, list, tags.as_ref(), &mut report.invalid_tags)
            }
            Err(e) => errors.push(e.to_string()),
        }
    } else if let Some(t) = &tags {
        sources.push("git");
        candidates = tag_candidates(u, t, &mut report.invalid_tags);
    }
    if let (Some(t), Some(_)) = (&tags, &u.github) {
        let _ = t;
        sources.push("git tags");
    }
    report.source = sources.join(" + ");

    // Pinned releases whose tags moved or vanished.
    if let Some(t) = &tags {
        report.moved_tags = moved_tags(model, u, t);
    }

    let (seen, allowed) = decide(u, &candidates);
    report.newest_seen = seen;
    report.newest_allowed = allowed.as_ref().map(|c| c.version.clone());
    // Only a git upstream is pinned by commit; a tarball upstream's tags only name releases.
    report.newest_commit = match &u.source {
        UpstreamSource::Git { .. } => allowed.as_ref().and_then(|c| c.commit.clone()),
        UpstreamSource::Tarball { .. } => None,
    };
    set_action(&mut report, u, &errors, allowed.as_ref(), tags.as_ref());
    report
}

/// Check the upstreams, at most `jobs` at a time, each on its own: one failure never
/// stops the others. `progress` is called after each upstream.
pub(crate) fn run(
    model: &Model,
    opts: &Options,
    fetcher: &Fetcher,
    progress: &(dyn Fn() + Sync),
) -> Vec<Report> {
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<usize, Report>> = Mutex::new(BTreeMap::new());
    let jobs = opts.jobs.clamp(1, opts.upstreams.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(u) = opts.upstreams.get(i) else {
                    break;
                };
                let r = check_one(model, u, fetcher, &opts.github_api);
                if let Ok(mut m) = results.lock() {
                    m.insert(i, r);
                }
                progress();
            });
        }
    });
    results
        .into_inner()
        .map(|m| m.into_values().collect())
        .unwrap_or_default()
}

/// The table `watch` prints.
pub(crate) fn table(reports: &[Report]) -> String {
    let mut rows = vec![[
        "UPSTREAM".to_string(),
        "CURRENT".to_string(),
        "NEWEST".to_string(),
        "ALLOWED".to_string(),
        "ACTION".to_string(),
    ]];
    for r in reports {
        rows.push([
            r.upstream.clone(),
            r.current.clone(),
            r.newest_seen.clone().unwrap_or_else(|| "-".into()),
            r.newest_allowed.clone().unwrap_or_else(|| "-".into()),
            if r.applied {
                format!("{} (applied)", r.action)
            } else {
                r.action.clone()
            },
        ]);
    }
    let mut out = crate::table::columns(&rows);
    for r in reports {
        for m in &r.moved_tags {
            out.push_str(&format!(
                "MOVED TAG: {} {} (tag {}) was pinned to {}, the tag now {}\n",
                r.upstream,
                m.version,
                m.tag,
                m.pinned,
                match &m.now {
                    Some(c) => format!("points to {c}"),
                    None => "is gone".to_string(),
                }
            ));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("FAILED: {}: {e}\n", r.upstream));
        }
        if let Some(sig) = &r.signature {
            match (&sig.key, &sig.message) {
                (Some(key), _) => out.push_str(&format!(
                    "SIGNATURE: {} {} verifies with key {key}\n",
                    r.upstream, sig.version
                )),
                (None, Some(m)) if sig.status == "refused" => {
                    out.push_str(&format!("REFUSED: {m}\n"))
                }
                (None, Some(m)) => out.push_str(&format!(
                    "SIGNATURE: {} {} could not be checked: {m}\n",
                    r.upstream, sig.version
                )),
                (None, None) => {}
            }
        }
        if !r.invalid_tags.is_empty() {
            out.push_str(&format!(
                "ignored tags of {} that are not valid versions: {}\n",
                r.upstream,
                r.invalid_tags.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(track: Option<&str>, pre: bool, ignore: &[&str]) -> Upstream {
        Upstream {
            name: "u".into(),
            source: UpstreamSource::Git {
                url: "file:///x".into(),
                commit: "a".repeat(40),
            },
            github: None,
            tag_prefix: "v".into(),
            tag_pattern: None,
            version: version::Version::parse("3.1.0", None).unwrap(),
            track: track.map(|t| semver::VersionReq::parse(t).unwrap()),
            prereleases: pre,
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
            signing: None,
        }
    }

    fn c(v: &str, pre: bool) -> Candidate {
        Candidate {
            version: v.into(),
            prerelease: pre,
            commit: None,
        }
    }

    #[test]
    fn policy() {
        let cands = [
            c("3.1.0", false),
            c("3.2", false),
            c("3.3.0-rc1", true),
            c("4.0.0", false),
            c("3.2.1", false),
        ];
        let (seen, allowed) = decide(&upstream(Some("^3"), false, &[]), &cands);
        assert_eq!(seen.as_deref(), Some("4.0.0"));
        assert_eq!(allowed.unwrap().version, "3.2.1");
        let (_, allowed) = decide(&upstream(Some("^3"), true, &[]), &cands);
        assert_eq!(allowed.unwrap().version, "3.3.0-rc1");
        let (_, allowed) = decide(&upstream(Some("^3"), false, &["3.2.1"]), &cands);
        assert_eq!(allowed.unwrap().version, "3.2");
        let (_, allowed) = decide(&upstream(None, false, &[]), &cands);
        assert_eq!(allowed.unwrap().version, "4.0.0");
    }
}
