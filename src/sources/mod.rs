//! `pkgforge sources`: the files each package's `_service` makes on OBS, made here from
//! the manifest's pins, byte for byte the same on every run.
//!
//! For a git upstream, as `obs_scm`, `set_version`, `tar` and `recompress` do: the pinned
//! commit's tree (fetched through git2, checked against the pin and the release tag) as
//! `<name>-<version>.obscpio` with `<name>.obsinfo`, and as `<name>-<version>.tar.xz`,
//! the Source0 of the spec and the `DEBTRANSFORM-TAR` of the `.dsc`. `set_version` has
//! nothing left to do: the version is rendered into the spec and the `.dsc` already.
//! With `vendor`, `go_modules` (`vendor.tar.gz`) or `cargo_vendor` (`vendor.tar.zst`):
//! the ecosystem's own client run where the module or workspace is ([`vendor`]), and the
//! vendored dependencies' licences read from what it wrote ([`licenses`]), for
//! `vendor-licenses.toml`.
//! For a tarball upstream, as `download_files` and `verify_file` do: the tarball,
//! refused unless its sha256 is the pinned one, and with `signature` its detached
//! signature, refused unless it verifies with the upstream's keyring.
//!
//! For an image package (`obs/<rootfs>-<base>-pkg/`, named with `--package`): the image
//! kiwi builds from the rendered description, packed as the package's source ([`image`]).
//!
//! Every archive has its entries sorted, owner 0/0, the commit's date as every mtime
//! and a fixed compression level ([`archive`]). What was made is kept by content in
//! [`CACHE_DIR`] beside the manifest (by commit, or by sha256), so a second run fetches
//! and vendors nothing.

pub(crate) mod archive;
pub(crate) mod image;
pub(crate) mod licenses;
pub(crate) mod vendor;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::error::{Error, Result};
use crate::manifest::{Model, Package, Upstream, UpstreamSource, Vendor, Vendored, VendoredSet};
use crate::remote;
use archive::{Compression, Entry, Kind};

/// The cache beside the manifest; it ignores itself in git (a `.gitignore` of `*`).
pub(crate) const CACHE_DIR: &str = ".pkgforge-sources-cache";

/// Bumped when what is made from the same pin changes, so old cache entries are not used.
const FORMAT: &str = "pkgforge-sources 1";

/// One package's files, kept in the cache until they are written to `obs/<package>/`.
#[derive(Debug)]
pub(crate) struct Made {
    pub package: String,
    /// (file name in `obs/<package>/`, where its bytes are in the cache).
    pub files: Vec<(String, PathBuf)>,
    /// Taken from the cache: nothing was fetched, downloaded or vendored.
    pub cached: bool,
}

/// How `make` reports what it does: one line at a time, and progress bars.
pub(crate) struct Report<'a> {
    pub say: &'a dyn Fn(&str),
    /// Show progress bars on stderr.
    pub progress: bool,
}

/// The files `package`'s `_service` makes, from the cache or made now.
pub(crate) fn make(model: &Model, package: &Package, report: &Report) -> Result<Made> {
    let upstream = model.upstream_of(package)?;
    let cache = cache_dir(&model.dir)?;
    match &upstream.source {
        UpstreamSource::Git { url, commit } => {
            from_git(&cache, model, package, upstream, url, commit, report)
        }
        UpstreamSource::Tarball { url, sha256, .. } => {
            from_tarball(&cache, package, upstream, url, sha256, report)
        }
    }
}

/// The source of the image package in `obs/<name>/`, when `name` is one: kiwi's image,
/// built now or taken from the cache ([`image`]).
pub(crate) fn make_image(model: &Model, name: &str, report: &Report) -> Option<Result<Made>> {
    let (rootfs, base) = image::find(model, name)?;
    let root = rustix::process::geteuid().is_root();
    if let Some(e) = image::refusal(name, rootfs, base, root) {
        return Some(Err(e));
    }
    Some(cache_dir(&model.dir).and_then(|cache| image::make(model, rootfs, base, &cache, report)))
}

