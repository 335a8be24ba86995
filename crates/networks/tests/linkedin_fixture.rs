//! The LinkedIn connector against local **fixtures**: every response below mirrors the shape
//! LinkedIn's API reference documents (Posts, Images, Videos, Comments, Social Actions,
//! Organization Access Control, userinfo, OAuth), with the status codes and headers it names
//! (`x-restli-id`, error bodies `{"status", "serviceErrorCode", "code", "message"}`). They prove
//! the connector speaks the documented protocol, not that LinkedIn still does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use owlery_networks::fixture::{Fixture, Received, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::linkedin::{LINKEDIN_VERSION, Linkedin, Polling};
use owlery_networks::oauth::ClientAuth;
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishPart, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const TOKEN: &str = "AQXtoken-li-7f3a9c-secret";
const ORG: &str = "urn:li:organization:2414183";
const ORG_ENC: &str = "urn%3Ali%3Aorganization%3A2414183";
const SHARE: &str = "urn:li:share:6844785523593134080";
const SHARE_ENC: &str = "urn%3Ali%3Ashare%3A6844785523593134080";

fn env_for(server: &Fixture) -> Env {
    Env {
        base_url: Some(server.url()),
        ..Env::default()
    }
}

fn connector(env: Env) -> Linkedin {
    Linkedin::new(env).unwrap().with_media_polling(Polling {
        interval: Duration::from_millis(10),
        attempts: 5,
    })
}

async fn setup() -> (Fixture, Linkedin, Env) {
    let server = Fixture::start().await.unwrap();
    let env = env_for(&server);
    (server, connector(env.clone()), env)
}

fn org() -> Credentials {
    Credentials::new("Devtestco", TOKEN).with_account(ORG)
}

fn member() -> Credentials {
    Credentials::new("Eddy", TOKEN).with_account("urn:li:person:782bbtaQ")
}

fn png(n: u8) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Image,
        bytes: vec![0x89, b'P', b'N', b'G', n],
        mime: "image/png".into(),
        alt: format!("chart number {n}"),
        width: 1200,
        height: 627,
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
        ..PublishRequest::new("variant-1:0", text)
    }
}

/// The documented "Create a post" answer: 201, empty body, the URN in `x-restli-id`.
fn created(urn: &str) -> Reply {
    Reply::empty(201).header("x-restli-id", urn)
}

/// LinkedIn's documented error body.
fn error(status: u16, service_code: u32, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({ "status": status, "serviceErrorCode": service_code, "code": code, "message": message }),
    )
}

fn assert_rest_headers(r: &Received) {
    assert_eq!(r.header("linkedin-version"), Some(LINKEDIN_VERSION));
    assert_eq!(r.header("x-restli-protocol-version"), Some("2.0.0"));
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!r.query.contains(TOKEN), "a token in a URL: {}", r.query);
}

fn no_token_in(err: &ConnectorError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "token leaked: {shown}");
}

// ---------------------------------------------------------------- verify

#[tokio::test]
async fn verify_a_member_through_userinfo() {
    let (server, li, _) = setup().await;
    // GET /v2/userinfo (Sign In with LinkedIn using OpenID Connect), documented sample answer
    server.on(
        "GET",
        "/v2/userinfo",
        Reply::json(
            200,
            json!({
                "sub": "782bbtaQ",
                "name": "John Doe",
                "given_name": "John",
                "family_name": "Doe",
                "picture": "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/",
                "locale": "en-US",
                "email": "doe@email.com",
                "email_verified": true
            }),
        ),
    );
    let info = li.verify(&member()).await.unwrap();
    assert_eq!(info.id, "urn:li:person:782bbtaQ");
    assert_eq!(info.handle, "John Doe");
    let sent = server.requests_to("GET", "/v2/userinfo");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    // the token of another member is refused
    let other = Credentials::new("Eddy", TOKEN).with_account("urn:li:person:someoneElse");
    let err = li.verify(&other).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("John Doe")),
        "{err:?}"
    );
}

