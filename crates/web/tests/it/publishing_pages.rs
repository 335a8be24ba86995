//! The publishing pages over HTTP, on every backend: the calendar (time zones, filters, moving
//! through the approval gate), approvals, the external review link, the iCalendar feed,
//! notifications, and that each of them refuses a person without the permission.

use chrono::{DateTime, Duration, TimeZone, Utc};
use owlery_domain::{
    Grant, Role, Scope, UserId, VariantId,
    audit::Actor,
    post::{Content, Overrides, VariantStatus},
    publishing::approval::{Approvers, Step, Workflow},
    user::DisplayName,
};
use owlery_store::{
    org::{Channel, Workspace},
    posts::{NewPost, Post, Validation, VariantInput},
};

use crate::support::{CookieJar, TestApp, TestUser};
use axum::http::StatusCode;

/// 15 July 2030, 14:00 UTC: 10:00 in New York, 17:00 in Sofia.
fn july() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 7, 15, 14, 0, 0).unwrap()
}

fn variant(channel: &Channel) -> VariantInput {
    VariantInput {
        channel_id: channel.id,
        placement: "post".into(),
        overrides: Overrides::default(),
        validation: Validation {
            findings: serde_json::json!([]),
            has_errors: false,
            spec_version: "test".into(),
        },
    }
}

async fn post(
    app: &TestApp,
    author: &TestUser,
    ws: &Workspace,
    channel: &Channel,
    title: &str,
    at: DateTime<Utc>,
) -> Post {
    app.store()
        .create_post(
            &Actor::cli(),
            author.id,
            NewPost {
                workspace_id: ws.id,
                title: title.into(),
                content: Content {
                    text: format!("{title}: the text of the post"),
                    ..Content::default()
                },
                variants: vec![variant(channel)],
                campaign_id: None,
                scheduled_at: Some(at),
                schedule_tz: "Europe/Sofia".into(),
            },
        )
        .await
        .unwrap()
}

async fn submit(app: &TestApp, p: &Post) -> VariantStatus {
    let out = app.store().submit_post(&Actor::cli(), p.id).await.unwrap();
    out[0].status
}

async fn status_of(app: &TestApp, id: VariantId) -> (VariantStatus, Option<DateTime<Utc>>) {
    let p = app.store().post_of_variant(id).await.unwrap().unwrap();
    let v = p.variant(id).unwrap();
    (v.status, v.scheduled_at)
}

fn step(name: &str, approvers: Approvers) -> Step {
    Step {
        name: name.into(),
        approvers,
        required: 1,
        backup: None,
        deadline_hours: None,
    }
}

async fn workflow(app: &TestApp, ws: &Workspace, approvers: Approvers) {
    app.store()
        .set_workflow(
            &Actor::cli(),
            ws.id,
            None,
            "Review",
            &Workflow {
                steps: vec![step("Editor", approvers)],
            },
        )
        .await
        .unwrap();
}

async fn set_time_zone(app: &TestApp, user: &TestUser, tz: &str) {
    app.store()
        .update_profile(
            &Actor::cli(),
            user.id,
            &DisplayName::parse("name", "Pat Publisher").unwrap(),
            "en",
            tz,
        )
        .await
        .unwrap();
}

async fn signed_in(app: &TestApp, user: &TestUser) -> (CookieJar, String) {
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(user, &mut jar).await;
    (jar, csrf)
}

