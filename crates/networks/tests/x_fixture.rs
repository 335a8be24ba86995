//! The X connector against local fixtures. Every response below is a FIXTURE MIRRORING THE DOCS:
//! bodies, error bodies and headers shaped as the X API v2 reference shows them (docs.x.com pages
//! named at each test). They prove the connector speaks the documented protocol, not that X
//! answers this way today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use owlery_networks::budget::BudgetBook;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::oauth::ClientAuth;
use owlery_networks::x::X;
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishPart, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const TOKEN: &str = "x-user-access-token-0123456789";
const USER_ID: &str = "2244994945";
const POST_ID: &str = "1445880548472328192";

struct Setup {
    server: Fixture,
    x: X,
    budgets: Arc<BudgetBook>,
}

async fn setup_with(http: HttpConfig) -> Setup {
    let server = Fixture::start().await.unwrap();
    let budgets = Arc::new(BudgetBook::new());
    let env = Env {
        http,
        budgets: budgets.clone(),
        base_url: Some(server.url()),
    };
    let x = X::new(env).unwrap();
    Setup { server, x, budgets }
}

async fn setup() -> Setup {
    setup_with(HttpConfig::default()).await
}

fn creds() -> Credentials {
    Credentials::new("@TwitterDev", TOKEN).with_account(USER_ID)
}

fn in_future(secs: u64) -> String {
    (SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + secs)
        .to_string()
}

/// Fixture: `201` of `POST /2/tweets` (docs.x.com/x-api/posts/create-post).
fn created(id: &str, text: &str) -> Reply {
    Reply::json(201, json!({ "data": { "id": id, "text": text } }))
}

/// Fixture: the one-request upload's answer (docs.x.com/x-api/media/upload-media).
fn uploaded(id: &str) -> Reply {
    Reply::json(
        200,
        json!({ "data": {
            "id": id, "media_key": format!("3_{id}"), "size": 11065, "expires_after_secs": 86400,
            "image": { "image_type": "image/png", "w": 800, "h": 320 }
        }}),
    )
}

fn image(alt: &str) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: b"\x89PNG fake image bytes".to_vec(),
        mime: "image/png".into(),
        alt: alt.into(),
        width: 800,
        height: 320,
        ..MediaUpload::default()
    }
}

fn with_media(text: &str, media: Vec<MediaUpload>) -> PublishRequest {
    PublishRequest {
        part: PublishPart {
            text: text.into(),
            media,
            ..PublishPart::default()
        },
        ..PublishRequest::new("variant:0", text)
    }
}

fn assert_no_token(e: &ConnectorError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
}

#[tokio::test]
async fn verify_reads_the_account_with_the_bearer_token() {
    let s = setup().await;
    // docs.x.com/x-api/users/user-lookup-me
    s.server.on(
        "GET",
        "/2/users/me",
        Reply::json(
            200,
            json!({"data": {"id": USER_ID, "name": "Developers", "username": "TwitterDev"}}),
        ),
    );
    let me = s.x.verify(&creds()).await.unwrap();
    assert_eq!(me.id, USER_ID);
    assert_eq!(me.handle, "TwitterDev");
    let sent = s.server.requests_to("GET", "/2/users/me");
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!sent[0].query.contains(TOKEN));
}

#[tokio::test]
async fn publishes_text_and_files_the_rate_limit_headers() {
    let s = setup().await;
    // Rate-limit headers as docs.x.com/fundamentals/rate-limits shows them: the window is spent.
    s.server.on(
        "POST",
        "/2/tweets",
        created(POST_ID, "Hello from Owlery")
            .header("x-rate-limit-limit", "100")
            .header("x-rate-limit-remaining", "0")
            .header("x-rate-limit-reset", &in_future(900)),
    );
    let published =
        s.x.publish(&creds(), &PublishRequest::new("v:0", "Hello from Owlery"))
            .await
            .unwrap();
    assert_eq!(published.remote.id, POST_ID);
    assert_eq!(
        published.url,
        format!("https://x.com/TwitterDev/status/{POST_ID}")
    );
    assert!(published.remote.root.is_none());
    let sent = s.server.requests_to("POST", "/2/tweets");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json(), json!({"text": "Hello from Owlery"}));
    let wait = s
        .budgets
        .wait(Network::X, &creds().budget_key(), SystemTime::now())
        .expect("a spent window makes the account wait");
    assert!(wait > Duration::from_secs(800) && wait <= Duration::from_secs(900));
}