#[tokio::test]
async fn verify_an_organisation_by_its_page_roles() {
    let (server, li, _) = setup().await;
    // GET /rest/organizationAcls?q=roleAssignee (Organization Access Control), documented shape
    server.on(
        "GET",
        "/rest/organizationAcls",
        Reply::json(
            200,
            json!({
                "paging": { "count": 100, "start": 0, "links": [] },
                "elements": [
                    { "roleAssignee": "urn:li:person:782bbtaQ", "state": "APPROVED", "role": "ANALYST", "organization": "urn:li:organization:1" },
                    { "roleAssignee": "urn:li:person:782bbtaQ", "state": "APPROVED", "role": "ADMINISTRATOR", "organization": ORG }
                ]
            }),
        ),
    );
    // GET /rest/organizations/{id} (Organization Lookup API)
    server.on(
        "GET",
        "/rest/organizations/2414183",
        Reply::json(
            200,
            json!({ "id": 2414183, "localizedName": "Devtestco", "vanityName": "devtestco" }),
        ),
    );
    let info = li.verify(&org()).await.unwrap();
    assert_eq!(info.id, ORG);
    assert_eq!(info.handle, "Devtestco");
    let acls = server.requests_to("GET", "/rest/organizationAcls");
    assert_rest_headers(&acls[0]);
    assert_eq!(acls[0].query_pairs()["q"], "roleAssignee");
    assert_eq!(acls[0].query_pairs()["state"], "APPROVED");
}

#[tokio::test]
async fn an_organisation_without_a_posting_role_is_refused() {
    let (server, li, _) = setup().await;
    server.on(
        "GET",
        "/rest/organizationAcls",
        Reply::json(
            200,
            json!({
                "paging": { "count": 100, "start": 0, "links": [] },
                "elements": [
                    { "roleAssignee": "urn:li:person:782bbtaQ", "state": "APPROVED", "role": "ANALYST", "organization": ORG }
                ]
            }),
        ),
    );
    let err = li.verify(&org()).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("ANALYST")),
        "{err:?}"
    );
    assert!(
        server
            .requests_to("GET", "/rest/organizations/2414183")
            .is_empty()
    );
}

// ---------------------------------------------------------------- publish

#[tokio::test]
async fn publish_text_as_an_organisation() {
    let (server, li, _) = setup().await;
    server.on("POST", "/rest/posts", created(SHARE));
    let text = "Launch day (finally)! Thanks to @everyone #rust #launch_day";
    let published = li
        .publish(&org(), &PublishRequest::new("v:0", text))
        .await
        .unwrap();
    assert_eq!(published.remote.id, SHARE);
    assert_eq!(
        published.url,
        format!("https://www.linkedin.com/feed/update/{SHARE}/")
    );
    let sent = server.requests_to("POST", "/rest/posts");
    assert_eq!(sent.len(), 1);
    assert_rest_headers(&sent[0]);
    let body = sent[0].json();
    assert_eq!(body["author"], ORG);
    // little text: reserved characters escaped, hashtags kept as hashtags
    assert_eq!(
        body["commentary"],
        r"Launch day \(finally\)! Thanks to \@everyone #rust #launch\_day"
    );
    assert_eq!(body["visibility"], "PUBLIC");
    assert_eq!(body["lifecycleState"], "PUBLISHED");
    assert_eq!(body["distribution"]["feedDistribution"], "MAIN_FEED");
    assert!(body.get("content").is_none());
}

#[tokio::test]
async fn publish_as_the_member_the_token_belongs_to() {
    let (server, li, _) = setup().await;
    server.on(
        "GET",
        "/v2/userinfo",
        Reply::json(200, json!({ "sub": "782bbtaQ", "name": "John Doe" })),
    );
    server.on("POST", "/rest/posts", created("urn:li:share:1"));
    let creds = Credentials::new("John", TOKEN); // no account_id: ask who the token is
    li.publish(&creds, &PublishRequest::new("v:0", "hello"))
        .await
        .unwrap();
    let body = server.requests_to("POST", "/rest/posts")[0].json();
    assert_eq!(body["author"], "urn:li:person:782bbtaQ");
}

#[tokio::test]
async fn publish_images_with_alt_text() {
    let (server, li, _) = setup().await;
    let upload = |n: u32| {
        format!(
            "{}/dms-uploads/sp/D4E10AQ{n}/uploaded-image/0?ca=vector_ads&cn=uploads",
            server.url()
        )
    };
    // POST /rest/images?action=initializeUpload (Images API), documented answer shape
    for n in 1..=2u32 {
        server.on(
            "POST",
            "/rest/images",
            Reply::json(
                200,
                json!({ "value": {
                    "uploadUrlExpiresAt": 1650567510704u64,
                    "uploadUrl": upload(n),
                    "image": format!("urn:li:image:C4E10AQFoyyAjHPMQ{n}")
                }}),
            ),
        );
        server.on(
            "PUT",
            &format!("/dms-uploads/sp/D4E10AQ{n}/uploaded-image/0"),
            Reply::empty(201),
        );
    }
    server.on("POST", "/rest/posts", created(SHARE));

    li.publish(&org(), &with_media("Two charts", vec![png(1), png(2)]))
        .await
        .unwrap();

    let inits = server.requests_to("POST", "/rest/images");
    assert_eq!(inits.len(), 2);
    assert_rest_headers(&inits[0]);
    assert_eq!(inits[0].query_pairs()["action"], "initializeUpload");
    assert_eq!(inits[0].json()["initializeUploadRequest"]["owner"], ORG);
    for n in 1..=2u8 {
        let put = server.requests_to(
            "PUT",
            &format!("/dms-uploads/sp/D4E10AQ{n}/uploaded-image/0"),
        );
        assert_eq!(put.len(), 1);
        assert_eq!(put[0].body, png(n).bytes);
        // the fixture's address is not LinkedIn's: the token must not go there
        assert_eq!(put[0].header("authorization"), None);
    }
    let body = server.requests_to("POST", "/rest/posts")[0].json();
    assert_eq!(
        body["content"]["multiImage"]["images"],
        json!([
            { "id": "urn:li:image:C4E10AQFoyyAjHPMQ1", "altText": "chart number 1" },
            { "id": "urn:li:image:C4E10AQFoyyAjHPMQ2", "altText": "chart number 2" }
        ])
    );
}

