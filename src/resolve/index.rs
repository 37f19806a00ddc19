//! Repository metadata: a Debian suite's `InRelease`/`Release` and `Packages` indexes,
//! an rpm-md repository's `repomd.xml` and `primary.xml`, read into [`Pkg`]s.

use super::ParseError;
use std::io::Read;

use quick_xml::events::Event;

use super::deps::{self, Atom, Dep};
use crate::distro::{Format, Repository};
use crate::remote::http::DownloadError;
use crate::remote::mirror::Mirror;

/// One binary package a repository (or this project) has.
#[derive(Debug, Clone)]
pub(crate) struct Pkg {
    pub name: String,
    /// Debian: `[epoch:]upstream[-revision]`. rpm: `[epoch:]version-release`.
    pub version: String,
    pub arch: String,
    /// Which repository it came from: an index into the universe's origins.
    pub origin: usize,
    /// Provided names with their version when one is given (`= v`); rpm file paths
    /// from `primary.xml` count as provided names.
    pub provides: Vec<(String, Option<String>)>,
    pub depends: Vec<Dep>,
    /// Conflicts and Breaks: what cannot be installed beside it.
    pub conflicts: Vec<Atom>,
}

/// Why a repository's metadata could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IndexError {
    #[error(transparent)]
    Download(#[from] DownloadError),
    #[error("{url}: {reason}")]
    Invalid { url: String, reason: String },
}

