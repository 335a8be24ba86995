//! Webhook receivers over HTTP (the real router) on SQLite and PostgreSQL: signatures with known
//! vectors, subscription checks, forged / replayed / unknown / oversized notifications refused,
//! and documented-shape payloads of each network turned into the right conversations and contacts
//! by the webhook processor.

use std::sync::Arc;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use owlery_domain::{
    ChannelId, Role, audit::Actor, inbox::MessageKind, org::Network, user::DisplayName,
};
use owlery_jobs::webhooks::Processor;
use owlery_store::{
    inbox::{ConversationFilter, InboxScope},
    oauth::{NewNetworkApp, network_app_purpose},
    org::{ChannelCredential, channel_credential_purpose},
    webhooks::verify_token_purpose,
};
use sha2::Sha256;

use crate::support::{CookieJar, TestApp};

const META_SECRET: &str = "meta-app-secret-1";
const X_SECRET: &str = "x-consumer-secret-42";
const LI_SECRET: &str = "li-client-secret-7";

fn hmac(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

fn meta_sig(body: &str) -> String {
    format!("sha256={}", hex::encode(hmac(META_SECRET, body.as_bytes())))
}

fn x_sig(body: &str) -> String {
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(hmac(X_SECRET, body.as_bytes()))
    )
}

fn li_sig(body: &str) -> String {
    hex::encode(hmac(LI_SECRET, format!("hmacsha256={body}").as_bytes()))
}

/// Set the organisation's app on `network` and return its webhook id.
async fn app_on(app: &TestApp, network: Network, secret: &str) -> (String, String) {
    let sealed = app
        .state
        .vault
        .seal(&network_app_purpose(network, None), secret.as_bytes())
        .unwrap();
    app.store()
        .set_network_app(
            &Actor::cli(),
            app.org().id,
            &NewNetworkApp {
                network,
                service: None,
                client_id: "client-1",
                secret_sealed: &sealed,
                registered: false,
            },
        )
        .await
        .unwrap();
    owlery_web::webhooks::ensure(&app.state, &Actor::cli(), app.org().id, network)
        .await
        .unwrap()
}

/// A connected channel on `network` for `account`.
async fn channel(app: &TestApp, network: Network, account: &str) -> ChannelId {
    let ws = app.workspace(&format!("WS {}", network.code())).await;
    let id = ChannelId::new();
    let sealed = app
        .state
        .vault
        .seal(&channel_credential_purpose(id), b"token")
        .unwrap();
    app.store()
        .create_connected_channel(
            &Actor::cli(),
            ws.id,
            network,
            &DisplayName::parse("name", "Northwind").unwrap(),
            &format!("northwind-{}", network.code()),
            id,
            &ChannelCredential {
                service: None,
                account_id: account.into(),
                sealed,
                refresh_sealed: None,
                expires_at: None,
                auth: owlery_domain::org::AuthKind::Standard,
            },
        )
        .await
        .unwrap();
    id
}

