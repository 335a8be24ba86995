//! Publish → Campaigns (posts released together) and Publish → Import (posts in bulk as CSV).
//!
//! Form actions (for the handler author), each with `csrf_token`:
//! - `POST /publish/campaigns` — create: `workspace_id`, `name`, `when` (local date-time, may be
//!   empty), `tz`, `release_mode` = `instant` | `staggered`, `all_or_nothing` (check box), `note`.
//! - `POST /publish/campaigns/{id}` — edit: the same fields but `workspace_id`.
//! - `POST /publish/campaigns/{id}/offsets` — `offset_<variant id>` (minutes) per member.
//! - `POST /publish/campaigns/{id}/remove` — `post_id`.
//! - `POST /publish/import` — `workspace_id`, `csv` (the file's text), `action` = `check` |
//!   `import`.
//! - `GET /publish/export.csv` — `workspace_id`, `from`, `to` (dates, the viewer's time zone).

use askama::Template;

use super::{FormErrors, Page, SelectOption};

/// The Publish sub-navigation: which tab is current.
pub const TAB_CAMPAIGNS: &str = "campaigns";
pub const TAB_IMPORT: &str = "import";

/// `GET /publish/campaigns`.
#[derive(Template)]
#[template(path = "publish/campaigns.html")]
pub struct CampaignsView {
    pub page: Page,
    pub tab: &'static str,
    pub campaigns: Vec<CampaignRow>,
    pub form: CampaignForm,
}

pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub workspace: String,
    /// In the viewer's time zone; empty when not set.
    pub release: String,
    pub mode: String,
    pub all_or_nothing: bool,
    pub status: String,
    pub members: usize,
}

/// The create and edit form's values.
pub struct CampaignForm {
    pub workspaces: Vec<SelectOption>,
    pub name: String,
    /// `YYYY-MM-DDTHH:MM` in `tz`.
    pub when: String,
    pub tz_options: Vec<SelectOption>,
    pub staggered: bool,
    pub all_or_nothing: bool,
    pub note: String,
    pub errors: FormErrors,
}

/// `GET /publish/campaigns/{id}`.
#[derive(Template)]
#[template(path = "publish/campaign.html")]
pub struct CampaignView {
    pub page: Page,
    pub tab: &'static str,
    pub id: String,
    pub name: String,
    pub workspace: String,
    pub status: String,
    /// The message key of the status.
    pub status_key: String,
    /// Only planned campaigns change.
    pub editable: bool,
    pub staggered: bool,
    pub all_or_nothing: bool,
    pub form: CampaignForm,
    pub posts: Vec<MemberPost>,
}

/// A post in the campaign, with its variants.
pub struct MemberPost {
    pub post_id: String,
    pub title: String,
    pub members: Vec<MemberLine>,
}

pub struct MemberLine {
    pub variant_id: String,
    pub network: String,
    pub channel: String,
    pub status: String,
    pub offset_minutes: i64,
    /// `not_approved` or `invalid`; empty when nothing blocks it.
    pub blocker: String,
}

/// `GET /publish/import` and the report after `POST /publish/import`.
#[derive(Template)]
#[template(path = "publish/import.html")]
pub struct ImportView {
    pub page: Page,
    pub tab: &'static str,
    pub workspaces: Vec<SelectOption>,
    pub csv: String,
    pub errors: FormErrors,
    /// Set after a check or an import.
    pub report: Option<ImportReport>,
    pub from: String,
    pub to: String,
}

pub struct ImportReport {
    pub imported: bool,
    pub rows_total: usize,
    pub rows_with_problems: usize,
    pub problems: Vec<ProblemLine>,
    /// What the networks' rules find wrong (the posts are still created, not scheduled).
    pub warnings: Vec<ProblemLine>,
}

pub struct ProblemLine {
    pub line: usize,
    pub column: String,
    pub message: String,
}
