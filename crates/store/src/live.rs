//! The live bus: small events about inbox conversations (a new message, a status, assignee, tag
//! or priority change, a reply's state, a note) and presence (who is viewing or typing in a
//! conversation), delivered to every node's subscribers — the `/inbox/events` streams.
//!
//! [`LiveBus`] is the seam, with one implementation per way events travel:
//! - [`SqliteBus`] (SQLite): in-process delivery, plus an outbox table (`live_outbox`) for the
//!   other processes on the same file — `owlery inbox import`, `owlery worker` beside
//!   `owlery serve`, any CLI command that changes conversations. A change writes its events there
//!   in its own transaction ([`record`]), so a rolled-back change leaves nothing; a server with
//!   open streams tails the table (`PRAGMA data_version` on a connection of its own, a few times a
//!   second, reading rows only when another connection committed) and delivers the rows other
//!   processes wrote (each row carries its writer's boot id; its own the server delivered
//!   already). A transaction that touches many conversations (an import's batch) writes one
//!   "re-read" row instead of one per conversation, delivered as a [`Delivery::Gap`].
//! - [`PgBus`] (PostgreSQL) sends each event with `pg_notify` and delivers what its `LISTEN`
//!   connection hears, so a change committed on node A reaches a browser connected to node B (and
//!   A hears its own events the same way, once). It writes no outbox rows.
//! - [`LocalBus`]: within the process only (tests).
//!
//! Events are published after their transaction commits ([`Store::ingest`](crate::Store::ingest)
//! — with the automatic replies and hide requests of its rules —, `update_conversation`, bulk
//! changes, notes, an answer's every delivery state (`inbox_replies`), likes, hides and deletes
//! asked and settled (`inbox_actions`, `finish_hide`), messages deleted by their author): a
//! rolled-back change announces nothing. Delivery
//! is best effort; what a page missed it gets by re-reading (a [`Replay::Gap`] or a
//! [`Delivery::Gap`] tells it to).
//!
//! Every node keeps the last [`REPLAY`] conversation events in arrival order, with ids made by
//! the publisher (UUID v7), so a browser that reconnects with `Last-Event-ID` — to the same node
//! or another — gets what it missed, or a gap if its id fell out of the buffer (or events were
//! lost after it: a gap empties the buffer). Presence is not replayed: it is stale by then, and it
//! does not cross processes on SQLite (only the server's own pages send it).

use std::{
    collections::VecDeque,
    fmt,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use futures::future::BoxFuture;
use owlery_domain::{
    ChannelId, ConversationId, OrgId, UserId, WorkspaceId, inbox::live::PresenceState,
};
use serde::{Deserialize, Serialize};
use sqlx::{Connection as _, PgPool, SqliteConnection, SqlitePool};
use tokio::sync::{OnceCell, broadcast, watch};

/// The PostgreSQL notification channel.
pub const PG_CHANNEL: &str = "owlery_inbox_live";
/// Conversation events kept for reconnecting streams, per node.
pub const REPLAY: usize = 2_048;
/// Events a slow subscriber may lag behind before it is told to re-read.
const CAPACITY: usize = 1_024;
/// More events than this in one transaction (or one read of the outbox) travel between processes
/// as a single "re-read" ([`Delivery::Gap`]) instead: an import's batch touches thousands of
/// conversations, and a page re-reads its list once either way.
pub const OUTBOX_BATCH: usize = 100;
/// Outbox rows kept (the newest); older ones are deleted by the writers. Readers poll every
/// [`TAIL_EVERY`], so only a reader stalled for longer than it takes to write this many rows
/// misses some — and it notices the hole and delivers a gap.
const OUTBOX_KEEP: i64 = 10_000;
/// How often a server with open streams looks for other processes' outbox rows.
pub const TAIL_EVERY: Duration = Duration::from_millis(250);
/// Rows read from the outbox per query.
const TAIL_PAGE: i64 = 512;

/// What happened to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// New messages from the network (or edits).
    Message,
    /// Status, priority, assignee, team or tags changed.
    Updated,
    /// An outbound reply was queued (by a person, a retry or an approval), rejected, is being
    /// sent, was sent, or failed.
    Reply,
    /// An internal note was added.
    Note,
    /// A message was liked, hidden or deleted on its network: asked for, done, or refused.
    Action,
}

