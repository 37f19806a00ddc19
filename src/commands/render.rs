//! `pkgforge render` and `render --check`: the render cache shortcut, the recovery
//! policy (a completed bump or prune renders everything again) and the check's exit code.

use crate::app::{ForRender, LoadedProject};
use crate::error::Result;
use crate::output::{self, ChangeKind, Plan};

use super::{lock_and_recover, warn_pending, Global, Outcome};

/// The arguments of `render`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// `--distro` selectors; empty means every target.
    pub distros: Vec<String>,
    /// `--package` names; empty means every package.
    pub packages: Vec<String>,
    /// `--check`: write nothing, exit 1 with the diff when a file is out of date.
    pub check: bool,
}

/// Render the outputs (or, with `--check`, compare them with the files on disk).
pub fn run(g: &Global, args: &Args) -> Result<Outcome> {
    let (_lock, recovered) = match args.check {
        true => {
            warn_pending(g);
            (None, false)
        }
        false => {
            let (lock, recovered) = lock_and_recover(g)?;
            (Some(lock), recovered)
        }
    };
    let everything = args.distros.is_empty() && args.packages.is_empty();
    // After a completed bump every output is rendered again: no cache.
    let (project, reuse) = match LoadedProject::for_render(g.manifest, everything && !recovered)? {
        ForRender::Fresh(fresh) => {
            // Nothing changed since the last complete render: no need to render.
            if args.check {
                g.status(&format!(
                    "all {} rendered files are up to date",
                    fresh.outputs
                ));
                return Ok(Outcome::done());
            }
            for w in &fresh.warnings {
                (g.say)(w);
            }
            g.status(&format!(
                "rendered: 0 created, 0 updated, 0 removed, {} unchanged",
                fresh.outputs
            ));
            return Ok(Outcome::done());
        }
        ForRender::Load(project, reuse) => (project, reuse),
    };
    let selection = match recovered {
        // The inputs just moved: a partial render would leave other files stale.
        true => project.select(&[], &[])?,
        false => project.select(&args.distros, &args.packages)?,
    };
    if args.check {
        let plan = project.plan(&selection, reuse.as_ref())?;
        return Ok(check_outcome(g, &plan));
    }
    let mut warnings = crate::archive::warnings(&project.model);
    warnings.extend(crate::manifest::vendored::warnings(&project.model));
    let plan = project.plan_staged(&selection, reuse.as_ref(), warnings.clone())?;
    project.apply(&plan)?;
    for w in &warnings {
        (g.say)(w);
    }
    report(g, &plan);
    drop_later((project, plan, reuse));
    Ok(Outcome::done())
}

/// Free `t` on a thread of its own that nobody waits for: the model and the plan of a
/// large manifest are many small allocations, which take longer to free than the process
/// takes to exit. Where no thread can be started, `t` is freed here.
fn drop_later<T: Send + 'static>(t: T) {
    let _ = std::thread::Builder::new()
        .name("drop".to_string())
        .spawn(move || drop(t));
}

/// `render --check`: exit 0 when every file is current, else 1 and the diff.
fn check_outcome(g: &Global, plan: &Plan) -> Outcome {
    if plan.changed() == 0 {
        g.status(&format!(
            "all {} rendered files are up to date",
            plan.unchanged
        ));
        return Outcome::done();
    }
    let summary = format!(
        "{} files are out of date; run `pkgforge render` to regenerate them",
        plan.changed()
    );
    Outcome::diff(g, 1, output::diff(plan), summary)
}

/// What a render wrote: every file with `--verbose`, the counts unless `--quiet`.
fn report(g: &Global, plan: &Plan) {
    if g.verbose {
        (g.say)(&format!(
            "rendered {} of {} units; the render cache proved the others current",
            plan.rendered_units, plan.units
        ));
        for (kind, path) in plan.each_change() {
            let verb = match kind {
                ChangeKind::Create => "created",
                ChangeKind::Update => "updated",
                ChangeKind::Remove => "removed",
            };
            (g.say)(&format!("{verb} {}", path.display()));
        }
    }
    let (created, updated, removed) = plan.counts();
    g.status(&format!(
        "rendered: {created} created, {updated} updated, {removed} removed, {} unchanged",
        plan.unchanged
    ));
}
