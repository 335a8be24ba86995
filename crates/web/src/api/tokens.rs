//! `/tokens`: the caller's personal API tokens. Any valid token may list and create the caller's
//! own tokens; revoking someone else's needs `users:manage`.
//!
//! A token never carries more than its creator: its scopes must be held by the caller (through a
//! scoped token, only within that token's scopes), and a token made with a scoped token without
//! naming scopes inherits that token's scopes instead of its owner's full rights.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{
    InvalidInput, Permission, Target, TokenId,
    token::{parse_expiry, parse_scopes},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Id, Json, list::list_of};
use crate::{
    auth::{ApiPrincipal, principal::Via},
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub id: Uuid,
    pub name: String,
    /// Permission codes the token is narrowed to; empty: its owner's full rights.
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<owlery_store::tokens::ApiToken> for Token {
    fn from(t: owlery_store::tokens::ApiToken) -> Self {
        Token {
            id: t.id.0,
            name: t.name,
            scopes: t.scopes.iter().map(|p| p.code().to_owned()).collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

list_of!(TokenList, Token);

/// The caller's tokens, newest first (revoked and expired ones included).
#[utoipa::path(
    get,
    path = "/tokens",
    tag = "tokens",
    responses(
        (status = 200, description = "The caller's tokens", body = TokenList),
        (status = 401, description = "No valid token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_tokens(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<TokenList>> {
    // Any valid token may see its owner's own tokens: no permission beyond being the owner.
    let tokens = state.store.list_tokens(principal.user.id).await?;
    Ok(Json(TokenList::whole(
        tokens.into_iter().map(Token::from).collect(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(example = "CI deploys")]
    pub name: String,
    /// Permission codes to narrow the token to, such as `["users:read"]`; each must be one the
    /// caller holds. Left out or empty: the caller's own rights.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// 1–366 days; 90 when left out.
    #[schema(minimum = 1, maximum = 366)]
    pub expires_in_days: Option<i64>,
}

/// A new token with its secret, which is shown only this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret to send as `Authorization: Bearer <token>`. Owlery keeps only its hash: store
    /// it now, it cannot be shown again.
    #[schema(example = "owl_Xq3…")]
    pub token: String,
    #[serde(flatten)]
    pub info: Token,
}

/// Create a personal API token for the caller.
#[utoipa::path(
    post,
    path = "/tokens",
    tag = "tokens",
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created; the secret is in `token`", body = CreatedToken),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 422, description = "A field is not valid, or a scope is not held (`scope_not_held`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_token(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    // No permission is needed to make a token for oneself; what it may do is bounded below.
    let mut scopes = parse_scopes(body.scopes.iter().map(String::as_str))?;
    if let Some(missing) = scopes.iter().find(|p| !principal.access.can_anywhere(**p)) {
        return Err(InvalidInput::new(
            "scopes",
            "scope_not_held",
            format!(
                "You do not hold '{}', so a token of yours cannot either.",
                missing.code()
            ),
        )
        .into());
    }
    if scopes.is_empty() {
        scopes = caller_scopes(&state, &principal.via).await?;
    }
    let expires_at = parse_expiry(body.expires_in_days, state.store.now())?;
    let (secret, token) = state
        .store
        .create_token(
            &principal.actor(),
            principal.user.id,
            &body.name,
            &scopes,
            expires_at,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret,
            info: token.into(),
        }),
    ))
}

/// The scopes of the token the caller is using (empty: unscoped).
async fn caller_scopes(state: &AppState, via: &Via) -> ApiResult<Vec<Permission>> {
    match via {
        Via::Token(id) => Ok(state.store.token(*id).await?.scopes),
        Via::Session(_) => Ok(Vec::new()),
    }
}

/// Revoke a token: the caller's own, or anyone's with `users:manage`.
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    tag = "tokens",
    params(("id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked (or it already was)"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Someone else's token, and no users:manage", body = ErrorBody),
        (status = 404, description = "No such token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_token(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<TokenId>,
) -> ApiResult<StatusCode> {
    let token = state.store.token(id).await?;
    if token.user_id != principal.user.id {
        principal.require(Permission::UsersManage, Target::Organisation)?;
    }
    if token.revoked_at.is_none() {
        match state.store.revoke_token(&principal.actor(), id).await {
            // Revoked concurrently: the outcome the caller asked for.
            Ok(()) | Err(owlery_store::StoreError::NotFound(_)) => {}
            Err(e) => return Err(AppError::from(e)),
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
