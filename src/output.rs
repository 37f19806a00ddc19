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
mod old;
mod records;
mod state;

use old::OldRecords;
use records::{Records, UnitRecords};

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
    /// Whether this is the record of rendered files ([`STATE_FILE`]).
    fn is_state(&self) -> bool {
        self.path == Path::new(STATE_FILE)
    }

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
    /// Every output in the new record of rendered files, in path order, with its digest
    /// when digests were asked for; the new files of a staged plan ([`Keep::Staged`]) are
    /// flagged here rather than listed in `changes`.
    pub(crate) outputs: Records,
}

impl Plan {
    /// How many files the plan changes in each way: created, updated, removed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |k: ChangeKind| self.changes.iter().filter(|c| c.kind == k).count();
        (
            count(ChangeKind::Create) + self.outputs.created_count(),
            count(ChangeKind::Update),
            count(ChangeKind::Remove),
        )
    }

    /// How many files the plan changes.
    pub fn changed(&self) -> usize {
        self.changes.len() + self.outputs.created_count()
    }

    /// Every change, as `changes` listed them before the new files of a staged plan were
    /// kept apart: the rendered files written, in path order, then the rest of `changes`.
    pub fn each_change(&self) -> impl Iterator<Item = (&ChangeKind, &Path)> + '_ {
        let writes = self
            .changes
            .iter()
            .take_while(|c| c.staged && c.kind != ChangeKind::Remove && !c.is_state())
            .count();
        let (written, rest) = self.changes.split_at(writes);
        Merged {
            created: self.outputs.created().peekable(),
            written: written.iter().peekable(),
        }
        .chain(rest.iter().map(|c| (&c.kind, c.path.as_path())))
    }
}

/// The new files of a staged plan merged, in path order, with its other staged writes.
struct Merged<'a, C: Iterator<Item = records::Entry<'a>>> {
    created: std::iter::Peekable<C>,
    written: std::iter::Peekable<std::slice::Iter<'a, Change>>,
}

impl<'a, C: Iterator<Item = records::Entry<'a>>> Iterator for Merged<'a, C> {
    type Item = (&'a ChangeKind, &'a Path);

    fn next(&mut self) -> Option<Self::Item> {
        let first = match (self.created.peek(), self.written.peek()) {
            (Some(e), Some(c)) => path_cmp(e.path, &c.path) != std::cmp::Ordering::Greater,
            (Some(_), None) => true,
            (None, _) => false,
        };
        match first {
            true => self.created.next().map(|e| (&ChangeKind::Create, e.path)),
            false => self.written.next().map(|c| (&c.kind, c.path.as_path())),
        }
    }
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
}

