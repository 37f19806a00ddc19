//! The packages this project builds for one target, read from the rendered files
//! themselves (the per-target Debian `control` and rpm spec), so that what `resolve`
//! checks is exactly what would be uploaded: every binary package with its Depends or
//! Requires and Provides, and every source package's build requirements.

use std::collections::BTreeMap;

use super::deps::{self, Dep};
use super::index::{self, Pkg};
use crate::distro::{Distro, Format};
use crate::render::Output;

/// A source package's build requirements.
#[derive(Debug, Clone)]
pub struct Build {
    /// The source package (the manifest's package name).
    pub package: String,
    pub depends: Vec<Dep>,
}

/// The binary packages built for `target` on `arch` (the format's arch name), with
/// `origin` as their origin, and the build requirements of each source package.
pub fn packages(
    outputs: &[Output],
    target: &Distro,
    arch: &str,
    origin: usize,
) -> Result<(Vec<Pkg>, Vec<Build>), String> {
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
    match target.format() {
        Format::Deb => {
            let prefix = format!("debian/{}/", target.id);
            for (path, _) in files.range(prefix.clone()..) {
                if !path.starts_with(&prefix) {
                    break;
                }
                let Some(dir) = path.strip_suffix("/debian/control") else {
                    continue;
                };
                let control = text(path).unwrap_or_default();
                let version = text(&format!("{dir}/debian/changelog"))
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
                    continue;
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
                    depends.extend(
                        deps::parse_deb(&v, arch).map_err(|e| format!("{path}: {k}: {e}"))?,
                    );
                }
                builds.push(Build {
                    package: name,
                    depends,
                });
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
                let mut built = index::parse_packages(&binaries, arch, origin)
                    .map_err(|e| format!("{path}: {e}"))?;
                for p in &mut built {
                    if p.arch == "any" || p.arch.contains(' ') {
                        p.arch = arch.to_string();
                    }
                }
                pkgs.extend(built);
            }
        }
        Format::Rpm => {
            let prefix = format!("rpm/{}/", target.id);
            for (path, _) in files.range(prefix.clone()..) {
                if !path.starts_with(&prefix) {
                    break;
                }
                if !path.ends_with(".spec") {
                    continue;
                }
                let spec = text(path).unwrap_or_default();
                let (built, build) =
                    spec_packages(&spec, arch, origin).map_err(|e| format!("{path}: {e}"))?;
                pkgs.extend(built);
                builds.extend(build);
            }
        }
    }
    Ok((pkgs, builds))
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

/// The packages a per-target spec (names resolved, no distro conditionals) builds.
fn spec_packages(
    spec: &str,
    arch: &str,
    origin: usize,
) -> Result<(Vec<Pkg>, Option<Build>), String> {
    let mut macros: Vec<(String, String)> = vec![
        ("%{?dist}".into(), String::new()),
        ("%{?_isa}".into(), isa(arch)),
        ("%{_isa}".into(), isa(arch)),
    ];
    let expand = |macros: &[(String, String)], s: &str| {
        let mut s = s.to_string();
        for (k, v) in macros {
            s = s.replace(k.as_str(), v);
        }
        s
    };
    let mut main = String::new();
    let mut epoch: Option<String> = None;
    let (mut version, mut release) = (String::new(), String::new());
    let mut build_arch: Option<String> = None;
    let mut exclusive: Option<Vec<String>> = None;
    let mut build_depends = Vec::new();
    let mut current: Option<usize> = None;
    let mut raw: Vec<SpecPackage> = Vec::new();
    let mut in_preamble = true;
    for line in spec.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("%package") {
            let rest = rest.trim();
            let name = match rest.strip_prefix("-n") {
                Some(n) => expand(&macros, n.trim()),
                None => format!("{main}-{}", expand(&macros, rest)),
            };
            raw.push((name, Vec::new(), Vec::new(), Vec::new(), false));
            current = Some(raw.len() - 1);
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
        let Some((tag, value)) = trimmed.split_once(':') else {
            continue;
        };
        let tag = tag.trim().to_ascii_lowercase();
        let tag = tag.split('(').next().unwrap_or(&tag).to_string();
        let value = value.trim();
        match tag.as_str() {
            "name" => {
                main = value.to_string();
                macros.push(("%{name}".into(), main.clone()));
                raw.push((main.clone(), Vec::new(), Vec::new(), Vec::new(), false));
                current = Some(raw.len() - 1);
            }
            "epoch" => {
                epoch = Some(value.to_string());
                macros.push(("%{epoch}".into(), value.to_string()));
            }
            "version" => {
                version = expand(&macros, value);
                macros.push(("%{version}".into(), version.clone()));
            }
            "release" => {
                release = expand(&macros, value);
                macros.push(("%{release}".into(), release.clone()));
            }
            "buildarch" => {
                if current == Some(0) {
                    build_arch = Some(value.to_string());
                } else if let Some(c) = current {
                    raw[c].4 = value == "noarch";
                }
            }
            "exclusivearch" => {
                exclusive = Some(value.split_whitespace().map(str::to_string).collect());
            }
            "buildrequires" => {
                for d in split_list(&expand(&macros, value)) {
                    build_depends.push(deps::parse_rpm(&d)?);
                }
            }
            "requires" | "provides" | "conflicts" => {
                let Some(c) = current else {
                    continue;
                };
                let items = split_list(&expand(&macros, value));
                match tag.as_str() {
                    "requires" => raw[c].2.extend(items),
                    "provides" => raw[c].1.extend(items),
                    _ => raw[c].3.extend(items),
                }
            }
            _ => {}
        }
    }
    if let Some(ex) = &exclusive {
        if !ex.iter().any(|a| a == arch || a == "noarch") {
            return Ok((Vec::new(), None));
        }
    }
    let evr = match &epoch {
        Some(e) => format!("{e}:{version}-{release}"),
        None => format!("{version}-{release}"),
    };
    let all_noarch = build_arch.as_deref() == Some("noarch");
    let mut out = Vec::new();
    for (name, provides, requires, conflicts, noarch) in raw {
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
            package: main,
            depends: build_depends,
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
