//! `pkgforge sources`: the files each `_service` makes, made from the pins. Real parts
//! only: git repositories made by git2 and read over file://, the real `go mod vendor`
//! and `cargo vendor` on modules whose dependencies are local (a `replace` to a
//! directory, a git dependency over file://), tarballs from a loopback HTTP server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::http::{Response, Server};
use common::*;

const CHANGELOG: &str = r#"[[entry]]
version = "1.0"
date = "2026-11-01T10:00:00Z"
author = "Demo Packagers <demo@example.org>"
changes = ["Initial package"]
"#;

fn manifest(git: &str, commit: &str, version: &str) -> String {
    format!(
        r#"[project]
name = "demo"
maintainer = "Demo Packagers <demo@example.org>"
obs-project = "home:demo"
targets = ["opensuse-tumbleweed", "debian-12"]
archs = ["x86_64"]

[toolchains]
go = "1.19"
rust = "1.70"

[upstreams.demo]
git = "{git}"
tag-prefix = "v"
version = "{version}"
commit = "{commit}"

[[packages]]
name = "demo-runtime"
upstream = "demo"
summary = "Demo runtime"
description = "The runtime."
toolchain = "go"
vendor = "go"
build = "make -C src/runtime"
files = ["/usr/bin/demo-runtime"]

[[packages]]
name = "demo-agent"
upstream = "demo"
summary = "Demo agent"
description = "The agent."
toolchain = "rust"
vendor = "cargo"
cargo-toml = "src/agent/Cargo.toml"
build = "make -C src/agent"
files = ["/usr/bin/demo-agent"]
"#
    )
}

/// The MIT licence text with its copyright line.
fn mit_text(holder: &str) -> String {
    format!(
        "MIT License\n\nCopyright (c) {holder}\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction.\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n"
    )
}

const BSD_3: &str = "Copyright (c) 2009 The Go Authors. All rights reserved.\n\nRedistribution and use in source and binary forms, with or without\nmodification, are permitted provided that the following conditions are\nmet:\n\n   * Redistributions of source code must retain the above copyright\nnotice, this list of conditions and the following disclaimer.\n   * Neither the name of Google Inc. nor the names of its\ncontributors may be used to endorse or promote products derived from\nthis software without specific prior written permission.\n";

/// A licence no common one matches.
const ODD_LICENSE: &str = "The odd licence\n\nYou may use this module on Tuesdays.\n";

