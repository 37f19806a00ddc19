//! Debian and Ubuntu: the OBS debtransform set in `obs/<package>/`, one for every deb
//! target, and a native `debian/` directory per target (`debian/<target>/<package>/debian/`).
//!
//! debtransform (obs-build) turns the OBS set into a format 1.0 source package: it
//! copies every `debian.<name>` file to `debian/<name>`, joins the patches listed in
//! `debian.series` into the `.diff.gz`, and takes the upstream tarball the `.dsc` names
//! in `DEBTRANSFORM-TAR`.

pub(crate) mod copyright;

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::templates::Templates;
use super::{service, Output, Serves};
use crate::changelog::ChangelogEntry;
use crate::distro::{self, Distro, Format};
use crate::error::Result;
use crate::manifest::{Model, Package, UpstreamSource, Vendor};

/// The newest policy version bookworm's lintian knows; newer lintians only note it as old.
/// The templates' `standards_version`.
pub(crate) const STANDARDS_VERSION: &str = "4.6.2";
/// The debhelper compatibility level: the templates' `debhelper_compat`, which they put
/// first in Build-Depends as `debhelper-compat (= N)`.
pub(crate) const DEBHELPER_COMPAT: u32 = 13;
/// The changelog distribution of the OBS set: OBS ignores it, and one set serves every target.
pub(crate) const OBS_DISTRIBUTION: &str = "unstable";
/// Native directories of a distro without a code name.
pub(crate) const FALLBACK_DISTRIBUTION: &str = "unstable";
/// The templates' `priority`.
pub(crate) const PRIORITY: &str = "optional";

/// Every Debian build has these (Build-Essential: yes); listing them unversioned in
/// Build-Depends is a lintian error.
const BUILD_ESSENTIAL: &[&str] = &[
    "build-essential",
    "dpkg-dev",
    "g++",
    "gcc",
    "libc-dev",
    "libc6-dev",
    "make",
];

/// Every Debian system has these (Essential: yes); listing them unversioned in
/// Depends or Build-Depends is a lintian error.
const ESSENTIAL: &[&str] = &[
    "base-files",
    "base-passwd",
    "bash",
    "bsdutils",
    "coreutils",
    "dash",
    "debianutils",
    "diffutils",
    "dpkg",
    "findutils",
    "grep",
    "gzip",
    "hostname",
    "init-system-helpers",
    "libc-bin",
    "login",
    "ncurses-base",
    "ncurses-bin",
    "perl-base",
    "sed",
    "sysvinit-utils",
    "tar",
    "util-linux",
];

/// Render the OBS set and the native directory of every deb target.
pub(crate) fn render(
    model: &Model,
    package: &Package,
    templates: &Templates,
) -> Result<Vec<Output>> {
    let targets: Vec<&Distro> = model.deb_targets().collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = obs(
        model,
        package,
        PathBuf::from("obs").join(&package.name),
        templates,
    )?;
    // The same for every target: rendered once.
    let copyright = copyright(model, package, templates)?;
    for t in &targets {
        out.extend(native(model, package, t, &copyright, templates)?);
    }
    Ok(out)
}

/// `obs/<package>/` (or an archived copy's directory): the `.dsc` and the `debian.*`
/// files debtransform reads, one set for every deb target.
pub(crate) fn obs(
    model: &Model,
    package: &Package,
    dir: PathBuf,
    templates: &Templates,
) -> Result<Vec<Output>> {
    let targets: Vec<&Distro> = model.deb_targets().collect();
    let targets = targets.as_slice();
    let serves = Serves::Format(Format::Deb);
    let file = |name: String, content: String| {
        Output::new(dir.join(name), content, Some(&package.name), serves.clone())
    };
    let control = Control::new(model, package, targets);
    let mut out = vec![
        file(
            format!("{}.dsc", package.name),
            dsc(model, package, &control, templates)?,
        ),
        file("debian.control".to_string(), control.render(templates)?),
        file(
            "debian.changelog".to_string(),
            changelog(package, OBS_DISTRIBUTION, false, templates)?,
        ),
        file(
            "debian.copyright".to_string(),
            copyright(model, package, templates)?,
        ),
    ];
    let mut rules = file(
        "debian.rules".to_string(),
        rules(package, targets, templates)?,
    );
    rules.executable = true;
    out.push(rules);
    if !package.patches.is_empty() {
        // the patch files themselves are in obs/<package>/ already, beside the spec's
        out.push(file(
            "debian.series".to_string(),
            series(package, true, templates)?,
        ));
    }
    for b in &control.binaries {
        out.push(file(
            format!("debian.{}.install", b.name),
            install(b, templates)?,
        ));
    }
    Ok(out)
}

