//! Routing rules, presence and automatic assignment with caps, SLA policies and escalation,
//! abuse protection and reports — over HTTP and through the store's one ingest path, on both
//! backends.

use axum::http::StatusCode;
use chrono::Duration;
use owlery_domain::{
    ChannelId, Role,
    audit::Actor,
    inbox::{AroundTheClock, Author, InboundMessage, MessageKind},
};
use owlery_store::inbox::{InboxScope, Incoming};
use owlery_triage::inbox::classification;
use owlery_triage::{BuiltIn, Classifier};
use serde_json::{Value, json};

use crate::support::{CookieJar, TestApp};

fn incoming(
    app: &TestApp,
    channel: ChannelId,
    remote: &str,
    kind: MessageKind,
    author: &str,
    text: &str,
) -> Incoming {
    let classifier = BuiltIn::new().unwrap();
    Incoming {
        message: InboundMessage {
            channel,
            remote_id: remote.into(),
            kind,
            author: Author {
                remote_id: format!("id-{author}"),
                handle: author.to_lowercase(),
                name: author.into(),
                followers: Some(1200),
            },
            text: text.into(),
            created_at: app.store().now() - Duration::minutes(1),
            conversation_remote_id: (kind == MessageKind::Comment).then(|| "post-1".to_owned()),
            in_reply_to_remote_id: None,
            media: Vec::new(),
            url: None,
        },
        triage: classification(&classifier.classify(text)),
    }
}

