//! Answers from Owlery: checking an answer's text against its network's limit (counted the
//! network's way), and saved replies — named texts with variables such as `{contact.first_name}`
//! rendered for one conversation. Pure: the store keeps them, the web layer shows them.

use crate::{InvalidInput, spec::TextField, text};

/// The longest answer kept, whatever the network (in characters).
pub const MAX_REPLY_CHARS: usize = 10_000;

/// An answer's text, trimmed: not empty, within Owlery's own bound and, when the network's text
/// rule is known (`field`: the main text field of its main placement in `networks.toml`), within
/// the network's limit counted its way.
pub fn check_reply(
    text: &str,
    network_label: &str,
    field: Option<&TextField>,
) -> Result<String, InvalidInput> {
    let t = text.trim();
    if t.is_empty() {
        return Err(InvalidInput::new(
            "text",
            "empty_reply",
            "Write the answer before sending it.",
        ));
    }
    if t.chars().count() > MAX_REPLY_CHARS {
        return Err(InvalidInput::new(
            "text",
            "reply_too_long",
            format!("An answer has at most {MAX_REPLY_CHARS} characters."),
        ));
    }
    if let Some(f) = field {
        let used = text::count(f.count, t);
        if used as u64 > f.limit {
            return Err(InvalidInput::new(
                "text",
                "reply_too_long",
                format!(
                    "{network_label} takes at most {} characters here; this answer counts {used}. Shorten it by {}.",
                    f.limit,
                    used as u64 - f.limit
                ),
            ));
        }
        if let Some(max) = f.max_bytes
            && t.len() as u64 > max
        {
            return Err(InvalidInput::new(
                "text",
                "reply_too_long",
                format!(
                    "{network_label} takes at most {max} bytes here; this answer has {}.",
                    t.len()
                ),
            ));
        }
    }
    Ok(t.to_owned())
}

/// The variables a saved reply may use.
pub const VARIABLES: [&str; 5] = [
    "contact.name",
    "contact.first_name",
    "contact.handle",
    "agent.name",
    "channel.name",
];

/// What the variables stand for in one conversation (any may be unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyContext {
    pub contact_name: Option<String>,
    pub contact_handle: Option<String>,
    pub agent_name: Option<String>,
    pub channel_name: Option<String>,
}

/// A piece of a parsed saved reply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits a body into text and `{variable}`s. `{{` and `}}` stand for literal braces; a `{`
/// that opens no known-shaped variable is an error naming it.
fn pieces(body: &str) -> Result<Vec<Piece<'_>>, InvalidInput> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(['{', '}']) {
        let (before, at) = rest.split_at(i);
        if !before.is_empty() {
            out.push(Piece::Text(before));
        }
        if let Some(after) = at.strip_prefix("{{") {
            out.push(Piece::Text("{"));
            rest = after;
        } else if let Some(after) = at.strip_prefix("}}") {
            out.push(Piece::Text("}"));
            rest = after;
        } else if let Some(after) = at.strip_prefix('{') {
            let Some(end) = after.find('}') else {
                return Err(InvalidInput::new(
                    "body",
                    "unclosed_variable",
                    "A { opens a variable that is never closed; write {{ for a brace.",
                ));
            };
            let name = after[..end].trim();
            if !VARIABLES.contains(&name) {
                return Err(InvalidInput::new(
                    "body",
                    "unknown_variable",
                    format!(
                        "{{{name}}} is not a variable. Use one of {}.",
                        VARIABLES.map(|v| format!("{{{v}}}")).join(", ")
                    ),
                ));
            }
            out.push(Piece::Var(name));
            rest = &after[end + 1..];
        } else {
            // A lone `}`: kept as written.
            out.push(Piece::Text("}"));
            rest = &at[1..];
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// A saved reply as a person writes it: name 1–80 characters, body 1–5,000 characters whose
/// variables are all known, an optional shortcut (1–30 letters, digits, `-` or `_`, without the
/// leading `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedReplyText {
    pub name: String,
    pub body: String,
    pub shortcut: Option<String>,
}

impl SavedReplyText {
    pub fn parse(
        name: &str,
        body: &str,
        shortcut: Option<&str>,
    ) -> Result<SavedReplyText, InvalidInput> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(InvalidInput::new(
                "name",
                "invalid_name",
                "A saved reply's name is 1 to 80 characters.",
            ));
        }
        let body = body.trim();
        if body.is_empty() || body.chars().count() > 5_000 {
            return Err(InvalidInput::new(
                "body",
                "invalid_body",
                "A saved reply's text is 1 to 5,000 characters.",
            ));
        }
        pieces(body)?;
        let shortcut = match shortcut
            .map(|s| s.trim().trim_start_matches('/'))
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => {
                let ok = s.chars().count() <= 30
                    && s.chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
                if !ok {
                    return Err(InvalidInput::new(
                        "shortcut",
                        "invalid_shortcut",
                        "A shortcut is 1 to 30 letters, digits, - or _.",
                    ));
                }
                Some(s.to_lowercase())
            }
        };
        Ok(SavedReplyText {
            name: name.to_owned(),
            body: body.to_owned(),
            shortcut,
        })
    }
}

