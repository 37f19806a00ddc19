//! `[[rootfs]]`: guest images, their bases, agent and users.

use std::path::Path;

use crate::distro::Distro;
use crate::manifest::checks::{
    agent_file_name, group_name, image_type_known, install_as_known, no_control, user_name,
};
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::names::NameTable;
use crate::path;
use crate::version::{escape_for_message, Version};

/// Whether a package or subpackage of `raw` requires rootfs `name` on some target.
fn required(raw: &raw::Manifest, name: &str) -> bool {
    let names = |list: &[String]| {
        list.iter()
            .any(|d| d.split_whitespace().next() == Some(name))
    };
    raw.packages.iter().any(|p| {
        names(&p.requires)
            || p.subpackages.iter().any(|s| names(&s.requires))
            || p.distro
                .values()
                .any(|o| o.requires.as_deref().is_some_and(names))
    })
}

/// What the build of a disk image package needs, by logical name: `mkfs.ext4` and
/// `sfdisk`, and on Debian and Ubuntu `fakeroot` to keep the tree's owners without root
/// (the rpm build runs as root: CentOS and RHEL have no `fakeroot` outside EPEL).
const DISK_BUILD_REQUIRES: &[&str] = &["e2fsprogs", "sfdisk"];
const DISK_BUILD_REQUIRES_DEB: &[&str] = &["fakeroot"];

/// Per target of the project: [`DISK_BUILD_REQUIRES`] as `[names]` and the built-in
/// table call them there; nothing for an archive.
fn disk_build_requires(
    install_as: InstallAs,
    project: Option<&Project>,
    names: &NameTable,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let (InstallAs::Disk, Some(project)) = (install_as, project) else {
        return Default::default();
    };
    project
        .targets
        .iter()
        .map(|t| {
            let deb: &[&str] = match t.format() {
                crate::distro::Format::Deb => DISK_BUILD_REQUIRES_DEB,
                crate::distro::Format::Rpm => &[],
            };
            let mut list: Vec<String> = DISK_BUILD_REQUIRES
                .iter()
                .chain(deb)
                .flat_map(|n| crate::names::resolve(names, n, t))
                .collect();
            list.sort();
            list.dedup();
            (t.id.clone(), list)
        })
        .collect()
}

/// Where the Kata agent lives in a guest image unless the manifest says otherwise.
const DEFAULT_AGENT_PATH: &str = "/usr/bin/kata-agent";

