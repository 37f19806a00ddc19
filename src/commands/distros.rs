//! `pkgforge distros`: the distro table, the manifest's when there is one.

use crate::app::LoadedProject;
use crate::error::Result;

use super::{Global, Outcome};

/// The distro table and, for a manifest with rootfs, the image each target requires.
pub fn run(g: &Global) -> Result<Outcome> {
    let model = match g.manifest.exists() {
        true => Some(LoadedProject::load(g.manifest)?.model),
        false => None,
    };
    let distros = match &model {
        Some(m) => m.distros.clone(),
        None => crate::distro::builtin(),
    };
    let mut text = crate::distro::table(&distros);
    // Which image each target's packages require: the default base of every rootfs.
    if let Some(m) = model.filter(|m| !m.rootfs.is_empty()) {
        text.push('\n');
        text.push_str(&crate::render::kiwi::default_base_table(&m));
    }
    Ok(Outcome::text(0, text))
}
