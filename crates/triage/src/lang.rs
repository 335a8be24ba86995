//! Language detection, in three steps from cheap to dear:
//! 1. function words ("the", "und", "que", "не") vote among the languages Owlery cares most
//!    about; a clear vote (at least two hits, twice the runner-up) is the answer — one hash
//!    lookup per word, and better than trigram statistics on short messages;
//! 2. otherwise the script decides who is asked. Latin script: `whatlang`'s trigram profiles of
//!    its 36 Latin-script languages (`data/latin_trigrams.tsv`), scored with whatlang's distance
//!    on the first 300 bytes but through an index from trigram to (language, rank), so the cost
//!    follows the message's trigrams, not 36 × 300 profile lookups; when that is not reliable,
//!    the most likely of seven common languages. Cyrillic script: letters only Russian,
//!    Ukrainian, Belarusian, Serbian or Macedonian use name those; anything else is Bulgarian
//!    (Owlery's Cyrillic audience is Bulgarian first, and the trigram statistics cannot tell
//!    short bul/rus/mkd apart anyway);
//! 3. any other script: `whatlang` itself (pure Rust, ~70 languages), on the first 300 bytes.
//!
//! `whatlang`'s own detector costs ~50–100 µs a message on Latin text (it scores every profile
//! trigram of every language); steps 1 and 2 keep the whole triage of a message to a few µs.
//!
//! Codes are ISO 639-3 as `whatlang` names them (`eng`, `bul`, `deu`, `spa`, …); `und` when
//! nothing could be detected (empty text, only emoji or links).

use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use serde::Serialize;
use whatlang::Detector;

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
}

impl LanguageDetector {
    pub(crate) fn new() -> Self {
        LanguageDetector {
            all: Detector::new(),
        }
    }

    #[cfg(test)]
    pub(crate) fn detect(&self, text: &str) -> Language {
        let lower = text.to_lowercase();
        self.detect_words(&lower.split(' ').collect::<Vec<_>>())
    }

    /// Detects the language of a message's words (what [`crate::text::tokenize`] made of it).
    /// Only when the function words do not vote clearly does the script decide who is asked.
    pub(crate) fn detect_words(&self, words: &[&str]) -> Language {
        if let Some(code) = vote(words.iter().copied()) {
            return Language {
                code,
                confidence: 0.9,
            };
        }
        let (mut latin, mut cyrillic, mut other) = (0usize, 0usize, 0usize);
        for word in words {
            for c in word.chars() {
                if c.is_ascii_alphabetic() || ('\u{c0}'..='\u{24f}').contains(&c) {
                    latin += 1;
                } else if ('\u{400}'..='\u{4ff}').contains(&c) {
                    cyrillic += 1;
                } else if c.is_alphabetic() {
                    other += 1;
                }
            }
        }
        let joined = words.join(" ");
        let text = crate::text::clip_to(&joined, 300);
        if latin > 0 && latin >= cyrillic && latin >= other {
            LATIN.detect(text)
        } else if cyrillic > 0 && cyrillic >= other {
            cyrillic_by_letters(text)
        } else {
            self.statistical(text)
        }
    }

    /// `whatlang`, for the scripts other than Latin and Cyrillic.
    fn statistical(&self, text: &str) -> Language {
        match self.all.detect(text) {
            Some(info) => Language {
                code: info.lang().code(),
                confidence: info.confidence() as f32,
            },
            None => Language::UNDETERMINED,
        }
    }
}

/// Cyrillic text the function words did not settle: letters that only some languages use, else
/// Bulgarian (confidence 0.5: a default, not a finding).
fn cyrillic_by_letters(text: &str) -> Language {
    let has = |letters: &[char]| text.contains(letters);
    let (code, confidence) = if has(&['і', 'ї', 'є', 'ґ']) {
        ("ukr", 0.7)
    } else if has(&['ў']) {
        ("bel", 0.7)
    } else if has(&['ђ', 'ћ']) {
        ("srp", 0.7)
    } else if has(&['ѓ', 'ќ', 'ѕ']) {
        ("mkd", 0.7)
    } else if has(&['љ', 'њ', 'џ', 'ј']) {
        ("srp", 0.6)
    } else if has(&['ы', 'э', 'ё']) {
        ("rus", 0.7)
    } else {
        ("bul", 0.5)
    };
    Language { code, confidence }
}