/// The body of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveKind {
    Conversation {
        change: Change,
        /// The conversation's status after the change, when known (`open`, `pending`, `closed`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// Who made the change (none for messages from the network).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<UserId>,
    },
    Presence {
        user_id: UserId,
        name: String,
        state: PresenceState,
    },
}

/// One event on the bus. Small: it says what changed, the page reads the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// Unique across nodes (UUID v7, made by the publisher).
    pub id: String,
    pub org_id: OrgId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub conversation_id: ConversationId,
    #[serde(flatten)]
    pub kind: LiveKind,
}

impl LiveEvent {
    pub fn new(
        org_id: OrgId,
        workspace_id: WorkspaceId,
        channel_id: ChannelId,
        conversation_id: ConversationId,
        kind: LiveKind,
    ) -> LiveEvent {
        LiveEvent {
            id: uuid::Uuid::now_v7().simple().to_string(),
            org_id,
            workspace_id,
            channel_id,
            conversation_id,
            kind,
        }
    }

    fn replayable(&self) -> bool {
        matches!(self.kind, LiveKind::Conversation { .. })
    }
}

/// What a subscriber receives: an event, or word that it missed some (lagged, or the node lost
/// its `LISTEN` connection for a moment) and should re-read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Event(Arc<LiveEvent>),
    Gap,
    /// The server is stopping: end the stream (the browser reconnects to a running node).
    Closing,
}

/// What a reconnecting subscriber missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// These, oldest first (none when it missed nothing or did not ask).
    Events(Vec<Arc<LiveEvent>>),
    /// Its last event is no longer in this node's buffer: re-read.
    Gap,
}

pub struct Subscription {
    pub replay: Replay,
    pub receiver: broadcast::Receiver<Delivery>,
}

/// The seam: publish to every node, subscribe on this one.
pub trait LiveBus: Send + Sync + fmt::Debug {
    /// Deliver `events` to the subscribers of every node, in order. Best effort: errors are
    /// logged, never returned (the change they announce is already committed).
    fn publish(&self, events: Vec<LiveEvent>) -> BoxFuture<'_, ()>;
    /// Events from now on, after those that followed `last_id` (a `Last-Event-ID`).
    fn subscribe<'a>(&'a self, last_id: Option<&'a str>) -> BoxFuture<'a, Subscription>;
    /// The server is stopping: tell this node's subscribers to end their streams, so that a
    /// graceful shutdown does not wait for them.
    fn close(&self);
    /// This process's boot id, when its changes must also be written to the SQLite outbox for
    /// other processes on the same file ([`SqliteBus`]); `None` where events travel otherwise.
    fn outbox_origin(&self) -> Option<&str> {
        None
    }
}

/// The subscribers and the replay buffer of one node.
struct Hub {
    inner: Mutex<VecDeque<Arc<LiveEvent>>>,
    sender: broadcast::Sender<Delivery>,
    /// Dropped with the hub: tells a `LISTEN` task to stop.
    _alive: watch::Sender<()>,
    alive: watch::Receiver<()>,
}

impl Hub {
    fn new() -> Arc<Hub> {
        let (sender, _) = broadcast::channel(CAPACITY);
        let (alive_tx, alive) = watch::channel(());
        Arc::new(Hub {
            inner: Mutex::new(VecDeque::with_capacity(64)),
            sender,
            _alive: alive_tx,
            alive,
        })
    }

    fn deliver(&self, event: LiveEvent) {
        let event = Arc::new(event);
        let mut ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if event.replayable() {
            if ring.len() >= REPLAY {
                ring.pop_front();
            }
            ring.push_back(event.clone());
        }
        // No subscribers is not an error.
        let _ = self.sender.send(Delivery::Event(event));
    }

