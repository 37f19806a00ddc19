//! What ships beside the binary: contrib/ installs only a pinned pkgforge and lets no
//! failure pass silently, the systemd units load, pkgforge's own packaging follows
//! Cargo.toml, and the declared minimum Rust covers every locked dependency.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Cargo.toml's `[package]` table.
fn package() -> toml::Table {
    let text = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let mut cargo: toml::Table = toml::from_str(&text).unwrap();
    cargo.remove("package").unwrap().try_into().unwrap()
}

fn package_str(key: &str) -> String {
    package()[key]
        .as_str()
        .unwrap_or_else(|| panic!("Cargo.toml has no package.{key}"))
        .to_string()
}

/// Every text file under contrib/, the rendered packaging included.
fn contrib_files() -> Vec<PathBuf> {
    files_where(&repo().join("contrib"), |_| true)
}

/// The lines of `text` that install with cargo from anything but this repository at a
/// pinned commit or tag, or a local checkout, and the lines that swallow a failure.
fn unpinned_or_swallowed(text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.windows(2).any(|w| w == ["cargo", "install"]) {
            let has = |flag: &str| {
                words
                    .iter()
                    .any(|w| *w == flag || w.starts_with(&format!("{flag}=")))
            };
            let pinned = has("--git") && (has("--rev") || has("--tag"));
            if !(pinned || has("--path")) {
                bad.push(format!(
                    "line {}: `cargo install` without --git and --rev/--tag, or --path: {line}",
                    i + 1
                ));
            }
        }
        if line.contains("|| true") {
            bad.push(format!(
                "line {}: `|| true` swallows a failure: {line}",
                i + 1
            ));
        }
    }
    bad
}

#[test]
fn the_contrib_scan_finds_what_it_refuses() {
    for (text, refused) in [
        ("run: cargo install --locked pkgforge", true),
        ("cargo install --git https://example.org/p.git", true),
        ("cargo install --locked --git \"$G\" --branch main", true),
        ("gh pr create --fill || true", true),
        ("cargo install --locked --git \"$G\" --rev \"$R\"", false),
        ("cargo install --locked --git=$G --tag=v1.0.0", false),
        ("cargo install --locked --path .", false),
        ("git push --force origin pkgforge/updates", false),
    ] {
        assert_eq!(!unpinned_or_swallowed(text).is_empty(), refused, "{text}");
    }
}

#[test]
fn contrib_installs_only_a_pinned_pkgforge_and_swallows_no_failure() {
    let mut report = String::new();
    let mut installs = 0;
    for file in contrib_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for bad in unpinned_or_swallowed(&text) {
            report.push_str(&format!("{}: {bad}\n", file.display()));
        }
        installs += text.matches("cargo install").count();
    }
    assert!(report.is_empty(), "{report}");
    assert!(
        installs >= 2,
        "the CI job and the systemd unit install pkgforge"
    );
}

/// The value given to `name` in a file: `name: value` (YAML) or `name=value` (systemd).
fn setting(text: &str, name: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r"(?m)\b{name}\s*[:=]\s*(\S+)\s*$")).unwrap();
    re.captures(text).map(|c| c[1].to_string())
}

/// The repository holding this checkout, to prove a pinned commit is one of its own.
fn this_repository() -> git2::Repository {
    git2::Repository::discover(repo()).expect("the tests run in a git checkout of pkgforge")
}

#[track_caller]
fn assert_commit_of_this_repository(git: &git2::Repository, commit: &str, what: &str) {
    assert!(
        commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "{what}: `{commit}` is not a 40-hex commit"
    );
    let oid = git2::Oid::from_str(commit).unwrap();
    let head = git.head().unwrap().peel_to_commit().unwrap().id();
    assert!(
        git.find_commit(oid).is_ok()
            && (head == oid || git.graph_descendant_of(head, oid).unwrap()),
        "{what}: {commit} is not a commit in the history of this repository"
    );
}

