//! One OBS package directory read into one manifest package.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::distro::{Distro, Format};
use crate::error::{Diagnostic, Error, Result};
use crate::manifest::GO_BUILD_ID;
use crate::names::{self, NameTable};

use super::changes::{self, Entry};
use super::service::{self, Sources};
use super::spec::{self, Binary, Evaluated};
use super::Context;

/// Lookup keys with the names they give, for one logical name.
pub(crate) type KeyedNames = Vec<(String, Vec<String>)>;

/// The upstream a package builds from.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Upstream {
    pub name: String,
    /// Whether the manifest has it already.
    pub exists: bool,
    pub git: Option<String>,
    pub tarball: Option<String>,
    pub sha256: Option<String>,
    pub tag_prefix: Option<String>,
    pub version: String,
    pub keyring: Option<String>,
    pub signature: Option<String>,
    pub commit: Option<String>,
}

/// A subpackage, by the manifest's keys.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Sub {
    pub suffix: String,
    pub summary: String,
    pub description: String,
    pub group: Option<String>,
    pub noarch: bool,
    pub requires: Vec<String>,
    pub files: Vec<String>,
    pub config_files: Vec<String>,
}

/// What one target does differently.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Override {
    pub build_requires: Option<Vec<String>>,
    pub requires: Option<Vec<String>>,
    pub build: Option<String>,
    pub install: Option<String>,
}

/// One imported package.
#[derive(Debug, Default, Clone)]
pub(crate) struct Imported {
    pub name: String,
    pub upstream: Upstream,
    pub summary: String,
    pub description: String,
    pub license: Option<String>,
    pub url: Option<String>,
    pub group: Option<String>,
    pub section: Option<String>,
    pub archs: Option<Vec<String>>,
    pub toolchain: Option<(String, String)>,
    pub vendor: Option<String>,
    pub cargo_toml: Option<String>,
    pub static_units: Vec<String>,
    pub debug_package: Option<bool>,
    pub build_requires: Vec<String>,
    pub requires: Vec<String>,
    pub build: Option<String>,
    pub install: Option<String>,
    pub files: Vec<String>,
    pub config_files: Vec<String>,
    pub license_files: Vec<String>,
    pub patches: Vec<String>,
    /// Override key (a distro id, family or group) -> what differs there.
    pub overrides: Vec<(String, Override)>,
    /// Logical name -> lookup key -> names.
    pub names: Vec<(String, String, Vec<String>)>,
    pub subpackages: Vec<Sub>,
    pub changelog: Vec<Entry>,
    pub report: Vec<String>,
    /// (destination relative to the manifest, source) of each patch.
    pub patch_copies: Vec<(PathBuf, PathBuf)>,
}

/// The spec of a package directory: the only `*.spec`, or the one named after it.
fn find_spec(dir: &Path) -> Result<PathBuf> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        Error::from(
            Diagnostic::new(dir, format!("cannot read the package directory: {e}"))
                .help("give the directory of an osc checkout (the one with the spec file)"),
        )
    })?;
    let mut specs: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "spec"))
        .collect();
    specs.sort();
    let named = dir
        .file_name()
        .map(|n| dir.join(format!("{}.spec", n.to_string_lossy())));
    match specs.len() {
        1 => Ok(specs.remove(0)),
        0 => Err(
            Diagnostic::new(dir, "no spec file in this package directory")
                .help("pkgforge import reads OBS package directories: give the one with the *.spec")
                .into(),
        ),
        _ => match named.filter(|n| specs.contains(n)) {
            Some(n) => Ok(n),
            None => Err(Diagnostic::new(
                dir,
                "several spec files and none named after the directory",
            )
            .note(format!(
                "spec files: {}",
                specs
                    .iter()
                    .map(|s| s.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into()),
        },
    }
}

fn read(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Other(
            anyhow::Error::from(e).context(format!("cannot read {}", path.display())),
        )),
    }
}

/// Import the package directory `dir`.
pub(crate) fn import(cx: &Context, dir: &Path, upstream: Option<&str>) -> Result<Imported> {
    let spec_path = find_spec(dir)?;
    let text = read(&spec_path)?.unwrap_or_default();
    let targets = cx.rpm_targets();
    if targets.is_empty() {
        return Err(Error::usage(
            "the manifest has no rpm target to evaluate the spec for",
        ));
    }
    let mut evaluated: Vec<(&Distro, Evaluated)> = Vec::new();
    for t in &targets {
        let out = spec::evaluate(&spec_path, &text, t)?;
        evaluated.push((t, spec::parse(&out)));
    }
    let service_path = dir.join("_service");
    let sources = match read(&service_path)? {
        Some(s) => service::sources(&service::parse(&service_path, &s)?),
        None => Sources::default(),
    };
    let mut p = Reader {
        cx,
        dir,
        spec_path: &spec_path,
        text: &text,
        evaluated: &evaluated,
        p: Imported::default(),
    };
    p.common();
    p.sources(&sources, upstream)?;
    p.dependencies();
    p.scripts();
    p.files();
    p.subpackages();
    p.compact(&targets);
    p.unknown_macros();
    p.others();
    p.p.static_units = static_units(&text);
    if text
        .lines()
        .any(|l| l.trim() == "%global debug_package %{nil}")
    {
        p.p.debug_package = Some(false);
    }
    p.debian()?;
    p.copyright()?;
    p.rules()?;
    p.changelog()?;
    Ok(p.p)
}

