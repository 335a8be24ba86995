//! Approvals: `/workflows` (ordered steps per workspace or channel), `/posts/{id}/reviews` and
//! `/reviews/{id}/…` (decisions, links for outside reviewers).
//!
//! Who may decide is the workflow's rule (`owlery_domain::publishing::approval`), checked by the
//! store in the transaction that records the decision. Configuring workflows needs
//! `workspaces:manage`; reading a post's reviews, `posts:draft` or `posts:approve` on it.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    ChannelId, Permission, PostId, Target, WorkflowId, WorkspaceId,
    publishing::approval::{Step, Verdict, Workflow},
};
use owlery_store::{
    StoreError,
    posts::Post,
    reviews::{DecideError, Decider, Review, WorkflowRecord},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Id, Json, Query, extract::parse_id, list::list_of, posts::may};
use crate::{
    auth::{ApiPrincipal, Principal},
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowOut {
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// `null`: the workspace's workflow; a channel's own workflow wins over it.
    pub channel_id: Option<Uuid>,
    pub name: String,
    /// Ordered steps: `{"name", "approvers": {"kind": "role", "role"} | {"kind": "team", "team_id"}
    /// | {"kind": "people", "user_ids"} | {"kind": "external"}, "required", "backup",
    /// "deadline_hours"}`.
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<Step>,
    pub updated_at: DateTime<Utc>,
}

impl From<WorkflowRecord> for WorkflowOut {
    fn from(w: WorkflowRecord) -> Self {
        WorkflowOut {
            id: w.id.0,
            workspace_id: w.workspace_id.0,
            channel_id: w.channel_id.map(|c| c.0),
            name: w.name,
            steps: w.workflow.steps,
            updated_at: w.updated_at,
        }
    }
}

list_of!(WorkflowList, WorkflowOut);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkflowParams {
    pub workspace_id: String,
}

/// The approval workflows of a workspace and its channels.
#[utoipa::path(
    get,
    path = "/workflows",
    tag = "approvals",
    params(WorkflowParams),
    responses(
        (status = 200, description = "Workflows", body = WorkflowList),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_workflows(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<WorkflowParams>,
) -> ApiResult<Json<WorkflowList>> {
    let workspace: WorkspaceId = parse_id("workspace_id", &params.workspace_id)?;
    principal.require(Permission::PostsDraft, Target::Workspace(workspace))?;
    let items = state.store.workflows(workspace).await?;
    Ok(Json(WorkflowList::whole(
        items.into_iter().map(WorkflowOut::from).collect(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWorkflow {
    pub workspace_id: Uuid,
    /// Set the workflow of one channel instead of the whole workspace.
    pub channel_id: Option<Uuid>,
    pub name: String,
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<Step>,
}

/// Create or replace the workflow of a workspace or of one of its channels. Posts already in
/// review keep the rules they started with until their next round.
#[utoipa::path(
    put,
    path = "/workflows",
    tag = "approvals",
    request_body = SetWorkflow,
    responses(
        (status = 200, description = "The workflow", body = WorkflowOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs workspaces:manage on the workspace", body = ErrorBody),
        (status = 404, description = "No such workspace or channel", body = ErrorBody),
        (status = 422, description = "The steps cannot work (none, unnamed, more approvals than people…)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_workflow(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<SetWorkflow>,
) -> ApiResult<Json<WorkflowOut>> {
    let workspace = WorkspaceId(req.workspace_id);
    principal.require(Permission::WorkspacesManage, Target::Workspace(workspace))?;
    let channel = req.channel_id.map(ChannelId);
    if let Some(c) = channel {
        let ch = state.store.channel(c).await?;
        if ch.workspace_id != workspace {
            return Err(AppError::not_found("channel"));
        }
    }
    let record = state
        .store
        .set_workflow(
            &principal.actor(),
            workspace,
            channel,
            &req.name,
            &Workflow { steps: req.steps },
        )
        .await?;
    Ok(Json(record.into()))
}

/// Remove a workflow that no post is waiting in; new posts are no longer held by it.
#[utoipa::path(
    delete,
    path = "/workflows/{id}",
    tag = "approvals",
    params(("id" = Uuid, Path, description = "The workflow's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs workspaces:manage on the workspace", body = ErrorBody),
        (status = 404, description = "No such workflow", body = ErrorBody),
        (status = 409, description = "Posts are waiting in this workflow", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_workflow(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<Uuid>,
) -> ApiResult<StatusCode> {
    let id = WorkflowId(id);
    let record = state
        .store
        .workflow(id)
        .await?
        .ok_or_else(|| AppError::not_found("workflow"))?;
    principal.require(
        Permission::WorkspacesManage,
        Target::Workspace(record.workspace_id),
    )?;
    state.store.delete_workflow(&principal.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOut {
    pub id: Uuid,
    pub post_id: Uuid,
    pub workflow_id: Uuid,
    /// Starts at 1; an edit after a decision starts a new round.
    pub round: i64,
    /// `pending`, `approved`, `changes_requested` or `rejected`.
    #[schema(example = "pending")]
    pub state: String,
    /// The details of `state`: for `pending` the current `step`, `step_name`, `approvals` of
    /// `required`, `due` and `escalated`; otherwise who decided and why.
    #[schema(value_type = Object)]
    pub progress: serde_json::Value,
    /// The decisions of this round, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub decisions: serde_json::Value,
}

fn review_out(r: &Review, now: DateTime<Utc>) -> ApiResult<ReviewOut> {
    let progress = r.progress(now);
    Ok(ReviewOut {
        id: r.id,
        post_id: r.post_id.0,
        workflow_id: r.workflow_id.0,
        round: r.round,
        state: progress.code().to_owned(),
        progress: serde_json::to_value(&progress).map_err(AppError::internal)?,
        decisions: serde_json::to_value(&r.decisions).map_err(AppError::internal)?,
    })
}

list_of!(ReviewList, ReviewOut);

/// The post, if the caller may read it (as a writer or as an approver).
async fn load_for_review(state: &AppState, principal: &Principal, id: PostId) -> ApiResult<Post> {
    let post = state
        .store
        .post(id)
        .await?
        .ok_or_else(|| AppError::not_found("post"))?;
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    let readable = may(
        principal,
        Permission::PostsDraft,
        post.workspace_id,
        &channels,
    ) || may(
        principal,
        Permission::PostsApprove,
        post.workspace_id,
        &channels,
    );
    if !readable {
        return Err(AppError::forbidden());
    }
    Ok(post)
}

/// The reviews of a post (one per workflow that covers its channels).
#[utoipa::path(
    get,
    path = "/posts/{id}/reviews",
    tag = "approvals",
    params(("id" = Uuid, Path, description = "The post's id")),
    responses(
        (status = 200, description = "Reviews", body = ReviewList),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft or posts:approve on the post", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_reviews(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
) -> ApiResult<Json<ReviewList>> {
    load_for_review(&state, &principal, id).await?;
    let now = state.store.now();
    let reviews = state.store.reviews_of_post(id).await?;
    let items = reviews
        .iter()
        .map(|r| review_out(r, now))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(ReviewList::whole(items)))
}

/// A review and its post, if the caller may read the post.
async fn load_review(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<(Review, Post)> {
    let review = state
        .store
        .review(id)
        .await?
        .ok_or_else(|| AppError::not_found("review"))?;
    let post = load_for_review(state, principal, review.post_id).await?;
    Ok((review, post))
}

/// A refused decision as an HTTP error: the workflow's rules are conflicts with the review's state
/// or the caller's part in it.
pub(crate) fn decide_error(e: DecideError) -> AppError {
    match e {
        DecideError::Rule(rule) => {
            let status = match rule.code() {
                "reason_required" | "reason_too_long" | "invalid_external_label" => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                "not_your_step" | "own_post" | "link_for_another_step" => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            let field = if rule.code().starts_with("reason") {
                "reason"
            } else {
                "verdict"
            };
            AppError::new(status, rule.code(), rule.to_string()).with_field(field)
        }
        DecideError::LinkInvalid => AppError::new(
            StatusCode::GONE,
            "link_invalid",
            "This review link has expired or was already used.",
        ),
        DecideError::Store(s) => s.into(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// `approve`, `request_changes` or `reject`.
    #[schema(example = "approve")]
    pub verdict: String,
    /// Required to request changes or reject: what the author should know.
    pub reason: Option<String>,
}

/// Approve, request changes or reject the current step of a review. The author may not review
/// their own post; each approver counts once per step.
#[utoipa::path(
    post,
    path = "/reviews/{id}/decisions",
    tag = "approvals",
    params(("id" = Uuid, Path, description = "The review's id")),
    request_body = DecideRequest,
    responses(
        (status = 200, description = "The review after the decision", body = ReviewOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:approve on the post and to be an approver of the current step (not its author)", body = ErrorBody),
        (status = 404, description = "No such review", body = ErrorBody),
        (status = 409, description = "Not waiting for approval, or already decided by the caller", body = ErrorBody),
        (status = 422, description = "Unknown verdict, or a reason is missing", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<Uuid>,
    Json(req): Json<DecideRequest>,
) -> ApiResult<Json<ReviewOut>> {
    let (_, post) = load_review(&state, &principal, id).await?;
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    if !may(
        &principal,
        Permission::PostsApprove,
        post.workspace_id,
        &channels,
    ) {
        return Err(AppError::forbidden());
    }
    let verdict = Verdict::parse(req.verdict.trim()).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_verdict",
            "verdict must be approve, request_changes or reject.",
        )
        .with_field("verdict")
    })?;
    let teams = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .filter(|t| t.member_ids.contains(&principal.user.id))
        .map(|t| t.id)
        .collect();
    let decider = Decider::User {
        user_id: principal.user.id,
        roles_here: principal
            .access
            .roles_at(Target::Workspace(post.workspace_id)),
        teams,
    };
    state
        .store
        .decide(&principal.actor(), id, decider, verdict, req.reason)
        .await
        .map_err(decide_error)?;
    let review = state
        .store
        .review(id)
        .await?
        .ok_or(StoreError::NotFound("review"))?;
    Ok(Json(review_out(&review, state.store.now())?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReviewLink {
    /// Who the link is for ("Legal", "Client: Acme").
    pub label: String,
    /// The (0-based) step the link may decide; default: the current step.
    pub step: Option<u32>,
    /// How long the link works, 1–720 hours; default 72.
    pub valid_for_hours: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewLinkOut {
    /// The link to send. Shown once: only its hash is kept.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Make a single-purpose, expiring link with which someone without an account can decide one
/// step of this review (the step's approvers must be `external`).
#[utoipa::path(
    post,
    path = "/reviews/{id}/links",
    tag = "approvals",
    params(("id" = Uuid, Path, description = "The review's id")),
    request_body = CreateReviewLink,
    responses(
        (status = 201, description = "The link", body = ReviewLinkOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the post", body = ErrorBody),
        (status = 404, description = "No such review", body = ErrorBody),
        (status = 422, description = "No label, or a validity outside 1–720 hours", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_review_link(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<Uuid>,
    Json(req): Json<CreateReviewLink>,
) -> ApiResult<(StatusCode, Json<ReviewLinkOut>)> {
    let (review, post) = load_review(&state, &principal, id).await?;
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    if !may(
        &principal,
        Permission::PostsDraft,
        post.workspace_id,
        &channels,
    ) {
        return Err(AppError::forbidden());
    }
    let hours = req.valid_for_hours.unwrap_or(72);
    if !(1..=720).contains(&hours) {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_validity",
            "A review link works for 1 to 720 hours.",
        )
        .with_field("valid_for_hours"));
    }
    let now = state.store.now();
    let step = match req.step {
        Some(s) => s,
        None => match review.progress(now) {
            owlery_domain::publishing::approval::Progress::Pending { step, .. } => step,
            _ => {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    "not_pending",
                    "This post is not waiting for approval.",
                ));
            }
        },
    };
    let valid_for = Duration::hours(i64::from(hours));
    let secret = state
        .store
        .create_review_link(
            &principal.actor(),
            principal.user.id,
            id,
            step,
            &req.label,
            valid_for,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReviewLinkOut {
            url: state.config.link(&format!("/review/{secret}")),
            expires_at: now + valid_for,
        }),
    ))
}
