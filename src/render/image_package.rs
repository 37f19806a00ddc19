//! Image packages: the package that installs the image kiwi builds from a rootfs on one
//! base, so that what a package `requires` of a rootfs (`<rootfs>-<base>`) is a package
//! this project builds. It is an OBS package of its own, `obs/<rootfs>-<base>-pkg/`,
//! beside the kiwi package `obs/<rootfs>-<base>/`: OBS builds one recipe per package
//! and repository, and the kiwi package builds only in its base's repository, while the
//! image package builds in the repository of every target whose packages default to
//! that base. Its one source is `<rootfs>-<base>-<version>.tar.gz`, one directory holding
//! the image archive kiwi made, `<rootfs>-<base>.tar.xz`, which `pkgforge sources`
//! makes and osc uploads. The spec, the `.changes` and the debtransform set come from
//! the same templates as every package's; per target, `rpm/<target>/` and
//! `debian/<target>/` get the same package, which is what `resolve` reads.
//!
//! The package installs the archive as it is, or with `install-as = "disk"` a raw disk
//! image its build makes from it ([`installed_file`]). Either holds programs of the
//! image's architecture: the package is architecture-specific (never noarch or
//! `Architecture: all`), installs it in `/usr/lib/<project>` ([`install_dir`]: a
//! package's own directory for architecture-dependent data; `/usr/share` is for data
//! shared across architectures), and has no debug package, as nothing in it is compiled
//! by its build. rpmlint's checks that take such a package for noarch data get a
//! filter in the OBS package's rpmlintrc.

use std::path::PathBuf;

use serde_json::json;

use super::templates::Templates;
use super::{debian, rpm, spec, Output, Serves};
use crate::changelog::{split_author, ChangelogEntry};
use crate::distro::{Distro, Format};
use crate::error::Result;
use crate::manifest::{InstallAs, Model, Rootfs};

/// The image package of `rootfs` on `base`, when a target's packages default to it.
pub(crate) struct ImagePackage<'a> {
    model: &'a Model,
    rootfs: &'a Rootfs,
    base: &'a Distro,
    /// The targets whose packages require this image, by format.
    rpm_targets: Vec<&'a Distro>,
    deb_targets: Vec<&'a Distro>,
    /// The changelog, newest first; never empty.
    changelog: Vec<ChangelogEntry>,
}

/// `obs/<rootfs>-<base>-pkg/`: the OBS package of the image package.
pub fn obs_package(rootfs: &Rootfs, base: &Distro) -> String {
    format!("{}-pkg", rootfs.package_name(base))
}

/// The file the image package's build reads: `<rootfs>-<base>-<version>.tar.gz`.
/// gzip, because the image inside is compressed already and because Debian's source
/// format 1.0, which debtransform writes, takes only a gzip orig tarball.
pub fn source_archive(rootfs: &Rootfs, base: &Distro) -> String {
    format!("{}.tar.gz", source_dir(rootfs, base))
}

/// The one directory of [`source_archive`].
pub fn source_dir(rootfs: &Rootfs, base: &Distro) -> String {
    format!("{}-{}", rootfs.package_name(base), rootfs.version.rpm)
}

/// The image archive inside [`source_dir`].
pub fn image_file(rootfs: &Rootfs, base: &Distro) -> String {
    format!("{}.tar.xz", rootfs.package_name(base))
}

/// The file the package installs in [`install_dir`]: the archive as it is, or the disk
/// image `<rootfs>.img`, one name on every base, which a consumer can be configured with.
pub fn installed_file(rootfs: &Rootfs, base: &Distro) -> String {
    match rootfs.install_as {
        InstallAs::Archive => image_file(rootfs, base),
        InstallAs::Disk => format!("{}.img", rootfs.name),
    }
}

/// Where the package installs [`installed_file`]: `/usr/lib/<project>` with both
/// formats (rpm's `%{_prefix}/lib`), one path for consumers. The image holds programs
/// of its architecture: a package's own directory under `/usr/lib` is where such data
/// goes (`/usr/share` is for data shared across architectures).
pub fn install_dir(model: &Model, format: Format) -> String {
    match format {
        Format::Rpm => format!("%{{_prefix}}/lib/{}", model.project.name),
        Format::Deb => format!("/usr/lib/{}", model.project.name),
    }
}

