//! The polling side of the inbox: what people sent an account, read in pages with a cursor.
//!
//! Networks that push (Meta, X, LinkedIn, Threads) deliver through webhooks instead; networks that
//! do not (Bluesky, Mastodon, YouTube comments) are polled. A poll returns the items after the
//! cursor it was given and the cursor to give next time. The cursor is opaque to callers (each
//! connector encodes what it needs) and is stored only after the items are safely ingested, so a
//! crash between the two repeats a page — which the inbox's dedupe on (channel, remote id)
//! absorbs — and never skips one.

use chrono::{DateTime, Utc};
use owlery_domain::inbox::{Author, MessageKind};

/// One message from a person, as the network gives it: the inbox's `InboundMessage` without the
/// channel (the caller knows which channel it polled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    /// The network's id of the message (an `at://` URI on Bluesky, a status id on Mastodon).
    pub remote_id: String,
    pub kind: MessageKind,
    pub author: Author,
    /// Plain text (HTML from the network is turned into text).
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// For a comment: the post it is on (the root of its thread). For a mention: the root of the
    /// thread it is in. For a DM: the network's conversation id.
    pub conversation_remote_id: Option<String>,
    /// The message it answers directly.
    pub in_reply_to_remote_id: Option<String>,
    /// Links to attached media.
    pub media: Vec<String>,
    /// Where people see it.
    pub url: Option<String>,
}

/// Whether a network's API lets Owlery do something to a message of the inbox (like it, delete
/// it), and if not, why — in words for people, shown where the button would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ability {
    Allowed,
    Not(&'static str),
}

impl Ability {
    pub fn allowed(self) -> bool {
        self == Ability::Allowed
    }

    /// Why not (`None` when allowed).
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Ability::Allowed => None,
            Ability::Not(why) => Some(why),
        }
    }
}

/// A page of a poll.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboxPoll {
    /// Oldest first.
    pub items: Vec<InboxItem>,
    /// What to pass to the next poll (store it after the items are ingested). `None` when the
    /// cursor passed in still stands (nothing new).
    pub cursor: Option<String>,
    /// There is more right now: poll again at once rather than waiting for the interval.
    pub more: bool,
}

/// At most this many pages are read in one poll; the cursor says where to go on.
pub const MAX_PAGES_PER_POLL: usize = 10;

/// What an answer from Owlery answers, on the network: built by the store from a conversation and
/// its latest inbound message. Each connector takes what its network needs (Bluesky the message
/// and its thread's root, Facebook the comment, Messenger the person, X DMs the thread).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTarget {
    /// Comment, mention or DM: decides where the answer goes (a threaded reply, a DM).
    pub kind: MessageKind,
    /// The network's id of the message answered (the latest inbound one).
    pub message_id: String,
    /// What the answered message itself answers on the network, when known: the post for a
    /// comment on it, the comment for a reply to one. Networks whose answers may only hang under a
    /// top-level comment (TikTok's API for Business) answer a reply there.
    pub parent_id: Option<String>,
    /// The post a comment is on, or the root of a mention's thread, when known.
    pub root_id: Option<String>,
    /// A DM thread's id on the network, when it has one.
    pub thread_id: Option<String>,
    /// The person answered: their network id and handle (without `@`).
    pub contact_id: String,
    pub contact_handle: String,
}

/// An answer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRequest {
    /// Stable for this answer (Owlery's message id): a repeat with the same key must never create
    /// a second answer (networks with idempotency), and lookups find the answer by it.
    pub idempotency_key: String,
    pub target: ReplyTarget,
    pub text: String,
}

impl ReplyRequest {
    /// The same answer as a publish of one part threaded under the message: for networks whose
    /// replies are posts (X, Threads, Bluesky, Mastodon) or comments on a comment through the
    /// publish path (Facebook). `as_comment`: a comment rather than a threaded post.
    pub fn as_publish(&self, as_comment: bool) -> crate::PublishRequest {
        let mut req = crate::PublishRequest::new(self.idempotency_key.clone(), self.text.clone());
        req.reply_to = Some(crate::RemoteRef {
            id: self.target.message_id.clone(),
            cid: None,
            root: self.target.root_id.as_ref().map(|r| {
                Box::new(crate::RemoteRef {
                    id: r.clone(),
                    cid: None,
                    root: None,
                })
            }),
        });
        req.as_comment = as_comment;
        req
    }
}

/// The error for an answer a network's API does not allow.
pub fn cannot_reply(network: crate::Network, kind: MessageKind) -> crate::ConnectorError {
    let what = match kind {
        MessageKind::Comment => "comments",
        MessageKind::Mention => "mentions",
        MessageKind::Dm => "direct messages",
    };
    crate::ConnectorError::Permanent {
        reason: format!(
            "{}'s API does not let apps answer {what}: answer on {} itself",
            network.label(),
            network.label()
        ),
    }
}

/// Where a newest-first sweep stands, for networks that list newest first and page backwards in
/// time (YouTube's comment threads, TikTok's comments): a poll reads from the newest item down to
/// the newest time the previous sweep saw (`seen`), then that sweep's newest time becomes the
/// watermark. Two items can share a timestamp, so a sweep stops only *below* `seen`, and the items
/// already read at exactly `seen` are named (`at_seen`) and skipped. A sweep longer than
/// [`MAX_PAGES_PER_POLL`] pages goes on in the next poll from `next` (the network's page token),
/// remembering its newest time (`top`, with the items read at it in `at_top`); items that arrive
/// meanwhile are newer than `top` and are read by the sweep after.
///
/// Stored as a small JSON object (the poll's cursor). Each connector decides what time an item is
/// swept by (YouTube: its latest activity, so an edit is read again).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sweep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_seen: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_top: Vec<String>,
}

