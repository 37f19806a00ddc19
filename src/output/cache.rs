//! The render cache: how `render` knows which outputs are current without rendering them.
//!
//! Every run that writes a complete render (`render` of all targets and packages, `bump`,
//! `archive prune`) records in `.pkgforge.render-cache`, beside the manifest:
//!
//! - a fingerprint of everything the outputs are a function of — the manifest, the
//!   changelog, `vendor-licenses.toml`, the templates directory, the files the manifest
//!   names (patches, agent files, keyrings), the record of rendered files and the
//!   pkgforge binary itself;
//! - for every unit of the render ([`crate::render::Unit`]: a package, a rootfs on one
//!   base, an archived series, the project meta), its key, the SHA-256 of exactly what
//!   that unit is rendered from ([`crate::render::Unit::key`]);
//! - the SHA-256 of every output, and the unit it belongs to.
//!
//! A later `render` or `render --check` of everything reads the outputs back and checks
//! their digests while it looks at the inputs. When the fingerprint matches and every
//! output is intact, nothing needs rendering and the manifest is not even loaded.
//! Otherwise it loads the manifest and renders only the units whose key changed or one
//! of whose outputs was edited, moved or deleted; every other unit keeps its outputs as
//! they are. A unit that is gone leaves its files to be removed as before. The cache can
//! make a run faster, never different; deleting it is always safe.

use std::collections::HashMap;
use std::fs;
use std::io::{Read as _, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};

use crate::manifest::{AgentSource, Model, CHANGELOG, VENDOR_LICENSES};

/// The cache file, beside the manifest.
pub(crate) const FILE: &str = ".pkgforge.render-cache";

const HEADER: &str =
    "# pkgforge render cache, version 2: what the last complete render wrote. Safe to delete.";

/// What a complete render wrote, for [`store`].
#[derive(Debug, Clone, Default)]
pub struct CompleteRender {
    /// The manifest the outputs were rendered from.
    pub manifest: PathBuf,
    /// Files the outputs copy besides the manifest and the changelog (patches, agent
    /// files, keyrings), relative to the manifest's directory.
    pub inputs: Vec<String>,
    /// The templates read by name, relative to the `templates` directory beside the
    /// manifest: the outputs are a function of each of them, present or not.
    pub templates: Vec<String>,
    /// What `render` warns about for this manifest (archived series to prune).
    pub warnings: Vec<String>,
    /// Every unit: its id and key ([`crate::render::Unit`]).
    pub units: Vec<(String, [u8; 32])>,
    /// Every output, in path order: its unit (an index into `units`) and [`super::digest`];
    /// empty for a plan that keeps them in [`super::Plan::outputs`] (see [`store`]).
    pub outputs: Vec<(PathBuf, u32, [u8; 32])>,
}

impl CompleteRender {
    /// The record of a complete render of `model`: the inputs it names, and what the
    /// caller knows (the templates read by name, the warnings, the units and outputs).
    pub(crate) fn new(
        manifest: &Path,
        model: &Model,
        templates: Vec<String>,
        warnings: Vec<String>,
        units: Vec<(String, [u8; 32])>,
        outputs: Vec<(PathBuf, u32, [u8; 32])>,
    ) -> CompleteRender {
        let inputs = model
            .packages
            .iter()
            .flat_map(|p| p.patches.iter().map(|patch| patch.path.clone()))
            .chain(
                model
                    .rootfs
                    .iter()
                    .filter_map(|r| match &r.agent.as_ref()?.source {
                        AgentSource::File { path, .. } => Some(path.clone()),
                        AgentSource::Package(_) => None,
                    }),
            )
            .chain(
                model
                    .upstreams
                    .iter()
                    .filter_map(|u| Some(u.signing.as_ref()?.keyring_path.clone())),
            )
            .collect();
        CompleteRender {
            manifest: manifest.to_path_buf(),
            inputs,
            templates,
            warnings,
            units,
            outputs,
        }
    }
}

/// What the cache proved: every output current.
#[derive(Debug)]
pub(crate) struct Fresh {
    /// How many rendered files there are, every one current.
    pub outputs: usize,
    pub warnings: Vec<String>,
}

/// The cache as the last complete render left it.
pub(crate) struct RenderCache {
    key: String,
    inputs: Vec<String>,
    warnings: Vec<String>,
    /// The SHA-256 of the record of rendered files it was written with.
    state: [u8; 32],
    /// Every unit's key and id.
    units: Vec<([u8; 32], String)>,
    /// Every output, in path order.
    outputs: Vec<CachedOutput>,
    /// The paths of `outputs`, one after the other: one string rather than one each.
    paths: String,
}

