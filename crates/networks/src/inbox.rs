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
