//! Liking and deleting messages on their network, from the inbox (issue 5).
//!
//! A person asks ([`Store::request_message_action`]): the request is recorded on the message and
//! its job (`inbox.like` or `inbox.delete`) queued in the same transaction, audited. The worker
//! (`owlery_jobs::inbox_actions`) asks the connector and records the outcome
//! ([`Store::finish_message_action`]): `liked_at`, or `deleted_at` (the message is gone from the
//! network), or the reason it could not be done (`action_error`). Liking or deleting twice is
//! harmless on every network, so a retried job is safe.
//!
//! Asking and the outcome each announce themselves on the live bus ([`Change::Action`]), recorded
//! in their own transaction, so an open conversation shows "liked", "deleted" or the reason
//! without a reload.
//!
//! What can be deleted: someone else's comment on the account's content (where the network's API
//! allows it), and Owlery's own sent answers. What can be liked: someone else's message. Whether
//! the network allows it is the connector's to say (`Connector::can_like`,
//! `Connector::can_delete_comment`); the caller checks before asking.

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, ConversationId, MessageId,
    audit::Actor,
    inbox::{Delivery, Direction, MessageKind},
};
use sqlx::Row;
use uuid::Uuid;

use crate::{Result, Store, StoreError, inbox::Message, live::Change};

/// The job that likes a message on its network (payload `{"message_id": …}`).
pub const LIKE_JOB: &str = "inbox.like";
/// The job that deletes a message on its network (payload `{"message_id": …}`).
pub const DELETE_JOB: &str = "inbox.delete";

/// What a person may ask of a message on its network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    Like,
    Delete,
}

impl MessageAction {
    pub fn job(self) -> &'static str {
        match self {
            MessageAction::Like => LIKE_JOB,
            MessageAction::Delete => DELETE_JOB,
        }
    }

    fn code(self) -> &'static str {
        match self {
            MessageAction::Like => "like",
            MessageAction::Delete => "delete",
        }
    }
}

/// What the worker needs to like or delete one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionTarget {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    pub network: String,
    pub handle: String,
    /// The network's id of the message.
    pub remote_id: String,
    pub direction: Direction,
    pub kind: MessageKind,
    /// The post a comment is on (the thread's root), when known: an answer's place.
    pub root_id: Option<String>,
    pub liked: bool,
    pub deleted: bool,
    /// A practice channel: the like or delete stays on this server.
    pub simulated: bool,
}

