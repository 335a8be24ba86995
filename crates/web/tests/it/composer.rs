//! The composer over HTTP: live checks per channel, saving drafts, scheduling in a chosen time
//! zone, autosave, version history and restore — and that the page's buttons cannot get past the
//! server's rules.

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use owlery_domain::{Role, audit::Actor, org::Network};

use crate::support::{CookieJar, TestApp, channel_id};

async fn signed_in(app: &TestApp, email: &str, role: Role) -> (CookieJar, String) {
    let user = app.user(email, role).await;
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(&user, &mut jar).await;
    (jar, csrf)
}

fn post_id_of(location: &str) -> String {
    location
        .trim_start_matches("/publish/posts/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn live_checks_count_each_network_its_own_way() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let x = channel_id(&app, ws.id, Network::X, "brand_x").await;
    let bsky = channel_id(&app, ws.id, Network::Bluesky, "brand.bsky.social").await;
    let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;

    let page = app.get_page("/publish/new", &mut jar).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("brand_x") && html.contains("brand.bsky.social"),
        "{html}"
    );

    // 150 emoji: X weighs each as 2 (300 of 280); Bluesky counts graphemes (150 of 300).
    let text = "🙂".repeat(150);
    let res = app
        .post_form(
            "/publish/check",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws.id.to_string()),
                ("text", &text),
                ("channel", &x),
                ("channel", &bsky),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let html = res.text();
    let x_part = html
        .split(&format!("id=\"check-{x}\""))
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    assert!(x_part.contains("meter-over"), "{x_part}");
    assert!(x_part.contains("300/280"), "{x_part}");
    let bsky_part = html
        .split(&format!("id=\"check-{bsky}\""))
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    assert!(!bsky_part.contains("meter-over"), "{bsky_part}");
    assert!(html.contains("hx-swap-oob"));
}

