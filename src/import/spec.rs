//! A spec file evaluated by rpm itself (`rpmspec -P`) for one target, then read back
//! into the parts a manifest package has.
//!
//! rpm expands every macro and `%if`, so what is read is what that target builds. A few
//! macros are defined so the expansion reads as the manifest writes it: `%{buildroot}`
//! as `$DESTDIR`, `%make_build` as `make`, `%make_install` as `make install
//! DESTDIR=$DESTDIR`.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::distro::{Distro, Family};
use crate::error::{Diagnostic, Error, Result};

/// rpm 4.18's `rpmspec -P` leaves out the `%build` line; this comment, put after it
/// before parsing, marks where the section starts.
const BUILD_MARK: &str = "#@pkgforge-import@ build";

/// One binary package of an evaluated spec.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Binary {
    /// The name rpm gives it (`name-suffix` or the `-n` name).
    pub name: String,
    pub summary: String,
    pub group: Option<String>,
    pub description: String,
    pub requires: Vec<String>,
    pub build_arch: Option<String>,
    /// `%files` lines as rpm expanded them.
    pub files: Vec<String>,
}

/// A spec as one target's rpm reads it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Evaluated {
    pub version: String,
    pub license: Option<String>,
    pub url: Option<String>,
    pub sources: Vec<(u32, String)>,
    pub patches: Vec<(u32, String)>,
    pub build_requires: Vec<String>,
    pub exclusive_arch: Option<String>,
    /// The main package first, then the subpackages in the order of the spec.
    pub binaries: Vec<Binary>,
    pub build: String,
    pub install: String,
    /// Sections with no manifest key: (section line as written, whether it is a
    /// scriptlet, the binary it belongs to).
    pub other_sections: Vec<(String, bool, String)>,
    /// Preamble tags with no manifest key, as written.
    pub other_tags: Vec<String>,
    /// The `%changelog` lines.
    pub changelog: Vec<String>,
}

/// `--define` arguments for `target`: its macros, what its rpm configuration has, and
/// the macros that keep the expansion in the manifest's terms.
pub(crate) fn defines(target: &Distro, sourcedir: &Path) -> Vec<String> {
    let mut v: Vec<String> = target
        .macros
        .iter()
        .map(|(k, val)| format!("{k} {val}"))
        .collect();
    match target.family {
        Family::Fedora => v.push(format!(
            "dist .fc{}",
            target.macros.get("fedora").cloned().unwrap_or_default()
        )),
        Family::Centos => v.push(format!(
            "dist .el{}",
            target.macros.get("rhel").cloned().unwrap_or_default()
        )),
        _ => {}
    }
    v.push("_docdir /usr/share/doc/packages".to_string());
    v.push(format!("_sourcedir {}", sourcedir.display()));
    v.push("buildroot $DESTDIR".to_string());
    v.push("make_build make".to_string());
    v.push("make_install make install DESTDIR=$DESTDIR".to_string());
    // systemd-rpm-macros' directories, for hosts whose rpm does not have them
    for (m, dir) in [
        ("_unitdir", "/usr/lib/systemd/system"),
        ("_tmpfilesdir", "/usr/lib/tmpfiles.d"),
        ("_sysusersdir", "/usr/lib/sysusers.d"),
        ("_udevrulesdir", "/usr/lib/udev/rules.d"),
        ("_sysctldir", "/usr/lib/sysctl.d"),
    ] {
        v.push(format!("{m} {dir}"));
    }
    v
}

