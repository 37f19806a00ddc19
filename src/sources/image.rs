//! The source of an image package ([`crate::render::image_package`]): kiwi's image of a
//! rootfs on one base, built with `kiwi-ng system build` from the rendered description
//! in `obs/<rootfs>-<base>/`, and packed as `<rootfs>-<base>-<version>.tar.gz` (one
//! directory holding `<rootfs>-<base>.tar.xz`) for `obs/<rootfs>-<base>-pkg/`.
//!
//! kiwi builds in a chroot, which takes root. The description reads its packages from
//! the OBS project's repositories (`obsrepositories:/`); here kiwi reads them from the
//! base's repositories in the distro table instead (`--ignore-repos`, `--add-repo`), so
//! an image that installs packages of this project builds on OBS only.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::archive::{self, Entry, Kind};
use super::{io, Made, Report};
use crate::distro::{Distro, Format};
use crate::error::{Error, Result};
use crate::manifest::{Model, Rootfs};
use crate::render::image_package;

/// Bumped when what is made from the same description changes.
const FORMAT: &str = "pkgforge image source 1";

/// The rootfs and base whose image package lives in `obs/<name>/`.
pub(crate) fn find<'a>(model: &'a Model, name: &str) -> Option<(&'a Rootfs, &'a Distro)> {
    model.rootfs.iter().find_map(|r| {
        r.bases
            .iter()
            .find(|b| image_package::obs_package(r, b) == name)
            .map(|b| (r, b))
    })
}

/// Why the image cannot be built by this process, when it cannot: kiwi needs root.
pub(crate) fn refusal(name: &str, rootfs: &Rootfs, base: &Distro, root: bool) -> Option<Error> {
    if root {
        return None;
    }
    Some(
        Error::usage(format!(
            "--package {name}: the image of rootfs `{}` on {} is built by kiwi-ng in a chroot, which needs root",
            rootfs.name, base.id
        ))
        .with_note("nothing was written")
        .with_help(format!(
            "run `sudo pkgforge sources --package {name}`, or take the image OBS built from obs/{}/ and save it as obs/{name}/{}, one directory `{}` holding `{}`",
            rootfs.package_name(base),
            image_package::source_archive(rootfs, base),
            image_package::source_dir(rootfs, base),
            image_package::image_file(rootfs, base),
        )),
    )
}

/// The image package's source, from the cache or built now (by root: see [`refusal`]).
pub(crate) fn make(
    model: &Model,
    rootfs: &Rootfs,
    base: &Distro,
    cache: &Path,
    report: &Report,
) -> Result<Made> {
    let name = image_package::obs_package(rootfs, base);
    let description = crate::fsio::base(&model.dir)
        .join("obs")
        .join(rootfs.package_name(base));
    let kiwi_file = description.join(format!("{}.kiwi", rootfs.name));
    let text = std::fs::read(&kiwi_file).map_err(|_| {
        Error::usage(format!(
            "--package {name}: there is no rendered kiwi description {}",
            kiwi_file.display()
        ))
        .with_help("run `pkgforge render` first")
    })?;
    let config = std::fs::read(description.join("config.sh")).unwrap_or_default();
    let agent = crate::render::kiwi::agent_archive(rootfs)
        .and_then(|name| std::fs::read(description.join(name)).ok())
        .unwrap_or_default();
    let file = image_package::source_archive(rootfs, base);
    let key = crate::digest::sha256_hex(
        [
            FORMAT.as_bytes(),
            &text,
            b"\0",
            &config,
            b"\0",
            &agent,
            b"\0",
            file.as_bytes(),
        ]
        .concat()
        .as_slice(),
    );
    let made_dir = cache.join("made").join(&key);
    let made = |cached| Made {
        package: name.clone(),
        files: vec![(file.clone(), made_dir.join(&file))],
        cached,
    };
    if made_dir.join(".complete").is_file() && made_dir.join(&file).is_file() {
        return Ok(made(true));
    }
    (report.say)(&format!(
        "{name}: building the image of {} on {} with kiwi-ng",
        rootfs.name, base.id
    ));
    let work = io(
        tempfile::Builder::new().prefix("pkgforge-image").tempdir(),
        || "cannot create a temporary directory".to_string(),
    )?;
    let image = build(&name, &description, base, work.path())?;
    let bytes = io(std::fs::read(&image), || {
        format!("cannot read `{}`", image.display())
    })?;
    let mtime = rootfs
        .changelog
        .first()
        .map(|e| e.date.as_second().max(0) as u64)
        .unwrap_or(0);
    let tree = archive::under(
        &image_package::source_dir(rootfs, base),
        vec![Entry {
            path: image_package::image_file(rootfs, base),
            kind: Kind::File { executable: false },
            data: bytes,
        }],
    );
    let tar = archive::tar(&tree, mtime).map_err(Error::Other)?;
    let gz = archive::compress(&tar, archive::Compression::Gz).map_err(Error::Other)?;
    crate::fsio::write_atomic(&made_dir.join(&file), &gz, false)?;
    crate::fsio::write_atomic(&made_dir.join(".complete"), file.as_bytes(), false)?;
    Ok(made(false))
}

/// `--add-repo` values for the base's repositories, in kiwi's
/// `source,type,alias,priority,imageinclude,package_gpgcheck,{signing_keys},components,distribution,repo_gpgcheck`.
pub(crate) fn add_repos(base: &Distro, arch: &str) -> Vec<String> {
    base.repositories
        .iter()
        .map(|r| {
            let url = r.url.replace("{arch}", arch);
            match base.format() {
                Format::Deb => format!(
                    "{url},apt-deb,{},,false,false,,{},{},false",
                    r.name,
                    r.components.join(" "),
                    r.suite.as_deref().unwrap_or_default()
                ),
                Format::Rpm => format!("{url},rpm-md,{},,false,false,,,,false", r.name),
            }
        })
        .collect()
}

/// Run kiwi-ng on `description` into `work`, and return the `.tar.xz` it made.
fn build(name: &str, description: &Path, base: &Distro, work: &Path) -> Result<PathBuf> {
    let target = work.join("out");
    let mut cmd = Command::new("kiwi-ng");
    cmd.arg("system").arg("build");
    cmd.arg("--description").arg(description);
    cmd.arg("--target-dir").arg(&target);
    cmd.arg("--ignore-repos");
    for r in add_repos(base, std::env::consts::ARCH) {
        cmd.arg("--add-repo").arg(r);
    }
    let output = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::usage(format!(
                "--package {name}: `kiwi-ng` is not installed: `pkgforge sources` runs it to build the image"
            ))
            .with_help("install kiwi (`pip install kiwi`, or the distro's package `kiwi-ng` / `python3-kiwi`)")
        } else {
            Error::Other(anyhow::anyhow!("cannot run `kiwi-ng`: {e}"))
        }
    })?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr).into_owned()
            + &String::from_utf8_lossy(&output.stdout);
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::Other(anyhow::anyhow!(
            "package `{name}`: `kiwi-ng system build` failed ({}):\n{}",
            output.status,
            tail.join("\n")
        )));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&target)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".tar.xz"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(Error::Other(anyhow::anyhow!(
            "package `{name}`: kiwi-ng made {} `.tar.xz` archives in {}, not one: the image package wraps the archive of image type tbz",
            found.len(),
            target.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_repositories_name_suite_and_components() {
        let all = crate::distro::builtin();
        let d = all.iter().find(|d| d.id == "debian-12").unwrap();
        let repos = add_repos(d, "x86_64");
        assert!(repos[0].ends_with(",apt-deb,bookworm,,false,false,,main,bookworm,false"));
    }
}
