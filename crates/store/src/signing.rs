//! Installation-wide signing keys: 32 random bytes per purpose (`name`), made on first use and
//! kept sealed by the vault (`signing-key:<id>`; the column is listed in [`crate::vault::SEALED`]).
//! The first is [`MEDIA_URL_KEY`], which signs the media addresses given to networks that download
//! media themselves (`owlery_domain::publishing::media_url`).
//!
//! Two processes making the key at once agree on one: the name is unique, the loser's insert does
//! nothing, and both read the winner's row. Making the key is audited (`signing_key.created`, no key
//! material in the event).

use chacha20poly1305::aead::{OsRng, rand_core::RngCore};
use owlery_domain::audit::Actor;
use serde_json::json;
use uuid::Uuid;

use crate::{Result, Store, StoreError, vault::Vault};

/// The name of the key that signs media addresses.
pub const MEDIA_URL_KEY: &str = "media-url";

/// The vault purpose (associated data) of a signing key: per row.
pub fn signing_key_purpose(id: Uuid) -> String {
    format!("signing-key:{id}")
}

impl Store {
    /// The key named `name`, opened with `vault`; made (and sealed, and audited) if there is none.
    pub async fn signing_key(&self, vault: &Vault, name: &str) -> Result<[u8; 32]> {
        if let Some(key) = self.read_signing_key(vault, name).await? {
            return Ok(key);
        }
        let id = Uuid::now_v7();
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        let sealed = vault
            .seal(&signing_key_purpose(id), &key)
            .map_err(|e| StoreError::Corrupt(format!("sealing a signing key: {e}")))?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let made = sqlx::query(
                "INSERT INTO signing_keys (id, name, key_sealed, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            )
            .bind(id)
            .bind(name)
            .bind(&sealed)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if made == 1 {
                append_audit!(
                    tx,
                    pg,
                    Actor::system().entry(
                        "signing_key.created",
                        "signing_key",
                        Some(id.to_string()),
                        None,
                        Some(json!({ "name": name })),
                    ),
                    now
                );
            }
            Ok(())
        })?;
        self.read_signing_key(vault, name)
            .await?
            .ok_or(StoreError::NotFound("signing key"))
    }

    async fn read_signing_key(&self, vault: &Vault, name: &str) -> Result<Option<[u8; 32]>> {
        let row: Option<(Uuid, Vec<u8>)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT id, key_sealed FROM signing_keys WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        let Some((id, sealed)) = row else {
            return Ok(None);
        };
        let plain = vault
            .open(&signing_key_purpose(id), &sealed)
            .map_err(|e| StoreError::Corrupt(format!("the signing key {name}: {e}")))?;
        <[u8; 32]>::try_from(plain.as_slice())
            .map(Some)
            .map_err(|_| StoreError::Corrupt(format!("the signing key {name} is not 32 bytes")))
    }
}
