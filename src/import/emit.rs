//! Imported packages written as manifest and changelog TOML.

use std::fmt::Write as _;

use crate::error::Result;

use super::changes::Entry;
use super::package::{Imported, KeyedNames, Override, Sub};
use super::Context;

/// The TOML of the imported entries, and the edits of tables the manifest has.
#[derive(Debug, Default)]
pub(crate) struct Entries {
    /// Everything, as printed without `--write`.
    pub manifest_text: String,
    pub changelog_text: String,
    /// What is appended to packages.toml (tables it does not have yet).
    pub appended: String,
    /// The same without the patches, which are not beside the manifest until written:
    /// what the new manifest is checked with.
    pub appended_unpatched: String,
    /// Keys added to tables packages.toml has: (table path, key, TOML value).
    pub edits: Vec<(Vec<String>, String, toml_edit::Item)>,
    /// Changelog entries as TOML, each with its RFC 3339 date.
    pub changelog: Vec<(String, String)>,
}

/// A TOML string: a basic string, or a multi-line one when it has newlines.
pub(crate) fn q(s: &str) -> String {
    if !s.contains('\n') {
        return toml_edit::Value::from(s).to_string().trim().to_string();
    }
    let mut out = String::from("\"\"\"\n");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push_str("\"\"\"");
    out
}

fn list(items: &[String]) -> String {
    let one_line = format!(
        "[{}]",
        items.iter().map(|i| q(i)).collect::<Vec<_>>().join(", ")
    );
    if one_line.len() <= 80 && !one_line.contains('\n') {
        return one_line;
    }
    let mut s = String::from("[\n");
    for i in items {
        let _ = writeln!(s, "    {},", q(i));
    }
    s.push(']');
    s
}

fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        k.to_string()
    } else {
        q(k)
    }
}

fn names_value(names: &[String]) -> (String, toml_edit::Item) {
    match names {
        [one] => (q(one), toml_edit::value(one.as_str())),
        _ => {
            let mut a = toml_edit::Array::new();
            for n in names {
                a.push(n.as_str());
            }
            (list(names), toml_edit::value(a))
        }
    }
}

/// The entries of `packages` for the manifest of `cx`.
pub(crate) fn entries(cx: &Context, packages: &[Imported]) -> Result<Entries> {
    let mut e = Entries::default();
    let mut shown = String::new();
    let mut seen_upstreams: Vec<String> = Vec::new();
    for p in packages {
        let u = &p.upstream;
        if u.exists || seen_upstreams.contains(&u.name) {
            continue;
        }
        seen_upstreams.push(u.name.clone());
        let mut s = format!("[upstreams.{}]\n", key(&u.name));
        for (k, v) in [
            ("git", &u.git),
            ("tarball", &u.tarball),
            ("sha256", &u.sha256),
            ("tag-prefix", &u.tag_prefix),
        ] {
            if let Some(v) = v {
                let _ = writeln!(s, "{k} = {}", q(v));
            }
        }
        let _ = writeln!(s, "version = {}", q(&u.version));
        if let Some(c) = &u.commit {
            let _ = writeln!(s, "commit = {}", q(c));
        }
        for (k, v) in [("keyring", &u.keyring), ("signature", &u.signature)] {
            if let Some(v) = v {
                let _ = writeln!(s, "{k} = {}", q(v));
            }
        }
        e.appended.push_str(&s);
        e.appended.push('\n');
    }
    toolchains(cx, packages, &mut e, &mut shown);
    names(cx, packages, &mut e, &mut shown);
    e.appended_unpatched = e.appended.clone();
    for p in packages {
        // the keyring is not beside the manifest until written either
        if let Some(k) = &p.upstream.keyring {
            let mut kept = String::new();
            for line in e.appended_unpatched.lines() {
                if line != format!("keyring = {}", q(k)) && !line.starts_with("signature = ") {
                    kept.push_str(line);
                    kept.push('\n');
                }
            }
            e.appended_unpatched = kept;
        }
        e.appended.push_str(&package(p, true));
        e.appended.push('\n');
        e.appended_unpatched.push_str(&package(p, false));
        e.appended_unpatched.push('\n');
    }
    e.manifest_text = format!("{shown}{}", e.appended);
    e.manifest_text = e.manifest_text.trim_end().to_string() + "\n";
    e.appended = e.appended.trim_end().to_string() + "\n";
    changelog(packages, &mut e);
    Ok(e)
}

