//! Liking and deleting messages of the inbox (`Connector::like`, `Connector::delete_comment`,
//! `Connector::delete_reply`), per network, against local fixtures. Every response is a FIXTURE
//! MIRRORING THE DOCS — Facebook's `POST /{comment-id}/likes` and `DELETE /{comment-id}`
//! (developers.facebook.com/docs/graph-api/reference/object/likes, …/reference/comment),
//! Instagram's `DELETE /{ig-comment-id}` (developers.facebook.com/docs/instagram-platform/reference/ig-comment),
//! YouTube's `comments.setModerationStatus` with `rejected` and `comments.delete`
//! (developers.google.com/youtube/v3/docs/comments), Mastodon's `POST /api/v1/statuses/:id/favourite`
//! (docs.joinmastodon.org/methods/statuses/#favourite), X's `POST /2/users/:id/likes`
//! (docs.x.com/x-api/users/like-post), LinkedIn's Reactions API (`POST /rest/reactions?actor=…`,
//! learn.microsoft.com/linkedin/marketing/community-management/shares/reactions-api) and
//! Bluesky's `app.bsky.feed.like` record written with `com.atproto.repo.putRecord`
//! (docs.bsky.app). They prove the connectors speak the documented protocol, not that the
//! networks answer this way today; the lead's live Bluesky run is the only live check. Networks
//! whose API cannot do it say so, with a reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use owlery_domain::inbox::MessageKind;
use owlery_networks::bluesky::Bluesky;
use owlery_networks::facebook::FacebookPages;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::inbox::Ability;
use owlery_networks::instagram::Instagram;
use owlery_networks::linkedin::Linkedin;
use owlery_networks::mastodon::Mastodon;
use owlery_networks::threads::Threads;
use owlery_networks::tiktok::Tiktok;
use owlery_networks::x::X;
use owlery_networks::youtube::Youtube;
use owlery_networks::{Connector, ConnectorError, Credentials, Env, RemoteRef};
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
async fn facebook_likes_and_deletes_a_comment() {
    let (server, env) = server().await;
    let fb = FacebookPages::new(env).unwrap();
    assert_eq!(fb.can_like(MessageKind::Comment), Ability::Allowed);
    assert!(fb.can_like(MessageKind::Dm).reason().is_some());
    assert_eq!(
        fb.can_delete_comment(MessageKind::Comment),
        Ability::Allowed
    );
    assert!(
        fb.can_delete_comment(MessageKind::Mention)
            .reason()
            .is_some()
    );
    server.on(
        "POST",
        "/1234567890_111/likes",
        Reply::json(200, json!({"success": true})),
    );
    fb.like(&creds(), "1234567890_111").await.unwrap();
    assert_eq!(server.requests_to("POST", "/1234567890_111/likes").len(), 1);
    server.on(
        "DELETE",
        "/1234567890_111",
        Reply::json(200, json!({"success": true})),
    );
    fb.delete_comment(&creds(), "1234567890_111").await.unwrap();
    assert_eq!(server.requests_to("DELETE", "/1234567890_111").len(), 1);
    // A bad id never reaches the network.
    assert!(matches!(
        fb.like(&creds(), "../me").await.unwrap_err(),
        ConnectorError::Permanent { .. }
    ));
}

#[tokio::test]
async fn instagram_deletes_a_comment_and_its_own_answer_but_cannot_like() {
    let (server, env) = server().await;
    let ig = Instagram::new(env).unwrap();
    assert!(
        ig.can_like(MessageKind::Comment)
            .reason()
            .unwrap()
            .contains("Instagram")
    );
    assert!(
        ig.like(&creds(), "17858893269000001").await.is_err(),
        "no call exists"
    );
    assert_eq!(
        ig.can_delete_comment(MessageKind::Comment),
        Ability::Allowed
    );
    assert!(ig.can_delete_comment(MessageKind::Dm).reason().is_some());
    server.on(
        "DELETE",
        "/17858893269000001",
        Reply::json(200, json!({"success": true})),
    );
    ig.delete_comment(&creds(), "17858893269000001")
        .await
        .unwrap();
    server.on(
        "DELETE",
        "/17858893269000002",
        Reply::json(200, json!({"success": true})),
    );
    // Our answer is a comment under the comment: deleted as one, whatever its reference says.
    let answer = RemoteRef {
        id: "17858893269000002".into(),
        cid: None,
        root: None,
    };
    ig.delete_reply(&creds(), &answer).await.unwrap();
    assert_eq!(server.requests_to("DELETE", "/17858893269000002").len(), 1);
}

#[tokio::test]
async fn youtube_rejects_someone_elses_comment_and_deletes_its_own() {
    let (server, env) = server().await;
    let yt = Youtube::new(env).unwrap();
    assert!(yt.can_like(MessageKind::Comment).reason().is_some());
    assert_eq!(
        yt.can_delete_comment(MessageKind::Comment),
        Ability::Allowed
    );
    server.on(
        "POST",
        "/youtube/v3/comments/setModerationStatus",
        Reply::empty(204),
    );
    yt.delete_comment(&creds(), "UgzDE2tasfmrYLyNkGt4AaABAg")
        .await
        .unwrap();
    let seen = server.requests_to("POST", "/youtube/v3/comments/setModerationStatus");
    let q = seen[0].query_pairs();
    assert_eq!(
        q.get("moderationStatus").map(String::as_str),
        Some("rejected")
    );
    server.on("DELETE", "/youtube/v3/comments", Reply::empty(204));
    let answer = RemoteRef {
        id: "UgzOwn".into(),
        cid: None,
        root: None,
    };
    yt.delete_reply(&creds(), &answer).await.unwrap();
    let seen = server.requests_to("DELETE", "/youtube/v3/comments");
    assert_eq!(
        seen[0].query_pairs().get("id").map(String::as_str),
        Some("UgzOwn")
    );
}

