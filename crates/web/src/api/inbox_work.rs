//! Working the inbox: bulk changes to many conversations, saved views, and internal notes.
//!
//! Permissions: bulk changes need `inbox:reply` on each conversation's channel (checked per
//! conversation and reported per id); views need `inbox:read` (a view is changed or deleted by
//! its owner, or by someone with `org:manage`); notes are read with `inbox:read` and written with
//! `inbox:reply` on the conversation's channel.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{
    ConversationId, Permission, Target, TeamId, UserId,
    inbox::live::{BulkAction, ViewVisibility, normalise_view_query, parse_view_name},
};
use owlery_store::inbox_work::{Note, SavedView, ViewInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Json, extract::ApiId, list::list_of};
use crate::{
    auth::{ApiPrincipal, Principal},
    error::{ApiResult, AppError, ErrorBody},
    inbox as shared,
    inbox_live::{self, BulkResult},
    state::AppState,
};

/// A saved view's id in a path.
#[derive(Debug, Clone, Copy)]
pub struct ViewId(pub Uuid);

impl ApiId for ViewId {
    fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// The conversations (at most 100).
    pub ids: Vec<Uuid>,
    /// `close`, `reopen`, `assign`, `tag` (adds one tag) or `priority`.
    #[schema(example = "close")]
    pub action: String,
    /// For `assign`: a person of the organisation, or `null` to unassign.
    pub assignee_id: Option<Uuid>,
    /// For `tag`: the tag to add.
    pub tag: Option<String>,
    /// For `priority`: `low`, `normal`, `high` or `urgent`.
    pub priority: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItemOut {
    pub id: Uuid,
    /// `changed`, `not_found`, `forbidden` or `too_many_tags`.
    #[schema(value_type = String, example = "changed")]
    pub result: BulkResult,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkOut {
    /// One entry per conversation asked for, in order.
    pub results: Vec<BulkItemOut>,
    /// How many changed.
    pub changed: usize,
}

/// Change many conversations at once: close, reopen, assign, add a tag, or set the priority.
/// Each conversation is checked on its own (results per id); those allowed change together in
/// one transaction, with one audit event each — a failure changes none of them.
#[utoipa::path(
    post,
    path = "/inbox/conversations/bulk",
    tag = "inbox",
    request_body = BulkRequest,
    responses(
        (status = 200, description = "What became of each conversation", body = BulkOut),
        (status = 400, description = "Malformed JSON, no ids or more than 100", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply", body = ErrorBody),
        (status = 422, description = "An unknown action, priority or assignee, or a bad tag", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn bulk_update(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<BulkRequest>,
) -> ApiResult<Json<BulkOut>> {
    principal.require_anywhere(Permission::InboxReply)?;
    let action = BulkAction::parse(
        &req.action,
        req.assignee_id.map(UserId),
        req.tag.as_deref(),
        req.priority.as_deref(),
    )?;
    let ids: Vec<ConversationId> = req.ids.iter().copied().map(ConversationId).collect();
    let results = inbox_live::bulk(&state, &principal, &ids, &action).await?;
    Ok(Json(BulkOut {
        changed: results
            .iter()
            .filter(|(_, r)| *r == BulkResult::Changed)
            .count(),
        results: results
            .into_iter()
            .map(|(id, result)| BulkItemOut { id: id.0, result })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewOut {
    pub id: Uuid,
    pub name: String,
    /// The inbox list's query string: pass it to `GET /inbox/conversations` (or open
    /// `/inbox?<query>`). `q` is the search words.
    #[schema(example = "status=open&sentiment=negative")]
    pub query: String,
    /// `private`, `team` or `organisation`.
    #[schema(value_type = String, example = "organisation")]
    pub visibility: ViewVisibility,
    pub team_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SavedView> for ViewOut {
    fn from(v: SavedView) -> Self {
        ViewOut {
            id: v.id,
            name: v.name,
            query: v.query,
            visibility: v.visibility,
            team_id: v.team_id.map(|t| t.0),
            owner_id: v.owner_id.0,
            owner_name: v.owner_name,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

list_of!(ViewList, ViewOut);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewIn {
    /// 1–60 characters.
    pub name: String,
    /// The list's filters as a query string; only the list's parameters are kept.
    #[schema(example = "status=open&assignee=me")]
    pub query: String,
    /// `private` (default), `team` (with `team_id`) or `organisation`.
    #[schema(value_type = Option<String>)]
    pub visibility: Option<String>,
    pub team_id: Option<Uuid>,
}

impl ViewIn {
    fn input(&self) -> Result<ViewInput, AppError> {
        let visibility = match self.visibility.as_deref() {
            None | Some("") => ViewVisibility::Private,
            Some(v) => ViewVisibility::parse(v).ok_or_else(|| {
                AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_visibility",
                    "visibility must be one of private, team, organisation.",
                )
                .with_field("visibility")
            })?,
        };
        Ok(ViewInput {
            name: parse_view_name(&self.name)?,
            query: normalise_view_query(&self.query)?,
            visibility,
            team_id: self.team_id.map(TeamId),
        })
    }
}

/// Whether `principal` may change or delete `view`.
pub fn may_manage_view(principal: &Principal, view: &SavedView) -> bool {
    view.owner_id == principal.user.id
        || principal
            .access
            .can(Permission::OrgManage, Target::Organisation)
}

/// The saved views you see: your own, your teams' and the organisation's.
#[utoipa::path(
    get,
    path = "/inbox/views",
    tag = "inbox",
    responses(
        (status = 200, description = "The views, by name", body = ViewList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_views(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<ViewList>> {
    principal.require_anywhere(Permission::InboxRead)?;
    let org = crate::pages::load_organisation(&state).await?;
    let views = state.store.list_views(org.id, principal.user.id).await?;
    Ok(Json(ViewList::whole(
        views.into_iter().map(ViewOut::from).collect(),
    )))
}

/// Save the list's filters as a named view, private or shared with a team or the organisation.
/// Audited.
#[utoipa::path(
    post,
    path = "/inbox/views",
    tag = "inbox",
    request_body = ViewIn,
    responses(
        (status = 201, description = "The view", body = ViewOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read", body = ErrorBody),
        (status = 422, description = "A bad name, visibility or team", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_view(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<ViewIn>,
) -> ApiResult<(StatusCode, Json<ViewOut>)> {
    principal.require_anywhere(Permission::InboxRead)?;
    let input = req.input()?;
    let org = crate::pages::load_organisation(&state).await?;
    let v = state
        .store
        .create_view(&principal.actor(), org.id, principal.user.id, &input)
        .await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Change a view (its owner, or someone with org:manage). Audited.
#[utoipa::path(
    patch,
    path = "/inbox/views/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The view")),
    request_body = ViewIn,
    responses(
        (status = 200, description = "The view as it is now", body = ViewOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read, and to own the view or org:manage", body = ErrorBody),
        (status = 404, description = "No such view that you see", body = ErrorBody),
        (status = 422, description = "A bad name, visibility or team", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_view(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(ViewId(id)): super::Id<ViewId>,
    Json(req): Json<ViewIn>,
) -> ApiResult<Json<ViewOut>> {
    principal.require_anywhere(Permission::InboxRead)?;
    let org = crate::pages::load_organisation(&state).await?;
    let view = state.store.view(org.id, principal.user.id, id).await?;
    if !may_manage_view(&principal, &view) {
        return Err(AppError::forbidden());
    }
    let input = req.input()?;
    let v = state
        .store
        .update_view(&principal.actor(), org.id, principal.user.id, id, &input)
        .await?;
    Ok(Json(v.into()))
}

/// Delete a view (its owner, or someone with org:manage). Audited.
#[utoipa::path(
    delete,
    path = "/inbox/views/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The view")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read, and to own the view or org:manage", body = ErrorBody),
        (status = 404, description = "No such view that you see", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_view(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(ViewId(id)): super::Id<ViewId>,
) -> ApiResult<StatusCode> {
    principal.require_anywhere(Permission::InboxRead)?;
    let org = crate::pages::load_organisation(&state).await?;
    let view = state.store.view(org.id, principal.user.id, id).await?;
    if !may_manage_view(&principal, &view) {
        return Err(AppError::forbidden());
    }
    state
        .store
        .delete_view(&principal.actor(), org.id, principal.user.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    pub text: String,
    /// The people it mentions (each was notified).
    pub mentions: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<Note> for NoteOut {
    fn from(n: Note) -> Self {
        NoteOut {
            id: n.id,
            conversation_id: n.conversation_id.0,
            author_id: n.author_id.0,
            author_name: n.author_name,
            text: n.text,
            mentions: n.mentions.into_iter().map(|u| u.0).collect(),
            created_at: n.created_at,
        }
    }
}

list_of!(NoteList, NoteOut);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// 1–5,000 characters. `@handle` (the part of a person's e-mail address before the `@`)
    /// mentions them: they are notified in the app and by e-mail.
    pub text: String,
}

/// A conversation's internal notes, oldest first. Notes are for staff: never sent to the network.
#[utoipa::path(
    get,
    path = "/inbox/conversations/{id}/notes",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The conversation")),
    responses(
        (status = 200, description = "The notes", body = NoteList),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read", body = ErrorBody),
        (status = 404, description = "No such conversation that you may see", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_notes(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<ConversationId>,
) -> ApiResult<Json<NoteList>> {
    principal.require_anywhere(Permission::InboxRead)?;
    let org = crate::pages::load_organisation(&state).await?;
    let scope = shared::scope(&principal, Permission::InboxRead);
    if state
        .store
        .conversation_places(org.id, &scope, &[id])
        .await?
        .is_empty()
    {
        return Err(AppError::not_found("conversation"));
    }
    let notes = state.store.notes(id).await?;
    Ok(Json(NoteList::whole(
        notes.into_iter().map(NoteOut::from).collect(),
    )))
}

/// Add an internal note (audited); `@handle` mentions notify those people.
#[utoipa::path(
    post,
    path = "/inbox/conversations/{id}/notes",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The conversation")),
    request_body = NoteIn,
    responses(
        (status = 201, description = "The note", body = NoteOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply on the conversation's channel", body = ErrorBody),
        (status = 404, description = "No such conversation that you may see", body = ErrorBody),
        (status = 422, description = "An empty or too long note", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_note(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<ConversationId>,
    Json(req): Json<NoteIn>,
) -> ApiResult<(StatusCode, Json<NoteOut>)> {
    principal.require_anywhere(Permission::InboxReply)?;
    let note = inbox_live::add_note(&state, &principal, id, &req.text).await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}
