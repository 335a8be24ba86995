//! Answers from Owlery, stored before they are sent.
//!
//! An answer is an outbound `inbox_messages` row with a delivery state (see
//! [`owlery_domain::inbox::Delivery`]). [`Store::create_reply`] writes it, its `inbox.reply` job
//! (unless it waits for approval) and the audit event in one transaction, so an answer the API
//! accepted is never lost; the same client key from the same person returns the stored answer, so
//! a repeated request never makes a second one. The worker then commits `sending`
//! ([`Store::mark_reply_sending`]) before calling the network and records the outcome; an attempt
//! found `sending` is looked up on the network before anything is sent again.
//!
//! Every change of an answer's state — stored (queued or waiting for approval), approved or
//! rejected, sending, back to queued, sent, failed, queued again — announces itself on the live
//! bus ([`Change::Reply`]), recorded in the change's own transaction. An automatic answer is
//! stored by the ingest that triggered it, whose event covers it.
//!
//! When the answer is on the network the conversation counts as answered: its first response time
//! is set (once), the running deadline stops, nothing is unanswered, and it becomes `pending`
//! (waiting for the other side) or `closed` when the person chose "send and close".

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, ContactId, ConversationId, MessageId, UserId,
    audit::Actor,
    inbox::{
        ConversationStatus, Delivery, Direction, Intent, MessageKind, Sentiment, Urgency,
        first_line,
    },
    org::AuthKind,
};
use sqlx::Row;
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    inbox::{ConversationSummary, MESSAGE_COLUMNS, Message, corrupt},
    live::{Change, LiveEvent},
    notifications::NewNotification,
};

/// The job kind that sends an answer (payload: `{"message_id": …}`).
pub const REPLY_JOB: &str = "inbox.reply";

/// Whether Owlery can answer a message of this kind on this network (by network code), for a
/// channel connected this way: the connectors' `can_reply_as`, handed to the store by the process
/// ([`Store::with_reply_capability`]).
#[derive(Clone)]
pub struct ReplyCapability(std::sync::Arc<CanReply>);

/// `can_reply(network code, kind of connection, kind of message)`.
type CanReply = dyn Fn(&str, AuthKind, MessageKind) -> bool + Send + Sync;

impl ReplyCapability {
    pub fn new(
        can_reply: impl Fn(&str, AuthKind, MessageKind) -> bool + Send + Sync + 'static,
    ) -> Self {
        ReplyCapability(std::sync::Arc::new(can_reply))
    }

    pub fn can_reply(&self, network: &str, auth: AuthKind, kind: MessageKind) -> bool {
        (self.0)(network, auth, kind)
    }
}

impl std::fmt::Debug for ReplyCapability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplyCapability")
    }
}

/// The text rule answers on `network` are held to (see `Specs::reply_text_rule`); `None` when the
/// network has none or the spec file cannot be read (then only Owlery's own bound applies).
pub(crate) fn reply_text_rule(network: &str) -> Option<owlery_domain::spec::TextField> {
    static SPECS: std::sync::OnceLock<Option<owlery_domain::spec::Specs>> =
        std::sync::OnceLock::new();
    SPECS
        .get_or_init(|| owlery_domain::spec::Specs::embedded().ok())
        .as_ref()?
        .reply_text_rule(network)
        .cloned()
}

/// An answer as a person sent it.
#[derive(Debug, Clone)]
pub struct NewReply<'a> {
    /// Checked by the caller (`owlery_domain::inbox::reply::check_reply`).
    pub text: &'a str,
    /// Close the conversation once the answer is on the network.
    pub close: bool,
    /// The sender's key for this answer (1–100 characters): a repeat returns the stored answer.
    pub client_key: &'a str,
    /// The sender's replies need approval: stored as `pending_approval`, no job yet.
    pub needs_approval: bool,
}

