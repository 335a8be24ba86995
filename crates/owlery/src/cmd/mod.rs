//! One file per command. Each `run` takes the loaded [`Config`] and returns the exit status, or
//! an error that `main` prints once.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod inbox;
pub mod media;
pub mod migrate;
pub mod serve;
pub mod triage;
pub mod version;
pub mod worker;

use std::{path::PathBuf, sync::Arc};

use anyhow::Context as _;
use owlery_store::{
    Store,
    vault::{Kek, Vault, VaultError},
};
use secrecy::ExposeSecret as _;

use crate::{
    UsageError,
    config::{Config, Database},
};

/// Open the database and bring its schema up to date (creating a SQLite file if needed).
/// The connectors the publishing engine uses, sharing one rate-limit budget book.
pub fn connectors() -> anyhow::Result<owlery_jobs::engine::Connectors> {
    owlery_jobs::engine::Connectors::standard(Default::default())
        .map_err(|e| anyhow::anyhow!("cannot set up the network connectors: {e}"))
}

pub async fn open_and_migrate(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database.store_config())
        .await
        .with_context(|| format!("cannot open the database ({})", config.database.describe()))?;
    migrate(config, store).await
}

/// [`open_and_migrate`] for a process that writes in large batches (see
/// [`Store::connect_for_bulk_writes`]).
pub async fn open_and_migrate_for_bulk_writes(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect_for_bulk_writes(&config.database.store_config())
        .await
        .with_context(|| format!("cannot open the database ({})", config.database.describe()))?;
    migrate(config, store).await
}

async fn migrate(config: &Config, store: Store) -> anyhow::Result<Store> {
    store.migrate().await.with_context(|| {
        format!(
            "cannot migrate the database ({})",
            config.database.describe()
        )
    })?;
    Ok(store)
}

/// The store of a process that ingests live traffic (`serve`, `worker`): routing rules may answer
/// automatically where the connectors can answer. Imports do not use this, so old messages are
/// never answered.
pub fn answering(store: Store) -> anyhow::Result<Store> {
    let connectors = Arc::new(connectors()?);
    Ok(
        store.with_reply_capability(owlery_store::inbox_replies::ReplyCapability::new(
            move |network, auth, kind| connectors.can_reply(network, auth, kind),
        )),
    )
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

/// Where the current key-encryption key came from.
#[derive(Debug, Clone)]
pub enum KekSource {
    /// The `secret_key` setting; the text says where it was set (`OWLERY_SECRET_KEY`, or
    /// `secret_key in ./owlery.toml`).
    Setting(String),
    /// The key file in the data directory.
    File(PathBuf),
}

/// The current key-encryption key: the `secret_key` setting if there is one, else
/// `<data-dir>/secret.key`; `None` when neither exists. Creates nothing.
pub fn current_kek(config: &Config) -> anyhow::Result<Option<(Kek, KekSource)>> {
    if let Some(key) = &config.secret_key {
        // Checked when the configuration was loaded; this cannot fail, but says so if it does.
        let kek = Kek::from_base64(key.expose_secret()).map_err(vault_error)?;
        let origin = config
            .secret_key_origin
            .clone()
            .unwrap_or_else(|| "OWLERY_SECRET_KEY".to_owned());
        return Ok(Some((kek, KekSource::Setting(origin))));
    }
    let path = config.key_file();
    Ok(Kek::read_file(&path)
        .map_err(vault_error)?
        .map(|k| (k, KekSource::File(path))))
}

/// The vault of a process that opens secrets (`serve`, `worker`; the publishing engine takes
/// it from there): the key-encryption key from the configuration (the key file is created on
/// the very first start), and the data keys from the database, unwrapped. A key that is not
/// the database's stops the process here with a message naming both fingerprints.
/// The database must be migrated first ([`open_and_migrate`]).
pub async fn open_vault(config: &Config, store: &Store) -> anyhow::Result<Arc<Vault>> {
    let kek = match current_kek(config)? {
        Some((kek, _)) => kek,
        None => {
            let path = config.key_file();
            if let Some(stored) = Vault::stored_fingerprint(store)
                .await
                .map_err(vault_error)?
            {
                return Err(UsageError(format!(
                    "there is no secret key: {} does not exist and OWLERY_SECRET_KEY is not set, \
                     but this database's secrets are sealed under the key with fingerprint \
                     {stored}. Restore that key file (or set OWLERY_SECRET_KEY to that key) from \
                     your backup; a new key would open nothing, so none was made.",
                    path.display()
                ))
                .into());
            }
            let (kek, created) = Kek::read_or_create_file(&path).map_err(vault_error)?;
            if created {
                tracing::info!(
                    key_file = %path.display(),
                    vault.kek_fingerprint = kek.fingerprint(),
                    "created the secret key; keep it with your backups"
                );
            }
            kek
        }
    };
    if !config.database.is_sqlite() && config.secret_key.is_none() {
        tracing::warn!(
            key_file = %config.key_file().display(),
            "PostgreSQL without OWLERY_SECRET_KEY: this node keeps its own key file; every node \
             must use the same key, so set OWLERY_SECRET_KEY on all of them"
        );
    }
    let vault = Vault::load(store, &kek).await.map_err(vault_error)?;
    tracing::info!(
        vault.kek_fingerprint = vault.kek_fingerprint(),
        "vault open"
    );
    Ok(Arc::new(vault))
}

/// A wrong or unreadable key is the operator's to fix (exit status 2); a database failure is not.
pub fn vault_error(e: VaultError) -> anyhow::Error {
    match e {
        VaultError::Store(e) => anyhow::Error::new(e).context("cannot open the vault"),
        e @ (VaultError::KekMismatch { .. }
        | VaultError::LegacyKekMismatch { .. }
        | VaultError::SameKey(_)
        | VaultError::BadKeyFile { .. }
        | VaultError::BadKeyLength(_)
        | VaultError::BadKeyEncoding) => UsageError(e.to_string()).into(),
        e => anyhow::Error::new(e),
    }
}
