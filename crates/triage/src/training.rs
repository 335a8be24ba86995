//! The training recipe shared by the `train` binary (which writes the shipped model) and the
//! benchmark (which re-trains for cross-validation): corpora → features → class-balanced
//! examples → [`model::train`]. Pure computation.

use crate::corpus::Labelled;
use crate::features::{self, Feature};
use crate::lang::LanguageDetector;
use crate::model::{self, Example, LinearModel, Target, TrainConfig};
use crate::text::{self, Kind};
use crate::{Known, Language, Sentiment};

/// A labelled corpus and how to read its labels.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub items: &'a [Labelled],
    /// Two-class corpus (no neutral label): trained as negative-vs-positive only.
    pub binary: bool,
}

/// Tokenizes, detects the language and extracts features: the same path as [`crate::BuiltIn`].
pub struct Featurizer {
    detector: LanguageDetector,
    bits: u32,
}

impl Featurizer {
    pub fn new(bits: u32) -> Featurizer {
        Featurizer {
            detector: LanguageDetector::new(),
            bits,
        }
    }

    pub(crate) fn language(&self, tokens: &[text::Token]) -> Language {
        let words: Vec<&str> = tokens
            .iter()
            .filter(|t| t.kind == Kind::Word)
            .map(|t| &*t.text)
            .collect();
        if words.iter().all(|w| !w.chars().any(char::is_alphabetic)) {
            return Language::UNDETERMINED;
        }
        self.detector.detect_words(&words)
    }

    pub fn features(&self, text: &str) -> Vec<Feature> {
        let tokens = text::tokenize(text);
        let lang: Known = self.language(&tokens).known();
        let mut out = Vec::with_capacity(tokens.len() * 12 + 16);
        features::extract(&tokens, lang, self.bits, &mut out);
        out
    }
}

/// Examples from corpora, each weighted so that every class of its corpus weighs the same in
/// total (the evaluation metric is macro-recall; the corpora's class mixes differ widely).
pub fn examples(featurizer: &Featurizer, sources: &[Source<'_>]) -> Vec<Example> {
    let mut out = Vec::new();
    for source in sources {
        let mut counts = [0usize; 3];
        for item in source.items {
            counts[item.label.index()] += 1;
        }
        let present = counts.iter().filter(|c| **c > 0).count().max(1);
        let n = source.items.len();
        for item in source.items {
            let c = item.label.index();
            let weight = n as f32 / (present as f32 * counts[c].max(1) as f32);
            let target = if source.binary && item.label != Sentiment::Neutral {
                Target::Binary(c)
            } else {
                Target::Three(c)
            };
            out.push(Example {
                features: featurizer.features(&item.text),
                target,
                weight,
            });
        }
    }
    out
}

/// Trains a model on the corpora.
pub fn train(sources: &[Source<'_>], config: &TrainConfig) -> LinearModel {
    let featurizer = Featurizer::new(config.bits);
    model::train(&examples(&featurizer, sources), config)
}
