//! TikTok: the Content Posting API (Direct Post), the Display API and Login Kit (OAuth v2).
//!
//! - **verify**: `GET /v2/user/info/?fields=open_id,union_id,display_name,username`
//!   (<https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info>). `username` needs the
//!   `user.info.profile` scope since TikTok's 2024 scope migration
//!   (<https://developers.tiktok.com/bulletin/user-info-scope-migration>), so Owlery asks for it too.
//! - **publish**, always `POST /v2/post/publish/creator_info/query/` first (privacy levels the
//!   creator may use, whether comments, duets and stitches are allowed, the longest video;
//!   <https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info>); a video
//!   longer than allowed is refused before anything is uploaded. Then:
//!   - a **video** (placement `video`): `POST /v2/post/publish/video/init/` with `post_info`
//!     (`title` = the caption, ≤ 2,200 UTF-16 units; `privacy_level`; `disable_comment`,
//!     `disable_duet`, `disable_stitch` as the creator's settings require) and `source_info`:
//!     always `FILE_UPLOAD` with `video_size`, `chunk_size` and `total_chunk_count` per the chunk
//!     rules ([`chunks_for`]) — `PULL_FROM_URL` would need Owlery's domain verified for the app
//!     (`url_ownership_unverified`), so a video's [`MediaUpload::url`] is not used — then each
//!     chunk `PUT` to the
//!     returned `upload_url` with `Content-Range` and the video's `Content-Type`
//!     (<https://developers.tiktok.com/doc/content-posting-api-reference-direct-post>,
//!     <https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide>);
//!   - **photos** (placement `photo`, 1–35 JPEG/WebP images): `POST /v2/post/publish/content/init/`
//!     with `media_type: PHOTO`, `post_mode: DIRECT_POST` and `photo_images` — TikTok only pulls
//!     photos from public addresses, so images without [`MediaUpload::url`] are refused (the
//!     engine signs one per photo, [`Connector::media_source`]; TikTok also wants that address's
//!     domain or URL prefix verified for the app, else `url_ownership_unverified`)
//!     (<https://developers.tiktok.com/doc/content-posting-api-reference-photo-post>). TikTok takes
//!     no alt text for photos.
//!
//!   Then `POST /v2/post/publish/status/fetch/` is polled for a bounded time ([`Polling`];
//!   <https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status>):
//!   `PUBLISH_COMPLETE` is published (id: the first of `publicaly_available_post_id` — sic, as
//!   documented — when TikTok gives one, else the publish id; TikTok withholds the post id of a
//!   private post and of one still in moderation), `FAILED` is `Permanent` with TikTok's
//!   `fail_reason` made readable, still processing after the wait is `Unknown`.
//! - **privacy**: Owlery has no per-post privacy setting yet, so each post gets the widest audience
//!   the creator allows: the first of `PUBLIC_TO_EVERYONE`, `FOLLOWER_OF_CREATOR` (the widest a
//!   private account offers), `MUTUAL_FOLLOW_FRIENDS`, `SELF_ONLY` in `privacy_level_options`
//!   ([`choose_privacy`]). Posts of an app TikTok has not audited are private whatever is asked
//!   (<https://developers.tiktok.com/doc/content-sharing-guidelines/>).
//! - **exactly once**: TikTok has no idempotency key. The connector keeps, in memory, the publish
//!   id of each idempotency key from the moment `init` answered: a repeated `publish` with the same
//!   key follows that publish instead of posting again, and `lookup` asks TikTok where it stands.
//!   Without such a record (another process, a restart) `lookup` is `CannotTell`: the API has no
//!   search and lists only public, moderated videos. A failure after `init` accepted the post is
//!   `Unknown` (never a retryable error; a 5xx to the last chunk too), except a chunk TikTok
//!   refuses outright: that upload can never complete, so the record is dropped and the error
//!   classified as usual.
//! - **status**: `POST /v2/video/query/?fields=id,like_count,comment_count,share_count,view_count`
//!   (<https://developers.tiktok.com/doc/tiktok-api-v2-video-query>); for a post known only by its
//!   publish id, the fetch-status call first.
//! - **errors** (`{"error":{"code","message","log_id"}}`, `code` is `"ok"` on success;
//!   <https://developers.tiktok.com/doc/tiktok-api-v2-error-handling>): `access_token_invalid`,
//!   `scope_not_authorized` → `Auth`; `rate_limit_exceeded` (429), `spam_risk_too_many_posts` →
//!   `RateLimited`; `spam_risk_user_banned_from_posting`,
//!   `unaudited_client_can_only_post_to_private_accounts`, `url_ownership_unverified`,
//!   `privacy_level_option_mismatch`, `invalid_params` → `Permanent` with a readable reason; 5xx
//!   and `internal_error` → `Temporary` ([`classify`]). TikTok sometimes sends such an error with
//!   HTTP 200: any `error.code` other than `"ok"` is an error whatever the status, classified by
//!   its code (an unknown `spam_risk_*` waits like the daily cap; any other unknown code is
//!   `Permanent`, with TikTok's message and log id). TikTok documents per-token limits (6 inits
//!   a minute, 30 status calls a minute) but no rate-limit headers; standard ones are filed if
//!   present, and every `RateLimited` empties the account's budget.
//! - **OAuth v2**: authorize at `https://www.tiktok.com/v2/auth/authorize/` (`client_key`, scopes
//!   joined by commas), tokens at `https://open.tiktokapis.com/v2/oauth/token/` with `client_key`
//!   and `client_secret` in the form. No PKCE: TikTok requires `code_verifier` for mobile and
//!   desktop apps only, and Owlery is a web app
//!   (<https://developers.tiktok.com/doc/oauth-user-access-token-management>). Access tokens last
//!   24 hours and refresh tokens 365 days by that page (a newer page says 2 hours and 180 days; the
//!   connector reads `expires_in` instead of assuming either); refresh tokens rotate, so the new one
//!   is returned. A token error is read even when TikTok answers it with HTTP 200.
//!
//! Not possible through this API, refused before anything is sent: text-only posts, threads,
//! comments (first comments included), deleting a post ("delete it in the TikTok app"), mixing
//! photos and a video. Not implemented: drafts to the creator's inbox (`video.upload`,
//! `/v2/post/publish/inbox/video/init/`), music and branded-content flags, cover frames.
//!
//! - **inbox**: comments on a business account's videos through the TikTok API for Business, for
//!   channels connected through it ([`inbox`]); personal (Login Kit) channels cannot read comments.
//! - **business accounts** ([`business`]): a second way to connect, [`AuthKind::TiktokBusiness`]:
//!   the TikTok API for Business's account authorization with the organisation's API for Business
//!   app, its own token and refresh endpoints, and answers to comments
//!   (`business/comment/reply/create/`). Such a channel's tokens are for the API for Business only:
//!   publishing with them is refused before any call (Owlery does not publish through the API
//!   for Business).
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/tiktok_fixture.rs`), including errors TikTok answers with HTTP 200; not verified against
//! the live network, nor is TikTok's pulling of Owlery's signed photo addresses (which also needs
//! the domain verified in TikTok's developer portal).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_RANGE, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::budget::{BudgetBook, Scope};
use crate::http::{self, Effect};
use crate::oauth::{self, ClientAuth, OAuthSpec};
use crate::{
    AccountInfo, AppCredentials, AuthKind, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, MediaSource, MediaUpload, Metrics, Network, PublishRequest,
    Published, RemoteRef, RemoteStatus, TokenGrant,
};

mod business;
mod inbox;
pub use business::{BUSINESS_AUTHORIZE_URL, BUSINESS_SCOPES, MAX_BUSINESS_COMMENT, business_grant};
pub use inbox::{BUSINESS_API_BASE, business_error, is_business_grant};

/// The API host (`Env::base_url` replaces it in tests).
pub const DEFAULT_API_BASE: &str = "https://open.tiktokapis.com";
/// Where a person authorizes Owlery (Login Kit for Web, v2).
pub const AUTHORIZE_URL: &str = "https://www.tiktok.com/v2/auth/authorize/";
/// Reading the profile (`username` needs `user.info.profile`), posting, reading videos' counts.
pub const SCOPES: [&str; 5] = [
    "user.info.basic",
    "user.info.profile",
    "video.publish",
    "video.upload",
    "video.list",
];
/// A video's caption (`post_info.title`): at most 2,200 UTF-16 units.
pub const MAX_CAPTION: usize = 2_200;
/// A photo post's title: at most 90 UTF-16 units.
pub const MAX_PHOTO_TITLE: usize = 90;
/// A photo post's description: at most 4,000 UTF-16 units.
pub const MAX_PHOTO_DESCRIPTION: usize = 4_000;
/// Photos in one post.
pub const MAX_PHOTOS: usize = 35;
/// The largest video TikTok takes: 4 GB.
pub const MAX_VIDEO_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The chunk size of `FILE_UPLOAD`: inside TikTok's 5–64 MB whichever "MB" is meant (TikTok's own
/// example uses it). A video under two chunks goes in one piece, as TikTok requires below 5 MB.
pub const CHUNK_SIZE: u64 = 10_000_000;
/// At most 1,000 chunks per video.
const MAX_CHUNKS: u64 = 1_000;
/// The widest audience first. `FOLLOWER_OF_CREATOR` is what a private account offers instead of
/// `PUBLIC_TO_EVERYONE`.
const PRIVACY_PREFERENCE: [&str; 4] = [
    "PUBLIC_TO_EVERYONE",
    "FOLLOWER_OF_CREATOR",
    "MUTUAL_FOLLOW_FRIENDS",
    "SELF_ONLY",
];
/// The video types the media transfer guide names.
const VIDEO_MIMES: [&str; 3] = ["video/mp4", "video/quicktime", "video/webm"];
/// The photo formats TikTok accepts (no PNG).
const PHOTO_MIMES: [&str; 2] = ["image/jpeg", "image/webp"];
/// `spam_risk_too_many_posts` says nothing about when posting works again: try in an hour.
const TOO_MANY_POSTS_WAIT: Duration = Duration::from_secs(3600);
/// After `status/fetch` says "still processing", how long `lookup` suggests waiting.
const STILL_PROCESSING_WAIT: Duration = Duration::from_secs(60);
const JSON_UTF8: &str = "application/json; charset=UTF-8";

/// How long `publish` follows TikTok's processing before it answers `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polling {
    /// Between two `status/fetch` calls (TikTok allows 30 a minute per token).
    pub interval: Duration,
    /// The whole wait. TikTok: processing takes under a minute for 1 GB, moderation usually under
    /// a minute but sometimes hours.
    pub max_wait: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            interval: Duration::from_secs(5),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// The TikTok connector. One per process: it remembers the publish id of each idempotency key.
pub struct Tiktok {
    http: reqwest::Client,
    budgets: Arc<BudgetBook>,
    base: String,
    /// The TikTok API for Business (the inbox of business accounts).
    business_base: String,
    polling: Polling,
    /// (account, idempotency key) → the publish TikTok accepted for it.
    publishes: Mutex<HashMap<(String, String), Pending>>,
}

/// A publish TikTok accepted (it answered `init` with a publish id).
#[derive(Clone, Debug)]
struct Pending {
    publish_id: String,
    photo: bool,
    username: String,
}

/// What the creator may do, from `creator_info/query`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Creator {
    pub username: Option<String>,
    pub privacy_levels: Vec<String>,
    pub comment_disabled: bool,
    pub duet_disabled: bool,
    pub stitch_disabled: bool,
    pub max_video_seconds: Option<u64>,
}

