//! Dispatch on the backend. The body is compiled once per backend with `$pool` (or `$tx`) bound to
//! that backend's pool (or transaction) and `$pg` telling which one it is, for the few places where
//! the SQL differs.

/// Run `$body` with the backend's pool.
macro_rules! with_pool {
    ($store:expr, |$pool:ident, $pg:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $pg = false;
                $body
            }
            $crate::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $pg = true;
                $body
            }
        }
    };
}

/// Like `with_pool!`, for a body that writes (one statement, its own transaction): on SQLite it
/// first takes this process's turn to write (`Store::write_gate`).
macro_rules! with_writer {
    ($store:expr, |$pool:ident, $pg:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => {
                let _turn = $store.write_gate.lock().await;
                #[allow(unused_variables)]
                let $pg = false;
                $body
            }
            $crate::Db::Postgres($pool) => {
                #[allow(unused_variables)]
                let $pg = true;
                $body
            }
        }
    };
}

/// Run `$body` (an expression yielding `Result<T, StoreError>`) in a transaction: committed when it
/// returns `Ok`, rolled back otherwise. SQLite takes the write lock up front (`BEGIN IMMEDIATE`)
/// after this process's turn to write (`Store::write_gate`), so that writers queue instead of
/// failing with SQLITE_BUSY (writers of other processes: on the busy timeout).
macro_rules! with_tx {
    ($store:expr, |$tx:ident, $pg:ident| $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite(pool) => {
                // This process's turn to write first (`Store::write_gate`), then SQLite's lock.
                let _turn = $store.write_gate.lock().await;
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                #[allow(unused_variables)]
                let $pg = false;
                let out: $crate::Result<_> = async { $body }.await;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
            $crate::Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                #[allow(unused_variables)]
                let $pg = true;
                let out: $crate::Result<_> = async { $body }.await;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
        }
    };
}

/// Append an audit event inside the current transaction; yields the chained record.
macro_rules! append_audit {
    ($tx:ident, $pg:ident, $entry:expr, $now:expr) => {{
        let head_sql = if $pg {
            "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
        } else {
            "SELECT seq, hash FROM audit_head WHERE id = 1"
        };
        let head: (i64, String) = sqlx::query_as(head_sql).fetch_one(&mut *$tx).await?;
        let record = owlery_domain::audit::chain($entry, $now, Some((head.0, head.1.as_str())));
        // The head's row lock is held until the transaction commits, and every audited write
        // waits for it: on PostgreSQL the event and the new head go in one statement (one round
        // trip under the lock instead of two).
        let append_sql = if $pg {
            "WITH appended AS (INSERT INTO audit_events (seq, at, actor_id, actor_label, action, \
             target_type, target_id, ip, before, after, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)) \
             UPDATE audit_head SET seq = $1, hash = $12 WHERE id = 1"
        } else {
            "INSERT INTO audit_events (seq, at, actor_id, actor_label, action, target_type, \
             target_id, ip, before, after, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        };
        sqlx::query(append_sql)
            .bind(record.seq)
            .bind(record.at)
            .bind(&record.entry.actor_id)
            .bind(&record.entry.actor_label)
            .bind(&record.entry.action)
            .bind(&record.entry.target_type)
            .bind(&record.entry.target_id)
            .bind(&record.entry.ip)
            .bind(&record.entry.before)
            .bind(&record.entry.after)
            .bind(&record.prev_hash)
            .bind(&record.hash)
            .execute(&mut *$tx)
            .await?;
        if !$pg {
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(record.seq)
                .bind(&record.hash)
                .execute(&mut *$tx)
                .await?;
        }
        record
    }};
}

/// Insert an in-app notification (and the job that e-mails it) inside the current transaction.
macro_rules! insert_notification {
    ($tx:ident, $n:expr, $now:expr) => {{
        let n: &$crate::notifications::NewNotification = $n;
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO notifications (id, user_id, kind, params, link, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(n.user_id.0)
        .bind(&n.kind)
        .bind(n.params.to_string())
        .bind(&n.link)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        if n.email {
            sqlx::query(
                "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'queued', $4, 0, 8, $4, $4)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind($crate::notifications::MAIL_JOB)
            .bind(serde_json::json!({ "notification_id": id }).to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
        id
    }};
}

/// Whether a post belongs to an all-or-nothing campaign, whose release job publishes its variants
/// together (so they get no job of their own).
macro_rules! in_held_campaign {
    ($tx:ident, $campaign:expr) => {{
        let campaign: Option<owlery_domain::CampaignId> = $campaign;
        match campaign {
            Some(c) => {
                let row: Option<(bool,)> =
                    sqlx::query_as("SELECT all_or_nothing FROM campaigns WHERE id = $1")
                        .bind(c.0)
                        .fetch_optional(&mut *$tx)
                        .await?;
                row.is_some_and(|(aon,)| aon)
            }
            None => false,
        }
    }};
}
