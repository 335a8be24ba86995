//! Tokenizing a message once for every part of triage: words (lower-cased, letter runs squeezed),
//! links and mentions as placeholders, emoticons and emoji as their own tokens, and the `!`/`?`
//! marks that end a clause. Language-independent; word lists are applied later.

use std::borrow::Cow;
use std::sync::LazyLock;

use rustc_hash::FxHashSet;

/// Messages longer than this many bytes are classified on their first part: triage reads the
/// opening of a message, the routing decision does not need a whole essay, and the cost of a
/// message stays bounded.
pub const MAX_BYTES: usize = 8 * 1024;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Letters and digits (lower-cased).
    Word,
    /// `http…`/`www.…` → the token text is `<url>`.
    Url,
    /// `@someone` → `<user>`.
    User,
    /// An emoticon like `:)` or an emoji/pictograph (one char).
    Symbol,
    /// `!` or `?` (runs collapse to one token).
    Mark,
    /// `.`, `,`, `;`, `:` and the like: ends a negation scope, not a feature of its own.
    Break,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// The word (lower-cased), or the placeholder/mark/symbol (borrowed: no allocation).
    pub text: Cow<'static, str>,
    /// The original was written in capitals (≥ 2 letters, all upper-case).
    pub shouted: bool,
    /// Inside the scope of a negation word (up to three words after it, until a clause break).
    pub negated: bool,
}

/// Emoticons that carry sentiment, matched on a whitespace-separated chunk.
const EMOTICONS: &[&str] = &[
    ":)", ":-)", ":))", ":)))", ";)", ";-)", ":d", ":-d", "xd", ":p", ":-p", "=)", "<3", "^^",
    ":*", ":(", ":-(", ":((", ":(((", ":'(", ":/", ":-/", ":|", "</3", ">:(", "d:",
];

/// Negation words across Owlery's languages (a merged list: the words do not collide in meaning).
const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "nothing",
    "nobody",
    "none",
    "cannot",
    "cant",
    "dont",
    "doesnt",
    "didnt",
    "isnt",
    "wasnt",
    "wont",
    "aint",
    "arent",
    "havent",
    "hasnt",
    "shouldnt",
    "couldnt",
    "wouldnt",
    "nicht",
    "kein",
    "keine",
    "keinen",
    "keiner",
    "keinem",
    "nie",
    "niemals",
    "nichts",
    "ohne",
    "nunca",
    "ni",
    "nada",
    "jamás",
    "tampoco",
    "sin",
    "не",
    "няма",
    "нито",
    "никога",
    "нищо",
    "без",
];

static NEGATION_SET: LazyLock<FxHashSet<&'static str>> =
    LazyLock::new(|| NEGATIONS.iter().copied().collect());

pub fn is_negation(word: &str) -> bool {
    NEGATION_SET.contains(word) || word.ends_with("n't")
}

/// Cuts `text` to at most [`MAX_BYTES`] on a char boundary.
pub fn clip(text: &str) -> &str {
    clip_to(text, MAX_BYTES)
}

