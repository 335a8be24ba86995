//! The YouTube connector against local fixtures that mirror the YouTube Data API v3 reference:
//! channels.list, the resumable upload protocol of videos.insert, commentThreads, playlistItems,
//! videos.list/delete, Google's token endpoint and the Data API's error bodies. The bodies below
//! are shaped as those pages show them; they prove the connector speaks the documented protocol,
//! not that YouTube behaves so today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use chrono::Utc;
use owlery_networks::fixture::{Fixture, Received, Reply};
use owlery_networks::http::HttpConfig;
use owlery_networks::oauth::{self, Pending};
use owlery_networks::youtube::{Youtube, pacific};
use owlery_networks::{
    AppCredentials, Connector, ConnectorError, Credentials, Env, Lookup, MediaKind, MediaUpload,
    Network, PublishRequest, RemoteRef,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const TOKEN: &str = "ya29.a0AfH6SMBexampleexampleexample";
const CHANNEL: &str = "UC_x5XG1OV2P6uZZ5FSM9Ttw";
const UPLOADS: &str = "UU_x5XG1OV2P6uZZ5FSM9Ttw";
const VIDEO_ID: &str = "Ks-_Mh1QhMc";
const UPLOAD: &str = "/upload/youtube/v3/videos";
const TEXT: &str = "A morning at the lake\nMist, a heron and the jetty. #lake #morning";

fn creds() -> Credentials {
    Credentials::new("@owlerytest", TOKEN).with_account(CHANNEL)
}

fn video(w: u32, h: u32, secs: u64) -> MediaUpload {
    MediaUpload {
        kind: MediaKind::Video,
        bytes: (0..4096).map(|i| (i % 253) as u8).collect(),
        mime: "video/mp4".into(),
        width: w,
        height: h,
        duration_ms: Some(secs * 1000),
        ..MediaUpload::default()
    }
}

fn video_req(key: &str, placement: &str, media: MediaUpload) -> PublishRequest {
    let mut req = PublishRequest::new(key, TEXT);
    req.placement = placement.into();
    req.part.media = vec![media];
    req
}

fn comment_req(key: &str, text: &str) -> PublishRequest {
    let mut req = PublishRequest::new(key, text);
    req.reply_to = Some(RemoteRef {
        id: VIDEO_ID.into(),
        cid: None,
        root: None,
    });
    req.as_comment = true;
    req
}

/// A Data API error body (Errors reference: code, message, errors[reason, message, domain]).
fn google_error(code: u16, reason: &str, domain: &str, message: &str) -> Reply {
    Reply::json(
        code,
        json!({"error": {"code": code, "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}]}}),
    )
}

/// Fixture: the video resource videos.insert answers with.
fn video_resource(title: &str) -> Value {
    json!({
        "kind": "youtube#video",
        "etag": "Dn5xIderbhAnUk5TAW0qkFFir0M",
        "id": VIDEO_ID,
        "snippet": {"publishedAt": Utc::now().to_rfc3339(), "channelId": CHANNEL, "title": title, "description": TEXT},
        "status": {"uploadStatus": "uploaded", "privacyStatus": "public"}
    })
}

/// Fixture: the answer that opens a resumable session: 200 with its address in `Location`.
fn session(server: &Fixture) -> Reply {
    Reply::empty(200).header(
        "location",
        &format!(
            "{}{UPLOAD}?uploadType=resumable&upload_id=xa298sd_f&part=snippet,status",
            server.url()
        ),
    )
}

async fn setup_with(http: HttpConfig) -> (Fixture, Youtube, Env) {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        http,
        base_url: Some(server.url()),
        ..Env::default()
    };
    let youtube = Youtube::new(env.clone()).unwrap();
    (server, youtube, env)
}

async fn setup() -> (Fixture, Youtube, Env) {
    setup_with(HttpConfig::default()).await
}

fn no_secret(err: &ConnectorError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
    assert!(
        !shown.contains("1//0refresh"),
        "the refresh token leaked: {shown}"
    );
    assert!(
        !shown.contains("GOCSPX"),
        "the client secret leaked: {shown}"
    );
}

fn bearer(r: &Received) -> Option<&str> {
    r.header("authorization")
}

fn ago(minutes: i64) -> String {
    (Utc::now() - chrono::TimeDelta::minutes(minutes)).to_rfc3339()
}

#[tokio::test]
async fn verify_reads_the_channel() {
    let (server, youtube, _) = setup().await;
    // Fixture: channels.list?part=snippet&mine=true.
    server.on(
        "GET",
        "/youtube/v3/channels",
        Reply::json(
            200,
            json!({
                "kind": "youtube#channelListResponse",
                "etag": "x",
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
                "items": [{"kind": "youtube#channel", "etag": "y", "id": CHANNEL,
                    "snippet": {"title": "Owlery Test", "description": "", "customUrl": "@owlerytest",
                        "publishedAt": "2020-01-01T00:00:00Z"}}]
            }),
        ),
    );
    let info = youtube.verify(&creds()).await.unwrap();
    assert_eq!(info.id, CHANNEL);
    assert_eq!(info.handle, "@owlerytest");
    let sent = &server.requests_to("GET", "/youtube/v3/channels")[0];
    assert_eq!(sent.query_pairs()["part"], "snippet");
    assert_eq!(sent.query_pairs()["mine"], "true");
    assert_eq!(bearer(sent), Some(format!("Bearer {TOKEN}").as_str()));
    assert!(!sent.query.contains(TOKEN));

    // A Google account without a channel: nothing to post to.
    let (server, youtube, _) = setup().await;
    server.on(
        "GET",
        "/youtube/v3/channels",
        Reply::json(
            200,
            json!({"kind": "youtube#channelListResponse", "pageInfo": {"totalResults": 0, "resultsPerPage": 5}}),
        ),
    );
    let err = youtube.verify(&creds()).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Auth { reason } if reason.contains("no YouTube channel"))
    );
}

#[tokio::test]
async fn a_video_is_uploaded_through_a_resumable_session() {
    let (server, youtube, _) = setup().await;
    server.on("POST", UPLOAD, session(&server));
    server.on(
        "PUT",
        UPLOAD,
        Reply::json(200, video_resource("A morning at the lake")),
    );
    let media = video(1920, 1080, 600);
    let mut req = video_req("v1:0", "video", media.clone());
    req.part.langs = vec!["en".into()];
    let published = youtube.publish(&creds(), &req).await.unwrap();
    assert_eq!(published.remote.id, VIDEO_ID);
    assert!(published.remote.root.is_none());
    assert_eq!(
        published.url,
        format!("https://www.youtube.com/watch?v={VIDEO_ID}")
    );

    let start = &server.requests_to("POST", UPLOAD)[0];
    let q = start.query_pairs();
    assert_eq!(q["uploadType"], "resumable");
    assert_eq!(q["part"], "snippet,status");
    assert_eq!(start.header("x-upload-content-length"), Some("4096"));
    assert_eq!(start.header("x-upload-content-type"), Some("video/mp4"));
    assert!(
        start
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(bearer(start), Some(format!("Bearer {TOKEN}").as_str()));
    let meta = start.json();
    assert_eq!(meta["snippet"]["title"], "A morning at the lake");
    assert_eq!(meta["snippet"]["description"], TEXT);
    assert_eq!(meta["snippet"]["tags"], json!(["lake", "morning"]));
    assert_eq!(meta["snippet"]["defaultLanguage"], "en");
    assert_eq!(meta["status"]["privacyStatus"], "public");

    let put = &server.requests_to("PUT", UPLOAD)[0];
    assert_eq!(
        put.query_pairs()["upload_id"],
        "xa298sd_f",
        "the bytes go to the session"
    );
    assert_eq!(put.header("content-type"), Some("video/mp4"));
    assert_eq!(put.body, media.bytes);
    assert_eq!(
        bearer(put),
        Some(format!("Bearer {TOKEN}").as_str()),
        "the session is on the API's origin"
    );
}

#[tokio::test]
async fn a_short_is_a_vertical_video_of_at_most_three_minutes() {
    let (server, youtube, _) = setup().await;
    server.on("POST", UPLOAD, session(&server));
    server.on("PUT", UPLOAD, Reply::json(201, video_resource("Short")));
    let mut req = video_req("s1:0", "short", video(1080, 1920, 45));
    req.part.title = Some("Heron takes off".into());
    let published = youtube.publish(&creds(), &req).await.unwrap();
    assert_eq!(
        published.url,
        format!("https://www.youtube.com/shorts/{VIDEO_ID}")
    );
    assert_eq!(
        server.requests_to("POST", UPLOAD)[0].json()["snippet"]["title"],
        "Heron takes off"
    );

    // landscape, or over three minutes: refused before sending
    let (server, youtube, _) = setup().await;
    for media in [video(1920, 1080, 45), video(1080, 1920, 181)] {
        let err = youtube
            .publish(&creds(), &video_req("s2:0", "short", media))
            .await
            .unwrap_err();
        assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_first_comment_goes_on_its_video() {
    let (server, youtube, _) = setup().await;
    // Fixture: commentThreads.insert answer.
    server.on(
        "POST",
        "/youtube/v3/commentThreads",
        Reply::json(
            200,
            json!({
                "kind": "youtube#commentThread",
                "etag": "e",
                "id": "UgzDE2tasfmrYLyNkGt4AaABAg",
                "snippet": {
                    "channelId": CHANNEL,
                    "videoId": VIDEO_ID,
                    "topLevelComment": {"kind": "youtube#comment", "id": "UgzDE2tasfmrYLyNkGt4AaABAg",
                        "snippet": {"textOriginal": "Full story on our blog", "authorChannelId": {"value": CHANNEL},
                            "likeCount": 0, "publishedAt": Utc::now().to_rfc3339()}},
                    "canReply": true, "totalReplyCount": 0, "isPublic": true
                }
            }),
        ),
    );
    let published = youtube
        .publish(&creds(), &comment_req("c1:1", "Full story on our blog"))
        .await
        .unwrap();
    assert_eq!(published.remote.id, "UgzDE2tasfmrYLyNkGt4AaABAg");
    assert_eq!(published.remote.root.as_ref().unwrap().id, VIDEO_ID);
    assert_eq!(
        published.url,
        format!("https://www.youtube.com/watch?v={VIDEO_ID}&lc=UgzDE2tasfmrYLyNkGt4AaABAg")
    );
    let sent = &server.requests_to("POST", "/youtube/v3/commentThreads")[0];
    assert_eq!(sent.query_pairs()["part"], "snippet");
    assert_eq!(
        sent.json(),
        json!({"snippet": {"videoId": VIDEO_ID, "topLevelComment": {"snippet": {"textOriginal": "Full story on our blog"}}}})
    );
}

#[tokio::test]
async fn what_youtube_cannot_do_is_refused_before_anything_is_sent() {
    let (server, youtube, _) = setup().await;
    let text_only = PublishRequest::new("r:0", "Just words");
    let mut images = PublishRequest::new("r:1", "A photo");
    images.part.media = vec![MediaUpload {
        kind: MediaKind::Image,
        bytes: vec![1, 2, 3],
        mime: "image/jpeg".into(),
        alt: "a heron".into(),
        ..MediaUpload::default()
    }];
    let mut thread = video_req("r:2", "video", video(1920, 1080, 10));
    thread.reply_to = Some(RemoteRef {
        id: VIDEO_ID.into(),
        cid: None,
        root: None,
    });
    let mut long_title = video_req("r:3", "video", video(1920, 1080, 10));
    long_title.part.title = Some("x".repeat(101));
    let mut angle = video_req("r:4", "video", video(1920, 1080, 10));
    angle.part.text = "I <3 herons".into();
    let mut story = video_req("r:5", "story", video(1080, 1920, 10));
    story.placement = "story".into();
    for (req, says) in [
        (text_only, "text-only"),
        (images, "videos only"),
        (thread, "threads"),
        (long_title, "100"),
        (angle, "< or >"),
        (story, "placement"),
    ] {
        let err = youtube.publish(&creds(), &req).await.unwrap_err();
        assert!(
            matches!(&err, ConnectorError::Permanent { reason } if reason.contains(says)),
            "{says}: {err:?}"
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn error_bodies_become_the_right_errors() {
    let req = video_req("e:0", "video", video(1920, 1080, 10));

    // 401 authError → Auth
    let (server, youtube, _) = setup().await;
    server.on(
        "POST",
        UPLOAD,
        Reply::json(
            401,
            json!({"error": {"code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError",
                    "location": "Authorization", "locationType": "header"}],
                "status": "UNAUTHENTICATED"}}),
        ),
    );
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_secret(&err);

    // 403 insufficientPermissions → Auth
    let (server, youtube, _) = setup().await;
    server.on(
        "POST",
        UPLOAD,
        google_error(
            403,
            "insufficientPermissions",
            "global",
            "Request had insufficient authentication scopes.",
        ),
    );
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");

    // 400 invalidTitle → Permanent with YouTube's message
    let (server, youtube, _) = setup().await;
    server.on(
        "POST",
        UPLOAD,
        google_error(
            400,
            "invalidTitle",
            "youtube.video",
            "The request metadata specifies an invalid or empty video title.",
        ),
    );
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("invalid or empty video title")),
        "{err:?}"
    );
    no_secret(&err);

    // 503 backendError → Temporary
    let (server, youtube, _) = setup().await;
    server.on(
        "POST",
        UPLOAD,
        google_error(
            503,
            "backendError",
            "global",
            "The service is currently unavailable.",
        ),
    );
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");

    // 403 quotaExceeded → RateLimited until midnight Pacific, for every channel of the app
    let (server, youtube, env) = setup().await;
    server.on(
        "POST",
        UPLOAD,
        google_error(
            403,
            "quotaExceeded",
            "youtube.quota",
            "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
        ),
    );
    let before = SystemTime::now();
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
    let ConnectorError::RateLimited {
        retry_after: Some(wait),
    } = err
    else {
        panic!("{err:?}")
    };
    let midnight = pacific::until_next_midnight(before);
    assert!(
        wait <= midnight && wait + Duration::from_secs(5) >= midnight,
        "{wait:?} vs {midnight:?}"
    );
    assert!(wait <= Duration::from_secs(25 * 3600));
    for channel in [CHANNEL, "UC_another_channel"] {
        let filed = env
            .budgets
            .wait(Network::Youtube, channel, SystemTime::now());
        assert!(
            filed.is_some_and(|w| w + Duration::from_secs(5) >= midnight),
            "{channel}: {filed:?}"
        );
    }

    // 400 uploadLimitExceeded → RateLimited, for this channel only
    let (server, youtube, env) = setup().await;
    server.on(
        "POST",
        UPLOAD,
        google_error(
            400,
            "uploadLimitExceeded",
            "youtube.video",
            "The user has exceeded the number of videos they may upload.",
        ),
    );
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
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
        env.budgets
            .wait(Network::Youtube, CHANNEL, SystemTime::now())
            .is_some()
    );
    assert!(
        env.budgets
            .wait(Network::Youtube, "UC_another_channel", SystemTime::now())
            .is_none()
    );

    // 429 with Retry-After → RateLimited, filed for the channel
    let (server, youtube, env) = setup().await;
    server.on(
        "POST",
        "/youtube/v3/commentThreads",
        google_error(
            429,
            "rateLimitExceeded",
            "youtube.commentThread",
            "The request was sent too quickly.",
        )
        .header("retry-after", "90"),
    );
    let err = youtube
        .publish(&creds(), &comment_req("e:1", "hello"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(90))
        }
    );
    let wait = env
        .budgets
        .wait(Network::Youtube, CHANNEL, SystemTime::now());
    assert!(
        wait.is_some_and(|w| w > Duration::from_secs(80) && w <= Duration::from_secs(90)),
        "{wait:?}"
    );

    // commentsDisabled → Permanent
    let (server, youtube, _) = setup().await;
    server.on(
        "POST",
        "/youtube/v3/commentThreads",
        google_error(
            403,
            "commentsDisabled",
            "youtube.commentThread",
            "The video identified by the videoId parameter has disabled comments.",
        ),
    );
    let err = youtube
        .publish(&creds(), &comment_req("e:2", "hello"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConnectorError::Permanent { reason } if reason.contains("turned off")),
        "{err:?}"
    );
}

#[tokio::test]
async fn rate_limit_headers_on_a_success_are_filed() {
    // Google documents no rate-limit headers; standard ones (a proxy, a future API) are filed.
    let (server, youtube, env) = setup().await;
    server.on(
        "GET",
        "/youtube/v3/channels",
        Reply::json(
            200,
            json!({"items": [{"id": CHANNEL, "snippet": {"title": "Owlery Test"}}]}),
        )
        .header("ratelimit-limit", "100")
        .header("ratelimit-remaining", "0")
        .header("ratelimit-reset", "20"),
    );
    let info = youtube.verify(&creds()).await.unwrap();
    assert_eq!(info.handle, "Owlery Test");
    let wait = env
        .budgets
        .wait(Network::Youtube, CHANNEL, SystemTime::now());
    assert!(
        wait.is_some_and(|w| w <= Duration::from_secs(20)),
        "{wait:?}"
    );
}

#[tokio::test]
async fn an_upload_that_times_out_is_unknown_and_its_session_says_what_became_of_it() {
    let (server, youtube, _) = setup_with(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(300),
    })
    .await;
    server.on("POST", UPLOAD, session(&server));
    server.on("PUT", UPLOAD, Reply::hang());
    // The status query of the resumable protocol: the upload had completed.
    server.on(
        "PUT",
        UPLOAD,
        Reply::json(200, video_resource("A morning at the lake")),
    );
    let req = video_req("t1:0", "video", video(1920, 1080, 10));
    let since = SystemTime::now();
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    no_secret(&err);

    match youtube.lookup(&creds(), &req, since).await.unwrap() {
        Lookup::Found(p) => assert_eq!(p.remote.id, VIDEO_ID),
        other => panic!("expected Found, got {other:?}"),
    }
    let puts = server.requests_to("PUT", UPLOAD);
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1].header("content-range"), Some("bytes */4096"));
    assert!(puts[1].body.is_empty());
    assert_eq!(
        server.requests_to("POST", UPLOAD).len(),
        1,
        "no second upload was started"
    );
}

