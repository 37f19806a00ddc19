//! The image of a `[[rootfs]]` on each of its bases: its package lists resolved through
//! `[names]`, its repositories and its profiles.

use std::collections::HashSet;

use indexmap::IndexMap;

use super::dependencies::{push_unique, resolve_dep};
use crate::distro::{self, Distro, Format};
use crate::manifest::checks::is_image_package;
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::names::{self, NameTable};
use crate::path;
use crate::version::escape_for_message;

/// `arch -> packages` turned around into one entry per package with every arch it is for,
/// archs in the rootfs's order, packages in the order they first appear.
fn arch_list(
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

/// What the images of rootfs `i` resolve against.
pub(in crate::manifest) struct ImageScope<'a> {
    pub(in crate::manifest) i: usize,
    pub(in crate::manifest) r: &'a raw::Rootfs,
    pub(in crate::manifest) names: &'a NameTable,
    /// The manifest's own packages.
    pub(in crate::manifest) local: HashSet<&'a str>,
    pub(in crate::manifest) archs: &'a [String],
    pub(in crate::manifest) agent: Option<&'a Agent>,
}

impl Cx<'_> {
    /// The image of rootfs `scope.r` on base `b`.
    pub(in crate::manifest) fn image(&mut self, scope: &ImageScope, b: &Distro) -> Image {
        let (i, r, archs) = (scope.i, scope.r, scope.archs);
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
        let bootstrap = match o.and_then(|o| o.bootstrap_packages.as_ref()) {
            Some(list) => self.image_list(scope, b, at("bootstrap-packages"), list),
            None => b.bootstrap.clone(),
        };
        let packages_src = o.and_then(|o| o.packages.as_ref()).unwrap_or(&r.packages);
        let mut packages = self.image_list(scope, b, at("packages"), packages_src);
        if let Some(Agent {
            source: AgentSource::Package(name),
            ..
        }) = scope.agent
        {
            push_unique(
                &mut packages,
                resolve_dep(name, b, scope.names, &scope.local, &[]),
            );
        }
        let arch_src = o
            .and_then(|o| o.arch_packages.as_ref())
            .unwrap_or(&r.arch_packages);
        let arch_packages = arch_list(arch_src, archs, |list| {
            self.image_list(scope, b, at("arch-packages"), list)
        });
        let delete_src = o.and_then(|o| o.delete.as_ref()).unwrap_or(&r.delete);
        let delete = self.image_list(scope, b, at("delete"), delete_src);
        Image {
            base: b.id.clone(),
            bootstrap,
            packages,
            arch_packages,
            delete,
            repositories: image_repositories(r, b),
            config_sh: o
                .and_then(|o| o.config_sh.clone())
                .or_else(|| r.config_sh.clone()),
            build_can_fail: o.and_then(|o| o.build_can_fail).unwrap_or(false),
            profiles: self.profile_packages(scope, b),
        }
    }

    /// The packages each profile adds to the image on base `b`.
    fn profile_packages(&mut self, scope: &ImageScope, b: &Distro) -> Vec<ProfilePackages> {
        let i = scope.i;
        scope
            .r
            .profiles
            .iter()
            .enumerate()
            .map(|(j, pr)| ProfilePackages {
                packages: self.image_list(
                    scope,
                    b,
                    path!["rootfs", i, "profiles", j, "packages"],
                    &pr.packages,
                ),
                arch_packages: arch_list(&pr.arch_packages, scope.archs, |list| {
                    self.image_list(
                        scope,
                        b,
                        path!["rootfs", i, "profiles", j, "arch-packages"],
                        list,
                    )
                }),
            })
            .collect()
    }

    /// The packages `list`, written at `path`, names on base `b`.
    fn image_list(
        &mut self,
        scope: &ImageScope,
        b: &Distro,
        path: Vec<Seg>,
        list: &[String],
    ) -> Vec<String> {
        let mut v = Vec::new();
        for (j, d) in list.iter().enumerate() {
            let mut q = path.clone();
            q.push(Seg::Index(j));
            let got = resolve_dep(d, b, scope.names, &scope.local, &[]);
            for n in &got {
                if !is_image_package(n) {
                    self.err_note(
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
    }
}

/// The repositories of rootfs `r` that serve base `b`, with its placeholders filled in.
fn image_repositories(r: &raw::Rootfs, b: &Distro) -> Vec<ImageRepository> {
    r.repositories
        .iter()
        .filter(|x| match &x.bases {
            None => true,
            Some(keys) => keys.iter().any(|k| distro::key_specificity(k, b).is_some()),
        })
        .map(|x| ImageRepository {
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
        .collect()
}
