//! The resolved model: what renderers read. Built once by `load`, never changed after.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::changelog::ChangelogEntry;
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
    /// Where the source services run.
    pub services: Services,
    /// Who maintains the OBS project.
    pub obs_maintainers: Vec<ObsRole>,
}

/// Where the `_service` of a package runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Services {
    /// Every service `mode="manual"`: the archives are made locally and uploaded.
    Manual,
    /// OBS runs the services on the server.
    Server,
}

/// A maintainer role of the OBS project: a user or a group id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObsRole {
    /// `person` or `group`.
    pub kind: &'static str,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct Upstream {
    pub name: String,
    pub source: UpstreamSource,
    pub github: Option<String>,
    pub tag_prefix: String,
    pub tag_pattern: Option<String>,
    pub version: Version,
    pub track: Option<semver::VersionReq>,
    pub prereleases: bool,
    pub ignore: Vec<String>,
    /// The keyring its releases must verify with, when it has one.
    pub signing: Option<Signing>,
}

/// How an upstream's releases are verified: `keyring`, `signature`, `signed`, `signed-tags`.
#[derive(Debug, Clone)]
pub struct Signing {
    /// The keyring file, relative to the manifest's directory, as written.
    pub keyring_path: String,
    /// Its bytes as committed: copied into the OBS and Debian packages.
    pub keyring: Vec<u8>,
    pub keys: crate::openpgp::Keyring,
    /// A tarball upstream's signature URL pattern, `{url}` and `{version}` as written.
    pub signature: Option<String>,
    pub signed: Signed,
    /// A git upstream's release tag must be an annotated tag signed by a keyring key.
    pub signed_tags: bool,
}

/// What a tarball's signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signed {
    /// The file as downloaded (`.tar.xz.asc`).
    Tarball,
    /// The tar inside the compressed file, as the kernel signs `.tar` with `.tar.sign`.
    Uncompressed,
}

#[derive(Debug, Clone)]
pub enum UpstreamSource {
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
    /// The version a tag stands for, through `tag-pattern` or `tag-prefix`.
    pub(crate) fn version_of_tag(&self, tag: &str) -> Option<String> {
        match &self.tag_pattern {
            Some(p) => {
                let re = regex::Regex::new(p).ok()?;
                re.captures(tag)?
                    .name("version")
                    .map(|m| m.as_str().to_string())
            }
            None => tag
                .strip_prefix(self.tag_prefix.as_str())
                .map(str::to_string),
        }
    }

    /// The tarball URL of `version`, for a tarball upstream.
    pub(crate) fn tarball_url(&self, version: &str) -> Option<String> {
        match &self.source {
            UpstreamSource::Tarball { pattern, .. } => Some(pattern.replace("{version}", version)),
            UpstreamSource::Git { .. } => None,
        }
    }

