//! Personal API tokens: hashed at rest, scoped, expiring, revocable.

use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    Permission, TokenId, UserId,
    audit::Actor,
    token::{TOKEN_PREFIX, token_hash},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError, sessions::new_secret};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// Empty: the owner's own permissions.
    pub scopes: Vec<Permission>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    scopes: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    fn into_token(self) -> Result<ApiToken> {
        let scopes = match self.scopes.as_deref() {
            None | Some("") => vec![],
            Some(s) => owlery_domain::token::parse_scopes([s])
                .map_err(|e| StoreError::Corrupt(format!("token scopes: {e}")))?,
        };
        Ok(ApiToken {
            id: TokenId(self.id),
            user_id: UserId(self.user_id),
            name: self.name,
            scopes,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        })
    }
}

const TOKEN_COLUMNS: &str =
    "id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked_at";

/// Why a presented token was refused, for a specific 401 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Unknown,
    Revoked,
    Expired,
}

impl Store {
    /// Create a token; returns the secret (shown once) and the record.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user: UserId,
        name: &str,
        scopes: &[Permission],
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(String, ApiToken)> {
        let name = owlery_domain::user::DisplayName::parse("name", name)?;
        let now = self.now();
        let secret = format!("{TOKEN_PREFIX}{}", new_secret());
        let token = ApiToken {
            id: TokenId::new(),
            user_id: user,
            name: name.as_str().to_owned(),
            scopes: scopes.to_vec(),
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        let scope_text = scopes
            .iter()
            .map(|p| p.code())
            .collect::<Vec<_>>()
            .join(" ");
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token.id.0)
            .bind(user.0)
            .bind(&token.name)
            .bind(token_hash(&secret))
            .bind(&scope_text)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "token.create",
                    "token",
                    Some(token.id.to_string()),
                    None,
                    Some(serde_json::json!({
                        "user_id": user, "name": token.name, "scopes": scope_text, "expires_at": expires_at
                    }))
                ),
                now
            );
            Ok((secret.clone(), token.clone()))
        })
    }

    pub async fn list_tokens(&self, user: UserId) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC"
        );
        let rows: Vec<TokenRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(user.0)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    pub async fn token(&self, id: TokenId) -> Result<ApiToken> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1");
        let row: Option<TokenRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound("token"))?.into_token()
    }

    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("token"));
            }
            append_audit!(
                tx,
                pg,
                actor.entry("token.revoke", "token", Some(id.to_string()), None, None),
                now
            );
            Ok(())
        })
    }

    /// The token behind a presented secret, if it may be used now. Notes its last use (at most once
    /// a minute, so a busy integration does not write on every call).
    pub async fn authenticate_token(
        &self,
        secret: &str,
    ) -> Result<std::result::Result<ApiToken, TokenRefusal>> {
        let now = self.now();
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        let row: Option<TokenRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(token_hash(secret))
                .fetch_optional(pool)
                .await?
        });
        let Some(token) = row.map(TokenRow::into_token).transpose()? else {
            return Ok(Err(TokenRefusal::Unknown));
        };
        if token.revoked_at.is_some() {
            return Ok(Err(TokenRefusal::Revoked));
        }
        if token.expires_at.is_some_and(|e| e <= now) {
            return Ok(Err(TokenRefusal::Expired));
        }
        if token
            .last_used_at
            .is_none_or(|t| now - t > Duration::minutes(1))
        {
            with_pool!(self, |pool, _pg| {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(token.id.0)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
        }
        Ok(Ok(token))
    }
}
