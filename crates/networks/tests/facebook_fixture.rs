//! The Facebook Pages connector against a local fixture server. Every scripted reply is a fixture
//! mirroring Meta's documentation (bodies, error bodies and usage headers as the Pages API guide
//! <https://developers.facebook.com/docs/pages-api/posts>, the Page Stories guide
//! <https://developers.facebook.com/docs/page-stories-api>, the Graph API error-handling guide
//! <https://developers.facebook.com/docs/graph-api/guides/error-handling/> and the rate-limiting
//! page <https://developers.facebook.com/docs/graph-api/overview/rate-limiting/> show them). It
//! proves the connector speaks the documented protocol, not that Facebook answers this way today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use owlery_networks::facebook::{FacebookPages, SCOPES};
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::{
    Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload, Network,
    PublishPart, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const PAGE: &str = "1234567890";
const TOKEN: &str = "EAAGm0PX4ZCpsBAPageAccessTokenSecret42";

fn env(server: &Fixture) -> Env {
    Env {
        base_url: Some(server.url()),
        ..Env::default()
    }
}

async fn start() -> (Fixture, FacebookPages, Env) {
    let server = Fixture::start().await.unwrap();
    let env = env(&server);
    let fb = FacebookPages::new(env.clone()).unwrap();
    (server, fb, env)
}

fn creds() -> Credentials {
    Credentials::new("Owlery Café", TOKEN).with_account(PAGE)
}

fn text(key: &str, t: &str) -> PublishRequest {
    PublishRequest::new(key, t)
}

fn with_media(t: &str, placement: &str, media: Vec<MediaUpload>) -> PublishRequest {
    PublishRequest {
        placement: placement.into(),
        part: PublishPart {
            text: t.into(),
            media,
            ..PublishPart::default()
        },
        ..PublishRequest::new("variant-1:0", t)
    }
}

fn image(alt: &str, url: Option<&str>) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: b"\xff\xd8\xff\xe0 jpeg bytes".to_vec(),
        mime: "image/jpeg".into(),
        alt: alt.into(),
        width: 1200,
        height: 630,
        duration_ms: None,
        url: url.map(str::to_owned),
    }
}

fn video(url: Option<&str>) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Video,
        bytes: b"....ftypmp42 video bytes".to_vec(),
        mime: "video/mp4".into(),
        alt: String::new(),
        width: 1080,
        height: 1920,
        duration_ms: Some(12_000),
        url: url.map(str::to_owned),
    }
}

/// The token must never be in an error's text, nor in any address we called.
fn no_token(e: &ConnectorError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(TOKEN), "token leaked: {shown}");
}

fn assert_bearer_everywhere(server: &Fixture) {
    for r in server.requests() {
        assert!(!r.query.contains(TOKEN), "token in the query of {}", r.path);
        assert!(!r.query_pairs().contains_key("access_token"), "{}", r.path);
    }
}

/// Meta's error body, as the error-handling guide shows it.
fn meta_error(
    code: i64,
    subcode: Option<i64>,
    message: &str,
    user_msg: Option<&str>,
) -> serde_json::Value {
    let mut e = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "EJplcsCHuLu",
    });
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    if let Some(m) = user_msg {
        e["error_user_title"] = json!("Problem");
        e["error_user_msg"] = json!(m);
    }
    json!({ "error": e })
}

fn permalink(server: &Fixture, id: &str, url: &str) {
    server.on(
        "GET",
        &format!("/{id}"),
        Reply::json(200, json!({ "permalink_url": url, "id": id })),
    );
}

#[tokio::test]
async fn verify_reads_the_page_with_the_token_in_a_header() {
    let (server, fb, _) = start().await;
    server.on(
        "GET",
        &format!("/{PAGE}"),
        Reply::json(200, json!({ "name": "Owlery Café", "id": PAGE })),
    );
    let account = fb.verify(&creds()).await.unwrap();
    assert_eq!(account.id, PAGE);
    assert_eq!(account.handle, "Owlery Café");
    let sent = server.requests_to("GET", &format!("/{PAGE}"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].query_pairs()["fields"], "id,name");
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_bearer_everywhere(&server);
}