/// One output as the cache lists it.
#[derive(Debug, Clone, Copy)]
struct CachedOutput {
    /// An index into [`RenderCache::units`].
    unit: u32,
    digest: [u8; 32],
    /// Where its path is in [`RenderCache::paths`].
    start: u32,
    len: u32,
    /// Its place in the cache's list of outputs, in path order: where the record of
    /// rendered files the cache was written with lists it too.
    index: u32,
}

impl CachedOutput {
    fn path<'a>(&self, paths: &'a str) -> &'a str {
        paths
            .get(self.start as usize..(self.start + self.len) as usize)
            .unwrap_or_default()
    }
}

/// The cache beside `manifest`, when there is one that parses.
pub(crate) fn read(manifest: &Path) -> Option<RenderCache> {
    let dir = dir_of(manifest);
    let text = fs::read_to_string(dir.join(FILE)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut cache = RenderCache {
        key: String::new(),
        inputs: Vec::new(),
        warnings: Vec::new(),
        state: [0; 32],
        units: Vec::new(),
        outputs: Vec::new(),
        paths: String::new(),
    };
    // The outputs' paths' length, so their string is allocated once.
    let size: usize = text
        .lines()
        .filter(|l| l.starts_with("output\t"))
        .filter_map(|l| l.rsplit_once('\t'))
        .map(|(_, p)| p.len())
        .sum();
    cache.paths.reserve_exact(size);
    for line in lines {
        let (kind, rest) = line.split_once('\t')?;
        match kind {
            "key" => cache.key = rest.to_string(),
            "input" => cache.inputs.push(rest.to_string()),
            "warning" => cache.warnings.push(unescape(rest)),
            "state" => cache.state = from_hex(rest)?,
            "unit" => {
                let (hex, id) = rest.split_once('\t')?;
                cache.units.push((from_hex(hex)?, id.to_string()));
            }
            "output" => {
                let (unit, rest) = rest.split_once('\t')?;
                let (hex, path) = rest.split_once('\t')?;
                let unit: u32 = unit.parse().ok()?;
                // Below the manifest's directory only: plain names between slashes.
                if unit as usize >= cache.units.len()
                    || path
                        .split('/')
                        .any(|c| c.is_empty() || c == "." || c == "..")
                {
                    return None;
                }
                let start = cache.paths.len() as u32;
                cache.paths.push_str(path);
                cache.outputs.push(CachedOutput {
                    unit,
                    digest: from_hex(hex)?,
                    start,
                    len: path.len() as u32,
                    index: cache.outputs.len() as u32,
                });
            }
            _ => return None,
        }
    }
    cache.paths.shrink_to_fit();
    cache.outputs.shrink_to_fit();
    (!cache.key.is_empty()).then_some(cache)
}

impl RenderCache {
    /// Whether no input changed since the cache was written: the manifest, the changelog,
    /// the templates (`templates`: those read by name, as in [`CompleteRender::templates`]), the
    /// files they name, the record of rendered files, the binary.
    pub(crate) fn inputs_unchanged(&self, manifest: &Path, templates: &[String]) -> bool {
        fingerprint(manifest, templates, &self.inputs).is_some_and(|key| key == self.key)
    }

    /// For every unit, whether each of its outputs still has its recorded digest; all
    /// false when the record of rendered files is not the one the cache was written with.
    pub(crate) fn intact(&self, manifest: &Path) -> Vec<bool> {
        let dir = dir_of(manifest);
        let state = hash_of(&dir.join(super::STATE_FILE));
        if state.is_none_or(|s| s.as_slice() != self.state) {
            return vec![false; self.units.len()];
        }
        let ok = verify(dir, &self.outputs, &self.paths);
        let mut intact = vec![true; self.units.len()];
        for (o, ok) in self.outputs.iter().zip(ok) {
            if !ok {
                intact[o.unit as usize] = false;
            }
        }
        intact
    }

    /// What a no-op render reports, given [`RenderCache::intact`]'s answer: `Some` when every
    /// output is intact.
    pub(crate) fn fresh(&self, intact: &[bool]) -> Option<Fresh> {
        let all = intact.len() == self.units.len() && intact.iter().all(|i| *i);
        all.then(|| Fresh {
            outputs: self.outputs.len(),
            warnings: self.warnings.clone(),
        })
    }

    /// The units whose outputs are all intact, by id, for [`Reuse::take`].
    pub(crate) fn reuse(self, intact: &[bool]) -> Reuse {
        let RenderCache {
            units,
            mut outputs,
            paths,
            ..
        } = self;
        let ok = |unit: u32| intact.get(unit as usize) == Some(&true);
        outputs.retain(|o| ok(o.unit));
        // By unit, each unit's in path order (the order of their paths in `paths`): in
        // place.
        outputs.sort_unstable_by_key(|o| (o.unit, o.start));
        let mut at = 0;
        let units = units
            .into_iter()
            .enumerate()
            .filter_map(|(i, (key, id))| {
                let from = at;
                while outputs.get(at).is_some_and(|o| o.unit as usize == i) {
                    at += 1;
                }
                ok(i as u32).then(|| (id, (key, from..at, AtomicBool::new(false))))
            })
            .collect();
        Reuse {
            units,
            outputs,
            paths,
        }
    }
}

/// Each output's path, digest and place in the cache's list of outputs (a hint for
/// finding it in the record of rendered files, which lists the same paths in the same
/// order when it is the one the cache was written with).
type Digests = Vec<(PathBuf, [u8; 32], usize)>;

/// The outputs of the units the cache proved intact.
pub(crate) struct Reuse {
    /// By unit id: its key, where its outputs are in `outputs`, and whether they were
    /// taken.
    units: HashMap<String, ([u8; 32], std::ops::Range<usize>, AtomicBool)>,
    /// The outputs of those units, unit by unit.
    outputs: Vec<CachedOutput>,
    paths: String,
}

impl Reuse {
    /// The outputs of the unit `id` (paths and digests) when its key is still `key`: then
    /// they are current, and it need not be rendered. Each unit's are taken once.
    pub(crate) fn take(&self, id: &str, key: &[u8; 32]) -> Option<Digests> {
        let (k, range, taken) = self.units.get(id)?;
        if k != key {
            return None;
        }
        if taken.swap(true, Ordering::SeqCst) {
            return Some(Vec::new());
        }
        let outputs = self.outputs.get(range.clone())?;
        Some(
            outputs
                .iter()
                .map(|o| {
                    (
                        PathBuf::from(o.path(&self.paths)),
                        o.digest,
                        o.index as usize,
                    )
                })
                .collect(),
        )
    }
}

/// The name of the running binary, which every unit's key includes: its templates and
/// every renderer are compiled in. A rebuilt or reinstalled binary is a new file, with a
/// new inode or modification time. `None` when it cannot be found.
pub(crate) fn binary() -> Option<String> {
    let exe = fs::metadata(std::env::current_exe().ok()?).ok()?;
    Some(format!(
        "pkgforge {} {} {} {} {} {}\n",
        env!("CARGO_PKG_VERSION"),
        exe.dev(),
        exe.ino(),
        exe.len(),
        exe.mtime(),
        exe.mtime_nsec()
    ))
}

/// Record a complete render that was just written. Best effort: a cache that cannot be
/// written only makes the next run render in full. Streamed to a temporary file and
/// renamed into place unless the cache already says the same, so it never holds the
/// whole text in memory. The outputs are `record`'s, then `more`, both in path order.
pub(crate) fn store<'a>(
    record: &'a CompleteRender,
    more: impl Iterator<Item = (&'a Path, u32, &'a [u8; 32])>,
) -> crate::Result<()> {
    let manifest = record.manifest.as_path();
    let dir = dir_of(manifest);
    let path = dir.join(FILE);
    let (Some(key), Some(state)) = (
        fingerprint(manifest, &record.templates, &record.inputs),
        hash_of(&dir.join(super::STATE_FILE)),
    ) else {
        // Without a fingerprint no cache can be trusted: remove a stale one.
        let _ = fs::remove_file(&path);
        return Ok(());
    };
    let tmp_dir = crate::fsio::tmp_dir(dir)?;
    let result = (|| -> anyhow::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".pkgforge-")
            .suffix(".tmp")
            .tempfile_in(&tmp_dir)?;
        let new = {
            let mut out = Hashing {
                inner: std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut()),
                hash: Sha256::new(),
            };
            writeln!(out, "{HEADER}\nkey\t{key}\nstate\t{}", to_hex(&state))?;
            for i in &record.inputs {
                writeln!(out, "input\t{i}")?;
            }
            for w in &record.warnings {
                writeln!(out, "warning\t{}", escape(w))?;
            }
            for (id, k) in &record.units {
                writeln!(out, "unit\t{}\t{id}", to_hex(k))?;
            }
            let listed = record.outputs.iter().map(|(p, u, h)| (p.as_path(), *u, h));
            for (p, unit, h) in listed.chain(more) {
                writeln!(
                    out,
                    "output\t{unit}\t{}\t{}",
                    to_hex(h),
                    p.to_string_lossy()
                )?;
            }
            out.inner.flush()?;
            out.hash.finalize()
        };
        if hash_of(&path).is_some_and(|old| old == new) {
            return Ok(());
        }
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    })();
    crate::fsio::remove_tmp_dir(dir);
    result
        .with_context(|| format!("cannot write `{}`", path.display()))
        .map_err(crate::Error::Other)
}

