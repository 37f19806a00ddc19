//! kiwi image descriptions: one OBS package per rootfs and base, `obs/<rootfs>-<base>/`,
//! holding `<rootfs>.kiwi` and what OBS and kiwi read beside it (`config.sh`,
//! `_multibuild`, the agent file), plus the package's meta, which keeps OBS from
//! building the image in any repository but its base's.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

use quick_xml::events::BytesText;

use super::xml::{comment, document, text_element, XmlWriter};
use super::{Output, Serves};
use crate::distro::{Distro, Format};
use crate::manifest::{AgentSource, ArchPackage, Image, Model, Rootfs};

/// The schema version of the kiwi release the tests validate with (PyPI `kiwi` 11):
/// kiwi converts older descriptions silently, so pkgforge writes the current one.
pub const SCHEMA_VERSION: &str = "8.5";

/// The kiwi package of a rootfs on one base, and its package meta.
pub fn render_image(model: &Model, r: &Rootfs, base: &Distro) -> Vec<Output> {
    let mut out = Vec::new();
    let Some(image) = r.image(&base.id) else {
        return out;
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
        description(model, r, base, image),
        false,
    );
    if let Some(script) = config_sh(r, base, image) {
        push(dir.join("config.sh"), script.into_bytes(), true);
    }
    if !r.profiles.is_empty() {
        push(dir.join("_multibuild"), multibuild(r), false);
    }
    if let Some(agent) = &r.agent {
        if let AgentSource::File { name, content, .. } = &agent.source {
            push(dir.join(name), content.clone(), true);
        }
    }
    push(
        PathBuf::from("obs/_meta/packages").join(format!("{package}.xml")),
        package_meta(model, r, base),
        false,
    );
    out
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

/// kiwi's repository type for a base's package format.
fn repository_type(base: &Distro) -> &'static str {
    match base.format() {
        Format::Rpm => "rpm-md",
        Format::Deb => "apt-deb",
    }
}

/// `<rootfs>.kiwi` for one base.
pub fn description(model: &Model, rootfs: &Rootfs, base: &Distro, image: &Image) -> Vec<u8> {
    let (author, contact) = author_contact(&model.project.maintainer);
    document(true, |w| {
        // obs-build reads these two magic comments line by line: each alone on its line,
        // with blanks inside the comment markers.
        comment(
            w,
            &format!(" OBS-ExclusiveArch: {} ", rootfs.archs.join(" ")),
        )?;
        if !rootfs.profiles.is_empty() {
            comment(w, " OBS-Profiles: @BUILD_FLAVOR@ ")?;
        }
        if image.build_can_fail {
            comment(
                w,
                " build-can-fail: a failed build is expected; no target's packages default to this image ",
            )?;
        }
        w.create_element("image")
            .with_attribute(("schemaversion", SCHEMA_VERSION))
            .with_attribute(("name", rootfs.name.as_str()))
            .write_inner_content(|w| {
                w.create_element("description")
                    .with_attribute(("type", "system"))
                    .write_inner_content(|w| {
                        text_element(w, "author", author)?;
                        text_element(w, "contact", contact)?;
                        text_element(
                            w,
                            "specification",
                            &format!("{}, {} base", rootfs.summary, base.name),
                        )
                    })?;
                if !rootfs.profiles.is_empty() {
                    w.create_element("profiles").write_inner_content(|w| {
                        for p in &rootfs.profiles {
                            w.create_element("profile")
                                .with_attribute(("name", p.name.as_str()))
                                .with_attribute(("description", p.description.as_str()))
                                .write_empty()?;
                        }
                        Ok(())
                    })?;
                }
                preferences(w, rootfs, base)?;
                users(w, rootfs)?;
                repositories(w, base, image)?;
                w.create_element("packages")
                    .with_attribute(("type", "bootstrap"))
                    .write_inner_content(|w| packages(w, &image.bootstrap, &[]))?;
                w.create_element("packages")
                    .with_attribute(("type", "image"))
                    .write_inner_content(|w| {
                        packages(w, &image.packages, &image.arch_packages)?;
                        if let Some(agent) = &rootfs.agent {
                            if let AgentSource::File { name, .. } = &agent.source {
                                w.create_element("file")
                                    .with_attribute(("name", name.as_str()))
                                    .with_attribute(("target", agent.path.as_str()))
                                    .with_attribute(("owner", "root:root"))
                                    .with_attribute(("permissions", "0755"))
                                    .write_empty()?;
                            }
                        }
                        Ok(())
                    })?;
                for (profile, extra) in rootfs.profiles.iter().zip(&image.profiles) {
                    if extra.packages.is_empty() && extra.arch_packages.is_empty() {
                        continue;
                    }
                    w.create_element("packages")
                        .with_attribute(("type", "image"))
                        .with_attribute(("profiles", profile.name.as_str()))
                        .write_inner_content(|w| {
                            packages(w, &extra.packages, &extra.arch_packages)
                        })?;
                }
                if !image.delete.is_empty() {
                    w.create_element("packages")
                        .with_attribute(("type", "delete"))
                        .write_inner_content(|w| packages(w, &image.delete, &[]))?;
                }
                Ok(())
            })?;
        Ok(())
    })
}

