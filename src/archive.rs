//! Superseded release series kept pinned and installable: listing and pruning.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};

use crate::app::LoadedProject;
use crate::error::{Error, Result};
use crate::manifest::{self, Archived, Model, Pin, CHANGELOG};
use crate::output::{self, Change, Plan, Selection};

/// An archived series and whether it is beyond `keep-archived`.
pub(crate) struct Row<'a> {
    pub entry: &'a Archived,
    pub beyond_keep: bool,
}

/// Every archived series, newest first per upstream, marked when beyond `keep-archived`.
pub(crate) fn rows(model: &Model) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for u in &model.upstreams {
        let mut mine: Vec<&Archived> = model
            .archive
            .iter()
            .filter(|a| a.upstream == u.name)
            .collect();
        mine.sort_by(|a, b| crate::version::compare(&b.version.raw, &a.version.raw));
        for (i, a) in mine.into_iter().enumerate() {
            out.push(Row {
                entry: a,
                beyond_keep: i >= model.project.keep_archived as usize,
            });
        }
    }
    out
}

/// The table `pkgforge archive list` prints.
pub(crate) fn table(model: &Model) -> String {
    let mut lines = vec![[
        "UPSTREAM".to_string(),
        "SERIES".to_string(),
        "VERSION".to_string(),
        "PIN".to_string(),
        "ARCHIVED".to_string(),
        "STATUS".to_string(),
    ]];
    for r in rows(model) {
        let a = r.entry;
        lines.push([
            a.upstream.clone(),
            a.series.clone(),
            a.version.raw.clone(),
            match &a.pin {
                Pin::Commit(c) => format!("commit {c}"),
                Pin::Sha256(s) => format!("sha256 {s}"),
            },
            a.archived.clone(),
            if r.beyond_keep {
                format!(
                    "beyond keep-archived = {}: pkgforge archive prune --series {}",
                    model.project.keep_archived, a.series
                )
            } else {
                format!("kept in {}:{}", model.project.archive_project, a.series)
            },
        ]);
    }
    crate::table::columns(&lines)
}

/// Warnings render prints for series beyond `keep-archived`. Nothing is removed implicitly.
pub(crate) fn warnings(model: &Model) -> Vec<String> {
    rows(model)
        .into_iter()
        .filter(|r| r.beyond_keep)
        .map(|r| {
            format!(
                "warning: archived series {} of `{}` is beyond keep-archived = {}; remove it with `pkgforge archive prune --series {}`",
                r.entry.series, r.entry.upstream, model.project.keep_archived, r.entry.series
            )
        })
        .collect()
}

/// Remove one series' `[[archive]]` entry and, by rendering again, its outputs; nothing else.
pub(crate) fn prune(manifest_path: &Path, series: &str, upstream: Option<&str>) -> Result<Plan> {
    let project = LoadedProject::load(manifest_path)?;
    let matching: Vec<&Archived> = project
        .model
        .archive
        .iter()
        .filter(|a| a.series == series && upstream.is_none_or(|u| u == a.upstream))
        .collect();
    let target = match matching.as_slice() {
        [one] => *one,
        [] => {
            return Err(Error::usage(format!(
                "no archived series {series}{}",
                upstream.map(|u| format!(" of `{u}`")).unwrap_or_default()
            ))
            .with_note("see `pkgforge archive list`"))
        }
        _ => {
            let names: Vec<&str> = matching.iter().map(|a| a.upstream.as_str()).collect();
            return Err(Error::usage(format!(
                "several upstreams have an archived series {series}"
            ))
            .with_note(format!("pass --upstream: {}", names.join(", "))));
        }
    };
    let old = std::fs::read_to_string(manifest_path)
        .map_err(|e| Error::usage(format!("cannot read `{}`: {e}", manifest_path.display())))?;
    let mut doc: DocumentMut = old.parse().map_err(|e: toml_edit::TomlError| {
        Error::usage(format!("the manifest does not parse: {e}"))
    })?;
    let Some(Item::ArrayOfTables(arr)) = doc.get_mut("archive") else {
        return Err(Error::usage("the manifest has no [[archive]] entries"));
    };
    let index = arr
        .iter()
        .position(|t| {
            t.get("series").and_then(|v| v.as_str()) == Some(series)
                && t.get("upstream").and_then(|v| v.as_str()) == Some(target.upstream.as_str())
        })
        .ok_or_else(|| {
            Error::usage(format!(
                "cannot find the [[archive]] entry of series {series}"
            ))
        })?;
    arr.remove(index);
    if arr.is_empty() {
        doc.remove("archive");
    }
    let new = doc.to_string();
    let changelog = std::fs::read_to_string(project.model.dir.join(CHANGELOG)).unwrap_or_default();
    let model = manifest::load_texts(manifest_path, new.clone(), changelog)?;
    let (outputs, cache) = crate::app::render_for_cache(
        manifest_path,
        &model,
        &project.templates,
        crate::archive::warnings(&model),
    )?;
    let selection = Selection {
        targets: model.project.targets.iter().collect(),
        packages: Vec::new(),
    };
    let mut plan = output::plan(
        &model.dir,
        &outputs,
        &selection,
        model.project.targets.len(),
    )?;
    plan.cache = cache;
    let rel = manifest_path
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("packages.toml"));
    plan.changes
        .insert(0, Change::input(rel, old.into_bytes(), new.into_bytes()));
    Ok(plan)
}