/// Cuts `text` to at most `max` bytes on a char boundary.
pub fn clip_to(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn is_pictograph(c: char) -> bool {
    let u = c as u32;
    (0x1F300..=0x1FAFF).contains(&u)
        || (0x2600..=0x27BF).contains(&u)
        || (0x1F000..=0x1F2FF).contains(&u)
}

/// Pushes a lower-cased word with letter runs longer than two squeezed to two ("soooo" → "soo").
fn push_word(out: &mut Vec<Token>, raw: &str) {
    let mut text = String::with_capacity(raw.len());
    let (mut last, mut run) = ('\0', 0);
    let mut upper = 0usize;
    let mut letters = 0usize;
    let mut squeeze = |l: char, text: &mut String| {
        if l == last {
            run += 1;
        } else {
            last = l;
            run = 1;
        }
        if run <= 2 {
            text.push(l);
        }
    };
    for c in raw.chars() {
        if c.is_ascii() {
            // The common case, without the Unicode tables.
            if c.is_ascii_alphabetic() {
                letters += 1;
                if c.is_ascii_uppercase() {
                    upper += 1;
                }
            }
            squeeze(c.to_ascii_lowercase(), &mut text);
            continue;
        }
        if c.is_alphabetic() {
            letters += 1;
            if c.is_uppercase() {
                upper += 1;
            }
        }
        for l in c.to_lowercase() {
            squeeze(l, &mut text);
        }
    }
    // Apostrophes: trimmed at the ends, typographic ones inside made plain ("don’t" → "don't").
    let trimmed = text.trim_matches('\'');
    let text = if trimmed.contains('’') {
        trimmed.replace('’', "'")
    } else if trimmed.len() != text.len() {
        trimmed.to_owned()
    } else {
        text
    };
    if text.is_empty() {
        return;
    }
    out.push(Token {
        kind: Kind::Word,
        text: Cow::Owned(text),
        shouted: letters >= 2 && upper == letters,
        negated: false,
    });
}

/// `chunk` starts with `prefix` (ASCII), ignoring ASCII case.
fn starts_with_ignore_case(chunk: &str, prefix: &str) -> bool {
    chunk
        .as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The emoticon `chunk` is (compared lower-cased), if it is one. Emoticons are ASCII and at most
/// four bytes, so nothing longer or non-ASCII is lower-cased at all.
fn emoticon(chunk: &str) -> Option<&'static str> {
    let trimmed = chunk.trim_matches(|c: char| c == '.' || c == ',' || c == '"');
    if trimmed.is_empty() || trimmed.len() > 4 || !trimmed.is_ascii() {
        return None;
    }
    let mut buf = [0u8; 4];
    let lower = buf.get_mut(..trimmed.len())?;
    lower.copy_from_slice(trimmed.as_bytes());
    lower.make_ascii_lowercase();
    EMOTICONS.iter().copied().find(|e| e.as_bytes() == &*lower)
}

fn push(out: &mut Vec<Token>, kind: Kind, text: &'static str) {
    out.push(Token {
        kind,
        text: Cow::Borrowed(text),
        shouted: false,
        negated: false,
    });
}

/// Splits a message into tokens (see the module comment) and marks negation scopes.
pub fn tokenize(text: &str) -> Vec<Token> {
    let text = clip(text);
    let mut out = Vec::with_capacity(text.len() / 4 + 1);
    for chunk in text.split_whitespace() {
        if starts_with_ignore_case(chunk, "http://")
            || starts_with_ignore_case(chunk, "https://")
            || starts_with_ignore_case(chunk, "www.")
        {
            push(&mut out, Kind::Url, "<url>");
            continue;
        }
        if chunk.len() > 1 && chunk.starts_with('@') {
            push(&mut out, Kind::User, "<user>");
            continue;
        }
        if let Some(e) = emoticon(chunk) {
            push(&mut out, Kind::Symbol, e);
            continue;
        }
        // Letter/digit runs (with inner apostrophes) are words; everything else is a mark,
        // a break or an emoji.
        let mut start: Option<usize> = None;
        let mut last_mark: Option<char> = None;
        for (i, c) in chunk.char_indices() {
            let inner_apostrophe = (c == '\'' || c == '’') && start.is_some();
            if c.is_alphanumeric() || inner_apostrophe {
                if start.is_none() {
                    start = Some(i);
                }
                last_mark = None;
                continue;
            }
            if let Some(s) = start.take() {
                push_word(&mut out, &chunk[s..i]);
            }
            match c {
                '!' | '?' | '¿' | '¡' => {
                    let m = if c == '¿' {
                        '?'
                    } else if c == '¡' {
                        '!'
                    } else {
                        c
                    };
                    if last_mark != Some(m) {
                        push(&mut out, Kind::Mark, if m == '?' { "?" } else { "!" });
                        last_mark = Some(m);
                    }
                }
                '.' | ',' | ';' | ':' | '(' | ')' | '-' | '–' | '—' => {
                    if out.last().is_some_and(|t| t.kind != Kind::Break) {
                        push(&mut out, Kind::Break, ".");
                    }
                    last_mark = None;
                }
                c if is_pictograph(c) => {
                    out.push(Token {
                        kind: Kind::Symbol,
                        text: Cow::Owned(c.to_string()),
                        shouted: false,
                        negated: false,
                    });
                    last_mark = None;
                }
                _ => last_mark = None,
            }
        }
        if let Some(s) = start {
            push_word(&mut out, &chunk[s..]);
        }
    }
    mark_negations(&mut out);
    out
}

/// Words up to three after a negation word, within the clause, are `negated`.
fn mark_negations(tokens: &mut [Token]) {
    let mut left = 0u8;
    for t in tokens.iter_mut() {
        match t.kind {
            Kind::Word if is_negation(&t.text) => left = 3,
            Kind::Word if left > 0 => {
                t.negated = true;
                left -= 1;
            }
            Kind::Mark | Kind::Break => left = 0,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        tokenize(s)
            .into_iter()
            .map(|t| t.text.into_owned())
            .collect()
    }

    #[test]
    fn words_links_mentions_marks() {
        assert_eq!(
            texts("@acme Sooooo GOOD!!! see https://x.co/a :) 😀"),
            ["<user>", "soo", "good", "!", "see", "<url>", ":)", "😀"]
        );
        assert_eq!(texts("¿Cuánto cuesta?"), ["?", "cuánto", "cuesta", "?"]);
        assert_eq!(texts("don't"), ["don't"]);
    }

    #[test]
    fn negation_scope_ends_at_a_break() {
        let t = tokenize("not good at all. great");
        let negated: Vec<_> = t.iter().filter(|t| t.negated).map(|t| &*t.text).collect();
        assert_eq!(negated, ["good", "at", "all"]);
        let t = tokenize("Не е добре");
        assert!(t.iter().any(|t| t.text == "добре" && t.negated));
    }

    #[test]
    fn shouting_and_clipping() {
        assert!(tokenize("WORST service").first().is_some_and(|t| t.shouted));
        let long = "é".repeat(MAX_BYTES);
        assert!(clip(&long).len() <= MAX_BYTES);
    }
}