async fn post(app: &TestApp, path: &str, header: Option<(&str, &str)>, body: &str) -> StatusCode {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json");
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    app.send(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .status
}

/// A signed Meta delivery: its status and body.
async fn post_meta(app: &TestApp, path: &str, body: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", meta_sig(body));
    let res = app
        .send(req.body(Body::from(body.to_owned())).unwrap())
        .await;
    (res.status, res.text())
}

#[tokio::test]
async fn an_exact_repeat_is_answered_200_and_never_processed_twice() {
    for app in TestApp::all_backends().await {
        let (meta, _) = app_on(&app, Network::FacebookPage, META_SECRET).await;
        channel(&app, Network::FacebookPage, "1001").await;
        let path = format!("/webhooks/meta/{meta}");
        let body = r#"{"object":"page","entry":[{"id":"1001","time":1764244800,"messaging":[{"sender":{"id":"7001"},"recipient":{"id":"1001"},"timestamp":1764244801000,"message":{"mid":"m_repeat_1","text":"Is my order shipped?"}}]}]}"#;
        assert_eq!(
            post_meta(&app, &path, body).await,
            (StatusCode::OK, "ok".into())
        );
        // Meta did not get the 200 and sends the same bytes again, before and after processing.
        assert_eq!(
            post_meta(&app, &path, body).await,
            (StatusCode::OK, "already received".into())
        );
        let p = processor(&app);
        let round = p.run_once().await.unwrap();
        assert_eq!((round.deliveries, round.ingested), (1, 1));
        assert_eq!(
            post_meta(&app, &path, body).await,
            (StatusCode::OK, "already received".into())
        );
        assert_eq!(p.run_once().await.unwrap().deliveries, 0);
        let counts = app.store().webhook_delivery_counts().await.unwrap();
        assert_eq!((counts.pending, counts.done), (0, 1));
        // One message in the inbox, however many times it came.
        assert_eq!(app.store().inbox_counts().await.unwrap().0, 1);
    }
}

async fn get(app: &TestApp, path: &str) -> crate::support::TestResponse {
    app.send(Request::get(path).body(Body::empty()).unwrap())
        .await
}

fn processor(app: &TestApp) -> Processor {
    Processor::new(
        app.store().clone(),
        Arc::new(owlery_triage::BuiltIn::new().unwrap()),
    )
}

async fn conversations(
    app: &TestApp,
    channel: ChannelId,
) -> Vec<owlery_store::inbox::ConversationSummary> {
    app.store()
        .list_conversations(
            app.org().id,
            &InboxScope::All,
            &ConversationFilter {
                channel: Some(channel),
                ..ConversationFilter::default()
            },
            None,
            100,
        )
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn subscription_checks_answer_only_with_the_right_secret_or_token() {
    for app in TestApp::all_backends().await {
        let (meta, token) = app_on(&app, Network::FacebookPage, META_SECRET).await;
        let (x, _) = app_on(&app, Network::X, X_SECRET).await;
        let (li, _) = app_on(&app, Network::Linkedin, LI_SECRET).await;

        // Meta: the challenge comes back only for the app's verify token.
        let ok = get(
            &app,
            &format!("/webhooks/meta/{meta}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", app.backend());
        assert_eq!(ok.text(), "1158201444");
        let bad = get(
            &app,
            &format!(
                "/webhooks/meta/{meta}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"
            ),
        )
        .await;
        assert_eq!(bad.status, StatusCode::FORBIDDEN);

        // X: the documented CRC scheme, the vector computed with OpenSSL (see networks::webhook).
        let crc = get(&app, &format!("/webhooks/x/{x}?crc_token=crc-token-abc123")).await;
        assert_eq!(crc.status, StatusCode::OK);
        assert_eq!(
            crc.json()["response_token"],
            "sha256=lDzJTnlIMYVxF8l48sF49RD7/0tmOYWtctXANW5Y2SE="
        );
        // A body-shaped token is refused: the CRC must not sign bodies for anyone who asks.
        let oracle = get(
            &app,
            &format!("/webhooks/x/{x}?crc_token=%7B%22for_user_id%22%3A%2242%22%7D"),
        )
        .await;
        assert_eq!(oracle.status, StatusCode::BAD_REQUEST);

        // LinkedIn: hex HMAC of the challenge code (OpenSSL vector).
        let code = "6b1f3a2e-0c4d-4e8f-9a7b-2d5c8e1f0a3b";
        let ch = get(
            &app,
            &format!("/webhooks/linkedin/{li}?challengeCode={code}"),
        )
        .await;
        assert_eq!(ch.status, StatusCode::OK);
        assert_eq!(ch.json()["challengeCode"], code);
        assert_eq!(
            ch.json()["challengeResponse"],
            "3fb523189d34120e5acad1495a22da3bb5c42be48a358a2e1944ee795c8e7c5e"
        );
        assert_eq!(
            get(
                &app,
                &format!("/webhooks/linkedin/{li}?challengeCode=%7B%7D")
            )
            .await
            .status,
            StatusCode::BAD_REQUEST
        );

        // Unknown apps, and an app under another network's path, are 404s.
        assert_eq!(
            get(
                &app,
                "/webhooks/x/0123456789abcdef0123456789abcdef?crc_token=a"
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(
                &app,
                &format!("/webhooks/linkedin/{x}?challengeCode={code}")
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        // The verify token is sealed at rest.
        let stored = app
            .store()
            .webhook_app(&meta)
            .await
            .unwrap()
            .unwrap()
            .verify_token_sealed
            .unwrap();
        assert!(!stored.windows(token.len()).any(|w| w == token.as_bytes()));
        assert_eq!(
            app.state
                .vault
                .open(&verify_token_purpose(Network::FacebookPage), &stored)
                .unwrap(),
            token.as_bytes()
        );
    }
}

#[tokio::test]
async fn forged_unknown_and_oversized_notifications_are_refused_and_repeats_are_not_kept() {
    for app in TestApp::all_backends().await {
        let (meta, _) = app_on(&app, Network::FacebookPage, META_SECRET).await;
        let (x, _) = app_on(&app, Network::X, X_SECRET).await;
        let (li, _) = app_on(&app, Network::Linkedin, LI_SECRET).await;
        let path = format!("/webhooks/meta/{meta}");
        let body = r#"{"object":"page","entry":[]}"#;

        // No signature, a wrong one, one by another secret: 401, nothing stored.
        assert_eq!(
            post(&app, &path, None, body).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            post(
                &app,
                &path,
                Some(("x-hub-signature-256", "sha256=00")),
                body
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            post(
                &app,
                &path,
                Some(("x-hub-signature-256", &x_sig(body))),
                body
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        // A valid signature over another body (tampered in flight).
        let tampered = r#"{"object":"page","entry":[1]}"#;
        assert_eq!(
            post(
                &app,
                &path,
                Some(("x-hub-signature-256", &meta_sig(body))),
                tampered
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.store().webhook_delivery_counts().await.unwrap().pending,
            0
        );

        // Signed: 200 and kept; the same delivery again is an exact repeat: 200 too (the network
        // lost our first answer), and not kept twice.
        let sig = meta_sig(body);
        assert_eq!(
            post(&app, &path, Some(("x-hub-signature-256", &sig)), body).await,
            StatusCode::OK
        );
        assert_eq!(
            post(&app, &path, Some(("x-hub-signature-256", &sig)), body).await,
            StatusCode::OK
        );
        assert_eq!(
            app.store().webhook_delivery_counts().await.unwrap().pending,
            1
        );
        // A copy of a stored body without its signature is still refused.
        assert_eq!(
            post(&app, &path, None, body).await,
            StatusCode::UNAUTHORIZED
        );

        // X and LinkedIn signatures, each only on its own receiver.
        let xb = r#"{"for_user_id":"42","tweet_create_events":[]}"#;
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/x/{x}"),
                Some(("x-twitter-webhooks-signature", &x_sig(xb))),
                xb
            )
            .await,
            StatusCode::OK
        );
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/x/{x}"),
                Some(("x-twitter-webhooks-signature", &meta_sig(xb))),
                xb
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        let lb = r#"{"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS","notifications":[]}"#;
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/linkedin/{li}"),
                Some(("x-li-signature", &li_sig(lb))),
                lb
            )
            .await,
            StatusCode::OK
        );
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/meta/{li}"),
                Some(("x-hub-signature-256", &meta_sig(lb))),
                lb
            )
            .await,
            StatusCode::NOT_FOUND
        );

        // Unknown app: 404. Oversized: 413, before any signature work.
        assert_eq!(
            post(
                &app,
                "/webhooks/meta/ffffffffffffffffffffffffffffffff",
                Some(("x-hub-signature-256", &sig)),
                body
            )
            .await,
            StatusCode::NOT_FOUND
        );
        let big = format!(r#"{{"object":"page","pad":"{}"}}"#, "a".repeat(1024 * 1024));
        assert_eq!(
            post(
                &app,
                &path,
                Some(("x-hub-signature-256", &meta_sig(&big))),
                &big
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            app.store().webhook_delivery_counts().await.unwrap().pending,
            3
        );
    }
}

// Documented-shape payloads (see owlery_networks::webhook::events for their sources).
const PAGE_FEED: &str = r#"{"object":"page","entry":[{"id":"1001","time":1764244800,"changes":[{"field":"feed","value":{"from":{"id":"555","name":"Ана Петрова"},"post_id":"1001_77","comment_id":"77_900","created_time":1764244790,"item":"comment","parent_id":"1001_77","verb":"add","message":"Кога отваряте утре?"}},{"field":"feed","value":{"from":{"id":"556","name":"Bo Lind"},"post_id":"1001_77","comment_id":"77_901","created_time":1764244791,"item":"comment","verb":"add","message":"Great news!"}}]},{"id":"999999","time":1764244800,"changes":[{"field":"feed","value":{"from":{"id":"1"},"post_id":"999999_1","comment_id":"1_1","item":"comment","verb":"add","message":"not ours"}}]}],"messaging":[]}"#;
const PAGE_EDIT_AND_REMOVE: &str = r#"{"object":"page","entry":[{"id":"1001","time":1764244900,"changes":[{"field":"feed","value":{"from":{"id":"555","name":"Ана Петрова"},"post_id":"1001_77","comment_id":"77_900","created_time":1764244890,"item":"comment","verb":"edited","message":"Кога отваряте в неделя?"}},{"field":"feed","value":{"from":{"id":"556","name":"Bo Lind"},"post_id":"1001_77","comment_id":"77_901","item":"comment","verb":"remove","created_time":1764244891}}]}]}"#;
const MESSENGER: &str = r#"{"object":"page","entry":[{"id":"1001","time":1764244800,"messaging":[{"sender":{"id":"7001"},"recipient":{"id":"1001"},"timestamp":1764244801000,"message":{"mid":"m_1","text":"Hi, is my order shipped?"}},{"sender":{"id":"7001"},"recipient":{"id":"1001"},"timestamp":1764244802000,"message":{"mid":"m_2","text":"Order #4411"}}]}]}"#;
const INSTAGRAM: &str = r#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1764244800,"changes":[{"field":"comments","value":{"from":{"id":"2323","username":"mila.b"},"media":{"id":"18000000000000042","media_product_type":"FEED"},"id":"17865799348089039","text":"Love this"}}]}]}"#;
const THREADS: &str = r#"{"app_id":"123456","topic":"moderate","target_id":"78901","time":1723226877,"subscription_id":"234567","has_uid_field":false,"values":{"value":{"id":"8901234","username":"test_username","text":"Reply","media_type":"TEXT_POST","permalink":"https://www.threads.net/@test_username/post/Pp","replied_to":{"id":"567890"},"root_post":{"id":"123456","owner_id":"78901","username":"northwind"},"shortcode":"Pp","timestamp":"2024-08-07T10:33:16+0000"},"field":"replies"}}"#;
const X_EVENTS: &str = r#"{"for_user_id":"2244994945","tweet_create_events":[{"created_at":"Thu Nov 27 11:59:00 +0000 2026","id_str":"1862000000000000001","text":"@northwind the app keeps crashing","in_reply_to_status_id_str":"1861000000000000000","in_reply_to_user_id_str":"2244994945","user":{"id_str":"3001","name":"Dev Patel","screen_name":"devp","followers_count":120},"timestamp_ms":"1764244740000"}],"direct_message_events":[{"type":"message_create","id":"1862000000000000010","created_timestamp":"1764244780000","message_create":{"target":{"recipient_id":"2244994945"},"sender_id":"3001","message_data":{"text":"order #123?"}}}],"users":{"3001":{"id":"3001","name":"Dev Patel","screen_name":"devp","followers_count":120}}}"#;
const X_DELETE: &str = r#"{"for_user_id":"2244994945","tweet_delete_events":[{"status":{"id":"1862000000000000001","user_id":"3001"},"timestamp_ms":"1764244790000"}]}"#;
const LINKEDIN: &str = r#"{"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS","notifications":[{"notificationId":1001,"organizationalEntity":"urn:li:organization:2414183","action":"COMMENT","sourcePost":"urn:li:share:6883746834557935616","lastModifiedAt":1764244800000,"generatedActivity":"urn:li:comment:(urn:li:activity:6883746833840709632,6884232346456113152)","decoratedGeneratedActivity":{"comment":{"owner":"urn:li:person:AbC123","text":"Are you hiring in Sofia?"}}}]}"#;

#[tokio::test]
async fn documented_payloads_become_conversations_and_contacts() {
    for app in TestApp::all_backends().await {
        let (meta, _) = app_on(&app, Network::FacebookPage, META_SECRET).await;
        let (x, _) = app_on(&app, Network::X, X_SECRET).await;
        let (li, _) = app_on(&app, Network::Linkedin, LI_SECRET).await;
        let page = channel(&app, Network::FacebookPage, "1001").await;
        let ig = channel(&app, Network::Instagram, "17841400000000001").await;
        let threads = channel(&app, Network::Threads, "78901").await;
        let xc = channel(&app, Network::X, "2244994945").await;
        let lic = channel(&app, Network::Linkedin, "urn:li:organization:2414183").await;
        let meta_path = format!("/webhooks/meta/{meta}");
        for body in [PAGE_FEED, MESSENGER, INSTAGRAM, THREADS] {
            assert_eq!(
                post(
                    &app,
                    &meta_path,
                    Some(("x-hub-signature-256", &meta_sig(body))),
                    body
                )
                .await,
                StatusCode::OK
            );
        }
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/x/{x}"),
                Some(("x-twitter-webhooks-signature", &x_sig(X_EVENTS))),
                X_EVENTS
            )
            .await,
            StatusCode::OK
        );
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/linkedin/{li}"),
                Some(("x-li-signature", &li_sig(LINKEDIN))),
                LINKEDIN
            )
            .await,
            StatusCode::OK
        );
        // A poison delivery (signed, but not JSON) is kept as failed, not retried.
        let junk = "not json at all";
        assert_eq!(
            post(
                &app,
                &meta_path,
                Some(("x-hub-signature-256", &meta_sig(junk))),
                junk
            )
            .await,
            StatusCode::OK
        );
        let p = processor(&app);
        let round = p.run_once().await.unwrap();
        assert_eq!(round.deliveries, 7, "{}", app.backend());
        assert_eq!(round.poison, 1);
        assert_eq!(round.ingested, 2 + 2 + 1 + 1 + 2 + 1);
        assert_eq!(
            round.dropped, 1,
            "the entry for Page 999999, not a channel here"
        );
        assert_eq!(p.run_once().await.unwrap().deliveries, 0);
        let counts = app.store().webhook_delivery_counts().await.unwrap();
        assert_eq!((counts.done, counts.failed, counts.pending), (6, 1, 0));
        assert!(app.store().webhook_delivery_errors().await.unwrap()[0].contains("not JSON"));

        // Facebook: two comments on one post by two people → two conversations; one DM thread.
        let fb = conversations(&app, page).await;
        assert_eq!(fb.len(), 3);
        let comments: Vec<_> = fb
            .iter()
            .filter(|c| c.kind == MessageKind::Comment)
            .collect();
        assert_eq!(comments.len(), 2);
        assert!(
            comments
                .iter()
                .all(|c| c.post_remote_id.as_deref() == Some("1001_77"))
        );
        assert!(comments.iter().any(|c| c.contact.name == "Ана Петрова"));
        let dm = fb.iter().find(|c| c.kind == MessageKind::Dm).unwrap();
        assert_eq!(dm.message_count, 2);
        // Instagram, Threads, LinkedIn: one comment conversation each.
        for (ch, who) in [(ig, "mila.b"), (threads, "test_username"), (lic, "AbC123")] {
            let c = conversations(&app, ch).await;
            assert_eq!(c.len(), 1);
            assert_eq!(c[0].kind, MessageKind::Comment);
            assert_eq!(c[0].contact.handle, who);
        }
        // X: a reply (comment) and a DM from the same person: one contact, two conversations.
        let xs = conversations(&app, xc).await;
        assert_eq!(xs.len(), 2);
        assert_eq!(xs[0].contact.id, xs[1].contact.id);
        assert_eq!(xs[0].contact.followers, Some(120));

        // Edits and deletions on the network update the messages.
        for body in [PAGE_EDIT_AND_REMOVE] {
            assert_eq!(
                post(
                    &app,
                    &meta_path,
                    Some(("x-hub-signature-256", &meta_sig(body))),
                    body
                )
                .await,
                StatusCode::OK
            );
        }
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/x/{x}"),
                Some(("x-twitter-webhooks-signature", &x_sig(X_DELETE))),
                X_DELETE
            )
            .await,
            StatusCode::OK
        );
        let round = p.run_once().await.unwrap();
        assert_eq!(round.ingested, 0);
        assert_eq!(round.deleted, 2);
        let ana = comments
            .iter()
            .find(|c| c.contact.name == "Ана Петрова")
            .unwrap();
        let detail = app
            .store()
            .conversation(app.org().id, &InboxScope::All, ana.id)
            .await
            .unwrap();
        assert_eq!(detail.messages[0].text, "Кога отваряте в неделя?");
        assert!(detail.messages[0].edited_at.is_some());
        let reply = xs.iter().find(|c| c.kind == MessageKind::Comment).unwrap();
        let detail = app
            .store()
            .conversation(app.org().id, &InboxScope::All, reply.id)
            .await
            .unwrap();
        assert!(detail.messages[0].deleted_at.is_some());

        // Processing the same deliveries again (a crash before they were marked done) adds nothing.
        let before = app.store().inbox_counts().await.unwrap();
        let p2 = processor(&app);
        let body = r#"{"object":"page","entry":[{"id":"1001","time":1764244800,"messaging":[{"sender":{"id":"7001"},"recipient":{"id":"1001"},"timestamp":1764244801000,"message":{"mid":"m_1","text":"Hi, is my order shipped?"}}]}]}"#;
        assert_eq!(
            post(
                &app,
                &meta_path,
                Some(("x-hub-signature-256", &meta_sig(body))),
                body
            )
            .await,
            StatusCode::OK
        );
        assert_eq!(p2.run_once().await.unwrap().ingested, 0);
        assert_eq!(app.store().inbox_counts().await.unwrap(), before);
    }
}