#[tokio::test]
async fn a_channel_without_a_page_id_must_be_reconnected() {
    let (server, fb, _) = start().await;
    let err = fb
        .publish(&Credentials::new("Owlery", TOKEN), &text("k", "hi"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn publishes_text_and_a_link_to_the_feed() {
    let (server, fb, _) = start().await;
    let post = format!("{PAGE}_111");
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(200, json!({ "id": post })),
    );
    permalink(
        &server,
        &post,
        "https://www.facebook.com/1234567890/posts/111",
    );
    let mut req = text("v:0", "Hello from Owlery!");
    req.part.link = Some("https://owlery.example/blog".into());
    let published = fb.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, post);
    assert_eq!(
        published.url,
        "https://www.facebook.com/1234567890/posts/111"
    );
    let sent = &server.requests_to("POST", &format!("/{PAGE}/feed"))[0];
    let form = sent.form();
    assert_eq!(form["message"], "Hello from Owlery!");
    assert_eq!(form["link"], "https://owlery.example/blog");
    assert_eq!(
        server.requests_to("GET", &format!("/{post}"))[0].query_pairs()["fields"],
        "permalink_url"
    );
    assert_bearer_everywhere(&server);
}

#[tokio::test]
async fn a_link_card_posts_the_link_and_refuses_a_custom_image() {
    let (server, fb, _) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(200, json!({ "id": format!("{PAGE}_5") })),
    );
    permalink(
        &server,
        &format!("{PAGE}_5"),
        "https://www.facebook.com/p/5",
    );
    let mut card = with_media("Read this", "link_card", vec![]);
    card.part.link = Some("https://owlery.example/a".into());
    fb.publish(&creds(), &card).await.unwrap();
    assert_eq!(
        server.requests_to("POST", &format!("/{PAGE}/feed"))[0].form()["link"],
        "https://owlery.example/a"
    );

    let (server, fb, _) = start().await;
    card.part.media = vec![image("alt", Some("https://cdn.example/a.jpg"))];
    let err = fb.publish(&creds(), &card).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn one_image_from_its_url_with_alt_text() {
    let (server, fb, _) = start().await;
    // The Photo node answers the photo id and the post id.
    server.on(
        "POST",
        &format!("/{PAGE}/photos"),
        Reply::json(
            200,
            json!({ "id": "9001", "post_id": format!("{PAGE}_222") }),
        ),
    );
    permalink(
        &server,
        &format!("{PAGE}_222"),
        "https://www.facebook.com/photo/?fbid=9001",
    );
    let req = with_media(
        "Our new owl",
        "feed_post",
        vec![image(
            "A barn owl on a fence post at dusk",
            Some("https://media.owlery.example/owl.jpg"),
        )],
    );
    let published = fb.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, format!("{PAGE}_222"));
    let form = server.requests_to("POST", &format!("/{PAGE}/photos"))[0].form();
    assert_eq!(form["url"], "https://media.owlery.example/owl.jpg");
    assert_eq!(form["caption"], "Our new owl");
    assert_eq!(
        form["alt_text_custom"],
        "A barn owl on a fence post at dusk"
    );
    assert!(!form.contains_key("published"));
}

#[tokio::test]
async fn one_image_without_a_url_is_uploaded_as_multipart_source() {
    let (server, fb, _) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/photos"),
        Reply::json(
            200,
            json!({ "id": "9002", "post_id": format!("{PAGE}_223") }),
        ),
    );
    permalink(
        &server,
        &format!("{PAGE}_223"),
        "https://www.facebook.com/p/223",
    );
    let req = with_media("Bytes", "", vec![image("Two owlets", None)]);
    fb.publish(&creds(), &req).await.unwrap();
    let sent = &server.requests_to("POST", &format!("/{PAGE}/photos"))[0];
    assert!(
        sent.header("content-type")
            .unwrap()
            .starts_with("multipart/form-data")
    );
    let body = sent.text();
    assert!(body.contains("name=\"source\""), "{body}");
    assert!(body.contains("jpeg bytes"));
    assert!(
        body.contains("name=\"alt_text_custom\"\r\n\r\nTwo owlets"),
        "{body}"
    );
    assert!(body.contains("name=\"caption\"\r\n\r\nBytes"), "{body}");
}

#[tokio::test]
async fn several_images_are_uploaded_unpublished_then_attached_to_one_post() {
    let (server, fb, _) = start().await;
    let photos = format!("/{PAGE}/photos");
    server.on("POST", &photos, Reply::json(200, json!({ "id": "501" })));
    server.on("POST", &photos, Reply::json(200, json!({ "id": "502" })));
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(200, json!({ "id": format!("{PAGE}_333") })),
    );
    permalink(
        &server,
        &format!("{PAGE}_333"),
        "https://www.facebook.com/p/333",
    );
    let req = with_media(
        "Two owls",
        "",
        vec![
            image("First owl", Some("https://cdn.example/1.jpg")),
            image("Second owl", Some("https://cdn.example/2.jpg")),
        ],
    );
    let published = fb.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, format!("{PAGE}_333"));
    let uploads = server.requests_to("POST", &photos);
    assert_eq!(uploads.len(), 2);
    for (upload, (url, alt)) in uploads.iter().zip([
        ("https://cdn.example/1.jpg", "First owl"),
        ("https://cdn.example/2.jpg", "Second owl"),
    ]) {
        let f = upload.form();
        assert_eq!(f["published"], "false");
        assert_eq!(f["url"], url);
        assert_eq!(f["alt_text_custom"], alt);
    }
    let feed = server.requests_to("POST", &format!("/{PAGE}/feed"))[0].form();
    assert_eq!(feed["message"], "Two owls");
    assert_eq!(feed["attached_media[0]"], r#"{"media_fbid":"501"}"#);
    assert_eq!(feed["attached_media[1]"], r#"{"media_fbid":"502"}"#);
}

#[tokio::test]
async fn a_video_goes_to_the_videos_edge_with_its_description() {
    let (server, fb, _) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/videos"),
        Reply::json(200, json!({ "id": "7007" })),
    );
    // A video's permalink_url is relative.
    permalink(&server, "7007", "/owlery/videos/7007/");
    let mut req = with_media(
        "Owl flight",
        "feed_post",
        vec![video(Some("https://cdn.example/flight.mp4"))],
    );
    req.part.title = Some("Flight".into());
    let published = fb.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, "7007");
    assert_eq!(
        published.url,
        "https://www.facebook.com/owlery/videos/7007/"
    );
    let form = server.requests_to("POST", &format!("/{PAGE}/videos"))[0].form();
    assert_eq!(form["file_url"], "https://cdn.example/flight.mp4");
    assert_eq!(form["description"], "Owl flight");
    assert_eq!(form["title"], "Flight");
}

