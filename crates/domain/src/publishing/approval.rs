//! Approval workflows: ordered steps, each needing a number of approvals from a role, a team, named
//! people or an external reviewer (through a single-purpose link).
//!
//! The state of a review is never stored: [`evaluate`] derives it from the workflow and the
//! decisions of the current round, so the stored decisions are the one source of truth and a
//! changed deadline or a late decision can never leave a stale "status" behind. Editing the content
//! starts a new round (the caller's job), which sends an approved post back for approval.
//!
//! Rules, in one place:
//! - Decisions are replayed in time order. Approvals count once per distinct reviewer and only for
//!   the step that is current at that moment; a step completes with its `required`-th approval,
//!   and the next step becomes current at that instant (its `since`).
//! - "Request changes" or "reject" on the current step ends the round at once.
//! - A step waiting longer than its deadline is *escalated*: its backup may then decide too.
//! - Authors never decide on their own post (segregation of duties), whatever their roles.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{InvalidInput, Role, TeamId, UserId};

pub const MAX_STEPS: usize = 10;
pub const MAX_STEP_NAME_CHARS: usize = 80;
pub const MAX_REQUIRED: u32 = 20;
/// 30 days: a review that waits longer than that needs a different process, not a timer.
pub const MAX_DEADLINE_HOURS: u32 = 720;
pub const MAX_REASON_CHARS: usize = 2_000;
pub const MAX_EXTERNAL_LABEL_CHARS: usize = 100;

/// Who may approve a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Approvers {
    /// Anyone holding this role where the post is published (a role granted at the organisation,
    /// the workspace or the channel).
    Role {
        role: Role,
    },
    Team {
        team_id: TeamId,
    },
    People {
        user_ids: Vec<UserId>,
    },
    /// People outside the organisation (a client, legal), each through an expiring link made for
    /// this step.
    External,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub approvers: Approvers,
    /// Approvals from distinct reviewers needed to complete the step.
    pub required: u32,
    /// Who may decide instead once the step is past its deadline.
    #[serde(default)]
    pub backup: Option<UserId>,
    #[serde(default)]
    pub deadline_hours: Option<u32>,
}

/// An approval workflow, configured per workspace or channel. Stored as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    pub steps: Vec<Step>,
}

impl Workflow {
    /// Whether the configuration can work: 1–10 steps, each named (1–80 characters), needing 1–20
    /// approvals, no more than the people it names, and a deadline (if any) of 1–720 hours.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.steps.is_empty() {
            return Err(InvalidInput::new(
                "steps",
                "required",
                "An approval workflow needs at least one step.",
            ));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(InvalidInput::new(
                "steps",
                "too_many",
                format!(
                    "An approval workflow has at most {MAX_STEPS} steps; this one has {}.",
                    self.steps.len()
                ),
            ));
        }
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            let name = step.name.trim();
            if name.is_empty() {
                return Err(InvalidInput::new(
                    "steps.name",
                    "required",
                    format!("Step {n} needs a name."),
                ));
            }
            let chars = name.chars().count();
            if chars > MAX_STEP_NAME_CHARS {
                return Err(InvalidInput::new(
                    "steps.name",
                    "too_long",
                    format!(
                        "Step {n}'s name is {chars} characters; {MAX_STEP_NAME_CHARS} at most."
                    ),
                ));
            }
            if name.chars().any(char::is_control) {
                return Err(InvalidInput::new(
                    "steps.name",
                    "invalid",
                    format!("Step {n}'s name cannot contain control characters."),
                ));
            }
            if !(1..=MAX_REQUIRED).contains(&step.required) {
                return Err(InvalidInput::new(
                    "steps.required",
                    "out_of_range",
                    format!(
                        "Step {n} (\"{name}\") needs between 1 and {MAX_REQUIRED} approvals, not {}.",
                        step.required
                    ),
                ));
            }
            if let Approvers::People { user_ids } = &step.approvers {
                let distinct: BTreeSet<&UserId> = user_ids.iter().collect();
                if distinct.is_empty() {
                    return Err(InvalidInput::new(
                        "steps.approvers",
                        "required",
                        format!("Step {n} (\"{name}\") names no one; choose at least one person."),
                    ));
                }
                if step.required as usize > distinct.len() {
                    return Err(InvalidInput::new(
                        "steps.required",
                        "more_than_people",
                        format!(
                            "Step {n} (\"{name}\") needs {} approvals but names only {} people.",
                            step.required,
                            distinct.len()
                        ),
                    ));
                }
            }
            if let Some(hours) = step.deadline_hours
                && !(1..=MAX_DEADLINE_HOURS).contains(&hours)
            {
                return Err(InvalidInput::new(
                    "steps.deadline_hours",
                    "out_of_range",
                    format!(
                        "Step {n} (\"{name}\") has a deadline of {hours} hours; use 1 to {MAX_DEADLINE_HOURS} hours (30 days)."
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    RequestChanges,
    Reject,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Approve, Verdict::RequestChanges, Verdict::Reject];

    pub const fn code(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "request_changes",
            Verdict::Reject => "reject",
        }
    }

    pub fn parse(code: &str) -> Option<Verdict> {
        let code = code.trim();
        Verdict::ALL.into_iter().find(|v| v.code() == code)
    }

    /// Request changes and reject must say why, so the author knows what to do.
    pub fn needs_reason(self) -> bool {
        !matches!(self, Verdict::Approve)
    }
}

/// Who decided: a person of the organisation, or an external reviewer through a link.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reviewer {
    User { user_id: UserId },
    External { label: String },
}

