//! The publishing engine on connected channels, on SQLite and PostgreSQL (when
//! `OWLERY_TEST_POSTGRES_URL` is set), through the real worker loop with an injected clock and a
//! scripted connector that answers what each test tells it to and records every call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeZone, Utc};
use owlery_domain::{
    ChannelId, Clock, Grant, Role, Scope, UserId, VariantId, WorkspaceId,
    audit::Actor,
    org::Network,
    post::{Content, Overrides, VariantStatus},
    publishing::engine::{HeldBy, LatePolicy, PauseScope},
    user::{DisplayName, Email},
};
use owlery_jobs::{Outcome, Worker, engine::Connectors, publish::Publisher};
use owlery_networks::{
    AccountInfo, Connector, ConnectorError, Credentials, Lookup, Network as Net, PublishRequest,
    Published, RemoteRef, TokenGrant,
    budget::{BudgetBook, Scope as BudgetScope, Window},
};
use owlery_store::{
    Store,
    engine::{PartStatus, Resolution},
    oauth::{NewNetworkApp, network_app_purpose},
    org::{ChannelCredential, channel_credential_purpose},
    posts::{NewPost, Validation, VariantInput},
    testing::{self, TestDb},
    users::NewUser,
    vault::Vault,
};
use secrecy::{ExposeSecret, SecretString};

// ------------------------------------------------------------------ a scripted network

#[derive(Debug, Clone)]
struct Call {
    method: &'static str,
    key: String,
    text: String,
    reply_to: Option<String>,
    as_comment: bool,
    secret: String,
    /// The organisation's app the call came with (its client id and secret).
    app: Option<(String, String)>,
}

#[derive(Default)]
struct Script {
    publish: VecDeque<Result<(), ConnectorError>>,
    lookup: VecDeque<Result<Lookup, ConnectorError>>,
    refresh: VecDeque<Result<Option<TokenGrant>, ConnectorError>>,
    calls: Vec<Call>,
    posts: Vec<(String, Published)>,
}

/// A network that does what the test queued (default: succeed), keeping what it "published".
#[derive(Default)]
struct Scripted(Mutex<Script>);

impl Scripted {
    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.0.lock().unwrap()
    }
    fn on_publish(&self, r: Result<(), ConnectorError>) {
        self.lock().publish.push_back(r);
    }
    fn on_lookup(&self, r: Result<Lookup, ConnectorError>) {
        self.lock().lookup.push_back(r);
    }
    fn on_refresh(&self, r: Result<Option<TokenGrant>, ConnectorError>) {
        self.lock().refresh.push_back(r);
    }
    fn calls(&self, method: &str) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }
    fn published(&self) -> Vec<(String, Published)> {
        self.lock().posts.clone()
    }
    fn record(&self, method: &'static str, creds: &Credentials, req: Option<&PublishRequest>) {
        self.lock().calls.push(Call {
            method,
            key: req.map(|r| r.idempotency_key.clone()).unwrap_or_default(),
            text: req.map(|r| r.part.text.clone()).unwrap_or_default(),
            reply_to: req.and_then(|r| r.reply_to.as_ref().map(|r| r.id.clone())),
            as_comment: req.is_some_and(|r| r.as_comment),
            secret: creds.secret.expose_secret().to_owned(),
            app: creds.app.as_ref().map(|a| {
                (
                    a.client_id.clone(),
                    a.client_secret.expose_secret().to_owned(),
                )
            }),
        });
    }
}

