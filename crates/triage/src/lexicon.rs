//! Sentiment word lists, embedded: VADER's lexicon for English (MIT) and the machine-translated
//! AFINN-165 lists for Bulgarian, German and Spanish (ODbL; see `data/NOTICE`). They serve twice:
//! as features of the learned model, and alone as the lexicon baseline the benchmark compares
//! against.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::lang::Known;
use crate::text::{Kind, Token};

/// A word list: single words and two-word entries (looked up only after a word that starts one).
struct Words {
    entries: HashMap<&'static str, f32>,
    pair_starts: std::collections::HashSet<&'static str>,
}

/// Parses `token<TAB>valence` lines (lines starting with `#` are comments), scaling valences.
fn parse(data: &'static str, scale: f32) -> Words {
    let entries: HashMap<&'static str, f32> = data
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (word, value) = l.split_once('\t')?;
            Some((word, value.trim().parse::<f32>().ok()? * scale))
        })
        .collect();
    let pair_starts = entries
        .keys()
        .filter_map(|k| k.split_once(' ').map(|(first, _)| first))
        .collect();
    Words {
        entries,
        pair_starts,
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
        let mut previous: Option<&str> = None;
        for t in tokens {
            if !matches!(t.kind, Kind::Word | Kind::Symbol) {
                previous = None;
                continue;
            }
            // Two-word entries ("can't stand", "no doubt") win over their parts.
            let pair = previous
                .filter(|p| lexicon.pair_starts.contains(p))
                .and_then(|p| lexicon.entries.get(format!("{p} {}", t.text).as_str()));
            let mut v = match (pair, lexicon.entries.get(t.text.as_str())) {
                (Some(v), _) | (None, Some(v)) => *v,
                _ => {
                    previous = Some(&t.text);
                    continue;
                }
            };
            previous = Some(&t.text);
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
        assert!(EN.entries.len() > 7000 && BG.entries.len() > 2000);
        assert!(DE.entries.len() > 2000 && ES.entries.len() > 2000);
        assert!(EN.pair_starts.contains("can't"));
    }

    #[test]
    fn negation_flips_and_caps_boost() {
        let good = LexiconScore::of(&tokenize("good"), Known::En).compound();
        let not_good = LexiconScore::of(&tokenize("not good"), Known::En).compound();
        let caps = LexiconScore::of(&tokenize("GOOD"), Known::En).compound();
        assert!(good > 0.0 && not_good < 0.0 && caps > good);
    }

    #[test]
    fn each_language_has_its_words() {
        assert!(LexiconScore::of(&tokenize("ужасно"), Known::Bg).negative > 0.0);
        assert!(LexiconScore::of(&tokenize("wunderbar"), Known::De).positive > 0.0);
        assert!(LexiconScore::of(&tokenize("horrible"), Known::Es).negative > 0.0);
    }
}
