//! Working the inbox together, shared by the API and the pages: which live events a person may
//! receive, bulk changes with a permission check per conversation, internal notes with their
//! @mentions, and the stale-reply check.
//!
//! **Stale replies** (for the reply box): the conversation page carries the id of the latest
//! message it shows (`data-seen-message-id` on the thread, and `seen_message_id` in the reply
//! form if the form includes the hidden input `{{ work.seen_message_id }}`). Before sending,
//! [`staleness`] (or `GET /inbox/c/{id}/stale?seen_message_id=…` from the page's script) says
//! whether the contact wrote after it: `{"state": "stale", "unseen": 2}` → warn, and send only
//! when the person confirms.

use owlery_domain::{
    ConversationId, MessageId, Permission, Target, UserId,
    inbox::{
        Direction,
        live::{BulkAction, MAX_BULK, Staleness, mention_handle, mentioned_handles, parse_note},
    },
};
use owlery_store::{
    inbox::InboxScope,
    inbox_work::{BulkOutcome, NewNote, Note},
    live::LiveEvent,
};
use serde::Serialize;

use crate::{auth::Principal, error::AppError, inbox as shared, state::AppState};

/// Whether a person whose inbox scope is `scope` may receive `event`.
pub fn may_see(scope: &InboxScope, event: &LiveEvent) -> bool {
    match scope {
        InboxScope::All => true,
        InboxScope::Only {
            workspaces,
            channels,
        } => workspaces.contains(&event.workspace_id) || channels.contains(&event.channel_id),
    }
}

/// What became of one conversation of a bulk request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkResult {
    /// Changed (one audit event).
    Changed,
    /// No such conversation that you may see.
    NotFound,
    /// You may see it but not change it (needs inbox:reply on its channel).
    Forbidden,
    /// It already has 20 tags.
    TooManyTags,
}

/// Apply `action` to `ids`: each must be one the person may see and change; the rest are
/// reported per id. All the allowed ones change in one transaction, or none do.
pub async fn bulk(
    state: &AppState,
    principal: &Principal,
    ids: &[ConversationId],
    action: &BulkAction,
) -> Result<Vec<(ConversationId, BulkResult)>, AppError> {
    principal.require_anywhere(Permission::InboxReply)?;
    if ids.is_empty() {
        return Err(
            AppError::bad_request("no_conversations", "Choose at least one conversation.")
                .with_field("ids"),
        );
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::bad_request(
            "too_many_conversations",
            format!(
                "Change at most {MAX_BULK} conversations at once; this asks for {}.",
                ids.len()
            ),
        )
        .with_field("ids"));
    }
    let org = crate::pages::load_organisation(state).await?;
    // What the person may see: with inbox:read, or (a token scoped to inbox:reply) inbox:reply.
    let mut readable = state
        .store
        .conversation_places(
            org.id,
            &shared::scope(principal, Permission::InboxRead),
            ids,
        )
        .await?;
    for p in state
        .store
        .conversation_places(
            org.id,
            &shared::scope(principal, Permission::InboxReply),
            ids,
        )
        .await?
    {
        if !readable.iter().any(|r| r.id == p.id) {
            readable.push(p);
        }
    }
    let mut results: Vec<(ConversationId, BulkResult)> = Vec::with_capacity(ids.len());
    let mut allowed: Vec<ConversationId> = Vec::new();
    for id in ids {
        if results.iter().any(|(r, _)| r == id) {
            continue;
        }
        match readable.iter().find(|p| p.id == *id) {
            None => results.push((*id, BulkResult::NotFound)),
            Some(p) => {
                if principal.access.can(
                    Permission::InboxReply,
                    Target::Channel {
                        workspace: p.workspace_id,
                        channel: p.channel_id,
                    },
                ) {
                    allowed.push(*id);
                } else {
                    results.push((*id, BulkResult::Forbidden));
                }
            }
        }
    }
    let outcomes = state
        .store
        .bulk_update_conversations(
            &principal.actor(),
            org.id,
            &shared::scope(principal, Permission::InboxReply),
            &allowed,
            action,
        )
        .await?;
    for (id, o) in outcomes {
        results.push((
            id,
            match o {
                BulkOutcome::Changed => BulkResult::Changed,
                BulkOutcome::NotFound => BulkResult::NotFound,
                BulkOutcome::TooManyTags => BulkResult::TooManyTags,
            },
        ));
    }
    // In the order asked.
    results.sort_by_key(|(id, _)| ids.iter().position(|x| x == id).unwrap_or(usize::MAX));
    Ok(results)
}

/// A person who can be @mentioned: an active member of the organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Mentionable {
    pub id: UserId,
    pub name: String,
    /// What to type after `@`.
    pub handle: String,
}

pub async fn mentionable(state: &AppState) -> Result<Vec<Mentionable>, AppError> {
    let users = state.store.list_users(None, 500).await?;
    Ok(users
        .into_iter()
        .filter(|u| u.status != owlery_domain::user::UserStatus::Disabled)
        .map(|u| Mentionable {
            id: u.id,
            handle: mention_handle(&u.email),
            name: u.name,
        })
        .collect())
}

/// Add an internal note: the person needs `inbox:reply` on the conversation's channel. Mentioned
/// handles that match an active person notify them; others stay plain text.
pub async fn add_note(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
    text: &str,
) -> Result<Note, AppError> {
    principal.require_anywhere(Permission::InboxReply)?;
    let org = crate::pages::load_organisation(state).await?;
    // Like any change to a conversation: it must be one where the person may reply.
    let read = shared::scope(principal, Permission::InboxReply);
    let place = state
        .store
        .conversation_places(org.id, &read, &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("conversation"))?;
    principal.require(
        Permission::InboxReply,
        Target::Channel {
            workspace: place.workspace_id,
            channel: place.channel_id,
        },
    )?;
    let text = parse_note(text)?;
    let handles = mentioned_handles(&text);
    let people = if handles.is_empty() {
        Vec::new()
    } else {
        mentionable(state).await?
    };
    let mentions: Vec<UserId> = handles
        .iter()
        .filter_map(|h| people.iter().find(|p| &p.handle == h).map(|p| p.id))
        .collect();
    Ok(state
        .store
        .add_note(
            &principal.actor(),
            org.id,
            &read,
            &NewNote {
                conversation: id,
                author: principal.user.id,
                text: &text,
                mentions: &mentions,
            },
        )
        .await?)
}

/// Whether a reply written on a view that saw `seen` is stale (see the module documentation).
pub async fn staleness(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
    seen: Option<MessageId>,
) -> Result<Staleness, AppError> {
    principal.require_anywhere(Permission::InboxRead)?;
    let org = crate::pages::load_organisation(state).await?;
    let d = state
        .store
        .conversation(org.id, &shared::scope(principal, Permission::InboxRead), id)
        .await?;
    let thread: Vec<(MessageId, bool)> = d
        .messages
        .iter()
        .map(|m| (m.id, m.direction == Direction::Inbound))
        .collect();
    Ok(owlery_domain::inbox::live::staleness(seen, &thread))
}
