//! Routing rules: ordered "when … then …" rules an organisation writes to sort its inbox.
//!
//! A rule has conditions (channel, workspace, network, language, intent, sentiment, urgency,
//! keyword, contact tag, follower count, message kind) combined with *all* or *any*, and actions
//! (assign a team or a person, tag, priority, status, hide on the network, auto-reply with a saved
//! reply, escalate, notify someone). Rules run in their order; a rule with `stop` ends the run when
//! it fires. A rule belongs to the organisation and may be limited to some workspaces.
//!
//! Pure: [`evaluate`] takes the rules and the [`Facts`] of one message and says which rules fire,
//! in order; [`auto_reply_gate`] says whether a fired auto-reply may answer. Applying the actions
//! (and auditing them under the rule's name) is the store's work.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::{ConversationStatus, Intent, MessageKind, Priority, Sentiment, Urgency, parse_tag};
use crate::{ChannelId, InvalidInput, RuleId, TeamId, UserId, WorkspaceId};

/// At most this many conditions, and this many actions, in one rule.
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_ACTIONS: usize = 10;
/// At most this many keywords in one keyword condition.
pub const MAX_KEYWORDS: usize = 50;
/// A rule's name: 1–80 characters.
pub const MAX_NAME: usize = 80;

/// How a rule's conditions combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Every condition must hold (no conditions: every message).
    #[default]
    All,
    /// At least one condition must hold.
    Any,
}

impl MatchMode {
    pub fn code(self) -> &'static str {
        match self {
            MatchMode::All => "all",
            MatchMode::Any => "any",
        }
    }

    pub fn parse(s: &str) -> Option<MatchMode> {
        match s {
            "all" => Some(MatchMode::All),
            "any" => Some(MatchMode::Any),
            _ => None,
        }
    }
}

/// One test on a message. Serialised as `{"type": "intent", "intent": "abuse"}` and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    Channel {
        channel_id: ChannelId,
    },
    Workspace {
        workspace_id: WorkspaceId,
    },
    /// A network code (`bluesky`, `instagram` …).
    Network {
        network: String,
    },
    /// ISO 639-3 (`eng`, `bul` …).
    Language {
        language: String,
    },
    Intent {
        intent: Intent,
    },
    Sentiment {
        sentiment: Sentiment,
    },
    /// The message is at least this urgent.
    Urgency {
        at_least: Urgency,
    },
    /// Any of these words or phrases appears as whole words (case and accents do not matter).
    Keyword {
        words: Vec<String>,
    },
    /// The contact carries this tag.
    ContactTag {
        tag: String,
    },
    /// The author has at least this many followers.
    FollowersAtLeast {
        count: u64,
    },
    /// The author has at most this many followers (unknown counts do not match).
    FollowersAtMost {
        count: u64,
    },
    Kind {
        kind: MessageKind,
    },
}

/// What a rule does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Give the conversation to a team (which assigns a person by its mode).
    AssignTeam {
        team_id: TeamId,
    },
    AssignPerson {
        user_id: UserId,
    },
    Tag {
        tag: String,
    },
    SetPriority {
        priority: Priority,
    },
    SetStatus {
        status: ConversationStatus,
    },
    /// Hide the message on the network, where the network allows it.
    HideOnNetwork,
    /// Answer with a saved reply, rendered for the contact and sent like a person's answer but
    /// authored by the rule. Not subject to reply approval: only people who may manage rules
    /// (`org:manage`) write rules, so the rule *is* the approved text. Guarded by
    /// [`auto_reply_gate`].
    AutoReply {
        saved_reply_id: Uuid,
    },
    /// Raise the conversation to urgent and tell the leads of its team (the organisation's inbox
    /// managers when it has no team).
    Escalate,
    /// Tell a person (in-app notification and e-mail).
    Notify {
        user_id: UserId,
    },
}

impl Action {
    pub fn code(&self) -> &'static str {
        match self {
            Action::AssignTeam { .. } => "assign_team",
            Action::AssignPerson { .. } => "assign_person",
            Action::Tag { .. } => "tag",
            Action::SetPriority { .. } => "set_priority",
            Action::SetStatus { .. } => "set_status",
            Action::HideOnNetwork => "hide_on_network",
            Action::AutoReply { .. } => "auto_reply",
            Action::Escalate => "escalate",
            Action::Notify { .. } => "notify",
        }
    }
}

