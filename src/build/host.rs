//! A build on this machine, for targets whose repositories cannot be reached: the host's
//! `rpmbuild` with the target's rendered spec and its distro macros, or the host's
//! `dpkg-buildpackage` with the target's rendered `debian/` directory. The packages are
//! then unpacked into an empty root (`rpm -i --root <root> --nodeps --noscripts`, or
//! `dpkg -x` for each `.deb`) and the smoke test runs with that root's `bin` directories
//! first in `PATH` and its library directories in `LD_LIBRARY_PATH`, on the host's
//! libraries otherwise.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Built, Job, Stage};
use crate::distro::Format;
use crate::error::Result;

/// Build `job` on the host, install the result into an empty root and run the smoke test.
pub(crate) fn build(job: &Job) -> Result<Built> {
    job.note(&format!(
        "building {} for {} on this host, not on {}: the host's compilers and libraries are used",
        job.package.name, job.target.id, job.target.id
    ))?;
    let (packages, ok) = match job.target.format() {
        Format::Rpm => rpmbuild(job)?,
        Format::Deb => dpkg_buildpackage(job)?,
    };
    if !ok {
        return Ok(Built::failed(Stage::Build, Vec::new()));
    }
    let kept = job.keep(&packages)?;
    let Some(test) = &job.package.test else {
        return Ok(Built::untested(kept));
    };
    let root = absolute(&job.fresh(".root")?);
    if !install(job, &root, &kept)? {
        return Ok(Built::failed(Stage::Install, kept));
    }
    let mut run = Command::new("sh");
    run.args(["-c", test])
        .current_dir(&root)
        .env("PATH", search_path(&root))
        .env("LD_LIBRARY_PATH", library_path(&root));
    job.smoke_test(test, &mut run, kept)
}

/// `rpmbuild -bb` of `rpm/<target>/<package>.spec` with the target's macros; the
/// build requirements are not checked (the host's rpm database is not the target's).
fn rpmbuild(job: &Job) -> Result<(Vec<PathBuf>, bool)> {
    let name = &job.package.name;
    let top = absolute(&job.fresh(".rpmbuild")?);
    let sources = top.join("SOURCES");
    job.write_rendered(&format!("obs/{name}/"), &sources)?;
    job.copy_sources(&sources)?;
    let spec = job.rendered(&format!("rpm/{}/{name}.spec", job.target.id))?;
    let spec_path = top.join(format!("{name}.spec"));
    super::write_file(&spec_path, &spec.content, false)?;
    let mut cmd = Command::new("rpmbuild");
    cmd.args(["-bb", "--nodeps", "--define"])
        .arg(format!("_topdir {}", top.display()));
    if Path::new("/bin/bash").is_file() {
        // Debian's rpm runs brp-compress, which needs bash's `read -d`, under /bin/sh
        // (dash there): man and info pages would stay uncompressed and `%{?ext_man}` miss.
        cmd.arg("--define")
            .arg("__brp_compress /bin/bash %{_rpmconfigdir}/brp-compress %{?_prefix}");
    }
    for (k, v) in &job.target.macros {
        cmd.arg("--define").arg(format!("{k} {v}"));
    }
    cmd.arg(&spec_path);
    let ok = job.run("rpmbuild on the host", &mut cmd)?;
    Ok((super::files_ending(&top.join("RPMS"), ".rpm"), ok))
}

/// `dpkg-buildpackage -b` in the upstream tree with the target's `debian/` directory,
/// the tarball beside it as the `.orig` one, and the vendor archive beside it too.
fn dpkg_buildpackage(job: &Job) -> Result<(Vec<PathBuf>, bool)> {
    let name = &job.package.name;
    let work = absolute(&job.fresh(".dpkg")?);
    let unpacked = work.join("unpacked");
    super::make_dir(&unpacked)?;
    let files = job.copy_sources(&work)?;
    let Some(tarball) = files
        .iter()
        .find(|f| f.contains(".tar") || f.ends_with(".tgz"))
    else {
        return Err(crate::Error::usage(format!(
            "package `{name}`: its sources have no tarball to build from"
        )));
    };
    let mut untar = Command::new("tar");
    untar
        .arg("-xf")
        .arg(work.join(tarball))
        .arg("-C")
        .arg(&unpacked);
    if !job.run("unpack the sources", &mut untar)? {
        return Ok((Vec::new(), false));
    }
    let tops: Vec<PathBuf> = std::fs::read_dir(&unpacked)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let tree = match tops.as_slice() {
        [one] if one.is_dir() => one.clone(),
        _ => unpacked.clone(),
    };
    let compression = tarball.rsplit(".tar.").next().filter(|c| *c != tarball);
    let orig = format!(
        "{name}_{}.orig.tar.{}",
        job.package.version.deb,
        compression.unwrap_or("gz")
    );
    std::fs::rename(work.join(tarball), unpacked.join(&orig))
        .map_err(|e| crate::Error::Other(e.into()))?;
    for f in files.iter().filter(|f| *f != tarball) {
        std::fs::rename(work.join(f), unpacked.join(f))
            .map_err(|e| crate::Error::Other(e.into()))?;
    }
    job.write_rendered(
        &format!("debian/{}/{name}/debian/", job.target.id),
        &tree.join("debian"),
    )?;
    let mut cmd = Command::new("dpkg-buildpackage");
    cmd.args(["-us", "-uc", "-b"]).current_dir(&tree);
    let ok = job.run("dpkg-buildpackage on the host", &mut cmd)?;
    Ok((super::files_ending(&unpacked, ".deb"), ok))
}

/// Unpack the built packages into `root`.
fn install(job: &Job, root: &Path, packages: &[PathBuf]) -> Result<bool> {
    match job.target.format() {
        Format::Rpm => {
            let mut cmd = Command::new("rpm");
            cmd.args(["-i", "--nodeps", "--noscripts", "--root"])
                .arg(root)
                .args(packages);
            job.run("rpm -i into an empty root", &mut cmd)
        }
        Format::Deb => {
            for p in packages {
                let mut cmd = Command::new("dpkg");
                cmd.arg("-x").arg(p).arg(root);
                if !job.run("dpkg -x into an empty root", &mut cmd)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
}

/// The root's program directories, then the host's `PATH`.
fn search_path(root: &Path) -> OsString {
    let mut dirs: Vec<PathBuf> = ["usr/local/bin", "usr/bin", "bin", "usr/sbin", "sbin"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    if let Some(host) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&host));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// The root's library directories.
fn library_path(root: &Path) -> OsString {
    let triplet = format!("{}-linux-gnu", super::host_arch());
    let dirs: Vec<PathBuf> = [
        "usr/lib64".to_string(),
        "lib64".to_string(),
        format!("usr/lib/{triplet}"),
        format!("lib/{triplet}"),
        "usr/lib".to_string(),
        "lib".to_string(),
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    std::env::join_paths(dirs).unwrap_or_default()
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
