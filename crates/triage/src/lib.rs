//! Inbox triage: what language a message is in, how it feels (negative / neutral / positive),
//! what its author wants (question, complaint, praise, lead, spam, abuse) and how soon someone
//! should look.
//!
//! Pure: no IO beyond the model and word lists embedded in the binary, no async, no SQL.
//! [`Classifier`] is the seam for a stronger model later; [`BuiltIn`] is the one that ships:
//! - language: function words, then trigram profiles or letters by script, `whatlang` for the
//!   other scripts (see [`lang`]);
//! - sentiment: a logistic regression over hashed words, word pairs, character n-grams and
//!   lexicon features, trained offline by `src/bin/train.rs` on labelled corpora and embedded
//!   from `data/sentiment.model` (see [`model`], [`features`]);
//! - intent and urgency: documented rules over per-language cue words and the sentiment (see
//!   [`intent`]).
//!
//! [`LexiconOnly`] is the word-list baseline the benchmark measures against. [`corpus`] parses
//! the labelled evaluation sets (from strings: reading files is the caller's business).

pub mod corpus;
pub mod features;
pub mod inbox;
pub mod intent;
pub mod lang;
pub mod lexicon;
pub mod model;
pub mod text;
pub mod training;

use serde::Serialize;

pub use intent::{Intent, IntentScores, Urgency};
pub use lang::{Known, Language};
pub use model::{CompactModel, LinearModel, ModelError};

/// The sentiment of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

impl Sentiment {
    pub const ALL: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

    pub fn index(self) -> usize {
        match self {
            Sentiment::Negative => 0,
            Sentiment::Neutral => 1,
            Sentiment::Positive => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
            Sentiment::Positive => "positive",
        }
    }
}

/// Sentiment probabilities, summing to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SentimentScores {
    pub negative: f32,
    pub neutral: f32,
    pub positive: f32,
}

impl SentimentScores {
    /// The most probable class (ties: neutral, then negative).
    pub fn label(&self) -> Sentiment {
        if self.neutral >= self.negative && self.neutral >= self.positive {
            Sentiment::Neutral
        } else if self.negative >= self.positive {
            Sentiment::Negative
        } else {
            Sentiment::Positive
        }
    }

    /// For two-class corpora (no "neutral" label): negative or positive, whichever is likelier.
    pub fn polarity(&self) -> Sentiment {
        if self.negative > self.positive {
            Sentiment::Negative
        } else {
            Sentiment::Positive
        }
    }
}

/// Everything triage says about one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Triage {
    pub language: Language,
    pub sentiment: Sentiment,
    pub sentiment_scores: SentimentScores,
    pub intent: Intent,
    pub intent_scores: IntentScores,
    pub urgency: Urgency,
}

/// The pluggable interface: anything that can triage a message. A stronger model (a local
/// transformer, a hosted service behind a cache) implements this and replaces [`BuiltIn`].
pub trait Classifier: Send + Sync {
    fn classify(&self, text: &str) -> Triage;
}

/// The embedded sentiment model.
const MODEL: &[u8] = include_bytes!("../data/sentiment.model");

/// The classifier that ships: no network, no files, a few µs per message. `Send + Sync` with
/// no locks inside (its tables are immutable after start-up): share one between threads.
pub struct BuiltIn {
    featurizer: training::Featurizer,
    model: CompactModel,
}

impl BuiltIn {
    /// Loads the embedded model. Fails only if the build embedded a model of other features
    /// (a test guards against that).
    pub fn new() -> Result<BuiltIn, ModelError> {
        Ok(BuiltIn::with_compact(CompactModel::from_bytes(MODEL)?))
    }

    /// With another sentiment model (training, cross-validation), quantized as it would ship.
    pub fn with_model(model: LinearModel) -> BuiltIn {
        BuiltIn::with_compact(model.compact())
    }

    fn with_compact(model: CompactModel) -> BuiltIn {
        BuiltIn {
            featurizer: training::Featurizer::new(model.bits),
            model,
        }
    }

    /// Language detection on the words of a message (links, mentions and emoji removed).
    fn detect(&self, tokens: &[text::Token]) -> Language {
        self.featurizer.language(tokens)
    }

    /// Sentiment only (what the benchmark measures).
    pub fn sentiment(&self, text: &str) -> SentimentScores {
        let tokens = text::tokenize(text);
        let language = self.detect(&tokens);
        self.sentiment_of(&tokens, language.known())
    }

    fn sentiment_of(&self, tokens: &[text::Token], lang: Known) -> SentimentScores {
        let mut f = Vec::with_capacity(tokens.len() * 12 + 16);
        features::extract(tokens, lang, self.model.bits, &mut f);
        let [negative, neutral, positive] = self.model.probabilities(&f);
        SentimentScores {
            negative,
            neutral,
            positive,
        }
    }
}

