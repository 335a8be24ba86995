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

// ---- upgrading a personal channel, refusing a downgrade ----

const LOGIN_KIT_OPEN_ID: &str = "-000Xlogin-kit-open-id";

/// A channel connected with a personal TikTok login (Login Kit), as the connect flow stores one:
/// its token sealed under its id, kind `standard`, Login Kit's `open_id` as its account.
async fn personal_channel(
    app: &crate::support::TestApp,
    workspace: owlery_domain::WorkspaceId,
    handle: &str,
    auth: AuthKind,
    account: &str,
) -> owlery_store::org::Channel {
    let id = owlery_domain::ChannelId::new();
    let sealed = app
        .state
        .vault
        .seal(
            &owlery_store::org::channel_credential_purpose(id),
            b"act.personal",
        )
        .unwrap();
    app.store()
        .create_connected_channel(
            &owlery_domain::audit::Actor::cli(),
            workspace,
            Network::Tiktok,
            &owlery_domain::user::DisplayName::parse("name", "Northwind Coffee").unwrap(),
            handle,
            id,
            &owlery_store::org::ChannelCredential {
                service: None,
                account_id: account.into(),
                sealed,
                refresh_sealed: None,
                expires_at: Some(app.store().now() + chrono::Duration::days(300)),
                auth,
            },
        )
        .await
        .unwrap()
}

async fn business_app(app: &crate::support::TestApp, token: &str) {
    let (status, body) = app
        .api(
            Method::PUT,
            "/network-apps/tiktok",
            Some(token),
            Some(json!({"client_id": APP_ID, "client_secret": CLIENT_SECRET,
                        "auth_kind": "tiktok_business"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn poller(app: &crate::support::TestApp) -> Poller {
    Poller::new(
        app.store().clone(),
        app.state.connectors.clone(),
        Some(app.state.vault.clone()),
        Arc::new(owlery_triage::BuiltIn::new().unwrap()),
    )
}

/// What one poll of `channel` did.
async fn poll_channel(app: &crate::support::TestApp, channel: owlery_domain::ChannelId) -> Polled {
    let done = poller(app).poll_due().await.unwrap();
    let mut ours: Vec<Polled> = done
        .into_iter()
        .filter(|(c, _)| c.channel_id == channel)
        .map(|(_, p)| p)
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
    ours.remove(0)
}

/// A draft post for `channel` (its one variant).
async fn draft_on(
    app: &crate::support::TestApp,
    o: &crate::oauth::Owner,
    channel: owlery_domain::ChannelId,
) -> owlery_domain::PostId {
    app.store()
        .create_post(
            &owlery_domain::audit::Actor::cli(),
            o.user.id,
            owlery_store::posts::NewPost {
                workspace_id: o.workspace,
                title: "Autumn menu".into(),
                content: owlery_domain::post::Content {
                    text: "Autumn menu".into(),
                    ..Default::default()
                },
                variants: vec![owlery_store::posts::VariantInput {
                    channel_id: channel,
                    placement: "video".into(),
                    overrides: Default::default(),
                    validation: owlery_store::posts::Validation {
                        findings: json!([]),
                        has_errors: false,
                        spec_version: owlery_domain::spec::Specs::embedded().unwrap().version,
                    },
                }],
                campaign_id: None,
                scheduled_at: None,
                schedule_tz: "UTC".into(),
            },
        )
        .await
        .unwrap()
        .id
}

fn business_fixtures(server: &owlery_networks::fixture::Fixture, username: &str) {
    server.on(
        "POST",
        TOKEN,
        token_answer("act.biz-1", "rft.biz-1", 86_400),
    );
    server.on(
        "GET",
        ACCOUNT,
        ok(json!({"username": username, "display_name": "Northwind Coffee"})),
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
            "comment_id": "7301", "video_id": "v1", "unique_identifier": "+bo",
            "create_time": "1790000100", "text": "Is the oat latte back?", "replies": 0,
            "owner": false, "username": "bo", "display_name": "Bo"
        }], "cursor": 1, "has_more": false})),
    );
}

/// The upgrade page's form, followed: the confirmation posted.
async fn confirm(
    app: &crate::support::TestApp,
    o: &mut crate::oauth::Owner,
    at: &str,
) -> crate::support::TestResponse {
    let csrf = o.csrf.clone();
    app.post_form(at, &mut o.jar, &[("csrf_token", csrf.as_str())])
        .await
}

