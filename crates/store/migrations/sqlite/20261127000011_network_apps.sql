-- Connecting channels with OAuth 2.0 (issue 4).

-- An organisation's app (OAuth client) on a network: the client id, and the client secret sealed by
-- the vault (purpose `network-app:<network>`, or `network-app:mastodon:<server>`). Mastodon has an
-- app per server (`service`), registered by Owlery itself; other networks have one, made by a person
-- in the network's developer portal. `service` is '' when the network has one app.
CREATE TABLE network_apps (
    org_id        BLOB NOT NULL REFERENCES organisations(id),
    network       TEXT NOT NULL,
    service       TEXT NOT NULL DEFAULT '',
    client_id     TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    registered    BOOLEAN NOT NULL DEFAULT FALSE,   -- registered by Owlery on the server
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (org_id, network, service)
);

-- One attempt to connect (or reconnect) a channel: made when a person starts, used once when the
-- network sends them back. Only the SHA-256 of `state` is kept; the PKCE verifier is sealed. After
-- the callback, when the grant can post as several accounts, they wait here (sealed, with their
-- tokens) until the person chooses.
CREATE TABLE oauth_attempts (
    id              BLOB PRIMARY KEY,
    state_hash      TEXT NOT NULL UNIQUE,
    user_id         BLOB NOT NULL REFERENCES users(id),
    workspace_id    BLOB NOT NULL REFERENCES workspaces(id),
    channel_id      BLOB REFERENCES channels(id),
    network         TEXT NOT NULL,
    service         TEXT,
    verifier_sealed BLOB NOT NULL,
    accounts_sealed BLOB,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
);
CREATE INDEX oauth_attempts_expiry ON oauth_attempts (expires_at);
