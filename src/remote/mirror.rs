//! Repository metadata downloads for `resolve`: conditional requests for the files that
//! change in place (Debian's `InRelease`, rpm-md's `repomd.xml`), a content-addressed
//! cache for the indexes they name by checksum, so an unchanged repository costs one
//! 304 and a changed one only the indexes that changed. The cache lives beside the
//! manifest in [`DIR`].

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::http::{self, DownloadError};
use crate::digest::sha256_hex;

/// The cache directory, relative to the manifest's directory.
pub(crate) const DIR: &str = ".pkgforge-resolve-cache";
const INDEX: &str = "validators.json";

/// What a server said about a file the last time: its validators and where the body is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Validators {
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    /// The body's sha256, its file name in the cache.
    sha256: String,
}

pub(crate) struct Mirror {
    client: reqwest::blocking::Client,
    dir: PathBuf,
    validators: Mutex<BTreeMap<String, Validators>>,
    /// Show a progress bar for long downloads (stderr is a terminal and not `-q`).
    pub progress: bool,
    pub requests: AtomicUsize,
    pub not_modified: AtomicUsize,
    /// Indexes found in the cache by checksum, without a request.
    pub cached: AtomicUsize,
}

impl Mirror {
    /// The downloader for the manifest directory `dir`; a corrupt validator file is
    /// discarded (the files are then checked again, nothing is lost but a request).
    pub(crate) fn new(dir: &Path, timeout: Duration) -> crate::Result<Mirror> {
        let dir = dir.join(DIR);
        let validators = std::fs::read_to_string(dir.join(INDEX))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Ok(Mirror {
            client: http::client(timeout).map_err(anyhow::Error::from)?,
            dir,
            validators: Mutex::new(validators),
            progress: std::io::stderr().is_terminal(),
            requests: AtomicUsize::new(0),
            not_modified: AtomicUsize::new(0),
            cached: AtomicUsize::new(0),
        })
    }

    /// Write the validators back, so the next run asks conditionally.
    pub(crate) fn save(&self) -> crate::fsio::Result<()> {
        let path = self.dir.join(INDEX);
        let cannot = |e: std::io::Error| {
            crate::fsio::Error::new(format!("cannot write `{}`", path.display()), e)
        };
        let v = self
            .validators
            .lock()
            .map_err(|_| cannot(std::io::Error::other("the validator table was poisoned")))?;
        let text = serde_json::to_string_pretty(&*v).map_err(|e| cannot(e.into()))?;
        crate::fsio::write_atomic(&path, text.as_bytes(), false)
    }

    fn blob(&self, sha256: &str) -> PathBuf {
        self.dir.join("sha256").join(sha256)
    }

    fn store(&self, bytes: &[u8]) -> crate::fsio::Result<String> {
        let sha = sha256_hex(bytes);
        let path = self.blob(&sha);
        if !path.exists() {
            crate::fsio::write_atomic(&path, bytes, false)?;
        }
        Ok(sha)
    }

    /// A file that may change in place: ask with the validators of the last answer, and
    /// take the cached body on 304. `Ok(None)` when the server has no such file.
    pub(crate) fn get(&self, url: &str) -> Result<Option<Vec<u8>>, DownloadError> {
        if let Some(path) = url.strip_prefix("file://") {
            return local(url, path);
        }
        let known = self
            .validators
            .lock()
            .ok()
            .and_then(|v| v.get(url).cloned())
            .filter(|v| self.blob(&v.sha256).exists());
        let mut req = self.client.get(url);
        if let Some(v) = &known {
            if let Some(e) = &v.etag {
                req = req.header("If-None-Match", e);
            }
            if let Some(m) = &v.last_modified {
                req = req.header("If-Modified-Since", m);
            }
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().map_err(|e| network(url, &e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            if let Some(v) = known {
                if let Ok(bytes) = std::fs::read(self.blob(&v.sha256)) {
                    self.not_modified.fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(bytes));
                }
            }
            return Err(DownloadError::Network {
                url: url.to_string(),
                reason: "answered 304 to a request that was not conditional".to_string(),
            });
        }
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(DownloadError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let header = |k: &str| {
            resp.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, last_modified) = (header("etag"), header("last-modified"));
        let bytes = self.body(url, resp)?;
        if etag.is_some() || last_modified.is_some() {
            if let Ok(sha256) = self.store(&bytes) {
                if let Ok(mut v) = self.validators.lock() {
                    v.insert(
                        url.to_string(),
                        Validators {
                            etag,
                            last_modified,
                            sha256,
                        },
                    );
                }
            }
        }
        Ok(Some(bytes))
    }

    /// A file named by its checksum (a Debian `Packages.xz`, an rpm-md `primary.xml.gz`):
    /// from the cache when it holds those bytes, else downloaded and checked.
    pub(crate) fn get_verified(&self, url: &str, sha256: &str) -> Result<Vec<u8>, DownloadError> {
        if let Ok(bytes) = std::fs::read(self.blob(sha256)) {
            if sha256_hex(&bytes) == sha256 {
                self.cached.fetch_add(1, Ordering::Relaxed);
                return Ok(bytes);
            }
        }
        let bytes = match url.strip_prefix("file://") {
            Some(path) => local(url, path)?.ok_or_else(|| DownloadError::Status {
                url: url.to_string(),
                status: 404,
            })?,
            None => {
                self.requests.fetch_add(1, Ordering::Relaxed);
                let resp = self.client.get(url).send().map_err(|e| network(url, &e))?;
                if !resp.status().is_success() {
                    return Err(DownloadError::Status {
                        url: url.to_string(),
                        status: resp.status().as_u16(),
                    });
                }
                self.body(url, resp)?
            }
        };
        let got = sha256_hex(&bytes);
        if got != sha256 {
            return Err(DownloadError::Network {
                url: url.to_string(),
                reason: format!("its sha256 is {got}, the repository's index says {sha256}"),
            });
        }
        // A cache that cannot be written only costs the next run a download.
        let _ = self.store(&bytes);
        Ok(bytes)
    }

    /// Read a body, with a progress bar on stderr when it is long.
    fn body(
        &self,
        url: &str,
        mut resp: reqwest::blocking::Response,
    ) -> Result<Vec<u8>, DownloadError> {
        let len = resp.content_length();
        let bar = match (self.progress, len) {
            (true, Some(n)) if n > 1 << 20 => {
                let b = indicatif::ProgressBar::new(n);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b.set_message(url.rsplit('/').take(3).collect::<Vec<_>>().join(" < "));
                Some(b)
            }
            _ => None,
        };
        let mut out = Vec::with_capacity(len.unwrap_or(0).min(1 << 28) as usize);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = resp.read(&mut buf).map_err(|e| DownloadError::Network {
                url: url.to_string(),
                reason: format!("the answer was cut short: {e}"),
            })?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if let Some(b) = &bar {
                b.inc(n as u64);
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        Ok(out)
    }
}

fn network(url: &str, e: &reqwest::Error) -> DownloadError {
    let reason = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    DownloadError::Network {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

fn local(url: &str, path: &str) -> Result<Option<Vec<u8>>, DownloadError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(DownloadError::Network {
            url: url.to_string(),
            reason: e.to_string(),
        }),
    }
}