/// An upstream like Kata's: a Go module in `src/runtime` (with a `replace` to a module
/// beside it) and a Cargo workspace in `src/agent` (with a git dependency on another
/// repository over file://, locked). Returns the project directory, the upstream's
/// file:// URL and the tagged commit.
struct Fixture {
    tmp: tempfile::TempDir,
    url: String,
    commit: String,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let dep_dir = tmp.path().join("dep");
        let (_, dep_commit) = git::repo_with(
            &dep_dir,
            &[
                (
                    "Cargo.toml",
                    "[package]\nname = \"dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT OR Apache-2.0\"\n",
                ),
                ("LICENSE-MIT", mit_text("2020 The dep authors").as_str()),
                ("src/lib.rs", "pub fn answer() -> u32 { 42 }\n"),
            ],
            "dep",
        );
        let dep_url = format!("file://{}", dep_dir.display());
        let agent_toml = format!(
            "[workspace]\n\n[package]\nname = \"agent\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[dependencies]\ndep = {{ git = \"{dep_url}\", rev = \"{dep_commit}\" }}\n"
        );
        let up_dir = tmp.path().join("upstream");
        let files: Vec<(&str, &str)> = vec![
            ("README.md", "Demo\n"),
            ("src/agent/Cargo.toml", &agent_toml),
            (
                "src/agent/src/main.rs",
                "fn main() { println!(\"{}\", dep::answer()); }\n",
            ),
            (
                "src/runtime/go.mod",
                "module example.com/runtime\n\ngo 1.19\n\nrequire (\n\texample.com/dep v0.0.0\n\texample.com/odd v0.0.0\n)\n\nreplace example.com/dep => ../dep\n\nreplace example.com/odd => ../odd\n",
            ),
            (
                "src/runtime/main.go",
                "package main\n\nimport (\n\t\"example.com/dep\"\n\t\"example.com/odd\"\n)\n\nfunc main() { println(dep.Answer() + odd.Answer()) }\n",
            ),
            ("src/dep/go.mod", "module example.com/dep\n\ngo 1.19\n"),
            ("src/dep/LICENSE", BSD_3),
            ("src/odd/go.mod", "module example.com/odd\n\ngo 1.19\n"),
            ("src/odd/LICENSE", ODD_LICENSE),
            (
                "src/odd/odd.go",
                "package odd\n\nfunc Answer() int { return 0 }\n",
            ),
            (
                "src/dep/dep.go",
                "package dep\n\nfunc Answer() int { return 42 }\n",
            ),
        ];
        let (repo, _) = git::repo_with(&up_dir, &files, "initial");
        // The lock file, as upstream commits it.
        let work = tmp.path().join("lockgen");
        copy_into(&up_dir.join("src/agent"), &work);
        let (ok, log) = run(Command::new("cargo")
            .args(["generate-lockfile", "--manifest-path"])
            .arg(work.join("Cargo.toml"))
            .env("CARGO_HOME", tmp.path().join("cargo-home")));
        assert!(ok, "cargo generate-lockfile: {log}");
        let lock = std::fs::read_to_string(work.join("Cargo.lock")).unwrap();
        let commit = git::commit(&repo, &[("src/agent/Cargo.lock", &lock)], "lock");
        git::tag(&repo, "v1.0", &commit);
        let project = tmp.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        let url = format!("file://{}", up_dir.display());
        std::fs::write(
            project.join("packages.toml"),
            manifest(&url, &commit, "1.0"),
        )
        .unwrap();
        std::fs::write(project.join("changelog.toml"), CHANGELOG).unwrap();
        Fixture { tmp, url, commit }
    }

    fn project(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    /// `pkgforge sources ARGS` with the clients kept off the network and out of $HOME.
    fn sources(&self, args: &[&str]) -> Output {
        let home = self.tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let project = self.project();
        Command::new(bin())
            .current_dir(&project)
            .arg("--manifest")
            .arg(project.join("packages.toml"))
            .arg("sources")
            .args(args)
            .env("NO_COLOR", "1")
            .env("HOME", &home)
            .env("CARGO_HOME", self.tmp.path().join("cargo-home"))
            .env("GOPATH", home.join("go"))
            .env("GOCACHE", home.join("go-cache"))
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod")
            .env("GOTOOLCHAIN", "local")
            .output()
            .unwrap()
    }
}

/// Every file under `obs/`, with its bytes.
fn obs_files(project: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let obs = project.join("obs");
    if !obs.exists() {
        return Vec::new();
    }
    snapshot(&obs)
}

/// The paths in a compressed tar.
fn tar_paths(name: &str, bytes: &[u8]) -> Vec<String> {
    let mut data = Vec::new();
    match name.rsplit('.').next() {
        Some("xz") => lzma_rust2::XzReader::new(bytes, true)
            .read_to_end(&mut data)
            .unwrap(),
        Some("gz") => flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut data)
            .unwrap(),
        Some("zst") => ruzstd::decoding::StreamingDecoder::new(bytes)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap(),
        _ => panic!("{name}"),
    };
    let mut archive = tar::Archive::new(&data[..]);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0), "{name}");
            assert_eq!(h.mtime().unwrap(), 1_700_000_000, "{name}");
            e.path().unwrap().display().to_string()
        })
        .collect()
}

