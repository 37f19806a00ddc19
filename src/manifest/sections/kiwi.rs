//! The kiwi keys of `[[rootfs]]`: image packages, per-distro overrides, profiles,
//! repositories and scripts.

use std::path::Path;

use indexmap::IndexMap;

use super::images::ImageScope;
use crate::distro::{self, Distro, Format};
use crate::manifest::checks::{
    apt_value, image_package, kiwi_placeholders, kiwi_repository_source, profile_name,
    repository_alias, script,
};
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::names::NameTable;
use crate::path;
use crate::version::escape_for_message;

/// What `rootfs_kiwi` resolves besides the rootfs's plain keys.
pub(in crate::manifest) struct RootfsKiwi {
    pub(in crate::manifest) images: Vec<Image>,
    pub(in crate::manifest) agent: Option<Agent>,
    pub(in crate::manifest) users: Vec<User>,
    pub(in crate::manifest) profiles: Vec<Profile>,
}

impl Cx<'_> {
    /// The kiwi side of one `[[rootfs]]`: validate its image keys and resolve, per base,
    /// what the description holds. `None` when something was reported.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::manifest) fn rootfs_kiwi(
        &mut self,
        i: usize,
        r: &raw::Rootfs,
        raw: &raw::Manifest,
        dir: &Path,
        bases: &[Distro],
        archs: &[String],
        project: Option<&Project>,
        names: &NameTable,
    ) -> Option<RootfsKiwi> {
        let before = self.errs.0.len();
        self.kiwi_bases(i, r, bases, project);
        self.kiwi_lists(i, r, bases, archs);
        let agent = r.agent.as_ref().and_then(|a| self.agent(i, a, dir));
        let users = self.users(i, &r.users);
        let profiles = self.profiles(i, r, archs);
        for (j, repo) in r.repositories.iter().enumerate() {
            self.repository(i, j, repo, bases);
        }
        let scope = ImageScope {
            i,
            r,
            names,
            local: raw.packages.iter().map(|p| p.name.as_str()).collect(),
            archs,
            agent: agent.as_ref(),
        };
        let images: Vec<Image> = bases.iter().map(|b| self.image(&scope, b)).collect();
        self.build_can_fail(i, r, &images);
        (self.errs.0.len() == before).then_some(RootfsKiwi {
            images,
            agent,
            users,
            profiles,
        })
    }

    /// Every base is a target of the project, and a Debian or Ubuntu one has a codename.
    fn kiwi_bases(
        &mut self,
        i: usize,
        r: &raw::Rootfs,
        bases: &[Distro],
        project: Option<&Project>,
    ) {
        if let Some(project) = project {
            for (j, b) in bases.iter().enumerate() {
                if !project.targets.iter().any(|t| t.id == b.id) {
                    let j = r.bases.iter().position(|x| x == &b.id).unwrap_or(j);
                    self.err_note(
                        path!["rootfs", i, "bases", j],
                        format!("base `{}` is not one of the project's targets", b.id),
                        "OBS builds the image in the repository of its base: add the base to [project] targets",
                    );
                }
            }
        }
        for b in bases {
            if b.format() == Format::Deb && b.codename.is_none() {
                self.err_note(
                    path!["rootfs", i, "bases"],
                    format!(
                        "base `{}` has no codename, which kiwi's apt repository needs",
                        b.id
                    ),
                    format!("add codename = \"...\" under [distros.{}]", b.id),
                );
            }
        }
    }

    /// The package lists and scripts of rootfs `i`, and of its `[rootfs.distro.<key>]`.
    fn kiwi_lists(&mut self, i: usize, r: &raw::Rootfs, bases: &[Distro], archs: &[String]) {
        let p = |k: &str| path!["rootfs", i, k];
        self.image_packages(p("packages"), &r.packages);
        self.arch_packages(p("arch-packages"), &r.arch_packages, archs);
        self.image_packages(p("delete"), &r.delete);
        if let Some(body) = &r.config_sh {
            self.script(p("config-sh"), body);
        }
        for (k, o) in &r.distro {
            let q = |key: &str| path!["rootfs", i, "distro", k, key];
            if !self.lookup_key(path!["rootfs", i, "distro", k], k, bases) {
                continue;
            }
            if !bases
                .iter()
                .any(|b| distro::key_specificity(k, b).is_some())
            {
                self.err_note(
                    path!["rootfs", i, "distro", k],
                    format!(
                        "`{}` selects none of the rootfs's bases",
                        escape_for_message(k)
                    ),
                    format!("bases: {}", r.bases.join(", ")),
                );
            }
            for (key, list) in [
                ("packages", &o.packages),
                ("bootstrap-packages", &o.bootstrap_packages),
                ("delete", &o.delete),
            ] {
                if let Some(list) = list {
                    self.image_packages(q(key), list);
                }
            }
            if let Some(a) = &o.arch_packages {
                self.arch_packages(q("arch-packages"), a, archs);
            }
            if let Some(body) = &o.config_sh {
                self.script(q("config-sh"), body);
            }
        }
    }

    /// The `[[rootfs.profiles]]` of rootfs `i`.
    fn profiles(&mut self, i: usize, r: &raw::Rootfs, archs: &[String]) -> Vec<Profile> {
        let mut profiles = Vec::new();
        for (j, pr) in r.profiles.iter().enumerate() {
            let q = |key: &str| path!["rootfs", i, "profiles", j, key];
            if self.check(q("name"), &pr.name, profile_name(&pr.name))
                && profiles.iter().any(|x: &Profile| x.name == pr.name)
            {
                self.err(q("name"), format!("profile `{}` is listed twice", pr.name));
            }
            if self.single_line(q("description"), "the profile description", &pr.description) {
                self.nonempty(q("description"), "the profile description", &pr.description);
            }
            self.image_packages(q("packages"), &pr.packages);
            self.arch_packages(q("arch-packages"), &pr.arch_packages, archs);
            profiles.push(Profile {
                name: pr.name.clone(),
                description: pr.description.clone(),
            });
        }
        profiles
    }

    /// At least one image of rootfs `i` is expected to build, and its default base is one.
    fn build_can_fail(&mut self, i: usize, r: &raw::Rootfs, images: &[Image]) {
        let p = |k: &str| path!["rootfs", i, k];
        if !images.is_empty() && images.iter().all(|im| im.build_can_fail) {
            self.err_note(
                p("bases"),
                format!("every base of rootfs `{}` has build-can-fail", r.name),
                "at least one base must be expected to build: it is the image packages get",
            );
        }
        if let Some(db) = &r.default_base {
            if images.iter().any(|im| &im.base == db && im.build_can_fail) {
                self.err_note(
                    p("default-base"),
                    format!("default base `{db}` has build-can-fail"),
                    "packages must not depend on an image whose build may fail; pick another default-base",
                );
            }
        }
    }

    /// Names of packages kiwi installs or deletes: one plain name each.
    pub(in crate::manifest) fn image_packages(&mut self, path: Vec<Seg>, list: &[String]) {
        for (j, pk) in list.iter().enumerate() {
            let mut q = path.clone();
            q.push(Seg::Index(j));
            self.check(q, pk, image_package(pk));
        }
    }

    /// Image packages per architecture, for architectures the image is built for.
    pub(in crate::manifest) fn arch_packages(
        &mut self,
        path: Vec<Seg>,
        map: &IndexMap<String, Vec<String>>,
        archs: &[String],
    ) {
        for (a, list) in map {
            let mut q = path.clone();
            q.push(Seg::from(a));
            if !archs.contains(a) {
                self.err_note(
                    q.clone(),
                    format!(
                        "the image is not built for architecture `{}`",
                        escape_for_message(a)
                    ),
                    format!("the rootfs's archs: {}", archs.join(", ")),
                );
            }
            self.image_packages(q, list);
        }
    }

    /// A shell script body run by kiwi inside the image.
    pub(in crate::manifest) fn script(&mut self, path: Vec<Seg>, body: &str) {
        self.check(path, body, script(body));
    }

    /// Repository `j` of rootfs `i`.
    pub(in crate::manifest) fn repository(
        &mut self,
        i: usize,
        j: usize,
        repo: &raw::RootfsRepository,
        bases: &[Distro],
    ) {
        let q = |k: &str| path!["rootfs", i, "repositories", j, k];
        let src = &repo.source;
        if !self.single_line(q("source"), "the repository source", src) {
            return;
        }
        self.check(q("source"), src, kiwi_repository_source(src));
        self.check(q("source"), src, kiwi_placeholders(src));
        if let Some(a) = &repo.alias {
            self.check(q("alias"), a, repository_alias(a));
        }
        let selected = self.repository_bases(i, j, repo, bases);
        for (k, v) in [
            ("distribution", &repo.distribution),
            ("components", &repo.components),
        ] {
            let Some(v) = v else { continue };
            if self.check(q(k), v, apt_value(k, v))
                && !selected.iter().any(|b| b.format() == Format::Deb)
            {
                self.err_note(
                    q(k),
                    format!("`{k}` only applies to apt repositories, and this one serves no Debian or Ubuntu base"),
                    "limit it with bases = [\"deb\"] or drop the key",
                );
            }
        }
    }

    /// The bases repository `j` of rootfs `i` serves: all, or those its `bases` select.
    fn repository_bases<'b>(
        &mut self,
        i: usize,
        j: usize,
        repo: &raw::RootfsRepository,
        bases: &'b [Distro],
    ) -> Vec<&'b Distro> {
        let Some(keys) = &repo.bases else {
            return bases.iter().collect();
        };
        for (n, k) in keys.iter().enumerate() {
            if self.lookup_key(path!["rootfs", i, "repositories", j, "bases", n], k, bases)
                && !bases
                    .iter()
                    .any(|b| distro::key_specificity(k, b).is_some())
            {
                self.err(
                    path!["rootfs", i, "repositories", j, "bases", n],
                    format!(
                        "`{}` selects none of the rootfs's bases",
                        escape_for_message(k)
                    ),
                );
            }
        }
        bases
            .iter()
            .filter(|b| keys.iter().any(|k| distro::key_specificity(k, b).is_some()))
            .collect()
    }
}