#[tokio::test]
async fn the_network_apps_page_shows_webhook_addresses_to_those_who_manage_apps() {
    let app = TestApp::sqlite().await;
    let owner = app.user("owner@example.test", Role::Owner).await;
    let (id, token) = app_on(&app, Network::FacebookPage, META_SECRET).await;
    let mut jar = CookieJar::default();
    app.sign_in_directly(&owner, &mut jar).await;
    let page = app.get_page("/settings/network-apps", &mut jar).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("/webhooks/meta/{id}")));
    assert!(html.contains(&token));
    // An editor cannot manage network apps: no page, no token.
    let editor = app.user("ed@example.test", Role::Publisher).await;
    let mut jar = CookieJar::default();
    app.sign_in_directly(&editor, &mut jar).await;
    let page = app.get_page("/settings/network-apps", &mut jar).await;
    assert_ne!(page.status, StatusCode::OK);
    assert!(!page.text().contains(&token));
}

// Meta's documented Instagram `mentions` notification: ids only. The content is read through the
// Graph API (`mentioned_media`), played here by a fixture server with the reference's shape.
const INSTAGRAM_MENTION: &str = r#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1764244800,"changes":[{"field":"mentions","value":{"media_id":"17920112008063024"}},{"field":"comments","value":{"from":{"id":"2323","username":"mila.b"},"media":{"id":"18000000000000042","media_product_type":"FEED"},"id":"17865799348089039","text":"Love this"}}]}]}"#;

