//! Working the inbox together, pure: presence in a conversation, the stale-reply check, bulk
//! actions, @mentions in internal notes and saved views' filters. The store persists notes and
//! views, the live bus carries presence, the web layer shows them; the rules live here.

use serde::{Deserialize, Serialize};

use crate::{InvalidInput, MessageId, UserId, inbox::Priority};

/// The most conversations one bulk request may change.
pub const MAX_BULK: usize = 100;
/// The longest internal note, in characters.
pub const MAX_NOTE_CHARS: usize = 5_000;
/// The longest saved view name, in characters.
pub const MAX_VIEW_NAME_CHARS: usize = 60;
/// How long a presence ping counts: a viewer who has not pinged for this long is gone.
pub const PRESENCE_TTL_SECONDS: i64 = 45;

/// What a person is doing in a conversation, as their page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceState {
    Viewing,
    Typing,
    /// The page was closed or left.
    Left,
}

impl PresenceState {
    pub const fn code(self) -> &'static str {
        match self {
            PresenceState::Viewing => "viewing",
            PresenceState::Typing => "typing",
            PresenceState::Left => "left",
        }
    }

    pub fn parse(s: &str) -> Option<PresenceState> {
        match s.trim() {
            "viewing" => Some(PresenceState::Viewing),
            "typing" => Some(PresenceState::Typing),
            "left" => Some(PresenceState::Left),
            _ => None,
        }
    }
}

/// Whether a reply written on a page that last saw `seen` is still answering the latest state of
/// the thread. `thread` is the thread's messages in order (oldest first), each with whether it
/// came from the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Staleness {
    /// Nothing arrived after the message the page saw.
    Fresh,
    /// `unseen` messages from the contact arrived after it: warn before sending.
    Stale { unseen: usize },
}

/// The pure check behind the "new messages arrived while you were writing" warning. A page that
/// saw no message (`None`), or a message that is not in the thread (deleted, another
/// conversation), counts every inbound message as unseen.
pub fn staleness(seen: Option<MessageId>, thread: &[(MessageId, bool)]) -> Staleness {
    let after = match seen.and_then(|s| thread.iter().position(|(id, _)| *id == s)) {
        Some(i) => &thread[i + 1..],
        None => thread,
    };
    let unseen = after.iter().filter(|(_, inbound)| *inbound).count();
    if unseen == 0 {
        Staleness::Fresh
    } else {
        Staleness::Stale { unseen }
    }
}

/// One change applied to many conversations at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    Close,
    Reopen,
    /// `None`: unassign.
    Assign(Option<UserId>),
    /// Add this tag (the others stay).
    Tag(String),
    Priority(Priority),
}

impl BulkAction {
    /// From the API's `action` and its argument (`assignee_id` / `tag` / `priority`).
    pub fn parse(
        action: &str,
        assignee: Option<UserId>,
        tag: Option<&str>,
        priority: Option<&str>,
    ) -> Result<BulkAction, InvalidInput> {
        match action.trim() {
            "close" => Ok(BulkAction::Close),
            "reopen" => Ok(BulkAction::Reopen),
            "assign" => Ok(BulkAction::Assign(assignee)),
            "tag" => {
                let t = tag.unwrap_or_default();
                Ok(BulkAction::Tag(super::parse_tag(
                    t.trim_start_matches('#'),
                )?))
            }
            "priority" => Priority::parse(priority.unwrap_or_default().trim())
                .map(BulkAction::Priority)
                .ok_or_else(|| {
                    InvalidInput::new(
                        "priority",
                        "invalid_priority",
                        "priority must be one of low, normal, high, urgent.",
                    )
                }),
            other => Err(InvalidInput::new(
                "action",
                "invalid_action",
                format!(
                    "action must be one of close, reopen, assign, tag, priority; {other:?} is not."
                ),
            )),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            BulkAction::Close => "close",
            BulkAction::Reopen => "reopen",
            BulkAction::Assign(_) => "assign",
            BulkAction::Tag(_) => "tag",
            BulkAction::Priority(_) => "priority",
        }
    }
}