struct Reader<'a> {
    cx: &'a Context,
    dir: &'a Path,
    spec_path: &'a Path,
    text: &'a str,
    evaluated: &'a [(&'a Distro, Evaluated)],
    p: Imported,
}

impl Reader<'_> {
    fn first(&self) -> &Evaluated {
        &self.evaluated[0].1
    }

    /// `spec:line: what`, at the first line of the spec that `pred` holds for.
    fn note(&mut self, what: String, pred: impl Fn(&str) -> bool) {
        let line = spec::find_line(self.text, pred).unwrap_or(1);
        self.p
            .report
            .push(format!("{}:{line}: {what}", self.spec_path.display()));
    }

    /// Name, version, texts: the first target's, noting where another target differs.
    fn common(&mut self) {
        let e = self.first().clone();
        let main = &e.binaries[0];
        self.p.name = main.name.clone();
        self.p.summary = main.summary.clone();
        self.p.description = main.description.clone();
        self.p.group = main.group.clone();
        self.p.license = e
            .license
            .clone()
            .filter(|l| Some(l) != self.cx.license.as_ref());
        self.p.url = e
            .url
            .clone()
            .filter(|u| Some(u) != self.cx.homepage.as_ref());
        let archs: Option<Vec<String>> = match (&main.build_arch, &e.exclusive_arch) {
            (Some(a), _) if a == "noarch" => Some(vec!["noarch".to_string()]),
            (_, Some(x)) => Some(x.split_whitespace().map(str::to_string).collect()),
            _ => None,
        };
        self.p.archs = archs.filter(|a| *a != self.cx.archs);
        for (t, other) in &self.evaluated[1..] {
            let o = &other.binaries[0];
            for (what, a, b) in [
                ("Name", &main.name, &o.name),
                ("Summary", &main.summary, &o.summary),
                ("%description", &main.description, &o.description),
                ("Version", &e.version, &other.version),
            ] {
                if a != b {
                    let tag = what.trim_start_matches('%').to_string();
                    self.note(
                        format!(
                            "{what} differs on {}; took {}'s",
                            t.id, self.evaluated[0].0.id
                        ),
                        move |l| l.starts_with(&tag) || l.starts_with(&format!("%{tag}")),
                    );
                }
            }
        }
    }

    /// The upstream from `_service` and the spec's sources; vendoring; patches.
    fn sources(&mut self, s: &Sources, upstream: Option<&str>) -> Result<()> {
        let e = self.first().clone();
        let name = upstream.map_or_else(|| self.p.name.clone(), str::to_string);
        let mut u = Upstream {
            exists: self.cx.upstreams.contains(&name),
            name,
            version: e.version.clone(),
            ..Upstream::default()
        };
        let source0 = e
            .sources
            .iter()
            .find(|(n, _)| *n == 0)
            .map(|(_, v)| v.clone());
        if let Some(git) = &s.git {
            u.git = Some(git.clone());
            // an osc checkout of an obs_scm package has the commit the archive was made of
            u.commit = obsinfo_commit(self.dir)?;
            match &s.revision {
                Some(r) if service::is_commit(r) => u.commit = Some(r.clone()),
                Some(r) => match r.strip_suffix(&e.version) {
                    Some(prefix) => u.tag_prefix = Some(prefix.to_string()),
                    None => self.note(
                        format!(
                            "_service revision `{r}` is neither a commit nor a tag of version {}",
                            e.version
                        ),
                        |l| l.starts_with("Version"),
                    ),
                },
                None => {}
            }
        } else if let Some(url) = source0.as_ref().filter(|s| s.contains("://")) {
            // the upstream's spelling of a prerelease: rpm's `~` is `-` or nothing there
            let v = [
                e.version.clone(),
                e.version.replace('~', "-"),
                e.version.replace('~', ""),
            ]
            .into_iter()
            .find(|v| url.contains(v.as_str()))
            .unwrap_or_else(|| e.version.clone());
            u.tarball = Some(url.replace(&v, "{version}"));
            u.version = v;
            u.sha256 = s.sha256.clone();
        } else if !u.exists {
            self.note(
                "no upstream: the _service has no obs_scm, tar_scm or download_files and Source0 is no URL".to_string(),
                |l| l.starts_with("Source"),
            );
        }
        if let (Some(git), Some(v)) = (&u.git, &s.version) {
            if !v.contains('%') && !v.contains('@') && git.contains("://") {
                u.version = v.clone();
            }
        }
        self.p.vendor = s.vendor.map(str::to_string);
        self.p.cargo_toml = s.cargo_toml.clone();
        for (n, v) in &e.sources {
            let vendor_tarball = v.starts_with("vendor.tar");
            if *n == 0 || (vendor_tarball && self.p.vendor.is_some()) {
                continue;
            }
            if let Some(suffix) = source0.as_ref().and_then(|s0| v.strip_prefix(s0.as_str())) {
                if u.tarball.is_some() && [".asc", ".sig", ".sign"].contains(&suffix) {
                    u.signature = Some(format!("{{url}}{suffix}"));
                    continue;
                }
            }
            if v.ends_with(".keyring") && !v.contains('/') {
                let dest = PathBuf::from("keys").join(format!("{}.keyring", u.name));
                self.p.patch_copies.push((dest.clone(), self.dir.join(v)));
                u.keyring = Some(dest.to_string_lossy().to_string());
                continue;
            }
            let tag = format!("Source{n}:");
            self.note(format!("Source{n} `{v}` has no manifest key"), move |l| {
                l.starts_with(&tag)
            });
        }
        self.p.upstream = u;
        self.patches(&e)
    }

    fn patches(&mut self, e: &Evaluated) -> Result<()> {
        for (n, file) in &e.patches {
            let name = Path::new(file)
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            let src = self.dir.join(&name);
            if !src.is_file() {
                let tag = format!("Patch{n}:");
                let line = spec::find_line(self.text, |l| l.starts_with(&tag)).unwrap_or(1);
                return Err(Diagnostic::new(
                    self.spec_path,
                    format!("Patch{n} `{name}` is not in {}", self.dir.display()),
                )
                .at(self.text, spec::line_span(self.text, line))
                .help("check the patch out beside the spec (`osc up`), then import again")
                .into());
            }
            let dest = PathBuf::from("patches").join(&self.p.name).join(&name);
            self.p.patch_copies.push((dest.clone(), src));
            self.p.patches.push(dest.to_string_lossy().to_string());
        }
        Ok(())
    }

    /// The toolchain a target's build requirements name, removed from them.
    fn toolchain(&self, t: &Distro, brs: &mut Vec<String>) -> Option<(String, String)> {
        for (tc, patterns) in &t.toolchains {
            let mut version = None;
            let mut hits = Vec::new();
            for pat in patterns {
                let re = format!("^{}$", regex::escape(pat).replace(r"\{version\}", r"(\S+)"));
                let Ok(re) = regex::Regex::new(&re) else {
                    continue;
                };
                match brs.iter().position(|b| re.is_match(b)) {
                    Some(i) => {
                        if let Some(c) = re.captures(&brs[i]).and_then(|c| c.get(1)) {
                            version = Some(c.as_str().to_string());
                        }
                        hits.push(i);
                    }
                    None => break,
                }
            }
            if hits.len() == patterns.len() && !patterns.is_empty() {
                hits.sort_unstable();
                for i in hits.into_iter().rev() {
                    brs.remove(i);
                }
                return Some((tc.clone(), version.unwrap_or_default()));
            }
        }
        None
    }

    /// Build and runtime requirements per target, folded into the package, `[names]`
    /// and overrides.
    fn dependencies(&mut self) {
        let units = has_units(&self.first().binaries[0].files);
        let mut brs: Vec<(&Distro, Vec<String>)> = Vec::new();
        let mut rqs: Vec<(&Distro, Vec<String>)> = Vec::new();
        for (t, e) in self.evaluated {
            let mut b = e.build_requires.clone();
            if let Some(tc) = self.toolchain(t, &mut b) {
                self.p.toolchain = Some(tc);
            }
            let generated = |d: &String| {
                (d == "cargo-packaging" && self.p.vendor.as_deref() == Some("cargo"))
                    || (d == "systemd-rpm-macros" && units)
            };
            b.retain(|d| !generated(d));
            brs.push((*t, b));
            rqs.push((*t, self.exact(&e.binaries[0].requires)));
        }
        let mut names = Vec::new();
        let (base, over) = fold(&brs, &mut names);
        self.p.build_requires = base;
        for (key, list) in over {
            self.override_for(&key).build_requires = Some(list);
        }
        let (base, over) = fold(&rqs, &mut names);
        self.p.requires = base;
        for (key, list) in over {
            self.override_for(&key).requires = Some(list);
        }
        self.p.names = names;
    }

    /// Overrides and `[names]` keys by group or family where all of its targets share
    /// the value, so the manifest reads as the spec's `%if` blocks did.
    fn compact(&mut self, all: &[&Distro]) {
        self.p.overrides = compact_keys(all, std::mem::take(&mut self.p.overrides));
        let mut by_name: Vec<(String, KeyedNames)> = Vec::new();
        for (logical, key, names) in std::mem::take(&mut self.p.names) {
            match by_name.iter_mut().find(|(l, _)| *l == logical) {
                Some((_, keys)) => keys.push((key, names)),
                None => by_name.push((logical, vec![(key, names)])),
            }
        }
        for (logical, keys) in by_name {
            for (key, names) in compact_keys(all, keys) {
                self.p.names.push((logical.clone(), key, names));
            }
        }
    }

    /// Requirements with the exact-version pins of the package's own upstream removed.
    fn exact(&self, list: &[String]) -> Vec<String> {
        let version = &self.first().version;
        list.iter()
            .map(|d| match d.split_once(" = ") {
                Some((n, v)) if v.split('-').next() == Some(version.as_str()) => n.to_string(),
                _ => d.clone(),
            })
            .collect()
    }

    fn override_for(&mut self, key: &str) -> &mut Override {
        let i = match self.p.overrides.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.p
                    .overrides
                    .push((key.to_string(), Override::default()));
                self.p.overrides.len() - 1
            }
        };
        &mut self.p.overrides[i].1
    }

    /// `%build` and `%install` per target.
    fn scripts(&mut self) {
        let mut builds = Vec::new();
        let mut installs = Vec::new();
        for (t, e) in self.evaluated {
            let build: Vec<&str> = e.build.lines().filter(|l| *l != GO_BUILD_ID).collect();
            builds.push((*t, build.join("\n")));
            installs.push((*t, e.install.clone()));
        }
        let (build, over) = fold_text(&builds);
        self.p.build = Some(build).filter(|b| b != "make");
        for (key, text) in over {
            self.override_for(&key).build = Some(text);
        }
        let (install, over) = fold_text(&installs);
        self.p.install = Some(install).filter(|i| i != "make install DESTDIR=$DESTDIR PREFIX=/usr");
        for (key, text) in over {
            self.override_for(&key).install = Some(text);
        }
    }

    fn files(&mut self) {
        let main = self.first().binaries[0].clone();
        for (t, e) in &self.evaluated[1..] {
            if unzipped(&e.binaries[0].files) != unzipped(&main.files) {
                let what = format!(
                    "the files differ on {}; took {}'s",
                    t.id, self.evaluated[0].0.id
                );
                self.p.report.push(format!(
                    "{}:{}: {what}",
                    self.spec_path.display(),
                    spec::find_line(self.text, |l| l == "%files").unwrap_or(1)
                ));
            }
        }
        let (files, config, license, notes) = split_files(&main.files);
        self.p.files = files;
        self.p.config_files = config;
        self.p.license_files = license;
        for n in notes {
            self.note(format!("%files: {n}"), |l| l == "%files");
        }
    }

    fn subpackages(&mut self) {
        let main = self.p.name.clone();
        let binaries: Vec<Binary> = self.first().binaries[1..].to_vec();
        for b in binaries {
            let Some(suffix) = b.name.strip_prefix(&format!("{main}-")) else {
                let n = b.name.clone();
                self.note(
                    format!("subpackage `{n}` is not named `{main}-<suffix>`; not imported"),
                    move |l| l.starts_with("%package") && l.contains(&n),
                );
                continue;
            };
            let (files, config, license, notes) = split_files(&b.files);
            for n in notes.into_iter().chain(
                license
                    .iter()
                    .map(|l| format!("%license {l} in a subpackage")),
            ) {
                let s = suffix.to_string();
                self.note(format!("%files {suffix}: {n}"), move |l| {
                    l.starts_with("%files") && l.contains(&s)
                });
            }
            let requires = self.sub_requires(&b, suffix);
            self.p.subpackages.push(Sub {
                suffix: suffix.to_string(),
                summary: b.summary.clone(),
                description: b.description.clone(),
                group: b.group.clone(),
                noarch: b.build_arch.as_deref() == Some("noarch"),
                requires,
                files,
                config_files: config,
            });
        }
    }

    /// Macros rpm left unexpanded (no target defines them) in what was imported.
    fn unknown_macros(&mut self) {
        let Ok(re) = regex::Regex::new(r"%\{[?!]*([A-Za-z_][A-Za-z0-9_]*)\}") else {
            return;
        };
        let p = &self.p;
        let mut texts: Vec<&str> = vec![
            p.build.as_deref().unwrap_or_default(),
            p.install.as_deref().unwrap_or_default(),
        ];
        for list in [&p.files, &p.config_files, &p.requires, &p.build_requires] {
            texts.extend(list.iter().map(String::as_str));
        }
        for sub in &p.subpackages {
            texts.extend(sub.files.iter().chain(&sub.requires).map(String::as_str));
        }
        let mut found: Vec<String> = Vec::new();
        for t in texts {
            for c in re.captures_iter(t) {
                if !found.contains(&c[0].to_string()) {
                    found.push(c[0].to_string());
                }
            }
        }
        for m in found {
            let name = m
                .trim_start_matches("%{")
                .trim_start_matches(['?', '!'])
                .trim_end_matches('}')
                .to_string();
            self.note(
                format!("macro `{m}` is defined on no target; imported as written"),
                move |l| l.contains(&name) && !l.starts_with('#'),
            );
        }
    }

    /// A subpackage's requirements on every target: one list and `[names]` entries; a
    /// subpackage has no per-distro overrides, so other differences are reported.
    fn sub_requires(&mut self, b: &Binary, suffix: &str) -> Vec<String> {
        let main = self.p.name.clone();
        let mut per: Vec<(&Distro, Vec<String>)> = Vec::new();
        let mut notes = Vec::new();
        for (t, e) in self.evaluated {
            let Some(x) = e.binaries.iter().find(|x| x.name == b.name) else {
                notes.push(format!(
                    "subpackage `{}` is not built on {}; imported for every target",
                    b.name, t.id
                ));
                continue;
            };
            let own: Vec<String> = x
                .requires
                .iter()
                .filter(|r| !on_main(r, &main))
                .cloned()
                .collect();
            let list = self.exact(&own);
            per.push((*t, list));
            if unzipped(&x.files) != unzipped(&b.files) {
                notes.push(format!(
                    "the files of `{}` differ on {}; took {}'s",
                    b.name, t.id, self.evaluated[0].0.id
                ));
            }
        }
        let mut names = Vec::new();
        let (base, over) = fold(&per, &mut names);
        self.p.names.extend(names);
        for (id, _) in over {
            notes.push(format!(
                "the requirements of `{}` differ on {id}; a subpackage has no per-distro overrides",
                b.name
            ));
        }
        for n in notes {
            let s = suffix.to_string();
            self.note(n, move |l| l.starts_with("%package") && l.contains(&s));
        }
        base
    }

    /// Sections and tags with no manifest key.
    fn others(&mut self) {
        let e = self.first().clone();
        let units = has_units(&e.binaries[0].files);
        for (line, scriptlet, _) in &e.other_sections {
            if *scriptlet && units {
                // pkgforge renders the systemd scriptlets from the unit files
                continue;
            }
            let l = line.clone();
            self.note(
                format!("section `{line}` has no manifest key; not imported"),
                move |x| x == l,
            );
        }
        for tag in &e.other_tags {
            if units && tag.to_ascii_lowercase().starts_with("requires(") {
                continue;
            }
            let key = tag.split(':').next().unwrap_or_default().to_string();
            self.note(
                format!("`{tag}` has no manifest key; not imported"),
                move |l| l.starts_with(&key),
            );
        }
    }

    /// A debtransform file (`debian.NAME`), else the same file of a `debian/` directory.
    fn deb_file(&self, name: &str) -> PathBuf {
        let flat = self.dir.join(format!("debian.{name}"));
        let nested = self.dir.join("debian").join(name);
        if !flat.exists() && nested.exists() {
            nested
        } else {
            flat
        }
    }

    /// Per-distro blocks of debian.rules, which the manifest would write as overrides
    /// of Debian targets: listed, not imported.
    fn rules(&mut self) -> Result<()> {
        let path = self.deb_file("rules");
        let Some(text) = read(&path)? else {
            return Ok(());
        };
        for (i, l) in text.lines().enumerate() {
            if l.starts_with("ifneq (,$(filter ") || l.starts_with("ifeq (,$(filter ") {
                self.p.report.push(format!(
                    "{}:{}: a per-distro block of debian.rules is not imported; write it as [packages.distro.<id>]",
                    path.display(),
                    i + 1
                ));
            }
        }
        Ok(())
    }

    /// debian.copyright's `Source:` names the git repository of a tarball upstream.
    fn copyright(&mut self) -> Result<()> {
        let Some(text) = read(&self.deb_file("copyright"))? else {
            return Ok(());
        };
        let source = text
            .lines()
            .find_map(|l| l.strip_prefix("Source:"))
            .map(str::trim);
        if let Some(src) = source.filter(|s| s.ends_with(".git")) {
            if self.p.upstream.tarball.is_some() && self.p.upstream.git.is_none() {
                self.p.upstream.git = Some(src.to_string());
            }
        }
        Ok(())
    }

    /// debian.control: the section, and the Debian names of the dependencies where
    /// they are not what the rpm names become on Debian.
    fn debian(&mut self) -> Result<()> {
        let path = self.deb_file("control");
        let Some(text) = read(&path)? else {
            return Ok(());
        };
        let stanzas = control_stanzas(&text);
        if let Some(s) = stanzas.first().and_then(|s| field(s, "Section")) {
            if s != "misc" {
                self.p.section = Some(s);
            }
        }
        let Some(deb) = self.cx.targets.iter().find(|t| t.format() == Format::Deb) else {
            return Ok(());
        };
        let build = stanzas
            .first()
            .and_then(|s| field(s, "Build-Depends"))
            .unwrap_or_default();
        let main = stanzas
            .iter()
            .find(|s| field(s, "Package").as_deref() == Some(self.p.name.as_str()))
            .and_then(|s| field(s, "Depends"))
            .unwrap_or_default();
        let logical = [self.p.build_requires.clone(), self.p.requires.clone()];
        for (list, deb_list) in logical.iter().zip([build, main]) {
            let names = deb_names(list, &deb_list, deb, &self.p.name);
            self.p.names.extend(names);
        }
        Ok(())
    }

    /// `.changes`, else `debian.changelog`.
    fn changelog(&mut self) -> Result<()> {
        let changes_path = self.dir.join(format!("{}.changes", self.p.name));
        let deb_path = self.deb_file("changelog");
        let deb = match read(&deb_path)? {
            Some(t) => changes::parse_debian(&deb_path, &t)?,
            None => Vec::new(),
        };
        let (mut entries, from) = match read(&changes_path)? {
            Some(t) => (changes::parse_changes(&changes_path, &t)?, changes_path),
            None if !deb.is_empty() => (deb.clone(), deb_path),
            None => (
                changes::parse_rpm(self.spec_path, self.text, &self.first().changelog)?,
                self.spec_path.to_path_buf(),
            ),
        };
        for n in entries.iter().flat_map(|e| e.flattened.iter()) {
            self.p.report.push(format!(
                "{}:{n}: an indented line under a change becomes a change of its own",
                from.display()
            ));
        }
        let version = self.first().version.clone();
        for (i, e) in entries.iter_mut().enumerate() {
            if e.version.is_none() {
                e.version = deb
                    .iter()
                    .find(|d| d.date == e.date)
                    .and_then(|d| d.version.clone())
                    .or_else(|| changes::named_version(&e.changes))
                    .or_else(|| (i == 0).then(|| version.clone()));
            }
        }
        let version_rpm = version.clone();
        let mut carried = version;
        for e in entries.iter_mut().rev() {
            match &e.version {
                Some(v) => carried = v.clone(),
                None => e.version = Some(carried.clone()),
            }
        }
        // rpm's and Debian's spelling of the current version is the upstream's
        for e in entries.iter_mut() {
            if e.version.as_deref() == Some(version_rpm.as_str()) {
                e.version = Some(self.p.upstream.version.clone());
            }
        }
        if entries.is_empty() {
            self.p.report.push(format!(
                "{}: no .changes or debian.changelog; add a changelog entry for version {}",
                self.dir.display(),
                self.first().version
            ));
        }
        self.p.changelog = entries;
        Ok(())
    }
}

