//! One module per subcommand, each with a `run()` that takes the parsed arguments and
//! returns what to print and the exit code. The binary only parses the command line,
//! prints and exits; the policy (locking and recovery, the render cache, exit codes,
//! branch commits) lives here, where it is tested without a process.

pub mod archive;
pub mod build;
pub mod bump;
pub mod check;
pub mod diff;
pub mod distros;
pub mod import;
pub mod render;
pub mod resolve;
pub mod sources;
pub mod templates;
pub mod verify;
pub mod watch;

use std::path::Path;

use crate::error::{Error, Result};
use crate::journal;
use crate::lock::{self, Lock};
use crate::manifest::{Model, Upstream};

/// What every command is given besides its own arguments.
pub struct Global<'a> {
    /// The manifest, as given; outputs are relative to its directory.
    pub manifest: &'a Path,
    /// Print only errors.
    pub quiet: bool,
    /// Also list every file written or removed.
    pub verbose: bool,
    /// Where progress, warnings and summaries go, one message at a time (the binary
    /// prints each on a line of stderr).
    pub say: &'a dyn Fn(&str),
}

impl Global<'_> {
    /// The manifest's directory, where outputs, the lock and the journal live.
    pub(crate) fn dir(&self) -> &Path {
        self.manifest.parent().unwrap_or(Path::new(""))
    }

    /// `message`, unless `--quiet`.
    fn status(&self, message: &str) {
        if !self.quiet {
            (self.say)(message);
        }
    }
}

/// What a command leaves for the binary to print, and its exit code.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub code: u8,
    pub stdout: Stdout,
    /// Messages for stderr that follow what goes to stdout (a diff's summary).
    pub closing: Vec<String>,
}

/// What goes to stdout.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Stdout {
    #[default]
    Nothing,
    /// A report or JSON, printed as it is.
    Text(String),
    /// A unified diff, colored when the user asked for color.
    Diff(String),
}

impl Outcome {
    /// Exit 0 with nothing on stdout.
    pub fn done() -> Outcome {
        Outcome::default()
    }

    /// Exit `code` with `text` on stdout.
    pub fn text(code: u8, text: String) -> Outcome {
        Outcome {
            code,
            stdout: Stdout::Text(text),
            closing: Vec::new(),
        }
    }

    /// Exit `code` with a diff on stdout, then `closing` on stderr unless `--quiet`.
    pub(crate) fn diff(g: &Global, code: u8, diff: String, closing: String) -> Outcome {
        Outcome {
            code,
            stdout: Stdout::Diff(diff),
            closing: (!g.quiet).then_some(closing).into_iter().collect(),
        }
    }
}

/// For the commands that change files: take the lock of the manifest's directory, then
/// repair what a killed run left (temporary files, a half-applied bump). Whether a bump
/// or prune was completed from its journal, so every output must be rendered again.
pub(crate) fn lock_and_recover(g: &Global) -> Result<(Lock, bool)> {
    let lock = Lock::acquire(g.manifest, &lock::command_line())?;
    if let Some(w) = lock.stale_warning() {
        (g.say)(&w);
    }
    let rec = journal::recover(g.dir())?;
    if rec.journal {
        let files: Vec<String> = rec
            .rolled_forward
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let detail = match files.is_empty() {
            true => String::new(),
            false => format!(
                " ({} rolled forward from {})",
                files.join(", "),
                journal::JOURNAL
            ),
        };
        (g.say)(&format!(
            "warning: completing a bump or prune that was interrupted{detail}"
        ));
    }
    Ok((lock, rec.journal))
}

/// For the commands that only read: say so when an interrupted bump waits for a render.
pub(crate) fn warn_pending(g: &Global) {
    if let Some(w) = journal::pending_warning(g.dir()) {
        (g.say)(&w);
    }
}

/// The upstreams named by `--upstream` arguments, or all of them.
pub(crate) fn select_upstreams<'a>(
    model: &'a Model,
    names: &[String],
) -> Result<Vec<&'a Upstream>> {
    let mut upstreams = Vec::new();
    for name in names {
        match model.upstream(name) {
            Some(u) => upstreams.push(u),
            None => {
                let all: Vec<&str> = model.upstreams.iter().map(|u| u.name.as_str()).collect();
                return Err(Error::usage(format!(
                    "--upstream {name}: the manifest has no such upstream"
                ))
                .with_note(format!("upstreams: {}", all.join(", "))));
            }
        }
    }
    if upstreams.is_empty() {
        upstreams = model.upstreams.iter().collect();
    }
    Ok(upstreams)
}

/// Pretty JSON of a report, for `--json`.
fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.into()))
}
