//! Language detection. A fast path of our own first: function words ("the", "und", "que", "не")
//! vote among the languages Owlery cares most about, and when the vote is clear (at least two
//! hits, twice the runner-up) that is the answer — cheap, and better than trigram statistics on
//! short messages. Otherwise `whatlang` (pure Rust trigram profiles of ~70 languages) decides,
//! on the first 300 bytes, with two rules for short social-media text below.
//!
//! Codes are ISO 639-3 as `whatlang` names them (`eng`, `bul`, `deu`, `spa`, …); `und` when
//! nothing could be detected (empty text, only emoji or links).

use serde::Serialize;
use whatlang::{Detector, Lang, Script};

/// The detected language of a message and how sure the detector is (0…1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Language {
    /// ISO 639-3 code, or `und`.
    pub code: &'static str,
    /// Detector confidence, 0…1 (0 for `und`).
    pub confidence: f32,
}

impl Language {
    /// Undetermined: nothing to detect from.
    pub const UNDETERMINED: Language = Language {
        code: "und",
        confidence: 0.0,
    };

    /// Which of the languages with their own lexicon and cue lists this is.
    pub fn known(&self) -> Known {
        match self.code {
            "eng" => Known::En,
            "bul" => Known::Bg,
            "deu" => Known::De,
            "spa" => Known::Es,
            _ => Known::Other,
        }
    }
}

/// The languages with their own word lists. Everything else degrades to language-independent
/// features (character n-grams, emoji, punctuation) plus English cues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Known {
    En,
    Bg,
    De,
    Es,
    Other,
}

impl Known {
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Known::En => "en",
            Known::Bg => "bg",
            Known::De => "de",
            Known::Es => "es",
            Known::Other => "xx",
        }
    }
}

/// Detects languages; built once, shared.
pub(crate) struct LanguageDetector {
    all: Detector,
    latin: Detector,
}

impl LanguageDetector {
    pub(crate) fn new() -> Self {
        LanguageDetector {
            all: Detector::new(),
            // For short Latin-script text the full set of ~40 Latin languages guesses wildly;
            // when the full detector is unsure we ask again among the common ones.
            latin: Detector::with_allowlist(vec![
                Lang::Eng,
                Lang::Deu,
                Lang::Spa,
                Lang::Fra,
                Lang::Ita,
                Lang::Por,
                Lang::Nld,
            ]),
        }
    }

    pub(crate) fn detect(&self, text: &str) -> Language {
        if let Some(code) = function_word_vote(text) {
            return Language {
                code,
                confidence: 0.9,
            };
        }
        let Some(info) = self.all.detect(crate::text::clip_to(text, 300)) else {
            return Language::UNDETERMINED;
        };
        let confidence = info.confidence() as f32;
        if info.is_reliable() {
            return Language {
                code: info.lang().code(),
                confidence,
            };
        }
        match info.script() {
            // Owlery's Cyrillic-script audience is Bulgarian first: short Cyrillic messages that
            // the detector cannot tell apart (bul/rus/ukr/mkd/srp share most trigrams) are read
            // as Bulgarian, which only picks the Bulgarian word lists.
            Script::Cyrillic => Language {
                code: Lang::Bul.code(),
                confidence,
            },
            Script::Latin => match self.latin.detect(crate::text::clip_to(text, 300)) {
                Some(latin) => Language {
                    code: latin.lang().code(),
                    confidence: latin.confidence() as f32,
                },
                None => Language {
                    code: info.lang().code(),
                    confidence,
                },
            },
            _ => Language {
                code: info.lang().code(),
                confidence,
            },
        }
    }
}

