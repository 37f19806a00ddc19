//! The record of rendered files ([`super::STATE_FILE`]) as the last render left it, kept
//! compact: every path in one string, and per file four indices, sorted by path. Tens
//! of thousands of files cost a few bytes each beyond their path, and a lookup is a
//! binary search, not a map of owned paths.

use std::collections::HashMap;
use std::path::{Component, Path};
use std::sync::Arc;

use super::{path_cmp, state};

/// No package (a project-wide output such as the project meta).
const NO_NAME: u32 = u32::MAX;

/// One file of the record.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where its path is in [`OldRecords::paths`].
    start: u32,
    len: u32,
    /// Indices into [`OldRecords::names`].
    package: u32,
    serves: u32,
}

/// The files of the record, each path once, in path order ([`path_cmp`]).
#[derive(Debug, Default)]
pub(super) struct OldRecords {
    paths: String,
    /// The package names and target tags ([`state::tag`]), each once.
    names: Vec<Arc<str>>,
    entries: Vec<Entry>,
    /// The SHA-256 of the file the record was read from, when there was one.
    pub digest: Option<[u8; 32]>,
}

/// One file as [`OldRecords`] lists it.
#[derive(Debug, Clone, Copy)]
pub(super) struct OldRecord<'a> {
    pub path: &'a Path,
    pub package: Option<&'a Arc<str>>,
    pub serves: &'a Arc<str>,
}

impl OldRecord<'_> {
    /// Whether `selection` picks this file.
    pub(super) fn picked_by(&self, selection: &super::Selection) -> bool {
        selection.picks(self.package.map(|p| &**p), &state::serves(self.serves))
    }
}

impl OldRecords {
    /// Parse the text of the record. Lines that are not `path\tpackage\ttargets`, and
    /// paths outside the manifest's directory, are skipped; of lines that name the same
    /// file, the last one counts.
    pub(super) fn parse(text: &str) -> OldRecords {
        let mut out = OldRecords::default();
        // The paths' length, so the string is allocated once.
        let size: usize = text
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(p, _)| p.len())
            .sum();
        out.paths.reserve_exact(size);
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut name = |names: &mut Vec<Arc<str>>, s: &str| -> u32 {
            if let Some(&i) = index.get(s) {
                return i;
            }
            names.push(Arc::from(s));
            let i = (names.len() - 1) as u32;
            index.insert(s.to_string(), i);
            i
        };
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut parts = line.split('\t');
            let (Some(p), Some(pkg), Some(serves)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let rel = Path::new(p);
            // Only ever remove files below the manifest's directory.
            if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
                continue;
            }
            let start = out.paths.len() as u32;
            push_normal(&mut out.paths, p);
            let serves = match serves.contains(',') {
                // In the order `state::tag` writes.
                true => name(&mut out.names, &state::tag(&state::serves(serves))),
                false => name(&mut out.names, serves),
            };
            let package = match pkg {
                "-" => NO_NAME,
                p => name(&mut out.names, p),
            };
            out.entries.push(Entry {
                start,
                len: out.paths.len() as u32 - start,
                package,
                serves,
            });
        }
        out.sort();
        out.paths.shrink_to_fit();
        out.entries.shrink_to_fit();
        out
    }

    /// In path order, each path once (the last of equal ones): the record is written
    /// sorted, so this is usually one pass.
    fn sort(&mut self) {
        let paths = &self.paths;
        let path = |e: &Entry| {
            Path::new(
                paths
                    .get(e.start as usize..(e.start + e.len) as usize)
                    .unwrap_or(""),
            )
        };
        let sorted = self
            .entries
            .windows(2)
            .all(|w| path_cmp(path(&w[0]), path(&w[1])) == std::cmp::Ordering::Less);
        if sorted {
            return;
        }
        // Stable: of equal paths the later line stays later, and wins below.
        self.entries.sort_by(|a, b| path_cmp(path(a), path(b)));
        let mut kept: Vec<Entry> = Vec::with_capacity(self.entries.len());
        for e in self.entries.drain(..) {
            match kept.last_mut() {
                Some(last) if path(last) == path(&e) => *last = e,
                _ => kept.push(e),
            }
        }
        self.entries = kept;
    }

    fn record(&self, e: &Entry) -> Option<OldRecord<'_>> {
        let path = self
            .paths
            .get(e.start as usize..(e.start + e.len) as usize)?;
        Some(OldRecord {
            path: Path::new(path),
            package: match e.package {
                NO_NAME => None,
                i => Some(self.names.get(i as usize)?),
            },
            serves: self.names.get(e.serves as usize)?,
        })
    }

    /// The file at `path`, when the record lists it.
    pub(super) fn get(&self, path: &Path) -> Option<OldRecord<'_>> {
        use std::os::unix::ffi::OsStrExt;
        let want = path.as_os_str().as_bytes();
        let i = self
            .entries
            .binary_search_by(|e| {
                let p = self
                    .paths
                    .get(e.start as usize..(e.start + e.len) as usize)
                    .unwrap_or_default();
                super::bytes_cmp(p.as_bytes(), want)
            })
            .ok()?;
        self.record(self.entries.get(i)?)
    }

    /// [`OldRecords::get`], looking first at the `hint`th file in path order.
    pub(super) fn get_near(&self, path: &Path, hint: usize) -> Option<OldRecord<'_>> {
        let at = self.entries.get(hint).and_then(|e| self.record(e));
        match at {
            Some(r) if r.path.as_os_str() == path.as_os_str() => Some(r),
            _ => self.get(path),
        }
    }

    /// Every file, in path order.
    pub(super) fn iter(&self) -> impl Iterator<Item = OldRecord<'_>> + Clone + '_ {
        self.entries.iter().filter_map(|e| self.record(e))
    }

    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Append `p` as `Path` sees it: its components joined by `/`, so two spellings of one
