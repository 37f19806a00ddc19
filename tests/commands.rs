//! The commands as library functions: the render cache shortcut, the recovery policy,
//! the lock, and the exit codes, without running the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use pkgforge::commands::{self, render, Global, Outcome, Stdout};
use pkgforge::error::Kind;
use pkgforge::watch::check::{Report, SignatureCheck};

/// A copy of a test case's inputs, without its expected outputs.
fn project(case: &str) -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(case);
    let tmp = tempfile::tempdir().unwrap();
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(&from).unwrap();
        if rel.starts_with("expected") {
            continue;
        }
        let to = tmp.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    tmp
}

/// Run a command the way the binary does, collecting what it says on stderr.
fn with_global<T>(
    manifest: &Path,
    verbose: bool,
    f: impl FnOnce(&Global) -> T,
) -> (T, Vec<String>) {
    let said = RefCell::new(Vec::new());
    let say = |m: &str| said.borrow_mut().push(m.to_string());
    let g = Global {
        manifest,
        quiet: false,
        verbose,
        say: &say,
    };
    let result = f(&g);
    (result, said.into_inner())
}

fn render(manifest: &Path, args: &render::Args) -> (Outcome, Vec<String>) {
    let (outcome, said) = with_global(manifest, true, |g| render::run(g, args));
    (outcome.unwrap(), said)
}

fn manifest_of(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("packages.toml")
}

fn everything() -> render::Args {
    render::Args::default()
}

fn check() -> render::Args {
    render::Args {
        check: true,
        ..render::Args::default()
    }
}

/// The number in the summary `rendered: 0 created, 0 updated, 0 removed, N unchanged`.
fn unchanged_of(said: &[String]) -> usize {
    let last = said.last().unwrap();
    let n = last.rsplit_once(", ").unwrap().1;
    n.trim_end_matches(" unchanged").parse().unwrap()
}

#[test]
fn a_render_the_cache_proves_current_renders_nothing() {
    let dir = project("spec-example");
    let manifest = manifest_of(&dir);
    let (first, said) = render(&manifest, &everything());
    assert_eq!(first, Outcome::done());
    assert!(said
        .iter()
        .any(|s| s.starts_with("rendered ") && s.contains(" units;")));
    assert!(dir.path().join(".pkgforge.render-cache").exists());

    // Nothing changed: the cache answers, no unit is rendered, every file is unchanged.
    let (second, said) = render(&manifest, &everything());
    assert_eq!(second, Outcome::done());
    assert!(!said.iter().any(|s| s.contains(" units;")), "{said:?}");
    let unchanged = unchanged_of(&said);
    assert!(unchanged > 0);
    assert_eq!(
        said.last().unwrap(),
        &format!("rendered: 0 created, 0 updated, 0 removed, {unchanged} unchanged")
    );
    let (checked, said) = render(&manifest, &check());
    assert_eq!(checked, Outcome::done());
    assert_eq!(
        said,
        vec![format!("all {unchanged} rendered files are up to date")]
    );
}