/// Frequent function words that are rare in the other listed languages.
const FUNCTION_WORDS: &[(&str, &[&str])] = &[
    (
        "eng",
        &[
            "the", "and", "is", "you", "to", "of", "it", "my", "for", "this", "that", "with",
            "are", "was", "have", "not", "your", "what", "just", "but", "be", "on", "at",
        ],
    ),
    (
        "deu",
        &[
            "der", "die", "das", "und", "ist", "nicht", "ich", "du", "mit", "sie", "ein", "eine",
            "auf", "auch", "wir", "es", "zu", "den", "dem", "von", "sich", "noch", "wie", "bei",
        ],
    ),
    (
        "spa",
        &[
            "el", "la", "los", "las", "que", "es", "y", "de", "en", "por", "una", "con", "para",
            "mi", "pero", "muy", "esta", "está", "lo", "del", "se", "su", "al", "como",
        ],
    ),
    (
        "fra",
        &[
            "le", "les", "et", "est", "je", "vous", "pas", "une", "des", "du", "pour", "avec",
            "ce", "c'est", "qui", "sur", "au", "mais", "il", "nous",
        ],
    ),
    (
        "ita",
        &[
            "il", "che", "è", "di", "non", "per", "una", "sono", "con", "gli", "della", "ma",
            "anche", "questo", "ho", "molto",
        ],
    ),
    (
        "por",
        &[
            "o", "os", "não", "é", "um", "uma", "com", "para", "do", "da", "você", "mas", "muito",
            "isso", "em", "eu",
        ],
    ),
    (
        "nld",
        &[
            "de", "het", "een", "en", "is", "niet", "van", "ik", "je", "dat", "op", "met", "zijn",
            "voor", "maar", "ook",
        ],
    ),
    (
        "bul",
        &[
            "и",
            "на",
            "е",
            "не",
            "се",
            "за",
            "да",
            "от",
            "това",
            "съм",
            "са",
            "ще",
            "много",
            "но",
            "как",
            "ли",
            "беше",
            "който",
            "която",
            "като",
            "във",
            "тя",
            "той",
        ],
    ),
    (
        "rus",
        &[
            "и",
            "не",
            "что",
            "это",
            "в",
            "на",
            "я",
            "с",
            "он",
            "как",
            "но",
            "так",
            "очень",
            "все",
            "был",
            "она",
            "мы",
            "вы",
            "есть",
        ],
    ),
];

/// A clear vote of function words, or nothing.
fn function_word_vote(text: &str) -> Option<&'static str> {
    let mut votes = [0u32; FUNCTION_WORDS.len()];
    for word in text.split(' ').take(200) {
        for (v, (_, words)) in votes.iter_mut().zip(FUNCTION_WORDS) {
            if words.contains(&word) {
                *v += 1;
            }
        }
    }
    // Cyrillic letters that Bulgarian never uses, and the one it uses far more than Russian.
    let (mut russian, mut bulgarian) = (0u32, 0u32);
    for c in text.chars() {
        match c {
            'ы' | 'э' | 'ё' => russian += 1,
            'ъ' => bulgarian += 1,
            _ => {}
        }
    }
    if let (Some(bg), Some(ru)) = (
        FUNCTION_WORDS.iter().position(|(c, _)| *c == "bul"),
        FUNCTION_WORDS.iter().position(|(c, _)| *c == "rus"),
    ) {
        if let Some(v) = votes.get_mut(bg) {
            *v += bulgarian.min(3);
        }
        if let Some(v) = votes.get_mut(ru) {
            *v += russian.min(3);
        }
    }
    let mut ranked: Vec<(u32, &'static str)> = votes
        .iter()
        .zip(FUNCTION_WORDS)
        .map(|(v, (code, _))| (*v, *code))
        .collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    match ranked.as_slice() {
        [(first, code), (second, _), ..] if *first >= 2 && *first >= 2 * *second => Some(code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_four_languages() {
        let d = LanguageDetector::new();
        assert_eq!(
            d.detect("Thank you so much, the delivery arrived early and it works great")
                .code,
            "eng"
        );
        assert_eq!(
            d.detect("Благодаря ви много, доставката пристигна рано и всичко работи")
                .code,
            "bul"
        );
        assert_eq!(
            d.detect("Vielen Dank, die Lieferung kam früh an und alles funktioniert")
                .code,
            "deu"
        );
        assert_eq!(
            d.detect("Muchas gracias, el pedido llegó temprano y todo funciona bien")
                .code,
            "spa"
        );
    }

    #[test]
    fn function_words_vote_clearly_or_not_at_all() {
        assert_eq!(
            function_word_vote("this is not what i ordered"),
            Some("eng")
        );
        assert_eq!(function_word_vote("das ist nicht mein zug"), Some("deu"));
        assert_eq!(
            function_word_vote("el pedido no llegó y la tienda no contesta"),
            Some("spa")
        );
        assert_eq!(
            function_word_vote("това не е така и няма да е"),
            Some("bul")
        );
        assert_eq!(function_word_vote("это не так и мы всё знаем"), Some("rus"));
        assert_eq!(function_word_vote("hello"), None);
    }

    #[test]
    fn short_cyrillic_is_bulgarian_and_nothing_is_undetermined() {
        let d = LanguageDetector::new();
        assert_eq!(d.detect("Много добър филм").known(), Known::Bg);
        assert_eq!(d.detect("").code, "und");
        assert_eq!(d.detect("😀 🎉").known(), Known::Other);
    }
}
