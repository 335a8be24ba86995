//! Polling the inbox of connected channels on networks that do not push (Bluesky, Mastodon,
//! YouTube comments, TikTok comments of business accounts):
//! claim a due channel, read the network after the stored cursor, classify and ingest what
//! arrived, then store the new cursor and the next due time.
//!
//! The order is what makes it safe: the cursor is stored only after the messages are ingested, so
//! a poller that dies in between reads the same page again and the inbox's dedupe on (channel,
//! remote id) drops the repeats — nothing is read twice into the inbox, nothing is skipped. Polls
//! are claimed with a lease like jobs, so several worker processes share the channels without two
//! reading the same one at once.
//!
//! After a failure the channel is polled again with exponential backoff (up to an hour) and the
//! reason is kept for people; a refused grant marks the channel "needs reconnecting" (its owners
//! are told) and polling stops until it is reconnected.

use std::{sync::Arc, time::Duration};

use owlery_domain::inbox::{AroundTheClock, InboundMessage, ResponsePolicy};
use owlery_networks::{
    ConnectorError, Connectors,
    inbox::{InboxItem, InboxPoll},
    sandbox::traffic::{Profile, Traffic},
};
use owlery_store::{
    Store,
    inbox::Incoming,
    inbox_polls::{PollClaim, PollEnd},
    vault::Vault,
};
use owlery_triage::Classifier;

use crate::{Shutdown, channel_access::ChannelAccess, worker::sleep_or_shutdown};

/// How often a channel's inbox is read when all is well.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// How long a claimed poll may take before another poller may take the channel.
const LEASE: Duration = Duration::from_secs(5 * 60);
/// The longest wait after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// Read and ingested `new` messages (of `read` items on the network).
    Done { read: usize, new: usize, more: bool },
    /// Failed; polled again later.
    Failed(String),
    /// The grant is dead: the channel needs reconnecting.
    Disconnected(String),
}

/// Polls channels' inboxes.
pub struct Poller {
    pub store: Store,
    pub connectors: Arc<Connectors>,
    pub vault: Option<Arc<Vault>>,
    pub classifier: Arc<dyn Classifier>,
    pub policy: Arc<dyn ResponsePolicy>,
    pub interval: Duration,
    /// This poller's name in leases.
    pub name: String,
    /// Simulated channels hear from a simulated audience of this profile (the demo, drills and
    /// load tests); `None`: they are not polled by this poller.
    pub simulation: Option<Profile>,
}

/// The most simulated messages one poll takes (a long pause catches up over several polls).
const SIMULATED_PER_POLL: usize = 2_000;
/// How far back the first poll of a simulated channel starts.
const SIMULATED_FIRST_POLL: chrono::Duration = chrono::Duration::hours(1);

impl Poller {
    pub fn new(
        store: Store,
        connectors: Arc<Connectors>,
        vault: Option<Arc<Vault>>,
        classifier: Arc<dyn Classifier>,
    ) -> Poller {
        Poller {
            store,
            connectors,
            vault,
            classifier,
            policy: Arc::new(AroundTheClock::default()),
            interval: DEFAULT_INTERVAL,
            name: format!("inbox-poller-{}", uuid::Uuid::now_v7().simple()),
            simulation: None,
        }
    }

    /// Let simulated channels hear from a simulated audience (see [`Poller::simulation`]).
    pub fn with_simulation(mut self, profile: Option<Profile>) -> Poller {
        self.simulation = profile;
        self
    }

    pub fn with_interval(mut self, interval: Duration) -> Poller {
        self.interval = interval;
        self
    }

    /// Start polling channels that are not polled yet, then poll every due channel once.
    /// Returns what each poll did.
    pub async fn poll_due(&self) -> anyhow::Result<Vec<(PollClaim, Polled)>> {
        let polled: Vec<_> = self
            .connectors
            .networks()
            .into_iter()
            .filter(|n| self.connectors.get(*n).is_some_and(|c| c.polls_inbox()))
            .collect();
        self.store.ensure_inbox_polls(&polled).await?;
        if self.simulation.is_some() {
            self.store.ensure_simulated_inbox_polls().await?;
        }
        let mut done = Vec::new();
        let lease = chrono::Duration::from_std(LEASE)?;
        while let Some(claim) = self
            .store
            .claim_inbox_poll(&self.name, lease, self.simulation.is_some())
            .await?
        {
            let outcome = self.poll(&claim).await?;
            done.push((claim, outcome));
        }
        Ok(done)
    }

    /// Poll one claimed channel and finish the claim. A success finishes it where the messages
    /// are ingested (the cursor goes with them); a failure keeps the cursor and backs off.
    async fn poll(&self, claim: &PollClaim) -> anyhow::Result<Polled> {
        let outcome = match self.read_and_ingest(claim).await {
            Ok(o) => o,
            Err(e) => Polled::Failed(format!("{e:#}")),
        };
        metrics::counter!("owlery_inbox_polls_total").increment(1);
        let error = match &outcome {
            Polled::Done { .. } => return Ok(outcome),
            Polled::Failed(error) => {
                tracing::warn!(channel.id = %claim.channel_id, error, "inbox poll failed");
                error
            }
            Polled::Disconnected(reason) => {
                // Claims skip channels that are not connected: polling resumes on reconnecting.
                self.store
                    .mark_channel_needs_reconnect(claim.channel_id, reason)
                    .await?;
                reason
            }
        };
        let next_due = self.store.now() + backoff(claim.failures, self.interval);
        self.store
            .finish_inbox_poll(
                claim.channel_id,
                &self.name,
                PollEnd::Failed { error },
                next_due,
            )
            .await?;
        Ok(outcome)
    }

