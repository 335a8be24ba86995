//! Hiding an inbound comment on its network (the `inbox.hide` job): queued by a routing rule's
//! "hide on the network" action, or by a workspace's "hide abusive comments automatically", in
//! the ingest transaction that stored the message.
//!
//! Where the network allows it (Facebook, Instagram, Threads, X; YouTube holds the comment for
//! review) the connector hides it and the message records `hidden_at`; where it does not (Bluesky,
//! Mastodon: nobody can hide another account's reply there) or the network refuses, the reason is
//! kept on the message for people. Hiding twice is harmless, so a retried job is safe.

use std::sync::Arc;

use owlery_domain::org::Network;
use owlery_networks::{ConnectorError, Connectors};
use owlery_store::{Store, inbox_rules::HIDE_JOB, jobs::Job, vault::Vault};

use crate::{
    channel_access::ChannelAccess,
    worker::{BoxFuture, JobError, JobHandler},
};

/// Runs `inbox.hide` jobs.
pub struct Hider {
    pub store: Store,
    pub connectors: Arc<Connectors>,
    pub vault: Option<Arc<Vault>>,
}

impl Hider {
    pub fn new(store: Store, connectors: Arc<Connectors>, vault: Option<Arc<Vault>>) -> Hider {
        Hider {
            store,
            connectors,
            vault,
        }
    }

    async fn hide(&self, job: &Job) -> Result<(), JobError> {
        let id = job
            .payload
            .get("message_id")
            .and_then(|v| v.as_str())
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .ok_or_else(|| JobError::permanent(anyhow::anyhow!("no message_id in the job")))?;
        let Some(target) = self.store.hide_target(id).await.map_err(JobError::retry)? else {
            return Ok(()); // the message is gone
        };
        if target.hidden {
            return Ok(());
        }
        let give_up = |reason: String| async move {
            self.store
                .finish_hide(id, Err(reason))
                .await
                .map_err(JobError::retry)
        };
        let Some(network) = Network::parse(&target.network) else {
            return give_up(format!("unknown network {}", target.network)).await;
        };
        let Some(connector) = self.connectors.get(network) else {
            return give_up(format!(
                "this Owlery has no connection to {}",
                network.label()
            ))
            .await;
        };
        if !connector.can_hide_comments() {
            return give_up(format!(
                "{} cannot hide someone else's reply: only its author can remove it",
                network.label()
            ))
            .await;
        }
        let access = ChannelAccess {
            store: &self.store,
            vault: self.vault.as_deref(),
        };
        let creds = match access
            .ready(&*connector, target.channel_id, &target.handle, network)
            .await?
        {
            Ok(c) => c,
            Err(reason) => return give_up(reason).await,
        };
        match connector.hide_comment(&creds, &target.remote_id).await {
            Ok(()) => {
                tracing::info!(message.id = %id, channel.network = network.code(), "hid a comment on the network");
                self.store
                    .finish_hide(id, Ok(()))
                    .await
                    .map_err(JobError::retry)
            }
            Err(e) if e.is_retryable() => Err(JobError::retry(anyhow::Error::new(e))),
            Err(ConnectorError::Auth { reason } | ConnectorError::Permanent { reason }) => {
                give_up(reason).await
            }
            Err(e) => give_up(e.to_string()).await,
        }
    }
}

impl JobHandler for Hider {
    fn kind(&self) -> &'static str {
        HIDE_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.hide(job))
    }
}
