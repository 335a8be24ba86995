//! The community inbox: contacts, conversations and messages, ingest and the read side.
//!
//! [`Store::ingest`] is the one way messages come in — `owlery inbox import` now, webhooks and
//! pollers later. It takes a batch of classified [`InboundMessage`]s and, in one transaction:
//! dedupes on (channel, remote id) (a known message with new text is an edit and is updated; a
//! repeat adds nothing), upserts each author as a contact (one identity per network account within
//! the organisation), threads each message into its conversation
//! ([`owlery_domain::inbox::thread_key`]), sets the response deadlines from a
//! [`ResponsePolicy`], reopens a closed or pending conversation on a new inbound message, and
//! writes the messages (the full-text index follows: SQLite FTS5 triggers, PostgreSQL a generated
//! `tsvector`). Rows are written many per statement: the per-row cost is the database's own.
//!
//! Lists page by keyset on (last activity, id), never OFFSET. Whether a person may see a
//! conversation is decided by the caller ([`InboxScope`]); the store applies it in SQL.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, ContactId, ConversationId, InvalidInput, MessageId, OrgId, TeamId, UserId,
    WorkspaceId,
    audit::Actor,
    inbox::{
        Classification, ConversationStatus, DUE_SOON, InboundMessage, Intent, MessageKind,
        Priority, ResponsePolicy, ResponseTarget, Sentiment, SlaState, Urgency, first_line,
    },
};
use serde::Serialize;
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    live::{Change, LiveEvent, LiveKind, Outbox},
};

/// A [`ConversationSummary`] from a row of [`summary_select`] (a macro: the row type differs per
/// backend).
macro_rules! summary_from_row {
    ($row:ident, $now:expr) => {{
        let kind: String = $row.try_get(5)?;
        let status: String = $row.try_get(6)?;
        let priority: String = $row.try_get(7)?;
        let sentiment: Option<String> = $row.try_get(12)?;
        let intent: Option<String> = $row.try_get(13)?;
        let urgency: Option<String> = $row.try_get(14)?;
        let next_response_due: Option<DateTime<Utc>> = $row.try_get(19)?;
        ConversationSummary {
            id: ConversationId($row.try_get(0)?),
            workspace_id: WorkspaceId($row.try_get(1)?),
            channel_id: ChannelId($row.try_get(2)?),
            channel_name: $row.try_get(3)?,
            network: $row.try_get(4)?,
            kind: MessageKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
            status: ConversationStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
            priority: Priority::parse(&priority).ok_or_else(|| corrupt("priority"))?,
            assignee_id: $row.try_get::<Option<Uuid>, _>(8)?.map(UserId),
            assignee_name: $row.try_get(9)?,
            team_id: $row.try_get::<Option<Uuid>, _>(10)?.map(TeamId),
            tags: Vec::new(),
            language: $row.try_get(11)?,
            sentiment: sentiment.as_deref().and_then(Sentiment::parse),
            intent: intent.as_deref().and_then(Intent::parse),
            urgency: urgency.as_deref().and_then(Urgency::parse),
            preview: $row.try_get(15)?,
            post_remote_id: $row.try_get(16)?,
            first_response_due: $row.try_get(17)?,
            first_responded_at: $row.try_get(18)?,
            next_response_due,
            sla: SlaState::of(next_response_due, $now),
            last_message_at: $row.try_get(20)?,
            message_count: $row.try_get(21)?,
            unanswered_count: $row.try_get(22)?,
            contact: ContactSummary {
                id: ContactId($row.try_get(23)?),
                name: $row.try_get(24)?,
                handle: $row.try_get(25)?,
                followers: $row.try_get(26)?,
            },
        }
    }};
}

/// The columns [`message_from_row!`] reads, in order.
pub(crate) const MESSAGE_COLUMNS: &str = "id, remote_id, direction, kind, author_contact_id, \
    author_user_id, text, media, url, in_reply_to, created_at, received_at, language, sentiment, \
    intent, urgency, hidden_at, deleted_at, edited_at, delivery, delivery_error, close_on_send, \
    review_note, conversation_id, hide_requested_at, hide_error, auto_rule_id, like_requested_at, \
    liked_at, delete_requested_at, action_error";

/// Announce a change to message `$message`'s conversation from inside the change's transaction
/// (an answer's delivery state, a like, hide or delete): the event — `$change` by `$by`, with the
/// conversation's status as the transaction leaves it — is written to the outbox for other
/// processes (SQLite), and yielded for [`Store::announce`] after the commit. `None` when the
/// message is gone. So a rolled-back change announces nothing, on either backend.
macro_rules! message_event {
    ($tx:ident, $store:expr, $message:expr, $change:expr, $by:expr) => {{
        let message: uuid::Uuid = $message;
        let by: Option<owlery_domain::UserId> = $by;
        let row: Option<(uuid::Uuid, uuid::Uuid, uuid::Uuid, uuid::Uuid, String)> = sqlx::query_as(
            "SELECT w.org_id, c.workspace_id, c.channel_id, c.id, c.status FROM inbox_messages m \
                 JOIN inbox_conversations c ON c.id = m.conversation_id \
                 JOIN workspaces w ON w.id = c.workspace_id WHERE m.id = $1",
        )
        .bind(message)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => None,
            Some((org, workspace, channel, conversation, status)) => {
                let event = $crate::live::LiveEvent::new(
                    owlery_domain::OrgId(org),
                    owlery_domain::WorkspaceId(workspace),
                    owlery_domain::ChannelId(channel),
                    owlery_domain::ConversationId(conversation),
                    $crate::live::LiveKind::Conversation {
                        change: $change,
                        status: Some(status),
                        by,
                    },
                );
                $crate::live::Outbox::record(
                    &mut *$tx,
                    $store.live(),
                    std::slice::from_ref(&event),
                )
                .await?;
                Some(event)
            }
        }
    }};
}

/// A [`Message`] from a row of [`MESSAGE_COLUMNS`].
macro_rules! message_from_row {
    ($row:ident) => {{
        let direction: String = $row.try_get(2)?;
        let kind: String = $row.try_get(3)?;
        let media: String = $row.try_get(7)?;
        let sentiment: Option<String> = $row.try_get(13)?;
        let intent: Option<String> = $row.try_get(14)?;
        let urgency: Option<String> = $row.try_get(15)?;
        let delivery: Option<String> = $row.try_get(19)?;
        Message {
            id: MessageId($row.try_get(0)?),
            conversation_id: ConversationId($row.try_get(23)?),
            remote_id: $row.try_get(1)?,
            direction: owlery_domain::inbox::Direction::parse(&direction)
                .ok_or_else(|| corrupt("direction"))?,
            kind: MessageKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
            author_contact_id: $row.try_get::<Option<Uuid>, _>(4)?.map(ContactId),
            author_user_id: $row.try_get::<Option<Uuid>, _>(5)?.map(UserId),
            text: $row.try_get(6)?,
            media: serde_json::from_str(&media).unwrap_or_default(),
            url: $row.try_get(8)?,
            in_reply_to: $row.try_get(9)?,
            created_at: $row.try_get(10)?,
            received_at: $row.try_get(11)?,
            language: $row.try_get(12)?,
            sentiment: sentiment.as_deref().and_then(Sentiment::parse),
            intent: intent.as_deref().and_then(Intent::parse),
            urgency: urgency.as_deref().and_then(Urgency::parse),
            hidden_at: $row.try_get(16)?,
            deleted_at: $row.try_get(17)?,
            edited_at: $row.try_get(18)?,
            delivery: match delivery {
                None => None,
                Some(d) => Some(
                    owlery_domain::inbox::Delivery::parse(&d).ok_or_else(|| corrupt("delivery"))?,
                ),
            },
            delivery_error: $row.try_get(20)?,
            close_on_send: $row.try_get(21)?,
            review_note: $row.try_get(22)?,
            hide_requested_at: $row.try_get(24)?,
            hide_error: $row.try_get(25)?,
            auto_rule_id: $row
                .try_get::<Option<Uuid>, _>(26)?
                .map(owlery_domain::RuleId),
            like_requested_at: $row.try_get(27)?,
            liked_at: $row.try_get(28)?,
            delete_requested_at: $row.try_get(29)?,
            action_error: $row.try_get(30)?,
        }
    }};
}

/// Rows per multi-row statement (19 columns × 400 stays far below both backends' bind limits).
const ROWS_PER_STATEMENT: usize = 400;
/// The most messages shown in one conversation view (the newest).
pub const MAX_THREAD_MESSAGES: i64 = 500;
/// The preview kept on a conversation (first line of the latest message).
const PREVIEW_CHARS: usize = 140;
/// The largest window of full-text matches one search round reads (SQLite; see `search_inbox`).
const SEARCH_WINDOW_MAX: i64 = 4_096;

/// One message to ingest, with what triage said about it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub message: InboundMessage,
    pub triage: Classification,
}

/// What became of one ingested message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// New: stored and threaded.
    Imported,
    /// Already known with the same text: nothing changed.
    Duplicate,
    /// Already known with other text: the stored message was updated (marked edited).
    Edited,
    /// The channel does not exist.
    UnknownChannel,
}

/// What a batch did, in input order.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub outcomes: Vec<Outcome>,
    /// Routing rules that fired (counted once per conversation and rule).
    pub rules_fired: usize,
    /// Conversations assigned to a person by a rule or their team.
    pub assigned: usize,
    /// Messages queued to be hidden on the network.
    pub hide_requested: usize,
}

impl IngestReport {
    pub fn count(&self, o: Outcome) -> usize {
        self.outcomes.iter().filter(|x| **x == o).count()
    }
}

/// Which conversations a person may see: all of the organisation's, or those in some workspaces
/// and channels (from their grants that carry `inbox:read`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxScope {
    All,
    Only {
        workspaces: Vec<WorkspaceId>,
        channels: Vec<ChannelId>,
    },
}

