//! What the fuzz targets do with an input; `tests/fuzz_regressions.rs` replays the saved
//! crash inputs through the same steps.

// Each target uses part of this file.
#![allow(dead_code)]

use std::path::Path;

/// A directory that does not exist: patches and agent files named by the input cannot be
/// read, so a run depends on the input alone.
pub const DIR: &str = "/nonexistent/pkgforge-fuzz";

/// `manifest NUL changelog`; a missing NUL means an empty changelog.
pub fn split(data: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(data).ok()?;
    let (manifest, changelog) = text.split_once('\0').unwrap_or((text, ""));
    Some((manifest.to_string(), changelog.to_string()))
}

/// Load, and format the error as the CLI would (diagnostics slice the source by spans).
pub fn load(data: &[u8]) -> Option<pkgforge::manifest::Model> {
    let (manifest, changelog) = split(data)?;
    match pkgforge::manifest::load_texts(&Path::new(DIR).join("packages.toml"), manifest, changelog)
    {
        Ok(model) => Some(model),
        Err(e) => {
            let _ = e.to_string();
            None
        }
    }
}

/// The manifest and changelog the `fields` target fills: `{N}` is the N-th piece of the
/// input (split at \x01), or the value shown in the comment when the input is shorter.
const FIELDS_MANIFEST: &str = r#"[project]
name = "{0}"
maintainer = "{1}"
homepage = "{2}"
license = "{3}"
obs-project = "{4}"
targets = ["opensuse-tumbleweed", "fedora-42", "centos-stream-9", "debian-12", "ubuntu-24.04"]
archs = ["x86_64", "aarch64"]

[upstreams.main]
git = "{5}"
tag-prefix = "{6}"
version = "{7}"
commit = "0123456789abcdef0123456789abcdef01234567"

[toolchains]
go = "{28}"

[names."{8}"]
suse = "{9}"
debian = "{10}"

[[packages]]
name = "{11}"
upstream = "main"
summary = "{12}"
description = "{13}"
group = "{14}"
section = "{15}"
toolchain = "go"
build-requires = ["{8}", "{16}"]
requires = ["{17}", "{23}"]
build = "{18}"
install = "{19}"
files = ["{20}"]
config-files = ["{21}"]

[[packages.subpackages]]
suffix = "{22}"
summary = "{12} tools"
files = ["/usr/bin/tool"]

[[rootfs]]
name = "{23}"
summary = "{24}"
upstream = "main"
bases = ["opensuse-tumbleweed", "debian-12"]
packages = ["systemd", "{25}"]
"#;

const FIELDS_CHANGELOG: &str = r#"[[entry]]
upstream = "main"
version = "{7}"
date = "2026-11-22T04:00:00Z"
author = "{1}"
changes = ["{26}", "{27}"]
"#;

/// What a field holds when the input has no piece for it: a manifest that renders.
const FIELD_DEFAULTS: &[&str] = &[
    "demo",
    "Demo Packagers <demo@example.org>",
    "https://example.org/demo",
    "Apache-2.0",
    "home:demo",
    "https://example.org/demo.git",
    "v",
    "1.2.0",
    "libfoo-devel",
    "libfoo-devel",
    "libfoo-dev",
    "demo",
    "A demo program",
    "Demonstrates pkgforge.\n\nIn two paragraphs.",
    "System/Management",
    "admin",
    "make",
    "bash",
    "make",
    "make install DESTDIR=$DESTDIR PREFIX=/usr",
    "/usr/bin/demo",
    "/etc/demo.conf",
    "tools",
    "demo-image",
    "Demo guest image",
    "chrony",
    "Update to version 1.2.0",
    "Fix a bug",
    "1.22",
];

/// A TOML basic string's content: every character survives, nothing breaks out.
fn toml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Fill the manifest and changelog templates with the pieces of `data`.
pub fn fields(data: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(data);
    let pieces: Vec<&str> = if data.is_empty() {
        Vec::new()
    } else {
        text.split('\u{1}').collect()
    };
    let fill = |template: &str| {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let index = after
                .find('}')
                .and_then(|close| after[..close].parse::<usize>().ok().map(|i| (i, close)));
            match index {
                Some((i, close)) if i < FIELD_DEFAULTS.len() => {
                    let value = pieces.get(i).copied().unwrap_or(FIELD_DEFAULTS[i]);
                    out.push_str(&toml_escape(value));
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    };
    (fill(FIELDS_MANIFEST), fill(FIELDS_CHANGELOG))
}
