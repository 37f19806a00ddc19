//! `pkgforge resolve`: every build requirement and every runtime requirement of every
//! rendered package, checked per target against the target's real repository metadata
//! plus the packages the project builds, before anything is pushed to OBS.
//!
//! The solver is resolvo (see [`solve`]): a maintained CDCL SAT solver in Rust, built
//! after libsolv's design and used by pixi and rattler. It runs in-process on the
//! indexes pkgforge already parsed, so `resolve` needs no tool on the host, works the
//! same for Debian and rpm targets, and takes alternatives, versioned Provides and
//! rpm's conditional (`if`) requirements natively. libsolv itself (what OBS uses) would
//! need C bindings or its `testsolv` tool and a repository format conversion; dose3
//! checks Debian only.

pub(crate) mod deps;
pub(crate) mod index;
pub(crate) mod project;
pub(crate) mod solve;

use std::collections::BTreeMap;

use serde::Serialize;

/// Text the check cannot read: a dependency, a package index, the spec or control file
/// of a rendered package. The message says what and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ParseError(String);

impl From<String> for ParseError {
    fn from(message: String) -> Self {
        ParseError(message)
    }
}

use crate::distro::{Distro, Format};
use crate::manifest::Model;
use crate::remote::mirror::Mirror;
use crate::render::Output;
use deps::Dep;
use solve::{Provider, Universe};

/// What was found on one target.
#[derive(Debug, Serialize)]
pub(crate) struct TargetReport {
    pub target: String,
    /// The architecture checked, by the target's own name.
    pub arch: String,
    pub repositories: Vec<String>,
    /// Packages in the target's repositories.
    pub available: usize,
    /// Binary packages the project builds there.
    pub packages: usize,
    /// Requirements checked (build and runtime, as written).
    pub requirements: usize,
    pub problems: Vec<Problem>,
    /// Why the target could not be checked at all.
    pub error: Option<String>,
}

/// One requirement that cannot be met.
#[derive(Debug, Serialize)]
pub(crate) struct Problem {
    pub package: String,
    /// `build` or `runtime`.
    pub kind: &'static str,
    pub requirement: String,
    /// What the repositories have instead.
    pub found: String,
    pub fix: String,
    /// The solver's account, when the package is there but what it needs is not.
    pub details: Option<String>,
    /// The package of this project that cannot be installed and so makes this one fail:
    /// its own problem is the one reported.
    #[serde(skip)]
    blocked_by: Option<String>,
}

impl Problem {
    /// The one-line message: target, package, requirement, what is there, the fix.
    pub(crate) fn message(&self, target: &str) -> String {
        let kind = match self.kind {
            "build" => "build requirement",
            _ => "requirement",
        };
        format!(
            "{target}: {}: {kind} `{}` cannot be met: {}: {}",
            self.package, self.requirement, self.found, self.fix
        )
    }
}

/// The architecture a target is checked on: `wanted` when given, else x86_64 when the
/// project builds it, else the project's first.
pub(crate) fn arch_for(model: &Model, target: &Distro, wanted: Option<&str>) -> String {
    let rpm = wanted.map(str::to_string).unwrap_or_else(|| {
        if model.project.archs.iter().any(|a| a == "x86_64") {
            "x86_64".to_string()
        } else {
            model
                .project
                .archs
                .first()
                .cloned()
                .unwrap_or_else(|| "x86_64".to_string())
        }
    });
    target.arch_name(&rpm)
}