/// The body with its variables filled in. A value that is unknown falls back to something that
/// still reads well: the contact's name → their handle → "there"; the first name → the first word
/// of the name → the handle → "there"; the handle → the name; the agent → "the team"; the channel
/// → "us". A body that does not parse (it was checked when saved) is returned as written.
pub fn render(body: &str, ctx: &ReplyContext) -> String {
    let Ok(pieces) = pieces(body) else {
        return body.to_owned();
    };
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let name = clean(&ctx.contact_name);
    let handle = clean(&ctx.contact_handle).map(|h| format!("@{}", h.trim_start_matches('@')));
    let mut out = String::with_capacity(body.len());
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(v) => {
                let value = match v {
                    "contact.name" => name
                        .clone()
                        .or(handle.clone())
                        .unwrap_or_else(|| "there".into()),
                    "contact.first_name" => name
                        .as_deref()
                        .and_then(|n| n.split_whitespace().next())
                        .map(str::to_owned)
                        .or(handle.clone())
                        .unwrap_or_else(|| "there".into()),
                    "contact.handle" => handle
                        .clone()
                        .or(name.clone())
                        .unwrap_or_else(|| "there".into()),
                    "agent.name" => clean(&ctx.agent_name).unwrap_or_else(|| "the team".into()),
                    "channel.name" => clean(&ctx.channel_name).unwrap_or_else(|| "us".into()),
                    _ => String::new(),
                };
                out.push_str(&value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::CountRule;
    use proptest::prelude::*;

    fn ctx() -> ReplyContext {
        ReplyContext {
            contact_name: Some("Ana María López".into()),
            contact_handle: Some("ana.bsky.social".into()),
            agent_name: Some("Ivo".into()),
            channel_name: Some("Northwind".into()),
        }
    }

    #[test]
    fn variables_are_filled_and_missing_ones_fall_back() {
        let body = "Hi {contact.first_name}, {agent.name} from {channel.name} here ({contact.handle}, {contact.name}). {{literal}}";
        assert_eq!(
            render(body, &ctx()),
            "Hi Ana, Ivo from Northwind here (@ana.bsky.social, Ana María López). {literal}"
        );
        assert_eq!(
            render(body, &ReplyContext::default()),
            "Hi there, the team from us here (there, there). {literal}"
        );
        let only_handle = ReplyContext {
            contact_handle: Some("@bo".into()),
            ..ReplyContext::default()
        };
        assert_eq!(render("Hi {contact.first_name}", &only_handle), "Hi @bo");
        assert_eq!(render("Hi { contact.name }", &only_handle), "Hi @bo");
    }

    #[test]
    fn unknown_variables_are_refused_when_saved() {
        let e = SavedReplyText::parse("Thanks", "Hi {contact.nickname}", None).unwrap_err();
        assert_eq!(e.code, "unknown_variable");
        assert!(e.message.contains("{contact.nickname}"), "{}", e.message);
        assert_eq!(
            SavedReplyText::parse("T", "Hi {contact.name", None)
                .unwrap_err()
                .code,
            "unclosed_variable"
        );
        assert_eq!(
            SavedReplyText::parse("T", "x", Some("no spaces"))
                .unwrap_err()
                .code,
            "invalid_shortcut"
        );
        let ok = SavedReplyText::parse(" Thanks ", " Hi {contact.name} ", Some("/Thanks")).unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.body.as_str(), ok.shortcut.as_deref()),
            ("Thanks", "Hi {contact.name}", Some("thanks"))
        );
    }

    #[test]
    fn answers_are_counted_the_networks_way() {
        let bluesky = TextField {
            name: "text".into(),
            limit: 300,
            count: CountRule::Graphemes,
            required: true,
            max_bytes: Some(3000),
            url_length: None,
        };
        assert_eq!(
            check_reply("  hi  ", "Bluesky", Some(&bluesky)).unwrap(),
            "hi"
        );
        assert_eq!(
            check_reply(" \n ", "Bluesky", Some(&bluesky))
                .unwrap_err()
                .code,
            "empty_reply"
        );
        let long = "é".repeat(301);
        let e = check_reply(&long, "Bluesky", Some(&bluesky)).unwrap_err();
        assert_eq!(e.code, "reply_too_long");
        assert!(e.message.contains("counts 301"), "{}", e.message);
        assert!(check_reply(&"é".repeat(300), "Bluesky", Some(&bluesky)).is_ok());
        assert!(check_reply(&"a".repeat(MAX_REPLY_CHARS + 1), "Sandbox", None).is_err());
    }

    proptest! {
        #[test]
        fn rendering_never_panics(body in "\\PC{0,200}", name in proptest::option::of("\\PC{0,20}"), handle in proptest::option::of("\\PC{0,20}")) {
            let ctx = ReplyContext { contact_name: name, contact_handle: handle, agent_name: None, channel_name: None };
            let _ = render(&body, &ctx);
            let _ = SavedReplyText::parse("n", &body, None);
        }

        #[test]
        fn saved_bodies_render_without_braces_of_variables(words in proptest::collection::vec(prop_oneof![
            Just("{contact.name}".to_owned()), Just("{agent.name}".to_owned()), Just("{{".to_owned()), "[a-z ]{0,8}"
        ], 1..12)) {
            let body = words.concat();
            if SavedReplyText::parse("n", &body, None).is_ok() {
                let out = render(&body, &ctx());
                let leftover = out.contains("{contact.name}") || out.contains("{agent.name}");
                prop_assert!(!leftover, "a variable was left in {:?}", out);
            }
        }
    }
}
