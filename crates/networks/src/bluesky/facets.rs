//! Rich-text facets: where links, mentions and hashtags are in a post, as UTF-8 byte ranges.
//!
//! The entities are found with `owlery_domain::text` (the same rules the composer counts with):
//! `urls` gives byte ranges; `hashtags` and `mentions` give the strings in order, which are located
//! here with the same context rules (the character before, not inside a URL). A Rust `&str` index
//! *is* a UTF-8 byte offset, which is what `app.bsky.richtext.facet#byteSlice` wants, so the ranges
//! are used as they are; every range lies on character boundaries (checked by a property test).

use std::ops::Range;

use owlery_domain::text;

/// An entity found in the text, before mentions are resolved to DIDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entity {
    /// A link; `uri` has a scheme (`https://` is added to a bare `example.com/x`).
    Link { range: Range<usize>, uri: String },
    /// `@handle` (the range includes the `@`).
    Mention { range: Range<usize>, handle: String },
    /// `#tag` (the range includes the `#`; `tag` is without it).
    Tag { range: Range<usize>, tag: String },
}

impl Entity {
    pub fn range(&self) -> &Range<usize> {
        match self {
            Entity::Link { range, .. }
            | Entity::Mention { range, .. }
            | Entity::Tag { range, .. } => range,
        }
    }
}

/// Bluesky's limit on a tag facet: 64 graphemes (640 bytes).
const MAX_TAG_BYTES: usize = 640;

/// The links, mentions and hashtags of `text`, in order of position.
pub fn entities(text: &str) -> Vec<Entity> {
    let urls = text::urls(text);
    let mut out: Vec<Entity> = Vec::new();
    for range in &urls {
        let Some(found) = text.get(range.clone()) else {
            continue;
        };
        let lower = found.to_ascii_lowercase();
        let uri = if lower.starts_with("http://") || lower.starts_with("https://") {
            found.to_owned()
        } else {
            format!("https://{found}")
        };
        out.push(Entity::Link {
            range: range.clone(),
            uri,
        });
    }
    let in_url = |i: usize| urls.iter().any(|r| r.contains(&i));

    let mut from = 0;
    for handle in text::mentions(text) {
        // Only plain handles can be Bluesky mentions (`user@server` is Mastodon's).
        let usable = !handle.contains('@') && handle.contains('.');
        if let Some(range) = locate(text, from, &['@', '＠'], &handle, |i, prev| {
            !in_url(i)
                && !prev.is_some_and(|p| p.is_ascii_alphanumeric() || "_!#$%&*@＠=/".contains(p))
                && text::mentions(text.get(i..).unwrap_or_default()).first() == Some(&handle)
        }) {
            from = range.end;
            if usable {
                out.push(Entity::Mention {
                    range,
                    handle: handle.to_ascii_lowercase(),
                });
            }
        }
    }

    let mut from = 0;
    for tag in text::hashtags(text) {
        if let Some(range) = locate(text, from, &['#', '＃'], &tag, |i, prev| {
            !in_url(i)
                && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '&')
                && text::hashtags(text.get(i..).unwrap_or_default()).first() == Some(&tag)
        }) {
            from = range.end;
            if tag.len() <= MAX_TAG_BYTES {
                out.push(Entity::Tag { range, tag });
            }
        }
    }
    out.sort_by_key(|e| e.range().start);
    // Overlaps cannot come from the rules above (mentions and tags are never inside a URL), but a
    // facet list must not overlap: keep the first.
    let mut last_end = 0;
    out.retain(|e| {
        let keep = e.range().start >= last_end;
        if keep {
            last_end = e.range().end;
        }
        keep
    });
    out
}