#[tokio::test]
async fn publish_one_image_as_media() {
    let (server, li, _) = setup().await;
    server.on(
        "POST",
        "/rest/images",
        Reply::json(
            200,
            json!({ "value": {
                "uploadUrlExpiresAt": 1650567510704u64,
                "uploadUrl": format!("{}/dms-uploads/one", server.url()),
                "image": "urn:li:image:C4E10AQone"
            }}),
        ),
    );
    server.on("PUT", "/dms-uploads/one", Reply::empty(201));
    server.on("POST", "/rest/posts", created(SHARE));
    let mut req = with_media("One chart", vec![png(7)]);
    req.placement = "post".into(); // LinkedIn's one placement in networks.toml
    li.publish(&org(), &req).await.unwrap();
    let body = server.requests_to("POST", "/rest/posts")[0].json();
    assert_eq!(
        body["content"]["media"],
        json!({ "id": "urn:li:image:C4E10AQone", "altText": "chart number 7" })
    );
}

#[tokio::test]
async fn publish_a_video_in_parts_and_wait_for_processing() {
    let (server, li, _) = setup().await;
    let bytes: Vec<u8> = (0..10u8).collect();
    let video_urn = "urn:li:video:C5F10AQGKQg_6y2a4sQ";
    // POST /rest/videos?action=initializeUpload (Videos API): two parts
    server.on(
        "POST",
        "/rest/videos",
        Reply::json(
            200,
            json!({ "value": {
                "uploadUrlsExpireAt": 1614721986000u64,
                "video": video_urn,
                "uploadInstructions": [
                    { "uploadUrl": format!("{}/dms-uploads/part1", server.url()), "lastByte": 5, "firstByte": 0 },
                    { "uploadUrl": format!("{}/dms-uploads/part2", server.url()), "lastByte": 9, "firstByte": 6 }
                ],
                "uploadToken": ""
            }}),
        ),
    );
    // POST /rest/videos?action=finalizeUpload: 200, empty
    server.on("POST", "/rest/videos", Reply::empty(200));
    server.on(
        "PUT",
        "/dms-uploads/part1",
        Reply::empty(200).header("etag", "/ambry-video/signedId/part1etag"),
    );
    server.on(
        "PUT",
        "/dms-uploads/part2",
        Reply::empty(200).header("etag", "/ambry-video/signedId/part2etag"),
    );
    // GET /rest/videos/{urn}: processing, then available
    let video_path = "/rest/videos/urn%3Ali%3Avideo%3AC5F10AQGKQg_6y2a4sQ";
    server.on(
        "GET",
        video_path,
        Reply::json(
            200,
            json!({ "id": video_urn, "status": "PROCESSING", "owner": ORG }),
        ),
    );
    server.on(
        "GET",
        video_path,
        Reply::json(
            200,
            json!({ "id": video_urn, "status": "AVAILABLE", "owner": ORG, "duration": 4000 }),
        ),
    );
    server.on("POST", "/rest/posts", created("urn:li:ugcPost:7"));
    let mut req = with_media(
        "Watch this",
        vec![MediaUpload {
            kind: MediaKind::Video,
            bytes: bytes.clone(),
            mime: "video/mp4".into(),
            ..MediaUpload::default()
        }],
    );
    req.part.title = Some("Our launch".into());
    let published = li.publish(&org(), &req).await.unwrap();
    assert_eq!(published.remote.id, "urn:li:ugcPost:7");

    let calls = server.requests_to("POST", "/rest/videos");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].query_pairs()["action"], "initializeUpload");
    assert_eq!(
        calls[0].json()["initializeUploadRequest"]["fileSizeBytes"],
        10
    );
    assert_eq!(calls[1].query_pairs()["action"], "finalizeUpload");
    assert_eq!(
        calls[1].json()["finalizeUploadRequest"],
        json!({
            "video": video_urn,
            "uploadToken": "",
            "uploadedPartIds": ["/ambry-video/signedId/part1etag", "/ambry-video/signedId/part2etag"]
        })
    );
    assert_eq!(
        server.requests_to("PUT", "/dms-uploads/part1")[0].body,
        bytes[0..=5]
    );
    assert_eq!(
        server.requests_to("PUT", "/dms-uploads/part2")[0].body,
        bytes[6..=9]
    );
    assert_eq!(server.requests_to("GET", video_path).len(), 2);
    let body = server.requests_to("POST", "/rest/posts")[0].json();
    assert_eq!(
        body["content"]["media"],
        json!({ "id": video_urn, "title": "Our launch" })
    );
}

