//! The Mastodon connector against **fixtures**: the local `Fixture` server answers with bodies,
//! error bodies and headers shaped as Mastodon's API documentation shows them
//! (docs.joinmastodon.org: methods/statuses, methods/media, methods/accounts, methods/apps,
//! methods/oauth, entities/Error, api/rate-limits). They prove that the connector speaks the
//! documented protocol, not that a real server agrees; `tests/mastodon_mock.rs` runs the same
//! connector against the third-party `mastodon_mock`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use owlery_networks::fixture::{Fixture, Received, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::mastodon::{Mastodon, MediaPolling};
use owlery_networks::oauth::{self, ClientAuth, Pending};
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishPart, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// An access token as Mastodon's docs show them; must never appear in an error.
const TOKEN: &str = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0";
const ACCOUNT: &str = "109348912";
const STATUSES: &str = "/api/v1/statuses";
const MEDIA: &str = "/api/v2/media";

fn env(server: &Fixture) -> Env {
    Env {
        base_url: Some(server.url()),
        ..Env::default()
    }
}

fn fast_polling() -> MediaPolling {
    MediaPolling {
        first_pause: Duration::from_millis(10),
        max_pause: Duration::from_millis(20),
        give_up_after: Duration::from_secs(5),
    }
}

fn connector(env: Env) -> Mastodon {
    Mastodon::new(env)
        .unwrap()
        .with_media_polling(fast_polling())
}

fn creds(server: &Fixture) -> Credentials {
    Credentials::new("owlery", TOKEN)
        .with_service(server.url())
        .with_account(ACCOUNT)
}

fn iso(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn ago(secs: u64) -> String {
    iso(SystemTime::now() - Duration::from_secs(secs))
}

/// A Status entity as documented (methods/statuses, "View a single status"), trimmed.
fn status(id: &str, content: &str, created_at: &str, in_reply_to: Option<&str>) -> Value {
    json!({
        "id": id,
        "created_at": created_at,
        "in_reply_to_id": in_reply_to,
        "in_reply_to_account_id": in_reply_to.map(|_| ACCOUNT),
        "sensitive": false,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": format!("https://mastodon.example/users/owlery/statuses/{id}"),
        "url": format!("https://mastodon.example/@owlery/{id}"),
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "favourited": false,
        "reblogged": false,
        "muted": false,
        "bookmarked": false,
        "content": content,
        "reblog": null,
        "application": {"name": "Owlery", "website": null},
        "account": {"id": ACCOUNT, "username": "owlery", "acct": "owlery", "display_name": "Owlery"},
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": null,
        "poll": null
    })
}

/// A MediaAttachment as documented (methods/media, 200 / 202).
fn attachment(id: &str, description: &str, processed: bool) -> Value {
    json!({
        "id": id,
        "type": "image",
        "url": if processed { Value::String(format!("https://files.mastodon.example/media_attachments/files/{id}/original/e96382f26c72a29c.png")) } else { Value::Null },
        "preview_url": format!("https://files.mastodon.example/media_attachments/files/{id}/small/e96382f26c72a29c.png"),
        "remote_url": null,
        "text_url": format!("https://mastodon.example/media/{id}"),
        "meta": {"original": {"width": 640, "height": 480, "size": "640x480", "aspect": 1.3333333333333333}},
        "description": description,
        "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}"
    })
}

fn png(alt: &str) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
        mime: "image/png".into(),
        alt: alt.into(),
        width: 640,
        height: 480,
        ..MediaUpload::default()
    }
}

/// Form pairs in order (repeated keys such as `media_ids[]` kept).
fn form_pairs(r: &Received) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&r.body).into_owned().collect()
}

fn form_values(r: &Received, key: &str) -> Vec<String> {
    form_pairs(r)
        .into_iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect()
}

fn assert_no_token(err: &ConnectorError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
}

