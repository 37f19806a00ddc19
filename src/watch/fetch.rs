//! GET with the manners a scheduled job owes GitHub: conditional requests, timeouts,
//! retries with backoff on server and network errors, and waiting out short rate limits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::blocking::Client;
use reqwest::StatusCode;

use super::cache::{Cache, Entry};

pub struct Fetcher {
    client: Client,
    token: Option<String>,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The longest rate-limit wait accepted before giving up on an upstream.
    pub max_wait: Duration,
    /// The first backoff; doubled on each retry.
    pub backoff: Duration,
    pub cache: Mutex<Cache>,
    pub requests: AtomicUsize,
    pub not_modified: AtomicUsize,
}

/// One page of a JSON API answer.
pub struct Page {
    pub body: String,
    pub next: Option<String>,
}

impl Fetcher {
    pub fn new(timeout: Duration, token: Option<String>, cache: Cache) -> anyhow::Result<Fetcher> {
        Ok(Fetcher {
            client: super::http::client(timeout)?,
            token,
            attempts: 3,
            max_wait: Duration::from_secs(60),
            backoff: Duration::from_millis(250),
            cache: Mutex::new(cache),
            requests: AtomicUsize::new(0),
            not_modified: AtomicUsize::new(0),
        })
    }

    /// GET `url` as GitHub's API expects it, answered from the cache on 304.
    pub fn get(&self, url: &str) -> Result<Page, String> {
        let cached = self
            .cache
            .lock()
            .map(|c| c.entries.get(url).cloned())
            .unwrap_or(None);
        let mut delay = self.backoff;
        let mut last_error = String::new();
        for attempt in 1..=self.attempts.max(1) {
            let mut req = self
                .client
                .get(url)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28");
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            if let Some(c) = &cached {
                req = req.header("If-None-Match", &c.etag);
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let resp = match req.send() {
                Ok(r) => r,
                Err(e) => {
                    // reqwest's message names the URL, never a header, so the token stays out.
                    last_error = format!("cannot reach {url}: {}", describe(&e));
                    if attempt < self.attempts {
                        std::thread::sleep(delay);
                        delay *= 2;
                    }
                    continue;
                }
            };
            let status = resp.status();
            let header = |k: &str| {
                resp.headers()
                    .get(k)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if status == StatusCode::NOT_MODIFIED {
                if let Some(c) = cached {
                    self.not_modified.fetch_add(1, Ordering::Relaxed);
                    return Ok(Page {
                        body: c.body,
                        next: c.next,
                    });
                }
                last_error = format!("{url} answered 304 to a request that was not conditional");
                continue;
            }
            if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
                match rate_limit_wait(
                    header("retry-after"),
                    header("x-ratelimit-remaining"),
                    header("x-ratelimit-reset"),
                ) {
                    Some(wait) if wait <= self.max_wait && attempt < self.attempts => {
                        std::thread::sleep(wait);
                        last_error = format!("{url} rate limited the request");
                        continue;
                    }
                    Some(wait) => {
                        return Err(format!(
                            "{url} is rate limited for another {}s; try later or set GITHUB_TOKEN",
                            wait.as_secs()
                        ))
                    }
                    None => return Err(format!("{url} answered {status}")),
                }
            }
            if status.is_server_error() {
                last_error = format!("{url} answered {status}");
                if attempt < self.attempts {
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                continue;
            }
            if !status.is_success() {
                return Err(format!("{url} answered {status}"));
            }
            let etag = header("etag");
            let next = header("link").and_then(|l| next_link(&l));
            let body = match resp.text() {
                // a server quoting the token back must not get it into the cache file
                Ok(b) => match self.token.as_deref().map(str::trim) {
                    Some(t) if t.len() >= 8 => b.replace(t, "[redacted]"),
                    _ => b,
                },
                Err(e) => {
                    last_error = format!("cannot read the answer of {url}: {}", describe(&e));
                    continue;
                }
            };
            if serde_json::from_str::<serde_json::Value>(&body).is_err() {
                last_error = format!("{url} answered invalid JSON ({} bytes)", body.len());
                if attempt < self.attempts {
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                continue;
            }
            if let (Some(etag), Ok(mut c)) = (etag, self.cache.lock()) {
                c.entries.insert(
                    url.to_string(),
                    Entry {
                        etag,
                        body: body.clone(),
                        next: next.clone(),
                    },
                );
            }
            return Ok(Page { body, next });
        }
        Err(last_error)
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut short"
    } else {
        "request failed"
    };
    kind.to_string()
}

/// How long a 403/429 asks to wait, from `Retry-After` or an exhausted rate limit's reset time.
fn rate_limit_wait(
    retry_after: Option<String>,
    remaining: Option<String>,
    reset: Option<String>,
) -> Option<Duration> {
    if let Some(s) = retry_after.and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(s));
    }
    if remaining.as_deref().map(str::trim) == Some("0") || reset.is_some() {
        let reset: u64 = reset?.trim().parse().ok()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        return Some(Duration::from_secs(reset.saturating_sub(now)));
    }
    None
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        let l = r#"<https://api.github.com/repositories/1/releases?page=2>; rel="next", <https://api.github.com/repositories/1/releases?page=5>; rel="last""#;
        assert_eq!(
            next_link(l).as_deref(),
            Some("https://api.github.com/repositories/1/releases?page=2")
        );
        assert_eq!(next_link(r#"<x>; rel="prev""#), None);
    }

    #[test]
    fn waits() {
        assert_eq!(
            rate_limit_wait(Some("7".into()), None, None),
            Some(Duration::from_secs(7))
        );
        assert_eq!(rate_limit_wait(None, None, None), None);
        assert_eq!(
            rate_limit_wait(None, Some("0".into()), Some("0".into())),
            Some(Duration::from_secs(0))
        );
    }
}
