//! Fresh databases for tests, on either backend.
//!
//! SQLite: a file in a temporary directory. PostgreSQL: a new database on the server named by
//! `OWLERY_TEST_POSTGRES_URL` (the test command starts one). When that variable is missing the
//! PostgreSQL half is skipped with a loud note — except under `CI_SERVICES=1`, where a missing
//! server is a failure, so CI can never pass without testing PostgreSQL.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{DatabaseConfig, Store};

/// A database that lives as long as the value (the SQLite temp dir is removed on drop).
pub struct TestDb {
    pub store: Store,
    _dir: Option<TempDir>,
}

/// A minimal temp dir (no extra dependency): removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn sqlite() -> anyhow_like::Result<TestDb> {
    let dir = TempDir::new("owlery-test")?;
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: dir.0.join("owlery.db"),
    })
    .await?;
    store.migrate().await?;
    Ok(TestDb {
        store,
        _dir: Some(dir),
    })
}

/// The PostgreSQL server for tests, or `None` (with a note) when none is configured.
pub fn postgres_url() -> Option<String> {
    match std::env::var("OWLERY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI_SERVICES").is_err(),
                "CI_SERVICES is set but OWLERY_TEST_POSTGRES_URL is not: PostgreSQL tests cannot be skipped here"
            );
            eprintln!(
                "note: OWLERY_TEST_POSTGRES_URL is not set; skipping the PostgreSQL half (scripts/test sets it)"
            );
            None
        }
    }
}

/// A fresh PostgreSQL database, or `None` when no server is configured.
pub async fn postgres() -> anyhow_like::Result<Option<TestDb>> {
    let Some(url) = postgres_url() else {
        return Ok(None);
    };
    let (store, _) = fresh_postgres(&url, "owlery_t", 8).await?;
    Ok(Some(TestDb { store, _dir: None }))
}

/// A new, migrated database named `<prefix>_<random>` on the server at `server_url` (any database
/// URL on it): the store (with a pool of `max_connections`) and the new database's URL, for other
/// processes. Nothing removes it; [`drop_postgres`] does.
pub async fn fresh_postgres(
    server_url: &str,
    prefix: &str,
    max_connections: u32,
) -> anyhow_like::Result<(Store, String)> {
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let admin = Store::connect(&DatabaseConfig::Postgres {
        url: server_url.to_owned(),
        max_connections: 1,
    })
    .await?;
    admin
        .execute_raw_for_tests(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await;
    let db_url = database_url(server_url, &name);
    let store = Store::connect(&DatabaseConfig::Postgres {
        url: db_url.clone(),
        max_connections,
    })
    .await?;
    store.migrate().await?;
    Ok((store, db_url))
}

/// Remove a database made by [`fresh_postgres`] (its connections are ended first).
pub async fn drop_postgres(server_url: &str, db_url: &str) -> anyhow_like::Result<()> {
    let name = db_url.rsplit('/').next().unwrap_or_default();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("not a database made by fresh_postgres: {name}").into());
    }
    let admin = Store::connect(&DatabaseConfig::Postgres {
        url: server_url.to_owned(),
        max_connections: 1,
    })
    .await?;
    admin
        .execute_raw_for_tests(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin.close().await;
    Ok(())
}

/// The URL of database `name` on the server of `url`.
fn database_url(url: &str, name: &str) -> String {
    match url.rfind('/') {
        Some(i) if url[..i].contains("://") && url[i..].len() > 1 && !url[..i].ends_with('/') => {
            format!("{}/{name}", &url[..i])
        }
        _ => format!("{}/{name}", url.trim_end_matches('/')),
    }
}

/// Both backends that are available: SQLite always, PostgreSQL when configured.
pub async fn all_backends() -> anyhow_like::Result<Vec<TestDb>> {
    let mut v = vec![sqlite().await?];
    if let Some(pg) = postgres().await? {
        v.push(pg);
    }
    Ok(v)
}

/// A boxed error, so the helpers work in any test without pulling anyhow into the store.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}
