//! The upstream and manifest of the tests of conventions that follow the content.

/// The upstream of the convention tests: a service with an `[Install]` section, a static
/// one, an info page and a licence file, installed by `make install`.
pub const UPSTREAM: &[(&str, &str)] = &[
    (
        "Makefile",
        "all:\n\tprintf '#!/bin/sh\\necho hello\\n' >hello.sh\ninstall:\n\tinstall -D -m 0755 hello.sh $(DESTDIR)/usr/bin/hello\n\tinstall -D -m 0644 hello.service $(DESTDIR)/usr/lib/systemd/system/hello.service\n\tinstall -D -m 0644 hello-agent.service $(DESTDIR)/usr/lib/systemd/system/hello-agent.service\n\tinstall -D -m 0644 hello.info $(DESTDIR)/usr/share/info/hello.info\n\tinstall -D -m 0644 data.txt $(DESTDIR)/usr/share/hello/data.txt\n\tinstall -D -m 0644 hello.1 $(DESTDIR)/usr/share/man/man1/hello.1\n",
    ),
    (
        "hello.service",
        "[Unit]\nDescription=Hello\n\n[Service]\nExecStart=/usr/bin/hello\n\n[Install]\nWantedBy=multi-user.target\n",
    ),
    (
        "hello-agent.service",
        "[Unit]\nDescription=Hello agent, started by others\n\n[Service]\nExecStart=/usr/bin/hello\n",
    ),
    (
        "hello.info",
        "This is hello.info.\n\nINFO-DIR-SECTION Miscellaneous\nSTART-INFO-DIR-ENTRY\n* Hello: (hello).  Greets.\nEND-INFO-DIR-ENTRY\n\n\u{1f}\nFile: hello.info,  Node: Top,  Up: (dir)\n\nHello\n*****\n\nGreets.\n",
    ),
    ("LICENSE", "Permission is hereby granted, free of charge.\n"),
    ("data.txt", "data\n"),
    ("hello.1", ".TH HELLO 1\n.SH NAME\nhello \\- greet\n"),
];

/// A manifest for the upstream at `git`: `hello` with units, an info page and its
/// licence, a `tools` subpackage, and `hello-data`, arch-dependent with an empty build.
pub fn manifest(git: &str, commit: &str, targets: &str) -> String {
    format!(
        r#"[project]
name = "hello"
maintainer = "Hello Packagers <hello@example.org>"
obs-project = "home:hello"
targets = [{targets}]
archs = ["x86_64"]
license = "MIT"

[upstreams.hello]
git = "{git}"
commit = "{commit}"
version = "1.0"

[[packages]]
name = "hello"
upstream = "hello"
summary = "Greets the world"
description = "A greeting service."
license-files = ["LICENSE"]
static-units = ["hello-agent.service"]
install = "make install DESTDIR=$DESTDIR"
files = ["/usr/bin/hello", "/usr/lib/systemd/system/hello.service", "/usr/lib/systemd/system/hello-agent.service", "/usr/share/info/hello.info", "/usr/share/man/man1/hello.1"]

[[packages.subpackages]]
suffix = "data"
summary = "Data of hello"
files = ["/usr/share/hello/data.txt"]

[[packages]]
name = "hello-blob"
upstream = "hello"
summary = "Prebuilt data of hello"
description = "Nothing compiled."
build = ""
install = "install -D -m 0644 data.txt $DESTDIR/usr/lib/hello-blob/data.txt"
files = ["/usr/lib/hello-blob/data.txt"]
"#
    )
}

pub const CHANGELOG: &str = "[[entry]]\nversion = \"1.0\"\ndate = \"2026-11-22T04:00:00Z\"\nauthor = \"Hello Packagers <hello@example.org>\"\nchanges = [\"Initial package\"]\n";