/// A writer that hashes what goes through it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hash_of(path: &Path) -> Option<sha2::digest::Output<Sha256>> {
    let mut f = fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf).ok()? {
            0 => return Some(h.finalize()),
            n => h.update(&buf[..n]),
        }
    }
}

/// Hash a file's length (as 8 bytes, little-endian) then its content, or `u64::MAX` when
/// it cannot be opened; read in pieces, so the record of tens of thousands of rendered
/// files is not held whole in memory. A file that changes while it is read hashes to
/// what no whole read gives (its length disagrees with its bytes).
fn hash_sized(h: &mut Sha256, path: &Path) {
    let opened = fs::File::open(path).and_then(|f| Ok((f.metadata()?, f)));
    // `fs::read` of a directory fails: so does this.
    let Some((len, mut f)) = opened
        .ok()
        .filter(|(m, _)| !m.is_dir())
        .map(|(m, f)| (m.len(), f))
    else {
        h.update(u64::MAX.to_le_bytes());
        return;
    };
    h.update(len.to_le_bytes());
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

fn dir_of(manifest: &Path) -> &Path {
    crate::fsio::base(manifest.parent().unwrap_or(Path::new("")))
}

/// The SHA-256, in hex, of everything the outputs are a function of; `None` when some
/// of it cannot be known (the running binary cannot be found).
fn fingerprint(manifest: &Path, templates: &[String], inputs: &[String]) -> Option<String> {
    let dir = dir_of(manifest);
    let mut h = Sha256::new();
    h.update(HEADER.as_bytes());
    h.update(binary()?.as_bytes());
    let mut file = |label: &str, path: &Path| {
        h.update(label.as_bytes());
        h.update([0]);
        hash_sized(&mut h, path);
    };
    file("manifest", manifest);
    file("changelog", &dir.join(CHANGELOG));
    file("vendor licenses", &dir.join(VENDOR_LICENSES));
    file("state", &dir.join(super::STATE_FILE));
    // Templates: the ones pkgforge reads by name, and a listing of the directory, whose
    // stray `.tera` files are errors.
    let names = templates;
    let templates = dir.join("templates");
    for name in names {
        file(&format!("template {name}"), &templates.join(name));
    }
    let mut listing: Vec<PathBuf> = walkdir::WalkDir::new(&templates)
        .min_depth(1)
        .max_depth(2)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.path()
                .strip_prefix(&templates)
                .ok()
                .map(Path::to_path_buf)
        })
        .collect();
    listing.sort();
    for l in &listing {
        file(&format!("listed {}", l.display()), &templates.join(l));
    }
    for i in inputs {
        file(&format!("input {i}"), &dir.join(i));
    }
    Some(to_hex(&h.finalize()))
}

