//! `[distros.<id>]`: the built-in distros and the manifest's overrides and additions.

use crate::distro::{self, Distro};
use crate::manifest::checks::{
    apt_word, codename, condition, distro_id, distro_macro, package_manager, repository_name,
    repository_url,
};
use crate::manifest::load::Cx;
use crate::manifest::raw;
use crate::manifest::toml_file::Seg;
use crate::path;
use crate::version::escape_for_message;

/// `p` with the segments `more` after it.
fn under(p: &[Seg], more: impl IntoIterator<Item = Seg>) -> Vec<Seg> {
    let mut q = p.to_vec();
    q.extend(more);
    q
}

impl Cx<'_> {
    pub(in crate::manifest) fn distros(&mut self, raw: &raw::Manifest) -> Vec<Distro> {
        let mut all = distro::builtin();
        for (id, o) in &raw.distros {
            if let Some(d) = self.distro(id, o, &mut all) {
                all.push(d);
            }
        }
        all
    }

    /// Distro `id` as the manifest overrides or adds it, taken out of `all` when built in.
    fn distro(
        &mut self,
        id: &str,
        o: &raw::DistroOverride,
        all: &mut Vec<Distro>,
    ) -> Option<Distro> {
        let p = path!["distros", id];
        if !self.check(p.clone(), id, distro_id(id)) {
            return None;
        }
        let mut d = match all.iter().position(|d| d.id == id) {
            Some(i) => all.remove(i),
            None => match o.family {
                Some(f) => distro::template_for(id, f),
                None => {
                    self.err_note(
                        p,
                        format!("distro `{id}` is not built in, so it needs a `family`"),
                        "add family = \"opensuse\" (or sle, fedora, centos, debian, ubuntu)",
                    );
                    return None;
                }
            },
        };
        if let Some(f) = o.family {
            d.family = f;
        }
        self.distro_names(&p, o, &mut d);
        self.distro_build(&p, o, &mut d);
        self.repositories(&p, o, &mut d);
        Some(d)
    }

    /// `name`, `codename`, `obs-repository`, `obs-paths` and `macros`.
    fn distro_names(&mut self, p: &[Seg], o: &raw::DistroOverride, d: &mut Distro) {
        let sub = |k: &str| under(p, [Seg::from(k)]);
        if let Some(v) = &o.name {
            self.single_line(sub("name"), "the distro name", v);
            d.name = v.clone();
        }
        if let Some(v) = &o.codename {
            self.check(sub("codename"), v, codename(v));
            d.codename = Some(v.clone());
        }
        if let Some(v) = &o.obs_repository {
            self.single_line(sub("obs-repository"), "the OBS repository", v);
            d.obs_repository = v.clone();
        }
        if let Some(v) = &o.obs_paths {
            for (i, x) in v.iter().enumerate() {
                let q = under(p, [Seg::from("obs-paths"), Seg::Index(i)]);
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
                self.check(
                    under(p, [Seg::from("macros"), Seg::from(k)]),
                    k,
                    distro_macro(k, val),
                );
            }
            d.macros = v.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
    }

    /// `condition`, `package-manager`, `archs` and `toolchains`.
    fn distro_build(&mut self, p: &[Seg], o: &raw::DistroOverride, d: &mut Distro) {
        let sub = |k: &str| under(p, [Seg::from(k)]);
        if let Some(v) = &o.condition {
            self.check(sub("condition"), v, condition(v));
            d.condition = v.clone();
        }
        if let Some(v) = &o.package_manager {
            self.check(sub("package-manager"), v, package_manager(v));
            d.package_manager = v.clone();
        }
        if let Some(v) = &o.archs {
            d.archs = self.archs(sub("archs"), v, false);
        }
        if let Some(v) = &o.toolchains {
            for (k, val) in v {
                let q = under(p, [Seg::from("toolchains"), Seg::from(k)]);
                for x in val.to_vec() {
                    self.dependency(q.clone(), &x);
                }
                d.toolchains.insert(k.clone(), val.to_vec());
                // the table's versions are those of the packages replaced here
                d.toolchain_versions.remove(k);
            }
        }
    }

    /// `repositories`, `add-repositories` and `optional-repositories` of `[distros.<id>]`.
    fn repositories(&mut self, p: &[Seg], o: &raw::DistroOverride, d: &mut Distro) {
        let deb = d.format() == distro::Format::Deb;
        if let Some(v) = &o.optional_repositories {
            d.optional_repositories = v
                .iter()
                .enumerate()
                .map(|(i, r)| self.repository_of(p, "optional-repositories", i, r, deb))
                .collect();
        }
        if let Some(v) = &o.repositories {
            d.repositories = v
                .iter()
                .enumerate()
                .map(|(i, r)| self.repository_of(p, "repositories", i, r, deb))
                .collect();
        }
        for (i, r) in o.add_repositories.iter().flatten().enumerate() {
            match r {
                raw::RepositoryOrName::Repository(r) => {
                    let r = self.repository_of(p, "add-repositories", i, r, deb);
                    d.repositories.push(r);
                }
                raw::RepositoryOrName::Name(n) => self.add_optional(p, i, n, d),
            }
        }
    }

    /// Repository `i` of list `key`: checked, and with a Debian suite and components.
    fn repository_of(
        &mut self,
        p: &[Seg],
        key: &str,
        i: usize,
        r: &raw::Repository,
        deb: bool,
    ) -> distro::Repository {
        let field = |k: &str| under(p, [Seg::from(key), Seg::Index(i), Seg::from(k)]);
        self.check(field("name"), &r.name, repository_name(&r.name));
        self.check(field("url"), &r.url, repository_url(&r.url));
        if !deb && (r.suite.is_some() || r.components.is_some()) {
            self.err_note(
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
            let mut f = field("components");
            f.push(Seg::Index(j));
            self.check(f, c, apt_word("component", c));
        }
        if let Some(s) = &r.suite {
            self.check(field("suite"), s, apt_word("suite", s));
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
            obs_path: None,
        }
    }

    /// Entry `i` of `add-repositories` that names one of the optional repositories.
    fn add_optional(&mut self, p: &[Seg], i: usize, n: &str, d: &mut Distro) {
        if let Some(r) = d.optional_repositories.iter().find(|r| r.name == n) {
            let r = r.clone();
            d.use_repository(r);
            return;
        }
        let known: Vec<&str> = d
            .optional_repositories
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        self.err_note(
            under(p, [Seg::from("add-repositories"), Seg::Index(i)]),
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
