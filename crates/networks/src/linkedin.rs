//! LinkedIn: a member's profile (`urn:li:person:…`) or an organisation's page
//! (`urn:li:organization:…`) through the Community Management APIs (versioned REST).
//!
//! Every call to `https://api.linkedin.com/rest/…` carries `LinkedIn-Version: `[`LINKEDIN_VERSION`]
//! and `X-Restli-Protocol-Version: 2.0.0`, and the access token as `Authorization: Bearer` (never
//! in a URL). Upload addresses come from LinkedIn's answers; the token goes with an upload only
//! to LinkedIn's own `https` hosts ([`is_linkedin_host`]). `Credentials::account_id` is the
//! author URN; without one the member is asked for (`/v2/userinfo`).
//!
//! - **verify**: members `GET /v2/userinfo` (OpenID Connect, `sub` → `urn:li:person:{sub}`,
//!   <https://learn.microsoft.com/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2>);
//!   organisations `GET /rest/organizationAcls?q=roleAssignee&state=APPROVED` must list the page
//!   with a role that may post (ADMINISTRATOR, CONTENT_ADMIN, DIRECT_SPONSORED_CONTENT_POSTER:
//!   the roles the Posts API names for `w_organization_social`), then `GET /rest/organizations/{id}`
//!   for its name
//!   (<https://learn.microsoft.com/linkedin/marketing/community-management/organizations/organization-access-control-by-role>).
//! - **publish**: `POST /rest/posts` with `author`, `commentary` (escaped for LinkedIn's "little"
//!   text format, see [`escape_little`]; hashtags stay hashtags), `visibility: PUBLIC`,
//!   `distribution` (main feed), `lifecycleState: PUBLISHED`; the new post's URN comes back in the
//!   `x-restli-id` header of a 201 with an empty body
//!   (<https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api>).
//!   - images: `POST /rest/images?action=initializeUpload` → `uploadUrl` + `urn:li:image`, then
//!     `PUT` the bytes to `uploadUrl`; one image is `content.media {id, altText}`, 2–20 are
//!     `content.multiImage.images[] {id, altText}`
//!     (<https://learn.microsoft.com/linkedin/marketing/community-management/shares/images-api>,
//!     <https://learn.microsoft.com/linkedin/marketing/community-management/shares/multiimage-post-api>).
//!   - one video: `POST /rest/videos?action=initializeUpload` (`fileSizeBytes`) → `PUT` each part
//!     its `uploadInstructions` name → `POST /rest/videos?action=finalizeUpload` with the parts'
//!     ETags → poll `GET /rest/videos/{urn}` until `AVAILABLE` (a bounded wait) → `content.media`
//!     (<https://learn.microsoft.com/linkedin/marketing/community-management/shares/videos-api>).
//!   - a link without media: `content.article {source, title}`.
//!   - first comments (`as_comment`): `POST /rest/socialActions/{post urn}/comments` with `actor`,
//!     `object`, `message.text`
//!     (<https://learn.microsoft.com/linkedin/marketing/community-management/shares/comments-api>).
//! - **exactly once**: LinkedIn has no idempotency key. [`Connector::lookup`] lists the author's
//!   posts (`GET /rest/posts?author=…&q=author&count=50&sortBy=LAST_MODIFIED`), or a post's
//!   comments for a first comment, and matches the exact text created since the first attempt.
//!   `Absent` only when the listing reached posts older than that; members' posts can only be
//!   listed with the restricted `r_member_social` permission, so for members the answer is usually
//!   `CannotTell`.
//! - **delete**: `DELETE /rest/posts/{urn}` (a comment: `DELETE /rest/socialActions/{post}/comments/{id}`);
//!   404 means already gone.
//! - **status**: `GET /rest/socialActions/{urn}` (`likesSummary`, `commentsSummary`); 404 → gone
//!   (<https://learn.microsoft.com/linkedin/marketing/community-management/shares/network-update-social-actions>).
//! - **errors** (`{"status", "serviceErrorCode", "code", "message"}`): 401 and
//!   `REVOKED_ACCESS_TOKEN`/`EXPIRED_ACCESS_TOKEN` → `Auth`; 403 `ACCESS_DENIED` → `Auth` (the
//!   connection lacks a permission or page role: reconnect); 400/422 → `Permanent` with LinkedIn's
//!   message; 409 or a "duplicate" message → `Permanent` (it may already be published); 5xx →
//!   `Temporary`. LinkedIn documents no rate-limit headers: a 429 without `Retry-After` waits until
//!   the next midnight UTC, when the daily limits reset
//!   (<https://learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits>), and is filed
//!   in the budget book.
//! - **OAuth**: `https://www.linkedin.com/oauth/v2/authorization` and `/oauth/v2/accessToken`,
//!   client secret in the body, no PKCE (web apps); refresh with `grant_type=refresh_token` where
//!   LinkedIn granted the app refresh tokens, else `Ok(None)` and the channel is reconnected when
//!   the token expires (<https://learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens>).
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/linkedin_fixture.rs`); not verified against the live network.
//!
//! Not implemented: threads (LinkedIn has none: refused), media in first comments (refused),
//! documents, polls, mentions (`@` is escaped as plain text), link cards together with media
//! (the link stays in the text), and languages (the Posts API has no field for them). The video
//! upload is implemented as documented but, like everything here, only fixture-tested.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect};
use crate::oauth::{self, ClientAuth, OAuthSpec};
use crate::{
    AccountInfo, AccountKind, AppCredentials, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, Metrics, Network, PublishRequest, Published, RemoteRef,
    RemoteStatus, TokenGrant,
};

/// Where the REST API lives.
pub const DEFAULT_API_BASE: &str = "https://api.linkedin.com";
/// Where people authorise the app and tokens are issued.
pub const DEFAULT_OAUTH_BASE: &str = "https://www.linkedin.com";
/// The API version sent with every `/rest` call (`LinkedIn-Version: YYYYMM`). LinkedIn supports a
/// version for about a year: move it forward, re-running the fixtures against the changelog.
pub const LINKEDIN_VERSION: &str = "202606";
/// The commentary limit (characters).
pub const MAX_TEXT_CHARS: usize = 3_000;
/// A multi-image post has 2 to 20 images.
pub const MAX_IMAGES: usize = 20;
/// The scopes Owlery asks for: sign-in (`openid profile`), posting as a member and as a page,
/// reading a page's posts and comments, and the page roles.
pub const SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "w_member_social",
    "w_organization_social",
    "r_organization_social",
    "rw_organization_admin",
];
/// Page roles that may post for an organisation (Posts API permissions).
const POSTING_ROLES: [&str; 3] = [
    "ADMINISTRATOR",
    "CONTENT_ADMIN",
    "DIRECT_SPONSORED_CONTENT_POSTER",
];
/// Image formats the Images API takes.
const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/gif"];
/// How many posts (or comments) one lookup page asks for, and how many pages at most.
const LOOKUP_PAGE: usize = 50;
const LOOKUP_PAGES: usize = 4;
/// Allowance for clocks: a post created this much before `since` still counts as "since".
const CLOCK_SKEW: Duration = Duration::from_secs(120);

/// How long to wait for LinkedIn to process an uploaded video.
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

/// Pages the connect flow lists at most for one member.
pub const MAX_CONNECT_PAGES: usize = 50;

/// An organisation page a member may post for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationPage {
    /// `urn:li:organization:{id}`.
    pub urn: String,
    /// Its name (`localizedName`).
    pub name: String,
    /// Its address name (`vanityName`: `linkedin.com/company/{vanity}`), when it has one.
    pub vanity: Option<String>,
}

/// The LinkedIn connector.
pub struct Linkedin {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    api: String,
    oauth_base: String,
    polling: Polling,
}

/// Who posts: a member or an organisation, as its URN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    Person(String),
    Organization(String),
}

impl Author {
    /// `urn:li:person:…` or `urn:li:organization:…` (the id must not be empty).
    pub fn parse(urn: &str) -> Result<Author, ConnectorError> {
        let urn = urn.trim();
        let valid_id = |id: &str| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if let Some(id) = urn.strip_prefix("urn:li:person:")
            && valid_id(id)
        {
            return Ok(Author::Person(urn.to_owned()));
        }
        if let Some(id) = urn.strip_prefix("urn:li:organization:")
            && valid_id(id)
        {
            return Ok(Author::Organization(urn.to_owned()));
        }
        Err(ConnectorError::Permanent {
            reason: format!(
                "{urn:?} is not a LinkedIn member or page (expected urn:li:person:… or \
                 urn:li:organization:…): fix the channel's LinkedIn account"
            ),
        })
    }

    pub fn urn(&self) -> &str {
        match self {
            Author::Person(u) | Author::Organization(u) => u,
        }
    }
}

/// A successful answer.
struct Answer {
    headers: HeaderMap,
    body: Value,
}

/// A failed call: LinkedIn answered with an error, or the transport failed.
enum Failure {
    Api {
        status: StatusCode,
        headers: HeaderMap,
        code: Option<String>,
        message: Option<String>,
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

    fn into_error(self, now: SystemTime) -> ConnectorError {
        match self {
            Failure::Other(e) => e,
            Failure::Api {
                status,
                headers,
                code,
                message,
            } => classify(status, &headers, code.as_deref(), message.as_deref(), now),
        }
    }
}

/// A LinkedIn error answer as a connector error.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    code: Option<&str>,
    message: Option<&str>,
    now: SystemTime,
) -> ConnectorError {
    let said = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => format!("HTTP {status}"),
    };
    let duplicate = message.is_some_and(|m| m.to_ascii_lowercase().contains("duplicate"));
    match (status.as_u16(), code) {
        (429, _) => ConnectorError::RateLimited {
            retry_after: Some(rate_limit_wait(headers, now)),
        },
        (401, _)
        | (_, Some("REVOKED_ACCESS_TOKEN" | "EXPIRED_ACCESS_TOKEN" | "INVALID_ACCESS_TOKEN")) => {
            ConnectorError::Auth {
                reason: format!(
                    "LinkedIn no longer accepts this connection ({said}): reconnect the channel"
                ),
            }
        }
        (403, _) | (_, Some("ACCESS_DENIED")) => ConnectorError::Auth {
            reason: format!(
                "LinkedIn refused this for the connected account ({said}): reconnect the channel \
                 with the permissions Owlery asks for, as a member who is an administrator or \
                 content admin of the page"
            ),
        },
        (409, _) | (400 | 422, _) if duplicate || status == StatusCode::CONFLICT => {
            ConnectorError::Permanent {
                reason: format!(
                    "LinkedIn says this duplicates an existing post ({said}); it may already be \
                     published: check the account before posting it again"
                ),
            }
        }
        (400 | 422, _) => ConnectorError::Permanent {
            reason: format!(
                "LinkedIn rejected the request: {}",
                message.unwrap_or(&said)
            ),
        },
        _ => http::classify_status(status, headers, &said, now),
    }
}

/// How long to wait after a 429: `Retry-After` if LinkedIn sent one, else until the next midnight
/// UTC (LinkedIn's daily limits reset then).
pub fn rate_limit_wait(headers: &HeaderMap, now: SystemTime) -> Duration {
    http::retry_after(headers, now).unwrap_or_else(|| until_midnight_utc(now))
}

/// The time from `now` to the next midnight UTC (a full day at midnight itself).
pub fn until_midnight_utc(now: SystemTime) -> Duration {
    const DAY: u64 = 24 * 3600;
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Duration::from_secs(DAY - secs % DAY)
}

/// Percent-encodes a URN for a URL path or query (everything but `A–Z a–z 0–9 - . _ ~`).
pub fn encode_urn(urn: &str) -> String {
    let mut out = String::with_capacity(urn.len() * 3);
    for b in urn.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where people see a post.
pub fn post_url(urn: &str) -> String {
    format!("https://www.linkedin.com/feed/update/{urn}/")
}

/// Where people see a comment on a post.
pub fn comment_url(post_urn: &str, comment_urn: &str) -> String {
    format!(
        "https://www.linkedin.com/feed/update/{post_urn}/?commentUrn={}",
        encode_urn(comment_urn)
    )
}

/// Escapes text for a post's `commentary` so that LinkedIn shows it as written: every reserved
/// character gets a backslash, except a `#` that starts a hashtag (at the start or after
/// whitespace, followed by a letter or digit), which stays a hashtag as a person would expect.
/// Without this LinkedIn may cut the post at the first reserved character.
pub fn escape_little(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let hashtag = c == '#'
            && prev.is_none_or(char::is_whitespace)
            && chars.peek().is_some_and(|n| n.is_alphanumeric());
        if is_reserved(c) && !hashtag {
            out.push('\\');
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// The characters LinkedIn's "little" text format reserves; each must be escaped with a backslash
/// to show as itself (<https://learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format>).
fn is_reserved(c: char) -> bool {
    matches!(
        c,
        '\\' | '|' | '{' | '}' | '@' | '[' | ']' | '(' | ')' | '<' | '>' | '#' | '*' | '_' | '~'
    )
}

/// What a person reads of a commentary in little format: hashtag templates
/// (`{hashtag|\#|word}`) become `#word`, mentions (`@[Name](urn:…)`) their name, escapes are
/// removed.
pub fn unescape_little(little: &str) -> String {
    let mut out = String::with_capacity(little.len());
    let mut rest = little;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let mut it = rest.chars();
            it.next();
            match it.next() {
                Some(n) => {
                    out.push(n);
                    rest = &rest[1 + n.len_utf8()..];
                }
                None => {
                    rest = "";
                }
            }
            continue;
        }
        if let Some(after) = rest.strip_prefix("{hashtag|")
            && let Some(end) = after.find('}')
        {
            let inner = &after[..end];
            let tag = inner.rsplit('|').next().unwrap_or("");
            out.push('#');
            out.push_str(tag);
            rest = &after[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("@[")
            && let Some(close) = after.find("](")
            && let Some(end) = after[close + 2..].find(')')
        {
            out.push_str(&after[..close]);
            rest = &after[close + 2 + end + 1..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Text as compared when looking a post up: whitespace runs become one space, ends trimmed.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `url` is LinkedIn's own (the only hosts an upload may carry the access token to).
pub fn is_linkedin_host(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "https")
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| h == "linkedin.com" || h.ends_with(".linkedin.com"))
}

/// `urn:li:comment:(urn:li:activity:1,2)` → (`urn:li:activity:1`, `2`).
pub fn parse_comment_urn(urn: &str) -> Option<(&str, &str)> {
    let inner = urn.strip_prefix("urn:li:comment:(")?.strip_suffix(')')?;
    let (target, id) = inner.rsplit_once(',')?;
    (!target.is_empty() && !id.is_empty()).then_some((target, id))
}

/// The checks LinkedIn would fail, made before anything is sent.
fn check_request(req: &PublishRequest) -> Result<(), ConnectorError> {
    let refuse = |reason: String| Err(ConnectorError::Permanent { reason });
    let part = &req.part;
    if !(req.placement.is_empty() || req.placement == "post") {
        return refuse(format!(
            "LinkedIn has no {:?} placement: Owlery posts LinkedIn parts as posts",
            req.placement
        ));
    }
    if req.reply_to.is_some() && !req.as_comment {
        return refuse(
            "LinkedIn has no threads: a post cannot answer another post. Publish it as a first \
             comment or as a post of its own"
                .into(),
        );
    }
    if req.as_comment {
        if req.reply_to.is_none() {
            return refuse("a first comment needs the post it belongs to".into());
        }
        if !part.media.is_empty() {
            return refuse(
                "LinkedIn first comments are published as text only here: remove the media from \
                 the comment"
                    .into(),
            );
        }
        if part.text.trim().is_empty() {
            return refuse("the first comment has no text".into());
        }
        return Ok(());
    }
    let chars = part.text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return refuse(format!(
            "the text has {chars} characters; LinkedIn takes at most {MAX_TEXT_CHARS}: shorten it"
        ));
    }
    if part.text.trim().is_empty() && part.media.is_empty() && part.link.is_none() {
        return refuse("the post has no text, media or link".into());
    }
    let videos = part
        .media
        .iter()
        .filter(|m| m.kind == MediaKind::Video)
        .count();
    if videos > 0 && (videos > 1 || part.media.len() > 1) {
        return refuse("LinkedIn takes one video per post, without images: split the post".into());
    }
    if part.media.len() > MAX_IMAGES {
        return refuse(format!(
            "{} images: LinkedIn takes at most {MAX_IMAGES} per post; remove some or split the post",
            part.media.len()
        ));
    }
    for (i, m) in part.media.iter().enumerate() {
        if m.bytes.is_empty() {
            return refuse(format!("attachment {} is empty", i + 1));
        }
        match m.kind {
            MediaKind::Image if !IMAGE_TYPES.contains(&m.mime.as_str()) => {
                return refuse(format!(
                    "image {} is {}: LinkedIn takes JPEG, PNG or GIF images",
                    i + 1,
                    m.mime
                ));
            }
            MediaKind::Video if m.mime != "video/mp4" => {
                return refuse(format!(
                    "the video is {}: LinkedIn takes MP4 videos",
                    m.mime
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

impl Linkedin {
    pub fn new(env: Env) -> Result<Linkedin, ConnectorError> {
        Ok(Linkedin {
            http: http::client(env.http)?,
            api: env.base(DEFAULT_API_BASE),
            oauth_base: env.base(DEFAULT_OAUTH_BASE),
            budgets: env.budgets,
            polling: Polling::default(),
        })
    }

    /// How long to wait for an uploaded video to be processed (tests shorten it).
    pub fn with_media_polling(mut self, polling: Polling) -> Linkedin {
        self.polling = polling;
        self
    }

    fn spec(&self) -> OAuthSpec {
        OAuthSpec {
            authorize_url: format!("{}/oauth/v2/authorization", self.oauth_base),
            token_url: format!("{}/oauth/v2/accessToken", self.oauth_base),
            scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            scope_separator: " ",
            pkce: false,
            client_auth: ClientAuth::Body,
            client_id_param: "client_id",
            extra_authorize: Vec::new(),
        }
    }

    /// One call. `url` is a path on the API (`/rest/…`, `/v2/…`) or an absolute address (uploads);
    /// the token goes only to the API and to LinkedIn's own hosts. `/rest` calls carry the version
    /// headers.
    #[expect(
        clippy::too_many_arguments,
        reason = "one request's parts, named at each call site"
    )]
    async fn call(
        &self,
        creds: &Credentials,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
        effect: Effect,
        bucket: &str,
    ) -> Result<Answer, Failure> {
        let absolute = url.starts_with("http://") || url.starts_with("https://");
        let full = if absolute {
            url.to_owned()
        } else {
            format!("{}{url}", self.api)
        };
        let mut request = self.http.request(method.clone(), &full);
        if !absolute || is_linkedin_host(url) {
            request = request.bearer_auth(creds.secret.expose_secret());
        }
        if url.starts_with("/rest/") {
            request = request
                .header("LinkedIn-Version", LINKEDIN_VERSION)
                .header("X-Restli-Protocol-Version", "2.0.0");
        }
        if !query.is_empty() {
            request = request.query(query);
        }
        request = match body {
            Body::None => request,
            Body::Json(v) => request.json(v),
            Body::Bytes(bytes) => request
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes.to_vec()),
            Body::Restli(restli) => request.header("X-RestLi-Method", restli),
        };
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Other(http::classify_transport(&e, effect)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let now = SystemTime::now();
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.budgets.exhausted(
                Network::Linkedin,
                Scope::Account,
                &creds.budget_key(),
                bucket,
                Some(rate_limit_wait(&headers, now)),
                now,
            );
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Other(http::classify_transport(&e, effect)))?;
        tracing::debug!(
            network = "linkedin",
            http.bucket = bucket,
            http.status = status.as_u16(),
            "linkedin call"
        );
        if status.is_success() {
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            };
            return Ok(Answer { headers, body });
        }
        let parsed: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let field = |k: &str| parsed.get(k).and_then(Value::as_str).map(str::to_owned);
        Err(Failure::Api {
            status,
            headers,
            code: field("code"),
            message: field("message"),
        })
    }

    /// The post's author: the channel's URN, or the member the token belongs to.
    async fn author(&self, creds: &Credentials) -> Result<Author, ConnectorError> {
        match creds.account_id.as_deref() {
            Some(urn) => Author::parse(urn),
            None => Ok(Author::Person(self.member(creds).await?.id)),
        }
    }

    /// The member the token belongs to (`/v2/userinfo`).
    async fn member(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let answer = self
            .call(
                creds,
                Method::GET,
                "/v2/userinfo",
                &[],
                Body::None,
                Effect::Read,
                "GET /v2/userinfo",
            )
            .await
            .map_err(|e| e.into_error(SystemTime::now()))?;
        let sub = answer
            .body
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unexpected("userinfo", "has no sub"))?;
        let name = answer
            .body
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| creds.handle.clone());
        Ok(AccountInfo {
            id: format!("urn:li:person:{sub}"),
            handle: name,
        })
    }

    /// Checks that the token's member may post for `org`, and says the page's name.
    async fn organization(
        &self,
        creds: &Credentials,
        org: &str,
    ) -> Result<AccountInfo, ConnectorError> {
        let mut start = 0usize;
        let count = 100usize;
        let mut allowed = false;
        let mut roles_seen: Vec<String> = Vec::new();
        for _ in 0..10 {
            let (s, c) = (start.to_string(), count.to_string());
            let answer = self
                .call(
                    creds,
                    Method::GET,
                    "/rest/organizationAcls",
                    &[
                        ("q", "roleAssignee"),
                        ("state", "APPROVED"),
                        ("start", &s),
                        ("count", &c),
                    ],
                    Body::Restli("FINDER"),
                    Effect::Read,
                    "GET /rest/organizationAcls",
                )
                .await
                .map_err(|e| e.into_error(SystemTime::now()))?;
            let elements = elements(&answer.body);
            for e in elements {
                let target = e
                    .get("organization")
                    .or_else(|| e.get("organizationalTarget"))
                    .and_then(Value::as_str);
                if target == Some(org) {
                    let role = e.get("role").and_then(Value::as_str).unwrap_or("");
                    if POSTING_ROLES.contains(&role) {
                        allowed = true;
                    } else {
                        roles_seen.push(role.to_owned());
                    }
                }
            }
            if allowed || elements.len() < count {
                break;
            }
            start += count;
        }
        if !allowed {
            let had = if roles_seen.is_empty() {
                "no role".to_owned()
            } else {
                format!("only the role(s) {}", roles_seen.join(", "))
            };
            return Err(ConnectorError::Auth {
                reason: format!(
                    "the connected LinkedIn member has {had} on the page {org}: reconnect as an \
                     administrator or content admin of the page"
                ),
            });
        }
        let id = org.trim_start_matches("urn:li:organization:");
        let answer = self
            .call(
                creds,
                Method::GET,
                &format!("/rest/organizations/{id}"),
                &[],
                Body::None,
                Effect::Read,
                "GET /rest/organizations",
            )
            .await
            .map_err(|e| e.into_error(SystemTime::now()))?;
        let name = answer
            .body
            .get("localizedName")
            .or_else(|| answer.body.get("vanityName"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| org.to_owned());
        Ok(AccountInfo {
            id: org.to_owned(),
            handle: name,
        })
    }

    /// The organisation pages the token's member may post for (a posting role in
    /// `GET /rest/organizationAcls?q=roleAssignee&state=APPROVED`), each with its name from
    /// `GET /rest/organizations/{id}`: the choice the connect flow offers besides the member.
    /// At most [`MAX_CONNECT_PAGES`] pages.
    pub async fn organizations(
        &self,
        creds: &Credentials,
    ) -> Result<Vec<OrganizationPage>, ConnectorError> {
        let result = async {
            let mut urns: Vec<String> = Vec::new();
            let count = 100usize;
            let mut start = 0usize;
            for _ in 0..10 {
                let (s, c) = (start.to_string(), count.to_string());
                let answer = self
                    .call(
                        creds,
                        Method::GET,
                        "/rest/organizationAcls",
                        &[
                            ("q", "roleAssignee"),
                            ("state", "APPROVED"),
                            ("start", &s),
                            ("count", &c),
                        ],
                        Body::Restli("FINDER"),
                        Effect::Read,
                        "GET /rest/organizationAcls",
                    )
                    .await
                    .map_err(|e| e.into_error(SystemTime::now()))?;
                let elements = elements(&answer.body);
                for e in elements {
                    let role = e.get("role").and_then(Value::as_str).unwrap_or("");
                    let target = e
                        .get("organization")
                        .or_else(|| e.get("organizationalTarget"))
                        .and_then(Value::as_str);
                    if let Some(org) = target
                        && POSTING_ROLES.contains(&role)
                        && Author::parse(org).is_ok()
                        && !urns.iter().any(|u| u == org)
                    {
                        urns.push(org.to_owned());
                    }
                }
                if elements.len() < count || urns.len() >= MAX_CONNECT_PAGES {
                    break;
                }
                start += count;
            }
            urns.truncate(MAX_CONNECT_PAGES);
            let mut pages = Vec::with_capacity(urns.len());
            for urn in urns {
                let id = urn.trim_start_matches("urn:li:organization:");
                let answer = self
                    .call(
                        creds,
                        Method::GET,
                        &format!("/rest/organizations/{id}"),
                        &[],
                        Body::None,
                        Effect::Read,
                        "GET /rest/organizations",
                    )
                    .await
                    .map_err(|e| e.into_error(SystemTime::now()))?;
                let text = |k: &str| {
                    answer
                        .body
                        .get(k)
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(str::to_owned)
                };
                let vanity = text("vanityName");
                pages.push(OrganizationPage {
                    name: text("localizedName")
                        .or_else(|| vanity.clone())
                        .unwrap_or_else(|| urn.clone()),
                    vanity,
                    urn,
                });
            }
            Ok(pages)
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// Uploads one image: `initializeUpload`, then the bytes to `uploadUrl`. Returns its URN.
    async fn upload_image(
        &self,
        creds: &Credentials,
        author: &Author,
        bytes: &[u8],
    ) -> Result<String, ConnectorError> {
        let now = SystemTime::now;
        let body = json!({ "initializeUploadRequest": { "owner": author.urn() } });
        // Initialising twice only leaves an unused image: harmless to repeat.
        let answer = self
            .call(
                creds,
                Method::POST,
                "/rest/images",
                &[("action", "initializeUpload")],
                Body::Json(&body),
                Effect::Read,
                "POST /rest/images",
            )
            .await
            .map_err(|e| e.into_error(now()))?;
        let value = answer.body.get("value").cloned().unwrap_or(Value::Null);
        let upload_url = str_at(&value, "uploadUrl", "images initializeUpload")?;
        let image = str_at(&value, "image", "images initializeUpload")?;
        check_upload_url(&upload_url)?;
        self.call(
            creds,
            Method::PUT,
            &upload_url,
            &[],
            Body::Bytes(bytes),
            Effect::Read,
            "PUT image upload",
        )
        .await
        .map_err(|e| e.into_error(now()))?;
        Ok(image)
    }

    /// Uploads one video (initialise, parts, finalise) and waits until LinkedIn has processed it.
    async fn upload_video(
        &self,
        creds: &Credentials,
        author: &Author,
        bytes: &[u8],
    ) -> Result<String, ConnectorError> {
        let now = SystemTime::now;
        let body = json!({
            "initializeUploadRequest": {
                "owner": author.urn(),
                "fileSizeBytes": bytes.len(),
                "uploadCaptions": false,
                "uploadThumbnail": false,
            }
        });
        let answer = self
            .call(
                creds,
                Method::POST,
                "/rest/videos",
                &[("action", "initializeUpload")],
                Body::Json(&body),
                Effect::Read,
                "POST /rest/videos",
            )
            .await
            .map_err(|e| e.into_error(now()))?;
        let value = answer.body.get("value").cloned().unwrap_or(Value::Null);
        let video = str_at(&value, "video", "videos initializeUpload")?;
        let token = value
            .get("uploadToken")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let instructions = value
            .get("uploadInstructions")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| unexpected("videos initializeUpload", "has no uploadInstructions"))?;
        let mut etags = Vec::with_capacity(instructions.len());
        for step in instructions {
            let url = str_at(step, "uploadUrl", "an upload instruction")?;
            check_upload_url(&url)?;
            let first = step.get("firstByte").and_then(Value::as_u64).unwrap_or(0);
            let last = step
                .get("lastByte")
                .and_then(Value::as_u64)
                .unwrap_or_else(|| bytes.len().saturating_sub(1) as u64);
            let part = usize::try_from(first)
                .ok()
                .zip(usize::try_from(last).ok())
                .filter(|(f, l)| f <= l)
                .and_then(|(f, l)| bytes.get(f..=l))
                .ok_or_else(|| {
                    unexpected(
                        "videos initializeUpload",
                        &format!(
                            "asks for bytes {first}–{last} of a {}-byte video",
                            bytes.len()
                        ),
                    )
                })?;
            let uploaded = self
                .call(
                    creds,
                    Method::PUT,
                    &url,
                    &[],
                    Body::Bytes(part),
                    Effect::Read,
                    "PUT video upload",
                )
                .await
                .map_err(|e| e.into_error(now()))?;
            let etag = uploaded
                .headers
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| unexpected("a video part upload", "has no ETag"))?;
            etags.push(etag);
        }
        let body = json!({
            "finalizeUploadRequest": {
                "video": video,
                "uploadToken": token,
                "uploadedPartIds": etags,
            }
        });
        self.call(
            creds,
            Method::POST,
            "/rest/videos",
            &[("action", "finalizeUpload")],
            Body::Json(&body),
            Effect::Read,
            "POST /rest/videos",
        )
        .await
        .map_err(|e| e.into_error(now()))?;
        let path = format!("/rest/videos/{}", encode_urn(&video));
        let mut last_status = String::from("unknown");
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
                    Body::None,
                    Effect::Read,
                    "GET /rest/videos",
                )
                .await
                .map_err(|e| e.into_error(now()))?;
            let status = answer
                .body
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            match status.as_str() {
                "AVAILABLE" => return Ok(video),
                "PROCESSING_FAILED" => {
                    let why = answer
                        .body
                        .get("processingFailureReason")
                        .and_then(Value::as_str)
                        .unwrap_or("no reason given");
                    return Err(ConnectorError::Permanent {
                        reason: format!(
                            "LinkedIn could not process the video ({why}): check its format \
                             (MP4, H.264) and length"
                        ),
                    });
                }
                _ => last_status = status,
            }
        }
        Err(ConnectorError::Temporary {
            reason: format!(
                "LinkedIn is still processing the video (last status {last_status}); nothing was \
                 posted, try again later"
            ),
            retry_after: Some(Duration::from_secs(60)),
        })
    }

    async fn publish_comment(
        &self,
        creds: &Credentials,
        author: &Author,
        req: &PublishRequest,
        post: &RemoteRef,
    ) -> Result<Published, ConnectorError> {
        let post_urn = post.id.as_str();
        let body = json!({
            "actor": author.urn(),
            "object": post_urn,
            "message": { "text": req.part.text },
        });
        let answer = self
            .call(
                creds,
                Method::POST,
                &format!("/rest/socialActions/{}/comments", encode_urn(post_urn)),
                &[],
                Body::Json(&body),
                Effect::Write,
                "POST /rest/socialActions/comments",
            )
            .await
            .map_err(|e| match e.status() {
                Some(StatusCode::NOT_FOUND) => ConnectorError::Permanent {
                    reason: format!(
                        "the post to comment on ({post_urn}) does not exist on LinkedIn any more"
                    ),
                },
                _ => e.into_error(SystemTime::now()),
            })?;
        let urn = comment_urn_of(&answer.body, &answer.headers).ok_or_else(|| {
            ConnectorError::Unknown {
                reason: "LinkedIn accepted the comment without saying its id; look it up before \
                         sending it again"
                    .into(),
            }
        })?;
        Ok(Published {
            url: comment_url(post_urn, &urn),
            remote: RemoteRef {
                id: urn,
                cid: None,
                root: Some(Box::new(RemoteRef {
                    id: post_urn.to_owned(),
                    cid: None,
                    root: None,
                })),
            },
        })
    }

    async fn lookup_post(
        &self,
        creds: &Credentials,
        author: &Author,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let wanted = normalize(&req.part.text);
        let from_ms = millis(since.checked_sub(CLOCK_SKEW).unwrap_or(since));
        let count = LOOKUP_PAGE.to_string();
        for page in 0..LOOKUP_PAGES {
            let start = (page * LOOKUP_PAGE).to_string();
            let answer = match self
                .call(
                    creds,
                    Method::GET,
                    "/rest/posts",
                    &[
                        ("author", author.urn()),
                        ("q", "author"),
                        ("count", &count),
                        ("start", &start),
                        ("sortBy", "LAST_MODIFIED"),
                    ],
                    Body::Restli("FINDER"),
                    Effect::Read,
                    "GET /rest/posts",
                )
                .await
            {
                Ok(a) => a,
                Err(e) if e.status() == Some(StatusCode::FORBIDDEN) => {
                    return Ok(Lookup::CannotTell {
                        reason: match author {
                            Author::Person(_) => "LinkedIn lets apps list a member's posts only \
                                                  with the restricted r_member_social permission: \
                                                  check the profile by hand"
                                .into(),
                            Author::Organization(_) => "LinkedIn refused to list the page's posts \
                                                        (r_organization_social): check the page \
                                                        by hand"
                                .into(),
                        },
                    });
                }
                Err(e) => return Err(e.into_error(SystemTime::now())),
            };
            let elements = elements(&answer.body);
            for post in elements {
                let created = post.get("createdAt").and_then(Value::as_u64);
                let modified = post
                    .get("lastModifiedAt")
                    .and_then(Value::as_u64)
                    .or(created);
                if modified.is_some_and(|m| m < from_ms) {
                    // Sorted by last modification: everything after this is older still.
                    return Ok(Lookup::Absent);
                }
                let text = post.get("commentary").and_then(Value::as_str).unwrap_or("");
                let recent = created.is_none_or(|c| c >= from_ms);
                if recent && normalize(&unescape_little(text)) == wanted {
                    let Some(id) = post.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    return Ok(Lookup::Found(Published {
                        url: post_url(id),
                        remote: RemoteRef {
                            id: id.to_owned(),
                            cid: None,
                            root: None,
                        },
                    }));
                }
            }
            if elements.len() < LOOKUP_PAGE {
                return Ok(Lookup::Absent);
            }
        }
        Ok(Lookup::CannotTell {
            reason: format!(
                "the account has more than {} posts changed since the first attempt; LinkedIn's \
                 listing did not reach back that far: check the account by hand",
                LOOKUP_PAGE * LOOKUP_PAGES
            ),
        })
    }

    async fn lookup_comment(
        &self,
        creds: &Credentials,
        author: &Author,
        req: &PublishRequest,
        post: &RemoteRef,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let wanted = normalize(&req.part.text);
        let from_ms = millis(since.checked_sub(CLOCK_SKEW).unwrap_or(since));
        let path = format!("/rest/socialActions/{}/comments", encode_urn(&post.id));
        let count = LOOKUP_PAGE.to_string();
        for page in 0..LOOKUP_PAGES {
            let start = (page * LOOKUP_PAGE).to_string();
            let answer = match self
                .call(
                    creds,
                    Method::GET,
                    &path,
                    &[("start", &start), ("count", &count)],
                    Body::None,
                    Effect::Read,
                    "GET /rest/socialActions/comments",
                )
                .await
            {
                Ok(a) => a,
                Err(e) if e.status() == Some(StatusCode::FORBIDDEN) => {
                    return Ok(Lookup::CannotTell {
                        reason: "LinkedIn refused to list the post's comments: check the post by \
                                 hand"
                            .into(),
                    });
                }
                Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {
                    // The post is gone, and its comments with it.
                    return Ok(Lookup::Absent);
                }
                Err(e) => return Err(e.into_error(SystemTime::now())),
            };
            let elements = elements(&answer.body);
            for c in elements {
                let actor = c.get("actor").and_then(Value::as_str);
                let text = c.pointer("/message/text").and_then(Value::as_str);
                let created = c.pointer("/created/time").and_then(Value::as_u64);
                if actor == Some(author.urn())
                    && created.is_none_or(|t| t >= from_ms)
                    && text.is_some_and(|t| normalize(t) == wanted)
                    && let Some(urn) = comment_urn_of(c, &HeaderMap::new())
                {
                    return Ok(Lookup::Found(Published {
                        url: comment_url(&post.id, &urn),
                        remote: RemoteRef {
                            id: urn,
                            cid: None,
                            root: Some(Box::new(RemoteRef {
                                id: post.id.clone(),
                                cid: None,
                                root: None,
                            })),
                        },
                    }));
                }
            }
            if elements.len() < LOOKUP_PAGE {
                return Ok(Lookup::Absent);
            }
        }
        Ok(Lookup::CannotTell {
            reason: format!(
                "the post has more than {} comments; check it by hand",
                LOOKUP_PAGE * LOOKUP_PAGES
            ),
        })
    }
}

/// A request body.
enum Body<'a> {
    None,
    Json(&'a Value),
    Bytes(&'a [u8]),
    /// No body, with `X-RestLi-Method` (finders, deletes).
    Restli(&'static str),
}

fn elements(body: &Value) -> &[Value] {
    body.get("elements")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A comment's URN from its answer: `$URN`, else `x-restli-id`, else `object` + `id`.
fn comment_urn_of(body: &Value, headers: &HeaderMap) -> Option<String> {
    let from_body = body
        .get("$URN")
        .or_else(|| body.get("commentUrn"))
        .and_then(Value::as_str)
        .filter(|s| s.starts_with("urn:li:comment:"))
        .map(str::to_owned);
    let from_header = || {
        headers
            .get("x-restli-id")
            .and_then(|v| v.to_str().ok())
            .filter(|s| s.starts_with("urn:li:comment:"))
            .map(str::to_owned)
    };
    let composed = || {
        let object = body.get("object").and_then(Value::as_str)?;
        let id = match body.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return None,
        };
        Some(format!("urn:li:comment:({object},{id})"))
    };
    from_body.or_else(from_header).or_else(composed)
}

fn check_upload_url(url: &str) -> Result<(), ConnectorError> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => Err(unexpected("an upload", "address is not an http(s) URL")),
    }
}

fn str_at(v: &Value, key: &str, what: &str) -> Result<String, ConnectorError> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| unexpected(what, &format!("has no {key}")))
}

