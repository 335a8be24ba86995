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
