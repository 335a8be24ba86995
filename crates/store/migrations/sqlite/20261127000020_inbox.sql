-- The community inbox (issue 5): contacts, conversations, messages, and full-text search.
-- Times are RFC 3339 text in UTC like everywhere else (they sort as text).

-- A person or account outside the organisation who writes to it. One contact can have identities
-- on several networks (merging is a later feature); each identity is one network account.
CREATE TABLE inbox_contacts (
    seq        INTEGER PRIMARY KEY,          -- the full-text index's row id (stable: an alias of rowid)
    id         BLOB NOT NULL UNIQUE,
    org_id     BLOB NOT NULL REFERENCES organisations(id),
    name       TEXT NOT NULL,
    handle     TEXT NOT NULL,
    followers  INTEGER,
    tags       TEXT NOT NULL DEFAULT '[]',   -- JSON array of tags
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX inbox_contacts_org ON inbox_contacts (org_id);

CREATE TABLE inbox_contact_identities (
    org_id     BLOB NOT NULL REFERENCES organisations(id),
    network    TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    contact_id BLOB NOT NULL REFERENCES inbox_contacts(id),
    handle     TEXT NOT NULL,
    name       TEXT NOT NULL,
    followers  INTEGER,
    PRIMARY KEY (org_id, network, remote_id)
) WITHOUT ROWID;
CREATE INDEX inbox_contact_identities_contact ON inbox_contact_identities (contact_id);

-- A thread: a post's comments by one author, a DM thread, or a mention thread (see
-- owlery_domain::inbox::thread_key). `remote_key` is that key, unique within the channel.
-- `first_response_due` is the deadline for the team's first answer (set once, kept for reports);
-- `next_response_due` is the deadline running now: NULL when nothing awaits a response.
CREATE TABLE inbox_conversations (
    id                  BLOB PRIMARY KEY,
    workspace_id        BLOB NOT NULL REFERENCES workspaces(id),
    channel_id          BLOB NOT NULL REFERENCES channels(id),
    kind                TEXT NOT NULL,
    remote_key          TEXT NOT NULL,
    post_remote_id      TEXT,
    contact_id          BLOB NOT NULL REFERENCES inbox_contacts(id),
    status              TEXT NOT NULL DEFAULT 'open',
    priority            TEXT NOT NULL DEFAULT 'normal',
    assignee_id         BLOB REFERENCES users(id),
    team_id             BLOB REFERENCES teams(id),
    -- Triage of the latest inbound message.
    language            TEXT,
    sentiment           TEXT,
    intent              TEXT,
    urgency             TEXT,
    preview             TEXT NOT NULL DEFAULT '',
    first_response_due  TEXT,
    first_responded_at  TEXT,
    next_response_due   TEXT,
    last_message_at     TEXT NOT NULL,
    last_inbound_at     TEXT,
    message_count       INTEGER NOT NULL DEFAULT 0,
    unanswered_count    INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (channel_id, remote_key)
);
CREATE INDEX inbox_conversations_recent ON inbox_conversations (last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_status ON inbox_conversations (status, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_workspace ON inbox_conversations (workspace_id, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_assignee ON inbox_conversations (assignee_id, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_due ON inbox_conversations (next_response_due);
CREATE INDEX inbox_conversations_contact ON inbox_conversations (contact_id);

CREATE TABLE inbox_conversation_tags (
    conversation_id BLOB NOT NULL REFERENCES inbox_conversations(id) ON DELETE CASCADE,
    tag             TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
) WITHOUT ROWID;
CREATE INDEX inbox_conversation_tags_tag ON inbox_conversation_tags (tag, conversation_id);

-- One message, inbound or outbound. (channel_id, remote_id) is the dedupe key.
CREATE TABLE inbox_messages (
    seq               INTEGER PRIMARY KEY,    -- the full-text index's row id
    id                BLOB NOT NULL UNIQUE,
    conversation_id   BLOB NOT NULL REFERENCES inbox_conversations(id),
    channel_id        BLOB NOT NULL REFERENCES channels(id),
    remote_id         TEXT NOT NULL,
    direction         TEXT NOT NULL,
    kind              TEXT NOT NULL,
    author_contact_id BLOB REFERENCES inbox_contacts(id),
    author_user_id    BLOB REFERENCES users(id),
    text              TEXT NOT NULL,
    media             TEXT NOT NULL DEFAULT '[]',  -- JSON array of links
    url               TEXT,
    in_reply_to       TEXT,
    created_at        TEXT NOT NULL,              -- on the network
    received_at       TEXT NOT NULL,              -- by Owlery
    language          TEXT,
    sentiment         TEXT,
    intent            TEXT,
    urgency           TEXT,
    scores            TEXT,                       -- JSON: sentiment probabilities, intent score
    hidden_at         TEXT,
    deleted_at        TEXT,
    edited_at         TEXT,
    UNIQUE (channel_id, remote_id)
);
CREATE INDEX inbox_messages_conversation ON inbox_messages (conversation_id, created_at);
CREATE INDEX inbox_messages_author ON inbox_messages (author_contact_id);

-- Full-text search: external-content FTS5 tables over the text columns, kept in sync by triggers.
-- remove_diacritics 2 folds accents (German, Spanish, Bulgarian й) so "uber" finds "über".
CREATE VIRTUAL TABLE inbox_messages_fts USING fts5(
    text, content='inbox_messages', content_rowid='seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER inbox_messages_ai AFTER INSERT ON inbox_messages BEGIN
    INSERT INTO inbox_messages_fts (rowid, text) VALUES (new.seq, new.text);
END;
CREATE TRIGGER inbox_messages_ad AFTER DELETE ON inbox_messages BEGIN
    INSERT INTO inbox_messages_fts (inbox_messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
CREATE TRIGGER inbox_messages_au AFTER UPDATE OF text ON inbox_messages BEGIN
    INSERT INTO inbox_messages_fts (inbox_messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    INSERT INTO inbox_messages_fts (rowid, text) VALUES (new.seq, new.text);
END;

CREATE VIRTUAL TABLE inbox_contacts_fts USING fts5(
    name, handle, content='inbox_contacts', content_rowid='seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER inbox_contacts_ai AFTER INSERT ON inbox_contacts BEGIN
    INSERT INTO inbox_contacts_fts (rowid, name, handle) VALUES (new.seq, new.name, new.handle);
END;
CREATE TRIGGER inbox_contacts_ad AFTER DELETE ON inbox_contacts BEGIN
    INSERT INTO inbox_contacts_fts (inbox_contacts_fts, rowid, name, handle) VALUES ('delete', old.seq, old.name, old.handle);
END;
CREATE TRIGGER inbox_contacts_au AFTER UPDATE OF name, handle ON inbox_contacts BEGIN
    INSERT INTO inbox_contacts_fts (inbox_contacts_fts, rowid, name, handle) VALUES ('delete', old.seq, old.name, old.handle);
    INSERT INTO inbox_contacts_fts (rowid, name, handle) VALUES (new.seq, new.name, new.handle);
END;
