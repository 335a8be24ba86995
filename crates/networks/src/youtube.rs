//! YouTube: the YouTube Data API v3 and Google's OAuth 2.0 for web server apps.
//!
//! - **verify**: `GET /youtube/v3/channels?part=snippet&mine=true` → the channel id, its
//!   `customUrl` (`@handle`) or title (<https://developers.google.com/youtube/v3/docs/channels/list>).
//! - **publish a video** (placements `video` and `short`): a resumable upload
//!   (<https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol>,
//!   <https://developers.google.com/youtube/v3/docs/videos/insert>):
//!   `POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status` with the metadata
//!   (`snippet.title`, `snippet.description`, `snippet.tags`, `snippet.defaultLanguage`,
//!   `status.privacyStatus: public`) and `X-Upload-Content-Type`/`X-Upload-Content-Length`; the
//!   answer's `Location` is the upload session, where the bytes go in one `PUT`; its answer is the
//!   video resource. The token is sent to the session address only when it is on the API's own
//!   origin (it is, on Google).
//!   - title: `PublishPart::title`, else the text's first line cut to 100 characters; at most 100
//!     characters, no `<` or `>`; description: the text, at most 5,000 bytes, no `<` or `>`; tags:
//!     the text's hashtags, within YouTube's 500 characters (all per the `videos` resource
//!     reference, <https://developers.google.com/youtube/v3/docs/videos#resource>).
//!   - a **Short** is not a flag in the API: YouTube makes any square or vertical video of at most
//!     3 minutes a Short (third-party summary: <https://docs.getlate.dev/resources/media-guidelines/youtube>),
//!     so `short` refuses landscape videos, videos over 180 s and videos whose size or length is
//!     unknown; its address is `https://www.youtube.com/shorts/{id}`.
//! - **first comment** (`as_comment` on a video): `POST /youtube/v3/commentThreads?part=snippet`
//!   with `snippet.videoId` and `snippet.topLevelComment.snippet.textOriginal`
//!   (<https://developers.google.com/youtube/v3/docs/commentThreads/insert>). The comment's
//!   [`RemoteRef`] has the video as `root`; `delete` and `status` use that to tell comments from
//!   videos.
//! - **exactly once**: YouTube has no idempotency key. The connector remembers, in memory, the
//!   upload session of each idempotency key; `lookup` (and a repeated `publish`) first ask that
//!   session where the upload stands (`PUT` with `Content-Range: bytes */size`: 200/201 = done,
//!   with the video; 308 = incomplete, so no video exists). Without a session (a restart) it reads
//!   the channel's uploads playlist (`channels?part=contentDetails&mine=true` →
//!   `relatedPlaylists.uploads` → `playlistItems?part=snippet&maxResults=50`, newest first, up to
//!   four pages) for a video with the same title and description added since the first attempt:
//!   `Found`, `Absent` when the list reaches back before that time, else `CannotTell`. Within
//!   five minutes of the attempt an empty answer is `Temporary` instead of `Absent`, as the
//!   playlist can lag behind a fresh upload. First comments are looked up in the video's
//!   `commentThreads` (newest first) by text and author channel.
//! - **inbox**: comments on the channel's videos, polled with `commentThreads.list` and
//!   `comments.list` ([`inbox`]).
//! - **delete**: `DELETE /youtube/v3/videos?id=` (or `/youtube/v3/comments?id=` for a comment);
//!   404 is success (already gone).
//! - **status**: `GET /youtube/v3/videos?part=statistics,status&id=` (`viewCount`, `likeCount`,
//!   `commentCount`; no item, or an upload `rejected`/`deleted`/`failed`, → does not exist); for a
//!   comment, `commentThreads?part=snippet&id=` (likes, replies).
//! - **errors** (`{"error":{"code","message","errors":[{"reason","message","domain"}]}}`,
//!   <https://developers.google.com/youtube/v3/docs/errors>): `quotaExceeded`,
//!   `dailyLimitExceeded` (the project's daily quota) and `uploadLimitExceeded` (the channel's
//!   uploads) → `RateLimited` until the next midnight Pacific Time, when the quota resets
//!   ([`pacific`]), filed in the budget book (the project's quota for every channel, the upload
//!   limit for this channel); `rateLimitExceeded`, 429 → `RateLimited`; 401,
//!   `forbidden`, `insufficientPermissions` → `Auth`; other 400s (`invalidTitle` …) → `Permanent`
//!   with YouTube's message (HTML removed); 5xx → `Temporary` ([`classify`]), except a 5xx to the
//!   `PUT` of the bytes, which is `Unknown` (all bytes may have arrived; the kept session tells
//!   `lookup`). Google sends no rate-limit headers; standard ones would be filed.
//! - **OAuth** (<https://developers.google.com/identity/protocols/oauth2/web-server>): authorize at
//!   `https://accounts.google.com/o/oauth2/v2/auth` with `access_type=offline` and
//!   `prompt=consent` (so a refresh token comes back), PKCE S256, scopes `youtube.upload`,
//!   `youtube.force-ssl` (comments, delete), `youtube.readonly`; tokens at
//!   `https://oauth2.googleapis.com/token`. Google does not rotate refresh tokens (the grant has no
//!   new one); `invalid_grant` → `Auth`.
//!
//! Refused before anything is sent: text-only and image posts (community posts are not in the
//! Data API), threads (a video cannot answer a video), comments with media or on a comment, more
//! than one video, other placements. Not implemented: resuming an interrupted upload from its
//! offset (a repeat starts a new session; an incomplete one never becomes a video), thumbnails,
//! playlists, scheduling (`status.publishAt`), `selfDeclaredMadeForKids`, categories (YouTube's
//! default applies). Uploads by a Google Cloud project YouTube has not audited are locked private
//! by YouTube whatever `privacyStatus` says.
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/youtube_fixture.rs`); not verified against the live network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect};
use crate::oauth::{self, OAuthSpec};
use crate::{
    AccountInfo, AccountKind, AppCredentials, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, MediaUpload, Metrics, Network, PublishPart, PublishRequest,
    Published, RemoteRef, RemoteStatus, TokenGrant,
};

mod inbox;
pub mod pacific;

/// The API host; uploads go to `/upload/youtube/v3` on it (`Env::base_url` replaces it in tests).
pub const DEFAULT_API_BASE: &str = "https://www.googleapis.com";
/// Google's token host (`Env::base_url` replaces it too: the token path is then `/token` on it).
pub const DEFAULT_TOKEN_BASE: &str = "https://oauth2.googleapis.com";
pub const AUTHORIZE_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Uploading, managing comments and deleting (`force-ssl`), reading the channel and statistics.
pub const SCOPES: [&str; 3] = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
    "https://www.googleapis.com/auth/youtube.readonly",
];
/// `snippet.title`: at most 100 characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// `snippet.description`: at most 5,000 bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 5_000;
/// `snippet.tags`: at most 500 characters in all (a comma between two tags counts).
pub const MAX_TAGS_CHARS: usize = 500;
/// A Short is at most 3 minutes long.
pub const MAX_SHORT_SECONDS: u64 = 180;
/// Pages of 50 uploads (or 100 comments) `lookup` reads at most.
const LOOKUP_PAGES: usize = 4;
/// The uploads playlist may not show a fresh upload yet: within this time of the attempt, not
/// finding it proves nothing.
const LISTING_LAG: Duration = Duration::from_secs(5 * 60);
/// Clock differences between Owlery and YouTube, allowed when comparing times.
const CLOCK_SKEW: Duration = Duration::from_secs(120);
const JSON_UTF8: &str = "application/json; charset=UTF-8";

/// The YouTube connector. One per process: it remembers the upload session of each idempotency
/// key.
pub struct Youtube {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    base: String,
    token_base: String,
    /// (account, idempotency key) → the upload session made for it.
    sessions: Mutex<HashMap<(String, String), Session>>,
}

#[derive(Clone, Debug)]
struct Session {
    url: String,
    size: u64,
    short: bool,
}

/// Where an upload session stands.
enum SessionState {
    /// All bytes arrived: the video resource.
    Complete(Value),
    /// 308: bytes are missing, so no video exists.
    Incomplete,
    /// 404/410: the session expired; nothing can be learned from it.
    Gone,
}

/// Which budget a quota error empties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaHit {
    /// The Google Cloud project's daily quota: every channel of the app waits.
    Project,
    /// The channel's upload limit.
    Uploads,
    /// A short-term rate limit of the channel.
    Rate,
}

/// The first `errors[].reason` of a Google error body.
pub fn reason_of(body: &Value) -> &str {
    body.pointer("/error/errors/0/reason")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Which budget an error answer empties, if any.
pub fn quota_hit(status: StatusCode, body: &Value) -> Option<QuotaHit> {
    match reason_of(body) {
        "quotaExceeded" | "dailyLimitExceeded" => Some(QuotaHit::Project),
        "uploadLimitExceeded" => Some(QuotaHit::Uploads),
        "rateLimitExceeded" | "userRateLimitExceeded" => Some(QuotaHit::Rate),
        _ if status == StatusCode::TOO_MANY_REQUESTS => Some(QuotaHit::Rate),
        _ => None,
    }
}

/// Removes HTML tags (Google's quota message links to the quota page) and collapses whitespace.
pub fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    normalize(&out)
}

/// A Google error answer as a connector error.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &Value,
    now: SystemTime,
) -> ConnectorError {
    let reason = reason_of(body);
    let message = body
        .pointer("/error/message")
        .or_else(|| body.pointer("/error/errors/0/message"))
        .and_then(Value::as_str)
        .map(strip_html)
        .unwrap_or_default();
    let said = match (message.is_empty(), reason.is_empty()) {
        (false, false) => format!("{message} [{reason}]"),
        (false, true) => message.clone(),
        (true, false) => reason.to_owned(),
        (true, true) => String::new(),
    };
    match reason {
        "quotaExceeded" | "dailyLimitExceeded" | "uploadLimitExceeded" => {
            ConnectorError::RateLimited {
                retry_after: Some(pacific::until_next_midnight(now)),
            }
        }
        "rateLimitExceeded" | "userRateLimitExceeded" => ConnectorError::RateLimited {
            retry_after: http::retry_after(headers, now),
        },
        "forbidden" | "insufficientPermissions" => ConnectorError::Auth {
            reason: format!(
                "YouTube refused this channel's connection the action ({said}): reconnect the \
                 channel and allow everything Owlery asks for"
            ),
        },
        "youtubeSignupRequired" => ConnectorError::Auth {
            reason: format!(
                "the Google account has no YouTube channel ({said}): create the channel, then \
                 reconnect"
            ),
        },
        "commentsDisabled" => ConnectorError::Permanent {
            reason: format!("comments are turned off on this video ({said})"),
        },
        _ if status == StatusCode::UNAUTHORIZED => ConnectorError::Auth {
            reason: format!(
                "YouTube no longer accepts this channel's token ({said}): reconnect the channel"
            ),
        },
        _ if status == StatusCode::BAD_REQUEST => ConnectorError::Permanent {
            reason: format!("YouTube rejected the request: {said}"),
        },
        _ => http::classify_status(status, headers, &said, now),
    }
}

/// Whitespace collapsed to single spaces, trimmed: how texts are compared.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn refuse(reason: impl Into<String>) -> ConnectorError {
    ConnectorError::Permanent {
        reason: reason.into(),
    }
}

/// The video's title: the part's title, else the text's first line cut to 100 characters.
pub fn video_title(part: &PublishPart) -> Result<String, ConnectorError> {
    if let Some(title) = part
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let chars = title.chars().count();
        if chars > MAX_TITLE_CHARS {
            return Err(refuse(format!(
                "the title is {chars} characters long; YouTube takes at most {MAX_TITLE_CHARS}: \
                 shorten it"
            )));
        }
        if title.contains(['<', '>']) {
            return Err(refuse(
                "YouTube titles cannot contain < or >: remove them from the title",
            ));
        }
        return Ok(title.to_owned());
    }
    let first_line = part
        .text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let clean: String = first_line
        .chars()
        .filter(|c| !matches!(c, '<' | '>'))
        .collect();
    let clean = normalize(&clean);
    if clean.is_empty() {
        return Err(refuse(
            "a YouTube video needs a title: give the post a title or some text",
        ));
    }
    if clean.chars().count() <= MAX_TITLE_CHARS {
        return Ok(clean);
    }
    let cut: String = clean.chars().take(MAX_TITLE_CHARS - 1).collect();
    Ok(format!("{}…", cut.trim_end()))
}

/// The video's description: the text, checked against YouTube's rules.
pub fn video_description(text: &str) -> Result<String, ConnectorError> {
    if text.len() > MAX_DESCRIPTION_BYTES {
        return Err(refuse(format!(
            "the description has {} bytes; YouTube takes at most {MAX_DESCRIPTION_BYTES}: \
             shorten it",
            text.len()
        )));
    }
    if text.contains(['<', '>']) {
        return Err(refuse(
            "YouTube descriptions cannot contain < or >: remove them from the text",
        ));
    }
    Ok(text.to_owned())
}

/// The text's hashtags as tags (without `#`, each once), as many as fit in 500 characters.
pub fn tags_from(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let Some(rest) = word.strip_prefix('#') else {
            continue;
        };
        let tag: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if tag.is_empty() || tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            continue;
        }
        let cost = tag.chars().count() + usize::from(!tags.is_empty());
        if used + cost > MAX_TAGS_CHARS {
            break;
        }
        used += cost;
        tags.push(tag);
    }
    tags
}

