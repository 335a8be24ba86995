//! The inbox poller on SQLite and PostgreSQL (when `OWLERY_TEST_POSTGRES_URL` is set), with an
//! injected clock and a scripted network that hands out pages of messages after a cursor and
//! records the cursors it was asked for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use owlery_domain::{
    ChannelId, Clock, WorkspaceId,
    audit::Actor,
    inbox::{Author, MessageKind},
    org::Network,
    user::DisplayName,
};
use owlery_jobs::inbox_poll::{Polled, Poller};
use owlery_networks::{
    AccountInfo, Connector, ConnectorError, Connectors, Credentials, Lookup, Network as Net,
    PublishRequest, Published, RemoteRef,
    budget::BudgetBook,
    inbox::{InboxItem, InboxPoll},
};
use owlery_store::{
    Store,
    inbox::{ConversationFilter, InboxScope},
    org::{ChannelCredential, channel_credential_purpose},
    testing::{self, TestDb},
    vault::Vault,
};

/// A network whose inbox answers the queued results in order, recording each cursor asked for.
#[derive(Default)]
struct Inbox {
    pages: Mutex<VecDeque<Result<InboxPoll, ConnectorError>>>,
    asked: Mutex<Vec<Option<String>>>,
}

impl Inbox {
    fn queue(&self, r: Result<InboxPoll, ConnectorError>) {
        self.pages.lock().unwrap().push_back(r);
    }
    fn asked(&self) -> Vec<Option<String>> {
        self.asked.lock().unwrap().clone()
    }
}

impl Connector for Inbox {
    fn network(&self) -> Net {
        Net::Mastodon
    }
    async fn verify(&self, _: &Credentials) -> Result<AccountInfo, ConnectorError> {
        unreachable!("not used")
    }
    async fn publish(
        &self,
        _: &Credentials,
        _: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        unreachable!("not used")
    }
    async fn lookup(
        &self,
        _: &Credentials,
        _: &PublishRequest,
        _: std::time::SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        unreachable!("not used")
    }
    async fn delete(&self, _: &Credentials, _: &RemoteRef) -> Result<(), ConnectorError> {
        unreachable!("not used")
    }
    fn polls_inbox(&self) -> bool {
        true
    }
    async fn poll_inbox(
        &self,
        creds: &Credentials,
        cursor: Option<&str>,
    ) -> Result<InboxPoll, ConnectorError> {
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&creds.secret),
            "token-1"
        );
        self.asked.lock().unwrap().push(cursor.map(str::to_owned));
        self.pages
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Ok(InboxPoll::default()))
    }
}

#[derive(Debug)]
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, d: chrono::Duration) {
        *self.0.lock().unwrap() += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

struct World {
    _db: TestDb,
    store: Store,
    clock: Arc<TestClock>,
    net: Arc<Inbox>,
    poller: Poller,
    org: owlery_domain::OrgId,
    workspace: WorkspaceId,
    vault: Arc<Vault>,
}

async fn worlds() -> Vec<World> {
    let mut out = Vec::new();
    for db in testing::all_backends().await.unwrap() {
        let clock = Arc::new(TestClock(Mutex::new(
            Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
        )));
        let store = db.store.clone().with_clock(clock.clone());
        let actor = Actor::cli();
        let org = store.ensure_organisation(&actor, "Acme").await.unwrap();
        let workspace = store
            .create_workspace(&actor, org.id, &DisplayName::parse("name", "Main").unwrap())
            .await
            .unwrap();
        let net = Arc::new(Inbox::default());
        let vault = Arc::new(Vault::ephemeral());
        let connectors = Connectors::empty(Arc::new(BudgetBook::new())).with(net.clone());
        let poller = Poller::new(
            store.clone(),
            Arc::new(connectors),
            Some(vault.clone()),
            Arc::new(owlery_triage::BuiltIn::new().unwrap()),
        );
        out.push(World {
            _db: db,
            store,
            clock,
            net,
            poller,
            org: org.id,
            workspace: workspace.id,
            vault,
        });
    }
    out
}

impl World {
    async fn channel(&self, handle: &str) -> ChannelId {
        let id = ChannelId::new();
        let sealed = self
            .vault
            .seal(&channel_credential_purpose(id), b"token-1")
            .unwrap();
        self.store
            .create_connected_channel(
                &Actor::cli(),
                self.workspace,
                Network::Mastodon,
                &DisplayName::parse("name", handle).unwrap(),
                handle,
                id,
                &ChannelCredential {
                    service: Some("https://m.example".into()),
                    account_id: "1".into(),
                    sealed,
                    refresh_sealed: None,
                    expires_at: None,
                    auth: owlery_domain::org::AuthKind::Standard,
                },
            )
            .await
            .unwrap();
        id
    }

    async fn conversations(&self) -> Vec<(String, i64)> {
        let page = self
            .store
            .list_conversations(
                self.org,
                &InboxScope::All,
                &ConversationFilter::default(),
                None,
                100,
            )
            .await
            .unwrap();
        let mut out: Vec<(String, i64)> = page
            .items
            .into_iter()
            .map(|c| (c.preview, c.message_count))
            .collect();
        out.sort();
        out
    }
}

fn item(id: &str, text: &str, post: &str) -> InboxItem {
    InboxItem {
        remote_id: id.into(),
        kind: MessageKind::Comment,
        author: Author {
            remote_id: "7".into(),
            handle: "ana@m.example".into(),
            name: "Ana".into(),
            followers: Some(12),
        },
        text: text.into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 27, 8, 59, 0).unwrap(),
        conversation_remote_id: Some(post.into()),
        in_reply_to_remote_id: Some(post.into()),
        media: vec![],
        url: Some(format!("https://m.example/@ana/{id}")),
    }
}

