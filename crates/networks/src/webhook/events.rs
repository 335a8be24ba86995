//! What networks push, normalised: a delivery's raw body (already verified) → the inbox items it
//! carries, each with the network account it is for (which the caller turns into a channel), and
//! the deletions it announces. Pure: no IO, and the time a delivery was received is an argument.
//!
//! Formats (field names as documented; fixtures in the tests are labelled with their source):
//! - **Meta** (`{"object": "page" | "instagram", "entry": [...]}`,
//!   <https://developers.facebook.com/docs/graph-api/webhooks/reference/page>,
//!   <https://developers.facebook.com/docs/instagram-platform/webhooks>,
//!   <https://developers.facebook.com/docs/messenger-platform/webhooks>):
//!   - Page `feed` changes: `item: comment` → a comment on `post_id` (`verb: add | edited` → new
//!     or edited text, `remove` → deleted); a visitor's `post` / `status` / `photo` / `video` on the
//!     Page → a mention. Page `mention` changes → a mention. The Page's own comments are skipped.
//!   - Instagram `comments` → a comment on `media.id`; Instagram `mentions` carry only ids
//!     (`media_id`, and `comment_id` for a mention in a comment): they become
//!     [`Change::Unresolved`], which the webhook processor reads through the connector
//!     ([`crate::Connector::resolve_pushed`]) before ingesting.
//!   - `messaging` (Messenger and Instagram DMs): `message` → a DM in the sender's thread (echoes of
//!     the account's own messages skipped), `message_edit` → the edited text.
//! - **Threads** (`{"app_id", "topic", "target_id", "values": {"field": "replies" | "mentions",
//!   "value": {...}}}`, <https://developers.facebook.com/docs/threads/webhooks>): replies are
//!   comments on `root_post.id` (in reply to `replied_to.id`), mentions are mentions. Threads
//!   arrives at the Meta receiver (same signature and challenge); it is told apart by its shape.
//! - **X** Account Activity (`{"for_user_id", "tweet_create_events" | "direct_message_events" |
//!   "tweet_delete_events": [...]}`, <https://docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity>):
//!   a reply to the account → a comment on the post it answers; any other tweet naming it → a
//!   mention; DMs from others → DMs per sender; deleted tweets → deleted. The account's own tweets
//!   and DMs, and retweets, are skipped.
//! - **LinkedIn** (`{"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [...]}`,
//!   <https://learn.microsoft.com/linkedin/marketing/community-management/organizations/organization-social-action-notifications>):
//!   `COMMENT` → a comment on `sourcePost`, `COMMENT_EDIT` → the edited text, `COMMENT_DELETE` →
//!   deleted, `SHARE_MENTION` → a mention; `ADMIN_COMMENT` (the page's own), `LIKE` and `SHARE`
//!   are skipped.
//!
//! A body that is not JSON, or not of its network's shape at the top, is an error (the delivery is
//! kept with it, never retried); an entry inside it that lacks what is needed is skipped and
//! counted, so one odd entry never loses the others.

use chrono::{DateTime, TimeZone, Utc};
use owlery_domain::{
    inbox::{Author, MAX_MEDIA, MessageKind},
    org::Network,
};
use serde_json::Value;

use crate::inbox::InboxItem;

/// Which receiver a delivery came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Facebook Pages, Instagram, Messenger, Threads.
    Meta,
    X,
    Linkedin,
}

impl Family {
    /// The receiver family of a network's app, when the network pushes.
    pub fn of(network: Network) -> Option<Family> {
        match network {
            Network::FacebookPage | Network::Instagram | Network::Threads => Some(Family::Meta),
            Network::X => Some(Family::X),
            Network::Linkedin => Some(Family::Linkedin),
            _ => None,
        }
    }

    /// The path segment of its receiver: `/webhooks/<segment>/<app>`.
    pub fn segment(self) -> &'static str {
        match self {
            Family::Meta => "meta",
            Family::X => "x",
            Family::Linkedin => "linkedin",
        }
    }
}

/// What one entry of a delivery does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A message (new, or a known one with new text: the inbox treats that as an edit).
    Message(Box<InboxItem>),
    /// The message with this id was deleted on the network.
    Deleted { remote_id: String },
    /// A message the network announced by ids only: it must be read from the network
    /// ([`crate::Connector::resolve_pushed`]) before it can be ingested.
    Unresolved(Unresolved),
}

/// What a network pushed by ids only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// Instagram `mentions`: the account was @mentioned in the caption of `media_id`, or (with
    /// `comment_id`) in a comment on it.
    InstagramMention {
        media_id: String,
        comment_id: Option<String>,
    },
}