#[tokio::test]
async fn a_success_with_budget_left_does_not_hold_the_account() {
    let s = setup().await;
    s.server.on(
        "POST",
        "/2/tweets",
        created(POST_ID, "x")
            .header("x-rate-limit-limit", "100")
            .header("x-rate-limit-remaining", "99")
            .header("x-rate-limit-reset", &in_future(900)),
    );
    s.x.publish(&creds(), &PublishRequest::new("v:0", "x"))
        .await
        .unwrap();
    assert_eq!(
        s.budgets
            .wait(Network::X, &creds().budget_key(), SystemTime::now()),
        None
    );
}

#[tokio::test]
async fn images_are_uploaded_with_their_alt_text_and_attached() {
    let s = setup().await;
    s.server
        .on("POST", "/2/media/upload", uploaded("1111111111111111111"));
    s.server
        .on("POST", "/2/media/upload", uploaded("2222222222222222222"));
    // docs.x.com/x-api/media/create-media-metadata
    s.server.on(
        "POST",
        "/2/media/metadata",
        Reply::json(
            200,
            json!({"data": {"associated_metadata": {"alt_text": {"text": "A dancing cat"}}, "id": "1111111111111111111"}}),
        ),
    );
    s.server
        .on("POST", "/2/tweets", created(POST_ID, "Two pictures"));
    let req = with_media(
        "Two pictures",
        vec![image("A dancing cat"), image("A sleeping owl")],
    );
    s.x.publish(&creds(), &req).await.unwrap();

    let uploads = s.server.requests_to("POST", "/2/media/upload");
    assert_eq!(uploads.len(), 2);
    for upload in &uploads {
        let body = upload.text();
        assert!(
            upload
                .header("content-type")
                .unwrap()
                .starts_with("multipart/form-data"),
            "multipart upload"
        );
        assert!(body.contains("name=\"media_category\""), "{body}");
        assert!(body.contains("tweet_image"), "{body}");
        assert!(body.contains("fake image bytes"), "{body}");
    }
    let meta = s.server.requests_to("POST", "/2/media/metadata");
    assert_eq!(meta.len(), 2);
    assert_eq!(
        meta[0].json(),
        json!({"id": "1111111111111111111", "metadata": {"alt_text": {"text": "A dancing cat"}}})
    );
    assert_eq!(
        meta[1].json(),
        json!({"id": "2222222222222222222", "metadata": {"alt_text": {"text": "A sleeping owl"}}})
    );
    let tweet = &s.server.requests_to("POST", "/2/tweets")[0];
    assert_eq!(
        tweet.json(),
        json!({"text": "Two pictures", "media": {"media_ids": ["1111111111111111111", "2222222222222222222"]}})
    );
}

#[tokio::test]
async fn an_image_without_alt_text_sends_no_metadata() {
    let s = setup().await;
    s.server
        .on("POST", "/2/media/upload", uploaded("1111111111111111111"));
    s.server.on("POST", "/2/tweets", created(POST_ID, ""));
    s.x.publish(&creds(), &with_media("", vec![image("  ")]))
        .await
        .unwrap();
    assert!(s.server.requests_to("POST", "/2/media/metadata").is_empty());
    assert_eq!(
        s.server.requests_to("POST", "/2/tweets")[0].json(),
        json!({"media": {"media_ids": ["1111111111111111111"]}})
    );
}

fn video(bytes: usize) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Video,
        bytes: vec![7; bytes],
        mime: "video/mp4".into(),
        alt: "A clip of the launch".into(),
        duration_ms: Some(12_000),
        ..MediaUpload::default()
    }
}

const VIDEO_ID: &str = "1880028106020515840";

