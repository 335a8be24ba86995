//! Publishing pages: the content calendar, approvals waiting for the viewer, the external review
//! page (no account), notifications and the calendar feed settings.
//!
//! Form actions, each with `csrf_token`:
//! - `POST /calendar/variants/{id}/move` — `date` (YYYY-MM-DD, the day in the viewer's calendar),
//!   `time` (HH:MM in the viewer's zone; empty keeps the time of day), `return` (the calendar URL)
//! - `POST /approvals/{review}/decide` — `verdict` (approve | request_changes | reject), `reason`
//! - `POST /review/{token}` — `verdict` (approve | request_changes), `name`, `reason`
//! - `POST /notifications/read` — marks everything read
//! - `POST /account/calendar-feed` — a new feed URL (the old one stops working)
//! - `POST /account/calendar-feed/revoke`

use askama::Template;
use chrono::{DateTime, Utc};

use super::{FormErrors, Page, SelectOption};

/// The text with its first letter in upper case ("ноември 2026 г." → "Ноември 2026 г.").
pub fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Badge colour of a variant status.
pub fn status_tone(code: &str) -> &'static str {
    match code {
        "scheduled" | "publishing" => "info",
        "published" => "success",
        "failed" | "rejected" | "unconfirmed" => "danger",
        "in_review" | "changes_requested" | "paused" => "warning",
        _ => "neutral",
    }
}

impl Page {
    /// A variant status in words.
    pub fn variant_status(&self, code: &str) -> String {
        self.t(&format!("vstatus-{}", code.replace('_', "-")))
    }

    /// A reviewer's verdict in words (`request_changes` → "Requested changes").
    pub fn verdict_name(&self, code: &str) -> String {
        self.t(&format!("verdict-{}", code.replace('_', "-")))
    }
}

/// One variant on the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalEntry {
    pub variant_id: String,
    pub post_id: String,
    pub network: String,
    pub channel_name: String,
    pub author_name: String,
    pub title: String,
    /// The start of the text, already shortened.
    pub snippet: String,
    pub status: String,
    pub at: DateTime<Utc>,
    /// Local time of day in the viewer's zone (`14:30`).
    pub time: String,
    /// Local date in the viewer's zone (`2026-11-27`), the move form's default.
    pub date: String,
    pub has_errors: bool,
    /// Not gone to the network, and the viewer may reschedule it.
    pub can_move: bool,
}

impl CalEntry {
    pub fn tone(&self) -> &'static str {
        status_tone(&self.status)
    }
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalDay {
    /// `2026-11-27`.
    pub date: String,
    pub day: u32,
    /// Weekday 1 (Monday) … 7.
    pub weekday: u32,
    pub month: u32,
    pub year: i32,
    pub in_range: bool,
    pub today: bool,
    pub entries: Vec<CalEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalMode {
    Month,
    Week,
    List,
}

impl CalMode {
    pub fn code(self) -> &'static str {
        match self {
            CalMode::Month => "month",
            CalMode::Week => "week",
            CalMode::List => "list",
        }
    }
    pub fn parse(s: &str) -> Option<CalMode> {
        match s {
            "month" => Some(CalMode::Month),
            "week" => Some(CalMode::Week),
            "list" => Some(CalMode::List),
            _ => None,
        }
    }
}

/// The filter form's choices and the current values.
#[derive(Debug, Clone, Default)]
pub struct CalFilters {
    pub workspaces: Vec<SelectOption>,
    pub channels: Vec<SelectOption>,
    pub networks: Vec<SelectOption>,
    pub statuses: Vec<SelectOption>,
    pub authors: Vec<SelectOption>,
    /// The campaigns of the workspaces the viewer sees (the chosen one selected).
    pub campaigns: Vec<SelectOption>,
    pub active: bool,
}

