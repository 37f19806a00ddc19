//! Text templates: defaults embedded in the binary, overridable file by file from
//! `templates/` beside the manifest. Undefined variables are errors. Every rendered
//! file's text comes from one of them; docs/templates.md lists each with its variables.
//! Templates named `*.xml.tera` escape every value they print ([`super::xml`]).

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Serialize;

use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};

/// The templates pkgforge renders, with their built-in text.
pub(crate) const DEFAULTS: &[(&str, &str)] = &[
    ("spec.tera", include_str!("../../templates/spec.tera")),
    ("changes.tera", include_str!("../../templates/changes.tera")),
    (
        "debian/control.tera",
        include_str!("../../templates/debian/control.tera"),
    ),
    (
        "debian/rules.tera",
        include_str!("../../templates/debian/rules.tera"),
    ),
    (
        "debian/changelog.tera",
        include_str!("../../templates/debian/changelog.tera"),
    ),
    (
        "debian/copyright.tera",
        include_str!("../../templates/debian/copyright.tera"),
    ),
    (
        "debian/dsc.tera",
        include_str!("../../templates/debian/dsc.tera"),
    ),
    (
        "debian/series.tera",
        include_str!("../../templates/debian/series.tera"),
    ),
    (
        "debian/install.tera",
        include_str!("../../templates/debian/install.tera"),
    ),
    (
        "debian/source-format.tera",
        include_str!("../../templates/debian/source-format.tera"),
    ),
    (
        "obs/service.xml.tera",
        include_str!("../../templates/obs/service.xml.tera"),
    ),
    (
        "obs/project-meta.xml.tera",
        include_str!("../../templates/obs/project-meta.xml.tera"),
    ),
    (
        "obs/prjconf.tera",
        include_str!("../../templates/obs/prjconf.tera"),
    ),
    (
        "kiwi/image.xml.tera",
        include_str!("../../templates/kiwi/image.xml.tera"),
    ),
    (
        "kiwi/package-meta.xml.tera",
        include_str!("../../templates/kiwi/package-meta.xml.tera"),
    ),
    (
        "kiwi/image-package-meta.xml.tera",
        include_str!("../../templates/kiwi/image-package-meta.xml.tera"),
    ),
    (
        "kiwi/multibuild.xml.tera",
        include_str!("../../templates/kiwi/multibuild.xml.tera"),
    ),
    (
        "kiwi/config.sh.tera",
        include_str!("../../templates/kiwi/config.sh.tera"),
    ),
];

/// Templates whose names end so are XML: every `{{ }}` they print is escaped.
const XML_SUFFIX: &str = ".xml.tera";

/// The templates the outputs of `unit` are rendered from, which its cache key covers.
pub(crate) fn used_by(unit: &super::Unit, model: &crate::manifest::Model) -> Vec<&'static str> {
    use super::Unit;
    let has_rpm = model.rpm_targets().next().is_some();
    let has_deb = model.deb_targets().next().is_some();
    let (service, meta) = ("obs/service.xml.tera", "obs/project-meta.xml.tera");
    let prjconf = "obs/prjconf.tera";
    let format = |name: &str| match name.split_once('/') {
        None => has_rpm,
        Some(("debian", _)) => has_deb,
        Some(_) => false,
    };
    DEFAULTS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| match unit {
            Unit::Package(_) => *name == service || format(name),
            Unit::Series(_) => {
                *name == service || *name == meta || *name == prjconf || format(name)
            }
            // the image package renders from the package templates too
            Unit::Image(..) => name.starts_with("kiwi/") || format(name),
            Unit::Meta => *name == meta || *name == prjconf,
        })
        .collect()
}

/// What a stamp starts with: `{# pkgforge-template: NAME sha256:HEX #}` on the first line
/// of an override records the built-in it was copied from.
const STAMP: &str = "pkgforge-template:";

/// The built-in text of template `name`.
pub(crate) fn builtin(name: &str) -> Option<&'static str> {
    DEFAULTS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The first line that stamps an override of `name` copied from the built-in `text`.
pub(crate) fn stamp(name: &str, text: &str) -> String {
    format!(
        "{{# {STAMP} {name} sha256:{} #}}",
        crate::digest::sha256_hex(text.as_bytes())
    )
}

