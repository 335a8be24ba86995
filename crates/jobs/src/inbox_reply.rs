//! Sending an answer from the inbox (`inbox.reply` jobs): the answer was stored first (see
//! `owlery_store::inbox_replies`); this sends it through the channel's connector, exactly once in
//! practice, with the publishing engine's discipline:
//!
//! 1. An answer already sent, failed or rejected is left alone (a repeated job does nothing).
//! 2. An answer found `sending` was tried before and its outcome is unknown (the worker died, the
//!    network timed out): the connector looks it up first. Found → recorded; absent → sent; the
//!    network cannot tell → failed with that reason, for a person to check and retry — never sent
//!    blindly.
//! 3. Otherwise `sending` is committed, the connector is called with the answer's key (Owlery's
//!    message id: Bluesky's record key, Mastodon's `Idempotency-Key`), and the result recorded.
//!
//! Each state it records (`sending`, back to `queued`, `sent`, `failed`) is announced to open
//! inbox pages by the store, in the same transaction (`owlery_store::live`), so a conversation
//! open anywhere shows the answer go out without a reload — from this process or another.
//!
//! Rate limits wait without using an attempt; passing errors retry with backoff; refusals fail
//! with the network's reason (told to the author); a refused grant marks the channel "needs
//! reconnecting" (its owners are told) and fails the answer saying so.

use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use owlery_domain::{MessageId, org::Network};
use owlery_networks::{
    ConnectorError, Connectors, Lookup, Published,
    inbox::{ReplyRequest, ReplyTarget},
};
use owlery_store::{
    Store,
    inbox_replies::{REPLY_JOB, ReplyDispatch},
    jobs::Job,
    vault::Vault,
};

use crate::{
    channel_access::{ChannelAccess, Renewal, Unusable},
    engine::{AfterError, after_error},
    worker::{BoxFuture, JobError, JobHandler},
};

/// The `inbox.reply` handler.
pub struct Replier {
    store: Store,
    connectors: Arc<Connectors>,
    vault: Option<Arc<Vault>>,
}

impl std::fmt::Debug for Replier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replier").finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct Payload {
    message_id: uuid::Uuid,
}

/// The request a dispatch becomes (its key is the message id: stable across attempts).
pub fn request(d: &ReplyDispatch) -> Option<ReplyRequest> {
    Some(ReplyRequest {
        idempotency_key: format!("reply:{}", d.message_id.0),
        target: ReplyTarget {
            kind: d.kind,
            message_id: d.answers.clone()?,
            parent_id: d.answers_parent.clone(),
            root_id: d.root_id.clone(),
            thread_id: d.thread_id.clone(),
            contact_id: d.contact_remote_id.clone(),
            contact_handle: d.contact_handle.clone(),
        },
        text: d.text.clone(),
    })
}

impl Replier {
    pub fn new(store: Store, connectors: Arc<Connectors>, vault: Option<Arc<Vault>>) -> Replier {
        Replier {
            store,
            connectors,
            vault,
        }
    }

