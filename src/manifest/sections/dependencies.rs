//! Dependencies per target: each entry of a package's lists becomes the names the target's
//! package manager knows.

use std::collections::{BTreeMap, HashSet};

use crate::distro::{Distro, Format};
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::names::{self, NameTable};
use crate::version::Version;

pub(in crate::manifest) fn push_unique(v: &mut Vec<String>, items: Vec<String>) {
    for i in items {
        if !v.contains(&i) {
            v.push(i);
        }
    }
}

/// Components of one upstream are released together: a requirement on another package of
/// the same upstream pins its exact version, so they can never be installed skewed.
fn exact_requires(
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

/// The line that makes every `go build` of a script write a GNU build-id: a random
/// one, as Fedora's `%gobuild` passes it (`-ldflags "-B 0x..."`).
pub(crate) const GO_BUILD_ID: &str = "export GOFLAGS=\"${GOFLAGS:+$GOFLAGS }-ldflags=-B=0x$(head -c20 /dev/urandom | od -An -tx1 | tr -d ' \\n')\"";

/// What the dependencies of one package resolve against.
pub(in crate::manifest) struct DependencyScope<'a> {
    pub(in crate::manifest) raw: &'a raw::Manifest,
    pub(in crate::manifest) names: &'a NameTable,
    /// The manifest's own packages.
    pub(in crate::manifest) local: HashSet<&'a str>,
    pub(in crate::manifest) rootfs: &'a [Rootfs],
}

impl DependencyScope<'_> {
    /// `list` on target `t`, for a package of `upstream` at `version`: the manifest's packages
    /// of the same upstream pinned exactly.
    pub(in crate::manifest) fn requires(
        &self,
        list: &[String],
        upstream: &str,
        version: &Version,
        t: &Distro,
    ) -> Vec<String> {
        let mut v = Vec::new();
        for d in list {
            // Only the manifest's own packages are pinned: no search for the others.
            let exact = match self.local.contains(d.as_str()) {
                true => exact_requires(d, upstream, version, t, self.raw),
                false => None,
            };
            push_unique(
                &mut v,
                exact.unwrap_or_else(|| resolve_dep(d, t, self.names, &self.local, self.rootfs)),
            );
        }
        v
    }

    /// What package `pkg` of `upstream` needs to build and run on each target.
    pub(in crate::manifest) fn targets(
        &self,
        pkg: &raw::Package,
        upstream: &Upstream,
        vendor: Option<Vendor>,
        targets: &[Distro],
    ) -> BTreeMap<String, TargetDeps> {
        targets
            .iter()
            .map(|t| (t.id.clone(), self.target(pkg, upstream, vendor, t)))
            .collect()
    }

    fn target(
        &self,
        pkg: &raw::Package,
        upstream: &Upstream,
        vendor: Option<Vendor>,
        t: &Distro,
    ) -> TargetDeps {
        let o = names::most_specific(pkg.distro.keys(), t).map(|k| &pkg.distro[k]);
        let br_src = o
            .and_then(|o| o.build_requires.as_ref())
            .unwrap_or(&pkg.build_requires);
        let rq_src = o.and_then(|o| o.requires.as_ref()).unwrap_or(&pkg.requires);
        let mut build_requires = Vec::new();
        for d in br_src {
            push_unique(
                &mut build_requires,
                resolve_dep(d, t, self.names, &self.local, self.rootfs),
            );
        }
        if let Some(tc) = &pkg.toolchain {
            let min = &self.raw.toolchains[tc];
            let list = t.toolchains.get(tc).cloned().unwrap_or_default();
            push_unique(
                &mut build_requires,
                list.iter().map(|s| s.replace("{version}", min)).collect(),
            );
        }
        if vendor == Some(Vendor::Cargo) && t.family.group() == Some("suse") {
            push_unique(&mut build_requires, vec!["cargo-packaging".to_string()]);
        }
        let build = o
            .and_then(|o| o.build.clone())
            .or_else(|| pkg.build.clone())
            .unwrap_or_else(|| "make".to_string());
        let go = pkg.toolchain.as_deref() == Some("go") || vendor == Some(Vendor::Go);
        TargetDeps {
            build_requires,
            requires: self.requires(rq_src, &pkg.upstream, &upstream.version, t),
            build: if go && t.family.group() == Some("rhel") {
                // Fedora's packaging checks every ELF file for a GNU build-id, which
                // the Go linker writes only when asked, as Fedora's %gobuild asks it.
                format!("{GO_BUILD_ID}\n{build}")
            } else {
                build
            },
            install: o
                .and_then(|o| o.install.clone())
                .or_else(|| pkg.install.clone())
                .unwrap_or_else(|| "make install DESTDIR=$DESTDIR PREFIX=/usr".to_string()),
        }
    }
}
