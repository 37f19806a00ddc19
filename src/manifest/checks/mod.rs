//! Field validators: what a single value of the manifest may hold, and the message when it
//! may not. Each is a pure function of the value; [`Cx`] reports what they refuse at the
//! value's place in the file.

mod changelog;
mod distros;
mod images;
mod locations;
mod names;
mod project;
mod text;
mod upstreams;

use std::ops::Range;

pub(in crate::manifest) use changelog::*;
pub(in crate::manifest) use distros::*;
pub(in crate::manifest) use images::*;
pub(in crate::manifest) use locations::*;
pub(in crate::manifest) use names::*;
pub(in crate::manifest) use project::*;
pub(in crate::manifest) use text::*;
pub(in crate::manifest) use upstreams::*;

use crate::distro::Distro;
use crate::manifest::load::Cx;
use crate::manifest::toml_file::Seg;

/// Why a value is refused: the message, the bytes of the value it points at (all of it
/// when `None`), and how to fix it.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::manifest) struct Rejection {
    pub(in crate::manifest) message: String,
    pub(in crate::manifest) at: Option<Range<usize>>,
    pub(in crate::manifest) note: Option<String>,
}

impl Rejection {
    pub(in crate::manifest) fn new(message: impl Into<String>) -> Self {
        Rejection {
            message: message.into(),
            at: None,
            note: None,
        }
    }

    /// Point at the bytes `at` of the value.
    pub(in crate::manifest) fn at(mut self, at: Range<usize>) -> Self {
        self.at = Some(at);
        self
    }

    pub(in crate::manifest) fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// What a validator returns.
pub(in crate::manifest) type Checked = Result<(), Rejection>;

impl Cx<'_> {
    /// Report `rejection` of `value`, the string at `path`.
    pub(in crate::manifest) fn reject(
        &mut self,
        path: Vec<Seg>,
        value: &str,
        rejection: Rejection,
    ) {
        self.err_within(path, value, rejection.at, rejection.message, rejection.note);
    }

    /// Whether `value`, the string at `path`, passed its check; reported when not.
    pub(in crate::manifest) fn check(
        &mut self,
        path: Vec<Seg>,
        value: &str,
        checked: Checked,
    ) -> bool {
        match checked {
            Ok(()) => true,
            Err(r) => {
                self.reject(path, value, r);
                false
            }
        }
    }

    pub(in crate::manifest) fn single_line(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        value: &str,
    ) -> bool {
        self.check(path, value, single_line(what, value))
    }

    pub(in crate::manifest) fn no_macros(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        value: &str,
    ) -> bool {
        self.check(path, value, no_macros(what, value))
    }

    pub(in crate::manifest) fn nonempty(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        value: &str,
    ) -> bool {
        self.check(path, value, nonempty(what, value))
    }

    pub(in crate::manifest) fn package_name(&mut self, path: Vec<Seg>, name: &str) -> bool {
        self.check(path, name, package_name(name))
    }

    pub(in crate::manifest) fn url(&mut self, path: Vec<Seg>, what: &str, value: &str) -> bool {
        self.check(path, value, url(what, value))
    }

    pub(in crate::manifest) fn safe_path(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        p: &str,
        absolute: bool,
    ) -> bool {
        self.check(path, p, safe_path(what, p, absolute))
    }

    pub(in crate::manifest) fn lookup_key(
        &mut self,
        path: Vec<Seg>,
        key: &str,
        distros: &[Distro],
    ) -> bool {
        self.check(path, key, lookup_key(key, distros))
    }

    pub(in crate::manifest) fn dependency(&mut self, path: Vec<Seg>, d: &str) -> bool {
        self.check(path, d, dependency(d))
    }

    /// A list of architectures, each known and listed once, `noarch` alone.
    pub(in crate::manifest) fn archs(
        &mut self,
        path: Vec<Seg>,
        archs: &[String],
        allow_noarch: bool,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (i, a) in archs.iter().enumerate() {
            let mut p = path.clone();
            p.push(Seg::Index(i));
            if !self.check(p.clone(), a, arch(a, allow_noarch)) {
                continue;
            }
            if out.contains(a) {
                self.err(p, format!("architecture `{a}` is listed twice"));
            } else {
                out.push(a.clone());
            }
        }
        if out.len() > 1 && out.iter().any(|a| a == "noarch") {
            self.err(path, "`noarch` cannot be combined with other architectures");
        }
        out
    }
}

/// The message of a rejection, or "" when the value was accepted.
#[cfg(test)]
fn message(r: Checked) -> String {
    r.err().map(|r| r.message).unwrap_or_default()
}
