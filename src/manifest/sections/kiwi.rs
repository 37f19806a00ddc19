//! The kiwi side of `[[rootfs]]`: image packages, profiles, repositories and scripts per base.

use std::collections::HashSet;
use std::path::Path;

use indexmap::IndexMap;

use super::dependencies::{push_unique, resolve_dep};
use crate::distro::{self, Distro, Format};
use crate::manifest::checks::*;
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::source::Seg;
use crate::names::{self, NameTable};
use crate::path;
use crate::version::escape_for_message;

/// What `rootfs_kiwi` resolves besides the rootfs's plain keys.
pub(in crate::manifest) struct RootfsKiwi {
    pub(in crate::manifest) images: Vec<Image>,
    pub(in crate::manifest) agent: Option<Agent>,
    pub(in crate::manifest) users: Vec<User>,
    pub(in crate::manifest) profiles: Vec<Profile>,
}

/// `arch -> packages` turned around into one entry per package with every arch it is for,
/// archs in the rootfs's order, packages in the order they first appear.
pub(in crate::manifest) fn arch_list(
    map: &IndexMap<String, Vec<String>>,
    archs: &[String],
    mut resolve: impl FnMut(&[String]) -> Vec<String>,
) -> Vec<ArchPackage> {
    let mut out: Vec<ArchPackage> = Vec::new();
    for arch in archs {
        let Some(list) = map.get(arch) else { continue };
        for name in resolve(list) {
            match out.iter_mut().find(|x| x.name == name) {
                Some(x) if !x.archs.contains(arch) => x.archs.push(arch.clone()),
                Some(_) => {}
                None => out.push(ArchPackage {
                    name,
                    archs: vec![arch.clone()],
                }),
            }
        }
    }
    out
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
        let p = |k: &str| path!["rootfs", i, k];
        let local: HashSet<&str> = raw.packages.iter().map(|p| p.name.as_str()).collect();
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
                    p("bases"),
                    format!(
                        "base `{}` has no codename, which kiwi's apt repository needs",
                        b.id
                    ),
                    format!("add codename = \"...\" under [distros.{}]", b.id),
                );
            }
        }
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
        let agent = r
            .agent
            .as_ref()
            .and_then(|a| self.agent(i, a, dir, &r.name));
        let users = self.users(i, &r.users);
        let mut profiles = Vec::new();
        for (j, pr) in r.profiles.iter().enumerate() {
            let q = |key: &str| path!["rootfs", i, "profiles", j, key];
            let valid = pr.name.len() <= 32
                && !pr.name.is_empty()
                && !pr.name.starts_with(['.', '-'])
                && pr
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                self.err_note(
                    q("name"),
                    format!("`{}` is not a valid profile name", escape_for_message(&pr.name)),
                    "use up to 32 letters, digits, `_`, `-` or `.`: it names a kiwi profile and an OBS multibuild flavor",
                );
            } else if profiles.iter().any(|x: &Profile| x.name == pr.name) {
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
        for (j, repo) in r.repositories.iter().enumerate() {
            self.repository(i, j, repo, bases);
        }

        let mut images = Vec::new();
        for b in bases {
            let key = names::most_specific(r.distro.keys(), b);
            let o = key.map(|k| &r.distro[k]);
            // Where each list comes from, to point at it when a name resolves badly.
            let at = |field: &str| match (
                key,
                o.map(|o| match field {
                    "packages" => o.packages.is_some(),
                    "delete" => o.delete.is_some(),
                    "bootstrap-packages" => o.bootstrap_packages.is_some(),
                    _ => o.arch_packages.is_some(),
                }),
            ) {
                (Some(k), Some(true)) => path!["rootfs", i, "distro", k, field],
                _ => path!["rootfs", i, field],
            };
            let resolve = |cx: &mut Self, path: Vec<Seg>, list: &[String]| -> Vec<String> {
                let mut v = Vec::new();
                for (j, d) in list.iter().enumerate() {
                    let mut q = path.clone();
                    q.push(Seg::Index(j));
                    let got = resolve_dep(d, b, names, &local, &[]);
                    for n in &got {
                        if !is_image_package(n) {
                            cx.err_note(
                                q.clone(),
                                format!(
                                    "`{}` resolves to `{}` on {}, which is not a package name kiwi can install",
                                    escape_for_message(d),
                                    escape_for_message(n),
                                    b.id
                                ),
                                "image packages are plain names; map the name in [names] without version constraints",
                            );
                        }
                    }
                    push_unique(&mut v, got);
                }
                v
            };
            let bootstrap = match o.and_then(|o| o.bootstrap_packages.as_ref()) {
                Some(list) => resolve(self, at("bootstrap-packages"), list),
                None => b.bootstrap.clone(),
            };
            let mut packages = resolve(
                self,
                at("packages"),
                o.and_then(|o| o.packages.as_ref()).unwrap_or(&r.packages),
            );
            if let Some(Agent {
                source: AgentSource::Package(name),
                ..
            }) = &agent
            {
                push_unique(&mut packages, resolve_dep(name, b, names, &local, &[]));
            }
            let arch_src = o
                .and_then(|o| o.arch_packages.as_ref())
                .unwrap_or(&r.arch_packages);
            let arch_packages = arch_list(arch_src, archs, |list| {
                resolve(self, at("arch-packages"), list)
            });
            let delete = resolve(
                self,
                at("delete"),
                o.and_then(|o| o.delete.as_ref()).unwrap_or(&r.delete),
            );
            let config_sh = o
                .and_then(|o| o.config_sh.clone())
                .or_else(|| r.config_sh.clone());
            let build_can_fail = o.and_then(|o| o.build_can_fail).unwrap_or(false);
            let repositories = r
                .repositories
                .iter()
                .filter(|x| match &x.bases {
                    None => true,
                    Some(keys) => keys.iter().any(|k| distro::key_specificity(k, b).is_some()),
                })
                .map(|x| Repository {
                    source: x.source.replace("{obs-repository}", &b.obs_repository),
                    alias: x.alias.clone(),
                    priority: x.priority,
                    distribution: match b.format() {
                        Format::Deb => x.distribution.clone().or_else(|| b.codename.clone()),
                        Format::Rpm => None,
                    },
                    components: match b.format() {
                        Format::Deb => Some(x.components.clone().unwrap_or_else(|| "main".into())),
                        Format::Rpm => None,
                    },
                })
                .collect();
            let profile_packages = r
                .profiles
                .iter()
                .enumerate()
                .map(|(j, pr)| ProfilePackages {
                    packages: resolve(
                        self,
                        path!["rootfs", i, "profiles", j, "packages"],
                        &pr.packages,
                    ),
                    arch_packages: arch_list(&pr.arch_packages, archs, |list| {
                        resolve(
                            self,
                            path!["rootfs", i, "profiles", j, "arch-packages"],
                            list,
                        )
                    }),
                })
                .collect();
            images.push(Image {
                base: b.id.clone(),
                bootstrap,
                packages,
                arch_packages,
                delete,
                repositories,
                config_sh,
                build_can_fail,
                profiles: profile_packages,
            });
        }
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
        (self.errs.0.len() == before).then_some(RootfsKiwi {
            images,
            agent,
            users,
            profiles,
        })
    }

    /// Names of packages kiwi installs or deletes: one plain name each.
    pub(in crate::manifest) fn image_packages(&mut self, path: Vec<Seg>, list: &[String]) {
        for (j, pk) in list.iter().enumerate() {
            let mut q = path.clone();
            q.push(Seg::Index(j));
            self.check(q, pk, image_package(pk));
        }
    }

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

    pub(in crate::manifest) fn repository(
        &mut self,
        i: usize,
        j: usize,
        repo: &raw::RootfsRepository,
        bases: &[Distro],
    ) {
        let q = |k: &str| path!["rootfs", i, "repositories", j, k];
        let src = &repo.source;
        let schemes = [
            "obs://",
            "https://",
            "http://",
            "file://",
            "dir://",
            "{obs-repository}",
        ];
        if !self.single_line(q("source"), "the repository source", src) {
            return;
        }
        if !schemes.iter().any(|s| src.starts_with(s))
            || src
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'))
        {
            self.err_note(
                q("source"),
                format!("`{}` is not a repository kiwi can use", escape_for_message(src)),
                "use obs://Project/repository, an http(s):// or file:// URL; `{obs-repository}` becomes each base's OBS repository name",
            );
        }
        let rest = src.replace("{obs-repository}", "");
        if rest.contains(['{', '}']) {
            self.err_note(
                q("source"),
                format!("unknown placeholder in `{}`", escape_for_message(src)),
                "the only placeholder is {obs-repository}",
            );
        }
        if let Some(a) = &repo.alias {
            if a.is_empty()
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                self.err(
                    q("alias"),
                    format!(
                        "`{}` is not a valid repository alias",
                        escape_for_message(a)
                    ),
                );
            }
        }
        let selected: Vec<&Distro> = match &repo.bases {
            None => bases.iter().collect(),
            Some(keys) => {
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
        };
        for (k, v) in [
            ("distribution", &repo.distribution),
            ("components", &repo.components),
        ] {
            let Some(v) = v else { continue };
            if v.is_empty()
                || !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
            {
                self.err(
                    q(k),
                    format!("`{}` is not a valid apt {k}", escape_for_message(v)),
                );
            } else if !selected.iter().any(|b| b.format() == Format::Deb) {
                self.err_note(
                    q(k),
                    format!("`{k}` only applies to apt repositories, and this one serves no Debian or Ubuntu base"),
                    "limit it with bases = [\"deb\"] or drop the key",
                );
            }
        }
    }
}
