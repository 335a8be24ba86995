//! In-app notifications (and their e-mail copies), and the per-user secret calendar feeds.

use chrono::{DateTime, Utc};
use owlery_domain::{UserId, audit::Actor};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store};

/// The job that e-mails a notification to its recipient. Payload: `{"notification_id"}`.
pub const MAIL_JOB: &str = "notification.mail";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: UserId,
    /// Stable kind: mention, assigned, review_requested, review_decided, escalated, campaign_held,
    /// publish_failed, spec_changed …
    pub kind: String,
    /// Values for the kind's message (names, titles …), rendered in the reader's language.
    pub params: serde_json::Value,
    /// A path in Owlery ("/posts/…").
    pub link: Option<String>,
    /// Also send it by e-mail.
    pub email: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: UserId,
    pub kind: String,
    pub params: serde_json::Value,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

type Row = (
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn into(r: Row) -> Notification {
    Notification {
        id: r.0,
        user_id: UserId(r.1),
        kind: r.2,
        params: serde_json::from_str(&r.3).unwrap_or(serde_json::Value::Null),
        link: r.4,
        created_at: r.5,
        read_at: r.6,
    }
}

/// A calendar feed's secret: only its hash is stored.
pub fn feed_token_hash(token: &str) -> String {
    crate::sessions::hash_secret(token)
}

impl Store {
    pub async fn notify(&self, n: &NewNotification) -> Result<Uuid> {
        let now = self.now();
        with_tx!(self, |tx, _pg| Ok(insert_notification!(tx, n, now)))
    }

    pub async fn notifications(&self, user: UserId, limit: i64) -> Result<Vec<Notification>> {
        let rows: Vec<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, user_id, kind, params, link, created_at, read_at FROM notifications \
                 WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(user.0)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(into).collect())
    }

    pub async fn notification(&self, id: Uuid) -> Result<Option<Notification>> {
        let row: Option<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, user_id, kind, params, link, created_at, read_at FROM notifications WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(into))
    }

    pub async fn unread_notifications(&self, user: UserId) -> Result<i64> {
        let (n,): (i64,) = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
            )
            .bind(user.0)
            .fetch_one(pool)
            .await?
        });
        Ok(n)
    }

    pub async fn mark_notifications_read(&self, user: UserId) -> Result<()> {
        let now = self.now();
        with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
            )
            .bind(now)
            .bind(user.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Mark one notification read; only its recipient can. Returns whether it was theirs and unread.
    pub async fn mark_notification_read(&self, user: UserId, id: Uuid) -> Result<bool> {
        let now = self.now();
        let n = with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(user.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// A new secret feed URL token for this user; any earlier one is revoked.
    pub async fn create_calendar_feed(&self, actor: &Actor, user: UserId) -> Result<String> {
        let token = crate::sessions::new_secret();
        let hash = feed_token_hash(&token);
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO calendar_feeds (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(Uuid::now_v7())
            .bind(user.0)
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "calendar_feed.create",
                    "user",
                    Some(user.to_string()),
                    None,
                    None
                ),
                now
            );
            Ok(())
        })?;
        Ok(token)
    }

    pub async fn revoke_calendar_feed(&self, actor: &Actor, user: UserId) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "calendar_feed.revoke",
                    "user",
                    Some(user.to_string()),
                    None,
                    None
                ),
                now
            );
            Ok(())
        })
    }

    pub async fn has_calendar_feed(&self, user: UserId) -> Result<bool> {
        let row: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some())
    }

    /// The user a live feed token belongs to.
    pub async fn calendar_feed_user(&self, token: &str) -> Result<Option<UserId>> {
        let hash = feed_token_hash(token);
        let row: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT user_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(u,)| UserId(u)))
    }
}
