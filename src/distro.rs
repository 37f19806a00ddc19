//! The built-in table of distros pkgforge knows, and the facts renderers need about each.

use std::collections::BTreeMap;
use std::fmt;

/// The distribution a target belongs to. Families group into formats (rpm, deb)
/// and, for rpm, into the lookup groups `suse` and `rhel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Opensuse,
    Sle,
    Fedora,
    Centos,
    Debian,
    Ubuntu,
}

/// The package format a family builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Rpm,
    Deb,
}

impl Format {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::Rpm => "rpm",
            Format::Deb => "deb",
        }
    }
}

impl Family {
    pub(crate) const ALL: [Family; 6] = [
        Family::Opensuse,
        Family::Sle,
        Family::Fedora,
        Family::Centos,
        Family::Debian,
        Family::Ubuntu,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Family::Opensuse => "opensuse",
            Family::Sle => "sle",
            Family::Fedora => "fedora",
            Family::Centos => "centos",
            Family::Debian => "debian",
            Family::Ubuntu => "ubuntu",
        }
    }

    pub(crate) fn format(self) -> Format {
        match self {
            Family::Debian | Family::Ubuntu => Format::Deb,
            _ => Format::Rpm,
        }
    }

    /// The lookup group between family and format: `suse` or `rhel`.
    pub fn group(self) -> Option<&'static str> {
        match self {
            Family::Opensuse | Family::Sle => Some("suse"),
            Family::Fedora | Family::Centos => Some("rhel"),
            Family::Debian | Family::Ubuntu => None,
        }
    }

    /// An rpm `%if` expression that is true on every distro of this family.
    pub(crate) fn rpm_condition(self) -> &'static str {
        match self {
            Family::Opensuse => "0%{?is_opensuse}",
            Family::Sle => "0%{?suse_version} && !0%{?is_opensuse}",
            Family::Fedora => "0%{?fedora}",
            Family::Centos => "0%{?rhel}",
            Family::Debian | Family::Ubuntu => "0",
        }
    }
}

/// An rpm `%if` expression true on every distro of a lookup group.
pub(crate) fn group_rpm_condition(group: &str) -> Option<&'static str> {
    match group {
        "suse" => Some("0%{?suse_version}"),
        "rhel" => Some("0%{?fedora} || 0%{?rhel}"),
        _ => None,
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One distro release that packages build for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distro {
    pub id: String,
    pub family: Family,
    /// Human name, e.g. "openSUSE Leap 15.6".
    pub name: String,
    /// Debian/Ubuntu code name, used as the changelog distribution.
    pub codename: Option<String>,
    /// The repository name in the OBS project meta (`openSUSE_Tumbleweed`).
    pub obs_repository: String,
    /// The OBS `project/repository` paths that repository builds against.
    pub obs_paths: Vec<String>,
    /// The rpm macros that identify this distro (empty for deb distros).
    pub macros: BTreeMap<String, String>,
    /// An rpm `%if` expression that is true on this distro and no other built-in one.
    pub condition: String,
    /// Package manager as kiwi names it: zypper, dnf4, dnf5 or apt.
    pub package_manager: String,
    /// What a kiwi image root needs before its own packages (kiwi adds the package
    /// manager itself; for apt it also adds the `?essential` set).
    pub bootstrap: Vec<String>,
    /// The architectures this distro builds, by their rpm names.
    pub archs: Vec<String>,
    /// Build requirements per toolchain; `{version}` becomes the manifest's minimum.
    pub toolchains: BTreeMap<String, Vec<String>>,
    /// The repositories a target's packages come from, which `resolve` checks against.
    pub repositories: Vec<Repository>,
    /// Repositories known but not used (backports): `resolve` looks there only to
    /// suggest one when a requirement cannot be met.
    pub optional_repositories: Vec<Repository>,
    /// The newest version of each toolchain the distro offers, and where: the
    /// repositories in use (release and updates), or an optional repository that a
    /// toolchain minimum switches on. Empty when nothing is known (a manifest's own
    /// distro, or toolchain packages the manifest replaced).
    pub toolchain_versions: BTreeMap<String, Vec<ToolchainOffer>>,
}

/// One toolchain version a distro offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolchainOffer {
    pub version: String,
    /// The optional repository it comes from (`bookworm-backports`); `None` for the
    /// repositories the distro builds against already.
    pub repository: Option<String>,
}

