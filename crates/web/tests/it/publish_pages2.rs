//! Publish → Campaigns and Publish → Import over HTTP: creating and editing a campaign through its
//! forms, member offsets, the permission refusal, the CSV check (row errors, nothing created), the
//! all-or-nothing import and the export download.

use axum::http::StatusCode;
use owlery_domain::{
    CampaignId, Role,
    audit::Actor,
    post::{Content, Overrides},
};
use owlery_store::{
    campaigns::ReleaseMode,
    org::{Channel, Workspace},
    posts::{NewPost, Post, Validation, VariantInput},
};

use crate::support::{CookieJar, TestApp, TestUser};

async fn signed_in(app: &TestApp, email: &str, role: Role) -> (TestUser, CookieJar, String) {
    let user = app.user(email, role).await;
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(&user, &mut jar).await;
    (user, jar, csrf)
}

async fn draft_post(app: &TestApp, author: &TestUser, ws: &Workspace, ch: &Channel) -> Post {
    app.store()
        .create_post(
            &Actor::cli(),
            author.id,
            NewPost {
                workspace_id: ws.id,
                title: "Launch teaser".into(),
                content: Content {
                    text: "Coming soon".into(),
                    ..Content::default()
                },
                variants: vec![VariantInput {
                    channel_id: ch.id,
                    placement: "post".into(),
                    overrides: Overrides::default(),
                    validation: Validation {
                        findings: serde_json::json!([]),
                        has_errors: false,
                        spec_version: "test".into(),
                    },
                }],
                campaign_id: None,
                scheduled_at: None,
                schedule_tz: "UTC".into(),
            },
        )
        .await
        .unwrap()
}

fn campaign_id_of(location: &str) -> CampaignId {
    let raw = location
        .trim_start_matches("/publish/campaigns/")
        .split('?')
        .next()
        .unwrap();
    CampaignId::parse(raw).unwrap()
}

