//! Secrets in the environment never leave it: GITHUB_TOKEN (and token-like values in other
//! variables a CI job has) must not appear in stdout, stderr, a rendered file, the manifest,
//! the changelog, the watch cache or a commit, whatever the servers answer, and the token
//! only ever goes to the GitHub API it is meant for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::http::{Response, Server};
use common::*;

/// Variables a CI job may have, each with a value found nowhere else.
const SECRETS: &[(&str, &str)] = &[
    ("GITHUB_TOKEN", "ghp_SECRETgithubTOKENvalue0123456789"),
    ("GH_TOKEN", "gho_SECRETghTOKENvalue0123456789"),
    ("GITLAB_TOKEN", "glpat-SECRETgitlabValue0123"),
    ("OSC_PASSWORD", "SECRET-osc-password-0123"),
    ("AWS_SECRET_ACCESS_KEY", "SECRETawsKey/0123456789+abcdef"),
    ("NPM_TOKEN", "npm_SECRETnpmValue0123456789"),
    ("PKGFORGE_TEST_SECRET", "SECRET-pkgforge-value-0123"),
];

fn token() -> &'static str {
    SECRETS[0].1
}

/// Every secret value (and the token as an HTTP header would spell it) absent from `text`.
#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for (name, value) in SECRETS {
        assert!(!text.contains(value), "{what} shows ${name}:\n{text}");
    }
    assert!(
        !text.contains("Bearer "),
        "{what} shows an Authorization header:\n{text}"
    );
}

#[track_caller]
fn assert_output_clean(what: &str, out: &Output) {
    assert_clean(&format!("{what}: stdout"), &stdout(out));
    assert_clean(&format!("{what}: stderr"), &stderr(out));
}

/// No file under `dir` (rendered files, manifest, changelog, cache, state) holds a secret.
#[track_caller]
fn assert_tree_clean(what: &str, dir: &Path) {
    for f in files_where(dir, |p| !p.components().any(|c| c.as_os_str() == ".git")) {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for (name, value) in SECRETS {
            assert!(
                !text.contains(value),
                "{what}: {} holds ${name}",
                f.display()
            );
        }
    }
}

/// A project with one git upstream made by the test (tags v1.0.0 and v1.1.0, pinned at
/// v1.0.0) that also has GitHub releases on the test server.
struct Project {
    tmp: tempfile::TempDir,
    commits: Vec<String>,
    server: Server,
}