fn read_state(dir: &Path) -> anyhow::Result<OldRecords> {
    let path = dir.join(STATE_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let mut old = OldRecords::parse(&text);
            old.digest = Some(crate::digest::sha256(text.as_bytes()));
            Ok(old)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OldRecords::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
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

/// The first line of the record of rendered files.
const STATE_HEADER: &str = "# Files rendered by pkgforge: path, package, targets. Render removes them when they are no longer produced.\n";

/// Write the record of rendered files: the bytes of [`state_text`].
fn write_state<'a>(
    out: &mut impl Write,
    records: impl Iterator<Item = Line<'a>>,
) -> std::io::Result<()> {
    out.write_all(STATE_HEADER.as_bytes())?;
    for (p, package, serves) in records {
        out.write_all(p.to_string_lossy().as_bytes())?;
        out.write_all(b"\t")?;
        out.write_all(package.unwrap_or("-").as_bytes())?;
        out.write_all(b"\t")?;
        out.write_all(serves.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The SHA-256 of [`state_text`], without holding the text.
fn state_digest<'a>(records: impl Iterator<Item = Line<'a>>) -> [u8; 32] {
    use sha2::Digest as _;
    struct Sink(sha2::Sha256);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sink = Sink(sha2::Sha256::new());
    // Writing to a hash cannot fail.
    let _ = write_state(
        &mut std::io::BufWriter::with_capacity(1 << 14, &mut sink),
        records,
    );
    sink.0.finalize().into()
}

fn state_text<'a>(records: impl Iterator<Item = Line<'a>> + Clone) -> Vec<u8> {
    let mut s = String::from(STATE_HEADER);
    let size: usize = records
        .clone()
        .map(|(p, package, serves)| {
            p.as_os_str().len() + package.map_or(1, |p| p.len()) + serves.len() + 3
        })
        .sum();
    s.reserve(size);
    for (p, package, serves) in records {
        s.push_str(&p.to_string_lossy());
        s.push('\t');
        s.push_str(package.unwrap_or("-"));
        s.push('\t');
        s.push_str(serves);
        s.push('\n');
    }
    s.into_bytes()
}

/// The lines of old records.
fn old_lines(old: &OldRecords) -> impl Iterator<Item = Line<'_>> + Clone + '_ {
    old.iter()
        .map(|r| (r.path, r.package.map(|p| &**p), &**r.serves))
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

/// What planning gets for one unit.
pub(crate) enum Produced {
    /// Its outputs, rendered.
    Rendered(Vec<Output>),
    /// Its outputs are current on disk, as the render cache proved: their paths, digests
    /// and where the record of rendered files probably lists them. Nothing is rendered,
    /// read or written for them.
    Current(Vec<(PathBuf, [u8; 32], usize)>),
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
        Ok(plan) => Ok(plan),
        Err(crate::Error::Other(e)) => Err(crate::Error::Other(e)),
        Err(e) => Err(crate::Error::Other(anyhow::Error::new(e))),
    }
}

/// What one unit of outputs came to.
#[derive(Default)]
struct UnitPlan {
    changes: Vec<Change>,
    unchanged: usize,
    /// The outputs that go in the new record of rendered files, one list per unit.
    produced: Vec<UnitRecords>,
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
) -> crate::Result<Plan> {
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
        old: &old,
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
    // In path order, as the renderers' outputs come sorted.
    // Unstable sorts: in place, and no two outputs share a path.
    plan.changes
        .sort_unstable_by(|a, b| path_cmp(&a.path, &b.path));
    let produced = Records::new(done.produced);
    let (kept, dropped) = gone(dir, &old, &produced, selection, all_targets, &mut plan)?;
    let new_state = MergeLines {
        a: produced
            .iter()
            .map(|e| (e.path, e.package, e.serves))
            .peekable(),
        b: kept.iter().copied().peekable(),
    };
    let staging = planner.staging.as_deref();
    record_state(dir, &old, new_state, dropped == 0, staging, &mut plan)?;
    plan.outputs = produced;
    Ok(plan)
}

/// A line of the record of rendered files: path, package, targets ([`state::tag`]).
type Line<'a> = (&'a Path, Option<&'a str>, &'a str);

/// Two lists of lines with distinct paths, each in path order, merged.
#[derive(Clone)]
struct MergeLines<'a, A: Iterator<Item = Line<'a>>, B: Iterator<Item = Line<'a>>> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<'a, A, B> Iterator for MergeLines<'a, A, B>
where
    A: Iterator<Item = Line<'a>> + Clone,
    B: Iterator<Item = Line<'a>> + Clone,
{
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        match (self.a.peek(), self.b.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

/// What every worker of [`plan_units`] shares.
struct Planner<'a, 's> {
    dir: &'a Path,
    old: &'a OldRecords,
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
    dirs_seen: Presence,
    names: Interner,
}

impl Planner<'_, '_> {
    fn was(&self, p: &Path) -> Option<old::OldRecord<'_>> {
        self.old.get(p)
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
                let mut records = UnitRecords::new(unit);
                if let Err(e) = self.unit(unit, &mut up, &mut records, &mut scratch) {
                    first_failed.fetch_min(unit, Ordering::SeqCst);
                    if let Ok(mut f) = failed.lock() {
                        f.push((unit, e));
                    }
                }
                // One growing list for all units: no per-unit copies left to fragment memory.
                records.shrink_to_fit();
                if let Ok(mut d) = done.lock() {
                    d.changes.append(&mut up.changes);
                    d.produced.push(records);
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
                let _ = fs::remove_dir_all(kept_root(self.dir));
                fsio::remove_tmp_dir(fsio::base(self.dir));
            }
            failed.sort_by_key(|(unit, _)| *unit);
            return Err(failed.swap_remove(0).1);
        }
        Ok(done.into_inner().unwrap_or_default())
    }

    /// Plan one unit: keep the outputs the render cache proved current, or render it and
    /// compare each output with the tree.
    fn unit(
        &self,
        unit: usize,
        up: &mut UnitPlan,
        records: &mut UnitRecords,
        scratch: &mut Scratch,
    ) -> crate::Result<()> {
        let outputs = match (self.produce)(unit, self.may_reuse)? {
            Produced::Rendered(outputs) => outputs,
            Produced::Current(current) => {
                // Each path looked up once: all of them must be in the old record.
                let found: Option<Vec<old::OldRecord>> = current
                    .iter()
                    .map(|(p, _, hint)| self.old.get_near(p, *hint))
                    .collect();
                if let Some(found) = found {
                    for ((path, d, _), rec) in current.iter().zip(found) {
                        let record = RenderedFile {
                            package: rec.package.cloned(),
                            serves: rec.serves.clone(),
                            digest: Some(*d),
                        };
                        records.push(path, &record, None);
                        up.unchanged += 1;
                    }
                    return Ok(());
                }
                match (self.produce)(unit, false)? {
                    Produced::Rendered(outputs) => outputs,
                    Produced::Current(_) => {
                        return Err(crate::Error::Other(anyhow::anyhow!(
                            "unit {unit} was not rendered when asked to be"
                        )))
                    }
                }
            }
        };
        up.rendered_units += 1;
        for o in outputs {
            self.output(o, up, records, scratch)?;
        }
        Ok(())
    }

    /// Record one rendered output and, when it is selected and differs from the file on
    /// disk, the change (staged with [`Keep::Staged`]).
    fn output(
        &self,
        o: Output,
        up: &mut UnitPlan,
        records: &mut UnitRecords,
        scratch: &mut Scratch,
    ) -> crate::Result<()> {
        let picked = self.selection.picks(o.package.as_deref(), &o.serves);
        let package = o.package.as_deref().map(|p| scratch.names.get(p));
        let record = (picked || self.was(&o.path).is_some()).then(|| RenderedFile {
            package,
            serves: scratch.names.get(&state::tag(&o.serves)),
            digest: self.digests.then(|| digest(&o.content, o.executable)),
        });
        let record = match (record, picked) {
            (Some(record), true) => record,
            (record, false) => {
                if let Some(record) = record {
                    records.push(&o.path, &record, None);
                }
                return Ok(());
            }
            (None, true) => return Ok(()),
        };
        // No need to look for a file whose directory is not there (a first render).
        let parent = o.path.parent().unwrap_or(Path::new(""));
        let present = scratch.dirs_seen.exists(self.dir, parent);
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
                records.push(&o.path, &record, None);
                up.unchanged += 1;
                return Ok(());
            }
        };
        let (new, staged, old_content) = match &self.staging {
            Some(root) => {
                stage(root, &o.path, &o.content, o.executable, &mut scratch.made)?;
                if kind == ChangeKind::Create {
                    // Listed with the records, not as a change of its own.
                    records.push(&o.path, &record, Some(o.executable));
                    return Ok(());
                }
                // The file it replaces stays on disk for a rollback, linked aside, rather
                // than in memory; in memory only where it cannot be linked.
                match keep_aside(self.dir, &o.path, &mut scratch.made) {
                    Ok(()) => (None, true, None),
                    Err(_) => (None, true, old_content),
                }
            }
            None => (Some(o.content), false, old_content),
        };
        records.push(&o.path, &record, None);
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
/// `plan`), else kept, and returned with how many there are of either. Both lists are in
/// path order, so one walk finds them.
fn gone<'a>(
    dir: &Path,
    old: &'a OldRecords,
    produced: &Records,
    selection: &Selection,
    all_targets: usize,
    plan: &mut Plan,
) -> crate::Result<(Vec<Line<'a>>, usize)> {
    let mut kept = Vec::new();
    let mut dropped = 0;
    let mut new = produced.iter().map(|e| e.path).peekable();
    for rec in old.iter() {
        let path = rec.path;
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
        dropped += 1;
        if rec.picked_by(selection) || selection.is_everything(all_targets) {
            if let Some((bytes, exec)) = read_existing(&dir.join(path))? {
                plan.changes.push(Change {
                    path: path.to_path_buf(),
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
            kept.push((path, rec.package.map(|p| &**p), &**rec.serves));
        }
    }
    Ok((kept, dropped))
}

/// The new record of rendered files as a change of `plan` when it differs from the file,
/// and the union of the old and the new records, the new ones winning, which [`apply`]
/// writes first: only when it is neither (with no old records it is the new ones, and
/// so it is when `old_all_new`: every old record's path is among the new ones). With
/// `staging`, the new record is written to the staging tree rather than kept in memory,
/// and the texts are compared by their digests.
fn record_state<'a>(
    dir: &Path,
    old: &'a OldRecords,
    new_state: impl Iterator<Item = Line<'a>> + Clone,
    old_all_new: bool,
    staging: Option<&Path>,
    plan: &mut Plan,
) -> crate::Result<()> {
    let new_digest = state_digest(new_state.clone());
    if !old.is_empty() && !old_all_new {
        let union = Union {
            old: old_lines(old).peekable(),
            new: new_state.clone().peekable(),
        };
        let union_digest = state_digest(union.clone());
        if union_digest != state_digest(old_lines(old)) && union_digest != new_digest {
            plan.pre_state = Some(state_text(union));
        }
    }
    // Read back only to keep for a rollback: the file read before planning is unchanged
    // (the lock holds off other writers), and its digest says whether it differs.
    if old.digest == Some(new_digest) {
        return Ok(());
    }
    let state_path = PathBuf::from(STATE_FILE);
    let existing = read_existing(&dir.join(&state_path))?;
    if let Some((bytes, _)) = &existing {
        if crate::digest::sha256(bytes) == new_digest {
            return Ok(());
        }
    }
    let new = match staging {
        Some(root) => {
            let write = |f: &mut fs::File| {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, f);
                write_state(&mut out, new_state)?;
                out.flush()
            };
            stage_with(root, &state_path, false, &mut Default::default(), write)?;
            None
        }
        None => Some(state_text(new_state)),
    };
    plan.changes.push(Change {
        kind: if existing.is_some() {
            ChangeKind::Update
        } else {
            ChangeKind::Create
        },
        old: existing.map(|(b, _)| b),
        path: state_path,
        staged: new.is_none(),
        new,
        executable: false,
        old_executable: false,
        input: false,
    });
    Ok(())
}

/// Where a staged plan writes new contents: a tree in `.pkgforge-tmp/` that mirrors the
/// output paths, so that a directory the tree does not have yet goes into place whole.
fn staging_root(dir: &Path) -> PathBuf {
    fsio::base(dir).join(fsio::TMP_DIR).join("staged")
}

/// Where a staged plan links the files its updates replace ([`keep_aside`]): beside the
/// staging tree, mirroring the output paths.
fn kept_root(dir: &Path) -> PathBuf {
    fsio::base(dir).join(fsio::TMP_DIR).join("kept")
}

/// Link the file at `rel` into [`kept_root`], so that a rollback can rename it back
/// after a staged file was renamed over it. `made` remembers the directories made.
fn keep_aside(
    dir: &Path,
    rel: &Path,
    made: &mut std::collections::HashSet<PathBuf>,
) -> std::io::Result<()> {
    let kept = kept_root(dir).join(rel);
    let parent = fsio::parent_of(&kept);
    if !made.contains(parent) {
        fs::create_dir_all(parent)?;
        made.insert(parent.to_path_buf());
    }
    fs::hard_link(dir.join(rel), &kept)
}

/// Whether `c` replaces a file that [`keep_aside`] linked aside: a staged update of an
/// output that holds no old content.
fn kept_aside(c: &Change) -> bool {
    c.staged && c.kind == ChangeKind::Update && c.old.is_none() && !c.input && !c.is_state()
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
    stage_with(root, rel, executable, made, |f| f.write_all(content))
}

/// [`stage`] what `write` writes to the file.
fn stage_with(
    root: &Path,
    rel: &Path,
    executable: bool,
    made: &mut std::collections::HashSet<PathBuf>,
    write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
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
    write(&mut f).with_context(|| format!("cannot write `{}`", staged.display()))?;
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

/// One write of [`apply`]: a change, or a new file of a staged plan ([`Plan::outputs`]).
#[derive(Clone, Copy)]
enum Step<'a> {
    Change(&'a Change),
    Created { path: &'a Path, executable: bool },
}

impl<'a> Step<'a> {
    fn path(&self) -> &'a Path {
        match self {
            Step::Change(c) => &c.path,
            Step::Created { path, .. } => path,
        }
    }

    /// A new file whose content is staged.
    fn staged_create(&self) -> bool {
        match self {
            Step::Change(c) => c.kind == ChangeKind::Create && c.staged,
            Step::Created { .. } => true,
        }
    }
}

/// The rendered files a plan writes, by index: its new staged files ([`Plan::outputs`]),
/// in path order, then `changes`, the other writes.
struct Writes<'a> {
    created: &'a Records,
    changes: &'a [&'a Change],
}

