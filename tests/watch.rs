//! The release watcher against servers started by the test on 127.0.0.1: an HTTP server
//! with recorded GitHub JSON, git repositories over file:// and `git daemon`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests assert by panicking"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use common::http::{Response, Server};
use common::*;

const TOKEN: &str = "ghp_secretTOKENvalue0123456789";

struct Project {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    repos: Vec<(git2::Repository, Vec<String>)>,
    server: Server,
}

/// An upstream repository with tags v1.0.0, v1.1.0, v1.2.0-rc1 and v2.0.0.
fn upstream_repo(dir: &Path) -> (git2::Repository, Vec<String>) {
    let (repo, c0) = git::repo_with(dir, git::HELLO, "1.0.0");
    git::tag(&repo, "v1.0.0", &c0);
    let c1 = git::commit(&repo, &[("README", "1.1\n")], "1.1.0");
    git::tag(&repo, "v1.1.0", &c1);
    let c2 = git::commit(&repo, &[("README", "1.2 rc\n")], "1.2.0-rc1");
    git::tag(&repo, "v1.2.0-rc1", &c2);
    let c3 = git::commit(&repo, &[("README", "2\n")], "2.0.0");
    git::tag(&repo, "v2.0.0", &c3);
    (repo, vec![c0, c1, c2, c3])
}