    async fn read_and_ingest(&self, claim: &PollClaim) -> anyhow::Result<Polled> {
        let page = if claim.simulated {
            match self.simulate(claim) {
                Ok(page) => page,
                Err(why) => return Ok(Polled::Failed(why)),
            }
        } else {
            match self.read(claim).await? {
                Ok(page) => page,
                Err(polled) => return Ok(polled),
            }
        };
        self.ingest(claim, page).await
    }

    /// What the simulated audience wrote since the cursor (a time, whole minutes).
    fn simulate(&self, claim: &PollClaim) -> Result<InboxPoll, String> {
        let Some(profile) = self.simulation else {
            return Err(
                "this worker does not simulate an audience (OWLERY_SANDBOX_TRAFFIC)".into(),
            );
        };
        let now = self.store.now();
        let from = claim
            .cursor
            .as_deref()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map_or(now - SIMULATED_FIRST_POLL, |t| {
                t.with_timezone(&chrono::Utc)
            });
        let traffic = Traffic::new(&claim.channel_id.to_string(), profile);
        let (items, next) = traffic.up_to(from, now, &[], SIMULATED_PER_POLL);
        Ok(InboxPoll {
            items,
            cursor: Some(next.to_rfc3339()),
            more: now - next >= chrono::Duration::minutes(1),
        })
    }

    /// Read the network after the claim's cursor; `Err` is how the poll ended without a page.
    async fn read(&self, claim: &PollClaim) -> anyhow::Result<Result<InboxPoll, Polled>> {
        let Some(connector) = self.connectors.get(claim.network) else {
            anyhow::bail!("this Owlery has no connection to {}", claim.network.label());
        };
        let access = ChannelAccess {
            store: &self.store,
            vault: self.vault.as_deref(),
        };
        let creds = match access
            .ready(&*connector, claim.channel_id, &claim.handle, claim.network)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            Ok(c) => c,
            Err(reason) => return Ok(Err(Polled::Disconnected(reason))),
        };
        Ok(
            match connector.poll_inbox(&creds, claim.cursor.as_deref()).await {
                Ok(page) => Ok(page),
                Err(ConnectorError::Auth { reason }) => Err(Polled::Disconnected(reason)),
                Err(e) => Err(Polled::Failed(e.to_string())),
            },
        )
    }

    /// Classify and ingest a page, then store its cursor and the next due time.
    async fn ingest(&self, claim: &PollClaim, page: InboxPoll) -> anyhow::Result<Polled> {
        let read = page.items.len();
        let incoming: Vec<Incoming> = page
            .items
            .into_iter()
            .map(|item| self.incoming(claim, item))
            .collect();
        let report = self.store.ingest(&incoming, &*self.policy).await?;
        let new = report.count(owlery_store::inbox::Outcome::Imported);
        let now = self.store.now();
        let next_due = if page.more {
            now
        } else {
            now + chrono::Duration::from_std(self.interval)?
        };
        let stored = self
            .store
            .finish_inbox_poll(
                claim.channel_id,
                &self.name,
                PollEnd::Done {
                    cursor: page.cursor.as_deref(),
                    ingested: new as i64,
                },
                next_due,
            )
            .await?;
        if !stored {
            tracing::warn!(channel.id = %claim.channel_id, "an inbox poll outlived its lease; its cursor was not stored");
        }
        if new > 0 {
            tracing::info!(channel.id = %claim.channel_id, read, new, "inbox poll");
        }
        metrics::counter!("owlery_inbox_messages_polled_total").increment(new as u64);
        Ok(Polled::Done {
            read,
            new,
            more: page.more,
        })
    }

    fn incoming(&self, claim: &PollClaim, item: InboxItem) -> Incoming {
        let triage = owlery_triage::inbox::classification(&self.classifier.classify(&item.text));
        Incoming {
            message: InboundMessage {
                channel: claim.channel_id,
                remote_id: item.remote_id,
                kind: item.kind,
                author: item.author,
                text: item.text,
                created_at: item.created_at,
                conversation_remote_id: item.conversation_remote_id,
                in_reply_to_remote_id: item.in_reply_to_remote_id,
                media: item.media,
                url: item.url,
            },
            triage,
        }
    }

    /// Poll due channels until shutdown, sleeping until the next is due (at most `interval`).
    pub async fn run(self, mut shutdown: Shutdown) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.poll_due().await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "inbox polling failed; trying again"
                );
            }
            let now = self.store.now();
            let wait = match self.store.next_inbox_poll_due().await {
                Ok(Some(due)) if due > now => (due - now)
                    .to_std()
                    .unwrap_or(self.interval)
                    .min(self.interval),
                Ok(Some(_)) => Duration::from_secs(1),
                _ => self.interval,
            };
            if sleep_or_shutdown(wait, &mut shutdown).await {
                return;
            }
        }
    }
}

/// The wait after a failure that follows `failures` others in a row: twice the interval, doubled
/// per failure, at most an hour.
fn backoff(failures: i64, interval: Duration) -> chrono::Duration {
    let factor = 2u32.saturating_pow(u32::try_from(failures.clamp(0, 16) + 1).unwrap_or(17));
    let wait = interval.saturating_mul(factor).min(MAX_BACKOFF);
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_twice_the_interval_and_doubles_up_to_an_hour() {
        let i = Duration::from_secs(60);
        assert_eq!(backoff(0, i), chrono::Duration::minutes(2));
        assert_eq!(backoff(1, i), chrono::Duration::minutes(4));
        assert_eq!(backoff(3, i), chrono::Duration::minutes(16));
        assert_eq!(backoff(10, i), chrono::Duration::hours(1));
        assert_eq!(backoff(i64::MAX, i), chrono::Duration::hours(1));
        assert_eq!(backoff(-5, i), chrono::Duration::minutes(2));
    }
}
