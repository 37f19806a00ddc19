//! kiwi image descriptions: one OBS package per rootfs and base, `obs/<rootfs>-<base>/`,
//! holding `<rootfs>.kiwi` and what OBS and kiwi read beside it (`config.sh`,
//! `_multibuild`, the agent file), plus the package's meta, which keeps OBS from
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

/// The kiwi schema version written for a base: the oldest one that has everything the
/// description uses, which the kiwi its distro ships knows (later kiwi converts an older
/// description when it loads it). Debian 12 ships kiwi 9.24.56, whose schema is 7.5;
/// `dnf5` is a package manager from schema 7.6 on, which the kiwi of Fedora knows.
/// `dnf4` is written as 7.5's `dnf` (see [`package_manager`]), so CentOS Stream's
/// descriptions load with kiwi 9.24 too.
/// The `<file>` element that installs an agent file came with kiwi 10 in 2024: such a
/// description gets the schema of the kiwi the tests load it with, and kiwi 9.24 cannot
/// build it.
pub(crate) fn schema_version(base: &Distro, installs_file: bool) -> &'static str {
    if installs_file {
        return "8.5";
    }
    match base.package_manager.as_str() {
        "dnf5" => "7.6",
        _ => "7.5",
    }
}

/// The `<packagemanager>` written for a base in a schema: 7.5 names dnf4 `dnf`, and
/// kiwi's conversion from 7.5 to 7.6 turns `dnf` back into `dnf4`.
fn package_manager<'a>(base: &'a Distro, schema: &str) -> &'a str {
    match (base.package_manager.as_str(), schema) {
        ("dnf4", "7.5") => "dnf",
        (pm, _) => pm,
    }
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
    if let Some(agent) = &r.agent {
        if let AgentSource::File { name, content, .. } = &agent.source {
            push(dir.join(name), content.clone(), true);
        }
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
struct AgentFile<'a> {
    name: &'a str,
    target: &'a str,
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
    bootstrap: &'a [String],
    packages: &'a [String],
    arch_packages: Vec<ArchPackageContext<'a>>,
    agent_file: Option<AgentFile<'a>>,
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
    let agent_file = rootfs.agent.as_ref().and_then(|a| match &a.source {
        AgentSource::File { name, .. } => Some(AgentFile {
            name,
            target: &a.path,
        }),
        _ => None,
    });
    let schema = schema_version(base, agent_file.is_some());
    let mut kiwi_base = Base::new(base);
    kiwi_base.package_manager = package_manager(base, schema);
    let ctx = ImageContext {
        schema_version: schema,
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
        bootstrap: &image.bootstrap,
        packages: &image.packages,
        arch_packages: arch_packages(&image.arch_packages),
        agent_file,
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