#[tokio::test]
async fn connecting_a_personal_channels_account_as_a_business_account_upgrades_that_channel() {
    for (app, server) in apps().await {
        let mut o = owner(&app).await;
        business_app(&app, &o.token).await;
        let channel = personal_channel(
            &app,
            o.workspace,
            "northwind",
            AuthKind::Standard,
            LOGIN_KIT_OPEN_ID,
        )
        .await;
        // Its history: a conversation in the inbox and a post.
        let conversation = crate::inbox::message(
            &app,
            channel.id,
            "old-comment-1",
            owlery_domain::inbox::MessageKind::Comment,
            "Ana",
            "Do you ship to Plovdiv?",
        )
        .await;
        let post = draft_on(&app, &o, channel.id).await;
        // A personal login reads no comments, and the reply box says it cannot answer.
        app.store()
            .ensure_inbox_polls(&[Network::Tiktok])
            .await
            .unwrap();
        let before = poll_channel(&app, channel.id).await;
        assert!(
            matches!(&before, Polled::Failed(why) if why.contains("personal TikTok login")),
            "{before:?}"
        );
        let html = app
            .get_page(&format!("/inbox/c/{conversation}"), &mut o.jar)
            .await
            .text();
        assert!(html.contains("does not let Owlery answer"), "{html}");
        // The channel list offers the upgrade.
        let html = app
            .get_page("/settings/workspaces", &mut o.jar)
            .await
            .text();
        assert!(
            html.contains(&format!(
                "/settings/channels/connect?channel={}#upgrade-heading",
                channel.id
            )),
            "{html}"
        );

        // The same account connected anew as a business account: its handle is a channel's
        // already, and only the handle matches (another open_id), so the person confirms first.
        let q = start(&app, &mut o, "tiktok", &[("auth", "tiktok_business")]).await;
        business_fixtures(&server, "northwind");
        let res = callback(
            &app,
            &mut o,
            "tiktok",
            &[("code", "code-from-tiktok"), ("state", &q["state"])],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let at = res.location().unwrap().to_owned();
        assert!(at.starts_with("/settings/channels/upgrade/"), "{at}");
        let unchanged = app
            .store()
            .channel_credential(channel.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unchanged.auth, AuthKind::Standard);
        let page = app.get_page(&at, &mut o.jar).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        assert!(html.contains("Is this the same account?"), "{html}");
        assert!(html.contains("Yes, upgrade northwind"), "{html}");
        assert!(html.contains("posts, history and inbox"), "{html}");

        let res = confirm(&app, &mut o, &at).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        assert_eq!(
            res.location(),
            Some(format!("/settings/workspaces?upgraded={}", channel.id).as_str())
        );
        let html = app
            .get_page(res.location().unwrap(), &mut o.jar)
            .await
            .text();
        assert!(
            html.contains("now connected as a business account"),
            "{html}"
        );
        // Confirmed once: the same confirmation again changes nothing.
        let again = confirm(&app, &mut o, &at).await;
        assert_eq!(again.status, StatusCode::GONE, "{}", again.text());

        // The same channel, its credential and kind replaced.
        let tiktok: Vec<_> = app
            .store()
            .list_channels(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.network == Network::Tiktok)
            .collect();
        assert_eq!(tiktok.len(), 1);
        assert_eq!(tiktok[0].id, channel.id);
        let credential = app
            .store()
            .channel_credential(channel.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(credential.auth, AuthKind::TiktokBusiness);
        assert_eq!(credential.account_id, OPEN_ID);
        assert_eq!(
            String::from_utf8(
                app.state
                    .vault
                    .open(
                        &owlery_store::org::channel_credential_purpose(channel.id),
                        &credential.sealed
                    )
                    .unwrap()
            )
            .unwrap(),
            "act.biz-1"
        );
        // Audited as an upgrade, with how the account was known to be the same; no tokens.
        let event = app.last_audit_event().await.unwrap();
        assert_eq!(event.entry.action, "channel.upgrade");
        let audit = format!("{event:?}");
        assert!(audit.contains("handle_confirmed"), "{audit}");
        assert!(
            audit.contains(LOGIN_KIT_OPEN_ID) && audit.contains(OPEN_ID),
            "{audit}"
        );
        assert!(!audit.contains("act.biz-1"), "{audit}");

        // History kept: the conversation and the post are still the channel's.
        let (status, body) = app
            .get(&format!("/inbox/conversations/{conversation}"), &o.token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["conversation"]["channel_id"],
            channel.id.to_string(),
            "{body}"
        );
        let kept = app.store().post(post).await.unwrap().unwrap();
        assert_eq!(kept.variants.len(), 1);
        assert_eq!(kept.variants[0].channel_id, channel.id);

        // The poller now reads its comments (at once: the upgrade reset the failed poll)…
        let after = poll_channel(&app, channel.id).await;
        assert!(matches!(after, Polled::Done { new: 1, .. }), "{after:?}");
        assert_eq!(
            server.requests_to("GET", VIDEOS)[0].header("access-token"),
            Some("act.biz-1")
        );
        // …and the reply box answers the conversation it already had.
        let html = app
            .get_page(&format!("/inbox/c/{conversation}"), &mut o.jar)
            .await
            .text();
        assert!(!html.contains("does not let Owlery answer"), "{html}");
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{conversation}/replies"),
                &o.token,
                json!({"text": "Yes, in two days.", "client_key": "tt-upgrade-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // No more "Reconnect as a business account" for it.
        let html = app
            .get_page("/settings/workspaces", &mut o.jar)
            .await
            .text();
        assert!(!html.contains("#upgrade-heading"), "{html}");
    }
}

#[tokio::test]
async fn reconnect_as_a_business_account_from_the_channel() {
    for (app, server) in apps().await {
        let mut o = owner(&app).await;
        let channel = personal_channel(
            &app,
            o.workspace,
            "northwind",
            AuthKind::Standard,
            LOGIN_KIT_OPEN_ID,
        )
        .await;
        // Without the business app, the channel's reconnect page points at its card.
        let page = format!("/settings/channels/connect?channel={}", channel.id);
        let html = app.get_page(&page, &mut o.jar).await.text();
        assert!(html.contains("Is it a business account?"), "{html}");
        assert!(
            html.contains("/settings/network-apps#napp-tiktok-business"),
            "{html}"
        );
        business_app(&app, &o.token).await;
        let html = app.get_page(&page, &mut o.jar).await.text();
        assert!(
            html.contains(r#"name="auth" value="tiktok_business""#),
            "{html}"
        );
        assert!(html.contains("Reconnect as a business account"), "{html}");

        // Signed in as another account: refused, nothing changed.
        let channel_id = channel.id.to_string();
        let q = start(
            &app,
            &mut o,
            "tiktok",
            &[("channel_id", &channel_id), ("auth", "tiktok_business")],
        )
        .await;
        assert!(q["scope"].contains("comment.list"), "{q:?}");
        // TikTok names another account first, then (at the second sign-in) the channel's.
        server.on(
            "GET",
            ACCOUNT,
            ok(json!({"username": "someone_else", "display_name": "Someone"})),
        );
        business_fixtures(&server, "northwind");
        let res = callback(
            &app,
            &mut o,
            "tiktok",
            &[("code", "c1"), ("state", &q["state"])],
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
        assert_eq!(
            app.store()
                .channel_credential(channel.id)
                .await
                .unwrap()
                .unwrap()
                .auth,
            AuthKind::Standard
        );

        // Signed in as the channel's account: confirmed, upgraded.
        let q = start(
            &app,
            &mut o,
            "tiktok",
            &[("channel_id", &channel_id), ("auth", "tiktok_business")],
        )
        .await;
        let res = callback(
            &app,
            &mut o,
            "tiktok",
            &[("code", "c2"), ("state", &q["state"])],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let at = res.location().unwrap().to_owned();
        assert!(at.starts_with("/settings/channels/upgrade/"), "{at}");
        let res = confirm(&app, &mut o, &at).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let credential = app
            .store()
            .channel_credential(channel.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(credential.auth, AuthKind::TiktokBusiness);
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "channel.upgrade"
        );

        // Reconnecting it later keeps the business kind, whatever the form says.
        let q = start(&app, &mut o, "tiktok", &[("channel_id", &channel_id)]).await;
        assert_eq!(q["client_key"], APP_ID);
    }
}

#[tokio::test]
async fn a_personal_login_never_downgrades_a_business_channel() {
    for (app, server) in apps().await {
        let mut o = owner(&app).await;
        let channel = personal_channel(
            &app,
            o.workspace,
            "northwind",
            AuthKind::TiktokBusiness,
            OPEN_ID,
        )
        .await;
        // The organisation's Login Kit app; the same account signs in with a personal login.
        let (status, body) = app
            .api(
                Method::PUT,
                "/network-apps/tiktok",
                Some(&o.token),
                Some(json!({"client_id": "login-kit-key", "client_secret": CLIENT_SECRET})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let audit_before = app.audit_head().await;
        let q = start(&app, &mut o, "tiktok", &[]).await;
        assert_eq!(q["client_key"], "login-kit-key");
        server.on(
            "POST",
            "/v2/oauth/token/",
            Reply::json(
                200,
                json!({"access_token": "act.personal-2", "expires_in": 86400,
                       "open_id": LOGIN_KIT_OPEN_ID, "refresh_token": "rft.personal-2",
                       "refresh_expires_in": 31536000, "scope": "user.info.basic,video.publish",
                       "token_type": "Bearer"}),
            ),
        );
        server.on(
            "GET",
            "/v2/user/info/",
            Reply::json(
                200,
                json!({"data": {"user": {"open_id": LOGIN_KIT_OPEN_ID, "username": "northwind",
                                         "display_name": "Northwind Coffee"}},
                       "error": {"code": "ok", "message": "", "log_id": "l1"}}),
            ),
        );
        let res = callback(
            &app,
            &mut o,
            "tiktok",
            &[("code", "personal-code"), ("state", &q["state"])],
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
        assert!(
            res.text().contains("connected as a business account"),
            "{}",
            res.text()
        );
        // Nothing changed: the business credential stands, nothing audited.
        let credential = app
            .store()
            .channel_credential(channel.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(credential.auth, AuthKind::TiktokBusiness);
        assert_eq!(credential.account_id, OPEN_ID);
        assert_eq!(app.audit_head().await, audit_before);
        // A business channel offers no "Reconnect as a business account".
        let html = app
            .get_page(
                &format!("/settings/channels/connect?channel={}", channel.id),
                &mut o.jar,
            )
            .await
            .text();
        assert!(!html.contains("upgrade-heading"), "{html}");
    }
}

/// A reply in a thread, end to end: polled with its parent (the top-level comment), answered from
/// the inbox, sent by the reply job under the top-level comment with an @mention of the person
/// (the API for Business takes only a comment `comment/list` lists; see `tiktok/business.rs`).
/// Fixture: the documented requests and envelopes.
#[tokio::test]
async fn an_answer_to_a_reply_goes_under_its_top_level_comment() {
    for (app, server) in apps().await {
        let o = owner(&app).await;
        let channel = personal_channel(
            &app,
            o.workspace,
            "northwind",
            AuthKind::TiktokBusiness,
            OPEN_ID,
        )
        .await;
        server.on(
            "GET",
            VIDEOS,
            ok(
                json!({"videos": [{"item_id": "v1", "create_time": 1_790_000_000}],
                      "cursor": 0, "has_more": false}),
            ),
        );
        server.on(
            "GET",
            COMMENTS,
            ok(json!({"comments": [{
                "comment_id": "7300", "video_id": "v1", "unique_identifier": "+ana",
                "create_time": "1790000100", "text": "Is the oat latte back?", "replies": 1,
                "owner": false, "username": "ana", "display_name": "Ana",
                "reply_list": [{
                    "comment_id": "7302", "video_id": "v1", "unique_identifier": "+bo",
                    "create_time": "1790000200", "text": "Asking too: and the cardamom bun?",
                    "owner": false, "username": "bo", "display_name": "Bo",
                    "parent_comment_id": "7300"
                }]
            }], "cursor": 1, "has_more": false})),
        );
        app.store()
            .ensure_inbox_polls(&[Network::Tiktok])
            .await
            .unwrap();
        let polled = poll_channel(&app, channel.id).await;
        assert!(matches!(polled, Polled::Done { new: 2, .. }), "{polled:?}");
        let bo = app
            .store()
            .list_conversations(
                app.org().id,
                &InboxScope::All,
                &ConversationFilter::default(),
                None,
                100,
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|c| c.contact.name == "Bo")
            .unwrap();
        let (status, body) = app
            .post_json(
                &format!("/inbox/conversations/{}/replies", bo.id),
                &o.token,
                json!({"text": "Both are back tomorrow.", "client_key": "tt-thread-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = owlery_domain::MessageId(body["id"].as_str().unwrap().parse().unwrap());
        server.on(
            "POST",
            "/open_api/v1.3/business/comment/reply/create/",
            ok(json!({"comment_id": "7400", "video_id": "v1",
                      "text": "@bo Both are back tomorrow.", "create_time": "1790000300"})),
        );
        owlery_jobs::inbox_reply::Replier::new(
            app.store().clone(),
            app.state.connectors.clone(),
            Some(app.state.vault.clone()),
        )
        .send(id, false)
        .await
        .unwrap();
        let sent = server.requests_to("POST", "/open_api/v1.3/business/comment/reply/create/");
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].json(),
            json!({"business_id": OPEN_ID, "video_id": "v1", "comment_id": "7300",
                   "text": "@bo Both are back tomorrow."})
        );
        assert_eq!(
            app.store().inbox_message(id).await.unwrap().delivery,
            Some(owlery_domain::inbox::Delivery::Sent)
        );
    }
}
