-- The publishing engine (issue 4).

-- One row per part of a variant as it goes out: the post itself (0), its thread parts or first
-- comment (1…). `sending` is committed before the network call: a part found `sending` by a later
-- attempt has an unknown outcome and is reconciled (looked up) before anything is sent again.
CREATE TABLE variant_parts (
    variant_id   UUID NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    idx          BIGINT NOT NULL,
    status       TEXT NOT NULL,           -- sending | published
    attempted_at TIMESTAMPTZ NOT NULL,
    remote_id    TEXT,
    remote_cid   TEXT,
    remote_url   TEXT,
    root_id      TEXT,
    root_cid     TEXT,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (variant_id, idx)
);

-- The publishing pause switch: organisation-wide, per workspace, per channel. Active while
-- `lifted_at` is NULL. Checked inside the claim transaction.
CREATE TABLE publishing_pauses (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    scope       TEXT NOT NULL,            -- organisation | workspace | channel
    scope_id    UUID NOT NULL,
    reason      TEXT NOT NULL,
    created_by  UUID REFERENCES users(id),
    created_at  TIMESTAMPTZ NOT NULL,
    lifted_by   UUID REFERENCES users(id),
    lifted_at   TIMESTAMPTZ
);
CREATE INDEX publishing_pauses_active ON publishing_pauses (scope_id) WHERE lifted_at IS NULL;

-- What to do with a post whose time passed while nothing was running: send it at once (flagged
-- late) or hold it for a person, once it is later than the grace.
ALTER TABLE organisations ADD COLUMN late_policy TEXT NOT NULL DEFAULT 'send';
ALTER TABLE organisations ADD COLUMN late_grace_minutes BIGINT NOT NULL DEFAULT 15;

-- How late a variant went out (seconds after its time; NULL: on time), and why it waits when paused.
ALTER TABLE variants ADD COLUMN late_by_s BIGINT;
ALTER TABLE variants ADD COLUMN held_by TEXT;

-- OAuth tokens next to the sealed secret: the refresh token (sealed) and when the access token
-- expires; why the connection needs renewing.
ALTER TABLE channel_credentials ADD COLUMN refresh_sealed BYTEA;
ALTER TABLE channel_credentials ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE channels ADD COLUMN status_reason TEXT;