impl Store {
    /// Ask for `action` on `message` of `conversation` (the caller checked the permission and that
    /// the network allows it): recorded, its job queued, audited — one transaction. Asking again
    /// while it is pending, or once it is done, changes nothing. Refused (409) for what cannot be
    /// asked: liking our own answer, deleting an answer that is not on the network.
    pub async fn request_message_action(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        message: MessageId,
        action: MessageAction,
    ) -> Result<Message> {
        let now = self.now();
        let event = with_tx!(self, |tx, pg| {
            let row = sqlx::query(
                "SELECT direction, delivery, liked_at, like_requested_at, deleted_at, \
                 delete_requested_at, action_error FROM inbox_messages \
                 WHERE id = $1 AND conversation_id = $2",
            )
            .bind(message.0)
            .bind(conversation.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound("message"));
            };
            let direction: String = row.try_get(0)?;
            let delivery: Option<String> = row.try_get(1)?;
            let liked: Option<DateTime<Utc>> = row.try_get(2)?;
            let like_asked: Option<DateTime<Utc>> = row.try_get(3)?;
            let deleted: Option<DateTime<Utc>> = row.try_get(4)?;
            let delete_asked: Option<DateTime<Utc>> = row.try_get(5)?;
            let failed: Option<String> = row.try_get(6)?;
            let outbound = direction == Direction::Outbound.code();
            let conflict = |message: &str| StoreError::Conflict {
                field: "message_id",
                message: message.to_owned(),
            };
            if deleted.is_some() {
                return Err(conflict("This message is no longer on the network."));
            }
            let (done, pending) = match action {
                MessageAction::Like => {
                    if outbound {
                        return Err(conflict("Owlery's own answers are not liked."));
                    }
                    (liked.is_some(), like_asked.is_some() && failed.is_none())
                }
                MessageAction::Delete => {
                    if outbound && delivery.as_deref() != Some(Delivery::Sent.code()) {
                        return Err(conflict(
                            "This answer is not on the network (yet): only a sent answer can be deleted there.",
                        ));
                    }
                    (false, delete_asked.is_some() && failed.is_none())
                }
            };
            if done || pending {
                return Ok(None);
            }
            let column = match action {
                MessageAction::Like => "like_requested_at",
                MessageAction::Delete => "delete_requested_at",
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE inbox_messages SET {column} = $1, action_error = NULL WHERE id = $2"
            )))
            .bind(now)
            .bind(message.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'queued', $4, 0, 8, $4, $4)",
            )
            .bind(Uuid::now_v7())
            .bind(action.job())
            .bind(serde_json::json!({ "message_id": message.0.to_string() }).to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    &format!("message.{}_request", action.code()),
                    "message",
                    Some(message.to_string()),
                    None,
                    Some(serde_json::json!({
                        "conversation_id": conversation.to_string(),
                        "own_answer": outbound,
                    }))
                ),
                now
            );
            Ok(message_event!(
                tx,
                self,
                message.0,
                Change::Action,
                actor.user_id
            ))
        })?;
        self.announce(event).await;
        self.inbox_message(message).await
    }

    /// What the worker needs to act on `message` (`None`: it is gone from the store).
    pub async fn action_target(&self, message: MessageId) -> Result<Option<ActionTarget>> {
        with_pool!(self, |pool, _pg| {
            let row = sqlx::query(
                "SELECT m.conversation_id, m.channel_id, ch.network, ch.handle, m.remote_id, \
                 m.direction, m.kind, c.post_remote_id, c.remote_key, m.liked_at, m.deleted_at, ch.simulated \
                 FROM inbox_messages m JOIN channels ch ON ch.id = m.channel_id \
                 JOIN inbox_conversations c ON c.id = m.conversation_id WHERE m.id = $1",
            )
            .bind(message.0)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let direction: String = row.try_get(5)?;
            let kind: String = row.try_get(6)?;
            let kind = MessageKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt("unknown message kind".into()))?;
            let post: Option<String> = row.try_get(7)?;
            let key: String = row.try_get(8)?;
            let root_id = match kind {
                MessageKind::Comment => post,
                MessageKind::Mention => key.strip_prefix("mention:").map(str::to_owned),
                MessageKind::Dm => None,
            };
            Ok(Some(ActionTarget {
                message_id: message,
                conversation_id: ConversationId(row.try_get(0)?),
                channel_id: ChannelId(row.try_get(1)?),
                network: row.try_get(2)?,
                handle: row.try_get(3)?,
                remote_id: row.try_get(4)?,
                direction: Direction::parse(&direction)
                    .ok_or_else(|| StoreError::Corrupt("unknown direction".into()))?,
                kind,
                root_id,
                liked: row.try_get::<Option<DateTime<Utc>>, _>(9)?.is_some(),
                deleted: row.try_get::<Option<DateTime<Utc>>, _>(10)?.is_some(),
                simulated: row.try_get(11)?,
            }))
        })
    }

    /// Record what became of a like or a delete: done (`liked_at`, or `deleted_at`: gone from the
    /// network), or why not (`action_error`, said to people). Audited.
    pub async fn finish_message_action(
        &self,
        message: MessageId,
        action: MessageAction,
        outcome: std::result::Result<(), String>,
    ) -> Result<()> {
        let now = self.now();
        let event = with_tx!(self, |tx, pg| {
            match (&outcome, action) {
                (Ok(()), MessageAction::Like) => {
                    sqlx::query(
                        "UPDATE inbox_messages SET liked_at = $1, action_error = NULL WHERE id = $2",
                    )
                    .bind(now)
                    .bind(message.0)
                    .execute(&mut *tx)
                    .await?;
                }
                (Ok(()), MessageAction::Delete) => {
                    sqlx::query(
                        "UPDATE inbox_messages SET deleted_at = COALESCE(deleted_at, $1), \
                         action_error = NULL WHERE id = $2",
                    )
                    .bind(now)
                    .bind(message.0)
                    .execute(&mut *tx)
                    .await?;
                }
                (Err(reason), _) => {
                    sqlx::query("UPDATE inbox_messages SET action_error = $1 WHERE id = $2")
                        .bind(reason.chars().take(500).collect::<String>())
                        .bind(message.0)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let verb = match (action, outcome.is_ok()) {
                (MessageAction::Like, true) => "message.liked",
                (MessageAction::Like, false) => "message.like_failed",
                (MessageAction::Delete, true) => "message.deleted",
                (MessageAction::Delete, false) => "message.delete_failed",
            };
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    verb,
                    "message",
                    Some(message.to_string()),
                    None,
                    outcome
                        .as_ref()
                        .err()
                        .map(|r| serde_json::json!({ "reason": r }))
                ),
                now
            );
            Ok(message_event!(tx, self, message.0, Change::Action, None))
        })?;
        self.announce(event).await;
        Ok(())
    }
}