/// `commit:` of the directory's `*.obsinfo`.
fn obsinfo_commit(dir: &Path) -> Result<Option<String>> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut infos: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "obsinfo"))
        .collect();
    infos.sort();
    for info in infos {
        let text = read(&info)?.unwrap_or_default();
        if let Some(c) = text
            .lines()
            .find_map(|l| l.strip_prefix("commit:"))
            .map(str::trim)
            .filter(|c| service::is_commit(c))
        {
            return Ok(Some(c.to_string()));
        }
    }
    Ok(None)
}

/// The paragraphs of a control file, each as its lines.
fn control_stanzas(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim().is_empty() {
            if out.last().is_some_and(|s| !s.is_empty()) {
                out.push(Vec::new());
            }
        } else {
            if let Some(s) = out.last_mut() {
                s.push(line.to_string());
            }
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// A field of a paragraph, its continuation lines joined.
fn field(stanza: &[String], name: &str) -> Option<String> {
    let prefix = format!("{name}:");
    let i = stanza.iter().position(|l| l.starts_with(&prefix))?;
    let mut v = stanza[i][prefix.len()..].trim().to_string();
    for l in &stanza[i + 1..] {
        if !l.starts_with([' ', '\t']) {
            break;
        }
        v.push(' ');
        v.push_str(l.trim());
    }
    Some(v)
}

/// `[names]` entries (key `deb`) for the rpm names of `list` whose Debian name is not
/// what pkgforge would make of them: each paired with the Debian dependency nothing
/// else explains that shares the most text with it.
fn deb_names(
    list: &[String],
    deb_list: &str,
    deb: &Distro,
    own: &str,
) -> Vec<(String, String, Vec<String>)> {
    let table = NameTable::default();
    let deps: Vec<String> = deb_list
        .split(',')
        .map(|d| d.split('(').next().unwrap_or_default().trim().to_string())
        .filter(|d| {
            !d.is_empty()
                && !d.contains('|')
                && !d.starts_with("${")
                && d != "debhelper-compat"
                && d != own
        })
        .collect();
    let mut explained: Vec<String> = Vec::new();
    let mut missing: Vec<&String> = Vec::new();
    for l in list.iter().filter(|l| !l.contains(' ')) {
        let r = names::resolve(&table, l, deb);
        if r.iter().all(|n| deps.contains(n)) {
            explained.extend(r);
        } else {
            missing.push(l);
        }
    }
    let mut extra: Vec<String> = deps
        .into_iter()
        .filter(|d| !explained.contains(d))
        .collect();
    let mut out = Vec::new();
    for m in missing {
        let best = extra
            .iter()
            .enumerate()
            .max_by_key(|(_, x)| common_len(m, x))
            .filter(|(_, x)| common_len(m, x) >= 3)
            .map(|(i, _)| i);
        if let Some(i) = best {
            out.push((m.clone(), "deb".to_string(), vec![extra.remove(i)]));
        }
    }
    out
}

/// The length of the longest text two names share.
fn common_len(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut best = 0;
    for i in 0..a.len() {
        for j in 0..b.len() {
            let mut k = 0;
            while i + k < a.len() && j + k < b.len() && a[i + k] == b[j + k] {
                k += 1;
            }
            best = best.max(k);
        }
    }
    best
}

/// Files with the `.gz` of man and info pages taken off: where a target's rpm
/// compresses them is no difference of the package.
fn unzipped(files: &[String]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            let page = f.contains("/share/man/") || f.contains("/share/info/");
            match f.strip_suffix(".gz") {
                Some(s) if page => s.to_string(),
                _ => f.clone(),
            }
        })
        .collect()
}

