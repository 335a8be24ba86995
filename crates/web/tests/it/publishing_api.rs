//! The publishing API beyond posts: campaigns, queues, comments and assignment, the calendar, CSV
//! import and export, link previews and UTM tagging.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use chrono::{Duration, Utc};
use owlery_domain::{
    Grant, Role, Scope,
    audit::Actor,
    org::Network,
    publishing::approval::{Approvers, Step, Workflow},
};
use serde_json::{Value, json};

use crate::support::{API, TestApp, channel_id};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_owned())
        .collect()
}

async fn draft_post(
    app: &TestApp,
    token: &str,
    ws: impl serde::Serialize,
    channels: &[&str],
) -> Value {
    let (status, post) = app
        .post_json(
            "/posts",
            token,
            json!({"workspace_id": ws, "text": "Hello", "channel_ids": channels, "draft": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    post
}

#[tokio::test]
async fn campaigns_are_created_changed_and_joined_with_offsets() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let a = channel_id(&app, ws.id, Network::Sandbox, "brand_a").await;
        let b = channel_id(&app, ws.id, Network::Sandbox, "brand_b").await;
        let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let release = (Utc::now() + Duration::days(3)).to_rfc3339();
        let (status, c) = app
            .post_json(
                "/campaigns",
                &token,
                json!({"workspace_id": ws.id, "name": "Autumn launch", "release_at": release, "release_mode": "staggered", "all_or_nothing": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(
            (c["status"].as_str(), c["release_mode"].as_str()),
            (Some("planned"), Some("staggered"))
        );
        let cid = c["id"].as_str().unwrap().to_owned();
        let (_, list) = app
            .get(&format!("/campaigns?workspace_id={}", ws.id), &token)
            .await;
        assert_eq!(ids(&list, "id"), std::slice::from_ref(&cid));

        let post = draft_post(&app, &token, ws.id, &[&a, &b]).await;
        let pid = post["id"].as_str().unwrap();
        let v0 = post["variants"][0]["id"].as_str().unwrap();
        let (status, detail) = put(
            &app,
            &format!("/campaigns/{cid}/posts/{pid}"),
            &token,
            json!({"offsets": [{"variant_id": v0, "offset_minutes": 45}]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let members = detail["members"].as_array().unwrap();
        assert_eq!(members.len(), 2);
        let offset_of = |d: &Value, v: &str| {
            d["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["variant_id"] == v)
                .unwrap()["offset_minutes"]
                .clone()
        };
        assert_eq!(offset_of(&detail, v0), 45);
        // Drafts are not approved: they would block an all-or-nothing release.
        assert_eq!(members[0]["blocker"], "not_approved", "{detail}");
        let (_, got) = app.get(&format!("/posts/{pid}"), &token).await;
        assert_eq!(got["campaign_id"], json!(cid));

        // Offsets out of range, and offsets for a variant of another post, are refused.
        let (status, body) = put(
            &app,
            &format!("/campaigns/{cid}/posts/{pid}"),
            &token,
            json!({"offsets": [{"variant_id": v0, "offset_minutes": -5}]}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("offset_minutes")),
            "{body}"
        );
        let other = draft_post(&app, &token, ws.id, &[&a]).await;
        let other_variant = other["variants"][0]["id"].as_str().unwrap();
        let (status, _) = put(
            &app,
            &format!("/campaigns/{cid}/posts/{pid}"),
            &token,
            json!({"offsets": [{"variant_id": other_variant, "offset_minutes": 5}]}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A post in one campaign cannot join another.
        let (_, second) = app
            .post_json(
                "/campaigns",
                &token,
                json!({"workspace_id": ws.id, "name": "Second"}),
            )
            .await;
        let (status, body) = put(
            &app,
            &format!("/campaigns/{}/posts/{pid}", second["id"].as_str().unwrap()),
            &token,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        // Instant campaigns take no offsets.
        let (status, body) = put(
            &app,
            &format!(
                "/campaigns/{}/posts/{}",
                second["id"].as_str().unwrap(),
                other["id"].as_str().unwrap()
            ),
            &token,
            json!({"offsets": [{"variant_id": other_variant, "offset_minutes": 5}]}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("instant_campaign"))
        );

        // PATCH: switching to instant resets offsets; null clears the release time.
        let (status, patched) = app
            .patch_json(
                &format!("/campaigns/{cid}"),
                &token,
                json!({"release_mode": "instant", "release_at": null, "name": "Autumn"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(
            (patched["name"].as_str(), patched["release_at"].clone()),
            (Some("Autumn"), Value::Null)
        );
        assert_eq!(patched["all_or_nothing"], true, "unchanged when left out");
        let (_, detail) = app.get(&format!("/campaigns/{cid}"), &token).await;
        assert_eq!(offset_of(&detail, v0), 0);
        let (status, body) = app
            .patch_json(
                &format!("/campaigns/{cid}"),
                &token,
                json!({"release_mode": "whenever"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("release_mode"))
        );

        // Leaving.
        let (status, _) = app
            .delete(&format!("/campaigns/{cid}/posts/{pid}"), &token)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app
            .delete(&format!("/campaigns/{cid}/posts/{pid}"), &token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, detail) = app.get(&format!("/campaigns/{cid}"), &token).await;
        assert_eq!(detail["members"], json!([]));

        // Another workspace's writer sees nothing of it.
        let elsewhere = app.workspace("Elsewhere").await;
        let stranger = app
            .user_with_grants(
                "stranger@example.test",
                &[Grant {
                    role: Role::Publisher,
                    scope: Scope::Workspace(elsewhere.id),
                }],
            )
            .await;
        let stranger = app.token(&stranger).await;
        let (status, _) = app.get(&format!("/campaigns/{cid}"), &stranger).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn add_to_queue_takes_the_next_free_slot_and_respects_the_gate() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let ch = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
        let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let path = format!("/channels/{ch}/queue");

        let (status, empty) = app.get(&path, &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (empty["time_zone"].clone(), empty["slots"].clone()),
            (Value::Null, json!([]))
        );
        for (body, field) in [
            (
                json!({"time_zone": "Mars/Olympus", "slots": []}),
                "time_zone",
            ),
            (
                json!({"time_zone": "UTC", "slots": [{"weekday": "someday", "time": "09:00"}]}),
                "slots[0].weekday",
            ),
            (
                json!({"time_zone": "UTC", "slots": [{"weekday": "mon", "time": "25:00"}]}),
                "slots[0].time",
            ),
        ] {
            let (status, err) = put(&app, &path, &token, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
            assert_eq!(err["error"]["field"], field, "{err}");
        }
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let slots: Vec<Value> = days
            .iter()
            .flat_map(|d| {
                [
                    json!({"weekday": d, "time": "09:00"}),
                    json!({"weekday": d, "time": "17:30"}),
                ]
            })
            .collect();
        let (status, queue) = put(
            &app,
            &path,
            &token,
            json!({"time_zone": "Europe/Sofia", "slots": slots}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{queue}");
        assert_eq!(queue["slots"].as_array().unwrap().len(), 14);
        let upcoming: Vec<String> = queue["upcoming"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(upcoming.len(), 10);

        let first = draft_post(&app, &token, ws.id, &[&ch]).await;
        let second = draft_post(&app, &token, ws.id, &[&ch]).await;
        let mut taken = Vec::new();
        for post in [&first, &second] {
            let vid = post["variants"][0]["id"].as_str().unwrap();
            let (status, v) = app
                .api(
                    Method::POST,
                    &format!("/variants/{vid}/queue"),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(v["status"], "scheduled");
            taken.push(
                chrono::DateTime::parse_from_rfc3339(v["scheduled_at"].as_str().unwrap()).unwrap(),
            );
        }
        let expected: Vec<_> = upcoming[..2]
            .iter()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
            .collect();
        assert_eq!(taken, expected, "the first two free slots, in order");

        // A channel under an approval workflow: an unapproved variant is not queued.
        let reviewed = channel_id(&app, ws.id, Network::Sandbox, "reviewed").await;
        let approver = app.user("approver@example.test", Role::Approver).await;
        app.store()
            .set_workflow(
                &Actor::cli(),
                ws.id,
                Some(owlery_domain::ChannelId(reviewed.parse().unwrap())),
                "Check",
                &Workflow {
                    steps: vec![Step {
                        name: "Check".into(),
                        approvers: Approvers::People {
                            user_ids: vec![approver.id],
                        },
                        required: 1,
                        backup: None,
                        deadline_hours: None,
                    }],
                },
            )
            .await
            .unwrap();
        let rpath = format!("/channels/{reviewed}/queue");
        let (status, _) = put(
            &app,
            &rpath,
            &token,
            json!({"time_zone": "UTC", "slots": [{"weekday": "mon", "time": "09:00"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let post = draft_post(&app, &token, ws.id, &[&reviewed]).await;
        let vid = post["variants"][0]["id"].as_str().unwrap();
        let (status, body) = app
            .api(
                Method::POST,
                &format!("/variants/{vid}/queue"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("approval_required")),
            "{body}"
        );

        // No queue: a conflict naming the queue.
        let bare = channel_id(&app, ws.id, Network::Sandbox, "bare").await;
        let post = draft_post(&app, &token, ws.id, &[&bare]).await;
        let vid = post["variants"][0]["id"].as_str().unwrap();
        let (status, body) = app
            .api(
                Method::POST,
                &format!("/variants/{vid}/queue"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::CONFLICT, Some("queue")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn comments_mention_and_assignment_notify() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let ch = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
        let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let ana = app.user("ana@example.test", Role::Contributor).await;
        let analyst = app.user("numbers@example.test", Role::Analyst).await;
        let post = draft_post(&app, &token, ws.id, &[&ch]).await;
        let pid = post["id"].as_str().unwrap();

        let (status, c) = app
            .post_json(
                &format!("/posts/{pid}/comments"),
                &token,
                json!({"body": "@ana can you check the link?"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(c["mentions"], json!([ana.id]));
        let (status, body) = app
            .post_json(
                &format!("/posts/{pid}/comments"),
                &token,
                json!({"body": "   "}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("body"))
        );
        // Someone who cannot read the post is not told about it through a mention.
        let (status, body) = app
            .post_json(
                &format!("/posts/{pid}/comments"),
                &token,
                json!({"body": "@numbers have a look"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("mention_cannot_read")
            )
        );
        assert!(
            app.store()
                .notifications(analyst.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let (_, list) = app.get(&format!("/posts/{pid}/comments"), &token).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let notes = app.store().notifications(ana.id, 10).await.unwrap();
        assert_eq!(
            notes.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(),
            ["mention"]
        );

        let (status, assigned) = put(
            &app,
            &format!("/posts/{pid}/assignee"),
            &token,
            json!({"user_id": ana.id}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{assigned}");
        assert_eq!(assigned["assignee_id"], json!(ana.id));
        let notes = app.store().notifications(ana.id, 10).await.unwrap();
        assert_eq!(notes[0].kind, "assigned");
        assert_eq!(
            notes[0].link.as_deref(),
            Some(format!("/posts/{pid}").as_str())
        );

        // Someone who cannot read the post is not assignable; null unassigns.
        let (status, body) = put(
            &app,
            &format!("/posts/{pid}/assignee"),
            &token,
            json!({"user_id": analyst.id}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_assignee"))
        );
        let (status, body) = put(
            &app,
            &format!("/posts/{pid}/assignee"),
            &token,
            json!({"user_id": null}),
        )
        .await;
        assert_eq!(
            (status, body["assignee_id"].clone()),
            (StatusCode::OK, Value::Null)
        );
    }
}

#[tokio::test]
async fn the_calendar_filters_and_shows_only_what_the_caller_may_read() {
    for app in TestApp::all_backends().await {
        let mine = app.workspace("Mine").await;
        let theirs = app.workspace("Theirs").await;
        let a = channel_id(&app, mine.id, Network::Sandbox, "mine_a").await;
        let x = channel_id(&app, mine.id, Network::Bluesky, "mine.bsky.social").await;
        let t = channel_id(&app, theirs.id, Network::Sandbox, "their_a").await;
        let (_, owner) = app.user_with_token("owner@example.test", Role::Owner).await;
        let at = Utc::now() + Duration::days(2);
        for (ws, chans) in [(mine.id, vec![&a, &x]), (theirs.id, vec![&t])] {
            let (status, p) = app
                .post_json(
                    "/posts",
                    &owner,
                    json!({"workspace_id": ws, "text": "Scheduled", "channel_ids": chans, "scheduled_at": at.to_rfc3339()}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{p}");
        }
        let range = |from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>| {
            format!(
                "/calendar?from={}&to={}",
                urlencode(&from.to_rfc3339()),
                urlencode(&to.to_rfc3339())
            )
        };
        let week = range(Utc::now(), Utc::now() + Duration::days(7));
        let (status, all) = app.get(&week, &owner).await;
        assert_eq!(status, StatusCode::OK, "{all}");
        assert_eq!(all["items"].as_array().unwrap().len(), 3);
        let (_, only_a) = app.get(&format!("{week}&channel_id={a}"), &owner).await;
        assert_eq!(ids(&only_a, "channel_id"), std::slice::from_ref(&a));
        let (_, bluesky) = app.get(&format!("{week}&network=bluesky"), &owner).await;
        assert_eq!(ids(&bluesky, "channel_id"), std::slice::from_ref(&x));
        let (_, drafts) = app.get(&format!("{week}&status=draft"), &owner).await;
        assert_eq!(drafts["items"], json!([]));
        let (_, theirs_only) = app
            .get(&format!("{week}&workspace_id={}", theirs.id), &owner)
            .await;
        assert_eq!(ids(&theirs_only, "channel_id"), std::slice::from_ref(&t));
        let (_, later) = app
            .get(
                &range(
                    Utc::now() + Duration::days(3),
                    Utc::now() + Duration::days(9),
                ),
                &owner,
            )
            .await;
        assert_eq!(later["items"], json!([]));

        // A writer of one workspace sees that workspace only.
        let writer = app
            .user_with_grants(
                "writer@example.test",
                &[Grant {
                    role: Role::Contributor,
                    scope: Scope::Workspace(mine.id),
                }],
            )
            .await;
        let writer = app.token(&writer).await;
        let (_, seen) = app.get(&week, &writer).await;
        let mut channels = ids(&seen, "channel_id");
        channels.sort();
        let mut expected = vec![a.clone(), x.clone()];
        expected.sort();
        assert_eq!(channels, expected);
        let (_, analyst) = app
            .user_with_token("analyst@example.test", Role::Analyst)
            .await;
        let (status, _) = app.get(&week, &analyst).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Mistakes.
        let (status, body) = app
            .get(&range(Utc::now(), Utc::now() + Duration::days(401)), &owner)
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("range_too_long"))
        );
        let now = Utc::now();
        let (status, _) = app.get(&range(now, now), &owner).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app.get(&format!("{week}&channel_id=nope"), &owner).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = app.get(&format!("{week}&network=myspace"), &owner).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app.get("/calendar?from=yesterday&to=today", &owner).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

async fn import(
    app: &TestApp,
    token: &str,
    ws: impl std::fmt::Display,
    dry_run: bool,
    csv: &str,
) -> (StatusCode, Value) {
    app.api_raw(
        Method::POST,
        &format!("/posts/import?workspace_id={ws}&dry_run={dry_run}"),
        token,
        Some("text/csv"),
        csv.to_owned(),
    )
    .await
}

async fn post_count(app: &TestApp, token: &str) -> usize {
    let (_, list) = app.get("/posts", token).await;
    list["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn csv_import_is_checked_whole_and_export_round_trips() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        channel_id(&app, ws.id, Network::Sandbox, "brand").await;
        channel_id(&app, ws.id, Network::X, "brand_x").await;
        let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (_, campaign) = app
            .post_json(
                "/campaigns",
                &token,
                json!({"workspace_id": ws.id, "name": "Autumn"}),
            )
            .await;
        let later = (Utc::now() + Duration::days(5))
            .format("%Y-%m-%d %H:%M")
            .to_string();
        let bad = format!(
            "channels,text,scheduled_at,campaign\n\
             @brand,Fine row,{later},autumn\n\
             @nobody,Unknown channel,,\n\
             brand,Past,2001-01-01 10:00,\n\
             brand,No such campaign,,Spring\n"
        );
        let (status, report) = import(&app, &token, ws.id, true, &bad).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            (report["dry_run"].as_bool(), report["imported"].as_bool()),
            (Some(true), Some(false))
        );
        assert_eq!(report["rows_total"], 4);
        assert_eq!(report["rows_with_problems"], 3);
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows[0]["ok"], true, "{report}");
        assert_eq!(rows[0]["campaign_id"], campaign["id"]);
        let columns: Vec<(u64, &str)> = rows[1..]
            .iter()
            .map(|r| {
                (
                    r["line"].as_u64().unwrap(),
                    r["problems"][0]["column"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            columns,
            [(3, "channels"), (4, "scheduled_at"), (5, "campaign")]
        );
        // All or nothing: a real run with a bad row creates nothing either.
        let (status, report) = import(&app, &token, ws.id, false, &bad).await;
        assert_eq!(
            (status, report["imported"].as_bool()),
            (StatusCode::OK, Some(false))
        );
        assert_eq!(post_count(&app, &token).await, 0);

        // A real run of good rows; X's length rule is reported, as POST /posts would find it.
        let long = "word ".repeat(70);
        let good = format!(
            "channels,text,scheduled_at,link\n\
             brand;brand_x,\"=1+1, a formula-looking text\",{later},https://example.com/a\n\
             brand_x,{long},,\n"
        );
        let (status, dry) = import(&app, &token, ws.id, true, &good).await;
        assert_eq!(
            (status, dry["rows_with_problems"].as_u64()),
            (StatusCode::OK, Some(0)),
            "{dry}"
        );
        assert_eq!(
            post_count(&app, &token).await,
            0,
            "a dry run creates nothing"
        );
        assert!(
            dry["rows"][1]["validation_errors"][0]
                .as_str()
                .unwrap()
                .starts_with("x:"),
            "{dry}"
        );
        let (status, done) = import(&app, &token, ws.id, false, &good).await;
        assert_eq!(
            (status, done["imported"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{done}"
        );
        assert_eq!(post_count(&app, &token).await, 2);
        let first = done["rows"][0]["post_id"].as_str().unwrap();
        let (_, p) = app.get(&format!("/posts/{first}"), &token).await;
        let statuses: Vec<&str> = p["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["scheduled", "scheduled"], "{p}");

        // Export: BOM, CRLF, the formula guard; it imports again.
        let res = app
            .send(
                Request::get(format!("{API}/posts/export.csv?workspace_id={}", ws.id))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.header("content-type").unwrap().starts_with("text/csv"));
        let text = res.text();
        assert!(text.starts_with('\u{FEFF}'));
        assert!(text.contains("\r\n"));
        assert!(text.contains("\"'=1+1, a formula-looking text\""), "{text}");
        assert_eq!(
            text.lines().count(),
            4,
            "a header and one row per variant: {text}"
        );
        let (status, again) = import(
            &app,
            &token,
            ws.id,
            true,
            text.trim_start_matches('\u{FEFF}'),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["rows_with_problems"], 0, "{again}");
        assert_eq!(again["rows"].as_array().unwrap().len(), 3);

        // The whole file: not CSV, no channels column.
        let (status, body) = app
            .api_raw(
                Method::POST,
                &format!("/posts/import?workspace_id={}", ws.id),
                &token,
                Some("application/json"),
                "{}",
            )
            .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
        let (status, body) = import(&app, &token, ws.id, true, "text\nhello\n").await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("file"))
        );
    }
}

#[tokio::test]
async fn a_csv_larger_than_the_body_limit_is_a_clear_413() {
    let app = TestApp::builder()
        .config(|c| c.max_body_bytes = 2048)
        .sqlite()
        .await;
    let ws = app.workspace("Brand").await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    let csv = format!("channels,text\n{}", "brand,hello\n".repeat(500));
    let (status, body) = import(&app, &token, ws.id, true, &csv).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "body_too_large");
}

#[tokio::test]
async fn a_contributor_imports_drafts_but_cannot_schedule_unreviewed_rows() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    channel_id(&app, ws.id, Network::Sandbox, "brand").await;
    let (_, token) = app
        .user_with_token("writer@example.test", Role::Contributor)
        .await;
    let later = (Utc::now() + Duration::days(5)).to_rfc3339();
    let (_, report) = import(
        &app,
        &token,
        ws.id,
        true,
        &format!("channels,text,scheduled_at\nbrand,Draft,\nbrand,Timed,{later}\n"),
    )
    .await;
    assert_eq!(report["rows"][0]["ok"], true, "{report}");
    assert_eq!(
        report["rows"][1]["problems"][0]["column"], "scheduled_at",
        "{report}"
    );
}

#[tokio::test]
async fn link_previews_refuse_addresses_that_are_not_public() {
    let app = TestApp::sqlite().await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    for (url, code) in [
        ("http://127.0.0.1:8080/", "link_not_public"),
        ("http://localhost/", "link_not_public"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "link_not_public",
        ),
        ("http://[::1]/", "link_not_public"),
        ("http://10.1.2.3/", "link_not_public"),
        ("http://[fe80::1]/", "link_not_public"),
        ("ftp://example.com/", "unsupported_scheme"),
        ("gopher", "invalid_url"),
    ] {
        let (status, body) = app
            .post_json("/link-preview", &token, json!({"url": url}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(
            (
                body["error"]["code"].as_str(),
                body["error"]["field"].as_str()
            ),
            (Some(code), Some("url")),
            "{url}"
        );
    }
}

#[tokio::test]
async fn utm_parameters_tag_a_variants_links() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let a = channel_id(&app, ws.id, Network::Sandbox, "brand_a").await;
    let b = channel_id(&app, ws.id, Network::Sandbox, "brand_b").await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    let (status, post) = app
        .post_json(
            "/posts",
            &token,
            json!({
                "workspace_id": ws.id, "draft": true,
                "text": "Menu: https://example.com/menu?x=1 and more",
                "link": "https://example.com/landing",
                "channel_ids": [b],
                "variants": [{"channel_id": a, "utm": {"source": "sandbox", "medium": "social", "campaign": "autumn"}}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let variant = |ch: &str| {
        post["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["channel_id"] == ch)
            .unwrap()
            .clone()
    };
    let tagged = variant(&a);
    assert_eq!(
        tagged["text"],
        "Menu: https://example.com/menu?x=1&utm_source=sandbox&utm_medium=social&utm_campaign=autumn and more"
    );
    assert_eq!(
        tagged["link"],
        "https://example.com/landing?utm_source=sandbox&utm_medium=social&utm_campaign=autumn"
    );
    assert_eq!(variant(&b)["link"], "https://example.com/landing");
    let (status, body) = app
        .post_json(
            "/posts",
            &token,
            json!({"workspace_id": ws.id, "draft": true, "text": "x", "variants": [{"channel_id": a, "utm": {"source": "", "medium": "m", "campaign": "c"}}]}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("utm_source"))
    );
}