/// The cache directory, made with its `.gitignore` when missing.
fn cache_dir(dir: &Path) -> Result<PathBuf> {
    let cache = crate::fsio::base(dir).join(CACHE_DIR);
    let ignore = cache.join(".gitignore");
    if !ignore.is_file() {
        crate::fsio::write_atomic(&ignore, b"*\n", false)?;
    }
    Ok(cache)
}

/// The files `package`'s `_service` makes that a build needs, each with the sha256 it
/// must have when the manifest pins one (a tarball's).
pub(crate) fn needed_files(
    model: &Model,
    package: &Package,
) -> Result<Vec<(String, Option<String>)>> {
    let upstream = model.upstream_of(package)?;
    Ok(match &upstream.source {
        UpstreamSource::Git { .. } => git_file_names(model, package)
            .into_iter()
            .filter(|n| !n.ends_with(".obscpio") && !n.ends_with(".obsinfo"))
            .map(|n| (n, None))
            .collect(),
        UpstreamSource::Tarball { url, sha256, .. } => vec![(
            crate::render::url_file_name(url).to_string(),
            Some(sha256.to_ascii_lowercase()),
        )],
    })
}

/// The files a git upstream's services make, in the order they are written.
fn git_file_names(model: &Model, package: &Package) -> Vec<String> {
    let stem = format!("{}-{}", package.name, package.version.rpm);
    let mut names = vec![
        format!("{stem}.obscpio"),
        format!("{}.obsinfo", package.name),
        crate::render::service::git_tarball(model, package),
    ];
    if let Some(v) = package.vendor {
        names.push(crate::render::service::vendor_archive(v).to_string());
    }
    names
}

/// Where the cache keeps what a git upstream's services make for `package` at `commit`.
fn made_dir(cache: &Path, model: &Model, package: &Package, commit: &str) -> PathBuf {
    let mut builds: Vec<&str> = package.targets.values().map(|t| t.build.as_str()).collect();
    builds.sort();
    builds.dedup();
    let key = crate::digest::sha256_hex(
        format!(
            "{FORMAT}\0{commit}\0{}\0{}\0{:?}\0{}\0{}",
            package.name,
            package.version.rpm,
            package.vendor,
            builds.join("\0"),
            crate::render::service::git_compression(model)
        )
        .as_bytes(),
    );
    cache.join("made").join(&key)
}

/// The file in a made directory with the vendored dependencies' licences, as the
/// package's entry of `vendor-licenses.toml`.
const LICENSES: &str = "vendor-licenses.toml";

/// The vendored dependencies' licences of `package`, from the cache, when it has a
/// vendor archive and `make` made it.
pub(crate) fn licenses_of(model: &Model, package: &Package) -> Result<Option<VendoredSet>> {
    let (Some(_), Ok(upstream)) = (package.vendor, model.upstream_of(package)) else {
        return Ok(None);
    };
    let UpstreamSource::Git { commit, .. } = &upstream.source else {
        return Ok(None);
    };
    let path = made_dir(&cache_dir(&model.dir)?, model, package, commit).join(LICENSES);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let mut record = crate::manifest::vendored::parse(&path, text)?;
    Ok(record.remove(&package.name))
}

