//! GET with the manners a scheduled job owes GitHub: conditional requests, timeouts,
//! retries with backoff on server and network errors, and waiting out short rate limits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::StatusCode;

use super::cache::{CachedResponse, ResponseCache};
use super::Error;

pub struct Fetcher {
    client: Client,
    token: Option<String>,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The longest rate-limit wait accepted before giving up on an upstream.
    pub max_wait: Duration,
    /// The first backoff; doubled on each retry.
    pub backoff: Duration,
    pub cache: Mutex<ResponseCache>,
    pub requests: AtomicUsize,
    pub not_modified: AtomicUsize,
}

/// One page of a JSON API answer.
pub(crate) struct Page {
    pub body: String,
    pub next: Option<String>,
}

impl Fetcher {
    /// A fetcher that sends `token` with every request: pass only a token the API-base
    /// policy lets go to the URLs it will be asked for ([`super::github_api`]).
    pub(crate) fn new(
        timeout: Duration,
        token: Option<String>,
        cache: ResponseCache,
    ) -> crate::Result<Fetcher> {
        Ok(Fetcher {
            client: super::http::client(timeout).map_err(anyhow::Error::from)?,
            token,
            attempts: super::http::ATTEMPTS,
            max_wait: Duration::from_secs(60),
            backoff: super::http::BACKOFF,
            cache: Mutex::new(cache),
            requests: AtomicUsize::new(0),
            not_modified: AtomicUsize::new(0),
        })
    }

    /// GET `url` as GitHub's API expects it, answered from the cache on 304.
    pub(crate) fn get(&self, url: &str) -> Result<Page, Error> {
        let cached = self
            .cache
            .lock()
            .map(|c| c.entries.get(url).cloned())
            .unwrap_or(None);
        let mut delay = self.backoff;
        let mut last_error = String::new();
        for attempt in 1..=self.attempts.max(1) {
            let more = attempt < self.attempts;
            match self.attempt(url, cached.as_ref(), more)? {
                Attempt::Done(page) => return Ok(page),
                Attempt::Again(e) => last_error = e,
                Attempt::After(e) => {
                    last_error = e;
                    if more {
                        std::thread::sleep(delay);
                        delay *= 2;
                    }
                }
            }
        }
        Err(Error::Failed(last_error))
    }

    /// The GET of `url`: with the token when there is one, and conditional on the
    /// cached answer's ETag.
    fn request(&self, url: &str, cached: Option<&CachedResponse>) -> RequestBuilder {
        let mut req = self
            .client
            .get(url)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(c) = cached {
            req = req.header("If-None-Match", &c.etag);
        }
        req
    }

    /// One request; `more` tells whether another attempt may follow.
    fn attempt(
        &self,
        url: &str,
        cached: Option<&CachedResponse>,
        more: bool,
    ) -> Result<Attempt, Error> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = match self.request(url, cached).send() {
            Ok(r) => r,
            // reqwest's message names the URL, never a header, so the token stays out.
            Err(e) => {
                return Ok(Attempt::After(format!(
                    "cannot reach {url}: {}",
                    describe(&e)
                )))
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
            return Ok(match cached {
                Some(c) => {
                    self.not_modified.fetch_add(1, Ordering::Relaxed);
                    Attempt::Done(Page {
                        body: c.body.clone(),
                        next: c.next.clone(),
                    })
                }
                None => Attempt::Again(format!(
                    "{url} answered 304 to a request that was not conditional"
                )),
            });
        }
        if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
            let wait = rate_limit_wait(
                header("retry-after"),
                header("x-ratelimit-remaining"),
                header("x-ratelimit-reset"),
            );
            return match wait {
                Some(wait) if wait <= self.max_wait && more => {
                    std::thread::sleep(wait);
                    Ok(Attempt::Again(format!("{url} rate limited the request")))
                }
                Some(wait) => Err(Error::Failed(format!(
                    "{url} is rate limited for another {}s; try later or set GITHUB_TOKEN",
                    wait.as_secs()
                ))),
                None => Err(status_error(url, status)),
            };
        }
        if status.is_server_error() {
            return Ok(Attempt::After(format!("{url} answered {status}")));
        }
        if !status.is_success() {
            return Err(status_error(url, status));
        }
        let etag = header("etag");
        let next = header("link").and_then(|l| next_link(&l));
        let body = match resp.text() {
            Ok(b) => self.redacted(b),
            Err(e) => {
                return Ok(Attempt::Again(format!(
                    "cannot read the answer of {url}: {}",
                    describe(&e)
                )))
            }
        };
        if serde_json::from_str::<serde_json::Value>(&body).is_err() {
            return Ok(Attempt::After(format!(
                "{url} answered invalid JSON ({} bytes)",
                body.len()
            )));
        }
        if let (Some(etag), Ok(mut c)) = (etag, self.cache.lock()) {
            c.entries.insert(
                url.to_string(),
                CachedResponse {
                    etag,
                    body: body.clone(),
                    next: next.clone(),
                },
            );
        }
        Ok(Attempt::Done(Page { body, next }))
    }

    /// `body` with the token replaced by [`REDACTED`]: a server quoting the token back
    /// must not get it into the cache file.
    fn redacted(&self, body: String) -> String {
        match self.token.as_deref().map(str::trim) {
            Some(t) if t.len() >= 8 => body.replace(t, REDACTED),
            _ => body,
        }
    }

    /// Whether a token is sent with the requests.
    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }
}

/// What an answer quoting the token back holds in its place.
pub(crate) const REDACTED: &str = "[redacted]";

/// The outcome of one attempt that did not fail for good.
enum Attempt {
    Done(Page),
    /// Try again at once.
    Again(String),
    /// Try again after the backoff.
    After(String),
}

fn status_error(url: &str, status: StatusCode) -> Error {
    Error::Status {
        url: url.to_string(),
        status,
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
pub(crate) fn next_link(link: &str) -> Option<String> {
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
