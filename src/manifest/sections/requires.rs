//! Requirements between the manifest's own packages: none on itself, none in a cycle.

use std::collections::HashMap;

use crate::distro::Distro;
use crate::manifest::load::Cx;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::names;
use crate::path;

/// The package a dependency names, without a version constraint (`foo >= 1`, `foo (>= 1)`).
fn dependency_name(d: &str) -> &str {
    let d = d.trim();
    d.find([' ', '(', '<', '>', '=']).map_or(d, |i| &d[..i])
}

/// Package index -> the packages it requires, each with where the requirement is written.
type Graph = Vec<Vec<(usize, Vec<Seg>)>>;

/// The first cycle of a directed graph, as the nodes on it and where its closing edge is
/// written.
fn find_cycle(edges: &Graph) -> Option<(Vec<usize>, Vec<Seg>)> {
    // 0 = unvisited, 1 = on the stack, 2 = done
    fn visit(
        i: usize,
        edges: &Graph,
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<(Vec<usize>, Vec<Seg>)> {
        state[i] = 1;
        stack.push(i);
        for (k, at) in &edges[i] {
            if state[*k] == 1 {
                let from = stack.iter().position(|s| s == k).unwrap_or(0);
                return Some((stack[from..].to_vec(), at.clone()));
            }
            if state[*k] == 0 {
                if let Some(c) = visit(*k, edges, state, stack) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        state[i] = 2;
        None
    }
    let mut state = vec![0u8; edges.len()];
    for i in 0..edges.len() {
        if state[i] == 0 {
            if let Some(c) = visit(i, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

impl Cx<'_> {
    /// A package that requires or build-requires itself, in its own lists, its per-distro
    /// overrides or its subpackages' lists.
    pub(in crate::manifest) fn no_self_requires(&mut self, i: usize, pkg: &raw::Package) -> bool {
        let mut ok = true;
        let mut lists: Vec<(Vec<Seg>, &str, &[String], &str)> = vec![
            (
                path!["packages", i, "requires"],
                "requires",
                &pkg.requires,
                pkg.name.as_str(),
            ),
            (
                path!["packages", i, "build-requires"],
                "build-requires",
                &pkg.build_requires,
                pkg.name.as_str(),
            ),
        ];
        for (k, o) in &pkg.distro {
            if let Some(l) = &o.requires {
                lists.push((
                    path!["packages", i, "distro", k, "requires"],
                    "requires",
                    l,
                    &pkg.name,
                ));
            }
            if let Some(l) = &o.build_requires {
                lists.push((
                    path!["packages", i, "distro", k, "build-requires"],
                    "build-requires",
                    l,
                    &pkg.name,
                ));
            }
        }
        let sub_names: Vec<String> = pkg
            .subpackages
            .iter()
            .map(|s| format!("{}-{}", pkg.name, s.suffix))
            .collect();
        for (j, s) in pkg.subpackages.iter().enumerate() {
            lists.push((
                path!["packages", i, "subpackages", j, "requires"],
                "requires",
                &s.requires,
                &sub_names[j],
            ));
        }
        for (at, verb, list, name) in lists {
            for (j, d) in list.iter().enumerate() {
                if dependency_name(d) != name {
                    continue;
                }
                let mut q = at.clone();
                q.push(Seg::Index(j));
                let what = if name == pkg.name {
                    "package"
                } else {
                    "subpackage"
                };
                if verb == "requires" {
                    self.err_note(
                        q,
                        format!("{what} `{name}` requires itself"),
                        "a package always provides itself; drop the entry",
                    );
                } else {
                    self.err_note(
                        q,
                        format!("{what} `{name}` build-requires itself"),
                        "OBS could never build it: it would need itself before its first build",
                    );
                }
                ok = false;
            }
        }
        ok
    }

    /// Requires between the manifest's own packages must not loop, on any target: each
    /// target takes its requires from the most specific `[packages.distro]` override.
    pub(in crate::manifest) fn cycles(&mut self, raw: &raw::Manifest, targets: &[Distro]) {
        let index: HashMap<&str, usize> = raw
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        // One graph per distinct choice of lists; without targets, the plain lists.
        let mut graphs: Vec<(Graph, Option<String>)> = Vec::new();
        let choices: Vec<Option<&Distro>> = if targets.is_empty() {
            vec![None]
        } else {
            targets.iter().map(Some).collect()
        };
        for t in choices {
            let mut edges = Vec::new();
            let mut overridden = false;
            for (i, p) in raw.packages.iter().enumerate() {
                let key = t.and_then(|t| names::most_specific(p.distro.keys(), t));
                let (list, at) =
                    match key.and_then(|k| p.distro[k].requires.as_ref().map(|l| (k, l))) {
                        Some((k, l)) => {
                            overridden = true;
                            (l, path!["packages", i, "distro", k, "requires"])
                        }
                        None => (&p.requires, path!["packages", i, "requires"]),
                    };
                let mut out = Vec::new();
                for (j, d) in list.iter().enumerate() {
                    if let Some(&k) = index.get(dependency_name(d)) {
                        if k != i {
                            let mut q = at.clone();
                            q.push(Seg::Index(j));
                            out.push((k, q));
                        }
                    }
                }
                edges.push(out);
            }
            let label = t.filter(|_| overridden).map(|t| t.id.clone());
            if !graphs.iter().any(|(g, _)| {
                g.iter()
                    .zip(&edges)
                    .all(|(a, b)| a.iter().map(|x| x.0).eq(b.iter().map(|x| x.0)))
            }) {
                graphs.push((edges, label));
            }
        }
        for (edges, label) in graphs {
            if let Some((cycle, at)) = find_cycle(&edges) {
                let mut names: Vec<&str> = cycle
                    .iter()
                    .map(|&c| raw.packages[c].name.as_str())
                    .collect();
                names.push(names[0]);
                let message = match label {
                    Some(t) => format!("requires form a cycle on {t}: {}", names.join(" -> ")),
                    None => format!("requires form a cycle: {}", names.join(" -> ")),
                };
                self.err_note(
                    at,
                    message,
                    "each needs the other, so neither can be installed, upgraded or removed on its own; drop one direction or merge them",
                );
                return;
            }
        }
    }
}
