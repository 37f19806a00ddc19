//! The GitHub releases API: release notes for changelog entries and the release list
//! `watch` reads, both through the [`Fetcher`] (retries, rate limits, conditional
//! requests).

use super::fetch::{Fetcher, REDACTED};
use super::Error;

pub(crate) const DEFAULT_API: &str = "https://api.github.com";

/// The body of the release tagged `tag` in `repo` (`owner/name`), if GitHub has one.
/// Lines that hold the token the fetcher sends (or its redaction) are left out.
pub(crate) fn release_notes(
    fetcher: &Fetcher,
    api: &str,
    repo: &str,
    tag: &str,
    token: Option<&str>,
) -> Result<Option<String>, Error> {
    let url = format!(
        "{}/repos/{repo}/releases/tags/{tag}",
        api.trim_end_matches('/')
    );
    let page = match fetcher.get(&url) {
        Ok(page) => page,
        Err(Error::Status { status, .. }) if status == reqwest::StatusCode::NOT_FOUND => {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let json: serde_json::Value = serde_json::from_str(&page.body)
        .map_err(|_| Error::Failed(format!("{url} did not answer JSON")))?;
    Ok(json.get("body").and_then(|b| b.as_str()).map(|body| {
        let body = without_secret(body, token);
        match fetcher.has_token() {
            true => without_secret(&body, Some(REDACTED)),
            false => body,
        }
    }))
}

/// `text` without the lines that hold `secret`: a server that echoes the token it was sent
/// must not get it into a changelog, a commit or a log.
pub(crate) fn without_secret(text: &str, secret: Option<&str>) -> String {
    match secret.map(str::trim).filter(|s| s.len() >= 8) {
        Some(s) => text
            .lines()
            .filter(|l| !l.contains(s))
            .collect::<Vec<_>>()
            .join("\n"),
        None => text.to_string(),
    }
}

/// Whether two URLs have the same scheme, host and port: the token only goes to the
/// origin of the API base it was configured for.
pub(crate) fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// `scheme://host:port` of a URL, for messages (never its path, query or credentials).
fn origin(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "an invalid URL".to_string(),
    }
}

/// One release of the releases API.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
}

/// Every release of `repo`, following pagination.
pub(crate) fn releases(fetcher: &Fetcher, api: &str, repo: &str) -> Result<Vec<Release>, Error> {
    let mut url = Some(format!(
        "{}/repos/{repo}/releases?per_page=100",
        api.trim_end_matches('/')
    ));
    let mut out = Vec::new();
    let mut pages = 0;
    while let Some(u) = url.take() {
        pages += 1;
        if pages > 50 {
            return Err(Error::Failed(format!(
                "{repo}: more than 50 pages of releases"
            )));
        }
        let page = fetcher.get(&u)?;
        let list: Vec<Release> = serde_json::from_str(&page.body).map_err(|e| {
            Error::Failed(format!(
                "{u} answered JSON that is not a list of releases: {e}"
            ))
        })?;
        out.extend(list);
        // the next page goes out with the token: never to another server than the API's
        if let Some(next) = &page.next {
            if !same_origin(next, api) {
                return Err(Error::Failed(format!(
                    "{u} sent the next page to another server ({}); the token goes only to {}",
                    origin(next),
                    origin(api)
                )));
            }
        }
        url = page.next;
    }
    Ok(out)
}
