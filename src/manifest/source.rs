//! A TOML file kept with its text, so any value can be pointed at by its key path.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{Diagnostic, Result};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
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
        vec![$($crate::manifest::source::Seg::from($seg)),*]
    };
}

/// The text of a TOML file and its parsed layout, for locating values.
pub struct Source {
    pub path: PathBuf,
    pub text: String,
    doc: toml_edit::Document<String>,
}

impl Source {
    /// Parse `text` (read from `path`) and deserialize it into `T`, turning syntax and
    /// type errors into diagnostics that point at the offending text.
    pub fn parse<T: DeserializeOwned>(path: &Path, text: String) -> Result<(Source, T)> {
        let value: T = toml::from_str(&text).map_err(|e| {
            Diagnostic::new(path, clean_toml_message(e.message())).at(&text, e.span())
        })?;
        let doc = toml_edit::Document::parse(text.clone()).map_err(|e| {
            Diagnostic::new(path, clean_toml_message(e.message())).at(&text, e.span())
        })?;
        Ok((
            Source {
                path: path.to_path_buf(),
                text,
                doc,
            },
            value,
        ))
    }

    /// The byte range of the value at `path`, or of the nearest enclosing item that exists.
    pub fn span(&self, path: &[Seg]) -> Option<Range<usize>> {
        let mut item = self.doc.as_item();
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
    pub fn error(&self, path: Vec<Seg>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.path, message).at(&self.text, self.span(&path))
    }
}

fn is_container(item: Option<&toml_edit::Item>) -> bool {
    matches!(
        item,
        Some(toml_edit::Item::Table(_)) | Some(toml_edit::Item::ArrayOfTables(_))
    )
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
