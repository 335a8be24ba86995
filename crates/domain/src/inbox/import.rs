//! One line of an inbox import file (`owlery inbox import FILE.jsonl`): one JSON object per line,
//! the migration path from other tools and the benchmark's input.
//!
//! ```json
//! {"channel_id": "0192…", "remote_id": "c-1", "kind": "comment",
//!  "author": {"remote_id": "u-7", "handle": "ana", "name": "Ana", "followers": 120},
//!  "text": "Is the shop open on Sunday?", "created_at": "2026-11-27T09:30:00Z",
//!  "conversation_remote_id": "post-3", "in_reply_to_remote_id": null,
//!  "media": ["https://…"], "url": "https://…"}
//! ```
//! Required: `channel_id` (an Owlery channel id), `remote_id`, `kind` (`comment`, `mention` or
//! `dm`), `author` {`remote_id`, `handle`, `name`}, `text`, `created_at` (RFC 3339). Optional:
//! `conversation_remote_id`, `in_reply_to_remote_id`, `author.followers`, `media`, `url`. Other
//! fields are ignored. A line that breaks a rule gets a [`LineError`] naming the field and why.
//!
//! Parsing is a typed fast path (borrowed strings, no intermediate tree); only a line that fails
//! it is parsed again as a JSON tree to say precisely which field is wrong.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Author, InboundMessage, MAX_MEDIA, MAX_REMOTE_ID, MAX_TEXT_CHARS, MessageKind};
use crate::ChannelId;

/// Why one line was not imported: the field (dotted, `author.handle`) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", field.map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct LineError {
    pub field: Option<&'static str>,
    pub reason: String,
}

impl LineError {
    fn field(field: &'static str, reason: impl Into<String>) -> LineError {
        LineError {
            field: Some(field),
            reason: reason.into(),
        }
    }

    fn line(reason: impl Into<String>) -> LineError {
        LineError {
            field: None,
            reason: reason.into(),
        }
    }
}

#[derive(Deserialize)]
struct RawAuthor<'a> {
    #[serde(borrow, default)]
    remote_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    handle: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    followers: Option<u64>,
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow, default)]
    channel_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    remote_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    author: Option<RawAuthor<'a>>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    conversation_remote_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    in_reply_to_remote_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    media: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
}

/// Parse one line (without its newline).
pub fn parse_line(line: &str) -> Result<InboundMessage, LineError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(LineError::line("empty line"));
    }
    match serde_json::from_str::<Raw<'_>>(line) {
        Ok(raw) => validate(raw),
        Err(e) => Err(explain(line, &e)),
    }
}

fn required<'a>(v: Option<Cow<'a, str>>, field: &'static str) -> Result<Cow<'a, str>, LineError> {
    v.ok_or_else(|| LineError::field(field, "missing"))
}