fn from_git(
    cache: &Path,
    model: &Model,
    package: &Package,
    upstream: &Upstream,
    url: &str,
    commit: &str,
    report: &Report,
) -> Result<Made> {
    let names = git_file_names(model, package);
    let made_dir = made_dir(cache, model, package, commit);
    let files: Vec<(String, PathBuf)> = names
        .iter()
        .map(|n| (n.clone(), made_dir.join(n)))
        .collect();
    let licensed = package.vendor.is_none() || made_dir.join(LICENSES).is_file();
    if made_dir.join(".complete").is_file() && licensed && files.iter().all(|(_, p)| p.is_file()) {
        return Ok(Made {
            package: package.name.clone(),
            files,
            cached: true,
        });
    }
    check_tag(upstream, url, commit)?;
    let repo = fetch(cache, upstream, url, commit, report)?;
    let oid = git2::Oid::from_str(commit).map_err(|e| Error::Other(e.into()))?;
    let found = repo.find_commit(oid).map_err(|_| {
        Error::unverified(format!(
            "upstream `{}` {}: {url} has no commit {commit}",
            upstream.name, upstream.version.raw
        ))
        .with_note("the pinned commit is what the packages build; find out where it went before pinning another")
    })?;
    let mtime = found.time().seconds().max(0) as u64;
    let entries = tree_entries(&repo, &found).map_err(Error::Other)?;
    (report.say)(&format!(
        "{}: archiving {} at {}",
        package.name,
        upstream.name,
        &commit[..12.min(commit.len())]
    ));
    let stem = format!("{}-{}", package.name, package.version.rpm);
    let mut outputs: Vec<Vec<u8>> = Vec::new();
    let tree = archive::under(&stem, entries.clone());
    outputs.push(archive::cpio(&tree, mtime));
    outputs.push(
        format!(
            "name: {}\nversion: {}\nmtime: {mtime}\ncommit: {commit}\n",
            package.name, package.version.rpm
        )
        .into_bytes(),
    );
    let tar = archive::tar(&tree, mtime).map_err(Error::Other)?;
    drop(tree);
    // Compressed as the name the spec's Source0 and the service use says.
    let name = crate::render::service::git_tarball(model, package);
    let compression = Compression::of_file(&name)
        .ok_or_else(|| Error::Other(anyhow::anyhow!("{name}: no known compression")))?;
    outputs.push(archive::compress(&tar, compression).map_err(Error::Other)?);
    drop(tar);
    if let Some(v) = package.vendor {
        (report.say)(&format!(
            "{}: vendoring with {}",
            package.name,
            vendor_client(v)
        ));
        let (archive, deps) = vendor_archive(package, v, &entries, mtime)?;
        outputs.push(archive);
        let set = VendoredSet {
            version: package.version.raw.clone(),
            deps,
        };
        let record = std::iter::once((package.name.clone(), set)).collect();
        crate::fsio::write_atomic(
            &made_dir.join(LICENSES),
            crate::manifest::vendored::to_toml(&record).as_bytes(),
            false,
        )?;
    }
    for ((_, path), bytes) in files.iter().zip(&outputs) {
        crate::fsio::write_atomic(path, bytes, false)?;
    }
    crate::fsio::write_atomic(
        &made_dir.join(".complete"),
        names.join("\n").as_bytes(),
        false,
    )?;
    Ok(Made {
        package: package.name.clone(),
        files,
        cached: false,
    })
}

fn vendor_client(v: Vendor) -> &'static str {
    match v {
        Vendor::Go => "go mod vendor",
        Vendor::Cargo => "cargo vendor",
    }
}

/// The vendor archive: the tree exported to a temporary directory, the client run where
/// the module or workspace is, its `vendor/` archived and compressed as the service does;
/// and the licences of what it vendored.
fn vendor_archive(
    package: &Package,
    v: Vendor,
    entries: &[Entry],
    mtime: u64,
) -> Result<(Vec<u8>, Vec<Vendored>)> {
    let tmp = io(
        tempfile::Builder::new()
            .prefix("pkgforge-sources")
            .tempdir(),
        || "cannot create a temporary directory".to_string(),
    )?;
    let tree = tmp.path().join("tree");
    export(&tree, entries).map_err(Error::Other)?;
    let dir = vendor::workspace(&tree, package, v)?;
    let scratch = tmp.path().join("out");
    io(std::fs::create_dir_all(&scratch), || {
        "cannot create a temporary directory".to_string()
    })?;
    let vendored = vendor::vendor(&tree, &dir, v, &scratch, &package.name)?;
    let deps = licenses::scan(&scratch.join("vendor"), v);
    let tar = archive::tar(&vendored, mtime).map_err(Error::Other)?;
    let how = match v {
        Vendor::Go => Compression::Gz,
        Vendor::Cargo => Compression::Zst,
    };
    Ok((archive::compress(&tar, how).map_err(Error::Other)?, deps))
}

/// Write `entries` under `root`.
fn export(root: &Path, entries: &[Entry]) -> anyhow::Result<()> {
    std::fs::create_dir_all(root)?;
    for e in entries {
        let path = root.join(&e.path);
        match &e.kind {
            Kind::Dir => std::fs::create_dir_all(&path)?,
            Kind::File { executable } => {
                std::fs::write(&path, &e.data)?;
                if *executable {
                    use std::os::unix::fs::PermissionsExt as _;
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
                }
            }
            Kind::Symlink(target) => std::os::unix::fs::symlink(target, &path)?,
        }
    }
    Ok(())
}

