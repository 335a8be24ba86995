//! Answering from the inbox over HTTP, on both backends: the API (an answer stored with its job,
//! the same key never making a second one, the network's length counted its way, a network that
//! cannot answer, retry, approval), saved replies (CRUD, unknown variables refused, rendering for
//! a conversation), and the conversation page's reply box (a plain form post, the saved reply
//! inserted without JavaScript, the live count).

use axum::http::StatusCode;
use owlery_domain::{
    ConversationId, MessageId, Role, UserId,
    audit::Actor,
    inbox::{MessageKind, reply::SavedReplyText},
    org::Network,
};
use owlery_store::{inbox::InboxScope, inbox_replies::NewReply};
use serde_json::json;

use crate::{
    inbox::message,
    support::{CookieJar, TestApp},
};

/// For the permission matrix: in `conversation`, an answer by `author` that failed and one that
/// waits for approval; and a saved reply.
pub async fn matrix_fixtures(
    app: &TestApp,
    author: UserId,
    conversation: ConversationId,
    n: &str,
) -> (MessageId, MessageId, uuid::Uuid) {
    let c = app
        .store()
        .conversation_summary(app.org().id, &InboxScope::All, conversation)
        .await
        .unwrap();
    let reply = |key: String, needs_approval: bool| {
        let c = c.clone();
        async move {
            app.store()
                .create_reply(
                    &Actor::cli(),
                    author,
                    &c,
                    &NewReply {
                        text: "Fixture answer",
                        close: false,
                        client_key: &key,
                        needs_approval,
                    },
                )
                .await
                .unwrap()
                .message
                .id
        }
    };
    let failed = reply(format!("failed-{n}"), false).await;
    app.store()
        .record_reply_failed(failed, "Fixture: refused")
        .await
        .unwrap();
    let pending = reply(format!("pending-{n}"), true).await;
    let saved = app
        .store()
        .save_saved_reply(
            &Actor::cli(),
            app.org().id,
            None,
            None,
            &SavedReplyText::parse(&format!("Fixture {n}"), "Hi {contact.name}", None).unwrap(),
            None,
        )
        .await
        .unwrap();
    (failed, pending, saved.id)
}

async fn reply_jobs(app: &TestApp) -> i64 {
    app.store()
        .queue_depth()
        .await
        .map(|d| d.queued)
        .unwrap_or_default()
}

