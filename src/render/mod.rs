//! Renderers: the resolved model in, `(path, bytes)` pairs out. Nothing here touches
//! the filesystem or the network; [`crate::output`] writes what they return.

pub(crate) mod archive;
pub(crate) mod changes;
pub(crate) mod debian;
pub mod image_package;
pub(crate) mod kiwi;
pub(crate) mod meta;
pub(crate) mod prjconf;
pub(crate) mod rpm;
pub(crate) mod service;
pub(crate) mod spec;
pub(crate) mod templates;
pub(crate) mod xml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::distro::{Distro, Format};
use crate::error::Result;
use crate::manifest::{Model, Package, Rootfs};
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
    pub(crate) fn one(id: &str) -> Serves {
        Serves::Targets([id.to_string()].into())
    }

    /// Whether a file serving this is written when `selected` targets are chosen.
    pub(crate) fn selected_by(&self, selected: &[&Distro]) -> bool {
        match self {
            Serves::All => !selected.is_empty(),
            Serves::Format(f) => selected.iter().any(|d| d.format() == *f),
            Serves::Targets(ids) => selected.iter().any(|d| ids.contains(&d.id)),
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
pub(crate) fn url_file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// The keyring a tarball upstream's OBS package ships as `<package>.keyring`, so OBS's
/// source validator checks the signature `download_files` fetches beside the tarball.
pub(crate) fn tarball_keyring(upstream: &crate::manifest::Upstream) -> Option<&[u8]> {
    match (&upstream.source, &upstream.signing) {
        (crate::manifest::UpstreamSource::Tarball { .. }, Some(s)) => Some(&s.keyring),
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
    let mut out: Vec<Output> = render_units(model, templates)?
        .into_iter()
        .flatten()
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Render every output of the model, unit by unit in the order of [`units`].
pub(crate) fn render_units(model: &Model, templates: &Templates) -> Result<Vec<Vec<Output>>> {
    units(model)
        .iter()
        .map(|unit| render_unit(model, templates, unit))
        .collect()
}

/// One independent piece of the outputs: a function of the parts of the model that
/// [`Unit::key`] covers, and of nothing else. The writer renders units on several threads,
/// keeps no more of them in memory than it must, and the render cache
/// ([`crate::output::cache`]) renders again only the units whose key changed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unit<'a> {
    /// `obs/<package>/`, `rpm/*/<package>.spec`, `debian/*/<package>/`.
    Package(&'a Package),
    /// The kiwi package of a rootfs on one base, and its package meta.
    Image(&'a Rootfs, &'a Distro),
    /// An archived release series: `obs/_archive/<series>/` and its project meta.
    Series(&'a str),
    /// The project meta, `obs/_meta/<project>.xml`.
    Meta,
}

/// Every unit of the model, in a stable order: packages, images, archived series, the
/// project meta.
pub(crate) fn units(model: &Model) -> Vec<Unit<'_>> {
    let mut out: Vec<Unit> = model.packages.iter().map(Unit::Package).collect();
    for r in &model.rootfs {
        out.extend(r.bases.iter().map(|b| Unit::Image(r, b)));
    }
    let mut series: Vec<&str> = Vec::new();
    for a in &model.archive {
        if !series.contains(&a.series.as_str()) {
            series.push(&a.series);
        }
    }
    out.extend(series.into_iter().map(Unit::Series));
    out.push(Unit::Meta);
    out
}

impl Unit<'_> {
    /// A name that stays the same from one manifest to the next while the unit exists.
    pub(crate) fn id(&self) -> String {
        match self {
            Unit::Package(p) => format!("package {}", p.name),
            Unit::Image(r, b) => format!("image {} {}", r.name, b.id),
            Unit::Series(s) => format!("series {s}"),
            Unit::Meta => "meta".to_string(),
        }
    }

    /// The SHA-256 of everything [`render_unit`] reads for this unit: what every unit
    /// reads (`base`: the binary, `[project]` with the targets, the distro table, the
    /// templates), the parts of the model this unit renders from (the package with its
    /// resolved dependencies, changelog entries and patches; its upstream), and which
    /// templates it renders. Two equal keys mean equal outputs. Whoever makes a renderer
    /// read more of the model adds it here.
    pub(crate) fn key(&self, base: &KeyBase, model: &Model) -> [u8; 32] {
        use sha2::Digest as _;
        use std::fmt::Write as _;
        let mut k = KeyWriter(sha2::Sha256::new());
        k.0.update(base.shared);
        let _ = write!(k, "\0{}\0", self.id());
        match self {
            Unit::Package(p) => {
                let _ = write!(k, "{p:?}\0{:?}\0", model.upstream(&p.upstream));
            }
            Unit::Image(r, b) => {
                let _ = write!(k, "{r:?}\0{}\0", b.id);
            }
            Unit::Series(s) => {
                for a in model.archive.iter().filter(|a| a.series == *s) {
                    let _ = write!(k, "{a:?}\0{:?}\0", model.upstream(&a.upstream));
                    for p in model.packages.iter().filter(|p| p.upstream == a.upstream) {
                        let _ = write!(k, "{p:?}\0");
                    }
                }
            }
            Unit::Meta => {
                let _ = write!(k, "{:?}\0", kiwi_build_root_lines(model));
            }
        }
        for name in templates::used_by(self, model) {
            let _ = write!(k, "template {name}\0");
            if let Some((_, digest)) = base.templates.iter().find(|(n, _)| *n == name) {
                k.0.update(digest);
            }
        }
        k.0.finalize().into()
    }
}

/// What unit keys cover, hashed once per run rather than once per unit: what every unit
/// reads (the binary, `salt`: every renderer is compiled in; `[project]` with the
/// targets; the distro table) and each template's text, of which a unit's key takes the
/// ones it renders.
pub(crate) struct KeyBase {
    shared: [u8; 32],
    templates: Vec<(&'static str, [u8; 32])>,
}

impl KeyBase {
    pub(crate) fn new(model: &Model, templates: &Templates, salt: &str) -> KeyBase {
        use sha2::Digest as _;
        use std::fmt::Write as _;
        let mut k = KeyWriter(sha2::Sha256::new());
        let _ = write!(k, "{salt}\0{:?}\0{:?}\0", model.project, model.distros);
        KeyBase {
            shared: k.0.finalize().into(),
            templates: templates::DEFAULTS
                .iter()
                .map(|(name, _)| {
                    (
                        *name,
                        crate::digest::sha256(templates.text(name).as_bytes()),
                    )
                })
                .collect(),
        }
    }
}

/// Formats straight into a hash: no copy of what a key covers.
struct KeyWriter(sha2::Sha256);

impl std::fmt::Write for KeyWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        sha2::Digest::update(&mut self.0, s.as_bytes());
        Ok(())
    }
}

/// The outputs of one unit (see [`units`]), in no particular order.
pub(crate) fn render_unit(
    model: &Model,
    templates: &Templates,
    unit: &Unit,
) -> Result<Vec<Output>> {
    match *unit {
        Unit::Package(p) => render_package(model, p, templates),
        Unit::Image(r, b) => {
            let mut out = kiwi::render_image(model, r, b, templates)?;
            if let Some(p) = image_package::ImagePackage::new(model, r, b) {
                out.extend(p.render(templates)?);
            }
            Ok(out)
        }
        Unit::Series(s) => archive::render_series(model, templates, s),
        Unit::Meta => project_meta(model, templates),
    }
}

fn render_package(model: &Model, p: &Package, templates: &Templates) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    let has_rpm = model.rpm_targets().next().is_some();
    let dir = PathBuf::from("obs").join(&p.name);
    let upstream = model.upstream_of(p)?;
    out.push(Output::new(
        dir.join("_service"),
        service::render(model, p, upstream, None, templates)?,
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
        let obs_spec = spec::render(model, p, None, templates)?;
        if rpm::has_usr_lib_path(&obs_spec) {
            out.push(Output::new(
                dir.join(format!("{}-rpmlintrc", p.name)),
                rpm::rpmlintrc(&[rpm::USR_LIB_FILTER]).into_bytes(),
                Some(&p.name),
                rpm.clone(),
            ));
        }
        out.push(Output::new(
            dir.join(format!("{}.spec", p.name)),
            obs_spec,
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

/// The build configuration lines the kiwi builds of the rootfs images need, by the id of
/// the base whose repository builds them.
fn kiwi_build_root_lines(model: &Model) -> BTreeMap<String, Vec<String>> {
    model
        .rootfs
        .iter()
        .flat_map(|r| &r.bases)
        .map(|b| (b.id.clone(), kiwi::build_root_lines(b)))
        .filter(|(_, lines)| !lines.is_empty())
        .collect()
}

/// The project meta and, beside it, the project's build configuration.
fn project_meta(model: &Model, templates: &Templates) -> Result<Vec<Output>> {
    let project = &model.project.obs_project;
    let meta = Output::new(
        PathBuf::from("obs/_meta").join(format!("{project}.xml")),
        meta::render(
            &model.project.obs_project,
            &model.project.name,
            None,
            &model.project.obs_maintainers,
            &model.project.targets,
            &model.project.archs,
            templates,
        )?,
        None,
        Serves::All,
    );
    let prjconf = Output::new(
        PathBuf::from("obs/_meta").join(format!("{project}.prjconf")),
        prjconf::render(
            project,
            &model.project.targets,
            &kiwi_build_root_lines(model),
            templates,
        )?,
        None,
        Serves::All,
    );
    Ok(vec![meta, prjconf])
}