/// Fixtures of the chunked upload (docs.x.com/x-api/media/quickstart/media-upload-chunked,
/// docs.x.com/x-api/media/get-media-upload-status).
fn script_chunked(server: &Fixture, final_state: Value) {
    server.on(
        "POST",
        "/2/media/upload/initialize",
        Reply::json(
            200,
            json!({"data": {"id": VIDEO_ID, "media_key": format!("13_{VIDEO_ID}"), "expires_after_secs": 1295999}}),
        ),
    );
    server.on(
        "POST",
        &format!("/2/media/upload/{VIDEO_ID}/append"),
        Reply::json(200, json!({"data": {"expires_at": 1740787200}})),
    );
    server.on(
        "POST",
        &format!("/2/media/upload/{VIDEO_ID}/finalize"),
        Reply::json(
            200,
            json!({"data": {"id": VIDEO_ID, "media_key": format!("13_{VIDEO_ID}"), "size": 5242881,
                            "expires_after_secs": 86400,
                            "processing_info": {"state": "pending", "check_after_secs": 1}}}),
        ),
    );
    server.on(
        "GET",
        "/2/media/upload",
        Reply::json(
            200,
            json!({"data": {"id": VIDEO_ID, "media_key": format!("13_{VIDEO_ID}"),
                            "processing_info": final_state}}),
        ),
    );
}

#[tokio::test]
async fn a_video_goes_up_in_chunks_and_waits_for_processing() {
    let s = setup().await;
    script_chunked(
        &s.server,
        json!({"state": "succeeded", "progress_percent": 100}),
    );
    s.server.on(
        "POST",
        "/2/media/metadata",
        Reply::json(200, json!({"data": {"id": VIDEO_ID}})),
    );
    s.server.on("POST", "/2/tweets", created(POST_ID, "Launch"));
    let size = 5 * 1024 * 1024 + 1; // two segments of at most 4 MiB
    s.x.publish(&creds(), &with_media("Launch", vec![video(size)]))
        .await
        .unwrap();

    let init = &s.server.requests_to("POST", "/2/media/upload/initialize")[0];
    assert_eq!(
        init.json(),
        json!({"media_type": "video/mp4", "total_bytes": size, "media_category": "tweet_video"})
    );
    let appends = s
        .server
        .requests_to("POST", &format!("/2/media/upload/{VIDEO_ID}/append"));
    assert_eq!(appends.len(), 2);
    for (i, append) in appends.iter().enumerate() {
        let body = append.text();
        assert!(body.contains("name=\"segment_index\""), "{body}");
        assert!(body.contains(&format!("\r\n\r\n{i}\r\n")), "segment {i}");
    }
    assert_eq!(
        s.server
            .requests_to("POST", &format!("/2/media/upload/{VIDEO_ID}/finalize"))
            .len(),
        1
    );
    let status = &s.server.requests_to("GET", "/2/media/upload")[0];
    assert_eq!(status.query_pairs()["command"], "STATUS");
    assert_eq!(status.query_pairs()["media_id"], VIDEO_ID);
    assert_eq!(
        s.server.requests_to("POST", "/2/media/metadata")[0].json()["metadata"]["alt_text"]["text"],
        "A clip of the launch"
    );
    assert_eq!(
        s.server.requests_to("POST", "/2/tweets")[0].json()["media"]["media_ids"],
        json!([VIDEO_ID])
    );
}

#[tokio::test]
async fn a_video_x_cannot_process_is_permanent_and_nothing_is_posted() {
    let s = setup().await;
    script_chunked(
        &s.server,
        json!({"state": "failed", "progress_percent": 12,
               "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}}),
    );
    let err =
        s.x.publish(&creds(), &with_media("Launch", vec![video(1000)]))
            .await
            .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("Unsupported video format")),
        "{err:?}"
    );
    assert!(s.server.requests_to("POST", "/2/tweets").is_empty());
}

