//! The one writer: only files whose content changed, each atomically, and removal of
//! files an earlier render produced that this one does not. It records what it wrote in
//! `.pkgforge-outputs` beside the manifest and touches nothing else. How a write survives
//! a kill at any instant is in [`crate::journal`].

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::distro::Distro;
use crate::fsio::{self, write_atomic_in, write_durable};
use crate::journal;
use crate::render::{Output, Serves};

pub(crate) mod cache;
mod state;

/// The record of rendered files, beside the manifest.
pub(crate) const STATE_FILE: &str = ".pkgforge-outputs";

/// What a render would do to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Remove,
}

#[derive(Debug, Clone)]
pub struct Change {
    pub path: PathBuf,
    pub kind: ChangeKind,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
    pub executable: bool,
    /// Whether the file it replaces was executable, to restore it on rollback.
    pub old_executable: bool,
    /// An input (the manifest, the changelog) rather than a rendered file: journaled,
    /// written after every output and synced to disk.
    pub input: bool,
    /// Whether a temporary file in `.pkgforge-tmp/` ([`staged_path`]) already holds the
    /// new content, when the plan was made with [`Keep::Staged`] (`new` is then `None`).
    /// A flag rather than the path: a cold render has tens of thousands of them.
    pub staged: bool,
}

impl Change {
    /// A new content for an input file, which exists.
    pub(crate) fn input(path: PathBuf, old: Vec<u8>, new: Vec<u8>) -> Change {
        Change {
            path,
            kind: ChangeKind::Update,
            old: Some(old),
            new: Some(new),
            executable: false,
            old_executable: false,
            input: true,
            staged: false,
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
    /// For a plan of every output: what to record in the render cache once it is
    /// written (see [`cache`]).
    pub cache: Option<cache::CompleteRender>,
    /// How many units ([`crate::render::Unit`]) were rendered; the others were proved
    /// current by the render cache.
    pub rendered_units: usize,
    pub units: usize,
}

/// Which outputs a run is about: the `--distro` and `--package` selection.
pub(crate) struct Selection<'a> {
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

    /// Whether the selection is every target and every package.
    pub(crate) fn is_everything(&self, all_targets: usize) -> bool {
        self.packages.is_empty() && self.targets.len() == all_targets
    }
}

#[derive(Clone)]
struct RenderedFile {
    /// Shared by every record of the package: a render has tens of thousands.
    package: Option<Arc<str>>,
    /// [`state::tag`]: a few bytes where a `Serves` holds a set, for tens of thousands of
    /// records.
    serves: Arc<str>,
    /// The output's [`digest`], when this run produced it and digests were asked for.
    digest: Option<[u8; 32]>,
    /// The unit ([`crate::render::Unit`]) that produced it in this run.
    unit: u32,
}

impl RenderedFile {
    fn picked_by(&self, selection: &Selection) -> bool {
        selection.picks(self.package.as_deref(), &state::serves(&self.serves))
    }
}

fn read_state(dir: &Path) -> anyhow::Result<BTreeMap<PathBuf, RenderedFile>> {
    let path = dir.join(STATE_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    };
    let mut out = Vec::new();
    let mut names = Interner::default();
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
        let serves = match serves.contains(',') {
            // In the order `state::tag` writes.
            true => names.get(&state::tag(&state::serves(serves))),
            false => names.get(serves),
        };
        out.push((
            rel,
            RenderedFile {
                package: (pkg != "-").then(|| names.get(pkg)),
                serves,
                digest: None,
                unit: 0,
            },
        ));
    }
    // Written sorted, so collecting is linear.
    Ok(out.into_iter().collect())
}

/// One shared copy of each package name and target list.
#[derive(Default)]
struct Interner(std::collections::HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        a
    }
}

fn state_text<'a>(
    records: impl Iterator<Item = (&'a PathBuf, &'a RenderedFile)> + Clone,
) -> Vec<u8> {
    let mut s = String::from("# Files rendered by pkgforge: path, package, targets. Render removes them when they are no longer produced.\n");
    let size: usize = records
        .clone()
        .map(|(p, r)| {
            p.as_os_str().len() + r.package.as_ref().map_or(1, |p| p.len()) + r.serves.len() + 3
        })
        .sum();
    s.reserve(size);
    for (p, r) in records {
        s.push_str(&p.to_string_lossy());
        s.push('\t');
        s.push_str(r.package.as_deref().unwrap_or("-"));
        s.push('\t');
        s.push_str(&r.serves);
        s.push('\n');
    }
    s.into_bytes()
}

