//! What kiwi takes from a `[[rootfs]]`: profile, user and group names, repositories.

use super::{Checked, Rejection};
use crate::manifest::model::InstallAs;
use crate::version::escape_for_message;

/// A kiwi profile name, which also names an OBS multibuild flavor.
pub(in crate::manifest) fn profile_name(name: &str) -> Checked {
    let valid = name.len() <= 32
        && !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        return Ok(());
    }
    Err(
        Rejection::new(format!("`{}` is not a valid profile name", escape_for_message(name))).note(
            "use up to 32 letters, digits, `_`, `-` or `.`: it names a kiwi profile and an OBS multibuild flavor",
        ),
    )
}

/// Where kiwi finds a repository, after the source passed as a single line.
pub(in crate::manifest) fn kiwi_repository_source(src: &str) -> Checked {
    let schemes = [
        "obs://",
        "https://",
        "http://",
        "file://",
        "dir://",
        "{obs-repository}",
    ];
    if !schemes.iter().any(|s| src.starts_with(s))
        || src
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'))
    {
        return Err(Rejection::new(format!(
            "`{}` is not a repository kiwi can use",
            escape_for_message(src)
        ))
        .note("use obs://Project/repository, an http(s):// or file:// URL; `{obs-repository}` becomes each base's OBS repository name"));
    }
    Ok(())
}

/// The placeholders of a repository source: `{obs-repository}` alone.
pub(in crate::manifest) fn kiwi_placeholders(src: &str) -> Checked {
    let rest = src.replace("{obs-repository}", "");
    if rest.contains(['{', '}']) {
        return Err(Rejection::new(format!(
            "unknown placeholder in `{}`",
            escape_for_message(src)
        ))
        .note("the only placeholder is {obs-repository}"));
    }
    Ok(())
}

/// A word of letters, digits and `_-.`, the form of a repository alias and a group name.
fn plain_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A repository alias.
pub(in crate::manifest) fn repository_alias(a: &str) -> Checked {
    if plain_word(a) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a valid repository alias",
        escape_for_message(a)
    )))
}

/// An apt `distribution` or `components` value.
pub(in crate::manifest) fn apt_value(k: &str, v: &str) -> Checked {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
    {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a valid apt {k}",
        escape_for_message(v)
    )))
}

/// A user name in the image.
pub(in crate::manifest) fn user_name(name: &str) -> Checked {
    let valid = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if valid {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a valid user name",
        escape_for_message(name)
    ))
    .note("use lowercase letters, digits, `_` and `-`, starting with a letter or `_`"))
}

/// A group a user of the image belongs to.
pub(in crate::manifest) fn group_name(g: &str) -> Checked {
    if plain_word(g) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "`{}` is not a valid group name",
        escape_for_message(g)
    )))
}

// kiwi image types a description needs nothing more for than `<type image="..."/>`
// (oem needs a filesystem, appx a metadata path: kiwi's schematron refuses them bare).
const IMAGE_TYPES: &[&str] = &[
    "tbz", "docker", "oci", "iso", "pxe", "kis", "wsl", "enclave",
];

/// A kiwi image type pkgforge can describe.
pub(in crate::manifest) fn image_type_known(t: &str) -> Checked {
    if IMAGE_TYPES.contains(&t) {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "unknown kiwi image type `{}`",
        escape_for_message(t)
    ))
    .note(format!("use one of {}", IMAGE_TYPES.join(", "))))
}

/// What an image package installs: `archive` or `disk`.
pub(in crate::manifest) fn install_as_known(v: &str) -> Result<InstallAs, Rejection> {
    match v {
        "archive" => Ok(InstallAs::Archive),
        "disk" => Ok(InstallAs::Disk),
        _ => Err(
            Rejection::new(format!("unknown install-as `{}`", escape_for_message(v))).note(
                "use \"archive\" (kiwi's tar archive) or \"disk\" (a raw disk image made from it)",
            ),
        ),
    }
}

