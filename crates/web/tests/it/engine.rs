//! The publishing engine's controls over HTTP, on every backend: the pause switch (who may pause
//! what, a due post held at its time, resuming refused while paused, lifting), the late policy,
//! what waits for a person and what a person does about it (send again, reschedule, cancel,
//! resolve), the pages (Needs attention, Settings → Publishing, the banner) and their forms.
//!
//! The worker is not running here: where a post reaches its time, the test makes the claim the
//! publish job makes (`claim_for_publishing`), as the engine's own tests do.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    Grant, PostId, Role, Scope, VariantId, audit::Actor, org::Network, post::VariantStatus,
    publishing::engine::HeldBy, user::DisplayName,
};
use owlery_store::{org::Workspace, publishing::Claim};
use serde_json::{Value, json};

use crate::support::{CookieJar, TestApp, TestUser};

/// A post for `channels`, scheduled through the API `in_minutes` from now. Returns the post and its
/// variants (with their times), in the order of `channels`.
async fn scheduled(
    app: &TestApp,
    token: &str,
    ws: &Workspace,
    channels: &[String],
    title: &str,
    in_minutes: i64,
) -> (PostId, Vec<(VariantId, DateTime<Utc>)>) {
    let at = app.store().now() + Duration::minutes(in_minutes);
    let (status, post) = app
        .post_json(
            "/posts",
            token,
            json!({"workspace_id": ws.id, "title": title, "text": format!("{title}: hello"), "channel_ids": channels, "scheduled_at": at.to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let id = PostId(post["id"].as_str().unwrap().parse().unwrap());
    let stored = app.store().post(id).await.unwrap().unwrap();
    let mut out = Vec::new();
    for ch in channels {
        let v = stored
            .variants
            .iter()
            .find(|v| v.channel_id.to_string() == *ch)
            .unwrap();
        assert_eq!(v.status, VariantStatus::Scheduled, "{post}");
        out.push((v.id, v.scheduled_at.unwrap()));
    }
    (id, out)
}

/// What the publish job does at the variant's time.
async fn claim(app: &TestApp, v: VariantId) -> Claim {
    let post = app.store().post_of_variant(v).await.unwrap().unwrap();
    let at = post.variant(v).unwrap().scheduled_at.unwrap();
    app.store().claim_for_publishing(v, at).await.unwrap()
}

async fn status_of(app: &TestApp, v: VariantId) -> VariantStatus {
    let post = app.store().post_of_variant(v).await.unwrap().unwrap();
    post.variant(v).unwrap().status
}

fn items(list: &Value) -> &Vec<Value> {
    list["items"].as_array().unwrap()
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_pause_holds_a_due_post_until_a_person_sends_it_after_lifting() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let ch = app.channel(&ws, "brand_news").await.id.to_string();
        let (owner, token) = app
            .user_with_token("olivia@example.test", Role::Owner)
            .await;
        let (post, vs) =
            scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "Autumn", 30).await;
        let v = vs[0].0;

        let (status, pause) = app
            .post_json(
                "/pauses",
                &token,
                json!({"scope": "organisation", "reason": "Storm damage: wait for the statement"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{pause}");
        assert_eq!(pause["scope"], "organisation");
        assert_eq!(pause["scope_id"], Value::Null);
        assert_eq!(pause["scope_name"], "Acme");
        assert_eq!(pause["created_by"], json!(owner.id));
        assert_eq!(pause["lifted_at"], Value::Null);
        let pause_id = pause["id"].as_str().unwrap().to_owned();
        let (_, active) = app.get("/pauses?active=true", &token).await;
        assert_eq!(items(&active).len(), 1);

        // At its time the job finds the pause: the post waits, visibly.
        assert_eq!(claim(&app, v).await, Claim::Held(HeldBy::Pause));
        let (_, got) = app.get(&format!("/posts/{post}"), &token).await;
        assert_eq!(got["variants"][0]["status"], "paused");
        assert_eq!(got["variants"][0]["held_by"], "pause");
        let (status, waiting) = app.get("/attention", &token).await;
        assert_eq!(status, StatusCode::OK, "{waiting}");
        assert_eq!(items(&waiting).len(), 1);
        let w = &items(&waiting)[0];
        assert_eq!(w["variant_id"], json!(v));
        assert_eq!(w["status"], "paused");
        assert_eq!(w["held_by"], "pause");
        assert_eq!(w["title"], "Autumn");
        assert_eq!(w["channel_name"], "brand_news");
        assert_eq!(w["network"], "sandbox");
        assert_eq!(w["profile_url"], Value::Null, "the sandbox has no page");
        assert!(w["error"].as_str().unwrap().contains("Storm damage"), "{w}");
        let (_, other_ws) = app
            .get(
                &format!("/attention?workspace_id={}", uuid::Uuid::now_v7()),
                &token,
            )
            .await;
        assert!(items(&other_ws).is_empty());
        let (status, body) = app.get("/attention?workspace_id=nope", &token).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_id")
        );

        // Sending it is refused while the pause lasts, with the pause's reason.
        let (status, body) = app
            .post_json(&format!("/variants/{v}/resume"), &token, json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(code(&body), "publishing_paused");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Storm damage")
        );

        // Lifting sends nothing by itself.
        let (status, _) = app.delete(&format!("/pauses/{pause_id}"), &token).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = app.delete(&format!("/pauses/{pause_id}"), &token).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "already_lifted")
        );
        let (status, _) = app
            .delete(&format!("/pauses/{}", uuid::Uuid::now_v7()), &token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, active) = app.get("/pauses?active=true", &token).await;
        assert!(items(&active).is_empty());
        let (_, lifted) = app.get("/pauses?active=false", &token).await;
        assert_eq!(items(&lifted).len(), 1);
        assert_eq!(items(&lifted)[0]["lifted_by"], json!(owner.id));
        assert!(items(&lifted)[0]["lifted_at"].is_string());
        assert_eq!(status_of(&app, v).await, VariantStatus::Paused);

        // A person sends it: scheduled at its own time (still ahead), and the job goes.
        let (status, state) = app
            .post_json(&format!("/variants/{v}/resume"), &token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert_eq!(state["status"], "scheduled");
        assert_eq!(state["held_by"], Value::Null);
        assert!(matches!(claim(&app, v).await, Claim::Go(_)));
        let (status, body) = app
            .post_json(&format!("/variants/{v}/resume"), &token, json!({}))
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "not_resumable")
        );
        let (status, _) = app
            .post_json(
                &format!("/variants/{}/resume", uuid::Uuid::now_v7()),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let audit: Vec<String> = app
            .store()
            .audit_events(&Default::default(), 50)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.entry.action)
            .collect();
        for action in ["publishing.pause", "publishing.resume", "variant.resume"] {
            assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
        }
    }
}

