//! What the Facebook Pages ([`crate::facebook`]) and Instagram ([`crate::instagram`]) connectors
//! share: Meta's Graph API.
//!
//! - [`Graph`]: one client on `https://graph.facebook.com/{GRAPH_VERSION}` (or the test base). The
//!   token goes in `Authorization: Bearer`, never in the query. Every answer's `X-App-Usage`,
//!   `X-Business-Use-Case-Usage` and `X-Page-Usage` headers are filed in the shared budget book
//!   (<https://developers.facebook.com/docs/graph-api/overview/rate-limiting/>); a rate-limit error
//!   files the budget as exhausted.
//! - [`MetaError`] and [`classify`]: Meta's error body
//!   `{"error":{"message","type","code","error_subcode","error_user_msg","fbtrace_id"}}`
//!   (<https://developers.facebook.com/docs/graph-api/guides/error-handling/>, Instagram's own codes:
//!   <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes>)
//!   as a [`ConnectorError`].
//! - Paging through an edge (`paging.next`, cursor or time based), matching texts, the long-lived
//!   token exchange (`grant_type=fb_exchange_token`,
//!   <https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/>) and
//!   the list of Pages a person manages (`GET /me/accounts`) for the connect flows.
//!
//! Every text that leaves this module (error reasons) has the tokens and client secrets of the
//! call scrubbed out, in case Meta repeats one in a message ("Malformed access token …").

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect};
use crate::oauth::{ClientAuth, OAuthSpec};
use crate::{AppCredentials, ConnectorError, Credentials, Env, Network, TokenGrant};

/// The Graph API version every call is made against: the one place to change it.
macro_rules! graph_version {
    () => {
        "v21.0"
    };
}

/// The Graph API version Owlery speaks.
pub const GRAPH_VERSION: &str = graph_version!();
/// Graph API host and version.
pub const DEFAULT_API_BASE: &str = concat!("https://graph.facebook.com/", graph_version!());
/// The host Meta documents for video uploads to Pages (`/{page-id}/videos`).
pub const DEFAULT_VIDEO_BASE: &str = concat!("https://graph-video.facebook.com/", graph_version!());
/// Facebook Login's authorization dialog (a browser address).
pub const DIALOG_URL: &str = concat!(
    "https://www.facebook.com/",
    graph_version!(),
    "/dialog/oauth"
);

/// Pages read at most when looking through an edge (posts, media, comments, accounts).
pub(crate) const MAX_PAGES: usize = 5;
/// Clock skew allowed when comparing the network's timestamps with ours.
pub(crate) const SKEW: Duration = Duration::from_secs(60);

/// The Graph API client of one connector.
pub(crate) struct Graph {
    http: reqwest::Client,
    base: String,
    budgets: Arc<BudgetBook>,
    network: Network,
}

/// What one call is, for logs, budgets, and what a failure means.
pub(crate) struct Call<'a> {
    /// Names the endpoint in logs and messages (`"feed"`, `"media_publish"`).
    pub endpoint: &'a str,
    /// [`Credentials::budget_key`] of the account the call is for.
    pub budget: &'a str,
    pub effect: Effect,
    /// Secrets the call carries: scrubbed from every error text.
    pub secrets: &'a [&'a SecretString],
}

/// A failed Graph call: Meta answered with an error, or the transport failed.
pub(crate) enum GraphError {
    Api(Box<ApiError>),
    Other(ConnectorError),
}

/// Meta's error answer: the status, the error body, the headers (rate limits).
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub error: MetaError,
    pub headers: HeaderMap,
}

impl GraphError {
    /// The object is not there (deleted, or never was): Meta's `code 100, error_subcode 33`
    /// ("Object with ID … does not exist, cannot be loaded due to missing permissions, or does not
    /// support this operation"), `803`, or a 404.
    pub(crate) fn is_missing(&self) -> bool {
        match self {
            GraphError::Api(api) => {
                let (status, error) = (api.status, &api.error);
                status == StatusCode::NOT_FOUND
                    || error.code == Some(803)
                    || (error.code == Some(100)
                        && (error.subcode == Some(33) || error.message.contains("does not exist")))
            }
            GraphError::Other(_) => false,
        }
    }

    pub(crate) fn into_connector(self, network: Network) -> ConnectorError {
        match self {
            GraphError::Other(e) => e,
            GraphError::Api(api) => classify(
                network,
                api.status,
                &api.error,
                &api.headers,
                SystemTime::now(),
            ),
        }
    }
}