#[tokio::test]
async fn a_photo_story_uploads_unpublished_then_publishes_the_story() {
    let (server, fb, _) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/photos"),
        Reply::json(200, json!({ "id": "8080" })),
    );
    server.on(
        "POST",
        &format!("/{PAGE}/photo_stories"),
        Reply::json(200, json!({ "success": true, "post_id": "4444" })),
    );
    permalink(&server, "4444", "https://www.facebook.com/stories/4444");
    let req = with_media(
        "",
        "story",
        vec![image("", Some("https://cdn.example/story.jpg"))],
    );
    let published = fb.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, "4444");
    let upload = server.requests_to("POST", &format!("/{PAGE}/photos"))[0].form();
    assert_eq!(upload["published"], "false");
    assert_eq!(upload["url"], "https://cdn.example/story.jpg");
    assert_eq!(
        server.requests_to("POST", &format!("/{PAGE}/photo_stories"))[0].form()["photo_id"],
        "8080"
    );
}

#[tokio::test]
async fn a_video_story_starts_uploads_and_finishes() {
    let (server, fb, _) = start().await;
    let stories = format!("/{PAGE}/video_stories");
    server.on(
        "POST",
        &stories,
        Reply::json(
            200,
            json!({
                "video_id": "6006",
                "upload_url": format!("{}/video-upload/v21.0/6006", server.url()),
            }),
        ),
    );
    server.on(
        "POST",
        &stories,
        Reply::json(200, json!({ "success": true, "post_id": "5555" })),
    );
    server.on(
        "POST",
        "/video-upload/v21.0/6006",
        Reply::json(200, json!({ "success": true })),
    );
    permalink(&server, "5555", "https://www.facebook.com/stories/5555");
    let req = with_media("", "story", vec![video(Some("https://cdn.example/s.mp4"))]);
    let published = fb.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, "5555");
    let phases = server.requests_to("POST", &stories);
    assert_eq!(phases[0].form()["upload_phase"], "start");
    assert_eq!(phases[1].form()["upload_phase"], "finish");
    assert_eq!(phases[1].form()["video_id"], "6006");
    let upload = &server.requests_to("POST", "/video-upload/v21.0/6006")[0];
    assert_eq!(
        upload.header("authorization"),
        Some(format!("OAuth {TOKEN}").as_str())
    );
    assert_eq!(upload.header("file_url"), Some("https://cdn.example/s.mp4"));
}

#[tokio::test]
async fn a_video_story_upload_address_outside_meta_gets_no_token() {
    let (server, fb, _) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/video_stories"),
        Reply::json(
            200,
            json!({ "video_id": "6006", "upload_url": "https://uploads.example.net/6006" }),
        ),
    );
    let req = with_media("", "story", vec![video(Some("https://cdn.example/s.mp4"))]);
    let err = fb.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    no_token(&err);
    assert_eq!(server.requests().len(), 1, "only the start phase");
}

#[tokio::test]
async fn a_first_comment_goes_under_the_post() {
    let (server, fb, _) = start().await;
    let post = format!("{PAGE}_111");
    server.on(
        "POST",
        &format!("/{post}/comments"),
        Reply::json(200, json!({ "id": "111_999" })),
    );
    permalink(
        &server,
        "111_999",
        "https://www.facebook.com/1234567890/posts/111?comment_id=999",
    );
    let mut req = text("v:1", "Link in the first comment: https://owlery.example");
    req.as_comment = true;
    req.reply_to = Some(RemoteRef {
        id: post.clone(),
        cid: None,
        root: None,
    });
    let published = fb.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, "111_999");
    assert_eq!(published.remote.root.as_ref().unwrap().id, post);
    let sent = server.requests_to("POST", &format!("/{post}/comments"));
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].form()["message"],
        "Link in the first comment: https://owlery.example"
    );
}

