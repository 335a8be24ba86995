//! The community inbox's model: the normalised inbound event every source (import, webhooks,
//! pollers) turns into, how a message threads into a conversation, and the small state types of a
//! conversation (status, priority, direction, SLA state). Pure: the store persists these, the web
//! layer shows them.
//!
//! The flow this serves (see ARCHITECTURE.md): webhook or poller → [`InboundMessage`] → dedupe on
//! (channel, remote id) → [`thread_key`] → classify → routing rules → assignment → SLA deadline
//! ([`ResponsePolicy`]) → live UI → reply.

pub mod assignment;
pub mod import;
pub mod live;
pub mod presence;
pub mod reply;
pub mod report;
pub mod rules;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ChannelId;

/// The longest remote identifier accepted (ids, handles, conversation keys): networks use at most
/// a few hundred characters (AT-URIs are the longest).
pub const MAX_REMOTE_ID: usize = 512;
/// The longest message text kept, in characters (longer texts are cut; no network allows more).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// At most this many media links per message.
pub const MAX_MEDIA: usize = 20;

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $code:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            pub const fn code(self) -> &'static str {
                match self { $($name::$v => $code),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($code => Some($name::$v),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum!(
    /// What kind of thing arrived.
    MessageKind {
        /// A comment (or reply) on one of the organisation's posts.
        Comment => "comment",
        /// A post elsewhere that names the account.
        Mention => "mention",
        /// A direct (private) message.
        Dm => "dm",
    }
);

code_enum!(
    /// Who wrote a message: the outside (inbound) or the organisation (outbound, a reply).
    Direction {
        Inbound => "inbound",
        Outbound => "outbound",
    }
);

code_enum!(
    /// Where a conversation stands. A new inbound message always makes it `open` again.
    ConversationStatus {
        /// Someone needs to act.
        Open => "open",
        /// Waiting for the other side (or for something else): no action needed now.
        Pending => "pending",
        /// Done.
        Closed => "closed",
    }
);

code_enum!(
    /// How urgent a conversation is for the team (set by a person or, later, by routing rules).
    Priority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

code_enum!(
    /// Triage: sentiment of a message (mirrors `owlery_triage::Sentiment`).
    Sentiment {
        Negative => "negative",
        Neutral => "neutral",
        Positive => "positive",
    }
);

code_enum!(
    /// Triage: what a message wants (mirrors `owlery_triage::Intent`).
    Intent {
        Question => "question",
        Complaint => "complaint",
        Praise => "praise",
        Lead => "lead",
        Spam => "spam",
        Abuse => "abuse",
        Other => "other",
    }
);

code_enum!(
    /// Triage: how soon a message needs an answer (mirrors `owlery_triage::Urgency`).
    Urgency {
        Low => "low",
        Normal => "normal",
        High => "high",
        Critical => "critical",
    }
);

code_enum!(
    /// Where a conversation stands against its response deadline.
    SlaState {
        /// Nothing is due, or the deadline is more than [`DUE_SOON`] away.
        Ok => "ok",
        /// Due within [`DUE_SOON`].
        DueSoon => "due_soon",
        /// The deadline has passed without a response.
        Breached => "breached",
    }
);

code_enum!(
    /// Where an answer from Owlery stands: stored first, then sent by a job. Inbound messages have
    /// none.
    Delivery {
        /// Written by someone whose replies need approval: waits for a person with
        /// `inbox:approve`.
        PendingApproval => "pending_approval",
        /// Waiting for the worker.
        Queued => "queued",
        /// The worker committed its attempt and is talking to the network (or was, when it
        /// stopped: the next attempt looks the answer up before sending again).
        Sending => "sending",
        /// On the network (its id and address are stored).
        Sent => "sent",
        /// Not sent, for the reason stored with it; a person can retry.
        Failed => "failed",
        /// Turned down by an approver, with their reason.
        Rejected => "rejected",
    }
);

/// A deadline closer than this is "due soon".
pub const DUE_SOON: Duration = Duration::hours(1);

impl SlaState {
    /// The state of a deadline at `now` (`None`: nothing awaits a response).
    pub fn of(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> SlaState {
        match due {
            None => SlaState::Ok,
            Some(d) if d <= now => SlaState::Breached,
            Some(d) if d - now <= DUE_SOON => SlaState::DueSoon,
            Some(_) => SlaState::Ok,
        }
    }
}

/// The author of an inbound message, as the network names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The network's stable id for the account (a DID, a numeric id …).
    pub remote_id: String,
    /// The handle (`@ana.bsky.social`), without the leading `@`.
    pub handle: String,
    /// The display name (the handle when the network gives none).
    pub name: String,
    pub followers: Option<u64>,
}

/// What triage said about one message (the store's copy of `owlery_triage::Triage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// ISO 639-3, or `und`.
    pub language: String,
    pub sentiment: Sentiment,
    pub intent: Intent,
    pub urgency: Urgency,
    /// Probabilities: `[negative, neutral, positive]`.
    pub sentiment_scores: [f32; 3],
    /// The winning intent's score.
    pub intent_score: f32,
}

/// One inbound event, normalised: what every source produces, whatever the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub channel: ChannelId,
    /// The network's id of this message: with the channel, the dedupe key.
    pub remote_id: String,
    pub kind: MessageKind,
    pub author: Author,
    pub text: String,
    /// When the network says it was written.
    pub created_at: DateTime<Utc>,
    /// The thread the network puts it in: for a comment the post it is on, for a DM the network's
    /// conversation id, for a mention the root of its thread.
    pub conversation_remote_id: Option<String>,
    /// The message this one answers, when it is a reply.
    pub in_reply_to_remote_id: Option<String>,
    /// Links to the attached media on the network.
    pub media: Vec<String>,
    /// The original on the network.
    pub url: Option<String>,
}

impl InboundMessage {
    /// The conversation this message belongs to: see [`thread_key`].
    pub fn thread_key(&self) -> String {
        thread_key(
            self.kind,
            &self.remote_id,
            &self.author.remote_id,
            self.conversation_remote_id.as_deref(),
            self.in_reply_to_remote_id.as_deref(),
        )
    }

    /// The post a comment is on (when the network said).
    pub fn post_remote_id(&self) -> Option<&str> {
        match self.kind {
            MessageKind::Comment => self
                .conversation_remote_id
                .as_deref()
                .or(self.in_reply_to_remote_id.as_deref()),
            _ => None,
        }
    }
}

/// The key of the conversation a message threads into, unique within its channel.
///
/// - **Comments: one conversation per post and author** (`comment:<post>:<author>`). A post with
///   500 comments is 500 people with 500 different needs: each gets their own status, assignee and
///   response deadline, and answering one never hides another. A person's follow-up comments on
///   the same post join their conversation. This is how the dedicated tools treat it (Sprout
///   Social's Smart Inbox and Chatwoot both file a post's comments by author), and it keeps the
///   SLA honest: one deadline per person waiting. The post is `conversation_remote_id`, else the
///   message it replies to, else the comment itself (a network that tells neither).
/// - **DMs: one conversation per DM thread** (`dm:<thread>`): the network's conversation id, or
///   the author when the network gives none (a DM thread is between the account and one person).
/// - **Mentions: one conversation per mention thread** (`mention:<root>`): the root of the thread
///   the mention is in, else the mention itself — each mention is its own thing to look at, and
///   replies in its thread join it.
pub fn thread_key(
    kind: MessageKind,
    remote_id: &str,
    author_remote_id: &str,
    conversation_remote_id: Option<&str>,
    in_reply_to_remote_id: Option<&str>,
) -> String {
    match kind {
        MessageKind::Comment => {
            let post = nonempty_id(conversation_remote_id)
                .or(nonempty_id(in_reply_to_remote_id))
                .unwrap_or(remote_id);
            format!("comment:{post}:{author_remote_id}")
        }
        MessageKind::Dm => {
            let thread = nonempty_id(conversation_remote_id).unwrap_or(author_remote_id);
            format!("dm:{thread}")
        }
        MessageKind::Mention => {
            let root = nonempty_id(conversation_remote_id).unwrap_or(remote_id);
            format!("mention:{root}")
        }
    }
}

fn nonempty_id(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// Which response a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseTarget {
    /// The first answer in a conversation.
    First,
    /// An answer to a message that came after the team had already answered.
    Next,
}

/// When a response is due. The store asks this for every inbound message that starts a wait; the
/// default is [`AroundTheClock`] (24 hours). Business hours (per team, in a time zone, with
/// holidays) implement this same trait.
pub trait ResponsePolicy: Send + Sync {
    /// The deadline for answering a message that arrived at `from`.
    fn due(&self, from: DateTime<Utc>, target: ResponseTarget, priority: Priority)
    -> DateTime<Utc>;

    /// From when to warn that the response is soon due (the escalation worker's first step). By
    /// default [`DUE_SOON`] before the deadline.
    fn warn_from(
        &self,
        from: DateTime<Utc>,
        target: ResponseTarget,
        priority: Priority,
    ) -> DateTime<Utc> {
        (self.due(from, target, priority) - DUE_SOON).max(from)
    }
}

/// Targets counted around the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AroundTheClock {
    pub first_response: Duration,
    pub next_response: Duration,
}

