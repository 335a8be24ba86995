//! Which channels' inboxes are polled, where each poll left off, and when the next is due.
//!
//! A poll is claimed like a job: one `UPDATE … RETURNING` that takes the most overdue row whose
//! channel is connected and whose lease is free or lapsed, and sets a lease (on PostgreSQL its
//! probe skips rows other pollers hold: `FOR UPDATE SKIP LOCKED`). The poller then reads the
//! network, ingests, and only then [`Store::finish_inbox_poll`] stores the cursor — so a poller
//! that dies re-reads a page (the inbox dedupes) and never skips one. Finishing checks the lease is
//! still the poller's: a poller that overran its lease does not overwrite the next one's cursor.
//! Simulated channels (a simulated audience writes to them) are claimed only by pollers that
//! simulate one.

use chrono::{DateTime, Duration, Utc};
use owlery_domain::{ChannelId, org::Network};
use uuid::Uuid;

use crate::{Result, Store, StoreError};

/// A claimed poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollClaim {
    pub channel_id: ChannelId,
    pub network: Network,
    pub handle: String,
    pub cursor: Option<String>,
    pub failures: i64,
    /// A simulated channel (the sandbox's audience writes to it, not a network).
    pub simulated: bool,
}

/// How a poll ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollEnd<'a> {
    /// Read and ingested: store `cursor` (when the network gave one) and count `ingested`.
    Done {
        cursor: Option<&'a str>,
        ingested: i64,
    },
    /// It failed: keep the cursor, record the reason for people, count the failure.
    Failed { error: &'a str },
}

/// A channel's polling, for the settings and status pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollState {
    pub channel_id: ChannelId,
    pub due_at: DateTime<Utc>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub ingested: i64,
}

