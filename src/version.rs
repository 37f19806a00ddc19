//! Upstream versions and their spelling in each package format.

use std::fmt;

/// An upstream version as the manifest gives it, with its rpm and Debian spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// As written in the manifest and in upstream tags (`3.2.0-rc1`).
    pub raw: String,
    /// For rpm `Version:` (`3.2.0~rc1`).
    pub rpm: String,
    /// The Debian upstream version, without epoch or revision (`3.2.0~rc1`).
    pub deb: String,
    /// The Debian epoch, when the manifest gives one.
    pub epoch: Option<u32>,
}

const PRERELEASE_WORDS: &[&str] = &["alpha", "beta", "rc", "pre", "dev", "a", "b"];

impl Version {
    /// Check the characters of `raw` and derive its spellings.
    pub fn parse(raw: &str, epoch: Option<u32>) -> Result<Version, VersionError> {
        check(raw)?;
        let pre = mark_prerelease(raw);
        Ok(Version {
            raw: raw.to_string(),
            rpm: pre.clone(),
            deb: pre.replace('_', "."),
            epoch,
        })
    }

    /// The full Debian version with a revision: `[epoch:]upstream-revision`.
    pub fn debian(&self, revision: u32) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{revision}", self.deb),
            None => format!("{}-{revision}", self.deb),
        }
    }

    /// The series a version belongs to: `major.minor`.
    pub(crate) fn series(&self) -> String {
        let mut parts = self.raw.split(|c: char| !c.is_ascii_digit());
        let major = parts.next().unwrap_or("0");
        let minor = parts.next().filter(|s| !s.is_empty()).unwrap_or("0");
        format!("{major}.{minor}")
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A version [`check`] refuses, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VersionError(String);

/// Reject anything but a plain version: it ends up in specs, shell and file names.
pub(crate) fn check(raw: &str) -> Result<(), VersionError> {
    if raw.is_empty() {
        return Err(VersionError("version is empty".into()));
    }
    if !raw.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(VersionError(format!(
            "version `{}` must start with a digit",
            escape_for_message(raw)
        )));
    }
    if let Some(c) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | '_' | '-')))
    {
        return Err(VersionError(format!(
            "version `{}` contains `{}`; versions may only use letters, digits and `.+~_-`",
            escape_for_message(raw),
            c.escape_default()
        )));
    }
    if raw.len() > 64 {
        return Err(VersionError("version is longer than 64 characters".into()));
    }
    let sep = |c: char| matches!(c, '.' | '+' | '~' | '_' | '-');
    if raw.ends_with(sep) {
        return Err(VersionError(format!(
            "version `{}` ends with a separator; it must end with a letter or digit",
            escape_for_message(raw)
        )));
    }
    if let Some(w) = raw
        .as_bytes()
        .windows(2)
        .find(|w| sep(w[0] as char) && sep(w[1] as char))
    {
        return Err(VersionError(format!(
            "version `{}` has two separators in a row (`{}{}`)",
            escape_for_message(raw),
            w[0] as char,
            w[1] as char
        )));
    }
    Ok(())
}

/// Where in `raw` the problem [`check`] reports is: the byte range to underline.
pub(crate) fn problem_at(raw: &str) -> Option<std::ops::Range<usize>> {
    let sep = |c: char| matches!(c, '.' | '+' | '~' | '_' | '-');
    let first = raw.chars().next()?;
    if !first.is_ascii_digit() {
        return Some(0..first.len_utf8());
    }
    if let Some((i, c)) = raw
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || sep(*c)))
    {
        return Some(i..i + c.len_utf8());
    }
    if raw.len() > 64 {
        return None;
    }
    if raw.ends_with(sep) {
        return Some(raw.len() - 1..raw.len());
    }
    raw.as_bytes()
        .windows(2)
        .position(|w| sep(w[0] as char) && sep(w[1] as char))
        .map(|i| i..i + 2)
}

/// Show untrusted text on one line.
pub(crate) fn escape_for_message(s: &str) -> String {
    s.chars().flat_map(char::escape_default).collect()
}

