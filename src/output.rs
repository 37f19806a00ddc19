//! The one writer: only files whose content changed, each atomically, and removal of
//! files an earlier render produced that this one does not. It records what it wrote in
//! `.pkgforge-outputs` beside the manifest and touches nothing else. How a write survives
//! a kill at any instant is in [`crate::journal`].

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::distro::Distro;
use crate::journal;
use crate::render::{Output, Serves};

/// The record of rendered files, beside the manifest.
pub const STATE_FILE: &str = ".pkgforge-outputs";

/// What a render would do to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Create,
    Update,
    Remove,
}

#[derive(Debug, Clone)]
pub struct Change {
    pub path: PathBuf,
    pub kind: Kind,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
    pub executable: bool,
    /// Whether the file it replaces was executable, to restore it on rollback.
    pub old_executable: bool,
    /// An input (the manifest, the changelog) rather than a rendered file: journaled,
    /// written after every output and synced to disk.
    pub input: bool,
}

impl Change {
    /// A new content for an input file, which exists.
    pub fn input(path: PathBuf, old: Vec<u8>, new: Vec<u8>) -> Change {
        Change {
            path,
            kind: Kind::Update,
            old: Some(old),
            new: Some(new),
            executable: false,
            old_executable: false,
            input: true,
        }
    }
}

/// Every change a render would make, and how many files are already current.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: usize,
    /// The record of rendered files to write before anything else: the old records plus
    /// the new ones, so a run killed after creating a file still knows it made it.
    pub pre_state: Option<Vec<u8>>,
}

/// Which outputs a run is about: the `--distro` and `--package` selection.
pub struct Selection<'a> {
    pub targets: Vec<&'a Distro>,
    /// Empty means every package.
    pub packages: Vec<String>,
}

impl Selection<'_> {
    fn picks(&self, package: Option<&str>, serves: &Serves) -> bool {
        serves.selected_by(&self.targets)
            && (self.packages.is_empty()
                || package.is_some_and(|p| self.packages.iter().any(|x| x == p)))
    }

    fn is_everything(&self, all_targets: usize) -> bool {
        self.packages.is_empty() && self.targets.len() == all_targets
    }
}

#[derive(Clone)]
struct Record {
    package: Option<String>,
    serves: Serves,
}

fn read_state(dir: &Path) -> anyhow::Result<BTreeMap<PathBuf, Record>> {
    let path = dir.join(STATE_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    };
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut parts = line.split('\t');
        let (Some(p), Some(pkg), Some(serves)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        // Only ever remove files below the manifest's directory.
        let rel = PathBuf::from(p);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            continue;
        }
        out.insert(
            rel,
            Record {
                package: (pkg != "-").then(|| pkg.to_string()),
                serves: Serves::from_tag(serves),
            },
        );
    }
    Ok(out)
}

fn state_text(records: &BTreeMap<PathBuf, Record>) -> Vec<u8> {
    let mut s = String::from("# Files rendered by pkgforge: path, package, targets. Render removes them when they are no longer produced.\n");
    for (p, r) in records {
        s.push_str(&format!(
            "{}\t{}\t{}\n",
            p.display(),
            r.package.as_deref().unwrap_or("-"),
            r.serves.tag()
        ));
    }
    s.into_bytes()
}