    fn closing(&self) {
        let _ = self.sender.send(Delivery::Closing);
    }

    /// Events were missed (or too many to list): subscribers re-read. The replay buffer is
    /// emptied too, so a browser reconnecting with an id from before the gap re-reads as well
    /// instead of replaying only what followed it.
    fn gap(&self) {
        let mut ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        ring.clear();
        let _ = self.sender.send(Delivery::Gap);
    }

    fn subscribe(&self, last_id: Option<&str>) -> Subscription {
        // Under the lock, so no event falls between the replay and the receiver.
        let ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let replay = match last_id.map(str::trim).filter(|s| !s.is_empty()) {
            None => Replay::Events(Vec::new()),
            Some(id) => match ring.iter().position(|e| e.id == id) {
                Some(i) => Replay::Events(ring.iter().skip(i + 1).cloned().collect()),
                None => Replay::Gap,
            },
        };
        Subscription {
            replay,
            receiver: self.sender.subscribe(),
        }
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("subscribers", &self.sender.receiver_count())
            .finish()
    }
}

/// One node: events go straight to this process's subscribers.
#[derive(Debug, Clone)]
pub struct LocalBus {
    hub: Arc<Hub>,
}

impl LocalBus {
    pub fn new() -> LocalBus {
        LocalBus { hub: Hub::new() }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveBus for LocalBus {
    fn publish(&self, events: Vec<LiveEvent>) -> BoxFuture<'_, ()> {
        for e in events {
            self.hub.deliver(e);
        }
        Box::pin(async {})
    }

    fn subscribe<'a>(&'a self, last_id: Option<&'a str>) -> BoxFuture<'a, Subscription> {
        let s = self.hub.subscribe(last_id);
        Box::pin(async move { s })
    }

    fn close(&self) {
        self.hub.closing();
    }
}

/// One or more processes on one SQLite file: this process's events straight to its subscribers,
/// other processes' from the outbox table (see the module documentation). The tail starts with the
/// first subscriber: a process nobody watches (an import, a worker) holds no extra connection and
/// reads nothing.
#[derive(Debug, Clone)]
pub struct SqliteBus {
    hub: Arc<Hub>,
    pool: SqlitePool,
    /// This process's boot id, on every outbox row it writes.
    origin: Arc<str>,
    tailing: Arc<OnceCell<()>>,
}

impl SqliteBus {
    pub fn new(pool: SqlitePool) -> SqliteBus {
        SqliteBus {
            hub: Hub::new(),
            pool,
            origin: uuid::Uuid::now_v7().simple().to_string().into(),
            tailing: Arc::new(OnceCell::new()),
        }
    }

    async fn tail(&self) {
        let started = self
            .tailing
            .get_or_try_init(|| async {
                // A connection of its own: `data_version` moves when *another* connection commits.
                let mut conn = SqliteConnection::connect_with(&self.pool.connect_options()).await?;
                let version = data_version(&mut conn).await?;
                let (last,): (i64,) =
                    sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM live_outbox")
                        .fetch_one(&mut conn)
                        .await?;
                tokio::spawn(run_tail(
                    Tail {
                        conn,
                        origin: self.origin.clone(),
                        version,
                        last,
                    },
                    Arc::downgrade(&self.hub),
                    self.hub.alive.clone(),
                ));
                Ok::<(), sqlx::Error>(())
            })
            .await;
        if let Err(e) = started {
            tracing::warn!(
                error = %e,
                "the live bus could not read other processes' events; their changes show after a reload"
            );
        }
    }
}

impl LiveBus for SqliteBus {
    fn publish(&self, events: Vec<LiveEvent>) -> BoxFuture<'_, ()> {
        // Other processes read them from the outbox, written in the change's transaction.
        for e in events {
            self.hub.deliver(e);
        }
        Box::pin(async {})
    }

    fn subscribe<'a>(&'a self, last_id: Option<&'a str>) -> BoxFuture<'a, Subscription> {
        Box::pin(async move {
            self.tail().await;
            self.hub.subscribe(last_id)
        })
    }

