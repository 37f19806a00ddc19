//! Whitespace-clean output: every committed output (the bundled manifests' `obs/`, `rpm/` and
//! `debian/` trees and `tests/cases/*/expected/`) and every fresh render of the golden
//! cases is free of trailing whitespace, tabs in Debian control files, empty fields and
//! runs of blank lines in specs. Template whitespace control is where such slips hide,
//! and rpmlint, lintian and a reviewer's diff all notice them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// The kinds of file the rules tell apart, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Spec,
    /// deb822 paragraphs: debian/control, debian.control, .dsc, debian/copyright.
    Deb822,
    Other,
}

fn kind(rel: &str) -> Kind {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let in_debian = rel.contains("debian/");
    if name.ends_with(".spec") {
        Kind::Spec
    } else if name.ends_with(".dsc")
        || name == "debian.control"
        || name == "debian.copyright"
        || (in_debian && (name == "control" || name == "copyright"))
    {
        Kind::Deb822
    } else {
        Kind::Other
    }
}

/// Patches are the packager's files, copied byte for byte: blank context lines of a
/// unified diff end in a space. A tar archive (a kiwi description's agent archive) is
/// no text: its blocks end in NUL padding, not a newline.
fn copied_verbatim(rel: &str) -> bool {
    rel.ends_with(".patch") || rel.ends_with(".diff") || rel.ends_with(".tar")
}

/// deb822 fields that hold a comma-separated list of relations.
const RELATION_FIELDS: &[&str] = &[
    "Depends",
    "Pre-Depends",
    "Recommends",
    "Suggests",
    "Enhances",
    "Breaks",
    "Conflicts",
    "Provides",
    "Replaces",
    "Build-Depends",
    "Build-Depends-Indep",
    "Build-Depends-Arch",
    "Build-Conflicts",
    "Build-Conflicts-Indep",
    "Build-Conflicts-Arch",
];

/// Every whitespace problem of one file, as `path:line: what`.
fn problems(rel: &str, text: &str) -> Vec<String> {
    let kind = kind(rel);
    let mut out = Vec::new();
    let mut say = |line: usize, what: String| out.push(format!("{rel}:{line}: {what}"));
    if text.is_empty() {
        say(1, "the file is empty".to_string());
        return out;
    }
    if !text.ends_with('\n') {
        say(text.lines().count(), "no newline at the end".to_string());
    } else if text.ends_with("\n\n") {
        say(text.lines().count(), "blank lines at the end".to_string());
    }
    let lines: Vec<&str> = text.lines().collect();
    // openSUSE's layout (spec-cleaner writes it, osc's template has it): the leading
    // comment block of a spec is followed by exactly two blank lines. The body starts
    // at the first line that is no comment, or is OBS's `# needsrootforbuild`.
    let body = lines
        .iter()
        .position(|l| {
            !l.trim().is_empty()
                && (!l.starts_with('#') || l.trim_start_matches('#').trim() == "needsrootforbuild")
        })
        .unwrap_or(lines.len());
    let mut blank_run = 0;
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        if line.ends_with([' ', '\t']) {
            say(n, format!("trailing whitespace: {line:?}"));
        }
        if line.contains('\r') {
            say(n, format!("carriage return: {line:?}"));
        }
        if line.trim().is_empty() {
            blank_run += 1;
        } else {
            blank_run = 0;
        }
        match kind {
            Kind::Spec => {
                let before_body = i < body && lines[i..body].iter().all(|l| l.trim().is_empty());
                let allowed = if before_body && i > 0 { 2 } else { 1 };
                if blank_run > allowed {
                    say(n, "more than one blank line in a row".to_string());
                }
                if let Some(tag) = spec_tag_without_value(line) {
                    say(n, format!("empty field `{tag}:`"));
                }
            }
            Kind::Deb822 => {
                if line.contains('\t') {
                    say(n, format!("tab in a Debian control file: {line:?}"));
                }
                if blank_run > 1 {
                    say(n, "more than one blank line in a row".to_string());
                }
                if let Some((field, value)) = deb822_field(line) {
                    // The whole value, continuation lines included.
                    let mut all = value.to_string();
                    for next in lines[i + 1..]
                        .iter()
                        .take_while(|l| l.starts_with([' ', '\t']))
                    {
                        all.push(' ');
                        all.push_str(next);
                    }
                    if all.trim().is_empty() {
                        say(n, format!("empty field `{field}:`"));
                    } else if RELATION_FIELDS.contains(&field)
                        && all.split(',').any(|item| item.trim().is_empty())
                    {
                        say(n, format!("empty item in `{field}:` {all:?}"));
                    }
                }
            }
            Kind::Other => {}
        }
    }
    out
}

/// `Requires:`, `Requires(post):`, `BuildRequires:` ... with nothing after the colon.
fn spec_tag_without_value(line: &str) -> Option<&str> {
    let (tag, value) = line.split_once(':')?;
    let name = tag.split('(').next().unwrap_or(tag);
    let is_tag = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && (tag == name || (tag.ends_with(')') && tag.contains('(')));
    (is_tag && value.trim().is_empty()).then_some(tag)
}

/// A deb822 field line: `Name: value` at the start of a line.
fn deb822_field(line: &str) -> Option<(&str, &str)> {
    if line.starts_with([' ', '\t', '#']) {
        return None;
    }
    let (field, value) = line.split_once(':')?;
    let ok = !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some((field, value))
}

