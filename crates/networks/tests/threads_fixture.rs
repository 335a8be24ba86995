//! The Threads connector against local fixtures. Every response below is a FIXTURE MIRRORING THE
//! DOCS: bodies, error bodies and headers shaped as Meta's Threads API documentation shows them
//! (developers.facebook.com/docs/threads pages named at each test). They prove the connector
//! speaks the documented protocol, not that Threads answers this way today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use owlery_networks::budget::BudgetBook;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::oauth::ClientAuth;
use owlery_networks::threads::Threads;
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishPart, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const TOKEN: &str = "THQVJthreads-access-token-0123456789";
const USER: &str = "1234567";
const MEDIA: &str = "17920238422030506";

struct Setup {
    server: Fixture,
    threads: Threads,
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
    let threads = Threads::new(env)
        .unwrap()
        .with_polling(Duration::from_millis(5), 3);
    Setup {
        server,
        threads,
        budgets,
    }
}

async fn setup() -> Setup {
    setup_with(HttpConfig::default()).await
}

fn creds() -> Credentials {
    Credentials::new("owlery", TOKEN).with_account(USER)
}

fn v(path: &str) -> String {
    format!("/v1.0/{path}")
}

/// Fixture: `threads_publishing_limit` (docs/threads/troubleshooting#retrieve-publishing-quota-limit).
fn quota(used: u64, replies_used: u64) -> Reply {
    Reply::json(
        200,
        json!({"data": [{
            "quota_usage": used, "config": {"quota_total": 250, "quota_duration": 86400},
            "reply_quota_usage": replies_used, "reply_config": {"quota_total": 1000, "quota_duration": 86400}
        }]}),
    )
}

/// Fixture: container status (docs/threads/troubleshooting: `{"status": "FINISHED", "id": …}`).
fn container_status(id: &str, status: &str) -> Reply {
    Reply::json(200, json!({"status": status, "id": id}))
}

fn meta_error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Reply {
    let mut error = json!({"message": message, "type": "OAuthException", "code": code,
                           "fbtrace_id": "AbCdEfGh123"});
    if let Some(sub) = subcode {
        error["error_subcode"] = json!(sub);
    }
    Reply::json(status, json!({ "error": error }))
}

/// Scripts a whole single-container publish: quota, container `container`, FINISHED, publish as
/// `MEDIA`, permalink.
fn script_publish(server: &Fixture, container: &str) {
    server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(4, 0),
    );
    server.on(
        "POST",
        &v(&format!("{USER}/threads")),
        Reply::json(200, json!({"id": container})),
    );
    server.on(
        "GET",
        &v(container),
        container_status(container, "FINISHED"),
    );
    server.on(
        "POST",
        &v(&format!("{USER}/threads_publish")),
        Reply::json(200, json!({"id": MEDIA})),
    );
    server.on(
        "GET",
        &v(MEDIA),
        Reply::json(
            200,
            json!({"permalink": "https://www.threads.net/@owlery/post/C3b7Xz", "id": MEDIA}),
        ),
    );
}

fn image(url: &str, alt: &str) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: vec![1, 2, 3],
        mime: "image/jpeg".into(),
        alt: alt.into(),
        url: Some(url.into()),
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
async fn verify_reads_the_profile_with_a_bearer_header() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v("me"),
        Reply::json(200, json!({"id": USER, "username": "owlery"})),
    );
    let me = s.threads.verify(&creds()).await.unwrap();
    assert_eq!(me.id, USER);
    assert_eq!(me.handle, "owlery");
    let sent = &s.server.requests_to("GET", &v("me"))[0];
    assert_eq!(sent.query_pairs()["fields"], "id,username");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!sent.query.contains(TOKEN), "no token in the address");
}

