//! OpenPGP verification of upstream releases: `bump` refuses what the committed keyring
//! does not vouch for, and `pkgforge verify` audits every pin. Real parts only: keys and
//! signatures made by gpg, tarballs on a loopback HTTP server, git repositories over file://.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::gpg::{self, Gpg};
use common::http::{Response, Server};
use common::*;

const MANIFEST: &str = r#"[project]
name = "signed"
maintainer = "Signed Packagers <signed@example.org>"
obs-project = "home:signed"
targets = ["opensuse-tumbleweed", "debian-12"]
archs = ["x86_64"]

[upstreams.hello]
git = "GIT_URL"
tag-prefix = "v"
version = "1.0.0"
commit = "COMMIT"
keyring = "keys/hello.asc"
signed-tags = true

[upstreams.data]
tarball = "SERVER/dl/data-{version}.tar.gz"
sha256 = "SHA256"
version = "5.0"
keyring = "keys/data.asc"
signature = "{url}.asc"

[[packages]]
name = "hello"
upstream = "hello"
summary = "Greets the world"
description = "A greeting program."
build-requires = ["make", "gcc"]
files = ["/usr/bin/hello"]

[[packages]]
name = "data"
upstream = "data"
summary = "Reference data"
description = "Data."
archs = ["noarch"]
files = ["/usr/share/data"]
"#;

const CHANGELOG: &str = r#"[[entry]]
upstream = "hello"
version = "1.0.0"
date = "2026-11-01T10:00:00Z"
author = "Signed Packagers <signed@example.org>"
changes = ["Initial package"]

[[entry]]
upstream = "data"
version = "5.0"
date = "2026-11-01T09:00:00Z"
author = "Signed Packagers <signed@example.org>"
changes = ["Initial package"]
"#;

/// A project whose git upstream has a signed tag v1.0.0 and whose tarball upstream 5.0 is
/// signed, both by the release key `good`, the one key of both keyrings. `stranger` is a
/// key gpg knows that no keyring holds.
struct Fixture {
    tmp: tempfile::TempDir,
    project: PathBuf,
    repo: git2::Repository,
    commits: Vec<String>,
    server: Server,
    gpg: Gpg,
    good: String,
    stranger: String,
}

fn tarball(version: &str) -> Vec<u8> {
    format!("pretend this is data-{version}.tar.gz").into_bytes()
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let gpg = Gpg::new();
        let good = gpg.key("Release Manager <release@example.org>", "never", None);
        let stranger = gpg.key("Stranger <stranger@example.org>", "never", None);
        let (repo, c1) = git::repo_with(&tmp.path().join("upstream"), git::HELLO, "hello 1.0");
        gpg::tag(&gpg, &repo, "v1.0.0", &c1, Some(&good));
        let c2 = git::commit(&repo, &[("README", "1.1\n")], "hello 1.1");
        let c3 = git::commit(&repo, &[("README", "2.0\n")], "hello 2.0");
        let server = Server::start();
        let v50 = tarball("5.0");
        server.route("/dl/data-5.0.tar.gz", Response::ok(v50.clone()));
        server.route(
            "/dl/data-5.0.tar.gz.asc",
            Response::ok(gpg.sign(&good, &v50, None)),
        );
        let project = tmp.path().join("project");
        std::fs::create_dir_all(project.join("keys")).unwrap();
        std::fs::write(project.join("keys/hello.asc"), gpg.export(&good)).unwrap();
        std::fs::write(project.join("keys/data.asc"), gpg.export(&good)).unwrap();
        let manifest = MANIFEST
            .replace(
                "GIT_URL",
                &format!("file://{}", tmp.path().join("upstream").display()),
            )
            .replace("COMMIT", &c1)
            .replace("SERVER", &server.base)
            .replace("SHA256", &pkgforge::digest::sha256_hex(&v50));
        std::fs::write(project.join("packages.toml"), manifest).unwrap();
        std::fs::write(project.join("changelog.toml"), CHANGELOG).unwrap();
        ok(&pkgforge(&project, &["render", "-q"]));
        Fixture {
            tmp,
            project,
            repo,
            commits: vec![c1, c2, c3],
            server,
            gpg,
            good,
            stranger,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .current_dir(&self.project)
            .arg("--manifest")
            .arg(self.project.join("packages.toml"))
            .args(args)
            .env("NO_COLOR", "1")
            .env("PKGFORGE_GITHUB_API", self.server.url("/api"))
            .env_remove("PKGFORGE_AUTHOR")
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .unwrap()
    }

    fn bump(&self, upstream: &str, version: &str) -> Output {
        self.run(&[
            "bump",
            "--upstream",
            upstream,
            "--version",
            version,
            "--date",
            "2026-11-22T00:00:00Z",
        ])
    }

    /// Serve data `version` signed by `signer` (the signature over `signed` bytes).
    fn serve_data(&self, version: &str, signature: Option<Vec<u8>>) -> Vec<u8> {
        let bytes = tarball(version);
        self.server.route(
            &format!("/dl/data-{version}.tar.gz"),
            Response::ok(bytes.clone()),
        );
        if let Some(sig) = signature {
            self.server
                .route(&format!("/dl/data-{version}.tar.gz.asc"), Response::ok(sig));
        }
        bytes
    }

    fn manifest(&self) -> String {
        std::fs::read_to_string(self.project.join("packages.toml")).unwrap()
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }
}

