//! `[[archive]]`: the releases kept building after their series ended.

use crate::manifest::checks::*;
use crate::manifest::load::Cx;
use crate::manifest::model::*;
use crate::manifest::raw;
use crate::path;
use crate::version::{escape_for_message, Version};

impl Cx<'_> {
    pub(in crate::manifest) fn archive(
        &mut self,
        raw: &raw::Manifest,
        upstreams: &[Upstream],
    ) -> Vec<Archived> {
        let mut out = Vec::new();
        for (i, a) in raw.archive.iter().enumerate() {
            let p = |k: &str| path!["archive", i, k];
            let mut ok = true;
            if !upstreams.iter().any(|u| u.name == a.upstream) {
                if raw.upstreams.contains_key(&a.upstream) {
                    ok = false;
                } else {
                    self.unknown_upstream(p("upstream"), &a.upstream, raw);
                    ok = false;
                }
            }
            let series_ok = a.series.split('.').count() == 2
                && a.series
                    .split('.')
                    .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
            if !series_ok {
                self.err(
                    p("series"),
                    format!(
                        "series `{}` must read major.minor, e.g. 3.0",
                        escape_for_message(&a.series)
                    ),
                );
                ok = false;
            }
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
            let pin = match (&a.commit, &a.sha256, is_tarball) {
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
            };
            ok &= pin.is_some();
            if a.archived.parse::<jiff::civil::Date>().is_err() || a.archived.len() != 10 {
                self.err(
                    p("archived"),
                    format!(
                        "`{}` is not a date such as 2026-10-01",
                        escape_for_message(&a.archived)
                    ),
                );
                ok = false;
            }
            if out
                .iter()
                .any(|x: &Archived| x.upstream == a.upstream && x.series == a.series)
            {
                self.err(
                    p("series"),
                    format!("series {} of `{}` is archived twice", a.series, a.upstream),
                );
            }
            if let (true, Some(version), Some(pin)) = (ok, version, pin) {
                out.push(Archived {
                    upstream: a.upstream.clone(),
                    series: a.series.clone(),
                    version,
                    pin,
                    archived: a.archived.clone(),
                });
            }
        }
        out
    }
}
