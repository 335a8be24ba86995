//! The Bluesky connector against Bluesky's own local network (npm `@atproto/dev-env`: PLC, PDS,
//! AppView), started by `scripts/test` or `scripts/services up`.
//!
//! `OWLERY_TEST_BLUESKY_PDS` and `OWLERY_TEST_BLUESKY_APPVIEW` name the servers. Without them the
//! tests are skipped with a note, except under `CI_SERVICES=1`, where that is a failure. Each test
//! makes its own account (`owl<random>.test`) and an app password for it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use std::time::{Duration, Instant, SystemTime};

use owlery_networks::bluesky::{Bluesky, post_url, tid};
use owlery_networks::http::{self, HttpConfig};
use owlery_networks::{
    Connector, ConnectorError, Credentials, Lookup, MediaUpload, PublishPart, PublishRequest,
    Published,
};
use serde_json::{Value, json};

struct Servers {
    pds: String,
    appview: String,
}

fn servers() -> Option<Servers> {
    match (
        std::env::var("OWLERY_TEST_BLUESKY_PDS"),
        std::env::var("OWLERY_TEST_BLUESKY_APPVIEW"),
    ) {
        (Ok(pds), Ok(appview)) if !pds.is_empty() && !appview.is_empty() => Some(Servers {
            pds: pds.trim_end_matches('/').to_owned(),
            appview: appview.trim_end_matches('/').to_owned(),
        }),
        _ => {
            assert!(
                std::env::var("CI_SERVICES").is_err(),
                "CI_SERVICES is set but OWLERY_TEST_BLUESKY_PDS/_APPVIEW are not: the Bluesky tests cannot be skipped here"
            );
            eprintln!(
                "note: OWLERY_TEST_BLUESKY_PDS is not set; skipping the Bluesky dev-env tests (scripts/test starts it)"
            );
            None
        }
    }
}

fn client() -> reqwest::Client {
    http::client(HttpConfig::default()).unwrap()
}

async fn xrpc_post(
    http: &reqwest::Client,
    base: &str,
    nsid: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    let mut req = http.post(format!("{base}/xrpc/{nsid}")).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let value: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{nsid}: {status} {value}");
    value
}

async fn xrpc_get(http: &reqwest::Client, base: &str, nsid: &str, query: &[(&str, &str)]) -> Value {
    let res = http
        .get(format!("{base}/xrpc/{nsid}"))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let value: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{nsid}: {status} {value}");
    value
}

/// A fresh account with an app password; returns credentials that use the app password.
async fn new_account(s: &Servers) -> (Credentials, String) {
    let http = client();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let handle = format!("owl{}.test", &id[id.len() - 10..]);
    let account = xrpc_post(
        &http,
        &s.pds,
        "com.atproto.server.createAccount",
        None,
        json!({
            "handle": handle,
            "email": format!("{handle}@example.test"),
            "password": format!("main-{id}"),
        }),
    )
    .await;
    let did = account["did"].as_str().unwrap().to_owned();
    let access = account["accessJwt"].as_str().unwrap();
    let app = xrpc_post(
        &http,
        &s.pds,
        "com.atproto.server.createAppPassword",
        Some(access),
        json!({ "name": "owlery" }),
    )
    .await;
    let password = app["password"].as_str().unwrap();
    (
        Credentials::new(handle, password).with_service(s.pds.clone()),
        did,
    )
}

/// A 1×1 orange PNG.
const PNG_1X1: [u8; 69] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0xdf, 0xc3, 0x00,
    0x00, 0x04, 0x19, 0x01, 0x8c, 0xd1, 0xbc, 0x6f, 0x8f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];
/// A 2×1 blue PNG.
const PNG_2X1: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x7b, 0x40, 0xe8,
    0xdd, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x90, 0xb3, 0x39, 0x01,
    0x44, 0x00, 0x06, 0xa1, 0x02, 0x45, 0x0c, 0x92, 0x0c, 0x98, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn text_part(text: &str) -> PublishPart {
    PublishPart {
        text: text.into(),
        ..PublishPart::default()
    }
}