/// `debian/<target>/<package>/debian/`: a 3.0 (quilt) source for one target.
fn native(
    model: &Model,
    package: &Package,
    target: &Distro,
    copyright: &str,
    templates: &Templates,
) -> Result<Vec<Output>> {
    let dir = Path::new("debian")
        .join(&target.id)
        .join(&package.name)
        .join("debian");
    let serves = Serves::one(&target.id);
    let file = |name: &str, content: Vec<u8>| {
        Output::new(dir.join(name), content, Some(&package.name), serves.clone())
    };
    let control = Control::new(model, package, &[target]);
    let distribution = target.codename.as_deref().unwrap_or(FALLBACK_DISTRIBUTION);
    let mut rules = file("rules", rules(package, &[target], templates)?.into_bytes());
    rules.executable = true;
    let mut out = vec![
        file("control", control.render(templates)?.into_bytes()),
        file(
            "changelog",
            changelog(package, distribution, true, templates)?.into_bytes(),
        ),
        file("copyright", copyright.as_bytes().to_vec()),
        file(
            "source/format",
            templates
                .render("debian/source-format.tera", &serde_json::json!({}))?
                .into_bytes(),
        ),
        rules,
    ];
    // Where uscan and dpkg-source look for the key that signs the upstream tarball.
    if let Some(keyring) = model
        .upstream(&package.upstream)
        .and_then(super::tarball_keyring)
    {
        out.push(file("upstream/signing-key.asc", keyring.to_vec()));
    }
    if !package.patches.is_empty() {
        out.push(file(
            "patches/series",
            series(package, false, templates)?.into_bytes(),
        ));
        for p in &package.patches {
            out.push(file(&format!("patches/{}", p.name), p.content.clone()));
        }
    }
    for b in &control.binaries {
        out.push(file(
            &format!("{}.install", b.name),
            install(b, templates)?.into_bytes(),
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// control

/// `debian/control`, for one target or folded over several.
struct Control {
    source: String,
    section: String,
    maintainer: String,
    homepage: Option<String>,
    build_depends: Vec<String>,
    binaries: Vec<Binary>,
}

struct Binary {
    name: String,
    section: String,
    /// Debian arch names, or `["all"]`.
    archs: Vec<String>,
    depends: Vec<String>,
    synopsis: String,
    description: String,
    /// What it contains: files and config files, absolute.
    files: Vec<String>,
}

#[derive(Serialize)]
struct ControlContext {
    source: String,
    section: String,
    priority: &'static str,
    maintainer: String,
    homepage: Option<String>,
    standards_version: &'static str,
    debhelper_compat: u32,
    /// Without debhelper-compat, which the template adds.
    build_depends: Vec<String>,
    binaries: Vec<BinaryContext>,
}

#[derive(Serialize)]
struct BinaryContext {
    name: String,
    /// Only when it differs from the source's.
    section: Option<String>,
    architecture: String,
    depends: Vec<String>,
    synopsis: String,
    description: String,
}

/// The Build-Depends of `targets`, folded and sorted, without debhelper-compat (the
/// templates add it) and what build-essential implies.
fn build_depends(package: &Package, targets: &[&Distro]) -> Vec<String> {
    let mut build_depends = fold_alternatives(
        targets
            .iter()
            .map(|t| {
                let mut v: Vec<String> = package.targets[&t.id]
                    .build_requires
                    .iter()
                    .filter(|d| !implied(d, true))
                    .cloned()
                    .collect();
                // tar needs zstd to unpack the cargo_vendor archive
                if package.vendor == Some(Vendor::Cargo) && !v.iter().any(|d| d == "zstd") {
                    v.push("zstd".to_string());
                }
                v
            })
            .collect(),
    );
    build_depends.retain(|d| !d.starts_with("debhelper-compat"));
    build_depends.sort();
    build_depends
}

impl Control {
    fn new(model: &Model, package: &Package, targets: &[&Distro]) -> Control {
        let build_depends = build_depends(package, targets);

        let main_archs = deb_archs(&package.archs);
        let main_all = main_archs.iter().any(|a| a == "all");
        let requires = |per: Vec<Vec<String>>| -> Vec<String> {
            let mut v: Vec<String> = fold_alternatives(per)
                .into_iter()
                .filter(|d| !implied(d, false))
                .collect();
            v.sort();
            v
        };
        let substvars = |all: bool| -> Vec<String> {
            if all {
                vec!["${misc:Depends}".to_string()]
            } else {
                vec![
                    "${shlibs:Depends}".to_string(),
                    "${misc:Depends}".to_string(),
                ]
            }
        };
        let mut main_depends = substvars(main_all);
        main_depends.extend(requires(
            targets
                .iter()
                .map(|t| package.targets[&t.id].requires.clone())
                .collect(),
        ));
        let mut binaries = vec![Binary {
            name: package.name.clone(),
            section: package.section.clone(),
            archs: main_archs,
            depends: main_depends,
            synopsis: package.summary.clone(),
            description: description(&package.description),
            files: package
                .files
                .iter()
                .chain(&package.config_files)
                .cloned()
                .collect(),
        }];
        for s in &package.subpackages {
            let archs = s
                .archs
                .as_deref()
                .map(deb_archs)
                .unwrap_or_else(|| binaries[0].archs.clone());
            let all = archs.iter().any(|a| a == "all");
            // binNMU-safe relations: an arch:all package cannot pin an arch:any one exactly
            let parent = match (all, main_all) {
                (false, false) | (true, true) => {
                    format!("{} (= ${{binary:Version}})", package.name)
                }
                (true, false) => format!("{} (>= ${{source:Version}})", package.name),
                (false, true) => format!("{} (= ${{source:Version}})", package.name),
            };
            let mut depends = substvars(all);
            depends.push(parent);
            depends.extend(requires(
                targets.iter().map(|t| s.requires[&t.id].clone()).collect(),
            ));
            binaries.push(Binary {
                name: s.name.clone(),
                section: s.section.clone(),
                archs,
                depends,
                synopsis: s.summary.clone(),
                description: description(&s.description),
                files: s.files.iter().chain(&s.config_files).cloned().collect(),
            });
        }
        Control {
            source: package.name.clone(),
            section: package.section.clone(),
            maintainer: model.project.maintainer.clone(),
            homepage: package.url.clone(),
            build_depends,
            binaries,
        }
    }

    fn render(&self, templates: &Templates) -> Result<String> {
        let ctx = ControlContext {
            source: self.source.clone(),
            section: self.section.clone(),
            priority: PRIORITY,
            maintainer: self.maintainer.clone(),
            homepage: self.homepage.clone(),
            standards_version: STANDARDS_VERSION,
            debhelper_compat: DEBHELPER_COMPAT,
            build_depends: self.build_depends.clone(),
            binaries: self
                .binaries
                .iter()
                .map(|b| BinaryContext {
                    name: b.name.clone(),
                    section: (b.section != self.section).then(|| b.section.clone()),
                    architecture: b.archs.join(" "),
                    depends: b.depends.clone(),
                    synopsis: b.synopsis.clone(),
                    description: b.description.clone(),
                })
                .collect(),
        };
        templates.render("debian/control.tera", &ctx)
    }

    /// The `.dsc` `Architecture:`: every arch of every binary, in order.
    fn architecture(&self) -> String {
        let mut v: Vec<&str> = Vec::new();
        for b in &self.binaries {
            for a in &b.archs {
                if !v.contains(&a.as_str()) {
                    v.push(a);
                }
            }
        }
        // dpkg-source lists arch:all last
        v.sort_by_key(|a| *a == "all");
        v.join(" ")
    }
}

/// rpm arch names as Debian's (`x86_64` -> `amd64`, `noarch` -> `all`).
pub(crate) fn deb_archs(archs: &[String]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for a in archs {
        let d = distro::arch_name(Format::Deb, a);
        if !v.contains(&d) {
            v.push(d);
        }
    }
    v
}

/// Whether a dependency goes without saying: an unversioned essential (or, for build
/// dependencies, build-essential) package, which lintian refuses in the field.
fn implied(dep: &str, build: bool) -> bool {
    let name = dep.trim();
    if name.contains(['|', '(', ' ']) {
        return false;
    }
    ESSENTIAL.contains(&name) || (build && BUILD_ESSENTIAL.contains(&name))
}

/// One dependency list per target folded into one list for all of them: what every
/// target has stays as it is; what differs is paired up, in order, as `a | b`
/// alternatives, so each target finds its own package among them.
pub(crate) fn fold_alternatives(per_target: Vec<Vec<String>>) -> Vec<String> {
    let Some(first) = per_target.first() else {
        return Vec::new();
    };
    let common: Vec<String> = first
        .iter()
        .filter(|d| per_target.iter().all(|l| l.contains(d)))
        .cloned()
        .collect();
    let rest: Vec<Vec<&String>> = per_target
        .iter()
        .map(|l| l.iter().filter(|d| !common.contains(d)).collect())
        .collect();
    let width = rest.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = common;
    for i in 0..width {
        let mut alternatives: Vec<&str> = Vec::new();
        for l in &rest {
            if let Some(d) = l.get(i) {
                for a in d.split('|').map(str::trim) {
                    if !alternatives.contains(&a) {
                        alternatives.push(a);
                    }
                }
            }
        }
        let joined = alternatives.join(" | ");
        if !out.contains(&joined) {
            out.push(joined);
        }
    }
    out
}

/// The `deb_field_list(field="Depends")` filter of the templates: a list as
/// [`field_list`] lays it out.
pub(crate) struct FieldList;

impl tera::Filter for FieldList {
    fn filter(
        &self,
        value: &tera::Value,
        args: &std::collections::HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        let items: Vec<String> = serde_json::from_value(value.clone())
            .map_err(|_| tera::Error::msg("the `deb_field_list` filter takes a list of strings"))?;
        let Some(field) = args.get("field").and_then(tera::Value::as_str) else {
            return Err(tera::Error::msg(
                "the `deb_field_list` filter needs a `field` argument, the field's name",
            ));
        };
        Ok(tera::Value::String(field_list(field, &items)))
    }
}

/// A comma-separated field value: on one line when `Field: value` fits in 80 columns,
/// else one item per line aligned under the first (wrap-and-sort's layout).
fn field_list(field: &str, items: &[String]) -> String {
    let one = items.join(", ");
    if field.len() + 2 + one.len() <= 80 {
        return one;
    }
    let indent = " ".repeat(field.len() + 2);
    items.join(&format!(",\n{indent}"))
}

/// The extended description: one leading space per line, ` .` for blank lines,
/// paragraphs wrapped at 80 columns, indented lines kept verbatim.
pub(crate) fn description(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for l in text.trim().lines() {
        let l = l.trim_end();
        if l.trim().is_empty() {
            if lines.last().map(String::as_str) != Some(" .") {
                lines.push(" .".to_string());
            }
        } else if l.starts_with(char::is_whitespace) {
            // two or more leading spaces: displayed verbatim
            lines.push(format!(" {l}"));
        } else if l.starts_with('.') {
            // policy reserves ` .text`
            lines.push(format!("  {l}"));
        } else {
            lines.extend(wrap(l, 79).into_iter().map(|w| format!(" {w}")));
        }
    }
    lines.join("\n")
}

/// Greedy word wrap to `width` columns; a longer word stays whole on its own line.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[derive(Serialize)]
struct InstallContext<'a> {
    /// Relative to debian/tmp.
    files: Vec<&'a str>,
}

/// `<binary>.install`: paths relative to debian/tmp, where `install` put them.
fn install(b: &Binary, templates: &Templates) -> Result<String> {
    let ctx = InstallContext {
        files: b.files.iter().map(|f| f.trim_start_matches('/')).collect(),
    };
    templates.render_verbatim("debian/install.tera", &ctx)
}

#[derive(Serialize)]
struct SeriesContext<'a> {
    /// Whether it is the OBS set's `debian.series`, whose patches debtransform applies
    /// with `-p1`, or the native directory's `patches/series`.
    obs: bool,
    patches: Vec<&'a str>,
}

/// The quilt series: the package's patches in order.
fn series(package: &Package, obs: bool, templates: &Templates) -> Result<String> {
    let ctx = SeriesContext {
        obs,
        patches: package.patches.iter().map(|p| p.name.as_str()).collect(),
    };
    templates.render_verbatim("debian/series.tera", &ctx)
}

// ---------------------------------------------------------------------------------
// .dsc

#[derive(Serialize)]
struct DscContext {
    source: String,
    binary: String,
    architecture: String,
    version: String,
    maintainer: String,
    homepage: Option<String>,
    standards_version: &'static str,
    debhelper_compat: u32,
    priority: &'static str,
    /// Without debhelper-compat, which the template adds.
    build_depends: Vec<String>,
    package_list: Vec<PackageListEntry>,
    tarball: String,
    series: bool,
}

/// A binary package as the `.dsc`'s `Package-List` names it.
#[derive(Serialize)]
struct PackageListEntry {
    name: String,
    section: String,
    archs: Vec<String>,
}

/// The upstream tarball the `_service` leaves in the OBS package.
pub(crate) fn tarball_file_name(model: &Model, package: &Package) -> String {
    match model.upstream(&package.upstream).map(|u| &u.source) {
        Some(UpstreamSource::Tarball { url, .. }) => super::url_file_name(url).to_string(),
        _ => service::git_tarball(model, package),
    }
}

fn dsc(
    model: &Model,
    package: &Package,
    control: &Control,
    templates: &Templates,
) -> Result<String> {
    let ctx = DscContext {
        source: package.name.clone(),
        binary: control
            .binaries
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        architecture: control.architecture(),
        // debtransform drops any epoch from the .dsc, then re-versions a changelog whose
        // top entry differs: so the OBS set carries none (see docs/manifest.md)
        version: format!("{}-{}", package.version.deb, package.revision),
        maintainer: control.maintainer.clone(),
        homepage: control.homepage.clone(),
        standards_version: STANDARDS_VERSION,
        debhelper_compat: DEBHELPER_COMPAT,
        priority: PRIORITY,
        // OBS installs what the .dsc says, then dpkg-buildpackage checks debian/control:
        // the same list in both
        build_depends: control.build_depends.clone(),
        package_list: control
            .binaries
            .iter()
            .map(|b| PackageListEntry {
                name: b.name.clone(),
                section: b.section.clone(),
                archs: b.archs.clone(),
            })
            .collect(),
        tarball: tarball_file_name(model, package),
        series: !package.patches.is_empty(),
    };
    templates.render("debian/dsc.tera", &ctx)
}

// ---------------------------------------------------------------------------------
// rules

#[derive(Serialize)]
struct RulesContext {
    name: String,
    go: bool,
    rust: bool,
    /// Directories of versioned toolchain packages, which install outside PATH.
    path: Vec<String>,
    /// Whether `$(JOBS)` is used.
    jobs: bool,
    /// Whether the scripts differ per target, so rules asks /etc/os-release.
    distro_switch: bool,
    /// Whether a script has more than one command, so each runs as one shell script.
    oneshell: bool,
    /// The vendored dependencies archive, when the package has one.
    vendor_archive: Option<String>,
    cargo_vendor: bool,
    build: Recipe,
    install: Recipe,
    /// Whether the package or a subpackage ships systemd units.
    units: bool,
    /// The units without an `[Install]` section (`static-units`): never started.
    static_units: Vec<String>,
    /// The other units, when there are static ones.
    started_units: Vec<String>,
    /// Whether no `-dbgsym` package is made (`debug-package = false`).
    no_dbgsym: bool,
}

fn rules(package: &Package, targets: &[&Distro], templates: &Templates) -> Result<String> {
    let go = package.toolchain.as_deref() == Some("go") || package.vendor == Some(Vendor::Go);
    let rust =
        package.toolchain.as_deref() == Some("rust") || package.vendor == Some(Vendor::Cargo);
    let mut path: Vec<String> = Vec::new();
    // Compiled once per process: compiling them per package was most of the render time.
    #[allow(
        clippy::expect_used,
        reason = "literal patterns; the tests compile them"
    )]
    static TOOLCHAIN_DIRS: LazyLock<[(Regex, &str); 2]> = LazyLock::new(|| {
        [
            (r"\bgolang-(\d+(?:\.\d+)*)-go\b", "/usr/lib/go-{}/bin"),
            (r"\brustc-(\d+(?:\.\d+)*)\b", "/usr/lib/rust-{}/bin"),
        ]
        .map(|(pattern, dir)| (Regex::new(pattern).expect("static regex"), dir))
    });
    for (re, dir) in TOOLCHAIN_DIRS.iter() {
        for t in targets {
            for d in &package.targets[&t.id].build_requires {
                for c in re.captures_iter(d) {
                    let p = dir.replace("{}", &c[1]);
                    if !path.contains(&p) {
                        path.push(p);
                    }
                }
            }
        }
    }
    let build = recipe(package, targets, |d| &d.build, true);
    let install = recipe(package, targets, |d| &d.install, false);
    let jobs = build.lines().any(|l| l.contains("$(JOBS)"));
    let units = package.all_systemd_units();
    let ctx = RulesContext {
        name: package.name.clone(),
        go,
        rust,
        path,
        jobs,
        distro_switch: !build.cases.is_empty() || !install.cases.is_empty(),
        oneshell: build.multiline || install.multiline,
        vendor_archive: package
            .vendor
            .map(|v| service::vendor_archive(v).to_string()),
        cargo_vendor: package.vendor == Some(Vendor::Cargo),
        build,
        install,
        units: !units.is_empty(),
        static_units: package.static_units.clone(),
        started_units: if package.static_units.is_empty() {
            Vec::new()
        } else {
            units
                .into_iter()
                .filter(|u| !package.static_units.contains(u))
                .collect()
        },
        no_dbgsym: !package.debug_package && !package.archs.iter().any(|a| a == "noarch"),
    };
    templates.render("debian/rules.tera", &ctx)
}

