//! Publishing: the `publish.variant` job (one variant at its time) and the `publish.campaign` job
//! (an all-or-nothing campaign at its release time).
//!
//! The decision is the store's ([`Store::claim_for_publishing`]): in one transaction it re-checks
//! the gate, the media and the campaign rule, and commits `publishing` before anything leaves.
//! Then, for a **simulated** channel, the post goes to the in-process sandbox network with the
//! variant's id as its idempotency key, and the variant is recorded `published` with a remote id
//! and address derived from the variant's id alone — so a retry after a crash (a new process, an
//! empty sandbox) records the very same post, never a second one.
//!
//! Channels that are not simulated are real network connections, which arrive with the publishing
//! engine: until then their variants are marked `failed` at their time, with a message saying so,
//! and their authors are told. Failing visibly beats staying `scheduled` in silence: the person sees
//! that nothing went out and can reschedule once the connection exists.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use owlery_domain::spec::Specs;
use owlery_domain::{
    CampaignId, VariantId, audit::Actor, org::Network, post, publishing::campaign::Release,
};
use owlery_networks::{
    Connector, ConnectorError, Credentials, Lookup, PublishPart, PublishRequest, sandbox::Sandbox,
};
use owlery_store::{
    Store,
    campaigns::{CAMPAIGN_JOB, CampaignStatus},
    jobs::Job,
    posts::PUBLISH_JOB,
    publishing::{Claim, Dispatch},
    vault::Vault,
};
use serde::Deserialize;

use crate::engine::{Connectors, Engine};
use crate::worker::{BoxFuture, JobError, JobHandler};

#[derive(Debug, Deserialize)]
struct VariantPayload {
    variant_id: VariantId,
    scheduled_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct CampaignPayload {
    campaign_id: CampaignId,
    release_at: DateTime<Utc>,
}

/// The remote id and address of a simulated post: a function of the variant alone, so every
/// attempt for one variant names the same post.
pub fn simulated_ref(network: Network, handle: &str, variant: VariantId) -> (String, String) {
    let handle = if handle.trim().is_empty() {
        "simulated"
    } else {
        handle.trim().trim_start_matches('@')
    };
    (
        format!("sim:{}:{variant}", network.code()),
        format!("sandbox://{}/{handle}/posts/{variant}", network.code()),
    )
}

/// The `publish.variant` handler.
#[derive(Clone)]
pub struct Publisher {
    store: Store,
    sandbox: Arc<Sandbox>,
    connectors: Arc<Connectors>,
    vault: Option<Arc<Vault>>,
    specs: Arc<Specs>,
    media_urls: Arc<crate::media_urls::MediaUrls>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").finish_non_exhaustive()
    }
}

impl Publisher {
    /// Simulated channels only (no connectors, no vault): connected channels' posts wait and
    /// retry until a worker with both takes them.
    pub fn new(store: Store) -> Publisher {
        Publisher::with_sandbox(store, Arc::new(Sandbox::new()))
    }

    /// With a given sandbox network (tests look into it, or make it fail).
    pub fn with_sandbox(store: Store, sandbox: Arc<Sandbox>) -> Publisher {
        Publisher {
            store,
            sandbox,
            connectors: Arc::new(Connectors::empty(Arc::default())),
            vault: None,
            media_urls: Arc::default(),
            specs: Arc::new(Specs::embedded().unwrap_or_else(|_| Specs {
                version: String::new(),
                networks: Vec::new(),
            })),
        }
    }

    /// Publishing to connected channels through `connectors`, opening their secrets with `vault`.
    pub fn connected(mut self, connectors: Arc<Connectors>, vault: Arc<Vault>) -> Publisher {
        self.connectors = connectors;
        self.vault = Some(vault);
        self
    }

    /// Where media addresses for networks that download media point
    /// ([`crate::media_urls::MediaUrls`]); without it such networks' posts with media fail,
    /// saying to set `OWLERY_PUBLIC_URL`.
    pub fn with_media_urls(mut self, urls: crate::media_urls::MediaUrls) -> Publisher {
        self.media_urls = Arc::new(urls);
        self
    }