#[tokio::test]
async fn verify_reads_the_account_and_files_the_rate_limit_headers() {
    let server = Fixture::start().await.unwrap();
    // Fixture mirroring methods/accounts#verify_credentials with api/rate-limits headers.
    let reset = iso(SystemTime::now() + Duration::from_secs(120));
    server.on(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Reply::json(
            200,
            json!({"id": ACCOUNT, "username": "owlery", "acct": "owlery", "display_name": "Owlery",
                   "locked": false, "bot": false, "url": "https://mastodon.example/@owlery",
                   "source": {"privacy": "public", "sensitive": false, "language": "en", "note": "", "fields": []}}),
        )
        .header("X-RateLimit-Limit", "300")
        .header("X-RateLimit-Remaining", "0")
        .header("X-RateLimit-Reset", &reset),
    );
    let env = env(&server);
    let budgets = env.budgets.clone();
    let mastodon = connector(env);
    let info = mastodon.verify(&creds(&server)).await.unwrap();
    assert_eq!(info.id, ACCOUNT);
    assert_eq!(info.handle, "owlery");
    let sent = server.requests_to("GET", "/api/v1/accounts/verify_credentials");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // Remaining 0 until the reset: the engine must wait about two minutes.
    let wait = budgets
        .wait(Network::Mastodon, ACCOUNT, SystemTime::now())
        .expect("an empty budget is filed");
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
}

#[tokio::test]
async fn budget_headers_with_calls_left_do_not_hold_the_account() {
    let server = Fixture::start().await.unwrap();
    let reset = iso(SystemTime::now() + Duration::from_secs(300));
    server.on(
        "GET",
        "/api/v1/statuses/1",
        Reply::json(200, status("1", "<p>x</p>", &ago(10), None))
            .header("X-RateLimit-Limit", "300")
            .header("X-RateLimit-Remaining", "299")
            .header("X-RateLimit-Reset", &reset),
    );
    let env = env(&server);
    let budgets = env.budgets.clone();
    let remote = RemoteRef {
        id: "1".into(),
        cid: None,
        root: None,
    };
    connector(env)
        .status(&creds(&server), &remote)
        .await
        .unwrap();
    assert_eq!(
        budgets.wait(Network::Mastodon, ACCOUNT, SystemTime::now()),
        None
    );
}

#[tokio::test]
async fn publish_text_sends_the_status_with_its_idempotency_key() {
    let server = Fixture::start().await.unwrap();
    // Fixture mirroring methods/statuses#create (200: the Status).
    server.on(
        "POST",
        STATUSES,
        Reply::json(
            200,
            status(
                "103254962155278888",
                "<p>Hello from Owlery &amp; friends</p>",
                &ago(0),
                None,
            ),
        ),
    );
    let mut req = PublishRequest::new(
        "0190a3f2-7c1e-7000-8000-000000000001:0",
        "Hello from Owlery & friends",
    );
    req.placement = "status".into();
    req.part.langs = vec!["en-GB".into()];
    let published = connector(env(&server))
        .publish(&creds(&server), &req)
        .await
        .unwrap();
    assert_eq!(published.remote.id, "103254962155278888");
    assert_eq!(
        published.url,
        "https://mastodon.example/@owlery/103254962155278888"
    );
    assert_eq!(published.remote.root, None);

    let sent = server.requests_to("POST", STATUSES);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("idempotency-key"),
        Some("0190a3f2-7c1e-7000-8000-000000000001:0")
    );
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        form_pairs(&sent[0]),
        vec![
            (
                "status".to_owned(),
                "Hello from Owlery & friends".to_owned()
            ),
            ("language".to_owned(), "en".to_owned()),
            ("visibility".to_owned(), "public".to_owned()),
        ]
    );
    assert!(server.requests_to("POST", MEDIA).is_empty());
}

#[tokio::test]
async fn publish_with_images_uploads_each_with_its_alt_text() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "POST",
        MEDIA,
        Reply::json(200, attachment("22348641", "A barn owl", true)),
    );
    server.on(
        "POST",
        MEDIA,
        Reply::json(200, attachment("22348642", "Two owlets", true)),
    );
    server.on(
        "POST",
        STATUSES,
        Reply::json(200, status("200", "<p>Owls</p>", &ago(0), None)),
    );
    let mut req = PublishRequest::new("k-images", "Owls");
    req.part.media = vec![png("A barn owl"), png("Two owlets")];
    connector(env(&server))
        .publish(&creds(&server), &req)
        .await
        .unwrap();

    let uploads = server.requests_to("POST", MEDIA);
    assert_eq!(uploads.len(), 2);
    for (upload, alt, n) in [
        (&uploads[0], "A barn owl", 1),
        (&uploads[1], "Two owlets", 2),
    ] {
        let body = upload.text();
        assert!(
            upload
                .header("content-type")
                .unwrap()
                .starts_with("multipart/form-data"),
            "{:?}",
            upload.header("content-type")
        );
        assert!(
            body.contains(&format!(
                "name=\"file\"; filename=\"attachment-{n}.png\"\r\nContent-Type: image/png"
            )),
            "{body}"
        );
        assert!(
            body.contains(&format!("name=\"description\"\r\n\r\n{alt}\r\n")),
            "{body}"
        );
        // only the status carries the idempotency key
        assert_eq!(upload.header("idempotency-key"), None);
    }
    let sent = server.requests_to("POST", STATUSES);
    assert_eq!(
        form_values(&sent[0], "media_ids[]"),
        vec!["22348641", "22348642"]
    );
    assert_eq!(form_values(&sent[0], "status"), vec!["Owls"]);
}

