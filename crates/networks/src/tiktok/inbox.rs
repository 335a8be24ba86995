//! TikTok's inbox: comments on a **business account's** videos, polled through the TikTok API for
//! Business (`https://business-api.tiktok.com/open_api/v1.3`, header `Access-Token`, answers in
//! the envelope `{"code": 0, "message": "OK", "request_id", "data"}`).
//!
//! - `GET /business/video/list/?business_id=…&fields=["item_id","create_time","share_url"]
//!   &max_count=20`: the account's newest videos (newest first).
//! - `GET /business/comment/list/?business_id=…&video_id=…&include_replies=true
//!   &sort_field=create_time&sort_order=desc&max_count=30&cursor=…`: a video's comments, newest
//!   first, each with up to 3 of its replies (`reply_list`), `cursor`/`has_more` paging.
//! - `GET /business/comment/reply/list/?business_id=…&video_id=…&comment_id=…
//!   &sort_field=create_time&sort_order=desc&max_count=30`: the rest of a comment's replies.
//!
//! The request and response fields are those of TikTok's API for Business reference for these
//! endpoints as mirrored by a third-party SDK (`bububa/tiktok-business`, Go), since the
//! reference's own pages were not in reach; the error codes (40100 too many requests,
//! 40102/40104/40105 token expired/missing/invalid, 40001 no permission, 5xxxx system errors)
//! are from TikTok's Marketing API error list by general knowledge. **Fixture-verified only**
//! (`tests/tiktok_inbox_fixture.rs`), never against TikTok.
//!
//! Who can be polled: only an account connected through the TikTok API for Business (its
//! credentials' `auth` is [`AuthKind::TiktokBusiness`], its `account_id` the `business_id`, i.e.
//! the `open_id` of `/tt_user/oauth2/token/`; see [`super::business`]), with the `comment.list`
//! scope. A channel connected through Login Kit
//! (the personal grant Owlery's TikTok publishing uses) cannot read comments at all: its poll
//! fails with a permanent error that says so, rather than reading nothing.
//!
//! Cursor: one [`Sweep`] per video (newest comments down to the video's watermark), for the
//! videos on the newest page only — bounded, and comments on older videos are not read. A video
//! new since the last poll is read from its first comment. Replies count by their own time; a new
//! reply to a comment below the watermark is read only when TikTok includes it in a page above it
//! (the API lists comments by their own creation time).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use owlery_domain::inbox::{Author, MessageKind};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Tiktok;
use crate::http::{self, Effect};
use crate::inbox::{InboxItem, InboxPoll, MAX_PAGES_PER_POLL, Sweep};
use crate::{AuthKind, ConnectorError, Credentials};

/// The TikTok API for Business host.
pub const BUSINESS_API_BASE: &str = "https://business-api.tiktok.com";
const PREFIX: &str = "/open_api/v1.3";
/// Videos whose comments are read (one page of `video/list`, its maximum).
const VIDEOS: &str = "20";
/// Comments per page (the maximum).
const COMMENTS: &str = "30";
/// Pages of replies read for one comment at most.
const REPLY_PAGES: usize = 5;

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Cursor {
    /// Video id → how far its comments were read.
    #[serde(default)]
    videos: BTreeMap<String, Sweep>,
}

/// Whether a channel was connected through the TikTok API for Business (the only grant that can
/// read comments): what its credentials say, never its address.
pub fn is_business_grant(creds: &Credentials) -> bool {
    creds.auth == AuthKind::TiktokBusiness
}

/// A comment or reply: its id and time always (the sweep counts the account's own too), the
/// message only when someone else wrote it.
struct Seen {
    id: String,
    time: DateTime<Utc>,
    replies: u64,
    included: usize,
    item: Option<InboxItem>,
}

