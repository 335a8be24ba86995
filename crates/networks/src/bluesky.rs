//! Bluesky (AT Protocol) over plain XRPC.
//!
//! - **verify**: `com.atproto.server.createSession` with the handle and an app password against the
//!   account's PDS (`Credentials::service`, default `https://bsky.social`). The session (access and
//!   refresh JWT) is cached in memory per PDS and handle, renewed with `refreshSession` when the PDS
//!   says `ExpiredToken`/`InvalidToken`/401 (once per call, then a fresh `createSession`, then
//!   `Auth`). Tokens are never logged or shown.
//! - **publish**: each image through `com.atproto.repo.uploadBlob`, then one `app.bsky.feed.post`
//!   through `com.atproto.repo.createRecord` with `app.bsky.embed.images` (alt text, aspect ratio),
//!   `langs`, `createdAt`, rich-text facets (links, mentions resolved with
//!   `com.atproto.identity.resolveHandle` — an unresolvable one stays plain text — and hashtags, at
//!   UTF-8 byte offsets) and `reply.root`/`reply.parent` (URI + CID).
//! - **exactly once**: the record key is a TID derived from the idempotency key
//!   ([`tid::rkey_for`]). A second `createRecord` with that key fails (the PDS answers 500, not a
//!   conflict); `publish` then reads the record (`getRecord`) and, if it is there with the same
//!   text, returns it as published. After a timeout the outcome is `Unknown` unless that read finds
//!   the record; the engine reconciles with `lookup`.
//! - **delete**: `com.atproto.repo.deleteRecord` (succeeds when already gone).
//! - Errors: 401/`ExpiredToken`/`InvalidToken` → refresh once, then `Auth`; 429 and
//!   `RateLimitExceeded` → `RateLimited` (with `Retry-After`/`RateLimit-Reset`); 5xx → `Temporary`;
//!   400 `InvalidRequest` → `Permanent` with the PDS's message.
//!
//! Verified live against Bluesky's own local network, npm `@atproto/dev-env` 0.6.7 (PDS and
//! AppView; `crates/networks/tests/bluesky_devenv.rs`, started by `scripts/test`): sessions and app
//! passwords, blobs and image embeds, facets, reply threads as the AppView shows them, idempotent
//! publish, lookup, delete, a wrong password. Not verified: real rate limiting (dev-env sends no
//! rate-limit headers; the classification is unit-tested), token expiry in real time (the refresh
//! path is exercised by a deliberately invalid token), link cards (not sent), video, and DMs
//! (`chat.bsky.*` is not available locally, so not implemented).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect, HttpConfig};
use crate::{
    AccountInfo, Connector, ConnectorError, Credentials, Env, Lookup, Metrics, Network,
    PublishRequest, Published, RemoteRef, RemoteStatus,
};

pub mod facets;
mod inbox;
pub mod tid;

/// Where accounts live when the credentials name no PDS.
pub const DEFAULT_SERVICE: &str = "https://bsky.social";
const POST: &str = "app.bsky.feed.post";
const LIKE: &str = "app.bsky.feed.like";
/// `app.bsky.embed.images`: at most 4 images of at most 1,000,000 bytes each.
pub const MAX_IMAGES: usize = 4;
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
/// `app.bsky.feed.post#langs`: at most 3.
const MAX_LANGS: usize = 3;

/// The Bluesky connector. One per process: it caches sessions per account.
pub struct Bluesky {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    sessions: Mutex<HashMap<(String, String), Arc<Session>>>,
}

/// A logged-in session. Debug is not derived: the JWTs must never print.
struct Session {
    did: String,
    handle: String,
    access: SecretString,
    refresh: SecretString,
    /// SHA-256 of the app password it was made with: a changed password makes a new session.
    secret_hash: [u8; 32],
}