#[tokio::test]
async fn a_video_still_processing_is_polled_until_it_has_a_url() {
    let server = Fixture::start().await.unwrap();
    // methods/media: 202 with url null, then GET /api/v1/media/:id answers 206 while processing
    // and 200 with the url when done.
    let mut processing = attachment("22348700", "A short clip", false);
    processing["type"] = json!("video");
    server.on("POST", MEDIA, Reply::json(202, processing));
    server.on("GET", "/api/v1/media/22348700", Reply::empty(206));
    server.on("GET", "/api/v1/media/22348700", Reply::empty(206));
    let mut done = attachment("22348700", "A short clip", true);
    done["type"] = json!("video");
    server.on("GET", "/api/v1/media/22348700", Reply::json(200, done));
    server.on(
        "POST",
        STATUSES,
        Reply::json(200, status("300", "<p>Watch</p>", &ago(0), None)),
    );
    let mut req = PublishRequest::new("k-video", "Watch");
    req.part.media = vec![MediaUpload {
        kind: MediaKind::Video,
        bytes: vec![0; 4096],
        mime: "video/mp4".into(),
        alt: "A short clip".into(),
        duration_ms: Some(3000),
        ..MediaUpload::default()
    }];
    connector(env(&server))
        .publish(&creds(&server), &req)
        .await
        .unwrap();
    assert_eq!(server.requests_to("GET", "/api/v1/media/22348700").len(), 3);
    let upload = &server.requests_to("POST", MEDIA)[0];
    assert!(
        upload
            .text()
            .contains("filename=\"attachment-1.mp4\"\r\nContent-Type: video/mp4")
    );
    let sent = server.requests_to("POST", STATUSES);
    assert_eq!(form_values(&sent[0], "media_ids[]"), vec!["22348700"]);
}

#[tokio::test]
async fn media_that_never_finishes_processing_is_temporary_and_nothing_is_posted() {
    let server = Fixture::start().await.unwrap();
    server.on("POST", MEDIA, Reply::json(202, attachment("5", "", false)));
    server.on("GET", "/api/v1/media/5", Reply::empty(206));
    let mastodon = Mastodon::new(env(&server))
        .unwrap()
        .with_media_polling(MediaPolling {
            first_pause: Duration::from_millis(10),
            max_pause: Duration::from_millis(20),
            give_up_after: Duration::from_millis(150),
        });
    let mut req = PublishRequest::new("k", "slow");
    req.part.media = vec![png("")];
    let err = mastodon.publish(&creds(&server), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Temporary { reason, .. } if reason.contains("still processing")),
        "{err:?}"
    );
    assert!(!server.requests_to("GET", "/api/v1/media/5").is_empty());
    assert!(server.requests_to("POST", STATUSES).is_empty());
    // no alt text: no description field at all
    assert!(
        !server.requests_to("POST", MEDIA)[0]
            .text()
            .contains("name=\"description\"")
    );
}

