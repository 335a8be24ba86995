//! Secrets at rest (second-factor secrets, channel credentials, later OAuth tokens and app
//! secrets), sealed by envelope encryption.
//!
//! **Keys.** The key-encryption key (KEK, [`Kek`]) is 32 random bytes from `OWLERY_SECRET_KEY`
//! (base64) or `<data-dir>/secret.key` (mode 0600); it never enters the database. Secrets are
//! sealed under data-encryption keys (DEKs) kept in the `vault_keys` table, each wrapped by the
//! KEK with XChaCha20-Poly1305 (associated data `owlery-vault-dek:<id>`) next to the KEK's
//! fingerprint (the first 8 bytes of its SHA-256, hex: safe to show, useless to an attacker).
//! [`Vault::load`] reads and unwraps them at start (creating the first DEK when there is none;
//! two processes starting at once agree on one) and keeps them in memory, so [`Vault::seal`] and
//! [`Vault::open`] are synchronous. A KEK whose fingerprint is not the stored one is refused at
//! start ([`VaultError::KekMismatch`]); nothing is created then.
//!
//! **Format.** A sealed value is `[2, DEK id (u32, big-endian), 24-byte random nonce,
//! ciphertext + tag]`, XChaCha20-Poly1305 with the secret's purpose as associated data (a sealed
//! TOTP secret cannot be passed off as a channel's credential, nor one channel's as another's).
//! Values from before envelope encryption, `[1, 1, nonce, ciphertext]` sealed directly under the
//! KEK, still open.
//!
//! **Rotation.** [`Store::rotate_vault_kek`] (`owlery admin rotate-key`) re-wraps every DEK under
//! a new KEK and re-seals every old-format value under the active DEK, in one transaction, so
//! nothing needs the old KEK afterwards. DEKs themselves do not change: processes that loaded
//! them before keep working, processes started with the new KEK load them, and a process started
//! with the old KEK is refused. Which columns hold sealed values is listed once, in [`SEALED`].
//!
//! Keys and plaintexts are never logged, in errors or in `Debug` (`Vault([redacted])`,
//! `Kek(fingerprint …)`).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use base64::Engine as _;
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore},
};
use owlery_domain::{ChannelId, audit::Actor};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Db, Store, StoreError};

/// A value sealed directly under the KEK (before envelope encryption): `[1, 1, nonce, ct]`.
const V1: u8 = 1;
/// A value sealed under a DEK: `[2, id (4 bytes), nonce, ct]`.
const V2: u8 = 2;
const V1_KEY_ID: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
/// The id of the DEK made when there is none; two processes starting at once both try to insert
/// it, and the primary key lets only one win.
const FIRST_DEK: u32 = 1;

/// The purpose (associated data) users' TOTP secrets are sealed under.
pub const TOTP_PURPOSE: &str = "totp";

/// How a sealed column's purpose (associated data) follows from its row.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// The same for every row.
    Fixed(&'static str),
    /// Made from the row's id, so that a value copied to another row does not open.
    PerRow(fn(Uuid) -> String),
}

impl Purpose {
    pub fn of(&self, id: Uuid) -> String {
        match self {
            Purpose::Fixed(p) => (*p).to_owned(),
            Purpose::PerRow(f) => f(id),
        }
    }
}

/// A column holding sealed values (nullable or not), keyed by a UUID column.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    pub table: &'static str,
    pub id_column: &'static str,
    pub column: &'static str,
    pub purpose: Purpose,
}

