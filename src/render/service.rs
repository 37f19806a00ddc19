//! `_service`: how OBS fetches the sources, pinned to the manifest's commit or checksum.

use std::io;

use quick_xml::events::BytesText;

use super::xml::{document, XmlWriter};
use crate::manifest::{Package, Source, Upstream, Vendor};

/// The source tarball name the spec's Source0 expects for a git upstream.
pub fn git_tarball(package: &Package) -> String {
    format!("{}-{}.tar.xz", package.name, package.version.rpm)
}

/// The vendored dependencies archive the vendoring service writes.
pub fn vendor_archive(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Go => "vendor.tar.gz",
        Vendor::Cargo => "vendor.tar.zst",
    }
}

fn service(
    w: &mut XmlWriter,
    name: &str,
    mode: Option<&str>,
    params: &[(&str, &str)],
) -> io::Result<()> {
    let mut el = w.create_element("service").with_attribute(("name", name));
    if let Some(m) = mode {
        el = el.with_attribute(("mode", m));
    }
    if params.is_empty() {
        el.write_empty()?;
    } else {
        el.write_inner_content(|w| {
            for (k, v) in params {
                w.create_element("param")
                    .with_attribute(("name", *k))
                    .write_text_content(BytesText::new(v))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Render `_service` for one package built from `upstream`, pinned to `commit` for git.
pub fn render(package: &Package, upstream: &Upstream, pin: Option<&str>) -> Vec<u8> {
    document(false, |w| {
        w.create_element("services").write_inner_content(|w| {
            match &upstream.source {
                Source::Git { url, commit } => {
                    let revision = pin.unwrap_or(commit);
                    service(
                        w,
                        "obs_scm",
                        None,
                        &[
                            ("scm", "git"),
                            ("url", url),
                            ("revision", revision),
                            ("version", &package.version.rpm),
                            ("filename", &package.name),
                        ],
                    )?;
                    service(w, "set_version", None, &[])?;
                    match package.vendor {
                        Some(Vendor::Go) => service(
                            w,
                            "go_modules",
                            None,
                            &[("archive", &format!("{}-*.obscpio", package.name))],
                        )?,
                        Some(Vendor::Cargo) => service(
                            w,
                            "cargo_vendor",
                            None,
                            &[
                                ("src", &format!("{}-*.obscpio", package.name)),
                                ("compression", "zst"),
                                ("update", "false"),
                            ],
                        )?,
                        None => {}
                    }
                    service(w, "tar", Some("buildtime"), &[])?;
                    service(
                        w,
                        "recompress",
                        Some("buildtime"),
                        &[("file", "*.tar"), ("compression", "xz")],
                    )?;
                }
                Source::Tarball { url, sha256, .. } => {
                    service(w, "download_files", None, &[])?;
                    service(
                        w,
                        "verify_file",
                        None,
                        &[
                            ("file", super::url_file_name(url)),
                            ("verifier", "sha256"),
                            ("checksum", sha256),
                        ],
                    )?;
                }
            }
            Ok(())
        })?;
        Ok(())
    })
}