/// `GET /calendar`.
#[derive(Template)]
#[template(path = "publishing/calendar.html")]
pub struct CalendarView {
    pub page: Page,
    pub mode: CalMode,
    /// "November 2026", "23–29 Nov 2026".
    pub heading: String,
    /// Month view: rows of seven days. Week and list views: `days`.
    pub weeks: Vec<Vec<CalDay>>,
    pub days: Vec<CalDay>,
    pub prev_href: String,
    pub next_href: String,
    pub today_href: String,
    /// Links to the same range and filters in each mode: (mode code, href, current).
    pub modes: Vec<(&'static str, String, bool)>,
    pub filters: CalFilters,
    /// The current URL, where a move returns to.
    pub return_to: String,
    pub time_zone: String,
    pub entry_count: usize,
    /// The day the view is built around (`2026-11-27`).
    pub anchor_date: String,
}

impl CalendarView {
    pub fn weekday_names(&self) -> Vec<String> {
        (1..=7)
            .map(|d| self.page.t(&format!("cal-wd-{d}")))
            .collect()
    }

    pub fn day_label(&self, day: &CalDay) -> String {
        let label = self.page.t2(
            "cal-day-label",
            "weekday",
            self.page.t(&format!("cal-wd-{}", day.weekday)),
            "date",
            self.date_label(day),
        );
        capitalised(&label)
    }

    pub fn date_label(&self, day: &CalDay) -> String {
        format!(
            "{} {}",
            day.day,
            self.page.t(&format!("cal-month-short-{}", day.month))
        )
    }

    pub fn mode_label(&self, code: &str) -> String {
        self.page.t(&format!("cal-view-{code}"))
    }

    pub fn days_with_entries(&self) -> Vec<&CalDay> {
        self.days.iter().filter(|d| !d.entries.is_empty()).collect()
    }
}

/// A validation finding of a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    pub error: bool,
    pub message: String,
}

/// One variant in a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewVariant {
    pub network: String,
    pub channel_name: String,
    pub placement: String,
    pub status: String,
    pub text: String,
    pub link: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub has_errors: bool,
    pub findings: Vec<FindingRow>,
}

impl ReviewVariant {
    pub fn tone(&self) -> &'static str {
        status_tone(&self.status)
    }
}

/// One step of a workflow, as the progress list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub name: String,
    /// `done`, `current` or `upcoming`.
    pub state: &'static str,
    pub approvals: u32,
    pub required: u32,
    pub due: Option<DateTime<Utc>>,
    pub escalated: bool,
}

/// One earlier decision of the current round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    pub who: String,
    pub verdict: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A review waiting for someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewCard {
    pub review_id: String,
    pub post_id: String,
    pub title: String,
    pub author_name: String,
    pub workspace_name: String,
    pub round: i64,
    pub steps: Vec<StepRow>,
    pub current_step: String,
    pub variants: Vec<ReviewVariant>,
    pub decisions: Vec<DecisionRow>,
    /// The viewer wrote the post: someone else must review it.
    pub own_post: bool,
    pub errors: FormErrors,
    pub reason: String,
}

/// `GET /approvals`.
#[derive(Template)]
#[template(path = "publishing/approvals.html")]
pub struct ApprovalsView {
    pub page: Page,
    pub reviews: Vec<ReviewCard>,
}

/// `GET /review/{token}`: an outside reviewer's page.
#[derive(Template)]
#[template(path = "publishing/review_link.html")]
pub struct ReviewLinkView {
    pub page: Page,
    pub token: String,
    pub label: String,
    pub step_name: String,
    pub title: String,
    pub expires_at: DateTime<Utc>,
    pub variants: Vec<ReviewVariant>,
    pub name: String,
    pub reason: String,
    pub errors: FormErrors,
    /// After a decision: the thank-you message instead of the form.
    pub done: Option<String>,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    pub message: String,
    pub detail: String,
    pub link: Option<String>,
    pub at: DateTime<Utc>,
    pub unread: bool,
}

/// `GET /notifications`.
#[derive(Template)]
#[template(path = "publishing/notifications.html")]
pub struct NotificationsView {
    pub page: Page,
    pub notifications: Vec<NotificationRow>,
    pub unread: i64,
}