#[tokio::test]
async fn publishes_text_through_a_container() {
    let s = setup().await;
    script_publish(&s.server, "1111");
    let mut req = PublishRequest::new("v:0", "Hello Threads");
    req.part.link = Some("https://owlery.example".into());
    let published = s.threads.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, MEDIA);
    assert_eq!(published.url, "https://www.threads.net/@owlery/post/C3b7Xz");

    let quota = &s
        .server
        .requests_to("GET", &v(&format!("{USER}/threads_publishing_limit")))[0];
    assert!(quota.query_pairs()["fields"].contains("quota_usage"));
    let container = s.server.requests_to("POST", &v(&format!("{USER}/threads")));
    assert_eq!(container.len(), 1);
    let form = container[0].form();
    assert_eq!(form["media_type"], "TEXT");
    assert_eq!(form["text"], "Hello Threads");
    assert_eq!(form["link_attachment"], "https://owlery.example");
    assert!(!form.contains_key("reply_to_id"));
    assert!(!form.contains_key("access_token"));
    let status = &s.server.requests_to("GET", &v("1111"))[0];
    assert_eq!(status.query_pairs()["fields"], "status,error_message");
    let publish = &s
        .server
        .requests_to("POST", &v(&format!("{USER}/threads_publish")))[0];
    assert_eq!(publish.form()["creation_id"], "1111");
    assert_eq!(
        s.server.requests_to("GET", &v(MEDIA))[0].query_pairs()["fields"],
        "permalink"
    );
    for r in s.server.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(!r.query.contains(TOKEN) && !r.text().contains(TOKEN));
    }
}

#[tokio::test]
async fn an_image_goes_by_its_public_address_with_alt_text() {
    let s = setup().await;
    script_publish(&s.server, "1111");
    let req = with_media(
        "Our new office",
        vec![image(
            "https://cdn.owlery.example/office.jpg",
            "A bright open office",
        )],
    );
    s.threads.publish(&creds(), &req).await.unwrap();
    let form = s.server.requests_to("POST", &v(&format!("{USER}/threads")))[0].form();
    assert_eq!(form["media_type"], "IMAGE");
    assert_eq!(form["image_url"], "https://cdn.owlery.example/office.jpg");
    assert_eq!(form["alt_text"], "A bright open office");
    assert_eq!(form["text"], "Our new office");
    assert!(!form.contains_key("is_carousel_item"));
}

#[tokio::test]
async fn a_carousel_is_made_of_item_containers() {
    let s = setup().await;
    let create = v(&format!("{USER}/threads"));
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(0, 0),
    );
    for id in ["2001", "2002", "2003"] {
        s.server
            .on("POST", &create, Reply::json(200, json!({"id": id})));
        s.server.on("GET", &v(id), container_status(id, "FINISHED"));
    }
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads_publish")),
        Reply::json(200, json!({"id": MEDIA})),
    );
    s.server.on(
        "GET",
        &v(MEDIA),
        Reply::json(
            200,
            json!({"permalink": "https://www.threads.net/@owlery/post/X", "id": MEDIA}),
        ),
    );
    let mut clip = image("https://cdn.owlery.example/clip.mp4", "The clip");
    clip.kind = MediaKind::Video;
    clip.mime = "video/mp4".into();
    let req = with_media(
        "Two things",
        vec![image("https://cdn.owlery.example/a.jpg", "First"), clip],
    );
    s.threads.publish(&creds(), &req).await.unwrap();

    let sent = s.server.requests_to("POST", &create);
    assert_eq!(sent.len(), 3);
    let (a, b, carousel) = (sent[0].form(), sent[1].form(), sent[2].form());
    assert_eq!(a["is_carousel_item"], "true");
    assert_eq!(a["media_type"], "IMAGE");
    assert_eq!(a["alt_text"], "First");
    assert!(!a.contains_key("text"));
    assert_eq!(b["is_carousel_item"], "true");
    assert_eq!(b["media_type"], "VIDEO");
    assert_eq!(b["video_url"], "https://cdn.owlery.example/clip.mp4");
    assert_eq!(b["alt_text"], "The clip");
    assert_eq!(carousel["media_type"], "CAROUSEL");
    assert_eq!(carousel["children"], "2001,2002");
    assert_eq!(carousel["text"], "Two things");
    for id in ["2001", "2002", "2003"] {
        assert_eq!(s.server.requests_to("GET", &v(id)).len(), 1, "{id} polled");
    }
    assert_eq!(
        s.server
            .requests_to("POST", &v(&format!("{USER}/threads_publish")))[0]
            .form()["creation_id"],
        "2003"
    );
}