fn read_existing(path: &Path) -> anyhow::Result<Option<(Vec<u8>, bool)>> {
    // One open, then fstat and read on the descriptor: no second path lookup.
    let read = || -> std::io::Result<(Vec<u8>, bool)> {
        let mut f = fs::File::open(path)?;
        let meta = f.metadata()?;
        let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
        std::io::Read::read_to_end(&mut f, &mut bytes)?;
        Ok((bytes, meta.permissions().mode() & 0o111 != 0))
    };
    match read() {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// What a plan does with the new content of a file that changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Keeps it in memory, in [`Change::new`]: for diffs, and for the small plans of bump
    /// and prune.
    Memory,
    /// Writes it at once to a temporary file in `.pkgforge-tmp/` ([`Change::staged`]),
    /// which [`apply`] renames into place. A render of any size then holds no output in
    /// memory, and one that fails part-way has not touched a single output.
    Staged,
}

/// A plan, and, when asked for, the digest ([`digest`]) of every output in the new record
/// of rendered files, with the unit that produced it, in path order.
pub(crate) struct Planned {
    pub plan: Plan,
    pub digests: Vec<(PathBuf, u32, [u8; 32])>,
}

/// What planning gets for one unit.
pub(crate) enum Produced {
    /// Its outputs, rendered.
    Rendered(Vec<Output>),
    /// Its outputs are current on disk, as the render cache proved: their paths and
    /// digests. Nothing is rendered, read or written for them.
    Current(Vec<(PathBuf, [u8; 32])>),
}

/// The SHA-256 of an output's content and executable bit, as the render cache records it.
pub(crate) fn digest(content: &[u8], executable: bool) -> [u8; 32] {
    crate::digest::content_and_mode(content, executable)
}

/// Compare the outputs with the tree under `dir`.
pub(crate) fn plan(
    dir: &Path,
    outputs: &[Output],
    selection: &Selection,
    all_targets: usize,
) -> crate::Result<Plan> {
    let produce = |_: usize, _: bool| Ok(Produced::Rendered(outputs.to_vec()));
    match plan_units(
        dir,
        1,
        &produce,
        selection,
        all_targets,
        Keep::Memory,
        false,
    ) {
        Ok(planned) => Ok(planned.plan),
        Err(crate::Error::Other(e)) => Err(crate::Error::Other(e)),
        Err(e) => Err(crate::Error::Other(anyhow::Error::new(e))),
    }
}

/// What one unit of outputs came to.
#[derive(Default)]
struct UnitPlan {
    changes: Vec<Change>,
    unchanged: usize,
    /// The outputs that go in the new record of rendered files.
    produced: Vec<(PathBuf, RenderedFile)>,
    rendered_units: usize,
}

/// Compare the outputs of `units` units, each made by `produce`, with the tree under
/// `dir`, on as many threads as there are CPUs. Only the changes stay in memory (or, with
/// [`Keep::Staged`], only their temporary files' names). If `produce` fails for some
/// units, the error of the first is returned, as a sequential render would, and every
/// staged file is removed again.
///
/// `produce(unit, may_reuse)` may answer [`Produced::Current`] only when `may_reuse`:
/// when the selection is everything, so the whole record of rendered files is rewritten.
/// A unit whose current outputs the old record does not list all is asked again, with
/// `may_reuse` false.
pub(crate) fn plan_units(
    dir: &Path,
    units: usize,
    produce: &(dyn Fn(usize, bool) -> crate::Result<Produced> + Sync),
    selection: &Selection,
    all_targets: usize,
    keep: Keep,
    digests: bool,
) -> crate::Result<Planned> {
    let old = read_state(dir)?;
    let staging = match keep {
        Keep::Staged => {
            fsio::tmp_dir(fsio::base(dir))?;
            Some(staging_root(dir))
        }
        Keep::Memory => None,
    };
    let planner = Planner {
        dir,
        // Looked up by the path's bytes: a `Path` compares component by component, which
        // for tens of thousands of lookups in the tree costs more than hashing.
        old_index: old.iter().map(|(p, r)| (p.as_os_str(), r)).collect(),
        produce,
        selection,
        may_reuse: selection.is_everything(all_targets),
        staging,
        digests,
    };
    let done = planner.all_units(units)?;
    let mut plan = Plan {
        changes: done.changes,
        unchanged: done.unchanged,
        rendered_units: done.rendered_units,
        units,
        ..Plan::default()
    };
    let mut produced = done.produced;
    // In path order, as the renderers' outputs come sorted.
    // Unstable sorts: in place, and no two outputs share a path.
    plan.changes
        .sort_unstable_by(|a, b| path_cmp(&a.path, &b.path));
    produced.sort_unstable_by(|a, b| path_cmp(&a.0, &b.0));
    produced.dedup_by(|b, a| a.0.as_os_str() == b.0.as_os_str());
    let kept = gone(dir, &old, &produced, selection, all_targets, &mut plan)?;
    let new_state = match kept.is_empty() {
        true => produced,
        false => {
            let mut all = produced;
            all.extend(kept);
            all.sort_by(|a, b| a.0.cmp(&b.0));
            all
        }
    };
    record_state(dir, &old, &new_state, &mut plan)?;
    let digests = match digests {
        true => new_state
            .into_iter()
            .filter_map(|(p, r)| Some((p, r.unit, r.digest?)))
            .collect(),
        false => Vec::new(),
    };
    Ok(Planned { plan, digests })
}

/// What every worker of [`plan_units`] shares.
struct Planner<'a, 's> {
    dir: &'a Path,
    old_index: std::collections::HashMap<&'a std::ffi::OsStr, &'a RenderedFile>,
    produce: &'a (dyn Fn(usize, bool) -> crate::Result<Produced> + Sync),
    selection: &'a Selection<'s>,
    may_reuse: bool,
    /// The staging tree, with [`Keep::Staged`].
    staging: Option<PathBuf>,
    digests: bool,
}

/// What a worker keeps from one unit to the next: the staging directories it made, and
/// whether output directories exist (nothing in the tree changes while planning).
#[derive(Default)]
struct Scratch {
    made: std::collections::HashSet<PathBuf>,
    dirs_seen: std::collections::HashMap<PathBuf, bool>,
    names: Interner,
}

impl Planner<'_, '_> {
    fn was(&self, p: &Path) -> Option<&RenderedFile> {
        self.old_index.get(p.as_os_str()).copied()
    }

    /// Plan every unit on as many threads as there are CPUs. Units after the first
    /// failed one are not started; those before it all finish, so the error reported is
    /// the one a sequential render would meet.
    fn all_units(&self, units: usize) -> crate::Result<UnitPlan> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;
        let next = AtomicUsize::new(0);
        let first_failed = AtomicUsize::new(usize::MAX);
        let done: Mutex<UnitPlan> = Mutex::new(UnitPlan::default());
        let failed: Mutex<Vec<(usize, crate::Error)>> = Mutex::new(Vec::new());
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, units.max(1));
        let work = || {
            let mut scratch = Scratch::default();
            loop {
                let unit = next.fetch_add(1, Ordering::SeqCst);
                if unit >= units || unit > first_failed.load(Ordering::SeqCst) {
                    break;
                }
                let mut up = UnitPlan::default();
                if let Err(e) = self.unit(unit, &mut up, &mut scratch) {
                    first_failed.fetch_min(unit, Ordering::SeqCst);
                    if let Ok(mut f) = failed.lock() {
                        f.push((unit, e));
                    }
                }
                // One growing list for all units: no per-unit copies left to fragment memory.
                if let Ok(mut d) = done.lock() {
                    d.changes.append(&mut up.changes);
                    d.produced.append(&mut up.produced);
                    d.unchanged += up.unchanged;
                    d.rendered_units += up.rendered_units;
                }
            }
        };
        // This thread is one of the workers: it reuses the memory loading freed.
        std::thread::scope(|s| {
            for _ in 1..workers {
                s.spawn(work);
            }
            work();
        });
        let mut failed = failed.into_inner().unwrap_or_default();
        if !failed.is_empty() {
            if let Some(root) = &self.staging {
                let _ = fs::remove_dir_all(root);
                fsio::remove_tmp_dir(fsio::base(self.dir));
            }
            failed.sort_by_key(|(unit, _)| *unit);
            return Err(failed.swap_remove(0).1);
        }
        Ok(done.into_inner().unwrap_or_default())
    }

    /// Plan one unit: keep the outputs the render cache proved current, or render it and
    /// compare each output with the tree.
    fn unit(&self, unit: usize, up: &mut UnitPlan, scratch: &mut Scratch) -> crate::Result<()> {
        let outputs = match (self.produce)(unit, self.may_reuse)? {
            Produced::Rendered(outputs) => outputs,
            Produced::Current(current) if current.iter().all(|(p, _)| self.was(p).is_some()) => {
                for (path, d) in current {
                    if let Some(rec) = self.was(&path) {
                        let record = RenderedFile {
                            digest: Some(d),
                            unit: unit as u32,
                            ..rec.clone()
                        };
                        up.produced.push((path, record));
                        up.unchanged += 1;
                    }
                }
                return Ok(());
            }
            Produced::Current(_) => match (self.produce)(unit, false)? {
                Produced::Rendered(outputs) => outputs,
                Produced::Current(_) => {
                    return Err(crate::Error::Other(anyhow::anyhow!(
                        "unit {unit} was not rendered when asked to be"
                    )))
                }
            },
        };
        up.rendered_units += 1;
        for o in outputs {
            self.output(unit, o, up, scratch)?;
        }
        Ok(())
    }

    /// Record one rendered output and, when it is selected and differs from the file on
    /// disk, the change (staged with [`Keep::Staged`]).
    fn output(
        &self,
        unit: usize,
        o: Output,
        up: &mut UnitPlan,
        scratch: &mut Scratch,
    ) -> crate::Result<()> {
        let picked = self.selection.picks(o.package.as_deref(), &o.serves);
        let package = o.package.as_deref().map(|p| scratch.names.get(p));
        if picked || self.was(&o.path).is_some() {
            let record = RenderedFile {
                package,
                serves: scratch.names.get(&state::tag(&o.serves)),
                digest: self.digests.then(|| digest(&o.content, o.executable)),
                unit: unit as u32,
            };
            up.produced.push((o.path.clone(), record));
        }
        if !picked {
            return Ok(());
        }
        // No need to look for a file whose directory is not there (a first render).
        let parent = o.path.parent().unwrap_or(Path::new(""));
        let present = match scratch.dirs_seen.get(parent) {
            Some(p) => *p,
            None => {
                let p = fs::symlink_metadata(fsio::base(&self.dir.join(parent))).is_ok();
                scratch.dirs_seen.insert(parent.to_path_buf(), p);
                p
            }
        };
        let existing = match present {
            true => read_existing(&self.dir.join(&o.path))?,
            false => None,
        };
        let (kind, old_content, old_executable) = match existing {
            None => (ChangeKind::Create, None, false),
            Some((bytes, exec)) if bytes != o.content || exec != o.executable => {
                (ChangeKind::Update, Some(bytes), exec)
            }
            Some(_) => {
                up.unchanged += 1;
                return Ok(());
            }
        };
        let (new, staged) = match &self.staging {
            Some(root) => {
                stage(root, &o.path, &o.content, o.executable, &mut scratch.made)?;
                (None, true)
            }
            None => (Some(o.content), false),
        };
        up.changes.push(Change {
            path: o.path,
            kind,
            old: old_content,
            new,
            executable: o.executable,
            old_executable,
            input: false,
            staged,
        });
        Ok(())
    }
}

