//! Requests to the GitHub REST API: the headers GitHub asks for, pagination by the `Link`
//! header, waiting out rate limits for as long as the headers say (never spinning),
//! retries with a doubling backoff on 5xx and network failures, and each failure typed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::auth::{is_loopback, split_url, Token, TokenPolicy};
use crate::error::{Error, ErrorKind};
use crate::event::{Event, Events};

/// How long to wait, and how often to try again.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    /// The first wait after a 5xx or a network failure; doubled on each further attempt.
    pub retry_backoff: Duration,
    /// Attempts after the first, for 5xx and network failures.
    pub retries: u32,
    /// The wait after a secondary rate limit that names no time (GitHub: "at least one
    /// minute"); doubled each time it is hit again.
    pub min_rate_limit_wait: Duration,
    /// A rate limit that resets later than this is an error rather than a wait.
    pub max_rate_limit_wait: Duration,
    /// Rate-limit waits in a row for one request before giving up.
    pub rate_limit_waits: u32,
    /// Per request.
    pub timeout: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            retry_backoff: Duration::from_secs(1),
            retries: 4,
            min_rate_limit_wait: Duration::from_secs(60),
            // The primary limit resets within the hour.
            max_rate_limit_wait: Duration::from_secs(65 * 60),
            rate_limit_waits: 8,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Responses larger than this are refused (a page of 100 issues with long bodies is a few
/// MB).
const MAX_BODY: u64 = 64 << 20;

/// A client of one GitHub API (github.com or an Enterprise server).
#[derive(Debug)]
pub(crate) struct Api {
    agent: ureq::Agent,
    /// Without a trailing slash.
    base: String,
    token: Option<Token>,
    policy: TokenPolicy,
    timing: Timing,
}

/// One page of a listing.
struct Page {
    items: Vec<Value>,
    next: Option<String>,
}

impl Api {
    pub(crate) fn new(base: &str, token: Option<Token>, timing: Timing) -> Result<Api, Error> {
        let base = base.trim_end_matches('/').to_string();
        let parts = split_url(&base)
            .filter(|p| matches!(p.scheme, "https" | "http") && !p.host.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    &base,
                    "--github-api-url must be an http(s) URL",
                )
            })?;
        if parts.scheme == "http" && !is_loopback(parts.host) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                &base,
                "plain http only to loopback addresses (the token and the answers would travel in clear text)",
            ));
        }
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(timing.timeout))
            // Error statuses are answers to interpret (rate limits, 404), not failures.
            .http_status_as_error(false)
            .user_agent(concat!("leakscan/", env!("CARGO_PKG_VERSION")));
        if is_loopback(parts.host) {
            // A proxy from the environment would not reach this machine's loopback.
            config = config.proxy(None);
        }
        let policy = TokenPolicy::for_api(&base);
        Ok(Api {
            agent: config.build().into(),
            base,
            token,
            policy,
            timing,
        })
    }

    #[cfg(test)]
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub(crate) fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }

    pub(crate) fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// One JSON document at `path` (below the base URL).
    pub(crate) fn get(
        &self,
        path: &str,
        events: Events<'_>,
        cancel: &AtomicBool,
    ) -> Result<Value, Error> {
        let url = format!("{}{path}", self.base);
        let (body, _) = self.request(&url, events, cancel)?;
        self.parse(&url, &body)
    }

    /// Every item of a listing at `path`, following `Link: <…>; rel="next"` to the end.
    pub(crate) fn list(
        &self,
        path: &str,
        events: Events<'_>,
        cancel: &AtomicBool,
    ) -> Result<Vec<Value>, Error> {
        let mut url = format!("{}{path}", self.base);
        let mut items = Vec::new();
        // A server that links page after page forever is stopped somewhere.
        for _ in 0..100_000 {
            let page = self.page(&url, events, cancel)?;
            items.extend(page.items);
            match page.next {
                Some(next) => url = next,
                None => return Ok(items),
            }
        }
        Err(Error::new(
            ErrorKind::Corrupt,
            url,
            "more than 100000 pages",
        ))
    }

    fn page(&self, url: &str, events: Events<'_>, cancel: &AtomicBool) -> Result<Page, Error> {
        let (body, link) = self.request(url, events, cancel)?;
        let items = match self.parse(url, &body)? {
            Value::Array(items) => items,
            _ => return Err(Error::new(ErrorKind::Corrupt, url, "expected a JSON array")),
        };
        let next = match link.as_deref().and_then(next_link) {
            Some(next) if same_origin(&next, &self.base) => Some(next),
            // The token must not follow a link elsewhere.
            Some(next) => {
                return Err(Error::new(
                    ErrorKind::Corrupt,
                    url,
                    format!("next page on another host: {next}"),
                ))
            }
            None => None,
        };
        Ok(Page { items, next })
    }

    fn parse(&self, url: &str, body: &str) -> Result<Value, Error> {
        serde_json::from_str(body)
            .map_err(|e| Error::new(ErrorKind::Corrupt, url, format!("not JSON: {e}")))
    }

    /// One GET, with its waits and retries: the body and the `Link` header of a 2xx.
    fn request(
        &self,
        url: &str,
        events: Events<'_>,
        cancel: &AtomicBool,
    ) -> Result<(String, Option<String>), Error> {
        let secret = self.token.as_ref().map(Token::expose);
        let mut failures = 0u32;
        let mut rate_waits = 0u32;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::new(ErrorKind::Interrupted, url, ""));
            }
            let outcome = self.once(url);
            let retry_reason = match outcome {
                Ok(answer) if (200..300).contains(&answer.status) => {
                    return Ok((answer.body, answer.link))
                }
                Ok(answer) => {
                    if let Some(wait) =
                        rate_limit_wait(&answer, rate_waits, &self.timing, SystemTime::now())
                    {
                        if wait > self.timing.max_rate_limit_wait
                            || rate_waits >= self.timing.rate_limit_waits
                        {
                            return Err(Error::new(
                                ErrorKind::RateLimited,
                                url,
                                format!(
                                    "HTTP {}: the limit resets in {} s",
                                    answer.status,
                                    wait.as_secs()
                                ),
                            ));
                        }
                        rate_waits += 1;
                        events(Event::RateLimited {
                            wait,
                            until: SystemTime::now() + wait,
                        });
                        sleep(wait, cancel)
                            .map_err(|()| Error::new(ErrorKind::Interrupted, url, ""))?;
                        continue;
                    }
                    match answer.status {
                        500..=599 => format!("HTTP {}", answer.status),
                        status => {
                            return Err(status_error(url, status, &answer.body).scrubbed(secret))
                        }
                    }
                }
                Err(e) => e.to_string(),
            };
            if failures >= self.timing.retries {
                return Err(Error::new(
                    ErrorKind::Unreachable,
                    url,
                    format!("{retry_reason} (after {} attempts)", failures + 1),
                )
                .scrubbed(secret));
            }
            let wait = self
                .timing
                .retry_backoff
                .saturating_mul(1 << failures.min(16));
            failures += 1;
            events(Event::Retrying {
                what: url.to_string(),
                reason: scrub(&retry_reason, secret),
                wait,
            });
            sleep(wait, cancel).map_err(|()| Error::new(ErrorKind::Interrupted, url, ""))?;
        }
    }

    fn once(&self, url: &str) -> Result<Answer, ureq::Error> {
        let mut req = self
            .agent
            .get(url)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(token) = self.token.as_ref().filter(|_| self.policy.allows(url)) {
            req = req.header("Authorization", format!("Bearer {}", token.expose()));
        }
        let mut response = req.call()?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = response.status().as_u16();
        let link = header("link");
        let retry_after = header("retry-after");
        let remaining = header("x-ratelimit-remaining");
        let reset = header("x-ratelimit-reset");
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()?;
        Ok(Answer {
            status,
            link,
            retry_after,
            remaining,
            reset,
            body,
        })
    }
}

