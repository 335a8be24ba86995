//! People, their credentials and second factor, and the roles granted to them.

use chrono::{DateTime, Utc};
use owlery_domain::{
    Access, Grant, GrantId, OrgId, Role, Scope, UserId,
    audit::Actor,
    user::{DisplayName, Email, UserStatus},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: String,
    pub name: String,
    pub status: UserStatus,
    pub language: String,
    pub time_zone: String,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_signin_at: Option<DateTime<Utc>>,
}

/// What sign-in needs besides the public profile. Never serialised.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    /// Sealed (encrypted) by the caller's vault; the store never sees the plain secret.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    org_id: Uuid,
    email: String,
    name: String,
    status: String,
    language: String,
    time_zone: String,
    totp_enabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    last_signin_at: Option<DateTime<Utc>>,
    password_hash: Option<String>,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
}

const USER_COLUMNS: &str = "id, org_id, email, name, status, language, time_zone, totp_enabled_at, \
     created_at, last_signin_at, password_hash, totp_secret, totp_last_step";

impl UserRow {
    fn into_credentials(self) -> Result<Credentials> {
        let status = UserStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("user status '{}'", self.status)))?;
        Ok(Credentials {
            user: User {
                id: UserId(self.id),
                org_id: OrgId(self.org_id),
                email: self.email,
                name: self.name,
                status,
                language: self.language,
                time_zone: self.time_zone,
                totp_enabled: self.totp_enabled_at.is_some(),
                created_at: self.created_at,
                last_signin_at: self.last_signin_at,
            },
            password_hash: self.password_hash,
            totp_secret: self.totp_secret,
            totp_last_step: self.totp_last_step,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: DisplayName,
    /// `None`: the person sets a password through a setup link.
    pub password_hash: Option<String>,
    pub language: String,
    pub time_zone: String,
}

/// A role granted to a person, as stored and shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GrantRecord {
    pub id: GrantId,
    pub user_id: UserId,
    pub role: Role,
    pub scope: Scope,
    pub granted_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: Uuid,
    user_id: Uuid,
    role: String,
    scope_kind: String,
    scope_id: Uuid,
    granted_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl GrantRow {
    fn into_record(self) -> Result<GrantRecord> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| StoreError::Corrupt(format!("role '{}'", self.role)))?;
        Ok(GrantRecord {
            id: GrantId(self.id),
            user_id: UserId(self.user_id),
            role,
            scope: scope_from_parts(&self.scope_kind, self.scope_id)?,
            granted_by: self.granted_by.map(UserId),
            created_at: self.created_at,
        })
    }
}

pub(crate) fn scope_parts(scope: Scope) -> (&'static str, Uuid) {
    match scope {
        Scope::Organisation => ("organisation", Uuid::nil()),
        Scope::Workspace(w) => ("workspace", w.0),
        Scope::Channel(c) => ("channel", c.0),
    }
}

fn scope_from_parts(kind: &str, id: Uuid) -> Result<Scope> {
    match kind {
        "organisation" => Ok(Scope::Organisation),
        "workspace" => Ok(Scope::Workspace(owlery_domain::WorkspaceId(id))),
        "channel" => Ok(Scope::Channel(owlery_domain::ChannelId(id))),
        other => Err(StoreError::Corrupt(format!("scope kind '{other}'"))),
    }
}

/// The public part of a user, for audit before/after snapshots.
fn snapshot(u: &User) -> serde_json::Value {
    serde_json::json!({
        "email": u.email, "name": u.name, "status": u.status.code(),
        "language": u.language, "time_zone": u.time_zone, "totp_enabled": u.totp_enabled,
    })
}

fn grant_snapshot(role: Role, scope: Scope) -> serde_json::Value {
    serde_json::json!({ "role": role.code(), "scope": scope })
}