impl Creator {
    /// Reads `data` of `creator_info/query`.
    pub fn from_data(data: &Value) -> Creator {
        let flag = |k: &str| data.get(k).and_then(Value::as_bool).unwrap_or(false);
        Creator {
            username: data
                .get("creator_username")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            privacy_levels: data
                .get("privacy_level_options")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            comment_disabled: flag("comment_disabled"),
            duet_disabled: flag("duet_disabled"),
            stitch_disabled: flag("stitch_disabled"),
            max_video_seconds: data
                .get("max_video_post_duration_sec")
                .and_then(Value::as_u64),
        }
    }
}

/// Where a publish stands, from `status/fetch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostStatus {
    /// `PROCESSING_UPLOAD`, `PROCESSING_DOWNLOAD` (or a status this connector does not know).
    Processing(String),
    /// `PUBLISH_COMPLETE`, with the public post ids when TikTok gives them.
    Complete(Vec<String>),
    /// `FAILED`, with `fail_reason`.
    Failed(String),
    /// `SEND_TO_USER_INBOX`: a draft waiting in the creator's app, not a post.
    Inbox,
}

/// Reads `data` of `status/fetch`.
pub fn parse_status(data: &Value) -> PostStatus {
    let status = data.get("status").and_then(Value::as_str).unwrap_or("");
    match status {
        "PUBLISH_COMPLETE" => {
            let ids = match data.get("publicaly_available_post_id") {
                Some(Value::Array(ids)) => ids.iter().filter_map(id_string).collect(),
                Some(one) => id_string(one).into_iter().collect(),
                None => Vec::new(),
            };
            PostStatus::Complete(ids)
        }
        "FAILED" => PostStatus::Failed(
            data.get("fail_reason")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        ),
        "SEND_TO_USER_INBOX" => PostStatus::Inbox,
        other => PostStatus::Processing(other.to_owned()),
    }
}

/// A post id as TikTok sends it: an int64 (JSON number) or a string.
fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Whether an id is a post's (all digits) rather than a publish id (`v_pub_file~v2-1.…`).
pub fn is_post_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

/// The privacy level for a post: the widest the creator allows (public, followers, mutual
/// friends, only the creator, in that order).
pub fn choose_privacy(options: &[String]) -> Option<&'static str> {
    PRIVACY_PREFERENCE
        .iter()
        .copied()
        .find(|p| options.iter().any(|o| o == p))
}

/// `chunk_size` and `total_chunk_count` of a `FILE_UPLOAD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunks {
    pub chunk_size: u64,
    pub count: u64,
}

