//! What `[upstreams.<name>]` holds: its name, GitHub repository, tags and tarball URL.

use regex::Regex;

use super::{url, Checked, Rejection};
use crate::manifest::diagnostics::regex_error;
use crate::version::escape_for_message;

/// Letters, digits and `-_.`, at least one.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The name of an upstream, the key of its table.
pub(in crate::manifest) fn upstream_name(name: &str) -> Checked {
    if plain_name(name) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a valid upstream name",
        escape_for_message(name)
    )))
}

/// A GitHub repository as `owner/name`.
pub(in crate::manifest) fn github_repository(gh: &str) -> Checked {
    if gh.split('/').count() == 2 && gh.split('/').all(plain_name) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a GitHub repository",
        escape_for_message(gh)
    ))
    .note("write it as owner/name, e.g. kata-containers/kata-containers"))
}

/// A tag prefix, once it passed as a single line: characters git allows in tags.
pub(in crate::manifest) fn tag_prefix(prefix: &str) -> Checked {
    let refused = prefix.chars().any(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '$' | '`' | '\\' | '"' | '\'' | '%' | '~' | '^' | ':' | '?' | '*' | '['
            )
    });
    if refused {
        return Err(Rejection::new(
            "the tag prefix contains a character git does not allow in tags",
        ));
    }
    Ok(())
}

/// A regex with a group named `version`.
pub(in crate::manifest) fn tag_pattern(pat: &str) -> Checked {
    let example = "write it like ^release-(?P<version>[0-9.]+)$";
    match Regex::new(pat) {
        Ok(re) if re.capture_names().flatten().any(|n| n == "version") => Ok(()),
        Ok(_) => Err(Rejection::new("the tag pattern has no group named `version`").note(example)),
        Err(e) => {
            let (what, at) = regex_error(&e);
            Err(Rejection {
                message: format!("the tag pattern is not a valid regex: {what}"),
                at,
                note: Some(example.to_string()),
            })
        }
    }
}

/// A semver requirement on the versions to track.
pub(in crate::manifest) fn track(t: &str) -> Result<semver::VersionReq, Rejection> {
    semver::VersionReq::parse(t).map_err(|e| {
        Rejection::new(format!(
            "`{}` is not a semver requirement: {e}",
            escape_for_message(t)
        ))
        .note("for example track = \"^3\" or \"~6.6\"")
    })
}

/// A tarball URL with `{version}` where the version goes.
pub(in crate::manifest) fn tarball_version(t: &str) -> Checked {
    if !t.contains("{version}") {
        return Err(Rejection::new("the tarball URL has no `{version}`").note(
            "write the URL with {version} where the version goes, so bump can fetch new releases",
        ));
    }
    Ok(())
}

/// The file name OBS downloads, the spec unpacks and debtransform names: the URL's last part.
pub(in crate::manifest) fn tarball_file_name(t: &str) -> Checked {
    let file = t
        .rsplit('/')
        .next()
        .unwrap_or("")
        .replace("{version}", "1.0");
    let tarball = [
        ".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".tgz", ".tar", ".zip",
    ]
    .iter()
    .any(|ext| file.len() > ext.len() && file.ends_with(ext));
    if tarball
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~' | '-'))
    {
        return Ok(());
    }
    Err(Rejection {
        message: "the tarball URL must end with the tarball's file name".to_string(),
        at: t.rfind('/').map(|i| i + 1..t.len()),
        note: Some("such as https://example.org/demo-{version}.tar.xz, without a query: OBS downloads the file by that name, and the spec and debtransform unpack it by that name".to_string()),
    })
}

/// Where a tarball's signature is: `{url}` and a plain suffix, or a URL with `{version}`.
pub(in crate::manifest) fn signature_url(sig: &str) -> Checked {
    if !sig.contains("{url}") && !sig.contains("{version}") {
        return Err(
            Rejection::new("the signature URL has neither `{url}` nor `{version}`").note(
                "write it like \"{url}.sign\" or \"https://example.org/demo-{version}.tar.asc\", so every release gets its own",
            ),
        );
    }
    let Some(rest) = sig.strip_prefix("{url}") else {
        return url("the signature URL", sig);
    };
    let plain = rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~' | '+' | '/'));
    if plain {
        return Ok(());
    }
    Err(
        Rejection::new("what follows `{url}` in the signature URL must be a plain file suffix")
            .note("such as \"{url}.asc\" or \"{url}.sign\""),
    )
}

