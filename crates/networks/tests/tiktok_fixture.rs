//! The TikTok connector against local fixtures that mirror TikTok's published API reference:
//! the Content Posting API (creator info, video and photo init, media transfer, fetch status), the
//! Display API (user info, video query), OAuth v2 token refresh and the v2 error envelope. The
//! bodies below are shaped as those pages show them; they prove the connector speaks the
//! documented protocol, not that TikTok behaves so today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::oauth::{self, Pending};
use owlery_networks::tiktok::{Polling, Tiktok};
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const TOKEN: &str = "act.example12345Example12345Example";
const OPEN_ID: &str = "723f24d7-e717-40f8-a2b6-cb8464cd23b4";
const PUBLISH_ID: &str = "v_pub_file~v2-1.123456789";
const POST_ID: &str = "7080213458555737986";

const CREATOR: &str = "/v2/post/publish/creator_info/query/";
const VIDEO_INIT: &str = "/v2/post/publish/video/init/";
const PHOTO_INIT: &str = "/v2/post/publish/content/init/";
const STATUS: &str = "/v2/post/publish/status/fetch/";

fn creds() -> Credentials {
    Credentials::new("owlerytest", TOKEN).with_account(OPEN_ID)
}

/// The `error` member of every successful v2 answer.
fn ok() -> Value {
    json!({"code": "ok", "message": "", "log_id": "202210112248442CB9319E1FB30C1073F3"})
}

/// A v2 error answer (Error Handling page: code, message, log_id).
fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": {"code": code, "message": message, "log_id": "20230531203525E0E8A41D2D6DFB03B451"}}),
    )
}

/// Fixture: creator_info/query of a public account, as in the Direct Post reference.
fn creator_public() -> Reply {
    Reply::json(
        200,
        json!({
            "data": {
                "creator_avatar_url": "https://lf16-tt4d.tiktokcdn.com/obj/tiktok-open-platform/8d5740ac3844be417beeacd0df75aef1",
                "creator_username": "owlerytest",
                "creator_nickname": "Owlery Test",
                "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
                "comment_disabled": false,
                "duet_disabled": false,
                "stitch_disabled": true,
                "max_video_post_duration_sec": 300
            },
            "error": ok()
        }),
    )
}

/// Fixture: video/init answer (FILE_UPLOAD: a publish id and an upload address).
fn init_answer(upload_url: &str) -> Reply {
    Reply::json(
        200,
        json!({"data": {"publish_id": PUBLISH_ID, "upload_url": upload_url}, "error": ok()}),
    )
}

/// Fixture: status/fetch answers, as in the Get Post Status reference.
fn status(status: &str) -> Reply {
    Reply::json(
        200,
        json!({"data": {"status": status, "uploaded_bytes": 10000}, "error": ok()}),
    )
}

fn complete(ids: Value) -> Reply {
    Reply::json(
        200,
        json!({"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": ids, "uploaded_bytes": 10000}, "error": ok()}),
    )
}

fn video(bytes: usize) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Video,
        bytes: (0..bytes).map(|i| (i % 251) as u8).collect(),
        mime: "video/mp4".into(),
        width: 1080,
        height: 1920,
        duration_ms: Some(15_000),
        ..MediaUpload::default()
    }
}

fn photo(url: &str, alt: &str) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: vec![0xFF, 0xD8, 0xFF],
        mime: "image/jpeg".into(),
        alt: alt.into(),
        width: 1080,
        height: 1920,
        url: Some(url.into()),
        ..MediaUpload::default()
    }
}

fn video_req(key: &str, media: MediaUpload) -> PublishRequest {
    let mut req = PublishRequest::new(key, "Morning at the lake #lake");
    req.placement = "video".into();
    req.part.media = vec![media];
    req
}

async fn setup_with(http: HttpConfig) -> (Fixture, Tiktok, Env) {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        http,
        base_url: Some(server.url()),
        ..Env::default()
    };
    let tiktok = Tiktok::new(env.clone()).unwrap().with_polling(Polling {
        interval: Duration::from_millis(10),
        max_wait: Duration::from_millis(200),
    });
    (server, tiktok, env)
}

async fn setup() -> (Fixture, Tiktok, Env) {
    setup_with(HttpConfig::default()).await
}

fn no_secret(err: &ConnectorError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
    assert!(
        !shown.contains("rft.example"),
        "the refresh token leaked: {shown}"
    );
    assert!(
        !shown.contains("client-secret"),
        "the client secret leaked: {shown}"
    );
}

