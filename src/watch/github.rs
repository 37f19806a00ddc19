//! The GitHub releases API: release notes for changelog entries.

use std::time::Duration;

use anyhow::Context as _;

pub const DEFAULT_API: &str = "https://api.github.com";

/// The body of the release tagged `tag` in `repo` (`owner/name`), if GitHub has one.
pub fn release_notes(
    api: &str,
    repo: &str,
    tag: &str,
    token: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let url = format!(
        "{}/repos/{repo}/releases/tags/{tag}",
        api.trim_end_matches('/')
    );
    let client = super::http::client(Duration::from_secs(30))?;
    let mut req = client
        .get(&url)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    // The URL is safe to show; the token never is.
    let resp = req
        .send()
        .map_err(|e| anyhow::anyhow!("cannot reach {url}: {}", e.without_url()))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    super::http::check_status(&url, resp.status())?;
    let json: serde_json::Value = resp
        .json()
        .with_context(|| format!("{url} did not answer JSON"))?;
    Ok(json
        .get("body")
        .and_then(|b| b.as_str())
        .map(|body| without_secret(body, token)))
}

/// `text` without the lines that hold `secret`: a server that echoes the token it was sent
/// must not get it into a changelog, a commit or a log.
pub fn without_secret(text: &str, secret: Option<&str>) -> String {
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
pub fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// The bullet points of release notes, as changelog lines: one line each, no markup that
/// specs would expand, at most `max` of them.
pub fn note_lines(body: &str, max: usize) -> Vec<String> {
    body.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("- ").or_else(|| l.strip_prefix("* ")))
        .map(|l| l.replace(['`', '\t'], "").trim().to_string())
        .filter(|l| !l.is_empty() && !l.chars().any(char::is_control))
        .filter(|l| !(l.contains("%{") || l.contains("%(") || l.contains("%[")))
        .take(max)
        .collect()
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
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
}

/// Every release of `repo`, following pagination.
pub fn releases(
    fetcher: &super::fetch::Fetcher,
    api: &str,
    repo: &str,
) -> Result<Vec<Release>, String> {
    let mut url = Some(format!(
        "{}/repos/{repo}/releases?per_page=100",
        api.trim_end_matches('/')
    ));
    let mut out = Vec::new();
    let mut pages = 0;
    while let Some(u) = url.take() {
        pages += 1;
        if pages > 50 {
            return Err(format!("{repo}: more than 50 pages of releases"));
        }
        let page = fetcher.get(&u)?;
        let list: Vec<Release> = serde_json::from_str(&page.body)
            .map_err(|e| format!("{u} answered JSON that is not a list of releases: {e}"))?;
        out.extend(list);
        // the next page goes out with the token: never to another server than the API's
        if let Some(next) = &page.next {
            if !same_origin(next, api) {
                return Err(format!(
                    "{u} sent the next page to another server ({}); the token goes only to {}",
                    origin(next),
                    origin(api)
                ));
            }
        }
        url = page.next;
    }
    Ok(out)
}
