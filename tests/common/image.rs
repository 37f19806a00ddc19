//! Image packages end to end without a real kiwi build: the `image-package` golden case
//! (or `image-disk`, which installs a disk image) rendered, and `pkgforge sources` run
//! with a stand-in `kiwi-ng` first on `PATH` that writes a small tbz image where
//! `--target-dir` says and records its arguments.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{bin, copy_into, must, ok, pkgforge, repo, run, tool};

/// The golden case `image-package`, rendered into a new temporary directory.
pub fn project() -> tempfile::TempDir {
    case("image-package")
}

/// The golden case `image-disk`, whose image package installs a disk image.
pub fn disk_project() -> tempfile::TempDir {
    case("image-disk")
}

/// The golden case `name`, rendered into a new temporary directory.
fn case(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(&repo().join("tests/cases").join(name), tmp.path());
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
mkdir -p "$target/root/etc" "$target/root/usr/bin"
echo guest > "$target/root/etc/hostname"
printf '{hello}' > "$target/root/usr/bin/guest-hello"
chmod {mode:o} "$target/root/usr/bin/guest-hello"
tar -C "$target/root" --owner=0 --group=0 --numeric-owner -cJf "$target/guest-rootfs.x86_64-1.4.tar.xz" .
rm -rf "$target/root"
"#,
            args = bin_dir.join("kiwi-args").display(),
            hello = HELLO.replace('\n', "\\n"),
            mode = HELLO_MODE,
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

/// The content of `/usr/bin/guest-hello` in the stand-in image.
pub const HELLO: &str = "#!/bin/sh\necho hello from the guest\n";
/// Its mode: setuid and not readable by others, which a disk image must keep.
pub const HELLO_MODE: u32 = 0o4751;

/// Checks a disk image an image package installs: an MBR partition table with one Linux
/// partition from sector 2048 to the end; in it an ext4 file system `e2fsck` accepts,
/// holding the stand-in image's tree with root's ownership and the archive's modes.
pub fn check_disk_image(img: &Path) {
    let (ok_table, table) = run(Command::new(tool("sfdisk")).arg("--json").arg(img));
    assert!(ok_table, "sfdisk --json:\n{table}");
    let table: serde_json::Value = serde_json::from_str(&table).unwrap();
    let table = &table["partitiontable"];
    assert_eq!(table["label"], "dos", "{table}");
    let parts = table["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 1, "{table}");
    assert_eq!(parts[0]["start"], 2048, "{table}");
    assert_eq!(parts[0]["type"], "83", "{table}");
    let size = std::fs::metadata(img).unwrap().len();
    assert_eq!(
        (2048 + parts[0]["size"].as_u64().unwrap()) * 512,
        size,
        "the partition runs to the end of the image: {table}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let part = tmp.path().join("root.ext4");
    must(
        Command::new("dd")
            .arg(format!("if={}", img.display()))
            .arg(format!("of={}", part.display()))
            .args(["bs=512", "skip=2048", "status=none"]),
        "dd",
    );
    let fsck = must(
        Command::new(tool("e2fsck")).arg("-fn").arg(&part),
        "e2fsck -fn",
    );
    assert!(fsck.contains("Pass 5"), "{fsck}");
    let debugfs = |request: &str| {
        let out = Command::new(tool("debugfs"))
            .args(["-R", request])
            .arg(&part)
            .output()
            .unwrap();
        assert!(out.status.success(), "debugfs -R {request}");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let stat = debugfs("stat /usr/bin/guest-hello");
    assert!(
        stat.contains(&format!("Mode:  0{:o} ", HELLO_MODE)),
        "{stat}"
    );
    assert!(stat.contains("User:     0   Group:     0 "), "{stat}");
    assert!(stat.contains("Type: regular"), "{stat}");
    assert_eq!(debugfs("cat /usr/bin/guest-hello"), HELLO);
    let etc = debugfs("stat /etc");
    assert!(
        etc.contains("Type: directory") && etc.contains("User:     0   Group:     0 "),
        "{etc}"
    );
    assert_eq!(debugfs("cat /etc/hostname"), "guest\n");
}