impl Store {
    /// Create a person with their first grants, in one audited transaction.
    pub async fn create_user(
        &self,
        actor: &Actor,
        org_id: OrgId,
        new: NewUser,
        grants: &[Grant],
    ) -> Result<User> {
        let now = self.now();
        let id = UserId::new();
        let status = if new.password_hash.is_some() {
            UserStatus::Active
        } else {
            UserStatus::Invited
        };
        let user = User {
            id,
            org_id,
            email: new.email.as_str().to_owned(),
            name: new.name.as_str().to_owned(),
            status,
            language: new.language.clone(),
            time_zone: new.time_zone.clone(),
            totp_enabled: false,
            created_at: now,
            last_signin_at: None,
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO users (id, org_id, email, name, password_hash, status, language, \
                 time_zone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(id.0)
            .bind(org_id.0)
            .bind(&user.email)
            .bind(&user.name)
            .bind(&new.password_hash)
            .bind(status.code())
            .bind(&user.language)
            .bind(&user.time_zone)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique("email", "A user with this e-mail address already exists."))?;
            let mut after = snapshot(&user);
            let mut granted = Vec::new();
            for g in grants {
                let (kind, sid) = scope_parts(g.scope);
                sqlx::query(
                    "INSERT INTO grants (id, user_id, role, scope_kind, scope_id, granted_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(GrantId::new().0)
                .bind(id.0)
                .bind(g.role.code())
                .bind(kind)
                .bind(sid)
                .bind(actor.user_id.map(|u| u.0))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::unique("role", "That role is already granted there."))?;
                granted.push(grant_snapshot(g.role, g.scope));
            }
            after["grants"] = serde_json::Value::Array(granted);
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "user.create",
                    "user",
                    Some(id.to_string()),
                    None,
                    Some(after)
                ),
                now
            );
            Ok(user.clone())
        })
    }

    pub async fn user(&self, id: UserId) -> Result<User> {
        Ok(self.credentials(id).await?.user)
    }

    pub async fn credentials(&self, id: UserId) -> Result<Credentials> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound("user"))?.into_credentials()
    }

    pub async fn credentials_by_email(&self, email: &str) -> Result<Option<Credentials>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let email = email.trim().to_lowercase();
        let row: Option<UserRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(email)
                .fetch_optional(pool)
                .await?
        });
        row.map(UserRow::into_credentials).transpose()
    }

    /// Users in id order (ids are time-ordered), after a cursor.
    pub async fn list_users(&self, after: Option<UserId>, limit: i64) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2"
        );
        let after = after.map(|u| u.0);
        let rows: Vec<UserRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|r| r.into_credentials().map(|c| c.user))
            .collect()
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(with_pool!(self, |pool, _pg| {
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Set a password (first setup, reset or change). Activates an invited user; ends every other
    /// session when `end_sessions` (a reset or change should sign out whoever else is in).
    pub async fn set_password(
        &self,
        actor: &Actor,
        id: UserId,
        password_hash: &str,
        action: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        let now = self.now();
        let before = self.user(id).await?;
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE users SET password_hash = $1, updated_at = $2, \
                 status = CASE WHEN status = 'invited' THEN 'active' ELSE status END WHERE id = $3",
            )
            .bind(password_hash)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(id.0)
                .bind(
                    keep_session
                        .map(crate::sessions::hash_secret)
                        .unwrap_or_default(),
                )
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    action,
                    "user",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": before.status.code() })),
                    Some(serde_json::json!({ "password": "changed" }))
                ),
                now
            );
            Ok(())
        })
    }

    /// Disable or re-enable a person. Disabling ends their sessions at once; their tokens stop
    /// working because authentication checks the status.
    pub async fn set_user_status(
        &self,
        actor: &Actor,
        id: UserId,
        status: UserStatus,
    ) -> Result<()> {
        let now = self.now();
        let before = self.user(id).await?;
        with_tx!(self, |tx, pg| {
            sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.code())
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            if status == UserStatus::Disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let action = if status == UserStatus::Disabled {
                "user.disable"
            } else {
                "user.enable"
            };
            append_audit!(
                tx,
                pg,
                actor.entry(
                    action,
                    "user",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": before.status.code() })),
                    Some(serde_json::json!({ "status": status.code() }))
                ),
                now
            );
            Ok(())
        })
    }

    pub async fn update_profile(
        &self,
        actor: &Actor,
        id: UserId,
        name: &DisplayName,
        language: &str,
        time_zone: &str,
    ) -> Result<User> {
        let now = self.now();
        let before = self.user(id).await?;
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE users SET name = $1, language = $2, time_zone = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(name.as_str())
            .bind(language)
            .bind(time_zone)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            let mut after = before.clone();
            after.name = name.as_str().to_owned();
            after.language = language.to_owned();
            after.time_zone = time_zone.to_owned();
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "user.profile",
                    "user",
                    Some(id.to_string()),
                    Some(snapshot(&before)),
                    Some(snapshot(&after))
                ),
                now
            );
            Ok(after)
        })
    }

    pub async fn record_signin(&self, actor: &Actor, id: UserId, method: &str) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query("UPDATE users SET last_signin_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM signin_failures WHERE email = $1")
                .bind(&actor.label)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "session.signin",
                    "user",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({ "method": method }))
                ),
                now
            );
            Ok(())
        })
    }

    /// Keep a not-yet-confirmed second-factor secret (sealed by the caller).
    pub async fn set_pending_totp(&self, id: UserId, sealed_secret: &[u8]) -> Result<()> {
        with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2 \
                 AND totp_enabled_at IS NULL",
            )
            .bind(sealed_secret)
            .bind(id.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Turn two-factor sign-in on, with fresh recovery codes (hashed), after the first good code.
    pub async fn enable_totp(
        &self,
        actor: &Actor,
        id: UserId,
        step: i64,
        recovery_code_hashes: &[String],
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let updated = sqlx::query(
                "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2, updated_at = $1 \
                 WHERE id = $3 AND totp_secret IS NOT NULL AND totp_enabled_at IS NULL",
            )
            .bind(now)
            .bind(step)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                return Err(StoreError::Conflict {
                    field: "code",
                    message: "Two-factor sign-in is already on, or enrolment was not started."
                        .into(),
                });
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            for h in recovery_code_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(id.0)
                    .bind(h)
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "user.2fa.enable",
                    "user",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "totp_enabled": false })),
                    Some(serde_json::json!({ "totp_enabled": true }))
                ),
                now
            );
            Ok(())
        })
    }

    /// Turn two-factor sign-in off (by the person, or reset by an admin).
    pub async fn disable_totp(&self, actor: &Actor, id: UserId, action: &str) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, \
                 updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    action,
                    "user",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "totp_enabled": true })),
                    Some(serde_json::json!({ "totp_enabled": false }))
                ),
                now
            );
            Ok(())
        })
    }

    /// Record the time step of a code just used, refusing a step not newer than the last one
    /// (a concurrent replay of the same code loses here).
    pub async fn consume_totp_step(&self, id: UserId, step: i64) -> Result<bool> {
        let done = with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
                 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(id.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Use a recovery code (by hash): true once, false ever after.
    pub async fn consume_recovery_code(&self, id: UserId, code_hash: &str) -> Result<bool> {
        let now = self.now();
        let done = with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
                 AND used_at IS NULL",
            )
            .bind(now)
            .bind(id.0)
            .bind(code_hash)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Replace a person's recovery codes with new ones (hashed); the old ones stop working.
    pub async fn replace_recovery_codes(
        &self,
        actor: &Actor,
        id: UserId,
        hashes: &[String],
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            for h in hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(id.0)
                    .bind(h)
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "user.2fa.recovery_codes",
                    "user",
                    Some(id.to_string()),
                    None,
                    None
                ),
                now
            );
            Ok(())
        })
    }

    pub async fn unused_recovery_codes(&self, id: UserId) -> Result<i64> {
        Ok(with_pool!(self, |pool, _pg| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(id.0)
            .fetch_one(pool)
            .await?
        }))
    }

    // ---- grants ----

    pub async fn grant_role(
        &self,
        actor: &Actor,
        user: UserId,
        grant: Grant,
    ) -> Result<GrantRecord> {
        let now = self.now();
        let (kind, sid) = scope_parts(grant.scope);
        let record = GrantRecord {
            id: GrantId::new(),
            user_id: user,
            role: grant.role,
            scope: grant.scope,
            granted_by: actor.user_id,
            created_at: now,
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO grants (id, user_id, role, scope_kind, scope_id, granted_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(record.id.0)
            .bind(user.0)
            .bind(grant.role.code())
            .bind(kind)
            .bind(sid)
            .bind(actor.user_id.map(|u| u.0))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique("role", "That role is already granted there."))?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "grant.create",
                    "user",
                    Some(user.to_string()),
                    None,
                    Some(grant_snapshot(grant.role, grant.scope))
                ),
                now
            );
            Ok(record.clone())
        })
    }

    /// Revoke a grant. Refuses to remove the organisation's last Owner.
    pub async fn revoke_grant(&self, actor: &Actor, grant_id: GrantId) -> Result<GrantRecord> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let row: Option<GrantRow> = sqlx::query_as(
                "SELECT id, user_id, role, scope_kind, scope_id, granted_by, created_at FROM grants WHERE id = $1",
            )
            .bind(grant_id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let record = row.ok_or(StoreError::NotFound("grant"))?.into_record()?;
            if record.role == Role::Owner && record.scope == Scope::Organisation {
                let owners: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM grants g JOIN users u ON u.id = g.user_id \
                     WHERE g.role = 'owner' AND g.scope_kind = 'organisation' AND u.status = 'active'",
                )
                .fetch_one(&mut *tx)
                .await?;
                if owners <= 1 {
                    return Err(StoreError::Conflict {
                        field: "grant",
                        message: "This is the last Owner; make someone else Owner first.".into(),
                    });
                }
            }
            sqlx::query("DELETE FROM grants WHERE id = $1")
                .bind(grant_id.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "grant.revoke",
                    "user",
                    Some(record.user_id.to_string()),
                    Some(grant_snapshot(record.role, record.scope)),
                    None
                ),
                now
            );
            Ok(record)
        })
    }

    pub async fn grants_of(&self, user: UserId) -> Result<Vec<GrantRecord>> {
        let rows: Vec<GrantRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, user_id, role, scope_kind, scope_id, granted_by, created_at FROM grants \
                 WHERE user_id = $1 ORDER BY created_at, id",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(GrantRow::into_record).collect()
    }

    /// One grant, by id.
    pub async fn grant(&self, id: GrantId) -> Result<GrantRecord> {
        let row: Option<GrantRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, user_id, role, scope_kind, scope_id, granted_by, created_at FROM grants \
                 WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound("grant"))?.into_record()
    }

    /// Every grant, for listing users with their roles in one query.
    pub async fn all_grants(&self) -> Result<Vec<GrantRecord>> {
        let rows: Vec<GrantRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, user_id, role, scope_kind, scope_id, granted_by, created_at FROM grants \
                 ORDER BY created_at, id",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(GrantRow::into_record).collect()
    }

    /// What this person may do, for the permission check.
    pub async fn access_of(&self, user: UserId) -> Result<Access> {
        let grants = self
            .grants_of(user)
            .await?
            .into_iter()
            .map(|g| Grant {
                role: g.role,
                scope: g.scope,
            })
            .collect();
        Ok(Access::new(user, grants))
    }
}
