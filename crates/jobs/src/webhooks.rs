//! Processing webhook deliveries: claim a batch of accepted deliveries (kept by the receivers in
//! `owlery-web`, durable before they answered 200), parse each per network
//! (`owlery_networks::webhook::events`), find the channel of each entry's account, read what a
//! network announced by ids only through the channel's connector (Instagram mentions), classify,
//! ingest the batch in one call to `Store::ingest`, mark deleted messages, and mark the deliveries
//! done.
//!
//! Reading an announced message is a network call made before the ingest, outside any database
//! transaction. When it fails the delivery is not done: a temporary failure (the network down, a
//! rate limit) retries the delivery later, a permanent one (the post deleted, a refused grant)
//! keeps it as failed with the reason. Either way the rest of the delivery is ingested, and a
//! repeat adds nothing.
//!
//! Crash-safe by order: a delivery is marked done only after what it carried is ingested; a worker
//! that dies in between leaves a lease that runs out, and the batch is processed again — which adds
//! nothing, since ingest dedupes on (channel, remote id). A delivery that does not parse is kept
//! as `failed` with the reason (poison: never retried); one whose processing failed on our side
//! (the database) is tried again later, at most [`MAX_ATTEMPTS`] times. Entries for accounts that
//! are not channels of the organisation are dropped and counted (see `owlery_web::webhooks` for
//! why they are accepted rather than refused).

use std::{collections::HashSet, sync::Arc, time::Duration};

use owlery_domain::{
    ChannelId,
    inbox::{AroundTheClock, InboundMessage, ResponsePolicy},
};
use owlery_networks::{
    ConnectorError, Connectors,
    inbox::InboxItem,
    webhook::events::{self, Change, Family, Unresolved},
};
use owlery_store::{
    Store,
    inbox::{Incoming, Outcome},
    vault::Vault,
    webhooks::{Delivery, DeliveryEnd},
};
use owlery_triage::Classifier;
use uuid::Uuid;

use crate::{Shutdown, channel_access::ChannelAccess, worker::sleep_or_shutdown};

/// How long a claimed batch may take before another worker may take it, by default.
const LEASE: Duration = Duration::from_secs(2 * 60);
/// Deliveries claimed at once (one ingest transaction).
pub const BATCH: i64 = 200;
/// After this many attempts that failed on our side, a delivery is kept as failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long processed deliveries are kept: the replay window (Meta retries for 36 hours,
/// LinkedIn for 8; a week covers them with room).
pub const RETENTION: chrono::Duration = chrono::Duration::days(7);
/// How often to look for deliveries when none are waiting.
pub const IDLE: Duration = Duration::from_millis(200);

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub deliveries: usize,
    pub ingested: usize,
    pub dropped: usize,
    pub deleted: u64,
    pub poison: usize,
    /// Deliveries left to be tried again (an announced message could not be read yet).
    pub retried: usize,
}

/// Processes webhook deliveries.
pub struct Processor {
    pub store: Store,
    pub classifier: Arc<dyn Classifier>,
    pub policy: Arc<dyn ResponsePolicy>,
    /// This worker's name in leases.
    pub name: String,
    /// How long a claimed batch may take before another worker may take it.
    pub lease: Duration,
    /// The connectors and the vault, to read what networks announce by ids only (Instagram
    /// mentions); without them such deliveries are retried, then kept as failed.
    pub connectors: Option<Arc<Connectors>>,
    pub vault: Option<Arc<Vault>>,
}

/// Why an announced message could not be read.
struct Unread {
    reason: String,
    /// Worth trying again later (the network or our side failed for now).
    retry: bool,
    retry_after: Option<Duration>,
}

impl Processor {
    pub fn new(store: Store, classifier: Arc<dyn Classifier>) -> Processor {
        Processor {
            store,
            classifier,
            policy: Arc::new(AroundTheClock::default()),
            name: format!("webhooks-{}", Uuid::now_v7().simple()),
            lease: LEASE,
            connectors: None,
            vault: None,
        }
    }

    /// The same, able to read what networks announce by ids only through the channels'
    /// connections.
    pub fn with_network(
        mut self,
        connectors: Arc<Connectors>,
        vault: Option<Arc<Vault>>,
    ) -> Processor {
        self.connectors = Some(connectors);
        self.vault = vault;
        self
    }

    /// The same with another lease (`OWLERY_JOB_LEASE_SECS`: the worker's job lease).
    pub fn with_lease(mut self, lease: Duration) -> Processor {
        self.lease = lease;
        self
    }

