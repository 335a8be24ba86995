-- Foundation schema (PostgreSQL). Keep in step with ../sqlite/ — the conformance suite runs on both.

CREATE TABLE organisations (
    id              UUID PRIMARY KEY,
    name            TEXT NOT NULL,
    security_policy TEXT NOT NULL,
    -- What new people get until they choose for themselves.
    default_language  TEXT NOT NULL DEFAULT 'en',
    default_time_zone TEXT NOT NULL DEFAULT 'UTC',
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    org_id          UUID NOT NULL REFERENCES organisations(id),
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT,
    status          TEXT NOT NULL,
    language        TEXT NOT NULL DEFAULT 'en',
    time_zone       TEXT NOT NULL DEFAULT 'UTC',
    totp_secret     BYTEA,
    totp_last_step  BIGINT,
    totp_enabled_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    last_signin_at  TIMESTAMPTZ
);

CREATE TABLE recovery_codes (
    user_id   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE workspaces (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX workspaces_name ON workspaces (org_id, lower(name));

CREATE TABLE channels (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    network      TEXT NOT NULL,
    name         TEXT NOT NULL,
    handle       TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX channels_workspace ON channels (workspace_id);
CREATE UNIQUE INDEX channels_identity ON channels (network, handle);

CREATE TABLE teams (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations(id),
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (org_id, lower(name));

CREATE TABLE team_members (
    team_id  UUID NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id  UUID NOT NULL REFERENCES users(id),
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

-- scope_id is the nil UUID for organisation-wide grants, so the unique index sees no NULLs.
CREATE TABLE grants (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_id   UUID NOT NULL,
    granted_by UUID,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX grants_unique ON grants (user_id, role, scope_kind, scope_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id),
    stage        TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    scopes       TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE one_time_links (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    UUID NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE signin_failures (
    id    BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    ip    TEXT NOT NULL,
    at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX signin_failures_email ON signin_failures (email, at);
CREATE INDEX signin_failures_ip ON signin_failures (ip, at);

CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    TEXT,
    actor_label TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT,
    ip          TEXT,
    before      TEXT,
    after       TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor_label, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);

-- The durable job queue. A claim sets locked_until and is committed before the job's side effects.
CREATE TABLE jobs (
    id           UUID PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    run_at       TIMESTAMPTZ NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_by    TEXT,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);

-- The head exists from the start so that appending always locks the same row (SELECT … FOR UPDATE).
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
