//! Loading: read, validate and resolve `packages.toml`, `changelog.toml` and
//! `vendor-licenses.toml` into a [`Model`].

use std::path::Path;

use super::model::*;
use super::raw;
use super::sections::{attach_changelog, resolve_changelog};
use super::toml_file::TomlFile;
use crate::error::{Diagnostic, Diagnostics, Result};

/// The changelog's file name, beside the manifest.
pub const CHANGELOG: &str = "changelog.toml";

/// Read and resolve the manifest at `path` and the changelog beside it.
pub fn load(path: &Path) -> Result<Model> {
    let text = read(
        path,
        "manifest",
        "pass --manifest PATH or run pkgforge where packages.toml is",
    )?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let changelog_path = dir.join(CHANGELOG);
    let unreadable = |e| {
        cannot_read(
            &changelog_path,
            "changelog",
            "create changelog.toml beside the manifest with one [[entry]] per upstream",
            e,
        )
    };
    match std::fs::read_to_string(&changelog_path) {
        Ok(changelog) => load_texts(path, text, changelog),
        // A manifest without upstreams (root filesystems with their own versions) has
        // no release to log: no changelog.toml is needed.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match load_texts(path, text, String::new()) {
                Ok(model) if model.upstreams.is_empty() => Ok(model),
                _ => Err(unreadable(e)),
            }
        }
        Err(e) => Err(unreadable(e)),
    }
}

/// Resolve a manifest and changelog given as text, as if read from `path` and the
/// changelog beside it: how `bump` validates its edits before writing them.
pub fn load_texts(path: &Path, manifest: String, changelog: String) -> Result<Model> {
    let (src, raw): (TomlFile, raw::Manifest) = TomlFile::parse(path, manifest)?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let changelog_path = dir.join(CHANGELOG);
    let mut cx = Cx {
        src: &src,
        errs: Diagnostics::default(),
    };
    let partial = cx.resolve(&raw, &dir);
    cx.errs.into_result()?;
    #[allow(
        clippy::expect_used,
        reason = "resolve returns no model only after reporting an error"
    )]
    let mut model = partial.expect("no errors means a model");

    let (csrc, rawlog): (TomlFile, raw::Changelog) = TomlFile::parse(&changelog_path, changelog)?;
    let entries = resolve_changelog(&csrc, &rawlog, &model)?;
    attach_changelog(&src, &mut model, &entries)?;
    super::vendored::attach(&mut model)?;
    Ok(model)
}

fn read(path: &Path, what: &str, note: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| cannot_read(path, what, note, e))
}

fn cannot_read(path: &Path, what: &str, note: &str, e: std::io::Error) -> crate::Error {
    Diagnostic::new(
        path,
        format!("cannot read the {what} `{}`: {e}", path.display()),
    )
    .note(note)
    .into()
}

/// A file being resolved: its text and what was found wrong in it so far. Resolvers keep
/// going after an error, so that one run reports all of them.
pub(in crate::manifest) struct Cx<'a> {
    pub(in crate::manifest) src: &'a TomlFile,
    pub(in crate::manifest) errs: Diagnostics,
}

impl Cx<'_> {
    /// The model of `raw`, read from `dir`; `None` when an error was reported.
    fn resolve(&mut self, raw: &raw::Manifest, dir: &Path) -> Option<Model> {
        let distros = self.distros(raw);
        let mut project = self.project(&raw.project, &distros);
        let upstreams = self.upstreams(raw, dir);
        let names = self.names(raw, &distros);
        self.toolchains(raw);
        self.toolchain_targets(raw, project.as_mut());
        self.name_clashes(raw);
        let rootfs = self.rootfs(raw, dir, &distros, project.as_ref(), &upstreams, &names);
        let packages = self.packages(raw, dir, project.as_ref(), &upstreams, &names, &rootfs);
        let archive = self.archive(raw, &upstreams);
        let project = project?;
        Some(Model {
            dir: dir.to_path_buf(),
            project,
            upstreams,
            packages,
            rootfs,
            archive,
            distros,
        })
    }
}