impl Tiktok {
    pub(super) async fn poll(
        &self,
        creds: &Credentials,
        cursor: Option<&str>,
    ) -> Result<InboxPoll, ConnectorError> {
        if !is_business_grant(creds) {
            return Err(ConnectorError::Permanent {
                reason: "this TikTok channel is connected with a personal TikTok login, which \
                         cannot read comments: TikTok lets apps read comments only for business \
                         accounts connected through the TikTok API for Business (scope \
                         comment.list). Answer comments in the TikTok app, or connect the business \
                         account that way"
                    .into(),
            });
        }
        let business = super::business::business_id(creds)?;
        let previous: Cursor = match cursor {
            None => Cursor::default(),
            Some(raw) => serde_json::from_str(raw).map_err(|e| ConnectorError::Permanent {
                reason: format!("the stored TikTok inbox cursor is unreadable ({e})"),
            })?,
        };
        let first_poll = cursor.is_none();
        let videos = self
            .business_get(
                creds,
                "/business/video/list/",
                &[
                    ("business_id", business),
                    ("fields", r#"["item_id","create_time","share_url"]"#),
                    ("max_count", VIDEOS),
                ],
            )
            .await?;
        let mut next = Cursor::default();
        let mut items = Vec::new();
        let mut more = false;
        let mut old = previous.videos;
        for video in videos
            .get("videos")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(video_id) = id_of(video, "item_id") else {
                continue;
            };
            let share_url = video
                .get("share_url")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let sweep = old.remove(&video_id).unwrap_or_else(|| {
                if first_poll {
                    // The first poll of a channel: the newest page of each video.
                    Sweep::default()
                } else {
                    // A video new since the last poll: all its comments.
                    Sweep {
                        seen: Some(DateTime::UNIX_EPOCH),
                        ..Sweep::default()
                    }
                }
            });
            let (read, sweep, unfinished) = self
                .sweep_video(creds, business, &video_id, share_url.as_deref(), sweep)
                .await?;
            items.extend(read);
            more |= unfinished;
            if sweep != Sweep::default() {
                next.videos.insert(video_id, sweep);
            }
        }
        items.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.remote_id.cmp(&b.remote_id))
        });
        items.dedup_by(|a, b| a.remote_id == b.remote_id);
        // A struct of strings and timestamps always serialises.
        let encoded = serde_json::to_string(&next).unwrap_or_default();
        Ok(InboxPoll {
            items,
            cursor: (Some(encoded.as_str()) != cursor).then_some(encoded),
            more,
        })
    }

    /// One video's comments from the newest down to its watermark: the messages, the video's
    /// sweep after this poll, and whether the sweep goes on in the next poll.
    async fn sweep_video(
        &self,
        creds: &Credentials,
        business: &str,
        video: &str,
        url: Option<&str>,
        mut sweep: Sweep,
    ) -> Result<(Vec<InboxItem>, Sweep, bool), ConnectorError> {
        let mut items = Vec::new();
        let mut page = sweep.next.take();
        for _ in 0..MAX_PAGES_PER_POLL {
            let mut query = vec![
                ("business_id", business),
                ("video_id", video),
                ("include_replies", "true"),
                ("sort_field", "create_time"),
                ("sort_order", "desc"),
                ("max_count", COMMENTS),
            ];
            if let Some(p) = &page {
                query.push(("cursor", p.as_str()));
            }
            let data = self
                .business_get(creds, "/business/comment/list/", &query)
                .await?;
            let comments = data
                .get("comments")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut reached_seen = false;
            for comment in comments {
                let Some(top) = seen_of(comment, video, url) else {
                    continue;
                };
                if sweep.is_below(top.time) {
                    reached_seen = true;
                    break;
                }
                let mut thread = vec![];
                for reply in comment
                    .get("reply_list")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    thread.extend(seen_of(reply, video, url));
                }
                if top.replies > top.included as u64 {
                    thread.extend(
                        self.replies(creds, business, video, url, &top.id, &sweep)
                            .await?,
                    );
                }
                thread.push(top);
                for c in thread {
                    if sweep.is_below(c.time) || sweep.already_read(c.time, &c.id) {
                        continue;
                    }
                    sweep.read(c.time, &c.id);
                    items.extend(c.item);
                }
            }
            let has_more = data.get("has_more").and_then(Value::as_bool) == Some(true);
            let next_page = data.get("cursor").and_then(|c| {
                c.as_i64()
                    .map(|n| n.to_string())
                    .or_else(|| c.as_str().map(str::to_owned))
            });
            if reached_seen || sweep.is_first() || comments.is_empty() || !has_more {
                page = None;
                break;
            }
            let Some(next_page) = next_page else {
                page = None;
                break;
            };
            page = Some(next_page);
        }
        let unfinished = page.is_some();
        Ok((items, sweep.after(page), unfinished))
    }

    /// A comment's replies beyond the ones its listing included, newest first, down to the
    /// watermark.
    async fn replies(
        &self,
        creds: &Credentials,
        business: &str,
        video: &str,
        url: Option<&str>,
        comment: &str,
        sweep: &Sweep,
    ) -> Result<Vec<Seen>, ConnectorError> {
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..REPLY_PAGES {
            let mut query = vec![
                ("business_id", business),
                ("video_id", video),
                ("comment_id", comment),
                ("sort_field", "create_time"),
                ("sort_order", "desc"),
                ("max_count", COMMENTS),
            ];
            if let Some(p) = &page {
                query.push(("cursor", p.as_str()));
            }
            let data = self
                .business_get(creds, "/business/comment/reply/list/", &query)
                .await?;
            let mut below = false;
            for reply in data
                .get("comments")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Some(r) = seen_of(reply, video, url) {
                    below |= sweep.is_below(r.time);
                    out.push(r);
                }
            }
            let has_more = data.get("has_more").and_then(Value::as_bool) == Some(true);
            page = data.get("cursor").and_then(|c| {
                c.as_i64()
                    .map(|n| n.to_string())
                    .or_else(|| c.as_str().map(str::to_owned))
            });
            if below || !has_more || page.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// A GET on the API for Business: the answer's `data` when `code` is 0, else the error.
    pub(super) async fn business_get(
        &self,
        creds: &Credentials,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, ConnectorError> {
        let request = self
            .http
            .get(format!("{}{PREFIX}{path}", self.business_base))
            .header("Access-Token", creds.secret.expose_secret())
            .query(query);
        let answer = self.send(creds, request, path, Effect::Read).await?;
        let code = answer.body.get("code").and_then(Value::as_i64);
        if answer.status.is_success() && code == Some(0) {
            return Ok(answer.body.get("data").cloned().unwrap_or(Value::Null));
        }
        let err = business_error(answer.status, &answer.headers, &answer.body);
        if let ConnectorError::RateLimited { retry_after } = &err {
            self.budgets.exhausted(
                crate::Network::Tiktok,
                crate::budget::Scope::Account,
                &creds.budget_key(),
                path,
                *retry_after,
                std::time::SystemTime::now(),
            );
        }
        Err(err)
    }
}

/// An API for Business error answer as a connector error.
pub fn business_error(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
) -> ConnectorError {
    let code = body.get("code").and_then(Value::as_i64);
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let request = body.get("request_id").and_then(Value::as_str).unwrap_or("");
    let said = match code {
        Some(c) => format!("{message} [{c}] (TikTok request id {request})"),
        None => format!("HTTP {status}"),
    };
    let now = std::time::SystemTime::now();
    match code {
        Some(40100) => ConnectorError::RateLimited {
            retry_after: http::retry_after(headers, now),
        },
        Some(40102 | 40104 | 40105) => ConnectorError::Auth {
            reason: format!(
                "TikTok no longer accepts this business account's token ({said}): reconnect the \
                 channel"
            ),
        },
        Some(40001) => ConnectorError::Permanent {
            reason: format!(
                "the TikTok business account did not give Owlery the permission to read comments \
                 ({said}): reconnect it and allow comment.list"
            ),
        },
        Some(c) if c >= 50000 => ConnectorError::Temporary {
            reason: format!("TikTok had an internal error: {said}"),
            retry_after: None,
        },
        Some(_) => ConnectorError::Permanent {
            reason: format!("TikTok refused the request: {said}"),
        },
        None => http::classify_status(status, headers, &said, now),
    }
}

/// An id TikTok sends as a string (or a number).
fn id_of(v: &Value, field: &str) -> Option<String> {
    let id = v.get(field)?;
    id.as_str()
        .map(str::to_owned)
        .or_else(|| id.as_i64().map(|n| n.to_string()))
        .filter(|s| !s.is_empty())
}

/// `create_time`: Unix seconds, as a number or a string.
fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    let t = v.get("create_time")?;
    let secs = t
        .as_i64()
        .or_else(|| t.as_str().and_then(|s| s.parse().ok()))?;
    DateTime::from_timestamp(secs, 0)
}