#[tokio::test]
async fn an_answer_is_stored_with_its_job_once_and_checked_the_networks_way() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(
            &app,
            ch,
            "1",
            MessageKind::Comment,
            "Ivan",
            "Where is my order?",
        )
        .await;
        let (agent, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let path = format!("/inbox/conversations/{conv}/replies");
        let jobs_before = reply_jobs(&app).await;

        let (status, body) = app
            .post_json(
                &path,
                &token,
                json!({"text": "  Sorry Ivan, it ships today.  ", "client_key": "k1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["direction"], "outbound");
        assert_eq!(body["delivery"], "queued");
        assert_eq!(body["text"], "Sorry Ivan, it ships today.");
        assert_eq!(body["author_user_id"], json!(agent.id.to_string()));
        assert_eq!(reply_jobs(&app).await, jobs_before + 1);
        let audit = app.last_audit_event().await.unwrap();
        assert_eq!(audit.entry.action, "inbox.reply.create");

        // The same key again: the stored answer, nothing new.
        let (status, again) = app
            .post_json(
                &path,
                &token,
                json!({"text": "Sorry Ivan, it ships today.", "client_key": "k1"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["id"], body["id"]);
        assert_eq!(reply_jobs(&app).await, jobs_before + 1);

        // The conversation shows it, with its state.
        let (_, detail) = app
            .get(&format!("/inbox/conversations/{conv}"), &token)
            .await;
        let messages = detail["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2, "{detail}");
        assert_eq!(messages[1]["delivery"], "queued");
        assert_eq!(messages[0]["delivery"], json!(null));

        // Empty, or with no key: specific 4xx.
        let (status, e) = app
            .post_json(&path, &token, json!({"text": " \n ", "client_key": "k2"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "empty_reply");
        let (status, e) = app
            .post_json(&path, &token, json!({"text": "hi", "client_key": ""}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "invalid_client_key");
        let (status, e) = app.post_json(&path, &token, json!({"text": "hi"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], "client_key");

        // A key used in another conversation is a conflict, not a second answer.
        let other = message(&app, ch, "2", MessageKind::Dm, "Ann", "Hello?").await;
        let (status, e) = app
            .post_json(
                &format!("/inbox/conversations/{other}/replies"),
                &token,
                json!({"text": "Hi", "client_key": "k1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");

        // Bluesky counts graphemes: 301 of them is too long, with the count in the message.
        let sky = app
            .channel_on(ws.id, Network::Bluesky, "shop.bsky")
            .await
            .id;
        let sky_conv = message(&app, sky, "at://x/1", MessageKind::Mention, "Bo", "hey").await;
        let (status, e) = app
            .post_json(
                &format!("/inbox/conversations/{sky_conv}/replies"),
                &token,
                json!({"text": "é".repeat(301), "client_key": "k3"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "reply_too_long");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("301"),
            "{e}"
        );
        // TikTok's API cannot answer comments: said clearly, nothing stored.
        let tt = app.channel_on(ws.id, Network::Tiktok, "shop.tt").await.id;
        let tt_conv = message(&app, tt, "tt-1", MessageKind::Comment, "Cy", "nice").await;
        let (status, e) = app
            .post_json(
                &format!("/inbox/conversations/{tt_conv}/replies"),
                &token,
                json!({"text": "Thanks!", "client_key": "k4"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "cannot_reply");

        // An analyst reads but cannot answer; nobody answers what they cannot see.
        let (_, analyst) = app
            .user_with_token("analyst@example.test", Role::Analyst)
            .await;
        let (status, _) = app
            .post_json(&path, &analyst, json!({"text": "hi", "client_key": "a1"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .post_json(
                &format!("/inbox/conversations/{}/replies", uuid::Uuid::now_v7()),
                &token,
                json!({"text": "hi", "client_key": "a2"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn failed_answers_are_retried_and_approval_gates_sending() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "1", MessageKind::Dm, "Ivan", "Hello?").await;
        let (agent, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies"),
                &token,
                json!({"text": "Hi!", "client_key": "r1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let id = MessageId(body["id"].as_str().unwrap().parse().unwrap());
        let retry = format!("/inbox/conversations/{conv}/replies/{id}/retry");
        let (status, e) = app.post_json(&retry, &token, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        app.store()
            .record_reply_failed(id, "The network refused it.")
            .await
            .unwrap();
        let (_, detail) = app
            .get(&format!("/inbox/conversations/{conv}"), &token)
            .await;
        assert_eq!(detail["messages"][1]["delivery"], "failed");
        assert_eq!(
            detail["messages"][1]["delivery_error"],
            "The network refused it."
        );
        let (status, body) = app.post_json(&retry, &token, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["delivery"], "queued");

        // The organisation has community agents' replies approved first.
        let mut org = app.store().organisation().await.unwrap().unwrap();
        org.security
            .reply_approval_roles
            .insert(Role::CommunityAgent);
        app.store()
            .update_organisation(
                &Actor::cli(),
                &owlery_domain::user::DisplayName::parse("name", &org.name).unwrap(),
                &org.security,
                &org.default_language,
                &org.default_time_zone,
            )
            .await
            .unwrap();
        let jobs = reply_jobs(&app).await;
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies"),
                &token,
                json!({"text": "Let me check.", "client_key": "r2", "close": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["delivery"], "pending_approval");
        assert_eq!(body["close_on_send"], true);
        assert_eq!(reply_jobs(&app).await, jobs, "no job before approval");
        let pending = body["id"].as_str().unwrap().to_owned();

        // The agent cannot approve; an admin sees it waiting and rejects without a reason: 422.
        let review = format!("/inbox/conversations/{conv}/replies/{pending}/review");
        let (status, _) = app
            .post_json(&review, &token, json!({"approve": true}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
        let (status, list) = app.get("/inbox/replies/pending", &admin).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["items"][0]["message"]["id"], json!(pending));
        let (status, e) = app
            .post_json(&review, &admin, json!({"approve": false, "note": " "}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let (status, body) = app
            .post_json(&review, &admin, json!({"approve": true}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["delivery"], "queued");
        assert_eq!(reply_jobs(&app).await, jobs + 1);
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "inbox.reply.approve"
        );
        // Twice: a conflict.
        let (status, _) = app
            .post_json(&review, &admin, json!({"approve": true}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // A rejection tells the author why.
        let (_, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies"),
                &token,
                json!({"text": "lol", "client_key": "r3"}),
            )
            .await;
        let third = body["id"].as_str().unwrap().to_owned();
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies/{third}/review"),
                &admin,
                json!({"approve": false, "note": "Too casual for a complaint."}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["delivery"], "rejected");
        let notes = app.store().notifications(agent.id, 10).await.unwrap();
        assert!(
            notes.iter().any(|n| n.kind == "inbox_reply_rejected"
                && n.params["error"] == "Too casual for a complaint."),
            "{notes:?}"
        );
    }
}

#[tokio::test]
async fn saved_replies_are_managed_checked_and_rendered_for_a_conversation() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "1", MessageKind::Dm, "Ivan Petrov", "Hello?").await;
        let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
        let (status, e) = app
            .post_json(
                "/inbox/saved-replies",
                &admin,
                json!({"name": "Bad", "body": "Hi {contact.nickname}"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "unknown_variable");
        let (status, made) = app
            .post_json(
                "/inbox/saved-replies",
                &admin,
                json!({"name": "Thanks", "body": "Hi {contact.first_name}, {agent.name} here.", "shortcut": "/thx"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!(made["shortcut"], "thx");
        let (status, e) = app
            .post_json(
                "/inbox/saved-replies",
                &admin,
                json!({"name": "Thanks", "body": "again"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");

        let (_, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let (status, list) = app
            .get(
                &format!("/inbox/saved-replies?conversation_id={conv}"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let rendered = list["items"][0]["rendered"].as_str().unwrap();
        assert!(
            rendered.starts_with("Hi Ivan, ")
                && rendered.ends_with(" here.")
                && !rendered.contains('{'),
            "{rendered}"
        );
        // Agents use saved replies but do not manage them.
        let (status, _) = app
            .post_json(
                "/inbox/saved-replies",
                &token,
                json!({"name": "Mine", "body": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let id = made["id"].as_str().unwrap();
        let (status, _) = app
            .delete(&format!("/inbox/saved-replies/{id}"), &admin)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = app
            .delete(&format!("/inbox/saved-replies/{id}"), &admin)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_conversation_page_answers_with_a_plain_form() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "1", MessageKind::Dm, "Ivan Petrov", "Hello?").await;
        app.store()
            .save_saved_reply(
                &Actor::cli(),
                app.org().id,
                None,
                None,
                &SavedReplyText::parse("Greeting", "Hello {contact.first_name}!", None).unwrap(),
                None,
            )
            .await
            .unwrap();
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&agent, &mut jar).await;
        let page = app.get_page(&format!("/inbox/c/{conv}"), &mut jar).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("id=\"reply-text\""), "{html}");
        assert!(html.contains("data-text=\"Hello Ivan!\""), "{html}");

        // Insert the saved reply without JavaScript: the box comes back with it.
        let saved_id = app.store().saved_replies(app.org().id, None).await.unwrap()[0]
            .id
            .to_string();
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/reply"),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("text", ""),
                    ("action", "insert"),
                    ("saved_reply", &saved_id),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.text().contains(">Hello Ivan!</textarea>"),
            "{}",
            res.text()
        );

        // The live count.
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/reply/count"),
                &mut jar,
                &[("csrf_token", &csrf), ("text", "Hello Ivan!")],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.text().contains("id=\"reply-count\""), "{}", res.text());
        assert!(res.text().contains("11"), "{}", res.text());

        // Empty: the form again with the error, in the person's language.
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/reply"),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("text", "  "),
                    ("action", "send"),
                    ("client_key", "p0"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("Write the answer before sending it."));

        // Without the CSRF token: refused.
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/reply"),
                &mut jar,
                &[("text", "Hi"), ("action", "send"), ("client_key", "p1")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        // Send and close: stored, back on the page, shown as queued.
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/reply"),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("text", "Hello Ivan! It ships today."),
                    ("action", "send_close"),
                    ("client_key", "p2"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let back = res.location().unwrap().to_owned();
        assert!(back.contains("replied=queued"), "{back}");
        let page = app.get_page(&back, &mut jar).await;
        let html = page.text();
        assert!(html.contains("Hello Ivan! It ships today."), "{html}");
        assert!(html.contains("delivery-badge-queued"), "{html}");
        let d = app
            .store()
            .conversation(app.org().id, &InboxScope::All, conv)
            .await
            .unwrap();
        assert!(d.messages.last().unwrap().close_on_send);
    }
}

#[tokio::test]
async fn approvers_hear_of_answers_waiting_and_authors_of_the_decision() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "1", MessageKind::Dm, "Ivan", "Hello?").await;
        let (agent, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let (admin, admin_token) = app.user_with_token("admin@example.test", Role::Admin).await;
        let other = app.user("other@example.test", Role::CommunityAgent).await;
        let mut org = app.store().organisation().await.unwrap().unwrap();
        org.security
            .reply_approval_roles
            .insert(Role::CommunityAgent);
        app.store()
            .update_organisation(
                &Actor::cli(),
                &owlery_domain::user::DisplayName::parse("name", &org.name).unwrap(),
                &org.security,
                &org.default_language,
                &org.default_time_zone,
            )
            .await
            .unwrap();
        let mails_before = reply_jobs(&app).await;
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies"),
                &token,
                json!({"text": "Let me check that for you.", "client_key": "p1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["delivery"], "pending_approval");
        let pending = body["id"].as_str().unwrap().to_owned();

        // The approver is told in the app and by e-mail (a mail job), as for posts.
        let notes = app.store().notifications(admin.id, 10).await.unwrap();
        let told: Vec<_> = notes
            .iter()
            .filter(|n| n.kind == "inbox_reply_pending")
            .collect();
        assert_eq!(told.len(), 1, "{notes:?}");
        assert_eq!(
            told[0].link.as_deref(),
            Some(format!("/inbox/c/{conv}").as_str())
        );
        assert_eq!(told[0].params["channel"], "shop");
        assert_eq!(told[0].params["title"], "Let me check that for you.");
        assert_eq!(
            reply_jobs(&app).await,
            mails_before + 1,
            "one mail job, no reply job"
        );
        // Neither the author nor people who cannot approve.
        for u in [agent.id, other.id] {
            assert!(
                app.store()
                    .notifications(u, 10)
                    .await
                    .unwrap()
                    .iter()
                    .all(|n| n.kind != "inbox_reply_pending")
            );
        }
        // The page reads it as itself in both languages.
        let mut jar = CookieJar::default();
        app.sign_in_directly(&admin, &mut jar).await;
        let html = app.get_page("/notifications", &mut jar).await.text();
        assert!(html.contains("waits for your approval"), "{html}");

        // Approval is told to the author.
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies/{pending}/review"),
                &admin_token,
                json!({"approve": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let notes = app.store().notifications(agent.id, 10).await.unwrap();
        assert!(
            notes.iter().any(|n| n.kind == "inbox_reply_approved"),
            "{notes:?}"
        );
    }
}

#[tokio::test]
async fn an_answer_written_on_a_stale_view_is_refused_unless_sent_anyway() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "1", MessageKind::Dm, "Ivan", "Hello?").await;
        let (_, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let path = format!("/inbox/conversations/{conv}/replies");
        let (_, detail) = app
            .get(&format!("/inbox/conversations/{conv}"), &token)
            .await;
        let seen = detail["messages"][0]["id"].as_str().unwrap().to_owned();
        // Fresh: sent.
        let (status, body) = app
            .post_json(
                &path,
                &token,
                json!({"text": "Hi!", "client_key": "s1", "seen_message_id": seen}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // Ivan writes twice more while the agent writes on the old view.
        message(&app, ch, "2", MessageKind::Dm, "Ivan", "Are you there?").await;
        message(
            &app,
            ch,
            "3",
            MessageKind::Dm,
            "Ivan",
            "Never mind, found it",
        )
        .await;
        let (status, body) = app
            .post_json(
                &path,
                &token,
                json!({"text": "Checking now", "client_key": "s2", "seen_message_id": seen}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "stale_view");
        assert_eq!(body["error"]["field"], "seen_message_id");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("2 new messages"),
            "{body}"
        );
        let (_, d) = app
            .get(&format!("/inbox/conversations/{conv}"), &token)
            .await;
        assert_eq!(d["messages"].as_array().unwrap().len(), 4, "nothing stored");
        // Sent anyway, or from the newest view: stored.
        let (status, body) = app
            .post_json(
                &path,
                &token,
                json!({"text": "Checking now", "client_key": "s2", "seen_message_id": seen, "send_anyway": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let newest = d["messages"][3]["id"].as_str().unwrap().to_owned();
        let (status, body) = app
            .post_json(
                &path,
                &token,
                json!({"text": "Glad you found it", "client_key": "s3", "seen_message_id": newest}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // Not an id: 400.
        let (status, body) = app
            .post_json(
                &path,
                &token,
                json!({"text": "x", "client_key": "s4", "seen_message_id": "nope"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn the_reply_box_sends_what_it_saw_and_the_server_enforces_it() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "1", MessageKind::Dm, "Ivan", "Hello?").await;
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&agent, &mut jar).await;
        let page = app
            .get_page(&format!("/inbox/c/{conv}"), &mut jar)
            .await
            .text();
        let seen = page
            .split("name=\"seen_message_id\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("the reply box carries seen_message_id")
            .to_owned();
        assert!(!seen.is_empty());
        let key = page
            .split("name=\"client_key\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned();
        message(&app, ch, "2", MessageKind::Dm, "Ivan", "Anyone?").await;
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/reply"),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("text", "On it"),
                    ("client_key", &key),
                    ("seen_message_id", &seen),
                    ("action", "send"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(
            html.contains("New messages arrived while you were writing"),
            "{html}"
        );
        assert!(html.contains("Anyone?"), "the new message is shown");
        assert!(html.contains("On it"), "the text is kept");
        // Sent again from the re-rendered form (which saw the new message): stored.
        let seen = html
            .split("name=\"seen_message_id\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned();
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/reply"),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("text", "On it"),
                    ("client_key", &key),
                    ("seen_message_id", &seen),
                    ("action", "send"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    }
}

#[tokio::test]
async fn like_and_delete_on_the_network_are_asked_for_checked_and_shown() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let sky = app
            .channel_on(ws.id, Network::Bluesky, "shop.bsky.social")
            .await
            .id;
        let conv = message(&app, ch, "1", MessageKind::Comment, "Ivan", "Nice shop").await;
        let sky_conv = message(
            &app,
            sky,
            "at://did:plc:ivan/app.bsky.feed.post/1",
            MessageKind::Comment,
            "Dora",
            "Meh",
        )
        .await;
        let (_, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let (_, reader) = app
            .user_with_token("analyst@example.test", Role::Analyst)
            .await;
        let (_, d) = app
            .get(&format!("/inbox/conversations/{conv}"), &token)
            .await;
        let inbound = d["messages"][0]["id"].as_str().unwrap().to_owned();
        let like = format!("/inbox/conversations/{conv}/messages/{inbound}/like");

        // Needs inbox:reply.
        let (status, _) = app.post_json(&like, &reader, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let jobs = reply_jobs(&app).await;
        let (status, body) = app.post_json(&like, &token, json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert!(body["like_requested_at"].is_string(), "{body}");
        assert_eq!(reply_jobs(&app).await, jobs + 1, "its inbox.like job");
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "message.like_request"
        );
        // Asking again while it is pending: nothing new.
        let (status, _) = app.post_json(&like, &token, json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(reply_jobs(&app).await, jobs + 1);

        // Our own answer: not liked; deleted only once it is on the network.
        let (_, answer) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies"),
                &token,
                json!({"text": "Thank you!", "client_key": "a1"}),
            )
            .await;
        let answer_id = answer["id"].as_str().unwrap().to_owned();
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/messages/{answer_id}/like"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "cannot_like");
        let delete_answer = format!("/inbox/conversations/{conv}/messages/{answer_id}");
        let (status, body) = app.delete(&delete_answer, &token).await;
        assert_eq!(status, StatusCode::CONFLICT, "not sent yet: {body}");
        app.store()
            .record_reply_sent(MessageId(answer_id.parse().unwrap()), "sandbox:1", None)
            .await
            .unwrap();
        let (status, body) = app.delete(&delete_answer, &token).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert!(body["delete_requested_at"].is_string());

        // Someone's direct message: liked, never deleted (not even on a practice channel).
        let dm = message(&app, ch, "dm-1", MessageKind::Dm, "Vera", "Hello there").await;
        let (_, d) = app.get(&format!("/inbox/conversations/{dm}"), &token).await;
        let theirs = d["messages"][0]["id"].as_str().unwrap().to_owned();
        let (status, body) = app
            .delete(
                &format!("/inbox/conversations/{dm}/messages/{theirs}"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "cannot_delete");
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{dm}/messages/{theirs}/like"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");

        // Bluesky: someone else's post cannot be deleted — the reason is said.
        let (_, d) = app
            .get(&format!("/inbox/conversations/{sky_conv}"), &token)
            .await;
        let theirs = d["messages"][0]["id"].as_str().unwrap().to_owned();
        let (status, body) = app
            .delete(
                &format!("/inbox/conversations/{sky_conv}/messages/{theirs}"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "cannot_delete");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("only its author"),
            "{body}"
        );
        // A message of another conversation: 404.
        let (status, _) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/messages/{theirs}/like"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The page: buttons only where the network allows it, the state once done.
        let agent = app.user("agent2@example.test", Role::CommunityAgent).await;
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&agent, &mut jar).await;
        let html = app
            .get_page(&format!("/inbox/c/{sky_conv}"), &mut jar)
            .await
            .text();
        assert!(html.contains("/like\""), "Bluesky can like: {html}");
        assert!(!html.contains("/delete\""), "but not delete someone's post");
        let html = app
            .get_page(&format!("/inbox/c/{dm}"), &mut jar)
            .await
            .text();
        assert!(!html.contains("/delete\""), "a DM is not deleted: {html}");
        app.store()
            .finish_message_action(
                MessageId(inbound.parse().unwrap()),
                owlery_store::inbox_actions::MessageAction::Like,
                Ok(()),
            )
            .await
            .unwrap();
        let html = app
            .get_page(&format!("/inbox/c/{conv}"), &mut jar)
            .await
            .text();
        assert!(html.contains("Liked on the network"), "{html}");
        let res = app
            .post_form(
                &format!("/inbox/c/{sky_conv}/m/{theirs}/like"),
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let html = app
            .get_page(&format!("/inbox/c/{sky_conv}"), &mut jar)
            .await
            .text();
        assert!(html.contains("Liking on the network"), "{html}");
    }
}
