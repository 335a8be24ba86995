//! Turning a tokenized message into the sparse vector the linear model reads: hashed word
//! unigrams (negation-marked), word bigrams and character 3–5-grams (shared across languages,
//! robust to inflection and typos), a bias per language, and a few dense features from the word
//! lists and punctuation. Training and inference call the same function.

use crate::lang::Known;
use crate::lexicon::LexiconScore;
use crate::text::{Kind, Token};

/// Bumped whenever the features change: a model file trained on other features is refused.
pub const FEATURE_VERSION: u32 = 1;

/// Dense features, placed after the hashed buckets.
pub const DENSE: usize = 8;

/// One non-zero feature: (index, value).
pub type Feature = (u32, f32);

/// FNV-1a (64-bit) over a namespace byte and the parts, separated by a space.
fn hash(namespace: u8, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(namespace);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            eat(b' ');
        }
        for b in p.bytes() {
            eat(b);
        }
    }
    h
}

/// Extracts features into `out` (cleared first). `bits` is the model's hash size (2^bits buckets).
pub fn extract(tokens: &[Token], lang: Known, bits: u32, out: &mut Vec<Feature>) {
    out.clear();
    let mask = (1u64 << bits) - 1;
    let index = |h: u64| (h & mask) as u32;

    let mut previous: Option<&str> = None;
    let mut padded = String::new();
    let mut bounds: Vec<usize> = Vec::new();
    for t in tokens {
        if t.kind == Kind::Break {
            previous = None;
            continue;
        }
        let word: &str = &t.text;
        let unigram = if t.negated {
            hash(b'n', &[word])
        } else {
            hash(b'w', &[word])
        };
        out.push((index(unigram), 1.0));
        if let Some(p) = previous {
            out.push((index(hash(b'b', &[p, word])), 1.0));
        }
        previous = Some(word);
        if t.kind == Kind::Word {
            padded.clear();
            padded.push('^');
            padded.push_str(word);
            padded.push('$');
            bounds.clear();
            bounds.extend(padded.char_indices().map(|(i, _)| i));
            bounds.push(padded.len());
            let chars = bounds.len() - 1;
            for n in 3..=5 {
                if chars < n {
                    break;
                }
                for s in 0..=chars - n {
                    if let (Some(&a), Some(&b)) = (bounds.get(s), bounds.get(s + n))
                        && let Some(gram) = padded.get(a..b)
                    {
                        out.push((index(hash(b'c', &[gram])), 0.5));
                    }
                }
            }
        }
    }
    // Long and short messages weigh alike: the hashed part has unit length.
    let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in out.iter_mut() {
            *v /= norm;
        }
    }
    out.push((index(hash(b'B', &["bias"])), 1.0));
    out.push((index(hash(b'L', &[lang.tag()])), 1.0));

    let lex = LexiconScore::of(tokens, lang);
    let base = 1u32 << bits;
    let has = |k: Kind, s: &str| tokens.iter().any(|t| t.kind == k && t.text == s);
    let dense = [
        (lex.positive / 4.0).tanh(),
        (lex.negative / 4.0).tanh(),
        lex.compound(),
        f32::from(u8::from(lex.hits > 0)),
        f32::from(u8::from(has(Kind::Mark, "!"))),
        f32::from(u8::from(has(Kind::Mark, "?"))),
        f32::from(u8::from(tokens.iter().any(|t| t.shouted))),
        f32::from(u8::from(tokens.iter().any(|t| t.kind == Kind::Url))),
    ];
    for (i, v) in (0u32..).zip(dense) {
        if v != 0.0 {
            out.push((base + i, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    #[test]
    fn indices_stay_in_range_and_hashed_part_is_unit_length() {
        let mut out = Vec::new();
        extract(
            &tokenize("Not good!!! 😡 @x https://a.b"),
            Known::En,
            10,
            &mut out,
        );
        assert!(out.iter().all(|(i, _)| (*i as usize) < (1 << 10) + DENSE));
        extract(&tokenize(""), Known::Other, 10, &mut out);
        assert_eq!(out.len(), 2, "bias and language only");
    }

    #[test]
    fn negated_words_are_other_features() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        extract(&tokenize("good"), Known::En, 18, &mut a);
        extract(&tokenize("not good"), Known::En, 18, &mut b);
        assert!(!b.iter().any(|f| f.0 == a[0].0));
    }
}
