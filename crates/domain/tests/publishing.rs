//! Properties of the publishing rules that examples alone would not pin down.

use std::net::{IpAddr, Ipv4Addr};

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc, Weekday};
use owlery_domain::publishing::{
    approval::{Approvers, Decision, Progress, Reviewer, Step, Verdict, Workflow, evaluate},
    csv::{ExportRow, parse_import, write_export},
    history::{Change, diff_words},
    ical::{CalendarEvent, write_calendar},
    link_preview::{is_public_ip, parse_preview},
    schedule::{Queue, QueueSlot, local_to_utc, next_free_slot, upcoming_slots},
    utm::{Utm, tag_url},
};
use owlery_domain::{PostId, UserId, VariantId};
use proptest::prelude::*;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// Text that stresses CSV: separators, quotes, line breaks, formula starters, apostrophes, unicode.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        ",",
        "\"",
        "\n",
        "\r\n",
        "\r",
        "'",
        "=",
        "+",
        "-",
        "@",
        "\t",
        " ",
        ";",
        "Здравей",
        "🦉",
        "e\u{301}",
        "a",
        "word",
        "=SUM(A1)",
        "\u{FEFF}",
    ]);
    prop::collection::vec(pieces, 1..20)
        .prop_map(|v| v.concat())
        .prop_filter("import needs some text", |s| !s.trim().is_empty())
}

