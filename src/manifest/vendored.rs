//! `vendor-licenses.toml`, beside the manifest: the licences of the dependencies in each
//! package's vendor archive, as `pkgforge sources` read them from the vendored tree.
//! It is committed with the manifest, so `render` needs no vendor archive to write the
//! vendored part of `debian/copyright`.
//!
//! ```toml
//! [packages.demo-agent]
//! version = "1.0"
//!
//! [[packages.demo-agent.vendored]]
//! dir = "vendor/dep"
//! name = "dep"
//! version = "0.1.0"
//! license = "MIT OR Apache-2.0"
//! copyright = ["2020 The dep authors"]
//! texts = ["5f1c0a7e2b9d4c31"]
//!
//! [texts]
//! 5f1c0a7e2b9d4c31 = "Permission is hereby granted, ..."
//! ```
//!
//! Texts are kept once, under the first 16 hex digits of their SHA-256, and the
//! dependencies name them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::{Model, Package};
use super::toml_file::TomlFile;
use crate::error::{Diagnostics, Result};
use crate::path;

/// The record's file name, beside the manifest.
pub const VENDOR_LICENSES: &str = "vendor-licenses.toml";

/// How to mend a record that does not hold together.
const RECORD_HELP: &str =
    "`pkgforge sources` writes this file: delete it and run `pkgforge sources` to write it again";

/// The licence of one vendored Go module or crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendored {
    /// Its directory in the source tree as the Debian build unpacks the vendor archive:
    /// `vendor/github.com/x/y`, `vendor/<crate>`.
    pub dir: String,
    /// The Go module path or the crate name.
    pub name: String,
    pub version: String,
    /// An SPDX expression, with `LicenseRef-vendored-<n>` for a text no common
    /// licence was recognised in.
    pub license: String,
    /// The copyright lines found in its licence files.
    pub copyright: Vec<String>,
    /// Its licence files' texts.
    pub texts: Vec<String>,
}

/// What the record holds for one package: the vendored dependencies of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredSet {
    /// The package version whose vendor archive was read.
    pub version: String,
    pub deps: Vec<Vendored>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    #[serde(default)]
    packages: BTreeMap<String, RawSet>,
    #[serde(default)]
    texts: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    version: String,
    #[serde(default)]
    vendored: Vec<RawVendored>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVendored {
    dir: String,
    name: String,
    version: String,
    license: String,
    #[serde(default)]
    copyright: Vec<String>,
    #[serde(default)]
    texts: Vec<String>,
}

/// The record beside the manifest in `dir`, per package name; empty when there is none.
pub fn read(dir: &Path) -> Result<BTreeMap<String, VendoredSet>> {
    let path = crate::fsio::base(dir).join(VENDOR_LICENSES);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&path, text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(crate::error::Diagnostic::new(
            &path,
            format!("cannot read `{}`: {e}", path.display()),
        )
        .into()),
    }
}

/// Parse and check the record's text, read from `path`.
pub(crate) fn parse(path: &Path, text: String) -> Result<BTreeMap<String, VendoredSet>> {
    let (src, raw): (TomlFile, RawRecord) = TomlFile::parse(path, text)?;
    let mut errs = Diagnostics::default();
    let mut out = BTreeMap::new();
    for (package, set) in &raw.packages {
        let mut deps = Vec::new();
        for (i, v) in set.vendored.iter().enumerate() {
            let at = |key: &str| path!["packages", package, "vendored", i, key];
            if let Some(why) = bad_dir(&v.dir) {
                errs.push(
                    src.error(at("dir"), format!("vendored directory `{}` {why}", v.dir))
                        .help(RECORD_HELP),
                );
            }
            if let Some(why) = bad_license(&v.license) {
                errs.push(src.error(at("license"), format!("licence `{}` {why}", v.license)));
            }
            for (j, c) in v.copyright.iter().enumerate() {
                if c.trim().is_empty() || c.contains(['\n', '\r']) {
                    errs.push(src.error(
                        path!["packages", package, "vendored", i, "copyright", j],
                        "a copyright line must be one non-empty line",
                    ));
                }
            }
            let mut texts = Vec::new();
            for (j, key) in v.texts.iter().enumerate() {
                match raw.texts.get(key) {
                    Some(t) => texts.push(t.clone()),
                    None => errs.push(
                        src.error(
                            path!["packages", package, "vendored", i, "texts", j],
                            format!("no text `{key}` in [texts]"),
                        )
                        .help(RECORD_HELP),
                    ),
                }
            }
            deps.push(Vendored {
                dir: v.dir.clone(),
                name: v.name.clone(),
                version: v.version.clone(),
                license: v.license.clone(),
                copyright: v.copyright.clone(),
                texts,
            });
        }
        out.insert(
            package.clone(),
            VendoredSet {
                version: set.version.clone(),
                deps,
            },
        );
    }
    errs.into_result()?;
    Ok(out)
}