fn bearer(r: &owlery_networks::fixture::Received) -> Option<&str> {
    r.header("authorization")
}

#[tokio::test]
async fn verify_reads_the_user_info() {
    let (server, tiktok, _) = setup().await;
    // Fixture: GET /v2/user/info/ (Get User Info reference).
    server.on(
        "GET",
        "/v2/user/info/",
        Reply::json(
            200,
            json!({
                "data": {"user": {
                    "open_id": OPEN_ID,
                    "union_id": "c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1",
                    "display_name": "Owlery Test",
                    "username": "owlerytest"
                }},
                "error": ok()
            }),
        ),
    );
    let info = tiktok.verify(&creds()).await.unwrap();
    assert_eq!(info.id, OPEN_ID);
    assert_eq!(info.handle, "owlerytest");
    let sent = server.requests_to("GET", "/v2/user/info/");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].query_pairs()["fields"],
        "open_id,union_id,display_name,username"
    );
    assert_eq!(bearer(&sent[0]), Some(format!("Bearer {TOKEN}").as_str()));
    assert!(
        !sent[0].query.contains(TOKEN),
        "the token belongs in the header"
    );
}

#[tokio::test]
async fn a_video_is_uploaded_in_one_chunk_and_followed_until_published() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        init_answer(&format!(
            "{}/video/?upload_id=67890&upload_token=Xza123",
            server.url()
        )),
    );
    // Media transfer: 201 Created for the last chunk.
    server.on("PUT", "/video/", Reply::empty(201));
    server.on("POST", STATUS, status("PROCESSING_UPLOAD"));
    server.on("POST", STATUS, status("PROCESSING_DOWNLOAD"));
    server.on(
        "POST",
        STATUS,
        complete(json!([7_080_213_458_555_737_986_u64])),
    );

    let media = video(3_000_000);
    let published = tiktok
        .publish(&creds(), &video_req("v1:0", media.clone()))
        .await
        .unwrap();
    assert_eq!(published.remote.id, POST_ID);
    assert_eq!(
        published.url,
        format!("https://www.tiktok.com/@owlerytest/video/{POST_ID}")
    );

    let init = server.requests_to("POST", VIDEO_INIT);
    assert_eq!(init.len(), 1);
    let body = init[0].json();
    assert_eq!(body["post_info"]["title"], "Morning at the lake #lake");
    assert_eq!(body["post_info"]["privacy_level"], "PUBLIC_TO_EVERYONE");
    assert_eq!(body["post_info"]["disable_comment"], false);
    assert_eq!(
        body["post_info"]["disable_stitch"], true,
        "the creator has stitches off"
    );
    assert_eq!(
        body["source_info"],
        json!({"source": "FILE_UPLOAD", "video_size": 3_000_000, "chunk_size": 3_000_000, "total_chunk_count": 1})
    );
    assert!(
        init[0]
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );

    let puts = server.requests_to("PUT", "/video/");
    assert_eq!(puts.len(), 1);
    assert_eq!(
        puts[0].header("content-range"),
        Some("bytes 0-2999999/3000000")
    );
    assert_eq!(puts[0].header("content-type"), Some("video/mp4"));
    assert_eq!(puts[0].query_pairs()["upload_token"], "Xza123");
    assert_eq!(puts[0].body, media.bytes);
    assert_eq!(
        bearer(&puts[0]),
        None,
        "the upload address carries its own token"
    );

    let polls = server.requests_to("POST", STATUS);
    assert_eq!(polls.len(), 3);
    assert_eq!(polls[0].json(), json!({"publish_id": PUBLISH_ID}));
}