#[tokio::test]
async fn a_video_is_polled_until_finished() {
    let status = v("3001");
    let s = setup().await;
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(0, 0),
    );
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads")),
        Reply::json(200, json!({"id": "3001"})),
    );
    s.server
        .on("GET", &status, container_status("3001", "IN_PROGRESS"));
    s.server
        .on("GET", &status, container_status("3001", "IN_PROGRESS"));
    s.server
        .on("GET", &status, container_status("3001", "FINISHED"));
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads_publish")),
        Reply::json(200, json!({"id": MEDIA})),
    );
    s.server.on(
        "GET",
        &v(MEDIA),
        Reply::json(
            200,
            json!({"permalink": "https://www.threads.net/@owlery/post/V", "id": MEDIA}),
        ),
    );
    let mut clip = image("https://cdn.owlery.example/clip.mp4", "");
    clip.kind = MediaKind::Video;
    clip.mime = "video/mp4".into();
    s.threads
        .publish(&creds(), &with_media("", vec![clip]))
        .await
        .unwrap();
    assert_eq!(s.server.requests_to("GET", &status).len(), 3);
    let form = s.server.requests_to("POST", &v(&format!("{USER}/threads")))[0].form();
    assert_eq!(form["media_type"], "VIDEO");
    assert!(!form.contains_key("alt_text"));
    assert!(!form.contains_key("text"));
}

#[tokio::test]
async fn a_container_in_error_is_permanent_and_nothing_is_published() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(0, 0),
    );
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads")),
        Reply::json(200, json!({"id": "4001"})),
    );
    // docs/threads/troubleshooting: the error response
    s.server.on(
        "GET",
        &v("4001"),
        Reply::json(
            200,
            json!({"status": "ERROR", "id": "4001", "error_message": "FAILED_DOWNLOADING_VIDEO"}),
        ),
    );
    let mut clip = image("https://cdn.owlery.example/clip.mp4", "");
    clip.kind = MediaKind::Video;
    clip.mime = "video/mp4".into();
    let err = s
        .threads
        .publish(&creds(), &with_media("x", vec![clip]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("could not download")),
        "{err:?}"
    );
    assert!(
        s.server
            .requests_to("POST", &v(&format!("{USER}/threads_publish")))
            .is_empty()
    );
}

