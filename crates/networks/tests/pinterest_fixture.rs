//! The Pinterest connector against local **fixtures**: every response below mirrors the shape
//! Pinterest's API v5 reference (and its OpenAPI description) documents for `user_account`,
//! `boards`, `pins`, `media` and `oauth/token`, with the error body `{"code", "message"}` and the
//! `x-ratelimit-*` headers. They prove the connector speaks the documented protocol, not that
//! Pinterest still does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::oauth::ClientAuth;
use owlery_networks::pinterest::{Pinterest, Polling};
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishPart, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const TOKEN: &str = "pina_secret-token-4242-xyz";
const BOARD: &str = "549755885175";
const PIN: &str = "813744226420795884";

fn env_for(server: &Fixture) -> Env {
    Env {
        base_url: Some(server.url()),
        ..Env::default()
    }
}

fn connector(env: Env) -> Pinterest {
    Pinterest::new(env).unwrap().with_media_polling(Polling {
        interval: Duration::from_millis(10),
        attempts: 5,
    })
}

async fn setup() -> (Fixture, Pinterest, Env) {
    let server = Fixture::start().await.unwrap();
    let env = env_for(&server);
    (server, connector(env.clone()), env)
}

fn creds() -> Credentials {
    Credentials::new("owlery_shop", TOKEN).with_account(BOARD)
}

fn jpeg(n: u8) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: vec![0xff, 0xd8, 0xff, n],
        mime: "image/jpeg".into(),
        alt: format!("A ceramic owl, view {n}"),
        width: 1000,
        height: 1500,
        ..MediaUpload::default()
    }
}

fn pin_request(text: &str, media: Vec<MediaUpload>) -> PublishRequest {
    PublishRequest {
        placement: "pin".into(),
        part: PublishPart {
            text: text.into(),
            media,
            link: Some("https://owlery.example/shop/owl".into()),
            ..PublishPart::default()
        },
        ..PublishRequest::new("variant-9:0", text)
    }
}

/// The documented Pin object (`POST /v5/pins` answers 201 with it).
fn pin(id: &str, description: &str, created_at: &str) -> Value {
    json!({
        "id": id,
        "created_at": created_at,
        "link": "https://owlery.example/shop/owl",
        "title": "Ceramic owl",
        "description": description,
        "dominant_color": "#6E7874",
        "alt_text": null,
        "board_id": BOARD,
        "board_section_id": null,
        "board_owner": { "username": "owlery_shop" },
        "media": { "media_type": "image" },
        "parent_pin_id": null
    })
}

fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn no_token_in(err: &ConnectorError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "token leaked: {shown}");
}

// ---------------------------------------------------------------- verify

#[tokio::test]
async fn verify_the_account_and_its_board() {
    let (server, pinterest, _) = setup().await;
    // GET /v5/user_account, the documented Account object
    server.on(
        "GET",
        "/v5/user_account",
        Reply::json(
            200,
            json!({
                "account_type": "BUSINESS",
                "id": "1098611540355237",
                "profile_image": "https://i.pinimg.com/600x600_R/42/f5/36/42f5364b4e9bb4fb6a8cd7bd0a2c3bde.jpg",
                "website_url": "https://owlery.example",
                "username": "owlery_shop",
                "about": "Owls in clay",
                "business_name": "Owlery Shop",
                "board_count": 4,
                "pin_count": 120,
                "follower_count": 30,
                "following_count": 2,
                "monthly_views": 1200
            }),
        ),
    );
    // GET /v5/boards/{board_id}, the documented Board object
    server.on(
        "GET",
        &format!("/v5/boards/{BOARD}"),
        Reply::json(
            200,
            json!({
                "id": BOARD,
                "created_at": "2020-01-01T20:10:40-00:00",
                "board_pins_modified_at": "2020-01-01T20:10:40-00:00",
                "name": "Summer Recipes",
                "description": "My favorite summer recipes",
                "collaborator_count": 17,
                "pin_count": 5,
                "follower_count": 13,
                "media": { "image_cover_url": "https://i.pinimg.com/400x300/fd/cd/d5/fdcdd5a6d8a80824add0d054125cd957.jpg", "pin_thumbnail_urls": [] },
                "owner": { "username": "owlery_shop" },
                "privacy": "PUBLIC"
            }),
        ),
    );
    let info = pinterest.verify(&creds()).await.unwrap();
    assert_eq!(info.id, "1098611540355237");
    assert_eq!(info.handle, "owlery_shop");
    let sent = server.requests_to("GET", "/v5/user_account");
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        server
            .requests_to("GET", &format!("/v5/boards/{BOARD}"))
            .len(),
        1
    );
}