/// The old records the outputs no longer have: removed when selected (a change in
/// `plan`), else kept, and returned. Both lists are in path order, so one walk finds them.
fn gone(
    dir: &Path,
    old: &BTreeMap<PathBuf, RenderedFile>,
    produced: &[(PathBuf, RenderedFile)],
    selection: &Selection,
    all_targets: usize,
    plan: &mut Plan,
) -> crate::Result<Vec<(PathBuf, RenderedFile)>> {
    let mut kept = Vec::new();
    let mut new = produced.iter().map(|(p, _)| p).peekable();
    for (path, rec) in old {
        while new
            .next_if(|p| path_cmp(p, path) == std::cmp::Ordering::Less)
            .is_some()
        {}
        if new
            .peek()
            .is_some_and(|p| p.as_os_str() == path.as_os_str())
        {
            continue;
        }
        if rec.picked_by(selection) || selection.is_everything(all_targets) {
            if let Some((bytes, exec)) = read_existing(&dir.join(path))? {
                plan.changes.push(Change {
                    path: path.clone(),
                    kind: ChangeKind::Remove,
                    old: Some(bytes),
                    new: None,
                    executable: false,
                    old_executable: exec,
                    input: false,
                    staged: false,
                });
            }
        } else {
            kept.push((path.clone(), rec.clone()));
        }
    }
    Ok(kept)
}

