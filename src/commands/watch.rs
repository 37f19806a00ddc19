//! `pkgforge watch`: look for new upstream releases and, with `--apply`, bump to them,
//! optionally committing each bump to a branch (`--commit-branch`) and leaving the
//! checkout as it was.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::app::LoadedProject;
use crate::bump::{self, Bump};
use crate::error::{Error, Kind, Result};
use crate::output::{self, Change, Plan};
use crate::remote::{self, cache, fetch};
use crate::watch::branch;
use crate::watch::check::{self, Report, SignatureCheck};

use super::{json, lock_and_recover, select_upstreams, warn_pending, Global, Outcome};

/// The arguments of `watch`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// `--upstream` names; empty means every upstream.
    pub upstreams: Vec<String>,
    pub json: bool,
    /// `--apply`: bump every upstream with an allowed newer release.
    pub apply: bool,
    /// `--commit-branch`: commit each bump to this branch instead of the checkout.
    pub commit_branch: Option<String>,
    /// How many upstreams to check at once.
    pub jobs: usize,
    /// Seconds to wait for a server.
    pub timeout: u64,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// Check the upstreams, apply the updates when asked, and report.
pub fn run(g: &Global, args: &Args, env: &bump::Env) -> Result<Outcome> {
    // Taken before loading, so the bumps apply to the manifest the checks read.
    let _lock = match args.apply {
        true => Some(lock_and_recover(g)?),
        false => {
            warn_pending(g);
            None
        }
    };
    let project = LoadedProject::load(g.manifest)?;
    let mut reports = check_upstreams(g, args, env, &project)?;
    if args.apply {
        apply_updates(g, args, &mut reports, env)?;
    }
    let text = match args.json {
        true => json(&reports)? + "\n",
        false => check::table(&reports),
    };
    Ok(Outcome::text(exit_code(&reports, args.apply), text))
}

/// The exit code of `watch`: 4 when a pinned tag moved or a release was refused, else
/// 3 when an upstream could not be checked, else 1 when updates wait (without
/// `--apply`), else 0.
pub fn exit_code(reports: &[Report], applied: bool) -> u8 {
    let moved = reports
        .iter()
        .any(|r| !r.moved_tags.is_empty() || r.refused());
    let failed = reports.iter().any(|r| r.error.is_some());
    let pending = reports.iter().any(|r| r.has_update() && !r.applied);
    if moved {
        4
    } else if failed {
        3
    } else if pending && !applied {
        1
    } else {
        0
    }
}

