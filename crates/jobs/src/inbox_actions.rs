//! Liking and deleting messages on their network (the `inbox.like` and `inbox.delete` jobs),
//! queued by a person from the conversation (`owlery_store::inbox_actions`).
//!
//! A like goes to `Connector::like`. A delete goes to `Connector::delete_reply` for Owlery's own
//! sent answer (every network that answers can delete its answer), and to
//! `Connector::delete_comment` for someone else's comment on the account's content, where the
//! network allows it (Facebook, Instagram; YouTube removes it by rejecting it). Where the network
//! cannot, or refuses, the reason is kept on the message for people. Liking or deleting twice is
//! harmless, so a retried job is safe.

use std::sync::Arc;

use owlery_domain::{MessageId, inbox::Direction, org::Network};
use owlery_networks::{ConnectorError, Connectors, RemoteRef};
use owlery_store::{
    Store,
    inbox_actions::{ActionTarget, MessageAction},
    jobs::Job,
    vault::Vault,
};

use crate::{
    channel_access::ChannelAccess,
    worker::{BoxFuture, JobError, JobHandler},
};

/// Runs `inbox.like` or `inbox.delete` jobs (one handler per kind).
pub struct MessageActor {
    pub action: MessageAction,
    pub store: Store,
    pub connectors: Arc<Connectors>,
    pub vault: Option<Arc<Vault>>,
}

impl MessageActor {
    pub fn new(
        action: MessageAction,
        store: Store,
        connectors: Arc<Connectors>,
        vault: Option<Arc<Vault>>,
    ) -> MessageActor {
        MessageActor {
            action,
            store,
            connectors,
            vault,
        }
    }

    async fn act(&self, job: &Job) -> Result<(), JobError> {
        let id = job
            .payload
            .get("message_id")
            .and_then(|v| v.as_str())
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(MessageId)
            .ok_or_else(|| JobError::permanent(anyhow::anyhow!("no message_id in the job")))?;
        let Some(target) = self
            .store
            .action_target(id)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(()); // the message is gone
        };
        let done = match self.action {
            MessageAction::Like => target.liked,
            MessageAction::Delete => target.deleted,
        };
        if done {
            return Ok(());
        }
        if target.simulated {
            // A practice channel: nothing to call, it is done on this server.
            return self
                .store
                .finish_message_action(id, self.action, Ok(()))
                .await
                .map_err(JobError::retry);
        }
        let give_up = |reason: String| async move {
            self.store
                .finish_message_action(id, self.action, Err(reason))
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
        let own_answer = target.direction == Direction::Outbound;
        let ability = match (self.action, own_answer) {
            (MessageAction::Like, _) => connector.can_like(target.kind),
            (MessageAction::Delete, false) => connector.can_delete_comment(target.kind),
            (MessageAction::Delete, true) => owlery_networks::inbox::Ability::Allowed,
        };
        if let Some(why) = ability.reason() {
            return give_up(why.to_owned()).await;
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
        let result = match (self.action, own_answer) {
            (MessageAction::Like, _) => connector.like(&creds, &target.remote_id).await,
            (MessageAction::Delete, true) => {
                connector.delete_reply(&creds, &answer_ref(&target)).await
            }
            (MessageAction::Delete, false) => {
                connector.delete_comment(&creds, &target.remote_id).await
            }
        };
        match result {
            Ok(()) => {
                tracing::info!(message.id = %id, channel.network = network.code(), action = ?self.action, "acted on a message on the network");
                self.store
                    .finish_message_action(id, self.action, Ok(()))
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

/// Owlery's answer as the connectors know a published reply: its id, under its thread's root.
fn answer_ref(target: &ActionTarget) -> RemoteRef {
    RemoteRef {
        id: target.remote_id.clone(),
        cid: None,
        root: target.root_id.as_ref().map(|r| {
            Box::new(RemoteRef {
                id: r.clone(),
                cid: None,
                root: None,
            })
        }),
    }
}

impl JobHandler for MessageActor {
    fn kind(&self) -> &'static str {
        self.action.job()
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.act(job))
    }
}
