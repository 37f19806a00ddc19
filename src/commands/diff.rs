//! `pkgforge diff`: the rendered outputs against the files on disk; writes nothing.

use crate::app::LoadedProject;
use crate::error::Result;
use crate::output;

use super::{warn_pending, Global, Outcome, Stdout};

/// The diff of the selected outputs.
pub fn run(g: &Global, distros: &[String], packages: &[String]) -> Result<Outcome> {
    warn_pending(g);
    let project = LoadedProject::load(g.manifest)?;
    let selection = project.select(distros, packages)?;
    let plan = project.plan(&selection, None)?;
    Ok(Outcome {
        stdout: Stdout::Diff(output::diff(&plan)),
        ..Outcome::default()
    })
}