fn releases_json(tags: &[(&str, bool, bool)]) -> String {
    let items: Vec<String> = tags
        .iter()
        .map(|(t, draft, pre)| format!(r#"{{"tag_name":{},"draft":{draft},"prerelease":{pre},"name":"x","body":"- notes"}}"#, serde_json::to_string(t).unwrap()))
        .collect();
    format!("[{}]", items.join(","))
}

impl Project {
    /// Upstreams alpha, beta, gamma, each a git repository; alpha and beta also have
    /// GitHub releases on the test server. All pinned at 1.0.0 and tracking ^1.
    fn new(git_urls: Option<Vec<String>>) -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start();
        let mut repos = Vec::new();
        let mut urls = Vec::new();
        for name in ["alpha", "beta", "gamma"] {
            let path = tmp.path().join("git").join(name);
            repos.push(upstream_repo(&path));
            urls.push(format!("file://{}", path.display()));
        }
        let urls = git_urls.unwrap_or(urls);
        let dir = tmp.path().join("project");
        std::fs::create_dir_all(&dir).unwrap();
        let mut manifest = String::from(
            "[project]\nname = \"watched\"\nmaintainer = \"Watch Team <watch@example.org>\"\nobs-project = \"home:watch\"\ntargets = [\"opensuse-tumbleweed\", \"debian-12\"]\narchs = [\"x86_64\"]\n",
        );
        let mut log = String::new();
        for (i, name) in ["alpha", "beta", "gamma"].iter().enumerate() {
            let github = if *name == "gamma" {
                String::new()
            } else {
                format!("github = \"org/{name}\"\n")
            };
            manifest.push_str(&format!(
                "\n[upstreams.{name}]\ngit = \"{}\"\n{github}tag-prefix = \"v\"\nversion = \"1.0.0\"\ncommit = \"{}\"\ntrack = \"^1\"\n",
                urls[i], repos[i].1[0]
            ));
            manifest.push_str(&format!(
                "\n[[packages]]\nname = \"{name}\"\nupstream = \"{name}\"\nsummary = \"The {name} tool\"\ndescription = \"The {name} tool.\"\nfiles = [\"/usr/bin/{name}\"]\n"
            ));
            log.push_str(&format!(
                "[[entry]]\nupstream = \"{name}\"\nversion = \"1.0.0\"\ndate = \"2026-11-01T00:00:00Z\"\nauthor = \"Watch Team <watch@example.org>\"\nchanges = [\"Initial package\"]\n\n"
            ));
        }
        std::fs::write(dir.join("packages.toml"), manifest).unwrap();
        std::fs::write(dir.join("changelog.toml"), log).unwrap();
        ok(&pkgforge(&dir, &["render", "-q"]));
        Project {
            _tmp: tmp,
            dir,
            repos,
            server,
        }
    }

    fn serve_releases(&self, name: &str) {
        // two pages: 2.0.0 (out of track), 1.2.0-rc1 (pre-release), a draft; then 1.1.0 and 1.0.0
        let first = format!("/api/repos/org/{name}/releases?per_page=100");
        let second = format!("/api/repos/org/{name}/releases?per_page=100&page=2");
        self.server.route(
            &first,
            Response {
                etag: Some(format!("\"{name}-p1\"")),
                ..Response::ok(releases_json(&[
                    ("v2.0.0", false, false),
                    ("v1.3.0", true, false),
                    ("v1.2.0-rc1", false, true),
                ]))
            }
            .header(
                "Link",
                &format!(
                    "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                    self.server.url(&second),
                    self.server.url(&second)
                ),
            ),
        );
        self.server.route(
            &second,
            Response {
                etag: Some(format!("\"{name}-p2\"")),
                ..Response::ok(releases_json(&[
                    ("v1.1.0", false, false),
                    ("v1.0.0", false, false),
                ]))
            },
        );
    }

    fn watch(&self, args: &[&str]) -> std::process::Output {
        Command::new(bin())
            .current_dir(&self.dir)
            .arg("--manifest")
            .arg(self.dir.join("packages.toml"))
            .arg("watch")
            .args(args)
            .env("NO_COLOR", "1")
            .env("PKGFORGE_GITHUB_API", self.server.url("/api"))
            .env("GITHUB_TOKEN", TOKEN)
            .env("SOURCE_DATE_EPOCH", "1795000000")
            .output()
            .unwrap()
    }
}

fn json(out: &std::process::Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn report<'a>(list: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    list.iter().find(|r| r["upstream"] == name).unwrap()
}

fn assert_no_token(out: &std::process::Output) {
    assert!(
        !stdout(out).contains(TOKEN) && !stderr(out).contains(TOKEN),
        "the token leaked"
    );
}

#[test]
fn github_releases_with_pagination_drafts_prereleases_and_conditional_requests() {
    let p = Project::new(None);
    p.serve_releases("alpha");
    p.serve_releases("beta");
    let out = p.watch(&["--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "updates are available: {}",
        stderr(&out)
    );
    assert_no_token(&out);
    let list = json(&out);
    let alpha = report(&list, "alpha");
    assert_eq!(alpha["current"], "1.0.0");
    assert_eq!(
        alpha["newest_seen"], "2.0.0",
        "the draft 1.3.0 is ignored, 2.0.0 is seen"
    );
    assert_eq!(
        alpha["newest_allowed"], "1.1.0",
        "2.0.0 is outside ^1, 1.2.0-rc1 is a pre-release"
    );
    assert_eq!(alpha["action"], "bump to 1.1.0");
    assert_eq!(alpha["error"], serde_json::Value::Null);
    // gamma has no GitHub source: its git tags are the releases
    let gamma = report(&list, "gamma");
    assert_eq!(gamma["newest_seen"], "2.0.0");
    assert_eq!(gamma["newest_allowed"], "1.1.0");
    // the token was sent, as a header
    let reqs = p
        .server
        .requests_to("/api/repos/org/alpha/releases?per_page=100");
    assert_eq!(
        reqs[0].headers.get("authorization").map(String::as_str),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert!(!reqs[0].headers.contains_key("if-none-match"));
    // second run: every request is conditional and answered 304
    let before = p.server.requests.lock().unwrap().len();
    let out = p.watch(&["--json", "-v"]);
    assert_eq!(out.status.code(), Some(1));
    let all = p.server.requests.lock().unwrap().clone();
    let second: Vec<_> = all[before..].to_vec();
    assert_eq!(second.len(), 4, "two pages for each of two upstreams");
    for r in &second {
        let tag = r
            .headers
            .get("if-none-match")
            .unwrap_or_else(|| panic!("{} was not conditional", r.path));
        assert!(tag.starts_with('"'));
    }
    assert!(
        stderr(&out).contains("4 requests, 4 answered 304 Not Modified"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&out), list, "the cached answers give the same report");
    let cache = std::fs::read_to_string(p.dir.join(".pkgforge-watch-cache.json")).unwrap();
    assert!(!cache.contains(TOKEN));
}

#[test]
fn a_corrupt_cache_is_discarded_with_a_warning() {
    let p = Project::new(None);
    p.serve_releases("alpha");
    p.serve_releases("beta");
    std::fs::write(p.dir.join(".pkgforge-watch-cache.json"), "{not json").unwrap();
    let out = p.watch(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: discarding the corrupt watch cache"),
        "{}",
        stderr(&out)
    );
    let cache: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.dir.join(".pkgforge-watch-cache.json")).unwrap(),
    )
    .unwrap();
    assert!(cache["entries"].as_object().unwrap().len() == 4);
}

#[test]
fn faults_are_retried_reported_and_never_stop_the_others() {
    let p = Project::new(None);
    // alpha: a 500, then the answer (retried)
    let first = "/api/repos/org/alpha/releases?per_page=100";
    p.server.route(first, Response::status(500));
    p.server.route(
        first,
        Response::ok(releases_json(&[("v1.1.0", false, false)])),
    );
    // beta: truncated JSON, every time
    p.server.route(
        "/api/repos/org/beta/releases?per_page=100",
        Response::ok(r#"[{"tag_name":"v1.1.0","dra"#),
    );
    let out = p.watch(&["--json", "--apply"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_no_token(&out);
    let list = json(&out);
    assert_eq!(report(&list, "alpha")["applied"], true);
    assert_eq!(
        report(&list, "gamma")["applied"],
        true,
        "gamma (git tags) is applied although beta failed"
    );
    let beta = report(&list, "beta");
    assert_eq!(beta["applied"], false);
    assert!(
        beta["error"]
            .as_str()
            .unwrap()
            .contains("answered invalid JSON"),
        "{beta}"
    );
    assert_eq!(
        p.server.requests_to(first).len(),
        2,
        "the 500 was retried once"
    );
    let manifest = std::fs::read_to_string(p.dir.join("packages.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "version = \"1.1.0\"\ncommit = \"{}\"",
            p.repos[0].1[1]
        )),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!("commit = \"{}\"\ntrack", p.repos[1].1[0])),
        "beta stays"
    );
    assert_eq!(
        pkgforge(&p.dir, &["render", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn slow_answers_time_out_and_long_rate_limits_fail_fast() {
    let p = Project::new(None);
    p.server.route(
        "/api/repos/org/alpha/releases?per_page=100",
        Response {
            delay: Duration::from_secs(3),
            ..Response::ok(releases_json(&[("v1.1.0", false, false)]))
        },
    );
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    p.server.route(
        "/api/repos/org/beta/releases?per_page=100",
        Response::status(403)
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", &reset.to_string()),
    );
    let started = std::time::Instant::now();
    let out = p.watch(&["--json", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_no_token(&out);
    let list = json(&out);
    assert!(
        report(&list, "alpha")["error"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{}",
        stdout(&out)
    );
    let beta = report(&list, "beta")["error"].as_str().unwrap().to_string();
    assert!(
        beta.contains("is rate limited for another") && beta.contains("set GITHUB_TOKEN"),
        "{beta}"
    );
    assert_eq!(
        p.server
            .requests_to("/api/repos/org/beta/releases?per_page=100")
            .len(),
        1,
        "a long wait is not waited"
    );
    assert_eq!(report(&list, "gamma")["action"], "bump to 1.1.0");
    // three attempts of one second each, with backoff: bounded, not the server's three seconds each
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_short_rate_limit_is_waited_out() {
    let p = Project::new(None);
    p.serve_releases("beta");
    let first = "/api/repos/org/alpha/releases?per_page=100";
    p.server
        .route(first, Response::status(429).header("Retry-After", "1"));
    p.server.route(
        first,
        Response::ok(releases_json(&[("v1.1.0", false, false)])),
    );
    let out = p.watch(&["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(report(&json(&out), "alpha")["newest_allowed"], "1.1.0");
}

#[test]
fn a_moved_tag_is_reported_and_never_repinned() {
    let p = Project::new(None);
    p.serve_releases("alpha");
    p.serve_releases("beta");
    // gamma's v1.0.0 now points elsewhere
    let (repo, commits) = &p.repos[2];
    git::lightweight_tag(repo, "v1.0.0", &commits[3]);
    let before = std::fs::read_to_string(p.dir.join("packages.toml")).unwrap();
    let out = p.watch(&["--apply"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "MOVED TAG: gamma 1.0.0 (tag v1.0.0) was pinned to {}, the tag now points to {}",
            commits[0], commits[3]
        )),
        "{text}"
    );
    let after = std::fs::read_to_string(p.dir.join("packages.toml")).unwrap();
    assert!(
        after.contains(&format!("commit = \"{}\"", commits[0])),
        "gamma was re-pinned"
    );
    assert!(!before.is_empty());
    // a deleted tag too
    repo.tag_delete("v1.0.0").unwrap();
    let out = p.watch(&["--upstream", "gamma"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stdout(&out).contains("the tag now is gone"),
        "{}",
        stdout(&out)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn git_tags_over_git_daemon() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("served");
    for name in ["alpha", "beta", "gamma"] {
        upstream_repo(&base.join(name));
    }
    let port = free_port();
    // git-daemon itself, not the `git` wrapper, so that killing it stops the server
    let exec_path = run(Command::new(tool("git")).arg("--exec-path"))
        .1
        .trim()
        .to_string();
    let daemon = Daemon(
        Command::new(Path::new(&exec_path).join("git-daemon"))
            .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(&base)
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let urls: Vec<String> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|n| format!("git://127.0.0.1:{port}/{n}"))
        .collect();
    // the pins must match the served repositories: read them from there
    let p = {
        let p = Project::new(Some(urls));
        let mut manifest = std::fs::read_to_string(p.dir.join("packages.toml")).unwrap();
        for (i, name) in ["alpha", "beta", "gamma"].iter().enumerate() {
            let served = git2::Repository::open(base.join(name)).unwrap();
            let pinned = served
                .revparse_single("v1.0.0^{commit}")
                .unwrap()
                .id()
                .to_string();
            manifest = manifest.replace(&p.repos[i].1[0], &pinned);
        }
        std::fs::write(p.dir.join("packages.toml"), manifest).unwrap();
        ok(&pkgforge(&p.dir, &["render", "-q"]));
        p
    };
    p.serve_releases("alpha");
    p.serve_releases("beta");
    let out = p.watch(&["--json", "--upstream", "gamma"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let list = json(&out);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["newest_allowed"], "1.1.0");
    assert_eq!(list[0]["source"], "git");
    drop(daemon);
}

#[test]
fn apply_commits_to_a_branch_and_leaves_the_checkout_alone() {
    let p = Project::new(None);
    p.serve_releases("alpha");
    p.serve_releases("beta");
    let repo = git2::Repository::init(&p.dir).unwrap();
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
    let before = snapshot(&p.dir);
    let out = p.watch(&["--apply", "--commit-branch", "pkgforge/updates"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_no_token(&out);
    assert!(
        stderr(&out).contains("committed to branch pkgforge/updates"),
        "{}",
        stderr(&out)
    );
    // the checkout: same HEAD, same files
    assert_eq!(repo.head().unwrap().peel_to_commit().unwrap().id(), main);
    let after: Vec<_> = snapshot(&p.dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git") && !p.ends_with(".pkgforge-watch-cache.json"))
        .collect();
    let before: Vec<_> = before
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".git") && !p.ends_with(".pkgforge-watch-cache.json"))
        .collect();
    assert!(after == before, "the checked-out files changed");
    // the branch: one commit per upstream, on top of main
    let tip = repo
        .revparse_single("pkgforge/updates")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let mut messages = Vec::new();
    let mut c = tip.clone();
    while c.id() != main {
        messages.push(c.message().unwrap().to_string());
        c = c.parent(0).unwrap();
    }
    messages.reverse();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].starts_with("Update alpha to 1.1.0\n\n- Update to version 1.1.0\n"),
        "{:?}",
        messages[0]
    );
    assert!(messages.iter().all(|m| !m.contains(TOKEN)));
    // the branch's tree is rendered and current
    let check = tempfile::tempdir().unwrap();
    let clone = git2::build::RepoBuilder::new()
        .branch("pkgforge/updates")
        .clone(&format!("file://{}", p.dir.display()), check.path())
        .unwrap();
    assert!(clone.head().unwrap().peel_to_commit().unwrap().id() == tip.id());
    let manifest = std::fs::read_to_string(check.path().join("packages.toml")).unwrap();
    assert!(manifest.contains(&format!(
        "version = \"1.1.0\"\ncommit = \"{}\"",
        p.repos[0].1[1]
    )));
    assert_eq!(
        pkgforge(check.path(), &["render", "--check"]).status.code(),
        Some(0)
    );
    let changes = std::fs::read_to_string(check.path().join("obs/alpha/alpha.changes")).unwrap();
    assert!(changes.contains("- Update to version 1.1.0"));
}

#[test]
fn hostile_release_tags_are_never_applied() {
    let p = Project::new(None);
    p.server.route(
        "/api/repos/org/alpha/releases?per_page=100",
        Response::ok(releases_json(&[
            (
                "v9.9.9%{lua:os.execute(\"touch /tmp/pwned-pkgforge\")}",
                false,
                false,
            ),
            ("v9.9.8%(touch /tmp/pwned-pkgforge)", false, false),
            ("v9.9.7\nRequires: evil", false, false),
            ("v1.0.0", false, false),
        ])),
    );
    p.serve_releases("beta");
    let out = p.watch(&["--json", "--apply", "--upstream", "alpha"]);
    let list = json(&out);
    let alpha = report(&list, "alpha");
    assert_eq!(alpha["applied"], false);
    assert_eq!(alpha["action"], "up to date");
    assert_eq!(
        alpha["invalid_tags"].as_array().unwrap().len(),
        3,
        "{alpha}"
    );
    let manifest = std::fs::read_to_string(p.dir.join("packages.toml")).unwrap();
    assert!(!manifest.contains("9.9"));
    assert!(!Path::new("/tmp/pwned-pkgforge").exists());
}