/// Refuse a release tag that no longer points to the pinned commit. A repository
/// without a tag for the version (a pin by commit alone) passes.
fn check_tag(upstream: &Upstream, url: &str, commit: &str) -> Result<()> {
    let tags = remote::git::remote_tags(url)
        .map_err(|e| Error::unreachable(format!("upstream `{}`: {e}", upstream.name)))?;
    let version = &upstream.version.raw;
    let tag = tags
        .keys()
        .find(|t| upstream.version_of_tag(t).as_deref() == Some(version.as_str()));
    match tag.and_then(|t| tags.get(t).map(|at| (t, at))) {
        Some((tag, at)) if at != commit => Err(Error::unverified(format!(
            "upstream `{}` {version}: tag {tag} points to {at}, not to the pinned commit {commit}",
            upstream.name
        ))
        .with_note("nothing was written; find out why the tag moved (`pkgforge verify` audits every pin) before pinning another commit")),
        _ => Ok(()),
    }
}

/// The cache's bare repository for `url`, holding `commit` (fetched when it did not).
fn fetch(
    cache: &Path,
    upstream: &Upstream,
    url: &str,
    commit: &str,
    report: &Report,
) -> Result<git2::Repository> {
    let name = crate::digest::sha256_hex(url.as_bytes());
    let path = cache.join("git").join(&name[..16]);
    let repo = match git2::Repository::open_bare(&path) {
        Ok(r) => r,
        Err(_) => git2::Repository::init_bare(&path)
            .with_context(|| format!("cannot create the repository `{}`", path.display()))
            .map_err(Error::Other)?,
    };
    let bar = report.progress.then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} objects")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(format!("fetching {}", upstream.name));
        b
    });
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    (report.say)(&format!("fetching {url}"));
    let fetched = remote::git::fetch_commit(&repo, url, commit, &progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    fetched.map_err(|e| Error::unreachable(format!("upstream `{}`: {e}", upstream.name)))?;
    Ok(repo)
}

