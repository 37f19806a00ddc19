//! What `[project]` and `[[archive]]` hold: the maintainer, OBS project names, release series
//! and dates.

use super::{Checked, Rejection};
use crate::version::escape_for_message;

/// Someone as `Name <email>`.
pub(in crate::manifest) fn maintainer(m: &str) -> Checked {
    if m.contains('<') && m.trim_end().ends_with('>') {
        return Ok(());
    }
    Err(Rejection::new("the maintainer must read `Name <email>`")
        .note("for example maintainer = \"Jane Packager <jane@example.org>\""))
}

/// Parts of letters, digits and `-_.+`, joined by `:`.
fn is_obs_project(s: &str) -> bool {
    !s.is_empty()
        && s.split(':').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        })
}

/// The OBS project the packages go to.
pub(in crate::manifest) fn obs_project(s: &str) -> Checked {
    if is_obs_project(s) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not an OBS project name such as home:user:project",
        escape_for_message(s)
    )))
}

/// The OBS project archived releases go to.
pub(in crate::manifest) fn archive_project(s: &str) -> Checked {
    if is_obs_project(s) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not an OBS project name",
        escape_for_message(s)
    )))
}

/// A release series: `major.minor`.
pub(in crate::manifest) fn series(s: &str) -> Checked {
    if s.split('.').count() == 2
        && s.split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "series `{}` must read major.minor, e.g. 3.0",
        escape_for_message(s)
    )))
}

/// A calendar date as `YYYY-MM-DD`.
pub(in crate::manifest) fn date(s: &str) -> Checked {
    if s.parse::<jiff::civil::Date>().is_ok() && s.len() == 10 {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a date such as 2026-10-01",
        escape_for_message(s)
    )))
}

#[cfg(test)]
mod tests {
    use super::super::message;

    #[test]
    fn maintainer() {
        assert_eq!(super::maintainer("Jane <jane@example.org> "), Ok(()));
        assert_eq!(
            message(super::maintainer("jane@example.org")),
            "the maintainer must read `Name <email>`"
        );
    }

    #[test]
    fn obs_project() {
        assert_eq!(super::obs_project("home:jane:kata+1"), Ok(()));
        for bad in ["", "home::x", "home:a b"] {
            assert_eq!(
                message(super::obs_project(bad)),
                format!("`{bad}` is not an OBS project name such as home:user:project")
            );
        }
    }

    #[test]
    fn archive_project() {
        assert_eq!(super::archive_project("home:jane:archive"), Ok(()));
        assert_eq!(
            message(super::archive_project("home:")),
            "`home:` is not an OBS project name"
        );
    }

    #[test]
    fn series() {
        assert_eq!(super::series("3.10"), Ok(()));
        for bad in ["3", "3.1.2", "3.x", ".1"] {
            assert_eq!(
                message(super::series(bad)),
                format!("series `{bad}` must read major.minor, e.g. 3.0")
            );
        }
    }

    #[test]
    fn date() {
        assert_eq!(super::date("2026-10-01"), Ok(()));
        for bad in ["2026-13-01", "2026-1-01", "yesterday"] {
            assert_eq!(
                message(super::date(bad)),
                format!("`{bad}` is not a date such as 2026-10-01")
            );
        }
    }
}