/// `main = V` or `main(x86-64) = V-R`: what a subpackage's rendered spec requires of
/// the main package by itself.
fn on_main(r: &str, main: &str) -> bool {
    let name = r.split_whitespace().next().unwrap_or_default();
    let bare = name.split('(').next().unwrap_or_default();
    (name == main || bare == main) && r.contains(" = ") || r == main
}

/// Units the spec neither enables nor restarts: `%service_del_postun_without_restart`
/// and `%systemd_postun` (without `_with_restart`) name them.
fn static_units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in text.lines() {
        let words: Vec<&str> = l.split_whitespace().collect();
        if let [m, units @ ..] = words.as_slice() {
            if *m == "%service_del_postun_without_restart" || *m == "%systemd_postun" {
                for u in units {
                    if !out.iter().any(|o| o == u) {
                        out.push(u.to_string());
                    }
                }
            }
        }
    }
    out
}

fn has_units(files: &[String]) -> bool {
    files.iter().any(|f| {
        f.contains("/systemd/system/")
            && [".service", ".socket", ".timer", ".path", ".mount"]
                .iter()
                .any(|x| f.ends_with(x))
    })
}

/// `%files` lines into files, config files and licence files, and what has no key.
fn split_files(lines: &[String]) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    let mut config = Vec::new();
    let mut license = Vec::new();
    let mut dirs = Vec::new();
    let mut notes = Vec::new();
    for l in lines {
        let words: Vec<&str> = l.split_whitespace().collect();
        match words.as_slice() {
            ["%config(noreplace)", path] => config.push(path.to_string()),
            ["%config", path] => {
                notes.push(format!("`{l}` becomes a %config(noreplace) file"));
                config.push(path.to_string());
            }
            ["%license", rest @ ..] => license.extend(rest.iter().map(|s| s.to_string())),
            ["%dir", path] => dirs.push(path.to_string()),
            ["%defattr(-,root,root)" | "%defattr(-,root,root,-)"] => {}
            [path] if path.starts_with('/') => files.push(path.to_string()),
            _ => notes.push(format!("`{l}` has no manifest key; not imported")),
        }
    }
    for d in dirs {
        let prefix = format!("{d}/");
        if !files.iter().chain(&config).any(|f| f.starts_with(&prefix)) {
            notes.push(format!("empty directory `%dir {d}` is not imported"));
        }
    }
    (files, config, license, notes)
}