#[tokio::test]
async fn a_missing_board_is_found_when_connecting() {
    let (server, pinterest, _) = setup().await;
    server.on(
        "GET",
        "/v5/user_account",
        Reply::json(
            200,
            json!({ "username": "owlery_shop", "account_type": "BUSINESS" }),
        ),
    );
    server.on(
        "GET",
        &format!("/v5/boards/{BOARD}"),
        Reply::json(404, json!({ "code": 40, "message": "Board not found." })),
    );
    let err = pinterest.verify(&creds()).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains(BOARD)),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- publish

#[tokio::test]
async fn publish_an_image_pin_with_alt_text() {
    let (server, pinterest, _) = setup().await;
    server.on(
        "POST",
        "/v5/pins",
        Reply::json(201, pin(PIN, "Hand-made owl", "2024-05-01T10:00:00-00:00")),
    );
    let text = "Ceramic owl\nHand-made, glazed in deep blue.";
    let published = pinterest
        .publish(&creds(), &pin_request(text, vec![jpeg(1)]))
        .await
        .unwrap();
    assert_eq!(published.remote.id, PIN);
    assert_eq!(
        published.url,
        format!("https://www.pinterest.com/pin/{PIN}/")
    );
    let sent = server.requests_to("POST", "/v5/pins");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let body = sent[0].json();
    assert_eq!(body["board_id"], BOARD);
    assert_eq!(body["title"], "Ceramic owl");
    assert_eq!(body["description"], text);
    assert_eq!(body["link"], "https://owlery.example/shop/owl");
    assert_eq!(body["alt_text"], "A ceramic owl, view 1");
    assert_eq!(
        body["media_source"],
        json!({
            "source_type": "image_base64",
            "content_type": "image/jpeg",
            "data": base64::engine::general_purpose::STANDARD.encode(jpeg(1).bytes),
        })
    );
}

#[tokio::test]
async fn publish_from_a_public_address_and_on_the_requested_board() {
    let (server, pinterest, _) = setup().await;
    server.on(
        "POST",
        "/v5/pins",
        Reply::json(201, pin(PIN, "x", "2024-05-01T10:00:00-00:00")),
    );
    let mut req = pin_request(
        "Owl",
        vec![MediaUpload {
            url: Some("https://media.owlery.example/r/owl.jpg?sig=abc".into()),
            ..jpeg(1)
        }],
    );
    req.target = Some("1234567".into());
    req.part.title = Some("Given title".into());
    pinterest.publish(&creds(), &req).await.unwrap();
    let body = server.requests_to("POST", "/v5/pins")[0].json();
    assert_eq!(body["board_id"], "1234567");
    assert_eq!(body["title"], "Given title");
    assert_eq!(
        body["media_source"],
        json!({ "source_type": "image_url", "url": "https://media.owlery.example/r/owl.jpg?sig=abc" })
    );
}

#[tokio::test]
async fn publish_a_carousel() {
    let (server, pinterest, _) = setup().await;
    server.on(
        "POST",
        "/v5/pins",
        Reply::json(201, pin(PIN, "x", "2024-05-01T10:00:00-00:00")),
    );
    pinterest
        .publish(
            &creds(),
            &pin_request("Three views", vec![jpeg(1), jpeg(2), jpeg(3)]),
        )
        .await
        .unwrap();
    let body = server.requests_to("POST", "/v5/pins")[0].json();
    let b64 = |n| base64::engine::general_purpose::STANDARD.encode(jpeg(n).bytes);
    assert_eq!(
        body["media_source"],
        json!({
            "source_type": "multiple_image_base64",
            "items": [
                { "content_type": "image/jpeg", "data": b64(1) },
                { "content_type": "image/jpeg", "data": b64(2) },
                { "content_type": "image/jpeg", "data": b64(3) }
            ]
        })
    );
    // the items take no alt text: the pin's is the first image's
    assert_eq!(body["alt_text"], "A ceramic owl, view 1");
}