#[tokio::test]
async fn an_incomplete_session_means_no_video_exists() {
    let (server, youtube, _) = setup_with(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(300),
    })
    .await;
    server.on("POST", UPLOAD, session(&server));
    server.on("PUT", UPLOAD, Reply::hang());
    // 308 Resume Incomplete: bytes are missing.
    server.on(
        "PUT",
        UPLOAD,
        Reply::empty(308).header("range", "bytes=0-999"),
    );
    let req = video_req("t2:0", "video", video(1920, 1080, 10));
    let since = SystemTime::now();
    assert!(matches!(
        youtube.publish(&creds(), &req).await.unwrap_err(),
        ConnectorError::Unknown { .. }
    ));
    assert_eq!(
        youtube.lookup(&creds(), &req, since).await.unwrap(),
        Lookup::Absent
    );
}

/// Fixture: channels.list?part=contentDetails → the uploads playlist.
fn uploads_playlist(server: &Fixture) {
    server.on(
        "GET",
        "/youtube/v3/channels",
        Reply::json(
            200,
            json!({"items": [{"kind": "youtube#channel", "id": CHANNEL,
                "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": UPLOADS}}}]}),
        ),
    );
}

/// Fixture: one playlistItems entry.
fn item(video_id: &str, title: &str, description: &str, published: &str) -> Value {
    json!({"kind": "youtube#playlistItem", "id": format!("item-{video_id}"),
        "snippet": {"publishedAt": published, "channelId": CHANNEL, "title": title,
            "description": description, "playlistId": UPLOADS, "position": 0,
            "resourceId": {"kind": "youtube#video", "videoId": video_id}}})
}