proptest! {
    #[test]
    fn csv_export_then_import_round_trips_text(
        text in tricky_text(),
        comment in prop::option::of(tricky_text()),
        minutes in 1i64..100_000,
    ) {
        let now = base();
        let when = now + Duration::minutes(minutes);
        let row = ExportRow {
            post_id: PostId::new(),
            variant_id: VariantId::new(),
            channel: "@owlery".into(),
            network: "mastodon".into(),
            status: "scheduled".into(),
            scheduled_at: Some(when),
            published_at: None,
            text: text.clone(),
            link: Some("https://example.com/a?b=1,2".into()),
            first_comment: comment.clone(),
            campaign: Some("Spring, \"big\" launch".into()),
            author: "Ана".into(),
            remote_url: None,
        };
        let bytes = write_export(&[row.clone(), row]);
        let report = parse_import(&bytes, chrono_tz::Europe::Sofia, now, &|c| c == "@owlery").unwrap();
        prop_assert_eq!(report.errors.clone(), vec![]);
        prop_assert_eq!(report.rows.len(), 2);
        for r in &report.rows {
            prop_assert_eq!(&r.text, &text);
            prop_assert_eq!(&r.first_comment, &comment);
            prop_assert_eq!(r.scheduled_at, Some(when));
            prop_assert_eq!(r.channels.clone(), vec!["@owlery".to_owned()]);
            prop_assert_eq!(r.link.as_deref(), Some("https://example.com/a?b=1,2"));
            prop_assert_eq!(r.campaign.as_deref(), Some("Spring, \"big\" launch"));
        }
        prop_assert!(report.rows[1].line > report.rows[0].line);
    }

    #[test]
    fn csv_import_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut input = b"channels,text,scheduled_at,media\n".to_vec();
        input.extend(bytes);
        let _ = parse_import(&input, chrono_tz::UTC, base(), &|_| true);
    }

    #[test]
    fn exported_cells_never_start_a_formula(text in tricky_text()) {
        let row = ExportRow {
            post_id: PostId::new(),
            variant_id: VariantId::new(),
            channel: text.clone(),
            network: "x".into(),
            status: "draft".into(),
            scheduled_at: None,
            published_at: None,
            text: text.clone(),
            link: None,
            first_comment: None,
            campaign: None,
            author: text,
            remote_url: None,
        };
        let out = String::from_utf8(write_export(&[row])).unwrap();
        let mut reader = ::csv::ReaderBuilder::new().from_reader(out.trim_start_matches('\u{FEFF}').as_bytes());
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                prop_assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{:?}", cell);
            }
        }
    }

    #[test]
    fn link_preview_never_panics(html in any::<String>()) {
        let page = url::Url::parse("https://example.com/a/b").unwrap();
        let p = parse_preview(&html, &page);
        prop_assert!(p.title.is_none_or(|t| t.chars().count() <= 300));
    }

    #[test]
    fn link_preview_never_panics_on_tag_soup(
        parts in prop::collection::vec(prop::sample::select(vec![
            "<", ">", "<meta", " property=", "og:title", "og:image", " content=", "\"", "'", "=", "/",
            "<title>", "</title>", "<!--", "-->", "<script>", "</script", "&", "&#", "x27;", "&amp", ";",
            "é", "🦉", " ", "\n", "name=description", "<body>", "../", "javascript:",
        ]), 0..40),
    ) {
        let page = url::Url::parse("https://example.com/a/b").unwrap();
        let p = parse_preview(&parts.concat(), &page);
        if let Some(image) = p.image {
            prop_assert!(image.starts_with("http://") || image.starts_with("https://"));
        }
    }

    #[test]
    fn mapped_ipv6_is_judged_by_its_ipv4(bits in any::<u32>()) {
        let v4 = Ipv4Addr::from(bits);
        prop_assert_eq!(is_public_ip(IpAddr::V6(v4.to_ipv6_mapped())), is_public_ip(IpAddr::V4(v4)));
        let nat64 = std::net::Ipv6Addr::from((0x0064_ff9b_u128 << 96) | u128::from(bits));
        prop_assert_eq!(is_public_ip(IpAddr::V6(nat64)), is_public_ip(IpAddr::V4(v4)));
    }

    #[test]
    fn word_diff_rebuilds_both_sides(old in "[a-c \n]{0,40}", new in "[a-c \n]{0,40}") {
        check_diff(&old, &new)?;
    }

    #[test]
    fn word_diff_rebuilds_any_text(old in any::<String>(), new in any::<String>()) {
        check_diff(&old, &new)?;
    }

    #[test]
    fn ical_lines_fit_and_unfold(summary in any::<String>(), description in "[а-я🦉a-z,;\\\\\n ]{0,300}") {
        let event = CalendarEvent {
            uid: "u@example".into(),
            start: base(),
            summary,
            description,
            url: None,
            status: "scheduled".into(),
            last_modified: base(),
        };
        let ics = write_calendar("Calendar", &[event], base());
        for line in ics.split("\r\n") {
            prop_assert!(line.len() <= 75);
        }
        let unfolded = ics.replace("\r\n ", "");
        // Every logical line is one property: no raw line break survives inside a value.
        for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
            prop_assert!(line.contains(':'), "{:?}", line);
            prop_assert!(!line.contains('\n') && !line.contains('\r'));
        }
    }

    #[test]
    fn local_to_utc_returns_the_earliest_instant_showing_that_wall_clock(minutes in 0i64..(3 * 365 * 24 * 60)) {
        let tz = chrono_tz::Europe::Sofia;
        let instant = base() + Duration::minutes(minutes);
        let local = instant.with_timezone(&tz).naive_local();
        let back = local_to_utc(local, tz).unwrap();
        prop_assert!(back <= instant);
        prop_assert!(instant - back <= Duration::hours(1));
        prop_assert_eq!(back.with_timezone(&tz).naive_local(), local);
    }

    #[test]
    fn next_free_slot_is_a_free_upcoming_slot(
        slots in prop::collection::vec((0u8..7, 0u32..24, 0u32..60), 1..6),
        after_minutes in 0i64..(366 * 24 * 60),
        taken_count in 0usize..5,
    ) {
        let queue = Queue {
            time_zone: chrono_tz::America::New_York,
            slots: slots
                .into_iter()
                .map(|(d, h, m)| QueueSlot {
                    weekday: Weekday::try_from(d).unwrap(),
                    time: NaiveTime::from_hms_opt(h, m, 0).unwrap(),
                })
                .collect(),
        };
        let after = base() + Duration::minutes(after_minutes);
        let upcoming = upcoming_slots(&queue, after, 20);
        prop_assert!(!upcoming.is_empty());
        prop_assert!(upcoming.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(upcoming.iter().all(|t| *t > after));
        let taken: Vec<DateTime<Utc>> = upcoming.iter().take(taken_count).copied().collect();
        let next = next_free_slot(&queue, after, &taken).unwrap();
        prop_assert_eq!(Some(&next), upcoming.get(taken_count));
    }

    #[test]
    fn tagging_twice_is_tagging_once(path in "[a-z/]{0,10}", query in "([a-z]{1,3}=[a-z0-9]{0,3}&?){0,3}") {
        let utm = Utm {
            source: "news letter".into(),
            medium: "email".into(),
            campaign: "q3".into(),
            term: None,
            content: Some("a&b".into()),
        };
        let url = format!("https://example.com/{path}?{query}#frag");
        let once = tag_url(&url, &utm).unwrap();
        prop_assert_eq!(tag_url(&once, &utm).unwrap(), once.clone());
        prop_assert!(once.ends_with("#frag"));
    }

    #[test]
    fn evaluate_is_consistent(
        required in prop::collection::vec(1u32..4, 1..4),
        raw in prop::collection::vec((0u32..4, 0usize..5, 0u8..10, 0i64..100), 0..25),
    ) {
        let people: Vec<UserId> = (0..5).map(|_| UserId::new()).collect();
        let workflow = Workflow {
            steps: required
                .iter()
                .map(|r| Step {
                    name: "s".into(),
                    approvers: Approvers::People { user_ids: people.clone() },
                    required: *r,
                    backup: None,
                    deadline_hours: Some(10),
                })
                .collect(),
        };
        let decisions: Vec<Decision> = raw
            .iter()
            .map(|(step, who, v, at)| Decision {
                step: *step,
                reviewer: Reviewer::User { user_id: people[*who] },
                verdict: if *v == 0 { Verdict::Reject } else if *v == 1 { Verdict::RequestChanges } else { Verdict::Approve },
                reason: Some("why".into()),
                at: base() + Duration::hours(*at),
            })
            .collect();
        let now = base() + Duration::hours(200);
        match evaluate(&workflow, base(), &decisions, now) {
            Progress::Pending { step, approvals, required, since, due, escalated, .. } => {
                prop_assert!((step as usize) < workflow.steps.len());
                prop_assert!(approvals < required);
                prop_assert!(since >= base());
                prop_assert_eq!(due, Some(since + Duration::hours(10)));
                prop_assert_eq!(escalated, since + Duration::hours(10) <= now);
            }
            Progress::Approved => {
                // Every step got enough distinct approvals.
                for (i, step) in workflow.steps.iter().enumerate() {
                    let distinct: std::collections::BTreeSet<_> = decisions
                        .iter()
                        .filter(|d| d.step as usize == i && d.verdict == Verdict::Approve)
                        .map(|d| d.reviewer.clone())
                        .collect();
                    prop_assert!(distinct.len() >= step.required as usize);
                }
            }
            Progress::ChangesRequested { .. } | Progress::Rejected { .. } => {}
        }
    }
}

fn check_diff(old: &str, new: &str) -> Result<(), TestCaseError> {
    let changes = diff_words(old, new);
    let rebuilt_old: String = changes
        .iter()
        .filter(|c| !matches!(c, Change::Added(_)))
        .map(Change::text)
        .collect();
    let rebuilt_new: String = changes
        .iter()
        .filter(|c| !matches!(c, Change::Removed(_)))
        .map(Change::text)
        .collect();
    prop_assert_eq!(rebuilt_old, old);
    prop_assert_eq!(rebuilt_new, new);
    // Neighbours are never of the same kind, and no run is empty.
    for pair in changes.windows(2) {
        prop_assert_ne!(
            std::mem::discriminant(&pair[0]),
            std::mem::discriminant(&pair[1])
        );
    }
    prop_assert!(changes.iter().all(|c| !c.text().is_empty()));
    Ok(())
}