/// Why `dir` cannot be a `Files:` pattern of a vendored directory, if it cannot.
fn bad_dir(dir: &str) -> Option<&'static str> {
    if !dir.starts_with("vendor/") || dir.len() == "vendor/".len() {
        return Some("is not below `vendor/`");
    }
    if dir
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Some("is not a plain relative path");
    }
    if dir
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '*' | '?' | '\\' | ','))
    {
        return Some("has a character a DEP-5 `Files:` pattern cannot hold");
    }
    None
}

/// Why `license` cannot be an SPDX expression in the record, if it cannot.
fn bad_license(license: &str) -> Option<&'static str> {
    if license.trim().is_empty() {
        return Some("is empty");
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '(' | ')' | ' ');
    if !license.chars().all(ok) {
        return Some("is not an SPDX expression");
    }
    None
}

/// Whether the record can hold `license` as an SPDX expression.
pub fn is_license(license: &str) -> bool {
    bad_license(license).is_none()
}

/// The record's text for `packages`: sorted, texts kept once, ending in a newline.
pub fn to_toml(packages: &BTreeMap<String, VendoredSet>) -> String {
    let mut raw = RawRecord::default();
    for (name, set) in packages {
        let mut deps: Vec<&Vendored> = set.deps.iter().collect();
        deps.sort_by(|a, b| a.dir.cmp(&b.dir));
        let vendored = deps
            .into_iter()
            .map(|v| RawVendored {
                dir: v.dir.clone(),
                name: v.name.clone(),
                version: v.version.clone(),
                license: v.license.clone(),
                copyright: v.copyright.clone(),
                texts: v
                    .texts
                    .iter()
                    .map(|t| {
                        let key = text_key(t);
                        raw.texts.insert(key.clone(), t.clone());
                        key
                    })
                    .collect(),
            })
            .collect();
        raw.packages.insert(
            name.clone(),
            RawSet {
                version: set.version.clone(),
                vendored,
            },
        );
    }
    let body = toml::to_string(&raw).unwrap_or_default();
    format!(
        "# Written by `pkgforge sources` from the vendored dependencies; commit it.\n# `render` writes the vendored part of debian/copyright from it.\n\n{body}"
    )
}

/// The key a text is kept under: the first 16 hex digits of its SHA-256.
fn text_key(text: &str) -> String {
    crate::digest::sha256_hex(text.as_bytes())[..16].to_string()
}

/// Give each package of `model` its record entry.
pub(crate) fn attach(model: &mut Model) -> Result<()> {
    let record = read(&model.dir)?;
    for p in &mut model.packages {
        p.vendored = record.get(&p.name).cloned();
    }
    Ok(())
}

/// The vendored dependencies `render` writes for `package`: the record's, when it was
/// made for the package's version.
pub fn current(package: &Package) -> &[Vendored] {
    match &package.vendored {
        Some(set) if set.version == package.version.raw => &set.deps,
        _ => &[],
    }
}

/// What the record says that the manifest does not use: packages it lacks, versions
/// other than the manifest's.
pub fn warnings(model: &Model) -> Vec<String> {
    let Ok(record) = read(&model.dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, set) in &record {
        match model.packages.iter().find(|p| &p.name == name) {
            None => out.push(format!(
                "warning: {VENDOR_LICENSES}: the manifest has no package `{name}`; its entry is not used"
            )),
            Some(p) if p.version.raw != set.version => out.push(format!(
                "warning: {VENDOR_LICENSES}: package `{name}` is recorded at version {}, the manifest has {}: run `pkgforge sources --package {name}` to update it",
                set.version, p.version.raw
            )),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(dir: &str, text: &str) -> Vendored {
        Vendored {
            dir: dir.to_string(),
            name: dir.trim_start_matches("vendor/").to_string(),
            version: "1.0.0".to_string(),
            license: "MIT".to_string(),
            copyright: vec!["2020 Someone".to_string()],
            texts: vec![text.to_string()],
        }
    }

    #[test]
    fn the_record_round_trips_sorted_with_texts_kept_once() {
        let text = "Permission is hereby granted, \"free\"\nof charge.\n";
        let mut packages = BTreeMap::new();
        packages.insert(
            "demo".to_string(),
            VendoredSet {
                version: "1.0".to_string(),
                deps: vec![dep("vendor/b", text), dep("vendor/a", text)],
            },
        );
        let toml = to_toml(&packages);
        assert_eq!(toml.matches(&text_key(text)).count(), 3, "{toml}");
        let back = parse(Path::new("r.toml"), toml.clone()).unwrap();
        let deps = &back["demo"].deps;
        assert_eq!(deps[0].dir, "vendor/a");
        assert_eq!(deps[1].texts, vec![text.to_string()]);
        assert_eq!(to_toml(&back), toml);
    }

    #[test]
    fn directories_must_be_plain_paths_below_vendor() {
        assert!(bad_dir("vendor/github.com/x/y").is_none());
        assert!(bad_dir("src/x").is_some());
        assert!(bad_dir("vendor/../etc").is_some());
        assert!(bad_dir("vendor/a b").is_some());
        assert!(bad_dir("vendor/").is_some());
        assert!(bad_license("MIT OR Apache-2.0").is_none());
        assert!(bad_license("MIT\nX").is_some());
    }
}