/// `signed = "uncompressed"`, for a `tarball` that is compressed.
pub(in crate::manifest) fn signed_uncompressed(tarball: Option<&str>) -> Checked {
    let compressed = tarball.is_some_and(|t| {
        [".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar.zst"]
            .iter()
            .any(|ext| t.ends_with(ext))
    });
    if compressed {
        return Ok(());
    }
    Err(Rejection::new(
        "`signed = \"uncompressed\"` needs a compressed tarball (.tar.xz, .tar.gz, .tgz, .tar.bz2 or .tar.zst)",
    )
    .note("for a plain .tar, the tarball is what is signed: drop `signed`"))
}

#[cfg(test)]
mod tests {
    use super::super::message;

    #[test]
    fn upstream_name() {
        assert_eq!(super::upstream_name("kata-containers_2.x"), Ok(()));
        assert_eq!(
            message(super::upstream_name("a/b")),
            "`a/b` is not a valid upstream name"
        );
        assert_eq!(
            message(super::upstream_name("")),
            "`` is not a valid upstream name"
        );
    }

    #[test]
    fn github_repository() {
        assert_eq!(super::github_repository("kata-containers/kata"), Ok(()));
        for bad in ["kata", "a/b/c", "a/", "a b/c"] {
            assert_eq!(
                message(super::github_repository(bad)),
                format!("`{bad}` is not a GitHub repository")
            );
        }
    }

    #[test]
    fn tag_prefix() {
        assert_eq!(super::tag_prefix("release-v"), Ok(()));
        assert_eq!(
            message(super::tag_prefix("v~")),
            "the tag prefix contains a character git does not allow in tags"
        );
    }

    #[test]
    fn tag_pattern() {
        assert_eq!(super::tag_pattern(r"^v(?P<version>[0-9.]+)$"), Ok(()));
        assert_eq!(
            message(super::tag_pattern(r"^v([0-9.]+)$")),
            "the tag pattern has no group named `version`"
        );
        let r = super::tag_pattern(r"^v(?P<version>[0-9.+)$").unwrap_err();
        assert!(r
            .message
            .starts_with("the tag pattern is not a valid regex: "));
    }

    #[test]
    fn track() {
        assert!(super::track("^3").is_ok());
        assert!(super::track("three")
            .unwrap_err()
            .message
            .starts_with("`three` is not a semver requirement: "));
    }

    #[test]
    fn tarball_version() {
        assert_eq!(
            super::tarball_version("https://example.org/demo-{version}.tar.xz"),
            Ok(())
        );
        assert_eq!(
            message(super::tarball_version("https://example.org/demo.tar.xz")),
            "the tarball URL has no `{version}`"
        );
    }

    #[test]
    fn tarball_file_name() {
        assert_eq!(
            super::tarball_file_name("https://example.org/demo-{version}.tar.xz"),
            Ok(())
        );
        assert_eq!(
            message(super::tarball_file_name(
                "https://example.org/demo.tar.xz?x=1"
            )),
            "the tarball URL must end with the tarball's file name"
        );
        let t = "https://example.org/dl?v={version}";
        let r = super::tarball_file_name(t).unwrap_err();
        assert_eq!(
            r.message,
            "the tarball URL must end with the tarball's file name"
        );
        assert_eq!(r.at, Some(20..t.len()));
    }

    #[test]
    fn signature_url() {
        for ok in [
            "{url}.asc",
            "{url}.sign",
            "https://example.org/demo-{version}.tar.asc",
        ] {
            assert_eq!(super::signature_url(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            message(super::signature_url("https://example.org/demo.asc")),
            "the signature URL has neither `{url}` nor `{version}`"
        );
        assert_eq!(
            message(super::signature_url("{url}?sig={version}")),
            "what follows `{url}` in the signature URL must be a plain file suffix"
        );
        assert_eq!(
            message(super::signature_url("example.org/{version}.asc")),
            "the signature URL `example.org/{version}.asc` is not a URL"
        );
    }

    #[test]
    fn signed_uncompressed() {
        assert_eq!(
            super::signed_uncompressed(Some("a-{version}.tar.xz")),
            Ok(())
        );
        for bad in [None, Some("a-{version}.tar"), Some("a.zip")] {
            assert_eq!(
                message(super::signed_uncompressed(bad)),
                "`signed = \"uncompressed\"` needs a compressed tarball (.tar.xz, .tar.gz, .tgz, .tar.bz2 or .tar.zst)"
            );
        }
    }
}
