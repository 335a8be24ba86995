//! Pinterest: pins on one of the account's boards, through API v5 (`https://api.pinterest.com/v5`,
//! reference <https://developers.pinterest.com/docs/api/v5/>, OpenAPI description
//! <https://github.com/pinterest/api-description>).
//!
//! The board is [`PublishRequest::target`], else `Credentials::account_id`; a pin without a board
//! is refused. The access token goes as `Authorization: Bearer`, never in a URL, and never to the
//! video upload address (a pre-signed storage URL).
//!
//! - **verify**: `GET /v5/user_account` (`username`, `id`), and, when the channel names a board,
//!   `GET /v5/boards/{board_id}` so a wrong board is found when connecting.
//! - **publish**: `POST /v5/pins` with `board_id`, `title` (`part.title`, else the text's first
//!   line, at most 100 characters), `description` (the text, at most 500), `link` (`part.link`, at
//!   most 2,048), `alt_text` (at most 500) and `media_source`:
//!   - one image: `image_url` when [`crate::MediaUpload::url`] is set (the engine signs one when
//!     `OWLERY_PUBLIC_URL` is reachable from the internet: [`MediaSource::UrlIfPublic`]), else
//!     `image_base64`
//!     (`content_type`, `data`); JPEG or PNG;
//!   - 2–5 images: a carousel, `multiple_image_urls` when every image has a URL, else
//!     `multiple_image_base64`. The carousel items take no alt text, so the pin's `alt_text` is the
//!     first image's;
//!   - one video: `POST /v5/media {"media_type": "video"}` → a multipart `POST` of the returned
//!     `upload_parameters` and the file to `upload_url` → poll `GET /v5/media/{media_id}` until
//!     `succeeded` (a bounded wait) → `media_source {source_type: video_id, media_id,
//!     cover_image_key_frame_time: 1}`: the cover is taken from the start of the video (Owlery has
//!     no separate cover image to send).
//! - **exactly once**: Pinterest has no idempotency key. [`Connector::lookup`] lists the board
//!   (`GET /v5/boards/{board_id}/pins?page_size=100`, following `bookmark` for a few pages) for a
//!   pin created since the first attempt with the same description (or title). `Absent` only when
//!   the whole board was listed.
//! - **delete**: `DELETE /v5/pins/{pin_id}` (404: already gone). **status**: `GET
//!   /v5/pins/{pin_id}?pin_metrics=true` (`pin_metrics`: impressions, saves, reactions, comments);
//!   404 → gone.
//! - **errors** (`{"code", "message"}`): 401 → `Auth`; 403 → `Auth` (a missing scope or a board the
//!   account may not pin to: reconnect); 400 → `Permanent` with Pinterest's message; 404 →
//!   `Permanent`; 429 → `RateLimited`; 5xx → `Temporary`. Every answer's `x-ratelimit-limit`,
//!   `x-ratelimit-remaining`, `x-ratelimit-reset` are filed in the budget book
//!   (<https://developers.pinterest.com/docs/reference/rate-limits/>).
//! - **OAuth**: `https://www.pinterest.com/oauth/`, token `https://api.pinterest.com/v5/oauth/token`
//!   with HTTP Basic client authentication, scopes comma-separated, no PKCE (not documented);
//!   refresh with `grant_type=refresh_token`
//!   (<https://developers.pinterest.com/docs/getting-started/authentication/>).
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/pinterest_fixture.rs`); not verified against the live network, nor is Pinterest's
//! downloading of Owlery's signed media addresses.
//!
//! Not implemented: replies and comments (the API has none: `reply_to` is refused), board
//! sections, private notes, per-image titles and links in carousels, GIF/WebP images (the API
//! takes JPEG and PNG), a separate video cover image, and mixing images and videos in one pin.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect};
use crate::oauth::{self, ClientAuth, OAuthSpec};
use crate::{
    AccountInfo, AccountKind, AppCredentials, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, MediaSource, MediaUpload, Metrics, Network, PublishRequest,
    Published, RemoteRef, RemoteStatus, TokenGrant,
};

/// Where the API lives (paths start with `/v5`).
pub const DEFAULT_API_BASE: &str = "https://api.pinterest.com";
/// Where people authorise the app.
pub const DEFAULT_WEB_BASE: &str = "https://www.pinterest.com";
pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_LINK_CHARS: usize = 2_048;
pub const MAX_ALT_CHARS: usize = 500;
/// A carousel has 2 to 5 images.
pub const MAX_IMAGES: usize = 5;
/// The scopes Owlery asks for: read boards, read and write pins, read the account.
pub const SCOPES: [&str; 4] = [
    "boards:read",
    "pins:read",
    "pins:write",
    "user_accounts:read",
];
const IMAGE_TYPES: [&str; 2] = ["image/jpeg", "image/png"];
/// Pages of 100 pins a lookup reads at most.
const LOOKUP_PAGE_SIZE: usize = 100;
const LOOKUP_PAGES: usize = 5;
/// Allowance for clocks: a pin created this much before `since` still counts as "since".
const CLOCK_SKEW: Duration = Duration::from_secs(120);

/// How long to wait for Pinterest to process an uploaded video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polling {
    pub interval: Duration,
    pub attempts: u32,
}

impl Default for Polling {
    /// Every 3 s for up to 3 minutes.
    fn default() -> Self {
        Polling {
            interval: Duration::from_secs(3),
            attempts: 60,
        }
    }
}

/// The Pinterest connector.
pub struct Pinterest {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    api: String,
    web: String,
    polling: Polling,
}

/// A failed call: Pinterest answered with an error, or the transport failed.
enum Failure {
    Api {
        status: StatusCode,
        headers: HeaderMap,
        body: Value,
    },
    Other(ConnectorError),
}

impl Failure {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Failure::Api { status, .. } => Some(*status),
            Failure::Other(_) => None,
        }
    }

    fn into_error(self) -> ConnectorError {
        match self {
            Failure::Other(e) => e,
            Failure::Api {
                status,
                headers,
                body,
            } => classify(status, &headers, &body, SystemTime::now()),
        }
    }
}

/// A Pinterest error answer (`{"code", "message"}`) as a connector error.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &Value,
    now: SystemTime,
) -> ConnectorError {
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty());
    let code = body.get("code").and_then(Value::as_i64);
    let said = match (code, message) {
        (Some(c), Some(m)) => format!("{m} (code {c})"),
        (None, Some(m)) => m.to_owned(),
        (Some(c), None) => format!("code {c}"),
        (None, None) => String::new(),
    };
    match status.as_u16() {
        401 => ConnectorError::Auth {
            reason: format!(
                "Pinterest no longer accepts this connection ({said}): reconnect the channel"
            ),
        },
        403 => ConnectorError::Auth {
            reason: format!(
                "Pinterest refused this for the connected account ({said}): reconnect the channel \
                 granting {}, with an account that may pin to the board",
                SCOPES.join(", ")
            ),
        },
        400 | 422 => ConnectorError::Permanent {
            reason: format!(
                "Pinterest rejected the request: {}",
                message.unwrap_or("bad request")
            ),
        },
        _ => http::classify_status(status, headers, &said, now),
    }
}

/// Where people see a pin.
pub fn pin_url(id: &str) -> String {
    format!("https://www.pinterest.com/pin/{id}/")
}

/// Text as compared when looking a pin up: whitespace runs become one space, ends trimmed.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The pin's title: `title` if given, else the text's first non-empty line cut to 100 characters
/// (with `…`). Empty when there is neither.
pub fn derive_title(title: Option<&str>, text: &str) -> String {
    if let Some(t) = title.map(str::trim).filter(|t| !t.is_empty()) {
        return t.to_owned();
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first.chars().count() <= MAX_TITLE_CHARS {
        first.to_owned()
    } else {
        let mut cut: String = first.chars().take(MAX_TITLE_CHARS - 1).collect();
        cut = cut.trim_end().to_owned();
        cut.push('…');
        cut
    }
}

/// Pinterest ids are decimal digits; anything else is refused before it reaches a URL path.
pub fn check_id(id: &str, what: &str) -> Result<(), ConnectorError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ConnectorError::Permanent {
            reason: format!("{id:?} is not a Pinterest {what} id (digits only)"),
        })
    }
}

/// The board a request pins to.
fn board_of<'a>(
    creds: &'a Credentials,
    req: &'a PublishRequest,
) -> Result<&'a str, ConnectorError> {
    let board = req
        .target
        .as_deref()
        .or(creds.account_id.as_deref())
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ConnectorError::Permanent {
            reason: "Pinterest pins go on a board, and none is chosen: pick the board in the post \
                     or on the channel"
                .into(),
        })?;
    check_id(board, "board")?;
    Ok(board)
}

/// The checks Pinterest would fail, made before anything is sent.
fn check_request(creds: &Credentials, req: &PublishRequest) -> Result<(), ConnectorError> {
    let refuse = |reason: String| Err(ConnectorError::Permanent { reason });
    let part = &req.part;
    if !(req.placement.is_empty() || req.placement == "pin") {
        return refuse(format!(
            "Pinterest has no {:?} placement: Owlery publishes Pinterest parts as pins",
            req.placement
        ));
    }
    if req.reply_to.is_some() {
        return refuse(
            "Pinterest has no replies or comments through its API: publish this part as a pin of \
             its own or leave it out"
                .into(),
        );
    }
    board_of(creds, req)?;
    if part.media.is_empty() {
        return refuse("a Pinterest pin needs an image or a video: add one".into());
    }
    let videos = part
        .media
        .iter()
        .filter(|m| m.kind == MediaKind::Video)
        .count();
    if videos > 0 && part.media.len() > 1 {
        return refuse("Pinterest takes one video per pin, without images: split the pin".into());
    }
    if part.media.len() > MAX_IMAGES {
        return refuse(format!(
            "{} images: a Pinterest carousel takes at most {MAX_IMAGES}",
            part.media.len()
        ));
    }
    // Images go by address only when every one has an address; else all go as bytes.
    let by_url = part.media.iter().all(|m| m.url.is_some());
    for (i, m) in part.media.iter().enumerate() {
        if m.bytes.is_empty() && (m.kind == MediaKind::Video || !by_url) {
            return refuse(format!("attachment {} is empty", i + 1));
        }
        if m.kind == MediaKind::Image && !IMAGE_TYPES.contains(&m.mime.as_str()) {
            return refuse(format!(
                "image {} is {}: Pinterest takes JPEG or PNG images",
                i + 1,
                m.mime
            ));
        }
        if m.kind == MediaKind::Video && !m.mime.starts_with("video/") {
            return refuse(format!("the video is {}, not a video", m.mime));
        }
        let alt = m.alt.chars().count();
        if alt > MAX_ALT_CHARS {
            return refuse(format!(
                "the alt text of attachment {} has {alt} characters; Pinterest takes at most \
                 {MAX_ALT_CHARS}",
                i + 1
            ));
        }
    }
    let description = part.text.chars().count();
    if description > MAX_DESCRIPTION_CHARS {
        return refuse(format!(
            "the description has {description} characters; Pinterest takes at most \
             {MAX_DESCRIPTION_CHARS}: shorten it"
        ));
    }
    if let Some(title) = part.title.as_deref() {
        let n = title.trim().chars().count();
        if n > MAX_TITLE_CHARS {
            return refuse(format!(
                "the title has {n} characters; Pinterest takes at most {MAX_TITLE_CHARS}"
            ));
        }
    }
    if let Some(link) = part.link.as_deref() {
        let n = link.chars().count();
        if n > MAX_LINK_CHARS {
            return refuse(format!(
                "the link has {n} characters; Pinterest takes at most {MAX_LINK_CHARS}"
            ));
        }
    }
    Ok(())
}

/// The `media_source` of images.
fn image_source(media: &[MediaUpload]) -> Value {
    let b64 = |m: &MediaUpload| base64::engine::general_purpose::STANDARD.encode(&m.bytes);
    let all_urls = media.iter().all(|m| m.url.is_some());
    match media {
        [one] => match &one.url {
            Some(url) => json!({ "source_type": "image_url", "url": url }),
            None => json!({
                "source_type": "image_base64",
                "content_type": one.mime,
                "data": b64(one),
            }),
        },
        many if all_urls => json!({
            "source_type": "multiple_image_urls",
            "items": many.iter().map(|m| json!({ "url": m.url })).collect::<Vec<_>>(),
        }),
        many => json!({
            "source_type": "multiple_image_base64",
            "items": many
                .iter()
                .map(|m| json!({ "content_type": m.mime, "data": b64(m) }))
                .collect::<Vec<_>>(),
        }),
    }
}

/// Removes the access token from a message, should a server ever echo it.
fn scrub(err: ConnectorError, creds: &Credentials) -> ConnectorError {
    redact(err, &[creds.secret.expose_secret()])
}

/// Removes each of `secrets` from an error's message.
fn redact(err: ConnectorError, secrets: &[&str]) -> ConnectorError {
    let clean = |mut s: String| {
        for secret in secrets.iter().filter(|t| t.len() >= 4) {
            s = s.replace(secret, "[redacted]");
        }
        s
    };
    match err {
        ConnectorError::Auth { reason } => ConnectorError::Auth {
            reason: clean(reason),
        },
        ConnectorError::Temporary {
            reason,
            retry_after,
        } => ConnectorError::Temporary {
            reason: clean(reason),
            retry_after,
        },
        ConnectorError::Permanent { reason } => ConnectorError::Permanent {
            reason: clean(reason),
        },
        ConnectorError::Unknown { reason } => ConnectorError::Unknown {
            reason: clean(reason),
        },
        other => other,
    }
}

fn unexpected(what: &str, detail: &str) -> ConnectorError {
    ConnectorError::Temporary {
        reason: format!("unexpected answer from Pinterest: {what} {detail}"),
        retry_after: None,
    }
}

fn str_at(v: &Value, key: &str, what: &str) -> Result<String, ConnectorError> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(unexpected(what, &format!("has no {key}"))),
    }
}

/// `created_at` (`2020-01-01T20:10:40-00:00`) as a time.
fn created_at(pin: &Value) -> Option<SystemTime> {
    let s = pin.get("created_at").and_then(Value::as_str)?;
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc).into())
}

/// `pin_metrics` (lifetime figures where given, else the last 90 days) as [`Metrics`].
pub fn metrics_of(pin: &Value) -> Metrics {
    let Some(m) = pin.get("pin_metrics") else {
        return Metrics::default();
    };
    let window = m
        .get("lifetime_metrics")
        .or_else(|| m.get("all_time"))
        .or_else(|| m.get("90d"))
        .unwrap_or(&Value::Null);
    let n = |k: &str| window.get(k).and_then(Value::as_u64);
    Metrics {
        likes: n("reaction"),
        shares: None,
        comments: n("comment"),
        views: n("impression"),
        saves: n("save"),
    }
}

/// Boards the connect flow lists at most.
pub const MAX_CONNECT_BOARDS: usize = 200;

/// One of the account's boards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    pub id: String,
    pub name: String,
}

impl Pinterest {
    pub fn new(env: Env) -> Result<Pinterest, ConnectorError> {
        Ok(Pinterest {
            http: http::client(env.http)?,
            api: env.base(DEFAULT_API_BASE),
            web: env.base(DEFAULT_WEB_BASE),
            budgets: env.budgets,
            polling: Polling::default(),
        })
    }

    /// How long to wait for an uploaded video to be processed (tests shorten it).
    pub fn with_media_polling(mut self, polling: Polling) -> Pinterest {
        self.polling = polling;
        self
    }

    fn spec(&self) -> OAuthSpec {
        OAuthSpec {
            authorize_url: format!("{}/oauth/", self.web),
            token_url: format!("{}/v5/oauth/token", self.api),
            scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            scope_separator: ",",
            pkce: false,
            client_auth: ClientAuth::Basic,
            client_id_param: "client_id",
            extra_authorize: Vec::new(),
        }
    }

    /// The account's boards, for the connect flow's choice: `GET /v5/boards?page_size=100`,
    /// following `bookmark`, at most [`MAX_CONNECT_BOARDS`]
    /// (<https://developers.pinterest.com/docs/api/v5/boards-list/>).
    pub async fn boards(&self, creds: &Credentials) -> Result<Vec<Board>, ConnectorError> {
        let result = async {
            let mut boards: Vec<Board> = Vec::new();
            let mut bookmark: Option<String> = None;
            while boards.len() < MAX_CONNECT_BOARDS {
                let mut query = vec![("page_size", "100")];
                if let Some(b) = bookmark.as_deref() {
                    query.push(("bookmark", b));
                }
                let answer = self
                    .call(
                        creds,
                        Method::GET,
                        "/v5/boards",
                        &query,
                        None,
                        Effect::Read,
                        "GET /v5/boards",
                    )
                    .await
                    .map_err(Failure::into_error)?;
                let items = answer
                    .get("items")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                for item in items {
                    let Ok(id) = str_at(item, "id", "a board") else {
                        continue;
                    };
                    let name = item
                        .get("name")
                        .and_then(Value::as_str)
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or(&id)
                        .to_owned();
                    boards.push(Board { id, name });
                }
                bookmark = answer
                    .get("bookmark")
                    .and_then(Value::as_str)
                    .filter(|b| !b.is_empty())
                    .map(str::to_owned);
                if bookmark.is_none() || items.is_empty() {
                    break;
                }
            }
            boards.truncate(MAX_CONNECT_BOARDS);
            Ok(boards)
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// Files what an answer says about the account's budget (or that it is spent).
    fn file_budget(
        &self,
        creds: &Credentials,
        bucket: &str,
        status: StatusCode,
        headers: &HeaderMap,
    ) {
        let now = SystemTime::now();
        let account = creds.budget_key();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = http::retry_after(headers, now)
                .or_else(|| http::rate_limit(headers, now).and_then(|r| r.reset));
            self.budgets.exhausted(
                Network::Pinterest,
                Scope::Account,
                &account,
                bucket,
                wait,
                now,
            );
        } else if let Some(limit) = http::rate_limit(headers, now) {
            self.budgets.observe_headers(
                Network::Pinterest,
                Scope::Account,
                &account,
                bucket,
                limit,
                now,
            );
        }
    }

    /// One API call (`path` under `/v5`).
    #[expect(
        clippy::too_many_arguments,
        reason = "one request's parts, named at each call site"
    )]
    async fn call(
        &self,
        creds: &Credentials,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        effect: Effect,
        bucket: &str,
    ) -> Result<Value, Failure> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(creds.secret.expose_secret());
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Other(http::classify_transport(&e, effect)))?;
        let status = response.status();
        let headers = response.headers().clone();
        self.file_budget(creds, bucket, status, &headers);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Other(http::classify_transport(&e, effect)))?;
        tracing::debug!(
            network = "pinterest",
            http.bucket = bucket,
            http.status = status.as_u16(),
            "pinterest call"
        );
        let parsed: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if status.is_success() {
            Ok(parsed)
        } else {
            Err(Failure::Api {
                status,
                headers,
                body: parsed,
            })
        }
    }

    /// Registers, uploads and waits for one video; returns its `media_id`.
    async fn upload_video(
        &self,
        creds: &Credentials,
        video: &MediaUpload,
    ) -> Result<String, ConnectorError> {
        // Registering twice only leaves an unused registration: harmless to repeat.
        let registered = self
            .call(
                creds,
                Method::POST,
                "/v5/media",
                &[],
                Some(&json!({ "media_type": "video" })),
                Effect::Read,
                "POST /v5/media",
            )
            .await
            .map_err(Failure::into_error)?;
        let media_id = str_at(&registered, "media_id", "media registration")?;
        check_id(&media_id, "media")?;
        let upload_url = str_at(&registered, "upload_url", "media registration")?;
        if !url::Url::parse(&upload_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(unexpected(
                "media registration",
                "upload_url is not an http(s) URL",
            ));
        }
        let mut form = reqwest::multipart::Form::new();
        if let Some(params) = registered
            .get("upload_parameters")
            .and_then(Value::as_object)
        {
            for (k, v) in params {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                form = form.text(k.clone(), v);
            }
        }
        let file = reqwest::multipart::Part::bytes(video.bytes.clone())
            .file_name("video")
            .mime_str(&video.mime)
            .map_err(|e| ConnectorError::Permanent {
                reason: format!("the video's type {:?} is not a MIME type: {e}", video.mime),
            })?;
        form = form.part("file", file);
        // A pre-signed storage address: no token. Uploading again overwrites the same object.
        let response = self
            .http
            .post(&upload_url)
            .multipart(form)
            .send()
            .await
            .map_err(|e| http::classify_transport(&e, Effect::Read))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            return Err(http::classify_status(
                status,
                &headers,
                "the video upload to Pinterest's storage failed",
                SystemTime::now(),
            ));
        }
        let path = format!("/v5/media/{media_id}");
        let mut last = String::from("unknown");
        for attempt in 0..self.polling.attempts {
            if attempt > 0 {
                tokio::time::sleep(self.polling.interval).await;
            }
            let answer = self
                .call(
                    creds,
                    Method::GET,
                    &path,
                    &[],
                    None,
                    Effect::Read,
                    "GET /v5/media",
                )
                .await
                .map_err(Failure::into_error)?;
            let status = answer
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            match status.as_str() {
                "succeeded" => return Ok(media_id),
                "failed" => {
                    return Err(ConnectorError::Permanent {
                        reason: "Pinterest could not process the video: check its format (MP4, \
                                 MOV or M4V) and length"
                            .into(),
                    });
                }
                _ => last = status,
            }
        }
        Err(ConnectorError::Temporary {
            reason: format!(
                "Pinterest is still processing the video (last status {last}); nothing was \
                 pinned, try again later"
            ),
            retry_after: Some(Duration::from_secs(60)),
        })
    }
}

impl Connector for Pinterest {
    fn network(&self) -> Network {
        Network::Pinterest
    }

    /// Images by address (`image_url`, `multiple_image_urls`) when the installation has a public
    /// one, else as base64; videos are always uploaded (Pinterest's media upload).
    fn media_source(&self, kind: MediaKind) -> MediaSource {
        match kind {
            MediaKind::Image => MediaSource::UrlIfPublic,
            MediaKind::Video => MediaSource::Bytes,
        }
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let result = async {
            let account = self
                .call(
                    creds,
                    Method::GET,
                    "/v5/user_account",
                    &[],
                    None,
                    Effect::Read,
                    "GET /v5/user_account",
                )
                .await
                .map_err(Failure::into_error)?;
            let username = account
                .get("username")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty())
                .ok_or_else(|| unexpected("user_account", "has no username"))?
                .to_owned();
            let id = str_at(&account, "id", "user_account").unwrap_or_else(|_| username.clone());
            if let Some(board) = creds.account_id.as_deref() {
                check_id(board, "board")?;
                match self
                    .call(
                        creds,
                        Method::GET,
                        &format!("/v5/boards/{board}"),
                        &[],
                        None,
                        Effect::Read,
                        "GET /v5/boards",
                    )
                    .await
                {
                    Ok(_) => {}
                    Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {
                        return Err(ConnectorError::Permanent {
                            reason: format!(
                                "the board {board} does not exist or is not {username}'s: choose \
                                 another board for the channel"
                            ),
                        });
                    }
                    Err(e) => return Err(e.into_error()),
                }
            }
            Ok(AccountInfo {
                id,
                handle: username,
            })
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        let result = async {
            check_request(creds, req)?;
            let board = board_of(creds, req)?;
            let part = &req.part;
            let media_source = match part.media.as_slice() {
                [video] if video.kind == MediaKind::Video => {
                    let media_id = self.upload_video(creds, video).await?;
                    json!({
                        "source_type": "video_id",
                        "media_id": media_id,
                        "cover_image_key_frame_time": 1,
                    })
                }
                images => image_source(images),
            };
            let mut body = json!({
                "board_id": board,
                "description": part.text,
                "media_source": media_source,
            });
            let title = derive_title(part.title.as_deref(), &part.text);
            if !title.is_empty() {
                body["title"] = json!(title);
            }
            if let Some(link) = part.link.as_deref().filter(|l| !l.trim().is_empty()) {
                body["link"] = json!(link);
            }
            if let Some(alt) = part
                .media
                .first()
                .map(|m| m.alt.trim())
                .filter(|a| !a.is_empty())
            {
                body["alt_text"] = json!(alt);
            }
            let pin = self
                .call(
                    creds,
                    Method::POST,
                    "/v5/pins",
                    &[],
                    Some(&body),
                    Effect::Write,
                    "POST /v5/pins",
                )
                .await
                .map_err(Failure::into_error)?;
            let id = str_at(&pin, "id", "the new pin").map_err(|_| ConnectorError::Unknown {
                reason: "Pinterest accepted the pin without saying its id; look it up before \
                         sending it again"
                    .into(),
            })?;
            tracing::info!(network = "pinterest", pin.id = %id, "published");
            Ok(Published {
                url: pin_url(&id),
                remote: RemoteRef {
                    id,
                    cid: None,
                    root: None,
                },
            })
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// Lists the board for a pin created since `since` with the same description (or, for a pin
    /// without text, the same title).
    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let result = async {
            let board = board_of(creds, req)?;
            let wanted_text = normalize(&req.part.text);
            let wanted_title = normalize(&derive_title(req.part.title.as_deref(), &req.part.text));
            if wanted_text.is_empty() && wanted_title.is_empty() {
                return Ok(Lookup::CannotTell {
                    reason: "the pin has neither text nor title to recognise it by: check the \
                             board by hand"
                        .into(),
                });
            }
            let from = since.checked_sub(CLOCK_SKEW).unwrap_or(since);
            let path = format!("/v5/boards/{board}/pins");
            let page_size = LOOKUP_PAGE_SIZE.to_string();
            let mut bookmark: Option<String> = None;
            for _ in 0..LOOKUP_PAGES {
                let mut query = vec![("page_size", page_size.as_str())];
                if let Some(b) = bookmark.as_deref() {
                    query.push(("bookmark", b));
                }
                let answer = self
                    .call(
                        creds,
                        Method::GET,
                        &path,
                        &query,
                        None,
                        Effect::Read,
                        "GET /v5/boards/pins",
                    )
                    .await
                    .map_err(Failure::into_error)?;
                let items = answer
                    .get("items")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                for pin in items {
                    let recent = created_at(pin).is_none_or(|t| t >= from);
                    let field =
                        |k: &str| normalize(pin.get(k).and_then(Value::as_str).unwrap_or(""));
                    let same = if wanted_text.is_empty() {
                        field("title") == wanted_title
                    } else {
                        field("description") == wanted_text
                    };
                    if recent
                        && same
                        && let Ok(id) = str_at(pin, "id", "a pin")
                    {
                        return Ok(Lookup::Found(Published {
                            url: pin_url(&id),
                            remote: RemoteRef {
                                id,
                                cid: None,
                                root: None,
                            },
                        }));
                    }
                }
                bookmark = answer
                    .get("bookmark")
                    .and_then(Value::as_str)
                    .filter(|b| !b.is_empty())
                    .map(str::to_owned);
                if bookmark.is_none() {
                    return Ok(Lookup::Absent);
                }
            }
            Ok(Lookup::CannotTell {
                reason: format!(
                    "the board has more than {} pins and Pinterest lists them in the board's own \
                     order: check the board by hand",
                    LOOKUP_PAGE_SIZE * LOOKUP_PAGES
                ),
            })
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        let result = async {
            check_id(&remote.id, "pin")?;
            // Deleting twice is harmless: a failure midway is simply retried.
            match self
                .call(
                    creds,
                    Method::DELETE,
                    &format!("/v5/pins/{}", remote.id),
                    &[],
                    None,
                    Effect::Read,
                    "DELETE /v5/pins",
                )
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(()),
                Err(e) => Err(e.into_error()),
            }
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        let result = async {
            check_id(&remote.id, "pin")?;
            match self
                .call(
                    creds,
                    Method::GET,
                    &format!("/v5/pins/{}", remote.id),
                    &[("pin_metrics", "true")],
                    None,
                    Effect::Read,
                    "GET /v5/pins",
                )
                .await
            {
                Ok(pin) => Ok(RemoteStatus {
                    exists: true,
                    metrics: metrics_of(&pin),
                }),
                Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(RemoteStatus::default()),
                Err(e) => Err(e.into_error()),
            }
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// `grant_type=refresh_token` at `/v5/oauth/token` with HTTP Basic client authentication.
    /// Errors in the OAuth shape (`{"error"}`) and in Pinterest's own (`{"code", "message"}`) are
    /// both understood: a refused refresh token is `Auth`, a passing failure `Temporary`.
    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        let Some(refresh) = &creds.refresh else {
            return Ok(None);
        };
        let Some(app) = &creds.app else {
            return Err(ConnectorError::Permanent {
                reason: "the organisation's Pinterest app (client id and secret) is not set up, \
                         so the token cannot be refreshed"
                    .into(),
            });
        };
        let spec = self.spec();
        let now = SystemTime::now();
        let response = self
            .http
            .post(&spec.token_url)
            .basic_auth(&app.client_id, Some(app.client_secret.expose_secret()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose_secret()),
            ])
            .send()
            .await
            .map_err(|e| http::classify_transport(&e, Effect::Read))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let clean = |e: ConnectorError| {
            redact(
                e,
                &[
                    creds.secret.expose_secret(),
                    refresh.expose_secret(),
                    app.client_secret.expose_secret(),
                ],
            )
        };
        if status.is_success() {
            return oauth::grant_from(&body, now).map(Some).map_err(clean);
        }
        let err = if body.get("error").is_some() {
            oauth::classify_token_error(status, &headers, &body, now)
        } else {
            match status.as_u16() {
                400 | 401 | 403 => ConnectorError::Auth {
                    reason: format!(
                        "Pinterest refused to refresh the connection ({}): reconnect the channel",
                        body.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("no reason given")
                    ),
                },
                _ => classify(status, &headers, &body, now),
            }
        };
        Err(clean(err))
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(self.spec())
    }

    /// One channel per board ([`Pinterest::boards`]): a pin always goes to a board. The handle is
    /// `username/board-name` (the board's address on pinterest.com).
    async fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        _service: Option<&str>,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let creds = crate::grant_credentials(&grant, None, app);
        let me = self.verify(&creds).await?;
        Ok(self
            .boards(&creds)
            .await?
            .into_iter()
            .map(|board| {
                let slug = board_slug(&board.name);
                let handle = if slug.is_empty() {
                    format!("{}/{}", me.handle, board.id)
                } else {
                    format!("{}/{slug}", me.handle)
                };
                GrantedAccount::with_grant(AccountKind::Board, board.id, handle, board.name, &grant)
            })
            .collect())
    }
}

/// A board's name as pinterest.com writes it in the board's address: lower case, words joined by
/// `-`.
pub fn board_slug(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishPart;

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(derive_title(Some(" Given "), "text"), "Given");
        assert_eq!(derive_title(None, "\n  First line \nsecond"), "First line");
        assert_eq!(derive_title(None, ""), "");
        let long = "w".repeat(150);
        let t = derive_title(None, &long);
        assert_eq!(t.chars().count(), MAX_TITLE_CHARS);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn text_is_compared_without_whitespace_differences() {
        assert_eq!(normalize("  a\n\n b\tc  "), "a b c");
        assert_ne!(normalize("a b"), normalize("a  c"));
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn ids_are_digits() {
        assert!(check_id("549755885175", "board").is_ok());
        assert!(check_id("../pins", "board").is_err());
        assert!(check_id("", "pin").is_err());
        assert_eq!(
            pin_url("813744226420795884"),
            "https://www.pinterest.com/pin/813744226420795884/"
        );
    }

    #[test]
    fn documented_errors_are_classified() {
        let h = HeaderMap::new();
        let now = SystemTime::now();
        let c = |s: u16, body: Value| classify(StatusCode::from_u16(s).unwrap(), &h, &body, now);
        assert!(matches!(
            c(401, json!({"code": 2, "message": "Authentication failed."})),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(403, json!({"code": 29, "message": "You are not permitted to access that resource."})),
            ConnectorError::Auth { reason } if reason.contains("not permitted")
        ));
        assert!(matches!(
            c(400, json!({"code": 1, "message": "Invalid parameters."})),
            ConnectorError::Permanent { reason } if reason.contains("Invalid parameters.")
        ));
        assert!(matches!(
            c(500, json!({"code": 8, "message": "Internal error"})),
            ConnectorError::Temporary { .. }
        ));
        assert!(matches!(
            c(429, json!({"code": 8, "message": "Too many requests"})),
            ConnectorError::RateLimited { .. }
        ));
    }

    #[test]
    fn metrics_are_read_from_pin_metrics() {
        let pin = json!({
            "id": "1",
            "pin_metrics": {
                "90d": {"pin_click": 7, "impression": 2, "clickthrough": 3},
                "lifetime_metrics": {"pin_click": 7, "impression": 20, "clickthrough": 3, "reaction": 10, "comment": 2, "save": 4}
            }
        });
        assert_eq!(
            metrics_of(&pin),
            Metrics {
                likes: Some(10),
                shares: None,
                comments: Some(2),
                views: Some(20),
                saves: Some(4),
            }
        );
        assert_eq!(metrics_of(&json!({"id": "1"})), Metrics::default());
    }

    #[test]
    fn what_pinterest_cannot_do_is_refused() {
        let creds = Credentials::new("me", "tok").with_account("123");
        let image = |mime: &str| MediaUpload {
            bytes: vec![1],
            mime: mime.into(),
            ..MediaUpload::default()
        };
        let with = |media: Vec<MediaUpload>| PublishRequest {
            part: PublishPart {
                text: "t".into(),
                media,
                ..PublishPart::default()
            },
            ..PublishRequest::new("k", "t")
        };
        assert!(check_request(&creds, &with(vec![image("image/png"); 5])).is_ok());
        assert!(check_request(&creds, &with(vec![image("image/png"); 6])).is_err());
        assert!(check_request(&creds, &with(vec![image("image/gif")])).is_err());
        assert!(check_request(&creds, &with(vec![])).is_err());
        let no_board = Credentials::new("me", "tok");
        assert!(check_request(&no_board, &with(vec![image("image/png")])).is_err());
        let mut targeted = with(vec![image("image/jpeg")]);
        targeted.target = Some("456".into());
        assert!(check_request(&no_board, &targeted).is_ok());
        let mut long = with(vec![image("image/png")]);
        long.part.text = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(check_request(&creds, &long).is_err());
    }

    #[test]
    fn image_sources_prefer_urls() {
        let img = |url: Option<&str>| MediaUpload {
            bytes: vec![0xff, 0xd8],
            mime: "image/jpeg".into(),
            url: url.map(str::to_owned),
            ..MediaUpload::default()
        };
        assert_eq!(
            image_source(&[img(Some("https://x/a.jpg"))]),
            json!({"source_type": "image_url", "url": "https://x/a.jpg"})
        );
        assert_eq!(
            image_source(&[img(None)]),
            json!({"source_type": "image_base64", "content_type": "image/jpeg", "data": "/9g="})
        );
        assert_eq!(
            image_source(&[img(Some("https://x/a")), img(Some("https://x/b"))])["source_type"],
            "multiple_image_urls"
        );
        assert_eq!(
            image_source(&[img(Some("https://x/a")), img(None)])["source_type"],
            "multiple_image_base64"
        );
    }
}