/// A request body.
enum Body<'a> {
    None,
    Query(&'a [(&'a str, &'a str)]),
    Json(&'a Value),
    Bytes { mime: &'a str, bytes: &'a [u8] },
}

/// A failed XRPC call: the PDS answered with an error, or the transport failed.
enum CallError {
    Xrpc {
        status: StatusCode,
        error: Option<String>,
        message: Option<String>,
        headers: HeaderMap,
    },
    Other(ConnectorError),
}

impl CallError {
    fn is_token_problem(&self) -> bool {
        match self {
            CallError::Xrpc { status, error, .. } => {
                *status == StatusCode::UNAUTHORIZED
                    || matches!(error.as_deref(), Some("ExpiredToken" | "InvalidToken"))
            }
            CallError::Other(_) => false,
        }
    }

    fn error_name(&self) -> Option<&str> {
        match self {
            CallError::Xrpc { error, .. } => error.as_deref(),
            CallError::Other(_) => None,
        }
    }

    fn into_connector(self) -> ConnectorError {
        match self {
            CallError::Other(e) => e,
            CallError::Xrpc {
                status,
                error,
                message,
                headers,
            } => classify_xrpc(status, error.as_deref(), message.as_deref(), &headers),
        }
    }
}

/// An XRPC error answer as a connector error.
fn classify_xrpc(
    status: StatusCode,
    error: Option<&str>,
    message: Option<&str>,
    headers: &HeaderMap,
) -> ConnectorError {
    let said = match (error, message) {
        (Some(e), Some(m)) => format!("{e}: {m}"),
        (Some(e), None) => e.to_owned(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => String::new(),
    };
    let now = SystemTime::now();
    match error {
        Some("ExpiredToken" | "InvalidToken" | "AuthenticationRequired" | "AuthMissing") => {
            ConnectorError::Auth {
                reason: format!("{said}: reconnect the channel with a new app password"),
            }
        }
        Some("AccountTakedown" | "AccountDeactivated") => ConnectorError::Auth {
            reason: format!("{said}: the account cannot post; check it on Bluesky"),
        },
        Some("RateLimitExceeded") => ConnectorError::RateLimited {
            retry_after: http::retry_after(headers, now)
                .or_else(|| http::rate_limit(headers, now).and_then(|r| r.reset)),
        },
        Some("InvalidRequest") if status == StatusCode::BAD_REQUEST => ConnectorError::Permanent {
            reason: format!(
                "Bluesky rejected the post: {}",
                message.unwrap_or("invalid request")
            ),
        },
        _ => http::classify_status(status, headers, &said, now),
    }
}

impl Bluesky {
    pub fn new() -> Result<Bluesky, ConnectorError> {
        Bluesky::with_config(HttpConfig::default())
    }

    pub fn with_config(config: HttpConfig) -> Result<Bluesky, ConnectorError> {
        Bluesky::with_env(Env {
            http: config,
            ..Env::default()
        })
    }

    /// With the engine's shared budget book. The PDS is per account (`Credentials::service`), so
    /// `env.base_url` is not used.
    pub fn with_env(env: Env) -> Result<Bluesky, ConnectorError> {
        Ok(Bluesky {
            http: http::client(env.http)?,
            budgets: env.budgets,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// For tests: replaces the cached access token of these credentials with an invalid one, so
    /// the next call must renew the session. Returns whether a session was cached.
    #[doc(hidden)]
    pub fn spoil_access_token(&self, creds: &Credentials) -> bool {
        let Ok(service) = service_url(creds) else {
            return false;
        };
        let mut sessions = self.sessions();
        let key = (service, creds.handle.to_ascii_lowercase());
        let Some(old) = sessions.get(&key).cloned() else {
            return false;
        };
        sessions.insert(
            key,
            Arc::new(Session {
                did: old.did.clone(),
                handle: old.handle.clone(),
                access: SecretString::from("spoiled.token.value".to_owned()),
                refresh: old.refresh.clone(),
                secret_hash: old.secret_hash,
            }),
        );
        true
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<Session>>> {
        // A map of finished values: still consistent if a holder panicked.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One XRPC call. `token` authenticates it; `budget` is the account whose rate-limit budget
    /// the answer's `RateLimit-*` headers describe.
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &self,
        budget: &str,
        service: &str,
        method: Method,
        nsid: &str,
        body: Body<'_>,
        token: Option<&SecretString>,
        effect: Effect,
    ) -> Result<Value, CallError> {
        let url = format!("{service}/xrpc/{nsid}");
        let mut request = self.http.request(method, &url);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose_secret());
        }
        request = match body {
            Body::None => request,
            Body::Query(q) => request.query(q),
            Body::Json(v) => request.json(v),
            Body::Bytes { mime, bytes } => request
                .header(reqwest::header::CONTENT_TYPE, mime)
                .body(bytes.to_vec()),
        };
        let response = request
            .send()
            .await
            .map_err(|e| CallError::Other(http::classify_transport(&e, effect)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let now = SystemTime::now();
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.budgets.exhausted(
                Network::Bluesky,
                Scope::Account,
                budget,
                nsid,
                http::retry_after(&headers, now)
                    .or_else(|| http::rate_limit(&headers, now).and_then(|r| r.reset)),
                now,
            );
        } else if let Some(limit) = http::rate_limit(&headers, now) {
            self.budgets.observe_headers(
                Network::Bluesky,
                Scope::Account,
                budget,
                nsid,
                limit,
                now,
            );
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CallError::Other(http::classify_transport(&e, effect)))?;
        tracing::debug!(
            network = "bluesky",
            xrpc.nsid = nsid,
            http.status = status.as_u16(),
            "bluesky call"
        );
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|e| {
                let reason = format!("{nsid} answered {status} with unreadable JSON: {e}");
                CallError::Other(match effect {
                    Effect::Read => ConnectorError::Temporary {
                        reason,
                        retry_after: None,
                    },
                    Effect::Write => ConnectorError::Unknown { reason },
                })
            });
        }
        let parsed: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let field = |k: &str| parsed.get(k).and_then(Value::as_str).map(str::to_owned);
        Err(CallError::Xrpc {
            status,
            error: field("error"),
            message: field("message"),
            headers,
        })
    }

    /// The cached session for these credentials, or a new one.
    async fn session(&self, creds: &Credentials) -> Result<Arc<Session>, ConnectorError> {
        let service = service_url(creds)?;
        let key = (service, creds.handle.to_ascii_lowercase());
        let hash = secret_hash(creds);
        if let Some(s) = self.sessions().get(&key)
            && s.secret_hash == hash
        {
            return Ok(s.clone());
        }
        self.create_session(creds).await
    }

    async fn create_session(&self, creds: &Credentials) -> Result<Arc<Session>, ConnectorError> {
        let service = service_url(creds)?;
        let body = json!({
            "identifier": creds.handle,
            "password": creds.secret.expose_secret(),
        });
        let answer = self
            .call(
                &creds.budget_key(),
                &service,
                Method::POST,
                "com.atproto.server.createSession",
                Body::Json(&body),
                None,
                Effect::Read,
            )
            .await
            .map_err(|e| match e {
                CallError::Xrpc {
                    status: StatusCode::UNAUTHORIZED,
                    ..
                } => ConnectorError::Auth {
                    reason: format!(
                        "Bluesky refused the handle or app password for {}: reconnect the channel \
                         with a valid app password",
                        creds.handle
                    ),
                },
                other => other.into_connector(),
            })?;
        let session = Arc::new(session_from(&answer, secret_hash(creds))?);
        self.sessions().insert(
            (service, creds.handle.to_ascii_lowercase()),
            session.clone(),
        );
        Ok(session)
    }

    /// A new session after a token problem: `refreshSession`, or log in again.
    async fn renew(
        &self,
        creds: &Credentials,
        old: &Session,
    ) -> Result<Arc<Session>, ConnectorError> {
        let service = service_url(creds)?;
        match self
            .call(
                &creds.budget_key(),
                &service,
                Method::POST,
                "com.atproto.server.refreshSession",
                Body::None,
                Some(&old.refresh),
                Effect::Read,
            )
            .await
        {
            Ok(answer) => {
                let session = Arc::new(session_from(&answer, old.secret_hash)?);
                self.sessions().insert(
                    (service, creds.handle.to_ascii_lowercase()),
                    session.clone(),
                );
                Ok(session)
            }
            Err(e) if e.is_token_problem() => self.create_session(creds).await,
            Err(e) => Err(e.into_connector()),
        }
    }

    /// An authenticated call; on a token problem the session is renewed and the call made once
    /// more (the first attempt was refused, so repeating it is safe).
    async fn authed(
        &self,
        creds: &Credentials,
        method: Method,
        nsid: &str,
        body: Body<'_>,
        effect: Effect,
    ) -> Result<Value, CallError> {
        let service = service_url(creds).map_err(CallError::Other)?;
        let session = self.session(creds).await.map_err(CallError::Other)?;
        let again = match &body {
            Body::None => Body::None,
            Body::Query(q) => Body::Query(q),
            Body::Json(v) => Body::Json(v),
            Body::Bytes { mime, bytes } => Body::Bytes { mime, bytes },
        };
        let first = self
            .call(
                &creds.budget_key(),
                &service,
                method.clone(),
                nsid,
                body,
                Some(&session.access),
                effect,
            )
            .await;
        match first {
            Err(e) if e.is_token_problem() => {
                tracing::info!(
                    network = "bluesky",
                    xrpc.nsid = nsid,
                    "session refused; renewing it"
                );
                let session = self
                    .renew(creds, &session)
                    .await
                    .map_err(CallError::Other)?;
                self.call(
                    &creds.budget_key(),
                    &service,
                    method,
                    nsid,
                    again,
                    Some(&session.access),
                    effect,
                )
                .await
            }
            other => other,
        }
    }

    /// The record at `rkey` in the account's posts, if it exists.
    async fn get_post(
        &self,
        creds: &Credentials,
        session: &Session,
        rkey: &str,
    ) -> Result<Option<(Published, Value)>, ConnectorError> {
        let query = [
            ("repo", session.did.as_str()),
            ("collection", POST),
            ("rkey", rkey),
        ];
        let answer = match self
            .authed(
                creds,
                Method::GET,
                "com.atproto.repo.getRecord",
                Body::Query(&query),
                Effect::Read,
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into_connector()),
        };
        let uri = str_field(&answer, "uri")?;
        let cid = answer.get("cid").and_then(Value::as_str).map(str::to_owned);
        let record = answer.get("value").cloned().unwrap_or(Value::Null);
        let root = record
            .pointer("/reply/root")
            .and_then(|r| strong_ref_of(r).ok())
            .map(Box::new);
        let published = Published {
            url: post_url(&session.handle, rkey),
            remote: RemoteRef { id: uri, cid, root },
        };
        Ok(Some((published, record)))
    }

    /// `{uri, cid}` of a post, reading the CID when the reference lacks it.
    async fn strong_ref(
        &self,
        creds: &Credentials,
        post: &RemoteRef,
    ) -> Result<Value, ConnectorError> {
        if let Some(cid) = &post.cid {
            return Ok(json!({ "uri": post.id, "cid": cid }));
        }
        let (repo, collection, rkey) = parse_at_uri(&post.id)?;
        let query = [("repo", repo), ("collection", collection), ("rkey", rkey)];
        let answer = self
            .authed(
                creds,
                Method::GET,
                "com.atproto.repo.getRecord",
                Body::Query(&query),
                Effect::Read,
            )
            .await
            .map_err(|e| {
                if is_not_found(&e) {
                    ConnectorError::Permanent {
                        reason: format!("the post to reply to ({}) does not exist", post.id),
                    }
                } else {
                    e.into_connector()
                }
            })?;
        Ok(json!({ "uri": post.id, "cid": str_field(&answer, "cid")? }))
    }

    /// The message answered, with its CID, and its thread's root (URI + CID): from the AppView
    /// (`app.bsky.feed.getPosts`), or from the author's repository when the AppView does not know
    /// the post yet. A message that is not itself a reply is its own root.
    async fn thread_refs(
        &self,
        creds: &Credentials,
        target: &crate::inbox::ReplyTarget,
    ) -> Result<RemoteRef, ConnectorError> {
        let uri = target.message_id.as_str();
        parse_at_uri(uri)?;
        let query = [("uris", uri)];
        let from_appview = self
            .authed(
                creds,
                Method::GET,
                "app.bsky.feed.getPosts",
                Body::Query(&query),
                Effect::Read,
            )
            .await
            .ok()
            .and_then(|answer| answer.pointer("/posts/0").cloned())
            .and_then(|post| {
                let cid = post.get("cid").and_then(Value::as_str)?.to_owned();
                Some((cid, post.get("record").cloned().unwrap_or(Value::Null)))
            });
        let (cid, record) = match from_appview {
            Some(found) => found,
            None => {
                let (repo, collection, rkey) = parse_at_uri(uri)?;
                let query = [("repo", repo), ("collection", collection), ("rkey", rkey)];
                let answer = self
                    .authed(
                        creds,
                        Method::GET,
                        "com.atproto.repo.getRecord",
                        Body::Query(&query),
                        Effect::Read,
                    )
                    .await
                    .map_err(|e| {
                        if is_not_found(&e) {
                            ConnectorError::Permanent {
                                reason: format!("the message to answer ({uri}) no longer exists"),
                            }
                        } else {
                            e.into_connector()
                        }
                    })?;
                (
                    str_field(&answer, "cid")?,
                    answer.get("value").cloned().unwrap_or(Value::Null),
                )
            }
        };
        let root = record
            .pointer("/reply/root")
            .and_then(|r| strong_ref_of(r).ok())
            .unwrap_or_else(|| RemoteRef {
                id: uri.to_owned(),
                cid: Some(cid.clone()),
                root: None,
            });
        Ok(RemoteRef {
            id: uri.to_owned(),
            cid: Some(cid),
            root: Some(Box::new(root)),
        })
    }

    /// The DID of a handle, or `None` if it does not resolve.
    async fn resolve_handle(
        &self,
        creds: &Credentials,
        handle: &str,
    ) -> Result<Option<String>, ConnectorError> {
        let service = service_url(creds)?;
        let query = [("handle", handle)];
        match self
            .call(
                &creds.budget_key(),
                &service,
                Method::GET,
                "com.atproto.identity.resolveHandle",
                Body::Query(&query),
                None,
                Effect::Read,
            )
            .await
        {
            Ok(answer) => Ok(answer.get("did").and_then(Value::as_str).map(str::to_owned)),
            Err(CallError::Xrpc {
                status: StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND,
                ..
            }) => Ok(None),
            Err(e) => Err(e.into_connector()),
        }
    }

    /// The `facets` of a post's text.
    async fn facets(&self, creds: &Credentials, text: &str) -> Result<Vec<Value>, ConnectorError> {
        let mut out = Vec::new();
        let mut resolved: HashMap<String, Option<String>> = HashMap::new();
        for entity in facets::entities(text) {
            let range = entity.range().clone();
            let feature = match &entity {
                facets::Entity::Link { uri, .. } => {
                    json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri })
                }
                facets::Entity::Tag { tag, .. } => {
                    json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag })
                }
                facets::Entity::Mention { handle, .. } => {
                    let did = match resolved.get(handle) {
                        Some(did) => did.clone(),
                        None => {
                            let did = self.resolve_handle(creds, handle).await?;
                            resolved.insert(handle.clone(), did.clone());
                            did
                        }
                    };
                    let Some(did) = did else { continue };
                    json!({ "$type": "app.bsky.richtext.facet#mention", "did": did })
                }
            };
            out.push(json!({
                "index": { "byteStart": range.start, "byteEnd": range.end },
                "features": [feature],
            }));
        }
        Ok(out)
    }

    /// What publish does once the session exists.
    async fn publish_with(
        &self,
        creds: &Credentials,
        session: &Session,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        let part = &req.part;
        check_part(req)?;
        let rkey = tid::rkey_for(&req.idempotency_key);

        let mut images = Vec::new();
        for media in &part.media {
            // Blobs are content-addressed: uploading one twice is harmless.
            let answer = self
                .authed(
                    creds,
                    Method::POST,
                    "com.atproto.repo.uploadBlob",
                    Body::Bytes {
                        mime: &media.mime,
                        bytes: &media.bytes,
                    },
                    Effect::Read,
                )
                .await
                .map_err(CallError::into_connector)?;
            let blob = answer
                .get("blob")
                .cloned()
                .ok_or_else(|| unexpected("uploadBlob", "no blob"))?;
            let mut image = json!({ "alt": media.alt, "image": blob });
            if media.width > 0 && media.height > 0 {
                image["aspectRatio"] = json!({ "width": media.width, "height": media.height });
            }
            images.push(image);
        }

        let (reply, root) = match &req.reply_to {
            Some(parent) => {
                let parent_ref = self.strong_ref(creds, parent).await?;
                let root_ref = match &parent.root {
                    Some(root) => self.strong_ref(creds, root).await?,
                    None => parent_ref.clone(),
                };
                let root = strong_ref_of(&root_ref)?;
                (
                    Some(json!({ "root": root_ref, "parent": parent_ref })),
                    Some(Box::new(root)),
                )
            }
            None => (None, None),
        };

        let mut record = json!({
            "$type": POST,
            "text": part.text,
            "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        let facets = self.facets(creds, &part.text).await?;
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if !part.langs.is_empty() {
            record["langs"] = json!(part.langs);
        }
        if !images.is_empty() {
            record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": images });
        }
        if let Some(reply) = reply {
            record["reply"] = reply;
        }
        let body = json!({
            "repo": session.did,
            "collection": POST,
            "rkey": rkey,
            "record": record,
        });
        let created = self
            .authed(
                creds,
                Method::POST,
                "com.atproto.repo.createRecord",
                Body::Json(&body),
                Effect::Write,
            )
            .await;
        match created {
            Ok(answer) => Ok(Published {
                url: post_url(&session.handle, &rkey),
                remote: RemoteRef {
                    id: str_field(&answer, "uri")?,
                    cid: answer.get("cid").and_then(Value::as_str).map(str::to_owned),
                    root,
                },
            }),
            Err(e) => {
                let err = e.into_connector();
                if matches!(
                    err,
                    ConnectorError::Auth { .. } | ConnectorError::RateLimited { .. }
                ) {
                    return Err(err);
                }
                // Perhaps it exists already (a repeat: the PDS answers 500 for a taken record
                // key) or it arrived despite the failure: look before giving up.
                match self.get_post(creds, session, &rkey).await {
                    Ok(Some((published, existing))) => {
                        let same = existing.get("text").and_then(Value::as_str)
                            == Some(part.text.as_str());
                        if same {
                            tracing::info!(
                                network = "bluesky",
                                post.rkey = %rkey,
                                "post already published under its record key"
                            );
                            Ok(published)
                        } else {
                            Err(ConnectorError::Permanent {
                                reason: format!(
                                    "another post already has the record key {rkey} derived from \
                                     this part's idempotency key: publish it under a new key"
                                ),
                            })
                        }
                    }
                    Ok(None) | Err(_) => Err(err),
                }
            }
        }
    }
}

impl Connector for Bluesky {
    fn network(&self) -> Network {
        Network::Bluesky
    }

    /// Always logs in anew (checks the app password) and caches the session. createSession is
    /// rate limited (30 per 5 minutes per account): call this when connecting, not per publish.
    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let session = self.create_session(creds).await?;
        Ok(AccountInfo {
            id: session.did.clone(),
            handle: session.handle.clone(),
        })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        let session = self.session(creds).await?;
        self.publish_with(creds, &session, req).await
    }

    /// Comments and mentions are answered with a post whose `reply.parent` is the message and
    /// `reply.root` its thread's root (both URI + CID). Bluesky's direct messages live in a
    /// separate chat service that app passwords without chat access cannot reach: not answered.
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        kind != owlery_domain::inbox::MessageKind::Dm
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        if !Connector::can_reply(self, req.target.kind) {
            return Err(crate::inbox::cannot_reply(
                Network::Bluesky,
                req.target.kind,
            ));
        }
        let session = self.session(creds).await?;
        let parent = self.thread_refs(creds, &req.target).await?;
        let mut post = req.as_publish(false);
        post.reply_to = Some(parent);
        self.publish_with(creds, &session, &post).await
    }

    /// By the record key, as for posts.
    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        Connector::lookup(self, creds, &req.as_publish(false), since).await
    }

    /// By the record key the idempotency key gives: the PDS says for certain whether it exists.
    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        _since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let session = self.session(creds).await?;
        let rkey = tid::rkey_for(&req.idempotency_key);
        Ok(match self.get_post(creds, &session, &rkey).await? {
            Some((published, _)) => Lookup::Found(published),
            None => Lookup::Absent,
        })
    }

    /// The record from the PDS (exists or not), the counts from the AppView through the PDS
    /// (`app.bsky.feed.getPosts`; absent counts when the AppView does not know the post yet).
    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        let (repo, collection, rkey) = parse_at_uri(&remote.id)?;
        let query = [("repo", repo), ("collection", collection), ("rkey", rkey)];
        match self
            .authed(
                creds,
                Method::GET,
                "com.atproto.repo.getRecord",
                Body::Query(&query),
                Effect::Read,
            )
            .await
        {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => return Ok(RemoteStatus::default()),
            Err(e) => return Err(e.into_connector()),
        }
        let query = [("uris", remote.id.as_str())];
        let metrics = match self
            .authed(
                creds,
                Method::GET,
                "app.bsky.feed.getPosts",
                Body::Query(&query),
                Effect::Read,
            )
            .await
        {
            Ok(answer) => answer
                .pointer("/posts/0")
                .map(|p| {
                    let n = |k: &str| p.get(k).and_then(Value::as_u64);
                    Metrics {
                        likes: n("likeCount"),
                        shares: match (n("repostCount"), n("quoteCount")) {
                            (Some(r), q) => Some(r + q.unwrap_or(0)),
                            (None, q) => q,
                        },
                        comments: n("replyCount"),
                        views: None,
                        saves: None,
                    }
                })
                .unwrap_or_default(),
            Err(_) => Metrics::default(),
        };
        Ok(RemoteStatus {
            exists: true,
            metrics,
        })
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

    /// Posts can be liked; chat messages cannot (they are not posts).
    fn can_like(&self, kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        if kind == owlery_domain::inbox::MessageKind::Dm {
            crate::inbox::Ability::Not("Bluesky chat messages cannot be liked")
        } else {
            crate::inbox::Ability::Allowed
        }
    }

    /// A like is an `app.bsky.feed.like` record whose subject is the post's `{uri, cid}`. It is
    /// written with `com.atproto.repo.putRecord` under a record key derived from the post, so
    /// liking twice writes the same record rather than a second like.
    async fn like(&self, creds: &Credentials, remote_id: &str) -> Result<(), ConnectorError> {
        let session = self.session(creds).await?;
        let subject = self
            .strong_ref(
                creds,
                &RemoteRef {
                    id: remote_id.to_owned(),
                    cid: None,
                    root: None,
                },
            )
            .await?;
        let body = json!({
            "repo": session.did,
            "collection": LIKE,
            "rkey": tid::rkey_for(&format!("like:{remote_id}")),
            "record": {
                "$type": LIKE,
                "subject": subject,
                "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            },
        });
        self.authed(
            creds,
            Method::POST,
            "com.atproto.repo.putRecord",
            Body::Json(&body),
            Effect::Read, // the same record again is harmless
        )
        .await
        .map(|_| ())
        .map_err(CallError::into_connector)
    }

    fn can_delete_comment(
        &self,
        _kind: owlery_domain::inbox::MessageKind,
    ) -> crate::inbox::Ability {
        crate::inbox::Ability::Not(
            "on Bluesky only its author can delete a post: block or report the account instead",
        )
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        let session = self.session(creds).await?;
        let (repo, collection, rkey) = parse_at_uri(&remote.id)?;
        if repo != session.did || collection != POST {
            return Err(ConnectorError::Permanent {
                reason: format!(
                    "{} is not a post of {}: only the account's own posts can be deleted",
                    remote.id, session.handle
                ),
            });
        }
        let body = json!({ "repo": repo, "collection": collection, "rkey": rkey });
        match self
            .authed(
                creds,
                Method::POST,
                "com.atproto.repo.deleteRecord",
                Body::Json(&body),
                Effect::Read, // deleting twice is harmless
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(e.into_connector()),
        }
    }
}

