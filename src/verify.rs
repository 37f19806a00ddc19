//! Trusting what is pinned: a release's OpenPGP signature checked against the committed
//! keyring before `bump` writes anything, and `pkgforge verify`, the read-only audit of
//! every pin (current and archived): the tag still points to the pinned commit, the
//! tarball still has the pinned sha256, and the signature still verifies.

use serde::Serialize;

use crate::error::{Error, Kind, Result};
use crate::manifest::{Model, Pin, Signed, Signing, Upstream, UpstreamSource};
use crate::openpgp::{self, Refusal};
use crate::remote::{self, http::DownloadError};

/// The release a signature vouches for, for messages: `upstream `demo` 5.1`.
fn release(upstream: &Upstream, version: &str) -> String {
    format!("upstream `{}` {version}", upstream.name)
}

/// A refused signature as an error: what was found and how to fix it.
fn refusal(
    upstream: &Upstream,
    signing: &Signing,
    version: &str,
    what: &str,
    r: &Refusal,
) -> Error {
    let who = release(upstream, version);
    let path = &signing.keyring_path;
    let (message, note) = match r {
        Refusal::UnknownKey { key } => (
            format!("{who}: {what} is signed by key {key}, which is not in the keyring {path}"),
            format!("if the key belongs to the upstream's release managers, check its fingerprint out of band (their website, a signed announcement), then add it: gpg --export --armor {key} >> {path}"),
        ),
        Refusal::Bad { key } => (
            format!("{who}: BAD signature on {what}: key {key} did not sign these bytes"),
            "the download or its signature was altered; do not use this release, and tell the upstream".to_string(),
        ),
        Refusal::Expired { key, on } => (
            format!("{who}: {what} is signed by key {key}, which expired on {on}"),
            format!("if its owner extended the key, check the new expiry out of band and refresh it in the keyring: gpg --export --armor {key} > {path}"),
        ),
        Refusal::Revoked { key } => (
            format!("{who}: {what} is signed by key {key}, which its owner revoked"),
            format!("do not trust this release; if the upstream signs with a new key, check it out of band and add it to {path}"),
        ),
        Refusal::Unreadable(e) => (
            format!("{who}: the signature of {what} is not an OpenPGP signature: {e}"),
            "check `signature` in the manifest: it must point to the detached signature upstream publishes".to_string(),
        ),
        Refusal::Data(e) => (
            format!("{who}: cannot read {what} to check its signature: {e}"),
            "`signed = \"uncompressed\"` reads the tar inside the compressed file".to_string(),
        ),
    };
    Error::unverified(message).with_note(note)
}

/// Check the signature of a tarball release whose bytes are `tarball`: the fingerprint of
/// the key that signed it, `None` when the upstream has no keyring. A missing or refused
/// signature is [`Kind::Unverified`]; a server that cannot be reached, [`Kind::Unreachable`].
pub(crate) fn tarball(
    upstream: &Upstream,
    version: &str,
    tarball: &[u8],
    now: i64,
) -> Result<Option<String>> {
    let Some(signing) = &upstream.signing else {
        return Ok(None);
    };
    let (Some(url), Some(tarball_url)) = (
        upstream.signature_url(version),
        upstream.tarball_url(version),
    ) else {
        return Ok(None);
    };
    let sig = remote::http::download(&url).map_err(|e| match e {
        DownloadError::Status { status, .. } => Error::unverified(format!(
            "{}: no signature at {url} (the server answered {status})",
            release(upstream, version),
        ))
        .with_note(format!(
            "the keyring {} requires every release to be signed; check `signature` in the manifest, or ask the upstream to publish one",
            signing.keyring_path
        )),
        DownloadError::Network { .. } => Error::unreachable(e.to_string()),
    })?;
    let file = crate::render::url_file_name(&tarball_url);
    let result = match signing.signed {
        Signed::Tarball => openpgp::verify(&signing.keys, &sig, tarball, now),
        Signed::Uncompressed => match crate::compress::decompressed(file, tarball) {
            Ok(tar) => openpgp::verify(&signing.keys, &sig, tar, now),
            Err(e) => Err(Refusal::Data(e.to_string())),
        },
    };
    let what = match signing.signed {
        Signed::Tarball => file.to_string(),
        Signed::Uncompressed => format!("the tar inside {file}"),
    };
    result
        .map(|v| Some(v.key))
        .map_err(|r| refusal(upstream, signing, version, &what, &r))
}

