//! Loading: read, validate and resolve `packages.toml` and `changelog.toml` into a [`Model`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path};

use indexmap::IndexMap;
use regex::Regex;

use super::model::*;
use super::raw;
use super::source::{Seg, Source as Src};
use crate::changelog::{self, Entry};
use crate::distro::{self, Distro, Family, Format};
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::names::{self, NameTable};
use crate::path;
use crate::version::{escape_for_message, Version};

/// The changelog's file name, beside the manifest.
pub const CHANGELOG: &str = "changelog.toml";

/// Read and resolve the manifest at `path` and the changelog beside it.
pub fn load(path: &Path) -> Result<Model> {
    let text = read(
        path,
        "manifest",
        "pass --manifest PATH or run pkgforge where packages.toml is",
    )?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let changelog = read(
        &dir.join(CHANGELOG),
        "changelog",
        "create changelog.toml beside the manifest with one [[entry]] per upstream",
    )?;
    load_texts(path, text, changelog)
}

/// Resolve a manifest and changelog given as text, as if read from `path` and the
/// changelog beside it: how `bump` validates its edits before writing them.
pub fn load_texts(path: &Path, manifest: String, changelog: String) -> Result<Model> {
    let (src, raw): (Src, raw::Manifest) = Src::parse(path, manifest)?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let changelog_path = dir.join(CHANGELOG);
    let mut cx = Cx {
        src: &src,
        errs: Diagnostics::default(),
    };
    let partial = cx.resolve(&raw, &dir);
    cx.errs.into_result()?;
    #[allow(
        clippy::expect_used,
        reason = "resolve returns no model only after reporting an error"
    )]
    let mut model = partial.expect("no errors means a model");

    let (csrc, rawlog): (Src, raw::Changelog) = Src::parse(&changelog_path, changelog)?;
    let entries = resolve_changelog(&csrc, &rawlog, &model)?;
    attach_changelog(&src, &mut model, &entries)?;
    Ok(model)
}

fn read(path: &Path, what: &str, note: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::new(
            path,
            format!("cannot read the {what} `{}`: {e}", path.display()),
        )
        .note(note)
        .into()
    })
}

struct Cx<'a> {
    src: &'a Src,
    errs: Diagnostics,
}

fn lookup_keys() -> Vec<&'static str> {
    let mut v: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
    v.extend(["suse", "rhel", "rpm", "deb"]);
    v
}

/// The first RPM macro call in one-line text: `%name`, `%{`, `%(`, `%[`, `%?name`,
/// `%!name`, `%*`, `%#`, `%-x`. rpm expands these in tags and even in comments, and a
/// `%global` defined from harmless-looking pieces can build a `%(...)` later, so a single
/// line may hold none of them. `%%`, a `%` before a digit, a blank or the end stay literal.
pub fn macro_call(value: &str) -> Option<std::ops::Range<usize>> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'%') => i += 2,
            Some(c) if c.is_ascii_alphabetic() || matches!(c, b'_' | b'?' | b'!') => {
                let end = value[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '?' | '!')))
                    .map_or(value.len(), |n| i + 1 + n);
                return Some(i..end);
            }
            Some(b'{' | b'(' | b'[' | b'*' | b'#' | b'-') => return Some(i..i + 2),
            _ => i += 1,
        }
    }
    None
}

/// A diagnostic pointing at `sub`, a byte range of the string `value` at `path`, when the
/// file spells the string without escapes (also as a multi-line string); else at the
/// whole value.
fn diag_within(
    src: &Src,
    path: Vec<Seg>,
    value: &str,
    sub: Option<std::ops::Range<usize>>,
    message: impl Into<String>,
) -> Diagnostic {
    let span = src.span(&path).map(|whole| {
        let Some(sub) = sub.filter(|s| s.end <= value.len() && s.start <= s.end) else {
            return whole;
        };
        let raw = src.text.get(whole.clone()).unwrap_or("");
        for delim in ["\"\"\"", "'''", "\"", "'"] {
            let Some(inner) = raw.strip_prefix(delim).and_then(|r| r.strip_suffix(delim)) else {
                continue;
            };
            // a multi-line string drops the line break right after its opening quotes
            let skip = match delim.len() {
                3 if inner.starts_with("\r\n") => 2,
                3 if inner.starts_with('\n') => 1,
                _ => 0,
            };
            let body = inner.get(skip..).unwrap_or("");
            let base = whole.start + delim.len() + skip;
            if delim.starts_with('\'') || !body.contains('\\') {
                if body == value {
                    return base + sub.start..base + sub.start + (sub.end - sub.start).max(1);
                }
            } else if let Some(offsets) = basic_string_offsets(body, value) {
                let start = base + offsets[sub.start];
                let end = base + offsets[sub.end.max(sub.start + 1).min(value.len())];
                return start..end.max(start + 1);
            }
            break;
        }
        whole
    });
    Diagnostic::new(&src.path, message).at(&src.text, span)
}

/// For a TOML basic string's `body` (between the quotes) that decodes to `value`: the
/// offset in `body` where each byte of `value` starts, plus one past the end.
fn basic_string_offsets(body: &str, value: &str) -> Option<Vec<usize>> {
    let mut decoded = String::new();
    let mut offsets = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            offsets.extend(std::iter::repeat_n(i, c.len_utf8()));
            decoded.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        let ch = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'u' | 'U' | 'x' => {
                let n = match e {
                    'u' => 4,
                    'U' => 8,
                    _ => 2,
                };
                let hex: String = (0..n)
                    .filter_map(|_| chars.next().map(|(_, h)| h))
                    .collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            c if c.is_whitespace() => {
                // a line-ending backslash: the break and the blanks after it vanish
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        offsets.extend(std::iter::repeat_n(i, ch.len_utf8()));
        decoded.push(ch);
    }
    offsets.push(body.len());
    (decoded == value).then_some(offsets)
}

/// A version refused by [`version::check`]: underlined where it goes wrong, with the rule.
fn version_diag(src: &Src, path: Vec<Seg>, raw: &str, message: String) -> Diagnostic {
    diag_within(src, path, raw, version::problem_at(raw), message).note(
        "versions end up in specs, shell and file names: a digit first, then letters, digits and `.+~_-`, one separator at a time (strip a tag's `v` with tag-prefix)",
    )
}

/// The reason and, when regex shows one, the byte range in the pattern of a regex error.
fn regex_error(e: &regex::Error) -> (String, Option<std::ops::Range<usize>>) {
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let what = lines
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| {
            lines
                .last()
                .map(|l| l.trim().to_string())
                .unwrap_or_default()
        });
    // regex prints the pattern indented by four and carets under the bad part
    let at = lines.get(2).and_then(|carets| {
        let start = carets.find('^')?;
        let width = carets[start..].chars().take_while(|c| *c == '^').count();
        let start = start.checked_sub(4)?;
        (lines.len() == 4).then_some(start..start + width)
    });
    (what, at)
}

/// The package a dependency names, without a version constraint (`foo >= 1`, `foo (>= 1)`).
fn dependency_name(d: &str) -> &str {
    let d = d.trim();
    d.find([' ', '(', '<', '>', '=']).map_or(d, |i| &d[..i])
}

/// Package index -> the packages it requires, each with where the requirement is written.
type Graph = Vec<Vec<(usize, Vec<Seg>)>>;

