//! Live inbox events between processes on one SQLite file: two `Store`s connected to the same
//! file stand in for `owlery serve` and a second process (an import, a worker). What one commits
//! reaches the other's subscribers (through the outbox table), once; its own subscribers hear it
//! once too (in-process, never again from the outbox); a change that fails announces nothing; a
//! batch touching many conversations travels as one "re-read".
//!
//! And on both backends: every change of an answer (queued, sending, requeued, sent, failed,
//! retried, sent for approval, approved, rejected) and of a message on its network (like and
//! delete asked and settled, hidden, deleted by its author) is one event, heard in the process and
//! on another node; a repeat that changes nothing says nothing; a change whose transaction fails
//! says nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use std::time::Duration;

use chrono::Utc;
use owlery_domain::{
    ChannelId, ConversationId, Grant, OrgId, Role, Scope, UserId,
    audit::Actor,
    inbox::{
        AroundTheClock, Author, Classification, ConversationStatus, InboundMessage, Intent,
        MessageKind, Sentiment, Urgency,
    },
    org::Network,
    user::{DisplayName, Email},
};
use owlery_store::{
    DatabaseConfig, Store,
    inbox::{ConversationPatch, InboxScope, Incoming},
    inbox_actions::MessageAction,
    inbox_replies::NewReply,
    live::{Change, Delivery, LiveKind, OUTBOX_BATCH, Subscription, TAIL_EVERY},
    testing::{TempDir, all_backends},
    users::NewUser,
};
use tokio::sync::broadcast::error::TryRecvError;

async fn two_processes() -> (TempDir, Store, Store) {
    let dir = TempDir::new("owlery-live").unwrap();
    let config = DatabaseConfig::Sqlite {
        path: dir.0.join("owlery.db"),
    };
    let server = Store::connect(&config).await.unwrap();
    server.migrate().await.unwrap();
    let other = Store::connect(&config).await.unwrap();
    (dir, server, other)
}

async fn setup(store: &Store) -> (OrgId, ChannelId) {
    let actor = Actor::cli();
    let org = store.ensure_organisation(&actor, "Acme").await.unwrap();
    let ws = store
        .create_workspace(&actor, org.id, &DisplayName::parse("name", "Shop").unwrap())
        .await
        .unwrap();
    let ch = store
        .create_channel(
            &actor,
            ws.id,
            Network::Bluesky,
            &DisplayName::parse("name", "Shop on Bluesky").unwrap(),
            "shop.bsky.social",
        )
        .await
        .unwrap();
    (org.id, ch.id)
}

fn dm(channel: ChannelId, remote: &str, author: &str) -> Incoming {
    Incoming {
        message: InboundMessage {
            channel,
            remote_id: remote.into(),
            kind: MessageKind::Dm,
            author: Author {
                remote_id: format!("did:{author}"),
                handle: format!("{author}.bsky.social"),
                name: author.to_uppercase(),
                followers: Some(10),
            },
            text: format!("hello from {author}"),
            created_at: Utc::now(),
            conversation_remote_id: Some(format!("thread-{author}")),
            in_reply_to_remote_id: None,
            media: Vec::new(),
            url: None,
        },
        triage: Classification {
            language: "eng".into(),
            sentiment: Sentiment::Neutral,
            intent: Intent::Question,
            urgency: Urgency::Normal,
            sentiment_scores: [0.2, 0.5, 0.3],
            intent_score: 0.7,
        },
    }
}

/// The next delivery, or `None` after `wait`.
async fn next(sub: &mut Subscription, wait: Duration) -> Option<Delivery> {
    tokio::time::timeout(wait, sub.receiver.recv())
        .await
        .ok()
        .map(|d| d.unwrap())
}

/// Long enough for a tailer to have polled a few times.
const SETTLE: Duration = Duration::from_millis(1_500);

fn assert_quiet(sub: &mut Subscription, what: &str) {
    match sub.receiver.try_recv() {
        Err(TryRecvError::Empty) => {}
        other => panic!("{what}: expected nothing more, got {other:?}"),
    }
}