#[tokio::test]
async fn threads_and_first_comments_reply_to_their_parent() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "POST",
        STATUSES,
        Reply::json(200, status("101", "<p>two</p>", &ago(0), Some("100"))),
    );
    let mastodon = connector(env(&server));
    let root = RemoteRef {
        id: "99".into(),
        cid: None,
        root: None,
    };
    // The third part of a thread: parent 100, whose root is 99.
    let mut req = PublishRequest::new("k-thread:2", "two");
    req.reply_to = Some(RemoteRef {
        id: "100".into(),
        cid: None,
        root: Some(Box::new(root)),
    });
    let published = mastodon.publish(&creds(&server), &req).await.unwrap();
    assert_eq!(published.remote.root.map(|r| r.id).as_deref(), Some("99"));

    // A first comment is a reply on Mastodon.
    let mut comment = PublishRequest::new("k-comment", "first comment");
    comment.as_comment = true;
    comment.reply_to = Some(RemoteRef {
        id: "100".into(),
        cid: None,
        root: None,
    });
    let published = mastodon.publish(&creds(&server), &comment).await.unwrap();
    assert_eq!(published.remote.root.map(|r| r.id).as_deref(), Some("100"));

    let sent = server.requests_to("POST", STATUSES);
    assert_eq!(sent.len(), 2);
    for r in &sent {
        assert_eq!(form_values(r, "in_reply_to_id"), vec!["100"]);
    }
    assert_eq!(sent[1].header("idempotency-key"), Some("k-comment"));
}