/// A refusal: exit 4, the message verbatim, nothing printed to stdout, no key material,
/// and the tree exactly as it was.
#[track_caller]
fn refused(out: &Output, before: &[(PathBuf, Vec<u8>)], project: &Path, message: &str) {
    assert_eq!(out.status.code(), Some(4), "{}", stderr(out));
    assert_eq!(stderr(out), message);
    assert_eq!(stdout(out), "");
    assert!(snapshot(project) == before, "the tree changed");
}

#[test]
fn a_good_signature_lets_the_bump_through() {
    let f = Fixture::new();
    let bytes = tarball("5.1");
    let sig = f.gpg.sign(&f.good, &bytes, None);
    f.serve_data("5.1", Some(sig));
    let out = f.bump("data", "5.1");
    ok(&out);
    let sha = pkgforge::digest::sha256_hex(&bytes);
    assert!(f.manifest().contains(&format!("sha256 = \"{sha}\"")));
    assert!(
        stderr(&out).contains(&format!(
            "the release's signature verifies with key {}\n",
            f.good
        )),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("BEGIN PGP"));
}

#[test]
fn a_bad_signature_is_refused_and_nothing_changes() {
    let f = Fixture::new();
    // the release key signed other bytes than the server hands out
    let sig = f.gpg.sign(&f.good, b"the real data-5.1", None);
    f.serve_data("5.1", Some(sig));
    let before = snapshot(&f.project);
    let out = f.bump("data", "5.1");
    refused(
        &out,
        &before,
        &f.project,
        &format!(
            "error: upstream `data` 5.1: BAD signature on data-5.1.tar.gz: key {} did not sign these bytes\n  = note: the download or its signature was altered; do not use this release, and tell the upstream\n",
            f.good
        ),
    );
}

#[test]
fn a_missing_signature_is_refused() {
    let f = Fixture::new();
    f.serve_data("5.1", None);
    let before = snapshot(&f.project);
    let out = f.bump("data", "5.1");
    refused(
        &out,
        &before,
        &f.project,
        &format!(
            "error: upstream `data` 5.1: no signature at {} (the server answered 404)\n  = note: the keyring keys/data.asc requires every release to be signed; check `signature` in the manifest, or ask the upstream to publish one\n",
            f.url("/dl/data-5.1.tar.gz.asc")
        ),
    );
}

#[test]
fn a_key_not_in_the_keyring_is_refused_with_its_fingerprint_and_the_fix() {
    let f = Fixture::new();
    let bytes = tarball("5.1");
    f.serve_data("5.1", Some(f.gpg.sign(&f.stranger, &bytes, None)));
    let before = snapshot(&f.project);
    let out = f.bump("data", "5.1");
    let k = &f.stranger;
    refused(
        &out,
        &before,
        &f.project,
        &format!(
            "error: upstream `data` 5.1: data-5.1.tar.gz is signed by key {k}, which is not in the keyring keys/data.asc\n  = note: if the key belongs to the upstream's release managers, check its fingerprint out of band (their website, a signed announcement), then add it: gpg --export --armor {k} >> keys/data.asc\n"
        ),
    );
    // the fix: the key is added after checking it, and the same bump goes through
    let mut keyring = std::fs::read(f.project.join("keys/data.asc")).unwrap();
    keyring.extend(f.gpg.export(k));
    std::fs::write(f.project.join("keys/data.asc"), keyring).unwrap();
    ok(&f.bump("data", "5.1"));
}

