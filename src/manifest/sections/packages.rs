//! `[[packages]]` and `[toolchains]`: each package with its dependencies resolved per target.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::distro::{self, Distro, Format};
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::names::{self, NameTable};
use crate::path;
use crate::version::{self, escape_for_message, Version};

pub(in crate::manifest) fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(in crate::manifest) fn push_unique(v: &mut Vec<String>, items: Vec<String>) {
    for i in items {
        if !v.contains(&i) {
            v.push(i);
        }
    }
}

/// Components of one upstream are released together: a requirement on another package of
/// the same upstream pins its exact version, so they can never be installed skewed.
pub(in crate::manifest) fn exact_requires(
    d: &str,
    upstream: &str,
    version: &Version,
    t: &Distro,
    raw: &raw::Manifest,
) -> Option<Vec<String>> {
    raw.packages
        .iter()
        .find(|p| p.name == d && p.upstream == upstream)?;
    Some(match t.format() {
        Format::Rpm => vec![format!("{d} = {}", version.rpm)],
        Format::Deb => {
            let v = match version.epoch {
                Some(e) => format!("{e}:{}", version.deb),
                None => version.deb.clone(),
            };
            // any Debian revision of exactly this upstream version
            vec![format!("{d} (>= {v}~)"), format!("{d} (<< {v}.~)")]
        }
    })
}

/// A dependency on one target: the manifest's own packages keep their name, a rootfs becomes
/// the image built on the target's default base, anything else goes through the name lookup.
pub(in crate::manifest) fn resolve_dep(
    d: &str,
    t: &Distro,
    names: &NameTable,
    local: &HashSet<&str>,
    rootfs: &[Rootfs],
) -> Vec<String> {
    if let Some(r) = rootfs.iter().find(|r| r.name == d) {
        return vec![r.package_name(r.base_for(t))];
    }
    if local.contains(d) {
        return vec![d.to_string()];
    }
    names::resolve(names, d, t)
}