/// A `build` or `install` script as make recipe lines (without their tab). Scripts that
/// differ between targets become `cases`, chosen at build time with make conditionals on
/// `$(DISTRO)`, and the `default`.
#[derive(Serialize)]
struct Recipe {
    /// The scripts of the fewer targets, each with the ids of its targets.
    cases: Vec<Case>,
    /// The script most targets use, also for distros the table lacks.
    default: Vec<String>,
    #[serde(skip)]
    multiline: bool,
}

#[derive(Serialize)]
struct Case {
    targets: Vec<String>,
    lines: Vec<String>,
}

impl Recipe {
    fn lines(&self) -> impl Iterator<Item = &String> {
        self.cases
            .iter()
            .flat_map(|c| &c.lines)
            .chain(&self.default)
    }
}

fn recipe(
    package: &Package,
    targets: &[&Distro],
    pick: impl Fn(&crate::manifest::TargetDeps) -> &String,
    build: bool,
) -> Recipe {
    // distinct scripts, each with the targets using it, in target order
    let mut variants: Vec<(String, Vec<&str>)> = Vec::new();
    for t in targets {
        let s = pick(&package.targets[&t.id]).clone();
        match variants.iter_mut().find(|(x, _)| *x == s) {
            Some((_, ids)) => ids.push(&t.id),
            None => variants.push((s, vec![&t.id])),
        }
    }
    let multiline = variants.iter().any(|(s, _)| {
        s.lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .count()
            > 1
    });
    let default = (0..variants.len())
        .max_by_key(|i| (variants[*i].1.len(), std::cmp::Reverse(*i)))
        .unwrap_or(0);
    let cases = variants
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != default)
        .map(|(_, (script, ids))| Case {
            targets: ids.iter().map(|id| id.to_string()).collect(),
            lines: make_lines(script, build),
        })
        .collect();
    Recipe {
        cases,
        default: variants
            .get(default)
            .map(|(script, _)| make_lines(script, build))
            .unwrap_or_default(),
        multiline,
    }
}

