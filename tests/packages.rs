//! scripts/check-test-packages.py, which proves that scripts/test.sh installs every Debian
//! package the tests run: it fails when a program the tests ran, or a fixture's
//! Build-Depends, comes from a package the list lacks, and passes once it is listed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A test script holding only `debs`, as scripts/test.sh writes its list.
fn script(dir: &Path, debs: &[&str]) -> std::path::PathBuf {
    let path = dir.join("test.sh");
    std::fs::write(
        &path,
        format!("#!/bin/sh\ndebs=(\n  # the list\n  {}\n)\n", debs.join(" ")),
    )
    .unwrap();
    path
}

fn check(dir: &Path, debs: &[&str], args: &[&str]) -> (bool, String) {
    run(Command::new(tool("python3"))
        .arg(repo().join("scripts/check-test-packages.py"))
        .arg("--script")
        .arg(script(dir, debs))
        .arg("--repo")
        .arg(repo())
        .args(args)
        .current_dir(dir))
}

/// `tool("go")`, resolved the way strace records it: the path execve was given.
fn go() -> String {
    tool("go").display().to_string()
}

#[test]
fn a_program_from_an_unlisted_package_fails_the_check() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("exec.log");
    std::fs::write(
        &log,
        format!(
            "100 execve(\"/usr/bin/sh\", [...], 0x7ffe /* 3 vars */) = 0\n\
             100 clone(child_stack=NULL, flags=SIGCHLD) = 101\n\
             101 execve(\"{}\", [...], 0x7ffe /* 3 vars */) = 0\n",
            go()
        ),
    )
    .unwrap();
    let log = log.to_str().unwrap();

    let (ok, out) = check(tmp.path(), &["strace"], &[log]);
    assert!(!ok, "passed without golang-go listed:\n{out}");
    assert!(
        out.contains(&format!(
            "error: the tests ran `{}` from the Debian package `golang-go`",
            go()
        )) && out.contains("add `golang-go` to its debs list"),
        "{out}"
    );
    // sh is dash's, part of every Debian system: never needs listing.
    assert!(!out.contains("/usr/bin/sh"), "{out}");

    let (ok, out) = check(tmp.path(), &["strace", "golang-go"], &[log]);
    assert!(ok, "failed with golang-go listed:\n{out}");
    assert!(
        out.contains("2 programs run by the tests, 2 of them from Debian packages"),
        "{out}"
    );
}

#[test]
fn a_program_started_inside_a_chroot_is_not_the_hosts() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("exec.log");
    std::fs::write(
        &log,
        format!(
            "200 execve(\"/usr/sbin/chroot\", [...], 0x7ffe /* 3 vars */) = 0\n\
             200 chroot(\"/tmp/root\") = 0\n\
             200 vfork() = 201\n\
             201 execve(\"{}\", [...], 0x7ffe /* 3 vars */) = 0\n",
            go()
        ),
    )
    .unwrap();
    let (ok, out) = check(tmp.path(), &["strace"], &[log.to_str().unwrap()]);
    assert!(
        ok,
        "a program in the chroot was taken for the host's:\n{out}"
    );
    assert!(out.contains("1 programs run by the tests"), "{out}");
}

#[test]
fn a_fixture_build_dependency_from_an_unlisted_package_fails_the_check() {
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("record");
    std::fs::create_dir(&record).unwrap();
    std::fs::write(
        record.join("build-depends-1"),
        "/tmp/x/debian/control\tdebhelper-compat (= 13), golang-go (>= 2:1.19~) | golang-1.19-go\n",
    )
    .unwrap();
    let record = record.to_str().unwrap();

    let (ok, out) = check(tmp.path(), &["strace"], &["--build-depends", record]);
    assert!(!ok, "passed without debhelper and Go listed:\n{out}");
    assert!(
        out.contains("error: /tmp/x/debian/control: Build-Depends `debhelper-compat` is not installed by")
            && out.contains(
                "error: /tmp/x/debian/control: Build-Depends `golang-go | golang-1.19-go` is not installed by"
            ),
        "{out}"
    );

    // debhelper-compat is virtual: debhelper provides it.
    let (ok, out) = check(
        tmp.path(),
        &["strace", "debhelper", "golang-go"],
        &["--build-depends", record],
    );
    assert!(ok, "failed with both listed:\n{out}");
    assert!(out.contains("1 fixture Build-Depends fields"), "{out}");
}

#[test]
fn a_listed_package_that_is_not_installed_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, out) = check(tmp.path(), &["strace", "no-such-package-pkgforge"], &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("error: `no-such-package-pkgforge` is in"),
        "{out}"
    );
}