/// Where people see a video.
pub fn video_url(id: &str, short: bool) -> String {
    if short {
        format!("https://www.youtube.com/shorts/{id}")
    } else {
        format!("https://www.youtube.com/watch?v={id}")
    }
}

/// Where people see a comment.
pub fn comment_url(video_id: &str, comment_id: &str) -> String {
    format!("https://www.youtube.com/watch?v={video_id}&lc={comment_id}")
}

/// What a request asks of YouTube, checked before anything is sent.
#[derive(Debug)]
enum Plan<'a> {
    Video {
        media: &'a MediaUpload,
        title: String,
        description: String,
        tags: Vec<String>,
        short: bool,
    },
    Comment {
        video: &'a RemoteRef,
        text: &'a str,
    },
}

fn plan(req: &PublishRequest) -> Result<Plan<'_>, ConnectorError> {
    let part = &req.part;
    match (&req.reply_to, req.as_comment) {
        (Some(_), false) => {
            return Err(refuse(
                "YouTube has no threads: a video cannot answer another video; publish it on its \
                 own, or as a comment",
            ));
        }
        (None, true) => {
            return Err(refuse(
                "a YouTube comment needs the video it belongs to: publish the video first",
            ));
        }
        (Some(video), true) => {
            if video.root.is_some() {
                return Err(refuse(
                    "YouTube first comments go on a video, not on another comment",
                ));
            }
            if !part.media.is_empty() {
                return Err(refuse(
                    "YouTube comments are text only: remove the media from the comment",
                ));
            }
            if part.text.trim().is_empty() {
                return Err(refuse("the comment is empty"));
            }
            return Ok(Plan::Comment {
                video,
                text: &part.text,
            });
        }
        (None, false) => {}
    }
    let short = match req.placement.as_str() {
        "" | "video" => false,
        "short" => true,
        other => {
            return Err(refuse(format!(
                "YouTube has no placement {other:?}: use video or short"
            )));
        }
    };
    if part.media.is_empty() {
        return Err(refuse(
            "YouTube posts are videos: text-only posts (community posts) are not in the YouTube \
             API; add a video",
        ));
    }
    if part.media.iter().any(|m| m.kind != MediaKind::Video) {
        return Err(refuse(
            "YouTube takes videos only: image posts (community posts) are not in the YouTube API",
        ));
    }
    let [media] = part.media.as_slice() else {
        return Err(refuse(format!(
            "{} videos: a YouTube upload is one video; split the post",
            part.media.len()
        )));
    };
    if media.bytes.is_empty() {
        return Err(refuse("the video is empty"));
    }
    if !media.mime.is_empty() && !media.mime.starts_with("video/") {
        return Err(refuse(format!(
            "the video is {}, not a video type",
            media.mime
        )));
    }
    if short {
        match media.duration_ms {
            None => {
                return Err(refuse(
                    "the video's length is unknown, so it cannot be checked to be a Short (at \
                     most 3 minutes): publish it as a video",
                ));
            }
            Some(ms) if ms > MAX_SHORT_SECONDS * 1000 => {
                return Err(refuse(format!(
                    "the video is {} s long; a YouTube Short is at most {MAX_SHORT_SECONDS} s: \
                     shorten it or publish it as a video",
                    ms.div_ceil(1000)
                )));
            }
            Some(_) => {}
        }
        if media.width == 0 || media.height == 0 {
            return Err(refuse(
                "the video's size is unknown, so it cannot be checked to be vertical: publish it \
                 as a video",
            ));
        }
        if media.width > media.height {
            return Err(refuse(format!(
                "the video is {}×{}, landscape; a YouTube Short is vertical or square: publish it \
                 as a video",
                media.width, media.height
            )));
        }
    }
    Ok(Plan::Video {
        media,
        title: video_title(part)?,
        description: video_description(&part.text)?,
        tags: tags_from(&part.text),
        short,
    })
}