#[tokio::test]
async fn a_carousel_from_public_addresses_is_downloaded_by_pinterest() {
    // Pins API v5, `media_source` of `source_type: multiple_image_urls`: `items` of `{url}` (and
    // optional title, description, link per item, which Owlery does not use).
    let (server, pinterest, _) = setup().await;
    server.on(
        "POST",
        "/v5/pins",
        Reply::json(201, pin(PIN, "x", "2024-05-01T10:00:00-00:00")),
    );
    let at = |n: u8| MediaUpload {
        url: Some(format!(
            "https://owlery.example.com/m/0193/pinterest.pin.1000x1500.jpg?e=1&s={n}"
        )),
        ..jpeg(n)
    };
    pinterest
        .publish(
            &creds(),
            &pin_request("Three views", vec![at(1), at(2), at(3)]),
        )
        .await
        .unwrap();
    let body = server.requests_to("POST", "/v5/pins")[0].json();
    assert_eq!(
        body["media_source"],
        json!({
            "source_type": "multiple_image_urls",
            "items": [
                { "url": "https://owlery.example.com/m/0193/pinterest.pin.1000x1500.jpg?e=1&s=1" },
                { "url": "https://owlery.example.com/m/0193/pinterest.pin.1000x1500.jpg?e=1&s=2" },
                { "url": "https://owlery.example.com/m/0193/pinterest.pin.1000x1500.jpg?e=1&s=3" }
            ]
        })
    );
    assert!(
        !server.requests_to("POST", "/v5/pins")[0]
            .text()
            .contains("image_base64"),
        "no bytes are sent when Pinterest downloads them"
    );
}

#[tokio::test]
async fn publish_a_video_pin() {
    let (server, pinterest, _) = setup().await;
    let upload_url = format!("{}/pinterest-media-upload/", server.url());
    // POST /v5/media: the documented registration answer
    server.on(
        "POST",
        "/v5/media",
        Reply::json(
            201,
            json!({
                "media_id": "12345",
                "media_type": "video",
                "upload_url": upload_url,
                "upload_parameters": {
                    "x-amz-date": "20220101T000000Z",
                    "x-amz-signature": "1a3856554b7a8c5e4b6f1d6cf0b1a3f9b9e8b1a9",
                    "x-amz-security-token": "IQoJb3JpZ2luX2VjEJr",
                    "x-amz-algorithm": "AWS4-HMAC-SHA256",
                    "key": "uploads/12/34/56/12345.mp4",
                    "policy": "eyJleHBpcmF0aW9uIjoiMjAyMi0w",
                    "x-amz-credential": "ASIA/20220101/us-east-1/s3/aws4_request",
                    "Content-Type": "multipart/form-data"
                }
            }),
        ),
    );
    // the storage answers 204 No Content
    server.on("POST", "/pinterest-media-upload/", Reply::empty(204));
    // GET /v5/media/{media_id}: processing, then succeeded
    server.on(
        "GET",
        "/v5/media/12345",
        Reply::json(
            200,
            json!({ "media_id": "12345", "media_type": "video", "status": "processing" }),
        ),
    );
    server.on(
        "GET",
        "/v5/media/12345",
        Reply::json(
            200,
            json!({ "media_id": "12345", "media_type": "video", "status": "succeeded" }),
        ),
    );
    server.on(
        "POST",
        "/v5/pins",
        Reply::json(201, pin(PIN, "x", "2024-05-01T10:00:00-00:00")),
    );
    let video = MediaUpload {
        kind: MediaKind::Video,
        bytes: b"MP4-BYTES-0123456789".to_vec(),
        mime: "video/mp4".into(),
        alt: "An owl turning on a wheel".into(),
        ..MediaUpload::default()
    };
    pinterest
        .publish(&creds(), &pin_request("Throwing an owl", vec![video]))
        .await
        .unwrap();

    assert_eq!(
        server.requests_to("POST", "/v5/media")[0].json(),
        json!({ "media_type": "video" })
    );
    let upload = &server.requests_to("POST", "/pinterest-media-upload/")[0];
    assert_eq!(
        upload.header("authorization"),
        None,
        "no token to the storage"
    );
    let form = upload.text();
    assert!(form.contains("name=\"x-amz-signature\""), "{form}");
    assert!(form.contains("uploads/12/34/56/12345.mp4"), "{form}");
    assert!(form.contains("name=\"file\""), "{form}");
    assert!(form.contains("MP4-BYTES-0123456789"), "{form}");
    assert!(
        form.find("name=\"policy\"").unwrap() < form.find("name=\"file\"").unwrap(),
        "the file comes after the parameters"
    );
    assert_eq!(server.requests_to("GET", "/v5/media/12345").len(), 2);
    let body = server.requests_to("POST", "/v5/pins")[0].json();
    assert_eq!(body["media_source"]["source_type"], "video_id");
    assert_eq!(body["media_source"]["media_id"], "12345");
    assert!(
        body["media_source"]
            .get("cover_image_key_frame_time")
            .is_some()
    );
    assert_eq!(body["alt_text"], "An owl turning on a wheel");
}

