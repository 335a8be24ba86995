-- Live inbox events across processes on one SQLite file (store/live.rs, `SqliteBus`): a change
-- writes its events here in its own transaction; each server reads the rows other processes wrote
-- (`owlery inbox import`, `owlery worker`, other CLI commands) and hands them to its open
-- /inbox/events streams. A rolled-back change leaves no row. Rows are pruned as new ones come:
-- readers poll every few hundred milliseconds and only need the newest.
--
-- `seq` is AUTOINCREMENT so a number is never used twice, even after the newest rows are pruned:
-- a reader that finds a hole after the last number it read knows it missed rows. `origin` is the
-- writing process's boot id (a reader skips its own rows: it delivered them itself). `payload` is
-- the event's JSON, or NULL for "many conversations changed: re-read" (an import's batch).
CREATE TABLE live_outbox (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    origin  TEXT NOT NULL,
    payload TEXT
);