/// Every column that holds sealed values. Rotation re-seals old-format values in each, and the
/// first start checks the KEK against them; a new table of secrets is added here and nowhere else.
pub const SEALED: &[SealedColumn] = &[
    SealedColumn {
        table: "users",
        id_column: "id",
        column: "totp_secret",
        purpose: Purpose::Fixed(TOTP_PURPOSE),
    },
    SealedColumn {
        table: "channel_credentials",
        id_column: "channel_id",
        column: "sealed",
        purpose: Purpose::PerRow(channel_credential_purpose),
    },
    SealedColumn {
        table: "channel_credentials",
        id_column: "channel_id",
        column: "refresh_sealed",
        purpose: Purpose::PerRow(channel_refresh_purpose),
    },
    SealedColumn {
        table: "oauth_attempts",
        id_column: "id",
        column: "verifier_sealed",
        purpose: Purpose::PerRow(crate::oauth::attempt_verifier_purpose),
    },
    SealedColumn {
        table: "oauth_attempts",
        id_column: "id",
        column: "accounts_sealed",
        purpose: Purpose::PerRow(crate::oauth::attempt_accounts_purpose),
    },
    SealedColumn {
        table: "signing_keys",
        id_column: "id",
        column: "key_sealed",
        purpose: Purpose::PerRow(crate::signing::signing_key_purpose),
    },
    // `network_apps.secret_sealed` and `network_apps.verify_token_sealed` (webhooks) are keyed by
    // (organisation, network, server), not by one UUID, so they cannot be listed here; the table came after envelope encryption, so every value in
    // it is sealed under a data key and rotation covers it by re-wrapping the data keys.
];

fn channel_credential_purpose(id: Uuid) -> String {
    crate::org::channel_credential_purpose(ChannelId(id))
}

fn channel_refresh_purpose(id: Uuid) -> String {
    crate::org::channel_refresh_purpose(ChannelId(id))
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the secret key must be 32 bytes, base64-encoded (got {0} bytes)")]
    BadKeyLength(usize),
    #[error("the secret key is not valid base64 (the value is not shown)")]
    BadKeyEncoding,
    #[error("the key file {path}: {problem}")]
    BadKeyFile { path: String, problem: String },
    #[error("cannot read or write the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the secret key given (KEK fingerprint {given}) is not the one this database's vault keys \
         are wrapped with (KEK fingerprint {stored}). Start with the key whose fingerprint is \
         {stored}: after `owlery admin rotate-key` that is the new key (the key file was replaced \
         and the previous one kept as secret.key.old; with OWLERY_SECRET_KEY, set it to the new \
         key on every node); otherwise restore the key file or OWLERY_SECRET_KEY from your \
         backup. Nothing was created or changed."
    )]
    KekMismatch { stored: String, given: String },
    #[error(
        "the secret key given (KEK fingerprint {given}) opens none of the {count} secrets already \
         stored under the installation key; start with the key they were sealed under (the \
         secret.key or OWLERY_SECRET_KEY used until now). Nothing was created or changed."
    )]
    LegacyKekMismatch { given: String, count: usize },
    #[error(
        "vault key {id} does not unwrap although the secret key's fingerprint matches: its row in \
         vault_keys was altered or damaged"
    )]
    DekUnwrap { id: i64 },
    #[error(
        "the old-format secret in {table}.{column} of row {id} does not open with the old key, so \
         it cannot be re-sealed; nothing was changed"
    )]
    LegacyUnreadable {
        table: &'static str,
        column: &'static str,
        id: Uuid,
    },
    #[error("the new key is the current key (KEK fingerprint {0}); nothing to rotate")]
    SameKey(String),
    #[error("a sealed secret could not be opened (wrong key, or the value was altered)")]
    Open,
    #[error("a sealed secret names vault key {0}, which this process has not loaded (restart it)")]
    UnknownKey(u32),
    #[error("sealing failed")]
    Seal,
    #[error("the vault's stored keys are not valid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for VaultError {
    fn from(e: sqlx::Error) -> Self {
        VaultError::Store(StoreError::Database(e))
    }
}

/// Run `$body` (yielding `Result<T, VaultError>`) in a transaction, like the crate's `with_tx!`
/// but keeping the vault's own errors.
macro_rules! vault_tx {
    ($store:expr, |$tx:ident, $pg:ident| $body:expr) => {
        match &$store.db {
            Db::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                #[allow(unused_variables)]
                let $pg = false;
                let out: Result<_, VaultError> = async { $body }.await;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
            Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                #[allow(unused_variables)]
                let $pg = true;
                let out: Result<_, VaultError> = async { $body }.await;
                if out.is_ok() {
                    $tx.commit().await?;
                }
                out
            }
        }
    };
}