/// Check one target.
pub(crate) fn check_target(
    model: &Model,
    outputs: &[Output],
    target: &Distro,
    arch: &str,
    mirror: &Mirror,
) -> TargetReport {
    let mut report = TargetReport {
        target: target.id.clone(),
        arch: arch.to_string(),
        repositories: target.repositories.iter().map(|r| r.name.clone()).collect(),
        available: 0,
        packages: 0,
        requirements: 0,
        problems: Vec::new(),
        error: None,
    };
    let (universe, builds, first_built) =
        match target_universe(outputs, target, arch, mirror, &mut report) {
            Ok(x) => x,
            Err(e) => {
                report.error = Some(e);
                return report;
            }
        };
    let mut checker = Checker {
        model,
        target,
        universe: &universe,
        optional: None,
        solver: resolvo::Solver::new(Provider::new(&universe)),
        mirror,
        arch,
    };
    let mut checks: Vec<(String, &'static str, Vec<Dep>, Option<u32>)> = builds
        .into_iter()
        .map(|b| (b.package, "build", b.depends, None))
        .collect();
    for i in first_built..universe.pkgs.len() as u32 {
        let p = &universe.pkgs[i as usize];
        checks.push((p.name.clone(), "runtime", p.depends.clone(), Some(i)));
    }
    for (package, kind, depends, pkg) in checks {
        report.requirements += depends.len();
        checker.check(&package, kind, &depends, pkg, &mut report.problems);
    }
    // A package that fails only because another package of the project does is not
    // news: the other's problem is reported.
    let failing: Vec<String> = report
        .problems
        .iter()
        .filter(|p| p.blocked_by.is_none())
        .map(|p| p.package.clone())
        .collect();
    report
        .problems
        .retain(|p| p.blocked_by.as_ref().is_none_or(|b| !failing.contains(b)));
    report
}

/// The target's repositories plus the packages the project builds there, the project's
/// build requirements, and the index of the first package the project builds.
fn target_universe(
    outputs: &[Output],
    target: &Distro,
    arch: &str,
    mirror: &Mirror,
    report: &mut TargetReport,
) -> Result<(Universe, Vec<project::Build>, u32), String> {
    if target.repositories.is_empty() {
        return Err(format!(
            "{} has no repositories to check against; give them under [distros.{}] repositories",
            target.id, target.id
        ));
    }
    let format = target.format();
    let mut pkgs = Vec::new();
    let mut origins = Vec::new();
    for (i, repo) in target.repositories.iter().enumerate() {
        pkgs.extend(
            index::fetch(mirror, format, repo, arch, i)
                .map_err(|e| format!("repository {}: {e}", repo.name))?,
        );
        origins.push(repo.name.clone());
    }
    report.available = pkgs.len();
    let own = origins.len();
    origins.push("this project".to_string());
    let (built, builds) =
        project::packages(outputs, target, arch, own).map_err(|e| e.to_string())?;
    let first_built = pkgs.len() as u32;
    report.packages = built.len();
    pkgs.extend(built);
    Ok((Universe::new(format, origins, pkgs), builds, first_built))
}

/// The solver over one target's universe, and what explains its failures.
struct Checker<'a> {
    model: &'a Model,
    target: &'a Distro,
    universe: &'a Universe,
    /// The optional repositories, read only when something fails, to suggest one.
    optional: Option<Universe>,
    solver: resolvo::Solver<Provider<'a>>,
    mirror: &'a Mirror,
    arch: &'a str,
}

impl<'a> Checker<'a> {
    fn context(&self) -> Context<'_> {
        Context {
            model: self.model,
            target: self.target,
            universe: self.universe,
            optional: self.optional.as_ref(),
        }
    }

    fn requirements(&self, dep: &Dep) -> Vec<resolvo::ConditionalRequirement> {
        solve::clauses(dep)
            .iter()
            .filter_map(|c| self.solver.provider().requirement(c))
            .collect()
    }

    /// Check one package's requirements (or its installability, for one the project
    /// builds) and push a problem for each that cannot be met.
    fn check(
        &mut self,
        package: &str,
        kind: &'static str,
        depends: &[Dep],
        pkg: Option<u32>,
        problems: &mut Vec<Problem>,
    ) {
        let all: Vec<_> = match pkg {
            Some(i) => vec![self.solver.provider().exactly(i)],
            None => depends.iter().flat_map(|d| self.requirements(d)).collect(),
        };
        let Err(account) = solve::solve(&mut self.solver, all) else {
            return;
        };
        if self.optional.is_none() {
            let target = self.target;
            self.optional = Some(optional_universe(
                target,
                target.format(),
                self.arch,
                self.mirror,
            ));
        }
        let before = problems.len();
        self.culprits(package, kind, depends, problems);
        if problems.len() == before {
            problems.push(Problem {
                package: package.to_string(),
                kind,
                requirement: depends
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                found: "each requirement can be met, but not all of them together".to_string(),
                fix: "see the solver's account below".to_string(),
                details: Some(account),
                blocked_by: None,
            });
        }
    }

    /// The culprits: each requirement that fails alone, or that fails once added to the
    /// ones before it that can be met (a conditional one, a conflict).
    fn culprits(
        &mut self,
        package: &str,
        kind: &'static str,
        depends: &[Dep],
        problems: &mut Vec<Problem>,
    ) {
        let mut before: Vec<(&Dep, Vec<resolvo::ConditionalRequirement>)> = Vec::new();
        for dep in depends {
            let reqs = self.requirements(dep);
            if reqs.is_empty() {
                continue;
            }
            let mut with: Vec<_> = before.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
            with.extend(reqs.iter().cloned());
            let Err(why) = solve::solve(&mut self.solver, with) else {
                before.push((dep, reqs));
                continue;
            };
            if let Err(alone) = solve::solve(&mut self.solver, reqs.clone()) {
                problems.push(self.context().explain(package, kind, dep, &alone));
                continue;
            }
            // It fails beside an earlier one: name the pair, and report the one that
            // asks for what is missing (`(a if b)` beside `b`).
            let solver = &mut self.solver;
            let partner = before.iter().find(|(_, r)| {
                let mut pair = r.clone();
                pair.extend(reqs.iter().cloned());
                solve::solve(solver, pair).is_err()
            });
            let universe = self.universe;
            let missing = |d: &Dep| {
                d.required_atoms()
                    .iter()
                    .any(|a| universe.matches(a).is_empty())
            };
            let (culprit, other) = match partner {
                Some((e, _)) if missing(e) && !missing(dep) => (*e, Some(dep)),
                Some((e, _)) => (dep, Some(*e)),
                None => (dep, None),
            };
            let mut problem = self.context().explain(package, kind, culprit, &why);
            problem.found = match other {
                Some(o) => format!("{} (together with `{o}`)", problem.found),
                None => format!(
                    "{} (together with the requirements before it)",
                    problem.found
                ),
            };
            if problem.details.is_none() && !problem.fix.contains("toolchains") && other.is_none() {
                problem.details = Some(why);
            }
            problems.push(problem);
        }
    }
}