#[tokio::test]
async fn a_video_that_fails_processing_is_not_pinned() {
    let (server, pinterest, _) = setup().await;
    server.on(
        "POST",
        "/v5/media",
        Reply::json(
            201,
            json!({ "media_id": "777", "media_type": "video", "upload_url": format!("{}/up/", server.url()), "upload_parameters": {} }),
        ),
    );
    server.on("POST", "/up/", Reply::empty(204));
    server.on(
        "GET",
        "/v5/media/777",
        Reply::json(
            200,
            json!({ "media_id": "777", "media_type": "video", "status": "failed" }),
        ),
    );
    let video = MediaUpload {
        kind: MediaKind::Video,
        bytes: vec![1, 2, 3],
        mime: "video/mp4".into(),
        ..MediaUpload::default()
    };
    let err = pinterest
        .publish(&creds(), &pin_request("v", vec![video]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    assert!(server.requests_to("POST", "/v5/pins").is_empty());
}

// ---------------------------------------------------------------- refused before sending

#[tokio::test]
async fn what_pinterest_cannot_do_is_refused_before_sending() {
    let (server, pinterest, _) = setup().await;
    let reply = PublishRequest {
        reply_to: Some(RemoteRef {
            id: PIN.into(),
            cid: None,
            root: None,
        }),
        as_comment: true,
        ..pin_request("first comment", vec![])
    };
    let no_board = Credentials::new("owlery_shop", TOKEN);
    let mut story = pin_request("x", vec![jpeg(1)]);
    story.placement = "story".into();
    let cases: Vec<(Credentials, PublishRequest, &str)> = vec![
        (creds(), reply, "no replies"),
        (no_board, pin_request("x", vec![jpeg(1)]), "board"),
        (creds(), pin_request("no image", vec![]), "needs an image"),
        (
            creds(),
            pin_request("x", (1..=6).map(jpeg).collect()),
            "at most 5",
        ),
        (
            creds(),
            pin_request(
                "x",
                vec![MediaUpload {
                    mime: "image/gif".into(),
                    ..jpeg(1)
                }],
            ),
            "JPEG or PNG",
        ),
        (
            creds(),
            pin_request(&"x".repeat(501), vec![jpeg(1)]),
            "at most 500",
        ),
        (creds(), story, "placement"),
    ];
    for (c, req, why) in cases {
        let err = pinterest.publish(&c, &req).await.unwrap_err();
        assert!(
            matches!(&err, ConnectorError::Permanent { reason } if reason.contains(why)),
            "{why}: {err:?}"
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

// ---------------------------------------------------------------- errors and budgets

async fn publish_answered_with(reply: Reply) -> (ConnectorError, Env) {
    let (server, pinterest, env) = setup().await;
    server.on("POST", "/v5/pins", reply);
    let err = pinterest
        .publish(&creds(), &pin_request("Owl", vec![jpeg(1)]))
        .await
        .unwrap_err();
    no_token_in(&err);
    (err, env)
}

#[tokio::test]
async fn documented_error_bodies_become_the_right_errors() {
    let (err, _) = publish_answered_with(Reply::json(
        401,
        json!({ "code": 2, "message": "Authentication failed." }),
    ))
    .await;
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");

    let (err, _) = publish_answered_with(Reply::json(
        403,
        json!({ "code": 29, "message": "You are not permitted to access that resource." }),
    ))
    .await;
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("pins:write")),
        "{err:?}"
    );

    let (err, _) = publish_answered_with(Reply::json(
        400,
        json!({ "code": 1, "message": "Invalid Pin link: the link is not a valid URL." }),
    ))
    .await;
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("Invalid Pin link")),
        "{err:?}"
    );

    let (err, _) = publish_answered_with(Reply::json(
        503,
        json!({ "code": 8, "message": "Service temporarily unavailable." }),
    ))
    .await;
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
}

#[tokio::test]
async fn a_429_is_rate_limited_and_holds_the_account() {
    let (err, env) = publish_answered_with(
        Reply::json(
            429,
            json!({ "code": 8, "message": "You have exceeded your rate limit. Try again later." }),
        )
        .header("x-ratelimit-limit", "100")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", "45"),
    )
    .await;
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(45))
        }
    );
    let wait = env
        .budgets
        .wait(Network::Pinterest, BOARD, SystemTime::now())
        .unwrap();
    assert!(
        wait > Duration::from_secs(40) && wait <= Duration::from_secs(45),
        "{wait:?}"
    );
}

