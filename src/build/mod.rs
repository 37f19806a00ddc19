//! `pkgforge build`: every selected package built for every selected target before
//! anything is pushed, then installed and its smoke test run.
//!
//! Two ways, and the report says which one ran:
//!
//! - in a chroot ([`chroot`]), the way an OBS worker builds: obs-build's `build` script,
//!   the target's repositories from the distro table and the project's rendered build
//!   configuration (`obs/_meta/<project>.prjconf`, with `%_repository` defined first as
//!   OBS's scheduler does), from the OBS set of `obs/<package>/`. It needs root.
//! - on the host ([`host`]): `rpmbuild` with the per-target spec (`rpm/<target>/`) or
//!   `dpkg-buildpackage` with the per-target `debian/` directory, for targets whose
//!   repositories cannot be reached. The host's compilers and libraries are not the
//!   target's, and rpm's build requirements are not checked (`--nodeps`): a host build
//!   proves the packaging, not the target.
//!
//! The files the `_service` makes come from `obs/<package>/`, where `pkgforge sources`
//! put them; the packaging is rendered afresh from the manifest, so what is built is
//! what `render` would write. Logs, work trees and the built packages go under
//! [`BUILD_DIR`] beside the manifest. Running obs-build, rpmbuild, dpkg-buildpackage,
//! rpm, dpkg and chroot is what this module is for: they are the processes it starts.

pub(crate) mod chroot;
pub(crate) mod host;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context as _;

use crate::distro::Distro;
use crate::error::{Error, Result};
use crate::manifest::{Model, Package};
use crate::render::Output;

/// The build directory beside the manifest; it ignores itself in git (a `.gitignore`
/// of `*`). `<target>/<package>.log` is a build's log, `<target>/<package>/` holds the
/// built packages.
pub(crate) const BUILD_DIR: &str = ".pkgforge-build";

/// One package built for one target.
pub(crate) struct Job<'a> {
    pub model: &'a Model,
    /// Everything the manifest renders.
    pub outputs: &'a [Output],
    pub target: &'a Distro,
    pub package: &'a Package,
    /// `<BUILD_DIR>/<target>`.
    pub dir: PathBuf,
    pub log: PathBuf,
}

/// How a job ended.
#[derive(Debug)]
pub(crate) struct Built {
    /// The built packages, copied to `<BUILD_DIR>/<target>/<package>/`.
    pub packages: Vec<PathBuf>,
    /// The step that failed, if one did.
    pub failed: Option<Stage>,
    /// The first line the smoke test printed, when it ran and passed.
    pub smoke: Option<String>,
}

/// The step of a job that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Build,
    Install,
    SmokeTest,
}

impl Stage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stage::Build => "build",
            Stage::Install => "install",
            Stage::SmokeTest => "smoke test",
        }
    }
}

impl Built {
    fn failed(stage: Stage, packages: Vec<PathBuf>) -> Built {
        Built {
            packages,
            failed: Some(stage),
            smoke: None,
        }
    }

    /// Built and installed, with no smoke test to run.
    fn untested(packages: Vec<PathBuf>) -> Built {
        Built {
            packages,
            failed: None,
            smoke: None,
        }
    }
}

impl Job<'_> {
    /// Run the smoke test `test` as `run` does it (in the build root or the host's
    /// root), logged; how the job ended with the packages in `kept`.
    fn smoke_test(&self, test: &str, run: &mut Command, kept: Vec<PathBuf>) -> Result<Built> {
        let (ok, out) = self.run_captured(&format!("smoke test: {test}"), run)?;
        Ok(match ok {
            true => Built {
                packages: kept,
                failed: None,
                smoke: Some(first_line(&out)),
            },
            false => Built::failed(Stage::SmokeTest, kept),
        })
    }
}

