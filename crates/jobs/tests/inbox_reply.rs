//! Sending answers from the inbox on SQLite and PostgreSQL (when `OWLERY_TEST_POSTGRES_URL` is
//! set), against a scripted network that remembers what it created: an answer stored before a
//! crash is sent once by the next worker; an attempt whose outcome was lost is looked up, never
//! sent twice; failures retry, fail with the reason, or disconnect the channel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use owlery_domain::{
    ChannelId, MessageId, UserId,
    audit::Actor,
    inbox::{AroundTheClock, Author, ConversationStatus, Delivery, InboundMessage, MessageKind},
    org::Network,
    user::DisplayName,
};
use owlery_jobs::{JobError, JobHandler, inbox_reply::Replier};
use owlery_networks::{
    AccountInfo, Connector, ConnectorError, Connectors, Credentials, Lookup, Network as Net,
    PublishRequest, Published, RemoteRef, budget::BudgetBook, inbox::ReplyRequest,
};
use owlery_store::{
    Store,
    inbox::{InboxScope, Incoming},
    inbox_replies::{NewReply, REPLY_JOB},
    org::{ChannelCredential, channel_credential_purpose},
    testing::{self, TestDb},
    vault::Vault,
};
use owlery_triage::Classifier;

/// A network that answers scripted results (default: success) and keeps what it created by key.
#[derive(Default)]
struct Net0 {
    script: Mutex<VecDeque<Result<(), ConnectorError>>>,
    /// What exists on the network, by idempotency key.
    created: Mutex<HashMap<String, Published>>,
    sent: Mutex<Vec<ReplyRequest>>,
    lookups: Mutex<usize>,
    /// What was liked, and which answers were deleted (id, root), on the network.
    liked: Mutex<Vec<String>>,
    deleted: Mutex<Vec<(String, Option<String>)>>,
}

impl Net0 {
    fn then(&self, r: Result<(), ConnectorError>) {
        self.script.lock().unwrap().push_back(r);
    }
    fn sent(&self) -> Vec<ReplyRequest> {
        self.sent.lock().unwrap().clone()
    }
    fn published(key: &str) -> Published {
        Published {
            remote: RemoteRef {
                id: format!("status-{key}"),
                cid: None,
                root: None,
            },
            url: format!("https://m.example/@brand/{key}"),
        }
    }
}

impl Connector for Net0 {
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
    fn can_reply(&self, _: MessageKind) -> bool {
        true
    }
    fn can_like(&self, _: MessageKind) -> owlery_networks::inbox::Ability {
        owlery_networks::inbox::Ability::Allowed
    }
    async fn like(&self, _: &Credentials, remote_id: &str) -> Result<(), ConnectorError> {
        self.liked.lock().unwrap().push(remote_id.to_owned());
        Ok(())
    }
    async fn delete_reply(
        &self,
        _: &Credentials,
        remote: &RemoteRef,
    ) -> Result<(), ConnectorError> {
        self.deleted.lock().unwrap().push((
            remote.id.clone(),
            remote.root.as_ref().map(|r| r.id.clone()),
        ));
        Ok(())
    }
    async fn reply(
        &self,
        creds: &Credentials,
        req: &ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&creds.secret),
            "token-1"
        );
        self.sent.lock().unwrap().push(req.clone());
        let scripted = self.script.lock().unwrap().pop_front().unwrap_or(Ok(()));
        match scripted {
            Ok(()) => {
                let p = Net0::published(&req.idempotency_key);
                self.created
                    .lock()
                    .unwrap()
                    .insert(req.idempotency_key.clone(), p.clone());
                Ok(p)
            }
            Err(ConnectorError::Unknown { reason }) => {
                // It arrived, but the answer was lost on the way back.
                self.created.lock().unwrap().insert(
                    req.idempotency_key.clone(),
                    Net0::published(&req.idempotency_key),
                );
                Err(ConnectorError::Unknown { reason })
            }
            Err(e) => Err(e),
        }
    }
    async fn lookup_reply(
        &self,
        _: &Credentials,
        req: &ReplyRequest,
        _: std::time::SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        *self.lookups.lock().unwrap() += 1;
        Ok(
            match self.created.lock().unwrap().get(&req.idempotency_key) {
                Some(p) => Lookup::Found(p.clone()),
                None => Lookup::Absent,
            },
        )
    }
}