    async fn publish(&self, job: &Job) -> Result<(), JobError> {
        let p: VariantPayload = serde_json::from_value(job.payload.clone())
            .context("the job's payload is not a variant and time")
            .map_err(JobError::Permanent)?;
        let claim = self
            .store
            .claim_for_publishing(p.variant_id, p.scheduled_at)
            .await
            .map_err(JobError::retry)?;
        match claim {
            Claim::Stale => {
                tracing::debug!(job.id = %job.id, variant.id = %p.variant_id, "publish job is stale; nothing to do");
                Ok(())
            }
            Claim::Refused(reason) => {
                tracing::info!(
                    job.id = %job.id, variant.id = %p.variant_id, reason = reason.code(),
                    "variant held back at its time; the author was told"
                );
                Ok(())
            }
            Claim::NotConnected => {
                tracing::info!(
                    job.id = %job.id, variant.id = %p.variant_id,
                    "channel's connection is not usable; marked failed"
                );
                Ok(())
            }
            Claim::Held(by) => {
                tracing::info!(
                    job.id = %job.id, variant.id = %p.variant_id, held_by = by.code(),
                    "variant held in paused for a person"
                );
                Ok(())
            }
            Claim::Go(d) if d.simulated => self.simulate(job, *d).await,
            Claim::Go(d) => {
                Engine {
                    store: &self.store,
                    connectors: &self.connectors,
                    vault: self.vault.as_deref(),
                    specs: &self.specs,
                    media_urls: &self.media_urls,
                }
                .run(job, &d)
                .await
            }
        }
    }

    async fn simulate(&self, job: &Job, d: Dispatch) -> Result<(), JobError> {
        let (remote_id, remote_url) = simulated_ref(d.network, &d.handle, d.variant_id);
        let handle = remote_url
            .split('/')
            .nth(3)
            .unwrap_or("simulated")
            .to_owned();
        let creds = Credentials::new(handle, "simulated");
        let req = PublishRequest {
            part: PublishPart {
                text: post::main_text(&d.content, false),
                link: d.content.link.clone(),
                ..PublishPart::default()
            },
            ..PublishRequest::new(d.variant_id.to_string(), "")
        };
        let result = match Connector::publish(&*self.sandbox, &creds, &req).await {
            Err(ConnectorError::Unknown { reason }) => {
                // Never repeat blindly: ask what the key became.
                match Connector::lookup(&*self.sandbox, &creds, &req, std::time::SystemTime::now())
                    .await
                {
                    Ok(Lookup::Found(p)) => Ok(p),
                    Ok(_) => Err(ConnectorError::Unknown { reason }),
                    Err(e) => Err(e),
                }
            }
            other => other,
        };
        match result {
            Ok(_) => {
                let changed = self
                    .store
                    .record_published(d.variant_id, &remote_id, &remote_url)
                    .await
                    .map_err(JobError::retry)?;
                if changed {
                    metrics::counter!("owlery_variants_published_total", "network" => d.network.code(), "simulated" => "true").increment(1);
                    tracing::info!(
                        job.id = %job.id, variant.id = %d.variant_id, post.id = %d.post_id,
                        channel.id = %d.channel_id, channel.network = d.network.code(),
                        remote.id = %remote_id, "published to a simulated channel"
                    );
                }
                Ok(())
            }
            Err(e) if e.is_retryable() && job.attempts < job.max_attempts => {
                // Stays `publishing`; the retry reconciles by the same key.
                Err(JobError::retry(anyhow::Error::new(e).context(format!(
                    "publishing to the simulated {} channel {}",
                    d.network.code(),
                    d.channel_name
                ))))
            }
            Err(e) => {
                let message = person_message(&e);
                self.store
                    .record_publish_failed(d.variant_id, &message)
                    .await
                    .map_err(JobError::retry)?;
                metrics::counter!("owlery_variants_failed_total", "network" => d.network.code())
                    .increment(1);
                tracing::warn!(
                    job.id = %job.id, variant.id = %d.variant_id, channel.network = d.network.code(),
                    error = %e, "publishing failed; the author was told"
                );
                Ok(())
            }
        }
    }
}