fn read_existing(path: &Path) -> anyhow::Result<Option<(Vec<u8>, bool)>> {
    match fs::read(path) {
        Ok(bytes) => {
            let exec = fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false);
            Ok(Some((bytes, exec)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// Compare the outputs with the tree under `dir`.
pub fn plan(
    dir: &Path,
    outputs: &[Output],
    selection: &Selection,
    all_targets: usize,
) -> anyhow::Result<Plan> {
    let old = read_state(dir)?;
    let old_text = state_text(&old);
    let mut union = old.clone();
    let mut plan = Plan::default();
    let mut new_state: BTreeMap<PathBuf, Record> = BTreeMap::new();
    for o in outputs {
        let picked = selection.picks(o.package.as_deref(), &o.serves);
        if !picked && !old.contains_key(&o.path) {
            continue;
        }
        new_state.insert(
            o.path.clone(),
            Record {
                package: o.package.clone(),
                serves: o.serves.clone(),
            },
        );
        if !picked {
            continue;
        }
        match read_existing(&dir.join(&o.path))? {
            None => plan.changes.push(Change {
                path: o.path.clone(),
                kind: Kind::Create,
                old: None,
                new: Some(o.content.clone()),
                executable: o.executable,
                old_executable: false,
                input: false,
            }),
            Some((bytes, exec)) if bytes != o.content || exec != o.executable => {
                plan.changes.push(Change {
                    path: o.path.clone(),
                    kind: Kind::Update,
                    old: Some(bytes),
                    new: Some(o.content.clone()),
                    executable: o.executable,
                    old_executable: exec,
                    input: false,
                })
            }
            Some(_) => plan.unchanged += 1,
        }
    }
    let produced: std::collections::HashSet<&PathBuf> = outputs.iter().map(|o| &o.path).collect();
    for (path, rec) in old {
        if produced.contains(&path) {
            continue;
        }
        if selection.picks(rec.package.as_deref(), &rec.serves)
            || selection.is_everything(all_targets)
        {
            if let Some((bytes, exec)) = read_existing(&dir.join(&path))? {
                plan.changes.push(Change {
                    path,
                    kind: Kind::Remove,
                    old: Some(bytes),
                    new: None,
                    executable: false,
                    old_executable: exec,
                    input: false,
                });
            }
        } else {
            new_state.insert(path, rec);
        }
    }
    let state = state_text(&new_state);
    for (p, r) in &new_state {
        union.insert(p.clone(), r.clone());
    }
    let union = state_text(&union);
    if union != old_text && union != state {
        plan.pre_state = Some(union);
    }
    let state_path = PathBuf::from(STATE_FILE);
    match read_existing(&dir.join(&state_path))? {
        Some((bytes, _)) if bytes == state => {}
        existing => plan.changes.push(Change {
            kind: if existing.is_some() {
                Kind::Update
            } else {
                Kind::Create
            },
            old: existing.map(|(b, _)| b),
            path: state_path,
            new: Some(state),
            executable: false,
            old_executable: false,
            input: false,
        }),
    }
    Ok(plan)
}

/// Write `content` to `path` atomically: a temporary file beside it, then rename. For
/// files beside the manifest that no run holds the lock for (the watch cache); rendered
/// files go through [`write_atomic_in`].
pub fn write_atomic(path: &Path, content: &[u8], executable: bool) -> anyhow::Result<()> {
    let parent = parent_of(path);
    fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let tmp = temp_in(parent, path, content, executable, false)?;
    persist(tmp, path)
}

/// Write `content` to `path` (below the manifest's directory `dir`) atomically: a
/// temporary file in `dir/.pkgforge-tmp/`, then rename, so no temporary file ever sits in
/// an output directory. Falls back to a temporary file beside `path` when the two are on
/// different filesystems.
pub fn write_atomic_in(
    dir: &Path,
    path: &Path,
    content: &[u8],
    executable: bool,
) -> anyhow::Result<()> {
    write_in(dir, path, content, executable, false)
}

/// [`write_atomic_in`], synced to disk (file and directory) before it returns: for the
/// journal and the inputs, which no render can regenerate.
pub fn write_durable(dir: &Path, path: &Path, content: &[u8]) -> anyhow::Result<()> {
    write_in(dir, path, content, false, true)?;
    journal::sync_dir(parent_of(path));
    Ok(())
}

fn write_in(
    dir: &Path,
    path: &Path,
    content: &[u8],
    executable: bool,
    sync: bool,
) -> anyhow::Result<()> {
    let parent = parent_of(path);
    fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let tmp_dir = journal::tmp_dir(journal::base(dir))?;
    let tmp = temp_in(&tmp_dir, path, content, executable, sync)?;
    match tmp.persist(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error()) => {
            drop(e.file);
            let tmp = temp_in(parent, path, content, executable, sync)?;
            persist(tmp, path)
        }
        Err(e) => Err(e.error).with_context(|| format!("cannot replace `{}`", path.display())),
    }
}

fn parent_of(path: &Path) -> &Path {
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
) -> anyhow::Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".pkgforge-")
        .suffix(".tmp")
        .tempfile_in(tmp_dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", tmp_dir.display()))?;
    tmp.write_all(content)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let mode = if executable { 0o755 } else { 0o644 };
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set permissions of `{}`", path.display()))?;
    if sync {
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("cannot sync `{}`", path.display()))?;
    }
    Ok(tmp)
}

fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> anyhow::Result<()> {
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}

/// Carry out a plan under `dir`, all or nothing, in an order that a kill at any instant
/// leaves repairable (see [`crate::journal`]): the journal of the inputs, the union
/// record, the outputs, the inputs, the final record, and the journal's removal. If a
/// write fails, every file already changed gets its old content back. The caller holds
/// the lock ([`crate::lock::Lock`]).
pub fn apply(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    let mut dirs: Vec<&Path> = plan
        .changes
        .iter()
        .map(|c| c.path.parent().unwrap_or(Path::new("")))
        .collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        journal::remove_stray_temporaries(&dir.join(d));
    }
    let inputs: Vec<&Change> = plan.changes.iter().filter(|c| c.input).collect();
    let (state, outputs): (Vec<&Change>, Vec<&Change>) = plan
        .changes
        .iter()
        .filter(|c| !c.input)
        .partition(|c| c.path == Path::new(STATE_FILE));
    if !inputs.is_empty() {
        let mut files = Vec::new();
        for c in &inputs {
            let new = String::from_utf8(c.new.clone().unwrap_or_default())
                .map_err(|_| anyhow::anyhow!("`{}` is not UTF-8", c.path.display()))?;
            files.push(journal::JournalFile {
                path: c.path.clone(),
                old_sha256: c.old.as_deref().map(journal::sha256),
                new,
            });
        }
        journal::write(
            dir,
            &journal::Journal {
                written: jiff::Timestamp::now().to_string(),
                pid: std::process::id(),
                files,
            },
        )?;
    }
    let result = apply_all(dir, plan, &outputs, &inputs, &state);
    match &result {
        // Done, or cleanly undone: the journal has served.
        Ok(()) | Err(Failed { undone: true, .. }) => journal::remove(dir)?,
        // Keep the journal: the next run rolls forward to a consistent state.
        Err(Failed { undone: false, .. }) => {}
    }
    journal::remove_tmp_dir(journal::base(dir));
    result.map_err(|f| f.error)
}

