//! Fetching a web page for a link preview, without letting a link make the server read its own
//! network (SSRF). The rules of what may be fetched and the HTML reading are the domain's
//! (`owlery_domain::publishing::link_preview`); this module does the network part:
//!
//! - only http and https, no user info (`check_target`);
//! - the host is resolved here, and the fetch is refused if *any* address it resolves to is not
//!   public (`is_public_ip`): loopback, private, link-local (cloud metadata), reserved …;
//! - the connection goes only to the addresses that were checked: they are pinned in the client
//!   (`resolve_to_addrs`), so a second DNS answer (rebinding) cannot switch them; no proxy;
//! - redirects are followed by hand, at most [`MAX_REDIRECTS`], each target checked the same way;
//! - 5 seconds in all, at most 1 MiB of body, and only HTML.
//!
//! [`Fetcher::new`] is the only constructor outside tests; the test-only one that also allows
//! loopback (for a local test server) is `#[cfg(test)]`, so neither configuration nor a request can
//! reach it.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use owlery_domain::publishing::link_preview::{
    Preview, UnsafeUrl, check_target, is_public_ip, parse_preview,
};
use reqwest::header;
use url::{Host, Url};

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 3;
/// The whole fetch, redirects included.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The most of a page that is read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const USER_AGENT: &str = concat!("Owlery/", env!("CARGO_PKG_VERSION"), " (link preview)");

/// Why there is no preview.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    /// Not a link we fetch at all (scheme, credentials, no host …).
    #[error("{0}")]
    Invalid(UnsafeUrl),
    /// The link (or a redirect) leads to an address that is not on the public internet.
    #[error("The link leads to a private or reserved address, which is never fetched.")]
    NotPublic,
    #[error("The page could not be fetched: {0}.")]
    Unreachable(String),
    #[error("The link is not a web page (HTML).")]
    NotHtml,
    #[error("The server did not answer with a JSON document.")]
    NotJson,
    #[error("The page is larger than 1 MiB.")]
    TooLarge,
}

impl PreviewError {
    pub fn code(&self) -> &'static str {
        match self {
            PreviewError::Invalid(u) => u.code(),
            PreviewError::NotPublic => "link_not_public",
            PreviewError::Unreachable(_) => "link_unreachable",
            PreviewError::NotHtml => "link_not_html",
            PreviewError::NotJson => "link_not_json",
            PreviewError::TooLarge => "link_too_large",
        }
    }
}

/// Fetches previews. Cheap to make; every hop builds its own client, pinned to the addresses
/// checked for it.
#[derive(Debug, Clone)]
pub struct Fetcher {
    timeout: Duration,
    max_body_bytes: usize,
    /// Tests only: also allow loopback addresses (a local test server).
    allow_loopback: bool,
}

impl Default for Fetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Fetcher {
    /// The production fetcher: public addresses only, 5 s, 1 MiB.
    pub fn new() -> Self {
        Fetcher {
            timeout: TIMEOUT,
            max_body_bytes: MAX_BODY_BYTES,
            allow_loopback: false,
        }
    }

    /// For tests against a local server: loopback is allowed too (nothing else that is not
    /// public), with a shorter timeout and cap to test them quickly.
    #[cfg(test)]
    pub(crate) fn allowing_loopback(timeout: Duration, max_body_bytes: usize) -> Self {
        Fetcher {
            timeout,
            max_body_bytes,
            allow_loopback: true,
        }
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        is_public_ip(ip) || (self.allow_loopback && ip.is_loopback())
    }

    /// The preview of the page at `url`.
    pub async fn fetch(&self, url: &str) -> Result<Preview, PreviewError> {
        let (body, url) = self.get(url, Want::Html).await?;
        Ok(parse_preview(&String::from_utf8_lossy(&body), &url))
    }

    /// A JSON document at `url` (such as a Mastodon server's `/api/v2/instance`), fetched with
    /// the same guards as a preview: public addresses only, pinned, capped, within the timeout.
    pub async fn fetch_json(&self, url: &str) -> Result<serde_json::Value, PreviewError> {
        let (body, _) = self.get(url, Want::Json).await?;
        serde_json::from_slice(&body).map_err(|_| PreviewError::NotJson)
    }

