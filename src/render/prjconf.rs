//! `obs/_meta/<project>.prjconf`: the project's build configuration, one `%if` block per
//! repository, from `obs/prjconf.tera`. OBS reads it after the configurations of the
//! repositories' paths, and `pkgforge build` hands the same file to obs-build.
//!
//! Debian's OBS base projects are complete on OBS, but the configurations obs-build
//! ships for them are stale: bookworm's names libsepol1, libmpfr4, libncurses5,
//! libtinfo5, libgcc1 and insserv, which bookworm lacks, and misses libmd0, which dpkg
//! needs. So each Debian block holds a whole configuration, after obs-build's own
//! `debian12.conf`: a small `Preinstall` set that `preinstallexpand` completes with its
//! dependencies, the rest of the `Essential: yes` set as `Support`, and `Prefer` lines
//! that settle the choices a build root meets. `usrmerge` is preferred over
//! `usr-is-merged` because obs-build unpacks the root without merged-/usr symlinks,
//! which `usr-is-merged` refuses and `usrmerge` creates. An ignored test in
//! tests/debian.rs builds with it through obs-build from the Debian mirror.

use std::collections::BTreeMap;

use serde::Serialize;

use super::templates::Templates;
use crate::distro::{Distro, Family};
use crate::error::Result;

/// The build configuration lines a distro needs in its block: empty where the
/// configuration of its OBS paths is complete (the RPM families, Ubuntu).
pub(crate) fn lines(distro: &Distro) -> Vec<String> {
    if distro.family != Family::Debian {
        return Vec::new();
    }
    DEBIAN.iter().map(|l| l.to_string()).collect()
}

/// The build configuration of a Debian repository; every name exists in bookworm and
/// trixie.
const DEBIAN: &[&str] = &[
    "Repotype: debian",
    "Type: dsc",
    "Binarytype: deb",
    "ExpandFlags: preinstallexpand",
    "Preinstall: base-files base-passwd bash coreutils dash debconf debianutils diffutils",
    "Preinstall: dpkg findutils grep gzip init-system-helpers libc-bin libsystemd0 mawk",
    "Preinstall: perl-base sed tar util-linux xz-utils",
    "Runscripts: base-passwd base-files",
    "Order: base-passwd:base-files",
    "Support: bsdutils cpio e2fsprogs fakeroot hostname login mount ncurses-base ncurses-bin",
    "Support: sysvinit-utils",
    "Required: build-essential",
    "Prefer: build-essential:make bsdutils:libsystemd0 -libelogind0 mawk usrmerge",
];

#[derive(Serialize)]
struct Repository<'a> {
    name: &'a str,
    distro: &'a str,
    lines: Vec<String>,
}

/// What `obs/prjconf.tera` gets.
#[derive(Serialize)]
struct Context<'a> {
    obs_project: &'a str,
    repositories: Vec<Repository<'a>>,
}

/// The build configuration of OBS project `obs_project`, one block per target; `extra`
/// holds more lines by target id (what the kiwi builds of the images on a base need).
pub(crate) fn render(
    obs_project: &str,
    targets: &[Distro],
    extra: &BTreeMap<String, Vec<String>>,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let repositories = targets
        .iter()
        .map(|t| Repository {
            name: &t.obs_repository,
            distro: &t.name,
            lines: lines(t)
                .into_iter()
                .chain(extra.get(&t.id).into_iter().flatten().cloned())
                .collect(),
        })
        .collect();
    let ctx = Context {
        obs_project,
        repositories,
    };
    Ok(templates.render("obs/prjconf.tera", &ctx)?.into_bytes())
}
