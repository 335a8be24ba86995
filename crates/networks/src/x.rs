//! X (formerly Twitter) over the X API v2, with an OAuth 2.0 user token.
//!
//! - **verify**: `GET /2/users/me` (<https://docs.x.com/x-api/users/user-lookup-me>).
//! - **publish**: `POST /2/tweets` with `text`, `media.media_ids` and
//!   `reply.in_reply_to_tweet_id` (<https://docs.x.com/x-api/posts/create-post>). X has no separate
//!   comment: a thread's next part and a first comment are both replies to `reply_to`.
//! - **media**: images through the one-request upload `POST /2/media/upload` (multipart `media`,
//!   `media_category=tweet_image`; <https://docs.x.com/x-api/media/upload-media>); videos
//!   (`tweet_video`) and GIFs (`tweet_gif`) through the chunked upload
//!   `POST /2/media/upload/initialize` → `POST /2/media/upload/{id}/append` (4 MiB segments) →
//!   `POST /2/media/upload/{id}/finalize`, then `GET /2/media/upload?command=STATUS&media_id=…`
//!   while `processing_info.state` is `pending`/`in_progress`, waiting `check_after_secs` each time,
//!   at most [`DEFAULT_MEDIA_WAIT`] in all
//!   (<https://docs.x.com/x-api/media/quickstart/media-upload-chunked>,
//!   <https://docs.x.com/x-api/media/get-media-upload-status>). Alt text (≤ 1,000 characters) with
//!   `POST /2/media/metadata`, body `{"id": …, "metadata": {"alt_text": {"text": …}}}`
//!   (<https://docs.x.com/x-api/media/create-media-metadata>). Limits: up to 4 images, or one
//!   video, or one GIF; image 5 MB, GIF 15 MB, video 512 MB (<https://docs.x.com/x-api/media>).
//! - **exactly once**: X has no idempotency key. A create that fails after it may have reached X
//!   (timeout, reset, or a 500/502/504 answer) is `Unknown`; [`Connector::lookup`] then lists the
//!   account's posts since the first attempt, `GET /2/users/:id/tweets?start_time=…&max_results=100`
//!   (<https://docs.x.com/x-api/users/get-posts>), following `meta.next_token`, and matches the text
//!   (whitespace normalised, `&amp;`/`&lt;`/`&gt;` unescaped, `t.co` links expanded from
//!   `entities.urls`, the attached-media link dropped, long posts read from `note_tweet`).
//!   `Absent` only when every page since the first attempt was read.
//! - **delete**: `DELETE /2/tweets/:id` (`{"data":{"deleted":true}}`; a 404 or a
//!   `resource-not-found` problem means already gone;
//!   <https://docs.x.com/x-api/posts/delete-post>).
//! - **status**: `GET /2/tweets/:id?tweet.fields=public_metrics` (likes, retweets + quotes,
//!   replies, impressions, bookmarks; a 404 or a `resource-not-found` problem → gone;
//!   <https://docs.x.com/x-api/posts/get-post-by-id>).
//! - **OAuth 2.0 with PKCE**: authorize at `https://x.com/i/oauth2/authorize`, token at
//!   `https://api.x.com/2/oauth2/token` with HTTP Basic client authentication (a confidential
//!   client); refresh tokens rotate (`offline.access`)
//!   (<https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code>). A refused
//!   refresh token comes back as `invalid_request` "Value passed for the token was invalid."
//!   rather than `invalid_grant`; both are `Auth`.
//! - **rate limits**: `x-rate-limit-limit/remaining/reset` on every response, filed per endpoint
//!   bucket (`"POST /2/tweets"`, …) and account (<https://docs.x.com/fundamentals/rate-limits>);
//!   the daily `x-user-limit-24hour-*` and `x-app-limit-24hour-*` headers of the posting endpoint
//!   (named in third-party clients, e.g. the `twapi-v2` crate's header list; not on docs.x.com)
//!   are filed too, so a 429 from the daily cap waits until that cap resets.
//! - **errors** (<https://docs.x.com/x-api/fundamentals/response-codes-and-errors>): problem
//!   bodies `{"title","detail","type","status"}` and `{"errors":[{"message"|"detail", …}]}`.
//!   401 and `unsupported-authentication` → `Auth`; a bare 403 `Forbidden` on the account's own
//!   calls → `Auth` (the token lacks a scope, or the account is locked); 403 duplicate content →
//!   `Permanent` saying so; `client-forbidden` (the app is not attached to a Project) →
//!   `Permanent`; 429 and `usage-capped` → `RateLimited`; 5xx → `Temporary` (except after a
//!   create, see above); other 4xx → `Permanent` with X's own message.
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/x_fixture.rs`); not verified against the live network.
//!
//! Not implemented: polls, quote posts, reply settings, link cards other than X's own from the last
//! link in the text (`PublishPart::link` is not sent separately: keep the link in the text), text
//! length checks (the composer counts with the twitter-text rules), video subtitles, OAuth 1.0a.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect, RateLimit};
use crate::oauth::{self, ClientAuth, OAuthSpec};
use crate::{
    AccountInfo, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Metrics, Network, PublishRequest, Published, RemoteRef, RemoteStatus, TokenGrant,
};

/// The API host.
pub const DEFAULT_API_BASE: &str = "https://api.x.com";
/// Where a person authorises Owlery.
pub const AUTHORIZE_URL: &str = "https://x.com/i/oauth2/authorize";
/// Publishing, uploading, reading the account and its posts, refresh tokens.
pub const SCOPES: [&str; 5] = [
    "tweet.read",
    "tweet.write",
    "users.read",
    "offline.access",
    "media.write",
];
/// Images per post.
pub const MAX_IMAGES: usize = 4;
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_GIF_BYTES: usize = 15 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: usize = 512 * 1024 * 1024;
/// Alt text, in characters (`POST /2/media/metadata`).
pub const MAX_ALT_CHARS: usize = 1_000;
/// How long `publish` waits at most for X to process a video or GIF.
pub const DEFAULT_MEDIA_WAIT: Duration = Duration::from_secs(5 * 60);
/// Bytes per APPEND segment (X takes at most 5 MB each).
const CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Posts per timeline page (the most X returns).
const PAGE_SIZE: u32 = 100;
/// Timeline pages `lookup` reads before it gives up (1,000 posts since the first attempt).
const MAX_LOOKUP_PAGES: usize = 10;
/// Lookup starts this much before the first attempt (clocks differ).
const LOOKUP_SLACK: Duration = Duration::from_secs(5 * 60);
/// Placement codes of X in `networks.toml` ("" = the main one).
const PLACEMENTS: [&str; 2] = ["", "post"];

const TWEETS: &str = "POST /2/tweets";
const DM_EVENTS: &str = "POST /2/dm_conversations/:id/messages";

/// The X connector. Holds no per-account state.
pub struct X {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    base: String,
    media_wait: Duration,
}

/// An HTTP answer of any status, its body read as JSON (`Null` if empty or not JSON).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// The body of a success, or the error it means.
    fn ok(self) -> Result<Value, ConnectorError> {
        if self.status.is_success() && !is_not_found_problem(&self.body) {
            Ok(self.body)
        } else {
            Err(classify(
                self.status,
                &self.headers,
                &self.body,
                SystemTime::now(),
            ))
        }
    }

    /// A 404, or a 200 whose only content is a `resource-not-found` problem.
    fn is_gone(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
            || (self.body.get("data").is_none() && is_not_found_problem(&self.body))
    }
}

/// What X calls the kinds of upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Upload {
    Image,
    Gif,
    Video,
}

impl Upload {
    fn of(media: &MediaUpload) -> Upload {
        if media.kind == MediaKind::Video || media.mime.starts_with("video/") {
            Upload::Video
        } else if media.mime.eq_ignore_ascii_case("image/gif") {
            Upload::Gif
        } else {
            Upload::Image
        }
    }

    fn category(self) -> &'static str {
        match self {
            Upload::Image => "tweet_image",
            Upload::Gif => "tweet_gif",
            Upload::Video => "tweet_video",
        }
    }
}

impl X {
    /// Builds the connector: the shared HTTP client, the budget book, and `env.base_url` in place
    /// of `https://api.x.com` (tests).
    pub fn new(env: Env) -> Result<X, ConnectorError> {
        Ok(X {
            http: http::client(env.http)?,
            base: env.base(DEFAULT_API_BASE),
            budgets: env.budgets,
            media_wait: DEFAULT_MEDIA_WAIT,
        })
    }

    /// Waits at most `wait` for X to process a video or GIF (default [`DEFAULT_MEDIA_WAIT`]).
    pub fn with_media_wait(mut self, wait: Duration) -> X {
        self.media_wait = wait;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One authenticated call. Files what the answer says about the `bucket`'s budget.
    async fn call(
        &self,
        creds: &Credentials,
        bucket: &str,
        request: reqwest::RequestBuilder,
        effect: Effect,
    ) -> Result<Answer, ConnectorError> {
        let response = request
            .bearer_auth(creds.secret.expose_secret())
            .send()
            .await
            .map_err(|e| http::classify_transport(&e, effect))?;
        let status = response.status();
        let headers = response.headers().clone();
        self.file_budget(creds, bucket, status, &headers, SystemTime::now());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http::classify_transport(&e, effect))?;
        tracing::debug!(
            network = "x",
            x.bucket = bucket,
            http.status = status.as_u16(),
            "x call"
        );
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    fn file_budget(
        &self,
        creds: &Credentials,
        bucket: &str,
        status: StatusCode,
        headers: &HeaderMap,
        now: SystemTime,
    ) {
        let account = creds.budget_key();
        if let Some(daily) = daily_limit(headers, "x-user-limit-24hour-", now) {
            self.budgets.observe_headers(
                Network::X,
                Scope::Account,
                &account,
                &format!("{bucket} (24 h)"),
                daily,
                now,
            );
        }
        if let Some(daily) = daily_limit(headers, "x-app-limit-24hour-", now) {
            self.budgets.observe_headers(
                Network::X,
                Scope::App,
                "",
                &format!("{bucket} (24 h, app)"),
                daily,
                now,
            );
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.budgets.exhausted(
                Network::X,
                Scope::Account,
                &account,
                bucket,
                wait_after_429(headers, now),
                now,
            );
        } else if let Some(limit) = http::rate_limit(headers, now) {
            self.budgets
                .observe_headers(Network::X, Scope::Account, &account, bucket, limit, now);
        }
    }

    /// The account's numeric id: `Credentials::account_id`, else asked with `/2/users/me`.
    async fn user_id(&self, creds: &Credentials) -> Result<String, ConnectorError> {
        if let Some(id) = creds.account_id.as_deref().filter(|id| is_id(id)) {
            return Ok(id.to_owned());
        }
        Ok(self.me(creds).await?.id)
    }

    async fn me(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let body = self
            .call(
                creds,
                "GET /2/users/me",
                self.http.get(self.url("/2/users/me")),
                Effect::Read,
            )
            .await?
            .ok()?;
        let data = body.get("data").unwrap_or(&Value::Null);
        Ok(AccountInfo {
            id: str_at(data, "id").ok_or_else(|| unexpected("/2/users/me", "no id"))?,
            handle: str_at(data, "username")
                .ok_or_else(|| unexpected("/2/users/me", "no username"))?,
        })
    }

    /// Uploads one image, GIF or video with its alt text; returns its media id.
    async fn upload(
        &self,
        creds: &Credentials,
        media: &MediaUpload,
    ) -> Result<String, ConnectorError> {
        let kind = Upload::of(media);
        let (id, processing) = match kind {
            Upload::Image => self.upload_simple(creds, media).await?,
            Upload::Gif | Upload::Video => self.upload_chunked(creds, media, kind).await?,
        };
        self.await_processing(creds, &id, processing).await?;
        if !media.alt.trim().is_empty() {
            let body = json!({ "id": id, "metadata": { "alt_text": { "text": media.alt } } });
            self.call(
                creds,
                "POST /2/media/metadata",
                self.http.post(self.url("/2/media/metadata")).json(&body),
                Effect::Read, // setting the same alt text twice is harmless
            )
            .await?
            .ok()?;
        }
        Ok(id)
    }

    fn media_part(bytes: Vec<u8>, mime: &str) -> Result<reqwest::multipart::Part, ConnectorError> {
        reqwest::multipart::Part::bytes(bytes)
            .file_name("media")
            .mime_str(mime)
            .map_err(|_| ConnectorError::Permanent {
                reason: format!("{mime:?} is not a media type X can take"),
            })
    }

    /// The one-request image upload. An unattached upload is invisible and expires: repeating it
    /// is harmless, so it counts as a read.
    async fn upload_simple(
        &self,
        creds: &Credentials,
        media: &MediaUpload,
    ) -> Result<(String, Value), ConnectorError> {
        let form = reqwest::multipart::Form::new()
            .part("media", Self::media_part(media.bytes.clone(), &media.mime)?)
            .text("media_category", Upload::Image.category());
        let body = self
            .call(
                creds,
                "POST /2/media/upload",
                self.http.post(self.url("/2/media/upload")).multipart(form),
                Effect::Read,
            )
            .await?
            .ok()?;
        media_answer(&body, "/2/media/upload")
    }

    /// INIT, APPEND in segments, FINALIZE.
    async fn upload_chunked(
        &self,
        creds: &Credentials,
        media: &MediaUpload,
        kind: Upload,
    ) -> Result<(String, Value), ConnectorError> {
        let init = json!({
            "media_type": media.mime,
            "total_bytes": media.bytes.len(),
            "media_category": kind.category(),
        });
        let body = self
            .call(
                creds,
                "POST /2/media/upload/initialize",
                self.http
                    .post(self.url("/2/media/upload/initialize"))
                    .json(&init),
                Effect::Read,
            )
            .await?
            .ok()?;
        let (id, _) = media_answer(&body, "/2/media/upload/initialize")?;
        for (index, chunk) in media.bytes.chunks(CHUNK_BYTES).enumerate() {
            let form = reqwest::multipart::Form::new()
                .part(
                    "media",
                    Self::media_part(chunk.to_vec(), "application/octet-stream")?,
                )
                .text("segment_index", index.to_string());
            self.call(
                creds,
                "POST /2/media/upload/:id/append",
                self.http
                    .post(self.url(&format!("/2/media/upload/{id}/append")))
                    .multipart(form),
                Effect::Read,
            )
            .await?
            .ok()?;
        }
        let body = self
            .call(
                creds,
                "POST /2/media/upload/:id/finalize",
                self.http
                    .post(self.url(&format!("/2/media/upload/{id}/finalize"))),
                Effect::Read,
            )
            .await?
            .ok()?;
        let (_, processing) = media_answer(&body, "/2/media/upload/:id/finalize")?;
        Ok((id, processing))
    }

    /// Polls STATUS until X has processed the media, within `media_wait`.
    async fn await_processing(
        &self,
        creds: &Credentials,
        id: &str,
        mut info: Value,
    ) -> Result<(), ConnectorError> {
        let deadline = Instant::now() + self.media_wait;
        loop {
            match info.get("state").and_then(Value::as_str) {
                None | Some("succeeded") => return Ok(()),
                Some("failed") => {
                    let why = info
                        .pointer("/error/message")
                        .and_then(Value::as_str)
                        .or_else(|| info.pointer("/error/name").and_then(Value::as_str))
                        .unwrap_or("no reason given");
                    return Err(ConnectorError::Permanent {
                        reason: format!(
                            "X could not process the media ({why}): check its format and length"
                        ),
                    });
                }
                Some(_) => {}
            }
            let wait = Duration::from_secs(
                info.get("check_after_secs")
                    .and_then(Value::as_u64)
                    .unwrap_or(5)
                    .max(1),
            );
            if Instant::now() + wait > deadline {
                return Err(ConnectorError::Temporary {
                    reason: format!(
                        "X was still processing the media after {} s; nothing was posted",
                        self.media_wait.as_secs()
                    ),
                    retry_after: None,
                });
            }
            tokio::time::sleep(wait).await;
            let body = self
                .call(
                    creds,
                    "GET /2/media/upload",
                    self.http
                        .get(self.url("/2/media/upload"))
                        .query(&[("command", "STATUS"), ("media_id", id)]),
                    Effect::Read,
                )
                .await?
                .ok()?;
            info = body
                .pointer("/data/processing_info")
                .cloned()
                .unwrap_or(Value::Null);
        }
    }

    /// Reads the account's timeline since `since`, looking for a post like `req`'s.
    async fn find(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let user = self.user_id(creds).await?;
        let now = SystemTime::now();
        let start = since.min(now);
        let start = start.checked_sub(LOOKUP_SLACK).unwrap_or(start);
        let start_time = chrono::DateTime::<chrono::Utc>::from(start)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let wanted = normalize(&req.part.text);
        let parent = req.reply_to.as_ref().map(|r| r.id.as_str());
        let mut token: Option<String> = None;
        for _ in 0..MAX_LOOKUP_PAGES {
            let mut query = vec![
                ("start_time", start_time.clone()),
                ("max_results", PAGE_SIZE.to_string()),
                (
                    "tweet.fields",
                    "created_at,entities,note_tweet,referenced_tweets".to_owned(),
                ),
            ];
            if let Some(t) = &token {
                query.push(("pagination_token", t.clone()));
            }
            let body = self
                .call(
                    creds,
                    "GET /2/users/:id/tweets",
                    self.http
                        .get(self.url(&format!("/2/users/{user}/tweets")))
                        .query(&query),
                    Effect::Read,
                )
                .await?
                .ok()?;
            for post in body
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if post_text(post) == wanted
                    && replies_to(post, parent)
                    && let Some(id) = str_at(post, "id")
                {
                    return Ok(Lookup::Found(self.published(creds, id, req)));
                }
            }
            match body.pointer("/meta/next_token").and_then(Value::as_str) {
                Some(next) => token = Some(next.to_owned()),
                None => return Ok(Lookup::Absent),
            }
        }
        Ok(Lookup::CannotTell {
            reason: format!(
                "read {} posts of the account since the first attempt without finding this one, \
                 and there are more: check the account on X",
                MAX_LOOKUP_PAGES * PAGE_SIZE as usize
            ),
        })
    }

    fn published(&self, creds: &Credentials, id: String, req: &PublishRequest) -> Published {
        let root = req.reply_to.as_ref().map(|parent| {
            parent.root.clone().unwrap_or_else(|| {
                Box::new(RemoteRef {
                    id: parent.id.clone(),
                    cid: None,
                    root: None,
                })
            })
        });
        Published {
            url: post_url(&creds.handle, &id),
            remote: RemoteRef {
                id,
                cid: None,
                root,
            },
        }
    }
}