fn toolchains(cx: &Context, packages: &[Imported], e: &mut Entries, shown: &mut String) {
    let has_table = cx.manifest_text.lines().any(|l| l.trim() == "[toolchains]");
    let mut added: Vec<(String, String)> = Vec::new();
    for p in packages {
        if let Some((tc, v)) = &p.toolchain {
            if cx.toolchains.iter().any(|(k, _)| k == tc) || added.iter().any(|(k, _)| k == tc) {
                continue;
            }
            added.push((tc.clone(), v.clone()));
        }
    }
    if added.is_empty() {
        return;
    }
    let mut s = String::from("[toolchains]\n");
    for (tc, v) in &added {
        let _ = writeln!(s, "{} = {}", key(tc), q(v));
        if has_table {
            e.edits.push((
                vec!["toolchains".to_string()],
                tc.clone(),
                toml_edit::value(v.as_str()),
            ));
        }
    }
    s.push('\n');
    if has_table {
        shown.push_str(&s);
    } else {
        e.appended.push_str(&s);
    }
}

fn names(cx: &Context, packages: &[Imported], e: &mut Entries, shown: &mut String) {
    let mut tables: Vec<(String, KeyedNames)> = Vec::new();
    for p in packages {
        for (logical, k, v) in &p.names {
            let i = match tables.iter().position(|(n, _)| n == logical) {
                Some(i) => i,
                None => {
                    tables.push((logical.clone(), Vec::new()));
                    tables.len() - 1
                }
            };
            if !tables[i].1.iter().any(|(kk, _)| kk == k) {
                tables[i].1.push((k.clone(), v.clone()));
            }
        }
    }
    for (logical, keys) in tables {
        let mut s = format!("[names.{}]\n", key(&logical));
        let exists = cx.names.contains(&logical);
        for (k, v) in &keys {
            let (text, item) = names_value(v);
            let _ = writeln!(s, "{} = {text}", key(k));
            if exists {
                e.edits
                    .push((vec!["names".to_string(), logical.clone()], k.clone(), item));
            }
        }
        s.push('\n');
        if exists {
            shown.push_str(&s);
        } else {
            e.appended.push_str(&s);
        }
    }
}

fn package(p: &Imported, with_patches: bool) -> String {
    let mut s = String::from("[[packages]]\n");
    let _ = writeln!(s, "name = {}", q(&p.name));
    let _ = writeln!(s, "upstream = {}", q(&p.upstream.name));
    let _ = writeln!(s, "summary = {}", q(&p.summary));
    let _ = writeln!(s, "description = {}", q(&p.description));
    for (k, v) in [
        ("license", &p.license),
        ("url", &p.url),
        ("group", &p.group),
        ("section", &p.section),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "{k} = {}", q(v));
        }
    }
    if let Some(a) = &p.archs {
        let _ = writeln!(s, "archs = {}", list(a));
    }
    if let Some((tc, _)) = &p.toolchain {
        let _ = writeln!(s, "toolchain = {}", q(tc));
    }
    for (k, v) in [("vendor", &p.vendor), ("cargo-toml", &p.cargo_toml)] {
        if let Some(v) = v {
            let _ = writeln!(s, "{k} = {}", q(v));
        }
    }
    for (k, v) in [
        ("build-requires", &p.build_requires),
        ("requires", &p.requires),
    ] {
        if !v.is_empty() {
            let _ = writeln!(s, "{k} = {}", list(v));
        }
    }
    for (k, v) in [("build", &p.build), ("install", &p.install)] {
        if let Some(v) = v {
            let _ = writeln!(s, "{k} = {}", q(v));
        }
    }
    for (k, v) in [
        ("files", &p.files),
        ("config-files", &p.config_files),
        ("license-files", &p.license_files),
        ("patches", &p.patches),
        ("static-units", &p.static_units),
    ] {
        if !v.is_empty() && (with_patches || k != "patches") {
            let _ = writeln!(s, "{k} = {}", list(v));
        }
    }
    if let Some(d) = p.debug_package {
        let _ = writeln!(s, "debug-package = {d}");
    }
    for (k, o) in &p.overrides {
        s.push('\n');
        s.push_str(&distro_override(k, o));
    }
    for sub in &p.subpackages {
        s.push('\n');
        s.push_str(&subpackage(sub));
    }
    s
}