// ---- the key-encryption key ----

/// The key-encryption key. `Debug` shows only its fingerprint.
#[derive(Clone)]
pub struct Kek {
    key: [u8; KEY_LEN],
    fingerprint: String,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kek(fingerprint {})", self.fingerprint)
    }
}

impl Kek {
    pub fn from_bytes(bytes: &[u8]) -> Result<Kek, VaultError> {
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| VaultError::BadKeyLength(bytes.len()))?;
        let digest = Sha256::digest(key);
        let fingerprint = hex::encode(digest.get(..8).unwrap_or_default());
        Ok(Kek { key, fingerprint })
    }

    /// From `OWLERY_SECRET_KEY`-style text: 32 bytes, base64 (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Kek, VaultError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| VaultError::BadKeyEncoding)?;
        Kek::from_bytes(&bytes)
    }

    /// A new random key.
    pub fn generate() -> Kek {
        let mut key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut key);
        let digest = Sha256::digest(key);
        Kek {
            key,
            fingerprint: hex::encode(digest.get(..8).unwrap_or_default()),
        }
    }

    /// The first 8 bytes of the key's SHA-256, hex: names the key without revealing it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.key.into())
    }

    fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.key)
    }

    /// The key in `path`, or `None` when there is no such file.
    pub fn read_file(path: &Path) -> Result<Option<Kek>, VaultError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Kek::from_base64(&text)
                .map(Some)
                .map_err(|e| VaultError::BadKeyFile {
                    path: path.display().to_string(),
                    problem: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(key_file_error(path, e)),
        }
    }

    /// The key in `path`, or a new random one written there (mode 0600, complete before it
    /// appears) when the file does not exist; `true` when it was created. Two processes doing
    /// this at once end up with the same key.
    pub fn read_or_create_file(path: &Path) -> Result<(Kek, bool), VaultError> {
        if let Some(k) = Kek::read_file(path)? {
            return Ok((k, false));
        }
        let kek = Kek::generate();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| key_file_error(path, e))?;
        }
        if create_private(path, &kek.to_base64()).map_err(|e| key_file_error(path, e))? {
            return Ok((kek, true));
        }
        // Another process created it first: use theirs.
        match Kek::read_file(path)? {
            Some(k) => Ok((k, false)),
            None => Err(VaultError::BadKeyFile {
                path: path.display().to_string(),
                problem: "it disappeared while being created".into(),
            }),
        }
    }

    /// Write this key to `path`, replacing the file there atomically (a new file, fsync,
    /// rename) after copying the previous one to `<path>.old`, which is returned. At every
    /// moment `path` holds either the old key or the new one, complete.
    pub fn replace_file(&self, path: &Path) -> Result<Option<PathBuf>, VaultError> {
        let err = |e| key_file_error(path, e);
        let old_path = sibling(path, ".old");
        let kept = match std::fs::read(path) {
            Ok(old) => {
                let tmp = temp_sibling(path);
                write_private(&tmp, &old).map_err(err)?;
                std::fs::rename(&tmp, &old_path).map_err(err)?;
                Some(old_path)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(err(e)),
        };
        let tmp = temp_sibling(path);
        write_private(&tmp, self.to_base64().as_bytes()).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)?;
        sync_dir(path).map_err(err)?;
        Ok(kept)
    }

    /// Seal under this key in the old format (`[1, 1, nonce, ct]`), as Owlery did before
    /// envelope encryption: for tests of the upgrade path.
    #[cfg(any(test, feature = "test-support"))]
    pub fn seal_v1_for_tests(&self, purpose: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: purpose.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = vec![V1, V1_KEY_ID];
        out.extend(nonce);
        out.extend(ct);
        out
    }
}

