//! Renderers: the resolved model in, `(path, bytes)` pairs out. Nothing here touches
//! the filesystem or the network; [`crate::output`] writes what they return.

pub mod archive;
pub mod changes;
pub mod debian;
pub mod kiwi;
pub mod meta;
pub mod rpm;
pub mod service;
pub mod spec;
pub mod templates;
pub mod xml;

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::distro::{Distro, Format};
use crate::error::Result;
use crate::manifest::{Model, Package};
pub use templates::Templates;

/// Which targets a file serves, so `--distro` can select it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serves {
    /// Every target (shared files: `_service`, project meta).
    All,
    /// Every target of one format.
    Format(Format),
    /// These target ids.
    Targets(BTreeSet<String>),
}

impl Serves {
    pub fn one(id: &str) -> Serves {
        Serves::Targets([id.to_string()].into())
    }

    /// Whether a file serving this is written when `selected` targets are chosen.
    pub fn selected_by(&self, selected: &[&Distro]) -> bool {
        match self {
            Serves::All => !selected.is_empty(),
            Serves::Format(f) => selected.iter().any(|d| d.format() == *f),
            Serves::Targets(ids) => selected.iter().any(|d| ids.contains(&d.id)),
        }
    }

    /// The form recorded in the state file.
    pub fn tag(&self) -> String {
        match self {
            Serves::All => "all".to_string(),
            Serves::Format(f) => f.as_str().to_string(),
            Serves::Targets(ids) => ids.iter().cloned().collect::<Vec<_>>().join(","),
        }
    }

    pub fn from_tag(tag: &str) -> Serves {
        match tag {
            "all" => Serves::All,
            "rpm" => Serves::Format(Format::Rpm),
            "deb" => Serves::Format(Format::Deb),
            ids => Serves::Targets(ids.split(',').map(str::to_string).collect()),
        }
    }
}

/// One rendered file.
#[derive(Debug, Clone)]
pub struct Output {
    /// Relative to the manifest's directory.
    pub path: PathBuf,
    pub content: Vec<u8>,
    pub executable: bool,
    /// The package (or rootfs) it belongs to; `None` for project-wide files.
    pub package: Option<String>,
    pub serves: Serves,
}

impl Output {
    fn new(
        path: impl Into<PathBuf>,
        content: impl Into<Vec<u8>>,
        package: Option<&str>,
        serves: Serves,
    ) -> Output {
        Output {
            path: path.into(),
            content: content.into(),
            executable: false,
            package: package.map(str::to_string),
            serves,
        }
    }
}

/// The last path segment of a URL: the file a download produces.
pub fn url_file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// The keyring a tarball upstream's OBS package ships as `<package>.keyring`, so OBS's
/// source validator checks the signature `download_files` fetches beside the tarball.
pub fn tarball_keyring(upstream: &crate::manifest::Upstream) -> Option<&[u8]> {
    match (&upstream.source, &upstream.signing) {
        (crate::manifest::Source::Tarball { .. }, Some(s)) => Some(&s.keyring),
        _ => None,
    }
}

/// The directory a release tarball unpacks to, by convention its name without the extension.
pub fn tarball_dir(file: &str) -> &str {
    for ext in [
        ".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".tgz", ".tar", ".zip",
    ] {
        if let Some(stem) = file.strip_suffix(ext) {
            return stem;
        }
    }
    file
}

/// Render every output of the model, sorted by path.
pub fn render(model: &Model, templates: &Templates) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    for unit in 0..units(model) {
        out.extend(render_unit(model, templates, unit)?);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// How many independent pieces the outputs come in: one per package, then one for the
/// project-wide files (kiwi descriptions, archived series, project meta). The writer
/// renders them on several threads and keeps no more of them in memory than it must.
pub fn units(model: &Model) -> usize {
    model.packages.len() + 1
}

/// The outputs of one unit (see [`units`]), in no particular order.
pub fn render_unit(model: &Model, templates: &Templates, unit: usize) -> Result<Vec<Output>> {
    match model.packages.get(unit) {
        Some(p) => render_package(model, p, templates),
        None => render_project(model, templates),
    }
}

fn render_package(model: &Model, p: &Package, templates: &Templates) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    let has_rpm = model.rpm_targets().next().is_some();
    let dir = PathBuf::from("obs").join(&p.name);
    let upstream = model.upstream_of(p)?;
    out.push(Output::new(
        dir.join("_service"),
        service::render(p, upstream, None),
        Some(&p.name),
        Serves::All,
    ));
    for patch in &p.patches {
        out.push(Output::new(
            dir.join(&patch.name),
            patch.content.clone(),
            Some(&p.name),
            Serves::All,
        ));
    }
    if let Some(keyring) = tarball_keyring(upstream) {
        out.push(Output::new(
            dir.join(format!("{}.keyring", p.name)),
            keyring.to_vec(),
            Some(&p.name),
            Serves::All,
        ));
    }
    if has_rpm {
        let rpm = Serves::Format(Format::Rpm);
        out.push(Output::new(
            dir.join(format!("{}.spec", p.name)),
            spec::render(model, p, None, templates)?,
            Some(&p.name),
            rpm.clone(),
        ));
        out.push(Output::new(
            dir.join(format!("{}.changes", p.name)),
            changes::render(p, templates)?,
            Some(&p.name),
            rpm,
        ));
        for t in model.rpm_targets() {
            out.push(Output::new(
                PathBuf::from("rpm")
                    .join(&t.id)
                    .join(format!("{}.spec", p.name)),
                spec::render(model, p, Some(t), templates)?,
                Some(&p.name),
                Serves::one(&t.id),
            ));
        }
    }
    if model.deb_targets().next().is_some() {
        out.extend(debian::render(model, p, templates)?);
    }
    Ok(out)
}

fn render_project(model: &Model, templates: &Templates) -> Result<Vec<Output>> {
    let mut out = kiwi::render(model);
    out.extend(archive::render(model, templates)?);
    let targets: Vec<&Distro> = model.project.targets.iter().collect();
    out.push(Output::new(
        PathBuf::from("obs/_meta").join(format!("{}.xml", model.project.obs_project)),
        meta::render(
            &model.project.obs_project,
            &model.project.name,
            &format!("Packages of {}, rendered by pkgforge.", model.project.name),
            &targets,
            &model.project.archs,
        ),
        None,
        Serves::All,
    ));
    Ok(out)
}
