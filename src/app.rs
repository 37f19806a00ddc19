//! What the commands do, without any argument parsing: load, select, plan, write.

use std::path::{Path, PathBuf};

use crate::distro::{self, Distro};
use crate::error::{Error, Result};
use crate::manifest::{self, Model};
use crate::output::{self, Keep, Plan, Planned, Selection};
use crate::render::{self, Templates};

/// The manifest, its changelog and the templates, loaded and validated together.
pub struct Project {
    /// The manifest's path, as given.
    pub manifest: PathBuf,
    pub model: Model,
    pub templates: Templates,
}

impl Project {
    pub fn load(manifest: &Path) -> Result<Project> {
        let model = manifest::load(manifest)?;
        let templates = Templates::load(&model.dir)?;
        Ok(Project {
            manifest: manifest.to_path_buf(),
            model,
            templates,
        })
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

    /// Compare what would be rendered for `selection` with what is on disk; the new
    /// content of changed files stays in memory, for diffs.
    pub fn plan(&self, selection: &Selection) -> Result<Plan> {
        Ok(self.plan_with(selection, Keep::Memory)?.plan)
    }

    /// The plan that `render` applies: the new content of changed files staged in
    /// temporary files as it is rendered, so no output stays in memory, and, when the
    /// selection is everything, the record for the render cache ([`output::cache`]).
    pub fn plan_staged(&self, selection: &Selection) -> Result<Plan> {
        let Planned { mut plan, digests } = self.plan_with(selection, Keep::Staged)?;
        if selection.is_everything(self.model.project.targets.len()) {
            plan.cache = Some(output::cache::Record::new(
                &self.manifest,
                &self.model,
                digests,
            ));
        }
        Ok(plan)
    }

    /// Render every unit on as many threads as there are CPUs and compare it with the
    /// tree as it comes: only changed files are kept.
    fn plan_with(&self, selection: &Selection, keep: Keep) -> Result<Planned> {
        output::plan_units(
            &self.model.dir,
            render::units(&self.model),
            &|unit| render::render_unit(&self.model, &self.templates, unit),
            selection,
            self.model.project.targets.len(),
            keep,
            keep == Keep::Staged,
        )
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
