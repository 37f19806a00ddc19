//! Errors callers branch on, and the diagnostics that point into a file.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// What went wrong, sorted by the exit code the CLI maps it to.
///
/// Every error prints as one diagnostic shape ([`Diagnostic`]): `error: ` and a message,
/// the place in a file when there is one, then `= note:` and `= help:` lines.
/// [`Error::Report`] holds it as parts, and [`Error::usage`], [`Error::unreachable`],
/// [`Error::unverified`] and [`Error::locked`] with [`Error::with_note`] and
/// [`Error::with_help`] build it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input: the manifest, the changelog, a template or an argument.
    #[error("{0}")]
    Invalid(Box<Diagnostics>),
    /// A diagnostic without a place in a file, and the kind of failure it reports.
    #[error("{}", .1.body())]
    Report(Kind, Box<Diagnostic>),
    /// The filesystem or another environment failure.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The kind of failure an [`Error::Report`] is, which decides its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Invalid input that has no position to point at (a missing file, a bad argument):
    /// exit 2.
    Usage,
    /// An upstream could not be reached (network, server errors): exit 3.
    Unreachable,
    /// A release or pin that does not hold: a signature that does not verify with the
    /// committed keyring, a moved tag, a swapped tarball. Exit 4, nothing written.
    Unverified,
    /// Another pkgforge run holds the manifest's lock: exit 2, nothing written.
    Locked,
}

impl Error {
    /// Invalid input with no position to point at.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Error::report(Kind::Usage, message)
    }

    /// An upstream that could not be reached.
    pub(crate) fn unreachable(message: impl Into<String>) -> Self {
        Error::report(Kind::Unreachable, message)
    }

    /// A release or pin that does not hold.
    pub(crate) fn unverified(message: impl Into<String>) -> Self {
        Error::report(Kind::Unverified, message)
    }

    /// A run refused because another one holds the lock.
    pub(crate) fn locked(message: impl Into<String>) -> Self {
        Error::report(Kind::Locked, message)
    }

    fn report(kind: Kind, message: impl Into<String>) -> Self {
        Error::Report(kind, Box::new(Diagnostic::plain(message)))
    }

    /// The same error with a `= note:` line: what the user should know.
    pub fn with_note(self, note: impl Into<String>) -> Self {
        self.map_diagnostic(|d| d.note(note))
    }

    /// The same error with a `= help:` line: what the user can do.
    pub fn with_help(self, help: impl Into<String>) -> Self {
        self.map_diagnostic(|d| d.help(help))
    }

    /// Apply `f` to the diagnostic: the last one of [`Error::Invalid`], the one of
    /// [`Error::Report`]; an environment failure's text becomes a diagnostic's message.
    fn map_diagnostic(self, f: impl FnOnce(Diagnostic) -> Diagnostic) -> Self {
        match self {
            Error::Invalid(mut all) => {
                if let Some(last) = all.0.pop() {
                    all.0.push(f(last));
                }
                Error::Invalid(all)
            }
            Error::Report(kind, d) => Error::Report(kind, Box::new(f(*d))),
            Error::Other(e) => {
                let d = f(Diagnostic::plain(format!("{e:#}")));
                Error::Other(anyhow::anyhow!(d.body()))
            }
        }
    }

    /// The kind of failure, for the errors that are not invalid input in a file or an
    /// environment failure.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            Error::Report(kind, _) => Some(*kind),
            Error::Invalid(_) | Error::Other(_) => None,
        }
    }

    /// The text without its leading `error: `, for reports that quote the failure.
    pub(crate) fn message(&self) -> String {
        let text = self.to_string();
        match text.strip_prefix("error: ") {
            Some(rest) => rest.to_string(),
            None => text,
        }
    }

    /// The text a user sees, laid out by [`Diagnostic`]'s `Display`: the one place that
    /// puts `error: ` in front of a message.
    pub fn rendered(&self) -> String {
        match self {
            Error::Invalid(d) => d.to_string(),
            Error::Report(_, d) => d.to_string(),
            Error::Other(e) => Diagnostic::plain(format!("{e:#}")).to_string(),
        }
    }

    /// The exit code of SPEC: 2 for invalid input (and a run refused because another one
    /// holds the lock: nothing written either), 3 for an upstream that cannot be reached,
    /// 4 for a pin or signature that does not hold, 1 for anything else that failed.
    pub fn exit_code(&self) -> i32 {
        match (self, self.kind()) {
            (Error::Invalid(_), _) => 2,
            (_, Some(Kind::Usage | Kind::Locked)) => 2,
            (_, Some(Kind::Unreachable)) => 3,
            (_, Some(Kind::Unverified)) => 4,
            (_, None) => 1,
        }
    }
}

