//! The community inbox: the unified list of conversations with filters and keyset pages, one
//! conversation with its messages and contact, full-text search, and a person's changes (status,
//! priority, assignee, team, tags).
//!
//! Permissions: reading needs `inbox:read` (a person sees the conversations of the workspaces and
//! channels where they hold it); changing a conversation needs `inbox:reply` on its channel.

use axum::extract::State;
use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, ConversationId, Permission, TeamId, UserId, WorkspaceId,
    inbox::{ConversationStatus, Intent, MessageKind, Priority, Sentiment, SlaState},
};
use owlery_store::inbox::{
    Contact, ConversationFilter, ConversationPatch, ConversationSummary, Cursor, Message,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    Json, Query,
    extract::{ApiId, parse_id},
    list::{self, list_of},
};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    inbox as shared,
    state::AppState,
};

impl ApiId for ConversationId {
    fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactBrief {
    pub id: Uuid,
    pub name: String,
    /// Without the leading `@`.
    pub handle: String,
    pub followers: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationOut {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    pub channel_name: String,
    #[schema(example = "bluesky")]
    pub network: String,
    /// `comment`, `mention` or `dm`.
    #[schema(value_type = String, example = "comment")]
    pub kind: MessageKind,
    /// `open`, `pending` or `closed`.
    #[schema(value_type = String, example = "open")]
    pub status: ConversationStatus,
    /// `low`, `normal`, `high` or `urgent`.
    #[schema(value_type = String, example = "normal")]
    pub priority: Priority,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub team_id: Option<Uuid>,
    pub tags: Vec<String>,
    /// ISO 639-3 of the latest inbound message (`und`: undetermined).
    #[schema(example = "bul")]
    pub language: Option<String>,
    #[schema(value_type = Option<String>, example = "negative")]
    pub sentiment: Option<Sentiment>,
    #[schema(value_type = Option<String>, example = "question")]
    pub intent: Option<Intent>,
    #[schema(value_type = Option<String>, example = "high")]
    pub urgency: Option<owlery_domain::inbox::Urgency>,
    /// First line of the latest message.
    pub preview: String,
    /// The post a comment thread is on (the network's id).
    pub post_remote_id: Option<String>,
    pub first_response_due: Option<DateTime<Utc>>,
    pub first_responded_at: Option<DateTime<Utc>>,
    /// The deadline running now; `null` when nothing awaits a response.
    pub next_response_due: Option<DateTime<Utc>>,
    /// `ok`, `due_soon` (within an hour) or `breached`.
    #[schema(value_type = String, example = "due_soon")]
    pub sla: SlaState,
    pub last_message_at: DateTime<Utc>,
    pub message_count: i64,
    pub unanswered_count: i64,
    pub contact: ContactBrief,
}

impl From<ConversationSummary> for ConversationOut {
    fn from(c: ConversationSummary) -> Self {
        ConversationOut {
            id: c.id.0,
            workspace_id: c.workspace_id.0,
            channel_id: c.channel_id.0,
            channel_name: c.channel_name,
            network: c.network,
            kind: c.kind,
            status: c.status,
            priority: c.priority,
            assignee_id: c.assignee_id.map(|u| u.0),
            assignee_name: c.assignee_name,
            team_id: c.team_id.map(|t| t.0),
            tags: c.tags,
            language: c.language,
            sentiment: c.sentiment,
            intent: c.intent,
            urgency: c.urgency,
            preview: c.preview,
            post_remote_id: c.post_remote_id,
            first_response_due: c.first_response_due,
            first_responded_at: c.first_responded_at,
            next_response_due: c.next_response_due,
            sla: c.sla,
            last_message_at: c.last_message_at,
            message_count: c.message_count,
            unanswered_count: c.unanswered_count,
            contact: ContactBrief {
                id: c.contact.id.0,
                name: c.contact.name,
                handle: c.contact.handle,
                followers: c.contact.followers,
            },
        }
    }
}

list_of!(ConversationList, ConversationOut);

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: Uuid,
    /// The network's id of the message.
    pub remote_id: String,
    /// `inbound` or `outbound`.
    #[schema(value_type = String, example = "inbound")]
    pub direction: owlery_domain::inbox::Direction,
    #[schema(value_type = String, example = "comment")]
    pub kind: MessageKind,
    pub author_contact_id: Option<Uuid>,
    pub author_user_id: Option<Uuid>,
    pub text: String,
    /// Links to the media on the network.
    pub media: Vec<String>,
    /// The original on the network.
    pub url: Option<String>,
    pub in_reply_to: Option<String>,
    /// When it was written, as the network says.
    pub created_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub language: Option<String>,
    #[schema(value_type = Option<String>)]
    pub sentiment: Option<Sentiment>,
    #[schema(value_type = Option<String>)]
    pub intent: Option<Intent>,
    #[schema(value_type = Option<String>)]
    pub urgency: Option<owlery_domain::inbox::Urgency>,
    /// Hidden on the network (by Owlery).
    pub hidden_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Hiding on the network was asked for (a routing rule, or the workspace's abuse setting).
    pub hide_requested_at: Option<DateTime<Utc>>,
    /// Why it could not be hidden on the network.
    pub hide_error: Option<String>,
    /// Answers from Owlery: `pending_approval`, `queued`, `sending`, `sent`, `failed` or
    /// `rejected`; `null` for inbound messages.
    #[schema(value_type = Option<String>, example = "sent")]
    pub delivery: Option<owlery_domain::inbox::Delivery>,
    /// Why an answer failed or was rejected.
    pub delivery_error: Option<String>,
    /// The conversation closes when the answer is sent.
    pub close_on_send: bool,
    /// The routing rule that sent this answer automatically (`null`: a person wrote it).
    pub auto_rule_id: Option<Uuid>,
    /// Liking it on the network was asked for (`liked_at`: done).
    pub like_requested_at: Option<DateTime<Utc>>,
    pub liked_at: Option<DateTime<Utc>>,
    /// Deleting it on the network was asked for (`deleted_at`: gone).
    pub delete_requested_at: Option<DateTime<Utc>>,
    /// Why the last like or delete could not be done.
    pub action_error: Option<String>,
}

impl From<Message> for MessageOut {
    fn from(m: Message) -> Self {
        MessageOut {
            id: m.id.0,
            remote_id: m.remote_id,
            direction: m.direction,
            kind: m.kind,
            author_contact_id: m.author_contact_id.map(|c| c.0),
            author_user_id: m.author_user_id.map(|u| u.0),
            text: m.text,
            media: m.media,
            url: m.url,
            in_reply_to: m.in_reply_to,
            created_at: m.created_at,
            received_at: m.received_at,
            language: m.language,
            sentiment: m.sentiment,
            intent: m.intent,
            urgency: m.urgency,
            hidden_at: m.hidden_at,
            deleted_at: m.deleted_at,
            edited_at: m.edited_at,
            hide_requested_at: m.hide_requested_at,
            hide_error: m.hide_error,
            delivery: m.delivery,
            delivery_error: m.delivery_error,
            close_on_send: m.close_on_send,
            auto_rule_id: m.auto_rule_id.map(|r| r.0),
            like_requested_at: m.like_requested_at,
            liked_at: m.liked_at,
            delete_requested_at: m.delete_requested_at,
            action_error: m.action_error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityOut {
    #[schema(example = "bluesky")]
    pub network: String,
    pub remote_id: String,
    pub handle: String,
    pub name: String,
    pub followers: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: Uuid,
    pub name: String,
    pub handle: String,
    pub followers: Option<i64>,
    pub tags: Vec<String>,
    /// Their accounts on the networks.
    pub identities: Vec<IdentityOut>,
    pub created_at: DateTime<Utc>,
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        ContactOut {
            id: c.id.0,
            name: c.name,
            handle: c.handle,
            followers: c.followers,
            tags: c.tags,
            identities: c
                .identities
                .into_iter()
                .map(|i| IdentityOut {
                    network: i.network,
                    remote_id: i.remote_id,
                    handle: i.handle,
                    name: i.name,
                    followers: i.followers,
                })
                .collect(),
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDetailOut {
    pub conversation: ConversationOut,
    /// Oldest first (the latest 500).
    pub messages: Vec<MessageOut>,
    pub contact: ContactOut,
    /// The contact's other conversations you may see, on any channel, newest first.
    pub history: Vec<ConversationOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationParams {
    pub workspace_id: Option<String>,
    pub channel_id: Option<String>,
    /// A network code (`bluesky`, `x`, `instagram` …).
    pub network: Option<String>,
    /// `open`, `pending` or `closed`.
    pub status: Option<String>,
    /// A user id, `me`, or `none` (unassigned).
    pub assignee: Option<String>,
    pub team_id: Option<String>,
    pub tag: Option<String>,
    /// `negative`, `neutral` or `positive`.
    pub sentiment: Option<String>,
    /// `question`, `complaint`, `praise`, `lead`, `spam`, `abuse` or `other`.
    pub intent: Option<String>,
    /// ISO 639-3 (`eng`, `bul`, `deu` …).
    pub language: Option<String>,
    /// `ok`, `due_soon` or `breached`.
    pub sla: Option<String>,
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

fn parse_code<T>(
    field: &'static str,
    raw: &Option<String>,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>, AppError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            AppError::bad_request(
                "invalid_parameter",
                format!("{field} must be one of {allowed}; '{s}' is not."),
            )
            .with_field(field)
        }),
    }
}

fn optional_id<T: ApiId>(field: &'static str, raw: &Option<String>) -> Result<Option<T>, AppError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse_id(field, s).map(Some),
    }
}

impl ConversationParams {
    /// The store's filter (shared with the inbox page, which reads the same parameters).
    pub fn filter(&self, me: UserId) -> Result<ConversationFilter, AppError> {
        let assignee = match self.assignee.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("me") => Some(Some(me)),
            Some("none") => Some(None),
            Some(s) => Some(Some(parse_id::<UserId>("assignee", s)?)),
        };
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let tag = nonempty(&self.tag).map(|t| t.to_lowercase());
        let language = nonempty(&self.language).map(|l| l.to_lowercase());
        if language.as_ref().is_some_and(|l| l.len() > 8) {
            return Err(AppError::bad_request(
                "invalid_parameter",
                "language is an ISO 639-3 code such as eng or bul.",
            )
            .with_field("language"));
        }
        Ok(ConversationFilter {
            workspace: optional_id::<WorkspaceId>("workspace_id", &self.workspace_id)?,
            channel: optional_id::<ChannelId>("channel_id", &self.channel_id)?,
            network: nonempty(&self.network),
            status: parse_code(
                "status",
                &self.status,
                ConversationStatus::parse,
                "open, pending, closed",
            )?,
            assignee,
            team: optional_id::<TeamId>("team_id", &self.team_id)?,
            tag,
            sentiment: parse_code(
                "sentiment",
                &self.sentiment,
                Sentiment::parse,
                "negative, neutral, positive",
            )?,
            intent: parse_code(
                "intent",
                &self.intent,
                Intent::parse,
                "question, complaint, praise, lead, spam, abuse, other",
            )?,
            language,
            sla: parse_code("sla", &self.sla, SlaState::parse, "ok, due_soon, breached")?,
            contact: None,
        })
    }

    pub fn cursor(&self) -> Result<Option<Cursor>, AppError> {
        match self.cursor.as_deref().filter(|c| !c.trim().is_empty()) {
            None => Ok(None),
            Some(raw) => {
                let inner = list::decode_cursor("inbox", raw)?;
                Cursor::parse(&inner)
                    .map(Some)
                    .map_err(|_| list::invalid_cursor())
            }
        }
    }
}

/// Wrap the store's cursor as an API cursor.
pub fn encode_cursor(c: Option<String>) -> Option<String> {
    c.map(|c| list::cursor("inbox", c))
}

/// The unified inbox: conversations across channels, newest activity first, with filters.
#[utoipa::path(
    get,
    path = "/inbox/conversations",
    tag = "inbox",
    params(ConversationParams),
    responses(
        (status = 200, description = "One page of conversations", body = ConversationList),
        (status = 400, description = "A bad filter, limit or cursor", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_conversations(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ConversationParams>,
) -> ApiResult<Json<ConversationList>> {
    principal.require_anywhere(Permission::InboxRead)?;
    let limit = list::limit(params.limit)?;
    let filter = params.filter(principal.user.id)?;
    let cursor = params.cursor()?;
    let org = crate::pages::load_organisation(&state).await?;
    let scope = shared::scope(&principal, Permission::InboxRead);
    let page = state
        .store
        .list_conversations(
            org.id,
            &scope,
            &filter,
            cursor,
            u32::try_from(limit).unwrap_or(50),
        )
        .await?;
    Ok(Json(ConversationList {
        items: page.items.into_iter().map(ConversationOut::from).collect(),
        next_cursor: encode_cursor(page.next_cursor),
    }))
}

/// One conversation: its messages (oldest first), the contact, and the contact's other
/// conversations.
#[utoipa::path(
    get,
    path = "/inbox/conversations/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The conversation")),
    responses(
        (status = 200, description = "The conversation", body = ConversationDetailOut),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read", body = ErrorBody),
        (status = 404, description = "No such conversation that you may see", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_conversation(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<ConversationId>,
) -> ApiResult<Json<ConversationDetailOut>> {
    principal.require_anywhere(Permission::InboxRead)?;
    let org = crate::pages::load_organisation(&state).await?;
    let scope = shared::scope(&principal, Permission::InboxRead);
    let d = state.store.conversation(org.id, &scope, id).await?;
    Ok(Json(ConversationDetailOut {
        conversation: d.conversation.into(),
        messages: d.messages.into_iter().map(MessageOut::from).collect(),
        contact: d.contact.into(),
        history: d.history.into_iter().map(ConversationOut::from).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (all of them; the last may be the start of a word).
    pub q: String,
    /// Messages to return, 1–100 (default 20).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageHitOut {
    pub message_id: Uuid,
    pub conversation_id: Uuid,
    pub channel_name: String,
    pub network: String,
    pub contact_name: String,
    pub contact_handle: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactHitOut {
    pub id: Uuid,
    pub name: String,
    pub handle: String,
    pub followers: Option<i64>,
    /// Their latest conversation you may see.
    pub latest_conversation: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    /// Newest first.
    pub messages: Vec<MessageHitOut>,
    pub contacts: Vec<ContactHitOut>,
}

/// Full-text search over messages and contacts (names and handles).
#[utoipa::path(
    get,
    path = "/inbox/search",
    tag = "inbox",
    params(SearchParams),
    responses(
        (status = 200, description = "Messages and contacts that match", body = SearchOut),
        (status = 400, description = "No q, or a bad limit", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn search(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchOut>> {
    principal.require_anywhere(Permission::InboxRead)?;
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and 100; {limit} is not."),
        )
        .with_field("limit"));
    }
    if params.q.chars().count() > 200 {
        return Err(AppError::bad_request(
            "invalid_parameter",
            "Search for at most 200 characters.",
        )
        .with_field("q"));
    }
    let org = crate::pages::load_organisation(&state).await?;
    let scope = shared::scope(&principal, Permission::InboxRead);
    let r = state
        .store
        .search_inbox(org.id, &scope, &params.q, limit)
        .await?;
    Ok(Json(SearchOut {
        messages: r
            .messages
            .into_iter()
            .map(|m| MessageHitOut {
                message_id: m.message_id.0,
                conversation_id: m.conversation_id.0,
                channel_name: m.channel_name,
                network: m.network,
                contact_name: m.contact_name,
                contact_handle: m.contact_handle,
                text: m.text,
                created_at: m.created_at,
            })
            .collect(),
        contacts: r
            .contacts
            .into_iter()
            .map(|c| ContactHitOut {
                id: c.id.0,
                name: c.name,
                handle: c.handle,
                followers: c.followers,
                latest_conversation: c.latest_conversation.map(|c| c.0),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversation {
    /// `open`, `pending` or `closed` (closing stops the running deadline).
    #[schema(value_type = Option<String>, example = "closed")]
    pub status: Option<ConversationStatus>,
    /// `low`, `normal`, `high` or `urgent`.
    #[schema(value_type = Option<String>, example = "high")]
    pub priority: Option<Priority>,
    /// A person of the organisation; `null` to unassign.
    #[serde(default, deserialize_with = "super::campaigns::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// A team; `null` for none.
    #[serde(default, deserialize_with = "super::campaigns::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub team_id: Option<Option<Uuid>>,
    /// Replaces the tags (1–40 characters each, no commas; at most 20).
    pub tags: Option<Vec<String>>,
}

/// Change a conversation's status, priority, assignee, team or tags. Audited.
#[utoipa::path(
    patch,
    path = "/inbox/conversations/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The conversation")),
    request_body = UpdateConversation,
    responses(
        (status = 200, description = "The conversation as it is now", body = ConversationOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs inbox:reply on the conversation's channel", body = ErrorBody),
        (status = 404, description = "No such conversation that you may see", body = ErrorBody),
        (status = 422, description = "An unknown status or priority, a bad tag, an unknown assignee or team", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_conversation(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<ConversationId>,
    Json(req): Json<UpdateConversation>,
) -> ApiResult<Json<ConversationOut>> {
    principal.require_anywhere(Permission::InboxReply)?;
    let patch = ConversationPatch {
        status: req.status,
        priority: req.priority,
        assignee: req.assignee_id.map(|a| a.map(UserId)),
        team: req.team_id.map(|t| t.map(TeamId)),
        tags: req.tags,
    };
    let updated = shared::update(&state, &principal, id, &patch).await?;
    Ok(Json(updated.into()))
}