#[test]
fn an_expired_key_is_refused() {
    let f = Fixture::new();
    // made and used in 2020, valid for a day
    let then = "20200101T000000!";
    let old = f.gpg.key("Old Manager <old@example.org>", "1d", Some(then));
    std::fs::write(f.project.join("keys/data.asc"), f.gpg.export(&old)).unwrap();
    ok(&pkgforge(&f.project, &["render", "-q"]));
    let bytes = tarball("5.1");
    f.serve_data(
        "5.1",
        Some(f.gpg.sign(&old, &bytes, Some("20200101T010000!"))),
    );
    let before = snapshot(&f.project);
    let out = f.bump("data", "5.1");
    refused(
        &out,
        &before,
        &f.project,
        &format!(
            "error: upstream `data` 5.1: data-5.1.tar.gz is signed by key {old}, which expired on 2020-01-02\n  = note: if its owner extended the key, check the new expiry out of band and refresh it in the keyring: gpg --export --armor {old} > keys/data.asc\n"
        ),
    );
}

#[test]
fn a_revoked_key_is_refused() {
    let f = Fixture::new();
    let bytes = tarball("5.1");
    let sig = f.gpg.sign(&f.good, &bytes, None);
    f.serve_data("5.1", Some(sig));
    f.gpg.revoke(&f.good);
    std::fs::write(f.project.join("keys/data.asc"), f.gpg.export(&f.good)).unwrap();
    ok(&pkgforge(&f.project, &["render", "-q"]));
    let before = snapshot(&f.project);
    let out = f.bump("data", "5.1");
    refused(
        &out,
        &before,
        &f.project,
        &format!(
            "error: upstream `data` 5.1: data-5.1.tar.gz is signed by key {}, which its owner revoked\n  = note: do not trust this release; if the upstream signs with a new key, check it out of band and add it to keys/data.asc\n",
            f.good
        ),
    );
}