    /// The signature URL of `version`, for a tarball upstream with `signature`.
    pub(crate) fn signature_url(&self, version: &str) -> Option<String> {
        let pattern = self.signing.as_ref()?.signature.as_ref()?;
        let tarball = self.tarball_url(version)?;
        Some(
            pattern
                .replace("{url}", &tarball)
                .replace("{version}", version),
        )
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
    /// The Cargo.toml `cargo_vendor` vendors for when it is not at the top of the sources.
    pub cargo_toml: Option<String>,
    /// Per target id: what the package needs there, names already resolved.
    pub targets: BTreeMap<String, TargetDeps>,
    pub files: Vec<String>,
    pub config_files: Vec<String>,
    pub patches: Vec<Patch>,
    /// Files of the source tree, relative to its top, that hold its licence texts.
    pub license_files: Vec<String>,
    /// Names of the systemd units among the files of the package and its subpackages
    /// that have no `[Install]` section: never enabled, not started on install.
    pub static_units: Vec<String>,
    /// Whether the rpm build makes a debug package (and Debian a `-dbgsym` one).
    pub debug_package: bool,
    /// The smoke test: a shell command `pkgforge build` runs where the built packages are
    /// installed (`hello --version`).
    pub test: Option<String>,
    pub subpackages: Vec<Subpackage>,
    /// The changelog entries that cover this package, newest first.
    pub changelog: Vec<ChangelogEntry>,
    /// Its vendored dependencies' licences, from `vendor-licenses.toml`.
    pub vendored: Option<super::vendored::VendoredSet>,
}

impl Package {
    /// The systemd units the package and its subpackages ship, in order.
    pub fn all_systemd_units(&self) -> Vec<String> {
        let files: Vec<String> = self
            .files
            .iter()
            .chain(self.subpackages.iter().flat_map(|s| &s.files))
            .cloned()
            .collect();
        systemd_units(&files)
    }
}

/// The systemd unit directories: Debian 12's debhelper looks only in the first.
const UNIT_DIRS: &[&str] = &["/lib/systemd/system/", "/usr/lib/systemd/system/"];
const UNIT_TYPES: &[&str] = &[
    "service",
    "socket",
    "timer",
    "path",
    "target",
    "mount",
    "automount",
    "swap",
    "slice",
];

/// The names of the systemd units among `files` (`tool.service` for
/// `/usr/lib/systemd/system/tool.service`), in order.
pub fn systemd_units(files: &[String]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            let name = UNIT_DIRS.iter().find_map(|d| f.strip_prefix(d))?;
            let (_, ext) = name.rsplit_once('.')?;
            (!name.contains('/') && UNIT_TYPES.contains(&ext)).then(|| name.to_string())
        })
        .collect()
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
    /// What the image package installs.
    pub install_as: InstallAs,
    /// Per target id: what the image package's build needs there (names resolved);
    /// empty for an archive, whose build only copies it.
    pub build_requires: BTreeMap<String, Vec<String>>,
    pub default_base: Option<String>,
    pub archs: Vec<String>,
    /// One per base, in the order of `bases`: what the kiwi description on that base holds.
    pub images: Vec<Image>,
    pub agent: Option<Agent>,
    pub users: Vec<User>,
    /// kiwi profiles, one `_multibuild` flavor each.
    pub profiles: Vec<Profile>,
    /// The changelog entries that cover the rootfs (by name or by its upstream), newest
    /// first: the history of its image packages.
    pub changelog: Vec<ChangelogEntry>,
}

/// What the image package of a rootfs installs (`install-as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallAs {
    /// The compressed tar archive kiwi made.
    Archive,
    /// A raw disk image its build makes from the archive: an MBR partition table and
    /// one ext4 partition holding the root tree, for a virtual machine to boot.
    Disk,
}

/// The image of a rootfs on one base, names resolved for that base.
#[derive(Debug, Clone)]
pub struct Image {
    /// The base's distro id.
    pub base: String,
    pub bootstrap: Vec<String>,
    pub packages: Vec<String>,
    pub arch_packages: Vec<ArchPackage>,
    pub delete: Vec<String>,
    pub repositories: Vec<ImageRepository>,
    /// The body of `config.sh`, as the manifest gives it.
    pub config_sh: Option<String>,
    /// A failed build of this image is expected: no target defaults to it.
    pub build_can_fail: bool,
    /// Per profile, in the order of `Rootfs::profiles`: the packages it adds.
    pub profiles: Vec<ProfilePackages>,
}

/// A package installed only on some architectures (rpm names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchPackage {
    pub name: String,
    pub archs: Vec<String>,
}

/// An extra repository of one image, placeholders already replaced.
#[derive(Debug, Clone)]
pub struct ImageRepository {
    pub source: String,
    pub alias: Option<String>,
    pub priority: Option<i32>,
    pub distribution: Option<String>,
    pub components: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub source: AgentSource,
    /// Where the agent binary is in the image.
    pub path: String,
    /// The agent is the guest's init (`/sbin/init`) instead of a systemd service.
    pub init: bool,
}

