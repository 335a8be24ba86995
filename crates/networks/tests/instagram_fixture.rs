//! The Instagram connector against a local fixture server. Every scripted reply is a fixture
//! mirroring Meta's documentation: the content publishing guide
//! <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/content-publishing>
//! (containers, `status_code`, `media_publish`, `content_publishing_limit`), the IG User Media and
//! IG Media references, Instagram's error codes
//! <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/error-codes>
//! and the long-lived token guide. It proves the connector speaks the documented protocol, not
//! that Instagram answers this way today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::instagram::{Instagram, SCOPES};
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishPart, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const IG: &str = "17841400008460056";
const TOKEN: &str = "EAAGm0PX4ZCpsBAInstagramPageToken77";
const CLIENT_SECRET: &str = "app-secret-4f2b9c81d7";

fn env(server: &Fixture) -> Env {
    Env {
        base_url: Some(server.url()),
        ..Env::default()
    }
}

fn connector(env: Env) -> Instagram {
    Instagram::new(env)
        .unwrap()
        .with_polling(Duration::from_millis(10), Duration::from_millis(500))
}

async fn start() -> (Fixture, Instagram, Env) {
    let server = Fixture::start().await.unwrap();
    let env = env(&server);
    (server, connector(env.clone()), env)
}

fn creds() -> Credentials {
    Credentials::new("owlery", TOKEN).with_account(IG)
}

fn image(alt: &str, url: &str) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: b"\xff\xd8\xff jpeg".to_vec(),
        mime: "image/jpeg".into(),
        alt: alt.into(),
        width: 1080,
        height: 1350,
        duration_ms: None,
        url: Some(url.into()),
    }
}

fn video(url: &str) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Video,
        bytes: b"mp4".to_vec(),
        mime: "video/mp4".into(),
        alt: String::new(),
        width: 1080,
        height: 1920,
        duration_ms: Some(15_000),
        url: Some(url.into()),
    }
}

fn req(text: &str, placement: &str, media: Vec<MediaUpload>) -> PublishRequest {
    PublishRequest {
        placement: placement.into(),
        part: PublishPart {
            text: text.into(),
            media,
            ..PublishPart::default()
        },
        ..PublishRequest::new("variant-7:0", text)
    }
}

fn no_secret(e: &ConnectorError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(TOKEN), "token leaked: {shown}");
    assert!(
        !shown.contains(CLIENT_SECRET),
        "client secret leaked: {shown}"
    );
}

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
        "is_transient": false,
        "fbtrace_id": "A6LJylpZRKw2xKLFsAP-cJh",
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

/// The documented `content_publishing_limit` answer.
fn quota(server: &Fixture, used: u64) {
    server.on(
        "GET",
        &format!("/{IG}/content_publishing_limit"),
        Reply::json(
            200,
            json!({ "data": [ { "quota_usage": used, "config": { "quota_total": 50, "quota_duration": 86400 } } ] }),
        ),
    );
}

fn status(server: &Fixture, container: &str, code: &str) {
    server.on(
        "GET",
        &format!("/{container}"),
        Reply::json(200, json!({ "status_code": code, "id": container })),
    );
}

fn published(server: &Fixture, media: &str, permalink: &str) {
    server.on(
        "POST",
        &format!("/{IG}/media_publish"),
        Reply::json(200, json!({ "id": media })),
    );
    server.on(
        "GET",
        &format!("/{media}"),
        Reply::json(200, json!({ "permalink": permalink, "id": media })),
    );
}

#[tokio::test]
async fn verify_reads_the_professional_account() {
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        &format!("/{IG}"),
        Reply::json(200, json!({ "id": IG, "username": "owlery" })),
    );
    let account = ig.verify(&creds()).await.unwrap();
    assert_eq!(account.id, IG);
    assert_eq!(account.handle, "owlery");
    let sent = &server.requests()[0];
    assert_eq!(sent.query_pairs()["fields"], "id,username");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!sent.query_pairs().contains_key("access_token"));
}

