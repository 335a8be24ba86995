//! Connecting a TikTok business account through the TikTok API for Business, renewing its token
//! and answering a comment, against **fixtures** that mirror the documented requests and
//! responses (`/tt_user/oauth2/token/`, `/tt_user/oauth2/refresh_token/`, `/business/get/`,
//! `/business/comment/reply/create/`; see `src/tiktok/business.rs` for the sources).
//! Fixture-verified only: nothing here has been checked against TikTok.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use owlery_domain::inbox::MessageKind;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::inbox::{ReplyRequest, ReplyTarget};
use owlery_networks::tiktok::{BUSINESS_AUTHORIZE_URL, BUSINESS_SCOPES, Tiktok};
use owlery_networks::{AppCredentials, AuthKind, Connector, ConnectorError, Credentials, Env};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const TOKEN: &str = "/open_api/v1.3/tt_user/oauth2/token/";
const REFRESH: &str = "/open_api/v1.3/tt_user/oauth2/refresh_token/";
const ACCOUNT: &str = "/open_api/v1.3/business/get/";
const REPLY: &str = "/open_api/v1.3/business/comment/reply/create/";
const OPEN_ID: &str = "-000Xbusiness-open-id";

fn app() -> AppCredentials {
    AppCredentials {
        client_id: "7301234567890123456".into(),
        client_secret: SecretString::from("tt-business-secret".to_owned()),
    }
}

/// Fixture: the envelope `/tt_user/oauth2/token/` and `/refresh_token/` answer with.
fn token_answer(access: &str, refresh: &str, scope: &str) -> Reply {
    Reply::json(
        200,
        json!({"code": 0, "message": "OK", "request_id": "20261127token", "data": {
            "access_token": access, "expires_in": 86400, "open_id": OPEN_ID,
            "refresh_token": refresh, "refresh_token_expires_in": 31536000,
            "scope": scope, "token_type": "Bearer"
        }}),
    )
}

async fn setup() -> (Fixture, Tiktok) {
    let f = Fixture::start().await.unwrap();
    let env = Env {
        base_url: Some(f.url()),
        ..Env::default()
    };
    (f, Tiktok::new(env).unwrap())
}

#[tokio::test]
async fn the_business_flow_has_its_own_authorization_and_scopes() {
    let (_f, tiktok) = setup().await;
    let spec = tiktok.oauth_for(AuthKind::TiktokBusiness, None).unwrap();
    assert_eq!(spec.authorize_url, BUSINESS_AUTHORIZE_URL);
    assert!(spec.token_url.ends_with(TOKEN), "{}", spec.token_url);
    assert_eq!(spec.client_id_param, "client_key");
    assert_eq!(spec.scope_separator, ",");
    assert!(spec.scopes.iter().any(|s| s == "comment.list"));
    assert!(spec.scopes.iter().any(|s| s == "comment.list.manage"));
    assert_eq!(spec.scopes.len(), BUSINESS_SCOPES.len());
    // The personal flow is unchanged.
    let personal = tiktok.oauth_for(AuthKind::Standard, None).unwrap();
    assert!(personal.scopes.iter().any(|s| s == "video.publish"));
    assert!(!personal.scopes.iter().any(|s| s == "comment.list"));
}