#[tokio::test]
async fn a_container_still_processing_is_temporary_and_nothing_is_published() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(0, 0),
    );
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads")),
        Reply::json(200, json!({"id": "5001"})),
    );
    s.server
        .on("GET", &v("5001"), container_status("5001", "IN_PROGRESS"));
    let err = s
        .threads
        .publish(&creds(), &PublishRequest::new("v:0", "slow"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    assert_eq!(s.server.requests_to("GET", &v("5001")).len(), 3, "bounded");
    assert!(
        s.server
            .requests_to("POST", &v(&format!("{USER}/threads_publish")))
            .is_empty()
    );
}

#[tokio::test]
async fn a_thread_part_and_a_first_comment_are_replies() {
    let s = setup().await;
    script_publish(&s.server, "6001");
    let root = RemoteRef {
        id: "17900000000000001".into(),
        cid: None,
        root: None,
    };
    let mut part = PublishRequest::new("v:1", "2/2");
    part.reply_to = Some(root.clone());
    let published = s.threads.publish(&creds(), &part).await.unwrap();
    assert_eq!(published.remote.root.as_deref(), Some(&root));
    let mut comment = PublishRequest::new("v:c", "First comment");
    comment.reply_to = Some(root.clone());
    comment.as_comment = true;
    s.threads.publish(&creds(), &comment).await.unwrap();
    let sent = s.server.requests_to("POST", &v(&format!("{USER}/threads")));
    assert_eq!(sent[0].form()["reply_to_id"], "17900000000000001");
    assert_eq!(sent[1].form()["reply_to_id"], "17900000000000001");
}

#[tokio::test]
async fn the_post_placement_is_accepted() {
    let s = setup().await;
    script_publish(&s.server, "6101");
    let mut req = PublishRequest::new("v:0", "p");
    req.placement = "post".into();
    s.threads.publish(&creds(), &req).await.unwrap();
}

#[tokio::test]
async fn what_threads_cannot_do_is_refused_before_sending() {
    let s = setup().await;
    let mut story = PublishRequest::new("v:0", "s");
    story.placement = "story".into();
    let mut orphan = PublishRequest::new("v:0", "c");
    orphan.as_comment = true;
    let mut no_address = image("https://x", "");
    no_address.url = None;
    let mut gif = image("https://cdn.owlery.example/a.gif", "");
    gif.mime = "image/gif".into();
    let cases = vec![
        ("story", story),
        ("comment without parent", orphan),
        ("no public address", with_media("x", vec![no_address])),
        ("gif", with_media("x", vec![gif])),
        (
            "21 items",
            with_media("x", vec![image("https://cdn.owlery.example/a.jpg", ""); 21]),
        ),
        ("empty", PublishRequest::new("v:0", "")),
    ];
    for (what, req) in cases {
        let err = s.threads.publish(&creds(), &req).await.unwrap_err();
        assert!(
            matches!(&err, ConnectorError::Permanent { .. }),
            "{what}: {err:?}"
        );
        if what == "no public address" {
            assert!(err.to_string().contains("public address"), "{err}");
        }
    }
    assert!(s.server.requests().is_empty(), "nothing may be sent");
}

fn meta_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%S+0000")
        .to_string()
}

#[tokio::test]
async fn a_spent_quota_is_rate_limited_until_the_oldest_post_ages_out() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(250, 0),
    );
    // The 250 posts of the last day; the oldest is 23 hours old, so a slot frees in an hour.
    let now = SystemTime::now();
    let posts: Vec<Value> = (0..250u64)
        .map(|i| {
            let age = Duration::from_secs(23 * 3600 - i * 60);
            json!({"id": format!("{}", 18_000_000_000_000_000u64 + i), "timestamp": meta_time(now - age)})
        })
        .collect();
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads")),
        Reply::json(
            200,
            json!({"data": posts, "paging": {"cursors": {"before": "b", "after": "a"}}}),
        ),
    );
    let err = s
        .threads
        .publish(&creds(), &PublishRequest::new("v:0", "one too many"))
        .await
        .unwrap_err();
    let wait = match err {
        ConnectorError::RateLimited {
            retry_after: Some(d),
        } => d,
        other => panic!("expected RateLimited, got {other:?}"),
    };
    assert!(
        wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3601),
        "{wait:?}"
    );
    let booked = s
        .budgets
        .wait(Network::Threads, &creds().budget_key(), SystemTime::now())
        .unwrap();
    assert!(booked > Duration::from_secs(3500), "{booked:?}");
    assert!(
        s.server
            .requests_to("POST", &v(&format!("{USER}/threads")))
            .is_empty()
    );
}

#[tokio::test]
async fn a_reply_checks_the_reply_quota() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(250, 1000),
    );
    s.server.on(
        "GET",
        &v(&format!("{USER}/replies")),
        Reply::json(200, json!({"data": []})),
    );
    let mut reply = PublishRequest::new("v:1", "2/2");
    reply.reply_to = Some(RemoteRef {
        id: "17900000000000001".into(),
        cid: None,
        root: None,
    });
    let err = s.threads.publish(&creds(), &reply).await.unwrap_err();
    // the posts cannot say when it frees: an hour
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(3600))
        }
    );
}