/// Shell lines as make recipe lines: `$` doubled, `$DESTDIR` as debian/tmp, a leading
/// `make` as `$(MAKE)` (with the parallel jobs dpkg-buildpackage asks for, when building).
pub(crate) fn make_lines(script: &str, build: bool) -> Vec<String> {
    let mut out = Vec::new();
    for line in script.trim_end().lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let mut l = line.replace('$', "$$");
        for v in ["$${DESTDIR}", "$$(DESTDIR)", "$$DESTDIR"] {
            l = l.replace(v, "$(CURDIR)/debian/tmp");
        }
        let indent_len = l.len() - l.trim_start().len();
        let (indent, body) = l.split_at(indent_len);
        let mut words = body.splitn(2, [' ', '\t']);
        if words.next() == Some("make") {
            let rest = words.next().map(|r| format!(" {r}")).unwrap_or_default();
            let jobs = if build { " $(JOBS)" } else { "" };
            l = format!("{indent}$(MAKE){jobs}{rest}");
        }
        out.push(l);
    }
    out
}

// ---------------------------------------------------------------------------------
// changelog

#[derive(Serialize)]
struct ChangelogContext {
    entries: Vec<DchEntry>,
}

#[derive(Serialize)]
struct DchEntry {
    source: String,
    version: String,
    distribution: String,
    /// Each change wrapped at 80 columns, continuation lines indented under the text.
    changes: Vec<String>,
    author: String,
    date: String,
}

