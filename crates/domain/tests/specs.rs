#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The embedded network spec file, and validation of drafts against it.

use std::collections::BTreeMap;

use owlery_domain::spec::{
    AspectRatio, Draft, Finding, MastodonInstance, MediaFacts, MediaKind, NETWORKS_TOML, Placement,
    Severity, SpecError, Specs, validate,
};
use proptest::prelude::*;

fn specs() -> Specs {
    Specs::embedded().expect("the embedded networks.toml parses")
}

fn placement(network: &str, code: &str) -> Placement {
    specs()
        .placement(network, code)
        .unwrap_or_else(|| panic!("{network}/{code} is in networks.toml"))
        .clone()
}

fn text(field: &str, value: &str) -> Draft {
    Draft {
        texts: BTreeMap::from([(field.to_owned(), value.to_owned())]),
        media: Vec::new(),
    }
}

fn image(width: u64, height: u64, bytes: u64) -> MediaFacts {
    MediaFacts {
        kind: MediaKind::Image,
        bytes,
        width,
        height,
        duration_ms: None,
        format: "jpeg".to_owned(),
        alt: Some("A red owl on a branch".to_owned()),
    }
}

fn video(width: u64, height: u64, seconds: u64) -> MediaFacts {
    MediaFacts {
        kind: MediaKind::Video,
        bytes: 20_000_000,
        width,
        height,
        duration_ms: Some(seconds * 1000),
        format: "mp4".to_owned(),
        alt: None,
    }
}

fn with_code<'a>(findings: &'a [Finding], code: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("expected a {code} finding, got {findings:#?}"))
}

#[test]
fn embedded_file_parses_with_a_date_version() {
    let s = specs();
    assert_eq!(s.version.len(), 10);
    assert!(s.version.starts_with("20"));
}

#[test]
fn every_network_is_present_with_placements() {
    let s = specs();
    let expected = [
        ("x", &["post"][..]),
        ("facebook_page", &["feed_post", "link_card", "story"]),
        ("instagram", &["feed", "carousel", "story", "reel"]),
        ("threads", &["post"]),
        ("linkedin", &["post"]),
        ("tiktok", &["video", "photo"]),
        ("youtube", &["video"]),
        ("pinterest", &["pin"]),
        ("bluesky", &["post"]),
        ("mastodon", &["status"]),
        ("sandbox", &["post"]),
    ];
    for (network, placements) in expected {
        let n = s
            .network(network)
            .unwrap_or_else(|| panic!("network {network} missing"));
        assert!(!n.placements.is_empty(), "{network} has no placement");
        for p in placements {
            assert!(s.placement(network, p).is_some(), "{network}/{p} missing");
        }
    }
}

#[test]
fn every_value_has_a_source() {
    let mut missing = Vec::new();
    let mut stray = Vec::new();
    for n in &specs().networks {
        for p in &n.placements {
            for field in p.unsourced() {
                missing.push(format!("{}/{}: {field}", n.code, p.code));
            }
            let fields = p.value_fields();
            for key in p.sources.keys() {
                if !fields.contains(key) {
                    stray.push(format!("{}/{}: {key}", n.code, p.code));
                }
            }
        }
    }
    assert!(missing.is_empty(), "values without a source: {missing:#?}");
    assert!(
        stray.is_empty(),
        "sources for values that are not set: {stray:#?}"
    );
}

#[test]
fn instagram_feed_values_are_as_documented() {
    let p = placement("instagram", "feed");
    let m = p.media.as_ref().unwrap();
    assert_eq!(m.aspect_min, Some(AspectRatio::parse("4:5").unwrap()));
    assert_eq!(p.hashtags.as_ref().unwrap().max, 5);
    assert_eq!(p.texts[0].limit, 2_200);
}

fn assert_error_mentions(src: &str, parts: &[&str]) {
    let err = Specs::parse(src).expect_err("the malformed file is refused");
    let text = err.to_string();
    for part in parts {
        assert!(text.contains(part), "{text:?} should mention {part:?}");
    }
}

#[test]
fn a_bad_aspect_ratio_is_refused_naming_where() {
    let src = NETWORKS_TOML.replacen("aspect_min = \"4:5\"", "aspect_min = \"4x5\"", 1);
    assert_ne!(src, NETWORKS_TOML);
    assert_error_mentions(&src, &["instagram", "feed", "media", "4x5"]);
}