#[tokio::test]
async fn events_cross_processes_once_and_rolled_back_changes_say_nothing() {
    let (_dir, server, other) = two_processes().await;
    let (org, ch) = setup(&server).await;
    let mut on_server = server.live().subscribe(None).await;
    let mut on_other = other.live().subscribe(None).await;

    // A message ingested by the other process reaches the server's subscribers: the same event.
    other
        .ingest(&[dm(ch, "m1", "nadia")], &AroundTheClock::default())
        .await
        .unwrap();
    let Some(Delivery::Event(own)) = next(&mut on_other, SETTLE).await else {
        panic!("the writer's own subscriber hears its change")
    };
    let Some(Delivery::Event(heard)) = next(&mut on_server, Duration::from_secs(5)).await else {
        panic!("the server hears the other process's change")
    };
    assert_eq!(heard, own, "the same event, with the same id");
    assert!(matches!(
        heard.kind,
        LiveKind::Conversation {
            change: Change::Message,
            ..
        }
    ));
    let conversation = heard.conversation_id;

    // A person's change on the server: its own subscriber hears it once, the other process once.
    let patch = ConversationPatch {
        status: Some(ConversationStatus::Closed),
        ..ConversationPatch::default()
    };
    server
        .update_conversation(&Actor::cli(), org, &InboxScope::All, conversation, &patch)
        .await
        .unwrap();
    let Some(Delivery::Event(local)) = next(&mut on_server, SETTLE).await else {
        panic!("the server's subscriber hears the server's change")
    };
    assert!(matches!(
        &local.kind,
        LiveKind::Conversation { change: Change::Updated, status: Some(s), .. } if s == "closed"
    ));
    let Some(Delivery::Event(remote)) = next(&mut on_other, Duration::from_secs(5)).await else {
        panic!("the other process hears the server's change")
    };
    assert_eq!(remote, local);

    // A change that fails (an unknown assignee) is rolled back and announces nothing.
    let bad = ConversationPatch {
        status: Some(ConversationStatus::Open),
        assignee: Some(Some(UserId(uuid::Uuid::now_v7()))),
        ..ConversationPatch::default()
    };
    assert!(
        other
            .update_conversation(&Actor::cli(), org, &InboxScope::All, conversation, &bad)
            .await
            .is_err()
    );

    // Nothing more: no echo of anyone's own events from the outbox, nothing of the failure.
    tokio::time::sleep(SETTLE).await;
    assert_quiet(&mut on_server, "the server");
    assert_quiet(&mut on_other, "the other process");
}

#[tokio::test]
async fn a_batch_touching_many_conversations_is_one_reread() {
    let (dir, server, other) = two_processes().await;
    let (_org, ch) = setup(&server).await;
    let mut on_server = server.live().subscribe(None).await;

    let batch: Vec<Incoming> = (0..=OUTBOX_BATCH)
        .map(|i| dm(ch, &format!("b{i}"), &format!("author{i}")))
        .collect();
    other
        .ingest(&batch, &AroundTheClock::default())
        .await
        .unwrap();
    assert_eq!(
        next(&mut on_server, Duration::from_secs(5)).await,
        Some(Delivery::Gap),
        "one re-read for {} conversations",
        OUTBOX_BATCH + 1
    );
    tokio::time::sleep(TAIL_EVERY * 4).await;
    assert_quiet(&mut on_server, "the server");

    // One outbox row for the whole batch, not one per conversation or message.
    let rows = outbox_rows(&dir).await;
    assert_eq!(rows, 1, "outbox rows for one batch");

    // A reconnecting browser whose last event came before the re-read is told to re-read too.
    assert_eq!(
        server
            .live()
            .subscribe(Some("anything-before"))
            .await
            .replay,
        owlery_store::live::Replay::Gap
    );
}

async fn outbox_rows(dir: &TempDir) -> i64 {
    use sqlx::Connection as _;
    let mut conn =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.0.join("owlery.db").display()))
            .await
            .unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM live_outbox")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

// ---- Every change to a conversation announces itself, on both backends ----------------------

/// Subscribers of one change: in this process, and on "another node" (on SQLite another process's
/// bus, reading the outbox; on PostgreSQL another `LISTEN` connection).
struct Ears {
    here: Subscription,
    there: Subscription,
}

impl Ears {
    /// Exactly one event, about `conversation`, `change`, heard here and there (the same event).
    async fn one(&mut self, what: &str, conversation: ConversationId, change: Change) -> LiveKind {
        let Some(Delivery::Event(here)) = next(&mut self.here, Duration::from_secs(5)).await else {
            panic!("{what}: no event in this process")
        };
        let Some(Delivery::Event(there)) = next(&mut self.there, Duration::from_secs(5)).await
        else {
            panic!("{what}: no event on the other node")
        };
        assert_eq!(here, there, "{what}: the same event");
        assert_eq!(here.conversation_id, conversation, "{what}");
        let LiveKind::Conversation { change: c, .. } = &here.kind else {
            panic!("{what}: not a conversation event: {here:?}")
        };
        assert_eq!(*c, change, "{what}");
        // Another event would have been sent with this one (in-process: at once; from the outbox:
        // in the same read; PostgreSQL: in the same statement).
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_quiet(&mut self.here, what);
        assert_quiet(&mut self.there, what);
        here.kind.clone()
    }