fn invalid(url: &str, reason: impl std::fmt::Display) -> IndexError {
    IndexError::Invalid {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

/// Every package of `repo` for `arch` (the format's own arch name).
pub(crate) fn fetch(
    mirror: &Mirror,
    format: Format,
    repo: &Repository,
    arch: &str,
    origin: usize,
) -> Result<Vec<Pkg>, IndexError> {
    match format {
        Format::Deb => fetch_deb(mirror, repo, arch, origin),
        Format::Rpm => fetch_rpm_md(mirror, repo, arch, origin),
    }
}

// ---------------------------------------------------------------------------------
// Debian

fn fetch_deb(
    mirror: &Mirror,
    repo: &Repository,
    arch: &str,
    origin: usize,
) -> Result<Vec<Pkg>, IndexError> {
    let suite = repo.suite.as_deref().unwrap_or(&repo.name);
    let dists = format!("{}/dists/{suite}", repo.url);
    let release_url = format!("{dists}/InRelease");
    let release = match mirror.get(&release_url)? {
        Some(b) => b,
        None => mirror
            .get(&format!("{dists}/Release"))?
            .ok_or_else(|| invalid(&dists, "the suite has neither InRelease nor Release"))?,
    };
    let release = String::from_utf8_lossy(&release);
    let sums = release_sha256(&release);
    let mut out = Vec::new();
    for component in &repo.components {
        let base = format!("{component}/binary-{arch}/Packages");
        // gzip first: zlib decompresses the index several times faster than the pure-Rust
        // xz decoder, which outweighs its larger download from the second run on.
        let found = ["gz", "xz", ""].iter().find_map(|ext| {
            let path = if ext.is_empty() {
                base.clone()
            } else {
                format!("{base}.{ext}")
            };
            sums.iter()
                .find(|(p, _)| *p == path)
                .map(|(p, sha)| (p.to_string(), sha.to_string()))
        });
        let Some((path, sha)) = found else {
            return Err(invalid(
                &release_url,
                format!("the suite's Release lists no {base} index (is `{component}` a component of {suite}, and {arch} one of its architectures?)"),
            ));
        };
        let url = format!("{dists}/{path}");
        let bytes = mirror.get_verified(&url, &sha)?;
        let text = decompress(&url, &bytes)?;
        out.extend(parse_packages(&text, arch, origin).map_err(|e| invalid(&url, e))?);
    }
    Ok(out)
}

/// The `SHA256:` section of a Release file: `(path, sha256)` pairs. An InRelease file's
/// signature armour is skipped, not checked: the indexes are checked against these sums.
pub(crate) fn release_sha256(release: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in release.lines() {
        if line.starts_with(' ') {
            if inside {
                let mut w = line.split_whitespace();
                if let (Some(sha), Some(_size), Some(path)) = (w.next(), w.next(), w.next()) {
                    out.push((path, sha));
                }
            }
        } else {
            inside = line.trim_end() == "SHA256:";
        }
    }
    out
}

/// deb822 stanzas: `(field, value)` pairs with continuation lines joined by newlines.
pub(crate) fn stanzas(text: &str) -> Vec<Vec<(&str, String)>> {
    let mut out = Vec::new();
    let mut current: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = current.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            current.push((k.trim(), v.trim().to_string()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A `Packages` index (or the binary stanzas of a control file).
pub(crate) fn parse_packages(
    text: &str,
    arch: &str,
    origin: usize,
) -> Result<Vec<Pkg>, ParseError> {
    let mut out = Vec::new();
    for stanza in stanzas(text) {
        let field = |k: &str| {
            stanza
                .iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let Some(name) = field("Package") else {
            continue;
        };
        let rel = |k: &str| -> Result<Vec<Dep>, ParseError> {
            deps::parse_deb(&field(k).unwrap_or("").replace('\n', " "), arch)
                .map_err(|e| format!("package {name}, {k}: {e}").into())
        };
        let mut depends = rel("Pre-Depends")?;
        depends.extend(rel("Depends")?);
        let mut conflicts = Vec::new();
        for k in ["Conflicts", "Breaks"] {
            for d in rel(k)? {
                conflicts.extend(d.atoms().into_iter().cloned());
            }
        }
        out.push(Pkg {
            name: name.to_string(),
            version: field("Version").unwrap_or("0").to_string(),
            arch: field("Architecture").unwrap_or(arch).to_string(),
            origin,
            provides: deps::parse_deb_provides(&field("Provides").unwrap_or("").replace('\n', " ")),
            depends,
            conflicts,
        });
    }
    Ok(out)
}

fn decompress(url: &str, bytes: &[u8]) -> Result<String, IndexError> {
    let mut out = Vec::new();
    crate::compress::decompressed(url, bytes)
        .and_then(|mut r| r.read_to_end(&mut out))
        .map_err(|e| invalid(url, format!("cannot decompress: {e}")))?;
    String::from_utf8(out).map_err(|_| invalid(url, "not UTF-8 text"))
}

// ---------------------------------------------------------------------------------
// rpm-md

fn fetch_rpm_md(
    mirror: &Mirror,
    repo: &Repository,
    arch: &str,
    origin: usize,
) -> Result<Vec<Pkg>, IndexError> {
    let base = repo.url.replace("{arch}", arch);
    let repomd_url = format!("{base}/repodata/repomd.xml");
    let repomd = mirror
        .get(&repomd_url)?
        .ok_or_else(|| invalid(&repomd_url, "the repository has no repodata/repomd.xml"))?;
    let (href, sum) =
        primary_location(&String::from_utf8_lossy(&repomd)).map_err(|e| invalid(&repomd_url, e))?;
    let url = format!("{base}/{href}");
    let bytes = match sum {
        Some(sha) => mirror.get_verified(&url, &sha)?,
        None => mirror
            .get(&url)?
            .ok_or_else(|| invalid(&url, "repomd.xml names it, the server has no such file"))?,
    };
    let text = decompress(&url, &bytes)?;
    parse_primary(&text, arch, origin).map_err(|e| invalid(&url, e))
}

/// The primary index's location and, when repomd gives one, its sha256.
pub(crate) fn primary_location(repomd: &str) -> Result<(String, Option<String>), ParseError> {
    let mut reader = quick_xml::Reader::from_str(repomd);
    let mut in_primary = false;
    let mut in_checksum = false;
    let mut checksum_type = None;
    let mut sum = None;
    let mut href = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let attr = |n: &str| attribute(&e, n);
                match e.name().as_ref() {
                    "data" => in_primary = attr("type").as_deref() == Some("primary"),
                    "checksum" if in_primary => {
                        in_checksum = true;
                        checksum_type = attr("type");
                    }
                    "location" if in_primary => href = attr("href"),
                    _ => {}
                }
            }
            Ok(Event::Text(t)) if in_checksum && checksum_type.as_deref() == Some("sha256") => {
                sum = Some(t.xml10_content().trim().to_string());
            }
            Ok(Event::End(e)) => match e.name().as_ref() {
                "checksum" => in_checksum = false,
                "data" if in_primary => break,
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("invalid XML: {e}").into()),
            _ => {}
        }
    }
    match href {
        Some(h) => Ok((h, sum)),
        None => Err("repomd.xml names no primary index".to_string().into()),
    }
}

/// The value of attribute `name` of an element, normalized as XML 1.0 reads it.
fn attribute(e: &quick_xml::events::BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.to_string())
    })
}

/// `[epoch:]ver[-rel]` from rpm-md's `epoch`, `ver` and `rel` attributes.
fn evr(epoch: Option<String>, ver: Option<String>, rel: Option<String>) -> Option<String> {
    let ver = ver?;
    let mut s = String::new();
    if let Some(e) = epoch.filter(|e| e != "0" && !e.is_empty()) {
        s.push_str(&e);
        s.push(':');
    }
    s.push_str(&ver);
    if let Some(r) = rel {
        s.push('-');
        s.push_str(&r);
    }
    Some(s)
}