/// `whatlang`'s trigram profiles of the Latin-script languages, indexed by trigram.
struct TrigramProfiles {
    codes: Vec<&'static str>,
    /// Trigram → (language index, rank in that language's profile).
    index: FxHashMap<[char; 3], Vec<(u8, u16)>>,
    /// Indexes of the languages asked when the full set is not reliable.
    common: Vec<usize>,
}

/// whatlang's constants: ranks are compared up to this distance; a text's 600 most frequent
/// trigrams count.
const MAX_TRIGRAM_DISTANCE: u32 = 300;
const TEXT_TRIGRAMS: usize = 600;
/// whatlang's threshold for a reliable answer.
const RELIABLE: f64 = 0.9;
/// Trigram statistics alone (whatlang mixes in an alphabet score that we leave out) call short
/// text "reliable" too readily: a language outside [`COMMON_LATIN`] must be read off at least
/// this many distinct trigrams (some 20 words).
const RELIABLE_TRIGRAMS: usize = 100;
/// Asked when the full set is unsure: for short Latin-script text, the ~36 languages guess wildly.
const COMMON_LATIN: [&str; 7] = ["eng", "deu", "spa", "fra", "ita", "por", "nld"];

/// The alphabets of [`COMMON_LATIN`], in order (whatlang's).
const COMMON_ALPHABETS: [&str; 7] = [
    "abcdefghijklmnopqrstuvwxyz",
    "abcdefghijklmnopqrstuvwxyzßäöü",
    "abcdefghijklmnopqrstuvwxyz¡¿áéíñóúü",
    "abcdefghijklmnopqrstuvwxyzàâçèéêëîïôùûüÿœ",
    "abcdefghijklmnopqrstuvwxyzàèéìòù",
    "abcdefghijklmnopqrstuvwxyzàáâãçéêíóôõú",
    "abcdefghijklmnopqrstuvwxyzàèéëïĳ",
];

static LATIN: LazyLock<TrigramProfiles> =
    LazyLock::new(|| TrigramProfiles::parse(include_str!("../data/latin_trigrams.tsv")));

/// whatlang's trigram characters: ASCII punctuation and digits are word boundaries.
fn trigram_char(c: char) -> char {
    if matches!(c, '\u{0}'..='\u{40}' | '\u{5b}'..='\u{60}' | '\u{7b}'..='\u{7e}') {
        ' '
    } else {
        c
    }
}

/// whatlang's confidence from the two best scores and the number of distinct trigrams.
fn confidence(first: f64, second: f64, count: usize) -> f64 {
    if first == 0.0 {
        return 0.0;
    }
    if second == 0.0 {
        return first;
    }
    let confident_rate = 3.0 / count as f64 + 0.015;
    let rate = (first - second) / second;
    if rate > confident_rate {
        1.0
    } else {
        rate / confident_rate
    }
}

