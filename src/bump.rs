//! `bump`: move every package of one upstream to a new release, in one all-or-nothing step.
//!
//! The manifest is edited with toml_edit so only the changed values move; the changelog
//! gets one entry at the top; a release that starts a new series archives the old one;
//! then everything is rendered again. Nothing touches the disk until the whole result has
//! been loaded, validated and rendered in memory.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use toml_edit::{value, ArrayOfTables, DocumentMut, Item, Table};

use crate::app::LoadedProject;
use crate::error::{Error, Result};
use crate::manifest::{self, Upstream, UpstreamSource, CHANGELOG};
use crate::output::{self, Change, Plan, Selection};
use crate::remote::{self, http::DownloadError};
use crate::verify;
use crate::version::{self, escape_for_message};

/// What the user asked for.
#[derive(Debug, Default, Clone)]
pub struct Request {
    pub upstream: Option<String>,
    pub version: String,
    pub commit: Option<String>,
    pub messages: Vec<String>,
    pub date: Option<String>,
    pub force: bool,
}

/// What the environment contributes, read by the caller.
#[derive(Debug, Clone)]
pub struct Env {
    /// `PKGFORGE_AUTHOR`
    pub author: Option<String>,
    /// `SOURCE_DATE_EPOCH`
    pub source_date_epoch: Option<String>,
    /// `GITHUB_TOKEN`
    pub github_token: Option<String>,
    /// `PKGFORGE_GITHUB_API`
    pub github_api: Option<String>,
    pub now: Timestamp,
    /// Whether to ask GitHub for release notes.
    pub release_notes: bool,
}

impl Env {
    pub fn from_process() -> Env {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            author: var("PKGFORGE_AUTHOR"),
            source_date_epoch: var("SOURCE_DATE_EPOCH"),
            github_token: var("GITHUB_TOKEN"),
            github_api: var("PKGFORGE_GITHUB_API"),
            now: Timestamp::now(),
            release_notes: true,
        }
    }
}

/// A prepared bump: every file change, ready to show or apply.
pub(crate) struct Bump {
    pub upstream: String,
    pub from: String,
    pub to: String,
    pub commit: Option<String>,
    pub sha256: Option<String>,
    /// The fingerprint of the key whose signature of the release verified.
    pub signed_by: Option<String>,
    /// The series archived by this bump, if it starts a new one.
    pub archived: Option<String>,
    pub changes: Vec<String>,
    pub plan: Plan,
    pub warnings: Vec<String>,
}