#[tokio::test]
async fn what_facebook_cannot_do_is_refused_before_sending() {
    let (server, fb, _) = start().await;
    let parent = RemoteRef {
        id: format!("{PAGE}_1"),
        cid: None,
        root: None,
    };
    let mut thread = text("t:1", "part two");
    thread.reply_to = Some(parent);
    let cases = vec![
        (thread, "no threads"),
        (
            with_media("x", "reel", vec![video(Some("https://cdn.example/v.mp4"))]),
            "Reels",
        ),
        (
            with_media(
                "x",
                "",
                vec![
                    image("a", Some("https://cdn.example/a.jpg")),
                    video(Some("https://cdn.example/v.mp4")),
                ],
            ),
            "not both",
        ),
        (with_media("", "", vec![]), "empty"),
        (
            with_media(
                "caption",
                "story",
                vec![image("", Some("https://cdn.example/a.jpg"))],
            ),
            "no text",
        ),
        (with_media("x", "pin", vec![]), "no placement"),
    ];
    for (req, why) in cases {
        let err = fb.publish(&creds(), &req).await.unwrap_err();
        match &err {
            ConnectorError::Permanent { reason } => assert!(reason.contains(why), "{reason}"),
            other => panic!("{why}: {other:?}"),
        }
        // and lookup knows it was never sent
        assert_eq!(
            fb.lookup(&creds(), &req, SystemTime::now()).await.unwrap(),
            Lookup::Absent
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn an_expired_token_needs_reconnecting() {
    let (server, fb, _) = start().await;
    // Error-handling guide: "Error validating access token: Session has expired" (190/463).
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(
            400,
            meta_error(
                190,
                Some(463),
                "Error validating access token: Session has expired on Thursday, 01-Aug-24 \
                 10:00:00 PDT. The current time is Friday, 02-Aug-24 03:00:00 PDT.",
                None,
            ),
        ),
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("Session has expired")),
        "{err:?}"
    );
    no_token(&err);

    // A 401 and a message that repeats the token: still Auth, and the token is scrubbed.
    server.on(
        "GET",
        &format!("/{PAGE}"),
        Reply::json(
            401,
            meta_error(190, None, &format!("Malformed access token {TOKEN}"), None),
        ),
    );
    let err = fb.verify(&creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_token(&err);
    assert!(err.to_string().contains("[redacted]"), "{err}");
}

#[tokio::test]
async fn a_missing_permission_needs_reconnecting() {
    let (server, fb, _) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(
            403,
            meta_error(
                200,
                None,
                "(#200) The user hasn't authorized the application to perform this action",
                None,
            ),
        ),
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn validation_and_policy_errors_are_permanent_with_metas_message() {
    let (server, fb, _) = start().await;
    let feed = format!("/{PAGE}/feed");
    server.on(
        "POST",
        &feed,
        Reply::json(
            400,
            meta_error(
                100,
                Some(1_366_046),
                "(#100) Invalid parameter",
                Some("The link you entered is not valid."),
            ),
        ),
    );
    server.on(
        "POST",
        &feed,
        Reply::json(
            400,
            meta_error(
                368,
                Some(1_390_008),
                "It looks like you were misusing this feature by going too fast.",
                Some("You can't post right now. You're temporarily blocked."),
            ),
        ),
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::Permanent {
            reason: "Facebook rejected the request: The link you entered is not valid.".into()
        }
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("temporarily blocked")),
        "{err:?}"
    );
    no_token(&err);
}

#[tokio::test]
async fn server_errors_are_temporary() {
    let (server, fb, _) = start().await;
    let feed = format!("/{PAGE}/feed");
    server.on(
        "POST",
        &feed,
        Reply::json(
            500,
            meta_error(1, None, "An unknown error has occurred.", None),
        ),
    );
    server.on(
        "POST",
        &feed,
        Reply::json(
            503,
            meta_error(2, None, "Service temporarily unavailable", None),
        )
        .header("retry-after", "20"),
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(20)));
    // a bare 502 from a proxy, without Meta's body
    server.on("GET", &format!("/{PAGE}"), Reply::text(502, "Bad Gateway"));
    let err = fb.verify(&creds()).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn rate_limits_wait_and_are_filed_in_the_budget_book() {
    // 429 with Retry-After
    let (server, fb, env) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(
            429,
            meta_error(4, None, "(#4) Application request limit reached", None),
        )
        .header("retry-after", "120"),
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        }
    );
    let wait = env
        .budgets
        .wait(Network::FacebookPage, PAGE, SystemTime::now())
        .unwrap();
    assert!(wait > Duration::from_secs(100), "{wait:?}");
    // code 4 is the app's budget: every Page waits
    assert!(
        env.budgets
            .wait(Network::FacebookPage, "another-page", SystemTime::now())
            .is_some()
    );

    // Page-level limit (#32) with X-Page-Usage saying when access comes back
    let (server, fb, env) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(400, meta_error(32, None, "(#32) Page request limit reached", None)).header(
            "x-page-usage",
            r#"{"call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":5}"#,
        ),
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(300))
        }
    );
    assert!(
        env.budgets
            .wait(Network::FacebookPage, PAGE, SystemTime::now())
            .is_some()
    );
    assert!(
        env.budgets
            .wait(Network::FacebookPage, "another-page", SystemTime::now())
            .is_none()
    );

    // Business use case limit (#80001) with X-Business-Use-Case-Usage
    let (server, fb, env) = start().await;
    server.on(
        "POST",
        &format!("/{PAGE}/feed"),
        Reply::json(
            400,
            meta_error(
                80001,
                None,
                "There have been too many calls to this Page account. Wait a bit and try again.",
                None,
            ),
        )
        .header(
            "x-business-use-case-usage",
            &format!(
                r#"{{"{PAGE}":[{{"type":"pages","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":19}}]}}"#
            ),
        ),
    );
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(19 * 60))
        }
    );
    let wait = env
        .budgets
        .wait(Network::FacebookPage, PAGE, SystemTime::now())
        .unwrap();
    assert!(wait > Duration::from_secs(18 * 60), "{wait:?}");
}