#[tokio::test]
async fn rate_limit_headers_on_a_success_are_filed() {
    let (server, pinterest, env) = setup().await;
    server.on(
        "DELETE",
        &format!("/v5/pins/{PIN}"),
        Reply::empty(204)
            .header("x-ratelimit-limit", "100")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", "30"),
    );
    let remote = RemoteRef {
        id: PIN.into(),
        cid: None,
        root: None,
    };
    pinterest.delete(&creds(), &remote).await.unwrap();
    // the last call of the window: the account waits for the reset
    let wait = env
        .budgets
        .wait(Network::Pinterest, BOARD, SystemTime::now())
        .unwrap();
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );

    let (server2, pinterest2, env2) = setup().await;
    server2.on(
        "DELETE",
        &format!("/v5/pins/{PIN}"),
        Reply::empty(204)
            .header("x-ratelimit-limit", "100")
            .header("x-ratelimit-remaining", "99")
            .header("x-ratelimit-reset", "30"),
    );
    pinterest2.delete(&creds(), &remote).await.unwrap();
    assert_eq!(
        env2.budgets
            .wait(Network::Pinterest, BOARD, SystemTime::now()),
        None
    );
    let _ = server;
}

#[tokio::test]
async fn a_write_that_times_out_is_unknown() {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_millis(300),
        },
        ..env_for(&server)
    };
    let pinterest = connector(env);
    server.on("POST", "/v5/pins", Reply::hang());
    let err = pinterest
        .publish(&creds(), &pin_request("Owl", vec![jpeg(1)]))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    no_token_in(&err);
}

// ---------------------------------------------------------------- lookup

