-- Publishing I: media library, posts with one variant per channel, version history, comments,
-- approval workflows and reviews, campaigns, per-channel queues, notifications, calendar feeds.
-- JSON values are TEXT on both backends (as jobs.payload), parsed by the store.

-- A channel whose posts stay on this machine (the sandbox network, or any network in the demo).
ALTER TABLE channels ADD COLUMN simulated BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE channels SET simulated = TRUE WHERE network = 'sandbox';

-- Bytes of uploaded media and their renditions. In the database so that every node sees them;
-- object storage can take this role later behind the same store methods.
CREATE TABLE blobs (
    key        TEXT PRIMARY KEY,
    bytes      BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE media (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    uploaded_by  UUID NOT NULL REFERENCES users(id),
    file_name    TEXT NOT NULL,
    format       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    byte_size    BIGINT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    duration_ms  BIGINT,
    video_codec  TEXT,
    frame_rate   DOUBLE PRECISION,
    sha256       TEXT NOT NULL,
    alt          TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]',
    usage_rights TEXT NOT NULL DEFAULT '',
    expires_at   TIMESTAMPTZ,
    focal_x      DOUBLE PRECISION,
    focal_y      DOUBLE PRECISION,
    blob_key     TEXT NOT NULL,
    thumb_key    TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX media_workspace ON media (workspace_id, created_at);

CREATE TABLE renditions (
    media_id   UUID NOT NULL REFERENCES media(id),
    network    TEXT NOT NULL,
    placement  TEXT NOT NULL,
    width      BIGINT NOT NULL,
    height     BIGINT NOT NULL,
    format     TEXT NOT NULL,
    byte_size  BIGINT NOT NULL,
    quality    BIGINT,
    crop       TEXT NOT NULL,
    focal_x    DOUBLE PRECISION NOT NULL,
    focal_y    DOUBLE PRECISION NOT NULL,
    blob_key   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (media_id, network, placement, width, height)
);

CREATE TABLE campaigns (
    id             UUID PRIMARY KEY,
    workspace_id   UUID NOT NULL REFERENCES workspaces(id),
    name           TEXT NOT NULL,
    owner_id       UUID NOT NULL REFERENCES users(id),
    release_at     TIMESTAMPTZ,
    all_or_nothing BOOLEAN NOT NULL DEFAULT FALSE,
    status         TEXT NOT NULL,
    note           TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX campaigns_workspace ON campaigns (workspace_id);

-- The master content of a post. `content` is JSON: text, link, first_comment, media [{media_id, alt}].
CREATE TABLE posts (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    author_id    UUID NOT NULL REFERENCES users(id),
    assignee_id  UUID REFERENCES users(id),
    campaign_id  UUID REFERENCES campaigns(id),
    title        TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL,
    utm          TEXT,
    version      BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX posts_workspace ON posts (workspace_id, updated_at);

-- One per channel the post goes to. `overrides` is JSON of the fields this variant changes from the
-- master (absent = follows the master). `findings` is the last validation against spec_version.
CREATE TABLE variants (
    id               UUID PRIMARY KEY,
    post_id          UUID NOT NULL REFERENCES posts(id),
    channel_id       UUID NOT NULL REFERENCES channels(id),
    placement        TEXT NOT NULL,
    overrides        TEXT NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL,
    scheduled_at     TIMESTAMPTZ,
    schedule_tz      TEXT NOT NULL DEFAULT 'UTC',
    review_id        UUID,
    campaign_offset  BIGINT NOT NULL DEFAULT 0,
    findings         TEXT NOT NULL DEFAULT '[]',
    has_errors       BOOLEAN NOT NULL DEFAULT FALSE,
    spec_version     TEXT NOT NULL DEFAULT '',
    remote_id        TEXT,
    remote_url       TEXT,
    error            TEXT,
    published_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX variants_post_channel ON variants (post_id, channel_id);
CREATE INDEX variants_schedule ON variants (scheduled_at);
CREATE INDEX variants_status ON variants (status);

CREATE TABLE post_versions (
    post_id    UUID NOT NULL REFERENCES posts(id),
    version    BIGINT NOT NULL,
    snapshot   TEXT NOT NULL,
    author_id  UUID NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (post_id, version)
);

CREATE TABLE post_comments (
    id         UUID PRIMARY KEY,
    post_id    UUID NOT NULL REFERENCES posts(id),
    author_id  UUID NOT NULL REFERENCES users(id),
    body       TEXT NOT NULL,
    mentions   TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX post_comments_post ON post_comments (post_id, created_at);

-- An approval workflow applies to a whole workspace or to one channel (the channel's wins).
CREATE TABLE approval_workflows (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    channel_id   UUID REFERENCES channels(id),
    name         TEXT NOT NULL,
    definition   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    -- Removed workflows are kept for the history of their reviews.
    archived_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX approval_workflows_scope ON approval_workflows (workspace_id, COALESCE(channel_id, workspace_id))
    WHERE archived_at IS NULL;

-- One review per (post, workflow); a round starts again whenever the content changes.
CREATE TABLE reviews (
    id               UUID PRIMARY KEY,
    post_id          UUID NOT NULL REFERENCES posts(id),
    workflow_id      UUID NOT NULL REFERENCES approval_workflows(id),
    definition       TEXT NOT NULL,
    round            BIGINT NOT NULL,
    round_started_at TIMESTAMPTZ NOT NULL,
    state            TEXT NOT NULL,
    escalated_step   BIGINT,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX reviews_post_workflow ON reviews (post_id, workflow_id);

CREATE TABLE review_decisions (
    id             UUID PRIMARY KEY,
    review_id      UUID NOT NULL REFERENCES reviews(id),
    round          BIGINT NOT NULL,
    step           BIGINT NOT NULL,
    reviewer       TEXT NOT NULL,
    reviewer_id    UUID REFERENCES users(id),
    verdict        TEXT NOT NULL,
    reason         TEXT,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX review_decisions_review ON review_decisions (review_id, round);

-- Single-purpose links for reviewers without an account (a client, legal). Only the hash is kept.
CREATE TABLE review_links (
    id          UUID PRIMARY KEY,
    review_id   UUID NOT NULL REFERENCES reviews(id),
    step        BIGINT NOT NULL,
    label       TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  UUID NOT NULL REFERENCES users(id),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);

-- Recurring time slots of a channel; "add to queue" takes the next free one.
CREATE TABLE channel_queues (
    channel_id UUID PRIMARY KEY REFERENCES channels(id),
    time_zone  TEXT NOT NULL,
    slots      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE notifications (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    -- Values for the kind's message, rendered in the reader's language when shown or mailed.
    params     TEXT NOT NULL,
    link       TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    read_at    TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

-- Per-user secret iCalendar feed URLs (only the hash is kept; revocable).
CREATE TABLE calendar_feeds (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