#[test]
fn contrib_pins_are_this_repository_at_one_of_its_commits() {
    let url = package_str("repository");
    let git = this_repository();
    let mut pinned = 0;
    for file in contrib_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if !text.contains("cargo install") {
            continue;
        }
        let what = file.display().to_string();
        // one place, near the top: the first 12 lines
        let head: String = text.lines().take(12).collect::<Vec<_>>().join("\n");
        let git_url = setting(&head, "PKGFORGE_GIT")
            .unwrap_or_else(|| panic!("{what}: no PKGFORGE_GIT in its first lines"));
        let rev = setting(&head, "PKGFORGE_REV")
            .unwrap_or_else(|| panic!("{what}: no PKGFORGE_REV in its first lines"));
        assert_eq!(
            git_url, url,
            "{what}: PKGFORGE_GIT is Cargo.toml's repository"
        );
        assert_commit_of_this_repository(&git, &rev, &what);
        for pin in [&url, &rev] {
            assert_eq!(
                text.matches(pin.as_str()).count(),
                1,
                "{what}: {pin} given once"
            );
        }
        pinned += 1;
    }
    assert_eq!(pinned, 2, "the CI job and the systemd unit");
}

/// systemd's own loader accepts the units, with the binary the service runs in place.
#[test]
fn systemd_units_load() {
    let analyze = tool("systemd-analyze");
    let home = tempfile::tempdir().unwrap();
    let bin_dir = home.path().join(".local/share/pkgforge-watch/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::fs::copy(bin(), bin_dir.join("pkgforge")).unwrap();
    let runtime = home.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let units = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for kind in ["service", "timer"] {
        // instances of the template units, as `systemctl --user enable` makes them
        let to = units.path().join(format!("pkgforge-watch@kata.{kind}"));
        std::fs::copy(
            repo().join(format!("contrib/systemd/pkgforge-watch.{kind}")),
            &to,
        )
        .unwrap();
        args.push(to);
    }
    let out = Command::new(analyze)
        .args(["--user", "verify", "--man=no"])
        .args(&args)
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        out.status.success() && text.trim().is_empty(),
        "systemd-analyze verify:\n{text}"
    );
}

fn packaging() -> PathBuf {
    repo().join("contrib/packaging")
}