impl Sweep {
    /// The stored cursor (`None`: a channel's first poll). `network` names it in the error.
    pub fn parse(raw: Option<&str>, network: &str) -> Result<Sweep, crate::ConnectorError> {
        match raw {
            None => Ok(Sweep::default()),
            Some(s) => serde_json::from_str(s).map_err(|e| crate::ConnectorError::Permanent {
                reason: format!("the stored {network} inbox cursor is unreadable ({e})"),
            }),
        }
    }

    /// The first poll of a channel reads one page: the recent past, not years of it.
    pub fn is_first(&self) -> bool {
        self.seen.is_none()
    }

    /// Older than the watermark: the sweep is done.
    pub fn is_below(&self, time: DateTime<Utc>) -> bool {
        self.seen.is_some_and(|seen| time < seen)
    }

    /// Read by an earlier sweep (at the watermark) or earlier in this one (at its top).
    pub fn already_read(&self, time: DateTime<Utc>, id: &str) -> bool {
        (self.seen == Some(time) && self.at_seen.iter().any(|i| i == id))
            || (self.top == Some(time) && self.at_top.iter().any(|i| i == id))
    }

    /// Notes an item this sweep read (call only for items not [`Sweep::already_read`]).
    pub fn read(&mut self, time: DateTime<Utc>, id: &str) {
        match self.top {
            Some(top) if top > time => {}
            Some(top) if top == time => self.at_top.push(id.to_owned()),
            _ => {
                self.top = Some(time);
                self.at_top = vec![id.to_owned()];
            }
        }
    }

    /// The state after this poll: the sweep goes on from `next_page` (`Some`), or it is finished
    /// and its newest time is the new watermark.
    pub fn after(mut self, next_page: Option<String>) -> Sweep {
        if let Some(page) = next_page {
            self.next = Some(page);
            return self;
        }
        match self.top {
            None => Sweep {
                seen: self.seen,
                at_seen: self.at_seen,
                ..Sweep::default()
            },
            Some(top) => {
                let mut at_seen = self.at_top;
                if self.seen == Some(top) {
                    at_seen.extend(self.at_seen);
                }
                at_seen.sort_unstable();
                at_seen.dedup();
                Sweep {
                    seen: Some(top),
                    at_seen,
                    ..Sweep::default()
                }
            }
        }
    }

    /// [`Sweep::after`] as the poll's cursor. `None`: the cursor passed in (`before`) still
    /// stands.
    pub fn end(self, next_page: Option<String>, before: Option<&str>) -> Option<String> {
        let state = self.after(next_page);
        if state == Sweep::default() {
            return None;
        }
        // A struct of strings and timestamps always serialises.
        let encoded = serde_json::to_string(&state).unwrap_or_default();
        (Some(encoded.as_str()) != before).then_some(encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + i64::from(s), 0).unwrap_or_default()
    }

    #[test]
    fn a_sweep_stops_below_the_watermark_and_skips_what_it_read_at_it() {
        let mut first = Sweep::default();
        assert!(first.is_first() && !first.is_below(t(0)));
        first.read(t(10), "b");
        first.read(t(10), "a");
        first.read(t(5), "old");
        let cursor = first.end(None, None).unwrap_or_default();
        let mut second = Sweep::parse(Some(&cursor), "Test").unwrap_or_default();
        assert_eq!(second.seen, Some(t(10)));
        assert_eq!(second.at_seen, vec!["a".to_owned(), "b".to_owned()]);
        assert!(second.is_below(t(9)) && !second.is_below(t(10)));
        assert!(second.already_read(t(10), "a") && !second.already_read(t(10), "c"));
        // Nothing new: the cursor stands.
        assert_eq!(second.clone().end(None, Some(&cursor)), None);
        // Another at the same time: both are remembered at the watermark.
        second.read(t(10), "c");
        let third =
            Sweep::parse(second.end(None, Some(&cursor)).as_deref(), "Test").unwrap_or_default();
        assert_eq!(third.at_seen, vec!["a", "b", "c"]);
    }

    #[test]
    fn a_long_sweep_goes_on_from_its_page_and_keeps_its_top() {
        let mut s = Sweep {
            seen: Some(t(1)),
            ..Sweep::default()
        };
        s.read(t(50), "n");
        let go_on =
            Sweep::parse(s.end(Some("p2".into()), None).as_deref(), "Test").unwrap_or_default();
        assert_eq!(
            (go_on.next.as_deref(), go_on.top),
            (Some("p2"), Some(t(50)))
        );
        assert!(go_on.already_read(t(50), "n"));
        assert_eq!(go_on.seen, Some(t(1)));
        let done = Sweep::parse(go_on.end(None, None).as_deref(), "Test").unwrap_or_default();
        assert_eq!((done.seen, done.next, done.top), (Some(t(50)), None, None));
    }

    #[test]
    fn garbage_is_a_clear_error() {
        assert!(matches!(
            Sweep::parse(Some("{nope"), "YouTube"),
            Err(crate::ConnectorError::Permanent { reason }) if reason.contains("YouTube")
        ));
    }
}