impl Connector for Scripted {
    fn network(&self) -> Net {
        Net::X
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        Ok(AccountInfo {
            id: "acct".into(),
            handle: creds.handle.clone(),
        })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        self.record("publish", creds, Some(req));
        let next = self.lock().publish.pop_front().unwrap_or(Ok(()));
        let mut s = self.lock();
        let n = s.posts.len() + 1;
        let published = Published {
            remote: RemoteRef {
                id: format!("x:{n}"),
                cid: None,
                root: None,
            },
            url: format!("https://x.com/northwind/status/{n}"),
        };
        match next {
            // The network took it, then the answer was lost.
            Err(ConnectorError::Unknown { reason }) if reason.contains("arrived") => {
                s.posts.push((req.idempotency_key.clone(), published));
                Err(ConnectorError::Unknown { reason })
            }
            Err(e) => Err(e),
            Ok(()) => {
                s.posts
                    .push((req.idempotency_key.clone(), published.clone()));
                Ok(published)
            }
        }
    }

    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        _since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        self.record("lookup", creds, Some(req));
        let scripted = self.lock().lookup.pop_front();
        if let Some(r) = scripted {
            return r;
        }
        // default: answer truthfully from what was "published"
        Ok(self
            .lock()
            .posts
            .iter()
            .find(|(k, _)| *k == req.idempotency_key)
            .map_or(Lookup::Absent, |(_, p)| Lookup::Found(p.clone())))
    }

    async fn delete(
        &self,
        _creds: &Credentials,
        _remote: &RemoteRef,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        self.record("refresh", creds, None);
        self.lock().refresh.pop_front().unwrap_or(Ok(None))
    }
}

// ------------------------------------------------------------------ the world

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
    net: Arc<Scripted>,
    budgets: Arc<BudgetBook>,
    vault: Arc<Vault>,
    worker: Worker,
    org: owlery_domain::OrgId,
    workspace: WorkspaceId,
    author: UserId,
    owner: UserId,
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
        let author = user(&store, org.id, "author@example.test", Role::Publisher).await;
        let owner = user(&store, org.id, "owner@example.test", Role::Owner).await;
        let net = Arc::new(Scripted::default());
        let budgets = Arc::new(BudgetBook::new());
        let vault = Arc::new(Vault::ephemeral());
        let connectors = Connectors::empty(budgets.clone()).with(net.clone());
        let worker = Worker::new(store.clone(), "test").with_handler(
            Publisher::new(store.clone()).connected(Arc::new(connectors), vault.clone()),
        );
        out.push(World {
            _db: db,
            store,
            clock,
            net,
            budgets,
            vault,
            worker,
            org: org.id,
            workspace: workspace.id,
            author,
            owner,
        });
    }
    out
}

async fn user(store: &Store, org: owlery_domain::OrgId, email: &str, role: Role) -> UserId {
    store
        .create_user(
            &Actor::cli(),
            org,
            NewUser {
                email: Email::parse(email).unwrap(),
                name: DisplayName::parse("name", "Ана Петрова").unwrap(),
                password_hash: Some("$argon2id$dummy".into()),
                language: "en".into(),
                time_zone: "Europe/Sofia".into(),
            },
            &[Grant {
                role,
                scope: Scope::Organisation,
            }],
        )
        .await
        .unwrap()
        .id
}

fn hours(h: i64) -> chrono::Duration {
    chrono::Duration::hours(h)
}

impl World {
    /// A connected X channel with the token `secret`, expiring at `expires_at`.
    async fn connected(&self, handle: &str, expires_at: Option<DateTime<Utc>>) -> ChannelId {
        let id = ChannelId::new();
        let sealed = self
            .vault
            .seal(&channel_credential_purpose(id), b"token-1")
            .unwrap();
        self.store
            .create_connected_channel(
                &Actor::cli(),
                self.workspace,
                Network::X,
                &DisplayName::parse("name", handle).unwrap(),
                handle,
                id,
                &ChannelCredential {
                    service: None,
                    account_id: "12345".into(),
                    sealed,
                    refresh_sealed: None,
                    expires_at,
                    auth: owlery_domain::org::AuthKind::Standard,
                },
            )
            .await
            .unwrap();
        id
    }