/// The build of a disk image, as a shell script run from the source directory: the
/// archive unpacked with its owners and modes; `mkfs.ext4 -d` copying the tree into a
/// file system 1 MiB into the image; `sfdisk` writing an MBR partition table with one
/// Linux partition from sector 2048 to the end. The size is the tree's plus a fifth and
/// 16 MiB for the file system's own data, in MiB; the inodes, its entries plus a fifth.
///
/// Owners need root. The rpm build runs as root (`# needsrootforbuild`, which OBS's
/// worker honours; CentOS and RHEL have no `fakeroot` outside EPEL) and says so when it
/// is not; the Debian build runs tar and mkfs.ext4 under one `fakeroot` state, which
/// records the owners and modes tar sets without root.
fn disk_script(archive: &str, img: &str, format: Format) -> String {
    let (check, unpack, mkfs, state) = match format {
        Format::Rpm => (
            "if [ \"$(id -u)\" != 0 ]; then echo 'the disk image keeps the owners of the archive: build it as root' >&2; exit 1; fi\n",
            String::new(),
            String::new(),
            "",
        ),
        Format::Deb => (
            "",
            "fakeroot -s fakeroot.state ".to_string(),
            "fakeroot -i fakeroot.state ".to_string(),
            " fakeroot.state",
        ),
    };
    format!(
        r#"export PATH="$PATH:/usr/sbin:/sbin"
{check}rm -rf root {img}{state}
mkdir root
{unpack}tar -C root --numeric-owner -xpf {archive}
kib=$(du -sk root | cut -f1)
entries=$(find root | wc -l)
mib=$(( (kib * 6 / 5 + 16384 + 1023) / 1024 ))
truncate -s $(( mib + 1 ))M {img}
{mkfs}mkfs.ext4 -q -F -b 4096 -m 0 -N $(( entries * 6 / 5 + 1024 )) -d root -E offset=1048576 {img} $(( mib * 1024 ))k
echo 'start=2048, type=83' | sfdisk -q --wipe-partitions never {img}
rm -rf root{state}"#
    )
}