impl<'a> Writes<'a> {
    fn len(&self) -> usize {
        self.created.created_count() + self.changes.len()
    }

    fn get(&self, i: usize) -> Option<Step<'a>> {
        match i.checked_sub(self.created.created_count()) {
            None => self.created.created_at(i).map(|e| Step::Created {
                path: e.path,
                executable: e.created.unwrap_or_default(),
            }),
            Some(j) => self.changes.get(j).map(|c| Step::Change(c)),
        }
    }
}

/// Move staged new files whose directory does not exist yet into place with their
/// directory: one rename for each new directory tree (for a first render, `obs/`, `rpm/`
/// and `debian/`) rather than one per file. Every file under such a directory is new and
/// staged by this plan, so the tree moves whole; each file still appears complete. A
/// directory that cannot move leaves its files to be placed one by one. Marks the
/// writes it placed as done.
fn place_new_dirs(dir: &Path, writes: &Writes, done: &mut [bool]) {
    let root = staging_root(dir);
    let mut presence = Presence::default();
    let mut moves: BTreeMap<&Path, Vec<u32>> = BTreeMap::new();
    // New files come in path order: neighbours mostly share a directory, and its answer.
    let mut last: Option<(&Path, Option<&Path>)> = None;
    for i in 0..writes.len() {
        let Some(c) = writes.get(i).filter(Step::staged_create) else {
            continue;
        };
        let parent = c.path().parent();
        if let Some((p, top)) = last.filter(|(p, _)| Some(*p) == parent) {
            if let Some(top) = top {
                moves.entry(top).or_default().push(i as u32);
            }
            last = Some((p, top));
            continue;
        }
        let top = parent.and_then(|p| presence.top_missing(dir, p));
        if let Some(top) = top {
            moves.entry(top).or_default().push(i as u32);
        }
        if let Some(p) = parent {
            last = Some((p, top));
        }
    }
    for (top, under) in moves {
        if fs::rename(root.join(top), dir.join(top)).is_ok() {
            for i in under {
                if let Some(d) = done.get_mut(i as usize) {
                    *d = true;
                }
            }
        }
    }
}

