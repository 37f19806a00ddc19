//! `pkgforge import`: existing OBS packaging read into manifest entries.

use crate::error::Result;
use crate::import::{self, Request};

use super::{lock_and_recover, Global, Outcome};

/// The arguments of `import`.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub request: Request,
    /// `--write`: add the entries to packages.toml and changelog.toml.
    pub write: bool,
}

/// Print the entries (and the report of what has no manifest key), or write them.
pub fn run(g: &Global, args: &Args) -> Result<Outcome> {
    let _lock = match args.write {
        true => Some(lock_and_recover(g)?),
        false => None,
    };
    let prepared = import::prepare(g.manifest, &args.request)?;
    let mut closing: Vec<String> = Vec::new();
    if !prepared.report.is_empty() {
        closing.push(format!(
            "{} things to review, each where it is (not imported, or imported differently):",
            prepared.report.len()
        ));
        closing.extend(prepared.report.iter().map(|r| format!("  {r}")));
    }
    if args.write {
        let count = prepared.count();
        import::apply(g.manifest, prepared)?;
        if !g.quiet {
            closing.push(format!(
                "imported {count} packages into {}; run `pkgforge diff` to compare with the original files",
                g.manifest.display()
            ));
        }
        return Ok(Outcome {
            code: 0,
            stdout: super::Stdout::Nothing,
            closing,
        });
    }
    if let Some(e) = &prepared.invalid {
        closing.push(format!(
            "warning: {}",
            e.rendered().trim_start_matches("error: ")
        ));
    }
    let text = format!(
        "# packages.toml\n{}\n# changelog.toml\n{}",
        prepared.manifest_entries, prepared.changelog_entries
    );
    Ok(Outcome {
        code: 0,
        stdout: super::Stdout::Text(text),
        closing,
    })
}