impl<'a> ImagePackage<'a> {
    pub(crate) fn new(
        model: &'a Model,
        rootfs: &'a Rootfs,
        base: &'a Distro,
    ) -> Option<ImagePackage<'a>> {
        let users = |f: Format| -> Vec<&'a Distro> {
            model
                .project
                .targets
                .iter()
                .filter(|t| t.format() == f && rootfs.base_for(t).id == base.id)
                .collect()
        };
        let (rpm_targets, deb_targets) = (users(Format::Rpm), users(Format::Deb));
        if rootfs.image(&base.id).is_none() || (rpm_targets.is_empty() && deb_targets.is_empty()) {
            return None;
        }
        Some(ImagePackage {
            model,
            rootfs,
            base,
            rpm_targets,
            deb_targets,
            changelog: changelog(model, rootfs, base),
        })
    }

    fn name(&self) -> String {
        self.rootfs.package_name(self.base)
    }

    /// The ids of the targets it serves.
    pub(crate) fn target_ids(&self) -> Vec<&str> {
        self.rpm_targets
            .iter()
            .chain(&self.deb_targets)
            .map(|t| t.id.as_str())
            .collect()
    }

    /// How many changelog entries are for the current version: the package's revision.
    fn revision(&self) -> usize {
        let v = &self.rootfs.version.raw;
        self.changelog
            .iter()
            .take_while(|e| &e.version.raw == v)
            .count()
            .max(1)
    }

    fn summary(&self) -> String {
        format!("{} ({} base)", self.rootfs.summary, self.base.name)
    }

    /// The rootfs's description and where the package puts the image: `format`'s
    /// directory, or both when `None`.
    fn description(&self, format: Option<Format>) -> String {
        format!(
            "{}\n\n{}",
            self.rootfs.description.trim_end(),
            self.where_note(format)
        )
    }

    /// The paragraph that says where the image goes, wrapped; rpm's macros unescaped.
    fn where_note(&self, format: Option<Format>) -> String {
        let file = installed_file(self.rootfs, self.base);
        let dir = match format {
            Some(f) => install_dir(self.model, f),
            None => format!("/usr/lib/{}", self.model.project.name),
        };
        let what = match self.rootfs.install_as {
            InstallAs::Archive => "the compressed tar archive kiwi made",
            InstallAs::Disk => {
                "a raw disk image with one ext4 partition holding the root tree kiwi made"
            }
        };
        let note = format!(
            "This package installs the image built on {}, {what}, as {dir}/{file}.",
            self.base.name,
        );
        debian::wrap(&note, 79).join("\n")
    }

    /// The build step in `format`, as a shell script: none for an archive.
    fn build_script(&self, format: Format) -> Option<String> {
        match self.rootfs.install_as {
            InstallAs::Archive => None,
            InstallAs::Disk => Some(disk_script(
                &image_file(self.rootfs, self.base),
                &installed_file(self.rootfs, self.base),
                format,
            )),
        }
    }

    /// The install step, as a shell script with `$DESTDIR`.
    fn install_script(&self, format: Format) -> String {
        format!(
            "install -D -m 0644 {file} $DESTDIR{}",
            self.installed(format),
            file = installed_file(self.rootfs, self.base)
        )
    }

    fn installed(&self, format: Format) -> String {
        format!(
            "{}/{}",
            install_dir(self.model, format),
            installed_file(self.rootfs, self.base)
        )
    }

    /// What the build needs on `target`.
    fn build_requires(&self, target: &Distro) -> Vec<String> {
        self.rootfs
            .build_requires
            .get(&target.id)
            .cloned()
            .unwrap_or_default()
    }

    /// What the Debian build needs: one control for every deb target.
    fn build_depends(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .deb_targets
            .iter()
            .flat_map(|t| self.build_requires(t))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Every output: the OBS package, its package meta, and the per-target copies.
    pub(crate) fn render(&self, templates: &Templates) -> Result<Vec<Output>> {
        let dir = PathBuf::from("obs").join(obs_package(self.rootfs, self.base));
        let name = self.name();
        let ids: std::collections::BTreeSet<String> =
            self.target_ids().into_iter().map(str::to_string).collect();
        let file = |path: PathBuf, content: String, serves: Serves| Output {
            path,
            content: content.into_bytes(),
            executable: false,
            package: Some(self.rootfs.name.clone()),
            serves,
        };
        let mut out = vec![file(
            PathBuf::from("obs/_meta/packages")
                .join(format!("{}.xml", obs_package(self.rootfs, self.base))),
            self.package_meta(templates)?,
            Serves::Targets(ids),
        )];
        if !self.rpm_targets.is_empty() {
            let rpm = Serves::Format(Format::Rpm);
            out.push(file(
                dir.join(format!("{name}.spec")),
                self.spec(None, templates)?,
                rpm.clone(),
            ));
            out.push(file(
                dir.join(format!("{name}.changes")),
                self.changes(templates)?,
                rpm.clone(),
            ));
            out.push(file(
                dir.join(format!("{name}-rpmlintrc")),
                rpm::rpmlintrc(&[
                    (IMAGE_NOT_NOARCH, "no-binary"),
                    (IMAGE_NOT_SHARED, "only-non-binary-in-usr-lib"),
                    rpm::USR_LIB_FILTER,
                ]),
                rpm,
            ));
            for t in &self.rpm_targets {
                out.push(file(
                    PathBuf::from("rpm")
                        .join(&t.id)
                        .join(format!("{name}.spec")),
                    self.spec(Some(t), templates)?,
                    Serves::one(&t.id),
                ));
            }
        }
        if !self.deb_targets.is_empty() {
            out.extend(self.debian(&dir, templates)?);
        }
        Ok(out)
    }

    /// `obs/_meta/packages/<rootfs>-<base>-pkg.xml`: built in the repositories of the
    /// targets that require the image, nowhere else.
    fn package_meta(&self, templates: &Templates) -> Result<String> {
        let mut repositories: Vec<&str> = Vec::new();
        for t in self.rpm_targets.iter().chain(&self.deb_targets) {
            if !repositories.contains(&t.obs_repository.as_str()) {
                repositories.push(&t.obs_repository);
            }
        }
        templates.render(
            "kiwi/image-package-meta.xml.tera",
            &json!({
                "package": obs_package(self.rootfs, self.base),
                "obs_project": self.model.project.obs_project,
                "summary": self.summary(),
                "description": self.description(None),
                "repositories": repositories,
            }),
        )
    }

    /// The OBS spec (`target = None`) or the spec of one rpm target.
    fn spec(&self, target: Option<&Distro>, templates: &Templates) -> Result<String> {
        let model = self.model;
        let (holder, _) = split_author(&model.project.maintainer);
        let newest = self.changelog.first().map(|e| e.date);
        let archs: Vec<String> = self.rootfs.archs.clone();
        let changelog: Vec<serde_json::Value> = match target {
            None => Vec::new(),
            Some(_) => self.rpm_changelog(),
        };
        let owned = [model.project.name.as_str()];
        let build = self.build_script(Format::Rpm);
        let (build_requires, conditionals) = match target {
            Some(t) => (self.build_requires(t), Vec::new()),
            None => {
                let per_target: Vec<(&Distro, Vec<String>, Vec<String>)> = self
                    .rpm_targets
                    .iter()
                    .map(|t| (*t, self.build_requires(t), Vec::new()))
                    .collect();
                let (br, _, conditionals) = spec::fold_conditionals(&per_target, &self.rpm_targets);
                (br, conditionals)
            }
        };
        let ctx = json!({
            "obs": target.is_none(),
            "target": target.map(|t| json!({"id": t.id, "name": rpm::escape(&t.name)})),
            "project": rpm::escape(&model.project.name),
            "year": newest.map(|d| d.strftime("%Y").to_string()).unwrap_or_default(),
            "copyright_holder": rpm::escape(holder),
            "bugs_url": rpm::escape(model.project.homepage.as_deref().unwrap_or("https://bugs.opensuse.org/")),
            "name": self.name(),
            "version": self.rootfs.version.rpm,
            "release": match target {
                None => "0".to_string(),
                Some(_) => format!("{}%{{?dist}}", self.revision()),
            },
            "summary": rpm::escape(&self.summary()),
            "license": rpm::escape(&model.project.license),
            "group": null,
            "url": model.project.homepage.as_deref().map(rpm::escape),
            "sources": [{"n": 0, "value": "%{name}-%{version}.tar.gz"}],
            "patches": [],
            "build_requires": build_requires,
            "requires": [],
            "build_arch": null,
            "exclusive_arch": archs.join(" "),
            "conditionals": conditionals,
            "description": format!(
                "{}\n\n{}",
                spec::description(self.rootfs.description.trim_end()),
                self.where_note(Some(Format::Rpm))
            ),
            "subpackages": [],
            "setup": {"vendor": false, "dir": null},
            "needs_root": build.is_some(),
            "build": build.map(|s| json!({"condition": null, "script": s.replace("/usr/sbin", "%{_sbindir}")})).into_iter().collect::<Vec<_>>(),
            "install": [{"condition": null, "script": self.install_script(Format::Rpm).replace("$DESTDIR", "%{buildroot}")}],
            "files": rpm::files(&[self.installed(Format::Rpm)], &[], &owned),
            "license_files": [],
            "scriptlets": [],
            "systemd_requires": null,
            "no_debug_package": true,
            "changelog": changelog,
            "ext_man": null,
            "ext_info": null,
        });
        templates.render("spec.tera", &ctx)
    }

    fn rpm_changelog(&self) -> Vec<serde_json::Value> {
        self.changelog
            .iter()
            .map(|e| {
                let revision = self
                    .changelog
                    .iter()
                    .filter(|x| x.version.raw == e.version.raw && x.date <= e.date)
                    .count();
                json!({
                    "date": e.rpm_date(),
                    "author": rpm::escape(&e.author),
                    "version": e.version.rpm,
                    "revision": revision,
                    "changes": e.changes.iter().map(|c| rpm::escape(c)).collect::<Vec<_>>(),
                })
            })
            .collect()
    }

    fn changes(&self, templates: &Templates) -> Result<String> {
        let entries: Vec<serde_json::Value> = self
            .changelog
            .iter()
            .map(|e| json!({"date": e.suse_date(), "author": e.author, "changes": e.changes}))
            .collect();
        templates.render(
            "changes.tera",
            &json!({"name": self.name(), "entries": entries}),
        )
    }
}

