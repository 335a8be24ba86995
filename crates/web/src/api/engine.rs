//! The publishing engine's controls: the pause switch (`/pauses`), the organisation's late policy
//! (`/organisation/publishing`), the posts that wait for a person (`/attention`), and what a
//! person does about one (`/variants/{id}/resume`, `/variants/{id}/resolve`).
//!
//! Permissions (see [`crate::engine`]): pausing and lifting need `crisis:manage` at the pause's
//! scope (the whole organisation for an organisation pause); the late policy `org:manage`;
//! reading what waits a posts permission on the channel; acting on a variant `posts:publish` on
//! its channel. A pause holds posts at their time; lifting it sends nothing by itself: held posts
//! wait for a person to send, reschedule or cancel them.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{
    Permission, Target, VariantId, WorkspaceId,
    publishing::engine::{HeldBy, LatePolicy, PauseScope},
};
use owlery_store::engine::{Attention, Pause, Resolution};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    Id, Json, Query,
    extract::parse_id,
    list::list_of,
    variants::{VariantState, state_of_variant},
};
use crate::{
    auth::ApiPrincipal,
    engine::{self, Names},
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct PauseOut {
    pub id: Uuid,
    #[schema(value_type = String, example = "organisation")]
    pub scope: PauseScope,
    /// The workspace or channel; `null` for the organisation.
    pub scope_id: Option<Uuid>,
    /// The organisation's, workspace's or channel's name.
    pub scope_name: String,
    pub reason: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// `null` while the pause is active.
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<Uuid>,
}

impl PauseOut {
    fn of(p: &Pause, names: &Names) -> PauseOut {
        PauseOut {
            id: p.id,
            scope: p.scope,
            scope_id: (p.scope != PauseScope::Organisation).then_some(p.scope_id),
            scope_name: names.scope_name(p),
            reason: p.reason.clone(),
            created_by: p.created_by.map(|u| u.0),
            created_at: p.created_at,
            lifted_at: p.lifted_at,
            lifted_by: p.lifted_by.map(|u| u.0),
        }
    }
}

list_of!(PauseList, PauseOut);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PauseParams {
    /// `true`: only active pauses; `false`: only lifted ones; absent: both (newest first, the
    /// latest 200).
    pub active: Option<bool>,
}

/// The pauses the caller may see: the organisation's, and those of the workspaces and channels
/// they see.
#[utoipa::path(
    get,
    path = "/pauses",
    tag = "engine",
    params(PauseParams),
    responses(
        (status = 200, description = "Pauses, newest first", body = PauseList),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_pauses(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<PauseParams>,
) -> ApiResult<Json<PauseList>> {
    principal.require_anywhere(Permission::OrgRead)?;
    let names = Names::load(&state).await?;
    let pauses =
        engine::visible_pauses(&state, &principal, &names, params.active == Some(true)).await?;
    Ok(Json(PauseList::whole(
        pauses
            .iter()
            .filter(|p| params.active != Some(false) || p.lifted_at.is_some())
            .map(|p| PauseOut::of(p, &names))
            .collect(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePause {
    #[schema(value_type = String, example = "workspace")]
    pub scope: PauseScope,
    /// The workspace or channel to pause; leave out for the organisation.
    pub scope_id: Option<Uuid>,
    /// Why: the people who find their posts waiting read it.
    #[schema(example = "Crisis: wait for the statement from Legal")]
    pub reason: String,
}

/// Pause publishing for the organisation, a workspace or a channel. Posts due while it lasts wait
/// (`paused`) for a person; they are listed under `/attention`.
#[utoipa::path(
    post,
    path = "/pauses",
    tag = "engine",
    request_body = CreatePause,
    responses(
        (status = 201, description = "Publishing is paused there", body = PauseOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs crisis:manage at the scope (the whole organisation for an organisation pause)", body = ErrorBody),
        (status = 422, description = "No reason, an unknown scope, or a scope_id missing (or given for the organisation)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_pause(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<CreatePause>,
) -> ApiResult<(StatusCode, Json<PauseOut>)> {
    let names = Names::load(&state).await?;
    let org = crate::pages::load_organisation(&state).await?;
    let scope_id = engine::check_new_pause(&principal, &names, org.id, req.scope, req.scope_id)?;
    let pause = state
        .store
        .create_pause(&principal.actor(), org.id, req.scope, scope_id, &req.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(PauseOut::of(&pause, &names))))
}

/// Lift a pause ("resume publishing"). Posts it held stay `paused` for a person to send,
/// reschedule or cancel: nothing floods out at once.
#[utoipa::path(
    delete,
    path = "/pauses/{id}",
    tag = "engine",
    params(("id" = Uuid, Path, description = "The pause's id")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs crisis:manage at the pause's scope", body = ErrorBody),
        (status = 404, description = "No such pause", body = ErrorBody),
        (status = 409, description = "Already lifted", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn lift_pause(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<Uuid>,
) -> ApiResult<StatusCode> {
    let names = Names::load(&state).await?;
    engine::lift(&state, &principal, &names, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the organisation does with a post whose time passed while nothing could publish it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishingSettings {
    /// `send`: send it at once, flagged late; `hold`: hold it for a person once it is later than
    /// the grace.
    #[schema(value_type = String, example = "hold")]
    pub late_policy: LatePolicy,
    /// 0–10080 (7 days).
    #[schema(example = 15)]
    pub late_grace_minutes: i64,
}

/// The organisation's late policy.
#[utoipa::path(
    get,
    path = "/organisation/publishing",
    tag = "engine",
    responses(
        (status = 200, description = "The late policy", body = PublishingSettings),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_publishing_settings(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<PublishingSettings>> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    let org = crate::pages::load_organisation(&state).await?;
    let (policy, grace) = state.store.late_policy(org.id).await?;
    Ok(Json(PublishingSettings {
        late_policy: policy,
        late_grace_minutes: grace.num_minutes(),
    }))
}

/// Change the late policy.
#[utoipa::path(
    put,
    path = "/organisation/publishing",
    tag = "engine",
    request_body = PublishingSettings,
    responses(
        (status = 200, description = "Saved", body = PublishingSettings),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 422, description = "An unknown policy or a grace out of range", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_publishing_settings(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<PublishingSettings>,
) -> ApiResult<Json<PublishingSettings>> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    let org = crate::pages::load_organisation(&state).await?;
    state
        .store
        .set_late_policy(
            &principal.actor(),
            org.id,
            req.late_policy,
            req.late_grace_minutes,
        )
        .await?;
    Ok(Json(req))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionOut {
    pub variant_id: Uuid,
    pub post_id: Uuid,
    pub title: String,
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    pub channel_name: String,
    pub network: String,
    /// `paused`, `unconfirmed` or `failed`.
    #[schema(example = "paused")]
    pub status: String,
    /// Why a `paused` one waits: `pause` (a pause covered it) or `late` (the late policy held it).
    #[schema(value_type = Option<String>, example = "pause")]
    pub held_by: Option<HeldBy>,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// How late it was at its dispatch, in seconds.
    pub late_by_s: Option<i64>,
    /// What happened, for a person.
    pub error: Option<String>,
    /// Parts already on the network (a thread or first comment half sent).
    pub parts_published: i64,
    pub remote_url: Option<String>,
    /// The channel's page on its network, to check an unconfirmed post by hand (`null` for
    /// practice and sandbox channels).
    pub profile_url: Option<String>,
}

impl From<&Attention> for AttentionOut {
    fn from(a: &Attention) -> Self {
        AttentionOut {
            variant_id: a.variant_id.0,
            post_id: a.post_id,
            title: a.title.clone(),
            workspace_id: a.workspace_id.0,
            channel_id: a.channel_id.0,
            channel_name: a.channel_name.clone(),
            network: a.network.clone(),
            status: a.status.code().to_owned(),
            held_by: a.held_by,
            scheduled_at: a.scheduled_at,
            late_by_s: a.late_by_s,
            error: a.error.clone(),
            parts_published: a.parts_published,
            remote_url: a.remote_url.clone(),
            profile_url: profile_url(a),
        }
    }
}

/// Where to check an unconfirmed post: the account's page on a real network.
pub(crate) fn profile_url(a: &Attention) -> Option<String> {
    if a.simulated {
        return None;
    }
    owlery_domain::org::Network::parse(&a.network).and_then(|n| n.profile_url(&a.handle))
}

list_of!(AttentionList, AttentionOut);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttentionParams {
    /// Only this workspace.
    pub workspace_id: Option<String>,
}

/// Posts that wait for a person — paused (by a pause, or held late), unconfirmed (the network
/// could not say whether it arrived) or failed — in the channels the caller may see, oldest time
/// first.
#[utoipa::path(
    get,
    path = "/attention",
    tag = "engine",
    params(AttentionParams),
    responses(
        (status = 200, description = "What waits", body = AttentionList),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft, posts:publish or posts:approve somewhere", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_attention(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<AttentionParams>,
) -> ApiResult<Json<AttentionList>> {
    let workspace = params
        .workspace_id
        .as_deref()
        .map(|raw| parse_id::<WorkspaceId>("workspace_id", raw))
        .transpose()?;
    let items = engine::attention(&state, &principal, workspace).await?;
    Ok(Json(AttentionList::whole(
        items.iter().map(AttentionOut::from).collect(),
    )))
}

/// Send a paused or failed variant again: scheduled now (or at its own time if that is still
/// ahead), after the parts already on the network. Refused while a pause still covers its channel.
#[utoipa::path(
    post,
    path = "/variants/{id}/resume",
    tag = "engine",
    params(("id" = Uuid, Path, description = "The variant's id")),
    responses(
        (status = 200, description = "Scheduled again", body = VariantState),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:publish on the channel", body = ErrorBody),
        (status = 404, description = "No such variant", body = ErrorBody),
        (status = 409, description = "publishing_paused: a pause still covers its channel; not_resumable: it is neither paused nor failed", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resume_variant(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<VariantId>,
) -> ApiResult<Json<VariantState>> {
    engine::resume(&state, &principal, id).await?;
    Ok(Json(state_of_variant(&state, id).await?))
}

/// What a person found on the network.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It is there: give its address.
    Published,
    /// It is not there: send it again.
    NotThere,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveVariant {
    pub outcome: Outcome,
    /// The post's address on the network; required when it is there.
    #[schema(example = "https://bsky.app/profile/owl.bsky.social/post/3k…")]
    pub url: Option<String>,
}

/// Settle an unconfirmed variant after checking the network: it is there (at `url`; the rest of
/// its parts, if any, go now), or it is not (it goes again now).
#[utoipa::path(
    post,
    path = "/variants/{id}/resolve",
    tag = "engine",
    params(("id" = Uuid, Path, description = "The variant's id")),
    request_body = ResolveVariant,
    responses(
        (status = 200, description = "Settled; the engine takes it from here", body = VariantState),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:publish on the channel", body = ErrorBody),
        (status = 404, description = "No such variant", body = ErrorBody),
        (status = 409, description = "It is not unconfirmed", body = ErrorBody),
        (status = 422, description = "No address (or not a web address) for a published one, or an address with not_there", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn resolve_variant(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<VariantId>,
    Json(req): Json<ResolveVariant>,
) -> ApiResult<Json<VariantState>> {
    engine::publishable_variant(&state, &principal, id).await?;
    let url = req.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let resolution = match (req.outcome, url) {
        (Outcome::Published, Some(url)) => Resolution::Published {
            url: url.to_owned(),
        },
        (Outcome::Published, None) => {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_field",
                "Give the post's address on the network (url).",
            )
            .with_field("url"));
        }
        (Outcome::NotThere, None) => Resolution::NotThere,
        (Outcome::NotThere, Some(_)) => {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "An address goes only with the outcome 'published'.",
            )
            .with_field("url"));
        }
    };
    state
        .store
        .resolve_unconfirmed(&principal.actor(), id, resolution)
        .await?;
    Ok(Json(state_of_variant(&state, id).await?))
}