    async fn post(
        &self,
        channel: ChannelId,
        first_comment: Option<&str>,
        at: DateTime<Utc>,
    ) -> (owlery_domain::PostId, VariantId) {
        let p = self
            .store
            .create_post(
                &Actor::cli(),
                self.author,
                NewPost {
                    workspace_id: self.workspace,
                    title: "Beans".into(),
                    content: Content {
                        text: "Fresh beans are in.".into(),
                        first_comment: first_comment.map(str::to_owned),
                        ..Content::default()
                    },
                    variants: vec![VariantInput {
                        channel_id: channel,
                        placement: "post".into(),
                        overrides: Overrides::default(),
                        validation: Validation {
                            findings: serde_json::json!([]),
                            has_errors: false,
                            spec_version: owlery_domain::spec::Specs::embedded().unwrap().version,
                        },
                    }],
                    campaign_id: None,
                    scheduled_at: Some(at),
                    schedule_tz: "Europe/Sofia".into(),
                },
            )
            .await
            .unwrap();
        self.store.submit_post(&Actor::cli(), p.id).await.unwrap();
        (p.id, p.variants[0].id)
    }

    async fn drain(&self) -> Vec<Outcome> {
        let mut out = Vec::new();
        while let Some((_, o)) = self.worker.run_once().await.unwrap() {
            out.push(o);
        }
        out
    }

    async fn status(&self, v: VariantId) -> VariantStatus {
        self.store.variant_status(v).await.unwrap().unwrap()
    }

    async fn error(&self, post: owlery_domain::PostId, v: VariantId) -> String {
        let p = self.store.post(post).await.unwrap().unwrap();
        p.variant(v).unwrap().error.clone().unwrap_or_default()
    }

    async fn kinds(&self, u: UserId) -> Vec<String> {
        self.store
            .notifications(u, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.kind)
            .collect()
    }
}

fn unknown_but_arrived() -> ConnectorError {
    ConnectorError::Unknown {
        reason: "timeout (it arrived)".into(),
    }
}

// ------------------------------------------------------------------ tests

#[tokio::test]
async fn a_post_and_its_first_comment_go_out_in_order_once() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let at = w.store.now() + hours(1);
        let (post, v) = w.post(ch, Some("Menu in the replies"), at).await;
        assert!(w.drain().await.is_empty());
        w.clock.advance(hours(1));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);

        let calls = w.net.calls("publish");
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].key, format!("{v}:0"));
        assert_eq!(calls[0].text, "Fresh beans are in.");
        assert_eq!(calls[0].reply_to, None);
        assert_eq!(calls[0].secret, "token-1", "the sealed token was opened");
        assert_eq!(calls[1].key, format!("{v}:1"));
        assert_eq!(calls[1].reply_to.as_deref(), Some("x:1"), "a thread reply");
        assert!(!calls[1].as_comment);

        let p = w.store.post(post).await.unwrap().unwrap();
        let pv = p.variant(v).unwrap();
        assert_eq!(pv.remote_id.as_deref(), Some("x:1"));
        assert_eq!(
            pv.remote_url.as_deref(),
            Some("https://x.com/northwind/status/1")
        );
        let parts = w.store.variant_parts(v).await.unwrap();
        assert!(parts.iter().all(|p| p.status == PartStatus::Published));
        assert_eq!(parts.len(), 2);
    }
}

#[tokio::test]
async fn an_unknown_outcome_is_looked_up_and_never_sent_twice() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let at = w.store.now();
        let (_, v) = w.post(ch, None, at).await;
        w.net.on_publish(Err(unknown_but_arrived()));
        let out = w.drain().await;
        assert!(matches!(out[..], [Outcome::Retrying { .. }]), "{out:?}");
        assert_eq!(w.status(v).await, VariantStatus::Publishing);
        w.clock.advance(hours(1));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
        assert_eq!(w.net.calls("publish").len(), 1, "never repeated blindly");
        assert_eq!(w.net.calls("lookup").len(), 1);
        assert_eq!(w.net.published().len(), 1);
    }
}

#[tokio::test]
async fn an_attempt_the_network_never_got_is_sent_again_after_the_lookup() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (_, v) = w.post(ch, None, w.store.now()).await;
        w.net.on_publish(Err(ConnectorError::Unknown {
            reason: "reset before sending".into(),
        }));
        w.drain().await;
        w.clock.advance(hours(1));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.net.calls("lookup").len(), 1);
        assert_eq!(w.net.calls("publish").len(), 2);
        assert_eq!(w.net.published().len(), 1, "exactly one post");
        assert_eq!(w.status(v).await, VariantStatus::Published);
    }
}