/// `debian/changelog` in dch's format from the package's changelog entries.
/// With `epoch`, the package's epoch goes on its newest entries, back to where the
/// versions stop falling (the release that made the epoch necessary is older).
fn changelog(
    package: &Package,
    distribution: &str,
    epoch: bool,
    templates: &Templates,
) -> Result<String> {
    let log = &package.changelog;
    let mut with_epoch = epoch && package.version.epoch.is_some();
    let mut entries = Vec::new();
    for (i, e) in log.iter().enumerate() {
        if i > 0 && compare_upstream(&e.version.deb, &log[i - 1].version.deb) == Ordering::Greater {
            with_epoch = false;
        }
        let revision = log[i..]
            .iter()
            .filter(|x| x.version.raw == e.version.raw)
            .count();
        let version = match (with_epoch, package.version.epoch) {
            (true, Some(n)) => format!("{n}:{}-{revision}", e.version.deb),
            _ => format!("{}-{revision}", e.version.deb),
        };
        entries.push(DchEntry {
            source: package.name.clone(),
            version,
            distribution: distribution.to_string(),
            changes: e.changes.iter().map(|c| change(c)).collect(),
            author: e.author.clone(),
            date: e.debian_date(),
        });
    }
    templates.render("debian/changelog.tera", &ChangelogContext { entries })
}

