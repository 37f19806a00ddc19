//! `pkgforge bump`: move an upstream to a new version, with its changelog entry.

use crate::bump::{self, Request};
use crate::error::Result;
use crate::output;

use super::{lock_and_recover, warn_pending, Global, Outcome};

/// The arguments of `bump`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub request: Request,
    /// `--dry-run`: print the diff, write nothing.
    pub dry_run: bool,
}

/// Prepare the bump; show it (`--dry-run`) or write it.
pub fn run(g: &Global, args: &Args, env: &bump::Env) -> Result<Outcome> {
    let _lock = match args.dry_run {
        true => {
            warn_pending(g);
            None
        }
        false => Some(lock_and_recover(g)?),
    };
    let bump = bump::prepare(g.manifest, &args.request, env)?;
    for w in &bump.warnings {
        (g.say)(&format!("warning: {w}"));
    }
    if args.dry_run {
        let summary = format!(
            "dry run: {} files would change; nothing was written",
            bump.plan.changes.len()
        );
        return Ok(Outcome::diff(g, 0, output::diff(&bump.plan), summary));
    }
    output::apply(g.dir(), &bump.plan)?;
    if !g.quiet {
        let pin = bump
            .commit
            .as_ref()
            .map(|c| format!("commit {c}"))
            .or_else(|| bump.sha256.as_ref().map(|s| format!("sha256 {s}")))
            .unwrap_or_default();
        (g.say)(&format!(
            "bumped {} from {} to {} ({pin})",
            bump.upstream, bump.from, bump.to
        ));
        if let Some(key) = &bump.signed_by {
            (g.say)(&format!("the release's signature verifies with key {key}"));
        }
        if let Some(series) = &bump.archived {
            (g.say)(&format!(
                "archived series {series} in obs/_archive/{series}/"
            ));
        }
        (g.say)(&format!(
            "{} files changed; review with `git diff`, then `osc addremove && osc commit`",
            bump.plan.changes.len()
        ));
    }
    Ok(Outcome::done())
}
