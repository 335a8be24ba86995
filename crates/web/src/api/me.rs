//! `/me`: who the token belongs to and what it may do. Any valid token may ask.

use axum::extract::State;
use chrono::{DateTime, Utc};
use owlery_domain::Permission;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Json, users::User};
use crate::{
    auth::{ApiPrincipal, principal::Via},
    error::{ApiResult, ErrorBody},
    state::AppState,
};

/// The token a request was made with.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentToken {
    pub id: Uuid,
    pub name: String,
    /// Permission codes the token is narrowed to; empty: its owner's full rights.
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's owner, with their grants.
    pub user: User,
    pub token: Option<CurrentToken>,
    /// The permission codes this token may use somewhere: its owner's grants narrowed by its
    /// scopes. Each request is still checked against what it touches (a workspace Publisher may
    /// publish in that workspace only).
    pub permissions: Vec<String>,
    /// Whether the token acts as an organisation Owner (an unscoped token of an Owner).
    pub is_owner: bool,
}

/// The caller, their grants and effective permissions.
#[utoipa::path(
    get,
    path = "/me",
    tag = "me",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "No valid token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_me(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<Me>> {
    // Any valid token may see itself: no permission is needed beyond authentication.
    let token = match &principal.via {
        Via::Token(id) => {
            let t = state.store.token(*id).await?;
            Some(CurrentToken {
                id: t.id.0,
                name: t.name,
                scopes: t.scopes.iter().map(|p| p.code().to_owned()).collect(),
                expires_at: t.expires_at,
            })
        }
        Via::Session(_) => None,
    };
    let permissions = Permission::ALL
        .into_iter()
        .filter(|p| principal.access.can_anywhere(*p))
        .map(|p| p.code().to_owned())
        .collect();
    Ok(Json(Me {
        user: super::users::load(&state, principal.user.id).await?,
        token,
        permissions,
        is_owner: principal.access.is_owner(),
    }))
}