/// What one request got back.
#[derive(Debug, Default)]
struct Answer {
    status: u16,
    link: Option<String>,
    retry_after: Option<String>,
    remaining: Option<String>,
    reset: Option<String>,
    body: String,
}

/// How long to wait before asking again, if `answer` is a rate limit: primary (403/429
/// with `x-ratelimit-remaining: 0`: until `x-ratelimit-reset`), or secondary (`retry-after`
/// seconds; without it, at least the minimum wait, doubled each time). `None` for a 403
/// that is a plain refusal.
fn rate_limit_wait(
    answer: &Answer,
    waits_so_far: u32,
    timing: &Timing,
    now: SystemTime,
) -> Option<Duration> {
    if !matches!(answer.status, 403 | 429) {
        return None;
    }
    let at_least_a_second = |d: Duration| d.max(Duration::from_secs(1));
    if let Some(secs) = answer
        .retry_after
        .as_deref()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(at_least_a_second(Duration::from_secs(secs)));
    }
    if answer.remaining.as_deref().map(str::trim) == Some("0") {
        if let Some(reset) = answer
            .reset
            .as_deref()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            // One second past the reset: GitHub's clock and ours round differently.
            return Some(at_least_a_second(Duration::from_secs(
                reset.saturating_sub(now) + 1,
            )));
        }
    }
    let says_rate_limit = answer.body.to_ascii_lowercase().contains("rate limit");
    if answer.status == 429
        || says_rate_limit
        || answer.remaining.as_deref().map(str::trim) == Some("0")
    {
        return Some(at_least_a_second(
            timing
                .min_rate_limit_wait
                .saturating_mul(1 << waits_so_far.min(16)),
        ));
    }
    None
}

