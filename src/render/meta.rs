//! `obs/_meta/<project>.xml`: the OBS project with one repository per target, from
//! `obs/project-meta.xml.tera`.

use serde::Serialize;

use super::templates::Templates;
use crate::distro::Distro;
use crate::error::Result;
use crate::manifest::ObsRole;

#[derive(Serialize)]
struct Path<'a> {
    project: &'a str,
    repository: &'a str,
}

#[derive(Serialize)]
struct Repository<'a> {
    name: &'a str,
    paths: Vec<Path<'a>>,
    archs: Vec<&'a str>,
}

/// What `obs/project-meta.xml.tera` gets.
#[derive(Serialize)]
struct Context<'a> {
    obs_project: &'a str,
    project: &'a str,
    series: Option<&'a str>,
    /// `person` and `group` roles, persons first as the OBS schema orders them.
    maintainers: Vec<&'a ObsRole>,
    repositories: Vec<Repository<'a>>,
}

/// The meta of OBS project `obs_project`, holding the packages of `project`, or of its
/// archived release `series`.
pub(crate) fn render(
    obs_project: &str,
    project: &str,
    series: Option<&str>,
    maintainers: &[ObsRole],
    targets: &[Distro],
    archs: &[String],
    templates: &Templates,
) -> Result<Vec<u8>> {
    let repositories = targets
        .iter()
        .map(|t| Repository {
            name: &t.obs_repository,
            paths: t
                .obs_paths
                .iter()
                .map(|p| {
                    let (project, repository) = p.split_once('/').unwrap_or((p, "standard"));
                    Path {
                        project,
                        repository,
                    }
                })
                .collect(),
            archs: archs
                .iter()
                .filter(|a| t.archs.contains(a))
                .map(String::as_str)
                .collect(),
        })
        .collect();
    let mut maintainers: Vec<&ObsRole> = maintainers.iter().collect();
    maintainers.sort_by_key(|r| r.kind != "person");
    let ctx = Context {
        obs_project,
        project,
        series,
        maintainers,
        repositories,
    };
    Ok(templates
        .render("obs/project-meta.xml.tera", &ctx)?
        .into_bytes())
}
