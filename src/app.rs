//! What the commands do, without any argument parsing: load, select, plan, write.

use std::path::Path;

use crate::distro::{self, Distro};
use crate::error::{Error, Result};
use crate::manifest::{self, Model};
use crate::output::{self, Plan, Selection};
use crate::render::{self, Templates};

/// The manifest, its changelog and the templates, loaded and validated together.
pub struct Project {
    pub model: Model,
    pub templates: Templates,
}

impl Project {
    pub fn load(manifest: &Path) -> Result<Project> {
        let model = manifest::load(manifest)?;
        let templates = Templates::load(&model.dir)?;
        Ok(Project { model, templates })
    }

    /// Render everything in memory: also how `check` proves the templates work.
    pub fn render(&self) -> Result<Vec<render::Output>> {
        render::render(&self.model, &self.templates)
    }

    /// Resolve `--distro` and `--package` arguments against the manifest.
    pub fn select(&self, distros: &[String], packages: &[String]) -> Result<Selection<'_>> {
        let targets = select_targets(&self.model, distros)?;
        for p in packages {
            let known = self.model.packages.iter().any(|x| &x.name == p)
                || self.model.rootfs.iter().any(|r| &r.name == p);
            if !known {
                let names: Vec<&str> = self
                    .model
                    .packages
                    .iter()
                    .map(|p| p.name.as_str())
                    .chain(self.model.rootfs.iter().map(|r| r.name.as_str()))
                    .collect();
                return Err(Error::usage(format!(
                    "error: --package {p}: the manifest has no such package\n  = note: packages: {}",
                    names.join(", ")
                )));
            }
        }
        Ok(Selection {
            targets,
            packages: packages.to_vec(),
        })
    }

    /// Compare what would be rendered for `selection` with what is on disk.
    pub fn plan(&self, selection: &Selection) -> Result<Plan> {
        let outputs = self.render()?;
        Ok(output::plan(
            &self.model.dir,
            &outputs,
            selection,
            self.model.project.targets.len(),
        )?)
    }

    pub fn apply(&self, plan: &Plan) -> Result<()> {
        Ok(output::apply(&self.model.dir, plan)?)
    }
}

/// The targets selected by `--distro` values (ids, families, groups, formats or `all`).
pub fn select_targets<'a>(model: &'a Model, selectors: &[String]) -> Result<Vec<&'a Distro>> {
    if selectors.is_empty() {
        return Ok(model.project.targets.iter().collect());
    }
    let mut out: Vec<&Distro> = Vec::new();
    for s in selectors {
        let known = distro::SELECTOR_ALIASES.contains(&s.as_str())
            || model.distros.iter().any(|d| &d.id == s);
        if !known {
            return Err(Error::usage(format!(
                "error: --distro {s}: not a distro id, family, group, format or `all`\n  = note: targets of the manifest: {}; aliases: {}",
                model.project.targets.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", "),
                distro::SELECTOR_ALIASES.join(", ")
            )));
        }
        let matched: Vec<&Distro> = model
            .project
            .targets
            .iter()
            .filter(|d| distro::selector_matches(s, d))
            .collect();
        if matched.is_empty() {
            return Err(Error::usage(format!(
                "error: --distro {s} selects none of the manifest's targets\n  = note: targets: {}",
                model
                    .project
                    .targets
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        for d in matched {
            if !out.iter().any(|x| x.id == d.id) {
                out.push(d);
            }
        }
    }
    Ok(out)
}