/// Ask every selected upstream for its releases, with the watch cache.
fn check_upstreams(
    g: &Global,
    args: &Args,
    env: &bump::Env,
    project: &LoadedProject,
) -> Result<Vec<Report>> {
    let model = &project.model;
    let upstreams = select_upstreams(model, &args.upstreams)?;
    let (cache, warning) = cache::ResponseCache::load(&model.dir);
    if let Some(w) = warning {
        (g.say)(&format!("warning: {w}"));
    }
    let api = remote::github_api(
        env.github_api.as_deref(),
        model.project.github_api.as_deref(),
        env.github_token.as_deref(),
    );
    let fetcher = fetch::Fetcher::new(Duration::from_secs(args.timeout.max(1)), api.token, cache)?;
    let bar = (args.progress && !g.quiet).then(|| progress_bar(upstreams.len()));
    let opts = check::Options {
        upstreams,
        jobs: args.jobs,
        github_api: api.base,
    };
    let reports = check::run(model, &opts, &fetcher, &|| {
        if let Some(b) = &bar {
            b.inc(1);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Ok(c) = fetcher.cache.lock() {
        if let Err(e) = c.save(&model.dir) {
            (g.say)(&format!("warning: cannot save the watch cache: {e:#}"));
        }
    }
    if g.verbose {
        use std::sync::atomic::Ordering::Relaxed;
        (g.say)(&format!(
            "{} requests, {} answered 304 Not Modified",
            fetcher.requests.load(Relaxed),
            fetcher.not_modified.load(Relaxed)
        ));
    }
    Ok(reports)
}

fn progress_bar(len: usize) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} checking upstreams {pos}/{len} {wide_bar} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// Bump every upstream with an allowed newer release through the same code as `bump`,
/// optionally committing each bump to a branch and leaving the checkout as it was.
pub(crate) fn apply_updates(
    g: &Global,
    args: &Args,
    reports: &mut [Report],
    env: &bump::Env,
) -> Result<()> {
    let dir = g.dir().to_path_buf();
    // The render cache as it was, for the checkout to go back to with the rest.
    let cache_before = std::fs::read(dir.join(output::cache::FILE)).ok();
    let mut branch = match &args.commit_branch {
        Some(name) => Some(Branch::open(&dir, name)?),
        None => None,
    };
    let mut bumps = Vec::new();
    for r in reports.iter_mut().filter(|r| r.has_update()) {
        let Some(bump) = bump_one(g, r, env) else {
            continue;
        };
        if let Some(b) = &mut branch {
            b.commit(&dir, &bump)?;
        }
        bumps.push(bump);
    }
    if let Some(b) = branch {
        // The checkout goes back to what it was: the changes live on the branch only.
        // One plan through the same journaled writer, so a kill cannot leave the manifest
        // and the changelog apart.
        output::apply(&dir, &restore_plan(&dir, &bumps, cache_before))?;
        if !g.quiet && reports.iter().any(|r| r.applied) {
            (g.say)(&format!(
                "committed to branch {} ({}); push it and open a pull request",
                b.name, b.parent
            ));
        }
    }
    Ok(())
}

/// Bump one upstream to its newest allowed release and write it; a refusal or a
/// failure is recorded in its report instead.
fn bump_one(g: &Global, r: &mut Report, env: &bump::Env) -> Option<Bump> {
    let version = r.newest_allowed.clone()?;
    let req = bump::Request {
        upstream: Some(r.upstream.clone()),
        version: version.clone(),
        commit: r.newest_commit.clone(),
        ..Default::default()
    };
    let bump = match bump::prepare(g.manifest, &req, env) {
        Ok(b) => b,
        Err(e) if e.kind() == Some(Kind::Unverified) => {
            r.signature = Some(SignatureCheck {
                version,
                status: "refused".to_string(),
                key: None,
                message: Some(e.message()),
            });
            return None;
        }
        Err(e) => {
            r.error = Some(format!("bump to {version} failed: {}", e.message()));
            return None;
        }
    };
    if let Err(e) = output::apply(g.dir(), &bump.plan) {
        r.error = Some(format!("bump to {version} failed: {e:#}"));
        return None;
    }
    r.applied = true;
    g.status(&format!(
        "bumped {} from {} to {}",
        bump.upstream, bump.from, bump.to
    ));
    Some(bump)
}

/// The branch `--commit-branch` names, and the commit the next bump goes on top of.
struct Branch {
    repo: git2::Repository,
    name: String,
    parent: git2::Oid,
}

impl Branch {
    /// The repository holding `dir`, refusing the branch that is checked out.
    fn open(dir: &Path, name: &str) -> Result<Branch> {
        let git = |e: git2::Error| Error::Other(e.into());
        let repo = branch::open(dir)?;
        let head = repo.head().map_err(git)?;
        if head.shorthand().ok() == Some(name) {
            return Err(Error::usage(format!(
                "--commit-branch {name} is the branch checked out; name another branch"
            )));
        }
        let parent = head.peel_to_commit().map_err(git)?.id();
        drop(head);
        Ok(Branch {
            repo,
            name: name.to_string(),
            parent,
        })
    }

    /// Commit the files `bump` changed, with a message listing its changes.
    fn commit(&mut self, dir: &Path, bump: &Bump) -> Result<()> {
        let paths: Vec<PathBuf> = bump.plan.changes.iter().map(|c| c.path.clone()).collect();
        let changes: Vec<String> = bump
            .changes
            .iter()
            .map(|c| format!("- {}", c.trim()))
            .collect();
        let message = format!(
            "Update {} to {}\n\n{}\n",
            bump.upstream,
            bump.to,
            changes.join("\n")
        );
        let parent = self
            .repo
            .find_commit(self.parent)
            .map_err(|e| Error::Other(e.into()))?;
        self.parent = branch::commit_files(&self.repo, dir, &parent, &paths, &self.name, &message)?;
        Ok(())
    }
}

/// The plan that puts back every file the bumps changed, and the render cache.
fn restore_plan(dir: &Path, bumps: &[Bump], cache_before: Option<Vec<u8>>) -> Plan {
    let mut originals: Vec<&Change> = Vec::new();
    for c in bumps.iter().flat_map(|b| &b.plan.changes) {
        if !originals.iter().any(|o| o.path == c.path) {
            originals.push(c);
        }
    }
    let mut restore = Plan::default();
    for o in originals {
        let current = std::fs::read(dir.join(&o.path)).ok();
        restore.changes.push(Change {
            path: o.path.clone(),
            kind: kind_of(&current, &o.old),
            old: current,
            new: o.old.clone(),
            executable: o.old_executable,
            old_executable: o.executable,
            input: o.input,
            staged: false,
        });
    }
    let cache_path = PathBuf::from(output::cache::FILE);
    let cache_now = std::fs::read(dir.join(&cache_path)).ok();
    if cache_now != cache_before {
        restore.changes.push(Change {
            path: cache_path,
            kind: kind_of(&cache_now, &cache_before),
            old: cache_now,
            new: cache_before,
            executable: false,
            old_executable: false,
            input: false,
            staged: false,
        });
    }
    restore
}

/// The change that turns `current` into `wanted`.
fn kind_of(current: &Option<Vec<u8>>, wanted: &Option<Vec<u8>>) -> output::ChangeKind {
    match (current, wanted) {
        (_, None) => output::ChangeKind::Remove,
        (None, Some(_)) => output::ChangeKind::Create,
        (Some(_), Some(_)) => output::ChangeKind::Update,
    }
}
