//! `.changes` and `debian.changelog` read into changelog entries.

use std::path::Path;

use crate::error::{Diagnostic, Result};

use super::spec::line_span;

/// One entry, in the manifest changelog's terms.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// RFC 3339, UTC.
    pub date: String,
    pub author: String,
    pub changes: Vec<String>,
    /// The version, when the file says it (debian.changelog does; .changes does not).
    pub version: Option<String>,
    /// Lines of indented text under an item, which became items of their own.
    pub flattened: Vec<usize>,
}

const RULE: &str = "-------------------------------------------------------------------";

fn bad(path: &Path, text: &str, line: usize, what: &str) -> crate::error::Error {
    Diagnostic::new(path, what.to_string())
        .at(text, line_span(text, line))
        .into()
}

/// A SUSE `.changes` file: entries separated by a rule, each `date - author`, then
/// `- item` lines (more lines of an item are indented).
pub(crate) fn parse_changes(path: &Path, text: &str) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut header_next = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim() == RULE {
            header_next = true;
            continue;
        }
        if header_next {
            header_next = false;
            let Some((date, author)) = line.split_once(" - ") else {
                return Err(bad(
                    path,
                    text,
                    n,
                    "expected `date - author` after the rule",
                ));
            };
            let normalized = date.split_whitespace().collect::<Vec<_>>().join(" ");
            let parsed = jiff::civil::DateTime::strptime("%a %b %d %H:%M:%S UTC %Y", &normalized)
                .map_err(|e| {
                bad(
                    path,
                    text,
                    n,
                    &format!("cannot read the date `{date}`: {e}"),
                )
            })?;
            entries.push(Entry {
                date: parsed.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                author: author.trim().to_string(),
                ..Entry::default()
            });
            continue;
        }
        let Some(e) = entries.last_mut() else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(bad(path, text, n, "text before the first entry's rule"));
        };
        if let Some(item) = line.strip_prefix("- ") {
            e.changes.push(item.trim_end().to_string());
        } else if !line.trim().is_empty() {
            // a change is one line: an indented line is an item of its own
            e.changes.push(line.trim().to_string());
            e.flattened.push(n);
        }
    }
    Ok(entries)
}

/// A Debian changelog: `source (version) dist; urgency`, `  * item` lines, then
/// ` -- author  date`.
pub(crate) fn parse_debian(path: &Path, text: &str) -> Result<Vec<Entry>> {
    let head = regex::Regex::new(r"^\S+ \(([^)]+)\) [^;]*;").map_err(|e| anyhow::anyhow!(e))?;
    let mut entries: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(c) = head.captures(line) {
            entries.push(Entry {
                version: Some(upstream_version(&c[1])),
                ..Entry::default()
            });
            continue;
        }
        let Some(e) = entries.last_mut() else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(bad(
                path,
                text,
                n,
                "expected `source (version) distribution; urgency=...`",
            ));
        };
        if let Some(item) = line.strip_prefix("  * ") {
            e.changes.push(item.trim_end().to_string());
        } else if let Some(trailer) = line.strip_prefix(" -- ") {
            let Some((author, date)) = trailer.split_once("  ") else {
                return Err(bad(path, text, n, "expected ` -- author  date`"));
            };
            let ts = jiff::fmt::rfc2822::parse(date.trim()).map_err(|err| {
                bad(
                    path,
                    text,
                    n,
                    &format!("cannot read the date `{date}`: {err}"),
                )
            })?;
            e.author = author.trim().to_string();
            e.date = ts.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        } else if line.starts_with("    ") && !line.trim().is_empty() {
            e.changes.push(line.trim().to_string());
            e.flattened.push(n);
        }
    }
    Ok(entries)
}

/// A spec's `%changelog`: `* Mon Nov 02 2026 author - version-release`, then `- item`
/// lines.
pub(crate) fn parse_rpm(path: &Path, text: &str, lines: &[String]) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in lines {
        let at = |what: &str| {
            let n = text
                .lines()
                .position(|l| l.trim_end() == line.trim_end())
                .map_or(1, |i| i + 1);
            bad(path, text, n, what)
        };
        if let Some(head) = line.strip_prefix("* ") {
            let words: Vec<&str> = head.split_whitespace().collect();
            if words.len() < 5 {
                return Err(at(
                    "expected `* Day Mon DD YYYY author - version` in %changelog",
                ));
            }
            let date = words[..4].join(" ");
            let parsed = jiff::civil::Date::strptime("%a %b %d %Y", &date)
                .map_err(|e| at(&format!("cannot read the date `{date}`: {e}")))?;
            let rest = words[4..].join(" ");
            let (author, version) = match rest.rsplit_once(" - ") {
                Some((a, v)) => (a.to_string(), Some(upstream_version(v.trim()))),
                None => (rest.clone(), None),
            };
            entries.push(Entry {
                date: parsed.strftime("%Y-%m-%dT12:00:00Z").to_string(),
                author,
                changes: Vec::new(),
                version,
                flattened: Vec::new(),
            });
        } else if let (Some(e), Some(item)) = (entries.last_mut(), line.strip_prefix("- ")) {
            e.changes.push(item.trim_end().to_string());
        } else if let (Some(e), false) = (entries.last_mut(), line.trim().is_empty()) {
            e.changes.push(line.trim().to_string());
        }
    }
    Ok(entries)
}

/// `1:2.0~rc1-3` -> `2.0~rc1`: the upstream part of a Debian version.
fn upstream_version(v: &str) -> String {
    let v = v.split_once(':').map_or(v, |(_, r)| r);
    v.rsplit_once('-').map_or(v, |(u, _)| u).to_string()
}

/// The version an entry's items name (`Update to version 1.2.3`), if any.
pub(crate) fn named_version(changes: &[String]) -> Option<String> {
    let re = regex::Regex::new(r"(?i)\bupdate to (?:version )?v?(\d[0-9A-Za-z.~+_-]*[0-9A-Za-z])")
        .ok()?;
    changes
        .iter()
        .find_map(|c| re.captures(c).map(|m| m[1].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suse_changes_are_read() {
        let text = format!(
            "{RULE}\nFri Nov 20 12:00:00 UTC 2026 - A B <a@b.c>\n\n- Update to version 1.2\n- Fix\n  more\n\n\
             {RULE}\nMon Nov  2 08:00:00 UTC 2026 - A B <a@b.c>\n\n- Initial package\n"
        );
        let e = parse_changes(Path::new("x.changes"), &text).unwrap_or_default();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].date, "2026-11-20T12:00:00Z");
        assert_eq!(e[1].date, "2026-11-02T08:00:00Z");
        assert_eq!(e[0].changes, vec!["Update to version 1.2", "Fix", "more"]);
        assert_eq!(named_version(&e[0].changes).as_deref(), Some("1.2"));
    }

    #[test]
    fn debian_changelogs_are_read() {
        let text = "t (1:1.4.0~rc1-1) unstable; urgency=medium\n\n  * Initial package\n\n -- A B <a@b.c>  Fri, 20 Nov 2026 12:00:00 +0000\n";
        let e = parse_debian(Path::new("debian.changelog"), text).unwrap_or_default();
        assert_eq!(e[0].version.as_deref(), Some("1.4.0~rc1"));
        assert_eq!(e[0].date, "2026-11-20T12:00:00Z");
        assert_eq!(e[0].author, "A B <a@b.c>");
    }
}
