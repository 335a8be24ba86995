//! Version history: what changed between two versions of a post's text, word by word, so that a
//! reviewer sees "moved the launch to Friday" rather than two walls of text.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// A run of text that is in both versions, only in the new one, or only in the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Change {
    Same(String),
    Added(String),
    Removed(String),
}

impl Change {
    pub fn text(&self) -> &str {
        match self {
            Change::Same(s) | Change::Added(s) | Change::Removed(s) => s,
        }
    }
}

/// The word-level difference between `old` and `new`. Words and the whitespace between them are
/// separate tokens, so a changed line break shows; neighbouring runs of the same kind are merged.
/// `Same` + `Removed` runs concatenated give `old`; `Same` + `Added` give `new`.
pub fn diff_words(old: &str, new: &str) -> Vec<Change> {
    let diff = TextDiff::configure().diff_words(old, new);
    let mut out: Vec<Change> = Vec::new();
    for change in diff.iter_all_changes() {
        let value = change.value();
        match (change.tag(), out.last_mut()) {
            (ChangeTag::Equal, Some(Change::Same(s)))
            | (ChangeTag::Insert, Some(Change::Added(s)))
            | (ChangeTag::Delete, Some(Change::Removed(s))) => s.push_str(value),
            (ChangeTag::Equal, _) => out.push(Change::Same(value.to_owned())),
            (ChangeTag::Insert, _) => out.push(Change::Added(value.to_owned())),
            (ChangeTag::Delete, _) => out.push(Change::Removed(value.to_owned())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_level_changes() {
        let d = diff_words("Launch on Thursday at 10", "Launch on Friday at 10");
        assert_eq!(
            d,
            vec![
                Change::Same("Launch on ".into()),
                Change::Removed("Thursday".into()),
                Change::Added("Friday".into()),
                Change::Same(" at 10".into()),
            ]
        );
    }

    #[test]
    fn whitespace_changes_show() {
        let d = diff_words("a b", "a\nb");
        assert!(d.contains(&Change::Removed(" ".into())));
        assert!(d.contains(&Change::Added("\n".into())));
    }

    #[test]
    fn empty_sides() {
        assert_eq!(diff_words("", ""), vec![]);
        assert_eq!(diff_words("", "новo"), vec![Change::Added("новo".into())]);
        assert_eq!(
            diff_words("old words", ""),
            vec![Change::Removed("old words".into())]
        );
        let json = serde_json::to_value(Change::Added("x".into())).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "added", "text": "x"}));
    }
}