fn preferences(w: &mut XmlWriter, rootfs: &Rootfs, base: &Distro) -> io::Result<()> {
    w.create_element("preferences").write_inner_content(|w| {
        text_element(w, "version", &rootfs.version.rpm)?;
        text_element(w, "packagemanager", &base.package_manager)?;
        if base.format() == Format::Rpm {
            text_element(w, "rpm-excludedocs", "true")?;
            // OBS repositories are trusted by the build; kiwi has no keys to check them with.
            text_element(w, "rpm-check-signatures", "false")?;
        }
        w.create_element("type")
            .with_attribute(("image", rootfs.image_type.as_str()))
            .write_empty()?;
        Ok(())
    })?;
    Ok(())
}

fn users(w: &mut XmlWriter, rootfs: &Rootfs) -> io::Result<()> {
    if rootfs.users.is_empty() {
        return Ok(());
    }
    w.create_element("users").write_inner_content(|w| {
        for u in &rootfs.users {
            let id = u.id.map(|i| i.to_string());
            let groups = u.groups.join(",");
            let mut el = w
                .create_element("user")
                .with_attribute(("name", u.name.as_str()))
                .with_attribute(("password", u.password.as_str()))
                .with_attribute(("pwdformat", "encrypted"));
            if let Some(h) = &u.home {
                el = el.with_attribute(("home", h.as_str()));
            }
            if !groups.is_empty() {
                el = el.with_attribute(("groups", groups.as_str()));
            }
            if let Some(s) = &u.shell {
                el = el.with_attribute(("shell", s.as_str()));
            }
            if let Some(id) = &id {
                el = el.with_attribute(("id", id.as_str()));
            }
            el.write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The project's own repositories (`obsrepositories:/`: the base's OBS repository and
/// everything it builds against), then the manifest's extra ones.
fn repositories(w: &mut XmlWriter, base: &Distro, image: &Image) -> io::Result<()> {
    let kind = repository_type(base);
    let codename = base.codename.as_deref().unwrap_or_default();
    let alias = format!("{}-{codename}", base.family);
    let mut el = w
        .create_element("repository")
        .with_attribute(("type", kind));
    if base.format() == Format::Deb {
        // obs-build finds the distribution with a sed over the line that opens the
        // element: quick-xml keeps every attribute on that line. OBS publishes only `main`
        // and does not sign the flat repositories it generates.
        el = el
            .with_attribute(("alias", alias.as_str()))
            .with_attribute(("distribution", codename))
            .with_attribute(("components", "main"))
            .with_attribute(("repository_gpgcheck", "false"));
    }
    el.write_inner_content(|w| source(w, "obsrepositories:/"))?;
    for r in &image.repositories {
        let priority = r.priority.map(|p| p.to_string());
        let mut el = w
            .create_element("repository")
            .with_attribute(("type", kind));
        if let Some(a) = &r.alias {
            el = el.with_attribute(("alias", a.as_str()));
        }
        if let Some(p) = &priority {
            el = el.with_attribute(("priority", p.as_str()));
        }
        if let Some(d) = &r.distribution {
            el = el.with_attribute(("distribution", d.as_str()));
        }
        if let Some(c) = &r.components {
            el = el.with_attribute(("components", c.as_str()));
        }
        if base.format() == Format::Deb && r.source.starts_with("obs://") {
            el = el.with_attribute(("repository_gpgcheck", "false"));
        }
        el.write_inner_content(|w| source(w, &r.source))?;
    }
    Ok(())
}

fn source(w: &mut XmlWriter, path: &str) -> io::Result<()> {
    w.create_element("source")
        .with_attribute(("path", path))
        .write_empty()?;
    Ok(())
}

fn packages(w: &mut XmlWriter, names: &[String], by_arch: &[ArchPackage]) -> io::Result<()> {
    for n in names {
        w.create_element("package")
            .with_attribute(("name", n.as_str()))
            .write_empty()?;
    }
    for p in by_arch {
        w.create_element("package")
            .with_attribute(("name", p.name.as_str()))
            .with_attribute(("arch", p.archs.join(",").as_str()))
            .write_empty()?;
    }
    Ok(())
}

/// `config.sh`, when the manifest gives a body or the agent must become init. kiwi runs it
/// with bash inside the image root after installing the packages; OBS ignores the mode.
pub fn config_sh(rootfs: &Rootfs, base: &Distro, image: &Image) -> Option<String> {
    let agent_init = rootfs.agent.as_ref().filter(|a| a.init);
    if image.config_sh.is_none() && agent_init.is_none() {
        return None;
    }
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let _ = writeln!(
        s,
        "# kiwi config.sh of {} on {}, rendered by pkgforge from the manifest.",
        rootfs.name, base.id
    );
    let _ = writeln!(s, "set -euxo pipefail");
    let _ = writeln!(s, "test -f /.kconfig && . /.kconfig");
    let _ = writeln!(s, "test -f /.profile && . /.profile");
    if let Some(a) = agent_init {
        let _ = writeln!(s, "\n# The agent is the guest's init.");
        let _ = writeln!(s, "ln -sf {} /sbin/init", a.path);
    }
    if let Some(body) = &image.config_sh {
        let _ = writeln!(s);
        s.push_str(body.trim_end());
        s.push('\n');
    }
    Some(s)
}

/// `_multibuild`: one flavor per kiwi profile. OBS substitutes the flavor for
/// `@BUILD_FLAVOR@` in the description's `OBS-Profiles` comment, so the names are equal.
pub fn multibuild(rootfs: &Rootfs) -> Vec<u8> {
    document(false, |w| {
        w.create_element("multibuild").write_inner_content(|w| {
            for p in &rootfs.profiles {
                w.create_element("flavor")
                    .write_text_content(BytesText::new(&p.name))?;
            }
            Ok(())
        })?;
        Ok(())
    })
}

/// The OBS package meta (`osc meta pkg <project> <package> -F <file>`): the image builds
/// only in its base's repository, where `obsrepositories:/` gives it the base's packages.
pub fn package_meta(model: &Model, rootfs: &Rootfs, base: &Distro) -> Vec<u8> {
    let name = rootfs.package_name(base);
    document(false, |w| {
        w.create_element("package")
            .with_attribute(("name", name.as_str()))
            .with_attribute(("project", model.project.obs_project.as_str()))
            .write_inner_content(|w| {
                text_element(
                    w,
                    "title",
                    &format!("{} ({} base)", rootfs.summary, base.name),
                )?;
                text_element(w, "description", rootfs.description.trim_end())?;
                w.create_element("build").write_inner_content(|w| {
                    w.create_element("disable").write_empty()?;
                    w.create_element("enable")
                        .with_attribute(("repository", base.obs_repository.as_str()))
                        .write_empty()?;
                    Ok(())
                })?;
                Ok(())
            })?;
        Ok(())
    })
}

/// The table `pkgforge distros` prints below the distros: for every rootfs and target,
/// the image the target's packages require and the rule that chose its base.
pub fn default_base_table(model: &Model) -> String {
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
