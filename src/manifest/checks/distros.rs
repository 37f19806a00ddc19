//! What `[distros.<id>]` holds: its id, codename, macros, condition, package manager and
//! repositories.

use regex::Regex;

use super::{lookup_keys, Checked, Rejection};
use crate::version::escape_for_message;

/// Lowercase letters, digits, `-` and `.`, at least one: the form of ids and codenames.
fn lowercase_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
}

/// The id of a distro, which must not be taken by a family, group or format.
pub(in crate::manifest) fn distro_id(id: &str) -> Checked {
    if !lowercase_word(id) {
        return Err(Rejection::new(format!(
            "`{}` is not a valid distro id",
            escape_for_message(id)
        )));
    }
    if lookup_keys().contains(&id) || id == "all" {
        return Err(Rejection::new(format!(
            "`{id}` is a family, group or format name and cannot be a distro id"
        )));
    }
    Ok(())
}

/// A Debian or Ubuntu codename.
pub(in crate::manifest) fn codename(v: &str) -> Checked {
    if lowercase_word(v) {
        return Ok(());
    }
    Err(
        Rejection::new(format!("`{}` is not a codename", escape_for_message(v))).note(
            "a codename is a lowercase word such as bookworm or noble: it names the Debian changelog's distribution and kiwi's apt suite",
        ),
    )
}

/// An rpm macro the distro defines: a plain name with a plain value.
pub(in crate::manifest) fn distro_macro(name: &str, value: &str) -> Checked {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "macro `{}` must be a plain name with a plain value",
        escape_for_message(name)
    )))
}

/// The `%if` condition that selects the distro: only `0%{?macro}` (or `%{macro}`) operands,
/// numbers and operators, as rpm expands everything after `%if`.
pub(in crate::manifest) fn condition(v: &str) -> Checked {
    #[allow(
        clippy::expect_used,
        reason = "a literal pattern; the tests compile it"
    )]
    let operand = Regex::new(r"%\{\??[A-Za-z_][A-Za-z0-9_]*\}").expect("static regex");
    let rest = operand.replace_all(v, "");
    if v.trim().is_empty()
        || rest.chars().any(|c| {
            !(c.is_ascii_digit()
                || matches!(c, ' ' | '=' | '<' | '>' | '!' | '&' | '|' | '(' | ')'))
        })
    {
        return Err(
            Rejection::new("the condition must be one line of %{?macro} comparisons").note(
                "for example condition = \"0%{?suse_version} >= 1600\": only %{?name} macros, numbers, comparisons, !, && and ||",
            ),
        );
    }
    Ok(())
}

/// A package manager kiwi knows.
pub(in crate::manifest) fn package_manager(v: &str) -> Checked {
    if ["zypper", "dnf4", "dnf5", "apt", "microdnf"].contains(&v) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "unknown package manager `{}`; use zypper, dnf4, dnf5, microdnf or apt",
        escape_for_message(v)
    )))
}

/// Letters, digits and `-._/`, at least one: the form of repository names, suites and
/// components.
fn plain_repository_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'))
}

/// The name of a distro's repository.
pub(in crate::manifest) fn repository_name(name: &str) -> Checked {
    if plain_repository_word(name) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a repository name: use letters, digits and `-._/`",
        escape_for_message(name)
    )))
}

/// The URL of a distro's repository.
pub(in crate::manifest) fn repository_url(url: &str) -> Checked {
    let scheme_ok = ["http://", "https://", "file://"]
        .iter()
        .any(|s| url.starts_with(s));
    if scheme_ok && !url.contains(char::is_whitespace) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a repository URL",
        escape_for_message(url)
    ))
    .note("give an http://, https:// or file:// URL"))
}

/// An apt suite or component of a distro's repository; `what` is "suite" or "component".
pub(in crate::manifest) fn apt_word(what: &str, s: &str) -> Checked {
    if plain_repository_word(s) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a {what}",
        escape_for_message(s)
    )))
}

#[cfg(test)]
mod tests {
    use super::super::message;

    #[test]
    fn distro_id() {
        assert_eq!(super::distro_id("sles-16.0"), Ok(()));
        assert_eq!(
            message(super::distro_id("Tumbleweed")),
            "`Tumbleweed` is not a valid distro id"
        );
        assert_eq!(message(super::distro_id("")), "`` is not a valid distro id");
        assert_eq!(
            message(super::distro_id("suse")),
            "`suse` is a family, group or format name and cannot be a distro id"
        );
        assert_eq!(
            message(super::distro_id("all")),
            "`all` is a family, group or format name and cannot be a distro id"
        );
    }

    #[test]
    fn codename() {
        assert_eq!(super::codename("bookworm"), Ok(()));
        assert_eq!(
            message(super::codename("Noble")),
            "`Noble` is not a codename"
        );
    }

    #[test]
    fn distro_macro() {
        assert_eq!(super::distro_macro("suse_version", "1600"), Ok(()));
        assert_eq!(
            message(super::distro_macro("x", "$(id)")),
            "macro `x` must be a plain name with a plain value"
        );
        assert_eq!(
            message(super::distro_macro("a-b", "1")),
            "macro `a-b` must be a plain name with a plain value"
        );
    }

    #[test]
    fn condition() {
        assert_eq!(
            super::condition("0%{?suse_version} >= 1600 && !%{?rhel}"),
            Ok(())
        );
        for bad in ["", "%(id)", "0%{?x} >= 1 ; true"] {
            assert_eq!(
                message(super::condition(bad)),
                "the condition must be one line of %{?macro} comparisons",
                "{bad}"
            );
        }
    }

    #[test]
    fn package_manager() {
        assert_eq!(super::package_manager("dnf5"), Ok(()));
        assert_eq!(
            message(super::package_manager("yum")),
            "unknown package manager `yum`; use zypper, dnf4, dnf5, microdnf or apt"
        );
    }

    #[test]
    fn repository_name() {
        assert_eq!(super::repository_name("updates/oss"), Ok(()));
        assert_eq!(
            message(super::repository_name("a b")),
            "`a b` is not a repository name: use letters, digits and `-._/`"
        );
    }

    #[test]
    fn repository_url() {
        assert_eq!(
            super::repository_url("https://download.example.org/r/"),
            Ok(())
        );
        assert_eq!(
            message(super::repository_url("obs://x")),
            "`obs://x` is not a repository URL"
        );
        assert_eq!(
            message(super::repository_url("https://a b")),
            "`https://a b` is not a repository URL"
        );
    }

    #[test]
    fn apt_word() {
        assert_eq!(super::apt_word("suite", "bookworm-updates"), Ok(()));
        assert_eq!(
            message(super::apt_word("component", "main contrib")),
            "`main contrib` is not a component"
        );
    }
}
