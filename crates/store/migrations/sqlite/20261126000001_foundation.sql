-- Foundation schema (SQLite). Times are TEXT in RFC 3339 UTC (they sort as text); ids are 16-byte
-- UUID blobs; JSON is TEXT. Keep in step with ../postgres/ — the conformance suite runs on both.

CREATE TABLE organisations (
    id              BLOB PRIMARY KEY,
    name            TEXT NOT NULL,
    security_policy TEXT NOT NULL,
    -- What new people get until they choose for themselves.
    default_language  TEXT NOT NULL DEFAULT 'en',
    default_time_zone TEXT NOT NULL DEFAULT 'UTC',
    created_at      TEXT NOT NULL
);

CREATE TABLE users (
    id              BLOB PRIMARY KEY,
    org_id          BLOB NOT NULL REFERENCES organisations(id),
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT,
    status          TEXT NOT NULL,
    language        TEXT NOT NULL DEFAULT 'en',
    time_zone       TEXT NOT NULL DEFAULT 'UTC',
    totp_secret     BLOB,
    totp_last_step  INTEGER,
    totp_enabled_at TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_signin_at  TEXT
);

CREATE TABLE recovery_codes (
    user_id   BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE workspaces (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    archived_at TEXT
);
CREATE UNIQUE INDEX workspaces_name ON workspaces (org_id, lower(name));

CREATE TABLE channels (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    network      TEXT NOT NULL,
    name         TEXT NOT NULL,
    handle       TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX channels_workspace ON channels (workspace_id);
CREATE UNIQUE INDEX channels_identity ON channels (network, handle);

CREATE TABLE teams (
    id         BLOB PRIMARY KEY,
    org_id     BLOB NOT NULL REFERENCES organisations(id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (org_id, lower(name));

CREATE TABLE team_members (
    team_id  BLOB NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id  BLOB NOT NULL REFERENCES users(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

-- scope_id is the nil UUID for organisation-wide grants, so the unique index sees no NULLs.
CREATE TABLE grants (
    id         BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users(id),
    role       TEXT NOT NULL,
    scope_kind TEXT NOT NULL,
    scope_id   BLOB NOT NULL,
    granted_by BLOB,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX grants_unique ON grants (user_id, role, scope_kind, scope_id);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      BLOB NOT NULL REFERENCES users(id),
    stage        TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           BLOB PRIMARY KEY,
    user_id      BLOB NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    scopes       TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE one_time_links (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE signin_failures (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip    TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE INDEX signin_failures_email ON signin_failures (email, at);
CREATE INDEX signin_failures_ip ON signin_failures (ip, at);

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
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
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);

-- The durable job queue. A claim sets locked_until and is committed before the job's side effects.
CREATE TABLE jobs (
    id           BLOB PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    run_at       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);

-- The head exists from the start so that appending always locks the same row.
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