impl Cx<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(in crate::manifest) fn packages(
        &mut self,
        raw: &raw::Manifest,
        dir: &Path,
        project: Option<&Project>,
        upstreams: &[Upstream],
        names: &NameTable,
        rootfs: &[Rootfs],
    ) -> Vec<Package> {
        let local: HashSet<&str> = raw.packages.iter().map(|p| p.name.as_str()).collect();
        let mut out = Vec::new();
        for (i, pkg) in raw.packages.iter().enumerate() {
            let p = |k: &str| path!["packages", i, k];
            let mut ok = self.package_name(p("name"), &pkg.name);
            let upstream = upstreams.iter().find(|u| u.name == pkg.upstream);
            if upstream.is_none() && !raw.upstreams.contains_key(&pkg.upstream) {
                self.unknown_upstream(p("upstream"), &pkg.upstream, raw);
            }
            ok &= self.single_line(p("summary"), "the summary", &pkg.summary)
                && self.nonempty(p("summary"), "the summary", &pkg.summary);
            if pkg.summary.len() > 80 {
                self.err(
                    p("summary"),
                    "the summary is longer than 80 characters; put details in the description",
                );
            }
            ok &= self.nonempty(p("description"), "the description", &pkg.description);
            if pkg
                .description
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                self.err(
                    p("description"),
                    "the description contains a control character",
                );
            }
            ok &= self.no_macros(p("description"), "the description", &pkg.description);
            for (k, v) in [
                ("group", &pkg.group),
                ("section", &pkg.section),
                ("license", &pkg.license),
            ] {
                if let Some(v) = v {
                    ok &= self.single_line(p(k), &format!("the {k}"), v);
                }
            }
            if let Some(u) = &pkg.url {
                ok &= self.url(p("url"), "the URL", u);
            }
            let archs = match &pkg.archs {
                Some(a) => {
                    let v = self.archs(p("archs"), a, true);
                    if a.is_empty() {
                        self.err(p("archs"), "a package needs at least one architecture");
                    }
                    v
                }
                None => project.map(|p| p.archs.clone()).unwrap_or_default(),
            };
            if let Some(tc) = &pkg.toolchain {
                if !raw.toolchains.contains_key(tc) {
                    self.err_note(
                        p("toolchain"),
                        format!(
                            "toolchain `{}` has no minimum version",
                            escape_for_message(tc)
                        ),
                        format!("add it under [toolchains], e.g. {tc} = \"1.22\""),
                    );
                    ok = false;
                } else if let Some(project) = project {
                    for t in &project.targets {
                        if !t.toolchains.contains_key(tc) {
                            self.err_note(p("toolchain"), format!("distro `{}` does not know toolchain `{}`", t.id, escape_for_message(tc)), format!("add [distros.\"{}\"] toolchains = {{ {tc} = [\"<package> >= {{version}}\"] }}", t.id));
                            ok = false;
                        }
                    }
                }
            }
            let vendor = match pkg.vendor.as_deref() {
                None => None,
                Some("go") => Some(Vendor::Go),
                Some("cargo") => Some(Vendor::Cargo),
                Some(v) => {
                    self.err_note(
                        p("vendor"),
                        format!("unknown vendoring `{}`", escape_for_message(v)),
                        "use \"go\" (go_modules service) or \"cargo\" (cargo_vendor service)",
                    );
                    None
                }
            };
            for (key, list) in [
                ("build-requires", &pkg.build_requires),
                ("requires", &pkg.requires),
            ] {
                for (j, d) in list.iter().enumerate() {
                    ok &= self.dependency(path!["packages", i, key, j], d);
                }
            }
            ok &= self.no_self_requires(i, pkg);
            for (k, text) in [("build", &pkg.build), ("install", &pkg.install)] {
                if let Some(t) = text {
                    ok &= self.no_macros(p(k), &format!("`{k}`"), t);
                    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                        self.err(p(k), format!("`{k}` contains a control character"));
                    }
                }
            }
            if pkg.files.is_empty() {
                self.err_note(
                    p("files"),
                    format!("package `{}` lists no files", pkg.name),
                    "list what `install` puts in $DESTDIR, e.g. files = [\"/usr/bin/tool\"]",
                );
            }
            for (key, list) in [("files", &pkg.files), ("config-files", &pkg.config_files)] {
                for (j, f) in list.iter().enumerate() {
                    ok &= self.safe_path(path!["packages", i, key, j], "the file", f, true);
                }
            }
            let mut patches = Vec::new();
            let mut patch_names = HashSet::new();
            for (j, pa) in pkg.patches.iter().enumerate() {
                let pp = path!["packages", i, "patches", j];
                if !self.safe_path(pp.clone(), "the patch", pa, false) {
                    ok = false;
                    continue;
                }
                let name = Path::new(pa)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if !patch_names.insert(name.clone()) {
                    self.err(pp.clone(), format!("two patches are named `{name}`"));
                }
                match std::fs::read(dir.join(pa)) {
                    Ok(content) => patches.push(Patch {
                        name,
                        path: pa.clone(),
                        content,
                    }),
                    Err(e) => {
                        self.err_note(
                            pp,
                            format!("cannot read patch `{pa}`: {e}"),
                            "patches are read relative to the manifest's directory",
                        );
                        ok = false;
                    }
                }
            }
            let distros_known: Vec<Distro> = project.map(|p| p.targets.clone()).unwrap_or_default();
            for (k, o) in &pkg.distro {
                let all = distro::builtin();
                let known: Vec<Distro> = all
                    .into_iter()
                    .chain(distros_known.iter().cloned())
                    .collect();
                if self.lookup_key(path!["packages", i, "distro", k], k, &known) {
                    for (key, list) in [
                        ("build-requires", &o.build_requires),
                        ("requires", &o.requires),
                    ] {
                        for (j, d) in list.iter().flatten().enumerate() {
                            self.dependency(path!["packages", i, "distro", k, key, j], d);
                        }
                    }
                    for (key, text) in [("build", &o.build), ("install", &o.install)] {
                        if let Some(t) = text {
                            self.no_macros(
                                path!["packages", i, "distro", k, key],
                                &format!("`{key}`"),
                                t,
                            );
                        }
                    }
                }
            }
            let mut subpackages = Vec::new();
            for (j, s) in pkg.subpackages.iter().enumerate() {
                let sp = |k: &str| path!["packages", i, "subpackages", j, k];
                let name = format!("{}-{}", pkg.name, s.suffix);
                if !self.package_name(sp("suffix"), &name) {
                    ok = false;
                    continue;
                }
                self.single_line(sp("summary"), "the summary", &s.summary);
                self.nonempty(sp("summary"), "the summary", &s.summary);
                if let Some(d) = &s.description {
                    self.no_macros(sp("description"), "the description", d);
                }
                for (k, v) in [("group", &s.group), ("section", &s.section)] {
                    if let Some(v) = v {
                        self.single_line(sp(k), &format!("the {k}"), v);
                    }
                }
                for (key, list) in [("files", &s.files), ("config-files", &s.config_files)] {
                    for (n, f) in list.iter().enumerate() {
                        self.safe_path(
                            path!["packages", i, "subpackages", j, key, n],
                            "the file",
                            f,
                            true,
                        );
                    }
                }
                if s.files.is_empty() {
                    self.err(sp("files"), format!("subpackage `{name}` lists no files"));
                }
                for (n, d) in s.requires.iter().enumerate() {
                    self.dependency(path!["packages", i, "subpackages", j, "requires", n], d);
                }
                let sarchs = s.archs.as_ref().map(|a| self.archs(sp("archs"), a, true));
                subpackages.push((s, name, sarchs));
            }
            let (Some(project), Some(upstream), true) = (project, upstream, ok) else {
                continue;
            };
            let mut targets = BTreeMap::new();
            for t in &project.targets {
                let o = names::most_specific(pkg.distro.keys(), t).map(|k| &pkg.distro[k]);
                let br_src = o
                    .and_then(|o| o.build_requires.as_ref())
                    .unwrap_or(&pkg.build_requires);
                let rq_src = o.and_then(|o| o.requires.as_ref()).unwrap_or(&pkg.requires);
                let mut build_requires = Vec::new();
                for d in br_src {
                    push_unique(
                        &mut build_requires,
                        resolve_dep(d, t, names, &local, rootfs),
                    );
                }
                if let Some(tc) = &pkg.toolchain {
                    let min = &raw.toolchains[tc];
                    let list = t.toolchains.get(tc).cloned().unwrap_or_default();
                    push_unique(
                        &mut build_requires,
                        list.iter().map(|s| s.replace("{version}", min)).collect(),
                    );
                }
                if vendor == Some(Vendor::Cargo) && t.family.group() == Some("suse") {
                    push_unique(&mut build_requires, vec!["cargo-packaging".to_string()]);
                }
                let mut requires = Vec::new();
                for d in rq_src {
                    let exact = exact_requires(d, &pkg.upstream, &upstream.version, t, raw);
                    push_unique(
                        &mut requires,
                        exact.unwrap_or_else(|| resolve_dep(d, t, names, &local, rootfs)),
                    );
                }
                targets.insert(
                    t.id.clone(),
                    TargetDeps {
                        build_requires,
                        requires,
                        build: o
                            .and_then(|o| o.build.clone())
                            .or_else(|| pkg.build.clone())
                            .unwrap_or_else(|| "make".to_string()),
                        install: o
                            .and_then(|o| o.install.clone())
                            .or_else(|| pkg.install.clone())
                            .unwrap_or_else(|| {
                                "make install DESTDIR=$DESTDIR PREFIX=/usr".to_string()
                            }),
                    },
                );
            }
            let subpackages = subpackages
                .into_iter()
                .map(|(s, name, sarchs)| Subpackage {
                    name,
                    suffix: s.suffix.clone(),
                    summary: s.summary.clone(),
                    description: s.description.clone().unwrap_or_else(|| {
                        format!(
                            "{}\n\nThis package contains {}.",
                            pkg.description.trim_end(),
                            lowercase_first(&s.summary)
                        )
                    }),
                    group: s.group.clone().or_else(|| pkg.group.clone()),
                    section: s
                        .section
                        .clone()
                        .or_else(|| pkg.section.clone())
                        .unwrap_or_else(|| "misc".to_string()),
                    archs: sarchs,
                    requires: project
                        .targets
                        .iter()
                        .map(|t| {
                            let mut v = Vec::new();
                            for d in &s.requires {
                                let exact =
                                    exact_requires(d, &pkg.upstream, &upstream.version, t, raw);
                                push_unique(
                                    &mut v,
                                    exact.unwrap_or_else(|| {
                                        resolve_dep(d, t, names, &local, rootfs)
                                    }),
                                );
                            }
                            (t.id.clone(), v)
                        })
                        .collect(),
                    files: s.files.clone(),
                    config_files: s.config_files.clone(),
                })
                .collect();
            out.push(Package {
                name: pkg.name.clone(),
                upstream: pkg.upstream.clone(),
                version: upstream.version.clone(),
                revision: 1,
                summary: pkg.summary.clone(),
                description: pkg.description.trim_end().to_string(),
                license: pkg
                    .license
                    .clone()
                    .unwrap_or_else(|| project.license.clone()),
                url: pkg.url.clone().or_else(|| project.homepage.clone()),
                group: pkg.group.clone(),
                section: pkg.section.clone().unwrap_or_else(|| "misc".to_string()),
                archs,
                toolchain: pkg.toolchain.clone(),
                vendor,
                targets,
                files: pkg.files.clone(),
                config_files: pkg.config_files.clone(),
                patches,
                subpackages,
                changelog: Vec::new(),
            });
        }
        self.cycles(raw, project.map(|p| p.targets.as_slice()).unwrap_or(&[]));
        out
    }

    pub(in crate::manifest) fn toolchains(&mut self, raw: &raw::Manifest) {
        for (k, v) in &raw.toolchains {
            if let Err(e) = version::check(v) {
                self.version_err(path!["toolchains", k], v, e);
            }
        }
    }
}