/// Meta's error body, read leniently (every field may be missing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MetaError {
    pub message: String,
    /// `type`: `OAuthException`, `GraphMethodException` …
    pub kind: String,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub user_title: Option<String>,
    pub user_msg: Option<String>,
    pub is_transient: bool,
    pub fbtrace_id: Option<String>,
}

impl MetaError {
    /// Reads `{"error": {...}}`; also the OAuth form `{"error": "invalid_grant",
    /// "error_description": …}`. Secrets are scrubbed from the texts.
    pub(crate) fn from_body(body: &Value, secrets: &[&SecretString]) -> MetaError {
        let scrub_opt = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| scrub(s, secrets))
        };
        match body.get("error") {
            Some(Value::Object(e)) => MetaError {
                message: scrub_opt(e.get("message")).unwrap_or_default(),
                kind: e
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                code: e.get("code").and_then(number),
                subcode: e.get("error_subcode").and_then(number),
                user_title: scrub_opt(e.get("error_user_title")),
                user_msg: scrub_opt(e.get("error_user_msg")),
                is_transient: e
                    .get("is_transient")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                fbtrace_id: scrub_opt(e.get("fbtrace_id")),
            },
            Some(Value::String(code)) => {
                let description = scrub_opt(body.get("error_description"));
                MetaError {
                    message: description.unwrap_or_else(|| code.clone()),
                    kind: code.clone(),
                    ..MetaError::default()
                }
            }
            _ => MetaError::default(),
        }
    }

    /// What Meta said, best for a person: the user message, else the developer message.
    pub(crate) fn said(&self) -> &str {
        self.user_msg
            .as_deref()
            .filter(|m| !m.is_empty())
            .unwrap_or(&self.message)
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Replaces every secret in `text` with `[redacted]`.
pub(crate) fn scrub(text: &str, secrets: &[&SecretString]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        let s = secret.expose_secret();
        // A very short "secret" (a test's "x") would mangle ordinary words; real tokens are long.
        if s.len() >= 6 {
            out = out.replace(s, "[redacted]");
        }
    }
    out
}

fn scrub_error(e: ConnectorError, secrets: &[&SecretString]) -> ConnectorError {
    match e {
        ConnectorError::Auth { reason } => ConnectorError::Auth {
            reason: scrub(&reason, secrets),
        },
        ConnectorError::Temporary {
            reason,
            retry_after,
        } => ConnectorError::Temporary {
            reason: scrub(&reason, secrets),
            retry_after,
        },
        ConnectorError::Permanent { reason } => ConnectorError::Permanent {
            reason: scrub(&reason, secrets),
        },
        ConnectorError::Unknown { reason } => ConnectorError::Unknown {
            reason: scrub(&reason, secrets),
        },
        rl @ ConnectorError::RateLimited { .. } => rl,
    }
}

/// The network's name for people.
pub(crate) fn name(network: Network) -> &'static str {
    match network {
        Network::Instagram => "Instagram",
        _ => "Facebook",
    }
}

/// Meta's rate-limit error codes: 4 (app), 17 (user), 32 (Page), 613 (custom), 80001–80014
/// (business use case: Pages, Instagram, …).
fn is_rate_limit_code(code: i64) -> bool {
    matches!(code, 4 | 17 | 32 | 613 | 80001..=80014)
}

/// Instagram's error subcodes whose documented remedy is "try again" (often with a new
/// container): 2207001 server error, 2207003 media download timeout, 2207006 temporary publishing
/// error, 2207020 media expired, 2207027 media not ready, 2207032 create media failed, 2207053
/// unknown upload error.
fn is_transient_ig_subcode(subcode: i64) -> bool {
    matches!(
        subcode,
        2207001 | 2207003 | 2207006 | 2207020 | 2207027 | 2207032 | 2207053
    )
}