impl From<crate::fsio::Error> for Error {
    fn from(e: crate::fsio::Error) -> Self {
        Error::Other(anyhow::Error::from(e))
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
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// `Ok(())` when nothing was reported, else the collected diagnostics as an error.
    pub(crate) fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into())
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
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

/// A message, the place in a file it is about when there is one (`file:line:column`, the
/// line itself and a caret), and what the user should know and can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub file: Option<PathBuf>,
    pub location: Option<Location>,
    /// `= note:` lines.
    pub notes: Vec<String>,
    /// A `= help:` line.
    pub help: Option<String>,
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
    pub(crate) fn from_span(source: &str, span: Range<usize>) -> Location {
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
    pub(crate) fn new(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: Some(file.as_ref().to_path_buf()),
            ..Diagnostic::plain(message)
        }
    }

    /// A diagnostic about no file.
    pub(crate) fn plain(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            file: None,
            location: None,
            notes: Vec::new(),
            help: None,
        }
    }

    pub(crate) fn at(mut self, source: &str, span: Option<Range<usize>>) -> Self {
        self.location = span.map(|s| Location::from_span(source, s));
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Everything but the leading `error: `: what an error quoted in a report says.
    pub(crate) fn body(&self) -> String {
        let text = self.to_string();
        match text.strip_prefix("error: ") {
            Some(rest) => rest.to_string(),
            None => text,
        }
    }

    /// The `= note:` and `= help:` lines, each after a newline, indented by `pad`.
    fn write_notes(&self, f: &mut fmt::Formatter<'_>, pad: &str) -> fmt::Result {
        for note in &self.notes {
            write!(f, "\n{pad} = note: {note}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n{pad} = help: {help}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        match (&self.location, &self.file) {
            (Some(loc), Some(file)) => {
                let number = loc.line.to_string();
                let pad = " ".repeat(number.len());
                writeln!(f)?;
                writeln!(f, "{pad}--> {}:{}:{}", file.display(), loc.line, loc.column)?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{number} | {}", loc.text)?;
                let indent: String = loc
                    .text
                    .chars()
                    .take(loc.column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "{pad} | {indent}{}", "^".repeat(loc.width))?;
                self.write_notes(f, &pad)
            }
            (_, Some(file)) => {
                write!(f, "\n --> {}", file.display())?;
                self.write_notes(f, " ")
            }
            (_, None) => self.write_notes(f, " "),
        }
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

    #[test]
    fn a_report_has_notes_and_help_and_one_error_prefix() {
        let e = Error::usage("--distro x: not a distro")
            .with_note("targets: a, b")
            .with_help("pass one of them");
        assert_eq!(
            e.rendered(),
            "error: --distro x: not a distro\n  = note: targets: a, b\n  = help: pass one of them"
        );
        assert_eq!(
            e.to_string(),
            "--distro x: not a distro\n  = note: targets: a, b\n  = help: pass one of them"
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(Error::unreachable("down").exit_code(), 3);
        assert_eq!(Error::unverified("moved").exit_code(), 4);
        assert_eq!(Error::locked("held").exit_code(), 2);
    }

    #[test]
    fn a_report_prints_one_error_prefix() {
        assert_eq!(Error::usage("x").rendered(), "error: x");
        assert_eq!(Error::unreachable("x").message(), "x");
        let noted = Error::unverified("x").with_note("n");
        assert_eq!(noted.rendered(), "error: x\n  = note: n");
        assert_eq!(noted.message(), "x\n  = note: n");
        assert_eq!(noted.exit_code(), 4);
    }

    #[test]
    fn a_diagnostic_without_location_names_its_file() {
        let d = Diagnostic::new("packages.toml", "bad")
            .note("one")
            .note("two");
        assert_eq!(
            d.to_string(),
            "error: bad\n --> packages.toml\n  = note: one\n  = note: two"
        );
    }
}