#[test]
fn own_packaging_follows_cargo_toml() {
    let text = std::fs::read_to_string(packaging().join("packages.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let up = manifest["upstreams"]["pkgforge"].as_table().unwrap();
    assert_eq!(up["git"].as_str(), Some(package_str("repository").as_str()));
    assert_eq!(
        up["version"].as_str(),
        Some(package_str("version").as_str())
    );
    assert_eq!(
        manifest["toolchains"]["rust"].as_str(),
        Some(package_str("rust-version").as_str()),
        "the package builds with the Rust Cargo.toml declares"
    );
    assert_commit_of_this_repository(
        &this_repository(),
        up["commit"].as_str().unwrap(),
        "contrib/packaging/packages.toml",
    );
}

/// The install script of the package makes the files it lists: run against the real
/// binary in place of `target/release/pkgforge`.
#[test]
fn own_packaging_install_script_makes_its_files() {
    let model = pkgforge::manifest::load(&packaging().join("packages.toml")).unwrap();
    let p = &model.packages[0];
    let work = tempfile::tempdir().unwrap();
    let release = work.path().join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(bin(), release.join("pkgforge")).unwrap();
    let text = std::fs::read_to_string(packaging().join("packages.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    let install = manifest["packages"][0]["install"].as_str().unwrap();
    let dest = work.path().join("dest");
    must(
        Command::new("sh")
            .args(["-ec", install])
            .env("DESTDIR", &dest)
            .current_dir(work.path()),
        "the install script",
    );
    let mut made: Vec<String> = files_where(&dest, |_| true)
        .iter()
        .map(|f| format!("/{}", f.strip_prefix(&dest).unwrap().display()))
        .collect();
    made.sort();
    let mut listed = p.files.clone();
    listed.sort();
    assert_eq!(made, listed);
    assert_eq!(
        listed,
        [
            "/usr/bin/pkgforge",
            "/usr/share/bash-completion/completions/pkgforge",
            "/usr/share/man/man1/pkgforge.1",
        ]
    );
    let man = std::fs::read_to_string(dest.join("usr/share/man/man1/pkgforge.1")).unwrap();
    assert!(man.contains(".TH pkgforge 1"), "{man}");
    let completion =
        std::fs::read_to_string(dest.join("usr/share/bash-completion/completions/pkgforge"))
            .unwrap();
    assert!(completion.contains("complete -F _pkgforge"));
}

/// `major.minor[.patch]` as a comparable triple.
fn rust_version(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap());
    (
        parts.next().unwrap(),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// A dependency that needs a newer Rust than Cargo.toml declares makes the declaration
/// false, whatever toolchain runs the tests.
#[test]
fn locked_dependencies_fit_the_declared_rust_version() {
    let declared = package_str("rust-version");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = must(
        Command::new(cargo)
            .args(["metadata", "--locked", "--offline", "--format-version", "1"])
            .current_dir(repo()),
        "cargo metadata",
    );
    let json = &out[out.find('{').unwrap()..];
    let metadata: serde_json::Value = serde_json::from_str(json).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let mut too_new = Vec::new();
    let mut declaring = 0;
    for p in packages {
        let Some(needs) = p["rust_version"].as_str() else {
            continue;
        };
        declaring += 1;
        if rust_version(needs) > rust_version(&declared) {
            too_new.push(format!(
                "{} {} needs {needs}",
                p["name"].as_str().unwrap_or_default(),
                p["version"].as_str().unwrap_or_default()
            ));
        }
    }
    assert!(
        packages.len() > 100 && declaring > 50,
        "{} packages",
        packages.len()
    );
    assert!(
        too_new.is_empty(),
        "Cargo.toml declares rust-version {declared}, but:\n{}",
        too_new.join("\n")
    );
}

/// pkgforge runs no other program (git goes through libgit2, HTTP through rustls),
/// except where running one is the feature: `pkgforge sources` vendors with the
/// ecosystem's own client (`go mod vendor`, `cargo vendor`), as OBS's services do, and
/// builds an image package's image with `kiwi-ng`, as OBS's kiwi build does;
/// `pkgforge import` reads specs with rpm's own parser (`rpmspec -P`), and
/// `pkgforge build` builds with obs-build, rpmbuild or dpkg-buildpackage, installs with
/// rpm or dpkg and runs the smoke test (under chroot in a build root). A
/// command that starts one must say which package provides it when it is missing, and
/// the README's Install section must list it.
const STARTS_PROGRAMS: &[&str] = &[
    "src/sources/vendor.rs",
    "src/sources/image.rs",
    "src/import/spec.rs",
    "src/build/mod.rs",
    "src/build/chroot.rs",
    "src/build/host.rs",
];

#[test]
fn the_binary_starts_no_other_program() {
    let spawns = regex::Regex::new(r"\b(process::)?Command::new\(|\bexec(vp?e?)?\(").unwrap();
    let mut found = Vec::new();
    for file in files_where(&repo().join("src"), |p: &Path| {
        p.extension().is_some_and(|e| e == "rs")
    }) {
        let rel = file.strip_prefix(repo()).unwrap();
        if STARTS_PROGRAMS
            .iter()
            .any(|allowed| rel == Path::new(allowed))
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if spawns.is_match(line) {
                found.push(format!("{}:{}: {line}", file.display(), i + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "pkgforge now starts a program: name its Debian and openSUSE package in the error \
         when it is missing, list it in README's Install section, and update this test:\n{}",
        found.join("\n")
    );
}

/// HTTPS needs the system's CA certificates, the one thing of the system pkgforge reads
/// at run time: without them the error names the package to install.
#[test]
fn https_without_ca_certificates_names_the_package() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("packages.toml"),
        r#"[project]
name = "hello"
maintainer = "Hello Packagers <hello@example.org>"
obs-project = "home:hello"
targets = ["debian-12"]

[upstreams.hello]
git = "https://127.0.0.1:1/hello.git"
commit = "0123456789abcdef0123456789abcdef01234567"
version = "1.0"

[[packages]]
name = "hello"
upstream = "hello"
summary = "Greets the world"
description = "A greeting program."
files = ["/usr/bin/hello"]
"#,
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("changelog.toml"),
        "[[entry]]\nversion = \"1.0\"\ndate = \"2026-11-22T04:00:00Z\"\nauthor = \"Hello Packagers <hello@example.org>\"\nchanges = [\"Initial package\"]\n",
    )
    .unwrap();
    let empty = tmp.path().join("no-certificates");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::new(bin())
        .current_dir(tmp.path())
        .arg("watch")
        .env("SSL_CERT_FILE", empty.join("none.pem"))
        .env("SSL_CERT_DIR", &empty)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out),
        "error: cannot set up the HTTP client: builder error: unexpected error: No CA \
         certificates were loaded from the system\n  = note: when no CA certificates were \
         loaded, install `ca-certificates` (Debian, Ubuntu, Fedora, CentOS) or \
         `ca-certificates-mozilla` (openSUSE, SLE)\n"
    );
}
