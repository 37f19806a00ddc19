//! `[names]`, and the one namespace that packages, subpackages and rootfs images share.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use crate::distro::Distro;
use crate::manifest::diagnostics::line_at;
use crate::manifest::load::Cx;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::names::NameTable;
use crate::path;

impl Cx<'_> {
    pub(in crate::manifest) fn names(
        &mut self,
        raw: &raw::Manifest,
        distros: &[Distro],
    ) -> NameTable {
        let mut out = NameTable::new();
        for (logical, keys) in &raw.names {
            let mut m = IndexMap::new();
            for (k, v) in keys {
                if self.lookup_key(path!["names", logical, k], k, distros) {
                    let list = v.to_vec();
                    for x in &list {
                        self.dependency(path!["names", logical, k], x);
                    }
                    m.insert(k.clone(), list);
                }
            }
            out.insert(logical.clone(), m);
        }
        out
    }

    /// Every package, subpackage, rootfs and rootfs image needs a name of its own: they share
    /// the OBS project, the repositories and `obs/<name>/`. The later one is reported.
    pub(in crate::manifest) fn name_clashes(&mut self, raw: &raw::Manifest) {
        // (name, what it is, where it is named)
        let mut names: Vec<(String, String, Vec<Seg>)> = Vec::new();
        for (i, pkg) in raw.packages.iter().enumerate() {
            names.push((
                pkg.name.clone(),
                format!("package `{}`", pkg.name),
                path!["packages", i, "name"],
            ));
            for (j, s) in pkg.subpackages.iter().enumerate() {
                let name = format!("{}-{}", pkg.name, s.suffix);
                names.push((
                    name.clone(),
                    format!("subpackage `{name}` of `{}`", pkg.name),
                    path!["packages", i, "subpackages", j, "suffix"],
                ));
            }
        }
        for (i, r) in raw.rootfs.iter().enumerate() {
            names.push((
                r.name.clone(),
                format!("rootfs `{}`", r.name),
                path!["rootfs", i, "name"],
            ));
            let mut bases: Vec<&String> = r.bases.iter().collect();
            bases.sort();
            bases.dedup();
            for b in bases {
                let name = format!("{}-{b}", r.name);
                names.push((
                    name.clone(),
                    format!("image package `{name}` of rootfs `{}`", r.name),
                    path!["rootfs", i, "name"],
                ));
                // the image package's own OBS package, obs/<rootfs>-<base>-pkg/
                let dir = format!("{name}-pkg");
                names.push((
                    dir.clone(),
                    format!("OBS package `{dir}` of rootfs `{}`", r.name),
                    path!["rootfs", i, "name"],
                ));
            }
        }
        // No name twice, the common case: no need to locate them in the file, which parses
        // its layout.
        let mut seen: HashSet<&str> = HashSet::with_capacity(names.len());
        if names.iter().all(|(name, _, _)| seen.insert(name.as_str())) {
            return;
        }
        let at = |path: &[Seg]| self.src.span(path).map_or(0, |s| s.start);
        let mut located: Vec<(usize, usize)> = names
            .iter()
            .enumerate()
            .map(|(n, (_, _, path))| (at(path), n))
            .collect();
        located.sort();
        let mut first: HashMap<&str, usize> = HashMap::new();
        // a rootfs defined twice: its images clash too, but one message says it all
        let mut reported: HashSet<usize> = HashSet::new();
        for (offset, n) in located {
            let (name, what, path) = &names[n];
            let Some(&m) = first.get(name.as_str()) else {
                first.insert(name, n);
                continue;
            };
            if !reported.insert(offset) {
                continue;
            }
            let (_, earlier, earlier_path) = &names[m];
            let line = line_at(self.src, earlier_path);
            let message = if what == earlier {
                format!("{what} is defined twice")
            } else {
                format!("{what} has the same name as {earlier}")
            };
            self.err_note(
                path.clone(),
                message,
                match line {
                    Some(l) => format!("`{name}` is first defined at line {l}; packages, subpackages and rootfs images share one namespace"),
                    None => "packages, subpackages and rootfs images share one namespace".to_string(),
                },
            );
        }
    }
}