/// A release tag as fetched: the commit it points to, and the key that signed it.
#[derive(Debug, Clone)]
pub(crate) struct SignedTag {
    pub commit: String,
    pub key: String,
}

/// Fetch the tag object `tag` of `url` and check its signature with the keyring.
pub(crate) fn tag(
    upstream: &Upstream,
    url: &str,
    tag: &str,
    version: &str,
    now: i64,
) -> Result<Option<SignedTag>> {
    let Some(signing) = upstream.signing.as_ref().filter(|s| s.signed_tags) else {
        return Ok(None);
    };
    let who = release(upstream, version);
    let fetched = remote::git::fetch_tag(url, tag)
        .map_err(|e| Error::unreachable(format!("{who}: {e:#}")))?;
    let Some(fetched) = fetched else {
        return Err(Error::unverified(format!(
            "{who}: tag {tag} is a lightweight tag, not a signed annotated tag"
        ))
        .with_note("`signed-tags = true` requires the release tag to be signed (git tag -s); ask the upstream to sign it, or pin the release by hand after checking it"));
    };
    let Some((signed, sig)) = openpgp::split_tag(&fetched.raw) else {
        return Err(Error::unverified(format!("{who}: tag {tag} is not signed")).with_note(format!(
            "`signed-tags = true` requires the release tag to be signed (git tag -s) by a key of {}; ask the upstream to sign it",
            signing.keyring_path
        )));
    };
    let what = format!("tag {tag}");
    match openpgp::verify(&signing.keys, sig, signed, now) {
        Ok(v) => Ok(Some(SignedTag {
            commit: fetched.commit,
            key: v.key,
        })),
        Err(r) => Err(refusal(upstream, signing, version, &what, &r)),
    }
}

/// One pin's audit.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PinReport {
    pub upstream: String,
    pub version: String,
    /// The archived series, `None` for the current release.
    pub series: Option<String>,
    /// `commit <sha>` or `sha256 <hex>`.
    pub pin: String,
    /// "ok", "failed" (the pin no longer holds) or "unreachable".
    pub status: String,
    /// What was checked, one line each: `tag v1.0 -> <commit>`, `sha256 matches`,
    /// `signed by <fingerprint>`.
    pub checks: Vec<String>,
    /// Why the pin does not hold or could not be checked.
    pub error: Option<String>,
}

/// Audit every pin of `upstreams` (all when empty), archived series included.
pub(crate) fn audit(model: &Model, upstreams: &[&Upstream], now: i64) -> Vec<PinReport> {
    let mut out = Vec::new();
    for u in upstreams {
        let mut pins: Vec<(String, Option<String>, Pin)> = Vec::new();
        match &u.source {
            UpstreamSource::Git { commit, .. } => {
                pins.push((u.version.raw.clone(), None, Pin::Commit(commit.clone())))
            }
            UpstreamSource::Tarball { sha256, .. } => {
                pins.push((u.version.raw.clone(), None, Pin::Sha256(sha256.clone())))
            }
        }
        for a in model.archive.iter().filter(|a| a.upstream == u.name) {
            pins.push((a.version.raw.clone(), Some(a.series.clone()), a.pin.clone()));
        }
        // One tag listing per upstream serves all its pins.
        let tags = match &u.source {
            UpstreamSource::Git { url, .. } => Some(remote::git::remote_tags(url)),
            UpstreamSource::Tarball { .. } => None,
        };
        for (version, series, pin) in pins {
            let mut report = PinReport {
                upstream: u.name.clone(),
                version: version.clone(),
                series,
                pin: match &pin {
                    Pin::Commit(c) => format!("commit {c}"),
                    Pin::Sha256(s) => format!("sha256 {s}"),
                },
                status: "ok".to_string(),
                checks: Vec::new(),
                error: None,
            };
            let result = match (&pin, &u.source) {
                (Pin::Commit(c), UpstreamSource::Git { url, .. }) => {
                    audit_commit(u, url, &version, c, tags.as_ref(), now, &mut report.checks)
                }
                (Pin::Sha256(s), _) => audit_tarball(u, &version, s, now, &mut report.checks),
                (Pin::Commit(_), UpstreamSource::Tarball { .. }) => Ok(()),
            };
            if let Err(e) = result {
                let status = match e.kind() {
                    Some(Kind::Unverified) => "failed",
                    _ => "unreachable",
                };
                report.status = status.to_string();
                report.error = Some(e.message());
            }
            out.push(report);
        }
    }
    out
}