/// A Graph error answer as a connector error.
pub(crate) fn classify(
    network: Network,
    status: StatusCode,
    error: &MetaError,
    headers: &HeaderMap,
    now: SystemTime,
) -> ConnectorError {
    let net = name(network);
    let said = error.said().to_owned();
    let code = error.code.unwrap_or(0);
    let subcode = error.subcode.unwrap_or(0);
    if code == 190 || code == 102 {
        return ConnectorError::Auth {
            reason: format!(
                "{net} no longer accepts the channel's access token ({}): reconnect the channel",
                error.message
            ),
        };
    }
    if code == 10 || (200..=299).contains(&code) {
        return ConnectorError::Auth {
            reason: format!(
                "{net} refused for lack of permission ({said}): reconnect the channel and grant \
                 every permission Owlery asks for"
            ),
        };
    }
    // Instagram: "We restrict certain activity to protect our community" (code 4!) is a block,
    // not a rate limit.
    if subcode == 2207051 {
        return ConnectorError::Permanent {
            reason: format!("{net} restricted this publish as suspected spam: {said}"),
        };
    }
    if subcode == 2207050 {
        return ConnectorError::Auth {
            reason: format!(
                "the {net} account is inactive, checkpointed or restricted ({said}): sign in to \
                 the Instagram app, complete what it asks, then reconnect"
            ),
        };
    }
    if is_rate_limit_code(code) || subcode == 2207042 || status == StatusCode::TOO_MANY_REQUESTS {
        return ConnectorError::RateLimited {
            retry_after: regain_time(headers).or_else(|| {
                http::retry_after(headers, now)
                    .or_else(|| http::rate_limit(headers, now).and_then(|r| r.reset))
            }),
        };
    }
    if code == 1 || code == 2 || error.is_transient || is_transient_ig_subcode(subcode) {
        return ConnectorError::Temporary {
            reason: format!("{net} had a passing problem: {said}"),
            retry_after: http::retry_after(headers, now),
        };
    }
    if code == 368 {
        return ConnectorError::Permanent {
            reason: format!(
                "{net} has temporarily blocked the account from posting for a policy reason: \
                 {said}"
            ),
        };
    }
    if code == 100 || (error.code.is_some() && status.is_client_error() && status.as_u16() != 401) {
        return ConnectorError::Permanent {
            reason: format!("{net} rejected the request: {said}"),
        };
    }
    http::classify_status(status, headers, &said, now)
}

