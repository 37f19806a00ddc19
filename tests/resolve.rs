//! `pkgforge resolve` against repositories served by the test on 127.0.0.1: a small
//! hand-written Debian archive (InRelease/Release + Packages.xz) with virtual packages,
//! alternatives and versioned Provides, and an rpm-md repository made by createrepo_c
//! from RPMs that rpmbuild builds here, with rich dependencies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::http::{Response, Server};
use common::*;
use sha2::{Digest, Sha256};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Serve a Debian suite under `/debian/dists/<suite>/`: `InRelease` (with an ETag) or,
/// when `inrelease` is false, only `Release`; the `main` amd64 index as Packages.xz.
fn serve_suite(server: &Server, suite: &str, packages: &str, inrelease: bool) {
    let xz = {
        use std::io::Write;
        let mut child = std::process::Command::new(tool("xz"))
            .args(["-c", "-6"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(packages.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "xz failed");
        out.stdout
    };
    let release = format!(
        "Origin: Test\nSuite: {suite}\nArchitectures: amd64\nComponents: main\nSHA256:\n {} {} main/binary-amd64/Packages.xz\n",
        hex(&xz),
        xz.len()
    );
    let dists = format!("/debian/dists/{suite}");
    if inrelease {
        let signed = format!(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{release}-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n"
        );
        server.route(
            &format!("{dists}/InRelease"),
            Response {
                etag: Some(format!("\"{suite}-1\"")),
                ..Response::ok(signed)
            },
        );
    } else {
        server.route(&format!("{dists}/Release"), Response::ok(release));
    }
    server.route(
        &format!("{dists}/main/binary-amd64/Packages.xz"),
        Response::ok(xz),
    );
}

const BOOKWORM: &str = "\
Package: golang-go
Version: 2:1.19~1
Architecture: amd64
Depends: golang-1.19-go

Package: golang-1.19-go
Version: 1.19.8-2
Architecture: amd64
Depends: golang-1.19-src (>= 1.19.8-2)

Package: golang-1.19-src
Version: 1.19.8-2
Architecture: all
Description: Go sources
 A long description
 that continues.

Package: debhelper
Version: 13.11.4
Architecture: all
Provides: debhelper-compat (= 13), dh-sequence-foo
Depends: perl:any, po-debconf | gettext (>= 0.21)

Package: perl
Version: 5.36.0-7+deb12u1
Architecture: amd64

Package: gettext
Version: 0.21-12
Architecture: amd64

Package: make
Version: 4.3-4.1
Architecture: amd64

Package: libseccomp-dev
Version: 2.5.4-1+deb12u1
Architecture: amd64
Depends: libseccomp2 (= 2.5.4-1+deb12u1)

Package: libseccomp2
Version: 2.5.4-1+deb12u1
Architecture: amd64

Package: postfix
Version: 3.7.10-0+deb12u1
Architecture: amd64
Provides: mail-transport-agent

Package: exim4-daemon-light
Version: 4.96-15
Architecture: amd64
Provides: mail-transport-agent
Conflicts: postfix

Package: qemu-system-x86
Version: 1:7.2+dfsg-7+deb12u6
Architecture: amd64
Provides: qemu-system-x86-64 (= 1:7.2+dfsg-7+deb12u6)
Depends: libc6 (>= 2.34) | libc6.1

Package: libc6
Version: 2.36-9+deb12u9
Architecture: amd64
";

const BACKPORTS: &str = "\
Package: golang-1.22-go
Version: 1.22.12-3~bpo12+1
Architecture: amd64
";

struct Project {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    server: Server,
}

impl Project {
    /// A Debian 12 project whose repositories are the test server's bookworm, with
    /// bookworm-backports as the optional repository. `extra` goes at the end of the
    /// manifest; `go` is the Go minimum; `requires` are the runtime package's.
    fn debian(go: &str, requires: &[&str], extra: &str) -> Project {
        let server = Server::start();
        serve_suite(&server, "bookworm", BOOKWORM, true);
        serve_suite(&server, "bookworm-backports", BACKPORTS, false);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("project");
        std::fs::create_dir_all(&dir).unwrap();
        let url = server.url("/debian");
        let requires: Vec<String> = requires.iter().map(|r| format!("{r:?}")).collect();
        let manifest = format!(
            r#"[project]
name = "resolved"
maintainer = "Resolve Team <resolve@example.org>"
obs-project = "home:resolve"
targets = ["debian-12"]
archs = ["x86_64"]

[toolchains]
go = "{go}"

[upstreams.app]
git = "https://example.org/app.git"
version = "1.0.0"
commit = "{COMMIT}"

[distros.debian-12]
repositories = [{{ name = "bookworm", url = "{url}" }}]
optional-repositories = [{{ name = "bookworm-backports", url = "{url}" }}]

[[packages]]
name = "app-runtime"
upstream = "app"
summary = "The app runtime"
description = "The app runtime."
toolchain = "go"
build-requires = ["make", "libseccomp-devel"]
requires = [{}]
files = ["/usr/bin/app"]

[[packages.subpackages]]
suffix = "tools"
summary = "The app tools"
description = "The app tools."
files = ["/usr/bin/app-tool"]

[[packages]]
name = "app-agent"
upstream = "app"
summary = "The app agent"
description = "The app agent."
requires = ["app-runtime", "qemu-system-x86-64 >= 1:7.0"]
files = ["/usr/bin/app-agent"]
{extra}"#,
            requires.join(", ")
        );
        std::fs::write(dir.join("packages.toml"), manifest).unwrap();
        std::fs::write(
            dir.join("changelog.toml"),
            "[[entry]]\nupstream = \"app\"\nversion = \"1.0.0\"\ndate = \"2026-11-01T00:00:00Z\"\nauthor = \"Resolve Team <resolve@example.org>\"\nchanges = [\"Initial package\"]\n",
        )
        .unwrap();
        Project {
            _tmp: tmp,
            dir,
            server,
        }
    }

    fn resolve(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["resolve"];
        all.extend_from_slice(args);
        pkgforge(&self.dir, &all)
    }
}

#[test]
fn debian_all_requirements_resolve() {
    // virtual (mail-transport-agent, two providers that conflict), alternatives inside
    // the archive (po-debconf | gettext), versioned Provides (debhelper-compat (= 13),
    // qemu-system-x86-64), a project package required by another (app-runtime,
    // app-runtime (= ${binary:Version}) from app-runtime-tools)
    let p = Project::debian("1.19", &["mail-transport-agent"], "");
    let out = p.resolve(&[]);
    assert_eq!(
        ok(&out),
        "debian-12 (amd64): 3 packages, 9 requirements against bookworm (13 packages): all resolve\n"
    );
    // the project's rendered files are what was checked; nothing was written there
    assert!(!p.dir.join("debian").exists());
    assert!(p.dir.join(".pkgforge-resolve-cache").is_dir());

    // a second run asks InRelease conditionally and takes the index from the cache
    let before = p
        .server
        .requests_to("/debian/dists/bookworm/main/binary-amd64/Packages.xz")
        .len();
    let out = p.resolve(&["-v"]);
    ok(&out);
    let asked = p.server.requests_to("/debian/dists/bookworm/InRelease");
    assert_eq!(asked.len(), 2);
    assert_eq!(
        asked[1].headers.get("if-none-match").map(String::as_str),
        Some("\"bookworm-1\"")
    );
    assert_eq!(
        p.server
            .requests_to("/debian/dists/bookworm/main/binary-amd64/Packages.xz")
            .len(),
        before
    );
    assert!(
        stderr(&out)
            .contains("1 requests, 1 answered 304 Not Modified, 1 indexes taken from the cache"),
        "{}",
        stderr(&out)
    );

    let json: serde_json::Value = serde_json::from_str(&ok(&p.resolve(&["--json"]))).unwrap();
    assert_eq!(json["debian-12"]["problems"], serde_json::json!([]));
    assert_eq!(json["debian-12"]["available"], 13);
}

/// The manifest of `p` with debian-12's Go packages named by the manifest, so that
/// pkgforge knows nothing of their versions and leaves backports to `resolve`.
fn own_go_packages(manifest: &str) -> String {
    manifest.replace(
        "[distros.debian-12]\n",
        "[distros.debian-12]\ntoolchains = { go = [\"golang-go (>= 2:{version}~) | golang-{version}-go\"] }\n",
    )
}

#[test]
fn debian_toolchain_from_backports_is_taken_when_the_table_knows_it() {
    // the distro table knows bookworm has Go 1.19 and bookworm-backports 1.24
    let p = Project::debian("1.22", &["mail-transport-agent"], "");
    let text = ok(&p.resolve(&[]));
    assert!(
        text.starts_with(
            "debian-12 (amd64): 3 packages, 9 requirements against bookworm, bookworm-backports ("
        ),
        "{text}"
    );
    assert!(text.ends_with(": all resolve\n"), "{text}");
}

#[test]
fn debian_toolchain_too_new_names_the_backport() {
    let p = Project::debian("1.22", &["mail-transport-agent"], "");
    let manifest = std::fs::read_to_string(p.dir.join("packages.toml")).unwrap();
    std::fs::write(p.dir.join("packages.toml"), own_go_packages(&manifest)).unwrap();
    let out = p.resolve(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "debian-12 (amd64): 3 packages, 9 requirements against bookworm (13 packages): 1 requirement cannot be met\n  \
debian-12: app-runtime: build requirement `golang-go (>= 2:1.22~) | golang-1.22-go` cannot be met: golang-go is 2:1.19~1; \
golang-1.22-go 1.22.12-3~bpo12+1 is in bookworm-backports: add it to debian-12's repositories \
(add-repositories = [\"bookworm-backports\"] under [distros.debian-12]), or lower [toolchains] go\n"
    );
    assert_eq!(
        stderr(&out).lines().last(),
        Some("error: 1 requirements cannot be met")
    );

    // following the fix resolves it
    let p = Project::debian("1.22", &["mail-transport-agent"], "");
    let manifest = own_go_packages(&std::fs::read_to_string(p.dir.join("packages.toml")).unwrap())
        .replace(
            "optional-repositories = [",
            "add-repositories = [\"bookworm-backports\"]\noptional-repositories = [",
        );
    std::fs::write(p.dir.join("packages.toml"), manifest).unwrap();
    assert!(ok(&p.resolve(&[])).ends_with("all resolve\n"));
}

#[test]
fn debian_missing_and_unversioned_virtual() {
    let p = Project::debian(
        "1.19",
        &[
            "no-such-package",
            "mail-transport-agent (>= 2)",
            "postfix | exim4",
        ],
        "",
    );
    let out = p.resolve(&[]);
    assert_eq!(out.status.code(), Some(2));
    // app-runtime-tools, which cannot be installed only because app-runtime cannot, is
    // not reported on its own
    assert_eq!(
        stdout(&out),
        "debian-12 (amd64): 3 packages, 11 requirements against bookworm (13 packages): 2 requirements cannot be met
  debian-12: app-runtime: requirement `mail-transport-agent (>= 2)` cannot be met: mail-transport-agent is provided by exim4-daemon-light, postfix: check the name, map it to debian-12's package under [names], or add the repository that has it to [distros.debian-12]
  debian-12: app-runtime: requirement `no-such-package` cannot be met: no repository of debian-12 has no-such-package: check the name, map it to debian-12's package under [names], or add the repository that has it to [distros.debian-12]
"
    );
}

#[test]
fn debian_requirement_met_by_a_package_the_project_builds() {
    // `mail-transport-agent` comes from the project here, not from postfix: the project's
    // own package provides it
    let p = Project::debian(
        "1.19",
        &["app-mta"],
        r#"
[[packages]]
name = "app-mta"
upstream = "app"
summary = "The app mailer"
description = "The app mailer."
requires = ["qemu-system-x86 (>= 1:7.2)"]
files = ["/usr/bin/app-mta"]
"#,
    );
    let out = p.resolve(&[]);
    assert!(
        ok(&out)
            .ends_with("4 packages, 12 requirements against bookworm (13 packages): all resolve\n"),
        "{}",
        stdout(&out)
    );

    // a rootfs image is met by the image package rendered beside its kiwi description,
    // whose build requirements count too
    let rootfs = r#"
[[rootfs]]
name = "guest-image"
summary = "Guest root"
version = "1.0.0"
bases = ["debian-12"]
packages = ["systemd"]
"#;
    let p = Project::debian("1.19", &["guest-image"], rootfs);
    let out = p.resolve(&[]);
    assert!(
        ok(&out)
            .ends_with("4 packages, 10 requirements against bookworm (13 packages): all resolve\n"),
        "{}",
        stdout(&out)
    );

    // the build of a disk image package requires e2fsprogs, fakeroot and fdisk, resolved
    // like every build requirement: this index has none of them
    let p = Project::debian(
        "1.19",
        &["guest-image"],
        &rootfs.replace("packages = [", "install-as = \"disk\"\npackages = ["),
    );
    let out = p.resolve(&[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("3 requirements cannot be met"), "{text}");
    for dep in ["e2fsprogs", "fakeroot", "fdisk"] {
        assert!(
            text.contains(&format!(
                "guest-image-debian-12: build requirement `{dep}` cannot be met"
            )),
            "{text}"
        );
    }

    // an image on another format's base, which only default-base can ask for, is met by
    // the Debian package the project renders of it
    let p = Project::debian(
        "1.19",
        &["guest-image"],
        &rootfs
            .replace(r#"["debian-12"]"#, r#"["fedora-42"]"#)
            .replace("packages = [", "default-base = \"fedora-42\"\npackages = ["),
    );
    let manifest = std::fs::read_to_string(p.dir.join("packages.toml"))
        .unwrap()
        .replace(
            r#"targets = ["debian-12"]"#,
            r#"targets = ["debian-12", "fedora-42"]"#,
        );
    std::fs::write(p.dir.join("packages.toml"), manifest).unwrap();
    let out = p.resolve(&["--distro", "debian-12"]);
    assert!(
        ok(&out)
            .ends_with("4 packages, 10 requirements against bookworm (13 packages): all resolve\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn unreachable_and_bad_repositories() {
    let p = Project::debian("1.19", &[], "");
    let manifest = std::fs::read_to_string(p.dir.join("packages.toml")).unwrap();
    std::fs::write(
        p.dir.join("packages.toml"),
        manifest.replace("name = \"bookworm\", url", "name = \"sid\", url"),
    )
    .unwrap();
    let out = p.resolve(&[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stdout(&out),
        format!(
            "debian-12 (amd64): not checked: repository sid: {}/dists/sid: the suite has neither InRelease nor Release\n",
            p.server.url("/debian")
        )
    );

    std::fs::write(
        p.dir.join("packages.toml"),
        manifest.replace("add-repositories", "x").replace(
            "[distros.debian-12]\n",
            "[distros.debian-12]\nadd-repositories = [\"bookworm-proposed\"]\n",
        ),
    )
    .unwrap();
    let out = p.resolve(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`bookworm-proposed` is not an optional repository of debian-12"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("optional repositories: bookworm-backports"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------
// rpm-md

/// Build a noarch RPM from a minimal spec with `rpmbuild -bb` into `<top>/repo/`.
fn build_rpm(top: &Path, name: &str, version: &str, tags: &str) {
    let spec = format!(
        "Name: {name}\nVersion: {version}\nRelease: 1\nSummary: {name}\nLicense: MIT\nBuildArch: noarch\n{tags}\n%description\n{name}\n%files\n"
    );
    let path = top.join(format!("{name}.spec"));
    std::fs::create_dir_all(top).unwrap();
    std::fs::write(&path, spec).unwrap();
    must(
        Command::new(tool("rpmbuild"))
            .arg("-bb")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("--define")
            .arg(format!("_rpmdir {}", top.join("repo").display()))
            .arg(&path),
        "rpmbuild",
    );
}

/// An rpm-md repository built by createrepo_c, served at `/fedora/x86_64/`.
fn rpm_repository(server: &Server, top: &Path) {
    build_rpm(top, "golang", "1.21.5", "Provides: golang(API) = 1.21");
    build_rpm(
        top,
        "qemu-system-x86",
        "8.2.2",
        "Requires: (qemu-img or qemu-utils)",
    );
    build_rpm(top, "qemu-img", "8.2.2", "");
    build_rpm(top, "containerd", "1.7.13", "");
    build_rpm(top, "qemu-tools", "8.2.2", "");
    build_rpm(top, "make", "4.4.1", "Provides: /usr/bin/make");
    let repo = top.join("repo");
    must(
        Command::new(tool("createrepo_c"))
            .arg("--simple-md-filenames")
            .arg(&repo),
        "createrepo_c",
    );
    for entry in walkdir::WalkDir::new(&repo) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(&repo).unwrap();
            server.route(
                &format!("/fedora/x86_64/{}", rel.display()),
                Response::ok(std::fs::read(entry.path()).unwrap()),
            );
        }
    }
}

fn rpm_project(requires: &[&str]) -> Project {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    rpm_repository(&server, &tmp.path().join("rpmbuild"));
    let dir = tmp.path().join("project");
    std::fs::create_dir_all(&dir).unwrap();
    let requires: Vec<String> = requires.iter().map(|r| format!("{r:?}")).collect();
    let manifest = format!(
        r#"[project]
name = "resolved"
maintainer = "Resolve Team <resolve@example.org>"
obs-project = "home:resolve"
targets = ["fedora-41"]
archs = ["x86_64"]

[toolchains]
go = "1.21"

[upstreams.app]
git = "https://example.org/app.git"
version = "1.0.0"
commit = "{COMMIT}"

[distros.fedora-41]
repositories = [{{ name = "fedora", url = "{}/fedora/{{arch}}" }}]

[[packages]]
name = "app-runtime"
upstream = "app"
summary = "The app runtime"
description = "The app runtime."
toolchain = "go"
build-requires = ["make", "(golang with golang(API) >= 1.21)"]
requires = [{}]
files = ["/usr/bin/app"]

[[packages.subpackages]]
suffix = "shim"
summary = "The app shim"
description = "The app shim."
files = ["/usr/bin/app-shim"]
"#,
        server.base,
        requires.join(", ")
    );
    std::fs::write(dir.join("packages.toml"), manifest).unwrap();
    std::fs::write(
        dir.join("changelog.toml"),
        "[[entry]]\nupstream = \"app\"\nversion = \"1.0.0\"\ndate = \"2026-11-01T00:00:00Z\"\nauthor = \"Resolve Team <resolve@example.org>\"\nchanges = [\"Initial package\"]\n",
    )
    .unwrap();
    Project {
        _tmp: tmp,
        dir,
        server,
    }
}

#[test]
fn rpm_md_rich_dependencies() {
    // `or` (also inside qemu-system-x86's own requirements), `if` whose condition holds
    // (containerd is required, app-shim is the project's) and one whose condition does
    // not (qemu-tools is in the repository but nothing installs it), `with`
    let p = rpm_project(&[
        "(qemu-kvm or qemu-system-x86)",
        "containerd",
        "(app-runtime-shim if containerd)",
        "(no-such-plugin if qemu-tools)",
    ]);
    let out = p.resolve(&[]);
    assert_eq!(
        ok(&out),
        "fedora-41 (x86_64): 2 packages, 8 requirements against fedora (6 packages): all resolve\n"
    );

    let p = rpm_project(&[
        "(qemu-kvm or qemu-kvm-core)",
        "containerd",
        "(no-such-plugin if containerd)",
    ]);
    let out = p.resolve(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "fedora-41 (x86_64): 2 packages, 7 requirements against fedora (6 packages): 2 requirements cannot be met
  fedora-41: app-runtime: requirement `(qemu-kvm or qemu-kvm-core)` cannot be met: no repository of fedora-41 has qemu-kvm; no repository of fedora-41 has qemu-kvm-core: check the name, map it to fedora-41's package under [names], or add the repository that has it to [distros.fedora-41]
  fedora-41: app-runtime: requirement `(no-such-plugin if containerd)` cannot be met: no repository of fedora-41 has no-such-plugin (together with `containerd`): check the name, map it to fedora-41's package under [names], or add the repository that has it to [distros.fedora-41]
"
    );

    // the rpm toolchain too: Fedora's Go is 1.21.5 here
    let p = rpm_project(&[]);
    let manifest = std::fs::read_to_string(p.dir.join("packages.toml"))
        .unwrap()
        .replace("go = \"1.21\"", "go = \"1.22\"");
    std::fs::write(p.dir.join("packages.toml"), manifest).unwrap();
    let out = p.resolve(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out).lines().nth(1),
        Some("  fedora-41: app-runtime: build requirement `golang >= 1.22` cannot be met: golang is 1.21.5-1: lower [toolchains] go")
    );
}

// ---------------------------------------------------------------------------------
// The real Debian 12 index (slow, needs the network to the Debian mirror apt uses:
// scripts/test.sh runs it explicitly)

/// The Debian mirror: `PKGFORGE_DEBIAN_MIRROR`, else the one apt uses here.
fn debian_mirror() -> String {
    std::env::var("PKGFORGE_DEBIAN_MIRROR")
        .unwrap_or_else(|_| "http://deb.debian.org/debian".to_string())
        .trim_end_matches('/')
        .to_string()
}

#[test]
#[ignore = "downloads the Debian 12 index (about 10 MB); scripts/test.sh runs it"]
fn real_debian_12_index() {
    let mirror = debian_mirror();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let manifest = |go: &str| {
        format!(
            r#"[project]
name = "real"
maintainer = "Resolve Team <resolve@example.org>"
obs-project = "home:resolve"
targets = ["debian-12"]
archs = ["x86_64"]

[toolchains]
go = "{go}"

[upstreams.app]
git = "https://example.org/app.git"
version = "1.0.0"
commit = "{COMMIT}"

[distros.debian-12]
repositories = [
  {{ name = "bookworm", url = "{mirror}" }},
  {{ name = "bookworm-updates", url = "{mirror}" }},
  {{ name = "bookworm-security", url = "{mirror}-security" }},
]
optional-repositories = [{{ name = "bookworm-backports", url = "{mirror}" }}]

[[packages]]
name = "app"
upstream = "app"
summary = "The app"
description = "The app."
toolchain = "go"
build-requires = ["make", "libseccomp-devel", "pkg-config"]
requires = ["qemu-system-x86", "mail-transport-agent", "libc6 >= 2.36"]
files = ["/usr/bin/app"]

[[packages.subpackages]]
suffix = "tools"
summary = "The app tools"
description = "The app tools."
files = ["/usr/bin/app-tool"]
"#
        )
    };
    std::fs::write(
        dir.join("changelog.toml"),
        "[[entry]]\nupstream = \"app\"\nversion = \"1.0.0\"\ndate = \"2026-11-01T00:00:00Z\"\nauthor = \"Resolve Team <resolve@example.org>\"\nchanges = [\"Initial package\"]\n",
    )
    .unwrap();

    std::fs::write(dir.join("packages.toml"), manifest("1.19")).unwrap();
    let out = pkgforge(dir, &["resolve"]);
    let text = ok(&out);
    assert!(
        text.starts_with("debian-12 (amd64): 2 packages, "),
        "{text}"
    );
    assert!(text.ends_with(": all resolve\n"), "{text}");

    // Go 1.22 is only in bookworm-backports, which the distro table knows: it is read
    std::fs::write(dir.join("packages.toml"), manifest("1.22")).unwrap();
    let text = ok(&pkgforge(dir, &["resolve"]));
    assert!(text.contains(", bookworm-backports ("), "{text}");
    assert!(text.ends_with(": all resolve\n"), "{text}");

    // with the Go packages named by the manifest, resolve names the backport
    std::fs::write(
        dir.join("packages.toml"),
        own_go_packages(&manifest("1.22")),
    )
    .unwrap();
    let out = pkgforge(dir, &["resolve"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("debian-12: app: build requirement `golang-go (>= 2:1.22~) | golang-1.22-go` cannot be met: golang-go is 2:1.19~1; "),
        "{text}"
    );
    assert!(text.contains("golang-1.22-go 1.22."), "{text}");
    assert!(
        text.ends_with(" is in bookworm-backports: add it to debian-12's repositories (add-repositories = [\"bookworm-backports\"] under [distros.debian-12]), or lower [toolchains] go\n"),
        "{text}"
    );

    // and following the fix resolves it, from the cache but for backports' own index
    std::fs::write(
        dir.join("packages.toml"),
        own_go_packages(&manifest("1.22")).replace(
            "[distros.debian-12]\n",
            "[distros.debian-12]\nadd-repositories = [\"bookworm-backports\"]\n",
        ),
    )
    .unwrap();
    let text = ok(&pkgforge(dir, &["resolve", "-v"]));
    assert!(text.ends_with(": all resolve\n"), "{text}");
}

/// The bundled Kata manifest against the real Debian 12 and 13 indexes: the guest image
/// every runtime requires is met by the image package the project builds, on both.
#[test]
#[ignore = "downloads the Debian 12 and 13 indexes; scripts/test.sh runs it"]
fn real_debian_bundled_image_requirement_is_met() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["packages.toml", "changelog.toml"] {
        std::fs::copy(repo().join(f), tmp.path().join(f)).unwrap();
    }
    let out = pkgforge(
        tmp.path(),
        &["resolve", "--distro", "debian-12", "--distro", "debian-13"],
    );
    let text = stdout(&out);
    for target in ["debian-12", "debian-13"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{target} (amd64): 6 packages, "))),
            "{text}"
        );
    }
    assert!(!text.contains("kata-containers-image"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("debian-13 (amd64): ") && l.ends_with(": all resolve")),
        "{text}"
    );
}