fn page(items: Vec<Value>, next: Option<&str>) -> Reply {
    let mut body = json!({"kind": "youtube#playlistItemListResponse", "items": items,
        "pageInfo": {"totalResults": 500, "resultsPerPage": 50}});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Reply::json(200, body)
}

#[tokio::test]
async fn lookup_without_a_session_reads_the_uploads_playlist() {
    let since = SystemTime::now() - Duration::from_secs(20 * 60);
    let req = video_req("l1:0", "video", video(1920, 1080, 10));

    // Found: same title and (whitespace aside) description, added after the attempt.
    let (server, youtube, _) = setup().await;
    uploads_playlist(&server);
    server.on(
        "GET",
        "/youtube/v3/playlistItems",
        page(
            vec![
                item("other1", "Something else", "", &ago(2)),
                item(
                    VIDEO_ID,
                    "A morning at the lake",
                    &TEXT.replace('\n', "\n\n"),
                    &ago(10),
                ),
            ],
            Some("EAAaBlBUOkNBVQ"),
        ),
    );
    match youtube.lookup(&creds(), &req, since).await.unwrap() {
        Lookup::Found(p) => {
            assert_eq!(p.remote.id, VIDEO_ID);
            assert_eq!(p.url, format!("https://www.youtube.com/watch?v={VIDEO_ID}"));
        }
        other => panic!("expected Found, got {other:?}"),
    }
    let list = &server.requests_to("GET", "/youtube/v3/playlistItems")[0];
    assert_eq!(list.query_pairs()["playlistId"], UPLOADS);
    assert_eq!(list.query_pairs()["part"], "snippet");
    assert_eq!(list.query_pairs()["maxResults"], "50");
    assert_eq!(
        server.requests_to("GET", "/youtube/v3/channels")[0].query_pairs()["part"],
        "contentDetails"
    );

    // Absent: the list reaches back before the attempt without it (over two pages).
    let (server, youtube, _) = setup().await;
    uploads_playlist(&server);
    server.on(
        "GET",
        "/youtube/v3/playlistItems",
        page(vec![item("n1", "Newer", "", &ago(5))], Some("PAGE2")),
    );
    server.on(
        "GET",
        "/youtube/v3/playlistItems",
        page(
            vec![
                item(
                    "n2",
                    "A morning at the lake",
                    "another description",
                    &ago(15),
                ),
                item("old", "A morning at the lake", TEXT, &ago(60 * 24)),
            ],
            Some("PAGE3"),
        ),
    );
    assert_eq!(
        youtube.lookup(&creds(), &req, since).await.unwrap(),
        Lookup::Absent
    );
    let lists = server.requests_to("GET", "/youtube/v3/playlistItems");
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[1].query_pairs()["pageToken"], "PAGE2");

    // CannotTell: four full pages, all newer than the attempt.
    let (server, youtube, _) = setup().await;
    uploads_playlist(&server);
    server.on(
        "GET",
        "/youtube/v3/playlistItems",
        page(vec![item("n", "Newer", "", &ago(1))], Some("MORE")),
    );
    assert!(matches!(
        youtube.lookup(&creds(), &req, since).await.unwrap(),
        Lookup::CannotTell { .. }
    ));
    assert_eq!(
        server.requests_to("GET", "/youtube/v3/playlistItems").len(),
        4
    );

    // Too fresh to trust an empty answer: ask again later.
    let (server, youtube, _) = setup().await;
    uploads_playlist(&server);
    server.on("GET", "/youtube/v3/playlistItems", page(vec![], None));
    let err = youtube
        .lookup(&creds(), &req, SystemTime::now() - Duration::from_secs(30))
        .await
        .unwrap_err();
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
}