/// The upstream `bump` acts on: the named one, else the first one of the manifest.
pub(crate) fn pick_upstream<'a>(
    project: &'a LoadedProject,
    name: Option<&str>,
) -> Result<&'a Upstream> {
    let m = &project.model;
    match name {
        Some(n) => m.upstream(n).ok_or_else(|| {
            Error::usage(format!("--upstream {n}: the manifest has no such upstream")).with_note(
                format!(
                    "upstreams: {}",
                    m.upstreams
                        .iter()
                        .map(|u| u.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }),
        None => m
            .upstreams
            .first()
            .ok_or_else(|| Error::usage("the manifest declares no upstream")),
    }
}

/// Work out everything a bump changes without writing anything.
pub(crate) fn prepare(manifest_path: &Path, req: &Request, env: &Env) -> Result<Bump> {
    let project = LoadedProject::load(manifest_path)?;
    let dir = project.model.dir.clone();
    let upstream = pick_upstream(&project, req.upstream.as_deref())?.clone();
    let new = req.version.trim();
    version::check(new).map_err(|e| Error::usage(format!("--version: {e}")))?;
    let current = upstream.version.raw.clone();
    check_newer(&upstream, req, new, &current)?;

    // Pin the new release, and check its signature before anything is written.
    let Pinned {
        commit,
        sha256,
        signed_by,
    } = pin_release(&upstream, req, env, new)?;
    let mut warnings = Vec::new();
    let changes = change_lines(&project, &upstream, req, env, new, &mut warnings);
    let date = entry_date(req.date.as_deref(), env)?;
    let author = env
        .author
        .clone()
        .unwrap_or_else(|| project.model.project.maintainer.clone());

    // Edit the manifest and the changelog as text.
    let old_manifest = read(manifest_path)?;
    let old_changelog = read(&dir.join(CHANGELOG))?;
    let archive_entry = archive_entry(&project, &upstream, new, &current, &date);
    let new_manifest = edit_manifest(
        &old_manifest,
        &upstream.name,
        new,
        commit.as_deref(),
        sha256.as_deref(),
        archive_entry.as_ref(),
    )?;
    let new_changelog = prepend_entry(
        &old_changelog,
        &upstream.name,
        new,
        &date,
        &author,
        &changes,
    );
    let plan = plan_edited(
        &project,
        manifest_path,
        (old_manifest, new_manifest),
        (old_changelog, new_changelog),
    )?;
    Ok(Bump {
        upstream: upstream.name.clone(),
        from: current,
        to: new.to_string(),
        commit,
        sha256,
        signed_by,
        archived: archive_entry.map(|a| a.series),
        changes,
        plan,
        warnings,
    })
}

/// Refuse a version that is not newer than `current` or is outside `track`, unless
/// `--force`.
fn check_newer(upstream: &Upstream, req: &Request, new: &str, current: &str) -> Result<()> {
    if !req.force {
        if version::compare(new, current) != std::cmp::Ordering::Greater {
            return Err(Error::usage(format!(
                "{new} is not newer than the current version {current} of `{}`",
                upstream.name
            ))
            .with_note("pass --force to move to it anyway"));
        }
        if let Some(track) = &upstream.track {
            let ok = version::lenient_semver(new).is_some_and(|v| track.matches(&v));
            if !ok {
                return Err(Error::usage(format!(
                    "{new} is outside `track = \"{track}\"` of `{}`",
                    upstream.name
                ))
                .with_note("change `track` in the manifest, or pass --force"));
            }
        }
    }

    Ok(())
}

/// Pin release `new` of `upstream`: the commit of its tag (or `--commit`) for a git
/// upstream, the sha256 of its tarball otherwise; and the key whose signature of it
/// verified, checked before anything is written.
fn pin_release(upstream: &Upstream, req: &Request, env: &Env, new: &str) -> Result<Pinned> {
    let mut signed_by = None;
    let (commit, sha256) = match &upstream.source {
        UpstreamSource::Git { url, .. } => {
            let signed_tags = upstream.signing.as_ref().is_some_and(|s| s.signed_tags);
            // A signed-tags upstream verifies its tag even when the commit is given.
            let found = match (&req.commit, signed_tags) {
                (Some(_), false) => None,
                _ => Some(resolve_tag(upstream, url, new)?),
            };
            let commit = match (&req.commit, &found) {
                (Some(c), _) => {
                    if !(c.len() == 40
                        && c.bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
                    {
                        return Err(Error::usage(format!(
                            "--commit {}: not 40 lowercase hex digits",
                            escape_for_message(c)
                        )));
                    }
                    c.clone()
                }
                (None, Some((_, c))) => c.clone(),
                (None, None) => return Err(Error::usage("no commit to pin")),
            };
            if let (true, Some((tag, _))) = (signed_tags, &found) {
                if let Some(signed) = verify::tag(upstream, url, tag, new, env.now.as_second())? {
                    if signed.commit != commit {
                        return Err(Error::unverified(format!(
                            "upstream `{}` {new}: --commit {commit} is not the commit of the signed tag {tag} ({})",
                            upstream.name, signed.commit
                        ))
                        .with_note("a signed-tags upstream is pinned to the commit its signed tag names; drop --commit"));
                    }
                    signed_by = Some(signed.key);
                }
            }
            (Some(commit), None)
        }
        UpstreamSource::Tarball { pattern, .. } => {
            if req.commit.is_some() {
                return Err(Error::usage(format!(
                    "--commit applies to git upstreams; `{}` is pinned by the tarball's sha256",
                    upstream.name
                )));
            }
            let url = pattern.replace("{version}", new);
            let bytes = remote::http::download(&url).map_err(|e| match e {
                DownloadError::Status { .. } => Error::usage(e.to_string()).with_note(format!(
                    "is {new} a released version of `{}`?",
                    upstream.name
                )),
                DownloadError::Network { .. } => Error::unreachable(e.to_string()),
            })?;
            signed_by = verify::tarball(upstream, new, &bytes, env.now.as_second())?;
            (None, Some(crate::digest::sha256_hex(&bytes)))
        }
    };

    Ok(Pinned {
        commit,
        sha256,
        signed_by,
    })
}

/// What [`pin_release`] found.
struct Pinned {
    commit: Option<String>,
    sha256: Option<String>,
    signed_by: Option<String>,
}

/// The changelog lines: the `-m` messages, else "Update to version" and the release
/// notes GitHub has, if any (a failure to get them is a warning).
fn change_lines(
    project: &LoadedProject,
    upstream: &Upstream,
    req: &Request,
    env: &Env,
    new: &str,
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let mut changes: Vec<String> = req
        .messages
        .iter()
        .flat_map(|m| {
            m.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    if changes.is_empty() {
        changes.push(format!("Update to version {new}"));
        if let (Some(repo), true) = (&upstream.github, env.release_notes) {
            let tag = format!("{}{new}", upstream.tag_prefix);
            match release_notes(project, repo, &tag, env) {
                Ok(Some(body)) => changes.extend(
                    note_lines(&body, 30)
                        .into_iter()
                        .map(|l| format!("  * {l}")),
                ),
                Ok(None) => {}
                Err(e) => warnings.push(format!("no release notes from GitHub: {e:#}")),
            }
        }
    }
    changes
}

/// The `[[archive]]` entry for the series a bump to `new` leaves, when it starts a new
/// one that is not archived yet.
fn archive_entry(
    project: &LoadedProject,
    upstream: &Upstream,
    new: &str,
    current: &str,
    date: &Timestamp,
) -> Option<ArchiveEntry> {
    let archived = (version::Version::parse(new, None).map(|v| v.series()).ok()
        != Some(upstream.version.series()))
    .then(|| upstream.version.series());
    let already_archived = project
        .model
        .archive
        .iter()
        .any(|a| a.upstream == upstream.name && Some(&a.series) == archived.as_ref());
    let archive_entry = match (&archived, already_archived) {
        (Some(series), false) => Some(ArchiveEntry {
            series: series.clone(),
            version: current.to_string(),
            commit: match &upstream.source {
                UpstreamSource::Git { commit, .. } => Some(commit.clone()),
                UpstreamSource::Tarball { .. } => None,
            },
            sha256: match &upstream.source {
                UpstreamSource::Tarball { sha256, .. } => Some(sha256.clone()),
                UpstreamSource::Git { .. } => None,
            },
            date: date.strftime("%Y-%m-%d").to_string(),
        }),
        _ => None,
    };
    archive_entry
}

/// Load, validate and render the edited manifest and changelog in memory: the plan of
/// every change, the inputs first.
fn plan_edited(
    project: &LoadedProject,
    manifest_path: &Path,
    (old_manifest, new_manifest): (String, String),
    (old_changelog, new_changelog): (String, String),
) -> Result<Plan> {
    let dir = project.model.dir.clone();
    // Load, validate and render the result in memory.
    let model = manifest::load_texts(manifest_path, new_manifest.clone(), new_changelog.clone())?;
    let (outputs, cache) = crate::app::render_for_cache(
        manifest_path,
        &model,
        &project.templates,
        crate::archive::warnings(&model),
    )?;
    let selection = Selection {
        targets: model.project.targets.iter().collect(),
        packages: Vec::new(),
    };
    let mut plan = output::plan(&dir, &outputs, &selection, model.project.targets.len())?;
    plan.cache = cache;
    // The changelog, then the manifest: `output::apply` writes inputs in this order after
    // every output, so the manifest changes last (see `crate::journal`).
    for (path, old, new_text) in [
        (relative(&dir, manifest_path), old_manifest, new_manifest),
        (PathBuf::from(CHANGELOG), old_changelog, new_changelog),
    ] {
        plan.changes.insert(
            0,
            Change::input(path, old.into_bytes(), new_text.into_bytes()),
        );
    }
    Ok(plan)
}

fn relative(dir: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| {
            path.file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| path.to_path_buf())
        })
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read `{}`: {e}", path.display())))
}

/// The tag of `version` on the remote and the commit it points to.
fn resolve_tag(upstream: &Upstream, url: &str, version: &str) -> Result<(String, String)> {
    let tags = remote::git::remote_tags(url).map_err(|e| Error::unreachable(format!("{e:#}")))?;
    let found = tags
        .iter()
        .find(|(tag, _)| upstream.version_of_tag(tag).as_deref() == Some(version));
    match found {
        Some((tag, commit)) => Ok((tag.clone(), commit.clone())),
        None => {
            let mut known: Vec<String> = tags
                .keys()
                .filter_map(|t| upstream.version_of_tag(t))
                .filter(|v| version::check(v).is_ok())
                .collect();
            known.sort_by(|a, b| version::compare(b, a));
            known.truncate(5);
            Err(Error::usage(format!(
                "{url} has no tag for version {version} (looked for `{}{version}`)",
                upstream.tag_prefix
            ))
            .with_note(format!(
                "newest tags there: {}; pass --commit SHA to pin a commit by hand",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )))
        }
    }
}

/// The release notes GitHub has for `tag` of `repo`, through the same fetcher (retries,
/// rate limits, the conditional-request cache of `watch`, read only) and API-base policy
/// as `watch`.
fn release_notes(
    project: &LoadedProject,
    repo: &str,
    tag: &str,
    env: &Env,
) -> std::result::Result<Option<String>, remote::Error> {
    let api = remote::github_api(
        env.github_api.as_deref(),
        project.model.project.github_api.as_deref(),
        env.github_token.as_deref(),
    );
    let (cache, _) = remote::cache::ResponseCache::load(&project.model.dir);
    let timeout = std::time::Duration::from_secs(30);
    let fetcher = remote::fetch::Fetcher::new(timeout, api.token.clone(), cache)
        .map_err(|e| remote::Error::Failed(e.to_string()))?;
    remote::github::release_notes(&fetcher, &api.base, repo, tag, api.token.as_deref())
}

/// The bullet points of release notes, as changelog lines: one line each, no markup that
/// specs would expand, at most `max` of them.
fn note_lines(body: &str, max: usize) -> Vec<String> {
    body.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("- ").or_else(|| l.strip_prefix("* ")))
        .map(|l| l.replace(['`', '\t'], "").trim().to_string())
        .filter(|l| !l.is_empty() && !l.chars().any(char::is_control))
        .filter(|l| !(l.contains("%{") || l.contains("%(") || l.contains("%[")))
        .take(max)
        .collect()
}

/// `--date`, else `SOURCE_DATE_EPOCH`, else now, to the second.
fn entry_date(date: Option<&str>, env: &Env) -> Result<Timestamp> {
    let t = match (date, &env.source_date_epoch) {
        (Some(d), _) => {
            crate::changelog::parse_date(d).map_err(|e| Error::usage(format!("--date: {e}")))?
        }
        (None, Some(epoch)) => epoch
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or_else(|| {
                Error::usage(format!(
                    "SOURCE_DATE_EPOCH `{epoch}` is not a number of seconds"
                ))
            })?,
        (None, None) => env.now,
    };
    Timestamp::from_second(t.as_second()).map_err(|e| Error::usage(e.to_string()))
}

struct ArchiveEntry {
    series: String,
    version: String,
    commit: Option<String>,
    sha256: Option<String>,
    date: String,
}

/// Change only the values that move, keeping each one's surrounding whitespace and comments.
fn edit_manifest(
    text: &str,
    upstream: &str,
    version: &str,
    commit: Option<&str>,
    sha256: Option<&str>,
    archive: Option<&ArchiveEntry>,
) -> Result<String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Error::usage(format!("the manifest does not parse: {e}"))
    })?;
    let table = doc
        .get_mut("upstreams")
        .and_then(|u| u.get_mut(upstream))
        .and_then(|t| t.as_table_like_mut())
        .ok_or_else(|| Error::usage(format!("cannot find [upstreams.{upstream}] to edit")))?;
    set_keeping_decor(table, "version", version);
    if let Some(c) = commit {
        set_keeping_decor(table, "commit", c);
    }
    if let Some(s) = sha256 {
        set_keeping_decor(table, "sha256", s);
    }
    if let Some(a) = archive {
        let mut t = Table::new();
        t.insert("upstream", value(upstream));
        t.insert("series", value(a.series.as_str()));
        t.insert("version", value(a.version.as_str()));
        if let Some(c) = &a.commit {
            t.insert("commit", value(c.as_str()));
        }
        if let Some(s) = &a.sha256 {
            t.insert("sha256", value(s.as_str()));
        }
        t.insert("archived", value(a.date.as_str()));
        match doc.get_mut("archive") {
            Some(Item::ArrayOfTables(arr)) => arr.push(t),
            Some(_) => {
                return Err(Error::usage(
                    "`archive` in the manifest is not an array of tables",
                ))
            }
            None => {
                let mut arr = ArrayOfTables::new();
                arr.push(t);
                doc.insert("archive", Item::ArrayOfTables(arr));
            }
        }
    }
    Ok(doc.to_string())
}