/// One event for one network account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The network of the channel it belongs to.
    pub network: Network,
    /// The account it is for, as stored in the channel's credentials (a Page id, an Instagram or
    /// Threads user id, an X user id, a LinkedIn organisation URN).
    pub account: String,
    pub change: Change,
}

/// What a delivery carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub events: Vec<Event>,
    /// Entries that are not messages for the inbox (likes, follows, the account's own posts,
    /// entries lacking ids).
    pub skipped: usize,
}

/// Why a delivery cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Parse a verified delivery received at `received_at` (the time used when an entry carries none).
pub fn parse(
    family: Family,
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<Parsed, ParseError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ParseError(format!("the body is not JSON: {e}")))?;
    let mut p = Parser {
        out: Parsed::default(),
        received_at,
    };
    match family {
        Family::Meta => p.meta(&v)?,
        Family::X => p.x(&v)?,
        Family::Linkedin => p.linkedin(&v)?,
    }
    Ok(p.out)
}

struct Parser {
    out: Parsed,
    received_at: DateTime<Utc>,
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A string or number id as a string.
fn id(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn unix_secs(n: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(n, 0).single()
}

fn unix_millis(n: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(n).single()
}

/// Seconds or milliseconds since the epoch (a number or a numeric string), or RFC 3339 / Meta's
/// `2024-08-07T10:33:16+0000`.
fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let as_number = |n: i64| {
        if n > 100_000_000_000 {
            unix_millis(n)
        } else {
            unix_secs(n)
        }
    };
    match v? {
        Value::Number(n) => n.as_i64().and_then(as_number),
        Value::String(s) => {
            if let Ok(n) = s.parse::<i64>() {
                return as_number(n);
            }
            DateTime::parse_from_rfc3339(s)
                .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z"))
                .or_else(|_| DateTime::parse_from_str(s, "%a %b %d %H:%M:%S %z %Y"))
                .ok()
                .map(|t| t.with_timezone(&Utc))
        }
        _ => None,
    }
}

fn author(remote_id: String, handle: Option<&str>, name: Option<&str>) -> Author {
    let handle = handle
        .map(|h| h.trim_start_matches('@').to_owned())
        .unwrap_or_else(|| remote_id.clone());
    let name = name.map(str::to_owned).unwrap_or_else(|| handle.clone());
    Author {
        remote_id,
        handle,
        name,
        followers: None,
    }
}

impl Parser {
    fn push(&mut self, network: Network, account: String, change: Change) {
        self.out.events.push(Event {
            network,
            account,
            change,
        });
    }

    fn skip(&mut self) {
        self.out.skipped += 1;
    }

    // ------------------------------------------------------------------ Meta

    fn meta(&mut self, v: &Value) -> Result<(), ParseError> {
        if v.get("values").is_some() && v.get("entry").is_none() {
            return self.threads(v);
        }
        let network = match s(v, "object") {
            Some("page") => Network::FacebookPage,
            Some("instagram") => Network::Instagram,
            Some(other) => {
                return Err(ParseError(format!(
                    "a Meta delivery for {other:?} objects, which Owlery does not subscribe to"
                )));
            }
            None => return Err(ParseError("a Meta delivery without \"object\"".into())),
        };
        let entries = v
            .get("entry")
            .and_then(Value::as_array)
            .ok_or_else(|| ParseError("a Meta delivery without an \"entry\" list".into()))?;
        for entry in entries {
            let Some(account) = id(entry, "id") else {
                self.skip();
                continue;
            };
            let entry_time = time(entry.get("time"));
            for change in entry
                .get("changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let field = s(change, "field").unwrap_or("");
                let value = change.get("value").unwrap_or(&Value::Null);
                match (network, field) {
                    (Network::FacebookPage, "feed") => {
                        self.page_feed(&account, value, entry_time, false);
                    }
                    (Network::FacebookPage, "mention") => {
                        self.page_feed(&account, value, entry_time, true);
                    }
                    (Network::Instagram, "comments" | "live_comments") => {
                        self.instagram_comment(&account, value, entry_time);
                    }
                    (Network::Instagram, "mentions") => match id(value, "media_id") {
                        Some(media_id) => self.push(
                            Network::Instagram,
                            account.clone(),
                            Change::Unresolved(Unresolved::InstagramMention {
                                media_id,
                                comment_id: id(value, "comment_id"),
                            }),
                        ),
                        None => self.skip(),
                    },
                    _ => self.skip(),
                }
            }
            for m in entry
                .get("messaging")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.meta_message(network, &account, m);
            }
        }
        Ok(())
    }