#[derive(Debug, Clone)]
pub enum AgentSource {
    /// Installed as this package (already in each image's `packages`).
    Package(String),
    /// A file beside the manifest, shipped in the OBS package and copied into the image.
    File {
        /// The file's name in the OBS package.
        name: String,
        /// Where it was read from, relative to the manifest.
        path: String,
        content: Vec<u8>,
    },
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    /// An encrypted password; `!` locks the account.
    pub password: String,
    pub home: Option<String>,
    pub groups: Vec<String>,
    pub shell: Option<String>,
    pub id: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct ProfilePackages {
    pub packages: Vec<String>,
    pub arch_packages: Vec<ArchPackage>,
}

/// Why a target gets the image of a base: the rule of `Rootfs::base_choice` that applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseRule {
    /// The manifest's `default-base`.
    DefaultBase,
    /// The base is the target itself.
    SameDistro,
    /// The first base of the target's family.
    SameFamily,
    /// No base of the target's family: the first of its group (CentOS and Fedora, SLE
    /// and openSUSE, Ubuntu and Debian).
    SameGroup,
    /// No base of the target's group: the first base of the target's package format.
    FirstBase,
}

impl BaseRule {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BaseRule::DefaultBase => "default-base",
            BaseRule::SameDistro => "same distro",
            BaseRule::SameFamily => "same family",
            BaseRule::SameGroup => "same group",
            BaseRule::FirstBase => "first base",
        }
    }
}

/// Whether two distros are of one group for the default base: `suse`, `rhel`, or Debian
/// and Ubuntu.
fn same_group(a: &Distro, b: &Distro) -> bool {
    match (a.family.group(), b.family.group()) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.format() == b.format(),
        _ => false,
    }
}

impl Rootfs {
    /// The base a target's packages get: the one named by `default-base`, else the target
    /// itself, else the first base of the target's family, then of its group, then of its
    /// package format. Bases whose build may fail are skipped. Loading refuses a rootfs
    /// that a target would get from another format without `default-base`.
    pub(crate) fn base_for(&self, target: &Distro) -> &Distro {
        self.base_choice(target).0
    }

    /// `base_for` with the rule that chose the base.
    pub(crate) fn base_choice(&self, target: &Distro) -> (&Distro, BaseRule) {
        if let Some(id) = &self.default_base {
            if let Some(b) = self.bases.iter().find(|b| &b.id == id) {
                return (b, BaseRule::DefaultBase);
            }
        }
        let can_fail = |b: &Distro| self.image(&b.id).is_some_and(|i| i.build_can_fail);
        let mut usable = self.bases.iter().filter(|b| !can_fail(b));
        if let Some(b) = usable.clone().find(|b| b.id == target.id) {
            return (b, BaseRule::SameDistro);
        }
        if let Some(b) = usable.clone().find(|b| b.family == target.family) {
            return (b, BaseRule::SameFamily);
        }
        if let Some(b) = usable.clone().find(|b| same_group(b, target)) {
            return (b, BaseRule::SameGroup);
        }
        if let Some(b) = usable.clone().find(|b| b.format() == target.format()) {
            return (b, BaseRule::FirstBase);
        }
        // Loading refuses a rootfs whose every base may fail, and one a target would
        // get from another package format.
        (usable.next().unwrap_or(&self.bases[0]), BaseRule::FirstBase)
    }

    /// The image on one base.
    pub(crate) fn image(&self, base: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.base == base)
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
    /// The pin: a commit for git upstreams, a sha256 for tarball upstreams.
    pub pin: Pin,
    pub archived: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    Commit(String),
    Sha256(String),
}

impl Model {
    pub fn upstream(&self, name: &str) -> Option<&Upstream> {
        self.upstreams.iter().find(|u| u.name == name)
    }

    /// The upstream of a package: validation refuses a package whose upstream does not
    /// exist, so this fails only on a model not built by `load`.
    pub(crate) fn upstream_of(&self, package: &Package) -> crate::error::Result<&Upstream> {
        self.upstream(&package.upstream).ok_or_else(|| {
            crate::error::Error::Other(anyhow::anyhow!(
                "package `{}` names upstream `{}`, which the model does not have",
                package.name,
                package.upstream
            ))
        })
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
