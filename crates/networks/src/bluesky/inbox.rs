//! Bluesky's inbox by polling `app.bsky.notification.listNotifications`.
//!
//! Replies, mentions and quotes are read; likes, reposts and follows are not messages. A reply in
//! a thread whose root is the account's own post is a comment on that post; a reply in someone
//! else's thread, a mention and a quote are mentions. Posts are hydrated with
//! `app.bsky.feed.getPosts` (media) and authors with `app.bsky.actor.getProfiles` (followers), 25
//! at a time. DMs live in a separate chat service (`chat.bsky.convo.*`, reached through the PDS
//! with an `atproto-proxy` header and an app password allowed to read DMs); they are not read yet.
//!
//! Notifications come newest first and page backwards in time, ordered by `sortAt`: the earlier
//! of `indexedAt` and the record's `createdAt` (the AppView's notification ordering). A poll sweeps
//! from the newest down to the newest `sortAt` the previous sweeps saw (`seen`) — and on, through a
//! margin of [`MARGIN`] below it: a notification indexed late, or whose author's clock is behind
//! (a backdated `createdAt`), lands below the watermark after it was set, and only the margin
//! finds it. What was read within the margin is remembered as short hashes of the notifications'
//! URIs with their `sortAt` (`read`, at most [`MAX_READ`]), so a re-read skips it: nothing is read
//! twice, and nothing late by less than the margin is missed. While a sweep is longer than
//! [`MAX_PAGES_PER_POLL`] pages, the cursor also holds the page to go on from (`next`) and the
//! newest `sortAt` of this sweep (`top`). The cursor is a small JSON object.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use owlery_domain::inbox::{Author, MessageKind};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Bluesky, Body, CallError, Effect, parse_at_uri, post_url};
use crate::{
    ConnectorError, Credentials,
    inbox::{InboxItem, InboxPoll, MAX_PAGES_PER_POLL},
};

/// Notifications per page (the API's maximum is 100).
const PAGE: &str = "100";
/// Posts or profiles per hydration call (the API's maximum is 25).
const HYDRATE: usize = 25;
/// How far below the watermark each sweep reads again, for notifications that sort below it
/// after it was set.
pub const MARGIN: chrono::Duration = chrono::Duration::minutes(15);
/// The most notifications remembered as read within the margin (the newest are kept): a burst
/// larger than this within 15 minutes may have some re-read, which the inbox's dedupe absorbs.
pub const MAX_READ: usize = 2_000;

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    top: Option<DateTime<Utc>>,
    /// Notifications read within the margin: (`sortAt` in Unix seconds, [`short_hash`] of the
    /// URI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    read: Vec<(i64, String)>,
    /// Cursors written before the margin named the notifications read at `seen` by URI; they
    /// are taken over as hashes.
    #[serde(default, skip_serializing)]
    at_seen: Vec<String>,
}

impl Cursor {
    fn parse(raw: Option<&str>) -> Result<Cursor, ConnectorError> {
        let mut c: Cursor = match raw {
            None => return Ok(Cursor::default()),
            Some(s) => serde_json::from_str(s).map_err(|e| ConnectorError::Permanent {
                reason: format!("the stored Bluesky inbox cursor is unreadable ({e})"),
            })?,
        };
        if let Some(seen) = c.seen {
            for uri in std::mem::take(&mut c.at_seen) {
                c.read.push((seen.timestamp(), short_hash(&uri)));
            }
        }
        Ok(c)
    }