#[tokio::test]
async fn who_may_pause_what() {
    for app in TestApp::all_backends().await {
        let mine = app.workspace("Mine").await;
        let theirs = app.workspace("Theirs").await;
        let my_channel = app.channel(&mine, "mine_news").await;
        let their_channel = app.channel(&theirs, "their_news").await;
        let (_, owner) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (_, agent) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let (_, publisher) = app
            .user_with_token("publisher@example.test", Role::Publisher)
            .await;
        let ws_admin = app
            .user_with_grants(
                "ws-admin@example.test",
                &[Grant {
                    role: Role::Admin,
                    scope: Scope::Workspace(mine.id),
                }],
            )
            .await;
        let ws_admin = app.token(&ws_admin).await;
        let org_pause = json!({"scope": "organisation", "reason": "Crisis"});

        // An agent and a publisher cannot pause; a workspace admin cannot pause the organisation.
        for token in [&agent, &publisher, &ws_admin] {
            let (status, body) = app.post_json("/pauses", token, org_pause.clone()).await;
            assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
        }
        let (status, _) = app
            .post_json(
                "/pauses",
                &agent,
                json!({"scope": "workspace", "scope_id": mine.id, "reason": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A workspace admin pauses their workspace and its channels, not another's.
        let (status, ws_pause) = app
            .post_json(
                "/pauses",
                &ws_admin,
                json!({"scope": "workspace", "scope_id": mine.id, "reason": "Rebrand"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ws_pause}");
        assert_eq!(ws_pause["scope_name"], "Mine");
        let (status, ch_pause) = app
            .post_json(
                "/pauses",
                &ws_admin,
                json!({"scope": "channel", "scope_id": my_channel.id, "reason": "Wrong account"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ch_pause}");
        assert_eq!(ch_pause["scope_name"], "mine_news");
        for body in [
            json!({"scope": "workspace", "scope_id": theirs.id, "reason": "x"}),
            json!({"scope": "channel", "scope_id": their_channel.id, "reason": "x"}),
        ] {
            let (status, _) = app.post_json("/pauses", &ws_admin, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }

        // The owner pauses the organisation; the workspace admin may not lift it, nor see the
        // other workspace's pauses, but lifts their own.
        let (status, org) = app.post_json("/pauses", &owner, org_pause.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let (status, their) = app
            .post_json(
                "/pauses",
                &owner,
                json!({"scope": "channel", "scope_id": their_channel.id, "reason": "Theirs"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{their}");
        let (status, _) = app
            .delete(
                &format!("/pauses/{}", org["id"].as_str().unwrap()),
                &ws_admin,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, seen) = app.get("/pauses", &ws_admin).await;
        let reasons: Vec<&str> = items(&seen)
            .iter()
            .map(|p| p["reason"].as_str().unwrap())
            .collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(!reasons.contains(&"Theirs"));
        let (_, seen) = app.get("/pauses", &owner).await;
        assert_eq!(items(&seen).len(), 4);
        let (status, _) = app
            .delete(
                &format!("/pauses/{}", ch_pause["id"].as_str().unwrap()),
                &ws_admin,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app
            .delete(&format!("/pauses/{}", org["id"].as_str().unwrap()), &agent)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Mistakes are 422 with the field.
        for (body, field, want) in [
            (
                json!({"scope": "organisation", "reason": "   "}),
                "reason",
                "required",
            ),
            (
                json!({"scope": "workspace", "reason": "x"}),
                "scope_id",
                "missing_field",
            ),
            (
                json!({"scope": "workspace", "scope_id": uuid::Uuid::now_v7(), "reason": "x"}),
                "scope_id",
                "unknown_scope",
            ),
            (
                json!({"scope": "workspace", "scope_id": my_channel.id, "reason": "x"}),
                "scope_id",
                "unknown_scope",
            ),
            (
                json!({"scope": "organisation", "scope_id": mine.id, "reason": "x"}),
                "scope_id",
                "invalid_scope",
            ),
            (
                json!({"scope": "galaxy", "reason": "x"}),
                "scope",
                "invalid_field",
            ),
            (
                json!({"scope": "organisation", "reason": "x", "colour": "red"}),
                "colour",
                "unknown_field",
            ),
        ] {
            let (status, res) = app.post_json("/pauses", &owner, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
            assert_eq!(
                (code(&res), res["error"]["field"].as_str()),
                (want, Some(field)),
                "{body}: {res}"
            );
        }

        // The late policy is the organisation's managers' only.
        for token in [&ws_admin, &publisher, &agent] {
            let (status, _) = app.get("/organisation/publishing", token).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        // Resuming needs posts:publish on the channel.
        let (_, vs) = scheduled(
            &app,
            &owner,
            &theirs,
            &[their_channel.id.to_string()],
            "Theirs",
            10,
        )
        .await;
        assert_eq!(claim(&app, vs[0].0).await, Claim::Held(HeldBy::Pause));
        for token in [&agent, &ws_admin] {
            let (status, _) = app
                .post_json(&format!("/variants/{}/resume", vs[0].0), token, json!({}))
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        // What waits is listed for those who see the channel's posts.
        let (_, waiting) = app.get("/attention", &ws_admin).await;
        assert!(items(&waiting).is_empty(), "{waiting}");
        let (_, waiting) = app.get("/attention", &publisher).await;
        assert_eq!(items(&waiting).len(), 1);
        let (status, _) = app.get("/attention", &agent).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn an_unconfirmed_post_is_resolved_either_way() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let x = app
            .channel_on(ws.id, Network::X, "acme")
            .await
            .id
            .to_string();
        let sandbox = app.channel(&ws, "acme_sandbox").await.id.to_string();
        let (_, token) = app
            .user_with_token("pat@example.test", Role::Publisher)
            .await;
        let (_, vs) = scheduled(&app, &token, &ws, &[x.clone(), sandbox.clone()], "Menu", 5).await;
        for (v, _) in &vs {
            assert!(matches!(claim(&app, *v).await, Claim::Go(_)));
            assert!(
                app.store()
                    .record_unconfirmed(*v, "The network did not answer in time.")
                    .await
                    .unwrap()
            );
        }
        let (there, gone) = (vs[0].0, vs[1].0);
        let (_, waiting) = app.get("/attention", &token).await;
        assert_eq!(items(&waiting).len(), 2);
        let on_x = items(&waiting)
            .iter()
            .find(|w| w["variant_id"] == json!(there))
            .unwrap();
        assert_eq!(on_x["status"], "unconfirmed");
        assert_eq!(on_x["profile_url"], "https://x.com/acme");

        let path = format!("/variants/{there}/resolve");
        for (body, want_code, field) in [
            (json!({"outcome": "published"}), "missing_field", "url"),
            (
                json!({"outcome": "published", "url": "javascript:alert(1)"}),
                "invalid",
                "url",
            ),
            (
                json!({"outcome": "not_there", "url": "https://x.com/acme/status/1"}),
                "invalid_field",
                "url",
            ),
            (json!({"outcome": "maybe"}), "invalid_field", "outcome"),
        ] {
            let (status, res) = app.post_json(&path, &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
            assert_eq!(
                (code(&res), res["error"]["field"].as_str()),
                (want_code, Some(field)),
                "{body}: {res}"
            );
        }
        let (status, state) = app
            .post_json(
                &path,
                &token,
                json!({"outcome": "published", "url": "https://x.com/acme/status/1"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert_eq!(state["status"], "scheduled");
        let (status, state) = app
            .post_json(
                &format!("/variants/{gone}/resolve"),
                &token,
                json!({"outcome": "not_there"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert_eq!(state["status"], "scheduled");
        let (status, res) = app
            .post_json(
                &format!("/variants/{gone}/resolve"),
                &token,
                json!({"outcome": "not_there"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{res}");
        let (_, waiting) = app.get("/attention", &token).await;
        assert!(items(&waiting).is_empty());
        // An unconfirmed post is not "sent again" by resume: a person checks first.
        let (_, vs) = scheduled(
            &app,
            &token,
            &ws,
            std::slice::from_ref(&sandbox),
            "Again",
            5,
        )
        .await;
        claim(&app, vs[0].0).await;
        app.store()
            .record_unconfirmed(vs[0].0, "No answer.")
            .await
            .unwrap();
        let (status, res) = app
            .post_json(&format!("/variants/{}/resume", vs[0].0), &token, json!({}))
            .await;
        assert_eq!(
            (status, code(&res)),
            (StatusCode::CONFLICT, "not_resumable")
        );
    }
}

#[tokio::test]
async fn the_late_policy_is_kept_validated_and_applied() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let ch = app.channel(&ws, "brand_news").await.id.to_string();
        let (_, token) = app
            .user_with_token("olivia@example.test", Role::Owner)
            .await;
        let (status, got) = app.get("/organisation/publishing", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            got,
            json!({"late_policy": "send", "late_grace_minutes": 15})
        );

        for (body, field, want) in [
            (
                json!({"late_policy": "hold", "late_grace_minutes": -1}),
                "late_grace_minutes",
                "out_of_range",
            ),
            (
                json!({"late_policy": "hold", "late_grace_minutes": 10081}),
                "late_grace_minutes",
                "out_of_range",
            ),
            (
                json!({"late_policy": "later", "late_grace_minutes": 5}),
                "late_policy",
                "invalid_field",
            ),
            (
                json!({"late_policy": "hold"}),
                "late_grace_minutes",
                "missing_field",
            ),
        ] {
            let (status, res) = app
                .api(
                    axum::http::Method::PUT,
                    "/organisation/publishing",
                    Some(&token),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
            assert_eq!(
                (code(&res), res["error"]["field"].as_str()),
                (want, Some(field)),
                "{body}: {res}"
            );
        }

        // Sent late (the default): flagged with how late, on the post.
        let (post, vs) = scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "Late", 10).await;
        app.clock.advance(Duration::minutes(10 + 125));
        assert!(matches!(claim(&app, vs[0].0).await, Claim::Go(_)));
        app.store()
            .record_published(vs[0].0, "r1", "https://example.test/r1")
            .await
            .unwrap();
        let (_, got) = app.get(&format!("/posts/{post}"), &token).await;
        let late = got["variants"][0]["late_by_s"].as_i64().unwrap();
        assert!((125 * 60..126 * 60).contains(&late), "{late}");

        // Held for a person.
        let (status, saved) = app
            .api(
                axum::http::Method::PUT,
                "/organisation/publishing",
                Some(&token),
                Some(json!({"late_policy": "hold", "late_grace_minutes": 30})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let (_, got) = app.get("/organisation/publishing", &token).await;
        assert_eq!(
            got,
            json!({"late_policy": "hold", "late_grace_minutes": 30})
        );
        let (_, vs) = scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "Held", 10).await;
        app.clock.advance(Duration::hours(2));
        assert_eq!(claim(&app, vs[0].0).await, Claim::Held(HeldBy::Late));
        let (_, waiting) = app.get("/attention", &token).await;
        let w = &items(&waiting)[0];
        assert_eq!(
            (w["status"].as_str(), w["held_by"].as_str()),
            (Some("paused"), Some("late"))
        );
        assert!(w["late_by_s"].as_i64().unwrap() >= 100 * 60, "{w}");
        let (status, state) = app
            .post_json(&format!("/variants/{}/resume", vs[0].0), &token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert!(
            matches!(claim(&app, vs[0].0).await, Claim::Go(_)),
            "on time now"
        );
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "variant.publishing"
        );
    }
}

/// A held post can also be rescheduled (it goes at the new time) or cancelled, through the same
/// endpoints as any scheduled post.
#[tokio::test]
async fn a_held_post_can_be_rescheduled_taken_off_or_cancelled() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let channel = app.channel(&ws, "brand_news").await;
        let ch = channel.id.to_string();
        let (_, token) = app
            .user_with_token("olivia@example.test", Role::Owner)
            .await;
        let (_, vs) = scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "One", 10).await;
        let (_, more) = scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "Two", 10).await;
        let (_, last) = scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "Three", 10).await;
        let (status, pause) = app
            .post_json(
                "/pauses",
                &token,
                json!({"scope": "channel", "scope_id": channel.id, "reason": "Check the account"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        for v in [vs[0].0, more[0].0, last[0].0] {
            assert_eq!(claim(&app, v).await, Claim::Held(HeldBy::Pause));
        }
        app.delete(
            &format!("/pauses/{}", pause["id"].as_str().unwrap()),
            &token,
        )
        .await;

        let at = app.store().now() + Duration::days(1);
        let (status, state) = app
            .post_json(
                &format!("/variants/{}/schedule", vs[0].0),
                &token,
                json!({"scheduled_at": at.to_rfc3339()}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert_eq!(state["status"], "scheduled");
        assert_eq!(state["held_by"], Value::Null);
        assert!(matches!(claim(&app, vs[0].0).await, Claim::Go(_)));

        let (status, state) = app
            .post_json(
                &format!("/variants/{}/unschedule", more[0].0),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert_eq!(state["status"], "approved");
        assert_eq!(state["scheduled_at"], Value::Null);

        let (status, state) = app
            .post_json(
                &format!("/variants/{}/unschedule", last[0].0),
                &token,
                json!({"cancel": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{state}");
        assert_eq!(state["status"], "cancelled");
        let (_, waiting) = app.get("/attention", &token).await;
        assert!(items(&waiting).is_empty(), "{waiting}");
    }
}

// ---- pages ----

async fn signed_in(app: &TestApp, user: &TestUser) -> (CookieJar, String) {
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(user, &mut jar).await;
    (jar, csrf)
}

async fn speak_bulgarian(app: &TestApp, user: &TestUser) {
    app.store()
        .update_profile(
            &Actor::cli(),
            user.id,
            &DisplayName::parse("name", "Мария").unwrap(),
            "bg",
            "Europe/Sofia",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn needs_attention_lists_what_waits_and_its_actions_work() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let channel = app.channel(&ws, "brand_news").await;
        let ch = channel.id.to_string();
        let x = app
            .channel_on(ws.id, Network::X, "acme")
            .await
            .id
            .to_string();
        let owner = app.user("olivia@example.test", Role::Owner).await;
        let token = app.token(&owner).await;
        let (held_post, held) =
            scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "Held one", 10).await;
        let (_, other) =
            scheduled(&app, &token, &ws, std::slice::from_ref(&ch), "Held two", 10).await;
        let (_, third) = scheduled(
            &app,
            &token,
            &ws,
            std::slice::from_ref(&ch),
            "Held three",
            10,
        )
        .await;
        let (_, unsure) =
            scheduled(&app, &token, &ws, std::slice::from_ref(&x), "Unsure", 10).await;
        let (status, pause) = app
            .post_json(
                "/pauses",
                &token,
                json!({"scope": "organisation", "reason": "Storm damage"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        for v in [held[0].0, other[0].0, third[0].0] {
            assert_eq!(claim(&app, v).await, Claim::Held(HeldBy::Pause));
        }
        assert_eq!(claim(&app, unsure[0].0).await, Claim::Held(HeldBy::Pause));

        let (mut jar, csrf) = signed_in(&app, &owner).await;
        let page = app.get_page("/publish/attention", &mut jar).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(
            html.contains("Held one") && html.contains("Held two"),
            "{html}"
        );
        assert!(
            html.contains("Publishing was paused at its time: Storm damage"),
            "{html}"
        );
        assert!(html.contains(&format!(
            "action=\"/publish/attention/{}/resume\"",
            held[0].0
        )));
        assert!(html.contains(&format!(
            "action=\"/publish/attention/{}/schedule\"",
            held[0].0
        )));
        assert!(html.contains(&format!(
            "action=\"/publish/attention/{}/cancel\"",
            held[0].0
        )));
        assert!(html.contains(&format!("href=\"/publish/posts/{held_post}\"")));
        assert!(html.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")));
        assert!(html.contains("href=\"/publish/attention\" aria-current=\"page\""));
        let badge = app
            .get_page("/publish/attention/badge", &mut jar)
            .await
            .text();
        assert!(
            badge.contains(">4<") && badge.contains("4 posts need attention"),
            "{badge}"
        );
        let banner = app.get_page("/publishing/banner", &mut jar).await.text();
        assert!(
            banner.contains("Publishing is paused for the whole organisation — Storm damage"),
            "{banner}"
        );
        assert!(banner.contains("by olivia"), "{banner}");

        // Without the CSRF token nothing happens.
        let path = format!("/publish/attention/{}/resume", held[0].0);
        let res = app.post_form(&path, &mut jar, &[]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        // While paused: refused, saying so.
        let res = app
            .post_form(&path, &mut jar, &[("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(
            res.text().contains("Publishing is still paused here"),
            "{}",
            res.text()
        );

        app.delete(
            &format!("/pauses/{}", pause["id"].as_str().unwrap()),
            &token,
        )
        .await;
        let banner = app.get_page("/publishing/banner", &mut jar).await.text();
        assert!(
            banner.contains("hidden") && !banner.contains("Storm"),
            "{banner}"
        );
        // Send now, back to the post it came from.
        let res = app
            .post_form(
                &path,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("return", &format!("/publish/posts/{held_post}")),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            res.location(),
            Some(format!("/publish/posts/{held_post}?engine=resumed").as_str())
        );
        assert_eq!(status_of(&app, held[0].0).await, VariantStatus::Scheduled);
        let page = app
            .get_page(
                &format!("/publish/posts/{held_post}?engine=resumed"),
                &mut jar,
            )
            .await;
        assert!(page.text().contains("Sent again"), "{}", page.text());
        // Another site is never where a form goes back to.
        let res = app
            .post_form(
                &format!("/publish/attention/{}/cancel", third[0].0),
                &mut jar,
                &[("csrf_token", &csrf), ("return", "https://evil.example/")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), Some("/?engine=cancelled"));
        assert_eq!(status_of(&app, third[0].0).await, VariantStatus::Cancelled);

        // Reschedule: a time in the past is refused; a future one (in the viewer's zone) works.
        let when = format!("/publish/attention/{}/schedule", other[0].0);
        let res = app
            .post_form(
                &when,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("when", "2001-01-01T10:00"),
                    ("tz", "UTC"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("Choose a date and time in the future"));
        let future = (app.store().now() + Duration::days(2))
            .with_timezone(&chrono_tz::Europe::Sofia)
            .format("%Y-%m-%dT10:30")
            .to_string();
        let res = app
            .post_form(
                &when,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("when", &future),
                    ("tz", "Europe/Sofia"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(
            res.location(),
            Some("/publish/attention?engine=rescheduled")
        );
        let p = app
            .store()
            .post_of_variant(other[0].0)
            .await
            .unwrap()
            .unwrap();
        let v = p.variant(other[0].0).unwrap();
        assert_eq!(v.status, VariantStatus::Scheduled);
        assert_eq!(v.schedule_tz, "Europe/Sofia");
        assert_eq!(
            v.scheduled_at
                .unwrap()
                .with_timezone(&chrono_tz::Europe::Sofia)
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            future
        );

        // Unconfirmed: a link to check, "it is there" with its address, or "send again".
        claim_unconfirmed(&app, &token, &ws, &x).await;
        let html = app.get_page("/publish/attention", &mut jar).await.text();
        assert!(html.contains("href=\"https://x.com/acme\""), "{html}");
        assert!(html.contains("value=\"not_there\""));
        let v = app
            .store()
            .needs_attention(app.org().id, None)
            .await
            .unwrap();
        let unconfirmed = v
            .iter()
            .find(|a| a.status == VariantStatus::Unconfirmed)
            .unwrap()
            .variant_id;
        let resolve = format!("/publish/attention/{unconfirmed}/resolve");
        let res = app
            .post_form(
                &resolve,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("outcome", "published"),
                    ("url", "x.com/1"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("https://…"));
        let res = app
            .post_form(
                &resolve,
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("outcome", "published"),
                    ("url", "https://x.com/acme/status/9"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(status_of(&app, unconfirmed).await, VariantStatus::Scheduled);

        // Someone who may not publish sees what waits, without actions; no posts rights: 403.
        let approver = app.user("adam@example.test", Role::Approver).await;
        let (mut ajar, acsrf) = signed_in(&app, &approver).await;
        let html = app.get_page("/publish/attention", &mut ajar).await.text();
        assert!(html.contains("Unsure"), "{html}");
        assert!(!html.contains("/resume\""));
        let res = app
            .post_form(
                &format!("/publish/attention/{}/resume", unsure[0].0),
                &mut ajar,
                &[("csrf_token", &acsrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let agent = app.user("cara@example.test", Role::CommunityAgent).await;
        let (mut gjar, _) = signed_in(&app, &agent).await;
        assert_eq!(
            app.get_page("/publish/attention", &mut gjar).await.status,
            StatusCode::FORBIDDEN
        );
        let badge = app.get_page("/publish/attention/badge", &mut gjar).await;
        assert_eq!(badge.status, StatusCode::OK);
        assert!(badge.text().contains("hidden"));

        // In Bulgarian.
        speak_bulgarian(&app, &owner).await;
        let html = app.get_page("/publish/attention", &mut jar).await.text();
        assert!(
            html.contains("Изисква внимание") && html.contains("Изпрати сега"),
            "{html}"
        );
    }
}

/// A post scheduled on `channel` that reached the network without an answer.
async fn claim_unconfirmed(app: &TestApp, token: &str, ws: &Workspace, channel: &str) {
    let (_, vs) = scheduled(app, token, ws, &[channel.to_owned()], "Unconfirmed", 10).await;
    assert!(matches!(claim(app, vs[0].0).await, Claim::Go(_)));
    app.store()
        .record_unconfirmed(vs[0].0, "The network did not answer.")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_post_shows_its_failure_with_retry_and_how_late_it_went_out() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let a = app.channel(&ws, "brand_a").await.id.to_string();
        let b = app.channel(&ws, "brand_b").await.id.to_string();
        let owner = app.user("olivia@example.test", Role::Owner).await;
        let token = app.token(&owner).await;
        let (post, vs) = scheduled(&app, &token, &ws, &[a.clone(), b.clone()], "Twice", 10).await;
        app.clock.advance(Duration::minutes(10 + 125));
        for (v, _) in &vs {
            assert!(matches!(claim(&app, *v).await, Claim::Go(_)));
        }
        app.store()
            .record_published(vs[0].0, "r1", "https://example.test/r1")
            .await
            .unwrap();
        app.store()
            .record_failed_for_owners(vs[1].0, "The network refused the image.")
            .await
            .unwrap();
        let (mut jar, csrf) = signed_in(&app, &owner).await;
        let html = app
            .get_page(&format!("/publish/posts/{post}"), &mut jar)
            .await
            .text();
        assert!(html.contains("late by 2 h 5 min"), "{html}");
        assert!(html.contains("The network refused the image."));
        assert!(html.contains(&format!("action=\"/publish/attention/{}/resume\"", vs[1].0)));
        assert!(html.contains(">Retry<"));
        assert!(html.contains(&format!("name=\"return\" value=\"/publish/posts/{post}\"")));
        let list = app.get_page("/publish", &mut jar).await.text();
        assert!(list.contains("late by 2 h 5 min"), "{list}");
        // The notification links to the post and says what happened.
        let notes = app.get_page("/notifications", &mut jar).await.text();
        assert!(notes.contains("The network refused the image."), "{notes}");
        assert!(notes.contains(&format!("href=\"/posts/{post}\"")));
        let res = app
            .post_form(
                &format!("/publish/attention/{}/resume", vs[1].0),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("return", &format!("/publish/posts/{post}")),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(status_of(&app, vs[1].0).await, VariantStatus::Scheduled);
        speak_bulgarian(&app, &owner).await;
        let html = app
            .get_page(&format!("/publish/posts/{post}"), &mut jar)
            .await
            .text();
        assert!(html.contains("закъсняло с 2 ч 5 мин"), "{html}");
    }
}

#[tokio::test]
async fn settings_pause_the_organisation_a_workspace_and_set_the_late_policy() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let channel = app.channel(&ws, "brand_news").await;
        let owner = app.user("olivia@example.test", Role::Owner).await;
        let (mut jar, csrf) = signed_in(&app, &owner).await;
        let page = app.get_page("/settings/publishing", &mut jar).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("Pause all publishing"));
        assert!(html.contains("Publishing is running everywhere."));
        assert!(html.contains(&format!("value=\"workspace:{}\"", ws.id)));
        assert!(html.contains(&format!("value=\"channel:{}\"", channel.id)));
        assert!(html.contains("name=\"late_policy\" value=\"send\" checked"));
        assert!(html.contains("href=\"/settings/publishing\" aria-current=\"page\""));

        // The organisation: a reason and the confirmation are required.
        let res = app
            .post_form(
                "/settings/publishing/pauses",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("scope", "organisation"),
                    ("reason", "Storm"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text()
                .contains("Confirm that you mean to stop all publishing.")
        );
        assert!(
            res.text().contains(">Storm</textarea>"),
            "the reason is kept"
        );
        let res = app
            .post_form(
                "/settings/publishing/pauses",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("scope", "organisation"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("Say why publishing is paused."));
        let res = app
            .post_form(
                "/settings/publishing/pauses",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("scope", "organisation"),
                    ("reason", "Storm damage"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), Some("/settings/publishing?engine=paused"));
        let html = app
            .get_page("/settings/publishing?engine=paused", &mut jar)
            .await
            .text();
        assert!(html.contains("Publishing is paused."));
        assert!(html.contains("The whole organisation") && html.contains("Storm damage"));
        let pauses = app.store().pauses(app.org().id, true).await.unwrap();
        assert_eq!(pauses.len(), 1);
        assert!(html.contains(&format!(
            "action=\"/settings/publishing/pauses/{}/lift\"",
            pauses[0].id
        )));
        // A workspace, and a scope that does not exist.
        let res = app
            .post_form(
                "/settings/publishing/pauses",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("scope", &format!("workspace:{}", ws.id)),
                    ("reason", "Rebrand"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let res = app
            .post_form(
                "/settings/publishing/pauses",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("scope", &format!("workspace:{}", uuid::Uuid::now_v7())),
                    ("reason", "Nowhere"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.text()
                .contains("Choose a workspace or channel you may pause.")
        );
        // Resume.
        let res = app
            .post_form(
                &format!("/settings/publishing/pauses/{}/lift", pauses[0].id),
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), Some("/settings/publishing?engine=lifted"));
        let res = app
            .post_form(
                &format!("/settings/publishing/pauses/{}/lift", pauses[0].id),
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        let html = app.get_page("/settings/publishing", &mut jar).await.text();
        assert!(html.contains("Recently resumed"));
        assert!(html.contains("Workspace Brand") && html.contains("Rebrand"));

        // The late policy.
        let res = app
            .post_form(
                "/settings/publishing/late",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("late_policy", "hold"),
                    ("late_grace_minutes", "99999"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("from 0 to 10,080"));
        let res = app
            .post_form(
                "/settings/publishing/late",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("late_policy", "hold"),
                    ("late_grace_minutes", "45"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let (policy, grace) = app.store().late_policy(app.org().id).await.unwrap();
        assert_eq!((policy.code(), grace.num_minutes()), ("hold", 45));

        // A workspace admin pauses their workspace only; an agent may not come in.
        let ws_admin = app
            .user_with_grants(
                "ws-admin@example.test",
                &[Grant {
                    role: Role::Admin,
                    scope: Scope::Workspace(ws.id),
                }],
            )
            .await;
        let (mut wjar, wcsrf) = signed_in(&app, &ws_admin).await;
        let html = app.get_page("/settings/publishing", &mut wjar).await.text();
        assert!(!html.contains("Pause all publishing"));
        assert!(!html.contains("name=\"late_policy\""));
        assert!(html.contains(&format!("value=\"workspace:{}\"", ws.id)));
        let res = app
            .post_form(
                "/settings/publishing/pauses",
                &mut wjar,
                &[
                    ("csrf_token", &wcsrf),
                    ("scope", "organisation"),
                    ("reason", "x"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = app
            .post_form(
                "/settings/publishing/late",
                &mut wjar,
                &[
                    ("csrf_token", &wcsrf),
                    ("late_policy", "send"),
                    ("late_grace_minutes", "5"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let agent = app.user("cara@example.test", Role::CommunityAgent).await;
        let (mut gjar, _) = signed_in(&app, &agent).await;
        assert_eq!(
            app.get_page("/settings/publishing", &mut gjar).await.status,
            StatusCode::FORBIDDEN
        );
        // An agent does not publish: no banner, even while paused.
        let banner = app.get_page("/publishing/banner", &mut gjar).await.text();
        assert!(!banner.contains("Rebrand"));

        speak_bulgarian(&app, &owner).await;
        let html = app.get_page("/settings/publishing", &mut jar).await.text();
        assert!(html.contains("Спри цялото публикуване"), "{html}");
        assert!(html.contains("Работно пространство Brand"));
    }
}

#[tokio::test]
async fn a_channel_that_needs_reconnecting_says_so_in_settings_and_the_composer() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let x = app.channel_on(ws.id, Network::X, "acme").await;
        let owner = app.user("olivia@example.test", Role::Owner).await;
        let token = app.token(&owner).await;
        let (_, vs) = scheduled(&app, &token, &ws, &[x.id.to_string()], "Post", 10).await;
        assert!(matches!(claim(&app, vs[0].0).await, Claim::Go(_)));
        app.store()
            .record_needs_reconnect(vs[0].0, x.id, "The token was revoked on X.")
            .await
            .unwrap();
        let (mut jar, _) = signed_in(&app, &owner).await;
        let html = app.get_page("/settings/workspaces", &mut jar).await.text();
        assert!(html.contains("Needs reconnecting"), "{html}");
        assert!(html.contains("The token was revoked on X."));
        let html = app
            .get_page(&format!("/publish/new?workspace={}", ws.id), &mut jar)
            .await
            .text();
        assert!(html.contains("Needs reconnecting"), "{html}");
        assert!(html.contains("The token was revoked on X."));
        let notes = app.get_page("/notifications", &mut jar).await.text();
        assert!(notes.contains("acme needs reconnecting."), "{notes}");
        assert!(notes.contains("href=\"/settings/channels\""), "{notes}");
        let res = app.get_page("/settings/channels", &mut jar).await;
        assert_eq!(res.location(), Some("/settings/workspaces"));
    }
}