/// A rule as written (before it has an id and a place).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    pub name: String,
    pub enabled: bool,
    pub match_mode: MatchMode,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    /// Stop processing further rules when this one fires.
    pub stop: bool,
    /// Only for messages in these workspaces (empty: every workspace).
    pub workspaces: Vec<WorkspaceId>,
}

impl RuleSpec {
    /// Normalises (trims names, lower-cases codes and tags, folds keywords) and checks the rule.
    pub fn validate(mut self) -> Result<RuleSpec, InvalidInput> {
        self.name = self.name.trim().to_owned();
        let n = self.name.chars().count();
        if n == 0 || n > MAX_NAME || self.name.chars().any(char::is_control) {
            return Err(InvalidInput::new(
                "name",
                "invalid_rule_name",
                format!("A rule's name is 1 to {MAX_NAME} characters."),
            ));
        }
        if self.conditions.len() > MAX_CONDITIONS {
            return Err(InvalidInput::new(
                "conditions",
                "too_many_conditions",
                format!("A rule has at most {MAX_CONDITIONS} conditions."),
            ));
        }
        if self.actions.is_empty() {
            return Err(InvalidInput::new(
                "actions",
                "no_actions",
                "A rule needs at least one action.",
            ));
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(InvalidInput::new(
                "actions",
                "too_many_actions",
                format!("A rule has at most {MAX_ACTIONS} actions."),
            ));
        }
        for c in &mut self.conditions {
            match c {
                Condition::Network { network } | Condition::Language { language: network } => {
                    *network = network.trim().to_lowercase();
                    if network.is_empty()
                        || network.len() > 32
                        || !network
                            .chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
                    {
                        return Err(InvalidInput::new(
                            "conditions",
                            "invalid_condition",
                            "A network or language is a short code such as bluesky or eng.",
                        ));
                    }
                }
                Condition::Keyword { words } => {
                    let folded: Vec<String> = words
                        .iter()
                        .map(|w| fold_words(w).join(" "))
                        .filter(|w| !w.is_empty())
                        .collect();
                    if folded.is_empty() || folded.len() > MAX_KEYWORDS {
                        return Err(InvalidInput::new(
                            "conditions",
                            "invalid_keywords",
                            format!(
                                "A keyword condition needs 1 to {MAX_KEYWORDS} words or phrases \
                                 (letters or digits)."
                            ),
                        ));
                    }
                    if folded.iter().any(|w| w.chars().count() > 100) {
                        return Err(InvalidInput::new(
                            "conditions",
                            "invalid_keywords",
                            "A keyword or phrase is at most 100 characters.",
                        ));
                    }
                    *words = folded;
                }
                Condition::ContactTag { tag } => {
                    *tag = parse_tag(tag).map_err(|e| InvalidInput {
                        field: "conditions",
                        ..e
                    })?;
                }
                Condition::Channel { .. }
                | Condition::Workspace { .. }
                | Condition::Intent { .. }
                | Condition::Sentiment { .. }
                | Condition::Urgency { .. }
                | Condition::FollowersAtLeast { .. }
                | Condition::FollowersAtMost { .. }
                | Condition::Kind { .. } => {}
            }
        }
        for a in &mut self.actions {
            if let Action::Tag { tag } = a {
                *tag = parse_tag(tag).map_err(|e| InvalidInput {
                    field: "actions",
                    ..e
                })?;
            }
        }
        let assigns = |f: fn(&Action) -> bool| self.actions.iter().filter(|a| f(a)).count();
        if assigns(|a| matches!(a, Action::AssignTeam { .. })) > 1
            || assigns(|a| matches!(a, Action::AssignPerson { .. })) > 1
            || assigns(|a| matches!(a, Action::SetPriority { .. })) > 1
            || assigns(|a| matches!(a, Action::SetStatus { .. })) > 1
            || assigns(|a| matches!(a, Action::AutoReply { .. })) > 1
        {
            return Err(InvalidInput::new(
                "actions",
                "conflicting_actions",
                "A rule assigns one team, one person, one priority and one status, and sends one \
                 automatic answer, at most.",
            ));
        }
        self.workspaces.sort();
        self.workspaces.dedup();
        Ok(self)
    }
}

