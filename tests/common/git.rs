//! Real git repositories made by tests with git2.

use std::path::Path;

/// A repository at `dir` with `files` committed; returns it and the commit id.
pub fn repo_with(dir: &Path, files: &[(&str, &str)], message: &str) -> (git2::Repository, String) {
    std::fs::create_dir_all(dir).unwrap();
    let repo = git2::Repository::init(dir).unwrap();
    let oid = commit(&repo, files, message);
    (repo, oid)
}

/// Write `files` and commit them on HEAD.
pub fn commit(repo: &git2::Repository, files: &[(&str, &str)], message: &str) -> String {
    let dir = repo.workdir().unwrap().to_path_buf();
    let mut index = repo.index().unwrap();
    for (name, content) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        index.add_path(Path::new(name)).unwrap();
    }
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::new(
        "Upstream",
        "upstream@example.org",
        &git2::Time::new(1_700_000_000, 0),
    )
    .unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
        .unwrap()
        .to_string()
}

/// An annotated tag on `commit`.
pub fn tag(repo: &git2::Repository, name: &str, commit: &str) {
    let obj = repo
        .find_object(git2::Oid::from_str(commit).unwrap(), None)
        .unwrap();
    let sig = git2::Signature::new(
        "Upstream",
        "upstream@example.org",
        &git2::Time::new(1_700_000_000, 0),
    )
    .unwrap();
    repo.tag(name, &obj, &sig, name, true).unwrap();
}

/// A lightweight tag on `commit`.
pub fn lightweight_tag(repo: &git2::Repository, name: &str, commit: &str) {
    let obj = repo
        .find_object(git2::Oid::from_str(commit).unwrap(), None)
        .unwrap();
    repo.tag_lightweight(name, &obj, true).unwrap();
}

/// The files of the tiny C program the end-to-end builds use: a Makefile honouring
/// DESTDIR and PREFIX.
pub const HELLO: &[(&str, &str)] = &[
    ("hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n"),
    (
        "Makefile",
        "PREFIX ?= /usr/local\nCFLAGS ?= -O2\n\nhello: hello.c\n\t$(CC) $(CFLAGS) -o $@ $<\n\ninstall: hello\n\tinstall -D -m 0755 hello $(DESTDIR)$(PREFIX)/bin/hello\n\tinstall -D -m 0644 greeting.txt $(DESTDIR)$(PREFIX)/share/hello/greeting.txt\n\tinstall -D -m 0644 hello.conf $(DESTDIR)/etc/hello/hello.conf\n\tinstall -D -m 0644 README $(DESTDIR)$(PREFIX)/share/doc/hello-doc/README\n",
    ),
    ("greeting.txt", "Hello, world.\n"),
    ("hello.conf", "greeting=hello\n"),
    ("README", "hello greets.\n"),
];