/// An answer: status, headers, the body as JSON (`Null` if it is not).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

fn unexpected(what: &str, effect: Effect) -> ConnectorError {
    let reason = format!("unexpected answer from YouTube: {what}");
    match effect {
        Effect::Read => ConnectorError::Temporary {
            reason,
            retry_after: None,
        },
        Effect::Write => ConnectorError::Unknown { reason },
    }
}

fn time_of(v: &Value, pointer: &str) -> Option<SystemTime> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc).into())
}

/// A count as YouTube sends statistics: a string of digits (or a number).
fn count(v: &Value, pointer: &str) -> Option<u64> {
    v.pointer(pointer).and_then(|n| {
        n.as_u64()
            .or_else(|| n.as_str().and_then(|s| s.parse().ok()))
    })
}

fn video_published(video: &Value, short: bool) -> Result<Published, ConnectorError> {
    let id = video
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| unexpected("the uploaded video has no id", Effect::Write))?;
    Ok(Published {
        url: video_url(id, short),
        remote: RemoteRef {
            id: id.to_owned(),
            cid: None,
            root: None,
        },
    })
}

/// The top-level comment of a thread, from a comment's id (`<top-level>` or
/// `<top-level>.<reply>`), checked before it is sent.
fn top_level_comment(id: &str) -> Result<&str, ConnectorError> {
    let top = id.trim().split('.').next().unwrap_or("");
    if !top.is_empty()
        && top
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(top)
    } else {
        Err(ConnectorError::Permanent {
            reason: format!("{id:?} is not a YouTube comment id"),
        })
    }
}

fn comment_published(video: &RemoteRef, comment_id: &str) -> Published {
    Published {
        url: comment_url(&video.id, comment_id),
        remote: RemoteRef {
            id: comment_id.to_owned(),
            cid: None,
            root: Some(Box::new(RemoteRef {
                id: video.id.clone(),
                cid: None,
                root: None,
            })),
        },
    }
}

/// A channel the token may upload to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YoutubeChannel {
    pub id: String,
    /// `@handle`, else the id.
    pub handle: String,
    pub title: String,
}