/// The mention handle of a person: the part of their e-mail address before the `@`, lowercased
/// (`maria.ivanova@example.com` → `maria.ivanova`). Stable, unique enough within an organisation,
/// and typeable.
pub fn mention_handle(email: &str) -> String {
    email
        .split('@')
        .next()
        .unwrap_or_default()
        .trim()
        .to_lowercase()
}

/// The handles mentioned in a note (`@maria`, `@maria.ivanova`), lowercased, each once, in order.
/// A mention starts at the text's start or after a character that is not part of a word (so an
/// e-mail address mentions nobody) and runs over letters, digits, `.`, `_` and `-` (a trailing
/// `.` is punctuation).
pub fn mentioned_handles(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let part = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+');
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '@' && (i == 0 || !(part(chars[i - 1]) || chars[i - 1] == '@'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && part(chars[j]) {
            j += 1;
        }
        let handle: String = chars[i + 1..j]
            .iter()
            .collect::<String>()
            .trim_end_matches(['.', '-', '_'])
            .to_lowercase();
        if !handle.is_empty() && handle.chars().count() <= 64 && !out.contains(&handle) {
            out.push(handle);
        }
        i = j.max(i + 1);
    }
    out
}

/// An internal note's text: trimmed, 1 to [`MAX_NOTE_CHARS`] characters.
pub fn parse_note(text: &str) -> Result<String, InvalidInput> {
    let t = text.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(InvalidInput::new(
            "text",
            "empty_note",
            "Write something in the note.",
        ));
    }
    if n > MAX_NOTE_CHARS {
        return Err(InvalidInput::new(
            "text",
            "note_too_long",
            format!("A note is at most {MAX_NOTE_CHARS} characters; this one has {n}."),
        ));
    }
    Ok(t.to_owned())
}

/// Who sees a saved view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewVisibility {
    /// Its owner only.
    Private,
    /// The members of one team.
    Team,
    /// Everyone in the organisation who reads the inbox.
    Organisation,
}

impl ViewVisibility {
    pub const ALL: [ViewVisibility; 3] = [
        ViewVisibility::Private,
        ViewVisibility::Team,
        ViewVisibility::Organisation,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            ViewVisibility::Private => "private",
            ViewVisibility::Team => "team",
            ViewVisibility::Organisation => "organisation",
        }
    }

    pub fn parse(s: &str) -> Option<ViewVisibility> {
        Self::ALL.into_iter().find(|v| v.code() == s.trim())
    }
}

/// A saved view's name: trimmed, 1 to [`MAX_VIEW_NAME_CHARS`] characters, no control characters.
pub fn parse_view_name(s: &str) -> Result<String, InvalidInput> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_VIEW_NAME_CHARS || t.chars().any(char::is_control) {
        return Err(InvalidInput::new(
            "name",
            "invalid_name",
            format!("A view's name is 1 to {MAX_VIEW_NAME_CHARS} characters."),
        ));
    }
    Ok(t.to_owned())
}

/// The list parameters a saved view keeps (the inbox list's filters and the search words).
pub const VIEW_KEYS: [&str; 12] = [
    "q",
    "workspace_id",
    "channel_id",
    "network",
    "status",
    "assignee",
    "team_id",
    "tag",
    "sentiment",
    "intent",
    "language",
    "sla",
];