/// The longest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage` or
/// `X-Page-Usage`, when it is not zero.
fn regain_time(headers: &HeaderMap) -> Option<Duration> {
    let mut longest: Option<Duration> = None;
    if let Some(cases) = headers
        .get("x-business-use-case-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(crate::budget::meta_business_usage)
    {
        for case in cases {
            if let Some(d) = case.regain.filter(|d| !d.is_zero()) {
                longest = Some(longest.map_or(d, |l| l.max(d)));
            }
        }
    }
    if let Some(minutes) = headers
        .get("x-page-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
        .and_then(|v| v.get("estimated_time_to_regain_access").and_then(number))
        .filter(|m| *m > 0)
    {
        let d = Duration::from_secs(minutes.unsigned_abs() * 60);
        longest = Some(longest.map_or(d, |l| l.max(d)));
    }
    longest
}

/// How a listing ended.
pub(crate) enum Listing {
    /// An item matched.
    Found(Value),
    /// Every item back to the wanted time was seen, none matched.
    Complete,
    /// Stopped before the end (page limit, or the answer lacked a usable next page).
    Incomplete,
}

/// What to do after looking at one item of a listing (items come newest first).
pub(crate) enum Visit {
    Continue,
    Found,
    /// This item is older than wanted: the rest is too.
    Older,
}

impl Graph {
    pub(crate) fn new(env: &Env, network: Network) -> Result<Graph, ConnectorError> {
        Ok(Graph {
            http: http::client(env.http)?,
            base: env.base(DEFAULT_API_BASE),
            budgets: env.budgets.clone(),
            network,
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn budgets(&self) -> &BudgetBook {
        &self.budgets
    }

    /// `{base}/{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// A request to `path` on the Graph API with the token in `Authorization: Bearer`.
    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        token: &SecretString,
    ) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token.expose_secret())
    }

    /// Sends one call: files the usage headers, reads the JSON answer or Meta's error.
    pub(crate) async fn send(
        &self,
        request: RequestBuilder,
        call: &Call<'_>,
    ) -> Result<Value, GraphError> {
        let response = request.send().await.map_err(|e| {
            GraphError::Other(scrub_error(
                http::classify_transport(&e, call.effect),
                call.secrets,
            ))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let now = SystemTime::now();
        self.observe_usage(call.budget, &headers, now);
        let bytes = response.bytes().await.map_err(|e| {
            GraphError::Other(scrub_error(
                http::classify_transport(&e, call.effect),
                call.secrets,
            ))
        })?;
        tracing::debug!(
            network = self.network.code(),
            graph.endpoint = call.endpoint,
            http.status = status.as_u16(),
            "graph call"
        );
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|e| {
                let reason = format!(
                    "{} answered {status} with unreadable JSON: {e}",
                    call.endpoint
                );
                GraphError::Other(match call.effect {
                    Effect::Read => ConnectorError::Temporary {
                        reason,
                        retry_after: None,
                    },
                    Effect::Write => ConnectorError::Unknown {
                        reason: format!("{reason}; look the result up before sending it again"),
                    },
                })
            });
        }
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let error = MetaError::from_body(&body, call.secrets);
        tracing::info!(
            network = self.network.code(),
            graph.endpoint = call.endpoint,
            http.status = status.as_u16(),
            meta.code = error.code,
            meta.subcode = error.subcode,
            meta.fbtrace_id = error.fbtrace_id.as_deref().unwrap_or(""),
            "graph call refused"
        );
        if let ConnectorError::RateLimited { retry_after } =
            classify(self.network, status, &error, &headers, now)
        {
            // Code 4 is the app's own budget (every account waits); the rest are per account.
            let scope = if error.code == Some(4) {
                Scope::App
            } else {
                Scope::Account
            };
            self.budgets.exhausted(
                self.network,
                scope,
                call.budget,
                call.endpoint,
                retry_after,
                now,
            );
        }
        Err(GraphError::Api(Box::new(ApiError {
            status,
            error,
            headers,
        })))
    }

    /// Files `X-App-Usage`, `X-Business-Use-Case-Usage` and `X-Page-Usage`.
    fn observe_usage(&self, budget: &str, headers: &HeaderMap, now: SystemTime) {
        self.budgets
            .observe_meta(self.network, budget, headers, now);
        // X-Page-Usage has the shape of one business-use-case entry without its type: file it
        // through the same reader so it follows the same ceiling and waiting rules.
        let page_usage = headers
            .get("x-page-usage")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_str::<Value>(v).ok());
        if let Some(Value::Object(mut usage)) = page_usage {
            usage.insert("type".into(), json!("page"));
            let as_buc = json!({ budget: [usage] }).to_string();
            if let Ok(value) = HeaderValue::from_str(&as_buc) {
                let mut synthetic = HeaderMap::new();
                synthetic.insert("x-business-use-case-usage", value);
                self.budgets
                    .observe_meta(self.network, budget, &synthetic, now);
            }
        }
    }

    /// Reads an edge newest first, page by page (following `paging.next`'s parameters on our own
    /// host), until `visit` finds an item or reaches older ones, the edge ends, or `MAX_PAGES`.
    pub(crate) async fn list(
        &self,
        path: &str,
        query: &[(&str, String)],
        token: &SecretString,
        call: &Call<'_>,
        mut visit: impl FnMut(&Value) -> Visit,
    ) -> Result<Listing, GraphError> {
        let mut params: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        for _ in 0..MAX_PAGES {
            let page = self
                .send(self.request(Method::GET, path, token).query(&params), call)
                .await?;
            let Some(items) = page.get("data").and_then(Value::as_array) else {
                return Ok(Listing::Incomplete);
            };
            for item in items {
                match visit(item) {
                    Visit::Continue => {}
                    Visit::Found => return Ok(Listing::Found(item.clone())),
                    Visit::Older => return Ok(Listing::Complete),
                }
            }
            let Some(next) = page.pointer("/paging/next").and_then(Value::as_str) else {
                return Ok(Listing::Complete);
            };
            if items.is_empty() {
                return Ok(Listing::Complete);
            }
            match next_params(next) {
                Some(p) => params = p,
                None => return Ok(Listing::Incomplete),
            }
        }
        Ok(Listing::Incomplete)
    }

    /// Exchanges a user access token for a long-lived one (about 60 days):
    /// `grant_type=fb_exchange_token`, sent as a form body so no secret is in an address.
    pub(crate) async fn long_lived(
        &self,
        app: &AppCredentials,
        token: &SecretString,
    ) -> Result<TokenGrant, ConnectorError> {
        let form = [
            ("grant_type", "fb_exchange_token"),
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose_secret()),
            ("fb_exchange_token", token.expose_secret()),
        ];
        let secrets = [token, &app.client_secret];
        let call = Call {
            endpoint: "oauth/access_token",
            budget: "app",
            effect: Effect::Read,
            secrets: &secrets,
        };
        let request = self.http.post(self.url("oauth/access_token")).form(&form);
        let now = SystemTime::now();
        match self.send(request, &call).await {
            Ok(body) => crate::oauth::grant_from(&body, now),
            Err(GraphError::Other(e)) => Err(e),
            Err(GraphError::Api(api)) => Err(classify_token_failure(
                self.network,
                api.status,
                &api.error,
                &api.headers,
                now,
            )),
        }
    }

    /// The Pages a person manages, with each Page's own access token (`GET /me/accounts`). `extra`
    /// asks for more fields (Instagram: the linked professional account).
    pub(crate) async fn accounts(
        &self,
        user_token: &SecretString,
        extra: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let secrets = [user_token];
        let call = Call {
            endpoint: "me/accounts",
            budget: "me",
            effect: Effect::Read,
            secrets: &secrets,
        };
        let fields = format!("id,name,access_token{extra}");
        let mut all = Vec::new();
        let listing = self
            .list(
                "me/accounts",
                &[("fields", fields), ("limit", "100".to_owned())],
                user_token,
                &call,
                |item| {
                    all.push(item.clone());
                    Visit::Continue
                },
            )
            .await
            .map_err(|e| e.into_connector(self.network))?;
        match listing {
            Listing::Incomplete if all.is_empty() => Err(ConnectorError::Temporary {
                reason: "Facebook did not list the Pages this person manages".into(),
                retry_after: None,
            }),
            _ => Ok(all),
        }
    }
}

