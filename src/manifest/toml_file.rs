//! A TOML file kept with its text, so any value can be pointed at by its key path.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{Diagnostic, Result};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_string())
    }
}

impl From<&String> for Seg {
    fn from(s: &String) -> Self {
        Seg::Key(s.clone())
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// Build a key path: `path!["packages", 2, "upstream"]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {
        vec![$($crate::manifest::toml_file::Seg::from($seg)),*]
    };
}

/// The text of a TOML file and its parsed layout, for locating values.
pub(crate) struct TomlFile {
    pub path: PathBuf,
    pub text: String,
    /// Parsed on the first [`TomlFile::span`]: only a manifest with errors needs it, and
    /// for a large one it costs many times the text in memory and time.
    doc: std::sync::OnceLock<Option<toml_edit::Document<String>>>,
}

impl TomlFile {
    /// Parse `text` (read from `path`) and deserialize it into `T`, turning syntax and
    /// type errors into diagnostics that point at the offending text.
    pub(crate) fn parse<T: DeserializeOwned>(path: &Path, text: String) -> Result<(TomlFile, T)> {
        let value: T = toml::from_str(&text)
            .map_err(|e| toml_diagnostic(path, &text, e.message(), e.span()))?;
        Ok((
            TomlFile {
                path: path.to_path_buf(),
                text,
                doc: std::sync::OnceLock::new(),
            },
            value,
        ))
    }

    /// The byte range of the value at `path`, or of the nearest enclosing item that exists.
    pub(crate) fn span(&self, path: &[Seg]) -> Option<Range<usize>> {
        let doc = self
            .doc
            .get_or_init(|| toml_edit::Document::parse(self.text.clone()).ok())
            .as_ref()?;
        let mut item = doc.as_item();
        let mut best = item.span();
        for (i, seg) in path.iter().enumerate() {
            let next = match seg {
                Seg::Key(k) => {
                    let next = item.get(k.as_str());
                    if next.is_none() || i + 1 == path.len() && is_container(next) {
                        // A missing key or a whole table: point at its key instead.
                        if let Some(key) = item.as_table_like().and_then(|t| t.key(k)) {
                            if let Some(s) = key.span() {
                                best = Some(s);
                            }
                        }
                        if next.is_none() {
                            return best;
                        }
                    }
                    next
                }
                Seg::Index(n) => item.get(*n),
            };
            match next {
                Some(n) => {
                    item = n;
                    if let Some(s) = n.span() {
                        if !(matches!(seg, Seg::Key(_))
                            && i + 1 == path.len()
                            && is_container(Some(n)))
                        {
                            best = Some(s);
                        }
                    }
                }
                None => break,
            }
        }
        best
    }

    /// A diagnostic pointing at the value at `path`.
    pub(crate) fn error(&self, path: Vec<Seg>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.path, message).at(&self.text, self.span(&path))
    }
}

fn is_container(item: Option<&toml_edit::Item>) -> bool {
    matches!(
        item,
        Some(toml_edit::Item::Table(_)) | Some(toml_edit::Item::ArrayOfTables(_))
    )
}