#[tokio::test]
async fn lookup_of_a_first_comment_reads_the_videos_comments() {
    let since = SystemTime::now() - Duration::from_secs(20 * 60);
    let thread = |id: &str, text: &str, author: &str, published: &str| {
        json!({"kind": "youtube#commentThread", "id": id, "snippet": {"videoId": VIDEO_ID,
            "topLevelComment": {"id": id, "snippet": {"textOriginal": text, "textDisplay": text,
                "authorChannelId": {"value": author}, "publishedAt": published}},
            "totalReplyCount": 0}})
    };
    let (server, youtube, _) = setup().await;
    server.on(
        "GET",
        "/youtube/v3/commentThreads",
        Reply::json(
            200,
            json!({"kind": "youtube#commentThreadListResponse", "items": [
                thread("UgA", "Full story on our blog", "UC_a_fan", &ago(1)),
                thread("UgB", "Full  story on our blog", CHANNEL, &ago(3)),
            ]}),
        ),
    );
    match youtube
        .lookup(
            &creds(),
            &comment_req("c:1", "Full story on our blog"),
            since,
        )
        .await
        .unwrap()
    {
        Lookup::Found(p) => {
            assert_eq!(
                p.remote.id, "UgB",
                "the channel's own comment, not a fan's copy"
            );
            assert_eq!(p.remote.root.unwrap().id, VIDEO_ID);
        }
        other => panic!("expected Found, got {other:?}"),
    }
    let q = server.requests_to("GET", "/youtube/v3/commentThreads")[0].query_pairs();
    assert_eq!(q["videoId"], VIDEO_ID);
    assert_eq!(q["order"], "time");

    let (server, youtube, _) = setup().await;
    server.on(
        "GET",
        "/youtube/v3/commentThreads",
        Reply::json(
            200,
            json!({"items": [thread("UgC", "Something else", CHANNEL, &ago(2))]}),
        ),
    );
    assert_eq!(
        youtube
            .lookup(
                &creds(),
                &comment_req("c:1", "Full story on our blog"),
                since
            )
            .await
            .unwrap(),
        Lookup::Absent
    );
}

