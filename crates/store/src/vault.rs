//! Secrets at rest: second-factor secrets now, network tokens and app passwords later.
//!
//! Each secret is sealed with XChaCha20-Poly1305 under the installation's key, with a random
//! 192-bit nonce and the secret's purpose as associated data (a sealed TOTP secret cannot be
//! passed off as something else). A sealed value starts with a version byte and a key id byte, so
//! that key rotation (`owlery admin rotate-key`, with the connectors issue) can re-wrap old values.
//!
//! The key comes from `OWLERY_SECRET_KEY` (base64, 32 bytes) or from `<data-dir>/secret.key`,
//! created with mode 0600 on first start. It is never logged: `Debug` prints `Vault([redacted])`.

use base64::Engine as _;
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore},
};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the secret key must be 32 bytes, base64-encoded (got {0} bytes)")]
    BadKeyLength(usize),
    #[error("the secret key is not valid base64: {0}")]
    BadKeyEncoding(String),
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("a sealed secret could not be opened (wrong key, or the value was altered)")]
    Open,
    #[error("sealing failed")]
    Seal,
}

pub struct Vault {
    key_id: u8,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault([redacted])")
    }
}

impl Vault {
    pub fn from_key_bytes(key: &[u8]) -> Result<Vault, VaultError> {
        if key.len() != 32 {
            return Err(VaultError::BadKeyLength(key.len()));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(key)
            .map_err(|_| VaultError::BadKeyLength(key.len()))?;
        Ok(Vault { key_id: 1, cipher })
    }

    pub fn from_base64(text: &str) -> Result<Vault, VaultError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| VaultError::BadKeyEncoding(e.to_string()))?;
        Vault::from_key_bytes(&bytes)
    }

    /// The key from `OWLERY_SECRET_KEY`-style text if given, else from the key file (created if
    /// missing, readable by the owner only).
    pub fn load(env_key: Option<&str>, key_file: &std::path::Path) -> Result<Vault, VaultError> {
        if let Some(k) = env_key.filter(|k| !k.trim().is_empty()) {
            return Vault::from_base64(k);
        }
        let err = |source| VaultError::KeyFile {
            path: key_file.display().to_string(),
            source,
        };
        match std::fs::read_to_string(key_file) {
            Ok(text) => Vault::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                OsRng.fill_bytes(&mut key);
                let text = base64::engine::general_purpose::STANDARD.encode(key);
                if let Some(dir) = key_file.parent() {
                    std::fs::create_dir_all(dir).map_err(err)?;
                }
                write_private(key_file, &text).map_err(err)?;
                Vault::from_key_bytes(&key)
            }
            Err(e) => Err(err(e)),
        }
    }

    /// A vault with a random key, for tests.
    pub fn ephemeral() -> Vault {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Vault {
            key_id: 1,
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Seal)?;
        let mut out = Vec::with_capacity(2 + NONCE_LEN + ct.len());
        out.extend([VERSION, self.key_id]);
        out.extend(nonce);
        out.extend(ct);
        Ok(out)
    }

    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        if sealed.len() < 2 + NONCE_LEN || sealed[0] != VERSION || sealed[1] != self.key_id {
            return Err(VaultError::Open);
        }
        let (nonce, ct) = sealed[2..].split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Open)
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let v = Vault::ephemeral();
        let sealed = v.seal("totp", b"top secret").unwrap();
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
    fn key_file_is_created_once_and_reused() {
        let dir = crate::testing::TempDir::new("vault").unwrap();
        let path = dir.0.join("secret.key");
        let a = Vault::load(None, &path).unwrap();
        let sealed = a.seal("p", b"v").unwrap();
        let b = Vault::load(None, &path).unwrap();
        assert_eq!(b.open("p", &sealed).unwrap(), b"v");
        assert!(matches!(
            Vault::from_base64("c2hvcnQ="),
            Err(VaultError::BadKeyLength(5))
        ));
    }
}
