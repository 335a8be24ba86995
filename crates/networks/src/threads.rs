//! Threads through Meta's Threads API (`graph.threads.net`, version `v1.0`), with a Threads user
//! access token sent as `Authorization: Bearer`.
//!
//! - **verify**: `GET /v1.0/me?fields=id,username`.
//! - **publish** (<https://developers.facebook.com/documentation/threads/posts>): a media container
//!   `POST /v1.0/{threads-user-id}/threads` — `media_type=TEXT` with `text` (and
//!   `link_attachment` when the part has a link), `IMAGE`/`VIDEO` with `image_url`/`video_url` taken
//!   from [`MediaUpload::url`] (Threads fetches media from a public address — the engine signs one
//!   under `OWLERY_PUBLIC_URL` per file, [`MediaSource::Url`]; media without one is refused) and
//!   `alt_text`, or for 2–20 items one container per item with `is_carousel_item=true` and then
//!   `media_type=CAROUSEL` with `children` — with `reply_to_id` for the next part of a thread or a first comment (Threads has no separate comment: both are
//!   replies; <https://developers.facebook.com/docs/threads/reply-management>). Each container is
//!   polled with `GET /v1.0/{container-id}?fields=status,error_message` until `FINISHED`, at most
//!   [`DEFAULT_MAX_POLLS`] times [`DEFAULT_POLL_EVERY`] apart (Meta: once a minute, no more than
//!   five minutes; <https://developers.facebook.com/docs/threads/troubleshooting>); `ERROR` is
//!   `Permanent` with Meta's reason made readable, still processing at the end is `Temporary`
//!   (nothing is published). Then `POST /v1.0/{threads-user-id}/threads_publish` with
//!   `creation_id`, and the permalink from `GET /v1.0/{media-id}?fields=permalink`.
//! - **publishing quota**: before each publish, `GET /v1.0/{id}/threads_publishing_limit`
//!   (`quota_usage` of `config.quota_total` posts per `config.quota_duration`; replies:
//!   `reply_quota_usage` of `reply_config`). A spent quota is `RateLimited` until the oldest post
//!   in the window ages out (read from the account's posts, [`crate::budget::quota_wait`]; an hour
//!   when they cannot be read) and is filed in the budget book.
//! - **exactly once**: Threads has no idempotency key. A `threads_publish` that fails after it may
//!   have reached Meta is `Unknown`; a completed error answer is checked against the container's
//!   status (`PUBLISHED` → `Unknown`, anything else → the error, nothing was published).
//!   [`Connector::lookup`] lists `GET /v1.0/{id}/threads` (replies: `/replies`)
//!   `?since=…&fields=id,text,timestamp,permalink&limit=100`, following the paging cursors, and
//!   matches the text with whitespace normalised; `Absent` only when the last page was reached.
//! - **delete**: `DELETE /v1.0/{media-id}` (`{"success": true}`; an object that does not exist —
//!   code 100, subcode 33 — or a 404 is already gone;
//!   <https://developers.facebook.com/docs/threads/posts/delete-posts>; needs `threads_delete`).
//! - **status**: `GET /v1.0/{media-id}/insights?metric=views,likes,replies,reposts,quotes`
//!   (<https://developers.facebook.com/docs/threads/insights>); gone as for delete.
//! - **OAuth 2.0** (<https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions>):
//!   authorize at `https://threads.net/oauth/authorize` (comma-separated scopes, no PKCE), code
//!   exchange at `https://graph.threads.net/oauth/access_token` (id and secret in the body) for a
//!   one-hour token, then [`Threads::exchange_long_lived`]
//!   (`GET /access_token?grant_type=th_exchange_token`) for a 60-day token, which
//!   [`Connector::refresh`] renews with `GET /refresh_access_token?grant_type=th_refresh_token`
//!   (<https://developers.facebook.com/docs/threads/get-started/long-lived-tokens>). These two
//!   calls take the token as the documented `access_token` query parameter (the only calls here
//!   that do); errors never show the address.
//! - **errors**: Meta's `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`: code
//!   190 → `Auth`; 10 and 200–299 (a missing permission) → `Auth`; 4/17/32/613 → `RateLimited`;
//!   1/2 and `is_transient` → `Temporary`; others → `Permanent` with Meta's message
//!   (`error_user_msg` where given). `X-App-Usage`/`X-Business-Use-Case-Usage` are filed with
//!   `observe_meta`.
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/threads_fixture.rs`); not verified against the live network, nor is Threads'
//! downloading of Owlery's signed media addresses (shown for Instagram, the same Meta fetcher, by
//! a fixture downloading from a running Owlery).
//!
//! Not implemented: polls, quote posts and reposts, topic tags as a separate field, reply
//! controls, location tags, text length checks (the composer counts with Threads' rule), and
//! uploading media bytes (the API has no upload: it fetches public addresses).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::budget::{self, BudgetBook, Scope};
use crate::http::{self, Effect};
use crate::oauth::{self, ClientAuth, OAuthSpec};
use crate::{
    AccountInfo, AccountKind, AppCredentials, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, MediaSource, MediaUpload, Metrics, Network, PublishRequest,
    Published, RemoteRef, RemoteStatus, TokenGrant,
};

/// The API host.
pub const DEFAULT_API_BASE: &str = "https://graph.threads.net";
/// The Graph API version in every path.
pub const API_VERSION: &str = "v1.0";
/// Where a person authorises Owlery.
pub const AUTHORIZE_URL: &str = "https://threads.net/oauth/authorize";
/// Profile, publishing, replies (write and read), insights, deleting.
pub const SCOPES: [&str; 6] = [
    "threads_basic",
    "threads_content_publish",
    "threads_manage_replies",
    "threads_read_replies",
    "threads_manage_insights",
    "threads_delete",
];
/// Items of a carousel.
pub const MAX_CAROUSEL_ITEMS: usize = 20;
/// Between two looks at a container's status.
pub const DEFAULT_POLL_EVERY: Duration = Duration::from_secs(30);
/// Looks at a container's status before giving up (the first one at once).
pub const DEFAULT_MAX_POLLS: u32 = 11;
/// Posts per page when listing (`limit`).
const PAGE_SIZE: u32 = 100;
/// Pages `lookup` reads before it gives up.
const MAX_LOOKUP_PAGES: usize = 10;
/// Lookup starts this much before the first attempt (clocks differ).
const LOOKUP_SLACK: Duration = Duration::from_secs(5 * 60);
/// How long a spent quota waits when the account's posts cannot say when it frees.
const QUOTA_FALLBACK_WAIT: Duration = Duration::from_secs(3600);
/// Placement codes of Threads in `networks.toml` ("" = the main one).
const PLACEMENTS: [&str; 2] = ["", "post"];

/// The Threads connector. Holds no per-account state.
pub struct Threads {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    base: String,
    poll_every: Duration,
    max_polls: u32,
}

/// An HTTP answer of any status, its body read as JSON (`Null` if empty or not JSON).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn ok(self) -> Result<Value, ConnectorError> {
        if self.status.is_success() && self.body.get("error").is_none() {
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

    /// The object does not exist (any more), or we may not see it.
    fn is_gone(&self) -> bool {
        let e = MetaError::of(&self.body);
        self.status == StatusCode::NOT_FOUND
            || e.as_ref()
                .is_some_and(|e| e.code == Some(100) && e.subcode == Some(33))
    }
}

/// Meta's error object.
#[derive(Debug, Default, PartialEq, Eq)]
struct MetaError {
    code: Option<i64>,
    subcode: Option<i64>,
    message: String,
    transient: bool,
}

impl MetaError {
    fn of(body: &Value) -> Option<MetaError> {
        let e = body.get("error")?.as_object()?;
        let text = |k: &str| {
            e.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let message = text("error_user_msg")
            .or_else(|| text("message"))
            .unwrap_or("no message")
            .to_owned();
        Some(MetaError {
            code: e.get("code").and_then(Value::as_i64),
            subcode: e.get("error_subcode").and_then(Value::as_i64),
            message,
            transient: e
                .get("is_transient")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    fn said(&self) -> String {
        match self.code {
            Some(code) => format!("{} (code {code})", self.message),
            None => self.message.clone(),
        }
    }

    fn is_rate_limit(&self) -> bool {
        matches!(self.code, Some(4 | 17 | 32 | 613))
    }
}

/// When a rate-limited Meta call may be tried again: `Retry-After`, else the longest
/// `estimated_time_to_regain_access` of `X-Business-Use-Case-Usage`.
fn rate_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    http::retry_after(headers, now).or_else(|| {
        headers
            .get("x-business-use-case-usage")
            .and_then(|v| v.to_str().ok())
            .and_then(budget::meta_business_usage)
            .and_then(|cases| cases.iter().filter_map(|c| c.regain).max())
            .filter(|d| !d.is_zero())
    })
}

/// A Threads (Graph API) error answer as a connector error.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &Value,
    now: SystemTime,
) -> ConnectorError {
    let Some(e) = MetaError::of(body) else {
        return http::classify_status(status, headers, "", now);
    };
    let said = e.said();
    match e.code {
        Some(190) => ConnectorError::Auth {
            reason: format!(
                "Threads no longer accepts this connection ({said}): reconnect the channel"
            ),
        },
        Some(10 | 200..=299) => ConnectorError::Auth {
            reason: format!(
                "the Threads connection lacks a permission ({said}): reconnect the channel and \
                 grant every permission asked for"
            ),
        },
        _ if e.is_rate_limit() || status == StatusCode::TOO_MANY_REQUESTS => {
            ConnectorError::RateLimited {
                retry_after: rate_wait(headers, now),
            }
        }
        Some(1 | 2) => ConnectorError::Temporary {
            reason: format!("Threads is having trouble: {said}"),
            retry_after: http::retry_after(headers, now),
        },
        _ if e.transient || status.is_server_error() => ConnectorError::Temporary {
            reason: format!("Threads is having trouble: {said}"),
            retry_after: http::retry_after(headers, now),
        },
        _ => ConnectorError::Permanent {
            reason: format!("Threads rejected the request: {said}"),
        },
    }
}

/// A token call's error: a dead token (190) needs a person; anything else must never disconnect a
/// channel, so it is passing.
fn classify_token(status: StatusCode, headers: &HeaderMap, body: &Value) -> ConnectorError {
    let now = SystemTime::now();
    match MetaError::of(body) {
        Some(e) if e.code == Some(190) => ConnectorError::Auth {
            reason: format!(
                "Threads no longer accepts this connection ({}): reconnect the channel",
                e.said()
            ),
        },
        Some(e) if e.is_rate_limit() => ConnectorError::RateLimited {
            retry_after: rate_wait(headers, now),
        },
        Some(e) => ConnectorError::Temporary {
            reason: format!("Threads did not renew the token: {}", e.said()),
            retry_after: http::retry_after(headers, now),
        },
        None => match http::classify_status(status, headers, "", now) {
            auth @ ConnectorError::Auth { .. } => auth,
            limited @ ConnectorError::RateLimited { .. } => limited,
            other => ConnectorError::Temporary {
                reason: format!("Threads did not renew the token ({other})"),
                retry_after: other.retry_after(),
            },
        },
    }
}

/// A container's failure, as a social media manager reads it.
pub fn container_error(message: &str) -> String {
    let what = match message.trim() {
        "FAILED_DOWNLOADING_VIDEO" => {
            "Threads could not download the video from its public address"
        }
        "FAILED_PROCESSING_AUDIO" => "Threads could not process the video's audio",
        "FAILED_PROCESSING_VIDEO" => "Threads could not process the video",
        "INVALID_ASPEC_RATIO" | "INVALID_ASPECT_RATIO" => {
            "Threads does not take the video's aspect ratio (at most 10:1)"
        }
        "INVALID_BIT_RATE" => "the video's bit rate is too high for Threads (at most 25 Mbps)",
        "INVALID_DURATION" => "Threads does not take the video's length (at most 5 minutes)",
        "INVALID_FRAME_RATE" => "Threads does not take the video's frame rate (23–60 fps)",
        "INVALID_AUDIO_CHANNELS" | "INVALID_AUDIO_CHANNEL_LAYOUT" => {
            "Threads does not take the video's audio channels (mono or stereo)"
        }
        "" | "UNKNOWN" => "Threads could not process the media and did not say why",
        other => return format!("Threads could not process the media: {other}"),
    };
    format!("{what} ({})", message.trim())
}

/// Where to look for earlier posts of the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Listing {
    Posts,
    Replies,
}

impl Listing {
    fn edge(self) -> &'static str {
        match self {
            Listing::Posts => "threads",
            Listing::Replies => "replies",
        }
    }
}

impl Threads {
    /// Builds the connector: the shared HTTP client, the budget book, and `env.base_url` in place
    /// of `https://graph.threads.net` (tests).
    pub fn new(env: Env) -> Result<Threads, ConnectorError> {
        Ok(Threads {
            http: http::client(env.http)?,
            base: env.base(DEFAULT_API_BASE),
            budgets: env.budgets,
            poll_every: DEFAULT_POLL_EVERY,
            max_polls: DEFAULT_MAX_POLLS,
        })
    }

    /// Looks at a container's status at most `max_polls` times, `every` apart.
    pub fn with_polling(mut self, every: Duration, max_polls: u32) -> Threads {
        self.poll_every = every;
        self.max_polls = max_polls.max(1);
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{API_VERSION}/{path}", self.base)
    }

    /// One authenticated call; files Meta's usage headers, and a rate-limit answer.
    async fn call(
        &self,
        creds: &Credentials,
        what: &str,
        request: reqwest::RequestBuilder,
        effect: Effect,
    ) -> Result<Answer, ConnectorError> {
        let response = request
            .bearer_auth(creds.secret.expose_secret())
            .send()
            .await
            .map_err(|e| http::classify_transport(&e, effect))?;
        self.answer(creds.budget_key(), what, response, effect)
            .await
    }

    async fn answer(
        &self,
        account: String,
        what: &str,
        response: reqwest::Response,
        effect: Effect,
    ) -> Result<Answer, ConnectorError> {
        let status = response.status();
        let headers = response.headers().clone();
        let now = SystemTime::now();
        self.budgets
            .observe_meta(Network::Threads, &account, &headers, now);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http::classify_transport(&e, effect))?;
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        let limited = status == StatusCode::TOO_MANY_REQUESTS
            || MetaError::of(&body).is_some_and(|e| e.is_rate_limit());
        if limited {
            self.budgets.exhausted(
                Network::Threads,
                Scope::Account,
                &account,
                "graph",
                rate_wait(&headers, now),
                now,
            );
        }
        tracing::debug!(
            network = "threads",
            threads.call = what,
            http.status = status.as_u16(),
            "threads call"
        );
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    async fn me(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let body = self
            .call(
                creds,
                "me",
                self.http
                    .get(self.url("me"))
                    .query(&[("fields", "id,username")]),
                Effect::Read,
            )
            .await?
            .ok()?;
        Ok(AccountInfo {
            id: str_at(&body, "id").ok_or_else(|| unexpected("/me", "no id"))?,
            handle: str_at(&body, "username").ok_or_else(|| unexpected("/me", "no username"))?,
        })
    }

    /// The Threads user id: `Credentials::account_id`, else asked with `/me`.
    async fn user_id(&self, creds: &Credentials) -> Result<String, ConnectorError> {
        if let Some(id) = creds.account_id.as_deref().filter(|id| is_id(id)) {
            return Ok(id.to_owned());
        }
        Ok(self.me(creds).await?.id)
    }

    /// Refuses with `RateLimited` when the account's publishing quota is spent.
    async fn check_quota(
        &self,
        creds: &Credentials,
        user: &str,
        listing: Listing,
    ) -> Result<(), ConnectorError> {
        let body = self
            .call(
                creds,
                "threads_publishing_limit",
                self.http
                    .get(self.url(&format!("{user}/threads_publishing_limit")))
                    .query(&[(
                        "fields",
                        "quota_usage,config,reply_quota_usage,reply_config",
                    )]),
                Effect::Read,
            )
            .await?
            .ok()?;
        let Some(entry) = body.pointer("/data/0") else {
            return Ok(()); // nothing said: Threads itself refuses when over
        };
        let (usage, config, bucket) = match listing {
            Listing::Posts => ("quota_usage", "config", "threads_publishing_limit"),
            Listing::Replies => ("reply_quota_usage", "reply_config", "threads_reply_limit"),
        };
        let used = entry.get(usage).and_then(Value::as_u64);
        let total = entry
            .get(config)
            .and_then(|c| c.get("quota_total"))
            .and_then(Value::as_u64);
        let per = entry
            .get(config)
            .and_then(|c| c.get("quota_duration"))
            .and_then(Value::as_u64)
            .unwrap_or(86_400);
        let (Some(used), Some(total)) = (used, total) else {
            return Ok(());
        };
        if used < total {
            return Ok(());
        }
        let now = SystemTime::now();
        let quota = budget::Quota {
            posts: u32::try_from(total).unwrap_or(u32::MAX),
            per: Duration::from_secs(per),
        };
        let window_start = now.checked_sub(quota.per).unwrap_or(SystemTime::UNIX_EPOCH);
        let wait = match self
            .list(creds, user, listing, window_start, "id,timestamp")
            .await
        {
            Ok((posts, _)) => {
                let times: Vec<SystemTime> = posts
                    .iter()
                    .filter_map(|p| p.get("timestamp").and_then(Value::as_str))
                    .filter_map(parse_time)
                    .collect();
                budget::quota_wait(quota, &times, now)
            }
            Err(_) => None,
        }
        .unwrap_or(QUOTA_FALLBACK_WAIT);
        self.budgets.exhausted(
            Network::Threads,
            Scope::Account,
            &creds.budget_key(),
            bucket,
            Some(wait),
            now,
        );
        tracing::info!(
            network = "threads",
            quota.used = used,
            quota.total = total,
            wait_s = wait.as_secs(),
            "threads publishing quota spent"
        );
        Err(ConnectorError::RateLimited {
            retry_after: Some(wait),
        })
    }

    /// The account's posts (or replies) since `since`, and whether the list is complete.
    async fn list(
        &self,
        creds: &Credentials,
        user: &str,
        listing: Listing,
        since: SystemTime,
        fields: &str,
    ) -> Result<(Vec<Value>, bool), ConnectorError> {
        let since = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs()
            .to_string();
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_LOOKUP_PAGES {
            let mut query = vec![
                ("fields", fields.to_owned()),
                ("since", since.clone()),
                ("limit", PAGE_SIZE.to_string()),
            ];
            if let Some(a) = &after {
                query.push(("after", a.clone()));
            }
            let body = self
                .call(
                    creds,
                    listing.edge(),
                    self.http
                        .get(self.url(&format!("{user}/{}", listing.edge())))
                        .query(&query),
                    Effect::Read,
                )
                .await?
                .ok()?;
            let page = body
                .get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let empty = page.is_empty();
            out.extend(page);
            let next = body.pointer("/paging/next").and_then(Value::as_str);
            let cursor = body
                .pointer("/paging/cursors/after")
                .and_then(Value::as_str);
            match (next, cursor) {
                (None, _) => return Ok((out, true)),
                _ if empty => return Ok((out, true)),
                (Some(_), Some(c)) => after = Some(c.to_owned()),
                (Some(_), None) => return Ok((out, false)),
            }
        }
        Ok((out, false))
    }

    /// Creates a container and waits until Threads has processed it.
    async fn container(
        &self,
        creds: &Credentials,
        user: &str,
        params: &[(&str, String)],
    ) -> Result<String, ConnectorError> {
        // An unpublished container is invisible and expires in a day: creating it again is
        // harmless, so it counts as a read.
        let body = self
            .call(
                creds,
                "threads (container)",
                self.http
                    .post(self.url(&format!("{user}/threads")))
                    .form(params),
                Effect::Read,
            )
            .await?
            .ok()?;
        let id = str_at(&body, "id").ok_or_else(|| unexpected("the container", "no id"))?;
        self.await_container(creds, &id).await?;
        Ok(id)
    }

    /// The container's `status` (and `error_message`).
    async fn container_status(
        &self,
        creds: &Credentials,
        id: &str,
    ) -> Result<(String, Option<String>), ConnectorError> {
        let body = self
            .call(
                creds,
                "container status",
                self.http
                    .get(self.url(id))
                    .query(&[("fields", "status,error_message")]),
                Effect::Read,
            )
            .await?
            .ok()?;
        Ok((
            str_at(&body, "status").unwrap_or_default(),
            str_at(&body, "error_message"),
        ))
    }

    async fn await_container(&self, creds: &Credentials, id: &str) -> Result<(), ConnectorError> {
        for poll in 0..self.max_polls {
            if poll > 0 {
                tokio::time::sleep(self.poll_every).await;
            }
            let (status, message) = self.container_status(creds, id).await?;
            match status.as_str() {
                "FINISHED" | "PUBLISHED" => return Ok(()),
                "ERROR" => {
                    return Err(ConnectorError::Permanent {
                        reason: container_error(message.as_deref().unwrap_or("")),
                    });
                }
                "EXPIRED" => {
                    return Err(ConnectorError::Permanent {
                        reason: "the Threads media container expired before it was published"
                            .into(),
                    });
                }
                _ => {}
            }
        }
        Err(ConnectorError::Temporary {
            reason: format!(
                "Threads was still processing the media after {} s; nothing was published",
                self.poll_every.as_secs() * u64::from(self.max_polls.saturating_sub(1))
            ),
            retry_after: None,
        })
    }

    /// `threads_publish`: the one call that makes a post visible.
    async fn publish_container(
        &self,
        creds: &Credentials,
        user: &str,
        container: &str,
    ) -> Result<String, ConnectorError> {
        let answer = self
            .call(
                creds,
                "threads_publish",
                self.http
                    .post(self.url(&format!("{user}/threads_publish")))
                    .form(&[("creation_id", container)]),
                Effect::Write,
            )
            .await?;
        if answer.status.is_success() && answer.body.get("error").is_none() {
            return str_at(&answer.body, "id").ok_or_else(|| ConnectorError::Unknown {
                reason: "Threads accepted the publish without returning the post's id; look it \
                         up before sending it again"
                    .into(),
            });
        }
        let err = classify(
            answer.status,
            &answer.headers,
            &answer.body,
            SystemTime::now(),
        );
        if !matches!(err, ConnectorError::Temporary { .. }) {
            return Err(err);
        }
        // A passing failure after Threads received the call: did it publish anyway?
        match self.container_status(creds, container).await {
            Ok((status, _)) if status == "PUBLISHED" => Err(ConnectorError::Unknown {
                reason: format!(
                    "Threads answered with an error ({err}) but the post's container is \
                     published; look it up before sending it again"
                ),
            }),
            Ok(_) => Err(err),
            Err(_) => Err(ConnectorError::Unknown {
                reason: format!(
                    "Threads answered with an error ({err}) and whether it published could not \
                     be checked; look it up before sending it again"
                ),
            }),
        }
    }

    async fn permalink(&self, creds: &Credentials, id: &str) -> Result<String, ConnectorError> {
        let body = self
            .call(
                creds,
                "permalink",
                self.http
                    .get(self.url(id))
                    .query(&[("fields", "permalink")]),
                Effect::Read,
            )
            .await?
            .ok()?;
        str_at(&body, "permalink").ok_or_else(|| unexpected("the post", "no permalink"))
    }

    /// A token call (exchange or refresh) at the API host, without `/v1.0`.
    async fn token_call(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<TokenGrant, ConnectorError> {
        let response = self
            .http
            .get(format!("{}/{path}", self.base))
            .query(query)
            .send()
            .await
            .map_err(|e| http::classify_transport(&e, Effect::Read))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() || body.get("error").is_some() {
            return Err(classify_token(status, &headers, &body));
        }
        oauth::grant_from(&body, SystemTime::now())
    }

    /// Exchanges the one-hour token of the code exchange for a 60-day one
    /// (`GET /access_token?grant_type=th_exchange_token`).
    pub async fn exchange_long_lived(
        &self,
        app: &AppCredentials,
        short_lived: &SecretString,
    ) -> Result<TokenGrant, ConnectorError> {
        self.token_call(
            "access_token",
            &[
                ("grant_type", "th_exchange_token"),
                ("client_secret", app.client_secret.expose_secret()),
                ("access_token", short_lived.expose_secret()),
            ],
        )
        .await
    }

    fn spec(&self) -> OAuthSpec {
        let mut spec = OAuthSpec::standard(
            AUTHORIZE_URL,
            &format!("{}/oauth/access_token", self.base),
            &SCOPES,
        );
        spec.scope_separator = ",";
        spec.pkce = false;
        spec.client_auth = ClientAuth::Body;
        spec
    }
}

