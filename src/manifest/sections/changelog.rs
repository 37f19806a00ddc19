//! `changelog.toml`: its entries, checked against the manifest and attached to its packages.

use std::collections::HashSet;

use crate::changelog::{self, ChangelogEntry};
use crate::error::{Diagnostics, Result};
use crate::manifest::checks::{author, change};
use crate::manifest::diagnostics::line_at;
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::toml_file::{Seg, TomlFile};
use crate::manifest::CHANGELOG;
use crate::path;
use crate::version::{escape_for_message, Version};

/// The entries of the changelog `raw`, read from `src`, that the manifest's `model` knows.
pub(in crate::manifest) fn resolve_changelog(
    src: &TomlFile,
    raw: &raw::Changelog,
    model: &Model,
) -> Result<Vec<ChangelogEntry>> {
    let mut cx = Cx {
        src,
        errs: Diagnostics::default(),
    };
    let mut out = Vec::new();
    let known: HashSet<&str> = model
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .chain(model.rootfs.iter().map(|r| r.name.as_str()))
        .collect();
    // The date of the entry above, and its index.
    let mut previous: Option<(jiff::Timestamp, usize)> = None;
    for (i, e) in raw.entry.iter().enumerate() {
        let ok = cx.entry_subjects(i, e, model, &known);
        let version = match Version::parse(&e.version, None) {
            Ok(v) => Some(v),
            Err(m) => {
                cx.version_err(path!["entry", i, "version"], &e.version, m);
                None
            }
        };
        let date = match changelog::parse_date(&e.date) {
            Ok(d) => Some(d),
            Err(m) => {
                cx.err(path!["entry", i, "date"], m.to_string());
                None
            }
        };
        let ok = cx.entry_text(i, e) & ok;
        if let (Some(d), Some((prev, above))) = (date, previous) {
            cx.newest_first(i, d, prev, above);
        }
        if let Some(d) = date {
            previous = Some((d, i));
        }
        if let (true, Some(version), Some(date)) = (ok, version, date) {
            out.push(ChangelogEntry {
                upstream: e.upstream.clone(),
                packages: e.packages.clone(),
                version,
                date,
                author: e.author.clone(),
                changes: e.changes.clone(),
            });
        }
    }
    cx.errs.into_result()?;
    Ok(out)
}

impl Cx<'_> {
    /// The upstream and packages entry `i` is about, each known to the manifest.
    fn entry_subjects(
        &mut self,
        i: usize,
        e: &raw::ChangelogEntry,
        model: &Model,
        known: &HashSet<&str>,
    ) -> bool {
        let mut ok = true;
        if let Some(u) = &e.upstream {
            if model.upstream(u).is_none() {
                self.err_note(
                    path!["entry", i, "upstream"],
                    format!("unknown upstream `{}`", escape_for_message(u)),
                    format!(
                        "upstreams of the manifest: {}",
                        model
                            .upstreams
                            .iter()
                            .map(|u| u.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                ok = false;
            }
        }
        for (j, pk) in e.packages.iter().flatten().enumerate() {
            if !known.contains(pk.as_str()) {
                let mut names: Vec<&str> = known.iter().copied().collect();
                names.sort();
                self.err_note(
                    path!["entry", i, "packages", j],
                    format!("unknown package `{}`", escape_for_message(pk)),
                    format!("packages of the manifest: {}", names.join(", ")),
                );
                ok = false;
            }
        }
        ok
    }

    /// The author and the changes of entry `i`.
    fn entry_text(&mut self, i: usize, e: &raw::ChangelogEntry) -> bool {
        let mut ok = self.check(path!["entry", i, "author"], &e.author, author(&e.author));
        if e.changes.is_empty() {
            self.err(
                path!["entry", i, "changes"],
                "an entry needs at least one change",
            );
            ok = false;
        }
        for (j, c) in e.changes.iter().enumerate() {
            ok &= self.check(path!["entry", i, "changes", j], c, change(c));
        }
        ok
    }

    /// Entry `i`, dated `d`, is not newer than entry `above`, dated `prev`.
    fn newest_first(&mut self, i: usize, d: jiff::Timestamp, prev: jiff::Timestamp, above: usize) {
        if d <= prev {
            return;
        }
        let at = [Seg::from("entry"), Seg::from(above), Seg::from("date")];
        let line = line_at(self.src, &at).unwrap_or(0);
        self.err_note(
            path!["entry", i, "date"],
            format!("entries must be newest first, but this one is newer than the entry above it (line {line})"),
            "bump prepends new entries at the top of the file; move this entry up",
        );
    }
}
pub(in crate::manifest) fn attach_changelog(
    src: &TomlFile,
    model: &mut Model,
    entries: &[ChangelogEntry],
) -> Result<()> {
    let mut errs = Diagnostics::default();
    for r in &mut model.rootfs {
        r.changelog = entries
            .iter()
            .filter(|e| e.covers(&r.name, r.upstream.as_deref()))
            .cloned()
            .collect();
    }
    for (i, p) in model.packages.iter_mut().enumerate() {
        let mine: Vec<ChangelogEntry> = entries
            .iter()
            .filter(|e| e.covers(&p.name, Some(&p.upstream)))
            .cloned()
            .collect();
        let note = format!(
            "add at the top of {CHANGELOG}:\n\n    [[entry]]\n    upstream = \"{}\"\n    version = \"{}\"\n    date = \"2026-01-01T00:00:00Z\"\n    author = \"{}\"\n    changes = [\"Update to version {}\"]",
            p.upstream, p.version.raw, model.project.maintainer, p.version.raw
        );
        match mine.first() {
            None => errs.push(src.error(path!["packages", i, "name"], format!("no changelog entry covers package `{}`", p.name)).note(note)),
            Some(top) if top.version.raw != p.version.raw => errs.push(
                src.error(path!["packages", i, "name"], format!(
                    "the newest changelog entry for `{}` is for version {}, but the package is at {}",
                    p.name, top.version.raw, p.version.raw
                ))
                .note(note),
            ),
            Some(_) => {
                p.revision = mine.iter().take_while(|e| e.version.raw == p.version.raw).count() as u32;
                p.changelog = mine;
            }
        }
    }
    errs.into_result()
}
