//! Publishing: the list of posts, the composer and a post's history.
//!
//! Form actions (for the handler author), each with `csrf_token`:
//! - `POST /publish/check` — the composer's fields; answers with out-of-band fragments that
//!   replace each channel's meter and findings (`#check-<channel id>`).
//! - `POST /publish/save` — the composer's fields and `action` = `draft` | `schedule` | `now` |
//!   `autosave`. Composer fields: `post_id`, `version`, `workspace_id`, `title`, `text`, `link`,
//!   `first_comment`, `channel` (repeated), and per channel `custom_<id>`, `placement_<id>`,
//!   `text_<id>`, `link_<id>`, `first_comment_<id>`, `media_<id>` (repeated); `media` (repeated
//!   media ids) with `alt_<media id>`; `when` (local date-time) and `tz`.
//!   `campaign_id` (empty: none). `action` = `queue` saves, submits, and puts each ready variant
//!   in its channel's next free queue slot.
//! - `POST /publish/posts/{id}/restore` — `version`.
//! - `POST /publish/posts/{id}/comments` — `body` (`@name` mentions notify).
//! - `POST /publish/posts/{id}/assign` — `user_id` (empty: nobody).

use askama::Template;
use owlery_domain::publishing::history::Change;

use super::{FormErrors, Page, SelectOption};

/// `GET /publish`.
#[derive(Template)]
#[template(path = "publish/posts.html")]
pub struct PostsView {
    pub page: Page,
    pub can_draft: bool,
    pub posts: Vec<PostRow>,
}

pub struct PostRow {
    pub id: String,
    pub title: String,
    pub excerpt: String,
    pub workspace: String,
    pub updated: String,
    pub variants: Vec<VariantChip>,
}

pub struct VariantChip {
    pub network: String,
    pub channel: String,
    pub status: String,
    pub when: String,
    /// "late by 2 h 5 min" for a post that went out late; empty otherwise.
    pub late: String,
}

/// `GET /publish/new` and `GET /publish/posts/{id}`.
#[derive(Template)]
#[template(path = "publish/composer.html")]
pub struct ComposerView {
    pub page: Page,
    /// Empty for a new post.
    pub post_id: String,
    pub version: i64,
    pub workspace_id: String,
    /// The workspaces the person may write in (a choice only when there are several).
    pub workspaces: Vec<SelectOption>,
    pub title: String,
    pub text: String,
    pub link: String,
    pub first_comment: String,
    pub channels: Vec<ChannelBox>,
    /// `YYYY-MM-DDTHH:MM` in `tz`, for the date-time input.
    pub when: String,
    pub tz: String,
    pub tz_options: Vec<SelectOption>,
    pub can_publish: bool,
    pub errors: FormErrors,
    pub reviews: Vec<ReviewLine>,
    /// The conversation about the post (existing posts only).
    pub comments: Vec<CommentLine>,
    /// The workspace's planned campaigns (the first option is "none").
    pub campaigns: Vec<SelectOption>,
    /// The workspace's media library, with what the master uses (and its alt text) marked.
    pub media: Vec<MediaPick>,
    /// Who the post is assigned to: the choices, the current one selected.
    pub assignees: Vec<SelectOption>,
    /// The post's channels that wait for a person (paused, unconfirmed, failed), with actions.
    pub attention: Vec<super::engine::AttentionItem>,
    /// Where those actions come back to (this post).
    pub attention_back: String,
    /// The viewer's time zone (the reschedule field of those actions).
    pub viewer_tz: String,
}

/// `GET /publish/link-preview?link=`: what the linked page says about itself.
#[derive(Template)]
#[template(path = "publish/_link_preview.html")]
pub struct LinkPreviewFragment {
    pub page: Page,
    pub title: String,
    pub description: String,
    pub site: String,
    pub url: String,
    /// Why there is no preview, when there is none.
    pub error: String,
}

/// A library item in the composer's media picker.
pub struct MediaPick {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub has_thumbnail: bool,
    pub selected: bool,
    pub alt: String,
    pub expired: bool,
}

