//! kiwi image descriptions: one OBS package per rootfs and base, `obs/<rootfs>-<base>/`,
//! holding `<rootfs>.kiwi` and what OBS and kiwi read beside it (`config.sh`,
//! `_multibuild`, the agent file's archive), plus the package's meta, which keeps OBS from
//! building the image in any repository but its base's. The text of each comes from a
//! template under `templates/kiwi/`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::templates::Templates;
use super::{Output, Serves};
use crate::distro::Distro;
use crate::error::Result;
use crate::manifest::{AgentSource, ArchPackage, Image, Model, Rootfs};

/// The kiwi schema every description is written in: 7.5, the schema of kiwi 9.24.56,
/// which Debian 12 ships. Later kiwi (10, 11) converts a 7.5 description when it loads
/// it, so each base's kiwi reads it. Everything a description uses exists in 7.5: the
/// package manager is 7.5's name for it ([`package_manager`]) and the agent file is an
/// `<archive>` ([`agent_archive`]), not kiwi 10's `<file>`.
pub(crate) const SCHEMA_VERSION: &str = "7.5";

/// The `<packagemanager>` written for a base: its package manager, but schema 7.5 has no
/// `dnf4` or `dnf5`, only `dnf`, which kiwi 10 and later read as `dnf4`. So an image on
/// Fedora (whose own package manager is dnf5) is built with dnf4 too: kiwi's dnf4
/// manager runs `dnf-3`, which Fedora 41 and later still ship in `python3-dnf` after dnf5
/// took `/usr/bin/dnf`. The tradeoff buys a description that loads with Debian 12's
/// kiwi as well; [`DNF4_ON_DNF5`] is what such an image and its build root then need.
fn package_manager(base: &Distro) -> &str {
    match base.package_manager.as_str() {
        "dnf4" | "dnf5" => "dnf",
        pm => pm,
    }
}

/// The package with `dnf-3` on a distro whose own package manager is dnf5. kiwi's dnf4
/// manager runs it twice: on the build host against the image root (bootstrap), then
/// inside the image root (the image's packages, the delete list). So it is added to the
/// image's bootstrap packages, and the project's build configuration adds it to the kiwi
/// build root of the base's repository ([`build_root_lines`]).
pub(crate) const DNF4_ON_DNF5: &str = "python3-dnf";

/// Whether kiwi builds an image on `base` with dnf4 although the distro's package
/// manager is dnf5 (see [`package_manager`]).
fn dnf4_on_dnf5(base: &Distro) -> bool {
    base.package_manager == "dnf5"
}

/// The build configuration lines the repository of `base` needs for the kiwi builds of
/// its images. OBS installs in a kiwi build root what provides
/// `kiwi-packagemanager:<packagemanager>` (Fedora's `kiwi-systemdeps-core`, which needs
/// only dnf5's `dnf` there); the substitution keeps that and adds `dnf-3`'s package.
pub(crate) fn build_root_lines(base: &Distro) -> Vec<String> {
    if !dnf4_on_dnf5(base) {
        return Vec::new();
    }
    vec![format!(
        "Substitute: kiwi-packagemanager:dnf kiwi-packagemanager:dnf {DNF4_ON_DNF5}"
    )]
}

/// The bootstrap packages of an image: the manifest's (or the base's), and what kiwi's
/// dnf4 needs in the image root on a dnf5 distro.
fn bootstrap(base: &Distro, image: &Image) -> Vec<String> {
    let mut out = image.bootstrap.clone();
    if dnf4_on_dnf5(base) && !out.iter().any(|p| p == DNF4_ON_DNF5) {
        out.push(DNF4_ON_DNF5.to_string());
    }
    out
}

/// The name of the archive that carries an agent given as a `file` into the image:
/// `<agent-name>.tar`, beside the description in the kiwi package.
pub(crate) fn agent_archive(rootfs: &Rootfs) -> Option<String> {
    match &rootfs.agent.as_ref()?.source {
        AgentSource::File { name, .. } => Some(format!("{name}.tar")),
        AgentSource::Package(_) => None,
    }
}

