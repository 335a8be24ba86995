-- Installation-wide signing keys (issue 4: signed media addresses for networks that download
-- media). One row per purpose (`name`, e.g. `media-url`), made on first use; the key is sealed by
-- the vault under `signing-key:<id>` and listed in `vault::SEALED`.
CREATE TABLE signing_keys (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    key_sealed BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
