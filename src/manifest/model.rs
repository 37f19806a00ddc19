//! The resolved model: what renderers read. Built once by `load`, never changed after.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::changelog::Entry;
use crate::distro::Distro;
use crate::version::Version;

#[derive(Debug, Clone)]
pub struct Model {
    /// The manifest's directory: every output path is relative to it.
    pub dir: PathBuf,
    pub project: Project,
    pub upstreams: Vec<Upstream>,
    pub packages: Vec<Package>,
    pub rootfs: Vec<Rootfs>,
    pub archive: Vec<Archived>,
    /// Every distro the manifest can name: built-in ones plus `[distros]`.
    pub distros: Vec<Distro>,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub maintainer: String,
    pub homepage: Option<String>,
    pub license: String,
    pub obs_project: String,
    pub archive_project: String,
    pub keep_archived: u32,
    /// The targets, in the manifest's order.
    pub targets: Vec<Distro>,
    pub archs: Vec<String>,
    pub github_api: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Upstream {
    pub name: String,
    pub source: Source,
    pub github: Option<String>,
    pub tag_prefix: String,
    pub tag_pattern: Option<String>,
    pub version: Version,
    pub track: Option<semver::VersionReq>,
    pub prereleases: bool,
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Source {
    Git {
        url: String,
        commit: String,
    },
    Tarball {
        /// The URL with `{version}` replaced by the current version.
        url: String,
        /// The URL pattern as written, with `{version}`.
        pattern: String,
        sha256: String,
        /// Where watch finds tags, when given.
        git: Option<String>,
    },
}

impl Upstream {
    /// The tag this version was released as.
    pub fn tag(&self) -> String {
        format!("{}{}", self.tag_prefix, self.version.raw)
    }
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub upstream: String,
    pub version: Version,
    /// Packaging revision: the number of changelog entries for the current version.
    pub revision: u32,
    pub summary: String,
    pub description: String,
    pub license: String,
    pub url: Option<String>,
    pub group: Option<String>,
    pub section: String,
    /// rpm arch names, or `["noarch"]`.
    pub archs: Vec<String>,
    pub toolchain: Option<String>,
    pub vendor: Option<Vendor>,
    /// Per target id: what the package needs there, names already resolved.
    pub targets: BTreeMap<String, TargetDeps>,
    pub files: Vec<String>,
    pub config_files: Vec<String>,
    pub patches: Vec<Patch>,
    pub subpackages: Vec<Subpackage>,
    /// The changelog entries that cover this package, newest first.
    pub changelog: Vec<Entry>,
}

impl Package {
    pub fn is_noarch(&self) -> bool {
        self.archs.iter().any(|a| a == "noarch")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Go,
    Cargo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDeps {
    pub build_requires: Vec<String>,
    pub requires: Vec<String>,
    pub build: String,
    pub install: String,
}

#[derive(Debug, Clone)]
pub struct Patch {
    /// The file name the patch has in the OBS package.
    pub name: String,
    /// Where it was read from, relative to the manifest.
    pub path: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Subpackage {
    /// `<package>-<suffix>`.
    pub name: String,
    pub suffix: String,
    pub summary: String,
    pub description: String,
    pub group: Option<String>,
    pub section: String,
    pub archs: Option<Vec<String>>,
    /// Per target id, names resolved.
    pub requires: BTreeMap<String, Vec<String>>,
    pub files: Vec<String>,
    pub config_files: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Rootfs {
    pub name: String,
    pub summary: String,
    pub description: String,
    pub upstream: Option<String>,
    pub version: Version,
    pub bases: Vec<Distro>,
    pub packages: Vec<String>,
    pub image_type: String,
    pub default_base: Option<String>,
    pub archs: Vec<String>,
}

impl Rootfs {
    /// The base a target's packages get: the one named by `default-base`, else the base of
    /// the target's family, else the first base.
    pub fn base_for(&self, target: &Distro) -> &Distro {
        if let Some(id) = &self.default_base {
            if let Some(b) = self.bases.iter().find(|b| &b.id == id) {
                return b;
            }
        }
        self.bases
            .iter()
            .find(|b| b.id == target.id)
            .or_else(|| self.bases.iter().find(|b| b.family == target.family))
            .unwrap_or(&self.bases[0])
    }

    /// The OBS package (and image package) name of the image on one base.
    pub fn package_name(&self, base: &Distro) -> String {
        format!("{}-{}", self.name, base.id)
    }
}

#[derive(Debug, Clone)]
pub struct Archived {
    pub upstream: String,
    pub series: String,
    pub version: Version,
    pub commit: String,
    pub archived: String,
}

impl Model {
    pub fn upstream(&self, name: &str) -> Option<&Upstream> {
        self.upstreams.iter().find(|u| u.name == name)
    }

    pub fn distro(&self, id: &str) -> Option<&Distro> {
        self.distros.iter().find(|d| d.id == id)
    }

    /// The project's rpm targets, in manifest order.
    pub fn rpm_targets(&self) -> impl Iterator<Item = &Distro> {
        self.project
            .targets
            .iter()
            .filter(|d| d.format() == crate::distro::Format::Rpm)
    }

    /// The project's deb targets, in manifest order.
    pub fn deb_targets(&self) -> impl Iterator<Item = &Distro> {
        self.project
            .targets
            .iter()
            .filter(|d| d.format() == crate::distro::Format::Deb)
    }
}
