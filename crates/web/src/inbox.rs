//! The inbox rules shared by the API and the pages: which conversations a person sees, and the
//! one path by which a person changes a conversation.

use owlery_domain::{ConversationId, Permission, Scope, Target, inbox::ConversationStatus};
use owlery_store::inbox::{ConversationPatch, ConversationSummary, InboxScope};

use crate::{auth::Principal, error::AppError, state::AppState};

/// Where `principal` holds `permission`: everything (an organisation grant), or some workspaces
/// and channels. A token without the permission sees nothing.
pub fn scope(principal: &Principal, permission: Permission) -> InboxScope {
    if !principal.access.can_anywhere(permission) {
        return InboxScope::Only {
            workspaces: Vec::new(),
            channels: Vec::new(),
        };
    }
    let grants = principal.access.grants();
    if grants
        .iter()
        .any(|g| g.scope == Scope::Organisation && g.role.has(permission))
    {
        return InboxScope::All;
    }
    let mut workspaces = Vec::new();
    let mut channels = Vec::new();
    for g in grants.iter().filter(|g| g.role.has(permission)) {
        match g.scope {
            Scope::Workspace(w) => workspaces.push(w),
            Scope::Channel(c) => channels.push(c),
            Scope::Organisation => {}
        }
    }
    InboxScope::Only {
        workspaces,
        channels,
    }
}

/// Change a conversation: it must be one the person may see, and they need `inbox:reply` on its
/// channel. Audited by the store.
pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
    patch: &ConversationPatch,
) -> Result<ConversationSummary, AppError> {
    let org = crate::pages::load_organisation(state).await?;
    let visible = scope(principal, Permission::InboxReply);
    let detail = state.store.conversation(org.id, &visible, id).await?;
    let c = &detail.conversation;
    principal.require(
        Permission::InboxReply,
        Target::Channel {
            workspace: c.workspace_id,
            channel: c.channel_id,
        },
    )?;
    Ok(state
        .store
        .update_conversation(&principal.actor(), org.id, &visible, id, patch)
        .await?)
}

/// The statuses a person can choose, in the order shown.
pub const STATUSES: [ConversationStatus; 3] = [
    ConversationStatus::Open,
    ConversationStatus::Pending,
    ConversationStatus::Closed,
];