#[tokio::test]
async fn publishes_one_image_with_alt_text_in_three_steps() {
    let (server, ig, env) = start().await;
    quota(&server, 2);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(200, json!({ "id": "17889455560051444" })),
    );
    status(&server, "17889455560051444", "FINISHED");
    published(
        &server,
        "17920238422030506",
        "https://www.instagram.com/p/C9xYz12AbCd/",
    );
    let mut r = req(
        "Dusk at the owlery #owls",
        "feed",
        vec![image(
            "A barn owl on a fence post at dusk",
            "https://media.owlery.example/owl.jpg",
        )],
    );
    r.part.link = None;
    let p = ig.publish(&creds(), &r).await.unwrap();
    assert_eq!(p.remote.id, "17920238422030506");
    assert_eq!(p.url, "https://www.instagram.com/p/C9xYz12AbCd/");

    let container = server.requests_to("POST", &format!("/{IG}/media"))[0].form();
    assert_eq!(
        container["image_url"],
        "https://media.owlery.example/owl.jpg"
    );
    assert_eq!(container["caption"], "Dusk at the owlery #owls");
    assert_eq!(container["alt_text"], "A barn owl on a fence post at dusk");
    assert!(!container.contains_key("media_type"));
    assert_eq!(
        server.requests_to("GET", "/17889455560051444")[0].query_pairs()["fields"],
        "status_code,status"
    );
    assert_eq!(
        server.requests_to("POST", &format!("/{IG}/media_publish"))[0].form()["creation_id"],
        "17889455560051444"
    );
    // the quota read was filed: 48 left, nothing to wait for
    assert_eq!(
        env.budgets.wait(Network::Instagram, IG, SystemTime::now()),
        None
    );
    for r in server.requests() {
        assert!(!r.query_pairs().contains_key("access_token"));
        assert!(!r.query.contains(TOKEN));
    }
}

#[tokio::test]
async fn a_carousel_makes_item_containers_then_the_carousel() {
    let (server, ig, _) = start().await;
    quota(&server, 0);
    let media = format!("/{IG}/media");
    for id in ["c1", "c2", "c3"] {
        server.on("POST", &media, Reply::json(200, json!({ "id": id })));
    }
    // the video item is processed first
    status(&server, "c2", "IN_PROGRESS");
    status(&server, "c2", "FINISHED");
    status(&server, "c3", "FINISHED");
    published(&server, "m3", "https://www.instagram.com/p/Carousel/");
    let r = req(
        "Three owls",
        "carousel",
        vec![
            image("First owl", "https://cdn.example/1.jpg"),
            video("https://cdn.example/2.mp4"),
        ],
    );
    let p = ig.publish(&creds(), &r).await.unwrap();
    assert_eq!(p.remote.id, "m3");
    let containers = server.requests_to("POST", &media);
    assert_eq!(containers.len(), 3);
    let first = containers[0].form();
    assert_eq!(first["is_carousel_item"], "true");
    assert_eq!(first["image_url"], "https://cdn.example/1.jpg");
    assert_eq!(first["alt_text"], "First owl");
    assert!(!first.contains_key("caption"));
    let second = containers[1].form();
    assert_eq!(second["is_carousel_item"], "true");
    assert_eq!(second["media_type"], "VIDEO");
    assert_eq!(second["video_url"], "https://cdn.example/2.mp4");
    let carousel = containers[2].form();
    assert_eq!(carousel["media_type"], "CAROUSEL");
    assert_eq!(carousel["children"], "c1,c2");
    assert_eq!(carousel["caption"], "Three owls");
    assert_eq!(server.requests_to("GET", "/c2").len(), 2);
    assert_eq!(
        server.requests_to("POST", &format!("/{IG}/media_publish"))[0].form()["creation_id"],
        "c3"
    );
}