#[test]
fn an_unknown_count_rule_is_refused_naming_where() {
    let src = NETWORKS_TOML.replacen("count = \"x_weighted\"", "count = \"x_weight\"", 1);
    assert_ne!(src, NETWORKS_TOML);
    assert_error_mentions(
        &src,
        &[
            "network `x`",
            "placement `post`",
            "text field `text`",
            "x_weight",
        ],
    );
}

#[test]
fn a_missing_version_is_refused() {
    // Whatever the current version is: the line that starts with `version =`.
    let line = NETWORKS_TOML
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap();
    let src = NETWORKS_TOML.replacen(line, "", 1);
    assert_ne!(src, NETWORKS_TOML);
    assert_eq!(Specs::parse(&src), Err(SpecError::MissingVersion));
    assert!(SpecError::MissingVersion.to_string().contains("version"));
}

#[test]
fn an_unknown_media_key_is_refused() {
    let src = NETWORKS_TOML.replacen("max_gifs = 1", "max_gif = 1", 1);
    assert_error_mentions(&src, &["network `x`", "media", "max_gif"]);
}

#[test]
fn aspect_ratios_parse_strictly() {
    assert!((AspectRatio::parse("1.91:1").unwrap().value() - 1.91).abs() < 1e-9);
    for bad in [
        "4x5", "4:", ":5", "0:1", "-4:5", "a:b", "4:5:6", "", "inf:1",
    ] {
        assert!(AspectRatio::parse(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn x_281_weighted_is_an_error_with_the_numbers() {
    let f = validate(
        &placement("x", "post"),
        &text("text", &"a".repeat(281)),
        None,
    );
    let e = with_code(&f, "text_too_long");
    assert_eq!(e.severity, Severity::Error);
    assert_eq!((e.limit, e.actual), (Some(280), Some(281)));
    assert!(e.message.contains("281 of 280"), "{}", e.message);
    assert!(e.message.contains("URLs count 23"), "{}", e.message);
    assert!(
        validate(
            &placement("x", "post"),
            &text("text", &"a".repeat(280)),
            None
        )
        .is_empty()
    );
}

#[test]
fn bluesky_301_graphemes_is_an_error() {
    let f = validate(
        &placement("bluesky", "post"),
        &text("text", &"b".repeat(301)),
        None,
    );
    let e = with_code(&f, "text_too_long");
    assert_eq!((e.limit, e.actual), (Some(300), Some(301)));
}

#[test]
fn bluesky_image_without_alt_is_an_error() {
    let mut d = text("text", "hello");
    let mut img = image(1000, 1000, 500_000);
    img.alt = None;
    d.media.push(img);
    let f = validate(&placement("bluesky", "post"), &d, None);
    let e = with_code(&f, "alt_required");
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.field, "media[0]");
}

#[test]
fn instagram_six_hashtags_is_an_error() {
    let mut d = text("caption", "Owls #a #b #c #d #e #f");
    d.media.push(image(1080, 1350, 1_000_000));
    let f = validate(&placement("instagram", "feed"), &d, None);
    let e = with_code(&f, "too_many_hashtags");
    assert_eq!(e.severity, Severity::Error);
    assert_eq!((e.limit, e.actual), (Some(5), Some(6)));
}

#[test]
fn youtube_sixteen_hashtags_is_a_warning() {
    let tags: Vec<String> = (0..16).map(|i| format!("#tag{i}")).collect();
    let mut d = text("description", &tags.join(" "));
    d.texts.insert("title".to_owned(), "Owls".to_owned());
    d.media.push(video(1920, 1080, 60));
    let f = validate(&placement("youtube", "video"), &d, None);
    let w = with_code(&f, "too_many_hashtags");
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.contains("ignores all"), "{}", w.message);
    assert!(f.iter().all(|f| f.severity == Severity::Warning), "{f:#?}");
}

#[test]
fn youtube_needs_a_title() {
    let mut d = text("description", "Owls");
    d.media.push(video(1920, 1080, 60));
    let f = validate(&placement("youtube", "video"), &d, None);
    assert_eq!(with_code(&f, "text_required").field, "title");
}

#[test]
fn a_16_9_reel_is_refused_asking_for_9_16() {
    let mut d = text("caption", "Owls");
    d.media.push(video(1920, 1080, 30));
    let f = validate(&placement("instagram", "reel"), &d, None);
    let e = with_code(&f, "aspect_out_of_range");
    assert_eq!(e.severity, Severity::Error);
    assert!(e.message.contains("needs 9:16"), "{}", e.message);
    assert!(e.message.contains("is 16:9"), "{}", e.message);
    let mut ok = text("caption", "Owls");
    ok.media.push(video(1080, 1920, 30));
    assert!(validate(&placement("instagram", "reel"), &ok, None).is_empty());
}

#[test]
fn mastodon_server_override_accepts_what_the_default_refuses() {
    let p = placement("mastodon", "status");
    let d = text("status", &"m".repeat(600));
    let refused = validate(&p, &d, None);
    assert_eq!(with_code(&refused, "text_too_long").limit, Some(500));
    let server = MastodonInstance {
        max_characters: 1000,
        max_media_attachments: 4,
        characters_reserved_per_url: 23,
    };
    assert!(validate(&p, &d, Some(&server)).is_empty());
}

#[test]
fn mastodon_server_override_sets_the_media_count() {
    let p = placement("mastodon", "status");
    let mut d = text("status", "owls");
    d.media = (0..6).map(|_| image(100, 100, 1000)).collect();
    assert_eq!(
        with_code(&validate(&p, &d, None), "too_many_media").limit,
        Some(4)
    );
    let server = MastodonInstance {
        max_characters: 500,
        max_media_attachments: 8,
        characters_reserved_per_url: 23,
    };
    assert!(validate(&p, &d, Some(&server)).is_empty());
}

#[test]
fn more_media_than_allowed_is_an_error() {
    let mut d = text("text", "owls");
    d.media = (0..5).map(|_| image(1200, 675, 100_000)).collect();
    let f = validate(&placement("x", "post"), &d, None);
    let e = with_code(&f, "too_many_media");
    assert_eq!((e.limit, e.actual), (Some(4), Some(5)));
}

#[test]
fn an_image_over_the_byte_limit_is_an_error_naming_mb() {
    let mut d = text("caption", "owls");
    d.media.push(image(1080, 1350, 9_000_000));
    let f = validate(&placement("instagram", "feed"), &d, None);
    let e = with_code(&f, "file_too_large");
    assert_eq!((e.limit, e.actual), (Some(8_388_608), Some(9_000_000)));
    assert!(e.message.contains("8 MB"), "{}", e.message);
    assert!(e.message.contains("8.58 MB"), "{}", e.message);
}

#[test]
fn an_instagram_feed_image_outside_4_5_to_1_91_is_an_error() {
    let mut d = text("caption", "owls");
    d.media.push(image(1080, 1920, 1_000_000));
    let f = validate(&placement("instagram", "feed"), &d, None);
    let e = with_code(&f, "aspect_out_of_range");
    assert!(e.message.contains("4:5 to 1.91:1"), "{}", e.message);
    assert!(e.message.contains("9:16"), "{}", e.message);
}

#[test]
fn the_sandbox_accepts_a_plain_post() {
    assert!(validate(&placement("sandbox", "post"), &text("text", "hello"), None).is_empty());
}

#[test]
fn bluesky_does_not_mix_images_and_video() {
    let mut d = text("text", "owls");
    d.media.push(image(100, 100, 1000));
    d.media.push(video(1080, 1920, 10));
    let f = validate(&placement("bluesky", "post"), &d, None);
    with_code(&f, "mixed_media");
}

fn arbitrary_media() -> impl Strategy<Value = MediaFacts> {
    (
        prop_oneof![
            Just(MediaKind::Image),
            Just(MediaKind::Gif),
            Just(MediaKind::Video)
        ],
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        ".{0,8}",
        proptest::option::of(".{0,40}"),
    )
        .prop_map(
            |(kind, bytes, width, height, duration_ms, format, alt)| MediaFacts {
                kind,
                bytes,
                width,
                height,
                duration_ms,
                format,
                alt,
            },
        )
}

proptest! {
    #[test]
    fn validate_never_panics(
        body in any::<String>(),
        other in ".{0,50}",
        media in proptest::collection::vec(arbitrary_media(), 0..6),
        max in any::<u64>(),
        url in any::<u64>(),
    ) {
        let s = specs();
        let server = MastodonInstance { max_characters: max, max_media_attachments: max, characters_reserved_per_url: url };
        for n in &s.networks {
            for p in &n.placements {
                let mut d = Draft { texts: BTreeMap::new(), media: media.clone() };
                for (i, t) in p.texts.iter().enumerate() {
                    d.texts.insert(t.name.clone(), if i == 0 { body.clone() } else { other.clone() });
                }
                let _ = validate(p, &d, Some(&server));
                let _ = validate(p, &d, None);
            }
        }
    }
}