/// The first cycle of a directed graph, as the nodes on it and where its closing edge is
/// written.
fn find_cycle(edges: &Graph) -> Option<(Vec<usize>, Vec<Seg>)> {
    // 0 = unvisited, 1 = on the stack, 2 = done
    fn visit(
        i: usize,
        edges: &Graph,
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<(Vec<usize>, Vec<Seg>)> {
        state[i] = 1;
        stack.push(i);
        for (k, at) in &edges[i] {
            if state[*k] == 1 {
                let from = stack.iter().position(|s| s == k).unwrap_or(0);
                return Some((stack[from..].to_vec(), at.clone()));
            }
            if state[*k] == 0 {
                if let Some(c) = visit(*k, edges, state, stack) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        state[i] = 2;
        None
    }
    let mut state = vec![0u8; edges.len()];
    for i in 0..edges.len() {
        if state[i] == 0 {
            if let Some(c) = visit(i, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// kiwi image types a description needs nothing more for than `<type image="..."/>`
// (oem needs a filesystem, appx a metadata path: kiwi's schematron refuses them bare).
const IMAGE_TYPES: &[&str] = &[
    "tbz", "docker", "oci", "iso", "pxe", "kis", "wsl", "enclave",
];

impl Cx<'_> {
    fn err(&mut self, path: Vec<Seg>, message: impl Into<String>) {
        let d = self.src.error(path, message);
        self.errs.push(d);
    }

    fn err_note(&mut self, path: Vec<Seg>, message: impl Into<String>, note: impl Into<String>) {
        let d = self.src.error(path, message).note(note);
        self.errs.push(d);
    }

    /// Text that becomes one line of a spec, a control file or XML.
    fn single_line(&mut self, path: Vec<Seg>, what: &str, value: &str) -> bool {
        if value.contains(['\n', '\r']) {
            self.err_note(
                path,
                format!("{what} must be a single line"),
                "a line break would start a new tag or field in the rendered files",
            );
            return false;
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            self.err(path, format!("{what} contains a control character"));
            return false;
        }
        match macro_call(value) {
            Some(at) => {
                self.macro_err(path, what, value, at);
                false
            }
            None => true,
        }
    }

    /// A diagnostic pointing at `sub`, a byte range of the string `value` at `path`.
    fn err_within(
        &mut self,
        path: Vec<Seg>,
        value: &str,
        sub: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
        note: Option<String>,
    ) {
        let d = diag_within(self.src, path, value, sub, message);
        self.errs.push(match note {
            Some(n) => d.note(n),
            None => d,
        });
    }

    /// A version refused by [`version::check`], underlined where it goes wrong.
    fn version_err(&mut self, path: Vec<Seg>, raw: &str, message: String) {
        let d = version_diag(self.src, path, raw, message);
        self.errs.push(d);
    }

    /// A commit or checksum that is not `len` lowercase hex digits: say what is wrong with it.
    fn hex_err(&mut self, path: Vec<Seg>, what: &str, value: &str, len: usize) {
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
        self.err_note(
            path,
            format!(
                "{what} `{}` is not {len} lowercase hex digits: {why}",
                escape_for_message(value)
            ),
            note,
        );
    }

    fn macro_err(&mut self, path: Vec<Seg>, what: &str, value: &str, at: std::ops::Range<usize>) {
        let found = value.get(at.clone()).unwrap_or("%");
        self.err_within(
            path,
            value,
            Some(at.clone()),
            format!(
                "{what} contains RPM macro syntax `{}`",
                escape_for_message(found)
            ),
            Some("macros would be expanded (and %(...) executed) when the spec is parsed; remove them".to_string()),
        );
    }

    /// Text of several lines that is escaped where it is rendered (descriptions, scripts):
    /// the macro forms that run code are refused outright, and no line may start with `%`,
    /// which rpm reads as a section or a conditional even when escaped as `%%`.
    fn no_macros(&mut self, path: Vec<Seg>, what: &str, value: &str) -> bool {
        if let Some(i) = ["%{", "%(", "%["]
            .iter()
            .filter_map(|pat| value.find(pat))
            .min()
        {
            self.macro_err(path, what, value, i..i + 2);
            return false;
        }
        let mut offset = 0;
        for (n, line) in value.split('\n').enumerate() {
            let indent = line.len() - line.trim_start().len();
            if line.trim_start().starts_with('%') {
                let word: String = line
                    .trim_start()
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let start = offset + indent;
                self.err_within(
                    path,
                    value,
                    Some(start..start + word.len()),
                    format!(
                        "line {} of {what} starts with `{}`",
                        n + 1,
                        escape_for_message(&word)
                    ),
                    Some("rpm reads a line starting with `%` as a section or a conditional (%package, %post, %if ...), even when it is escaped; reword the line".to_string()),
                );
                return false;
            }
            offset += line.len() + 1;
        }
        true
    }

    fn nonempty(&mut self, path: Vec<Seg>, what: &str, value: &str) -> bool {
        if value.trim().is_empty() {
            self.err(path, format!("{what} must not be empty"));
            false
        } else {
            true
        }
    }

    fn package_name(&mut self, path: Vec<Seg>, name: &str) -> bool {
        let why = if name.chars().count() < 2 {
            Some("it is shorter than two characters".to_string())
        } else if let Some(c) = name.chars().find(char::is_ascii_uppercase) {
            Some(format!("uppercase `{c}` is not allowed"))
        } else if let Some(c) = name.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
        }) {
            Some(format!("`{}` is not allowed", c.escape_default()))
        } else if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            Some(format!(
                "it starts with `{}`",
                name.chars().next().unwrap_or(' ')
            ))
        } else {
            None
        };
        match why {
            Some(why) => {
                self.err_note(
                    path,
                    format!(
                        "`{}` is not a valid package name: {why}",
                        escape_for_message(name)
                    ),
                    "use at least two lowercase letters, digits, `+`, `-` or `.`, starting with a letter or digit, so rpm and Debian both accept it",
                );
                false
            }
            None => true,
        }
    }

    fn url(&mut self, path: Vec<Seg>, what: &str, url: &str) -> bool {
        let schemes = ["https://", "http://", "git://", "file://", "ssh://", "git@"];
        if !schemes.iter().any(|s| url.starts_with(s)) {
            self.err_note(
                path,
                format!("{what} `{}` is not a URL", escape_for_message(url)),
                "use an https://, http://, git://, ssh:// or file:// URL",
            );
            return false;
        }
        if let Some((i, c)) = url.char_indices().find(|(_, c)| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
        }) {
            self.err_within(
                path,
                url,
                Some(i..i + c.len_utf8()),
                format!(
                    "{what} contains `{}`, which is not allowed in a URL",
                    c.escape_default()
                ),
                Some("percent-encode it (a space is %20, a quote %22)".to_string()),
            );
            return false;
        }
        if let Some(rest) = url.split_once("://").map(|(_, r)| r) {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            if let Some((userinfo, _)) = authority.rsplit_once('@') {
                if userinfo.contains(':') || url.starts_with("http") {
                    // Never repeat the credential in the message.
                    self.err_note(
                        path,
                        format!("{what} carries credentials before `@`"),
                        "rendered files, logs and error messages would show them; drop them and let git or GITHUB_TOKEN authenticate",
                    );
                    return false;
                }
            }
        }
        let bytes = url.as_bytes();
        if let Some(i) = (0..bytes.len()).find(|&i| {
            bytes[i] == b'%'
                && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        }) {
            let shown: String = url[i..].chars().take(3).collect();
            self.err_within(
                path,
                url,
                Some(i..i + shown.len()),
                format!(
                    "{what} contains `{}`, which is neither percent-encoding nor allowed in a URL",
                    escape_for_message(&shown)
                ),
                Some("a `%` in a URL starts two hex digits (%2F); rpm would read anything else as a macro".to_string()),
            );
            return false;
        }
        true
    }

    /// A path that stays under its root: relative (or absolute, for installed files) and free of `..`.
    fn safe_path(&mut self, path: Vec<Seg>, what: &str, p: &str, absolute: bool) -> bool {
        if !self.single_line(path.clone(), what, p) {
            return false;
        }
        if let Some((i, c)) = p
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || matches!(c, '%' | '"' | '\'' | '\\' | '$' | '`'))
        {
            self.err_within(
                path,
                p,
                Some(i..i + c.len_utf8()),
                format!(
                    "{what} `{}` contains `{}`, which is not allowed in a path here",
                    escape_for_message(p),
                    c.escape_default()
                ),
                Some("rpm's %files and Debian's .install files split paths at blanks, `%` starts an rpm macro, and quotes, `$`, backquotes and backslashes would reach a shell".to_string()),
            );
            return false;
        }
        let pp = Path::new(p);
        let escapes = pp.components().any(|c| matches!(c, Component::ParentDir));
        if escapes {
            let at = p
                .split('/')
                .scan(0, |offset, part| {
                    let start = *offset;
                    *offset += part.len() + 1;
                    Some((start, part))
                })
                .find(|(_, part)| *part == "..")
                .map(|(start, _)| start..start + 2);
            self.err_within(
                path,
                p,
                at,
                format!(
                    "{what} `{}` escapes its root with `..`",
                    escape_for_message(p)
                ),
                Some(if absolute {
                    "an installed file stays inside the package's build root; name it by its final path"
                } else {
                    "a file the manifest points to stays inside the manifest's directory"
                }
                .to_string()),
            );
            return false;
        }
        if absolute != pp.is_absolute() {
            let want = if absolute {
                "an absolute path such as /usr/bin/tool"
            } else {
                "a path relative to the manifest's directory"
            };
            self.err(
                path,
                format!("{what} `{}` must be {want}", escape_for_message(p)),
            );
            return false;
        }
        true
    }

    fn lookup_key(&mut self, path: Vec<Seg>, key: &str, distros: &[Distro]) -> bool {
        if lookup_keys().contains(&key) || distros.iter().any(|d| d.id == key) {
            return true;
        }
        self.err_note(
            path,
            format!("`{}` is neither a distro id, a family, a group nor a format", escape_for_message(key)),
            "use a distro id (see `pkgforge distros`), a family (opensuse, sle, fedora, centos, debian, ubuntu), a group (suse, rhel) or a format (rpm, deb)",
        );
        false
    }

    fn archs(&mut self, path: Vec<Seg>, archs: &[String], allow_noarch: bool) -> Vec<String> {
        let mut out = Vec::new();
        for (i, a) in archs.iter().enumerate() {
            let mut p = path.clone();
            p.push(Seg::Index(i));
            if !distro::KNOWN_ARCHS.contains(&a.as_str()) || (a == "noarch" && !allow_noarch) {
                // Debian's name of an rpm architecture: say which one was meant.
                let rpm_name = distro::KNOWN_ARCHS
                    .iter()
                    .find(|k| distro::arch_name(distro::Format::Deb, k) == *a && **k != a.as_str());
                let known = distro::KNOWN_ARCHS
                    .iter()
                    .filter(|k| allow_noarch || **k != "noarch")
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
                self.err_note(
                    p,
                    format!("unknown architecture `{}`", escape_for_message(a)),
                    match rpm_name {
                        Some(r) => format!(
                            "architectures are given by their rpm names: `{a}` is Debian's name of `{r}`; known architectures: {known}"
                        ),
                        None => format!("known architectures: {known}"),
                    },
                );
            } else if out.contains(a) {
                self.err(p, format!("architecture `{a}` is listed twice"));
            } else {
                out.push(a.clone());
            }
        }
        if out.len() > 1 && out.iter().any(|a| a == "noarch") {
            self.err(path, "`noarch` cannot be combined with other architectures");
        }
        out
    }

    fn resolve(&mut self, raw: &raw::Manifest, dir: &Path) -> Option<Model> {
        let distros = self.distros(raw);
        let project = self.project(&raw.project, &distros);
        let upstreams = self.upstreams(raw, dir);
        let names = self.names(raw, &distros);
        self.toolchains(raw);
        self.name_clashes(raw);
        let rootfs = self.rootfs(raw, dir, &distros, project.as_ref(), &upstreams, &names);
        let packages = self.packages(raw, dir, project.as_ref(), &upstreams, &names, &rootfs);
        let archive = self.archive(raw, &upstreams);
        let project = project?;
        Some(Model {
            dir: dir.to_path_buf(),
            project,
            upstreams,
            packages,
            rootfs,
            archive,
            distros,
        })
    }

    fn distros(&mut self, raw: &raw::Manifest) -> Vec<Distro> {
        let mut all = distro::builtin();
        #[allow(
            clippy::expect_used,
            reason = "a literal pattern; the tests compile it"
        )]
        let operand = Regex::new(r"%\{\??[A-Za-z_][A-Za-z0-9_]*\}").expect("static regex");
        for (id, o) in &raw.distros {
            let p = path!["distros", id];
            if !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
                || id.is_empty()
            {
                self.err(
                    p.clone(),
                    format!("`{}` is not a valid distro id", escape_for_message(id)),
                );
                continue;
            }
            if lookup_keys().contains(&id.as_str()) || id == "all" {
                self.err(
                    p.clone(),
                    format!("`{id}` is a family, group or format name and cannot be a distro id"),
                );
                continue;
            }
            let mut d = match all.iter().position(|d| &d.id == id) {
                Some(i) => all.remove(i),
                None => match o.family {
                    Some(f) => distro::template_for(id, f),
                    None => {
                        self.err_note(
                            p.clone(),
                            format!("distro `{id}` is not built in, so it needs a `family`"),
                            "add family = \"opensuse\" (or sle, fedora, centos, debian, ubuntu)",
                        );
                        continue;
                    }
                },
            };
            if let Some(f) = o.family {
                d.family = f;
            }
            let sub = |k: &str| {
                let mut q = p.clone();
                q.push(Seg::from(k));
                q
            };
            if let Some(v) = &o.name {
                self.single_line(sub("name"), "the distro name", v);
                d.name = v.clone();
            }
            if let Some(v) = &o.codename {
                if v.is_empty()
                    || !v.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.')
                    })
                {
                    self.err_note(
                        sub("codename"),
                        format!("`{}` is not a codename", escape_for_message(v)),
                        "a codename is a lowercase word such as bookworm or noble: it names the Debian changelog's distribution and kiwi's apt suite",
                    );
                }
                d.codename = Some(v.clone());
            }
            if let Some(v) = &o.obs_repository {
                self.single_line(sub("obs-repository"), "the OBS repository", v);
                d.obs_repository = v.clone();
            }
            if let Some(v) = &o.obs_paths {
                for (i, x) in v.iter().enumerate() {
                    let mut q = sub("obs-paths");
                    q.push(Seg::Index(i));
                    if x.split('/').count() != 2 || !self.single_line(q.clone(), "an OBS path", x) {
                        self.err(
                            q,
                            format!(
                                "OBS path `{}` must read `project/repository`",
                                escape_for_message(x)
                            ),
                        );
                    }
                }
                d.obs_paths = v.clone();
            }
            if let Some(v) = &o.macros {
                for (k, val) in v {
                    let mut q = sub("macros");
                    q.push(Seg::from(k));
                    if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        || !val.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
                    {
                        self.err(
                            q,
                            format!(
                                "macro `{}` must be a plain name with a plain value",
                                escape_for_message(k)
                            ),
                        );
                    }
                }
                d.macros = v.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            }
            if let Some(v) = &o.condition {
                // only `0%{?macro}` (or `%{macro}`) operands, numbers and operators: the
                // condition goes after `%if`, where rpm expands everything

                let rest = operand.replace_all(v, "");
                if v.trim().is_empty()
                    || rest.chars().any(|c| {
                        !(c.is_ascii_digit()
                            || matches!(c, ' ' | '=' | '<' | '>' | '!' | '&' | '|' | '(' | ')'))
                    })
                {
                    self.err_note(
                        sub("condition"),
                        "the condition must be one line of %{?macro} comparisons",
                        "for example condition = \"0%{?suse_version} >= 1600\": only %{?name} macros, numbers, comparisons, !, && and ||",
                    );
                }
                d.condition = v.clone();
            }
            if let Some(v) = &o.package_manager {
                if !["zypper", "dnf4", "dnf5", "apt", "microdnf"].contains(&v.as_str()) {
                    self.err(
                        sub("package-manager"),
                        format!(
                            "unknown package manager `{}`; use zypper, dnf4, dnf5, microdnf or apt",
                            escape_for_message(v)
                        ),
                    );
                }
                d.package_manager = v.clone();
            }
            if let Some(v) = &o.archs {
                d.archs = self.archs(sub("archs"), v, false);
            }
            if let Some(v) = &o.toolchains {
                for (k, val) in v {
                    let mut q = sub("toolchains");
                    q.push(Seg::from(k));
                    for x in val.to_vec() {
                        self.dependency(q.clone(), &x);
                    }
                    d.toolchains.insert(k.clone(), val.to_vec());
                }
            }
            self.repositories(&p, o, &mut d);
            all.push(d);
        }
        all
    }

    /// `repositories`, `add-repositories` and `optional-repositories` of `[distros.<id>]`.
    fn repositories(&mut self, p: &[Seg], o: &raw::DistroOverride, d: &mut Distro) {
        let deb = d.format() == distro::Format::Deb;
        let check = |this: &mut Self, key: &str, i: usize, r: &raw::Repository| {
            let mut q = p.to_vec();
            q.push(Seg::from(key));
            q.push(Seg::Index(i));
            let field = |k: &str| {
                let mut f = q.clone();
                f.push(Seg::from(k));
                f
            };
            let plain = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'))
            };
            if !plain(&r.name) {
                this.err(
                    field("name"),
                    format!(
                        "`{}` is not a repository name: use letters, digits and `-._/`",
                        escape_for_message(&r.name)
                    ),
                );
            }
            let scheme_ok = ["http://", "https://", "file://"]
                .iter()
                .any(|s| r.url.starts_with(s));
            if !scheme_ok || r.url.contains(char::is_whitespace) {
                this.err_note(
                    field("url"),
                    format!("`{}` is not a repository URL", escape_for_message(&r.url)),
                    "give an http://, https:// or file:// URL",
                );
            }
            if !deb && (r.suite.is_some() || r.components.is_some()) {
                this.err_note(
                    field(if r.suite.is_some() {
                        "suite"
                    } else {
                        "components"
                    }),
                    "only a Debian or Ubuntu repository has a suite and components",
                    "an rpm-md repository is its URL alone: the directory that holds repodata/",
                );
            }
            for (j, c) in r.components.iter().flatten().enumerate() {
                if !plain(c) {
                    let mut f = field("components");
                    f.push(Seg::Index(j));
                    this.err(f, format!("`{}` is not a component", escape_for_message(c)));
                }
            }
            if let Some(s) = &r.suite {
                if !plain(s) {
                    this.err(
                        field("suite"),
                        format!("`{}` is not a suite", escape_for_message(s)),
                    );
                }
            }
            distro::Repository {
                name: r.name.clone(),
                url: r.url.trim_end_matches('/').to_string(),
                suite: deb.then(|| r.suite.clone().unwrap_or_else(|| r.name.clone())),
                components: match (&r.components, deb) {
                    (Some(c), true) => c.clone(),
                    (None, true) => vec!["main".to_string()],
                    _ => Vec::new(),
                },
            }
        };
        if let Some(v) = &o.optional_repositories {
            d.optional_repositories = v
                .iter()
                .enumerate()
                .map(|(i, r)| check(self, "optional-repositories", i, r))
                .collect();
        }
        if let Some(v) = &o.repositories {
            d.repositories = v
                .iter()
                .enumerate()
                .map(|(i, r)| check(self, "repositories", i, r))
                .collect();
        }
        for (i, r) in o.add_repositories.iter().flatten().enumerate() {
            match r {
                raw::RepositoryOrName::Repository(r) => {
                    let r = check(self, "add-repositories", i, r);
                    d.repositories.push(r);
                }
                raw::RepositoryOrName::Name(n) => {
                    match d.optional_repositories.iter().find(|r| &r.name == n) {
                        Some(r) => d.repositories.push(r.clone()),
                        None => {
                            let mut q = p.to_vec();
                            q.push(Seg::from("add-repositories"));
                            q.push(Seg::Index(i));
                            let known: Vec<&str> = d
                                .optional_repositories
                                .iter()
                                .map(|r| r.name.as_str())
                                .collect();
                            self.err_note(
                                q,
                                format!(
                                    "`{}` is not an optional repository of {}",
                                    escape_for_message(n),
                                    d.id
                                ),
                                if known.is_empty() {
                                    "give the repository as a table: { name = \"...\", url = \"...\" }".to_string()
                                } else {
                                    format!("optional repositories: {}", known.join(", "))
                                },
                            );
                        }
                    }
                }
            }
        }
    }

    fn project(&mut self, p: &raw::Project, distros: &[Distro]) -> Option<Project> {
        self.single_line(path!["project", "name"], "the project name", &p.name);
        self.nonempty(path!["project", "name"], "the project name", &p.name);
        self.single_line(
            path!["project", "maintainer"],
            "the maintainer",
            &p.maintainer,
        );
        if !p.maintainer.contains('<') || !p.maintainer.trim_end().ends_with('>') {
            self.err_note(
                path!["project", "maintainer"],
                "the maintainer must read `Name <email>`",
                "for example maintainer = \"Jane Packager <jane@example.org>\"",
            );
        }
        if let Some(h) = &p.homepage {
            self.url(path!["project", "homepage"], "the homepage", h);
        }
        let license = p
            .license
            .clone()
            .unwrap_or_else(|| "Apache-2.0".to_string());
        if let Some(l) = &p.license {
            self.single_line(path!["project", "license"], "the license", l);
        }
        let obs_ok = |s: &str| {
            !s.is_empty()
                && s.split(':').all(|part| {
                    !part.is_empty()
                        && part.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+')
                        })
                })
        };
        if !obs_ok(&p.obs_project) {
            self.err(
                path!["project", "obs-project"],
                format!(
                    "`{}` is not an OBS project name such as home:user:project",
                    escape_for_message(&p.obs_project)
                ),
            );
        }
        let archive_project = p
            .archive_project
            .clone()
            .unwrap_or_else(|| format!("{}:archive", p.obs_project));
        if p.archive_project.is_some() && !obs_ok(&archive_project) {
            self.err(
                path!["project", "archive-project"],
                format!(
                    "`{}` is not an OBS project name",
                    escape_for_message(&archive_project)
                ),
            );
        }
        if let Some(api) = &p.github_api {
            self.url(path!["project", "github-api"], "the GitHub API base", api);
        }
        let mut targets = Vec::new();
        if p.targets.is_empty() {
            self.err(
                path!["project", "targets"],
                "the project needs at least one target",
            );
        }
        for (i, t) in p.targets.iter().enumerate() {
            match distros.iter().find(|d| &d.id == t) {
                Some(d) if targets.iter().any(|x: &Distro| x.id == d.id) => {
                    self.err(
                        path!["project", "targets", i],
                        format!("target `{t}` is listed twice"),
                    );
                }
                Some(d) => targets.push(d.clone()),
                None => self.err_note(
                    path!["project", "targets", i],
                    format!("unknown distro `{}`", escape_for_message(t)),
                    format!(
                        "known distros: {}; add others under [distros.<id>]",
                        distros
                            .iter()
                            .map(|d| d.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
        let archs = match &p.archs {
            Some(a) => {
                let v = self.archs(path!["project", "archs"], a, false);
                if a.is_empty() {
                    self.err(
                        path!["project", "archs"],
                        "the project needs at least one architecture",
                    );
                }
                v
            }
            None => vec!["x86_64".to_string()],
        };
        Some(Project {
            name: p.name.clone(),
            maintainer: p.maintainer.clone(),
            homepage: p.homepage.clone(),
            license,
            obs_project: p.obs_project.clone(),
            archive_project,
            keep_archived: p.keep_archived.unwrap_or(3),
            targets,
            archs,
            github_api: p.github_api.clone(),
        })
    }

    fn upstreams(&mut self, raw: &raw::Manifest, dir: &Path) -> Vec<Upstream> {
        let mut out = Vec::new();
        for (name, u) in &raw.upstreams {
            let p = |k: &str| path!["upstreams", name, k];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                self.err(
                    path!["upstreams", name],
                    format!(
                        "`{}` is not a valid upstream name",
                        escape_for_message(name)
                    ),
                );
                continue;
            }
            let version = match Version::parse(&u.version, u.epoch) {
                Ok(v) => v,
                Err(e) => {
                    self.version_err(p("version"), &u.version, e);
                    continue;
                }
            };
            if let Some(g) = &u.git {
                self.url(p("git"), "the git URL", g);
            }
            if let Some(gh) = &u.github {
                let ok = gh.split('/').count() == 2
                    && gh.split('/').all(|s| {
                        !s.is_empty()
                            && s.chars()
                                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    });
                if !ok {
                    self.err_note(
                        p("github"),
                        format!("`{}` is not a GitHub repository", escape_for_message(gh)),
                        "write it as owner/name, e.g. kata-containers/kata-containers",
                    );
                }
            }
            let tag_prefix = u.tag_prefix.clone().unwrap_or_default();
            if u.tag_prefix.is_some()
                && self.single_line(p("tag-prefix"), "the tag prefix", &tag_prefix)
                && tag_prefix.chars().any(|c| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '$' | '`' | '\\' | '"' | '\'' | '%' | '~' | '^' | ':' | '?' | '*' | '['
                        )
                })
            {
                self.err(
                    p("tag-prefix"),
                    "the tag prefix contains a character git does not allow in tags",
                );
            }
            if u.tag_prefix.is_some() && u.tag_pattern.is_some() {
                self.err_note(
                    p("tag-pattern"),
                    "give either `tag-prefix` or `tag-pattern`, not both",
                    "tag-prefix strips a fixed prefix (v1.2.0); tag-pattern's `version` group picks the version out of any other tag",
                );
            }
            if let Some(pat) = &u.tag_pattern {
                match Regex::new(pat) {
                    Ok(re) if re.capture_names().flatten().any(|n| n == "version") => {}
                    Ok(_) => self.err_note(
                        p("tag-pattern"),
                        "the tag pattern has no group named `version`",
                        "write it like ^release-(?P<version>[0-9.]+)$",
                    ),
                    Err(e) => {
                        let (what, at) = regex_error(&e);
                        self.err_within(
                            p("tag-pattern"),
                            pat,
                            at,
                            format!("the tag pattern is not a valid regex: {what}"),
                            Some("write it like ^release-(?P<version>[0-9.]+)$".to_string()),
                        );
                    }
                }
            }
            let track = match &u.track {
                Some(t) => match semver::VersionReq::parse(t) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        self.err_note(
                            p("track"),
                            format!(
                                "`{}` is not a semver requirement: {e}",
                                escape_for_message(t)
                            ),
                            "for example track = \"^3\" or \"~6.6\"",
                        );
                        None
                    }
                },
                None => None,
            };
            for (i, ig) in u.ignore.iter().enumerate() {
                if let Err(e) = version::check(ig) {
                    self.version_err(path!["upstreams", name, "ignore", i], ig, e);
                }
            }
            let source = match (&u.tarball, &u.git) {
                (Some(t), git) => {
                    self.url(p("tarball"), "the tarball URL", t);
                    if !t.contains("{version}") {
                        self.err_note(p("tarball"), "the tarball URL has no `{version}`", "write the URL with {version} where the version goes, so bump can fetch new releases");
                    }
                    // the file name OBS downloads, the spec unpacks and debtransform names
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
                    if !tarball
                        || !file.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~' | '-')
                        })
                    {
                        let at = t.rfind('/').map(|i| i + 1..t.len());
                        self.err_within(
                            p("tarball"),
                            t,
                            at,
                            "the tarball URL must end with the tarball's file name",
                            Some("such as https://example.org/demo-{version}.tar.xz, without a query: OBS downloads the file by that name, and the spec and debtransform unpack it by that name".to_string()),
                        );
                    }
                    if u.commit.is_some() {
                        self.err_note(
                            p("commit"),
                            "a tarball upstream is pinned by `sha256`, not `commit`",
                            "drop `commit`: the tarball's checksum pins it (bump records it)",
                        );
                    }
                    let sha = u.sha256.clone().unwrap_or_default();
                    if u.sha256.is_none() {
                        self.err_note(
                            path!["upstreams", name],
                            "a tarball upstream needs `sha256`",
                            "add sha256 = \"<64 hex digits>\" (bump records it for you)",
                        );
                    } else if !is_hex(&sha, 64) {
                        self.hex_err(p("sha256"), "sha256", &sha, 64);
                    }
                    Source::Tarball {
                        url: t.replace("{version}", &version.raw),
                        pattern: t.clone(),
                        sha256: sha,
                        git: git.clone(),
                    }
                }
                (None, Some(g)) => {
                    if u.sha256.is_some() {
                        self.err(p("sha256"), "`sha256` belongs to tarball upstreams; a git upstream is pinned by `commit`");
                    }
                    let commit = u.commit.clone().unwrap_or_default();
                    match &u.commit {
                        None => self.err_note(path!["upstreams", name], "a git upstream needs `commit`", "pin the commit the release tag points to: git rev-parse <tag>^{commit}"),
                        Some(c) if !is_hex(c, 40) => self.hex_err(p("commit"), "commit", c, 40),
                        _ => {}
                    }
                    Source::Git {
                        url: g.clone(),
                        commit,
                    }
                }
                (None, None) => {
                    self.err_note(path!["upstreams", name], format!("upstream `{name}` has neither `git` nor `tarball`"), "add git = \"https://...\" with a commit, or tarball = \"https://.../name-{version}.tar.xz\" with a sha256");
                    continue;
                }
            };
            let signing = self.signing(name, u, &source, dir);
            out.push(Upstream {
                name: name.clone(),
                source,
                github: u.github.clone(),
                tag_prefix,
                tag_pattern: u.tag_pattern.clone(),
                version,
                track,
                prereleases: u.prereleases.unwrap_or(false),
                ignore: u.ignore.clone(),
                signing,
            });
        }
        out
    }

    /// `keyring`, `signature`, `signed` and `signed-tags` of one upstream: the keyring must
    /// read as OpenPGP public keys, and every upstream with one must have something to verify.
    fn signing(
        &mut self,
        name: &str,
        u: &raw::Upstream,
        source: &Source,
        dir: &Path,
    ) -> Option<Signing> {
        let p = |k: &str| path!["upstreams", name, k];
        let is_tarball = matches!(source, Source::Tarball { .. });
        let Some(keyring_path) = &u.keyring else {
            for (key, set) in [
                ("signature", u.signature.is_some()),
                ("signed", u.signed.is_some()),
                ("signed-tags", u.signed_tags == Some(true)),
            ] {
                if set {
                    self.err_note(
                        p(key),
                        format!("`{key}` needs a `keyring` to verify with"),
                        "add keyring = \"keys/<upstream>.asc\": the armored public keys of the upstream's release managers, checked out of band",
                    );
                }
            }
            return None;
        };
        if !self.safe_path(p("keyring"), "the keyring", keyring_path, false) {
            return None;
        }
        let bytes = match std::fs::read(dir.join(keyring_path)) {
            Ok(b) => b,
            Err(e) => {
                self.err_note(
                    p("keyring"),
                    format!("cannot read the keyring `{keyring_path}`: {e}"),
                    "the keyring is read relative to the manifest's directory; export it with gpg --export --armor FINGERPRINT > keys/<upstream>.asc",
                );
                return None;
            }
        };
        let keys = match crate::openpgp::Keyring::parse(&bytes) {
            Ok(k) => k,
            Err(e) => {
                self.err_note(
                    p("keyring"),
                    format!(
                        "the keyring `{keyring_path}` is not a set of OpenPGP public keys: {e}"
                    ),
                    "export it with gpg --export --armor FINGERPRINT > keys/<upstream>.asc",
                );
                return None;
            }
        };
        let mut ok = true;
        if is_tarball {
            if u.signed_tags.is_some() {
                self.err_note(
                    p("signed-tags"),
                    "`signed-tags` applies to git upstreams; a tarball upstream is verified by its `signature`",
                    "drop `signed-tags`",
                );
                ok = false;
            }
            match &u.signature {
                None => {
                    self.err_note(
                        path!["upstreams", name],
                        format!("upstream `{name}` has a keyring but no `signature`"),
                        "add signature = \"{url}.asc\" (or wherever upstream publishes the signature of each tarball)",
                    );
                    ok = false;
                }
                Some(sig) => {
                    if !sig.contains("{url}") && !sig.contains("{version}") {
                        self.err_note(
                            p("signature"),
                            "the signature URL has neither `{url}` nor `{version}`",
                            "write it like \"{url}.sign\" or \"https://example.org/demo-{version}.tar.asc\", so every release gets its own",
                        );
                        ok = false;
                    } else {
                        match sig.strip_prefix("{url}") {
                            Some(rest) => {
                                let plain = rest.chars().all(|c| {
                                    c.is_ascii_alphanumeric()
                                        || matches!(c, '.' | '_' | '-' | '~' | '+' | '/')
                                });
                                if !plain {
                                    self.err_note(
                                        p("signature"),
                                        "what follows `{url}` in the signature URL must be a plain file suffix",
                                        "such as \"{url}.asc\" or \"{url}.sign\"",
                                    );
                                    ok = false;
                                }
                            }
                            None => ok &= self.url(p("signature"), "the signature URL", sig),
                        }
                    }
                }
            }
            if u.signed == Some(Signed::Uncompressed) {
                let compressed = u.tarball.as_deref().is_some_and(|t| {
                    [".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar.zst"]
                        .iter()
                        .any(|ext| t.ends_with(ext))
                });
                if !compressed {
                    self.err_note(
                        p("signed"),
                        "`signed = \"uncompressed\"` needs a compressed tarball (.tar.xz, .tar.gz, .tgz, .tar.bz2 or .tar.zst)",
                        "for a plain .tar, the tarball is what is signed: drop `signed`",
                    );
                    ok = false;
                }
            }
        } else {
            for (key, set) in [
                ("signature", u.signature.is_some()),
                ("signed", u.signed.is_some()),
            ] {
                if set {
                    self.err_note(
                        p(key),
                        format!("`{key}` applies to tarball upstreams; a git upstream's tags carry their signatures"),
                        "drop it and set signed-tags = true",
                    );
                    ok = false;
                }
            }
            if u.signed_tags != Some(true) {
                self.err_note(
                    p("keyring"),
                    format!("upstream `{name}` has a keyring but does not require signed tags"),
                    "add signed-tags = true: a git upstream is verified by its signed release tags",
                );
                ok = false;
            }
        }
        ok.then(|| Signing {
            keyring_path: keyring_path.clone(),
            keyring: bytes,
            keys,
            signature: u.signature.clone(),
            signed: u.signed.unwrap_or(Signed::Tarball),
            signed_tags: u.signed_tags == Some(true),
        })
    }

    fn names(&mut self, raw: &raw::Manifest, distros: &[Distro]) -> NameTable {
        let mut out = NameTable::new();
        for (logical, keys) in &raw.names {
            let mut m = IndexMap::new();
            for (k, v) in keys {
                if self.lookup_key(path!["names", logical, k], k, distros) {
                    let list = v.to_vec();
                    for x in &list {
                        self.dependency(path!["names", logical, k], x);
                    }
                    m.insert(k.clone(), list);
                }
            }
            out.insert(logical.clone(), m);
        }
        out
    }

    fn toolchains(&mut self, raw: &raw::Manifest) {
        for (k, v) in &raw.toolchains {
            if let Err(e) = version::check(v) {
                self.version_err(path!["toolchains", k], v, e);
            }
        }
    }

    fn rootfs(
        &mut self,
        raw: &raw::Manifest,
        dir: &Path,
        distros: &[Distro],
        project: Option<&Project>,
        upstreams: &[Upstream],
        names: &NameTable,
    ) -> Vec<Rootfs> {
        let mut out = Vec::new();
        for (i, r) in raw.rootfs.iter().enumerate() {
            let p = |k: &str| path!["rootfs", i, k];
            let mut ok = self.package_name(p("name"), &r.name);
            ok &= self.single_line(p("summary"), "the summary", &r.summary)
                && self.nonempty(p("summary"), "the summary", &r.summary);
            let version = match (&r.upstream, &r.version) {
                (Some(u), None) => match upstreams.iter().find(|x| &x.name == u) {
                    Some(up) => Some(up.version.clone()),
                    None => {
                        self.unknown_upstream(p("upstream"), u, raw);
                        None
                    }
                },
                (None, Some(v)) => match Version::parse(v, None) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        self.version_err(p("version"), v, e);
                        None
                    }
                },
                (Some(_), Some(_)) => {
                    self.err(p("version"), "give either `upstream` or `version`, not both: the image version follows its upstream");
                    None
                }
                (None, None) => {
                    self.err_note(
                        path!["rootfs", i],
                        format!("rootfs `{}` has neither `upstream` nor `version`", r.name),
                        "add upstream = \"<name>\" or version = \"1.0.0\"",
                    );
                    None
                }
            };
            let mut bases = Vec::new();
            if r.bases.is_empty() {
                self.err(p("bases"), "a rootfs needs at least one base");
            }
            for (j, b) in r.bases.iter().enumerate() {
                match distros.iter().find(|d| &d.id == b) {
                    Some(_) if bases.iter().any(|x: &Distro| &x.id == b) => self.err(
                        path!["rootfs", i, "bases", j],
                        format!("base `{b}` is listed twice"),
                    ),
                    Some(d) => bases.push(d.clone()),
                    None => self.err_note(
                        path!["rootfs", i, "bases", j],
                        format!("unknown distro `{}`", escape_for_message(b)),
                        "a base is a distro id; see `pkgforge distros`",
                    ),
                }
            }
            if let Some(db) = &r.default_base {
                if !r.bases.contains(db) {
                    self.err_note(
                        p("default-base"),
                        format!(
                            "default base `{}` is not one of the rootfs's bases",
                            escape_for_message(db)
                        ),
                        format!("bases: {}", r.bases.join(", ")),
                    );
                }
            }
            for (j, pk) in r.packages.iter().enumerate() {
                self.single_line(path!["rootfs", i, "packages", j], "an image package", pk);
            }
            let image_type = r.image_type.clone().unwrap_or_else(|| "tbz".to_string());
            if !IMAGE_TYPES.contains(&image_type.as_str()) {
                self.err_note(
                    p("image-type"),
                    format!(
                        "unknown kiwi image type `{}`",
                        escape_for_message(&image_type)
                    ),
                    format!("use one of {}", IMAGE_TYPES.join(", ")),
                );
            }
            if let Some(d) = &r.description {
                // XML 1.0 cannot carry control characters, escaped or not
                if d.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    self.err(
                        p("description"),
                        "the description contains a control character",
                    );
                }
            }
            let description = r.description.clone().unwrap_or_else(|| r.summary.clone());
            let archs = match &r.archs {
                Some(a) => self.archs(p("archs"), a, false),
                None => project.map(|p| p.archs.clone()).unwrap_or_default(),
            };
            let kiwi = self.rootfs_kiwi(i, r, raw, dir, &bases, &archs, project, names);
            if let (true, Some(version), Some(kiwi)) = (ok && !bases.is_empty(), version, kiwi) {
                out.push(Rootfs {
                    name: r.name.clone(),
                    summary: r.summary.clone(),
                    description,
                    upstream: r.upstream.clone(),
                    version,
                    bases,
                    packages: r.packages.clone(),
                    image_type,
                    default_base: r.default_base.clone(),
                    archs,
                    images: kiwi.images,
                    agent: kiwi.agent,
                    users: kiwi.users,
                    profiles: kiwi.profiles,
                });
            }
        }
        out
    }

    /// The kiwi side of one `[[rootfs]]`: validate its image keys and resolve, per base,
    /// what the description holds. `None` when something was reported.
    #[allow(clippy::too_many_arguments)]
    fn rootfs_kiwi(
        &mut self,
        i: usize,
        r: &raw::Rootfs,
        raw: &raw::Manifest,
        dir: &Path,
        bases: &[Distro],
        archs: &[String],
        project: Option<&Project>,
        names: &NameTable,
    ) -> Option<RootfsKiwi> {
        let before = self.errs.0.len();
        let p = |k: &str| path!["rootfs", i, k];
        let local: HashSet<&str> = raw.packages.iter().map(|p| p.name.as_str()).collect();
        if let Some(project) = project {
            for (j, b) in bases.iter().enumerate() {
                if !project.targets.iter().any(|t| t.id == b.id) {
                    let j = r.bases.iter().position(|x| x == &b.id).unwrap_or(j);
                    self.err_note(
                        path!["rootfs", i, "bases", j],
                        format!("base `{}` is not one of the project's targets", b.id),
                        "OBS builds the image in the repository of its base: add the base to [project] targets",
                    );
                }
            }
        }
        for b in bases {
            if b.format() == Format::Deb && b.codename.is_none() {
                self.err_note(
                    p("bases"),
                    format!(
                        "base `{}` has no codename, which kiwi's apt repository needs",
                        b.id
                    ),
                    format!("add codename = \"...\" under [distros.{}]", b.id),
                );
            }
        }
        self.image_packages(p("packages"), &r.packages);
        self.arch_packages(p("arch-packages"), &r.arch_packages, archs);
        self.image_packages(p("delete"), &r.delete);
        if let Some(body) = &r.config_sh {
            self.script(p("config-sh"), body);
        }
        for (k, o) in &r.distro {
            let q = |key: &str| path!["rootfs", i, "distro", k, key];
            if !self.lookup_key(path!["rootfs", i, "distro", k], k, bases) {
                continue;
            }
            if !bases
                .iter()
                .any(|b| distro::key_specificity(k, b).is_some())
            {
                self.err_note(
                    path!["rootfs", i, "distro", k],
                    format!(
                        "`{}` selects none of the rootfs's bases",
                        escape_for_message(k)
                    ),
                    format!("bases: {}", r.bases.join(", ")),
                );
            }
            for (key, list) in [
                ("packages", &o.packages),
                ("bootstrap-packages", &o.bootstrap_packages),
                ("delete", &o.delete),
            ] {
                if let Some(list) = list {
                    self.image_packages(q(key), list);
                }
            }
            if let Some(a) = &o.arch_packages {
                self.arch_packages(q("arch-packages"), a, archs);
            }
            if let Some(body) = &o.config_sh {
                self.script(q("config-sh"), body);
            }
        }
        let agent = r
            .agent
            .as_ref()
            .and_then(|a| self.agent(i, a, dir, &r.name));
        let users = self.users(i, &r.users);
        let mut profiles = Vec::new();
        for (j, pr) in r.profiles.iter().enumerate() {
            let q = |key: &str| path!["rootfs", i, "profiles", j, key];
            let valid = pr.name.len() <= 32
                && !pr.name.is_empty()
                && !pr.name.starts_with(['.', '-'])
                && pr
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                self.err_note(
                    q("name"),
                    format!("`{}` is not a valid profile name", escape_for_message(&pr.name)),
                    "use up to 32 letters, digits, `_`, `-` or `.`: it names a kiwi profile and an OBS multibuild flavor",
                );
            } else if profiles.iter().any(|x: &Profile| x.name == pr.name) {
                self.err(q("name"), format!("profile `{}` is listed twice", pr.name));
            }
            if self.single_line(q("description"), "the profile description", &pr.description) {
                self.nonempty(q("description"), "the profile description", &pr.description);
            }
            self.image_packages(q("packages"), &pr.packages);
            self.arch_packages(q("arch-packages"), &pr.arch_packages, archs);
            profiles.push(Profile {
                name: pr.name.clone(),
                description: pr.description.clone(),
            });
        }
        for (j, repo) in r.repositories.iter().enumerate() {
            self.repository(i, j, repo, bases);
        }

        let mut images = Vec::new();
        for b in bases {
            let key = names::most_specific(r.distro.keys(), b);
            let o = key.map(|k| &r.distro[k]);
            // Where each list comes from, to point at it when a name resolves badly.
            let at = |field: &str| match (
                key,
                o.map(|o| match field {
                    "packages" => o.packages.is_some(),
                    "delete" => o.delete.is_some(),
                    "bootstrap-packages" => o.bootstrap_packages.is_some(),
                    _ => o.arch_packages.is_some(),
                }),
            ) {
                (Some(k), Some(true)) => path!["rootfs", i, "distro", k, field],
                _ => path!["rootfs", i, field],
            };
            let resolve = |cx: &mut Self, path: Vec<Seg>, list: &[String]| -> Vec<String> {
                let mut v = Vec::new();
                for (j, d) in list.iter().enumerate() {
                    let mut q = path.clone();
                    q.push(Seg::Index(j));
                    let got = resolve_dep(d, b, names, &local, &[]);
                    for n in &got {
                        if !is_image_package(n) {
                            cx.err_note(
                                q.clone(),
                                format!(
                                    "`{}` resolves to `{}` on {}, which is not a package name kiwi can install",
                                    escape_for_message(d),
                                    escape_for_message(n),
                                    b.id
                                ),
                                "image packages are plain names; map the name in [names] without version constraints",
                            );
                        }
                    }
                    push_unique(&mut v, got);
                }
                v
            };
            let bootstrap = match o.and_then(|o| o.bootstrap_packages.as_ref()) {
                Some(list) => resolve(self, at("bootstrap-packages"), list),
                None => b.bootstrap.clone(),
            };
            let mut packages = resolve(
                self,
                at("packages"),
                o.and_then(|o| o.packages.as_ref()).unwrap_or(&r.packages),
            );
            if let Some(Agent {
                source: AgentSource::Package(name),
                ..
            }) = &agent
            {
                push_unique(&mut packages, resolve_dep(name, b, names, &local, &[]));
            }
            let arch_src = o
                .and_then(|o| o.arch_packages.as_ref())
                .unwrap_or(&r.arch_packages);
            let arch_packages = arch_list(arch_src, archs, |list| {
                resolve(self, at("arch-packages"), list)
            });
            let delete = resolve(
                self,
                at("delete"),
                o.and_then(|o| o.delete.as_ref()).unwrap_or(&r.delete),
            );
            let config_sh = o
                .and_then(|o| o.config_sh.clone())
                .or_else(|| r.config_sh.clone());
            let build_can_fail = o.and_then(|o| o.build_can_fail).unwrap_or(false);
            let repositories = r
                .repositories
                .iter()
                .filter(|x| match &x.bases {
                    None => true,
                    Some(keys) => keys.iter().any(|k| distro::key_specificity(k, b).is_some()),
                })
                .map(|x| Repository {
                    source: x.source.replace("{obs-repository}", &b.obs_repository),
                    alias: x.alias.clone(),
                    priority: x.priority,
                    distribution: match b.format() {
                        Format::Deb => x.distribution.clone().or_else(|| b.codename.clone()),
                        Format::Rpm => None,
                    },
                    components: match b.format() {
                        Format::Deb => Some(x.components.clone().unwrap_or_else(|| "main".into())),
                        Format::Rpm => None,
                    },
                })
                .collect();
            let profile_packages = r
                .profiles
                .iter()
                .enumerate()
                .map(|(j, pr)| ProfilePackages {
                    packages: resolve(
                        self,
                        path!["rootfs", i, "profiles", j, "packages"],
                        &pr.packages,
                    ),
                    arch_packages: arch_list(&pr.arch_packages, archs, |list| {
                        resolve(
                            self,
                            path!["rootfs", i, "profiles", j, "arch-packages"],
                            list,
                        )
                    }),
                })
                .collect();
            images.push(Image {
                base: b.id.clone(),
                bootstrap,
                packages,
                arch_packages,
                delete,
                repositories,
                config_sh,
                build_can_fail,
                profiles: profile_packages,
            });
        }
        if !images.is_empty() && images.iter().all(|im| im.build_can_fail) {
            self.err_note(
                p("bases"),
                format!("every base of rootfs `{}` has build-can-fail", r.name),
                "at least one base must be expected to build: it is the image packages get",
            );
        }
        if let Some(db) = &r.default_base {
            if images.iter().any(|im| &im.base == db && im.build_can_fail) {
                self.err_note(
                    p("default-base"),
                    format!("default base `{db}` has build-can-fail"),
                    "packages must not depend on an image whose build may fail; pick another default-base",
                );
            }
        }
        (self.errs.0.len() == before).then_some(RootfsKiwi {
            images,
            agent,
            users,
            profiles,
        })
    }

    /// Names of packages kiwi installs or deletes: one plain name each.
    fn image_packages(&mut self, path: Vec<Seg>, list: &[String]) {
        for (j, pk) in list.iter().enumerate() {
            let mut q = path.clone();
            q.push(Seg::Index(j));
            if self.single_line(q.clone(), "an image package", pk)
                && self.nonempty(q.clone(), "an image package", pk)
                && !is_image_package(pk)
            {
                self.err_note(
                    q,
                    format!("`{}` is not a package name", escape_for_message(pk)),
                    "image packages are plain names: letters, digits and `+-._:()`, no spaces or version constraints",
                );
            }
        }
    }

    fn arch_packages(
        &mut self,
        path: Vec<Seg>,
        map: &IndexMap<String, Vec<String>>,
        archs: &[String],
    ) {
        for (a, list) in map {
            let mut q = path.clone();
            q.push(Seg::from(a));
            if !archs.contains(a) {
                self.err_note(
                    q.clone(),
                    format!(
                        "the image is not built for architecture `{}`",
                        escape_for_message(a)
                    ),
                    format!("the rootfs's archs: {}", archs.join(", ")),
                );
            }
            self.image_packages(q, list);
        }
    }

    /// A shell script body run by kiwi inside the image.
    fn script(&mut self, path: Vec<Seg>, body: &str) {
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            self.err(path, "the script contains a control character");
        } else if body.starts_with("#!") {
            self.err_note(
                path,
                "the script body must not start with `#!`",
                "pkgforge writes config.sh's first lines itself (bash, `set -euo pipefail`, kiwi's /.kconfig and /.profile); give only the commands",
            );
        }
    }

    fn agent(&mut self, i: usize, a: &raw::RootfsAgent, dir: &Path, rootfs: &str) -> Option<Agent> {
        let p = |k: &str| path!["rootfs", i, "agent", k];
        let init = a.init.unwrap_or(false);
        match (&a.package, &a.file) {
            (Some(name), None) => {
                if let Some(target) = &a.path {
                    if !self.safe_path(p("path"), "the agent path", target, true) {
                        return None;
                    }
                }
                self.image_packages(path!["rootfs", i, "agent"], std::slice::from_ref(name));
                Some(Agent {
                    source: AgentSource::Package(name.clone()),
                    path: a
                        .path
                        .clone()
                        .unwrap_or_else(|| DEFAULT_AGENT_PATH.to_string()),
                    init,
                })
            }
            (None, Some(file)) => {
                if !self.safe_path(p("file"), "the agent file", file, false) {
                    return None;
                }
                let target = a
                    .path
                    .clone()
                    .unwrap_or_else(|| DEFAULT_AGENT_PATH.to_string());
                if !self.safe_path(p("path"), "the agent path", &target, true) {
                    return None;
                }
                let name = Path::new(file)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let reserved = name.starts_with(['_', '.'])
                    || name == "config.sh"
                    || name == format!("{rootfs}.kiwi")
                    || name.ends_with(".kiwi");
                if reserved || name.is_empty() {
                    self.err_note(
                        p("file"),
                        format!("the agent file cannot be named `{}` in the OBS package", escape_for_message(&name)),
                        "rename it: names starting with `_` or `.`, `config.sh` and `*.kiwi` belong to OBS and kiwi",
                    );
                    return None;
                }
                match std::fs::read(dir.join(file)) {
                    Ok(content) => Some(Agent {
                        source: AgentSource::File {
                            name,
                            path: file.to_string(),
                            content,
                        },
                        path: target,
                        init,
                    }),
                    Err(e) => {
                        self.err(
                            p("file"),
                            format!("cannot read the agent file `{file}`: {e}"),
                        );
                        None
                    }
                }
            }
            (Some(_), Some(_)) => {
                self.err(
                    path!["rootfs", i, "agent"],
                    "give the agent as a `package` or a `file`, not both",
                );
                None
            }
            (None, None) => {
                self.err_note(
                    path!["rootfs", i, "agent"],
                    "the agent needs a `package` or a `file`",
                    "package = \"kata-agent\" installs the package; file = \"path/to/kata-agent\" ships a binary beside the manifest",
                );
                None
            }
        }
    }

    fn users(&mut self, i: usize, raw_users: &[raw::RootfsUser]) -> Vec<User> {
        let mut out: Vec<User> = Vec::new();
        for (j, u) in raw_users.iter().enumerate() {
            let q = |k: &str| path!["rootfs", i, "users", j, k];
            let mut ok = true;
            let name_ok = !u.name.is_empty()
                && u.name.len() <= 32
                && u.name
                    .starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && u.name.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')
                });
            if !name_ok {
                self.err_note(
                    q("name"),
                    format!("`{}` is not a valid user name", escape_for_message(&u.name)),
                    "use lowercase letters, digits, `_` and `-`, starting with a letter or `_`",
                );
                ok = false;
            } else if out.iter().any(|x| x.name == u.name) {
                self.err(q("name"), format!("user `{}` is listed twice", u.name));
                ok = false;
            }
            if let Some(pw) = &u.password {
                ok &= self.single_line(q("password"), "the password", pw)
                    && self.nonempty(q("password"), "the password", pw);
            }
            for (k, v) in [("home", &u.home), ("shell", &u.shell)] {
                if let Some(v) = v {
                    ok &= self.safe_path(q(k), &format!("the {k}"), v, true);
                }
            }
            for (n, g) in u.groups.iter().enumerate() {
                if g.is_empty()
                    || !g
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    self.err(
                        path!["rootfs", i, "users", j, "groups", n],
                        format!("`{}` is not a valid group name", escape_for_message(g)),
                    );
                    ok = false;
                }
            }
            if ok {
                out.push(User {
                    name: u.name.clone(),
                    password: u.password.clone().unwrap_or_else(|| "!".to_string()),
                    home: u.home.clone(),
                    groups: u.groups.clone(),
                    shell: u.shell.clone(),
                    id: u.id,
                });
            }
        }
        out
    }

    fn repository(&mut self, i: usize, j: usize, repo: &raw::RootfsRepository, bases: &[Distro]) {
        let q = |k: &str| path!["rootfs", i, "repositories", j, k];
        let src = &repo.source;
        let schemes = [
            "obs://",
            "https://",
            "http://",
            "file://",
            "dir://",
            "{obs-repository}",
        ];
        if !self.single_line(q("source"), "the repository source", src) {
            return;
        }
        if !schemes.iter().any(|s| src.starts_with(s))
            || src
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'))
        {
            self.err_note(
                q("source"),
                format!("`{}` is not a repository kiwi can use", escape_for_message(src)),
                "use obs://Project/repository, an http(s):// or file:// URL; `{obs-repository}` becomes each base's OBS repository name",
            );
        }
        let rest = src.replace("{obs-repository}", "");
        if rest.contains(['{', '}']) {
            self.err_note(
                q("source"),
                format!("unknown placeholder in `{}`", escape_for_message(src)),
                "the only placeholder is {obs-repository}",
            );
        }
        if let Some(a) = &repo.alias {
            if a.is_empty()
                || !a
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                self.err(
                    q("alias"),
                    format!(
                        "`{}` is not a valid repository alias",
                        escape_for_message(a)
                    ),
                );
            }
        }
        let selected: Vec<&Distro> = match &repo.bases {
            None => bases.iter().collect(),
            Some(keys) => {
                for (n, k) in keys.iter().enumerate() {
                    if self.lookup_key(path!["rootfs", i, "repositories", j, "bases", n], k, bases)
                        && !bases
                            .iter()
                            .any(|b| distro::key_specificity(k, b).is_some())
                    {
                        self.err(
                            path!["rootfs", i, "repositories", j, "bases", n],
                            format!(
                                "`{}` selects none of the rootfs's bases",
                                escape_for_message(k)
                            ),
                        );
                    }
                }
                bases
                    .iter()
                    .filter(|b| keys.iter().any(|k| distro::key_specificity(k, b).is_some()))
                    .collect()
            }
        };
        for (k, v) in [
            ("distribution", &repo.distribution),
            ("components", &repo.components),
        ] {
            let Some(v) = v else { continue };
            if v.is_empty()
                || !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
            {
                self.err(
                    q(k),
                    format!("`{}` is not a valid apt {k}", escape_for_message(v)),
                );
            } else if !selected.iter().any(|b| b.format() == Format::Deb) {
                self.err_note(
                    q(k),
                    format!("`{k}` only applies to apt repositories, and this one serves no Debian or Ubuntu base"),
                    "limit it with bases = [\"deb\"] or drop the key",
                );
            }
        }
    }

    /// Every package, subpackage, rootfs and rootfs image needs a name of its own: they share
    /// the OBS project, the repositories and `obs/<name>/`. The later one is reported.
    fn name_clashes(&mut self, raw: &raw::Manifest) {
        // (name, what it is, where it is named)
        let mut names: Vec<(String, String, Vec<Seg>)> = Vec::new();
        for (i, pkg) in raw.packages.iter().enumerate() {
            names.push((
                pkg.name.clone(),
                format!("package `{}`", pkg.name),
                path!["packages", i, "name"],
            ));
            for (j, s) in pkg.subpackages.iter().enumerate() {
                let name = format!("{}-{}", pkg.name, s.suffix);
                names.push((
                    name.clone(),
                    format!("subpackage `{name}` of `{}`", pkg.name),
                    path!["packages", i, "subpackages", j, "suffix"],
                ));
            }
        }
        for (i, r) in raw.rootfs.iter().enumerate() {
            names.push((
                r.name.clone(),
                format!("rootfs `{}`", r.name),
                path!["rootfs", i, "name"],
            ));
            let mut bases: Vec<&String> = r.bases.iter().collect();
            bases.sort();
            bases.dedup();
            for b in bases {
                let name = format!("{}-{b}", r.name);
                names.push((
                    name.clone(),
                    format!("image package `{name}` of rootfs `{}`", r.name),
                    path!["rootfs", i, "name"],
                ));
            }
        }
        // No name twice, the common case: no need to locate them in the file, which parses
        // its layout.
        let mut seen: HashSet<&str> = HashSet::with_capacity(names.len());
        if names.iter().all(|(name, _, _)| seen.insert(name.as_str())) {
            return;
        }
        let at = |path: &[Seg]| self.src.span(path).map_or(0, |s| s.start);
        let mut located: Vec<(usize, usize)> = names
            .iter()
            .enumerate()
            .map(|(n, (_, _, path))| (at(path), n))
            .collect();
        located.sort();
        let mut first: HashMap<&str, usize> = HashMap::new();
        // a rootfs defined twice: its images clash too, but one message says it all
        let mut reported: HashSet<usize> = HashSet::new();
        for (offset, n) in located {
            let (name, what, path) = &names[n];
            let Some(&m) = first.get(name.as_str()) else {
                first.insert(name, n);
                continue;
            };
            if !reported.insert(offset) {
                continue;
            }
            let (_, earlier, earlier_path) = &names[m];
            let line = self
                .src
                .span(earlier_path)
                .map(|s| self.src.text[..s.start].matches('\n').count() + 1);
            let message = if what == earlier {
                format!("{what} is defined twice")
            } else {
                format!("{what} has the same name as {earlier}")
            };
            self.err_note(
                path.clone(),
                message,
                match line {
                    Some(l) => format!("`{name}` is first defined at line {l}; packages, subpackages and rootfs images share one namespace"),
                    None => "packages, subpackages and rootfs images share one namespace".to_string(),
                },
            );
        }
    }

    fn unknown_upstream(&mut self, path: Vec<Seg>, name: &str, raw: &raw::Manifest) {
        let known: Vec<&str> = raw.upstreams.keys().map(String::as_str).collect();
        self.err_note(
            path,
            format!("unknown upstream `{}`", escape_for_message(name)),
            if known.is_empty() {
                "declare it under [upstreams.<name>]".to_string()
            } else {
                format!("declared upstreams: {}", known.join(", "))
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn packages(
        &mut self,
        raw: &raw::Manifest,
        dir: &Path,
        project: Option<&Project>,
        upstreams: &[Upstream],
        names: &NameTable,
        rootfs: &[Rootfs],
    ) -> Vec<Package> {
        let local: HashSet<&str> = raw.packages.iter().map(|p| p.name.as_str()).collect();
        let mut out = Vec::new();
        for (i, pkg) in raw.packages.iter().enumerate() {
            let p = |k: &str| path!["packages", i, k];
            let mut ok = self.package_name(p("name"), &pkg.name);
            let upstream = upstreams.iter().find(|u| u.name == pkg.upstream);
            if upstream.is_none() && !raw.upstreams.contains_key(&pkg.upstream) {
                self.unknown_upstream(p("upstream"), &pkg.upstream, raw);
            }
            ok &= self.single_line(p("summary"), "the summary", &pkg.summary)
                && self.nonempty(p("summary"), "the summary", &pkg.summary);
            if pkg.summary.len() > 80 {
                self.err(
                    p("summary"),
                    "the summary is longer than 80 characters; put details in the description",
                );
            }
            ok &= self.nonempty(p("description"), "the description", &pkg.description);
            if pkg
                .description
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                self.err(
                    p("description"),
                    "the description contains a control character",
                );
            }
            ok &= self.no_macros(p("description"), "the description", &pkg.description);
            for (k, v) in [
                ("group", &pkg.group),
                ("section", &pkg.section),
                ("license", &pkg.license),
            ] {
                if let Some(v) = v {
                    ok &= self.single_line(p(k), &format!("the {k}"), v);
                }
            }
            if let Some(u) = &pkg.url {
                ok &= self.url(p("url"), "the URL", u);
            }
            let archs = match &pkg.archs {
                Some(a) => {
                    let v = self.archs(p("archs"), a, true);
                    if a.is_empty() {
                        self.err(p("archs"), "a package needs at least one architecture");
                    }
                    v
                }
                None => project.map(|p| p.archs.clone()).unwrap_or_default(),
            };
            if let Some(tc) = &pkg.toolchain {
                if !raw.toolchains.contains_key(tc) {
                    self.err_note(
                        p("toolchain"),
                        format!(
                            "toolchain `{}` has no minimum version",
                            escape_for_message(tc)
                        ),
                        format!("add it under [toolchains], e.g. {tc} = \"1.22\""),
                    );
                    ok = false;
                } else if let Some(project) = project {
                    for t in &project.targets {
                        if !t.toolchains.contains_key(tc) {
                            self.err_note(p("toolchain"), format!("distro `{}` does not know toolchain `{}`", t.id, escape_for_message(tc)), format!("add [distros.\"{}\"] toolchains = {{ {tc} = [\"<package> >= {{version}}\"] }}", t.id));
                            ok = false;
                        }
                    }
                }
            }
            let vendor = match pkg.vendor.as_deref() {
                None => None,
                Some("go") => Some(Vendor::Go),
                Some("cargo") => Some(Vendor::Cargo),
                Some(v) => {
                    self.err_note(
                        p("vendor"),
                        format!("unknown vendoring `{}`", escape_for_message(v)),
                        "use \"go\" (go_modules service) or \"cargo\" (cargo_vendor service)",
                    );
                    None
                }
            };
            for (key, list) in [
                ("build-requires", &pkg.build_requires),
                ("requires", &pkg.requires),
            ] {
                for (j, d) in list.iter().enumerate() {
                    ok &= self.dependency(path!["packages", i, key, j], d);
                }
            }
            ok &= self.no_self_requires(i, pkg);
            for (k, text) in [("build", &pkg.build), ("install", &pkg.install)] {
                if let Some(t) = text {
                    ok &= self.no_macros(p(k), &format!("`{k}`"), t);
                    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                        self.err(p(k), format!("`{k}` contains a control character"));
                    }
                }
            }
            if pkg.files.is_empty() {
                self.err_note(
                    p("files"),
                    format!("package `{}` lists no files", pkg.name),
                    "list what `install` puts in $DESTDIR, e.g. files = [\"/usr/bin/tool\"]",
                );
            }
            for (key, list) in [("files", &pkg.files), ("config-files", &pkg.config_files)] {
                for (j, f) in list.iter().enumerate() {
                    ok &= self.safe_path(path!["packages", i, key, j], "the file", f, true);
                }
            }
            let mut patches = Vec::new();
            let mut patch_names = HashSet::new();
            for (j, pa) in pkg.patches.iter().enumerate() {
                let pp = path!["packages", i, "patches", j];
                if !self.safe_path(pp.clone(), "the patch", pa, false) {
                    ok = false;
                    continue;
                }
                let name = Path::new(pa)
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if !patch_names.insert(name.clone()) {
                    self.err(pp.clone(), format!("two patches are named `{name}`"));
                }
                match std::fs::read(dir.join(pa)) {
                    Ok(content) => patches.push(Patch {
                        name,
                        path: pa.clone(),
                        content,
                    }),
                    Err(e) => {
                        self.err_note(
                            pp,
                            format!("cannot read patch `{pa}`: {e}"),
                            "patches are read relative to the manifest's directory",
                        );
                        ok = false;
                    }
                }
            }
            let distros_known: Vec<Distro> = project.map(|p| p.targets.clone()).unwrap_or_default();
            for (k, o) in &pkg.distro {
                let all = distro::builtin();
                let known: Vec<Distro> = all
                    .into_iter()
                    .chain(distros_known.iter().cloned())
                    .collect();
                if self.lookup_key(path!["packages", i, "distro", k], k, &known) {
                    for (key, list) in [
                        ("build-requires", &o.build_requires),
                        ("requires", &o.requires),
                    ] {
                        for (j, d) in list.iter().flatten().enumerate() {
                            self.dependency(path!["packages", i, "distro", k, key, j], d);
                        }
                    }
                    for (key, text) in [("build", &o.build), ("install", &o.install)] {
                        if let Some(t) = text {
                            self.no_macros(
                                path!["packages", i, "distro", k, key],
                                &format!("`{key}`"),
                                t,
                            );
                        }
                    }
                }
            }
            let mut subpackages = Vec::new();
            for (j, s) in pkg.subpackages.iter().enumerate() {
                let sp = |k: &str| path!["packages", i, "subpackages", j, k];
                let name = format!("{}-{}", pkg.name, s.suffix);
                if !self.package_name(sp("suffix"), &name) {
                    ok = false;
                    continue;
                }
                self.single_line(sp("summary"), "the summary", &s.summary);
                self.nonempty(sp("summary"), "the summary", &s.summary);
                if let Some(d) = &s.description {
                    self.no_macros(sp("description"), "the description", d);
                }
                for (k, v) in [("group", &s.group), ("section", &s.section)] {
                    if let Some(v) = v {
                        self.single_line(sp(k), &format!("the {k}"), v);
                    }
                }
                for (key, list) in [("files", &s.files), ("config-files", &s.config_files)] {
                    for (n, f) in list.iter().enumerate() {
                        self.safe_path(
                            path!["packages", i, "subpackages", j, key, n],
                            "the file",
                            f,
                            true,
                        );
                    }
                }
                if s.files.is_empty() {
                    self.err(sp("files"), format!("subpackage `{name}` lists no files"));
                }
                for (n, d) in s.requires.iter().enumerate() {
                    self.dependency(path!["packages", i, "subpackages", j, "requires", n], d);
                }
                let sarchs = s.archs.as_ref().map(|a| self.archs(sp("archs"), a, true));
                subpackages.push((s, name, sarchs));
            }
            let (Some(project), Some(upstream), true) = (project, upstream, ok) else {
                continue;
            };
            let mut targets = BTreeMap::new();
            for t in &project.targets {
                let o = names::most_specific(pkg.distro.keys(), t).map(|k| &pkg.distro[k]);
                let br_src = o
                    .and_then(|o| o.build_requires.as_ref())
                    .unwrap_or(&pkg.build_requires);
                let rq_src = o.and_then(|o| o.requires.as_ref()).unwrap_or(&pkg.requires);
                let mut build_requires = Vec::new();
                for d in br_src {
                    push_unique(
                        &mut build_requires,
                        resolve_dep(d, t, names, &local, rootfs),
                    );
                }
                if let Some(tc) = &pkg.toolchain {
                    let min = &raw.toolchains[tc];
                    let list = t.toolchains.get(tc).cloned().unwrap_or_default();
                    push_unique(
                        &mut build_requires,
                        list.iter().map(|s| s.replace("{version}", min)).collect(),
                    );
                }
                if vendor == Some(Vendor::Cargo) && t.family.group() == Some("suse") {
                    push_unique(&mut build_requires, vec!["cargo-packaging".to_string()]);
                }
                let mut requires = Vec::new();
                for d in rq_src {
                    let exact = exact_requires(d, &pkg.upstream, &upstream.version, t, raw);
                    push_unique(
                        &mut requires,
                        exact.unwrap_or_else(|| resolve_dep(d, t, names, &local, rootfs)),
                    );
                }
                targets.insert(
                    t.id.clone(),
                    TargetDeps {
                        build_requires,
                        requires,
                        build: o
                            .and_then(|o| o.build.clone())
                            .or_else(|| pkg.build.clone())
                            .unwrap_or_else(|| "make".to_string()),
                        install: o
                            .and_then(|o| o.install.clone())
                            .or_else(|| pkg.install.clone())
                            .unwrap_or_else(|| {
                                "make install DESTDIR=$DESTDIR PREFIX=/usr".to_string()
                            }),
                    },
                );
            }
            let subpackages = subpackages
                .into_iter()
                .map(|(s, name, sarchs)| Subpackage {
                    name,
                    suffix: s.suffix.clone(),
                    summary: s.summary.clone(),
                    description: s.description.clone().unwrap_or_else(|| {
                        format!(
                            "{}\n\nThis package contains {}.",
                            pkg.description.trim_end(),
                            lowercase_first(&s.summary)
                        )
                    }),
                    group: s.group.clone().or_else(|| pkg.group.clone()),
                    section: s
                        .section
                        .clone()
                        .or_else(|| pkg.section.clone())
                        .unwrap_or_else(|| "misc".to_string()),
                    archs: sarchs,
                    requires: project
                        .targets
                        .iter()
                        .map(|t| {
                            let mut v = Vec::new();
                            for d in &s.requires {
                                let exact =
                                    exact_requires(d, &pkg.upstream, &upstream.version, t, raw);
                                push_unique(
                                    &mut v,
                                    exact.unwrap_or_else(|| {
                                        resolve_dep(d, t, names, &local, rootfs)
                                    }),
                                );
                            }
                            (t.id.clone(), v)
                        })
                        .collect(),
                    files: s.files.clone(),
                    config_files: s.config_files.clone(),
                })
                .collect();
            out.push(Package {
                name: pkg.name.clone(),
                upstream: pkg.upstream.clone(),
                version: upstream.version.clone(),
                revision: 1,
                summary: pkg.summary.clone(),
                description: pkg.description.trim_end().to_string(),
                license: pkg
                    .license
                    .clone()
                    .unwrap_or_else(|| project.license.clone()),
                url: pkg.url.clone().or_else(|| project.homepage.clone()),
                group: pkg.group.clone(),
                section: pkg.section.clone().unwrap_or_else(|| "misc".to_string()),
                archs,
                toolchain: pkg.toolchain.clone(),
                vendor,
                targets,
                files: pkg.files.clone(),
                config_files: pkg.config_files.clone(),
                patches,
                subpackages,
                changelog: Vec::new(),
            });
        }
        self.cycles(raw, project.map(|p| p.targets.as_slice()).unwrap_or(&[]));
        out
    }

    fn dependency(&mut self, path: Vec<Seg>, d: &str) -> bool {
        if !self.single_line(path.clone(), "a dependency", d)
            || !self.nonempty(path.clone(), "a dependency", d)
        {
            return false;
        }
        if let Some((i, c)) = d
            .char_indices()
            .find(|(_, c)| matches!(c, '%' | '$' | '`' | ',' | ';' | '"' | '\'' | '\\'))
        {
            self.err_within(
                path,
                d,
                Some(i..i + 1),
                format!(
                    "dependency `{}` contains `{}`, which is not allowed in a package name",
                    escape_for_message(d),
                    c.escape_default()
                ),
                Some("give one package per list entry, with an optional version constraint: \"foo >= 1.2\"".to_string()),
            );
            return false;
        }
        true
    }

    /// A package that requires or build-requires itself, in its own lists, its per-distro
    /// overrides or its subpackages' lists.
    fn no_self_requires(&mut self, i: usize, pkg: &raw::Package) -> bool {
        let mut ok = true;
        let mut lists: Vec<(Vec<Seg>, &str, &[String], &str)> = vec![
            (
                path!["packages", i, "requires"],
                "requires",
                &pkg.requires,
                pkg.name.as_str(),
            ),
            (
                path!["packages", i, "build-requires"],
                "build-requires",
                &pkg.build_requires,
                pkg.name.as_str(),
            ),
        ];
        for (k, o) in &pkg.distro {
            if let Some(l) = &o.requires {
                lists.push((
                    path!["packages", i, "distro", k, "requires"],
                    "requires",
                    l,
                    &pkg.name,
                ));
            }
            if let Some(l) = &o.build_requires {
                lists.push((
                    path!["packages", i, "distro", k, "build-requires"],
                    "build-requires",
                    l,
                    &pkg.name,
                ));
            }
        }
        let sub_names: Vec<String> = pkg
            .subpackages
            .iter()
            .map(|s| format!("{}-{}", pkg.name, s.suffix))
            .collect();
        for (j, s) in pkg.subpackages.iter().enumerate() {
            lists.push((
                path!["packages", i, "subpackages", j, "requires"],
                "requires",
                &s.requires,
                &sub_names[j],
            ));
        }
        for (at, verb, list, name) in lists {
            for (j, d) in list.iter().enumerate() {
                if dependency_name(d) != name {
                    continue;
                }
                let mut q = at.clone();
                q.push(Seg::Index(j));
                let what = if name == pkg.name {
                    "package"
                } else {
                    "subpackage"
                };
                if verb == "requires" {
                    self.err_note(
                        q,
                        format!("{what} `{name}` requires itself"),
                        "a package always provides itself; drop the entry",
                    );
                } else {
                    self.err_note(
                        q,
                        format!("{what} `{name}` build-requires itself"),
                        "OBS could never build it: it would need itself before its first build",
                    );
                }
                ok = false;
            }
        }
        ok
    }

    /// Requires between the manifest's own packages must not loop, on any target: each
    /// target takes its requires from the most specific `[packages.distro]` override.
    fn cycles(&mut self, raw: &raw::Manifest, targets: &[Distro]) {
        let index: HashMap<&str, usize> = raw
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        // One graph per distinct choice of lists; without targets, the plain lists.
        let mut graphs: Vec<(Graph, Option<String>)> = Vec::new();
        let choices: Vec<Option<&Distro>> = if targets.is_empty() {
            vec![None]
        } else {
            targets.iter().map(Some).collect()
        };
        for t in choices {
            let mut edges = Vec::new();
            let mut overridden = false;
            for (i, p) in raw.packages.iter().enumerate() {
                let key = t.and_then(|t| names::most_specific(p.distro.keys(), t));
                let (list, at) =
                    match key.and_then(|k| p.distro[k].requires.as_ref().map(|l| (k, l))) {
                        Some((k, l)) => {
                            overridden = true;
                            (l, path!["packages", i, "distro", k, "requires"])
                        }
                        None => (&p.requires, path!["packages", i, "requires"]),
                    };
                let mut out = Vec::new();
                for (j, d) in list.iter().enumerate() {
                    if let Some(&k) = index.get(dependency_name(d)) {
                        if k != i {
                            let mut q = at.clone();
                            q.push(Seg::Index(j));
                            out.push((k, q));
                        }
                    }
                }
                edges.push(out);
            }
            let label = t.filter(|_| overridden).map(|t| t.id.clone());
            if !graphs.iter().any(|(g, _)| {
                g.iter()
                    .zip(&edges)
                    .all(|(a, b)| a.iter().map(|x| x.0).eq(b.iter().map(|x| x.0)))
            }) {
                graphs.push((edges, label));
            }
        }
        for (edges, label) in graphs {
            if let Some((cycle, at)) = find_cycle(&edges) {
                let mut names: Vec<&str> = cycle
                    .iter()
                    .map(|&c| raw.packages[c].name.as_str())
                    .collect();
                names.push(names[0]);
                let message = match label {
                    Some(t) => format!("requires form a cycle on {t}: {}", names.join(" -> ")),
                    None => format!("requires form a cycle: {}", names.join(" -> ")),
                };
                self.err_note(
                    at,
                    message,
                    "each needs the other, so neither can be installed, upgraded or removed on its own; drop one direction or merge them",
                );
                return;
            }
        }
    }

    fn archive(&mut self, raw: &raw::Manifest, upstreams: &[Upstream]) -> Vec<Archived> {
        let mut out = Vec::new();
        for (i, a) in raw.archive.iter().enumerate() {
            let p = |k: &str| path!["archive", i, k];
            let mut ok = true;
            if !upstreams.iter().any(|u| u.name == a.upstream) {
                if raw.upstreams.contains_key(&a.upstream) {
                    ok = false;
                } else {
                    self.unknown_upstream(p("upstream"), &a.upstream, raw);
                    ok = false;
                }
            }
            let series_ok = a.series.split('.').count() == 2
                && a.series
                    .split('.')
                    .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
            if !series_ok {
                self.err(
                    p("series"),
                    format!(
                        "series `{}` must read major.minor, e.g. 3.0",
                        escape_for_message(&a.series)
                    ),
                );
                ok = false;
            }
            let version = match Version::parse(&a.version, None) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.version_err(p("version"), &a.version, e);
                    None
                }
            };
            if let Some(v) = &version {
                if series_ok && v.series() != a.series {
                    self.err(
                        p("version"),
                        format!("version {} is not in series {}", v.raw, a.series),
                    );
                }
            }
            let is_tarball = raw
                .upstreams
                .get(&a.upstream)
                .is_some_and(|u| u.tarball.is_some());
            let pin = match (&a.commit, &a.sha256, is_tarball) {
                (Some(c), None, false) if is_hex(c, 40) => Some(Pin::Commit(c.clone())),
                (Some(c), None, false) => {
                    self.hex_err(p("commit"), "commit", c, 40);
                    None
                }
                (None, Some(s), true) if is_hex(s, 64) => Some(Pin::Sha256(s.clone())),
                (None, Some(s), true) => {
                    self.hex_err(p("sha256"), "sha256", s, 64);
                    None
                }
                (_, _, false) => {
                    self.err_note(
                        path!["archive", i],
                        "an archived release of a git upstream is pinned by `commit` alone",
                        "add commit = \"<40 hex digits>\"",
                    );
                    None
                }
                (_, _, true) => {
                    self.err_note(
                        path!["archive", i],
                        "an archived release of a tarball upstream is pinned by `sha256` alone",
                        "add sha256 = \"<64 hex digits>\"",
                    );
                    None
                }
            };
            ok &= pin.is_some();
            if a.archived.parse::<jiff::civil::Date>().is_err() || a.archived.len() != 10 {
                self.err(
                    p("archived"),
                    format!(
                        "`{}` is not a date such as 2026-10-01",
                        escape_for_message(&a.archived)
                    ),
                );
                ok = false;
            }
            if out
                .iter()
                .any(|x: &Archived| x.upstream == a.upstream && x.series == a.series)
            {
                self.err(
                    p("series"),
                    format!("series {} of `{}` is archived twice", a.series, a.upstream),
                );
            }
            if let (true, Some(version), Some(pin)) = (ok, version, pin) {
                out.push(Archived {
                    upstream: a.upstream.clone(),
                    series: a.series.clone(),
                    version,
                    pin,
                    archived: a.archived.clone(),
                });
            }
        }
        out
    }
}

