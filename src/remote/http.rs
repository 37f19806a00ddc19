//! One HTTP client for every request (rustls, timeouts, a user agent), and whole-file
//! downloads retried with the same backoff as the API fetcher.

use std::time::Duration;

use super::Error;
use crate::error::Diagnostic;

/// A blocking client with the timeouts pkgforge uses everywhere.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::blocking::Client, Error> {
    reqwest::blocking::Client::builder()
        .user_agent(concat!("pkgforge/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout)
        .build()
        .map_err(|e| {
            // rustls checks servers against the system's store, which a minimal image lacks
            let message = format!(
                "cannot set up the HTTP client: {:#}",
                anyhow::Error::from(e)
            );
            Error::Client(Box::new(Diagnostic::plain(message).note(
                "when no CA certificates were loaded, install `ca-certificates` (Debian, \
                 Ubuntu, Fedora, CentOS) or `ca-certificates-mozilla` (openSUSE, SLE)",
            )))
        })
}

/// Why a download failed: the server said no (the file does not exist), or it could not be reached.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DownloadError {
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("cannot download {url}: {reason}")]
    Network { url: String, reason: String },
}

/// Attempts per request, the first included, for downloads and the API fetcher alike.
pub(crate) const ATTEMPTS: u32 = 3;

/// The first wait before a retry; doubled on each one.
pub(crate) const BACKOFF: Duration = Duration::from_millis(250);

/// Download `url` whole, retrying network errors and server errors (5xx) with backoff.
pub(crate) fn download(url: &str) -> Result<Vec<u8>, DownloadError> {
    download_reporting(url, &|_, _| {})
}

/// [`download`], telling `progress` the bytes received so far and the length the server
/// announced, as they arrive.
pub(crate) fn download_reporting(
    url: &str,
    progress: &dyn Fn(u64, Option<u64>),
) -> Result<Vec<u8>, DownloadError> {
    let client = client(Duration::from_secs(600)).map_err(|e| network(url, &e))?;
    let mut delay = BACKOFF;
    let mut attempt = 1;
    loop {
        match download_once(&client, url, progress) {
            Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                std::thread::sleep(delay);
                delay *= 2;
                attempt += 1;
            }
            result => return result,
        }
    }
}

fn download_once(
    client: &reqwest::blocking::Client,
    url: &str,
    progress: &dyn Fn(u64, Option<u64>),
) -> Result<Vec<u8>, DownloadError> {
    let mut resp = client.get(url).send().map_err(|e| network(url, &e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(DownloadError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let total = resp.content_length();
    let mut out = Vec::with_capacity(total.unwrap_or(0).min(1 << 28) as usize);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut resp, &mut buf).map_err(|e| network(url, &e))?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        progress(out.len() as u64, total);
    }
    Ok(out)
}

fn network(url: &str, e: &dyn std::fmt::Display) -> DownloadError {
    DownloadError::Network {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

impl DownloadError {
    /// Whether another attempt may succeed: the server could not be reached or failed.
    fn is_transient(&self) -> bool {
        match self {
            DownloadError::Network { .. } => true,
            DownloadError::Status { status, .. } => *status >= 500,
        }
    }
}

/// Fail unless the response is a success, with the URL in the message.
pub(crate) fn check_status(url: &str, status: reqwest::StatusCode) -> Result<(), Error> {
    if !status.is_success() {
        return Err(Error::Status {
            url: url.to_string(),
            status,
        });
    }
    Ok(())
}

/// Whether `url` exists, asked with a HEAD request: `Ok(true)` for a success, `Ok(false)`
/// for any other answer, an error when the server cannot be reached.
pub(crate) fn exists(url: &str, timeout: Duration) -> Result<bool, DownloadError> {
    let client = client(timeout).map_err(|e| network(url, &e))?;
    let resp = client.head(url).send().map_err(|e| network(url, &e))?;
    Ok(resp.status().is_success())
}