    /// Nothing (more).
    async fn none(&mut self, what: &str) {
        tokio::time::sleep(TAIL_EVERY * 3).await;
        assert_quiet(&mut self.here, what);
        assert_quiet(&mut self.there, what);
    }
}

fn by(kind: &LiveKind) -> Option<UserId> {
    match kind {
        LiveKind::Conversation { by, .. } => *by,
        LiveKind::Presence { .. } => None,
    }
}

fn status(kind: &LiveKind) -> Option<&str> {
    match kind {
        LiveKind::Conversation { status, .. } => status.as_deref(),
        LiveKind::Presence { .. } => None,
    }
}

/// Make the next change to a message fail at the end of its transaction: on SQLite when it writes
/// its outbox row (the event is in the change's transaction, so the change goes with it); on
/// PostgreSQL, which writes no outbox, at the commit itself (a deferred trigger).
async fn refuse_changes(store: &Store, pg: bool) {
    if pg {
        store
            .execute_raw_for_tests(
                "CREATE FUNCTION refuse_for_test() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql",
            )
            .await
            .unwrap();
        store
            .execute_raw_for_tests(
                "CREATE CONSTRAINT TRIGGER refuse_for_test AFTER UPDATE ON inbox_messages \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_for_test()",
            )
            .await
            .unwrap();
    } else {
        store
            .execute_raw_for_tests(
                "CREATE TRIGGER refuse_for_test BEFORE INSERT ON live_outbox \
                 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
            )
            .await
            .unwrap();
    }
}

async fn allow_changes(store: &Store, pg: bool) {
    let sql = if pg {
        "DROP TRIGGER refuse_for_test ON inbox_messages"
    } else {
        "DROP TRIGGER refuse_for_test"
    };
    store.execute_raw_for_tests(sql).await.unwrap();
}