/// A stored rule: its id and place in the organisation's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: RuleId,
    pub position: i64,
    #[serde(flatten)]
    pub spec: RuleSpec,
}

/// What the rules may look at of one inbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub channel: ChannelId,
    pub workspace: WorkspaceId,
    pub network: String,
    pub language: String,
    pub intent: Intent,
    pub sentiment: Sentiment,
    pub urgency: Urgency,
    pub kind: MessageKind,
    pub contact_tags: Vec<String>,
    pub followers: Option<u64>,
    /// The text's words, case- and accent-folded ([`fold_words`]).
    pub words: Vec<String>,
}

impl Facts {
    /// The words of `text`, folded, for keyword conditions.
    pub fn words_of(text: &str) -> Vec<String> {
        fold_words(text)
    }
}

/// Lower-cased words with accents removed (NFD without combining marks): "Über-Café!" →
/// `["uber", "cafe"]`. Words are runs of letters and digits.
pub fn fold_words(text: &str) -> Vec<String> {
    let folded: String = text
        .nfd()
        .filter(|c| !is_combining(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Combining diacritical marks (the blocks NFD puts accents in).
fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn urgency_rank(u: Urgency) -> u8 {
    match u {
        Urgency::Low => 0,
        Urgency::Normal => 1,
        Urgency::High => 2,
        Urgency::Critical => 3,
    }
}

impl Condition {
    /// Whether the message has this property.
    pub fn holds(&self, f: &Facts) -> bool {
        match self {
            Condition::Channel { channel_id } => *channel_id == f.channel,
            Condition::Workspace { workspace_id } => *workspace_id == f.workspace,
            Condition::Network { network } => network.eq_ignore_ascii_case(&f.network),
            Condition::Language { language } => language.eq_ignore_ascii_case(&f.language),
            Condition::Intent { intent } => *intent == f.intent,
            Condition::Sentiment { sentiment } => *sentiment == f.sentiment,
            Condition::Urgency { at_least } => urgency_rank(f.urgency) >= urgency_rank(*at_least),
            Condition::Keyword { words } => words.iter().any(|phrase| {
                let parts: Vec<&str> = phrase.split(' ').filter(|p| !p.is_empty()).collect();
                !parts.is_empty()
                    && f.words
                        .windows(parts.len())
                        .any(|w| w.iter().zip(&parts).all(|(a, b)| a == b))
            }),
            Condition::ContactTag { tag } => f.contact_tags.iter().any(|t| t == tag),
            Condition::FollowersAtLeast { count } => f.followers.is_some_and(|n| n >= *count),
            Condition::FollowersAtMost { count } => f.followers.is_some_and(|n| n <= *count),
            Condition::Kind { kind } => *kind == f.kind,
        }
    }
}

impl RuleSpec {
    /// Whether this rule fires for the message (enabled, in its workspaces, conditions hold).
    pub fn matches(&self, f: &Facts) -> bool {
        if !self.enabled {
            return false;
        }
        if !self.workspaces.is_empty() && !self.workspaces.contains(&f.workspace) {
            return false;
        }
        match self.match_mode {
            MatchMode::All => self.conditions.iter().all(|c| c.holds(f)),
            MatchMode::Any => self.conditions.iter().any(|c| c.holds(f)),
        }
    }
}

/// The rules that fire for one message, in order (by position, then id), ending after the first
/// one that fires with `stop`.
pub fn evaluate<'r>(rules: &'r [Rule], facts: &Facts) -> Vec<&'r Rule> {
    let mut ordered: Vec<&Rule> = rules.iter().collect();
    ordered.sort_by_key(|r| (r.position, r.id));
    let mut fired = Vec::new();
    for r in ordered {
        if r.spec.matches(facts) {
            fired.push(r);
            if r.spec.stop {
                break;
            }
        }
    }
    fired
}

/// The combined effect of the rules that fired for a conversation: later rules override earlier
/// ones for single-valued actions (team, person, priority, status); tags and notifications add up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub team: Option<TeamId>,
    pub person: Option<UserId>,
    pub tags: Vec<String>,
    pub priority: Option<Priority>,
    pub status: Option<ConversationStatus>,
    pub hide: bool,
    /// A rule escalated: urgent, and the leads are told.
    pub escalate: bool,
    pub notify: Vec<UserId>,
}