fn audit_commit(
    u: &Upstream,
    url: &str,
    version: &str,
    pinned: &str,
    tags: Option<&std::result::Result<remote::git::Tags, remote::Error>>,
    now: i64,
    checks: &mut Vec<String>,
) -> Result<()> {
    let tags = match tags {
        Some(Ok(t)) => t,
        Some(Err(e)) => return Err(Error::unreachable(e.to_string())),
        None => return Ok(()),
    };
    let tag = tags
        .keys()
        .find(|t| u.version_of_tag(t).as_deref() == Some(version))
        .cloned()
        .unwrap_or_else(|| format!("{}{version}", u.tag_prefix));
    match tags.get(&tag) {
        Some(now_at) if now_at == pinned => checks.push(format!("tag {tag} -> {pinned}")),
        Some(now_at) => {
            return Err(Error::unverified(format!(
                "{}: tag {tag} moved: pinned to {pinned}, it now points to {now_at}",
                release(u, version)
            ))
            .with_note("find out why upstream moved the tag before trusting the new commit; pkgforge never follows a moved tag"))
        }
        None => {
            return Err(Error::unverified(format!(
                "{}: tag {tag} is gone (pinned to {pinned})",
                release(u, version)
            ))
            .with_note("find out why upstream deleted the tag; the pinned commit is what the packages build"))
        }
    }
    if let Some(signed) = self::tag(u, url, &tag, version, now)? {
        if signed.commit != pinned {
            return Err(Error::unverified(format!(
                "{}: signed tag {tag} points to {}, not to the pinned {pinned}",
                release(u, version),
                signed.commit
            )));
        }
        checks.push(format!("tag {tag} signed by {}", signed.key));
    }
    Ok(())
}

fn audit_tarball(
    u: &Upstream,
    version: &str,
    pinned: &str,
    now: i64,
    checks: &mut Vec<String>,
) -> Result<()> {
    let Some(url) = u.tarball_url(version) else {
        return Ok(());
    };
    let bytes = remote::http::download(&url).map_err(|e| match e {
        DownloadError::Status { .. } => Error::unverified(format!("{}: {e}", release(u, version)))
            .with_note("the pinned tarball is gone from the server; find out whether upstream withdrew the release"),
        DownloadError::Network { .. } => Error::unreachable(e.to_string()),
    })?;
    let got = crate::digest::sha256_hex(&bytes);
    if got != pinned {
        return Err(Error::unverified(format!(
            "{}: {url} changed: pinned sha256 {pinned}, the server now has {got}",
            release(u, version)
        ))
        .with_note(
            "upstream replaced a released tarball; find out why before trusting the new one",
        ));
    }
    checks.push("sha256 matches".to_string());
    if let Some(key) = self::tarball(u, version, &bytes, now)? {
        checks.push(format!("signed by {key}"));
    }
    Ok(())
}

/// The exit code of an audit: 4 when a pin no longer holds, 3 when some could not be
/// checked, else 0.
pub(crate) fn exit_code(reports: &[PinReport]) -> u8 {
    if reports.iter().any(|r| r.status == "failed") {
        4
    } else if reports.iter().any(|r| r.status == "unreachable") {
        3
    } else {
        0
    }
}

/// The table `verify` prints, then one paragraph per pin that failed.
pub(crate) fn table(reports: &[PinReport]) -> String {
    let mut rows = vec![[
        "UPSTREAM".to_string(),
        "VERSION".to_string(),
        "SERIES".to_string(),
        "STATUS".to_string(),
        "CHECKED".to_string(),
    ]];
    for r in reports {
        rows.push([
            r.upstream.clone(),
            r.version.clone(),
            r.series.clone().unwrap_or_else(|| "current".to_string()),
            r.status.clone(),
            if r.checks.is_empty() {
                "-".to_string()
            } else {
                r.checks.join("; ")
            },
        ]);
    }
    let mut out = crate::table::columns(&rows);
    for r in reports {
        if let Some(e) = &r.error {
            out.push_str(&format!("{}: {e}\n", r.status.to_ascii_uppercase()));
        }
    }
    out
}