#[tokio::test]
async fn a_video_that_fails_processing_is_not_posted() {
    let (server, li, _) = setup().await;
    server.on(
        "POST",
        "/rest/videos",
        Reply::json(
            200,
            json!({ "value": {
                "video": "urn:li:video:bad",
                "uploadInstructions": [ { "uploadUrl": format!("{}/dms-uploads/p", server.url()), "lastByte": 2, "firstByte": 0 } ],
                "uploadToken": ""
            }}),
        ),
    );
    server.on("POST", "/rest/videos", Reply::empty(200));
    server.on(
        "PUT",
        "/dms-uploads/p",
        Reply::empty(200).header("etag", "e1"),
    );
    server.on(
        "GET",
        "/rest/videos/urn%3Ali%3Avideo%3Abad",
        Reply::json(200, json!({ "status": "PROCESSING_FAILED", "processingFailureReason": "Video is too short" })),
    );
    let req = with_media(
        "v",
        vec![MediaUpload {
            kind: MediaKind::Video,
            bytes: vec![1, 2, 3],
            mime: "video/mp4".into(),
            ..MediaUpload::default()
        }],
    );
    let err = li.publish(&org(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("too short")),
        "{err:?}"
    );
    assert!(server.requests_to("POST", "/rest/posts").is_empty());
}

#[tokio::test]
async fn a_link_without_media_becomes_an_article() {
    let (server, li, _) = setup().await;
    server.on("POST", "/rest/posts", created(SHARE));
    let mut req = PublishRequest::new("v:0", "Read our post");
    req.part.link = Some("https://owlery.example/blog/launch".into());
    req.part.title = Some("We launched".into());
    li.publish(&org(), &req).await.unwrap();
    let body = server.requests_to("POST", "/rest/posts")[0].json();
    assert_eq!(
        body["content"]["article"],
        json!({ "source": "https://owlery.example/blog/launch", "title": "We launched" })
    );
}

#[tokio::test]
async fn a_first_comment_goes_on_the_post() {
    let (server, li, _) = setup().await;
    let path = format!("/rest/socialActions/{SHARE_ENC}/comments");
    // POST /rest/socialActions/{urn}/comments (Comments API): 201 with the comment
    server.on(
        "POST",
        &path,
        Reply::json(
            201,
            json!({
                "actor": ORG,
                "created": { "actor": "urn:li:person:782bbtaQ", "time": 1691743122924u64 },
                "id": "7095684947448897536",
                "$URN": "urn:li:comment:(urn:li:activity:7095684521727016961,7095684947448897536)",
                "message": { "attributes": [], "text": "Link in the first comment: https://owlery.example" },
                "object": "urn:li:activity:7095684521727016961"
            }),
        ),
    );
    let req = PublishRequest {
        reply_to: Some(RemoteRef {
            id: SHARE.into(),
            cid: None,
            root: None,
        }),
        as_comment: true,
        ..PublishRequest::new("v:1", "Link in the first comment: https://owlery.example")
    };
    let published = li.publish(&org(), &req).await.unwrap();
    assert_eq!(
        published.remote.id,
        "urn:li:comment:(urn:li:activity:7095684521727016961,7095684947448897536)"
    );
    assert_eq!(published.remote.root.as_ref().unwrap().id, SHARE);
    let sent = server.requests_to("POST", &path);
    assert_eq!(sent.len(), 1);
    assert_rest_headers(&sent[0]);
    assert_eq!(
        sent[0].json(),
        json!({
            "actor": ORG,
            "object": SHARE,
            "message": { "text": "Link in the first comment: https://owlery.example" }
        })
    );
    assert!(server.requests_to("POST", "/rest/posts").is_empty());
}

// ---------------------------------------------------------------- refused before sending

