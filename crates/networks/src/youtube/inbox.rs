//! YouTube's inbox by polling the comments on the channel's videos.
//!
//! - `GET /youtube/v3/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=…&order=time
//!   &maxResults=100&textFormat=plainText&pageToken=…`
//!   (<https://developers.google.com/youtube/v3/docs/commentThreads/list>): the channel's comment
//!   threads, newest first, each with its top-level comment and some of its replies.
//! - `GET /youtube/v3/comments?part=snippet&parentId=…&maxResults=100&textFormat=plainText`
//!   (<https://developers.google.com/youtube/v3/docs/comments/list>): all replies of a thread whose
//!   `snippet.totalReplyCount` is more than the replies included.
//!
//! Both cost 1 quota unit a page (of the project's 10,000 a day). Before every page the poll asks
//! the budget book: after `quotaExceeded` (filed by the connector's error path) it waits for the
//! quota's reset (midnight Pacific Time) with `RateLimited` instead of spending calls.
//!
//! Every comment is a comment on its video (`conversation_remote_id`: the video id; the domain
//! threads one conversation per video and author). A reply answers its thread's top-level comment
//! (`parentId`; replies are one level deep on YouTube). Comments by the channel itself are its own
//! answers, already in the inbox as outbound messages: skipped.
//!
//! The cursor is an [`inbox::Sweep`](crate::inbox::Sweep) over each comment's latest activity
//! (`updatedAt` when later than `publishedAt`, so an edited comment is read again and the inbox
//! updates its text). The reference says only that `order=time` lists threads "by time"; the sweep
//! stops at the first thread whose known activity (top-level comment and included replies) is below
//! the watermark. A reply to a thread that YouTube keeps listing below the watermark is therefore
//! read only if YouTube lists threads by their latest activity — not verifiable against fixtures.
//!
//! Tested against local fixtures shaped as the reference's resources (`tests/youtube_fixture.rs`);
//! not verified against the live network.

use chrono::{DateTime, Utc};
use owlery_domain::inbox::{Author, MessageKind};
use reqwest::Method;
use serde_json::Value;

use super::{Youtube, comment_url, unexpected};
use crate::budget::Scope;
use crate::http::Effect;
use crate::inbox::{InboxItem, InboxPoll, MAX_PAGES_PER_POLL, Sweep};
use crate::{Connector, ConnectorError, Credentials, Network};

/// Threads or replies per page (the API's maximum).
const PAGE: &str = "100";
/// Pages of replies read for one thread at most (1,000 replies); a thread with more is read down
/// to that many, newest activity first as YouTube lists them.
const REPLY_PAGES: usize = 10;

/// One comment of a thread, with the time the sweep orders it by.
struct Seen {
    id: String,
    activity: DateTime<Utc>,
    item: Option<InboxItem>,
}