#[tokio::test]
async fn when_the_network_cannot_tell_a_person_decides() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (post, v) = w.post(ch, None, w.store.now()).await;
        w.net.on_publish(Err(unknown_but_arrived()));
        w.net.on_lookup(Ok(Lookup::CannotTell {
            reason: "the API cannot list posts".into(),
        }));
        w.drain().await;
        w.clock.advance(hours(1));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Unconfirmed);
        let error = w.error(post, v).await;
        assert!(error.contains("not known whether X took"), "{error}");
        assert!(
            w.kinds(w.author)
                .await
                .contains(&"publish_unconfirmed".into())
        );
        assert!(
            w.kinds(w.owner)
                .await
                .contains(&"publish_unconfirmed".into()),
            "the channel's owners are told too"
        );
        assert_eq!(w.net.calls("publish").len(), 1);

        // a person checks: it is there
        let attention = w.store.needs_attention(w.org, None).await.unwrap();
        assert_eq!(attention.len(), 1);
        assert_eq!(attention[0].status, VariantStatus::Unconfirmed);
        w.store
            .resolve_unconfirmed(
                &Actor::cli(),
                v,
                Resolution::Published {
                    url: "https://x.com/northwind/status/1".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
        assert_eq!(w.net.calls("publish").len(), 1, "nothing sent again");
        assert!(
            w.store
                .needs_attention(w.org, None)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn an_unconfirmed_post_that_is_not_there_goes_again_once() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (_, v) = w.post(ch, None, w.store.now()).await;
        w.net.on_publish(Err(ConnectorError::Unknown {
            reason: "reset".into(),
        }));
        w.net.on_lookup(Ok(Lookup::CannotTell {
            reason: "no search".into(),
        }));
        w.drain().await;
        w.clock.advance(hours(1));
        w.drain().await;
        assert_eq!(w.status(v).await, VariantStatus::Unconfirmed);
        let err = w
            .store
            .resolve_unconfirmed(
                &Actor::cli(),
                v,
                Resolution::Published {
                    url: "javascript:alert(1)".into(),
                },
            )
            .await;
        assert!(err.is_err(), "only web addresses");
        w.store
            .resolve_unconfirmed(&Actor::cli(), v, Resolution::NotThere)
            .await
            .unwrap();
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
        assert_eq!(w.net.calls("publish").len(), 2);
        assert_eq!(w.net.published().len(), 1);
    }
}

#[tokio::test]
async fn rate_limits_wait_without_using_up_attempts() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (_, v) = w.post(ch, None, w.store.now()).await;
        for _ in 0..12 {
            w.net.on_publish(Err(ConnectorError::RateLimited {
                retry_after: Some(Duration::from_secs(120)),
            }));
        }
        // more 429s than the job has attempts: it still never fails
        for _ in 0..12 {
            let now = w.store.now();
            assert_eq!(
                w.drain().await,
                vec![Outcome::Waiting {
                    at: now + chrono::Duration::seconds(120)
                }]
            );
            assert_eq!(w.status(v).await, VariantStatus::Publishing);
            w.clock.advance(chrono::Duration::seconds(120));
        }
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
        assert_eq!(w.net.published().len(), 1);
    }
}

#[tokio::test]
async fn an_empty_budget_waits_before_calling_the_network() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (_, v) = w.post(ch, None, w.store.now()).await;
        let resets: SystemTime = (w.store.now() + chrono::Duration::minutes(15)).into();
        w.budgets.observe(
            Net::X,
            BudgetScope::Account,
            "12345",
            "POST /2/tweets",
            Window {
                remaining: 0,
                limit: Some(100),
                resets_at: resets,
            },
        );
        let out = w.drain().await;
        assert!(matches!(out[..], [Outcome::Waiting { .. }]), "{out:?}");
        assert!(
            w.net.calls("publish").is_empty(),
            "no call into an empty budget"
        );
        assert_eq!(w.status(v).await, VariantStatus::Publishing);
        // the budget is real time (SystemTime); once it resets the post goes
        w.budgets.observe(
            Net::X,
            BudgetScope::Account,
            "12345",
            "POST /2/tweets",
            Window {
                remaining: 5,
                limit: Some(100),
                resets_at: resets,
            },
        );
        w.clock.advance(chrono::Duration::minutes(15));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
    }
}