    fn close(&self) {
        self.hub.closing();
    }

    fn outbox_origin(&self) -> Option<&str> {
        Some(&self.origin)
    }
}

/// What a transaction writes to the outbox for `events`: each conversation event's JSON, or one
/// `None` ("many changed: re-read") for more than [`OUTBOX_BATCH`]. Presence is not written.
pub(crate) fn outbox_payloads(events: &[LiveEvent]) -> Vec<Option<String>> {
    let replayable = events.iter().filter(|e| e.replayable());
    if replayable.clone().count() > OUTBOX_BATCH {
        return vec![None];
    }
    replayable
        .filter_map(|e| match serde_json::to_string(e) {
            Ok(p) => Some(Some(p)),
            Err(e) => {
                tracing::warn!(error = %e, "a live event could not be encoded");
                None
            }
        })
        .collect()
}

/// Write `events` to the outbox inside the caller's transaction when `bus` wants it (SQLite), so
/// that other processes on the file hear of the change exactly when it commits. PostgreSQL writes
/// nothing here: its events go by `pg_notify` after the commit.
pub(crate) trait Outbox {
    fn record<'a>(
        &'a mut self,
        bus: &'a dyn LiveBus,
        events: &'a [LiveEvent],
    ) -> BoxFuture<'a, sqlx::Result<()>>;
}

impl Outbox for SqliteConnection {
    fn record<'a>(
        &'a mut self,
        bus: &'a dyn LiveBus,
        events: &'a [LiveEvent],
    ) -> BoxFuture<'a, sqlx::Result<()>> {
        Box::pin(async move {
            let Some(origin) = bus.outbox_origin() else {
                return Ok(());
            };
            let payloads = outbox_payloads(events);
            if payloads.is_empty() {
                return Ok(());
            }
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO live_outbox (origin, payload) ",
            );
            q.push_values(&payloads, |mut row, payload| {
                row.push_bind(origin).push_bind(payload.as_deref());
            });
            q.build().execute(&mut *self).await?;
            // Prune as we go: one seek on the key, and about as many rows out as came in.
            sqlx::query("DELETE FROM live_outbox WHERE seq <= last_insert_rowid() - $1")
                .bind(OUTBOX_KEEP)
                .execute(&mut *self)
                .await?;
            Ok(())
        })
    }
}

impl Outbox for sqlx::PgConnection {
    fn record<'a>(
        &'a mut self,
        _bus: &'a dyn LiveBus,
        _events: &'a [LiveEvent],
    ) -> BoxFuture<'a, sqlx::Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// A server's reader of the outbox.
struct Tail {
    conn: SqliteConnection,
    origin: Arc<str>,
    /// `PRAGMA data_version` when last looked at.
    version: i64,
    /// The last outbox row read.
    last: i64,
}

async fn data_version(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(conn)
        .await
}

impl Tail {
    /// Deliver what other processes committed since the last look. Cheap when nothing did: one
    /// pragma on this connection, no table read.
    async fn poll(&mut self, hub: &Hub) -> sqlx::Result<()> {
        let version = data_version(&mut self.conn).await?;
        if version == self.version {
            return Ok(());
        }
        self.version = version;
        let mut events: Vec<LiveEvent> = Vec::new();
        let mut gap = false;
        loop {
            let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT seq, origin, payload FROM live_outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(self.last)
            .bind(TAIL_PAGE)
            .fetch_all(&mut self.conn)
            .await?;
            let Some(&(first, _, _)) = rows.first() else {
                break;
            };
            // Numbers are never reused or skipped by writers: a hole is rows pruned unread.
            if first > self.last + 1 {
                gap = true;
            }
            let full = rows.len() as i64 == TAIL_PAGE;
            for (seq, origin, payload) in rows {
                self.last = seq;
                if *origin == *self.origin {
                    continue;
                }
                match payload {
                    None => gap = true,
                    Some(_) if gap => {}
                    Some(p) => match serde_json::from_str::<LiveEvent>(&p) {
                        Ok(e) => events.push(e),
                        Err(e) => {
                            tracing::warn!(error = %e, "an unreadable live event was ignored")
                        }
                    },
                }
            }
            if !full {
                break;
            }
        }
        if gap || events.len() > OUTBOX_BATCH {
            hub.gap();
        } else {
            for e in events {
                hub.deliver(e);
            }
        }
        Ok(())
    }
}

