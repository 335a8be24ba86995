//! Answering from the inbox on the conversation page (the reply box, answers' delivery states),
//! the replies awaiting approval, and saved replies under Settings.
//!
//! Form actions, each with `csrf_token`:
//! - `POST /inbox/c/{id}/reply` — `text`, `client_key`, `action` (`send`, `send_close`, or
//!   `insert` with `saved_reply`: puts the saved reply's text in the box, without JavaScript)
//! - `POST /inbox/c/{id}/reply/count` — `text` (htmx: the live character count)
//! - `POST /inbox/c/{id}/replies/{message}/retry`
//! - `POST /inbox/c/{id}/replies/{message}/review` — `decision` (`approve` | `reject`), `note`
//! - `POST /settings/saved-replies` — `name`, `body`, `shortcut`, `workspace_id`
//! - `POST /settings/saved-replies/{id}` — the same; `POST /settings/saved-replies/{id}/delete`

use askama::Template;
use chrono::{DateTime, Utc};

use super::{FormErrors, Page, SelectOption};

/// A saved reply in the reply box's picker, rendered for this conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedOption {
    pub id: String,
    pub name: String,
    pub shortcut: String,
    pub text: String,
}

/// The reply box under a conversation's thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyBox {
    /// The person may answer here (`inbox:reply` on the channel).
    pub allowed: bool,
    /// The network lets Owlery answer this kind of message.
    pub supported: bool,
    /// Answers by this person wait for approval.
    pub needs_approval: bool,
    /// The person approves others' answers (a link to those waiting).
    pub can_approve: bool,
    /// The network's limit (0: none known) and how it counts (`graphemes`, `chars` …).
    pub limit: u64,
    pub count_rule: String,
    /// What the text counts now (for the first render).
    pub used: u64,
    pub text: String,
    /// A fresh key for this form (a repeated submission sends nothing twice).
    pub client_key: String,
    /// The newest message the page shows: sent with the answer, so the server can refuse one
    /// written before the contact wrote again.
    pub seen_message_id: String,
    pub saved: Vec<SavedOption>,
    pub error: String,
}

impl ReplyBox {
    pub fn over(&self) -> bool {
        self.limit > 0 && self.used > self.limit
    }
}

/// The live count (`POST /inbox/c/{id}/reply/count`).
#[derive(Template)]
#[template(path = "inbox/_reply_count.html")]
pub struct ReplyCountView {
    pub page: Page,
    pub reply: ReplyBox,
}

/// Where an answer from Owlery stands, in the thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryView {
    pub message_id: String,
    /// `pending_approval`, `queued`, `sending`, `sent`, `failed`, `rejected`.
    pub state: String,
    pub error: String,
    pub close_on_send: bool,
    pub can_retry: bool,
    pub can_review: bool,
}

/// One answer awaiting approval (`GET /inbox/approvals`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    pub conversation_id: String,
    pub message_id: String,
    pub network: String,
    pub channel_name: String,
    pub contact_name: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /inbox/approvals`.
#[derive(Template)]
#[template(path = "inbox/approvals.html")]
pub struct ReplyApprovalsView {
    pub page: Page,
    pub rows: Vec<PendingRow>,
}

/// One saved reply under Settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedReplyRow {
    pub id: String,
    pub name: String,
    pub body: String,
    pub shortcut: String,
    /// The workspace's name, empty for the whole organisation.
    pub workspace: String,
}

/// `GET /settings/saved-replies`: the list and a form (new, or `editing`).
#[derive(Template)]
#[template(path = "settings/saved_replies.html")]
pub struct SavedRepliesView {
    pub page: Page,
    pub rows: Vec<SavedReplyRow>,
    /// The saved reply being edited (empty: a new one).
    pub editing: String,
    pub form_name: String,
    pub form_body: String,
    pub form_shortcut: String,
    pub workspaces: Vec<SelectOption>,
    pub variables: Vec<String>,
    pub errors: FormErrors,
}