    async fn get(&self, url: &str, want: Want) -> Result<(Vec<u8>, Url), PreviewError> {
        match tokio::time::timeout(self.timeout, self.fetch_within(url, want)).await {
            Ok(result) => result,
            Err(_) => Err(PreviewError::Unreachable(format!(
                "no answer within {} seconds",
                self.timeout.as_secs_f32()
            ))),
        }
    }

    /// The URL if it may be fetched, judged from the URL alone.
    fn check_url(&self, raw: &str) -> Result<Url, PreviewError> {
        match check_target(raw) {
            Ok(url) => Ok(url),
            Err(UnsafeUrl::PrivateAddress) if self.allow_loopback => {
                let url = Url::parse(raw.trim()).map_err(|_| PreviewError::NotPublic)?;
                match url.host() {
                    Some(Host::Ipv4(ip)) if self.allowed(IpAddr::V4(ip)) => Ok(url),
                    Some(Host::Ipv6(ip)) if self.allowed(IpAddr::V6(ip)) => Ok(url),
                    _ => Err(PreviewError::NotPublic),
                }
            }
            Err(UnsafeUrl::PrivateAddress) => Err(PreviewError::NotPublic),
            Err(e) => Err(PreviewError::Invalid(e)),
        }
    }

    /// Every address the URL's host stands for, all checked; refused if any one is not public.
    async fn addresses(&self, url: &Url) -> Result<Vec<SocketAddr>, PreviewError> {
        let port = url
            .port_or_known_default()
            .ok_or(PreviewError::Invalid(UnsafeUrl::Port))?;
        let addrs: Vec<SocketAddr> = match url.host() {
            Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
            Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
            Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| {
                    PreviewError::Unreachable(format!("the name {name} does not resolve"))
                })?
                .collect(),
            None => return Err(PreviewError::Invalid(UnsafeUrl::NoHost)),
        };
        self.check_addresses(&addrs)?;
        Ok(addrs)
    }

    fn check_addresses(&self, addrs: &[SocketAddr]) -> Result<(), PreviewError> {
        if addrs.is_empty() {
            return Err(PreviewError::Unreachable(
                "the name does not resolve".into(),
            ));
        }
        if addrs.iter().all(|a| self.allowed(a.ip())) {
            Ok(())
        } else {
            Err(PreviewError::NotPublic)
        }
    }

    /// A client that connects to `addrs` only, follows no redirect and uses no proxy.
    fn client(&self, url: &Url, addrs: &[SocketAddr]) -> Result<reqwest::Client, PreviewError> {
        // reqwest is built without a default crypto provider (see owlery-networks' client).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(self.timeout)
            .timeout(self.timeout);
        if let Some(Host::Domain(name)) = url.host() {
            builder = builder.resolve_to_addrs(name, addrs);
        }
        builder
            .build()
            .map_err(|e| PreviewError::Unreachable(format!("no HTTP client ({e})")))
    }

    async fn fetch_within(&self, raw: &str, want: Want) -> Result<(Vec<u8>, Url), PreviewError> {
        let mut url = self.check_url(raw)?;
        let mut redirects = 0;
        loop {
            let addrs = self.addresses(&url).await?;
            let client = self.client(&url, &addrs)?;
            let mut res = client
                .get(url.clone())
                .header(header::ACCEPT, want.accept())
                .send()
                .await
                .map_err(|e| PreviewError::Unreachable(transport(&e)))?;
            let status = res.status();
            if status.is_redirection() {
                if redirects >= MAX_REDIRECTS {
                    return Err(PreviewError::Unreachable(format!(
                        "more than {MAX_REDIRECTS} redirects"
                    )));
                }
                redirects += 1;
                let next = res
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| {
                        PreviewError::Unreachable("a redirect without a valid target".into())
                    })?;
                url = self.check_url(next.as_str())?;
                continue;
            }
            if !status.is_success() {
                return Err(PreviewError::Unreachable(format!(
                    "the site answered {status}"
                )));
            }
            let kind = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().to_ascii_lowercase())
                .unwrap_or_default();
            if !want.accepts(&kind) {
                return Err(match want {
                    Want::Html => PreviewError::NotHtml,
                    Want::Json => PreviewError::NotJson,
                });
            }
            if res
                .content_length()
                .is_some_and(|n| n > self.max_body_bytes as u64)
            {
                return Err(PreviewError::TooLarge);
            }
            let mut body: Vec<u8> = Vec::new();
            while let Some(chunk) = res
                .chunk()
                .await
                .map_err(|e| PreviewError::Unreachable(transport(&e)))?
            {
                if body.len() + chunk.len() > self.max_body_bytes {
                    return Err(PreviewError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            return Ok((body, url));
        }
    }
}

