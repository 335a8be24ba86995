//! Mastodon's inbox by polling `GET /api/v1/notifications?types[]=mention`.
//!
//! On Mastodon every reply, mention and direct message reaches the account as a `mention`
//! notification carrying the status. A status with `visibility: direct` is a DM; one that answers
//! the account's own status (`in_reply_to_account_id`) is a comment on it; anything else naming
//! the account is a mention. Notifications are read forwards with `min_id` (the page immediately
//! after the cursor), so the cursor is simply the newest notification id seen. The first poll of a
//! channel reads the newest page only.
//!
//! Mastodon names only a status' parent, not its thread's root: a comment's post is its parent,
//! and a reply to one of the team's own answers names that answer (the inbox threads it through
//! the answer it replies to).

use chrono::{DateTime, Utc};
use owlery_domain::inbox::{Author, MessageKind};
use reqwest::Method;
use serde_json::Value;

use super::{BUCKET_API, Body, Failure, Mastodon, PAGE_LIMIT, html_to_text, id_field};
use crate::{
    ConnectorError, Credentials,
    http::Effect,
    inbox::{InboxItem, InboxPoll, MAX_PAGES_PER_POLL},
};

impl Mastodon {
    pub(super) async fn poll(
        &self,
        creds: &Credentials,
        cursor: Option<&str>,
    ) -> Result<InboxPoll, ConnectorError> {
        if let Some(c) = cursor
            && !is_id(c)
        {
            return Err(ConnectorError::Permanent {
                reason: format!("the stored Mastodon inbox cursor {c:?} is not a notification id"),
            });
        }
        let instance = self.instance(creds)?;
        let own = self.account_id(creds).await?;
        let url = format!("{instance}/api/v1/notifications");
        let mut newest = cursor.map(str::to_owned);
        let mut items = Vec::new();
        let mut more = false;
        for page in 0..MAX_PAGES_PER_POLL {
            let mut query = vec![
                ("types[]", "mention".to_owned()),
                ("limit", PAGE_LIMIT.to_string()),
            ];
            if let Some(after) = &newest {
                query.push(("min_id", after.clone()));
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
            let list = answer
                .body
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            for n in list {
                let Some(id) = id_field(n, "id").filter(|id| is_id(id)) else {
                    continue;
                };
                if newest.as_deref().is_none_or(|seen| id_newer(&id, seen)) {
                    newest = Some(id);
                }
                if let Some(item) = item_of(n, &own, &instance) {
                    items.push(item);
                }
            }
            // The first poll reads one page; a page that is not full is the end for now.
            let full = list.len() >= PAGE_LIMIT;
            if cursor.is_none() || !full {
                break;
            }
            more = page + 1 == MAX_PAGES_PER_POLL;
        }
        items.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| id_order(&a.remote_id, &b.remote_id))
        });
        items.dedup_by(|a, b| a.remote_id == b.remote_id);
        Ok(InboxPoll {
            items,
            cursor: newest.filter(|n| Some(n.as_str()) != cursor),
            more,
        })
    }
}

/// Mastodon ids are decimal strings (snowflakes): longer is newer, then by text.
fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit())
}

fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn id_newer(a: &str, b: &str) -> bool {
    id_order(a, b) == std::cmp::Ordering::Greater
}

