//! `[toolchains]` against the targets: each minimum a package uses must exist there.

use std::cmp::Ordering;

use crate::distro::{Distro, EACH_RELEASE};
use crate::manifest::load::Cx;
use crate::manifest::model::Project;
use crate::manifest::raw;
use crate::path;
use crate::version;

impl Cx<'_> {
    /// Every `[toolchains]` minimum a package uses is met on every target, from the
    /// repositories the target builds against or from an optional one (backports), which
    /// the target then builds against too. Targets with no known versions pass.
    pub(in crate::manifest) fn toolchain_targets(
        &mut self,
        raw: &raw::Manifest,
        project: Option<&mut Project>,
    ) {
        let Some(project) = project else {
            return;
        };
        for (tc, min) in &raw.toolchains {
            let used = raw
                .packages
                .iter()
                .any(|p| p.toolchain.as_ref() == Some(tc));
            if !used || version::check(min).is_err() {
                continue;
            }
            for t in &mut project.targets {
                if let Err(newest) = meet_toolchain(t, tc, min) {
                    self.err_note(
                        path!["toolchains", tc],
                        format!("{tc} {min} is not available on {}: its repositories have {tc} {newest} at most", t.id),
                        format!(
                            "lower it to {tc} = \"{newest}\", drop {} from [project] targets, or name the packages that provide it under [distros.\"{}\"] toolchains",
                            t.id, t.id
                        ),
                    );
                }
            }
        }
    }
}

/// Whether target `t` offers toolchain `tc` at `min` or newer, switching on the optional
/// repository that has it when only that one does; else the newest version it offers.
fn meet_toolchain(t: &mut Distro, tc: &str, min: &str) -> Result<(), String> {
    let Some(offers) = t.toolchain_versions.get(tc) else {
        return Ok(());
    };
    let meets = |v: &str| v == EACH_RELEASE || version::compare(v, min) != Ordering::Less;
    if offers.is_empty()
        || offers
            .iter()
            .any(|o| o.repository.is_none() && meets(&o.version))
    {
        return Ok(());
    }
    let from = offers
        .iter()
        .filter(|o| meets(&o.version))
        .find_map(|o| o.repository.clone());
    let optional = from.and_then(|name| {
        t.optional_repositories
            .iter()
            .chain(&t.repositories)
            .find(|r| r.name == name)
            .cloned()
    });
    if let Some(r) = optional {
        t.use_repository(r);
        return Ok(());
    }
    let newest = offers
        .iter()
        .map(|o| o.version.as_str())
        .max_by(|a, b| version::compare(a, b))
        .unwrap_or_default();
    Err(newest.to_string())
}

#[cfg(test)]
mod tests {
    use super::meet_toolchain;
    use crate::distro::builtin;

    fn target(id: &str) -> crate::distro::Distro {
        builtin()
            .into_iter()
            .find(|d| d.id == id)
            .unwrap_or_else(|| crate::distro::template_for(id, crate::distro::Family::Debian))
    }

    #[test]
    fn bookworm_takes_go_from_backports_only_when_the_minimum_needs_it() {
        let mut t = target("debian-12");
        assert_eq!(meet_toolchain(&mut t, "go", "1.19"), Ok(()));
        assert!(!t.obs_paths.iter().any(|p| p.ends_with("/backports")));
        assert!(!t
            .repositories
            .iter()
            .any(|r| r.name == "bookworm-backports"));
        assert_eq!(meet_toolchain(&mut t, "go", "1.22"), Ok(()));
        assert_eq!(t.obs_paths[0], "Debian:12/backports");
        assert!(t
            .repositories
            .iter()
            .any(|r| r.name == "bookworm-backports"));
        assert_eq!(
            meet_toolchain(&mut t, "go", "1.30"),
            Err("1.24".to_string())
        );
    }

    #[test]
    fn a_distro_that_ships_each_release_meets_any_minimum() {
        let mut t = target("opensuse-tumbleweed");
        assert_eq!(meet_toolchain(&mut t, "rust", "9.99"), Ok(()));
        let mut t = target("centos-stream-9");
        assert_eq!(
            meet_toolchain(&mut t, "rust", "1.95"),
            Err("1.88".to_string())
        );
    }
}