/// The agent archive's bytes: an uncompressed GNU tar holding the one file at the
/// agent's `path` (relative, as kiwi unpacks archives into the image root), mode 0755,
/// owned by root (0/0, named `root`), its mtime the date of the rootfs's newest changelog
/// entry (0 without one), so the same inputs give the same bytes. No directory entries:
/// tar creates a missing parent and leaves an existing one as the image has it.
pub(crate) fn agent_tar(rootfs: &Rootfs) -> Result<Option<Vec<u8>>> {
    let Some(agent) = &rootfs.agent else {
        return Ok(None);
    };
    let AgentSource::File { content, .. } = &agent.source else {
        return Ok(None);
    };
    let mtime = rootfs
        .changelog
        .first()
        .map(|e| e.date.as_second().max(0).unsigned_abs())
        .unwrap_or(0);
    let path = agent.path.trim_start_matches('/');
    let tar = || -> std::io::Result<Vec<u8>> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o755);
        h.set_uid(0);
        h.set_gid(0);
        h.set_username("root")?;
        h.set_groupname("root")?;
        h.set_mtime(mtime);
        h.set_size(content.len() as u64);
        let mut b = tar::Builder::new(Vec::new());
        b.append_data(&mut h, path, &content[..])?;
        b.into_inner()
    };
    tar().map(Some).map_err(|e| {
        crate::error::Error::Other(anyhow::anyhow!(
            "cannot make the agent archive of rootfs `{}`: {e}",
            rootfs.name
        ))
    })
}

/// The kiwi package of a rootfs on one base, and its package meta.
pub(crate) fn render_image(
    model: &Model,
    r: &Rootfs,
    base: &Distro,
    templates: &Templates,
) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    let Some(image) = r.image(&base.id) else {
        return Ok(out);
    };
    let package = r.package_name(base);
    let dir = PathBuf::from("obs").join(&package);
    let serves = serves(model, r, base);
    let mut push = |path: PathBuf, content: Vec<u8>, executable: bool| {
        out.push(Output {
            path,
            content,
            executable,
            package: Some(r.name.clone()),
            serves: serves.clone(),
        });
    };
    push(
        dir.join(format!("{}.kiwi", r.name)),
        description(model, r, base, image, templates)?,
        false,
    );
    if let Some(script) = config_sh(r, base, image, templates)? {
        push(dir.join("config.sh"), script.into_bytes(), true);
    }
    if !r.profiles.is_empty() {
        push(dir.join("_multibuild"), multibuild(r, templates)?, false);
    }
    if let (Some(name), Some(tar)) = (agent_archive(r), agent_tar(r)?) {
        push(dir.join(name), tar, false);
    }
    push(
        PathBuf::from("obs/_meta/packages").join(format!("{package}.xml")),
        package_meta(model, r, base, templates)?,
        false,
    );
    Ok(out)
}

/// An image serves its base and every target whose packages default to it, so that
/// `--distro` writes the images a selected distro's packages ship.
fn serves(model: &Model, rootfs: &Rootfs, base: &Distro) -> Serves {
    let mut ids: BTreeSet<String> = model
        .project
        .targets
        .iter()
        .filter(|t| rootfs.base_for(t).id == base.id)
        .map(|t| t.id.clone())
        .collect();
    ids.insert(base.id.clone());
    Serves::Targets(ids)
}

/// `Name <email>` split into kiwi's author and contact.
fn author_contact(maintainer: &str) -> (&str, &str) {
    match maintainer.split_once('<') {
        Some((name, rest)) => (name.trim(), rest.trim_end().trim_end_matches('>').trim()),
        None => (maintainer.trim(), maintainer.trim()),
    }
}

/// What the kiwi templates know of the base distro.
#[derive(Serialize)]
struct Base<'a> {
    id: &'a str,
    name: &'a str,
    /// `rpm` or `deb`.
    format: &'static str,
    family: String,
    /// Empty for a distro without one.
    codename: &'a str,
    package_manager: &'a str,
    obs_repository: &'a str,
}

