//! `pkgforge verify`: check that every pin still holds.

use crate::app::LoadedProject;
use crate::error::Result;

use super::{json, select_upstreams, warn_pending, Global, Outcome};

/// Audit the selected upstreams' pins; `now` is the time keys are checked at (seconds).
pub fn run(g: &Global, upstreams: &[String], as_json: bool, now: i64) -> Result<Outcome> {
    warn_pending(g);
    let project = LoadedProject::load(g.manifest)?;
    let upstreams = select_upstreams(&project.model, upstreams)?;
    let reports = crate::verify::audit(&project.model, &upstreams, now);
    let text = match as_json {
        true => json(&reports)? + "\n",
        false => crate::verify::table(&reports),
    };
    Ok(Outcome::text(crate::verify::exit_code(&reports), text))
}
