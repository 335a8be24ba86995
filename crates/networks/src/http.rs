//! The HTTP client every connector shares, and how an HTTP outcome becomes a [`ConnectorError`].
//!
//! - One `reqwest` client per connector: connect and total timeouts, the user agent
//!   `Owlery/<version>`, redirects followed only within the same origin (a token must never be sent
//!   on to another host), TLS through rustls with its `ring` provider.
//! - [`classify_status`] turns a status and its headers into an error: 401 → `Auth`, 429 →
//!   `RateLimited` (when to try again from `Retry-After` or the rate-limit headers), 408/5xx →
//!   `Temporary`, other 4xx → `Permanent`.
//! - [`classify_transport`] turns a `reqwest` error into an error: nothing sent (connect, DNS, a bad
//!   URL) → `Temporary`/`Permanent`; a failure once the request may have reached the server (timeout,
//!   reset) → `Unknown` for a request with side effects, `Temporary` for a read.
//!
//! Time is a parameter (`now`) wherever a header holds a point in time, so the parsing is testable.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};

use crate::ConnectorError;

/// Timeouts of the shared client.
#[derive(Clone, Copy, Debug)]
pub struct HttpConfig {
    /// Establishing the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// The whole request, from sending to the end of the response body.
    pub timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
        }
    }
}

/// `Owlery/<version>`, sent with every request.
pub const USER_AGENT: &str = concat!("Owlery/", env!("CARGO_PKG_VERSION"));

/// Redirects followed at most (all within the origin of the first request).
const MAX_REDIRECTS: usize = 5;

/// The shared client: timeouts, user agent, same-origin redirects only.
pub fn client(config: HttpConfig) -> Result<reqwest::Client, ConnectorError> {
    // reqwest is built without a default crypto provider: install rustls' ring provider for the
    // process (an error only means one is installed already, which is fine).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if same_origin {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(redirects)
        .build()
        .map_err(|e| ConnectorError::Permanent {
            reason: format!("could not build the HTTP client: {e}"),
        })
}

/// Whether repeating a request is harmless: decides what a failure after sending means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// A read (or an idempotent write): if it failed midway, just try again.
    Read,
    /// A write with a side effect: if it failed after sending, the outcome is unknown.
    Write,
}

/// A transport failure (no HTTP status) as a connector error.
pub fn classify_transport(err: &reqwest::Error, effect: Effect) -> ConnectorError {
    // Never include the URL's query in messages: strip it from the error.
    let what = without_url(err);
    if err.is_builder() {
        ConnectorError::Permanent {
            reason: format!("the request could not be built ({what}): check the service URL"),
        }
    } else if err.is_connect() {
        ConnectorError::Temporary {
            reason: format!("could not connect ({what})"),
            retry_after: None,
        }
    } else if err.is_redirect() {
        ConnectorError::Permanent {
            reason: format!("redirected elsewhere ({what}): check the service URL"),
        }
    } else if effect == Effect::Read {
        ConnectorError::Temporary {
            reason: format!("the request failed ({what})"),
            retry_after: None,
        }
    } else {
        ConnectorError::Unknown {
            reason: format!(
                "the request failed after it may have reached the server ({what}); \
                 look the result up before sending it again"
            ),
        }
    }
}

fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        let mut short = url.clone();
        short.set_query(None);
        text = text.replace(url.as_str(), short.as_str());
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An HTTP error status (and its headers) as a connector error. `reason` is what the server said,
/// already made readable by the network's module.
pub fn classify_status(
    status: StatusCode,
    headers: &HeaderMap,
    reason: &str,
    now: SystemTime,
) -> ConnectorError {
    let reason = if reason.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {reason}")
    };
    let retry_after = retry_after(headers, now);
    match status.as_u16() {
        401 => ConnectorError::Auth { reason },
        429 => ConnectorError::RateLimited {
            retry_after: retry_after.or_else(|| rate_limit(headers, now).and_then(|r| r.reset)),
        },
        408 | 425 => ConnectorError::Temporary {
            reason,
            retry_after,
        },
        500..=599 => ConnectorError::Temporary {
            reason,
            retry_after,
        },
        _ => ConnectorError::Permanent { reason },
    }
}

