//! Browser sessions, one-time links (first setup, password reset) and sign-in failures.
//!
//! Session ids and link tokens are random 256-bit secrets given to the browser once; the database
//! keeps only their SHA-256, so a copy of the database cannot be used to sign in.

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use owlery_domain::{UserId, audit::Actor};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Result, Store, StoreError};

/// A new random secret, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How far sign-in has got in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted; the second factor is still to come.
    PendingSecondFactor,
    /// Password accepted, but policy requires 2FA and the person has none yet: they may only enrol.
    MustEnrolSecondFactor,
    /// Fully signed in.
    Active,
}

impl SessionStage {
    fn code(self) -> &'static str {
        match self {
            SessionStage::PendingSecondFactor => "pending_2fa",
            SessionStage::MustEnrolSecondFactor => "must_enrol_2fa",
            SessionStage::Active => "active",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending_2fa" => Some(SessionStage::PendingSecondFactor),
            "must_enrol_2fa" => Some(SessionStage::MustEnrolSecondFactor),
            "active" => Some(SessionStage::Active),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: UserId,
    pub stage: SessionStage,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// A new person sets their first password.
    Setup,
    PasswordReset,
}

impl LinkPurpose {
    fn code(self) -> &'static str {
        match self {
            LinkPurpose::Setup => "setup",
            LinkPurpose::PasswordReset => "reset",
        }
    }
}

/// Why a one-time link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Expired,
    Used,
}

type SessionRow = (
    String,
    Uuid,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
);

impl Store {
    /// Start a session; returns the secret for the cookie.
    pub async fn create_session(
        &self,
        user: UserId,
        stage: SessionStage,
        idle: Duration,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(String, Session)> {
        let now = self.now();
        let secret = new_secret();
        let session = Session {
            id_hash: hash_secret(&secret),
            user_id: user,
            stage,
            csrf_token: new_secret(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + idle,
        };
        let ua: Option<String> = user_agent.map(|s| s.chars().take(300).collect());
        with_pool!(self, |pool, _pg| {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, stage, csrf_token, created_at, last_seen_at, \
                 expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
            )
            .bind(&session.id_hash)
            .bind(user.0)
            .bind(stage.code())
            .bind(&session.csrf_token)
            .bind(now)
            .bind(session.expires_at)
            .bind(ip)
            .bind(ua)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok((secret, session))
    }

    /// The live session for a cookie secret, or `None` if unknown or expired.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>> {
        let now = self.now();
        let row: Option<SessionRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id_hash, user_id, stage, csrf_token, created_at, last_seen_at, expires_at \
                 FROM sessions WHERE id_hash = $1 AND expires_at > $2",
            )
            .bind(hash_secret(secret))
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        row.map(
            |(id_hash, user, stage, csrf_token, created_at, last_seen_at, expires_at)| {
                Ok(Session {
                    id_hash,
                    user_id: UserId(user),
                    stage: SessionStage::parse(&stage)
                        .ok_or_else(|| StoreError::Corrupt(format!("session stage '{stage}'")))?,
                    csrf_token,
                    created_at,
                    last_seen_at,
                    expires_at,
                })
            },
        )
        .transpose()
    }

    /// Slide the idle expiry forward. Called at most once a minute per session by the web layer.
    pub async fn touch_session(&self, id_hash: &str, idle: Duration) -> Result<()> {
        let now = self.now();
        with_pool!(self, |pool, _pg| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
                .bind(now)
                .bind(now + idle)
                .bind(id_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Move a session to another stage. The session id is replaced (returned) so that a secret seen
    /// before sign-in completed is worthless after (session fixation).
    pub async fn advance_session(
        &self,
        old_secret: &str,
        stage: SessionStage,
        idle: Duration,
    ) -> Result<(String, Session)> {
        let old = self
            .session(old_secret)
            .await?
            .ok_or(StoreError::NotFound("session"))?;
        self.end_session(old_secret).await?;
        self.create_session(old.user_id, stage, idle, None, None)
            .await
    }

    pub async fn end_session(&self, secret: &str) -> Result<()> {
        with_pool!(self, |pool, _pg| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(hash_secret(secret))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        let now = self.now();
        let done = with_pool!(self, |pool, _pg| {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    // ---- one-time links ----

    /// Make a one-time link token for `user`; returns the secret to put in the URL. Earlier unused
    /// links of the same purpose stop working, so only the newest e-mail counts.
    pub async fn create_link(
        &self,
        actor: &Actor,
        user: UserId,
        purpose: LinkPurpose,
        valid_for: Duration,
    ) -> Result<String> {
        let now = self.now();
        let secret = new_secret();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "DELETE FROM one_time_links WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            )
            .bind(user.0)
            .bind(purpose.code())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO one_time_links (token_hash, purpose, user_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(hash_secret(&secret))
            .bind(purpose.code())
            .bind(user.0)
            .bind(now)
            .bind(now + valid_for)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    &format!("link.{}.create", purpose.code()),
                    "user",
                    Some(user.to_string()),
                    None,
                    Some(serde_json::json!({ "expires_at": now + valid_for }))
                ),
                now
            );
            Ok(secret.clone())
        })
    }

    /// Who a link is for, if it can still be used (does not use it up).
    pub async fn check_link(
        &self,
        secret: &str,
        purpose: LinkPurpose,
    ) -> Result<std::result::Result<UserId, LinkProblem>> {
        let now = self.now();
        let row: Option<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> =
            with_pool!(self, |pool, _pg| {
                sqlx::query_as(
                    "SELECT user_id, expires_at, used_at FROM one_time_links \
                     WHERE token_hash = $1 AND purpose = $2",
                )
                .bind(hash_secret(secret))
                .bind(purpose.code())
                .fetch_optional(pool)
                .await?
            });
        Ok(match row {
            None => Err(LinkProblem::Unknown),
            Some((_, _, Some(_))) => Err(LinkProblem::Used),
            Some((_, expires, None)) if expires <= now => Err(LinkProblem::Expired),
            Some((user, _, None)) => Ok(UserId(user)),
        })
    }

    /// Use a link up (exactly once, even under concurrent clicks): true if this call used it.
    pub async fn consume_link(&self, secret: &str, purpose: LinkPurpose) -> Result<bool> {
        let now = self.now();
        let done = with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE one_time_links SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
                 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(hash_secret(secret))
            .bind(purpose.code())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    // ---- sign-in failures ----

    pub async fn record_signin_failure(
        &self,
        actor: &Actor,
        email: &str,
        ip: &str,
        reason: &str,
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query("INSERT INTO signin_failures (email, ip, at) VALUES ($1, $2, $3)")
                .bind(email)
                .bind(ip)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "session.signin_failed",
                    "user",
                    None,
                    None,
                    Some(serde_json::json!({ "email": email, "reason": reason }))
                ),
                now
            );
            Ok(())
        })
    }

    /// Failures since `since` for this e-mail and for this IP address.
    pub async fn signin_failures(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<(Vec<DateTime<Utc>>, Vec<DateTime<Utc>>)> {
        Ok(with_pool!(self, |pool, _pg| {
            (
                sqlx::query_scalar(
                    "SELECT at FROM signin_failures WHERE email = $1 AND at > $2 ORDER BY at",
                )
                .bind(email)
                .bind(since)
                .fetch_all(pool)
                .await?,
                sqlx::query_scalar(
                    "SELECT at FROM signin_failures WHERE ip = $1 AND at > $2 ORDER BY at",
                )
                .bind(ip)
                .bind(since)
                .fetch_all(pool)
                .await?,
            )
        }))
    }
}
