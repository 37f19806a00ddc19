//! Logical dependency names and what they are called on each distro.
//!
//! Lookup order: the manifest's `[names]` (most specific key wins: distro id, family,
//! ubuntu's fallback to debian, group, format), then built-in knowledge, else the name
//! passes through unchanged.

use indexmap::IndexMap;

use crate::distro::{key_specificity, Distro, Family, Format};

/// `[names]`: logical name -> lookup key -> package names (empty drops the dependency).
pub(crate) type NameTable = IndexMap<String, IndexMap<String, Vec<String>>>;

/// Among `keys`, the most specific one that applies to `distro`.
pub(crate) fn most_specific<'a, I>(keys: I, distro: &Distro) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a String>,
{
    keys.into_iter()
        .filter_map(|k| key_specificity(k, distro).map(|s| (s, k.as_str())))
        .max_by_key(|(s, _)| *s)
        .map(|(_, k)| k)
}

/// Resolve one logical name for `distro`. Version constraints after the name
/// (`foo >= 1.2`) are kept and rewritten for the format.
pub(crate) fn resolve(table: &NameTable, name: &str, distro: &Distro) -> Vec<String> {
    let (base, constraint) = split_constraint(name);
    let names = if let Some(keys) = table.get(base) {
        match most_specific(keys.keys(), distro) {
            Some(k) => keys[k].clone(),
            None => builtin(base, distro),
        }
    } else {
        builtin(base, distro)
    };
    names
        .into_iter()
        .map(|n| match &constraint {
            Some((op, v)) if !n.contains(['(', ' ']) => match distro.format() {
                Format::Rpm => format!("{n} {op} {v}"),
                Format::Deb => format!("{n} ({} {v})", deb_operator(op)),
            },
            _ => n,
        })
        .collect()
}

/// Split `name >= 1.2` (or the Debian form `name (>= 1.2)`) into name and constraint.
fn split_constraint(s: &str) -> (&str, Option<(String, String)>) {
    let s = s.trim();
    let Some(i) = s.find([' ', '(', '<', '>', '=']) else {
        return (s, None);
    };
    let name = s[..i].trim();
    let rest = s[i..]
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let op_len = rest
        .find(|c: char| !matches!(c, '<' | '>' | '='))
        .unwrap_or(rest.len());
    let (op, v) = rest.split_at(op_len);
    if op.is_empty() || v.trim().is_empty() {
        return (s, None);
    }
    (
        name,
        Some((rpm_operator(op).to_string(), v.trim().to_string())),
    )
}

fn rpm_operator(op: &str) -> &str {
    match op {
        ">>" => ">",
        "<<" => "<",
        other => other,
    }
}

fn deb_operator(op: &str) -> &str {
    match op {
        ">" => ">>",
        "<" => "<<",
        "==" => "=",
        other => other,
    }
}