impl Cx<'_> {
    pub(in crate::manifest) fn rootfs(
        &mut self,
        raw: &raw::Manifest,
        dir: &Path,
        distros: &[Distro],
        project: Option<&Project>,
        upstreams: &[Upstream],
        names: &NameTable,
    ) -> Vec<Rootfs> {
        let mut out = Vec::new();
        for (i, r) in raw.rootfs.iter().enumerate() {
            let p = |k: &str| path!["rootfs", i, k];
            let mut ok = self.package_name(p("name"), &r.name);
            ok &= self.single_line(p("summary"), "the summary", &r.summary)
                && self.nonempty(p("summary"), "the summary", &r.summary);
            let version = self.rootfs_version(i, r, raw, upstreams);
            let bases = self.rootfs_bases(i, r, distros);
            let (image_type, description) = self.rootfs_image_keys(i, r);
            let install_as = self.rootfs_install_as(i, r, &image_type);
            let archs = match &r.archs {
                Some(a) => self.archs(p("archs"), a, false),
                None => project.map(|p| p.archs.clone()).unwrap_or_default(),
            };
            let kiwi = self.rootfs_kiwi(i, r, raw, dir, &bases, &archs, project, names);
            if let (true, Some(version), Some(kiwi)) = (ok && !bases.is_empty(), version, kiwi) {
                let rootfs = Rootfs {
                    name: r.name.clone(),
                    summary: r.summary.clone(),
                    description,
                    upstream: r.upstream.clone(),
                    version,
                    bases,
                    packages: r.packages.clone(),
                    image_type,
                    install_as,
                    build_requires: disk_build_requires(install_as, project, names),
                    default_base: r.default_base.clone(),
                    archs,
                    images: kiwi.images,
                    agent: kiwi.agent,
                    users: kiwi.users,
                    profiles: kiwi.profiles,
                    changelog: Vec::new(),
                };
                if let Some(project) = project {
                    self.rootfs_formats(i, &rootfs, &project.targets, raw);
                }
                out.push(rootfs);
            }
        }
        out
    }

    /// A target whose packages require rootfs `i` gets an image of its own package format,
    /// unless `default-base` names another: the image package is built on its base.
    fn rootfs_formats(&mut self, i: usize, r: &Rootfs, targets: &[Distro], raw: &raw::Manifest) {
        if r.default_base.is_some() || !required(raw, &r.name) {
            return;
        }
        let stranded: Vec<&Distro> = targets
            .iter()
            .filter(|t| r.base_for(t).format() != t.format())
            .collect();
        let Some(first) = stranded.first() else {
            return;
        };
        let format = first.format().as_str();
        let ids: Vec<&str> = stranded.iter().map(|t| t.id.as_str()).collect();
        let d = self
            .src
            .error(
                path!["rootfs", i, "bases"],
                format!(
                    "rootfs `{}` has no {format} base, but packages of {} require it",
                    r.name,
                    ids.join(", ")
                ),
            )
            .note("a package requires the image package built on a base of its own format")
            .help(format!(
                "add a {format} base, or set default-base = \"{}\" to require that image anyway",
                r.base_for(first).id
            ));
        self.errs.push(d);
    }

    /// The version of rootfs `i`: its upstream's, or its own.
    fn rootfs_version(
        &mut self,
        i: usize,
        r: &raw::Rootfs,
        raw: &raw::Manifest,
        upstreams: &[Upstream],
    ) -> Option<Version> {
        let p = |k: &str| path!["rootfs", i, k];
        match (&r.upstream, &r.version) {
            (Some(u), None) => match upstreams.iter().find(|x| &x.name == u) {
                Some(up) => Some(up.version.clone()),
                None => {
                    self.unknown_upstream(p("upstream"), u, raw);
                    None
                }
            },
            (None, Some(v)) => match Version::parse(v, None) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.version_err(p("version"), v, e);
                    None
                }
            },
            (Some(_), Some(_)) => {
                self.err(p("version"), "give either `upstream` or `version`, not both: the image version follows its upstream");
                None
            }
            (None, None) => {
                self.err_note(
                    path!["rootfs", i],
                    format!("rootfs `{}` has neither `upstream` nor `version`", r.name),
                    "add upstream = \"<name>\" or version = \"1.0.0\"",
                );
                None
            }
        }
    }

    /// The bases of rootfs `i`, each a known distro listed once, and its default among them.
    fn rootfs_bases(&mut self, i: usize, r: &raw::Rootfs, distros: &[Distro]) -> Vec<Distro> {
        let p = |k: &str| path!["rootfs", i, k];
        let mut bases = Vec::new();
        if r.bases.is_empty() {
            self.err(p("bases"), "a rootfs needs at least one base");
        }
        for (j, b) in r.bases.iter().enumerate() {
            match distros.iter().find(|d| &d.id == b) {
                Some(_) if bases.iter().any(|x: &Distro| &x.id == b) => self.err(
                    path!["rootfs", i, "bases", j],
                    format!("base `{b}` is listed twice"),
                ),
                Some(d) => bases.push(d.clone()),
                None => self.err_note(
                    path!["rootfs", i, "bases", j],
                    format!("unknown distro `{}`", escape_for_message(b)),
                    "a base is a distro id; see `pkgforge distros`",
                ),
            }
        }
        if let Some(db) = &r.default_base {
            if !r.bases.contains(db) {
                self.err_note(
                    p("default-base"),
                    format!(
                        "default base `{}` is not one of the rootfs's bases",
                        escape_for_message(db)
                    ),
                    format!("bases: {}", r.bases.join(", ")),
                );
            }
        }
        bases
    }

    /// `install-as` of rootfs `i`: a disk image is made from a tar archive of the root
    /// tree, which only the `tbz` image type is.
    fn rootfs_install_as(&mut self, i: usize, r: &raw::Rootfs, image_type: &str) -> InstallAs {
        let p = path!["rootfs", i, "install-as"];
        let Some(v) = &r.install_as else {
            return InstallAs::Archive;
        };
        match install_as_known(v) {
            Ok(InstallAs::Disk) if image_type != "tbz" => {
                self.err_note(
                    p,
                    format!(
                        "install-as = \"disk\" needs image-type \"tbz\", not \"{}\"",
                        escape_for_message(image_type)
                    ),
                    "the disk image is made from the root tree in kiwi's tar archive",
                );
                InstallAs::Archive
            }
            Ok(a) => a,
            Err(e) => {
                self.reject(p, v, e);
                InstallAs::Archive
            }
        }
    }

    /// The image type and description of rootfs `i`, with its package names as one line each.
    fn rootfs_image_keys(&mut self, i: usize, r: &raw::Rootfs) -> (String, String) {
        let p = |k: &str| path!["rootfs", i, k];
        for (j, pk) in r.packages.iter().enumerate() {
            self.single_line(path!["rootfs", i, "packages", j], "an image package", pk);
        }
        let image_type = r.image_type.clone().unwrap_or_else(|| "tbz".to_string());
        self.check(p("image-type"), &image_type, image_type_known(&image_type));
        if let Some(d) = &r.description {
            // XML 1.0 cannot carry control characters, escaped or not
            self.check(p("description"), d, no_control("the description", d));
        }
        let description = r.description.clone().unwrap_or_else(|| r.summary.clone());
        (image_type, description)
    }

    pub(in crate::manifest) fn agent(
        &mut self,
        i: usize,
        a: &raw::RootfsAgent,
        dir: &Path,
    ) -> Option<Agent> {
        let p = |k: &str| path!["rootfs", i, "agent", k];
        let init = a.init.unwrap_or(false);
        match (&a.package, &a.file) {
            (Some(name), None) => {
                if let Some(target) = &a.path {
                    if !self.safe_path(p("path"), "the agent path", target, true) {
                        return None;
                    }
                }
                self.image_packages(path!["rootfs", i, "agent"], std::slice::from_ref(name));
                Some(Agent {
                    source: AgentSource::Package(name.clone()),
                    path: a
                        .path
                        .clone()
                        .unwrap_or_else(|| DEFAULT_AGENT_PATH.to_string()),
                    init,
                })
            }
            (None, Some(file)) => self.agent_file(i, a, file, dir),
            (Some(_), Some(_)) => {
                self.err(
                    path!["rootfs", i, "agent"],
                    "give the agent as a `package` or a `file`, not both",
                );
                None
            }
            (None, None) => {
                self.err_note(
                    path!["rootfs", i, "agent"],
                    "the agent needs a `package` or a `file`",
                    "package = \"kata-agent\" installs the package; file = \"path/to/kata-agent\" ships a binary beside the manifest",
                );
                None
            }
        }
    }

    /// An agent binary shipped beside the manifest as `file`.
    fn agent_file(
        &mut self,
        i: usize,
        a: &raw::RootfsAgent,
        file: &str,
        dir: &Path,
    ) -> Option<Agent> {
        let p = |k: &str| path!["rootfs", i, "agent", k];
        let init = a.init.unwrap_or(false);
        if !self.safe_path(p("file"), "the agent file", file, false) {
            return None;
        }
        let target = a
            .path
            .clone()
            .unwrap_or_else(|| DEFAULT_AGENT_PATH.to_string());
        if !self.safe_path(p("path"), "the agent path", &target, true) {
            return None;
        }
        let name = Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !self.check(p("file"), file, agent_file_name(&name)) {
            return None;
        }
        match std::fs::read(dir.join(file)) {
            Ok(content) => Some(Agent {
                source: AgentSource::File {
                    name,
                    path: file.to_string(),
                    content,
                },
                path: target,
                init,
            }),
            Err(e) => {
                self.err(
                    p("file"),
                    format!("cannot read the agent file `{file}`: {e}"),
                );
                None
            }
        }
    }

    pub(in crate::manifest) fn users(
        &mut self,
        i: usize,
        raw_users: &[raw::RootfsUser],
    ) -> Vec<User> {
        let mut out: Vec<User> = Vec::new();
        for (j, u) in raw_users.iter().enumerate() {
            let q = |k: &str| path!["rootfs", i, "users", j, k];
            let mut ok = true;
            if !self.check(q("name"), &u.name, user_name(&u.name)) {
                ok = false;
            } else if out.iter().any(|x| x.name == u.name) {
                self.err(q("name"), format!("user `{}` is listed twice", u.name));
                ok = false;
            }
            if let Some(pw) = &u.password {
                ok &= self.single_line(q("password"), "the password", pw)
                    && self.nonempty(q("password"), "the password", pw);
            }
            for (k, v) in [("home", &u.home), ("shell", &u.shell)] {
                if let Some(v) = v {
                    ok &= self.safe_path(q(k), &format!("the {k}"), v, true);
                }
            }
            for (n, g) in u.groups.iter().enumerate() {
                ok &= self.check(
                    path!["rootfs", i, "users", j, "groups", n],
                    g,
                    group_name(g),
                );
            }
            if ok {
                out.push(User {
                    name: u.name.clone(),
                    password: u.password.clone().unwrap_or_else(|| "!".to_string()),
                    home: u.home.clone(),
                    groups: u.groups.clone(),
                    shell: u.shell.clone(),
                    id: u.id,
                });
            }
        }
        out
    }
}