fn key_file_error(path: &Path, source: std::io::Error) -> VaultError {
    VaultError::KeyFile {
        path: path.display().to_string(),
        source,
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn temp_sibling(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(
        ".{}.{:016x}.tmp",
        std::process::id(),
        OsRng.next_u64()
    ));
    path.with_file_name(name)
}

/// A new file readable by the owner only, written and synced.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    let written = f.write_all(bytes).and_then(|()| f.sync_all());
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// Create `path` with `text` unless it exists (`false` then): written to a temporary file first
/// and linked into place, so nobody ever reads a half-written key.
fn create_private(path: &Path, text: &str) -> std::io::Result<bool> {
    let tmp = temp_sibling(path);
    write_private(&tmp, text.as_bytes())?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(path)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Make a rename or link in `path`'s directory durable.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

// ---- sealing ----

fn random_nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    nonce
}

fn dek_aad(id: u32) -> String {
    format!("owlery-vault-dek:{id}")
}

/// `nonce || ciphertext` of a DEK under the KEK.
fn wrap_dek(kek: &Kek, id: u32, dek: &[u8; KEY_LEN]) -> Result<Vec<u8>, VaultError> {
    let nonce = random_nonce();
    let aad = dek_aad(id);
    let ct = kek
        .cipher()
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: dek,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| VaultError::Seal)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend(nonce);
    out.extend(ct);
    Ok(out)
}

fn unwrap_dek(kek: &Kek, id: u32, wrapped: &[u8]) -> Result<XChaCha20Poly1305, VaultError> {
    Ok(XChaCha20Poly1305::new(
        &unwrap_dek_bytes(kek, id, wrapped)?.into(),
    ))
}

fn unwrap_dek_bytes(kek: &Kek, id: u32, wrapped: &[u8]) -> Result<[u8; KEY_LEN], VaultError> {
    let bad = || VaultError::DekUnwrap { id: id.into() };
    let (nonce, ct) = wrapped.split_at_checked(NONCE_LEN).ok_or_else(bad)?;
    let aad = dek_aad(id);
    let dek = kek
        .cipher()
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| bad())?;
    dek.as_slice().try_into().map_err(|_| bad())
}

fn seal_v2(
    dek: &XChaCha20Poly1305,
    id: u32,
    purpose: &str,
    plain: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let nonce = random_nonce();
    let ct = dek
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: purpose.as_bytes(),
            },
        )
        .map_err(|_| VaultError::Seal)?;
    let mut out = Vec::with_capacity(5 + NONCE_LEN + ct.len());
    out.push(V2);
    out.extend(id.to_be_bytes());
    out.extend(nonce);
    out.extend(ct);
    Ok(out)
}

fn decrypt(
    cipher: &XChaCha20Poly1305,
    purpose: &str,
    nonce_and_ct: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let (nonce, ct) = nonce_and_ct
        .split_at_checked(NONCE_LEN)
        .ok_or(VaultError::Open)?;
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: purpose.as_bytes(),
            },
        )
        .map_err(|_| VaultError::Open)
}

/// Open an old-format value (`[1, 1, nonce, ct]`) with the KEK's cipher.
fn open_v1(kek: &XChaCha20Poly1305, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
    match sealed {
        [V1, V1_KEY_ID, rest @ ..] => decrypt(kek, purpose, rest),
        _ => Err(VaultError::Open),
    }
}

fn is_v1(sealed: &[u8]) -> bool {
    sealed.first() == Some(&V1)
}

fn dek_id(raw: i64) -> Result<u32, VaultError> {
    u32::try_from(raw)
        .map_err(|_| VaultError::Corrupt(format!("vault key id {raw} is out of range")))
}

// ---- the vault ----

/// The unwrapped DEKs, ready to seal and open. `Debug` prints `Vault([redacted])`.
pub struct Vault {
    deks: BTreeMap<u32, XChaCha20Poly1305>,
    /// The DEK new values are sealed under (the newest).
    active: u32,
    /// The KEK itself, for values sealed before envelope encryption.
    legacy: XChaCha20Poly1305,
    kek_fingerprint: String,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault([redacted])")
    }
}

type KeyRow = (i64, Vec<u8>, String);