#[tokio::test]
async fn what_linkedin_cannot_do_is_refused_before_sending() {
    let (server, li, _) = setup().await;
    let parent = RemoteRef {
        id: SHARE.into(),
        cid: None,
        root: None,
    };
    let thread = PublishRequest {
        reply_to: Some(parent.clone()),
        as_comment: false,
        ..PublishRequest::new("v:1", "part two")
    };
    let mut story = PublishRequest::new("v:0", "x");
    story.placement = "story".into();
    let webp = with_media(
        "x",
        vec![MediaUpload {
            mime: "image/webp".into(),
            ..png(1)
        }],
    );
    let too_many = with_media("x", (0..21).map(|i| png(i as u8)).collect());
    let comment_with_image = PublishRequest {
        reply_to: Some(parent),
        as_comment: true,
        ..with_media("x", vec![png(1)])
    };
    let cases = [
        (thread, "no threads"),
        (story, "placement"),
        (webp, "JPEG, PNG or GIF"),
        (too_many, "at most 20"),
        (comment_with_image, "text only"),
    ];
    for (req, why) in cases {
        let err = li.publish(&org(), &req).await.unwrap_err();
        assert!(
            matches!(&err, ConnectorError::Permanent { reason } if reason.contains(why)),
            "{why}: {err:?}"
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

// ---------------------------------------------------------------- errors

/// Publishes "hello" against a server answering `POST /rest/posts` with `reply`.
async fn publish_answered_with(reply: Reply) -> (ConnectorError, Env) {
    let (server, li, env) = setup().await;
    server.on("POST", "/rest/posts", reply);
    let err = li
        .publish(&org(), &PublishRequest::new("v:0", "hello"))
        .await
        .unwrap_err();
    no_token_in(&err);
    (err, env)
}

#[tokio::test]
async fn documented_error_bodies_become_the_right_errors() {
    let (err, _) = publish_answered_with(error(
        401,
        65600,
        "REVOKED_ACCESS_TOKEN",
        "The token used in the request has been revoked by the user",
    ))
    .await;
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("revoked")),
        "{err:?}"
    );

    let (err, _) = publish_answered_with(error(
        401,
        65601,
        "EXPIRED_ACCESS_TOKEN",
        "The token used in the request has expired",
    ))
    .await;
    assert!(matches!(&err, ConnectorError::Auth { .. }), "{err:?}");

    let (err, _) = publish_answered_with(error(
        403,
        100,
        "ACCESS_DENIED",
        "Not enough permissions to access: partnerApiPostsExternal.CREATE.20240601",
    ))
    .await;
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("Not enough permissions")),
        "{err:?}"
    );

    let (err, _) = publish_answered_with(Reply::json(
        422,
        json!({ "message": "ERROR :: /commentary :: length of 3104 exceeds maximum 3000", "status": 422 }),
    ))
    .await;
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("exceeds maximum 3000")),
        "{err:?}"
    );

    let (err, _) = publish_answered_with(Reply::json(
        422,
        json!({ "message": "Content is a duplicate of urn:li:share:6844785523593134080", "status": 422 }),
    ))
    .await;
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("duplicate")),
        "{err:?}"
    );

    let (err, _) = publish_answered_with(Reply::json(
        500,
        json!({ "message": "Internal Server Error", "status": 500 }),
    ))
    .await;
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_holds_the_account_that_long() {
    let (err, env) = publish_answered_with(
        error(
            429,
            101,
            "TOO_MANY_REQUESTS",
            "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
        )
        .header("retry-after", "120"),
    )
    .await;
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        }
    );
    let wait = env
        .budgets
        .wait(Network::Linkedin, &org().budget_key(), SystemTime::now())
        .unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_429_without_headers_waits_until_midnight_utc() {
    let (server, li, env) = setup().await;
    // LinkedIn documents no rate-limit headers: a bare 429
    server.on(
        "GET",
        "/rest/socialActions/urn%3Ali%3Ashare%3A1",
        error(
            429,
            101,
            "TOO_MANY_REQUESTS",
            "Resource level throttle MEMBER DAY limit for calls to this resource is reached.",
        ),
    );
    let remote = RemoteRef {
        id: "urn:li:share:1".into(),
        cid: None,
        root: None,
    };
    let err = li.status(&org(), &remote).await.unwrap_err();
    let now = SystemTime::now();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let to_midnight = 86_400 - secs % 86_400;
    let ConnectorError::RateLimited {
        retry_after: Some(d),
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(
        d.as_secs().abs_diff(to_midnight) <= 2,
        "{d:?} vs {to_midnight}"
    );
    let wait = env
        .budgets
        .wait(Network::Linkedin, &org().budget_key(), now)
        .unwrap();
    assert!(wait.as_secs().abs_diff(to_midnight) <= 2);
    // another account is not held
    assert_eq!(
        env.budgets
            .wait(Network::Linkedin, "urn:li:organization:9", now),
        None
    );
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
    let li = connector(env);
    server.on("POST", "/rest/posts", Reply::hang());
    let err = li
        .publish(&org(), &PublishRequest::new("v:0", "hello"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    no_token_in(&err);
}

#[tokio::test]
async fn a_created_post_without_its_id_is_unknown() {
    let (server, li, _) = setup().await;
    server.on("POST", "/rest/posts", Reply::empty(201));
    let err = li
        .publish(&org(), &PublishRequest::new("v:0", "hello"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
}

// ---------------------------------------------------------------- lookup

fn post_element(id: &str, commentary: &str, created_ms: u64) -> serde_json::Value {
    json!({
        "isReshareDisabledByAuthor": false,
        "createdAt": created_ms,
        "lifecycleState": "PUBLISHED",
        "lastModifiedAt": created_ms,
        "visibility": "PUBLIC",
        "publishedAt": created_ms,
        "author": ORG,
        "id": id,
        "distribution": { "feedDistribution": "MAIN_FEED", "thirdPartyDistributionChannels": [] },
        "content": {},
        "commentary": commentary,
        "lifecycleStateInfo": { "isEditedByAuthor": false }
    })
}

fn ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn page(elements: Vec<serde_json::Value>) -> Reply {
    Reply::json(
        200,
        json!({
            "paging": { "start": 0, "count": 50, "links": [] },
            "elements": elements
        }),
    )
}

#[tokio::test]
async fn lookup_finds_the_post_by_its_text() {
    let (server, li, _) = setup().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    let text = "Launch day (finally)!  #rust";
    server.on(
        "GET",
        "/rest/posts",
        page(vec![
            post_element("urn:li:share:2", "something else", ms(since) + 5_000),
            // as LinkedIn returns it: escaped, hashtag as a template
            post_element(
                SHARE,
                r"Launch day \(finally\)! {hashtag|\#|rust}",
                ms(since) + 1_000,
            ),
        ]),
    );
    let found = li
        .lookup(&org(), &PublishRequest::new("v:0", text), since)
        .await
        .unwrap();
    let Lookup::Found(p) = found else {
        panic!("{found:?}")
    };
    assert_eq!(p.remote.id, SHARE);
    let sent = server.requests_to("GET", "/rest/posts");
    assert_rest_headers(&sent[0]);
    let q = sent[0].query_pairs();
    assert_eq!(q["author"], ORG);
    assert_eq!(q["q"], "author");
    assert_eq!(q["count"], "50");
    assert_eq!(q["sortBy"], "LAST_MODIFIED");
    assert!(
        sent[0].query.contains(&format!("author={ORG_ENC}")),
        "{}",
        sent[0].query
    );
}

#[tokio::test]
async fn lookup_is_absent_when_the_listing_reaches_older_posts() {
    let (server, li, _) = setup().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    let old = ms(since) - 3_600_000;
    let mut elements = vec![post_element(
        "urn:li:share:9",
        "recent, other text",
        ms(since) + 1,
    )];
    // a full page whose tail is older than `since`
    elements.extend((0..49).map(|i| post_element(&format!("urn:li:share:{i}"), "hello", old - i)));
    server.on("GET", "/rest/posts", page(elements));
    let found = li
        .lookup(&org(), &PublishRequest::new("v:0", "hello"), since)
        .await
        .unwrap();
    assert_eq!(found, Lookup::Absent);
    assert_eq!(server.requests_to("GET", "/rest/posts").len(), 1);
}

#[tokio::test]
async fn lookup_cannot_tell_for_members_or_very_busy_pages() {
    let (server, li, _) = setup().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    // members' posts need r_member_social: 403
    server.on(
        "GET",
        "/rest/posts",
        error(
            403,
            100,
            "ACCESS_DENIED",
            "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20240601",
        ),
    );
    let found = li
        .lookup(&member(), &PublishRequest::new("v:0", "hello"), since)
        .await
        .unwrap();
    assert!(
        matches!(&found, Lookup::CannotTell { reason } if reason.contains("r_member_social")),
        "{found:?}"
    );

    let (server2, li2, _) = setup().await;
    let recent: Vec<_> = (0..50)
        .map(|i| post_element(&format!("urn:li:share:{i}"), "other", ms(since) + 10_000))
        .collect();
    server2.on("GET", "/rest/posts", page(recent));
    let found = li2
        .lookup(&org(), &PublishRequest::new("v:0", "hello"), since)
        .await
        .unwrap();
    assert!(matches!(found, Lookup::CannotTell { .. }), "{found:?}");
    let starts: Vec<String> = server2
        .requests_to("GET", "/rest/posts")
        .iter()
        .map(|r| r.query_pairs()["start"].clone())
        .collect();
    assert_eq!(starts, ["0", "50", "100", "150"]);
    let _ = server;
}

#[tokio::test]
async fn lookup_finds_a_first_comment() {
    let (server, li, _) = setup().await;
    let since = SystemTime::now() - Duration::from_secs(600);
    let path = format!("/rest/socialActions/{SHARE_ENC}/comments");
    server.on(
        "GET",
        &path,
        Reply::json(
            200,
            json!({
                "paging": { "start": 0, "count": 50, "total": 2 },
                "elements": [
                    { "actor": "urn:li:person:other", "message": { "text": "Link below" }, "created": { "time": ms(since) + 1 },
                      "$URN": "urn:li:comment:(urn:li:activity:1,1)", "object": "urn:li:activity:1", "id": "1" },
                    { "actor": ORG, "message": { "text": "Link below" }, "created": { "time": ms(since) + 2 },
                      "$URN": "urn:li:comment:(urn:li:activity:1,2)", "object": "urn:li:activity:1", "id": "2" }
                ]
            }),
        ),
    );
    let req = PublishRequest {
        reply_to: Some(RemoteRef {
            id: SHARE.into(),
            cid: None,
            root: None,
        }),
        as_comment: true,
        ..PublishRequest::new("v:1", "Link below")
    };
    let found = li.lookup(&org(), &req, since).await.unwrap();
    let Lookup::Found(p) = found else {
        panic!("{found:?}")
    };
    assert_eq!(p.remote.id, "urn:li:comment:(urn:li:activity:1,2)");
}

// ---------------------------------------------------------------- delete, status

#[tokio::test]
async fn delete_and_delete_again() {
    let (server, li, _) = setup().await;
    let path = format!("/rest/posts/{SHARE_ENC}");
    server.on("DELETE", &path, Reply::empty(204));
    server.on("DELETE", &path, error(404, 0, "NOT_FOUND", "Not Found"));
    let remote = RemoteRef {
        id: SHARE.into(),
        cid: None,
        root: None,
    };
    li.delete(&org(), &remote).await.unwrap();
    li.delete(&org(), &remote).await.unwrap(); // already gone
    let sent = server.requests_to("DELETE", &path);
    assert_eq!(sent.len(), 2);
    assert_rest_headers(&sent[0]);
    assert_eq!(sent[0].header("x-restli-method"), Some("DELETE"));

    // a comment: on its post, as the author
    let cpath = "/rest/socialActions/urn%3Ali%3Aactivity%3A1/comments/2";
    server.on("DELETE", cpath, Reply::empty(204));
    li.delete(
        &org(),
        &RemoteRef {
            id: "urn:li:comment:(urn:li:activity:1,2)".into(),
            cid: None,
            root: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        server.requests_to("DELETE", cpath)[0].query_pairs()["actor"],
        ORG
    );
}

#[tokio::test]
async fn status_with_likes_and_comments() {
    let (server, li, _) = setup().await;
    // GET /rest/socialActions/{urn} (Social Actions), documented summary shape
    server.on(
        "GET",
        &format!("/rest/socialActions/{SHARE_ENC}"),
        Reply::json(
            200,
            json!({
                "commentsSummary": {
                    "selectedComments": [],
                    "totalFirstLevelComments": 3,
                    "aggregatedTotalComments": 5
                },
                "likesSummary": {
                    "selectedLikes": [],
                    "aggregatedTotalLikes": 12,
                    "likedByCurrentUser": false,
                    "totalLikes": 12
                },
                "target": SHARE
            }),
        ),
    );
    server.on(
        "GET",
        "/rest/socialActions/urn%3Ali%3Ashare%3A404",
        error(404, 0, "NOT_FOUND", "Not Found"),
    );
    let remote = |id: &str| RemoteRef {
        id: id.into(),
        cid: None,
        root: None,
    };
    let s = li.status(&org(), &remote(SHARE)).await.unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.likes, Some(12));
    assert_eq!(s.metrics.comments, Some(5));
    let gone = li
        .status(&org(), &remote("urn:li:share:404"))
        .await
        .unwrap();
    assert!(!gone.exists);
}

// ---------------------------------------------------------------- OAuth

fn with_refresh(creds: Credentials) -> Credentials {
    Credentials {
        refresh: Some(SecretString::from("AQWrefresh-li-0042".to_owned())),
        app: Some(AppCredentials {
            client_id: "86abc".into(),
            client_secret: SecretString::from("li-client-secret-99".to_owned()),
        }),
        ..creds
    }
}

#[tokio::test]
async fn refresh_with_a_refresh_token() {
    let (server, li, _) = setup().await;
    // POST /oauth/v2/accessToken (programmatic refresh tokens), documented answer
    server.on(
        "POST",
        "/oauth/v2/accessToken",
        Reply::json(
            200,
            json!({
                "access_token": "AQXnew-access",
                "expires_in": 5183999,
                "refresh_token": "AQWnew-refresh",
                "refresh_token_expires_in": 525600,
                "scope": "openid profile w_member_social"
            }),
        ),
    );
    let grant = li.refresh(&with_refresh(org())).await.unwrap().unwrap();
    assert_eq!(grant.access.expose_secret(), "AQXnew-access");
    assert_eq!(grant.refresh.unwrap().expose_secret(), "AQWnew-refresh");
    assert!(grant.expires_at.is_some());
    let form = server.requests_to("POST", "/oauth/v2/accessToken")[0].form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "AQWrefresh-li-0042");
    assert_eq!(form["client_id"], "86abc");
    assert_eq!(form["client_secret"], "li-client-secret-99");

    // nothing to refresh without a refresh token
    assert!(li.refresh(&org()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dead_refresh_token_needs_a_person_and_an_outage_passes() {
    let (server, li, _) = setup().await;
    server.on(
        "POST",
        "/oauth/v2/accessToken",
        Reply::json(
            400,
            json!({ "error": "invalid_grant", "error_description": "The provided authorization grant or refresh token is invalid, expired or revoked" }),
        ),
    );
    let err = li.refresh(&with_refresh(org())).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_token_in(&err);
    assert!(!err.to_string().contains("AQWrefresh-li-0042"));

    let (server2, li2, _) = setup().await;
    server2.on(
        "POST",
        "/oauth/v2/accessToken",
        Reply::text(503, "Service Unavailable"),
    );
    let err = li2.refresh(&with_refresh(org())).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    let _ = server;
}

#[tokio::test]
async fn the_oauth_spec_is_linkedins() {
    let li = Linkedin::new(Env::default()).unwrap();
    let spec = li.oauth(None).unwrap();
    assert_eq!(
        spec.authorize_url,
        "https://www.linkedin.com/oauth/v2/authorization"
    );
    assert_eq!(
        spec.token_url,
        "https://www.linkedin.com/oauth/v2/accessToken"
    );
    assert!(!spec.pkce);
    assert_eq!(spec.client_auth, ClientAuth::Body);
    assert_eq!(spec.scope_separator, " ");
    for scope in [
        "w_member_social",
        "w_organization_social",
        "r_organization_social",
    ] {
        assert!(spec.scopes.iter().any(|s| s == scope), "{scope}");
    }
}

/// Fixture (Comments API, "Create a nested comment"): an answer to a comment is `POST
/// /rest/socialActions/{comment urn}/comments` with `object` = the post and `parentComment` =
/// the comment; LinkedIn has no messaging API for apps.
#[tokio::test]
async fn an_answer_to_a_comment_is_a_nested_comment() {
    use owlery_domain::inbox::MessageKind;
    let (server, li, _) = setup().await;
    let comment = "urn:li:comment:(urn:li:activity:7095684521727016961,7095684947448897536)";
    let path = format!(
        "/rest/socialActions/{}/comments",
        owlery_networks::linkedin::encode_urn(comment)
    );
    server.on(
        "POST",
        &path,
        Reply::json(
            201,
            json!({
                "actor": ORG,
                "id": "7095685000000000000",
                "$URN": "urn:li:comment:(urn:li:activity:7095684521727016961,7095685000000000000)",
                "message": { "attributes": [], "text": "Thanks, Ana!" },
                "object": SHARE,
                "parentComment": comment
            }),
        ),
    );
    let req = owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind: MessageKind::Comment,
            message_id: comment.into(),
            parent_id: None,
            root_id: Some(SHARE.into()),
            thread_id: None,
            contact_id: "urn:li:person:782bbtaQ".into(),
            contact_handle: "ana".into(),
        },
        text: "Thanks, Ana!".into(),
    };
    let p = li.reply(&org(), &req).await.unwrap();
    assert_eq!(
        p.remote.id,
        "urn:li:comment:(urn:li:activity:7095684521727016961,7095685000000000000)"
    );
    let sent = server.requests_to("POST", &path);
    assert_rest_headers(&sent[0]);
    assert_eq!(
        sent[0].json(),
        json!({ "actor": ORG, "object": SHARE, "message": { "text": "Thanks, Ana!" }, "parentComment": comment })
    );
    assert!(!li.can_reply(MessageKind::Dm));
    let mut bad = req.clone();
    bad.target.message_id = "../rest/posts".into();
    assert!(matches!(
        li.reply(&org(), &bad).await.unwrap_err(),
        ConnectorError::Permanent { .. }
    ));
}