use crate::version;

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Where the Kata agent lives in a guest image unless the manifest says otherwise.
const DEFAULT_AGENT_PATH: &str = "/usr/bin/kata-agent";

/// What `rootfs_kiwi` resolves besides the rootfs's plain keys.
struct RootfsKiwi {
    images: Vec<Image>,
    agent: Option<Agent>,
    users: Vec<User>,
    profiles: Vec<Profile>,
}

/// A name kiwi can hand to zypper, dnf or apt: no spaces, quotes or version constraints.
fn is_image_package(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | ':' | '(' | ')')
        })
}

/// `arch -> packages` turned around into one entry per package with every arch it is for,
/// archs in the rootfs's order, packages in the order they first appear.
fn arch_list(
    map: &IndexMap<String, Vec<String>>,
    archs: &[String],
    mut resolve: impl FnMut(&[String]) -> Vec<String>,
) -> Vec<ArchPackage> {
    let mut out: Vec<ArchPackage> = Vec::new();
    for arch in archs {
        let Some(list) = map.get(arch) else { continue };
        for name in resolve(list) {
            match out.iter_mut().find(|x| x.name == name) {
                Some(x) if !x.archs.contains(arch) => x.archs.push(arch.clone()),
                Some(_) => {}
                None => out.push(ArchPackage {
                    name,
                    archs: vec![arch.clone()],
                }),
            }
        }
    }
    out
}