#[tokio::test]
async fn meta_error_bodies_become_the_right_errors() {
    let s = setup().await;
    let create = v(&format!("{USER}/threads"));
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(0, 0),
    );
    // docs/graph-api/guides/error-handling: the error object
    s.server.on(
        "POST",
        &create,
        meta_error(
            401,
            190,
            Some(463),
            "Error validating access token: Session has expired on Friday, 27-Nov-26 09:00:00 PST.",
        ),
    );
    s.server.on(
        "POST",
        &create,
        meta_error(
            400,
            100,
            None,
            "The parameter text is required for media_type TEXT.",
        ),
    );
    s.server.on(
        "POST",
        &create,
        meta_error(
            500,
            2,
            None,
            "An unexpected error has occurred. Please retry your request later.",
        ),
    );
    s.server.on(
        "POST",
        &create,
        meta_error(400, 4, None, "Application request limit reached").header(
            "x-business-use-case-usage",
            &format!(
                r#"{{"{USER}":[{{"type":"threads","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":12}}]}}"#
            ),
        ),
    );
    s.server.on(
        "POST",
        &create,
        meta_error(
            403,
            10,
            None,
            "Application does not have permission for this action",
        ),
    );
    let req = PublishRequest::new("v:0", "hello");
    let mut errors = Vec::new();
    for _ in 0..5 {
        errors.push(s.threads.publish(&creds(), &req).await.unwrap_err());
    }
    assert!(
        matches!(&errors[0], ConnectorError::Auth { .. }),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(&errors[1], ConnectorError::Permanent { reason } if reason.contains("text is required")),
        "{:?}",
        errors[1]
    );
    assert!(
        matches!(&errors[2], ConnectorError::Temporary { .. }),
        "{:?}",
        errors[2]
    );
    assert_eq!(
        errors[3],
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(720))
        }
    );
    assert!(
        matches!(&errors[4], ConnectorError::Auth { .. }),
        "{:?}",
        errors[4]
    );
    let wait = s
        .budgets
        .wait(Network::Threads, &creds().budget_key(), SystemTime::now())
        .unwrap();
    assert!(wait > Duration::from_secs(700), "{wait:?}");
    for e in &errors {
        assert_no_token(e);
    }
}

#[tokio::test]
async fn a_429_without_a_meta_body_is_rate_limited_and_booked() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v("me"),
        Reply::text(429, "Too Many Requests").header("retry-after", "30"),
    );
    let err = s.threads.verify(&creds()).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    assert!(
        s.budgets
            .wait(Network::Threads, &creds().budget_key(), SystemTime::now())
            .is_some()
    );
}

#[tokio::test]
async fn app_usage_on_a_success_is_filed() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v("me"),
        Reply::json(200, json!({"id": USER, "username": "owlery"})).header(
            "x-app-usage",
            r#"{"call_count":97,"total_time":10,"total_cputime":10}"#,
        ),
    );
    s.threads.verify(&creds()).await.unwrap();
    assert!(
        s.budgets
            .wait(Network::Threads, &creds().budget_key(), SystemTime::now())
            .is_some(),
        "97 % of the app's budget is used: hold"
    );
}

#[tokio::test]
async fn a_publish_that_times_out_is_unknown() {
    let s = setup_with(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(300),
    })
    .await;
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(0, 0),
    );
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads")),
        Reply::json(200, json!({"id": "7001"})),
    );
    s.server
        .on("GET", &v("7001"), container_status("7001", "FINISHED"));
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads_publish")),
        Reply::hang(),
    );
    let err = s
        .threads
        .publish(&creds(), &PublishRequest::new("v:0", "hello"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    assert_no_token(&err);
}

#[tokio::test]
async fn a_failed_publish_is_checked_against_the_container() {
    let s = setup().await;
    let publish = v(&format!("{USER}/threads_publish"));
    s.server.on(
        "GET",
        &v(&format!("{USER}/threads_publishing_limit")),
        quota(0, 0),
    );
    s.server.on(
        "POST",
        &v(&format!("{USER}/threads")),
        Reply::json(200, json!({"id": "8001"})),
    );
    s.server.on(
        "POST",
        &publish,
        meta_error(500, 2, None, "Service temporarily unavailable"),
    );
    // first publish: ready, then not published → Temporary; second: published → Unknown
    s.server
        .on("GET", &v("8001"), container_status("8001", "FINISHED"));
    s.server
        .on("GET", &v("8001"), container_status("8001", "FINISHED"));
    s.server
        .on("GET", &v("8001"), container_status("8001", "FINISHED"));
    s.server
        .on("GET", &v("8001"), container_status("8001", "PUBLISHED"));
    let req = PublishRequest::new("v:0", "hello");
    let first = s.threads.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(first, ConnectorError::Temporary { .. }),
        "{first:?}"
    );
    let second = s.threads.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(second, ConnectorError::Unknown { .. }),
        "{second:?}"
    );
}