/// How to narrow the list. Every field is optional; set fields combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    pub workspace: Option<WorkspaceId>,
    pub channel: Option<ChannelId>,
    pub network: Option<String>,
    pub status: Option<ConversationStatus>,
    /// `Some(None)`: unassigned.
    pub assignee: Option<Option<UserId>>,
    pub team: Option<TeamId>,
    pub tag: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub intent: Option<Intent>,
    pub language: Option<String>,
    pub sla: Option<SlaState>,
    pub contact: Option<ContactId>,
}

/// A position in the list: the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub last_message_at: DateTime<Utc>,
    pub id: ConversationId,
}

impl Cursor {
    /// `<microseconds>_<id>`: opaque to clients, stable across backends.
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.last_message_at.timestamp_micros(),
            self.id.0.simple()
        )
    }

    pub fn parse(s: &str) -> Result<Cursor, InvalidInput> {
        let bad = || InvalidInput::new("cursor", "invalid_cursor", "This cursor is not valid.");
        let (t, id) = s.trim().split_once('_').ok_or_else(bad)?;
        let micros: i64 = t.parse().map_err(|_| bad())?;
        let last_message_at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(bad)?;
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        Ok(Cursor {
            last_message_at,
            id: ConversationId(id),
        })
    }
}

/// One row of the inbox list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: String,
    pub kind: MessageKind,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub team_id: Option<TeamId>,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub intent: Option<Intent>,
    pub urgency: Option<Urgency>,
    /// First line of the latest message.
    pub preview: String,
    pub post_remote_id: Option<String>,
    pub first_response_due: Option<DateTime<Utc>>,
    pub first_responded_at: Option<DateTime<Utc>>,
    /// The deadline running now (nothing awaits a response when `None`).
    pub next_response_due: Option<DateTime<Utc>>,
    pub sla: SlaState,
    pub last_message_at: DateTime<Utc>,
    pub message_count: i64,
    pub unanswered_count: i64,
    pub contact: ContactSummary,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContactSummary {
    pub id: ContactId,
    pub name: String,
    pub handle: String,
    pub followers: Option<i64>,
}

/// A page of the list, newest activity first.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationPage {
    pub items: Vec<ConversationSummary>,
    /// Pass back as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub remote_id: String,
    pub direction: owlery_domain::inbox::Direction,
    pub kind: MessageKind,
    pub author_contact_id: Option<ContactId>,
    pub author_user_id: Option<UserId>,
    pub text: String,
    pub media: Vec<String>,
    pub url: Option<String>,
    pub in_reply_to: Option<String>,
    pub created_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub language: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub intent: Option<Intent>,
    pub urgency: Option<Urgency>,
    pub hidden_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Hiding on the network was asked for (by a rule or the abuse setting).
    pub hide_requested_at: Option<DateTime<Utc>>,
    /// Why it could not be hidden (the network cannot, or refused).
    pub hide_error: Option<String>,
    pub conversation_id: ConversationId,
    /// Answers from Owlery: where the answer stands (`None` for inbound messages).
    pub delivery: Option<owlery_domain::inbox::Delivery>,
    /// Why it failed, or was rejected.
    pub delivery_error: Option<String>,
    /// The conversation is closed when the answer is sent.
    pub close_on_send: bool,
    /// The routing rule that sent this answer automatically (`None`: a person, or inbound).
    pub auto_rule_id: Option<owlery_domain::RuleId>,
    /// Liking it on the network was asked for, and done (see `inbox_actions`).
    pub like_requested_at: Option<DateTime<Utc>>,
    pub liked_at: Option<DateTime<Utc>>,
    /// Deleting it on the network was asked for (`deleted_at` says when it was gone).
    pub delete_requested_at: Option<DateTime<Utc>>,
    /// Why the last like or delete could not be done.
    pub action_error: Option<String>,
    /// An approver's note.
    pub review_note: Option<String>,
}

/// A network account of a contact.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Identity {
    pub network: String,
    pub remote_id: String,
    pub handle: String,
    pub name: String,
    pub followers: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub handle: String,
    pub followers: Option<i64>,
    pub tags: Vec<String>,
    pub identities: Vec<Identity>,
    pub created_at: DateTime<Utc>,
}

/// One conversation with its messages (oldest first), its contact and the contact's other
/// conversations (any channel, newest first) that the reader may see.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationDetail {
    pub conversation: ConversationSummary,
    pub messages: Vec<Message>,
    pub contact: Contact,
    pub history: Vec<ConversationSummary>,
}

/// A change to a conversation by a person. Unset fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ConversationPatch {
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    /// `Some(None)`: unassign.
    pub assignee: Option<Option<UserId>>,
    /// `Some(None)`: no team.
    pub team: Option<Option<TeamId>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageHit {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub channel_name: String,
    pub network: String,
    pub contact_name: String,
    pub contact_handle: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContactHit {
    pub id: ContactId,
    pub name: String,
    pub handle: String,
    pub followers: Option<i64>,
    /// Their latest conversation the reader may see.
    pub latest_conversation: Option<ConversationId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub messages: Vec<MessageHit>,
    pub contacts: Vec<ContactHit>,
}

/// The words of a search, at most 8, letters and digits only (no query syntax gets through).
pub fn search_terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
        .take(8)
        .collect()
}

/// An FTS5 query: every word must appear; the last one may be the start of a word.
fn fts5_query(terms: &[String]) -> String {
    let mut parts: Vec<String> = terms.iter().map(|t| format!("\"{t}\"")).collect();
    if let Some(last) = parts.last_mut() {
        last.push('*');
    }
    parts.join(" ")
}

/// A PostgreSQL `to_tsquery('simple', …)`: the same rule.
fn tsquery(terms: &[String]) -> String {
    let mut parts: Vec<String> = terms.iter().map(|t| format!("'{t}'")).collect();
    if let Some(last) = parts.last_mut() {
        last.push_str(":*");
    }
    parts.join(" & ")
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} in the inbox tables"))
}

/// What the store knows of a conversation before a batch touches it.
struct ExistingConversation {
    id: Uuid,
    first_response_due: Option<DateTime<Utc>>,
    first_responded_at: Option<DateTime<Utc>>,
    next_response_due: Option<DateTime<Utc>>,
    priority: Priority,
    assignee: Option<Uuid>,
    team: Option<Uuid>,
    warn_at: Option<DateTime<Utc>>,
}

/// What routing decided for one conversation of a batch.
#[derive(Default)]
struct Routed {
    team: Option<Uuid>,
    assignee: Option<Uuid>,
    /// Assigned now (by a rule or the team): audited and notified.
    assigned_now: bool,
    priority: Option<Priority>,
    status: Option<ConversationStatus>,
    tags: Vec<String>,
    /// (rule id, rule name, actions) of the rules that fired, in order.
    fired: Vec<(
        owlery_domain::RuleId,
        String,
        Vec<owlery_domain::inbox::rules::Action>,
    )>,
    notify: Vec<Uuid>,
    /// A rule escalated: the leads (or the inbox managers) are told.
    escalate: bool,
    /// The rules' automatic answers to consider, and (after they were) what became of each, by
    /// rule: `{"sent": message id}` or `{"skipped": reason}` (in the rule's audit event).
    auto_replies: Vec<AutoReplyPlan>,
    auto_results: HashMap<owlery_domain::RuleId, serde_json::Value>,
    /// Who an escalation tells: the team's lead, else the organisation's inbox managers.
    escalate_to: Vec<Uuid>,
    policy: Option<Uuid>,
    warn_at: Option<DateTime<Utc>>,
    /// What notifications call the conversation (the latest message's first line).
    title: String,
}

/// The new messages of one conversation within a batch.
struct Group {
    channel: ChannelId,
    workspace: WorkspaceId,
    key: String,
    kind: MessageKind,
    post: Option<String>,
    contact: Uuid,
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
    /// Index of the latest message (its triage and preview become the conversation's).
    latest_index: usize,
    count: i64,
    id: Uuid,
}

/// A deadline, when one runs.
type Due = Option<DateTime<Utc>>;
/// id, name, handle, followers, tags (JSON), created_at.
type ContactRow = (Uuid, String, String, Option<i64>, String, DateTime<Utc>);

struct ChannelInfo {
    workspace: WorkspaceId,
    org: OrgId,
    network: String,
    name: String,
    /// The channel's own handle and account id on the network: a message by them is our own.
    handle: String,
    account_id: Option<String>,
    /// How the channel is connected (what it can answer depends on it; none yet: standard).
    auth: owlery_domain::org::AuthKind,
    simulated: bool,
}

impl ChannelInfo {
    /// Whether the channel's own account wrote this (an echo of what we posted or answered).
    fn is_own(&self, author: &owlery_domain::inbox::Author) -> bool {
        self.account_id.as_deref() == Some(author.remote_id.as_str())
            || (!author.handle.is_empty()
                && author
                    .handle
                    .trim_start_matches('@')
                    .eq_ignore_ascii_case(self.handle.trim_start_matches('@')))
    }
}

/// A rule's automatic answer to plan in one conversation: the rule and the latest message of the
/// batch it fired on.
struct AutoReplyPlan {
    rule: owlery_domain::inbox::rules::Rule,
    saved_reply: Uuid,
    message: usize,
}

