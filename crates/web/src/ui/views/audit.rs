//! The audit log page: filters, the events (newest first), cursor paging and the hash-chain status.
//!
//! `GET /settings/audit?actor=&action=&from=&to=&cursor=` (filters as typed; `from`/`to` are
//! `YYYY-MM-DD` dates in the viewer's time zone) and `GET /settings/audit.csv?` with the same
//! filters. The view builds both URLs from its filters so they always agree.

use askama::Template;
use chrono::{DateTime, Utc};

use super::Page;

/// The filter form's values, as typed (empty = no filter).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilters {
    pub actor: String,
    pub action: String,
    pub from: String,
    pub to: String,
}

impl AuditFilters {
    pub fn is_empty(&self) -> bool {
        self.actor.is_empty()
            && self.action.is_empty()
            && self.from.is_empty()
            && self.to.is_empty()
    }

    fn query(&self, cursor: Option<&str>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
        q.finish()
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Position in the chain.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who did it: a person's name, "API token …", or empty for the system.
    pub actor: String,
    /// Action code (`user.create`, `role.grant`, …).
    pub action: String,
    /// What it was done to, in words ("Maria Ivanova", "Workspace Brand EU").
    pub target: String,
    pub ip: String,
    /// Pretty-printed JSON of the state before and after, when the event has them.
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditRow {
    pub fn has_details(&self) -> bool {
        self.before.is_some() || self.after.is_some()
    }
}

/// The result of verifying the hash chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainStatus {
    /// All `events` verified from the first.
    Verified { events: i64 },
    /// The event with this sequence number does not match its predecessor's hash.
    Broken { at_seq: i64 },
    /// Verification has not run (or is running).
    Unknown,
}

/// `GET /settings/audit`.
#[derive(Template)]
#[template(path = "settings/audit.html")]
pub struct AuditView {
    pub page: Page,
    pub filters: AuditFilters,
    pub events: Vec<AuditRow>,
    /// Cursor for the next (older) page; `None` on the last page.
    pub next_cursor: Option<String>,
    pub chain: ChainStatus,
    /// Known action codes, offered as suggestions in the action filter.
    pub action_codes: Vec<String>,
}

impl AuditView {
    /// The link to the next older page, keeping the filters.
    pub fn older_url(&self) -> Option<String> {
        self.next_cursor
            .as_deref()
            .map(|c| format!("/settings/audit?{}", self.filters.query(Some(c))))
    }

    /// The CSV export of everything matching the current filters.
    pub fn export_url(&self) -> String {
        let q = self.filters.query(None);
        if q.is_empty() {
            "/settings/audit.csv".to_owned()
        } else {
            format!("/settings/audit.csv?{q}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, page, render};
    use super::super::{NavUser, Section};
    use super::*;
    use crate::i18n::{Lang, tr};

    fn events() -> Vec<AuditRow> {
        vec![
            AuditRow {
                seq: 1042,
                at: at(26, 13, 45),
                actor: "Maria Ivanova".into(),
                action: "role.grant".into(),
                target: "Georgi Petrov".into(),
                ip: "203.0.113.7".into(),
                before: Some("{\n  \"roles\": []\n}".into()),
                after: Some("{\n  \"roles\": [\"publisher@Brand EU\"]\n}".into()),
            },
            AuditRow {
                seq: 1041,
                at: at(26, 13, 44),
                actor: "Maria Ivanova".into(),
                action: "user.create".into(),
                target: "georgi@example.com".into(),
                ip: "2001:db8::1".into(),
                before: None,
                after: Some("{\"email\": \"georgi@example.com\", \"note\": \"<script>\"}".into()),
            },
            AuditRow {
                seq: 1040,
                at: at(26, 3, 0),
                actor: String::new(),
                action: "session.expire".into(),
                target: "Elena Dimitrova".into(),
                ip: String::new(),
                before: None,
                after: None,
            },
        ]
    }

    #[test]
    fn urls_keep_filters() {
        let view = AuditView {
            page: page(Lang::En, Section::Settings),
            filters: AuditFilters {
                actor: "Maria I".into(),
                action: "role.grant".into(),
                from: "2026-11-01".into(),
                to: String::new(),
            },
            events: vec![],
            next_cursor: Some("1040".into()),
            chain: ChainStatus::Unknown,
            action_codes: vec![],
        };
        assert_eq!(
            view.older_url().unwrap(),
            "/settings/audit?actor=Maria+I&action=role.grant&from=2026-11-01&cursor=1040"
        );
        assert_eq!(
            view.export_url(),
            "/settings/audit.csv?actor=Maria+I&action=role.grant&from=2026-11-01"
        );
    }

    #[test]
    fn audit_log_renders() {
        for lang in Lang::ALL {
            let html = render(
                "settings_audit",
                &AuditView {
                    page: page(lang, Section::Settings),
                    filters: AuditFilters {
                        actor: "Maria".into(),
                        ..Default::default()
                    },
                    events: events(),
                    next_cursor: Some("1040".into()),
                    chain: ChainStatus::Verified { events: 1042 },
                    action_codes: vec!["role.grant".into(), "user.create".into()],
                },
                lang,
            );
            assert!(html.contains("method=\"get\" action=\"/settings/audit\""));
            for f in ["actor", "action", "from", "to"] {
                assert!(html.contains(&format!("name=\"{f}\"")), "{f}");
            }
            assert!(html.contains("value=\"Maria\""));
            assert!(html.contains("href=\"/settings/audit?actor=Maria&#38;cursor=1040\""));
            assert!(html.contains("href=\"/settings/audit.csv?actor=Maria\""));
            assert!(html.contains("<details"));
            assert!(
                html.contains("&#60;script&#62;") && !html.contains("\"<script>"),
                "JSON is escaped"
            );
            assert!(html.contains("203.0.113.7"));
            assert!(html.contains(&tr(lang, "audit-chain-verified")));
            assert!(html.contains("datetime=\"2026-11-26T13:45:00Z\""));

            let html = render(
                "settings_audit_broken",
                &AuditView {
                    page: page(lang, Section::Settings),
                    filters: AuditFilters::default(),
                    events: vec![],
                    next_cursor: None,
                    chain: ChainStatus::Broken { at_seq: 517 },
                    action_codes: vec![],
                },
                lang,
            );
            assert!(html.contains("517"));
            assert!(html.contains(&tr(lang, "audit-empty")));
            assert!(!html.contains("cursor="));
        }
    }

    #[test]
    fn auditor_sees_only_the_audit_log_in_settings() {
        let mut p = page(Lang::En, Section::Settings);
        p.user = Some(NavUser {
            id: "a".into(),
            name: "Ana Auditor".into(),
            email: "ana@example.com".into(),
            can_see_governance: false,
            can_manage_settings: false,
            can_read_audit: true,
            ..NavUser::default()
        });
        let html = render(
            "settings_audit_auditor",
            &AuditView {
                page: p,
                filters: AuditFilters::default(),
                events: events(),
                next_cursor: None,
                chain: ChainStatus::Unknown,
                action_codes: vec![],
            },
            Lang::En,
        );
        assert!(!html.contains("href=\"/settings/users\""));
        assert!(!html.contains("href=\"/governance\""));
        assert!(html.contains("href=\"/settings/audit\""));
    }
}