#[tokio::test]
async fn a_reel_waits_for_processing_and_takes_no_alt_text() {
    let (server, ig, _) = start().await;
    quota(&server, 10);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(200, json!({ "id": "r1" })),
    );
    status(&server, "r1", "IN_PROGRESS");
    status(&server, "r1", "IN_PROGRESS");
    status(&server, "r1", "FINISHED");
    published(&server, "m9", "https://www.instagram.com/reel/Abc/");
    let mut v = video("https://cdn.example/reel.mp4");
    v.alt = "not sent".into();
    let p = ig
        .publish(&creds(), &req("Watch them fly", "reel", vec![v]))
        .await
        .unwrap();
    assert_eq!(p.url, "https://www.instagram.com/reel/Abc/");
    let form = server.requests_to("POST", &format!("/{IG}/media"))[0].form();
    assert_eq!(form["media_type"], "REELS");
    assert_eq!(form["video_url"], "https://cdn.example/reel.mp4");
    assert_eq!(form["caption"], "Watch them fly");
    assert_eq!(form["share_to_feed"], "true");
    assert!(!form.contains_key("alt_text"));
    assert_eq!(server.requests_to("GET", "/r1").len(), 3);
}

#[tokio::test]
async fn a_story_has_no_caption() {
    let (server, ig, _) = start().await;
    quota(&server, 10);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(200, json!({ "id": "s1" })),
    );
    status(&server, "s1", "FINISHED");
    published(
        &server,
        "m5",
        "https://www.instagram.com/stories/owlery/m5/",
    );
    ig.publish(
        &creds(),
        &req(
            "",
            "story",
            vec![image("", "https://cdn.example/story.jpg")],
        ),
    )
    .await
    .unwrap();
    let form = server.requests_to("POST", &format!("/{IG}/media"))[0].form();
    assert_eq!(form["media_type"], "STORIES");
    assert_eq!(form["image_url"], "https://cdn.example/story.jpg");
    assert!(!form.contains_key("caption"));
}

#[tokio::test]
async fn a_first_comment_goes_under_the_media() {
    let (server, ig, _) = start().await;
    server.on(
        "POST",
        "/17920238422030506/comments",
        Reply::json(200, json!({ "id": "17870913679156914" })),
    );
    server.on(
        "GET",
        "/17920238422030506",
        Reply::json(
            200,
            json!({ "permalink": "https://www.instagram.com/p/C9xYz12AbCd/", "id": "17920238422030506" }),
        ),
    );
    let mut r = req("#owls #birds #nature", "", vec![]);
    r.as_comment = true;
    r.reply_to = Some(RemoteRef {
        id: "17920238422030506".into(),
        cid: None,
        root: None,
    });
    let p = ig.publish(&creds(), &r).await.unwrap();
    assert_eq!(p.remote.id, "17870913679156914");
    assert_eq!(p.remote.root.as_ref().unwrap().id, "17920238422030506");
    assert_eq!(p.url, "https://www.instagram.com/p/C9xYz12AbCd/");
    let sent = server.requests_to("POST", "/17920238422030506/comments");
    assert_eq!(sent[0].form()["message"], "#owls #birds #nature");
    // a comment is not a post: no quota read, no container
    assert!(
        server
            .requests_to("GET", &format!("/{IG}/content_publishing_limit"))
            .is_empty()
    );
}