#[tokio::test]
async fn usage_headers_on_a_success_are_filed() {
    let (server, fb, env) = start().await;
    let page_path = format!("/{PAGE}");
    let ok = || Reply::json(200, json!({ "name": "Owlery Café", "id": PAGE }));
    // Replies are used in order: first low usage, then the Page's business-use-case budget used
    // up.
    server.on(
        "GET",
        &page_path,
        ok().header(
            "x-app-usage",
            r#"{"call_count":12,"total_time":4,"total_cputime":3}"#,
        ),
    );
    server.on(
        "GET",
        &page_path,
        ok().header(
            "x-business-use-case-usage",
            &format!(
                r#"{{"{PAGE}":[{{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":7}}]}}"#
            ),
        ),
    );
    fb.verify(&creds()).await.unwrap();
    assert_eq!(
        env.budgets
            .wait(Network::FacebookPage, PAGE, SystemTime::now()),
        None
    );
    // This Page waits, others do not.
    fb.verify(&creds()).await.unwrap();
    let wait = env
        .budgets
        .wait(Network::FacebookPage, PAGE, SystemTime::now())
        .unwrap();
    assert!(
        wait > Duration::from_secs(6 * 60) && wait <= Duration::from_secs(7 * 60),
        "{wait:?}"
    );
    assert_eq!(
        env.budgets
            .wait(Network::FacebookPage, "another", SystemTime::now()),
        None
    );

    // X-Page-Usage at 97 %: the Page waits too.
    let (server, fb, env) = start().await;
    server.on(
        "GET",
        &page_path,
        ok().header(
            "x-page-usage",
            r#"{"call_count":97,"total_cputime":20,"total_time":30}"#,
        ),
    );
    fb.verify(&creds()).await.unwrap();
    assert!(
        env.budgets
            .wait(Network::FacebookPage, PAGE, SystemTime::now())
            .is_some()
    );

    // X-App-Usage at 96 %: the whole app waits.
    let (server, fb, env) = start().await;
    server.on(
        "GET",
        &page_path,
        ok().header(
            "x-app-usage",
            r#"{"call_count":96,"total_time":10,"total_cputime":10}"#,
        ),
    );
    fb.verify(&creds()).await.unwrap();
    assert!(
        env.budgets
            .wait(Network::FacebookPage, "any-page", SystemTime::now())
            .is_some()
    );
}

#[tokio::test]
async fn a_write_that_times_out_is_unknown_and_a_read_temporary() {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_millis(300),
        },
        ..env(&server)
    };
    let fb = FacebookPages::new(env).unwrap();
    server.on("POST", &format!("/{PAGE}/feed"), Reply::hang());
    server.on("GET", &format!("/{PAGE}"), Reply::hang());
    let err = fb.publish(&creds(), &text("k", "hi")).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    no_token(&err);
    let err = fb.verify(&creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
}