/// What [`Store::create_reply`] did.
#[derive(Debug, Clone)]
pub struct ReplyCreated {
    pub message: Message,
    /// The key had been used already: this is the answer stored then, nothing new was made.
    pub replayed: bool,
}

/// Everything the worker needs to send one answer.
#[derive(Debug, Clone)]
pub struct ReplyDispatch {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    /// The channel's network code and handle.
    pub network: String,
    pub handle: String,
    pub channel_connected: bool,
    /// A practice channel: answers stay on this server (the sandbox).
    pub simulated: bool,
    pub delivery: Delivery,
    pub attempted_at: Option<DateTime<Utc>>,
    pub text: String,
    pub close_on_send: bool,
    pub author_user_id: Option<UserId>,
    pub kind: MessageKind,
    /// The network's id of the latest inbound message (what the answer answers).
    pub answers: Option<String>,
    /// What that message itself answers on the network (its post, or the comment it replies to).
    pub answers_parent: Option<String>,
    /// The post a comment is on, the root of a mention's thread.
    pub root_id: Option<String>,
    /// A DM thread's id on the network.
    pub thread_id: Option<String>,
    /// The contact's account on the channel's network.
    pub contact_remote_id: String,
    pub contact_handle: String,
}

/// Queue the job that sends answer `$id`, inside the current transaction.
macro_rules! insert_reply_job {
    ($tx:ident, $id:expr, $now:expr) => {{
        let id: MessageId = $id;
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, 0, 8, $4, $4)",
        )
        .bind(Uuid::now_v7())
        .bind(REPLY_JOB)
        .bind(serde_json::json!({ "message_id": id.0 }).to_string())
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// The active people who hold `$permission` (through a role granted at the organisation, or —
/// when given — at workspace `$workspace` or channel `$channel`), inside the transaction. `None`
/// for both: organisation grants only (the organisation's inbox managers, for example).
macro_rules! holders_of {
    ($tx:ident, $permission:expr, $workspace:expr, $channel:expr) => {{
        let permission: owlery_domain::Permission = $permission;
        let workspace: Option<uuid::Uuid> = $workspace;
        let channel: Option<uuid::Uuid> = $channel;
        let roles: Vec<&'static str> = owlery_domain::Role::ALL
            .into_iter()
            .filter(|r| r.has(permission))
            .map(|r| r.code())
            .collect();
        let mut q = sqlx::QueryBuilder::new(
            "SELECT DISTINCT g.user_id FROM grants g JOIN users u ON u.id = g.user_id \
             WHERE u.status = 'active' AND g.role IN (",
        );
        let mut sep = q.separated(", ");
        for r in &roles {
            sep.push_bind(*r);
        }
        q.push(") AND (g.scope_kind = 'organisation'");
        if let Some(w) = workspace {
            q.push(" OR (g.scope_kind = 'workspace' AND g.scope_id = ")
                .push_bind(w)
                .push(")");
        }
        if let Some(c) = channel {
            q.push(" OR (g.scope_kind = 'channel' AND g.scope_id = ")
                .push_bind(c)
                .push(")");
        }
        q.push(")");
        let mut users: Vec<uuid::Uuid> = Vec::new();
        if !roles.is_empty() {
            for row in q.build().fetch_all(&mut *$tx).await? {
                users.push(sqlx::Row::try_get(&row, 0)?);
            }
        }
        users.sort();
        users
    }};
}
pub(crate) use holders_of;

/// A routing rule's automatic answer to `$msg` in conversation `$grp` (inside the ingest
/// transaction, after the messages are stored): guarded by
/// `owlery_domain::inbox::rules::auto_reply_gate`, the saved reply rendered for the contact and
/// checked against the network's limit, then stored as an outbound answer authored by the rule
/// (`auto_rule_id`) with its `inbox.reply` job, audited under the rule's name. No approval: rules
/// are written by people who may manage them. Yields what happened, for the rule's audit event:
/// `{"sent": message id}` or `{"skipped": reason}`.
macro_rules! send_auto_reply {
    ($tx:ident, $pg:ident, $store:expr, $grp:expr, $info:expr, $msg:expr, $triage:expr, $plan:expr, $now:expr) => {{
        use owlery_domain::inbox::rules::{AutoReplyFacts, AutoReplySkip, auto_reply_gate};
        let plan: &AutoReplyPlan = $plan;
        let msg: &owlery_domain::inbox::InboundMessage = $msg;
        let now: chrono::DateTime<chrono::Utc> = $now;
        let conversation: uuid::Uuid = $grp.id;
        let last: Option<(chrono::DateTime<chrono::Utc>,)> = sqlx::query_as(
            "SELECT created_at FROM inbox_messages WHERE conversation_id = $1 AND auto_rule_id = $2 \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(conversation)
        .bind(plan.rule.id.0)
        .fetch_optional(&mut *$tx)
        .await?;
        let facts = AutoReplyFacts {
            can_reply: $store.can_auto_reply(&$info.network, $info.auth, $info.simulated, $grp.kind),
            own_message: $info.is_own(&msg.author),
            intent: $triage.intent,
            message_at: msg.created_at,
            last_auto_reply: last.map(|l| l.0),
            now,
        };
        let gate = auto_reply_gate(&plan.rule.spec, &facts);
        let saved: Option<(Option<uuid::Uuid>, String)> = if gate.is_ok() {
            sqlx::query_as(
                "SELECT workspace_id, body FROM inbox_saved_replies WHERE id = $1 AND org_id = $2",
            )
            .bind(plan.saved_reply)
            .bind($info.org.0)
            .fetch_optional(&mut *$tx)
            .await?
        } else {
            None
        };
        let text: Result<String, AutoReplySkip> = gate.and_then(|()| {
            let (workspace, body) = saved.ok_or(AutoReplySkip::SavedReplyGone)?;
            if workspace.is_some_and(|w| w != $grp.workspace.0) {
                return Err(AutoReplySkip::OtherWorkspace);
            }
            let text = owlery_domain::inbox::reply::render(
                &body,
                &owlery_domain::inbox::reply::ReplyContext {
                    contact_name: Some(msg.author.name.clone()),
                    contact_handle: Some(msg.author.handle.clone()),
                    agent_name: None,
                    channel_name: Some($info.name.clone()),
                },
            );
            let label = owlery_domain::org::Network::parse(&$info.network)
                .map_or("The network", |n| n.label());
            // The sandbox takes any length (as for a person's answer).
            let rule = if $info.simulated && $info.network == "sandbox" {
                None
            } else {
                $crate::inbox_replies::reply_text_rule(&$info.network)
            };
            owlery_domain::inbox::reply::check_reply(&text, label, rule.as_ref())
                .map_err(|_| AutoReplySkip::TooLong)
        });
        match text {
            Err(skip) => serde_json::json!({ "skipped": skip.code() }),
            Ok(text) => {
                let id = uuid::Uuid::now_v7();
                sqlx::query(
                    "INSERT INTO inbox_messages (id, conversation_id, channel_id, remote_id, direction, kind, \
                     text, media, created_at, received_at, delivery, close_on_send, auto_rule_id) \
                     VALUES ($1, $2, $3, $4, 'outbound', $5, $6, '[]', $7, $7, $8, $9, $10)",
                )
                .bind(id)
                .bind(conversation)
                .bind($grp.channel.0)
                .bind(format!("owlery:{id}"))
                .bind($grp.kind.code())
                .bind(&text)
                .bind(now)
                .bind(owlery_domain::inbox::Delivery::Queued.code())
                .bind(false)
                .bind(plan.rule.id.0)
                .execute(&mut *$tx)
                .await?;
                sqlx::query(
                    "UPDATE inbox_conversations SET message_count = message_count + 1 WHERE id = $1",
                )
                .bind(conversation)
                .execute(&mut *$tx)
                .await?;
                sqlx::query(
                    "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'queued', $4, 0, 8, $4, $4)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind($crate::inbox_replies::REPLY_JOB)
                .bind(serde_json::json!({ "message_id": id }).to_string())
                .bind(now)
                .execute(&mut *$tx)
                .await?;
                append_audit!(
                    $tx,
                    $pg,
                    owlery_domain::audit::Actor::rule(&plan.rule.spec.name).entry(
                        "inbox.reply.create",
                        "message",
                        Some(id.to_string()),
                        None,
                        Some(serde_json::json!({
                            "conversation_id": conversation.to_string(),
                            "delivery": owlery_domain::inbox::Delivery::Queued.code(),
                            "rule_id": plan.rule.id.to_string(),
                            "saved_reply_id": plan.saved_reply.to_string(),
                            "chars": text.chars().count(),
                        }))
                    ),
                    now
                );
                serde_json::json!({ "sent": id.to_string() })
            }
        }
    }};
}
pub(crate) use send_auto_reply;

fn cut(s: &str) -> String {
    s.chars().take(1000).collect()
}

fn key_is_valid(key: &str) -> bool {
    let n = key.chars().count();
    (1..=100).contains(&n) && !key.chars().any(char::is_control)
}

impl Store {
    /// One message by id.
    pub async fn inbox_message(&self, id: MessageId) -> Result<Message> {
        let found: Option<Message> = with_pool!(self, |pool, _pg| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MESSAGE_COLUMNS} FROM inbox_messages WHERE id = $1"
            )))
            .bind(id.0)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Some(message_from_row!(row)),
                None => None,
            }
        });
        found.ok_or(StoreError::NotFound("message"))
    }

    /// Store an answer in `conversation` (which the caller may answer: see the module docs) and,
    /// unless it waits for approval, its job — one transaction, audited.
    pub async fn create_reply(
        &self,
        actor: &Actor,
        author: UserId,
        conversation: &ConversationSummary,
        new: &NewReply<'_>,
    ) -> Result<ReplyCreated> {
        if !key_is_valid(new.client_key) {
            return Err(owlery_domain::InvalidInput::new(
                "client_key",
                "invalid_client_key",
                "client_key is 1 to 100 characters, unique for each answer you send.",
            )
            .into());
        }
        let now = self.now();
        let id = MessageId(Uuid::now_v7());
        let delivery = if new.needs_approval {
            Delivery::PendingApproval
        } else {
            Delivery::Queued
        };
        let outcome: (MessageId, bool, Option<LiveEvent>) = with_tx!(self, |tx, pg| {
            let existing: Option<(Uuid, Uuid)> = sqlx::query_as(
                "SELECT id, conversation_id FROM inbox_messages WHERE author_user_id = $1 AND client_key = $2",
            )
            .bind(author.0)
            .bind(new.client_key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((existing, conv)) = existing {
                if conv != conversation.id.0 {
                    return Err(StoreError::Conflict {
                        field: "client_key",
                        message: "This client_key was already used for an answer in another conversation: use a new key for each answer.".into(),
                    });
                }
                return Ok((MessageId(existing), true, None));
            }
            sqlx::query(
                "INSERT INTO inbox_messages (id, conversation_id, channel_id, remote_id, direction, kind, \
                 author_user_id, text, media, created_at, received_at, delivery, client_key, close_on_send) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', $9, $9, $10, $11, $12)",
            )
            .bind(id.0)
            .bind(conversation.id.0)
            .bind(conversation.channel_id.0)
            .bind(format!("owlery:{}", id.0))
            .bind(Direction::Outbound.code())
            .bind(conversation.kind.code())
            .bind(author.0)
            .bind(new.text)
            .bind(now)
            .bind(delivery.code())
            .bind(new.client_key)
            .bind(new.close)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE inbox_conversations SET message_count = message_count + 1, updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(conversation.id.0)
            .execute(&mut *tx)
            .await?;
            if delivery == Delivery::Queued {
                insert_reply_job!(tx, id, now);
            } else {
                // Those who may approve it are told, in the app and by e-mail (as publishing
                // approvals are): people with `inbox:approve` at the organisation, the
                // conversation's workspace or its channel — never the author.
                let approvers = holders_of!(
                    tx,
                    owlery_domain::Permission::InboxApprove,
                    Some(conversation.workspace_id.0),
                    Some(conversation.channel_id.0)
                );
                let name: Option<(String,)> =
                    sqlx::query_as("SELECT name FROM users WHERE id = $1")
                        .bind(author.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                let params = serde_json::json!({
                    "title": first_line(new.text, 80),
                    "author": name.map(|n| n.0).unwrap_or_default(),
                    "channel": conversation.channel_name,
                });
                for user in approvers.into_iter().filter(|u| *u != author.0) {
                    let n = NewNotification {
                        user_id: UserId(user),
                        kind: "inbox_reply_pending".into(),
                        params: params.clone(),
                        link: Some(format!("/inbox/c/{}", conversation.id.0)),
                        email: true,
                    };
                    insert_notification!(tx, &n, now);
                }
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox.reply.create",
                    "message",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({
                        "conversation_id": conversation.id.to_string(),
                        "delivery": delivery.code(),
                        "close": new.close,
                        "chars": new.text.chars().count(),
                    }))
                ),
                now
            );
            let event = message_event!(tx, self, id.0, Change::Reply, actor.user_id);
            Ok((id, false, event))
        })?;
        self.announce(outcome.2).await;
        Ok(ReplyCreated {
            message: self.inbox_message(outcome.0).await?,
            replayed: outcome.1,
        })
    }

    /// What the worker needs to send an answer; `None` when the message is not an answer.
    pub async fn reply_dispatch(&self, id: MessageId) -> Result<Option<ReplyDispatch>> {
        let dispatch: Option<ReplyDispatch> = with_pool!(self, |pool, _pg| {
            let Some(row) = sqlx::query(
                "SELECT m.id, m.conversation_id, m.channel_id, ch.network, ch.handle, ch.status, \
                 m.delivery, m.attempted_at, m.text, m.close_on_send, m.author_user_id, c.kind, \
                 c.post_remote_id, c.remote_key, c.contact_id, ct.handle, ch.simulated \
                 FROM inbox_messages m JOIN inbox_conversations c ON c.id = m.conversation_id \
                 JOIN channels ch ON ch.id = m.channel_id JOIN inbox_contacts ct ON ct.id = c.contact_id \
                 WHERE m.id = $1 AND m.direction = 'outbound' AND m.delivery IS NOT NULL",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
            else {
                return Ok(None);
            };
            let conversation: Uuid = row.try_get(1)?;
            let network: String = row.try_get(3)?;
            let status: String = row.try_get(5)?;
            let delivery: String = row.try_get(6)?;
            let kind: String = row.try_get(11)?;
            let kind = MessageKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt("unknown conversation kind".into()))?;
            let remote_key: String = row.try_get(13)?;
            let contact: Uuid = row.try_get(14)?;
            let answers: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT remote_id, in_reply_to FROM inbox_messages WHERE conversation_id = $1 \
                 AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(conversation)
            .fetch_optional(pool)
            .await?;
            let identity: Option<(String, String)> = sqlx::query_as(
                "SELECT remote_id, handle FROM inbox_contact_identities WHERE contact_id = $1 AND network = $2 \
                 ORDER BY remote_id LIMIT 1",
            )
            .bind(contact)
            .bind(&network)
            .fetch_optional(pool)
            .await?;
            let post: Option<String> = row.try_get(12)?;
            let (root_id, thread_id) = match kind {
                MessageKind::Comment => (post, None),
                MessageKind::Mention => {
                    (remote_key.strip_prefix("mention:").map(str::to_owned), None)
                }
                MessageKind::Dm => (None, remote_key.strip_prefix("dm:").map(str::to_owned)),
            };
            let contact_handle: String = row.try_get(15)?;
            let (contact_remote_id, contact_handle) =
                identity.unwrap_or((String::new(), contact_handle));
            Some(ReplyDispatch {
                message_id: MessageId(row.try_get(0)?),
                conversation_id: ConversationId(conversation),
                channel_id: ChannelId(row.try_get(2)?),
                network,
                handle: row.try_get(4)?,
                channel_connected: status == "connected",
                simulated: row.try_get(16)?,
                delivery: Delivery::parse(&delivery)
                    .ok_or_else(|| StoreError::Corrupt("unknown delivery state".into()))?,
                attempted_at: row.try_get(7)?,
                text: row.try_get(8)?,
                close_on_send: row.try_get(9)?,
                author_user_id: row.try_get::<Option<Uuid>, _>(10)?.map(UserId),
                kind,
                answers_parent: answers.as_ref().and_then(|(_, p)| p.clone()),
                answers: answers.map(|(r, _)| r),
                root_id,
                thread_id,
                contact_remote_id,
                contact_handle,
            })
        });
        Ok(dispatch)
    }

    /// Commit an attempt before calling the network: `queued` or `sending` → `sending`. False
    /// when the answer is no longer to be sent (sent, failed, rejected meanwhile).
    pub async fn mark_reply_sending(&self, id: MessageId) -> Result<bool> {
        let now = self.now();
        let event = with_tx!(self, |tx, _pg| {
            let n = sqlx::query(
                "UPDATE inbox_messages SET delivery = 'sending', attempted_at = $1 \
                 WHERE id = $2 AND delivery IN ('queued', 'sending')",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(None);
            }
            Ok(Some(message_event!(tx, self, id.0, Change::Reply, None)))
        })?;
        let marked = event.is_some();
        self.announce(event.flatten()).await;
        Ok(marked)
    }

    /// The network refused the answer (nothing was created): back to `queued` for the next try.
    pub async fn requeue_reply(&self, id: MessageId, reason: &str) -> Result<()> {
        let event = with_tx!(self, |tx, _pg| {
            let n = sqlx::query(
                "UPDATE inbox_messages SET delivery = 'queued', delivery_error = $1 \
                 WHERE id = $2 AND delivery = 'sending'",
            )
            .bind(cut(reason))
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(None);
            }
            Ok(message_event!(tx, self, id.0, Change::Reply, None))
        })?;
        self.announce(event).await;
        Ok(())
    }

    /// The answer is on the network: store its id and address, and count the conversation as
    /// answered (see the module docs). False when it was already recorded.
    pub async fn record_reply_sent(
        &self,
        id: MessageId,
        remote_id: &str,
        url: Option<&str>,
    ) -> Result<bool> {
        let now = self.now();
        let event = with_tx!(self, |tx, pg| {
            let row: Option<(Uuid, String, bool, Option<Uuid>)> = sqlx::query_as(
                "SELECT conversation_id, text, close_on_send, auto_rule_id FROM inbox_messages \
                 WHERE id = $1 AND delivery IN ('queued', 'sending')",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((conversation, text, close, auto_rule)) = row else {
                return Ok(None);
            };
            sqlx::query(
                "UPDATE inbox_messages SET delivery = 'sent', delivery_error = NULL, remote_id = $1, \
                 url = $2, sent_at = $3 WHERE id = $4",
            )
            .bind(remote_id)
            .bind(url.filter(|u| !u.is_empty()))
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique(
                "remote_id",
                "The network gave this answer the id of a message Owlery already has.",
            ))?;
            if auto_rule.is_some() {
                // A rule's automatic answer ("thanks, we will look into it") is not a person's
                // response: the conversation stays open and its deadline keeps running.
                sqlx::query(
                    "UPDATE inbox_conversations SET last_message_at = $1, updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(conversation)
                .execute(&mut *tx)
                .await?;
                append_audit!(
                    tx,
                    pg,
                    Actor::system().entry(
                        "inbox.reply.sent",
                        "message",
                        Some(id.to_string()),
                        None,
                        Some(serde_json::json!({
                            "remote_id": remote_id,
                            "auto_rule_id": auto_rule.map(|r| r.to_string()),
                        }))
                    ),
                    now
                );
                return Ok(Some(message_event!(tx, self, id.0, Change::Reply, None)));
            }
            let status = if close {
                ConversationStatus::Closed
            } else {
                ConversationStatus::Pending
            };
            sqlx::query(
                "UPDATE inbox_conversations SET first_responded_at = COALESCE(first_responded_at, $1), \
                 next_response_due = NULL, unanswered_count = 0, status = $2, last_message_at = $1, \
                 preview = $3, updated_at = $1 WHERE id = $4",
            )
            .bind(now)
            .bind(status.code())
            .bind(first_line(&text, 140))
            .bind(conversation)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    "inbox.reply.sent",
                    "message",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({
                        "remote_id": remote_id,
                        "conversation_status": status.code(),
                    }))
                ),
                now
            );
            Ok(Some(message_event!(tx, self, id.0, Change::Reply, None)))
        })?;
        let recorded = event.is_some();
        self.announce(event.flatten()).await;
        Ok(recorded)
    }

    /// The answer cannot be sent (for `reason`, said to people): `failed`, and its author is told.
    /// False when it was already settled.
    pub async fn record_reply_failed(&self, id: MessageId, reason: &str) -> Result<bool> {
        let now = self.now();
        let reason = cut(reason);
        let event = with_tx!(self, |tx, pg| {
            let row: Option<(Uuid, Option<Uuid>, String)> = sqlx::query_as(
                "SELECT m.conversation_id, m.author_user_id, ch.name FROM inbox_messages m \
                 JOIN channels ch ON ch.id = m.channel_id \
                 WHERE m.id = $1 AND m.delivery IN ('queued', 'sending')",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((conversation, author, channel)) = row else {
                return Ok(None);
            };
            sqlx::query(
                "UPDATE inbox_messages SET delivery = 'failed', delivery_error = $1 WHERE id = $2",
            )
            .bind(&reason)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if let Some(user) = author {
                let note = NewNotification {
                    user_id: UserId(user),
                    kind: "inbox_reply_failed".into(),
                    params: serde_json::json!({ "channel": channel, "error": reason }),
                    link: Some(format!("/inbox/c/{conversation}")),
                    email: false,
                };
                insert_notification!(tx, &note, now);
            }
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    "inbox.reply.failed",
                    "message",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({ "reason": reason }))
                ),
                now
            );
            Ok(Some(message_event!(tx, self, id.0, Change::Reply, None)))
        })?;
        let recorded = event.is_some();
        self.announce(event.flatten()).await;
        Ok(recorded)
    }

    /// Send a failed answer again (a person asked): `failed` → `queued` with a new job. Audited.
    pub async fn retry_reply(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Message> {
        let now = self.now();
        let event = with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE inbox_messages SET delivery = 'queued', delivery_error = NULL \
                 WHERE id = $1 AND conversation_id = $2 AND delivery = 'failed'",
            )
            .bind(id.0)
            .bind(conversation.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                let exists: Option<(Option<String>,)> = sqlx::query_as(
                    "SELECT delivery FROM inbox_messages WHERE id = $1 AND conversation_id = $2 AND direction = 'outbound'",
                )
                .bind(id.0)
                .bind(conversation.0)
                .fetch_optional(&mut *tx)
                .await?;
                return Err(match exists {
                    None => StoreError::NotFound("answer"),
                    Some((state,)) => StoreError::Conflict {
                        field: "delivery",
                        message: format!(
                            "Only a failed answer can be sent again; this one is {}.",
                            state.as_deref().unwrap_or("not an answer")
                        ),
                    },
                });
            }
            insert_reply_job!(tx, id, now);
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox.reply.retry",
                    "message",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "delivery": "failed" })),
                    Some(serde_json::json!({ "delivery": "queued" }))
                ),
                now
            );
            Ok(message_event!(tx, self, id.0, Change::Reply, actor.user_id))
        })?;
        self.announce(event).await;
        self.inbox_message(id).await
    }

    /// An approver's decision on an answer waiting for approval: approved → `queued` with its job,
    /// rejected → `rejected` with the note, and the author is told. Audited.
    pub async fn review_reply(
        &self,
        actor: &Actor,
        reviewer: UserId,
        conversation: ConversationId,
        id: MessageId,
        approve: bool,
        note: Option<&str>,
    ) -> Result<Message> {
        let now = self.now();
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(cut);
        if !approve && note.is_none() {
            return Err(owlery_domain::InvalidInput::new(
                "note",
                "reason_required",
                "Say why the answer is rejected: its author reads it.",
            )
            .into());
        }
        let event = with_tx!(self, |tx, pg| {
            let row: Option<(Option<Uuid>, Option<String>)> = sqlx::query_as(
                "SELECT author_user_id, delivery FROM inbox_messages WHERE id = $1 AND conversation_id = $2 AND direction = 'outbound'",
            )
            .bind(id.0)
            .bind(conversation.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((author, state)) = row else {
                return Err(StoreError::NotFound("answer"));
            };
            if state.as_deref() != Some(Delivery::PendingApproval.code()) {
                return Err(StoreError::Conflict {
                    field: "delivery",
                    message: "This answer is not waiting for approval (any more).".into(),
                });
            }
            let next = if approve {
                Delivery::Queued
            } else {
                Delivery::Rejected
            };
            sqlx::query(
                "UPDATE inbox_messages SET delivery = $1, reviewed_by = $2, review_note = $3, \
                 delivery_error = $4 WHERE id = $5",
            )
            .bind(next.code())
            .bind(reviewer.0)
            .bind(&note)
            .bind(if approve { None } else { note.clone() })
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if approve {
                insert_reply_job!(tx, id, now);
            }
            if let Some(author) = author.filter(|a| *a != reviewer.0) {
                let n = NewNotification {
                    user_id: UserId(author),
                    kind: if approve {
                        "inbox_reply_approved".into()
                    } else {
                        "inbox_reply_rejected".into()
                    },
                    params: serde_json::json!({ "error": note.clone().unwrap_or_default() }),
                    link: Some(format!("/inbox/c/{}", conversation.0)),
                    email: false,
                };
                insert_notification!(tx, &n, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    if approve {
                        "inbox.reply.approve"
                    } else {
                        "inbox.reply.reject"
                    },
                    "message",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "delivery": "pending_approval" })),
                    Some(serde_json::json!({ "delivery": next.code(), "note": note }))
                ),
                now
            );
            Ok(message_event!(tx, self, id.0, Change::Reply, actor.user_id))
        })?;
        self.announce(event).await;
        self.inbox_message(id).await
    }

    /// Answers waiting for approval in the conversations of `scope`, oldest first (at most 200):
    /// each with its conversation.
    pub async fn pending_replies(
        &self,
        org: owlery_domain::OrgId,
        scope: &crate::inbox::InboxScope,
    ) -> Result<Vec<(Message, ConversationSummary)>> {
        let ids: Vec<(Uuid, Uuid)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, conversation_id FROM inbox_messages WHERE delivery = 'pending_approval' \
                 ORDER BY created_at LIMIT 200",
            )
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::new();
        for (id, conversation) in ids {
            match self
                .conversation_summary(org, scope, ConversationId(conversation))
                .await
            {
                Ok(c) => out.push((self.inbox_message(MessageId(id)).await?, c)),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
