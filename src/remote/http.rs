//! One HTTP client for every request: rustls, timeouts, a user agent.

use std::time::Duration;

use super::Error;

/// A blocking client with the timeouts pkgforge uses everywhere.
pub fn client(timeout: Duration) -> Result<reqwest::blocking::Client, Error> {
    reqwest::blocking::Client::builder()
        .user_agent(concat!("pkgforge/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout)
        .build()
        .map_err(|e| {
            // rustls checks servers against the system's store, which a minimal image lacks
            Error::Failed(format!(
                "cannot set up the HTTP client: {:#}\n  = note: when no CA certificates were \
                 loaded, install `ca-certificates` (Debian, Ubuntu, Fedora, CentOS) or \
                 `ca-certificates-mozilla` (openSUSE, SLE)",
                anyhow::Error::from(e)
            ))
        })
}

/// Why a download failed: the server said no (the file does not exist), or it could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("cannot download {url}: {reason}")]
    Network { url: String, reason: String },
}

/// Download `url` whole.
pub fn download(url: &str) -> Result<Vec<u8>, DownloadError> {
    let net = |e: &dyn std::fmt::Display| DownloadError::Network {
        url: url.to_string(),
        reason: e.to_string(),
    };
    let client = client(Duration::from_secs(600)).map_err(|e| net(&e))?;
    let resp = client.get(url).send().map_err(|e| net(&e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(DownloadError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let bytes = resp.bytes().map_err(|e| net(&e))?;
    Ok(bytes.to_vec())
}

/// Fail unless the response is a success, with the URL in the message.
pub fn check_status(url: &str, status: reqwest::StatusCode) -> Result<(), Error> {
    if !status.is_success() {
        return Err(Error::Status {
            url: url.to_string(),
            status,
        });
    }
    Ok(())
}