fn fb_time(ago: Duration) -> String {
    let t: chrono::DateTime<chrono::Utc> = (SystemTime::now() - ago).into();
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

#[tokio::test]
async fn lookup_finds_the_post_by_its_text() {
    let (server, fb, _) = start().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    // Page feed answer as documented: data, paging with cursors.
    server.on(
        "GET",
        &format!("/{PAGE}/posts"),
        Reply::json(
            200,
            json!({
                "data": [
                    { "id": format!("{PAGE}_3"), "message": "Something else",
                      "created_time": fb_time(Duration::from_secs(60)),
                      "permalink_url": "https://www.facebook.com/p/3" },
                    { "id": format!("{PAGE}_2"), "message": "Hello   from\nOwlery!",
                      "created_time": fb_time(Duration::from_secs(300)),
                      "permalink_url": "https://www.facebook.com/p/2" },
                ],
                "paging": { "cursors": { "before": "QVFIUmxB", "after": "QVFIUjFZ" } }
            }),
        ),
    );
    let found = fb
        .lookup(&creds(), &text("k", "Hello from Owlery!"), since)
        .await
        .unwrap();
    let Lookup::Found(p) = found else {
        panic!("{found:?}")
    };
    assert_eq!(p.remote.id, format!("{PAGE}_2"));
    assert_eq!(p.url, "https://www.facebook.com/p/2");
    let q = server.requests_to("GET", &format!("/{PAGE}/posts"))[0].query_pairs();
    assert_eq!(q["fields"], "id,message,created_time,permalink_url");
    assert_eq!(q["limit"], "100");
    let asked_since: u64 = q["since"].parse().unwrap();
    let since_unix = since
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(asked_since <= since_unix && asked_since + 120 >= since_unix);
    assert_bearer_everywhere(&server);
}

#[tokio::test]
async fn lookup_is_absent_only_when_the_list_reaches_back_to_the_attempt() {
    // All posts since the attempt, no next page: absent.
    let (server, fb, _) = start().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    server.on(
        "GET",
        &format!("/{PAGE}/posts"),
        Reply::json(
            200,
            json!({ "data": [
                { "id": format!("{PAGE}_3"), "message": "Other",
                  "created_time": fb_time(Duration::from_secs(60)) }
            ], "paging": { "cursors": { "before": "a", "after": "b" } } }),
        ),
    );
    assert_eq!(
        fb.lookup(&creds(), &text("k", "Mine"), since)
            .await
            .unwrap(),
        Lookup::Absent
    );

    // A next page exists, but the page already reached posts older than the attempt.
    let (server, fb, _) = start().await;
    server.on(
        "GET",
        &format!("/{PAGE}/posts"),
        Reply::json(
            200,
            json!({ "data": [
                { "id": format!("{PAGE}_3"), "message": "Other",
                  "created_time": fb_time(Duration::from_secs(60)) },
                { "id": format!("{PAGE}_1"), "message": "Mine",
                  "created_time": fb_time(Duration::from_secs(7200)) }
            ], "paging": { "next": format!("https://graph.facebook.com/v21.0/{PAGE}/posts?access_token=x&after=b") } }),
        ),
    );
    assert_eq!(
        fb.lookup(&creds(), &text("k", "Mine"), since)
            .await
            .unwrap(),
        Lookup::Absent
    );
    assert_eq!(server.requests().len(), 1);

    // Pages keep coming without a match and without reaching the attempt: cannot tell.
    let (server, fb, _) = start().await;
    server.on(
        "GET",
        &format!("/{PAGE}/posts"),
        Reply::json(
            200,
            json!({ "data": [
                { "id": format!("{PAGE}_9"), "message": "Other",
                  "created_time": fb_time(Duration::from_secs(10)) }
            ], "paging": {
                "cursors": { "before": "a", "after": "QVFIUnext" },
                "next": format!("https://graph.facebook.com/v21.0/{PAGE}/posts?access_token=PAGE_TOKEN&limit=100&after=QVFIUnext")
            } }),
        ),
    );
    let got = fb
        .lookup(&creds(), &text("k", "Mine"), since)
        .await
        .unwrap();
    assert!(matches!(got, Lookup::CannotTell { .. }), "{got:?}");
    let sent = server.requests_to("GET", &format!("/{PAGE}/posts"));
    assert_eq!(sent.len(), 5);
    // the next page is asked for on our own host, with the cursor and without the address's token
    let q = sent[1].query_pairs();
    assert_eq!(q["after"], "QVFIUnext");
    assert!(!q.contains_key("access_token"));
    assert_eq!(
        sent[1].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn lookup_follows_the_next_page_to_a_match() {
    let (server, fb, _) = start().await;
    let since = SystemTime::now() - Duration::from_secs(3600);
    let posts = format!("/{PAGE}/posts");
    server.on(
        "GET",
        &posts,
        Reply::json(
            200,
            json!({ "data": [
                { "id": format!("{PAGE}_9"), "message": "Newer",
                  "created_time": fb_time(Duration::from_secs(10)) }
            ], "paging": { "next": format!("https://graph.facebook.com/v21.0/{PAGE}/posts?until=1700000000&__paging_token=enc") } }),
        ),
    );
    server.on(
        "GET",
        &posts,
        Reply::json(
            200,
            json!({ "data": [
                { "id": format!("{PAGE}_8"), "message": "Mine",
                  "created_time": fb_time(Duration::from_secs(100)),
                  "permalink_url": "https://www.facebook.com/p/8" }
            ] }),
        ),
    );
    let got = fb
        .lookup(&creds(), &text("k", "Mine"), since)
        .await
        .unwrap();
    assert!(
        matches!(&got, Lookup::Found(p) if p.remote.id == format!("{PAGE}_8")),
        "{got:?}"
    );
    let second = &server.requests_to("GET", &posts)[1];
    assert_eq!(second.query_pairs()["until"], "1700000000");
    assert_eq!(second.query_pairs()["__paging_token"], "enc");
}

#[tokio::test]
async fn lookup_cannot_tell_stories_or_posts_without_text() {
    let (server, fb, _) = start().await;
    let story = with_media(
        "",
        "story",
        vec![image("", Some("https://cdn.example/s.jpg"))],
    );
    let got = fb
        .lookup(&creds(), &story, SystemTime::now())
        .await
        .unwrap();
    assert!(matches!(got, Lookup::CannotTell { .. }), "{got:?}");
    let photo = with_media("", "", vec![image("", Some("https://cdn.example/s.jpg"))]);
    let got = fb
        .lookup(&creds(), &photo, SystemTime::now())
        .await
        .unwrap();
    assert!(matches!(got, Lookup::CannotTell { .. }), "{got:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn lookup_finds_a_first_comment_under_its_post() {
    let (server, fb, _) = start().await;
    let post = format!("{PAGE}_111");
    server.on(
        "GET",
        &format!("/{post}/comments"),
        Reply::json(
            200,
            json!({ "data": [
                { "id": "111_7", "message": "Link: https://owlery.example",
                  "created_time": fb_time(Duration::from_secs(30)),
                  "permalink_url": "https://www.facebook.com/p/111?comment_id=7" }
            ], "paging": { "cursors": { "before": "a", "after": "b" } } }),
        ),
    );
    let mut req = text("k", "Link: https://owlery.example");
    req.as_comment = true;
    req.reply_to = Some(RemoteRef {
        id: post.clone(),
        cid: None,
        root: None,
    });
    let got = fb
        .lookup(&creds(), &req, SystemTime::now() - Duration::from_secs(300))
        .await
        .unwrap();
    let Lookup::Found(p) = got else {
        panic!("{got:?}")
    };
    assert_eq!(p.remote.id, "111_7");
    assert_eq!(p.remote.root.unwrap().id, post);
    let q = server.requests_to("GET", &format!("/{post}/comments"))[0].query_pairs();
    assert_eq!(q["order"], "reverse_chronological");
}

#[tokio::test]
async fn delete_succeeds_and_deleting_again_too() {
    let (server, fb, _) = start().await;
    let post = format!("{PAGE}_111");
    let remote = RemoteRef {
        id: post.clone(),
        cid: None,
        root: None,
    };
    server.on(
        "DELETE",
        &format!("/{post}"),
        Reply::json(200, json!({ "success": true })),
    );
    // Already gone: Graph's documented answer for an object that no longer exists.
    server.on(
        "DELETE",
        &format!("/{post}"),
        Reply::json(
            400,
            meta_error(
                100,
                Some(33),
                &format!(
                    "Unsupported delete request. Object with ID '{post}' does not exist, cannot be \
                     loaded due to missing permissions, or does not support this operation. \
                     Please read the Graph API documentation at \
                     https://developers.facebook.com/docs/graph-api"
                ),
                None,
            ),
        ),
    );
    fb.delete(&creds(), &remote).await.unwrap();
    fb.delete(&creds(), &remote).await.unwrap();
    assert_eq!(server.requests_to("DELETE", &format!("/{post}")).len(), 2);

    // A dead token is not "already gone".
    let (server, fb, _) = start().await;
    server.on(
        "DELETE",
        &format!("/{post}"),
        Reply::json(400, meta_error(190, Some(460), "Error validating access token: The session has been invalidated because the user changed their password.", None)),
    );
    let err = fb.delete(&creds(), &remote).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn status_reads_reactions_comments_and_shares() {
    let (server, fb, _) = start().await;
    let post = format!("{PAGE}_111");
    server.on(
        "GET",
        &format!("/{post}"),
        Reply::json(
            200,
            json!({
                "permalink_url": "https://www.facebook.com/1234567890/posts/111",
                "shares": { "count": 3 },
                "reactions": { "data": [], "summary": { "total_count": 12, "viewer_reaction": "NONE" } },
                "comments": { "data": [], "summary": { "order": "ranked", "total_count": 4, "can_comment": true } },
                "id": post,
            }),
        ),
    );
    let remote = RemoteRef {
        id: post.clone(),
        cid: None,
        root: None,
    };
    let status = fb.status(&creds(), &remote).await.unwrap();
    assert!(status.exists);
    assert_eq!(status.metrics.likes, Some(12));
    assert_eq!(status.metrics.comments, Some(4));
    assert_eq!(status.metrics.shares, Some(3));
    assert_eq!(
        server.requests_to("GET", &format!("/{post}"))[0].query_pairs()["fields"],
        "id,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count)"
    );

    let (server, fb, _) = start().await;
    server.on(
        "GET",
        &format!("/{post}"),
        Reply::json(
            400,
            meta_error(
                100,
                Some(33),
                "Unsupported get request. Object with ID '1234567890_111' does not exist",
                None,
            ),
        ),
    );
    let status = fb.status(&creds(), &remote).await.unwrap();
    assert!(!status.exists);
}

#[tokio::test]
async fn page_tokens_need_no_refresh_and_oauth_uses_facebook_login() {
    let (server, fb, _) = start().await;
    let mut c = creds();
    c.expires_at = Some(SystemTime::now() + Duration::from_secs(60));
    assert!(fb.refresh(&c).await.unwrap().is_none());
    assert!(server.requests().is_empty());

    let spec = fb.oauth(None).unwrap();
    assert_eq!(
        spec.authorize_url,
        "https://www.facebook.com/v21.0/dialog/oauth"
    );
    assert_eq!(
        spec.token_url,
        format!("{}/oauth/access_token", server.url())
    );
    assert_eq!(spec.scopes, SCOPES.map(str::to_owned).to_vec());
    let pending = owlery_networks::oauth::Pending::new();
    let url =
        owlery_networks::oauth::authorize_url(&spec, "app-1", "https://owl.example/cb", &pending)
            .unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    let scope = parsed
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .unwrap()
        .1
        .into_owned();
    assert!(scope.starts_with("pages_show_list,pages_manage_posts,pages_read_engagement"));
    assert!(scope.contains("pages_manage_engagement,pages_read_user_engagement"));
}

#[tokio::test]
async fn pages_lists_each_managed_page_with_its_token() {
    let (server, fb, _) = start().await;
    // GET /me/accounts as the Pages API overview shows it.
    server.on(
        "GET",
        "/me/accounts",
        Reply::json(
            200,
            json!({
                "data": [
                    { "access_token": "EAAPageTokenOne1234", "category": "Brand",
                      "category_list": [{ "id": "1", "name": "Brand" }],
                      "name": "Owlery Café", "id": "111",
                      "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"] },
                ],
                "paging": {
                    "cursors": { "before": "MTA", "after": "MjA" },
                    "next": "https://graph.facebook.com/v21.0/me/accounts?access_token=USER&limit=100&after=MjA"
                }
            }),
        ),
    );
    server.on(
        "GET",
        "/me/accounts",
        Reply::json(
            200,
            json!({ "data": [
                { "access_token": "EAAPageTokenTwo5678", "name": "Owlery Shop", "id": "222",
                  "tasks": ["CREATE_CONTENT"] }
            ], "paging": { "cursors": { "before": "MjA", "after": "MjA" } } }),
        ),
    );
    let user = SecretString::from("EAAUserLongLivedToken999".to_owned());
    let pages = fb.pages(&user).await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].0, "111");
    assert_eq!(pages[0].1, "Owlery Café");
    assert_eq!(pages[0].2.expose_secret(), "EAAPageTokenOne1234");
    assert_eq!(pages[1].0, "222");
    let sent = server.requests_to("GET", "/me/accounts");
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer EAAUserLongLivedToken999")
    );
    assert_eq!(sent[1].query_pairs()["after"], "MjA");
    // `access_token` is asked for as a field, never sent as a parameter
    assert!(
        sent.iter()
            .all(|r| !r.query_pairs().contains_key("access_token") && !r.query.contains("USER"))
    );
}

fn reply_target(
    kind: owlery_domain::inbox::MessageKind,
    message: &str,
) -> owlery_networks::inbox::ReplyRequest {
    owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind,
            message_id: message.into(),
            parent_id: None,
            root_id: Some(format!("{PAGE}_111")),
            thread_id: None,
            contact_id: "5550001".into(),
            contact_handle: "Ana Petrova".into(),
        },
        text: "Thanks Ana, we open at 9.".into(),
    }
}