impl Reviewer {
    /// External reviewers are told apart by their label, compared without surrounding blanks or case,
    /// so "Legal" and "legal " are one reviewer.
    fn identity(&self) -> Reviewer {
        match self {
            Reviewer::User { user_id } => Reviewer::User { user_id: *user_id },
            Reviewer::External { label } => Reviewer::External {
                label: label.trim().to_lowercase(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The step (0-based) the decision was made on.
    pub step: u32,
    pub reviewer: Reviewer,
    pub verdict: Verdict,
    #[serde(default)]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Where a review round stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Progress {
    Approved,
    Pending {
        step: u32,
        step_name: String,
        approvals: u32,
        required: u32,
        /// When this step became current.
        since: DateTime<Utc>,
        due: Option<DateTime<Utc>>,
        /// The deadline has passed: the step's backup may decide, and the author is told.
        escalated: bool,
    },
    ChangesRequested {
        step: u32,
        by: Reviewer,
        reason: String,
        at: DateTime<Utc>,
    },
    Rejected {
        step: u32,
        by: Reviewer,
        reason: String,
        at: DateTime<Utc>,
    },
}

impl Progress {
    pub fn code(&self) -> &'static str {
        match self {
            Progress::Approved => "approved",
            Progress::Pending { .. } => "pending",
            Progress::ChangesRequested { .. } => "changes_requested",
            Progress::Rejected { .. } => "rejected",
        }
    }
}

fn pending(
    workflow: &Workflow,
    index: usize,
    approvals: usize,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Progress {
    let Some(step) = workflow.steps.get(index) else {
        return Progress::Approved;
    };
    let due = step
        .deadline_hours
        .and_then(|h| since.checked_add_signed(Duration::hours(i64::from(h))));
    Progress::Pending {
        step: index as u32,
        step_name: step.name.clone(),
        approvals: approvals as u32,
        required: step.required,
        since,
        due,
        escalated: due.is_some_and(|d| d <= now),
    }
}

/// Where the current review round stands at `now`.
///
/// `decisions` are those of the current round (the caller starts a new round when the content is
/// edited). A workflow without steps approves at once. Decisions on a step that is not current when
/// they are made (stale or premature) are ignored, as are decisions after `now`.
pub fn evaluate(
    workflow: &Workflow,
    round_started: DateTime<Utc>,
    decisions: &[Decision],
    now: DateTime<Utc>,
) -> Progress {
    let mut ordered: Vec<&Decision> = decisions.iter().filter(|d| d.at <= now).collect();
    // Stable: decisions at the same instant keep the order they were recorded in.
    ordered.sort_by_key(|d| d.at);

    let mut current = 0usize;
    let mut since = round_started;
    let mut approvers: BTreeSet<Reviewer> = BTreeSet::new();
    if workflow.steps.is_empty() {
        return Progress::Approved;
    }
    for d in ordered {
        if d.step as usize != current {
            continue;
        }
        let Some(step) = workflow.steps.get(current) else {
            break;
        };
        match d.verdict {
            Verdict::Approve => {
                approvers.insert(d.reviewer.identity());
                if approvers.len() >= step.required.max(1) as usize {
                    current += 1;
                    since = d.at;
                    approvers.clear();
                    if current >= workflow.steps.len() {
                        return Progress::Approved;
                    }
                }
            }
            Verdict::RequestChanges => {
                return Progress::ChangesRequested {
                    step: d.step,
                    by: d.reviewer.clone(),
                    reason: d.reason.clone().unwrap_or_default(),
                    at: d.at,
                };
            }
            Verdict::Reject => {
                return Progress::Rejected {
                    step: d.step,
                    by: d.reviewer.clone(),
                    reason: d.reason.clone().unwrap_or_default(),
                    at: d.at,
                };
            }
        }
    }
    pending(workflow, current, approvers.len(), since, now)
}

/// The step that is past its deadline now, and when it fell due: the caller escalates to the
/// step's backup and tells the author. `None` while nothing is overdue.
pub fn escalations_due(
    workflow: &Workflow,
    round_started: DateTime<Utc>,
    decisions: &[Decision],
    now: DateTime<Utc>,
) -> Option<(u32, DateTime<Utc>)> {
    match evaluate(workflow, round_started, decisions, now) {
        Progress::Pending {
            step,
            due: Some(due),
            escalated: true,
            ..
        } => Some((step, due)),
        _ => None,
    }
}

/// A person of the organisation who wants to decide, with what they hold where the post goes.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub user_id: UserId,
    /// Roles covering the post's channel (see [`crate::Access::roles_at`]).
    pub roles_here: &'a [Role],
    pub teams: &'a [TeamId],
}

/// Whether a person may decide on this step.
///
/// Roles match exactly: an Owner or Admin is not an approver unless the workflow says so (name the
/// role or the people), so that who signs off is what was configured. The backup is a stand-in, not
/// an extra approver: before the deadline they decide only if they qualify on their own; once the
/// step is escalated they may decide too. External steps are decided through links, never by a
/// signed-in person, except their backup once escalated. Whether the candidate wrote the post is
/// [`check_decision`]'s concern.
pub fn may_decide(step: &Step, candidate: &Candidate, escalated: bool) -> bool {
    let qualifies = match &step.approvers {
        Approvers::Role { role } => candidate.roles_here.contains(role),
        Approvers::Team { team_id } => candidate.teams.contains(team_id),
        Approvers::People { user_ids } => user_ids.contains(&candidate.user_id),
        Approvers::External => false,
    };
    qualifies || (escalated && step.backup == Some(candidate.user_id))
}

/// Why a decision is refused. Messages are for the person who tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("This post is not waiting for approval.")]
    NotPending,
    #[error("You are not one of the approvers of the step \"{step_name}\".")]
    NotYourStep { step_name: String },
    #[error("This link was made for another approval step; ask for a new link.")]
    LinkForAnotherStep,
    #[error("You have already approved the step \"{step_name}\".")]
    AlreadyDecided { step_name: String },
    #[error("Say why, so the author knows what to change.")]
    ReasonRequired,
    #[error("The reason is {chars} characters; {max} at most.")]
    ReasonTooLong { chars: usize, max: usize },
    #[error("The reviewer's name is missing or longer than {max} characters.")]
    InvalidExternalLabel { max: usize },
    #[error("You wrote this post, so someone else must review it.")]
    OwnPost,
}

impl DecisionError {
    pub fn code(&self) -> &'static str {
        match self {
            DecisionError::NotPending => "not_pending",
            DecisionError::NotYourStep { .. } => "not_your_step",
            DecisionError::LinkForAnotherStep => "link_for_another_step",
            DecisionError::AlreadyDecided { .. } => "already_decided",
            DecisionError::ReasonRequired => "reason_required",
            DecisionError::ReasonTooLong { .. } => "reason_too_long",
            DecisionError::InvalidExternalLabel { .. } => "invalid_external_label",
            DecisionError::OwnPost => "own_post",
        }
    }
}

/// Whether `reviewer` may give `verdict` on the current step now. The decision, if allowed, is
/// recorded by the caller on the step of `progress`.
///
/// `candidate` describes the signed-in person (required for [`Reviewer::User`], and it must be the
/// same user); external reviewers pass `None` and may decide only on a step whose approvers are
/// [`Approvers::External`]. That the link was made for *this* step is checked with
/// [`check_external_link`].
#[allow(clippy::too_many_arguments)]
pub fn check_decision(
    workflow: &Workflow,
    progress: &Progress,
    reviewer: &Reviewer,
    candidate: Option<&Candidate>,
    author: UserId,
    verdict: Verdict,
    reason: Option<&str>,
    decisions: &[Decision],
) -> Result<(), DecisionError> {
    let Progress::Pending {
        step: step_index,
        escalated,
        ..
    } = progress
    else {
        return Err(DecisionError::NotPending);
    };
    let Some(step) = workflow.steps.get(*step_index as usize) else {
        return Err(DecisionError::NotPending);
    };
    let not_yours = || DecisionError::NotYourStep {
        step_name: step.name.clone(),
    };
    match reviewer {
        Reviewer::User { user_id } => {
            if *user_id == author {
                return Err(DecisionError::OwnPost);
            }
            let Some(candidate) = candidate.filter(|c| c.user_id == *user_id) else {
                return Err(not_yours());
            };
            if !may_decide(step, candidate, *escalated) {
                return Err(not_yours());
            }
        }
        Reviewer::External { label } => {
            let chars = label.trim().chars().count();
            if chars == 0 || chars > MAX_EXTERNAL_LABEL_CHARS {
                return Err(DecisionError::InvalidExternalLabel {
                    max: MAX_EXTERNAL_LABEL_CHARS,
                });
            }
            if step.approvers != Approvers::External {
                return Err(not_yours());
            }
        }
    }
    let me = reviewer.identity();
    if decisions
        .iter()
        .any(|d| d.step == *step_index && d.reviewer.identity() == me)
    {
        return Err(DecisionError::AlreadyDecided {
            step_name: step.name.clone(),
        });
    }
    if verdict.needs_reason() {
        let reason = reason.map(str::trim).unwrap_or_default();
        if reason.is_empty() {
            return Err(DecisionError::ReasonRequired);
        }
        let chars = reason.chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(DecisionError::ReasonTooLong {
                chars,
                max: MAX_REASON_CHARS,
            });
        }
    } else if let Some(reason) = reason {
        let chars = reason.trim().chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(DecisionError::ReasonTooLong {
                chars,
                max: MAX_REASON_CHARS,
            });
        }
    }
    Ok(())
}

