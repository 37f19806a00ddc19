//! The imported entries put into packages.toml and changelog.toml in place: the bytes
//! around them stay as they were.

use std::path::Path;

use crate::error::{Error, Result};
use crate::fsio;
use crate::manifest::CHANGELOG;

use super::emit::Entries;
use super::{Context, Prepared};

/// packages.toml with the entries: keys added to the tables it has, new tables at the end.
pub(crate) fn manifest(cx: &Context, e: &Entries) -> Result<String> {
    let mut text = cx.manifest_text.clone();
    if !e.edits.is_empty() {
        let mut doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|err: toml_edit::TomlError| Error::usage(err.to_string()))?;
        for (path, key, item) in &e.edits {
            let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
            for seg in path {
                let Some(next) = table.get_mut(seg).and_then(|i| i.as_table_like_mut()) else {
                    return Err(Error::usage(format!(
                        "cannot add `{key}` to [{}] of the manifest",
                        path.join(".")
                    )));
                };
                table = next;
            }
            if table.get(key).is_none() {
                table.insert(key, item.clone());
            }
        }
        text = doc.to_string();
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&e.appended);
    Ok(text)
}

/// changelog.toml with each entry before the first older one, so entries stay newest
/// first; the rest of the text as it was.
pub(crate) fn changelog(cx: &Context, entries: &[(String, String)]) -> Result<String> {
    let mut text = cx.changelog_text.clone();
    for (date, entry) in entries {
        let new = crate::changelog::parse_date(date).map_err(|e| Error::usage(e.to_string()))?;
        let at = entry_offsets(&text)
            .into_iter()
            .find(|(_, d)| crate::changelog::parse_date(d).is_ok_and(|old| old < new));
        match at {
            Some((offset, _)) => {
                text.insert_str(offset, &format!("{entry}\n"));
            }
            None => {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                if !text.trim().is_empty() {
                    text.push('\n');
                }
                text.push_str(entry);
            }
        }
    }
    Ok(text)
}

/// Each `[[entry]]` header's byte offset and the entry's date.
fn entry_offsets(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with("[[") && t.trim_start_matches('[').trim().starts_with("entry") {
            out.push((offset, String::new()));
        } else if let Some(rest) = t.strip_prefix("date") {
            if let (Some(last), Some(v)) = (out.last_mut(), rest.trim().strip_prefix('=')) {
                if last.1.is_empty() {
                    last.1 = v.trim().trim_matches(['"', '\'']).to_string();
                }
            }
        }
        offset += line.len();
    }
    out
}

/// Copy the patches, then write changelog.toml and packages.toml, each atomically.
/// Every patch is read before anything is written.
pub(crate) fn apply(manifest_path: &Path, p: &Prepared) -> Result<()> {
    let dir = fsio::base(manifest_path.parent().unwrap_or(Path::new("")));
    let mut patches = Vec::new();
    for (dest, src) in &p.copies {
        let bytes = std::fs::read(src)
            .map_err(|e| Error::usage(format!("cannot read patch {}: {e}", src.display())))?;
        let target = dir.join(dest);
        if let Ok(existing) = std::fs::read(&target) {
            if existing != bytes {
                return Err(Error::usage(format!(
                    "{} exists with other content; not overwritten",
                    target.display()
                )));
            }
        }
        patches.push((target, bytes));
    }
    for (target, bytes) in &patches {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::Other(
                    anyhow::Error::from(e).context(format!("cannot create {}", parent.display())),
                )
            })?;
        }
        fsio::write_atomic(target, bytes, false)?;
    }
    fsio::write_atomic(&dir.join(CHANGELOG), p.new_changelog.as_bytes(), false)?;
    fsio::write_atomic(manifest_path, p.new_manifest.as_bytes(), false)?;
    Ok(())
}
