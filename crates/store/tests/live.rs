//! Live inbox events between processes on one SQLite file: two `Store`s connected to the same
//! file stand in for `owlery serve` and a second process (an import, a worker). What one commits
//! reaches the other's subscribers (through the outbox table), once; its own subscribers hear it
//! once too (in-process, never again from the outbox); a change that fails announces nothing; a
//! batch touching many conversations travels as one "re-read".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use std::time::Duration;

use chrono::Utc;
use owlery_domain::{
    ChannelId, OrgId, UserId,
    audit::Actor,
    inbox::{
        AroundTheClock, Author, Classification, ConversationStatus, InboundMessage, Intent,
        MessageKind, Sentiment, Urgency,
    },
    org::Network,
    user::DisplayName,
};
use owlery_store::{
    DatabaseConfig, Store,
    inbox::{ConversationPatch, InboxScope, Incoming},
    live::{Change, Delivery, LiveKind, OUTBOX_BATCH, Subscription, TAIL_EVERY},
    testing::TempDir,
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