/// An rpm-md `primary.xml`: the packages for `arch` and `noarch`.
pub(crate) fn parse_primary(xml: &str, arch: &str, origin: usize) -> Result<Vec<Pkg>, ParseError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut p = Primary {
        origin,
        out: Vec::new(),
        pkg: None,
        text_of: In::Nothing,
        list: In::Nothing,
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) | Event::Empty(e) => p.start(&e)?,
            Event::Text(t) => {
                if let Some(pkg) = p.pkg.as_mut() {
                    let v = t.xml10_content().trim().to_string();
                    match p.text_of {
                        In::Name => pkg.name = v,
                        In::Arch => pkg.arch = v,
                        In::File => pkg.provides.push((v, None)),
                        _ => {}
                    }
                }
                p.text_of = In::Nothing;
            }
            Event::End(e) => match e.name().as_ref() {
                "package" => {
                    if let Some(pkg) = p.pkg.take() {
                        if pkg.arch == arch || pkg.arch == "noarch" {
                            p.out.push(pkg);
                        }
                    }
                }
                "rpm:provides" | "rpm:requires" | "rpm:conflicts" => p.list = In::Nothing,
                _ => p.text_of = In::Nothing,
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(p.out)
}

/// Where in primary.xml the parser is: the element whose text comes next, or the
/// dependency list whose entries come next.
#[derive(PartialEq)]
enum In {
    Nothing,
    Name,
    Arch,
    File,
    Provides,
    Requires,
    Conflicts,
}

/// The state of a primary.xml parse.
struct Primary {
    origin: usize,
    out: Vec<Pkg>,
    pkg: Option<Pkg>,
    text_of: In,
    list: In,
}

impl Primary {
    /// An element opens.
    fn start(&mut self, e: &quick_xml::events::BytesStart) -> Result<(), ParseError> {
        let attr = |n: &str| attribute(e, n);
        match e.name().as_ref() {
            "package" => {
                self.pkg = Some(Pkg {
                    name: String::new(),
                    version: String::new(),
                    arch: String::new(),
                    origin: self.origin,
                    provides: Vec::new(),
                    depends: Vec::new(),
                    conflicts: Vec::new(),
                })
            }
            "name" => self.text_of = In::Name,
            "arch" => self.text_of = In::Arch,
            "file" => self.text_of = In::File,
            "version" => {
                if let Some(p) = self.pkg.as_mut() {
                    p.version = evr(attr("epoch"), attr("ver"), attr("rel")).unwrap_or_default();
                }
            }
            "rpm:provides" => self.list = In::Provides,
            "rpm:requires" => self.list = In::Requires,
            "rpm:conflicts" => self.list = In::Conflicts,
            "rpm:entry" => {
                let (Some(p), Some(n)) = (self.pkg.as_mut(), attr("name")) else {
                    return Ok(());
                };
                let version = evr(attr("epoch"), attr("ver"), attr("rel"));
                let op = attr("flags").and_then(|f| deps::rpm_op(&f));
                match self.list {
                    In::Provides => p.provides.push((n, version)),
                    In::Requires if n.starts_with("rpmlib(") => {}
                    In::Requires if n.starts_with('(') => p.depends.push(
                        deps::parse_rpm(&n)
                            .map_err(|e| format!("package {}: requirement {e}", p.name))?,
                    ),
                    In::Requires | In::Conflicts => {
                        let atom = Atom {
                            name: n,
                            constraint: op.zip(version),
                            deb: false,
                        };
                        if self.list == In::Requires {
                            p.depends.push(Dep::Atom(atom));
                        } else {
                            p.conflicts.push(atom);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_sums() {
        let r = "Origin: Debian\nSHA256:\n abc 12 main/binary-amd64/Packages.xz\n def 34 main/binary-amd64/Packages.gz\nMD5Sum:\n 000 1 x\n";
        assert_eq!(
            release_sha256(r),
            [
                ("main/binary-amd64/Packages.xz", "abc"),
                ("main/binary-amd64/Packages.gz", "def")
            ]
        );
    }

    #[test]
    fn primary_packages() {
        let xml = r#"<?xml version="1.0"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">
<package type="rpm"><name>a</name><arch>x86_64</arch><version epoch="1" ver="2.0" rel="3"/>
<format><rpm:provides><rpm:entry name="a" flags="EQ" epoch="1" ver="2.0" rel="3"/></rpm:provides>
<rpm:requires><rpm:entry name="(b or c)"/><rpm:entry name="d" flags="GE" epoch="0" ver="1.0"/><rpm:entry name="rpmlib(X)"/></rpm:requires>
<file>/usr/bin/a</file></format></package>
<package type="rpm"><name>a</name><arch>i686</arch><version epoch="0" ver="2.0" rel="3"/><format/></package>
</metadata>"#;
        let p = parse_primary(xml, "x86_64", 0).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].version, "1:2.0-3");
        assert_eq!(
            p[0].depends
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["(b or c)", "d >= 1.0"]
        );
        assert!(p[0].provides.iter().any(|(n, _)| n == "/usr/bin/a"));
    }
}