fn rkey_of(p: &Published) -> &str {
    p.remote.id.rsplit('/').next().unwrap()
}

/// The record as the PDS holds it.
async fn get_record(s: &Servers, did: &str, rkey: &str) -> Value {
    xrpc_get(
        &client(),
        &s.pds,
        "com.atproto.repo.getRecord",
        &[
            ("repo", did),
            ("collection", "app.bsky.feed.post"),
            ("rkey", rkey),
        ],
    )
    .await
}

async fn count_posts(s: &Servers, did: &str) -> usize {
    let list = xrpc_get(
        &client(),
        &s.pds,
        "com.atproto.repo.listRecords",
        &[
            ("repo", did),
            ("collection", "app.bsky.feed.post"),
            ("limit", "100"),
        ],
    )
    .await;
    list["records"].as_array().unwrap().len()
}

/// The facet whose byte range slices `text` to `expected`.
fn facet_for<'f>(facets: &'f [Value], text: &str, expected: &str) -> &'f Value {
    facets
        .iter()
        .find(|f| {
            let start = f["index"]["byteStart"].as_u64().unwrap() as usize;
            let end = f["index"]["byteEnd"].as_u64().unwrap() as usize;
            text.as_bytes().get(start..end) == Some(expected.as_bytes())
        })
        .unwrap_or_else(|| panic!("no facet slices to {expected:?} in {facets:#?}"))
}