/// Whether each output has its recorded digest, read on as many threads as there are
/// CPUs. Each file is opened relative to its directory, opened once for the files of it
/// that follow each other.
fn verify(dir: &Path, outputs: &[CachedOutput], paths: &str) -> Vec<bool> {
    use rustix::fs::{Mode, OFlags};
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, outputs.len().max(1));
    let chunk = outputs.len().div_ceil(workers).max(1);
    let mut results = vec![false; outputs.len()];
    std::thread::scope(|s| {
        for (part, out) in outputs.chunks(chunk).zip(results.chunks_mut(chunk)) {
            s.spawn(move || {
                let mut buf = Vec::new();
                let mut current_dir: Option<(&str, std::os::fd::OwnedFd)> = None;
                for (o, ok) in part.iter().zip(out) {
                    let (want, path) = (&o.digest, o.path(paths));
                    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
                    let same = (|| -> std::io::Result<bool> {
                        if current_dir.as_ref().is_none_or(|(p, _)| *p != parent) {
                            current_dir = None;
                            let fd = rustix::fs::open(
                                dir.join(parent),
                                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                                Mode::empty(),
                            )?;
                            current_dir = Some((parent, fd));
                        }
                        let Some((_, dir_fd)) = &current_dir else {
                            return Ok(false);
                        };
                        let fd = rustix::fs::openat(
                            dir_fd,
                            name,
                            OFlags::RDONLY | OFlags::CLOEXEC,
                            Mode::empty(),
                        )?;
                        let mut f = fs::File::from(fd);
                        let meta = f.metadata()?;
                        if !meta.is_file() {
                            return Ok(false);
                        }
                        // As many bytes as fstat says: no extra read to find the end (the
                        // lock holds off other writers; a file cut short fails the read).
                        buf.resize(meta.len() as usize, 0);
                        f.read_exact(&mut buf)?;
                        let exec = meta.permissions().mode() & 0o111 != 0;
                        Ok(super::digest(&buf, exec) == *want)
                    })();
                    *ok = same.unwrap_or(false);
                }
            });
        }
    });
    results
}

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    crate::digest::hex(bytes)
}