impl Store {
    /// Start polling every simulated channel that is not polled yet, due now (when this Owlery
    /// simulates an audience: the demo, drills, load tests). Returns how many were added.
    pub async fn ensure_simulated_inbox_polls(&self) -> Result<u64> {
        let now = self.now();
        Ok(with_pool!(self, |pool, pg| {
            let simulated = if pg { "c.simulated" } else { "c.simulated = 1" };
            let sql = format!(
                "INSERT INTO inbox_polls (channel_id, due_at) \
                 SELECT c.id, $1 FROM channels c \
                 WHERE {simulated} AND c.status = 'connected' \
                 AND NOT EXISTS (SELECT 1 FROM inbox_polls p WHERE p.channel_id = c.id) \
                 ON CONFLICT (channel_id) DO NOTHING"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Start polling every connected channel (one with credentials) on `networks` that is not
    /// polled yet, due now. Returns how many were added.
    pub async fn ensure_inbox_polls(&self, networks: &[Network]) -> Result<u64> {
        if networks.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let codes: Vec<&str> = networks.iter().map(|n| n.code()).collect();
        let codes_json =
            serde_json::to_string(&codes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(with_pool!(self, |pool, pg| {
            let network_in = if pg {
                "c.network IN (SELECT jsonb_array_elements_text($1::jsonb))"
            } else {
                "c.network IN (SELECT value FROM json_each($1))"
            };
            let sql = format!(
                "INSERT INTO inbox_polls (channel_id, due_at) \
                 SELECT c.id, $2 FROM channels c \
                 JOIN channel_credentials cc ON cc.channel_id = c.id \
                 WHERE {network_in} AND c.status = 'connected' \
                 AND NOT EXISTS (SELECT 1 FROM inbox_polls p WHERE p.channel_id = c.id) \
                 ON CONFLICT (channel_id) DO NOTHING"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&codes_json)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Claim the most overdue poll of a connected channel, with a lease of `lease`.
    pub async fn claim_inbox_poll(
        &self,
        poller: &str,
        lease: Duration,
        simulated_too: bool,
    ) -> Result<Option<PollClaim>> {
        let now = self.now();
        let row: Option<(Uuid, String, String, Option<String>, i64, bool)> =
            with_pool!(self, |pool, pg| {
                let lock = if pg {
                    " FOR UPDATE OF p SKIP LOCKED"
                } else {
                    ""
                };
                let sql = format!(
                    "UPDATE inbox_polls SET locked_by = $2, locked_until = $3 \
                 WHERE channel_id = (SELECT p.channel_id FROM inbox_polls p \
                     JOIN channels c ON c.id = p.channel_id \
                     WHERE p.due_at <= $1 AND c.status = 'connected' AND ($4 OR NOT c.simulated) \
                     AND (p.locked_until IS NULL OR p.locked_until < $1) \
                     ORDER BY p.due_at LIMIT 1{lock}) \
                 RETURNING channel_id, \
                     (SELECT network FROM channels WHERE id = inbox_polls.channel_id), \
                     (SELECT handle FROM channels WHERE id = inbox_polls.channel_id), \
                     cursor, failures, \
                     (SELECT simulated FROM channels WHERE id = inbox_polls.channel_id)"
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(now)
                    .bind(poller)
                    .bind(now + lease)
                    .bind(simulated_too)
                    .fetch_optional(pool)
                    .await?
            });
        row.map(|(id, network, handle, cursor, failures, simulated)| {
            let network = Network::parse(&network).ok_or_else(|| {
                StoreError::Corrupt(format!("channel {id} has unknown network {network:?}"))
            })?;
            Ok(PollClaim {
                channel_id: ChannelId(id),
                network,
                handle,
                cursor,
                failures,
                simulated,
            })
        })
        .transpose()
    }

    /// End a claimed poll: store what it did and when the next one is due, and free the lease.
    /// Returns `false` (and changes nothing) when the lease is no longer this poller's.
    pub async fn finish_inbox_poll(
        &self,
        channel: ChannelId,
        poller: &str,
        end: PollEnd<'_>,
        next_due: DateTime<Utc>,
    ) -> Result<bool> {
        let now = self.now();
        let n = with_pool!(self, |pool, _pg| {
            match end {
                PollEnd::Done { cursor, ingested } => sqlx::query(
                    "UPDATE inbox_polls SET cursor = COALESCE($1, cursor), due_at = $2, \
                     last_polled_at = $3, last_error = NULL, failures = 0, \
                     ingested = ingested + $4, locked_by = NULL, locked_until = NULL \
                     WHERE channel_id = $5 AND locked_by = $6",
                )
                .bind(cursor)
                .bind(next_due)
                .bind(now)
                .bind(ingested)
                .bind(channel.0)
                .bind(poller)
                .execute(pool)
                .await?
                .rows_affected(),
                PollEnd::Failed { error } => sqlx::query(
                    "UPDATE inbox_polls SET due_at = $1, last_polled_at = $2, last_error = $3, \
                     failures = failures + 1, locked_by = NULL, locked_until = NULL \
                     WHERE channel_id = $4 AND locked_by = $5",
                )
                .bind(next_due)
                .bind(now)
                .bind(cut(error))
                .bind(channel.0)
                .bind(poller)
                .execute(pool)
                .await?
                .rows_affected(),
            }
        });
        Ok(n > 0)
    }

    /// A channel's polling state, if it is polled.
    pub async fn inbox_poll_state(&self, channel: ChannelId) -> Result<Option<PollState>> {
        type Row = (
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<String>,
            i64,
            i64,
        );
        let row: Option<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT due_at, last_polled_at, last_error, failures, ingested \
                 FROM inbox_polls WHERE channel_id = $1",
            )
            .bind(channel.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(
            |(due_at, last_polled_at, last_error, failures, ingested)| PollState {
                channel_id: channel,
                due_at,
                last_polled_at,
                last_error,
                failures,
                ingested,
            },
        ))
    }

    /// The next time any poll is due, so a poller can sleep until then.
    pub async fn next_inbox_poll_due(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(with_pool!(self, |pool, _pg| {
            sqlx::query_scalar("SELECT due_at FROM inbox_polls ORDER BY due_at LIMIT 1")
                .fetch_optional(pool)
                .await?
        }))
    }
}

/// Error texts are for people; a network's long answer is cut.
fn cut(s: &str) -> String {
    const MAX: usize = 500;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