#[tokio::test]
async fn mastodon_favourites_but_cannot_delete_someone_elses_post() {
    let (server, env) = server().await;
    let m = Mastodon::new(env).unwrap();
    let creds = Credentials::new("owlery", "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0")
        .with_service(server.url())
        .with_account("109348912");
    assert_eq!(m.can_like(MessageKind::Dm), Ability::Allowed);
    assert!(
        m.can_delete_comment(MessageKind::Comment)
            .reason()
            .unwrap()
            .contains("only its author")
    );
    server.on(
        "POST",
        "/api/v1/statuses/110000000000000001/favourite",
        Reply::json(200, json!({"id": "110000000000000001", "favourited": true})),
    );
    m.like(&creds, "110000000000000001").await.unwrap();
    assert_eq!(
        server
            .requests_to("POST", "/api/v1/statuses/110000000000000001/favourite")
            .len(),
        1
    );
    assert!(
        m.delete_comment(&creds, "110000000000000001")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn x_likes_a_reply_as_the_account() {
    let (server, env) = server().await;
    let x = X::new(env).unwrap();
    assert_eq!(x.can_like(MessageKind::Comment), Ability::Allowed);
    assert!(x.can_like(MessageKind::Dm).reason().is_some());
    assert!(
        x.can_delete_comment(MessageKind::Comment)
            .reason()
            .is_some()
    );
    server.on(
        "POST",
        "/2/users/1784140/likes",
        Reply::json(200, json!({"data": {"liked": true}})),
    );
    x.like(&creds(), "1445880548472328192").await.unwrap();
    let seen = server.requests_to("POST", "/2/users/1784140/likes");
    assert_eq!(seen[0].json(), json!({"tweet_id": "1445880548472328192"}));
    assert!(x.like(&creds(), "../users/me").await.is_err());
}

#[tokio::test]
async fn linkedin_reacts_as_the_organisation() {
    let (server, env) = server().await;
    let li = Linkedin::new(env).unwrap();
    let creds = Credentials::new("Devtestco", "AQXtoken-li-7f3a9c-secret")
        .with_account("urn:li:organization:2414183");
    assert_eq!(li.can_like(MessageKind::Comment), Ability::Allowed);
    assert!(
        li.can_delete_comment(MessageKind::Comment)
            .reason()
            .is_some()
    );
    server.on("POST", "/rest/reactions", Reply::empty(201));
    let comment = "urn:li:comment:(urn:li:activity:6844785523593134080,6844785523593134081)";
    li.like(&creds, comment).await.unwrap();
    let seen = server.requests_to("POST", "/rest/reactions");
    assert_eq!(
        seen[0].query_pairs().get("actor").map(String::as_str),
        Some("urn:li:organization:2414183")
    );
    assert_eq!(
        seen[0].json(),
        json!({"root": comment, "reactionType": "LIKE"})
    );
    assert!(li.like(&creds, "not-a-urn").await.is_err());
}

#[tokio::test]
async fn bluesky_likes_with_one_record_per_post() {
    let f = Fixture::start().await.unwrap();
    f.on(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        Reply::json(
            200,
            json!({ "did": "did:plc:brand", "handle": "brand.test", "accessJwt": "a.b.c", "refreshJwt": "d.e.f" }),
        ),
    );
    f.on(
        "GET",
        "/xrpc/com.atproto.repo.getRecord",
        Reply::json(
            200,
            json!({ "uri": "at://did:plc:ana/app.bsky.feed.post/3kabc", "cid": "bafyreiana", "value": {} }),
        ),
    );
    f.on(
        "POST",
        "/xrpc/com.atproto.repo.putRecord",
        Reply::json(
            200,
            json!({ "uri": "at://did:plc:brand/app.bsky.feed.like/x", "cid": "bafylike" }),
        ),
    );
    let creds = Credentials::new("brand.test", "app-pass-word-1234").with_service(f.url());
    let b = Bluesky::new().unwrap();
    assert_eq!(b.can_like(MessageKind::Mention), Ability::Allowed);
    assert!(b.can_like(MessageKind::Dm).reason().is_some());
    assert!(
        b.can_delete_comment(MessageKind::Comment)
            .reason()
            .unwrap()
            .contains("only its author")
    );
    let post = "at://did:plc:ana/app.bsky.feed.post/3kabc";
    b.like(&creds, post).await.unwrap();
    b.like(&creds, post).await.unwrap();
    let puts = f.requests_to("POST", "/xrpc/com.atproto.repo.putRecord");
    assert_eq!(puts.len(), 2);
    let (first, second) = (puts[0].json(), puts[1].json());
    assert_eq!(first["collection"], "app.bsky.feed.like");
    assert_eq!(first["repo"], "did:plc:brand");
    assert_eq!(
        first["record"]["subject"],
        json!({"uri": post, "cid": "bafyreiana"})
    );
    assert_eq!(
        first["rkey"], second["rkey"],
        "liking twice writes the same record"
    );
}

#[test]
fn networks_without_the_calls_say_why() {
    let threads = Threads::new(Env::default()).unwrap();
    let tiktok = Tiktok::new(Env::default()).unwrap();
    for (why_like, why_delete) in [
        (
            threads.can_like(MessageKind::Comment),
            threads.can_delete_comment(MessageKind::Comment),
        ),
        (
            tiktok.can_like(MessageKind::Comment),
            tiktok.can_delete_comment(MessageKind::Comment),
        ),
    ] {
        assert!(why_like.reason().is_some_and(|r| r.contains("API")));
        assert!(why_delete.reason().is_some());
    }
}