/// The optional repositories' packages; one that cannot be read only costs a suggestion.
fn optional_universe(target: &Distro, format: Format, arch: &str, mirror: &Mirror) -> Universe {
    let mut pkgs = Vec::new();
    let mut origins = Vec::new();
    for (i, repo) in target.optional_repositories.iter().enumerate() {
        match index::fetch(mirror, format, repo, arch, i) {
            Ok(p) => pkgs.extend(p),
            Err(e) => eprintln!(
                "warning: {}: cannot read optional repository {}: {e}",
                target.id, repo.name
            ),
        }
        origins.push(repo.name.clone());
    }
    Universe::new(format, origins, pkgs)
}

/// What was found for the names a requirement asks for.
#[derive(Default)]
struct Findings {
    found: Vec<String>,
    /// What only the optional repositories have, and the first of them that has it.
    elsewhere: Vec<String>,
    elsewhere_repo: Option<String>,
    /// A match exists but cannot be installed.
    broken: bool,
    blocked_by: Option<String>,
    /// The rootfs whose image is asked for.
    image: Option<String>,
}

struct Context<'a> {
    model: &'a Model,
    target: &'a Distro,
    universe: &'a Universe,
    optional: Option<&'a Universe>,
}

impl Context<'_> {
    /// What the repositories have for an unmet requirement, and the fix.
    fn explain(&self, package: &str, kind: &'static str, dep: &Dep, why: &str) -> Problem {
        let t = &self.target.id;
        let mut f = Findings::default();
        for atom in dep.required_atoms() {
            self.find(atom, &mut f);
        }
        f.found.extend(f.elsewhere);
        let mut fixes: Vec<String> = Vec::new();
        if let Some(repo) = &f.elsewhere_repo {
            fixes.push(format!(
                "add it to {t}'s repositories (add-repositories = [\"{repo}\"] under [distros.{t}])"
            ));
        }
        if let Some(tc) = self.toolchain_of(package, dep) {
            fixes.push(format!("lower [toolchains] {tc}"));
        }
        if let Some(rootfs) = &f.image {
            fixes.push(format!(
                "build the image into a package that provides it, or drop {rootfs} from {package}'s requires"
            ));
        }
        if fixes.is_empty() {
            fixes.push(if f.broken {
                "make what it needs installable (the solver's account follows)".to_string()
            } else {
                format!(
                    "check the name, map it to {t}'s package under [names], or add the repository that has it to [distros.{t}]"
                )
            });
        }
        Problem {
            package: package.to_string(),
            kind,
            requirement: dep.to_string(),
            found: f.found.join("; "),
            fix: fixes.join(", or "),
            details: f.broken.then(|| why.to_string()),
            blocked_by: f.blocked_by,
        }
    }

    /// What the repositories (and the optional ones) have for one required name.
    fn find(&self, atom: &deps::Atom, f: &mut Findings) {
        let u = self.universe;
        let own = u.origins.len() - 1;
        let matches = u.matches(atom);
        if !matches.is_empty() {
            let p = &u.pkgs[newest(u, &matches) as usize];
            let from = if p.origin == own {
                "this project's".to_string()
            } else {
                format!("{}'s", u.origins[p.origin])
            };
            f.found.push(format!(
                "{from} {} {} cannot be installed",
                p.name, p.version
            ));
            f.broken = true;
            if p.origin == own {
                f.blocked_by = Some(p.name.clone());
            }
            return;
        }
        let mut in_optional = false;
        if let Some(o) = self.optional {
            let m = o.matches(atom);
            if !m.is_empty() {
                let p = &o.pkgs[newest(o, &m) as usize];
                f.elsewhere.push(format!(
                    "{} {} is in {}",
                    p.name, p.version, o.origins[p.origin]
                ));
                f.elsewhere_repo
                    .get_or_insert_with(|| o.origins[p.origin].clone());
                in_optional = true;
            }
        }
        if let Some(p) = u
            .named(&atom.name)
            .iter()
            .max_by(|a, b| u.compare(&a.version, &b.version))
        {
            f.found.push(format!("{} is {}", p.name, p.version));
            return;
        }
        let providing = u.providing(&atom.name);
        if !providing.is_empty() {
            let mut who: Vec<String> = providing
                .iter()
                .map(|(p, v)| match v {
                    Some(v) => format!("{} ({} {v})", p.name, atom.name),
                    None => p.name.clone(),
                })
                .collect();
            who.sort();
            who.dedup();
            f.found
                .push(format!("{} is provided by {}", atom.name, who.join(", ")));
            return;
        }
        if let Some((rootfs, base)) = self.rootfs_of(&atom.name) {
            f.found.push(format!(
                "no package provides {}, the kiwi image of rootfs {rootfs} on {base}",
                atom.name
            ));
            f.image = Some(rootfs);
            return;
        }
        if !in_optional {
            f.found.push(format!(
                "no repository of {} has {}",
                self.target.id, atom.name
            ));
        }
    }

    /// The rootfs (and base) whose image package is named `name`.
    fn rootfs_of(&self, name: &str) -> Option<(String, String)> {
        self.model.rootfs.iter().find_map(|r| {
            r.bases
                .iter()
                .find(|b| r.package_name(b) == name)
                .map(|b| (r.name.clone(), b.id.clone()))
        })
    }

    /// The toolchain whose requirement `dep` is, when the package uses one.
    fn toolchain_of(&self, package: &str, dep: &Dep) -> Option<String> {
        let pkg = self
            .model
            .packages
            .iter()
            .find(|p| p.name == package || p.subpackages.iter().any(|s| s.name == package))?;
        let tc = pkg.toolchain.as_ref()?;
        let shown = dep.to_string();
        let templates = self.target.toolchains.get(tc)?;
        templates
            .iter()
            .any(|tpl| {
                let pattern = regex::escape(tpl).replace(r"\{version\}", "[0-9][0-9A-Za-z.+~]*");
                regex::Regex::new(&format!("^{pattern}$"))
                    .map(|re| re.is_match(&shown))
                    .unwrap_or(false)
            })
            .then(|| tc.clone())
    }
}