#[tokio::test]
async fn lookup_finds_the_pin_on_the_board() {
    let (server, pinterest, _) = setup().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    let text = "Ceramic owl\nHand-made,  glazed in deep blue.";
    // GET /v5/boards/{board_id}/pins: the documented paginated list
    server.on(
        "GET",
        &format!("/v5/boards/{BOARD}/pins"),
        Reply::json(
            200,
            json!({
                "items": [
                    pin("1111", "Another pin", &rfc3339(since + Duration::from_secs(60))),
                    // same text long ago: not this publish
                    pin("2222", text, &rfc3339(since - Duration::from_secs(86_400))),
                    pin(PIN, "Ceramic owl Hand-made, glazed in deep blue.", &rfc3339(since + Duration::from_secs(5)))
                ],
                "bookmark": null
            }),
        ),
    );
    let found = pinterest
        .lookup(&creds(), &pin_request(text, vec![jpeg(1)]), since)
        .await
        .unwrap();
    let Lookup::Found(p) = found else {
        panic!("{found:?}")
    };
    assert_eq!(p.remote.id, PIN);
    let sent = server.requests_to("GET", &format!("/v5/boards/{BOARD}/pins"));
    assert_eq!(sent[0].query_pairs()["page_size"], "100");
}

#[tokio::test]
async fn lookup_is_absent_when_the_whole_board_was_listed() {
    let (server, pinterest, _) = setup().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    let path = format!("/v5/boards/{BOARD}/pins");
    server.on(
        "GET",
        &path,
        Reply::json(
            200,
            json!({ "items": [ pin("1", "other", &rfc3339(since)) ], "bookmark": "Y2JVSG81V2xWUlhC" }),
        ),
    );
    server.on(
        "GET",
        &path,
        Reply::json(
            200,
            json!({ "items": [ pin("2", "other too", &rfc3339(since)) ], "bookmark": null }),
        ),
    );
    let found = pinterest
        .lookup(&creds(), &pin_request("Owl", vec![jpeg(1)]), since)
        .await
        .unwrap();
    assert_eq!(found, Lookup::Absent);
    let sent = server.requests_to("GET", &path);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].query_pairs()["bookmark"], "Y2JVSG81V2xWUlhC");
}

#[tokio::test]
async fn lookup_cannot_tell_on_a_board_too_big_to_list() {
    let (server, pinterest, _) = setup().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    let path = format!("/v5/boards/{BOARD}/pins");
    server.on(
        "GET",
        &path,
        Reply::json(
            200,
            json!({ "items": [ pin("1", "other", &rfc3339(since)) ], "bookmark": "more" }),
        ),
    );
    let found = pinterest
        .lookup(&creds(), &pin_request("Owl", vec![jpeg(1)]), since)
        .await
        .unwrap();
    assert!(matches!(found, Lookup::CannotTell { .. }), "{found:?}");
    assert_eq!(server.requests_to("GET", &path).len(), 5);
}

// ---------------------------------------------------------------- delete, status

#[tokio::test]
async fn delete_and_delete_again() {
    let (server, pinterest, _) = setup().await;
    let path = format!("/v5/pins/{PIN}");
    server.on("DELETE", &path, Reply::empty(204));
    server.on(
        "DELETE",
        &path,
        Reply::json(404, json!({ "code": 50, "message": "Pin not found." })),
    );
    let remote = RemoteRef {
        id: PIN.into(),
        cid: None,
        root: None,
    };
    pinterest.delete(&creds(), &remote).await.unwrap();
    pinterest.delete(&creds(), &remote).await.unwrap();
    assert_eq!(server.requests_to("DELETE", &path).len(), 2);
    // not a pin id: refused before sending
    let bad = RemoteRef {
        id: "../boards/1".into(),
        cid: None,
        root: None,
    };
    assert!(pinterest.delete(&creds(), &bad).await.is_err());
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn status_with_pin_metrics() {
    let (server, pinterest, _) = setup().await;
    let mut with_metrics = pin(PIN, "x", "2024-05-01T10:00:00-00:00");
    with_metrics["pin_metrics"] = json!({
        "90d": { "pin_click": 7, "impression": 2, "clickthrough": 3 },
        "lifetime_metrics": { "pin_click": 7, "impression": 240, "clickthrough": 3, "reaction": 10, "comment": 2, "save": 18 }
    });
    server.on(
        "GET",
        &format!("/v5/pins/{PIN}"),
        Reply::json(200, with_metrics),
    );
    server.on(
        "GET",
        "/v5/pins/1",
        Reply::json(404, json!({ "code": 50, "message": "Pin not found." })),
    );
    let remote = |id: &str| RemoteRef {
        id: id.into(),
        cid: None,
        root: None,
    };
    let s = pinterest.status(&creds(), &remote(PIN)).await.unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.views, Some(240));
    assert_eq!(s.metrics.saves, Some(18));
    assert_eq!(s.metrics.likes, Some(10));
    assert_eq!(s.metrics.comments, Some(2));
    assert_eq!(
        server.requests_to("GET", &format!("/v5/pins/{PIN}"))[0].query_pairs()["pin_metrics"],
        "true"
    );
    assert!(
        !pinterest
            .status(&creds(), &remote("1"))
            .await
            .unwrap()
            .exists
    );
}