impl Connector for Threads {
    fn network(&self) -> Network {
        Network::Threads
    }

    /// Threads downloads every image and video from a public address (`image_url`, `video_url`).
    fn media_source(&self, _kind: MediaKind) -> MediaSource {
        MediaSource::Url
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
        let user = self.user_id(creds).await?;
        let listing = if req.reply_to.is_some() {
            Listing::Replies
        } else {
            Listing::Posts
        };
        self.check_quota(creds, &user, listing).await?;

        let part = &req.part;
        let mut params: Vec<(&str, String)> = Vec::new();
        match part.media.as_slice() {
            [] => {
                params.push(("media_type", "TEXT".into()));
                if let Some(link) = &part.link {
                    params.push(("link_attachment", link.clone()));
                }
            }
            [one] => params.extend(media_params(one)),
            many => {
                let mut children = Vec::new();
                for media in many {
                    let mut item = media_params(media);
                    item.push(("is_carousel_item", "true".into()));
                    children.push(self.container(creds, &user, &item).await?);
                }
                params.push(("media_type", "CAROUSEL".into()));
                params.push(("children", children.join(",")));
            }
        }
        if !part.text.is_empty() {
            params.push(("text", part.text.clone()));
        }
        if let Some(parent) = &req.reply_to {
            params.push(("reply_to_id", parent.id.clone()));
        }
        let container = self.container(creds, &user, &params).await?;
        let id = self.publish_container(creds, &user, &container).await?;
        let url = match self.permalink(creds, &id).await {
            Ok(url) => url,
            Err(e) => {
                // Published: never report a failure now. Show the profile instead.
                tracing::warn!(network = "threads", post.id = %id, error = %e, "no permalink");
                profile_url(&creds.handle)
            }
        };
        Ok(Published {
            url,
            remote: RemoteRef {
                id,
                cid: None,
                root: root_of(req),
            },
        })
    }

