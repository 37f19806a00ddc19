//! The command line as a packager uses it: render, check, diff, selection, errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::Path;

use common::*;

/// A copy of the bundled manifest and its changelog, without rendered outputs.
fn bundled_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["packages.toml", "changelog.toml"] {
        std::fs::copy(repo().join(f), tmp.path().join(f)).unwrap();
    }
    tmp
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

#[test]
fn bundled_outputs_are_current() {
    for dir in bundled_dirs() {
        let out = pkgforge(&dir, &["render", "--check"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "the committed outputs of {} are stale; run `cargo run -- --manifest {}/packages.toml render`:\n{}",
            dir.display(),
            dir.display(),
            stdout(&out)
        );
    }
}

#[test]
fn check_accepts_the_bundled_manifests() {
    for dir in bundled_dirs() {
        let out = pkgforge(&dir, &["check"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains("is valid"));
    }
}

#[test]
fn second_render_writes_nothing() {
    let p = bundled_project();
    let first = pkgforge(p.path(), &["render"]);
    assert!(
        stderr(&first).contains(" created, 0 updated, 0 removed, 0 unchanged"),
        "{}",
        stderr(&first)
    );
    let before: Vec<_> = files_where(p.path(), |_| true)
        .into_iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::metadata(&f).unwrap().modified().unwrap(),
            )
        })
        .collect();
    let second = pkgforge(p.path(), &["render"]);
    assert!(
        stderr(&second).contains("0 created, 0 updated, 0 removed"),
        "{}",
        stderr(&second)
    );
    for (f, mtime) in before {
        assert_eq!(
            std::fs::metadata(&f).unwrap().modified().unwrap(),
            mtime,
            "{} was rewritten",
            f.display()
        );
    }
    assert_eq!(
        pkgforge(p.path(), &["render", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn distro_selection_writes_only_what_those_targets_use() {
    let p = bundled_project();
    ok(&pkgforge(
        p.path(),
        &["render", "--distro", "opensuse", "-q"],
    ));
    let files: Vec<String> = files_where(p.path(), |_| true)
        .iter()
        .map(|f| {
            f.strip_prefix(p.path())
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    assert!(files.contains(&"obs/kata-runtime/kata-runtime.spec".to_string()));
    assert!(files.contains(&"obs/kata-runtime/kata-runtime.changes".to_string()));
    assert!(files.contains(&"obs/kata-runtime/_service".to_string()));
    assert!(files.contains(&"rpm/opensuse-tumbleweed/kata-agent.spec".to_string()));
    assert!(files.contains(&"rpm/opensuse-leap-15.6/kata-agent.spec".to_string()));
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("rpm/fedora-41") || f.starts_with("rpm/sle-15-sp6")),
        "{files:?}"
    );
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("debian/") || f.contains("debian.")),
        "{files:?}"
    );
    // Selecting never changes content: a full render afterwards only adds files.
    let full = pkgforge(p.path(), &["render", "-v"]);
    let updated: Vec<String> = stderr(&full)
        .lines()
        .filter(|l| l.starts_with("updated ") || l.starts_with("removed "))
        .map(str::to_string)
        .collect();
    assert_eq!(updated, ["updated .pkgforge-outputs"], "{}", stderr(&full));
}

#[test]
fn check_reports_stale_missing_and_extra_files() {
    let p = bundled_project();
    ok(&pkgforge(p.path(), &["render", "-q"]));
    let spec = p.path().join("obs/kata-qemu/kata-qemu.spec");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace("Release:        0", "Release:        7"),
    )
    .unwrap();
    std::fs::remove_file(p.path().join("obs/kata-agent/_service")).unwrap();
    let out = pkgforge(p.path(), &["render", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = stdout(&out);
    assert!(
        diff.contains("--- a/obs/kata-qemu/kata-qemu.spec\n+++ b/obs/kata-qemu/kata-qemu.spec"),
        "{diff}"
    );
    assert!(
        diff.contains("-Release:        7\n+Release:        0\n"),
        "{diff}"
    );
    assert!(
        diff.contains("--- /dev/null\n+++ b/obs/kata-agent/_service"),
        "{diff}"
    );
    assert!(
        stderr(&out).contains("2 files are out of date; run `pkgforge render`"),
        "{}",
        stderr(&out)
    );
    // check and diff write nothing
    assert_eq!(
        std::fs::read_to_string(&spec).unwrap(),
        text.replace("Release:        0", "Release:        7")
    );
    let d = pkgforge(p.path(), &["diff"]);
    assert_eq!(d.status.code(), Some(0));
    assert_eq!(stdout(&d), diff);
    ok(&pkgforge(p.path(), &["render", "-q"]));
    assert_eq!(
        pkgforge(p.path(), &["render", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn render_removes_what_it_no_longer_produces_and_nothing_else() {
    let p = bundled_project();
    ok(&pkgforge(p.path(), &["render", "-q"]));
    // an osc working copy and a tarball the user placed
    write(p.path(), "obs/kata-qemu/.osc/_files", "<directory/>\n");
    write(p.path(), "obs/kata-qemu/qemu-9.1.2.tar.xz", "tarball");
    write(p.path(), "notes.txt", "mine");
    // drop the kata-qemu package from the manifest
    let manifest = std::fs::read_to_string(p.path().join("packages.toml")).unwrap();
    let start = manifest.find("[[packages]]\nname = \"kata-qemu\"").unwrap();
    let end = start + manifest[start..].find("[[rootfs]]").unwrap();
    let edited = manifest[..start].to_string() + &manifest[end..];
    let edited = edited.replace(", \"kata-qemu\"]", "]");
    std::fs::write(p.path().join("packages.toml"), edited).unwrap();
    let check = pkgforge(p.path(), &["render", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains("--- a/obs/kata-qemu/kata-qemu.spec\n+++ /dev/null"),
        "{}",
        stdout(&check)
    );
    let out = pkgforge(p.path(), &["render", "-v"]);
    assert!(
        stderr(&out).contains("removed obs/kata-qemu/kata-qemu.spec"),
        "{}",
        stderr(&out)
    );
    assert!(!p.path().join("obs/kata-qemu/kata-qemu.spec").exists());
    assert!(!p.path().join("rpm/fedora-41/kata-qemu.spec").exists());
    assert!(p.path().join("obs/kata-qemu/.osc/_files").exists());
    assert!(p.path().join("obs/kata-qemu/qemu-9.1.2.tar.xz").exists());
    assert!(p.path().join("notes.txt").exists());
    assert_eq!(
        pkgforge(p.path(), &["render", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn no_temporary_files_are_left() {
    let p = bundled_project();
    ok(&pkgforge(p.path(), &["render", "-q"]));
    let tmp = files_where(p.path(), |f| {
        f.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".pkgforge-")
            && f.extension().is_some_and(|e| e == "tmp")
    });
    assert!(tmp.is_empty(), "{tmp:?}");
}

/// The bad-input corpus: each `tests/bad/<case>/` holds a manifest (and optionally its own
/// changelog or templates) and `expected.txt`, the exact message. Every case exits 2 and
/// leaves the tree byte for byte as it was. `PKGFORGE_BLESS=1` rewrites `expected.txt`.
#[test]
fn a_package_without_changelog_entry_is_refused() {
    let p = bundled_project();
    let log = std::fs::read_to_string(p.path().join("changelog.toml")).unwrap();
    let cut = log.find("[[entry]]\nupstream = \"qemu\"").unwrap();
    std::fs::write(p.path().join("changelog.toml"), &log[..cut]).unwrap();
    let out = pkgforge(p.path(), &["render"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: no changelog entry covers package `kata-qemu`\n"),
        "{err}"
    );
    assert!(
        err.contains("= note: add at the top of changelog.toml:"),
        "{err}"
    );
    assert!(!p.path().join("obs").exists());
}

#[test]
fn an_undefined_template_variable_names_template_and_line() {
    let p = bundled_project();
    let spec = std::fs::read_to_string(repo().join("templates/spec.tera")).unwrap();
    write(
        p.path(),
        "templates/spec.tera",
        &spec.replace(
            "Summary:        {{ summary }}",
            "Summary:        {{ sumary }}",
        ),
    );
    let out = pkgforge(p.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out).replace(&format!("{}/", p.path().display()), "");
    let line = spec
        .lines()
        .position(|l| l.contains("{{ summary }}"))
        .unwrap()
        + 1;
    assert!(
        err.starts_with(&format!(
            "error: undefined variable `sumary` in template\n  --> templates/spec.tera:{line}:"
        )),
        "{err}"
    );
}

#[test]
fn a_template_override_changes_the_output() {
    let p = bundled_project();
    let changes = std::fs::read_to_string(repo().join("templates/changes.tera")).unwrap();
    write(
        p.path(),
        "templates/changes.tera",
        &format!("{changes}\n# kept in changelog.toml\n"),
    );
    ok(&pkgforge(p.path(), &["render", "-q"]));
    let text =
        std::fs::read_to_string(p.path().join("obs/kata-runtime/kata-runtime.changes")).unwrap();
    assert!(text.ends_with("# kept in changelog.toml\n"), "{text}");
}

#[test]
fn bad_selection_is_a_usage_error() {
    let p = bundled_project();
    let out = pkgforge(p.path(), &["render", "--distro", "gentoo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: --distro gentoo: not a distro id"),
        "{}",
        stderr(&out)
    );
    let out = pkgforge(p.path(), &["render", "--distro", "fedora-42"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("selects none of the manifest's targets"));
    let out = pkgforge(p.path(), &["render", "--package", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!p.path().join("obs").exists());
}

#[test]
fn missing_manifest_is_invalid_input() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pkgforge(tmp.path(), &["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot read the manifest"),
        "{}",
        stderr(&out)
    );
    let out = std::process::Command::new(bin())
        .args(["render", "--frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_shows_examples_and_completions_and_man_page_exist() {
    for cmd in ["render", "diff", "check", "distros", "completions", "man"] {
        let out = std::process::Command::new(bin())
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("Example"),
            "{cmd} --help has no example:\n{help}"
        );
    }
    let out = std::process::Command::new(bin())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("complete -F"));
    let out = std::process::Command::new(bin())
        .arg("man")
        .output()
        .unwrap();
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(
        man.starts_with(".ie") || man.contains(".TH pkgforge"),
        "{man}"
    );
    assert!(man.contains("render"));
}

#[test]
fn distros_lists_the_table() {
    let out = std::process::Command::new(bin())
        .current_dir(std::env::temp_dir())
        .args(["--manifest", "/nonexistent/packages.toml", "distros"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for id in [
        "opensuse-tumbleweed",
        "opensuse-leap-15.6",
        "sle-15-sp6",
        "fedora-41",
        "fedora-42",
        "centos-stream-9",
        "centos-stream-10",
        "debian-12",
        "debian-13",
        "ubuntu-22.04",
        "ubuntu-24.04",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{id} "))),
            "{id} missing:\n{text}"
        );
    }
    assert!(text.contains("amd64,arm64,ppc64el,s390x"));
    assert!(text.contains("suse_version=1699"));
}

/// `{# pkgforge-template: NAME sha256:HEX #}` for a built-in's text, computed here
/// independently of pkgforge.
fn stamp_line(name: &str, text: &str) -> String {
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{{# pkgforge-template: {name} sha256:{hex} #}}")
}

#[test]
fn templates_show_prints_the_built_in_text_under_its_stamp() {
    let run = |args: &[&str]| {
        std::process::Command::new(bin())
            .args(args)
            .output()
            .unwrap()
    };
    let names: Vec<String> = ok(&run(&["templates", "list"]))
        .lines()
        .map(str::to_string)
        .collect();
    let mut on_disk: Vec<String> = files_where(&repo().join("templates"), |_| true)
        .iter()
        .map(|p| {
            p.strip_prefix(repo().join("templates"))
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    let mut listed = names.clone();
    listed.sort();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    for name in &names {
        let builtin = std::fs::read_to_string(repo().join("templates").join(name)).unwrap();
        assert_eq!(
            ok(&run(&["templates", "show", name])),
            format!("{}\n{builtin}", stamp_line(name, &builtin)),
            "{name}"
        );
    }
    let out = run(&["templates", "show", "spec"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: `spec` is not a built-in template\n  = note: templates: spec.tera, changes.tera,"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_warns_when_the_built_in_under_a_template_override_changed() {
    let p = bundled_project();
    let builtin = std::fs::read_to_string(repo().join("templates/spec.tera")).unwrap();
    // Copied from an older built-in: one line differs from today's.
    let older = builtin.replace("Release:        {{ release }}", "Release:        0");
    assert_ne!(older, builtin);
    write(
        p.path(),
        "templates/spec.tera",
        &format!("{}\n{older}", stamp_line("spec.tera", &older)),
    );
    let out = pkgforge(p.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out).replace(&format!("{}/", p.path().display()), "");
    assert_eq!(
        err,
        format!(
            "warning: templates/spec.tera overrides the built-in spec.tera, which has changed since the override was copied from it\n  \
             = note: compare with `pkgforge templates show spec.tera`, carry over what changed, then replace the first line with {}\n\
             packages.toml is valid: 4 packages, 8 targets\n",
            stamp_line("spec.tera", &builtin)
        )
    );
    // -q keeps the warning.
    let out = pkgforge(p.path(), &["check", "-q"]);
    assert!(stderr(&out).starts_with("warning: "), "{}", stderr(&out));
}

#[test]
fn a_template_override_stamped_by_templates_show_is_quiet_and_renders_the_same() {
    let p = bundled_project();
    for name in ["spec.tera", "debian/control.tera"] {
        let out = std::process::Command::new(bin())
            .args(["templates", "show", name])
            .output()
            .unwrap();
        write(p.path(), &format!("templates/{name}"), &ok(&out));
    }
    let out = pkgforge(p.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        format!(
            "{} is valid: 4 packages, 8 targets\n",
            p.path().join("packages.toml").display()
        )
    );
    ok(&pkgforge(p.path(), &["render", "-q"]));
    let rendered = files_where(p.path(), |f| {
        f.extension().is_some_and(|e| e == "spec") || f.ends_with("debian/control")
    });
    assert!(rendered.len() > 10, "{rendered:?}");
    for f in rendered {
        let rel = f.strip_prefix(p.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            std::fs::read_to_string(repo().join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
}

#[test]
fn check_notes_a_template_override_without_a_stamp() {
    let p = bundled_project();
    let builtin = std::fs::read_to_string(repo().join("templates/changes.tera")).unwrap();
    write(
        p.path(),
        "templates/changes.tera",
        &format!("{builtin}\n# kept in changelog.toml\n"),
    );
    let out = pkgforge(p.path(), &["check"]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out).replace(&format!("{}/", p.path().display()), "");
    assert_eq!(
        err,
        format!(
            "note: templates/changes.tera overrides the built-in changes.tera but has no stamp, so check cannot tell when the built-in changes\n  \
             = note: if it was copied from this version's built-in, add this first line: {} \
             (`pkgforge templates show changes.tera` prints the built-in with it)\n\
             packages.toml is valid: 4 packages, 8 targets\n",
            stamp_line("changes.tera", &builtin)
        )
    );
    // A note, not a warning: -q silences it.
    assert_eq!(stderr(&pkgforge(p.path(), &["check", "-q"])), "");
}

/// Every unit's key in the render cache beside `dir`, by unit id.
fn unit_keys(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join(".pkgforge.render-cache")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("unit\t"))
        .map(|l| {
            let (key, id) = l.split_once('\t').unwrap();
            (id.to_string(), key.to_string())
        })
        .collect()
}

/// Replace `from` with `to` in the file `rel` under `dir`, which must contain it.
#[track_caller]
fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(p, text.replacen(from, to, 1)).unwrap();
}

/// The render cache re-renders only the units whose inputs changed and never leaves one
/// stale: after each kind of input changes in turn (on top of the changes before it), a
/// render of the cached tree gives, byte for byte, the tree that a render from scratch of
/// the same inputs gives, files no longer produced removed, cache included.
#[test]
fn a_cached_render_equals_a_render_from_scratch_after_every_kind_of_change() {
    let case = repo().join("tests/cases/spec-example");
    let warm = tempfile::tempdir().unwrap();
    let w = warm.path();
    for f in ["packages.toml", "changelog.toml"] {
        std::fs::copy(case.join(f), w.join(f)).unwrap();
    }
    copy_into(&case.join("patches"), &w.join("patches"));
    ok(&pkgforge(w, &["render"]));
    let again = pkgforge(w, &["render"]);
    assert!(
        stderr(&again).contains("0 created, 0 updated, 0 removed"),
        "{}",
        stderr(&again)
    );

    let packages = ["package kata-runtime", "package kata-linux"];
    let images = [
        "image kata-containers-image opensuse-tumbleweed",
        "image kata-containers-image fedora-41",
        "image kata-containers-image debian-12",
    ];
    let everything: Vec<&str> = packages
        .iter()
        .chain(&images)
        .copied()
        .chain(["series 3.0", "meta"])
        .collect();
    // the image units render their image packages from the package templates too
    let templated: Vec<&str> = packages
        .iter()
        .chain(&images)
        .copied()
        .chain(["series 3.0"])
        .collect();
    let changes_tera = std::fs::read_to_string(repo().join("templates/changes.tera")).unwrap();
    type Change = Box<dyn Fn(&Path)>;
    let steps: Vec<(&str, Change, Vec<&str>, usize)> = vec![
        (
            "a package's field",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "summary = \"Guest kernel",
                    "summary = \"The guest kernel",
                )
            }),
            vec!["package kata-linux"],
            1,
        ),
        (
            "an upstream's version, with its changelog entry",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "version = \"6.6.52\"",
                    "version = \"6.6.53\"",
                );
                let old = std::fs::read_to_string(d.join("changelog.toml")).unwrap();
                let new = "[[entry]]\nupstream = \"linux\"\nversion = \"6.6.53\"\ndate = \"2026-11-25T09:30:00Z\"\nauthor = \"Jane Packager <jane@example.org>\"\nchanges = [\"Update to version 6.6.53\"]\n\n";
                std::fs::write(d.join("changelog.toml"), format!("{new}{old}")).unwrap();
            }),
            vec!["package kata-linux"],
            1,
        ),
        (
            "a changelog entry",
            Box::new(|d| {
                edit(
                    d,
                    "changelog.toml",
                    "\"Drop a patch merged upstream\"",
                    "\"Drop a patch merged upstream (boo#1)\"",
                )
            }),
            vec!["package kata-runtime", "series 3.0"],
            2,
        ),
        (
            "a template override",
            Box::new(move |d| {
                write(
                    d,
                    "templates/changes.tera",
                    &format!("{{# overridden #}}\nEdited.\n{changes_tera}"),
                )
            }),
            templated.clone(),
            6,
        ),
        (
            "a patch file",
            Box::new(|d| {
                let p = d.join("patches/kata-runtime/0001-fix-build.patch");
                let mut text = std::fs::read_to_string(&p).unwrap();
                text.push_str(" \n");
                std::fs::write(p, text).unwrap();
            }),
            vec!["package kata-runtime", "series 3.0"],
            2,
        ),
        (
            "[project]",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "maintainer = \"Kata Containers Packagers",
                    "maintainer = \"Kata Packagers",
                )
            }),
            everything.clone(),
            7,
        ),
        (
            "[names]",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "fedora = \"libseccomp-devel\"",
                    "fedora = \"libseccomp2-devel\"",
                )
            }),
            vec!["package kata-runtime", "series 3.0"],
            2,
        ),
        (
            "[distros]",
            Box::new(|d| {
                let old = std::fs::read_to_string(d.join("packages.toml")).unwrap();
                let new = old.replacen(
                    "\n[[packages]]",
                    "\n[distros.fedora-41]\nfamily = \"fedora\"\nobs-repository = \"Fedora_41_edited\"\n\n[[packages]]",
                    1,
                );
                std::fs::write(d.join("packages.toml"), new).unwrap();
            }),
            everything.clone(),
            7,
        ),
        (
            "a rootfs",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "packages = [\"systemd\", \"iptables\"",
                    "packages = [\"systemd\", \"curl\", \"iptables\"",
                )
            }),
            images.to_vec(),
            3,
        ),
        (
            "an archive entry",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "version = \"3.0.2\"",
                    "version = \"3.0.3\"",
                )
            }),
            vec!["series 3.0"],
            1,
        ),
        (
            "a patch dropped (files removed)",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "patches = [\"patches/kata-runtime/0001-fix-build.patch\"]\n",
                    "",
                )
            }),
            vec!["package kata-runtime", "series 3.0"],
            2,
        ),
        (
            "a rootfs base dropped (a unit removed)",
            Box::new(|d| {
                edit(
                    d,
                    "packages.toml",
                    "bases = [\"opensuse-tumbleweed\", \"fedora-41\", \"debian-12\"]",
                    "bases = [\"opensuse-tumbleweed\", \"debian-12\"]",
                )
            }),
            // kata-runtime requires the image: on fedora-41 it now gets another base's.
            // The build configuration loses what Fedora's kiwi build root needs.
            images
                .iter()
                .copied()
                .chain(["package kata-runtime", "series 3.0", "meta"])
                .collect(),
            5,
        ),
        (
            "the archive entry removed (a unit removed)",
            Box::new(|d| {
                let text = std::fs::read_to_string(d.join("packages.toml")).unwrap();
                let at = text.find("[[archive]]").unwrap();
                std::fs::write(d.join("packages.toml"), &text[..at]).unwrap();
            }),
            vec!["series 3.0"],
            0,
        ),
        (
            "a rendered file edited and another deleted",
            Box::new(|d| {
                edit(
                    d,
                    "obs/kata-linux/kata-linux.spec",
                    "Name:",
                    "Name: edited\nName:",
                );
                std::fs::remove_file(d.join("obs/kata-runtime/_service")).unwrap();
            }),
            vec![],
            2,
        ),
    ];
    for (what, change, expected, rendered) in steps {
        let keys_before = unit_keys(w);
        change(w);
        let out = pkgforge(w, &["render", "-v"]);
        ok(&out);
        assert!(
            stderr(&out).contains(&format!("rendered {rendered} of ")),
            "after {what}: {rendered} units rendered\n{}",
            stderr(&out)
        );
        // The same inputs, rendered from scratch.
        let cold = tempfile::tempdir().unwrap();
        for f in ["packages.toml", "changelog.toml"] {
            std::fs::copy(w.join(f), cold.path().join(f)).unwrap();
        }
        for d in ["patches", "templates"] {
            if w.join(d).exists() {
                copy_into(&w.join(d), &cold.path().join(d));
            }
        }
        ok(&pkgforge(cold.path(), &["render"]));
        let (warm_files, cold_files) = (snapshot(w), snapshot(cold.path()));
        let warm_paths: Vec<&Path> = warm_files.iter().map(|(p, _)| p.as_path()).collect();
        let cold_paths: Vec<&Path> = cold_files.iter().map(|(p, _)| p.as_path()).collect();
        assert_eq!(warm_paths, cold_paths, "after {what}: the files differ");
        for ((p, a), (_, b)) in warm_files.iter().zip(&cold_files) {
            assert!(
                a == b,
                "after {what}: {} differs from a render from scratch",
                p.display()
            );
        }
        // Only the units whose inputs changed have a new key.
        let keys_after = unit_keys(w);
        let changed: Vec<&str> = keys_before
            .keys()
            .chain(keys_after.keys())
            .filter(|id| keys_before.get(*id) != keys_after.get(*id))
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut expected = expected;
        expected.sort();
        assert_eq!(
            changed, expected,
            "after {what}: the units whose key changed"
        );
        assert_eq!(
            pkgforge(w, &["render", "--check"]).status.code(),
            Some(0),
            "after {what}"
        );
    }
}