/// Run `rpmspec -P` over `text` (the spec at `path`) for `target`.
pub(crate) fn evaluate(path: &Path, text: &str, target: &Distro) -> Result<String> {
    let marked = mark_build(text);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut cmd = Command::new("rpmspec");
    for d in defines(target, dir) {
        cmd.arg("--define").arg(d);
    }
    // a file, not a pipe: rpm reads a BuildArch spec once more for each arch
    let mut tmp = tempfile::Builder::new()
        .prefix("pkgforge-import-")
        .suffix(".spec")
        .tempfile()
        .and_then(|mut f| f.write_all(marked.as_bytes()).map(|_| f))
        .map_err(|e| {
            Error::Other(anyhow::Error::from(e).context("cannot write a temporary spec"))
        })?;
    let _ = tmp.flush();
    cmd.arg("-P").arg(tmp.path());
    let out = cmd.output().map_err(|e| {
        Error::usage(format!(
            "cannot run `rpmspec` to read {}: {e}",
            path.display()
        ))
        .with_help("install rpm (Debian: `apt install rpm`, openSUSE: `zypper install rpm-build`)")
    })?;
    if !out.status.success() {
        // rpm names the temporary copy; the user knows the spec by its own path
        let stderr = String::from_utf8_lossy(&out.stderr).replace(
            &tmp.path().display().to_string(),
            &path.display().to_string(),
        );
        return Err(parse_error(path, text, &stderr, &target.id).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn mark_build(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + BUILD_MARK.len() + 1);
    for line in text.split_inclusive('\n') {
        out.push_str(line);
        if is_section(line.trim_end(), "build") {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(BUILD_MARK);
            out.push('\n');
        }
    }
    out
}

/// rpm's first `error:` line, placed at the line of the spec it names.
fn parse_error(path: &Path, text: &str, stderr: &str, target: &str) -> Diagnostic {
    let first = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or("error: rpmspec failed")
        .trim_start_matches("error:")
        .trim();
    let line = regex::Regex::new(r"line (\d+):")
        .ok()
        .and_then(|re| re.captures(first))
        .and_then(|c| c[1].parse::<usize>().ok())
        .map(|n| unmark_line(text, n));
    let message = format!("rpm cannot parse this spec for {target}: {first}");
    let d = Diagnostic::new(path, message);
    match line {
        Some(n) => d.at(text, line_span(text, n)),
        None => d,
    }
    .help("fix the spec so `rpmspec -P` reads it, then import again")
}

/// The line of the original spec that line `n` of the marked one is.
fn unmark_line(text: &str, n: usize) -> usize {
    let build = text
        .lines()
        .position(|l| is_section(l.trim_end(), "build"))
        .map(|i| i + 1);
    match build {
        Some(b) if n > b => n - 1,
        _ => n,
    }
}

/// The byte range of line `n` (1-based) of `text`.
pub(crate) fn line_span(text: &str, n: usize) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == n {
            let len = line.trim_end_matches(['\n', '\r']).len();
            return Some(start..start + len.max(1).min(line.len().max(1)));
        }
        start += line.len();
    }
    None
}

/// The 1-based line of `text` where `pred` first holds.
pub(crate) fn find_line(text: &str, pred: impl Fn(&str) -> bool) -> Option<usize> {
    text.lines().position(|l| pred(l.trim())).map(|i| i + 1)
}

fn is_section(line: &str, name: &str) -> bool {
    let Some(rest) = line.strip_prefix('%') else {
        return false;
    };
    rest == name || rest.starts_with(&format!("{name} "))
}

const SCRIPTLETS: &[&str] = &[
    "pre",
    "post",
    "preun",
    "postun",
    "pretrans",
    "posttrans",
    "preuntrans",
    "postuntrans",
    "verifyscript",
    "triggerin",
    "triggerun",
    "triggerpostun",
    "triggerprein",
    "filetriggerin",
    "filetriggerun",
    "filetriggerpostun",
    "transfiletriggerin",
    "transfiletriggerun",
    "transfiletriggerpostun",
];
const OTHER_SECTIONS: &[&str] = &["check", "clean", "sepolicy", "generate_buildrequires"];

/// Where the lines being read go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    Preamble(usize),
    Description(usize),
    Prep,
    Build,
    Install,
    Files(usize),
    Changelog,
    Ignored,
}

/// Read an `rpmspec -P` text into its parts.
pub(crate) fn parse(evaluated: &str) -> Evaluated {
    let mut e = Evaluated {
        binaries: vec![Binary::default()],
        ..Evaluated::default()
    };
    let mut at = At::Preamble(0);
    let mut build = Vec::new();
    let mut install = Vec::new();
    let mut desc: Vec<Vec<String>> = vec![Vec::new()];
    for line in evaluated.lines() {
        if line == BUILD_MARK {
            at = At::Build;
            continue;
        }
        if let Some(next) = section(&mut e, &mut desc, line) {
            at = next;
            continue;
        }
        match at {
            At::Preamble(i) => tag(&mut e, i, line),
            At::Description(i) => desc[i].push(line.to_string()),
            At::Build => build.push(line.to_string()),
            At::Install => install.push(line.to_string()),
            At::Files(i) => {
                let l = line.trim();
                if !l.is_empty() {
                    e.binaries[i].files.push(l.to_string());
                }
            }
            At::Changelog => e.changelog.push(line.to_string()),
            At::Prep | At::Ignored => {}
        }
    }
    for (b, d) in e.binaries.iter_mut().zip(desc) {
        b.description = trim_lines(&d);
    }
    e.build = trim_lines(&build);
    e.install = trim_lines(&install);
    e
}