/// Which directories below a root exist, each asked of the filesystem once, from the top
/// down: below a directory that is missing nothing more is looked up (a first render
/// asks about `debian/`, not about each of its thousands of directories).
#[derive(Default)]
struct Presence(std::collections::HashMap<PathBuf, bool>);

impl Presence {
    /// The highest directory on the way from `root` to `p` (`p` included) that is not
    /// there.
    fn top_missing<'p>(&mut self, root: &Path, p: &'p Path) -> Option<&'p Path> {
        let mut way: Vec<&Path> = p
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .collect();
        way.reverse();
        for a in way {
            let there = match self.0.get(a) {
                Some(t) => *t,
                None => {
                    let t = fs::symlink_metadata(root.join(a)).is_ok();
                    self.0.insert(a.to_path_buf(), t);
                    t
                }
            };
            if !there {
                return Some(a);
            }
        }
        None
    }

    /// Whether `p` is there below `root`.
    fn exists(&mut self, root: &Path, p: &Path) -> bool {
        self.top_missing(root, p).is_none()
    }
}

/// Two record lists merged in path order; on equal paths the new record wins.
#[derive(Clone)]
struct Union<'a, O, N>
where
    O: Iterator<Item = Line<'a>>,
    N: Iterator<Item = Line<'a>>,
{
    old: std::iter::Peekable<O>,
    new: std::iter::Peekable<N>,
}