/// The new record of rendered files as a change of `plan` when it differs from the file,
/// and the union of the old and the new records, the new ones winning, which [`apply`]
/// writes first: only when it is neither (with no old records it is the new ones).
fn record_state(
    dir: &Path,
    old: &BTreeMap<PathBuf, RenderedFile>,
    new_state: &[(PathBuf, RenderedFile)],
    plan: &mut Plan,
) -> crate::Result<()> {
    let state = state_text(new_state.iter().map(|(p, r)| (p, r)));
    if !old.is_empty() {
        let old_text = state_text(old.iter());
        let union = state_text(Union {
            old: old.iter().peekable(),
            new: new_state.iter().map(|(p, r)| (p, r)).peekable(),
        });
        if union != old_text && union != state {
            plan.pre_state = Some(union);
        }
    }
    let state_path = PathBuf::from(STATE_FILE);
    match read_existing(&dir.join(&state_path))? {
        Some((bytes, _)) if bytes == state => {}
        existing => plan.changes.push(Change {
            kind: if existing.is_some() {
                ChangeKind::Update
            } else {
                ChangeKind::Create
            },
            old: existing.map(|(b, _)| b),
            path: state_path,
            new: Some(state),
            executable: false,
            old_executable: false,
            input: false,
            staged: false,
        }),
    }
    Ok(())
}

