//! One file per command. Each `run` takes the loaded [`Config`] and returns the exit status, or
//! an error that `main` prints once.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod media;
pub mod migrate;
pub mod serve;
pub mod version;
pub mod worker;

use anyhow::Context as _;
use owlery_store::Store;

use crate::config::{Config, Database};

/// Open the database and bring its schema up to date (creating a SQLite file if needed).
pub async fn open_and_migrate(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database.store_config())
        .await
        .with_context(|| format!("cannot open the database ({})", config.database.describe()))?;
    store.migrate().await.with_context(|| {
        format!(
            "cannot migrate the database ({})",
            config.database.describe()
        )
    })?;
    Ok(store)
}

/// Open a database that must already exist, without changing it (for backups and checks).
pub async fn open_existing(config: &Config) -> anyhow::Result<Store> {
    if let Database::Sqlite { path } = &config.database
        && !path.is_file()
    {
        return Err(crate::UsageError(format!(
            "there is no database at {} (wrong --data-dir?)",
            path.display()
        ))
        .into());
    }
    Store::connect(&config.database.store_config())
        .await
        .with_context(|| format!("cannot open the database ({})", config.database.describe()))
}