fn unexpected(what: &str, detail: &str) -> ConnectorError {
    ConnectorError::Temporary {
        reason: format!("unexpected answer from LinkedIn: {what} {detail}"),
        retry_after: None,
    }
}

/// Removes the access token from a message, should a server ever echo it.
fn scrub(err: ConnectorError, creds: &Credentials) -> ConnectorError {
    let token = creds.secret.expose_secret();
    if token.len() < 4 {
        return err;
    }
    let clean = |s: String| s.replace(token, "[redacted]");
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

impl Connector for Linkedin {
    fn network(&self) -> Network {
        Network::Linkedin
    }

    /// Members: the token's member, which must be the channel's member. Organisations: the token's
    /// member must hold a posting role on the page.
    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let result = async {
            match creds.account_id.as_deref().map(Author::parse).transpose()? {
                Some(Author::Organization(org)) => self.organization(creds, &org).await,
                Some(Author::Person(urn)) => {
                    let me = self.member(creds).await?;
                    if me.id != urn {
                        return Err(ConnectorError::Auth {
                            reason: format!(
                                "this LinkedIn sign-in is {} ({}), not the channel's member {urn}: \
                                 reconnect with the right LinkedIn account",
                                me.handle, me.id
                            ),
                        });
                    }
                    Ok(me)
                }
                None => self.member(creds).await,
            }
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// A comment is answered with a nested comment: `POST /rest/socialActions/{comment urn}/comments`
    /// with `object` = the post and `parentComment` = the comment; a mention (a post naming the
    /// organisation) with a comment on that post. LinkedIn's API has no messaging for apps.
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        kind != owlery_domain::inbox::MessageKind::Dm
    }

    /// Comments and posts take reactions; LinkedIn's API has no messaging for apps.
    fn can_like(&self, kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        if kind == owlery_domain::inbox::MessageKind::Dm {
            crate::inbox::Ability::Not("LinkedIn's API has no messaging for apps")
        } else {
            crate::inbox::Ability::Allowed
        }
    }

    /// A `LIKE` reaction as the organisation: `POST /rest/reactions?actor={urn}` with
    /// `{"root": comment or post URN, "reactionType": "LIKE"}` (Reactions API, "Create a
    /// Reaction on a Comment"). A reaction that exists already (409) counts as done.
    async fn like(&self, creds: &Credentials, remote_id: &str) -> Result<(), ConnectorError> {
        if !remote_id.starts_with("urn:li:") {
            return Err(ConnectorError::Permanent {
                reason: format!("{remote_id:?} is not a LinkedIn URN"),
            });
        }
        let author = self.author(creds).await?;
        let body = json!({ "root": remote_id, "reactionType": "LIKE" });
        let result = self
            .call(
                creds,
                Method::POST,
                "/rest/reactions",
                &[("actor", author.urn())],
                Body::Json(&body),
                Effect::Read,
                "POST /rest/reactions",
            )
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(StatusCode::CONFLICT) => Ok(()),
            Err(e) => Err(scrub(e.into_error(SystemTime::now()), creds)),
        }
    }

    fn can_delete_comment(
        &self,
        _kind: owlery_domain::inbox::MessageKind,
    ) -> crate::inbox::Ability {
        crate::inbox::Ability::Not("LinkedIn's API lets only its author delete a comment")
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        use owlery_domain::inbox::MessageKind;
        let t = &req.target;
        if t.kind == MessageKind::Dm {
            return Err(crate::inbox::cannot_reply(Network::Linkedin, t.kind));
        }
        for urn in std::iter::once(&t.message_id).chain(t.root_id.iter()) {
            if !urn.starts_with("urn:li:") {
                return Err(ConnectorError::Permanent {
                    reason: format!("{urn:?} is not a LinkedIn URN"),
                });
            }
        }
        let author = self.author(creds).await?;
        let (path_urn, object, parent) = match (t.kind, t.root_id.as_deref()) {
            (MessageKind::Comment, Some(post)) => {
                (t.message_id.as_str(), post, Some(t.message_id.as_str()))
            }
            _ => (t.message_id.as_str(), t.message_id.as_str(), None),
        };
        let mut body = json!({
            "actor": author.urn(),
            "object": object,
            "message": { "text": req.text },
        });
        if let Some(parent) = parent {
            body["parentComment"] = json!(parent);
        }
        let answer = self
            .call(
                creds,
                Method::POST,
                &format!("/rest/socialActions/{}/comments", encode_urn(path_urn)),
                &[],
                Body::Json(&body),
                Effect::Write,
                "POST /rest/socialActions/comments",
            )
            .await
            .map_err(|e| match e.status() {
                Some(StatusCode::NOT_FOUND) => ConnectorError::Permanent {
                    reason: format!(
                        "the message to answer ({path_urn}) does not exist on LinkedIn any more"
                    ),
                },
                _ => e.into_error(SystemTime::now()),
            })?;
        let urn = comment_urn_of(&answer.body, &answer.headers).ok_or_else(|| {
            ConnectorError::Unknown {
                reason: "LinkedIn accepted the answer without saying its id; look it up before \
                         sending it again"
                    .into(),
            }
        })?;
        Ok(Published {
            url: comment_url(object, &urn),
            remote: RemoteRef {
                id: urn,
                cid: None,
                root: None,
            },
        })
    }

    /// An answer is a comment on the message answered (nested under a comment, or on the post
    /// that mentions the organisation): that object's comments are read
    /// (`GET /rest/socialActions/{urn}/comments`, pages of [`LOOKUP_PAGE`]) for one by the same
    /// actor with the same text since the first attempt.
    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let t = &req.target;
        // What `reply` refuses was never sent.
        if t.kind == owlery_domain::inbox::MessageKind::Dm || !t.message_id.starts_with("urn:li:") {
            return Ok(Lookup::Absent);
        }
        let result = async {
            let author = self.author(creds).await?;
            let object = RemoteRef {
                id: t.message_id.clone(),
                cid: None,
                root: None,
            };
            let found = self
                .lookup_comment(creds, &author, &req.as_publish(true), &object, since)
                .await?;
            // Said as `reply` says it: the comment, on the post it is under.
            Ok(match found {
                Lookup::Found(p) => {
                    let post = match (t.kind, t.root_id.as_deref()) {
                        (owlery_domain::inbox::MessageKind::Comment, Some(post)) => post,
                        _ => t.message_id.as_str(),
                    };
                    Lookup::Found(Published {
                        url: comment_url(post, &p.remote.id),
                        remote: RemoteRef {
                            id: p.remote.id,
                            cid: None,
                            root: None,
                        },
                    })
                }
                other => other,
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
            check_request(req)?;
            let author = self.author(creds).await?;
            if req.as_comment
                && let Some(post) = &req.reply_to
            {
                return self.publish_comment(creds, &author, req, post).await;
            }
            let part = &req.part;
            let mut content = None;
            if let [video] = part.media.as_slice()
                && video.kind == MediaKind::Video
            {
                let urn = self.upload_video(creds, &author, &video.bytes).await?;
                let mut media = json!({ "id": urn });
                if let Some(title) = part.title.as_deref().filter(|t| !t.trim().is_empty()) {
                    media["title"] = json!(title);
                }
                content = Some(json!({ "media": media }));
            } else if !part.media.is_empty() {
                let mut images = Vec::with_capacity(part.media.len());
                for m in &part.media {
                    let urn = self.upload_image(creds, &author, &m.bytes).await?;
                    let mut image = json!({ "id": urn });
                    if !m.alt.trim().is_empty() {
                        image["altText"] = json!(m.alt);
                    }
                    images.push(image);
                }
                content = Some(match images.as_slice() {
                    [one] => json!({ "media": one }),
                    _ => json!({ "multiImage": { "images": images } }),
                });
            } else if let Some(link) = &part.link {
                let title = part
                    .title
                    .as_deref()
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or(link);
                content = Some(json!({ "article": { "source": link, "title": title } }));
            }
            let mut body = json!({
                "author": author.urn(),
                "commentary": escape_little(&part.text),
                "visibility": "PUBLIC",
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": false,
            });
            if let Some(content) = content {
                body["content"] = content;
            }
            let answer = self
                .call(
                    creds,
                    Method::POST,
                    "/rest/posts",
                    &[],
                    Body::Json(&body),
                    Effect::Write,
                    "POST /rest/posts",
                )
                .await
                .map_err(|e| e.into_error(SystemTime::now()))?;
            let urn = answer
                .headers
                .get("x-restli-id")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|s| s.starts_with("urn:li:"))
                .map(str::to_owned)
                .ok_or_else(|| ConnectorError::Unknown {
                    reason: "LinkedIn accepted the post without saying its id (no x-restli-id); \
                             look it up before sending it again"
                        .into(),
                })?;
            tracing::info!(network = "linkedin", post.urn = %urn, "published");
            Ok(Published {
                url: post_url(&urn),
                remote: RemoteRef {
                    id: urn,
                    cid: None,
                    root: None,
                },
            })
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// By the author's recent posts (or the post's comments) with the same text since `since`.
    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let result = async {
            let author = self.author(creds).await?;
            match (&req.reply_to, req.as_comment) {
                (Some(post), true) => self.lookup_comment(creds, &author, req, post, since).await,
                _ => self.lookup_post(creds, &author, req, since).await,
            }
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        let result = async {
            let (path, query, bucket) = if let Some((target, id)) = parse_comment_urn(&remote.id) {
                let actor = self.author(creds).await?;
                (
                    format!(
                        "/rest/socialActions/{}/comments/{}",
                        encode_urn(target),
                        encode_urn(id)
                    ),
                    Some(actor.urn().to_owned()),
                    "DELETE /rest/socialActions/comments",
                )
            } else if remote.id.starts_with("urn:li:share:")
                || remote.id.starts_with("urn:li:ugcPost:")
            {
                (
                    format!("/rest/posts/{}", encode_urn(&remote.id)),
                    None,
                    "DELETE /rest/posts",
                )
            } else {
                return Err(ConnectorError::Permanent {
                    reason: format!("{:?} is not a LinkedIn post or comment", remote.id),
                });
            };
            let query: Vec<(&str, &str)> = query
                .as_deref()
                .map(|a| vec![("actor", a)])
                .unwrap_or_default();
            // Deleting twice is harmless: a failure midway is simply retried.
            match self
                .call(
                    creds,
                    Method::DELETE,
                    &path,
                    &query,
                    Body::Restli("DELETE"),
                    Effect::Read,
                    bucket,
                )
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if matches!(e.status(), Some(StatusCode::NOT_FOUND | StatusCode::GONE)) => {
                    Ok(())
                }
                Err(e) => Err(e.into_error(SystemTime::now())),
            }
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// `socialActions`: likes and comments; 404 means the post is gone.
    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        let result = async {
            let path = format!("/rest/socialActions/{}", encode_urn(&remote.id));
            let answer = match self
                .call(
                    creds,
                    Method::GET,
                    &path,
                    &[],
                    Body::None,
                    Effect::Read,
                    "GET /rest/socialActions",
                )
                .await
            {
                Ok(a) => a,
                Err(e) if matches!(e.status(), Some(StatusCode::NOT_FOUND | StatusCode::GONE)) => {
                    return Ok(RemoteStatus::default());
                }
                Err(e)
                    if e.status() == Some(StatusCode::FORBIDDEN)
                        && matches!(
                            creds.account_id.as_deref().map(Author::parse),
                            None | Some(Ok(Author::Person(_)))
                        ) =>
                {
                    return Err(ConnectorError::Permanent {
                        reason: "LinkedIn lets apps read a member's post counts only with the \
                                 restricted r_member_social permission"
                            .into(),
                    });
                }
                Err(e) => return Err(e.into_error(SystemTime::now())),
            };
            let b = &answer.body;
            let n = |p: &str| b.pointer(p).and_then(Value::as_u64);
            Ok(RemoteStatus {
                exists: true,
                metrics: Metrics {
                    likes: n("/likesSummary/totalLikes")
                        .or_else(|| n("/likesSummary/aggregatedTotalLikes")),
                    comments: n("/commentsSummary/aggregatedTotalComments")
                        .or_else(|| n("/commentsSummary/totalFirstLevelComments")),
                    shares: None,
                    views: None,
                    saves: None,
                },
            })
        }
        .await;
        result.map_err(|e| scrub(e, creds))
    }

    /// `grant_type=refresh_token` where LinkedIn gave the app refresh tokens; `Ok(None)` without
    /// one (the channel is reconnected when the token expires, about 60 days after connecting).
    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        let Some(refresh) = &creds.refresh else {
            return Ok(None);
        };
        let Some(app) = &creds.app else {
            return Err(ConnectorError::Permanent {
                reason: "the organisation's LinkedIn app (client id and secret) is not set up, so \
                         the token cannot be refreshed"
                    .into(),
            });
        };
        oauth::refresh(&self.http, &self.spec(), app, refresh, SystemTime::now())
            .await
            .map(Some)
            .map_err(|e| scrub(e, creds))
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(self.spec())
    }

    /// The member (`/v2/userinfo`) and the organisation pages they may post for
    /// ([`Linkedin::organizations`]), all with the grant's token.
    async fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        _service: Option<&str>,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let creds = crate::grant_credentials(&grant, None, app);
        let me = self.member(&creds).await.map_err(|e| scrub(e, &creds))?;
        let mut accounts = vec![GrantedAccount::with_grant(
            AccountKind::Profile,
            me.id.clone(),
            me.id,
            me.handle,
            &grant,
        )];
        for page in self.organizations(&creds).await? {
            accounts.push(GrantedAccount::with_grant(
                AccountKind::Organization,
                page.urn.clone(),
                page.vanity.unwrap_or_else(|| page.urn.clone()),
                page.name,
                &grant,
            ));
        }
        Ok(accounts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MediaUpload, PublishPart};
    use reqwest::header::HeaderValue;

    #[test]
    fn little_text_is_escaped_but_hashtags_stay() {
        assert_eq!(escape_little("Hello (world)!"), r"Hello \(world\)!");
        assert_eq!(
            escape_little(r"a_b *c* ~d~ <e> [f] {g} |h| @i \j"),
            r"a\_b \*c\* \~d\~ \<e\> \[f\] \{g\} \|h\| \@i \\j"
        );
        assert_eq!(escape_little("#rust and #Ελλάδα"), "#rust and #Ελλάδα");
        assert_eq!(
            escape_little("issue#4, # alone, ##"),
            r"issue\#4, \# alone, \#\#"
        );
        assert_eq!(
            escape_little("plain text, 100% ok."),
            "plain text, 100% ok."
        );
    }

    #[test]
    fn little_text_reads_back_as_written() {
        for text in [
            "Hello (world)! a_b *c* @i \\j",
            "#rust is {fun} [really]",
            "emoji 🦉 and ünïcödé",
        ] {
            assert_eq!(unescape_little(&escape_little(text)), text);
        }
        assert_eq!(
            unescape_little(r"Go {hashtag|\#|Rust} now \(yes\)"),
            "Go #Rust now (yes)"
        );
        assert_eq!(
            unescape_little("Hi @[Eddy](urn:li:person:1234)!"),
            "Hi Eddy!"
        );
        assert_eq!(unescape_little("trailing \\"), "trailing ");
    }

    #[test]
    fn text_is_compared_without_whitespace_differences() {
        assert_eq!(normalize("  a\n\n b\tc  "), "a b c");
        assert_ne!(normalize("a b"), normalize("a  c"));
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn urns_and_urls() {
        assert_eq!(encode_urn("urn:li:share:123"), "urn%3Ali%3Ashare%3A123");
        assert_eq!(
            encode_urn("urn:li:comment:(urn:li:activity:1,2)"),
            "urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A1%2C2%29"
        );
        assert_eq!(
            post_url("urn:li:share:1"),
            "https://www.linkedin.com/feed/update/urn:li:share:1/"
        );
        assert_eq!(
            parse_comment_urn("urn:li:comment:(urn:li:activity:1,2)"),
            Some(("urn:li:activity:1", "2"))
        );
        assert_eq!(parse_comment_urn("urn:li:share:1"), None);
        assert_eq!(
            Author::parse("urn:li:organization:42").unwrap(),
            Author::Organization("urn:li:organization:42".into())
        );
        assert!(matches!(
            Author::parse("urn:li:person:aBc-9_").unwrap(),
            Author::Person(_)
        ));
        assert!(Author::parse("urn:li:company:42").is_err());
        assert!(Author::parse("urn:li:person:").is_err());
        assert!(Author::parse("urn:li:person:a/../b").is_err());
        assert!(is_linkedin_host("https://www.linkedin.com/dms-uploads/x"));
        assert!(is_linkedin_host("https://api.linkedin.com/mediaUpload/x"));
        assert!(!is_linkedin_host("https://evil-linkedin.com/x"));
        assert!(!is_linkedin_host("http://www.linkedin.com/x"));
        assert!(!is_linkedin_host("http://127.0.0.1:9/upload"));
    }

    #[test]
    fn a_429_without_retry_after_waits_until_midnight_utc() {
        // 2024-01-01T23:00:00Z
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_150_000);
        assert_eq!(until_midnight_utc(now), Duration::from_secs(3600));
        let none = HeaderMap::new();
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &none, None, None, now),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(3600))
            }
        );
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("30"));
        assert_eq!(rate_limit_wait(&h, now), Duration::from_secs(30));
    }

    #[test]
    fn documented_errors_are_classified() {
        let h = HeaderMap::new();
        let now = SystemTime::now();
        let c = |status: u16, code: Option<&str>, msg: Option<&str>| {
            classify(StatusCode::from_u16(status).unwrap(), &h, code, msg, now)
        };
        assert!(matches!(
            c(
                401,
                Some("REVOKED_ACCESS_TOKEN"),
                Some("The token used in the request has been revoked by the user")
            ),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(
                401,
                Some("EXPIRED_ACCESS_TOKEN"),
                Some("The token used in the request has expired")
            ),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(403, Some("ACCESS_DENIED"), Some("Not enough permissions to access: POST /posts")),
            ConnectorError::Auth { reason } if reason.contains("Not enough permissions")
        ));
        assert!(matches!(
            c(422, None, Some("ERROR :: /commentary :: length of 3100 exceeds maximum 3000")),
            ConnectorError::Permanent { reason } if reason.contains("exceeds maximum 3000")
        ));
        assert!(matches!(
            c(422, None, Some("Content is a duplicate of urn:li:share:7000")),
            ConnectorError::Permanent { reason } if reason.contains("duplicate") && reason.contains("already be")
        ));
        assert!(matches!(
            c(409, None, Some("conflict")),
            ConnectorError::Permanent { .. }
        ));
        assert!(matches!(
            c(500, None, Some("Internal Server Error")),
            ConnectorError::Temporary { .. }
        ));
        assert!(matches!(
            c(404, None, Some("Not Found")),
            ConnectorError::Permanent { .. }
        ));
    }

    #[test]
    fn what_linkedin_cannot_do_is_refused() {
        let image = |mime: &str| MediaUpload {
            bytes: vec![1, 2, 3],
            mime: mime.into(),
            ..MediaUpload::default()
        };
        let video = MediaUpload {
            kind: MediaKind::Video,
            bytes: vec![1],
            mime: "video/mp4".into(),
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
        assert!(check_request(&with(vec![image("image/png"); 20])).is_ok());
        assert!(check_request(&with(vec![image("image/png"); 21])).is_err());
        assert!(check_request(&with(vec![image("image/webp")])).is_err());
        assert!(check_request(&with(vec![video.clone()])).is_ok());
        assert!(check_request(&with(vec![video.clone(), video.clone()])).is_err());
        assert!(check_request(&with(vec![video, image("image/png")])).is_err());
        let long = PublishRequest::new("k", "x".repeat(MAX_TEXT_CHARS + 1));
        assert!(check_request(&long).is_err());
        let mut story = PublishRequest::new("k", "t");
        story.placement = "story".into();
        assert!(check_request(&story).is_err());
    }

    #[test]
    fn comment_urns_are_read_from_any_documented_place() {
        let none = HeaderMap::new();
        assert_eq!(
            comment_urn_of(
                &json!({"$URN": "urn:li:comment:(urn:li:activity:1,2)"}),
                &none
            ),
            Some("urn:li:comment:(urn:li:activity:1,2)".into())
        );
        assert_eq!(
            comment_urn_of(&json!({"object": "urn:li:activity:1", "id": "7"}), &none),
            Some("urn:li:comment:(urn:li:activity:1,7)".into())
        );
        let mut h = HeaderMap::new();
        h.insert(
            "x-restli-id",
            HeaderValue::from_static("urn:li:comment:(urn:li:share:1,9)"),
        );
        assert_eq!(
            comment_urn_of(&Value::Null, &h),
            Some("urn:li:comment:(urn:li:share:1,9)".into())
        );
        assert_eq!(comment_urn_of(&json!({}), &none), None);
    }
}
