//! The manifest exactly as written: serde structs with no meaning attached yet.

use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Manifest {
    pub project: Project,
    #[serde(default)]
    pub upstreams: IndexMap<String, Upstream>,
    #[serde(default)]
    pub toolchains: IndexMap<String, String>,
    #[serde(default)]
    pub names: IndexMap<String, IndexMap<String, OneOrMany>>,
    #[serde(default)]
    pub distros: IndexMap<String, DistroOverride>,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub rootfs: Vec<Rootfs>,
    #[serde(default)]
    pub archive: Vec<Archive>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Project {
    pub name: String,
    pub maintainer: String,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    pub obs_project: String,
    #[serde(default)]
    pub archive_project: Option<String>,
    #[serde(default)]
    pub keep_archived: Option<u32>,
    pub targets: Vec<String>,
    #[serde(default)]
    pub archs: Option<Vec<String>>,
    #[serde(default)]
    pub github_api: Option<String>,
    /// `manual` (the default) or `server`: where the source services run.
    #[serde(default)]
    pub services: Option<String>,
    /// OBS user ids, and `group:<id>` for groups, that maintain the OBS project.
    #[serde(default)]
    pub obs_maintainers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Upstream {
    #[serde(default)]
    pub git: Option<String>,
    #[serde(default)]
    pub github: Option<String>,
    #[serde(default)]
    pub tarball: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub tag_prefix: Option<String>,
    #[serde(default)]
    pub tag_pattern: Option<String>,
    pub version: String,
    #[serde(default)]
    pub epoch: Option<u32>,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub track: Option<String>,
    #[serde(default)]
    pub prereleases: Option<bool>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// An armored OpenPGP keyring beside the manifest: releases must be signed by its keys.
    #[serde(default)]
    pub keyring: Option<String>,
    /// Where a tarball's signature is: a URL with `{url}` and `{version}`.
    #[serde(default)]
    pub signature: Option<String>,
    /// What the signature covers: the tarball as downloaded, or its uncompressed tar.
    #[serde(default)]
    pub signed: Option<super::model::Signed>,
    /// A git upstream's release tags must be annotated tags signed by a keyring key.
    #[serde(default)]
    pub signed_tags: Option<bool>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct DistroOverride {
    #[serde(default)]
    pub family: Option<crate::distro::Family>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub codename: Option<String>,
    #[serde(default)]
    pub obs_repository: Option<String>,
    #[serde(default)]
    pub obs_paths: Option<Vec<String>>,
    #[serde(default)]
    pub macros: Option<IndexMap<String, String>>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub package_manager: Option<String>,
    #[serde(default)]
    pub archs: Option<Vec<String>>,
    #[serde(default)]
    pub toolchains: Option<IndexMap<String, OneOrMany>>,
    /// Replaces the repositories `resolve` checks against.
    #[serde(default)]
    pub repositories: Option<Vec<Repository>>,
    /// Adds to them: a repository, or the name of an optional one (`bookworm-backports`).
    #[serde(default)]
    pub add_repositories: Option<Vec<RepositoryOrName>>,
    /// Replaces the optional repositories `resolve` suggests from.
    #[serde(default)]
    pub optional_repositories: Option<Vec<Repository>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Repository {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub suite: Option<String>,
    #[serde(default)]
    pub components: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum RepositoryOrName {
    Name(String),
    Repository(Repository),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Package {
    pub name: String,
    pub upstream: String,
    pub summary: String,
    pub description: String,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub archs: Option<Vec<String>>,
    #[serde(default)]
    pub toolchain: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    /// The Cargo.toml to vendor for, relative to the top of the sources.
    #[serde(default)]
    pub cargo_toml: Option<String>,
    #[serde(default)]
    pub build_requires: Vec<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub build: Option<String>,
    #[serde(default)]
    pub install: Option<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub config_files: Vec<String>,
    #[serde(default)]
    pub patches: Vec<String>,
    /// Files of the source tree that hold its licence texts.
    #[serde(default)]
    pub license_files: Vec<String>,
    /// Names of the package's systemd units that have no `[Install]` section.
    #[serde(default)]
    pub static_units: Vec<String>,
    /// Whether rpm makes a debug package; by default when the package is arch-dependent
    /// and its `build` is not empty.
    #[serde(default)]
    pub debug_package: Option<bool>,
    /// The smoke test `pkgforge build` runs after installing the built packages.
    #[serde(default)]
    pub test: Option<String>,
    #[serde(default)]
    pub distro: IndexMap<String, PackageOverride>,
    #[serde(default)]
    pub subpackages: Vec<Subpackage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct PackageOverride {
    #[serde(default)]
    pub build_requires: Option<Vec<String>>,
    #[serde(default)]
    pub requires: Option<Vec<String>>,
    #[serde(default)]
    pub build: Option<String>,
    #[serde(default)]
    pub install: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Subpackage {
    pub suffix: String,
    pub summary: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub archs: Option<Vec<String>>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub config_files: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Rootfs {
    pub name: String,
    pub summary: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub upstream: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    pub bases: Vec<String>,
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default)]
    pub image_type: Option<String>,
    /// How the image package installs the image: `archive` or `disk`.
    #[serde(default)]
    pub install_as: Option<String>,
    #[serde(default)]
    pub default_base: Option<String>,
    #[serde(default)]
    pub archs: Option<Vec<String>>,
    /// arch -> packages installed only on that arch.
    #[serde(default)]
    pub arch_packages: IndexMap<String, Vec<String>>,
    /// Packages removed from the finished image (kiwi `type="delete"`).
    #[serde(default)]
    pub delete: Vec<String>,
    /// The body of kiwi's `config.sh`.
    #[serde(default)]
    pub config_sh: Option<String>,
    #[serde(default)]
    pub agent: Option<RootfsAgent>,
    #[serde(default)]
    pub users: Vec<RootfsUser>,
    #[serde(default)]
    pub repositories: Vec<RootfsRepository>,
    #[serde(default)]
    pub profiles: Vec<RootfsProfile>,
    /// Per base (distro id, family, group or format): overrides, most specific key wins.
    #[serde(default)]
    pub distro: IndexMap<String, RootfsOverride>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RootfsOverride {
    #[serde(default)]
    pub packages: Option<Vec<String>>,
    #[serde(default)]
    pub arch_packages: Option<IndexMap<String, Vec<String>>>,
    #[serde(default)]
    pub bootstrap_packages: Option<Vec<String>>,
    #[serde(default)]
    pub delete: Option<Vec<String>>,
    #[serde(default)]
    pub config_sh: Option<String>,
    #[serde(default)]
    pub build_can_fail: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RootfsAgent {
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub init: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RootfsUser {
    pub name: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub home: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub shell: Option<String>,
    #[serde(default)]
    pub id: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RootfsRepository {
    pub source: String,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub bases: Option<Vec<String>>,
    #[serde(default)]
    pub distribution: Option<String>,
    #[serde(default)]
    pub components: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RootfsProfile {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default)]
    pub arch_packages: IndexMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Archive {
    pub upstream: String,
    pub series: String,
    pub version: String,
    /// The pin of a git upstream's release.
    #[serde(default)]
    pub commit: Option<String>,
    /// The pin of a tarball upstream's release.
    #[serde(default)]
    pub sha256: Option<String>,
    pub archived: String,
}

/// `changelog.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Changelog {
    #[serde(default)]
    pub entry: Vec<ChangelogEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ChangelogEntry {
    #[serde(default)]
    pub upstream: Option<String>,
    #[serde(default)]
    pub packages: Option<Vec<String>>,
    pub version: String,
    pub date: String,
    pub author: String,
    pub changes: Vec<String>,
}