/// A token endpoint's failure: the OAuth form (`invalid_grant` …) through
/// [`crate::oauth::classify_token_error`], Meta's own form through [`classify`].
fn classify_token_failure(
    network: Network,
    status: StatusCode,
    error: &MetaError,
    headers: &HeaderMap,
    now: SystemTime,
) -> ConnectorError {
    if error.code.is_none() && !error.kind.is_empty() {
        let mut body = json!({ "error": error.kind });
        if error.message != error.kind {
            body["error_description"] = json!(error.message);
        }
        return crate::oauth::classify_token_error(status, headers, &body, now);
    }
    classify(network, status, error, headers, now)
}

/// The query of a `paging.next` address, without any `access_token` (we send ours in a header).
pub(crate) fn next_params(next: &str) -> Option<Vec<(String, String)>> {
    let url = url::Url::parse(next).ok()?;
    let params: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "access_token")
        .collect();
    (!params.is_empty()).then_some(params)
}

/// Facebook Login for an app (Pages and Instagram use the same dialog): scopes joined by commas,
/// the client id and secret in the form body. No PKCE: Meta documents it only for its OIDC
/// variant of the flow, marked "still in testing"
/// (<https://developers.facebook.com/docs/facebook-login/guides/advanced/oidc-token>).
pub(crate) fn oauth_spec(graph_base: &str, scopes: &[&str]) -> OAuthSpec {
    OAuthSpec {
        authorize_url: DIALOG_URL.to_owned(),
        token_url: format!("{graph_base}/oauth/access_token"),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        scope_separator: ",",
        pkce: false,
        client_auth: ClientAuth::Body,
        client_id_param: "client_id",
        extra_authorize: Vec::new(),
    }
}

/// An id to put in a path: Graph ids are digits, sometimes joined by `_`. Anything else (a `/`,
/// a `?`) is refused rather than sent.
pub(crate) fn object_id<'a>(id: &'a str, what: &str) -> Result<&'a str, ConnectorError> {
    let id = id.trim();
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(id)
    } else {
        Err(ConnectorError::Permanent {
            reason: format!("{what} {id:?} is not a Graph API id"),
        })
    }
}

/// The account the channel posts as (`Credentials::account_id`), checked.
pub(crate) fn account_id<'a>(
    creds: &'a Credentials,
    what: &str,
) -> Result<&'a str, ConnectorError> {
    match creds.account_id.as_deref() {
        Some(id) => object_id(id, what),
        None => Err(ConnectorError::Auth {
            reason: format!("the channel does not say which {what} it posts as: reconnect it"),
        }),
    }
}

/// Text as compared when looking for an earlier publish: whitespace runs become one space, ends
/// trimmed.
pub(crate) fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A Graph timestamp (`2024-05-01T10:00:00+0000`, or RFC 3339) as a time.
pub(crate) fn parse_time(value: &str) -> Option<SystemTime> {
    let parsed = chrono::DateTime::parse_from_rfc3339(value)
        .or_else(|_| chrono::DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()?;
    Some(parsed.with_timezone(&chrono::Utc).into())
}

/// Unix seconds of `t` (0 before 1970).
pub(crate) fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `text`, with `link` added on a line of its own unless the text already contains it.
pub(crate) fn with_link(text: &str, link: Option<&str>) -> String {
    match link.map(str::trim).filter(|l| !l.is_empty()) {
        Some(link) if !text.contains(link) => {
            if text.trim().is_empty() {
                link.to_owned()
            } else {
                format!("{}\n\n{link}", text.trim_end())
            }
        }
        _ => text.to_owned(),
    }
}

/// The string field `key` of a Graph answer, or a `Temporary`/`Unknown` error naming it.
pub(crate) fn field(
    v: &Value,
    key: &str,
    endpoint: &str,
    effect: Effect,
) -> Result<String, ConnectorError> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => {
            let reason = format!("{endpoint} answered without {key}");
            Err(match effect {
                Effect::Read => ConnectorError::Temporary {
                    reason,
                    retry_after: None,
                },
                Effect::Write => ConnectorError::Unknown {
                    reason: format!("{reason}; look the result up before sending it again"),
                },
            })
        }
    }
}