impl Vault {
    /// Load and unwrap the stored DEKs with `kek`, creating the first one if there is none
    /// (after checking that `kek` opens the secrets stored before envelope encryption, if any).
    /// A `kek` other than the one the DEKs are wrapped with fails with
    /// [`VaultError::KekMismatch`], creating nothing.
    pub async fn load(store: &Store, kek: &Kek) -> Result<Vault, VaultError> {
        let mut rows = read_keys(store).await?;
        if rows.is_empty() {
            check_legacy_values(store, kek).await?;
            create_first_key(store, kek).await?;
            rows = read_keys(store).await?;
        }
        Vault::from_rows(kek, rows)
    }

    fn from_rows(kek: &Kek, rows: Vec<KeyRow>) -> Result<Vault, VaultError> {
        let mut deks = BTreeMap::new();
        for (id, wrapped, fingerprint) in rows {
            if fingerprint != kek.fingerprint() {
                return Err(VaultError::KekMismatch {
                    stored: fingerprint,
                    given: kek.fingerprint().to_owned(),
                });
            }
            let id = dek_id(id)?;
            deks.insert(id, unwrap_dek(kek, id, &wrapped)?);
        }
        let Some(active) = deks.keys().next_back().copied() else {
            return Err(VaultError::Corrupt("vault_keys is empty".into()));
        };
        Ok(Vault {
            deks,
            active,
            legacy: kek.cipher(),
            kek_fingerprint: kek.fingerprint().to_owned(),
        })
    }

    /// The fingerprint of the KEK the stored DEKs are wrapped with, if there are any.
    pub async fn stored_fingerprint(store: &Store) -> Result<Option<String>, VaultError> {
        Ok(read_keys(store).await?.into_iter().next().map(|r| r.2))
    }

    /// A vault with a random KEK and one DEK, nothing stored: for tests.
    pub fn ephemeral() -> Vault {
        let kek = Kek::generate();
        let mut dek = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut dek);
        Vault {
            deks: BTreeMap::from([(FIRST_DEK, XChaCha20Poly1305::new(&dek.into()))]),
            active: FIRST_DEK,
            legacy: kek.cipher(),
            kek_fingerprint: kek.fingerprint().to_owned(),
        }
    }

    /// The fingerprint of the KEK this vault was loaded with.
    pub fn kek_fingerprint(&self) -> &str {
        &self.kek_fingerprint
    }

    /// Seal `plain` under the active DEK, bound to `purpose`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        let dek = self
            .deks
            .get(&self.active)
            .ok_or(VaultError::UnknownKey(self.active))?;
        seal_v2(dek, self.active, purpose, plain)
    }

    /// Open a value sealed for `purpose`, in either format.
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        match sealed {
            [V2, a, b, c, d, rest @ ..] => {
                let id = u32::from_be_bytes([*a, *b, *c, *d]);
                let dek = self.deks.get(&id).ok_or(VaultError::UnknownKey(id))?;
                decrypt(dek, purpose, rest)
            }
            [V1, ..] => open_v1(&self.legacy, purpose, sealed),
            _ => Err(VaultError::Open),
        }
    }
}

async fn read_keys(store: &Store) -> Result<Vec<KeyRow>, VaultError> {
    Ok(with_pool!(store, |pool, _pg| {
        sqlx::query_as("SELECT id, wrapped, kek_fingerprint FROM vault_keys ORDER BY id")
            .fetch_all(pool)
            .await?
    }))
}

/// Every non-null value of one sealed column, with its row id.
async fn read_sealed(
    store: &Store,
    col: &SealedColumn,
) -> Result<Vec<(Uuid, Vec<u8>)>, VaultError> {
    let sql = select_sealed_sql(col);
    Ok(with_pool!(store, |pool, _pg| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await?
    }))
}

fn select_sealed_sql(col: &SealedColumn) -> String {
    format!(
        "SELECT {id}, {c} FROM {t} WHERE {c} IS NOT NULL ORDER BY {id}",
        id = col.id_column,
        c = col.column,
        t = col.table
    )
}