#[tokio::test]
async fn calendar_shows_entries_in_the_viewers_time_zone_with_filters() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand EU").await;
        let ch = app.channel(&ws, "owlery_news").await;
        let other_ws = app.workspace("Brand US").await;
        let other = app.channel(&other_ws, "owlery_us").await;
        let publisher = app.user("pat@example.test", Role::Publisher).await;
        let p = post(&app, &publisher, &ws, &ch, "Summer sale", july()).await;
        assert_eq!(submit(&app, &p).await, VariantStatus::Scheduled);
        post(&app, &publisher, &other_ws, &other, "US launch", july()).await;
        let vid = p.variants[0].id.to_string();

        set_time_zone(&app, &publisher, "America/New_York").await;
        let (mut jar, _) = signed_in(&app, &publisher).await;
        let res = app
            .get_page("/calendar?view=month&date=2030-07-01", &mut jar)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", app.backend());
        let html = res.text();
        assert!(html.contains(&format!("data-variant=\"{vid}\"")));
        assert!(html.contains(">10:00</time>"), "New York time");
        assert!(html.contains("owlery_news"));
        assert!(html.contains("US launch"), "drafts with a time show too");
        assert!(html.contains(&format!("href=\"/posts/{}\"", p.id)));
        assert!(html.contains("America/New_York"));

        set_time_zone(&app, &publisher, "Europe/Sofia").await;
        let html = app
            .get_page("/calendar?view=week&date=2030-07-15", &mut jar)
            .await
            .text();
        assert!(html.contains(">17:00</time>"), "Sofia time");

        // Filters.
        for (query, shown) in [
            (format!("workspace={}", ws.id), true),
            (format!("workspace={}", other_ws.id), false),
            (format!("channel={}", ch.id), true),
            (format!("channel={}", other.id), false),
            ("network=sandbox".into(), true),
            ("network=x".into(), false),
            ("status=scheduled".into(), true),
            ("status=published".into(), false),
            (format!("author={}", publisher.id), true),
            (format!("author={}", UserId::new()), false),
            ("status=junk&channel=nope".into(), true),
        ] {
            let html = app
                .get_page(
                    &format!("/calendar?view=list&date=2030-07-01&{query}"),
                    &mut jar,
                )
                .await
                .text();
            assert_eq!(
                html.contains(&format!("data-variant=\"{vid}\"")),
                shown,
                "{query}"
            );
        }
        let html = app
            .get_page("/calendar?view=month&date=2030-09-01", &mut jar)
            .await
            .text();
        assert!(html.contains("Nothing is scheduled or published in this period."));

        // Only workspaces the viewer may see.
        let local = app
            .user_with_grants(
                "local@example.test",
                &[Grant {
                    role: Role::Publisher,
                    scope: Scope::Workspace(other_ws.id),
                }],
            )
            .await;
        let (mut jar, _) = signed_in(&app, &local).await;
        let html = app
            .get_page("/calendar?view=list&date=2030-07-01", &mut jar)
            .await
            .text();
        assert!(!html.contains(&vid));
        assert!(html.contains("US launch"));
    }
}

