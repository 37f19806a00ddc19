//! The record of every output a plan produced, kept compact: a render of tens of
//! thousands of files keeps, per file, its path in one string per unit, a few bytes of
//! flags and indices, and its digest. Files that a staged plan creates are flagged here
//! instead of becoming a [`super::Change`] each, so their bookkeeping does not hold a
//! path and two content slots per file.

use std::path::Path;
use std::sync::Arc;

/// No package (a project-wide output such as the project meta).
const NO_NAME: u16 = u16::MAX;
/// The file is new and its content is staged ([`super::Keep::Staged`]).
const CREATED: u8 = 1;
/// The new content is executable.
const EXECUTABLE: u8 = 2;
/// [`Record::digest`] holds the output's digest.
const DIGEST: u8 = 4;

/// One output of a unit.
#[derive(Debug, Clone, Copy)]
struct Record {
    /// Where its path is in [`UnitRecords::paths`].
    start: u32,
    len: u32,
    /// Indices into [`UnitRecords::names`].
    package: u16,
    serves: u16,
    flags: u8,
    digest: [u8; 32],
}

/// The outputs of one unit ([`crate::render::Unit`]), in the order they came.
#[derive(Debug, Default)]
pub(crate) struct UnitRecords {
    unit: u32,
    paths: String,
    /// The package names and target tags ([`super::state::tag`]) of this unit's outputs.
    names: Vec<Arc<str>>,
    records: Vec<Record>,
}

impl UnitRecords {
    pub(crate) fn new(unit: usize) -> UnitRecords {
        UnitRecords {
            unit: unit as u32,
            ..UnitRecords::default()
        }
    }

    fn name(&mut self, s: &Arc<str>) -> u16 {
        match self.names.iter().position(|n| n == s) {
            Some(i) => i as u16,
            None => {
                self.names.push(s.clone());
                (self.names.len() - 1) as u16
            }
        }
    }

    /// Record an output; `created` when the plan staged it as a new file.
    pub(super) fn push(&mut self, path: &Path, file: &super::RenderedFile, created: Option<bool>) {
        let start = self.paths.len() as u32;
        self.paths.push_str(&path.to_string_lossy());
        let package = match &file.package {
            Some(p) => self.name(p),
            None => NO_NAME,
        };
        let serves = self.name(&file.serves);
        let mut flags = 0;
        if let Some(executable) = created {
            flags |= CREATED;
            if executable {
                flags |= EXECUTABLE;
            }
        }
        if file.digest.is_some() {
            flags |= DIGEST;
        }
        self.records.push(Record {
            start,
            len: self.paths.len() as u32 - start,
            package,
            serves,
            flags,
            digest: file.digest.unwrap_or_default(),
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Give back what the lists reserved beyond their length.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.paths.shrink_to_fit();
        self.names.shrink_to_fit();
        self.records.shrink_to_fit();
    }

    fn get(&self, i: usize) -> Option<Entry<'_>> {
        let r = self.records.get(i)?;
        let path = self
            .paths
            .get(r.start as usize..(r.start + r.len) as usize)?;
        let name = |i: u16| self.names.get(i as usize).map(|n| &**n);
        Some(Entry {
            path: Path::new(path),
            package: match r.package {
                NO_NAME => None,
                i => name(i),
            },
            serves: name(r.serves).unwrap_or_default(),
            digest: (r.flags & DIGEST != 0).then_some(&r.digest),
            unit: self.unit,
            created: (r.flags & CREATED != 0).then_some(r.flags & EXECUTABLE != 0),
        })
    }
}

/// One output as [`Records`] lists it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub path: &'a Path,
    pub package: Option<&'a str>,
    pub serves: &'a str,
    pub digest: Option<&'a [u8; 32]>,
    pub unit: u32,
    /// `Some(executable)` when the plan staged it as a new file.
    pub created: Option<bool>,
}

/// The outputs of every unit, in path order, each path once.
#[derive(Debug, Default)]
pub(crate) struct Records {
    units: Vec<UnitRecords>,
    /// (index into `units`, index into its records), sorted by path.
    order: Vec<(u32, u32)>,
    /// The indices into `order` of the outputs the plan creates, staged.
    created: Vec<u32>,
}