#[tokio::test]
async fn a_video_still_processing_after_the_wait_is_temporary() {
    let s = setup().await;
    let x = s.x.with_media_wait(Duration::ZERO);
    script_chunked(&s.server, json!({"state": "in_progress"}));
    let err = x
        .publish(&creds(), &with_media("Launch", vec![video(1000)]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    assert!(s.server.requests_to("POST", "/2/tweets").is_empty());
}

#[tokio::test]
async fn a_thread_part_and_a_first_comment_reply_to_their_parent() {
    let s = setup().await;
    s.server
        .on("POST", "/2/tweets", created("1445880548472328193", "2/2"));
    let root = RemoteRef {
        id: POST_ID.into(),
        cid: None,
        root: None,
    };
    let mut req = PublishRequest::new("v:1", "2/2");
    req.reply_to = Some(root.clone());
    let published = s.x.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.root.as_deref(), Some(&root));
    // A third part keeps the thread's root.
    let mut third = PublishRequest::new("v:2", "3/3");
    third.reply_to = Some(RemoteRef {
        id: "1445880548472328193".into(),
        cid: None,
        root: Some(Box::new(root.clone())),
    });
    let published = s.x.publish(&creds(), &third).await.unwrap();
    assert_eq!(published.remote.root.as_deref(), Some(&root));
    // A first comment is a reply too.
    let mut comment = PublishRequest::new("v:c", "Link in the first comment");
    comment.reply_to = Some(root.clone());
    comment.as_comment = true;
    s.x.publish(&creds(), &comment).await.unwrap();

    let sent = s.server.requests_to("POST", "/2/tweets");
    assert_eq!(
        sent[0].json(),
        json!({"text": "2/2", "reply": {"in_reply_to_tweet_id": POST_ID}})
    );
    assert_eq!(
        sent[1].json()["reply"]["in_reply_to_tweet_id"],
        "1445880548472328193"
    );
    assert_eq!(sent[2].json()["reply"]["in_reply_to_tweet_id"], POST_ID);
}

#[tokio::test]
async fn the_post_placement_is_accepted() {
    let s = setup().await;
    s.server.on("POST", "/2/tweets", created(POST_ID, "p"));
    let mut req = PublishRequest::new("v:0", "p");
    req.placement = "post".into();
    s.x.publish(&creds(), &req).await.unwrap();
    assert_eq!(s.server.requests_to("POST", "/2/tweets").len(), 1);
}

#[tokio::test]
async fn what_x_cannot_do_is_refused_before_sending() {
    let s = setup().await;
    let mut story = PublishRequest::new("v:0", "s");
    story.placement = "story".into();
    let mut orphan_comment = PublishRequest::new("v:0", "c");
    orphan_comment.as_comment = true;
    let mut board = PublishRequest::new("v:0", "b");
    board.target = Some("board-1".into());
    let mut tiff = image("");
    tiff.mime = "image/tiff".into();
    let cases = vec![
        ("story", story),
        ("comment without parent", orphan_comment),
        ("target", board),
        ("five images", with_media("5", vec![image(""); 5])),
        (
            "video and image",
            with_media("mix", vec![video(10), image("")]),
        ),
        ("tiff", with_media("tiff", vec![tiff])),
        (
            "huge image",
            with_media(
                "big",
                vec![MediaUpload {
                    bytes: vec![0; 5 * 1024 * 1024 + 1],
                    ..image("")
                }],
            ),
        ),
        (
            "long alt",
            with_media("alt", vec![image(&"a".repeat(1001))]),
        ),
        ("empty", PublishRequest::new("v:0", " ")),
    ];
    for (what, req) in cases {
        let err = s.x.publish(&creds(), &req).await.unwrap_err();
        assert!(
            matches!(err, ConnectorError::Permanent { .. }),
            "{what}: {err:?}"
        );
    }
    assert!(s.server.requests().is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn error_bodies_become_the_right_errors() {
    let s = setup().await;
    // docs.x.com/x-api/fundamentals/response-codes-and-errors
    s.server.on(
        "POST",
        "/2/tweets",
        Reply::json(
            401,
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
        )
        .header("content-type", "application/problem+json"),
    );
    s.server.on(
        "POST",
        "/2/tweets",
        Reply::json(
            400,
            json!({"errors": [{"parameters": {"reply.in_reply_to_tweet_id": ["1"]},
                               "message": "The `reply.in_reply_to_tweet_id` query parameter value [1] is not valid"}],
                   "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                   "type": "https://api.x.com/2/problems/invalid-request"}),
        ),
    );
    s.server.on(
        "POST",
        "/2/tweets",
        Reply::json(
            403,
            json!({"detail": "You are not allowed to create a Tweet with duplicate content.",
                   "type": "about:blank", "title": "Forbidden", "status": 403}),
        ),
    );
    s.server.on(
        "POST",
        "/2/tweets",
        Reply::json(
            503,
            json!({"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}),
        ),
    );
    s.server.on(
        "POST",
        "/2/tweets",
        Reply::json(
            429,
            json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}),
        )
        .header("x-rate-limit-limit", "100")
        .header("x-rate-limit-remaining", "0")
        .header("x-rate-limit-reset", &in_future(600)),
    );
    let req = PublishRequest::new("v:0", "hello");
    let mut errors = Vec::new();
    for _ in 0..5 {
        errors.push(s.x.publish(&creds(), &req).await.unwrap_err());
    }
    assert!(
        matches!(&errors[0], ConnectorError::Auth { .. }),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(&errors[1], ConnectorError::Permanent { reason } if reason.contains("is not valid")),
        "{:?}",
        errors[1]
    );
    assert!(
        matches!(&errors[2], ConnectorError::Permanent { reason } if reason.contains("duplicate")),
        "{:?}",
        errors[2]
    );
    assert!(
        matches!(&errors[3], ConnectorError::Temporary { .. }),
        "{:?}",
        errors[3]
    );
    match &errors[4] {
        ConnectorError::RateLimited {
            retry_after: Some(d),
        } => assert!(*d > Duration::from_secs(500) && *d <= Duration::from_secs(600)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(
        s.budgets
            .wait(Network::X, &creds().budget_key(), SystemTime::now())
            .is_some()
    );
    for e in &errors {
        assert_no_token(e);
    }
}

#[tokio::test]
async fn a_429_from_the_daily_cap_waits_for_the_cap() {
    let s = setup().await;
    s.server.on(
        "POST",
        "/2/tweets",
        Reply::json(
            429,
            json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}),
        )
        .header("x-rate-limit-remaining", "99")
        .header("x-rate-limit-reset", &in_future(600))
        .header("x-user-limit-24hour-limit", "100")
        .header("x-user-limit-24hour-remaining", "0")
        .header("x-user-limit-24hour-reset", &in_future(40_000)),
    );
    let err =
        s.x.publish(&creds(), &PublishRequest::new("v:0", "hello"))
            .await
            .unwrap_err();
    let wait = err.retry_after().unwrap();
    assert!(wait > Duration::from_secs(39_000), "{wait:?}");
    let booked = s
        .budgets
        .wait(Network::X, &creds().budget_key(), SystemTime::now())
        .unwrap();
    assert!(booked > Duration::from_secs(39_000), "{booked:?}");
}

#[tokio::test]
async fn a_create_that_times_out_is_unknown() {
    let s = setup_with(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(300),
    })
    .await;
    s.server.on("POST", "/2/tweets", Reply::hang());
    let err =
        s.x.publish(&creds(), &PublishRequest::new("v:0", "hello"))
            .await
            .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    assert_no_token(&err);
}

#[tokio::test]
async fn a_500_after_the_create_reached_x_is_unknown() {
    let s = setup().await;
    s.server.on(
        "POST",
        "/2/tweets",
        Reply::json(
            500,
            json!({"title": "Internal Server Error", "detail": "Internal Server Error", "type": "about:blank", "status": 500}),
        ),
    );
    let err =
        s.x.publish(&creds(), &PublishRequest::new("v:0", "hello"))
            .await
            .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
}

/// Fixture: a page of `GET /2/users/:id/tweets` (docs.x.com/x-api/users/get-posts).
fn timeline(posts: Value, next: Option<&str>) -> Reply {
    let count = posts.as_array().map_or(0, Vec::len);
    let mut meta = json!({"result_count": count, "newest_id": "1", "oldest_id": "1"});
    if let Some(next) = next {
        meta["next_token"] = json!(next);
    }
    Reply::json(200, json!({"data": posts, "meta": meta}))
}

#[tokio::test]
async fn lookup_finds_the_post_on_a_later_page() {
    let s = setup().await;
    let path = format!("/2/users/{USER_ID}/tweets");
    s.server.on(
        "GET",
        &path,
        timeline(
            json!([{"id": "1", "text": "Something else", "created_at": "2026-11-27T10:00:00.000Z"}]),
            Some("7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"),
        ),
    );
    s.server.on(
        "GET",
        &path,
        timeline(
            json!([{"id": POST_ID, "created_at": "2026-11-27T10:01:00.000Z",
                    "text": "Launch day &amp; more: https://t.co/abc123",
                    "entities": {"urls": [{"start": 26, "end": 49, "url": "https://t.co/abc123",
                                           "expanded_url": "https://owlery.example/launch",
                                           "display_url": "owlery.example/launch"}]}}]),
            None,
        ),
    );
    let req = PublishRequest::new("v:0", "Launch day & more:\nhttps://owlery.example/launch");
    let since = SystemTime::now() - Duration::from_secs(60);
    let found = s.x.lookup(&creds(), &req, since).await.unwrap();
    match found {
        Lookup::Found(p) => {
            assert_eq!(p.remote.id, POST_ID);
            assert_eq!(p.url, format!("https://x.com/TwitterDev/status/{POST_ID}"));
        }
        other => panic!("expected Found, got {other:?}"),
    }
    let sent = s.server.requests_to("GET", &path);
    assert_eq!(sent.len(), 2);
    let first = sent[0].query_pairs();
    assert_eq!(first["max_results"], "100");
    assert!(first["tweet.fields"].contains("created_at"));
    let start: chrono::DateTime<chrono::Utc> = first["start_time"].parse().unwrap();
    assert!(SystemTime::from(start) <= since);
    assert!(!first.contains_key("pagination_token"));
    assert_eq!(
        sent[1].query_pairs()["pagination_token"],
        "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"
    );
}

#[tokio::test]
async fn lookup_is_absent_only_after_the_last_page() {
    let s = setup().await;
    let path = format!("/2/users/{USER_ID}/tweets");
    s.server.on(
        "GET",
        &path,
        timeline(json!([{"id": "1", "text": "Something else"}]), None),
    );
    let req = PublishRequest::new("v:0", "Not there");
    let found = s.x.lookup(&creds(), &req, SystemTime::now()).await.unwrap();
    assert_eq!(found, Lookup::Absent);
}

#[tokio::test]
async fn lookup_of_a_reply_needs_the_same_parent() {
    let s = setup().await;
    let path = format!("/2/users/{USER_ID}/tweets");
    s.server.on(
        "GET",
        &path,
        timeline(
            json!([{"id": "5", "text": "2/2", "referenced_tweets": [{"type": "replied_to", "id": "999"}]}]),
            None,
        ),
    );
    let mut req = PublishRequest::new("v:1", "2/2");
    req.reply_to = Some(RemoteRef {
        id: POST_ID.into(),
        cid: None,
        root: None,
    });
    assert_eq!(
        s.x.lookup(&creds(), &req, SystemTime::now()).await.unwrap(),
        Lookup::Absent
    );
}

#[tokio::test]
async fn lookup_cannot_tell_when_the_pages_do_not_end() {
    let s = setup().await;
    let path = format!("/2/users/{USER_ID}/tweets");
    s.server.on(
        "GET",
        &path,
        timeline(json!([{"id": "1", "text": "Busy account"}]), Some("more")),
    );
    let found =
        s.x.lookup(
            &creds(),
            &PublishRequest::new("v:0", "Mine"),
            SystemTime::now(),
        )
        .await
        .unwrap();
    assert!(matches!(found, Lookup::CannotTell { .. }), "{found:?}");
    assert_eq!(s.server.requests_to("GET", &path).len(), 10);
}

#[tokio::test]
async fn lookup_asks_for_the_user_id_when_the_credentials_lack_it() {
    let s = setup().await;
    s.server.on(
        "GET",
        "/2/users/me",
        Reply::json(
            200,
            json!({"data": {"id": USER_ID, "name": "Developers", "username": "TwitterDev"}}),
        ),
    );
    s.server.on(
        "GET",
        &format!("/2/users/{USER_ID}/tweets"),
        timeline(json!([]), None),
    );
    let creds = Credentials::new("TwitterDev", TOKEN);
    let found =
        s.x.lookup(&creds, &PublishRequest::new("v:0", "x"), SystemTime::now())
            .await
            .unwrap();
    assert_eq!(found, Lookup::Absent);
}

fn post_ref(id: &str) -> RemoteRef {
    RemoteRef {
        id: id.into(),
        cid: None,
        root: None,
    }
}

#[tokio::test]
async fn delete_succeeds_and_deleting_again_succeeds() {
    let s = setup().await;
    let path = format!("/2/tweets/{POST_ID}");
    // docs.x.com/x-api/posts/delete-post
    s.server.on(
        "DELETE",
        &path,
        Reply::json(200, json!({"data": {"deleted": true}})),
    );
    s.server.on(
        "DELETE",
        &path,
        Reply::json(
            404,
            json!({"title": "Not Found Error", "type": "https://api.x.com/2/problems/resource-not-found",
                   "detail": format!("Could not find tweet with id: [{POST_ID}]."), "status": 404}),
        ),
    );
    s.x.delete(&creds(), &post_ref(POST_ID)).await.unwrap();
    s.x.delete(&creds(), &post_ref(POST_ID)).await.unwrap();
    assert_eq!(s.server.requests_to("DELETE", &path).len(), 2);
    let err =
        s.x.delete(&creds(), &post_ref("../users/me"))
            .await
            .unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }));
}

#[tokio::test]
async fn status_reads_the_public_metrics() {
    let s = setup().await;
    let path = format!("/2/tweets/{POST_ID}");
    // docs.x.com/x-api/posts/get-post-by-id
    s.server.on(
        "GET",
        &path,
        Reply::json(
            200,
            json!({"data": {"id": POST_ID, "text": "Hello",
                            "public_metrics": {"retweet_count": 3, "reply_count": 4, "like_count": 10,
                                               "quote_count": 2, "bookmark_count": 1, "impression_count": 512}}}),
        ),
    );
    let status = s.x.status(&creds(), &post_ref(POST_ID)).await.unwrap();
    assert!(status.exists);
    assert_eq!(status.metrics.likes, Some(10));
    assert_eq!(status.metrics.shares, Some(5));
    assert_eq!(status.metrics.comments, Some(4));
    assert_eq!(status.metrics.views, Some(512));
    assert_eq!(status.metrics.saves, Some(1));
    assert_eq!(
        s.server.requests_to("GET", &path)[0].query_pairs()["tweet.fields"],
        "public_metrics"
    );
}

#[tokio::test]
async fn status_of_a_deleted_post_says_it_is_gone() {
    let s = setup().await;
    // A 200 carrying only a resource-not-found problem, as X answers for deleted posts.
    s.server.on(
        "GET",
        &format!("/2/tweets/{POST_ID}"),
        Reply::json(
            200,
            json!({"errors": [{"value": POST_ID, "detail": format!("Could not find tweet with id: [{POST_ID}]."),
                               "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                               "resource_id": POST_ID, "type": "https://api.x.com/2/problems/resource-not-found"}]}),
        ),
    );
    let status = s.x.status(&creds(), &post_ref(POST_ID)).await.unwrap();
    assert!(!status.exists);
}

fn with_refresh(refresh: &str) -> Credentials {
    let mut c = creds();
    c.refresh = Some(SecretString::from(refresh.to_owned()));
    c.app = Some(AppCredentials {
        client_id: "client-id-1".into(),
        client_secret: SecretString::from("client-secret-1".to_owned()),
    });
    c
}

#[tokio::test]
async fn refresh_rotates_the_tokens_with_basic_auth() {
    let s = setup().await;
    // docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
    s.server.on(
        "POST",
        "/2/oauth2/token",
        Reply::json(
            200,
            json!({"token_type": "bearer", "expires_in": 7200, "access_token": "new-access",
                   "scope": "tweet.read tweet.write users.read offline.access media.write",
                   "refresh_token": "new-refresh"}),
        ),
    );
    let grant =
        s.x.refresh(&with_refresh("old-refresh"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(grant.access.expose_secret(), "new-access");
    assert_eq!(
        grant.refresh.as_ref().map(|r| r.expose_secret().to_owned()),
        Some("new-refresh".into())
    );
    assert!(grant.expires_at.is_some());
    let sent = &s.server.requests_to("POST", "/2/oauth2/token")[0];
    assert!(sent.header("authorization").unwrap().starts_with("Basic "));
    let form = sent.form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "old-refresh");
    assert!(!form.contains_key("client_secret"));
    // nothing to refresh without a refresh token
    assert!(s.x.refresh(&creds()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dead_refresh_token_needs_a_person_and_a_503_passes() {
    let s = setup().await;
    s.server.on(
        "POST",
        "/2/oauth2/token",
        Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": "Value passed for the token was invalid."}),
        ),
    );
    // X's own answer to a rotated-away refresh token
    s.server.on(
        "POST",
        "/2/oauth2/token",
        Reply::json(
            400,
            json!({"error": "invalid_request", "error_description": "Value passed for the token was invalid."}),
        ),
    );
    s.server
        .on("POST", "/2/oauth2/token", Reply::text(503, "unavailable"));
    let c = with_refresh("old-refresh");
    let first = s.x.refresh(&c).await.unwrap_err();
    let second = s.x.refresh(&c).await.unwrap_err();
    let third = s.x.refresh(&c).await.unwrap_err();
    assert!(matches!(first, ConnectorError::Auth { .. }), "{first:?}");
    assert!(matches!(second, ConnectorError::Auth { .. }), "{second:?}");
    assert!(
        matches!(third, ConnectorError::Temporary { .. }),
        "{third:?}"
    );
    for e in [&first, &second, &third] {
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("old-refresh") && !shown.contains("client-secret-1"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn oauth_spec_is_pkce_with_basic_client_auth() {
    let s = setup().await;
    let spec = s.x.oauth(None).unwrap();
    assert_eq!(spec.authorize_url, "https://x.com/i/oauth2/authorize");
    assert_eq!(spec.token_url, format!("{}/2/oauth2/token", s.server.url()));
    assert!(spec.pkce);
    assert_eq!(spec.client_auth, ClientAuth::Basic);
    for scope in [
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "media.write",
    ] {
        assert!(spec.scopes.iter().any(|s| s == scope), "{scope}");
    }
    let prod = X::new(Env::default()).unwrap().oauth(None).unwrap();
    assert_eq!(prod.token_url, "https://api.x.com/2/oauth2/token");
}

fn answer(
    kind: owlery_domain::inbox::MessageKind,
    message: &str,
    thread: Option<&str>,
) -> owlery_networks::inbox::ReplyRequest {
    owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind,
            message_id: message.into(),
            parent_id: None,
            root_id: Some(POST_ID.into()),
            thread_id: thread.map(str::to_owned),
            contact_id: "783214".into(),
            contact_handle: "ana".into(),
        },
        text: "Thanks, fixed now.".into(),
    }
}

/// Fixture: an answer to a mention or a reply is a post with `reply.in_reply_to_tweet_id`
/// (docs.x.com/x-api/posts/create-post); an answer to a direct message goes into its
/// conversation, `POST /2/dm_conversations/{dm_conversation_id}/messages` answering
/// `{"data": {"dm_conversation_id", "dm_event_id"}}` (docs.x.com/x-api/direct-messages/
/// send-a-new-message-to-a-dm-conversation).
#[tokio::test]
async fn answers_thread_under_the_post_and_direct_messages_stay_in_their_conversation() {
    use owlery_domain::inbox::MessageKind;
    let s = setup().await;
    s.server.on(
        "POST",
        "/2/tweets",
        created("1460323737035677698", "Thanks, fixed now."),
    );
    let p =
        s.x.reply(
            &creds(),
            &answer(MessageKind::Mention, "1460323737035677600", None),
        )
        .await
        .unwrap();
    assert_eq!(p.remote.id, "1460323737035677698");
    let sent = s.server.requests_to("POST", "/2/tweets");
    assert_eq!(
        sent[0].json(),
        json!({"text": "Thanks, fixed now.", "reply": {"in_reply_to_tweet_id": "1460323737035677600"}})
    );

    let thread = "123123123-456456456";
    s.server.on(
        "POST",
        &format!("/2/dm_conversations/{thread}/messages"),
        Reply::json(
            201,
            json!({"data": {"dm_conversation_id": thread, "dm_event_id": "1582838293498888001"}}),
        ),
    );
    let p =
        s.x.reply(
            &creds(),
            &answer(MessageKind::Dm, "1582838293498880000", Some(thread)),
        )
        .await
        .unwrap();
    assert_eq!(p.remote.id, "1582838293498888001");
    let sent = s
        .server
        .requests_to("POST", &format!("/2/dm_conversations/{thread}/messages"));
    assert_eq!(sent[0].json(), json!({"text": "Thanks, fixed now."}));
    assert_eq!(
        sent[0].headers["authorization"],
        format!("Bearer {TOKEN}").as_str()
    );
    // A DM without its conversation id, or one that is not an id, is refused before sending.
    let err =
        s.x.reply(&creds(), &answer(MessageKind::Dm, "1", Some("../2/tweets")))
            .await
            .unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    // Whether a DM arrived cannot be looked up by its text.
    let l =
        s.x.lookup_reply(
            &creds(),
            &answer(MessageKind::Dm, "1", Some(thread)),
            SystemTime::now(),
        )
        .await
        .unwrap();
    assert!(matches!(l, Lookup::CannotTell { .. }), "{l:?}");
}