/// `(target id, value)` pairs with the targets of a group (`suse`, `rhel`) or a family
/// that all share one value under that one key; other keys (not target ids) as they are.
fn compact_keys<T: Clone + PartialEq>(all: &[&Distro], per: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut values: Vec<(T, Vec<String>)> = Vec::new();
    let mut out: Vec<(String, T)> = Vec::new();
    for (id, v) in per {
        if !all.iter().any(|t| t.id == id) {
            out.push((id, v));
            continue;
        }
        match values.iter_mut().find(|(w, _)| *w == v) {
            Some((_, ids)) => ids.push(id),
            None => values.push((v, vec![id])),
        }
    }
    for (v, mut ids) in values {
        let mut candidates: Vec<(String, Vec<&str>)> = Vec::new();
        for g in ["suse", "rhel"] {
            let members = all.iter().filter(|t| t.family.group() == Some(g));
            candidates.push((g.to_string(), members.map(|t| t.id.as_str()).collect()));
        }
        for f in crate::distro::Family::ALL {
            let members = all.iter().filter(|t| t.family == f);
            candidates.push((
                f.as_str().to_string(),
                members.map(|t| t.id.as_str()).collect(),
            ));
        }
        for (key, members) in candidates {
            // one target alone keeps its id: the most specific key, as written by hand
            if members.len() > 1 && members.iter().all(|m| ids.iter().any(|i| i == m)) {
                ids.retain(|i| !members.contains(&i.as_str()));
                out.push((key, v.clone()));
            }
        }
        out.extend(ids.into_iter().map(|i| (i, v.clone())));
    }
    out
}