impl Records {
    /// Sort the outputs of `units` by path; of outputs that share a path, one stays.
    pub(crate) fn new(units: Vec<UnitRecords>) -> Records {
        let mut order: Vec<(u32, u32)> = Vec::with_capacity(units.iter().map(|u| u.len()).sum());
        for (u, recs) in units.iter().enumerate() {
            order.extend((0..recs.len()).map(|i| (u as u32, i as u32)));
        }
        let mut records = Records {
            units,
            order: Vec::new(),
            created: Vec::new(),
        };
        let path = |&(u, i): &(u32, u32)| records.path_bytes(u, i);
        order.sort_unstable_by(|a, b| match (path(a), path(b)) {
            (Some(a), Some(b)) => super::bytes_cmp(a, b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        });
        order.dedup_by(|b, a| path(a) == path(b));
        records.created = order
            .iter()
            .enumerate()
            .filter(|(_, &(u, i))| records.entry(u, i).is_some_and(|e| e.created.is_some()))
            .map(|(k, _)| k as u32)
            .collect();
        records.order = order;
        records
    }

    /// The path of an output, as bytes: what sorting compares, without the rest of
    /// [`Entry`].
    fn path_bytes(&self, unit: u32, i: u32) -> Option<&[u8]> {
        let u = self.units.get(unit as usize)?;
        let r = u.records.get(i as usize)?;
        let path = u.paths.get(r.start as usize..(r.start + r.len) as usize)?;
        Some(path.as_bytes())
    }

    fn entry(&self, unit: u32, i: u32) -> Option<Entry<'_>> {
        self.units.get(unit as usize)?.get(i as usize)
    }

    /// Every output, in path order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Entry<'_>> + Clone + '_ {
        self.order.iter().filter_map(|&(u, i)| self.entry(u, i))
    }

    /// The outputs the plan creates, staged, in path order.
    pub(crate) fn created(&self) -> impl Iterator<Item = Entry<'_>> + Clone + '_ {
        (0..self.created.len()).filter_map(|k| self.created_at(k))
    }

    /// The `k`th output the plan creates, staged, in path order.
    pub(crate) fn created_at(&self, k: usize) -> Option<Entry<'_>> {
        let &(u, i) = self.order.get(*self.created.get(k)? as usize)?;
        self.entry(u, i)
    }

    /// How many outputs the plan creates, staged.
    pub(crate) fn created_count(&self) -> usize {
        self.created.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests assert by panicking")]
    use super::*;
    use crate::output::RenderedFile;

    fn file(package: Option<&str>, digest: Option<u8>) -> RenderedFile {
        RenderedFile {
            package: package.map(Arc::from),
            serves: Arc::from("all"),
            digest: digest.map(|d| [d; 32]),
        }
    }

    #[test]
    fn outputs_of_every_unit_come_in_path_order_each_path_once() {
        let mut a = UnitRecords::new(0);
        a.push(
            Path::new("rpm/b.spec"),
            &file(Some("b"), Some(1)),
            Some(true),
        );
        a.push(Path::new("obs/b/_service"), &file(Some("b"), None), None);
        let mut b = UnitRecords::new(1);
        b.push(Path::new("obs/a/_service"), &file(Some("a"), Some(2)), None);
        b.push(Path::new("obs/a.b"), &file(None, None), Some(false));
        b.push(
            Path::new("rpm/b.spec"),
            &file(Some("b"), Some(1)),
            Some(true),
        );
        let records = Records::new(vec![a, b]);
        let paths: Vec<String> = records
            .iter()
            .map(|e| e.path.display().to_string())
            .collect();
        // `/` sorts before any other byte, as in `Path`'s order.
        assert_eq!(
            paths,
            ["obs/a/_service", "obs/a.b", "obs/b/_service", "rpm/b.spec"]
        );
        let first = records.iter().next().unwrap();
        assert_eq!(
            (first.package, first.serves, first.unit, first.digest),
            (Some("a"), "all", 1, Some(&[2; 32]))
        );
        let created: Vec<(String, Option<bool>)> = records
            .created()
            .map(|e| (e.path.display().to_string(), e.created))
            .collect();
        assert_eq!(
            created,
            [
                ("obs/a.b".to_string(), Some(false)),
                ("rpm/b.spec".to_string(), Some(true))
            ]
        );
        assert_eq!(records.created_count(), 2);
        assert_eq!(records.created_at(1).unwrap().path, Path::new("rpm/b.spec"));
        assert!(records.created_at(2).is_none());
        assert_eq!(records.iter().nth(1).unwrap().package, None);
    }
}