fn page(items: Vec<InboxItem>, cursor: &str, more: bool) -> Result<InboxPoll, ConnectorError> {
    Ok(InboxPoll {
        items,
        cursor: Some(cursor.into()),
        more,
    })
}

#[tokio::test]
async fn messages_are_ingested_once_and_the_cursor_moves_only_after_them() {
    for w in worlds().await {
        let channel = w.channel("brand").await;
        w.net.queue(page(
            vec![
                item("10", "Is the shop open on Sunday?", "1"),
                item("11", "And Monday?", "1"),
            ],
            "c1",
            false,
        ));
        let done = w.poller.poll_due().await.unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(
            done[0].1,
            Polled::Done {
                read: 2,
                new: 2,
                more: false
            }
        );
        assert_eq!(w.conversations().await, [("And Monday?".to_owned(), 2)]);
        let state = w.store.inbox_poll_state(channel).await.unwrap().unwrap();
        assert_eq!(state.ingested, 2);
        assert_eq!(state.failures, 0);

        // Not due yet: nothing is asked.
        assert!(w.poller.poll_due().await.unwrap().is_empty());
        assert_eq!(w.net.asked(), [None]);

        // A minute later the next poll starts from the stored cursor; the network repeats a
        // message (as Bluesky does at a shared timestamp): it is not ingested twice.
        w.clock.advance(chrono::Duration::seconds(61));
        w.net.queue(page(
            vec![item("11", "And Monday?", "1"), item("12", "Thanks!", "2")],
            "c2",
            true,
        ));
        w.net.queue(page(vec![], "c3", false));
        let done = w.poller.poll_due().await.unwrap();
        // `more`: polled again at once, in the same round.
        assert_eq!(done.len(), 2, "{done:?}");
        assert_eq!(
            done[0].1,
            Polled::Done {
                read: 2,
                new: 1,
                more: true
            }
        );
        assert_eq!(w.net.asked(), [None, Some("c1".into()), Some("c2".into())]);
        assert_eq!(
            w.conversations().await,
            [("And Monday?".to_owned(), 2), ("Thanks!".to_owned(), 1)]
        );
    }
}

