//! `[project]`: the OBS project, its maintainer, targets and architectures.

use crate::distro::Distro;
use crate::manifest::checks::{archive_project, maintainer, obs_project};
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
        self.project_keys(p);
        let license = p
            .license
            .clone()
            .unwrap_or_else(|| "Apache-2.0".to_string());
        let archive = p
            .archive_project
            .clone()
            .unwrap_or_else(|| format!("{}:archive", p.obs_project));
        self.obs_projects(p, &archive);
        if let Some(api) = &p.github_api {
            self.url(path!["project", "github-api"], "the GitHub API base", api);
        }
        let targets = self.targets(p, distros);
        let archs = self.project_archs(p);
        let services = self.services(p);
        let obs_maintainers = self.obs_maintainers(p);
        Some(Project {
            name: p.name.clone(),
            maintainer: p.maintainer.clone(),
            homepage: p.homepage.clone(),
            license,
            obs_project: p.obs_project.clone(),
            archive_project: archive,
            keep_archived: p.keep_archived.unwrap_or(3),
            targets,
            archs,
            github_api: p.github_api.clone(),
            services,
            obs_maintainers,
        })
    }

    /// `name`, `maintainer`, `homepage` and `license`.
    fn project_keys(&mut self, p: &raw::Project) {
        self.single_line(path!["project", "name"], "the project name", &p.name);
        self.nonempty(path!["project", "name"], "the project name", &p.name);
        self.single_line(
            path!["project", "maintainer"],
            "the maintainer",
            &p.maintainer,
        );
        self.check(
            path!["project", "maintainer"],
            &p.maintainer,
            maintainer(&p.maintainer),
        );
        if let Some(h) = &p.homepage {
            self.url(path!["project", "homepage"], "the homepage", h);
        }
        if let Some(l) = &p.license {
            self.single_line(path!["project", "license"], "the license", l);
        }
    }

    /// `obs-project`, and `archive-project` when given; `archive` is the one in effect.
    fn obs_projects(&mut self, p: &raw::Project, archive: &str) {
        self.check(
            path!["project", "obs-project"],
            &p.obs_project,
            obs_project(&p.obs_project),
        );
        if p.archive_project.is_some() {
            self.check(
                path!["project", "archive-project"],
                archive,
                archive_project(archive),
            );
        }
    }

    /// `targets`: at least one, each a known distro listed once.
    fn targets(&mut self, p: &raw::Project, distros: &[Distro]) -> Vec<Distro> {
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
        targets
    }

    /// `services`: `manual` unless the manifest says `server`.
    fn services(&mut self, p: &raw::Project) -> Services {
        match p.services.as_deref() {
            None | Some("manual") => Services::Manual,
            Some("server") => Services::Server,
            Some(v) => {
                self.err_note(
                    path!["project", "services"],
                    format!("unknown services `{}`", escape_for_message(v)),
                    "use \"manual\" (archives made locally, every service mode=\"manual\") or \"server\" (OBS runs the services)",
                );
                Services::Manual
            }
        }
    }

    /// `obs-maintainers`: OBS user ids, and group ids written `group:<id>`.
    fn obs_maintainers(&mut self, p: &raw::Project) -> Vec<ObsRole> {
        let mut out: Vec<ObsRole> = Vec::new();
        for (i, m) in p.obs_maintainers.iter().enumerate() {
            let (kind, id) = match m.strip_prefix("group:") {
                Some(g) => ("group", g),
                None => ("person", m.as_str()),
            };
            let valid = !id.is_empty()
                && id.len() <= 100
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-+@".contains(c));
            if !valid {
                self.err_note(
                    path!["project", "obs-maintainers", i],
                    format!("`{}` is not an OBS user or group id", escape_for_message(m)),
                    "write the user's login (`alice`) or `group:<id>` (`group:kata-maintainers`)",
                );
            } else if out.iter().any(|r| r.kind == kind && r.id == id) {
                self.err(
                    path!["project", "obs-maintainers", i],
                    format!("`{}` is listed twice", escape_for_message(m)),
                );
            } else {
                out.push(ObsRole {
                    kind,
                    id: id.to_string(),
                });
            }
        }
        out
    }

    /// `archs`: at least one when given, else x86_64.
    fn project_archs(&mut self, p: &raw::Project) -> Vec<String> {
        match &p.archs {
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
        }
    }
}