/// Built-in template `name` as an override starts: its stamp, then its text. Saved as
/// `templates/NAME`, it renders exactly what the built-in renders.
pub(crate) fn stamped(name: &str) -> Option<String> {
    builtin(name).map(|text| format!("{}\n{text}", stamp(name, text)))
}

/// What `check` says about an override in `templates/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hint {
    pub path: PathBuf,
    pub name: String,
    pub kind: HintKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HintKind {
    /// The built-in changed since the override was copied from it.
    Stale,
    /// The override differs from the built-in and records no stamp.
    Unstamped,
    /// The first line looks like a stamp but is not one for this template.
    BadStamp(String),
}

impl Hint {
    /// A warning, as opposed to a note: something to act on.
    pub(crate) fn is_warning(&self) -> bool {
        !matches!(self.kind, HintKind::Unstamped)
    }
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (path, name) = (self.path.display(), &self.name);
        let line = builtin(name).map(|t| stamp(name, t)).unwrap_or_default();
        match &self.kind {
            HintKind::Stale => write!(
                f,
                "warning: {path} overrides the built-in {name}, which has changed since the override was copied from it\n  \
                 = note: compare with `pkgforge templates show {name}`, carry over what changed, then replace the first line with {line}"
            ),
            HintKind::Unstamped => write!(
                f,
                "note: {path} overrides the built-in {name} but has no stamp, so check cannot tell when the built-in changes\n  \
                 = note: if it was copied from this version's built-in, add this first line: {line} \
                 (`pkgforge templates show {name}` prints the built-in with it)"
            ),
            HintKind::BadStamp(why) => write!(
                f,
                "warning: {path}:1: {why}\n  \
                 = note: the stamp of a copy of the current built-in is {line}"
            ),
        }
    }
}

/// A template's source: an override's path or `<built-in>/<name>`, and its text.
struct Origin {
    name: String,
    path: PathBuf,
    text: String,
    /// Lines at the top of `text` that tera does not see: the stamp, which would
    /// otherwise leave its newline in the output.
    skip: usize,
}

pub struct Templates {
    tera: tera::Tera,
    origins: Vec<Origin>,
    hints: Vec<Hint>,
}

/// Read the stamp on the first line of override `name`: whether that line is a stamp
/// (and so hidden from tera), and what to say about it.
fn read_stamp(name: &str, path: &Path, text: &str, builtin: &str) -> (bool, Option<Hint>) {
    let hint = |kind| {
        Some(Hint {
            path: path.to_path_buf(),
            name: name.to_string(),
            kind,
        })
    };
    let first = text.lines().next().unwrap_or("").trim();
    let inner = first
        .strip_prefix("{#")
        .and_then(|s| s.strip_suffix("#}"))
        // One comment, not two with a tag between them.
        .filter(|s| !s.contains("#}"))
        .map(|s| s.trim_start_matches('-').trim_end_matches('-').trim());
    let Some(rest) = inner.and_then(|s| s.strip_prefix(STAMP)) else {
        let kind = if first.contains(STAMP) {
            HintKind::BadStamp("the stamp must be a whole comment on the first line".into())
        } else if text == builtin {
            return (false, None);
        } else {
            HintKind::Unstamped
        };
        return (false, hint(kind));
    };
    let mut words = rest.split_whitespace();
    let (stamped_name, digest) = (words.next(), words.next());
    let digest = digest.and_then(|d| d.strip_prefix("sha256:"));
    let kind = match (stamped_name, digest) {
        (Some(n), _) if n != name => HintKind::BadStamp(format!(
            "the stamp names {n}, but this file overrides {name}"
        )),
        (Some(_), Some(d))
            if d.len() == 64
                && d.bytes().all(|b| b.is_ascii_hexdigit())
                && words.next().is_none() =>
        {
            if d.eq_ignore_ascii_case(&crate::digest::sha256_hex(builtin.as_bytes())) {
                return (true, None);
            }
            HintKind::Stale
        }
        _ => HintKind::BadStamp(format!(
            "the stamp is not `{{# {STAMP} {name} sha256:<64 hex digits> #}}`"
        )),
    };
    (true, hint(kind))
}

