-- The vault's data-encryption keys (DEKs). Secrets are sealed under a DEK; each DEK is stored
-- wrapped (XChaCha20-Poly1305, associated data naming its id) by the key-encryption key (KEK)
-- from OWLERY_SECRET_KEY or <data-dir>/secret.key, which never enters the database. The KEK's
-- fingerprint (first 8 bytes of its SHA-256, hex) lets a wrong key be refused at start.
-- `owlery admin rotate-key` re-wraps every row under a new KEK in one transaction.
CREATE TABLE vault_keys (
    id              BIGINT PRIMARY KEY,
    wrapped         BYTEA NOT NULL,
    kek_fingerprint TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