/// path (`a//b`, `a/b/`) compare equal, as they did as `PathBuf`s.
fn push_normal(out: &mut String, p: &str) {
    let plain =
        !p.is_empty() && !p.ends_with('/') && p.split('/').all(|c| !c.is_empty() && c != ".");
    if plain {
        out.push_str(p);
        return;
    }
    for (i, c) in Path::new(p).components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&c.as_os_str().to_string_lossy());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests assert by panicking")]
    use super::*;

    #[test]
    fn records_come_sorted_each_path_once_the_last_line_winning() {
        let text = "# header\n\
                    rpm/b.spec\tb\tall\n\
                    obs/a.b\t-\trpm\n\
                    obs/a/_service\ta\tdebian-12,centos-9\n\
                    ../escape\ta\tall\n\
                    /abs\ta\tall\n\
                    short\n\
                    rpm//b.spec\tc\tdeb\n";
        let old = OldRecords::parse(text);
        let lines: Vec<(String, Option<String>, String)> = old
            .iter()
            .map(|r| {
                (
                    r.path.display().to_string(),
                    r.package.map(|p| p.to_string()),
                    r.serves.to_string(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "obs/a/_service".into(),
                    Some("a".into()),
                    "centos-9,debian-12".into()
                ),
                ("obs/a.b".into(), None, "rpm".into()),
                ("rpm/b.spec".into(), Some("c".into()), "deb".into()),
            ]
        );
        assert_eq!(
            old.get(Path::new("obs/a.b")).unwrap().serves.as_ref(),
            "rpm"
        );
        assert!(old.get(Path::new("obs/a")).is_none());
        for hint in [0, 1, 2, 9] {
            let near = old.get_near(Path::new("obs/a.b"), hint).unwrap();
            assert_eq!(near.path, Path::new("obs/a.b"));
            assert!(old.get_near(Path::new("obs/a"), hint).is_none());
        }
        assert!(old.get(Path::new("zzz")).is_none());
        assert!(!old.is_empty());
        assert!(OldRecords::parse("# only a header\n").is_empty());
    }
}