/// What a person reads on a failed variant.
fn person_message(e: &ConnectorError) -> String {
    match e {
        ConnectorError::Auth { reason } => {
            format!(
                "The channel's connection needs to be renewed ({reason}). Reconnect it, then schedule the post again."
            )
        }
        ConnectorError::RateLimited { .. } => {
            "The network kept refusing because of too many posts; schedule it again a little later."
                .into()
        }
        ConnectorError::Temporary { reason, .. } => {
            format!("The network was unavailable at every attempt ({reason}). Schedule it again.")
        }
        ConnectorError::Permanent { reason } => {
            format!("The network refused the post: {reason}. Change it, then schedule it again.")
        }
        ConnectorError::Unknown { reason } => format!(
            "It is not known whether the network took the post ({reason}). Check the channel before scheduling it again."
        ),
    }
}

impl JobHandler for Publisher {
    fn kind(&self) -> &'static str {
        PUBLISH_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.publish(job))
    }
}

/// The `publish.campaign` handler: releases an all-or-nothing campaign, or holds it whole.
#[derive(Debug, Clone)]
pub struct CampaignReleaser {
    store: Store,
}

impl CampaignReleaser {
    pub fn new(store: Store) -> CampaignReleaser {
        CampaignReleaser { store }
    }

    async fn release(&self, job: &Job) -> Result<(), JobError> {
        let p: CampaignPayload = serde_json::from_value(job.payload.clone())
            .context("the job's payload is not a campaign and time")
            .map_err(JobError::Permanent)?;
        let campaign = self
            .store
            .campaign(p.campaign_id)
            .await
            .map_err(JobError::retry)?;
        let due = campaign.is_some_and(|c| {
            c.status == CampaignStatus::Planned && c.release_at == Some(p.release_at)
        });
        if !due {
            tracing::debug!(job.id = %job.id, campaign.id = %p.campaign_id, "campaign job is stale");
            return Ok(());
        }
        release_one(&self.store, p.campaign_id)
            .await
            .map_err(JobError::Retry)
    }
}

/// Release one planned campaign whose time has come: every member goes, or (all or nothing) none
/// does and the owner is told.
async fn release_one(store: &Store, id: CampaignId) -> anyhow::Result<()> {
    match store.release_campaign(&Actor::system(), id).await? {
        Release::Go(times) => tracing::info!(
            campaign.id = %id, variants = times.len(), "campaign released"
        ),
        Release::HoldAll { blockers } => tracing::info!(
            campaign.id = %id, blockers = blockers.len(),
            "all-or-nothing campaign held; the owner was told"
        ),
    }
    Ok(())
}

/// Release every planned campaign whose time has passed: the safety net for a release job that
/// was lost or ran early. Returns how many were released or held.
pub async fn release_due_campaigns(store: &Store) -> anyhow::Result<usize> {
    let due = store.campaigns_due(store.now()).await?;
    for id in &due {
        release_one(store, *id).await?;
    }
    Ok(due.len())
}

impl JobHandler for CampaignReleaser {
    fn kind(&self) -> &'static str {
        CAMPAIGN_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.release(job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_refs_depend_only_on_the_variant() {
        let v = VariantId::new();
        let a = simulated_ref(Network::X, "@northwind", v);
        assert_eq!(a, simulated_ref(Network::X, "@northwind", v));
        assert_eq!(a.0, format!("sim:x:{v}"));
        assert_eq!(a.1, format!("sandbox://x/northwind/posts/{v}"));
        assert_ne!(a, simulated_ref(Network::X, "@northwind", VariantId::new()));
        assert!(
            simulated_ref(Network::Bluesky, " ", v)
                .1
                .contains("/simulated/")
        );
    }
}