/// After the messages of a batch are stored: the rules' tags, hide requests (a job each),
/// notifications, and an audit event per fired rule and per automatic assignment. Yields
/// (rules fired, assigned, hide requests).
macro_rules! apply_routing {
    ($tx:ident, $pg:ident, $groups:expr, $routed:expr, $hide:expr, $message_ids:expr, $now:expr) => {{
        let groups: &[Group] = &$groups;
        let routed: &[Routed] = &$routed;
        let hide: &[usize] = &$hide;
        let message_ids: &HashMap<usize, Uuid> = &$message_ids;
        let now: DateTime<Utc> = $now;
        let actor = Actor::system();
        let (mut fired, mut assigned, mut hidden) = (0usize, 0usize, 0usize);
        for (g, r) in routed.iter().enumerate() {
            let conv = groups[g].id;
            let link = format!("/inbox/c/{conv}");
            for tag in &r.tags {
                sqlx::query(
                    "INSERT INTO inbox_conversation_tags (conversation_id, tag) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(conv)
                .bind(tag)
                .execute(&mut *$tx)
                .await?;
            }
            for (rule_id, name, actions) in &r.fired {
                fired += 1;
                let mut after = serde_json::json!({
                    "rule_id": rule_id.to_string(),
                    "rule": name,
                    "actions": actions,
                });
                if let Some(result) = r.auto_results.get(rule_id) {
                    after["auto_reply"] = result.clone();
                }
                if actions.contains(&owlery_domain::inbox::rules::Action::Escalate) {
                    after["escalated_to"] = serde_json::json!(
                        r.escalate_to.iter().map(|u| u.to_string()).collect::<Vec<_>>()
                    );
                }
                append_audit!(
                    $tx,
                    $pg,
                    actor.entry(
                        "inbox_rule.applied",
                        "conversation",
                        Some(conv.to_string()),
                        None,
                        Some(after)
                    ),
                    now
                );
            }
            for u in &r.escalate_to {
                insert_notification!(
                    $tx,
                    &crate::notifications::NewNotification {
                        user_id: UserId(*u),
                        kind: "inbox_escalated".into(),
                        params: serde_json::json!({
                            "title": r.title,
                            "step": r.fired.iter().map(|f| f.1.clone()).collect::<Vec<_>>().join(", "),
                        }),
                        link: Some(link.clone()),
                        email: true,
                    },
                    now
                );
            }
            for u in &r.notify {
                insert_notification!(
                    $tx,
                    &crate::notifications::NewNotification {
                        user_id: UserId(*u),
                        kind: "inbox_rule".into(),
                        params: serde_json::json!({
                            "title": r.title,
                            "step": r.fired.iter().map(|f| f.1.clone()).collect::<Vec<_>>().join(", "),
                        }),
                        link: Some(link.clone()),
                        email: true,
                    },
                    now
                );
            }
            if r.assigned_now
                && let Some(u) = r.assignee
            {
                assigned += 1;
                insert_notification!(
                    $tx,
                    &crate::notifications::NewNotification {
                        user_id: UserId(u),
                        kind: "inbox_assigned".into(),
                        params: serde_json::json!({ "title": r.title }),
                        link: Some(link.clone()),
                        email: false,
                    },
                    now
                );
                append_audit!(
                    $tx,
                    $pg,
                    actor.entry(
                        "conversation.auto_assign",
                        "conversation",
                        Some(conv.to_string()),
                        None,
                        Some(serde_json::json!({
                            "assignee_id": u.to_string(),
                            "team_id": r.team.map(|t| t.to_string()),
                        }))
                    ),
                    now
                );
            }
        }
        for &i in hide {
            let Some(id) = message_ids.get(&i) else { continue };
            hidden += 1;
            sqlx::query("UPDATE inbox_messages SET hide_requested_at = $1 WHERE id = $2")
                .bind(now)
                .bind(*id)
                .execute(&mut *$tx)
                .await?;
            sqlx::query(
                "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'queued', $4, 0, 8, $4, $4)",
            )
            .bind(Uuid::now_v7())
            .bind(crate::inbox_rules::HIDE_JOB)
            .bind(serde_json::json!({ "message_id": id.to_string() }).to_string())
            .bind(now)
            .execute(&mut *$tx)
            .await?;
            append_audit!(
                $tx,
                $pg,
                actor.entry(
                    "message.hide_request",
                    "message",
                    Some(id.to_string()),
                    None,
                    None
                ),
                now
            );
        }
        (fired, assigned, hidden)
    }};
}

impl Store {
    /// Ingest a batch of inbound messages (see the module documentation). Returns what became of
    /// each, in order. Messages on unknown channels are skipped (`UnknownChannel`).
    pub async fn ingest(
        &self,
        items: &[Incoming],
        policy: &dyn ResponsePolicy,
    ) -> Result<IngestReport> {
        let now = self.now();
        let mut outcomes = vec![Outcome::Imported; items.len()];
        if items.is_empty() {
            return Ok(IngestReport {
                outcomes,
                ..IngestReport::default()
            });
        }
        let mut report_counts = (0usize, 0usize, 0usize);
        let channel_ids: Vec<Uuid> = {
            let set: HashSet<Uuid> = items.iter().map(|i| i.message.channel.0).collect();
            set.into_iter().collect()
        };
        // The conversations that received new messages: announced on the live bus after commit.
        let mut touched: Vec<(OrgId, WorkspaceId, ChannelId, ConversationId)> = Vec::new();
        let events = with_tx!(self, |tx, pg| {
            // Channels, their workspace and organisation.
            let mut channels: HashMap<Uuid, ChannelInfo> = HashMap::new();
            {
                let mut q = QueryBuilder::new(
                    "SELECT c.id, c.workspace_id, w.org_id, c.network, c.name, c.handle, c.simulated, \
                     cc.account_id, cc.auth_kind FROM channels c JOIN workspaces w ON w.id = c.workspace_id \
                     LEFT JOIN channel_credentials cc ON cc.channel_id = c.id WHERE c.id IN (",
                );
                let mut sep = q.separated(", ");
                for id in &channel_ids {
                    sep.push_bind(*id);
                }
                q.push(")");
                for row in q.build().fetch_all(&mut *tx).await? {
                    let id: Uuid = row.try_get(0)?;
                    let auth = match row.try_get::<Option<String>, _>(8)? {
                        None => owlery_domain::org::AuthKind::Standard,
                        Some(code) => owlery_domain::org::AuthKind::parse(&code)
                            .ok_or_else(|| corrupt("auth kind"))?,
                    };
                    channels.insert(
                        id,
                        ChannelInfo {
                            workspace: WorkspaceId(row.try_get(1)?),
                            org: OrgId(row.try_get(2)?),
                            network: row.try_get(3)?,
                            name: row.try_get(4)?,
                            handle: row.try_get(5)?,
                            simulated: row.try_get(6)?,
                            account_id: row.try_get(7)?,
                            auth,
                        },
                    );
                }
            }

            // Dedupe within the batch: a repeat with the same text adds nothing; with new text it
            // replaces the earlier one's text (as if applied in order).
            let mut texts: Vec<Option<String>> = vec![None; items.len()];
            let mut edited_in_batch: HashSet<usize> = HashSet::new();
            let mut first_of: HashMap<(Uuid, &str), usize> = HashMap::new();
            for (i, item) in items.iter().enumerate() {
                let m = &item.message;
                if !channels.contains_key(&m.channel.0) {
                    outcomes[i] = Outcome::UnknownChannel;
                    continue;
                }
                match first_of.get(&(m.channel.0, m.remote_id.as_str())) {
                    Some(&j) => {
                        let current = texts[j].as_deref().unwrap_or(&items[j].message.text);
                        if current == m.text {
                            outcomes[i] = Outcome::Duplicate;
                        } else {
                            texts[j] = Some(m.text.clone());
                            edited_in_batch.insert(j);
                            outcomes[i] = Outcome::Edited;
                        }
                    }
                    None => {
                        first_of.insert((m.channel.0, m.remote_id.as_str()), i);
                    }
                }
            }
            let text_of =
                |i: usize| -> &str { texts[i].as_deref().unwrap_or(&items[i].message.text) };

            // Known messages: duplicates or edits.
            let mut by_channel: HashMap<Uuid, Vec<usize>> = HashMap::new();
            for (&(ch, _), &i) in &first_of {
                by_channel.entry(ch).or_default().push(i);
            }
            let mut existing: HashMap<usize, (Uuid, String)> = HashMap::new();
            for (ch, idx) in &by_channel {
                let mut remote_index: HashMap<&str, usize> = HashMap::new();
                for &i in idx {
                    remote_index.insert(items[i].message.remote_id.as_str(), i);
                }
                for chunk in idx.chunks(ROWS_PER_STATEMENT * 2) {
                    let mut q = QueryBuilder::new(
                        "SELECT remote_id, id, text FROM inbox_messages WHERE channel_id = ",
                    );
                    q.push_bind(*ch);
                    q.push(" AND remote_id IN (");
                    let mut sep = q.separated(", ");
                    for &i in chunk {
                        sep.push_bind(items[i].message.remote_id.as_str());
                    }
                    q.push(")");
                    for row in q.build().fetch_all(&mut *tx).await? {
                        let remote: String = row.try_get(0)?;
                        if let Some(&i) = remote_index.get(remote.as_str()) {
                            existing.insert(i, (row.try_get(1)?, row.try_get(2)?));
                        }
                    }
                }
            }
            for (&i, (id, old_text)) in &existing {
                if old_text == text_of(i) {
                    if !edited_in_batch.contains(&i) {
                        outcomes[i] = Outcome::Duplicate;
                    }
                    continue;
                }
                outcomes[i] = Outcome::Edited;
                let t = &items[i].triage;
                sqlx::query(
                    "UPDATE inbox_messages SET text = $1, edited_at = $2, language = $3, \
                     sentiment = $4, intent = $5, urgency = $6 WHERE id = $7",
                )
                .bind(text_of(i))
                .bind(now)
                .bind(&t.language)
                .bind(t.sentiment.code())
                .bind(t.intent.code())
                .bind(t.urgency.code())
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            }

            // What is new, in input order.
            let mut new: Vec<usize> = first_of
                .values()
                .copied()
                .filter(|i| !existing.contains_key(i))
                .collect();
            new.sort_unstable();
            if new.is_empty() {
                return Ok(Vec::new());
            }

            // Contacts: one identity per (organisation, network, author id).
            let mut contact_of: HashMap<(OrgId, &str, &str), Uuid> = HashMap::new();
            let mut wanted: HashMap<(OrgId, &str), Vec<usize>> = HashMap::new();
            for &i in &new {
                let m = &items[i].message;
                let info = &channels[&m.channel.0];
                wanted
                    .entry((info.org, info.network.as_str()))
                    .or_default()
                    .push(i);
            }
            for ((org, network), idx) in &wanted {
                let mut seen: HashSet<&str> = HashSet::new();
                let authors: Vec<usize> = idx
                    .iter()
                    .copied()
                    .filter(|&i| seen.insert(items[i].message.author.remote_id.as_str()))
                    .collect();
                for chunk in authors.chunks(ROWS_PER_STATEMENT * 2) {
                    let mut q = QueryBuilder::new(
                        "SELECT remote_id, contact_id, handle, name, followers \
                         FROM inbox_contact_identities WHERE org_id = ",
                    );
                    q.push_bind(org.0);
                    q.push(" AND network = ");
                    q.push_bind(*network);
                    q.push(" AND remote_id IN (");
                    let mut sep = q.separated(", ");
                    for &i in chunk {
                        sep.push_bind(items[i].message.author.remote_id.as_str());
                    }
                    q.push(")");
                    let rows = q.build().fetch_all(&mut *tx).await?;
                    let mut known: HashMap<String, (Uuid, String, String, Option<i64>)> =
                        HashMap::new();
                    for row in rows {
                        known.insert(
                            row.try_get(0)?,
                            (
                                row.try_get(1)?,
                                row.try_get(2)?,
                                row.try_get(3)?,
                                row.try_get(4)?,
                            ),
                        );
                    }
                    let mut fresh: Vec<(Uuid, usize)> = Vec::new();
                    for &i in chunk {
                        let a = &items[i].message.author;
                        match known.get(a.remote_id.as_str()) {
                            Some((contact, handle, name, followers)) => {
                                contact_of.insert((*org, network, a.remote_id.as_str()), *contact);
                                let f = a.followers.map(|f| i64::try_from(f).unwrap_or(i64::MAX));
                                if *handle != a.handle
                                    || *name != a.name
                                    || (f.is_some() && f != *followers)
                                {
                                    let f = f.or(*followers);
                                    sqlx::query(
                                        "UPDATE inbox_contact_identities SET handle = $1, name = $2, \
                                         followers = $3 WHERE org_id = $4 AND network = $5 AND remote_id = $6",
                                    )
                                    .bind(&a.handle)
                                    .bind(&a.name)
                                    .bind(f)
                                    .bind(org.0)
                                    .bind(*network)
                                    .bind(&a.remote_id)
                                    .execute(&mut *tx)
                                    .await?;
                                    sqlx::query(
                                        "UPDATE inbox_contacts SET handle = $1, name = $2, followers = $3, \
                                         updated_at = $4 WHERE id = $5",
                                    )
                                    .bind(&a.handle)
                                    .bind(&a.name)
                                    .bind(f)
                                    .bind(now)
                                    .bind(*contact)
                                    .execute(&mut *tx)
                                    .await?;
                                }
                            }
                            None => {
                                let id = Uuid::now_v7();
                                contact_of.insert((*org, network, a.remote_id.as_str()), id);
                                fresh.push((id, i));
                            }
                        }
                    }
                    for part in fresh.chunks(ROWS_PER_STATEMENT) {
                        let mut q = QueryBuilder::new(
                            "INSERT INTO inbox_contacts (id, org_id, name, handle, followers, created_at, updated_at) ",
                        );
                        q.push_values(part, |mut b, (id, i)| {
                            let a = &items[*i].message.author;
                            b.push_bind(*id)
                                .push_bind(org.0)
                                .push_bind(a.name.as_str())
                                .push_bind(a.handle.as_str())
                                .push_bind(
                                    a.followers.map(|f| i64::try_from(f).unwrap_or(i64::MAX)),
                                )
                                .push_bind(now)
                                .push_bind(now);
                        });
                        q.build().execute(&mut *tx).await?;
                        let mut q = QueryBuilder::new(
                            "INSERT INTO inbox_contact_identities (org_id, network, remote_id, contact_id, handle, name, followers) ",
                        );
                        q.push_values(part, |mut b, (id, i)| {
                            let a = &items[*i].message.author;
                            b.push_bind(org.0)
                                .push_bind(*network)
                                .push_bind(a.remote_id.as_str())
                                .push_bind(*id)
                                .push_bind(a.handle.as_str())
                                .push_bind(a.name.as_str())
                                .push_bind(
                                    a.followers.map(|f| i64::try_from(f).unwrap_or(i64::MAX)),
                                );
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                }
            }
            let contact_for = |i: usize| -> Result<Uuid> {
                let m = &items[i].message;
                let info = &channels[&m.channel.0];
                contact_of
                    .get(&(info.org, info.network.as_str(), m.author.remote_id.as_str()))
                    .copied()
                    .ok_or_else(|| StoreError::Corrupt("contact not resolved".into()))
            };

            // Conversations: group the new messages by thread.
            let mut groups: Vec<Group> = Vec::new();
            let mut group_of_key: HashMap<(Uuid, String), usize> = HashMap::new();
            let mut group_of_msg: Vec<usize> = vec![0; items.len()];
            for &i in &new {
                let m = &items[i].message;
                let key = m.thread_key();
                let g = match group_of_key.get(&(m.channel.0, key.clone())) {
                    Some(&g) => {
                        let grp = &mut groups[g];
                        grp.count += 1;
                        if m.created_at < grp.earliest {
                            grp.earliest = m.created_at;
                        }
                        if m.created_at >= grp.latest {
                            grp.latest = m.created_at;
                            grp.latest_index = i;
                        }
                        g
                    }
                    None => {
                        groups.push(Group {
                            channel: m.channel,
                            workspace: channels[&m.channel.0].workspace,
                            key: key.clone(),
                            kind: m.kind,
                            post: m.post_remote_id().map(str::to_owned),
                            contact: contact_for(i)?,
                            earliest: m.created_at,
                            latest: m.created_at,
                            latest_index: i,
                            count: 1,
                            id: Uuid::now_v7(),
                        });
                        group_of_key.insert((m.channel.0, key), groups.len() - 1);
                        groups.len() - 1
                    }
                };
                group_of_msg[i] = g;
            }
            // What the store already has of these conversations.
            let mut known: HashMap<(Uuid, String), ExistingConversation> = HashMap::new();
            let mut by_channel: HashMap<Uuid, Vec<usize>> = HashMap::new();
            for (g, grp) in groups.iter().enumerate() {
                by_channel.entry(grp.channel.0).or_default().push(g);
            }
            for (ch, gs) in &by_channel {
                for chunk in gs.chunks(ROWS_PER_STATEMENT * 2) {
                    let mut q = QueryBuilder::new(
                        "SELECT remote_key, id, first_response_due, first_responded_at, \
                         next_response_due, priority, assignee_id, team_id, next_response_warn_at \
                         FROM inbox_conversations WHERE channel_id = ",
                    );
                    q.push_bind(*ch);
                    q.push(" AND remote_key IN (");
                    let mut sep = q.separated(", ");
                    for &g in chunk {
                        sep.push_bind(groups[g].key.as_str());
                    }
                    q.push(")");
                    for row in q.build().fetch_all(&mut *tx).await? {
                        let key: String = row.try_get(0)?;
                        let priority: String = row.try_get(5)?;
                        known.insert(
                            (*ch, key),
                            ExistingConversation {
                                id: row.try_get(1)?,
                                first_response_due: row.try_get(2)?,
                                first_responded_at: row.try_get(3)?,
                                next_response_due: row.try_get(4)?,
                                priority: Priority::parse(&priority)
                                    .ok_or_else(|| corrupt("priority"))?,
                                assignee: row.try_get(6)?,
                                team: row.try_get(7)?,
                                warn_at: row.try_get(8)?,
                            },
                        );
                    }
                }
            }
            // Routing: the organisation's rules over each new message, a team's automatic
            // assignment, and the SLA policy (team → workspace → default) for the deadlines.
            let mut setups: HashMap<OrgId, crate::inbox_rules::RoutingSetup> = HashMap::new();
            for grp in &groups {
                let org = channels[&grp.channel.0].org;
                if let std::collections::hash_map::Entry::Vacant(v) = setups.entry(org) {
                    v.insert(crate::inbox_rules::load_routing!(tx, org));
                }
            }
            let mut contact_tags: HashMap<Uuid, Vec<String>> = HashMap::new();
            if setups.values().any(|s| s.needs_contact_tags) {
                let ids: Vec<Uuid> = {
                    let set: HashSet<Uuid> = groups.iter().map(|g| g.contact).collect();
                    set.into_iter().collect()
                };
                for chunk in ids.chunks(ROWS_PER_STATEMENT * 2) {
                    let mut q =
                        QueryBuilder::new("SELECT id, tags FROM inbox_contacts WHERE id IN (");
                    let mut sep = q.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    q.push(")");
                    for row in q.build().fetch_all(&mut *tx).await? {
                        let tags: String = row.try_get(1)?;
                        contact_tags.insert(
                            row.try_get(0)?,
                            serde_json::from_str(&tags).unwrap_or_default(),
                        );
                    }
                }
            }
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
            for &i in &new {
                members[group_of_msg[i]].push(i);
            }
            let mut routed: Vec<Routed> = Vec::with_capacity(groups.len());
            let mut hide: Vec<usize> = Vec::new();
            for (g, grp) in groups.iter().enumerate() {
                let info = &channels[&grp.channel.0];
                let setup = &setups[&info.org];
                let existing = known.get(&(grp.channel.0, grp.key.clone()));
                let (ws_team, hide_abusive) = setup
                    .workspaces
                    .get(&grp.workspace.0)
                    .copied()
                    .unwrap_or((None, false));
                let mut fired: Vec<&owlery_domain::inbox::rules::Rule> = Vec::new();
                let mut auto_replies: Vec<AutoReplyPlan> = Vec::new();
                for &i in &members[g] {
                    let m = &items[i].message;
                    let t = &items[i].triage;
                    let mut rule_hides = false;
                    if !setup.rules.is_empty() {
                        let facts = owlery_domain::inbox::rules::Facts {
                            channel: m.channel,
                            workspace: grp.workspace,
                            network: info.network.clone(),
                            language: t.language.clone(),
                            intent: t.intent,
                            sentiment: t.sentiment,
                            urgency: t.urgency,
                            kind: m.kind,
                            contact_tags: contact_tags
                                .get(&grp.contact)
                                .cloned()
                                .unwrap_or_default(),
                            followers: m.author.followers,
                            words: owlery_domain::inbox::rules::fold_words(text_of(i)),
                        };
                        for r in owlery_domain::inbox::rules::evaluate(&setup.rules, &facts) {
                            rule_hides |= r
                                .spec
                                .actions
                                .contains(&owlery_domain::inbox::rules::Action::HideOnNetwork);
                            // One answer per rule and conversation: to the latest message it
                            // fired on.
                            for a in &r.spec.actions {
                                if let owlery_domain::inbox::rules::Action::AutoReply {
                                    saved_reply_id,
                                } = a
                                {
                                    match auto_replies.iter_mut().find(|p| p.rule.id == r.id) {
                                        Some(p) => {
                                            if m.created_at >= items[p.message].message.created_at {
                                                p.message = i;
                                            }
                                        }
                                        None => auto_replies.push(AutoReplyPlan {
                                            rule: r.clone(),
                                            saved_reply: *saved_reply_id,
                                            message: i,
                                        }),
                                    }
                                }
                            }
                            if !fired.iter().any(|f| f.id == r.id) {
                                fired.push(r);
                            }
                        }
                    }
                    let abusive = t.intent == Intent::Abuse && hide_abusive;
                    if (rule_hides || abusive) && m.kind != MessageKind::Dm {
                        hide.push(i);
                    }
                }
                let outcome = owlery_domain::inbox::rules::Outcome::of(fired.iter().copied());
                let mut r = Routed {
                    fired: fired
                        .iter()
                        .map(|f| (f.id, f.spec.name.clone(), f.spec.actions.clone()))
                        .collect(),
                    tags: outcome.tags.clone(),
                    notify: outcome
                        .notify
                        .iter()
                        .map(|u| u.0)
                        .filter(|u| setup.users.contains(u))
                        .collect(),
                    priority: outcome.priority,
                    status: outcome.status,
                    escalate: outcome.escalate,
                    auto_replies,
                    title: first_line(text_of(grp.latest_index), 80),
                    ..Routed::default()
                };
                let rule_team = outcome
                    .team
                    .map(|t| t.0)
                    .filter(|t| setup.teams.contains_key(t));
                let rule_person = outcome
                    .person
                    .map(|u| u.0)
                    .filter(|u| setup.users.contains(u));
                match existing {
                    None => {
                        r.team = rule_team
                            .or(ws_team.map(|t| t.0).filter(|t| setup.teams.contains_key(t)));
                        r.assignee = rule_person;
                    }
                    Some(e) => {
                        r.team = rule_team.or(e.team);
                        r.assignee = e.assignee.or(rule_person);
                    }
                }
                r.assigned_now =
                    r.assignee.is_some() && existing.and_then(|e| e.assignee).is_none();
                routed.push(r);
            }
            // Automatic assignment, per team, in batch order.
            let mut by_team: HashMap<Uuid, Vec<usize>> = HashMap::new();
            for (g, r) in routed.iter().enumerate() {
                if r.assignee.is_none()
                    && let Some(t) = r.team
                {
                    by_team.entry(t).or_default().push(g);
                }
            }
            let mut team_order: Vec<Uuid> = by_team.keys().copied().collect();
            team_order.sort_unstable();
            for t in team_order {
                let gs = &by_team[&t];
                let org = channels[&groups[gs[0]].channel.0].org;
                let Some(row) = setups[&org].teams.get(&t) else {
                    continue;
                };
                if row.mode == owlery_domain::inbox::assignment::AssignmentMode::Manual {
                    continue;
                }
                let picks = crate::inbox_rules::assign_in_team!(tx, pg, TeamId(t), row, gs.len());
                for (&g, p) in gs.iter().zip(picks) {
                    if let Some(u) = p {
                        routed[g].assignee = Some(u.0);
                        routed[g].assigned_now = true;
                    }
                }
            }
            // Deadlines, from the policy: a new wait starts at the earliest new message.
            let mut dues: Vec<(Due, Due)> = Vec::with_capacity(groups.len());
            for (g, grp) in groups.iter_mut().enumerate() {
                let org = channels[&grp.channel.0].org;
                let setup = &setups[&org];
                let existing = known.get(&(grp.channel.0, grp.key.clone()));
                let priority = routed[g]
                    .priority
                    .or(existing.map(|e| e.priority))
                    .unwrap_or(Priority::Normal);
                let team = routed[g].team.map(TeamId);
                let found =
                    owlery_domain::sla::book::choose(&setup.scoped, grp.workspace, team, priority);
                // A business-hours policy for everyone counts in the conversation's team's hours.
                let adjusted = match (found, team.and_then(|t| setup.teams.get(&t.0))) {
                    (Some(c), Some(tr)) if c.team.is_none() && setup.business.contains(&c.id) => {
                        let mut c = c.clone();
                        c.policy.schedule = tr.schedule.clone();
                        Some(c)
                    }
                    _ => None,
                };
                let chosen = adjusted.as_ref().or(found);
                routed[g].policy = chosen.map(|c| c.id.0);
                let p: &dyn ResponsePolicy = match chosen {
                    Some(c) => &c.policy,
                    None => policy,
                };
                match existing {
                    None => {
                        let due = p.due(grp.earliest, ResponseTarget::First, priority);
                        routed[g].warn_at =
                            Some(p.warn_from(grp.earliest, ResponseTarget::First, priority));
                        dues.push((Some(due), Some(due)));
                    }
                    Some(e) => {
                        grp.id = e.id;
                        let first = e
                            .first_response_due
                            .or_else(|| Some(p.due(grp.earliest, ResponseTarget::First, priority)));
                        let (next, warn) = match (e.next_response_due, e.first_responded_at) {
                            (Some(running), _) => (Some(running), e.warn_at),
                            (None, None) => (
                                Some(p.due(grp.earliest, ResponseTarget::First, priority)),
                                Some(p.warn_from(grp.earliest, ResponseTarget::First, priority)),
                            ),
                            (None, Some(_)) => (
                                Some(p.due(grp.earliest, ResponseTarget::Next, priority)),
                                Some(p.warn_from(grp.earliest, ResponseTarget::Next, priority)),
                            ),
                        };
                        routed[g].warn_at = warn;
                        dues.push((first, next));
                    }
                }
            }
            let greatest = if pg { "GREATEST" } else { "MAX" };
            let order: Vec<usize> = (0..groups.len()).collect();
            for part in order.chunks(ROWS_PER_STATEMENT) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO inbox_conversations (id, workspace_id, channel_id, kind, remote_key, \
                     post_remote_id, contact_id, status, priority, language, sentiment, intent, urgency, \
                     preview, first_response_due, next_response_due, last_message_at, last_inbound_at, \
                     message_count, unanswered_count, created_at, updated_at, team_id, assignee_id, \
                     opened_at, sla_policy_id, next_response_warn_at) ",
                );
                q.push_values(part, |mut b, &g| {
                    let grp = &groups[g];
                    let latest = &items[grp.latest_index];
                    let t = &latest.triage;
                    b.push_bind(grp.id)
                        .push_bind(grp.workspace.0)
                        .push_bind(grp.channel.0)
                        .push_bind(grp.kind.code())
                        .push_bind(grp.key.as_str())
                        .push_bind(grp.post.as_deref())
                        .push_bind(grp.contact)
                        .push_bind(routed[g].status.unwrap_or(ConversationStatus::Open).code())
                        .push_bind(
                            routed[g]
                                .priority
                                .or(known
                                    .get(&(grp.channel.0, grp.key.clone()))
                                    .map(|e| e.priority))
                                .unwrap_or(Priority::Normal)
                                .code(),
                        )
                        .push_bind(t.language.as_str())
                        .push_bind(t.sentiment.code())
                        .push_bind(t.intent.code())
                        .push_bind(t.urgency.code())
                        .push_bind(first_line(text_of(grp.latest_index), PREVIEW_CHARS))
                        .push_bind(dues[g].0)
                        .push_bind(dues[g].1)
                        .push_bind(grp.latest)
                        .push_bind(grp.latest)
                        .push_bind(grp.count)
                        .push_bind(grp.count)
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(routed[g].team)
                        .push_bind(routed[g].assignee)
                        .push_bind(grp.earliest)
                        .push_bind(routed[g].policy)
                        .push_bind(routed[g].warn_at);
                });
                q.push(format!(
                    " ON CONFLICT (channel_id, remote_key) DO UPDATE SET \
                     status = excluded.status, \
                     priority = excluded.priority, \
                     team_id = excluded.team_id, \
                     assignee_id = COALESCE(inbox_conversations.assignee_id, excluded.assignee_id), \
                     opened_at = COALESCE(inbox_conversations.opened_at, excluded.opened_at), \
                     sla_policy_id = excluded.sla_policy_id, \
                     next_response_warn_at = excluded.next_response_warn_at, \
                     first_response_due = excluded.first_response_due, \
                     next_response_due = excluded.next_response_due, \
                     language = CASE WHEN inbox_conversations.last_inbound_at IS NULL OR excluded.last_inbound_at >= inbox_conversations.last_inbound_at THEN excluded.language ELSE inbox_conversations.language END, \
                     sentiment = CASE WHEN inbox_conversations.last_inbound_at IS NULL OR excluded.last_inbound_at >= inbox_conversations.last_inbound_at THEN excluded.sentiment ELSE inbox_conversations.sentiment END, \
                     intent = CASE WHEN inbox_conversations.last_inbound_at IS NULL OR excluded.last_inbound_at >= inbox_conversations.last_inbound_at THEN excluded.intent ELSE inbox_conversations.intent END, \
                     urgency = CASE WHEN inbox_conversations.last_inbound_at IS NULL OR excluded.last_inbound_at >= inbox_conversations.last_inbound_at THEN excluded.urgency ELSE inbox_conversations.urgency END, \
                     preview = CASE WHEN excluded.last_message_at >= inbox_conversations.last_message_at THEN excluded.preview ELSE inbox_conversations.preview END, \
                     last_message_at = {greatest}(inbox_conversations.last_message_at, excluded.last_message_at), \
                     last_inbound_at = {greatest}(COALESCE(inbox_conversations.last_inbound_at, excluded.last_inbound_at), excluded.last_inbound_at), \
                     message_count = inbox_conversations.message_count + excluded.message_count, \
                     unanswered_count = inbox_conversations.unanswered_count + excluded.unanswered_count, \
                     updated_at = excluded.updated_at \
                     RETURNING id, channel_id, remote_key"
                ));
                // A conversation made concurrently by another writer keeps its id: take what the
                // database says.
                for row in q.build().fetch_all(&mut *tx).await? {
                    let id: Uuid = row.try_get(0)?;
                    let ch: Uuid = row.try_get(1)?;
                    let key: String = row.try_get(2)?;
                    if let Some(&g) = group_of_key.get(&(ch, key)) {
                        groups[g].id = id;
                    }
                }
            }
            touched.clear();
            for grp in &groups {
                if let Some(info) = channels.get(&grp.channel.0) {
                    touched.push((info.org, grp.workspace, grp.channel, ConversationId(grp.id)));
                }
            }

            // The messages.
            let mut message_ids: HashMap<usize, Uuid> = HashMap::with_capacity(new.len());
            for &i in &new {
                message_ids.insert(i, Uuid::now_v7());
            }
            for part in new.chunks(ROWS_PER_STATEMENT) {
                let mut q = QueryBuilder::new(
                    "INSERT INTO inbox_messages (id, conversation_id, channel_id, remote_id, direction, \
                     kind, author_contact_id, text, media, url, in_reply_to, created_at, received_at, \
                     language, sentiment, intent, urgency, scores, edited_at) ",
                );
                let mut err: Option<StoreError> = None;
                q.push_values(part, |mut b, &i| {
                    let m = &items[i].message;
                    let t = &items[i].triage;
                    let contact = match contact_for(i) {
                        Ok(c) => c,
                        Err(e) => {
                            err = Some(e);
                            Uuid::nil()
                        }
                    };
                    let media = if m.media.is_empty() {
                        "[]".to_owned()
                    } else {
                        serde_json::to_string(&m.media).unwrap_or_else(|_| "[]".into())
                    };
                    let [neg, neu, pos] = t.sentiment_scores;
                    let scores = format!(
                        "{{\"negative\":{neg:.4},\"neutral\":{neu:.4},\"positive\":{pos:.4},\"intent\":{:.4}}}",
                        t.intent_score
                    );
                    b.push_bind(message_ids.get(&i).copied().unwrap_or_else(Uuid::now_v7))
                        .push_bind(groups[group_of_msg[i]].id)
                        .push_bind(m.channel.0)
                        .push_bind(m.remote_id.as_str())
                        .push_bind("inbound")
                        .push_bind(m.kind.code())
                        .push_bind(contact)
                        .push_bind(text_of(i).to_owned())
                        .push_bind(media)
                        .push_bind(m.url.as_deref())
                        .push_bind(m.in_reply_to_remote_id.as_deref())
                        .push_bind(m.created_at)
                        .push_bind(now)
                        .push_bind(t.language.as_str())
                        .push_bind(t.sentiment.code())
                        .push_bind(t.intent.code())
                        .push_bind(t.urgency.code())
                        .push_bind(scores)
                        .push_bind(edited_in_batch.contains(&i).then_some(now));
                });
                if let Some(e) = err {
                    return Err(e);
                }
                q.build().execute(&mut *tx).await?;
            }
            for (g, r) in routed.iter_mut().enumerate() {
                let grp = &groups[g];
                let info = &channels[&grp.channel.0];
                let plans = std::mem::take(&mut r.auto_replies);
                for plan in plans {
                    let item = &items[plan.message];
                    let result = crate::inbox_replies::send_auto_reply!(
                        tx,
                        pg,
                        self,
                        grp,
                        info,
                        &item.message,
                        &item.triage,
                        &plan,
                        now
                    );
                    r.auto_results.insert(plan.rule.id, result);
                }
                if r.escalate {
                    let setup = &setups[&info.org];
                    let lead = r
                        .team
                        .and_then(|t| setup.teams.get(&t))
                        .and_then(|t| t.lead)
                        .filter(|u| setup.users.contains(&u.0));
                    // No team, or a team without a lead: the organisation's inbox managers
                    // (organisation-wide `inbox:approve`), so an escalation always reaches someone.
                    r.escalate_to = match lead {
                        Some(l) => vec![l.0],
                        None => crate::inbox_replies::holders_of!(
                            tx,
                            owlery_domain::Permission::InboxApprove,
                            None,
                            None
                        ),
                    };
                }
            }
            report_counts = apply_routing!(tx, pg, groups, routed, hide, message_ids, now);
            // Other processes on a SQLite file hear of it when this commits (live.rs; on a big
            // batch one "re-read" row, not one per conversation).
            let events: Vec<LiveEvent> = touched
                .iter()
                .map(|&(org, workspace, channel, conversation)| {
                    LiveEvent::new(
                        org,
                        workspace,
                        channel,
                        conversation,
                        LiveKind::Conversation {
                            change: Change::Message,
                            status: Some(ConversationStatus::Open.code().to_owned()),
                            by: None,
                        },
                    )
                })
                .collect();
            Outbox::record(&mut *tx, self.live(), &events).await?;
            Ok(events)
        })?;
        self.live().publish(events).await;
        Ok(IngestReport {
            outcomes,
            rules_fired: report_counts.0,
            assigned: report_counts.1,
            hide_requested: report_counts.2,
        })
    }

    /// Record one audit event for an import run (the messages themselves are not audited one by
    /// one: they are the network's, not a person's change).
    pub async fn audit_inbox_import(
        &self,
        actor: &Actor,
        summary: serde_json::Value,
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            append_audit!(
                tx,
                pg,
                actor.entry("inbox.import", "inbox", None, None, Some(summary)),
                now
            );
            Ok(())
        })
    }

    /// The inbox list: newest activity first, one page of at most `limit` (1–200).
    pub async fn list_conversations(
        &self,
        org: OrgId,
        scope: &InboxScope,
        filter: &ConversationFilter,
        cursor: Option<Cursor>,
        limit: u32,
    ) -> Result<ConversationPage> {
        let now = self.now();
        let limit = i64::from(limit.clamp(1, 200));
        let mut items: Vec<ConversationSummary> = with_pool!(self, |pool, pg| {
            let mut q = QueryBuilder::new(summary_select(pg));
            q.push(" WHERE w.org_id = ");
            q.push_bind(org.0);
            push_scope(&mut q, scope, pg);
            if let Some(w) = filter.workspace {
                q.push(" AND c.workspace_id = ").push_bind(w.0);
            }
            if let Some(ch) = filter.channel {
                q.push(" AND c.channel_id = ").push_bind(ch.0);
            }
            if let Some(n) = &filter.network {
                q.push(" AND ch.network = ").push_bind(n.clone());
            }
            if let Some(s) = filter.status {
                q.push(" AND c.status = ").push_bind(s.code());
            }
            match filter.assignee {
                Some(Some(u)) => {
                    q.push(" AND c.assignee_id = ").push_bind(u.0);
                }
                Some(None) => {
                    q.push(" AND c.assignee_id IS NULL");
                }
                None => {}
            }
            if let Some(t) = filter.team {
                q.push(" AND c.team_id = ").push_bind(t.0);
            }
            if let Some(tag) = &filter.tag {
                q.push(" AND EXISTS (SELECT 1 FROM inbox_conversation_tags t WHERE t.conversation_id = c.id AND t.tag = ")
                    .push_bind(tag.clone())
                    .push(")");
            }
            if let Some(s) = filter.sentiment {
                q.push(" AND c.sentiment = ").push_bind(s.code());
            }
            if let Some(i) = filter.intent {
                q.push(" AND c.intent = ").push_bind(i.code());
            }
            if let Some(l) = &filter.language {
                // Not through the language index on SQLite: it would sort every conversation in
                // that language (see `summary_select`).
                q.push(if pg {
                    " AND c.language = "
                } else {
                    " AND +c.language = "
                })
                .push_bind(l.clone());
            }
            if let Some(contact) = filter.contact {
                q.push(" AND c.contact_id = ").push_bind(contact.0);
            }
            match filter.sla {
                Some(SlaState::Breached) => {
                    q.push(" AND c.next_response_due <= ").push_bind(now);
                }
                Some(SlaState::DueSoon) => {
                    q.push(" AND c.next_response_due > ")
                        .push_bind(now)
                        .push(" AND c.next_response_due <= ")
                        .push_bind(now + DUE_SOON);
                }
                Some(SlaState::Ok) => {
                    q.push(" AND (c.next_response_due IS NULL OR c.next_response_due > ")
                        .push_bind(now + DUE_SOON)
                        .push(")");
                }
                None => {}
            }
            if let Some(c) = cursor {
                q.push(" AND (c.last_message_at < ")
                    .push_bind(c.last_message_at)
                    .push(" OR (c.last_message_at = ")
                    .push_bind(c.last_message_at)
                    .push(" AND c.id < ")
                    .push_bind(c.id.0)
                    .push("))");
            }
            q.push(" ORDER BY c.last_message_at DESC, c.id DESC LIMIT ")
                .push_bind(limit + 1);
            let rows = q.build().fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(summary_from_row!(row, now));
            }
            out
        });
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|c| {
                Cursor {
                    last_message_at: c.last_message_at,
                    id: c.id,
                }
                .encode()
            })
        } else {
            None
        };
        self.fill_tags(&mut items).await?;
        Ok(ConversationPage { items, next_cursor })
    }

    async fn fill_tags(&self, items: &mut [ConversationSummary]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let rows: Vec<(Uuid, String)> = with_pool!(self, |pool, _pg| {
            let mut q = QueryBuilder::new(
                "SELECT conversation_id, tag FROM inbox_conversation_tags WHERE conversation_id IN (",
            );
            let mut sep = q.separated(", ");
            for c in items.iter() {
                sep.push_bind(c.id.0);
            }
            q.push(") ORDER BY tag");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut by: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (c, t) in rows {
            by.entry(c).or_default().push(t);
        }
        for c in items {
            c.tags = by.remove(&c.id.0).unwrap_or_default();
        }
        Ok(())
    }

    /// One conversation, if it is in the organisation and the scope.
    pub async fn conversation(
        &self,
        org: OrgId,
        scope: &InboxScope,
        id: ConversationId,
    ) -> Result<ConversationDetail> {
        let conversation = self.conversation_summary(org, scope, id).await?;
        let messages: Vec<Message> = with_pool!(self, |pool, _pg| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {MESSAGE_COLUMNS} FROM inbox_messages WHERE conversation_id = $1 \
                 ORDER BY created_at DESC LIMIT $2"
            )))
            .bind(id.0)
            .bind(MAX_THREAD_MESSAGES)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(message_from_row!(row));
            }
            out.reverse();
            out
        });
        let contact = self.contact(org, conversation.contact.id).await?;
        let mut history = self
            .list_conversations(
                org,
                scope,
                &ConversationFilter {
                    contact: Some(contact.id),
                    ..ConversationFilter::default()
                },
                None,
                20,
            )
            .await?
            .items;
        history.retain(|c| c.id != id);
        Ok(ConversationDetail {
            conversation,
            messages,
            contact,
            history,
        })
    }

    /// A contact of the organisation, with their network identities.
    pub async fn contact(&self, org: OrgId, id: ContactId) -> Result<Contact> {
        let (row, identities) = with_pool!(self, |pool, _pg| {
            let row: Option<ContactRow> = sqlx::query_as(
                "SELECT id, name, handle, followers, tags, created_at FROM inbox_contacts \
                     WHERE id = $1 AND org_id = $2",
            )
            .bind(id.0)
            .bind(org.0)
            .fetch_optional(pool)
            .await?;
            let identities: Vec<(String, String, String, String, Option<i64>)> = sqlx::query_as(
                "SELECT network, remote_id, handle, name, followers FROM inbox_contact_identities \
                 WHERE contact_id = $1 ORDER BY network, remote_id",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?;
            (row, identities)
        });
        let (id, name, handle, followers, tags, created_at) =
            row.ok_or(StoreError::NotFound("contact"))?;
        Ok(Contact {
            id: ContactId(id),
            name,
            handle,
            followers,
            tags: serde_json::from_str(&tags).unwrap_or_default(),
            identities: identities
                .into_iter()
                .map(|(network, remote_id, handle, name, followers)| Identity {
                    network,
                    remote_id,
                    handle,
                    name,
                    followers,
                })
                .collect(),
            created_at,
        })
    }

    /// Full-text search over messages (newest first) and contacts, within the scope.
    pub async fn search_inbox(
        &self,
        org: OrgId,
        scope: &InboxScope,
        q: &str,
        limit: u32,
    ) -> Result<SearchResults> {
        let terms = search_terms(q);
        if terms.is_empty() {
            return Ok(SearchResults {
                messages: Vec::new(),
                contacts: Vec::new(),
            });
        }
        let limit = i64::from(limit.clamp(1, 100));
        let (messages, contacts) = with_pool!(self, |pool, pg| {
            // Messages, newest first. On SQLite the full-text index is read newest-first in
            // windows (FTS5 walks row ids backwards without sorting), and each window is joined
            // and filtered by organisation and scope, until a page is full or the matches run
            // out: a common word costs one small window, not a join over all its matches.
            let mut messages = Vec::with_capacity(limit as usize);
            let mut before: Option<i64> = None;
            let mut window = limit * 4;
            loop {
                let mut q = QueryBuilder::new(
                    "SELECT m.id, m.conversation_id, ch.name, ch.network, ct.name, ct.handle, m.text, \
                     m.created_at FROM ",
                );
                if pg {
                    q.push(
                        "inbox_messages m JOIN inbox_conversations c ON c.id = m.conversation_id \
                         JOIN channels ch ON ch.id = m.channel_id JOIN workspaces w ON w.id = c.workspace_id \
                         JOIN inbox_contacts ct ON ct.id = c.contact_id \
                         WHERE m.search @@ to_tsquery('simple', ",
                    )
                    .push_bind(tsquery(&terms))
                    .push(")");
                } else {
                    q.push("(SELECT rowid AS seq FROM inbox_messages_fts WHERE inbox_messages_fts MATCH ")
                        .push_bind(fts5_query(&terms));
                    if let Some(b) = before {
                        q.push(" AND rowid < ").push_bind(b);
                    }
                    q.push(" ORDER BY rowid DESC LIMIT ")
                        .push_bind(window)
                        .push(
                            ") f CROSS JOIN inbox_messages m ON m.seq = f.seq \
                         CROSS JOIN inbox_conversations c ON c.id = m.conversation_id \
                         CROSS JOIN workspaces w ON w.id = c.workspace_id \
                         CROSS JOIN channels ch ON ch.id = m.channel_id \
                         CROSS JOIN inbox_contacts ct ON ct.id = c.contact_id WHERE 1 = 1",
                        );
                }
                q.push(" AND w.org_id = ").push_bind(org.0);
                push_scope(&mut q, scope, pg);
                if pg {
                    q.push(" ORDER BY m.received_at DESC, m.id DESC LIMIT ")
                        .push_bind(limit);
                } else {
                    q.push(" ORDER BY f.seq DESC");
                }
                let rows = q.build().fetch_all(pool).await?;
                for row in &rows {
                    if (messages.len() as i64) < limit {
                        messages.push(MessageHit {
                            message_id: MessageId(row.try_get(0)?),
                            conversation_id: ConversationId(row.try_get(1)?),
                            channel_name: row.try_get(2)?,
                            network: row.try_get(3)?,
                            contact_name: row.try_get(4)?,
                            contact_handle: row.try_get(5)?,
                            text: row.try_get(6)?,
                            created_at: row.try_get(7)?,
                        });
                    }
                }
                if pg || messages.len() as i64 >= limit {
                    break;
                }
                // Where the next window starts: below the lowest row id this one covered. The
                // window's own bound is not in the joined rows when the scope dropped them, so
                // ask the index for it.
                let mut q = QueryBuilder::new(
                    "SELECT MIN(seq), COUNT(*) FROM (SELECT rowid AS seq FROM inbox_messages_fts \
                     WHERE inbox_messages_fts MATCH ",
                );
                q.push_bind(fts5_query(&terms));
                if let Some(b) = before {
                    q.push(" AND rowid < ").push_bind(b);
                }
                q.push(" ORDER BY rowid DESC LIMIT ")
                    .push_bind(window)
                    .push(")");
                let (lowest, seen): (Option<i64>, i64) = q.build_query_as().fetch_one(pool).await?;
                match lowest {
                    Some(l) if seen >= window => before = Some(l),
                    _ => break,
                }
                window = (window * 4).min(SEARCH_WINDOW_MAX);
            }

            let mut q = QueryBuilder::new("SELECT ct.id, ct.name, ct.handle, ct.followers FROM ");
            if pg {
                q.push("inbox_contacts ct WHERE ct.search @@ to_tsquery('simple', ")
                    .push_bind(tsquery(&terms))
                    .push(")");
            } else {
                q.push("inbox_contacts_fts f CROSS JOIN inbox_contacts ct ON ct.seq = f.rowid WHERE inbox_contacts_fts MATCH ")
                    .push_bind(fts5_query(&terms));
            }
            q.push(" AND ct.org_id = ").push_bind(org.0);
            q.push(" AND EXISTS (SELECT 1 FROM inbox_conversations c WHERE c.contact_id = ct.id");
            push_scope(&mut q, scope, pg);
            q.push(")");
            q.push(if pg {
                " ORDER BY ct.updated_at DESC, ct.id DESC LIMIT "
            } else {
                " ORDER BY f.rowid DESC LIMIT "
            });
            q.push_bind(limit.min(20));
            let rows = q.build().fetch_all(pool).await?;
            let mut contacts = Vec::with_capacity(rows.len());
            for row in rows {
                contacts.push(ContactHit {
                    id: ContactId(row.try_get(0)?),
                    name: row.try_get(1)?,
                    handle: row.try_get(2)?,
                    followers: row.try_get(3)?,
                    latest_conversation: None,
                });
            }
            (messages, contacts)
        });
        let mut contacts = contacts;
        for c in &mut contacts {
            let page = self
                .list_conversations(
                    org,
                    scope,
                    &ConversationFilter {
                        contact: Some(c.id),
                        ..ConversationFilter::default()
                    },
                    None,
                    1,
                )
                .await?;
            c.latest_conversation = page.items.first().map(|s| s.id);
        }
        Ok(SearchResults { messages, contacts })
    }

    /// Change a conversation's status, priority, assignee, team or tags (audited). Closing it stops
    /// its running deadline; the assignee must be a member of the organisation.
    pub async fn update_conversation(
        &self,
        actor: &Actor,
        org: OrgId,
        scope: &InboxScope,
        id: ConversationId,
        patch: &ConversationPatch,
    ) -> Result<ConversationSummary> {
        let now = self.now();
        let before = self.conversation_summary(org, scope, id).await?;
        let tags: Option<Vec<String>> = match &patch.tags {
            None => None,
            Some(t) => {
                let mut out: Vec<String> = Vec::new();
                for tag in t {
                    let tag = owlery_domain::inbox::parse_tag(tag)?;
                    if !out.contains(&tag) {
                        out.push(tag);
                    }
                }
                if out.len() > 20 {
                    return Err(InvalidInput::new(
                        "tags",
                        "too_many_tags",
                        "A conversation has at most 20 tags.",
                    )
                    .into());
                }
                out.sort();
                Some(out)
            }
        };
        let event = updated_event(org, &before, patch.status.unwrap_or(before.status), actor);
        with_tx!(self, |tx, pg| {
            if let Some(Some(user)) = patch.assignee {
                let ok: Option<(Uuid,)> = sqlx::query_as(
                    "SELECT id FROM users WHERE id = $1 AND org_id = $2 AND status <> 'disabled'",
                )
                .bind(user.0)
                .bind(org.0)
                .fetch_optional(&mut *tx)
                .await?;
                if ok.is_none() {
                    return Err(InvalidInput::new(
                        "assignee_id",
                        "unknown_user",
                        "Assign the conversation to an active person of the organisation.",
                    )
                    .into());
                }
            }
            if let Some(Some(team)) = patch.team {
                let ok: Option<(Uuid,)> =
                    sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND org_id = $2")
                        .bind(team.0)
                        .bind(org.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                if ok.is_none() {
                    return Err(InvalidInput::new(
                        "team_id",
                        "unknown_team",
                        "Choose a team of the organisation.",
                    )
                    .into());
                }
            }
            if let Some(status) = patch.status {
                let clear_due = status == ConversationStatus::Closed;
                sqlx::query(if clear_due {
                    "UPDATE inbox_conversations SET status = $1, next_response_due = NULL, updated_at = $2 WHERE id = $3"
                } else {
                    "UPDATE inbox_conversations SET status = $1, updated_at = $2 WHERE id = $3"
                })
                .bind(status.code())
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(p) = patch.priority {
                sqlx::query(
                    "UPDATE inbox_conversations SET priority = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(p.code())
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(a) = patch.assignee {
                sqlx::query("UPDATE inbox_conversations SET assignee_id = $1, updated_at = $2 WHERE id = $3")
                    .bind(a.map(|u| u.0))
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(t) = patch.team {
                sqlx::query(
                    "UPDATE inbox_conversations SET team_id = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(t.map(|t| t.0))
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(tags) = &tags {
                sqlx::query("DELETE FROM inbox_conversation_tags WHERE conversation_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                for tag in tags {
                    sqlx::query(
                        "INSERT INTO inbox_conversation_tags (conversation_id, tag) VALUES ($1, $2)",
                    )
                    .bind(id.0)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let after = serde_json::json!({
                "status": patch.status.map(|s| s.code()),
                "priority": patch.priority.map(|p| p.code()),
                "assignee_id": patch.assignee.map(|a| a.map(|u| u.to_string())),
                "team_id": patch.team.map(|t| t.map(|t| t.to_string())),
                "tags": tags,
            });
            let before = serde_json::json!({
                "status": before.status.code(),
                "priority": before.priority.code(),
                "assignee_id": before.assignee_id.map(|u| u.to_string()),
                "team_id": before.team_id.map(|t| t.to_string()),
                "tags": before.tags,
            });
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "conversation.update",
                    "conversation",
                    Some(id.to_string()),
                    Some(before),
                    Some(after)
                ),
                now
            );
            Outbox::record(&mut *tx, self.live(), std::slice::from_ref(&event)).await?;
            Ok(())
        })?;
        let after = self.conversation_summary(org, scope, id).await?;
        self.live().publish(vec![event]).await;
        Ok(after)
    }

    pub async fn conversation_summary(
        &self,
        org: OrgId,
        scope: &InboxScope,
        id: ConversationId,
    ) -> Result<ConversationSummary> {
        let now = self.now();
        let mut v: Vec<ConversationSummary> = with_pool!(self, |pool, pg| {
            let mut q = QueryBuilder::new(summary_select(pg));
            q.push(" WHERE w.org_id = ").push_bind(org.0);
            push_scope(&mut q, scope, pg);
            q.push(" AND c.id = ").push_bind(id.0);
            let rows = q.build().fetch_all(pool).await?;
            let mut out = Vec::new();
            for row in rows {
                out.push(summary_from_row!(row, now));
            }
            out
        });
        self.fill_tags(&mut v).await?;
        v.pop().ok_or(StoreError::NotFound("conversation"))
    }

    /// The languages, and the tags, in use in the organisation's conversations (for filters).
    pub async fn inbox_facets(&self, org: OrgId) -> Result<(Vec<String>, Vec<String>)> {
        with_pool!(self, |pool, _pg| {
            // Both read the distinct values straight off an index, one probe per value (a loose
            // index scan), instead of every conversation: the filter form is on every inbox page.
            let langs: Vec<(String,)> = sqlx::query_as(
                "WITH RECURSIVE l(language) AS ( \
                   SELECT MIN(language) FROM inbox_conversations \
                   UNION ALL \
                   SELECT (SELECT MIN(c.language) FROM inbox_conversations c WHERE c.language > l.language) \
                   FROM l WHERE l.language IS NOT NULL) \
                 SELECT language FROM l WHERE language IS NOT NULL AND EXISTS ( \
                   SELECT 1 FROM inbox_conversations c WHERE c.language = l.language \
                   AND c.workspace_id IN (SELECT id FROM workspaces WHERE org_id = $1)) \
                 LIMIT 50",
            )
            .bind(org.0)
            .fetch_all(pool)
            .await?;
            let tags: Vec<(String,)> = sqlx::query_as(
                "WITH RECURSIVE t(tag) AS ( \
                   SELECT MIN(tag) FROM inbox_conversation_tags \
                   UNION ALL \
                   SELECT (SELECT MIN(x.tag) FROM inbox_conversation_tags x WHERE x.tag > t.tag) \
                   FROM t WHERE t.tag IS NOT NULL) \
                 SELECT tag FROM t WHERE tag IS NOT NULL AND EXISTS ( \
                   SELECT 1 FROM inbox_conversation_tags x \
                   JOIN inbox_conversations c ON c.id = x.conversation_id \
                   JOIN workspaces w ON w.id = c.workspace_id \
                   WHERE x.tag = t.tag AND w.org_id = $1) \
                 LIMIT 100",
            )
            .bind(org.0)
            .fetch_all(pool)
            .await?;
            Ok((
                langs.into_iter().map(|(l,)| l).collect(),
                tags.into_iter().map(|(t,)| t).collect(),
            ))
        })
    }

    /// How many messages and conversations the inbox holds (all organisations): for the CLI.
    pub async fn inbox_counts(&self) -> Result<(i64, i64)> {
        with_pool!(self, |pool, _pg| {
            let m: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox_messages")
                .fetch_one(pool)
                .await?;
            let c: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox_conversations")
                .fetch_one(pool)
                .await?;
            Ok((m.0, c.0))
        })
    }
}

/// The live event of a person's change to conversation `c`, whose status is now `status`.
pub(crate) fn updated_event(
    org: OrgId,
    c: &ConversationSummary,
    status: ConversationStatus,
    actor: &Actor,
) -> LiveEvent {
    LiveEvent::new(
        org,
        c.workspace_id,
        c.channel_id,
        c.id,
        LiveKind::Conversation {
            change: Change::Updated,
            status: Some(status.code().to_owned()),
            by: actor.user_id,
        },
    )
}

const SUMMARY_COLUMNS: &str = "SELECT c.id, c.workspace_id, c.channel_id, ch.name, ch.network, c.kind, \
     c.status, c.priority, c.assignee_id, u.name, c.team_id, c.language, c.sentiment, c.intent, \
     c.urgency, c.preview, c.post_remote_id, c.first_response_due, c.first_responded_at, \
     c.next_response_due, c.last_message_at, c.message_count, c.unanswered_count, ct.id, ct.name, \
     ct.handle, ct.followers";

/// The `SELECT … FROM … JOIN …` of a [`ConversationSummary`] row.
///
/// On SQLite the joins are `CROSS JOIN`s, which SQLite never reorders: the conversations stay the
/// outer loop, so a list walks an index in (last activity, id) order and stops after one page.
/// Left to itself, SQLite starts from the organisation's workspaces (an equality on an index
/// looks selective) and sorts every conversation of the organisation for each page: 0.6–1.1 s
/// at a million messages instead of milliseconds. PostgreSQL plans by cost and needs no help.
fn summary_select(pg: bool) -> String {
    let join = if pg { "JOIN" } else { "CROSS JOIN" };
    format!(
        "{SUMMARY_COLUMNS} FROM inbox_conversations c \
         {join} workspaces w ON w.id = c.workspace_id \
         {join} channels ch ON ch.id = c.channel_id \
         {join} inbox_contacts ct ON ct.id = c.contact_id \
         LEFT JOIN users u ON u.id = c.assignee_id"
    )
}

/// `AND (the conversation c is in the scope)`.
///
/// On SQLite the terms are written `+c.workspace_id`, which keeps them from being used as an
/// index: a scope of several workspaces or channels would otherwise be read through the workspace
/// index and sorted whole (see [`summary_select`]). One workspace alone is an equality that the
/// (workspace, last activity) index serves in order.
pub(crate) fn push_scope<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, scope: &InboxScope, pg: bool)
where
    for<'t> Uuid: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match scope {
        InboxScope::All => {}
        InboxScope::Only {
            workspaces,
            channels,
        } => {
            if let ([w], []) = (workspaces.as_slice(), channels.as_slice()) {
                q.push(" AND c.workspace_id = ").push_bind(w.0);
                return;
            }
            let plus = if pg { "" } else { "+" };
            if workspaces.is_empty() && channels.is_empty() {
                q.push(" AND 1 = 0");
                return;
            }
            q.push(" AND (");
            let mut first = true;
            if !workspaces.is_empty() {
                q.push(format!("{plus}c.workspace_id IN ("));
                let mut sep = q.separated(", ");
                for w in workspaces {
                    sep.push_bind(w.0);
                }
                q.push(")");
                first = false;
            }
            if !channels.is_empty() {
                if !first {
                    q.push(" OR ");
                }
                q.push(format!("{plus}c.channel_id IN ("));
                let mut sep = q.separated(", ");
                for c in channels {
                    sep.push_bind(c.0);
                }
                q.push(")");
            }
            q.push(")");
        }
    }
}