/// Where a staged plan writes new contents: a tree in `.pkgforge-tmp/` that mirrors the
/// output paths, so that a directory the tree does not have yet goes into place whole.
fn staging_root(dir: &Path) -> PathBuf {
    fsio::base(dir).join(fsio::TMP_DIR).join("staged")
}

/// The temporary file that holds the new content of a staged change.
pub(crate) fn staged_path(dir: &Path, c: &Change) -> PathBuf {
    staging_root(dir).join(&c.path)
}

/// Write `content` to the place of `rel` in the staging tree `root`; `made` remembers
/// the directories already there.
fn stage(
    root: &Path,
    rel: &Path,
    content: &[u8],
    executable: bool,
    made: &mut std::collections::HashSet<PathBuf>,
) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    let staged = root.join(rel);
    let parent = fsio::parent_of(&staged);
    if !made.contains(parent) {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
        made.insert(parent.to_path_buf());
    }
    let mode = if executable { 0o755 } else { 0o644 };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&staged)
        .with_context(|| format!("cannot create `{}`", staged.display()))?;
    f.write_all(content)
        .with_context(|| format!("cannot write `{}`", staged.display()))?;
    // The mode exactly, whatever the umask (unless the umask left it so).
    if umask().is_none_or(|u| u & mode != 0) {
        f.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set permissions of `{}`", staged.display()))?;
    }
    Ok(staged)
}

/// The process's umask, read (not set, which would race with other threads) from
/// `/proc/self/status`; `None` where that cannot be read.
fn umask() -> Option<u32> {
    static UMASK: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(line.trim(), 8).ok()
    })
}

/// Move staged new files whose directory does not exist yet into place with their
/// directory: one rename for each new directory tree (for a first render, `obs/`, `rpm/`
/// and `debian/`) rather than one per file. Every file under such a directory is new and
/// staged by this plan, so the tree moves whole; each file still appears complete. A
/// directory that cannot move leaves its files to be placed one by one. Returns the
/// changes it placed: `true` at their index.
fn place_new_dirs(dir: &Path, changes: &[&Change]) -> Vec<bool> {
    let root = staging_root(dir);
    let mut exists: std::collections::HashMap<&Path, bool> = std::collections::HashMap::new();
    let mut moves: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    // Changes come in path order: neighbours mostly share a directory, and its answer.
    let mut last: Option<(&Path, Option<&Path>)> = None;
    for (i, c) in changes.iter().enumerate() {
        if c.kind != ChangeKind::Create || !c.staged {
            continue;
        }
        let parent = c.path.parent();
        if let Some((p, top)) = last.filter(|(p, _)| Some(*p) == parent) {
            if let Some(top) = top {
                moves.entry(top).or_default().push(i);
            }
            last = Some((p, top));
            continue;
        }
        let mut top = None;
        let mut at = parent;
        while let Some(p) = at.filter(|p| !p.as_os_str().is_empty()) {
            let there = *exists
                .entry(p)
                .or_insert_with(|| fs::symlink_metadata(dir.join(p)).is_ok());
            if there {
                break;
            }
            top = Some(p);
            at = p.parent();
        }
        if let Some(top) = top {
            moves.entry(top).or_default().push(i);
        }
        if let Some(p) = parent {
            last = Some((p, top));
        }
    }
    let mut placed = vec![false; changes.len()];
    for (top, under) in moves {
        if fs::rename(root.join(top), dir.join(top)).is_ok() {
            for i in under {
                placed[i] = true;
            }
        }
    }
    placed
}

