//! `[[packages]]` and `[toolchains]`: each package's keys checked, then resolved per target.

use std::collections::HashSet;
use std::path::Path;

use super::dependencies::DependencyScope;
use crate::distro::{self, Distro};
use crate::manifest::checks::{no_control, smoke_test};
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::names::NameTable;
use crate::path;
use crate::version::{self, escape_for_message};

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A subpackage whose keys passed: it, its full name and its own architectures.
type CheckedSubpackage<'a> = (&'a raw::Subpackage, String, Option<Vec<String>>);

/// The path of key `k` of package `i`.
fn key(i: usize, k: &str) -> Vec<Seg> {
    path!["packages", i, k]
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
        let scope = DependencyScope {
            raw,
            names,
            local: raw.packages.iter().map(|p| p.name.as_str()).collect(),
            rootfs,
        };
        let mut out = Vec::new();
        for (i, pkg) in raw.packages.iter().enumerate() {
            if let Some(p) = self.package(i, pkg, raw, dir, project, upstreams, &scope) {
                out.push(p);
            }
        }
        self.cycles(raw, project.map(|p| p.targets.as_slice()).unwrap_or(&[]));
        out
    }

    /// One `[[packages]]` entry; `None` when something was reported.
    #[allow(clippy::too_many_arguments)]
    fn package(
        &mut self,
        i: usize,
        pkg: &raw::Package,
        raw: &raw::Manifest,
        dir: &Path,
        project: Option<&Project>,
        upstreams: &[Upstream],
        scope: &DependencyScope,
    ) -> Option<Package> {
        let mut ok = self.package_name(key(i, "name"), &pkg.name);
        let upstream = upstreams.iter().find(|u| u.name == pkg.upstream);
        if upstream.is_none() {
            self.unknown_upstream(key(i, "upstream"), &pkg.upstream, raw);
        }
        ok &= self.package_text(i, pkg);
        let archs = self.package_archs(i, pkg, project);
        ok &= self.package_toolchain(i, pkg, raw, project);
        let vendor = self.vendor(i, pkg);
        ok &= self.cargo_toml(i, pkg, vendor);
        ok &= self.package_requires(i, pkg);
        ok &= self.package_build(i, pkg);
        ok &= self.package_files(i, pkg);
        ok &= self.package_conventions(i, pkg);
        let (patches, patches_ok) = self.patches(i, pkg, dir);
        ok &= patches_ok;
        self.package_overrides(i, pkg, project);
        let (subpackages, subpackages_ok) = self.subpackages(i, pkg);
        ok &= subpackages_ok;
        let (Some(project), Some(upstream), true) = (project, upstream, ok) else {
            return None;
        };
        let subpackages = subpackages
            .into_iter()
            .map(|s| subpackage(s, pkg, upstream, &project.targets, scope))
            .collect();
        // nothing is compiled when the package is arch-independent or its build is empty
        let empty = |b: &Option<String>| b.as_deref().is_some_and(|b| b.trim().is_empty());
        let compiles = !(empty(&pkg.build)
            && pkg
                .distro
                .values()
                .all(|o| o.build.is_none() || empty(&o.build)));
        let noarch = archs.iter().any(|a| a == "noarch");
        let debug_package = pkg.debug_package.unwrap_or(compiles && !noarch);
        Some(Package {
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
            cargo_toml: pkg.cargo_toml.clone(),
            targets: scope.targets(pkg, upstream, vendor, &project.targets),
            files: pkg.files.clone(),
            config_files: pkg.config_files.clone(),
            patches,
            license_files: pkg.license_files.clone(),
            static_units: pkg.static_units.clone(),
            debug_package,
            test: pkg.test.clone(),
            subpackages,
            changelog: Vec::new(),
            vendored: None,
        })
    }

    /// The summary, description, group, section, license and URL of package `i`.
    fn package_text(&mut self, i: usize, pkg: &raw::Package) -> bool {
        let p = |k: &str| key(i, k);
        let mut ok = self.single_line(p("summary"), "the summary", &pkg.summary)
            && self.nonempty(p("summary"), "the summary", &pkg.summary);
        if pkg.summary.len() > 80 {
            self.err(
                p("summary"),
                "the summary is longer than 80 characters; put details in the description",
            );
        }
        ok &= self.nonempty(p("description"), "the description", &pkg.description);
        self.check(
            p("description"),
            &pkg.description,
            no_control("the description", &pkg.description),
        );
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
        ok
    }

    /// The package's own `archs`, else the project's.
    fn package_archs(
        &mut self,
        i: usize,
        pkg: &raw::Package,
        project: Option<&Project>,
    ) -> Vec<String> {
        match &pkg.archs {
            Some(a) => {
                let v = self.archs(key(i, "archs"), a, true);
                if a.is_empty() {
                    self.err(key(i, "archs"), "a package needs at least one architecture");
                }
                v
            }
            None => project.map(|p| p.archs.clone()).unwrap_or_default(),
        }
    }

    /// A `toolchain` has a minimum version, and every target knows its packages.
    fn package_toolchain(
        &mut self,
        i: usize,
        pkg: &raw::Package,
        raw: &raw::Manifest,
        project: Option<&Project>,
    ) -> bool {
        let Some(tc) = &pkg.toolchain else {
            return true;
        };
        if !raw.toolchains.contains_key(tc) {
            self.err_note(
                key(i, "toolchain"),
                format!(
                    "toolchain `{}` has no minimum version",
                    escape_for_message(tc)
                ),
                format!("add it under [toolchains], e.g. {tc} = \"1.22\""),
            );
            return false;
        }
        let mut ok = true;
        for t in project.map(|p| p.targets.as_slice()).unwrap_or(&[]) {
            if !t.toolchains.contains_key(tc) {
                self.err_note(key(i, "toolchain"), format!("distro `{}` does not know toolchain `{}`", t.id, escape_for_message(tc)), format!("add [distros.\"{}\"] toolchains = {{ {tc} = [\"<package> >= {{version}}\"] }}", t.id));
                ok = false;
            }
        }
        ok
    }

    /// `cargo-toml`: with `vendor = "cargo"` only, a relative path inside the sources
    /// to a `Cargo.toml`.
    fn cargo_toml(&mut self, i: usize, pkg: &raw::Package, vendor: Option<Vendor>) -> bool {
        let Some(c) = &pkg.cargo_toml else {
            return true;
        };
        if vendor != Some(Vendor::Cargo) {
            self.err_note(
                key(i, "cargo-toml"),
                "`cargo-toml` needs `vendor = \"cargo\"`",
                "add vendor = \"cargo\", or remove cargo-toml",
            );
            return false;
        }
        let inside = !c.starts_with('/')
            && c.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "/._-+".contains(ch));
        if !inside || !(c == "Cargo.toml" || c.ends_with("/Cargo.toml")) {
            self.err_note(
                key(i, "cargo-toml"),
                format!("`{}` is not a Cargo.toml inside the sources", escape_for_message(c)),
                "give the path from the top of the sources, e.g. cargo-toml = \"src/agent/Cargo.toml\"",
            );
            return false;
        }
        true
    }

    fn vendor(&mut self, i: usize, pkg: &raw::Package) -> Option<Vendor> {
        match pkg.vendor.as_deref() {
            None => None,
            Some("go") => Some(Vendor::Go),
            Some("cargo") => Some(Vendor::Cargo),
            Some(v) => {
                self.err_note(
                    key(i, "vendor"),
                    format!("unknown vendoring `{}`", escape_for_message(v)),
                    "use \"go\" (go_modules service) or \"cargo\" (cargo_vendor service)",
                );
                None
            }
        }
    }

    /// `build-requires` and `requires`: each entry a dependency, none on the package itself.
    fn package_requires(&mut self, i: usize, pkg: &raw::Package) -> bool {
        let mut ok = true;
        for (key, list) in [
            ("build-requires", &pkg.build_requires),
            ("requires", &pkg.requires),
        ] {
            for (j, d) in list.iter().enumerate() {
                ok &= self.dependency(path!["packages", i, key, j], d);
            }
        }
        ok & self.no_self_requires(i, pkg)
    }

    /// The `build` and `install` commands, and the smoke test.
    fn package_build(&mut self, i: usize, pkg: &raw::Package) -> bool {
        let mut ok = true;
        for (k, text) in [("build", &pkg.build), ("install", &pkg.install)] {
            if let Some(t) = text {
                ok &= self.no_macros(key(i, k), &format!("`{k}`"), t);
                self.check(key(i, k), t, no_control(&format!("`{k}`"), t));
            }
        }
        if let Some(t) = &pkg.test {
            ok &= self.check(key(i, "test"), t, smoke_test(t));
        }
        ok
    }

    /// `files` and `config-files`: at least one file, each an installed path.
    fn package_files(&mut self, i: usize, pkg: &raw::Package) -> bool {
        if pkg.files.is_empty() {
            self.err_note(
                key(i, "files"),
                format!("package `{}` lists no files", pkg.name),
                "list what `install` puts in $DESTDIR, e.g. files = [\"/usr/bin/tool\"]",
            );
        }
        let mut ok = true;
        for (key, list) in [("files", &pkg.files), ("config-files", &pkg.config_files)] {
            for (j, f) in list.iter().enumerate() {
                ok &= self.safe_path(path!["packages", i, key, j], "the file", f, true);
            }
        }
        ok
    }

    /// `license-files`, each a path in the source tree, and `static-units`, each a
    /// systemd unit the package or a subpackage lists in `files`.
    fn package_conventions(&mut self, i: usize, pkg: &raw::Package) -> bool {
        let mut ok = true;
        for (j, f) in pkg.license_files.iter().enumerate() {
            ok &= self.safe_path(
                path!["packages", i, "license-files", j],
                "the licence file",
                f,
                false,
            );
        }
        let files: Vec<String> = pkg
            .files
            .iter()
            .chain(pkg.subpackages.iter().flat_map(|s| &s.files))
            .cloned()
            .collect();
        let units = systemd_units(&files);
        for (j, u) in pkg.static_units.iter().enumerate() {
            if !units.contains(u) {
                let listed = if units.is_empty() {
                    "the package lists no unit under /usr/lib/systemd/system".to_string()
                } else {
                    format!("its units are {}", units.join(", "))
                };
                self.err_note(
                    path!["packages", i, "static-units", j],
                    format!(
                        "`{}` is not a systemd unit of package `{}`",
                        escape_for_message(u),
                        pkg.name
                    ),
                    format!("name a unit listed in `files` by its file name; {listed}"),
                );
                ok = false;
            }
        }
        ok
    }

    /// The patches of package `i`, read beside the manifest, and whether all of them were.
    fn patches(&mut self, i: usize, pkg: &raw::Package, dir: &Path) -> (Vec<Patch>, bool) {
        let mut ok = true;
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
        (patches, ok)
    }

    /// `[packages.distro.<key>]`: a known key, with dependencies and commands like the package's.
    fn package_overrides(&mut self, i: usize, pkg: &raw::Package, project: Option<&Project>) {
        if pkg.distro.is_empty() {
            return;
        }
        // The keys a package may use: built once for its overrides, not for every package.
        let known: Vec<Distro> = distro::builtin()
            .into_iter()
            .chain(project.iter().flat_map(|p| p.targets.iter().cloned()))
            .collect();
        for (k, o) in &pkg.distro {
            if !self.lookup_key(path!["packages", i, "distro", k], k, &known) {
                continue;
            }
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

    /// The subpackages of package `i` whose names are valid, and whether all of them were.
    fn subpackages<'r>(
        &mut self,
        i: usize,
        pkg: &'r raw::Package,
    ) -> (Vec<CheckedSubpackage<'r>>, bool) {
        let mut ok = true;
        let mut subpackages = Vec::new();
        for (j, s) in pkg.subpackages.iter().enumerate() {
            let name = format!("{}-{}", pkg.name, s.suffix);
            if !self.package_name(path!["packages", i, "subpackages", j, "suffix"], &name) {
                ok = false;
                continue;
            }
            self.subpackage_keys(i, j, s, &name);
            let sarchs = s
                .archs
                .as_ref()
                .map(|a| self.archs(path!["packages", i, "subpackages", j, "archs"], a, true));
            subpackages.push((s, name, sarchs));
        }
        (subpackages, ok)
    }

    /// The keys of subpackage `j` of package `i`, named `name`, besides its suffix and archs.
    fn subpackage_keys(&mut self, i: usize, j: usize, s: &raw::Subpackage, name: &str) {
        let sp = |k: &str| path!["packages", i, "subpackages", j, k];
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
    }

    /// `[toolchains]`: each minimum a version.
    pub(in crate::manifest) fn toolchains(&mut self, raw: &raw::Manifest) {
        for (k, v) in &raw.toolchains {
            if let Err(e) = version::check(v) {
                self.version_err(path!["toolchains", k], v, e);
            }
        }
    }
}

/// A checked subpackage of `pkg`, resolved for every target.
fn subpackage(
    (s, name, sarchs): CheckedSubpackage,
    pkg: &raw::Package,
    upstream: &Upstream,
    targets: &[Distro],
    scope: &DependencyScope,
) -> Subpackage {
    Subpackage {
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
        requires: targets
            .iter()
            .map(|t| {
                let v = scope.requires(&s.requires, &pkg.upstream, &upstream.version, t);
                (t.id.clone(), v)
            })
            .collect(),
        files: s.files.clone(),
        config_files: s.config_files.clone(),
    }
}
