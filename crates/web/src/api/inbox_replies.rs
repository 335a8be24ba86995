//! Answering from the inbox: send an answer (stored first, sent by the worker), send a failed one
//! again, approve or reject answers that wait for approval, and saved replies.
//!
//! Permissions: answering needs `inbox:reply` on the conversation's channel; approving needs
//! `inbox:approve` there; listing saved replies needs `inbox:reply` anywhere, managing them
//! `org:manage` (a setting).

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{
    ConversationId, MessageId, Permission, Target, WorkspaceId,
    inbox::reply::{ReplyContext, SavedReplyText, render},
};
use owlery_store::{inbox_actions::MessageAction, saved_replies::SavedReply};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    Json, Query,
    extract::{ApiId, parse_id},
    inbox::{ConversationOut, MessageOut},
};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    inbox as shared, inbox_reply,
    state::AppState,
};

impl ApiId for MessageId {
    fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReply {
    /// The answer (trimmed; within the network's limit, counted its way).
    pub text: String,
    /// Close the conversation once the answer is on the network (default: it becomes pending,
    /// waiting for the other side).
    #[serde(default)]
    pub close: bool,
    /// Your key for this answer (1–100 characters): sending the same key again returns the stored
    /// answer instead of making a second one.
    pub client_key: String,
    /// The newest message of the conversation you saw while writing. When the contact wrote
    /// after it, the answer is refused with 409 `stale_view` (saying how many new messages
    /// arrived), unless `send_anyway` is `true`.
    #[schema(value_type = Option<Uuid>)]
    pub seen_message_id: Option<String>,
    /// Send even when new messages arrived after `seen_message_id`.
    #[serde(default)]
    pub send_anyway: bool,
}

/// Answer a conversation. The answer is stored with its delivery state (`queued`, or
/// `pending_approval` when your replies need approval) and sent by the worker; read its state in
/// the conversation's messages. Audited.
#[utoipa::path(
    post,
    path = "/inbox/conversations/{id}/replies",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The conversation")),
    request_body = CreateReply,
    responses(
        (status = 201, description = "Stored; the worker sends it", body = MessageOut),
        (status = 200, description = "This client_key was used already: the answer stored then", body = MessageOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply on the conversation's channel", body = ErrorBody),
        (status = 404, description = "No such conversation that you may answer", body = ErrorBody),
        (status = 409, description = "The client_key was used for another conversation, or new messages arrived after seen_message_id (`stale_view`)", body = ErrorBody),
        (status = 422, description = "Empty, too long for the network, or the network does not let Owlery answer this kind of message", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_reply(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<ConversationId>,
    Json(req): Json<CreateReply>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    principal.require_anywhere(Permission::InboxReply)?;
    let seen = match req.seen_message_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(parse_id::<MessageId>("seen_message_id", raw)?),
    };
    let created = inbox_reply::send(
        &state,
        &principal,
        id,
        &inbox_reply::Outgoing {
            text: &req.text,
            close: req.close,
            client_key: &req.client_key,
            seen_message_id: seen,
            send_anyway: req.send_anyway,
        },
    )
    .await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(created.message.into())))
}

/// Send a failed answer again (it is queued for the worker). Audited.
#[utoipa::path(
    post,
    path = "/inbox/conversations/{id}/replies/{message_id}/retry",
    tag = "inbox",
    params(
        ("id" = Uuid, Path, description = "The conversation"),
        ("message_id" = Uuid, Path, description = "The answer"),
    ),
    responses(
        (status = 200, description = "Queued again", body = MessageOut),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply on the conversation's channel", body = ErrorBody),
        (status = 404, description = "No such conversation or answer", body = ErrorBody),
        (status = 409, description = "The answer has not failed", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry_reply(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Ids(id, message): super::Ids<ConversationId, MessageId>,
) -> ApiResult<Json<MessageOut>> {
    principal.require_anywhere(Permission::InboxReply)?;
    let m = inbox_reply::retry(&state, &principal, id, message).await?;
    Ok(Json(m.into()))
}

/// Like a message on its network (someone else's comment, mention or message), where the
/// network's API allows it; the worker does it and the message's `liked_at` (or `action_error`)
/// says how it went. Asking again changes nothing. Audited.
#[utoipa::path(
    post,
    path = "/inbox/conversations/{id}/messages/{message_id}/like",
    tag = "inbox",
    params(
        ("id" = Uuid, Path, description = "The conversation"),
        ("message_id" = Uuid, Path, description = "The message"),
    ),
    responses(
        (status = 202, description = "Asked for; the worker likes it", body = MessageOut),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply on the conversation's channel", body = ErrorBody),
        (status = 404, description = "No such conversation or message", body = ErrorBody),
        (status = 409, description = "Our own answer, or no longer on the network", body = ErrorBody),
        (status = 422, description = "The network's API cannot like this (the reason is said)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn like_message(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Ids(id, message): super::Ids<ConversationId, MessageId>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    principal.require_anywhere(Permission::InboxReply)?;
    let m =
        crate::inbox_actions::request(&state, &principal, id, message, MessageAction::Like).await?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}

/// Delete a message on its network: someone else's comment on the account's content (where the
/// network's API allows it: Facebook, Instagram, YouTube), or one of Owlery's sent answers (every
/// network that answers). The worker does it; the message's `deleted_at` (or `action_error`)
/// says how it went. The message stays in Owlery, marked deleted. Audited.
#[utoipa::path(
    delete,
    path = "/inbox/conversations/{id}/messages/{message_id}",
    tag = "inbox",
    params(
        ("id" = Uuid, Path, description = "The conversation"),
        ("message_id" = Uuid, Path, description = "The message"),
    ),
    responses(
        (status = 202, description = "Asked for; the worker deletes it", body = MessageOut),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply on the conversation's channel", body = ErrorBody),
        (status = 404, description = "No such conversation or message", body = ErrorBody),
        (status = 409, description = "An answer not sent, or no longer on the network", body = ErrorBody),
        (status = 422, description = "The network's API cannot delete this (the reason is said)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_message(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Ids(id, message): super::Ids<ConversationId, MessageId>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    principal.require_anywhere(Permission::InboxReply)?;
    let m = crate::inbox_actions::request(&state, &principal, id, message, MessageAction::Delete)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(m.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewReply {
    /// `true` to approve (the answer is queued for sending), `false` to reject.
    pub approve: bool,
    /// Why it is rejected (required then; its author reads it).
    pub note: Option<String>,
}

/// Approve or reject an answer that waits for approval. The author is told. Audited.
#[utoipa::path(
    post,
    path = "/inbox/conversations/{id}/replies/{message_id}/review",
    tag = "inbox",
    params(
        ("id" = Uuid, Path, description = "The conversation"),
        ("message_id" = Uuid, Path, description = "The answer"),
    ),
    request_body = ReviewReply,
    responses(
        (status = 200, description = "Approved (queued) or rejected", body = MessageOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:approve on the conversation's channel", body = ErrorBody),
        (status = 404, description = "No such conversation or answer", body = ErrorBody),
        (status = 409, description = "The answer is not waiting for approval", body = ErrorBody),
        (status = 422, description = "A rejection without a reason", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn review_reply(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Ids(id, message): super::Ids<ConversationId, MessageId>,
    Json(req): Json<ReviewReply>,
) -> ApiResult<Json<MessageOut>> {
    principal.require_anywhere(Permission::InboxApprove)?;
    let m = inbox_reply::review(
        &state,
        &principal,
        id,
        message,
        req.approve,
        req.note.as_deref(),
    )
    .await?;
    Ok(Json(m.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PendingReplyOut {
    pub message: MessageOut,
    pub conversation: ConversationOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PendingReplies {
    /// Oldest first.
    pub items: Vec<PendingReplyOut>,
}

/// Answers waiting for approval in the conversations where you may approve them.
#[utoipa::path(
    get,
    path = "/inbox/replies/pending",
    tag = "inbox",
    responses(
        (status = 200, description = "Answers waiting for approval", body = PendingReplies),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:approve", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_pending_replies(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<PendingReplies>> {
    principal.require_anywhere(Permission::InboxApprove)?;
    let org = crate::pages::load_organisation(&state).await?;
    let scope = shared::scope(&principal, Permission::InboxApprove);
    let items = state.store.pending_replies(org.id, &scope).await?;
    Ok(Json(PendingReplies {
        items: items
            .into_iter()
            .map(|(m, c)| PendingReplyOut {
                message: m.into(),
                conversation: c.into(),
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReplyOut {
    pub id: Uuid,
    /// `null`: for the whole organisation.
    pub workspace_id: Option<Uuid>,
    pub name: String,
    /// With variables: `{contact.name}`, `{contact.first_name}`, `{contact.handle}`,
    /// `{agent.name}`, `{channel.name}`.
    pub body: String,
    /// Typed as `/shortcut` in the reply box.
    pub shortcut: Option<String>,
    /// The body rendered for `conversation_id`, when the list was asked for one.
    pub rendered: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn saved_out(r: SavedReply, rendered: Option<String>) -> SavedReplyOut {
    SavedReplyOut {
        id: r.id,
        workspace_id: r.workspace_id.map(|w| w.0),
        name: r.name,
        body: r.body,
        shortcut: r.shortcut,
        rendered,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReplyList {
    pub items: Vec<SavedReplyOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SavedReplyParams {
    /// Render each saved reply for this conversation (and list only those usable in its
    /// workspace).
    pub conversation_id: Option<String>,
}

/// The variables' values in one conversation, for `agent`.
pub async fn reply_context(
    state: &AppState,
    principal: &crate::auth::Principal,
    conversation: ConversationId,
) -> Result<(ReplyContext, WorkspaceId), AppError> {
    let org = crate::pages::load_organisation(state).await?;
    let scope = shared::scope(principal, Permission::InboxReply);
    let c = state
        .store
        .conversation_summary(org.id, &scope, conversation)
        .await?;
    Ok((
        ReplyContext {
            contact_name: Some(c.contact.name.clone()),
            contact_handle: Some(c.contact.handle.clone()),
            agent_name: Some(principal.user.name.clone()),
            channel_name: Some(c.channel_name.clone()),
        },
        c.workspace_id,
    ))
}

/// The organisation's saved replies, by name; with `conversation_id`, rendered for it.
#[utoipa::path(
    get,
    path = "/inbox/saved-replies",
    tag = "inbox",
    params(SavedReplyParams),
    responses(
        (status = 200, description = "Saved replies", body = SavedReplyList),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply", body = ErrorBody),
        (status = 404, description = "No such conversation that you may see", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_saved_replies(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<SavedReplyParams>,
) -> ApiResult<Json<SavedReplyList>> {
    principal.require_anywhere(Permission::InboxReply)?;
    let org = crate::pages::load_organisation(&state).await?;
    let items = match params
        .conversation_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        None => state
            .store
            .saved_replies(org.id, None)
            .await?
            .into_iter()
            .map(|r| saved_out(r, None))
            .collect(),
        Some(raw) => {
            let id: ConversationId = parse_id("conversation_id", raw)?;
            let (ctx, workspace) = reply_context(&state, &principal, id).await?;
            state
                .store
                .saved_replies(org.id, Some(&[workspace]))
                .await?
                .into_iter()
                .map(|r| {
                    let rendered = render(&r.body, &ctx);
                    saved_out(r, Some(rendered))
                })
                .collect()
        }
    };
    Ok(Json(SavedReplyList { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveSavedReply {
    /// 1–80 characters, unique in the organisation.
    pub name: String,
    /// 1–5,000 characters; unknown variables are refused.
    pub body: String,
    /// 1–30 letters, digits, `-` or `_` (without the `/`), unique.
    pub shortcut: Option<String>,
    /// Only for this workspace; `null` or absent: the whole organisation.
    pub workspace_id: Option<Uuid>,
}

async fn save(
    state: &AppState,
    principal: &crate::auth::Principal,
    id: Option<Uuid>,
    req: &SaveSavedReply,
) -> Result<SavedReplyOut, AppError> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    let text = SavedReplyText::parse(&req.name, &req.body, req.shortcut.as_deref())?;
    let org = crate::pages::load_organisation(state).await?;
    let saved = state
        .store
        .save_saved_reply(
            &principal.actor(),
            org.id,
            id,
            req.workspace_id.map(WorkspaceId),
            &text,
            Some(principal.user.id),
        )
        .await?;
    Ok(saved_out(saved, None))
}

/// Create a saved reply. Audited.
#[utoipa::path(
    post,
    path = "/inbox/saved-replies",
    tag = "inbox",
    request_body = SaveSavedReply,
    responses(
        (status = 201, description = "Created", body = SavedReplyOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 409, description = "The name or shortcut is taken", body = ErrorBody),
        (status = 422, description = "A bad name, body (unknown variable) or shortcut", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_saved_reply(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<SaveSavedReply>,
) -> ApiResult<(StatusCode, Json<SavedReplyOut>)> {
    let out = save(&state, &principal, None, &req).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Replace a saved reply. Audited.
#[utoipa::path(
    put,
    path = "/inbox/saved-replies/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The saved reply")),
    request_body = SaveSavedReply,
    responses(
        (status = 200, description = "Saved", body = SavedReplyOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such saved reply", body = ErrorBody),
        (status = 409, description = "The name or shortcut is taken", body = ErrorBody),
        (status = 422, description = "A bad name, body (unknown variable) or shortcut", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_saved_reply(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<Uuid>,
    Json(req): Json<SaveSavedReply>,
) -> ApiResult<Json<SavedReplyOut>> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    Ok(Json(save(&state, &principal, Some(id), &req).await?))
}

/// Delete a saved reply. Audited.
#[utoipa::path(
    delete,
    path = "/inbox/saved-replies/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The saved reply")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such saved reply", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_saved_reply(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<Uuid>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    let org = crate::pages::load_organisation(&state).await?;
    state
        .store
        .delete_saved_reply(&principal.actor(), org.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