impl<'a> Job<'a> {
    pub(crate) fn new(
        model: &'a Model,
        outputs: &'a [Output],
        target: &'a Distro,
        package: &'a Package,
    ) -> Result<Job<'a>> {
        let dir = std::path::absolute(build_dir(&model.dir)?.join(&target.id))
            .context("cannot find the current directory")
            .map_err(Error::Other)?;
        make_dir(&dir)?;
        let log = dir.join(format!("{}.log", package.name));
        std::fs::write(&log, b"")
            .with_context(|| format!("cannot write {}", log.display()))
            .map_err(Error::Other)?;
        Ok(Job {
            model,
            outputs,
            target,
            package,
            dir,
            log,
        })
    }

    /// A fresh (emptied) directory `<BUILD_DIR>/<target>/<package><suffix>`.
    fn fresh(&self, suffix: &str) -> Result<PathBuf> {
        let dir = self.dir.join(format!("{}{suffix}", self.package.name));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot empty {}", dir.display()))
                .map_err(Error::Other)?;
        }
        make_dir(&dir)?;
        Ok(dir)
    }

    /// Write the rendered files under `prefix` (a directory of the output tree) into
    /// `into`, keeping their paths below `prefix`.
    fn write_rendered(&self, prefix: &str, into: &Path) -> Result<usize> {
        let mut n = 0;
        for o in self.outputs {
            let Ok(rel) = o.path.strip_prefix(prefix) else {
                continue;
            };
            let to = into.join(rel);
            if let Some(parent) = to.parent() {
                make_dir(parent)?;
            }
            write_file(&to, &o.content, o.executable)?;
            n += 1;
        }
        Ok(n)
    }

    /// One rendered file, by its path in the output tree.
    fn rendered(&self, path: &str) -> Result<&'a Output> {
        self.outputs
            .iter()
            .find(|o| o.path == Path::new(path))
            .ok_or_else(|| Error::Other(anyhow::anyhow!("{path} is not rendered")))
    }

    /// Copy the files `pkgforge sources` made for the package from `obs/<package>/`
    /// into `into`; their names, in the services' order.
    fn copy_sources(&self, into: &Path) -> Result<Vec<String>> {
        let from = obs_dir(self.model, self.package);
        let mut names = Vec::new();
        for (name, _) in crate::sources::needed_files(self.model, self.package)? {
            let to = into.join(&name);
            std::fs::copy(from.join(&name), &to)
                .with_context(|| format!("cannot copy {} to {}", name, to.display()))
                .map_err(Error::Other)?;
            names.push(name);
        }
        Ok(names)
    }

    /// Copy the built packages into `<BUILD_DIR>/<target>/<package>/`.
    fn keep(&self, built: &[PathBuf]) -> Result<Vec<PathBuf>> {
        let out = self.fresh("")?;
        let mut kept = Vec::new();
        for p in built {
            let Some(name) = p.file_name() else { continue };
            let to = out.join(name);
            std::fs::copy(p, &to)
                .with_context(|| format!("cannot copy {}", p.display()))
                .map_err(Error::Other)?;
            kept.push(to);
        }
        Ok(kept)
    }

    /// Run `cmd` with its output appended to the log; whether it succeeded.
    fn run(&self, what: &str, cmd: &mut Command) -> Result<bool> {
        let mut log = self.open_log()?;
        let _ = writeln!(log, "\n### {what}\n$ {}", shown(cmd));
        let err = log
            .try_clone()
            .context("cannot share the log")
            .map_err(Error::Other)?;
        cmd.stdin(Stdio::null()).stdout(log).stderr(err);
        let status = cmd.status().map_err(|e| cannot_start(cmd, e))?;
        let mut log = self.open_log()?;
        let _ = writeln!(log, "### {what}: {status}");
        Ok(status.success())
    }

    /// Run `cmd` with its output both appended to the log and returned.
    fn run_captured(&self, what: &str, cmd: &mut Command) -> Result<(bool, String)> {
        cmd.stdin(Stdio::null());
        let out = cmd.output().map_err(|e| cannot_start(cmd, e))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut log = self.open_log()?;
        let _ = writeln!(
            log,
            "\n### {what}\n$ {}\n{text}### {what}: {}",
            shown(cmd),
            out.status
        );
        Ok((out.status.success(), text))
    }

    fn open_log(&self) -> Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.log)
            .with_context(|| format!("cannot write {}", self.log.display()))
            .map_err(Error::Other)
    }

    /// Append a line of pkgforge's own to the log.
    fn note(&self, line: &str) -> Result<()> {
        let mut log = self.open_log()?;
        let _ = writeln!(log, "### {line}");
        Ok(())
    }
}