impl Youtube {
    pub fn new(env: Env) -> Result<Youtube, ConnectorError> {
        Ok(Youtube {
            http: http::client(env.http)?,
            budgets: env.budgets.clone(),
            base: env.base(DEFAULT_API_BASE),
            token_base: env.base(DEFAULT_TOKEN_BASE),
            sessions: Mutex::new(HashMap::new()),
        })
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Session>> {
        // Plain values: still consistent if a holder panicked.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key(creds: &Credentials, req: &PublishRequest) -> (String, String) {
        (creds.budget_key(), req.idempotency_key.clone())
    }

    fn spec(&self) -> OAuthSpec {
        let mut spec = OAuthSpec::standard(
            AUTHORIZE_URL,
            &format!("{}/token", self.token_base),
            &SCOPES,
        );
        spec.extra_authorize = vec![
            ("access_type".into(), "offline".into()),
            ("prompt".into(), "consent".into()),
        ];
        spec
    }

    /// The channels the token may upload to, for the connect flow's choice:
    /// `GET /youtube/v3/channels?part=snippet&mine=true&maxResults=50`
    /// (<https://developers.google.com/youtube/v3/docs/channels/list>). The handle is the
    /// channel's `@handle` (`snippet.customUrl`), else its id.
    pub async fn channels(
        &self,
        creds: &Credentials,
    ) -> Result<Vec<YoutubeChannel>, ConnectorError> {
        let answer = self
            .call(
                creds,
                Method::GET,
                "/youtube/v3/channels",
                &[("part", "snippet"), ("mine", "true"), ("maxResults", "50")],
                None,
                "channels.list",
                Effect::Read,
            )
            .await?;
        let items = answer
            .body
            .get("items")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        Ok(items
            .iter()
            .filter_map(|item| {
                let text = |p: &str| {
                    item.pointer(p)
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(str::to_owned)
                };
                let id = text("/id")?;
                Some(YoutubeChannel {
                    handle: text("/snippet/customUrl").unwrap_or_else(|| id.clone()),
                    title: text("/snippet/title").unwrap_or_else(|| id.clone()),
                    id,
                })
            })
            .collect())
    }

    /// Whether `url` is on the API's own origin (where the token may go).
    fn same_origin(&self, url: &url::Url) -> bool {
        url::Url::parse(&self.base).is_ok_and(|base| base.origin() == url.origin())
    }

    /// Sends a request and files what the answer says about the budget (429 and standard
    /// headers; quota errors are filed by [`Youtube::failure`]).
    async fn send(
        &self,
        creds: &Credentials,
        request: reqwest::RequestBuilder,
        bucket: &str,
        effect: Effect,
    ) -> Result<Answer, ConnectorError> {
        let response = request
            .send()
            .await
            .map_err(|e| http::classify_transport(&e, effect))?;
        let status = response.status();
        let headers = response.headers().clone();
        let now = SystemTime::now();
        if status != StatusCode::TOO_MANY_REQUESTS
            && let Some(limit) = http::rate_limit(&headers, now)
        {
            self.budgets.observe_headers(
                Network::Youtube,
                Scope::Account,
                &creds.budget_key(),
                bucket,
                limit,
                now,
            );
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http::classify_transport(&e, effect))?;
        tracing::debug!(
            network = "youtube",
            youtube.call = bucket,
            http.status = status.as_u16(),
            "youtube call"
        );
        Ok(Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// The error of a failed answer, with quota and rate limits filed in the budget book.
    fn failure(&self, creds: &Credentials, bucket: &str, answer: &Answer) -> ConnectorError {
        let now = SystemTime::now();
        let err = classify(answer.status, &answer.headers, &answer.body, now);
        let retry_after = err.retry_after();
        match quota_hit(answer.status, &answer.body) {
            Some(QuotaHit::Project) => {
                self.budgets.exhausted(
                    Network::Youtube,
                    Scope::App,
                    "",
                    "daily quota",
                    retry_after,
                    now,
                );
            }
            Some(QuotaHit::Uploads) => self.budgets.exhausted(
                Network::Youtube,
                Scope::Account,
                &creds.budget_key(),
                "uploads",
                retry_after,
                now,
            ),
            Some(QuotaHit::Rate) => self.budgets.exhausted(
                Network::Youtube,
                Scope::Account,
                &creds.budget_key(),
                bucket,
                retry_after,
                now,
            ),
            None => {}
        }
        tracing::info!(
            network = "youtube",
            youtube.call = bucket,
            http.status = answer.status.as_u16(),
            youtube.reason = reason_of(&answer.body),
            "youtube refused"
        );
        err
    }

    /// A Data API call; `Ok` for a 2xx answer.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call's parts; a struct would only rename them"
    )]
    async fn call(
        &self,
        creds: &Credentials,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        bucket: &str,
        effect: Effect,
    ) -> Result<Answer, ConnectorError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(creds.secret.expose_secret())
            .query(query);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, JSON_UTF8)
                .body(body.to_string());
        }
        let answer = self.send(creds, request, bucket, effect).await?;
        if answer.status.is_success() {
            Ok(answer)
        } else {
            Err(self.failure(creds, bucket, &answer))
        }
    }

    /// Asks an upload session where it stands.
    async fn session_state(
        &self,
        creds: &Credentials,
        session: &Session,
    ) -> Result<SessionState, ConnectorError> {
        let url = url::Url::parse(&session.url)
            .map_err(|_| refuse("the remembered upload address is not a URL"))?;
        let mut request = self
            .http
            .put(url.clone())
            .header(CONTENT_LENGTH, 0)
            .header(CONTENT_RANGE, format!("bytes */{}", session.size))
            .body(Vec::new());
        if self.same_origin(&url) {
            request = request.bearer_auth(creds.secret.expose_secret());
        }
        let answer = self
            .send(creds, request, "upload status", Effect::Read)
            .await?;
        match answer.status.as_u16() {
            200 | 201 => Ok(SessionState::Complete(answer.body)),
            308 => Ok(SessionState::Incomplete),
            404 | 410 => Ok(SessionState::Gone),
            _ => Err(self.failure(creds, "upload status", &answer)),
        }
    }

    async fn upload_video(
        &self,
        creds: &Credentials,
        key: &(String, String),
        media: &MediaUpload,
        metadata: &Value,
        short: bool,
    ) -> Result<Published, ConnectorError> {
        let mime = if media.mime.is_empty() {
            "application/octet-stream"
        } else {
            media.mime.as_str()
        };
        let size = media.bytes.len() as u64;
        // Starting a session creates nothing on the channel: safe to repeat.
        let request = self
            .http
            .post(format!("{}/upload/youtube/v3/videos", self.base))
            .bearer_auth(creds.secret.expose_secret())
            .query(&[("uploadType", "resumable"), ("part", "snippet,status")])
            .header(CONTENT_TYPE, JSON_UTF8)
            .header("X-Upload-Content-Length", size)
            .header("X-Upload-Content-Type", mime)
            .body(metadata.to_string());
        let answer = self
            .send(creds, request, "videos.insert", Effect::Read)
            .await?;
        if !answer.status.is_success() {
            return Err(self.failure(creds, "videos.insert", &answer));
        }
        let location = answer
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| url::Url::parse(v).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| unexpected("the upload session has no address", Effect::Read))?;
        self.sessions().insert(
            key.clone(),
            Session {
                url: location.to_string(),
                size,
                short,
            },
        );

        let mut request = self
            .http
            .put(location.clone())
            .header(CONTENT_TYPE, mime)
            .body(media.bytes.clone());
        if self.same_origin(&location) {
            request = request.bearer_auth(creds.secret.expose_secret());
        }
        // A failure after sending may have completed the upload: Unknown, and the session stays
        // known for lookup.
        let answer = self
            .send(creds, request, "videos.insert", Effect::Write)
            .await?;
        match answer.status.as_u16() {
            200 | 201 => {
                self.sessions().remove(key);
                video_published(&answer.body, short)
            }
            308 => {
                self.sessions().remove(key);
                Err(ConnectorError::Temporary {
                    reason: "YouTube received only part of the video; it will be sent again".into(),
                    retry_after: None,
                })
            }
            500..=599 => {
                // The bytes may all have arrived before the server failed: the session (kept)
                // tells lookup which.
                let _ = self.failure(creds, "videos.insert", &answer);
                Err(ConnectorError::Unknown {
                    reason: format!(
                        "YouTube answered {} while receiving the video; look it up before \
                         sending it again",
                        answer.status
                    ),
                })
            }
            _ => {
                // Refused: this session will never become a video.
                self.sessions().remove(key);
                Err(self.failure(creds, "videos.insert", &answer))
            }
        }
    }

    /// The channel's uploads playlist.
    async fn uploads_playlist(&self, creds: &Credentials) -> Result<String, ConnectorError> {
        let answer = self
            .call(
                creds,
                Method::GET,
                "/youtube/v3/channels",
                &[("part", "contentDetails"), ("mine", "true")],
                None,
                "channels.list",
                Effect::Read,
            )
            .await?;
        answer
            .body
            .pointer("/items/0/contentDetails/relatedPlaylists/uploads")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                refuse("the connected Google account has no YouTube channel with uploads")
            })
    }

    /// Pages through a newest-first list, calling `matches` on each item; stops at a match or
    /// once the list reaches back before `since`. `None` item: not found, with whether the list
    /// covered everything since `since`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one search's parts; a struct would only rename them"
    )]
    async fn search_newest_first(
        &self,
        creds: &Credentials,
        path: &str,
        query: &[(&str, &str)],
        bucket: &str,
        time_pointer: &str,
        since: SystemTime,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<(Option<Value>, bool), ConnectorError> {
        let oldest_wanted = since.checked_sub(CLOCK_SKEW).unwrap_or(since);
        let mut page_token: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            if let Some(t) = &page_token {
                q.push(("pageToken", t.as_str()));
            }
            let answer = self
                .call(creds, Method::GET, path, &q, None, bucket, Effect::Read)
                .await?;
            let items = answer
                .body
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut reached_older = false;
            for item in items {
                match time_of(&item, time_pointer) {
                    Some(t) if t < oldest_wanted => reached_older = true,
                    Some(_) if matches(&item) => return Ok((Some(item), true)),
                    _ => {}
                }
            }
            if reached_older {
                return Ok((None, true));
            }
            match answer.body.get("nextPageToken").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => page_token = Some(t.to_owned()),
                _ => return Ok((None, true)),
            }
        }
        Ok((None, false))
    }

    async fn lookup_video(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let key = Youtube::key(creds, req);
        let known = self.sessions().get(&key).cloned();
        if let Some(session) = known {
            match self.session_state(creds, &session).await? {
                SessionState::Complete(video) => {
                    self.sessions().remove(&key);
                    return Ok(Lookup::Found(video_published(&video, session.short)?));
                }
                SessionState::Incomplete => {
                    self.sessions().remove(&key);
                    return Ok(Lookup::Absent);
                }
                SessionState::Gone => {
                    self.sessions().remove(&key);
                }
            }
        }
        let (title, description) = match plan(req) {
            Ok(Plan::Video {
                title, description, ..
            }) => (normalize(&title), normalize(&description)),
            // What could not be sent was not sent.
            Ok(Plan::Comment { .. }) | Err(_) => return Ok(Lookup::Absent),
        };
        let short = req.placement == "short";
        let playlist = self.uploads_playlist(creds).await?;
        let (found, covered) = self
            .search_newest_first(
                creds,
                "/youtube/v3/playlistItems",
                &[
                    ("part", "snippet"),
                    ("playlistId", playlist.as_str()),
                    ("maxResults", "50"),
                ],
                "playlistItems.list",
                "/snippet/publishedAt",
                since,
                |item| {
                    let text = |k: &str| {
                        normalize(
                            item.pointer(&format!("/snippet/{k}"))
                                .and_then(Value::as_str)
                                .unwrap_or(""),
                        )
                    };
                    text("title") == title && text("description") == description
                },
            )
            .await?;
        if let Some(item) = found {
            let id = item
                .pointer("/snippet/resourceId/videoId")
                .or_else(|| item.pointer("/contentDetails/videoId"))
                .and_then(Value::as_str)
                .ok_or_else(|| unexpected("a playlist item has no video id", Effect::Read))?;
            return Ok(Lookup::Found(Published {
                url: video_url(id, short),
                remote: RemoteRef {
                    id: id.to_owned(),
                    cid: None,
                    root: None,
                },
            }));
        }
        if !covered {
            return Ok(Lookup::CannotTell {
                reason: format!(
                    "looked through the channel's newest {} uploads without reaching the time of \
                     the first attempt: check the channel in YouTube Studio",
                    LOOKUP_PAGES * 50
                ),
            });
        }
        fresh_or_absent(since)
    }

    async fn lookup_comment(
        &self,
        creds: &Credentials,
        video: &RemoteRef,
        text: &str,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let wanted = normalize(text);
        let author = creds.account_id.clone();
        let (found, covered) = self
            .search_newest_first(
                creds,
                "/youtube/v3/commentThreads",
                &[
                    ("part", "snippet"),
                    ("videoId", video.id.as_str()),
                    ("order", "time"),
                    ("textFormat", "plainText"),
                    ("maxResults", "100"),
                ],
                "commentThreads.list",
                "/snippet/topLevelComment/snippet/publishedAt",
                since,
                |item| {
                    let c = item
                        .pointer("/snippet/topLevelComment/snippet")
                        .unwrap_or(&Value::Null);
                    let said = c
                        .get("textOriginal")
                        .or_else(|| c.get("textDisplay"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let by = c.pointer("/authorChannelId/value").and_then(Value::as_str);
                    normalize(said) == wanted && author.as_deref().is_none_or(|a| by == Some(a))
                },
            )
            .await?;
        if let Some(item) = found {
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| unexpected("a comment thread has no id", Effect::Read))?;
            return Ok(Lookup::Found(comment_published(video, id)));
        }
        if !covered {
            return Ok(Lookup::CannotTell {
                reason: format!(
                    "looked through the video's newest {} comments without reaching the time of \
                     the first attempt: check the video's comments",
                    LOOKUP_PAGES * 100
                ),
            });
        }
        fresh_or_absent(since)
    }
}