/// The newest of some packages (the first of equals).
fn newest(u: &Universe, ids: &[u32]) -> u32 {
    ids.iter()
        .copied()
        .reduce(|best, i| {
            let newer = u.compare(&u.pkgs[i as usize].version, &u.pkgs[best as usize].version);
            if newer == std::cmp::Ordering::Greater {
                i
            } else {
                best
            }
        })
        .unwrap_or(0)
}

/// The report `resolve` prints: one line per target, one per unmet requirement.
pub(crate) fn text(reports: &[TargetReport]) -> String {
    let mut out = String::new();
    for r in reports {
        if let Some(e) = &r.error {
            out.push_str(&format!("{} ({}): not checked: {e}\n", r.target, r.arch));
            continue;
        }
        let status = match r.problems.len() {
            0 => "all resolve".to_string(),
            1 => "1 requirement cannot be met".to_string(),
            n => format!("{n} requirements cannot be met"),
        };
        out.push_str(&format!(
            "{} ({}): {} packages, {} requirements against {} ({} packages): {status}\n",
            r.target,
            r.arch,
            r.packages,
            r.requirements,
            r.repositories.join(", "),
            r.available
        ));
        for p in &r.problems {
            out.push_str(&format!("  {}\n", p.message(&r.target)));
            if let Some(d) = &p.details {
                for line in d.lines().filter(|l| !l.trim().is_empty()) {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
    }
    out
}

/// Per target id, the reports keyed for `--json`.
pub(crate) fn json(reports: &[TargetReport]) -> serde_json::Result<String> {
    let map: BTreeMap<&str, &TargetReport> =
        reports.iter().map(|r| (r.target.as_str(), r)).collect();
    serde_json::to_string_pretty(&map)
}
