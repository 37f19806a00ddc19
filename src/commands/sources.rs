//! `pkgforge sources`: the files each package's `_service` makes on OBS, made from the
//! pins and written into `obs/<package>/` only once every selected package has them;
//! with `--package <rootfs>-<base>-pkg`, the image package's source, built by kiwi.
//! The vendored dependencies' licences go into `vendor-licenses.toml` beside the manifest.

use crate::app::LoadedProject;
use crate::error::{Error, Result};
use crate::manifest::{vendored, Model, VENDOR_LICENSES};
use crate::render::image_package;
use crate::sources::{self, Report};

use super::{lock_and_recover, Global, Outcome};

/// The arguments of `sources`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// `--package` names; empty means every package.
    pub packages: Vec<String>,
    /// Show progress bars on stderr (stderr is a terminal); `-q` turns them off.
    pub progress: bool,
}

/// Update `vendor-licenses.toml` with the vendored dependencies' licences of the packages
/// in `made`, dropping entries of packages the manifest has no vendor archive for; it is
/// written only when its text changes. Warns of licences no text was recognised in.
/// The number of files written.
fn write_licenses(g: &Global, model: &Model, made: &[sources::Made]) -> Result<usize> {
    let mut record = vendored::read(&model.dir)?;
    let before = record.clone();
    record.retain(|name, _| {
        model
            .packages
            .iter()
            .any(|p| &p.name == name && p.vendor.is_some())
    });
    for m in made {
        let Some(package) = model.packages.iter().find(|p| p.name == m.package) else {
            continue;
        };
        let Some(set) = sources::licenses_of(model, package)? else {
            continue;
        };
        for d in set
            .deps
            .iter()
            .filter(|d| d.license.starts_with("LicenseRef-vendored-"))
        {
            let why = match d.texts.is_empty() {
                true => "has no licence file",
                false => "has a licence text pkgforge does not recognise",
            };
            (g.say)(&format!(
                "warning: {}: {} {} {why}: debian/copyright gives it as {} with its text; check it and name its licence",
                package.name, d.name, d.version, d.license
            ));
        }
        record.insert(package.name.clone(), set);
    }
    if record == before {
        return Ok(0);
    }
    let path = crate::fsio::base(&model.dir).join(VENDOR_LICENSES);
    if record.is_empty() {
        crate::fsio::remove_durable(&path)?;
    } else {
        let text = vendored::to_toml(&record);
        crate::fsio::write_atomic_in(&model.dir, &path, text.as_bytes(), false)?;
    }
    if g.verbose {
        (g.say)(&format!("wrote {VENDOR_LICENSES}"));
    }
    Ok(1)
}

/// Make every selected package's sources, then write them. A pin that does not hold
/// (exit 4) or an upstream that cannot be read (exit 3) leaves `obs/` untouched.
pub fn run(g: &Global, args: &Args) -> Result<Outcome> {
    let (_lock, _) = lock_and_recover(g)?;
    let project = LoadedProject::load(g.manifest)?;
    let model = &project.model;
    for p in &args.packages {
        let image = sources::image::find(model, p).is_some();
        if !image && !model.packages.iter().any(|x| &x.name == p) {
            let names: Vec<&str> = model.packages.iter().map(|p| p.name.as_str()).collect();
            let images: Vec<String> = model
                .rootfs
                .iter()
                .flat_map(|r| r.bases.iter().map(|b| image_package::obs_package(r, b)))
                .collect();
            return Err(
                Error::usage(format!("--package {p}: the manifest has no such package")).with_note(
                    format!(
                        "packages with a _service: {}; image packages, made only when named: {}",
                        names.join(", "),
                        if images.is_empty() {
                            "none".to_string()
                        } else {
                            images.join(", ")
                        }
                    ),
                ),
            );
        }
    }
    let quiet_say = |_: &str| {};
    let report = Report {
        say: if g.quiet { &quiet_say } else { g.say },
        progress: args.progress && !g.quiet,
    };
    let mut all = Vec::new();
    for package in &model.packages {
        if args.packages.is_empty() || args.packages.contains(&package.name) {
            all.push(sources::make(model, package, &report)?);
        }
    }
    // An image takes root and minutes to build: only when named.
    for name in &args.packages {
        if let Some(made) = sources::make_image(model, name, &report) {
            all.push(made?);
        }
    }
    let mut written = 0;
    for made in &all {
        let files = sources::write(&model.dir, made)?;
        written += files.len();
        if g.verbose {
            for f in &files {
                (g.say)(&format!("wrote {}", f.display()));
            }
        }
        let names: Vec<&str> = made.files.iter().map(|(n, _)| n.as_str()).collect();
        let how = match made.cached {
            true => "cached",
            false => "made",
        };
        g.status(&format!("{}: {how}: {}", made.package, names.join(", ")));
    }
    written += write_licenses(g, model, &all)?;
    crate::fsio::remove_tmp_dir(crate::fsio::base(&model.dir));
    let cached = all.iter().filter(|m| m.cached).count();
    g.status(&format!(
        "sources: {} packages ({cached} cached, {} made), {written} files written",
        all.len(),
        all.len() - cached
    ));
    Ok(Outcome::done())
}