#[test]
fn archives_are_byte_identical_vendored_where_the_workspace_is_and_cached() {
    let f = Fixture::new();
    let project = f.project();
    let out = f.sources(&[]);
    let err = stderr(&out);
    ok(&out);
    assert!(err.contains("demo-agent: made:"), "{err}");
    let agent = project.join("obs/demo-agent");
    let runtime = project.join("obs/demo-runtime");
    for (dir, name) in [(&agent, "demo-agent"), (&runtime, "demo-runtime")] {
        for file in [
            format!("{name}-1.0.obscpio"),
            format!("{name}.obsinfo"),
            format!("{name}-1.0.tar.gz"),
            ".gitignore".to_string(),
        ] {
            assert!(dir.join(&file).is_file(), "{file} missing");
        }
    }
    // obs_scm's obsinfo, and the Source0 tarball under <name>-<version>/.
    assert_eq!(
        std::fs::read_to_string(agent.join("demo-agent.obsinfo")).unwrap(),
        format!(
            "name: demo-agent\nversion: 1.0\nmtime: 1700000000\ncommit: {}\n",
            f.commit
        )
    );
    let tarball = std::fs::read(agent.join("demo-agent-1.0.tar.gz")).unwrap();
    let paths = tar_paths("x.tar.gz", &tarball);
    assert_eq!(paths[0], "demo-agent-1.0/");
    assert!(paths.contains(&"demo-agent-1.0/src/agent/Cargo.lock".to_string()));
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    let cpio = std::fs::read(agent.join("demo-agent-1.0.obscpio")).unwrap();
    assert!(cpio.starts_with(b"070701"));
    // cargo vendor ran in src/agent, the Go vendoring in src/runtime.
    let vendored = tar_paths(
        "vendor.tar.zst",
        &std::fs::read(agent.join("vendor.tar.zst")).unwrap(),
    );
    assert!(
        vendored.iter().any(|p| p == "vendor/dep/src/lib.rs"),
        "{vendored:?}"
    );
    assert!(vendored.iter().all(|p| p.starts_with("vendor")));
    let vendored = tar_paths(
        "vendor.tar.gz",
        &std::fs::read(runtime.join("vendor.tar.gz")).unwrap(),
    );
    assert!(
        vendored.contains(&"vendor/example.com/dep/dep.go".to_string())
            && vendored.contains(&"vendor/modules.txt".to_string()),
        "{vendored:?}"
    );
    let ignore = std::fs::read_to_string(agent.join(".gitignore")).unwrap();
    assert!(ignore.contains("/demo-agent-1.0.tar.gz\n") && ignore.contains("/vendor.tar.zst\n"));
    assert!(!project.join(".pkgforge-tmp").exists());
    let first = obs_files(&project);

    // From nothing again: the same bytes.
    std::fs::remove_dir_all(project.join("obs")).unwrap();
    std::fs::remove_dir_all(project.join(".pkgforge-sources-cache")).unwrap();
    ok(&f.sources(&[]));
    assert_eq!(obs_files(&project), first, "a second run made other bytes");

    // From the cache: nothing fetched (the upstream is gone) nor vendored.
    std::fs::remove_dir_all(project.join("obs")).unwrap();
    std::fs::remove_dir_all(f.tmp.path().join("upstream")).unwrap();
    let out = f.sources(&["--package", "demo-agent"]);
    let err = stderr(&out);
    ok(&out);
    assert!(err.contains("demo-agent: cached:"), "{err}");
    assert!(
        !err.contains("fetching") && !err.contains("vendoring"),
        "{err}"
    );
    let again: Vec<_> = obs_files(&project);
    let expected: Vec<_> = first
        .iter()
        .filter(|(p, _)| p.starts_with("demo-agent"))
        .cloned()
        .collect();
    assert_eq!(again, expected);
    assert!(!project.join("obs/demo-runtime").exists());
}