/// Not found in a list covering `since` → now: `Absent`, unless the attempt is so recent that the
/// list may not show it yet.
fn fresh_or_absent(since: SystemTime) -> Result<Lookup, ConnectorError> {
    let age = SystemTime::now()
        .duration_since(since)
        .unwrap_or(Duration::ZERO);
    if age < LISTING_LAG {
        return Err(ConnectorError::Temporary {
            reason: "YouTube's lists may not show an upload this recent yet".into(),
            retry_after: Some(LISTING_LAG - age),
        });
    }
    Ok(Lookup::Absent)
}

impl Connector for Youtube {
    fn network(&self) -> Network {
        Network::Youtube
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let answer = self
            .call(
                creds,
                Method::GET,
                "/youtube/v3/channels",
                &[("part", "snippet"), ("mine", "true")],
                None,
                "channels.list",
                Effect::Read,
            )
            .await?;
        let channel = answer
            .body
            .pointer("/items/0")
            .ok_or_else(|| ConnectorError::Auth {
                reason: "the connected Google account has no YouTube channel: create one, then \
                     reconnect"
                    .into(),
            })?;
        let text = |p: &str| {
            channel
                .pointer(p)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let id = text("/id").ok_or_else(|| unexpected("the channel has no id", Effect::Read))?;
        let handle = text("/snippet/customUrl")
            .or_else(|| text("/snippet/title"))
            .unwrap_or_else(|| id.clone());
        Ok(AccountInfo { id, handle })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        match plan(req)? {
            Plan::Comment { video, text } => {
                let body = json!({
                    "snippet": {
                        "videoId": video.id,
                        "topLevelComment": { "snippet": { "textOriginal": text } },
                    }
                });
                let answer = self
                    .call(
                        creds,
                        Method::POST,
                        "/youtube/v3/commentThreads",
                        &[("part", "snippet")],
                        Some(&body),
                        "commentThreads.insert",
                        Effect::Write,
                    )
                    .await?;
                let id = answer
                    .body
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| unexpected("the new comment has no id", Effect::Write))?;
                Ok(comment_published(video, id))
            }
            Plan::Video {
                media,
                title,
                description,
                tags,
                short,
            } => {
                let key = Youtube::key(creds, req);
                let known = self.sessions().get(&key).cloned();
                if let Some(session) = known {
                    // A repeat: the earlier upload may have finished.
                    match self.session_state(creds, &session).await? {
                        SessionState::Complete(video) => {
                            self.sessions().remove(&key);
                            return video_published(&video, session.short);
                        }
                        SessionState::Incomplete | SessionState::Gone => {
                            self.sessions().remove(&key);
                        }
                    }
                }
                let mut snippet = json!({ "title": title, "description": description });
                if !tags.is_empty() {
                    snippet["tags"] = json!(tags);
                }
                if let Some(lang) = req.part.langs.first() {
                    snippet["defaultLanguage"] = json!(lang);
                }
                let metadata = json!({
                    "snippet": snippet,
                    "status": { "privacyStatus": "public" },
                });
                self.upload_video(creds, &key, media, &metadata, short)
                    .await
            }
        }
    }

