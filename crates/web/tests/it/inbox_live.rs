//! Working the inbox live, over HTTP on both backends: the event stream (scope, replay after a
//! reconnect, presence, two nodes on one PostgreSQL database), bulk changes (per-id results,
//! audit, limits), saved views, internal notes with @mentions (notifications and mail jobs), the
//! stale-reply check, and what the pages show.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use owlery_domain::{
    Grant, Role, Scope,
    inbox::{AroundTheClock, Author, InboundMessage, MessageKind},
};
use owlery_store::{inbox::Incoming, vault::Vault};
use owlery_triage::{BuiltIn, Classifier, inbox::classification};
use owlery_web::{AppState, WebConfig};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{
    inbox::message,
    support::{CookieJar, TEST_IP, TestApp},
};

/// One Server-Sent Events stream, read frame by frame.
struct Stream {
    body: Body,
    buf: String,
    /// Events passed over by [`Stream::expect`].
    skipped: Vec<Sse>,
}

#[derive(Debug, Clone)]
struct Sse {
    event: String,
    id: Option<String>,
    data: Value,
}

async fn open(router: &Router, jar: &CookieJar, last_id: Option<&str>) -> (StatusCode, Stream) {
    let mut req = Request::get("/inbox/events");
    if let Some(c) = jar.header() {
        req = req.header(header::COOKIE, c);
    }
    if let Some(id) = last_id {
        req = req.header("last-event-id", id);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((TEST_IP, 50000))));
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    if status == StatusCode::OK {
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/event-stream",
            "an event stream"
        );
    }
    (
        status,
        Stream {
            body: res.into_body(),
            buf: String::new(),
            skipped: Vec::new(),
        },
    )
}

impl Stream {
    /// The next event (heartbeat comments skipped), or `None` after `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if data.is_empty() {
                    continue; // a comment (heartbeat)
                }
                return Some(Sse {
                    event,
                    id,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame()).await;
            match frame {
                Ok(Some(Ok(f))) => {
                    if let Some(d) = f.data_ref() {
                        self.buf.push_str(std::str::from_utf8(d).unwrap());
                    }
                }
                _ => return None,
            }
        }
    }

    /// The next event of kind `event` about `conversation` (others skipped).
    async fn expect(&mut self, event: &str, conversation: &str) -> Sse {
        loop {
            let e = self
                .next(Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("no {event} event for {conversation}"));
            if e.event == event && e.data["conversation_id"] == conversation {
                return e;
            }
            self.skipped.push(e);
        }
    }
}