#[test]
fn vendored_licences_are_recorded_and_become_debian_copyright_paragraphs() {
    let f = Fixture::new();
    let project = f.project();
    let out = f.sources(&[]);
    ok(&out);
    let err = stderr(&out);
    // The module whose licence is not recognised is named, with what it becomes.
    assert!(
        err.contains("warning: demo-runtime: example.com/odd v0.0.0 has a licence text pkgforge does not recognise: debian/copyright gives it as LicenseRef-vendored-1"),
        "{err}"
    );
    let record_path = project.join("vendor-licenses.toml");
    let record = std::fs::read_to_string(&record_path).unwrap();
    let parsed: toml::Table = toml::from_str(&record).unwrap();
    let deps = |package: &str| {
        parsed["packages"][package]["vendored"]
            .as_array()
            .unwrap()
            .clone()
    };
    let agent = deps("demo-agent");
    assert_eq!(agent.len(), 1, "{record}");
    assert_eq!(agent[0]["dir"].as_str(), Some("vendor/dep"));
    assert_eq!(agent[0]["version"].as_str(), Some("0.1.0"));
    assert_eq!(agent[0]["license"].as_str(), Some("MIT OR Apache-2.0"));
    assert_eq!(
        agent[0]["copyright"].as_array().unwrap()[0].as_str(),
        Some("2020 The dep authors")
    );
    let runtime = deps("demo-runtime");
    let got: Vec<(&str, &str)> = runtime
        .iter()
        .map(|d| (d["dir"].as_str().unwrap(), d["license"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("vendor/example.com/dep", "BSD-3-Clause"),
            ("vendor/example.com/odd", "LicenseRef-vendored-1")
        ],
        "{record}"
    );
    assert_eq!(
        parsed["packages"]["demo-runtime"]["version"].as_str(),
        Some("1.0")
    );
    // Each text once, named by the dependencies.
    assert_eq!(parsed["texts"].as_table().unwrap().len(), 3, "{record}");

    // The record, not the archive, is what render reads: remove the archives.
    std::fs::remove_dir_all(project.join(".pkgforge-sources-cache")).unwrap();
    for p in ["demo-agent", "demo-runtime"] {
        for e in std::fs::read_dir(project.join("obs").join(p)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().to_string();
            let keep = name.ends_with(".tar.gz")
                || name.ends_with(".tar.xz")
                || name.starts_with("vendor.");
            if keep {
                let dest = f.tmp.path().join("archives").join(p);
                std::fs::create_dir_all(&dest).unwrap();
                std::fs::rename(e.path(), dest.join(e.file_name())).unwrap();
            }
        }
    }
    ok(&pkgforge(&project, &["render", "-q"]));
    let copyright =
        std::fs::read_to_string(project.join("obs/demo-runtime/debian.copyright")).unwrap();
    assert!(
        copyright.contains("\nFiles: vendor/example.com/dep/*\nCopyright: 2009 The Go Authors. All rights reserved.\nLicense: BSD-3-Clause\n"),
        "{copyright}"
    );
    assert!(
        copyright.contains("\nFiles: vendor/example.com/odd/*\nCopyright: The authors of each module or crate named in Files\nLicense: LicenseRef-vendored-1\n"),
        "{copyright}"
    );
    assert!(
        copyright.contains("\nLicense: LicenseRef-vendored-1\n The odd licence\n .\n You may use this module on Tuesdays.\n"),
        "{copyright}"
    );
    assert!(
        copyright.contains("\nLicense: BSD-3-Clause\n Redistribution"),
        "{copyright}"
    );
    let agent =
        std::fs::read_to_string(project.join("debian/debian-12/demo-agent/debian/copyright"))
            .unwrap();
    assert!(
        agent.contains("\nFiles: vendor/dep/*\nCopyright: 2020 The dep authors\nLicense: Expat or Apache-2.0\n"),
        "{agent}"
    );
    assert_eq!(agent.matches("\nLicense: Expat\n").count(), 1, "{agent}");
    ok(&pkgforge(&project, &["render", "--check"]));

    // A second run leaves the record as it is.
    let before = std::fs::metadata(&record_path).unwrap().modified().unwrap();
    ok(&f.sources(&[]));
    assert_eq!(std::fs::read_to_string(&record_path).unwrap(), record);
    assert_eq!(
        std::fs::metadata(&record_path).unwrap().modified().unwrap(),
        before
    );

    // dpkg-source and lintian over the source package with the vendor archive as its
    // `orig-vendor` component, unpacked at the top as debian/rules does.
    for (p, vendor) in [
        ("demo-runtime", "vendor.tar.gz"),
        ("demo-agent", "vendor.tar.zst"),
    ] {
        debian_source_with_vendor(&project, &f.tmp.path().join("archives").join(p), p, vendor);
    }
}

/// Build the debian-12 source package of `package` from its rendered native directory,
/// the upstream tarball and the vendor archive (as the `orig-vendor` component), then
/// run lintian over it: no error, no warning but the first upload's missing ITP bug.
fn debian_source_with_vendor(project: &Path, archives: &Path, package: &str, vendor: &str) {
    let work = tempfile::tempdir().unwrap();
    // The upstream tarball is in gzip, as the project has Debian targets.
    let orig = work.path().join(format!("{package}_1.0.orig.tar.gz"));
    std::fs::copy(archives.join(format!("{package}-1.0.tar.gz")), &orig).unwrap();
    let ext = vendor.rsplit('.').next().unwrap();
    // dpkg-source takes a component tarball compressed with gzip, bzip2, xz or lzma.
    let component = work
        .path()
        .join(format!("{package}_1.0.orig-vendor.tar.xz"));
    let vendor_tree = work.path().join("vendor-tree");
    std::fs::create_dir_all(&vendor_tree).unwrap();
    let decompress = if ext == "zst" { "--zstd" } else { "--gzip" };
    must(
        Command::new("tar")
            .args(["-x", decompress, "-f"])
            .arg(archives.join(vendor))
            .current_dir(&vendor_tree),
        "tar -x vendor",
    );
    must(
        Command::new("tar")
            .args(["-cJf"])
            .arg(&component)
            .arg("vendor")
            .current_dir(&vendor_tree),
        "tar -c vendor",
    );
    must(
        Command::new("tar")
            .arg("-xf")
            .arg(&orig)
            .current_dir(work.path()),
        "tar -x orig",
    );
    let tree = work.path().join(format!("{package}-1.0"));
    copy_into(&vendor_tree, &tree);
    let debian = project
        .join("debian/debian-12")
        .join(package)
        .join("debian");
    std::fs::create_dir_all(tree.join("debian")).unwrap();
    copy_into(&debian, &tree.join("debian"));
    dpkg_source_native(&tree, work.path());
    let dsc = work.path().join(format!("{package}_1.0-1.dsc"));
    assert!(dsc.is_file(), "no {}", dsc.display());
    let dsc_text = std::fs::read_to_string(&dsc).unwrap();
    assert!(dsc_text.contains(".orig-vendor.tar.xz"), "{dsc_text}");
    let (_, out) = run(Command::new(tool("lintian"))
        .args(["--tag-display-limit", "0"])
        .arg(&dsc));
    let bad: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("E: ") || l.starts_with("W: ") || l.contains("internal error"))
        .filter(|l| !l.contains(" initial-upload-closes-no-bugs"))
        .collect();
    assert!(bad.is_empty(), "lintian on {package}:\n{out}");
}

