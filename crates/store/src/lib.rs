//! Persistence for Owlery: one [`Store`] over SQLite (embedded, the default) or PostgreSQL
//! (multi-node). Migrations live per backend under `migrations/`; queries are written once where
//! the dialects agree (`$1` placeholders work on both) and split where they do not.
//!
//! Every change that matters writes its audit event in the same transaction (see [`audit`]).
//! The store never decides *whether* something is allowed: callers check [`owlery_domain::Access`]
//! first. It does enforce what the data itself must satisfy (uniqueness, existence).

use std::{str::FromStr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use owlery_domain::{Clock, InvalidInput};
use sqlx::{
    Connection as _, PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

#[macro_use]
mod macros;
pub mod audit;
pub mod campaigns;
pub mod comments;
pub mod engine;
#[macro_use]
pub mod inbox;
pub mod inbox_actions;
pub mod inbox_polls;
pub mod inbox_replies;
pub mod inbox_rules;
pub mod inbox_work;
pub mod jobs;
pub mod live;
pub mod media;
pub mod notifications;
pub mod oauth;
pub mod org;
pub mod posts;
pub mod presence;
pub mod publishing;
pub mod queues;
pub mod reviews;
pub mod saved_replies;
pub mod sessions;
pub mod signing;
pub mod tokens;
pub mod users;
pub mod vault;
pub mod webhooks;

#[cfg(any(test, feature = "test-support"))]
pub mod bulk;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

/// Errors from the store. `NotFound` and `Conflict` are about the caller's input and become 4xx at
/// the HTTP edge; `Database` is ours.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Turn a unique-constraint violation into a `Conflict` about `field`; other errors pass.
    pub(crate) fn unique(
        field: &'static str,
        message: &str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError {
        let message = message.to_owned();
        move |e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict { field, message }
            }
            _ => StoreError::Database(e),
        }
    }
}

/// The two backends. Repository code dispatches on this with the `with_pool!`/`with_tx!` macros,
/// which compile the same body for each backend.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // Both databases keep microseconds; truncating here makes what we hold equal what we read.
        owlery_domain::audit::chain_time(Utc::now())
    }
}

#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Db,
    clock: Arc<dyn Clock>,
    /// SQLite has one writer at a time. Without this, a writer that finds the lock taken waits in
    /// SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries: in a burst of jobs most
    /// of a worker's time went there. This process's writers (`with_tx!`, `with_writer!`) queue
    /// here instead, in turn, and the lock is free when they reach SQLite; other processes on the
    /// same file still meet the busy timeout. Not used on PostgreSQL.
    pub(crate) write_gate: Arc<tokio::sync::Mutex<()>>,
    /// Live inbox events to every node's `/inbox/events` streams (see [`live`]).
    live: Arc<dyn live::LiveBus>,
    /// Which networks let Owlery answer which kinds of message, for rules' automatic answers
    /// (`None`: this process sends none; see [`Store::with_reply_capability`]).
    reply_capability: Option<inbox_replies::ReplyCapability>,
}

/// Which database, and how to reach it.
#[derive(Debug, Clone)]
pub enum DatabaseConfig {
    /// A SQLite file (created if missing).
    Sqlite { path: std::path::PathBuf },
    /// A PostgreSQL URL (`postgres://…`).
    Postgres { url: String, max_connections: u32 },
}

/// SQLite page cache per connection, in KiB: 16 MiB (SQLite's default is 2 MiB), allocated as
/// pages are read. The inbox's indexes are written at random places, and a page found in the
/// cache is one read system call fewer.
const SQLITE_CACHE_KIB: i64 = 16 * 1024;
/// For bulk writers (`owlery inbox import`): a transaction of thousands of messages dirties more
/// index pages than 16 MiB hold, and SQLite then spills them to the WAL mid-transaction and reads
/// them back from there. One process doing one job can afford 256 MiB.
const SQLITE_BULK_CACHE_KIB: i64 = 256 * 1024;

impl Store {
    pub async fn connect(config: &DatabaseConfig) -> Result<Store> {
        Store::connect_with_cache(config, SQLITE_CACHE_KIB).await
    }

    /// [`Store::connect`] for a process that writes in large batches (an import): on SQLite, a
    /// larger page cache per connection. PostgreSQL is unchanged.
    pub async fn connect_for_bulk_writes(config: &DatabaseConfig) -> Result<Store> {
        Store::connect_with_cache(config, SQLITE_BULK_CACHE_KIB).await
    }