impl Connector for X {
    fn network(&self) -> Network {
        Network::X
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        self.me(creds).await
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        check_request(req)?;
        let mut media_ids = Vec::new();
        for media in &req.part.media {
            media_ids.push(self.upload(creds, media).await?);
        }
        let mut body = json!({});
        if !req.part.text.is_empty() {
            body["text"] = json!(req.part.text);
        }
        if !media_ids.is_empty() {
            body["media"] = json!({ "media_ids": media_ids });
        }
        if let Some(parent) = &req.reply_to {
            body["reply"] = json!({ "in_reply_to_tweet_id": parent.id });
        }
        let answer = self
            .call(
                creds,
                TWEETS,
                self.http.post(self.url("/2/tweets")).json(&body),
                Effect::Write,
            )
            .await?;
        if answer.status.is_success() {
            return match answer.body.pointer("/data/id").and_then(Value::as_str) {
                Some(id) => Ok(self.published(creds, id.to_owned(), req)),
                None => Err(ConnectorError::Unknown {
                    reason: format!(
                        "X answered {} to the post without its id; look it up before sending it \
                         again",
                        answer.status
                    ),
                }),
            };
        }
        if matches!(answer.status.as_u16(), 500 | 502 | 504) {
            // The post reached X, which then failed or timed out upstream: it may exist.
            return Err(ConnectorError::Unknown {
                reason: format!(
                    "X answered {} after receiving the post ({}); look it up before sending it \
                     again",
                    answer.status,
                    said(&answer.body)
                ),
            });
        }
        Err(classify(
            answer.status,
            &answer.headers,
            &answer.body,
            SystemTime::now(),
        ))
    }

