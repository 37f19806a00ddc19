//! The licences of a vendored tree, for `vendor-licenses.toml`: per crate, the `license`
//! of its `Cargo.toml` (or its `license-file`); per Go module of `vendor/modules.txt`,
//! its licence file, recognised by the sentences that set the common licences apart.
//! A text none of them is found in is kept as `LicenseRef-vendored-<n>` (SPDX's form for
//! a licence of its own; lintian refuses `UNKNOWN`) with its full text.

use std::path::Path;

use crate::manifest::{Vendor, Vendored};

/// Licence files are read up to this size; a larger one is not a licence text.
const MAX_TEXT: u64 = 256 * 1024;

/// The vendored dependencies under `vendor` (the directory the client wrote), each
/// named by its directory below `vendor/` as the Debian build unpacks the archive.
pub(crate) fn scan(vendor: &Path, v: Vendor) -> Vec<Vendored> {
    let mut deps = match v {
        Vendor::Go => go_modules(vendor),
        Vendor::Cargo => crates(vendor),
    };
    deps.sort_by(|a, b| a.dir.cmp(&b.dir));
    number_unknown(&mut deps);
    deps
}

/// Give each distinct unrecognised text its `LicenseRef-vendored-<n>`, in the order of the directories.
fn number_unknown(deps: &mut [Vendored]) {
    let mut seen: Vec<Vec<String>> = Vec::new();
    for d in deps.iter_mut().filter(|d| d.license == "UNKNOWN") {
        let n = match seen.iter().position(|t| *t == d.texts) {
            Some(i) => i + 1,
            None => {
                seen.push(d.texts.clone());
                seen.len()
            }
        };
        d.license = format!("LicenseRef-vendored-{n}");
    }
}

/// The modules `go mod vendor` copied, from `vendor/modules.txt`: `# path version` lines
/// (`# path => replacement version` for a replaced one), each with its directory.
fn go_modules(vendor: &Path) -> Vec<Vendored> {
    let list = std::fs::read_to_string(vendor.join("modules.txt")).unwrap_or_default();
    let mut out = Vec::new();
    for line in list.lines() {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        let Some(path) = words.first() else {
            continue;
        };
        // a replacement is listed again at the end, without the module's version
        if out.iter().any(|d: &Vendored| d.name == *path) {
            continue;
        }
        let version = match words.get(1) {
            Some(&"=>") => words.get(3).copied().unwrap_or(""),
            Some(v) => v,
            None => "",
        };
        let dir = vendor.join(path);
        if !dir.is_dir() {
            // listed for go.sum only: nothing of it was vendored
            continue;
        }
        let texts = licence_texts(&dir, None);
        let license = match classify_all(&texts) {
            Some(l) => l,
            None => "UNKNOWN".to_string(),
        };
        out.push(Vendored {
            dir: format!("vendor/{path}"),
            name: path.to_string(),
            version: version.to_string(),
            license,
            copyright: copyright_lines(&texts),
            texts,
        });
    }
    out
}

