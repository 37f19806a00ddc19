//! Writing files so that a kill or a power loss never leaves half of one: atomic writes
//! (a temporary file, then `rename(2)`), durable writes (synced, with their directory),
//! and the temporary directory `.pkgforge-tmp/` beside the manifest that holds the
//! temporary files, so none ever sits in an output directory. See [`crate::journal`]
//! for how a run uses them to stay repairable.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where temporary files go, beside the manifest.
pub(crate) const TMP_DIR: &str = ".pkgforge-tmp";

/// A filesystem operation that failed: what was being done, to which path, and why.
/// The message holds the cause, so it reads whole however it is printed.
#[derive(Debug, thiserror::Error)]
#[error("{action}: {cause}")]
pub struct Error {
    action: String,
    cause: std::io::Error,
}

impl Error {
    /// `action` (such as "cannot create `path`") failed with `cause`.
    pub(crate) fn new(action: impl Into<String>, cause: std::io::Error) -> Error {
        Error {
            action: action.into(),
            cause,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Attach `action` to an I/O result.
trait Action<T> {
    fn action(self, f: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Action<T> for std::io::Result<T> {
    fn action(self, f: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::new(f(), e))
    }
}

/// `dir`, or `.` when it is the empty path of a bare `--manifest packages.toml`.
pub(crate) fn base(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// Write `content` to `path` atomically: a temporary file beside it, then rename. For
/// files beside the manifest that no run holds the lock for (the watch cache); rendered
/// files go through [`write_atomic_in`].
pub(crate) fn write_atomic(path: &Path, content: &[u8], executable: bool) -> Result<()> {
    let parent = parent_of(path);
    fs::create_dir_all(parent).action(|| format!("cannot create `{}`", parent.display()))?;
    let tmp = temp_in(parent, path, content, executable, false)?;
    persist(tmp, path)
}

/// Write `content` to `path` (below the manifest's directory `dir`) atomically: a
/// temporary file in `dir/.pkgforge-tmp/`, then rename, so no temporary file ever sits in
/// an output directory. Falls back to a temporary file beside `path` when the two are on
/// different filesystems.
pub(crate) fn write_atomic_in(
    dir: &Path,
    path: &Path,
    content: &[u8],
    executable: bool,
) -> Result<()> {
    write_in(dir, path, content, executable, false)
}

/// [`write_atomic_in`], synced to disk (file and directory) before it returns: for the
/// journal and the inputs, which no render can regenerate.
pub(crate) fn write_durable(dir: &Path, path: &Path, content: &[u8]) -> Result<()> {
    write_in(dir, path, content, false, true)?;
    sync_dir(parent_of(path));
    Ok(())
}

fn write_in(dir: &Path, path: &Path, content: &[u8], executable: bool, sync: bool) -> Result<()> {
    let parent = parent_of(path);
    fs::create_dir_all(parent).action(|| format!("cannot create `{}`", parent.display()))?;
    let tmp_dir = tmp_dir(base(dir))?;
    let tmp = temp_in(&tmp_dir, path, content, executable, sync)?;
    match tmp.persist(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error()) => {
            drop(e.file);
            let tmp = temp_in(parent, path, content, executable, sync)?;
            persist(tmp, path)
        }
        Err(e) => Err(Error::new(
            format!("cannot replace `{}`", path.display()),
            e.error,
        )),
    }
}

/// The directory `path` is in; `.` for a bare file name.
pub(crate) fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn temp_in(
    tmp_dir: &Path,
    path: &Path,
    content: &[u8],
    executable: bool,
    sync: bool,
) -> Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".pkgforge-")
        .suffix(".tmp")
        .tempfile_in(tmp_dir)
        .action(|| format!("cannot create a temporary file in `{}`", tmp_dir.display()))?;
    tmp.write_all(content)
        .action(|| format!("cannot write `{}`", path.display()))?;
    let mode = if executable { 0o755 } else { 0o644 };
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .action(|| format!("cannot set permissions of `{}`", path.display()))?;
    if sync {
        tmp.as_file()
            .sync_all()
            .action(|| format!("cannot sync `{}`", path.display()))?;
    }
    Ok(tmp)
}

fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    tmp.persist(path)
        .map_err(|e| e.error)
        .action(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}

/// Remove `path`, durably; a file that is already gone is no error.
pub(crate) fn remove_durable(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {
            sync_dir(parent_of(path));
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::new(format!("cannot remove `{}`", path.display()), e)),
    }
}

/// The temporary directory, created on demand with a `.gitignore` so a kill does not
/// leave anything `git status` shows.
pub(crate) fn tmp_dir(dir: &Path) -> Result<PathBuf> {
    let tmp = dir.join(TMP_DIR);
    if !tmp.is_dir() {
        fs::create_dir_all(&tmp).action(|| format!("cannot create `{}`", tmp.display()))?;
        let mut f = fs::File::create(tmp.join(".gitignore"))
            .action(|| format!("cannot create `{}`", tmp.display()))?;
        f.write_all(b"# pkgforge's temporary files\n*\n")
            .action(|| format!("cannot write `{}`", tmp.display()))?;
    }
    Ok(tmp)
}

/// Remove the temporary directory once a run is done with it.
pub(crate) fn remove_tmp_dir(dir: &Path) {
    let tmp = dir.join(TMP_DIR);
    let _ = fs::remove_file(tmp.join(".gitignore"));
    let _ = fs::remove_dir(&tmp);
}

/// Empty `.pkgforge-tmp/`: whatever is there belongs to a run that was killed (the
/// caller holds the lock).
pub(crate) fn remove_temporaries(dir: &Path) {
    let _ = fs::remove_dir_all(dir.join(TMP_DIR));
}

/// Remove `.pkgforge-*.tmp` files in `dir`, left by a run killed while writing there.
pub(crate) fn remove_stray_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(base(dir)) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".pkgforge-")
            && name.ends_with(".tmp")
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Make a rename or a removal in `dir` durable. Best effort: not every filesystem can.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(base(dir)) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_leave_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let out = dir.join("a/b/file");
        write_atomic_in(dir, &out, b"one", true).unwrap();
        write_durable(dir, &out, b"two").unwrap();
        assert_eq!(fs::read(&out).ok().as_deref(), Some(&b"two"[..]));
        remove_tmp_dir(dir);
        assert!(!dir.join(TMP_DIR).exists());
        remove_durable(&out).unwrap();
        remove_durable(&out).unwrap();
        assert!(!out.exists());
    }
}