#[tokio::test]
async fn create_and_edit_a_campaign_then_stagger_its_members() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let ch = app.channel(&ws, "brand").await;
        let (user, mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;

        let page = app.get_page("/publish/campaigns", &mut jar).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("aria-current=\"page\""));

        // A missing name is a form error, and nothing is created.
        let res = app
            .post_form(
                "/publish/campaigns",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws.id.to_string()),
                    ("name", ""),
                    ("when", "2030-07-15T17:00"),
                    ("tz", "Europe/Sofia"),
                    ("release_mode", "instant"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(app.store().campaigns(ws.id).await.unwrap().is_empty());

        let res = app
            .post_form(
                "/publish/campaigns",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws.id.to_string()),
                    ("name", "Summer launch"),
                    ("when", "2030-07-15T17:00"),
                    ("tz", "Europe/Sofia"),
                    ("release_mode", "instant"),
                    ("note", "Big day"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let id = campaign_id_of(res.location().unwrap());
        let c = app.store().campaign(id).await.unwrap().unwrap();
        assert_eq!(c.name, "Summer launch");
        // 17:00 in Sofia (summer, +03:00) is 14:00 UTC.
        assert_eq!(
            c.release_at.unwrap().to_rfc3339(),
            "2030-07-15T14:00:00+00:00"
        );
        assert_eq!(c.release_mode, ReleaseMode::Instant);
        assert!(!c.all_or_nothing);

        let list = app.get_page("/publish/campaigns", &mut jar).await.text();
        assert!(list.contains("Summer launch"), "{list}");

        // Edit: staggered, all or nothing.
        let path = format!("/publish/campaigns/{id}");
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("name", "Summer launch 2030"),
                    ("when", "2030-07-15T18:00"),
                    ("tz", "Europe/Sofia"),
                    ("release_mode", "staggered"),
                    ("all_or_nothing", "1"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let c = app.store().campaign(id).await.unwrap().unwrap();
        assert_eq!(c.name, "Summer launch 2030");
        assert_eq!(c.release_mode, ReleaseMode::Staggered);
        assert!(c.all_or_nothing);
        assert_eq!(c.note, None);

        // A member joins (as from the composer), its offset is set on the page.
        let post = draft_post(&app, &user, &ws, &ch).await;
        app.store()
            .add_to_campaign(&Actor::cli(), id, post.id, &[])
            .await
            .unwrap();
        let html = app.get_page(&path, &mut jar).await.text();
        assert!(html.contains("Launch teaser"), "{html}");
        assert!(html.contains(&format!("/publish/posts/{}", post.id)));
        assert!(html.contains("Not approved"), "{html}");
        let variant = post.variants[0].id;
        let field = format!("offset_{variant}");
        let res = app
            .post_form(
                &format!("{path}/offsets"),
                &mut jar,
                &[("csrf_token", &csrf), (&field, "45")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let st = app.store().campaign_state(id).await.unwrap().unwrap();
        assert_eq!(st.members[0].offset_minutes, 45);

        // Not a number: a form error, nothing changes.
        let res = app
            .post_form(
                &format!("{path}/offsets"),
                &mut jar,
                &[("csrf_token", &csrf), (&field, "soon")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Without the CSRF token, refused.
        let res = app
            .post_form(
                &format!("{path}/remove"),
                &mut jar,
                &[("post_id", &post.id.to_string())],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = app
            .post_form(
                &format!("{path}/remove"),
                &mut jar,
                &[("csrf_token", &csrf), ("post_id", &post.id.to_string())],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let st = app.store().campaign_state(id).await.unwrap().unwrap();
        assert!(st.members.is_empty());
    }
}

#[tokio::test]
async fn a_role_without_posts_draft_is_refused() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let (_, mut jar, csrf) = signed_in(&app, "analyst@example.test", Role::Analyst).await;
    for path in ["/publish/campaigns", "/publish/import"] {
        let res = app.get_page(path, &mut jar).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    let res = app
        .post_form(
            "/publish/campaigns",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws.id.to_string()),
                ("name", "Sneaky"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .get_page(
            &format!("/publish/export.csv?workspace_id={}", ws.id),
            &mut jar,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(app.store().campaigns(ws.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn csv_check_reports_rows_then_a_clean_import_creates_posts_and_export_downloads() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        app.channel(&ws, "brand").await;
        let (_, mut jar, csrf) = signed_in(&app, "owner@example.test", Role::Owner).await;
        let ws_id = ws.id.to_string();

        let page = app.get_page("/publish/import", &mut jar).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("first_comment"));

        // One good row and one with an unknown channel: a report, nothing created, even when
        // asked to import.
        let bad = "channels,text\nbrand,Hello\nnobody,Hi there\n";
        for action in ["check", "import"] {
            let res = app
                .post_form(
                    "/publish/import",
                    &mut jar,
                    &[
                        ("csrf_token", &csrf),
                        ("workspace_id", &ws_id),
                        ("csv", bad),
                        ("action", action),
                    ],
                )
                .await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
            let html = res.text();
            assert!(html.contains("import-problem"), "{html}");
            assert!(html.contains("<code>channels</code>"), "{html}");
            assert!(
                !html.contains("value=\"import\""),
                "no import button after a failed check"
            );
        }
        assert!(
            app.store()
                .posts(&[ws.id], None, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // A file that cannot be read as a whole: a form error.
        let res = app
            .post_form(
                "/publish/import",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws_id),
                    ("csv", "colour\nred\n"),
                    ("action", "check"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        // A clean check offers the import; the import creates both posts.
        let good = "channels,text\nbrand,Hello\n@brand,Second post\n";
        let res = app
            .post_form(
                "/publish/import",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws_id),
                    ("csv", good),
                    ("action", "check"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert!(res.text().contains("value=\"import\""));
        assert!(
            app.store()
                .posts(&[ws.id], None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let res = app
            .post_form(
                "/publish/import",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &ws_id),
                    ("csv", good),
                    ("action", "import"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let posts = app.store().posts(&[ws.id], None, 10).await.unwrap();
        assert_eq!(posts.len(), 2);

        // Without the CSRF token, refused.
        let res = app
            .post_form(
                "/publish/import",
                &mut jar,
                &[
                    ("workspace_id", &ws_id),
                    ("csv", good),
                    ("action", "import"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.store().posts(&[ws.id], None, 10).await.unwrap().len(),
            2
        );

        let res = app
            .get_page(
                &format!("/publish/export.csv?workspace_id={ws_id}&from=&to="),
                &mut jar,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.header("content-type").unwrap().starts_with("text/csv"));
        assert!(
            res.header("content-disposition")
                .unwrap()
                .contains("attachment")
        );
        let body = res.text();
        assert!(body.contains("Second post"), "{body}");
        // A date range with nothing scheduled in it: only the header.
        let res = app
            .get_page(
                &format!("/publish/export.csv?workspace_id={ws_id}&from=2030-01-01&to=2030-01-31"),
                &mut jar,
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(!res.text().contains("Second post"));
    }
}

#[tokio::test]
async fn a_channel_contributor_imports_only_into_its_channel_and_has_no_campaigns() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let mine = app.channel(&ws, "mine").await;
    app.channel(&ws, "theirs").await;
    let user = app
        .user_with_grants(
            "writer@example.test",
            &[owlery_domain::Grant {
                role: Role::Contributor,
                scope: owlery_domain::Scope::Channel(mine.id),
            }],
        )
        .await;
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(&user, &mut jar).await;
    let ws_id = ws.id.to_string();

    // Campaigns need posts:draft on the workspace.
    let res = app.get_page("/publish/campaigns", &mut jar).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let page = app.get_page("/publish/import", &mut jar).await;
    assert_eq!(page.status, StatusCode::OK);
    let res = app
        .post_form(
            "/publish/import",
            &mut jar,
            &[
                ("csrf_token", &csrf),
                ("workspace_id", &ws_id),
                ("csv", "channels,text\nmine,Hello\ntheirs,Not mine\n"),
                ("action", "import"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.store()
            .posts(&[ws.id], None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}