/// The chunks of a video of `size` bytes, by the media transfer guide: `total_chunk_count` is
/// `video_size / chunk_size` rounded down and the last chunk takes the trailing bytes (so it is
/// under two chunks, 20 MB, well inside TikTok's 128 MB for a final chunk); a video under two
/// chunks is sent whole with `chunk_size` = its size.
pub fn chunks_for(size: u64) -> Chunks {
    let count = (size / CHUNK_SIZE).max(1);
    if count == 1 {
        Chunks {
            chunk_size: size,
            count: 1,
        }
    } else {
        Chunks {
            chunk_size: CHUNK_SIZE,
            count,
        }
    }
}

/// The inclusive byte ranges to `PUT`, in order.
pub fn chunk_ranges(size: u64, chunks: Chunks) -> Vec<(u64, u64)> {
    if size == 0 {
        return Vec::new();
    }
    (0..chunks.count)
        .map(|i| {
            let first = i * chunks.chunk_size;
            let last = if i + 1 == chunks.count {
                size - 1
            } else {
                first + chunks.chunk_size - 1
            };
            (first, last)
        })
        .collect()
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Where people see a post: `https://www.tiktok.com/@{username}/video/{id}` (`/photo/` for photo
/// posts).
pub fn post_url(username: &str, id: &str, photo: bool) -> String {
    let kind = if photo { "photo" } else { "video" };
    format!(
        "https://www.tiktok.com/@{}/{kind}/{id}",
        username.trim_start_matches('@')
    )
}

/// The account's profile, for a post whose id TikTok has not given yet.
pub fn profile_url(username: &str) -> String {
    format!(
        "https://www.tiktok.com/@{}",
        username.trim_start_matches('@')
    )
}

/// TikTok's error envelope (`{"error":{"code","message","log_id"}}`) and status as a connector
/// error.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &Value,
    now: SystemTime,
) -> ConnectorError {
    let field = |k: &str| {
        body.pointer(&format!("/error/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let (code, message, log_id) = (field("code"), field("message"), field("log_id"));
    let mut said = match (code.is_empty(), message.is_empty()) {
        (false, false) => format!("{message} [{code}]"),
        (false, true) => code.to_owned(),
        (true, false) => message.to_owned(),
        (true, true) => String::new(),
    };
    if !log_id.is_empty() {
        said.push_str(&format!(" (TikTok log id {log_id})"));
    }
    match code {
        "access_token_invalid" => ConnectorError::Auth {
            reason: format!(
                "TikTok no longer accepts this connection's token ({said}): reconnect the channel"
            ),
        },
        "scope_not_authorized" | "scope_permission_missed" => ConnectorError::Auth {
            reason: format!(
                "the TikTok account did not give Owlery a permission this needs ({said}): \
                 reconnect the channel and allow everything Owlery asks for"
            ),
        },
        "rate_limit_exceeded" => ConnectorError::RateLimited {
            retry_after: http::retry_after(headers, now)
                .or_else(|| http::rate_limit(headers, now).and_then(|r| r.reset)),
        },
        "spam_risk_too_many_posts" => ConnectorError::RateLimited {
            retry_after: Some(TOO_MANY_POSTS_WAIT),
        },
        "spam_risk_user_banned_from_posting" => ConnectorError::Permanent {
            reason: format!(
                "TikTok has banned this account from posting for now ({said}); check the account \
                 in the TikTok app"
            ),
        },
        "unaudited_client_can_only_post_to_private_accounts" => ConnectorError::Permanent {
            reason: format!(
                "TikTok takes posts from Owlery's TikTok app only for private accounts until TikTok \
                 has audited the app ({said}): make the account private, or have the app audited"
            ),
        },
        "reached_active_user_cap" => ConnectorError::Permanent {
            reason: format!(
                "TikTok lets an app it has not audited post for at most 5 accounts a day ({said}): \
                 have the app audited"
            ),
        },
        "url_ownership_unverified" => ConnectorError::Permanent {
            reason: format!(
                "TikTok fetches media only from domains verified for Owlery's TikTok app ({said}): \
                 verify the media domain in the TikTok developer portal"
            ),
        },
        "privacy_level_option_mismatch" => ConnectorError::Permanent {
            reason: format!("TikTok does not offer this account that privacy level ({said})"),
        },
        "invalid_params" | "invalid_file_upload" => ConnectorError::Permanent {
            reason: format!("TikTok rejected the post: {said}"),
        },
        "spam_risk_too_many_pending_share" => ConnectorError::RateLimited {
            retry_after: Some(TOO_MANY_POSTS_WAIT),
        },
        "internal_error" => ConnectorError::Temporary {
            reason: format!("TikTok had an internal error: {said}"),
            retry_after: http::retry_after(headers, now),
        },
        // TikTok sometimes answers an error with HTTP 200 and the code in the body: such an answer
        // is never a success. Classified by the status the code is documented with, else by its
        // kind; an unknown code is permanent (repeating the same request will not change it).
        _ if status.is_success() => match documented_status(code) {
            Some(documented) => http::classify_status(documented, headers, &said, now),
            None if code.starts_with("spam_risk") => ConnectorError::RateLimited {
                retry_after: Some(TOO_MANY_POSTS_WAIT),
            },
            None => ConnectorError::Permanent {
                reason: format!("TikTok refused the request: {said}"),
            },
        },
        _ => http::classify_status(status, headers, &said, now),
    }
}

/// The HTTP status TikTok documents for an error code it may also send with HTTP 200 (the v2
/// Error Handling reference and the Content Posting references' error tables).
fn documented_status(code: &str) -> Option<StatusCode> {
    let status = match code {
        "access_token_invalid" | "scope_not_authorized" | "scope_permission_missed" => 401,
        "invalid_params" | "invalid_file_upload" | "invalid_publish_id" => 400,
        "token_not_authorized_for_specified_publish_id" => 403,
        "rate_limit_exceeded" => 429,
        "internal_error" => 500,
        _ => return None,
    };
    StatusCode::from_u16(status).ok()
}

/// A `fail_reason` of `status/fetch` in words.
pub fn fail_reason_text(reason: &str) -> String {
    let what = match reason {
        "file_format_check_failed" => "the file format is not supported",
        "duration_check_failed" => "the video is too long or too short",
        "frame_rate_check_failed" => "the frame rate is not supported",
        "picture_size_check_failed" => "the picture size is not supported",
        "video_pull_failed" => "TikTok could not download the video from its address",
        "photo_pull_failed" => "TikTok could not download a photo from its address",
        "publish_cancelled" => "the post was cancelled",
        "auth_removed" => "the account took back Owlery's access",
        "spam_risk_too_many_posts" => "the account posted too much today",
        "spam_risk_user_banned_from_posting" => "the account is banned from posting",
        "spam_risk_text" => "TikTok flagged the caption as spam",
        "spam_risk" => "TikTok flagged the post as spam",
        "internal" => "TikTok had an internal error",
        "" => "TikTok gave no reason",
        other => return format!("TikTok says {other}"),
    };
    format!("{what} ({reason})")
}

/// What a request asks of TikTok, checked before anything is sent.
#[derive(Debug)]
enum Plan<'a> {
    Video {
        media: &'a MediaUpload,
        caption: &'a str,
        mime: &'a str,
    },
    Photos {
        urls: Vec<&'a str>,
        title: Option<&'a str>,
        description: &'a str,
    },
}

fn refuse(reason: impl Into<String>) -> ConnectorError {
    ConnectorError::Permanent {
        reason: reason.into(),
    }
}

fn plan(req: &PublishRequest) -> Result<Plan<'_>, ConnectorError> {
    let part = &req.part;
    if req.reply_to.is_some() {
        return Err(if req.as_comment {
            refuse(
                "TikTok's API cannot post comments: add the first comment in the TikTok app \
                 after the video is up",
            )
        } else {
            refuse(
                "TikTok has no threads: a video cannot answer another one; publish it on its own",
            )
        });
    }
    if !matches!(req.placement.as_str(), "" | "video" | "photo") {
        return Err(refuse(format!(
            "TikTok has no placement {:?}: use video or photo",
            req.placement
        )));
    }
    if part.media.is_empty() {
        return Err(refuse(
            "TikTok posts need a video or photos: text-only posts cannot be published through \
             TikTok's API",
        ));
    }
    let videos = part
        .media
        .iter()
        .filter(|m| m.kind == MediaKind::Video)
        .count();
    if videos > 0 && videos < part.media.len() {
        return Err(refuse(
            "TikTok posts are either one video or photos, not both: split the post",
        ));
    }
    if videos > 0 {
        if req.placement == "photo" {
            return Err(refuse(
                "a TikTok photo post takes photos, not a video: choose the video placement",
            ));
        }
        let [media] = part.media.as_slice() else {
            return Err(refuse(format!(
                "{videos} videos: a TikTok post takes one video; split the post"
            )));
        };
        if utf16_len(&part.text) > MAX_CAPTION {
            return Err(refuse(format!(
                "the caption is {} characters long; TikTok takes at most {MAX_CAPTION}: shorten it",
                utf16_len(&part.text)
            )));
        }
        let mime = if media.mime.is_empty() {
            "video/mp4"
        } else {
            media.mime.as_str()
        };
        if !VIDEO_MIMES.contains(&mime) {
            return Err(refuse(format!(
                "the video is {mime}; TikTok takes MP4, MOV or WebM"
            )));
        }
        let size = media.bytes.len() as u64;
        if size == 0 {
            return Err(refuse("the video is empty"));
        }
        if size > MAX_VIDEO_BYTES || chunks_for(size).count > MAX_CHUNKS {
            return Err(refuse(format!(
                "the video has {size} bytes; TikTok takes at most 4 GB: make it smaller"
            )));
        }
        return Ok(Plan::Video {
            media,
            caption: &part.text,
            mime,
        });
    }
    if req.placement == "video" {
        return Err(refuse(
            "a TikTok video post needs a video: choose the photo placement for photos",
        ));
    }
    if part.media.len() > MAX_PHOTOS {
        return Err(refuse(format!(
            "{} photos: TikTok takes at most {MAX_PHOTOS} per post; remove some",
            part.media.len()
        )));
    }
    let mut urls = Vec::new();
    for (i, media) in part.media.iter().enumerate() {
        if !media.mime.is_empty() && !PHOTO_MIMES.contains(&media.mime.as_str()) {
            return Err(refuse(format!(
                "photo {} is {}; TikTok takes JPEG or WebP photos only",
                i + 1,
                media.mime
            )));
        }
        match media.url.as_deref() {
            Some(url) if !url.is_empty() => urls.push(url),
            _ => {
                return Err(refuse(
                    "TikTok fetches photos from a public address and this installation has none \
                     for them: configure public media addresses to post photos to TikTok",
                ));
            }
        }
    }
    let title = part
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(t) = title
        && utf16_len(t) > MAX_PHOTO_TITLE
    {
        return Err(refuse(format!(
            "the title is {} characters long; TikTok photo posts take at most {MAX_PHOTO_TITLE}",
            utf16_len(t)
        )));
    }
    if utf16_len(&part.text) > MAX_PHOTO_DESCRIPTION {
        return Err(refuse(format!(
            "the description is {} characters long; TikTok photo posts take at most \
             {MAX_PHOTO_DESCRIPTION}: shorten it",
            utf16_len(&part.text)
        )));
    }
    Ok(Plan::Photos {
        urls,
        title,
        description: &part.text,
    })
}

/// An answer: status, headers, the body as JSON (`Null` if it is not).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// After TikTok accepted a post, any failure leaves its outcome open.
fn after_init(err: ConnectorError, publish_id: &str) -> ConnectorError {
    match err {
        ConnectorError::Unknown { .. } => err,
        other => ConnectorError::Unknown {
            reason: format!(
                "TikTok accepted the post (publish id {publish_id}) but where it stands could not \
                 be read ({other}); look it up before sending it again"
            ),
        },
    }
}

impl Tiktok {
    pub fn new(env: Env) -> Result<Tiktok, ConnectorError> {
        Ok(Tiktok {
            http: http::client(env.http)?,
            budgets: env.budgets.clone(),
            base: env.base(DEFAULT_API_BASE),
            business_base: env.base(BUSINESS_API_BASE),
            polling: Polling::default(),
            publishes: Mutex::new(HashMap::new()),
        })
    }

    /// The same with another polling of TikTok's processing (tests use milliseconds).
    pub fn with_polling(mut self, polling: Polling) -> Tiktok {
        self.polling = polling;
        self
    }

    fn publishes(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Pending>> {
        // Plain values: still consistent if a holder panicked.
        self.publishes.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key(creds: &Credentials, req: &PublishRequest) -> (String, String) {
        (creds.budget_key(), req.idempotency_key.clone())
    }

    fn token_url(&self) -> String {
        format!("{}/v2/oauth/token/", self.base)
    }

    /// Sends a request and files what the answer says about the budget.
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
        let account = creds.budget_key();
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.budgets.exhausted(
                Network::Tiktok,
                Scope::Account,
                &account,
                bucket,
                http::retry_after(&headers, now)
                    .or_else(|| http::rate_limit(&headers, now).and_then(|r| r.reset)),
                now,
            );
        } else if let Some(limit) = http::rate_limit(&headers, now) {
            self.budgets.observe_headers(
                Network::Tiktok,
                Scope::Account,
                &account,
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
            network = "tiktok",
            tiktok.endpoint = bucket,
            http.status = status.as_u16(),
            "tiktok call"
        );
        Ok(Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// An API call: the answer's body when TikTok says `ok`, else the classified error.
    async fn api(
        &self,
        creds: &Credentials,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        effect: Effect,
    ) -> Result<Value, ConnectorError> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(creds.secret.expose_secret());
        if !query.is_empty() {
            request = request.query(query);
        }
        if method == Method::POST {
            request = request.header(CONTENT_TYPE, JSON_UTF8);
            if let Some(body) = body {
                request = request.body(body.to_string());
            }
        }
        let answer = self.send(creds, request, path, effect).await?;
        let code = answer.body.pointer("/error/code").and_then(Value::as_str);
        if answer.status.is_success() && matches!(code, None | Some("ok" | "")) {
            if answer.body.is_object() {
                return Ok(answer.body);
            }
            let reason = format!(
                "TikTok answered {path} with {} but no readable JSON",
                answer.status
            );
            return Err(match effect {
                Effect::Read => ConnectorError::Temporary {
                    reason,
                    retry_after: None,
                },
                Effect::Write => ConnectorError::Unknown { reason },
            });
        }
        let now = SystemTime::now();
        let err = classify(answer.status, &answer.headers, &answer.body, now);
        if let ConnectorError::RateLimited { retry_after } = &err
            && answer.status != StatusCode::TOO_MANY_REQUESTS
        {
            self.budgets.exhausted(
                Network::Tiktok,
                Scope::Account,
                &creds.budget_key(),
                path,
                *retry_after,
                now,
            );
        }
        Err(err)
    }

    async fn creator_info(&self, creds: &Credentials) -> Result<Creator, ConnectorError> {
        let answer = self
            .api(
                creds,
                Method::POST,
                "/v2/post/publish/creator_info/query/",
                &[],
                None,
                Effect::Read,
            )
            .await?;
        Ok(Creator::from_data(
            answer.get("data").unwrap_or(&Value::Null),
        ))
    }

    async fn fetch_status(
        &self,
        creds: &Credentials,
        publish_id: &str,
    ) -> Result<PostStatus, ConnectorError> {
        let answer = self
            .api(
                creds,
                Method::POST,
                "/v2/post/publish/status/fetch/",
                &[],
                Some(json!({ "publish_id": publish_id })),
                Effect::Read,
            )
            .await?;
        Ok(parse_status(answer.get("data").unwrap_or(&Value::Null)))
    }

    /// `PUT`s the video in chunks to the `upload_url` TikTok gave (no token: the address carries
    /// its own).
    async fn upload(
        &self,
        creds: &Credentials,
        upload_url: &str,
        media: &MediaUpload,
        mime: &str,
    ) -> Result<(), ConnectorError> {
        // Without its bytes the publish can never complete: nothing to reconcile.
        let unusable = || ConnectorError::Temporary {
            reason: "TikTok answered with an upload address that is not an http(s) URL".into(),
            retry_after: None,
        };
        let parsed = url::Url::parse(upload_url).map_err(|_| unusable())?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(unusable());
        }
        let total = media.bytes.len() as u64;
        let ranges = chunk_ranges(total, chunks_for(total));
        let count = ranges.len();
        for (i, (first, last)) in ranges.into_iter().enumerate() {
            let chunk = usize::try_from(first)
                .ok()
                .zip(usize::try_from(last).ok())
                .and_then(|(a, b)| media.bytes.get(a..=b))
                .ok_or_else(|| refuse("the video could not be cut into chunks"))?;
            let request = self
                .http
                .put(parsed.clone())
                .header(CONTENT_TYPE, mime)
                .header(CONTENT_RANGE, format!("bytes {first}-{last}/{total}"))
                .body(chunk.to_vec());
            let answer = self.send(creds, request, "upload", Effect::Write).await?;
            if answer.status.is_server_error() && i + 1 == count {
                // The last bytes may have been stored before the server failed.
                return Err(ConnectorError::Unknown {
                    reason: format!(
                        "TikTok answered {} to the video's last chunk; the post may still \
                         complete: look it up before sending it again",
                        answer.status
                    ),
                });
            }
            if !answer.status.is_success() {
                return Err(classify(
                    answer.status,
                    &answer.headers,
                    &answer.body,
                    SystemTime::now(),
                ));
            }
            tracing::debug!(
                network = "tiktok",
                tiktok.chunk = i + 1,
                tiktok.chunks = count,
                "video chunk uploaded"
            );
        }
        Ok(())
    }

    /// Follows a publish until TikTok says how it ended, for at most `polling.max_wait`.
    async fn settle(
        &self,
        creds: &Credentials,
        key: &(String, String),
        pending: &Pending,
    ) -> Result<Published, ConnectorError> {
        let started = tokio::time::Instant::now();
        loop {
            let status = self
                .fetch_status(creds, &pending.publish_id)
                .await
                .map_err(|e| after_init(e, &pending.publish_id))?;
            match status {
                PostStatus::Complete(ids) => {
                    return Ok(published(pending, &ids));
                }
                PostStatus::Failed(reason) => {
                    self.publishes().remove(key);
                    return Err(refuse(format!(
                        "TikTok could not publish the post: {}",
                        fail_reason_text(&reason)
                    )));
                }
                PostStatus::Inbox => {
                    return Err(refuse(
                        "TikTok put the post in the creator's inbox as a draft instead of \
                         publishing it: finish it in the TikTok app",
                    ));
                }
                PostStatus::Processing(stage) => {
                    if started.elapsed() + self.polling.interval > self.polling.max_wait {
                        return Err(ConnectorError::Unknown {
                            reason: format!(
                                "TikTok is still processing the post (publish id {}, {stage}) \
                                 after {} s; look it up later",
                                pending.publish_id,
                                started.elapsed().as_secs()
                            ),
                        });
                    }
                    tokio::time::sleep(self.polling.interval).await;
                }
            }
        }
    }

    async fn init_video(
        &self,
        creds: &Credentials,
        creator: &Creator,
        privacy: &str,
        media: &MediaUpload,
        caption: &str,
    ) -> Result<(String, Option<String>), ConnectorError> {
        // Always FILE_UPLOAD: a video's PULL_FROM_URL needs the address's domain verified for
        // the TikTok app (`url_ownership_unverified` otherwise), which Owlery cannot assume.
        let size = media.bytes.len() as u64;
        let chunks = chunks_for(size);
        let source = json!({
            "source": "FILE_UPLOAD",
            "video_size": size,
            "chunk_size": chunks.chunk_size,
            "total_chunk_count": chunks.count,
        });
        let body = json!({
            "post_info": {
                "title": caption,
                "privacy_level": privacy,
                "disable_comment": creator.comment_disabled,
                "disable_duet": creator.duet_disabled,
                "disable_stitch": creator.stitch_disabled,
            },
            "source_info": source,
        });
        let answer = self
            .api(
                creds,
                Method::POST,
                "/v2/post/publish/video/init/",
                &[],
                Some(body),
                Effect::Write,
            )
            .await?;
        let publish_id = publish_id_of(&answer)?;
        let upload_url = answer
            .pointer("/data/upload_url")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((publish_id, upload_url))
    }

    async fn init_photos(
        &self,
        creds: &Credentials,
        creator: &Creator,
        privacy: &str,
        urls: &[&str],
        title: Option<&str>,
        description: &str,
    ) -> Result<String, ConnectorError> {
        let mut post_info = json!({
            "description": description,
            "privacy_level": privacy,
            "disable_comment": creator.comment_disabled,
        });
        if let Some(title) = title {
            post_info["title"] = json!(title);
        }
        let body = json!({
            "post_info": post_info,
            "source_info": {
                "source": "PULL_FROM_URL",
                "photo_cover_index": 0,
                "photo_images": urls,
            },
            "post_mode": "DIRECT_POST",
            "media_type": "PHOTO",
        });
        let answer = self
            .api(
                creds,
                Method::POST,
                "/v2/post/publish/content/init/",
                &[],
                Some(body),
                Effect::Write,
            )
            .await?;
        publish_id_of(&answer)
    }
}

fn publish_id_of(answer: &Value) -> Result<String, ConnectorError> {
    answer
        .pointer("/data/publish_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ConnectorError::Unknown {
            reason: "TikTok accepted the post but answered without a publish id; check the \
                     account in the TikTok app before sending it again"
                .into(),
        })
}

fn published(pending: &Pending, ids: &[String]) -> Published {
    match ids.first() {
        Some(id) => Published {
            url: post_url(&pending.username, id, pending.photo),
            remote: RemoteRef {
                id: id.clone(),
                cid: None,
                root: None,
            },
        },
        // A private post or one still in moderation: TikTok gives no post id.
        None => Published {
            url: profile_url(&pending.username),
            remote: RemoteRef {
                id: pending.publish_id.clone(),
                cid: None,
                root: None,
            },
        },
    }
}

impl Connector for Tiktok {
    fn can_like(&self, _kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        crate::inbox::Ability::Not("TikTok's API cannot like comments")
    }

    fn can_delete_comment(
        &self,
        _kind: owlery_domain::inbox::MessageKind,
    ) -> crate::inbox::Ability {
        crate::inbox::Ability::Not(
            "TikTok's API cannot delete comments: remove it in the TikTok app",
        )
    }

    fn network(&self) -> Network {
        Network::Tiktok
    }

    /// Photos only from public addresses (`PULL_FROM_URL` is the photo post's only source).
    /// Videos are uploaded (`FILE_UPLOAD`): `PULL_FROM_URL` for a video needs the address's
    /// domain verified for the TikTok app, which Owlery cannot assume.
    fn media_source(&self, kind: MediaKind) -> MediaSource {
        match kind {
            MediaKind::Image => MediaSource::Url,
            MediaKind::Video => MediaSource::Bytes,
        }
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let answer = self
            .api(
                creds,
                Method::GET,
                "/v2/user/info/",
                &[("fields", "open_id,union_id,display_name,username")],
                None,
                Effect::Read,
            )
            .await?;
        let user = answer.pointer("/data/user").unwrap_or(&Value::Null);
        let text = |k: &str| {
            user.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let id = text("open_id").ok_or_else(|| ConnectorError::Temporary {
            reason: "TikTok answered the profile without an open_id".into(),
            retry_after: None,
        })?;
        let handle = text("username")
            .or_else(|| text("display_name"))
            .unwrap_or_else(|| id.clone());
        Ok(AccountInfo { id, handle })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        if creds.auth == AuthKind::TiktokBusiness {
            // Its tokens are for the API for Business, not Login Kit's Content Posting API: a call
            // would be refused as a bad token and mark a working channel "needs reconnecting".
            return Err(refuse(
                "this TikTok channel is connected as a business account (TikTok API for \
                 Business), which Owlery uses to read and answer comments; Owlery does not \
                 publish through that connection: post it in the TikTok app",
            ));
        }
        let plan = plan(req)?;
        let key = Tiktok::key(creds, req);
        let known = self.publishes().get(&key).cloned();
        if let Some(pending) = known {
            // A repeat: follow the publish TikTok already accepted instead of posting again,
            // unless TikTok says it failed.
            match self.fetch_status(creds, &pending.publish_id).await {
                Ok(PostStatus::Failed(_)) => {
                    self.publishes().remove(&key);
                }
                Ok(PostStatus::Complete(ids)) => return Ok(published(&pending, &ids)),
                Ok(_) => return self.settle(creds, &key, &pending).await,
                Err(e) => return Err(after_init(e, &pending.publish_id)),
            }
        }

        let creator = self.creator_info(creds).await?;
        let Some(privacy) = choose_privacy(&creator.privacy_levels) else {
            return Err(refuse(format!(
                "TikTok offers this account no privacy level Owlery can post with (offered: {})",
                creator.privacy_levels.join(", ")
            )));
        };
        let username = creator
            .username
            .clone()
            .unwrap_or_else(|| creds.handle.trim().trim_start_matches('@').to_owned());
        let pending = match plan {
            Plan::Video {
                media,
                caption,
                mime,
            } => {
                if let (Some(max), Some(ms)) = (creator.max_video_seconds, media.duration_ms)
                    && ms > max.saturating_mul(1000)
                {
                    return Err(refuse(format!(
                        "the video is {} s long; TikTok lets this account post at most {max} s: \
                         shorten it",
                        ms.div_ceil(1000)
                    )));
                }
                let (publish_id, upload_url) = self
                    .init_video(creds, &creator, privacy, media, caption)
                    .await?;
                let pending = Pending {
                    publish_id,
                    photo: false,
                    username,
                };
                self.publishes().insert(key.clone(), pending.clone());
                {
                    let Some(upload_url) = upload_url else {
                        self.publishes().remove(&key);
                        return Err(ConnectorError::Temporary {
                            reason: "TikTok answered the upload without an upload address".into(),
                            retry_after: None,
                        });
                    };
                    match self.upload(creds, &upload_url, media, mime).await {
                        Ok(()) => {}
                        // The server may have the whole video: the publish id stays known.
                        Err(e @ ConnectorError::Unknown { .. }) => return Err(e),
                        // Refused: TikTok will never finish this upload, so a repeat starts anew.
                        Err(e) => {
                            self.publishes().remove(&key);
                            return Err(e);
                        }
                    }
                }
                pending
            }
            Plan::Photos {
                urls,
                title,
                description,
            } => {
                let publish_id = self
                    .init_photos(creds, &creator, privacy, &urls, title, description)
                    .await?;
                let pending = Pending {
                    publish_id,
                    photo: true,
                    username,
                };
                self.publishes().insert(key.clone(), pending.clone());
                pending
            }
        };
        tracing::info!(
            network = "tiktok",
            tiktok.publish_id = %pending.publish_id,
            "post accepted; following its processing"
        );
        self.settle(creds, &key, &pending).await
    }

    /// By the publish id this process remembers for the idempotency key; without one TikTok's API
    /// cannot tell (no search, and only public, moderated videos are listed).
    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        _since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        let key = Tiktok::key(creds, req);
        let known = self.publishes().get(&key).cloned();
        let Some(pending) = known else {
            return Ok(Lookup::CannotTell {
                reason: "TikTok's API cannot search an account's posts, and this Owlery process \
                         has no record of a TikTok publish for this part (it may have restarted): \
                         check the account in the TikTok app"
                    .into(),
            });
        };
        match self.fetch_status(creds, &pending.publish_id).await? {
            PostStatus::Complete(ids) => Ok(Lookup::Found(published(&pending, &ids))),
            PostStatus::Failed(_) => {
                self.publishes().remove(&key);
                Ok(Lookup::Absent)
            }
            PostStatus::Inbox => Ok(Lookup::CannotTell {
                reason: format!(
                    "TikTok put publish {} in the creator's inbox as a draft: check the TikTok app",
                    pending.publish_id
                ),
            }),
            PostStatus::Processing(stage) => Err(ConnectorError::Temporary {
                reason: format!(
                    "TikTok is still processing publish {} ({stage})",
                    pending.publish_id
                ),
                retry_after: Some(STILL_PROCESSING_WAIT),
            }),
        }
    }

    /// Comments on a business account's videos, through the TikTok API for Business ([`inbox`]);
    /// a channel connected with a personal login is told it cannot be read.
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

    async fn delete(&self, _creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        Err(refuse(format!(
            "TikTok's API cannot delete posts: delete {} in the TikTok app",
            remote.id
        )))
    }

    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        let mut id = remote.id.clone();
        if !is_post_id(&id) {
            // Known only by its publish id: ask whether TikTok has given the post id since.
            match self.fetch_status(creds, &id).await? {
                PostStatus::Complete(ids) => match ids.into_iter().next() {
                    Some(post) => id = post,
                    None => {
                        return Ok(RemoteStatus {
                            exists: true,
                            metrics: Metrics::default(),
                        });
                    }
                },
                PostStatus::Failed(_) => return Ok(RemoteStatus::default()),
                PostStatus::Processing(_) | PostStatus::Inbox => {
                    return Ok(RemoteStatus {
                        exists: true,
                        metrics: Metrics::default(),
                    });
                }
            }
        }
        let answer = self
            .api(
                creds,
                Method::POST,
                "/v2/video/query/",
                &[(
                    "fields",
                    "id,like_count,comment_count,share_count,view_count",
                )],
                Some(json!({ "filters": { "video_ids": [id] } })),
                Effect::Read,
            )
            .await?;
        let video = answer
            .pointer("/data/videos")
            .and_then(Value::as_array)
            .and_then(|videos| {
                videos
                    .iter()
                    .find(|v| v.get("id").and_then(id_string).as_deref() == Some(id.as_str()))
            });
        Ok(match video {
            None => RemoteStatus::default(),
            Some(v) => {
                let n = |k: &str| v.get(k).and_then(Value::as_u64);
                RemoteStatus {
                    exists: true,
                    metrics: Metrics {
                        likes: n("like_count"),
                        shares: n("share_count"),
                        comments: n("comment_count"),
                        views: n("view_count"),
                        saves: None,
                    },
                }
            }
        })
    }

    /// `grant_type=refresh_token` with `client_key` and `client_secret`; TikTok rotates refresh
    /// tokens, so the grant carries the new one.
    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        if creds.auth == AuthKind::TiktokBusiness {
            return self.business_refresh(creds).await;
        }
        let Some(refresh) = &creds.refresh else {
            return Ok(None);
        };
        let Some(app) = &creds.app else {
            return Err(refuse(
                "no TikTok app is configured for this organisation: the token cannot be refreshed",
            ));
        };
        let form = [
            ("client_key", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose_secret()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
        ];
        let request = self.http.post(self.token_url()).form(&form);
        let answer = self
            .send(creds, request, "/v2/oauth/token/", Effect::Read)
            .await?;
        let now = SystemTime::now();
        let said_error = answer
            .body
            .get("error")
            .and_then(Value::as_str)
            .is_some_and(|e| !e.is_empty());
        if said_error || !answer.status.is_success() {
            return Err(oauth::classify_token_error(
                answer.status,
                &answer.headers,
                &answer.body,
                now,
            ));
        }
        oauth::grant_from(&answer.body, now).map(Some)
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(OAuthSpec {
            authorize_url: AUTHORIZE_URL.to_owned(),
            token_url: self.token_url(),
            scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            scope_separator: ",",
            pkce: false,
            client_auth: ClientAuth::Body,
            client_id_param: "client_key",
            extra_authorize: Vec::new(),
        })
    }

    /// Login Kit ([`Connector::oauth`]), or the TikTok API for Business's account authorization.
    fn oauth_for(&self, auth: AuthKind, service: Option<&str>) -> Option<OAuthSpec> {
        match auth {
            AuthKind::Standard => self.oauth(service),
            AuthKind::TiktokBusiness => Some(self.business_oauth()),
        }
    }

    /// A business account's code goes to the API for Business's own token endpoint.
    async fn accounts_from_code(
        &self,
        auth: AuthKind,
        app: &AppCredentials,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Option<Vec<GrantedAccount>>, ConnectorError> {
        match auth {
            AuthKind::Standard => Ok(None),
            AuthKind::TiktokBusiness => self
                .business_accounts(app, code, redirect_uri)
                .await
                .map(Some),
        }
    }

    /// A personal TikTok login answers nothing (TikTok's APIs for it offer no replies); a business
    /// account answers comments through the API for Business ([`Connector::can_reply_as`]).
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        let _ = kind;
        false
    }

    fn can_reply_as(&self, auth: AuthKind, kind: owlery_domain::inbox::MessageKind) -> bool {
        auth == AuthKind::TiktokBusiness && kind == owlery_domain::inbox::MessageKind::Comment
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        self.business_reply(creds, req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishPart;
    use reqwest::header::HeaderValue;

    fn video(bytes: usize) -> MediaUpload {
        MediaUpload {
            kind: MediaKind::Video,
            bytes: vec![0; bytes],
            mime: "video/mp4".into(),
            width: 1080,
            height: 1920,
            duration_ms: Some(10_000),
            ..MediaUpload::default()
        }
    }

    fn photo(url: Option<&str>) -> MediaUpload {
        MediaUpload {
            kind: MediaKind::Image,
            bytes: vec![1; 10],
            mime: "image/jpeg".into(),
            url: url.map(str::to_owned),
            ..MediaUpload::default()
        }
    }

    fn req(media: Vec<MediaUpload>) -> PublishRequest {
        PublishRequest {
            part: PublishPart {
                text: "caption".into(),
                media,
                ..PublishPart::default()
            },
            ..PublishRequest::new("k", "caption")
        }
    }

    #[test]
    fn chunks_follow_the_media_transfer_guide() {
        // under two chunks: whole, chunk_size = the video's size
        assert_eq!(
            chunks_for(3_000_000),
            Chunks {
                chunk_size: 3_000_000,
                count: 1
            }
        );
        assert_eq!(
            chunk_ranges(3_000_000, chunks_for(3_000_000)),
            vec![(0, 2_999_999)]
        );
        assert_eq!(chunks_for(19_999_999).count, 1);
        // the guide's example: 50,000,123 bytes in 10,000,000-byte chunks → 5, trailing 123 in
        // the last
        let c = chunks_for(50_000_123);
        assert_eq!(
            c,
            Chunks {
                chunk_size: 10_000_000,
                count: 5
            }
        );
        let ranges = chunk_ranges(50_000_123, c);
        assert_eq!(ranges.len(), 5);
        assert_eq!(ranges[0], (0, 9_999_999));
        assert_eq!(ranges[4], (40_000_000, 50_000_122));
        // contiguous, covering everything
        for w in ranges.windows(2) {
            assert_eq!(w[0].1 + 1, w[1].0);
        }
        assert!(chunk_ranges(0, chunks_for(0)).is_empty());
        // 4 GB stays under 1,000 chunks, each final chunk under 128 MB
        let big = chunks_for(MAX_VIDEO_BYTES);
        assert!(big.count <= MAX_CHUNKS);
        let (first, last) = *chunk_ranges(MAX_VIDEO_BYTES, big).last().unwrap();
        assert!(last - first + 1 < 128 * 1024 * 1024);
    }

    #[test]
    fn the_widest_allowed_privacy_is_chosen() {
        let opts = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            choose_privacy(&opts(&[
                "SELF_ONLY",
                "PUBLIC_TO_EVERYONE",
                "MUTUAL_FOLLOW_FRIENDS"
            ])),
            Some("PUBLIC_TO_EVERYONE")
        );
        // a private account
        assert_eq!(
            choose_privacy(&opts(&[
                "FOLLOWER_OF_CREATOR",
                "MUTUAL_FOLLOW_FRIENDS",
                "SELF_ONLY"
            ])),
            Some("FOLLOWER_OF_CREATOR")
        );
        assert_eq!(
            choose_privacy(&opts(&[
                "SELF_ONLY",
                "FOLLOWER_OF_CREATOR",
                "MUTUAL_FOLLOW_FRIENDS",
                "PUBLIC_TO_EVERYONE"
            ])),
            Some("PUBLIC_TO_EVERYONE")
        );
        assert_eq!(
            choose_privacy(&opts(&["SELF_ONLY", "MUTUAL_FOLLOW_FRIENDS"])),
            Some("MUTUAL_FOLLOW_FRIENDS")
        );
        assert_eq!(choose_privacy(&opts(&["SELF_ONLY"])), Some("SELF_ONLY"));
        assert_eq!(choose_privacy(&opts(&["SOMETHING_NEW"])), None);
    }

    #[test]
    fn statuses_are_read_as_documented() {
        assert_eq!(
            parse_status(
                &json!({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7_234_567_890_123_456_789_u64]})
            ),
            PostStatus::Complete(vec!["7234567890123456789".into()])
        );
        assert_eq!(
            parse_status(&json!({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": []})),
            PostStatus::Complete(vec![])
        );
        assert_eq!(
            parse_status(
                &json!({"status": "FAILED", "fail_reason": "picture_size_check_failed", "publicaly_available_post_id": [], "uploaded_bytes": 10000})
            ),
            PostStatus::Failed("picture_size_check_failed".into())
        );
        assert_eq!(
            parse_status(&json!({"status": "PROCESSING_UPLOAD", "uploaded_bytes": 10000})),
            PostStatus::Processing("PROCESSING_UPLOAD".into())
        );
        assert_eq!(
            parse_status(&json!({"status": "SEND_TO_USER_INBOX"})),
            PostStatus::Inbox
        );
        assert!(fail_reason_text("duration_check_failed").contains("too long"));
        assert!(fail_reason_text("brand_new_reason").contains("brand_new_reason"));
    }

    #[test]
    fn ids_and_urls() {
        assert!(is_post_id("7234567890123456789"));
        assert!(!is_post_id("v_pub_file~v2-1.123456789"));
        assert!(!is_post_id(""));
        assert_eq!(
            post_url("@owlery", "72", false),
            "https://www.tiktok.com/@owlery/video/72"
        );
        assert_eq!(
            post_url("owlery", "72", true),
            "https://www.tiktok.com/@owlery/photo/72"
        );
        assert_eq!(profile_url("owlery"), "https://www.tiktok.com/@owlery");
    }

    #[test]
    fn error_bodies_are_classified() {
        let now = SystemTime::UNIX_EPOCH;
        let none = HeaderMap::new();
        let body = |code: &str| json!({"error": {"code": code, "message": "said", "log_id": "L1"}});
        let c = |status: u16, code: &str, h: &HeaderMap| {
            classify(StatusCode::from_u16(status).unwrap(), h, &body(code), now)
        };
        assert!(matches!(
            c(401, "access_token_invalid", &none),
            ConnectorError::Auth { .. }
        ));
        assert!(matches!(
            c(401, "scope_not_authorized", &none),
            ConnectorError::Auth { .. }
        ));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("30"));
        assert_eq!(
            c(429, "rate_limit_exceeded", &h),
            ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(30))
            }
        );
        assert!(matches!(
            c(403, "spam_risk_too_many_posts", &none),
            ConnectorError::RateLimited {
                retry_after: Some(_)
            }
        ));
        assert!(matches!(
            c(403, "spam_risk_user_banned_from_posting", &none),
            ConnectorError::Permanent { reason } if reason.contains("check the account in the TikTok app")
        ));
        assert!(matches!(
            c(403, "unaudited_client_can_only_post_to_private_accounts", &none),
            ConnectorError::Permanent { reason } if reason.contains("make the account private")
        ));
        assert!(matches!(
            c(400, "invalid_params", &none),
            ConnectorError::Permanent { reason } if reason.contains("said") && reason.contains("L1")
        ));
        assert!(matches!(
            c(500, "internal_error", &none),
            ConnectorError::Temporary { .. }
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, &none, &Value::Null, now),
            ConnectorError::Temporary { .. }
        ));
        // an unknown code keeps the HTTP meaning
        assert!(matches!(
            c(403, "brand_new", &none),
            ConnectorError::Permanent { .. }
        ));
    }

    #[test]
    fn what_tiktok_cannot_do_is_refused() {
        assert!(matches!(
            plan(&req(vec![video(100)])),
            Ok(Plan::Video { .. })
        ));
        assert!(matches!(
            plan(&req(vec![photo(Some("https://m.example/1.jpg"))])),
            Ok(Plan::Photos { .. })
        ));
        let refused = |r: PublishRequest| match plan(&r) {
            Err(ConnectorError::Permanent { reason }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(refused(req(vec![])).contains("text-only"));
        assert!(refused(req(vec![photo(None)])).contains("public address"));
        assert!(refused(req(vec![video(10), photo(Some("u"))])).contains("not both"));
        assert!(refused(req(vec![video(10), video(10)])).contains("one video"));
        let mut png = photo(Some("u"));
        png.mime = "image/png".into();
        assert!(refused(req(vec![png])).contains("JPEG"));
        let mut r = req(vec![video(10)]);
        r.part.text = "é".repeat(MAX_CAPTION + 1);
        assert!(refused(r).contains("caption"));
        let mut r = req(vec![video(10)]);
        r.placement = "photo".into();
        assert!(refused(r).contains("photos"));
        let mut r = req(vec![video(10)]);
        r.placement = "story".into();
        assert!(refused(r).contains("placement"));
        let mut r = req(vec![video(10)]);
        r.reply_to = Some(RemoteRef {
            id: "1".into(),
            cid: None,
            root: None,
        });
        r.as_comment = true;
        assert!(refused(r.clone()).contains("comments"));
        r.as_comment = false;
        assert!(refused(r).contains("threads"));
        assert!(refused(req(vec![photo(Some("u")); MAX_PHOTOS + 1])).contains("at most"));
    }
}
