//! Webhook ingestion's storage: each network app's public webhook id and sealed verify token, the
//! accepted deliveries (durable before the receiver answers 200), their claims by the worker, and
//! the lookups the worker needs (which channel an account id is, marking deleted messages).
//!
//! A delivery is one small insert: the raw body, its SHA-256 and the app it came for. The hash is
//! unique per app, so a delivery seen before is refused as a replay (Meta and X give no delivery
//! id; a hash of the exact signed bytes is the one identity they share). The worker claims pending
//! deliveries in batches with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), ingests them and
//! marks them done; a worker that dies leaves a lease that runs out and the batch is processed again
//! — which adds nothing, since ingest dedupes on (channel, remote id).
//!
//! What does not live here: signatures (networks::webhook), parsing (networks::webhook), sealing
//! and opening (the caller holds the vault).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use owlery_domain::{ChannelId, ConversationId, OrgId, WorkspaceId, audit::Actor, org::Network};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    live::{Change, LiveEvent, LiveKind, Outbox},
};

/// The vault purpose of a network app's webhook verify token.
pub fn verify_token_purpose(network: Network) -> String {
    format!("network-app-webhook:{}", network.code())
}

/// A network app as a webhook receiver sees it. Its `Debug` shows no sealed bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookApp {
    pub org_id: OrgId,
    pub network: Network,
    pub webhook_id: String,
    /// The app (client) secret, sealed under `oauth::network_app_purpose(network, None)`.
    pub secret_sealed: Vec<u8>,
    /// The verify token, sealed under [`verify_token_purpose`].
    pub verify_token_sealed: Option<Vec<u8>>,
}

impl std::fmt::Debug for WebhookApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookApp")
            .field("org_id", &self.org_id)
            .field("network", &self.network)
            .field("webhook_id", &self.webhook_id)
            .finish_non_exhaustive()
    }
}

/// What became of an offered delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Stored (committed): answer 200.
    Stored,
    /// The same body was accepted before, within the retention window: a replay.
    Replay,
}

/// A claimed delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub org_id: OrgId,
    pub network: Network,
    pub body: Vec<u8>,
    pub attempts: i64,
    pub received_at: DateTime<Utc>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("network", &self.network)
            .field("bytes", &self.body.len())
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// How a claimed delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryEnd {
    /// Processed: `ingested` messages were new, `dropped` entries named channels Owlery does not
    /// have (or were the account's own).
    Done { ingested: i64, dropped: i64 },
    /// It cannot be processed (it does not parse): kept with the reason, never retried.
    Poison { error: String },
    /// Something of ours failed (the database): try again after `retry_at`.
    Retry {
        error: String,
        retry_at: DateTime<Utc>,
    },
}

/// Counts of deliveries by status, for the status page and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
    pub ingested: i64,
    pub dropped: i64,
}

/// SHA-256 (hex) of a delivery's raw body: its identity for replay detection.
pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

type AppRow = (Uuid, String, String, Vec<u8>, Option<Vec<u8>>);

impl Store {
    /// The app whose webhook address carries `webhook_id` (one of the networks that push).
    pub async fn webhook_app(&self, webhook_id: &str) -> Result<Option<WebhookApp>> {
        let row: Option<AppRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT org_id, network, webhook_id, secret_sealed, verify_token_sealed \
                 FROM network_apps WHERE webhook_id = $1 AND service = ''",
            )
            .bind(webhook_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(|(org, network, webhook_id, secret_sealed, verify)| {
            Ok(WebhookApp {
                org_id: OrgId(org),
                network: Network::parse(&network)
                    .ok_or_else(|| StoreError::Corrupt(format!("network '{network}'")))?,
                webhook_id,
                secret_sealed,
                verify_token_sealed: verify,
            })
        })
        .transpose()
    }

