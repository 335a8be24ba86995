//! The publishing engine's controls, shared by the API (`api/engine.rs`) and the pages
//! (`pages/engine.rs`): who may pause and resume what, the posts that wait for a person as the
//! caller may see them, and sending a held post again. The rules themselves (what a pause holds,
//! what lateness means) are in `owlery-domain` and the store; this is the permission edge.
//!
//! Who may do what:
//! - pause or resume the organisation: `crisis:manage` for the whole organisation;
//! - pause or resume a workspace: `crisis:manage` on it; a channel: `crisis:manage` on it (a
//!   workspace grant covers its channels);
//! - see what waits: a posts permission (draft, publish or approve) on the variant's channel;
//! - send again, reschedule, cancel, resolve: `posts:publish` on the variant's channel.

use std::collections::HashMap;

use axum::http::StatusCode;
use owlery_domain::{
    ChannelId, Permission, Target, UserId, VariantId, WorkspaceId, post::VariantStatus,
    publishing::engine::PauseScope,
};
use owlery_store::{
    StoreError,
    engine::{Attention, Pause},
    posts::{Post, Variant},
};
use uuid::Uuid;

use crate::{auth::Principal, error::AppError, state::AppState};

/// The posts permissions that let a person see a channel's posts.
const SEE_POSTS: [Permission; 3] = [
    Permission::PostsDraft,
    Permission::PostsPublish,
    Permission::PostsApprove,
];

/// Names of the organisation, its workspaces, channels and people: what pauses and waiting posts
/// are shown with.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub org: String,
    pub workspaces: HashMap<Uuid, String>,
    /// Channel id → (name, workspace).
    pub channels: HashMap<Uuid, (String, WorkspaceId)>,
    pub people: HashMap<Uuid, String>,
}

impl Names {
    pub async fn load(state: &AppState) -> Result<Names, AppError> {
        let org = crate::pages::load_organisation(state).await?;
        let workspaces = state
            .store
            .list_workspaces()
            .await?
            .into_iter()
            .map(|w| (w.id.0, w.name))
            .collect();
        let channels = state
            .store
            .list_channels(None)
            .await?
            .into_iter()
            .map(|c| (c.id.0, (c.name, c.workspace_id)))
            .collect();
        Ok(Names {
            org: org.name,
            workspaces,
            channels,
            people: HashMap::new(),
        })
    }

    /// Also the people who made or lifted these pauses.
    pub async fn with_people(mut self, state: &AppState, pauses: &[Pause]) -> Names {
        let mut ids: Vec<UserId> = Vec::new();
        for p in pauses {
            ids.extend(p.created_by);
            ids.extend(p.lifted_by);
        }
        for id in ids {
            if let std::collections::hash_map::Entry::Vacant(e) = self.people.entry(id.0) {
                // A person removed since is shown without a name rather than failing the page.
                if let Ok(u) = state.store.user(id).await {
                    e.insert(u.name);
                }
            }
        }
        self
    }

    /// What a pause covers, by name.
    pub fn scope_name(&self, p: &Pause) -> String {
        match p.scope {
            PauseScope::Organisation => self.org.clone(),
            PauseScope::Workspace => self
                .workspaces
                .get(&p.scope_id)
                .cloned()
                .unwrap_or_default(),
            PauseScope::Channel => self
                .channels
                .get(&p.scope_id)
                .map(|(n, _)| n.clone())
                .unwrap_or_default(),
        }
    }

    pub fn person(&self, id: Option<UserId>) -> String {
        id.and_then(|u| self.people.get(&u.0).cloned())
            .unwrap_or_default()
    }
}

/// The permission target of a pause's scope. `None` when the workspace or channel is gone.
pub fn pause_target(names: &Names, scope: PauseScope, scope_id: Uuid) -> Option<Target> {
    match scope {
        PauseScope::Organisation => Some(Target::Organisation),
        PauseScope::Workspace => names
            .workspaces
            .contains_key(&scope_id)
            .then_some(Target::Workspace(WorkspaceId(scope_id))),
        PauseScope::Channel => names
            .channels
            .get(&scope_id)
            .map(|(_, ws)| Target::Channel {
                workspace: *ws,
                channel: ChannelId(scope_id),
            }),
    }
}

/// May this person pause or resume at this scope?
pub fn may_manage(principal: &Principal, names: &Names, scope: PauseScope, scope_id: Uuid) -> bool {
    pause_target(names, scope, scope_id)
        .is_some_and(|t| principal.access.can(Permission::CrisisManage, t))
}

/// May this person see this pause? Organisation pauses concern everyone; a workspace's or a
/// channel's, those who see its channels.
pub fn may_see(principal: &Principal, names: &Names, p: &Pause) -> bool {
    match pause_target(names, p.scope, p.scope_id) {
        Some(Target::Organisation) => true,
        Some(t) => principal.access.can(Permission::ChannelsRead, t),
        None => false,
    }
}