impl Outcome {
    /// Fold the actions of fired rules (in order) into one outcome.
    pub fn of<'r>(fired: impl IntoIterator<Item = &'r Rule>) -> Outcome {
        let mut o = Outcome::default();
        for r in fired {
            for a in &r.spec.actions {
                match a {
                    Action::AssignTeam { team_id } => o.team = Some(*team_id),
                    Action::AssignPerson { user_id } => o.person = Some(*user_id),
                    Action::Tag { tag } => {
                        if !o.tags.contains(tag) {
                            o.tags.push(tag.clone());
                        }
                    }
                    Action::SetPriority { priority } => o.priority = Some(*priority),
                    Action::SetStatus { status } => o.status = Some(*status),
                    Action::HideOnNetwork => o.hide = true,
                    // Each auto-reply is guarded and sent per rule (see `auto_reply_gate`).
                    Action::AutoReply { .. } => {}
                    Action::Escalate => o.escalate = true,
                    Action::Notify { user_id } => {
                        if !o.notify.contains(user_id) {
                            o.notify.push(*user_id);
                        }
                    }
                }
            }
        }
        // Escalating means urgent, whatever a priority action said.
        if o.escalate {
            o.priority = Some(Priority::Urgent);
        }
        o
    }
}

/// A rule answers a conversation at most once in this window.
pub const AUTO_REPLY_WINDOW: TimeDelta = TimeDelta::hours(24);

/// What decides whether a fired auto-reply may answer one inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoReplyFacts {
    /// The network lets Owlery answer this kind of message (or the channel is a practice one).
    pub can_reply: bool,
    /// The message was written by the channel's own account (an echo of something we posted).
    pub own_message: bool,
    pub intent: Intent,
    /// When the message was written on the network.
    pub message_at: DateTime<Utc>,
    /// When this rule last answered this conversation automatically.
    pub last_auto_reply: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Why a fired auto-reply sent nothing (recorded in the audit event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoReplySkip {
    /// Our own account wrote it: answering ourselves could loop.
    OwnMessage,
    /// The network's API cannot answer this kind of message.
    CannotReply,
    /// Spam or abuse, and the rule does not target that intent by a condition.
    SpamOrAbuse,
    /// The rule answered this conversation within [`AUTO_REPLY_WINDOW`].
    AnsweredRecently,
    /// Older than [`AUTO_REPLY_WINDOW`] (an import or a backfill): an answer now would be late
    /// and surprising.
    TooOld,
    /// The saved reply was deleted since the rule was saved.
    SavedReplyGone,
    /// The saved reply belongs to another workspace than the conversation's.
    OtherWorkspace,
    /// Rendered, it is longer than the network allows.
    TooLong,
}

impl AutoReplySkip {
    pub fn code(self) -> &'static str {
        match self {
            AutoReplySkip::OwnMessage => "own_message",
            AutoReplySkip::CannotReply => "cannot_reply",
            AutoReplySkip::SpamOrAbuse => "spam_or_abuse",
            AutoReplySkip::AnsweredRecently => "answered_recently",
            AutoReplySkip::TooOld => "too_old",
            AutoReplySkip::SavedReplyGone => "saved_reply_gone",
            AutoReplySkip::OtherWorkspace => "other_workspace",
            AutoReplySkip::TooLong => "too_long",
        }
    }
}