    /// Replies are posts with `reply_to_id` the message (a container, then publish), as for a
    /// thread's next part. Threads has no direct messages in its API.
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        kind != owlery_domain::inbox::MessageKind::Dm
    }

    fn can_like(&self, _kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        crate::inbox::Ability::Not("Threads' API cannot like a reply: like it in the Threads app")
    }

    fn can_delete_comment(
        &self,
        _kind: owlery_domain::inbox::MessageKind,
    ) -> crate::inbox::Ability {
        crate::inbox::Ability::Not("Threads lets only its author delete a reply: hide it instead")
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        if req.target.kind == owlery_domain::inbox::MessageKind::Dm {
            return Err(crate::inbox::cannot_reply(
                Network::Threads,
                req.target.kind,
            ));
        }
        Connector::publish(self, creds, &req.as_publish(false)).await
    }

    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        Connector::lookup(self, creds, &req.as_publish(false), since).await
    }

    /// Threads has no idempotency key: lists the account's posts (or replies) since `since` and
    /// matches the text.
    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        if req.part.text.trim().is_empty() {
            return Ok(Lookup::CannotTell {
                reason: "the post has no text to recognise it by on Threads: check the account"
                    .into(),
            });
        }
        let user = self.user_id(creds).await?;
        let listing = if req.reply_to.is_some() {
            Listing::Replies
        } else {
            Listing::Posts
        };
        let start = since.min(SystemTime::now());
        let start = start.checked_sub(LOOKUP_SLACK).unwrap_or(start);
        let (posts, complete) = self
            .list(creds, &user, listing, start, "id,text,timestamp,permalink")
            .await?;
        let wanted = normalize(&req.part.text);
        let found = posts.iter().find(|p| {
            p.get("text")
                .and_then(Value::as_str)
                .is_some_and(|t| normalize(t) == wanted)
        });
        if let Some(post) = found
            && let Some(id) = str_at(post, "id")
        {
            return Ok(Lookup::Found(Published {
                url: str_at(post, "permalink").unwrap_or_else(|| profile_url(&creds.handle)),
                remote: RemoteRef {
                    id,
                    cid: None,
                    root: root_of(req),
                },
            }));
        }
        if complete {
            Ok(Lookup::Absent)
        } else {
            Ok(Lookup::CannotTell {
                reason: format!(
                    "read {} {} of the account since the first attempt without finding this \
                     one, and there are more: check the account on Threads",
                    posts.len(),
                    listing.edge()
                ),
            })
        }
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        check_id(&remote.id)?;
        let answer = self
            .call(
                creds,
                "delete",
                self.http.delete(self.url(&remote.id)),
                Effect::Read, // deleting twice is harmless
            )
            .await?;
        if answer.is_gone() {
            return Ok(());
        }
        let body = answer.ok()?;
        match body.get("success").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ConnectorError::Permanent {
                reason: format!("Threads did not delete post {}", remote.id),
            }),
        }
    }

    fn can_hide_comments(&self) -> bool {
        true
    }

    /// `POST /{reply-id}/manage_reply?hide=true`.
    async fn hide_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        check_id(remote_id)?;
        let answer = self
            .call(
                creds,
                "manage_reply",
                self.http
                    .post(self.url(&format!("{remote_id}/manage_reply")))
                    .query(&[("hide", "true")]),
                Effect::Read, // hiding twice is harmless
            )
            .await?;
        let body = answer.ok()?;
        match body.get("success").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ConnectorError::Permanent {
                reason: format!("Threads did not hide reply {remote_id}"),
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
                "insights",
                self.http
                    .get(self.url(&format!("{}/insights", remote.id)))
                    .query(&[("metric", "views,likes,replies,reposts,quotes")]),
                Effect::Read,
            )
            .await?;
        if answer.is_gone() {
            return Ok(RemoteStatus::default());
        }
        let body = answer.ok()?;
        let metric = |name: &str| -> Option<u64> {
            body.get("data")?
                .as_array()?
                .iter()
                .find(|m| m.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|m| {
                    m.pointer("/values/0/value")
                        .or_else(|| m.pointer("/total_value/value"))
                        .and_then(Value::as_u64)
                })
        };
        Ok(RemoteStatus {
            exists: true,
            metrics: Metrics {
                likes: metric("likes"),
                shares: match (metric("reposts"), metric("quotes")) {
                    (Some(r), q) => Some(r + q.unwrap_or(0)),
                    (None, q) => q,
                },
                comments: metric("replies"),
                views: metric("views"),
                saves: None,
            },
        })
    }

    /// Long-lived Threads tokens renew themselves: `GET /refresh_access_token` with the current
    /// token (no refresh token, no app secret).
    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        self.token_call(
            "refresh_access_token",
            &[
                ("grant_type", "th_refresh_token"),
                ("access_token", creds.secret.expose_secret()),
            ],
        )
        .await
        .map(Some)
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(self.spec())
    }

    /// The one-hour token of the code exchange becomes a 60-day one
    /// ([`Threads::exchange_long_lived`]); the account is the token's own (`/me`).
    async fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        _service: Option<&str>,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let long = self.exchange_long_lived(app, &grant.access).await?;
        let creds = crate::grant_credentials(&long, None, app);
        let me = self.me(&creds).await?;
        Ok(vec![GrantedAccount::with_grant(
            AccountKind::Profile,
            me.id,
            me.handle.clone(),
            me.handle,
            &long,
        )])
    }
}

