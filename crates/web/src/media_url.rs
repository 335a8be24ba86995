//! `GET /m/{media id}/{rendition}?e=…&s=…`: media files at signed, expiring addresses, for the
//! networks that download media themselves (Instagram, Threads, TikTok photos, Pinterest images).
//! No session: the signature is the permission (`owlery_domain::publishing::media_url`), made by
//! the publishing engine for one file, one rendition and one hour.
//!
//! - a missing, malformed, forged or tampered address: `403`; a genuine one past its time: `410`
//!   (the signature is checked first, so a forgery never learns about expiry);
//! - a signed address of an item that is gone (deleted, or past its usage rights) or a rendition
//!   that is not stored: `404`;
//! - the bytes with their `Content-Type`, `Content-Length`, `Cache-Control: private` (until the
//!   address expires) and `Accept-Ranges: bytes`; one `Range` is honoured (`206`, or `416`).
//!
//! Requests are logged without their signature.

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use owlery_domain::{
    MediaId,
    publishing::media_url::{self, Refusal, Rendition, UrlKey},
};
use serde::Deserialize;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/m/{media_id}/{rendition}", get(serve))
}

#[derive(Debug, Deserialize)]
struct Signed {
    e: Option<String>,
    s: Option<String>,
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

/// The key media addresses are signed with, opened once per process.
pub async fn url_key(state: &AppState) -> Result<UrlKey, owlery_store::StoreError> {
    state
        .media_url_key
        .get_or_try_init(|| async {
            let bytes = state
                .store
                .signing_key(&state.vault, owlery_store::signing::MEDIA_URL_KEY)
                .await?;
            UrlKey::from_bytes(&bytes).ok_or_else(|| {
                owlery_store::StoreError::Corrupt("the media address key is not 32 bytes".into())
            })
        })
        .await
        .cloned()
}

async fn serve(
    State(state): State<AppState>,
    Path((media_id, rendition)): Path<(String, String)>,
    Query(q): Query<Signed>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = media_id.parse::<uuid::Uuid>().map(MediaId) else {
        return plain(StatusCode::FORBIDDEN, "This media address is not valid.");
    };
    let key = match url_key(&state).await {
        Ok(k) => k,
        Err(e) => {
            tracing::error!(error = %e, "the media address key cannot be opened");
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            );
        }
    };
    let now = state.store.now().timestamp();
    match media_url::verify(&key, id, &rendition, q.e.as_deref(), q.s.as_deref(), now) {
        Ok(()) => {}
        Err(Refusal::BadSignature) => {
            tracing::info!(media.id = %id, media.rendition = %rendition, "media address refused: bad signature");
            return plain(StatusCode::FORBIDDEN, "This media address is not valid.");
        }
        Err(Refusal::Expired) => {
            return plain(StatusCode::GONE, "This media address has expired.");
        }
    }
    // Signed by us, so well-formed; parsed all the same.
    let expires =
        q.e.as_deref()
            .and_then(|e| e.parse::<i64>().ok())
            .unwrap_or(now);
    let Some(which) = Rendition::parse(&rendition) else {
        return plain(StatusCode::NOT_FOUND, "There is no such file.");
    };
    match bytes_of(&state, id, &which).await {
        Ok(Some((bytes, mime))) => {
            tracing::debug!(media.id = %id, media.rendition = %rendition, "media served at a signed address");
            ranged(bytes, mime, expires - now, &headers)
        }
        Ok(None) => plain(StatusCode::NOT_FOUND, "There is no such file."),
        Err(e) => {
            tracing::error!(error = %e, media.id = %id, "reading media for a signed address");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            )
        }
    }
}

/// The bytes and type of a rendition of a live item; `None` when there is none.
async fn bytes_of(
    state: &AppState,
    id: MediaId,
    which: &Rendition,
) -> Result<Option<(Vec<u8>, &'static str)>, owlery_store::StoreError> {
    let Some(item) = state.store.media(id).await? else {
        return Ok(None);
    };
    if item.is_expired(state.store.now()) {
        return Ok(None);
    }
    match which {
        Rendition::Original { ext } => {
            if ext != media_url::extension(&item.format) {
                return Ok(None);
            }
            let bytes = state.store.media_bytes(&item).await?;
            Ok(Some((bytes, mime_of(&item.format))))
        }
        Rendition::Placement {
            network,
            placement,
            width,
            height,
            ext,
        } => {
            let found = state.store.renditions(id).await?.into_iter().find(|r| {
                &r.network == network
                    && &r.placement == placement
                    && r.width == *width
                    && r.height == *height
                    && media_url::extension(&r.format) == ext
            });
            let Some(r) = found else {
                return Ok(None);
            };
            Ok(state
                .store
                .blob(&r.blob_key)
                .await?
                .map(|b| (b, mime_of(&r.format))))
        }
    }
}

/// The MIME type of a stored format code.
pub fn mime_of(format: &str) -> &'static str {
    match format {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

/// One `bytes=` range of a body of `len` bytes, inclusive; `Err(())` when it cannot be satisfied.
/// `Ok(None)`: no range (or one we do not read, such as several ranges): the whole body.
fn range(value: Option<&HeaderValue>, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let out = match (a.is_empty(), b.is_empty()) {
        // bytes=-N: the last N.
        (true, false) => {
            let n: u64 = b.parse().map_err(|_| ())?;
            if n == 0 || len == 0 {
                return Err(());
            }
            (len.saturating_sub(n), len - 1)
        }
        (false, _) => {
            let start: u64 = a.parse().map_err(|_| ())?;
            let end = if b.is_empty() {
                len.saturating_sub(1)
            } else {
                b.parse::<u64>().map_err(|_| ())?.min(len.saturating_sub(1))
            };
            if start >= len || end < start {
                return Err(());
            }
            (start, end)
        }
        (true, true) => return Ok(None),
    };
    Ok(Some(out))
}

fn ranged(bytes: Vec<u8>, mime: &'static str, max_age: i64, headers: &HeaderMap) -> Response {
    let len = bytes.len() as u64;
    let cache = format!("private, max-age={}", max_age.max(0));
    let common = |status: StatusCode, body: Body, length: u64| {
        let mut res = Response::new(body);
        *res.status_mut() = status;
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Ok(v) = HeaderValue::from_str(&cache) {
            h.insert(header::CACHE_CONTROL, v);
        }
        res
    };
    match range(headers.get(header::RANGE), len) {
        Ok(None) => common(StatusCode::OK, Body::from(bytes), len),
        Ok(Some((start, end))) => {
            let part = bytes
                .get(start as usize..=end as usize)
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            let n = part.len() as u64;
            let mut res = common(StatusCode::PARTIAL_CONTENT, Body::from(part), n);
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res
        }
        Err(()) => {
            let mut res = plain(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "The requested range is not in the file.",
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
        range(Some(&HeaderValue::from_str(v).unwrap()), len)
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range(None, 10), Ok(None));
        assert_eq!(r("bytes=0-3", 10), Ok(Some((0, 3))));
        assert_eq!(r("bytes=4-", 10), Ok(Some((4, 9))));
        assert_eq!(r("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(r("bytes=-30", 10), Ok(Some((0, 9))));
        assert_eq!(r("bytes=5-100", 10), Ok(Some((5, 9))));
        assert_eq!(r("bytes=10-", 10), Err(()));
        assert_eq!(r("bytes=5-2", 10), Err(()));
        assert_eq!(r("bytes=0-1,4-5", 10), Ok(None));
        assert_eq!(r("items=0-1", 10), Ok(None));
    }
}
