//! `pkgforge archive list` and `archive prune`.

use crate::app::LoadedProject;
use crate::error::Result;
use crate::output;

use super::{lock_and_recover, Global, Outcome};

/// The archived series and whether each is kept.
pub fn list(g: &Global) -> Result<Outcome> {
    let project = LoadedProject::load(g.manifest)?;
    Ok(Outcome::text(0, crate::archive::table(&project.model)))
}

/// Remove one archived series and its outputs.
pub fn prune(g: &Global, series: &str, upstream: Option<&str>) -> Result<Outcome> {
    let _lock = lock_and_recover(g)?;
    let plan = crate::archive::prune(g.manifest, series, upstream)?;
    output::apply(g.dir(), &plan)?;
    g.status(&format!(
        "pruned series {series}: {} files changed",
        plan.changes.len()
    ));
    Ok(Outcome::done())
}
