//! Names: of packages, dependencies, image packages, architectures and distro lookup keys.

use super::{nonempty, single_line, Checked, Rejection};
use crate::distro::{self, Distro, Family};
use crate::version::escape_for_message;

/// A package name rpm and Debian both accept.
pub(in crate::manifest) fn package_name(name: &str) -> Checked {
    let why = if name.chars().count() < 2 {
        "it is shorter than two characters".to_string()
    } else if let Some(c) = name.chars().find(char::is_ascii_uppercase) {
        format!("uppercase `{c}` is not allowed")
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')))
    {
        format!("`{}` is not allowed", c.escape_default())
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        format!("it starts with `{}`", name.chars().next().unwrap_or(' '))
    } else {
        return Ok(());
    };
    Err(Rejection::new(format!(
        "`{}` is not a valid package name: {why}",
        escape_for_message(name)
    ))
    .note("use at least two lowercase letters, digits, `+`, `-` or `.`, starting with a letter or digit, so rpm and Debian both accept it"))
}

/// One entry of a requires list: a package, with an optional version constraint.
pub(in crate::manifest) fn dependency(d: &str) -> Checked {
    single_line("a dependency", d)?;
    nonempty("a dependency", d)?;
    if let Some((i, c)) = d
        .char_indices()
        .find(|(_, c)| matches!(c, '%' | '$' | '`' | ',' | ';' | '"' | '\'' | '\\'))
    {
        return Err(Rejection::new(format!(
            "dependency `{}` contains `{}`, which is not allowed in a package name",
            escape_for_message(d),
            c.escape_default()
        ))
        .at(i..i + 1)
        .note(
            "give one package per list entry, with an optional version constraint: \"foo >= 1.2\"",
        ));
    }
    Ok(())
}

/// A name kiwi can hand to zypper, dnf or apt: no spaces, quotes or version constraints.
pub(in crate::manifest) fn is_image_package(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | ':' | '(' | ')')
        })
}

/// A package kiwi installs or deletes, as the manifest names it.
pub(in crate::manifest) fn image_package(name: &str) -> Checked {
    single_line("an image package", name)?;
    nonempty("an image package", name)?;
    if is_image_package(name) {
        return Ok(());
    }
    Err(
        Rejection::new(format!("`{}` is not a package name", escape_for_message(name))).note(
            "image packages are plain names: letters, digits and `+-._:()`, no spaces or version constraints",
        ),
    )
}

/// The families, groups and formats that select distros besides their ids.
pub(in crate::manifest) fn lookup_keys() -> Vec<&'static str> {
    let mut v: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
    v.extend(["suse", "rhel", "rpm", "deb"]);
    v
}

/// A key that selects distros: an id of one of `distros`, a family, a group or a format.
pub(in crate::manifest) fn lookup_key(key: &str, distros: &[Distro]) -> Checked {
    if lookup_keys().contains(&key) || distros.iter().any(|d| d.id == key) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is neither a distro id, a family, a group nor a format",
        escape_for_message(key)
    ))
    .note("use a distro id (see `pkgforge distros`), a family (opensuse, sle, fedora, centos, debian, ubuntu), a group (suse, rhel) or a format (rpm, deb)"))
}

/// An architecture by its rpm name; `noarch` only where `allow_noarch`.
pub(in crate::manifest) fn arch(a: &str, allow_noarch: bool) -> Checked {
    if distro::KNOWN_ARCHS.contains(&a) && (a != "noarch" || allow_noarch) {
        return Ok(());
    }
    // Debian's name of an rpm architecture: say which one was meant.
    let rpm_name = distro::KNOWN_ARCHS
        .iter()
        .find(|k| distro::arch_name(distro::Format::Deb, k) == a && **k != a);
    let known = distro::KNOWN_ARCHS
        .iter()
        .filter(|k| allow_noarch || **k != "noarch")
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    Err(
        Rejection::new(format!("unknown architecture `{}`", escape_for_message(a))).note(
            match rpm_name {
                Some(r) => format!(
                    "architectures are given by their rpm names: `{a}` is Debian's name of `{r}`; known architectures: {known}"
                ),
                None => format!("known architectures: {known}"),
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::message;
    use super::*;

    #[test]
    fn package_name() {
        for ok in ["kata", "g++", "lib2.0-dev", "7zip"] {
            assert_eq!(super::package_name(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("k", "it is shorter than two characters"),
            ("Kata", "uppercase `K` is not allowed"),
            ("ka_ta", "`_` is not allowed"),
            ("-kata", "it starts with `-`"),
        ] {
            assert_eq!(
                message(super::package_name(bad)),
                format!("`{bad}` is not a valid package name: {why}")
            );
        }
    }

    #[test]
    fn dependency() {
        assert_eq!(super::dependency("foo >= 1.2"), Ok(()));
        assert_eq!(super::dependency("foo (>= 1.2)"), Ok(()));
        let r = super::dependency("foo, bar").unwrap_err();
        assert_eq!(
            r.message,
            "dependency `foo, bar` contains `,`, which is not allowed in a package name"
        );
        assert_eq!(r.at, Some(3..4));
        assert_eq!(
            message(super::dependency(" ")),
            "a dependency must not be empty"
        );
        assert_eq!(
            message(super::dependency("foo\nbar")),
            "a dependency must be a single line"
        );
    }

    #[test]
    fn image_package() {
        assert!(is_image_package("kernel-default"));
        assert!(!is_image_package("foo >= 1"));
        assert_eq!(super::image_package("perl(Foo::Bar)"), Ok(()));
        assert_eq!(
            message(super::image_package("foo >= 1")),
            "`foo >= 1` is not a package name"
        );
        assert_eq!(
            message(super::image_package("")),
            "an image package must not be empty"
        );
    }

    #[test]
    fn lookup_key() {
        let distros = crate::distro::builtin();
        let id = distros[0].id.clone();
        for ok in ["suse", "rhel", "deb", "rpm", "debian", id.as_str()] {
            assert_eq!(super::lookup_key(ok, &distros), Ok(()), "{ok}");
        }
        assert_eq!(
            message(super::lookup_key("windows", &distros)),
            "`windows` is neither a distro id, a family, a group nor a format"
        );
    }

    #[test]
    fn arch() {
        assert_eq!(super::arch("x86_64", false), Ok(()));
        assert_eq!(super::arch("noarch", true), Ok(()));
        assert_eq!(
            message(super::arch("noarch", false)),
            "unknown architecture `noarch`"
        );
        let r = super::arch("amd64", false).unwrap_err();
        assert_eq!(r.message, "unknown architecture `amd64`");
        assert!(r.note.is_some_and(|n| n.starts_with(
            "architectures are given by their rpm names: `amd64` is Debian's name of `x86_64`"
        )));
    }
}
