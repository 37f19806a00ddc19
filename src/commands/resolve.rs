//! `pkgforge resolve`: can every requirement be met in each target's repositories?

use std::time::Duration;

use crate::app::{select_targets, LoadedProject};
use crate::error::{Diagnostic, Error, Result};
use crate::remote::mirror::Mirror;
use crate::resolve;

use super::{warn_pending, Global, Outcome};

/// The arguments of `resolve`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// `--distro` selectors; empty means every target.
    pub distros: Vec<String>,
    /// `--arch`: the architecture to resolve for, instead of each target's first.
    pub arch: Option<String>,
    pub json: bool,
    /// Seconds to wait for a repository.
    pub timeout: u64,
}

/// Resolve every selected target's requirements against its repositories.
pub fn run(g: &Global, args: &Args) -> Result<Outcome> {
    warn_pending(g);
    let project = LoadedProject::load(g.manifest)?;
    let targets = select_targets(&project.model, &args.distros)?;
    if let Some(a) = &args.arch {
        if !crate::distro::KNOWN_ARCHS.contains(&a.as_str()) || a == "noarch" {
            return Err(
                Error::usage(format!("--arch {a}: not an architecture")).with_note(format!(
                    "use an rpm name: {}",
                    crate::distro::KNOWN_ARCHS[..8].join(", ")
                )),
            );
        }
    }
    let outputs = project.render()?;
    let mut mirror = Mirror::new(&project.model.dir, Duration::from_secs(args.timeout.max(1)))?;
    mirror.progress &= !g.quiet;
    let mut reports = Vec::new();
    for t in targets {
        let arch = resolve::arch_for(&project.model, t, args.arch.as_deref());
        g.status(&format!("resolving {} ({arch})", t.id));
        reports.push(resolve::check_target(
            &project.model,
            &outputs,
            t,
            &arch,
            &mirror,
        ));
    }
    if let Err(e) = mirror.save() {
        (g.say)(&format!("warning: cannot save the resolve cache: {e:#}"));
    }
    if g.verbose {
        use std::sync::atomic::Ordering::Relaxed;
        (g.say)(&format!(
            "{} requests, {} answered 304 Not Modified, {} indexes taken from the cache",
            mirror.requests.load(Relaxed),
            mirror.not_modified.load(Relaxed),
            mirror.cached.load(Relaxed)
        ));
    }
    let text = match args.json {
        true => resolve::json(&reports).map_err(|e| Error::Other(e.into()))? + "\n",
        false => resolve::text(&reports),
    };
    let unmet: usize = reports.iter().map(|r| r.problems.len()).sum();
    let unchecked = reports.iter().filter(|r| r.error.is_some()).count();
    let (code, closing) = exit_code(unmet, unchecked);
    Ok(Outcome {
        closing: closing.into_iter().collect(),
        ..Outcome::text(code, text)
    })
}

/// The exit code of `resolve` and the error that explains it: 2 when a requirement
/// cannot be met, else 3 when a target could not be checked, else 0.
pub fn exit_code(unmet: usize, unchecked: usize) -> (u8, Option<String>) {
    if unmet > 0 {
        return (
            2,
            Some(Diagnostic::plain(format!("{unmet} requirements cannot be met")).to_string()),
        );
    }
    if unchecked > 0 {
        return (
            3,
            Some(
                Diagnostic::plain(format!("{unchecked} targets could not be checked")).to_string(),
            ),
        );
    }
    (0, None)
}
