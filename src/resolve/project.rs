//! The packages this project builds for one target, read from the rendered files
//! themselves (the per-target Debian `control` and rpm spec), so that what `resolve`
//! checks is exactly what would be uploaded: every binary package with its Depends or
//! Requires and Provides, and every source package's build requirements. The image
//! packages of the rootfs are among them: they are rendered beside the others
//! ([`crate::render::image_package`]).

use super::ParseError;
use std::collections::BTreeMap;

use super::deps::{self, Dep};
use super::index::{self, Pkg};
use crate::distro::{Distro, Format};
use crate::render::Output;

/// A source package's build requirements.
#[derive(Debug, Clone)]
pub(crate) struct Build {
    /// The source package (the manifest's package name).
    pub package: String,
    pub depends: Vec<Dep>,
}

/// The binary packages built for `target` on `arch` (the format's arch name), with
/// `origin` as their origin, and the build requirements of each source package.
pub(crate) fn packages(
    outputs: &[Output],
    target: &Distro,
    arch: &str,
    origin: usize,
) -> Result<(Vec<Pkg>, Vec<Build>), ParseError> {
    let mut files: BTreeMap<String, &[u8]> = BTreeMap::new();
    for o in outputs {
        files.insert(o.path.to_string_lossy().replace('\\', "/"), &o.content);
    }
    let text = |p: &str| {
        files
            .get(p)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let mut pkgs = Vec::new();
    let mut builds = Vec::new();
    let top = match target.format() {
        Format::Deb => "debian",
        Format::Rpm => "rpm",
    };
    let prefix = format!("{top}/{}/", target.id);
    for (path, _) in files.range(prefix.clone()..) {
        if !path.starts_with(&prefix) {
            break;
        }
        let control = path
            .strip_suffix("/debian/control")
            .filter(|_| top == "debian");
        if let Some(dir) = control {
            let changelog = text(&format!("{dir}/debian/changelog"));
            let (built, build) = deb_packages(
                path,
                &text(path).unwrap_or_default(),
                changelog.as_deref(),
                arch,
                origin,
            )?;
            pkgs.extend(built);
            builds.extend(build);
        } else if top == "rpm" && path.ends_with(".spec") {
            let spec = text(path).unwrap_or_default();
            let (built, build) =
                spec_packages(&spec, arch, origin).map_err(|e| format!("{path}: {e}"))?;
            pkgs.extend(built);
            builds.extend(build);
        }
    }
    Ok((pkgs, builds))
}

/// The binary packages and the build requirements of one rendered `debian/control`,
/// at the version its changelog's first entry gives.
fn deb_packages(
    path: &str,
    control: &str,
    changelog: Option<&str>,
    arch: &str,
    origin: usize,
) -> Result<(Vec<Pkg>, Option<Build>), ParseError> {
    let dir = path.strip_suffix("/debian/control").unwrap_or(path);
    let version = changelog
        .and_then(|c| {
            let first = c.lines().next()?.to_string();
            let open = first.find('(')?;
            let close = first.find(')')?;
            first.get(open + 1..close).map(str::to_string)
        })
        .ok_or_else(|| format!("{dir}/debian/changelog has no version"))?;
    let control = control
        .replace("${binary:Version}", &version)
        .replace("${source:Version}", &version);
    let stanzas = index::stanzas(&control);
    let Some(source) = stanzas.first() else {
        return Ok((Vec::new(), None));
    };
    let field = |s: &[(&str, String)], k: &str| {
        s.iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.replace('\n', " "))
    };
    let name = field(source, "Source").unwrap_or_default();
    let mut depends = Vec::new();
    for k in ["Build-Depends", "Build-Depends-Arch", "Build-Depends-Indep"] {
        let v = field(source, k).unwrap_or_default();
        depends.extend(deps::parse_deb(&v, arch).map_err(|e| format!("{path}: {k}: {e}"))?);
    }
    let binaries: String = control
        .split("\n\n")
        .skip(1)
        .filter(|s| {
            let archs = s
                .lines()
                .find_map(|l| l.strip_prefix("Architecture:"))
                .unwrap_or("any");
            archs
                .split_whitespace()
                .any(|a| a == arch || a == "all" || a == "any" || a == "linux-any")
        })
        .map(|s| format!("{}\nVersion: {version}\n\n", s.trim_end()))
        .collect();
    let mut built =
        index::parse_packages(&binaries, arch, origin).map_err(|e| format!("{path}: {e}"))?;
    for p in &mut built {
        if p.arch == "any" || p.arch.contains(' ') {
            p.arch = arch.to_string();
        }
    }
    Ok((
        built,
        Some(Build {
            package: name,
            depends,
        }),
    ))
}