/// A section line: where the following lines go.
fn section(e: &mut Evaluated, desc: &mut Vec<Vec<String>>, line: &str) -> Option<At> {
    let l = line.trim_end();
    let rest = l.strip_prefix('%')?;
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let main = e.binaries[0].name.clone();
    let target = |args: &str| -> String {
        let mut words = args.split_whitespace().filter(|w| !w.starts_with("-p"));
        match words.next() {
            Some("-n") => words.next().unwrap_or_default().to_string(),
            Some(w) if !w.starts_with('-') => format!("{main}-{w}"),
            _ => main.clone(),
        }
    };
    let index = |e: &Evaluated, name: &str| e.binaries.iter().position(|b| b.name == name);
    Some(match word {
        "package" => {
            let name = target(args);
            e.binaries.push(Binary {
                name,
                ..Binary::default()
            });
            desc.push(Vec::new());
            At::Preamble(e.binaries.len() - 1)
        }
        "description" => index(e, &target(args)).map_or(At::Ignored, At::Description),
        "files" => index(e, &target(args)).map_or(At::Ignored, At::Files),
        "prep" => At::Prep,
        "build" => At::Build,
        "install" => At::Install,
        "changelog" => At::Changelog,
        w if SCRIPTLETS.contains(&w) || OTHER_SECTIONS.contains(&w) => {
            e.other_sections
                .push((l.to_string(), SCRIPTLETS.contains(&w), target(args)));
            At::Ignored
        }
        _ => return None,
    })
}

/// A preamble line of binary `i`.
fn tag(e: &mut Evaluated, i: usize, line: &str) {
    let l = line.trim();
    if l.is_empty() || l.starts_with('#') || l.starts_with('%') {
        return;
    }
    let Some((key, value)) = l.split_once(':') else {
        e.other_tags.push(l.to_string());
        return;
    };
    let value = value.trim().to_string();
    let lower = key.trim().to_ascii_lowercase();
    let number = |prefix: &str| -> Option<u32> {
        lower.strip_prefix(prefix).map(|n| {
            if n.is_empty() {
                0
            } else {
                n.parse().unwrap_or(0)
            }
        })
    };
    let b = &mut e.binaries[i];
    match lower.as_str() {
        "name" => b.name = value,
        "summary" => b.summary = value,
        "group" => b.group = Some(value),
        "requires" => b.requires.extend(split_deps(&value)),
        "buildarch" => b.build_arch = Some(value),
        "version" if i == 0 => e.version = value,
        "license" if i == 0 => e.license = Some(value),
        "url" if i == 0 => e.url = Some(value),
        "buildrequires" if i == 0 => e.build_requires.extend(split_deps(&value)),
        "exclusivearch" if i == 0 => e.exclusive_arch = Some(value),
        "release" => {}
        _ if number("source").is_some() && i == 0 => {
            e.sources.push((number("source").unwrap_or(0), value));
        }
        _ if number("patch").is_some() && i == 0 => {
            e.patches.push((number("patch").unwrap_or(0), value));
        }
        _ => e.other_tags.push(l.to_string()),
    }
}

/// `a, b >= 1, c` as rpm reads a dependency tag: names with their constraints.
pub(crate) fn split_deps(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let words: Vec<&str> = value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if matches!(w, "<" | "<=" | "=" | ">=" | ">") && i + 1 < words.len() {
            if let Some(last) = out.last_mut() {
                last.push_str(&format!(" {w} {}", words[i + 1]));
            }
            i += 2;
        } else {
            out.push(w.to_string());
            i += 1;
        }
    }
    out
}

fn trim_lines(lines: &[String]) -> String {
    let start = lines.iter().position(|l| !l.trim().is_empty());
    let end = lines.iter().rposition(|l| !l.trim().is_empty());
    match (start, end) {
        (Some(s), Some(e)) => lines[s..=e]
            .iter()
            .map(|l| l.trim_end())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_tags_keep_their_constraints() {
        assert_eq!(
            split_deps("a, b >= 1.0 c"),
            vec!["a".to_string(), "b >= 1.0".to_string(), "c".to_string()]
        );
    }

    #[test]
    fn sections_and_subpackages_are_read() {
        let e = parse(
            "Name: a\nVersion: 1\nSummary: s\nBuildRequires: make\n%description\nd\n\n\
             %package tools\nSummary: t\nRequires: a\n%description tools\ntd\n%prep\nx\n\
             #@pkgforge-import@ build\nmake\n%install\nmake install\n%files\n/usr/bin/a\n\
             %files tools\n%config(noreplace) /etc/a\n%post tools\necho\n",
        );
        assert_eq!(e.version, "1");
        assert_eq!(e.binaries[1].name, "a-tools");
        assert_eq!(e.binaries[1].description, "td");
        assert_eq!(e.binaries[0].description, "d");
        assert_eq!(e.build, "make");
        assert_eq!(e.binaries[1].files, vec!["%config(noreplace) /etc/a"]);
        assert_eq!(e.other_sections.len(), 1);
    }
}