fn remote_id(v: Cow<'_, str>, field: &'static str) -> Result<String, LineError> {
    let s = v.trim();
    if s.is_empty() {
        return Err(LineError::field(field, "must not be empty"));
    }
    if s.len() > MAX_REMOTE_ID {
        return Err(LineError::field(
            field,
            format!("longer than {MAX_REMOTE_ID} bytes"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(LineError::field(field, "contains control characters"));
    }
    Ok(s.to_owned())
}

fn optional_id(v: Option<Cow<'_, str>>, field: &'static str) -> Result<Option<String>, LineError> {
    match v {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => remote_id(s, field).map(Some),
    }
}

fn short_text(v: Cow<'_, str>, field: &'static str) -> Result<String, LineError> {
    let s = v.trim();
    if s.chars().count() > 200 {
        return Err(LineError::field(field, "longer than 200 characters"));
    }
    Ok(s.chars().filter(|c| !c.is_control()).collect())
}

fn validate(raw: Raw<'_>) -> Result<InboundMessage, LineError> {
    let channel = required(raw.channel_id, "channel_id")?;
    let channel = ChannelId::parse(&channel)
        .ok_or_else(|| LineError::field("channel_id", "not a channel id (a UUID)"))?;
    let remote = remote_id(required(raw.remote_id, "remote_id")?, "remote_id")?;
    let kind = required(raw.kind, "kind")?;
    let kind = MessageKind::parse(kind.trim()).ok_or_else(|| {
        LineError::field(
            "kind",
            format!(
                "{:?} is not one of comment, mention, dm",
                truncate(&kind, 40)
            ),
        )
    })?;
    let author = raw
        .author
        .ok_or_else(|| LineError::field("author", "missing"))?;
    let author_id = remote_id(
        required(author.remote_id, "author.remote_id")?,
        "author.remote_id",
    )?;
    let handle = short_text(required(author.handle, "author.handle")?, "author.handle")?;
    let handle = handle.trim_start_matches('@').to_owned();
    let name = short_text(required(author.name, "author.name")?, "author.name")?;
    if handle.is_empty() && name.is_empty() {
        return Err(LineError::field(
            "author",
            "needs a handle or a name (both are empty)",
        ));
    }
    let name = if name.is_empty() {
        handle.clone()
    } else {
        name
    };
    let text = required(raw.text, "text")?;
    let media: Vec<String> = raw
        .media
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if media.len() > MAX_MEDIA {
        return Err(LineError::field(
            "media",
            format!("more than {MAX_MEDIA} links"),
        ));
    }
    if text.trim().is_empty() && media.is_empty() {
        return Err(LineError::field(
            "text",
            "must not be empty (a message without media needs text)",
        ));
    }
    let text: String = if text.chars().nth(MAX_TEXT_CHARS).is_some() {
        text.chars().take(MAX_TEXT_CHARS).collect()
    } else {
        text.into_owned()
    };
    let created = required(raw.created_at, "created_at")?;
    let created_at = DateTime::parse_from_rfc3339(created.trim())
        .map_err(|e| {
            LineError::field(
                "created_at",
                format!(
                    "{:?} is not an RFC 3339 time like 2026-11-27T09:30:00Z ({e})",
                    truncate(&created, 40)
                ),
            )
        })?
        .with_timezone(&Utc);
    let created_at = crate::audit::chain_time(created_at);
    Ok(InboundMessage {
        channel,
        remote_id: remote,
        kind,
        author: Author {
            remote_id: author_id,
            handle,
            name,
            followers: author.followers,
        },
        text,
        created_at,
        conversation_remote_id: optional_id(raw.conversation_remote_id, "conversation_remote_id")?,
        in_reply_to_remote_id: optional_id(raw.in_reply_to_remote_id, "in_reply_to_remote_id")?,
        media,
        url: raw
            .url
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty()),
    })
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Why the typed parse failed, field by field.
fn explain(line: &str, typed: &serde_json::Error) -> LineError {
    let value: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return LineError::line(format!("not valid JSON ({e})")),
    };
    let Some(obj) = value.as_object() else {
        return LineError::line(format!("not a JSON object but {}", type_name(&value)));
    };
    let strings = [
        "channel_id",
        "remote_id",
        "kind",
        "text",
        "created_at",
        "conversation_remote_id",
        "in_reply_to_remote_id",
        "url",
    ];
    for field in strings {
        if let Some(v) = obj.get(field)
            && !(v.is_string() || v.is_null())
        {
            return LineError::field(field, format!("expected a string, found {}", type_name(v)));
        }
    }
    if let Some(author) = obj.get("author") {
        let Some(author) = author.as_object() else {
            return LineError::field(
                "author",
                format!("expected an object, found {}", type_name(author)),
            );
        };
        for (key, field) in [
            ("remote_id", "author.remote_id"),
            ("handle", "author.handle"),
            ("name", "author.name"),
        ] {
            if let Some(v) = author.get(key)
                && !(v.is_string() || v.is_null())
            {
                return LineError::field(
                    field,
                    format!("expected a string, found {}", type_name(v)),
                );
            }
        }
        if let Some(v) = author.get("followers")
            && !(v.is_u64() || v.is_null())
        {
            return LineError::field(
                "author.followers",
                format!("expected a whole number ≥ 0, found {}", type_name(v)),
            );
        }
    }
    if let Some(v) = obj.get("media") {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::Array(items) => {
                if items.iter().any(|i| !i.is_string()) {
                    return LineError::field("media", "expected an array of strings (links)");
                }
            }
            other => {
                return LineError::field(
                    "media",
                    format!("expected an array of links, found {}", type_name(other)),
                );
            }
        }
    }
    LineError::line(format!("not readable ({typed})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CH: &str = "0192f3a0-0000-7000-8000-000000000001";

    fn line(extra: &str) -> String {
        format!(
            r#"{{"channel_id":"{CH}","remote_id":"c1","kind":"comment","author":{{"remote_id":"u1","handle":"@ana","name":"Ana","followers":12}},"text":"Hello? Когда","created_at":"2026-11-27T09:30:00.1234567Z"{extra}}}"#
        )
    }

    #[test]
    fn a_good_line() {
        let m = parse_line(&line(r#","conversation_remote_id":"p1","extra":{"x":1}"#)).unwrap();
        assert_eq!(m.remote_id, "c1");
        assert_eq!(m.kind, MessageKind::Comment);
        assert_eq!(m.author.handle, "ana");
        assert_eq!(m.author.followers, Some(12));
        assert_eq!(m.created_at.timestamp_subsec_micros(), 123_456);
        assert_eq!(m.thread_key(), "comment:p1:u1");
        assert_eq!(m.post_remote_id(), Some("p1"));
    }

    #[test]
    fn errors_name_the_field() {
        let cases: [(String, Option<&str>); 10] = [
            ("{".into(), None),
            ("[1]".into(), None),
            (line(r#","kind":"dm""#), None), // duplicate key
            (
                line("").replace(r#""kind":"comment""#, r#""kind":"reply""#),
                Some("kind"),
            ),
            (line("").replace(CH, "nope"), Some("channel_id")),
            (
                line("").replace(r#""remote_id":"c1""#, r#""remote_id":7"#),
                Some("remote_id"),
            ),
            (
                line("").replace(r#""handle":"@ana""#, r#""handle":1"#),
                Some("author.handle"),
            ),
            (
                line("").replace("2026-11-27T09:30:00.1234567Z", "yesterday"),
                Some("created_at"),
            ),
            (
                line("").replace(r#""text":"Hello? Когда""#, r#""text":"  ""#),
                Some("text"),
            ),
            (line(r#","media":"x""#), Some("media")),
        ];
        for (l, field) in cases {
            let e = parse_line(&l).unwrap_err();
            assert_eq!(e.field, field, "{l}: {e}");
        }
        let e = parse_line(&line("").replace(
            r#","author":{"remote_id":"u1","handle":"@ana","name":"Ana","followers":12}"#,
            "",
        ))
        .unwrap_err();
        assert_eq!(e.to_string(), "author: missing");
    }
}