impl<'a, O, N> Iterator for Union<'a, O, N>
where
    O: Iterator<Item = Line<'a>>,
    N: Iterator<Item = Line<'a>>,
{
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match (self.old.peek(), self.new.peek()) {
            (Some((o, _, _)), Some((n, _, _))) if o < n => self.old.next(),
            (Some((o, _, _)), Some((n, _, _))) if o == n => {
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
    bytes_cmp(a.as_os_str().as_bytes(), b.as_os_str().as_bytes())
}

/// [`path_cmp`] of two paths' bytes. Paths that sort next to each other share long
/// prefixes (`debian/debian-12/…`): the first difference is looked for eight bytes at a
/// time.
pub(crate) fn bytes_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let key = |b: u8| if b == b'/' { 0 } else { b };
    let word = |s: &[u8]| <[u8; 8]>::try_from(s).ok().map(u64::from_ne_bytes);
    let mut same = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        if word(x) != word(y) {
            break;
        }
        same += 8;
    }
    let (a_rest, b_rest) = (
        a.get(same..).unwrap_or_default(),
        b.get(same..).unwrap_or_default(),
    );
    match a_rest.iter().zip(b_rest).find(|(x, y)| x != y) {
        Some((x, y)) => key(*x).cmp(&key(*y)),
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
    let mut dirs: Vec<&Path> = Vec::new();
    // Both lists come in path order: most neighbours share a directory.
    let paths = plan.outputs.created().map(|e| e.path);
    for p in paths.chain(plan.changes.iter().map(|c| c.path.as_path())) {
        let d = p.parent().unwrap_or(Path::new(""));
        if dirs.last() != Some(&d) {
            dirs.push(d);
        }
    }
    dirs.sort_unstable_by(|a, b| path_cmp(a, b));
    dirs.dedup();
    // Only directories that are there can hold a stray temporary file.
    let mut presence = Presence::default();
    for d in dirs {
        if presence.exists(dir, d) {
            fsio::remove_stray_temporaries(&dir.join(d));
        }
    }
    let inputs: Vec<&Change> = plan.changes.iter().filter(|c| c.input).collect();
    let (state, outputs): (Vec<&Change>, Vec<&Change>) = plan
        .changes
        .iter()
        .filter(|c| !c.input)
        .partition(|c| c.is_state());
    if !inputs.is_empty() {
        journal_inputs(dir, &inputs)?;
    }
    let result = apply_all(dir, plan, &outputs, &inputs, &state);
    match (&result, &plan.cache) {
        (Ok(()), Some(record)) => {
            // Best effort: without it the next run renders in full.
            let outputs = plan.outputs.iter();
            let _ = cache::store(
                record,
                outputs.filter_map(|e| Some((e.path, e.unit, e.digest?))),
            );
        }
        (Ok(()), None) => {}
        (Err(_), _) => {
            // Staged files that did not make it into place.
            for c in plan.changes.iter().filter(|c| c.staged) {
                let _ = fs::remove_file(staged_path(dir, c));
            }
            for e in plan.outputs.created() {
                let _ = fs::remove_file(staging_root(dir).join(e.path));
            }
        }
    }
    match &result {
        // Done, or cleanly undone: the journal has served.
        Ok(()) | Err(Failed { undone: true, .. }) => journal::remove(dir)?,
        // Keep the journal: the next run rolls forward to a consistent state.
        Err(Failed { undone: false, .. }) => {}
    }
    if plan.changes.iter().any(|c| c.staged) || plan.outputs.created_count() > 0 {
        // Empty directories, or on failure what did not go into place.
        let _ = fs::remove_dir_all(staging_root(dir));
    }
    if plan.changes.iter().any(kept_aside) {
        let _ = fs::remove_dir_all(kept_root(dir));
    }
    fsio::remove_tmp_dir(fsio::base(dir));
    result.map_err(|f| f.error)
}

/// Write the journal of the new contents of the inputs ([`crate::journal`]).
fn journal_inputs(dir: &Path, inputs: &[&Change]) -> anyhow::Result<()> {
    let mut files = Vec::new();
    for c in inputs {
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
    Ok(())
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
    // The rendered files that are written come first, on every CPU: distinct files, each
    // replaced atomically on its own. Removals (which may empty a directory a write
    // needs), the inputs and the record follow one at a time, in order.
    let writes = outputs
        .iter()
        .take_while(|c| c.kind != ChangeKind::Remove)
        .count();
    let (parallel, sequential) = outputs.split_at(writes);
    let parallel = Writes {
        created: &plan.outputs,
        changes: parallel,
    };
    let mut written = vec![false; parallel.len()];
    place_new_dirs(dir, &parallel, &mut written);
    let mut done: Vec<Step> = Vec::new();
    let fail = |error: anyhow::Error, written: &[bool], done: &[Step]| {
        let mut undone = true;
        for undo in done.iter().rev() {
            undone &= revert(dir, undo);
        }
        for (i, _) in written.iter().enumerate().rev().filter(|(_, w)| **w) {
            if let Some(undo) = parallel.get(i) {
                undone &= revert(dir, &undo);
            }
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
    if let Some(error) = apply_parallel(dir, &parallel, &mut written) {
        return Err(fail(error, &written, &done));
    }
    for c in sequential.iter().chain(inputs).chain(state) {
        if let Err(error) = apply_one(dir, &Step::Change(c)) {
            return Err(fail(error, &written, &done));
        }
        done.push(Step::Change(c));
    }
    Ok(())
}

/// Apply the writes not `written` yet on as many threads as there are CPUs, marking
/// those done; the first error (after which no more are started).
fn apply_parallel(dir: &Path, writes: &Writes, written: &mut [bool]) -> Option<anyhow::Error> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let marks: Vec<AtomicBool> = written.iter().map(|w| AtomicBool::new(*w)).collect();
    let error = Mutex::new(None);
    let work = || {
        while !stop.load(Ordering::SeqCst) {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let (Some(c), Some(mark)) = (writes.get(i), marks.get(i)) else {
                break;
            };
            if mark.load(Ordering::SeqCst) {
                continue;
            }
            match apply_one(dir, &c) {
                Ok(()) => mark.store(true, Ordering::SeqCst),
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    if let Ok(mut slot) = error.lock() {
                        slot.get_or_insert(e);
                    }
                }
            }
        }
    };
    let pending = written.iter().filter(|w| !**w).count();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, pending.max(1));
    std::thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(work);
        }
        work();
    });
    for (w, m) in written.iter_mut().zip(marks) {
        *w = m.into_inner();
    }
    error.into_inner().unwrap_or_default()
}