/// `Retry-After` as a wait from `now`: delay-seconds or an HTTP-date (a date in the past is 0).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = header_str(headers, &reqwest::header::RETRY_AFTER)?;
    parse_retry_after(value, now)
}

/// Parses a `Retry-After` value (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What a response said about the caller's rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// How long until the window resets, from `now`.
    pub reset: Option<Duration>,
}

/// The rate-limit headers, in any of the common spellings: `RateLimit-*` (IETF draft; Bluesky),
/// `X-RateLimit-*` (Mastodon: reset as an ISO 8601 time), `X-Rate-Limit-*` (X: reset as Unix
/// seconds). A reset is read as Unix seconds when it is large, as delta seconds when small, or as an
/// RFC 3339 time. `None` when no such header is present.
pub fn rate_limit(headers: &HeaderMap, now: SystemTime) -> Option<RateLimit> {
    const PREFIXES: [&str; 3] = ["ratelimit-", "x-ratelimit-", "x-rate-limit-"];
    for prefix in PREFIXES {
        let get = |suffix: &str| {
            HeaderName::from_bytes(format!("{prefix}{suffix}").as_bytes())
                .ok()
                .and_then(|name| header_str(headers, &name).map(str::to_owned))
        };
        let limit = get("limit").and_then(|v| leading_number(&v));
        let remaining = get("remaining").and_then(|v| leading_number(&v));
        let reset = get("reset").and_then(|v| parse_reset(&v, now));
        if limit.is_some() || remaining.is_some() || reset.is_some() {
            return Some(RateLimit {
                limit,
                remaining,
                reset,
            });
        }
    }
    None
}

/// `300` or `300;w=300` (the draft's policy parameters) → 300.
fn leading_number(value: &str) -> Option<u64> {
    value
        .split([';', ','])
        .next()
        .and_then(|n| n.trim().parse().ok())
}

/// Values above this are Unix timestamps, below it delta seconds (10^9 s is 2001-09-09).
const UNIX_TIME_THRESHOLD: u64 = 1_000_000_000;

fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(n) = leading_number(value) {
        if n < UNIX_TIME_THRESHOLD {
            return Some(Duration::from_secs(n));
        }
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(n);
        return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
    }
    let at = chrono::DateTime::parse_from_rfc3339(value).ok()?;
    let at: SystemTime = at.with_timezone(&chrono::Utc).into();
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    /// 2015-10-21T07:28:00Z
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480)
    }

    #[test]
    fn retry_after_seconds_and_http_dates() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now()),
            Some(Duration::from_secs(120))
        );
        // obsolete RFC 850 and asctime forms are HTTP-dates too
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now()),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:30 2015", now()),
            Some(Duration::from_secs(30))
        );
        // in the past: retry now
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-5", now()), None);
        assert_eq!(parse_retry_after("", now()), None);
    }

    #[test]
    fn rate_limit_headers_in_each_spelling() {
        // Bluesky: RateLimit-Reset in Unix seconds, policy parameters on the limit
        let h = headers(&[
            ("ratelimit-limit", "3000"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "1445412780"),
            ("ratelimit-policy", "3000;w=300"),
        ]);
        assert_eq!(
            rate_limit(&h, now()),
            Some(RateLimit {
                limit: Some(3000),
                remaining: Some(0),
                reset: Some(Duration::from_secs(300)),
            })
        );
        // IETF draft: delta seconds
        let h = headers(&[("ratelimit-reset", "42")]);
        assert_eq!(
            rate_limit(&h, now()).and_then(|r| r.reset),
            Some(Duration::from_secs(42))
        );
        // Mastodon: ISO 8601 time
        let h = headers(&[
            ("x-ratelimit-limit", "300"),
            ("x-ratelimit-remaining", "299"),
            ("x-ratelimit-reset", "2015-10-21T07:33:00.000Z"),
        ]);
        assert_eq!(
            rate_limit(&h, now()),
            Some(RateLimit {
                limit: Some(300),
                remaining: Some(299),
                reset: Some(Duration::from_secs(300)),
            })
        );
        // X: Unix seconds
        let h = headers(&[("x-rate-limit-reset", "1445412490")]);
        assert_eq!(
            rate_limit(&h, now()).and_then(|r| r.reset),
            Some(Duration::from_secs(10))
        );
        assert_eq!(rate_limit(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn statuses_become_errors() {
        let none = HeaderMap::new();
        let classify = |code: u16, h: &HeaderMap| {
            classify_status(StatusCode::from_u16(code).unwrap(), h, "said", now())
        };
        assert!(matches!(classify(401, &none), ConnectorError::Auth { .. }));
        assert!(matches!(
            classify(400, &none),
            ConnectorError::Permanent { reason } if reason == "HTTP 400 Bad Request: said"
        ));
        assert!(matches!(
            classify(404, &none),
            ConnectorError::Permanent { .. }
        ));
        assert!(matches!(
            classify(500, &none),
            ConnectorError::Temporary {
                retry_after: None,
                ..
            }
        ));
        assert!(matches!(
            classify(503, &headers(&[("retry-after", "7")])),
            ConnectorError::Temporary { retry_after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            classify(408, &none),
            ConnectorError::Temporary { .. }
        ));
        // 429: Retry-After first, then the rate-limit reset, else unknown
        assert_eq!(
            classify(
                429,
                &headers(&[("retry-after", "30"), ("ratelimit-reset", "1445412780")])
            ),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(30))
            }
        );
        assert_eq!(
            classify(429, &headers(&[("ratelimit-reset", "1445412780")])),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(300))
            }
        );
        assert_eq!(
            classify(429, &none),
            ConnectorError::RateLimited { retry_after: None }
        );
    }

    #[test]
    fn the_user_agent_names_owlery_and_its_version() {
        assert_eq!(USER_AGENT, format!("Owlery/{}", env!("CARGO_PKG_VERSION")));
        assert!(client(HttpConfig::default()).is_ok());
    }

    #[tokio::test]
    async fn a_timeout_after_sending_is_unknown_for_writes_and_temporary_for_reads() {
        // a server that reads the request and never answers
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let http = client(HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_millis(300),
        })
        .unwrap();
        let err = http
            .post(format!("http://{addr}/xrpc/x?secret=1"))
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert!(err.is_timeout());
        let write = classify_transport(&err, Effect::Write);
        assert!(matches!(write, ConnectorError::Unknown { .. }), "{write:?}");
        assert!(!write.to_string().contains("secret=1"), "{write}");
        assert!(matches!(
            classify_transport(&err, Effect::Read),
            ConnectorError::Temporary { .. }
        ));
        server.abort();
    }

    /// A tiny HTTP server: `/same` redirects to `/end` here, `/away` to `other`, `/end` answers 200.
    async fn redirecting_server(other: String) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let other = other.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let answer = if head.starts_with("GET /same ") {
                        format!(
                            "HTTP/1.1 302 Found\r\nLocation: http://{addr}/end\r\nContent-Length: 0\r\n\r\n"
                        )
                    } else if head.starts_with("GET /away ") {
                        format!(
                            "HTTP/1.1 302 Found\r\nLocation: {other}\r\nContent-Length: 0\r\n\r\n"
                        )
                    } else {
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_owned()
                    };
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn redirects_are_followed_only_within_the_origin() {
        let elsewhere = redirecting_server(String::new()).await;
        let addr = redirecting_server(format!("http://{elsewhere}/end")).await;
        let http = client(HttpConfig::default()).unwrap();
        let same = http
            .get(format!("http://{addr}/same"))
            .send()
            .await
            .unwrap();
        assert_eq!(same.status(), StatusCode::OK);
        assert_eq!(same.url().path(), "/end");
        // another port is another origin: not followed, the 302 comes back
        let away = http
            .get(format!("http://{addr}/away"))
            .send()
            .await
            .unwrap();
        assert_eq!(away.status(), StatusCode::FOUND);
        assert_eq!(away.url().path(), "/away");
    }

    #[tokio::test]
    async fn nothing_listening_is_temporary_and_a_bad_url_permanent() {
        let http = client(HttpConfig::default()).unwrap();
        let err = http.get("http://127.0.0.1:1/").send().await.unwrap_err();
        assert!(matches!(
            classify_transport(&err, Effect::Write),
            ConnectorError::Temporary { .. }
        ));
        let err = http.get("not a url").send().await.unwrap_err();
        assert!(matches!(
            classify_transport(&err, Effect::Write),
            ConnectorError::Permanent { .. }
        ));
    }
}
