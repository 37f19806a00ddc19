//! A build as an OBS worker runs it: obs-build's `build` script makes a chroot from the
//! target's repositories, installs what the rendered build configuration and the `.dsc`
//! ask for, runs debtransform and `dpkg-buildpackage` in it. Then the built packages are
//! installed in that root with `dpkg -i` and the smoke test runs there under `chroot`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{Built, Job, Stage};
use crate::distro::{Distro, Format};
use crate::error::{Error, Result};

/// The message when a chroot build is asked for without root.
pub(crate) fn needs_root() -> Error {
    Error::usage("a chroot build needs root: obs-build mounts /proc and installs packages into the build root")
        .with_help("run pkgforge as root (sudo pkgforge build ...), or build on this machine with `pkgforge build --host`")
}

/// The targets a chroot build cannot serve here: RPM ones, whose build configuration OBS
/// takes from the distribution's own project rather than from the project's prjconf.
pub(crate) fn unsupported(targets: &[&Distro]) -> Result<()> {
    let rpm: Vec<&str> = targets
        .iter()
        .filter(|t| t.format() == Format::Rpm)
        .map(|t| t.id.as_str())
        .collect();
    if rpm.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "chroot builds are for Debian and Ubuntu targets; {} build from an RPM distribution's project configuration, which pkgforge does not render",
        rpm.join(", ")
    ))
    .with_help("build them on this machine with `pkgforge build --host`, or select the deb targets with `--distro deb`"))
}

/// The `--repo` arguments of obs-build for `target`: `<url>/<suite>/<components>` for
/// each of its repositories that serves the `Packages.gz` obs-build reads. The first
/// repository must; the others (updates, security) are left out, with a reason in
/// `skipped`, when they serve only `Packages.xz`. An unreachable first repository exits
/// 3 and points to `--host`.
pub(crate) fn repositories(target: &Distro, skipped: &mut Vec<String>) -> Result<Vec<String>> {
    let arch = target.arch_name(super::host_arch());
    let mut repos = Vec::new();
    for (i, r) in target.repositories.iter().enumerate() {
        let suite = r.suite.as_deref().unwrap_or(&r.name);
        let url = r.url.trim_end_matches('/');
        let component = r.components.first().map(String::as_str).unwrap_or("main");
        let index = format!("{url}/dists/{suite}/{component}/binary-{arch}/Packages.gz");
        match crate::remote::http::exists(&index, Duration::from_secs(30)) {
            Ok(true) => repos.push(format!("{url}/{suite}/{}", r.components.join("+"))),
            Ok(false) if i > 0 => skipped.push(format!(
                "{}: {}: left out: it has no Packages.gz, the only index obs-build reads",
                target.id, r.name
            )),
            Ok(false) => {
                return Err(Error::unreachable(format!(
                    "{}: {index} is not there: obs-build cannot read repository {}",
                    target.id, r.name
                ))
                .with_help("build on this machine instead with `pkgforge build --host`"));
            }
            Err(e) if i > 0 => skipped.push(format!("{}: {}: left out: {e}", target.id, r.name)),
            Err(e) => {
                return Err(Error::unreachable(format!(
                    "{}: the repository {} cannot be reached: {e}",
                    target.id, r.name
                ))
                .with_help("build on this machine instead with `pkgforge build --host`, which says it built on the host"));
            }
        }
    }
    if repos.is_empty() {
        return Err(
            Error::usage(format!("{}: the distro has no repositories", target.id)).with_help(
                format!("name them under [distros.{}] repositories", target.id),
            ),
        );
    }
    Ok(repos)
}

/// The obs-build script: `obs-build` on `PATH` (Debian's name for it), else `build`.
fn obs_build() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["obs-build", "build"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() && (name == "obs-build" || dir.ends_with("obs-build")) {
                return p;
            }
        }
    }
    PathBuf::from("/usr/lib/obs-build/build")
}

/// Build `job` with obs-build in `<BUILD_DIR>/<target>/root`, downloads cached in `cache`.
pub(crate) fn build(job: &Job, repos: &[String], cache: &Path) -> Result<Built> {
    let name = &job.package.name;
    let src = job.fresh(".obs")?;
    job.write_rendered(&format!("obs/{name}/"), &src)?;
    job.copy_sources(&src)?;
    let prjconf = job.rendered(&format!(
        "obs/_meta/{}.prjconf",
        job.model.project.obs_project
    ))?;
    let dist = job.dir.join(format!("{}.conf", job.target.obs_repository));
    super::write_file(
        &dist,
        format!(
            "%define _repository {}\n{}",
            job.target.obs_repository,
            String::from_utf8_lossy(&prjconf.content)
        )
        .as_bytes(),
        false,
    )?;
    let root = job.dir.join("root");
    let mut cmd = Command::new(obs_build());
    cmd.arg("--root").arg(&root);
    for r in repos {
        cmd.arg("--repo").arg(r);
    }
    cmd.arg("--dist")
        .arg(&dist)
        .args(["--arch", super::host_arch(), "--cachedir"])
        .arg(cache)
        .arg(src.join(format!("{name}.dsc")));
    let built = job.run("obs-build", &mut cmd)?;
    let result = match built {
        true => install_and_test(job, &root),
        false => Ok(Built::failed(Stage::Build, Vec::new())),
    };
    let mut kill = Command::new(obs_build());
    kill.arg("--root").arg(&root).arg("--kill");
    let _ = job.run("obs-build --kill (unmount the build root)", &mut kill);
    result
}

/// Install the built packages in the build root and run the smoke test there.
fn install_and_test(job: &Job, root: &Path) -> Result<Built> {
    let debs_dir = root.join("usr/src/packages/DEBS");
    let debs = super::files_ending(&debs_dir, ".deb");
    let kept = job.keep(&debs)?;
    let Some(test) = &job.package.test else {
        return Ok(Built::untested(kept));
    };
    let mut install = Command::new("chroot");
    install.arg(root).args(["dpkg", "-i"]);
    for d in &debs {
        if let Ok(rel) = d.strip_prefix(root) {
            install.arg(Path::new("/").join(rel));
        }
    }
    if !job.run("dpkg -i in the build root", &mut install)? {
        return Ok(Built::failed(Stage::Install, kept));
    }
    let mut run = Command::new("chroot");
    run.arg(root).args(["sh", "-c", test]);
    job.smoke_test(test, &mut run, kept)
}
