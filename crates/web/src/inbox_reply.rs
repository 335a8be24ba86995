//! Answering from the inbox, shared by the API and the conversation page: who may answer, whether
//! the network lets Owlery answer this kind of message, the text checked the network's way, and
//! whether the answer waits for approval. The store keeps the answer and its job in one
//! transaction (`owlery_store::inbox_replies`); the worker sends it.

use owlery_domain::{
    ConversationId, MessageId, Permission, Target,
    inbox::{live::Staleness, reply::check_reply},
    org::Network,
    spec::TextField,
};
use owlery_store::{
    inbox::{ConversationSummary, Message},
    inbox_replies::{NewReply, ReplyCreated},
};

use crate::{auth::Principal, error::AppError, inbox as shared, state::AppState};

/// The text rule answers on `network` are held to: the main text field of its main placement in
/// `networks.toml` (`None`: unknown network, or the sandbox).
pub fn reply_field(network: &str) -> Option<TextField> {
    crate::compose::specs()
        .ok()?
        .reply_text_rule(network)
        .cloned()
}

/// Whether Owlery can answer this conversation (its kind, on its channel): practice channels
/// always (the answer stays on this server); real ones where the network's API allows it for a
/// channel connected the way this one is.
pub async fn can_reply(
    state: &AppState,
    c: &ConversationSummary,
    simulated: bool,
) -> Result<bool, AppError> {
    if simulated {
        return Ok(true);
    }
    let Some(connector) = Network::parse(&c.network).and_then(|n| state.connectors.get(n)) else {
        return Ok(false);
    };
    // How the channel is connected can matter (TikTok: only business accounts answer).
    let auth = state
        .store
        .channel_credential(c.channel_id)
        .await?
        .map(|cred| cred.auth)
        .unwrap_or_default();
    Ok(connector.can_reply_as(auth, c.kind))
}

fn target(c: &ConversationSummary) -> Target {
    Target::Channel {
        workspace: c.workspace_id,
        channel: c.channel_id,
    }
}

/// The conversation, if the person may answer in it (`inbox:reply` on its channel).
pub async fn answerable(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
) -> Result<(ConversationSummary, bool), AppError> {
    let org = crate::pages::load_organisation(state).await?;
    let visible = shared::scope(principal, Permission::InboxReply);
    let c = state
        .store
        .conversation_summary(org.id, &visible, id)
        .await?;
    principal.require(Permission::InboxReply, target(&c))?;
    let simulated = state
        .store
        .channel(c.channel_id)
        .await
        .map(|ch| ch.simulated)
        .unwrap_or(false);
    Ok((c, simulated))
}

/// An answer as the API or the reply box sent it.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub text: &'a str,
    /// Close the conversation once the answer is on the network.
    pub close: bool,
    pub client_key: &'a str,
    /// The newest message the composer showed: when the contact wrote after it, the answer is
    /// refused as written on a stale view (409 `stale_view`) unless `send_anyway`.
    pub seen_message_id: Option<MessageId>,
    pub send_anyway: bool,
}

/// Store an answer (see the module docs). `Ok` with `replayed` when the key was used already.
pub async fn send(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
    out: &Outgoing<'_>,
) -> Result<ReplyCreated, AppError> {
    let (text, close, client_key) = (out.text, out.close, out.client_key);
    let (c, simulated) = answerable(state, principal, id).await?;
    if let Some(seen) = out.seen_message_id
        && !out.send_anyway
        && let Staleness::Stale { unseen } =
            crate::inbox_live::staleness(state, principal, id, Some(seen)).await?
    {
        return Err(stale_view(unseen));
    }
    if !can_reply(state, &c, simulated).await? {
        let label = Network::parse(&c.network).map_or(c.network.as_str(), |n| n.label());
        return Err(AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "cannot_reply",
            format!(
                "{label}'s API does not let Owlery answer this kind of message ({}). Answer on {label} itself.",
                c.kind.code()
            ),
        ));
    }
    let label = Network::parse(&c.network).map_or("The network", |n| n.label());
    let field = if simulated && c.network == "sandbox" {
        None
    } else {
        reply_field(&c.network)
    };
    let text = check_reply(text, label, field.as_ref())?;
    let org = crate::pages::load_organisation(state).await?;
    let needs_approval = org
        .security
        .reply_needs_approval(&principal.access, target(&c));
    let created = state
        .store
        .create_reply(
            &principal.actor(),
            principal.user.id,
            &c,
            &NewReply {
                text: &text,
                close,
                client_key: client_key.trim(),
                needs_approval,
            },
        )
        .await?;
    Ok(created)
}

/// The answer was written on a view that had not seen the contact's `unseen` newest messages.
fn stale_view(unseen: usize) -> AppError {
    let what = if unseen == 1 {
        "1 new message".to_owned()
    } else {
        format!("{unseen} new messages")
    };
    AppError::new(
        axum::http::StatusCode::CONFLICT,
        "stale_view",
        format!(
            "{what} arrived after the newest message you saw: read them, then send again \
             (with the newest seen_message_id, or send_anyway: true)."
        ),
    )
    .with_field("seen_message_id")
}

/// Send a failed answer again.
pub async fn retry(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
    message: MessageId,
) -> Result<Message, AppError> {
    answerable(state, principal, id).await?;
    Ok(state
        .store
        .retry_reply(&principal.actor(), id, message)
        .await?)
}

/// Approve or reject an answer waiting for approval (`inbox:approve` on the channel).
pub async fn review(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
    message: MessageId,
    approve: bool,
    note: Option<&str>,
) -> Result<Message, AppError> {
    let org = crate::pages::load_organisation(state).await?;
    let visible = shared::scope(principal, Permission::InboxApprove);
    let c = state
        .store
        .conversation_summary(org.id, &visible, id)
        .await?;
    principal.require(Permission::InboxApprove, target(&c))?;
    Ok(state
        .store
        .review_reply(
            &principal.actor(),
            principal.user.id,
            id,
            message,
            approve,
            note,
        )
        .await?)
}