async fn run_tail(mut tail: Tail, hub: Weak<Hub>, mut alive: watch::Receiver<()>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TAIL_EVERY) => {}
            _ = alive.changed() => return,
        }
        let Some(hub) = hub.upgrade() else { return };
        if let Err(e) = tail.poll(&hub).await {
            tracing::warn!(error = %e, "the live bus could not read other processes' events");
            hub.gap();
            drop(hub);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Many nodes on PostgreSQL: `pg_notify` out, one `LISTEN` connection per node in (opened with
/// the first subscriber: a node nobody watches holds no extra connection).
#[derive(Debug, Clone)]
pub struct PgBus {
    hub: Arc<Hub>,
    pool: PgPool,
    listening: Arc<OnceCell<()>>,
}

impl PgBus {
    pub fn new(pool: PgPool) -> PgBus {
        PgBus {
            hub: Hub::new(),
            pool,
            listening: Arc::new(OnceCell::new()),
        }
    }

    async fn listen(&self) {
        let started = self
            .listening
            .get_or_try_init(|| async {
                let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
                listener.listen(PG_CHANNEL).await?;
                tokio::spawn(run_listener(
                    listener,
                    Arc::downgrade(&self.hub),
                    self.hub.alive.clone(),
                ));
                Ok::<(), sqlx::Error>(())
            })
            .await;
        if let Err(e) = started {
            tracing::warn!(error = %e, "the live bus could not LISTEN; live updates wait for a reload");
        }
    }
}

async fn run_listener(
    mut listener: sqlx::postgres::PgListener,
    hub: Weak<Hub>,
    mut alive: watch::Receiver<()>,
) {
    loop {
        let next = tokio::select! {
            n = listener.try_recv() => n,
            _ = alive.changed() => return,
        };
        let Some(hub) = hub.upgrade() else { return };
        match next {
            Ok(Some(n)) => match serde_json::from_str::<LiveEvent>(n.payload()) {
                Ok(event) => hub.deliver(event),
                Err(e) => tracing::warn!(error = %e, "an unreadable live event was ignored"),
            },
            // The connection dropped (and reconnects on the next call): events may be lost.
            Ok(None) => hub.gap(),
            Err(e) => {
                tracing::warn!(error = %e, "the live bus lost its LISTEN connection");
                hub.gap();
                drop(hub);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

impl LiveBus for PgBus {
    fn publish(&self, events: Vec<LiveEvent>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if events.is_empty() {
                return;
            }
            let mut payloads: Vec<String> = Vec::with_capacity(events.len());
            for e in &events {
                match serde_json::to_string(e) {
                    Ok(p) => payloads.push(p),
                    Err(e) => tracing::warn!(error = %e, "a live event could not be encoded"),
                }
            }
            // One round trip for the batch; notifications keep their order.
            for chunk in payloads.chunks(500) {
                if let Err(e) = sqlx::query(
                    "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
                )
                .bind(PG_CHANNEL)
                .bind(chunk.to_vec())
                .execute(&self.pool)
                .await
                {
                    tracing::warn!(error = %e, "live events could not be sent");
                }
            }
        })
    }

    fn subscribe<'a>(&'a self, last_id: Option<&'a str>) -> BoxFuture<'a, Subscription> {
        Box::pin(async move {
            self.listen().await;
            self.hub.subscribe(last_id)
        })
    }

    fn close(&self) {
        self.hub.closing();
    }
}

#[cfg(any(test, feature = "test-support"))]
impl crate::Store {
    /// The same database seen from another node: its own live bus (on PostgreSQL its own
    /// `LISTEN` connection and subscribers; on SQLite its own boot id and outbox reader), so
    /// events reach it only the way they reach another server or process. For tests of many
    /// nodes in one process.
    pub fn as_another_node(&self) -> crate::Store {
        let mut s = self.clone();
        s.live = match &s.db {
            crate::Db::Sqlite(pool) => Arc::new(SqliteBus::new(pool.clone())),
            crate::Db::Postgres(pool) => Arc::new(PgBus::new(pool.clone())),
        };
        s
    }

    /// The same SQLite file opened again, as another process opens it (`owlery inbox import`,
    /// `owlery worker`): its own connections, turn to write and live bus, sharing nothing with
    /// this store but the file (and the clock). `None` on PostgreSQL (see
    /// [`Store::as_another_node`](crate::Store::as_another_node)).
    pub async fn open_again(&self) -> crate::Result<Option<crate::Store>> {
        let crate::Db::Sqlite(pool) = &self.db else {
            return Ok(None);
        };
        let path = pool.connect_options().get_filename().to_path_buf();
        let other = crate::Store::connect(&crate::DatabaseConfig::Sqlite { path }).await?;
        Ok(Some(other.with_clock(self.clock.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn event(n: u128) -> LiveEvent {
        let mut e = LiveEvent::new(
            OrgId(Uuid::from_u128(1)),
            WorkspaceId(Uuid::from_u128(2)),
            ChannelId(Uuid::from_u128(3)),
            ConversationId(Uuid::from_u128(n)),
            LiveKind::Conversation {
                change: Change::Updated,
                status: Some("open".into()),
                by: None,
            },
        );
        e.id = format!("e{n}");
        e
    }

    #[tokio::test]
    async fn a_reconnecting_subscriber_gets_what_it_missed_or_a_gap() {
        let bus = LocalBus::new();
        bus.publish(vec![event(1), event(2), event(3)]).await;
        let s = bus.subscribe(Some("e1")).await;
        let Replay::Events(missed) = s.replay else {
            panic!("expected events")
        };
        assert_eq!(
            missed.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["e2", "e3"]
        );
        assert_eq!(bus.subscribe(Some("gone")).await.replay, Replay::Gap);
        let mut s = bus.subscribe(None).await;
        bus.publish(vec![event(4)]).await;
        assert_eq!(
            s.receiver.recv().await.unwrap(),
            Delivery::Event(Arc::new(event(4)))
        );
    }

    #[test]
    fn a_big_batch_is_one_reread_row_and_presence_stays_home() {
        let few: Vec<LiveEvent> = (1..=3).map(event).collect();
        let payloads = outbox_payloads(&few);
        assert_eq!(payloads.len(), 3);
        let back: LiveEvent = serde_json::from_str(payloads[0].as_deref().unwrap()).unwrap();
        assert_eq!(back, event(1));
        let many: Vec<LiveEvent> = (0..=OUTBOX_BATCH as u128).map(event).collect();
        assert_eq!(outbox_payloads(&many), vec![None]);
        let mut presence = event(9);
        presence.kind = LiveKind::Presence {
            user_id: UserId(Uuid::from_u128(5)),
            name: "Maria".into(),
            state: PresenceState::Typing,
        };
        assert!(outbox_payloads(&[presence]).is_empty());
    }

    async fn sqlite() -> (crate::testing::TempDir, SqlitePool) {
        let dir = crate::testing::TempDir::new("owlery-live-unit").unwrap();
        let store = crate::Store::connect(&crate::DatabaseConfig::Sqlite {
            path: dir.0.join("owlery.db"),
        })
        .await
        .unwrap();
        store.migrate().await.unwrap();
        let crate::Db::Sqlite(pool) = store.db.clone() else {
            unreachable!()
        };
        (dir, pool)
    }

    async fn tail_of(bus: &SqliteBus) -> Tail {
        let mut conn = SqliteConnection::connect_with(&bus.pool.connect_options())
            .await
            .unwrap();
        let version = data_version(&mut conn).await.unwrap();
        Tail {
            conn,
            origin: bus.origin.clone(),
            version,
            last: 0,
        }
    }

    async fn write(pool: &SqlitePool, bus: &SqliteBus, events: &[LiveEvent], commit: bool) {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        Outbox::record(&mut *tx, bus, events).await.unwrap();
        if commit {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
    }

    fn drain(s: &mut Subscription) -> Vec<Delivery> {
        let mut out = Vec::new();
        while let Ok(d) = s.receiver.try_recv() {
            out.push(d);
        }
        out
    }

    #[tokio::test]
    async fn the_tail_delivers_committed_foreign_rows_once_and_a_hole_as_a_gap() {
        let (_dir, pool) = sqlite().await;
        let server = SqliteBus::new(pool.clone());
        let other = SqliteBus::new(pool.clone());
        let mut tail = tail_of(&server).await;
        let mut sub = server.hub.subscribe(None);

        // Nothing written: the pragma alone.
        tail.poll(&server.hub).await.unwrap();
        assert!(drain(&mut sub).is_empty());

        // Rolled back: nothing. Committed: each event, once.
        write(&pool, &other, &[event(1)], false).await;
        tail.poll(&server.hub).await.unwrap();
        assert!(drain(&mut sub).is_empty());
        write(&pool, &other, &[event(2), event(3)], true).await;
        tail.poll(&server.hub).await.unwrap();
        assert_eq!(
            drain(&mut sub),
            [
                Delivery::Event(Arc::new(event(2))),
                Delivery::Event(Arc::new(event(3)))
            ]
        );
        tail.poll(&server.hub).await.unwrap();
        assert!(drain(&mut sub).is_empty(), "read once");

        // The server's own rows are not delivered again (it did so itself, in-process).
        write(&pool, &server, &[event(4)], true).await;
        tail.poll(&server.hub).await.unwrap();
        assert!(drain(&mut sub).is_empty());

        // Rows pruned before they were read: a gap, and the replay buffer no longer vouches for
        // what came before.
        write(&pool, &other, &[event(5)], true).await;
        write(&pool, &other, &[event(6)], true).await;
        sqlx::query("DELETE FROM live_outbox WHERE payload LIKE '%\"e5\"%'")
            .execute(&pool)
            .await
            .unwrap();
        tail.poll(&server.hub).await.unwrap();
        assert_eq!(drain(&mut sub), [Delivery::Gap]);
        assert_eq!(server.hub.subscribe(Some("e3")).replay, Replay::Gap);
    }

    #[tokio::test]
    async fn writers_prune_the_outbox() {
        let (_dir, pool) = sqlite().await;
        let bus = SqliteBus::new(pool.clone());
        let batch: Vec<LiveEvent> = (0..OUTBOX_BATCH as u128).map(event).collect();
        for _ in 0..(OUTBOX_KEEP as usize / OUTBOX_BATCH + 5) {
            write(&pool, &bus, &batch, true).await;
        }
        let (rows, max): (i64, i64) = sqlx::query_as("SELECT COUNT(*), MAX(seq) FROM live_outbox")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, OUTBOX_KEEP);
        assert_eq!(
            max,
            (OUTBOX_KEEP as usize / OUTBOX_BATCH + 5) as i64 * OUTBOX_BATCH as i64
        );
    }

    #[test]
    fn events_are_small_json() {
        let json = serde_json::to_value(event(7)).unwrap();
        assert_eq!(json["type"], "conversation");
        assert_eq!(json["change"], "updated");
        assert_eq!(json["status"], "open");
        assert!(json.get("by").is_none());
        let back: LiveEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event(7));
        // What pages and other nodes read: the names never change.
        for (change, name) in [
            (Change::Message, "message"),
            (Change::Updated, "updated"),
            (Change::Reply, "reply"),
            (Change::Note, "note"),
            (Change::Action, "action"),
        ] {
            assert_eq!(serde_json::to_value(change).unwrap(), name);
        }
    }
}
