-- A connected channel's secret (a Bluesky app password; later OAuth tokens), sealed by the vault
-- with the channel's id in its associated data. Opened only on the connector call path; never
-- returned by any API or page.
CREATE TABLE channel_credentials (
    channel_id UUID PRIMARY KEY REFERENCES channels(id),
    service    TEXT,
    account_id TEXT NOT NULL,
    sealed     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
