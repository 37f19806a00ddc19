//! `pkgforge build`: build every selected package for every selected target, install it
//! and run its smoke test; exit [`FAILED`] when a build or smoke test failed.

use std::time::{Duration, Instant};

use crate::app::{select_targets, LoadedProject};
use crate::build::{self, chroot, host, Built, Job};
use crate::distro::Distro;
use crate::error::{Diagnostic, Error, Result};
use crate::manifest::{Model, Package};

use super::{warn_pending, Global, Outcome};

/// The exit code when a build, an install or a smoke test failed.
pub const FAILED: u8 = 5;

/// The arguments of `build`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// `--distro` selectors; empty means every target.
    pub distros: Vec<String>,
    /// `--package` names; empty means every package.
    pub packages: Vec<String>,
    /// Build on this machine instead of in a chroot.
    pub host: bool,
    /// Show a spinner on stderr while a step runs (stderr is a terminal).
    pub progress: bool,
}

/// The error a chroot build gives when pkgforge does not run as root.
pub fn not_root_error() -> Error {
    chroot::needs_root()
}

/// Whether pkgforge runs as root, as a chroot build needs.
pub fn running_as_root() -> bool {
    build::is_root()
}

/// Build, install and test every selected package on every selected target.
pub fn run(g: &Global, args: &Args) -> Result<Outcome> {
    warn_pending(g);
    let project = LoadedProject::load(g.manifest)?;
    let model = &project.model;
    let targets = select_targets(model, &args.distros)?;
    let packages = select_packages(model, &args.packages)?;
    if !args.host {
        chroot::unsupported(&targets)?;
        if !build::is_root() {
            return Err(chroot::needs_root());
        }
    }
    for p in &packages {
        build::check_sources(model, p)?;
    }
    let outputs = project.render()?;
    let cache = std::path::absolute(build::build_dir(&model.dir)?.join("cache"))
        .map_err(|e| Error::Other(e.into()))?;
    let mut failures = Vec::new();
    let mut built = 0;
    for t in &targets {
        let repos = match args.host {
            true => {
                g.status(&format!(
                    "{}: building on this host ({}), not on {}: a host build proves the packaging, not the target",
                    t.id,
                    build::host_arch(),
                    t.name
                ));
                Vec::new()
            }
            false => chroot_repositories(g, t)?,
        };
        for p in &packages {
            let job = Job::new(model, &outputs, t, p)?;
            let started = Instant::now();
            let result = with_spinner(args.progress && !g.quiet, &job, || match args.host {
                true => host::build(&job),
                false => chroot::build(&job, &repos, &cache),
            })?;
            report(g, &job, &result, started.elapsed());
            match result.failed {
                Some(stage) => failures.push(format!(
                    "{}: {}: {} failed; log: {}",
                    t.id,
                    p.name,
                    stage.as_str(),
                    job.log.display()
                )),
                None => built += 1,
            }
        }
    }
    let total = targets.len() * packages.len();
    let (code, mut closing) = match failures.len() {
        0 => (0, Vec::new()),
        n => (
            FAILED,
            vec![Diagnostic::plain(format!("{n} of {total} builds failed")).to_string()],
        ),
    };
    closing.splice(0..0, failures);
    g.status(&format!(
        "build: {built} of {total} built{}",
        match args.host {
            true => " on this host",
            false => " in a chroot",
        }
    ));
    Ok(Outcome {
        code,
        closing,
        ..Outcome::done()
    })
}

/// The packages `--package` names, or all of them.
fn select_packages<'a>(model: &'a Model, names: &[String]) -> Result<Vec<&'a Package>> {
    for p in names {
        if !model.packages.iter().any(|x| &x.name == p) {
            let all: Vec<&str> = model.packages.iter().map(|p| p.name.as_str()).collect();
            return Err(
                Error::usage(format!("--package {p}: the manifest has no such package"))
                    .with_note(format!("packages: {}", all.join(", "))),
            );
        }
    }
    Ok(model
        .packages
        .iter()
        .filter(|p| names.is_empty() || names.contains(&p.name))
        .collect())
}

/// The repositories obs-build reads for `target`, with a line for each left out.
fn chroot_repositories(g: &Global, target: &Distro) -> Result<Vec<String>> {
    let mut skipped = Vec::new();
    let repos = chroot::repositories(target, &mut skipped)?;
    for s in skipped {
        g.status(&format!("warning: {s}"));
    }
    g.status(&format!(
        "{}: building in a chroot with obs-build from {}",
        target.id,
        repos.join(", ")
    ));
    Ok(repos)
}

/// Run `f` under a spinner that names the job, when `show`.
fn with_spinner<T>(show: bool, job: &Job, f: impl FnOnce() -> T) -> T {
    if !show {
        return f();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!("{}: {}: building", job.target.id, job.package.name));
    bar.enable_steady_tick(Duration::from_millis(120));
    let out = f();
    bar.finish_and_clear();
    out
}

/// One line per job: what was built, the smoke test's first line or the failed step.
fn report(g: &Global, job: &Job, result: &Built, took: Duration) {
    let head = format!("{}: {}", job.target.id, job.package.name);
    let secs = took.as_secs();
    let line = match (&result.failed, &result.smoke, &job.package.test) {
        (Some(stage), _, _) => format!("{head}: {} failed ({secs} s)", stage.as_str()),
        (None, Some(out), Some(test)) => format!(
            "{head}: built {} packages, smoke test `{test}` passed: {out} ({secs} s)",
            result.packages.len()
        ),
        _ => format!(
            "{head}: built {} packages, no smoke test (no `test` key) ({secs} s)",
            result.packages.len()
        ),
    };
    g.status(&line);
    if g.verbose {
        for p in &result.packages {
            (g.say)(&format!("  {}", p.display()));
        }
    }
}
