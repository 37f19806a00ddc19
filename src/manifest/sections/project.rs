//! `[project]`: the OBS project, its maintainer, targets and architectures.

use crate::distro::Distro;
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::path;
use crate::version::escape_for_message;

impl Cx<'_> {
    pub(in crate::manifest) fn project(
        &mut self,
        p: &raw::Project,
        distros: &[Distro],
    ) -> Option<Project> {
        self.single_line(path!["project", "name"], "the project name", &p.name);
        self.nonempty(path!["project", "name"], "the project name", &p.name);
        self.single_line(
            path!["project", "maintainer"],
            "the maintainer",
            &p.maintainer,
        );
        if !p.maintainer.contains('<') || !p.maintainer.trim_end().ends_with('>') {
            self.err_note(
                path!["project", "maintainer"],
                "the maintainer must read `Name <email>`",
                "for example maintainer = \"Jane Packager <jane@example.org>\"",
            );
        }
        if let Some(h) = &p.homepage {
            self.url(path!["project", "homepage"], "the homepage", h);
        }
        let license = p
            .license
            .clone()
            .unwrap_or_else(|| "Apache-2.0".to_string());
        if let Some(l) = &p.license {
            self.single_line(path!["project", "license"], "the license", l);
        }
        let obs_ok = |s: &str| {
            !s.is_empty()
                && s.split(':').all(|part| {
                    !part.is_empty()
                        && part.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+')
                        })
                })
        };
        if !obs_ok(&p.obs_project) {
            self.err(
                path!["project", "obs-project"],
                format!(
                    "`{}` is not an OBS project name such as home:user:project",
                    escape_for_message(&p.obs_project)
                ),
            );
        }
        let archive_project = p
            .archive_project
            .clone()
            .unwrap_or_else(|| format!("{}:archive", p.obs_project));
        if p.archive_project.is_some() && !obs_ok(&archive_project) {
            self.err(
                path!["project", "archive-project"],
                format!(
                    "`{}` is not an OBS project name",
                    escape_for_message(&archive_project)
                ),
            );
        }
        if let Some(api) = &p.github_api {
            self.url(path!["project", "github-api"], "the GitHub API base", api);
        }
        let mut targets = Vec::new();
        if p.targets.is_empty() {
            self.err(
                path!["project", "targets"],
                "the project needs at least one target",
            );
        }
        for (i, t) in p.targets.iter().enumerate() {
            match distros.iter().find(|d| &d.id == t) {
                Some(d) if targets.iter().any(|x: &Distro| x.id == d.id) => {
                    self.err(
                        path!["project", "targets", i],
                        format!("target `{t}` is listed twice"),
                    );
                }
                Some(d) => targets.push(d.clone()),
                None => self.err_note(
                    path!["project", "targets", i],
                    format!("unknown distro `{}`", escape_for_message(t)),
                    format!(
                        "known distros: {}; add others under [distros.<id>]",
                        distros
                            .iter()
                            .map(|d| d.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
        let archs = match &p.archs {
            Some(a) => {
                let v = self.archs(path!["project", "archs"], a, false);
                if a.is_empty() {
                    self.err(
                        path!["project", "archs"],
                        "the project needs at least one architecture",
                    );
                }
                v
            }
            None => vec!["x86_64".to_string()],
        };
        Some(Project {
            name: p.name.clone(),
            maintainer: p.maintainer.clone(),
            homepage: p.homepage.clone(),
            license,
            obs_project: p.obs_project.clone(),
            archive_project,
            keep_archived: p.keep_archived.unwrap_or(3),
            targets,
            archs,
            github_api: p.github_api.clone(),
        })
    }
}
