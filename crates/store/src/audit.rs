//! Reading and verifying the audit log. Appending happens inside each change's own transaction
//! (the `append_audit!` macro), never here, so that no change can commit without its event.

use chrono::{DateTime, Utc};
use owlery_domain::audit::{AuditEntry, AuditRecord, ChainBreak, ChainVerifier};

use crate::{Result, Store};

/// Filters for the audit page, API and export.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact actor label (an e-mail address, `system`, `cli`).
    pub actor: Option<String>,
    /// An action, or a prefix of one ending in `.` (`user.` matches every user action).
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only events older than this sequence number (the cursor).
    pub before_seq: Option<i64>,
}

type AuditRow = (
    i64,
    DateTime<Utc>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn into_record(r: AuditRow) -> AuditRecord {
    let (
        seq,
        at,
        actor_id,
        actor_label,
        action,
        target_type,
        target_id,
        ip,
        before,
        after,
        prev_hash,
        hash,
    ) = r;
    AuditRecord {
        seq,
        at,
        entry: AuditEntry {
            actor_id,
            actor_label,
            action,
            target_type,
            target_id,
            ip,
            before,
            after,
        },
        prev_hash,
        hash,
    }
}

const COLUMNS: &str = "seq, at, actor_id, actor_label, action, target_type, target_id, ip, before, after, prev_hash, hash";

/// The outcome of verifying the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub checked: u64,
    pub result: std::result::Result<(), ChainBreak>,
}

impl Store {
    /// Newest first, filtered, at most `limit`.
    pub async fn audit_events(&self, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRecord>> {
        let (action_exact, action_prefix) = match &f.action {
            Some(a) if a.ends_with('.') => (None, Some(format!("{a}%"))),
            Some(a) => (Some(a.clone()), None),
            None => (None, None),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE \
             ($1 IS NULL OR actor_label = $1) AND ($2 IS NULL OR action = $2) \
             AND ($3 IS NULL OR action LIKE $3) AND ($4 IS NULL OR target_id = $4) \
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) AND ($7 IS NULL OR seq < $7) \
             ORDER BY seq DESC LIMIT $8"
        );
        let rows: Vec<AuditRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&f.actor)
                .bind(&action_exact)
                .bind(&action_prefix)
                .bind(&f.target_id)
                .bind(f.from)
                .bind(f.to)
                .bind(f.before_seq)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(into_record).collect())
    }

    /// Walk the whole chain in pages and check every link, then the head.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport> {
        let mut verifier = ChainVerifier::new();
        let mut after = 0i64;
        let sql =
            format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 5000");
        loop {
            let rows: Vec<AuditRow> = with_pool!(self, |pool, _pg| {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(after)
                    .fetch_all(pool)
                    .await?
            });
            let Some(last) = rows.last() else { break };
            after = last.0;
            for row in rows {
                let rec = into_record(row);
                if let Err(e) = verifier.push(&rec) {
                    return Ok(ChainReport {
                        checked: verifier.checked,
                        result: Err(e),
                    });
                }
            }
        }
        let head: (i64, String) = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        Ok(ChainReport {
            checked: verifier.checked,
            result: verifier.finish(Some((head.0, head.1.as_str()))),
        })
    }

    /// Run raw SQL against the database: only for tests that tamper with the log on purpose.
    #[cfg(any(test, feature = "test-support"))]
    pub async fn execute_raw_for_tests(&self, sql: &str) -> Result<u64> {
        let sql = sql.to_owned();
        Ok(with_pool!(self, |pool, _pg| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