    async fn connect_with_cache(config: &DatabaseConfig, sqlite_cache_kib: i64) -> Result<Store> {
        let db = match config {
            DatabaseConfig::Sqlite { path } => {
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Database(sqlx::Error::Configuration(
                            format!("cannot create the data directory {}: {e}", dir.display())
                                .into(),
                        ))
                    })?;
                }
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .pragma("temp_store", "memory")
                    .pragma("cache_size", (-sqlite_cache_kib).to_string());
                // No ping before handing out a connection: a SQLite connection is a file in this
                // process and cannot have gone away, and the ping is one more round trip to the
                // connection's thread on every query (about a fifth of the publishing path's).
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    .test_before_acquire(false)
                    // A connection whose rollback failed (a full disk, say) still counts itself
                    // inside a transaction, and every later `begin` on it fails ("begin_with at
                    // non-zero transaction depth"): close it instead of handing it out again.
                    .before_acquire(|conn, _| {
                        Box::pin(async move { Ok(!conn.is_in_transaction()) })
                    })
                    .connect_with(opts)
                    .await?;
                Db::Sqlite(pool)
            }
            DatabaseConfig::Postgres {
                url,
                max_connections,
            } => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(*max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    // See the SQLite pool: never reuse a connection stuck in a transaction.
                    .before_acquire(|conn, _| {
                        Box::pin(async move { Ok(!conn.is_in_transaction()) })
                    })
                    .connect_with(opts)
                    .await?;
                Db::Postgres(pool)
            }
        };
        let live: Arc<dyn live::LiveBus> = match &db {
            Db::Sqlite(pool) => Arc::new(live::SqliteBus::new(pool.clone())),
            Db::Postgres(pool) => Arc::new(live::PgBus::new(pool.clone())),
        };
        Ok(Store {
            live,
            db,
            clock: Arc::new(SystemClock),
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
            reply_capability: None,
        })
    }

    /// Let routing rules answer automatically where `capability` says the network can (the
    /// connectors know; the store does not depend on them). Processes that ingest live traffic
    /// (`serve`, `worker`) set it; without it ingest sends no automatic answer (an import of old
    /// messages must not answer them).
    pub fn with_reply_capability(mut self, capability: inbox_replies::ReplyCapability) -> Store {
        self.reply_capability = Some(capability);
        self
    }

    /// Whether an automatic answer may go to a message of `kind` on `network` (practice channels
    /// always can: the answer stays on this server).
    pub(crate) fn can_auto_reply(
        &self,
        network: &str,
        auth: owlery_domain::org::AuthKind,
        simulated: bool,
        kind: owlery_domain::inbox::MessageKind,
    ) -> bool {
        self.reply_capability
            .as_ref()
            .is_some_and(|can| simulated || can.can_reply(network, auth, kind))
    }

    /// Use another clock (tests, simulations).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// The live bus this store publishes inbox changes to.
    pub fn live(&self) -> &dyn live::LiveBus {
        self.live.as_ref()
    }

    /// Publish what a committed change recorded (see `message_event!` in `inbox`): to this
    /// node's subscribers and, on PostgreSQL, every other node's.
    pub(crate) async fn announce(&self, events: impl IntoIterator<Item = live::LiveEvent>) {
        let events: Vec<live::LiveEvent> = events.into_iter().collect();
        if !events.is_empty() {
            self.live().publish(events).await;
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Whether every migration this binary knows has been applied (for `/readyz`).
    pub async fn is_ready(&self) -> Result<bool> {
        let known = match &self.db {
            Db::Sqlite(_) => sqlx::migrate!("./migrations/sqlite").migrations.len(),
            Db::Postgres(_) => sqlx::migrate!("./migrations/postgres").migrations.len(),
        } as i64;
        let applied: i64 = with_pool!(self, |pool, _pg| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(pool)
                .await?
        });
        Ok(applied >= known)
    }

    /// Pool gauges for `/metrics`: (connections open, idle).
    pub fn pool_stats(&self) -> (u32, usize) {
        match &self.db {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    /// An online, consistent copy of a SQLite database (`VACUUM INTO`), safe while Owlery runs.
    pub async fn backup_sqlite_to(&self, target: &std::path::Path) -> Result<()> {
        match &self.db {
            Db::Sqlite(pool) => {
                let target = target.to_string_lossy().into_owned();
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(pool)
                    .await?
                    .rows_affected();
                Ok(())
            }
            Db::Postgres(_) => Err(StoreError::Invalid(InvalidInput::new(
                "to",
                "unsupported",
                "backups of PostgreSQL are made with pg_dump (see `owlery backup --help`)",
            ))),
        }
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}