#[tokio::test]
async fn a_code_becomes_the_business_account_named_by_business_get() {
    let (f, tiktok) = setup().await;
    f.on(
        "POST",
        TOKEN,
        token_answer(
            "act.biz-1",
            "rft.biz-1",
            "user.info.basic,user.info.username,video.list,comment.list,comment.list.manage",
        ),
    );
    f.on(
        "GET",
        ACCOUNT,
        Reply::json(
            200,
            json!({"code": 0, "message": "OK", "request_id": "r", "data": {
                "username": "northwind", "display_name": "Northwind Coffee",
                "profile_image": "https://p16.tiktokcdn.com/a.jpeg"
            }}),
        ),
    );
    let accounts = tiktok
        .accounts_from_code(
            AuthKind::TiktokBusiness,
            &app(),
            "code-from-tiktok",
            "https://owl.example/oauth/callback/tiktok",
        )
        .await
        .unwrap()
        .expect("the business flow exchanges its own code");
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(
        (a.id.as_str(), a.handle.as_str(), a.name.as_str()),
        (OPEN_ID, "northwind", "Northwind Coffee")
    );
    assert_eq!(a.secret.expose_secret(), "act.biz-1");
    assert_eq!(
        a.refresh.as_ref().map(|r| r.expose_secret().to_owned()),
        Some("rft.biz-1".into())
    );
    assert!(a.expires_at.is_some());
    let body = f.requests_to("POST", TOKEN)[0].json();
    assert_eq!(
        body,
        json!({
            "client_id": "7301234567890123456", "client_secret": "tt-business-secret",
            "grant_type": "authorization_code", "auth_code": "code-from-tiktok",
            "redirect_uri": "https://owl.example/oauth/callback/tiktok"
        })
    );
    let get = &f.requests_to("GET", ACCOUNT)[0];
    assert_eq!(get.header("access-token"), Some("act.biz-1"));
    assert_eq!(get.query_pairs().get("business_id").unwrap(), OPEN_ID);
    // The standard kind is exchanged the OAuth 2.0 way, by the caller.
    assert!(
        tiktok
            .accounts_from_code(AuthKind::Standard, &app(), "c", "https://owl.example/cb")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_refused_code_or_a_grant_without_comments_is_a_clear_error() {
    let (f, tiktok) = setup().await;
    // TikTok answers errors with HTTP 200 and a non-zero code.
    f.on(
        "POST",
        TOKEN,
        Reply::json(
            200,
            json!({"code": 40002, "message": "auth_code is expired or invalid", "request_id": "r9", "data": {}}),
        ),
    );
    let err = tiktok
        .accounts_from_code(AuthKind::TiktokBusiness, &app(), "old", "https://o/cb")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("auth_code is expired")),
        "{err:?}"
    );
    assert!(f.requests_to("GET", ACCOUNT).is_empty());

    let (f, tiktok) = setup().await;
    f.on(
        "POST",
        TOKEN,
        token_answer("act.x", "rft.x", "user.info.basic,video.list"),
    );
    let err = tiktok
        .accounts_from_code(AuthKind::TiktokBusiness, &app(), "c", "https://o/cb")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("comment.list")),
        "{err:?}"
    );
}

fn business(refresh: &str) -> Credentials {
    let mut c = Credentials::new("northwind", "act.old")
        .with_auth(AuthKind::TiktokBusiness)
        .with_account(OPEN_ID);
    c.refresh = Some(SecretString::from(refresh.to_owned()));
    c.app = Some(app());
    c
}

#[tokio::test]
async fn a_business_token_is_renewed_at_the_api_for_business() {
    let (f, tiktok) = setup().await;
    f.on(
        "POST",
        REFRESH,
        token_answer("act.new", "rft.new", "comment.list"),
    );
    let grant = tiktok.refresh(&business("rft.old")).await.unwrap().unwrap();
    assert_eq!(grant.access.expose_secret(), "act.new");
    assert_eq!(
        grant.refresh.map(|r| r.expose_secret().to_owned()),
        Some("rft.new".into())
    );
    assert_eq!(
        f.requests_to("POST", REFRESH)[0].json(),
        json!({
            "client_id": "7301234567890123456", "client_secret": "tt-business-secret",
            "grant_type": "refresh_token", "refresh_token": "rft.old"
        })
    );
    // Login Kit's token endpoint is never asked for a business account.
    assert!(f.requests_to("POST", "/v2/oauth/token/").is_empty());

    // A refresh token TikTok no longer accepts: the channel needs reconnecting.
    let (f, tiktok) = setup().await;
    f.on(
        "POST",
        REFRESH,
        Reply::json(
            200,
            json!({"code": 40105, "message": "refresh_token is invalid", "request_id": "r", "data": {}}),
        ),
    );
    let err = tiktok.refresh(&business("rft.dead")).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    // TikTok's own trouble passes.
    let (f, tiktok) = setup().await;
    f.on("POST", REFRESH, Reply::json(503, Value::Null));
    let err = tiktok.refresh(&business("rft.dead")).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

fn answer(text: &str) -> ReplyRequest {
    ReplyRequest {
        idempotency_key: "m-1".into(),
        target: ReplyTarget {
            kind: MessageKind::Comment,
            message_id: "7301".into(),
            parent_id: None,
            root_id: Some("v1".into()),
            thread_id: None,
            contact_id: "+ana".into(),
            contact_handle: "ana".into(),
        },
        text: text.into(),
    }
}

#[tokio::test]
async fn a_comment_is_answered_through_the_api_for_business() {
    let (f, tiktok) = setup().await;
    assert!(tiktok.can_reply_as(
        owlery_networks::AuthKind::TiktokBusiness,
        MessageKind::Comment
    ));
    assert!(!tiktok.can_reply_as(owlery_networks::AuthKind::TiktokBusiness, MessageKind::Dm));
    f.on(
        "POST",
        REPLY,
        Reply::json(
            200,
            json!({"code": 0, "message": "OK", "request_id": "r", "data": {
                "comment_id": "7399", "video_id": "v1", "text": "Thanks!", "create_time": "1790000100"
            }}),
        ),
    );
    let published = tiktok
        .reply(&business("r"), &answer("Thanks!"))
        .await
        .unwrap();
    assert_eq!(published.remote.id, "7399");
    assert_eq!(published.url, "https://www.tiktok.com/@northwind/video/v1");
    let sent = &f.requests_to("POST", REPLY)[0];
    assert_eq!(sent.header("access-token"), Some("act.old"));
    assert_eq!(
        sent.json(),
        json!({"business_id": OPEN_ID, "video_id": "v1", "comment_id": "7301", "text": "Thanks!"})
    );

    // Too long for TikTok, and a personal login: refused before any call.
    let (f, tiktok) = setup().await;
    let err = tiktok
        .reply(&business("r"), &answer(&"a".repeat(151)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("150")),
        "{err:?}"
    );
    let personal = Credentials::new("northwind", "act.p").with_account("open");
    let err = tiktok.reply(&personal, &answer("hi")).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("business account")),
        "{err:?}"
    );
    assert!(f.requests().is_empty());
}

