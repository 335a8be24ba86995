//! The TikTok inbox poll against **fixtures** of the TikTok API for Business v1.3
//! (`/business/video/list/`, `/business/comment/list/`, `/business/comment/reply/list/`), shaped
//! as a third-party SDK mirrors the reference (see `src/tiktok/inbox.rs`). Fixture-verified only:
//! nothing here has been checked against TikTok.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::inbox::InboxPoll;
use owlery_networks::tiktok::Tiktok;
use owlery_networks::{AuthKind, Connector, ConnectorError, Credentials, Env};
use serde_json::{Value, json};

const TOKEN: &str = "act.business.example.token";
const BUSINESS: &str = "-000Xexample-open-id";
const VIDEOS: &str = "/open_api/v1.3/business/video/list/";
const COMMENTS: &str = "/open_api/v1.3/business/comment/list/";
const REPLIES: &str = "/open_api/v1.3/business/comment/reply/list/";
const T0: i64 = 1_790_000_000;

fn business() -> Credentials {
    Credentials::new("brand", TOKEN)
        .with_auth(AuthKind::TiktokBusiness)
        .with_account(BUSINESS)
}

fn ok(data: Value) -> Reply {
    Reply::json(
        200,
        json!({"code": 0, "message": "OK", "request_id": "20261127abc", "data": data}),
    )
}

fn videos(ids: &[&str]) -> Reply {
    let list: Vec<Value> = ids
        .iter()
        .map(|id| json!({"item_id": id, "create_time": T0 - 86_400, "share_url": format!("https://www.tiktok.com/@brand/video/{id}")}))
        .collect();
    ok(json!({"videos": list, "cursor": 0, "has_more": false}))
}

/// Fixture: a comment as `/business/comment/list/` returns it.
fn comment(id: &str, user: &str, text: &str, at: i64, replies: u64) -> Value {
    json!({
        "comment_id": id, "video_id": "v1", "user_id": format!("u-{user}"),
        "unique_identifier": format!("+{user}"), "create_time": at.to_string(), "text": text,
        "likes": 0, "replies": replies, "owner": user == "brand", "liked": false, "pinned": false,
        "status": "PUBLIC", "username": user, "display_name": user.to_uppercase(),
        "profile_image": "https://p16.tiktokcdn.com/a.jpeg"
    })
}

fn page(comments: Vec<Value>, cursor: i64, has_more: bool) -> Reply {
    ok(json!({"comments": comments, "cursor": cursor, "has_more": has_more}))
}

fn texts(poll: &InboxPoll) -> Vec<&str> {
    poll.items.iter().map(|i| i.text.as_str()).collect()
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
async fn a_personal_login_is_told_it_cannot_read_comments_without_any_call() {
    let (f, tiktok) = setup().await;
    assert!(tiktok.polls_inbox());
    let err = tiktok
        .poll_inbox(
            &Credentials::new("brand", TOKEN).with_account("open-id"),
            None,
        )
        .await
        .unwrap_err();
    let ConnectorError::Permanent { reason } = err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("API for Business"), "{reason}");
    assert!(f.requests().is_empty());
}

#[tokio::test]
async fn comments_and_replies_are_read_down_to_each_videos_watermark() {
    let (f, tiktok) = setup().await;
    // The fixture answers a route's queued replies in order (the last one keeps answering), so
    // both polls' pages are queued up front.
    f.on("GET", VIDEOS, videos(&["v1"]));
    f.on("GET", VIDEOS, videos(&["v2", "v1"]));
    let mut top = comment("c2", "bo", "Price?", T0 + 20, 5);
    top["reply_list"] = json!([
        { "comment_id": "r3", "video_id": "v1", "unique_identifier": "+brand", "create_time": T0 + 30, "text": "DM us", "replies": 0, "owner": true, "username": "brand", "parent_comment_id": "c2" },
    ]);
    // Poll 1: the newest page of the video; the account's own reply is not a message, the replies
    // beyond those included come from reply/list.
    f.on(
        "GET",
        COMMENTS,
        page(vec![top, comment("c1", "ana", "Nice", T0 + 10, 0)], 2, true),
    );
    f.on(
        "GET",
        REPLIES,
        ok(json!({"comments": [
            { "comment_id": "r3", "unique_identifier": "+brand", "create_time": T0 + 30, "text": "DM us", "owner": true, "username": "brand", "parent_comment_id": "c2" },
            { "comment_id": "r2", "unique_identifier": "+cy", "create_time": T0 + 25, "text": "me too", "owner": false, "username": "cy", "parent_comment_id": "c2" },
        ], "cursor": 2, "has_more": false})),
    );
    // Poll 2: one new comment, then what was read; plus a second, new video read from its start.
    f.on(
        "GET",
        COMMENTS,
        page(
            vec![comment("n1", "di", "on the new one", T0 + 40, 0)],
            1,
            false,
        ),
    );
    f.on(
        "GET",
        COMMENTS,
        page(
            vec![
                comment("c3", "ed", "When?", T0 + 35, 0),
                comment("c2", "bo", "Price?", T0 + 20, 0),
                comment("c1", "ana", "Nice", T0 + 10, 0),
            ],
            3,
            true,
        ),
    );
    let first = tiktok.poll_inbox(&business(), None).await.unwrap();
    assert_eq!(texts(&first), vec!["Nice", "Price?", "me too"]);
    assert!(!first.more);
    let v = &f.requests_to("GET", VIDEOS)[0];
    assert_eq!(v.header("access-token"), Some(TOKEN));
    assert_eq!(v.query_pairs().get("business_id").unwrap(), BUSINESS);
    let c = f.requests_to("GET", COMMENTS)[0].query_pairs();
    assert_eq!(c.get("video_id").unwrap(), "v1");
    assert_eq!(c.get("sort_field").unwrap(), "create_time");
    assert_eq!(c.get("sort_order").unwrap(), "desc");
    assert_eq!(c.get("include_replies").unwrap(), "true");
    let reply = first.items.iter().find(|i| i.remote_id == "r2").unwrap();
    assert_eq!(reply.conversation_remote_id.as_deref(), Some("v1"));
    assert_eq!(reply.in_reply_to_remote_id.as_deref(), Some("c2"));
    assert_eq!(reply.author.remote_id, "+cy");

    let second = tiktok
        .poll_inbox(&business(), first.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(texts(&second), vec!["When?", "on the new one"]);
    let cursor: Value = serde_json::from_str(second.cursor.as_deref().unwrap()).unwrap();
    assert_eq!(
        cursor["videos"].as_object().map(|m| m.len()),
        Some(2),
        "{cursor}"
    );
}

#[tokio::test]
async fn a_missing_scope_and_a_dead_token_are_clear_errors() {
    let (f, tiktok) = setup().await;
    f.on(
        "GET",
        VIDEOS,
        Reply::json(
            200,
            json!({"code": 40001, "message": "No permission to operate the business account", "request_id": "r1", "data": {}}),
        ),
    );
    let err = tiktok.poll_inbox(&business(), None).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("comment.list")),
        "{err:?}"
    );
    let (f, tiktok) = setup().await;
    f.on(
        "GET",
        VIDEOS,
        Reply::json(
            200,
            json!({"code": 40105, "message": "Access token is incorrect or has been revoked.", "request_id": "r2", "data": {}}),
        ),
    );
    let err = tiktok.poll_inbox(&business(), None).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains(TOKEN));
}