#[tokio::test]
async fn a_large_video_goes_in_chunks_with_the_trailing_bytes_in_the_last() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        init_answer(&format!(
            "{}/video/?upload_id=1&upload_token=t",
            server.url()
        )),
    );
    // 206 Partial Content for a chunk, 201 Created for the last.
    server.on("PUT", "/video/", Reply::empty(206));
    server.on("PUT", "/video/", Reply::empty(201));
    server.on("POST", STATUS, complete(json!([POST_ID])));

    let media = video(25_000_123);
    tiktok
        .publish(&creds(), &video_req("v2:0", media.clone()))
        .await
        .unwrap();
    let body = server.requests_to("POST", VIDEO_INIT)[0].json();
    assert_eq!(
        body["source_info"],
        json!({"source": "FILE_UPLOAD", "video_size": 25_000_123, "chunk_size": 10_000_000, "total_chunk_count": 2})
    );
    let puts = server.requests_to("PUT", "/video/");
    assert_eq!(puts.len(), 2);
    assert_eq!(
        puts[0].header("content-range"),
        Some("bytes 0-9999999/25000123")
    );
    assert_eq!(
        puts[1].header("content-range"),
        Some("bytes 10000000-25000122/25000123")
    );
    assert_eq!(puts[0].body.len(), 10_000_000);
    assert_eq!(puts[1].body.len(), 15_000_123);
    let mut joined = puts[0].body.clone();
    joined.extend_from_slice(&puts[1].body);
    assert!(joined == media.bytes, "the chunks are the video, in order");
}

#[tokio::test]
async fn a_video_is_uploaded_even_when_it_has_a_public_address() {
    // PULL_FROM_URL for a video needs the address's domain verified for the TikTok app
    // (`url_ownership_unverified` otherwise): Owlery always uploads the file.
    let (server, tiktok, _) = setup().await;
    let upload = format!("{}/video/upload/?upload_id=1&upload_token=t", server.url());
    server.on("POST", CREATOR, creator_public());
    server.on("POST", VIDEO_INIT, init_answer(&upload));
    server.on("PUT", "/video/upload/", Reply::empty(201));
    server.on("POST", STATUS, complete(json!([POST_ID])));
    let mut media = video(10);
    media.url = Some("https://media.owlery.example/m/abc/original.mp4?e=1&s=00".into());
    tiktok
        .publish(&creds(), &video_req("v3:0", media.clone()))
        .await
        .unwrap();
    let body = server.requests_to("POST", VIDEO_INIT)[0].json();
    assert_eq!(
        body["source_info"],
        json!({"source": "FILE_UPLOAD", "video_size": 10, "chunk_size": 10, "total_chunk_count": 1})
    );
    assert!(!body.to_string().contains("media.owlery.example"));
    let puts = server.requests_to("PUT", "/video/upload/");
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].body, media.bytes);
}