fn push_unique(v: &mut Vec<String>, items: Vec<String>) {
    for i in items {
        if !v.contains(&i) {
            v.push(i);
        }
    }
}

/// Components of one upstream are released together: a requirement on another package of
/// the same upstream pins its exact version, so they can never be installed skewed.
fn exact_requires(
    d: &str,
    upstream: &str,
    version: &Version,
    t: &Distro,
    raw: &raw::Manifest,
) -> Option<Vec<String>> {
    raw.packages
        .iter()
        .find(|p| p.name == d && p.upstream == upstream)?;
    Some(match t.format() {
        Format::Rpm => vec![format!("{d} = {}", version.rpm)],
        Format::Deb => {
            let v = match version.epoch {
                Some(e) => format!("{e}:{}", version.deb),
                None => version.deb.clone(),
            };
            // any Debian revision of exactly this upstream version
            vec![format!("{d} (>= {v}~)"), format!("{d} (<< {v}.~)")]
        }
    })
}

/// A dependency on one target: the manifest's own packages keep their name, a rootfs becomes
/// the image built on the target's default base, anything else goes through the name lookup.
fn resolve_dep(
    d: &str,
    t: &Distro,
    names: &NameTable,
    local: &HashSet<&str>,
    rootfs: &[Rootfs],
) -> Vec<String> {
    if let Some(r) = rootfs.iter().find(|r| r.name == d) {
        return vec![r.package_name(r.base_for(t))];
    }
    if local.contains(d) {
        return vec![d.to_string()];
    }
    names::resolve(names, d, t)
}

