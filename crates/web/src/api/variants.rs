//! `/variants/{id}/…`: scheduling one channel's version of a post. Needs `posts:publish` on the
//! channel; the approval gate is checked by the store inside the scheduling transaction, so a
//! variant without its approvals is refused whatever the caller sends.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{Permission, Target, VariantId, post::GateError, user::parse_time_zone};
use owlery_store::posts::{ScheduleError, Variant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Id, Json,
    posts::{check_future, load_variant},
};
use crate::{
    auth::{ApiPrincipal, Principal},
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

/// The gate's refusal as an HTTP error: missing approvals and finished variants are conflicts
/// with the post's state; validation errors and a missing time are the request's to fix.
pub(crate) fn gate_error(e: ScheduleError) -> AppError {
    match e {
        ScheduleError::Gate(g) => {
            let status = match g {
                GateError::NeedsApproval | GateError::NotEditable => StatusCode::CONFLICT,
                GateError::Invalid | GateError::NoTime => StatusCode::UNPROCESSABLE_ENTITY,
            };
            AppError::new(status, g.code(), g.to_string()).with_field("status")
        }
        ScheduleError::Store(s) => s.into(),
    }
}

fn require_publish(
    principal: &Principal,
    workspace: owlery_domain::WorkspaceId,
    v: &Variant,
) -> ApiResult<()> {
    principal.require(
        Permission::PostsPublish,
        Target::Channel {
            workspace,
            channel: v.channel_id,
        },
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleVariant {
    /// When to publish (RFC 3339).
    pub scheduled_at: DateTime<Utc>,
    /// The IANA time zone the time was chosen in; default: the variant's.
    pub time_zone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VariantState {
    pub id: Uuid,
    #[schema(example = "scheduled")]
    pub status: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub time_zone: String,
    /// Why a `paused` variant waits: `pause` or `late`.
    #[schema(value_type = Option<String>, example = "pause")]
    pub held_by: Option<owlery_domain::publishing::engine::HeldBy>,
}

impl VariantState {
    fn of(v: Variant) -> VariantState {
        VariantState {
            id: v.id.0,
            status: v.status.code().to_owned(),
            scheduled_at: v.scheduled_at,
            time_zone: v.schedule_tz,
            held_by: v.held_by,
        }
    }
}

pub(crate) async fn state_of(
    state: &AppState,
    principal: &Principal,
    id: VariantId,
) -> ApiResult<VariantState> {
    let (_, v) = load_variant(state, principal, id).await?;
    Ok(VariantState::of(v))
}

/// A variant's state, for a caller whose permission was already checked.
pub(crate) async fn state_of_variant(state: &AppState, id: VariantId) -> ApiResult<VariantState> {
    let v = state
        .store
        .post_of_variant(id)
        .await?
        .and_then(|p| p.variant(id).cloned())
        .ok_or_else(|| AppError::not_found("variant"))?;
    Ok(VariantState::of(v))
}

/// Schedule or reschedule one variant. Refused (409 `approval_required`) without its approvals,
/// (422 `validation_failed`) with validation errors, (409 `not_editable`) once it has gone out.
#[utoipa::path(
    post,
    path = "/variants/{id}/schedule",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The variant's id")),
    request_body = ScheduleVariant,
    responses(
        (status = 200, description = "Scheduled", body = VariantState),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:publish on the channel", body = ErrorBody),
        (status = 404, description = "No such variant", body = ErrorBody),
        (status = 409, description = "Needs approval, or already published or cancelled", body = ErrorBody),
        (status = 422, description = "Validation errors, a time in the past or an unknown time zone", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn schedule_variant(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<VariantId>,
    Json(req): Json<ScheduleVariant>,
) -> ApiResult<Json<VariantState>> {
    let (post, v) = load_variant(&state, &principal, id).await?;
    require_publish(&principal, post.workspace_id, &v)?;
    check_future(req.scheduled_at, state.store.now())?;
    let tz = match req
        .time_zone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty())
    {
        Some(z) => parse_time_zone(z)?.name().to_owned(),
        None => v.schedule_tz.clone(),
    };
    state
        .store
        .schedule_variant(&principal.actor(), id, req.scheduled_at, &tz)
        .await
        .map_err(gate_error)?;
    Ok(Json(state_of(&state, &principal, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnscheduleVariant {
    /// Cancel the variant for good instead of only taking it off the schedule.
    #[serde(default)]
    pub cancel: bool,
}

/// Take a variant off the schedule (it stays approved) or cancel it.
#[utoipa::path(
    post,
    path = "/variants/{id}/unschedule",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The variant's id")),
    request_body = UnscheduleVariant,
    responses(
        (status = 200, description = "Off the schedule", body = VariantState),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:publish on the channel", body = ErrorBody),
        (status = 404, description = "No such variant", body = ErrorBody),
        (status = 409, description = "Already published or cancelled", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn unschedule_variant(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<VariantId>,
    Json(req): Json<UnscheduleVariant>,
) -> ApiResult<Json<VariantState>> {
    let (post, v) = load_variant(&state, &principal, id).await?;
    require_publish(&principal, post.workspace_id, &v)?;
    state
        .store
        .unschedule_variant(&principal.actor(), id, req.cancel)
        .await
        .map_err(gate_error)?;
    Ok(Json(state_of(&state, &principal, id).await?))
}