    fn encode(&self) -> String {
        // A struct of strings and timestamps always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The sweep stops below the watermark's margin.
    fn is_below(&self, sort_at: DateTime<Utc>) -> bool {
        self.seen.is_some_and(|seen| sort_at < seen - MARGIN)
    }

    fn was_read(&self, hash: &str) -> bool {
        self.read.iter().any(|(_, h)| h == hash)
    }

    fn note_read(&mut self, sort_at: DateTime<Utc>, hash: String) {
        self.read.push((sort_at.timestamp(), hash));
        if self.top.is_none_or(|top| sort_at > top) {
            self.top = Some(sort_at);
        }
    }

    /// The finished sweep's cursor: its newest `sortAt` is the new watermark (never moving back),
    /// and only what is within the new margin stays remembered.
    fn finish(self) -> Cursor {
        let seen = match (self.seen, self.top) {
            (Some(s), Some(t)) => Some(s.max(t)),
            (s, t) => s.or(t),
        };
        let mut read = self.read;
        if let Some(seen) = seen {
            let keep_from = (seen - MARGIN).timestamp();
            read.retain(|(t, _)| *t >= keep_from);
        }
        read.sort_unstable_by(|a, b| b.cmp(a));
        read.dedup_by(|a, b| a.1 == b.1);
        read.truncate(MAX_READ);
        Cursor {
            seen,
            read,
            ..Cursor::default()
        }
    }
}

/// Twelve hex digits of the SHA-256 of a notification's URI: enough to tell apart the few
/// thousand read within a margin, small enough to keep in the cursor.
fn short_hash(uri: &str) -> String {
    let digest = Sha256::digest(uri.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// A notification worth a message, before hydration.
struct Raw {
    uri: String,
    kind: MessageKind,
    author_did: String,
    author_handle: String,
    author_name: String,
    text: String,
    created_at: DateTime<Utc>,
    root: Option<String>,
    parent: Option<String>,
}

impl Bluesky {
    pub(super) async fn poll(
        &self,
        creds: &Credentials,
        cursor: Option<&str>,
    ) -> Result<InboxPoll, ConnectorError> {
        let mut state = Cursor::parse(cursor)?;
        let session = self.session(creds).await?;
        let mut raws = Vec::new();
        let mut finished = false;
        let mut pages = 0;
        while pages < MAX_PAGES_PER_POLL {
            pages += 1;
            let mut query = vec![("limit", PAGE)];
            if let Some(next) = &state.next {
                query.push(("cursor", next.as_str()));
            }
            let answer = self
                .authed(
                    creds,
                    Method::GET,
                    "app.bsky.notification.listNotifications",
                    Body::Query(&query),
                    Effect::Read,
                )
                .await
                .map_err(CallError::into_connector)?;
            let list = answer
                .get("notifications")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut reached_seen = false;
            for n in list {
                let Some(sort_at) = sort_at(n) else {
                    continue;
                };
                if state.is_below(sort_at) {
                    reached_seen = true;
                    break;
                }
                let uri = n.get("uri").and_then(Value::as_str).unwrap_or_default();
                let hash = short_hash(uri);
                if state.was_read(&hash) {
                    continue;
                }
                state.note_read(sort_at, hash);
                if let Some(raw) = n
                    .get("indexedAt")
                    .and_then(Value::as_str)
                    .and_then(parse_time)
                    .and_then(|indexed| raw_of(n, indexed, &session.did))
                {
                    raws.push(raw);
                }
            }
            let page_cursor = answer
                .get("cursor")
                .and_then(Value::as_str)
                .map(str::to_owned);
            // The first poll of a channel reads one page: the recent past, not years of it.
            let first = state.seen.is_none();
            if reached_seen || first || list.is_empty() || page_cursor.is_none() {
                finished = true;
                break;
            }
            state.next = page_cursor;
        }
        let next_state = if finished { state.finish() } else { state };
        let items = self.hydrate(creds, raws).await?;
        let cursor = (next_state != Cursor::default()).then(|| next_state.encode());
        Ok(InboxPoll {
            items,
            cursor,
            more: !finished,
        })
    }

    /// Media from the AppView's post views and follower counts from profiles. Posts or profiles
    /// the AppView does not (yet) have are left without them.
    async fn hydrate(
        &self,
        creds: &Credentials,
        raws: Vec<Raw>,
    ) -> Result<Vec<InboxItem>, ConnectorError> {
        let mut media: HashMap<String, Vec<String>> = HashMap::new();
        let uris: Vec<&str> = raws.iter().map(|r| r.uri.as_str()).collect();
        for chunk in uris.chunks(HYDRATE) {
            let query: Vec<(&str, &str)> = chunk.iter().map(|u| ("uris", *u)).collect();
            let answer = self
                .authed(
                    creds,
                    Method::GET,
                    "app.bsky.feed.getPosts",
                    Body::Query(&query),
                    Effect::Read,
                )
                .await
                .map_err(CallError::into_connector)?;
            for post in answer
                .get("posts")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Some(uri) = post.get("uri").and_then(Value::as_str) {
                    media.insert(uri.to_owned(), media_of(post));
                }
            }
        }
        let mut followers: HashMap<String, u64> = HashMap::new();
        let mut dids: Vec<&str> = raws.iter().map(|r| r.author_did.as_str()).collect();
        dids.sort_unstable();
        dids.dedup();
        for chunk in dids.chunks(HYDRATE) {
            let query: Vec<(&str, &str)> = chunk.iter().map(|d| ("actors", *d)).collect();
            let answer = self
                .authed(
                    creds,
                    Method::GET,
                    "app.bsky.actor.getProfiles",
                    Body::Query(&query),
                    Effect::Read,
                )
                .await
                .map_err(CallError::into_connector)?;
            for profile in answer
                .get("profiles")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let (Some(did), Some(count)) = (
                    profile.get("did").and_then(Value::as_str),
                    profile.get("followersCount").and_then(Value::as_u64),
                ) {
                    followers.insert(did.to_owned(), count);
                }
            }
        }
        let mut items: Vec<InboxItem> = raws
            .into_iter()
            .map(|r| {
                let url = parse_at_uri(&r.uri)
                    .ok()
                    .map(|(_, _, rkey)| post_url(&r.author_handle, rkey));
                InboxItem {
                    media: media.remove(&r.uri).unwrap_or_default(),
                    author: Author {
                        followers: followers.get(&r.author_did).copied(),
                        remote_id: r.author_did,
                        handle: r.author_handle,
                        name: r.author_name,
                    },
                    remote_id: r.uri,
                    kind: r.kind,
                    text: r.text,
                    created_at: r.created_at,
                    conversation_remote_id: r.root,
                    in_reply_to_remote_id: r.parent,
                    url,
                }
            })
            .collect();
        items.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.remote_id.cmp(&b.remote_id))
        });
        Ok(items)
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Where the AppView sorts a notification: the earlier of when it was indexed and when its
/// record says it was created.
fn sort_at(n: &Value) -> Option<DateTime<Utc>> {
    let indexed = n
        .get("indexedAt")
        .and_then(Value::as_str)
        .and_then(parse_time)?;
    let created = n
        .pointer("/record/createdAt")
        .and_then(Value::as_str)
        .and_then(parse_time);
    Some(created.map_or(indexed, |c| c.min(indexed)))
}