/// `obs/<package>/` beside the manifest.
pub(crate) fn obs_dir(model: &Model, package: &Package) -> PathBuf {
    crate::fsio::base(&model.dir)
        .join("obs")
        .join(&package.name)
}

/// The build directory, made with its `.gitignore` when missing.
pub(crate) fn build_dir(dir: &Path) -> Result<PathBuf> {
    let build = crate::fsio::base(dir).join(BUILD_DIR);
    let ignore = build.join(".gitignore");
    if !ignore.is_file() {
        crate::fsio::write_atomic(&ignore, b"*\n", false)?;
    }
    Ok(build)
}

/// Refuse before building when a file `pkgforge sources` makes is not in
/// `obs/<package>/`, or a tarball there is not the pinned one.
pub(crate) fn check_sources(model: &Model, package: &Package) -> Result<()> {
    let dir = obs_dir(model, package);
    let rel = Path::new("obs").join(&package.name);
    for (name, sha256) in crate::sources::needed_files(model, package)? {
        let path = dir.join(&name);
        let help = format!("make it with `pkgforge sources --package {}`", package.name);
        let Ok(bytes) = std::fs::read(&path) else {
            return Err(Error::usage(format!(
                "package `{}`: {} is missing",
                package.name,
                rel.join(&name).display()
            ))
            .with_note("a build uses the files the package's _service makes, as OBS does")
            .with_help(help));
        };
        if let Some(want) = sha256 {
            let got = crate::digest::sha256_hex(&bytes);
            if got != want {
                return Err(Error::usage(format!(
                    "package `{}`: {} is not the pinned tarball: its sha256 is {got}, the manifest pins {want}",
                    package.name,
                    rel.join(&name).display()
                ))
                .with_help(help));
            }
        }
    }
    Ok(())
}

/// Whether this process runs as root (its effective user).
pub(crate) fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The architecture builds run on: the host's, by its rpm name.
pub(crate) fn host_arch() -> &'static str {
    std::env::consts::ARCH
}

/// Every file under `dir` whose name ends with `suffix`, sorted.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .map(|e| e.path().to_path_buf())
        .collect();
    found.sort();
    found
}

fn make_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Error::Other)
}

fn write_file(path: &Path, bytes: &[u8], executable: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, bytes)
        .and_then(|()| {
            let mode = if executable { 0o755 } else { 0o644 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        })
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Error::Other)
}

/// A command as the log shows it.
fn shown(cmd: &Command) -> String {
    let quote = |w: std::borrow::Cow<'_, str>| match w.contains(char::is_whitespace) {
        true => format!("'{}'", w.replace('\'', "'\\''")),
        false => w.into_owned(),
    };
    let mut words = vec![quote(cmd.get_program().to_string_lossy())];
    words.extend(cmd.get_args().map(|a| quote(a.to_string_lossy())));
    words.join(" ")
}

fn cannot_start(cmd: &Command, e: std::io::Error) -> Error {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let name = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (debian, suse) = match name.as_str() {
        "obs-build" | "build" => ("obs-build", "build"),
        "rpmbuild" => ("rpm", "rpm-build"),
        "rpm" => ("rpm", "rpm"),
        "dpkg-buildpackage" => ("dpkg-dev", "dpkg"),
        "dpkg" => ("dpkg", "dpkg"),
        "tar" => ("tar", "tar"),
        _ => ("coreutils", "coreutils"),
    };
    Error::usage(format!("cannot run `{program}`: {e}")).with_help(format!(
        "install the package that provides it: `{debian}` on Debian and Ubuntu, `{suse}` on openSUSE and SLE"
    ))
}

/// The smoke test's first line of output, for the report.
fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}
