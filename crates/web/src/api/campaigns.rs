//! `/campaigns`: posts released together, at one instant or staggered by per-variant offsets, with
//! an optional all-or-nothing rule (`owlery_domain::publishing::campaign`).
//!
//! Permission: reading a workspace's campaigns needs `posts:draft` or `posts:approve` on it;
//! creating and changing them, and putting posts in or taking them out, `posts:draft`. Releasing is
//! the publishing job's, not an endpoint's: at the release time it schedules only members that are
//! already approved (or scheduled) and valid, so joining a campaign never publishes anything that
//! would not have gone out anyway.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{
    CampaignId, Permission, PostId, Target, UserId, VariantId, WorkspaceId, post::ApprovalNeed,
    user::UserStatus,
};
use owlery_store::{
    StoreError,
    campaigns::{Campaign, CampaignInput, CampaignMember, ReleaseMode},
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Id, Ids, Json, Query, extract::parse_id, list::list_of};
use crate::{
    auth::{ApiPrincipal, Principal},
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

/// For `PATCH`: an absent field is `None` (unchanged), `null` is `Some(None)` (cleared).
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignOut {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    /// Told when the campaign is held.
    pub owner_id: Uuid,
    pub release_at: Option<DateTime<Utc>>,
    /// `instant`: every member at the release time; `staggered`: each at its offset after it.
    #[schema(example = "staggered")]
    pub release_mode: String,
    /// If any member is not approved or not valid at the release time, none goes.
    pub all_or_nothing: bool,
    /// `planned`, `released`, `held`, `cancelled`.
    #[schema(example = "planned")]
    pub status: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Campaign> for CampaignOut {
    fn from(c: &Campaign) -> Self {
        CampaignOut {
            id: c.id.0,
            workspace_id: c.workspace_id.0,
            name: c.name.clone(),
            owner_id: c.owner_id.0,
            release_at: c.release_at,
            release_mode: c.release_mode.code().to_owned(),
            all_or_nothing: c.all_or_nothing,
            status: c.status.code().to_owned(),
            note: c.note.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

list_of!(CampaignList, CampaignOut);

/// One member variant and what would keep it from going out if the release were now.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub variant_id: Uuid,
    pub post_id: Uuid,
    pub channel_id: Uuid,
    #[schema(example = "approved")]
    pub status: String,
    /// Minutes after the release time (always 0 in instant mode).
    pub offset_minutes: i64,
    /// `not_required`, `pending` or `approved`.
    pub approval: String,
    pub has_errors: bool,
    /// `not_approved` or `invalid` while the member could not go; `null` when it is ready (or
    /// already out or cancelled, in which case it neither goes nor blocks).
    pub blocker: Option<String>,
}

impl From<&CampaignMember> for MemberOut {
    fn from(m: &CampaignMember) -> Self {
        let member = m.member();
        MemberOut {
            variant_id: m.variant_id.0,
            post_id: m.post_id.0,
            channel_id: m.channel_id.0,
            status: m.status.code().to_owned(),
            offset_minutes: m.offset_minutes,
            approval: match m.approval {
                ApprovalNeed::NotRequired => "not_required",
                ApprovalNeed::Pending => "pending",
                ApprovalNeed::Approved => "approved",
            }
            .to_owned(),
            has_errors: m.has_errors,
            blocker: if member.cancelled {
                None
            } else {
                member.blocker().map(|b| b.code().to_owned())
            },
        }
    }
}

/// A campaign with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDetail {
    #[serde(flatten)]
    pub campaign: CampaignOut,
    pub members: Vec<MemberOut>,
}

fn read_permissions(principal: &Principal, workspace: WorkspaceId) -> ApiResult<()> {
    let target = Target::Workspace(workspace);
    if principal.access.can(Permission::PostsDraft, target)
        || principal.access.can(Permission::PostsApprove, target)
    {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// The campaign, if the caller may read it.
async fn load(state: &AppState, principal: &Principal, id: CampaignId) -> ApiResult<Campaign> {
    let campaign = state
        .store
        .campaign(id)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    read_permissions(principal, campaign.workspace_id)?;
    Ok(campaign)
}

async fn detail(state: &AppState, id: CampaignId) -> ApiResult<CampaignDetail> {
    let s = state
        .store
        .campaign_state(id)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    Ok(CampaignDetail {
        campaign: CampaignOut::from(&s.campaign),
        members: s.members.iter().map(MemberOut::from).collect(),
    })
}

fn release_mode(raw: &str) -> ApiResult<ReleaseMode> {
    ReleaseMode::parse(raw.trim()).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_release_mode",
            format!("'{raw}' is not a release mode; use 'instant' or 'staggered'."),
        )
        .with_field("release_mode")
    })
}

/// An owner must be an active person.
async fn check_owner(state: &AppState, owner: UserId) -> ApiResult<()> {
    match state.store.user(owner).await {
        Ok(u) if u.status != UserStatus::Disabled => Ok(()),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_user",
            "The owner must be an active person in the organisation.",
        )
        .with_field("owner_id")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignParams {
    pub workspace_id: String,
}

/// The campaigns of a workspace, by release time (unset last), then name.
#[utoipa::path(
    get,
    path = "/campaigns",
    tag = "campaigns",
    params(CampaignParams),
    responses(
        (status = 200, description = "Campaigns", body = CampaignList),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft or posts:approve on the workspace", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_campaigns(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<CampaignParams>,
) -> ApiResult<Json<CampaignList>> {
    let workspace: WorkspaceId = parse_id("workspace_id", &params.workspace_id)?;
    read_permissions(&principal, workspace)?;
    let items = state.store.campaigns(workspace).await?;
    Ok(Json(CampaignList::whole(
        items.iter().map(CampaignOut::from).collect(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    pub workspace_id: Uuid,
    /// 1–120 characters.
    pub name: String,
    /// Who is told when the campaign is held; default: the caller.
    pub owner_id: Option<Uuid>,
    /// When to release (RFC 3339); without it, nothing is released until one is set.
    pub release_at: Option<DateTime<Utc>>,
    /// `instant` (default) or `staggered`.
    pub release_mode: Option<String>,
    #[serde(default)]
    pub all_or_nothing: bool,
    /// Up to 2,000 characters.
    pub note: Option<String>,
}

/// Create a campaign in a workspace.
#[utoipa::path(
    post,
    path = "/campaigns",
    tag = "campaigns",
    request_body = CreateCampaign,
    responses(
        (status = 201, description = "The campaign", body = CampaignOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace", body = ErrorBody),
        (status = 404, description = "No such workspace", body = ErrorBody),
        (status = 422, description = "A field is not valid (name, note, release mode, owner)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_campaign(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<CreateCampaign>,
) -> ApiResult<(StatusCode, Json<CampaignOut>)> {
    let workspace = WorkspaceId(req.workspace_id);
    principal.require(Permission::PostsDraft, Target::Workspace(workspace))?;
    let owner = req.owner_id.map_or(principal.user.id, UserId);
    check_owner(&state, owner).await?;
    let input = CampaignInput {
        name: req.name,
        owner_id: owner,
        release_at: req.release_at,
        release_mode: match req.release_mode.as_deref() {
            Some(m) => release_mode(m)?,
            None => ReleaseMode::Instant,
        },
        all_or_nothing: req.all_or_nothing,
        note: req.note,
    };
    let c = state
        .store
        .create_campaign(&principal.actor(), workspace, input)
        .await?;
    Ok((StatusCode::CREATED, Json(CampaignOut::from(&c))))
}

/// A campaign with its members, their offsets, approval and what blocks them.
#[utoipa::path(
    get,
    path = "/campaigns/{id}",
    tag = "campaigns",
    params(("id" = Uuid, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "The campaign and its members", body = CampaignDetail),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft or posts:approve on the workspace", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_campaign(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<CampaignId>,
) -> ApiResult<Json<CampaignDetail>> {
    load(&state, &principal, id).await?;
    Ok(Json(detail(&state, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaign {
    pub name: Option<String>,
    pub owner_id: Option<Uuid>,
    /// `null` clears the release time (nothing is released until one is set again).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub release_at: Option<Option<DateTime<Utc>>>,
    /// `instant` or `staggered`; switching to `instant` sets every member's offset to 0.
    pub release_mode: Option<String>,
    /// Switching it off lets members that were held by it go at their own times again.
    pub all_or_nothing: Option<bool>,
    /// `null` or an empty string removes the note.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub note: Option<Option<String>>,
}

/// Change a planned campaign; fields left out stay as they are. A campaign that was released,
/// held or cancelled no longer changes (409).
#[utoipa::path(
    patch,
    path = "/campaigns/{id}",
    tag = "campaigns",
    params(("id" = Uuid, Path, description = "The campaign's id")),
    request_body = UpdateCampaign,
    responses(
        (status = 200, description = "The campaign as saved", body = CampaignOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "No longer planned", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_campaign(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<CampaignId>,
    Json(req): Json<UpdateCampaign>,
) -> ApiResult<Json<CampaignOut>> {
    let before = load(&state, &principal, id).await?;
    principal.require(
        Permission::PostsDraft,
        Target::Workspace(before.workspace_id),
    )?;
    let owner = req.owner_id.map_or(before.owner_id, UserId);
    if owner != before.owner_id {
        check_owner(&state, owner).await?;
    }
    let input = CampaignInput {
        name: req.name.unwrap_or(before.name),
        owner_id: owner,
        release_at: req.release_at.unwrap_or(before.release_at),
        release_mode: match req.release_mode.as_deref() {
            Some(m) => release_mode(m)?,
            None => before.release_mode,
        },
        all_or_nothing: req.all_or_nothing.unwrap_or(before.all_or_nothing),
        note: req.note.unwrap_or(before.note),
    };
    let c = state
        .store
        .update_campaign(&principal.actor(), id, input)
        .await?;
    Ok(Json(CampaignOut::from(&c)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OffsetInput {
    pub variant_id: Uuid,
    /// 0 to 43,200 (30 days).
    pub offset_minutes: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinCampaign {
    /// Offsets for some of the post's variants (staggered campaigns only); the others go at 0.
    #[serde(default)]
    pub offsets: Vec<OffsetInput>,
}

/// Put a post (all its variants) into a campaign of its workspace, or change its offsets. A post
/// belongs to at most one campaign (409 if it is in another).
#[utoipa::path(
    put,
    path = "/campaigns/{id}/posts/{post_id}",
    tag = "campaigns",
    params(
        ("id" = Uuid, Path, description = "The campaign's id"),
        ("post_id" = Uuid, Path, description = "The post's id"),
    ),
    request_body = JoinCampaign,
    responses(
        (status = 200, description = "The campaign and its members", body = CampaignDetail),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace", body = ErrorBody),
        (status = 404, description = "No such campaign, post (in the campaign's workspace) or variant of the post", body = ErrorBody),
        (status = 409, description = "The post is in another campaign, or the campaign is no longer planned", body = ErrorBody),
        (status = 422, description = "An offset out of range, or offsets for an instant campaign", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_post(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Ids(id, post): Ids<CampaignId, PostId>,
    Json(req): Json<JoinCampaign>,
) -> ApiResult<Json<CampaignDetail>> {
    let c = load(&state, &principal, id).await?;
    principal.require(Permission::PostsDraft, Target::Workspace(c.workspace_id))?;
    let offsets: Vec<(VariantId, i64)> = req
        .offsets
        .iter()
        .map(|o| (VariantId(o.variant_id), o.offset_minutes))
        .collect();
    state
        .store
        .add_to_campaign(&principal.actor(), id, post, &offsets)
        .await?;
    Ok(Json(detail(&state, id).await?))
}

/// Take a post out of a campaign; it goes at its own time again.
#[utoipa::path(
    delete,
    path = "/campaigns/{id}/posts/{post_id}",
    tag = "campaigns",
    params(
        ("id" = Uuid, Path, description = "The campaign's id"),
        ("post_id" = Uuid, Path, description = "The post's id"),
    ),
    responses(
        (status = 204, description = "Taken out"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace", body = ErrorBody),
        (status = 404, description = "No such campaign, or the post is not in it", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_post(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Ids(id, post): Ids<CampaignId, PostId>,
) -> ApiResult<StatusCode> {
    let c = load(&state, &principal, id).await?;
    principal.require(Permission::PostsDraft, Target::Workspace(c.workspace_id))?;
    state
        .store
        .remove_from_campaign(&principal.actor(), id, post)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
