//! RPM specs: one SUSE-style spec per package for OBS, with per-distro differences as
//! `%if` blocks, and one resolved spec per rpm target with its `%changelog` filled.

use serde::Serialize;

use super::rpm::{self, Section};
use super::service;
use super::templates::Templates;
use crate::changelog::split_author;
use crate::distro::Distro;
use crate::error::{Error, Result};
use crate::manifest::{systemd_units, Model, Package, Upstream, UpstreamSource};

#[derive(Serialize)]
struct Tag {
    n: usize,
    value: String,
}

#[derive(Serialize, Default)]
pub(crate) struct Conditional {
    condition: String,
    build_requires: Vec<String>,
    requires: Vec<String>,
}

/// A scriptlet section (`%post`, `%post doc`) and its blocks, each under its `%if`.
#[derive(Serialize)]
struct Scriptlet {
    section: &'static str,
    suffix: Option<String>,
    blocks: Vec<Block>,
}

#[derive(Serialize)]
struct Block {
    condition: Option<String>,
    lines: Vec<String>,
}

#[derive(Serialize)]
struct Sub {
    suffix: String,
    summary: String,
    group: Option<String>,
    requires: Vec<String>,
    /// Where `%{?systemd_requires}` goes: `Some("")` on every target, `Some(condition)`.
    systemd_requires: Option<String>,
    conditionals: Vec<Conditional>,
    build_arch: Option<String>,
    description: String,
    files: Vec<String>,
}

/// A `%changelog` entry: `* DATE AUTHOR - VERSION-REVISION`, then its changes.
#[derive(Serialize)]
struct ChangelogItem {
    date: String,
    author: String,
    version: String,
    /// Which release of `version` this entry is, counting from 1.
    revision: usize,
    changes: Vec<String>,
}