/// Checks what the lexicon would reject, before anything is sent.
fn check_part(req: &PublishRequest) -> Result<(), ConnectorError> {
    let part = &req.part;
    if part.media.len() > MAX_IMAGES {
        return Err(ConnectorError::Permanent {
            reason: format!(
                "{} images: Bluesky takes at most {MAX_IMAGES} per post; remove some or split the post",
                part.media.len()
            ),
        });
    }
    for (i, media) in part.media.iter().enumerate() {
        if !media.mime.starts_with("image/") {
            return Err(ConnectorError::Permanent {
                reason: format!("attachment {} is {}, not an image", i + 1, media.mime),
            });
        }
        if media.bytes.len() > MAX_IMAGE_BYTES {
            return Err(ConnectorError::Permanent {
                reason: format!(
                    "image {} has {} bytes; Bluesky takes at most {MAX_IMAGE_BYTES}: make it smaller",
                    i + 1,
                    media.bytes.len()
                ),
            });
        }
    }
    if part.langs.len() > MAX_LANGS {
        return Err(ConnectorError::Permanent {
            reason: format!(
                "{} languages: Bluesky takes at most {MAX_LANGS}",
                part.langs.len()
            ),
        });
    }
    Ok(())
}

fn is_not_found(e: &CallError) -> bool {
    match e {
        CallError::Xrpc {
            status, message, ..
        } => {
            matches!(e.error_name(), Some("RecordNotFound"))
                || *status == StatusCode::NOT_FOUND
                || (*status == StatusCode::BAD_REQUEST
                    && message
                        .as_deref()
                        .is_some_and(|m| m.contains("Could not locate record")))
        }
        CallError::Other(_) => false,
    }
}