impl Templates {
    /// The built-in templates, layered with `<dir>/templates/*.tera` and
    /// `<dir>/templates/<format>/*.tera` (`debian/control.tera`).
    pub fn load(dir: &Path) -> Result<Templates> {
        let user_dir = dir.join("templates");
        let mut errs = Diagnostics::default();
        if user_dir.is_dir() {
            let mut names: Vec<String> = walkdir::WalkDir::new(&user_dir)
                .min_depth(1)
                .max_depth(2)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .filter_map(|e| {
                    let rel = e.path().strip_prefix(&user_dir).ok()?;
                    let parts: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().to_string())
                        .collect();
                    Some(parts.join("/"))
                })
                .filter(|n| n.ends_with(".tera"))
                .collect();
            names.sort();
            for n in names {
                if !DEFAULTS.iter().any(|(d, _)| *d == n) {
                    errs.push(
                        Diagnostic::new(
                            user_dir.join(&n),
                            format!("`{n}` is not a template pkgforge renders"),
                        )
                        .note(format!(
                            "templates it renders: {}",
                            DEFAULTS
                                .iter()
                                .map(|(d, _)| *d)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                }
            }
        }
        let mut origins = Vec::new();
        let mut hints = Vec::new();
        for (name, builtin) in DEFAULTS {
            let path = user_dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let (stamped, hint) = read_stamp(name, &path, &text, builtin);
                    hints.extend(hint);
                    origins.push(Origin {
                        name: name.to_string(),
                        path,
                        text,
                        skip: usize::from(stamped),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => origins.push(Origin {
                    name: name.to_string(),
                    path: PathBuf::from(format!("<built-in>/{name}")),
                    text: builtin.to_string(),
                    skip: 0,
                }),
                Err(e) => errs.push(Diagnostic::new(&path, format!("cannot read template: {e}"))),
            }
        }
        std::mem::take(&mut errs).into_result()?;
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![XML_SUFFIX]);
        tera.set_escape_fn(super::xml::attribute);
        tera.register_filter("xml_text", super::xml::XmlText);
        tera.register_filter("deb_field_list", super::debian::FieldList);
        for o in &origins {
            let seen = match o.skip {
                0 => o.text.as_str(),
                _ => o.text.split_once('\n').map_or("", |(_, rest)| rest),
            };
            if let Err(e) = tera.add_raw_template(&o.name, seen) {
                errs.push(parse_error(&o.path, &o.text, o.skip, &e));
            }
        }
        errs.into_result()?;
        Ok(Templates {
            tera,
            origins,
            hints,
        })
    }

    /// What `check` reports about the overrides: stale, unstamped or badly stamped.
    pub(crate) fn hints(&self) -> &[Hint] {
        &self.hints
    }

    /// The text of template `name` as it is used: the user's file or the built-in one.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.origins
            .iter()
            .find(|o| o.name == name)
            .map_or("", |o| o.text.as_str())
    }

    /// Render template `name` with `context`, ending the text with exactly one newline
    /// whatever the template's last line does.
    pub(crate) fn render(&self, name: &str, context: &impl Serialize) -> Result<String> {
        let mut text = self.render_verbatim(name, context)?;
        // In place: no copy of every rendered file.
        text.truncate(text.trim_end_matches('\n').len());
        text.push('\n');
        Ok(text)
    }

    /// Render template `name` with `context`, the text as tera renders it: for files
    /// whose last lines come from the manifest as they are (`config.sh`).
    pub(crate) fn render_verbatim(&self, name: &str, context: &impl Serialize) -> Result<String> {
        let ctx = tera::Context::from_serialize(context).map_err(|e| {
            Error::Other(anyhow::anyhow!(
                "the context of template `{name}` is not a map: {e}"
            ))
        })?;
        let text = self.tera.render(name, &ctx).map_err(|e| {
            match self.origins.iter().find(|o| o.name == name) {
                Some(o) => Error::from(render_error(&o.path, &o.text, &e)),
                None => Error::Other(anyhow::anyhow!(
                    "`{name}` is not a template pkgforge renders"
                )),
            }
        })?;
        Ok(text)
    }
}

fn chain(e: &tera::Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = cur {
        out.push(s.to_string());
        cur = s.source();
    }
    out
}

/// `skip`: lines of `text` tera did not see, so its line numbers are off by that much.
fn parse_error(path: &Path, text: &str, skip: usize, e: &tera::Error) -> Diagnostic {
    let messages = chain(e);
    let all = messages.join("\n");
    #[allow(
        clippy::expect_used,
        reason = "a literal pattern; the tests compile it"
    )]
    let re = Regex::new(r"--> (\d+):(\d+)").expect("static regex");
    let mut d = Diagnostic::new(path, "the template does not parse");
    if let Some(c) = re.captures(&all) {
        let line: usize = c[1].parse().unwrap_or(1);
        let column: usize = c[2].parse().unwrap_or(1);
        d.location = Some(location(text, line + skip, column, 1));
    }
    let detail = all
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("= "))
        .map(|l| l.trim_start().trim_start_matches("= ").to_string());
    if let Some(detail) = detail {
        d.message = format!("the template does not parse: {detail}");
    }
    d
}