/// What kind of document a fetch is for.
#[derive(Debug, Clone, Copy)]
enum Want {
    Html,
    Json,
}

impl Want {
    fn accept(self) -> &'static str {
        match self {
            Want::Html => "text/html,application/xhtml+xml",
            Want::Json => "application/json",
        }
    }

    fn accepts(self, content_type: &str) -> bool {
        match self {
            Want::Html => content_type == "text/html" || content_type == "application/xhtml+xml",
            Want::Json => content_type == "application/json",
        }
    }
}

/// A transport error in words, without the URL (it may carry a query the person did not mean to
/// show in an error).
fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the site took too long".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the connection failed".into()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use axum::{
        Router,
        http::header as h,
        response::{IntoResponse, Redirect},
        routing::get,
    };

    use super::*;

    const PAGE: &str = r#"<!doctype html><html><head>
        <title>Fallback title</title>
        <meta property="og:title" content="Autumn menu &amp; more">
        <meta property="og:description" content="Pumpkin soup is back.">
        <meta property="og:image" content="/img/soup.jpg">
        <meta property="og:site_name" content="Café Owl">
        </head><body>hello</body></html>"#;

    /// A local server; returns its base URL.
    async fn server() -> String {
        let app = Router::new()
            .route(
                "/page",
                get(|| async { ([(h::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE) }),
            )
            .route("/hop", get(|| async { Redirect::temporary("/page") }))
            .route(
                "/api/v2/instance",
                get(|| async {
                    (
                        [(h::CONTENT_TYPE, "application/json; charset=utf-8")],
                        r#"{"domain":"local","configuration":{"statuses":{"max_characters":1000}}}"#,
                    )
                }),
            )
            .route("/loop", get(|| async { Redirect::temporary("/loop") }))
            .route(
                "/metadata",
                get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
            )
            .route(
                "/big",
                get(|| async {
                    (
                        [(h::CONTENT_TYPE, "text/html")],
                        "<html>".to_owned() + &"x".repeat(64 * 1024),
                    )
                }),
            )
            .route(
                "/stream",
                get(|| async {
                    let chunks = futures::stream::iter(
                        (0..64).map(|_| Ok::<_, std::io::Error>("y".repeat(1024))),
                    );
                    (
                        [(h::CONTENT_TYPE, "text/html")],
                        axum::body::Body::from_stream(chunks),
                    )
                        .into_response()
                }),
            )
            .route(
                "/json",
                get(|| async { ([(h::CONTENT_TYPE, "application/json")], "{}") }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    ([(h::CONTENT_TYPE, "text/html")], PAGE)
                }),
            )
            .route(
                "/gone",
                get(|| async { (axum::http::StatusCode::NOT_FOUND, "no") }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    fn local() -> Fetcher {
        Fetcher::allowing_loopback(Duration::from_millis(800), 16 * 1024)
    }

    #[tokio::test]
    async fn reads_a_json_document_and_refuses_html_where_json_is_wanted() {
        let base = server().await;
        let doc = local()
            .fetch_json(&format!("{base}/api/v2/instance"))
            .await
            .unwrap();
        assert_eq!(doc["configuration"]["statuses"]["max_characters"], 1000);
        assert_eq!(
            local().fetch_json(&format!("{base}/page")).await,
            Err(PreviewError::NotJson)
        );
        assert_eq!(
            Fetcher::new()
                .fetch_json(&format!("{base}/api/v2/instance"))
                .await,
            Err(PreviewError::NotPublic),
            "never a loopback address in production"
        );
    }

    #[tokio::test]
    async fn reads_a_local_page_and_follows_a_redirect() {
        let base = server().await;
        let p = local().fetch(&format!("{base}/hop")).await.unwrap();
        assert_eq!(p.title.as_deref(), Some("Autumn menu & more"));
        assert_eq!(p.description.as_deref(), Some("Pumpkin soup is back."));
        assert_eq!(p.site_name.as_deref(), Some("Café Owl"));
        assert_eq!(p.image, Some(format!("{base}/img/soup.jpg")));
    }

    #[tokio::test]
    async fn caps_redirects_size_type_and_time() {
        let base = server().await;
        let f = local();
        let err = |path: &str| {
            let f = f.clone();
            let url = format!("{base}{path}");
            async move { f.fetch(&url).await.unwrap_err() }
        };
        assert_eq!(err("/loop").await.code(), "link_unreachable");
        assert_eq!(err("/big").await, PreviewError::TooLarge);
        assert_eq!(err("/stream").await, PreviewError::TooLarge);
        assert_eq!(err("/json").await, PreviewError::NotHtml);
        assert_eq!(err("/gone").await.code(), "link_unreachable");
        let started = std::time::Instant::now();
        assert_eq!(err("/slow").await.code(), "link_unreachable");
        assert!(started.elapsed() < Duration::from_secs(3));
        // A redirect to the cloud metadata address is refused, even for the test fetcher.
        assert_eq!(err("/metadata").await, PreviewError::NotPublic);
    }

    #[tokio::test]
    async fn the_production_fetcher_refuses_what_is_not_public() {
        let base = server().await;
        let f = Fetcher::new();
        for url in [
            format!("{base}/page"),
            "http://127.0.0.1/".into(),
            "http://localhost:8080/".into(),
            "http://app.localhost/".into(),
            "http://[::1]/".into(),
            "http://10.0.0.8/".into(),
            "http://192.168.1.1/".into(),
            "http://172.16.0.1/".into(),
            "http://169.254.169.254/latest/meta-data/".into(),
            "http://[fe80::1]/".into(),
            "http://[fd00::1]/".into(),
            "http://[::ffff:127.0.0.1]/".into(),
            "http://0.0.0.0/".into(),
            "http://100.64.0.1/".into(),
        ] {
            assert_eq!(
                f.fetch(&url).await.unwrap_err(),
                PreviewError::NotPublic,
                "{url}"
            );
        }
        for (url, code) in [
            ("ftp://example.com/", "unsupported_scheme"),
            ("file:///etc/passwd", "unsupported_scheme"),
            ("http://user:pw@example.com/", "credentials_in_url"),
            ("not a url", "invalid_url"),
        ] {
            assert_eq!(f.fetch(url).await.unwrap_err().code(), code, "{url}");
        }
    }

    #[test]
    fn any_private_address_among_the_answers_refuses_the_name() {
        let f = Fetcher::new();
        let public = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34)), 443);
        let private = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)), 443);
        let loopback6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 443);
        assert!(f.check_addresses(&[public]).is_ok());
        assert_eq!(
            f.check_addresses(&[public, private]),
            Err(PreviewError::NotPublic)
        );
        assert_eq!(
            f.check_addresses(&[loopback6, public]),
            Err(PreviewError::NotPublic)
        );
        assert!(f.check_addresses(&[]).is_err());
        // The test fetcher allows loopback and nothing else.
        let t = local();
        assert!(t.check_addresses(&[loopback6]).is_ok());
        assert_eq!(t.check_addresses(&[private]), Err(PreviewError::NotPublic));
    }
}