impl Project {
    fn new() -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start();
        let (repo, c0) = git::repo_with(&tmp.path().join("upstream"), git::HELLO, "1.0.0");
        git::tag(&repo, "v1.0.0", &c0);
        let c1 = git::commit(&repo, &[("README", "1.1\n")], "1.1.0");
        git::tag(&repo, "v1.1.0", &c1);
        let dir = tmp.path().join("project");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("packages.toml"),
            format!(
                r#"[project]
name = "secretive"
maintainer = "Secret Keepers <keepers@example.org>"
homepage = "https://example.org/secretive"
obs-project = "home:keepers"
targets = ["opensuse-tumbleweed", "fedora-42", "debian-12"]
archs = ["x86_64"]

[upstreams.demo]
git = "file://{}"
github = "org/demo"
tag-prefix = "v"
version = "1.0.0"
commit = "{c0}"
track = "^1"

[[packages]]
name = "demo"
upstream = "demo"
summary = "A demo program"
description = "Keeps no secrets."
build-requires = ["make"]
files = ["/usr/bin/demo"]
"#,
                tmp.path().join("upstream").display()
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("changelog.toml"),
            "[[entry]]\nupstream = \"demo\"\nversion = \"1.0.0\"\ndate = \"2026-11-01T00:00:00Z\"\nauthor = \"Secret Keepers <keepers@example.org>\"\nchanges = [\"Initial package\"]\n",
        )
        .unwrap();
        Project {
            tmp,
            commits: vec![c0, c1],
            server,
        }
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    /// pkgforge with every secret in its environment and the GitHub API on `api`.
    fn run(&self, args: &[&str], api: &str) -> Output {
        let mut cmd = Command::new(bin());
        cmd.current_dir(self.dir())
            .arg("--manifest")
            .arg(self.dir().join("packages.toml"))
            .args(args)
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", "1796000000")
            .env("PKGFORGE_GITHUB_API", api);
        for (k, v) in SECRETS {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn api(&self) -> String {
        self.server.url("/api")
    }

    fn releases(&self) -> String {
        r#"[{"tag_name":"v1.1.0","draft":false,"prerelease":false},{"tag_name":"v1.0.0","draft":false,"prerelease":false}]"#.to_string()
    }
}

/// An address nothing listens on: connections are refused at once.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/api")
}

#[test]
fn render_check_diff_and_their_files_hold_no_secret() {
    let p = Project::new();
    let api = p.api();
    for args in [
        &["render"][..],
        &["-v", "render"],
        &["render", "--check"],
        &["diff"],
        &["check"],
        &["distros"],
        &["archive", "list"],
    ] {
        let out = p.run(args, &api);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_output_clean(&format!("{args:?}"), &out);
    }
    // an invalid manifest: the error shows the file, never the environment
    let manifest = std::fs::read_to_string(p.dir().join("packages.toml")).unwrap();
    std::fs::write(
        p.dir().join("packages.toml"),
        manifest.replace("version = \"1.0.0\"", "version = \"v1.0.0\""),
    )
    .unwrap();
    let out = p.run(&["render"], &api);
    assert_eq!(out.status.code(), Some(2));
    assert_output_clean("an invalid manifest", &out);
    std::fs::write(p.dir().join("packages.toml"), manifest).unwrap();
    assert_tree_clean("render", &p.dir());
    assert!(
        p.server.requests.lock().unwrap().is_empty(),
        "render went online"
    );
}

/// `bump` asks GitHub for release notes with the token: whether the API is down, fails,
/// refuses the token and quotes it back, or answers with the token in the notes, the token
/// shows nowhere.
#[test]
fn bump_keeps_the_token_out_whatever_github_answers() {
    let notes = "/api/repos/org/demo/releases/tags/v1.1.0";
    let echo = format!(
        r#"{{"message":"Bad credentials for Bearer {0}","token":"{0}"}}"#,
        token()
    );
    let answers: Vec<(&str, Option<Response>)> = vec![
        ("a closed port", None),
        ("500 with the token in the body", Some(Response { status: 500, body: echo.clone().into(), ..Default::default() })),
        ("401 with the token in the body", Some(Response { status: 401, body: echo.clone().into(), ..Default::default() })),
        ("invalid JSON with the token", Some(Response::ok(format!("not json {}", token())))),
        (
            "release notes quoting the token",
            Some(Response::ok(
                serde_json::json!({
                    "tag_name": "v1.1.0",
                    "body": format!("- Fixed a bug\n- Leaked {} in a log\n* token={}", token(), token())
                })
                .to_string(),
            )),
        ),
    ];
    for (what, answer) in answers {
        let p = Project::new();
        ok(&p.run(&["render", "-q"], &p.api()));
        let api = match &answer {
            Some(r) => {
                p.server.route(notes, r.clone());
                p.api()
            }
            None => closed_port(),
        };
        let dry = p.run(
            &[
                "bump",
                "--version",
                "1.1.0",
                "--commit",
                &p.commits[1],
                "--dry-run",
            ],
            &api,
        );
        assert_output_clean(&format!("{what}: bump --dry-run"), &dry);
        let out = p.run(
            &["bump", "--version", "1.1.0", "--commit", &p.commits[1]],
            &api,
        );
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        assert_output_clean(&format!("{what}: bump"), &out);
        assert_tree_clean(&format!("{what}: bump"), &p.dir());
        let log = std::fs::read_to_string(p.dir().join("changelog.toml")).unwrap();
        assert!(log.contains("Update to version 1.1.0"), "{what}: {log}");
        if answer.is_some() {
            // the token was sent (to the API it is for), so the test proves something
            let sent = p.server.requests_to(notes);
            assert!(!sent.is_empty(), "{what}: no request reached the API");
            assert_eq!(
                sent[0].headers.get("authorization").map(String::as_str),
                Some(&*format!("Bearer {}", token())),
                "{what}: the token was not sent"
            );
        }
        if what == "release notes quoting the token" {
            assert!(
                log.contains("Fixed a bug"),
                "{what}: the clean notes were lost:\n{log}"
            );
        }
    }
}

/// The token goes to the API's own server only: not with a next page on another server,
/// not through a redirect to another server.
#[test]
fn watch_never_sends_the_token_to_another_server() {
    let p = Project::new();
    ok(&p.run(&["render", "-q"], &p.api()));
    let elsewhere = Server::start();
    let first = "/api/repos/org/demo/releases?per_page=100";
    p.server.route(
        first,
        Response::ok(p.releases()).header(
            "Link",
            &format!("<{}>; rel=\"next\"", elsewhere.url("/page2")),
        ),
    );
    elsewhere.route("/page2", Response::ok("[]"));
    let out = p.run(&["watch", "--json"], &p.api());
    assert_output_clean("watch with a foreign next page", &out);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains("sent the next page to another server"),
        "{said}"
    );
    assert_eq!(out.status.code(), Some(3), "{said}");
    for r in elsewhere.requests.lock().unwrap().iter() {
        assert!(
            !r.headers.contains_key("authorization"),
            "the token went to {}",
            r.path
        );
    }