/// A change as dch wraps it: the text after `  * `, continuation lines indented by four.
pub(crate) fn change(text: &str) -> String {
    wrap(text, 76).join("\n    ")
}

pub use crate::version::compare_upstream;

// ---------------------------------------------------------------------------------
// copyright

/// The years of a changelog, oldest to newest, as a copyright line gives them: `2024`
/// or `2021-2024` (entries are newest first).
pub(crate) fn year_span(changelog: &[ChangelogEntry]) -> String {
    let year = |e: Option<&ChangelogEntry>| {
        e.map(|e| e.date.strftime("%Y").to_string())
            .unwrap_or_default()
    };
    let (newest, oldest) = (year(changelog.first()), year(changelog.last()));
    if newest == oldest {
        newest
    } else {
        format!("{oldest}-{newest}")
    }
}

#[derive(Serialize)]
struct CopyrightContext {
    upstream_name: String,
    source: Option<String>,
    upstream_copyright: String,
    packaging_copyright: String,
    license: String,
    licenses: Vec<copyright::License>,
    /// The package's `license-files`: where the source states its licence.
    license_files: Vec<String>,
    /// The vendored dependencies' `Files:` paragraphs, from `vendor-licenses.toml`.
    vendored: Vec<copyright::Files>,
}

fn copyright(model: &Model, package: &Package, templates: &Templates) -> Result<String> {
    let upstream = model.upstream(&package.upstream);
    let (name, source) = match upstream.map(|u| &u.source) {
        Some(UpstreamSource::Git { url, .. }) => (repository_name(url), Some(url.clone())),
        Some(UpstreamSource::Tarball { pattern, git, .. }) => {
            let file = super::url_file_name(pattern);
            let stem = super::tarball_dir(file);
            let name = stem
                .replace("-{version}", "")
                .replace("_{version}", "")
                .replace("{version}", "");
            let source = git
                .clone()
                .unwrap_or_else(|| pattern[..pattern.len() - file.len()].to_string());
            (name, Some(source))
        }
        None => (package.upstream.clone(), None),
    };
    let span = year_span(&package.changelog);
    let (license, mut licenses) = copyright::dep5(&package.license);
    let vendored = copyright::vendored(crate::manifest::vendored::current(package), &mut licenses);
    let ctx = CopyrightContext {
        upstream_copyright: format!("The {name} authors"),
        upstream_name: name,
        source,
        packaging_copyright: format!("{span} {}", model.project.maintainer),
        license,
        licenses,
        license_files: package.license_files.clone(),
        vendored,
    };
    templates.render("debian/copyright.tera", &ctx)
}

