//! Sentiment word lists, embedded: VADER's lexicon for English (MIT) and the machine-translated
//! AFINN-165 lists for Bulgarian, German and Spanish (ODbL; see `data/NOTICE`). They serve twice:
//! as features of the learned model, and alone as the lexicon baseline the benchmark compares
//! against.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use crate::lang::Known;
use crate::text::{Kind, Token};

/// A word's entry: its valence, if it has one, and whether a two-word entry starts with it.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    valence: Option<f32>,
    starts_pair: bool,
}

/// A word list: single words and two-word entries (looked up only after a word that starts
/// one), in one table so that each word of a message costs one lookup.
struct Words {
    entries: FxHashMap<&'static str, Entry>,
}

/// Parses `token<TAB>valence` lines (lines starting with `#` are comments), scaling valences.
fn parse(data: &'static str, scale: f32) -> Words {
    let mut entries: FxHashMap<&'static str, Entry> = FxHashMap::default();
    for (word, valence) in data
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (word, value) = l.split_once('\t')?;
            Some((word, value.trim().parse::<f32>().ok()? * scale))
        })
    {
        entries.entry(word).or_default().valence = Some(valence);
        if let Some((first, _)) = word.split_once(' ') {
            entries.entry(first).or_default().starts_pair = true;
        }
    }
    Words { entries }
}

impl Words {
    fn valence(&self, word: &str) -> Option<f32> {
        self.entries.get(word).and_then(|e| e.valence)
    }
}

// VADER valences are −4…+4; AFINN's −5…+5 are scaled to the same range.
static EN: LazyLock<Words> =
    LazyLock::new(|| parse(include_str!("../data/vader_lexicon.tsv"), 1.0));
static BG: LazyLock<Words> = LazyLock::new(|| parse(include_str!("../data/afinn_bg.tsv"), 0.8));
static DE: LazyLock<Words> = LazyLock::new(|| parse(include_str!("../data/afinn_de.tsv"), 0.8));
static ES: LazyLock<Words> = LazyLock::new(|| parse(include_str!("../data/afinn_es.tsv"), 0.8));

fn words(lang: Known) -> &'static Words {
    match lang {
        Known::Bg => &BG,
        Known::De => &DE,
        Known::Es => &ES,
        // English, and the fallback: VADER also rates emoticons and internet slang.
        Known::En | Known::Other => &EN,
    }
}

/// The valence of an emoji whose name says how it feels, in every language: ±2 of VADER's ±4,
/// "moderately" (the rating VADER's raters gave emoticons like ":)" and ":(" on average). The
/// lists rate emoticons but not emoji, which carry much of social media's tone; the ones here
/// are picked by their Unicode (CLDR) names, not from any data set — the development sets
/// have almost none (TweetEval and VADER's tweets none, GermEval and Cinexio ~20 messages).
fn emoji_valence(symbol: &str) -> Option<f32> {
    const POSITIVE: &[&str] = &[
        "😀", "😃", "😄", "😁", "😆", "😊", "🙂", "😉", "😍", "🥰", "😘", "😻", "🤩", "🥳", "😎",
        "👍", "👏", "🙌", "🙏", "💪", "🎉", "🎊", "✨", "🌟", "⭐", "💯", "✅", "❤", "💕", "💖",
        "💗", "💙", "💚", "💛", "💜", "🧡", "😂", "🤣", "☺", "😇", "🤗", "👌", "🏆",
    ];
    const NEGATIVE: &[&str] = &[
        "😠", "😡", "🤬", "😤", "😒", "🙄", "😞", "😔", "😟", "😕", "🙁", "☹", "😣", "😖", "😫",
        "😩", "😢", "😭", "😿", "💔", "👎", "🤮", "🤢", "😱", "😨", "😰", "😥", "🤦", "❌", "🖕",
    ];
    if POSITIVE.contains(&symbol) {
        Some(2.0)
    } else if NEGATIVE.contains(&symbol) {
        Some(-2.0)
    } else {
        None
    }
}

/// What the word list says about a message.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LexiconScore {
    /// Sum of positive valences (after negation and emphasis).
    pub positive: f32,
    /// Sum of negative valences, as a positive number.
    pub negative: f32,
    /// Words found.
    pub hits: u32,
}

/// VADER's negation dampening: a negated word flips and weakens.
const NEGATION_SCALAR: f32 = -0.74;
/// VADER's boost for a sentiment word written in capitals.
const CAPS_BOOST: f32 = 0.733;
/// VADER's normalisation constant: compound = s / √(s² + α).
const ALPHA: f32 = 15.0;

impl LexiconScore {
    pub fn of(tokens: &[Token], lang: Known) -> LexiconScore {
        let lexicon = words(lang);
        let mut score = LexiconScore::default();
        // The previous word, when a two-word entry starts with it.
        let mut pair_start: Option<&str> = None;
        let mut pair = String::new();
        for t in tokens {
            if !matches!(t.kind, Kind::Word | Kind::Symbol) {
                pair_start = None;
                continue;
            }
            let entry = lexicon.entries.get(&*t.text).copied().unwrap_or_default();
            // Two-word entries ("can't stand", "no doubt") win over their parts.
            let pair_valence = pair_start.and_then(|p| {
                pair.clear();
                pair.push_str(p);
                pair.push(' ');
                pair.push_str(&t.text);
                lexicon.valence(&pair)
            });
            pair_start = entry.starts_pair.then_some(&*t.text);
            let Some(mut v) = pair_valence
                .or(entry.valence)
                .or_else(|| emoji_valence(&t.text))
            else {
                continue;
            };
            if t.shouted {
                v += CAPS_BOOST * v.signum();
            }
            if t.negated {
                v *= NEGATION_SCALAR;
            }
            score.hits += 1;
            if v > 0.0 {
                score.positive += v;
            } else {
                score.negative -= v;
            }
        }
        score
    }

    /// VADER's compound score, −1…+1.
    pub fn compound(&self) -> f32 {
        let s = self.positive - self.negative;
        s / (s * s + ALPHA).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    #[test]
    fn lexicons_load() {
        let valences = |w: &Words| w.entries.values().filter(|e| e.valence.is_some()).count();
        assert!(valences(&EN) > 7000 && valences(&BG) > 2000);
        assert!(valences(&DE) > 2000 && valences(&ES) > 2000);
        assert!(EN.entries.get("can't").is_some_and(|e| e.starts_pair));
    }

    #[test]
    fn negation_flips_and_caps_boost() {
        let good = LexiconScore::of(&tokenize("good"), Known::En).compound();
        let not_good = LexiconScore::of(&tokenize("not good"), Known::En).compound();
        let caps = LexiconScore::of(&tokenize("GOOD"), Known::En).compound();
        assert!(good > 0.0 && not_good < 0.0 && caps > good);
    }

    #[test]
    fn emoji_carry_their_named_feeling_in_any_language() {
        assert!(LexiconScore::of(&tokenize("danke 😍"), Known::De).positive > 0.0);
        assert!(LexiconScore::of(&tokenize("😡😡"), Known::Bg).negative >= 4.0);
        assert_eq!(LexiconScore::of(&tokenize("🚆"), Known::En).hits, 0);
    }

    #[test]
    fn each_language_has_its_words() {
        assert!(LexiconScore::of(&tokenize("ужасно"), Known::Bg).negative > 0.0);
        assert!(LexiconScore::of(&tokenize("wunderbar"), Known::De).positive > 0.0);
        assert!(LexiconScore::of(&tokenize("horrible"), Known::Es).negative > 0.0);
    }
}
