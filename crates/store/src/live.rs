//! The live bus: small events about inbox conversations (a new message, a status, assignee, tag
//! or priority change, a reply's state, a note) and presence (who is viewing or typing in a
//! conversation), delivered to every node's subscribers — the `/inbox/events` streams.
//!
//! [`LiveBus`] is the seam. [`LocalBus`] delivers within the process (SQLite: one node).
//! [`PgBus`] sends each event with `pg_notify` and delivers what its `LISTEN` connection hears,
//! so a change committed on node A reaches a browser connected to node B (and A hears its own
//! events the same way, once). Events are published after their transaction commits
//! ([`Store::ingest`](crate::Store::ingest), `update_conversation`, bulk changes, notes): a
//! rolled-back change announces nothing. Delivery is best effort; what a page missed it gets by
//! re-reading (a [`Replay::Gap`] tells it to).
//!
//! Every node keeps the last [`REPLAY`] conversation events in arrival order, with ids made by
//! the publisher (UUID v7), so a browser that reconnects with `Last-Event-ID` — to the same node
//! or another — gets what it missed, or a gap if its id fell out of the buffer. Presence is not
//! replayed: it is stale by then.

use std::{
    collections::VecDeque,
    fmt,
    sync::{Arc, Mutex, Weak},
};

use futures::future::BoxFuture;
use owlery_domain::{
    ChannelId, ConversationId, OrgId, UserId, WorkspaceId, inbox::live::PresenceState,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::{OnceCell, broadcast, watch};

/// The PostgreSQL notification channel.
pub const PG_CHANNEL: &str = "owlery_inbox_live";
/// Conversation events kept for reconnecting streams, per node.
pub const REPLAY: usize = 2_048;
/// Events a slow subscriber may lag behind before it is told to re-read.
const CAPACITY: usize = 1_024;

/// What happened to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// New messages from the network (or edits).
    Message,
    /// Status, priority, assignee, team or tags changed.
    Updated,
    /// An outbound reply was queued, sent or failed.
    Reply,
    /// An internal note was added.
    Note,
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

    fn gap(&self) {
        let _ring = self.inner.lock().unwrap_or_else(|p| p.into_inner());
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
    /// `LISTEN` connection and subscribers), so events reach it only the way they reach another
    /// server. For tests of many nodes in one process.
    pub fn as_another_node(&self) -> crate::Store {
        let mut s = self.clone();
        s.live = match &s.db {
            crate::Db::Sqlite(_) => Arc::new(LocalBus::new()),
            crate::Db::Postgres(pool) => Arc::new(PgBus::new(pool.clone())),
        };
        s
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
    fn events_are_small_json() {
        let json = serde_json::to_value(event(7)).unwrap();
        assert_eq!(json["type"], "conversation");
        assert_eq!(json["change"], "updated");
        assert_eq!(json["status"], "open");
        assert!(json.get("by").is_none());
        let back: LiveEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event(7));
    }
}