#[tokio::test]
async fn save_a_draft_then_schedule_it_in_the_chosen_time_zone() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let sandbox = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
        let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
        let ws_id = ws.id.to_string();
        let res = app
            .post_form(
                "/publish/save",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws_id),
                    ("title", "Launch"),
                    ("text", "We launch on Monday"),
                    ("channel", &sandbox),
                    ("when", ""),
                    ("tz", "Europe/Sofia"),
                    ("action", "draft"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let location = res.location().unwrap().to_owned();
        let id = post_id_of(&location);
        let post = app
            .store()
            .post(owlery_domain::PostId(id.parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(post.variants[0].status.code(), "draft");
        let page = app.get_page(&location, &mut jar).await;
        assert!(page.text().contains("We launch on Monday"));

        // 2 April 2030 09:00 in Sofia is 06:00 UTC (summer time since 31 March).
        let res = app
            .post_form(
                "/publish/save",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws_id),
                    ("post_id", &id),
                    ("version", "1"),
                    ("title", "Launch"),
                    ("text", "We launch on Saturday"),
                    ("channel", &sandbox),
                    ("when", "2030-04-02T09:00"),
                    ("tz", "Europe/Sofia"),
                    ("action", "schedule"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let post = app
            .store()
            .post(owlery_domain::PostId(id.parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        let v = &post.variants[0];
        assert_eq!(v.status.code(), "scheduled");
        assert_eq!(
            v.scheduled_at,
            Some(Utc.with_ymd_and_hms(2030, 4, 2, 6, 0, 0).unwrap())
        );
        assert_eq!(v.schedule_tz, "Europe/Sofia");

        // History shows both versions with the word that changed; restoring the first works.
        let history = app
            .get_page(&format!("/publish/posts/{id}/history"), &mut jar)
            .await
            .text();
        assert!(
            history.contains("<del>Monday</del>") || history.contains("<ins>Saturday</ins>"),
            "{history}"
        );
        let res = app
            .post_form(
                &format!("/publish/posts/{id}/restore"),
                &mut jar,
                &[("csrf_token", &csrf), ("version", "1")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let post = app
            .store()
            .post(owlery_domain::PostId(id.parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(post.content.text, "We launch on Monday");
        assert_eq!(post.version, 3);
    }
}

#[tokio::test]
async fn autosave_creates_then_updates_without_losing_a_concurrent_edit() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let sandbox = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
    let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
    let ws_id = ws.id.to_string();
    let fields = |post_id: &str, version: &str, text: &str| {
        vec![
            ("csrf_token".to_owned(), csrf.clone()),
            ("workspace_id".to_owned(), ws_id.clone()),
            ("post_id".to_owned(), post_id.to_owned()),
            ("version".to_owned(), version.to_owned()),
            ("text".to_owned(), text.to_owned()),
            ("channel".to_owned(), sandbox.clone()),
            ("action".to_owned(), "autosave".to_owned()),
        ]
    };
    let first = fields("", "0", "First words");
    let refs: Vec<(&str, &str)> = first
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let res = app.post_form("/publish/save", &mut jar, &refs).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let replace = res.header("hx-replace-url").unwrap().to_owned();
    let id = replace.trim_start_matches("/publish/posts/").to_owned();
    assert!(res.text().contains("value=\"1\""), "{}", res.text());

    let second = fields(&id, "1", "First words, then more");
    let refs: Vec<(&str, &str)> = second
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let res = app.post_form("/publish/save", &mut jar, &refs).await;
    assert!(res.text().contains("value=\"2\""), "{}", res.text());

    // A tab still on version 1 is told, and the saved text stays.
    let stale = fields(&id, "1", "Stale tab");
    let refs: Vec<(&str, &str)> = stale
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let res = app.post_form("/publish/save", &mut jar, &refs).await;
    assert!(res.text().contains("save-state-error"), "{}", res.text());
    let post = app
        .store()
        .post(owlery_domain::PostId(id.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(post.content.text, "First words, then more");
}

#[tokio::test]
async fn the_buttons_cannot_get_past_the_rules() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let sandbox = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
    let ws_id = ws.id.to_string();
    // A contributor may write but not publish, and no workflow covers the channel.
    let (mut jar, csrf) = signed_in(&app, "writer@example.test", Role::Contributor).await;
    let res = app
        .post_form(
            "/publish/save",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws_id),
                ("text", "Straight out"),
                ("channel", &sandbox),
                ("action", "now"),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert!(res.text().contains("ask a publisher"));
    let posts = app.store().posts(&[ws.id], None, 10).await.unwrap();
    assert_eq!(
        posts[0].variants[0].status.code(),
        "draft",
        "kept as a draft, not lost"
    );

    // Scheduling without a time, or in the past, is a form error.
    let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
    for when in ["", "2001-01-01T10:00", "not a time"] {
        let res = app
            .post_form(
                "/publish/save",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws_id),
                    ("text", "Hello"),
                    ("channel", &sandbox),
                    ("when", when),
                    ("tz", "UTC"),
                    ("action", "schedule"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{when}");
        assert!(res.text().contains("post-when-error"), "{when}");
    }
    // Without the CSRF token nothing happens.
    let res = app
        .post_form(
            "/publish/save",
            &mut jar,
            &[
                ("workspace_id", &ws_id),
                ("text", "x"),
                ("channel", &sandbox),
                ("action", "draft"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // An Analyst may not open the composer.
    let (mut jar, _) = signed_in(&app, "analyst@example.test", Role::Analyst).await;
    let res = app.get_page("/publish/new", &mut jar).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn comments_mention_and_assignment_notify_colleagues() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let sandbox = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
    let anna = app.user("anna@example.test", Role::Publisher).await;
    let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
    let res = app
        .post_form(
            "/publish/save",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws.id.to_string()),
                ("text", "Draft for review"),
                ("channel", &sandbox),
                ("action", "draft"),
            ],
        )
        .await;
    let id = post_id_of(res.location().unwrap());
    let res = app
        .post_form(
            &format!("/publish/posts/{id}/comments"),
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("body", "@anna can you check the tone?"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let page = app
        .get_page(&format!("/publish/posts/{id}"), &mut jar)
        .await
        .text();
    assert!(page.contains("can you check the tone?"), "{page}");
    let res = app
        .post_form(
            &format!("/publish/posts/{id}/assign"),
            &mut jar,
            &[("csrf_token", &csrf), ("user_id", &anna.id.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let kinds: Vec<String> = app
        .store()
        .notifications(anna.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect();
    assert!(kinds.contains(&"mention".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"assigned".to_owned()), "{kinds:?}");
    let post = app
        .store()
        .post(owlery_domain::PostId(id.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(post.assignee_id, Some(anna.id));
}

#[tokio::test]
async fn add_to_queue_takes_each_channels_next_free_slot_and_campaigns_can_be_chosen() {
    use chrono::{NaiveTime, Weekday};
    use owlery_domain::publishing::schedule::{Queue, QueueSlot};
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let queued = channel_id(&app, ws.id, Network::Sandbox, "queued").await;
    let unqueued = channel_id(&app, ws.id, Network::Sandbox, "unqueued").await;
    let every_day: Vec<QueueSlot> = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .map(|weekday| QueueSlot {
        weekday,
        time: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
    })
    .collect();
    app.store()
        .set_channel_queue(
            &Actor::cli(),
            owlery_domain::ChannelId(queued.parse().unwrap()),
            &Queue {
                time_zone: chrono_tz::Europe::Sofia,
                slots: every_day,
            },
        )
        .await
        .unwrap();
    let owner = app.user("owner@example.test", Role::Owner).await;
    let campaign = app
        .store()
        .create_campaign(
            &Actor::cli(),
            ws.id,
            owlery_store::campaigns::CampaignInput {
                name: "Autumn".into(),
                owner_id: owner.id,
                release_at: None,
                release_mode: owlery_store::campaigns::ReleaseMode::Instant,
                all_or_nothing: false,
                note: None,
            },
        )
        .await
        .unwrap();
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(&owner, &mut jar).await;
    let page = app.get_page("/publish/new", &mut jar).await.text();
    assert!(page.contains("Autumn"), "the campaign is offered");
    let res = app
        .post_form(
            "/publish/save",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws.id.to_string()),
                ("text", "Whenever there is room"),
                ("channel", &queued),
                ("channel", &unqueued),
                ("campaign_id", &campaign.id.to_string()),
                ("action", "queue"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let location = res.location().unwrap().to_owned();
    let id = post_id_of(&location);
    let post = app
        .store()
        .post(owlery_domain::PostId(id.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        post.campaign_id,
        Some(campaign.id),
        "{location} {:?}",
        post.variants
            .iter()
            .map(|v| (v.status, v.error.clone(), v.has_errors))
            .collect::<Vec<_>>()
    );
    let by_channel = |c: &str| {
        post.variants
            .iter()
            .find(|v| v.channel_id.to_string() == c)
            .unwrap()
            .clone()
    };
    let q = by_channel(&queued);
    assert_eq!(q.status.code(), "scheduled");
    let at = q
        .scheduled_at
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Sofia);
    assert_eq!(at.format("%H:%M").to_string(), "09:30");
    assert_eq!(
        by_channel(&unqueued).status.code(),
        "approved",
        "no queue: left ready"
    );
    let page = app.get_page(&location, &mut jar).await.text();
    assert!(page.contains("1 added to their channel"), "{page}");
}

#[tokio::test]
async fn link_previews_never_fetch_private_addresses() {
    let app = TestApp::sqlite().await;
    let (mut jar, _) = signed_in(&app, "owner@example.test", Role::Owner).await;
    for link in [
        "http://127.0.0.1:9/",
        "http://169.254.169.254/latest/meta-data",
        "ftp://example.com/",
    ] {
        let res = app
            .get_page(
                &format!("/publish/link-preview?link={}", urlencode(link)),
                &mut jar,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.text().contains("link-preview-error"),
            "{link}: {}",
            res.text()
        );
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_customised_channel_shows_what_differs_from_the_master() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let x = channel_id(&app, ws.id, Network::X, "brand_x").await;
    let sandbox = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
    let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
    let res = app
        .post_form(
            "/publish/save",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws.id.to_string()),
                ("text", "The long master text for every channel"),
                ("channel", &x),
                ("channel", &sandbox),
                (&format!("custom_{x}"), "on"),
                (&format!("text_{x}"), "Short for X"),
                (&format!("link_{x}"), ""),
                ("action", "draft"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let page = app.get_page(res.location().unwrap(), &mut jar).await.text();
    assert_eq!(
        page.matches("class=\"variant-diff\"").count(),
        1,
        "only X differs"
    );
    assert!(page.contains("Own version: text"), "{page}");
    assert!(page.contains("Short for X"));
}

#[tokio::test]
async fn queues_are_set_per_channel_and_refuse_what_is_not_a_time() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let ch = channel_id(&app, ws.id, Network::Linkedin, "brand_li").await;
    let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
    let page = app.get_page("/publish/queues", &mut jar).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("brand_li"));
    let res = app
        .post_form(
            &format!("/publish/queues/{ch}"),
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("mon", "13:00, 09:30"),
                ("wed", "9.30"),
                ("tz", "Europe/Sofia"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text().contains("“9.30” is not a time"),
        "{}",
        res.text()
    );
    let id = owlery_domain::ChannelId(ch.parse().unwrap());
    assert_eq!(
        app.store().channel_queue(id).await.unwrap(),
        None,
        "nothing half-saved"
    );
    let res = app
        .post_form(
            &format!("/publish/queues/{ch}"),
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("mon", "13:00, 09:30"),
                ("fri", "16:00"),
                ("tz", "Europe/Sofia"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let q = app.store().channel_queue(id).await.unwrap().unwrap();
    assert_eq!(q.time_zone, chrono_tz::Europe::Sofia);
    assert_eq!(q.slots.len(), 3);
    let page = app.get_page("/publish/queues", &mut jar).await.text();
    assert!(page.contains("value=\"09:30, 13:00\""), "{page}");
    // A contributor may not set queues.
    let (mut jar, csrf) = signed_in(&app, "writer@example.test", Role::Contributor).await;
    let res = app
        .post_form(
            &format!("/publish/queues/{ch}"),
            &mut jar,
            &[("csrf_token", &csrf), ("mon", "10:00"), ("tz", "UTC")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_channels_links_get_its_utm_tags() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let li = channel_id(&app, ws.id, Network::Linkedin, "brand_li").await;
    let (mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
    let res = app
        .post_form(
            "/publish/save",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws.id.to_string()),
                ("text", "Read it: https://example.com/report?utm_source=old"),
                ("channel", &li),
                (&format!("custom_{li}"), "on"),
                (
                    &format!("text_{li}"),
                    "Read it: https://example.com/report?utm_source=old",
                ),
                (&format!("utm_source_{li}"), "linkedin"),
                (&format!("utm_medium_{li}"), "social"),
                (&format!("utm_campaign_{li}"), "report-2026"),
                ("action", "draft"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let id = post_id_of(res.location().unwrap());
    let post = app
        .store()
        .post(owlery_domain::PostId(id.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    let text = post.variants[0].overrides.apply(&post.content).text;
    assert!(text.contains("utm_source=linkedin"), "{text}");
    assert!(text.contains("utm_campaign=report-2026"), "{text}");
    assert!(!text.contains("utm_source=old"), "{text}");
}
