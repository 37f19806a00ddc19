//! `[distros.<id>]`: the built-in distros and the manifest's overrides and additions.

use regex::Regex;

use crate::distro::{self, Distro};
use crate::manifest::checks::*;
use crate::manifest::load::Cx;
use crate::manifest::raw;
use crate::manifest::source::Seg;
use crate::path;
use crate::version::escape_for_message;

impl Cx<'_> {
    pub(in crate::manifest) fn distros(&mut self, raw: &raw::Manifest) -> Vec<Distro> {
        let mut all = distro::builtin();
        #[allow(
            clippy::expect_used,
            reason = "a literal pattern; the tests compile it"
        )]
        let operand = Regex::new(r"%\{\??[A-Za-z_][A-Za-z0-9_]*\}").expect("static regex");
        for (id, o) in &raw.distros {
            let p = path!["distros", id];
            if !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
                || id.is_empty()
            {
                self.err(
                    p.clone(),
                    format!("`{}` is not a valid distro id", escape_for_message(id)),
                );
                continue;
            }
            if lookup_keys().contains(&id.as_str()) || id == "all" {
                self.err(
                    p.clone(),
                    format!("`{id}` is a family, group or format name and cannot be a distro id"),
                );
                continue;
            }
            let mut d = match all.iter().position(|d| &d.id == id) {
                Some(i) => all.remove(i),
                None => match o.family {
                    Some(f) => distro::template_for(id, f),
                    None => {
                        self.err_note(
                            p.clone(),
                            format!("distro `{id}` is not built in, so it needs a `family`"),
                            "add family = \"opensuse\" (or sle, fedora, centos, debian, ubuntu)",
                        );
                        continue;
                    }
                },
            };
            if let Some(f) = o.family {
                d.family = f;
            }
            let sub = |k: &str| {
                let mut q = p.clone();
                q.push(Seg::from(k));
                q
            };
            if let Some(v) = &o.name {
                self.single_line(sub("name"), "the distro name", v);
                d.name = v.clone();
            }
            if let Some(v) = &o.codename {
                if v.is_empty()
                    || !v.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.')
                    })
                {
                    self.err_note(
                        sub("codename"),
                        format!("`{}` is not a codename", escape_for_message(v)),
                        "a codename is a lowercase word such as bookworm or noble: it names the Debian changelog's distribution and kiwi's apt suite",
                    );
                }
                d.codename = Some(v.clone());
            }
            if let Some(v) = &o.obs_repository {
                self.single_line(sub("obs-repository"), "the OBS repository", v);
                d.obs_repository = v.clone();
            }
            if let Some(v) = &o.obs_paths {
                for (i, x) in v.iter().enumerate() {
                    let mut q = sub("obs-paths");
                    q.push(Seg::Index(i));
                    if x.split('/').count() != 2 || !self.single_line(q.clone(), "an OBS path", x) {
                        self.err(
                            q,
                            format!(
                                "OBS path `{}` must read `project/repository`",
                                escape_for_message(x)
                            ),
                        );
                    }
                }
                d.obs_paths = v.clone();
            }
            if let Some(v) = &o.macros {
                for (k, val) in v {
                    let mut q = sub("macros");
                    q.push(Seg::from(k));
                    if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        || !val.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
                    {
                        self.err(
                            q,
                            format!(
                                "macro `{}` must be a plain name with a plain value",
                                escape_for_message(k)
                            ),
                        );
                    }
                }
                d.macros = v.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            }
            if let Some(v) = &o.condition {
                // only `0%{?macro}` (or `%{macro}`) operands, numbers and operators: the
                // condition goes after `%if`, where rpm expands everything

                let rest = operand.replace_all(v, "");
                if v.trim().is_empty()
                    || rest.chars().any(|c| {
                        !(c.is_ascii_digit()
                            || matches!(c, ' ' | '=' | '<' | '>' | '!' | '&' | '|' | '(' | ')'))
                    })
                {
                    self.err_note(
                        sub("condition"),
                        "the condition must be one line of %{?macro} comparisons",
                        "for example condition = \"0%{?suse_version} >= 1600\": only %{?name} macros, numbers, comparisons, !, && and ||",
                    );
                }
                d.condition = v.clone();
            }
            if let Some(v) = &o.package_manager {
                if !["zypper", "dnf4", "dnf5", "apt", "microdnf"].contains(&v.as_str()) {
                    self.err(
                        sub("package-manager"),
                        format!(
                            "unknown package manager `{}`; use zypper, dnf4, dnf5, microdnf or apt",
                            escape_for_message(v)
                        ),
                    );
                }
                d.package_manager = v.clone();
            }
            if let Some(v) = &o.archs {
                d.archs = self.archs(sub("archs"), v, false);
            }
            if let Some(v) = &o.toolchains {
                for (k, val) in v {
                    let mut q = sub("toolchains");
                    q.push(Seg::from(k));
                    for x in val.to_vec() {
                        self.dependency(q.clone(), &x);
                    }
                    d.toolchains.insert(k.clone(), val.to_vec());
                }
            }
            self.repositories(&p, o, &mut d);
            all.push(d);
        }
        all
    }

    /// `repositories`, `add-repositories` and `optional-repositories` of `[distros.<id>]`.
    pub(in crate::manifest) fn repositories(
        &mut self,
        p: &[Seg],
        o: &raw::DistroOverride,
        d: &mut Distro,
    ) {
        let deb = d.format() == distro::Format::Deb;
        let check = |this: &mut Self, key: &str, i: usize, r: &raw::Repository| {
            let mut q = p.to_vec();
            q.push(Seg::from(key));
            q.push(Seg::Index(i));
            let field = |k: &str| {
                let mut f = q.clone();
                f.push(Seg::from(k));
                f
            };
            let plain = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'))
            };
            if !plain(&r.name) {
                this.err(
                    field("name"),
                    format!(
                        "`{}` is not a repository name: use letters, digits and `-._/`",
                        escape_for_message(&r.name)
                    ),
                );
            }
            let scheme_ok = ["http://", "https://", "file://"]
                .iter()
                .any(|s| r.url.starts_with(s));
            if !scheme_ok || r.url.contains(char::is_whitespace) {
                this.err_note(
                    field("url"),
                    format!("`{}` is not a repository URL", escape_for_message(&r.url)),
                    "give an http://, https:// or file:// URL",
                );
            }
            if !deb && (r.suite.is_some() || r.components.is_some()) {
                this.err_note(
                    field(if r.suite.is_some() {
                        "suite"
                    } else {
                        "components"
                    }),
                    "only a Debian or Ubuntu repository has a suite and components",
                    "an rpm-md repository is its URL alone: the directory that holds repodata/",
                );
            }
            for (j, c) in r.components.iter().flatten().enumerate() {
                if !plain(c) {
                    let mut f = field("components");
                    f.push(Seg::Index(j));
                    this.err(f, format!("`{}` is not a component", escape_for_message(c)));
                }
            }
            if let Some(s) = &r.suite {
                if !plain(s) {
                    this.err(
                        field("suite"),
                        format!("`{}` is not a suite", escape_for_message(s)),
                    );
                }
            }
            distro::Repository {
                name: r.name.clone(),
                url: r.url.trim_end_matches('/').to_string(),
                suite: deb.then(|| r.suite.clone().unwrap_or_else(|| r.name.clone())),
                components: match (&r.components, deb) {
                    (Some(c), true) => c.clone(),
                    (None, true) => vec!["main".to_string()],
                    _ => Vec::new(),
                },
            }
        };
        if let Some(v) = &o.optional_repositories {
            d.optional_repositories = v
                .iter()
                .enumerate()
                .map(|(i, r)| check(self, "optional-repositories", i, r))
                .collect();
        }
        if let Some(v) = &o.repositories {
            d.repositories = v
                .iter()
                .enumerate()
                .map(|(i, r)| check(self, "repositories", i, r))
                .collect();
        }
        for (i, r) in o.add_repositories.iter().flatten().enumerate() {
            match r {
                raw::RepositoryOrName::Repository(r) => {
                    let r = check(self, "add-repositories", i, r);
                    d.repositories.push(r);
                }
                raw::RepositoryOrName::Name(n) => {
                    match d.optional_repositories.iter().find(|r| &r.name == n) {
                        Some(r) => d.repositories.push(r.clone()),
                        None => {
                            let mut q = p.to_vec();
                            q.push(Seg::from("add-repositories"));
                            q.push(Seg::Index(i));
                            let known: Vec<&str> = d
                                .optional_repositories
                                .iter()
                                .map(|r| r.name.as_str())
                                .collect();
                            self.err_note(
                                q,
                                format!(
                                    "`{}` is not an optional repository of {}",
                                    escape_for_message(n),
                                    d.id
                                ),
                                if known.is_empty() {
                                    "give the repository as a table: { name = \"...\", url = \"...\" }".to_string()
                                } else {
                                    format!("optional repositories: {}", known.join(", "))
                                },
                            );
                        }
                    }
                }
            }
        }
    }
}