impl Classifier for BuiltIn {
    fn classify(&self, text: &str) -> Triage {
        let tokens = text::tokenize(text);
        let language = self.detect(&tokens);
        let sentiment_scores = self.sentiment_of(&tokens, language.known());
        let sentiment = sentiment_scores.label();
        let (intent, intent_scores, urgency) =
            intent::classify(&tokens, language.known(), sentiment, &sentiment_scores);
        Triage {
            language,
            sentiment,
            sentiment_scores,
            intent,
            intent_scores,
            urgency,
        }
    }
}

/// The baseline: the word lists alone, VADER-style (sum of valences with negation and caps,
/// normalised to a compound −1…+1, neutral within ±0.05 — VADER's published thresholds).
pub struct LexiconOnly {
    featurizer: training::Featurizer,
}

impl Default for LexiconOnly {
    fn default() -> Self {
        LexiconOnly {
            featurizer: training::Featurizer::new(8),
        }
    }
}

impl LexiconOnly {
    /// The compound score of a message in its detected language's word list.
    pub fn compound(&self, text: &str) -> f32 {
        let tokens = text::tokenize(text);
        let lang = self.featurizer.language(&tokens).known();
        lexicon::LexiconScore::of(&tokens, lang).compound()
    }

    pub fn sentiment(&self, text: &str) -> Sentiment {
        let c = self.compound(text);
        if c >= 0.05 {
            Sentiment::Positive
        } else if c <= -0.05 {
            Sentiment::Negative
        } else {
            Sentiment::Neutral
        }
    }

    /// Two-class reading: negative when the compound is below zero.
    pub fn polarity(&self, text: &str) -> Sentiment {
        if self.compound(text) < 0.0 {
            Sentiment::Negative
        } else {
            Sentiment::Positive
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_loads() {
        let model = LinearModel::from_bytes(MODEL).expect("embedded model");
        assert!(model.bits >= 16);
        assert!(BuiltIn::new().is_ok());
    }

    #[test]
    fn shared_across_threads_without_locks() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<BuiltIn>();
        let c = BuiltIn::new().unwrap();
        let text = "Thank you so much, it works perfectly!";
        let alone = c.classify(text);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..2).map(|_| s.spawn(|| c.classify(text))).collect();
            for h in handles {
                assert_eq!(h.join().unwrap(), alone);
            }
        });
    }

    #[test]
    fn obvious_sentiment_in_each_language() {
        let c = BuiltIn::new().unwrap();
        let cases = [
            (
                "I love this, thank you so much, it works perfectly!",
                Sentiment::Positive,
            ),
            (
                "This is the worst service ever, I want a refund. Terrible.",
                Sentiment::Negative,
            ),
            (
                "Страхотно обслужване, много съм доволна!",
                Sentiment::Positive,
            ),
            ("Ужасно обслужване, никога повече.", Sentiment::Negative),
            (
                "Schon wieder Verspätung, die Bahn ist eine Katastrophe.",
                Sentiment::Negative,
            ),
            (
                "Pésimo servicio, es una vergüenza, horrible.",
                Sentiment::Negative,
            ),
            // Emoji speak through the word lists' scores, in any language.
            ("Danke für die Lieferung 😍😍", Sentiment::Positive),
            ("Поръчка 1234 😡😡", Sentiment::Negative),
            ("order 1234 😡😡😡", Sentiment::Negative),
        ];
        for (text, expected) in cases {
            assert_eq!(c.classify(text).sentiment, expected, "{text}");
        }
    }

    #[test]
    fn a_full_triage() {
        let c = BuiltIn::new().unwrap();
        let t = c.classify("Wann fährt der nächste Zug nach Berlin?");
        assert_eq!(t.language.code, "deu");
        assert_eq!(t.intent, Intent::Question);
        let t = c.classify("");
        assert_eq!(t.language.code, "und");
        assert_eq!(t.intent, Intent::Other);
    }

    #[test]
    fn questions_about_an_order_are_support_not_leads() {
        let c = BuiltIn::new().unwrap();
        for text in [
            "Hi, where is my order? I placed it ten days ago",
            "I'd like a refund for the headphones I ordered, one side is dead",
            "Къде е поръчката ми? Платих я преди седмица.",
            "Wo ist mein Paket? Ich habe am Montag bestellt.",
            "¿Cuándo llega mi pedido? Lo pagué hace una semana.",
        ] {
            let t = c.classify(text);
            assert!(
                matches!(t.intent, Intent::Question | Intent::Complaint),
                "{text}: {:?}",
                t.intent
            );
        }
        let t = c.classify("How much would it cost to order 50 of these for our team?");
        assert_eq!(t.intent, Intent::Lead);
    }
}