#[test]
fn a_signed_tag_verifies_and_its_commit_is_pinned() {
    let f = Fixture::new();
    gpg::tag(&f.gpg, &f.repo, "v1.1.0", &f.commits[1], Some(&f.good));
    let out = f.bump("hello", "1.1.0");
    ok(&out);
    assert!(f
        .manifest()
        .contains(&format!("commit = \"{}\"", f.commits[1])));
    assert!(
        stderr(&out).contains(&format!("verifies with key {}", f.good)),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unsigned_tags_are_refused_when_signing_is_required() {
    let f = Fixture::new();
    gpg::tag(&f.gpg, &f.repo, "v1.1.0", &f.commits[1], None);
    git::lightweight_tag(&f.repo, "v1.2.0", &f.commits[2]);
    gpg::tag(&f.gpg, &f.repo, "v1.3.0", &f.commits[2], Some(&f.stranger));
    let before = snapshot(&f.project);
    refused(
        &f.bump("hello", "1.1.0"),
        &before,
        &f.project,
        "error: upstream `hello` 1.1.0: tag v1.1.0 is not signed\n  = note: `signed-tags = true` requires the release tag to be signed (git tag -s) by a key of keys/hello.asc; ask the upstream to sign it\n",
    );
    refused(
        &f.bump("hello", "1.2.0"),
        &before,
        &f.project,
        "error: upstream `hello` 1.2.0: tag v1.2.0 is a lightweight tag, not a signed annotated tag\n  = note: `signed-tags = true` requires the release tag to be signed (git tag -s); ask the upstream to sign it, or pin the release by hand after checking it\n",
    );
    let k = &f.stranger;
    refused(
        &f.bump("hello", "1.3.0"),
        &before,
        &f.project,
        &format!("error: upstream `hello` 1.3.0: tag v1.3.0 is signed by key {k}, which is not in the keyring keys/hello.asc\n  = note: if the key belongs to the upstream's release managers, check its fingerprint out of band (their website, a signed announcement), then add it: gpg --export --armor {k} >> keys/hello.asc\n"),
    );
}

/// xz-compress `data` with the real xz.
fn xz(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(tool("xz"))
        .args(["-c", "-z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn a_kernel_style_signature_covers_the_uncompressed_tar() {
    let f = Fixture::new();
    let tar_50: Vec<u8> = b"linux 5.0 tar ".repeat(20_000);
    let xz_50 = xz(&tar_50);
    f.server
        .route("/linux/linux-5.0.tar.xz", Response::ok(xz_50.clone()));
    let manifest = f
        .manifest()
        .replace(
            "[[packages]]\nname = \"hello\"",
            &format!(
                "[upstreams.linux]\ntarball = \"{}/linux/linux-{{version}}.tar.xz\"\nsha256 = \"{}\"\nversion = \"5.0\"\nkeyring = \"keys/data.asc\"\nsignature = \"{}/linux/linux-{{version}}.tar.sign\"\nsigned = \"uncompressed\"\n\n[[packages]]\nname = \"hello\"",
                f.server.base,
                pkgforge::digest::sha256_hex(&xz_50),
                f.server.base
            ),
        )
        + "\n[[packages]]\nname = \"kernel\"\nupstream = \"linux\"\nsummary = \"Kernel\"\ndescription = \"A kernel.\"\nfiles = [\"/boot/vmlinuz\"]\n";
    std::fs::write(f.project.join("packages.toml"), manifest).unwrap();
    let log = std::fs::read_to_string(f.project.join("changelog.toml")).unwrap()
        + "\n[[entry]]\nupstream = \"linux\"\nversion = \"5.0\"\ndate = \"2026-11-01T08:00:00Z\"\nauthor = \"Signed Packagers <signed@example.org>\"\nchanges = [\"Initial package\"]\n";
    std::fs::write(f.project.join("changelog.toml"), log).unwrap();
    ok(&pkgforge(&f.project, &["render", "-q"]));

    let tar_51: Vec<u8> = b"linux 5.1 tar ".repeat(20_000);
    let xz_51 = xz(&tar_51);
    f.server
        .route("/linux/linux-5.1.tar.xz", Response::ok(xz_51.clone()));
    // a signature over the compressed file is not what the kernel publishes: refused
    f.server.route(
        "/linux/linux-5.1.tar.sign",
        Response::ok(f.gpg.sign(&f.good, &xz_51, None)),
    );
    let before = snapshot(&f.project);
    refused(
        &f.bump("linux", "5.1"),
        &before,
        &f.project,
        &format!("error: upstream `linux` 5.1: BAD signature on the tar inside linux-5.1.tar.xz: key {} did not sign these bytes\n  = note: the download or its signature was altered; do not use this release, and tell the upstream\n", f.good),
    );
    // the signature over the tar inside verifies
    f.server.replace(
        "/linux/linux-5.1.tar.sign",
        Response::ok(f.gpg.sign(&f.good, &tar_51, None)),
    );
    ok(&f.bump("linux", "5.1"));
    assert!(f.manifest().contains(&pkgforge::digest::sha256_hex(&xz_51)));
}

#[test]
fn verify_audits_every_pin_and_catches_a_moved_tag_and_a_swapped_tarball() {
    let f = Fixture::new();
    // 2.0.0 and 6.0 start new series: 1.0 and 5.0 are archived
    gpg::tag(&f.gpg, &f.repo, "v2.0.0", &f.commits[2], Some(&f.good));
    ok(&f.bump("hello", "2.0.0"));
    let v60 = tarball("6.0");
    f.serve_data("6.0", Some(f.gpg.sign(&f.good, &v60, None)));
    ok(&f.bump("data", "6.0"));
    assert!(f.manifest().contains("[[archive]]"));
    // the archived tarball series ships the keyring too
    assert!(
        std::fs::read(f.project.join("obs/_archive/5.0/data/data.keyring")).unwrap()
            == std::fs::read(f.project.join("keys/data.asc")).unwrap()
    );

    let out = f.run(&["verify"]);
    let table = ok(&out);
    let g = &f.good;
    let (c1, c3) = (&f.commits[0], &f.commits[2]);
    assert_eq!(
        table,
        format!(
            "UPSTREAM  VERSION  SERIES   STATUS  CHECKED\n\
             hello     2.0.0    current  ok      tag v2.0.0 -> {c3}; tag v2.0.0 signed by {g}\n\
             hello     1.0.0    1.0      ok      tag v1.0.0 -> {c1}; tag v1.0.0 signed by {g}\n\
             data      6.0      current  ok      sha256 matches; signed by {g}\n\
             data      5.0      5.0      ok      sha256 matches; signed by {g}\n"
        )
    );
    assert!(!table.contains("BEGIN PGP") && !stderr(&out).contains("BEGIN PGP"));

    // the archived tag moves to another commit
    let before = snapshot(&f.project);
    gpg::tag(&f.gpg, &f.repo, "v1.0.0", &f.commits[1], Some(&f.good));
    let out = f.run(&["verify", "--upstream", "hello"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let c2 = &f.commits[1];
    assert_eq!(
        stdout(&out),
        format!(
            "UPSTREAM  VERSION  SERIES   STATUS  CHECKED\n\
             hello     2.0.0    current  ok      tag v2.0.0 -> {c3}; tag v2.0.0 signed by {g}\n\
             hello     1.0.0    1.0      failed  -\n\
             FAILED: upstream `hello` 1.0.0: tag v1.0.0 moved: pinned to {c1}, it now points to {c2}\n  = note: find out why upstream moved the tag before trusting the new commit; pkgforge never follows a moved tag\n"
        )
    );
    assert!(snapshot(&f.project) == before);

    // the archived tarball is swapped on the server, re-signed by the same key
    let swapped = b"a different data-5.0".to_vec();
    f.server
        .replace("/dl/data-5.0.tar.gz", Response::ok(swapped.clone()));
    let out = f.run(&["verify", "--upstream", "data", "--json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let pins = json.as_array().unwrap();
    assert_eq!(pins.len(), 2);
    assert_eq!(pins[0]["status"], "ok");
    assert_eq!(pins[1]["version"], "5.0");
    assert_eq!(pins[1]["series"], "5.0");
    assert_eq!(pins[1]["status"], "failed");
    let pinned = pkgforge::digest::sha256_hex(&tarball("5.0"));
    assert_eq!(
        pins[1]["error"],
        format!(
            "upstream `data` 5.0: {} changed: pinned sha256 {pinned}, the server now has {}\n  = note: upstream replaced a released tarball; find out why before trusting the new one",
            f.url("/dl/data-5.0.tar.gz"),
            pkgforge::digest::sha256_hex(&swapped)
        )
    );
    assert!(snapshot(&f.project) == before);

    // an upstream that cannot be reached: exit 3
    std::fs::remove_dir_all(f.tmp.path().join("upstream")).unwrap();
    let out = f.run(&["verify", "--upstream", "hello"]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
}

#[test]
fn a_keyring_that_is_missing_or_not_a_keyring_is_invalid_input() {
    let f = Fixture::new();
    std::fs::write(f.project.join("keys/data.asc"), "not a key\n").unwrap();
    let before = snapshot(&f.project);
    let out = f.run(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: the keyring `keys/data.asc` is not a set of OpenPGP public keys: "),
        "{err}"
    );
    assert!(err.contains("packages.toml:20:11\n"), "{err}");
    assert!(snapshot(&f.project) == before);
    std::fs::remove_file(f.project.join("keys/data.asc")).unwrap();
    let out = f.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot read the keyring `keys/data.asc`: No such file or directory (os error 2)\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_keyring_and_the_signature_are_rendered_where_obs_and_debian_look_for_them() {
    let f = Fixture::new();
    let keyring = std::fs::read(f.project.join("keys/data.asc")).unwrap();
    let read =
        |rel: &str| std::fs::read(f.project.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(read("obs/data/data.keyring") == keyring);
    assert!(read("debian/debian-12/data/debian/upstream/signing-key.asc") == keyring);
    // a git upstream's sources are made by OBS from the pinned commit: no keyring to ship
    assert!(!f.project.join("obs/hello/hello.keyring").exists());
    assert!(!f
        .project
        .join("debian/debian-12/hello/debian/upstream")
        .exists());
    let spec = String::from_utf8(read("obs/data/data.spec")).unwrap();
    let base = &f.server.base;
    assert!(
        spec.contains(&format!(
            "Source0:        {base}/dl/data-%{{version}}.tar.gz\nSource1:        {base}/dl/data-%{{version}}.tar.gz.asc\nSource2:        %{{name}}.keyring\n"
        )),
        "{spec}"
    );
    // download_files fetches every URL source, the signature with the tarball; manual,
    // the default, leaves that to `pkgforge sources` before the upload
    let service = String::from_utf8(read("obs/data/_service")).unwrap();
    assert!(
        service.contains("<service name=\"download_files\" mode=\"manual\"/>"),
        "{service}"
    );
    let (parsed, text) = run(Command::new(tool("rpmspec"))
        .args(["-P", "--define", "suse_version 1699"])
        .arg(f.project.join("obs/data/data.spec")));
    assert!(parsed, "{text}");
    let (cleaned, text) =
        run(Command::new(tool("spec-cleaner")).arg(f.project.join("obs/data/data.spec")));
    assert!(
        cleaned && text == spec,
        "spec-cleaner changes the spec:\n{text}"
    );

    // the keyring is an input of render: a new key makes the copies stale
    let mut more = keyring.clone();
    more.extend(f.gpg.export(&f.stranger));
    std::fs::write(f.project.join("keys/data.asc"), &more).unwrap();
    let out = f.run(&["render", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("obs/data/data.keyring"));
    ok(&f.run(&["render", "-q"]));
    assert!(read("obs/data/data.keyring") == more);
    ok(&f.run(&["render", "--check"]));
}

#[test]
fn watch_reports_whether_each_release_verifies_and_apply_bumps_only_those_that_do() {
    let f = Fixture::new();
    // where watch finds the tarball upstream's releases: a tag per release
    let (tags, c) = git::repo_with(
        &f.tmp.path().join("data-tags"),
        &[("VERSION", "5.1\n")],
        "5.1",
    );
    git::lightweight_tag(&tags, "5.1", &c);
    let manifest = f.manifest().replace(
        "keyring = \"keys/data.asc\"\n",
        &format!(
            "keyring = \"keys/data.asc\"\ngit = \"file://{}\"\n",
            f.tmp.path().join("data-tags").display()
        ),
    );
    std::fs::write(f.project.join("packages.toml"), manifest).unwrap();
    ok(&f.run(&["render", "-q"]));
    let v51 = tarball("5.1");
    f.serve_data("5.1", Some(f.gpg.sign(&f.good, &v51, None)));
    // hello 1.1.0 is tagged by a key no keyring holds
    gpg::tag(&f.gpg, &f.repo, "v1.1.0", &f.commits[1], Some(&f.stranger));

    // watch keeps its HTTP cache beside the manifest; everything else stays as it was
    let tree = || {
        let mut t = snapshot(&f.project);
        t.retain(|(p, _)| p != Path::new(".pkgforge-watch-cache.json"));
        t
    };
    let before = tree();
    let out = f.run(&["watch"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let (g, s) = (&f.good, &f.stranger);
    assert_eq!(
        stdout(&out),
        format!(
            "UPSTREAM  CURRENT  NEWEST  ALLOWED  ACTION\n\
             hello     1.0.0    1.1.0   1.1.0    none: the signature of 1.1.0 does not verify\n\
             data      5.0      5.1     5.1      bump to 5.1\n\
             REFUSED: upstream `hello` 1.1.0: tag v1.1.0 is signed by key {s}, which is not in the keyring keys/hello.asc\n  = note: if the key belongs to the upstream's release managers, check its fingerprint out of band (their website, a signed announcement), then add it: gpg --export --armor {s} >> keys/hello.asc\n\
             SIGNATURE: data 5.1 verifies with key {g}\n"
        )
    );
    let out = f.run(&["watch", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json[0]["signature"]["status"], "refused");
    assert_eq!(json[0]["signature"]["version"], "1.1.0");
    assert_eq!(json[0]["signature"]["key"], serde_json::Value::Null);
    assert_eq!(json[1]["signature"]["status"], "verified");
    assert_eq!(json[1]["signature"]["key"], g.as_str());
    assert!(tree() == before);
    assert!(!stdout(&out).contains("BEGIN PGP"));

    // --apply bumps the release that verifies, never the refused one, and still exits 4
    let out = f.run(&["watch", "--apply"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let manifest = f.manifest();
    assert!(manifest.contains("version = \"5.1\""), "{manifest}");
    assert!(manifest.contains("version = \"1.0.0\""), "{manifest}");
    assert!(manifest.contains(&format!("commit = \"{}\"", f.commits[0])));
}

/// A `git daemon` serving `base` on a free loopback port, stopped when dropped.
struct Daemon(std::process::Child, u16);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn git_daemon(base: &Path) -> Daemon {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // git-daemon itself, not the `git` wrapper, so that killing it stops the server
    let exec_path = run(Command::new(tool("git")).arg("--exec-path"))
        .1
        .trim()
        .to_string();
    let child = Command::new(Path::new(&exec_path).join("git-daemon"))
        .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Daemon(child, port)
}

#[test]
fn signed_tags_are_fetched_from_a_git_daemon() {
    let f = Fixture::new();
    gpg::tag(&f.gpg, &f.repo, "v1.1.0", &f.commits[1], Some(&f.good));
    let daemon = git_daemon(f.tmp.path());
    let file_url = format!("file://{}", f.tmp.path().join("upstream").display());
    let manifest = f
        .manifest()
        .replace(&file_url, &format!("git://127.0.0.1:{}/upstream", daemon.1));
    std::fs::write(f.project.join("packages.toml"), manifest).unwrap();
    ok(&f.run(&["render", "-q"]));
    let out = f.run(&["verify", "--upstream", "hello"]);
    assert_eq!(
        ok(&out),
        format!(
            "UPSTREAM  VERSION  SERIES   STATUS  CHECKED\n\
             hello     1.0.0    current  ok      tag v1.0.0 -> {}; tag v1.0.0 signed by {}\n",
            f.commits[0], f.good
        )
    );
    ok(&f.bump("hello", "1.1.0"));
    assert!(f
        .manifest()
        .contains(&format!("commit = \"{}\"", f.commits[1])));
    drop(daemon);
}

#[test]
fn signed_tags_are_fetched_over_smart_http() {
    let f = Fixture::new();
    gpg::tag(&f.gpg, &f.repo, "v1.1.0", &f.commits[1], Some(&f.good));
    gpg::tag(&f.gpg, &f.repo, "v1.2.0", &f.commits[2], None);
    git::lightweight_tag(&f.repo, "v1.3.0", &f.commits[2]);
    let server = common::smart_http::serve(f.tmp.path());
    let file_url = format!("file://{}", f.tmp.path().join("upstream").display());
    let manifest = f
        .manifest()
        .replace(&file_url, &format!("{}/upstream", server.base));
    std::fs::write(f.project.join("packages.toml"), manifest).unwrap();
    ok(&f.run(&["render", "-q"]));
    let out = f.run(&["verify", "--upstream", "hello"]);
    assert_eq!(
        ok(&out),
        format!(
            "UPSTREAM  VERSION  SERIES   STATUS  CHECKED\n\
             hello     1.0.0    current  ok      tag v1.0.0 -> {}; tag v1.0.0 signed by {}\n",
            f.commits[0], f.good
        )
    );
    let before = snapshot(&f.project);
    refused(
        &f.bump("hello", "1.2.0"),
        &before,
        &f.project,
        "error: upstream `hello` 1.2.0: tag v1.2.0 is not signed\n  = note: `signed-tags = true` requires the release tag to be signed (git tag -s) by a key of keys/hello.asc; ask the upstream to sign it\n",
    );
    refused(
        &f.bump("hello", "1.3.0"),
        &before,
        &f.project,
        "error: upstream `hello` 1.3.0: tag v1.3.0 is a lightweight tag, not a signed annotated tag\n  = note: `signed-tags = true` requires the release tag to be signed (git tag -s); ask the upstream to sign it, or pin the release by hand after checking it\n",
    );
    ok(&f.bump("hello", "1.1.0"));
    assert!(f
        .manifest()
        .contains(&format!("commit = \"{}\"", f.commits[1])));
}
