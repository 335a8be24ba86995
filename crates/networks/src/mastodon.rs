//! Mastodon, over its REST API, for one account on its own server (the instance in
//! `Credentials::service`, e.g. `https://mastodon.social`; an access token in `Credentials::secret`).
//!
//! - **verify**: `GET /api/v1/accounts/verify_credentials` → the account's id and `acct`.
//! - **publish** (placement `status`, the only one): each attachment through `POST /api/v2/media`
//!   (multipart `file`, `description` = the alt text). A `202 Accepted` (or a `url` of `null`) means
//!   Mastodon is still processing it (video, large files): `GET /api/v1/media/:id` is polled, with a
//!   growing pause and a bound ([`MediaPolling`]), until it answers `200` with a `url`. Then
//!   `POST /api/v1/statuses` with `status`, `media_ids[]`, `in_reply_to_id` (threads, and first
//!   comments: Mastodon has no comments apart from replies), `language` (the primary subtag of
//!   `part.langs[0]`) and `visibility=public`. The post's address is the status' `url`.
//! - **exactly once**: the status is sent with `Idempotency-Key: <req.idempotency_key>` (hashed
//!   when it is not a plain ASCII token). Mastodon keeps keys for an hour: a repeat within that hour
//!   returns the first status instead of making a second one. A status request that fails after it
//!   may have arrived (timeout, reset) is `Unknown`; media uploads make only unattached files, so
//!   their failures are `Temporary`.
//! - **lookup** never publishes (not even with the idempotency key): it pages through
//!   `GET /api/v1/accounts/:id/statuses?limit=40&exclude_reblogs=true` (older pages with `max_id`)
//!   and compares each status' text (`content` is HTML: tags stripped, entities decoded, whitespace
//!   normalised; a remote mention `@user@server` also matches Mastodon's rendering `@user`), its
//!   `in_reply_to_id` and its number of attachments, among the statuses from five minutes before
//!   `since` on. `Found`; `Absent` once the list reaches back past that point (or ends); else, after
//!   ten pages, `CannotTell`.
//! - **delete**: `DELETE /api/v1/statuses/:id` (404: already gone, success). **status**:
//!   `GET /api/v1/statuses/:id` → `favourites_count`, `reblogs_count`, `replies_count` (404: it no
//!   longer exists).
//! - **connecting**: every server has its own OAuth apps: [`Mastodon::register_app`] registers
//!   Owlery (`POST /api/v1/apps`, scopes `read write`) and [`Connector::oauth`] gives
//!   `{instance}/oauth/authorize` and `{instance}/oauth/token` with PKCE (S256, supported since
//!   Mastodon 4.3) and the client secret in the body. Mastodon's access tokens do not expire:
//!   `refresh` has nothing to do.
//! - **errors** (`{"error": "…", "error_description"?}`): 401 or "The access token is
//!   invalid/revoked/expired" → `Auth`; 403 outside the authorized scopes, or a disabled,
//!   unconfirmed or unapproved login → `Auth`; 422 (e.g. "Validation failed: Text character limit
//!   of 500 exceeded") → `Permanent` with Mastodon's words (but "not finished processing" →
//!   `Temporary`); 429 → `RateLimited`; 5xx → `Temporary`.
//! - **rate limits**: every answer's `X-RateLimit-Limit/Remaining/Reset` (reset as an ISO 8601
//!   time) is filed in the budget book under `creds.budget_key()`; a 429 empties the budget until
//!   `Retry-After` or the reset.
//!
//! Refused before anything is sent (`Permanent`): any placement but `status`, a `target`, a status
//! with neither text nor attachments, more than 4 attachments, a video with other attachments,
//! attachments whose MIME type does not match their kind, alt text over 1,500 characters, a
//! comment without the post it answers. Not checked here: the server's own character and size
//! limits (they vary by server; Owlery reads `GET /api/v2/instance` elsewhere, and the server's 422
//! says what is wrong). Not implemented: polls, content warnings, scheduling on the server,
//! quotes, link cards apart from the one Mastodon makes from a link in the text (the API has no
//! link parameter), and reading mentions or notifications.
//!
//! API reference: statuses <https://docs.joinmastodon.org/methods/statuses/>, media
//! <https://docs.joinmastodon.org/methods/media/>, accounts
//! <https://docs.joinmastodon.org/methods/accounts/#statuses>, apps
//! <https://docs.joinmastodon.org/methods/apps/>, OAuth <https://docs.joinmastodon.org/methods/oauth/>
//! and <https://docs.joinmastodon.org/spec/oauth/>, errors
//! <https://docs.joinmastodon.org/entities/Error/>, rate limits
//! <https://docs.joinmastodon.org/api/rate-limits/> (sources in `design/networks.md`).
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/mastodon_fixture.rs`); not verified against the live network. Also run against PyPI
//! `mastodon_mock` 0.6.1 (`tests/mastodon_mock.rs`, started by `scripts/test`), a third-party
//! imitation of Mastodon's API tested against Mastodon.py — it is not Mastodon, and it neither
//! processes media asynchronously nor rate limits on its own.

mod inbox;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect};
use crate::oauth::OAuthSpec;
use crate::{
    AccountInfo, AccountKind, AppCredentials, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, MediaUpload, Metrics, Network, PublishRequest, Published,
    RemoteRef, RemoteStatus, TokenGrant,
};

/// The only placement: a status.
pub const PLACEMENT: &str = "status";
/// The name Owlery registers its app under on each server.
pub const CLIENT_NAME: &str = "Owlery";
/// What Owlery asks for: publishing and deleting (`write`), reading statuses and counts (`read`).
pub const SCOPES: [&str; 2] = ["read", "write"];
/// Attachments per status on a default Mastodon server (`max_media_attachments`).
pub const MAX_ATTACHMENTS: usize = 4;
/// `MediaAttachment::MAX_DESCRIPTION_LENGTH`.
pub const MAX_ALT_CHARS: usize = 1_500;
/// Statuses per page of an account's statuses (the API's maximum).
const PAGE_LIMIT: usize = 40;
/// Pages `lookup` reads at most before it gives up (400 statuses).
const MAX_LOOKUP_PAGES: usize = 10;
/// The server's clock and ours may differ: look this far before `since`.
const CLOCK_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Budget buckets, after Mastodon's documented limits: all of `/api/*`, media uploads (30 per 30
/// minutes), status deletions (30 per 30 minutes), app registrations.
const BUCKET_API: &str = "api";
const BUCKET_MEDIA: &str = "POST /api/v2/media";
const BUCKET_DELETE: &str = "DELETE /api/v1/statuses";
const BUCKET_APPS: &str = "POST /api/v1/apps";

/// How long to wait for Mastodon to process an attachment (`202 Accepted`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaPolling {
    /// The first pause before asking again; each later pause doubles, up to `max_pause`.
    pub first_pause: Duration,
    pub max_pause: Duration,
    /// Give up (a `Temporary` error, nothing published) after this long.
    pub give_up_after: Duration,
}

impl Default for MediaPolling {
    fn default() -> Self {
        MediaPolling {
            first_pause: Duration::from_secs(1),
            max_pause: Duration::from_secs(5),
            give_up_after: Duration::from_secs(5 * 60),
        }
    }
}

/// The Mastodon connector. It keeps no state between calls: each account's server and token
/// come with the credentials.
pub struct Mastodon {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    /// The server for credentials without one (tests); normally unset.
    base_url: Option<String>,
    polling: MediaPolling,
}

/// A request body.
enum Body<'a> {
    None,
    Query(Vec<(&'a str, String)>),
    Form(Vec<(&'a str, String)>),
    Multipart(reqwest::multipart::Form),
}

/// A successful answer.
struct Answer {
    status: StatusCode,
    body: Value,
}

/// A failed call: Mastodon answered with an error, or the transport failed.
enum Failure {
    Api {
        status: StatusCode,
        error: String,
        headers: HeaderMap,
    },
    Other(ConnectorError),
}

impl Failure {
    fn is_not_found(&self) -> bool {
        matches!(self, Failure::Api { status, .. } if *status == StatusCode::NOT_FOUND)
    }

    fn into_error(self) -> ConnectorError {
        match self {
            Failure::Api {
                status,
                error,
                headers,
            } => classify(status, &error, &headers, SystemTime::now()),
            Failure::Other(e) => e,
        }
    }
}

/// A Mastodon error answer as a connector error. `error` is the body's `error` (with its
/// `error_description`, if any).
pub fn classify(
    status: StatusCode,
    error: &str,
    headers: &HeaderMap,
    now: SystemTime,
) -> ConnectorError {
    let lower = error.to_ascii_lowercase();
    let dead_token = lower.contains("access token")
        && ["invalid", "revoked", "expired"]
            .iter()
            .any(|w| lower.contains(w));
    if status == StatusCode::UNAUTHORIZED || dead_token {
        let said = if error.is_empty() {
            format!("HTTP {status}")
        } else {
            error.to_owned()
        };
        return ConnectorError::Auth {
            reason: format!(
                "the Mastodon server refused the access token ({said}): reconnect the channel"
            ),
        };
    }
    if status == StatusCode::FORBIDDEN {
        if lower.contains("outside the authorized scopes") {
            return ConnectorError::Auth {
                reason: format!(
                    "{error}: the connection may not do this; reconnect the channel and allow \
                     reading and writing"
                ),
            };
        }
        if lower.contains("your login") {
            return ConnectorError::Auth {
                reason: format!(
                    "{error}: the account cannot post; check it on its Mastodon server"
                ),
            };
        }
        return ConnectorError::Permanent {
            reason: format!("Mastodon refused: {error}"),
        };
    }
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        if lower.contains("not finished processing") {
            return ConnectorError::Temporary {
                reason: format!("Mastodon is still processing an attachment: {error}"),
                retry_after: Some(Duration::from_secs(30)),
            };
        }
        return ConnectorError::Permanent {
            reason: format!(
                "Mastodon rejected it: {}",
                if error.is_empty() {
                    "invalid request"
                } else {
                    error
                }
            ),
        };
    }
    http::classify_status(status, headers, error, now)
}

/// `{"error": "…", "error_description": "…"}` → `"… (…)"`.
fn error_text(body: &Value) -> String {
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    match (field("error"), field("error_description")) {
        (Some(e), Some(d)) if d != e => format!("{e} ({d})"),
        (Some(e), _) => e.to_owned(),
        (None, Some(d)) => d.to_owned(),
        (None, None) => String::new(),
    }
}

impl Mastodon {
    /// With the engine's HTTP settings and budget book. The server is per account
    /// (`Credentials::service`); `env.base_url` is used only for credentials without one.
    pub fn new(env: Env) -> Result<Mastodon, ConnectorError> {
        Ok(Mastodon {
            http: http::client(env.http)?,
            budgets: env.budgets,
            base_url: env.base_url,
            polling: MediaPolling::default(),
        })
    }

    /// The same, waiting for attachments as `polling` says (tests use short pauses).
    pub fn with_media_polling(mut self, polling: MediaPolling) -> Mastodon {
        self.polling = polling;
        self
    }

    /// Registers Owlery as an OAuth app on `instance` (every Mastodon server has its own apps):
    /// `POST /api/v1/apps` with `client_name` "Owlery", `redirect_uris`, `scopes` `read write` and
    /// `website` (the origin of `redirect_uri`, i.e. this Owlery installation). Keep the answer per
    /// server; it is what [`crate::oauth::authorize_url`] and [`crate::oauth::exchange_code`] need
    /// with the spec from [`Connector::oauth`].
    pub async fn register_app(
        &self,
        instance: &str,
        redirect_uri: &str,
    ) -> Result<AppCredentials, ConnectorError> {
        let instance = instance_url(instance)?;
        let mut form = vec![
            ("client_name", CLIENT_NAME.to_owned()),
            ("redirect_uris", redirect_uri.to_owned()),
            ("scopes", SCOPES.join(" ")),
        ];
        if let Some(site) = website_of(redirect_uri) {
            form.push(("website", site));
        }
        let budget = host_of(&instance);
        let answer = self
            .call(
                None,
                &budget,
                Method::POST,
                &format!("{instance}/api/v1/apps"),
                Body::Form(form),
                None,
                // Registering twice only makes a second app: harmless.
                Effect::Read,
                BUCKET_APPS,
            )
            .await
            .map_err(Failure::into_error)?;
        let client_id = str_field(&answer.body, "client_id")?;
        let client_secret = str_field(&answer.body, "client_secret")?;
        Ok(AppCredentials {
            client_id,
            client_secret: SecretString::from(client_secret),
        })
    }

    /// The account's server: `Credentials::service`, else the environment's base address, else
    /// the server in a handle `user@server`.
    fn instance(&self, creds: &Credentials) -> Result<String, ConnectorError> {
        if let Some(service) = creds.service.as_deref().filter(|s| !s.trim().is_empty()) {
            return instance_url(service);
        }
        if let Some(base) = &self.base_url {
            return instance_url(base);
        }
        match creds.handle.trim_start_matches('@').split_once('@') {
            Some((_, server)) if !server.is_empty() => instance_url(server),
            _ => Err(ConnectorError::Permanent {
                reason: format!(
                    "the channel {} has no Mastodon server address: reconnect it",
                    creds.handle
                ),
            }),
        }
    }

    /// One API call. `token` authenticates it; `budget` and `bucket` name the rate-limit budget
    /// its answer describes.
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &self,
        token: Option<&SecretString>,
        budget: &str,
        method: Method,
        url: &str,
        body: Body<'_>,
        idempotency_key: Option<&HeaderValue>,
        effect: Effect,
        bucket: &str,
    ) -> Result<Answer, Failure> {
        let mut request = self.http.request(method.clone(), url);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose_secret());
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key.clone());
        }
        request = match body {
            Body::None => request,
            Body::Query(q) => request.query(&q),
            Body::Form(f) => request.form(&f),
            Body::Multipart(m) => request.multipart(m),
        };
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Other(http::classify_transport(&e, effect)))?;
        let status = response.status();
        let headers = response.headers().clone();
        self.file_budget(budget, bucket, status, &headers, SystemTime::now());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Other(http::classify_transport(&e, effect)))?;
        tracing::debug!(
            network = "mastodon",
            http.method = %method,
            mastodon.bucket = bucket,
            http.status = status.as_u16(),
            "mastodon call"
        );
        if status.is_success() {
            if bytes.is_empty() || status == StatusCode::PARTIAL_CONTENT {
                return Ok(Answer {
                    status,
                    body: Value::Null,
                });
            }
            return match serde_json::from_slice(&bytes) {
                Ok(body) => Ok(Answer { status, body }),
                Err(e) => {
                    let reason = format!("Mastodon answered {status} with unreadable JSON: {e}");
                    Err(Failure::Other(match effect {
                        Effect::Read => ConnectorError::Temporary {
                            reason,
                            retry_after: None,
                        },
                        Effect::Write => ConnectorError::Unknown { reason },
                    }))
                }
            };
        }
        let parsed: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Err(Failure::Api {
            status,
            error: error_text(&parsed),
            headers,
        })
    }

    /// Files what an answer said about the budget: a 429 empties it, rate-limit headers update it.
    fn file_budget(
        &self,
        budget: &str,
        bucket: &str,
        status: StatusCode,
        headers: &HeaderMap,
        now: SystemTime,
    ) {
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = http::retry_after(headers, now)
                .or_else(|| http::rate_limit(headers, now).and_then(|r| r.reset));
            self.budgets
                .exhausted(Network::Mastodon, Scope::Account, budget, bucket, wait, now);
        } else if let Some(limit) = http::rate_limit(headers, now) {
            self.budgets.observe_headers(
                Network::Mastodon,
                Scope::Account,
                budget,
                bucket,
                limit,
                now,
            );
        }
    }

    /// An authenticated call for these credentials.
    #[allow(clippy::too_many_arguments)]
    async fn authed(
        &self,
        creds: &Credentials,
        method: Method,
        url: &str,
        body: Body<'_>,
        idempotency_key: Option<&HeaderValue>,
        effect: Effect,
        bucket: &str,
    ) -> Result<Answer, Failure> {
        self.call(
            Some(&creds.secret),
            &creds.budget_key(),
            method,
            url,
            body,
            idempotency_key,
            effect,
            bucket,
        )
        .await
    }

    /// Uploads one attachment and waits until Mastodon has processed it; returns its id.
    async fn upload(
        &self,
        creds: &Credentials,
        instance: &str,
        media: &MediaUpload,
        number: usize,
    ) -> Result<String, ConnectorError> {
        let part = reqwest::multipart::Part::bytes(media.bytes.clone())
            .file_name(file_name(&media.mime, number))
            .mime_str(&media.mime)
            .map_err(|_| ConnectorError::Permanent {
                reason: format!(
                    "attachment {number} has the MIME type {:?}, which is not valid",
                    media.mime
                ),
            })?;
        let mut form = reqwest::multipart::Form::new().part("file", part);
        if !media.alt.is_empty() {
            form = form.text("description", media.alt.clone());
        }
        let answer = self
            .authed(
                creds,
                Method::POST,
                &format!("{instance}/api/v2/media"),
                Body::Multipart(form),
                None,
                // An upload only makes an unattached file that Mastodon removes later: repeating
                // it cannot publish anything twice.
                Effect::Read,
                BUCKET_MEDIA,
            )
            .await
            .map_err(|f| about_attachment(f.into_error(), number))?;
        let id = id_field(&answer.body, "id").ok_or_else(|| {
            unexpected(&format!(
                "the upload of attachment {number} answered without an id"
            ))
        })?;
        if answer.status == StatusCode::ACCEPTED || !has_url(&answer.body) {
            self.wait_for_media(creds, instance, &id, number).await?;
        }
        Ok(id)
    }

    /// Polls `GET /api/v1/media/:id` until the attachment has a `url` (bounded).
    async fn wait_for_media(
        &self,
        creds: &Credentials,
        instance: &str,
        id: &str,
        number: usize,
    ) -> Result<(), ConnectorError> {
        let started = Instant::now();
        let mut pause = self.polling.first_pause;
        let url = format!("{instance}/api/v1/media/{}", path_id(id)?);
        loop {
            if started.elapsed() + pause > self.polling.give_up_after {
                return Err(ConnectorError::Temporary {
                    reason: format!(
                        "Mastodon was still processing attachment {number} after {} s; nothing \
                         was published, try again later",
                        started.elapsed().as_secs()
                    ),
                    retry_after: Some(Duration::from_secs(60)),
                });
            }
            tokio::time::sleep(pause).await;
            let answer = self
                .authed(
                    creds,
                    Method::GET,
                    &url,
                    Body::None,
                    None,
                    Effect::Read,
                    BUCKET_API,
                )
                .await
                .map_err(|f| about_attachment(f.into_error(), number))?;
            if answer.status == StatusCode::OK && has_url(&answer.body) {
                tracing::debug!(
                    network = "mastodon",
                    media.id = id,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "attachment processed"
                );
                return Ok(());
            }
            // 206 Partial Content (or no url yet): still processing.
            pause = (pause * 2).min(self.polling.max_pause);
        }
    }

    /// The account's id: from the credentials, else from the server.
    async fn account_id(&self, creds: &Credentials) -> Result<String, ConnectorError> {
        match creds.account_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => Ok(id.to_owned()),
            None => Ok(Connector::verify(self, creds).await?.id),
        }
    }
}

impl Mastodon {
    /// Posts one status with `visibility` (`public`, `direct`).
    async fn publish_status(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        visibility: &str,
    ) -> Result<Published, ConnectorError> {
        check_request(req)?;
        let instance = self.instance(creds)?;
        let key = idempotency_header(&req.idempotency_key)?;
        let part = &req.part;

        let mut media_ids = Vec::with_capacity(part.media.len());
        for (i, media) in part.media.iter().enumerate() {
            media_ids.push(self.upload(creds, &instance, media, i + 1).await?);
        }

        let mut form: Vec<(&str, String)> = Vec::new();
        if !part.text.is_empty() {
            form.push(("status", part.text.clone()));
        }
        for id in media_ids {
            form.push(("media_ids[]", id));
        }
        if let Some(parent) = &req.reply_to {
            form.push(("in_reply_to_id", parent.id.clone()));
        }
        if let Some(language) = language(&part.langs) {
            form.push(("language", language));
        }
        form.push(("visibility", visibility.to_owned()));

        let answer = self
            .authed(
                creds,
                Method::POST,
                &format!("{instance}/api/v1/statuses"),
                Body::Form(form),
                Some(&key),
                Effect::Write,
                BUCKET_API,
            )
            .await
            .map_err(Failure::into_error)?;
        let published = published_from(&answer.body, &instance, req).ok_or_else(|| {
            ConnectorError::Unknown {
                reason: "Mastodon accepted the status but its answer has no id: look it up \
                         before sending it again"
                    .into(),
            }
        })?;
        tracing::info!(
            network = "mastodon",
            status.id = %published.remote.id,
            "status published"
        );
        Ok(published)
    }
}

impl Connector for Mastodon {
    fn network(&self) -> Network {
        Network::Mastodon
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let instance = self.instance(creds)?;
        let answer = self
            .authed(
                creds,
                Method::GET,
                &format!("{instance}/api/v1/accounts/verify_credentials"),
                Body::None,
                None,
                Effect::Read,
                BUCKET_API,
            )
            .await
            .map_err(Failure::into_error)?;
        Ok(AccountInfo {
            id: id_field(&answer.body, "id")
                .ok_or_else(|| unexpected("verify_credentials answered without an id"))?,
            handle: str_field(&answer.body, "acct")?,
        })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        self.publish_status(creds, req, "public").await
    }

    /// Statuses are how Mastodon answers: a reply is a status `in_reply_to_id` the message, and an
    /// answer to a direct message is a `direct` one. Either mentions the person (a direct status
    /// reaches only those it mentions).
    fn can_reply(&self, _kind: owlery_domain::inbox::MessageKind) -> bool {
        true
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        let (status, visibility) = reply_status(req);
        self.publish_status(creds, &status, visibility).await
    }

    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let (status, _) = reply_status(req);
        Connector::lookup(self, creds, &status, since).await
    }

    /// Through the account's own statuses (never by publishing again): see the module docs.
    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let instance = self.instance(creds)?;
        let account = self.account_id(creds).await?;
        let url = format!("{instance}/api/v1/accounts/{}/statuses", path_id(&account)?);
        let horizon = since
            .checked_sub(CLOCK_MARGIN)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut max_id: Option<String> = None;
        let mut seen = 0usize;
        for _ in 0..MAX_LOOKUP_PAGES {
            let mut query = vec![
                ("limit", PAGE_LIMIT.to_string()),
                ("exclude_reblogs", "true".to_owned()),
            ];
            if let Some(max_id) = &max_id {
                query.push(("max_id", max_id.clone()));
            }
            let answer = self
                .authed(
                    creds,
                    Method::GET,
                    &url,
                    Body::Query(query),
                    None,
                    Effect::Read,
                    BUCKET_API,
                )
                .await
                .map_err(Failure::into_error)?;
            let statuses = answer
                .body
                .as_array()
                .ok_or_else(|| unexpected("the account's statuses are not a list"))?;
            if statuses.is_empty() {
                // The end of the account's statuses: everything was seen.
                return Ok(Lookup::Absent);
            }
            let mut past_horizon = false;
            for status in statuses {
                seen += 1;
                let created = status
                    .get("created_at")
                    .and_then(Value::as_str)
                    .and_then(parse_time);
                if created.is_some_and(|t| t < horizon) {
                    past_horizon = true;
                    continue;
                }
                if is_same_post(status, req)
                    && let Some(published) = published_from(status, &instance, req)
                {
                    return Ok(Lookup::Found(published));
                }
            }
            if past_horizon {
                return Ok(Lookup::Absent);
            }
            max_id = statuses.last().and_then(|s| id_field(s, "id"));
            if max_id.is_none() {
                break;
            }
        }
        Ok(Lookup::CannotTell {
            reason: format!(
                "looked through the account's newest {seen} statuses on Mastodon without \
                 reaching the time of the first attempt; check the account by hand"
            ),
        })
    }

    /// Every status can be favourited, direct ones included.
    fn can_like(&self, _kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        crate::inbox::Ability::Allowed
    }

    /// `POST /api/v1/statuses/:id/favourite` (favouriting twice succeeds).
    async fn like(&self, creds: &Credentials, remote_id: &str) -> Result<(), ConnectorError> {
        let instance = self.instance(creds)?;
        let url = format!(
            "{instance}/api/v1/statuses/{}/favourite",
            path_id(remote_id)?
        );
        self.authed(
            creds,
            Method::POST,
            &url,
            Body::None,
            None,
            Effect::Read,
            BUCKET_DELETE,
        )
        .await
        .map(|_| ())
        .map_err(|f| f.into_error())
    }

    fn can_delete_comment(
        &self,
        _kind: owlery_domain::inbox::MessageKind,
    ) -> crate::inbox::Ability {
        crate::inbox::Ability::Not(
            "on Mastodon only its author (or a server moderator) can delete a post; block or \
             report the account instead",
        )
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        let instance = self.instance(creds)?;
        let url = format!("{instance}/api/v1/statuses/{}", path_id(&remote.id)?);
        match self
            .authed(
                creds,
                Method::DELETE,
                &url,
                Body::None,
                None,
                // Deleting twice is harmless (the second finds nothing).
                Effect::Read,
                BUCKET_DELETE,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(f) if f.is_not_found() => Ok(()),
            Err(f) => Err(f.into_error()),
        }
    }

    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        let instance = self.instance(creds)?;
        let url = format!("{instance}/api/v1/statuses/{}", path_id(&remote.id)?);
        match self
            .authed(
                creds,
                Method::GET,
                &url,
                Body::None,
                None,
                Effect::Read,
                BUCKET_API,
            )
            .await
        {
            Ok(answer) => Ok(RemoteStatus {
                exists: true,
                metrics: metrics_of(&answer.body),
            }),
            Err(f) if f.is_not_found() => Ok(RemoteStatus::default()),
            Err(f) => Err(f.into_error()),
        }
    }

    fn polls_inbox(&self) -> bool {
        true
    }

    async fn poll_inbox(
        &self,
        creds: &Credentials,
        cursor: Option<&str>,
    ) -> Result<crate::inbox::InboxPoll, ConnectorError> {
        self.poll(creds, cursor).await
    }

    /// Mastodon's access tokens do not expire and come without refresh tokens: nothing to do.
    async fn refresh(&self, _creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        Ok(None)
    }

    /// The server's OAuth endpoints (`service`: the account's server; without one, the
    /// environment's base address; `None` if neither is a server address). Register the app on
    /// that server first ([`Mastodon::register_app`]).
    fn oauth(&self, service: Option<&str>) -> Option<OAuthSpec> {
        let raw = service
            .map(str::to_owned)
            .or_else(|| self.base_url.clone())?;
        let instance = instance_url(&raw).ok()?;
        Some(OAuthSpec::standard(
            &format!("{instance}/oauth/authorize"),
            &format!("{instance}/oauth/token"),
            &SCOPES,
        ))
    }

    /// The grant's own account, its handle written `user@server` (see [`account_handle`]) so that
    /// accounts of the same name on different servers stay apart.
    async fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        service: Option<&str>,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let creds = crate::grant_credentials(&grant, service, app);
        let instance = self.instance(&creds)?;
        let me = self.verify(&creds).await?;
        let handle = account_handle(&me.handle, &instance);
        Ok(vec![GrantedAccount::with_grant(
            AccountKind::Profile,
            me.id,
            handle.clone(),
            handle,
            &grant,
        )])
    }

    /// Every server has its own apps: [`Mastodon::register_app`].
    async fn register_client(
        &self,
        service: &str,
        redirect_uri: &str,
    ) -> Result<Option<AppCredentials>, ConnectorError> {
        Mastodon::register_app(self, service, redirect_uri)
            .await
            .map(Some)
    }
}

/// An account's handle with its server: `acct` as Mastodon gives it (`user` for the server's own
/// accounts), with `@host` (and `:port` when the address has one) added when it has none.
pub fn account_handle(acct: &str, instance: &str) -> String {
    let acct = acct.trim().trim_start_matches('@');
    if acct.contains('@') {
        return acct.to_owned();
    }
    let server = url::Url::parse(instance)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_ascii_lowercase();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| instance.to_owned());
    format!("{acct}@{server}")
}

/// Checks what Mastodon cannot do, before anything is sent.
fn check_request(req: &PublishRequest) -> Result<(), ConnectorError> {
    let refuse = |reason: String| Err(ConnectorError::Permanent { reason });
    let part = &req.part;
    if !req.placement.is_empty() && req.placement != PLACEMENT {
        return refuse(format!(
            "Mastodon has one kind of post, the status: there is no \"{}\" placement",
            req.placement
        ));
    }
    if let Some(target) = &req.target {
        return refuse(format!(
            "Mastodon posts go to the account's own profile: there is no board or page to post \
             to ({target})"
        ));
    }
    if req.as_comment && req.reply_to.is_none() {
        return refuse("a comment needs the post it answers".into());
    }
    if part.text.trim().is_empty() && part.media.is_empty() {
        return refuse("a Mastodon status needs text or at least one attachment".into());
    }
    if part.media.len() > MAX_ATTACHMENTS {
        return refuse(format!(
            "{} attachments: Mastodon takes at most {MAX_ATTACHMENTS} per status; remove some or \
             split the post",
            part.media.len()
        ));
    }
    let videos = part.media.iter().filter(|m| is_video(m)).count();
    if videos > 0 && part.media.len() > 1 {
        return refuse(
            "Mastodon takes one video per status, without other images or videos: post them \
             separately"
                .into(),
        );
    }
    for (i, media) in part.media.iter().enumerate() {
        let n = i + 1;
        if media.bytes.is_empty() {
            return refuse(format!("attachment {n} is empty"));
        }
        let mime = media.mime.to_ascii_lowercase();
        let fits = match media.kind {
            MediaKind::Image => mime.starts_with("image/"),
            MediaKind::Video => mime.starts_with("video/"),
        };
        if !fits {
            let kind = match media.kind {
                MediaKind::Image => "an image",
                MediaKind::Video => "a video",
            };
            return refuse(format!(
                "attachment {n} is {:?}, not {kind}: Mastodon needs the file's real type",
                media.mime
            ));
        }
        let alt = media.alt.chars().count();
        if alt > MAX_ALT_CHARS {
            return refuse(format!(
                "the alt text of attachment {n} has {alt} characters; Mastodon takes at most \
                 {MAX_ALT_CHARS}: shorten it"
            ));
        }
    }
    Ok(())
}

fn is_video(media: &MediaUpload) -> bool {
    media.kind == MediaKind::Video || media.mime.to_ascii_lowercase().starts_with("video/")
}

/// Names a `Permanent` or `Temporary` error after the attachment it is about.
fn about_attachment(err: ConnectorError, number: usize) -> ConnectorError {
    match err {
        ConnectorError::Permanent { reason } => ConnectorError::Permanent {
            reason: format!("attachment {number}: {reason}"),
        },
        ConnectorError::Temporary {
            reason,
            retry_after,
        } => ConnectorError::Temporary {
            reason: format!("attachment {number}: {reason}"),
            retry_after,
        },
        other => other,
    }
}

/// A server address as `scheme://host[:port][/path]` without a trailing slash. A bare host
/// (`mastodon.social`) means `https://`.
pub fn instance_url(raw: &str) -> Result<String, ConnectorError> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let bad = |why: &str| ConnectorError::Permanent {
        reason: format!("the Mastodon server address {raw:?} {why}: fix the connection"),
    };
    let parsed = url::Url::parse(&with_scheme).map_err(|_| bad("is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("is not an http(s) address"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err(bad("must be a plain server address"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn host_of(instance: &str) -> String {
    url::Url::parse(instance)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_else(|| instance.to_owned())
}

/// The origin of an http(s) redirect address (Owlery's own site), for the app's `website`.
fn website_of(redirect_uri: &str) -> Option<String> {
    let parsed = url::Url::parse(redirect_uri).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    Some(parsed.origin().ascii_serialization())
}

/// An id as one path segment: Mastodon's ids are digits (forks use letters, `-`, `_`).
fn path_id(id: &str) -> Result<&str, ConnectorError> {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(id)
    } else {
        Err(ConnectorError::Permanent {
            reason: format!("{id:?} is not a Mastodon status or account id"),
        })
    }
}

/// An answer as a status: threaded under the message, mentioning the person (unless the text
/// already does), `direct` for a direct message.
fn reply_status(req: &crate::inbox::ReplyRequest) -> (PublishRequest, &'static str) {
    let mut status = req.as_publish(false);
    let handle = req.target.contact_handle.trim().trim_start_matches('@');
    if !handle.is_empty() {
        let mention = format!("@{handle}");
        if !status.part.text.contains(&mention) {
            status.part.text = format!("{mention} {}", status.part.text);
        }
    }
    let visibility = match req.target.kind {
        owlery_domain::inbox::MessageKind::Dm => "direct",
        _ => "public",
    };
    (status, visibility)
}

/// The `Idempotency-Key` for a request's key: the key itself when it is a plain ASCII token of
/// at most 128 characters, else a SHA-256 of it (stable, so a repeat sends the same).
pub fn idempotency_key(key: &str) -> String {
    if !key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_graphic()) {
        key.to_owned()
    } else {
        let digest = Sha256::digest(key.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("owlery-sha256-{hex}")
    }
}

fn idempotency_header(key: &str) -> Result<HeaderValue, ConnectorError> {
    HeaderValue::from_str(&idempotency_key(key)).map_err(|_| ConnectorError::Permanent {
        reason: "the idempotency key cannot be sent as a header".into(),
    })
}

/// `language` for a status: the primary subtag of the first language (`pt-BR` → `pt`), if it
/// looks like an ISO 639 code.
pub fn language(langs: &[String]) -> Option<String> {
    let first = langs.iter().map(|l| l.trim()).find(|l| !l.is_empty())?;
    let primary = first.split(['-', '_']).next()?.to_ascii_lowercase();
    ((2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()))
        .then_some(primary)
}

/// A file name Mastodon can infer the type from (`image.png`, `video.mp4`).
fn file_name(mime: &str, number: usize) -> String {
    let mime = mime.to_ascii_lowercase();
    let ext = match mime.as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        "image/avif" => "avif",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/quicktime" => "mov",
        "video/x-m4v" => "m4v",
        other => other
            .split_once('/')
            .map(|(_, sub)| sub)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or("bin"),
    };
    format!("attachment-{number}.{ext}")
}

fn has_url(body: &Value) -> bool {
    body.get("url")
        .and_then(Value::as_str)
        .is_some_and(|u| !u.is_empty())
}

/// An id, as Mastodon sends them (strings; some servers send numbers).
fn id_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn str_field(v: &Value, key: &str) -> Result<String, ConnectorError> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| unexpected(&format!("{key} is missing from the answer")))
}

fn unexpected(detail: &str) -> ConnectorError {
    ConnectorError::Temporary {
        reason: format!("unexpected answer from the Mastodon server: {detail}"),
        retry_after: None,
    }
}

fn parse_time(s: &str) -> Option<SystemTime> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc).into())
}

/// What a status became, from its JSON: id, address (`url`, else `uri`, else the profile path).
fn published_from(status: &Value, instance: &str, req: &PublishRequest) -> Option<Published> {
    let id = id_field(status, "id")?;
    let link = |k: &str| {
        status
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let url = link("url").or_else(|| link("uri")).unwrap_or_else(|| {
        match status.pointer("/account/acct").and_then(Value::as_str) {
            Some(acct) => format!("{instance}/@{acct}/{id}"),
            None => format!("{instance}/statuses/{id}"),
        }
    });
    let root = req.reply_to.as_ref().map(|parent| {
        Box::new(match &parent.root {
            Some(root) => (**root).clone(),
            None => RemoteRef {
                id: parent.id.clone(),
                cid: parent.cid.clone(),
                root: None,
            },
        })
    });
    Some(Published {
        remote: RemoteRef {
            id,
            cid: None,
            root,
        },
        url,
    })
}

fn metrics_of(status: &Value) -> Metrics {
    let n = |k: &str| status.get(k).and_then(Value::as_u64);
    Metrics {
        likes: n("favourites_count"),
        shares: n("reblogs_count"),
        comments: n("replies_count"),
        views: None,
        saves: None,
    }
}

/// Whether a status from the account's list is what `req` would have published: the same text,
/// the same parent (or none), the same number of attachments.
fn is_same_post(status: &Value, req: &PublishRequest) -> bool {
    let parent = status.get("in_reply_to_id").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    if parent.as_deref() != req.reply_to.as_ref().map(|r| r.id.as_str()) {
        return false;
    }
    let attachments = status
        .get("media_attachments")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if attachments != req.part.media.len() {
        return false;
    }
    let content = status.get("content").and_then(Value::as_str).unwrap_or("");
    text_matches(content, &req.part.text)
}

/// Whether a status' HTML `content` shows `text`: compared after stripping tags, decoding
/// entities and collapsing whitespace. Mastodon shows a remote mention `@user@server` as `@user`,
/// so that form matches too.
pub fn text_matches(content_html: &str, text: &str) -> bool {
    let shown = normalise(&html_to_text(content_html));
    shown == normalise(text) || shown == normalise(&shorten_mentions(text))
}

/// Whitespace runs (newlines included) as one space, trimmed.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `@user@server` → `@user`, as Mastodon renders remote mentions.
fn shorten_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let (before, from_at) = rest.split_at(at);
        out.push_str(before);
        let starts_word = out.chars().last().is_none_or(|c| !c.is_alphanumeric());
        let token_len = from_at
            .char_indices()
            .skip(1)
            .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@')))
            .map_or(from_at.len(), |(i, _)| i);
        // A sentence's full stop after a mention is not part of it.
        let token_len = from_at
            .get(..token_len)
            .map_or(token_len, |t| t.trim_end_matches(['.', '-']).len());
        let (token, after) = from_at.split_at(token_len);
        match token.get(1..).and_then(|t| t.split_once('@')) {
            Some((user, server)) if starts_word && !user.is_empty() && server.contains('.') => {
                out.push('@');
                out.push_str(user);
            }
            _ => out.push_str(token),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The text a status' HTML `content` shows: tags dropped (`<br>` a line break, `</p>` a paragraph
/// break), entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(rest.get(..open).unwrap_or(""));
        let after = rest.get(open + 1..).unwrap_or("");
        let Some(close) = after.find('>') else {
            // A lone "<" (never produced by Mastodon, which escapes it): keep it as text.
            out.push_str(rest.get(open..).unwrap_or(""));
            rest = "";
            break;
        };
        let tag = after.get(..close).unwrap_or("").trim();
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("br", _) => out.push('\n'),
            ("p", true) => out.push_str("\n\n"),
            _ => {}
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    decode_entities(&out)
}

/// Decodes HTML character references: the named ones Mastodon emits and numeric ones.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        let after = rest.get(amp + 1..).unwrap_or("");
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let name = after.get(..semi)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let code = if let Some(hex) =
                        name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()?
                    } else {
                        name.strip_prefix('#')?.parse().ok()?
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = after.get(semi + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishPart;

    #[test]
    fn account_handles_carry_their_server() {
        assert_eq!(
            account_handle("brand", "https://Mastodon.Social"),
            "brand@mastodon.social"
        );
        assert_eq!(
            account_handle("@brand", "http://127.0.0.1:53000"),
            "brand@127.0.0.1:53000"
        );
        assert_eq!(
            account_handle("brand@hachyderm.io", "https://mastodon.social"),
            "brand@hachyderm.io"
        );
    }

    #[test]
    fn html_content_becomes_the_text_it_shows() {
        assert_eq!(
            html_to_text("<p>Hello &lt;world&gt; &amp; &quot;friends&quot; &#39;x&#x27;</p>"),
            "Hello <world> & \"friends\" 'x'\n\n"
        );
        assert_eq!(
            html_to_text("<p>one<br />two<br>three</p><p>four</p>"),
            "one\ntwo\nthree\n\nfour\n\n"
        );
        // Mastodon's shortened links keep every part of the address in spans
        let link = r#"<p>see <a href="https://www.example.com/a/very/long/path" rel="nofollow noopener" target="_blank"><span class="invisible">https://www.</span><span class="ellipsis">example.com/a/very/lo</span><span class="invisible">ng/path</span></a></p>"#;
        assert_eq!(
            normalise(&html_to_text(link)),
            "see https://www.example.com/a/very/long/path"
        );
        assert_eq!(html_to_text("a < b"), "a < b");
        assert_eq!(
            decode_entities("&unknown; & &#99999999;"),
            "&unknown; & &#99999999;"
        );
    }

    #[test]
    fn text_matching_ignores_markup_whitespace_and_remote_mention_servers() {
        assert!(text_matches(
            "<p>Line one<br />line  two</p><p>para</p>",
            "Line one\nline two\n\npara"
        ));
        assert!(!text_matches("<p>Line one</p>", "Line one!"));
        let mention = r#"<p>hi <span class="h-card"><a href="https://other.example/@bob" class="u-url mention">@<span>bob</span></a></span> and <a href="https://x.test/tags/owls" class="mention hashtag" rel="tag">#<span>owls</span></a></p>"#;
        assert!(text_matches(mention, "hi @bob@other.example and #owls"));
        assert!(text_matches(mention, "hi @bob and #owls"));
        assert_eq!(
            shorten_mentions("mail me@example.com, ping @a_b@srv.example."),
            "mail me@example.com, ping @a_b."
        );
    }

    #[test]
    fn mastodon_errors_are_classified() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let none = HeaderMap::new();
        let c = |code: u16, error: &str| {
            classify(StatusCode::from_u16(code).unwrap(), error, &none, now)
        };
        assert!(matches!(
            c(401, "The access token is invalid"),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(403, "The access token was revoked"),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(403, "This action is outside the authorized scopes"),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(403, "Your login is currently disabled"),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(403, "This action is not allowed"),
            ConnectorError::Permanent { .. }
        ));
        assert!(matches!(
            c(422, "Validation failed: Text character limit of 500 exceeded"),
            ConnectorError::Permanent { reason } if reason.contains("Text character limit of 500 exceeded")
        ));
        assert!(
            c(
                422,
                "Cannot attach files that have not finished processing. Try again in a moment!"
            )
            .is_retryable()
        );
        assert!(matches!(c(503, ""), ConnectorError::Temporary { .. }));
        let mut h = HeaderMap::new();
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2023-11-14T22:20:20.000Z"),
        );
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, "Too many requests", &h, now),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(7 * 60))
            }
        );
        assert_eq!(
            error_text(
                &serde_json::json!({"error": "invalid_grant", "error_description": "The grant is invalid"})
            ),
            "invalid_grant (The grant is invalid)"
        );
    }

    #[test]
    fn server_addresses_ids_keys_and_languages() {
        assert_eq!(
            instance_url("https://mastodon.social/").unwrap(),
            "https://mastodon.social"
        );
        assert_eq!(
            instance_url(" mastodon.social ").unwrap(),
            "https://mastodon.social"
        );
        assert_eq!(
            instance_url("http://127.0.0.1:53000").unwrap(),
            "http://127.0.0.1:53000"
        );
        assert!(instance_url("ftp://x.example").is_err());
        assert!(instance_url("https://x.example/?a=1").is_err());
        assert!(instance_url("").is_err());
        assert_eq!(
            website_of("https://owl.example/oauth/mastodon/callback").as_deref(),
            Some("https://owl.example")
        );
        assert_eq!(website_of("urn:ietf:wg:oauth:2.0:oob"), None);
        assert!(path_id("109372843234").is_ok());
        assert!(path_id("9xYz-_a").is_ok());
        assert!(path_id("../admin").is_err());
        assert!(path_id("").is_err());
        assert_eq!(idempotency_key("0190a3:2"), "0190a3:2");
        let hashed = idempotency_key("with space ü");
        assert!(hashed.starts_with("owlery-sha256-") && hashed.len() == 14 + 64);
        assert_eq!(hashed, idempotency_key("with space ü"));
        assert_eq!(language(&["pt-BR".into()]).as_deref(), Some("pt"));
        assert_eq!(
            language(&[" EN ".into(), "bg".into()]).as_deref(),
            Some("en")
        );
        assert_eq!(language(&["x".into()]), None);
        assert_eq!(language(&[]), None);
        assert_eq!(file_name("image/png", 2), "attachment-2.png");
        assert_eq!(file_name("video/quicktime", 1), "attachment-1.mov");
        assert_eq!(file_name("image/x-weird+xml", 1), "attachment-1.bin");
    }

    #[test]
    fn what_mastodon_cannot_do_is_refused() {
        let image = |mime: &str| MediaUpload {
            bytes: vec![1],
            mime: mime.into(),
            ..MediaUpload::default()
        };
        let video = MediaUpload {
            kind: MediaKind::Video,
            bytes: vec![1],
            mime: "video/mp4".into(),
            ..MediaUpload::default()
        };
        let req = |media: Vec<MediaUpload>| PublishRequest {
            part: PublishPart {
                text: "t".into(),
                media,
                ..PublishPart::default()
            },
            ..PublishRequest::new("k", "t")
        };
        assert!(check_request(&req(vec![image("image/png"); 4])).is_ok());
        assert!(check_request(&req(vec![video.clone()])).is_ok());
        assert!(check_request(&req(vec![image("image/png"); 5])).is_err());
        assert!(check_request(&req(vec![video.clone(), image("image/png")])).is_err());
        assert!(check_request(&req(vec![image("video/mp4")])).is_err());
        let mut long_alt = image("image/png");
        long_alt.alt = "a".repeat(MAX_ALT_CHARS + 1);
        assert!(check_request(&req(vec![long_alt])).is_err());
        let mut r = req(vec![]);
        r.placement = "status".into();
        assert!(check_request(&r).is_ok());
        r.placement = "reel".into();
        assert!(check_request(&r).is_err());
        let mut r = req(vec![]);
        r.part.text = "  ".into();
        assert!(check_request(&r).is_err());
        let mut r = req(vec![]);
        r.as_comment = true;
        assert!(check_request(&r).is_err());
        let mut r = req(vec![]);
        r.target = Some("board".into());
        assert!(check_request(&r).is_err());
    }

    #[test]
    fn a_status_is_matched_by_text_parent_and_attachments() {
        let mut req = PublishRequest::new("k", "Hello & bye");
        let status = serde_json::json!({
            "id": "1", "content": "<p>Hello &amp; bye</p>", "in_reply_to_id": null,
            "media_attachments": [], "url": "https://m.example/@a/1"
        });
        assert!(is_same_post(&status, &req));
        req.reply_to = Some(RemoteRef {
            id: "7".into(),
            cid: None,
            root: None,
        });
        assert!(!is_same_post(&status, &req));
        let reply = serde_json::json!({
            "id": "2", "content": "<p>Hello &amp; bye</p>", "in_reply_to_id": "7",
            "media_attachments": []
        });
        assert!(is_same_post(&reply, &req));
        let published = published_from(&reply, "https://m.example", &req).unwrap();
        assert_eq!(published.url, "https://m.example/statuses/2");
        assert_eq!(published.remote.root.map(|r| r.id), Some("7".into()));
        assert_eq!(
            metrics_of(
                &serde_json::json!({"favourites_count": 3, "reblogs_count": 2, "replies_count": 1})
            ),
            Metrics {
                likes: Some(3),
                shares: Some(2),
                comments: Some(1),
                views: None,
                saves: None
            }
        );
    }
}
