//! go_modules and cargo_vendor: the dependencies vendored by the ecosystem's own client,
//! `go mod vendor` or `cargo vendor`, run on the exported tree. These are the programs
//! `pkgforge sources` starts, by design (the services run the same ones on OBS).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::archive::{Entry, Kind};
use crate::error::{Error, Result};
use crate::manifest::{Package, Vendor};

/// The manifest file that marks where the client runs.
fn marker(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Go => "go.mod",
        Vendor::Cargo => "Cargo.toml",
    }
}

/// The directory of `tree` (an exported source tree) to vendor in, relative to it, `""`
/// for the top: the directory of the package's `cargo-toml` when it names one; the top
/// when it has the marker file; else, among the directories with the
/// marker (those with its lock file beside it, `go.sum` or `Cargo.lock`, when any has
/// one), the one the package's
/// build command names (`make -C src/runtime`), else the one named after the package
/// (`src/agent` for `kata-agent`), else the only one.
pub(crate) fn workspace(tree: &Path, package: &Package, vendor: Vendor) -> Result<String> {
    let marker = marker(vendor);
    if let (Vendor::Cargo, Some(toml)) = (vendor, &package.cargo_toml) {
        if tree.join(toml).is_file() {
            let dir = Path::new(toml).parent().unwrap_or(Path::new(""));
            return Ok(dir.to_string_lossy().into_owned());
        }
        return Err(Error::usage(format!(
            "package `{}`: cargo-toml `{toml}` is not in the sources",
            package.name
        ))
        .with_help("name the Cargo.toml of the workspace to vendor, from the top of the sources"));
    }
    if tree.join(marker).is_file() {
        return Ok(String::new());
    }
    let lock = match vendor {
        Vendor::Go => "go.sum",
        Vendor::Cargo => "Cargo.lock",
    };
    let mut found: Vec<(String, bool)> = Vec::new();
    for entry in walkdir::WalkDir::new(tree)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("vendor" | "target" | ".git")))
        .flatten()
    {
        if entry.file_name() != marker {
            continue;
        }
        if let Some(dir) = entry
            .path()
            .parent()
            .and_then(|p| p.strip_prefix(tree).ok())
        {
            let locked = entry.path().with_file_name(lock).is_file();
            found.push((dir.to_string_lossy().replace('\\', "/"), locked));
        }
    }
    // A directory with a lock file is where the client runs; without any, every one.
    let any_locked = found.iter().any(|(_, locked)| *locked);
    let found: Vec<String> = found
        .into_iter()
        .filter(|(_, locked)| *locked || !any_locked)
        .map(|(d, _)| d)
        .collect();
    let commands: Vec<&str> = package.targets.values().map(|t| t.build.as_str()).collect();
    let named = |dir: &str| {
        let last = dir.rsplit('/').next().unwrap_or(dir);
        package.name == last || package.name.ends_with(&format!("-{last}"))
    };
    let all: Vec<&String> = found.iter().collect();
    let by_build: Vec<&String> = found
        .iter()
        .filter(|d| commands.iter().any(|c| mentions(c, d)))
        .collect();
    let by_name: Vec<&String> = found.iter().filter(|d| named(d)).collect();
    let chosen = match (by_build.as_slice(), by_name.as_slice(), all.as_slice()) {
        ([one], _, _) | ([], [one], _) | ([], [], [one]) => Some((*one).clone()),
        ([_, ..], _, _) => by_build.iter().find(|d| named(d)).map(|d| (*d).clone()),
        _ => None,
    };
    chosen.ok_or_else(|| {
        let listed = match found.is_empty() {
            true => format!("no {marker}"),
            false => format!("several: {}", found.join(", ")),
        };
        Error::usage(format!(
            "package `{}`: cannot tell where to run the {} vendoring: {listed}",
            package.name,
            client(vendor)
        ))
        .with_help(format!(
            "name the directory in the package's `build` command (e.g. `make -C <dir>`), or commit {lock} beside the {marker} to vendor"
        ))
    })
}

/// Whether the shell command `command` names the directory `dir` as a path of its own.
fn mentions(command: &str, dir: &str) -> bool {
    command
        .split(|c: char| c.is_whitespace() || c == '=' || c == ';')
        .any(|w| w.trim_end_matches('/').trim_start_matches("./") == dir)
}

