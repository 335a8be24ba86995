-- Answering from Owlery (issue 5). An answer is an outbound inbox_messages row, stored first (with
-- its `inbox.reply` job in the same transaction), then sent by the worker. `delivery` is NULL for
-- inbound messages; for answers: pending_approval, queued, sending, sent, failed or rejected.
-- Until it is sent its remote_id is `owlery:<id>` (the network's id replaces it).
ALTER TABLE inbox_messages ADD COLUMN delivery TEXT;
ALTER TABLE inbox_messages ADD COLUMN delivery_error TEXT;
-- The sender's key for the request: the same key from the same person returns the stored answer.
ALTER TABLE inbox_messages ADD COLUMN client_key TEXT;
ALTER TABLE inbox_messages ADD COLUMN close_on_send BOOLEAN NOT NULL DEFAULT FALSE;
-- When the worker last committed an attempt (a later attempt that finds `sending` looks it up).
ALTER TABLE inbox_messages ADD COLUMN attempted_at TEXT;
ALTER TABLE inbox_messages ADD COLUMN sent_at TEXT;
ALTER TABLE inbox_messages ADD COLUMN reviewed_by BLOB REFERENCES users(id);
ALTER TABLE inbox_messages ADD COLUMN review_note TEXT;
CREATE UNIQUE INDEX inbox_messages_client_key ON inbox_messages (author_user_id, client_key)
    WHERE client_key IS NOT NULL;
CREATE INDEX inbox_messages_delivery ON inbox_messages (delivery, created_at)
    WHERE delivery IS NOT NULL;

-- Saved replies: named texts with variables ({contact.first_name} …), per organisation or one
-- workspace (`workspace_id`).
CREATE TABLE inbox_saved_replies (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organisations(id),
    workspace_id BLOB REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    body         TEXT NOT NULL,
    shortcut     TEXT,
    created_by   BLOB REFERENCES users(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX inbox_saved_replies_name ON inbox_saved_replies (org_id, name);
CREATE UNIQUE INDEX inbox_saved_replies_shortcut ON inbox_saved_replies (org_id, shortcut)
    WHERE shortcut IS NOT NULL;