#[test]
fn a_manifest_with_only_root_filesystems_needs_no_changelog() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "packages.toml",
        r#"[project]
name = "images"
maintainer = "Image Builders <images@example.org>"
homepage = "https://example.org/images"
obs-project = "home:images"
targets = ["opensuse-tumbleweed", "debian-12"]
archs = ["x86_64"]

[[rootfs]]
name = "guest-image"
summary = "Guest root filesystem"
version = "1.0.0"
bases = ["debian-12", "opensuse-tumbleweed"]
packages = ["systemd"]
"#,
    );
    let out = pkgforge(tmp.path(), &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(tmp
        .path()
        .join("obs/guest-image-debian-12/guest-image.kiwi")
        .is_file());
    assert!(!tmp.path().join("changelog.toml").exists());

    // With an upstream, the changelog is required, and its absence is named.
    let project = bundled_project();
    std::fs::remove_file(project.path().join("changelog.toml")).unwrap();
    let out = pkgforge(project.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the changelog `")
            && stderr(&out).contains("changelog.toml`: No such file")
            && stderr(&out).contains("one [[entry]] per upstream"),
        "{}",
        stderr(&out)
    );
}

/// A small Go project for Tumbleweed, Fedora and Debian 12 with `[toolchains] go = go`
/// and `project_extra` under `[project]`.
fn go_project(go: &str, project_extra: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "packages.toml",
        &format!(
            r#"[project]
name = "gotool"
maintainer = "Tool Packagers <tool@example.org>"
homepage = "https://example.org/gotool"
obs-project = "home:gotool"
targets = ["opensuse-tumbleweed", "fedora-42", "debian-12"]
archs = ["x86_64"]
{project_extra}

[upstreams.gotool]
git = "https://example.org/gotool.git"
commit = "0123456789abcdef0123456789abcdef01234567"
version = "1.0.0"

[toolchains]
go = "{go}"

[[packages]]
name = "gotool"
upstream = "gotool"
summary = "A tool written in Go"
description = "A tool built with the distro's Go."
toolchain = "go"
files = ["/usr/bin/gotool"]
"#
        ),
    );
    write(
        tmp.path(),
        "changelog.toml",
        r#"[[entry]]
upstream = "gotool"
version = "1.0.0"
date = "2026-11-20T12:00:00Z"
author = "Tool Packagers <tool@example.org>"
changes = ["Initial package"]
"#,
    );
    tmp
}

