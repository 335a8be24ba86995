//! Connecting a TikTok **business account** (issue 5), end to end through the real router on
//! SQLite and PostgreSQL: the organisation's TikTok API for Business app, the connect form that
//! sends a person to TikTok's account authorization with `state`, the callback whose code goes to
//! the API for Business's own token endpoint, the channel that appears with its kind of
//! connection, its comments read by the inbox poller (which renews the token first through the
//! API for Business), and a refused code. TikTok is played by the scripted fixture server with
//! **fixtures mirroring the documented requests and responses** (see
//! `networks/src/tiktok/business.rs` for the sources); nothing here was checked against TikTok.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use owlery_domain::org::{AuthKind, Network};
use owlery_jobs::inbox_poll::{Polled, Poller};
use owlery_networks::fixture::Reply;
use owlery_store::{
    inbox::{ConversationFilter, InboxScope},
    oauth::{app_service, network_app_purpose},
};
use serde_json::{Value, json};

use crate::oauth::{CLIENT_SECRET, apps, callback, owner, start};

const APP_ID: &str = "7301234567890123456";
const OPEN_ID: &str = "-000Xbusiness-open-id";
const TOKEN: &str = "/open_api/v1.3/tt_user/oauth2/token/";
const REFRESH: &str = "/open_api/v1.3/tt_user/oauth2/refresh_token/";
const ACCOUNT: &str = "/open_api/v1.3/business/get/";
const VIDEOS: &str = "/open_api/v1.3/business/video/list/";
const COMMENTS: &str = "/open_api/v1.3/business/comment/list/";

/// Fixture: the API for Business token envelope (`expires_in` as given: 300 s makes the token due
/// for renewal at the first poll).
fn token_answer(access: &str, refresh: &str, expires_in: u64) -> Reply {
    Reply::json(
        200,
        json!({"code": 0, "message": "OK", "request_id": "20261129token", "data": {
            "access_token": access, "expires_in": expires_in, "open_id": OPEN_ID,
            "refresh_token": refresh, "refresh_token_expires_in": 31536000,
            "scope": "user.info.basic,user.info.username,video.list,comment.list,comment.list.manage",
            "token_type": "Bearer"
        }}),
    )
}

fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        json!({"code": 0, "message": "OK", "request_id": "20261129r", "data": data}),
    )
}

