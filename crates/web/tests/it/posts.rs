//! Posts through the API: the documented contract, validation per network, and the server-side
//! approval gate — whatever a client sends, nothing without its approvals is scheduled.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use owlery_domain::{
    Role,
    audit::Actor,
    org::Network,
    publishing::approval::{Approvers, Step, Workflow},
};
use serde_json::{Value, json};

use crate::support::{TestApp, channel_id};

fn statuses(post: &Value) -> Vec<String> {
    post["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.api(Method::PUT, path, Some(token), Some(body)).await
}

#[tokio::test]
async fn the_documented_contract_schedules_an_owners_post_at_once() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let sandbox = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
        let bluesky = channel_id(&app, ws.id, Network::Bluesky, "brand.bsky.social").await;
        let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let at = (Utc::now() + Duration::hours(3)).to_rfc3339();
        let (status, post) = app
            .post_json(
                "/posts",
                &token,
                json!({"workspace_id": ws.id, "text": "Autumn menu is here 🍂", "channel_ids": [sandbox, bluesky], "scheduled_at": at}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{post}");
        assert_eq!(statuses(&post), ["scheduled", "scheduled"], "{post}");
        let id = post["id"].as_str().unwrap();
        let (status, got) = app.get(&format!("/posts/{id}"), &token).await;
        assert_eq!(status, StatusCode::OK);
        for v in got["variants"].as_array().unwrap() {
            for field in ["status", "remote_id", "remote_url", "error", "channel_id"] {
                assert!(v.get(field).is_some(), "{field} missing in {v}");
            }
        }
        // "null for now": scheduled at the present moment.
        let (status, now_post) = app
            .post_json(
                "/posts",
                &token,
                json!({"workspace_id": ws.id, "text": "Right now", "channel_ids": [sandbox], "scheduled_at": null}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{now_post}");
        assert_eq!(statuses(&now_post), ["scheduled"]);
        let (_, list) = app.get("/posts", &token).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_variant_that_breaks_its_networks_rules_is_not_scheduled_until_fixed() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let x = channel_id(&app, ws.id, Network::X, "brand_x").await;
    let sandbox = channel_id(&app, ws.id, Network::Sandbox, "brand").await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    let long = "word ".repeat(70); // 350 characters: too long for X, fine for the sandbox
    let (status, post) = app
        .post_json(
            "/posts",
            &token,
            json!({"workspace_id": ws.id, "text": long, "channel_ids": [x, sandbox]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let x_variant = &post["variants"][0];
    assert_eq!(x_variant["status"], "draft", "{post}");
    assert_eq!(x_variant["has_errors"], true);
    assert_eq!(x_variant["findings"][0]["code"], "text_too_long");
    assert_eq!(post["variants"][1]["status"], "scheduled");

    // Scheduling it anyway is refused by the server.
    let vid = x_variant["id"].as_str().unwrap();
    let at = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let (status, body) = app
        .post_json(
            &format!("/variants/{vid}/schedule"),
            &token,
            json!({"scheduled_at": at}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "validation_failed");

    // A shorter text for X only: the sandbox keeps the master.
    let id = post["id"].as_str().unwrap();
    let (status, edited) = put(
        &app,
        &format!("/posts/{id}"),
        &token,
        json!({"version": 1, "text": long, "channel_ids": [sandbox], "variants": [{"channel_id": x, "text": "Short for X"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let xv = edited["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["channel_id"] == json!(x))
        .unwrap();
    assert_eq!(xv["has_errors"], false, "{xv}");
    assert_eq!(xv["changed_fields"], json!(["text"]));
    let (status, body) = app
        .post_json(
            &format!("/variants/{vid}/schedule"),
            &token,
            json!({"scheduled_at": at}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "scheduled");

    // An edit from a stale version is refused and loses nothing.
    let (status, body) = put(
        &app,
        &format!("/posts/{id}"),
        &token,
        json!({"version": 1, "text": "stale", "channel_ids": [x]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, versions) = app.get(&format!("/posts/{id}/versions"), &token).await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 2);
    assert_eq!(versions["items"][0]["version"], 2);
}

#[tokio::test]
async fn client_mistakes_are_specific_4xx() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let other = app.workspace("Other").await;
    let mine = channel_id(&app, ws.id, Network::Sandbox, "mine").await;
    let theirs = channel_id(&app, other.id, Network::Sandbox, "theirs").await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    let cases = [
        (
            json!({"workspace_id": ws.id, "text": "x", "channel_ids": [theirs]}),
            "wrong_workspace",
        ),
        (
            json!({"workspace_id": ws.id, "text": "x", "channel_ids": []}),
            "required",
        ),
        (
            json!({"workspace_id": ws.id, "text": "x", "channel_ids": [mine], "scheduled_at": "2001-01-01T00:00:00Z"}),
            "in_the_past",
        ),
        (
            json!({"workspace_id": ws.id, "text": "x", "channel_ids": [mine], "media": [{"media_id": uuid::Uuid::now_v7(), "alt": ""}]}),
            "unknown_media",
        ),
        (
            json!({"workspace_id": ws.id, "text": "x", "variants": [{"channel_id": mine, "placement": "reel"}]}),
            "unknown_placement",
        ),
        (
            json!({"workspace_id": ws.id, "text": "x", "channel_ids": [mine], "time_zone": "Mars/Olympus"}),
            "invalid_time_zone",
        ),
        (
            json!({"workspace_id": ws.id, "text": "x", "channel_ids": [mine], "link": "javascript:alert(1)"}),
            "invalid_link",
        ),
    ];
    for (body, code) in cases {
        let (status, res) = app.post_json("/posts", &token, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {res}");
        assert_eq!(res["error"]["code"], code, "{body} → {res}");
    }
    let (status, res) = app
        .post_json(
            "/posts",
            &token,
            json!({"workspace_id": ws.id, "txt": "typo"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert_eq!(res["error"]["code"], "unknown_field");
    let (_, list) = app.get("/posts", &token).await;
    assert_eq!(list["items"], json!([]), "nothing half-written");
}

#[tokio::test]
async fn nothing_without_its_approvals_is_scheduled_whatever_the_client_sends() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Regulated").await;
        let ch = channel_id(&app, ws.id, Network::Sandbox, "regulated").await;
        let (_, owner) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (_, author) = app
            .user_with_token("author@example.test", Role::Publisher)
            .await;
        let (_, approver) = app
            .user_with_token("approver@example.test", Role::Approver)
            .await;
        let (status, wf) = put(
            &app,
            "/workflows",
            &owner,
            json!({"workspace_id": ws.id, "name": "Legal", "steps": [
                {"name": "Legal", "approvers": {"kind": "role", "role": "approver"}, "required": 1}
            ]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{wf}");

        let at = (Utc::now() + Duration::days(1)).to_rfc3339();
        let (status, post) = app
            .post_json(
                "/posts",
                &author,
                json!({"workspace_id": ws.id, "text": "Needs legal", "channel_ids": [ch], "scheduled_at": at}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{post}");
        assert_eq!(statuses(&post), ["in_review"]);
        let id = post["id"].as_str().unwrap().to_owned();
        let vid = post["variants"][0]["id"].as_str().unwrap().to_owned();

        // Neither the author nor the owner can schedule around the review.
        for token in [&author, &owner] {
            let (status, body) = app
                .post_json(
                    &format!("/variants/{vid}/schedule"),
                    token,
                    json!({"scheduled_at": at}),
                )
                .await;
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
            assert_eq!(body["error"]["code"], "approval_required");
            let (status, body) = app
                .post_json(&format!("/posts/{id}/submit"), token, json!({}))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["items"][0]["status"], "in_review");
        }

        let (_, reviews) = app.get(&format!("/posts/{id}/reviews"), &approver).await;
        assert_eq!(reviews["items"][0]["state"], "pending", "{reviews}");
        let rid = reviews["items"][0]["id"].as_str().unwrap().to_owned();
        // The author cannot approve (even with another role that could), and rejecting needs a reason.
        let (status, body) = app
            .post_json(
                &format!("/reviews/{rid}/decisions"),
                &approver,
                json!({"verdict": "reject"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "reason_required");
        let (status, body) = app
            .post_json(
                &format!("/reviews/{rid}/decisions"),
                &author,
                json!({"verdict": "approve"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

        let (status, body) = app
            .post_json(
                &format!("/reviews/{rid}/decisions"),
                &approver,
                json!({"verdict": "approve"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "approved");
        let (_, got) = app.get(&format!("/posts/{id}"), &author).await;
        assert_eq!(
            statuses(&got),
            ["scheduled"],
            "approved at its intended time: {got}"
        );

        // Editing an approved post sends it back for approval, and the gate closes again.
        let (status, edited) = put(
            &app,
            &format!("/posts/{id}"),
            &author,
            json!({"version": got["version"], "text": "Changed after approval", "channel_ids": [ch]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(statuses(&edited), ["in_review"], "{edited}");
        let (status, body) = app
            .post_json(
                &format!("/variants/{vid}/schedule"),
                &owner,
                json!({"scheduled_at": at}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
}

#[tokio::test]
async fn a_drafter_without_publish_rights_needs_a_workflow() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Open").await;
    let ch = channel_id(&app, ws.id, Network::Sandbox, "open").await;
    let (_, contributor) = app
        .user_with_token("contributor@example.test", Role::Contributor)
        .await;
    let (status, post) = app
        .post_json(
            "/posts",
            &contributor,
            json!({"workspace_id": ws.id, "text": "Draft only", "channel_ids": [ch], "draft": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let id = post["id"].as_str().unwrap();
    let (status, body) = app
        .post_json(&format!("/posts/{id}/submit"), &contributor, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, got) = app.get(&format!("/posts/{id}"), &contributor).await;
    assert_eq!(statuses(&got), ["draft"]);
}

#[tokio::test]
async fn external_reviewers_get_a_link_for_their_step_only() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Client work").await;
    let ch = channel_id(&app, ws.id, Network::Sandbox, "client").await;
    let (_, owner) = app.user_with_token("owner@example.test", Role::Owner).await;
    let workflow = Workflow {
        steps: vec![Step {
            name: "Client".into(),
            approvers: Approvers::External,
            required: 1,
            backup: None,
            deadline_hours: Some(24),
        }],
    };
    app.store()
        .set_workflow(&Actor::cli(), ws.id, None, "Client", &workflow)
        .await
        .unwrap();
    let (_, post) = app
        .post_json(
            "/posts",
            &owner,
            json!({"workspace_id": ws.id, "text": "For the client", "channel_ids": [ch]}),
        )
        .await;
    let id = post["id"].as_str().unwrap();
    let (_, reviews) = app.get(&format!("/posts/{id}/reviews"), &owner).await;
    let rid = reviews["items"][0]["id"].as_str().unwrap();
    let (status, link) = app
        .post_json(
            &format!("/reviews/{rid}/links"),
            &owner,
            json!({"label": "Acme legal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert!(link["url"].as_str().unwrap().contains("/review/"), "{link}");
    let (status, body) = app
        .post_json(
            &format!("/reviews/{rid}/links"),
            &owner,
            json!({"label": "Acme", "valid_for_hours": 10000}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_mastodon_channel_is_checked_against_its_own_servers_limits() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Fediverse").await;
        let default_server =
            channel_id(&app, ws.id, Network::Mastodon, "brand@mastodon.social").await;
        let big_server = channel_id(&app, ws.id, Network::Mastodon, "brand@hachyderm.io").await;
        let limits = owlery_domain::spec::MastodonInstance::from_instance(&json!({
            "configuration": {"statuses": {"max_characters": 1000, "max_media_attachments": 6, "characters_reserved_per_url": 23}}
        }))
        .unwrap();
        app.store()
            .set_channel_server_limits(
                &Actor::cli(),
                owlery_domain::ChannelId(big_server.parse().unwrap()),
                Some(&limits),
            )
            .await
            .unwrap();
        let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (status, post) = app
            .post_json(
                "/posts",
                &token,
                json!({"workspace_id": ws.id, "text": "a".repeat(600), "channel_ids": [default_server, big_server], "draft": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{post}");
        let errors = |channel: &str| {
            post["variants"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["channel_id"] == json!(channel))
                .unwrap()["has_errors"]
                .clone()
        };
        assert_eq!(errors(&default_server), json!(true), "500 by default");
        assert_eq!(errors(&big_server), json!(false), "this server allows 1000");
    }
}

#[tokio::test]
async fn saving_a_post_prepares_the_renditions_its_channels_need() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let insta = channel_id(&app, ws.id, Network::Instagram, "brand_insta").await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    let photo = crate::media::jpeg(1600, 1200);
    let ws_id = ws.id.to_string();
    let (status, media) = crate::media::upload(
        &app,
        &token,
        &[
            ("file", Some("photo.jpg"), &photo),
            ("workspace_id", None, ws_id.as_bytes()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{media}");
    let media_id: uuid::Uuid = media["id"].as_str().unwrap().parse().unwrap();
    assert!(
        app.store()
            .renditions(owlery_domain::MediaId(media_id))
            .await
            .unwrap()
            .is_empty()
    );
    let (status, post) = app
        .post_json(
            "/posts",
            &token,
            json!({"workspace_id": ws.id, "text": "Autumn", "channel_ids": [insta], "draft": true,
                   "media": [{"media_id": media_id, "alt": "A cup of coffee"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    // Made in the background: wait for them (a few seconds at most in a debug build).
    let mut made = Vec::new();
    for _ in 0..300 {
        made = app
            .store()
            .renditions(owlery_domain::MediaId(media_id))
            .await
            .unwrap();
        if made.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let placements: std::collections::BTreeSet<String> = made
        .iter()
        .map(|r| format!("{}-{}", r.network, r.placement))
        .collect();
    assert!(placements.contains("instagram-story"), "{placements:?}");
    assert!(
        made.iter().all(|r| r.network == "instagram"),
        "only the post's network"
    );
}