struct World {
    _db: TestDb,
    store: Store,
    net: Arc<Net0>,
    replier: Replier,
    connectors: Arc<Connectors>,
    vault: Arc<Vault>,
    org: owlery_domain::OrgId,
    author: UserId,
    channel: ChannelId,
}

async fn worlds() -> Vec<World> {
    let mut out = Vec::new();
    for db in testing::all_backends().await.unwrap() {
        let store = db.store.clone();
        let actor = Actor::cli();
        let org = store.ensure_organisation(&actor, "Acme").await.unwrap();
        let workspace = store
            .create_workspace(&actor, org.id, &DisplayName::parse("name", "Main").unwrap())
            .await
            .unwrap();
        let net = Arc::new(Net0::default());
        let vault = Arc::new(Vault::ephemeral());
        let connectors = Connectors::empty(Arc::new(BudgetBook::new())).with(net.clone());
        let channel = ChannelId::new();
        let sealed = vault
            .seal(&channel_credential_purpose(channel), b"token-1")
            .unwrap();
        store
            .create_connected_channel(
                &actor,
                workspace.id,
                Network::Mastodon,
                &DisplayName::parse("name", "brand").unwrap(),
                "brand",
                channel,
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
        let author = store
            .create_user(
                &actor,
                org.id,
                owlery_store::users::NewUser {
                    email: owlery_domain::user::Email::parse("agent@example.test").unwrap(),
                    name: DisplayName::parse("name", "Agent").unwrap(),
                    password_hash: Some("$argon2id$dummy".into()),
                    language: "en".into(),
                    time_zone: "UTC".into(),
                },
                &[owlery_domain::Grant {
                    role: owlery_domain::Role::CommunityAgent,
                    scope: owlery_domain::Scope::Organisation,
                }],
            )
            .await
            .unwrap()
            .id;
        let connectors = Arc::new(connectors);
        let replier = Replier::new(store.clone(), connectors.clone(), Some(vault.clone()));
        out.push(World {
            _db: db,
            store,
            net,
            replier,
            connectors,
            vault,
            org: org.id,
            author,
            channel,
        });
    }
    out
}

impl World {
    /// An inbound comment (waiting for an answer) and an answer to it, stored with its job.
    async fn answer(&self, text: &str, close: bool) -> (owlery_domain::ConversationId, MessageId) {
        let m = InboundMessage {
            channel: self.channel,
            remote_id: "109".into(),
            kind: MessageKind::Comment,
            author: Author {
                remote_id: "7".into(),
                handle: "ana@m.example".into(),
                name: "Ana".into(),
                followers: None,
            },
            text: "Where is my order?".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap(),
            conversation_remote_id: Some("100".into()),
            in_reply_to_remote_id: Some("100".into()),
            media: vec![],
            url: None,
        };
        let triage = owlery_triage::inbox::classification(
            &owlery_triage::BuiltIn::new().unwrap().classify(&m.text),
        );
        self.store
            .ingest(
                &[Incoming { message: m, triage }],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let c = self
            .store
            .list_conversations(self.org, &InboxScope::All, &Default::default(), None, 10)
            .await
            .unwrap()
            .items
            .remove(0);
        let id = self
            .store
            .create_reply(
                &Actor::cli(),
                self.author,
                &c,
                &NewReply {
                    text,
                    close,
                    client_key: text,
                    needs_approval: false,
                },
            )
            .await
            .unwrap()
            .message
            .id;
        (c.id, id)
    }

    /// Claim the next reply job and run it as the worker does.
    async fn work(&self) -> Option<Result<(), JobError>> {
        let job = self
            .store
            .claim_job("w1", &[REPLY_JOB], chrono::Duration::minutes(5))
            .await
            .unwrap()?;
        let r = self.replier.run(&job).await;
        if r.is_ok() {
            self.store.complete_job(job.id).await.unwrap();
        }
        Some(r)
    }
}

#[tokio::test]
async fn a_stored_answer_survives_a_crash_and_is_sent_once_threaded_under_the_message() {
    for w in worlds().await {
        let (conv, id) = w.answer("It ships today, Ana.", true).await;
        // The process stops here: the answer and its job are stored, nothing was sent. A new
        // worker picks it up.
        assert!(w.net.sent().is_empty());
        let r = w.work().await.unwrap();
        assert!(r.is_ok(), "{r:?}");
        let sent = w.net.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].target.message_id, "109");
        assert_eq!(sent[0].target.root_id.as_deref(), Some("100"));
        // What the answered message itself answers (here the post): TikTok answers a reply
        // under it.
        assert_eq!(sent[0].target.parent_id.as_deref(), Some("100"));
        assert_eq!(sent[0].target.contact_handle, "ana@m.example");
        assert_eq!(sent[0].idempotency_key, format!("reply:{}", id.0));
        let m = w.store.inbox_message(id).await.unwrap();
        assert_eq!(m.delivery, Some(Delivery::Sent));
        assert_eq!(m.remote_id, format!("status-reply:{}", id.0));
        assert!(m.url.unwrap().starts_with("https://m.example/"));
        let c = w
            .store
            .conversation_summary(w.org, &InboxScope::All, conv)
            .await
            .unwrap();
        assert!(c.first_responded_at.is_some());
        assert_eq!(c.next_response_due, None);
        assert_eq!(c.unanswered_count, 0);
        assert_eq!(c.status, ConversationStatus::Closed);
        // The job again (a lease that ran out): nothing more is sent.
        w.replier.send(id, false).await.unwrap();
        assert_eq!(w.net.sent().len(), 1);
        assert!(w.work().await.is_none());
    }
}