/// Before the first DEK is made: if secrets were sealed directly under a KEK, `kek` must open
/// at least one of them, or it is the wrong key and stamping a DEK with it would lock the right
/// one out.
async fn check_legacy_values(store: &Store, kek: &Kek) -> Result<(), VaultError> {
    let cipher = kek.cipher();
    let mut count = 0;
    for col in SEALED {
        for (id, value) in read_sealed(store, col).await? {
            if !is_v1(&value) {
                continue;
            }
            if open_v1(&cipher, &col.purpose.of(id), &value).is_ok() {
                return Ok(());
            }
            count += 1;
        }
    }
    if count == 0 {
        Ok(())
    } else {
        Err(VaultError::LegacyKekMismatch {
            given: kek.fingerprint().to_owned(),
            count,
        })
    }
}

/// Insert DEK 1 wrapped under `kek` unless another process did first.
async fn create_first_key(store: &Store, kek: &Kek) -> Result<(), VaultError> {
    let mut dek = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut dek);
    let wrapped = wrap_dek(kek, FIRST_DEK, &dek)?;
    let now = store.now();
    let created = vault_tx!(store, |tx, pg| {
        let inserted = sqlx::query(
            "INSERT INTO vault_keys (id, wrapped, kek_fingerprint, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(i64::from(FIRST_DEK))
        .bind(&wrapped)
        .bind(kek.fingerprint())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    "vault.key.create",
                    "vault_key",
                    Some(FIRST_DEK.to_string()),
                    None,
                    Some(serde_json::json!({ "kek_fingerprint": kek.fingerprint() }))
                ),
                now
            );
        }
        Ok(inserted == 1)
    })?;
    if created {
        tracing::info!(
            vault.key_id = FIRST_DEK,
            vault.kek_fingerprint = kek.fingerprint(),
            "created the vault's first data key"
        );
    }
    Ok(())
}

// ---- rotation ----

/// What [`Store::rotate_vault_kek`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub old_fingerprint: String,
    pub new_fingerprint: String,
    /// DEKs re-wrapped from the old KEK to the new one.
    pub keys_rewrapped: u64,
    /// DEKs already under the new KEK (a rotation finished before, or the first DEK, made now).
    pub keys_already_new: u64,
    /// Old-format values re-sealed under the active DEK.
    pub values_resealed: u64,
}

