//! Where things are: URLs, paths and the hex digests that pin a download or a commit.

use std::path::{Component, Path};

use super::{single_line, Checked, Rejection};
use crate::version::escape_for_message;

/// A URL that rendered files, shells and rpm can carry as it is.
pub(in crate::manifest) fn url(what: &str, url: &str) -> Checked {
    let schemes = ["https://", "http://", "git://", "file://", "ssh://", "git@"];
    if !schemes.iter().any(|s| url.starts_with(s)) {
        return Err(
            Rejection::new(format!("{what} `{}` is not a URL", escape_for_message(url)))
                .note("use an https://, http://, git://, ssh:// or file:// URL"),
        );
    }
    if let Some((i, c)) = url.char_indices().find(|(_, c)| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
    }) {
        return Err(Rejection::new(format!(
            "{what} contains `{}`, which is not allowed in a URL",
            c.escape_default()
        ))
        .at(i..i + c.len_utf8())
        .note("percent-encode it (a space is %20, a quote %22)"));
    }
    no_credentials(what, url)?;
    percent_encoding(what, url)
}

/// No user name with a password, and no user at all in an http(s) URL.
fn no_credentials(what: &str, url: &str) -> Checked {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return Ok(());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    match authority.rsplit_once('@') {
        // Never repeat the credential in the message.
        Some((userinfo, _)) if userinfo.contains(':') || url.starts_with("http") => Err(
            Rejection::new(format!("{what} carries credentials before `@`")).note(
                "rendered files, logs and error messages would show them; drop them and let git or GITHUB_TOKEN authenticate",
            ),
        ),
        _ => Ok(()),
    }
}

/// Every `%` starts two hex digits.
fn percent_encoding(what: &str, url: &str) -> Checked {
    let bytes = url.as_bytes();
    let Some(i) = (0..bytes.len()).find(|&i| {
        bytes[i] == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    }) else {
        return Ok(());
    };
    let shown: String = url[i..].chars().take(3).collect();
    Err(Rejection::new(format!(
        "{what} contains `{}`, which is neither percent-encoding nor allowed in a URL",
        escape_for_message(&shown)
    ))
    .at(i..i + shown.len())
    .note("a `%` in a URL starts two hex digits (%2F); rpm would read anything else as a macro"))
}

/// A path that stays under its root: relative (or absolute, for installed files) and free of `..`.
pub(in crate::manifest) fn safe_path(what: &str, p: &str, absolute: bool) -> Checked {
    single_line(what, p)?;
    if let Some((i, c)) = p
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '%' | '"' | '\'' | '\\' | '$' | '`'))
    {
        return Err(Rejection::new(format!(
            "{what} `{}` contains `{}`, which is not allowed in a path here",
            escape_for_message(p),
            c.escape_default()
        ))
        .at(i..i + c.len_utf8())
        .note("rpm's %files and Debian's .install files split paths at blanks, `%` starts an rpm macro, and quotes, `$`, backquotes and backslashes would reach a shell"));
    }
    let pp = Path::new(p);
    if pp.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(escapes_root(what, p, absolute));
    }
    if absolute != pp.is_absolute() {
        let want = if absolute {
            "an absolute path such as /usr/bin/tool"
        } else {
            "a path relative to the manifest's directory"
        };
        return Err(Rejection::new(format!(
            "{what} `{}` must be {want}",
            escape_for_message(p)
        )));
    }
    Ok(())
}

/// A path with `..` in it, pointed at the first one.
fn escapes_root(what: &str, p: &str, absolute: bool) -> Rejection {
    let at = p
        .split('/')
        .scan(0, |offset, part| {
            let start = *offset;
            *offset += part.len() + 1;
            Some((start, part))
        })
        .find(|(_, part)| *part == "..")
        .map(|(start, _)| start..start + 2);
    Rejection {
        message: format!(
            "{what} `{}` escapes its root with `..`",
            escape_for_message(p)
        ),
        at,
        note: Some(
            if absolute {
                "an installed file stays inside the package's build root; name it by its final path"
            } else {
                "a file the manifest points to stays inside the manifest's directory"
            }
            .to_string(),
        ),
    }
}

