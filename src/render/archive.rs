//! `obs/_archive/<series>/<package>/`: superseded release series, pinned to their old
//! commit (or tarball checksum) so the archive project keeps building them.

use std::path::PathBuf;

use super::{changes, debian, meta, prjconf, service, spec, Output, Serves, Templates};
use crate::distro::Format;
use crate::error::Result;
use crate::manifest::{Archived, Model, Package, Pin, UpstreamSource};

/// The model as it was at an archived release: that upstream at its old version and pin,
/// its packages with the changelog up to that release.
fn archived_model(model: &Model, a: &Archived) -> Option<Model> {
    let current = model.upstream(&a.upstream)?;
    let mut upstream = current.clone();
    upstream.version = a.version.clone();
    upstream.source = match (&current.source, &a.pin) {
        (UpstreamSource::Git { url, .. }, Pin::Commit(c)) => UpstreamSource::Git {
            url: url.clone(),
            commit: c.clone(),
        },
        (UpstreamSource::Tarball { pattern, git, .. }, Pin::Sha256(s)) => UpstreamSource::Tarball {
            url: pattern.replace("{version}", &a.version.raw),
            pattern: pattern.clone(),
            sha256: s.clone(),
            git: git.clone(),
        },
        _ => return None,
    };
    // Every field but the packages, which are the upstream's only: no copy of the rest.
    let mut m = Model {
        dir: model.dir.clone(),
        project: model.project.clone(),
        upstreams: model.upstreams.clone(),
        packages: Vec::new(),
        rootfs: model.rootfs.clone(),
        archive: model.archive.clone(),
        distros: model.distros.clone(),
    };
    for u in &mut m.upstreams {
        if u.name == a.upstream {
            *u = upstream.clone();
        }
    }
    let siblings: Vec<String> = model
        .packages
        .iter()
        .filter(|p| p.upstream == a.upstream)
        .map(|p| p.name.clone())
        .collect();
    m.packages = model
        .packages
        .iter()
        .filter(|p| p.upstream == a.upstream)
        .map(|p| archived_package(p, current.version.clone(), a, &siblings))
        .collect();
    Some(m)
}

fn archived_package(
    p: &Package,
    current: crate::version::Version,
    a: &Archived,
    siblings: &[String],
) -> Package {
    let mut p = p.clone();
    p.version = a.version.clone();
    // The history up to the archived release.
    let start = p
        .changelog
        .iter()
        .position(|e| {
            crate::version::compare(&e.version.raw, &a.version.raw) != std::cmp::Ordering::Greater
        })
        .unwrap_or(0);
    p.changelog = p.changelog[start..].to_vec();
    p.revision = p
        .changelog
        .iter()
        .take_while(|e| e.version.raw == a.version.raw)
        .count()
        .max(1) as u32;
    // Exact requirements between components follow the archived version.
    for deps in p.targets.values_mut() {
        for r in &mut deps.requires {
            if siblings.iter().any(|s| r.starts_with(&format!("{s} "))) {
                *r = r
                    .replace(&current.rpm, &a.version.rpm)
                    .replace(&current.deb, &a.version.deb);
            }
        }
    }
    p
}

/// The archived packages of one series, and its OBS project meta.
pub(crate) fn render_series(
    model: &Model,
    templates: &Templates,
    series: &str,
) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    let has_rpm = model.rpm_targets().next().is_some();
    let has_deb = model.deb_targets().next().is_some();
    let mut series_done: Vec<String> = Vec::new();
    for a in model.archive.iter().filter(|a| a.series == series) {
        let Some(m) = archived_model(model, a) else {
            continue;
        };
        let Some(upstream) = m.upstream(&a.upstream) else {
            continue;
        };
        for p in m.packages.iter() {
            let dir = PathBuf::from("obs/_archive").join(&a.series).join(&p.name);
            let pkg = Some(p.name.as_str());
            out.push(Output::new(
                dir.join("_service"),
                service::render(&m, p, upstream, None, templates)?,
                pkg,
                Serves::All,
            ));
            for patch in &p.patches {
                out.push(Output::new(
                    dir.join(&patch.name),
                    patch.content.clone(),
                    pkg,
                    Serves::All,
                ));
            }
            if let Some(keyring) = super::tarball_keyring(upstream) {
                out.push(Output::new(
                    dir.join(format!("{}.keyring", p.name)),
                    keyring.to_vec(),
                    pkg,
                    Serves::All,
                ));
            }
            if has_rpm {
                let rpm = Serves::Format(Format::Rpm);
                out.push(Output::new(
                    dir.join(format!("{}.spec", p.name)),
                    spec::render(&m, p, None, templates)?,
                    pkg,
                    rpm.clone(),
                ));
                out.push(Output::new(
                    dir.join(format!("{}.changes", p.name)),
                    changes::render(p, templates)?,
                    pkg,
                    rpm,
                ));
            }
            if has_deb {
                out.extend(debian::obs(&m, p, dir.clone(), templates)?);
            }
        }
        if !series_done.contains(&a.series) {
            series_done.push(a.series.clone());
            let project = format!("{}:{}", model.project.archive_project, a.series);
            out.push(Output::new(
                PathBuf::from("obs/_meta").join(format!("{project}.xml")),
                meta::render(
                    &project,
                    &model.project.name,
                    Some(&a.series),
                    &model.project.obs_maintainers,
                    &model.project.targets,
                    &model.project.archs,
                    templates,
                )?,
                None,
                Serves::All,
            ));
            out.push(Output::new(
                PathBuf::from("obs/_meta").join(format!("{project}.prjconf")),
                prjconf::render(
                    &project,
                    &model.project.targets,
                    &Default::default(),
                    templates,
                )?,
                None,
                Serves::All,
            ));
        }
    }
    Ok(out)
}