pub struct CommentLine {
    pub id: String,
    pub author: String,
    pub at: String,
    pub body: String,
}

/// One channel in the composer: whether it is chosen, its own version of the post, and what
/// validation says about it.
pub struct ChannelBox {
    pub id: String,
    pub name: String,
    pub network: String,
    pub network_name: String,
    pub selected: bool,
    pub custom: bool,
    pub placements: Vec<SelectOption>,
    pub text: String,
    pub link: String,
    pub first_comment: String,
    /// The fields this channel's version changes from the master (`text`, `link` …).
    pub changed: Vec<&'static str>,
    /// The media ids this channel's own version uses (when customised).
    pub media: Vec<String>,
    /// The variant's status code, once saved.
    pub status: String,
    pub check: CheckView,
    /// "late by 2 h 5 min" when it went out late; empty otherwise.
    pub late: String,
    /// The channel needs reconnecting (with what the network said, possibly empty).
    pub reconnect: Option<String>,
}

/// A channel's meter and findings.
pub struct CheckView {
    pub channel_id: String,
    pub used: u64,
    pub limit: u64,
    pub findings: Vec<FindingLine>,
    /// Whether it was computed (a channel not chosen shows nothing).
    pub shown: bool,
}

impl CheckView {
    pub fn empty(channel_id: String) -> Self {
        CheckView {
            channel_id,
            used: 0,
            limit: 0,
            findings: Vec::new(),
            shown: false,
        }
    }
    pub fn over(&self) -> bool {
        self.limit > 0 && self.used > self.limit
    }
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.error)
    }
}

pub struct FindingLine {
    pub error: bool,
    pub message: String,
}

pub struct ReviewLine {
    pub state: String,
    pub detail: String,
}

/// The answer to `POST /publish/check`: every channel's check, swapped in out of band.
#[derive(Template)]
#[template(path = "publish/_checks.html")]
pub struct ChecksFragment {
    pub page: Page,
    pub checks: Vec<CheckView>,
}

/// The answer to an autosave: when it was saved and the version to send next.
#[derive(Template)]
#[template(path = "publish/_saved.html")]
pub struct SavedFragment {
    pub page: Page,
    pub post_id: String,
    pub version: i64,
    pub saved_at: String,
    pub error: String,
}

/// `GET /publish/posts/{id}/history`.
#[derive(Template)]
#[template(path = "publish/history.html")]
pub struct HistoryView {
    pub page: Page,
    pub post_id: String,
    pub title: String,
    pub current: i64,
    pub versions: Vec<VersionLine>,
}

pub struct VersionLine {
    pub version: i64,
    pub author: String,
    pub at: String,
    /// The word changes from the version before (all `Same`/`Added` for the first).
    pub changes: Vec<Change>,
    pub channels: usize,
}

impl Page {
    /// A content field's name, as "differs from the master" lists it.
    pub fn diff_field(&self, field: &str) -> String {
        self.t(&format!("composer-diff-{field}"))
    }

    /// A review's state in words.
    pub fn review_state(&self, code: &str) -> String {
        self.t(&format!("review-state-{}", code.replace('_', "-")))
    }
}

/// `GET /publish/queues`: each channel the person may publish to, with its weekly slots.
#[derive(Template)]
#[template(path = "publish/queues.html")]
pub struct QueuesView {
    pub page: Page,
    pub channels: Vec<QueueChannel>,
}

pub struct QueueChannel {
    pub id: String,
    pub name: String,
    pub network: String,
    pub workspace: String,
    pub days: Vec<QueueDay>,
    pub tz_options: Vec<SelectOption>,
    /// The next few free times, in the queue's zone.
    pub next: Vec<String>,
    pub errors: FormErrors,
}

/// One weekday's times, as the form shows them ("09:30, 13:00").
pub struct QueueDay {
    pub code: &'static str,
    pub label_key: String,
    pub times: String,
}