fn render_error(path: &Path, text: &str, e: &tera::Error) -> Diagnostic {
    let messages = chain(e);
    // Tera puts the real cause at the end of the chain.
    let cause = messages.last().cloned().unwrap_or_default();
    #[allow(
        clippy::expect_used,
        reason = "a literal pattern; the tests compile it"
    )]
    let re = Regex::new(r"Variable `([^`]+)` not found").expect("static regex");
    if let Some(c) = re.captures(&cause) {
        let var = c[1].to_string();
        let mut d = Diagnostic::new(path, format!("undefined variable `{var}` in template"));
        let first = var.split(['.', '[']).next().unwrap_or(&var).to_string();
        // the whole name anywhere first: a loop variable's name also appears in its `for`
        if let Some((line, col, width)) =
            locate(text, &var).or_else(|| locate(text, &first).map(|(l, c, _)| (l, c, var.len())))
        {
            d.location = Some(location(text, line, col, width));
        }
        return d.note("see docs/templates.md for the variables each template gets");
    }
    // Filters, functions and tests that do not exist: tera names them in quotes.
    #[allow(
        clippy::expect_used,
        reason = "a literal pattern; the tests compile it"
    )]
    let named = Regex::new(r"^(Filter|Function|Test) '([^']+)' not found").expect("static regex");
    if let Some(c) = named.captures(&cause) {
        let kind = c[1].to_lowercase();
        let name = c[2].to_string();
        let mut d = Diagnostic::new(path, format!("unknown {kind} `{name}` in template"));
        if let Some((line, col, width)) = locate(text, &name) {
            d.location = Some(location(text, line, col, width));
        }
        return d.note("see https://keats.github.io/tera/docs/#built-ins for what tera provides");
    }
    let mut d = Diagnostic::new(
        path,
        format!(
            "the template failed to render: {}",
            messages[1..].join(": ")
        ),
    );
    // Point at the first tag that names a variable the message quotes, if any.
    #[allow(
        clippy::expect_used,
        reason = "a literal pattern; the tests compile it"
    )]
    let quoted = Regex::new(r"`([A-Za-z_][A-Za-z0-9_.]*)`").expect("static regex");
    if let Some((line, col, width)) = quoted
        .captures_iter(&cause)
        .find_map(|c| locate(text, &c[1]))
    {
        d.location = Some(location(text, line, col, width));
    }
    d
}

/// The first place `word` appears as a whole name inside a tag: 1-based line and column,
/// and its width.
fn locate(text: &str, word: &str) -> Option<(usize, usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        find_in_tags(line, word).map(|col| (i + 1, col + 1, word.len().max(1)))
    })
}

/// The byte column of `word`, as a whole name, inside a `{{ }}` or `{% %}` tag on `line`.
fn find_in_tags(line: &str, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(open) = line[start..].find('{').map(|i| i + start) {
        let rest = &line[open..];
        if rest.starts_with("{{") || rest.starts_with("{%") {
            let close = rest.find('}').map(|i| open + i).unwrap_or(line.len());
            let tag = &line[open..close];
            let mut from = 0;
            while let Some(i) = tag[from..].find(word).map(|i| i + from) {
                let before = tag[..i].chars().next_back();
                let after = tag[i + word.len()..].chars().next();
                if !before.is_some_and(|c| name_char(c) || c == '.')
                    && !after.is_some_and(name_char)
                {
                    return Some(open + i);
                }
                from = i + word.len();
            }
            start = close.max(open + 1);
        } else {
            start = open + 1;
        }
    }
    None
}