#[tokio::test]
async fn what_mastodon_cannot_do_is_refused_before_sending() {
    let server = Fixture::start().await.unwrap();
    let mastodon = connector(env(&server));
    let video = MediaUpload {
        kind: MediaKind::Video,
        bytes: vec![1; 10],
        mime: "video/mp4".into(),
        ..MediaUpload::default()
    };
    let with = |f: &dyn Fn(&mut PublishRequest)| {
        let mut r = PublishRequest::new("k", "text");
        f(&mut r);
        r
    };
    let cases = [
        ("placement", with(&|r| r.placement = "reel".into())),
        ("target", with(&|r| r.target = Some("board-1".into()))),
        ("too many", with(&|r| r.part.media = vec![png("a"); 5])),
        (
            "video and image",
            with(&|r| r.part.media = vec![video.clone(), png("a")]),
        ),
        (
            "alt text",
            with(&|r| r.part.media = vec![png(&"x".repeat(1501))]),
        ),
        (
            "wrong type",
            with(&|r| {
                r.part.media = vec![MediaUpload {
                    mime: "application/pdf".into(),
                    ..png("a")
                }]
            }),
        ),
        ("empty", with(&|r| r.part = PublishPart::default())),
        ("orphan comment", with(&|r| r.as_comment = true)),
    ];
    for (what, req) in cases {
        let err = mastodon.publish(&creds(&server), &req).await.unwrap_err();
        match &err {
            ConnectorError::Permanent { reason } => assert!(!reason.is_empty(), "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn error_bodies_become_the_right_errors() {
    let server = Fixture::start().await.unwrap();
    let mastodon = connector(env(&server));
    let c = creds(&server);
    let mut errors = Vec::new();

    // entities/Error and methods/statuses#create: 401 and 422 bodies as documented.
    server.on(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Reply::json(401, json!({"error": "The access token is invalid"})),
    );
    let err = mastodon.verify(&c).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    errors.push(err);

    server.on(
        "POST",
        STATUSES,
        Reply::json(
            422,
            json!({"error": "Validation failed: Text character limit of 500 exceeded"}),
        ),
    );
    let err = mastodon
        .publish(&c, &PublishRequest::new("k1", "x".repeat(501)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("Validation failed: Text character limit of 500 exceeded")),
        "{err:?}"
    );
    errors.push(err);

    // A 5xx from the server (an upload: nothing was posted yet).
    server.on(
        "POST",
        MEDIA,
        Reply::json(503, json!({"error": "Service Unavailable"})).header("Retry-After", "30"),
    );
    let mut req = PublishRequest::new("k2", "pic");
    req.part.media = vec![png("alt")];
    let err = mastodon.publish(&c, &req).await.unwrap_err();
    assert!(
        matches!(err, ConnectorError::Temporary { retry_after: Some(d), .. } if d == Duration::from_secs(30)),
        "{err:?}"
    );
    errors.push(err);

    // A token without the write scope.
    server.on(
        "DELETE",
        "/api/v1/statuses/7",
        Reply::json(
            403,
            json!({"error": "This action is outside the authorized scopes"}),
        ),
    );
    let remote = RemoteRef {
        id: "7".into(),
        cid: None,
        root: None,
    };
    let err = mastodon.delete(&c, &remote).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    errors.push(err);

    // api/rate-limits: 429 with X-RateLimit-* (reset as an ISO 8601 time).
    let reset = iso(SystemTime::now() + Duration::from_secs(300));
    server.on(
        "GET",
        "/api/v1/statuses/8",
        Reply::json(429, json!({"error": "Too many requests"}))
            .header("X-RateLimit-Limit", "300")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", &reset),
    );
    let remote = RemoteRef {
        id: "8".into(),
        cid: None,
        root: None,
    };
    let env = env(&server);
    let budgets = env.budgets.clone();
    let limited = connector(env);
    let err = limited.status(&c, &remote).await.unwrap_err();
    match &err {
        ConnectorError::RateLimited {
            retry_after: Some(d),
        } => assert!(
            *d > Duration::from_secs(280) && *d <= Duration::from_secs(300),
            "{d:?}"
        ),
        other => panic!("{other:?}"),
    }
    let wait = budgets.wait(Network::Mastodon, ACCOUNT, SystemTime::now());
    assert!(
        wait.is_some_and(|w| w > Duration::from_secs(280)),
        "{wait:?}"
    );
    errors.push(err);

    for e in &errors {
        assert_no_token(e);
    }
}

#[tokio::test]
async fn a_status_request_that_times_out_is_unknown_but_an_upload_is_temporary() {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_millis(300),
        },
        ..env(&server)
    };
    server.on("POST", STATUSES, Reply::hang());
    let mastodon = connector(env.clone());
    let err = mastodon
        .publish(&creds(&server), &PublishRequest::new("k", "lost?"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    assert_no_token(&err);

    let server = Fixture::start().await.unwrap();
    server.on("POST", MEDIA, Reply::hang());
    let mastodon = connector(Env {
        base_url: Some(server.url()),
        ..env
    });
    let mut req = PublishRequest::new("k", "pic");
    req.part.media = vec![png("alt")];
    let err = mastodon.publish(&creds(&server), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    assert!(server.requests_to("POST", STATUSES).is_empty());
}

/// `n` recent statuses that are not the one looked for, ids counting down from `first`.
fn others(first: u64, n: usize, created_at: &str) -> Vec<Value> {
    (0..n as u64)
        .map(|i| {
            status(
                &(first - i).to_string(),
                "<p>something else</p>",
                created_at,
                None,
            )
        })
        .collect()
}

const ACCOUNT_STATUSES: &str = "/api/v1/accounts/109348912/statuses";

#[tokio::test]
async fn lookup_finds_the_status_on_a_later_page() {
    let server = Fixture::start().await.unwrap();
    let since = SystemTime::now() - Duration::from_secs(600);
    // methods/accounts#statuses: newest first, at most `limit`, older pages with max_id.
    server.on(
        "GET",
        ACCOUNT_STATUSES,
        Reply::json(200, Value::Array(others(5000, 40, &ago(60)))),
    );
    let mut page2 = others(4960, 3, &ago(120));
    page2.push(status(
        "4957",
        "<p>Launch day <br />is here &amp; <a href=\"https://owl.example\">https://owl.example</a></p>",
        &ago(300),
        None,
    ));
    server.on(
        "GET",
        ACCOUNT_STATUSES,
        Reply::json(200, Value::Array(page2)),
    );
    let req = PublishRequest::new("k", "Launch day\nis here & https://owl.example");
    let found = connector(env(&server))
        .lookup(&creds(&server), &req, since)
        .await
        .unwrap();
    match found {
        Lookup::Found(p) => {
            assert_eq!(p.remote.id, "4957");
            assert_eq!(p.url, "https://mastodon.example/@owlery/4957");
        }
        other => panic!("{other:?}"),
    }
    let sent = server.requests_to("GET", ACCOUNT_STATUSES);
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].query_pairs().get("limit").map(String::as_str),
        Some("40")
    );
    assert_eq!(sent[0].query_pairs().get("max_id"), None);
    assert_eq!(
        sent[1].query_pairs().get("max_id").map(String::as_str),
        Some("4961")
    );
    // lookup never publishes
    assert!(server.requests_to("POST", STATUSES).is_empty());
}

#[tokio::test]
async fn lookup_is_absent_once_the_list_reaches_back_past_the_first_attempt() {
    let server = Fixture::start().await.unwrap();
    let since = SystemTime::now() - Duration::from_secs(600);
    let mut page = others(900, 5, &ago(60));
    // The same text posted yesterday is another post: it must not count.
    page.push(status("894", "<p>Weekly tip</p>", &ago(86_400), None));
    server.on(
        "GET",
        ACCOUNT_STATUSES,
        Reply::json(200, Value::Array(page)),
    );
    let req = PublishRequest::new("k", "Weekly tip");
    let found = connector(env(&server))
        .lookup(&creds(&server), &req, since)
        .await
        .unwrap();
    assert_eq!(found, Lookup::Absent);
    assert_eq!(server.requests_to("GET", ACCOUNT_STATUSES).len(), 1);
}

#[tokio::test]
async fn lookup_is_absent_at_the_end_of_the_list_and_asks_for_the_account_id_if_needed() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Reply::json(
            200,
            json!({"id": ACCOUNT, "username": "owlery", "acct": "owlery"}),
        ),
    );
    server.on(
        "GET",
        ACCOUNT_STATUSES,
        Reply::json(200, Value::Array(others(10, 2, &ago(5)))),
    );
    server.on("GET", ACCOUNT_STATUSES, Reply::json(200, json!([])));
    let creds = Credentials::new("owlery", TOKEN).with_service(server.url());
    let found = connector(env(&server))
        .lookup(
            &creds,
            &PublishRequest::new("k", "not there"),
            SystemTime::now(),
        )
        .await
        .unwrap();
    assert_eq!(found, Lookup::Absent);
    assert_eq!(server.requests_to("GET", ACCOUNT_STATUSES).len(), 2);
    assert_eq!(
        server
            .requests_to("GET", "/api/v1/accounts/verify_credentials")
            .len(),
        1
    );
}

