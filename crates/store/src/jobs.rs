//! The durable job queue, shared by every worker process.
//!
//! A claim is its own committed transaction that marks the job `running` with a lease
//! (`locked_until`); the job's side effects happen after that commit, never inside it. A worker that
//! dies leaves a lease that runs out, and the job becomes claimable again — so jobs must be
//! idempotent or reconcile (the publishing engine does the latter). A claim is one `UPDATE`
//! statement: on PostgreSQL its probes use `FOR UPDATE SKIP LOCKED` so many workers never take the
//! same job; on SQLite the statement holds the single writer's lock from its first read, which
//! gives the same guarantee.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i64,
}

impl NewJob {
    pub fn new(kind: &str, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.to_owned(),
            payload,
            run_at: None,
            max_attempts: 8,
        }
    }
}

/// Counts by status, for `/metrics` and the operations page.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct QueueDepth {
    pub queued: i64,
    pub running: i64,
    pub failed: i64,
}

type JobRow = (Uuid, String, String, i64, i64, DateTime<Utc>);

fn into_job(r: JobRow) -> Result<Job> {
    let (id, kind, payload, attempts, max_attempts, run_at) = r;
    let payload = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Corrupt(format!("job {id} payload: {e}")))?;
    Ok(Job {
        id,
        kind,
        payload,
        attempts,
        max_attempts,
        run_at,
    })
}

impl Store {
    pub async fn enqueue(&self, job: NewJob) -> Result<Uuid> {
        let now = self.now();
        let id = Uuid::now_v7();
        with_writer!(self, |pool, _pg| {
            sqlx::query(
                "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $6)",
            )
            .bind(id)
            .bind(&job.kind)
            .bind(job.payload.to_string())
            .bind(job.run_at.unwrap_or(now))
            .bind(job.max_attempts)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(id)
    }

    /// Claim the most overdue job of one of `kinds` (queued and due, or running with a lapsed lease).
    /// The claim is committed before this returns.
    ///
    /// One `UPDATE … RETURNING` statement, a transaction by itself. Its two probes are each an
    /// ordered walk of the `(status, run_at)` index that stops at the first match — running jobs
    /// whose lease lapsed (a handful at most), then due queued jobs — and the earlier of the two
    /// is taken. On PostgreSQL each probe skips rows other workers hold (`FOR UPDATE SKIP
    /// LOCKED`); on SQLite the statement holds the write lock from its first read. (A single probe
    /// with `OR` between the two cases cannot walk the index in order: both databases then read
    /// and sort every due job for each claim, which made a burst of due jobs quadratic.)
    pub async fn claim_job(
        &self,
        worker: &str,
        kinds: &[&str],
        lease: Duration,
    ) -> Result<Option<Job>> {
        let now = self.now();
        let kinds_json =
            serde_json::to_string(kinds).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row: Option<JobRow> = with_writer!(self, |pool, pg| {
            let (kind_in, lock) = if pg {
                (
                    "kind IN (SELECT jsonb_array_elements_text($1::jsonb))",
                    " FOR UPDATE SKIP LOCKED",
                )
            } else {
                ("kind IN (SELECT value FROM json_each($1))", "")
            };
            let probe = |due: &str| {
                format!(
                    "SELECT id, run_at FROM (SELECT id, run_at FROM jobs WHERE {due} AND {kind_in} \
                     ORDER BY run_at LIMIT 1{lock}) AS p"
                )
            };
            let sql = format!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $3, \
                 locked_until = $4, updated_at = $2 \
                 WHERE id = (SELECT id FROM ({} UNION ALL {}) AS due ORDER BY run_at LIMIT 1) \
                 RETURNING id, kind, payload, attempts, max_attempts, run_at",
                probe("status = 'running' AND locked_until < $2"),
                probe("status = 'queued' AND run_at <= $2"),
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&kinds_json)
                .bind(now)
                .bind(worker)
                .bind(now + lease)
                .fetch_optional(pool)
                .await?
        });
        row.map(into_job).transpose()
    }

    /// The job succeeded. Its payload is cleared: it may have held a one-time link.
    pub async fn complete_job(&self, id: Uuid) -> Result<()> {
        let now = self.now();
        with_writer!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE jobs SET status = 'done', payload = '{}', locked_by = NULL, locked_until = NULL, \
                 updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The job failed: try again at `retry_at`, or give up (`None`) and keep the error for people.
    pub async fn fail_job(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = self.now();
        let error: String = error.chars().take(2000).collect();
        with_writer!(self, |pool, _pg| {
            match retry_at {
                Some(at) => sqlx::query(
                    "UPDATE jobs SET status = 'queued', run_at = $1, last_error = $2, locked_by = NULL, \
                     locked_until = NULL, updated_at = $3 WHERE id = $4",
                )
                .bind(at)
                .bind(&error)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected(),
                None => sqlx::query(
                    "UPDATE jobs SET status = 'failed', last_error = $1, locked_by = NULL, \
                     locked_until = NULL, updated_at = $2 WHERE id = $3",
                )
                .bind(&error)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected(),
            }
        });
        Ok(())
    }

    /// The job waits (a rate-limit budget): queued again for `at`, and the attempt it just used
    /// does not count.
    pub async fn defer_job(&self, id: Uuid, note: &str, at: DateTime<Utc>) -> Result<()> {
        let now = self.now();
        let note: String = note.chars().take(2000).collect();
        with_writer!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE jobs SET status = 'queued', run_at = $1, last_error = $2, attempts = attempts - 1, \
                 locked_by = NULL, locked_until = NULL, updated_at = $3 WHERE id = $4",
            )
            .bind(at)
            .bind(&note)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    pub async fn queue_depth(&self) -> Result<QueueDepth> {
        let rows: Vec<(String, i64)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running', 'failed') GROUP BY status",
            )
            .fetch_all(pool)
            .await?
        });
        let mut d = QueueDepth::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => d.queued = n,
                "running" => d.running = n,
                _ => d.failed = n,
            }
        }
        Ok(d)
    }

    /// The next time any queued job of these kinds is due, so a worker can sleep until then. (The
    /// first in `run_at` order, not `MIN(run_at)`: with the kind filter, `MIN` reads every queued
    /// job, and months of scheduled posts are queued jobs.)
    pub async fn next_job_due(&self, kinds: &[&str]) -> Result<Option<DateTime<Utc>>> {
        let kinds_json =
            serde_json::to_string(kinds).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(with_pool!(self, |pool, pg| {
            let sql = if pg {
                "SELECT run_at FROM jobs WHERE status = 'queued' \
                 AND kind IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY run_at LIMIT 1"
            } else {
                "SELECT run_at FROM jobs WHERE status = 'queued' \
                 AND kind IN (SELECT value FROM json_each($1)) ORDER BY run_at LIMIT 1"
            };
            sqlx::query_scalar(sql)
                .bind(&kinds_json)
                .fetch_optional(pool)
                .await?
        }))
    }
}