/// The file name of an agent binary in the OBS package: not one OBS or kiwi owns.
pub(in crate::manifest) fn agent_file_name(name: &str) -> Checked {
    let reserved = name.starts_with(['_', '.']) || name == "config.sh" || name.ends_with(".kiwi");
    if !reserved && !name.is_empty() {
        return Ok(());
    }
    Err(Rejection::new(format!(
        "the agent file cannot be named `{}` in the OBS package",
        escape_for_message(name)
    ))
    .note("rename it: names starting with `_` or `.`, `config.sh` and `*.kiwi` belong to OBS and kiwi"))
}

#[cfg(test)]
mod tests {
    use super::super::message;

    #[test]
    fn profile_name() {
        assert_eq!(super::profile_name("debug.v2"), Ok(()));
        for bad in ["", ".hidden", "-x", "a b", &"x".repeat(33)] {
            assert_eq!(
                message(super::profile_name(bad)),
                format!("`{bad}` is not a valid profile name")
            );
        }
    }

    #[test]
    fn kiwi_repository_source() {
        for ok in ["obs://home:me/repo", "{obs-repository}", "dir:///srv/r"] {
            assert_eq!(super::kiwi_repository_source(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            message(super::kiwi_repository_source("ftp://x")),
            "`ftp://x` is not a repository kiwi can use"
        );
        assert_eq!(
            message(super::kiwi_repository_source("https://x/<y>")),
            "`https://x/<y>` is not a repository kiwi can use"
        );
    }

    #[test]
    fn kiwi_placeholders() {
        assert_eq!(super::kiwi_placeholders("obs://P/{obs-repository}"), Ok(()));
        assert_eq!(
            message(super::kiwi_placeholders("obs://P/{arch}")),
            "unknown placeholder in `obs://P/{arch}`"
        );
    }

    #[test]
    fn repository_alias() {
        assert_eq!(super::repository_alias("extra_1.x"), Ok(()));
        assert_eq!(
            message(super::repository_alias("a/b")),
            "`a/b` is not a valid repository alias"
        );
    }

    #[test]
    fn apt_value() {
        assert_eq!(super::apt_value("components", "main contrib"), Ok(()));
        assert_eq!(super::apt_value("distribution", "bookworm/updates"), Ok(()));
        assert_eq!(
            message(super::apt_value("distribution", "")),
            "`` is not a valid apt distribution"
        );
        assert_eq!(
            message(super::apt_value("components", "main;x")),
            "`main;x` is not a valid apt components"
        );
    }

    #[test]
    fn user_name() {
        assert_eq!(super::user_name("_kata-1"), Ok(()));
        for bad in ["", "Root", "1user", "a.b", &"u".repeat(33)] {
            assert_eq!(
                message(super::user_name(bad)),
                format!("`{bad}` is not a valid user name")
            );
        }
    }

    #[test]
    fn group_name() {
        assert_eq!(super::group_name("kvm"), Ok(()));
        assert_eq!(
            message(super::group_name("a b")),
            "`a b` is not a valid group name"
        );
    }

    #[test]
    fn image_type_known() {
        assert_eq!(super::image_type_known("oci"), Ok(()));
        let r = super::image_type_known("oem").unwrap_err();
        assert_eq!(r.message, "unknown kiwi image type `oem`");
        assert_eq!(
            r.note.as_deref(),
            Some("use one of tbz, docker, oci, iso, pxe, kis, wsl, enclave")
        );
    }

    #[test]
    fn agent_file_name() {
        assert_eq!(super::agent_file_name("kata-agent"), Ok(()));
        for bad in ["", "_service", ".hidden", "config.sh", "guest.kiwi"] {
            assert_eq!(
                message(super::agent_file_name(bad)),
                format!("the agent file cannot be named `{bad}` in the OBS package")
            );
        }
    }
}