    /// Comments are answered with `comments.insert` (`POST /youtube/v3/comments?part=snippet`)
    /// whose `snippet.parentId` is the thread's top-level comment (a reply's id is
    /// `<top-level id>.<reply id>`: YouTube threads replies one level deep). Mentions and direct
    /// messages do not exist on YouTube.
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        kind == owlery_domain::inbox::MessageKind::Comment
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        if req.target.kind != owlery_domain::inbox::MessageKind::Comment {
            return Err(crate::inbox::cannot_reply(
                Network::Youtube,
                req.target.kind,
            ));
        }
        let parent = top_level_comment(&req.target.message_id)?;
        let body = json!({ "snippet": { "parentId": parent, "textOriginal": req.text } });
        let answer = self
            .call(
                creds,
                Method::POST,
                "/youtube/v3/comments",
                &[("part", "snippet")],
                Some(&body),
                "comments.insert",
                Effect::Write,
            )
            .await?;
        let id = answer
            .body
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| unexpected("the new reply has no id", Effect::Write))?;
        Ok(match req.target.root_id.as_deref() {
            Some(video) => comment_published(
                &RemoteRef {
                    id: video.to_owned(),
                    cid: None,
                    root: None,
                },
                id,
            ),
            None => Published {
                remote: RemoteRef {
                    id: id.to_owned(),
                    cid: None,
                    root: None,
                },
                url: String::new(),
            },
        })
    }

    /// An answer is a reply in its thread: the thread's replies are read
    /// (`GET /youtube/v3/comments?part=snippet&parentId=…`, 1 quota unit a page, up to four pages
    /// of 100, in whatever order YouTube lists them) for one by the channel itself with the same
    /// text, written since the first attempt. All read without it: `Absent` (after the listing
    /// lag); more replies than that: `CannotTell`.
    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        if req.target.kind != owlery_domain::inbox::MessageKind::Comment {
            return Ok(Lookup::Absent);
        }
        let parent = top_level_comment(&req.target.message_id)?;
        let Some(own) = creds.account_id.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(Lookup::CannotTell {
                reason: "the channel's YouTube id is unknown, so its answers cannot be recognised"
                    .into(),
            });
        };
        let wanted = normalize(&req.text);
        let oldest = since.checked_sub(CLOCK_SKEW).unwrap_or(since);
        let mut token: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            let mut query = vec![
                ("part", "snippet"),
                ("parentId", parent),
                ("maxResults", "100"),
                ("textFormat", "plainText"),
            ];
            if let Some(t) = &token {
                query.push(("pageToken", t.as_str()));
            }
            let answer = self
                .call(
                    creds,
                    Method::GET,
                    "/youtube/v3/comments",
                    &query,
                    None,
                    "comments.list",
                    Effect::Read,
                )
                .await?;
            let found = answer
                .body
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|c| {
                    let s = c.get("snippet").unwrap_or(&Value::Null);
                    // `textOriginal` is returned to the comment's author: the channel, here.
                    let said = s
                        .get("textOriginal")
                        .or_else(|| s.get("textDisplay"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    s.pointer("/authorChannelId/value").and_then(Value::as_str) == Some(own)
                        && normalize(said) == wanted
                        && time_of(c, "/snippet/publishedAt").is_some_and(|t| t >= oldest)
                });
            if let Some(c) = found {
                let id = c
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| unexpected("a reply has no id", Effect::Read))?;
                let video = req.target.root_id.as_deref().unwrap_or_default();
                return Ok(Lookup::Found(Published {
                    url: if video.is_empty() {
                        String::new()
                    } else {
                        comment_url(video, id)
                    },
                    remote: RemoteRef {
                        id: id.to_owned(),
                        cid: None,
                        root: (!video.is_empty()).then(|| {
                            Box::new(RemoteRef {
                                id: video.to_owned(),
                                cid: None,
                                root: None,
                            })
                        }),
                    },
                }));
            }
            match answer.body.get("nextPageToken").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return fresh_or_absent(since),
            }
        }
        Ok(Lookup::CannotTell {
            reason: format!(
                "the comment has more than {} replies, more than Owlery reads: check the thread \
                 on YouTube",
                LOOKUP_PAGES * 100
            ),
        })
    }

    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        match (&req.reply_to, req.as_comment) {
            (Some(video), true) => {
                self.lookup_comment(creds, video, &req.part.text, since)
                    .await
            }
            _ => self.lookup_video(creds, req, since).await,
        }
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        let (path, bucket) = if remote.root.is_some() {
            ("/youtube/v3/comments", "comments.delete")
        } else {
            ("/youtube/v3/videos", "videos.delete")
        };
        let request = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(creds.secret.expose_secret())
            .query(&[("id", remote.id.as_str())]);
        // Deleting twice is harmless.
        let answer = self.send(creds, request, bucket, Effect::Read).await?;
        if answer.status.is_success() || answer.status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(self.failure(creds, bucket, &answer))
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

    fn can_hide_comments(&self) -> bool {
        true
    }

    fn can_like(&self, _kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        crate::inbox::Ability::Not(
            "YouTube's API cannot like comments (only videos can be rated): like it in YouTube Studio",
        )
    }

    fn can_delete_comment(&self, kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        if kind == owlery_domain::inbox::MessageKind::Comment {
            crate::inbox::Ability::Allowed
        } else {
            crate::inbox::Ability::Not(
                "YouTube's API removes only comments on the channel's videos",
            )
        }
    }

    /// Someone else's comment on the channel's video cannot be deleted through `comments.delete`
    /// (only its author's): `comments.setModerationStatus` with `rejected` removes it from the
    /// thread, which is what the channel owner's "remove" does.
    async fn delete_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        let bucket = "comments.setModerationStatus";
        let request = self
            .http
            .post(format!(
                "{}/youtube/v3/comments/setModerationStatus",
                self.base
            ))
            .bearer_auth(creds.secret.expose_secret())
            .query(&[("id", remote_id), ("moderationStatus", "rejected")]);
        let answer = self.send(creds, request, bucket, Effect::Read).await?;
        if answer.status.is_success() || answer.status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(self.failure(creds, bucket, &answer))
        }
    }

    /// Answers are comments: `comments.delete`.
    async fn delete_reply(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<(), ConnectorError> {
        let comment = RemoteRef {
            id: remote.id.clone(),
            cid: None,
            root: Some(Box::new(RemoteRef {
                id: String::new(),
                cid: None,
                root: None,
            })),
        };
        Connector::delete(self, creds, &comment).await
    }

    /// `POST /youtube/v3/comments/setModerationStatus?id=…&moderationStatus=heldForReview`: the
    /// comment leaves the public thread and waits in YouTube Studio's review queue.
    async fn hide_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        let bucket = "comments.setModerationStatus";
        let request = self
            .http
            .post(format!(
                "{}/youtube/v3/comments/setModerationStatus",
                self.base
            ))
            .bearer_auth(creds.secret.expose_secret())
            .query(&[("id", remote_id), ("moderationStatus", "heldForReview")]);
        let answer = self.send(creds, request, bucket, Effect::Read).await?;
        if answer.status.is_success() {
            Ok(())
        } else {
            Err(self.failure(creds, bucket, &answer))
        }
    }

    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        if remote.root.is_some() {
            let answer = self
                .call(
                    creds,
                    Method::GET,
                    "/youtube/v3/commentThreads",
                    &[("part", "snippet"), ("id", remote.id.as_str())],
                    None,
                    "commentThreads.list",
                    Effect::Read,
                )
                .await?;
            let Some(thread) = answer.body.pointer("/items/0") else {
                return Ok(RemoteStatus::default());
            };
            return Ok(RemoteStatus {
                exists: true,
                metrics: Metrics {
                    likes: count(thread, "/snippet/topLevelComment/snippet/likeCount"),
                    comments: count(thread, "/snippet/totalReplyCount"),
                    ..Metrics::default()
                },
            });
        }
        let answer = self
            .call(
                creds,
                Method::GET,
                "/youtube/v3/videos",
                &[("part", "statistics,status"), ("id", remote.id.as_str())],
                None,
                "videos.list",
                Effect::Read,
            )
            .await?;
        let Some(video) = answer.body.pointer("/items/0") else {
            return Ok(RemoteStatus::default());
        };
        let gone = matches!(
            video
                .pointer("/status/uploadStatus")
                .and_then(Value::as_str),
            Some("rejected" | "deleted" | "failed")
        );
        Ok(RemoteStatus {
            exists: !gone,
            metrics: Metrics {
                likes: count(video, "/statistics/likeCount"),
                shares: None,
                comments: count(video, "/statistics/commentCount"),
                views: count(video, "/statistics/viewCount"),
                saves: None,
            },
        })
    }

    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        let Some(refresh) = &creds.refresh else {
            return Ok(None);
        };
        let Some(app) = &creds.app else {
            return Err(refuse(
                "no Google app is configured for this organisation: the token cannot be refreshed",
            ));
        };
        oauth::refresh(&self.http, &self.spec(), app, refresh, SystemTime::now())
            .await
            .map(Some)
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(self.spec())
    }

    /// The YouTube channels of the Google account (or brand account) that granted access
    /// ([`Youtube::channels`]), all with the grant's tokens.
    async fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        _service: Option<&str>,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let creds = crate::grant_credentials(&grant, None, app);
        Ok(self
            .channels(&creds)
            .await?
            .into_iter()
            .map(|c| {
                GrantedAccount::with_grant(AccountKind::Channel, c.id, c.handle, c.title, &grant)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn part(text: &str, title: Option<&str>) -> PublishPart {
        PublishPart {
            text: text.into(),
            title: title.map(str::to_owned),
            ..PublishPart::default()
        }
    }

    fn video(w: u32, h: u32, ms: Option<u64>) -> MediaUpload {
        MediaUpload {
            kind: MediaKind::Video,
            bytes: vec![0; 16],
            mime: "video/mp4".into(),
            width: w,
            height: h,
            duration_ms: ms,
            ..MediaUpload::default()
        }
    }

    fn req(placement: &str, media: Vec<MediaUpload>) -> PublishRequest {
        let mut r = PublishRequest::new("k", "A day at the lake\nMore words. #lake #Summer");
        r.placement = placement.into();
        r.part.media = media;
        r
    }

    #[test]
    fn titles_come_from_the_title_or_the_first_line() {
        assert_eq!(
            video_title(&part("\n  First line  \nsecond", None)).unwrap(),
            "First line"
        );
        assert_eq!(
            video_title(&part("text", Some(" Given "))).unwrap(),
            "Given"
        );
        let long = "ü".repeat(150);
        let t = video_title(&part(&long, None)).unwrap();
        assert_eq!(t.chars().count(), MAX_TITLE_CHARS);
        assert!(t.ends_with('…'));
        assert_eq!(
            video_title(&part("a <b> c", None)).unwrap(),
            "a b c",
            "derived titles lose < and >"
        );
        assert!(video_title(&part(&long, Some(&long))).is_err());
        assert!(video_title(&part("x", Some("a < b"))).is_err());
        assert!(video_title(&part("  \n ", None)).is_err());
    }

    #[test]
    fn descriptions_and_tags() {
        assert!(video_description(&"a".repeat(MAX_DESCRIPTION_BYTES)).is_ok());
        // bytes, not characters
        assert!(video_description(&"é".repeat(2_501)).is_err());
        assert!(video_description("I <3 this").is_err());
        assert_eq!(
            tags_from("Lake day #lake #Summer, #lake #summer #über! # #_x"),
            vec!["lake", "Summer", "über", "_x"]
        );
        let many: String = (0..200).map(|i| format!("#tag{i:03} ")).collect();
        let tags = tags_from(&many);
        let used: usize = tags.iter().map(|t| t.chars().count()).sum::<usize>() + tags.len() - 1;
        assert!(used <= MAX_TAGS_CHARS, "{used}");
        assert!(tags.len() < 200);
    }

    #[test]
    fn shorts_are_vertical_and_at_most_three_minutes() {
        assert!(matches!(
            plan(&req("short", vec![video(1080, 1920, Some(180_000))])),
            Ok(Plan::Video { short: true, .. })
        ));
        assert!(matches!(
            plan(&req("short", vec![video(1080, 1080, Some(30_000))])),
            Ok(Plan::Video { short: true, .. })
        ));
        for media in [
            video(1920, 1080, Some(30_000)),
            video(1080, 1920, Some(180_001)),
            video(1080, 1920, None),
            video(0, 0, Some(30_000)),
        ] {
            assert!(
                matches!(
                    plan(&req("short", vec![media.clone()])),
                    Err(ConnectorError::Permanent { .. })
                ),
                "{media:?}"
            );
        }
        // a long landscape video is fine as a video
        assert!(matches!(
            plan(&req("video", vec![video(1920, 1080, Some(3_600_000))])),
            Ok(Plan::Video { short: false, .. })
        ));
    }

    #[test]
    fn what_youtube_cannot_do_is_refused() {
        let refused = |r: PublishRequest| match plan(&r) {
            Err(ConnectorError::Permanent { reason }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(refused(req("", vec![])).contains("text-only"));
        let image = MediaUpload {
            mime: "image/jpeg".into(),
            bytes: vec![1],
            ..MediaUpload::default()
        };
        assert!(refused(req("", vec![image])).contains("videos only"));
        assert!(refused(req("", vec![video(1, 1, None), video(1, 1, None)])).contains("one video"));
        assert!(refused(req("story", vec![video(1, 1, None)])).contains("placement"));
        let parent = RemoteRef {
            id: "vid1".into(),
            cid: None,
            root: None,
        };
        let mut r = req("", vec![video(1, 1, None)]);
        r.reply_to = Some(parent.clone());
        assert!(refused(r.clone()).contains("threads"));
        r.as_comment = true;
        assert!(refused(r.clone()).contains("text only"));
        r.part.media.clear();
        assert!(matches!(plan(&r), Ok(Plan::Comment { .. })));
        r.reply_to = Some(RemoteRef {
            id: "c1".into(),
            cid: None,
            root: Some(Box::new(parent)),
        });
        assert!(refused(r).contains("not on another comment"));
        let mut r = PublishRequest::new("k", "first comment");
        r.as_comment = true;
        assert!(refused(r).contains("needs the video"));
    }

    #[test]
    fn google_errors_are_classified() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let none = HeaderMap::new();
        let body = |code: u16, reason: &str, message: &str| {
            json!({"error": {"code": code, "message": message,
                "errors": [{"message": message, "domain": "youtube.quota", "reason": reason}]}})
        };
        let c = |code: u16, reason: &str| {
            classify(
                StatusCode::from_u16(code).unwrap(),
                &none,
                &body(code, reason, "said"),
                now,
            )
        };
        let quota = classify(
            StatusCode::FORBIDDEN,
            &none,
            &body(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
            ),
            now,
        );
        assert_eq!(
            quota,
            ConnectorError::RateLimited {
                retry_after: Some(pacific::until_next_midnight(now))
            }
        );
        assert_eq!(
            quota_hit(StatusCode::FORBIDDEN, &body(403, "quotaExceeded", "")),
            Some(QuotaHit::Project)
        );
        assert_eq!(
            quota_hit(
                StatusCode::BAD_REQUEST,
                &body(400, "uploadLimitExceeded", "")
            ),
            Some(QuotaHit::Uploads)
        );
        assert!(matches!(
            c(400, "uploadLimitExceeded"),
            ConnectorError::RateLimited {
                retry_after: Some(_)
            }
        ));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("20"));
        assert_eq!(
            classify(
                StatusCode::FORBIDDEN,
                &h,
                &body(403, "rateLimitExceeded", "x"),
                now
            ),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(20))
            }
        );
        assert!(matches!(c(401, "authError"), ConnectorError::Auth { .. }));
        assert!(matches!(c(403, "forbidden"), ConnectorError::Auth { .. }));
        assert!(matches!(
            c(403, "insufficientPermissions"),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(400, "invalidTitle"),
            ConnectorError::Permanent { reason } if reason.contains("said") && reason.contains("invalidTitle")
        ));
        assert!(matches!(
            c(403, "commentsDisabled"),
            ConnectorError::Permanent { .. }
        ));
        assert!(matches!(
            c(503, "backendError"),
            ConnectorError::Temporary { .. }
        ));
        assert!(matches!(
            classify(StatusCode::INTERNAL_SERVER_ERROR, &none, &Value::Null, now),
            ConnectorError::Temporary { .. }
        ));
        assert_eq!(strip_html("a <a href=\"x\">quota</a>  b"), "a quota b");
    }

    #[test]
    fn urls() {
        assert_eq!(
            video_url("abc", false),
            "https://www.youtube.com/watch?v=abc"
        );
        assert_eq!(video_url("abc", true), "https://www.youtube.com/shorts/abc");
        assert_eq!(
            comment_url("abc", "Ugx1"),
            "https://www.youtube.com/watch?v=abc&lc=Ugx1"
        );
    }
}