    /// Claim and process one batch. `deliveries == 0`: nothing was waiting.
    pub async fn run_once(&self) -> anyhow::Result<Round> {
        let lease = chrono::Duration::from_std(self.lease)?;
        let batch = self
            .store
            .claim_webhook_deliveries(&self.name, lease, BATCH)
            .await?;
        if batch.is_empty() {
            return Ok(Round::default());
        }
        match self.process(&batch).await {
            Ok((round, ends)) => {
                self.store
                    .finish_webhook_deliveries(&self.name, &ends)
                    .await?;
                metrics::counter!("owlery_webhook_deliveries_processed_total")
                    .increment(batch.len() as u64);
                metrics::counter!("owlery_inbox_messages_webhook_total")
                    .increment(round.ingested as u64);
                metrics::counter!("owlery_webhook_entries_dropped_total")
                    .increment(round.dropped as u64);
                Ok(round)
            }
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(
                    error,
                    deliveries = batch.len(),
                    "processing webhook deliveries failed; trying again later"
                );
                let now = self.store.now();
                let ends: Vec<(Uuid, DeliveryEnd)> = batch
                    .iter()
                    .map(|d| {
                        let end = if d.attempts >= MAX_ATTEMPTS {
                            DeliveryEnd::Poison {
                                error: format!("gave up after {} attempts: {error}", d.attempts),
                            }
                        } else {
                            DeliveryEnd::Retry {
                                error: error.clone(),
                                retry_at: now + chrono::Duration::seconds(15 * d.attempts.max(1)),
                            }
                        };
                        (d.id, end)
                    })
                    .collect();
                self.store
                    .finish_webhook_deliveries(&self.name, &ends)
                    .await?;
                Ok(Round {
                    deliveries: batch.len(),
                    ..Round::default()
                })
            }
        }
    }

    async fn process(
        &self,
        batch: &[Delivery],
    ) -> anyhow::Result<(Round, Vec<(Uuid, DeliveryEnd)>)> {
        let mut round = Round {
            deliveries: batch.len(),
            ..Round::default()
        };
        let mut ends: Vec<(Uuid, DeliveryEnd)> = Vec::with_capacity(batch.len());
        // Parse every delivery; the poison ones end here.
        let mut parsed: Vec<(&Delivery, events::Parsed)> = Vec::new();
        for d in batch {
            let Some(family) = Family::of(d.network) else {
                ends.push((
                    d.id,
                    DeliveryEnd::Poison {
                        error: format!("{} does not send webhooks", d.network.code()),
                    },
                ));
                round.poison += 1;
                continue;
            };
            match events::parse(family, &d.body, d.received_at) {
                Ok(p) => parsed.push((d, p)),
                Err(e) => {
                    tracing::warn!(delivery.id = %d.id, network = d.network.code(), error = %e, "a webhook delivery cannot be read; kept as failed");
                    ends.push((d.id, DeliveryEnd::Poison { error: e.0 }));
                    round.poison += 1;
                }
            }
        }
        // Channels of the accounts named, per organisation.
        let mut orgs: Vec<owlery_domain::OrgId> = parsed.iter().map(|(d, _)| d.org_id).collect();
        orgs.sort_by_key(|o| o.0);
        orgs.dedup();
        let mut channels = std::collections::HashMap::new();
        for org in orgs {
            let accounts: Vec<_> = parsed
                .iter()
                .filter(|(d, _)| d.org_id == org)
                .flat_map(|(_, p)| p.events.iter().map(|e| (e.network, e.account.clone())))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            for (k, v) in self.store.webhook_channels(org, &accounts).await? {
                channels.insert((org, k), v);
            }
        }
        // Messages (one ingest for the batch) and deletions; per delivery, which messages are its.
        let mut incoming: Vec<Incoming> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        let mut deletions = Vec::new();
        let mut dropped = vec![0i64; parsed.len()];
        let mut unread: Vec<Option<Unread>> = parsed.iter().map(|_| None).collect();
        for (i, (d, p)) in parsed.iter().enumerate() {
            for e in &p.events {
                let Some(channel) = channels.get(&(d.org_id, (e.network, e.account.clone())))
                else {
                    dropped[i] += 1;
                    continue;
                };
                let resolved;
                let change = match &e.change {
                    Change::Unresolved(what) => match self.resolve(*channel, e.network, what).await
                    {
                        Ok(item) => {
                            resolved = Change::Message(Box::new(item));
                            &resolved
                        }
                        Err(why) => {
                            tracing::info!(delivery.id = %d.id, channel.id = %channel, reason = %why.reason, "an announced message could not be read");
                            unread[i] = Some(why);
                            continue;
                        }
                    },
                    other => other,
                };
                match change {
                    Change::Message(item) => {
                        let triage = owlery_triage::inbox::classification(
                            &self.classifier.classify(&item.text),
                        );
                        incoming.push(Incoming {
                            message: InboundMessage {
                                channel: *channel,
                                remote_id: item.remote_id.clone(),
                                kind: item.kind,
                                author: item.author.clone(),
                                text: item.text.clone(),
                                created_at: item.created_at,
                                conversation_remote_id: item.conversation_remote_id.clone(),
                                in_reply_to_remote_id: item.in_reply_to_remote_id.clone(),
                                media: item.media.clone(),
                                url: item.url.clone(),
                            },
                            triage,
                        });
                        owner.push(i);
                    }
                    Change::Deleted { remote_id } => {
                        deletions.push((*channel, remote_id.clone()));
                    }
                    Change::Unresolved(_) => {}
                }
            }
        }
        let report = self.store.ingest(&incoming, &*self.policy).await?;
        let mut new = vec![0i64; parsed.len()];
        for (k, outcome) in report.outcomes.iter().enumerate() {
            if *outcome == Outcome::Imported
                && let Some(&i) = owner.get(k)
            {
                new[i] += 1;
            }
        }
        if !deletions.is_empty() {
            round.deleted = self
                .store
                .mark_inbox_messages_deleted(&deletions, self.store.now())
                .await?;
        }
        let now = self.store.now();
        for (i, (d, _)) in parsed.iter().enumerate() {
            round.ingested += new[i] as usize;
            round.dropped += dropped[i] as usize;
            let end = match unread[i].take() {
                None => DeliveryEnd::Done {
                    ingested: new[i],
                    dropped: dropped[i],
                },
                Some(why) if why.retry && d.attempts < MAX_ATTEMPTS => {
                    round.retried += 1;
                    let wait = why
                        .retry_after
                        .and_then(|w| chrono::Duration::from_std(w).ok())
                        .unwrap_or_else(|| chrono::Duration::seconds(15 * d.attempts.max(1)));
                    DeliveryEnd::Retry {
                        error: why.reason,
                        retry_at: now + wait,
                    }
                }
                Some(why) => {
                    round.poison += 1;
                    DeliveryEnd::Poison {
                        error: if why.retry {
                            format!("gave up after {} attempts: {}", d.attempts, why.reason)
                        } else {
                            why.reason
                        },
                    }
                }
            };
            ends.push((d.id, end));
        }
        Ok((round, ends))
    }

    /// Reads an announced message through the channel's connector (a network call; no database
    /// transaction is open).
    async fn resolve(
        &self,
        channel: ChannelId,
        network: owlery_domain::org::Network,
        what: &Unresolved,
    ) -> Result<InboxItem, Unread> {
        let retry = |reason: String| Unread {
            reason,
            retry: true,
            retry_after: None,
        };
        let fail = |reason: String| Unread {
            reason,
            retry: false,
            retry_after: None,
        };
        let connector = self
            .connectors
            .as_ref()
            .and_then(|c| c.get(network))
            .ok_or_else(|| {
                retry(format!(
                    "this worker cannot reach {} to read what its webhook announced",
                    network.label()
                ))
            })?;
        let access = ChannelAccess {
            store: &self.store,
            vault: self.vault.as_deref(),
        };
        let handle = self
            .store
            .channel(channel)
            .await
            .map_err(|e| retry(format!("reading the channel failed: {e}")))?
            .handle;
        let creds = match access.ready(&*connector, channel, &handle, network).await {
            Ok(Ok(c)) => c,
            Ok(Err(reason)) => return Err(fail(reason)),
            Err(e) => return Err(retry(format!("{e}"))),
        };
        connector
            .resolve_pushed(&creds, what)
            .await
            .map_err(|e| match &e {
                ConnectorError::RateLimited { retry_after }
                | ConnectorError::Temporary { retry_after, .. } => Unread {
                    reason: e.to_string(),
                    retry: true,
                    retry_after: *retry_after,
                },
                // A read changes nothing on the network: trying it again is safe.
                ConnectorError::Unknown { .. } => retry(e.to_string()),
                _ => fail(e.to_string()),
            })
    }

    /// Process deliveries until shutdown: at once while there are some, every [`IDLE`] otherwise.
    pub async fn run(self, mut shutdown: Shutdown) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let wait = match self.run_once().await {
                Ok(r) if r.deliveries > 0 => {
                    if r.ingested > 0 {
                        tracing::debug!(
                            deliveries = r.deliveries,
                            ingested = r.ingested,
                            dropped = r.dropped,
                            "webhook deliveries processed"
                        );
                    }
                    continue;
                }
                Ok(_) => IDLE,
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "webhook processing failed; trying again"
                    );
                    Duration::from_secs(2)
                }
            };
            if sleep_or_shutdown(wait, &mut shutdown).await {
                return;
            }
        }
    }
}

/// Delete processed deliveries older than [`RETENTION`]. Returns how many went.
pub async fn prune(store: &Store) -> anyhow::Result<u64> {
    Ok(store
        .prune_webhook_deliveries(store.now() - RETENTION)
        .await?)
}