struct Failed {
    error: anyhow::Error,
    /// Whether every file already changed got its old content back.
    undone: bool,
}

fn apply_all(
    dir: &Path,
    plan: &Plan,
    outputs: &[&Change],
    inputs: &[&Change],
    state: &[&Change],
) -> Result<(), Failed> {
    if let Some(pre) = &plan.pre_state {
        write_atomic_in(dir, &dir.join(STATE_FILE), pre, false).map_err(|error| Failed {
            error,
            undone: true,
        })?;
    }
    let mut done: Vec<&Change> = Vec::new();
    for c in outputs.iter().chain(inputs).chain(state) {
        if let Err(error) = apply_one(dir, c) {
            let mut undone = true;
            for undo in done.iter().rev() {
                undone &= revert(dir, undo);
            }
            if undone || inputs.is_empty() {
                return Err(Failed { error, undone });
            }
            return Err(Failed {
                error: error.context(format!(
                    "could not restore every file; the next `pkgforge render` completes the change recorded in `{}`",
                    journal::JOURNAL
                )),
                undone,
            });
        }
        done.push(c);
    }
    Ok(())
}

fn apply_one(dir: &Path, c: &Change) -> anyhow::Result<()> {
    let full = dir.join(&c.path);
    match c.kind {
        Kind::Create | Kind::Update if c.input => {
            write_durable(dir, &full, c.new.as_deref().unwrap_or_default())
        }
        Kind::Create | Kind::Update => write_atomic_in(
            dir,
            &full,
            c.new.as_deref().unwrap_or_default(),
            c.executable,
        ),
        Kind::Remove => {
            match fs::remove_file(&full) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove `{}`", full.display()))
                }
            }
            prune_empty_dirs(dir, full.parent());
            Ok(())
        }
    }
}

/// Put back what `c` replaced; whether that worked.
fn revert(dir: &Path, c: &Change) -> bool {
    let full = dir.join(&c.path);
    match (&c.kind, &c.old) {
        (Kind::Create, _) => {
            let gone = match fs::remove_file(&full) {
                Ok(()) => true,
                Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            };
            prune_empty_dirs(dir, full.parent());
            gone
        }
        (_, Some(old)) => write_atomic_in(dir, &full, old, c.old_executable).is_ok(),
        _ => true,
    }
}

/// Remove directories left empty by a removal, up to (not including) `root`.
pub fn prune_empty_dirs(root: &Path, mut dir: Option<&Path>) {
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || d.as_os_str().is_empty() {
            break;
        }
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// A unified diff of every change, with `a/` and `b/` paths as git shows them.
pub fn diff(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        let old = c
            .old
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let new = c
            .new
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let a = if c.kind == Kind::Create {
            "/dev/null".to_string()
        } else {
            format!("a/{}", c.path.display())
        };
        let b = if c.kind == Kind::Remove {
            "/dev/null".to_string()
        } else {
            format!("b/{}", c.path.display())
        };
        out.push_str(&format!("diff --pkgforge a/{0} b/{0}\n", c.path.display()));
        if old == new {
            out.push_str(&format!(
                "mode change to {}\n",
                if c.executable { "100755" } else { "100644" }
            ));
            continue;
        }
        let text = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        let mut unified = text.unified_diff();
        out.push_str(&unified.context_radius(3).header(&a, &b).to_string());
        if !out.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
    out
}