#[tokio::test]
async fn errors_answered_with_http_200_are_errors_classified_by_their_code() {
    let req = video_req("e200:0", video(100));
    // (code, what it must become) — each answered with HTTP 200 and TikTok's error envelope.
    type Expect = fn(&ConnectorError) -> bool;
    let cases: [(&str, Expect); 7] = [
        ("access_token_invalid", |e| {
            matches!(e, ConnectorError::Auth { .. })
        }),
        ("scope_permission_missed", |e| {
            matches!(e, ConnectorError::Auth { .. })
        }),
        ("rate_limit_exceeded", |e| {
            matches!(e, ConnectorError::RateLimited { .. })
        }),
        ("internal_error", |e| {
            matches!(e, ConnectorError::Temporary { .. })
        }),
        ("invalid_params", |e| {
            matches!(e, ConnectorError::Permanent { .. })
        }),
        ("spam_risk_too_many_pending_share", |e| {
            matches!(
                e,
                ConnectorError::RateLimited {
                    retry_after: Some(_)
                }
            )
        }),
        ("a_code_tiktok_adds_later", |e| {
            matches!(e, ConnectorError::Permanent { reason }
                if reason.contains("Something unexpected [a_code_tiktok_adds_later]")
                    && reason.contains("TikTok log id"))
        }),
    ];
    for (code, expected) in cases {
        // On the first call (creator info) …
        let (server, tiktok, _) = setup().await;
        server.on("POST", CREATOR, error(200, code, "Something unexpected"));
        let err = tiktok.publish(&creds(), &req).await.unwrap_err();
        assert!(expected(&err), "{code} on creator_info: {err:?}");
        assert!(!err.to_string().contains("HTTP 200"), "{err}");
        no_secret(&err);
        // … and on the write (video init): nothing was posted, nothing is remembered.
        let (server, tiktok, _) = setup().await;
        server.on("POST", CREATOR, creator_public());
        server.on("POST", VIDEO_INIT, error(200, code, "Something unexpected"));
        let err = tiktok.publish(&creds(), &req).await.unwrap_err();
        assert!(expected(&err), "{code} on init: {err:?}");
        assert!(server.requests_to("POST", STATUS).is_empty());
        let looked = tiktok
            .lookup(&creds(), &req, SystemTime::now())
            .await
            .unwrap();
        assert!(
            matches!(looked, Lookup::CannotTell { .. }),
            "{code}: {looked:?}"
        );
    }
    // A status poll answered with HTTP 200 and an error is not "still processing".
    let (server, tiktok, _) = setup().await;
    let upload = format!("{}/video/upload/?upload_id=1&upload_token=t", server.url());
    server.on("POST", CREATOR, creator_public());
    server.on("POST", VIDEO_INIT, init_answer(&upload));
    server.on("PUT", "/video/upload/", Reply::empty(201));
    server.on(
        "POST",
        STATUS,
        error(200, "access_token_invalid", "The access token is invalid."),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        !matches!(
            err,
            ConnectorError::Temporary { .. } | ConnectorError::RateLimited { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn photos_are_posted_from_their_public_addresses_with_the_private_accounts_widest_level() {
    let (server, tiktok, _) = setup().await;
    // A private account offers FOLLOWER_OF_CREATOR instead of PUBLIC_TO_EVERYONE.
    server.on(
        "POST",
        CREATOR,
        Reply::json(
            200,
            json!({"data": {
                "creator_username": "owlerytest",
                "creator_nickname": "Owlery Test",
                "privacy_level_options": ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
                "comment_disabled": true, "duet_disabled": true, "stitch_disabled": true,
                "max_video_post_duration_sec": 600
            }, "error": ok()}),
        ),
    );
    // Fixture: content/init answer (Photo Post reference).
    server.on(
        "POST",
        PHOTO_INIT,
        Reply::json(
            200,
            json!({"data": {"publish_id": "p_pub_url~v2.123456789"}, "error": ok()}),
        ),
    );
    server.on("POST", STATUS, complete(json!([POST_ID])));

    let mut req = PublishRequest::new("p1:0", "Three views of the lake");
    req.part.title = Some("Lake".into());
    req.part.media = vec![
        photo("https://media.owlery.example/p/1.jpg", "the lake at dawn"),
        photo("https://media.owlery.example/p/2.jpg", "the jetty"),
    ];
    let published = tiktok.publish(&creds(), &req).await.unwrap();
    assert_eq!(
        published.url,
        format!("https://www.tiktok.com/@owlerytest/photo/{POST_ID}")
    );
    let init = server.requests_to("POST", PHOTO_INIT);
    assert_eq!(init.len(), 1);
    let body = init[0].json();
    assert_eq!(body["media_type"], "PHOTO");
    assert_eq!(body["post_mode"], "DIRECT_POST");
    assert_eq!(body["source_info"]["source"], "PULL_FROM_URL");
    assert_eq!(
        body["source_info"]["photo_images"],
        json!([
            "https://media.owlery.example/p/1.jpg",
            "https://media.owlery.example/p/2.jpg"
        ])
    );
    assert_eq!(body["post_info"]["title"], "Lake");
    assert_eq!(body["post_info"]["description"], "Three views of the lake");
    assert_eq!(body["post_info"]["privacy_level"], "FOLLOWER_OF_CREATOR");
    assert_eq!(body["post_info"]["disable_comment"], true);
    // TikTok's photo post has no alt text field: nothing of it is sent.
    assert!(!init[0].text().contains("the lake at dawn"));
    assert!(server.requests_to("POST", VIDEO_INIT).is_empty());
}

#[tokio::test]
async fn what_tiktok_cannot_do_is_refused_before_anything_is_sent() {
    let (server, tiktok, _) = setup().await;
    let parent = RemoteRef {
        id: POST_ID.into(),
        cid: None,
        root: None,
    };
    let text_only = PublishRequest::new("t:0", "just words");
    let mut thread = video_req("t:1", video(10));
    thread.reply_to = Some(parent.clone());
    let mut comment = PublishRequest::new("t:2", "first!");
    comment.reply_to = Some(parent);
    comment.as_comment = true;
    let mut no_address = PublishRequest::new("t:3", "photos");
    no_address.part.media = vec![MediaUpload {
        url: None,
        ..photo("x", "alt")
    }];
    for (req, says) in [
        (text_only, "text-only"),
        (thread, "threads"),
        (comment, "comments"),
        (no_address, "public address"),
    ] {
        let err = tiktok.publish(&creds(), &req).await.unwrap_err();
        assert!(
            matches!(&err, ConnectorError::Permanent { reason } if reason.contains(says)),
            "{err:?}"
        );
    }
    let err = tiktok
        .delete(
            &creds(),
            &RemoteRef {
                id: POST_ID.into(),
                cid: None,
                root: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, ConnectorError::Permanent { reason } if reason.contains("TikTok app")));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn a_video_longer_than_the_creator_may_post_is_refused_before_uploading() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public()); // max 300 s
    let mut media = video(10);
    media.duration_ms = Some(301_000);
    let err = tiktok
        .publish(&creds(), &video_req("long:0", media))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("300 s")),
        "{err:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "only the creator info was asked"
    );
}

#[tokio::test]
async fn a_failed_publish_is_permanent_with_tiktoks_reason() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        init_answer(&format!("{}/video/?upload_id=1", server.url())),
    );
    server.on("PUT", "/video/", Reply::empty(201));
    // Fixture: the documented FAILED example.
    server.on(
        "POST",
        STATUS,
        Reply::json(
            200,
            json!({"data": {"status": "FAILED", "fail_reason": "frame_rate_check_failed", "publicaly_available_post_id": [], "uploaded_bytes": 10000}, "error": ok()}),
        ),
    );
    let err = tiktok
        .publish(&creds(), &video_req("f:0", video(100)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("frame rate") && reason.contains("frame_rate_check_failed")),
        "{err:?}"
    );
}