fn resolve_changelog(src: &Src, raw: &raw::Changelog, model: &Model) -> Result<Vec<Entry>> {
    let mut errs = Diagnostics::default();
    let mut out = Vec::new();
    let known: HashSet<&str> = model
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .chain(model.rootfs.iter().map(|r| r.name.as_str()))
        .collect();
    // The date of the entry above, and its index.
    let mut previous: Option<(jiff::Timestamp, usize)> = None;
    for (i, e) in raw.entry.iter().enumerate() {
        let p = |k: &str| path!["entry", i, k];
        let mut ok = true;
        if let Some(u) = &e.upstream {
            if model.upstream(u).is_none() {
                errs.push(
                    src.error(
                        p("upstream"),
                        format!("unknown upstream `{}`", escape_for_message(u)),
                    )
                    .note(format!(
                        "upstreams of the manifest: {}",
                        model
                            .upstreams
                            .iter()
                            .map(|u| u.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                ok = false;
            }
        }
        for (j, pk) in e.packages.iter().flatten().enumerate() {
            if !known.contains(pk.as_str()) {
                let mut names: Vec<&str> = known.iter().copied().collect();
                names.sort();
                errs.push(
                    src.error(
                        path!["entry", i, "packages", j],
                        format!("unknown package `{}`", escape_for_message(pk)),
                    )
                    .note(format!("packages of the manifest: {}", names.join(", "))),
                );
                ok = false;
            }
        }
        let version = match Version::parse(&e.version, None) {
            Ok(v) => Some(v),
            Err(m) => {
                errs.push(version_diag(src, p("version"), &e.version, m));
                None
            }
        };
        let date = match changelog::parse_date(&e.date) {
            Ok(d) => Some(d),
            Err(m) => {
                errs.push(src.error(p("date"), m));
                None
            }
        };
        let author = &e.author;
        if author.chars().any(char::is_control)
            || author.trim().is_empty()
            || !author.contains('<')
            || !author.trim_end().ends_with('>')
        {
            errs.push(
                src.error(
                    p("author"),
                    "the author must be one line reading `Name <email>`",
                )
                .note("for example author = \"Jane Packager <jane@example.org>\""),
            );
            ok = false;
        } else if let Some(at) = macro_call(author) {
            // changelog2spec copies the author of .changes into the spec unescaped
            errs.push(
                diag_within(
                    src,
                    p("author"),
                    author,
                    Some(at.clone()),
                    format!(
                        "the author contains RPM macro syntax `{}`",
                        escape_for_message(&author[at])
                    ),
                )
                .note("OBS copies the author into the spec's %changelog, where rpm expands macros; remove it"),
            );
            ok = false;
        }
        if e.changes.is_empty() {
            errs.push(src.error(p("changes"), "an entry needs at least one change"));
            ok = false;
        }
        for (j, c) in e.changes.iter().enumerate() {
            if c.trim().is_empty() || c.chars().any(|ch| ch.is_control()) {
                errs.push(src.error(
                    path!["entry", i, "changes", j],
                    "each change must be one non-empty line",
                ));
                ok = false;
            } else if let Some(at) = ["%{", "%(", "%["].iter().filter_map(|m| c.find(m)).min() {
                errs.push(
                    diag_within(
                        src,
                        path!["entry", i, "changes", j],
                        c,
                        Some(at..at + 2),
                        format!("a change contains RPM macro syntax `{}`", &c[at..at + 2]),
                    )
                    .note("macros would be expanded (and %(...) executed) when the spec is parsed; remove them"),
                );
                ok = false;
            }
        }
        if let (Some(d), Some((prev, above))) = (date, previous) {
            if d > prev {
                let at = src
                    .span(&[Seg::from("entry"), Seg::from(above), Seg::from("date")])
                    .map(|s| s.start);
                let line = at.map_or(0, |at| src.text[..at].matches('\n').count() + 1);
                errs.push(
                    src.error(
                        p("date"),
                        format!("entries must be newest first, but this one is newer than the entry above it (line {line})"),
                    )
                    .note("bump prepends new entries at the top of the file; move this entry up"),
                );
            }
        }
        if let Some(d) = date {
            previous = Some((d, i));
        }
        if let (true, Some(version), Some(date)) = (ok, version, date) {
            out.push(Entry {
                upstream: e.upstream.clone(),
                packages: e.packages.clone(),
                version,
                date,
                author: e.author.clone(),
                changes: e.changes.clone(),
            });
        }
    }
    errs.into_result()?;
    Ok(out)
}

fn attach_changelog(src: &Src, model: &mut Model, entries: &[Entry]) -> Result<()> {
    let mut errs = Diagnostics::default();
    for (i, p) in model.packages.iter_mut().enumerate() {
        let mine: Vec<Entry> = entries
            .iter()
            .filter(|e| e.covers(&p.name, Some(&p.upstream)))
            .cloned()
            .collect();
        let note = format!(
            "add at the top of {CHANGELOG}:\n\n    [[entry]]\n    upstream = \"{}\"\n    version = \"{}\"\n    date = \"2026-01-01T00:00:00Z\"\n    author = \"{}\"\n    changes = [\"Update to version {}\"]",
            p.upstream, p.version.raw, model.project.maintainer, p.version.raw
        );
        match mine.first() {
            None => errs.push(src.error(path!["packages", i, "name"], format!("no changelog entry covers package `{}`", p.name)).note(note)),
            Some(top) if top.version.raw != p.version.raw => errs.push(
                src.error(path!["packages", i, "name"], format!(
                    "the newest changelog entry for `{}` is for version {}, but the package is at {}",
                    p.name, top.version.raw, p.version.raw
                ))
                .note(note),
            ),
            Some(_) => {
                p.revision = mine.iter().take_while(|e| e.version.raw == p.version.raw).count() as u32;
                p.changelog = mine;
            }
        }
    }
    errs.into_result()
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

#[allow(dead_code)]
fn _formats(_: Format) {}

impl Error {
    /// Whether this error is about invalid input (exit 2).
    pub fn is_invalid(&self) -> bool {
        matches!(self, Error::Invalid(_) | Error::Usage(_))
    }
}