/// Meta's Send API: an answer to a person who wrote to a Page (Messenger) or an Instagram account
/// (`POST /{account-id}/messages` with `recipient.id`, `messaging_type: RESPONSE` — allowed within
/// 24 hours of their last message — and `message.text`). Meta keeps no idempotency for it and
/// cannot look a message up by its text: a lost answer is `Unknown` for a person to check.
pub(crate) async fn send_message(
    graph: &Graph,
    creds: &Credentials,
    network: Network,
    account: &str,
    req: &crate::inbox::ReplyRequest,
) -> Result<crate::Published, ConnectorError> {
    let recipient = object_id(&req.target.contact_id, "the person to answer")?;
    let body = json!({
        "recipient": { "id": recipient },
        "messaging_type": "RESPONSE",
        "message": { "text": req.text },
    });
    let request = graph
        .request(Method::POST, &format!("{account}/messages"), &creds.secret)
        .json(&body);
    let budget = creds.budget_key();
    let secrets = [&creds.secret];
    let call = Call {
        endpoint: "messages",
        budget: &budget,
        effect: Effect::Write,
        secrets: &secrets,
    };
    let answer = graph
        .send(request, &call)
        .await
        .map_err(|e| e.into_connector(network))?;
    let id = field(&answer, "message_id", "messages", Effect::Write)?;
    Ok(crate::Published {
        remote: crate::RemoteRef {
            id,
            cid: None,
            root: None,
        },
        url: String::new(),
    })
}

