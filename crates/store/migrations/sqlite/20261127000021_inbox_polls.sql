-- Polling the inbox of channels on networks that do not push (issue 5): one row per connected
-- channel whose network is polled. A poller claims a due row with a lease (like a job), reads the
-- network after `cursor`, ingests, then stores the new cursor and the next due time — in that
-- order, so a crash in between reads a page again (deduped) and never skips one.
CREATE TABLE inbox_polls (
    channel_id     BLOB PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    cursor         TEXT,
    due_at         TEXT NOT NULL,
    locked_by      TEXT,
    locked_until   TEXT,
    last_polled_at TEXT,
    last_error     TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    ingested       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbox_polls_due ON inbox_polls (due_at);