/// rpm's `%{_isa}` for an architecture.
fn isa(arch: &str) -> String {
    match arch {
        "x86_64" => "(x86-64)".to_string(),
        "aarch64" => "(aarch-64)".to_string(),
        "ppc64le" => "(ppc-64)".to_string(),
        "s390x" => "(s390-64)".to_string(),
        other => format!("({other})"),
    }
}

/// One `%package` of a spec as written: name, provides, requires, conflicts, noarch.
type SpecPackage = (String, Vec<String>, Vec<String>, Vec<String>, bool);

/// The preamble tags of a per-target spec that make its binary packages.
#[derive(Default)]
struct Preamble {
    macros: Vec<(String, String)>,
    main: String,
    epoch: Option<String>,
    version: String,
    release: String,
    build_arch: Option<String>,
    exclusive: Option<Vec<String>>,
    build_depends: Vec<Dep>,
    packages: Vec<SpecPackage>,
}

impl Preamble {
    fn read(spec: &str, arch: &str) -> Result<Preamble, ParseError> {
        let mut p = Preamble {
            macros: vec![
                ("%{?dist}".into(), String::new()),
                ("%{?_isa}".into(), isa(arch)),
                ("%{_isa}".into(), isa(arch)),
            ],
            ..Preamble::default()
        };
        let mut current: Option<usize> = None;
        let mut in_preamble = true;
        for line in spec.lines() {
            let trimmed = line.trim();
            if let Some(rest) = trimmed.strip_prefix("%package") {
                let rest = rest.trim();
                let name = match rest.strip_prefix("-n") {
                    Some(n) => p.expand(n.trim()),
                    None => format!("{}-{}", p.main, p.expand(rest)),
                };
                p.packages
                    .push((name, Vec::new(), Vec::new(), Vec::new(), false));
                current = Some(p.packages.len() - 1);
                in_preamble = true;
                continue;
            }
            if trimmed.starts_with('%')
                && !trimmed.starts_with("%{")
                && !trimmed.starts_with("%if")
                && !trimmed.starts_with("%else")
                && !trimmed.starts_with("%endif")
                && !trimmed.starts_with("%global")
                && !trimmed.starts_with("%define")
            {
                in_preamble = false;
                continue;
            }
            if !in_preamble {
                continue;
            }
            if let Some((tag, value)) = trimmed.split_once(':') {
                let tag = tag.trim().to_ascii_lowercase();
                let tag = tag.split('(').next().unwrap_or(&tag).to_string();
                p.tag(&tag, value.trim(), &mut current)?;
            }
        }
        Ok(p)
    }

    fn expand(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (k, v) in &self.macros {
            s = s.replace(k.as_str(), v);
        }
        s
    }