    fn page_feed(
        &mut self,
        page: &str,
        v: &Value,
        entry_time: Option<DateTime<Utc>>,
        mention: bool,
    ) {
        let item = s(v, "item").unwrap_or("");
        let verb = s(v, "verb").unwrap_or("add");
        let from = v.get("from").unwrap_or(&Value::Null);
        let from_id = id(from, "id").or_else(|| id(v, "sender_id"));
        let from_name = s(from, "name").or_else(|| s(v, "sender_name"));
        let post = id(v, "post_id");
        let comment = id(v, "comment_id");
        let (kind, remote_id) = match (item, mention) {
            ("comment", false) => (MessageKind::Comment, comment.clone()),
            ("comment", true) => (MessageKind::Mention, comment.clone()),
            ("post" | "status" | "photo" | "video" | "share", _) => {
                (MessageKind::Mention, post.clone())
            }
            _ => {
                self.skip();
                return;
            }
        };
        let Some(remote_id) = remote_id else {
            self.skip();
            return;
        };
        if verb == "remove" || verb == "delete" {
            self.push(
                Network::FacebookPage,
                page.to_owned(),
                Change::Deleted { remote_id },
            );
            return;
        }
        if !matches!(verb, "add" | "edited" | "edit") {
            self.skip();
            return;
        }
        let Some(author_id) = from_id else {
            self.skip();
            return;
        };
        if author_id == page {
            self.skip();
            return;
        }
        let parent = id(v, "parent_id").filter(|p| Some(p) != post.as_ref());
        let created_at = time(v.get("created_time"))
            .or(entry_time)
            .unwrap_or(self.received_at);
        let media: Vec<String> = ["photo", "video", "link"]
            .iter()
            .filter_map(|k| s(v, k).map(str::to_owned))
            .filter(|u| u.starts_with("https://"))
            .take(MAX_MEDIA)
            .collect();
        let url = Some(format!("https://www.facebook.com/{remote_id}"));
        let conversation = match kind {
            MessageKind::Comment => post.clone(),
            _ => post.clone().filter(|p| *p != remote_id),
        };
        self.push(
            Network::FacebookPage,
            page.to_owned(),
            Change::Message(Box::new(InboxItem {
                remote_id,
                kind,
                author: author(author_id, None, from_name),
                text: s(v, "message").unwrap_or_default().to_owned(),
                created_at,
                conversation_remote_id: conversation,
                in_reply_to_remote_id: parent,
                media,
                url,
            })),
        );
    }

    fn instagram_comment(&mut self, ig: &str, v: &Value, entry_time: Option<DateTime<Utc>>) {
        let from = v.get("from").unwrap_or(&Value::Null);
        let (Some(remote_id), Some(author_id)) = (id(v, "id"), id(from, "id")) else {
            self.skip();
            return;
        };
        if author_id == ig {
            self.skip();
            return;
        }
        let media = v.get("media").unwrap_or(&Value::Null);
        let post = id(media, "id").or_else(|| id(v, "media_id"));
        self.push(
            Network::Instagram,
            ig.to_owned(),
            Change::Message(Box::new(InboxItem {
                remote_id,
                kind: MessageKind::Comment,
                author: author(author_id, s(from, "username"), s(from, "username")),
                text: s(v, "text").unwrap_or_default().to_owned(),
                created_at: time(v.get("timestamp"))
                    .or(entry_time)
                    .unwrap_or(self.received_at),
                conversation_remote_id: post,
                in_reply_to_remote_id: id(v, "parent_id"),
                media: Vec::new(),
                url: None,
            })),
        );
    }