#[tokio::test]
async fn still_processing_is_unknown_and_lookup_follows_the_remembered_publish() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        init_answer(&format!("{}/video/?upload_id=1", server.url())),
    );
    server.on("PUT", "/video/", Reply::empty(201));
    server.on("POST", STATUS, status("PROCESSING_DOWNLOAD"));
    let req = video_req("slow:0", video(100));
    let since = SystemTime::now();
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Unknown { reason } if reason.contains(PUBLISH_ID)),
        "{err:?}"
    );

    // Still processing: not absent, ask again later.
    let err = tiktok.lookup(&creds(), &req, since).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::Temporary {
                retry_after: Some(_),
                ..
            }
        ),
        "{err:?}"
    );

    // A repeated publish follows the same publish id instead of posting again.
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    assert_eq!(server.requests_to("POST", VIDEO_INIT).len(), 1);
    assert_eq!(server.requests_to("PUT", "/video/").len(), 1);

    // Public and moderated now.
    server.on("POST", STATUS, complete(json!([POST_ID])));
    // (the queue's head is the processing answer; the new one is used from the next call on)
    let _ = tiktok.lookup(&creds(), &req, since).await;
    match tiktok.lookup(&creds(), &req, since).await.unwrap() {
        Lookup::Found(p) => {
            assert_eq!(p.remote.id, POST_ID);
            assert!(p.url.ends_with(&format!("/video/{POST_ID}")));
        }
        other => panic!("expected Found, got {other:?}"),
    }
    for r in server.requests_to("POST", STATUS) {
        assert_eq!(r.json(), json!({"publish_id": PUBLISH_ID}));
    }

    // Another process (or a restart) has no record: TikTok cannot tell.
    let other = Tiktok::new(Env {
        base_url: Some(server.url()),
        ..Env::default()
    })
    .unwrap();
    assert!(matches!(
        other.lookup(&creds(), &req, since).await.unwrap(),
        Lookup::CannotTell { .. }
    ));
}

#[tokio::test]
async fn lookup_of_a_publish_that_failed_is_absent() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        init_answer(&format!("{}/video/?upload_id=1", server.url())),
    );
    server.on("PUT", "/video/", Reply::empty(201));
    server.on("POST", STATUS, status("PROCESSING_UPLOAD"));
    let req = video_req("gone:0", video(100));
    let _ = tiktok.publish(&creds(), &req).await.unwrap_err();
    server.on(
        "POST",
        STATUS,
        Reply::json(
            200,
            json!({"data": {"status": "FAILED", "fail_reason": "internal"}, "error": ok()}),
        ),
    );
    let _ = tiktok.lookup(&creds(), &req, SystemTime::now()).await;
    assert_eq!(
        tiktok
            .lookup(&creds(), &req, SystemTime::now())
            .await
            .unwrap(),
        Lookup::Absent
    );
}

#[tokio::test]
async fn a_write_that_times_out_is_unknown() {
    let (server, tiktok, _) = setup_with(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(300),
    })
    .await;
    server.on("POST", CREATOR, creator_public());
    server.on("POST", VIDEO_INIT, Reply::hang());
    let err = tiktok
        .publish(&creds(), &video_req("hang:0", video(100)))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    no_secret(&err);
}