#[derive(Serialize)]
struct TargetInfo {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct Context {
    /// true for the OBS spec, false for a per-target spec.
    obs: bool,
    target: Option<TargetInfo>,
    project: String,
    year: String,
    copyright_holder: String,
    bugs_url: String,
    name: String,
    version: String,
    release: String,
    summary: String,
    license: String,
    group: Option<String>,
    url: Option<String>,
    sources: Vec<Tag>,
    patches: Vec<Tag>,
    build_requires: Vec<String>,
    requires: Vec<String>,
    build_arch: Option<String>,
    exclusive_arch: Option<String>,
    conditionals: Vec<Conditional>,
    description: String,
    subpackages: Vec<Sub>,
    setup: Setup,
    build: Vec<Variant>,
    install: Vec<Variant>,
    files: Vec<String>,
    /// `%license` lines of the main package.
    license_files: Vec<String>,
    /// The systemd scriptlets of the package and its subpackages, in section order.
    scriptlets: Vec<Scriptlet>,
    systemd_requires: Option<String>,
    /// Whether the spec turns rpm's debug package off.
    no_debug_package: bool,
    /// Whether OBS builds it as root (`# needsrootforbuild`).
    needs_root: bool,
    changelog: Vec<ChangelogItem>,
    /// Where the spec defines `%{ext_man}` (SUSE's rpm does, the others do not): `Some("")`
    /// on every target, `Some(condition)` on those the condition selects.
    ext_man: Option<String>,
    /// Where the spec defines `%{ext_info}`, the same way.
    ext_info: Option<String>,
}

/// The `%autosetup` line: `-a1` unpacks the vendored dependencies, `-n` names the
/// directory the tarball unpacks to when it is not `%{name}-%{version}`.
#[derive(Serialize)]
struct Setup {
    vendor: bool,
    dir: Option<String>,
}

/// A build or install script, and the `%if` condition of the targets that use it when
/// the targets differ.
#[derive(Serialize)]
struct Variant {
    condition: Option<String>,
    script: String,
}

/// The distinct scripts `pick` gives the targets `all`, in target order, each with the
/// condition of the targets that use it; one script without a condition when they agree.
fn variants(
    package: &Package,
    all: &[&Distro],
    pick: impl Fn(&crate::manifest::TargetDeps) -> &String,
    section: Section,
) -> Vec<Variant> {
    let bodies: Vec<(&Distro, String)> = all
        .iter()
        .map(|t| (*t, rpm::script(pick(&package.targets[&t.id]), section)))
        .collect();
    let mut distinct: Vec<&String> = Vec::new();
    for (_, b) in &bodies {
        if !distinct.contains(&b) {
            distinct.push(b);
        }
    }
    if distinct.len() <= 1 {
        return distinct
            .into_iter()
            .map(|b| Variant {
                condition: None,
                script: b.clone(),
            })
            .collect();
    }
    distinct
        .into_iter()
        .map(|b| {
            let having: Vec<&Distro> = bodies
                .iter()
                .filter(|(_, x)| x == b)
                .map(|(d, _)| *d)
                .collect();
            Variant {
                condition: Some(rpm::condition(&having, all)),
                script: b.clone(),
            }
        })
        .collect()
}

/// One dependency list per target, folded into what every target shares and `%if` blocks.
pub(crate) fn fold_conditionals(
    per_target: &[(&Distro, Vec<String>, Vec<String>)],
    all: &[&Distro],
) -> (Vec<String>, Vec<String>, Vec<Conditional>) {
    let mut items: Vec<(bool, String)> = Vec::new();
    for (_, br, rq) in per_target {
        for b in br {
            if !items.contains(&(true, b.clone())) {
                items.push((true, b.clone()));
            }
        }
        for r in rq {
            if !items.contains(&(false, r.clone())) {
                items.push((false, r.clone()));
            }
        }
    }
    let mut common_br = Vec::new();
    let mut common_rq = Vec::new();
    let mut conditionals: Vec<Conditional> = Vec::new();
    for (is_br, item) in items {
        let having: Vec<&Distro> = per_target
            .iter()
            .filter(|(_, br, rq)| {
                if is_br {
                    br.contains(&item)
                } else {
                    rq.contains(&item)
                }
            })
            .map(|(d, _, _)| *d)
            .collect();
        let (br_list, rq_list) = if having.len() == all.len() {
            (&mut common_br, &mut common_rq)
        } else {
            let cond = rpm::condition(&having, all);
            let i = match conditionals.iter().position(|c| c.condition == cond) {
                Some(i) => i,
                None => {
                    conditionals.push(Conditional {
                        condition: cond,
                        ..Default::default()
                    });
                    conditionals.len() - 1
                }
            };
            let c = &mut conditionals[i];
            (&mut c.build_requires, &mut c.requires)
        };
        if is_br {
            br_list.push(item);
        } else {
            rq_list.push(item);
        }
    }
    // spec-cleaner sorts dependencies as plain strings
    common_br.sort();
    common_rq.sort();
    for c in &mut conditionals {
        c.build_requires.sort();
        c.requires.sort();
    }
    (common_br, common_rq, conditionals)
}

fn is_noarch(archs: &[String]) -> bool {
    archs.iter().any(|a| a == "noarch")
}

fn arch_tags(archs: &[String]) -> (Option<String>, Option<String>) {
    if is_noarch(archs) {
        (Some("noarch".to_string()), None)
    } else {
        (None, Some(archs.join(" ")))
    }
}

/// Whether the package's files use systemd's rpm macros, and where the spec defines
/// `%{ext_man}` and `%{ext_info}` (see [`Context::ext_man`]).
fn systemd_and_ext_man(
    package: &Package,
    all: &[&Distro],
) -> (bool, Option<String>, Option<String>) {
    let mut uses_systemd = false;
    let all_files: Vec<String> = package
        .files
        .iter()
        .chain(&package.config_files)
        .chain(
            package
                .subpackages
                .iter()
                .flat_map(|s| s.files.iter().chain(&s.config_files)),
        )
        .map(|f| rpm::dir_macros(f))
        .collect();
    let descriptions = std::iter::once(&package.description)
        .chain(package.subpackages.iter().map(|s| &s.description))
        .map(|d| description(d));
    if all_files
        .iter()
        .cloned()
        .chain(descriptions)
        .any(|f| rpm::SYSTEMD_MACROS.iter().any(|m| f.contains(m)))
        || !package.all_systemd_units().is_empty()
    {
        uses_systemd = true;
    }
    // rpm gzips man and info pages on every rpm distro; only SUSE names the extensions
    let without_ext_man: Vec<&Distro> = all
        .iter()
        .copied()
        .filter(|d| d.family.group() != Some("suse"))
        .collect();
    let ext_at = |page: fn(&str) -> Option<String>| {
        if all_files.iter().any(|f| page(f).is_some()) {
            where_(&without_ext_man, all)
        } else {
            None
        }
    };
    (uses_systemd, ext_at(rpm::man_page), ext_at(rpm::info_page))
}

/// A description as spec-cleaner leaves it: `%` escaped, directories as macros.
pub(crate) fn description(text: &str) -> String {
    rpm::escape(text)
        .lines()
        .map(rpm::dir_macros)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The condition of `chosen` among `all`: `Some("")` when they are all, `None` when none.
fn where_(chosen: &[&Distro], all: &[&Distro]) -> Option<String> {
    if chosen.is_empty() {
        None
    } else if chosen.len() == all.len() {
        Some(String::new())
    } else {
        Some(rpm::condition(chosen, all))
    }
}

/// A scriptlet section and its lines on SUSE and on the other rpm distros.
type ScriptletLines = (&'static str, Vec<Option<String>>, Vec<Option<String>>);

/// The systemd scriptlets of the package (`suffix` `None`) or a subpackage whose files are
/// `files`, and where it needs `%{?systemd_requires}`: SUSE's `%service_*` macros, the
/// `%systemd_*` ones elsewhere. A static unit (no `[Install]`) is not restarted on update.
fn systemd_scriptlets(
    suffix: Option<&str>,
    files: &[String],
    static_units: &[String],
    all: &[&Distro],
) -> (Vec<Scriptlet>, Option<String>) {
    let units = systemd_units(files);
    if units.is_empty() {
        return (Vec::new(), None);
    }
    let (fixed, restart): (Vec<&String>, Vec<&String>) =
        units.iter().partition(|u| static_units.contains(u));
    let join = |macro_: &str, list: &[&String]| {
        (!list.is_empty()).then(|| {
            let names: Vec<&str> = list.iter().map(|u| u.as_str()).collect();
            format!("{macro_} {}", names.join(" "))
        })
    };
    let all_units: Vec<&String> = units.iter().collect();
    let (suse, other): (Vec<&Distro>, Vec<&Distro>) =
        all.iter().partition(|d| d.family.group() == Some("suse"));
    let suse_at = where_(&suse, all);
    let other_at = where_(&other, all);
    let sections: [ScriptletLines; 4] = [
        ("pre", vec![join("%service_add_pre", &all_units)], vec![]),
        (
            "post",
            vec![join("%service_add_post", &all_units)],
            vec![join("%systemd_post", &all_units)],
        ),
        (
            "preun",
            vec![join("%service_del_preun", &all_units)],
            vec![join("%systemd_preun", &all_units)],
        ),
        (
            "postun",
            vec![
                join("%service_del_postun", &restart),
                join("%service_del_postun_without_restart", &fixed),
            ],
            vec![
                join("%systemd_postun_with_restart", &restart),
                join("%systemd_postun", &fixed),
            ],
        ),
    ];
    let mut out = Vec::new();
    for (section, suse_lines, other_lines) in sections {
        let mut blocks = Vec::new();
        for (at, lines) in [(&suse_at, suse_lines), (&other_at, other_lines)] {
            let lines: Vec<String> = lines.into_iter().flatten().collect();
            if let (Some(at), false) = (at, lines.is_empty()) {
                blocks.push(Block {
                    condition: (!at.is_empty()).then(|| at.clone()),
                    lines,
                });
            }
        }
        if !blocks.is_empty() {
            out.push(Scriptlet {
                section,
                suffix: suffix.map(str::to_string),
                blocks,
            });
        }
    }
    (out, suse_at)
}

/// Each target's build requirements, with `systemd-rpm-macros` when the spec uses them,
/// and requirements.
fn target_deps<'a>(
    package: &Package,
    all: &[&'a Distro],
    uses_systemd: bool,
) -> Vec<(&'a Distro, Vec<String>, Vec<String>)> {
    all.iter()
        .map(|t| {
            let deps = &package.targets[&t.id];
            let mut br = deps.build_requires.clone();
            if uses_systemd && !br.iter().any(|b| b == "systemd-rpm-macros") {
                br.push("systemd-rpm-macros".to_string());
            }
            (*t, br, deps.requires.clone())
        })
        .collect()
}

/// The systemd scriptlets of the package and its subpackages, by section, and where the
/// package needs `%{?systemd_requires}`.
fn package_scriptlets(package: &Package, all: &[&Distro]) -> (Vec<Scriptlet>, Option<String>) {
    let (mut scriptlets, systemd_requires) =
        systemd_scriptlets(None, &package.files, &package.static_units, all);
    for s in &package.subpackages {
        scriptlets
            .extend(systemd_scriptlets(Some(&s.suffix), &s.files, &package.static_units, all).0);
    }
    // spec-cleaner keeps %pre, %post, %preun and %postun in that order
    scriptlets.sort_by_key(|s| {
        ["pre", "post", "preun", "postun"]
            .iter()
            .position(|x| *x == s.section)
    });
    (scriptlets, systemd_requires)
}

/// The `Source` tags, and the directory the tarball unpacks to when it is not
/// `%{name}-%{version}`.
fn sources(model: &Model, package: &Package, upstream: &Upstream) -> (Vec<Tag>, Option<String>) {
    let mut sources = Vec::new();
    let mut setup_dir = None;
    match &upstream.source {
        UpstreamSource::Git { .. } => sources.push(Tag {
            n: 0,
            value: format!(
                "%{{name}}-%{{version}}.tar.{}",
                super::service::git_compression(model)
            ),
        }),
        UpstreamSource::Tarball { url, pattern, .. } => {
            let value = if package.version.rpm == package.version.raw {
                pattern.replace("{version}", "%{version}")
            } else {
                url.clone()
            };
            let file = super::url_file_name(url);
            let dir = super::tarball_dir(file);
            let dir_pattern = if package.version.rpm == package.version.raw {
                dir.replace(&package.version.raw, "%{version}")
            } else {
                dir.to_string()
            };
            if dir_pattern != "%{name}-%{version}" {
                setup_dir = Some(dir_pattern);
            }
            sources.push(Tag {
                n: 0,
                value: rpm::escape(&value).replace("%%{version}", "%{version}"),
            });
        }
    }
    if let Some(v) = package.vendor {
        sources.push(Tag {
            n: 1,
            value: service::vendor_archive(v).to_string(),
        });
    }
    // The signature and the keyring, as openSUSE packages list them: OBS's source
    // validator checks the one with the other on every commit.
    if let (UpstreamSource::Tarball { pattern, url, .. }, Some(signing)) =
        (&upstream.source, &upstream.signing)
    {
        if let Some(sig) = &signing.signature {
            let n = sources.len();
            let value = if package.version.rpm == package.version.raw {
                sig.replace("{url}", pattern)
                    .replace("{version}", "%{version}")
            } else {
                sig.replace("{url}", url)
                    .replace("{version}", &package.version.raw)
            };
            sources.push(Tag {
                n,
                value: rpm::escape(&value).replace("%%{version}", "%{version}"),
            });
            sources.push(Tag {
                n: n + 1,
                value: "%{name}.keyring".to_string(),
            });
        }
    }
    (sources, setup_dir)
}

/// The subpackages, each requiring the main package: the exact release in a target's
/// spec, the version in the OBS spec.
fn subpackages(package: &Package, all: &[&Distro], per_target: bool, owned: &[&str]) -> Vec<Sub> {
    package
        .subpackages
        .iter()
        .map(|s| {
            // Fedora's guidelines: an arch-dependent subpackage requires its arch-dependent
            // base package of the same architecture, exactly
            let isa = !is_noarch(&package.archs) && !s.archs.as_deref().is_some_and(is_noarch);
            let parent = |t: &Distro| match (t.family.group() == Some("rhel") && isa, per_target) {
                (true, _) => "%{name}%{?_isa} = %{version}-%{release}",
                (false, true) => "%{name} = %{version}-%{release}",
                (false, false) => "%{name} = %{version}",
            };
            let per: Vec<(&Distro, Vec<String>, Vec<String>)> = all
                .iter()
                .map(|t| {
                    let mut rq = vec![parent(t).to_string()];
                    rq.extend(s.requires[&t.id].iter().cloned());
                    (*t, Vec::new(), rq)
                })
                .collect();
            let (_, requires, conditionals) = fold_conditionals(&per, all);
            let (build_arch, _) = s.archs.as_deref().map(arch_tags).unwrap_or((None, None));
            let (_, systemd_requires) =
                systemd_scriptlets(Some(&s.suffix), &s.files, &package.static_units, all);
            Sub {
                suffix: s.suffix.clone(),
                summary: rpm::escape(&s.summary),
                group: s.group.as_deref().map(rpm::escape),
                requires,
                systemd_requires,
                conditionals,
                build_arch,
                description: description(&s.description),
                files: rpm::files(&s.files, &s.config_files, owned),
            }
        })
        .collect()
}

/// The `Patch` tags, in the manifest's order.
fn patch_tags(package: &Package) -> Vec<Tag> {
    package
        .patches
        .iter()
        .enumerate()
        .map(|(n, p)| Tag {
            n,
            value: p.name.clone(),
        })
        .collect()
}

/// The `%changelog` of a target's spec.
fn changelog(package: &Package) -> Vec<ChangelogItem> {
    package
        .changelog
        .iter()
        .map(|e| {
            let revision = package
                .changelog
                .iter()
                .filter(|x| x.version.raw == e.version.raw && x.date <= e.date)
                .count();
            ChangelogItem {
                date: e.rpm_date(),
                author: rpm::escape(&e.author),
                version: e.version.rpm.clone(),
                revision,
                changes: e.changes.iter().map(|c| rpm::escape(c)).collect(),
            }
        })
        .collect()
}

/// Render the OBS spec (`target = None`) or the spec for one rpm target.
pub(crate) fn render(
    model: &Model,
    package: &Package,
    target: Option<&Distro>,
    templates: &Templates,
) -> Result<String> {
    let all: Vec<&Distro> = match target {
        Some(t) => vec![t],
        None => model.rpm_targets().collect(),
    };
    let upstream = model.upstream_of(package)?;
    let (uses_systemd, ext_man, ext_info) = systemd_and_ext_man(package, &all);
    let (build_requires, requires, conditionals) =
        fold_conditionals(&target_deps(package, &all, uses_systemd), &all);

    let (build_arch, exclusive_arch) = arch_tags(&package.archs);
    let (sources, setup_dir) = sources(model, package, upstream);
    let patches = patch_tags(package);
    let setup = Setup {
        vendor: package.vendor.is_some(),
        dir: setup_dir.map(|dir| rpm::escape(&dir).replace("%%{version}", "%{version}")),
    };

    // Build and install commands may differ per target; the OBS spec puts them under %if.
    let build = variants(package, &all, |d| &d.build, Section::Build);
    let install = variants(package, &all, |d| &d.install, Section::Install);

    let owned: Vec<&str> = vec![model.project.name.as_str(), package.name.as_str()];
    let subpackages = subpackages(package, &all, target.is_some(), &owned);
    let (scriptlets, systemd_requires) = package_scriptlets(package, &all);

    // Validation refuses a package no changelog entry covers.
    let Some(newest) = package.changelog.first() else {
        return Err(Error::Other(anyhow::anyhow!(
            "package `{}` has no changelog entry",
            package.name
        )));
    };
    let changelog = match target {
        None => Vec::new(),
        Some(_) => changelog(package),
    };
    let (holder, _) = split_author(&model.project.maintainer);
    let ctx = Context {
        obs: target.is_none(),
        target: target.map(|t| TargetInfo {
            id: t.id.clone(),
            name: rpm::escape(&t.name),
        }),
        project: rpm::escape(&model.project.name),
        year: newest.date.strftime("%Y").to_string(),
        copyright_holder: rpm::escape(holder),
        bugs_url: rpm::escape(
            model
                .project
                .homepage
                .as_deref()
                .unwrap_or("https://bugs.opensuse.org/"),
        ),
        name: package.name.clone(),
        version: package.version.rpm.clone(),
        release: match target {
            None => "0".to_string(),
            Some(_) => format!("{}%{{?dist}}", package.revision),
        },
        summary: rpm::escape(&package.summary),
        license: rpm::escape(&package.license),
        group: package.group.as_deref().map(rpm::escape),
        url: package.url.as_deref().map(rpm::escape),
        sources,
        patches,
        build_requires,
        requires,
        build_arch,
        exclusive_arch,
        conditionals,
        description: description(&package.description),
        subpackages,
        setup,
        build,
        install,
        files: rpm::files(&package.files, &package.config_files, &owned),
        license_files: package
            .license_files
            .iter()
            .map(|f| format!("%license {f}"))
            .collect(),
        scriptlets,
        systemd_requires,
        no_debug_package: !package.debug_package && !is_noarch(&package.archs),
        needs_root: false,
        changelog,
        ext_man,
        ext_info,
    };
    templates.render("spec.tera", &ctx)
}