/// Check every file of `files` (paths relative to `root`); the number checked.
fn check_files(root: &Path, files: &[String], report: &mut Vec<String>, label: &str) -> usize {
    let mut checked = 0;
    for rel in files.iter().filter(|r| !copied_verbatim(r)) {
        let bytes = std::fs::read(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{rel}: not UTF-8"));
        report.extend(
            problems(rel, &text)
                .into_iter()
                .map(|p| format!("{label}{p}")),
        );
        checked += 1;
    }
    checked
}

/// Every file under `dir`, relative to `root`.
fn files_under(root: &Path, dir: &Path) -> Vec<String> {
    files_where(dir, |_| true)
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().to_string())
        .collect()
}

/// The files a render wrote, from its state file.
fn rendered_files(dir: &Path) -> Vec<String> {
    let state = std::fs::read_to_string(dir.join(".pkgforge-outputs")).expect("state file");
    state
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn committed_outputs_are_whitespace_clean() {
    let root = repo();
    let mut report = Vec::new();
    let mut checked = 0;
    let mut specs_and_control = 0;
    let mut dirs: Vec<PathBuf> = bundled_dirs()
        .iter()
        .flat_map(|b| ["obs", "rpm", "debian"].map(|d| b.join(d)))
        .collect();
    dirs.extend(cases().iter().map(|c| c.join("expected")));
    for dir in &dirs {
        assert!(dir.is_dir(), "{} is missing", dir.display());
        let files = files_under(&root, dir);
        specs_and_control += files.iter().filter(|f| kind(f) != Kind::Other).count();
        checked += check_files(&root, &files, &mut report, "");
    }
    assert!(
        report.is_empty(),
        "{} whitespace problems in committed outputs:\n{}",
        report.len(),
        report.join("\n")
    );
    assert!(checked > 300, "only {checked} files checked");
    assert!(
        specs_and_control > 50,
        "only {specs_and_control} specs and control files"
    );
    eprintln!(
        "{checked} files checked ({specs_and_control} specs and Debian control files) in {} trees",
        dirs.len()
    );
}

#[test]
fn fresh_renders_of_every_case_are_whitespace_clean() {
    let mut report = Vec::new();
    let mut checked = 0;
    let all = cases();
    assert!(!all.is_empty(), "no golden cases under tests/cases");
    for case in &all {
        let tmp = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(case).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == "expected" {
                continue;
            }
            let dest = tmp.path().join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
                copy_into(&entry.path(), &dest);
            } else {
                std::fs::copy(entry.path(), &dest).unwrap();
            }
        }
        ok(&pkgforge(tmp.path(), &["render", "-q"]));
        let files = rendered_files(tmp.path());
        assert!(!files.is_empty(), "{} rendered nothing", case.display());
        let label = format!("{}: ", case.file_name().unwrap().to_string_lossy());
        checked += check_files(tmp.path(), &files, &mut report, &label);
    }
    assert!(
        report.is_empty(),
        "{} whitespace problems in fresh renders:\n{}",
        report.len(),
        report.join("\n")
    );
    assert!(checked > all.len(), "only {checked} files checked");
    eprintln!("{checked} rendered files checked in {} cases", all.len());
}

/// The rules themselves: each problem is found, and clean text passes.
#[test]
fn the_rules_catch_each_kind_of_slip() {
    let spec = "#\n# header\n#\n\n\nName:           a\nRequires:\nRequires(post):  \nSummary:        x \n\n\n%description\n\tx\n";
    let found = problems("obs/a/a.spec", spec);
    assert_eq!(
        found,
        [
            "obs/a/a.spec:7: empty field `Requires:`",
            "obs/a/a.spec:8: trailing whitespace: \"Requires(post):  \"",
            "obs/a/a.spec:8: empty field `Requires(post):`",
            "obs/a/a.spec:9: trailing whitespace: \"Summary:        x \"",
            "obs/a/a.spec:11: more than one blank line in a row",
        ]
    );
    let control = "Source: a\nBuild-Depends: debhelper-compat (= 13),\n , foo\n\nPackage: a\nDepends:\nRecommends: b,\nDescription: x\n\tlong\n";
    let found = problems("debian/debian-12/a/debian/control", control);
    assert_eq!(
        found,
        [
            "debian/debian-12/a/debian/control:2: empty item in `Build-Depends:` \" debhelper-compat (= 13),  , foo\"",
            "debian/debian-12/a/debian/control:6: empty field `Depends:`",
            "debian/debian-12/a/debian/control:7: empty item in `Recommends:` \" b,\"",
            "debian/debian-12/a/debian/control:9: tab in a Debian control file: \"\\tlong\"",
        ]
    );
    // The two blank lines after the header may come before OBS's build directive.
    let root = "#\n# header\n#\n\n\n# needsrootforbuild\nName:           a\n";
    assert_eq!(problems("obs/a/a.spec", root), Vec::<String>::new());
    assert_eq!(
        problems("obs/a/a.spec", &root.replace("\n# need", "\n\n# need")),
        ["obs/a/a.spec:6: more than one blank line in a row"]
    );
    // A multi-line field starts empty; tabs are fine outside control files.
    let dsc = "Format: 3.0 (quilt)\nFiles:\n 0123 10 a.tar.gz\n";
    assert_eq!(problems("obs/a/debian.dsc", dsc), Vec::<String>::new());
    assert_eq!(
        problems("obs/a/debian.rules", "build:\n\tmake\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        problems("obs/a/_service", "<services/>\n\n"),
        ["obs/a/_service:2: blank lines at the end"]
    );
}