/// The first occurrence at or after byte `from` of a sigil followed by `body` that `ok(start,
/// char before)` accepts, as a byte range including the sigil.
fn locate(
    text: &str,
    from: usize,
    sigils: &[char],
    body: &str,
    ok: impl Fn(usize, Option<char>) -> bool,
) -> Option<Range<usize>> {
    let mut prev = text.get(..from).and_then(|s| s.chars().next_back());
    for (offset, c) in text.get(from..)?.char_indices() {
        let i = from + offset;
        let before = prev;
        prev = Some(c);
        if !sigils.contains(&c) {
            continue;
        }
        let body_start = i + c.len_utf8();
        let end = body_start + body.len();
        if text.get(body_start..end) == Some(body) && ok(i, before) {
            return Some(i..end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slice(text: &str, e: &Entity) -> String {
        text[e.range().clone()].to_owned()
    }

    #[test]
    fn byte_offsets_after_emoji_and_cyrillic() {
        let text = "Привет 🦉👨‍👩‍👧 мир #совы and #owls, ask @alice.test at https://example.com/a?b=1 or bsky.app!";
        let found = entities(text);
        let shown: Vec<(String, &Entity)> = found.iter().map(|e| (slice(text, e), e)).collect();
        assert_eq!(found.len(), 5, "{shown:#?}");
        assert!(matches!(&found[0], Entity::Tag { tag, .. } if tag == "совы"));
        assert_eq!(slice(text, &found[0]), "#совы");
        // bytes: "Привет " 13, owl 4, family 18 (3 emoji + 2 joiners), " мир " 8 → 43
        assert_eq!(found[0].range().start, 43);
        assert_eq!(found[0].range().end, 43 + 1 + 8);
        assert_eq!(slice(text, &found[1]), "#owls");
        assert!(
            matches!(&found[2], Entity::Mention { handle, .. } if handle == "alice.test"),
            "{shown:#?}"
        );
        assert_eq!(slice(text, &found[2]), "@alice.test");
        assert!(
            matches!(&found[3], Entity::Link { uri, .. } if uri == "https://example.com/a?b=1")
        );
        assert!(matches!(&found[4], Entity::Link { uri, .. } if uri == "https://bsky.app"));
        assert_eq!(slice(text, &found[4]), "bsky.app");
    }

    #[test]
    fn context_rules_follow_the_domain_extractors() {
        // a tag glued to a word is not a tag; the real one later is found at its own place
        let text = "a#owl b #owl";
        let found = entities(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].range().clone(), 8..12);
        // an e-mail address is not a mention; a short handle without a dot is not a Bluesky one
        let text = "me@alice.test @bob @carla.test";
        let found = entities(text);
        assert_eq!(found.len(), 1);
        assert_eq!(slice(text, &found[0]), "@carla.test");
        // a tag inside a URL is not a tag
        let found = entities("see https://example.com/#frag #real");
        assert_eq!(found.len(), 2);
        assert!(matches!(&found[1], Entity::Tag { tag, .. } if tag == "real"));
        // Mastodon's remote mentions are left alone
        assert!(entities("hi @owl@mastodon.social").is_empty());
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Привет".to_owned()),
            Just("🦉".to_owned()),
            Just("👨‍👩‍👧".to_owned()),
            Just("é".to_owned()),
            Just(" ".to_owned()),
            Just("\n".to_owned()),
            Just("#".to_owned()),
            Just("@".to_owned()),
            Just(".".to_owned()),
            Just("#тег".to_owned()),
            Just("#owl_2".to_owned()),
            Just("@alice.test".to_owned()),
            Just("https://example.com/x".to_owned()),
            Just("bsky.app".to_owned()),
            "[a-z0-9]{1,5}",
            "\\PC{1,3}",
        ]
    }

    proptest! {
        #[test]
        fn ranges_are_on_char_boundaries_and_slice_back(parts in prop::collection::vec(piece(), 0..16)) {
            let text: String = parts.concat();
            let mut last_end = 0;
            for e in entities(&text) {
                let r = e.range().clone();
                prop_assert!(r.start >= last_end, "overlap in {text:?}");
                last_end = r.end;
                prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                let s = &text[r];
                match &e {
                    Entity::Tag { tag, .. } => {
                        let (plain, wide) = (format!("#{tag}"), format!("＃{tag}"));
                        prop_assert!(s == plain || s == wide);
                        prop_assert!(text::hashtags(&text).contains(tag));
                    }
                    Entity::Mention { handle, .. } => {
                        prop_assert_eq!(s.trim_start_matches(['@', '＠']).to_ascii_lowercase(), handle.clone());
                        prop_assert!(text::mentions(&text).iter().any(|m| m.eq_ignore_ascii_case(handle)));
                    }
                    Entity::Link { uri, .. } => {
                        prop_assert!(uri.ends_with(s));
                    }
                }
            }
            // every hashtag the domain finds gets its facet
            let tags = entities(&text).iter().filter(|e| matches!(e, Entity::Tag { .. })).count();
            prop_assert_eq!(tags, text::hashtags(&text).len());
        }
    }
}