    /// Posts are answered with a post whose `reply.in_reply_to_tweet_id` is the message; direct
    /// messages with `POST /2/dm_conversations/{id}/messages` in their conversation.
    fn can_reply(&self, _kind: owlery_domain::inbox::MessageKind) -> bool {
        true
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        if req.target.kind != owlery_domain::inbox::MessageKind::Dm {
            return Connector::publish(self, creds, &req.as_publish(false)).await;
        }
        let thread = req
            .target
            .thread_id
            .as_deref()
            .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .ok_or_else(|| ConnectorError::Permanent {
                reason: "this direct message has no X conversation id to answer in".into(),
            })?;
        let body = json!({ "text": req.text });
        let answer = self
            .call(
                creds,
                DM_EVENTS,
                self.http
                    .post(self.url(&format!("/2/dm_conversations/{thread}/messages")))
                    .json(&body),
                Effect::Write,
            )
            .await?;
        if !answer.status.is_success() {
            return Err(classify(
                answer.status,
                &answer.headers,
                &answer.body,
                SystemTime::now(),
            ));
        }
        let id = answer
            .body
            .pointer("/data/dm_event_id")
            .and_then(Value::as_str)
            .ok_or_else(|| ConnectorError::Unknown {
                reason: "X accepted the direct message without its id".into(),
            })?;
        Ok(Published {
            remote: RemoteRef {
                id: id.to_owned(),
                cid: None,
                root: None,
            },
            url: format!("https://x.com/messages/{thread}"),
        })
    }