/// `media_type` and the address (and alt text) of one image or video.
fn media_params(media: &MediaUpload) -> Vec<(&'static str, String)> {
    let url = media.url.clone().unwrap_or_default();
    let mut params = if is_video(media) {
        vec![("media_type", "VIDEO".to_owned()), ("video_url", url)]
    } else {
        vec![("media_type", "IMAGE".to_owned()), ("image_url", url)]
    };
    if !media.alt.trim().is_empty() {
        params.push(("alt_text", media.alt.clone()));
    }
    params
}

fn is_video(media: &MediaUpload) -> bool {
    media.kind == MediaKind::Video || media.mime.starts_with("video/")
}

/// What Threads cannot do, checked before anything is sent.
fn check_request(req: &PublishRequest) -> Result<(), ConnectorError> {
    let refuse = |reason: String| Err(ConnectorError::Permanent { reason });
    if !PLACEMENTS.contains(&req.placement.as_str()) {
        return refuse(format!(
            "Threads has no \"{}\" placement: posts go to the profile (placement \"post\")",
            req.placement
        ));
    }
    if let Some(target) = &req.target {
        return refuse(format!(
            "Threads posts always go to the account's own profile; there is no target {target:?}"
        ));
    }
    if req.as_comment && req.reply_to.is_none() {
        return refuse(
            "a first comment on Threads is a reply, and this one names no post to reply to".into(),
        );
    }
    if let Some(parent) = &req.reply_to {
        check_id(&parent.id)?;
    }
    let part = &req.part;
    if part.text.trim().is_empty() && part.media.is_empty() {
        return refuse("the post has neither text nor media: Threads needs one of them".into());
    }
    if part.media.len() > MAX_CAROUSEL_ITEMS {
        return refuse(format!(
            "{} attachments: a Threads carousel takes at most {MAX_CAROUSEL_ITEMS}",
            part.media.len()
        ));
    }
    for (i, media) in part.media.iter().enumerate() {
        let n = i + 1;
        let mime = media.mime.to_ascii_lowercase();
        let ok = if is_video(media) {
            matches!(mime.as_str(), "video/mp4" | "video/quicktime")
        } else {
            matches!(mime.as_str(), "image/jpeg" | "image/png")
        };
        if !ok {
            return refuse(format!(
                "attachment {n} is {}: Threads takes JPEG or PNG images and MP4 or MOV videos",
                media.mime
            ));
        }
        match media.url.as_deref().map(str::trim) {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => {}
            _ => {
                return refuse(format!(
                    "attachment {n} has no public address: Threads fetches media from the \
                     internet, and this installation has no public address for its files (set \
                     OWLERY_PUBLIC_URL to an address reachable from the internet, or post without \
                     media)"
                ));
            }
        }
    }
    Ok(())
}

