//! `changelog.toml`: its entries, checked against the manifest and attached to its packages.

use std::collections::HashSet;

use crate::changelog::{self, Entry};
use crate::error::{Diagnostics, Result};
use crate::manifest::checks::*;
use crate::manifest::diagnostics::*;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::manifest::source::{Seg, Source as Src};
use crate::manifest::CHANGELOG;
use crate::path;
use crate::version::{escape_for_message, Version};

pub(in crate::manifest) fn resolve_changelog(
    src: &Src,
    raw: &raw::Changelog,
    model: &Model,
) -> Result<Vec<Entry>> {
    let mut errs = Diagnostics::default();
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
        let p = |k: &str| path!["entry", i, k];
        let mut ok = true;
        if let Some(u) = &e.upstream {
            if model.upstream(u).is_none() {
                errs.push(
                    src.error(
                        p("upstream"),
                        format!("unknown upstream `{}`", escape_for_message(u)),
                    )
                    .note(format!(
                        "upstreams of the manifest: {}",
                        model
                            .upstreams
                            .iter()
                            .map(|u| u.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                ok = false;
            }
        }
        for (j, pk) in e.packages.iter().flatten().enumerate() {
            if !known.contains(pk.as_str()) {
                let mut names: Vec<&str> = known.iter().copied().collect();
                names.sort();
                errs.push(
                    src.error(
                        path!["entry", i, "packages", j],
                        format!("unknown package `{}`", escape_for_message(pk)),
                    )
                    .note(format!("packages of the manifest: {}", names.join(", "))),
                );
                ok = false;
            }
        }
        let version = match Version::parse(&e.version, None) {
            Ok(v) => Some(v),
            Err(m) => {
                errs.push(version_diag(src, p("version"), &e.version, m));
                None
            }
        };
        let date = match changelog::parse_date(&e.date) {
            Ok(d) => Some(d),
            Err(m) => {
                errs.push(src.error(p("date"), m));
                None
            }
        };
        let author = &e.author;
        if author.chars().any(char::is_control)
            || author.trim().is_empty()
            || !author.contains('<')
            || !author.trim_end().ends_with('>')
        {
            errs.push(
                src.error(
                    p("author"),
                    "the author must be one line reading `Name <email>`",
                )
                .note("for example author = \"Jane Packager <jane@example.org>\""),
            );
            ok = false;
        } else if let Some(at) = macro_call(author) {
            // changelog2spec copies the author of .changes into the spec unescaped
            errs.push(
                diag_within(
                    src,
                    p("author"),
                    author,
                    Some(at.clone()),
                    format!(
                        "the author contains RPM macro syntax `{}`",
                        escape_for_message(&author[at])
                    ),
                )
                .note("OBS copies the author into the spec's %changelog, where rpm expands macros; remove it"),
            );
            ok = false;
        }
        if e.changes.is_empty() {
            errs.push(src.error(p("changes"), "an entry needs at least one change"));
            ok = false;
        }
        for (j, c) in e.changes.iter().enumerate() {
            if c.trim().is_empty() || c.chars().any(|ch| ch.is_control()) {
                errs.push(src.error(
                    path!["entry", i, "changes", j],
                    "each change must be one non-empty line",
                ));
                ok = false;
            } else if let Some(at) = ["%{", "%(", "%["].iter().filter_map(|m| c.find(m)).min() {
                errs.push(
                    diag_within(
                        src,
                        path!["entry", i, "changes", j],
                        c,
                        Some(at..at + 2),
                        format!("a change contains RPM macro syntax `{}`", &c[at..at + 2]),
                    )
                    .note("macros would be expanded (and %(...) executed) when the spec is parsed; remove them"),
                );
                ok = false;
            }
        }
        if let (Some(d), Some((prev, above))) = (date, previous) {
            if d > prev {
                let at = src
                    .span(&[Seg::from("entry"), Seg::from(above), Seg::from("date")])
                    .map(|s| s.start);
                let line = at.map_or(0, |at| src.text[..at].matches('\n').count() + 1);
                errs.push(
                    src.error(
                        p("date"),
                        format!("entries must be newest first, but this one is newer than the entry above it (line {line})"),
                    )
                    .note("bump prepends new entries at the top of the file; move this entry up"),
                );
            }
        }
        if let Some(d) = date {
            previous = Some((d, i));
        }
        if let (true, Some(version), Some(date)) = (ok, version, date) {
            out.push(Entry {
                upstream: e.upstream.clone(),
                packages: e.packages.clone(),
                version,
                date,
                author: e.author.clone(),
                changes: e.changes.clone(),
            });
        }
    }
    errs.into_result()?;
    Ok(out)
}

pub(in crate::manifest) fn attach_changelog(
    src: &Src,
    model: &mut Model,
    entries: &[Entry],
) -> Result<()> {
    let mut errs = Diagnostics::default();
    for (i, p) in model.packages.iter_mut().enumerate() {
        let mine: Vec<Entry> = entries
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
