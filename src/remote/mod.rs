//! Every network client pkgforge has: git remotes ([`git`]), the GitHub API ([`github`]
//! through [`fetch::Fetcher`]) and HTTP downloads ([`http`], and [`mirror`] for
//! repository metadata). What a request owes a server and its user lives here once:
//! timeouts and the user agent ([`http::client`]), retries with backoff on server and
//! network errors, short rate limits waited out and long ones reported, conditional
//! requests answered from a cache ([`cache`], [`mirror`]), and the credential policy.
//!
//! # Where the GitHub API base comes from, and where the token goes
//!
//! [`github_api`] picks the base: `PKGFORGE_GITHUB_API`, else `github-api` in the
//! manifest's `[project]`, else <https://api.github.com>. `GITHUB_TOKEN`, when set, is
//! sent only to the origin (scheme, host and port) of a base the environment chose:
//! `PKGFORGE_GITHUB_API`, or the public API when that is unset. A manifest is edited by
//! pull requests, so its `github-api` never receives the token: requests to a base that
//! only the manifest names, on another origin than the public API, go without it (public
//! repositories of a GitHub Enterprise server still answer; for private ones, set
//! `PKGFORGE_GITHUB_API` in the job's environment). A paginated answer whose next page
//! lies on another origin is refused, as are bodies that quote the token back (see
//! [`fetch`]).

pub(crate) mod cache;
pub(crate) mod fetch;
pub(crate) mod git;
pub(crate) mod github;
pub(crate) mod http;
pub(crate) mod mirror;

/// Why a request to an API failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The server answered with a status that is neither success nor worth a retry.
    #[error("{url} answered {status}")]
    Status {
        url: String,
        status: reqwest::StatusCode,
    },
    /// The server could not be reached, stayed rate limited, or its answer could not be
    /// used. The message names the URL, never a credential.
    #[error("{0}")]
    Failed(String),
    /// The HTTP client could not be set up, and what to install for it.
    #[error("{}", .0.body())]
    Client(Box<crate::error::Diagnostic>),
}

/// A GitHub API base and the token that may go to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GithubApi {
    pub base: String,
    /// `GITHUB_TOKEN`, when the policy above lets it go to `base`.
    pub token: Option<String>,
}

/// The GitHub API to ask, from `PKGFORGE_GITHUB_API` (`env_base`), the manifest's
/// `github-api` (`manifest_base`) and `GITHUB_TOKEN` (`token`), with the token only
/// where the environment chose the server (see the module documentation).
pub(crate) fn github_api(
    env_base: Option<&str>,
    manifest_base: Option<&str>,
    token: Option<&str>,
) -> GithubApi {
    let token = token.map(str::to_string);
    match (env_base, manifest_base) {
        (Some(base), _) => GithubApi {
            base: base.to_string(),
            token,
        },
        (None, Some(base)) => GithubApi {
            base: base.to_string(),
            token: token.filter(|_| github::same_origin(base, github::DEFAULT_API)),
        },
        (None, None) => GithubApi {
            base: github::DEFAULT_API.to_string(),
            token,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_only_where_the_environment_points() {
        let t = Some("ghp_token");
        let api = github_api(Some("https://ghe.example/api/v3"), Some("https://evil"), t);
        assert_eq!(api.base, "https://ghe.example/api/v3");
        assert_eq!(api.token.as_deref(), t);
        let api = github_api(None, Some("https://evil.example/api"), t);
        assert_eq!(api.base, "https://evil.example/api");
        assert_eq!(api.token, None);
        let api = github_api(None, Some("https://api.github.com/"), t);
        assert_eq!(api.token.as_deref(), t);
        let api = github_api(None, None, t);
        assert_eq!(api.base, github::DEFAULT_API);
        assert_eq!(api.token.as_deref(), t);
    }
}
