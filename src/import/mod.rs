//! `pkgforge import`: existing OBS packaging (a spec, `_service`, `.changes`,
//! debtransform files) read back into manifest entries.
//!
//! Each spec is evaluated by rpm once per rpm target of the manifest; what every target
//! agrees on becomes the package, what differs becomes `[names]` entries (only a
//! package name differs) or `[packages.distro.<id>]` overrides. What has no manifest
//! key is listed in the report, each item at its file and line.

mod changes;
mod emit;
mod package;
mod service;
mod spec;
mod write;

use std::path::{Path, PathBuf};

use crate::distro::{Distro, Format};
use crate::error::{Diagnostic, Error, Result};
use crate::manifest::{self, CHANGELOG};

pub(crate) use package::Imported;

/// What to import.
#[derive(Debug, Default, Clone)]
pub struct Request {
    /// OBS package directories (osc checkouts or plain directories).
    pub dirs: Vec<PathBuf>,
    /// The upstream every imported package uses (default: one per package, named
    /// after it).
    pub upstream: Option<String>,
}

/// What the manifest the entries are for already has.
pub(crate) struct Context {
    /// The text of packages.toml (empty when there is none).
    pub manifest_text: String,
    pub changelog_text: String,
    pub targets: Vec<Distro>,
    pub archs: Vec<String>,
    pub license: Option<String>,
    pub homepage: Option<String>,
    /// Upstreams, toolchains and names the manifest has, by name.
    pub upstreams: Vec<String>,
    pub toolchains: Vec<(String, String)>,
    pub names: Vec<String>,
    pub packages: Vec<String>,
}

/// The entries of every directory, and where they go.
pub struct Prepared {
    pub(crate) packages: Vec<Imported>,
    /// The TOML text added to packages.toml and to changelog.toml.
    pub manifest_entries: String,
    pub changelog_entries: String,
    /// What could not be expressed, one `file:line: what` a line.
    pub report: Vec<String>,
    /// The new texts of packages.toml and changelog.toml, and patch files to copy
    /// (destination relative to the manifest, source).
    pub(crate) new_manifest: String,
    pub(crate) new_changelog: String,
    pub(crate) copies: Vec<(PathBuf, PathBuf)>,
    /// Why the manifest with the entries would not load (a pin to add by hand): printed
    /// with the entries, a refusal with `--write`.
    pub invalid: Option<Error>,
}

impl Prepared {
    /// How many packages were imported.
    pub fn count(&self) -> usize {
        self.packages.len()
    }
}

/// Read every directory of `req` against the manifest at `manifest_path`.
pub fn prepare(manifest_path: &Path, req: &Request) -> Result<Prepared> {
    if req.dirs.is_empty() {
        return Err(Error::usage("give at least one OBS package directory"));
    }
    let cx = context(manifest_path)?;
    let mut packages = Vec::new();
    let mut skipped = Vec::new();
    for dir in &req.dirs {
        if let Some(kiwi) = image_package_of(dir) {
            skipped.push(format!(
                "{}: the image package of the kiwi description {}: import reads no kiwi \
                 descriptions; add its [[rootfs]] by hand",
                dir.display(),
                kiwi.display()
            ));
            continue;
        }
        let p = package::import(&cx, dir, req.upstream.as_deref())?;
        if packages.iter().any(|q: &Imported| q.name == p.name) || cx.packages.contains(&p.name) {
            return Err(Error::usage(format!(
                "{}: the manifest already has a package `{}`",
                dir.display(),
                p.name
            )));
        }
        packages.push(p);
    }
    let entries = emit::entries(&cx, &packages)?;
    let new_manifest = write::manifest(&cx, &entries)?;
    let new_changelog = write::changelog(&cx, &entries.changelog)?;
    // what is written must load: a refusal here leaves every file as it was
    let unpatched = emit::Entries {
        appended: entries.appended_unpatched.clone(),
        edits: entries.edits.clone(),
        ..emit::Entries::default()
    };
    let invalid = check(
        manifest_path,
        &write::manifest(&cx, &unpatched)?,
        &new_changelog,
    )
    .err();
    let copies = packages
        .iter()
        .flat_map(|p| p.patch_copies.iter().cloned())
        .collect();
    let report = skipped
        .into_iter()
        .chain(packages.iter().flat_map(|p| p.report.clone()))
        .collect();
    Ok(Prepared {
        packages,
        manifest_entries: entries.manifest_text,
        changelog_entries: entries.changelog_text,
        report,
        new_manifest,
        new_changelog,
        copies,
        invalid,
    })
}

/// The kiwi description whose image `dir` packages, when `dir` is the image package
/// `render` writes beside it: `<rootfs>-<base>-pkg/` next to `<rootfs>-<base>/*.kiwi`.
fn image_package_of(dir: &Path) -> Option<PathBuf> {
    let name = dir.file_name()?.to_str()?;
    let image = dir.with_file_name(name.strip_suffix("-pkg")?);
    std::fs::read_dir(&image)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "kiwi"))
        .min()
}

/// Write the prepared entries and patches; nothing when they would not load.
pub fn apply(manifest_path: &Path, prepared: Prepared) -> Result<()> {
    if let Some(e) = prepared.invalid {
        return Err(e);
    }
    if prepared.packages.is_empty() {
        // every directory was left out (and reported): nothing to add
        return Ok(());
    }
    write::apply(manifest_path, &prepared)
}

fn context(manifest_path: &Path) -> Result<Context> {
    let dir = manifest_path
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf();
    let read = |p: &Path| -> Result<String> {
        match std::fs::read_to_string(p) {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(Error::Other(
                anyhow::Error::from(e).context(format!("cannot read {}", p.display())),
            )),
        }
    };
    let manifest_text = read(manifest_path)?;
    let changelog_text = read(&dir.join(CHANGELOG))?;
    if manifest_text.trim().is_empty() {
        return Err(Diagnostic::new(
            manifest_path,
            "the manifest is missing or empty: import adds packages to a manifest with a [project]",
        )
        .help("write its [project] table first (name, maintainer, license, obs-project, targets)")
        .into());
    }
    let model = manifest::load(manifest_path)?;
    let doc: toml_edit::DocumentMut = manifest_text
        .parse()
        .map_err(|e: toml_edit::TomlError| Error::usage(e.to_string()))?;
    let keys = |t: &str| -> Vec<String> {
        doc.get(t)
            .and_then(|i| i.as_table_like())
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default()
    };
    let toolchains = doc
        .get("toolchains")
        .and_then(|i| i.as_table_like())
        .map(|t| {
            t.iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Context {
        targets: model.project.targets.clone(),
        archs: model.project.archs.clone(),
        license: Some(model.project.license.clone()),
        homepage: model.project.homepage.clone(),
        upstreams: keys("upstreams"),
        toolchains,
        names: keys("names"),
        packages: model.packages.iter().map(|p| p.name.clone()).collect(),
        manifest_text,
        changelog_text,
    })
}

impl Context {
    pub(crate) fn rpm_targets(&self) -> Vec<&Distro> {
        self.targets
            .iter()
            .filter(|t| t.format() == Format::Rpm)
            .collect()
    }
}

/// The new texts must load as a manifest; the error names the imported entry.
fn check(manifest_path: &Path, manifest: &str, changelog: &str) -> Result<()> {
    manifest::load_texts(manifest_path, manifest.to_string(), changelog.to_string())
        .map(|_| ())
        .map_err(|e| {
            Error::usage(format!(
                "the imported entries do not make a valid manifest:\n{}",
                e.rendered()
            ))
            .with_help("print the entries without --write, complete them, and add them by hand")
        })
}
