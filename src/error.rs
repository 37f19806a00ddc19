//! Errors callers branch on, and the diagnostics that point into a file.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// What went wrong, sorted by the exit code the CLI maps it to.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input: the manifest, the changelog, a template or an argument.
    #[error("{0}")]
    Invalid(Box<Diagnostics>),
    /// Invalid input that has no position to point at (a missing file, a bad argument).
    #[error("{0}")]
    Usage(String),
    /// An upstream could not be reached (network, server errors): exit 3.
    #[error("{0}")]
    Unreachable(String),
    /// A release or pin that does not hold: a signature that does not verify with the
    /// committed keyring, a moved tag, a swapped tarball. Exit 4, nothing written.
    #[error("{0}")]
    Unverified(String),
    /// Another pkgforge run holds the manifest's lock: exit 2, nothing written.
    #[error("{0}")]
    Locked(String),
    /// The filesystem or another environment failure.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// The exit code of SPEC: 2 for invalid input (and a run refused because another one
    /// holds the lock: nothing written either), 1 for anything else that failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Usage(_) | Error::Locked(_) => 2,
            Error::Unreachable(_) => 3,
            Error::Unverified(_) => 4,
            Error::Other(_) => 1,
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::Invalid(Box::new(Diagnostics(vec![d])))
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Error::Invalid(Box::new(d))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One or more diagnostics, reported together so a user fixes them in one pass.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was reported, else the collected diagnostics as an error.
    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into())
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A message about a place in a file: `file:line:column`, the line itself and a caret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub file: PathBuf,
    pub location: Option<Location>,
    pub note: Option<String>,
}

/// A 1-based line and column plus the text of that line and the width to underline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub width: usize,
}

impl Location {
    /// Locate a byte range of `source`. The caret covers the range on its first line.
    pub fn from_span(source: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end]
            .trim_end_matches('\r')
            .to_string();
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        Location {
            line,
            column,
            text,
            width,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Diagnostic {
    pub fn new(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            file: file.as_ref().to_path_buf(),
            location: None,
            note: None,
        }
    }

    pub fn at(mut self, source: &str, span: Option<Range<usize>>) -> Self {
        self.location = span.map(|s| Location::from_span(source, s));
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        match &self.location {
            Some(loc) => {
                let number = loc.line.to_string();
                let pad = " ".repeat(number.len());
                writeln!(
                    f,
                    "{pad}--> {}:{}:{}",
                    self.file.display(),
                    loc.line,
                    loc.column
                )?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{number} | {}", loc.text)?;
                let indent: String = loc
                    .text
                    .chars()
                    .take(loc.column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "{pad} | {indent}{}", "^".repeat(loc.width))?;
                if let Some(note) = &self.note {
                    write!(f, "\n{pad} = note: {note}")?;
                }
            }
            None => {
                write!(f, " --> {}", self.file.display())?;
                if let Some(note) = &self.note {
                    write!(f, "\n  = note: {note}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_points_at_the_span() {
        let src = "[project]\nname = \"x\"\nbogus = 1\n";
        let start = src.find("bogus").unwrap();
        let d =
            Diagnostic::new("packages.toml", "unknown key `bogus`").at(src, Some(start..start + 5));
        assert_eq!(
            d.to_string(),
            "error: unknown key `bogus`\n --> packages.toml:3:1\n  |\n3 | bogus = 1\n  | ^^^^^"
        );
    }
}