/// Whether `rule`'s auto-reply may answer: the guards against loops and spam. Spam and abuse are
/// answered only when the rule names that intent in one of its conditions (a deliberate "answer
/// spam with our policy" rule), never because a broad rule happened to match them.
pub fn auto_reply_gate(rule: &RuleSpec, f: &AutoReplyFacts) -> Result<(), AutoReplySkip> {
    if f.own_message {
        return Err(AutoReplySkip::OwnMessage);
    }
    if !f.can_reply {
        return Err(AutoReplySkip::CannotReply);
    }
    if matches!(f.intent, Intent::Spam | Intent::Abuse)
        && !rule
            .conditions
            .iter()
            .any(|c| matches!(c, Condition::Intent { intent } if *intent == f.intent))
    {
        return Err(AutoReplySkip::SpamOrAbuse);
    }
    if f.now - f.message_at > AUTO_REPLY_WINDOW {
        return Err(AutoReplySkip::TooOld);
    }
    if f.last_auto_reply
        .is_some_and(|at| f.now - at < AUTO_REPLY_WINDOW)
    {
        return Err(AutoReplySkip::AnsweredRecently);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn facts(text: &str) -> Facts {
        Facts {
            channel: ChannelId(Uuid::from_u128(1)),
            workspace: WorkspaceId(Uuid::from_u128(2)),
            network: "bluesky".into(),
            language: "eng".into(),
            intent: Intent::Complaint,
            sentiment: Sentiment::Negative,
            urgency: Urgency::High,
            kind: MessageKind::Comment,
            contact_tags: vec!["vip".into()],
            followers: Some(5000),
            words: fold_words(text),
        }
    }

    fn rule(pos: i64, conditions: Vec<Condition>, stop: bool) -> Rule {
        Rule {
            id: RuleId(Uuid::from_u128(100 + pos as u128)),
            position: pos,
            spec: RuleSpec {
                name: format!("r{pos}"),
                enabled: true,
                match_mode: MatchMode::All,
                conditions,
                actions: vec![Action::Tag {
                    tag: format!("t{pos}"),
                }],
                stop,
                workspaces: vec![],
            },
        }
    }

    #[test]
    fn keywords_are_whole_words_without_case_or_accents() {
        let f = facts("Das ÜBER-Café ist geschlossen! refund please");
        let kw = |w: &str| Condition::Keyword {
            words: vec![fold_words(w).join(" ")],
        };
        assert!(kw("uber").holds(&f));
        assert!(kw("cafe").holds(&f));
        assert!(kw("Refund Please").holds(&f));
        assert!(!kw("ref").holds(&f), "not part of a word");
        assert!(!kw("please refund").holds(&f), "phrases keep their order");
        let bg = facts("Искам ВЪЗСТАНОВЯВАНЕ на парите");
        assert!(kw("възстановяване").holds(&bg));
    }

    #[test]
    fn conditions() {
        let f = facts("hello");
        assert!(
            Condition::Urgency {
                at_least: Urgency::Normal
            }
            .holds(&f)
        );
        assert!(
            !Condition::Urgency {
                at_least: Urgency::Critical
            }
            .holds(&f)
        );
        assert!(Condition::FollowersAtLeast { count: 5000 }.holds(&f));
        assert!(!Condition::FollowersAtMost { count: 10 }.holds(&f));
        let mut unknown = f.clone();
        unknown.followers = None;
        assert!(!Condition::FollowersAtMost { count: 10 }.holds(&unknown));
        assert!(Condition::ContactTag { tag: "vip".into() }.holds(&f));
        assert!(
            Condition::Network {
                network: "BlueSky".into()
            }
            .holds(&f)
        );
    }

    #[test]
    fn order_stop_workspaces_and_any() {
        let f = facts("hi");
        let mut rules = vec![
            rule(3, vec![], false),
            rule(1, vec![], true),
            rule(2, vec![], false),
        ];
        let fired: Vec<i64> = evaluate(&rules, &f).iter().map(|r| r.position).collect();
        assert_eq!(fired, vec![1], "stop ends the run");
        rules[1].spec.stop = false;
        let fired: Vec<i64> = evaluate(&rules, &f).iter().map(|r| r.position).collect();
        assert_eq!(fired, vec![1, 2, 3]);
        rules[0].spec.workspaces = vec![WorkspaceId(Uuid::from_u128(9))];
        rules[1].spec.enabled = false;
        let fired: Vec<i64> = evaluate(&rules, &f).iter().map(|r| r.position).collect();
        assert_eq!(fired, vec![2]);
        let mut any = rule(
            5,
            vec![
                Condition::Intent {
                    intent: Intent::Praise,
                },
                Condition::Kind {
                    kind: MessageKind::Comment,
                },
            ],
            false,
        );
        assert!(!any.spec.matches(&f));
        any.spec.match_mode = MatchMode::Any;
        assert!(any.spec.matches(&f));
        any.spec.conditions.clear();
        assert!(!any.spec.matches(&f), "any of nothing is false");
    }

    #[test]
    fn validation() {
        let base = rule(1, vec![], false).spec;
        assert!(base.clone().validate().is_ok());
        let mut bad = base.clone();
        bad.name = "  ".into();
        assert_eq!(bad.validate().unwrap_err().code, "invalid_rule_name");
        let mut bad = base.clone();
        bad.actions.clear();
        assert_eq!(bad.validate().unwrap_err().code, "no_actions");
        let mut bad = base.clone();
        bad.conditions = vec![Condition::Keyword {
            words: vec!["!!".into()],
        }];
        assert_eq!(bad.validate().unwrap_err().code, "invalid_keywords");
        let mut ok = base.clone();
        ok.conditions = vec![Condition::Keyword {
            words: vec!["  Refund  PLEASE ".into(), "Über".into()],
        }];
        let ok = ok.validate().unwrap();
        assert_eq!(
            ok.conditions,
            vec![Condition::Keyword {
                words: vec!["refund please".into(), "uber".into()]
            }]
        );
        let mut bad = base.clone();
        bad.actions.push(Action::SetPriority {
            priority: Priority::High,
        });
        bad.actions.push(Action::SetPriority {
            priority: Priority::Low,
        });
        assert_eq!(bad.validate().unwrap_err().code, "conflicting_actions");
        // The JSON form.
        let json = serde_json::json!({"type": "intent", "intent": "abuse"});
        let c: Condition = serde_json::from_value(json).unwrap();
        assert_eq!(
            c,
            Condition::Intent {
                intent: Intent::Abuse
            }
        );
        assert!(serde_json::from_value::<Condition>(serde_json::json!({"type": "nope"})).is_err());
    }

    #[test]
    fn outcome_later_rules_override() {
        let mut a = rule(1, vec![], false);
        a.spec.actions = vec![
            Action::SetPriority {
                priority: Priority::High,
            },
            Action::Tag { tag: "x".into() },
        ];
        let mut b = rule(2, vec![], false);
        b.spec.actions = vec![
            Action::SetPriority {
                priority: Priority::Urgent,
            },
            Action::Tag { tag: "x".into() },
            Action::HideOnNetwork,
        ];
        let o = Outcome::of([&a, &b]);
        assert_eq!(o.priority, Some(Priority::Urgent));
        assert_eq!(o.tags, vec!["x".to_owned()]);
        assert!(o.hide);
    }

    #[test]
    fn auto_reply_guards() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ok = AutoReplyFacts {
            can_reply: true,
            own_message: false,
            intent: Intent::Question,
            message_at: now - TimeDelta::minutes(1),
            last_auto_reply: None,
            now,
        };
        let mut r = rule(1, vec![], false).spec;
        r.actions = vec![Action::AutoReply {
            saved_reply_id: Uuid::from_u128(7),
        }];
        assert_eq!(auto_reply_gate(&r, &ok), Ok(()));
        let gate = |r: &RuleSpec, change: fn(&mut AutoReplyFacts)| {
            let mut f = ok.clone();
            change(&mut f);
            auto_reply_gate(r, &f)
        };
        let with = |change: fn(&mut AutoReplyFacts)| gate(&r, change);
        assert_eq!(
            with(|f| f.own_message = true),
            Err(AutoReplySkip::OwnMessage)
        );
        assert_eq!(
            with(|f| f.can_reply = false),
            Err(AutoReplySkip::CannotReply)
        );
        assert_eq!(
            with(|f| f.intent = Intent::Spam),
            Err(AutoReplySkip::SpamOrAbuse)
        );
        assert_eq!(
            with(|f| f.intent = Intent::Abuse),
            Err(AutoReplySkip::SpamOrAbuse)
        );
        assert_eq!(
            with(|f| f.message_at = f.now - TimeDelta::hours(25)),
            Err(AutoReplySkip::TooOld)
        );
        assert_eq!(
            with(|f| f.last_auto_reply = Some(f.now - TimeDelta::hours(23))),
            Err(AutoReplySkip::AnsweredRecently)
        );
        assert_eq!(
            with(|f| f.last_auto_reply = Some(f.now - TimeDelta::hours(24))),
            Ok(()),
            "a day later the rule may answer again"
        );
        // A rule that names the intent answers it.
        let mut spam_rule = r.clone();
        spam_rule.conditions = vec![Condition::Intent {
            intent: Intent::Spam,
        }];
        assert_eq!(gate(&spam_rule, |f| f.intent = Intent::Spam), Ok(()));
        assert_eq!(
            gate(&spam_rule, |f| f.intent = Intent::Abuse),
            Err(AutoReplySkip::SpamOrAbuse)
        );
    }

    #[test]
    fn one_auto_reply_per_rule_and_escalate_folds() {
        let mut r = rule(1, vec![], false);
        r.spec.actions = vec![
            Action::AutoReply {
                saved_reply_id: Uuid::from_u128(1),
            },
            Action::AutoReply {
                saved_reply_id: Uuid::from_u128(2),
            },
        ];
        assert_eq!(
            r.spec.clone().validate().unwrap_err().code,
            "conflicting_actions"
        );
        r.spec.actions = vec![
            Action::Escalate,
            Action::SetPriority {
                priority: Priority::Low,
            },
        ];
        let o = Outcome::of([&r]);
        assert!(o.escalate);
        assert_eq!(
            o.priority,
            Some(Priority::Urgent),
            "escalation wins over a priority"
        );
        let json = serde_json::json!({"type": "escalate"});
        assert_eq!(
            serde_json::from_value::<Action>(json).unwrap(),
            Action::Escalate
        );
        let old = serde_json::json!({"type": "auto_reply", "saved_reply": "Thanks"});
        assert!(
            serde_json::from_value::<Action>(old).is_err(),
            "the name-only form is refused (a migration removed stored ones)"
        );
    }

    fn arb_condition() -> impl Strategy<Value = Condition> {
        prop_oneof![
            any::<u8>().prop_map(|n| Condition::Channel {
                channel_id: ChannelId(Uuid::from_u128(u128::from(n % 3)))
            }),
            prop::sample::select(Intent::ALL).prop_map(|intent| Condition::Intent { intent }),
            prop::sample::select(Urgency::ALL).prop_map(|at_least| Condition::Urgency { at_least }),
            prop::collection::vec("\\PC{0,12}", 0..4)
                .prop_map(|words| Condition::Keyword { words }),
            any::<u64>().prop_map(|count| Condition::FollowersAtLeast { count }),
            any::<u64>().prop_map(|count| Condition::FollowersAtMost { count }),
            "\\PC{0,10}".prop_map(|tag| Condition::ContactTag { tag }),
        ]
    }

    fn arb_rule() -> impl Strategy<Value = Rule> {
        (
            -5i64..5,
            any::<u128>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(arb_condition(), 0..4),
        )
            .prop_map(|(position, id, enabled, any_mode, stop, conditions)| Rule {
                id: RuleId(Uuid::from_u128(id)),
                position,
                spec: RuleSpec {
                    name: "r".into(),
                    enabled,
                    match_mode: if any_mode {
                        MatchMode::Any
                    } else {
                        MatchMode::All
                    },
                    conditions,
                    actions: vec![Action::HideOnNetwork],
                    stop,
                    workspaces: vec![],
                },
            })
    }

    proptest! {
        /// Whatever the rules and the text: no panic, the fired rules are in order, each one
        /// matches, nothing after a stopping rule fires, and every matching rule before the first
        /// stop fires.
        #[test]
        fn evaluation_respects_order_and_stop(
            rules in prop::collection::vec(arb_rule(), 0..12),
            text in "\\PC{0,80}",
            followers in prop::option::of(any::<u64>()),
        ) {
            let mut f = facts(&text);
            f.followers = followers;
            let fired = evaluate(&rules, &f);
            for w in fired.windows(2) {
                prop_assert!((w[0].position, w[0].id) < (w[1].position, w[1].id));
            }
            for r in &fired {
                prop_assert!(r.spec.matches(&f));
            }
            for r in fired.iter().rev().skip(1) {
                prop_assert!(!r.spec.stop);
            }
            let mut sorted: Vec<&Rule> = rules.iter().collect();
            sorted.sort_by_key(|r| (r.position, r.id));
            let expected: Vec<&Rule> = {
                let mut out = Vec::new();
                for r in sorted {
                    if r.spec.matches(&f) {
                        out.push(r);
                        if r.spec.stop { break; }
                    }
                }
                out
            };
            prop_assert_eq!(fired, expected);
        }

        /// Validation never panics, and a valid rule stays valid (idempotent normalisation).
        #[test]
        fn validation_is_idempotent(rule in arb_rule(), name in "\\PC{0,90}") {
            let mut spec = rule.spec;
            spec.name = name;
            if let Ok(v) = spec.validate() {
                prop_assert_eq!(v.clone().validate(), Ok(v));
            }
        }
    }
}