fn distro_override(k: &str, o: &Override) -> String {
    let mut s = format!("[packages.distro.{}]\n", key(k));
    for (name, v) in [
        ("build-requires", &o.build_requires),
        ("requires", &o.requires),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "{name} = {}", list(v));
        }
    }
    for (name, v) in [("build", &o.build), ("install", &o.install)] {
        if let Some(v) = v {
            let _ = writeln!(s, "{name} = {}", q(v));
        }
    }
    s
}

fn subpackage(sub: &Sub) -> String {
    let mut s = String::from("[[packages.subpackages]]\n");
    let _ = writeln!(s, "suffix = {}", q(&sub.suffix));
    let _ = writeln!(s, "summary = {}", q(&sub.summary));
    if !sub.description.is_empty() {
        let _ = writeln!(s, "description = {}", q(&sub.description));
    }
    if let Some(g) = &sub.group {
        let _ = writeln!(s, "group = {}", q(g));
    }
    if sub.noarch {
        let _ = writeln!(s, "archs = [\"noarch\"]");
    }
    for (k, v) in [
        ("requires", &sub.requires),
        ("files", &sub.files),
        ("config-files", &sub.config_files),
    ] {
        if !v.is_empty() {
            let _ = writeln!(s, "{k} = {}", list(v));
        }
    }
    s
}

/// Changelog entries, one per distinct entry: `upstream = U` when it is the same for
/// every imported package of that upstream, else `packages = [...]`.
fn changelog(packages: &[Imported], e: &mut Entries) {
    let mut groups: Vec<(&Entry, Vec<&Imported>)> = Vec::new();
    for p in packages {
        for c in &p.changelog {
            match groups.iter_mut().find(|(g, _)| *g == c) {
                Some((_, ps)) => ps.push(p),
                None => groups.push((c, vec![p])),
            }
        }
    }
    groups.sort_by(|a, b| b.0.date.cmp(&a.0.date));
    let mut text = String::new();
    for (c, ps) in groups {
        let upstream = &ps[0].upstream;
        let all_of_upstream = packages
            .iter()
            .filter(|p| p.upstream.name == upstream.name)
            .count()
            == ps.len()
            && !upstream.exists;
        let mut s = String::from("[[entry]]\n");
        if all_of_upstream {
            let _ = writeln!(s, "upstream = {}", q(&upstream.name));
        } else {
            let names: Vec<String> = ps.iter().map(|p| p.name.clone()).collect();
            let _ = writeln!(s, "packages = {}", list(&names));
        }
        let _ = writeln!(
            s,
            "version = {}",
            q(c.version.as_deref().unwrap_or_default())
        );
        let _ = writeln!(s, "date = {}", q(&c.date));
        let _ = writeln!(s, "author = {}", q(&c.author));
        let _ = writeln!(s, "changes = {}", list(&c.changes));
        text.push_str(&s);
        text.push('\n');
        e.changelog.push((c.date.clone(), s));
    }
    e.changelog_text = text.trim_end().to_string() + "\n";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_for_toml() {
        assert_eq!(q("a \"b\""), "'a \"b\"'");
        assert_eq!(q("a\nb\\"), "\"\"\"\na\nb\\\\\"\"\"");
    }
}