#[tokio::test]
async fn an_attempt_whose_outcome_was_lost_is_looked_up_not_repeated() {
    for w in worlds().await {
        // The network took it but the answer was lost (a timeout): retried, and the retry finds
        // it instead of sending again.
        let (conv, id) = w.answer("On its way!", false).await;
        w.net.then(Err(ConnectorError::Unknown {
            reason: "timed out after sending".into(),
        }));
        assert!(matches!(
            w.replier.send(id, false).await,
            Err(JobError::Retry(_))
        ));
        assert_eq!(
            w.store.inbox_message(id).await.unwrap().delivery,
            Some(Delivery::Sending)
        );
        w.replier.send(id, false).await.unwrap();
        assert_eq!(w.net.sent().len(), 1, "never sent twice");
        assert_eq!(*w.net.lookups.lock().unwrap(), 1);
        let m = w.store.inbox_message(id).await.unwrap();
        assert_eq!(m.delivery, Some(Delivery::Sent));
        let c = w
            .store
            .conversation_summary(w.org, &InboxScope::All, conv)
            .await
            .unwrap();
        assert_eq!(c.status, ConversationStatus::Pending);

        // The worker died after committing its attempt, before calling: the lookup finds nothing
        // and it is sent — once.
        let (_, second) = w.answer("Anything else?", false).await;
        assert!(w.store.mark_reply_sending(second).await.unwrap());
        w.replier.send(second, false).await.unwrap();
        assert_eq!(w.net.sent().len(), 2);
        assert_eq!(*w.net.lookups.lock().unwrap(), 2);
        assert_eq!(
            w.store.inbox_message(second).await.unwrap().delivery,
            Some(Delivery::Sent)
        );
    }
}

#[tokio::test]
async fn failures_retry_fail_with_the_reason_or_disconnect_the_channel() {
    for w in worlds().await {
        let (_, id) = w.answer("Hello", false).await;
        w.net.then(Err(ConnectorError::Temporary {
            reason: "503".into(),
            retry_after: None,
        }));
        assert!(matches!(
            w.replier.send(id, false).await,
            Err(JobError::Retry(_))
        ));
        assert_eq!(
            w.store.inbox_message(id).await.unwrap().delivery,
            Some(Delivery::Queued)
        );
        w.net.then(Err(ConnectorError::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(90)),
        }));
        let r = w.replier.send(id, false).await;
        assert!(matches!(r, Err(JobError::Wait { .. })), "{r:?}");
        w.net.then(Err(ConnectorError::Permanent {
            reason: "the status is too long".into(),
        }));
        w.replier.send(id, false).await.unwrap();
        let m = w.store.inbox_message(id).await.unwrap();
        assert_eq!(m.delivery, Some(Delivery::Failed));
        assert!(m.delivery_error.unwrap().contains("too long"));
        let notes = w.store.notifications(w.author, 10).await.unwrap();
        assert!(
            notes.iter().any(|n| n.kind == "inbox_reply_failed"),
            "{notes:?}"
        );

        // Sent again by a person, the network now refuses the grant: the channel needs
        // reconnecting and the answer says so.
        w.store
            .retry_reply(&Actor::cli(), m.conversation_id, id)
            .await
            .unwrap();
        w.net.then(Err(ConnectorError::Auth {
            reason: "The access token was revoked".into(),
        }));
        assert!(w.work().await.unwrap().is_ok());
        let m = w.store.inbox_message(id).await.unwrap();
        assert_eq!(m.delivery, Some(Delivery::Failed));
        assert!(m.delivery_error.unwrap().contains("Reconnect"));
        let ch = w.store.channel(w.channel).await.unwrap();
        assert_eq!(ch.status.code(), "needs_reconnect");
        // The outcome unknown at the last attempt: failed for a person to check, not resent.
        let (_, last) = w.answer("Last", false).await;
        w.net.then(Err(ConnectorError::Unknown {
            reason: "reset".into(),
        }));
        // (the channel is disconnected now, so this one fails at once, before any call)
        w.replier.send(last, true).await.unwrap();
        assert_eq!(
            w.store.inbox_message(last).await.unwrap().delivery,
            Some(Delivery::Failed)
        );
    }
}