impl Store {
    /// Move the vault from KEK `old` to KEK `new` in one transaction: every DEK is re-wrapped
    /// under `new` (a first DEK is made if there is none) and every old-format value is
    /// re-sealed under the active DEK, so that nothing needs `old` any more. Audited as
    /// `vault.rotate` (fingerprints and counts only). Running it again after it succeeded (say,
    /// when replacing the key file failed) re-wraps nothing and succeeds.
    pub async fn rotate_vault_kek(
        &self,
        actor: &Actor,
        old: &Kek,
        new: &Kek,
    ) -> Result<Rotation, VaultError> {
        if old.fingerprint() == new.fingerprint() {
            return Err(VaultError::SameKey(new.fingerprint().to_owned()));
        }
        let mut first = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut first);
        let first_wrapped = wrap_dek(new, FIRST_DEK, &first)?;
        let selects: Vec<(&SealedColumn, String)> =
            SEALED.iter().map(|c| (c, select_sealed_sql(c))).collect();
        let now = self.now();
        vault_tx!(self, |tx, pg| {
            let keys_sql = if pg {
                "SELECT id, wrapped, kek_fingerprint FROM vault_keys ORDER BY id FOR UPDATE"
            } else {
                "SELECT id, wrapped, kek_fingerprint FROM vault_keys ORDER BY id"
            };
            let mut rows: Vec<KeyRow> = sqlx::query_as(keys_sql).fetch_all(&mut *tx).await?;
            if rows.is_empty() {
                sqlx::query(
                    "INSERT INTO vault_keys (id, wrapped, kek_fingerprint, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                )
                .bind(i64::from(FIRST_DEK))
                .bind(&first_wrapped)
                .bind(new.fingerprint())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                rows = sqlx::query_as(keys_sql).fetch_all(&mut *tx).await?;
            }
            let mut deks = BTreeMap::new();
            let (mut rewrapped, mut already) = (0u64, 0u64);
            for (raw_id, wrapped, fingerprint) in rows {
                let id = dek_id(raw_id)?;
                let dek = if fingerprint == new.fingerprint() {
                    already += 1;
                    unwrap_dek(new, id, &wrapped)?
                } else if fingerprint == old.fingerprint() {
                    let plain = unwrap_dek_bytes(old, id, &wrapped)?;
                    sqlx::query(
                        "UPDATE vault_keys SET wrapped = $1, kek_fingerprint = $2 WHERE id = $3",
                    )
                    .bind(wrap_dek(new, id, &plain)?)
                    .bind(new.fingerprint())
                    .bind(raw_id)
                    .execute(&mut *tx)
                    .await?;
                    rewrapped += 1;
                    XChaCha20Poly1305::new(&plain.into())
                } else {
                    return Err(VaultError::KekMismatch {
                        stored: fingerprint,
                        given: old.fingerprint().to_owned(),
                    });
                };
                deks.insert(id, dek);
            }
            let Some((&active, dek)) = deks.iter().next_back() else {
                return Err(VaultError::Corrupt("vault_keys is empty".into()));
            };

            let legacy = old.cipher();
            let mut resealed = 0u64;
            for (col, select) in &selects {
                let values: Vec<(Uuid, Vec<u8>)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(select.clone()))
                        .fetch_all(&mut *tx)
                        .await?;
                let update = format!(
                    "UPDATE {t} SET {c} = $1 WHERE {id} = $2 AND {c} = $3",
                    t = col.table,
                    c = col.column,
                    id = col.id_column
                );
                for (id, value) in values.into_iter().filter(|(_, v)| is_v1(v)) {
                    let purpose = col.purpose.of(id);
                    let plain = open_v1(&legacy, &purpose, &value).map_err(|_| {
                        VaultError::LegacyUnreadable {
                            table: col.table,
                            column: col.column,
                            id,
                        }
                    })?;
                    resealed += sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                        .bind(seal_v2(dek, active, &purpose, &plain)?)
                        .bind(id)
                        .bind(&value)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
            }

            let rotation = Rotation {
                old_fingerprint: old.fingerprint().to_owned(),
                new_fingerprint: new.fingerprint().to_owned(),
                keys_rewrapped: rewrapped,
                keys_already_new: already,
                values_resealed: resealed,
            };
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "vault.rotate",
                    "vault",
                    None,
                    Some(serde_json::json!({ "kek_fingerprint": rotation.old_fingerprint })),
                    Some(serde_json::json!({
                        "kek_fingerprint": rotation.new_fingerprint,
                        "keys_rewrapped": rotation.keys_rewrapped,
                        "values_resealed": rotation.values_resealed,
                    }))
                ),
                now
            );
            Ok(rotation)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let v = Vault::ephemeral();
        let sealed = v.seal("totp", b"top secret").unwrap();
        assert_eq!(sealed[0], V2);
        assert_eq!(&sealed[1..5], &FIRST_DEK.to_be_bytes());
        assert_eq!(v.open("totp", &sealed).unwrap(), b"top secret");
        assert!(v.open("oauth", &sealed).is_err(), "purpose is bound");
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(v.open("totp", &bad).is_err());
        assert!(
            Vault::ephemeral().open("totp", &sealed).is_err(),
            "another key cannot open it"
        );
        assert_ne!(
            v.seal("totp", b"x").unwrap(),
            v.seal("totp", b"x").unwrap(),
            "random nonces"
        );
        assert_eq!(format!("{v:?}"), "Vault([redacted])");
    }

