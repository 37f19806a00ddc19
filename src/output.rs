//! The one writer: only files whose content changed, each atomically, and removal of
//! files an earlier render produced that this one does not. It records what it wrote in
//! `.pkgforge-outputs` beside the manifest and touches nothing else.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::distro::Distro;
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
}

/// Every change a render would make, and how many files are already current.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: usize,
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
            }),
            Some((bytes, exec)) if bytes != o.content || exec != o.executable => {
                plan.changes.push(Change {
                    path: o.path.clone(),
                    kind: Kind::Update,
                    old: Some(bytes),
                    new: Some(o.content.clone()),
                    executable: o.executable,
                    old_executable: exec,
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
                });
            }
        } else {
            new_state.insert(path, rec);
        }
    }
    let state = state_text(&new_state);
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
        }),
    }
    Ok(plan)
}

/// Write `content` to `path` atomically: a temporary file beside it, then rename.
pub fn write_atomic(path: &Path, content: &[u8], executable: bool) -> anyhow::Result<()> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".pkgforge-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .with_context(|| format!("cannot create a temporary file in `{}`", parent.display()))?;
    tmp.write_all(content)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let mode = if executable { 0o755 } else { 0o644 };
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set permissions of `{}`", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}

/// Carry out a plan under `dir`, all or nothing: if any write fails, every file already
/// changed gets its old content back. The state file goes last, so an interrupted run
/// still knows every file it may have written.
pub fn apply(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    let (state, files): (Vec<&Change>, Vec<&Change>) = plan
        .changes
        .iter()
        .partition(|c| c.path == Path::new(STATE_FILE));
    let mut done: Vec<&Change> = Vec::new();
    for c in files.into_iter().chain(state) {
        if let Err(e) = apply_one(dir, c) {
            for undo in done.iter().rev() {
                revert(dir, undo);
            }
            return Err(e);
        }
        done.push(c);
    }
    Ok(())
}

fn apply_one(dir: &Path, c: &Change) -> anyhow::Result<()> {
    let full = dir.join(&c.path);
    match c.kind {
        Kind::Create | Kind::Update => {
            write_atomic(&full, c.new.as_deref().unwrap_or_default(), c.executable)
        }
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

/// Best effort: put back what `c` replaced.
fn revert(dir: &Path, c: &Change) {
    let full = dir.join(&c.path);
    match (&c.kind, &c.old) {
        (Kind::Create, _) => {
            let _ = fs::remove_file(&full);
            prune_empty_dirs(dir, full.parent());
        }
        (_, Some(old)) => {
            let _ = write_atomic(&full, old, c.old_executable);
        }
        _ => {}
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