/// An external review link is single-purpose: it decides only the step it was made for, and only
/// while that step is current.
pub fn check_external_link(link_step: u32, progress: &Progress) -> Result<(), DecisionError> {
    match progress {
        Progress::Pending { step, .. } if *step == link_step => Ok(()),
        Progress::Pending { .. } => Err(DecisionError::LinkForAnotherStep),
        _ => Err(DecisionError::NotPending),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::hours(h)
    }

    fn step(name: &str, approvers: Approvers, required: u32) -> Step {
        Step {
            name: name.into(),
            approvers,
            required,
            backup: None,
            deadline_hours: None,
        }
    }

    fn user(id: UserId) -> Reviewer {
        Reviewer::User { user_id: id }
    }

    fn approve(step: u32, who: Reviewer, at: DateTime<Utc>) -> Decision {
        Decision {
            step,
            reviewer: who,
            verdict: Verdict::Approve,
            reason: None,
            at,
        }
    }

    fn two_steps() -> Workflow {
        Workflow {
            steps: vec![
                Step {
                    deadline_hours: Some(24),
                    backup: Some(UserId::new()),
                    ..step(
                        "Editor",
                        Approvers::Role {
                            role: Role::Approver,
                        },
                        2,
                    )
                },
                step("Client", Approvers::External, 1),
            ],
        }
    }

    #[test]
    fn validation_says_what_is_wrong() {
        assert!(two_steps().validate().is_ok());
        let err = Workflow::default().validate().unwrap_err();
        assert_eq!(err.code, "required");
        let mut w = two_steps();
        w.steps[0].required = 0;
        assert_eq!(w.validate().unwrap_err().code, "out_of_range");
        w.steps[0].required = 21;
        assert!(w.validate().unwrap_err().message.contains("21"));
        let mut w = two_steps();
        w.steps[1].approvers = Approvers::People {
            user_ids: vec![UserId::new()],
        };
        w.steps[1].required = 2;
        let err = w.validate().unwrap_err();
        assert_eq!(err.code, "more_than_people");
        assert!(err.message.contains("needs 2 approvals but names only 1"));
        w.steps[1].approvers = Approvers::People { user_ids: vec![] };
        assert_eq!(w.validate().unwrap_err().code, "required");
        let mut w = two_steps();
        w.steps[0].deadline_hours = Some(721);
        assert_eq!(w.validate().unwrap_err().field, "steps.deadline_hours");
        w.steps[0].deadline_hours = Some(0);
        assert!(w.validate().is_err());
        let mut w = two_steps();
        w.steps[0].name = " ".into();
        assert!(w.validate().is_err());
        w.steps[0].name = "é".repeat(81);
        assert_eq!(w.validate().unwrap_err().code, "too_long");
        w.steps[0].name = "é".repeat(80);
        assert!(w.validate().is_ok());
        let w = Workflow {
            steps: vec![step("x", Approvers::External, 1); 11],
        };
        assert_eq!(w.validate().unwrap_err().code, "too_many");
    }

    #[test]
    fn serde_shapes_are_stable() {
        let w = two_steps();
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(json["steps"][0]["approvers"]["kind"], "role");
        assert_eq!(json["steps"][0]["approvers"]["role"], "approver");
        assert_eq!(json["steps"][1]["approvers"]["kind"], "external");
        let back: Workflow = serde_json::from_value(json).unwrap();
        assert_eq!(back, w);
        let r = serde_json::to_value(Reviewer::External {
            label: "Legal".into(),
        })
        .unwrap();
        assert_eq!(r, serde_json::json!({"kind": "external", "label": "Legal"}));
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.code()), Some(v));
        }
        assert_eq!(
            serde_json::to_value(Verdict::RequestChanges).unwrap(),
            "request_changes"
        );
        assert_eq!(Verdict::parse("maybe"), None);
    }

    #[test]
    fn steps_complete_in_order_with_distinct_reviewers() {
        let w = two_steps();
        let (a, b) = (UserId::new(), UserId::new());
        let p = evaluate(&w, t(0), &[], t(1));
        assert_eq!(
            p,
            Progress::Pending {
                step: 0,
                step_name: "Editor".into(),
                approvals: 0,
                required: 2,
                since: t(0),
                due: Some(t(24)),
                escalated: false
            }
        );
        // The same person approving twice counts once.
        let ds = vec![approve(0, user(a), t(1)), approve(0, user(a), t(2))];
        assert!(matches!(
            evaluate(&w, t(0), &ds, t(3)),
            Progress::Pending {
                step: 0,
                approvals: 1,
                ..
            }
        ));
        // An approval for a later step before it is current is ignored.
        let ds = vec![
            approve(1, Reviewer::External { label: "C".into() }, t(1)),
            approve(0, user(a), t(2)),
            approve(0, user(b), t(3)),
        ];
        let p = evaluate(&w, t(0), &ds, t(4));
        assert_eq!(
            p,
            Progress::Pending {
                step: 1,
                step_name: "Client".into(),
                approvals: 0,
                required: 1,
                since: t(3),
                due: None,
                escalated: false
            }
        );
        let mut ds = ds;
        ds.push(approve(
            1,
            Reviewer::External {
                label: "Client".into(),
            },
            t(5),
        ));
        assert_eq!(evaluate(&w, t(0), &ds, t(6)), Progress::Approved);
        // Decisions are replayed in time order whatever order they are passed in.
        ds.reverse();
        assert_eq!(evaluate(&w, t(0), &ds, t(6)), Progress::Approved);
        // ... and the future is not counted.
        assert!(matches!(
            evaluate(&w, t(0), &ds, t(4)),
            Progress::Pending { step: 1, .. }
        ));
    }

    #[test]
    fn request_changes_and_reject_end_the_round() {
        let w = two_steps();
        let a = UserId::new();
        let ds = vec![Decision {
            step: 0,
            reviewer: user(a),
            verdict: Verdict::RequestChanges,
            reason: Some("Fix the date".into()),
            at: t(2),
        }];
        assert_eq!(
            evaluate(&w, t(0), &ds, t(3)),
            Progress::ChangesRequested {
                step: 0,
                by: user(a),
                reason: "Fix the date".into(),
                at: t(2)
            }
        );
        let mut ds = ds;
        ds[0].verdict = Verdict::Reject;
        assert!(matches!(
            evaluate(&w, t(0), &ds, t(3)),
            Progress::Rejected { step: 0, .. }
        ));
        assert_eq!(evaluate(&w, t(0), &ds, t(3)).code(), "rejected");
    }

    #[test]
    fn a_late_step_escalates_to_its_backup() {
        let w = two_steps();
        let backup = w.steps[0].backup.unwrap();
        assert_eq!(escalations_due(&w, t(0), &[], t(23)), None);
        assert_eq!(escalations_due(&w, t(0), &[], t(24)), Some((0, t(24))));
        let p = evaluate(&w, t(0), &[], t(25));
        assert!(matches!(
            p,
            Progress::Pending {
                escalated: true,
                ..
            }
        ));
        let candidate = Candidate {
            user_id: backup,
            roles_here: &[],
            teams: &[],
        };
        assert!(!may_decide(&w.steps[0], &candidate, false));
        assert!(may_decide(&w.steps[0], &candidate, true));
        let author = UserId::new();
        let before = evaluate(&w, t(0), &[], t(1));
        assert_eq!(
            check_decision(
                &w,
                &before,
                &user(backup),
                Some(&candidate),
                author,
                Verdict::Approve,
                None,
                &[]
            ),
            Err(DecisionError::NotYourStep {
                step_name: "Editor".into()
            })
        );
        assert_eq!(
            check_decision(
                &w,
                &p,
                &user(backup),
                Some(&candidate),
                author,
                Verdict::Approve,
                None,
                &[]
            ),
            Ok(())
        );
        // The deadline of the second step counts from when it became current.
        let w2 = Workflow {
            steps: vec![
                step("A", Approvers::External, 1),
                Step {
                    deadline_hours: Some(2),
                    ..step("B", Approvers::External, 1)
                },
            ],
        };
        let ds = vec![approve(0, Reviewer::External { label: "x".into() }, t(10))];
        assert_eq!(escalations_due(&w2, t(0), &ds, t(11)), None);
        assert_eq!(escalations_due(&w2, t(0), &ds, t(12)), Some((1, t(12))));
    }

    #[test]
    fn who_may_decide() {
        let team = TeamId::new();
        let me = UserId::new();
        let c = Candidate {
            user_id: me,
            roles_here: &[Role::Approver],
            teams: &[team],
        };
        let role = |r| step("s", Approvers::Role { role: r }, 1);
        assert!(may_decide(&role(Role::Approver), &c, false));
        assert!(!may_decide(&role(Role::Publisher), &c, false));
        assert!(may_decide(
            &step("s", Approvers::Team { team_id: team }, 1),
            &c,
            false
        ));
        assert!(!may_decide(
            &step(
                "s",
                Approvers::Team {
                    team_id: TeamId::new()
                },
                1
            ),
            &c,
            false
        ));
        assert!(may_decide(
            &step("s", Approvers::People { user_ids: vec![me] }, 1),
            &c,
            false
        ));
        assert!(!may_decide(&step("s", Approvers::External, 1), &c, true));
    }

    #[test]
    fn decisions_are_checked() {
        let w = two_steps();
        let (author, a) = (UserId::new(), UserId::new());
        let roles = [Role::Approver];
        let ca = Candidate {
            user_id: a,
            roles_here: &roles,
            teams: &[],
        };
        let cauthor = Candidate {
            user_id: author,
            roles_here: &roles,
            teams: &[],
        };
        let p = evaluate(&w, t(0), &[], t(1));
        let check = |who: &Reviewer, c: Option<&Candidate>, v, reason, ds: &[Decision]| {
            check_decision(&w, &p, who, c, author, v, reason, ds)
        };
        assert_eq!(
            check(&user(a), Some(&ca), Verdict::Approve, None, &[]),
            Ok(())
        );
        assert_eq!(
            check(&user(author), Some(&cauthor), Verdict::Approve, None, &[]),
            Err(DecisionError::OwnPost)
        );
        // A candidate that is someone else does not vouch for the reviewer.
        assert_eq!(
            check(&user(UserId::new()), Some(&ca), Verdict::Approve, None, &[])
                .unwrap_err()
                .code(),
            "not_your_step"
        );
        assert_eq!(
            check(&user(a), Some(&ca), Verdict::Reject, Some("  "), &[]),
            Err(DecisionError::ReasonRequired)
        );
        assert_eq!(
            check(&user(a), Some(&ca), Verdict::RequestChanges, None, &[]),
            Err(DecisionError::ReasonRequired)
        );
        let long = "x".repeat(2001);
        let err = check(&user(a), Some(&ca), Verdict::Reject, Some(&long), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The reason is 2001 characters; 2000 at most."
        );
        assert_eq!(
            check(&user(a), Some(&ca), Verdict::Reject, Some("Off-brand"), &[]),
            Ok(())
        );
        let ds = vec![approve(0, user(a), t(1))];
        assert_eq!(
            check(&user(a), Some(&ca), Verdict::Approve, None, &ds)
                .unwrap_err()
                .code(),
            "already_decided"
        );
        // External reviewers only on external steps.
        let ext = Reviewer::External {
            label: "Legal".into(),
        };
        assert_eq!(
            check(&ext, None, Verdict::Approve, None, &[])
                .unwrap_err()
                .code(),
            "not_your_step"
        );
        let ds = vec![
            approve(0, user(a), t(1)),
            approve(0, user(UserId::new()), t(2)),
        ];
        let p2 = evaluate(&w, t(0), &ds, t(3));
        assert_eq!(
            check_decision(&w, &p2, &ext, None, author, Verdict::Approve, None, &ds),
            Ok(())
        );
        assert_eq!(check_external_link(1, &p2), Ok(()));
        assert_eq!(
            check_external_link(0, &p2),
            Err(DecisionError::LinkForAnotherStep)
        );
        // A finished round takes no more decisions.
        let done = Progress::Approved;
        assert_eq!(
            check_decision(&w, &done, &ext, None, author, Verdict::Approve, None, &[]),
            Err(DecisionError::NotPending)
        );
        assert_eq!(
            check_external_link(1, &done),
            Err(DecisionError::NotPending)
        );
    }
}