#[test]
fn a_tag_that_moved_off_the_pin_exits_4_and_writes_nothing() {
    let f = Fixture::new();
    let project = f.project();
    let repo = git2::Repository::open(f.tmp.path().join("upstream")).unwrap();
    let moved = git::commit(&repo, &[("README.md", "Moved\n")], "moved");
    repo.tag_delete("v1.0").unwrap();
    git::tag(&repo, "v1.0", &moved);
    let out = f.sources(&[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        format!(
            "error: upstream `demo` 1.0: tag v1.0 points to {moved}, not to the pinned commit {}",
            f.commit
        )
    );
    assert!(obs_files(&project).is_empty());
}

#[test]
fn a_pinned_commit_the_upstream_does_not_have_exits_4_and_writes_nothing() {
    let f = Fixture::new();
    let project = f.project();
    let missing = "0123456789abcdef0123456789abcdef01234567";
    std::fs::write(
        project.join("packages.toml"),
        manifest(&f.url, missing, "1.0.1"),
    )
    .unwrap();
    std::fs::write(
        project.join("changelog.toml"),
        CHANGELOG.replace("1.0", "1.0.1"),
    )
    .unwrap();
    let out = f.sources(&[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "error: upstream `demo` 1.0.1: {} has no commit {missing}",
            f.url
        )),
        "{}",
        stderr(&out)
    );
    assert!(obs_files(&project).is_empty());
}