    #[test]
    fn keys_parse_and_show_only_their_fingerprint() {
        let kek = Kek::from_base64(" AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
        // SHA-256 of 32 zero bytes starts 66687aadf862bd77.
        assert_eq!(kek.fingerprint(), "66687aadf862bd77");
        assert_eq!(format!("{kek:?}"), "Kek(fingerprint 66687aadf862bd77)");
        assert!(matches!(
            Kek::from_base64("c2hvcnQ="),
            Err(VaultError::BadKeyLength(5))
        ));
        let e = Kek::from_base64("hunter2!").unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert_ne!(Kek::generate().fingerprint(), Kek::generate().fingerprint());
    }

    #[test]
    fn key_files_are_created_once_and_replaced_keeping_the_old() {
        let dir = crate::testing::TempDir::new("vault").unwrap();
        let path = dir.0.join("sub/secret.key");
        let (a, created) = Kek::read_or_create_file(&path).unwrap();
        assert!(created);
        let (b, created) = Kek::read_or_create_file(&path).unwrap();
        assert!(!created);
        assert_eq!(a.fingerprint(), b.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let c = Kek::generate();
        let kept = c.replace_file(&path).unwrap().unwrap();
        assert_eq!(kept, dir.0.join("sub/secret.key.old"));
        assert_eq!(
            Kek::read_file(&path).unwrap().unwrap().fingerprint(),
            c.fingerprint()
        );
        assert_eq!(
            Kek::read_file(&kept).unwrap().unwrap().fingerprint(),
            a.fingerprint()
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.0.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        assert!(Kek::read_file(&dir.0.join("none")).unwrap().is_none());
        std::fs::write(dir.0.join("bad"), "hunter2").unwrap();
        let e = Kek::read_file(&dir.0.join("bad")).unwrap_err().to_string();
        assert!(e.contains("bad") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn old_format_values_open_under_the_kek() {
        let kek = Kek::generate();
        let old = kek.seal_v1_for_tests("totp", b"secret");
        let vault = Vault {
            legacy: kek.cipher(),
            ..Vault::ephemeral()
        };
        assert_eq!(vault.open("totp", &old).unwrap(), b"secret");
        assert!(vault.open("other", &old).is_err());
        assert!(Vault::ephemeral().open("totp", &old).is_err());
    }

    #[test]
    fn wrapped_keys_are_bound_to_their_id() {
        let kek = Kek::generate();
        let dek = [7u8; KEY_LEN];
        let w = wrap_dek(&kek, 1, &dek).unwrap();
        assert!(unwrap_dek(&kek, 1, &w).is_ok());
        assert!(matches!(
            unwrap_dek(&kek, 2, &w),
            Err(VaultError::DekUnwrap { id: 2 })
        ));
        assert!(unwrap_dek(&Kek::generate(), 1, &w).is_err());
    }

    #[test]
    fn the_sealed_list_names_real_purposes() {
        let id = Uuid::now_v7();
        assert_eq!(SEALED[0].purpose.of(id), "totp");
        assert_eq!(SEALED[1].purpose.of(id), format!("channel-credential:{id}"));
    }

    mod props {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn any_plaintext_and_purpose_round_trips_and_any_flipped_bit_fails(
                plain in proptest::collection::vec(any::<u8>(), 0..512),
                purpose in ".{0,64}",
                bit in any::<proptest::sample::Index>(),
            ) {
                let v = Vault::ephemeral();
                let sealed = v.seal(&purpose, &plain).unwrap();
                prop_assert_eq!(v.open(&purpose, &sealed).unwrap(), plain);
                let i = bit.index(sealed.len() * 8);
                let mut bad = sealed.clone();
                bad[i / 8] ^= 1 << (i % 8);
                prop_assert!(v.open(&purpose, &bad).is_err());
            }

            #[test]
            fn any_flipped_bit_in_an_old_format_value_fails(
                plain in proptest::collection::vec(any::<u8>(), 0..256),
                bit in any::<proptest::sample::Index>(),
            ) {
                let kek = Kek::generate();
                let v = Vault { legacy: kek.cipher(), ..Vault::ephemeral() };
                let sealed = kek.seal_v1_for_tests("p", &plain);
                prop_assert_eq!(v.open("p", &sealed).unwrap(), plain);
                let i = bit.index(sealed.len() * 8);
                let mut bad = sealed.clone();
                bad[i / 8] ^= 1 << (i % 8);
                prop_assert!(v.open("p", &bad).is_err());
            }
        }
    }
}