impl ImagePackage<'_> {
    /// The debtransform set in `dir` and the native directory of every deb target.
    fn debian(&self, dir: &std::path::Path, templates: &Templates) -> Result<Vec<Output>> {
        let name = self.name();
        let file = |path: PathBuf, content: String, serves: &Serves, executable: bool| Output {
            path,
            content: content.into_bytes(),
            executable,
            package: Some(self.rootfs.name.clone()),
            serves: serves.clone(),
        };
        let control = self.control(templates)?;
        let rules = self.rules(templates)?;
        let copyright = self.copyright(templates)?;
        let install = templates.render(
            "debian/install.tera",
            &json!({"files": [self.installed(Format::Deb).trim_start_matches('/')]}),
        )?;
        let deb = Serves::Format(Format::Deb);
        let mut out = vec![
            file(
                dir.join(format!("{name}.dsc")),
                self.dsc(templates)?,
                &deb,
                false,
            ),
            file(dir.join("debian.control"), control.clone(), &deb, false),
            file(
                dir.join("debian.changelog"),
                self.deb_changelog(debian::OBS_DISTRIBUTION, templates)?,
                &deb,
                false,
            ),
            file(dir.join("debian.copyright"), copyright.clone(), &deb, false),
            file(dir.join("debian.rules"), rules.clone(), &deb, true),
            file(
                dir.join(format!("debian.{name}.install")),
                install.clone(),
                &deb,
                false,
            ),
        ];
        for t in &self.deb_targets {
            let d = PathBuf::from("debian")
                .join(&t.id)
                .join(&name)
                .join("debian");
            let one = Serves::one(&t.id);
            let distribution = t
                .codename
                .as_deref()
                .unwrap_or(debian::FALLBACK_DISTRIBUTION);
            out.extend([
                file(d.join("control"), control.clone(), &one, false),
                file(
                    d.join("changelog"),
                    self.deb_changelog(distribution, templates)?,
                    &one,
                    false,
                ),
                file(d.join("copyright"), copyright.clone(), &one, false),
                file(d.join("rules"), rules.clone(), &one, true),
                file(
                    d.join(format!("{name}.install")),
                    install.clone(),
                    &one,
                    false,
                ),
                file(
                    d.join("source/format"),
                    templates.render("debian/source-format.tera", &json!({}))?,
                    &one,
                    false,
                ),
            ]);
        }
        Ok(out)
    }

    fn deb_archs(&self) -> Vec<String> {
        debian::deb_archs(&self.rootfs.archs)
    }

    fn section(&self) -> &'static str {
        "admin"
    }

    fn control(&self, templates: &Templates) -> Result<String> {
        let model = self.model;
        let ctx = json!({
            "source": self.name(),
            "section": self.section(),
            "priority": debian::PRIORITY,
            "maintainer": model.project.maintainer,
            "homepage": model.project.homepage,
            "standards_version": debian::STANDARDS_VERSION,
            "debhelper_compat": debian::DEBHELPER_COMPAT,
            "build_depends": self.build_depends(),
            "binaries": [{
                "name": self.name(),
                "section": null,
                "architecture": self.deb_archs().join(" "),
                "depends": ["${misc:Depends}"],
                "synopsis": self.summary(),
                "description": debian::description(&self.description(Some(Format::Deb))),
            }],
        });
        templates.render("debian/control.tera", &ctx)
    }

    fn dsc(&self, templates: &Templates) -> Result<String> {
        let model = self.model;
        let archs = self.deb_archs();
        let ctx = json!({
            "source": self.name(),
            "binary": self.name(),
            "architecture": archs.join(" "),
            "version": format!("{}-{}", self.rootfs.version.deb, self.revision()),
            "maintainer": model.project.maintainer,
            "homepage": model.project.homepage,
            "standards_version": debian::STANDARDS_VERSION,
            "debhelper_compat": debian::DEBHELPER_COMPAT,
            "priority": debian::PRIORITY,
            "build_depends": self.build_depends(),
            "package_list": [{"name": self.name(), "section": self.section(), "archs": archs}],
            "tarball": source_archive(self.rootfs, self.base),
            "series": false,
        });
        templates.render("debian/dsc.tera", &ctx)
    }

    fn rules(&self, templates: &Templates) -> Result<String> {
        let build = self.build_script(Format::Deb);
        let ctx = json!({
            "name": self.name(),
            "go": false,
            "rust": false,
            "path": [],
            "jobs": false,
            "distro_switch": false,
            "oneshell": build.is_some(),
            "vendor_archive": null,
            "cargo_vendor": false,
            "build": {"cases": [], "default": build.map(|s| debian::make_lines(&s, true)).unwrap_or_default()},
            "install": {"cases": [], "default": debian::make_lines(&self.install_script(Format::Deb), false)},
            "units": false,
            "static_units": [],
            "started_units": [],
            "no_dbgsym": true,
        });
        templates.render("debian/rules.tera", &ctx)
    }

    fn deb_changelog(&self, distribution: &str, templates: &Templates) -> Result<String> {
        let log = &self.changelog;
        let entries: Vec<serde_json::Value> = log
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let revision = log[i..]
                    .iter()
                    .filter(|x| x.version.raw == e.version.raw)
                    .count();
                json!({
                    "source": self.name(),
                    "version": format!("{}-{revision}", e.version.deb),
                    "distribution": distribution,
                    "changes": e.changes.iter().map(|c| debian::change(c)).collect::<Vec<_>>(),
                    "author": e.author,
                    "date": e.debian_date(),
                })
            })
            .collect();
        templates.render("debian/changelog.tera", &json!({ "entries": entries }))
    }

    /// The archive holds the base distro's packages, each under its own licence, which
    /// the image keeps in `/usr/share/doc`; the packaging is under the project's.
    fn copyright(&self, templates: &Templates) -> Result<String> {
        let model = self.model;
        let (license, licenses) = debian::copyright::dep5(&model.project.license);
        let span = debian::year_span(&self.changelog);
        let ctx = json!({
            "upstream_name": self.name(),
            "source": model.project.homepage,
            "upstream_copyright": format!("{span} {}", model.project.maintainer),
            "packaging_copyright": format!("{span} {}", model.project.maintainer),
            "license": license,
            "licenses": licenses,
            "license_files": [],
        });
        templates.render("debian/copyright.tera", &ctx)
    }
}