#[tokio::test]
async fn passing_errors_back_off_then_fail_with_a_reason_for_people() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (post, v) = w.post(ch, None, w.store.now()).await;
        for _ in 0..8 {
            w.net.on_publish(Err(ConnectorError::Temporary {
                reason: "HTTP 503".into(),
                retry_after: None,
            }));
        }
        let mut waits = Vec::new();
        for _ in 0..8 {
            let now = w.store.now();
            let out = w.drain().await;
            match out[..] {
                [Outcome::Retrying { at }] => waits.push((at - now).num_seconds()),
                [Outcome::Completed] => break,
                _ => panic!("{out:?}"),
            }
            w.clock.advance(hours(2));
        }
        assert_eq!(waits.len(), 7, "{waits:?}");
        assert!(
            waits.windows(2).all(|p| p[1] >= p[0]),
            "exponential: {waits:?}"
        );
        assert_eq!(w.status(v).await, VariantStatus::Failed);
        let error = w.error(post, v).await;
        assert!(error.contains("kept failing at every attempt"), "{error}");
        assert!(w.kinds(w.owner).await.contains(&"publish_failed".into()));
    }
}

#[tokio::test]
async fn a_failed_follow_up_part_is_visible_and_retry_sends_only_it() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (post, v) = w.post(ch, Some("First comment"), w.store.now()).await;
        w.net.on_publish(Ok(()));
        w.net.on_publish(Err(ConnectorError::Permanent {
            reason: "duplicate content".into(),
        }));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Failed);
        let error = w.error(post, v).await;
        assert!(
            error.contains("The post is on X (https://x.com/northwind/status/1)"),
            "{error}"
        );
        assert!(
            error.contains("Retrying sends only what is missing"),
            "{error}"
        );
        let attention = w.store.needs_attention(w.org, None).await.unwrap();
        assert_eq!(attention[0].parts_published, 1);

        w.store.resume_variant(&Actor::cli(), v).await.unwrap();
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
        let calls = w.net.calls("publish");
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[2].key, format!("{v}:1"));
        assert_eq!(calls[2].reply_to.as_deref(), Some("x:1"));
        assert_eq!(w.net.published().len(), 2);
    }
}

#[tokio::test]
async fn a_refused_token_marks_the_channel_and_tells_its_owners() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (post, v) = w.post(ch, None, w.store.now()).await;
        w.net.on_publish(Err(ConnectorError::Auth {
            reason: "token revoked".into(),
        }));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Failed);
        assert!(w.error(post, v).await.contains("Reconnect the channel"));
        let channel = w.store.channel(ch).await.unwrap();
        assert_eq!(channel.status.code(), "needs_reconnect");
        assert!(
            w.kinds(w.owner)
                .await
                .contains(&"channel_needs_reconnect".into())
        );

        // the next post on that channel fails at its time without calling the network
        let (post2, v2) = w.post(ch, None, w.store.now()).await;
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v2).await, VariantStatus::Failed);
        assert!(w.error(post2, v2).await.contains("needs renewing"));
        assert_eq!(w.net.calls("publish").len(), 1);
    }
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire_and_a_passing_error_keeps_the_channel() {
    for w in worlds().await {
        let soon = w.store.now() + chrono::Duration::minutes(5);
        let ch = w.connected("northwind", Some(soon)).await;
        let (_, v) = w.post(ch, None, w.store.now()).await;
        // first a passing failure: retried, the channel stays connected
        w.net.on_refresh(Err(ConnectorError::Temporary {
            reason: "503".into(),
            retry_after: None,
        }));
        let out = w.drain().await;
        assert!(matches!(out[..], [Outcome::Retrying { .. }]), "{out:?}");
        let channel = w.store.channel(ch).await.unwrap();
        assert_eq!(channel.status.code(), "connected");
        // then a new token
        w.net.on_refresh(Ok(Some(TokenGrant {
            access: SecretString::from("token-2".to_owned()),
            refresh: Some(SecretString::from("refresh-2".to_owned())),
            expires_at: Some(SystemTime::now() + Duration::from_secs(7200)),
            scopes: vec![],
        })));
        w.clock.advance(hours(1));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
        assert_eq!(w.net.calls("publish")[0].secret, "token-2");
        let stored = w.store.channel_credential(ch).await.unwrap().unwrap();
        assert!(stored.refresh_sealed.is_some());
        let opened = w
            .vault
            .open(&channel_credential_purpose(ch), &stored.sealed)
            .unwrap();
        assert_eq!(opened, b"token-2", "the new token is kept, sealed");
        assert!(!String::from_utf8_lossy(&stored.sealed).contains("token-2"));
    }
}