/// `GET /account/calendar-feed`.
#[derive(Template)]
#[template(path = "publishing/calendar_feed.html")]
pub struct CalendarFeedView {
    pub page: Page,
    pub active: bool,
    /// Shown once, right after it was made.
    pub new_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::testing::{anon, at, page, render};
    use super::super::{FieldError, Section};
    use super::*;
    use crate::i18n::{Lang, tr};

    fn entry(id: &str, status: &str, can_move: bool) -> CalEntry {
        CalEntry {
            variant_id: id.into(),
            post_id: format!("p-{id}"),
            network: "sandbox".into(),
            channel_name: "Owlery News".into(),
            author_name: "Maria Ivanova".into(),
            title: "Autumn menu".into(),
            snippet: "Our autumn menu is here: pumpkin soup, chestnuts and more…".into(),
            status: status.into(),
            at: at(27, 7, 30),
            time: "09:30".into(),
            date: "2026-11-27".into(),
            has_errors: status == "draft",
            can_move,
        }
    }

    fn day(d: u32, entries: Vec<CalEntry>) -> CalDay {
        CalDay {
            date: format!("2026-11-{d:02}"),
            day: d,
            weekday: (d + 6) % 7 + 1,
            month: 11,
            year: 2026,
            in_range: true,
            today: d == 27,
            entries,
        }
    }

    fn calendar(lang: Lang, mode: CalMode) -> CalendarView {
        let days: Vec<CalDay> = (23..=29)
            .map(|d| {
                if d == 27 {
                    day(
                        d,
                        vec![
                            entry("v1", "scheduled", true),
                            entry("v2", "published", false),
                        ],
                    )
                } else {
                    day(d, vec![])
                }
            })
            .collect();
        CalendarView {
            page: page(lang, Section::None),
            mode,
            heading: "November 2026".into(),
            weeks: if mode == CalMode::Month {
                vec![days.clone()]
            } else {
                vec![]
            },
            days,
            prev_href: "/calendar?view=month&date=2026-10-01".into(),
            next_href: "/calendar?view=month&date=2026-12-01".into(),
            today_href: "/calendar?view=month&date=2026-11-27".into(),
            modes: vec![
                (
                    "month",
                    "/calendar?view=month".into(),
                    mode == CalMode::Month,
                ),
                ("week", "/calendar?view=week".into(), mode == CalMode::Week),
                ("list", "/calendar?view=list".into(), mode == CalMode::List),
            ],
            filters: CalFilters {
                workspaces: vec![SelectOption::new("w1", "Brand EU", true)],
                active: true,
                ..CalFilters::default()
            },
            return_to: "/calendar?view=month&date=2026-11-27".into(),
            time_zone: "Europe/Sofia".into(),
            entry_count: 2,
            anchor_date: "2026-11-27".into(),
        }
    }

    #[test]
    fn calendar_renders_every_mode() {
        for lang in Lang::ALL {
            for mode in [CalMode::Month, CalMode::Week, CalMode::List] {
                let html = render(
                    &format!("calendar_{}", mode.code()),
                    &calendar(lang, mode),
                    lang,
                );
                assert!(html.contains("data-move-url=\"/calendar/variants/v1/move\""));
                assert!(
                    !html.contains("/calendar/variants/v2/move"),
                    "published cannot move"
                );
                assert!(html.contains("data-date=\"2026-11-27\""));
                assert!(html.contains(&tr(lang, "vstatus-scheduled")));
                assert!(html.contains("href=\"/posts/p-v1\""));
                assert!(html.contains("09:30"));
                assert!(html.contains("<option value=\"w1\" selected>Brand EU</option>"));
            }
        }
    }