#[tokio::test]
async fn lookup_cannot_tell_when_the_account_posts_more_than_it_can_read() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        ACCOUNT_STATUSES,
        Reply::json(200, Value::Array(others(100_000, 40, &ago(1)))),
    );
    let found = connector(env(&server))
        .lookup(
            &creds(&server),
            &PublishRequest::new("k", "lost in the noise"),
            SystemTime::now() - Duration::from_secs(3600),
        )
        .await
        .unwrap();
    assert!(
        matches!(&found, Lookup::CannotTell { reason } if reason.contains("400")),
        "{found:?}"
    );
    assert_eq!(server.requests_to("GET", ACCOUNT_STATUSES).len(), 10);
}

#[tokio::test]
async fn lookup_matches_replies_only_under_the_same_parent() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        ACCOUNT_STATUSES,
        Reply::json(
            200,
            json!([
                status("21", "<p>part two</p>", &ago(5), Some("15")),
                status("20", "<p>part two</p>", &ago(6), Some("10")),
                status("19", "<p>old</p>", &ago(7200), None),
            ]),
        ),
    );
    let mut req = PublishRequest::new("k", "part two");
    req.reply_to = Some(RemoteRef {
        id: "10".into(),
        cid: None,
        root: None,
    });
    let found = connector(env(&server))
        .lookup(
            &creds(&server),
            &req,
            SystemTime::now() - Duration::from_secs(60),
        )
        .await
        .unwrap();
    match found {
        Lookup::Found(p) => assert_eq!(p.remote.id, "20"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn delete_succeeds_and_deleting_again_succeeds_too() {
    let server = Fixture::start().await.unwrap();
    // methods/statuses#delete: 200 with the deleted Status, 404 "Record not found" afterwards.
    server.on(
        "DELETE",
        "/api/v1/statuses/103254193998341330",
        Reply::json(
            200,
            status("103254193998341330", "<p>test</p>", &ago(30), None),
        ),
    );
    server.on(
        "DELETE",
        "/api/v1/statuses/103254193998341330",
        Reply::json(404, json!({"error": "Record not found"})),
    );
    let mastodon = connector(env(&server));
    let remote = RemoteRef {
        id: "103254193998341330".into(),
        cid: None,
        root: None,
    };
    mastodon.delete(&creds(&server), &remote).await.unwrap();
    mastodon.delete(&creds(&server), &remote).await.unwrap();
    assert_eq!(
        server
            .requests_to("DELETE", "/api/v1/statuses/103254193998341330")
            .len(),
        2
    );
    // Someone else's status.
    server.on(
        "DELETE",
        "/api/v1/statuses/1",
        Reply::json(403, json!({"error": "This action is not allowed"})),
    );
    let other = RemoteRef {
        id: "1".into(),
        cid: None,
        root: None,
    };
    let err = mastodon.delete(&creds(&server), &other).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    // Not an id: refused before sending.
    let bad = RemoteRef {
        id: "../accounts/1".into(),
        cid: None,
        root: None,
    };
    assert!(mastodon.delete(&creds(&server), &bad).await.is_err());
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn status_reads_the_counts_and_a_deleted_status_no_longer_exists() {
    let server = Fixture::start().await.unwrap();
    let mut shown = status("1", "<p>Hello world</p>", &ago(100), None);
    shown["replies_count"] = json!(7);
    shown["reblogs_count"] = json!(98);
    shown["favourites_count"] = json!(112);
    server.on("GET", "/api/v1/statuses/1", Reply::json(200, shown));
    server.on(
        "GET",
        "/api/v1/statuses/2",
        Reply::json(404, json!({"error": "Record not found"})),
    );
    let mastodon = connector(env(&server));
    let r = |id: &str| RemoteRef {
        id: id.into(),
        cid: None,
        root: None,
    };
    let s = mastodon.status(&creds(&server), &r("1")).await.unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.likes, Some(112));
    assert_eq!(s.metrics.shares, Some(98));
    assert_eq!(s.metrics.comments, Some(7));
    assert_eq!(s.metrics.views, None);
    let gone = mastodon.status(&creds(&server), &r("2")).await.unwrap();
    assert!(!gone.exists);
}

#[tokio::test]
async fn register_app_sends_owlery_and_returns_the_client() {
    let server = Fixture::start().await.unwrap();
    // methods/apps#create, 200 (4.3+ shape).
    server.on(
        "POST",
        "/api/v1/apps",
        Reply::json(
            200,
            json!({"id": "563419", "name": "Owlery", "website": "https://owl.example",
                   "scopes": ["read", "write"], "redirect_uri": "https://owl.example/oauth/mastodon",
                   "redirect_uris": ["https://owl.example/oauth/mastodon"],
                   "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
                   "client_secret": "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
                   "client_secret_expires_at": 0}),
        ),
    );
    let mastodon = connector(Env::default());
    let app = mastodon
        .register_app(&server.url(), "https://owl.example/oauth/mastodon")
        .await
        .unwrap();
    assert_eq!(app.client_id, "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM");
    assert_eq!(
        app.client_secret.expose_secret(),
        "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw"
    );
    assert!(!format!("{app:?}").contains("ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw"));
    let sent = server.requests_to("POST", "/api/v1/apps");
    assert_eq!(
        form_pairs(&sent[0]),
        vec![
            ("client_name".to_owned(), "Owlery".to_owned()),
            (
                "redirect_uris".to_owned(),
                "https://owl.example/oauth/mastodon".to_owned()
            ),
            ("scopes".to_owned(), "read write".to_owned()),
            ("website".to_owned(), "https://owl.example".to_owned()),
        ]
    );
    assert_eq!(sent[0].header("authorization"), None);

    let server = Fixture::start().await.unwrap();
    server.on(
        "POST",
        "/api/v1/apps",
        Reply::json(
            422,
            json!({"error": "Validation failed: Redirect URI must be an absolute URI."}),
        ),
    );
    let err = mastodon
        .register_app(&server.url(), "not a uri")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("Redirect URI")),
        "{err:?}"
    );
}