/// Exactly `len` lowercase hex digits.
pub(in crate::manifest) fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A commit (40 digits) or a sha256 (64) in lowercase hex; `what` names it.
pub(in crate::manifest) fn hex(what: &str, value: &str, len: usize) -> Checked {
    if is_hex(value, len) {
        return Ok(());
    }
    let why = if let Some(c) = value.chars().find(|c| !c.is_ascii_hexdigit()) {
        format!("`{}` is not a hex digit", c.escape_default())
    } else if value.chars().any(|c| c.is_ascii_uppercase()) {
        "it has uppercase hex digits".to_string()
    } else {
        format!("it has {} digits", value.chars().count())
    };
    let note = if what == "commit" {
        "pin the full commit id the release tag points to, in lowercase: git rev-parse <tag>^{commit}"
    } else {
        "give the full checksum in lowercase, as sha256sum prints it (bump records it for you)"
    };
    Err(Rejection::new(format!(
        "{what} `{}` is not {len} lowercase hex digits: {why}",
        escape_for_message(value)
    ))
    .note(note))
}

#[cfg(test)]
mod tests {
    use super::super::message;
    use super::*;

    #[test]
    fn url() {
        for ok in [
            "https://example.org/a%20b",
            "git@github.com:o/r.git",
            "ssh://git@host/r",
            "file:///srv/r",
        ] {
            assert_eq!(super::url("the URL", ok), Ok(()), "{ok}");
        }
        let r = super::url("the URL", "example.org").unwrap_err();
        assert_eq!(r.message, "the URL `example.org` is not a URL");
        assert_eq!(
            r.note.as_deref(),
            Some("use an https://, http://, git://, ssh:// or file:// URL")
        );
        let r = super::url("the URL", "https://a b").unwrap_err();
        assert_eq!(
            r.message,
            "the URL contains ` `, which is not allowed in a URL"
        );
        assert_eq!(r.at, Some(9..10));
        assert_eq!(
            message(super::url("the git URL", "https://u:secret@host/r")),
            "the git URL carries credentials before `@`"
        );
        assert_eq!(
            message(super::url("the homepage", "https://user@host/")),
            "the homepage carries credentials before `@`"
        );
        let r = super::url("the URL", "https://h/%zz").unwrap_err();
        assert_eq!(
            r.message,
            "the URL contains `%zz`, which is neither percent-encoding nor allowed in a URL"
        );
        assert_eq!(r.at, Some(10..13));
    }

    #[test]
    fn safe_path() {
        assert_eq!(super::safe_path("the file", "/usr/bin/tool", true), Ok(()));
        assert_eq!(
            super::safe_path("the patch", "patches/a.patch", false),
            Ok(())
        );
        assert_eq!(
            message(super::safe_path("the file", "/usr/bin/my tool", true)),
            "the file `/usr/bin/my tool` contains ` `, which is not allowed in a path here"
        );
        let r = super::safe_path("the patch", "a/../../b", false).unwrap_err();
        assert_eq!(
            r.message,
            "the patch `a/../../b` escapes its root with `..`"
        );
        assert_eq!(r.at, Some(2..4));
        assert_eq!(
            message(super::safe_path("the file", "usr/bin/tool", true)),
            "the file `usr/bin/tool` must be an absolute path such as /usr/bin/tool"
        );
        assert_eq!(
            message(super::safe_path("the patch", "/tmp/x.patch", false)),
            "the patch `/tmp/x.patch` must be a path relative to the manifest's directory"
        );
        assert_eq!(
            message(super::safe_path("the file", "/usr/%{x}", true)),
            "the file contains RPM macro syntax `%{`"
        );
    }

    #[test]
    fn hex() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert!(is_hex(commit, 40));
        assert_eq!(super::hex("commit", commit, 40), Ok(()));
        assert_eq!(
            message(super::hex("commit", &commit.to_uppercase(), 40)),
            format!(
                "commit `{}` is not 40 lowercase hex digits: it has uppercase hex digits",
                commit.to_uppercase()
            )
        );
        assert_eq!(
            message(super::hex("sha256", "abc", 64)),
            "sha256 `abc` is not 64 lowercase hex digits: it has 3 digits"
        );
        let r = super::hex("sha256", "xyz", 64).unwrap_err();
        assert_eq!(
            r.message,
            "sha256 `xyz` is not 64 lowercase hex digits: `x` is not a hex digit"
        );
        assert!(r
            .note
            .is_some_and(|n| n.starts_with("give the full checksum")));
    }
}