/// Fixture: answering a comment is a comment on that comment, `POST /{comment-id}/comments`
/// (developers.facebook.com/docs/graph-api/reference/object/comments, "Publishing").
#[tokio::test]
async fn an_answer_to_a_comment_is_a_comment_on_the_comment() {
    use owlery_domain::inbox::MessageKind;
    let (server, fb, _) = start().await;
    let comment = "111_555";
    server.on(
        "POST",
        &format!("/{comment}/comments"),
        Reply::json(200, json!({ "id": "111_556" })),
    );
    permalink(
        &server,
        "111_556",
        "https://www.facebook.com/1234567890/posts/111?comment_id=556",
    );
    assert!(fb.can_reply(MessageKind::Comment));
    assert!(fb.can_reply(MessageKind::Dm));
    let published = fb
        .reply(&creds(), &reply_target(MessageKind::Comment, comment))
        .await
        .unwrap();
    assert_eq!(published.remote.id, "111_556");
    let sent = server.requests_to("POST", &format!("/{comment}/comments"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].form()["message"], "Thanks Ana, we open at 9.");

    // Fixture: a message to the Page is answered with the Send API (developers.facebook.com/
    // docs/messenger-platform/reference/send-api), `messaging_type: RESPONSE`.
    server.on(
        "POST",
        &format!("/{PAGE}/messages"),
        Reply::json(200, json!({ "recipient_id": "5550001", "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P" })),
    );
    let p = fb
        .reply(&creds(), &reply_target(MessageKind::Dm, "m_1"))
        .await
        .unwrap();
    assert!(p.remote.id.starts_with("m_AG5"));
    let sent = server.requests_to("POST", &format!("/{PAGE}/messages"));
    assert_eq!(
        sent[0].json(),
        json!({"recipient": {"id": "5550001"}, "messaging_type": "RESPONSE", "message": {"text": "Thanks Ana, we open at 9."}})
    );
    assert_eq!(
        sent[0].headers["authorization"],
        format!("Bearer {TOKEN}").as_str()
    );
    // Someone without a Graph id cannot be answered; nothing is sent.
    let mut bad = reply_target(MessageKind::Dm, "m_2");
    bad.target.contact_id = "../me".into();
    let err = fb.reply(&creds(), &bad).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    assert_eq!(
        server
            .requests_to("POST", &format!("/{PAGE}/messages"))
            .len(),
        1
    );
}