/// The message in one `mention` notification. `own`: the polled account's id.
fn item_of(n: &Value, own: &str, instance: &str) -> Option<InboxItem> {
    let status = n.get("status")?;
    let remote_id = id_field(status, "id")?;
    let account = status.get("account")?;
    let author_id = id_field(account, "id")?;
    if author_id == own {
        return None;
    }
    let acct = account.get("acct").and_then(Value::as_str)?;
    let handle = super::account_handle(acct, instance);
    let name = account
        .get("display_name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or_else(|| handle.clone(), str::to_owned);
    let parent = id_field(status, "in_reply_to_id");
    let answers_us = id_field(status, "in_reply_to_account_id").is_some_and(|a| a == own);
    let kind = if status.get("visibility").and_then(Value::as_str) == Some("direct") {
        MessageKind::Dm
    } else if answers_us && parent.is_some() {
        MessageKind::Comment
    } else {
        MessageKind::Mention
    };
    let created_at = status
        .get("created_at")
        .or_else(|| n.get("created_at"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))?;
    let media = status
        .get("media_attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|m| {
                    m.get("url")
                        .or_else(|| m.get("remote_url"))
                        .and_then(Value::as_str)
                })
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some(InboxItem {
        kind,
        author: Author {
            remote_id: author_id,
            handle,
            name,
            followers: account.get("followers_count").and_then(Value::as_u64),
        },
        text: html_to_text(status.get("content").and_then(Value::as_str).unwrap_or(""))
            .trim()
            .to_owned(),
        created_at,
        // A comment's post is the status it answers; a DM or mention stands for itself.
        conversation_remote_id: match kind {
            MessageKind::Comment => parent.clone(),
            _ => None,
        },
        in_reply_to_remote_id: parent,
        media,
        url: status
            .get("url")
            .or_else(|| status.get("uri"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        remote_id,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mention(visibility: &str, reply_to_account: Option<&str>) -> Value {
        json!({
            "id": "1001",
            "type": "mention",
            "created_at": "2026-11-27T10:00:09.000Z",
            "account": { "id": "7", "acct": "ana" },
            "status": {
                "id": "55",
                "created_at": "2026-11-27T10:00:08.000Z",
                "in_reply_to_id": reply_to_account.map(|_| "50"),
                "in_reply_to_account_id": reply_to_account,
                "visibility": visibility,
                "content": "<p><span class=\"h-card\"><a href=\"https://m.example/@brand\" class=\"u-url mention\">@<span>brand</span></a></span> Open on Sunday?</p>",
                "url": "https://m.example/@ana/55",
                "account": { "id": "7", "acct": "ana", "display_name": "Ana", "followers_count": 12 },
                "media_attachments": [ { "url": "https://m.example/media/1.png" } ]
            }
        })
    }

    #[test]
    fn replies_to_the_account_are_comments_on_the_status_they_answer() {
        let item = item_of(&mention("public", Some("1")), "1", "https://m.example");
        let item = item.map(|i| {
            (
                i.kind,
                i.conversation_remote_id,
                i.in_reply_to_remote_id,
                i.text,
                i.author.handle,
                i.author.followers,
                i.media.len(),
            )
        });
        assert_eq!(
            item,
            Some((
                MessageKind::Comment,
                Some("50".into()),
                Some("50".into()),
                "@brand Open on Sunday?".into(),
                "ana@m.example".into(),
                Some(12),
                1
            ))
        );
    }

    #[test]
    fn direct_statuses_are_dms_and_the_rest_mentions() {
        let dm = item_of(&mention("direct", Some("1")), "1", "https://m.example");
        assert_eq!(dm.map(|i| i.kind), Some(MessageKind::Dm));
        let elsewhere = item_of(&mention("public", Some("99")), "1", "https://m.example");
        assert_eq!(elsewhere.map(|i| i.kind), Some(MessageKind::Mention));
        let plain = item_of(&mention("unlisted", None), "1", "https://m.example");
        assert_eq!(plain.map(|i| i.kind), Some(MessageKind::Mention));
    }

    #[test]
    fn own_statuses_and_broken_notifications_are_skipped() {
        assert!(item_of(&mention("public", None), "7", "https://m.example").is_none());
        assert!(item_of(&json!({ "type": "mention" }), "1", "https://m.example").is_none());
        assert!(
            item_of(
                &json!({ "status": { "id": "5" } }),
                "1",
                "https://m.example"
            )
            .is_none()
        );
    }

    #[test]
    fn ids_compare_as_numbers() {
        assert!(id_newer("110", "99"));
        assert!(!id_newer("99", "110"));
        assert!(id_newer("1001", "1000"));
        assert!(is_id("1234") && !is_id("") && !is_id("12a") && !is_id("-1"));
    }
}