#[tokio::test]
async fn what_instagram_cannot_do_is_refused_before_sending() {
    let (server, ig, _) = start().await;
    let mut no_url = image("alt", "https://x");
    no_url.url = None;
    let mut png = image("alt", "https://cdn.example/a.png");
    png.mime = "image/png".into();
    let mut thread = req("part two", "", vec![]);
    thread.reply_to = Some(RemoteRef {
        id: "179".into(),
        cid: None,
        root: None,
    });
    let cases = vec![
        (req("Just words", "", vec![]), "text alone"),
        (req("c", "", vec![no_url]), "public address"),
        (req("c", "", vec![png]), "JPEG"),
        (thread, "no threads"),
        (
            req(
                "caption",
                "story",
                vec![image("", "https://cdn.example/s.jpg")],
            ),
            "no caption",
        ),
        (
            req("c", "reel", vec![image("", "https://cdn.example/s.jpg")]),
            "one video",
        ),
    ];
    for (r, why) in cases {
        let err = ig.publish(&creds(), &r).await.unwrap_err();
        match &err {
            ConnectorError::Permanent { reason } => assert!(reason.contains(why), "{reason}"),
            other => panic!("{why}: {other:?}"),
        }
        assert_eq!(
            ig.lookup(&creds(), &r, SystemTime::now()).await.unwrap(),
            Lookup::Absent
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn a_container_error_is_permanent_with_metas_status_and_nothing_is_published() {
    let (server, ig, _) = start().await;
    quota(&server, 1);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(200, json!({ "id": "bad1" })),
    );
    server.on(
        "GET",
        "/bad1",
        Reply::json(
            200,
            json!({ "status_code": "ERROR", "status": "Error: Media upload has failed with error code 2207026", "id": "bad1" }),
        ),
    );
    let err = ig
        .publish(
            &creds(),
            &req("c", "reel", vec![video("https://cdn.example/v.avi")]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("2207026")),
        "{err:?}"
    );
    assert!(
        server
            .requests_to("POST", &format!("/{IG}/media_publish"))
            .is_empty()
    );
}

#[tokio::test]
async fn the_wait_for_processing_is_bounded() {
    let server = Fixture::start().await.unwrap();
    let ig = Instagram::new(env(&server))
        .unwrap()
        .with_polling(Duration::from_millis(10), Duration::from_millis(60));
    quota(&server, 1);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(200, json!({ "id": "slow1" })),
    );
    status(&server, "slow1", "IN_PROGRESS");
    let err = ig
        .publish(
            &creds(),
            &req("c", "reel", vec![video("https://cdn.example/v.mp4")]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    let polls = server.requests_to("GET", "/slow1").len();
    assert!((2..=8).contains(&polls), "{polls} polls");
    assert!(
        server
            .requests_to("POST", &format!("/{IG}/media_publish"))
            .is_empty()
    );
}

#[tokio::test]
async fn a_used_up_publishing_quota_waits_and_is_filed() {
    let (server, ig, env) = start().await;
    quota(&server, 50);
    let err = ig
        .publish(
            &creds(),
            &req("c", "", vec![image("", "https://cdn.example/a.jpg")]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(86_400))
        }
    );
    assert!(
        server
            .requests_to("POST", &format!("/{IG}/media"))
            .is_empty()
    );
    let wait = env
        .budgets
        .wait(Network::Instagram, IG, SystemTime::now())
        .unwrap();
    assert!(wait > Duration::from_secs(86_000), "{wait:?}");
}

#[tokio::test]
async fn the_publishing_limit_error_is_a_rate_limit() {
    let (server, ig, env) = start().await;
    quota(&server, 3);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(200, json!({ "id": "c1" })),
    );
    status(&server, "c1", "FINISHED");
    server.on(
        "POST",
        &format!("/{IG}/media_publish"),
        Reply::json(
            400,
            meta_error(
                9,
                Some(2207042),
                "Application request limit reached",
                Some("You reached maximum number of posts that is allowed to be published by Content Publishing API."),
            ),
        )
        .header(
            "x-business-use-case-usage",
            &format!(
                r#"{{"{IG}":[{{"type":"instagram","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":60}}]}}"#
            ),
        ),
    );
    let err = ig
        .publish(
            &creds(),
            &req("c", "", vec![image("", "https://cdn.example/a.jpg")]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(3600))
        }
    );
    assert!(
        env.budgets
            .wait(Network::Instagram, IG, SystemTime::now())
            .is_some()
    );
}