#[tokio::test]
async fn tokens_are_renewed_with_the_organisations_app() {
    for w in worlds().await {
        let sealed = w
            .vault
            .seal(&network_app_purpose(Network::X, None), b"x-app-secret")
            .unwrap();
        w.store
            .set_network_app(
                &Actor::cli(),
                w.org,
                &NewNetworkApp {
                    network: Network::X,
                    service: None,
                    client_id: "x-app-id",
                    secret_sealed: &sealed,
                    registered: false,
                },
            )
            .await
            .unwrap();
        let soon = w.store.now() + chrono::Duration::minutes(5);
        let ch = w.connected("northwind", Some(soon)).await;
        w.post(ch, None, w.store.now()).await;
        w.net.on_refresh(Ok(Some(TokenGrant {
            access: SecretString::from("token-2".to_owned()),
            refresh: None,
            expires_at: Some(SystemTime::now() + Duration::from_secs(7200)),
            scopes: vec![],
        })));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        let refresh = &w.net.calls("refresh")[0];
        assert_eq!(
            refresh.app,
            Some(("x-app-id".to_owned(), "x-app-secret".to_owned())),
            "the app is opened for the refresh"
        );
    }
}

#[tokio::test]
async fn a_dead_refresh_grant_needs_reconnecting() {
    for w in worlds().await {
        let soon = w.store.now() + chrono::Duration::minutes(1);
        let ch = w.connected("northwind", Some(soon)).await;
        let (_, v) = w.post(ch, None, w.store.now()).await;
        w.net.on_refresh(Err(ConnectorError::Auth {
            reason: "invalid_grant".into(),
        }));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Failed);
        let channel = w.store.channel(ch).await.unwrap();
        assert_eq!(channel.status.code(), "needs_reconnect");
        assert!(w.net.calls("publish").is_empty());
    }
}

#[tokio::test]
async fn a_pause_holds_posts_until_a_person_resumes_them() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let other = w.connected("southwind", None).await;
        let at = w.store.now() + hours(1);
        let (post, v) = w.post(ch, None, at).await;
        let (_, v_other) = w.post(other, None, at).await;
        let pause = w
            .store
            .create_pause(
                &Actor::cli(),
                w.org,
                PauseScope::Channel,
                ch.0,
                "Crisis: storm damage at the roastery",
            )
            .await
            .unwrap();
        assert!(
            w.store
                .create_pause(&Actor::cli(), w.org, PauseScope::Workspace, ch.0, "x")
                .await
                .is_err(),
            "a channel id is not a workspace"
        );
        w.clock.advance(hours(1));
        assert_eq!(w.drain().await.len(), 2);
        assert_eq!(w.status(v).await, VariantStatus::Paused);
        assert_eq!(
            w.status(v_other).await,
            VariantStatus::Published,
            "only that channel"
        );
        assert!(w.error(post, v).await.contains("storm damage"));
        let attention = w.store.needs_attention(w.org, None).await.unwrap();
        assert_eq!(attention.len(), 1);
        assert_eq!(attention[0].held_by, Some(HeldBy::Pause));

        assert!(
            w.store.resume_variant(&Actor::cli(), v).await.is_err(),
            "still paused"
        );
        w.store
            .lift_pause(&Actor::cli(), w.org, pause.id)
            .await
            .unwrap();
        assert!(w.store.pauses(w.org, true).await.unwrap().is_empty());
        assert!(w.drain().await.is_empty(), "lifting alone sends nothing");
        assert_eq!(w.status(v).await, VariantStatus::Paused);
        w.store.resume_variant(&Actor::cli(), v).await.unwrap();
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);

        let audit: Vec<String> = w
            .store
            .audit_events(&owlery_store::audit::AuditFilter::default(), 500)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.entry.action)
            .collect();
        assert!(audit.contains(&"publishing.pause".to_owned()), "{audit:?}");
        assert!(audit.contains(&"publishing.resume".to_owned()));
        assert!(audit.contains(&"variant.resume".to_owned()));
    }
}

