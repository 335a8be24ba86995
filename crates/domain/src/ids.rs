//! Typed identifiers: a `UserId` can never be passed where a `ChannelId` is expected.
//! UUIDv7 (time-ordered) so ids sort by creation and can be made on any node.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new id. Ids are made by the application, not the database, so that a row's id is
            /// known before it is written (audit events and jobs refer to it in the same transaction).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s.trim()).ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    OrgId,
    WorkspaceId,
    ChannelId,
    UserId,
    TeamId,
    GrantId,
    TokenId,
    SessionId,
    AuditEventId,
    PostId,
    VariantId,
    MediaId,
    CampaignId,
    WorkflowId,
    CommentId,
    QueueSlotId,
    DecisionId,
    NotificationId,
    ContactId,
    ConversationId,
    MessageId
);

// The inbox's routing rules and SLA policies (issue 5).
id_type!(RuleId, SlaPolicyId);