fn apply_one(dir: &Path, step: &Step) -> anyhow::Result<()> {
    let c = match step {
        Step::Change(c) => c,
        Step::Created { path, executable } => {
            return place(&staging_root(dir).join(path), &dir.join(path), *executable)
        }
    };
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

/// Put back what `step` replaced; whether that worked.
fn revert(dir: &Path, step: &Step) -> bool {
    let full = dir.join(step.path());
    let (kind, old, old_executable) = match step {
        Step::Change(c) => (&c.kind, &c.old, c.old_executable),
        Step::Created { .. } => (&ChangeKind::Create, &None, false),
    };
    if let Step::Change(c) = step {
        if kept_aside(c) {
            return fs::rename(kept_root(dir).join(&c.path), &full).is_ok();
        }
    }
    match (kind, old) {
        (ChangeKind::Create, _) => {
            let gone = match fs::remove_file(&full) {
                Ok(()) => true,
                Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            };
            prune_empty_dirs(dir, full.parent());
            gone
        }
        (_, Some(old)) => write_atomic_in(dir, &full, old, old_executable).is_ok(),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests assert by panicking")]
    use super::*;
    use crate::render::Serves;

    fn out(path: &str, content: &str) -> Output {
        Output {
            path: PathBuf::from(path),
            content: content.as_bytes().to_vec(),
            executable: false,
            package: Some("a".to_string()),
            serves: Serves::All,
        }
    }

    fn staged_plan(dir: &Path, outputs: &[Output]) -> Plan {
        let distros = crate::distro::builtin();
        let selection = Selection {
            targets: distros.iter().collect(),
            packages: Vec::new(),
        };
        let produce = |_: usize, _: bool| Ok(Produced::Rendered(outputs.to_vec()));
        let all = distros.len();
        plan_units(dir, 1, &produce, &selection, all, Keep::Staged, true).unwrap()
    }

    #[test]
    fn path_order_is_the_order_of_path_components() {
        let paths = [
            "a",
            "a/b",
            "a.b",
            "a-b",
            "a/b/c",
            "ab",
            "debian/debian-12/x",
            "debian/debian-12/x/y",
            "debian/debian-12-x",
            "debian/debian-12.x/y",
            "debian/debian-13/x",
            "obs/p/p.spec",
            "obs/p/p.spec.in",
            "obs/p.q/_service",
            "obs/p/_service",
            "",
        ];
        for a in paths {
            for b in paths {
                let (pa, pb) = (Path::new(a), Path::new(b));
                assert_eq!(path_cmp(pa, pb), pa.cmp(pb), "{a} against {b}");
            }
        }
    }

    #[test]
    fn a_failed_staged_render_puts_back_what_it_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let first = [out("obs/a/a.spec", "old\n"), out("obs/a/gone", "x\n")];
        apply(dir, &staged_plan(dir, &first)).unwrap();
        fs::set_permissions(dir.join("obs/a/a.spec"), fs::Permissions::from_mode(0o755)).unwrap();

        // The update is linked aside, not held: no old content in the plan.
        let plan = staged_plan(dir, &[out("obs/a/a.spec", "new\n")]);
        let update = plan
            .changes
            .iter()
            .find(|c| c.kind == ChangeKind::Update)
            .unwrap();
        assert!(kept_aside(update));
        assert!(update.old.is_none());
        // The removal, which comes after the writes, fails: a directory took its place.
        fs::remove_file(dir.join("obs/a/gone")).unwrap();
        fs::create_dir_all(dir.join("obs/a/gone/sub")).unwrap();
        assert!(apply(dir, &plan).is_err());
        assert_eq!(fs::read(dir.join("obs/a/a.spec")).unwrap(), b"old\n");
        let mode = fs::metadata(dir.join("obs/a/a.spec"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert!(!dir.join(fsio::TMP_DIR).exists());

        // Applied in full, the kept files go with the temporary directory.
        fs::remove_dir_all(dir.join("obs/a/gone")).unwrap();
        let plan = staged_plan(dir, &[out("obs/a/a.spec", "new\n")]);
        apply(dir, &plan).unwrap();
        assert_eq!(fs::read(dir.join("obs/a/a.spec")).unwrap(), b"new\n");
        assert!(!dir.join(fsio::TMP_DIR).exists());
    }
}