/// Liking someone's comment and deleting our sent answer on the network: the jobs call the
/// connector once, record the outcome, and a repeat calls nothing; what the network cannot do is
/// recorded with its reason and never called.
#[tokio::test]
async fn likes_and_deletes_go_through_their_jobs_once() {
    use owlery_jobs::inbox_actions::MessageActor;
    use owlery_store::inbox_actions::{DELETE_JOB, LIKE_JOB, MessageAction};
    for w in worlds().await {
        let (conv, answer) = w.answer("Thanks Ana!", false).await;
        assert!(w.work().await.unwrap().is_ok());
        let inbound = w
            .store
            .conversation(w.org, &InboxScope::All, conv)
            .await
            .unwrap()
            .messages
            .iter()
            .find(|m| m.direction == owlery_domain::inbox::Direction::Inbound)
            .unwrap()
            .id;
        let actor = |action| {
            MessageActor::new(
                action,
                w.store.clone(),
                w.connectors.clone(),
                Some(w.vault.clone()),
            )
        };
        let run = |kind: &'static str, handler: MessageActor| {
            let store = w.store.clone();
            async move {
                let job = store
                    .claim_job("w1", &[kind], chrono::Duration::minutes(5))
                    .await
                    .unwrap()
                    .expect("a job");
                let r = handler.run(&job).await;
                assert!(r.is_ok(), "{r:?}");
                store.complete_job(job.id).await.unwrap();
                job
            }
        };

        // Like the contact's comment.
        let m = w
            .store
            .request_message_action(&Actor::cli(), conv, inbound, MessageAction::Like)
            .await
            .unwrap();
        assert!(m.like_requested_at.is_some());
        let job = run(LIKE_JOB, actor(MessageAction::Like)).await;
        assert_eq!(*w.net.liked.lock().unwrap(), vec!["109".to_owned()]);
        let m = w.store.inbox_message(inbound).await.unwrap();
        assert!(m.liked_at.is_some());
        // The job again (a lease that ran out), or asking again: nothing more.
        actor(MessageAction::Like).run(&job).await.unwrap();
        w.store
            .request_message_action(&Actor::cli(), conv, inbound, MessageAction::Like)
            .await
            .unwrap();
        assert!(
            w.store
                .claim_job("w1", &[LIKE_JOB], chrono::Duration::minutes(5))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(w.net.liked.lock().unwrap().len(), 1);

        // Delete our own sent answer: threaded under the post it answered.
        w.store
            .request_message_action(&Actor::cli(), conv, answer, MessageAction::Delete)
            .await
            .unwrap();
        run(DELETE_JOB, actor(MessageAction::Delete)).await;
        assert_eq!(
            *w.net.deleted.lock().unwrap(),
            vec![(format!("status-reply:{}", answer.0), Some("100".to_owned()))]
        );
        let m = w.store.inbox_message(answer).await.unwrap();
        assert!(m.deleted_at.is_some());

        // Someone else's comment: this network cannot delete it — said, never called.
        w.store
            .request_message_action(&Actor::cli(), conv, inbound, MessageAction::Delete)
            .await
            .unwrap();
        run(DELETE_JOB, actor(MessageAction::Delete)).await;
        let m = w.store.inbox_message(inbound).await.unwrap();
        assert!(m.deleted_at.is_none());
        assert!(
            m.action_error
                .as_deref()
                .unwrap_or("")
                .contains("only its author"),
            "{:?}",
            m.action_error
        );
        assert_eq!(w.net.deleted.lock().unwrap().len(), 1);
    }
}
