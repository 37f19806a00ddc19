//! What the commands do, without any argument parsing: load, select, plan, write.

use std::path::{Path, PathBuf};

use crate::distro::{self, Distro};
use crate::error::{Error, Result};
use crate::manifest::{self, Model};
use crate::output::cache::{Fresh, Reuse};
use crate::output::{self, Keep, Plan, Produced, Selection};
use crate::render::{self, KeyBase, Templates};

/// The manifest, its changelog and the templates, loaded and validated together.
pub struct LoadedProject {
    /// The manifest's path, as given.
    pub manifest: PathBuf,
    pub model: Model,
    pub templates: Templates,
}

impl LoadedProject {
    pub(crate) fn load(manifest: &Path) -> Result<LoadedProject> {
        let model = manifest::load(manifest)?;
        let templates = Templates::load(&model.dir)?;
        Ok(LoadedProject {
            manifest: manifest.to_path_buf(),
            model,
            templates,
        })
    }

    /// What `render` of everything starts from: with `use_cache`, the render cache
    /// ([`output::cache`]) is checked first, reading the outputs back while the inputs
    /// are fingerprinted and, when they changed, while the manifest loads. Either every
    /// output is current and nothing is loaded, or the project is loaded with the units
    /// the cache proves current.
    pub(crate) fn for_render(manifest: &Path, use_cache: bool) -> Result<ForRender> {
        let Some(cache) = use_cache.then(|| output::cache::read(manifest)).flatten() else {
            return Ok(ForRender::Load(
                Box::new(LoadedProject::load(manifest)?),
                None,
            ));
        };
        let (project, intact) = std::thread::scope(|s| {
            let verify = s.spawn(|| cache.intact(manifest));
            let project = match cache.inputs_unchanged(manifest, &template_names()) {
                true => None,
                false => Some(LoadedProject::load(manifest)),
            };
            (project, verify.join().ok())
        });
        let intact = intact.unwrap_or_default();
        let project = match project {
            Some(p) => p?,
            None => {
                if let Some(fresh) = cache.fresh(&intact) {
                    return Ok(ForRender::Fresh(fresh));
                }
                LoadedProject::load(manifest)?
            }
        };
        Ok(ForRender::Load(
            Box::new(project),
            Some(cache.reuse(&intact)),
        ))
    }

    /// Render everything in memory: also how `check` proves the templates work.
    pub(crate) fn render(&self) -> Result<Vec<render::Output>> {
        render::render(&self.model, &self.templates)
    }

    /// Resolve `--distro` and `--package` arguments against the manifest.
    pub(crate) fn select(&self, distros: &[String], packages: &[String]) -> Result<Selection<'_>> {
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
                    "--package {p}: the manifest has no such package"
                ))
                .with_note(format!("packages: {}", names.join(", "))));
            }
        }
        Ok(Selection {
            targets,
            packages: packages.to_vec(),
        })
    }

    /// Compare what would be rendered for `selection` with what is on disk; the new
    /// content of changed files stays in memory, for diffs. Units that `reuse` proves
    /// current are not rendered.
    pub(crate) fn plan(&self, selection: &Selection, reuse: Option<&Reuse>) -> Result<Plan> {
        Ok(self.plan_with(selection, Keep::Memory, reuse)?.0)
    }

    /// The plan that `render` applies: the new content of changed files staged in
    /// temporary files as it is rendered, so no output stays in memory, and, when the
    /// selection is everything, the record for the render cache ([`output::cache`]),
    /// which keeps `warnings` for a later run that the cache proves current.
    pub(crate) fn plan_staged(
        &self,
        selection: &Selection,
        reuse: Option<&Reuse>,
        warnings: Vec<String>,
    ) -> Result<Plan> {
        let (mut plan, keys) = self.plan_with(selection, Keep::Staged, reuse)?;
        if selection.is_everything(self.model.project.targets.len()) {
            if let Some(keys) = keys {
                plan.cache = Some(output::cache::CompleteRender::new(
                    &self.manifest,
                    &self.model,
                    template_names(),
                    warnings,
                    keys,
                    // In the plan's outputs, which `output::apply` gives the cache.
                    Vec::new(),
                ));
            }
        }
        Ok(plan)
    }

    /// Render every unit on as many threads as there are CPUs and compare it with the
    /// tree as it comes: only changed files are kept. Also every unit's id and key, when
    /// the binary can be named.
    fn plan_with(
        &self,
        selection: &Selection,
        keep: Keep,
        reuse: Option<&Reuse>,
    ) -> Result<(Plan, Option<UnitKeys>)> {
        let units = render::units(&self.model);
        let salt = output::cache::binary();
        let keys: Vec<std::sync::OnceLock<[u8; 32]>> =
            units.iter().map(|_| std::sync::OnceLock::new()).collect();
        let base = std::sync::OnceLock::new();
        let key = |i: usize, salt: &str| {
            *keys[i].get_or_init(|| {
                let base = base.get_or_init(|| KeyBase::new(&self.model, &self.templates, salt));
                units[i].key(base, &self.model)
            })
        };
        let planned = output::plan_units(
            &self.model.dir,
            units.len(),
            &|i, may_reuse| {
                if let (Some(reuse), Some(salt), true) = (reuse, &salt, may_reuse) {
                    if let Some(current) = reuse.take(&units[i].id(), &key(i, salt)) {
                        return Ok(Produced::Current(current));
                    }
                }
                render::render_unit(&self.model, &self.templates, &units[i]).map(Produced::Rendered)
            },
            selection,
            self.model.project.targets.len(),
            keep,
            keep == Keep::Staged,
        )?;
        let ids = match &salt {
            Some(salt) if keep == Keep::Staged => Some(
                units
                    .iter()
                    .enumerate()
                    .map(|(i, u)| (u.id(), key(i, salt)))
                    .collect(),
            ),
            _ => None,
        };
        Ok((planned, ids))
    }

    pub(crate) fn apply(&self, plan: &Plan) -> Result<()> {
        output::apply(&self.model.dir, plan)
    }
}