fn set_keeping_decor(table: &mut dyn toml_edit::TableLike, key: &str, new: &str) {
    match table.get_mut(key).and_then(|i| i.as_value_mut()) {
        Some(old) => {
            let decor = old.decor().clone();
            let mut v = toml_edit::Value::from(new);
            *v.decor_mut() = decor;
            *old = v;
        }
        None => {
            table.insert(key, value(new));
        }
    }
}

/// Put one `[[entry]]` before the first one, leaving the rest of the text as it is.
fn prepend_entry(
    text: &str,
    upstream: &str,
    version: &str,
    date: &Timestamp,
    author: &str,
    changes: &[String],
) -> String {
    let q = |s: &str| toml_edit::Value::from(s).to_string();
    let mut entry = String::from("[[entry]]\n");
    entry.push_str(&format!("upstream = {}\n", q(upstream)));
    entry.push_str(&format!("version = {}\n", q(version)));
    entry.push_str(&format!(
        "date = {}\n",
        q(&date.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    ));
    entry.push_str(&format!("author = {}\n", q(author)));
    entry.push_str("changes = [\n");
    for c in changes {
        entry.push_str(&format!("    {},\n", q(c)));
    }
    entry.push_str("]\n\n");
    match first_entry_offset(text) {
        Some(i) => format!("{}{entry}{}", &text[..i], &text[i..]),
        None => {
            let mut t = text.trim_end().to_string();
            if !t.is_empty() {
                t.push_str("\n\n");
            }
            t.push_str(entry.trim_end());
            t.push('\n');
            t
        }
    }
}

/// The byte offset of the line holding the first `[[entry]]` header.
fn first_entry_offset(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("[[") && t[2..].trim_start().starts_with("entry") && t.contains("]]") {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_values_move() {
        let text = "# comment\n[upstreams.kata]   # the main one\ngit = 'x'\nversion   =   \"3.1.3\"   # pinned\ncommit = \"aaaa\"\n\n[other]\nkey = { a = 1 }\n";
        let out = edit_manifest(text, "kata", "3.2.0", Some("bbbb"), None, None).unwrap();
        assert_eq!(out, "# comment\n[upstreams.kata]   # the main one\ngit = 'x'\nversion   =   \"3.2.0\"   # pinned\ncommit = \"bbbb\"\n\n[other]\nkey = { a = 1 }\n");
    }

    #[test]
    fn inline_upstream_tables_are_edited_in_place() {
        let text = "upstreams = { kata = { git = \"x\", version = \"1.0\", commit = \"a\" } }\n";
        let out = edit_manifest(text, "kata", "1.1", Some("b"), None, None).unwrap();
        assert_eq!(
            out,
            "upstreams = { kata = { git = \"x\", version = \"1.1\", commit = \"b\" } }\n"
        );
    }

    #[test]
    fn entries_are_prepended() {
        let text = "# history\n\n[[entry]]\nversion = \"1.0\"\n";
        let date = Timestamp::from_second(1_795_000_000).unwrap();
        let out = prepend_entry(
            text,
            "kata",
            "1.1",
            &date,
            "A <a@b>",
            &["Update to version 1.1".to_string()],
        );
        assert!(
            out.starts_with("# history\n\n[[entry]]\nupstream = \"kata\"\nversion = \"1.1\"\n"),
            "{out}"
        );
        assert!(
            out.ends_with("]\n\n[[entry]]\nversion = \"1.0\"\n"),
            "{out}"
        );
    }
}