/// The entries that cover the rootfs; when none is for its current version, one more
/// on top, dated as the newest entry that covers it, else [`NO_DATE`]: every changelog
/// names the version the package has. Nothing else of the changelog is read, so the
/// image's render cache key need not cover it.
fn changelog(model: &Model, rootfs: &Rootfs, base: &Distro) -> Vec<ChangelogEntry> {
    let mut log = rootfs.changelog.clone();
    if log.first().map(|e| &e.version.raw) != Some(&rootfs.version.raw) {
        let date = log
            .first()
            .map(|e| e.date)
            .unwrap_or_else(|| jiff::Timestamp::from_second(NO_DATE).unwrap_or_default());
        log.insert(
            0,
            ChangelogEntry {
                upstream: None,
                packages: None,
                version: rootfs.version.clone(),
                date,
                author: model.project.maintainer.clone(),
                changes: vec![format!(
                    "Package the {} image built on {}",
                    rootfs.name, base.name
                )],
            },
        );
    }
    log
}

/// Why the rpmlintrc filters `no-binary`: rpmlint takes an architecture-specific package
/// without ELF files for one that should be noarch.
const IMAGE_NOT_NOARCH: &str =
    "The image holds programs of its architecture inside an archive or a file\n\
system, which rpmlint does not look into: the package is architecture-specific.";

/// Why it filters `only-non-binary-in-usr-lib`: rpmlint takes files in `/usr/lib` that
/// are not ELF for data that belongs in `/usr/share`.
const IMAGE_NOT_SHARED: &str =
    "Nor is the image data shared across architectures, which /usr/share is for.";

/// The date of the one changelog entry of a rootfs no entry covers (2000-01-01): rpm
/// refuses a `%changelog` date of the epoch.
const NO_DATE: i64 = 946_684_800;
