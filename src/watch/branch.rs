//! Committing what `watch --apply` changed to a branch, ready for a pull request, without
//! touching the branch that is checked out.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::error::{Error, Result};

/// The repository holding `dir`.
pub(crate) fn open(dir: &Path) -> Result<git2::Repository> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    git2::Repository::discover(dir)
        .with_context(|| format!("`{}` is not inside a git repository", dir.display()))
        .map_err(Error::Other)
}

/// Commit the current content of `paths` (relative to `dir`; absent files are removed)
/// on top of `parent`, and point `refs/heads/<branch>` at the new commit. Returns it.
pub(crate) fn commit_files(
    repo: &git2::Repository,
    dir: &Path,
    parent: &git2::Commit,
    paths: &[PathBuf],
    branch: &str,
    message: &str,
) -> Result<git2::Oid> {
    write_commit(repo, dir, parent, paths, branch, message).map_err(Error::Other)
}

/// [`commit_files`], its failures those of the filesystem and of git.
fn write_commit(
    repo: &git2::Repository,
    dir: &Path,
    parent: &git2::Commit,
    paths: &[PathBuf],
    branch: &str,
    message: &str,
) -> anyhow::Result<git2::Oid> {
    let root = repo
        .workdir()
        .context("a bare repository has no files to commit")?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve `{}`", dir.display()))?;
    let mut index = git2::Index::new()?;
    index.read_tree(&parent.tree()?)?;
    for rel in paths {
        let full = dir.join(rel);
        let in_repo = full
            .strip_prefix(&root)
            .with_context(|| format!("`{}` is outside the repository", full.display()))?
            .to_path_buf();
        match std::fs::read(&full) {
            Ok(bytes) => {
                let id = repo.blob(&bytes)?;
                let executable = {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::metadata(&full)?.permissions().mode() & 0o111 != 0
                };
                let entry = git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: if executable { 0o100755 } else { 0o100644 },
                    uid: 0,
                    gid: 0,
                    file_size: bytes.len() as u32,
                    id,
                    flags: 0,
                    flags_extended: 0,
                    path: in_repo.to_string_lossy().as_bytes().to_vec(),
                };
                index.add(&entry)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let _ = index.remove_path(&in_repo);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", full.display())),
        }
    }
    let tree = repo.find_tree(index.write_tree_to(repo)?)?;
    let sig = repo
        .signature()
        .or_else(|_| git2::Signature::now("pkgforge", "pkgforge@localhost"))?;
    let oid = repo.commit(None, &sig, &sig, message, &tree, &[parent])?;
    let refname = format!("refs/heads/{branch}");
    if !git2::Reference::is_valid_name(&refname) {
        bail!("`{branch}` is not a valid branch name");
    }
    repo.reference(&refname, oid, true, "pkgforge watch --commit-branch")?;
    Ok(oid)
}