/// A saved view's query string, normalised: only [`VIEW_KEYS`], no empty values, each key once
/// (the first), in [`VIEW_KEYS`] order; at most 1,000 characters. Whether each value is valid is
/// the list's business (the same parser reads it).
pub fn normalise_view_query(raw: &str) -> Result<String, InvalidInput> {
    let raw = raw.trim().trim_start_matches('?');
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
        .collect();
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for key in VIEW_KEYS {
        if let Some((_, v)) = pairs.iter().find(|(k, v)| k == key && !v.is_empty()) {
            s.append_pair(key, v);
        }
    }
    let out = s.finish();
    if out.len() > 1_000 {
        return Err(InvalidInput::new(
            "query",
            "query_too_long",
            "A view's filters are at most 1,000 characters.",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn id(n: u128) -> MessageId {
        MessageId(Uuid::from_u128(n))
    }

    #[test]
    fn a_reply_is_stale_when_the_contact_wrote_after_what_the_page_saw() {
        let thread = [(id(1), true), (id(2), false), (id(3), true), (id(4), true)];
        assert_eq!(
            staleness(Some(id(4)), &thread),
            Staleness::Fresh,
            "saw the latest"
        );
        assert_eq!(
            staleness(Some(id(2)), &thread),
            Staleness::Stale { unseen: 2 }
        );
        // Our own later messages are not news to warn about.
        assert_eq!(
            staleness(Some(id(3)), &[(id(3), true), (id(5), false)]),
            Staleness::Fresh
        );
        assert_eq!(staleness(None, &[]), Staleness::Fresh);
        assert_eq!(staleness(None, &thread), Staleness::Stale { unseen: 3 });
        assert_eq!(
            staleness(Some(id(99)), &thread),
            Staleness::Stale { unseen: 3 }
        );
    }

    #[test]
    fn mentions_are_handles_after_an_at_sign() {
        assert_eq!(
            mentioned_handles("@maria can you look? cc @Ivan.Petrov, and @maria again."),
            ["maria", "ivan.petrov"]
        );
        assert!(mentioned_handles("mail me at ana@example.com").is_empty());
        assert!(mentioned_handles("@ @@ @.").is_empty());
        assert_eq!(mentioned_handles("(@ана)"), ["ана"]);
        assert_eq!(mention_handle("Maria.Ivanova@Example.com"), "maria.ivanova");
    }

    #[test]
    fn bulk_actions_parse_with_their_argument() {
        assert_eq!(
            BulkAction::parse("close", None, None, None),
            Ok(BulkAction::Close)
        );
        assert_eq!(
            BulkAction::parse("tag", None, Some("#Refund"), None),
            Ok(BulkAction::Tag("refund".into()))
        );
        assert_eq!(
            BulkAction::parse("priority", None, None, Some("urgent")),
            Ok(BulkAction::Priority(Priority::Urgent))
        );
        assert_eq!(
            BulkAction::parse("priority", None, None, Some("now"))
                .unwrap_err()
                .field,
            "priority"
        );
        assert_eq!(
            BulkAction::parse("tag", None, None, None)
                .unwrap_err()
                .field,
            "tags"
        );
        assert_eq!(
            BulkAction::parse("delete", None, None, None)
                .unwrap_err()
                .code,
            "invalid_action"
        );
    }

    #[test]
    fn view_queries_keep_only_list_filters() {
        assert_eq!(
            normalise_view_query("?cursor=abc&status=open&x=1&q=refund+late&status=closed&tag=")
                .unwrap(),
            "q=refund+late&status=open"
        );
        assert_eq!(normalise_view_query("").unwrap(), "");
        assert!(normalise_view_query(&format!("q={}", "a".repeat(1200))).is_err());
        assert!(parse_view_name("  ").is_err());
        assert_eq!(parse_view_name(" Angry DMs ").unwrap(), "Angry DMs");
        assert!(parse_note(" ").is_err());
        assert!(parse_note(&"x".repeat(MAX_NOTE_CHARS + 1)).is_err());
    }

    proptest! {
        #[test]
        fn mention_parsing_never_panics(s in "\\PC{0,200}") {
            let handles = mentioned_handles(&s);
            for h in handles {
                prop_assert!(!h.is_empty());
            }
        }

        #[test]
        fn view_queries_never_panic_and_are_stable(s in "\\PC{0,300}") {
            if let Ok(q) = normalise_view_query(&s) {
                prop_assert_eq!(normalise_view_query(&q).unwrap(), q);
            }
        }
    }
}
