-- Working the inbox (issue 5): saved views and internal notes. Live updates and presence are not
-- stored: they travel on the live bus (store/live.rs), in-process on SQLite.

-- A named set of list filters (and search words), the owner's own or shared with a team or the
-- whole organisation. `query` is the list's query string (`status=open&sentiment=negative`).
CREATE TABLE inbox_views (
    id         BLOB PRIMARY KEY,
    org_id     BLOB NOT NULL REFERENCES organisations(id),
    owner_id   BLOB NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    visibility TEXT NOT NULL DEFAULT 'private',   -- private | team | organisation
    team_id    BLOB REFERENCES teams(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX inbox_views_owner ON inbox_views (owner_id);
CREATE INDEX inbox_views_org ON inbox_views (org_id, visibility);

-- A staff note in a conversation's thread: never sent to the network, never counted as a
-- message. `mentions` is a JSON array of the user ids it mentions (each was notified).
CREATE TABLE inbox_notes (
    id              BLOB PRIMARY KEY,
    conversation_id BLOB NOT NULL REFERENCES inbox_conversations(id) ON DELETE CASCADE,
    author_id       BLOB NOT NULL REFERENCES users(id),
    text            TEXT NOT NULL,
    mentions        TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT NOT NULL
);
CREATE INDEX inbox_notes_conversation ON inbox_notes (conversation_id, created_at);