/// Put `~` before a pre-release, so it sorts before the release in rpm and dpkg:
/// `3.2.0-rc1`, `3.2.0.rc1` and `3.2.0rc1` all become `3.2.0~rc1`. Any other `-` becomes `.`.
fn mark_prerelease(raw: &str) -> String {
    let lower = raw.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = String::with_capacity(raw.len() + 1);
    let mut marked = raw.contains('~');
    let mut i = 0;
    while i < raw.len() {
        let c = bytes[i] as char;
        let rest = &lower[i..];
        let after_sep = if matches!(c, '-' | '.' | '_') {
            &lower[i + 1..]
        } else {
            rest
        };
        let prev_digit = i > 0 && bytes[i - 1].is_ascii_digit();
        let word = PRERELEASE_WORDS.iter().find(|w| {
            after_sep.starts_with(*w)
                && after_sep[w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|n| n.is_ascii_digit() || n == '.')
        });
        if !marked
            && prev_digit
            && word.is_some()
            && (matches!(c, '-' | '.' | '_') || c.is_ascii_alphabetic())
        {
            out.push('~');
            marked = true;
            if matches!(c, '-' | '.' | '_') {
                i += 1;
            }
            continue;
        }
        out.push(if c == '-' {
            '.'
        } else {
            raw.as_bytes()[i] as char
        });
        i += 1;
    }
    out
}

/// `3.2` -> `3.2.0`, `v3` is not accepted here (strip prefixes first), `3.2.0-rc1` keeps its pre-release.
pub(crate) fn lenient_semver(raw: &str) -> Option<semver::Version> {
    if let Ok(v) = semver::Version::parse(raw) {
        return Some(v);
    }
    let (core, rest) = match raw.find(['-', '+']) {
        Some(i) => (&raw[..i], &raw[i..]),
        None => (raw, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut full: Vec<String> = parts
        .iter()
        .map(|p| p.trim_start_matches('0').to_string())
        .map(|p| if p.is_empty() { "0".into() } else { p })
        .collect();
    while full.len() < 3 {
        full.push("0".into());
    }
    semver::Version::parse(&format!("{}{rest}", full.join("."))).ok()
}

/// Order two upstream versions: as semver when both read as semver (`3.2` is `3.2.0`),
/// else segment by segment the way rpm compares, with `~` sorting before anything.
pub(crate) fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (lenient_semver(a), lenient_semver(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => rpmvercmp(&mark_prerelease(a), &mark_prerelease(b)),
    }
}

/// rpm's `rpmvercmp`: `~` sorts before everything, even the end; `^` after the end but
/// before anything else; digit runs numerically and newer than letter runs.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        let skip = |s: &[u8]| {
            s.iter()
                .position(|c| c.is_ascii_alphanumeric() || *c == b'~' || *c == b'^')
                .unwrap_or(s.len())
        };
        a = &a[skip(a)..];
        b = &b[skip(b)..];
        match (a.first() == Some(&b'~'), b.first() == Some(&b'~')) {
            (true, true) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (true, false) => return Less,
            (false, true) => return Greater,
            _ => {}
        }
        match (a.first() == Some(&b'^'), b.first() == Some(&b'^')) {
            (true, true) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            (true, false) => return if b.is_empty() { Greater } else { Less },
            (false, true) => return if a.is_empty() { Less } else { Greater },
            _ => {}
        }
        if a.is_empty() || b.is_empty() {
            // what is left over makes a version newer
            return a.len().min(1).cmp(&b.len().min(1));
        }
        let numeric = a[0].is_ascii_digit();
        let take = |s: &[u8]| {
            s.iter()
                .position(|c| {
                    if numeric {
                        !c.is_ascii_digit()
                    } else {
                        !c.is_ascii_alphabetic()
                    }
                })
                .unwrap_or(s.len())
        };
        let (sa, sb) = (&a[..take(a)], &b[..take(b)]);
        if sb.is_empty() {
            return if numeric { Greater } else { Less };
        }
        let ord = if numeric {
            let ta = std::str::from_utf8(sa)
                .unwrap_or("0")
                .trim_start_matches('0');
            let tb = std::str::from_utf8(sb)
                .unwrap_or("0")
                .trim_start_matches('0');
            ta.len().cmp(&tb.len()).then(ta.cmp(tb))
        } else {
            sa.cmp(sb)
        };
        if ord != Equal {
            return ord;
        }
        a = &a[sa.len()..];
        b = &b[sb.len()..];
    }
}

/// dpkg's comparison of two upstream versions (no epoch, no revision): `~` sorts
/// before everything, letters before other characters, digit runs numerically.
pub fn compare_upstream(a: &str, b: &str) -> std::cmp::Ordering {
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(b'~') => -1,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(c),
            Some(c) => i32::from(c) + 256,
        }
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (x, y) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = std::cmp::Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == std::cmp::Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return std::cmp::Ordering::Greater;
        }
        if digit(b, j) {
            return std::cmp::Ordering::Less;
        }
        if first_diff != std::cmp::Ordering::Equal {
            return first_diff;
        }
    }
    std::cmp::Ordering::Equal
}