#[tokio::test]
async fn publishes_a_thread_with_images_and_facets_that_the_appview_shows() {
    let Some(s) = servers() else { return };
    let (creds, did) = new_account(&s).await;
    let bluesky = Bluesky::new().unwrap();

    let account = bluesky.verify(&creds).await.unwrap();
    assert_eq!(account.id, did);
    assert_eq!(account.handle, creds.handle);

    let variant = uuid::Uuid::now_v7();
    let first_text = "Привет 🦉 совы! #owls — read https://example.com/owls?x=1 with @alice.test and @nobody-here.test";
    let first = bluesky
        .publish(
            &creds,
            &PublishRequest {
                part: PublishPart {
                    text: first_text.into(),
                    media: vec![
                        MediaUpload {
                            bytes: PNG_1X1.to_vec(),
                            mime: "image/png".into(),
                            alt: "An orange dot".into(),
                            width: 1,
                            height: 1,
                            ..MediaUpload::default()
                        },
                        MediaUpload {
                            bytes: PNG_2X1.to_vec(),
                            mime: "image/png".into(),
                            alt: "Две сини точки".into(),
                            width: 2,
                            height: 1,
                            ..MediaUpload::default()
                        },
                    ],
                    link: None,
                    langs: vec!["bg".into(), "en".into()],
                    title: None,
                },
                ..PublishRequest::new(format!("{variant}:0"), "")
            },
        )
        .await
        .unwrap();
    assert!(
        first
            .remote
            .id
            .starts_with(&format!("at://{did}/app.bsky.feed.post/"))
    );
    assert_eq!(rkey_of(&first), tid::rkey_for(&format!("{variant}:0")));
    assert_eq!(first.url, post_url(&creds.handle, rkey_of(&first)));
    assert!(first.remote.cid.is_some());
    assert!(first.remote.root.is_none());

    let second = bluesky
        .publish(
            &creds,
            &PublishRequest {
                reply_to: Some(first.remote.clone()),
                ..PublishRequest::new(format!("{variant}:1"), "2/3 the middle")
            },
        )
        .await
        .unwrap();
    // the third part replies to a reference without a CID: the connector reads it
    let mut parent = second.remote.clone();
    parent.cid = None;
    let third = bluesky
        .publish(
            &creds,
            &PublishRequest {
                reply_to: Some(parent),
                ..PublishRequest::new(format!("{variant}:2"), "3/3 the end")
            },
        )
        .await
        .unwrap();
    assert_eq!(second.remote.root.as_ref().unwrap().id, first.remote.id);
    assert_eq!(third.remote.root.as_ref().unwrap().id, first.remote.id);

    // --- the first post as the PDS holds it
    let record = get_record(&s, &did, rkey_of(&first)).await;
    let value = &record["value"];
    assert_eq!(value["text"], first_text);
    assert_eq!(value["langs"], json!(["bg", "en"]));
    let images = value["embed"]["images"].as_array().unwrap();
    assert_eq!(value["embed"]["$type"], "app.bsky.embed.images");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["alt"], "An orange dot");
    assert_eq!(images[1]["alt"], "Две сини точки");
    assert_eq!(images[1]["aspectRatio"], json!({ "width": 2, "height": 1 }));
    for image in images {
        assert_eq!(image["image"]["$type"], "blob");
        assert_eq!(image["image"]["mimeType"], "image/png");
        assert!(
            image["image"]["ref"]["$link"]
                .as_str()
                .unwrap()
                .starts_with("baf")
        );
    }
    assert_eq!(images[0]["image"]["size"], PNG_1X1.len());

    let facets = value["facets"].as_array().unwrap();
    // link, mention of alice.test, the hashtag; the unresolvable mention has no facet
    assert_eq!(facets.len(), 3, "{facets:#?}");
    let tag = facet_for(facets, first_text, "#owls");
    assert_eq!(tag["features"][0]["$type"], "app.bsky.richtext.facet#tag");
    assert_eq!(tag["features"][0]["tag"], "owls");
    // after "Привет 🦉 совы! " : 12 + 1 + 4 + 1 + 8 + 2 bytes
    assert_eq!(tag["index"]["byteStart"], 28);
    let link = facet_for(facets, first_text, "https://example.com/owls?x=1");
    assert_eq!(link["features"][0]["uri"], "https://example.com/owls?x=1");
    let mention = facet_for(facets, first_text, "@alice.test");
    let alice = xrpc_get(
        &client(),
        &s.pds,
        "com.atproto.identity.resolveHandle",
        &[("handle", "alice.test")],
    )
    .await;
    assert_eq!(
        mention["features"][0]["$type"],
        "app.bsky.richtext.facet#mention"
    );
    assert_eq!(mention["features"][0]["did"], alice["did"]);

    // --- the reply chain in the records
    let third_record = get_record(&s, &did, rkey_of(&third)).await;
    assert_eq!(
        third_record["value"]["reply"]["root"]["uri"],
        first.remote.id.as_str()
    );
    assert_eq!(
        third_record["value"]["reply"]["root"]["cid"],
        first.remote.cid.as_deref().unwrap()
    );
    assert_eq!(
        third_record["value"]["reply"]["parent"]["uri"],
        second.remote.id.as_str()
    );

    // --- the thread as the AppView shows it (indexing is asynchronous: poll until a deadline)
    let http = client();
    let deadline = Instant::now() + Duration::from_secs(30);
    let thread = loop {
        let res = http
            .get(format!("{}/xrpc/app.bsky.feed.getPostThread", s.appview))
            .query(&[("uri", third.remote.id.as_str()), ("parentHeight", "10")])
            .send()
            .await
            .unwrap();
        if res.status().is_success() {
            let body: Value = res.json().await.unwrap();
            if body["thread"]["parent"]["parent"]["post"]["uri"].is_string() {
                break body["thread"].clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the AppView did not show the thread within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(thread["post"]["uri"], third.remote.id.as_str());
    assert_eq!(thread["parent"]["post"]["uri"], second.remote.id.as_str());
    assert_eq!(
        thread["parent"]["parent"]["post"]["uri"],
        first.remote.id.as_str()
    );
    let root_view = &thread["parent"]["parent"]["post"];
    assert_eq!(root_view["author"]["handle"], creds.handle.as_str());
    assert_eq!(
        root_view["embed"]["images"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(root_view["embed"]["images"][0]["alt"], "An orange dot");

    // --- lookup and delete
    assert_eq!(
        bluesky
            .lookup(&creds, &key_only(format!("{variant}:1")), SystemTime::now())
            .await
            .unwrap(),
        Lookup::Found(second.clone())
    );
    assert_eq!(
        bluesky
            .lookup(&creds, &key_only(format!("{variant}:9")), SystemTime::now())
            .await
            .unwrap(),
        Lookup::Absent
    );
    bluesky.delete(&creds, &third.remote).await.unwrap();
    bluesky.delete(&creds, &third.remote).await.unwrap();
    assert_eq!(
        bluesky
            .lookup(&creds, &key_only(format!("{variant}:2")), SystemTime::now())
            .await
            .unwrap(),
        Lookup::Absent
    );
    assert_eq!(count_posts(&s, &did).await, 2);
}

#[tokio::test]
async fn the_same_idempotency_key_publishes_once() {
    let Some(s) = servers() else { return };
    let (creds, did) = new_account(&s).await;
    let key = format!("{}:0", uuid::Uuid::now_v7());
    let req = PublishRequest {
        reply_to: None,
        ..PublishRequest::new(key.clone(), "once, and only once")
    };
    let bluesky = Bluesky::new().unwrap();
    let first = bluesky.publish(&creds, &req).await.unwrap();
    let again = bluesky.publish(&creds, &req).await.unwrap();
    // a new process (no cached session) repeating it after a crash
    let restarted = Bluesky::new().unwrap();
    let third = restarted.publish(&creds, &req).await.unwrap();
    assert_eq!(first.remote.id, again.remote.id);
    assert_eq!(first.remote.id, third.remote.id);
    assert_eq!(first.remote.cid, third.remote.cid);
    assert_eq!(count_posts(&s, &did).await, 1);
    let Lookup::Found(found) = restarted
        .lookup(&creds, &req, SystemTime::now())
        .await
        .unwrap()
    else {
        panic!("the published key was not found")
    };
    assert_eq!(found.remote.id, first.remote.id);

    // the same key with other content is a collision, not a silent success
    let other = PublishRequest {
        part: text_part("something else"),
        ..req
    };
    assert!(matches!(
        bluesky.publish(&creds, &other).await,
        Err(ConnectorError::Permanent { .. })
    ));
    assert_eq!(count_posts(&s, &did).await, 1);
}

#[tokio::test]
async fn a_refused_access_token_is_renewed_once() {
    let Some(s) = servers() else { return };
    let (creds, did) = new_account(&s).await;
    let bluesky = Bluesky::new().unwrap();
    bluesky.verify(&creds).await.unwrap();
    assert!(bluesky.spoil_access_token(&creds));
    let published = bluesky
        .publish(
            &creds,
            &PublishRequest {
                reply_to: None,
                ..PublishRequest::new("renewal:0", "after a renewed session")
            },
        )
        .await
        .unwrap();
    assert!(published.remote.id.contains(&did));
}

#[tokio::test]
async fn a_wrong_app_password_is_an_auth_error() {
    let Some(s) = servers() else { return };
    let (creds, _) = new_account(&s).await;
    let wrong = Credentials::new(creds.handle.clone(), "aaaa-bbbb-cccc-dddd").with_service(s.pds);
    let bluesky = Bluesky::new().unwrap();
    let err = bluesky.verify(&wrong).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("aaaa-bbbb"));
    let err = bluesky
        .publish(
            &wrong,
            &PublishRequest {
                reply_to: None,
                ..PublishRequest::new("wrong:0", "never")
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_service_is_a_temporary_failure() {
    // needs no server, but stays with its siblings
    let bluesky = Bluesky::with_config(HttpConfig {
        connect_timeout: Duration::from_secs(3),
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    for service in ["http://127.0.0.1:1", "http://owlery-no-such-host.invalid"] {
        let creds = Credentials::new("owl.test", "x").with_service(service);
        let err = bluesky.verify(&creds).await.unwrap_err();
        assert!(
            matches!(
                err,
                ConnectorError::Temporary { .. } | ConnectorError::Unknown { .. }
            ),
            "{service}: {err:?}"
        );
    }
    let creds = Credentials::new("owl.test", "x").with_service("::garbage::");
    assert!(matches!(
        bluesky.verify(&creds).await,
        Err(ConnectorError::Permanent { .. })
    ));
}

#[tokio::test]
async fn a_post_the_lexicon_rejects_is_permanent_with_the_servers_reason() {
    let Some(s) = servers() else { return };
    let (creds, did) = new_account(&s).await;
    let bluesky = Bluesky::new().unwrap();
    let err = bluesky
        .publish(
            &creds,
            &PublishRequest {
                reply_to: None,
                ..PublishRequest::new(format!("{}:0", uuid::Uuid::now_v7()), "🦉".repeat(301))
            },
        )
        .await
        .unwrap_err();
    match &err {
        ConnectorError::Permanent { reason } => {
            assert!(reason.contains("maximum 300"), "{reason}");
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert_eq!(count_posts(&s, &did).await, 0);
}

/// A request that only names its idempotency key (what `lookup` reads on Bluesky).
fn key_only(key: String) -> PublishRequest {
    PublishRequest::new(key, "")
}

/// The account's notifications as the AppView lists them (for failure messages).
async fn raw_notifications(creds: &Credentials) -> Value {
    let http = client();
    let service = creds.service.clone().unwrap_or_default();
    let session = xrpc_post(
        &http,
        &service,
        "com.atproto.server.createSession",
        None,
        json!({ "identifier": creds.handle, "password": secrecy::ExposeSecret::expose_secret(&creds.secret) }),
    )
    .await;
    let res = http
        .get(format!(
            "{service}/xrpc/app.bsky.notification.listNotifications"
        ))
        .bearer_auth(session["accessJwt"].as_str().unwrap_or_default())
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    json!(v["notifications"].as_array().map(|l| {
        l.iter()
            .map(|n| json!([n["reason"], n["uri"], n["indexedAt"]]))
            .collect::<Vec<_>>()
    }))
}

/// Poll until `want` items have arrived (the AppView indexes asynchronously), carrying the cursor.
async fn poll_until(
    bluesky: &Bluesky,
    creds: &Credentials,
    cursor: &mut Option<String>,
    want: usize,
) -> Vec<owlery_networks::inbox::InboxItem> {
    // Generous: under the whole suite the AppView's firehose backlog can be long.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut items = Vec::new();
    loop {
        let poll = bluesky.poll_inbox(creds, cursor.as_deref()).await.unwrap();
        items.extend(poll.items);
        if poll.cursor.is_some() {
            *cursor = poll.cursor;
        }
        if items.len() >= want {
            return items;
        }
        if Instant::now() >= deadline {
            // What the AppView holds, to tell a slow AppView from a wrong sweep.
            let raw = raw_notifications(creds).await;
            panic!(
                "{} of {want} inbox items within 90 s: {items:?}\ncursor: {cursor:?}\nlistNotifications: {raw}",
                items.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn replies_and_mentions_reach_the_inbox_poll_exactly_once() {
    use owlery_domain::inbox::MessageKind;

    let Some(s) = servers() else { return };
    let (brand, _) = new_account(&s).await;
    let (ana, ana_did) = new_account(&s).await;
    let bluesky = Bluesky::new().unwrap();
    assert!(bluesky.polls_inbox());

    let key = || format!("{}:0", uuid::Uuid::now_v7());
    let post = bluesky
        .publish(
            &brand,
            &PublishRequest::new(key(), "New opening hours from Monday"),
        )
        .await
        .unwrap();
    // Ana answers the post, mentions the brand in a post of her own, and likes the post (a
    // notification that is not a message).
    let reply = bluesky
        .publish(
            &ana,
            &PublishRequest {
                reply_to: Some(post.remote.clone()),
                ..PublishRequest::new(key(), "Does that include Sundays?")
            },
        )
        .await
        .unwrap();
    let mention = bluesky
        .publish(
            &ana,
            &PublishRequest::new(key(), format!("Great coffee at @{} today", brand.handle)),
        )
        .await
        .unwrap();
    let http = client();
    let session = xrpc_post(
        &http,
        &s.pds,
        "com.atproto.server.createSession",
        None,
        json!({ "identifier": ana.handle, "password": secrecy::ExposeSecret::expose_secret(&ana.secret) }),
    )
    .await;
    xrpc_post(
        &http,
        &s.pds,
        "com.atproto.repo.createRecord",
        session["accessJwt"].as_str(),
        json!({
            "repo": ana_did,
            "collection": "app.bsky.feed.like",
            "record": {
                "$type": "app.bsky.feed.like",
                "subject": { "uri": post.remote.id, "cid": post.remote.cid },
                "createdAt": chrono::Utc::now().to_rfc3339(),
            }
        }),
    )
    .await;

    // The first poll of the channel reads the newest page.
    let mut cursor = None;
    let items = poll_until(&bluesky, &brand, &mut cursor, 2).await;
    assert_eq!(items.len(), 2, "{items:?}");
    let comment = items
        .iter()
        .find(|i| i.remote_id == reply.remote.id)
        .unwrap();
    assert_eq!(comment.kind, MessageKind::Comment);
    assert_eq!(comment.text, "Does that include Sundays?");
    assert_eq!(comment.author.remote_id, ana_did);
    assert_eq!(comment.author.handle, ana.handle);
    assert_eq!(comment.author.followers, Some(0));
    assert_eq!(
        comment.conversation_remote_id.as_deref(),
        Some(post.remote.id.as_str())
    );
    assert_eq!(
        comment.in_reply_to_remote_id.as_deref(),
        Some(post.remote.id.as_str())
    );
    let (_, _, rkey) = owlery_networks::bluesky::parse_at_uri(&reply.remote.id).unwrap();
    assert_eq!(
        comment.url.as_deref(),
        Some(post_url(&ana.handle, rkey).as_str())
    );
    let mentioned = items
        .iter()
        .find(|i| i.remote_id == mention.remote.id)
        .unwrap();
    assert_eq!(mentioned.kind, MessageKind::Mention);
    assert_eq!(mentioned.conversation_remote_id, None);
    assert!(cursor.is_some());

    // Nothing new: nothing again, however often it is asked.
    for _ in 0..2 {
        let poll = bluesky.poll_inbox(&brand, cursor.as_deref()).await.unwrap();
        assert!(poll.items.is_empty(), "repeated: {:?}", poll.items);
        assert!(!poll.more);
        if poll.cursor.is_some() {
            cursor = poll.cursor;
        }
    }

    // A follow-up in the thread (an answer to the brand's own reply) is a comment on the post.
    let answer = bluesky
        .publish(
            &brand,
            &PublishRequest {
                reply_to: Some(reply.remote.clone()),
                ..PublishRequest::new(key(), "Yes, 10:00 to 16:00")
            },
        )
        .await
        .unwrap();
    // The AppView notifies a reply's ancestors by walking the thread it has indexed: wait until
    // it shows the brand's answer, as a person replying to it in an app would.
    let deadline = Instant::now() + Duration::from_secs(30);
    while xrpc_get(
        &client(),
        &s.appview,
        "app.bsky.feed.getPosts",
        &[("uris", answer.remote.id.as_str())],
    )
    .await["posts"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        assert!(
            Instant::now() < deadline,
            "the AppView did not show the answer within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let follow_up = bluesky
        .publish(
            &ana,
            &PublishRequest {
                reply_to: Some(answer.remote.clone()),
                ..PublishRequest::new(key(), "Thanks!")
            },
        )
        .await
        .unwrap();
    let items = poll_until(&bluesky, &brand, &mut cursor, 1).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].remote_id, follow_up.remote.id);
    assert_eq!(items[0].kind, MessageKind::Comment);
    assert_eq!(
        items[0].conversation_remote_id.as_deref(),
        Some(post.remote.id.as_str())
    );
    assert_eq!(
        items[0].in_reply_to_remote_id.as_deref(),
        Some(answer.remote.id.as_str())
    );
}