#[tokio::test]
async fn error_bodies_become_the_right_errors() {
    let (server, tiktok, env) = setup().await;
    let req = video_req("e:0", video(100));

    // 401 access_token_invalid (Error Handling reference) → Auth
    server.on(
        "POST",
        CREATOR,
        error(
            401,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        ),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_secret(&err);

    // scope_not_authorized → Auth
    let (server, tiktok, _) = setup().await;
    server.on(
        "POST",
        CREATOR,
        error(
            401,
            "scope_not_authorized",
            "The user did not authorize the scope required for completing this request.",
        ),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");

    // invalid_params on init → Permanent with TikTok's message
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        error(400, "invalid_params", "The value of video_size is invalid."),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("The value of video_size is invalid.")),
        "{err:?}"
    );
    no_secret(&err);

    // unaudited client posting to a public account → Permanent, explained
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        error(
            403,
            "unaudited_client_can_only_post_to_private_accounts",
            "Please review our integration guidelines.",
        ),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("make the account private")),
        "{err:?}"
    );

    // spam_risk_user_banned_from_posting → Permanent; spam_risk_too_many_posts → RateLimited
    let (server, tiktok, env2) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        error(
            403,
            "spam_risk_user_banned_from_posting",
            "The user is banned from making new posts.",
        ),
    );
    server.on(
        "POST",
        VIDEO_INIT,
        error(
            403,
            "spam_risk_too_many_posts",
            "The daily post cap from the API is reached for the current user.",
        ),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("check the account in the TikTok app")),
        "{err:?}"
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(
            err,
            ConnectorError::RateLimited {
                retry_after: Some(_)
            }
        ),
        "{err:?}"
    );
    assert!(
        env2.budgets
            .wait(Network::Tiktok, &creds().budget_key(), SystemTime::now())
            .is_some(),
        "the daily cap is filed in the budget book"
    );

    // 5xx → Temporary
    let (server, tiktok, _) = setup().await;
    server.on(
        "POST",
        CREATOR,
        error(500, "internal_error", "Something went wrong."),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        err.is_retryable() && matches!(err, ConnectorError::Temporary { .. }),
        "{err:?}"
    );
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, Reply::text(503, "Service Unavailable"));
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");

    // 429 rate_limit_exceeded with Retry-After → RateLimited, filed in the budget book
    assert!(
        env.budgets
            .wait(Network::Tiktok, &creds().budget_key(), SystemTime::now())
            .is_none()
    );
    let (server, tiktok, env) = setup().await;
    server.on(
        "POST",
        CREATOR,
        error(
            429,
            "rate_limit_exceeded",
            "The API rate limit was exceeded. Please try again later.",
        )
        .header("retry-after", "42"),
    );
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(42))
        }
    );
    let wait = env
        .budgets
        .wait(Network::Tiktok, &creds().budget_key(), SystemTime::now())
        .expect("the 429 is filed");
    assert!(
        wait > Duration::from_secs(30) && wait <= Duration::from_secs(42),
        "{wait:?}"
    );
}

#[tokio::test]
async fn rate_limit_headers_on_a_success_are_filed() {
    // TikTok documents no rate-limit headers; if standard ones come (a gateway, a future API),
    // they are filed like any network's.
    let (server, tiktok, env) = setup().await;
    server.on(
        "GET",
        "/v2/user/info/",
        Reply::json(
            200,
            json!({"data": {"user": {"open_id": OPEN_ID, "display_name": "Owlery Test"}}, "error": ok()}),
        )
        .header("x-ratelimit-limit", "600")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", "30"),
    );
    let info = tiktok.verify(&creds()).await.unwrap();
    assert_eq!(
        info.handle, "Owlery Test",
        "without username, the display name"
    );
    let wait = env
        .budgets
        .wait(Network::Tiktok, &creds().budget_key(), SystemTime::now());
    assert!(
        wait.is_some_and(|w| w <= Duration::from_secs(30)),
        "{wait:?}"
    );
}