/// Two record lists merged in path order; on equal paths the new record wins.
#[derive(Clone)]
struct Union<'a, O, N>
where
    O: Iterator<Item = (&'a PathBuf, &'a RenderedFile)>,
    N: Iterator<Item = (&'a PathBuf, &'a RenderedFile)>,
{
    old: std::iter::Peekable<O>,
    new: std::iter::Peekable<N>,
}

impl<'a, O, N> Iterator for Union<'a, O, N>
where
    O: Iterator<Item = (&'a PathBuf, &'a RenderedFile)>,
    N: Iterator<Item = (&'a PathBuf, &'a RenderedFile)>,
{
    type Item = (&'a PathBuf, &'a RenderedFile);

    fn next(&mut self) -> Option<Self::Item> {
        match (self.old.peek(), self.new.peek()) {
            (Some((o, _)), Some((n, _))) if o < n => self.old.next(),
            (Some((o, _)), Some((n, _))) if o == n => {
                self.old.next();
                self.new.next()
            }
            (_, Some(_)) => self.new.next(),
            (Some(_), None) => self.old.next(),
            (None, None) => None,
        }
    }
}

/// `Path`'s own order (component by component) for the plain relative paths renderers
/// produce, compared as bytes with `/` as the lowest byte: no parsing into components.
pub(crate) fn path_cmp(a: &Path, b: &Path) -> std::cmp::Ordering {
    use std::os::unix::ffi::OsStrExt;
    let (a, b) = (a.as_os_str().as_bytes(), b.as_os_str().as_bytes());
    let key = |b: u8| if b == b'/' { 0 } else { b };
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => key(a[i]).cmp(&key(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

/// Carry out a plan under `dir`, all or nothing, in an order that a kill at any instant
/// leaves repairable (see [`crate::journal`]): the journal of the inputs, the union
/// record, the outputs, the inputs, the final record, and the journal's removal. If a
/// write fails, every file already changed gets its old content back. The caller holds
/// the lock ([`crate::lock::Lock`]).
pub(crate) fn apply(dir: &Path, plan: &Plan) -> crate::Result<()> {
    apply_plan(dir, plan).map_err(crate::Error::Other)
}

fn apply_plan(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    let mut dirs: Vec<&Path> = plan
        .changes
        .iter()
        .map(|c| c.path.parent().unwrap_or(Path::new("")))
        .collect();
    // Changes come in path order: most neighbours share a directory.
    dirs.dedup();
    dirs.sort_unstable_by(|a, b| path_cmp(a, b));
    dirs.dedup();
    for d in dirs {
        fsio::remove_stray_temporaries(&dir.join(d));
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
                old_sha256: c.old.as_deref().map(crate::digest::sha256_hex),
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
    match (&result, &plan.cache) {
        (Ok(()), Some(record)) => {
            // Best effort: without it the next run renders in full.
            let _ = cache::store(record);
        }
        (Ok(()), None) => {}
        (Err(_), _) => {
            // Staged files that did not make it into place.
            for c in plan.changes.iter().filter(|c| c.staged) {
                let _ = fs::remove_file(staged_path(dir, c));
            }
        }
    }
    match &result {
        // Done, or cleanly undone: the journal has served.
        Ok(()) | Err(Failed { undone: true, .. }) => journal::remove(dir)?,
        // Keep the journal: the next run rolls forward to a consistent state.
        Err(Failed { undone: false, .. }) => {}
    }
    if plan.changes.iter().any(|c| c.staged) {
        // Empty directories, or on failure what did not go into place.
        let _ = fs::remove_dir_all(staging_root(dir));
    }
    fsio::remove_tmp_dir(fsio::base(dir));
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
        write_atomic_in(dir, &dir.join(STATE_FILE), pre, false).map_err(|e| Failed {
            error: e.into(),
            undone: true,
        })?;
    }
    let fail = |error: anyhow::Error, done: &[&Change]| {
        let mut undone = true;
        for undo in done.iter().rev() {
            undone &= revert(dir, undo);
        }
        if undone || inputs.is_empty() {
            return Failed { error, undone };
        }
        Failed {
            error: error.context(format!(
                "could not restore every file; the next `pkgforge render` completes the change recorded in `{}`",
                journal::JOURNAL
            )),
            undone,
        }
    };
    // The rendered files that are written come first, on every CPU: distinct files, each
    // replaced atomically on its own. Removals (which may empty a directory a write
    // needs), the inputs and the record follow one at a time, in order.
    let writes = outputs
        .iter()
        .take_while(|c| c.kind != ChangeKind::Remove)
        .count();
    let (parallel, sequential) = outputs.split_at(writes);
    let moved = place_new_dirs(dir, parallel);
    let mut done: Vec<&Change> = Vec::new();
    let mut rest: Vec<&Change> = Vec::new();
    for (c, m) in parallel.iter().zip(moved) {
        match m {
            true => done.push(c),
            false => rest.push(c),
        }
    }
    let (written, error) = apply_parallel(dir, &rest);
    done.extend(written);
    if let Some(error) = error {
        return Err(fail(error, &done));
    }
    for c in sequential.iter().chain(inputs).chain(state) {
        if let Err(error) = apply_one(dir, c) {
            return Err(fail(error, &done));
        }
        done.push(c);
    }
    Ok(())
}

/// Apply independent changes on as many threads as there are CPUs: the ones done, and
/// the first error (after which no more are started).
fn apply_parallel<'a>(
    dir: &Path,
    changes: &[&'a Change],
) -> (Vec<&'a Change>, Option<anyhow::Error>) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let done = Mutex::new(Vec::with_capacity(changes.len()));
    let error = Mutex::new(None);
    let work = || {
        let mut mine = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let Some(c) = changes.get(next.fetch_add(1, Ordering::SeqCst)) else {
                break;
            };
            match apply_one(dir, c) {
                Ok(()) => mine.push(*c),
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    if let Ok(mut slot) = error.lock() {
                        slot.get_or_insert(e);
                    }
                }
            }
        }
        if let Ok(mut d) = done.lock() {
            d.extend(mine);
        }
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, changes.len().max(1));
    std::thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(work);
        }
        work();
    });
    (
        done.into_inner().unwrap_or_default(),
        error.into_inner().unwrap_or_default(),
    )
}