fn location(text: &str, line: usize, column: usize, width: usize) -> Location {
    let src = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    Location {
        line,
        column,
        text: src.to_string(),
        width,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn override_with(name: &str, text: &str) -> (tempfile::TempDir, Result<Templates>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("templates").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        let t = Templates::load(dir.path());
        (dir, t)
    }

    #[test]
    fn a_stamped_copy_renders_what_the_built_in_renders() {
        let text = stamped("changes.tera").unwrap();
        assert!(text.starts_with("{# pkgforge-template: changes.tera sha256:"));
        let (_dir, t) = override_with("changes.tera", &text);
        let t = t.unwrap();
        assert!(t.hints().is_empty(), "{:?}", t.hints());
        let ctx = serde_json::json!({"entries": [
            {"date": "Mon Nov 30 10:00:00 UTC 2026", "author": "a@example.org", "changes": ["one"]}
        ]});
        assert_eq!(
            t.render("changes.tera", &ctx).unwrap(),
            "-------------------------------------------------------------------\n\
             Mon Nov 30 10:00:00 UTC 2026 - a@example.org\n\n- one\n"
        );
    }

    #[test]
    fn each_kind_of_stamp_is_told_apart() {
        let spec = builtin("spec.tera").unwrap();
        let kind = |text: &str| {
            let (_dir, t) = override_with("spec.tera", text);
            t.unwrap()
                .hints()
                .iter()
                .map(|h| h.kind.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(kind(spec), []);
        assert_eq!(kind(&format!("{spec}# mine\n")), [HintKind::Unstamped]);
        let stale = format!(
            "{{# pkgforge-template: spec.tera sha256:{} #}}\n{spec}",
            "0".repeat(64)
        );
        assert_eq!(kind(&stale), [HintKind::Stale]);
        let trimmed = stamped("spec.tera").unwrap().replacen(" #}", " -#}", 1);
        assert_eq!(kind(&trimmed), []);
        assert!(matches!(
            kind(
                &stamped("spec.tera")
                    .unwrap()
                    .replacen("spec.tera", "changes.tera", 1)
            )[..],
            [HintKind::BadStamp(_)]
        ));
        assert!(matches!(
            kind(&format!(
                "{{# pkgforge-template: spec.tera sha256:abc #}}\n{spec}"
            ))[..],
            [HintKind::BadStamp(_)]
        ));
        // Not hidden from tera: the line holds a tag after the comment.
        let two = format!("{{# pkgforge-template: spec.tera #}}{{{{ name }}}}{{# x #}}\n{spec}");
        let (_dir, t) = override_with("spec.tera", &two);
        let t = t.unwrap();
        assert!(matches!(
            t.hints()[..],
            [Hint {
                kind: HintKind::BadStamp(_),
                ..
            }]
        ));
        assert!(t.origins.iter().all(|o| o.skip == 0));
    }

    #[test]
    fn xml_templates_escape_every_value_they_print() {
        let text = "<services a=\"{{ v }}\">{{ v }}|{{ v | xml_text }}</services>\n";
        let (_dir, t) = override_with("obs/service.xml.tera", text);
        let t = t.unwrap();
        let ctx = serde_json::json!({"v": "<a href='x/y'>&\"\n\t"});
        assert_eq!(
            t.render("obs/service.xml.tera", &ctx).unwrap(),
            "<services a=\"&lt;a href=&apos;x/y&apos;&gt;&amp;&quot;&#10;&#9;\">\
             &lt;a href=&apos;x/y&apos;&gt;&amp;&quot;&#10;&#9;|\
             &lt;a href=&apos;x/y&apos;&gt;&amp;&quot;\n\t</services>\n"
        );
        // Not XML: printed as it is.
        let (_dir, t) = override_with("changes.tera", "{{ v }}\n");
        assert_eq!(
            t.unwrap().render("changes.tera", &ctx).unwrap(),
            "<a href='x/y'>&\"\n\t\n"
        );
    }

    #[test]
    fn a_parse_error_below_a_stamp_names_the_line_of_the_file() {
        let text = format!("{}\nName: x\n{{% if %}}\n", stamp("spec.tera", "x"));
        let (_dir, t) = override_with("spec.tera", &text);
        let Err(Error::Invalid(d)) = t else {
            panic!("parsed");
        };
        assert_eq!(d.0[0].location.as_ref().map(|l| l.line), Some(3), "{d}");
    }
}
