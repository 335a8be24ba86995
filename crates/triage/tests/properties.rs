//! Any string classifies without panicking, and every score set is a distribution.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::LazyLock;

use owlery_triage::{BuiltIn, Classifier, Intent, Triage};
use proptest::prelude::*;

static CLASSIFIER: LazyLock<BuiltIn> = LazyLock::new(|| BuiltIn::new().unwrap());

fn check(t: &Triage) {
    let s = &t.sentiment_scores;
    let sum = s.negative + s.neutral + s.positive;
    assert!((sum - 1.0).abs() < 1e-4, "sentiment scores sum to {sum}");
    assert!(
        [s.negative, s.neutral, s.positive]
            .iter()
            .all(|p| (0.0..=1.0).contains(p))
    );
    let sum: f32 = Intent::ALL.iter().map(|i| t.intent_scores.get(*i)).sum();
    assert!((sum - 1.0).abs() < 1e-4, "intent scores sum to {sum}");
    assert!((0.0..=1.0).contains(&t.language.confidence));
}

proptest! {
    #[test]
    fn any_string(text in any::<String>()) {
        check(&CLASSIFIER.classify(&text));
    }

    #[test]
    fn odd_unicode(text in "[\\p{Cyrillic}\\p{Latin}\\p{Emoji}\\p{Mn}\\p{Zs}\\u{200d}\\u{feff}!?.:;()@#'’]{0,300}") {
        check(&CLASSIFIER.classify(&text));
    }

    #[test]
    fn words_and_links(words in prop::collection::vec("(not|no|не|nicht|good|ужасно|gracias|https://x\\.co/a|@bob|:\\)|😡|WORST|\\?|!)", 0..60)) {
        check(&CLASSIFIER.classify(&words.join(" ")));
    }
}

#[test]
fn huge_messages() {
    for text in [
        "ё".repeat(1_000_000),
        "a".repeat(3_000_000),
        "😀".repeat(200_000),
        "\u{301}".repeat(100_000),
        "terrible ".repeat(100_000),
    ] {
        check(&CLASSIFIER.classify(&text));
    }
}