/// `https://github.com/kata-containers/kata-containers.git` -> `kata-containers`.
fn repository_name(url: &str) -> String {
    let last = url
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(url);
    last.trim_end_matches(".git").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn differing_dependencies_become_alternatives() {
        assert_eq!(
            fold_alternatives(vec![
                v(&["make", "libfoo-dev", "golang-go"]),
                v(&["make", "libfoo2-dev", "golang-go"]),
            ]),
            v(&["make", "golang-go", "libfoo-dev | libfoo2-dev"])
        );
        assert_eq!(
            fold_alternatives(vec![v(&["a", "b | c"]), v(&["a", "c | d"])]),
            v(&["a", "b | c | d"])
        );
        assert_eq!(
            fold_alternatives(vec![v(&["a"]), v(&["a", "x"])]),
            v(&["a", "x"])
        );
        assert_eq!(fold_alternatives(vec![]), Vec::<String>::new());
    }

    #[test]
    fn dpkg_version_order() {
        let ascending = [
            "1.9",
            "1.10",
            "3.2.0~~",
            "3.2.0~beta1",
            "3.2.0~rc1",
            "3.2.0",
            "3.2.0+git1",
            "3.2.0.1",
            "3.2.1~rc1",
            "3.2.1",
        ];
        for w in ascending.windows(2) {
            assert_eq!(compare_upstream(w[0], w[1]), Ordering::Less, "{w:?}");
            assert_eq!(compare_upstream(w[1], w[0]), Ordering::Greater, "{w:?}");
        }
        assert_eq!(compare_upstream("1.01", "1.1"), Ordering::Equal);
    }

    #[test]
    fn descriptions_and_make_lines() {
        assert_eq!(
            description("First paragraph.\n\nSecond one.\n  verbatim $x"),
            " First paragraph.\n .\n Second one.\n   verbatim $x"
        );
        assert_eq!(
            make_lines(
                "make -C src install DESTDIR=$DESTDIR PREFIX=/usr\necho ${HOME}",
                false
            ),
            v(&[
                "$(MAKE) -C src install DESTDIR=$(CURDIR)/debian/tmp PREFIX=/usr",
                "echo $${HOME}"
            ])
        );
        assert_eq!(make_lines("make", true), v(&["$(MAKE) $(JOBS)"]));
        assert_eq!(field_list("Depends", &v(&["a", "b"])), "a, b".to_string());
        assert_eq!(
            repository_name("https://github.com/kata-containers/kata-containers.git"),
            "kata-containers"
        );
    }
}