impl TrigramProfiles {
    fn parse(data: &'static str) -> TrigramProfiles {
        let mut profiles = TrigramProfiles {
            codes: Vec::new(),
            index: FxHashMap::default(),
            common: Vec::new(),
        };
        for line in data.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split('\t');
            let Some(code) = fields.next() else { continue };
            let lang = profiles.codes.len() as u8;
            profiles.codes.push(code);
            for (rank, gram) in (0u16..).zip(fields) {
                let mut chars = gram.chars();
                if let (Some(a), Some(b), Some(c)) = (chars.next(), chars.next(), chars.next()) {
                    profiles
                        .index
                        .entry([a, b, c])
                        .or_default()
                        .push((lang, rank));
                }
            }
        }
        profiles.common = COMMON_LATIN
            .iter()
            .filter_map(|c| profiles.codes.iter().position(|k| k == c))
            .collect();
        profiles
    }

    /// whatlang's trigram method, restricted to these profiles: the text's trigrams ranked by
    /// frequency, each language's distance the sum over its profile of the rank differences
    /// (300 for a trigram the text lacks), the score the share of the largest distance saved.
    fn detect(&self, text: &str) -> Language {
        let mut counts: FxHashMap<[char; 3], u32> = FxHashMap::default();
        let mut chars = text.chars().map(trigram_char).chain([' ']);
        let (mut c1, mut c2) = (' ', chars.next().unwrap_or(' '));
        for c3 in chars {
            if !(c2 == ' ' && (c1 == ' ' || c3 == ' ')) {
                *counts.entry([c1, c2, c3]).or_default() += 1;
            }
            c1 = c2;
            c2 = c3;
        }
        let mut ranked: Vec<(u32, [char; 3])> = counts.into_iter().map(|(t, n)| (n, t)).collect();
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        ranked.truncate(TEXT_TRIGRAMS);
        let count = ranked.len();
        if count == 0 {
            return Language::UNDETERMINED;
        }
        // distance = Σ over the profile of |text rank − profile rank| (or 300 when absent)
        //          = 300 × 300 − Σ over shared trigrams of (300 − |difference|).
        let mut saved = vec![0u32; self.codes.len()];
        for (position, (_, gram)) in (0u32..).zip(&ranked) {
            for &(lang, rank) in self.index.get(gram).map(Vec::as_slice).unwrap_or_default() {
                if let Some(s) = saved.get_mut(usize::from(lang)) {
                    *s += MAX_TRIGRAM_DISTANCE.saturating_sub(position.abs_diff(u32::from(rank)));
                }
            }
        }
        let total = MAX_TRIGRAM_DISTANCE * MAX_TRIGRAM_DISTANCE;
        let short = MAX_TRIGRAM_DISTANCE.saturating_sub(count as u32) * MAX_TRIGRAM_DISTANCE;
        let max_distance = f64::from(count as u32 * MAX_TRIGRAM_DISTANCE);
        let score = |lang: usize| {
            let distance = total
                .saturating_sub(saved.get(lang).copied().unwrap_or(0))
                .saturating_sub(short)
                .min(total);
            (max_distance - f64::from(distance)) / max_distance
        };
        let best_two = |langs: &mut dyn Iterator<Item = usize>| {
            let (mut first, mut second) = ((usize::MAX, f64::NEG_INFINITY), f64::NEG_INFINITY);
            for lang in langs {
                let s = score(lang);
                if s > first.1 {
                    second = first.1;
                    first = (lang, s);
                } else if s > second {
                    second = s;
                }
            }
            let c = confidence(first.1.max(0.0), second.max(0.0), count);
            (self.codes.get(first.0).copied(), c)
        };
        let (code, c) = best_two(&mut (0..self.codes.len()));
        if let Some(code) = code
            && c > RELIABLE
            && (count >= RELIABLE_TRIGRAMS || COMMON_LATIN.contains(&code))
        {
            return Language {
                code,
                confidence: c as f32,
            };
        }
        // Among the common languages, those whose alphabet has every letter of the text (an
        // "ü" rules out English and Dutch), when any has.
        let covered: Vec<usize> = self
            .common
            .iter()
            .zip(COMMON_ALPHABETS)
            .filter(|(_, alphabet)| {
                text.chars()
                    .filter(|c| c.is_alphabetic())
                    .all(|c| alphabet.contains(c))
            })
            .map(|(lang, _)| *lang)
            .collect();
        let candidates = if covered.is_empty() {
            &self.common
        } else {
            &covered
        };
        match best_two(&mut candidates.iter().copied()) {
            (Some(code), c) => Language {
                code,
                confidence: c as f32,
            },
            (None, _) => Language::UNDETERMINED,
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

/// How many languages [`FUNCTION_WORDS`] lists (a bit each in [`FUNCTION_WORD_TABLE`]).
const VOTERS: usize = 9;
const _: () = assert!(FUNCTION_WORDS.len() == VOTERS);

/// Every function word → the set of languages listing it (bit `i` = `FUNCTION_WORDS[i]`): one
/// hash lookup per word instead of a scan of every list.
static FUNCTION_WORD_TABLE: LazyLock<FxHashMap<&'static str, u16>> = LazyLock::new(|| {
    let mut table: FxHashMap<&'static str, u16> = FxHashMap::default();
    for (i, (_, words)) in FUNCTION_WORDS.iter().enumerate() {
        for w in *words {
            *table.entry(w).or_default() |= 1 << i;
        }
    }
    table
});

