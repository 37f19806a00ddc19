//! Text templates: defaults embedded in the binary, overridable file by file from
//! `templates/` beside the manifest. Undefined variables are errors.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Serialize;

use crate::error::{Diagnostic, Diagnostics, Location, Result};

/// The templates pkgforge renders, with their built-in text.
pub const DEFAULTS: &[(&str, &str)] = &[
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
];

pub struct Templates {
    tera: tera::Tera,
    /// Where each template came from, for messages: a path, or `<built-in>/<name>`.
    origins: Vec<(String, PathBuf, String)>,
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
        for (name, builtin) in DEFAULTS {
            let path = user_dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => origins.push((name.to_string(), path, text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => origins.push((
                    name.to_string(),
                    PathBuf::from(format!("<built-in>/{name}")),
                    builtin.to_string(),
                )),
                Err(e) => errs.push(Diagnostic::new(&path, format!("cannot read template: {e}"))),
            }
        }
        std::mem::take(&mut errs).into_result()?;
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![]);
        for (name, path, text) in &origins {
            if let Err(e) = tera.add_raw_template(name, text) {
                errs.push(parse_error(path, text, &e));
            }
        }
        errs.into_result()?;
        Ok(Templates { tera, origins })
    }

    /// The text of template `name` as it is used: the user's file or the built-in one.
    pub fn text(&self, name: &str) -> &str {
        self.origins
            .iter()
            .find(|(n, _, _)| n == name)
            .map_or("", |(_, _, text)| text.as_str())
    }

    /// Render template `name` with `context`.
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String> {
        let ctx =
            tera::Context::from_serialize(context).expect("render contexts serialize to maps");
        let text = self.tera.render(name, &ctx).map_err(|e| {
            let (_, path, text) = self
                .origins
                .iter()
                .find(|(n, _, _)| n == name)
                .expect("rendering a known template");
            crate::error::Error::from(render_error(path, text, &e))
        })?;
        // Text files end with exactly one newline, whatever the template's last line does.
        // In place: no copy of every rendered file.
        let mut text = text;
        text.truncate(text.trim_end_matches('\n').len());
        text.push('\n');
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

fn parse_error(path: &Path, text: &str, e: &tera::Error) -> Diagnostic {
    let messages = chain(e);
    let all = messages.join("\n");
    let re = Regex::new(r"--> (\d+):(\d+)").expect("static regex");
    let mut d = Diagnostic::new(path, "the template does not parse");
    if let Some(c) = re.captures(&all) {
        let line: usize = c[1].parse().unwrap_or(1);
        let column: usize = c[2].parse().unwrap_or(1);
        d.location = Some(location(text, line, column, 1));
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