impl Youtube {
    pub(super) async fn poll(
        &self,
        creds: &Credentials,
        cursor: Option<&str>,
    ) -> Result<InboxPoll, ConnectorError> {
        let mut sweep = Sweep::parse(cursor, "YouTube")?;
        let own = match creds.account_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => id.to_owned(),
            None => self.verify(creds).await?.id,
        };
        let mut items = Vec::new();
        let mut next_page = None;
        for _ in 0..MAX_PAGES_PER_POLL {
            self.within_quota(creds)?;
            let mut query = vec![
                ("part", "snippet,replies"),
                ("allThreadsRelatedToChannelId", own.as_str()),
                ("order", "time"),
                ("maxResults", PAGE),
                ("textFormat", "plainText"),
            ];
            let token = next_page.take().or_else(|| sweep.next.take());
            if let Some(token) = &token {
                query.push(("pageToken", token.as_str()));
            }
            let answer = match self
                .call(
                    creds,
                    Method::GET,
                    "/youtube/v3/commentThreads",
                    &query,
                    None,
                    "commentThreads.list",
                    Effect::Read,
                )
                .await
            {
                Ok(a) => a,
                // A page token of an interrupted sweep YouTube no longer takes: sweep again from
                // the newest down to the same watermark (what was read twice, the inbox drops).
                Err(ConnectorError::Permanent { .. }) if token.is_some() => {
                    let restart = Sweep {
                        seen: sweep.seen,
                        at_seen: sweep.at_seen,
                        ..Sweep::default()
                    };
                    return Ok(InboxPoll {
                        items,
                        cursor: restart.end(None, cursor),
                        more: true,
                    });
                }
                Err(e) => return Err(e),
            };
            let threads = answer
                .body
                .get("items")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut reached_seen = false;
            for thread in threads {
                let mut comments = comments_of(thread, &own);
                let Some(activity) = comments.iter().map(|c| c.activity).max() else {
                    continue;
                };
                if sweep.is_below(activity) {
                    reached_seen = true;
                    break;
                }
                if more_replies(thread) {
                    comments.extend(self.replies(creds, thread, &own).await?);
                }
                for c in comments {
                    if sweep.is_below(c.activity) || sweep.already_read(c.activity, &c.id) {
                        continue;
                    }
                    sweep.read(c.activity, &c.id);
                    items.extend(c.item);
                }
            }
            let token = answer
                .body
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if reached_seen || sweep.is_first() || threads.is_empty() || token.is_none() {
                next_page = None;
                break;
            }
            next_page = token;
        }
        items.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.remote_id.cmp(&b.remote_id))
        });
        // A reply listed in its thread and again by comments.list.
        items.dedup_by(|a, b| a.remote_id == b.remote_id);
        let more = next_page.is_some();
        Ok(InboxPoll {
            items,
            cursor: sweep.end(next_page, cursor),
            more,
        })
    }

    /// After `quotaExceeded` the project's quota is empty until midnight Pacific Time: wait
    /// rather than spend calls that fail.
    fn within_quota(&self, creds: &Credentials) -> Result<(), ConnectorError> {
        // The project's daily quota and the channel's short-term limits on these two lists; not
        // the channel's upload limit, which says nothing about reading comments.
        let buckets = [
            (Scope::App, "daily quota"),
            (Scope::Account, "commentThreads.list"),
            (Scope::Account, "comments.list"),
        ];
        match self.budgets.wait_for(
            Network::Youtube,
            &creds.budget_key(),
            &buckets,
            std::time::SystemTime::now(),
        ) {
            Some(wait) => Err(ConnectorError::RateLimited {
                retry_after: Some(wait),
            }),
            None => Ok(()),
        }
    }

    /// All replies of a thread (`comments.list?parentId=`), for threads with more than included.
    async fn replies(
        &self,
        creds: &Credentials,
        thread: &Value,
        own: &str,
    ) -> Result<Vec<Seen>, ConnectorError> {
        let Some(parent) = thread.get("id").and_then(Value::as_str) else {
            return Ok(Vec::new());
        };
        let video = video_of(thread);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..REPLY_PAGES {
            self.within_quota(creds)?;
            let mut query = vec![
                ("part", "snippet"),
                ("parentId", parent),
                ("maxResults", PAGE),
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
            let list = answer
                .body
                .get("items")
                .and_then(Value::as_array)
                .ok_or_else(|| unexpected("a list of replies has no items", Effect::Read))?;
            out.extend(
                list.iter()
                    .filter_map(|c| seen_of(c, video.as_deref(), Some(parent), own)),
            );
            token = answer
                .body
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }
}

/// Whether a thread has replies its listing did not include.
fn more_replies(thread: &Value) -> bool {
    let total = thread
        .pointer("/snippet/totalReplyCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let included = thread
        .pointer("/replies/comments")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    total > included as u64
}

fn video_of(thread: &Value) -> Option<String> {
    thread
        .pointer("/snippet/videoId")
        .or_else(|| thread.pointer("/snippet/topLevelComment/snippet/videoId"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The top-level comment and the included replies of a thread.
fn comments_of(thread: &Value, own: &str) -> Vec<Seen> {
    let video = video_of(thread);
    let mut out = Vec::new();
    let top = thread.pointer("/snippet/topLevelComment");
    let top_id = top.and_then(|t| t.get("id")).and_then(Value::as_str);
    if let Some(top) = top {
        out.extend(seen_of(top, video.as_deref(), None, own));
    }
    for reply in thread
        .pointer("/replies/comments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        out.extend(seen_of(reply, video.as_deref(), top_id, own));
    }
    out
}

fn time(c: &Value, field: &str) -> Option<DateTime<Utc>> {
    c.pointer(&format!("/snippet/{field}"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// One comment resource: its id and activity time always (the sweep counts the channel's own
/// comments too), the message only when someone else wrote it. `parent`: the top-level comment a
/// reply answers (from the thread, or its own `snippet.parentId`).
fn seen_of(c: &Value, video: Option<&str>, parent: Option<&str>, own: &str) -> Option<Seen> {
    let id = c.get("id").and_then(Value::as_str)?.to_owned();
    let published = time(c, "publishedAt")?;
    let activity = time(c, "updatedAt").map_or(published, |u| u.max(published));
    let s = c.get("snippet")?;
    let author_id = s
        .pointer("/authorChannelId/value")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty());
    let item = (author_id != Some(own)).then(|| {
        let name = s
            .get("authorDisplayName")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("YouTube user")
            .to_owned();
        let video = s
            .get("videoId")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .or(video);
        let parent = s
            .get("parentId")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .or(parent);
        InboxItem {
            remote_id: id.clone(),
            kind: MessageKind::Comment,
            author: Author {
                // A deleted channel has no id left: its name is all there is.
                remote_id: author_id.map_or_else(|| format!("name:{name}"), str::to_owned),
                handle: name.trim_start_matches('@').to_owned(),
                name,
                followers: None,
            },
            // `textDisplay` is plain text with `textFormat=plainText`; `textOriginal` is returned
            // only to the comment's author.
            text: s
                .get("textDisplay")
                .or_else(|| s.get("textOriginal"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned(),
            created_at: published,
            conversation_remote_id: video.map(str::to_owned),
            // A top-level comment answers the video; a reply its thread's top-level comment.
            in_reply_to_remote_id: parent.or(video).map(str::to_owned),
            media: Vec::new(),
            url: video.map(|v| comment_url(v, &id)),
        }
    });
    Some(Seen { id, activity, item })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const OWN: &str = "UCbrand";

    fn comment(id: &str, author: &str, published: &str, updated: &str) -> Value {
        json!({
            "kind": "youtube#comment",
            "id": id,
            "snippet": {
                "authorDisplayName": "@ana",
                "authorChannelId": { "value": author },
                "videoId": "vid1",
                "textDisplay": "Where was this filmed?",
                "publishedAt": published,
                "updatedAt": updated,
            }
        })
    }

    #[test]
    fn a_top_level_comment_is_a_comment_on_its_video() {
        let c = comment(
            "Ug1",
            "UCana",
            "2026-11-27T10:00:00Z",
            "2026-11-27T10:00:00Z",
        );
        let seen = seen_of(&c, Some("vid1"), None, OWN).and_then(|s| s.item);
        let item = seen.map(|i| {
            (
                i.kind,
                i.conversation_remote_id,
                i.in_reply_to_remote_id,
                i.author.remote_id,
                i.author.handle,
                i.url,
            )
        });
        assert_eq!(
            item,
            Some((
                MessageKind::Comment,
                Some("vid1".into()),
                Some("vid1".into()),
                "UCana".into(),
                "ana".into(),
                Some("https://www.youtube.com/watch?v=vid1&lc=Ug1".into())
            ))
        );
    }

    #[test]
    fn an_edit_moves_the_activity_and_the_channels_own_comments_are_not_messages() {
        let edited = comment(
            "Ug1",
            "UCana",
            "2026-11-27T10:00:00Z",
            "2026-11-27T11:00:00Z",
        );
        let seen = seen_of(&edited, None, None, OWN);
        assert_eq!(
            seen.as_ref().map(|s| s.activity.to_rfc3339()),
            Some("2026-11-27T11:00:00+00:00".into())
        );
        assert_eq!(
            seen.and_then(|s| s.item).map(|i| i.created_at.to_rfc3339()),
            Some("2026-11-27T10:00:00+00:00".into())
        );
        let own = comment("Ug2.x", OWN, "2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z");
        let seen = seen_of(&own, None, Some("Ug2"), OWN);
        assert!(seen.as_ref().is_some_and(|s| s.item.is_none()));
        assert!(seen_of(&json!({"id": "x"}), None, None, OWN).is_none());
    }

    #[test]
    fn replies_beyond_those_included_are_fetched() {
        let thread = json!({"snippet": {"totalReplyCount": 6}, "replies": {"comments": [{}, {}, {}, {}, {}]}});
        assert!(more_replies(&thread));
        let thread = json!({"snippet": {"totalReplyCount": 2}, "replies": {"comments": [{}, {}]}});
        assert!(!more_replies(&thread));
        assert!(!more_replies(&json!({})));
    }
}