fn apply_one(dir: &Path, c: &Change) -> anyhow::Result<()> {
    let full = dir.join(&c.path);
    match c.kind {
        ChangeKind::Create | ChangeKind::Update if c.input => Ok(write_durable(
            dir,
            &full,
            c.new.as_deref().unwrap_or_default(),
        )?),
        ChangeKind::Create | ChangeKind::Update => match c.staged {
            true => place(&staged_path(dir, c), &full, c.executable),
            false => Ok(write_atomic_in(
                dir,
                &full,
                c.new.as_deref().unwrap_or_default(),
                c.executable,
            )?),
        },
        ChangeKind::Remove => {
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

/// Rename a staged temporary file over `full`, creating its directory when it is
/// missing; across filesystems, copy it to a temporary file beside `full` instead.
fn place(staged: &Path, full: &Path, executable: bool) -> anyhow::Result<()> {
    let parent = fsio::parent_of(full);
    let mut created = false;
    loop {
        match fs::rename(staged, full) {
            Ok(()) => return Ok(()),
            // Most directories exist: try the rename first, create the directory on demand.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !created => {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create `{}`", parent.display()))?;
                created = true;
            }
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error()) => {
                let content = fs::read(staged)
                    .with_context(|| format!("cannot read `{}`", staged.display()))?;
                fsio::write_atomic(full, &content, executable)?;
                let _ = fs::remove_file(staged);
                return Ok(());
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot replace `{}`", full.display()))
            }
        }
    }
}

/// Put back what `c` replaced; whether that worked.
fn revert(dir: &Path, c: &Change) -> bool {
    let full = dir.join(&c.path);
    match (&c.kind, &c.old) {
        (ChangeKind::Create, _) => {
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
pub(crate) fn prune_empty_dirs(root: &Path, mut dir: Option<&Path>) {
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
pub(crate) fn diff(plan: &Plan) -> String {
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
        let a = if c.kind == ChangeKind::Create {
            "/dev/null".to_string()
        } else {
            format!("a/{}", c.path.display())
        };
        let b = if c.kind == ChangeKind::Remove {
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