#[tokio::test]
async fn oauth_uses_the_accounts_server_and_tokens_are_never_refreshed() {
    let server = Fixture::start().await.unwrap();
    let mastodon = connector(Env::default());
    let spec = Connector::oauth(&mastodon, Some("https://mastodon.social/")).unwrap();
    assert_eq!(
        spec.authorize_url,
        "https://mastodon.social/oauth/authorize"
    );
    assert_eq!(spec.token_url, "https://mastodon.social/oauth/token");
    assert_eq!(spec.scopes, vec!["read", "write"]);
    assert!(spec.pkce);
    assert_eq!(spec.client_auth, ClientAuth::Body);
    assert_eq!(Connector::oauth(&mastodon, None), None);
    assert_eq!(Connector::oauth(&mastodon, Some("ftp://nope")), None);

    let pending = Pending::new();
    let url = oauth::authorize_url(&spec, "cid", "https://owl.example/cb", &pending).unwrap();
    assert!(
        url.starts_with("https://mastodon.social/oauth/authorize?response_type=code&client_id=cid")
    );
    assert!(url.contains("scope=read+write") && url.contains("code_challenge_method=S256"));

    // Tokens do not expire: nothing is asked of the server.
    let c = creds(&server);
    assert!(mastodon.refresh(&c).await.unwrap().is_none());
    assert!(server.requests().is_empty());

    // The code exchange at the server's token endpoint (methods/oauth#token).
    let spec = Connector::oauth(&mastodon, Some(&server.url())).unwrap();
    let app = AppCredentials {
        client_id: "cid".into(),
        client_secret: SecretString::from("csecret".to_owned()),
    };
    server.on(
        "POST",
        "/oauth/token",
        Reply::json(
            200,
            json!({"access_token": "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0", "token_type": "Bearer",
                   "scope": "read write", "created_at": 1573979017}),
        ),
    );
    let now = SystemTime::now();
    let grant = oauth::exchange_code(
        &owlery_networks::http::client(HttpConfig::default()).unwrap(),
        &spec,
        &app,
        "code-1",
        "https://owl.example/cb",
        Some(&pending.verifier),
        now,
    )
    .await
    .unwrap();
    assert_eq!(grant.expires_at, None);
    assert!(grant.refresh.is_none());
    assert_eq!(grant.scopes, vec!["read", "write"]);
    let form = server.requests_to("POST", "/oauth/token")[0].form();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["client_secret"], "csecret");
    assert_eq!(form["code_verifier"], pending.verifier.expose_secret());

    // entities/Error: invalid_grant → the connection must be made again; 503 passes.
    let server = Fixture::start().await.unwrap();
    let spec = Connector::oauth(&mastodon, Some(&server.url())).unwrap();
    server.on(
        "POST",
        "/oauth/token",
        Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}),
        ),
    );
    server.on(
        "POST",
        "/oauth/token",
        Reply::json(503, json!({"error": "Service Unavailable"})),
    );
    let http = owlery_networks::http::client(HttpConfig::default()).unwrap();
    let err = oauth::exchange_code(
        &http,
        &spec,
        &app,
        "used",
        "https://owl.example/cb",
        None,
        now,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    let err = oauth::exchange_code(&http, &spec, &app, "c", "https://owl.example/cb", None, now)
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn credentials_without_a_server_use_the_handles_server_or_are_refused() {
    let mastodon = Mastodon::new(Env::default()).unwrap();
    let err = mastodon
        .verify(&Credentials::new("owlery", TOKEN))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    assert_no_token(&err);
}

/// Fixture (methods/statuses#create): an answer is a status `in_reply_to_id` the message that
/// mentions the person; an answer to a direct message is `visibility=direct` (a direct status
/// reaches only those it mentions). Sent with the answer's `Idempotency-Key`.
#[tokio::test]
async fn answers_mention_the_person_and_direct_messages_stay_direct() {
    use owlery_domain::inbox::MessageKind;
    let server = Fixture::start().await.unwrap();
    for id in ["103254962155279001", "103254962155279002"] {
        server.on(
            "POST",
            STATUSES,
            Reply::json(200, status(id, "<p>@ana Thanks!</p>", &ago(0), Some("109"))),
        );
    }
    let m = connector(env(&server));
    let mut req = owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:0190a3f2-7c1e-7000-8000-00000000000a".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind: MessageKind::Comment,
            message_id: "109".into(),
            parent_id: None,
            root_id: Some("100".into()),
            thread_id: None,
            contact_id: "7".into(),
            contact_handle: "ana@m.example".into(),
        },
        text: "Thanks!".into(),
    };
    assert!(m.can_reply(MessageKind::Dm));
    m.reply(&creds(&server), &req).await.unwrap();
    req.target.kind = MessageKind::Dm;
    req.text = "@ana@m.example Sent you the code.".into();
    req.idempotency_key.push('b');
    m.reply(&creds(&server), &req).await.unwrap();
    let sent = server.requests_to("POST", STATUSES);
    let public = sent[0].form();
    assert_eq!(public["status"], "@ana@m.example Thanks!");
    assert_eq!(public["in_reply_to_id"], "109");
    assert_eq!(public["visibility"], "public");
    assert!(sent[0].headers.contains_key("idempotency-key"));
    let direct = sent[1].form();
    assert_eq!(
        direct["status"], "@ana@m.example Sent you the code.",
        "not mentioned twice"
    );
    assert_eq!(direct["visibility"], "direct");
    assert_eq!(direct["in_reply_to_id"], "109");
}