fn client(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Go => "go",
        Vendor::Cargo => "cargo",
    }
}

/// Run the client in `tree/dir` and return the `vendor/` directory it made as entries
/// (paths starting `vendor/`). `scratch` is an empty directory for its output.
pub(crate) fn vendor(
    tree: &Path,
    dir: &str,
    vendor: Vendor,
    scratch: &Path,
    package: &str,
) -> Result<Vec<Entry>> {
    let work = tree.join(dir);
    let out = scratch.join("vendor");
    let mut cmd = match vendor {
        Vendor::Go => {
            let mut c = Command::new("go");
            c.args(["mod", "vendor", "-o"]).arg(&out);
            c
        }
        Vendor::Cargo => {
            let mut c = Command::new("cargo");
            c.arg("vendor")
                .arg("--manifest-path")
                .arg(work.join("Cargo.toml"));
            if work.join("Cargo.lock").is_file() {
                c.arg("--locked");
            }
            c.arg(&out);
            c
        }
    };
    cmd.current_dir(&work);
    let name = client(vendor);
    let output = cmd.output().map_err(|e| missing_or_failed(vendor, &e))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let place = if dir.is_empty() { "." } else { dir };
        return Err(Error::unreachable(format!(
            "package `{package}`: `{name} vendor` in {place} failed ({}):\n{}",
            output.status,
            tail.join("\n")
        ))
        .with_note(format!(
            "{name} downloads the dependencies its lock file names; check the network and the lock file"
        )));
    }
    if !out.is_dir() {
        std::fs::create_dir_all(&out).map_err(|e| Error::Other(e.into()))?;
    }
    read_tree(&out, "vendor")
}

fn missing_or_failed(vendor: Vendor, e: &std::io::Error) -> Error {
    let name = client(vendor);
    if e.kind() == std::io::ErrorKind::NotFound {
        let (debian, suse) = match vendor {
            Vendor::Go => ("golang-go", "go"),
            Vendor::Cargo => ("cargo", "cargo"),
        };
        return Error::usage(format!(
            "`{name}` is not installed: `pkgforge sources` runs it to vendor the dependencies"
        ))
        .with_help(format!(
            "install the Debian or Ubuntu package `{debian}`, the openSUSE or SLE package `{suse}`"
        ));
    }
    Error::Other(anyhow::anyhow!("cannot run `{name}`: {e}"))
}

/// Every file, directory and symlink under `root`, as entries whose paths start with
/// `prefix` (the root itself included), sorted.
pub(crate) fn read_tree(root: &Path, prefix: &str) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for item in walkdir::WalkDir::new(root).sort_by_file_name() {
        let item = item.map_err(|e| Error::Other(e.into()))?;
        let rel: PathBuf = item
            .path()
            .strip_prefix(root)
            .map_err(|e| Error::Other(e.into()))?
            .to_path_buf();
        let rel = rel.to_string_lossy().replace('\\', "/");
        let path = match rel.is_empty() {
            true => prefix.to_string(),
            false => format!("{prefix}/{rel}"),
        };
        let read = |p: &Path| std::fs::read(p).map_err(|e| Error::Other(e.into()));
        let ft = item.file_type();
        let (kind, data) = if ft.is_dir() {
            (Kind::Dir, Vec::new())
        } else if ft.is_symlink() {
            let target = std::fs::read_link(item.path()).map_err(|e| Error::Other(e.into()))?;
            (
                Kind::Symlink(target.to_string_lossy().into_owned()),
                Vec::new(),
            )
        } else {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = item.metadata().map_err(|e| Error::Other(e.into()))?;
            let executable = meta.permissions().mode() & 0o111 != 0;
            (Kind::File { executable }, read(item.path())?)
        };
        entries.push(Entry { path, kind, data });
    }
    super::archive::sort(&mut entries);
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_command_names_its_directory() {
        assert!(mentions("make -C src/runtime", "src/runtime"));
        assert!(mentions("cd src/agent && make", "src/agent"));
        assert!(mentions("make -C ./src/agent/", "src/agent"));
        assert!(!mentions("make -C src/runtime-rs", "src/runtime"));
    }
}