impl<'a> Base<'a> {
    fn new(d: &'a Distro) -> Base<'a> {
        Base {
            id: &d.id,
            name: &d.name,
            format: d.format().as_str(),
            family: d.family.to_string(),
            codename: d.codename.as_deref().unwrap_or_default(),
            package_manager: &d.package_manager,
            obs_repository: &d.obs_repository,
        }
    }
}

#[derive(Serialize)]
struct ProfileContext<'a> {
    name: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct UserContext<'a> {
    name: &'a str,
    password: &'a str,
    home: Option<&'a str>,
    groups: &'a [String],
    shell: Option<&'a str>,
    id: Option<u32>,
}

#[derive(Serialize)]
struct RepositoryContext<'a> {
    source: &'a str,
    alias: Option<&'a str>,
    priority: Option<i32>,
    distribution: Option<&'a str>,
    components: Option<&'a str>,
}

#[derive(Serialize)]
struct ArchPackageContext<'a> {
    name: &'a str,
    archs: &'a [String],
}

#[derive(Serialize)]
struct ProfilePackagesContext<'a> {
    profile: &'a str,
    packages: &'a [String],
    arch_packages: Vec<ArchPackageContext<'a>>,
}

/// What `kiwi/image.xml.tera` gets.
#[derive(Serialize)]
struct ImageContext<'a> {
    schema_version: &'static str,
    name: &'a str,
    summary: &'a str,
    version: &'a str,
    image_type: &'a str,
    archs: &'a [String],
    author: &'a str,
    contact: &'a str,
    base: Base<'a>,
    build_can_fail: bool,
    profiles: Vec<ProfileContext<'a>>,
    users: Vec<UserContext<'a>>,
    repositories: Vec<RepositoryContext<'a>>,
    bootstrap: Vec<String>,
    packages: &'a [String],
    arch_packages: Vec<ArchPackageContext<'a>>,
    /// The archive that installs the agent file, `<agent-name>.tar`.
    agent_archive: Option<String>,
    /// The packages each profile adds, for the profiles that add any.
    profile_packages: Vec<ProfilePackagesContext<'a>>,
    delete: &'a [String],
}

fn arch_packages(by_arch: &[ArchPackage]) -> Vec<ArchPackageContext<'_>> {
    by_arch
        .iter()
        .map(|p| ArchPackageContext {
            name: &p.name,
            archs: &p.archs,
        })
        .collect()
}

/// `<rootfs>.kiwi` for one base.
pub(crate) fn description(
    model: &Model,
    rootfs: &Rootfs,
    base: &Distro,
    image: &Image,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let (author, contact) = author_contact(&model.project.maintainer);
    let mut kiwi_base = Base::new(base);
    kiwi_base.package_manager = package_manager(base);
    let ctx = ImageContext {
        schema_version: SCHEMA_VERSION,
        name: &rootfs.name,
        summary: &rootfs.summary,
        version: &rootfs.version.rpm,
        image_type: &rootfs.image_type,
        archs: &rootfs.archs,
        author,
        contact,
        base: kiwi_base,
        build_can_fail: image.build_can_fail,
        profiles: profiles(rootfs),
        users: rootfs
            .users
            .iter()
            .map(|u| UserContext {
                name: &u.name,
                password: &u.password,
                home: u.home.as_deref(),
                groups: &u.groups,
                shell: u.shell.as_deref(),
                id: u.id,
            })
            .collect(),
        repositories: image
            .repositories
            .iter()
            .map(|r| RepositoryContext {
                source: &r.source,
                alias: r.alias.as_deref(),
                priority: r.priority,
                distribution: r.distribution.as_deref(),
                components: r.components.as_deref(),
            })
            .collect(),
        bootstrap: bootstrap(base, image),
        packages: &image.packages,
        arch_packages: arch_packages(&image.arch_packages),
        agent_archive: agent_archive(rootfs),
        profile_packages: rootfs
            .profiles
            .iter()
            .zip(&image.profiles)
            .filter(|(_, extra)| !extra.packages.is_empty() || !extra.arch_packages.is_empty())
            .map(|(profile, extra)| ProfilePackagesContext {
                profile: &profile.name,
                packages: &extra.packages,
                arch_packages: arch_packages(&extra.arch_packages),
            })
            .collect(),
        delete: &image.delete,
    };
    Ok(templates.render("kiwi/image.xml.tera", &ctx)?.into_bytes())
}

