//! `pkgforge check`: validate the manifest, the changelog and the templates.

use crate::app::LoadedProject;
use crate::error::Result;

use super::{warn_pending, Global, Outcome};

/// Load and render everything in memory; report the template hints.
pub fn run(g: &Global) -> Result<Outcome> {
    warn_pending(g);
    let project = LoadedProject::load(g.manifest)?;
    project.render()?;
    for hint in project.templates.hints() {
        if hint.is_warning() || !g.quiet {
            (g.say)(&hint.to_string());
        }
    }
    g.status(&format!(
        "{} is valid: {} packages, {} targets",
        g.manifest.display(),
        project.model.packages.len(),
        project.model.project.targets.len()
    ));
    Ok(Outcome::done())
}