/// Per-target lists folded: the most common list is the base; a target whose list
/// differs only in one name gives a `[names]` entry, any other an override.
fn fold(
    per_target: &[(&Distro, Vec<String>)],
    names: &mut Vec<(String, String, Vec<String>)>,
) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let base = most_common(per_target.iter().map(|(_, l)| l));
    let mut overrides: Vec<(&Distro, Vec<String>)> = Vec::new();
    let table = NameTable::default();
    for (t, list) in per_target {
        if *list == base {
            continue;
        }
        let missing: Vec<&String> = base.iter().filter(|b| !list.contains(b)).collect();
        let extra: Vec<&String> = list.iter().filter(|l| !base.contains(l)).collect();
        let builtin = |n: &str| names::resolve(&table, n, t);
        match (missing.as_slice(), extra.as_slice()) {
            ([m], [x]) if !m.contains(' ') && !x.contains(' ') => {
                if builtin(m) != vec![x.to_string()] {
                    names.push((m.to_string(), t.id.clone(), vec![x.to_string()]));
                }
            }
            ([m], []) if !m.contains(' ') => names.push((m.to_string(), t.id.clone(), Vec::new())),
            _ => overrides.push((t, list.clone())),
        }
    }
    let overrides = overrides
        .into_iter()
        .map(|(t, l)| (t.id.clone(), l))
        .collect();
    (base, overrides)
}