/// dpkg's comparison of two whole versions, `[epoch:]upstream[-revision]`.
pub(crate) fn dpkg_compare(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(v: &str) -> (u64, &str, &str) {
        let v = v.trim();
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) if e.bytes().all(|c| c.is_ascii_digit()) => (e.parse().unwrap_or(0), r),
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((u, r)) => (epoch, u, r),
            None => (epoch, rest, ""),
        }
    }
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_upstream(ua, ub))
        .then_with(|| compare_upstream(ra, rb))
}

/// rpm's comparison of `[epoch:]version[-release]`; a side without a release matches any
/// release of the other, as rpm does for a requirement that names none.
pub(crate) fn rpm_evr_compare(a: &str, b: &str) -> std::cmp::Ordering {
    fn split(v: &str) -> (u64, &str, Option<&str>) {
        let v = v.trim();
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) if e.bytes().all(|c| c.is_ascii_digit()) => (e.parse().unwrap_or(0), r),
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((ver, rel)) => (epoch, ver, Some(rel)),
            None => (epoch, rest, None),
        }
    }
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(x), Some(y)) => rpmvercmp(x, y),
            _ => std::cmp::Ordering::Equal,
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_order_like_rpm() {
        use std::cmp::Ordering::*;
        for (a, b, o) in [
            ("1.9", "1.10", Less),
            ("3.2.0-rc1", "3.2.0", Less),
            ("3.2", "3.2.0", Equal),
            ("6.6.52", "6.6.9", Greater),
            ("1.0a", "1.0b", Less),
            ("2024.1", "2024.1.1", Less),
            ("1.0~rc1", "1.0", Less),
        ] {
            assert_eq!(super::compare(a, b), o, "{a} vs {b}");
        }
    }

    use super::*;

    #[test]
    fn whole_versions_order_like_dpkg_and_rpm() {
        use std::cmp::Ordering::*;
        for (a, b, o) in [
            ("2:1.19~1", "2:1.22~", Less),
            ("2:1.22~2build1", "2:1.22~", Greater),
            ("1.22.12-1~bpo12+1", "2:1.22~", Less),
            ("1:0.9", "2.0", Greater),
            ("1.0-1", "1.0-1+b1", Less),
            ("13", "13", Equal),
        ] {
            assert_eq!(dpkg_compare(a, b), o, "{a} vs {b}");
        }
        for (a, b, o) in [
            ("1.22.5-1.fc41", "1.22.5", Equal),
            ("1.22.5-1.fc41", "1.22", Greater),
            ("1:1.0-1", "2.0-1", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.0.1", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0-2", "1.0-10", Less),
        ] {
            assert_eq!(rpm_evr_compare(a, b), o, "{a} vs {b}");
        }
    }

    #[test]
    fn prereleases_get_a_tilde() {
        for (raw, rpm) in [
            ("3.2.0-rc1", "3.2.0~rc1"),
            ("3.2.0.rc1", "3.2.0~rc1"),
            ("3.2.0rc1", "3.2.0~rc1"),
            ("3.2.0-alpha.1", "3.2.0~alpha.1"),
            ("3.1.3", "3.1.3"),
            ("6.6.52", "6.6.52"),
            ("9.1.0", "9.1.0"),
            ("1.0-2", "1.0.2"),
        ] {
            assert_eq!(Version::parse(raw, None).unwrap().rpm, rpm, "{raw}");
        }
    }

    #[test]
    fn hostile_versions_are_refused() {
        for raw in [
            "1.0%{lua:x}",
            "1.0%(touch x)",
            "1.0\nRequires: evil",
            "$(x)",
            "../../etc",
            "",
            "1.2.0-",
            "1..2",
            "1.0-~rc1",
        ] {
            assert!(Version::parse(raw, None).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn series_and_semver() {
        let v = Version::parse("3.1.3", None).unwrap();
        assert_eq!(v.series(), "3.1");
        assert_eq!(lenient_semver("3.2").unwrap().to_string(), "3.2.0");
        assert_eq!(
            lenient_semver("3.2.0-rc1").unwrap().to_string(),
            "3.2.0-rc1"
        );
        assert_eq!(v.debian(1), "3.1.3-1");
        assert_eq!(Version::parse("1.0", Some(2)).unwrap().debian(3), "2:1.0-3");
    }
}