#[tokio::test]
async fn instagram_mentions_are_read_through_the_api_and_never_lost_when_it_fails() {
    use owlery_networks::fixture::{Fixture, Reply};
    use owlery_networks::{Connectors, Env, instagram::Instagram};

    const ACCOUNT: &str = "17841400000000001";
    for app in TestApp::all_backends().await {
        let (meta, _) = app_on(&app, Network::Instagram, META_SECRET).await;
        let ig = channel(&app, Network::Instagram, ACCOUNT).await;
        let server = Fixture::start().await.unwrap();
        // Meta is down at first, then answers with the mentioned media.
        server.on(
            "GET",
            &format!("/{ACCOUNT}"),
            Reply::json(
                500,
                serde_json::json!({"error": {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1, "is_transient": true, "fbtrace_id": "A1"}}),
            ),
        );
        server.on(
            "GET",
            &format!("/{ACCOUNT}"),
            Reply::json(
                200,
                serde_json::json!({"mentioned_media": {"id": "17920112008063024", "caption": "Brunch at Northwind", "username": "ana.p", "timestamp": "2026-11-27T09:12:44+0000", "media_type": "IMAGE"}, "id": ACCOUNT}),
            ),
        );
        let env = Env {
            base_url: Some(server.url()),
            ..Env::default()
        };
        let connectors = Arc::new(
            Connectors::empty(env.budgets.clone()).with(Arc::new(Instagram::new(env).unwrap())),
        );
        let p = processor(&app).with_network(connectors, Some(app.state.vault.clone()));
        assert_eq!(
            post(
                &app,
                &format!("/webhooks/meta/{meta}"),
                Some(("x-hub-signature-256", &meta_sig(INSTAGRAM_MENTION))),
                INSTAGRAM_MENTION
            )
            .await,
            StatusCode::OK
        );

        // The comment is ingested; the mention cannot be read yet, so the delivery is retried.
        let round = p.run_once().await.unwrap();
        assert_eq!((round.ingested, round.retried), (1, 1), "{}", app.backend());
        let counts = app.store().webhook_delivery_counts().await.unwrap();
        assert_eq!((counts.done, counts.failed, counts.pending), (0, 0, 1));
        assert_eq!(
            p.run_once().await.unwrap().deliveries,
            0,
            "not before its time"
        );

        // Later: the mention is read and ingested; the comment is not added twice.
        app.clock.advance(chrono::Duration::seconds(60));
        let round = p.run_once().await.unwrap();
        assert_eq!((round.deliveries, round.ingested, round.retried), (1, 1, 0));
        let counts = app.store().webhook_delivery_counts().await.unwrap();
        assert_eq!((counts.done, counts.failed, counts.pending), (1, 0, 0));
        let c = conversations(&app, ig).await;
        assert_eq!(c.len(), 2);
        let mention = c.iter().find(|c| c.kind == MessageKind::Mention).unwrap();
        assert_eq!(mention.contact.handle, "ana.p");
        // The Graph call carried the channel's own token, opened from the vault.
        let asked = server.requests_to("GET", &format!("/{ACCOUNT}"));
        assert_eq!(asked.len(), 2);
        assert_eq!(asked[1].header("authorization"), Some("Bearer token"));
    }
}