/// One package repository: a Debian archive suite, or an rpm-md repository.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Repository {
    /// How reports name it: the suite (`bookworm-backports`) or a short name (`updates`).
    pub name: String,
    /// Debian: the archive root (the directory holding `dists/`). rpm-md: the directory
    /// holding `repodata/`; `{arch}` becomes the architecture.
    pub url: String,
    /// Debian only: the suite under `dists/`.
    pub suite: Option<String>,
    /// Debian only: the components to read.
    pub components: Vec<String>,
    /// The OBS `project/repository` path that provides it to builds, when there is one.
    #[serde(skip)]
    pub obs_path: Option<String>,
}

impl Repository {
    pub(crate) fn deb(name: &str, url: &str, components: &[&str]) -> Repository {
        Repository {
            name: name.to_string(),
            url: url.to_string(),
            suite: Some(name.to_string()),
            components: components.iter().map(|c| c.to_string()).collect(),
            obs_path: None,
        }
    }

    pub(crate) fn rpm_md(name: &str, url: &str) -> Repository {
        Repository {
            name: name.to_string(),
            url: url.to_string(),
            suite: None,
            components: Vec::new(),
            obs_path: None,
        }
    }
}

impl Distro {
    pub(crate) fn format(&self) -> Format {
        self.family.format()
    }

    /// Build against `repository` too: `resolve` reads it, and the project meta lists its
    /// OBS path first, so that its newer packages win.
    pub(crate) fn use_repository(&mut self, repository: Repository) {
        if let Some(p) = &repository.obs_path {
            if !self.obs_paths.contains(p) {
                self.obs_paths.insert(0, p.clone());
            }
        }
        if !self.repositories.iter().any(|r| r.name == repository.name) {
            self.repositories.push(repository);
        }
    }

    /// The distro's own name of an architecture given by its rpm name.
    pub(crate) fn arch_name(&self, arch: &str) -> String {
        arch_name(self.format(), arch)
    }
}

/// Map an rpm architecture name to the name the format uses.
pub(crate) fn arch_name(format: Format, arch: &str) -> String {
    match format {
        Format::Rpm => arch.to_string(),
        Format::Deb => match arch {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "ppc64le" => "ppc64el",
            "noarch" => "all",
            "i586" | "i686" => "i386",
            "armv7hl" => "armhf",
            other => other,
        }
        .to_string(),
    }
}

/// Architectures the manifest may name, by their rpm names.
pub(crate) const KNOWN_ARCHS: &[&str] = &[
    "x86_64", "aarch64", "ppc64le", "s390x", "i586", "i686", "armv7hl", "riscv64", "noarch",
];

const FOUR: &[&str] = &["x86_64", "aarch64", "ppc64le", "s390x"];

struct Row {
    id: &'static str,
    family: Family,
    name: &'static str,
    codename: Option<&'static str>,
    repo: &'static str,
    paths: &'static [&'static str],
    macros: &'static [(&'static str, &'static str)],
    condition: &'static str,
    pm: &'static str,
    bootstrap: &'static [&'static str],
    go: &'static [&'static str],
    rust: &'static [&'static str],
    /// Newest Go and Rust: (version or [`EACH_RELEASE`], optional repository that has
    /// it); none known when empty. docs/manifest.md "Toolchain versions" says where each
    /// comes from.
    go_versions: &'static [(&'static str, Option<&'static str>)],
    rust_versions: &'static [(&'static str, Option<&'static str>)],
}

/// A toolchain version meaning: each upstream release, shipped as it comes out.
pub(crate) const EACH_RELEASE: &str = "*";

const SUSE_GO: &[&str] = &["golang(API) >= {version}"];
const SUSE_RUST: &[&str] = &["cargo >= {version}", "rust >= {version}"];
const RHEL_GO: &[&str] = &["golang >= {version}"];
const RHEL_RUST: &[&str] = &["cargo >= {version}", "rust >= {version}"];
// `~` so that noble's `2:1.22~2build1` satisfies it; golang-1.22-go serves bookworm-backports and jammy.
const DEB_GO: &[&str] = &["golang-go (>= 2:{version}~) | golang-{version}-go"];
// rustc-web serves bookworm, rustc-1.80 and the like serve jammy and noble.
const DEB_RUST: &[&str] = &[
    "cargo (>= {version}) | cargo-web (>= {version}) | cargo-{version}",
    "rustc (>= {version}) | rustc-web (>= {version}) | rustc-{version}",
];