async fn page_post_json(
    router: &Router,
    jar: &CookieJar,
    csrf: &str,
    path: &str,
    body: Value,
) -> StatusCode {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", csrf);
    if let Some(c) = jar.header() {
        req = req.header(header::COOKIE, c);
    }
    let mut req = req.body(Body::from(body.to_string())).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((TEST_IP, 50000))));
    router.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn the_event_stream_sends_what_you_may_see_replays_and_carries_presence() {
    for app in TestApp::all_backends().await {
        let mine = app.workspace("Mine").await;
        let theirs = app.workspace("Theirs").await;
        let ch = app.channel(&mine, "mine").await.id;
        let och = app.channel(&theirs, "theirs").await.id;
        let agent = app
            .user_with_grants(
                "agent@example.test",
                &[Grant {
                    role: Role::CommunityAgent,
                    scope: Scope::Workspace(mine.id),
                }],
            )
            .await;
        let owner = app.user("owner@example.test", Role::Owner).await;
        let mut jar = CookieJar::default();
        app.sign_in_directly(&agent, &mut jar).await;
        let mut owner_jar = CookieJar::default();
        let owner_csrf = app.sign_in_directly(&owner, &mut owner_jar).await;
        let owner_token = app.token(&owner).await;

        let (status, mut stream) = open(&app.router, &jar, None).await;
        assert_eq!(status, StatusCode::OK);

        // A new message in another workspace is not sent; one in mine is.
        let hidden = message(&app, och, "h1", MessageKind::Dm, "Hidden", "secret").await;
        let seen = message(&app, ch, "s1", MessageKind::Dm, "Seen", "hello there").await;
        let first = stream.expect("conversation", &seen.to_string()).await;
        assert_eq!(first.data["change"], "message");
        assert_eq!(first.data["status"], "open");
        let first_id = first.id.clone().expect("conversation events carry an id");
        assert!(
            !stream
                .skipped
                .iter()
                .any(|e| e.data["conversation_id"] == hidden.to_string()),
            "another workspace's conversation leaked: {:?}",
            stream.skipped
        );

        // A person's change.
        let (status, _) = app
            .patch_json(
                &format!("/inbox/conversations/{seen}"),
                &owner_token,
                json!({"status": "pending"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let changed = stream.expect("conversation", &seen.to_string()).await;
        assert_eq!(changed.data["change"], "updated");
        assert_eq!(changed.data["status"], "pending");
        assert_eq!(changed.data["by"], json!(owner.id));

        // Presence: the owner types in the conversation; the agent hears it (not their own).
        let status = page_post_json(
            &app.router,
            &owner_jar,
            &owner_csrf,
            &format!("/inbox/c/{seen}/presence"),
            json!({"state": "typing"}),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let p = stream.expect("presence", &seen.to_string()).await;
        assert_eq!(p.data["state"], "typing");
        assert_eq!(p.data["name"], "owner");
        assert!(p.id.is_none(), "presence is not replayed");
        for (body, want) in [
            (
                json!({"state": "dancing"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (json!({"mood": 1}), StatusCode::BAD_REQUEST),
        ] {
            let status = page_post_json(
                &app.router,
                &owner_jar,
                &owner_csrf,
                &format!("/inbox/c/{seen}/presence"),
                body,
            )
            .await;
            assert_eq!(status, want);
        }
        // Not the agent's conversation: 404; without the CSRF token: 403.
        let mut agent_jar = jar.clone();
        let agent_csrf = app.sign_in_directly(&agent, &mut agent_jar).await;
        let status = page_post_json(
            &app.router,
            &agent_jar,
            &agent_csrf,
            &format!("/inbox/c/{hidden}/presence"),
            json!({"state": "viewing"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let status = page_post_json(
            &app.router,
            &agent_jar,
            "wrong",
            &format!("/inbox/c/{seen}/presence"),
            json!({"state": "viewing"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        drop(stream);

        // Reconnecting with Last-Event-ID replays what followed it; an unknown id says resync.
        let (_, mut again) = open(&app.router, &jar, Some(&first_id)).await;
        let replayed = again.expect("conversation", &seen.to_string()).await;
        assert_eq!(replayed.data["change"], "updated");
        let (_, mut lost) = open(&app.router, &jar, Some("no-such-event")).await;
        let e = lost.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(e.event, "resync");

        // Who may not read the inbox gets no stream; nobody signed in neither.
        let contributor = app.user("contrib@example.test", Role::Contributor).await;
        let mut cjar = CookieJar::default();
        app.sign_in_directly(&contributor, &mut cjar).await;
        let (status, _) = open(&app.router, &cjar, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = open(&app.router, &CookieJar::default(), None).await;
        assert_ne!(status, StatusCode::OK);
    }
}

/// Two servers on one database: a change made through node A reaches a browser connected to
/// node B (PostgreSQL: LISTEN/NOTIFY; SQLite: the outbox table).
#[tokio::test]
async fn a_change_on_one_node_reaches_a_stream_on_another() {
    for app in TestApp::all_backends().await {
        let node_b = owlery_web::router(AppState::new(
            app.store().as_another_node(),
            Arc::new(Vault::ephemeral()),
            WebConfig::default(),
        ));
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "n1", MessageKind::Dm, "Nadia", "hi").await;
        let (owner, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let mut jar = CookieJar::default();
        app.sign_in_directly(&owner, &mut jar).await;
        let (status, mut on_b) = open(&node_b, &jar, None).await;
        assert_eq!(status, StatusCode::OK);
        // Through node A's API.
        let (status, _) = app
            .patch_json(
                &format!("/inbox/conversations/{conv}"),
                &token,
                json!({"status": "closed"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let e = on_b.expect("conversation", &conv.to_string()).await;
        assert_eq!(e.data["status"], "closed");
        // And a new message ingested by node A's store.
        let other = message(&app, ch, "n2", MessageKind::Dm, "Nikola", "hello").await;
        let e = on_b.expect("conversation", &other.to_string()).await;
        assert_eq!(e.data["change"], "message");
    }
}

/// One message as a network would send it, classified.
fn incoming(
    classifier: &BuiltIn,
    channel: owlery_domain::ChannelId,
    remote: &str,
    author: &str,
) -> Incoming {
    let text = format!("Hello, is my order {remote} on its way?");
    let triage = classification(&classifier.classify(&text));
    Incoming {
        message: InboundMessage {
            channel,
            remote_id: remote.into(),
            kind: MessageKind::Dm,
            author: Author {
                remote_id: format!("id-{author}"),
                handle: author.to_lowercase(),
                name: author.into(),
                followers: Some(7),
            },
            text,
            created_at: chrono::Utc::now() - chrono::Duration::minutes(1),
            conversation_remote_id: Some(format!("dm-{author}")),
            in_reply_to_remote_id: None,
            media: Vec::new(),
            url: None,
        },
        triage,
    }
}

/// On SQLite, another process writing the same file — an import, a worker beside the server —
/// reaches the server's open streams (through the outbox table), and the server's own changes
/// still arrive once. A batch touching many conversations arrives as one `resync`.
#[tokio::test]
async fn another_process_on_the_sqlite_file_reaches_the_stream() {
    let app = TestApp::sqlite().await;
    let writer = app.store().open_again().await.unwrap().unwrap();
    let classifier = BuiltIn::new().unwrap();
    let ws = app.workspace("Shop").await;
    let ch = app.channel(&ws, "shop").await.id;
    let (owner, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    let mut jar = CookieJar::default();
    app.sign_in_directly(&owner, &mut jar).await;
    let (status, mut stream) = open(&app.router, &jar, None).await;
    assert_eq!(status, StatusCode::OK);

    // The other process ingests a message: the page hears of its conversation.
    writer
        .ingest(
            &[incoming(&classifier, ch, "x1", "Ximena")],
            &AroundTheClock::default(),
        )
        .await
        .unwrap();
    let e = stream
        .next(Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(e.event, "conversation");
    assert_eq!(e.data["change"], "message");
    let conv = e.data["conversation_id"].as_str().unwrap().to_owned();
    let listed = app
        .store()
        .list_conversations(
            app.org().id,
            &owlery_store::inbox::InboxScope::All,
            &Default::default(),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id.to_string(), conv);

    // A change through the server arrives once (not again through the outbox).
    let (status, _) = app
        .patch_json(
            &format!("/inbox/conversations/{conv}"),
            &token,
            json!({"status": "pending"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let e = stream.expect("conversation", &conv).await;
    assert_eq!(e.data["status"], "pending");
    let again = stream.next(Duration::from_millis(1_500)).await;
    assert!(again.is_none(), "delivered twice: {again:?}");

    // An import-sized batch from the other process: one resync, not an event per conversation.
    let batch: Vec<Incoming> = (0..=owlery_store::live::OUTBOX_BATCH)
        .map(|i| incoming(&classifier, ch, &format!("y{i}"), &format!("Yusuf {i}")))
        .collect();
    writer
        .ingest(&batch, &AroundTheClock::default())
        .await
        .unwrap();
    let e = stream
        .next(Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(e.event, "resync");
    assert!(stream.next(Duration::from_millis(1_500)).await.is_none());
    writer.close().await;
}

/// An answer and a like asked for over HTTP, then sent and done by the worker — on SQLite a
/// worker with its own connection to the file, as the `owlery worker` process has (its events
/// reach the server through the outbox); on PostgreSQL a worker on another node — reach an open
/// stream: each state once, the person's own with `by`, the worker's without, the answer's "sent"
/// with the conversation's new status. The conversation page then shows both.
#[tokio::test]
async fn the_workers_answer_and_like_reach_an_open_stream() {
    use owlery_jobs::{inbox_actions::MessageActor, inbox_reply::Replier};
    use owlery_store::inbox_actions::MessageAction;
    for app in TestApp::all_backends().await {
        let classifier = BuiltIn::new().unwrap();
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let (owner, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let mut jar = CookieJar::default();
        app.sign_in_directly(&owner, &mut jar).await;
        app.store()
            .ingest(
                &[incoming(&classifier, ch, "w1", "Wanda")],
                &AroundTheClock::default(),
            )
            .await
            .unwrap();
        let listed = app
            .store()
            .list_conversations(
                app.org().id,
                &owlery_store::inbox::InboxScope::All,
                &Default::default(),
                None,
                10,
            )
            .await
            .unwrap();
        let conv = listed.items[0].id;
        let inbound = app
            .store()
            .conversation(app.org().id, &owlery_store::inbox::InboxScope::All, conv)
            .await
            .unwrap()
            .messages[0]
            .id;
        let conv = conv.to_string();
        let (status, mut stream) = open(&app.router, &jar, None).await;
        assert_eq!(status, StatusCode::OK);

        let other_process = app.store().open_again().await.unwrap();
        let elsewhere = match &other_process {
            Some(s) => s.clone(),
            None => app.store().as_another_node(),
        };
        let connectors = app.state.connectors.clone();
        let worker = owlery_jobs::Worker::new(elsewhere.clone(), "live-test")
            .with_handler(Replier::new(elsewhere.clone(), connectors.clone(), None))
            .with_handler(MessageActor::new(
                MessageAction::Like,
                elsewhere.clone(),
                connectors,
                None,
            ));

        // The answer: stored by the person, then sending and sent by the worker.
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/replies"),
                &token,
                json!({"text": "It left this morning.", "client_key": "live-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let queued = stream.expect("conversation", &conv).await;
        assert_eq!(queued.data["change"], "reply");
        assert_eq!(queued.data["by"], json!(owner.id));
        assert!(queued.id.is_some(), "replayable");
        while worker.run_once().await.unwrap().is_some() {}
        let sending = stream.expect("conversation", &conv).await;
        assert_eq!(sending.data["change"], "reply");
        assert!(sending.data.get("by").is_none(), "the worker is nobody");
        let sent = stream.expect("conversation", &conv).await;
        assert_eq!(sent.data["change"], "reply");
        assert_eq!(sent.data["status"], "pending", "answered: waiting for them");
        let again = stream.next(Duration::from_millis(1_500)).await;
        assert!(again.is_none(), "one event per state: {again:?}");

        // A like: asked by the person, done by the worker.
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/messages/{inbound}/like"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let asked = stream.expect("conversation", &conv).await;
        assert_eq!(asked.data["change"], "action");
        assert_eq!(asked.data["by"], json!(owner.id));
        while worker.run_once().await.unwrap().is_some() {}
        let done = stream.expect("conversation", &conv).await;
        assert_eq!(done.data["change"], "action");
        let again = stream.next(Duration::from_millis(1_500)).await;
        assert!(again.is_none(), "one event per change: {again:?}");
        assert!(stream.skipped.is_empty(), "{:?}", stream.skipped);

        // What the page re-reads on those events shows both.
        let page = app
            .get_page(&format!("/inbox/c/{conv}"), &mut jar)
            .await
            .text();
        assert!(page.contains("delivery-badge-sent"), "{}", app.backend());
        assert!(page.contains("Liked on the network"), "{}", app.backend());
        if let Some(s) = other_process {
            s.close().await;
        }
    }
}

#[tokio::test]
async fn bulk_changes_check_each_conversation_and_audit_each() {
    for app in TestApp::all_backends().await {
        let mine = app.workspace("Mine").await;
        let theirs = app.workspace("Theirs").await;
        let ch = app.channel(&mine, "mine").await.id;
        let och = app.channel(&theirs, "theirs").await.id;
        let a = message(&app, ch, "b1", MessageKind::Dm, "Ana", "one").await;
        let b = message(&app, ch, "b2", MessageKind::Dm, "Bo", "two").await;
        let other = message(&app, och, "b3", MessageKind::Dm, "Cy", "three").await;
        let agent = app
            .user_with_grants(
                "agent@example.test",
                &[
                    Grant {
                        role: Role::CommunityAgent,
                        scope: Scope::Workspace(mine.id),
                    },
                    Grant {
                        role: Role::Analyst,
                        scope: Scope::Workspace(theirs.id),
                    },
                ],
            )
            .await;
        let token = app.token(&agent).await;
        let missing = uuid::Uuid::now_v7();

        let before = app.audit_head().await;
        let (status, body) = app
            .post_json(
                "/inbox/conversations/bulk",
                &token,
                json!({"ids": [a, b, other, missing], "action": "close"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["changed"], 2);
        let results: Vec<(String, String)> = body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_owned(),
                    r["result"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            results,
            [
                (a.to_string(), "changed".into()),
                (b.to_string(), "changed".into()),
                (other.to_string(), "forbidden".into()),
                (missing.to_string(), "not_found".into()),
            ]
        );
        assert_eq!(
            app.audit_head().await,
            before + 2,
            "one event per conversation"
        );
        let (_, c) = app.get(&format!("/inbox/conversations/{a}"), &token).await;
        assert_eq!(c["conversation"]["status"], "closed");

        // Tag (added to the others), priority, assign, reopen.
        for (req, check) in [
            (
                json!({"ids": [a], "action": "tag", "tag": "#VIP"}),
                ("tags", json!(["vip"])),
            ),
            (
                json!({"ids": [a], "action": "priority", "priority": "urgent"}),
                ("priority", json!("urgent")),
            ),
            (
                json!({"ids": [a], "action": "assign", "assignee_id": agent.id}),
                ("assignee_id", json!(agent.id)),
            ),
            (
                json!({"ids": [a], "action": "assign", "assignee_id": null}),
                ("assignee_id", json!(null)),
            ),
            (
                json!({"ids": [a], "action": "reopen"}),
                ("status", json!("open")),
            ),
        ] {
            let (status, body) = app
                .post_json("/inbox/conversations/bulk", &token, req.clone())
                .await;
            assert_eq!(status, StatusCode::OK, "{req}: {body}");
            assert_eq!(body["changed"], 1, "{req}: {body}");
            let (_, c) = app.get(&format!("/inbox/conversations/{a}"), &token).await;
            assert_eq!(c["conversation"][check.0], check.1, "{req}");
        }

        // Client mistakes.
        let too_many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
        for (req, want, field) in [
            (
                json!({"ids": [], "action": "close"}),
                StatusCode::BAD_REQUEST,
                "ids",
            ),
            (
                json!({"ids": too_many, "action": "close"}),
                StatusCode::BAD_REQUEST,
                "ids",
            ),
            (
                json!({"ids": [a], "action": "explode"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "action",
            ),
            (
                json!({"ids": [a], "action": "priority", "priority": "asap"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "priority",
            ),
            (
                json!({"ids": [a], "action": "assign", "assignee_id": uuid::Uuid::now_v7()}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "assignee_id",
            ),
            (
                json!({"ids": [a], "action": "tag", "tag": "a,b"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "tags",
            ),
            (
                json!({"ids": ["nope"], "action": "close"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "ids[0]",
            ),
        ] {
            let head = app.audit_head().await;
            let (status, body) = app
                .post_json("/inbox/conversations/bulk", &token, req.clone())
                .await;
            assert_eq!(status, want, "{req}: {body}");
            if !field.is_empty() {
                assert_eq!(body["error"]["field"], field, "{req}: {body}");
            }
            assert_eq!(app.audit_head().await, head, "nothing changed: {req}");
        }

        // An analyst may not change anything.
        let (_, analyst) = app
            .user_with_token("analyst@example.test", Role::Analyst)
            .await;
        let (status, _) = app
            .post_json(
                "/inbox/conversations/bulk",
                &analyst,
                json!({"ids": [a], "action": "close"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The page's bulk form: without JS, back to the list.
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&agent, &mut jar).await;
        let res = app
            .post_form(
                "/inbox/bulk",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("ids", &a.to_string()),
                    ("ids", &b.to_string()),
                    ("action", "assign"),
                    ("assignee", "me"),
                    ("return", "/inbox?status=closed"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(res.location(), Some("/inbox?status=closed&bulk_changed=2"));
        let res = app
            .post_form(
                "/inbox/bulk",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("ids", &a.to_string()),
                    ("action", "close"),
                    ("return", "https://evil.example/"),
                ],
            )
            .await;
        assert_eq!(res.location(), Some("/inbox?bulk_changed=1"));
        let res = app
            .post_form(
                "/inbox/bulk",
                &mut jar,
                &[("ids", &a.to_string()), ("action", "close")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "CSRF");
    }
}

#[tokio::test]
async fn saved_views_are_private_or_shared_and_listed_with_counts() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        message(
            &app,
            ch,
            "v1",
            MessageKind::Dm,
            "Ivan",
            "Ужасно обслужване, още чакам поръчката си!",
        )
        .await;
        message(&app, ch, "v2", MessageKind::Dm, "Ann", "Thanks, lovely!").await;
        let (maria, token) = app
            .user_with_token("maria@example.test", Role::CommunityAgent)
            .await;
        let (_, other) = app
            .user_with_token("georgi@example.test", Role::CommunityAgent)
            .await;
        let team = app.team("Support").await;
        app.store()
            .set_team_member(&owlery_domain::audit::Actor::cli(), team.id, maria.id, true)
            .await
            .unwrap();

        let before = app.audit_head().await;
        let (status, mine) = app
            .post_json(
                "/inbox/views",
                &token,
                json!({"name": " Angry ", "query": "?sentiment=negative&cursor=x&colour=red"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{mine}");
        assert_eq!(mine["name"], "Angry");
        assert_eq!(mine["query"], "sentiment=negative");
        assert_eq!(mine["visibility"], "private");
        assert_eq!(app.audit_head().await, before + 1);
        let (status, shared) = app
            .post_json(
                "/inbox/views",
                &token,
                json!({"name": "Everyone's", "query": "status=open", "visibility": "organisation"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{shared}");
        let (status, teamv) = app
            .post_json(
                "/inbox/views",
                &token,
                json!({"name": "Team", "query": "q=lovely", "visibility": "team", "team_id": team.id}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{teamv}");
        for (body, field) in [
            (json!({"name": "", "query": ""}), "name"),
            (
                json!({"name": "x", "query": "", "visibility": "world"}),
                "visibility",
            ),
            (
                json!({"name": "x", "query": "", "visibility": "team"}),
                "team_id",
            ),
            (
                json!({"name": "x", "query": "", "visibility": "team", "team_id": uuid::Uuid::now_v7()}),
                "team_id",
            ),
        ] {
            let (status, res) = app.post_json("/inbox/views", &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
            assert_eq!(res["error"]["field"], field, "{body}");
        }

        let names = |v: &Value| -> Vec<String> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let (_, list) = app.get("/inbox/views", &token).await;
        assert_eq!(names(&list), ["Angry", "Everyone's", "Team"]);
        let (_, list) = app.get("/inbox/views", &other).await;
        assert_eq!(
            names(&list),
            ["Everyone's"],
            "not in the team, not the owner"
        );

        // Only the owner (or org:manage) changes or deletes.
        let id = shared["id"].as_str().unwrap();
        let (status, _) = app
            .patch_json(
                &format!("/inbox/views/{id}"),
                &other,
                json!({"name": "Mine now", "query": ""}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.delete(&format!("/inbox/views/{id}"), &other).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, v) = app
            .patch_json(
                &format!("/inbox/views/{id}"),
                &token,
                json!({"name": "Open ones", "query": "status=open&assignee=me", "visibility": "private"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["query"], "status=open&assignee=me");
        let (_, list) = app.get("/inbox/views", &other).await;
        assert!(names(&list).is_empty(), "made private again");
        let (status, _) = app
            .delete(&format!("/inbox/views/{}", uuid::Uuid::now_v7()), &token)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The sidebar: counts, the active view, the save form.
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&maria, &mut jar).await;
        let html = app
            .get_page("/inbox?sentiment=negative", &mut jar)
            .await
            .text();
        assert!(html.contains("Saved views"), "{html}");
        assert!(
            html.contains(
                "<a href=\"/inbox?sentiment=negative\" aria-current=\"true\"><span class=\"inbox-view-name\">Angry</span>"
            ),
            "{html}"
        );
        assert!(html.contains("inbox-view-count"), "{html}");
        assert!(html.contains("name=\"query\" value=\"sentiment=negative\""));
        let res = app
            .post_form(
                "/inbox/views",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("name", "Praise"),
                    ("query", "sentiment=positive"),
                    ("visibility", "private"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(res.location(), Some("/inbox?sentiment=positive"));
        let (_, list) = app.get("/inbox/views", &token).await;
        let praise = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "Praise")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .post_form(
                &format!("/inbox/views/{praise}/delete"),
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let (_, list) = app.get("/inbox/views", &token).await;
        assert!(!names(&list).contains(&"Praise".to_owned()));
    }
}

#[tokio::test]
async fn notes_with_mentions_notify_and_stay_off_the_network() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(
            &app,
            ch,
            "n1",
            MessageKind::Dm,
            "Ivan",
            "Where is my order?",
        )
        .await;
        let (agent, token) = app
            .user_with_token("agent@example.test", Role::CommunityAgent)
            .await;
        let maria = app
            .user("maria.ivanova@example.test", Role::CommunityAgent)
            .await;
        let (_, analyst) = app
            .user_with_token("analyst@example.test", Role::Analyst)
            .await;

        let (_, before) = app
            .get(&format!("/inbox/conversations/{conv}"), &token)
            .await;
        let head = app.audit_head().await;
        let (status, note) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/notes"),
                &token,
                json!({"text": "  @maria.ivanova can you check the courier? cc @nobody  "}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(
            note["text"],
            "@maria.ivanova can you check the courier? cc @nobody"
        );
        assert_eq!(note["mentions"], json!([maria.id]));
        assert_eq!(note["author_id"], json!(agent.id));
        assert_eq!(app.audit_head().await, head + 1);
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "conversation.note"
        );
        // Maria is notified (with an e-mail job); the thread on the network is untouched.
        let notes = app.store().notifications(maria.id, 10).await.unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].kind, "inbox_mention");
        assert_eq!(notes[0].params["author"], "agent");
        assert_eq!(notes[0].params["title"], "Ivan");
        assert!(
            notes[0]
                .link
                .as_deref()
                .unwrap()
                .starts_with(&format!("/inbox/c/{conv}#note-"))
        );
        let (_, after) = app
            .get(&format!("/inbox/conversations/{conv}"), &token)
            .await;
        assert_eq!(after["messages"], before["messages"]);
        assert_eq!(
            after["conversation"]["message_count"],
            before["conversation"]["message_count"]
        );

        let (status, list) = app
            .get(&format!("/inbox/conversations/{conv}/notes"), &analyst)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let (status, _) = app
            .post_json(
                &format!("/inbox/conversations/{conv}/notes"),
                &analyst,
                json!({"text": "hi"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "analysts read only");
        for (text, code) in [("  ", "empty_note"), (&*"x".repeat(5001), "note_too_long")] {
            let (status, body) = app
                .post_json(
                    &format!("/inbox/conversations/{conv}/notes"),
                    &token,
                    json!({ "text": text }),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(body["error"]["code"], code);
        }
        let (status, _) = app
            .post_json(
                &format!("/inbox/conversations/{}/notes", uuid::Uuid::now_v7()),
                &token,
                json!({"text": "hi"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The page: the note with its mention marked, the form, the autocomplete list.
        let mut jar = CookieJar::default();
        let csrf = app.sign_in_directly(&agent, &mut jar).await;
        let res = app
            .post_form(
                &format!("/inbox/c/{conv}/notes"),
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("text", "Second note for @maria.ivanova"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let html = app
            .get_page(&format!("/inbox/c/{conv}"), &mut jar)
            .await
            .text();
        assert!(html.contains("Internal notes"), "{html}");
        assert!(
            html.contains("<mark class=\"mention\">@maria.ivanova</mark>"),
            "{html}"
        );
        assert!(html.contains("data-mentions="), "{html}");
        assert!(html.contains("maria.ivanova"), "{html}");
        assert!(html.contains("id=\"inbox-shortcuts\""), "{html}");
        assert!(html.contains("data-seen-message-id=\""), "{html}");
        assert_eq!(
            app.store().notifications(maria.id, 10).await.unwrap().len(),
            2
        );

        // The page's notifications list reads the new kind in words.
        let mut mjar = CookieJar::default();
        app.sign_in_directly(&maria, &mut mjar).await;
        let html = app.get_page("/notifications", &mut mjar).await.text();
        assert!(
            html.contains("agent mentioned you in a note on the conversation with Ivan."),
            "{html}"
        );
    }
}

#[tokio::test]
async fn a_reply_on_a_stale_view_is_flagged() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "m1", MessageKind::Dm, "Ivan", "Hello?").await;
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let mut jar = CookieJar::default();
        app.sign_in_directly(&agent, &mut jar).await;
        let html = app
            .get_page(&format!("/inbox/c/{conv}"), &mut jar)
            .await
            .text();
        let seen = html
            .split("data-seen-message-id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        assert!(!seen.is_empty());
        let check = |jar: &mut CookieJar, q: String| {
            let app = &app;
            let path = format!("/inbox/c/{conv}/stale{q}");
            let mut jar = jar.clone();
            async move { app.get_page(&path, &mut jar).await }
        };
        let res = check(&mut jar, format!("?seen_message_id={seen}")).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.json(), json!({"state": "fresh"}));
        // The contact writes again (same DM thread).
        let m = owlery_domain::inbox::InboundMessage {
            channel: ch,
            remote_id: "m2".into(),
            kind: MessageKind::Dm,
            author: owlery_domain::inbox::Author {
                remote_id: "id-Ivan".into(),
                handle: "ivan".into(),
                name: "Ivan".into(),
                followers: Some(42),
            },
            text: "Anyone?".into(),
            created_at: app.store().now(),
            conversation_remote_id: None,
            in_reply_to_remote_id: None,
            media: Vec::new(),
            url: None,
        };
        let triage = owlery_triage::inbox::classification(&owlery_triage::Classifier::classify(
            &owlery_triage::BuiltIn::new().unwrap(),
            "Anyone?",
        ));
        app.store()
            .ingest(
                &[owlery_store::inbox::Incoming { message: m, triage }],
                &owlery_domain::inbox::AroundTheClock::default(),
            )
            .await
            .unwrap();
        let res = check(&mut jar, format!("?seen_message_id={seen}")).await;
        assert_eq!(res.json(), json!({"state": "stale", "unseen": 1}));
        let res = check(&mut jar, "?seen_message_id=nope".into()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        let res = check(&mut jar, String::new()).await;
        assert_eq!(res.json(), json!({"state": "stale", "unseen": 2}));
    }
}

#[tokio::test]
async fn the_list_page_offers_bulk_changes_and_shortcuts() {
    for app in TestApp::all_backends().await {
        let ws = app.workspace("Shop").await;
        let ch = app.channel(&ws, "shop").await.id;
        let conv = message(&app, ch, "l1", MessageKind::Dm, "Ivan", "Hello?").await;
        let agent = app.user("agent@example.test", Role::CommunityAgent).await;
        let mut jar = CookieJar::default();
        app.sign_in_directly(&agent, &mut jar).await;
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(html.contains("id=\"inbox-bulk\""), "{html}");
        assert!(
            html.contains(&format!(
                "name=\"ids\" value=\"{conv}\" form=\"inbox-bulk\""
            )),
            "{html}"
        );
        assert!(html.contains("Keyboard shortcuts"), "{html}");
        assert!(html.contains("/static/inbox.js?v="), "{html}");
        // An analyst sees no bulk bar.
        let analyst = app.user("analyst@example.test", Role::Analyst).await;
        let mut jar = CookieJar::default();
        app.sign_in_directly(&analyst, &mut jar).await;
        let html = app.get_page("/inbox", &mut jar).await.text();
        assert!(!html.contains("id=\"inbox-bulk\""), "{html}");
        let res = app.get_page("/static/inbox.js", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK);
    }
}