/// The templates read by name, which the render cache fingerprints.
pub(crate) fn template_names() -> Vec<String> {
    render::templates::DEFAULTS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Every output of `model`, rendered in memory (for a change of the inputs not yet
/// written), with the render cache's record of them and the archive's `warnings`.
pub(crate) fn render_for_cache(
    manifest: &Path,
    model: &Model,
    templates: &Templates,
    warnings: Vec<String>,
) -> Result<(Vec<render::Output>, Option<output::cache::CompleteRender>)> {
    let per_unit = render::render_units(model, templates)?;
    let cache = cache_record(manifest, model, templates, &per_unit, warnings);
    Ok((per_unit.into_iter().flatten().collect(), cache))
}

/// The render cache's record of outputs rendered in memory, unit by unit (in the order
/// of [`render::units`]); `None` when the binary cannot be found.
pub(crate) fn cache_record(
    manifest: &Path,
    model: &Model,
    templates: &Templates,
    per_unit: &[Vec<render::Output>],
    warnings: Vec<String>,
) -> Option<output::cache::CompleteRender> {
    let salt = output::cache::binary()?;
    let base = KeyBase::new(model, templates, &salt);
    let units = render::units(model)
        .iter()
        .map(|u| (u.id(), u.key(&base, model)))
        .collect();
    let mut outputs: Vec<(PathBuf, u32, [u8; 32])> = per_unit
        .iter()
        .enumerate()
        .flat_map(|(i, outs)| {
            outs.iter().map(move |o| {
                (
                    o.path.clone(),
                    i as u32,
                    output::digest(&o.content, o.executable),
                )
            })
        })
        .collect();
    outputs.sort_unstable_by(|a, b| output::path_cmp(&a.0, &b.0));
    Some(output::cache::CompleteRender::new(
        manifest,
        model,
        template_names(),
        warnings,
        units,
        outputs,
    ))
}

/// Every unit's id and key ([`render::Unit`]).
type UnitKeys = Vec<(String, [u8; 32])>;

/// What [`LoadedProject::for_render`] found.
pub(crate) enum ForRender {
    /// Every output is current.
    Fresh(Fresh),
    /// The project, and what the render cache proves current.
    Load(Box<LoadedProject>, Option<Reuse>),
}

/// The targets selected by `--distro` values (ids, families, groups, formats or `all`).
pub(crate) fn select_targets<'a>(
    model: &'a Model,
    selectors: &[String],
) -> Result<Vec<&'a Distro>> {
    if selectors.is_empty() {
        return Ok(model.project.targets.iter().collect());
    }
    let mut out: Vec<&Distro> = Vec::new();
    for s in selectors {
        let known = distro::SELECTOR_ALIASES.contains(&s.as_str())
            || model.distros.iter().any(|d| &d.id == s);
        if !known {
            return Err(Error::usage(format!(
                "--distro {s}: not a distro id, family, group, format or `all`"
            ))
            .with_note(format!(
                "targets of the manifest: {}; aliases: {}",
                target_ids(model),
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
                "--distro {s} selects none of the manifest's targets"
            ))
            .with_note(format!("targets: {}", target_ids(model))));
        }
        for d in matched {
            if !out.iter().any(|x| x.id == d.id) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// The manifest's target ids, for notes.
fn target_ids(model: &Model) -> String {
    let ids: Vec<&str> = model
        .project
        .targets
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    ids.join(", ")
}
