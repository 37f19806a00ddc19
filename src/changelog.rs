//! `changelog.toml`: the one history every changelog format is derived from.

use jiff::Timestamp;

use crate::version::Version;

/// One entry of `changelog.toml`, validated.
#[derive(Debug, Clone)]
pub struct ChangelogEntry {
    pub upstream: Option<String>,
    pub packages: Option<Vec<String>>,
    pub version: Version,
    pub date: Timestamp,
    pub author: String,
    pub changes: Vec<String>,
}

impl ChangelogEntry {
    /// Whether this entry speaks of `package` (of `upstream`).
    pub(crate) fn covers(&self, package: &str, upstream: Option<&str>) -> bool {
        if let Some(list) = &self.packages {
            return list.iter().any(|p| p == package);
        }
        match (&self.upstream, upstream) {
            (Some(u), Some(pu)) => u == pu,
            (Some(_), None) => false,
            (None, _) => true,
        }
    }

    /// `Sun Nov 22 04:00:00 UTC 2026`, as `osc vc` writes it in `.changes`.
    pub(crate) fn suse_date(&self) -> String {
        self.date.strftime("%a %b %e %H:%M:%S UTC %Y").to_string()
    }

    /// `Sun Nov 22 2026`, as rpm's `%changelog` wants it.
    pub(crate) fn rpm_date(&self) -> String {
        self.date.strftime("%a %b %d %Y").to_string()
    }

    /// RFC 2822 with a numeric zone, as dch writes it.
    pub(crate) fn debian_date(&self) -> String {
        self.date
            .strftime("%a, %d %b %Y %H:%M:%S +0000")
            .to_string()
    }
}

/// A date [`parse_date`] refuses, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct DateError(String);

/// Parse an RFC 3339 date such as `2026-11-22T04:00:00Z`.
pub(crate) fn parse_date(s: &str) -> Result<Timestamp, DateError> {
    s.parse::<Timestamp>().map_err(|e| {
        // jiff says which part is wrong (a day out of range, a missing offset) last
        let why = e.to_string();
        let why = why.rsplit(": ").next().unwrap_or(&why);
        let why = if why.contains("offset") {
            "it has no time zone; end it with Z (UTC) or an offset such as +01:00"
        } else if why.contains("must be in range") {
            why
        } else {
            "write it like 2026-11-22T04:00:00Z"
        };
        DateError(format!(
            "`{}` is not an RFC 3339 date: {why}",
            crate::version::escape_for_message(s)
        ))
    })
}

/// The author without a trailing email, and the email (`Name <mail>`).
pub(crate) fn split_author(author: &str) -> (&str, Option<&str>) {
    match (author.find('<'), author.rfind('>')) {
        (Some(a), Some(b)) if a < b => (author[..a].trim(), Some(&author[a + 1..b])),
        _ => (author.trim(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(date: &str) -> ChangelogEntry {
        ChangelogEntry {
            upstream: None,
            packages: None,
            version: Version::parse("1.0", None).unwrap(),
            date: parse_date(date).unwrap(),
            author: "A <a@example.org>".into(),
            changes: vec!["x".into()],
        }
    }

    #[test]
    fn dates_in_every_format() {
        let e = entry("2026-11-02T04:00:00Z");
        assert_eq!(e.suse_date(), "Mon Nov  2 04:00:00 UTC 2026");
        assert_eq!(e.rpm_date(), "Mon Nov 02 2026");
        assert_eq!(e.debian_date(), "Mon, 02 Nov 2026 04:00:00 +0000");
        let e = entry("2026-11-22T05:00:00+01:00");
        assert_eq!(e.suse_date(), "Sun Nov 22 04:00:00 UTC 2026");
    }
}
