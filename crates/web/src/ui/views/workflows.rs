//! Approval workflows in settings: which workflow covers each workspace and channel, and the form
//! that creates or edits one.
//!
//! The form works without JavaScript: every step is a fieldset of plain fields named
//! `step{i}.name`, `step{i}.kind` (`role` | `team` | `people` | `external`), `step{i}.role`,
//! `step{i}.team`, `step{i}.people` (repeated), `step{i}.required`, `step{i}.backup`,
//! `step{i}.deadline_hours`, with `step_count` rows in all. Adding, removing and moving steps
//! posts the form back with `op` = `add`, `remove:{i}`, `up:{i}` or `down:{i}`; the server
//! answers with the same form rearranged, nothing saved. `op` = `save` (the default button) saves.

use askama::Template;
use chrono::{DateTime, Utc};

use super::{FormErrors, Page, SelectOption};

/// One step of a workflow, as the overview lists it (already in words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSummary {
    pub name: String,
    /// "Publisher (role)", "Team Legal", "Maria Ivanova, Georgi Petrov", "External reviewers".
    pub approvers: String,
    pub required: u32,
    /// 0 for no deadline.
    pub deadline_hours: u32,
    /// Name of the backup person; empty for none.
    pub backup: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowSummary {
    pub id: String,
    pub name: String,
    pub steps: Vec<StepSummary>,
    pub updated_at: DateTime<Utc>,
}

/// What covers a channel of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCover {
    pub id: String,
    pub network: String,
    pub name: String,
    pub handle: String,
    /// The channel's own workflow, which wins over the workspace's.
    pub own: Option<WorkflowSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceWorkflows {
    pub id: String,
    pub name: String,
    pub workspace_wide: Option<WorkflowSummary>,
    pub channels: Vec<ChannelCover>,
}

/// `GET /settings/workflows`.
#[derive(Template)]
#[template(path = "settings/workflows.html")]
pub struct WorkflowsView {
    pub page: Page,
    /// Only the workspaces the viewer may manage.
    pub workspaces: Vec<WorkspaceWorkflows>,
    /// The workflow just saved, highlighted.
    pub saved_id: String,
}

/// One step row of the form, as typed (kept after an error or a rearrangement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepForm {
    pub name: String,
    /// `role`, `team`, `people` or `external`.
    pub kind: String,
    /// Role code for `role`.
    pub role: String,
    /// Team id for `team`.
    pub team: String,
    /// User ids for `people`.
    pub people: Vec<String>,
    pub required: String,
    /// User id; empty for none.
    pub backup: String,
    /// Empty for no deadline.
    pub deadline_hours: String,
}

impl Default for StepForm {
    fn default() -> Self {
        StepForm {
            name: String::new(),
            kind: "role".into(),
            role: "publisher".into(),
            team: String::new(),
            people: vec![],
            required: "1".into(),
            backup: String::new(),
            deadline_hours: String::new(),
        }
    }
}

impl StepForm {
    /// A row nobody filled in: ignored when saving, so an extra row never blocks the form.
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.people.is_empty()
            && self.backup.is_empty()
            && self.deadline_hours.trim().is_empty()
    }

    pub fn has_person(&self, id: &str) -> bool {
        self.people.iter().any(|p| p == id)
    }
}

/// A workspace in the scope select: the whole workspace, then each of its channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeGroup {
    pub name: String,
    /// `workspace:<id>`.
    pub workspace_value: String,
    /// `channel:<id>` → "Name (@handle)".
    pub channels: Vec<SelectOption>,
}

/// `GET /settings/workflows/new`, `GET /settings/workflows/{id}` and the answer to their POSTs.
#[derive(Template)]
#[template(path = "settings/workflow_form.html")]
pub struct WorkflowFormView {
    pub page: Page,
    /// The workflow being edited; `None` when creating.
    pub editing: Option<String>,
    pub name: String,
    /// `workspace:<id>` or `channel:<id>`.
    pub scope: String,
    pub scope_groups: Vec<ScopeGroup>,
    pub steps: Vec<StepForm>,
    pub roles: Vec<String>,
    pub teams: Vec<SelectOption>,
    /// Active people, for named approvers and backups.
    pub people: Vec<SelectOption>,
    /// Fields: `name`, `scope`, `steps`, `step{i}.name`, `step{i}.kind`, `step{i}.required`,
    /// `step{i}.people`, `step{i}.backup`, `step{i}.deadline_hours`; empty for the whole form.
    pub errors: FormErrors,
    pub max_steps: usize,
}