#[tokio::test]
async fn delete_succeeds_when_already_gone() {
    let (server, youtube, _) = setup().await;
    server.on("DELETE", "/youtube/v3/videos", Reply::empty(204));
    server.on(
        "DELETE",
        "/youtube/v3/videos",
        google_error(
            404,
            "videoNotFound",
            "youtube.video",
            "The video identified by the <code>id</code> parameter could not be found.",
        ),
    );
    let remote = RemoteRef {
        id: VIDEO_ID.into(),
        cid: None,
        root: None,
    };
    youtube.delete(&creds(), &remote).await.unwrap();
    youtube.delete(&creds(), &remote).await.unwrap();
    let sent = server.requests_to("DELETE", "/youtube/v3/videos");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].query_pairs()["id"], VIDEO_ID);

    // A comment (its root is the video) is deleted as a comment.
    server.on("DELETE", "/youtube/v3/comments", Reply::empty(204));
    youtube
        .delete(
            &creds(),
            &RemoteRef {
                id: "UgB".into(),
                cid: None,
                root: Some(Box::new(remote)),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        server.requests_to("DELETE", "/youtube/v3/comments")[0].query_pairs()["id"],
        "UgB"
    );

    // Not allowed: Auth, not success.
    let (server, youtube, _) = setup().await;
    server.on(
        "DELETE",
        "/youtube/v3/videos",
        google_error(
            403,
            "forbidden",
            "youtube.video",
            "The video that you are trying to delete cannot be deleted.",
        ),
    );
    let err = youtube
        .delete(
            &creds(),
            &RemoteRef {
                id: VIDEO_ID.into(),
                cid: None,
                root: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn status_reads_statistics() {
    let (server, youtube, _) = setup().await;
    // Fixture: videos.list?part=statistics,status (counts are strings).
    server.on(
        "GET",
        "/youtube/v3/videos",
        Reply::json(
            200,
            json!({"kind": "youtube#videoListResponse", "items": [{"kind": "youtube#video", "id": VIDEO_ID,
                "statistics": {"viewCount": "1234", "likeCount": "56", "favoriteCount": "0", "commentCount": "7"},
                "status": {"uploadStatus": "processed", "privacyStatus": "public"}}],
                "pageInfo": {"totalResults": 1, "resultsPerPage": 1}}),
        ),
    );
    server.on(
        "GET",
        "/youtube/v3/videos",
        Reply::json(
            200,
            json!({"kind": "youtube#videoListResponse", "items": [], "pageInfo": {"totalResults": 0, "resultsPerPage": 0}}),
        ),
    );
    let remote = RemoteRef {
        id: VIDEO_ID.into(),
        cid: None,
        root: None,
    };
    let s = youtube.status(&creds(), &remote).await.unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.views, Some(1234));
    assert_eq!(s.metrics.likes, Some(56));
    assert_eq!(s.metrics.comments, Some(7));
    let q = server.requests_to("GET", "/youtube/v3/videos")[0].query_pairs();
    assert_eq!(q["part"], "statistics,status");
    assert_eq!(q["id"], VIDEO_ID);
    let s = youtube.status(&creds(), &remote).await.unwrap();
    assert!(!s.exists, "no item: deleted");

    // A comment: likes and replies from its thread.
    server.on(
        "GET",
        "/youtube/v3/commentThreads",
        Reply::json(
            200,
            json!({"items": [{"id": "UgB", "snippet": {"videoId": VIDEO_ID, "totalReplyCount": 2,
                "topLevelComment": {"id": "UgB", "snippet": {"likeCount": 4}}}}]}),
        ),
    );
    let s = youtube
        .status(
            &creds(),
            &RemoteRef {
                id: "UgB".into(),
                cid: None,
                root: Some(Box::new(remote)),
            },
        )
        .await
        .unwrap();
    assert!(s.exists);
    assert_eq!(s.metrics.likes, Some(4));
    assert_eq!(s.metrics.comments, Some(2));
}

fn refresh_creds() -> Credentials {
    let mut c = creds();
    c.refresh = Some(SecretString::from("1//0refresh-token-example"));
    c.app = Some(AppCredentials {
        client_id: "123-abc.apps.googleusercontent.com".into(),
        client_secret: SecretString::from("GOCSPX-secret"),
    });
    c
}

#[tokio::test]
async fn refresh_keeps_the_refresh_token_and_dead_grants_need_a_person() {
    let (server, youtube, _) = setup().await;
    assert!(youtube.refresh(&creds()).await.unwrap().is_none());
    // Fixture: Google's token endpoint answer to a refresh (no new refresh token).
    server.on(
        "POST",
        "/token",
        Reply::json(
            200,
            json!({"access_token": "ya29.new-access", "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.force-ssl",
                "token_type": "Bearer"}),
        ),
    );
    let grant = youtube.refresh(&refresh_creds()).await.unwrap().unwrap();
    assert_eq!(grant.access.expose_secret(), "ya29.new-access");
    assert!(grant.refresh.is_none(), "Google keeps the refresh token");
    assert!(grant.expires_at.is_some());
    let form = server.requests_to("POST", "/token")[0].form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "1//0refresh-token-example");
    assert_eq!(form["client_id"], "123-abc.apps.googleusercontent.com");
    assert_eq!(form["client_secret"], "GOCSPX-secret");

    let (server, youtube, _) = setup().await;
    server.on(
        "POST",
        "/token",
        Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
        ),
    );
    let err = youtube.refresh(&refresh_creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    no_secret(&err);

    let (server, youtube, _) = setup().await;
    server.on("POST", "/token", Reply::text(503, "Service Unavailable"));
    let err = youtube.refresh(&refresh_creds()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Temporary { .. }), "{err:?}");
    no_secret(&err);
}