    fn meta_message(&mut self, network: Network, account: &str, m: &Value) {
        let sender = m
            .get("sender")
            .and_then(|x| id(x, "id"))
            .unwrap_or_default();
        let at = time(m.get("timestamp")).unwrap_or(self.received_at);
        if let Some(edit) = m.get("message_edit") {
            let Some(mid) = id(edit, "mid") else {
                self.skip();
                return;
            };
            if sender.is_empty() || sender == account {
                self.skip();
                return;
            }
            self.push(
                network,
                account.to_owned(),
                Change::Message(Box::new(dm(mid, &sender, s(edit, "text"), at, Vec::new()))),
            );
            return;
        }
        let Some(msg) = m.get("message") else {
            self.skip();
            return;
        };
        let Some(mid) = id(msg, "mid") else {
            self.skip();
            return;
        };
        if msg.get("is_deleted").and_then(Value::as_bool) == Some(true) {
            self.push(
                network,
                account.to_owned(),
                Change::Deleted { remote_id: mid },
            );
            return;
        }
        if msg.get("is_echo").and_then(Value::as_bool) == Some(true)
            || sender.is_empty()
            || sender == account
        {
            self.skip();
            return;
        }
        let media = msg
            .get("attachments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("payload").and_then(|p| s(p, "url")))
            .filter(|u| u.starts_with("https://"))
            .take(MAX_MEDIA)
            .map(str::to_owned)
            .collect();
        self.push(
            network,
            account.to_owned(),
            Change::Message(Box::new(dm(mid, &sender, s(msg, "text"), at, media))),
        );
    }

    fn threads(&mut self, v: &Value) -> Result<(), ParseError> {
        let values = v
            .get("values")
            .ok_or_else(|| ParseError("a Threads delivery without \"values\"".into()))?;
        // One notification carries one value; a list is read the same way.
        let list: Vec<&Value> = match values {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in list {
            let field = s(item, "field").unwrap_or("");
            let value = item.get("value").unwrap_or(&Value::Null);
            let root = value.get("root_post").unwrap_or(&Value::Null);
            let account = id(v, "target_id").or_else(|| id(root, "owner_id"));
            let kind = match field {
                "replies" => MessageKind::Comment,
                "mentions" => MessageKind::Mention,
                "delete" => {
                    match (account, id(value, "id")) {
                        (Some(account), Some(remote_id)) => {
                            self.push(Network::Threads, account, Change::Deleted { remote_id });
                        }
                        _ => self.skip(),
                    }
                    continue;
                }
                _ => {
                    self.skip();
                    continue;
                }
            };
            let (Some(account), Some(remote_id), Some(username)) =
                (account, id(value, "id"), s(value, "username"))
            else {
                self.skip();
                continue;
            };
            if Some(username) == s(root, "username") && kind == MessageKind::Comment {
                // The account answering in its own thread.
                self.skip();
                continue;
            }
            let replied_to = value.get("replied_to").and_then(|r| id(r, "id"));
            self.push(
                Network::Threads,
                account,
                Change::Message(Box::new(InboxItem {
                    remote_id,
                    kind,
                    author: author(username.to_owned(), Some(username), Some(username)),
                    text: s(value, "text").unwrap_or_default().to_owned(),
                    created_at: time(value.get("timestamp"))
                        .or(time(v.get("time")))
                        .unwrap_or(self.received_at),
                    conversation_remote_id: id(root, "id"),
                    in_reply_to_remote_id: replied_to,
                    media: s(value, "media_url")
                        .filter(|u| u.starts_with("https://"))
                        .map(|u| vec![u.to_owned()])
                        .unwrap_or_default(),
                    url: s(value, "permalink").map(str::to_owned),
                })),
            );
        }
        Ok(())
    }

    // ------------------------------------------------------------------ X

    fn x(&mut self, v: &Value) -> Result<(), ParseError> {
        let account = id(v, "for_user_id")
            .ok_or_else(|| ParseError("an X delivery without \"for_user_id\"".into()))?;
        let mut known = false;
        if let Some(tweets) = v.get("tweet_create_events").and_then(Value::as_array) {
            known = true;
            for t in tweets {
                self.x_tweet(&account, t);
            }
        }
        if let Some(dms) = v.get("direct_message_events").and_then(Value::as_array) {
            known = true;
            let users = v.get("users").unwrap_or(&Value::Null);
            for d in dms {
                self.x_dm(&account, d, users);
            }
        }
        if let Some(deletes) = v.get("tweet_delete_events").and_then(Value::as_array) {
            known = true;
            for d in deletes {
                match d.get("status").and_then(|st| id(st, "id")) {
                    Some(remote_id) => {
                        self.push(Network::X, account.clone(), Change::Deleted { remote_id })
                    }
                    None => self.skip(),
                }
            }
        }
        if !known {
            // Follows, likes, typing indicators …: nothing for the inbox.
            self.skip();
        }
        Ok(())
    }

    fn x_tweet(&mut self, account: &str, t: &Value) {
        let user = t.get("user").unwrap_or(&Value::Null);
        let (Some(remote_id), Some(author_id)) = (
            id(t, "id_str").or(id(t, "id")),
            id(user, "id_str").or(id(user, "id")),
        ) else {
            self.skip();
            return;
        };
        if author_id == account || t.get("retweeted_status").is_some() {
            self.skip();
            return;
        }
        let text = t
            .get("extended_tweet")
            .and_then(|e| s(e, "full_text"))
            .or_else(|| s(t, "full_text"))
            .or_else(|| s(t, "text"))
            .unwrap_or_default()
            .to_owned();
        let parent = id(t, "in_reply_to_status_id_str");
        let reply_to_us = id(t, "in_reply_to_user_id_str").as_deref() == Some(account);
        let (kind, conversation) = if reply_to_us && parent.is_some() {
            (MessageKind::Comment, parent.clone())
        } else {
            (MessageKind::Mention, parent.clone())
        };
        let handle = s(user, "screen_name");
        let mut a = author(author_id, handle, s(user, "name"));
        a.followers = user.get("followers_count").and_then(Value::as_u64);
        let media = t
            .get("extended_entities")
            .or_else(|| t.get("entities"))
            .and_then(|e| e.get("media"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| s(m, "media_url_https"))
            .take(MAX_MEDIA)
            .map(str::to_owned)
            .collect();
        let url = handle.map(|h| format!("https://x.com/{h}/status/{remote_id}"));
        self.push(
            Network::X,
            account.to_owned(),
            Change::Message(Box::new(InboxItem {
                remote_id,
                kind,
                author: a,
                text,
                created_at: time(t.get("timestamp_ms"))
                    .or(time(t.get("created_at")))
                    .unwrap_or(self.received_at),
                conversation_remote_id: conversation,
                in_reply_to_remote_id: parent,
                media,
                url,
            })),
        );
    }

    fn x_dm(&mut self, account: &str, d: &Value, users: &Value) {
        if s(d, "type") != Some("message_create") {
            self.skip();
            return;
        }
        let mc = d.get("message_create").unwrap_or(&Value::Null);
        let (Some(remote_id), Some(sender)) = (id(d, "id"), id(mc, "sender_id")) else {
            self.skip();
            return;
        };
        if sender == account {
            self.skip();
            return;
        }
        let data = mc.get("message_data").unwrap_or(&Value::Null);
        let user = users.get(sender.as_str()).unwrap_or(&Value::Null);
        let media = data
            .get("attachment")
            .and_then(|a| a.get("media"))
            .and_then(|m| s(m, "media_url_https"))
            .map(|u| vec![u.to_owned()])
            .unwrap_or_default();
        let mut item = dm(
            remote_id,
            &sender,
            s(data, "text"),
            time(d.get("created_timestamp")).unwrap_or(self.received_at),
            media,
        );
        item.author = author(sender.clone(), s(user, "screen_name"), s(user, "name"));
        item.author.followers = user.get("followers_count").and_then(Value::as_u64);
        self.push(
            Network::X,
            account.to_owned(),
            Change::Message(Box::new(item)),
        );
    }

    // ------------------------------------------------------------------ LinkedIn

    fn linkedin(&mut self, v: &Value) -> Result<(), ParseError> {
        let list: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) if o.contains_key("notifications") => v
                .get("notifications")
                .and_then(Value::as_array)
                .ok_or_else(|| ParseError("LinkedIn \"notifications\" is not a list".into()))?
                .iter()
                .collect(),
            Value::Object(o) if o.contains_key("action") => vec![v],
            _ => {
                return Err(ParseError(
                    "a LinkedIn delivery without \"notifications\"".into(),
                ));
            }
        };
        for n in list {
            self.linkedin_one(n);
        }
        Ok(())
    }

    fn linkedin_one(&mut self, n: &Value) {
        let Some(org) = s(n, "organizationalEntity").map(str::to_owned) else {
            self.skip();
            return;
        };
        let action = s(n, "action").unwrap_or("");
        let activity = s(n, "generatedActivity").map(str::to_owned);
        let decorated = n.get("decoratedGeneratedActivity").unwrap_or(&Value::Null);
        let at = time(n.get("lastModifiedAt")).unwrap_or(self.received_at);
        let (kind, body) = match action {
            "COMMENT" | "COMMENT_EDIT" => (MessageKind::Comment, decorated.get("comment")),
            "SHARE_MENTION" => (MessageKind::Mention, decorated.get("share")),
            "COMMENT_DELETE" => {
                match activity {
                    Some(remote_id) => {
                        self.push(Network::Linkedin, org, Change::Deleted { remote_id })
                    }
                    None => self.skip(),
                }
                return;
            }
            _ => {
                self.skip();
                return;
            }
        };
        let body = body.unwrap_or(&Value::Null);
        let remote_id = activity.or_else(|| s(body, "entity").map(str::to_owned));
        let owner = s(body, "owner")
            .or_else(|| s(body, "actor"))
            .or_else(|| s(n, "actor"))
            .map(str::to_owned);
        let (Some(remote_id), Some(owner)) = (remote_id, owner) else {
            self.skip();
            return;
        };
        if owner == org {
            self.skip();
            return;
        }
        let text = s(body, "text")
            .or_else(|| body.get("message").and_then(|m| s(m, "text")))
            .or_else(|| s(body, "commentary"))
            .unwrap_or_default()
            .to_owned();
        let handle = owner.rsplit(':').next().unwrap_or(&owner).to_owned();
        let source = s(n, "sourcePost").map(str::to_owned);
        let conversation = match kind {
            MessageKind::Comment => source,
            _ => None,
        };
        self.push(
            Network::Linkedin,
            org,
            Change::Message(Box::new(InboxItem {
                url: Some(format!(
                    "https://www.linkedin.com/feed/update/{}",
                    conversation.as_deref().unwrap_or(&remote_id)
                )),
                remote_id,
                kind,
                author: author(owner, Some(&handle), None),
                text,
                created_at: at,
                conversation_remote_id: conversation,
                in_reply_to_remote_id: None,
                media: Vec::new(),
            })),
        );
    }
}

fn dm(
    remote_id: String,
    sender: &str,
    text: Option<&str>,
    at: DateTime<Utc>,
    media: Vec<String>,
) -> InboxItem {
    InboxItem {
        remote_id,
        kind: MessageKind::Dm,
        author: author(sender.to_owned(), None, None),
        text: text.unwrap_or_default().to_owned(),
        created_at: at,
        conversation_remote_id: Some(sender.to_owned()),
        in_reply_to_remote_id: None,
        media,
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    fn messages(p: &Parsed) -> Vec<&InboxItem> {
        p.events
            .iter()
            .filter_map(|e| match &e.change {
                Change::Message(m) => Some(&**m),
                Change::Deleted { .. } | Change::Unresolved(_) => None,
            })
            .collect()
    }

    // Shape of Meta's documented Page `feed` comment notification (Graph API webhooks reference,
    // "feed" field), with our ids.
    const PAGE_FEED: &str = r#"{"object":"page","entry":[{"id":"1001","time":1764244800,"changes":[
        {"field":"feed","value":{"from":{"id":"555","name":"Ана Петрова"},"post":{"status_type":"added_photos","is_published":true,"updated_time":"2026-11-27T12:00:00+0000","permalink_url":"https://www.facebook.com/1001/posts/77","promotion_status":"inactive","id":"1001_77"},"message":"Кога отваряте?","post_id":"1001_77","comment_id":"77_900","created_time":1764244790,"item":"comment","parent_id":"1001_77","verb":"add"}},
        {"field":"feed","value":{"from":{"id":"1001","name":"Northwind"},"post_id":"1001_77","comment_id":"77_901","created_time":1764244795,"item":"comment","parent_id":"77_900","verb":"add","message":"At 9."}},
        {"field":"feed","value":{"from":{"id":"555","name":"Ана Петрова"},"post_id":"1001_77","comment_id":"77_900","created_time":1764244799,"item":"comment","verb":"edited","message":"Кога отваряте утре?"}},
        {"field":"feed","value":{"from":{"id":"556","name":"Bo"},"post_id":"1001_77","comment_id":"77_902","item":"comment","verb":"remove","created_time":1764244799}},
        {"field":"feed","value":{"item":"reaction","verb":"add","reaction_type":"like","from":{"id":"557"},"post_id":"1001_77"}}
    ]}]}"#;

    #[test]
    fn meta_page_feed_comments_edits_and_removals() {
        let p = parse(Family::Meta, PAGE_FEED.as_bytes(), now()).unwrap();
        let m = messages(&p);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].remote_id, "77_900");
        assert_eq!(m[0].kind, MessageKind::Comment);
        assert_eq!(m[0].conversation_remote_id.as_deref(), Some("1001_77"));
        assert_eq!(m[0].in_reply_to_remote_id, None);
        assert_eq!(m[0].author.name, "Ана Петрова");
        assert_eq!(m[0].created_at, unix_secs(1764244790).unwrap());
        assert_eq!(m[1].text, "Кога отваряте утре?");
        assert!(p.events.iter().all(|e| e.account == "1001"));
        assert!(p.events.iter().any(|e| e.change
            == Change::Deleted {
                remote_id: "77_902".into()
            }));
        // the Page's own answer and the reaction
        assert_eq!(p.skipped, 2);
    }

    // Shape of Meta's documented Instagram `comments` notification and a Messenger `messages`
    // notification (Messenger Platform webhook events reference).
    const INSTAGRAM: &str = r#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1764244800,"changes":[
        {"field":"comments","value":{"from":{"id":"2323","username":"mila.b"},"media":{"id":"18000000000000042","media_product_type":"FEED"},"id":"17865799348089039","text":"Love this 😍"}},
        {"field":"mentions","value":{"media_id":"18000000000000099","comment_id":"17865799348089040"}}
    ],"messaging":[
        {"sender":{"id":"9001"},"recipient":{"id":"17841400000000001"},"timestamp":1764244801000,"message":{"mid":"aWdfZAG1f","text":"Is it in stock?","attachments":[{"type":"image","payload":{"url":"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}}]}},
        {"sender":{"id":"17841400000000001"},"recipient":{"id":"9001"},"timestamp":1764244802000,"message":{"mid":"aWdfZAG1g","text":"Yes!","is_echo":true}}
    ]}]}"#;

    #[test]
    fn instagram_comments_and_dms() {
        let p = parse(Family::Meta, INSTAGRAM.as_bytes(), now()).unwrap();
        let m = messages(&p);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].kind, MessageKind::Comment);
        assert_eq!(m[0].author.handle, "mila.b");
        assert_eq!(
            m[0].conversation_remote_id.as_deref(),
            Some("18000000000000042")
        );
        assert_eq!(m[1].kind, MessageKind::Dm);
        assert_eq!(m[1].conversation_remote_id.as_deref(), Some("9001"));
        assert_eq!(m[1].media.len(), 1);
        assert_eq!(m[1].created_at, unix_millis(1764244801000).unwrap());
        assert!(p.events.iter().all(|e| e.network == Network::Instagram));
        assert_eq!(p.skipped, 1); // the echo
        // The mention carries ids only: it is read through the API before it is ingested.
        assert!(p.events.iter().any(|e| e.account == "17841400000000001"
            && e.change
                == Change::Unresolved(Unresolved::InstagramMention {
                    media_id: "18000000000000099".into(),
                    comment_id: Some("17865799348089040".into()),
                })));
    }

    // Threads' documented `replies` notification (developers.facebook.com/docs/threads/webhooks).
    const THREADS: &str = r#"{"app_id":"123456","topic":"moderate","target_id":"78901","time":1723226877,"subscription_id":"234567","has_uid_field":false,"values":{"value":{"id":"8901234","username":"test_username","text":"Reply","media_type":"TEXT_POST","permalink":"https:\/\/www.threads.net\/@test_username\/post\/Pp","replied_to":{"id":"567890"},"root_post":{"id":"123456","owner_id":"78901","username":"test_username_2"},"shortcode":"Pp","timestamp":"2024-08-07T10:33:16+0000"},"field":"replies"}}"#;

    #[test]
    fn threads_replies() {
        let p = parse(Family::Meta, THREADS.as_bytes(), now()).unwrap();
        assert_eq!(p.events.len(), 1);
        let e = &p.events[0];
        assert_eq!(e.network, Network::Threads);
        assert_eq!(e.account, "78901");
        let Change::Message(m) = &e.change else {
            panic!("a message")
        };
        assert_eq!(m.kind, MessageKind::Comment);
        assert_eq!(m.conversation_remote_id.as_deref(), Some("123456"));
        assert_eq!(m.in_reply_to_remote_id.as_deref(), Some("567890"));
        assert_eq!(
            m.created_at,
            Utc.with_ymd_and_hms(2024, 8, 7, 10, 33, 16).unwrap()
        );
        assert_eq!(
            m.url.as_deref(),
            Some("https://www.threads.net/@test_username/post/Pp")
        );
    }

    // Shape of X's documented Account Activity events (tweet_create_events with v1.1 tweet objects,
    // direct_message_events with the users map, tweet_delete_events).
    const X_EVENTS: &str = r#"{"for_user_id":"2244994945",
        "tweet_create_events":[
          {"created_at":"Thu Nov 27 11:59:00 +0000 2026","id_str":"1862000000000000001","text":"@northwind the app keeps crashing","in_reply_to_status_id_str":"1861000000000000000","in_reply_to_user_id_str":"2244994945","user":{"id_str":"3001","name":"Dev Patel","screen_name":"devp","followers_count":120},"timestamp_ms":"1764244740000"},
          {"created_at":"Thu Nov 27 11:59:30 +0000 2026","id_str":"1862000000000000002","text":"shout out to @northwind","user":{"id_str":"3002","name":"Lu","screen_name":"lu"},"timestamp_ms":"1764244770000"},
          {"id_str":"1862000000000000003","text":"our own","user":{"id_str":"2244994945","screen_name":"northwind"}}
        ],
        "direct_message_events":[{"type":"message_create","id":"1862000000000000010","created_timestamp":"1764244780000","message_create":{"target":{"recipient_id":"2244994945"},"sender_id":"3001","message_data":{"text":"DM: order #123?","entities":{}}}}],
        "users":{"3001":{"id":"3001","name":"Dev Patel","screen_name":"devp","followers_count":120}},
        "tweet_delete_events":[{"status":{"id":"1862000000000000002","user_id":"3002"},"timestamp_ms":"1764244790000"}]}"#;

    #[test]
    fn x_replies_mentions_dms_and_deletes() {
        let p = parse(Family::X, X_EVENTS.as_bytes(), now()).unwrap();
        let m = messages(&p);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].kind, MessageKind::Comment);
        assert_eq!(
            m[0].conversation_remote_id.as_deref(),
            Some("1861000000000000000")
        );
        assert_eq!(m[0].author.followers, Some(120));
        assert_eq!(
            m[0].url.as_deref(),
            Some("https://x.com/devp/status/1862000000000000001")
        );
        assert_eq!(m[1].kind, MessageKind::Mention);
        assert_eq!(m[2].kind, MessageKind::Dm);
        assert_eq!(m[2].author.handle, "devp");
        assert_eq!(m[2].conversation_remote_id.as_deref(), Some("3001"));
        assert!(p.events.iter().all(|e| e.account == "2244994945"));
        assert!(p.events.iter().any(|e| e.change
            == Change::Deleted {
                remote_id: "1862000000000000002".into()
            }));
        assert_eq!(p.skipped, 1);
    }

    // Shape of LinkedIn's documented organisation social action notification (fields as listed
    // in "Organization Social Action Notifications").
    const LINKEDIN: &str = r#"{"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS","notifications":[
        {"notificationId":1001,"organizationalEntity":"urn:li:organization:2414183","action":"COMMENT","sourcePost":"urn:li:share:6883746834557935616","lastModifiedAt":1764244800000,"generatedActivity":"urn:li:comment:(urn:li:activity:6883746833840709632,6884232346456113152)","decoratedGeneratedActivity":{"comment":{"owner":"urn:li:person:AbC123","text":"Are you hiring in Sofia?","entity":"urn:li:comment:(urn:li:activity:6883746833840709632,6884232346456113152)"}},"subscriber":"urn:li:person:Admin1"},
        {"notificationId":1002,"organizationalEntity":"urn:li:organization:2414183","action":"LIKE","sourcePost":"urn:li:share:6883746834557935616","lastModifiedAt":1764244801000},
        {"notificationId":1003,"organizationalEntity":"urn:li:organization:2414183","action":"COMMENT_DELETE","sourcePost":"urn:li:share:6883746834557935616","generatedActivity":"urn:li:comment:(urn:li:activity:6883746833840709632,6884232346456113199)","lastModifiedAt":1764244802000}
    ]}"#;

    #[test]
    fn linkedin_comments_and_deletions() {
        let p = parse(Family::Linkedin, LINKEDIN.as_bytes(), now()).unwrap();
        let m = messages(&p);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind, MessageKind::Comment);
        assert_eq!(m[0].author.remote_id, "urn:li:person:AbC123");
        assert_eq!(m[0].author.handle, "AbC123");
        assert_eq!(
            m[0].conversation_remote_id.as_deref(),
            Some("urn:li:share:6883746834557935616")
        );
        assert!(
            p.events
                .iter()
                .all(|e| e.account == "urn:li:organization:2414183")
        );
        assert_eq!(p.events.len(), 2);
        assert_eq!(p.skipped, 1);
    }

    #[test]
    fn unreadable_bodies_are_errors_odd_entries_are_skipped() {
        assert!(parse(Family::Meta, b"not json", now()).is_err());
        assert!(parse(Family::Meta, br#"{"object":"user","entry":[]}"#, now()).is_err());
        assert!(parse(Family::X, br#"{"tweet_create_events":[]}"#, now()).is_err());
        assert!(parse(Family::Linkedin, br#"{"x":1}"#, now()).is_err());
        let p = parse(
            Family::Meta,
            br#"{"object":"page","entry":[{"changes":[]},{"id":"1","changes":[{"field":"feed","value":{"item":"comment","verb":"add"}}]}]}"#,
            now(),
        )
        .unwrap();
        assert!(p.events.is_empty());
        assert_eq!(p.skipped, 2);
        let p = parse(
            Family::X,
            br#"{"for_user_id":"1","follow_events":[{}]}"#,
            now(),
        )
        .unwrap();
        assert_eq!(p.skipped, 1);
    }
}