// ---------------------------------------------------------------- OAuth

fn with_refresh(c: Credentials) -> Credentials {
    Credentials {
        refresh: Some(SecretString::from("pinr_refresh-0042".to_owned())),
        app: Some(AppCredentials {
            client_id: "1484362".into(),
            client_secret: SecretString::from("pin-client-secret-77".to_owned()),
        }),
        ..c
    }
}

#[tokio::test]
async fn refresh_with_basic_client_authentication() {
    let (server, pinterest, _) = setup().await;
    // POST /v5/oauth/token: the documented OauthAccessTokenResponse (refresh)
    server.on(
        "POST",
        "/v5/oauth/token",
        Reply::json(
            200,
            json!({
                "response_type": "refresh_token",
                "access_token": "pina_new-access",
                "token_type": "bearer",
                "expires_in": 2592000,
                "scope": "boards:read,pins:read,pins:write,user_accounts:read"
            }),
        ),
    );
    let grant = pinterest
        .refresh(&with_refresh(creds()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grant.access.expose_secret(), "pina_new-access");
    assert!(grant.refresh.is_none(), "keep the old refresh token");
    assert_eq!(grant.scopes.len(), 4);
    let sent = &server.requests_to("POST", "/v5/oauth/token")[0];
    let basic = base64::engine::general_purpose::STANDARD.encode("1484362:pin-client-secret-77");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    let form = sent.form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "pinr_refresh-0042");
    assert!(!form.contains_key("client_secret"));

    assert!(pinterest.refresh(&creds()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dead_refresh_token_needs_a_person_and_an_outage_passes() {
    for body in [
        json!({ "error": "invalid_grant", "error_description": "Refresh token is invalid" }),
        json!({ "code": 2, "message": "Authentication failed." }),
    ] {
        let (server, pinterest, _) = setup().await;
        server.on("POST", "/v5/oauth/token", Reply::json(400, body.clone()));
        let err = pinterest.refresh(&with_refresh(creds())).await.unwrap_err();
        assert!(
            matches!(err, ConnectorError::Auth { .. }),
            "{body}: {err:?}"
        );
        no_token_in(&err);
        assert!(!err.to_string().contains("pinr_refresh-0042"));
    }
    let (server, pinterest, _) = setup().await;
    server.on(
        "POST",
        "/v5/oauth/token",
        Reply::json(503, json!({ "code": 8, "message": "Service unavailable" })),
    );
    let err = pinterest.refresh(&with_refresh(creds())).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
}

#[tokio::test]
async fn the_oauth_spec_is_pinterests() {
    let pinterest = Pinterest::new(Env::default()).unwrap();
    let spec = pinterest.oauth(None).unwrap();
    assert_eq!(spec.authorize_url, "https://www.pinterest.com/oauth/");
    assert_eq!(spec.token_url, "https://api.pinterest.com/v5/oauth/token");
    assert_eq!(spec.client_auth, ClientAuth::Basic);
    assert_eq!(spec.scope_separator, ",");
    assert!(!spec.pkce);
    assert_eq!(
        spec.scopes,
        [
            "boards:read",
            "pins:read",
            "pins:write",
            "user_accounts:read"
        ]
    );
}