/// The conversation (as the API shows it) of `author` on `channel`.
async fn conversation_of(app: &TestApp, token: &str, author: &str) -> Value {
    let (status, body) = app.get("/inbox/conversations?limit=200", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contact"]["name"] == author)
        .cloned()
        .unwrap_or_else(|| panic!("no conversation of {author}: {body}"))
}

#[tokio::test]
async fn rules_route_assign_within_caps_and_are_audited() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let (admin, token) = app.user_with_token("admin@example.test", Role::Admin).await;
        let (ana, ana_token) = app
            .user_with_token("ana@example.test", Role::CommunityAgent)
            .await;
        let (bo, bo_token) = app
            .user_with_token("bo@example.test", Role::CommunityAgent)
            .await;
        let team = app.team("Support").await;
        for u in [ana.id, bo.id] {
            app.store()
                .set_team_member(&Actor::cli(), team.id, u, true)
                .await
                .unwrap();
        }
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/teams/{}", team.id),
                Some(&token),
                Some(json!({"assignment_mode": "round_robin", "max_open": 1, "lead_user_id": admin.id})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Bo is away: only Ana takes conversations.
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                "/me/presence",
                Some(&bo_token),
                Some(json!({"status": "away"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "away");

        // A rule: refunds go to Support, tagged, high priority.
        let rule = json!({
            "name": "Refunds",
            "conditions": [{"type": "keyword", "words": ["Refund", "възстановяване"]}],
            "actions": [
                {"type": "assign_team", "team_id": team.id},
                {"type": "tag", "tag": "Refund"},
                {"type": "set_priority", "priority": "high"}
            ]
        });
        let (status, created) = app.post_json("/inbox/rules", &token, rule.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(
            created["conditions"][0]["words"],
            json!(["refund", "възстановяване"])
        );
        // A second rule that never runs after a stopping one.
        let (status, stopper) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "Praise", "conditions": [{"type": "keyword", "words": ["thanks"]}],
                       "actions": [{"type": "tag", "tag": "kudos"}], "stop": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{stopper}");

        // Mistakes are 4xx with what to fix.
        let (status, body) = app
            .post_json("/inbox/rules", &token, json!({"name": "x", "actions": []}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "no_actions");
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "x", "actions": [{"type": "assign_team", "team_id": uuid::Uuid::now_v7()}]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "unknown_team");
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "x", "actions": [{"type": "teleport"}]}),
            )
            .await;
        assert!(status.is_client_error(), "{status} {body}");
        let (status, _) = app.get("/inbox/rules", &ana_token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The preview: triage and which rules fire, nothing stored.
        let (status, body) = app
            .post_json(
                "/inbox/rules/preview",
                &token,
                json!({"text": "I want a REFUND for my order"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["fired"][0]["name"], "Refunds");
        assert_eq!(body["fired"].as_array().unwrap().len(), 1);
        assert_eq!(body["language"], "eng");
        let (status, body) = app
            .post_json("/inbox/rules/preview", &token, json!({"text": "  "}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // Ingest: the first refund goes to Ana.
        let report = app
            .store()
            .ingest(
                &[incoming(
                    &app,
                    ch,
                    "m1",
                    MessageKind::Comment,
                    "Ivan",
                    "Refund please, it broke",
                )],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        assert_eq!(report.rules_fired, 1);
        assert_eq!(report.assigned, 1);
        let c = conversation_of(&app, &token, "Ivan").await;
        assert_eq!(c["team_id"], json!(team.id));
        assert_eq!(c["assignee_id"], json!(ana.id));
        assert_eq!(c["priority"], "high");
        assert_eq!(c["tags"], json!(["refund"]));
        let audit = app
            .store()
            .audit_events(&Default::default(), 10)
            .await
            .unwrap();
        let applied = audit
            .iter()
            .find(|e| e.entry.action == "inbox_rule.applied")
            .expect("the rule's action is audited");
        assert!(
            applied
                .entry
                .after
                .as_deref()
                .unwrap_or("")
                .contains("Refunds"),
            "{:?}",
            applied.entry.after
        );
        assert!(
            audit
                .iter()
                .any(|e| e.entry.action == "conversation.auto_assign")
        );
        let notes = app.store().notifications(ana.id, 10).await.unwrap();
        assert!(notes.iter().any(|n| n.kind == "inbox_assigned"));

        // Ana is at her cap and Bo is away: the next one waits in the team, unassigned.
        app.store()
            .ingest(
                &[incoming(&app, ch, "m2", MessageKind::Dm, "Olga", "refund?")],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let c = conversation_of(&app, &token, "Olga").await;
        assert_eq!(c["team_id"], json!(team.id));
        assert_eq!(c["assignee_id"], json!(null));
        // Bo comes back: he gets the next.
        let (status, _) = app
            .api(
                axum::http::Method::PUT,
                "/me/presence",
                Some(&bo_token),
                Some(json!({"status": "available"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        app.store()
            .ingest(
                &[incoming(
                    &app,
                    ch,
                    "m3",
                    MessageKind::Dm,
                    "Petar",
                    "Искам възстановяване на парите",
                )],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let c = conversation_of(&app, &token, "Petar").await;
        assert_eq!(c["assignee_id"], json!(bo.id), "{c}");

        // A stopping rule first: the refund rule no longer runs for a message that matches both.
        let (status, body) = app
            .post_json(
                &format!("/inbox/rules/{}/move", stopper["id"].as_str().unwrap()),
                &token,
                json!({"direction": "up"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["items"][0]["name"], "Praise");
        let (_, body) = app
            .post_json(
                "/inbox/rules/preview",
                &token,
                json!({"text": "thanks, but I want a refund"}),
            )
            .await;
        let fired: Vec<&str> = body["fired"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(fired, ["Praise"]);
        let (status, body) = app
            .post_json(
                &format!("/inbox/rules/{}/move", stopper["id"].as_str().unwrap()),
                &token,
                json!({"direction": "sideways"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // Turned off, a rule does nothing; deleted, it is gone.
        let mut off = rule.clone();
        off["enabled"] = json!(false);
        let id = created["id"].as_str().unwrap();
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/rules/{id}"),
                Some(&token),
                Some(off),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["enabled"], false);
        let (status, _) = app.delete(&format!("/inbox/rules/{id}"), &token).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app.delete(&format!("/inbox/rules/{id}"), &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let _ = ana_token;
    }
}

/// Two ingests at once never give one person more than their cap.
#[tokio::test]
async fn concurrent_ingests_never_exceed_a_cap() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Busy").await;
        let ch = app.channel(&ws, "busy").await.id;
        let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let agent = app.user("solo@example.test", Role::CommunityAgent).await;
        let team = app.team("Solo").await;
        app.store()
            .set_team_member(&Actor::cli(), team.id, agent.id, true)
            .await
            .unwrap();
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/teams/{}", team.id),
                Some(&token),
                Some(json!({"assignment_mode": "load_balanced", "max_open": 2})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/workspaces/{}", ws.id),
                Some(&token),
                Some(json!({"default_team_id": team.id})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let batch = |k: usize| -> Vec<Incoming> {
            (0..3)
                .map(|i| {
                    incoming(
                        &app,
                        ch,
                        &format!("c{k}-{i}"),
                        MessageKind::Dm,
                        &format!("Writer {k}-{i}"),
                        "hello",
                    )
                })
                .collect()
        };
        let (a, b, c) = (batch(1), batch(2), batch(3));
        let policy = AroundTheClock::default();
        let store = app.store();
        let (ra, rb, rc) = tokio::join!(
            store.ingest(&a, &policy),
            store.ingest(&b, &policy),
            store.ingest(&c, &policy)
        );
        let assigned = ra.unwrap().assigned + rb.unwrap().assigned + rc.unwrap().assigned;
        assert_eq!(assigned, 2, "{}", app.backend());
        let page = store
            .list_conversations(
                app.org().id,
                &InboxScope::All,
                &Default::default(),
                None,
                50,
            )
            .await
            .unwrap();
        let held = page
            .items
            .iter()
            .filter(|c| c.assignee_id == Some(agent.id))
            .count();
        assert_eq!(held, 2, "{}", app.backend());
        assert!(page.items.iter().all(|c| c.team_id == Some(team.id)));
    }
}

#[tokio::test]
async fn sla_policies_set_deadlines_and_escalate_once() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Care").await;
        let ch = app.channel(&ws, "care").await.id;
        let (lead, token) = app.user_with_token("lead@example.test", Role::Admin).await;
        let agent = app.user("care@example.test", Role::CommunityAgent).await;
        let spare = app.user("spare@example.test", Role::CommunityAgent).await;
        let team = app.team("Care").await;
        for u in [agent.id, spare.id] {
            app.store()
                .set_team_member(&Actor::cli(), team.id, u, true)
                .await
                .unwrap();
        }
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/teams/{}", team.id),
                Some(&token),
                Some(
                    json!({"assignment_mode": "round_robin", "lead_user_id": lead.id,
                            "time_zone": "Mars/Olympus", "hours": "mon-fri 09:00-17:00"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/teams/{}", team.id),
                Some(&token),
                Some(
                    json!({"assignment_mode": "round_robin", "lead_user_id": lead.id,
                            "hours": "mon-fri 09:00-17:00; sat 25:00-26:00"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/teams/{}", team.id),
                Some(&token),
                Some(json!({"assignment_mode": "round_robin", "lead_user_id": lead.id})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .post_json(
                "/inbox/sla-policies",
                &token,
                json!({"name": "Care", "team_id": team.id, "first_response_minutes": 0}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = app
            .post_json(
                "/inbox/sla-policies",
                &token,
                json!({"name": "Care, fast", "team_id": team.id, "first_response_minutes": 120,
                       "next_response_minutes": 60, "warn_before_minutes": 30,
                       "escalate_reassign": true, "escalate_raise_priority": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = app.get("/inbox/sla-policies", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"][0]["name"], "Care, fast");
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/workspaces/{}", ws.id),
                Some(&token),
                Some(json!({"default_team_id": team.id})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let msg = incoming(
            &app,
            ch,
            "s1",
            MessageKind::Dm,
            "Nina",
            "Where is my parcel?",
        );
        let at = msg.message.created_at;
        app.store()
            .ingest(&[msg], &AroundTheClock::default())
            .await
            .unwrap();
        let c = conversation_of(&app, &token, "Nina").await;
        let due: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(c["next_response_due"].clone()).unwrap();
        assert_eq!(due, at + Duration::hours(2), "the team's policy, not 24 h");
        let first = c["assignee_id"].clone();
        assert!(first == json!(agent.id) || first == json!(spare.id), "{c}");

        // Nothing yet; at the warning, the assignee is told (once); at breach, escalation.
        assert_eq!(app.store().sla_sweep(100).await.unwrap(), (0, 0));
        app.clock.advance(Duration::minutes(95));
        assert_eq!(app.store().sla_sweep(100).await.unwrap(), (1, 0));
        assert_eq!(app.store().sla_sweep(100).await.unwrap(), (0, 0));
        app.clock.advance(Duration::minutes(30));
        assert_eq!(app.store().sla_sweep(100).await.unwrap(), (0, 1));
        assert_eq!(
            app.store().sla_sweep(100).await.unwrap(),
            (0, 0),
            "once per deadline"
        );
        let c = conversation_of(&app, &token, "Nina").await;
        assert_eq!(c["priority"], "high", "raised one step");
        assert_ne!(c["assignee_id"], first, "re-assigned within the team");
        assert_eq!(c["sla"], "breached");
        let notes = app.store().notifications(lead.id, 10).await.unwrap();
        assert!(
            notes.iter().any(|n| n.kind == "inbox_sla_breached"),
            "{notes:?}"
        );
        let audit = app
            .store()
            .audit_events(&Default::default(), 20)
            .await
            .unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.entry.action == "conversation.sla_escalate")
        );
        assert!(
            audit
                .iter()
                .any(|e| e.entry.action == "conversation.sla_warn")
        );

        let id = body["items"][0]["id"].as_str().map(str::to_owned);
        let (_, list) = app.get("/inbox/sla-policies", &token).await;
        let pid = list["items"][0]["id"].as_str().unwrap().to_owned();
        let (status, _) = app
            .delete(&format!("/inbox/sla-policies/{pid}"), &token)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let _ = id;
    }
}

#[tokio::test]
async fn abusive_messages_are_blurred_and_hidden_on_request() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Brand").await;
        let ch = app.channel(&ws, "brand").await.id;
        let (admin, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/workspaces/{}", ws.id),
                Some(&token),
                Some(json!({"hide_abusive": true})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let text = "You are a stupid idiot, shut up you pathetic moron";
        let msg = incoming(&app, ch, "a1", MessageKind::Comment, "Troll", text);
        assert_eq!(
            msg.triage.intent,
            owlery_domain::inbox::Intent::Abuse,
            "the built-in classifier calls this abuse"
        );
        let report = app
            .store()
            .ingest(
                &[
                    msg,
                    incoming(
                        &app,
                        ch,
                        "a2",
                        MessageKind::Comment,
                        "Fan",
                        "Lovely photo, thank you!",
                    ),
                ],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        assert_eq!(report.hide_requested, 1);
        let c = conversation_of(&app, &token, "Troll").await;
        let (_, detail) = app
            .get(
                &format!("/inbox/conversations/{}", c["id"].as_str().unwrap()),
                &token,
            )
            .await;
        assert!(
            detail["messages"][0]["hide_requested_at"].is_string(),
            "{detail}"
        );

        // Staff can still find it.
        let (_, found) = app.get("/inbox/search?q=moron", &token).await;
        assert_eq!(found["messages"].as_array().unwrap().len(), 1);

        let mut jar = CookieJar::default();
        app.sign_in_directly(&admin, &mut jar).await;
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(html.contains("abuse-blur"), "{html}");
        assert!(html.contains("Possibly abusive message, blurred"));
        let html = app
            .get_page(&format!("/inbox/c/{}", c["id"].as_str().unwrap()), &mut jar)
            .await
            .text();
        assert!(html.contains("<details class=\"abuse-reveal\">"), "{html}");
        assert!(html.contains("Possibly abusive — show"));
        assert!(html.contains("Being hidden on the network"));
        // The friendly comment is not blurred.
        let fan = conversation_of(&app, &token, "Fan").await;
        let html = app
            .get_page(
                &format!("/inbox/c/{}", fan["id"].as_str().unwrap()),
                &mut jar,
            )
            .await
            .text();
        assert!(!html.contains("abuse-reveal"));

        // The hide job records what the network said.
        let mid = detail["messages"][0]["id"].as_str().unwrap();
        let mid = uuid::Uuid::parse_str(mid).unwrap();
        app.store()
            .finish_hide(mid, Err("Bluesky cannot hide someone else's reply".into()))
            .await
            .unwrap();
        let html = app
            .get_page(&format!("/inbox/c/{}", c["id"].as_str().unwrap()), &mut jar)
            .await
            .text();
        assert!(html.contains("Not hidden on the network"), "{html}");
        app.store().finish_hide(mid, Ok(())).await.unwrap();
        let html = app
            .get_page(&format!("/inbox/c/{}", c["id"].as_str().unwrap()), &mut jar)
            .await
            .text();
        assert!(html.contains("Hidden on the network"), "{html}");
    }
}

#[tokio::test]
async fn reports_count_volume_response_times_and_the_split() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Numbers").await;
        let ch = app.channel(&ws, "numbers").await.id;
        let (analyst, token) = app
            .user_with_token("analyst@example.test", Role::Analyst)
            .await;
        app.store()
            .ingest(
                &[
                    incoming(&app, ch, "r1", MessageKind::Dm, "A", "hi"),
                    incoming(&app, ch, "r2", MessageKind::Dm, "B", "hello"),
                ],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let (status, body) = app.get("/inbox/reports", &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"]["all"]["conversations"], 2);
        assert_eq!(
            body["total"]["business_hours"]["conversations"], 2,
            "around the clock"
        );
        assert_eq!(body["by_channel"][0]["name"], "numbers");
        assert_eq!(body["by_agent"][0]["name"], json!(null));
        assert_eq!(body["total"]["all"]["replies"], 0);
        assert_eq!(body["total"]["all"]["reply_median_secs"], json!(null));

        // An agent answers A twice in a row (the second ends no wait) and B once; a reply still
        // queued is not counted. A's wait ran from A's message, a minute before the answer.
        let (_, agent_token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let a = conversation_of(&app, &agent_token, "A").await;
        let b = conversation_of(&app, &agent_token, "B").await;
        let answer = |conv: &Value, key: &'static str| {
            let path = format!(
                "/inbox/conversations/{}/replies",
                conv["id"].as_str().unwrap()
            );
            let token = agent_token.clone();
            let app = &app;
            async move {
                let (status, body) = app
                    .post_json(&path, &token, json!({"text": "Thanks!", "client_key": key}))
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                owlery_domain::MessageId(body["id"].as_str().unwrap().parse().unwrap())
            }
        };
        for key in ["a1", "a2"] {
            let id = answer(&a, key).await;
            assert!(app.store().record_reply_sent(id, key, None).await.unwrap());
        }
        let _queued = answer(&b, "b1").await;
        let (status, body) = app.get("/inbox/reports", &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let all = &body["total"]["all"];
        assert_eq!(all["replies"], 1, "{body}");
        let wait = all["reply_median_secs"].as_i64().unwrap();
        assert!(
            (60..600).contains(&wait),
            "from A's message to the answer: {body}"
        );
        assert_eq!(body["total"]["business_hours"]["replies"], 1);
        let by_agent = body["by_agent"].as_array().unwrap();
        // Counted for the person who answered (the conversations are unassigned).
        let agent_row = by_agent
            .iter()
            .find(|g| !g["name"].is_null())
            .expect("the agent who answered");
        assert_eq!(agent_row["all"]["replies"], 1, "{body}");
        assert_eq!(agent_row["all"]["conversations"], 0, "{body}");
        let (status, body) = app
            .get(
                &format!(
                    "/inbox/reports?workspace={}&from=2020-01-01&to=2020-01-31",
                    ws.id
                ),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"]["all"]["conversations"], 0);
        let (status, body) = app.get("/inbox/reports?from=yesterday", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = app
            .get("/inbox/reports?from=2026-01-01&to=2020-01-01", &token)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _) = app.get("/inbox/reports", &agent_token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let mut jar = CookieJar::default();
        app.sign_in_directly(&analyst, &mut jar).await;
        let res = app.get_page("/inbox/reports", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK);
        let html = res.text();
        assert!(
            html.contains("Inbox reports") && html.contains("numbers"),
            "{html}"
        );
        assert!(
            html.contains("Reply time") && html.contains("Off hours"),
            "{html}"
        );
        let res = app.get_page("/inbox/reports?from=nope", &mut jar).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn the_settings_pages_manage_rules_and_sla_in_both_languages() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        app.channel(&ws, "shop").await;
        let team = app.team("Support").await;
        let admin = app.user("admin@example.test", Role::Admin).await;
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&admin, &mut jar).await;

        let res = app.get_page("/settings/inbox-rules", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.text().contains("No rules yet"));
        let res = app.get_page("/settings/inbox-rules/new", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK);

        // CSRF first.
        let res = app
            .post_form("/settings/inbox-rules", &mut jar, &[("name", "x")])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        // A bad value is shown next to its row.
        let res = app
            .post_form(
                "/settings/inbox-rules",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("name", "Angry"),
                    ("enabled", "on"),
                    ("cond_type_0", "sentiment"),
                    ("cond_value_0", "furious"),
                    ("act_type_0", "assign_team"),
                    ("act_value_0", "Nobody"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(
            html.contains("Write one of: negative, neutral, positive."),
            "{html}"
        );
        assert!(html.contains("No team has this name."));
        let res = app
            .post_form(
                "/settings/inbox-rules",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("name", "Angry"),
                    ("enabled", "on"),
                    ("cond_type_0", "keyword"),
                    ("cond_value_0", "broken, refund"),
                    ("act_type_0", "assign_team"),
                    ("act_value_0", "support"),
                    ("act_type_1", "set_priority"),
                    ("act_value_1", "urgent"),
                    ("act_type_2", "hide_on_network"),
                    ("workspaces", &ws.id.to_string()),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let html = app
            .get_page("/settings/inbox-rules?done=created", &mut jar)
            .await
            .text();
        assert!(html.contains("Angry") && html.contains("Support"), "{html}");
        assert!(html.contains("Rule added"));
        let rules = app.store().inbox_rules(app.org().id).await.unwrap();
        assert_eq!(rules.len(), 1);
        let id = rules[0].id;
        let res = app
            .get_page(&format!("/settings/inbox-rules/{id}"), &mut jar)
            .await;
        assert!(res.text().contains("value=\"broken, refund\""));

        // Test the rules over a pasted message.
        let res = app
            .post_form(
                "/settings/inbox-rules/test",
                &mut jar,
                &[("csrf_token", &csrf), ("sample", "My order arrived broken")],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        let html = res.text();
        assert!(
            html.contains("What would happen") && html.contains("<strong>Angry</strong>"),
            "{html}"
        );
        let res = app
            .post_form(
                "/settings/inbox-rules/test",
                &mut jar,
                &[("csrf_token", &csrf), ("sample", "")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Toggle, then delete.
        let res = app
            .post_form(
                &format!("/settings/inbox-rules/{id}/toggle"),
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(
            !app.store()
                .inbox_rule(app.org().id, id)
                .await
                .unwrap()
                .spec
                .enabled
        );
        let res = app
            .post_form(
                &format!("/settings/inbox-rules/{id}/delete"),
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);

        // SLA page: a team's hours, refused then saved; a policy.
        let res = app.get_page("/settings/inbox-sla", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK);
        let res = app
            .post_form(
                &format!("/settings/inbox-sla/teams/{}", team.id),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("assignment_mode", "load_balanced"),
                    ("time_zone", "Europe/Sofia"),
                    ("hours", "mon-fri 18:00-09:00"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let res = app
            .post_form(
                &format!("/settings/inbox-sla/teams/{}", team.id),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("assignment_mode", "load_balanced"),
                    ("max_open", "5"),
                    ("time_zone", "Europe/Sofia"),
                    ("hours", "mon-fri 09:00-17:00"),
                    ("holidays", "2026-12-25\n2026-12-24 09:00-13:00"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let res = app
            .post_form(
                "/settings/inbox-sla/policies",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("name", "Business"),
                    ("team_id", &team.id.to_string()),
                    ("first_hours", "8"),
                    ("next_hours", "4"),
                    ("warn_hours", "1"),
                    ("business_hours", "on"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let html = app.get_page("/settings/inbox-sla", &mut jar).await.text();
        assert!(
            html.contains("Business") && html.contains("8 hours"),
            "{html}"
        );

        // An agent may not.
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let mut other = CookieJar::default();
        app.sign_in_directly(&agent, &mut other).await;
        assert_eq!(
            app.get_page("/settings/inbox-rules", &mut other)
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // Bulgarian.
        app.store()
            .update_profile(
                &Actor::cli(),
                admin.id,
                &owlery_domain::user::DisplayName::parse("name", "Мария").unwrap(),
                "bg",
                "Europe/Sofia",
            )
            .await
            .unwrap();
        let html = app.get_page("/settings/inbox-rules", &mut jar).await.text();
        assert!(html.contains("Правила за входящите"), "{html}");
        let html = app.get_page("/settings/inbox-sla", &mut jar).await.text();
        assert!(html.contains("SLA политики"), "{html}");
    }
}

/// The messages of a conversation, as the API shows them.
async fn messages_of(app: &TestApp, token: &str, conversation: &Value) -> Vec<Value> {
    let (status, detail) = app
        .get(
            &format!(
                "/inbox/conversations/{}",
                conversation["id"].as_str().unwrap()
            ),
            token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail["messages"].as_array().unwrap().clone()
}

fn auto_replies(messages: &[Value]) -> Vec<&Value> {
    messages
        .iter()
        .filter(|m| m["auto_rule_id"].is_string())
        .collect()
}

#[tokio::test]
async fn auto_reply_rules_answer_with_a_saved_reply_once_a_day_and_never_loop() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let other_ws = app.workspace("Other").await;
        let ch = app.channel(&ws, "shop").await.id;
        let sky = app
            .channel_on(
                ws.id,
                owlery_domain::org::Network::Bluesky,
                "shop.bsky.social",
            )
            .await
            .id;
        let (_, token) = app.user_with_token("admin@example.test", Role::Admin).await;
        // Live processes answer where the connectors can; this store is wired the same way.
        let connectors = app.state.connectors.clone();
        let live = app.store().clone().with_reply_capability(
            owlery_store::inbox_replies::ReplyCapability::new(move |n, a, k| {
                connectors.can_reply(n, a, k)
            }),
        );

        let (status, saved) = app
            .post_json(
                "/inbox/saved-replies",
                &token,
                json!({"name": "Thanks", "body": "Hi {contact.first_name}, thanks: we are on it. {channel.name}"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        let (status, narrow) = app
            .post_json(
                "/inbox/saved-replies",
                &token,
                json!({"name": "Other only", "body": "Hello", "workspace_id": other_ws.id}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{narrow}");

        // The saved reply is checked when the rule is saved.
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "x", "actions": [{"type": "auto_reply", "saved_reply_id": uuid::Uuid::now_v7()}]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "unknown_saved_reply");
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "x", "actions": [{"type": "auto_reply", "saved_reply_id": narrow["id"]}]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "saved_reply_workspace");
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "x", "actions": [{"type": "auto_reply", "saved_reply": "Thanks"}]}),
            )
            .await;
        assert!(
            status.is_client_error(),
            "the old name-only form: {status} {body}"
        );

        let (status, rule) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "Order thanks",
                       "conditions": [{"type": "keyword", "words": ["order"]}],
                       "actions": [{"type": "auto_reply", "saved_reply_id": saved["id"]}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rule}");
        assert_eq!(rule["actions"][0]["saved_reply_id"], saved["id"]);

        // A matching message: rendered for the contact, stored as an answer with its job.
        live.ingest(
            &[incoming(
                &app,
                ch,
                "o1",
                MessageKind::Comment,
                "Ivan Petrov",
                "Where is my order?",
            )],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
        let c = conversation_of(&app, &token, "Ivan Petrov").await;
        let msgs = messages_of(&app, &token, &c).await;
        let auto = auto_replies(&msgs);
        assert_eq!(auto.len(), 1, "{msgs:?}");
        assert_eq!(auto[0]["text"], "Hi Ivan, thanks: we are on it. shop");
        assert_eq!(auto[0]["direction"], "outbound");
        assert_eq!(auto[0]["delivery"], "queued", "no approval for a rule");
        assert_eq!(auto[0]["auto_rule_id"], rule["id"]);
        assert_eq!(auto[0]["author_user_id"], json!(null));
        let job = app
            .store()
            .claim_job("test", &["inbox.reply"], Duration::seconds(60))
            .await
            .unwrap()
            .expect("its inbox.reply job");
        assert_eq!(job.payload["message_id"], auto[0]["id"]);
        let audit = app
            .store()
            .audit_events(&Default::default(), 20)
            .await
            .unwrap();
        let created = audit
            .iter()
            .find(|e| e.entry.action == "inbox.reply.create")
            .expect("the answer is audited");
        assert_eq!(created.entry.actor_label, "rule: Order thanks");

        // Sent: it does not count as the team's response (the conversation stays open, its
        // deadline runs).
        let id = owlery_domain::MessageId(auto[0]["id"].as_str().unwrap().parse().unwrap());
        assert!(
            app.store()
                .record_reply_sent(id, "net-1", None)
                .await
                .unwrap()
        );
        let c = conversation_of(&app, &token, "Ivan Petrov").await;
        assert_eq!(c["status"], "open", "{c}");
        assert_eq!(c["first_responded_at"], json!(null), "{c}");

        // Another message in the same conversation within the day: no second answer.
        live.ingest(
            &[incoming(
                &app,
                ch,
                "o2",
                MessageKind::Comment,
                "Ivan Petrov",
                "order?? hello?",
            )],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
        let msgs = messages_of(&app, &token, &c).await;
        assert_eq!(auto_replies(&msgs).len(), 1, "once a day per conversation");
        let audit = app
            .store()
            .audit_events(&Default::default(), 5)
            .await
            .unwrap();
        let applied = audit
            .iter()
            .find(|e| e.entry.action == "inbox_rule.applied")
            .unwrap();
        assert!(
            applied
                .entry
                .after
                .as_deref()
                .unwrap()
                .contains("answered_recently"),
            "{:?}",
            applied.entry.after
        );
        // A day later it may answer again.
        app.clock.advance(Duration::hours(25));
        live.ingest(
            &[incoming(
                &app,
                ch,
                "o3",
                MessageKind::Comment,
                "Ivan Petrov",
                "my order, again",
            )],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
        let msgs = messages_of(&app, &token, &c).await;
        assert_eq!(auto_replies(&msgs).len(), 2);

        // Never to our own account's messages.
        live.ingest(
            &[incoming(
                &app,
                ch,
                "o4",
                MessageKind::Comment,
                "Shop",
                "New order form is live",
            )],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
        let own = conversation_of(&app, &token, "Shop").await;
        assert!(auto_replies(&messages_of(&app, &token, &own).await).is_empty());

        // Never to spam or abuse, unless the rule names that intent.
        let mut spam = incoming(
            &app,
            ch,
            "o5",
            MessageKind::Comment,
            "Spammer",
            "cheap order now",
        );
        spam.triage.intent = owlery_domain::inbox::Intent::Spam;
        live.ingest(&[spam], &AroundTheClock::default())
            .await
            .unwrap();
        let sc = conversation_of(&app, &token, "Spammer").await;
        assert!(auto_replies(&messages_of(&app, &token, &sc).await).is_empty());

        // Never where the network cannot answer (Bluesky DMs), nor in a process that was not
        // given the connectors (an import).
        live.ingest(
            &[incoming(
                &app,
                sky,
                "o6",
                MessageKind::Dm,
                "Dora",
                "about my order",
            )],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
        let dm = conversation_of(&app, &token, "Dora").await;
        assert!(auto_replies(&messages_of(&app, &token, &dm).await).is_empty());
        app.store()
            .ingest(
                &[incoming(
                    &app,
                    ch,
                    "o7",
                    MessageKind::Comment,
                    "Emil",
                    "order status?",
                )],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let imported = conversation_of(&app, &token, "Emil").await;
        assert!(auto_replies(&messages_of(&app, &token, &imported).await).is_empty());
    }
}

#[tokio::test]
async fn escalate_rules_make_it_urgent_and_tell_the_lead_or_the_managers() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let (admin, token) = app.user_with_token("admin@example.test", Role::Admin).await;
        let lead = app.user("lead@example.test", Role::CommunityAgent).await;
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let team = app.team("Legal").await;
        app.store()
            .set_team_member(&Actor::cli(), team.id, agent.id, true)
            .await
            .unwrap();
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/teams/{}", team.id),
                Some(&token),
                Some(json!({"assignment_mode": "manual", "lead_user_id": lead.id})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "Lawyers",
                       "conditions": [{"type": "keyword", "words": ["lawyer"]}],
                       "actions": [{"type": "assign_team", "team_id": team.id}, {"type": "escalate"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["actions"][1]["type"], "escalate");
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "Press",
                       "conditions": [{"type": "keyword", "words": ["journalist"]}],
                       "actions": [{"type": "escalate"}, {"type": "set_priority", "priority": "low"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        app.store()
            .ingest(
                &[
                    incoming(
                        &app,
                        ch,
                        "e1",
                        MessageKind::Comment,
                        "Ivo",
                        "My lawyer will call you",
                    ),
                    incoming(
                        &app,
                        ch,
                        "e2",
                        MessageKind::Dm,
                        "Mia",
                        "I am a journalist, a question",
                    ),
                ],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let legal = conversation_of(&app, &token, "Ivo").await;
        assert_eq!(legal["priority"], "urgent");
        assert_eq!(legal["team_id"], json!(team.id));
        let press = conversation_of(&app, &token, "Mia").await;
        assert_eq!(
            press["priority"], "urgent",
            "escalation wins over a priority"
        );
        // The team's lead is told about the team's conversation; without a team, the
        // organisation's inbox managers (the admin) are.
        let lead_notes = app.store().notifications(lead.id, 10).await.unwrap();
        assert_eq!(
            lead_notes
                .iter()
                .filter(|n| n.kind == "inbox_escalated")
                .count(),
            1,
            "{lead_notes:?}"
        );
        let admin_notes = app.store().notifications(admin.id, 10).await.unwrap();
        let escalated: Vec<_> = admin_notes
            .iter()
            .filter(|n| n.kind == "inbox_escalated")
            .collect();
        assert_eq!(escalated.len(), 1, "{admin_notes:?}");
        assert_eq!(
            escalated[0].link.as_deref(),
            Some(format!("/inbox/c/{}", press["id"].as_str().unwrap()).as_str())
        );
        assert!(
            app.store()
                .notifications(agent.id, 10)
                .await
                .unwrap()
                .iter()
                .all(|n| n.kind != "inbox_escalated")
        );
        let audit = app
            .store()
            .audit_events(&Default::default(), 20)
            .await
            .unwrap();
        assert!(audit.iter().any(|e| {
            e.entry.action == "inbox_rule.applied"
                && e.entry
                    .after
                    .as_deref()
                    .unwrap_or("")
                    .contains("escalated_to")
        }));
    }
}

/// The top bar's presence menu and automatic away, over HTTP on both backends: the menu on every
/// page (English and Bulgarian), set without JavaScript (back to the page) and with htmx (the
/// menu alone), CSRF and bad input refused; the organisation's setting on the SLA page; the idle
/// sweep sends an idle agent away, assignment passes her by, and her next page brings her back.
#[tokio::test]
async fn presence_in_the_top_bar_and_automatic_away() {
    use owlery_domain::inbox::{assignment::Presence, presence::AutoAway};
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let admin = app.user("admin@example.test", Role::Admin).await;
        let token = app.token(&admin).await;
        let ana = app.user("ana@example.test", Role::CommunityAgent).await;
        let contributor = app.user("con@example.test", Role::Contributor).await;
        let team = app.team("Support").await;
        app.store()
            .set_team_member(&Actor::cli(), team.id, ana.id, true)
            .await
            .unwrap();
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                &format!("/inbox/teams/{}", team.id),
                Some(&token),
                Some(json!({"assignment_mode": "round_robin"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .post_json(
                "/inbox/rules",
                &token,
                json!({"name": "All to Support", "conditions": [],
                       "actions": [{"type": "assign_team", "team_id": team.id}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        // The menu is on every page of someone who works the inbox; not for someone who does not.
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&ana, &mut jar).await;
        for path in ["/", "/inbox", "/account"] {
            let res = app.get_page(path, &mut jar).await;
            assert_eq!(res.status, StatusCode::OK, "{path}");
            let html = res.text();
            assert!(
                html.contains("presence-menu presence-available") && html.contains(">Available<"),
                "{path}: {html}"
            );
            assert!(
                html.contains(&format!("name=\"next\" value=\"{path}")),
                "{path}"
            );
        }
        let mut pjar = CookieJar::default();
        app.sign_in_directly(&contributor, &mut pjar).await;
        let html = app.get_page("/", &mut pjar).await.text();
        assert!(!html.contains("presence-menu"), "{html}");

        // Without JavaScript: a form post that goes back to the page it came from.
        let res = app
            .post_form(
                "/account/presence",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("status", "away"),
                    ("next", "/inbox?status=open"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(res.location(), Some("/inbox?status=open"));
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(html.contains("presence-menu presence-away"), "{html}");
        assert_eq!(
            app.store().presence(ana.id).await.unwrap().status,
            Presence::Away
        );
        // Another site as `next` is not followed.
        let res = app
            .post_form(
                "/account/presence",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("status", "away"),
                    ("next", "//evil.example"),
                ],
            )
            .await;
        assert_eq!(res.location(), Some("/"));
        // No CSRF token, or a status that does not exist: refused, nothing changes.
        let res = app
            .post_form("/account/presence", &mut jar, &[("status", "off_shift")])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = app
            .post_form(
                "/account/presence",
                &mut jar,
                &[("csrf_token", &csrf), ("status", "asleep")],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            app.store().presence(ana.id).await.unwrap().status,
            Presence::Away
        );

        // With htmx: the answer is the menu alone, marked for the focus to come back.
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("csrf_token", csrf.as_str()),
                ("status", "off_shift"),
                ("next", "/inbox"),
            ])
            .finish();
        let req = axum::http::Request::builder()
            .method(axum::http::Method::POST)
            .uri("/account/presence")
            .header(axum::http::header::COOKIE, jar.header().unwrap())
            .header(
                axum::http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header("HX-Request", "true")
            .body(axum::body::Body::from(body))
            .unwrap();
        let res = app.send(req).await;
        assert_eq!(res.status, StatusCode::OK);
        let html = res.text();
        assert!(
            html.trim_start().starts_with(
                "<details class=\"menu presence-menu presence-off_shift\" data-just-set"
            ),
            "{html}"
        );
        assert!(!html.contains("<html"), "{html}");
        assert!(html.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")));

        // In Bulgarian.
        let res = app
            .post_form(
                "/account/language",
                &mut jar,
                &[("csrf_token", &csrf), ("lang", "bg"), ("next", "/inbox")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(
            html.contains(">Извън смяна<") && html.contains("Вашето присъствие"),
            "{html}"
        );

        // The organisation's setting, on the SLA page: bounds checked, then 20 minutes.
        let mut ajar = CookieJar::default();
        let acsrf = app.sign_in_directly(&admin, &mut ajar).await;
        let html = app.get_page("/settings/inbox-sla", &mut ajar).await.text();
        assert!(
            html.contains("id=\"auto-away-minutes\"") && html.contains("value=\"15\""),
            "{html}"
        );
        let res = app
            .post_form(
                "/settings/inbox-sla/auto-away",
                &mut ajar,
                &[("csrf_token", &acsrf), ("on", "on"), ("minutes", "2")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("5 to 720"), "{}", res.text());
        let res = app
            .post_form(
                "/settings/inbox-sla/auto-away",
                &mut ajar,
                &[("csrf_token", &acsrf), ("on", "on"), ("minutes", "20")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(
            app.store().auto_away(app.org().id).await.unwrap(),
            AutoAway::After(20)
        );
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "org.auto_away"
        );
        // Only for people who manage the organisation.
        let res = app
            .post_form(
                "/settings/inbox-sla/auto-away",
                &mut jar,
                &[("csrf_token", &csrf), ("minutes", "0")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        // Ana says she is available, then leaves her desk: the sweep sends her away after 20 idle
        // minutes, not before.
        let res = app
            .post_form(
                "/account/presence",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("status", "available"),
                    ("next", "/inbox"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        app.clock.advance(Duration::minutes(19));
        assert_eq!(app.store().presence_idle_sweep(100).await.unwrap(), 0);
        app.clock.advance(Duration::minutes(2));
        assert_eq!(app.store().presence_idle_sweep(100).await.unwrap(), 1);
        let p = app.store().presence(ana.id).await.unwrap();
        assert_eq!((p.status, p.automatic), (Presence::Away, true));
        let audit = app.last_audit_event().await.unwrap();
        assert_eq!(
            (
                audit.entry.action.as_str(),
                audit.entry.actor_label.as_str()
            ),
            ("presence.auto_away", "system")
        );
        // Away automatically: a new conversation waits in the team instead.
        app.store()
            .ingest(
                &[incoming(&app, ch, "p1", MessageKind::Dm, "Ivan", "hello")],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let c = conversation_of(&app, &token, "Ivan").await;
        assert_eq!(
            (c["team_id"].clone(), c["assignee_id"].clone()),
            (json!(team.id), json!(null))
        );

        // Her next page brings her back (the top bar says so), audited as the system.
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(html.contains("presence-menu presence-available"), "{html}");
        let p = app.store().presence(ana.id).await.unwrap();
        assert_eq!((p.status, p.automatic), (Presence::Available, false));
        let audit = app.last_audit_event().await.unwrap();
        assert_eq!(
            (
                audit.entry.action.as_str(),
                audit.entry.actor_label.as_str()
            ),
            ("presence.auto_back", "system")
        );
        app.store()
            .ingest(
                &[incoming(
                    &app,
                    ch,
                    "p2",
                    MessageKind::Dm,
                    "Olga",
                    "hi again",
                )],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let c = conversation_of(&app, &token, "Olga").await;
        assert_eq!(c["assignee_id"], json!(ana.id), "{c}");

        // A manual away is never overridden by activity, nor touched by the sweep.
        let res = app
            .post_form(
                "/account/presence",
                &mut jar,
                &[("csrf_token", &csrf), ("status", "away"), ("next", "/")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        app.clock.advance(Duration::hours(2));
        assert_eq!(app.store().presence_idle_sweep(100).await.unwrap(), 0);
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(html.contains("presence-menu presence-away"), "{html}");
        let p = app.store().presence(ana.id).await.unwrap();
        assert_eq!((p.status, p.automatic), (Presence::Away, false));
    }
}

/// Presence over the API and availability where people are chosen, on both backends: the
/// organisation's automatic away read and changed over the API (bounds → 422, agents → 403,
/// audited); `GET /me/presence` says an away was automatic (and since when) without being activity
/// itself; any other request with the person's token is activity — it brings her back from an
/// automatic away and keeps her available — and the assignee field, the list's bulk bar and person
/// filter, and the team page show each colleague's availability in words (English and Bulgarian).
#[tokio::test]
async fn presence_api_token_activity_and_availability_where_you_assign() {
    use owlery_domain::inbox::{assignment::Presence, presence::AutoAway};
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let (admin, token) = app.user_with_token("admin@example.test", Role::Admin).await;
        let (ana, ana_token) = app
            .user_with_token("ana@example.test", Role::CommunityAgent)
            .await;
        let bo = app.user("bo@example.test", Role::CommunityAgent).await;
        let team = app.team("Support").await;
        app.store()
            .set_team_member(&Actor::cli(), team.id, ana.id, true)
            .await
            .unwrap();
        app.store()
            .set_presence(&Actor::cli(), bo.id, Presence::OffShift, None)
            .await
            .unwrap();

        // The organisation's setting: read, bounds refused with what to send, then changed.
        let (status, body) = app.get("/inbox/auto-away", &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({"enabled": true, "idle_minutes": 15, "min_idle_minutes": 5, "max_idle_minutes": 720})
        );
        for bad in [
            json!({"enabled": true, "idle_minutes": 4}),
            json!({"enabled": true, "idle_minutes": 721}),
            json!({"enabled": true, "idle_minutes": 0}),
            json!({"enabled": true, "idle_minutes": -5}),
            json!({"enabled": true}),
        ] {
            let (status, body) = app
                .api(
                    axum::http::Method::PUT,
                    "/inbox/auto-away",
                    Some(&token),
                    Some(bad.clone()),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert_eq!(body["error"]["code"], "invalid_idle_minutes", "{body}");
            assert_eq!(body["error"]["field"], "idle_minutes", "{body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("5 to 720"),
                "{body}"
            );
        }
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                "/inbox/auto-away",
                Some(&token),
                Some(json!({"enabled": true, "idle_minutes": "soon"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            app.store().auto_away(app.org().id).await.unwrap(),
            AutoAway::After(15)
        );
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                "/inbox/auto-away",
                Some(&token),
                Some(json!({"enabled": false, "idle_minutes": 30})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["enabled"].clone(), body["idle_minutes"].clone()),
            (json!(false), json!(null))
        );
        assert_eq!(
            app.store().auto_away(app.org().id).await.unwrap(),
            AutoAway::Off
        );
        let (status, body) = app
            .api(
                axum::http::Method::PUT,
                "/inbox/auto-away",
                Some(&token),
                Some(json!({"enabled": true, "idle_minutes": 20})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["idle_minutes"], 20);
        let audit = app.last_audit_event().await.unwrap();
        assert_eq!(audit.entry.action, "org.auto_away");
        assert_eq!(audit.entry.actor_label, "admin@example.test");
        // Only for people who manage the organisation (the settings page's rule).
        for method in [axum::http::Method::GET, axum::http::Method::PUT] {
            let (status, body) = app
                .api(
                    method.clone(),
                    "/inbox/auto-away",
                    Some(&ana_token),
                    (method == axum::http::Method::PUT).then(|| json!({"enabled": false})),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method}: {body}");
        }
        assert_eq!(
            app.store().auto_away(app.org().id).await.unwrap(),
            AutoAway::After(20)
        );

        // Ana's own presence over the API: available, not automatic.
        let (status, body) = app.get("/me/presence", &ana_token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({"status": "available", "max_open": null, "automatic": false, "automatic_since": null})
        );

        // Idle for the whole time: the sweep sends her away, and the API says it was automatic
        // and since when — reading it does not bring her back.
        app.clock.advance(Duration::minutes(21));
        let swept_at = app.store().now();
        assert_eq!(app.store().presence_idle_sweep(100).await.unwrap(), 1);
        for _ in 0..2 {
            let (status, body) = app.get("/me/presence", &ana_token).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(
                (body["status"].clone(), body["automatic"].clone()),
                (json!("away"), json!(true)),
                "{body}"
            );
            let since: chrono::DateTime<chrono::Utc> =
                serde_json::from_value(body["automatic_since"].clone()).unwrap();
            assert!(
                (since - swept_at).num_milliseconds().abs() < 5_000,
                "{body}"
            );
        }
        assert!(app.store().presence(ana.id).await.unwrap().automatic);

        // The assignee field, the bulk bar, the person filter and the team page say so — and
        // that Bo is off shift — read by the admin, whose own page views change nobody else.
        ingest_one(&app, ch, "av1", "Ivan").await;
        let conversation = conversation_of(&app, &token, "Ivan").await;
        let conversation_page = format!("/inbox/c/{}", conversation["id"].as_str().unwrap());
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&admin, &mut jar).await;
        let html = app.get_page(&conversation_page, &mut jar).await.text();
        let assignee_field = html
            .split("name=\"assignee\"")
            .nth(1)
            .and_then(|rest| rest.split("</select>").next())
            .unwrap_or_else(|| panic!("no assignee field: {html}"));
        for label in [
            ">ana — away (idle)<",
            ">bo — off shift<",
            ">admin (Me) — available<",
        ] {
            assert!(assignee_field.contains(label), "{label}: {assignee_field}");
        }
        let html = app.get_page("/inbox", &mut jar).await.text();
        let bulk = html
            .split("id=\"bulk-assignee\"")
            .nth(1)
            .and_then(|rest| rest.split("</select>").next())
            .unwrap_or_else(|| panic!("no bulk bar: {html}"));
        let filter = html
            .split("id=\"f-assignee\"")
            .nth(1)
            .and_then(|rest| rest.split("</select>").next())
            .unwrap_or_else(|| panic!("no person filter: {html}"));
        for part in [bulk, filter] {
            assert!(part.contains(">ana — away (idle)<"), "{part}");
            assert!(part.contains(">bo — off shift<"), "{part}");
        }
        let html = app.get_page("/settings/teams", &mut jar).await.text();
        assert!(
            html.contains(
                "presence-dot presence-dot-away\" aria-hidden=\"true\"></span>away (idle)"
            ),
            "{html}"
        );
        assert!(html.contains(">Availability<"), "{html}");
        let res = app
            .post_form(
                "/account/language",
                &mut jar,
                &[("csrf_token", &csrf), ("lang", "bg"), ("next", "/inbox")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let html = app.get_page(&conversation_page, &mut jar).await.text();
        assert!(html.contains(">ana — отсъства (неактивност)<"), "{html}");
        assert!(html.contains(">bo — извън смяна<"), "{html}");
        assert_eq!(
            app.store().presence(ana.id).await.unwrap().status,
            Presence::Away
        );

        // Any other request with her token is activity: it brings her back, audited as the
        // system …
        let (status, _) = app.get("/inbox/conversations", &ana_token).await;
        assert_eq!(status, StatusCode::OK);
        let p = app.store().presence(ana.id).await.unwrap();
        assert_eq!((p.status, p.automatic), (Presence::Available, false));
        let audit = app.last_audit_event().await.unwrap();
        assert_eq!(
            (
                audit.entry.action.as_str(),
                audit.entry.actor_label.as_str()
            ),
            ("presence.auto_back", "system")
        );
        let (_, body) = app.get("/me/presence", &ana_token).await;
        assert_eq!(
            (body["automatic"].clone(), body["automatic_since"].clone()),
            (json!(false), json!(null))
        );
        // … and keeps her available while an integration works the inbox with it: 25 minutes
        // after her first request, but 10 after her last, she is not idle.
        app.clock.advance(Duration::minutes(15));
        let (status, _) = app.get("/inbox/conversations", &ana_token).await;
        assert_eq!(status, StatusCode::OK);
        app.clock.advance(Duration::minutes(10));
        assert_eq!(app.store().presence_idle_sweep(100).await.unwrap(), 0);
        // Polling her own presence is not: a status widget does not keep her available.
        for _ in 0..3 {
            app.clock.advance(Duration::minutes(4));
            let (_, body) = app.get("/me/presence", &ana_token).await;
            assert_eq!(body["status"], "available", "{body}");
        }
        assert_eq!(app.store().presence_idle_sweep(100).await.unwrap(), 1);
        let p = app.store().presence(ana.id).await.unwrap();
        assert_eq!((p.status, p.automatic), (Presence::Away, true));
    }
}

/// One direct message from `author` on `channel`.
async fn ingest_one(app: &TestApp, channel: ChannelId, remote: &str, author: &str) {
    app.store()
        .ingest(
            &[incoming(
                app,
                channel,
                remote,
                MessageKind::Dm,
                author,
                "hello",
            )],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
}
