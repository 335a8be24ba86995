//! What the inbox pages show for working together: saved views with their counts, the bulk bar,
//! internal notes with @mentions, presence and the keyboard shortcuts (`inbox/_work_*.html`).
//!
//! Form actions, each with `csrf_token`:
//! - `POST /inbox/bulk` — `ids` (repeated), `action` (close, reopen, assign, tag, priority),
//!   `assignee` (a user id, `me`, or empty to unassign), `tag`, `priority`, `return` (the list's
//!   address)
//! - `POST /inbox/views` — `name`, `query` (the list's query string), `visibility`, `team_id`
//! - `POST /inbox/views/{id}/delete`
//! - `POST /inbox/c/{id}/notes` — `text`
//!
//! Script endpoints (`static/inbox.js`, with the `X-CSRF-Token` header):
//! - `GET /inbox/events` — Server-Sent Events (`conversation`, `presence`, `resync`)
//! - `POST /inbox/c/{id}/presence` — `state` = viewing | typing | left
//! - `GET /inbox/c/{id}/stale?seen_message_id=…` — `{"state": "fresh"}` or
//!   `{"state": "stale", "unseen": n}`

use chrono::{DateTime, Utc};

use super::SelectOption;

/// A saved view in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedViewRow {
    pub id: String,
    pub name: String,
    /// `/inbox?…`
    pub href: String,
    /// "12", "100+".
    pub count: String,
    /// Empty for private views; otherwise "Team" / "Organisation" (translated).
    pub shared: String,
    /// The list shows exactly this view's filters.
    pub active: bool,
    pub can_delete: bool,
}

/// The list page's additions.
#[derive(Debug, Clone, Default)]
pub struct InboxWork {
    pub views: Vec<SavedViewRow>,
    /// The current filters and search, normalised: what "Save view" saves.
    pub query: String,
    /// Whether the person may change conversations (shows the checkboxes and the bulk bar).
    pub can_bulk: bool,
    pub assignees: Vec<SelectOption>,
    pub priorities: Vec<SelectOption>,
    pub teams: Vec<SelectOption>,
    /// The address of this list, for coming back after a bulk change.
    pub here: String,
}

/// One piece of a note's text: plain, or an @mention of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotePart {
    pub text: String,
    pub mention: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRow {
    /// The anchor: `note-<id>`.
    pub anchor: String,
    pub author: String,
    pub parts: Vec<NotePart>,
    pub created_at: DateTime<Utc>,
}

/// The conversation page's additions.
#[derive(Debug, Clone, Default)]
pub struct ConversationWork {
    pub notes: Vec<NoteRow>,
    pub can_note: bool,
    /// The id of the latest message shown (for the stale-reply check); empty if none.
    pub seen_message_id: String,
    /// People who can be @mentioned: JSON `[{"name", "handle"}]` for the autocomplete.
    pub mentionable_json: String,
    /// Whether the person may change the conversation (keyboard a / c / t).
    pub can_change: bool,
}