/// The tree of `commit` as entries (blobs, executables, symlinks, directories), sorted;
/// submodules are left out, as a checkout without them has empty directories there.
fn tree_entries(repo: &git2::Repository, commit: &git2::Commit) -> anyhow::Result<Vec<Entry>> {
    let tree = commit.tree()?;
    let mut entries = Vec::new();
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
        let path = format!("{dir}{}", e.name().unwrap_or_default());
        let result = (|| -> anyhow::Result<Option<Entry>> {
            Ok(match e.kind() {
                Some(git2::ObjectType::Tree) => Some(Entry {
                    path,
                    kind: Kind::Dir,
                    data: Vec::new(),
                }),
                Some(git2::ObjectType::Blob) => {
                    let blob = repo.find_blob(e.id())?;
                    let data = blob.content().to_vec();
                    Some(match e.filemode() {
                        0o120000 => Entry {
                            path,
                            kind: Kind::Symlink(String::from_utf8_lossy(&data).into_owned()),
                            data: Vec::new(),
                        },
                        mode => Entry {
                            path,
                            kind: Kind::File {
                                executable: mode == 0o100755,
                            },
                            data,
                        },
                    })
                }
                _ => None,
            })
        })();
        match result {
            Ok(Some(entry)) => {
                entries.push(entry);
                git2::TreeWalkResult::Ok
            }
            Ok(None) => git2::TreeWalkResult::Skip,
            Err(err) => {
                failure = Some(err);
                git2::TreeWalkResult::Abort
            }
        }
    })
    .or_else(|e| match failure.is_some() {
        true => Ok(()),
        false => Err(e),
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    archive::sort(&mut entries);
    Ok(entries)
}

/// The tarball, and with `signature` its detached signature (`download_files` fetches
/// every URL the spec's `Source` tags name), checked with the upstream's keyring.
fn from_tarball(
    cache: &Path,
    package: &Package,
    upstream: &Upstream,
    url: &str,
    sha256: &str,
    report: &Report,
) -> Result<Made> {
    let file = crate::render::url_file_name(url).to_string();
    let kept = cache.join("sha256").join(sha256.to_ascii_lowercase());
    let version = &upstream.version.raw;
    let signature = upstream.signature_url(version).map(|u| {
        let name = crate::render::url_file_name(&u).to_string();
        let path = cache
            .join("sha256")
            .join(format!("{}.sig", sha256.to_ascii_lowercase()))
            .join(&name);
        (u, name, path)
    });
    let made = |cached| Made {
        package: package.name.clone(),
        files: std::iter::once((file.clone(), kept.clone()))
            .chain(signature.iter().map(|(_, n, p)| (n.clone(), p.clone())))
            .collect(),
        cached,
    };
    if let Ok(bytes) = std::fs::read(&kept) {
        let signed = signature.as_ref().is_none_or(|(_, _, p)| p.is_file());
        if signed && crate::digest::sha256_hex(&bytes).eq_ignore_ascii_case(sha256) {
            return Ok(made(true));
        }
    }
    (report.say)(&format!("downloading {url}"));
    let bar = report.progress.then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(file.clone());
        b
    });
    let progress = |done: u64, total: Option<u64>| {
        if let Some(b) = &bar {
            b.set_length(total.unwrap_or(done));
            b.set_position(done);
        }
    };
    let bytes = remote::http::download_reporting(url, &progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let bytes = bytes.map_err(|e| match e {
        remote::http::DownloadError::Status { .. }
        | remote::http::DownloadError::Network { .. } => {
            Error::unreachable(format!("package `{}`: {e}", package.name))
        }
    })?;
    let got = crate::digest::sha256_hex(&bytes);
    if !got.eq_ignore_ascii_case(sha256) {
        return Err(Error::unverified(format!(
            "package `{}`: {url} has sha256 {got}, not the pinned {sha256}",
            package.name
        ))
        .with_note("nothing was written; the upstream changed the file behind the URL: find out why before pinning the new checksum (`pkgforge verify` audits every pin)"));
    }
    if let Some((sig_url, _, path)) = &signature {
        (report.say)(&format!("downloading {sig_url}"));
        let now = jiff::Timestamp::now().as_second();
        crate::verify::tarball(upstream, version, &bytes, now)?;
        let sig = remote::http::download(sig_url)
            .map_err(|e| Error::unreachable(format!("package `{}`: {e}", package.name)))?;
        crate::fsio::write_atomic(path, &sig, false)?;
    }
    crate::fsio::write_atomic(&kept, &bytes, false)?;
    Ok(made(false))
}

/// Put `made`'s files into `obs/<package>/` below the manifest's directory `dir`, each
/// write atomic and only when the content differs, with a `.gitignore` that keeps them
/// (and itself) out of git; osc leaves dot files out of what it uploads. The files
/// written, relative to `dir`.
pub(crate) fn write(dir: &Path, made: &Made) -> Result<Vec<PathBuf>> {
    let rel_dir = PathBuf::from("obs").join(&made.package);
    let out_dir = crate::fsio::base(dir).join(&rel_dir);
    let mut ignore = String::from(
        "# Written by `pkgforge sources`: what the _service makes, made from the pins.\n/.gitignore\n",
    );
    let mut written = Vec::new();
    for (name, cached) in &made.files {
        ignore.push_str(&format!("/{name}\n"));
        let bytes = io(std::fs::read(cached), || {
            format!("cannot read `{}`", cached.display())
        })?;
        let target = out_dir.join(name);
        if std::fs::read(&target).ok().as_deref() == Some(&bytes[..]) {
            continue;
        }
        crate::fsio::write_atomic_in(dir, &target, &bytes, false)?;
        written.push(rel_dir.join(name));
    }
    let target = out_dir.join(".gitignore");
    if std::fs::read(&target).ok().as_deref() != Some(ignore.as_bytes()) {
        crate::fsio::write_atomic_in(dir, &target, ignore.as_bytes(), false)?;
        written.push(rel_dir.join(".gitignore"));
    }
    Ok(written)
}

/// An I/O result with what was being done.
fn io<T>(r: std::io::Result<T>, what: impl FnOnce() -> String) -> Result<T> {
    r.map_err(|e| Error::Other(anyhow::Error::new(e).context(what())))
}