#[tokio::test]
async fn a_media_publish_that_times_out_is_unknown() {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_millis(300),
        },
        ..env(&server)
    };
    let ig = connector(env);
    quota(&server, 1);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(200, json!({ "id": "c1" })),
    );
    status(&server, "c1", "FINISHED");
    server.on("POST", &format!("/{IG}/media_publish"), Reply::hang());
    let err = ig
        .publish(
            &creds(),
            &req("c", "", vec![image("", "https://cdn.example/a.jpg")]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    no_secret(&err);
}

#[tokio::test]
async fn error_bodies_become_the_right_errors() {
    let (server, ig, _) = start().await;
    let path = format!("/{IG}");
    server.on(
        "GET",
        &path,
        Reply::json(
            400,
            meta_error(
                190,
                None,
                "Error validating access token: The user has not authorized application 1234.",
                None,
            ),
        ),
    );
    server.on(
        "GET",
        &path,
        Reply::json(
            500,
            meta_error(
                2,
                None,
                "An unexpected error has occurred. Please retry your request later.",
                None,
            ),
        ),
    );
    let err = ig.verify(&creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_secret(&err);
    let err = ig.verify(&creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");

    // A documented validation error: the aspect ratio (36003 / 2207009).
    let (server, ig, _) = start().await;
    quota(&server, 1);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(
            400,
            meta_error(
                36003,
                Some(2207009),
                "The aspect ratio is not supported.",
                Some("The submitted image with aspect ratio ('0.3',) cannot be published. Please submit an image with a valid aspect ratio."),
            ),
        ),
    );
    let err = ig
        .publish(
            &creds(),
            &req("c", "", vec![image("", "https://cdn.example/tall.jpg")]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("valid aspect ratio")),
        "{err:?}"
    );

    // A media download timeout (-2 / 2207003): try again.
    let (server, ig, _) = start().await;
    quota(&server, 1);
    server.on(
        "POST",
        &format!("/{IG}/media"),
        Reply::json(
            400,
            meta_error(
                -2,
                Some(2207003),
                "It takes too long to download the media.",
                None,
            ),
        ),
    );
    let err = ig
        .publish(
            &creds(),
            &req("c", "", vec![image("", "https://cdn.example/slow.jpg")]),
        )
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

fn ig_time(ago: Duration) -> String {
    let t: chrono::DateTime<chrono::Utc> = (SystemTime::now() - ago).into();
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

#[tokio::test]
async fn lookup_finds_absent_and_cannot_tell() {
    let since = SystemTime::now() - Duration::from_secs(900);
    let media = format!("/{IG}/media");
    let one = req(
        "Dusk at the owlery",
        "",
        vec![image("", "https://cdn.example/a.jpg")],
    );

    // Found, caption matched with whitespace normalised
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        &media,
        Reply::json(
            200,
            json!({ "data": [
                { "id": "m2", "caption": "Other", "timestamp": ig_time(Duration::from_secs(30)),
                  "permalink": "https://www.instagram.com/p/Two/" },
                { "id": "m1", "caption": "Dusk  at the\nowlery", "timestamp": ig_time(Duration::from_secs(300)),
                  "permalink": "https://www.instagram.com/p/One/" },
            ], "paging": { "cursors": { "before": "a", "after": "b" } } }),
        ),
    );
    let got = ig.lookup(&creds(), &one, since).await.unwrap();
    let Lookup::Found(p) = got else {
        panic!("{got:?}")
    };
    assert_eq!(p.remote.id, "m1");
    assert_eq!(p.url, "https://www.instagram.com/p/One/");
    let q = server.requests_to("GET", &media)[0].query_pairs();
    assert_eq!(q["fields"], "id,caption,timestamp,permalink");
    assert!(q.contains_key("since"));

    // Absent: the list reaches back past the attempt
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        &media,
        Reply::json(
            200,
            json!({ "data": [
                { "id": "m2", "caption": "Other", "timestamp": ig_time(Duration::from_secs(30)) },
                { "id": "m0", "caption": "Dusk at the owlery", "timestamp": ig_time(Duration::from_secs(86_400)) },
            ], "paging": { "cursors": { "before": "a", "after": "b" },
                           "next": format!("https://graph.facebook.com/v21.0/{IG}/media?after=b") } }),
        ),
    );
    assert_eq!(
        ig.lookup(&creds(), &one, since).await.unwrap(),
        Lookup::Absent
    );

    // Cannot tell: every page is newer and there is always another
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        &media,
        Reply::json(
            200,
            json!({ "data": [
                { "id": "m2", "caption": "Other", "timestamp": ig_time(Duration::from_secs(30)) },
            ], "paging": { "cursors": { "before": "a", "after": "b" },
                           "next": format!("https://graph.facebook.com/v21.0/{IG}/media?after=b&limit=50") } }),
        ),
    );
    let got = ig.lookup(&creds(), &one, since).await.unwrap();
    assert!(matches!(got, Lookup::CannotTell { .. }), "{got:?}");
}

#[tokio::test]
async fn lookup_of_a_story_checks_the_accounts_stories() {
    let since = SystemTime::now() - Duration::from_secs(600);
    let story = req("", "story", vec![image("", "https://cdn.example/s.jpg")]);
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        &format!("/{IG}/stories"),
        Reply::json(
            200,
            json!({ "data": [
                { "id": "old", "media_type": "IMAGE", "timestamp": ig_time(Duration::from_secs(7200)) }
            ] }),
        ),
    );
    assert_eq!(
        ig.lookup(&creds(), &story, since).await.unwrap(),
        Lookup::Absent
    );

    let (server, ig, _) = start().await;
    server.on(
        "GET",
        &format!("/{IG}/stories"),
        Reply::json(
            200,
            json!({ "data": [
                { "id": "new", "media_type": "IMAGE", "timestamp": ig_time(Duration::from_secs(60)),
                  "permalink": "https://www.instagram.com/stories/owlery/new/" }
            ] }),
        ),
    );
    let got = ig.lookup(&creds(), &story, since).await.unwrap();
    assert!(matches!(got, Lookup::CannotTell { .. }), "{got:?}");
}