/// A final answer that is not a success.
fn status_error(url: &str, status: u16, body: &str) -> Error {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
        .unwrap_or_default();
    let kind = match status {
        401 => ErrorKind::AuthFailed,
        403 => ErrorKind::Forbidden,
        404 | 410 => ErrorKind::NotFound,
        _ => ErrorKind::Corrupt,
    };
    Error::new(kind, url, format!("HTTP {status}{message}"))
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

fn same_origin(a: &str, b: &str) -> bool {
    match (split_url(a), split_url(b)) {
        (Some(a), Some(b)) => {
            a.scheme.eq_ignore_ascii_case(b.scheme)
                && a.host.eq_ignore_ascii_case(b.host)
                && a.port == b.port
        }
        _ => false,
    }
}

pub(crate) fn scrub(text: &str, secret: Option<&str>) -> String {
    match secret.filter(|s| !s.is_empty()) {
        Some(s) => text.replace(s, "***"),
        None => text.to_string(),
    }
}

/// Sleeps `wait` in short steps, so that a cancellation ends it: `Err(())` then.
fn sleep(wait: Duration, cancel: &AtomicBool) -> Result<(), ()> {
    let step = Duration::from_millis(50);
    let end = std::time::Instant::now() + wait;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(());
        }
        let now = std::time::Instant::now();
        if now >= end {
            return Ok(());
        }
        std::thread::sleep(step.min(end - now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> Answer {
        Answer {
            status,
            ..Answer::default()
        }
    }

    #[test]
    fn next_links_are_read_from_the_link_header() {
        let h = r#"<https://api.github.com/organizations/1/repos?page=2>; rel="next", <https://api.github.com/organizations/1/repos?page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/organizations/1/repos?page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }

    #[test]
    fn rate_limits_wait_for_what_the_headers_say() {
        let t = Timing {
            min_rate_limit_wait: Duration::from_millis(10),
            ..Timing::default()
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut a = answer(403);
        a.remaining = Some("0".into());
        a.reset = Some("1000042".into());
        assert_eq!(
            rate_limit_wait(&a, 0, &t, now),
            Some(Duration::from_secs(43))
        );
        // A reset in the past still waits a second: never spin.
        a.reset = Some("999000".into());
        assert_eq!(
            rate_limit_wait(&a, 0, &t, now),
            Some(Duration::from_secs(1))
        );
        let mut b = answer(429);
        b.retry_after = Some("7".into());
        assert_eq!(
            rate_limit_wait(&b, 3, &t, now),
            Some(Duration::from_secs(7))
        );
        // Secondary without headers: the minimum (at least a second), doubling.
        let c = Answer {
            status: 403,
            body: r#"{"message":"You have exceeded a secondary rate limit"}"#.into(),
            ..Answer::default()
        };
        let long = Timing {
            min_rate_limit_wait: Duration::from_secs(60),
            ..t
        };
        assert_eq!(
            rate_limit_wait(&c, 0, &long, now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            rate_limit_wait(&c, 2, &long, now),
            Some(Duration::from_secs(240))
        );
        assert_eq!(
            rate_limit_wait(&c, 0, &t, now),
            Some(Duration::from_secs(1))
        );
        // A plain 403 is a refusal, not a limit.
        let d = Answer {
            status: 403,
            body: r#"{"message":"Resource not accessible by integration"}"#.into(),
            ..Answer::default()
        };
        assert_eq!(rate_limit_wait(&d, 0, &t, now), None);
        assert_eq!(rate_limit_wait(&answer(404), 0, &t, now), None);
    }

    #[test]
    fn statuses_become_kinds() {
        assert_eq!(status_error("u", 401, "{}").kind(), ErrorKind::AuthFailed);
        assert_eq!(
            status_error("u", 404, r#"{"message":"Not Found"}"#).reason(),
            "not found: HTTP 404: Not Found"
        );
        assert_eq!(status_error("u", 403, "").kind(), ErrorKind::Forbidden);
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Api::new("http://127.0.0.1:1", None, Timing::default()).is_ok());
        assert!(Api::new("http://api.github.com", None, Timing::default()).is_err());
        assert!(
            Api::new("https://ghe.example/api/v3/", None, Timing::default())
                .is_ok_and(|a| a.base() == "https://ghe.example/api/v3")
        );
    }
}