#[test]
fn an_edited_output_fails_the_check_with_its_diff() {
    let dir = project("spec-example");
    let manifest = manifest_of(&dir);
    render(&manifest, &everything());
    let spec = walkdir::WalkDir::new(dir.path().join("obs"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .find(|p| p.extension().is_some_and(|e| e == "spec"))
        .unwrap();
    std::fs::write(&spec, "edited\n").unwrap();
    let (outcome, _) = render(&manifest, &check());
    assert_eq!(outcome.code, 1);
    let Stdout::Diff(diff) = &outcome.stdout else {
        panic!("no diff: {outcome:?}");
    };
    assert!(diff.contains("-edited"), "{diff}");
    assert_eq!(
        outcome.closing,
        vec!["1 files are out of date; run `pkgforge render` to regenerate them".to_string()]
    );
    // Rendering repairs it, through the cache: only that unit is rendered again.
    let (_, said) = render(&manifest, &everything());
    assert!(said.contains(&format!(
        "updated {}",
        spec.strip_prefix(dir.path()).unwrap().display()
    )));
    assert_eq!(render(&manifest, &check()).0, Outcome::done());
}

#[test]
fn an_interrupted_bump_is_completed_and_everything_rendered_again() {
    let dir = project("spec-example");
    let manifest = manifest_of(&dir);
    render(&manifest, &everything());
    // A bump killed after writing its journal: the homepage of every package moves.
    let old = std::fs::read(&manifest).unwrap();
    let new = String::from_utf8(old.clone())
        .unwrap()
        .replace("https://katacontainers.io", "https://example.org");
    let journal = pkgforge::journal::Journal {
        written: "now".to_string(),
        pid: 1,
        files: vec![pkgforge::journal::JournalFile {
            path: PathBuf::from("packages.toml"),
            old_sha256: Some(pkgforge::digest::sha256_hex(&old)),
            new: new.clone(),
        }],
    };
    pkgforge::journal::write(dir.path(), &journal).unwrap();

    // A read-only command only warns.
    let (outcome, said) = with_global(&manifest, false, commands::check::run);
    assert_eq!(outcome.unwrap(), Outcome::done());
    assert!(
        said[0].contains("records an interrupted bump or prune"),
        "{said:?}"
    );

    // A render of one package rolls the journal forward and, without the cache,
    // renders every package: the others' files would be stale otherwise.
    let one = render::Args {
        packages: vec!["kata-runtime".to_string()],
        ..render::Args::default()
    };
    let (outcome, said) = render(&manifest, &one);
    assert_eq!(outcome, Outcome::done());
    assert_eq!(
        said[0],
        "warning: completing a bump or prune that was interrupted (packages.toml rolled forward from .pkgforge-journal)"
    );
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), new);
    assert!(
        said.iter()
            .any(|s| s.starts_with("updated obs/kata-linux/")),
        "{said:?}"
    );
    assert!(!dir.path().join(".pkgforge-journal").exists());
    let units = said.iter().find(|s| s.contains(" units;")).unwrap();
    let (rendered, all) = units
        .trim_start_matches("rendered ")
        .split_once(" units;")
        .unwrap()
        .0
        .split_once(" of ")
        .unwrap();
    assert_eq!(rendered, all, "{units}");
    assert_eq!(render(&manifest, &check()).0, Outcome::done());
}

#[test]
fn a_held_lock_refuses_the_render_with_exit_code_2() {
    let dir = project("spec-example");
    let manifest = manifest_of(&dir);
    let _held = pkgforge::lock::Lock::acquire(&manifest, "pkgforge render").unwrap();
    let (result, _) = with_global(&manifest, false, |g| render::run(g, &everything()));
    let e = result.unwrap_err();
    assert_eq!(e.kind(), Some(Kind::Locked));
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.rendered().starts_with("error: another pkgforge"),
        "{}",
        e.rendered()
    );
    assert!(e.rendered().contains("\n  = note: wait for it to finish"));
}

#[test]
fn an_unknown_selector_is_a_usage_error_with_a_note() {
    let dir = project("spec-example");
    let manifest = manifest_of(&dir);
    let args = render::Args {
        distros: vec!["nowhere".to_string()],
        check: true,
        ..render::Args::default()
    };
    let (result, _) = with_global(&manifest, false, |g| render::run(g, &args));
    let e = result.unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let text = e.rendered();
    assert!(
        text.starts_with("error: --distro nowhere: not a distro id, family, group, format or `all`\n  = note: targets of the manifest: "),
        "{text}"
    );
}

fn report(action: &str) -> Report {
    Report {
        upstream: "u".to_string(),
        source: "git".to_string(),
        current: "1.0".to_string(),
        newest_seen: None,
        newest_allowed: None,
        action: action.to_string(),
        error: None,
        moved_tags: Vec::new(),
        invalid_tags: Vec::new(),
        applied: false,
        signature: None,
        newest_commit: None,
    }
}

