//! Field validators: what a single value of the manifest may hold, and the message when it may not.

use std::path::{Component, Path};

use crate::distro::{self, Distro, Family};
use crate::manifest::load::Cx;
use crate::manifest::source::Seg;
use crate::version::escape_for_message;

pub(in crate::manifest) fn lookup_keys() -> Vec<&'static str> {
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

pub(in crate::manifest) fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A name kiwi can hand to zypper, dnf or apt: no spaces, quotes or version constraints.
pub(in crate::manifest) fn is_image_package(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | ':' | '(' | ')')
        })
}

impl Cx<'_> {
    /// Text that becomes one line of a spec, a control file or XML.
    pub(in crate::manifest) fn single_line(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        value: &str,
    ) -> bool {
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

    /// Text of several lines that is escaped where it is rendered (descriptions, scripts):
    /// the macro forms that run code are refused outright, and no line may start with `%`,
    /// which rpm reads as a section or a conditional even when escaped as `%%`.
    pub(in crate::manifest) fn no_macros(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        value: &str,
    ) -> bool {
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

    pub(in crate::manifest) fn nonempty(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        value: &str,
    ) -> bool {
        if value.trim().is_empty() {
            self.err(path, format!("{what} must not be empty"));
            false
        } else {
            true
        }
    }

    pub(in crate::manifest) fn package_name(&mut self, path: Vec<Seg>, name: &str) -> bool {
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

    pub(in crate::manifest) fn url(&mut self, path: Vec<Seg>, what: &str, url: &str) -> bool {
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
    pub(in crate::manifest) fn safe_path(
        &mut self,
        path: Vec<Seg>,
        what: &str,
        p: &str,
        absolute: bool,
    ) -> bool {
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

    pub(in crate::manifest) fn lookup_key(
        &mut self,
        path: Vec<Seg>,
        key: &str,
        distros: &[Distro],
    ) -> bool {
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

    pub(in crate::manifest) fn archs(
        &mut self,
        path: Vec<Seg>,
        archs: &[String],
        allow_noarch: bool,
    ) -> Vec<String> {
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

    pub(in crate::manifest) fn dependency(&mut self, path: Vec<Seg>, d: &str) -> bool {
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
}