#[test]
fn a_toolchain_minimum_switches_on_backports_only_where_needed() {
    let meta = "obs/_meta/home:gotool.xml";
    let old = go_project("1.19", "");
    ok(&pkgforge(old.path(), &["render"]));
    let text = std::fs::read_to_string(old.path().join(meta)).unwrap();
    assert!(!text.contains("backports"), "{text}");

    let new = go_project("1.22", "");
    ok(&pkgforge(new.path(), &["render"]));
    let text = std::fs::read_to_string(new.path().join(meta)).unwrap();
    assert!(
        text.contains(
            "<repository name=\"Debian_12\">\n    <path project=\"Debian:12\" repository=\"backports\"/>\n    <path project=\"Debian:12\" repository=\"standard\"/>"
        ),
        "{text}"
    );
    // The Go build on Fedora writes a GNU build-id, as Fedora's %gobuild does.
    let spec = std::fs::read_to_string(new.path().join("rpm/fedora-42/gotool.spec")).unwrap();
    assert!(
        spec.contains("-ldflags=-B=0x$(head -c20 /dev/urandom"),
        "{spec}"
    );
}

#[test]
fn a_toolchain_minimum_no_target_has_is_refused_at_its_key() {
    let p = go_project("1.99", "");
    let out = pkgforge(p.path(), &["render"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "go 1.99 is not available on fedora-42: its repositories have go 1.24 at most"
        ) && err.contains("packages.toml:16:6")
            && err.contains("lower it to go = \"1.24\""),
        "{err}"
    );
    assert!(!err.contains("on opensuse-tumbleweed"), "{err}");
    assert!(!p.path().join("obs").exists());
}

