//! The inbox over HTTP: the API (list with filters and cursors, one conversation, search, changes
//! with their permission and audit) and the pages (list, filters, search, a conversation, the
//! change form), on both backends.

use axum::http::StatusCode;
use owlery_domain::{
    ChannelId, ConversationId, Grant, Role, Scope,
    inbox::{AroundTheClock, Author, InboundMessage, MessageKind},
};
use owlery_store::inbox::Incoming;
use owlery_triage::inbox::classification;
use owlery_triage::{BuiltIn, Classifier};
use serde_json::json;

use crate::support::{CookieJar, TestApp};

/// Ingest one message and return its conversation.
pub async fn message(
    app: &TestApp,
    channel: ChannelId,
    remote: &str,
    kind: MessageKind,
    author: &str,
    text: &str,
) -> ConversationId {
    let classifier = BuiltIn::new().unwrap();
    let m = InboundMessage {
        channel,
        remote_id: remote.into(),
        kind,
        author: Author {
            remote_id: format!("id-{author}"),
            handle: author.to_lowercase(),
            name: author.into(),
            followers: Some(42),
        },
        text: text.into(),
        created_at: app.store().now() - chrono::Duration::minutes(5),
        conversation_remote_id: (kind == MessageKind::Comment).then(|| "post-1".to_owned()),
        in_reply_to_remote_id: None,
        media: Vec::new(),
        url: Some(format!("https://example.social/{remote}")),
    };
    let triage = classification(&classifier.classify(text));
    app.store()
        .ingest(
            &[Incoming { message: m, triage }],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
    let d = app
        .store()
        .list_conversations(
            app.org().id,
            &owlery_store::inbox::InboxScope::All,
            &Default::default(),
            None,
            200,
        )
        .await
        .unwrap();
    d.items
        .iter()
        .find(|c| c.channel_id == channel && c.contact.name == author)
        .unwrap()
        .id
}

/// A comment conversation on `channel` (for the permission matrix: every message action applies to a comment).
pub async fn conversation_on(app: &TestApp, channel: ChannelId, remote: &str) -> ConversationId {
    message(
        app,
        channel,
        remote,
        MessageKind::Comment,
        &format!("Matrix {remote}"),
        "hello, is anyone there?",
    )
    .await
}

#[tokio::test]
async fn the_api_lists_filters_shows_searches_and_changes() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let other = app.workspace("Other").await;
        let ch = app.channel(&ws, "shop").await.id;
        let och = app.channel(&other, "other").await.id;
        let angry = message(
            &app,
            ch,
            "1",
            MessageKind::Comment,
            "Ivan",
            "Ужасно обслужване, още чакам поръчката си!",
        )
        .await;
        let asking = message(
            &app,
            ch,
            "2",
            MessageKind::Dm,
            "Ann",
            "How much does the annual plan cost?",
        )
        .await;
        let elsewhere = message(&app, och, "3", MessageKind::Mention, "Olga", "Danke!").await;
        let (_, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;

        let (status, body) = app.get("/inbox/conversations", &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 3);
        assert_eq!(body["next_cursor"], json!(null));

        let (status, body) = app
            .get(
                "/inbox/conversations?sentiment=negative&language=bul",
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{body}");
        assert_eq!(items[0]["id"], json!(angry));
        assert_eq!(items[0]["sla"], "ok");
        assert_eq!(items[0]["contact"]["handle"], "ivan");

        // Keyset pages.
        let (_, page1) = app.get("/inbox/conversations?limit=2", &token).await;
        assert_eq!(page1["items"].as_array().unwrap().len(), 2);
        let cursor = page1["next_cursor"].as_str().unwrap();
        let (status, page2) = app
            .get(
                &format!("/inbox/conversations?limit=2&cursor={cursor}"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page2["items"].as_array().unwrap().len(), 1);
        assert_eq!(page2["next_cursor"], json!(null));

        // Client mistakes are 400s that name the parameter.
        for (q, field) in [
            ("status=lost", "status"),
            ("sla=late", "sla"),
            ("cursor=xyz", "cursor"),
            ("limit=0", "limit"),
            ("workspace_id=nope", "workspace_id"),
            ("colour=red", "colour"),
        ] {
            let (status, body) = app.get(&format!("/inbox/conversations?{q}"), &token).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
            assert_eq!(body["error"]["field"], field, "{q}: {body}");
        }

        let (status, d) = app
            .get(&format!("/inbox/conversations/{asking}"), &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(
            d["messages"][0]["text"],
            "How much does the annual plan cost?"
        );
        assert_eq!(d["messages"][0]["intent"], "lead");
        assert_eq!(d["contact"]["identities"][0]["network"], "sandbox");
        let (status, _) = app
            .get(
                &format!("/inbox/conversations/{}", uuid::Uuid::now_v7()),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, r) = app.get("/inbox/search?q=поръчката", &token).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["messages"].as_array().unwrap().len(), 1);
        assert_eq!(r["messages"][0]["conversation_id"], json!(angry));
        let (_, r) = app.get("/inbox/search?q=olg", &token).await;
        assert_eq!(r["contacts"][0]["latest_conversation"], json!(elsewhere));
        let (status, _) = app.get("/inbox/search", &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // Changes: audited; bad values are 422.
        let before = app.audit_head().await;
        let (status, c) = app
            .patch_json(
                &format!("/inbox/conversations/{angry}"),
                &token,
                json!({"status": "closed", "priority": "urgent", "tags": ["Refund", "vip"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(c["status"], "closed");
        assert_eq!(c["priority"], "urgent");
        assert_eq!(c["tags"], json!(["refund", "vip"]));
        assert_eq!(c["next_response_due"], json!(null));
        assert_eq!(app.audit_head().await, before + 1);
        let event = app.last_audit_event().await.unwrap();
        assert_eq!(event.entry.action, "conversation.update");
        let (_, tagged) = app.get("/inbox/conversations?tag=vip", &token).await;
        assert_eq!(tagged["items"].as_array().unwrap().len(), 1);
        for body in [
            json!({"status": "done"}),
            json!({"assignee_id": uuid::Uuid::now_v7()}),
            json!({"tags": ["a,b"]}),
            json!({"colour": "red"}),
        ] {
            let (status, res) = app
                .patch_json(
                    &format!("/inbox/conversations/{angry}"),
                    &token,
                    body.clone(),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
        }

        // An analyst reads but does not change.
        let (_, analyst) = app
            .user_with_token("analyst@example.test", Role::Analyst)
            .await;
        let (status, _) = app
            .patch_json(
                &format!("/inbox/conversations/{angry}"),
                &analyst,
                json!({"status": "open"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A community agent of one workspace sees only its conversations.
        let scoped = app
            .user_with_grants(
                "ws-agent@example.test",
                &[Grant {
                    role: Role::CommunityAgent,
                    scope: Scope::Workspace(other.id),
                }],
            )
            .await;
        let scoped = app.token(&scoped).await;
        let (_, body) = app.get("/inbox/conversations", &scoped).await;
        let ids: Vec<&str> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [elsewhere.to_string()]);
        let (status, _) = app
            .get(&format!("/inbox/conversations/{angry}"), &scoped)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .patch_json(
                &format!("/inbox/conversations/{angry}"),
                &scoped,
                json!({"status": "open"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, r) = app.get("/inbox/search?q=поръчката", &scoped).await;
        assert!(r["messages"].as_array().unwrap().is_empty());
        // A contributor has no inbox.
        let (_, contributor) = app
            .user_with_token("contrib@example.test", Role::Contributor)
            .await;
        let (status, _) = app.get("/inbox/conversations", &contributor).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_pages_list_filter_search_show_and_change() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let angry = message(
            &app,
            ch,
            "1",
            MessageKind::Comment,
            "Ivan",
            "Ужасно обслужване, още чакам поръчката си!",
        )
        .await;
        message(
            &app,
            ch,
            "2",
            MessageKind::Dm,
            "Ann",
            "How much does the annual plan cost?",
        )
        .await;
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&agent, &mut jar).await;

        let res = app.get_page("/inbox", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK);
        let html = res.text();
        assert!(html.contains("Ivan") && html.contains("Ann"), "{html}");
        assert!(html.contains("Negative"));
        assert!(html.contains(&format!("/inbox/c/{angry}")));

        let html = app
            .get_page("/inbox?sentiment=negative", &mut jar)
            .await
            .text();
        assert!(
            html.contains("Ivan") && !html.contains("annual plan"),
            "{html}"
        );
        let html = app.get_page("/inbox?q=annual", &mut jar).await.text();
        assert!(html.contains("annual plan") && !html.contains("поръчката"));
        let res = app.get_page("/inbox?status=nope", &mut jar).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);

        let res = app.get_page(&format!("/inbox/c/{angry}"), &mut jar).await;
        assert_eq!(res.status, StatusCode::OK);
        let html = res.text();
        assert!(html.contains("още чакам поръчката си"));
        assert!(html.contains("name=\"csrf_token\""));
        assert_eq!(
            app.get_page("/inbox/c/not-an-id", &mut jar).await.status,
            StatusCode::NOT_FOUND
        );

        // Without the CSRF token the change is refused.
        let res = app
            .post_form(
                &format!("/inbox/c/{angry}"),
                &mut jar,
                &[("status", "closed")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = app
            .post_form(
                &format!("/inbox/c/{angry}"),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("status", "pending"),
                    ("priority", "high"),
                    ("assignee", &agent.id.to_string()),
                    ("tags", "#refund, late"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let html = app
            .get_page(&format!("/inbox/c/{angry}?saved=1"), &mut jar)
            .await
            .text();
        assert!(html.contains("Conversation updated."));
        let html = app.get_page("/inbox?assignee=me", &mut jar).await.text();
        assert!(html.contains("Ivan") && html.contains("#refund"), "{html}");
        let res = app
            .post_form(
                &format!("/inbox/c/{angry}"),
                &mut jar,
                &[("csrf_token", &csrf), ("status", "gone")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Bulgarian.
        let bg = app.user("bg@example.test", Role::CommunityAgent).await;
        app.store()
            .update_profile(
                &owlery_domain::audit::Actor::cli(),
                bg.id,
                &owlery_domain::user::DisplayName::parse("name", "Мария").unwrap(),
                "bg",
                "Europe/Sofia",
            )
            .await
            .unwrap();
        let mut jar = CookieJar::default();
        app.sign_in_directly(&bg, &mut jar).await;
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(
            html.contains("Входящи") && html.contains("Негативно"),
            "{html}"
        );
    }
}

/// The list page's filter form offers every channel (named with its network), every team and every
/// person, and each of them narrows the list.
#[tokio::test]
async fn the_page_filters_by_channel_team_and_person() {
    use owlery_domain::org::Network;
    use owlery_store::inbox::{ConversationPatch, InboxScope};
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let shop = app.channel(&ws, "shop").await.id;
        let news = app.channel_on(ws.id, Network::Mastodon, "news").await.id;
        let on_shop = message(
            &app,
            shop,
            "1",
            MessageKind::Dm,
            "Ivan",
            "Where is my parcel?",
        )
        .await;
        let on_news = message(
            &app,
            news,
            "2",
            MessageKind::Dm,
            "Ann",
            "Great article today",
        )
        .await;
        let team = app.team("Care").await;
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let colleague = app
            .user("colleague@example.test", Role::CommunityAgent)
            .await;
        app.store()
            .update_conversation(
                &owlery_domain::audit::Actor::cli(),
                app.org().id,
                &InboxScope::All,
                on_news,
                &ConversationPatch {
                    team: Some(Some(team.id)),
                    assignee: Some(Some(colleague.id)),
                    ..ConversationPatch::default()
                },
            )
            .await
            .unwrap();
        let mut jar = CookieJar::default();
        app.sign_in_directly(&agent, &mut jar).await;

        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(html.contains("name=\"channel_id\""), "{html}");
        assert!(html.contains("news · Mastodon"), "{html}");
        assert!(
            html.contains("name=\"team_id\"") && html.contains(">Care<"),
            "{html}"
        );
        assert!(
            html.contains(&format!("value=\"{}\"", colleague.id)),
            "the colleague is offered as an assignee: {html}"
        );

        let only = |html: &str, yes: ConversationId, no: ConversationId| {
            assert!(
                html.contains(&format!("/inbox/c/{yes}"))
                    && !html.contains(&format!("/inbox/c/{no}")),
                "{html}"
            );
        };
        let html = app
            .get_page(&format!("/inbox?channel_id={shop}"), &mut jar)
            .await
            .text();
        only(&html, on_shop, on_news);
        let html = app
            .get_page(&format!("/inbox?team_id={}", team.id), &mut jar)
            .await
            .text();
        only(&html, on_news, on_shop);
        let html = app
            .get_page(&format!("/inbox?assignee={}", colleague.id), &mut jar)
            .await
            .text();
        only(&html, on_news, on_shop);
        // The chosen filter stays chosen in the form.
        assert!(
            html.contains(&format!("value=\"{}\" selected", colleague.id)),
            "{html}"
        );
        let res = app.get_page("/inbox?channel_id=nope", &mut jar).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);

        // The conversation's form moves it to a team; a form without the field leaves the team.
        let csrf = app.sign_in_directly(&agent, &mut jar).await;
        let page = format!("/inbox/c/{on_shop}");
        let html = app.get_page(&page, &mut jar).await.text();
        assert!(
            html.contains("name=\"team_id\"") && html.contains("No team"),
            "{html}"
        );
        let team_of = |app: &TestApp, id: ConversationId| {
            let store = app.store().clone();
            let org = app.org().id;
            async move {
                store
                    .conversation(org, &InboxScope::All, id)
                    .await
                    .unwrap()
                    .conversation
                    .team_id
            }
        };
        let tid = team.id.to_string();
        let res = app
            .post_form(
                &page,
                &mut jar,
                &[("csrf_token", &csrf), ("status", "open"), ("team_id", &tid)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(team_of(&app, on_shop).await, Some(team.id));
        let res = app
            .post_form(
                &page,
                &mut jar,
                &[("csrf_token", &csrf), ("status", "open")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(team_of(&app, on_shop).await, Some(team.id));
        let unknown = uuid::Uuid::now_v7().to_string();
        let res = app
            .post_form(
                &page,
                &mut jar,
                &[("csrf_token", &csrf), ("team_id", &unknown)],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        let res = app
            .post_form(&page, &mut jar, &[("csrf_token", &csrf), ("team_id", "")])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(team_of(&app, on_shop).await, None);
    }
}

/// A comment thread on a post Owlery published shows that post: its text, when it went out, a
/// link to it on the network, and (for people who may draft) a link to it in Owlery. A thread on
/// a post published elsewhere names the post's id only.
#[tokio::test]
async fn a_comment_thread_shows_the_post_it_is_on() {
    use owlery_store::publishing::Claim;
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let (owner, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let at = app.store().now() + chrono::Duration::minutes(10);
        let (status, post) = app
            .post_json(
                "/posts",
                &token,
                json!({"workspace_id": ws.id, "title": "Launch", "text": "Our autumn roast is here", "channel_ids": [ch], "scheduled_at": at.to_rfc3339()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{post}");
        let post_id = post["id"].as_str().unwrap().to_owned();
        let stored = app
            .store()
            .post(owlery_domain::PostId(post_id.parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        let v = stored.variants[0].id;
        app.clock.advance(chrono::Duration::minutes(11));
        assert!(matches!(
            app.store().claim_for_publishing(v, at).await.unwrap(),
            Claim::Go(_)
        ));
        // The `message` helper files comments under the post "post-1".
        app.store()
            .record_published(v, "post-1", "https://example.social/post-1")
            .await
            .unwrap();
        let on_ours = message(&app, ch, "c1", MessageKind::Comment, "Ivan", "Is it decaf?").await;
        let other = app.channel(&ws, "other").await.id;
        let on_theirs = message(&app, other, "c2", MessageKind::Comment, "Ann", "Nice").await;

        let mut jar = CookieJar::default();
        app.sign_in_directly(&owner, &mut jar).await;
        let html = app
            .get_page(&format!("/inbox/c/{on_ours}"), &mut jar)
            .await
            .text();
        assert!(
            html.contains("Your post") && html.contains("Our autumn roast is here"),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://example.social/post-1\""),
            "{html}"
        );
        assert!(
            html.contains(&format!("href=\"/publish/posts/{post_id}\"")),
            "{html}"
        );
        let html = app
            .get_page(&format!("/inbox/c/{on_theirs}"), &mut jar)
            .await
            .text();
        assert!(
            !html.contains("Your post") && html.contains("<code>post-1</code>"),
            "{html}"
        );

        // Someone who may not draft sees the post, without the link into publishing.
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let mut jar = CookieJar::default();
        app.sign_in_directly(&agent, &mut jar).await;
        let html = app
            .get_page(&format!("/inbox/c/{on_ours}"), &mut jar)
            .await
            .text();
        assert!(html.contains("Our autumn roast is here"), "{html}");
        assert!(!html.contains("/publish/posts/"), "{html}");
    }
}