/// The crates `cargo vendor` copied: one directory each, with its `Cargo.toml`.
fn crates(vendor: &Path) -> Vec<Vendored> {
    let mut dirs: Vec<_> = std::fs::read_dir(vendor)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = toml::from_str(&text).unwrap_or_default();
        let package = manifest.get("package").and_then(|p| p.as_table());
        let field = |k: &str| {
            package
                .and_then(|p| p.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let dir_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let texts = licence_texts(&dir, field("license-file").as_deref());
        let license = match field("license") {
            // the old `MIT/Apache-2.0` form means either
            Some(l) if crate::manifest::vendored::is_license(&l.replace('/', " OR ")) => {
                l.replace('/', " OR ")
            }
            _ => classify_all(&texts).unwrap_or_else(|| "UNKNOWN".to_string()),
        };
        out.push(Vendored {
            dir: format!("vendor/{dir_name}"),
            name: field("name").unwrap_or_else(|| dir_name.clone()),
            version: field("version").unwrap_or_default(),
            license,
            copyright: copyright_lines(&texts),
            texts,
        });
    }
    out
}

/// The licence texts of the directory `dir`: `extra` (a crate's `license-file`) and its
/// files named `LICENSE*`, `LICENCE*`, `COPYING*`, `UNLICENSE*`, in name order.
fn licence_texts(dir: &Path, extra: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    let upper = n.to_ascii_uppercase();
                    ["LICENSE", "LICENCE", "COPYING", "UNLICENSE"]
                        .iter()
                        .any(|p| upper.starts_with(p))
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if let Some(extra) = extra {
        let extra = extra.trim_start_matches("./").to_string();
        if !extra.contains("..") && !names.contains(&extra) {
            names.insert(0, extra);
        }
    }
    names
        .iter()
        .filter_map(|n| {
            let path = dir.join(n);
            let small = std::fs::metadata(&path).is_ok_and(|m| m.len() <= MAX_TEXT);
            let bytes = small.then(|| std::fs::read(&path).ok()).flatten()?;
            let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
            let text = text.trim_matches('\n').to_string();
            (!text.trim().is_empty()).then_some(text)
        })
        .collect()
}

/// The licences of `texts` as an SPDX expression (`AND` between different ones), or
/// `None` when there is no text or one is not recognised.
fn classify_all(texts: &[String]) -> Option<String> {
    let mut ids: Vec<&str> = Vec::new();
    for t in texts {
        let id = classify(t)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    (!ids.is_empty()).then(|| ids.join(" AND "))
}

/// The SPDX id of a licence text, from the sentences that set the common licences apart,
/// compared in lower case with whitespace and quotes normalised.
pub(crate) fn classify(text: &str) -> Option<&'static str> {
    let t: String = text
        .to_lowercase()
        .replace(['"', '\'', '`', '*', '#'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let has = |s: &str| t.contains(s);
    if has("apache license") && has("version 2.0") {
        return Some("Apache-2.0");
    }
    if has("mozilla public license version 2.0") || has("mozilla public license, v. 2.0") {
        return Some("MPL-2.0");
    }
    if has("permission to use, copy, modify, and/or distribute this software for any purpose")
        || has("permission to use, copy, modify, and distribute this software for any purpose")
    {
        return Some("ISC");
    }
    if has("permission is hereby granted, free of charge, to any person obtaining a copy")
        && has("the above copyright notice and this permission notice shall be included")
    {
        return Some("MIT");
    }
    if has("redistribution and use in source and binary forms")
        && has("this list of conditions and the following disclaimer")
    {
        let third = has("neither the name of") || has("may be used to endorse or promote");
        return Some(if third {
            "BSD-3-Clause"
        } else {
            "BSD-2-Clause"
        });
    }
    None
}

/// The copyright statements of `texts`: lines that start with `Copyright` and name a
/// year or a holder (not a template's `[yyyy] [name of copyright owner]`), deduplicated.
fn copyright_lines(texts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in texts.iter().flat_map(|t| t.lines()) {
        let l = line.trim().trim_start_matches(['*', '#', '/']).trim();
        let lower = l.to_lowercase();
        let template = [
            "[yyyy]",
            "{yyyy}",
            "<year>",
            "[year]",
            "{year}",
            "copyright notice",
        ]
        .iter()
        .any(|m| lower.contains(m))
            || lower.contains("copyright owner")
            || lower.contains("copyright holder");
        let statement = lower.starts_with("copyright")
            && (l.chars().any(|c| c.is_ascii_digit()) || lower.contains("(c)") || l.contains('©'));
        let l = holder(l);
        if statement && !template && !l.is_empty() && !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// A copyright statement as DEP-5 writes it: without the leading `Copyright`, `(c)`
/// and `©`, whitespace collapsed (`Copyright (c) 2019 Jane` -> `2019 Jane`).
fn holder(line: &str) -> String {
    let mut rest = line.trim();
    loop {
        let before = rest;
        for prefix in ["copyright", "(c)", "©", ":"] {
            if rest.to_lowercase().starts_with(prefix) {
                rest = rest.get(prefix.len()..).unwrap_or_default().trim_start();
            }
        }
        if rest == before {
            break;
        }
    }
    rest.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIT: &str = "MIT License\n\nCopyright (c) 2019 Jane Doe\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software ...\n\nThe above copyright notice and this permission notice shall be\nincluded in all copies or substantial portions of the Software.\n";

    #[test]
    fn common_licences_are_recognised_by_their_sentences() {
        assert_eq!(classify(MIT), Some("MIT"));
        assert_eq!(
            classify("                                 Apache License\n                           Version 2.0, January 2004\n"),
            Some("Apache-2.0")
        );
        let bsd = "Redistribution and use in source and binary forms, with or without\nmodification, are permitted provided that ... this list of conditions and the following disclaimer.";
        assert_eq!(classify(bsd), Some("BSD-2-Clause"));
        let bsd3 = format!("{bsd}\n   * Neither the name of Google Inc. nor the names of its");
        assert_eq!(classify(&bsd3), Some("BSD-3-Clause"));
        assert_eq!(
            classify("Permission to use, copy, modify, and/or distribute this software for any\npurpose with or without fee is hereby granted"),
            Some("ISC")
        );
        assert_eq!(
            classify("Mozilla Public License Version 2.0\n=================================="),
            Some("MPL-2.0")
        );
        assert_eq!(classify("Do what you like."), None);
    }

    #[test]
    fn copyright_lines_skip_templates() {
        let texts = vec![
            MIT.to_string(),
            "Copyright [yyyy] [name of copyright owner]\nCopyright 2015 The Go Authors. All rights reserved.".to_string(),
        ];
        assert_eq!(
            copyright_lines(&texts),
            vec![
                "2019 Jane Doe".to_string(),
                "2015 The Go Authors. All rights reserved.".to_string()
            ]
        );
    }

    #[test]
    fn unknown_texts_are_numbered_by_directory() {
        let d = |dir: &str, text: &str| Vendored {
            dir: dir.to_string(),
            name: dir.to_string(),
            version: String::new(),
            license: "UNKNOWN".to_string(),
            copyright: Vec::new(),
            texts: vec![text.to_string()],
        };
        let mut deps = vec![d("vendor/a", "x"), d("vendor/b", "y"), d("vendor/c", "x")];
        number_unknown(&mut deps);
        let names: Vec<&str> = deps.iter().map(|d| d.license.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "LicenseRef-vendored-1",
                "LicenseRef-vendored-2",
                "LicenseRef-vendored-1"
            ]
        );
    }
}