/// The PDS base URL (no trailing slash), checked to be http(s).
fn service_url(creds: &Credentials) -> Result<String, ConnectorError> {
    let raw = creds.service.as_deref().unwrap_or(DEFAULT_SERVICE).trim();
    let parsed = url::Url::parse(raw).map_err(|e| ConnectorError::Permanent {
        reason: format!(
            "the Bluesky server address {raw:?} is not a URL ({e}): fix the connection"
        ),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ConnectorError::Permanent {
            reason: format!(
                "the Bluesky server address {raw:?} is not an http(s) URL: fix the connection"
            ),
        });
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

fn secret_hash(creds: &Credentials) -> [u8; 32] {
    Sha256::digest(creds.secret.expose_secret().as_bytes()).into()
}

fn session_from(answer: &Value, secret_hash: [u8; 32]) -> Result<Session, ConnectorError> {
    Ok(Session {
        did: str_field(answer, "did")?,
        handle: str_field(answer, "handle")?,
        access: SecretString::from(str_field(answer, "accessJwt")?),
        refresh: SecretString::from(str_field(answer, "refreshJwt")?),
        secret_hash,
    })
}

fn str_field(v: &Value, key: &str) -> Result<String, ConnectorError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| unexpected(key, "missing from the answer"))
}

fn unexpected(what: &str, detail: &str) -> ConnectorError {
    ConnectorError::Temporary {
        reason: format!("unexpected answer from the Bluesky server: {what} {detail}"),
        retry_after: None,
    }
}

