-- Live inbox events across processes: PostgreSQL needs no table — events travel by pg_notify to
-- each node's LISTEN connection (store/live.rs, `PgBus`). SQLite's outbox is in
-- migrations/sqlite/20261129000090_live_outbox.sql; this keeps the two folders' versions alike.
SELECT 1;