/// What an earlier [`send_message`] became, through the Conversations API
/// (<https://developers.facebook.com/docs/graph-api/reference/page/conversations>): the thread with
/// the person (`GET /{conversations_node}/conversations?platform=…&user_id={person}&fields=id`),
/// then its messages newest first (`GET /{conversation-id}/messages?fields=id,message,from,
/// created_time`) for one from `account` with the same text since the first attempt.
/// `conversations_node` is the Page (Messenger) or `me` (Instagram, whose channels hold the linked
/// Page's token: `me` is that Page); `account` is who the answer is from (the Page, the Instagram
/// account). No thread with the person: nothing was sent (`Absent`).
pub(crate) async fn lookup_message(
    graph: &Graph,
    creds: &Credentials,
    network: Network,
    conversations_node: &str,
    account: &str,
    req: &crate::inbox::ReplyRequest,
    since: SystemTime,
) -> Result<crate::Lookup, ConnectorError> {
    let person = object_id(&req.target.contact_id, "the person answered")?;
    let platform = if network == Network::Instagram {
        "instagram"
    } else {
        "messenger"
    };
    let budget = creds.budget_key();
    let secrets = [&creds.secret];
    let call = Call {
        endpoint: "conversations",
        budget: &budget,
        effect: Effect::Read,
        secrets: &secrets,
    };
    let request = graph
        .request(
            Method::GET,
            &format!("{conversations_node}/conversations"),
            &creds.secret,
        )
        .query(&[
            ("platform", platform),
            ("user_id", person),
            ("fields", "id"),
        ]);
    let threads = graph
        .send(request, &call)
        .await
        .map_err(|e| e.into_connector(network))?;
    let Some(thread) = threads
        .pointer("/data/0/id")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(crate::Lookup::Absent);
    };
    let from = since.checked_sub(SKEW).unwrap_or(since);
    let wanted = normalize(&req.text);
    let call = Call {
        endpoint: "conversation messages",
        ..call
    };
    let query = vec![
        ("fields", "id,message,from,created_time".to_owned()),
        ("limit", "50".to_owned()),
    ];
    let listing = graph
        .list(
            &format!("{thread}/messages"),
            &query,
            &creds.secret,
            &call,
            |m| {
                let at = m
                    .get("created_time")
                    .and_then(Value::as_str)
                    .and_then(parse_time);
                if at.is_some_and(|t| t < from) {
                    return Visit::Older;
                }
                let by_us = m.pointer("/from/id").and_then(Value::as_str) == Some(account);
                let text = m.get("message").and_then(Value::as_str).unwrap_or("");
                if by_us && normalize(text) == wanted {
                    Visit::Found
                } else {
                    Visit::Continue
                }
            },
        )
        .await
        .map_err(|e| e.into_connector(network))?;
    Ok(match listing {
        Listing::Found(m) => crate::Lookup::Found(crate::Published {
            remote: crate::RemoteRef {
                id: field(&m, "id", "conversation messages", Effect::Read)?,
                cid: None,
                root: None,
            },
            url: String::new(),
        }),
        Listing::Complete => crate::Lookup::Absent,
        Listing::Incomplete => crate::Lookup::CannotTell {
            reason: "the conversation has more messages since the first attempt than Owlery \
                     reads: check the inbox on the network"
                .into(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: i64, subcode: Option<i64>, message: &str) -> MetaError {
        MetaError::from_body(
            &json!({"error": {
                "message": message, "type": "OAuthException", "code": code,
                "error_subcode": subcode, "fbtrace_id": "Abc"
            }}),
            &[],
        )
    }

    fn classify_now(status: u16, e: &MetaError, headers: &HeaderMap) -> ConnectorError {
        classify(
            Network::FacebookPage,
            StatusCode::from_u16(status).unwrap(),
            e,
            headers,
            SystemTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn the_version_is_one_constant() {
        assert_eq!(GRAPH_VERSION, "v21.0");
        assert_eq!(DEFAULT_API_BASE, "https://graph.facebook.com/v21.0");
        assert_eq!(DIALOG_URL, "https://www.facebook.com/v21.0/dialog/oauth");
        assert!(DEFAULT_VIDEO_BASE.ends_with(GRAPH_VERSION));
    }

    #[test]
    fn meta_error_codes_become_connector_errors() {
        let none = HeaderMap::new();
        let expired = err(
            190,
            Some(463),
            "Error validating access token: Session has expired on Tuesday.",
        );
        assert!(matches!(
            classify_now(400, &expired, &none),
            ConnectorError::Auth { reason } if reason.contains("Session has expired")
        ));
        for code in [102, 10, 200, 299] {
            assert!(
                matches!(
                    classify_now(403, &err(code, None, "no"), &none),
                    ConnectorError::Auth { .. }
                ),
                "{code}"
            );
        }
        for code in [4, 17, 32, 613, 80001, 80002, 80014] {
            assert!(
                matches!(
                    classify_now(400, &err(code, None, "slow"), &none),
                    ConnectorError::RateLimited { .. }
                ),
                "{code}"
            );
        }
        for code in [1, 2] {
            assert!(
                classify_now(500, &err(code, None, "oops"), &none).is_retryable(),
                "{code}"
            );
        }
        let mut blocked = err(368, None, "blocked");
        blocked.user_msg = Some("You can't post right now.".into());
        assert_eq!(
            classify_now(400, &blocked, &none),
            ConnectorError::Permanent {
                reason: "Facebook has temporarily blocked the account from posting for a policy \
                         reason: You can't post right now."
                    .into()
            }
        );
        assert!(matches!(
            classify_now(400, &err(100, None, "(#100) Invalid parameter"), &none),
            ConnectorError::Permanent { reason } if reason.ends_with("(#100) Invalid parameter")
        ));
        // Instagram's own subcodes
        assert!(matches!(
            classify_now(400, &err(9, Some(2207042), "max posts"), &none),
            ConnectorError::RateLimited { .. }
        ));
        assert!(matches!(
            classify_now(400, &err(4, Some(2207051), "spam"), &none),
            ConnectorError::Permanent { .. }
        ));
        assert!(classify_now(400, &err(-2, Some(2207003), "slow download"), &none).is_retryable());
        assert!(matches!(
            classify_now(400, &err(25, Some(2207050), "restricted"), &none),
            ConnectorError::Auth { .. }
        ));
        // no Meta body: the HTTP status decides
        assert!(classify_now(503, &MetaError::default(), &none).is_retryable());
        assert!(matches!(
            classify_now(401, &MetaError::default(), &none),
            ConnectorError::Auth { .. }
        ));
        let mut transient = err(-3, None, "hiccup");
        transient.is_transient = true;
        assert!(classify_now(400, &transient, &none).is_retryable());
    }

    #[test]
    fn rate_limits_wait_for_the_regain_time() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"123":[{"type":"pages","call_count":100,"total_cputime":12,"total_time":10,"estimated_time_to_regain_access":7}]}"#,
            ),
        );
        assert_eq!(
            classify_now(400, &err(80001, None, "limit"), &h),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(420))
            }
        );
        let mut h = HeaderMap::new();
        h.insert(
            "x-page-usage",
            HeaderValue::from_static(
                r#"{"call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":3}"#,
            ),
        );
        assert_eq!(
            classify_now(400, &err(32, None, "page limit"), &h),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(180))
            }
        );
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("30"));
        assert_eq!(
            classify_now(429, &MetaError::default(), &h),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(30))
            }
        );
    }

    #[test]
    fn secrets_are_scrubbed_from_meta_messages() {
        let token = SecretString::from("EAABsbCS1iHgBAKZCZCtoken".to_owned());
        let e = MetaError::from_body(
            &json!({"error": {"message": "Malformed access token EAABsbCS1iHgBAKZCZCtoken", "code": 190}}),
            &[&token],
        );
        assert_eq!(e.message, "Malformed access token [redacted]");
        let oauth = MetaError::from_body(
            &json!({"error": "invalid_grant", "error_description": "revoked"}),
            &[],
        );
        assert_eq!(oauth.kind, "invalid_grant");
        assert_eq!(oauth.code, None);
        assert_eq!(
            classify_token_failure(
                Network::Instagram,
                StatusCode::BAD_REQUEST,
                &oauth,
                &HeaderMap::new(),
                SystemTime::UNIX_EPOCH
            ),
            ConnectorError::Auth {
                reason: "the network no longer accepts this connection (invalid_grant: revoked)"
                    .into()
            }
        );
    }

    #[test]
    fn missing_objects_are_recognised() {
        let api = |status: u16, e: MetaError| {
            GraphError::Api(Box::new(ApiError {
                status: StatusCode::from_u16(status).unwrap(),
                error: e,
                headers: HeaderMap::new(),
            }))
        };
        assert!(api(400, err(100, Some(33), "Unsupported delete request.")).is_missing());
        assert!(
            api(
                400,
                err(
                    100,
                    None,
                    "Object with ID '1_2' does not exist, cannot be loaded due to missing permissions"
                )
            )
            .is_missing()
        );
        assert!(api(404, MetaError::default()).is_missing());
        assert!(!api(400, err(100, None, "(#100) Invalid parameter")).is_missing());
        assert!(!api(400, err(190, None, "expired")).is_missing());
    }

    #[test]
    fn ids_texts_times_and_paging() {
        assert_eq!(object_id(" 123_456 ", "post").unwrap(), "123_456");
        assert!(object_id("../me", "post").is_err());
        assert!(object_id("", "post").is_err());
        assert!(object_id("1?fields=x", "post").is_err());
        assert_eq!(normalize("  Hello \n\n world\t! "), "Hello world !");
        assert_eq!(
            with_link("Read this", Some("https://a.example/x")),
            "Read this\n\nhttps://a.example/x"
        );
        assert_eq!(
            with_link("Read https://a.example/x now", Some("https://a.example/x")),
            "Read https://a.example/x now"
        );
        assert_eq!(
            with_link("", Some("https://a.example")),
            "https://a.example"
        );
        assert_eq!(with_link("t", None), "t");
        assert_eq!(
            parse_time("2024-05-01T10:00:00+0000").map(unix),
            Some(1_714_557_600)
        );
        assert_eq!(
            parse_time("2024-05-01T10:00:00Z").map(unix),
            Some(1_714_557_600)
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(
            next_params(
                "https://graph.facebook.com/v21.0/1/posts?access_token=SECRET&fields=id&limit=100&after=QVFI"
            ),
            Some(vec![
                ("fields".into(), "id".into()),
                ("limit".into(), "100".into()),
                ("after".into(), "QVFI".into()),
            ])
        );
        assert_eq!(next_params("not a url"), None);
    }

    #[test]
    fn facebook_login_spec() {
        let spec = oauth_spec(
            "http://127.0.0.1:9",
            &["pages_show_list", "pages_manage_posts"],
        );
        assert_eq!(spec.token_url, "http://127.0.0.1:9/oauth/access_token");
        assert_eq!(spec.authorize_url, DIALOG_URL);
        assert_eq!(spec.scope_separator, ",");
        assert!(!spec.pkce);
    }
}