#[tokio::test]
async fn moving_keeps_the_time_of_day_and_the_gate_refuses_an_unapproved_variant() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand EU").await;
        let ch = app.channel(&ws, "owlery_news").await;
        let publisher = app.user("pat@example.test", Role::Publisher).await;
        let p = post(&app, &publisher, &ws, &ch, "Summer sale", july()).await;
        submit(&app, &p).await;
        let id = p.variants[0].id;
        let path = format!("/calendar/variants/{id}/move");
        let (mut jar, csrf) = signed_in(&app, &publisher).await;
        let back = "/calendar?view=month&date=2030-07-01";

        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("date", "2030-07-18"),
                    ("return", back),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", app.backend());
        let to = res.location().unwrap().to_owned();
        assert!(
            to.starts_with("/calendar?view=month&date=2030-07-01"),
            "{to}"
        );
        assert!(to.contains("notice=moved"), "{to}");
        assert_eq!(
            status_of(&app, id).await,
            (
                VariantStatus::Scheduled,
                Some(Utc.with_ymd_and_hms(2030, 7, 18, 14, 0, 0).unwrap())
            )
        );
        let html = app.get_page(&to, &mut jar).await.text();
        assert!(html.contains("The post was moved"));

        // A time in the viewer's zone (UTC here).
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("date", "2030-07-20"),
                    ("time", "08:15"),
                    ("return", back),
                ],
            )
            .await;
        assert!(res.location().unwrap().contains("notice=moved"));
        assert_eq!(
            status_of(&app, id).await.1,
            Some(Utc.with_ymd_and_hms(2030, 7, 20, 8, 15, 0).unwrap())
        );

        // Junk is answered, not a 500; never a redirect off the site.
        for fields in [
            vec![("date", "someday")],
            vec![("date", "2030-07-21"), ("time", "25:99")],
            vec![("date", "2030-07-21"), ("return", "https://evil.example/")],
        ] {
            let mut f = vec![("csrf_token", csrf.as_str())];
            f.extend(fields);
            let res = app.post_form(&path, &mut jar, &f).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER);
            assert!(res.location().unwrap().starts_with("/calendar"));
        }

        // A workflow added after scheduling holds it back: the move is refused by the gate.
        workflow(
            &app,
            &ws,
            Approvers::Role {
                role: Role::Approver,
            },
        )
        .await;
        let before = status_of(&app, id).await;
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("date", "2030-07-25"),
                    ("return", back),
                ],
            )
            .await;
        let to = res.location().unwrap().to_owned();
        assert!(to.contains("error=approval_required"), "{to}");
        assert_eq!(status_of(&app, id).await, before);
        let html = app.get_page(&to, &mut jar).await.text();
        assert!(html.contains("needs its approvals"));

        // Without the CSRF token: refused.
        let res = app
            .post_form(&path, &mut jar, &[("date", "2030-07-25")])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        // A contributor may not reschedule a scheduled post; an unknown variant is a 404.
        let contributor = app.user("cora@example.test", Role::Contributor).await;
        let (mut cjar, ccsrf) = signed_in(&app, &contributor).await;
        let res = app
            .post_form(
                &path,
                &mut cjar,
                &[("csrf_token", &ccsrf), ("date", "2030-07-25")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = app
            .post_form(
                &format!("/calendar/variants/{}/move", VariantId::new()),
                &mut jar,
                &[("csrf_token", &csrf), ("date", "2030-07-25")],
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn approvals_approve_reject_and_segregation_of_duties() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand EU").await;
        let ch = app.channel(&ws, "owlery_news").await;
        workflow(
            &app,
            &ws,
            Approvers::Role {
                role: Role::Approver,
            },
        )
        .await;
        let author = app.user("pat@example.test", Role::Publisher).await;
        let approver = app.user("ana@example.test", Role::Approver).await;
        let a = post(&app, &author, &ws, &ch, "Summer sale", july()).await;
        let b = post(&app, &author, &ws, &ch, "Winter sale", july()).await;
        assert_eq!(submit(&app, &a).await, VariantStatus::InReview);
        submit(&app, &b).await;
        let reviews = app.store().reviews_of_post(a.id).await.unwrap();
        let ra = reviews[0].id;
        let rb = app.store().reviews_of_post(b.id).await.unwrap()[0].id;

        let (mut jar, csrf) = signed_in(&app, &approver).await;
        let res = app.get_page("/approvals", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK, "{}", app.backend());
        let html = res.text();
        assert!(html.contains("Summer sale") && html.contains("Winter sale"));
        assert!(html.contains(&format!("action=\"/approvals/{ra}/decide\"")));
        assert!(html.contains("Summer sale: the text of the post"));
        assert!(html.contains("0 of 1 approvals"));

        // Reject needs a reason.
        let path = format!("/approvals/{ra}/decide");
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[("csrf_token", &csrf), ("verdict", "reject")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text()
                .contains("Say why, so the author knows what to change.")
        );
        assert_eq!(
            status_of(&app, a.variants[0].id).await.0,
            VariantStatus::InReview
        );
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("verdict", "reject"),
                    ("reason", "Wrong prices"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), Some("/approvals?decided=reject"));
        assert_eq!(
            status_of(&app, a.variants[0].id).await.0,
            VariantStatus::Rejected
        );

        // Approve: the variant is scheduled at its time.
        let res = app
            .post_form(
                &format!("/approvals/{rb}/decide"),
                &mut jar,
                &[("csrf_token", &csrf), ("verdict", "approve")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            status_of(&app, b.variants[0].id).await.0,
            VariantStatus::Scheduled
        );
        let html = app
            .get_page("/approvals?decided=approve", &mut jar)
            .await
            .text();
        assert!(html.contains("Approved. The author has been told."));
        assert!(html.contains("Nothing is waiting for you."));

        // The author learns of it.
        let (mut ajar, acsrf) = signed_in(&app, &author).await;
        let badge = app.get_page("/notifications/badge", &mut ajar).await.text();
        assert!(badge.contains(">2<"), "{badge}");
        let html = app.get_page("/notifications", &mut ajar).await.text();
        assert!(html.contains("“Summer sale” was rejected."));
        assert!(html.contains("Wrong prices"));
        assert!(html.contains("“Winter sale” was approved."));
        let res = app
            .post_form("/notifications/read", &mut ajar, &[("csrf_token", &acsrf)])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let badge = app.get_page("/notifications/badge", &mut ajar).await.text();
        assert!(badge.contains("hidden"), "{badge}");

        // Segregation of duties: an approver who wrote the post cannot decide it.
        let both = app
            .user_with_grants(
                "both@example.test",
                &[
                    Grant {
                        role: Role::Approver,
                        scope: Scope::Organisation,
                    },
                    Grant {
                        role: Role::Publisher,
                        scope: Scope::Organisation,
                    },
                ],
            )
            .await;
        let own = post(&app, &both, &ws, &ch, "My own post", july()).await;
        submit(&app, &own).await;
        let rown = app.store().reviews_of_post(own.id).await.unwrap()[0].id;
        let (mut bjar, bcsrf) = signed_in(&app, &both).await;
        let html = app.get_page("/approvals", &mut bjar).await.text();
        assert!(html.contains("You wrote this post, so someone else must review it."));
        assert!(!html.contains(&format!("action=\"/approvals/{rown}/decide\"")));
        let res = app
            .post_form(
                &format!("/approvals/{rown}/decide"),
                &mut bjar,
                &[("csrf_token", &bcsrf), ("verdict", "approve")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("someone else must review it"));
        assert_eq!(
            status_of(&app, own.variants[0].id).await.0,
            VariantStatus::InReview
        );

        // Unknown review and junk verdicts.
        let res = app
            .post_form(
                &format!("/approvals/{}/decide", uuid::Uuid::now_v7()),
                &mut jar,
                &[("csrf_token", &csrf), ("verdict", "approve")],
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let res = app
            .post_form(
                &format!("/approvals/{rown}/decide"),
                &mut jar,
                &[("csrf_token", &csrf), ("verdict", "maybe")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn external_review_link_valid_used_expired_and_invalid() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand EU").await;
        let ch = app.channel(&ws, "owlery_news").await;
        workflow(&app, &ws, Approvers::External).await;
        let author = app.user("pat@example.test", Role::Publisher).await;
        let a = post(&app, &author, &ws, &ch, "Client post", july()).await;
        let b = post(&app, &author, &ws, &ch, "Second client post", july()).await;
        submit(&app, &a).await;
        submit(&app, &b).await;
        let ra = app.store().reviews_of_post(a.id).await.unwrap()[0].id;
        let rb = app.store().reviews_of_post(b.id).await.unwrap()[0].id;
        let cli = Actor::cli();
        let link = |review| {
            app.store().create_review_link(
                &cli,
                author.id,
                review,
                0,
                "Client Legal",
                Duration::days(3),
            )
        };
        let secret = link(ra).await.unwrap();
        let path = format!("/review/{secret}");

        let mut jar = CookieJar::default();
        let res = app.get_page(&path, &mut jar).await;
        assert_eq!(res.status, StatusCode::OK, "{}", app.backend());
        let html = res.text();
        assert!(html.contains("Client post: the text of the post"));
        assert!(html.contains("Client Legal"));
        let csrf = jar.get("owlery_csrf").unwrap().to_owned();

        // Without the double-submit token: refused.
        let res = app
            .post_form(&path, &mut jar, &[("verdict", "approve"), ("name", "Lee")])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        // Request changes needs a reason; a name is required.
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("verdict", "request_changes"),
                    ("name", "Lee"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("Say why"));
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[("csrf_token", &csrf), ("verdict", "approve")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Reject is not offered to outside reviewers.
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("verdict", "reject"),
                    ("name", "Lee"),
                    ("reason", "no"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("verdict", "approve"),
                    ("name", "Lee Jones"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.text().contains("Your approval has been recorded"));
        assert_eq!(
            status_of(&app, a.variants[0].id).await.0,
            VariantStatus::Scheduled
        );

        // Used: gone.
        assert_eq!(app.get_page(&path, &mut jar).await.status, StatusCode::GONE);
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("verdict", "approve"),
                    ("name", "Lee"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::GONE);
        // Invalid: not found, whatever its shape.
        for bad in ["nope", "%00%ff", &"x".repeat(500)] {
            let res = app.get_page(&format!("/review/{bad}"), &mut jar).await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{bad}");
        }
        // Expired.
        let late = link(rb).await.unwrap();
        app.clock.advance(Duration::days(4));
        let res = app.get_page(&format!("/review/{late}"), &mut jar).await;
        assert_eq!(res.status, StatusCode::GONE);
        assert!(res.text().contains("expired"));
    }
}

#[tokio::test]
async fn calendar_feed_valid_then_revoked() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand EU").await;
        let ch = app.channel(&ws, "owlery_news").await;
        let publisher = app.user("pat@example.test", Role::Publisher).await;
        let now = app.store().now();
        let p = post(
            &app,
            &publisher,
            &ws,
            &ch,
            "Feed post",
            now + Duration::days(2),
        )
        .await;
        submit(&app, &p).await;
        let (mut jar, csrf) = signed_in(&app, &publisher).await;
        let html = app
            .get_page("/account/calendar-feed", &mut jar)
            .await
            .text();
        assert!(html.contains("You have no feed address yet."));
        let res = app
            .post_form("/account/calendar-feed", &mut jar, &[("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", app.backend());
        let html = res.text();
        let start = html.find("/calendar/feed/").unwrap();
        let end = start + html[start..].find(".ics").unwrap() + 4;
        let feed = html[start..end].to_owned();

        let mut anon = CookieJar::default();
        let res = app.get_page(&feed, &mut anon).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.header("content-type")
                .unwrap()
                .starts_with("text/calendar")
        );
        let ics = res.text();
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains(&format!("UID:{}@", p.variants[0].id)));
        assert!(ics.contains("STATUS:CONFIRMED"));

        // Replacing makes the old address stop working; revoking stops the new one.
        let res = app
            .post_form("/account/calendar-feed", &mut jar, &[("csrf_token", &csrf)])
            .await;
        let html = res.text();
        let start = html.find("/calendar/feed/").unwrap();
        let end = start + html[start..].find(".ics").unwrap() + 4;
        let second = html[start..end].to_owned();
        assert_eq!(
            app.get_page(&feed, &mut anon).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get_page(&second, &mut anon).await.status,
            StatusCode::OK
        );
        let res = app
            .post_form(
                "/account/calendar-feed/revoke",
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.text().contains("You have no feed address yet."));
        assert_eq!(
            app.get_page(&second, &mut anon).await.status,
            StatusCode::NOT_FOUND
        );
        for bad in [
            "/calendar/feed/nope.ics",
            "/calendar/feed/.ics",
            "/calendar/feed/abc",
        ] {
            assert_eq!(
                app.get_page(bad, &mut anon).await.status,
                StatusCode::NOT_FOUND
            );
        }
    }
}

#[tokio::test]
async fn every_publishing_page_refuses_a_person_without_permission() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand EU").await;
    let ch = app.channel(&ws, "owlery_news").await;
    workflow(
        &app,
        &ws,
        Approvers::Role {
            role: Role::Approver,
        },
    )
    .await;
    let author = app.user("pat@example.test", Role::Publisher).await;
    let p = post(&app, &author, &ws, &ch, "Summer sale", july()).await;
    submit(&app, &p).await;
    let review = app.store().reviews_of_post(p.id).await.unwrap()[0].id;
    let vid = p.variants[0].id;
    for role in [Role::CommunityAgent, Role::Analyst, Role::Auditor] {
        let user = app
            .user(&format!("{}@example.test", role.code()), role)
            .await;
        let (mut jar, csrf) = signed_in(&app, &user).await;
        for path in ["/calendar", "/approvals", "/account/calendar-feed"] {
            let res = app.get_page(path, &mut jar).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{role:?} GET {path}");
        }
        for path in [
            format!("/calendar/variants/{vid}/move"),
            format!("/approvals/{review}/decide"),
            "/account/calendar-feed".to_owned(),
            "/account/calendar-feed/revoke".to_owned(),
        ] {
            let res = app
                .post_form(
                    &path,
                    &mut jar,
                    &[
                        ("csrf_token", &csrf),
                        ("date", "2030-07-20"),
                        ("verdict", "approve"),
                    ],
                )
                .await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{role:?} POST {path}");
        }
        // Everyone signed in has notifications.
        assert_eq!(
            app.get_page("/notifications", &mut jar).await.status,
            StatusCode::OK
        );
        // The navigation offers neither.
        let html = app.get_page("/notifications", &mut jar).await.text();
        assert!(!html.contains("href=\"/calendar\""));
        assert!(!html.contains("href=\"/approvals\""));
    }
    // Every role, organisation-wide: the calendar and the feed for anyone who drafts, publishes or
    // approves posts; approvals for approvers; notifications for everyone.
    use owlery_domain::Permission as P;
    for role in Role::ALL {
        let user = app
            .user(&format!("matrix-{}@example.test", role.code()), role)
            .await;
        let (mut jar, _) = signed_in(&app, &user).await;
        let posts = [P::PostsDraft, P::PostsPublish, P::PostsApprove]
            .iter()
            .any(|p| role.has(*p));
        for (path, allowed) in [
            ("/calendar", posts),
            ("/calendar?view=week", posts),
            ("/calendar?view=list", posts),
            ("/account/calendar-feed", posts),
            ("/approvals", role.has(P::PostsApprove)),
            ("/notifications", true),
            ("/notifications/badge", true),
        ] {
            let status = app.get_page(path, &mut jar).await.status;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{role:?} GET {path}");
        }
    }
    // A publisher sees the calendar but not approvals; a workspace-scoped approver elsewhere
    // cannot decide this workspace's review.
    let (mut jar, _) = signed_in(&app, &author).await;
    assert_eq!(
        app.get_page("/calendar", &mut jar).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get_page("/approvals", &mut jar).await.status,
        StatusCode::FORBIDDEN
    );
    let elsewhere = app.workspace("Elsewhere").await;
    let remote = app
        .user_with_grants(
            "remote@example.test",
            &[Grant {
                role: Role::Approver,
                scope: Scope::Workspace(elsewhere.id),
            }],
        )
        .await;
    let (mut jar, csrf) = signed_in(&app, &remote).await;
    let html = app.get_page("/approvals", &mut jar).await.text();
    assert!(!html.contains("Summer sale"));
    let res = app
        .post_form(
            &format!("/approvals/{review}/decide"),
            &mut jar,
            &[("csrf_token", &csrf), ("verdict", "approve")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Signed out: to sign-in, never the page.
    let mut anon = CookieJar::default();
    for path in [
        "/calendar",
        "/approvals",
        "/notifications",
        "/account/calendar-feed",
    ] {
        let res = app.get_page(path, &mut anon).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}");
        assert!(res.location().unwrap().starts_with("/signin"));
    }
}
