//! Grants: a role given to a person at a scope (the organisation, a workspace or a channel).
//! Listing needs `users:read`; granting and revoking need `roles:grant`, and only an Owner may
//! grant or revoke the Owner role.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, GrantId, InvalidInput, Permission, Role, Scope, Target, UserId, WorkspaceId,
};
use owlery_store::{StoreError, users::GrantRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Id, Json, list::list_of};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

/// What kind of place a role is granted at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    Organisation,
    Workspace,
    Channel,
}

/// Where a role applies: `{"kind": "organisation"}`, `{"kind": "workspace", "id": "…"}` or
/// `{"kind": "channel", "id": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    pub kind: ScopeKind,
    /// The workspace's or channel's id; absent for the organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

impl From<Scope> for ScopeBody {
    fn from(s: Scope) -> Self {
        match s {
            Scope::Organisation => ScopeBody {
                kind: ScopeKind::Organisation,
                id: None,
            },
            Scope::Workspace(w) => ScopeBody {
                kind: ScopeKind::Workspace,
                id: Some(w.0),
            },
            Scope::Channel(c) => ScopeBody {
                kind: ScopeKind::Channel,
                id: Some(c.0),
            },
        }
    }
}

/// A role granted to a person at a scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Grant {
    pub id: Uuid,
    pub user_id: Uuid,
    /// A role code (see `GET /roles`).
    #[schema(example = "publisher")]
    pub role: String,
    pub scope: ScopeBody,
    /// Who granted it (`null` when it was the system or the command line).
    pub granted_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<&GrantRecord> for Grant {
    fn from(g: &GrantRecord) -> Self {
        Grant {
            id: g.id.0,
            user_id: g.user_id.0,
            role: g.role.code().to_owned(),
            scope: g.scope.into(),
            granted_by: g.granted_by.map(|u| u.0),
            created_at: g.created_at,
        }
    }
}

list_of!(GrantList, Grant);

/// A role code from a request.
pub fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw).ok_or_else(|| {
        InvalidInput::new(
            "role",
            "invalid_role",
            format!(
                "'{raw}' is not a role; use one of: {}.",
                Role::ALL.map(Role::code).join(", ")
            ),
        )
        .into()
    })
}

/// The scope a request names, checked: an id where one is needed and none where it is not, a
/// workspace or channel that exists, and Owner only for the whole organisation.
pub async fn resolve_scope(
    state: &AppState,
    body: Option<&ScopeBody>,
    role: Role,
) -> Result<Scope, AppError> {
    let scope = match body {
        None => Scope::Organisation,
        Some(ScopeBody {
            kind: ScopeKind::Organisation,
            id: None,
        }) => Scope::Organisation,
        Some(ScopeBody {
            kind: ScopeKind::Organisation,
            id: Some(_),
        }) => {
            return Err(InvalidInput::new(
                "scope.id",
                "unexpected_id",
                "An organisation-wide grant has no id; leave scope.id out.",
            )
            .into());
        }
        Some(ScopeBody { id: None, .. }) => {
            return Err(InvalidInput::new(
                "scope.id",
                "required",
                "Say which workspace or channel: scope.id is its id.",
            )
            .into());
        }
        Some(ScopeBody {
            kind: ScopeKind::Workspace,
            id: Some(id),
        }) => {
            let id = WorkspaceId(*id);
            exists(state.store.workspace(id).await, "workspace")?;
            Scope::Workspace(id)
        }
        Some(ScopeBody {
            kind: ScopeKind::Channel,
            id: Some(id),
        }) => {
            let id = ChannelId(*id);
            exists(state.store.channel(id).await, "channel")?;
            Scope::Channel(id)
        }
    };
    if role == Role::Owner && scope != Scope::Organisation {
        return Err(InvalidInput::new(
            "scope",
            "owner_scope",
            "Owner is granted for the whole organisation only.",
        )
        .into());
    }
    Ok(scope)
}

/// A reference inside a request body that points at nothing is the body's mistake: 422.
fn exists<T>(found: Result<T, StoreError>, what: &'static str) -> Result<(), AppError> {
    match found {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound(_)) => Err(InvalidInput::new(
            "scope.id",
            "unknown_scope_target",
            format!("There is no {what} with this id."),
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// The roles granted to a person.
#[utoipa::path(
    get,
    path = "/users/{id}/grants",
    tag = "grants",
    params(("id" = Uuid, Path, description = "The person's id")),
    responses(
        (status = 200, description = "Their grants, oldest first", body = GrantList),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs users:read", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_grants(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(user): Id<UserId>,
) -> ApiResult<Json<GrantList>> {
    principal.require(Permission::UsersRead, Target::Organisation)?;
    state.store.user(user).await?;
    let grants = state.store.grants_of(user).await?;
    Ok(Json(GrantList::whole(
        grants.iter().map(Grant::from).collect(),
    )))
}

/// A role to grant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrant {
    #[schema(example = "approver")]
    pub role: String,
    pub scope: ScopeBody,
}

/// Grant a person a role at a scope.
#[utoipa::path(
    post,
    path = "/users/{id}/grants",
    tag = "grants",
    params(("id" = Uuid, Path, description = "The person's id")),
    request_body = CreateGrant,
    responses(
        (status = 201, description = "Granted", body = Grant),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs roles:grant; only an Owner grants Owner", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "Already granted there", body = ErrorBody),
        (status = 422, description = "A field is not valid, or the scope's workspace or channel does not exist", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_grant(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(user): Id<UserId>,
    Json(body): Json<CreateGrant>,
) -> ApiResult<(StatusCode, Json<Grant>)> {
    principal.require(Permission::RolesGrant, Target::Organisation)?;
    let role = parse_role(&body.role)?;
    if !role.grantable_by(&principal.access) {
        return Err(AppError::forbidden());
    }
    state.store.user(user).await?;
    let scope = resolve_scope(&state, Some(&body.scope), role).await?;
    let record = state
        .store
        .grant_role(
            &principal.actor(),
            user,
            owlery_domain::Grant { role, scope },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Grant::from(&record))))
}

/// Revoke a grant.
#[utoipa::path(
    delete,
    path = "/grants/{id}",
    tag = "grants",
    params(("id" = Uuid, Path, description = "The grant's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs roles:grant; only an Owner revokes Owner", body = ErrorBody),
        (status = 404, description = "No such grant", body = ErrorBody),
        (status = 409, description = "It is the organisation's last Owner", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_grant(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<GrantId>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::RolesGrant, Target::Organisation)?;
    let grant = state.store.grant(id).await?;
    if !grant.role.grantable_by(&principal.access) {
        return Err(AppError::forbidden());
    }
    state.store.revoke_grant(&principal.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