const TARBALL_MANIFEST: &str = r#"[project]
name = "data"
maintainer = "Data Packagers <data@example.org>"
obs-project = "home:data"
targets = ["debian-12"]
archs = ["x86_64"]

[upstreams.data]
tarball = "SERVER/dl/data-{version}.tar.gz"
sha256 = "SHA256"
version = "5.0"

[[packages]]
name = "data"
upstream = "data"
summary = "Reference data"
description = "Data."
archs = ["noarch"]
files = ["/usr/share/data"]
"#;

#[test]
fn a_tarball_is_downloaded_once_and_its_sha256_checked() {
    let server = Server::start();
    let body = b"not really a tarball, but bytes with a checksum".repeat(100);
    server.route("/dl/data-5.0.tar.gz", Response::ok(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let write = |sha: &str| {
        std::fs::write(
            tmp.path().join("packages.toml"),
            TARBALL_MANIFEST
                .replace("SERVER", &server.base)
                .replace("SHA256", sha),
        )
        .unwrap();
    };
    std::fs::write(
        tmp.path().join("changelog.toml"),
        CHANGELOG.replace("1.0", "5.0"),
    )
    .unwrap();

    // Another checksum than the file's: refused, nothing written, nothing cached.
    write(&"ab".repeat(32));
    let out = pkgforge(tmp.path(), &["sources"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let sha = pkgforge::digest::sha256_hex(&body);
    assert!(
        stderr(&out).contains(&format!(
            "error: package `data`: {} has sha256 {sha}, not the pinned {}",
            server.url("/dl/data-5.0.tar.gz"),
            "ab".repeat(32)
        )),
        "{}",
        stderr(&out)
    );
    assert!(obs_files(tmp.path()).is_empty());

    write(&sha);
    let out = pkgforge(tmp.path(), &["sources"]);
    ok(&out);
    assert!(stderr(&out).contains("data: made: data-5.0.tar.gz"));
    let file = tmp.path().join("obs/data/data-5.0.tar.gz");
    assert_eq!(std::fs::read(&file).unwrap(), body);
    let downloads = server.requests_to("/dl/data-5.0.tar.gz").len();

    std::fs::remove_file(&file).unwrap();
    let out = pkgforge(tmp.path(), &["sources"]);
    ok(&out);
    assert!(
        stderr(&out).contains("data: cached: data-5.0.tar.gz"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&file).unwrap(), body);
    assert_eq!(server.requests_to("/dl/data-5.0.tar.gz").len(), downloads);
}

#[test]
fn an_unknown_package_is_refused() {
    let f = Fixture::new();
    let out = f.sources(&["--package", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: --package nope: the manifest has no such package"));
}

#[test]
fn over_smart_http_only_the_pinned_commit_is_fetched_and_the_bytes_are_the_same() {
    let f = Fixture::new();
    let project = f.project();
    ok(&f.sources(&["--package", "demo-agent"]));
    let over_file = obs_files(&project);
    std::fs::remove_dir_all(project.join("obs")).unwrap();
    std::fs::remove_dir_all(project.join(".pkgforge-sources-cache")).unwrap();
    let server = common::smart_http::serve(f.tmp.path());
    let url = format!("{}/upstream", server.base);
    std::fs::write(
        project.join("packages.toml"),
        manifest(&url, &f.commit, "1.0"),
    )
    .unwrap();
    let out = f.sources(&["--package", "demo-agent"]);
    ok(&out);
    assert!(stderr(&out).contains(&format!("fetching {url}")));
    assert_eq!(obs_files(&project), over_file);
}

#[test]
fn a_signed_tarball_comes_with_its_signature_checked_against_the_keyring() {
    let gpg = common::gpg::Gpg::new();
    let good = gpg.key("Release Manager <release@example.org>", "never", None);
    let stranger = gpg.key("Stranger <stranger@example.org>", "never", None);
    let server = Server::start();
    let body = b"signed bytes".repeat(50);
    server.route("/dl/data-5.0.tar.gz", Response::ok(body.clone()));
    server.route(
        "/dl/data-5.0.tar.gz.asc",
        Response::ok(gpg.sign(&stranger, &body, None)),
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("keys")).unwrap();
    std::fs::write(tmp.path().join("keys/data.asc"), gpg.export(&good)).unwrap();
    let manifest = TARBALL_MANIFEST
        .replace("SERVER", &server.base)
        .replace("SHA256", &pkgforge::digest::sha256_hex(&body))
        .replace(
            "version = \"5.0\"\n",
            "version = \"5.0\"\nkeyring = \"keys/data.asc\"\nsignature = \"{url}.asc\"\n",
        );
    std::fs::write(tmp.path().join("packages.toml"), manifest).unwrap();
    std::fs::write(
        tmp.path().join("changelog.toml"),
        CHANGELOG.replace("1.0", "5.0"),
    )
    .unwrap();

    // Signed by a key the keyring does not hold: refused, nothing written.
    let out = pkgforge(tmp.path(), &["sources"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("which is not in the keyring keys/data.asc"),
        "{}",
        stderr(&out)
    );
    assert!(obs_files(tmp.path()).is_empty());

    let sig = gpg.sign(&good, &body, None);
    server.replace("/dl/data-5.0.tar.gz.asc", Response::ok(sig.clone()));
    let out = pkgforge(tmp.path(), &["sources"]);
    ok(&out);
    assert!(
        stderr(&out).contains("data: made: data-5.0.tar.gz, data-5.0.tar.gz.asc"),
        "{}",
        stderr(&out)
    );
    let dir = tmp.path().join("obs/data");
    assert_eq!(std::fs::read(dir.join("data-5.0.tar.gz")).unwrap(), body);
    assert_eq!(std::fs::read(dir.join("data-5.0.tar.gz.asc")).unwrap(), sig);
}

/// An image package's source is kiwi's image, which kiwi builds in a chroot: as a user
/// other than root, `sources --package <rootfs>-<base>-pkg` exits 2, says what to run
/// instead and writes nothing. An unknown name lists the image packages.
#[test]
fn an_image_package_source_needs_root_and_is_made_only_when_named() {
    let project = common::image::project();
    let dir = project.path();
    let (chmod_ok, text) = run(Command::new("chmod").arg("-R").arg("a+rwX").arg(dir));
    assert!(chmod_ok, "{text}");
    let before = snapshot(dir);
    let as_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut cmd = if as_root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin());
        c
    } else {
        Command::new(bin())
    };
    let out = cmd
        .current_dir(dir)
        .arg("--manifest")
        .arg(dir.join("packages.toml"))
        .args(["sources", "--package", "guest-rootfs-debian-12-pkg"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: --package guest-rootfs-debian-12-pkg: the image of rootfs `guest-rootfs` on debian-12 is built by kiwi-ng in a chroot, which needs root"),
        "{err}"
    );
    assert!(
        err.contains("run `sudo pkgforge sources --package guest-rootfs-debian-12-pkg`, or take the image OBS built from obs/guest-rootfs-debian-12/ and save it as obs/guest-rootfs-debian-12-pkg/guest-rootfs-debian-12-1.4.tar.gz"),
        "{err}"
    );
    assert_eq!(snapshot(dir), before, "nothing written");

    let out = pkgforge(dir, &["sources", "--package", "guest-rootfs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("image packages, made only when named: guest-rootfs-debian-12-pkg, guest-rootfs-opensuse-tumbleweed-pkg"),
        "{}",
        stderr(&out)
    );
}