    fn card(own: bool) -> ReviewCard {
        ReviewCard {
            review_id: "r1".into(),
            post_id: "p1".into(),
            title: "Autumn menu".into(),
            author_name: "Petar".into(),
            workspace_name: "Brand EU".into(),
            round: 2,
            steps: vec![
                StepRow {
                    name: "Editor".into(),
                    state: "done",
                    approvals: 1,
                    required: 1,
                    due: None,
                    escalated: false,
                },
                StepRow {
                    name: "Legal".into(),
                    state: "current",
                    approvals: 0,
                    required: 2,
                    due: Some(at(28, 9, 0)),
                    escalated: true,
                },
            ],
            current_step: "Legal".into(),
            variants: vec![ReviewVariant {
                network: "sandbox".into(),
                channel_name: "Owlery News".into(),
                placement: "post".into(),
                status: "in_review".into(),
                text: "Our autumn menu\nis here".into(),
                link: Some("https://example.com/menu".into()),
                scheduled_at: Some(at(29, 8, 0)),
                has_errors: true,
                findings: vec![FindingRow {
                    error: true,
                    message: "The text is 320 characters; 300 at most.".into(),
                }],
            }],
            decisions: vec![DecisionRow {
                who: "Ana".into(),
                verdict: "approve".into(),
                reason: String::new(),
                at: at(26, 9, 0),
            }],
            own_post: own,
            errors: if own {
                FormErrors::new()
            } else {
                vec![FieldError::new("reason", "Say why")].into()
            },
            reason: String::new(),
        }
    }

    #[test]
    fn approvals_render_with_progress_findings_and_actions() {
        for lang in Lang::ALL {
            let html = render(
                "approvals",
                &ApprovalsView {
                    page: page(lang, Section::None),
                    reviews: vec![card(false), card(true)],
                },
                lang,
            );
            assert_eq!(html.matches("action=\"/approvals/r1/decide\"").count(), 1);
            assert!(html.contains("value=\"request_changes\""));
            assert!(html.contains("The text is 320 characters"));
            assert!(html.contains("aria-current=\"step\""));
            assert!(html.contains(&tr(lang, "rv-own-post")));
            let empty = render(
                "approvals_empty",
                &ApprovalsView {
                    page: page(lang, Section::None),
                    reviews: vec![],
                },
                lang,
            );
            assert!(empty.contains(&tr(lang, "approvals-empty")));
        }
    }

    #[test]
    fn review_link_notifications_and_feed_render() {
        for lang in Lang::ALL {
            let view = ReviewLinkView {
                page: anon(lang),
                token: "tok".into(),
                label: "Legal".into(),
                step_name: "Legal".into(),
                title: "Autumn menu".into(),
                expires_at: at(30, 9, 0),
                variants: card(false).variants,
                name: "Legal".into(),
                reason: String::new(),
                errors: FormErrors::new(),
                done: None,
            };
            let html = render("review_link", &view, lang);
            assert!(html.contains("action=\"/review/tok\""));
            assert!(!html.contains("value=\"reject\""));
            let html = render(
                "notifications",
                &NotificationsView {
                    page: page(lang, Section::None),
                    notifications: vec![NotificationRow {
                        message: "“Autumn menu” was approved.".into(),
                        detail: "Looks good".into(),
                        link: Some("/posts/p1".into()),
                        at: at(26, 9, 0),
                        unread: true,
                    }],
                    unread: 1,
                },
                lang,
            );
            assert!(html.contains("action=\"/notifications/read\""));
            assert!(html.contains("href=\"/posts/p1\""));
            for (active, url) in [
                (
                    true,
                    Some("https://o.example/calendar/feed/x.ics".to_owned()),
                ),
                (false, None),
            ] {
                let html = render(
                    "calendar_feed",
                    &CalendarFeedView {
                        page: page(lang, Section::Account),
                        active,
                        new_url: url.clone(),
                    },
                    lang,
                );
                assert_eq!(
                    html.contains("action=\"/account/calendar-feed/revoke\""),
                    active
                );
                if let Some(u) = url {
                    assert!(html.contains(&u));
                }
            }
        }
    }
}