    /// The webhook id and sealed verify token of the organisation's app on `network`, made now from
    /// `fresh_id` and `fresh_token_sealed` when it has none (audited as `network_app.webhook`).
    /// `NotFound` when the organisation has no app there.
    pub async fn ensure_app_webhook(
        &self,
        actor: &Actor,
        org: OrgId,
        network: Network,
        fresh_id: &str,
        fresh_token_sealed: &[u8],
    ) -> Result<(String, Vec<u8>)> {
        let now = self.now();
        let current: Option<(Option<String>, Option<Vec<u8>>)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT webhook_id, verify_token_sealed FROM network_apps \
                 WHERE org_id = $1 AND network = $2 AND service = ''",
            )
            .bind(org.0)
            .bind(network.code())
            .fetch_optional(pool)
            .await?
        });
        match current {
            None => return Err(StoreError::NotFound("network app")),
            Some((Some(id), Some(token))) => return Ok((id, token)),
            Some(_) => {}
        }
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE network_apps SET webhook_id = COALESCE(webhook_id, $1), \
                 verify_token_sealed = COALESCE(verify_token_sealed, $2) \
                 WHERE org_id = $3 AND network = $4 AND service = '' \
                 AND (webhook_id IS NULL OR verify_token_sealed IS NULL)",
            )
            .bind(fresh_id)
            .bind(fresh_token_sealed)
            .bind(org.0)
            .bind(network.code())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                append_audit!(
                    tx,
                    pg,
                    actor.entry(
                        "network_app.webhook",
                        "network_app",
                        Some(network.code().to_owned()),
                        None,
                        Some(json!({ "network": network.code(), "webhook": "created" }))
                    ),
                    now
                );
            }
            Ok(())
        })?;
        let row: Option<(Option<String>, Option<Vec<u8>>)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT webhook_id, verify_token_sealed FROM network_apps \
                 WHERE org_id = $1 AND network = $2 AND service = ''",
            )
            .bind(org.0)
            .bind(network.code())
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some((Some(id), Some(token))) => Ok((id, token)),
            _ => Err(StoreError::NotFound("network app")),
        }
    }

    /// Keep a delivery the app's signature vouched for: one insert, committed before this returns.
    /// A body already kept for the same app is a [`Accepted::Replay`] and changes nothing.
    pub async fn accept_webhook(
        &self,
        org: OrgId,
        network: Network,
        body: &[u8],
    ) -> Result<Accepted> {
        let now = self.now();
        let hash = body_hash(body);
        let id = Uuid::now_v7();
        let n = with_writer!(self, |pool, _pg| {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, org_id, network, body_hash, body, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (org_id, network, body_hash) DO NOTHING",
            )
            .bind(id)
            .bind(org.0)
            .bind(network.code())
            .bind(&hash)
            .bind(body)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(if n > 0 {
            Accepted::Stored
        } else {
            Accepted::Replay
        })
    }

    /// Claim up to `limit` pending deliveries, oldest first, whose lease is free or lapsed, for
    /// `lease`. Each claim counts an attempt.
    pub async fn claim_webhook_deliveries(
        &self,
        worker: &str,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let now = self.now();
        type Row = (Uuid, Uuid, String, Vec<u8>, i64, DateTime<Utc>);
        let rows: Vec<Row> = with_writer!(self, |pool, pg| {
            let lock = if pg { " FOR UPDATE SKIP LOCKED" } else { "" };
            let sql = format!(
                "UPDATE webhook_deliveries SET locked_by = $2, locked_until = $3, \
                 attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM webhook_deliveries \
                     WHERE status = 'pending' AND (locked_until IS NULL OR locked_until < $1) \
                     ORDER BY status, received_at LIMIT $4{lock}) \
                 RETURNING id, org_id, network, body, attempts, received_at"
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(worker)
                .bind(now + lease)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        let mut out: Vec<Delivery> = rows
            .into_iter()
            .map(|(id, org, network, body, attempts, received_at)| {
                Ok(Delivery {
                    id,
                    org_id: OrgId(org),
                    network: Network::parse(&network).ok_or_else(|| {
                        StoreError::Corrupt(format!("delivery {id} has network {network:?}"))
                    })?,
                    body,
                    attempts,
                    received_at,
                })
            })
            .collect::<Result<_>>()?;
        out.sort_by_key(|d| (d.received_at, d.id));
        Ok(out)
    }

    /// End claimed deliveries, in one transaction. Only rows still leased to `worker` change.
    pub async fn finish_webhook_deliveries(
        &self,
        worker: &str,
        ends: &[(Uuid, DeliveryEnd)],
    ) -> Result<()> {
        if ends.is_empty() {
            return Ok(());
        }
        let now = self.now();
        with_tx!(self, |tx, _pg| {
            for (id, end) in ends {
                match end {
                    DeliveryEnd::Done { ingested, dropped } => {
                        sqlx::query(
                            "UPDATE webhook_deliveries SET status = 'done', processed_at = $1, \
                             ingested = $2, dropped = $3, error = NULL, locked_by = NULL, \
                             locked_until = NULL WHERE id = $4 AND locked_by = $5",
                        )
                        .bind(now)
                        .bind(*ingested)
                        .bind(*dropped)
                        .bind(*id)
                        .bind(worker)
                        .execute(&mut *tx)
                        .await?;
                    }
                    DeliveryEnd::Poison { error } => {
                        sqlx::query(
                            "UPDATE webhook_deliveries SET status = 'failed', processed_at = $1, \
                             error = $2, locked_by = NULL, locked_until = NULL \
                             WHERE id = $3 AND locked_by = $4",
                        )
                        .bind(now)
                        .bind(cut(error))
                        .bind(*id)
                        .bind(worker)
                        .execute(&mut *tx)
                        .await?;
                    }
                    DeliveryEnd::Retry { error, retry_at } => {
                        sqlx::query(
                            "UPDATE webhook_deliveries SET error = $1, locked_by = NULL, \
                             locked_until = $2 WHERE id = $3 AND locked_by = $4",
                        )
                        .bind(cut(error))
                        .bind(*retry_at)
                        .bind(*id)
                        .bind(worker)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            Ok(())
        })
    }

    /// Which channel each `(network, account id)` of the organisation is: the channel connected
    /// to that account (`channel_credentials.account_id`). Accounts without one are absent.
    pub async fn webhook_channels(
        &self,
        org: OrgId,
        accounts: &[(Network, String)],
    ) -> Result<HashMap<(Network, String), ChannelId>> {
        let mut out = HashMap::new();
        if accounts.is_empty() {
            return Ok(out);
        }
        for chunk in accounts.chunks(300) {
            let rows = with_pool!(self, |pool, _pg| {
                let mut q = QueryBuilder::new(
                    "SELECT c.network, cc.account_id, c.id FROM channels c \
                     JOIN channel_credentials cc ON cc.channel_id = c.id \
                     JOIN workspaces w ON w.id = c.workspace_id \
                     WHERE w.org_id = ",
                );
                q.push_bind(org.0);
                q.push(" AND (");
                let mut first = true;
                for (network, account) in chunk {
                    if !first {
                        q.push(" OR ");
                    }
                    first = false;
                    q.push("(c.network = ");
                    q.push_bind(network.code());
                    q.push(" AND cc.account_id = ");
                    q.push_bind(account.as_str());
                    q.push(")");
                }
                q.push(")");
                let mut found = Vec::new();
                for row in q.build().fetch_all(pool).await? {
                    let network: String = row.try_get(0)?;
                    let account: String = row.try_get(1)?;
                    let id: Uuid = row.try_get(2)?;
                    found.push((network, account, id));
                }
                found
            });
            for (network, account, id) in rows {
                if let Some(n) = Network::parse(&network) {
                    out.insert((n, account), ChannelId(id));
                }
            }
        }
        Ok(out)
    }

    /// Mark messages deleted on the network (`deleted_at`), keeping them for the record, and
    /// announce their conversations on the live bus (one event each, recorded in the transaction).
    /// Returns how many were marked (unknown or already deleted ones are skipped).
    pub async fn mark_inbox_messages_deleted(
        &self,
        items: &[(ChannelId, String)],
        at: DateTime<Utc>,
    ) -> Result<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let (n, events) = with_tx!(self, |tx, _pg| {
            let mut n = 0;
            let mut events: Vec<LiveEvent> = Vec::new();
            for (channel, remote_id) in items {
                let places: Vec<(Uuid, Uuid, Uuid, String)> = sqlx::query_as(
                    "SELECT w.org_id, c.workspace_id, c.id, c.status FROM inbox_messages m \
                     JOIN inbox_conversations c ON c.id = m.conversation_id \
                     JOIN workspaces w ON w.id = c.workspace_id \
                     WHERE m.channel_id = $1 AND m.remote_id = $2 AND m.deleted_at IS NULL",
                )
                .bind(channel.0)
                .bind(remote_id.as_str())
                .fetch_all(&mut *tx)
                .await?;
                n += sqlx::query(
                    "UPDATE inbox_messages SET deleted_at = $1 \
                     WHERE channel_id = $2 AND remote_id = $3 AND deleted_at IS NULL",
                )
                .bind(at)
                .bind(channel.0)
                .bind(remote_id.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                for (org, workspace, conversation, status) in places {
                    if events.iter().any(|e| e.conversation_id.0 == conversation) {
                        continue;
                    }
                    events.push(LiveEvent::new(
                        OrgId(org),
                        WorkspaceId(workspace),
                        *channel,
                        ConversationId(conversation),
                        LiveKind::Conversation {
                            change: Change::Message,
                            status: Some(status),
                            by: None,
                        },
                    ));
                }
            }
            Outbox::record(&mut *tx, self.live(), &events).await?;
            Ok((n, events))
        })?;
        self.announce(events).await;
        Ok(n)
    }

    /// Delete deliveries processed (or failed) before `before`. Returns how many went.
    pub async fn prune_webhook_deliveries(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(with_writer!(self, |pool, _pg| {
            sqlx::query(
                "DELETE FROM webhook_deliveries WHERE status IN ('done', 'failed') \
                 AND received_at < $1",
            )
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// Deliveries by status, with what the processed ones ingested and dropped.
    pub async fn webhook_delivery_counts(&self) -> Result<DeliveryCounts> {
        let rows: Vec<(String, i64, i64, i64)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT status, COUNT(*), CAST(COALESCE(SUM(ingested), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(dropped), 0) AS BIGINT) \
                 FROM webhook_deliveries GROUP BY status",
            )
            .fetch_all(pool)
            .await?
        });
        let mut c = DeliveryCounts::default();
        for (status, n, ingested, dropped) in rows {
            match status.as_str() {
                "pending" => c.pending = n,
                "done" => c.done = n,
                _ => c.failed += n,
            }
            c.ingested += ingested;
            c.dropped += dropped;
        }
        Ok(c)
    }

    /// The error kept with a failed delivery (tests, operators).
    pub async fn webhook_delivery_errors(&self) -> Result<Vec<String>> {
        Ok(with_pool!(self, |pool, _pg| {
            sqlx::query_scalar(
                "SELECT COALESCE(error, '') FROM webhook_deliveries WHERE status = 'failed' \
                 ORDER BY received_at",
            )
            .fetch_all(pool)
            .await?
        }))
    }
}

/// Errors are for people; long ones are cut.
fn cut(s: &str) -> String {
    const MAX: usize = 500;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
