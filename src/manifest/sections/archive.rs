//! `[[archive]]`: the releases kept building after their series ended.

use crate::manifest::checks::{date, hex, is_hex, series};
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::path;
use crate::version::Version;

impl Cx<'_> {
    pub(in crate::manifest) fn archive(
        &mut self,
        raw: &raw::Manifest,
        upstreams: &[Upstream],
    ) -> Vec<Archived> {
        let mut out = Vec::new();
        for (i, a) in raw.archive.iter().enumerate() {
            if let Some(x) = self.archived(i, a, raw, upstreams, &out) {
                out.push(x);
            }
        }
        out
    }

    /// Entry `i` of `[[archive]]`; `earlier` are the entries resolved before it.
    fn archived(
        &mut self,
        i: usize,
        a: &raw::Archive,
        raw: &raw::Manifest,
        upstreams: &[Upstream],
        earlier: &[Archived],
    ) -> Option<Archived> {
        let p = |k: &str| path!["archive", i, k];
        let mut ok = true;
        if !upstreams.iter().any(|u| u.name == a.upstream) {
            self.unknown_upstream(p("upstream"), &a.upstream, raw);
            ok = false;
        }
        let series_ok = self.check(p("series"), &a.series, series(&a.series));
        ok &= series_ok;
        let version = match Version::parse(&a.version, None) {
            Ok(v) => Some(v),
            Err(e) => {
                self.version_err(p("version"), &a.version, e);
                None
            }
        };
        if let Some(v) = &version {
            if series_ok && v.series() != a.series {
                self.err(
                    p("version"),
                    format!("version {} is not in series {}", v.raw, a.series),
                );
            }
        }
        let is_tarball = raw
            .upstreams
            .get(&a.upstream)
            .is_some_and(|u| u.tarball.is_some());
        let pin = self.archive_pin(i, a, is_tarball);
        ok &= pin.is_some();
        ok &= self.check(p("archived"), &a.archived, date(&a.archived));
        if earlier
            .iter()
            .any(|x| x.upstream == a.upstream && x.series == a.series)
        {
            self.err(
                p("series"),
                format!("series {} of `{}` is archived twice", a.series, a.upstream),
            );
        }
        let (true, Some(version), Some(pin)) = (ok, version, pin) else {
            return None;
        };
        Some(Archived {
            upstream: a.upstream.clone(),
            series: a.series.clone(),
            version,
            pin,
            archived: a.archived.clone(),
        })
    }

    /// What pins archived release `i`: a commit for git, a sha256 for a tarball upstream.
    fn archive_pin(&mut self, i: usize, a: &raw::Archive, is_tarball: bool) -> Option<Pin> {
        let p = |k: &str| path!["archive", i, k];
        match (&a.commit, &a.sha256, is_tarball) {
            (Some(c), None, false) if is_hex(c, 40) => Some(Pin::Commit(c.clone())),
            (Some(c), None, false) => {
                self.check(p("commit"), c, hex("commit", c, 40));
                None
            }
            (None, Some(s), true) if is_hex(s, 64) => Some(Pin::Sha256(s.clone())),
            (None, Some(s), true) => {
                self.check(p("sha256"), s, hex("sha256", s, 64));
                None
            }
            (_, _, false) => {
                self.err_note(
                    path!["archive", i],
                    "an archived release of a git upstream is pinned by `commit` alone",
                    "add commit = \"<40 hex digits>\"",
                );
                None
            }
            (_, _, true) => {
                self.err_note(
                    path!["archive", i],
                    "an archived release of a tarball upstream is pinned by `sha256` alone",
                    "add sha256 = \"<64 hex digits>\"",
                );
                None
            }
        }
    }
}
