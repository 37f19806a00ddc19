//! What an entry of `changelog.toml` holds: its author and its changes.

use super::{macro_call, Checked, Rejection};
use crate::version::escape_for_message;

/// The author of an entry: one line reading `Name <email>`, free of RPM macros.
pub(in crate::manifest) fn author(author: &str) -> Checked {
    if author.chars().any(char::is_control)
        || author.trim().is_empty()
        || !author.contains('<')
        || !author.trim_end().ends_with('>')
    {
        return Err(
            Rejection::new("the author must be one line reading `Name <email>`")
                .note("for example author = \"Jane Packager <jane@example.org>\""),
        );
    }
    match macro_call(author) {
        // changelog2spec copies the author of .changes into the spec unescaped
        Some(at) => Err(Rejection::new(format!(
            "the author contains RPM macro syntax `{}`",
            escape_for_message(&author[at.clone()])
        ))
        .at(at)
        .note(
            "OBS copies the author into the spec's %changelog, where rpm expands macros; remove it",
        )),
        None => Ok(()),
    }
}

/// One change of an entry: a non-empty line without the macro forms that run code.
pub(in crate::manifest) fn change(c: &str) -> Checked {
    if c.trim().is_empty() || c.chars().any(|ch| ch.is_control()) {
        return Err(Rejection::new("each change must be one non-empty line"));
    }
    match ["%{", "%(", "%["].iter().filter_map(|m| c.find(m)).min() {
        Some(at) => Err(Rejection::new(format!(
            "a change contains RPM macro syntax `{}`",
            &c[at..at + 2]
        ))
        .at(at..at + 2)
        .note(
            "macros would be expanded (and %(...) executed) when the spec is parsed; remove them",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::message;

    #[test]
    fn author() {
        assert_eq!(super::author("Jane Packager <jane@example.org>"), Ok(()));
        for bad in ["", "Jane", "Jane <jane@example.org", "Jane\n<j@x>"] {
            assert_eq!(
                message(super::author(bad)),
                "the author must be one line reading `Name <email>`",
                "{bad:?}"
            );
        }
        let r = super::author("Jane %{x} <j@x>").unwrap_err();
        assert_eq!(r.message, "the author contains RPM macro syntax `%{`");
        assert_eq!(r.at, Some(5..7));
    }

    #[test]
    fn change() {
        assert_eq!(super::change("Update to 3.2 (50% faster)"), Ok(()));
        assert_eq!(
            message(super::change(" ")),
            "each change must be one non-empty line"
        );
        assert_eq!(
            message(super::change("a\nb")),
            "each change must be one non-empty line"
        );
        let r = super::change("Drop %(id) here").unwrap_err();
        assert_eq!(r.message, "a change contains RPM macro syntax `%(`");
        assert_eq!(r.at, Some(5..7));
    }
}