/// A reply in a thread (comment 7302 answering the top-level comment 7300): the API for Business
/// documents `comment_id` as a comment listed by `comment/list` (a top-level one), so the answer
/// goes under 7300 and names the person, as TikTok shows a reply within a thread. Fixture: the
/// documented request and answer envelope.
#[tokio::test]
async fn a_reply_in_a_thread_is_answered_under_its_top_level_comment() {
    let (f, tiktok) = setup().await;
    f.on(
        "POST",
        REPLY,
        Reply::json(
            200,
            json!({"code": 0, "message": "OK", "request_id": "r", "data": {
                "comment_id": "7400", "video_id": "v1", "text": "@bo Tomorrow.",
                "create_time": "1790000200"
            }}),
        ),
    );
    let mut req = answer("Tomorrow.");
    req.target.message_id = "7302".into();
    req.target.parent_id = Some("7300".into());
    req.target.contact_id = "+bo".into();
    req.target.contact_handle = "bo".into();
    let published = tiktok.reply(&business("r"), &req).await.unwrap();
    assert_eq!(published.remote.id, "7400");
    assert_eq!(
        f.requests_to("POST", REPLY)[0].json(),
        json!({"business_id": OPEN_ID, "video_id": "v1", "comment_id": "7300",
               "text": "@bo Tomorrow."})
    );

    // A top-level comment (its parent is the video) is answered under itself, as written.
    let (f, tiktok) = setup().await;
    f.on(
        "POST",
        REPLY,
        Reply::json(
            200,
            json!({"code": 0, "message": "OK", "request_id": "r", "data": {"comment_id": "7401"}}),
        ),
    );
    let mut req = answer("Thanks!");
    req.target.parent_id = Some("v1".into());
    tiktok.reply(&business("r"), &req).await.unwrap();
    assert_eq!(
        f.requests_to("POST", REPLY)[0].json(),
        json!({"business_id": OPEN_ID, "video_id": "v1", "comment_id": "7301", "text": "Thanks!"})
    );

    // The mention counts toward TikTok's 150 characters: refused before any call, saying why.
    let (f, tiktok) = setup().await;
    let mut req = answer(&"a".repeat(148));
    req.target.message_id = "7302".into();
    req.target.parent_id = Some("7300".into());
    req.target.contact_handle = "bo".into();
    let err = tiktok.reply(&business("r"), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("152") && reason.contains("@mention")),
        "{err:?}"
    );
    assert!(f.requests().is_empty());
}

/// A business channel's tokens are for the API for Business: publishing through Login Kit with
/// them is refused before any call (a refused token would mark a working channel "needs
/// reconnecting"), saying why.
#[tokio::test]
async fn a_business_channel_does_not_publish_through_login_kit() {
    let (f, tiktok) = setup().await;
    let req = owlery_networks::PublishRequest::new("v-1:0", "Autumn menu");
    let err = tiktok.publish(&business("r"), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("business account")),
        "{err:?}"
    );
    assert!(f.requests().is_empty());
}