fn strong_ref_of(v: &Value) -> Result<RemoteRef, ConnectorError> {
    Ok(RemoteRef {
        id: str_field(v, "uri")?,
        cid: v.get("cid").and_then(Value::as_str).map(str::to_owned),
        root: None,
    })
}

/// `at://<repo>/<collection>/<rkey>` → its three parts.
pub fn parse_at_uri(uri: &str) -> Result<(&str, &str, &str), ConnectorError> {
    let parts: Option<(&str, &str, &str)> = uri.strip_prefix("at://").and_then(|rest| {
        let mut it = rest.splitn(3, '/');
        Some((it.next()?, it.next()?, it.next()?))
    });
    match parts {
        Some((repo, collection, rkey))
            if !repo.is_empty() && !collection.is_empty() && !rkey.is_empty() =>
        {
            Ok((repo, collection, rkey))
        }
        _ => Err(ConnectorError::Permanent {
            reason: format!("{uri:?} is not an at:// URI of a record"),
        }),
    }
}

/// Where people see a post: `https://bsky.app/profile/<handle>/post/<rkey>`.
pub fn post_url(handle: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{handle}/post/{rkey}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MediaUpload, PublishPart};
    use reqwest::header::HeaderValue;

    #[test]
    fn xrpc_errors_are_classified() {
        let none = HeaderMap::new();
        let bad = StatusCode::BAD_REQUEST;
        assert!(matches!(
            classify_xrpc(bad, Some("ExpiredToken"), Some("Token has expired"), &none),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            classify_xrpc(bad, Some("InvalidRequest"), Some("Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"), &none),
            ConnectorError::Permanent { reason } if reason.contains("300 graphemes")
        ));
        assert!(matches!(
            classify_xrpc(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("InternalServerError"),
                Some("Internal Server Error"),
                &none
            ),
            ConnectorError::Temporary { .. }
        ));
        let mut h = HeaderMap::new();
        h.insert("ratelimit-reset", HeaderValue::from_static("60"));
        assert_eq!(
            classify_xrpc(
                StatusCode::TOO_MANY_REQUESTS,
                Some("RateLimitExceeded"),
                None,
                &h
            ),
            ConnectorError::RateLimited {
                retry_after: Some(std::time::Duration::from_secs(60))
            }
        );
        assert!(matches!(
            classify_xrpc(StatusCode::UNAUTHORIZED, None, None, &none),
            ConnectorError::Auth { .. }
        ));
    }

    #[test]
    fn token_problems_are_recognised() {
        let xrpc = |status: u16, error: Option<&str>| CallError::Xrpc {
            status: StatusCode::from_u16(status).unwrap(),
            error: error.map(str::to_owned),
            message: None,
            headers: HeaderMap::new(),
        };
        assert!(xrpc(400, Some("ExpiredToken")).is_token_problem());
        assert!(xrpc(400, Some("InvalidToken")).is_token_problem());
        assert!(xrpc(401, Some("AuthenticationRequired")).is_token_problem());
        assert!(!xrpc(400, Some("InvalidRequest")).is_token_problem());
        assert!(!xrpc(500, None).is_token_problem());
        assert!(is_not_found(&xrpc(400, Some("RecordNotFound"))));
    }

    #[test]
    fn service_urls_and_at_uris() {
        let creds = |s: &str| Credentials::new("a.test", "x").with_service(s);
        assert_eq!(
            service_url(&creds("http://127.0.0.1:2583/")).unwrap(),
            "http://127.0.0.1:2583"
        );
        assert_eq!(
            service_url(&Credentials::new("a", "b")).unwrap(),
            DEFAULT_SERVICE
        );
        assert!(matches!(
            service_url(&creds("::garbage::")),
            Err(ConnectorError::Permanent { .. })
        ));
        assert!(matches!(
            service_url(&creds("ftp://example.com")),
            Err(ConnectorError::Permanent { .. })
        ));
        assert_eq!(
            parse_at_uri("at://did:plc:abc/app.bsky.feed.post/3kabc").unwrap(),
            ("did:plc:abc", "app.bsky.feed.post", "3kabc")
        );
        assert!(parse_at_uri("https://bsky.app/x").is_err());
        assert!(parse_at_uri("at://did:plc:abc/app.bsky.feed.post").is_err());
        assert_eq!(
            post_url("alice.test", "3kabc"),
            "https://bsky.app/profile/alice.test/post/3kabc"
        );
    }

    #[test]
    fn parts_the_lexicon_would_reject_are_refused_before_sending() {
        let image = |bytes: usize, mime: &str| MediaUpload {
            bytes: vec![0; bytes],
            mime: mime.into(),
            alt: String::new(),
            width: 1,
            height: 1,
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
        assert!(check_part(&req(vec![image(10, "image/png"); 4])).is_ok());
        assert!(check_part(&req(vec![image(10, "image/png"); 5])).is_err());
        assert!(check_part(&req(vec![image(MAX_IMAGE_BYTES + 1, "image/jpeg")])).is_err());
        assert!(check_part(&req(vec![image(10, "video/mp4")])).is_err());
    }
}