#[tokio::test]
async fn lookup_finds_a_first_comment() {
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        "/m1/comments",
        Reply::json(
            200,
            json!({ "data": [
                { "id": "c7", "text": "#owls #birds", "timestamp": ig_time(Duration::from_secs(20)) }
            ] }),
        ),
    );
    server.on(
        "GET",
        "/m1",
        Reply::json(
            200,
            json!({ "permalink": "https://www.instagram.com/p/One/", "id": "m1" }),
        ),
    );
    let mut r = req("#owls #birds", "", vec![]);
    r.as_comment = true;
    r.reply_to = Some(RemoteRef {
        id: "m1".into(),
        cid: None,
        root: None,
    });
    let got = ig
        .lookup(&creds(), &r, SystemTime::now() - Duration::from_secs(300))
        .await
        .unwrap();
    let Lookup::Found(p) = got else {
        panic!("{got:?}")
    };
    assert_eq!(p.remote.id, "c7");
    assert_eq!(p.remote.root.unwrap().id, "m1");
    assert_eq!(p.url, "https://www.instagram.com/p/One/");
}

#[tokio::test]
async fn posts_cannot_be_deleted_through_the_api_but_comments_can() {
    let (server, ig, _) = start().await;
    let post = RemoteRef {
        id: "m1".into(),
        cid: None,
        root: None,
    };
    let err = ig.delete(&creds(), &post).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("Instagram app")),
        "{err:?}"
    );
    assert!(server.requests().is_empty());

    let comment = RemoteRef {
        id: "c7".into(),
        cid: None,
        root: Some(Box::new(post)),
    };
    server.on(
        "DELETE",
        "/c7",
        Reply::json(200, json!({ "success": true })),
    );
    server.on(
        "DELETE",
        "/c7",
        Reply::json(
            400,
            meta_error(
                100,
                Some(33),
                "Unsupported delete request. Object with ID 'c7' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
                None,
            ),
        ),
    );
    ig.delete(&creds(), &comment).await.unwrap();
    ig.delete(&creds(), &comment).await.unwrap();
    assert_eq!(server.requests_to("DELETE", "/c7").len(), 2);
}

#[tokio::test]
async fn status_reads_likes_comments_and_insights() {
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        "/m1",
        Reply::json(
            200,
            json!({ "like_count": 42, "comments_count": 5, "permalink": "https://www.instagram.com/p/One/", "id": "m1" }),
        ),
    );
    server.on(
        "GET",
        "/m1/insights",
        Reply::json(
            200,
            json!({ "data": [
                { "name": "saved", "period": "lifetime", "values": [ { "value": 7 } ],
                  "title": "Saved", "description": "The number of saves of your post.", "id": "m1/insights/saved/lifetime" },
                { "name": "shares", "period": "lifetime", "values": [ { "value": 3 } ],
                  "title": "Shares", "description": "The number of shares of your post.", "id": "m1/insights/shares/lifetime" }
            ] }),
        ),
    );
    let remote = RemoteRef {
        id: "m1".into(),
        cid: None,
        root: None,
    };
    let s = ig.status(&creds(), &remote).await.unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.likes, Some(42));
    assert_eq!(s.metrics.comments, Some(5));
    assert_eq!(s.metrics.saves, Some(7));
    assert_eq!(s.metrics.shares, Some(3));
    assert_eq!(
        server.requests_to("GET", "/m1")[0].query_pairs()["fields"],
        "id,like_count,comments_count,permalink"
    );
    assert_eq!(
        server.requests_to("GET", "/m1/insights")[0].query_pairs()["metric"],
        "saved,shares"
    );

    // deleted in the app
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        "/m1",
        Reply::json(
            400,
            meta_error(
                100,
                Some(33),
                "Unsupported get request. Object with ID 'm1' does not exist",
                None,
            ),
        ),
    );
    assert!(!ig.status(&creds(), &remote).await.unwrap().exists);
}