    // a redirect to another server: followed without the token
    let p = Project::new();
    ok(&p.run(&["render", "-q"], &p.api()));
    let elsewhere = Server::start();
    p.server.route(
        "/api/repos/org/demo/releases?per_page=100",
        Response::status(302).header("Location", &elsewhere.url("/moved")),
    );
    elsewhere.route("/moved", Response::ok(p.releases()));
    let out = p.run(&["watch", "--json"], &p.api());
    assert_output_clean("watch redirected", &out);
    let moved = elsewhere.requests_to("/moved");
    assert!(
        !moved.is_empty(),
        "the redirect was not followed: {}",
        stderr(&out)
    );
    for r in moved {
        assert!(
            !r.headers.contains_key("authorization"),
            "the token followed the redirect"
        );
    }
    assert_tree_clean("watch redirected", &p.dir());
}

/// watch against an API that fails, refuses the token and quotes it back, or works:
/// the report, the cache and the commits of `--apply --commit-branch` hold no secret.
#[test]
fn watch_reports_caches_and_commits_hold_no_secret() {
    let releases = "/api/repos/org/demo/releases?per_page=100";
    let echo = format!(r#"{{"message":"Bad credentials: {}"}}"#, token());
    for (what, answer) in [
        (
            "500 quoting the token",
            Response {
                status: 500,
                body: echo.clone().into(),
                ..Default::default()
            },
        ),
        (
            "401 quoting the token",
            Response {
                status: 401,
                body: echo.clone().into(),
                ..Default::default()
            },
        ),
        (
            "403 rate limited",
            Response {
                status: 403,
                body: echo.clone().into(),
                ..Default::default()
            }
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", "99999999999"),
        ),
    ] {
        let p = Project::new();
        ok(&p.run(&["render", "-q"], &p.api()));
        p.server.route(releases, answer);
        let out = p.run(&["watch", "--json"], &p.api());
        assert_output_clean(what, &out);
        let out = p.run(&["watch"], &p.api());
        assert_output_clean(what, &out);
        assert_tree_clean(what, &p.dir());
    }

    // a working API and --apply --commit-branch in a git checkout
    let p = Project::new();
    ok(&p.run(&["render", "-q"], &p.api()));
    // the list quotes the token back too: it must not reach the cache file
    p.server.route(
        releases,
        Response {
            etag: Some("\"r1\"".into()),
            ..Response::ok(p.releases().replacen(
                "\"draft\"",
                &format!("\"body\":\"seen {}\",\"draft\"", token()),
                1,
            ))
        },
    );
    p.server.route(
        "/api/repos/org/demo/releases/tags/v1.1.0",
        Response::ok(
            serde_json::json!({"tag_name": "v1.1.0", "body": format!("- Faster\n- token {}", token())})
                .to_string(),
        ),
    );
    let repo = git2::Repository::init(p.dir()).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Packager", "packager@example.org").unwrap();
    let main = repo
        .commit(Some("HEAD"), &sig, &sig, "packaging", &tree, &[])
        .unwrap();
    let out = p.run(
        &["watch", "--apply", "--commit-branch", "pkgforge/updates"],
        &p.api(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_output_clean("watch --apply --commit-branch", &out);
    assert_tree_clean("watch --apply --commit-branch", &p.dir());
    let cache = std::fs::read_to_string(p.dir().join(".pkgforge-watch-cache.json")).unwrap();
    assert!(cache.contains("r1"), "the answer was not cached: {cache}");
    // every commit on the branch: message, author, committer and every file it holds
    let mut c = repo
        .revparse_single("pkgforge/updates")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let mut commits = 0;
    while c.id() != main {
        commits += 1;
        assert_clean("a commit message", c.message().unwrap_or(""));
        assert_clean("a commit author", &c.author().to_string());
        assert_clean("a commit committer", &c.committer().to_string());
        c.tree()
            .unwrap()
            .walk(git2::TreeWalkMode::PreOrder, |root, entry| {
                if let Ok(blob) = entry.to_object(&repo).and_then(|o| o.peel_to_blob()) {
                    let text = String::from_utf8_lossy(blob.content()).to_string();
                    assert_clean(
                        &format!("{root}{} in a commit", entry.name().unwrap_or("")),
                        &text,
                    );
                }
                git2::TreeWalkResult::Ok
            })
            .unwrap();
        c = c.parent(0).unwrap();
    }
    assert!(commits >= 1, "nothing was committed");
    let changelog = repo
        .revparse_single("pkgforge/updates:changelog.toml")
        .unwrap()
        .peel_to_blob()
        .unwrap();
    assert!(
        String::from_utf8_lossy(changelog.content()).contains("Faster"),
        "the release notes were lost"
    );
}

/// A pull request can change the manifest, so a `github-api` that only the manifest
/// names gets every request of `watch` and `bump`, but never the token.
#[test]
fn a_github_api_named_only_by_the_manifest_never_gets_the_token() {
    let p = Project::new();
    let path = p.dir().join("packages.toml");
    let manifest = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        manifest.replace(
            "archs = [\"x86_64\"]\n",
            &format!("archs = [\"x86_64\"]\ngithub-api = \"{}\"\n", p.api()),
        ),
    )
    .unwrap();
    ok(&p.run(&["render", "-q"], &p.api()));
    let releases = "/api/repos/org/demo/releases?per_page=100";
    let notes = "/api/repos/org/demo/releases/tags/v1.1.0";
    p.server.route(releases, Response::ok(p.releases()));
    p.server.route(
        notes,
        Response::ok(r#"{"tag_name":"v1.1.0","body":"- Fixed a bug"}"#),
    );
    let without_env_api = |args: &[&str]| {
        let mut cmd = Command::new(bin());
        cmd.current_dir(p.dir())
            .arg("--manifest")
            .arg(&path)
            .args(args)
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", "1796000000")
            .env_remove("PKGFORGE_GITHUB_API");
        for (k, v) in SECRETS {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = without_env_api(&["watch", "--json"]);
    assert_output_clean("watch", &out);
    let out = without_env_api(&["bump", "--version", "1.1.0", "--commit", &p.commits[1]]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_output_clean("bump", &out);
    let log = std::fs::read_to_string(p.dir().join("changelog.toml")).unwrap();
    assert!(
        log.contains("Fixed a bug"),
        "the notes were not asked for:\n{log}"
    );
    for path in [releases, notes] {
        let sent = p.server.requests_to(path);
        assert!(!sent.is_empty(), "no request reached {path}");
        for r in sent {
            assert!(
                !r.headers.contains_key("authorization"),
                "the token went to the manifest's github-api ({path})"
            );
        }
    }
}
