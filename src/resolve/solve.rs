//! Installability through resolvo, a CDCL SAT solver for package dependencies (the one
//! pixi and rattler use, modelled on libsolv). The universe is every package of a
//! target's repositories plus the packages the project builds; a requirement becomes
//! the set of packages that satisfy it (by name and version, or by a Provides), and
//! resolvo decides whether one package per name can be picked so that everything
//! asked for, and everything that needs, is installed.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use resolvo::utils::{Pool, VersionSet};
use resolvo::{
    Candidates, Condition, ConditionId, ConditionalRequirement, Dependencies, DependencyProvider,
    Interner, KnownDependencies, LogicalOperator, NameId, Problem, Requirement, SolvableId, Solver,
    SolverCache, StringId, UnsolvableOrCancelled, VersionSetId, VersionSetUnionId,
};

use super::deps::{Atom, Dep};
use super::index::Pkg;
use crate::distro::Format;
use crate::version;

/// Every package a target can install from, indexed by name and by what it provides.
pub(crate) struct Universe {
    pub format: Format,
    pub pkgs: Vec<Pkg>,
    /// Repository names, indexed by `Pkg::origin`.
    pub origins: Vec<String>,
    by_name: HashMap<String, Vec<u32>>,
    providers: HashMap<String, Vec<(u32, Option<String>)>>,
}

impl Universe {
    pub(crate) fn new(format: Format, origins: Vec<String>, pkgs: Vec<Pkg>) -> Universe {
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        let mut providers: HashMap<String, Vec<(u32, Option<String>)>> = HashMap::new();
        for (i, p) in pkgs.iter().enumerate() {
            let i = i as u32;
            by_name.entry(p.name.clone()).or_default().push(i);
            for (name, v) in &p.provides {
                // rpm lists a package's own `name = evr` among its provides
                if name != &p.name {
                    providers
                        .entry(name.clone())
                        .or_default()
                        .push((i, v.clone()));
                }
            }
        }
        Universe {
            format,
            pkgs,
            origins,
            by_name,
            providers,
        }
    }

    /// Order two versions the way the target's package manager does.
    pub(crate) fn compare(&self, a: &str, b: &str) -> Ordering {
        match self.format {
            Format::Deb => version::dpkg_compare(a, b),
            Format::Rpm => version::rpm_evr_compare(a, b),
        }
    }

    fn version_ok(&self, have: &str, atom: &Atom) -> bool {
        match &atom.constraint {
            None => true,
            Some((op, want)) => op.holds(self.compare(have, want)),
        }
    }

    /// The packages named `name`.
    pub(crate) fn named(&self, name: &str) -> Vec<&Pkg> {
        self.by_name
            .get(name)
            .map(|v| v.iter().map(|&i| &self.pkgs[i as usize]).collect())
            .unwrap_or_default()
    }

