//! Hiding someone else's comment on the account's post (`Connector::hide_comment`), per network,
//! against local fixtures. Every response is a FIXTURE MIRRORING THE DOCS — Meta's comment
//! moderation (`POST /{comment-id}?is_hidden=true`, developers.facebook.com/docs/graph-api/reference/comment;
//! Instagram's `POST /{ig-comment-id}?hide=true`, developers.facebook.com/docs/instagram-platform/reference/ig-comment),
//! Threads' reply management (`POST /{reply-id}/manage_reply?hide=true`,
//! developers.facebook.com/docs/threads/reply-management), X's hide replies
//! (`PUT /2/tweets/{id}/hidden`, docs.x.com/x-api/posts/hide-replies) and YouTube's
//! `comments.setModerationStatus` (developers.google.com/youtube/v3/docs/comments/setModerationStatus).
//! They prove the connectors speak the documented protocol, not that the networks answer this way
//! today. Bluesky and Mastodon have no such call: the connectors say so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use owlery_networks::facebook::FacebookPages;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::instagram::Instagram;
use owlery_networks::threads::Threads;
use owlery_networks::x::X;
use owlery_networks::youtube::Youtube;
use owlery_networks::{Connector, ConnectorError, Credentials, Env};
use serde_json::json;

async fn server() -> (Fixture, Env) {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        base_url: Some(server.url()),
        ..Env::default()
    };
    (server, env)
}

fn creds() -> Credentials {
    Credentials::new("owlery", "access-token-0123456789").with_account("1784140")
}

#[tokio::test]
async fn facebook_hides_a_comment() {
    let (server, env) = server().await;
    let fb = FacebookPages::new(env).unwrap();
    assert!(fb.can_hide_comments());
    server.on(
        "POST",
        "/1234567890_111",
        Reply::json(200, json!({"success": true})),
    );
    fb.hide_comment(&creds(), "1234567890_111").await.unwrap();
    let seen = server.requests_to("POST", "/1234567890_111");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].query_pairs().get("is_hidden").map(String::as_str),
        Some("true")
    );
    // A refusal is a reason, not a panic; a bad id never reaches the network.
    server.on(
        "POST",
        "/1234567890_222",
        Reply::json(
            400,
            json!({"error": {"message": "(#200) Permissions error", "type": "OAuthException", "code": 200}}),
        ),
    );
    assert!(fb.hide_comment(&creds(), "1234567890_222").await.is_err());
    assert!(matches!(
        fb.hide_comment(&creds(), "../me").await.unwrap_err(),
        ConnectorError::Permanent { .. }
    ));
}

#[tokio::test]
async fn instagram_hides_a_comment() {
    let (server, env) = server().await;
    let ig = Instagram::new(env).unwrap();
    assert!(ig.can_hide_comments());
    server.on(
        "POST",
        "/17858893269000001",
        Reply::json(200, json!({"success": true})),
    );
    ig.hide_comment(&creds(), "17858893269000001")
        .await
        .unwrap();
    let seen = server.requests_to("POST", "/17858893269000001");
    assert_eq!(
        seen[0].query_pairs().get("hide").map(String::as_str),
        Some("true")
    );
}

#[tokio::test]
async fn threads_hides_a_reply() {
    let (server, env) = server().await;
    let threads = Threads::new(env).unwrap();
    assert!(threads.can_hide_comments());
    server.on(
        "POST",
        "/v1.0/18050206876707110/manage_reply",
        Reply::json(200, json!({"success": true})),
    );
    threads
        .hide_comment(&creds(), "18050206876707110")
        .await
        .unwrap();
    let seen = server.requests_to("POST", "/v1.0/18050206876707110/manage_reply");
    assert_eq!(
        seen[0].query_pairs().get("hide").map(String::as_str),
        Some("true")
    );
}

#[tokio::test]
async fn x_hides_a_reply() {
    let (server, env) = server().await;
    let x = X::new(env).unwrap();
    assert!(x.can_hide_comments());
    server.on(
        "PUT",
        "/2/tweets/1445880548472328192/hidden",
        Reply::json(200, json!({"data": {"hidden": true}})),
    );
    x.hide_comment(&creds(), "1445880548472328192")
        .await
        .unwrap();
    let seen = server.requests_to("PUT", "/2/tweets/1445880548472328192/hidden");
    assert_eq!(seen[0].json(), json!({"hidden": true}));
    assert!(x.hide_comment(&creds(), "../users/me").await.is_err());
}

#[tokio::test]
async fn youtube_holds_a_comment_for_review() {
    let (server, env) = server().await;
    let yt = Youtube::new(env).unwrap();
    assert!(yt.can_hide_comments());
    server.on(
        "POST",
        "/youtube/v3/comments/setModerationStatus",
        Reply::empty(204),
    );
    yt.hide_comment(&creds(), "UgzDE2tasfmrYLyNkGt4AaABAg")
        .await
        .unwrap();
    let seen = server.requests_to("POST", "/youtube/v3/comments/setModerationStatus");
    let q = seen[0].query_pairs();
    assert_eq!(
        q.get("id").map(String::as_str),
        Some("UgzDE2tasfmrYLyNkGt4AaABAg")
    );
    assert_eq!(
        q.get("moderationStatus").map(String::as_str),
        Some("heldForReview")
    );
}

#[tokio::test]
async fn bluesky_and_mastodon_cannot_hide_others_replies() {
    let bsky = owlery_networks::bluesky::Bluesky::new().unwrap();
    assert!(!bsky.can_hide_comments());
    let err = bsky
        .hide_comment(&creds(), "at://did:plc:x/app.bsky.feed.post/1")
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }));
    let masto = owlery_networks::mastodon::Mastodon::new(Env::default()).unwrap();
    assert!(!masto.can_hide_comments());
}