#[tokio::test]
async fn replies_and_message_actions_announce_each_change_once_and_rollbacks_nothing() {
    for (i, db) in all_backends().await.unwrap().into_iter().enumerate() {
        let pg = i == 1;
        let store = db.store.clone();
        let (org, ch) = setup(&store).await;
        let author = store
            .create_user(
                &Actor::cli(),
                org,
                NewUser {
                    email: Email::parse("agent@example.test").unwrap(),
                    name: DisplayName::parse("name", "Agent").unwrap(),
                    password_hash: Some("not used".into()),
                    language: "en".into(),
                    time_zone: "UTC".into(),
                },
                &[Grant {
                    role: Role::Owner,
                    scope: Scope::Organisation,
                }],
            )
            .await
            .unwrap()
            .id;
        let person = Actor {
            user_id: Some(author),
            label: "Agent".into(),
            ip: None,
        };
        let node = store.as_another_node();
        let mut ears = Ears {
            here: store.live().subscribe(None).await,
            there: node.live().subscribe(None).await,
        };

        store
            .ingest(&[dm(ch, "in-1", "nadia")], &AroundTheClock::default())
            .await
            .unwrap();
        let Some(Delivery::Event(first)) = next(&mut ears.here, Duration::from_secs(5)).await
        else {
            panic!("the ingest's event")
        };
        let conv = first.conversation_id;
        let _ = next(&mut ears.there, Duration::from_secs(5)).await;
        ears.none("after the ingest").await;
        let summary = store
            .conversation_summary(org, &InboxScope::All, conv)
            .await
            .unwrap();
        let inbound = store
            .conversation(org, &InboxScope::All, conv)
            .await
            .unwrap()
            .messages[0]
            .id;
        let reply = |key: &'static str, needs_approval: bool| {
            let (store, summary, person) = (store.clone(), summary.clone(), person.clone());
            async move {
                store
                    .create_reply(
                        &person,
                        author,
                        &summary,
                        &NewReply {
                            text: "We are on it",
                            close: false,
                            client_key: key,
                            needs_approval,
                        },
                    )
                    .await
                    .unwrap()
                    .message
                    .id
            }
        };

        // An answer's way out: queued (by its author), sending, back to queued, sent.
        let a = reply("a", false).await;
        let e = ears.one("queued", conv, Change::Reply).await;
        assert_eq!(by(&e), Some(author));
        reply("a", false).await; // the same key again: nothing new, nothing said
        ears.none("a replayed key").await;
        assert!(store.mark_reply_sending(a).await.unwrap());
        ears.one("sending", conv, Change::Reply).await;
        store.requeue_reply(a, "rate limited").await.unwrap();
        ears.one("requeued", conv, Change::Reply).await;
        assert!(store.mark_reply_sending(a).await.unwrap());
        ears.one("sending again", conv, Change::Reply).await;
        assert!(store.record_reply_sent(a, "net-a", None).await.unwrap());
        let e = ears.one("sent", conv, Change::Reply).await;
        assert_eq!(status(&e), Some("pending"), "the status it left");
        assert_eq!(by(&e), None, "the worker is nobody");
        assert!(!store.record_reply_sent(a, "net-a", None).await.unwrap());
        store.requeue_reply(a, "late").await.unwrap();
        ears.none("nothing to record").await;

        // Failed, and sent again by a person.
        let b = reply("b", false).await;
        ears.one("queued", conv, Change::Reply).await;
        assert!(store.record_reply_failed(b, "refused").await.unwrap());
        ears.one("failed", conv, Change::Reply).await;
        assert!(!store.record_reply_failed(b, "refused").await.unwrap());
        ears.none("failed twice").await;
        store.retry_reply(&person, conv, b).await.unwrap();
        let e = ears.one("retried", conv, Change::Reply).await;
        assert_eq!(by(&e), Some(author));

        // Approval: sent for approval, approved; another rejected.
        let c = reply("c", true).await;
        ears.one("sent for approval", conv, Change::Reply).await;
        store
            .review_reply(&Actor::cli(), author, conv, c, true, None)
            .await
            .unwrap();
        ears.one("approved", conv, Change::Reply).await;
        let d = reply("d", true).await;
        ears.one("sent for approval", conv, Change::Reply).await;
        store
            .review_reply(&Actor::cli(), author, conv, d, false, Some("tone"))
            .await
            .unwrap();
        ears.one("rejected", conv, Change::Reply).await;

        // Like: asked (by the person), asked again (nothing), done.
        store
            .request_message_action(&person, conv, inbound, MessageAction::Like)
            .await
            .unwrap();
        let e = ears.one("like asked", conv, Change::Action).await;
        assert_eq!(by(&e), Some(author));
        store
            .request_message_action(&person, conv, inbound, MessageAction::Like)
            .await
            .unwrap();
        ears.none("like asked twice").await;
        store
            .finish_message_action(inbound, MessageAction::Like, Ok(()))
            .await
            .unwrap();
        ears.one("liked", conv, Change::Action).await;
        // Delete our sent answer: asked, refused by the network.
        store
            .request_message_action(&person, conv, a, MessageAction::Delete)
            .await
            .unwrap();
        ears.one("delete asked", conv, Change::Action).await;
        store
            .finish_message_action(a, MessageAction::Delete, Err("gone already".into()))
            .await
            .unwrap();
        ears.one("delete refused", conv, Change::Action).await;
        // Hidden on the network (a rule asked, with the ingest).
        store.finish_hide(inbound.0, Ok(())).await.unwrap();
        ears.one("hidden", conv, Change::Action).await;
        // Its author deleted it on the network (a webhook): once.
        let at = store.now();
        assert_eq!(
            store
                .mark_inbox_messages_deleted(&[(ch, "in-1".into())], at)
                .await
                .unwrap(),
            1
        );
        ears.one("deleted by its author", conv, Change::Message)
            .await;
        assert_eq!(
            store
                .mark_inbox_messages_deleted(&[(ch, "in-1".into())], at)
                .await
                .unwrap(),
            0
        );
        ears.none("deleted twice").await;

        // A change whose transaction fails is not made and says nothing.
        let e = reply("e", false).await;
        ears.one("queued", conv, Change::Reply).await;
        let f = reply("f", true).await;
        ears.one("sent for approval", conv, Change::Reply).await;
        refuse_changes(&store, pg).await;
        assert!(store.mark_reply_sending(e).await.is_err());
        assert!(store.record_reply_failed(e, "refused").await.is_err());
        assert!(
            store
                .review_reply(&Actor::cli(), author, conv, f, true, None)
                .await
                .is_err()
        );
        assert!(
            store
                .request_message_action(&person, conv, a, MessageAction::Delete)
                .await
                .is_err()
        );
        assert!(
            store
                .finish_hide(inbound.0, Err("no".into()))
                .await
                .is_err()
        );
        allow_changes(&store, pg).await;
        ears.none("rolled back").await;
        use owlery_domain::inbox::Delivery as D;
        assert_eq!(
            store.inbox_message(e).await.unwrap().delivery,
            Some(D::Queued)
        );
        assert_eq!(
            store.inbox_message(f).await.unwrap().delivery,
            Some(D::PendingApproval)
        );
    }
}