#[tokio::test]
async fn an_organisation_pause_covers_every_channel_and_a_half_sent_thread() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let (_, v) = w.post(ch, Some("reply"), w.store.now()).await;
        // the first part goes, then the reply fails passingly; meanwhile a pause arrives
        w.net.on_publish(Ok(()));
        w.net.on_publish(Err(ConnectorError::Temporary {
            reason: "503".into(),
            retry_after: None,
        }));
        w.drain().await;
        w.store
            .create_pause(
                &Actor::cli(),
                w.org,
                PauseScope::Organisation,
                w.org.0,
                "Crisis",
            )
            .await
            .unwrap();
        w.clock.advance(hours(1));
        w.drain().await;
        assert_eq!(w.status(v).await, VariantStatus::Paused);
        assert_eq!(w.net.calls("publish").len(), 2, "the reply waits");
    }
}

#[tokio::test]
async fn late_posts_are_flagged_or_held_per_the_organisation() {
    for w in worlds().await {
        let ch = w.connected("northwind", None).await;
        let at = w.store.now();
        let (_, v1) = w.post(ch, None, at).await;
        // the server was down for two hours
        w.clock.advance(hours(2));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v1).await, VariantStatus::Published);
        let attention_before = w.store.needs_attention(w.org, None).await.unwrap();
        assert!(attention_before.is_empty());

        w.store
            .set_late_policy(&Actor::cli(), w.org, LatePolicy::Hold, 30)
            .await
            .unwrap();
        assert!(
            w.store
                .set_late_policy(&Actor::cli(), w.org, LatePolicy::Hold, -1)
                .await
                .is_err()
        );
        let (_, v2) = w.post(ch, None, w.store.now()).await;
        let (_, v3) = w
            .post(ch, None, w.store.now() + chrono::Duration::minutes(100))
            .await;
        w.clock.advance(hours(2));
        w.drain().await;
        assert_eq!(
            w.status(v2).await,
            VariantStatus::Paused,
            "two hours late: held"
        );
        assert_eq!(
            w.status(v3).await,
            VariantStatus::Published,
            "20 minutes late: sent"
        );
        let held = w.store.needs_attention(w.org, None).await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].held_by, Some(HeldBy::Late));
        assert_eq!(held[0].late_by_s, Some(7200));
        assert!(w.kinds(w.author).await.contains(&"publish_paused".into()));
    }
}

#[tokio::test]
async fn a_documented_quota_waits_for_the_oldest_post_to_age_out() {
    for w in worlds().await {
        // X documents 300 posts per 3 hours per account: fill it
        let ch = w.connected("northwind", None).await;
        for _ in 0..300 {
            w.post(ch, None, w.store.now()).await;
        }
        assert_eq!(w.drain().await.len(), 300);
        w.clock.advance(chrono::Duration::minutes(10));
        let (_, v) = w.post(ch, None, w.store.now()).await;
        let now = w.store.now();
        let out = w.drain().await;
        assert_eq!(
            out,
            vec![Outcome::Waiting {
                at: now + chrono::Duration::minutes(170)
            }]
        );
        assert_eq!(w.status(v).await, VariantStatus::Publishing);
        w.clock.advance(chrono::Duration::minutes(170));
        assert_eq!(w.drain().await, vec![Outcome::Completed]);
        assert_eq!(w.status(v).await, VariantStatus::Published);
    }
}