fn expiring_creds() -> Credentials {
    let mut c = creds();
    c.expires_at = Some(SystemTime::now() + Duration::from_secs(3600));
    c.app = Some(AppCredentials {
        client_id: "1234567890123".into(),
        client_secret: SecretString::from(CLIENT_SECRET.to_owned()),
    });
    c
}

#[tokio::test]
async fn refresh_exchanges_a_user_token_and_leaves_page_tokens_alone() {
    // A Page token (no expiry): nothing to do.
    let (server, ig, _) = start().await;
    assert!(ig.refresh(&creds()).await.unwrap().is_none());
    assert!(server.requests().is_empty());

    // A user token with an expiry: fb_exchange_token, answered as the long-lived token guide shows.
    server.on(
        "POST",
        "/oauth/access_token",
        Reply::json(
            200,
            json!({ "access_token": "EAAnewLongLivedToken", "token_type": "bearer", "expires_in": 5_183_944 }),
        ),
    );
    let grant = ig.refresh(&expiring_creds()).await.unwrap().unwrap();
    assert_eq!(grant.access.expose_secret(), "EAAnewLongLivedToken");
    let in_days = grant
        .expires_at
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap()
        .as_secs()
        / 86_400;
    assert_eq!(in_days, 59);
    let sent = &server.requests_to("POST", "/oauth/access_token")[0];
    let form = sent.form();
    assert_eq!(form["grant_type"], "fb_exchange_token");
    assert_eq!(form["client_id"], "1234567890123");
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert_eq!(form["fb_exchange_token"], TOKEN);
    assert!(sent.query.is_empty(), "no secrets in the address");
}

#[tokio::test]
async fn refresh_failures_dead_grant_is_auth_and_passing_is_temporary() {
    // Meta's own shape of a dead token
    let (server, ig, _) = start().await;
    server.on(
        "POST",
        "/oauth/access_token",
        Reply::json(
            400,
            meta_error(
                190,
                Some(460),
                "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                None,
            ),
        ),
    );
    let err = ig.refresh(&expiring_creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_secret(&err);

    // The standard OAuth shape (RFC 6749 §5.2), should the endpoint answer in it
    let (server, ig, _) = start().await;
    server.on(
        "POST",
        "/oauth/access_token",
        Reply::json(
            400,
            json!({ "error": "invalid_grant", "error_description": "The token has been revoked" }),
        ),
    );
    let err = ig.refresh(&expiring_creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_secret(&err);

    // Unavailable: passing, never a disconnect
    let (server, ig, _) = start().await;
    server.on(
        "POST",
        "/oauth/access_token",
        Reply::text(503, "Service Unavailable"),
    );
    let err = ig.refresh(&expiring_creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    no_secret(&err);
}

#[tokio::test]
async fn accounts_lists_linked_professional_accounts_and_oauth_scopes() {
    let (server, ig, _) = start().await;
    server.on(
        "GET",
        "/me/accounts",
        Reply::json(
            200,
            json!({ "data": [
                { "access_token": "EAAPageTokenOne1234", "name": "Owlery Café", "id": "111",
                  "instagram_business_account": { "id": IG, "username": "owlery" } },
                { "access_token": "EAAPageTokenTwo5678", "name": "No Instagram", "id": "222" }
            ], "paging": { "cursors": { "before": "a", "after": "b" } } }),
        ),
    );
    let user = SecretString::from("EAAUserLongLivedToken999".to_owned());
    let accounts = ig.accounts(&user).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].0, IG);
    assert_eq!(accounts[0].1, "owlery");
    assert_eq!(accounts[0].2.expose_secret(), "EAAPageTokenOne1234");
    assert_eq!(
        server.requests_to("GET", "/me/accounts")[0].query_pairs()["fields"],
        "id,name,access_token,instagram_business_account{id,username}"
    );

    let spec = ig.oauth(None).unwrap();
    assert_eq!(
        spec.authorize_url,
        "https://www.facebook.com/v21.0/dialog/oauth"
    );
    assert_eq!(
        spec.token_url,
        format!("{}/oauth/access_token", server.url())
    );
    assert_eq!(spec.scope_separator, ",");
    assert_eq!(
        spec.scopes.join(","),
        "instagram_basic,instagram_content_publish,instagram_manage_comments,instagram_manage_insights,pages_show_list,pages_read_engagement"
    );
    assert_eq!(spec.scopes, SCOPES.map(str::to_owned).to_vec());
}

fn answer(kind: owlery_domain::inbox::MessageKind) -> owlery_networks::inbox::ReplyRequest {
    owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind,
            message_id: "17870913679156914".into(),
            parent_id: None,
            root_id: Some("17895695668004550".into()),
            thread_id: None,
            contact_id: "6543210987654321".into(),
            contact_handle: "ana".into(),
        },
        text: "Thank you, Ana!".into(),
    }
}

