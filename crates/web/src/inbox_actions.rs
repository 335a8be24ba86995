//! Liking and deleting a message on its network, shared by the API and the conversation page:
//! who may (`inbox:reply` on the conversation's channel, as for answering), whether the network's
//! API allows it (the connector says, with its reason when it does not), and the request stored
//! with its job (`owlery_store::inbox_actions`); the worker does it.

use owlery_domain::{
    ConversationId, MessageId,
    inbox::{Direction, MessageKind},
    org::Network,
};
use owlery_networks::inbox::Ability;
use owlery_store::{inbox::Message, inbox_actions::MessageAction};

use crate::{auth::Principal, error::AppError, inbox_reply::answerable, state::AppState};

/// Whether `action` on a message (of `kind`, ours or theirs) is possible on this channel. Owlery's
/// own sent answers can always be deleted where Owlery could send them; someone's direct message
/// is never deleted (no network lets the recipient remove it from the sender's inbox). Otherwise
/// the connector says — also for a practice channel, which stays on this server but behaves as
/// the network it stands for, so what is practised is what the real channel allows. The sandbox
/// network itself, which stands for no real one, allows liking and deleting comments and mentions.
pub fn ability(
    state: &AppState,
    network: &str,
    simulated: bool,
    kind: MessageKind,
    direction: Direction,
    action: MessageAction,
) -> Ability {
    match (action, direction) {
        (MessageAction::Like, Direction::Outbound) => {
            return Ability::Not("Owlery's own answers are not liked");
        }
        (MessageAction::Delete, Direction::Outbound) => return Ability::Allowed,
        (MessageAction::Delete, Direction::Inbound) if kind == MessageKind::Dm => {
            return Ability::Not("a direct message cannot be deleted from its sender's inbox");
        }
        _ => {}
    }
    let network = Network::parse(network);
    if simulated && network == Some(Network::Sandbox) {
        return Ability::Allowed;
    }
    let Some(connector) = network.and_then(|n| state.connectors.get(n)) else {
        return Ability::Not("this Owlery has no connection to this network");
    };
    match action {
        MessageAction::Like => connector.can_like(kind),
        MessageAction::Delete => connector.can_delete_comment(kind),
    }
}

/// Ask for `action` on `message` in conversation `id` (see the module docs). Audited.
pub async fn request(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
    message: MessageId,
    action: MessageAction,
) -> Result<Message, AppError> {
    let (c, simulated) = answerable(state, principal, id).await?;
    let m = state.store.inbox_message(message).await?;
    if m.conversation_id != id {
        return Err(AppError::not_found("message"));
    }
    if let Some(why) = ability(state, &c.network, simulated, m.kind, m.direction, action).reason() {
        let label = Network::parse(&c.network).map_or(c.network.as_str(), |n| n.label());
        let (code, verb) = match action {
            MessageAction::Like => ("cannot_like", "like"),
            MessageAction::Delete => ("cannot_delete", "delete"),
        };
        return Err(AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            code,
            format!("Owlery cannot {verb} this message on {label}: {why}."),
        ));
    }
    Ok(state
        .store
        .request_message_action(&principal.actor(), id, message, action)
        .await?)
}