const BULGARIAN: usize = 7;
const RUSSIAN: usize = 8;
const _: () = assert!(
    matches!(FUNCTION_WORDS[BULGARIAN].0.as_bytes(), b"bul")
        && matches!(FUNCTION_WORDS[RUSSIAN].0.as_bytes(), b"rus")
);

/// A clear vote of function words in `text` (words separated by single spaces), or nothing.
#[cfg(test)]
fn function_word_vote(text: &str) -> Option<&'static str> {
    vote(text.split(' '))
}

/// A clear vote of function words (the first 200 words) — at least two hits and twice the
/// runner-up — or nothing.
fn vote<'a>(words: impl Iterator<Item = &'a str> + Clone) -> Option<&'static str> {
    let mut votes = [0u32; VOTERS];
    for word in words.clone().take(200) {
        if let Some(&mask) = FUNCTION_WORD_TABLE.get(word) {
            for (i, v) in votes.iter_mut().enumerate() {
                *v += u32::from(mask >> i & 1);
            }
        }
    }
    // Cyrillic letters that Bulgarian never uses, and the one it uses far more than Russian.
    let (mut russian, mut bulgarian) = (0u32, 0u32);
    for word in words {
        if word.is_ascii() {
            continue;
        }
        for c in word.chars() {
            match c {
                'ы' | 'э' | 'ё' => russian += 1,
                'ъ' => bulgarian += 1,
                _ => {}
            }
        }
    }
    votes[BULGARIAN] += bulgarian.min(3);
    votes[RUSSIAN] += russian.min(3);
    // The winner and the runner-up (a tie never passes the test below, so order is moot).
    let (mut first, mut second, mut winner) = (0u32, 0u32, 0usize);
    for (i, &v) in votes.iter().enumerate() {
        if v > first {
            second = first;
            first = v;
            winner = i;
        } else if v > second {
            second = v;
        }
    }
    if first >= 2 && first >= 2 * second {
        FUNCTION_WORDS.get(winner).map(|(code, _)| *code)
    } else {
        None
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
    fn latin_profiles_load_with_the_common_languages() {
        assert_eq!(LATIN.codes.len(), 36);
        assert_eq!(LATIN.common.len(), COMMON_LATIN.len());
        for code in &LATIN.codes {
            assert!(whatlang::Lang::from_code(*code).is_some(), "{code}");
        }
    }

    #[test]
    fn trigrams_decide_what_function_words_do_not() {
        let d = LanguageDetector::new();
        // Long enough to be sure of a language outside the common seven.
        let polish = "wczoraj kupiłem nowy telefon w sklepie internetowym przesyłka przyszła \
                      szybko ale bateria trzyma bardzo krótko jestem rozczarowany jakością \
                      wykonania obudowy";
        assert_eq!(d.detect(polish).code, "pol");
        // Short: one of the common seven, the alphabet ruling out those without "ü".
        assert_eq!(d.detect("Grüße aus Berlin").code, "deu");
        assert_eq!(d.detect("Worst service ever").known(), Known::En);
    }

    #[test]
    fn cyrillic_letters_name_the_language() {
        let d = LanguageDetector::new();
        assert_eq!(d.detect("Дякуємо, все прийшло вчасно").code, "ukr");
        assert_eq!(d.detect("Вы лучшие").code, "rus");
        assert_eq!(d.detect("Благодаря за доставката").code, "bul");
    }

    #[test]
    fn short_cyrillic_is_bulgarian_and_nothing_is_undetermined() {
        let d = LanguageDetector::new();
        assert_eq!(d.detect("Много добър филм").known(), Known::Bg);
        assert_eq!(d.detect("").code, "und");
        assert_eq!(d.detect("😀 🎉").known(), Known::Other);
    }
}