/// Check a new pause before it is made: the scope exists in this organisation (else 422 on
/// `scope_id`) and the person may pause it (else 403). Returns the scope id to store.
pub fn check_new_pause(
    principal: &Principal,
    names: &Names,
    org: owlery_domain::OrgId,
    scope: PauseScope,
    scope_id: Option<Uuid>,
) -> Result<Uuid, AppError> {
    principal.require_anywhere(Permission::CrisisManage)?;
    let id = match (scope, scope_id) {
        (PauseScope::Organisation, None) => org.0,
        (PauseScope::Organisation, Some(id)) if id == org.0 => id,
        (PauseScope::Organisation, Some(_)) => {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_scope",
                "Leave scope_id out to pause the whole organisation.",
            )
            .with_field("scope_id"));
        }
        (_, None) => {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_field",
                format!("Say which {} to pause (scope_id).", scope.code()),
            )
            .with_field("scope_id"));
        }
        (_, Some(id)) => id,
    };
    let Some(target) = pause_target(names, scope, id) else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_scope",
            format!("There is no such {} in this organisation.", scope.code()),
        )
        .with_field("scope_id"));
    };
    principal.require(Permission::CrisisManage, target)?;
    Ok(id)
}

/// The pauses this person may see: active ones, or all.
pub async fn visible_pauses(
    state: &AppState,
    principal: &Principal,
    names: &Names,
    active_only: bool,
) -> Result<Vec<Pause>, AppError> {
    let org = crate::pages::load_organisation(state).await?;
    Ok(state
        .store
        .pauses(org.id, active_only)
        .await?
        .into_iter()
        .filter(|p| may_see(principal, names, p))
        .collect())
}

/// Lift a pause, if the person may. 404 for an unknown pause, 409 when already lifted.
pub async fn lift(
    state: &AppState,
    principal: &Principal,
    names: &Names,
    id: Uuid,
) -> Result<Pause, AppError> {
    principal.require_anywhere(Permission::CrisisManage)?;
    let org = crate::pages::load_organisation(state).await?;
    let pause = state
        .store
        .pause(org.id, id)
        .await?
        .ok_or_else(|| AppError::not_found("pause"))?;
    if !may_manage(principal, names, pause.scope, pause.scope_id) {
        return Err(AppError::forbidden());
    }
    if pause.lifted_at.is_some() {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "already_lifted",
            "This pause was already lifted.",
        ));
    }
    state
        .store
        .lift_pause(&principal.actor(), org.id, id)
        .await?;
    Ok(pause)
}

/// May this person see the posts of this channel?
pub fn may_see_channel(principal: &Principal, workspace: WorkspaceId, channel: ChannelId) -> bool {
    let target = Target::Channel { workspace, channel };
    SEE_POSTS.iter().any(|p| principal.access.can(*p, target))
}

/// May this person send, reschedule or cancel posts on this channel?
pub fn may_publish(principal: &Principal, workspace: WorkspaceId, channel: ChannelId) -> bool {
    principal.access.can(
        Permission::PostsPublish,
        Target::Channel { workspace, channel },
    )
}

/// The posts that wait for a person, as far as this person may see them.
pub async fn attention(
    state: &AppState,
    principal: &Principal,
    workspace: Option<WorkspaceId>,
) -> Result<Vec<Attention>, AppError> {
    if !SEE_POSTS.iter().any(|p| principal.access.can_anywhere(*p)) {
        return Err(AppError::forbidden());
    }
    let org = crate::pages::load_organisation(state).await?;
    Ok(state
        .store
        .needs_attention(org.id, workspace)
        .await?
        .into_iter()
        .filter(|a| may_see_channel(principal, a.workspace_id, a.channel_id))
        .collect())
}

/// A variant and its post, for a person who may publish on its channel (404 / 403 otherwise).
pub async fn publishable_variant(
    state: &AppState,
    principal: &Principal,
    id: VariantId,
) -> Result<(Post, Variant), AppError> {
    let post = state
        .store
        .post_of_variant(id)
        .await?
        .ok_or_else(|| AppError::not_found("variant"))?;
    let v = post
        .variant(id)
        .cloned()
        .ok_or_else(|| AppError::not_found("variant"))?;
    if !may_publish(principal, post.workspace_id, v.channel_id) {
        return Err(AppError::forbidden());
    }
    Ok((post, v))
}

/// Send a paused or failed variant again. While a pause still covers its channel: 409
/// `publishing_paused` with the store's message; another status: 409 `not_resumable`.
pub async fn resume(
    state: &AppState,
    principal: &Principal,
    id: VariantId,
) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    let (_, v) = publishable_variant(state, principal, id).await?;
    match state.store.resume_variant(&principal.actor(), id).await {
        Ok(at) => Ok(at),
        Err(StoreError::Conflict { field, message }) => {
            let paused = matches!(v.status, VariantStatus::Paused | VariantStatus::Failed)
                && !state.store.pauses_covering(v.channel_id).await?.is_empty();
            let code = if paused {
                "publishing_paused"
            } else {
                "not_resumable"
            };
            Err(AppError::new(StatusCode::CONFLICT, code, message).with_field(field))
        }
        Err(e) => Err(e.into()),
    }
}

/// "Late by 2 h 5 min": a lateness in seconds, in the language's units.
pub fn late_text(lang: crate::i18n::Lang, seconds: i64) -> String {
    let minutes = (seconds.max(0) + 30) / 60;
    let duration = if minutes < 60 {
        crate::i18n::tr_args(lang, "engine-dur-m", &[("m", minutes.into())])
    } else if minutes < 48 * 60 {
        crate::i18n::tr_args(
            lang,
            "engine-dur-hm",
            &[("h", (minutes / 60).into()), ("m", (minutes % 60).into())],
        )
    } else {
        crate::i18n::tr_args(
            lang,
            "engine-dur-dh",
            &[
                ("d", (minutes / (24 * 60)).into()),
                ("h", (minutes / 60 % 24).into()),
            ],
        )
    };
    crate::i18n::tr_args(lang, "engine-late-by", &[("duration", duration.into())])
}
