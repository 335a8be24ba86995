-- Webhook ingestion (issue 5): what networks push (Meta, X, LinkedIn), kept durably before the
-- receiver answers 200, then parsed and ingested by a worker.

-- Each network app gets a public id for its webhook address (/webhooks/<family>/<webhook_id>) and,
-- for Meta, a verify token (sealed by the vault under `network-app-webhook:<network>`), made the
-- first time someone who manages network apps looks at them or sets the app.
ALTER TABLE network_apps ADD COLUMN webhook_id TEXT;
ALTER TABLE network_apps ADD COLUMN verify_token_sealed BLOB;
CREATE UNIQUE INDEX network_apps_webhook ON network_apps (webhook_id);

-- One accepted delivery: the raw body exactly as signed. `body_hash` (SHA-256 hex of the body) is
-- unique per app: a delivery seen before is a replay (Meta and X carry no delivery id). Rows stay
-- for the retention period after processing (the replay window), then housekeeping deletes them.
-- status: pending (to process) | done | failed (could not be parsed: kept with the error).
CREATE TABLE webhook_deliveries (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organisations(id),
    network      TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    body         BLOB NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    received_at  TEXT NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    ingested     INTEGER NOT NULL DEFAULT 0,
    dropped      INTEGER NOT NULL DEFAULT 0,
    processed_at TEXT,
    UNIQUE (org_id, network, body_hash)
);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, received_at);