    /// Replies to posts: as for posts (the account's posts since the attempt, same text and
    /// parent). Direct messages: X cannot tell.
    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        if req.target.kind == owlery_domain::inbox::MessageKind::Dm {
            return Ok(Lookup::CannotTell {
                reason: "X cannot look a direct message up by its text: check the conversation"
                    .into(),
            });
        }
        Connector::lookup(self, creds, &req.as_publish(false), since).await
    }

    /// X has no idempotency key: lists the account's posts since `since` and matches the text
    /// (and the parent, for replies).
    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        if req.part.text.trim().is_empty() {
            return Ok(Lookup::CannotTell {
                reason: "the post has no text to recognise it by on X: check the account".into(),
            });
        }
        self.find(creds, req, since).await
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        check_id(&remote.id)?;
        let answer = self
            .call(
                creds,
                "DELETE /2/tweets/:id",
                self.http
                    .delete(self.url(&format!("/2/tweets/{}", remote.id))),
                Effect::Read, // deleting twice is harmless
            )
            .await?;
        if answer.is_gone() {
            return Ok(());
        }
        let body = answer.ok()?;
        match body.pointer("/data/deleted").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ConnectorError::Permanent {
                reason: format!("X did not delete post {} ({})", remote.id, said(&body)),
            }),
        }
    }

    fn can_hide_comments(&self) -> bool {
        true
    }

    /// `PUT /2/tweets/{id}/hidden` with `{"hidden": true}` (replies to the account's posts).
    /// Posts (replies, mentions) can be liked; direct messages cannot.
    fn can_like(&self, kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        if kind == owlery_domain::inbox::MessageKind::Dm {
            crate::inbox::Ability::Not("X's API cannot like a direct message")
        } else {
            crate::inbox::Ability::Allowed
        }
    }

    /// `POST /2/users/{id}/likes` with `{"tweet_id": …}` (<https://docs.x.com/x-api/users/like-post>);
    /// answers `{"data": {"liked": true}}`, also when it was liked already.
    async fn like(&self, creds: &Credentials, remote_id: &str) -> Result<(), ConnectorError> {
        check_id(remote_id)?;
        let user = self.user_id(creds).await?;
        let answer = self
            .call(
                creds,
                "POST /2/users/:id/likes",
                self.http
                    .post(self.url(&format!("/2/users/{user}/likes")))
                    .json(&json!({ "tweet_id": remote_id })),
                Effect::Read, // liking twice is harmless
            )
            .await?;
        let body = answer.ok()?;
        match body.pointer("/data/liked").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ConnectorError::Permanent {
                reason: format!("X did not like post {remote_id} ({})", said(&body)),
            }),
        }
    }

    fn can_delete_comment(
        &self,
        _kind: owlery_domain::inbox::MessageKind,
    ) -> crate::inbox::Ability {
        crate::inbox::Ability::Not("X lets only its author delete a post: hide the reply instead")
    }

    async fn hide_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        check_id(remote_id)?;
        let answer = self
            .call(
                creds,
                "PUT /2/tweets/:id/hidden",
                self.http
                    .put(self.url(&format!("/2/tweets/{remote_id}/hidden")))
                    .json(&json!({ "hidden": true })),
                Effect::Read, // hiding twice is harmless
            )
            .await?;
        let body = answer.ok()?;
        match body.pointer("/data/hidden").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ConnectorError::Permanent {
                reason: format!("X did not hide reply {remote_id} ({})", said(&body)),
            }),
        }
    }

    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        check_id(&remote.id)?;
        let answer = self
            .call(
                creds,
                "GET /2/tweets/:id",
                self.http
                    .get(self.url(&format!("/2/tweets/{}", remote.id)))
                    .query(&[("tweet.fields", "public_metrics")]),
                Effect::Read,
            )
            .await?;
        if answer.is_gone() {
            return Ok(RemoteStatus::default());
        }
        let body = answer.ok()?;
        let metrics = body
            .pointer("/data/public_metrics")
            .map(|m| {
                let n = |k: &str| m.get(k).and_then(Value::as_u64);
                Metrics {
                    likes: n("like_count"),
                    shares: match (n("retweet_count"), n("quote_count")) {
                        (Some(r), q) => Some(r + q.unwrap_or(0)),
                        (None, q) => q,
                    },
                    comments: n("reply_count"),
                    views: n("impression_count"),
                    saves: n("bookmark_count"),
                }
            })
            .unwrap_or_default();
        Ok(RemoteStatus {
            exists: true,
            metrics,
        })
    }

    /// `oauth::refresh` at `/2/oauth2/token` with HTTP Basic; X rotates the refresh token.
    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        let Some(refresh) = &creds.refresh else {
            return Ok(None);
        };
        let Some(app) = &creds.app else {
            return Err(ConnectorError::Permanent {
                reason: "the organisation's X app (client id and secret) is not configured, so \
                         the token cannot be refreshed"
                    .into(),
            });
        };
        let spec = self.spec();
        match oauth::refresh(&self.http, &spec, app, refresh, SystemTime::now()).await {
            Ok(grant) => Ok(Some(grant)),
            // X answers a revoked, expired or already rotated refresh token with
            // `invalid_request: Value passed for the token was invalid.`, not `invalid_grant`.
            Err(ConnectorError::Permanent { reason })
                if reason.contains("Value passed for the token was invalid") =>
            {
                Err(ConnectorError::Auth {
                    reason: format!(
                        "X no longer accepts this connection's refresh token ({reason}): \
                         reconnect the channel"
                    ),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(self.spec())
    }
}

impl X {
    fn spec(&self) -> OAuthSpec {
        let mut spec = OAuthSpec::standard(
            AUTHORIZE_URL,
            &format!("{}/2/oauth2/token", self.base),
            &SCOPES,
        );
        spec.client_auth = ClientAuth::Basic;
        spec
    }
}

/// What X would refuse, or cannot do, checked before anything is sent.
fn check_request(req: &PublishRequest) -> Result<(), ConnectorError> {
    let refuse = |reason: String| Err(ConnectorError::Permanent { reason });
    if !PLACEMENTS.contains(&req.placement.as_str()) {
        return refuse(format!(
            "X has no \"{}\" placement: posts go to the account's timeline (placement \"post\")",
            req.placement
        ));
    }
    if let Some(target) = &req.target {
        return refuse(format!(
            "X posts always go to the account's own timeline; there is no target {target:?} to \
             post into"
        ));
    }
    if req.as_comment && req.reply_to.is_none() {
        return refuse(
            "a first comment on X is a reply, and this one names no post to reply to".into(),
        );
    }
    if let Some(parent) = &req.reply_to {
        check_id(&parent.id)?;
    }
    let part = &req.part;
    if part.text.trim().is_empty() && part.media.is_empty() {
        return refuse("the post has neither text nor media: X needs one of them".into());
    }
    let kinds: Vec<Upload> = part.media.iter().map(Upload::of).collect();
    let moving = kinds.iter().filter(|k| **k != Upload::Image).count();
    if moving > 0 && kinds.len() > 1 {
        return refuse(
            "X takes up to 4 images, or one video, or one GIF per post, not a mix: split the \
             media over a thread"
                .into(),
        );
    }
    if kinds.len() > MAX_IMAGES {
        return refuse(format!(
            "{} images: X takes at most {MAX_IMAGES} per post; remove some or continue in a \
             thread",
            kinds.len()
        ));
    }
    for (i, (media, kind)) in part.media.iter().zip(&kinds).enumerate() {
        let n = i + 1;
        let mime = media.mime.to_ascii_lowercase();
        let (allowed, max, what): (&[&str], usize, &str) = match kind {
            Upload::Image => (
                &["image/jpeg", "image/png", "image/webp"],
                MAX_IMAGE_BYTES,
                "image",
            ),
            Upload::Gif => (&["image/gif"], MAX_GIF_BYTES, "GIF"),
            Upload::Video => (&["video/mp4", "video/quicktime"], MAX_VIDEO_BYTES, "video"),
        };
        if !allowed.contains(&mime.as_str()) {
            return refuse(format!(
                "attachment {n} is {}: X takes JPEG, PNG, WebP or GIF images and MP4 or MOV \
                 videos",
                media.mime
            ));
        }
        if media.bytes.is_empty() {
            return refuse(format!("attachment {n} is empty"));
        }
        if media.bytes.len() > max {
            return refuse(format!(
                "the {what} (attachment {n}) has {} bytes; X takes at most {} MB: make it smaller",
                media.bytes.len(),
                max / (1024 * 1024)
            ));
        }
        if media.alt.chars().count() > MAX_ALT_CHARS {
            return refuse(format!(
                "the alt text of attachment {n} has {} characters; X takes at most \
                 {MAX_ALT_CHARS}",
                media.alt.chars().count()
            ));
        }
    }
    Ok(())
}

/// X ids are decimal numbers (up to 19 digits).
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

fn check_id(id: &str) -> Result<(), ConnectorError> {
    if is_id(id) {
        Ok(())
    } else {
        Err(ConnectorError::Permanent {
            reason: format!("{id:?} is not an X post id"),
        })
    }
}

/// `{"data": {"id", "processing_info"?}}` of an upload step.
fn media_answer(body: &Value, step: &str) -> Result<(String, Value), ConnectorError> {
    let id = body
        .pointer("/data/id")
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
        .ok_or_else(|| unexpected(step, "no media id"))?;
    let processing = body
        .pointer("/data/processing_info")
        .cloned()
        .unwrap_or(Value::Null);
    Ok((id, processing))
}

fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn unexpected(what: &str, detail: &str) -> ConnectorError {
    ConnectorError::Temporary {
        reason: format!("unexpected answer from X: {what} sent {detail}"),
        retry_after: None,
    }
}

/// Where people see a post: `https://x.com/<username>/status/<id>`.
pub fn post_url(handle: &str, id: &str) -> String {
    let name = handle.trim().trim_start_matches('@');
    if name.is_empty() {
        format!("https://x.com/i/web/status/{id}")
    } else {
        format!("https://x.com/{name}/status/{id}")
    }
}

/// Text as compared for `lookup`: whitespace runs become one space, ends trimmed.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A timeline post's text as it was written: the long text of a long post, `t.co` links
/// expanded, the link to attached media removed, HTML entities unescaped, then normalised.
pub fn post_text(post: &Value) -> String {
    let (mut text, entities) = match post.get("note_tweet") {
        Some(note) => (
            note.get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            note.get("entities"),
        ),
        None => (
            post.get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            post.get("entities"),
        ),
    };
    for url in entities
        .and_then(|e| e.get("urls"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(short) = url.get("url").and_then(Value::as_str) else {
            continue;
        };
        let replacement = if url.get("media_key").is_some() {
            ""
        } else {
            url.get("expanded_url")
                .and_then(Value::as_str)
                .unwrap_or(short)
        };
        text = text.replace(short, replacement);
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    normalize(&text)
}

/// Whether a timeline post answers `parent` (always true when no parent is wanted, or when X did
/// not say what the post refers to).
fn replies_to(post: &Value, parent: Option<&str>) -> bool {
    let Some(parent) = parent else {
        return true;
    };
    let Some(refs) = post.get("referenced_tweets").and_then(Value::as_array) else {
        return false;
    };
    refs.iter().any(|r| {
        r.get("type").and_then(Value::as_str) == Some("replied_to")
            && r.get("id").and_then(Value::as_str) == Some(parent)
    })
}

/// The problem `type`s of a body (top level and `errors[]`).
fn problem_types(body: &Value) -> Vec<&str> {
    let mut types: Vec<&str> = body
        .get("type")
        .and_then(Value::as_str)
        .into_iter()
        .collect();
    for e in body
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = e.get("type").and_then(Value::as_str) {
            types.push(t);
        }
    }
    types
}

fn is_not_found_problem(body: &Value) -> bool {
    body.get("data").is_none()
        && problem_types(body)
            .iter()
            .any(|t| t.ends_with("/resource-not-found"))
}

/// What X said, readable: the problem's `detail` (or `title`), and each `errors[]` message.
pub fn said(body: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |s: Option<&str>| {
        if let Some(s) = s.map(str::trim).filter(|s| !s.is_empty())
            && !parts.iter().any(|p| p == s)
        {
            parts.push(s.to_owned());
        }
    };
    push(
        body.get("detail")
            .and_then(Value::as_str)
            .or_else(|| body.get("title").and_then(Value::as_str)),
    );
    for e in body
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(
            e.get("message")
                .and_then(Value::as_str)
                .or_else(|| e.get("detail").and_then(Value::as_str))
                .or_else(|| e.get("title").and_then(Value::as_str)),
        );
    }
    parts.join("; ")
}

/// An X error answer as a connector error.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &Value,
    now: SystemTime,
) -> ConnectorError {
    let said = said(body);
    let types = problem_types(body);
    let has_type = |suffix: &str| types.iter().any(|t| t.ends_with(suffix));
    let lower = said.to_lowercase();
    if status == StatusCode::TOO_MANY_REQUESTS || has_type("/usage-capped") {
        return ConnectorError::RateLimited {
            retry_after: wait_after_429(headers, now),
        };
    }
    if status == StatusCode::UNAUTHORIZED || has_type("/unsupported-authentication") {
        return ConnectorError::Auth {
            reason: format!(
                "X no longer accepts this connection ({}): reconnect the channel",
                if said.is_empty() {
                    "unauthorized"
                } else {
                    &said
                }
            ),
        };
    }
    if status == StatusCode::FORBIDDEN {
        if lower.contains("duplicate content") {
            return ConnectorError::Permanent {
                reason: format!(
                    "X refuses duplicate posts: this account already has a post with the same \
                     text ({said}); change the text, or check whether an earlier attempt went \
                     through"
                ),
            };
        }
        if has_type("/client-forbidden") {
            return ConnectorError::Permanent {
                reason: format!(
                    "X does not let the organisation's app use this endpoint ({said}): attach \
                     the app to a Project with the right access in the X developer portal"
                ),
            };
        }
        if said.is_empty() || lower == "forbidden" {
            return ConnectorError::Auth {
                reason: "X refused the account's permission to do this (Forbidden): the \
                         connection may lack a scope such as tweet.write or media.write, or the \
                         account is locked; reconnect the channel"
                    .into(),
            };
        }
        return ConnectorError::Permanent {
            reason: format!("X refused: {said}"),
        };
    }
    if status.is_client_error() && status != StatusCode::REQUEST_TIMEOUT {
        return ConnectorError::Permanent {
            reason: if said.is_empty() {
                format!("X rejected the request (HTTP {status})")
            } else {
                format!("X rejected the request: {said}")
            },
        };
    }
    if status.is_success() {
        // A 200 that carries only errors.
        return ConnectorError::Permanent {
            reason: format!("X answered with an error: {said}"),
        };
    }
    http::classify_status(status, headers, &said, now)
}

/// How long to wait after a 429: `Retry-After`, else the latest reset of an empty window (the
/// 15-minute window, the user's or the app's daily cap), else the 15-minute window's reset.
fn wait_after_429(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(d) = http::retry_after(headers, now) {
        return Some(d);
    }
    let windows = [
        http::rate_limit(headers, now),
        daily_limit(headers, "x-user-limit-24hour-", now),
        daily_limit(headers, "x-app-limit-24hour-", now),
    ];
    windows
        .iter()
        .flatten()
        .filter(|w| w.remaining == Some(0))
        .filter_map(|w| w.reset)
        .max()
        .or_else(|| windows[0].and_then(|w| w.reset))
}

/// `<prefix>limit`, `<prefix>remaining`, `<prefix>reset` (Unix seconds).
fn daily_limit(headers: &HeaderMap, prefix: &str, now: SystemTime) -> Option<RateLimit> {
    let get = |suffix: &str| {
        headers
            .get(format!("{prefix}{suffix}"))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let limit = get("limit");
    let remaining = get("remaining");
    let reset = get("reset").map(|at| {
        (SystemTime::UNIX_EPOCH + Duration::from_secs(at))
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
    });
    if limit.is_none() && remaining.is_none() && reset.is_none() {
        return None;
    }
    Some(RateLimit {
        limit,
        remaining,
        reset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishPart;
    use reqwest::header::HeaderValue;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn urls_name_the_account() {
        assert_eq!(
            post_url("@Owlery", "1445880548472328192"),
            "https://x.com/Owlery/status/1445880548472328192"
        );
        assert_eq!(post_url("", "1"), "https://x.com/i/web/status/1");
        assert!(is_id("1445880548472328192"));
        assert!(!is_id("12/../../2/users"));
        assert!(!is_id(""));
    }

    #[test]
    fn timeline_text_is_read_back_as_written() {
        // A post with a link and an image, as GET /2/users/:id/tweets returns it.
        let post = json!({
            "id": "1",
            "text": "Ship it &amp; see  https://t.co/abc\nhttps://t.co/pic",
            "entities": { "urls": [
                { "start": 20, "end": 43, "url": "https://t.co/abc",
                  "expanded_url": "https://owlery.example/launch", "display_url": "owlery.example/launch" },
                { "start": 44, "end": 67, "url": "https://t.co/pic",
                  "expanded_url": "https://x.com/o/status/1/photo/1", "media_key": "3_1" }
            ]}
        });
        assert_eq!(
            post_text(&post),
            normalize("Ship it & see https://owlery.example/launch")
        );
        // Long posts carry the whole text in note_tweet.
        let long =
            json!({ "id": "2", "text": "Short…", "note_tweet": { "text": "The  whole\ttext" } });
        assert_eq!(post_text(&long), "The whole text");
        // Replies are matched to their parent.
        let reply = json!({ "referenced_tweets": [{ "type": "replied_to", "id": "9" }] });
        assert!(replies_to(&reply, Some("9")));
        assert!(!replies_to(&reply, Some("8")));
        assert!(!replies_to(&json!({}), Some("9")));
        assert!(replies_to(&json!({}), None));
    }

    #[test]
    fn error_bodies_are_classified() {
        let none = HeaderMap::new();
        let c = |status: u16, body: Value| {
            classify(StatusCode::from_u16(status).unwrap(), &none, &body, now())
        };
        // Documented problem bodies.
        let dup = c(
            403,
            json!({"detail": "You are not allowed to create a Tweet with duplicate content.",
                   "type": "about:blank", "title": "Forbidden", "status": 403}),
        );
        assert!(
            matches!(&dup, ConnectorError::Permanent { reason } if reason.contains("duplicate")),
            "{dup:?}"
        );
        assert!(matches!(
            c(
                401,
                json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
            ),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(
                403,
                json!({"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"})
            ),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(403, json!({"title": "Client Forbidden", "type": "https://api.x.com/2/problems/client-forbidden",
                          "reason": "client-not-enrolled", "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project."})),
            ConnectorError::Permanent { reason } if reason.contains("Project")
        ));
        let invalid = c(
            400,
            json!({"errors": [{"parameters": {"text": [""]}, "message": "Tweet text is too long."}],
                   "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                   "type": "https://api.x.com/2/problems/invalid-request"}),
        );
        assert!(
            matches!(&invalid, ConnectorError::Permanent { reason } if reason.contains("Tweet text is too long.")),
            "{invalid:?}"
        );
        assert!(matches!(
            c(
                503,
                json!({"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503})
            ),
            ConnectorError::Temporary { .. }
        ));
        assert!(matches!(
            c(
                429,
                json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})
            ),
            ConnectorError::RateLimited { .. }
        ));
        assert!(matches!(
            c(
                429,
                json!({"title": "UsageCapExceeded", "type": "https://api.x.com/2/problems/usage-capped", "detail": "Usage cap exceeded: Monthly product cap"})
            ),
            ConnectorError::RateLimited { .. }
        ));
        assert_eq!(
            said(&json!({"errors": [{"message": "a"}, {"message": "a"}, {"detail": "b"}]})),
            "a; b"
        );
    }

    #[test]
    fn a_429_waits_for_the_window_that_is_empty() {
        // The 15-minute window still has room; the user's daily cap is spent.
        let h = headers(&[
            ("x-rate-limit-remaining", "99"),
            ("x-rate-limit-reset", "1700000600"),
            ("x-user-limit-24hour-limit", "100"),
            ("x-user-limit-24hour-remaining", "0"),
            ("x-user-limit-24hour-reset", "1700050000"),
        ]);
        assert_eq!(wait_after_429(&h, now()), Some(Duration::from_secs(50_000)));
        let h = headers(&[
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1700000600"),
        ]);
        assert_eq!(wait_after_429(&h, now()), Some(Duration::from_secs(600)));
        let h = headers(&[("retry-after", "7"), ("x-rate-limit-reset", "1700000600")]);
        assert_eq!(wait_after_429(&h, now()), Some(Duration::from_secs(7)));
        assert_eq!(wait_after_429(&HeaderMap::new(), now()), None);
    }

    fn with_media(media: Vec<MediaUpload>) -> PublishRequest {
        PublishRequest {
            part: PublishPart {
                text: "t".into(),
                media,
                ..PublishPart::default()
            },
            ..PublishRequest::new("k", "t")
        }
    }

    fn file(mime: &str, bytes: usize) -> MediaUpload {
        MediaUpload {
            kind: if mime.starts_with("video/") {
                MediaKind::Video
            } else {
                MediaKind::Image
            },
            bytes: vec![0; bytes],
            mime: mime.into(),
            ..MediaUpload::default()
        }
    }

    #[test]
    fn what_x_cannot_take_is_refused() {
        assert!(check_request(&with_media(vec![file("image/png", 10); 4])).is_ok());
        assert!(check_request(&with_media(vec![file("image/png", 10); 5])).is_err());
        assert!(check_request(&with_media(vec![file("video/mp4", 10)])).is_ok());
        assert!(
            check_request(&with_media(vec![
                file("video/mp4", 10),
                file("image/png", 10)
            ]))
            .is_err()
        );
        assert!(check_request(&with_media(vec![file("image/gif", 10); 2])).is_err());
        assert!(check_request(&with_media(vec![file("image/png", MAX_IMAGE_BYTES + 1)])).is_err());
        assert!(check_request(&with_media(vec![file("image/gif", MAX_IMAGE_BYTES + 1)])).is_ok());
        assert!(check_request(&with_media(vec![file("image/tiff", 10)])).is_err());
        let mut long_alt = file("image/png", 10);
        long_alt.alt = "a".repeat(MAX_ALT_CHARS + 1);
        assert!(check_request(&with_media(vec![long_alt])).is_err());

        let mut req = PublishRequest::new("k", "t");
        req.placement = "story".into();
        assert!(check_request(&req).is_err());
        req.placement = "post".into();
        assert!(check_request(&req).is_ok());
        req.as_comment = true;
        assert!(check_request(&req).is_err(), "a comment needs a parent");
        assert!(check_request(&PublishRequest::new("k", "  ")).is_err());
    }
}