#[tokio::test]
async fn failures_keep_the_cursor_back_off_and_a_refused_grant_disconnects() {
    for w in worlds().await {
        let channel = w.channel("brand").await;
        w.net
            .queue(page(vec![item("10", "Hello", "1")], "c1", false));
        w.poller.poll_due().await.unwrap();

        w.clock.advance(chrono::Duration::seconds(61));
        w.net.queue(Err(ConnectorError::Temporary {
            reason: "503 from the server".into(),
            retry_after: None,
        }));
        let done = w.poller.poll_due().await.unwrap();
        assert!(
            matches!(&done[0].1, Polled::Failed(e) if e.contains("503")),
            "{done:?}"
        );
        let state = w.store.inbox_poll_state(channel).await.unwrap().unwrap();
        assert_eq!(state.failures, 1);
        assert!(state.last_error.unwrap().contains("503"));
        // Backed off: not due a minute later, due after two.
        w.clock.advance(chrono::Duration::seconds(61));
        assert!(w.poller.poll_due().await.unwrap().is_empty());
        w.clock.advance(chrono::Duration::seconds(61));
        w.net.queue(Err(ConnectorError::Auth {
            reason: "The access token was revoked".into(),
        }));
        let done = w.poller.poll_due().await.unwrap();
        assert!(matches!(&done[0].1, Polled::Disconnected(r) if r.contains("revoked")));
        // The cursor stayed where the last good poll left it.
        assert_eq!(w.net.asked(), [None, Some("c1".into()), Some("c1".into())]);
        let ch = w.store.channel(channel).await.unwrap();
        assert_eq!(ch.status.code(), "needs_reconnect");
        // A channel that is not connected is not polled, however long it waits.
        w.clock.advance(chrono::Duration::hours(3));
        assert!(w.poller.poll_due().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn two_pollers_never_read_the_same_channel_at_once() {
    for w in worlds().await {
        for i in 0..6 {
            w.channel(&format!("brand{i}")).await;
        }
        w.store
            .ensure_inbox_polls(&[Network::Mastodon])
            .await
            .unwrap();
        let lease = chrono::Duration::minutes(5);
        let mut claimed = Vec::new();
        for poller in ["a", "b", "a", "b", "a", "b", "a"] {
            if let Some(c) = w
                .store
                .claim_inbox_poll(poller, lease, false)
                .await
                .unwrap()
            {
                claimed.push(c.channel_id);
            }
        }
        claimed.sort_by_key(|c| c.0);
        let before = claimed.len();
        claimed.dedup();
        assert_eq!((before, claimed.len()), (6, 6));
        // Another poller cannot finish a poll it does not hold.
        let any = claimed[0];
        assert!(
            !w.store
                .finish_inbox_poll(
                    any,
                    "intruder",
                    owlery_store::inbox_polls::PollEnd::Failed { error: "x" },
                    w.clock.now(),
                )
                .await
                .unwrap()
        );
        // A lapsed lease is claimable again.
        w.clock.advance(chrono::Duration::minutes(6));
        assert!(
            w.store
                .claim_inbox_poll("c", lease, false)
                .await
                .unwrap()
                .is_some()
        );
    }
}

/// Simulated channels hear from the sandbox's audience when the poller simulates one: the first
/// poll catches up on the last hours in pages, later polls bring what was written since, and a
/// poller that does not simulate leaves them alone.
#[tokio::test]
async fn a_simulated_audience_writes_to_simulated_channels() {
    use owlery_networks::sandbox::traffic::Profile;
    for w in worlds().await {
        let practice = w
            .store
            .create_practice_channel(
                &Actor::cli(),
                w.workspace,
                Network::Instagram,
                &DisplayName::parse("name", "Practice").unwrap(),
                "practice",
            )
            .await
            .unwrap();
        // Not simulating: nothing is polled.
        assert!(w.poller.poll_due().await.unwrap().is_empty());

        // About 3,000 messages in the hour before 09:00.
        let busy = Profile {
            per_hour: 3_600.0,
            bursts_per_day: 0.0,
        };
        let poller = Poller::new(
            w.store.clone(),
            Arc::new(Connectors::empty(Arc::new(BudgetBook::new()))),
            None,
            Arc::new(owlery_triage::BuiltIn::new().unwrap()),
        )
        .with_simulation(Some(busy));
        let first = poller.poll_due().await.unwrap();
        assert!(first.len() >= 2, "an hour takes several pages");
        assert!(
            first
                .iter()
                .all(|(c, _)| c.channel_id == practice.id && c.simulated)
        );
        let new: usize = first
            .iter()
            .map(|(_, p)| match p {
                Polled::Done { new, .. } => *new,
                other => panic!("{other:?}"),
            })
            .sum();
        assert!(new > 2_000, "{new}");
        let (messages, _) = w.store.inbox_counts().await.unwrap();
        assert_eq!(messages, new as i64);

        // Nothing is due until the interval passes; then the last minutes arrive, once.
        assert!(poller.poll_due().await.unwrap().is_empty());
        w.clock.advance(chrono::Duration::minutes(10));
        let later = poller.poll_due().await.unwrap();
        let Some((_, Polled::Done { new: more, .. })) = later.first() else {
            panic!("{later:?}");
        };
        assert!(
            (300..700).contains(more),
            "about ten minutes' worth: {more}"
        );
        let (after, _) = w.store.inbox_counts().await.unwrap();
        assert_eq!(after, (new + more) as i64);
        // Every kind of message, classified.
        let page = w
            .store
            .list_conversations(
                w.org,
                &InboxScope::All,
                &ConversationFilter::default(),
                None,
                200,
            )
            .await
            .unwrap();
        assert!(page.items.iter().any(|c| c.sentiment.is_some()));
        let kinds: std::collections::HashSet<_> = page.items.iter().map(|c| c.kind).collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
    }
}