fn from_hex(s: &str) -> Option<[u8; 32]> {
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let s = s.as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_round_trip() {
        for w in ["plain", "two\nlines", "a\\n literal\tand tab"] {
            assert_eq!(unescape(&escape(w)), w);
        }
    }

    #[test]
    fn fresh_only_while_inputs_and_outputs_are_unchanged() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let manifest = dir.join("packages.toml");
        fs::write(&manifest, "[project]\n").unwrap();
        fs::write(dir.join(CHANGELOG), "").unwrap();
        fs::create_dir_all(dir.join("obs/a")).unwrap();
        fs::create_dir_all(dir.join("patches")).unwrap();
        fs::write(dir.join("patches/fix.patch"), "--- a\n").unwrap();
        let files = [
            ("obs/a/a.spec", "spec\n"),
            ("obs/a/_service", "<services/>\n"),
        ];
        let mut outputs = Vec::new();
        for (p, content) in files {
            fs::write(dir.join(p), content).unwrap();
            outputs.push((
                PathBuf::from(p),
                0,
                super::super::digest(content.as_bytes(), false),
            ));
        }
        let record = CompleteRender {
            manifest: manifest.clone(),
            inputs: vec!["patches/fix.patch".to_string()],
            templates: vec!["spec.tera".to_string()],
            warnings: vec!["warning: two\nlines".to_string()],
            units: vec![("package a".to_string(), [7; 32])],
            outputs,
        };
        fs::write(dir.join(super::super::STATE_FILE), "# rendered files\n").unwrap();
        store(&record, std::iter::empty()).unwrap();
        assert!(!dir.join(crate::fsio::TMP_DIR).exists());
        let fresh = fresh(&manifest).expect("fresh");
        assert_eq!(fresh.outputs, 2);
        assert_eq!(fresh.warnings, record.warnings);

        // An output edited, then restored.
        fs::write(dir.join("obs/a/a.spec"), "edited\n").unwrap();
        assert!(fresh_is_none(&manifest));
        fs::write(dir.join("obs/a/a.spec"), "spec\n").unwrap();
        assert!(!fresh_is_none(&manifest));
        // Made executable.
        fs::set_permissions(dir.join("obs/a/a.spec"), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(fresh_is_none(&manifest));
        fs::set_permissions(dir.join("obs/a/a.spec"), fs::Permissions::from_mode(0o644)).unwrap();
        // Deleted.
        fs::remove_file(dir.join("obs/a/_service")).unwrap();
        assert!(fresh_is_none(&manifest));
        fs::write(dir.join("obs/a/_service"), "<services/>\n").unwrap();
        assert!(!fresh_is_none(&manifest));
        // Any input changed: the manifest, the changelog, a patch, a template.
        for (input, content) in [
            ("packages.toml", "[project] # edited\n"),
            (CHANGELOG, "# edited\n"),
            ("patches/fix.patch", "--- b\n"),
            ("templates/spec.tera", "x"),
        ] {
            let path = dir.join(input);
            let old = fs::read(&path).ok();
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, content).unwrap();
            assert!(fresh_is_none(&manifest), "{input}");
            match old {
                Some(old) => fs::write(&path, old).unwrap(),
                None => fs::remove_file(&path).unwrap(),
            }
            assert!(!fresh_is_none(&manifest), "{input} restored");
        }
        // A cache that does not parse.
        fs::write(dir.join(FILE), "garbage").unwrap();
        assert!(fresh_is_none(&manifest));
    }

    fn fresh(manifest: &Path) -> Option<Fresh> {
        let cache = read(manifest)?;
        if !cache.inputs_unchanged(manifest, &["spec.tera".to_string()]) {
            return None;
        }
        cache.fresh(&cache.intact(manifest))
    }

    fn fresh_is_none(manifest: &Path) -> bool {
        fresh(manifest).is_none()
    }

    #[test]
    fn hex_round_trip() {
        let d = super::super::digest(b"x", false);
        assert_eq!(from_hex(&to_hex(&d)), Some(d));
        assert_eq!(from_hex("zz"), None);
    }
}