fn page(posts: Value, after: Option<&str>) -> Reply {
    let mut paging = json!({"cursors": {"before": "BEFORE", "after": after.unwrap_or("END")}});
    if let Some(a) = after {
        paging["next"] = json!(format!(
            "https://graph.threads.net/v1.0/{USER}/threads?after={a}"
        ));
    }
    Reply::json(200, json!({"data": posts, "paging": paging}))
}

#[tokio::test]
async fn lookup_finds_the_post_on_a_later_page() {
    let s = setup().await;
    let list = v(&format!("{USER}/threads"));
    // docs/threads/threads-media#retrieve-a-list-of-all-a-user-s-threads
    s.server.on(
        "GET",
        &list,
        page(
            json!([{"id": "1", "text": "Other", "timestamp": "2026-11-27T10:00:00+0000",
                    "permalink": "https://www.threads.net/@owlery/post/A"}]),
            Some("QVFIUkp"),
        ),
    );
    s.server.on(
        "GET",
        &list,
        page(
            json!([{"id": MEDIA, "text": "Launch  day\nis here", "timestamp": "2026-11-27T10:01:00+0000",
                    "permalink": "https://www.threads.net/@owlery/post/B"}]),
            None,
        ),
    );
    let since = SystemTime::now() - Duration::from_secs(60);
    let found = s
        .threads
        .lookup(
            &creds(),
            &PublishRequest::new("v:0", "Launch day is here"),
            since,
        )
        .await
        .unwrap();
    match found {
        Lookup::Found(p) => {
            assert_eq!(p.remote.id, MEDIA);
            assert_eq!(p.url, "https://www.threads.net/@owlery/post/B");
        }
        other => panic!("expected Found, got {other:?}"),
    }
    let sent = s.server.requests_to("GET", &list);
    assert_eq!(sent.len(), 2);
    let q = sent[0].query_pairs();
    assert_eq!(q["fields"], "id,text,timestamp,permalink");
    let since_sent: u64 = q["since"].parse().unwrap();
    let since_secs = since
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(since_sent <= since_secs);
    assert_eq!(sent[1].query_pairs()["after"], "QVFIUkp");
}

#[tokio::test]
async fn lookup_is_absent_after_the_last_page_and_cannot_tell_before() {
    let s = setup().await;
    let list = v(&format!("{USER}/threads"));
    s.server.on(
        "GET",
        &list,
        page(json!([{"id": "1", "text": "Other"}]), None),
    );
    let req = PublishRequest::new("v:0", "Mine");
    assert_eq!(
        s.threads
            .lookup(&creds(), &req, SystemTime::now())
            .await
            .unwrap(),
        Lookup::Absent
    );

    let s = setup().await;
    s.server.on(
        "GET",
        &list,
        page(json!([{"id": "1", "text": "Other"}]), Some("MORE")),
    );
    let found = s
        .threads
        .lookup(&creds(), &req, SystemTime::now())
        .await
        .unwrap();
    assert!(matches!(found, Lookup::CannotTell { .. }), "{found:?}");
}

