//! Static assets (CSS, JavaScript, icon), compiled into the binary and served from `/static/{file}`.
//!
//! Each asset's URL carries a hash of its bytes (`/static/app.css?v=3f2a…`), computed once at
//! startup. A request with the current hash is answered with a one-year `immutable` cache policy;
//! any other request (no or old hash) with `no-cache` and an `ETag`, so a browser never keeps a
//! stale file after an upgrade. There is no build step: what is in `static/` is what is served.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// First 16 hex digits of the SHA-256 of the bytes.
    hash: String,
}

/// The files, by name. Add a file here and in `static/`.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/htmx.min.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
    (
        "inbox.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/inbox.js"),
    ),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, content_type, bytes)| {
            let digest = Sha256::digest(bytes);
            Asset {
                name,
                content_type,
                bytes,
                hash: hex::encode(&digest[..8]),
            }
        })
        .collect()
});

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The URL of a static asset with its content hash, for templates: `/static/app.css?v=…`.
/// An unknown name yields a plain `/static/{name}` (which will answer 404).
pub fn asset_url(name: &str) -> String {
    match find(name) {
        Some(asset) => format!("/static/{}?v={}", asset.name, asset.hash),
        None => {
            tracing::warn!(asset.name = name, "unknown static asset");
            format!("/static/{name}")
        }
    }
}

/// The routes serving the assets: `GET /static/{file}`.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/static/{file}", get(serve))
}

async fn serve(Path(file): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(asset) = find(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    let current = uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.strip_prefix("v=") == Some(asset.hash.as_str()))
    });
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let common = [
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if not_modified {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        StatusCode::OK,
        common,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[test]
    fn urls_carry_the_hash() {
        let url = asset_url("app.css");
        assert!(url.starts_with("/static/app.css?v="), "{url}");
        assert_eq!(url.len(), "/static/app.css?v=".len() + 16);
        assert_eq!(asset_url("nope.css"), "/static/nope.css");
    }

    #[test]
    fn vendored_htmx_is_version_2() {
        let htmx = std::str::from_utf8(find("htmx.min.js").unwrap().bytes).unwrap();
        assert!(
            htmx.contains("version:\"2."),
            "static/htmx.min.js is not htmx 2"
        );
    }

    async fn get(uri: &str, if_none_match: Option<&str>) -> Response {
        let mut request = Request::get(uri);
        if let Some(tag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        routes::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn serves_with_content_type_and_cache_policy() {
        let url = asset_url("app.css");
        let response = get(&url, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );

        let stale = get("/static/app.css?v=0000", None).await;
        assert_eq!(stale.headers()[header::CACHE_CONTROL], "no-cache");

        let js = get(&asset_url("htmx.min.js"), None).await;
        assert_eq!(
            js.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );

        let etag = response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned();
        let again = get("/static/app.css", Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

        assert_eq!(
            get("/static/secret.txt", None).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get("/static/..%2FCargo.toml", None).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}
