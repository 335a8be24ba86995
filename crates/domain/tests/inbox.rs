//! Property tests for the inbox import line parser: whatever a line holds, parsing returns a
//! message or a reason, never a panic.

use owlery_domain::inbox::import::parse_line;
use proptest::prelude::*;

const FIELDS: &[&str] = &[
    "channel_id",
    "remote_id",
    "kind",
    "author",
    "text",
    "created_at",
    "conversation_remote_id",
    "in_reply_to_remote_id",
    "media",
    "url",
    "remote_id\u{0}",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        ".{0,40}".prop_map(serde_json::Value::String),
        Just(serde_json::json!("0192f3a0-0000-7000-8000-000000000001")),
        Just(serde_json::json!("2026-11-27T09:30:00Z")),
        prop::sample::select(vec!["comment", "mention", "dm"]).prop_map(|s| serde_json::json!(s)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["remote_id", "handle", "name", "followers", "x"])
                    .prop_map(str::to_owned),
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(line in any::<String>()) {
        let _ = parse_line(&line);
    }

    #[test]
    fn arbitrary_objects_never_panic(
        fields in prop::collection::btree_map(prop::sample::select(FIELDS.to_vec()), json_value(), 0..11)
    ) {
        let obj: serde_json::Map<String, serde_json::Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let line = serde_json::Value::Object(obj).to_string();
        match parse_line(&line) {
            Ok(m) => {
                prop_assert!(!m.remote_id.is_empty());
                prop_assert!(!m.thread_key().is_empty());
            }
            Err(e) => prop_assert!(!e.reason.is_empty()),
        }
    }

    #[test]
    fn truncated_good_lines_never_panic(cut in 0usize..400) {
        let good = r#"{"channel_id":"0192f3a0-0000-7000-8000-000000000001","remote_id":"c1","kind":"dm","author":{"remote_id":"u1","handle":"ana","name":"Ана"},"text":"Здравейте, кога отваряте?","created_at":"2026-11-27T09:30:00Z"}"#;
        let cut = good.char_indices().map(|(i, _)| i).take_while(|i| *i <= cut).last().unwrap_or(0);
        let _ = parse_line(&good[..cut]);
        prop_assert!(parse_line(good).is_ok());
    }
}