    /// The packages that provide `name` without being named so, with the version provided.
    pub(crate) fn providing(&self, name: &str) -> Vec<(&Pkg, Option<&str>)> {
        self.providers
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|(i, ver)| (&self.pkgs[*i as usize], ver.as_deref()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The packages that satisfy `atom`: by name and version, or by a Provides (Debian:
    /// a versioned requirement needs a versioned Provides; rpm: an unversioned Provides
    /// satisfies any version).
    pub(crate) fn matches(&self, atom: &Atom) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .by_name
            .get(&atom.name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| self.version_ok(&self.pkgs[i as usize].version, atom))
            .collect();
        for (i, v) in self.providers.get(&atom.name).into_iter().flatten() {
            let ok = match (v, &atom.constraint) {
                (_, None) => true,
                (Some(v), Some(_)) => self.version_ok(v, atom),
                (None, Some(_)) => self.format == Format::Rpm,
            };
            if ok {
                out.push(*i);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether anything at all answers to `name` (a package, a Provides or, for rpm,
    /// a file path the index lists).
    pub(crate) fn knows(&self, name: &str) -> bool {
        self.by_name.contains_key(name) || self.providers.contains_key(name)
    }

    fn term(&self, dep: &Dep) -> Option<Vec<u32>> {
        match dep {
            Dep::Atom(a) => Some(self.matches(a)),
            Dep::With(v) => {
                let mut sets = v.iter().map(|d| self.term(d));
                let mut acc = sets.next()??;
                for s in sets {
                    let s = s?;
                    acc.retain(|i| s.binary_search(i).is_ok());
                }
                Some(acc)
            }
            Dep::Without(a, b) => {
                let mut a = self.term(a)?;
                let b = self.term(b)?;
                a.retain(|i| b.binary_search(i).is_err());
                Some(a)
            }
            _ => None,
        }
    }
}

/// One clause of a requirement in conjunctive form: alternatives (each a set of
/// packages), required only when the condition (alternatives too) is installed.
#[derive(Debug, Clone)]
pub(crate) struct Clause {
    pub alternatives: Vec<Dep>,
    pub condition: Option<Vec<Dep>>,
}

/// A requirement as clauses resolvo can take. rpm's `unless`, an `else` branch and an
/// `if` nested under `or` have no clause form: they are left out (the check is then
/// more lenient than rpm, never stricter).
pub(crate) fn clauses(dep: &Dep) -> Vec<Clause> {
    match dep {
        Dep::Atom(_) | Dep::With(_) | Dep::Without(..) => vec![Clause {
            alternatives: vec![dep.clone()],
            condition: None,
        }],
        Dep::And(v) => v.iter().flat_map(clauses).collect(),
        Dep::Or(v) => {
            let mut acc: Vec<Clause> = vec![Clause {
                alternatives: Vec::new(),
                condition: None,
            }];
            for d in v {
                let sub = clauses(d);
                if sub.is_empty() || sub.iter().any(|c| c.condition.is_some()) {
                    return Vec::new();
                }
                let mut next = Vec::new();
                for a in &acc {
                    for s in &sub {
                        let mut alternatives = a.alternatives.clone();
                        alternatives.extend(s.alternatives.iter().cloned());
                        next.push(Clause {
                            alternatives,
                            condition: None,
                        });
                    }
                }
                if next.len() > 64 {
                    return Vec::new();
                }
                acc = next;
            }
            acc
        }
        Dep::If(a, b, _) => {
            let condition: Option<Vec<Dep>> = match b.as_ref() {
                Dep::Or(v) if v.iter().all(|d| matches!(d, Dep::Atom(_))) => Some(v.clone()),
                d @ Dep::Atom(_) => Some(vec![d.clone()]),
                _ => None,
            };
            match condition {
                Some(c) => clauses(a)
                    .into_iter()
                    .filter(|x| x.condition.is_none())
                    .map(|x| Clause {
                        alternatives: x.alternatives,
                        condition: Some(c.clone()),
                    })
                    .collect(),
                None => Vec::new(),
            }
        }
        Dep::Unless(..) => Vec::new(),
    }
}

/// A version set: the packages of one name that satisfy a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Members {
    ids: Vec<u32>,
    label: String,
}

impl VersionSet for Members {
    type V = SolvableRecord;
}

/// A solvable's record: the package's index in the universe, and how to show it.
pub(crate) struct SolvableRecord {
    pkg: u32,
    label: String,
}

impl fmt::Display for SolvableRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The universe as resolvo asks for it: candidates per name, made solvables on demand.
pub(crate) struct Provider<'u> {
    pub universe: &'u Universe,
    pool: Pool<Members, String>,
    solvables: RefCell<HashMap<u32, SolvableId>>,
    /// Requirements rpm satisfies from file lists that `primary.xml` leaves out.
    lenient_files: bool,
}

impl<'u> Provider<'u> {
    pub(crate) fn new(universe: &'u Universe) -> Provider<'u> {
        Provider {
            universe,
            pool: Pool::default(),
            solvables: RefCell::new(HashMap::new()),
            lenient_files: universe.format == Format::Rpm,
        }
    }

    fn pkg_of(&self, s: SolvableId) -> u32 {
        self.pool.resolve_solvable(s).record.pkg
    }

    fn solvable(&self, pkg: u32) -> SolvableId {
        if let Some(s) = self.solvables.borrow().get(&pkg) {
            return *s;
        }
        let p = &self.universe.pkgs[pkg as usize];
        let name = self.pool.intern_package_name(p.name.clone());
        let s = self.pool.intern_solvable(
            name,
            SolvableRecord {
                pkg,
                label: format!("{} {}", p.name, p.version),
            },
        );
        self.solvables.borrow_mut().insert(pkg, s);
        s
    }

    /// Version sets, one per package name, for the packages that satisfy any of `terms`.
    /// Each is shown as the constraint on that name, or as what its packages provide.
    fn version_sets(&self, terms: &[Dep]) -> Option<Vec<VersionSetId>> {
        let mut by_name: BTreeMap<&str, (Vec<u32>, Vec<String>)> = BTreeMap::new();
        for t in terms {
            let direct = match t {
                Dep::Atom(a) => Some(a),
                _ => None,
            };
            for i in self.universe.term(t)? {
                let name = self.universe.pkgs[i as usize].name.as_str();
                let label = match direct {
                    Some(a) if a.name == name => match &a.constraint {
                        Some(_) => a.to_string()[a.name.len()..].trim().to_string(),
                        None => "*".to_string(),
                    },
                    _ => format!("providing {t}"),
                };
                let entry = by_name.entry(name).or_default();
                entry.0.push(i);
                if !entry.1.contains(&label) {
                    entry.1.push(label);
                }
            }
        }
        if by_name.is_empty() {
            // Nothing satisfies it: an empty set under the first name, so that resolvo
            // reports the requirement as having no candidates.
            let first = terms.first()?.atoms().first()?.to_owned().clone();
            let label = match &first.constraint {
                Some(_) => first.to_string()[first.name.len()..].trim().to_string(),
                None => "*".to_string(),
            };
            let name = self.pool.intern_package_name(first.name);
            return Some(vec![self.pool.intern_version_set(
                name,
                Members {
                    ids: Vec::new(),
                    label,
                },
            )]);
        }
        Some(
            by_name
                .into_iter()
                .map(|(n, (mut ids, labels))| {
                    ids.sort_unstable();
                    ids.dedup();
                    let name = self.pool.intern_package_name(n.to_string());
                    self.pool.intern_version_set(
                        name,
                        Members {
                            ids,
                            label: labels.join(" | "),
                        },
                    )
                })
                .collect(),
        )
    }

    /// A clause as resolvo's requirement; `None` when the check leaves it out.
    pub(crate) fn requirement(&self, clause: &Clause) -> Option<ConditionalRequirement> {
        if self.lenient_files
            && clause.alternatives.iter().all(|d| {
                matches!(d, Dep::Atom(a) if a.name.starts_with('/') && !self.universe.knows(&a.name))
            })
        {
            return None;
        }
        let sets = self.version_sets(&clause.alternatives)?;
        let requirement = match sets.as_slice() {
            [one] => Requirement::Single(*one),
            [first, rest @ ..] => Requirement::Union(
                self.pool
                    .intern_version_set_union(*first, rest.iter().copied()),
            ),
            [] => return None,
        };
        let condition = match &clause.condition {
            None => None,
            Some(c) => {
                let sets = self.version_sets(c)?;
                let mut ids = sets
                    .into_iter()
                    .map(|vs| self.pool.intern_condition(Condition::Requirement(vs)));
                let first = ids.next()?;
                Some(ids.fold(first, |acc, next| {
                    self.pool
                        .intern_condition(Condition::Binary(LogicalOperator::Or, acc, next))
                }))
            }
        };
        Some(ConditionalRequirement {
            condition,
            requirement,
        })
    }

    /// Exactly this package.
    pub(crate) fn exactly(&self, pkg: u32) -> ConditionalRequirement {
        let p = &self.universe.pkgs[pkg as usize];
        let name = self.pool.intern_package_name(p.name.clone());
        let vs = self.pool.intern_version_set(
            name,
            Members {
                ids: vec![pkg],
                label: match self.universe.format {
                    Format::Deb => format!("(= {})", p.version),
                    Format::Rpm => format!("= {}", p.version),
                },
            },
        );
        Requirement::Single(vs).into()
    }
}

impl Interner for Provider<'_> {
    fn display_solvable(&self, solvable: SolvableId) -> impl fmt::Display + '_ {
        &self.pool.resolve_solvable(solvable).record
    }

    fn display_name(&self, name: NameId) -> impl fmt::Display + '_ {
        self.pool.resolve_package_name(name)
    }

    fn display_version_set(&self, version_set: VersionSetId) -> impl fmt::Display + '_ {
        &self.pool.resolve_version_set(version_set).label
    }

    fn display_string(&self, string_id: StringId) -> impl fmt::Display + '_ {
        self.pool.resolve_string(string_id)
    }

