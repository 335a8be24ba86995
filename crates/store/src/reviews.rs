//! Approval workflows (per workspace or channel), reviews of posts, decisions, external reviewer
//! links and deadline escalation. The rules are `owlery_domain::publishing::approval`; this module
//! keeps them and applies their outcome to the variants in the same transaction.

use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    ChannelId, PostId, Role, TeamId, UserId, WorkflowId, WorkspaceId,
    audit::Actor,
    post::{self, VariantStatus},
    publishing::approval::{
        self, Candidate, Decision, DecisionError, Progress, Reviewer, Verdict, Workflow,
    },
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    notifications::NewNotification,
    posts::{enqueue_publish, json, lock_post, parse_status, to_json},
};

/// The periodic job that escalates reviews past their deadline.
pub const ESCALATION_JOB: &str = "reviews.escalate";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkflowRecord {
    pub id: WorkflowId,
    pub workspace_id: WorkspaceId,
    /// `None`: the whole workspace; a channel's own workflow wins over its workspace's.
    pub channel_id: Option<ChannelId>,
    pub name: String,
    pub workflow: Workflow,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Review {
    pub id: Uuid,
    pub post_id: PostId,
    pub workflow_id: WorkflowId,
    pub workflow: Workflow,
    pub round: i64,
    pub round_started_at: DateTime<Utc>,
    /// Decisions of the current round, oldest first.
    pub decisions: Vec<Decision>,
}

impl Review {
    pub fn progress(&self, now: DateTime<Utc>) -> Progress {
        approval::evaluate(&self.workflow, self.round_started_at, &self.decisions, now)
    }
}

/// A link for a reviewer without an account, as found by its secret.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReviewLink {
    pub id: Uuid,
    pub review_id: Uuid,
    pub step: u32,
    pub label: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Who is deciding, and what the caller knows of them.
#[derive(Debug, Clone)]
pub enum Decider {
    User {
        user_id: UserId,
        roles_here: Vec<Role>,
        teams: Vec<TeamId>,
    },
    /// Through a link; the link is used up by the decision.
    Link { secret: String },
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Rule(#[from] DecisionError),
    #[error("This review link has expired or was already used.")]
    LinkInvalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DecideError {
    fn from(e: sqlx::Error) -> Self {
        DecideError::Store(StoreError::Database(e))
    }
}

type WorkflowRow = (Uuid, Uuid, Option<Uuid>, String, String, DateTime<Utc>);

fn into_workflow(r: WorkflowRow) -> Result<WorkflowRecord> {
    Ok(WorkflowRecord {
        id: WorkflowId(r.0),
        workspace_id: WorkspaceId(r.1),
        channel_id: r.2.map(ChannelId),
        name: r.3,
        workflow: json("workflow", &r.4)?,
        updated_at: r.5,
    })
}

type DecisionRow = (i64, String, String, Option<String>, DateTime<Utc>);
type LinkRow = (
    Uuid,
    Uuid,
    i64,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn into_decision(r: DecisionRow) -> Result<Decision> {
    Ok(Decision {
        step: u32::try_from(r.0).map_err(|_| StoreError::Corrupt("decision step".into()))?,
        reviewer: json("reviewer", &r.1)?,
        verdict: Verdict::parse(&r.2)
            .ok_or_else(|| StoreError::Corrupt(format!("verdict '{}'", r.2)))?,
        reason: r.3,
        at: r.4,
    })
}

/// Apply a review's progress to its variants and tell the author, inside the transaction.
macro_rules! apply_progress {
    ($tx:ident, $review_id:expr, $post:expr, $progress:expr, $now:expr) => {{
        let progress: &Progress = $progress;
        let post_id: PostId = $post;
        sqlx::query("UPDATE reviews SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(progress.code())
            .bind($now)
            .bind($review_id)
            .execute(&mut *$tx)
            .await?;
        let variants: Vec<(Uuid, String, Option<DateTime<Utc>>, bool)> = sqlx::query_as(
            "SELECT id, status, scheduled_at, has_errors FROM variants WHERE review_id = $1",
        )
        .bind($review_id)
        .fetch_all(&mut *$tx)
        .await?;
        let campaign: Option<(Option<Uuid>,)> =
            sqlx::query_as("SELECT campaign_id FROM posts WHERE id = $1")
                .bind(post_id.0)
                .fetch_optional(&mut *$tx)
                .await?;
        let campaign = campaign.and_then(|(c,)| c).map(owlery_domain::CampaignId);
        let held = in_held_campaign!($tx, campaign);
        for (vid, status, at, has_errors) in variants {
            let status = parse_status(&status)?;
            if !status.is_editable() {
                continue;
            }
            let next = match progress {
                Progress::Approved => {
                    match post::gate(status, post::ApprovalNeed::Approved, has_errors) {
                        Ok(()) => post::ready_status(at.is_some()),
                        Err(_) => VariantStatus::Draft,
                    }
                }
                Progress::Pending { .. } => VariantStatus::InReview,
                Progress::ChangesRequested { .. } => VariantStatus::ChangesRequested,
                Progress::Rejected { .. } => VariantStatus::Rejected,
            };
            if next == status {
                continue;
            }
            sqlx::query("UPDATE variants SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(next.code())
                .bind($now)
                .bind(vid)
                .execute(&mut *$tx)
                .await?;
            if next == VariantStatus::Scheduled && !held {
                if let Some(at) = at {
                    enqueue_publish!($tx, owlery_domain::VariantId(vid), at, $now);
                }
            }
        }
    }};
}

/// Tell the approvers of step `$step` of review `$review_id` that a post waits for them (in the app
/// and by e-mail), inside the transaction. Approvers are: for a role, active people holding it at
/// the organisation, the post's workspace or one of the review's channels; for a team, its active
/// members; named people. Never the author; external steps get links instead.
macro_rules! notify_step_approvers {
    ($tx:ident, $review_id:expr, $step:expr, $now:expr) => {{
        let review_id: uuid::Uuid = $review_id;
        let step_index: u32 = $step;
        let row: Option<(String, uuid::Uuid, uuid::Uuid, uuid::Uuid, String)> = sqlx::query_as(
            "SELECT r.definition, p.id, p.workspace_id, p.author_id, p.title \
             FROM reviews r JOIN posts p ON p.id = r.post_id WHERE r.id = $1",
        )
        .bind(review_id)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some((definition, post_id, workspace, author, title)) = row {
            let workflow: owlery_domain::publishing::approval::Workflow =
                $crate::posts::json("review workflow", &definition)?;
            if let Some(step) = workflow.steps.get(step_index as usize) {
                use owlery_domain::publishing::approval::Approvers;
                let mut users: Vec<uuid::Uuid> = match &step.approvers {
                    Approvers::Role { role } => {
                        let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(
                            "SELECT DISTINCT g.user_id FROM grants g JOIN users u ON u.id = g.user_id \
                             WHERE u.status = 'active' AND g.role = $1 AND (g.scope_kind = 'organisation' \
                             OR (g.scope_kind = 'workspace' AND g.scope_id = $2) \
                             OR (g.scope_kind = 'channel' AND g.scope_id IN \
                                 (SELECT channel_id FROM variants WHERE review_id = $3)))",
                        )
                        .bind(role.code())
                        .bind(workspace)
                        .bind(review_id)
                        .fetch_all(&mut *$tx)
                        .await?;
                        rows.into_iter().map(|(u,)| u).collect()
                    }
                    Approvers::Team { team_id } => {
                        let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(
                            "SELECT m.user_id FROM team_members m JOIN users u ON u.id = m.user_id \
                             WHERE m.team_id = $1 AND u.status = 'active'",
                        )
                        .bind(team_id.0)
                        .fetch_all(&mut *$tx)
                        .await?;
                        rows.into_iter().map(|(u,)| u).collect()
                    }
                    Approvers::People { user_ids } => user_ids.iter().map(|u| u.0).collect(),
                    Approvers::External => Vec::new(),
                };
                users.sort();
                users.dedup();
                for user in users.into_iter().filter(|u| *u != author) {
                    let n = $crate::notifications::NewNotification {
                        user_id: owlery_domain::UserId(user),
                        kind: "review_requested".into(),
                        params: serde_json::json!({ "title": title, "step": step.name }),
                        link: Some(format!("/posts/{post_id}")),
                        email: true,
                    };
                    insert_notification!($tx, &n, $now);
                }
            }
        }
    }};
}
pub(crate) use notify_step_approvers;

impl Store {
    /// Create or replace the workflow of a workspace (channel `None`) or of one channel.
    pub async fn set_workflow(
        &self,
        actor: &Actor,
        workspace: WorkspaceId,
        channel: Option<ChannelId>,
        name: &str,
        workflow: &Workflow,
    ) -> Result<WorkflowRecord> {
        workflow.validate()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(owlery_domain::InvalidInput::new(
                "name",
                "invalid",
                "Give the workflow a name of at most 80 characters.",
            )
            .into());
        }
        let now = self.now();
        let definition = to_json(workflow)?;
        let id = with_tx!(self, |tx, pg| {
            if let Some(c) = channel {
                let ws: Option<(Uuid,)> =
                    sqlx::query_as("SELECT workspace_id FROM channels WHERE id = $1")
                        .bind(c.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                if ws.map(|(w,)| w) != Some(workspace.0) {
                    return Err(StoreError::NotFound("channel"));
                }
            }
            let existing: Option<(Uuid, String)> = sqlx::query_as(
                "SELECT id, definition FROM approval_workflows WHERE workspace_id = $1 AND archived_at IS NULL AND \
                 ((channel_id IS NULL AND $2 IS NULL) OR channel_id = $2)",
            )
            .bind(workspace.0)
            .bind(channel.map(|c| c.0))
            .fetch_optional(&mut *tx)
            .await?;
            let id = match &existing {
                Some((id, _)) => {
                    sqlx::query(
                        "UPDATE approval_workflows SET name = $1, definition = $2, updated_at = $3 WHERE id = $4",
                    )
                    .bind(name)
                    .bind(&definition)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    *id
                }
                None => {
                    let id = Uuid::now_v7();
                    sqlx::query(
                        "INSERT INTO approval_workflows (id, workspace_id, channel_id, name, definition, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    )
                    .bind(id)
                    .bind(workspace.0)
                    .bind(channel.map(|c| c.0))
                    .bind(name)
                    .bind(&definition)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    id
                }
            };
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "workflow.set",
                    "workflow",
                    Some(id.to_string()),
                    existing
                        .as_ref()
                        .and_then(|(_, d)| serde_json::from_str(d).ok()),
                    serde_json::to_value(workflow).ok()
                ),
                now
            );
            Ok(id)
        })?;
        self.workflow(WorkflowId(id))
            .await?
            .ok_or(StoreError::NotFound("workflow"))
    }

    pub async fn delete_workflow(&self, actor: &Actor, id: WorkflowId) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let used: Option<(Uuid,)> = sqlx::query_as(
                "SELECT id FROM reviews WHERE workflow_id = $1 AND state = 'pending' LIMIT 1",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            if used.is_some() {
                return Err(StoreError::Conflict {
                    field: "workflow",
                    message: "Posts are waiting in this workflow; decide them first.".into(),
                });
            }
            let n = sqlx::query(
                "UPDATE approval_workflows SET archived_at = $1, updated_at = $1 WHERE id = $2 AND archived_at IS NULL",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("workflow"));
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "workflow.delete",
                    "workflow",
                    Some(id.to_string()),
                    None,
                    None
                ),
                now
            );
            Ok(())
        })
    }

    pub async fn workflow(&self, id: WorkflowId) -> Result<Option<WorkflowRecord>> {
        let row: Option<WorkflowRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, workspace_id, channel_id, name, definition, updated_at FROM approval_workflows WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(into_workflow).transpose()
    }

    pub async fn workflows(&self, workspace: WorkspaceId) -> Result<Vec<WorkflowRecord>> {
        let rows: Vec<WorkflowRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, workspace_id, channel_id, name, definition, updated_at FROM approval_workflows \
                 WHERE workspace_id = $1 AND archived_at IS NULL ORDER BY channel_id IS NOT NULL, name",
            )
            .bind(workspace.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(into_workflow).collect()
    }

    pub async fn review(&self, id: Uuid) -> Result<Option<Review>> {
        type Row = (Uuid, Uuid, Uuid, String, i64, DateTime<Utc>);
        let row: Option<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, post_id, workflow_id, definition, round, round_started_at FROM reviews WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let Some((id, post_id, workflow_id, definition, round, started)) = row else {
            return Ok(None);
        };
        let decisions: Vec<DecisionRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT step, reviewer, verdict, reason, at FROM review_decisions \
                 WHERE review_id = $1 AND round = $2 ORDER BY at, id",
            )
            .bind(id)
            .bind(round)
            .fetch_all(pool)
            .await?
        });
        Ok(Some(Review {
            id,
            post_id: PostId(post_id),
            workflow_id: WorkflowId(workflow_id),
            workflow: json("review workflow", &definition)?,
            round,
            round_started_at: started,
            decisions: decisions
                .into_iter()
                .map(into_decision)
                .collect::<Result<_>>()?,
        }))
    }

    pub async fn reviews_of_post(&self, post: PostId) -> Result<Vec<Review>> {
        let ids: Vec<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT id FROM reviews WHERE post_id = $1 ORDER BY id")
                .bind(post.0)
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::new();
        for (id,) in ids {
            if let Some(r) = self.review(id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Pending reviews whose current step the given person may decide (for "waiting for me").
    pub async fn pending_reviews(&self) -> Result<Vec<Review>> {
        let ids: Vec<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT id FROM reviews WHERE state = 'pending' ORDER BY updated_at")
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::new();
        for (id,) in ids {
            if let Some(r) = self.review(id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Record a decision. The rules are checked against the review as it is inside this
    /// transaction (two approvers clicking at once cannot both be "the second approval").
    pub async fn decide(
        &self,
        actor: &Actor,
        review_id: Uuid,
        decider: Decider,
        verdict: Verdict,
        reason: Option<String>,
    ) -> Result<Progress, DecideError> {
        let now = self.now();
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        let out: Result<Result<Progress, DecideError>> = with_tx!(self, |tx, pg| {
            // Lock the post first (as every change to its variants does), then read the review:
            // on PostgreSQL two concurrent decisions would otherwise both see the other missing.
            let post_of: Option<(Uuid,)> =
                sqlx::query_as("SELECT post_id FROM reviews WHERE id = $1")
                    .bind(review_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((locked_post,)) = post_of else {
                return Err(StoreError::NotFound("review"));
            };
            lock_post!(tx, pg, locked_post);
            type Row = (Uuid, String, i64, DateTime<Utc>);
            let row: Option<Row> = sqlx::query_as(
                "SELECT post_id, definition, round, round_started_at FROM reviews WHERE id = $1",
            )
            .bind(review_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((post_id, definition, round, started)) = row else {
                return Err(StoreError::NotFound("review"));
            };
            let workflow: Workflow = json("review workflow", &definition)?;
            let rows: Vec<DecisionRow> = sqlx::query_as(
                "SELECT step, reviewer, verdict, reason, at FROM review_decisions \
                 WHERE review_id = $1 AND round = $2 ORDER BY at, id",
            )
            .bind(review_id)
            .bind(round)
            .fetch_all(&mut *tx)
            .await?;
            let mut decisions = rows
                .into_iter()
                .map(into_decision)
                .collect::<Result<Vec<_>>>()?;
            let (author, title): (Uuid, String) =
                sqlx::query_as("SELECT author_id, title FROM posts WHERE id = $1")
                    .bind(post_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let progress = approval::evaluate(&workflow, started, &decisions, now);
            let (reviewer, reviewer_id) = match &decider {
                Decider::User {
                    user_id,
                    roles_here,
                    teams,
                } => {
                    let reviewer = Reviewer::User { user_id: *user_id };
                    let candidate = Candidate {
                        user_id: *user_id,
                        roles_here,
                        teams,
                    };
                    if let Err(e) = approval::check_decision(
                        &workflow,
                        &progress,
                        &reviewer,
                        Some(&candidate),
                        UserId(author),
                        verdict,
                        reason.as_deref(),
                        &decisions,
                    ) {
                        return Ok(Err(e.into()));
                    }
                    (reviewer, Some(user_id.0))
                }
                Decider::Link { secret } => {
                    let hash = crate::sessions::hash_secret(secret);
                    let link: Option<LinkRow> = sqlx::query_as(
                        "SELECT id, review_id, step, label, expires_at, used_at FROM review_links WHERE token_hash = $1",
                    )
                    .bind(&hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((link_id, link_review, step, label, expires, used)) = link else {
                        return Ok(Err(DecideError::LinkInvalid));
                    };
                    if link_review != review_id || used.is_some() || expires <= now {
                        return Ok(Err(DecideError::LinkInvalid));
                    }
                    let step = u32::try_from(step).unwrap_or(u32::MAX);
                    if let Err(e) = approval::check_external_link(step, &progress) {
                        return Ok(Err(e.into()));
                    }
                    let reviewer = Reviewer::External { label };
                    if let Err(e) = approval::check_decision(
                        &workflow,
                        &progress,
                        &reviewer,
                        None,
                        UserId(author),
                        verdict,
                        reason.as_deref(),
                        &decisions,
                    ) {
                        return Ok(Err(e.into()));
                    }
                    let used = sqlx::query(
                        "UPDATE review_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                    )
                    .bind(now)
                    .bind(link_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if used == 0 {
                        // Used by a concurrent decision: single use means exactly once.
                        return Ok(Err(DecideError::LinkInvalid));
                    }
                    (reviewer, None)
                }
            };
            let step = match &progress {
                Progress::Pending { step, .. } => *step,
                _ => return Ok(Err(DecisionError::NotPending.into())),
            };
            sqlx::query(
                "INSERT INTO review_decisions (id, review_id, round, step, reviewer, reviewer_id, verdict, reason, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(Uuid::now_v7())
            .bind(review_id)
            .bind(round)
            .bind(i64::from(step))
            .bind(to_json(&reviewer)?)
            .bind(reviewer_id)
            .bind(verdict.code())
            .bind(&reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            decisions.push(Decision {
                step,
                reviewer: reviewer.clone(),
                verdict,
                reason: reason.clone(),
                at: now,
            });
            let after = approval::evaluate(&workflow, started, &decisions, now);
            apply_progress!(tx, review_id, PostId(post_id), &after, now);
            if let Progress::Pending { step: next, .. } = &after
                && *next != step
            {
                notify_step_approvers!(tx, review_id, *next, now);
            }
            if after.code() != progress.code()
                || matches!(after, Progress::Pending { step: s, .. } if s != step)
            {
                let n = NewNotification {
                    user_id: UserId(author),
                    kind: format!("review_{}", after.code()),
                    params: serde_json::json!({ "title": title, "reason": reason }),
                    link: Some(format!("/posts/{post_id}")),
                    email: true,
                };
                insert_notification!(tx, &n, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    &format!("review.{}", verdict.code()),
                    "post",
                    Some(post_id.to_string()),
                    Some(serde_json::json!({ "state": progress.code(), "step": step })),
                    Some(serde_json::json!({ "state": after.code(), "reviewer": reviewer, "reason": reason }))
                ),
                now
            );
            Ok(Ok(after))
        });
        out?
    }

    /// A single-purpose link for an outside reviewer of one step; returns the secret for the URL.
    pub async fn create_review_link(
        &self,
        actor: &Actor,
        by: UserId,
        review_id: Uuid,
        step: u32,
        label: &str,
        valid_for: Duration,
    ) -> Result<String> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > approval::MAX_EXTERNAL_LABEL_CHARS {
            return Err(owlery_domain::InvalidInput::new(
                "label",
                "invalid",
                format!(
                    "Name the reviewer (at most {} characters).",
                    approval::MAX_EXTERNAL_LABEL_CHARS
                ),
            )
            .into());
        }
        let review = self
            .review(review_id)
            .await?
            .ok_or(StoreError::NotFound("review"))?;
        match review.workflow.steps.get(step as usize) {
            Some(s) if s.approvers == approval::Approvers::External => {}
            Some(_) => {
                return Err(owlery_domain::InvalidInput::new(
                    "step",
                    "not_external",
                    "This step is for people of the organisation; links are for external steps.",
                )
                .into());
            }
            None => return Err(StoreError::NotFound("step")),
        }
        let secret = crate::sessions::new_secret();
        let hash = crate::sessions::hash_secret(&secret);
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO review_links (id, review_id, step, label, token_hash, created_by, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7())
            .bind(review_id)
            .bind(i64::from(step))
            .bind(label)
            .bind(&hash)
            .bind(by.0)
            .bind(now + valid_for)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "review.link_create",
                    "post",
                    Some(review.post_id.to_string()),
                    None,
                    Some(serde_json::json!({ "step": step, "label": label, "expires_at": now + valid_for }))
                ),
                now
            );
            Ok(())
        })?;
        Ok(secret)
    }

    pub async fn review_link(&self, secret: &str) -> Result<Option<ReviewLink>> {
        let hash = crate::sessions::hash_secret(secret);
        type Row = (
            Uuid,
            Uuid,
            i64,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        );
        let row: Option<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, review_id, step, label, expires_at, used_at FROM review_links WHERE token_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(id, review_id, step, label, expires_at, used_at)| ReviewLink {
                id,
                review_id,
                step: u32::try_from(step).unwrap_or(u32::MAX),
                label,
                expires_at,
                used_at,
            },
        ))
    }

    /// Escalate every pending review whose current step is past its deadline (once per step):
    /// the backup and the author are notified. Returns how many were escalated.
    pub async fn escalate_due_reviews(&self) -> Result<usize> {
        let now = self.now();
        let mut escalated = 0;
        for review in self.pending_reviews().await? {
            let Some((step, due)) = approval::escalations_due(
                &review.workflow,
                review.round_started_at,
                &review.decisions,
                now,
            ) else {
                continue;
            };
            let backup = review
                .workflow
                .steps
                .get(step as usize)
                .and_then(|s| s.backup);
            let step_name = review
                .workflow
                .steps
                .get(step as usize)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            let done = with_tx!(self, |tx, pg| {
                let n = sqlx::query(
                    "UPDATE reviews SET escalated_step = $1, updated_at = $2 WHERE id = $3 AND round = $4 \
                     AND state = 'pending' AND (escalated_step IS NULL OR escalated_step <> $1)",
                )
                .bind(i64::from(step))
                .bind(now)
                .bind(review.id)
                .bind(review.round)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Ok(false);
                }
                let (author, title): (Uuid, String) =
                    sqlx::query_as("SELECT author_id, title FROM posts WHERE id = $1")
                        .bind(review.post_id.0)
                        .fetch_one(&mut *tx)
                        .await?;
                let params = serde_json::json!({ "title": title, "step": step_name, "due": due });
                let link = Some(format!("/posts/{}", review.post_id));
                let author_note = NewNotification {
                    user_id: UserId(author),
                    kind: "review_escalated".into(),
                    params: params.clone(),
                    link: link.clone(),
                    email: true,
                };
                insert_notification!(tx, &author_note, now);
                if let Some(backup) = backup {
                    let note = NewNotification {
                        user_id: backup,
                        kind: "review_backup".into(),
                        params,
                        link,
                        email: true,
                    };
                    insert_notification!(tx, &note, now);
                }
                append_audit!(
                    tx,
                    pg,
                    Actor::system().entry(
                        "review.escalate",
                        "post",
                        Some(review.post_id.to_string()),
                        None,
                        Some(serde_json::json!({ "step": step, "due": due, "backup": backup }))
                    ),
                    now
                );
                Ok(true)
            })?;
            if done {
                escalated += 1;
            }
        }
        Ok(escalated)
    }

    /// Which workflow (if any) covers a channel: its own, else its workspace's.
    pub async fn workflow_for_channel(&self, channel: ChannelId) -> Result<Option<WorkflowRecord>> {
        let row: Option<WorkflowRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT w.id, w.workspace_id, w.channel_id, w.name, w.definition, w.updated_at {}",
                crate::posts::COVERING_WORKFLOW
            )))
            .bind(channel.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(into_workflow).transpose()
    }
}
