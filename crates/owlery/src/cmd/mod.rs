//! One file per command. Each `run` takes the loaded [`Config`] and returns the exit status, or
//! an error that `main` prints once.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod media;
pub mod migrate;
pub mod serve;
pub mod triage;
pub mod version;
pub mod worker;

use anyhow::Context as _;
use owlery_store::Store;

use crate::config::{Config, Database};

/// Open the database and bring its schema up to date (creating a SQLite file if needed).
/// The vault every process opens channel secrets with: the key from `OWLERY_SECRET_KEY`, else
/// the key file in the data directory.
pub fn load_vault(config: &Config) -> anyhow::Result<owlery_store::vault::Vault> {
    use secrecy::ExposeSecret as _;
    owlery_store::vault::Vault::load(
        config.secret_key.as_ref().map(|k| k.expose_secret()),
        &config.key_file(),
    )
    .context("cannot load the secret key")
}

/// The connectors the publishing engine uses, sharing one rate-limit budget book.
pub fn connectors() -> anyhow::Result<owlery_jobs::engine::Connectors> {
    owlery_jobs::engine::Connectors::standard(Default::default())
        .map_err(|e| anyhow::anyhow!("cannot set up the network connectors: {e}"))
}

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