#[test]
fn watch_exit_codes() {
    use commands::watch::exit_code;
    let current = report("up to date");
    let update = report("bump to 2.0");
    let failed = Report {
        error: Some("down".to_string()),
        ..report("up to date")
    };
    let refused = Report {
        signature: Some(SignatureCheck {
            version: "2.0".to_string(),
            status: "refused".to_string(),
            key: None,
            message: None,
        }),
        ..report("bump to 2.0")
    };
    let applied = Report {
        applied: true,
        ..report("bump to 2.0")
    };
    assert_eq!(exit_code(std::slice::from_ref(&current), false), 0);
    assert_eq!(exit_code(&[current.clone(), update.clone()], false), 1);
    // With --apply, an update that was not applied is not waiting for the user.
    assert_eq!(exit_code(std::slice::from_ref(&update), true), 0);
    assert_eq!(exit_code(&[applied], false), 0);
    assert_eq!(exit_code(&[update.clone(), failed.clone()], false), 3);
    assert_eq!(exit_code(&[failed, refused], true), 4);
}

#[test]
fn resolve_exit_codes() {
    use commands::resolve::exit_code;
    assert_eq!(exit_code(0, 0), (0, None));
    assert_eq!(
        exit_code(2, 1),
        (2, Some("error: 2 requirements cannot be met".to_string()))
    );
    assert_eq!(
        exit_code(0, 1),
        (3, Some("error: 1 targets could not be checked".to_string()))
    );
}

#[test]
fn unknown_templates_and_upstreams_are_usage_errors() {
    let e = commands::templates::show("nope.tera").unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e
        .rendered()
        .starts_with("error: `nope.tera` is not a built-in template\n  = note: templates: "));
    let dir = project("spec-example");
    let manifest = manifest_of(&dir);
    let (result, _) = with_global(&manifest, false, |g| {
        commands::verify::run(g, &["nope".to_string()], false, 0)
    });
    assert!(result.unwrap_err().rendered().starts_with(
        "error: --upstream nope: the manifest has no such upstream\n  = note: upstreams: "
    ));
}

/// `import` without `--write` returns the entries on stdout and the report as closing
/// lines; with it, it writes and leaves stdout empty; a package the manifest has is
/// refused with exit code 2.
#[test]
fn import_prints_then_writes_then_refuses_a_package_it_has() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("packages.toml");
    std::fs::write(
        &manifest,
        "[project]\nname = \"greetings\"\nmaintainer = \"Greet Packagers <greet@example.org>\"\n\
         license = \"MIT\"\nobs-project = \"home:greet\"\ntargets = [\"opensuse-tumbleweed\"]\n\
         archs = [\"x86_64\"]\n",
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import/suse/greet");
    let args = |write| commands::import::Args {
        request: pkgforge::import::Request {
            dirs: vec![dir.clone()],
            upstream: None,
        },
        write,
    };
    let (printed, _) = with_global(&manifest, false, |g| commands::import::run(g, &args(false)));
    let printed = printed.unwrap();
    let Stdout::Text(text) = &printed.stdout else {
        panic!("no entries printed: {printed:?}");
    };
    assert!(
        text.starts_with("# packages.toml\n[upstreams.greet]\n"),
        "{text}"
    );
    assert!(printed
        .closing
        .iter()
        .any(|l| l.contains("section `%check` has no manifest key")));
    let (written, _) = with_global(&manifest, false, |g| commands::import::run(g, &args(true)));
    assert_eq!(written.unwrap().stdout, Stdout::Nothing);
    assert!(std::fs::read_to_string(&manifest)
        .unwrap()
        .contains("name = \"greet\"\n"));
    let (again, _) = with_global(&manifest, false, |g| commands::import::run(g, &args(true)));
    let e = again.unwrap_err();
    assert_eq!(e.exit_code(), 2, "{}", e.rendered());
}