/// Names that differ between families, for build dependencies packagers use most.
/// Columns: logical (SUSE) name, SUSE, Fedora/CentOS, Debian/Ubuntu.
const KNOWN: &[(&str, &str, &str, &str)] = &[
    (
        "openssl-devel",
        "libopenssl-devel",
        "openssl-devel",
        "libssl-dev",
    ),
    (
        "libopenssl-devel",
        "libopenssl-devel",
        "openssl-devel",
        "libssl-dev",
    ),
    (
        "libelf-devel",
        "libelf-devel",
        "elfutils-libelf-devel",
        "libelf-dev",
    ),
    (
        "glib2-devel",
        "glib2-devel",
        "glib2-devel",
        "libglib2.0-dev",
    ),
    (
        "pixman-devel",
        "libpixman-1-0-devel",
        "pixman-devel",
        "libpixman-1-dev",
    ),
    ("zlib-devel", "zlib-devel", "zlib-devel", "zlib1g-dev"),
    (
        "ncurses-devel",
        "ncurses-devel",
        "ncurses-devel",
        "libncurses-dev",
    ),
    (
        "libcap-ng-devel",
        "libcap-ng-devel",
        "libcap-ng-devel",
        "libcap-ng-dev",
    ),
    (
        "libseccomp-devel",
        "libseccomp-devel",
        "libseccomp-devel",
        "libseccomp-dev",
    ),
    (
        "libattr-devel",
        "libattr-devel",
        "libattr-devel",
        "libattr1-dev",
    ),
    ("ninja", "ninja", "ninja-build", "ninja-build"),
    ("pkg-config", "pkgconfig", "pkgconfig", "pkg-config"),
    ("pkgconfig", "pkgconfig", "pkgconfig", "pkg-config"),
    (
        "protobuf-compiler",
        "protobuf-devel",
        "protobuf-compiler",
        "protobuf-compiler",
    ),
    ("python3", "python3", "python3", "python3"),
    ("gcc-c++", "gcc-c++", "gcc-c++", "g++"),
    ("xz", "xz", "xz", "xz-utils"),
    ("dwarves", "dwarves", "dwarves", "dwarves"),
    ("kmod", "kmod", "kmod", "kmod"),
    ("elfutils", "elfutils", "elfutils", "elfutils"),
    // util-linux on rpm distros; Debian moved it to fdisk
    ("sfdisk", "util-linux", "util-linux", "fdisk"),
];

/// Built-in knowledge: the table above, then `-devel` -> `-dev` for Debian.
fn builtin(name: &str, distro: &Distro) -> Vec<String> {
    if let Some(row) = KNOWN.iter().find(|r| r.0 == name) {
        let n = match distro.family {
            Family::Opensuse | Family::Sle => row.1,
            Family::Fedora | Family::Centos => row.2,
            Family::Debian | Family::Ubuntu => row.3,
        };
        return vec![n.to_string()];
    }
    if distro.format() == Format::Deb {
        if let Some(stem) = name.strip_suffix("-devel") {
            let stem = if stem.starts_with("lib") {
                stem.to_string()
            } else {
                format!("lib{stem}")
            };
            return vec![format!("{stem}-dev")];
        }
    }
    vec![name.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distro::builtin as distros;

    fn d(id: &str) -> Distro {
        distros().into_iter().find(|d| d.id == id).unwrap()
    }

    #[test]
    fn lookup_order() {
        let mut t = NameTable::new();
        let mut keys = IndexMap::new();
        keys.insert("suse".to_string(), vec!["a-suse".to_string()]);
        keys.insert("debian".to_string(), vec!["a-deb".to_string()]);
        keys.insert("ubuntu-24.04".to_string(), vec!["a-noble".to_string()]);
        keys.insert("rpm".to_string(), vec!["a-rpm".to_string()]);
        t.insert("a".to_string(), keys);
        assert_eq!(resolve(&t, "a", &d("sle-15-sp6")), ["a-suse"]);
        assert_eq!(resolve(&t, "a", &d("fedora-41")), ["a-rpm"]);
        assert_eq!(resolve(&t, "a", &d("ubuntu-22.04")), ["a-deb"]);
        assert_eq!(resolve(&t, "a", &d("ubuntu-24.04")), ["a-noble"]);
        assert_eq!(resolve(&t, "libfoo-devel", &d("debian-12")), ["libfoo-dev"]);
        assert_eq!(resolve(&t, "foo-devel", &d("debian-12")), ["libfoo-dev"]);
        assert_eq!(resolve(&t, "make", &d("debian-12")), ["make"]);
        assert_eq!(
            resolve(&t, "libelf-devel", &d("fedora-41")),
            ["elfutils-libelf-devel"]
        );
        assert_eq!(
            resolve(&t, "meson >= 1.0", &d("debian-12")),
            ["meson (>= 1.0)"]
        );
        assert_eq!(
            resolve(&t, "meson >= 1.0", &d("fedora-41")),
            ["meson >= 1.0"]
        );
    }
}