/// Fixture: a comment is answered with `POST /{ig-comment-id}/replies` and `message`
/// (developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/
/// replies); a direct message with the Send API, `POST /{ig-user-id}/messages`
/// (developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/messaging-api).
/// Looking an answer up reads the comment's replies.
#[tokio::test]
async fn comments_get_replies_and_direct_messages_go_through_the_send_api() {
    use owlery_domain::inbox::MessageKind;
    let (server, ig, _) = start().await;
    let comment = "17870913679156914";
    server.on(
        "POST",
        &format!("/{comment}/replies"),
        Reply::json(200, json!({ "id": "17873440459141021" })),
    );
    server.on(
        "GET",
        "/17895695668004550",
        Reply::json(200, json!({ "permalink": "https://www.instagram.com/p/Cabc123/", "id": "17895695668004550" })),
    );
    let p = ig
        .reply(&creds(), &answer(MessageKind::Comment))
        .await
        .unwrap();
    assert_eq!(p.remote.id, "17873440459141021");
    assert_eq!(p.url, "https://www.instagram.com/p/Cabc123/");
    let sent = server.requests_to("POST", &format!("/{comment}/replies"));
    assert_eq!(sent[0].form()["message"], "Thank you, Ana!");

    server.on(
        "GET",
        &format!("/{comment}/replies"),
        Reply::json(200, json!({ "data": [
            { "id": "17873440459141021", "text": "Thank you,  Ana!", "timestamp": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S+0000").to_string() }
        ] })),
    );
    let found = ig
        .lookup_reply(
            &creds(),
            &answer(MessageKind::Comment),
            SystemTime::now() - Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(
        matches!(found, Lookup::Found(ref p) if p.remote.id == "17873440459141021"),
        "{found:?}"
    );

    server.on(
        "POST",
        &format!("/{IG}/messages"),
        Reply::json(
            200,
            json!({ "recipient_id": "6543210987654321", "message_id": "aWdfZAG1faXRlbToxOklH" }),
        ),
    );
    let p = ig.reply(&creds(), &answer(MessageKind::Dm)).await.unwrap();
    assert_eq!(p.remote.id, "aWdfZAG1faXRlbToxOklH");
    let sent = server.requests_to("POST", &format!("/{IG}/messages"));
    assert_eq!(
        sent[0].json(),
        json!({"recipient": {"id": "6543210987654321"}, "messaging_type": "RESPONSE", "message": {"text": "Thank you, Ana!"}})
    );
    assert!(!ig.can_reply(MessageKind::Mention));
}
