//! Free text: what may go into one line of a spec, a control file or XML, and what a
//! description or a script may hold.

use std::ops::Range;

use super::{Checked, Rejection};
use crate::version::escape_for_message;

/// The first RPM macro call in one-line text: `%name`, `%{`, `%(`, `%[`, `%?name`,
/// `%!name`, `%*`, `%#`, `%-x`. rpm expands these in tags and even in comments, and a
/// `%global` defined from harmless-looking pieces can build a `%(...)` later, so a single
/// line may hold none of them. `%%`, a `%` before a digit, a blank or the end stay literal.
pub(in crate::manifest) fn macro_call(value: &str) -> Option<Range<usize>> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'%') => i += 2,
            Some(c) if c.is_ascii_alphabetic() || matches!(c, b'_' | b'?' | b'!') => {
                let end = value[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '?' | '!')))
                    .map_or(value.len(), |n| i + 1 + n);
                return Some(i..end);
            }
            Some(b'{' | b'(' | b'[' | b'*' | b'#' | b'-') => return Some(i..i + 2),
            _ => i += 1,
        }
    }
    None
}

/// The macro syntax at `at` in `value`, which names `what`.
fn macro_syntax(what: &str, value: &str, at: Range<usize>) -> Rejection {
    let found = value.get(at.clone()).unwrap_or("%");
    Rejection::new(format!(
        "{what} contains RPM macro syntax `{}`",
        escape_for_message(found)
    ))
    .at(at)
    .note("macros would be expanded (and %(...) executed) when the spec is parsed; remove them")
}

/// Text that becomes one line of a spec, a control file or XML.
pub(in crate::manifest) fn single_line(what: &str, value: &str) -> Checked {
    if value.contains(['\n', '\r']) {
        return Err(Rejection::new(format!("{what} must be a single line"))
            .note("a line break would start a new tag or field in the rendered files"));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Rejection::new(format!(
            "{what} contains a control character"
        )));
    }
    match macro_call(value) {
        Some(at) => Err(macro_syntax(what, value, at)),
        None => Ok(()),
    }
}

/// Text with something besides blanks in it.
pub(in crate::manifest) fn nonempty(what: &str, value: &str) -> Checked {
    if value.trim().is_empty() {
        Err(Rejection::new(format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}

/// Text of several lines that is escaped where it is rendered (descriptions, scripts):
/// the macro forms that run code are refused outright, and no line may start with `%`,
/// which rpm reads as a section or a conditional even when escaped as `%%`.
pub(in crate::manifest) fn no_macros(what: &str, value: &str) -> Checked {
    if let Some(i) = ["%{", "%(", "%["]
        .iter()
        .filter_map(|pat| value.find(pat))
        .min()
    {
        return Err(macro_syntax(what, value, i..i + 2));
    }
    let mut offset = 0;
    for (n, line) in value.split('\n').enumerate() {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with('%') {
            let word: String = line
                .trim_start()
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            let start = offset + indent;
            return Err(Rejection::new(format!(
                "line {} of {what} starts with `{}`",
                n + 1,
                escape_for_message(&word)
            ))
            .at(start..start + word.len())
            .note("rpm reads a line starting with `%` as a section or a conditional (%package, %post, %if ...), even when it is escaped; reword the line"));
        }
        offset += line.len() + 1;
    }
    Ok(())
}

/// Multi-line text with no control characters but line breaks and tabs.
pub(in crate::manifest) fn no_control(what: &str, value: &str) -> Checked {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Err(Rejection::new(format!(
            "{what} contains a control character"
        )))
    } else {
        Ok(())
    }
}

/// A package's smoke test: a shell command, run by `pkgforge build` where the built
/// packages are installed. It reaches no rendered file.
pub(in crate::manifest) fn smoke_test(value: &str) -> Checked {
    if value.trim().is_empty() {
        return Err(Rejection::new("the smoke test `test` must not be empty").note(
            "give a command that proves the installed package works, e.g. test = \"hello --version\", or leave the key out",
        ));
    }
    no_control("the smoke test `test`", value)
}

/// A shell script body run by kiwi inside the image.
pub(in crate::manifest) fn script(body: &str) -> Checked {
    no_control("the script", body)?;
    if body.starts_with("#!") {
        return Err(Rejection::new("the script body must not start with `#!`").note(
            "pkgforge writes config.sh's first lines itself (bash, `set -euo pipefail`, kiwi's /.kconfig and /.profile); give only the commands",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::message;
    use super::*;

    #[test]
    fn macro_call_finds_the_forms_rpm_expands() {
        assert_eq!(macro_call("50%% off"), None);
        assert_eq!(macro_call("100% sure, 5%1"), None);
        assert_eq!(macro_call("a %name here"), Some(2..7));
        assert_eq!(macro_call("%{x}"), Some(0..2));
        assert_eq!(macro_call("x%(id)"), Some(1..3));
        assert_eq!(macro_call("%?cond"), Some(0..6));
        assert_eq!(macro_call("%-x"), Some(0..2));
    }

    #[test]
    fn single_line() {
        assert_eq!(super::single_line("the summary", "A tool\tto use"), Ok(()));
        let r = super::single_line("the summary", "two\nlines").unwrap_err();
        assert_eq!(r.message, "the summary must be a single line");
        assert_eq!(
            r.note.as_deref(),
            Some("a line break would start a new tag or field in the rendered files")
        );
        assert_eq!(
            message(super::single_line("the summary", "bell\u{7}")),
            "the summary contains a control character"
        );
        let r = super::single_line("the license", "MIT %{x}").unwrap_err();
        assert_eq!(r.message, "the license contains RPM macro syntax `%{`");
        assert_eq!(r.at, Some(4..6));
    }

    #[test]
    fn nonempty() {
        assert_eq!(super::nonempty("the summary", " x "), Ok(()));
        assert_eq!(
            message(super::nonempty("the summary", " \t")),
            "the summary must not be empty"
        );
    }

    #[test]
    fn no_macros() {
        assert_eq!(
            super::no_macros("the description", "50%% off\nfor %name"),
            Ok(())
        );
        let r = super::no_macros("the description", "run %(id)").unwrap_err();
        assert_eq!(r.message, "the description contains RPM macro syntax `%(`");
        assert_eq!(r.at, Some(4..6));
        let r = super::no_macros("`build`", "make\n  %post x").unwrap_err();
        assert_eq!(r.message, "line 2 of `build` starts with `%post`");
        assert_eq!(r.at, Some(7..12));
    }

    #[test]
    fn no_control() {
        assert_eq!(super::no_control("`build`", "make\n\tinstall"), Ok(()));
        assert_eq!(
            message(super::no_control("`build`", "make\u{1b}")),
            "`build` contains a control character"
        );
    }

    #[test]
    fn smoke_test() {
        assert_eq!(super::smoke_test("hello --version"), Ok(()));
        assert_eq!(
            message(super::smoke_test("  ")),
            "the smoke test `test` must not be empty"
        );
        assert_eq!(
            message(super::smoke_test("hello\u{7}")),
            "the smoke test `test` contains a control character"
        );
    }

    #[test]
    fn script() {
        assert_eq!(super::script("zypper refresh\n"), Ok(()));
        assert_eq!(
            message(super::script("#!/bin/sh\ntrue")),
            "the script body must not start with `#!`"
        );
        assert_eq!(
            message(super::script("echo \u{0}")),
            "the script contains a control character"
        );
    }
}