impl WorkflowFormView {
    fn action(&self) -> String {
        match &self.editing {
            Some(id) => format!("/settings/workflows/{id}"),
            None => "/settings/workflows".to_owned(),
        }
    }

    fn err(&self, i: &usize, field: &str) -> Option<&str> {
        self.errors.get(format!("step{i}.{field}"))
    }

    fn has_err(&self, i: &usize, field: &str) -> bool {
        self.err(i, field).is_some()
    }

    fn can_add(&self) -> bool {
        self.steps.len() < self.max_steps
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, page, render};
    use super::super::{FieldError, Section};
    use super::*;
    use crate::i18n::{Lang, tr};

    fn summary() -> WorkflowSummary {
        WorkflowSummary {
            id: "wf1".into(),
            name: "Brand review".into(),
            steps: vec![
                StepSummary {
                    name: "Editor".into(),
                    approvers: "Publisher (role)".into(),
                    required: 1,
                    deadline_hours: 24,
                    backup: "Maria Ivanova".into(),
                },
                StepSummary {
                    name: "Client".into(),
                    approvers: "External reviewers".into(),
                    required: 1,
                    deadline_hours: 0,
                    backup: String::new(),
                },
            ],
            updated_at: at(20, 10, 0),
        }
    }

    #[test]
    fn overview_shows_what_covers_each_channel() {
        for lang in Lang::ALL {
            let html = render(
                "settings_workflows",
                &WorkflowsView {
                    page: page(lang, Section::Settings),
                    workspaces: vec![WorkspaceWorkflows {
                        id: "w1".into(),
                        name: "Brand EU".into(),
                        workspace_wide: Some(summary()),
                        channels: vec![
                            ChannelCover {
                                id: "c1".into(),
                                network: "x".into(),
                                name: "Acme on X".into(),
                                handle: "acme".into(),
                                own: None,
                            },
                            ChannelCover {
                                id: "c2".into(),
                                network: "sandbox".into(),
                                name: "Acme Sandbox".into(),
                                handle: "acme_sb".into(),
                                own: Some(WorkflowSummary {
                                    id: "wf2".into(),
                                    ..summary()
                                }),
                            },
                        ],
                    }],
                    saved_id: String::new(),
                },
                lang,
            );
            assert!(html.contains("href=\"/settings/workflows/wf1\""));
            assert!(html.contains("action=\"/settings/workflows/wf2/delete\""));
            assert!(!html.contains("/settings/workflows/new?scope=workspace:w1"));
            assert!(html.contains("/settings/workflows/new?scope=channel:c1"));
            assert!(html.contains(tr(lang, "wf-inherits").split('\'').next().unwrap()));
        }
    }

    #[test]
    fn form_has_a_fieldset_per_step_and_errors_by_field() {
        for lang in Lang::ALL {
            let html = render(
                "settings_workflow_form",
                &WorkflowFormView {
                    page: page(lang, Section::Settings),
                    editing: Some("wf1".into()),
                    name: "Brand review".into(),
                    scope: "channel:c1".into(),
                    scope_groups: vec![ScopeGroup {
                        name: "Brand EU".into(),
                        workspace_value: "workspace:w1".into(),
                        channels: vec![SelectOption::new("channel:c1", "Acme (@acme)", false)],
                    }],
                    steps: vec![
                        StepForm {
                            name: "Legal".into(),
                            kind: "people".into(),
                            people: vec!["u2".into()],
                            required: "2".into(),
                            ..StepForm::default()
                        },
                        StepForm::default(),
                    ],
                    roles: super::super::ROLE_CODES
                        .iter()
                        .map(|r| (*r).to_owned())
                        .collect(),
                    teams: vec![SelectOption::new("t1", "Legal", false)],
                    people: vec![
                        SelectOption::new("u1", "Maria Ivanova", false),
                        SelectOption::new("u2", "Georgi Petrov", false),
                    ],
                    errors: vec![FieldError::new("step0.required", "Too many")].into(),
                    max_steps: 10,
                },
                lang,
            );
            assert!(html.contains("action=\"/settings/workflows/wf1\""));
            assert!(html.contains("<option value=\"channel:c1\" selected>"));
            assert!(html.contains("name=\"step0.people\" value=\"u2\" checked"));
            assert!(html.contains("id=\"wf-step0-required-error\""));
            assert!(html.contains("name=\"op\" value=\"up:1\""));
            assert!(html.contains("name=\"op\" value=\"add\""));
            assert!(html.contains("name=\"step_count\" value=\"2\""));
        }
    }
}