fn profiles(rootfs: &Rootfs) -> Vec<ProfileContext<'_>> {
    rootfs
        .profiles
        .iter()
        .map(|p| ProfileContext {
            name: &p.name,
            description: &p.description,
        })
        .collect()
}

/// What `kiwi/config.sh.tera` gets.
#[derive(Serialize)]
struct ConfigContext<'a> {
    name: &'a str,
    base: Base<'a>,
    /// The agent's path, when the agent is the guest's init.
    agent_init: Option<&'a str>,
    /// The manifest's body, without its trailing blanks.
    body: Option<&'a str>,
}

/// `config.sh`, when the manifest gives a body or the agent must become init. kiwi runs it
/// with bash inside the image root after installing the packages; OBS ignores the mode.
pub(crate) fn config_sh(
    rootfs: &Rootfs,
    base: &Distro,
    image: &Image,
    templates: &Templates,
) -> Result<Option<String>> {
    let agent_init = rootfs.agent.as_ref().filter(|a| a.init);
    if image.config_sh.is_none() && agent_init.is_none() {
        return Ok(None);
    }
    let ctx = ConfigContext {
        name: &rootfs.name,
        base: Base::new(base),
        agent_init: agent_init.map(|a| a.path.as_str()),
        body: image.config_sh.as_deref().map(str::trim_end),
    };
    templates
        .render_verbatim("kiwi/config.sh.tera", &ctx)
        .map(Some)
}

#[derive(Serialize)]
struct MultibuildContext<'a> {
    profiles: Vec<ProfileContext<'a>>,
}

/// `_multibuild`: one flavor per kiwi profile. OBS substitutes the flavor for
/// `@BUILD_FLAVOR@` in the description's `OBS-Profiles` comment, so the names are equal.
pub(crate) fn multibuild(rootfs: &Rootfs, templates: &Templates) -> Result<Vec<u8>> {
    let ctx = MultibuildContext {
        profiles: profiles(rootfs),
    };
    Ok(templates
        .render("kiwi/multibuild.xml.tera", &ctx)?
        .into_bytes())
}

/// What `kiwi/package-meta.xml.tera` gets.
#[derive(Serialize)]
struct PackageMetaContext<'a> {
    package: String,
    obs_project: &'a str,
    summary: &'a str,
    /// Without its trailing blanks.
    description: &'a str,
    base: Base<'a>,
}

/// The OBS package meta (`osc meta pkg <project> <package> -F <file>`): the image builds
/// only in its base's repository, where `obsrepositories:/` gives it the base's packages.
pub(crate) fn package_meta(
    model: &Model,
    rootfs: &Rootfs,
    base: &Distro,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let ctx = PackageMetaContext {
        package: rootfs.package_name(base),
        obs_project: &model.project.obs_project,
        summary: &rootfs.summary,
        description: rootfs.description.trim_end(),
        base: Base::new(base),
    };
    Ok(templates
        .render("kiwi/package-meta.xml.tera", &ctx)?
        .into_bytes())
}

/// The table `pkgforge distros` prints below the distros: for every rootfs and target,
/// the image the target's packages require and the rule that chose its base.
pub(crate) fn default_base_table(model: &Model) -> String {
    let mut rows = vec![[
        "ROOTFS".to_string(),
        "TARGET".to_string(),
        "BASE".to_string(),
        "RULE".to_string(),
        "IMAGE PACKAGE".to_string(),
    ]];
    let mut notes = String::new();
    for r in &model.rootfs {
        for t in &model.project.targets {
            let (base, rule) = r.base_choice(t);
            rows.push([
                r.name.clone(),
                t.id.clone(),
                base.id.clone(),
                rule.as_str().to_string(),
                r.package_name(base),
            ]);
        }
        let failing: Vec<&str> = r
            .images
            .iter()
            .filter(|i| i.build_can_fail)
            .map(|i| i.base.as_str())
            .collect();
        if !failing.is_empty() {
            let _ = writeln!(
                notes,
                "{}: build-can-fail, never a default: {}",
                r.name,
                failing.join(", ")
            );
        }
    }
    let mut out = crate::table::columns(&rows);
    out.push_str(&notes);
    out
}