// kiwi bootstrap sets, as kiwi's own build tests and the distros' image descriptions use them.
const TUMBLEWEED_BOOT: &[&str] = &[
    "filesystem",
    "glibc-locale-base",
    "ca-certificates",
    "ca-certificates-mozilla",
    "openSUSE-release",
    "openSUSE-release-appliance-custom",
];
const LEAP_BOOT: &[&str] = &[
    "filesystem",
    "glibc-locale-base",
    "ca-certificates",
    "ca-certificates-mozilla",
    "openSUSE-release",
];
const SLE_BOOT: &[&str] = &[
    "filesystem",
    "glibc-locale-base",
    "ca-certificates",
    "ca-certificates-mozilla",
    "sles-release",
];
const FEDORA_BOOT: &[&str] = &[
    "filesystem",
    "basesystem",
    "setup",
    "fedora-release",
    "ca-certificates",
    "glibc-minimal-langpack",
];
const CENTOS_BOOT: &[&str] = &[
    "filesystem",
    "basesystem",
    "setup",
    "centos-stream-release",
    "ca-certificates",
    "glibc-minimal-langpack",
];
// kiwi's apt bootstrap installs the `?essential` set and apt itself.
const DEB_BOOT: &[&str] = &["ca-certificates"];

const ROWS: &[Row] = &[
    Row {
        id: "opensuse-tumbleweed",
        family: Family::Opensuse,
        name: "openSUSE Tumbleweed",
        codename: None,
        repo: "openSUSE_Tumbleweed",
        paths: &["openSUSE:Factory/snapshot"],
        macros: &[("suse_version", "1699"), ("is_opensuse", "1")],
        condition: "0%{?suse_version} > 1600",
        pm: "zypper",
        bootstrap: TUMBLEWEED_BOOT,
        go: SUSE_GO,
        rust: SUSE_RUST,
        go_versions: &[(EACH_RELEASE, None)],
        rust_versions: &[(EACH_RELEASE, None)],
    },
    Row {
        id: "opensuse-leap-15.6",
        family: Family::Opensuse,
        name: "openSUSE Leap 15.6",
        codename: None,
        repo: "15.6",
        paths: &[
            "openSUSE:Leap:15.6:Update/standard",
            "openSUSE:Leap:15.6/standard",
        ],
        macros: &[
            ("suse_version", "1500"),
            ("sle_version", "150600"),
            ("is_opensuse", "1"),
        ],
        condition: "0%{?sle_version} == 150600 && 0%{?is_opensuse}",
        pm: "zypper",
        bootstrap: LEAP_BOOT,
        go: SUSE_GO,
        rust: SUSE_RUST,
        go_versions: &[(EACH_RELEASE, None)],
        rust_versions: &[(EACH_RELEASE, None)],
    },
    Row {
        id: "sle-15-sp6",
        family: Family::Sle,
        name: "SUSE Linux Enterprise 15 SP6",
        codename: None,
        repo: "SLE_15_SP6",
        paths: &[
            "SUSE:SLE-15-SP6:Update/standard",
            "SUSE:SLE-15-SP6:GA/standard",
        ],
        macros: &[("suse_version", "1500"), ("sle_version", "150600")],
        condition: "0%{?sle_version} == 150600 && !0%{?is_opensuse}",
        pm: "zypper",
        bootstrap: SLE_BOOT,
        go: SUSE_GO,
        rust: SUSE_RUST,
        go_versions: &[(EACH_RELEASE, None)],
        rust_versions: &[(EACH_RELEASE, None)],
    },
    Row {
        id: "fedora-41",
        family: Family::Fedora,
        name: "Fedora 41",
        codename: None,
        repo: "Fedora_41",
        paths: &["Fedora:41/update", "Fedora:41/standard"],
        macros: &[("fedora", "41")],
        condition: "0%{?fedora} == 41",
        pm: "dnf5",
        bootstrap: FEDORA_BOOT,
        go: RHEL_GO,
        rust: RHEL_RUST,
        go_versions: &[("1.23", None)],
        rust_versions: &[("1.91", None)],
    },
    Row {
        id: "fedora-42",
        family: Family::Fedora,
        name: "Fedora 42",
        codename: None,
        repo: "Fedora_42",
        paths: &["Fedora:42/update", "Fedora:42/standard"],
        macros: &[("fedora", "42")],
        condition: "0%{?fedora} == 42",
        pm: "dnf5",
        bootstrap: FEDORA_BOOT,
        go: RHEL_GO,
        rust: RHEL_RUST,
        go_versions: &[("1.24", None)],
        rust_versions: &[(EACH_RELEASE, None)],
    },
    Row {
        id: "centos-stream-9",
        family: Family::Centos,
        name: "CentOS Stream 9",
        codename: None,
        repo: "CentOS_Stream_9",
        paths: &["CentOS:Stream:9/standard"],
        macros: &[("rhel", "9"), ("centos", "9")],
        condition: "0%{?rhel} == 9",
        pm: "dnf4",
        bootstrap: CENTOS_BOOT,
        go: RHEL_GO,
        rust: RHEL_RUST,
        go_versions: &[("1.24", None)],
        rust_versions: &[("1.88", None)],
    },
    Row {
        id: "centos-stream-10",
        family: Family::Centos,
        name: "CentOS Stream 10",
        codename: None,
        repo: "CentOS_Stream_10",
        paths: &["CentOS:Stream:10/standard"],
        macros: &[("rhel", "10"), ("centos", "10")],
        condition: "0%{?rhel} == 10",
        pm: "dnf4",
        bootstrap: CENTOS_BOOT,
        go: RHEL_GO,
        rust: RHEL_RUST,
        go_versions: &[("1.24", None)],
        rust_versions: &[("1.88", None)],
    },
    Row {
        id: "debian-12",
        family: Family::Debian,
        name: "Debian 12",
        codename: Some("bookworm"),
        repo: "Debian_12",
        paths: &["Debian:12/standard"],
        macros: &[],
        condition: "0",
        pm: "apt",
        bootstrap: DEB_BOOT,
        go: DEB_GO,
        rust: DEB_RUST,
        go_versions: &[("1.19", None), ("1.24", Some("bookworm-backports"))],
        rust_versions: &[("1.96", None)],
    },
    Row {
        id: "debian-13",
        family: Family::Debian,
        name: "Debian 13",
        codename: Some("trixie"),
        repo: "Debian_13",
        paths: &["Debian:13/standard"],
        macros: &[],
        condition: "0",
        pm: "apt",
        bootstrap: DEB_BOOT,
        go: DEB_GO,
        rust: DEB_RUST,
        go_versions: &[("1.24", None)],
        rust_versions: &[("1.85", None)],
    },
    Row {
        id: "ubuntu-22.04",
        family: Family::Ubuntu,
        name: "Ubuntu 22.04",
        codename: Some("jammy"),
        repo: "xUbuntu_22.04",
        paths: &[
            "Ubuntu:22.04/update",
            "Ubuntu:22.04/universe-update",
            "Ubuntu:22.04/universe",
        ],
        macros: &[],
        condition: "0",
        pm: "apt",
        bootstrap: DEB_BOOT,
        go: DEB_GO,
        rust: DEB_RUST,
        go_versions: &[],
        rust_versions: &[],
    },
    Row {
        id: "ubuntu-24.04",
        family: Family::Ubuntu,
        name: "Ubuntu 24.04",
        codename: Some("noble"),
        repo: "xUbuntu_24.04",
        paths: &[
            "Ubuntu:24.04/update",
            "Ubuntu:24.04/universe-update",
            "Ubuntu:24.04/universe",
        ],
        macros: &[],
        condition: "0",
        pm: "apt",
        bootstrap: DEB_BOOT,
        go: DEB_GO,
        rust: DEB_RUST,
        go_versions: &[],
        rust_versions: &[],
    },
];