#[tokio::test]
async fn lookup_of_a_reply_reads_the_replies() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v(&format!("{USER}/replies")),
        page(json!([{"id": MEDIA, "text": "2/2", "permalink": "https://www.threads.net/@owlery/post/R"}]), None),
    );
    let mut reply = PublishRequest::new("v:1", "2/2");
    reply.reply_to = Some(RemoteRef {
        id: "17900000000000001".into(),
        cid: None,
        root: None,
    });
    let found = s
        .threads
        .lookup(&creds(), &reply, SystemTime::now())
        .await
        .unwrap();
    assert!(matches!(found, Lookup::Found(p) if p.remote.id == MEDIA));
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
    // docs/threads/posts/delete-posts
    s.server.on(
        "DELETE",
        &v(MEDIA),
        Reply::json(200, json!({"success": true, "deleted_id": MEDIA})),
    );
    s.server.on(
        "DELETE",
        &v(MEDIA),
        meta_error(
            400,
            100,
            Some(33),
            "Unsupported delete request. Object with ID '17920238422030506' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
        ),
    );
    s.threads.delete(&creds(), &post_ref(MEDIA)).await.unwrap();
    s.threads.delete(&creds(), &post_ref(MEDIA)).await.unwrap();
    assert_eq!(s.server.requests_to("DELETE", &v(MEDIA)).len(), 2);
}

#[tokio::test]
async fn status_reads_the_insights() {
    let s = setup().await;
    let insights = v(&format!("{MEDIA}/insights"));
    // docs/threads/insights: one entry per metric, lifetime values
    let metric = |name: &str, value: u64| {
        json!({"name": name, "period": "lifetime", "values": [{"value": value}],
               "title": name, "description": "", "id": format!("{MEDIA}/insights/{name}/lifetime")})
    };
    s.server.on(
        "GET",
        &insights,
        Reply::json(
            200,
            json!({"data": [metric("views", 1200), metric("likes", 40), metric("replies", 6),
                            metric("reposts", 3), metric("quotes", 1)]}),
        ),
    );
    let status = s.threads.status(&creds(), &post_ref(MEDIA)).await.unwrap();
    assert!(status.exists);
    assert_eq!(status.metrics.views, Some(1200));
    assert_eq!(status.metrics.likes, Some(40));
    assert_eq!(status.metrics.comments, Some(6));
    assert_eq!(status.metrics.shares, Some(4));
    assert_eq!(
        s.server.requests_to("GET", &insights)[0].query_pairs()["metric"],
        "views,likes,replies,reposts,quotes"
    );
}

#[tokio::test]
async fn status_of_a_deleted_post_says_it_is_gone() {
    let s = setup().await;
    s.server.on(
        "GET",
        &v(&format!("{MEDIA}/insights")),
        meta_error(
            400,
            100,
            Some(33),
            "Unsupported get request. Object with ID does not exist.",
        ),
    );
    let status = s.threads.status(&creds(), &post_ref(MEDIA)).await.unwrap();
    assert!(!status.exists);
}

#[tokio::test]
async fn refresh_renews_the_long_lived_token() {
    let s = setup().await;
    // docs/threads/get-started/long-lived-tokens
    s.server.on(
        "GET",
        "/refresh_access_token",
        Reply::json(
            200,
            json!({"access_token": "THQVJnew-long-lived", "token_type": "bearer", "expires_in": 5183944}),
        ),
    );
    let grant = s.threads.refresh(&creds()).await.unwrap().unwrap();
    assert_eq!(grant.access.expose_secret(), "THQVJnew-long-lived");
    assert!(grant.refresh.is_none());
    let left = grant
        .expires_at
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(left > Duration::from_secs(59 * 86400));
    let q = s.server.requests_to("GET", "/refresh_access_token")[0].query_pairs();
    assert_eq!(q["grant_type"], "th_refresh_token");
    assert_eq!(q["access_token"], TOKEN);
}

