//! Crash safety: what a run killed at any instant leaves behind, and how the next one
//! repairs it.
//!
//! - **One file at a time is atomic.** Every write goes to a temporary file in
//!   `.pkgforge-tmp/` beside the manifest (the same filesystem, so `rename(2)` is atomic)
//!   and is renamed over its target. A rendered file is therefore always its old or its
//!   new content, never half. Temporary files never sit in an output directory, where
//!   `osc addremove` (outside its default `exclude_glob`) or `dpkg-source` would take them
//!   for sources; the next mutating run empties `.pkgforge-tmp/` under the lock. (Only if
//!   an output directory is on another filesystem, where a rename cannot cross, the
//!   temporary file goes beside its target as `.pkgforge-*.tmp`; the next run removes
//!   those it finds in the directories it writes.)
//! - **A render is idempotent.** Outputs are a function of the manifest, the changelog
//!   and the templates, and render compares contents: a render killed half-way is
//!   finished by the next one. The record of rendered files, `.pkgforge-outputs`, is
//!   written first as the union of the old and new records and last as the new one, so
//!   every file an interrupted run may have created is known and can be removed later.
//! - **A change to the inputs is journaled.** `bump` and `archive prune` change the
//!   manifest and the changelog, two files that must move together. Before touching
//!   anything, [`crate::output::apply`] writes `.pkgforge-journal` (the new content of
//!   each input and the hash of its old one), synced to disk; then the outputs, then the
//!   changelog, then the manifest (each synced), then the final record; then it deletes
//!   the journal. A kill before the journal exists changed nothing; after it, the next
//!   mutating run finds the journal, rolls the inputs forward to the journaled content
//!   ([`recover`]) and renders everything again, which completes the bump. The manifest
//!   goes last so that even without the journal an old manifest means an unfinished bump
//!   rather than a finished one.
//!
//! Against power loss as well as kills, the journal and the inputs are fsynced; rendered
//! files are not (thousands of fsyncs would make render slow) because the next render
//! compares and rewrites any that did not survive.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::fsio;

/// The journal of an input change in progress, beside the manifest.
pub(crate) const JOURNAL: &str = ".pkgforge-journal";

#[derive(Debug, Serialize, Deserialize)]
pub struct Journal {
    /// What to tell the user: the files and when.
    pub written: String,
    pub pid: u32,
    pub files: Vec<JournalFile>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct JournalFile {
    /// Relative to the manifest's directory.
    pub path: PathBuf,
    /// The SHA-256 of the content it replaces; `None` when it did not exist.
    pub old_sha256: Option<String>,
    pub new: String,
}

/// Write the journal durably: after this returns, a crash is rolled forward.
pub fn write(dir: &Path, journal: &Journal) -> fsio::Result<()> {
    let path = dir.join(JOURNAL);
    let text = serde_json::to_string_pretty(journal)
        .map_err(|e| fsio::Error::new(format!("cannot write `{}`", path.display()), e.into()))?;
    fsio::write_durable(dir, &path, text.as_bytes())
}

/// Delete the journal: the change it describes is complete (or undone).
pub(crate) fn remove(dir: &Path) -> fsio::Result<()> {
    fsio::remove_durable(&fsio::base(dir).join(JOURNAL))
}

/// Whether an interrupted change waits for the next mutating run; read-only commands
/// warn with this.
pub(crate) fn pending_warning(dir: &Path) -> Option<String> {
    let path = dir.join(JOURNAL);
    path.exists().then(|| {
        format!(
            "warning: `{}` records an interrupted bump or prune; the next `pkgforge render` completes it",
            path.display()
        )
    })
}

/// What [`recover`] did.
#[derive(Debug, Default)]
pub(crate) struct Recovery {
    /// Files rolled forward from a journal (empty when there was none).
    pub rolled_forward: Vec<PathBuf>,
    /// Whether a journal was found: every output must then be rendered again.
    pub journal: bool,
}

/// Repair what a killed run left: remove temporary files and roll a journaled input
/// change forward. Call it holding the lock, before loading the manifest.
pub(crate) fn recover(dir: &Path) -> Result<Recovery> {
    fsio::remove_temporaries(dir);
    let mut rec = Recovery::default();
    let path = dir.join(JOURNAL);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(rec),
        Err(e) => {
            return Err(anyhow::anyhow!("cannot read `{}`: {e}", path.display()).into());
        }
    };
    // The journal is renamed into place whole, so a journal that does not parse was not
    // written by pkgforge.
    let journal: Journal = serde_json::from_str(&text).map_err(|e| {
        Error::usage(format!(
            "`{}` is not a pkgforge journal: {e}",
            path.display()
        ))
        .with_note("remove it if you know what it is")
    })?;
    rec.journal = true;
    // Check every file before writing any, so a conflict leaves the tree as it is.
    let mut writes = Vec::new();
    for f in &journal.files {
        if f.path.is_absolute()
            || f.path
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(Error::usage(format!(
                "`{}` names `{}`, outside the manifest's directory",
                path.display(),
                f.path.display()
            )));
        }
        let full = dir.join(&f.path);
        let current = match fs::read(&full) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(anyhow::anyhow!("cannot read `{}`: {e}", full.display()).into()),
        };
        if current.as_deref() == Some(f.new.as_bytes()) {
            continue;
        }
        if current.as_deref().map(sha256_hex) != f.old_sha256 {
            return Err(Error::usage(format!(
                "`{}` changed after the bump or prune that `{}` records was interrupted",
                full.display(),
                path.display()
            ))
            .with_note("the journal holds what that run meant to write; compare, then delete the journal to keep your version"));
        }
        writes.push((full, f));
    }
    for (full, f) in writes {
        fsio::write_durable(dir, &full, f.new.as_bytes()).map_err(anyhow::Error::from)?;
        rec.rolled_forward.push(f.path.clone());
    }
    remove(dir).map_err(anyhow::Error::from)?;
    fsio::remove_tmp_dir(dir);
    Ok(rec)
}