#[tokio::test]
async fn status_reads_the_counts_of_a_video() {
    let (server, tiktok, _) = setup().await;
    // Fixture: POST /v2/video/query/ (Query Videos reference).
    server.on(
        "POST",
        "/v2/video/query/",
        Reply::json(
            200,
            json!({"data": {"videos": [{
                "id": POST_ID, "like_count": 120, "comment_count": 8, "share_count": 3, "view_count": 4500
            }], "cursor": 0, "has_more": false}, "error": ok()}),
        ),
    );
    server.on(
        "POST",
        "/v2/video/query/",
        Reply::json(
            200,
            json!({"data": {"videos": [], "cursor": 0, "has_more": false}, "error": ok()}),
        ),
    );
    let remote = RemoteRef {
        id: POST_ID.into(),
        cid: None,
        root: None,
    };
    let s = tiktok.status(&creds(), &remote).await.unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.likes, Some(120));
    assert_eq!(s.metrics.comments, Some(8));
    assert_eq!(s.metrics.shares, Some(3));
    assert_eq!(s.metrics.views, Some(4500));
    let sent = server.requests_to("POST", "/v2/video/query/");
    assert_eq!(
        sent[0].query_pairs()["fields"],
        "id,like_count,comment_count,share_count,view_count"
    );
    assert_eq!(sent[0].json(), json!({"filters": {"video_ids": [POST_ID]}}));
    // deleted since: no video comes back
    let s = tiktok.status(&creds(), &remote).await.unwrap();
    assert!(!s.exists);
}

#[tokio::test]
async fn status_of_a_post_known_by_its_publish_id_asks_for_the_post_id_first() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", STATUS, complete(json!([POST_ID])));
    server.on(
        "POST",
        "/v2/video/query/",
        Reply::json(
            200,
            json!({"data": {"videos": [{"id": POST_ID, "like_count": 1, "comment_count": 0, "share_count": 0, "view_count": 9}], "cursor": 0, "has_more": false}, "error": ok()}),
        ),
    );
    let s = tiktok
        .status(
            &creds(),
            &RemoteRef {
                id: PUBLISH_ID.into(),
                cid: None,
                root: None,
            },
        )
        .await
        .unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.views, Some(9));
    assert_eq!(
        server.requests_to("POST", "/v2/video/query/")[0].json(),
        json!({"filters": {"video_ids": [POST_ID]}})
    );
}

fn refresh_creds() -> Credentials {
    let mut c = creds();
    c.refresh = Some(SecretString::from("rft.example12345Example12345Example"));
    c.app = Some(AppCredentials {
        client_id: "owlery-client-key".into(),
        client_secret: SecretString::from("client-secret-value"),
    });
    c
}

#[tokio::test]
async fn refresh_rotates_the_tokens_and_dead_grants_need_a_person() {
    let (server, tiktok, _) = setup().await;
    assert!(
        tiktok.refresh(&creds()).await.unwrap().is_none(),
        "nothing to refresh"
    );
    assert!(server.requests().is_empty());

    // Fixture: the token endpoint's answer (Manage User Access Tokens reference).
    server.on(
        "POST",
        "/v2/oauth/token/",
        Reply::json(
            200,
            json!({
                "access_token": "act.new12345",
                "expires_in": 86400,
                "open_id": OPEN_ID,
                "refresh_expires_in": 31536000,
                "refresh_token": "rft.new67890",
                "scope": "user.info.basic,video.publish,video.list",
                "token_type": "Bearer"
            }),
        ),
    );
    let before = SystemTime::now();
    let grant = tiktok.refresh(&refresh_creds()).await.unwrap().unwrap();
    assert_eq!(grant.access.expose_secret(), "act.new12345");
    assert_eq!(
        grant.refresh.as_ref().map(|r| r.expose_secret().to_owned()),
        Some("rft.new67890".into()),
        "TikTok rotates refresh tokens"
    );
    let expires = grant.expires_at.unwrap();
    assert!(expires >= before + Duration::from_secs(86_000));
    assert_eq!(
        grant.scopes,
        vec!["user.info.basic", "video.publish", "video.list"]
    );
    let form = server.requests_to("POST", "/v2/oauth/token/")[0].form();
    assert_eq!(form["client_key"], "owlery-client-key");
    assert_eq!(form["client_secret"], "client-secret-value");
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "rft.example12345Example12345Example");

    // invalid_grant (OAuth Error Handling reference), as a 400 and as a 200
    for status in [400, 200] {
        let (server, tiktok, _) = setup().await;
        server.on(
            "POST",
            "/v2/oauth/token/",
            Reply::json(
                status,
                json!({"error": "invalid_grant", "error_description": "Refresh token is invalid or expired.", "log_id": "202206221854370101130062072500FFA2"}),
            ),
        );
        let err = tiktok.refresh(&refresh_creds()).await.unwrap_err();
        assert!(
            matches!(err, ConnectorError::Auth { .. }),
            "{status}: {err:?}"
        );
        no_secret(&err);
    }

    // 503 → Temporary (never disconnects the channel)
    let (server, tiktok, _) = setup().await;
    server.on(
        "POST",
        "/v2/oauth/token/",
        Reply::text(503, "Service Unavailable"),
    );
    let err = tiktok.refresh(&refresh_creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    no_secret(&err);
}