#[test]
fn services_are_manual_by_default_and_never_buildtime_beside_debian_or_fedora() {
    let service = "obs/gotool/_service";
    let manual = go_project("1.22", "");
    ok(&pkgforge(manual.path(), &["render"]));
    let text = std::fs::read_to_string(manual.path().join(service)).unwrap();
    let services = text.matches("<service ").count();
    assert_eq!(services, 4, "{text}");
    assert_eq!(text.matches(" mode=\"manual\"").count(), services, "{text}");

    let server = go_project("1.22", "services = \"server\"");
    ok(&pkgforge(server.path(), &["render"]));
    let text = std::fs::read_to_string(server.path().join(service)).unwrap();
    assert!(!text.contains("mode="), "{text}");
}

/// `vendor-licenses.toml` is an input of the render like the manifest: an edit makes
/// the copyright files stale (the render cache does not hide it); an entry for a package
/// the manifest lacks, or recorded at another version, is a warning and not used.
#[test]
fn the_vendored_licences_record_is_an_input_and_its_stray_entries_are_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    copy_into(&repo().join("tests/cases/deb-vendored"), tmp.path());
    std::fs::remove_dir_all(tmp.path().join("expected")).unwrap();
    let dir = tmp.path();
    ok(&pkgforge(dir, &["render", "-q"]));
    ok(&pkgforge(dir, &["render", "--check"]));
    let copyright = dir.join("obs/vendored-agent/debian.copyright");
    assert!(std::fs::read_to_string(&copyright)
        .unwrap()
        .contains("\nFiles: vendor/anyhow/*\n"));

    let record = std::fs::read_to_string(dir.join("vendor-licenses.toml")).unwrap();
    let edited = record
        .replace(
            "[packages.vendored-agent]\nversion = \"2.1.0\"",
            "[packages.vendored-agent]\nversion = \"2.0.0\"",
        )
        .replace("[texts]", "[packages.gone]\nversion = \"1.0\"\n\n[texts]");
    assert_ne!(edited, record);
    write(dir, "vendor-licenses.toml", &edited);
    let out = pkgforge(dir, &["render", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("-Files: vendor/anyhow/*"),
        "{}",
        stdout(&out)
    );

    let out = pkgforge(dir, &["render"]);
    ok(&out);
    let err = stderr(&out);
    assert!(
        err.contains("warning: vendor-licenses.toml: the manifest has no package `gone`; its entry is not used"),
        "{err}"
    );
    assert!(
        err.contains("warning: vendor-licenses.toml: package `vendored-agent` is recorded at version 2.0.0, the manifest has 2.1.0"),
        "{err}"
    );
    let text = std::fs::read_to_string(&copyright).unwrap();
    assert!(!text.contains("vendor/"), "{text}");
    // The runtime's entry is current and still used.
    assert!(
        std::fs::read_to_string(dir.join("obs/vendored-runtime/debian.copyright"))
            .unwrap()
            .contains("\nFiles: vendor/github.com/example/errors/*\n vendor/golang.org/x/sys/*\n")
    );
}