/// The built-in distro table, in a stable order (rpm families first, then deb).
pub fn builtin() -> Vec<Distro> {
    ROWS.iter()
        .map(|r| Distro {
            id: r.id.to_string(),
            family: r.family,
            name: r.name.to_string(),
            codename: r.codename.map(str::to_string),
            obs_repository: r.repo.to_string(),
            obs_paths: r.paths.iter().map(|p| p.to_string()).collect(),
            macros: r
                .macros
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            condition: r.condition.to_string(),
            package_manager: r.pm.to_string(),
            bootstrap: r.bootstrap.iter().map(|p| p.to_string()).collect(),
            archs: FOUR.iter().map(|a| a.to_string()).collect(),
            toolchains: [("go", r.go), ("rust", r.rust)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
            repositories: repositories(r.id).0,
            optional_repositories: repositories(r.id).1,
            toolchain_versions: [("go", r.go_versions), ("rust", r.rust_versions)]
                .into_iter()
                .map(|(k, v)| {
                    let offers = v
                        .iter()
                        .map(|(version, repository)| ToolchainOffer {
                            version: version.to_string(),
                            repository: repository.map(str::to_string),
                        })
                        .collect();
                    (k.to_string(), offers)
                })
                .collect(),
        })
        .collect()
}

const DEBIAN: &str = "https://deb.debian.org/debian";
const DEBIAN_SECURITY: &str = "https://deb.debian.org/debian-security";
const UBUNTU: &str = "http://archive.ubuntu.com/ubuntu";
const UBUNTU_SECURITY: &str = "http://security.ubuntu.com/ubuntu";
const OPENSUSE: &str = "https://download.opensuse.org";
const FEDORA_ARCHIVE: &str = "https://archives.fedoraproject.org/pub/archive/fedora/linux";
const FEDORA: &str = "https://dl.fedoraproject.org/pub/fedora/linux";
const CENTOS: &str = "https://mirror.stream.centos.org";

/// A built-in distro's repositories: those its packages come from (the release, its
/// updates and security fixes, as an installed system has them) and the optional ones
/// (backports) that `resolve` suggests. SLE has none: its repositories need a
/// registration, so a manifest names a mirror under `[distros.<id>] repositories`.
/// Debian's and Ubuntu's are read for amd64 on these hosts (Ubuntu's other
/// architectures live on ports.ubuntu.com), the rpm ones for any `{arch}`.
fn repositories(id: &str) -> (Vec<Repository>, Vec<Repository>) {
    let apt = |code: &str, url: &str, security: &str, parts: &[&str], obs: &str| {
        let deb = Repository::deb;
        (
            vec![
                deb(code, url, parts),
                deb(&format!("{code}-updates"), url, parts),
                deb(&format!("{code}-security"), security, parts),
            ],
            vec![Repository {
                obs_path: Some(format!("{obs}/backports")),
                ..deb(&format!("{code}-backports"), url, parts)
            }],
        )
    };
    let ubuntu = &["main", "universe"];
    match id {
        "debian-12" => apt("bookworm", DEBIAN, DEBIAN_SECURITY, &["main"], "Debian:12"),
        "debian-13" => apt("trixie", DEBIAN, DEBIAN_SECURITY, &["main"], "Debian:13"),
        "ubuntu-22.04" => apt("jammy", UBUNTU, UBUNTU_SECURITY, ubuntu, "Ubuntu:22.04"),
        "ubuntu-24.04" => apt("noble", UBUNTU, UBUNTU_SECURITY, ubuntu, "Ubuntu:24.04"),
        _ => (rpm_repositories(id), Vec::new()),
    }
}

/// The rpm-md repositories of a built-in RPM distro.
fn rpm_repositories(id: &str) -> Vec<Repository> {
    let rpm = |name: &str, url: String| Repository::rpm_md(name, &url);
    let fedora = |base: &str, n: &str| {
        vec![
            rpm(
                "fedora",
                format!("{base}/releases/{n}/Everything/{{arch}}/os"),
            ),
            rpm("updates", format!("{base}/updates/{n}/Everything/{{arch}}")),
        ]
    };
    match id {
        "opensuse-tumbleweed" => vec![rpm("repo-oss", format!("{OPENSUSE}/tumbleweed/repo/oss"))],
        "opensuse-leap-15.6" => vec![
            rpm(
                "repo-oss",
                format!("{OPENSUSE}/distribution/leap/15.6/repo/oss"),
            ),
            rpm("repo-update", format!("{OPENSUSE}/update/leap/15.6/oss")),
            rpm(
                "repo-sle-update",
                format!("{OPENSUSE}/update/leap/15.6/sle"),
            ),
            rpm(
                "repo-backports-update",
                format!("{OPENSUSE}/update/leap/15.6/backports"),
            ),
        ],
        // Fedora 41 reached its end of life and moved to the archive.
        "fedora-41" => fedora(FEDORA_ARCHIVE, "41"),
        "fedora-42" => fedora(FEDORA, "42"),
        "centos-stream-9" | "centos-stream-10" => {
            let n = id.trim_start_matches("centos-stream-");
            ["BaseOS", "AppStream", "CRB"]
                .iter()
                .map(|r| {
                    rpm(
                        &r.to_lowercase(),
                        format!("{CENTOS}/{n}-stream/{r}/{{arch}}/os"),
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Defaults for a distro the manifest adds under `[distros.<id>]`, from its family.
pub(crate) fn template_for(id: &str, family: Family) -> Distro {
    #[allow(
        clippy::expect_used,
        reason = "ROWS has a row for every family; a unit test checks"
    )]
    let base = builtin()
        .into_iter()
        .rev()
        .find(|d| d.family == family)
        .expect("every family has a built-in distro");
    Distro {
        id: id.to_string(),
        name: id.to_string(),
        codename: base.codename.clone().filter(|_| false),
        obs_repository: id.to_string(),
        obs_paths: Vec::new(),
        macros: BTreeMap::new(),
        condition: family.rpm_condition().to_string(),
        repositories: Vec::new(),
        optional_repositories: Vec::new(),
        toolchain_versions: BTreeMap::new(),
        ..base
    }
}

/// The words `--distro` accepts besides distro ids.
pub(crate) const SELECTOR_ALIASES: &[&str] = &[
    "all", "opensuse", "sle", "suse", "fedora", "centos", "rhel", "debian", "ubuntu", "rpm", "deb",
];

/// Whether a `--distro` selector (id, family, group, format or `all`) selects `distro`.
pub(crate) fn selector_matches(selector: &str, distro: &Distro) -> bool {
    selector == "all"
        || selector == distro.id
        || selector == distro.family.as_str()
        || Some(selector) == distro.family.group()
        || selector == distro.format().as_str()
}

/// How specific a `[names]`/`[packages.distro]` key is for `distro`; `None` if it does not apply.
/// Higher wins: distro id, family, ubuntu's fallback to debian, group, format.
pub(crate) fn key_specificity(key: &str, distro: &Distro) -> Option<u8> {
    if key == distro.id {
        Some(5)
    } else if key == distro.family.as_str() {
        Some(4)
    } else if distro.family == Family::Ubuntu && key == "debian" {
        Some(3)
    } else if Some(key) == distro.family.group() {
        Some(2)
    } else if key == distro.format().as_str() {
        Some(1)
    } else {
        None
    }
}

/// The table `pkgforge distros` prints.
pub(crate) fn table(distros: &[Distro]) -> String {
    let mut rows = vec![[
        "ID".to_string(),
        "FAMILY".to_string(),
        "OBS REPOSITORY".to_string(),
        "BUILDS AGAINST".to_string(),
        "PKG MANAGER".to_string(),
        "ARCHS".to_string(),
        "RPM MACROS".to_string(),
    ]];
    for d in distros {
        rows.push([
            d.id.clone(),
            d.family.to_string(),
            d.obs_repository.clone(),
            d.obs_paths.join(" "),
            d.package_manager.clone(),
            d.archs
                .iter()
                .map(|a| d.arch_name(a))
                .collect::<Vec<_>>()
                .join(","),
            if d.macros.is_empty() {
                "-".to_string()
            } else {
                d.macros
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            },
        ]);
    }
    crate::table::columns(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_a_built_in_distro_to_default_from() {
        for family in Family::ALL {
            assert_eq!(template_for("x", family).family, family);
        }
    }

    #[test]
    fn update_paths_come_before_the_release() {
        let first = |id: &str| {
            builtin()
                .into_iter()
                .find(|d| d.id == id)
                .map(|d| d.obs_paths)
                .unwrap_or_default()
        };
        for (id, update, release) in [
            (
                "opensuse-leap-15.6",
                "openSUSE:Leap:15.6:Update/standard",
                "openSUSE:Leap:15.6/standard",
            ),
            (
                "sle-15-sp6",
                "SUSE:SLE-15-SP6:Update/standard",
                "SUSE:SLE-15-SP6:GA/standard",
            ),
            ("fedora-41", "Fedora:41/update", "Fedora:41/standard"),
            ("fedora-42", "Fedora:42/update", "Fedora:42/standard"),
            (
                "ubuntu-22.04",
                "Ubuntu:22.04/universe-update",
                "Ubuntu:22.04/universe",
            ),
            (
                "ubuntu-24.04",
                "Ubuntu:24.04/universe-update",
                "Ubuntu:24.04/universe",
            ),
        ] {
            let paths = first(id);
            let at = |p: &str| paths.iter().position(|x| x == p);
            assert!(
                at(update).is_some() && at(update) < at(release),
                "{id}: {paths:?}"
            );
        }
    }
}
