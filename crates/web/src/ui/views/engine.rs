//! The publishing engine's pages: "Needs attention" (posts that wait for a person), Settings →
//! Publishing (the pause switch and the late policy), and the pause banner every page loads.
//!
//! Form actions, each with `csrf_token`:
//! - `POST /publish/attention/{variant}/resume` — `return` (where to go back: a local path)
//! - `POST /publish/attention/{variant}/schedule` — `when` (local date-time), `tz`, `return`
//! - `POST /publish/attention/{variant}/cancel` — `return`
//! - `POST /publish/attention/{variant}/resolve` — `outcome` (`published` | `not_there`), `url`,
//!   `return`
//! - `POST /settings/publishing/pauses` — `scope` (`organisation`, or `workspace:<id>` /
//!   `channel:<id>`), `reason`, and for the organisation `confirm` = `yes`
//! - `POST /settings/publishing/pauses/{id}/lift`
//! - `POST /settings/publishing/late` — `late_policy` (`send` | `hold`), `late_grace_minutes`

use askama::Template;
use chrono::{DateTime, Utc};

use super::{FormErrors, Page, SelectOption};

/// One post that waits for a person, with what the viewer may do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttentionItem {
    pub variant_id: String,
    pub post_id: String,
    pub title: String,
    pub channel_name: String,
    pub network: String,
    /// `paused`, `unconfirmed` or `failed`.
    pub status: String,
    /// `pause`, `late` or empty.
    pub held_by: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// "late by 2 h 5 min", or empty.
    pub late: String,
    pub error: String,
    pub parts_published: i64,
    /// The channel's page on its network (unconfirmed posts are checked there); may be empty.
    pub profile_url: String,
    /// The viewer may send, reschedule, cancel or resolve it.
    pub can_act: bool,
    /// The reschedule field's starting value (`YYYY-MM-DDTHH:MM` in the viewer's zone).
    pub reschedule_at: String,
}

impl AttentionItem {
    pub fn is_unconfirmed(&self) -> bool {
        self.status == "unconfirmed"
    }
}

/// `GET /publish/attention`.
#[derive(Template)]
#[template(path = "publish/attention.html")]
pub struct AttentionView {
    pub page: Page,
    pub paused: Vec<AttentionItem>,
    pub late: Vec<AttentionItem>,
    pub unconfirmed: Vec<AttentionItem>,
    pub failed: Vec<AttentionItem>,
    /// The path the action forms come back to.
    pub back: String,
    /// The viewer's time zone name (for the reschedule field).
    pub tz: String,
}

impl AttentionView {
    pub fn is_empty(&self) -> bool {
        self.paused.is_empty()
            && self.late.is_empty()
            && self.unconfirmed.is_empty()
            && self.failed.is_empty()
    }
}

/// An active or lifted pause as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseLine {
    pub id: String,
    /// `organisation`, `workspace` or `channel`.
    pub scope: String,
    pub scope_name: String,
    pub reason: String,
    /// Who paused (a name; empty when unknown).
    pub by: String,
    pub since: DateTime<Utc>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: String,
    /// The viewer may lift it.
    pub can_lift: bool,
}

impl Page {
    /// Where a pause applies, in words ("Workspace Brand").
    pub fn pause_where(&self, p: &PauseLine) -> String {
        match p.scope.as_str() {
            "organisation" => self.t("pause-where-org"),
            "workspace" => self.t1("pause-where-workspace", "name", p.scope_name.as_str()),
            _ => self.t1("pause-where-channel", "name", p.scope_name.as_str()),
        }
    }

    /// The banner sentence for one pause.
    pub fn pause_banner(&self, p: &PauseLine) -> String {
        let key = match p.scope.as_str() {
            "organisation" => "pause-banner-org",
            "workspace" => "pause-banner-workspace",
            _ => "pause-banner-channel",
        };
        self.t2(
            key,
            "name",
            p.scope_name.as_str(),
            "reason",
            p.reason.as_str(),
        )
    }

    /// "by Maria, since 27 Nov 2026, 09:00".
    pub fn pause_by(&self, p: &PauseLine) -> String {
        if p.by.is_empty() {
            self.t1("pause-banner-since", "since", self.dt(p.since))
        } else {
            self.t2(
                "pause-banner-by",
                "name",
                p.by.as_str(),
                "since",
                self.dt(p.since),
            )
        }
    }
}

/// `GET /settings/publishing`.
#[derive(Template)]
#[template(path = "settings/publishing.html")]
pub struct PublishingSettingsView {
    pub page: Page,
    pub org_name: String,
    /// The viewer may pause the whole organisation.
    pub can_pause_org: bool,
    /// The whole organisation is paused now (the big switch is not offered twice).
    pub org_paused: bool,
    /// The workspaces and channels the viewer may pause (`workspace:<id>`, `channel:<id>`).
    pub scopes: Vec<SelectOption>,
    pub active: Vec<PauseLine>,
    pub lifted: Vec<PauseLine>,
    /// The viewer may change the late policy.
    pub can_late: bool,
    /// `send` or `hold`.
    pub late_policy: String,
    pub late_grace_minutes: i64,
    /// Errors and values of the three forms, kept after a mistake.
    pub org_errors: FormErrors,
    pub org_reason: String,
    pub scope_errors: FormErrors,
    pub scope_reason: String,
    pub late_errors: FormErrors,
}

/// The banner every page loads while a pause is active (`GET /publishing/banner`).
#[derive(Template)]
#[template(path = "publishing/_pause_banner.html")]
pub struct PauseBannerFragment {
    pub page: Page,
    pub pauses: Vec<PauseLine>,
}