    /// Send the answer `id` (what a job does; tests call it directly).
    pub async fn send(&self, id: MessageId, last_attempt: bool) -> Result<(), JobError> {
        let Some(d) = self
            .store
            .reply_dispatch(id)
            .await
            .map_err(JobError::retry)?
        else {
            return Err(JobError::permanent(anyhow::anyhow!(
                "message {id} is not an answer"
            )));
        };
        use owlery_domain::inbox::Delivery as D;
        if !matches!(d.delivery, D::Queued | D::Sending) {
            tracing::debug!(message.id = %id, delivery = d.delivery.code(), "answer already settled");
            return Ok(());
        }
        if d.simulated {
            // A practice channel: the answer stays on this server, under an id derived from the
            // message (a repeat records the same).
            if self
                .store
                .mark_reply_sending(id)
                .await
                .map_err(JobError::retry)?
            {
                self.store
                    .record_reply_sent(id, &format!("sandbox:reply:{}", id.0), None)
                    .await
                    .map_err(JobError::retry)?;
            }
            return Ok(());
        }
        let Some(network) = Network::parse(&d.network) else {
            return self
                .fail(&d, "The channel's network is unknown to this Owlery.")
                .await;
        };
        let Some(req) = request(&d) else {
            return self
                .fail(
                    &d,
                    "There is no message from the contact in this conversation to answer.",
                )
                .await;
        };
        let Some(connector) = self.connectors.get(network) else {
            return self
                .fail(
                    &d,
                    &format!("This Owlery has no connection to {} yet.", network.label()),
                )
                .await;
        };
        if !d.channel_connected {
            return self
                .fail(
                    &d,
                    "The channel is not connected (it needs reconnecting): reconnect it, then send the answer again.",
                )
                .await;
        }
        let access = ChannelAccess {
            store: &self.store,
            vault: self.vault.as_deref(),
        };
        let mut creds = match access.open(d.channel_id, &d.handle).await? {
            Ok(c) => c,
            Err(Unusable::NotConnected) => {
                return self
                    .fail(&d, "The channel has no connection to its account. Connect it, then send the answer again.")
                    .await;
            }
            Err(Unusable::CannotOpen) => {
                return self
                    .fail(&d, "The channel's stored secret cannot be opened with this server's key. Reconnect the channel.")
                    .await;
            }
        };
        if !connector.can_reply_as(creds.auth, d.kind) {
            let reason = owlery_networks::inbox::cannot_reply(network, d.kind);
            return self.fail(&d, &reason.to_string()).await;
        }
        if let Renewal::DeadGrant(reason) = access
            .renew_if_due(&*connector, d.channel_id, network, &mut creds)
            .await?
        {
            return self.reconnect(&d, &reason).await;
        }

        // An earlier attempt has no recorded outcome: look before sending again.
        if d.delivery == D::Sending {
            let since: SystemTime = d
                .attempted_at
                .map(|t| t - chrono::Duration::minutes(5))
                .unwrap_or_else(|| self.store.now() - chrono::Duration::hours(1))
                .into();
            match connector.lookup_reply(&creds, &req, since).await {
                Ok(Lookup::Found(p)) => {
                    tracing::info!(message.id = %id, remote.id = %p.remote.id, "reconciled: the network had the answer");
                    return self.sent(&d, &p).await;
                }
                Ok(Lookup::Absent) => {
                    tracing::info!(message.id = %id, "reconciled: the network does not have the answer; sending it");
                }
                Ok(Lookup::CannotTell { reason }) => {
                    return self
                        .fail(
                            &d,
                            &format!(
                                "It is not known whether {} took this answer ({reason}). Check the conversation on {}; send it again only if it is not there.",
                                network.label(),
                                network.label()
                            ),
                        )
                        .await;
                }
                Err(ConnectorError::Auth { reason }) => return self.reconnect(&d, &reason).await,
                Err(e) if e.is_retryable() && !last_attempt => {
                    return Err(JobError::retry(
                        anyhow::Error::new(e).context("looking up an earlier attempt of an answer"),
                    ));
                }
                Err(e) => {
                    return self
                        .fail(
                            &d,
                            &format!("It is not known whether {} took this answer ({e}). Check the conversation before sending it again.", network.label()),
                        )
                        .await;
                }
            }
        }

        if !self
            .store
            .mark_reply_sending(id)
            .await
            .map_err(JobError::retry)?
        {
            return Ok(());
        }
        match connector.reply(&creds, &req).await {
            Ok(p) => self.sent(&d, &p).await,
            Err(e) => {
                let now = self.store.now();
                let decision = after_error(&e, now);
                if !matches!(decision, AfterError::Reconcile) {
                    // A refusal: nothing was created, the attempt is void.
                    self.store
                        .requeue_reply(id, &e.to_string())
                        .await
                        .map_err(JobError::retry)?;
                }
                match decision {
                    AfterError::WaitUntil(at) => Err(JobError::wait_until(at, e.to_string())),
                    AfterError::Retry if !last_attempt => Err(JobError::retry(
                        anyhow::Error::new(e).context("sending an answer"),
                    )),
                    AfterError::Retry => {
                        self.fail(
                            &d,
                            &format!("{} kept failing at every attempt ({e}). Send it again later.", network.label()),
                        )
                        .await
                    }
                    AfterError::Fail(reason) => {
                        self.fail(&d, &format!("{} refused the answer: {reason}.", network.label()))
                            .await
                    }
                    AfterError::Reconnect(reason) => self.reconnect(&d, &reason).await,
                    AfterError::Reconcile if !last_attempt => Err(JobError::retry(
                        anyhow::Error::new(e)
                            .context("the outcome of an answer is unknown; the next attempt looks it up first"),
                    )),
                    AfterError::Reconcile => {
                        self.fail(
                            &d,
                            &format!("It is not known whether {} took this answer ({e}). Check the conversation before sending it again.", network.label()),
                        )
                        .await
                    }
                }
            }
        }
    }

    async fn sent(&self, d: &ReplyDispatch, p: &Published) -> Result<(), JobError> {
        let url = Some(p.url.as_str()).filter(|u| !u.is_empty());
        let changed = self
            .store
            .record_reply_sent(d.message_id, &p.remote.id, url)
            .await
            .map_err(JobError::retry)?;
        if changed {
            metrics::counter!("owlery_inbox_replies_sent_total", "network" => d.network.clone())
                .increment(1);
            tracing::info!(message.id = %d.message_id, conversation.id = %d.conversation_id, channel.network = %d.network, remote.id = %p.remote.id, "answer sent");
        }
        Ok(())
    }

    async fn fail(&self, d: &ReplyDispatch, reason: &str) -> Result<(), JobError> {
        let changed = self
            .store
            .record_reply_failed(d.message_id, reason)
            .await
            .map_err(JobError::retry)?;
        if changed {
            metrics::counter!("owlery_inbox_replies_failed_total", "network" => d.network.clone())
                .increment(1);
            tracing::warn!(message.id = %d.message_id, channel.network = %d.network, error = reason, "answer not sent; its author was told");
        }
        Ok(())
    }

    async fn reconnect(&self, d: &ReplyDispatch, reason: &str) -> Result<(), JobError> {
        self.store
            .mark_channel_needs_reconnect(d.channel_id, reason)
            .await
            .map_err(JobError::retry)?;
        self.fail(
            d,
            &format!("The network no longer accepts the channel's connection ({reason}). Reconnect the channel, then send the answer again."),
        )
        .await
    }
}

impl JobHandler for Replier {
    fn kind(&self) -> &'static str {
        REPLY_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let p: Payload = serde_json::from_value(job.payload.clone())
                .context("the job's payload is not an answer")
                .map_err(JobError::Permanent)?;
            self.send(MessageId(p.message_id), job.attempts >= job.max_attempts)
                .await
        })
    }
}