/// A TOML syntax or type error as a diagnostic, with a note where the fix is clear.
fn toml_diagnostic(
    path: &Path,
    text: &str,
    message: &str,
    mut span: Option<Range<usize>>,
) -> Diagnostic {
    let message = clean_toml_message(message);
    let spelled = span
        .clone()
        .and_then(|s| text.get(s))
        .unwrap_or("")
        .to_string();
    #[allow(
        clippy::expect_used,
        reason = "a literal pattern; the tests compile it"
    )]
    let unknown = regex::Regex::new(r"^unknown field `([^`]*)`, expected (?:one of )?(.*)$")
        .expect("static regex");
    let (message, note) = if let Some(c) = unknown.captures(&message) {
        let key = c[1].to_string();
        let known: Vec<String> = c[2]
            .split(", ")
            .map(|k| k.trim_matches('`').to_string())
            .filter(|k| !k.is_empty())
            .collect();
        let list = known.join(", ");
        let note = match closest(&key, &known) {
            Some(k) => format!("did you mean `{k}`? keys here: {list}"),
            None => format!("keys here: {list}"),
        };
        (format!("unknown key `{key}`"), Some(note))
    } else if message == "duplicate key" {
        let key = spelled.trim().trim_matches(['"', '\'']);
        (
            format!("duplicate key `{key}`"),
            Some("a key or table may appear once; merge the two or remove one".to_string()),
        )
    } else if message.starts_with("invalid float")
        || message.starts_with("invalid integer")
        || message.starts_with("string values must be quoted")
    {
        unquoted_value(text, message, &mut span)
    } else if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        let note = format!("this table needs `{field}`; see docs/manifest.md");
        (format!("missing key `{field}`"), Some(note))
    } else if message.starts_with("invalid type:") && message.ends_with("expected a string") {
        let note = quote_it(text, span.as_ref(), &spelled);
        (message.clone(), Some(note))
    } else if message.ends_with("expected true or false") {
        (
            message.clone(),
            Some("write true or false, without quotes".to_string()),
        )
    } else if message.ends_with("expected a whole number") {
        (
            message.clone(),
            Some("write a whole number of 0 or more, without quotes".to_string()),
        )
    } else if message.starts_with("invalid type: string") && message.ends_with("expected a list") {
        let value = spelled.trim();
        (message.clone(), Some(format!("write a list: [{value}]")))
    } else {
        (message, None)
    };
    let mut d = Diagnostic::new(path, message).at(text, span);
    if let Some(n) = note {
        d = d.note(n);
    }
    d
}

/// A value the parser could not read as a number or a string: the message and note about
/// the whole `key = value` line, not only the part the parser stopped at, with `span`
/// narrowed to the value.
fn unquoted_value(
    text: &str,
    message: String,
    span: &mut Option<Range<usize>>,
) -> (String, Option<String>) {
    let at = span.as_ref().map_or(0, |s| s.start.min(text.len()));
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[line_start..line_end];
    match line.split_once('=') {
        Some((key, value)) if !value.trim().is_empty() => {
            let value = value.split(" #").next().unwrap_or(value).trim();
            if let Some(i) = line[key.len() + 1..].find(value) {
                let start = line_start + key.len() + 1 + i;
                *span = Some(start..start + value.len());
            }
            (
                format!("`{value}` is neither a number nor quoted text"),
                Some(format!("quote text: {} = \"{value}\"", key.trim())),
            )
        }
        Some((key, _)) => (
            format!("`{}` has no value", key.trim()),
            Some(format!("give one, e.g. {} = \"...\"", key.trim())),
        ),
        None => (message, None),
    }
}

/// How to quote the value `spelled` at `span` where a string was expected.
fn quote_it(text: &str, span: Option<&Range<usize>>, spelled: &str) -> String {
    let at = span.map_or(0, |s| s.start.min(text.len()));
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..at];
    let (key, between) = before.split_once('=').unwrap_or(("", before));
    let key = key.trim();
    let value = spelled.trim();
    if key.is_empty() || !between.trim().is_empty() {
        format!("quote it: \"{value}\"")
    } else {
        format!("quote it: {key} = \"{value}\"")
    }
}

/// The known key a mistyped one most likely meant: same letters with `_` for `-` or a
/// different case, or at most two edits away.
fn closest<'a>(key: &str, known: &'a [String]) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    if let Some(k) = known.iter().find(|k| norm(k) == norm(key)) {
        return Some(k);
    }
    known
        .iter()
        .map(|k| (edit_distance(&norm(key), k), k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// toml's messages end with a newline and sometimes list expectations; keep them on one line.
fn clean_toml_message(message: &str) -> String {
    let mut m = message.trim().replace('\n', " ");
    for (rust, plain) in [
        ("expected u32", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list"),
        ("expected struct", "expected a table"),
    ] {
        m = m.replace(rust, plain);
    }
    m
}
