//! `_service`: how OBS fetches the sources, pinned to the manifest's commit or checksum.

use serde::Serialize;

use super::templates::Templates;
use crate::error::Result;
use crate::manifest::{Model, Package, Services, Upstream, UpstreamSource, Vendor};

/// How `recompress` compresses a git upstream's tarball: gzip when the project builds
/// for a Debian or Ubuntu target, xz otherwise. debtransform turns any other orig
/// tarball into a `.tar.gz` at the start of every Debian build (it does so for source
/// format 1.0 and for `3.0 (quilt)` alike, before it reads the format), so a gzip
/// tarball is what spares each Debian build that recompression.
pub(crate) fn git_compression(model: &Model) -> &'static str {
    if model.deb_targets().next().is_some() {
        "gz"
    } else {
        "xz"
    }
}

/// The source tarball name the spec's Source0 expects for a git upstream.
pub(crate) fn git_tarball(model: &Model, package: &Package) -> String {
    format!(
        "{}-{}.tar.{}",
        package.name,
        package.version.rpm,
        git_compression(model)
    )
}

/// The vendored dependencies archive the vendoring service writes.
pub(crate) fn vendor_archive(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Go => "vendor.tar.gz",
        Vendor::Cargo => "vendor.tar.zst",
    }
}

#[derive(Serialize)]
struct Git<'a> {
    url: &'a str,
    revision: &'a str,
}

#[derive(Serialize)]
struct Tarball<'a> {
    file: &'a str,
    sha256: &'a str,
}

/// What `obs/service.xml.tera` gets.
#[derive(Serialize)]
struct Context<'a> {
    name: &'a str,
    version: &'a str,
    /// `go`, `cargo`, or none.
    vendor: Option<&'static str>,
    git: Option<Git<'a>>,
    tarball: Option<Tarball<'a>>,
    /// The `mode` of the services that fetch and vendor: `manual`, or none (OBS runs them).
    mode: Option<&'static str>,
    /// The `mode` of `tar` and `recompress`: `manual`, `buildtime` (only when every target
    /// builds against a repository with the obs-service-* packages), or none.
    archive_mode: Option<&'static str>,
    /// `cargo_vendor`'s `cargotoml`: the Cargo.toml below the top of the sources.
    cargotoml: Option<&'a str>,
    /// `recompress`'s `compression`: see [`git_compression`].
    compression: &'static str,
}

/// The modes of the fetching services and of `tar`/`recompress` for `model`'s targets.
fn modes(model: &Model) -> (Option<&'static str>, Option<&'static str>) {
    match model.project.services {
        Services::Manual => (Some("manual"), Some("manual")),
        Services::Server => {
            let all_have_services = model
                .project
                .targets
                .iter()
                .all(|t| t.family.group() == Some("suse"));
            (None, all_have_services.then_some("buildtime"))
        }
    }
}

/// Render `_service` for one package built from `upstream`, pinned to `commit` for git.
pub(crate) fn render(
    model: &Model,
    package: &Package,
    upstream: &Upstream,
    pin: Option<&str>,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let (git, tarball) = match &upstream.source {
        UpstreamSource::Git { url, commit } => (
            Some(Git {
                url,
                revision: pin.unwrap_or(commit),
            }),
            None,
        ),
        UpstreamSource::Tarball { url, sha256, .. } => (
            None,
            Some(Tarball {
                file: super::url_file_name(url),
                sha256,
            }),
        ),
    };
    let ctx = Context {
        name: &package.name,
        version: &package.version.rpm,
        vendor: package.vendor.map(|v| match v {
            Vendor::Go => "go",
            Vendor::Cargo => "cargo",
        }),
        git,
        tarball,
        mode: modes(model).0,
        archive_mode: modes(model).1,
        cargotoml: package.cargo_toml.as_deref(),
        compression: git_compression(model),
    };
    Ok(templates.render("obs/service.xml.tera", &ctx)?.into_bytes())
}