impl Default for AroundTheClock {
    /// 24 hours for both: "most consumers expect a response within 24 hours".
    fn default() -> Self {
        AroundTheClock {
            first_response: Duration::hours(24),
            next_response: Duration::hours(24),
        }
    }
}

impl ResponsePolicy for AroundTheClock {
    fn due(
        &self,
        from: DateTime<Utc>,
        target: ResponseTarget,
        _priority: Priority,
    ) -> DateTime<Utc> {
        match target {
            ResponseTarget::First => from + self.first_response,
            ResponseTarget::Next => from + self.next_response,
        }
    }
}

/// The first line of a text, at most `max` characters (for lists).
pub fn first_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(max).collect();
    if line.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// A tag on a conversation or contact: 1–40 characters, trimmed, lower-cased, no commas.
pub fn parse_tag(s: &str) -> Result<String, crate::InvalidInput> {
    let t = s.trim().to_lowercase();
    let n = t.chars().count();
    if n == 0 || n > 40 || t.contains(',') || t.chars().any(char::is_control) {
        return Err(crate::InvalidInput::new(
            "tags",
            "invalid_tag",
            format!("A tag is 1 to 40 characters without commas: {s:?}"),
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn comments_thread_per_post_and_author() {
        let a = thread_key(MessageKind::Comment, "c1", "ana", Some("post9"), None);
        let b = thread_key(MessageKind::Comment, "c2", "ana", Some("post9"), Some("c1"));
        let c = thread_key(MessageKind::Comment, "c3", "bo", Some("post9"), None);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            thread_key(MessageKind::Comment, "c4", "ana", None, Some("post2")),
            "comment:post2:ana"
        );
        assert_eq!(
            thread_key(MessageKind::Comment, "c5", "ana", Some(""), None),
            "comment:c5:ana"
        );
    }

    #[test]
    fn dms_thread_per_conversation_mentions_per_root() {
        assert_eq!(
            thread_key(MessageKind::Dm, "m1", "ana", Some("t1"), None),
            "dm:t1"
        );
        assert_eq!(
            thread_key(MessageKind::Dm, "m2", "ana", None, None),
            "dm:ana"
        );
        assert_eq!(
            thread_key(MessageKind::Mention, "m3", "ana", None, None),
            "mention:m3"
        );
        assert_eq!(
            thread_key(MessageKind::Mention, "m4", "bo", Some("m3"), Some("m3")),
            "mention:m3"
        );
    }

    #[test]
    fn sla_states() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        assert_eq!(SlaState::of(None, now), SlaState::Ok);
        assert_eq!(
            SlaState::of(Some(now - Duration::seconds(1)), now),
            SlaState::Breached
        );
        assert_eq!(
            SlaState::of(Some(now + Duration::minutes(30)), now),
            SlaState::DueSoon
        );
        assert_eq!(
            SlaState::of(Some(now + Duration::hours(5)), now),
            SlaState::Ok
        );
        let p = AroundTheClock::default();
        assert_eq!(
            p.due(now, ResponseTarget::First, Priority::Normal),
            now + Duration::hours(24)
        );
    }

    #[test]
    fn codes_round_trip() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.code()), Some(*k));
        }
        for s in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::parse(s.code()), Some(*s));
        }
        for s in SlaState::ALL {
            assert_eq!(SlaState::parse(s.code()), Some(*s));
        }
        assert_eq!(Priority::parse("nope"), None);
    }

    #[test]
    fn first_lines_and_tags() {
        assert_eq!(first_line("\n  hello there \nsecond", 50), "hello there");
        assert_eq!(first_line("абвгд", 3), "абв…");
        assert_eq!(parse_tag("  VIP ").unwrap(), "vip");
        assert!(parse_tag("a,b").is_err());
        assert!(parse_tag(" ").is_err());
    }
}
