//! twitter-text's own conformance cases (tests/data/twitter-text/, Apache 2.0): every case of the three
//! weighted-length groups of validate.yml, and the URL, hashtag and mention extraction groups of
//! extract.yml except the few listed with the reason we differ.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use owlery_domain::text::{XConfig, XParse, hashtags, mentions, parse_x, parse_x_with, urls};

#[derive(Debug, serde::Deserialize)]
struct Expected {
    #[serde(rename = "weightedLength")]
    weighted_length: usize,
    valid: bool,
    permillage: usize,
    #[serde(rename = "displayRangeStart")]
    display_range_start: usize,
    #[serde(rename = "displayRangeEnd")]
    display_range_end: usize,
    #[serde(rename = "validRangeStart")]
    valid_range_start: usize,
    #[serde(rename = "validRangeEnd")]
    valid_range_end: usize,
}

#[derive(Debug, serde::Deserialize)]
struct Case {
    description: String,
    text: String,
    expected: Expected,
}

#[derive(Debug, serde::Deserialize)]
struct Validate {
    tests: BTreeMap<String, serde_yaml_ng::Value>,
}

/// The groups and the configuration each is written for: the first predates emoji parsing (v2).
const GROUPS: &[(&str, XConfig)] = &[
    ("WeightedTweetsCounterTest", XConfig::V2),
    ("WeightedTweetsWithDiscountedEmojiCounterTest", XConfig::V3),
    ("UnicodeDirectionalMarkerCounterTest", XConfig::V3),
];

/// Cases we knowingly do not pass, with the reason. Empty: all pass.
const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

fn load() -> Validate {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/twitter-text/validate.yml"
    );
    let raw = std::fs::read_to_string(path).expect("read validate.yml");
    serde_yaml_ng::from_str(&raw).expect("parse validate.yml")
}

#[test]
fn weighted_length_conformance() {
    let validate = load();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (group, config) in GROUPS {
        let cases: Vec<Case> = serde_yaml_ng::from_value(
            validate
                .tests
                .get(*group)
                .unwrap_or_else(|| panic!("group {group} missing"))
                .clone(),
        )
        .unwrap_or_else(|e| panic!("group {group}: {e}"));
        assert!(!cases.is_empty(), "group {group} is empty");
        for case in cases {
            let known = KNOWN_FAILURES
                .iter()
                .any(|(g, d, _)| g == group && *d == case.description);
            let got = parse_x_with(&case.text, config);
            let e = &case.expected;
            let want = XParse {
                weighted_length: e.weighted_length,
                valid: e.valid,
                permillage: e.permillage,
                display_range: (e.display_range_start, e.display_range_end),
                valid_range: (e.valid_range_start, e.valid_range_end),
            };
            match (got == want, known) {
                (true, false) => checked += 1,
                (false, true) => {}
                (true, true) => failures.push(format!(
                    "{group} / {}: listed as a known failure but passes; remove it",
                    case.description
                )),
                (false, false) => failures.push(format!(
                    "{group} / {}: got {got:?}, want {want:?}",
                    case.description
                )),
            }
        }
    }
    println!(
        "twitter-text conformance: {checked} cases passed, {} known failures",
        KNOWN_FAILURES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // validate.yml (commit 30e2430) has 20 + 22 + 2 weighted cases.
    assert_eq!(checked + KNOWN_FAILURES.len(), 44, "case count changed");
}

#[test]
fn config_v3_matches_the_shipped_configuration() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/twitter-text/config-v3.json"
    );
    let raw = std::fs::read_to_string(path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let c = XConfig::V3;
    assert_eq!(json["maxWeightedTweetLength"], c.max_weighted_length);
    assert_eq!(json["scale"], c.scale);
    assert_eq!(json["defaultWeight"], c.default_weight);
    assert_eq!(json["transformedURLLength"], c.transformed_url_length);
    assert_eq!(json["emojiParsingEnabled"], c.emoji_parsing);
    let ranges: Vec<(u64, u64, u64)> = json["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["start"].as_u64().unwrap(),
                r["end"].as_u64().unwrap(),
                r["weight"].as_u64().unwrap(),
            )
        })
        .collect();
    let ours: Vec<(u64, u64, u64)> = c
        .ranges
        .iter()
        .map(|r| (u64::from(r.start), u64::from(r.end), r.weight as u64))
        .collect();
    assert_eq!(ranges, ours);
    // The default entry point is v3.
    assert_eq!(parse_x("👨‍👩‍👧‍👦").weighted_length, 2);
}

#[derive(Debug, serde::Deserialize)]
struct ExtractCase {
    description: String,
    text: String,
    expected: Vec<String>,
}

/// Extraction cases where Owlery knowingly differs from twitter-text: (group, description, reason).
const EXTRACT_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "urls",
        "Extract domain followed by Japanese characters",
        "without a protocol only ASCII/Latin domains with listed TLDs are URLs; IDN TLDs (みんな) need one",
    ),
    (
        "mentions",
        "Extract lone metion but not @user@user (too close to an email)",
        "`@user@domain` is a Mastodon remote mention, which Owlery must see",
    ),
];

#[test]
fn extraction_conformance() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/twitter-text/extract.yml"
    );
    let raw = std::fs::read_to_string(path).expect("read extract.yml");
    let file: Validate = serde_yaml_ng::from_str(&raw).expect("parse extract.yml");
    let mut checked = 0;
    let mut failures = Vec::new();
    for group in ["urls", "hashtags", "hashtags_from_astral", "mentions"] {
        let cases: Vec<ExtractCase> =
            serde_yaml_ng::from_value(file.tests.get(group).expect("group").clone())
                .unwrap_or_else(|e| panic!("group {group}: {e}"));
        for case in cases {
            let got: Vec<String> = match group {
                "urls" => urls(&case.text)
                    .into_iter()
                    .map(|r| case.text[r].to_owned())
                    .collect(),
                "mentions" => mentions(&case.text),
                _ => hashtags(&case.text),
            };
            let known = EXTRACT_DIFFERENCES
                .iter()
                .any(|(g, d, _)| *g == group && *d == case.description);
            match (got == case.expected, known) {
                (true, false) => checked += 1,
                (false, true) => {}
                (true, true) => failures.push(format!(
                    "{group} / {}: listed as a difference but passes; remove it",
                    case.description
                )),
                (false, false) => failures.push(format!(
                    "{group} / {}: got {got:?}, want {:?}",
                    case.description, case.expected
                )),
            }
        }
    }
    println!(
        "twitter-text extraction: {checked} cases passed, {} known differences",
        EXTRACT_DIFFERENCES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        checked + EXTRACT_DIFFERENCES.len(),
        182,
        "case count changed"
    );
}