/// Threads ids are decimal numbers.
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

fn check_id(id: &str) -> Result<(), ConnectorError> {
    if is_id(id) {
        Ok(())
    } else {
        Err(ConnectorError::Permanent {
            reason: format!("{id:?} is not a Threads post id"),
        })
    }
}

fn root_of(req: &PublishRequest) -> Option<Box<RemoteRef>> {
    req.reply_to.as_ref().map(|parent| {
        parent.root.clone().unwrap_or_else(|| {
            Box::new(RemoteRef {
                id: parent.id.clone(),
                cid: None,
                root: None,
            })
        })
    })
}

/// The profile, where a post is when its own address is unknown.
pub fn profile_url(handle: &str) -> String {
    format!(
        "https://www.threads.com/@{}",
        handle.trim().trim_start_matches('@')
    )
}

/// Text as compared for `lookup`: whitespace runs become one space, ends trimmed.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Meta's `2023-10-17T05:42:03+0000` (or RFC 3339).
fn parse_time(s: &str) -> Option<SystemTime> {
    chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc).into())
}

fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|v| {
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    })
}

fn unexpected(what: &str, detail: &str) -> ConnectorError {
    ConnectorError::Temporary {
        reason: format!("unexpected answer from Threads: {what} had {detail}"),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishPart;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn classify_now(status: u16, body: Value) -> ConnectorError {
        classify(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            &body,
            SystemTime::now(),
        )
    }

    fn meta(code: i64, message: &str) -> Value {
        json!({"error": {"message": message, "type": "OAuthException", "code": code,
                         "error_subcode": 0, "fbtrace_id": "Abc123"}})
    }

    #[test]
    fn meta_error_codes_are_classified() {
        assert!(matches!(
            classify_now(
                400,
                meta(190, "Error validating access token: Session has expired")
            ),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            classify_now(
                403,
                meta(10, "Application does not have permission for this action")
            ),
            ConnectorError::Auth { .. }
        ));
        for code in [4, 17, 32, 613] {
            assert!(
                matches!(
                    classify_now(400, meta(code, "limit")),
                    ConnectorError::RateLimited { .. }
                ),
                "{code}"
            );
        }
        for code in [1, 2] {
            assert!(classify_now(500, meta(code, "try later")).is_retryable());
        }
        let bad = classify_now(400, meta(100, "The parameter image_url is required."));
        assert!(
            matches!(&bad, ConnectorError::Permanent { reason } if reason.contains("image_url is required")),
            "{bad:?}"
        );
        // error_user_msg wins when Meta gives one
        let body = json!({"error": {"message": "Invalid parameter", "code": 100,
                          "error_user_msg": "The text is too long."}});
        assert!(
            matches!(classify_now(400, body), ConnectorError::Permanent { reason } if reason.contains("too long"))
        );
        assert!(matches!(
            classify_now(503, Value::Null),
            ConnectorError::Temporary { .. }
        ));
    }

    #[test]
    fn rate_limits_wait_as_meta_says() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"1":[{"type":"threads","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":7}]}"#,
            ),
        );
        assert_eq!(
            rate_wait(&h, SystemTime::now()),
            Some(Duration::from_secs(420))
        );
        assert_eq!(rate_wait(&HeaderMap::new(), SystemTime::now()), None);
    }

    #[test]
    fn token_errors_never_disconnect_unless_the_token_is_dead() {
        let h = HeaderMap::new();
        assert!(matches!(
            classify_token(StatusCode::BAD_REQUEST, &h, &meta(190, "expired")),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            classify_token(StatusCode::BAD_REQUEST, &h, &meta(10, "too young")),
            ConnectorError::Temporary { .. }
        ));
        assert!(matches!(
            classify_token(StatusCode::SERVICE_UNAVAILABLE, &h, &Value::Null),
            ConnectorError::Temporary { .. }
        ));
    }

    #[test]
    fn container_errors_are_readable() {
        assert!(container_error("FAILED_DOWNLOADING_VIDEO").contains("could not download"));
        assert!(container_error("INVALID_DURATION").contains("5 minutes"));
        assert_eq!(
            container_error("Media download has failed."),
            "Threads could not process the media: Media download has failed."
        );
    }

    #[test]
    fn times_ids_and_text() {
        assert_eq!(
            parse_time("2023-10-17T05:42:03+0000"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_697_521_323))
        );
        assert!(parse_time("yesterday").is_none());
        assert!(is_id("17889615691921648"));
        assert!(!is_id("me/../x"));
        assert_eq!(normalize("  a\n\n b\t c "), "a b c");
        assert_eq!(profile_url("@owl"), "https://www.threads.com/@owl");
    }

    fn image(url: Option<&str>) -> MediaUpload {
        MediaUpload {
            bytes: vec![1],
            mime: "image/jpeg".into(),
            url: url.map(str::to_owned),
            ..MediaUpload::default()
        }
    }

    #[test]
    fn what_threads_cannot_do_is_refused() {
        let req = |media: Vec<MediaUpload>| PublishRequest {
            part: PublishPart {
                text: "t".into(),
                media,
                ..PublishPart::default()
            },
            ..PublishRequest::new("k", "t")
        };
        assert!(check_request(&req(vec![image(Some("https://cdn.example/a.jpg")); 20])).is_ok());
        assert!(check_request(&req(vec![image(Some("https://cdn.example/a.jpg")); 21])).is_err());
        assert!(check_request(&req(vec![image(None)])).is_err());
        let mut webp = image(Some("https://cdn.example/a.webp"));
        webp.mime = "image/webp".into();
        assert!(check_request(&req(vec![webp])).is_err());
        let mut story = PublishRequest::new("k", "t");
        story.placement = "story".into();
        assert!(check_request(&story).is_err());
        let mut comment = PublishRequest::new("k", "t");
        comment.as_comment = true;
        assert!(check_request(&comment).is_err());
    }
}