#[tokio::test]
async fn a_business_account_connects_and_its_comments_are_polled_with_a_renewed_token() {
    for (app, server) in apps().await {
        let mut o = owner(&app).await;
        // The organisation's API for Business app, beside (not instead of) the Login Kit app.
        let (status, body) = app
            .api(
                Method::PUT,
                "/network-apps/tiktok",
                Some(&o.token),
                Some(json!({"client_id": APP_ID, "client_secret": CLIENT_SECRET,
                            "auth_kind": "tiktok_business"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["auth_kind"], "tiktok_business");
        assert_eq!(body["service"], Value::Null);
        let stored = app
            .store()
            .network_app(
                app.org().id,
                Network::Tiktok,
                app_service(AuthKind::TiktokBusiness, None),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.auth(), AuthKind::TiktokBusiness);
        assert_eq!(
            String::from_utf8(
                app.state
                    .vault
                    .open(
                        &network_app_purpose(Network::Tiktok, stored.service.as_deref()),
                        &stored.secret_sealed
                    )
                    .unwrap()
            )
            .unwrap(),
            CLIENT_SECRET
        );
        // The personal (Login Kit) app is still not set up.
        assert!(
            app.store()
                .network_app(app.org().id, Network::Tiktok, None)
                .await
                .unwrap()
                .is_none()
        );

        // The connect page offers the business account, ready; the personal one is not.
        let page = app.get_page("/settings/channels/connect", &mut o.jar).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(
            html.contains(r#"name="auth" value="tiktok_business""#),
            "{html}"
        );
        assert!(html.contains("A business account"), "{html}");

        // To TikTok's account authorization, with the business app's id, the comment scopes and
        // a state; no PKCE is documented for this flow.
        let q = start(&app, &mut o, "tiktok", &[("auth", "tiktok_business")]).await;
        assert_eq!(q["client_key"], APP_ID);
        assert_eq!(q["response_type"], "code");
        assert_eq!(
            q["redirect_uri"],
            "http://127.0.0.1:8080/oauth/callback/tiktok"
        );
        let scopes: Vec<&str> = q["scope"].split(',').collect();
        assert!(scopes.contains(&"comment.list"), "{scopes:?}");
        assert!(scopes.contains(&"comment.list.manage"), "{scopes:?}");
        assert!(!scopes.contains(&"video.publish"), "{scopes:?}");
        assert!(q["state"].len() >= 32);
        assert!(!q.contains_key("code_challenge"));

        server.on("POST", TOKEN, token_answer("act.biz-1", "rft.biz-1", 300));
        server.on(
            "GET",
            ACCOUNT,
            ok(json!({"username": "northwind", "display_name": "Northwind Coffee"})),
        );
        let res = callback(
            &app,
            &mut o,
            "tiktok",
            &[
                ("code", "code-from-tiktok"),
                ("scopes", "user.info.basic,comment.list"),
                ("state", &q["state"]),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(res.location(), Some("/settings/workspaces?connected=1"));
        let exchange = server.requests_to("POST", TOKEN)[0].json();
        assert_eq!(exchange["client_id"], APP_ID);
        assert_eq!(exchange["client_secret"], CLIENT_SECRET);
        assert_eq!(exchange["grant_type"], "authorization_code");
        assert_eq!(exchange["auth_code"], "code-from-tiktok");
        // Login Kit's token endpoint was not asked.
        assert!(server.requests_to("POST", "/v2/oauth/token/").is_empty());

        // The channel, with its kind of connection kept beside its tokens.
        let channel = app
            .store()
            .list_channels(None)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.network == Network::Tiktok)
            .unwrap();
        assert_eq!(
            (channel.handle.as_str(), channel.name.as_str()),
            ("northwind", "Northwind Coffee")
        );
        let credential = app
            .store()
            .channel_credential(channel.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(credential.auth, AuthKind::TiktokBusiness);
        assert_eq!(credential.account_id, OPEN_ID);

        // The poller renews the token through the API for Business first (it expires within ten
        // minutes), then reads the comments with the new one.
        server.on(
            "POST",
            REFRESH,
            token_answer("act.biz-2", "rft.biz-2", 86_400),
        );
        server.on(
            "GET",
            VIDEOS,
            ok(
                json!({"videos": [{"item_id": "v1", "create_time": 1_790_000_000,
                                   "share_url": "https://www.tiktok.com/@northwind/video/v1"}],
                      "cursor": 0, "has_more": false}),
            ),
        );
        server.on(
            "GET",
            COMMENTS,
            ok(json!({"comments": [{
                "comment_id": "7301", "video_id": "v1", "unique_identifier": "+ana",
                "create_time": "1790000100", "text": "Do you ship to Plovdiv?", "replies": 0,
                "owner": false, "username": "ana", "display_name": "Ana"
            }], "cursor": 1, "has_more": false})),
        );
        let poller = Poller::new(
            app.store().clone(),
            app.state.connectors.clone(),
            Some(app.state.vault.clone()),
            Arc::new(owlery_triage::BuiltIn::new().unwrap()),
        );
        let done = poller.poll_due().await.unwrap();
        let ours: Vec<&Polled> = done
            .iter()
            .filter(|(c, _)| c.channel_id == channel.id)
            .map(|(_, p)| p)
            .collect();
        assert!(
            matches!(ours.as_slice(), [Polled::Done { new: 1, .. }]),
            "{done:?}"
        );
        let refresh = server.requests_to("POST", REFRESH)[0].json();
        assert_eq!(refresh["client_id"], APP_ID);
        assert_eq!(refresh["grant_type"], "refresh_token");
        assert_eq!(refresh["refresh_token"], "rft.biz-1");
        assert_eq!(
            server.requests_to("GET", VIDEOS)[0].header("access-token"),
            Some("act.biz-2")
        );
        let renewed = app
            .store()
            .channel_credential(channel.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renewed.auth, AuthKind::TiktokBusiness);
        assert!(renewed.expires_at > credential.expires_at);
        let conversations = app
            .store()
            .list_conversations(
                app.org().id,
                &InboxScope::All,
                &ConversationFilter::default(),
                None,
                100,
            )
            .await
            .unwrap();
        assert_eq!(
            conversations
                .items
                .iter()
                .map(|c| c.preview.as_str())
                .collect::<Vec<_>>(),
            ["Do you ship to Plovdiv?"]
        );
        // A business account answers comments from the inbox (a personal login cannot: see
        // inbox_replies): the reply box is offered and the answer is accepted for sending.
        let conversation = conversations.items[0].id;
        let html = app
            .get_page(&format!("/inbox/c/{conversation}"), &mut o.jar)
            .await
            .text();
        assert!(!html.contains("does not let Owlery answer"), "{html}");
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conversation}/replies"),
                &o.token,
                json!({"text": "Yes, in two days.", "client_key": "tt-biz-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // The connection is audited with its kind, never its tokens.
        let audit = format!(
            "{:?}",
            app.store()
                .audit_events(&Default::default(), 10_000)
                .await
                .unwrap()
        );
        assert!(!audit.contains("act.biz-"), "{audit}");
        assert!(!audit.contains(CLIENT_SECRET));

        // Without the business app, reconnecting the channel points at that app's card.
        app.store()
            .delete_network_app(
                &owlery_domain::audit::Actor::cli(),
                app.org().id,
                Network::Tiktok,
                app_service(AuthKind::TiktokBusiness, None),
            )
            .await
            .unwrap();
        let html = app
            .get_page(
                &format!("/settings/channels/connect?channel={}", channel.id),
                &mut o.jar,
            )
            .await
            .text();
        assert!(
            html.contains("/settings/network-apps#napp-tiktok-business"),
            "{html}"
        );
    }
}

#[tokio::test]
async fn a_refused_code_and_a_missing_business_app_are_clear() {
    for (app, server) in apps().await {
        let mut o = owner(&app).await;
        // Without the API for Business app: said so, naming that app.
        let ws = o.workspace.to_string();
        let csrf = o.csrf.clone();
        let res = app
            .post_form(
                "/settings/channels/connect/tiktok",
                &mut o.jar,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("workspace_id", ws.as_str()),
                    ("auth", "tiktok_business"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(res.text().contains("API for Business"), "{}", res.text());
        // A kind of connection TikTok does not have, or another network's.
        let res = app
            .post_form(
                "/settings/channels/connect/x",
                &mut o.jar,
                &[
                    ("csrf_token", csrf.as_str()),
                    ("workspace_id", ws.as_str()),
                    ("auth", "tiktok_business"),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );

        let (status, body) = app
            .api(
                Method::PUT,
                "/network-apps/tiktok",
                Some(&o.token),
                Some(json!({"client_id": APP_ID, "client_secret": CLIENT_SECRET,
                            "auth_kind": "tiktok_business"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let q = start(&app, &mut o, "tiktok", &[("auth", "tiktok_business")]).await;
        // TikTok refuses an expired code with HTTP 200 and a non-zero code.
        server.on(
            "POST",
            TOKEN,
            Reply::json(
                200,
                json!({"code": 40002, "message": "auth_code is expired", "request_id": "r9", "data": {}}),
            ),
        );
        let res = callback(
            &app,
            &mut o,
            "tiktok",
            &[("code", "stale"), ("state", &q["state"])],
        )
        .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert!(
            res.text().contains("auth_code is expired"),
            "{}",
            res.text()
        );
        assert!(server.requests_to("GET", ACCOUNT).is_empty());
        assert!(
            app.store()
                .list_channels(None)
                .await
                .unwrap()
                .iter()
                .all(|c| c.network != Network::Tiktok)
        );
        // The same state never works twice.
        let res = callback(
            &app,
            &mut o,
            "tiktok",
            &[("code", "again"), ("state", &q["state"])],
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    }
}