fn fold_text(per_target: &[(&Distro, String)]) -> (String, Vec<(String, String)>) {
    let base = most_common(per_target.iter().map(|(_, s)| s));
    let over = per_target
        .iter()
        .filter(|(_, s)| *s != base)
        .map(|(t, s)| (t.id.clone(), s.clone()))
        .collect();
    (base, over)
}

/// The value most targets have; the first of them on a tie.
fn most_common<'a, T: PartialEq + Clone + Default + 'a>(values: impl Iterator<Item = &'a T>) -> T {
    let values: Vec<&T> = values.collect();
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, v) in values.iter().enumerate() {
        let first = values.iter().position(|w| w == v).unwrap_or(i);
        *counts.entry(first).or_default() += 1;
    }
    let best = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(i, _)| *i);
    best.and_then(|i| values.get(i).map(|v| (*v).clone()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_split_by_their_directives() {
        let lines: Vec<String> = [
            "%license COPYING",
            "%dir /etc/x",
            "%config(noreplace) /etc/x/x.conf",
            "/usr/bin/x",
            "%doc README",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (files, config, license, notes) = split_files(&lines);
        assert_eq!(files, vec!["/usr/bin/x"]);
        assert_eq!(config, vec!["/etc/x/x.conf"]);
        assert_eq!(license, vec!["COPYING"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
    }
}