fn seen_of(c: &Value, video: &str, url: Option<&str>) -> Option<Seen> {
    let id = id_of(c, "comment_id")?;
    let time = time_of(c)?;
    let replies = c.get("replies").and_then(Value::as_u64).unwrap_or(0);
    let included = c
        .get("reply_list")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    // `owner`: written by the account that posted the video, i.e. Owlery's own answers.
    let own = c.get("owner").and_then(Value::as_bool) == Some(true);
    let item = (!own).then(|| {
        let handle = c
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let name = c
            .get("display_name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(&handle)
            .to_owned();
        let author = id_of(c, "unique_identifier")
            .or_else(|| id_of(c, "user_id"))
            .unwrap_or_else(|| format!("name:{handle}"));
        let parent = id_of(c, "parent_comment_id");
        InboxItem {
            remote_id: id.clone(),
            kind: MessageKind::Comment,
            author: Author {
                remote_id: author,
                handle,
                name,
                followers: None,
            },
            text: c
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned(),
            created_at: time,
            conversation_remote_id: Some(video.to_owned()),
            in_reply_to_remote_id: Some(parent.unwrap_or_else(|| video.to_owned())),
            media: Vec::new(),
            url: url.map(str::to_owned),
        }
    });
    Some(Seen {
        id,
        time,
        replies,
        included,
        item,
    })
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;
    use serde_json::json;

    use super::*;

    #[test]
    fn only_business_grants_can_be_polled() {
        let personal = Credentials::new("brand", "act.x");
        assert!(!is_business_grant(&personal));
        // An address is not a kind of grant.
        let addressed =
            Credentials::new("brand", "act.x").with_service("https://business-api.tiktok.com/");
        assert!(!is_business_grant(&addressed));
        let business = Credentials::new("brand", "act.x").with_auth(AuthKind::TiktokBusiness);
        assert!(is_business_grant(&business));
    }

    #[test]
    fn comments_by_the_video_owner_are_not_messages_and_replies_answer_their_comment() {
        let reply = json!({
            "comment_id": "7301", "video_id": "v1", "unique_identifier": "+AB/cd",
            "create_time": "1790000000", "text": " Where? ", "username": "ana",
            "display_name": "", "parent_comment_id": "7300", "owner": false
        });
        let seen = seen_of(&reply, "v1", None).and_then(|s| s.item);
        assert_eq!(
            seen.map(|i| (
                i.author.remote_id,
                i.author.name,
                i.text,
                i.in_reply_to_remote_id
            )),
            Some((
                "+AB/cd".into(),
                "ana".into(),
                "Where?".into(),
                Some("7300".into())
            ))
        );
        let own = json!({"comment_id": "7302", "create_time": 1790000001, "owner": true});
        assert!(seen_of(&own, "v1", None).is_some_and(|s| s.item.is_none()));
        assert!(seen_of(&json!({"comment_id": "x"}), "v1", None).is_none());
    }

    #[test]
    fn errors_are_classified() {
        let e = |code: i64| {
            business_error(
                StatusCode::OK,
                &HeaderMap::new(),
                &json!({"code": code, "message": "m", "request_id": "r"}),
            )
        };
        assert!(matches!(e(40100), ConnectorError::RateLimited { .. }));
        assert!(matches!(e(40105), ConnectorError::Auth { .. }));
        assert!(
            matches!(e(40001), ConnectorError::Permanent { reason } if reason.contains("comment.list"))
        );
        assert!(matches!(e(50002), ConnectorError::Temporary { .. }));
        assert!(matches!(e(40002), ConnectorError::Permanent { .. }));
    }
}