#[tokio::test]
async fn the_oauth_spec_is_googles() {
    let (server, youtube, _) = setup().await;
    let spec = youtube.oauth(None).unwrap();
    assert_eq!(spec.token_url, format!("{}/token", server.url()));
    let pending = Pending::new();
    let url = oauth::authorize_url(
        &spec,
        "123-abc.apps.googleusercontent.com",
        "https://owl.example/cb",
        &pending,
    )
    .unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(parsed.host_str(), Some("accounts.google.com"));
    assert_eq!(parsed.path(), "/o/oauth2/v2/auth");
    let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["client_id"], "123-abc.apps.googleusercontent.com");
    assert_eq!(
        q["scope"],
        "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.force-ssl https://www.googleapis.com/auth/youtube.readonly"
    );
    let default = Youtube::new(Env::default()).unwrap().oauth(None).unwrap();
    assert_eq!(default.token_url, "https://oauth2.googleapis.com/token");
}

#[tokio::test]
async fn a_server_error_while_receiving_the_video_is_unknown_until_the_session_answers() {
    let (server, youtube, _) = setup().await;
    server.on("POST", UPLOAD, session(&server));
    server.on(
        "PUT",
        UPLOAD,
        google_error(
            503,
            "backendError",
            "global",
            "The service is currently unavailable.",
        ),
    );
    server.on(
        "PUT",
        UPLOAD,
        Reply::json(201, video_resource("A morning at the lake")),
    );
    let req = video_req("t3:0", "video", video(1920, 1080, 10));
    let since = SystemTime::now();
    let err = youtube.publish(&creds(), &req).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unknown { .. }), "{err:?}");
    match youtube.lookup(&creds(), &req, since).await.unwrap() {
        Lookup::Found(p) => assert_eq!(p.remote.id, VIDEO_ID),
        other => panic!("expected Found, got {other:?}"),
    }
    assert_eq!(
        server.requests_to("PUT", UPLOAD)[1].header("content-range"),
        Some("bytes */4096")
    );
}