    /// One `Tag: value` line of the package `current` points at.
    fn tag(
        &mut self,
        tag: &str,
        value: &str,
        current: &mut Option<usize>,
    ) -> Result<(), ParseError> {
        match tag {
            "name" => {
                self.main = value.to_string();
                self.macros.push(("%{name}".into(), self.main.clone()));
                self.packages
                    .push((self.main.clone(), Vec::new(), Vec::new(), Vec::new(), false));
                *current = Some(self.packages.len() - 1);
            }
            "epoch" => {
                self.epoch = Some(value.to_string());
                self.macros.push(("%{epoch}".into(), value.to_string()));
            }
            "version" => {
                self.version = self.expand(value);
                self.macros
                    .push(("%{version}".into(), self.version.clone()));
            }
            "release" => {
                self.release = self.expand(value);
                self.macros
                    .push(("%{release}".into(), self.release.clone()));
            }
            "buildarch" => {
                if *current == Some(0) {
                    self.build_arch = Some(value.to_string());
                } else if let Some(c) = *current {
                    self.packages[c].4 = value == "noarch";
                }
            }
            "exclusivearch" => {
                self.exclusive = Some(value.split_whitespace().map(str::to_string).collect());
            }
            "buildrequires" => {
                for d in split_list(&self.expand(value)) {
                    self.build_depends.push(deps::parse_rpm(&d)?);
                }
            }
            "requires" | "provides" | "conflicts" => {
                let Some(c) = *current else {
                    return Ok(());
                };
                let items = split_list(&self.expand(value));
                let package = &mut self.packages[c];
                match tag {
                    "requires" => package.2.extend(items),
                    "provides" => package.1.extend(items),
                    _ => package.3.extend(items),
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The packages a per-target spec (names resolved, no distro conditionals) builds.
fn spec_packages(
    spec: &str,
    arch: &str,
    origin: usize,
) -> Result<(Vec<Pkg>, Option<Build>), ParseError> {
    let pre = Preamble::read(spec, arch)?;
    if let Some(ex) = &pre.exclusive {
        if !ex.iter().any(|a| a == arch || a == "noarch") {
            return Ok((Vec::new(), None));
        }
    }
    let evr = match &pre.epoch {
        Some(e) => format!("{e}:{}-{}", pre.version, pre.release),
        None => format!("{}-{}", pre.version, pre.release),
    };
    let all_noarch = pre.build_arch.as_deref() == Some("noarch");
    let mut out = Vec::new();
    for (name, provides, requires, conflicts, noarch) in pre.packages {
        let pkg_arch = if all_noarch || noarch { "noarch" } else { arch };
        let mut p = Pkg {
            name: name.clone(),
            version: evr.clone(),
            arch: pkg_arch.to_string(),
            origin,
            provides: vec![(name.clone(), Some(evr.clone()))],
            depends: Vec::new(),
            conflicts: Vec::new(),
        };
        if pkg_arch != "noarch" {
            p.provides
                .push((format!("{name}{}", isa(arch)), Some(evr.clone())));
        }
        for pr in provides {
            let mut w = pr.split_whitespace();
            let n = w.next().unwrap_or_default().to_string();
            let v = match (w.next(), w.next()) {
                (Some("="), Some(v)) => Some(v.to_string()),
                _ => None,
            };
            p.provides.push((n, v));
        }
        for r in requires {
            p.depends.push(deps::parse_rpm(&r)?);
        }
        for c in conflicts {
            p.conflicts
                .extend(deps::parse_rpm(&c)?.atoms().into_iter().cloned());
        }
        out.push(p);
    }
    Ok((
        out,
        Some(Build {
            package: pre.main,
            depends: pre.build_depends,
        }),
    ))
}

/// An rpm dependency list: comma separated, rich dependencies kept whole.
fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_subpackages_and_macros() {
        let spec =
            "Name:           kata-runtime\nVersion:        3.14.0\nRelease:        1%{?dist}\n\
BuildRequires:  golang >= 1.22\nBuildRequires:  (gcc or clang)\nRequires:       kata-qemu\n\
Provides:       kata = %{version}\n\n%description\nRequires: not a tag\n\n\
%package tools\nSummary: x\nRequires:       %{name}%{?_isa} = %{version}-%{release}\n\n%files\n";
        let (pkgs, build) = spec_packages(spec, "x86_64", 7).unwrap();
        let build = build.unwrap();
        assert_eq!(
            build
                .depends
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["golang >= 1.22", "(gcc or clang)"]
        );
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].version, "3.14.0-1");
        assert_eq!(pkgs[0].depends.len(), 1);
        assert!(pkgs[0]
            .provides
            .contains(&("kata".to_string(), Some("3.14.0".to_string()))));
        assert_eq!(pkgs[1].name, "kata-runtime-tools");
        assert_eq!(
            pkgs[1].depends[0].to_string(),
            "kata-runtime(x86-64) = 3.14.0-1"
        );
    }
}