/// The message in one notification, if it is one (a reply, mention or quote whose record is a
/// post). `own_did`: the account polled.
fn raw_of(n: &Value, indexed: DateTime<Utc>, own_did: &str) -> Option<Raw> {
    let reason = n.get("reason").and_then(Value::as_str)?;
    if !matches!(reason, "reply" | "mention" | "quote") {
        return None;
    }
    let uri = n.get("uri").and_then(Value::as_str)?.to_owned();
    let record = n.get("record")?;
    let author = n.get("author")?;
    let author_did = author.get("did").and_then(Value::as_str)?.to_owned();
    if author_did == own_did {
        return None;
    }
    let author_handle = author
        .get("handle")
        .and_then(Value::as_str)
        .unwrap_or(&author_did)
        .to_owned();
    let author_name = author
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(&author_handle)
        .to_owned();
    let reply_uri = |which: &str| {
        record
            .pointer(&format!("/reply/{which}/uri"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (root, parent) = (reply_uri("root"), reply_uri("parent"));
    let on_own_post = root
        .as_deref()
        .and_then(|r| parse_at_uri(r).ok())
        .is_some_and(|(repo, _, _)| repo == own_did);
    let kind = if reason == "reply" && on_own_post {
        MessageKind::Comment
    } else {
        MessageKind::Mention
    };
    // The author's clock says when it was written; never later than the server saw it.
    let created_at = record
        .get("createdAt")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .map_or(indexed, |t| t.min(indexed));
    Some(Raw {
        uri,
        kind,
        author_did,
        author_handle,
        author_name,
        text: record
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        created_at,
        root,
        parent,
    })
}

/// Full-size image links (and a video's playlist) from a hydrated post view.
fn media_of(post: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut embeds = vec![post.get("embed")];
    // A record with media: the media half.
    embeds.push(post.pointer("/embed/media"));
    for embed in embeds.into_iter().flatten() {
        if let Some(images) = embed.get("images").and_then(Value::as_array) {
            out.extend(
                images
                    .iter()
                    .filter_map(|i| i.get("fullsize").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
        if let Some(playlist) = embed.get("playlist").and_then(Value::as_str) {
            out.push(playlist.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const OWN: &str = "did:plc:brand";

    fn notification(reason: &str, record: Value) -> Value {
        json!({
            "uri": "at://did:plc:ana/app.bsky.feed.post/3k1",
            "cid": "bafy",
            "author": { "did": "did:plc:ana", "handle": "ana.test", "displayName": "Ana" },
            "reason": reason,
            "record": record,
            "isRead": false,
            "indexedAt": "2026-11-27T10:00:05.000Z",
        })
    }

    fn indexed() -> DateTime<Utc> {
        parse_time("2026-11-27T10:00:05.000Z").unwrap_or_default()
    }

    #[test]
    fn a_reply_in_the_accounts_own_thread_is_a_comment_on_its_post() {
        let n = notification(
            "reply",
            json!({
                "text": "Is it vegan?",
                "createdAt": "2026-11-27T10:00:01.000Z",
                "reply": {
                    "root": { "uri": "at://did:plc:brand/app.bsky.feed.post/root", "cid": "a" },
                    "parent": { "uri": "at://did:plc:brand/app.bsky.feed.post/reply", "cid": "b" }
                }
            }),
        );
        let raw = raw_of(&n, indexed(), OWN).map(|r| {
            (
                r.kind,
                r.root,
                r.parent,
                r.text,
                r.created_at.to_rfc3339(),
                r.author_name,
            )
        });
        assert_eq!(
            raw,
            Some((
                MessageKind::Comment,
                Some("at://did:plc:brand/app.bsky.feed.post/root".into()),
                Some("at://did:plc:brand/app.bsky.feed.post/reply".into()),
                "Is it vegan?".into(),
                "2026-11-27T10:00:01+00:00".into(),
                "Ana".into()
            ))
        );
    }

    #[test]
    fn replies_in_other_threads_mentions_and_quotes_are_mentions() {
        let elsewhere = notification(
            "reply",
            json!({
                "text": "@brand.test you too",
                "createdAt": "2026-11-27T10:00:01.000Z",
                "reply": {
                    "root": { "uri": "at://did:plc:someone/app.bsky.feed.post/r", "cid": "a" },
                    "parent": { "uri": "at://did:plc:brand/app.bsky.feed.post/p", "cid": "b" }
                }
            }),
        );
        let mention = notification(
            "mention",
            json!({ "text": "hey @brand.test", "createdAt": "2026-11-27T10:00:01.000Z" }),
        );
        let quote = notification(
            "quote",
            json!({ "text": "look", "createdAt": "2026-11-27T10:00:01.000Z" }),
        );
        for n in [elsewhere, mention, quote] {
            assert_eq!(
                raw_of(&n, indexed(), OWN).map(|r| r.kind),
                Some(MessageKind::Mention)
            );
        }
    }

    #[test]
    fn likes_follows_own_posts_and_broken_notifications_are_not_messages() {
        for reason in ["like", "repost", "follow", "starterpack-joined", "unknown"] {
            assert!(raw_of(&notification(reason, json!({"text": "x"})), indexed(), OWN).is_none());
        }
        let mut own = notification("mention", json!({ "text": "me" }));
        own["author"]["did"] = json!(OWN);
        assert!(raw_of(&own, indexed(), OWN).is_none());
        assert!(raw_of(&json!({ "reason": "reply" }), indexed(), OWN).is_none());
        assert!(raw_of(&json!([]), indexed(), OWN).is_none());
    }

    #[test]
    fn a_creation_time_in_the_future_is_capped_at_the_servers() {
        let n = notification(
            "mention",
            json!({ "text": "from the future", "createdAt": "2030-01-01T00:00:00.000Z" }),
        );
        assert_eq!(
            raw_of(&n, indexed(), OWN).map(|r| r.created_at),
            Some(indexed())
        );
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_a_clear_error() {
        let c = Cursor {
            seen: Some(indexed()),
            next: Some("abc".into()),
            read: vec![(indexed().timestamp(), short_hash("at://x"))],
            ..Cursor::default()
        };
        assert_eq!(Cursor::parse(Some(&c.encode())).ok(), Some(c));
        // A cursor from before the margin: its URIs read at `seen` become hashes.
        let old = r#"{"seen":"2026-11-27T10:00:05Z","at_seen":["at://x"]}"#;
        let taken = Cursor::parse(Some(old)).unwrap_or_default();
        assert!(taken.was_read(&short_hash("at://x")));
        assert!(taken.is_below(indexed() - MARGIN - chrono::Duration::seconds(1)));
        assert!(!taken.is_below(indexed() - MARGIN));
        assert!(matches!(
            Cursor::parse(Some("{not json")),
            Err(ConnectorError::Permanent { .. })
        ));
        assert_eq!(Cursor::parse(None).ok(), Some(Cursor::default()));
    }

    #[test]
    fn a_finished_sweep_keeps_only_the_margin_and_at_most_max_read() {
        let seen = indexed();
        let mut c = Cursor {
            seen: Some(seen),
            ..Cursor::default()
        };
        c.note_read(seen - chrono::Duration::minutes(20), "old".into());
        c.note_read(seen + chrono::Duration::minutes(1), "new".into());
        c.note_read(seen - chrono::Duration::minutes(5), "late".into());
        let done = c.finish();
        assert_eq!(done.seen, Some(seen + chrono::Duration::minutes(1)));
        let kept: Vec<&str> = done.read.iter().map(|(_, h)| h.as_str()).collect();
        assert_eq!(kept, ["new", "late"]);
        let mut big = Cursor {
            seen: Some(seen),
            ..Cursor::default()
        };
        for i in 0..(MAX_READ + 10) {
            big.note_read(seen, format!("{i:012x}"));
        }
        assert_eq!(big.finish().read.len(), MAX_READ);
        assert_eq!(short_hash("at://a").len(), 12);
        assert_ne!(short_hash("at://a"), short_hash("at://b"));
    }

    #[test]
    fn notifications_sort_by_the_earlier_of_indexing_and_creation() {
        let backdated = notification(
            "mention",
            json!({ "text": "old clock", "createdAt": "2026-11-27T09:00:00.000Z" }),
        );
        assert_eq!(
            sort_at(&backdated).map(|t| t.to_rfc3339()),
            Some("2026-11-27T09:00:00+00:00".into())
        );
        let future = notification(
            "mention",
            json!({ "text": "fast clock", "createdAt": "2030-01-01T00:00:00.000Z" }),
        );
        assert_eq!(sort_at(&future), Some(indexed()));
    }

    #[test]
    fn media_comes_from_images_and_records_with_media() {
        let post = json!({
            "embed": {
                "$type": "app.bsky.embed.recordWithMedia#view",
                "media": { "images": [ { "fullsize": "https://cdn.example/a.jpg" } ] }
            }
        });
        assert_eq!(
            media_of(&post),
            vec!["https://cdn.example/a.jpg".to_owned()]
        );
        let post =
            json!({ "embed": { "images": [ { "fullsize": "https://cdn.example/b.jpg" } ] } });
        assert_eq!(
            media_of(&post),
            vec!["https://cdn.example/b.jpg".to_owned()]
        );
        assert!(media_of(&json!({})).is_empty());
    }
}