#[tokio::test]
async fn a_dead_token_cannot_be_refreshed_and_a_503_passes() {
    let s = setup().await;
    s.server.on(
        "GET",
        "/refresh_access_token",
        meta_error(400, 190, Some(460), "Error validating access token: The session has been invalidated because the user changed their password."),
    );
    s.server.on(
        "GET",
        "/refresh_access_token",
        Reply::text(503, "Service Unavailable"),
    );
    let first = s.threads.refresh(&creds()).await.unwrap_err();
    let second = s.threads.refresh(&creds()).await.unwrap_err();
    assert!(matches!(first, ConnectorError::Auth { .. }), "{first:?}");
    assert!(
        matches!(second, ConnectorError::Temporary { .. }),
        "{second:?}"
    );
    assert_no_token(&first);
    assert_no_token(&second);
}

#[tokio::test]
async fn the_short_lived_token_is_exchanged_for_a_long_lived_one() {
    let s = setup().await;
    s.server.on(
        "GET",
        "/access_token",
        Reply::json(
            200,
            json!({"access_token": "THQVJlong", "token_type": "bearer", "expires_in": 5183944}),
        ),
    );
    let app = AppCredentials {
        client_id: "990602627938098".into(),
        client_secret: SecretString::from("app-secret-1".to_owned()),
    };
    let grant = s
        .threads
        .exchange_long_lived(&app, &SecretString::from("short-lived".to_owned()))
        .await
        .unwrap();
    assert_eq!(grant.access.expose_secret(), "THQVJlong");
    let q = s.server.requests_to("GET", "/access_token")[0].query_pairs();
    assert_eq!(q["grant_type"], "th_exchange_token");
    assert_eq!(q["client_secret"], "app-secret-1");
    assert_eq!(q["access_token"], "short-lived");
}

#[tokio::test]
async fn oauth_spec_uses_comma_separated_scopes_and_a_body_secret() {
    let s = setup().await;
    let spec = s.threads.oauth(None).unwrap();
    assert_eq!(spec.authorize_url, "https://threads.net/oauth/authorize");
    assert_eq!(
        spec.token_url,
        format!("{}/oauth/access_token", s.server.url())
    );
    assert_eq!(spec.scope_separator, ",");
    assert_eq!(spec.client_auth, ClientAuth::Body);
    assert!(!spec.pkce);
    for scope in [
        "threads_basic",
        "threads_content_publish",
        "threads_manage_replies",
        "threads_read_replies",
        "threads_manage_insights",
        "threads_delete",
    ] {
        assert!(spec.scopes.iter().any(|s| s == scope), "{scope}");
    }
    let prod = Threads::new(Env::default()).unwrap().oauth(None).unwrap();
    assert_eq!(
        prod.token_url,
        "https://graph.threads.net/oauth/access_token"
    );
}

/// Fixture: an answer is a post with `reply_to_id` = the reply answered (a container, then
/// `threads_publish`), as developers.facebook.com/docs/threads/reply-management shows; Threads'
/// API has no direct messages.
#[tokio::test]
async fn an_answer_is_a_reply_to_the_message() {
    use owlery_domain::inbox::MessageKind;
    let s = setup().await;
    script_publish(&s.server, "6002");
    let req = owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind: MessageKind::Comment,
            message_id: "17900000000000042".into(),
            parent_id: None,
            root_id: Some("17900000000000001".into()),
            thread_id: None,
            contact_id: "99".into(),
            contact_handle: "ana".into(),
        },
        text: "We will, thanks!".into(),
    };
    assert!(s.threads.can_reply(MessageKind::Comment));
    assert!(!s.threads.can_reply(MessageKind::Dm));
    s.threads.reply(&creds(), &req).await.unwrap();
    let sent = s.server.requests_to("POST", &v(&format!("{USER}/threads")));
    assert_eq!(sent[0].form()["reply_to_id"], "17900000000000042");
    assert_eq!(sent[0].form()["text"], "We will, thanks!");
    let mut dm = req.clone();
    dm.target.kind = MessageKind::Dm;
    assert!(matches!(
        s.threads.reply(&creds(), &dm).await.unwrap_err(),
        ConnectorError::Permanent { .. }
    ));
}