    fn version_set_name(&self, version_set: VersionSetId) -> NameId {
        self.pool.resolve_version_set_package_name(version_set)
    }

    fn solvable_name(&self, solvable: SolvableId) -> NameId {
        self.pool.resolve_solvable(solvable).name
    }

    fn version_sets_in_union(
        &self,
        version_set_union: VersionSetUnionId,
    ) -> impl Iterator<Item = VersionSetId> {
        self.pool.resolve_version_set_union(version_set_union)
    }

    fn resolve_condition(&self, condition: ConditionId) -> Condition {
        self.pool.resolve_condition(condition).clone()
    }
}

impl DependencyProvider for Provider<'_> {
    async fn filter_candidates(
        &self,
        candidates: &[SolvableId],
        version_set: VersionSetId,
        inverse: bool,
    ) -> Vec<SolvableId> {
        let members = &self.pool.resolve_version_set(version_set).ids;
        candidates
            .iter()
            .copied()
            .filter(|&s| members.binary_search(&self.pkg_of(s)).is_ok() != inverse)
            .collect()
    }

    async fn get_candidates(&self, name: NameId) -> Option<Candidates> {
        let name = self.pool.resolve_package_name(name);
        let ids = self.universe.by_name.get(name).cloned().unwrap_or_default();
        Some(Candidates {
            candidates: ids.into_iter().map(|i| self.solvable(i)).collect(),
            ..Candidates::default()
        })
    }

    async fn sort_candidates(&self, _solver: &SolverCache<Self>, solvables: &mut [SolvableId]) {
        let u = self.universe;
        solvables.sort_by(|&a, &b| {
            let (pa, pb) = (
                &u.pkgs[self.pkg_of(a) as usize],
                &u.pkgs[self.pkg_of(b) as usize],
            );
            u.compare(&pb.version, &pa.version)
                .then(pa.origin.cmp(&pb.origin))
        });
    }

    async fn get_dependencies(&self, solvable: SolvableId) -> Dependencies {
        let pkg = &self.universe.pkgs[self.pkg_of(solvable) as usize];
        let requirements = pkg
            .depends
            .iter()
            .flat_map(clauses)
            .filter_map(|c| self.requirement(&c))
            .collect();
        // Conflicts on real package names; a package never conflicts with itself, and
        // conflicts with virtual names mostly say "only one provider" (left to apt).
        let mut constrains = Vec::new();
        for atom in &pkg.conflicts {
            if atom.name == pkg.name {
                continue;
            }
            let Some(all) = self.universe.by_name.get(&atom.name) else {
                continue;
            };
            let bad = self.universe.matches(atom);
            let ids: Vec<u32> = all
                .iter()
                .copied()
                .filter(|i| bad.binary_search(i).is_err())
                .collect();
            let name = self.pool.intern_package_name(atom.name.clone());
            constrains.push(self.pool.intern_version_set(
                name,
                Members {
                    ids,
                    label: format!("not {atom} (conflicts with {})", pkg.name),
                },
            ));
        }
        Dependencies::Known(KnownDependencies {
            requirements,
            constrains,
        })
    }
}

/// Whether `requirements` can be installed together; on failure resolvo's account.
pub(crate) fn solve(
    solver: &mut Solver<Provider<'_>>,
    requirements: Vec<ConditionalRequirement>,
) -> Result<(), String> {
    match solver.solve(Problem::new().requirements(requirements)) {
        Ok(_) => Ok(()),
        Err(UnsolvableOrCancelled::Unsolvable(conflict)) => {
            Err(conflict.display_user_friendly(solver).to_string())
        }
        Err(UnsolvableOrCancelled::Cancelled(_)) => Err("the solver was cancelled".to_string()),
    }
}