/// Fixture: `comments.insert` (developers.google.com/youtube/v3/docs/comments/insert) with
/// `snippet.parentId` = the thread's top-level comment, also when answering a reply in it.
#[tokio::test]
async fn an_answer_is_a_reply_in_the_comments_thread() {
    use owlery_domain::inbox::MessageKind;
    let (server, yt, _) = setup().await;
    server.on(
        "POST",
        "/youtube/v3/comments",
        Reply::json(
            200,
            json!({ "kind": "youtube#comment", "id": "UgzDE2tasfmrYLyNkGt4AaABAg.9iPXEClD9lW9iPXLqKy_Pt",
                    "snippet": { "parentId": "UgzDE2tasfmrYLyNkGt4AaABAg", "textOriginal": "Thanks!" } }),
        ),
    );
    let req = owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind: MessageKind::Comment,
            message_id: "UgzDE2tasfmrYLyNkGt4AaABAg.9iPXEClD9lW9iPXAbCdEf".into(),
            parent_id: None,
            root_id: Some("dQw4w9WgXcQ".into()),
            thread_id: None,
            contact_id: "UC_x5XG1OV2P6uZZ5FSM9Ttw".into(),
            contact_handle: "ana".into(),
        },
        text: "Thanks!".into(),
    };
    let p = yt.reply(&creds(), &req).await.unwrap();
    assert_eq!(
        p.remote.id,
        "UgzDE2tasfmrYLyNkGt4AaABAg.9iPXEClD9lW9iPXLqKy_Pt"
    );
    assert!(p.url.contains("dQw4w9WgXcQ"), "{}", p.url);
    let sent = server.requests_to("POST", "/youtube/v3/comments");
    assert_eq!(sent[0].query_pairs()["part"], "snippet");
    assert_eq!(
        sent[0].json(),
        json!({ "snippet": { "parentId": "UgzDE2tasfmrYLyNkGt4AaABAg", "textOriginal": "Thanks!" } })
    );
    assert!(!yt.can_reply(MessageKind::Dm));
}
