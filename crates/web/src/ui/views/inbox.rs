//! The inbox pages: the unified list (`/inbox`, with filters and search) and one conversation
//! (`/inbox/c/{id}`).
//!
//! Form action, with `csrf_token`:
//! - `POST /inbox/c/{id}` — `status`, `priority`, `assignee` (a user id or empty), `tags`
//!   (comma-separated)

use askama::Template;
use chrono::{DateTime, Utc};

use super::{Page, SelectOption};

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub id: String,
    pub network: String,
    pub channel_name: String,
    /// `comment`, `mention`, `dm`.
    pub kind: String,
    pub contact_name: String,
    pub contact_handle: String,
    pub preview: String,
    pub status: String,
    pub priority: String,
    pub sentiment: String,
    pub intent: String,
    pub language: String,
    pub tags: Vec<String>,
    /// `ok`, `due_soon`, `breached`.
    pub sla: String,
    pub due: Option<DateTime<Utc>>,
    /// "in 3 hours", "2 hours ago".
    pub due_relative: String,
    pub assignee: String,
    pub last_message_at: DateTime<Utc>,
    pub last_relative: String,
    pub message_count: i64,
}

/// What the filter form shows.
#[derive(Debug, Clone, Default)]
pub struct InboxFilters {
    pub status: Vec<SelectOption>,
    pub sla: Vec<SelectOption>,
    pub sentiment: Vec<SelectOption>,
    pub intent: Vec<SelectOption>,
    pub language: Vec<SelectOption>,
    pub network: Vec<SelectOption>,
    pub workspace: Vec<SelectOption>,
    pub assignee: Vec<SelectOption>,
    pub team: Vec<SelectOption>,
    pub channel: Vec<SelectOption>,
    pub tag: Vec<SelectOption>,
    /// Whether any filter is set (shows "Clear").
    pub any: bool,
}

/// A message found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub conversation_id: String,
    pub contact_name: String,
    pub contact_handle: String,
    pub channel_name: String,
    pub network: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A contact found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactHitRow {
    pub name: String,
    pub handle: String,
    pub followers: String,
    /// Where to go: their latest conversation (may be empty).
    pub href: String,
}

/// `GET /inbox`.
#[derive(Template)]
#[template(path = "inbox/list.html")]
pub struct InboxView {
    pub page: Page,
    pub rows: Vec<ConversationRow>,
    pub filters: InboxFilters,
    /// The search words, when searching.
    pub q: String,
    pub hits: Vec<SearchHit>,
    pub contact_hits: Vec<ContactHitRow>,
    /// The link to the next page (empty on the last).
    pub next_href: String,
    /// The link back to the first page, when not on it.
    pub first_href: String,
    /// Saved views and bulk changes.
    pub work: super::inbox_work::InboxWork,
}

/// One message in the thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadMessage {
    pub author: String,
    pub outbound: bool,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub sentiment: String,
    pub intent: String,
    pub language: String,
    pub url: String,
    pub edited: bool,
    pub hidden: bool,
    pub deleted: bool,
    pub media: Vec<String>,
    /// Hiding on the network was asked for and has not happened yet.
    pub hide_pending: bool,
    /// Why it could not be hidden on the network.
    pub hide_error: String,
    /// An answer from Owlery: where it stands.
    pub delivery: Option<super::inbox_reply::DeliveryView>,
    pub id: String,
    /// The person may like / delete it on the network, and the network's API allows it (the
    /// buttons show only then).
    pub can_like: bool,
    pub can_delete: bool,
    pub liked: bool,
    pub like_pending: bool,
    pub delete_pending: bool,
    /// Why the last like or delete could not be done.
    pub action_error: String,
}

/// A network account of the contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRow {
    pub network: String,
    pub handle: String,
    pub followers: String,
}

/// `GET /inbox/c/{id}`.
#[derive(Template)]
#[template(path = "inbox/conversation.html")]
pub struct ConversationView {
    pub page: Page,
    pub id: String,
    pub row: ConversationRow,
    pub post_remote_id: String,
    pub messages: Vec<ThreadMessage>,
    pub contact_name: String,
    pub contact_handle: String,
    pub contact_followers: String,
    pub contact_since: DateTime<Utc>,
    pub identities: Vec<IdentityRow>,
    pub history: Vec<ConversationRow>,
    pub can_change: bool,
    pub status: Vec<SelectOption>,
    pub priority: Vec<SelectOption>,
    pub assignee: Vec<SelectOption>,
    /// The post a comment thread is on, when it was published from Owlery.
    pub post: Option<PostContext>,
    /// Empty when the organisation has no teams (the field is not shown).
    pub team: Vec<SelectOption>,
    pub tags: String,
    pub first_response_due: Option<DateTime<Utc>>,
    /// Notes, presence, the stale-reply check.
    pub work: super::inbox_work::ConversationWork,
    /// The reply box (`pages/inbox_reply.rs`).
    pub reply: super::inbox_reply::ReplyBox,
}

impl Page {
    /// The translated label of a code: `prefix` + `code` (`inbox-status-` + `open`).
    pub fn code_label(&self, prefix: &str, code: &str) -> String {
        self.t(&format!("{prefix}{code}"))
    }
}

/// The post a comment thread is on (published from Owlery): its text (shortened), when it went
/// out, and links to it on the network and in Owlery (empty when not allowed or not known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostContext {
    pub text: String,
    pub published_at: Option<DateTime<Utc>>,
    pub remote_url: String,
    pub owlery_href: String,
}
