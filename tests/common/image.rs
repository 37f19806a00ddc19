//! Image packages end to end without a real kiwi build: the `image-package` golden case
//! rendered, and `pkgforge sources` run with a stand-in `kiwi-ng` first on `PATH` that
//! writes a small tbz image where `--target-dir` says and records its arguments.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{bin, copy_into, ok, pkgforge, repo};

/// The golden case `image-package`, rendered into a new temporary directory.
pub fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(&repo().join("tests/cases/image-package"), tmp.path());
    let _ = std::fs::remove_dir_all(tmp.path().join("expected"));
    ok(&pkgforge(tmp.path(), &["render", "-q"]));
    tmp
}

/// A directory holding the stand-in `kiwi-ng`; it records its arguments, one a line,
/// in `kiwi-args` beside itself.
pub fn fake_kiwi(dir: &Path) -> PathBuf {
    let bin_dir = dir.join("fake-kiwi");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let script = bin_dir.join("kiwi-ng");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
set -e
printf '%s\n' "$@" > '{args}'
while [ $# -gt 0 ]; do
    case "$1" in --target-dir) target="$2"; shift ;; esac
    shift
done
mkdir -p "$target/root/etc"
echo guest > "$target/root/etc/hostname"
tar -C "$target/root" -cJf "$target/guest-rootfs.x86_64-1.4.tar.xz" .
rm -rf "$target/root"
"#,
            args = bin_dir.join("kiwi-args").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin_dir
}

/// `pkgforge sources --package <package>` in `dir`, with the stand-in kiwi-ng first on PATH.
pub fn sources(dir: &Path, kiwi_dir: &Path, package: &str) -> Output {
    let path = format!(
        "{}:{}",
        kiwi_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(bin())
        .current_dir(dir)
        .arg("--manifest")
        .arg(dir.join("packages.toml"))
        .args(["sources", "--package", package])
        .env("NO_COLOR", "1")
        .env("PATH", path)
        .output()
        .expect("run pkgforge")
}

/// The files of a tar archive, as `tar -tf` lists them.
pub fn tar_list(archive: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .arg("-tf")
        .arg(archive)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}