#[tokio::test]
async fn the_oauth_spec_is_tiktoks() {
    let (server, tiktok, _) = setup().await;
    let spec = tiktok.oauth(None).unwrap();
    assert_eq!(spec.token_url, format!("{}/v2/oauth/token/", server.url()));
    let pending = Pending::new();
    let url = oauth::authorize_url(
        &spec,
        "owlery-client-key",
        "https://owl.example/cb/",
        &pending,
    )
    .unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(parsed.host_str(), Some("www.tiktok.com"));
    assert_eq!(parsed.path(), "/v2/auth/authorize/");
    let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["client_key"], "owlery-client-key");
    assert!(!q.contains_key("client_id"));
    assert_eq!(
        q["scope"],
        "user.info.basic,user.info.profile,video.publish,video.upload,video.list"
    );
    assert_eq!(q["response_type"], "code");
    assert!(
        !q.contains_key("code_challenge"),
        "web apps use no PKCE on TikTok"
    );
}

#[tokio::test]
async fn a_server_error_on_the_last_chunk_is_unknown_but_a_refused_chunk_starts_anew() {
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        init_answer(&format!("{}/video/?upload_id=1", server.url())),
    );
    // The only (so the last) chunk: the server fails after receiving it.
    server.on("PUT", "/video/", Reply::text(500, "Internal Server Error"));
    let req = video_req("last:0", video(100));
    let since = SystemTime::now();
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    // It had arrived after all: lookup follows the remembered publish id.
    server.on("POST", STATUS, complete(json!([POST_ID])));
    assert!(matches!(
        tiktok.lookup(&creds(), &req, since).await.unwrap(),
        Lookup::Found(_)
    ));

    // A chunk TikTok refuses: that upload can never complete; a repeat starts a new publish.
    let (server, tiktok, _) = setup().await;
    server.on("POST", CREATOR, creator_public());
    server.on(
        "POST",
        VIDEO_INIT,
        init_answer(&format!("{}/video/?upload_id=2", server.url())),
    );
    server.on(
        "PUT",
        "/video/",
        error(
            400,
            "invalid_file_upload",
            "The uploaded file does not meet API specifications.",
        ),
    );
    server.on("PUT", "/video/", Reply::empty(201));
    server.on("POST", STATUS, complete(json!([POST_ID])));
    let req = video_req("refused:0", video(100));
    let err = tiktok.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("does not meet API specifications")),
        "{err:?}"
    );
    assert!(
        matches!(
            tiktok
                .lookup(&creds(), &req, SystemTime::now())
                .await
                .unwrap(),
            Lookup::CannotTell { .. }
        ),
        "the refused publish is forgotten"
    );
    tiktok.publish(&creds(), &req).await.unwrap();
    assert_eq!(server.requests_to("POST", VIDEO_INIT).len(), 2);
}

/// A channel connected with a personal TikTok login cannot answer (TikTok's APIs for it offer no
/// replies): the connector says so, without a request, and the inbox hides its reply box. A
/// business account answers comments, and only comments.
#[tokio::test]
async fn answers_are_refused_with_a_clear_reason_and_no_request() {
    use owlery_domain::inbox::MessageKind;
    use owlery_networks::AuthKind;
    let (server, tiktok, _) = setup().await;
    assert!(!tiktok.can_reply(MessageKind::Comment));
    assert!(!tiktok.can_reply_as(AuthKind::Standard, MessageKind::Comment));
    assert!(tiktok.can_reply_as(AuthKind::TiktokBusiness, MessageKind::Comment));
    assert!(!tiktok.can_reply_as(AuthKind::TiktokBusiness, MessageKind::Dm));
    let req = owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind: MessageKind::Comment,
            message_id: "7001".into(),
            parent_id: None,
            root_id: None,
            thread_id: None,
            contact_id: "u1".into(),
            contact_handle: "ana".into(),
        },
        text: "Thanks!".into(),
    };
    let err = tiktok.reply(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("TikTok") && reason.contains("comments")),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}
