//! Looking an inbox answer up after an unknown outcome (`Connector::lookup_reply`), against
//! **fixtures** shaped as each reference documents the listing read: YouTube `comments.list`
//! (`parentId`), LinkedIn `GET /rest/socialActions/{urn}/comments`, Meta's Conversations API
//! (`/{page}/conversations?platform=…&user_id=…`, `/{conversation}/messages`) for Messenger and
//! Instagram direct messages. They prove the connectors ask as documented, not that the networks
//! answer so today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use chrono::Utc;
use owlery_domain::inbox::MessageKind;
use owlery_networks::facebook::FacebookPages;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::inbox::{ReplyRequest, ReplyTarget};
use owlery_networks::instagram::Instagram;
use owlery_networks::linkedin::Linkedin;
use owlery_networks::youtube::Youtube;
use owlery_networks::{Connector, Credentials, Env, Lookup};
use serde_json::json;

fn env(f: &Fixture) -> Env {
    Env {
        base_url: Some(f.url()),
        ..Env::default()
    }
}

fn answer(kind: MessageKind, message: &str, root: Option<&str>, contact: &str) -> ReplyRequest {
    ReplyRequest {
        idempotency_key: "reply:1".into(),
        target: ReplyTarget {
            kind,
            message_id: message.into(),
            parent_id: None,
            root_id: root.map(str::to_owned),
            thread_id: None,
            contact_id: contact.into(),
            contact_handle: "ana".into(),
        },
        text: "Thanks, Ana!".into(),
    }
}

fn minutes_ago(m: i64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(60 * m as u64)
}

// ------------------------------------------------------------------ YouTube

const CHANNEL: &str = "UC_x5XG1OV2P6uZZ5FSM9Ttw";

/// Fixture: a reply as `comments.list` returns it.
fn yt_reply(id: &str, author: &str, text: &str, minutes_ago: i64) -> serde_json::Value {
    json!({
        "kind": "youtube#comment", "id": id,
        "snippet": {
            "authorChannelId": { "value": author }, "parentId": "UgTop",
            "textDisplay": text, "textOriginal": text,
            "publishedAt": (Utc::now() - chrono::TimeDelta::minutes(minutes_ago)).to_rfc3339(),
        }
    })
}

#[tokio::test]
async fn youtube_finds_the_channels_own_reply_in_the_thread() {
    let f = Fixture::start().await.unwrap();
    let yt = Youtube::new(env(&f)).unwrap();
    let creds = Credentials::new("@brand", "ya29.token").with_account(CHANNEL);
    f.on(
        "GET",
        "/youtube/v3/comments",
        Reply::json(
            200,
            json!({"kind": "youtube#commentListResponse", "nextPageToken": "p2", "items": [
                yt_reply("UgTop.a", "UCana", "Thanks, Ana!", 2),
            ]}),
        ),
    );
    f.on(
        "GET",
        "/youtube/v3/comments",
        Reply::json(
            200,
            json!({"kind": "youtube#commentListResponse", "items": [
                yt_reply("UgTop.b", CHANNEL, "Thanks,  Ana!", 2),
            ]}),
        ),
    );
    let req = answer(MessageKind::Comment, "UgTop.x", Some("vidA"), "UCana");
    let found = yt
        .lookup_reply(&creds, &req, minutes_ago(10))
        .await
        .unwrap();
    let Lookup::Found(p) = found else {
        panic!("{found:?}")
    };
    assert_eq!(p.remote.id, "UgTop.b");
    assert_eq!(p.url, "https://www.youtube.com/watch?v=vidA&lc=UgTop.b");
    let asked = f.requests_to("GET", "/youtube/v3/comments");
    assert_eq!(asked[0].query_pairs().get("parentId").unwrap(), "UgTop");
    assert_eq!(asked[1].query_pairs().get("pageToken").unwrap(), "p2");

    // The whole thread read without it, long enough ago: it was not sent.
    let f = Fixture::start().await.unwrap();
    let yt = Youtube::new(env(&f)).unwrap();
    f.on(
        "GET",
        "/youtube/v3/comments",
        Reply::json(
            200,
            json!({"items": [yt_reply("UgTop.c", CHANNEL, "Something else", 20)]}),
        ),
    );
    let absent = yt
        .lookup_reply(&creds, &req, minutes_ago(30))
        .await
        .unwrap();
    assert_eq!(absent, Lookup::Absent);
    // Too fresh to trust an empty listing: try again later.
    let fresh = yt.lookup_reply(&creds, &req, minutes_ago(1)).await;
    assert!(fresh.is_err_and(|e| e.is_retryable()));
}

// ------------------------------------------------------------------ LinkedIn

const ORG: &str = "urn:li:organization:2414183";
const COMMENT: &str = "urn:li:comment:(urn:li:activity:6883746833840709632,6884232346456113152)";

#[tokio::test]
async fn linkedin_finds_the_organisations_nested_comment() {
    let f = Fixture::start().await.unwrap();
    let li = Linkedin::new(env(&f)).unwrap();
    let creds = Credentials::new("Northwind", "AQX-token").with_account(ORG);
    let since = minutes_ago(10);
    let ms = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    let path = format!(
        "/rest/socialActions/{}/comments",
        owlery_networks::linkedin::encode_urn(COMMENT)
    );
    f.on(
        "GET",
        &path,
        Reply::json(
            200,
            json!({
                "paging": { "start": 0, "count": 50, "total": 2 },
                "elements": [
                    { "actor": "urn:li:person:AbC123", "message": { "text": "Thanks, Ana!" }, "created": { "time": ms(since) + 1 },
                      "$URN": "urn:li:comment:(urn:li:activity:6883746833840709632,1)", "id": "1" },
                    { "actor": ORG, "message": { "text": "Thanks, Ana!" }, "created": { "time": ms(since) + 2 },
                      "$URN": "urn:li:comment:(urn:li:activity:6883746833840709632,2)", "id": "2" }
                ]
            }),
        ),
    );
    let req = answer(
        MessageKind::Comment,
        COMMENT,
        Some("urn:li:share:6883746834557935616"),
        "urn:li:person:AbC123",
    );
    let found = li.lookup_reply(&creds, &req, since).await.unwrap();
    let Lookup::Found(p) = found else {
        panic!("{found:?}")
    };
    assert_eq!(
        p.remote.id,
        "urn:li:comment:(urn:li:activity:6883746833840709632,2)"
    );
    assert!(
        p.url.contains("urn:li:share:6883746834557935616"),
        "{}",
        p.url
    );
    // LinkedIn has no DMs for apps: never sent.
    let dm = answer(MessageKind::Dm, COMMENT, None, "x");
    assert_eq!(
        li.lookup_reply(&creds, &dm, since).await.unwrap(),
        Lookup::Absent
    );
}

// ------------------------------------------------------------------ Messenger, Instagram DMs

const PAGE: &str = "1234567890";
const IG: &str = "17841400008460056";
const PSID: &str = "6543210987654321";

fn meta_time(minutes_ago: i64) -> String {
    (Utc::now() - chrono::TimeDelta::minutes(minutes_ago))
        .format("%Y-%m-%dT%H:%M:%S+0000")
        .to_string()
}

#[tokio::test]
async fn messenger_finds_the_pages_message_in_the_conversation() {
    let f = Fixture::start().await.unwrap();
    let fb = FacebookPages::new(env(&f)).unwrap();
    let creds = Credentials::new("Northwind", "EAAG-page-token").with_account(PAGE);
    f.on(
        "GET",
        &format!("/{PAGE}/conversations"),
        Reply::json(
            200,
            json!({"data": [{"id": "t_10161742813421234"}], "paging": {}}),
        ),
    );
    f.on(
        "GET",
        "/t_10161742813421234/messages",
        Reply::json(
            200,
            json!({"data": [
                {"id": "m_new", "message": "Thanks, Ana!", "from": {"id": PSID, "name": "Ana"}, "created_time": meta_time(1)},
                {"id": "m_ours", "message": "Thanks,  Ana!", "from": {"id": PAGE, "name": "Northwind"}, "created_time": meta_time(2)},
                {"id": "m_old", "message": "Hello", "from": {"id": PSID}, "created_time": meta_time(60)}
            ]}),
        ),
    );
    let req = answer(MessageKind::Dm, "m_in", None, PSID);
    let found = fb
        .lookup_reply(&creds, &req, minutes_ago(10))
        .await
        .unwrap();
    assert!(
        matches!(&found, Lookup::Found(p) if p.remote.id == "m_ours"),
        "{found:?}"
    );
    let q = f.requests_to("GET", &format!("/{PAGE}/conversations"))[0].query_pairs();
    assert_eq!(q.get("platform").unwrap(), "messenger");
    assert_eq!(q.get("user_id").unwrap(), PSID);
}

#[tokio::test]
async fn instagram_dms_are_looked_up_as_the_linked_page_and_absent_when_not_there() {
    let f = Fixture::start().await.unwrap();
    let ig = Instagram::new(env(&f)).unwrap();
    let creds = Credentials::new("northwind", "EAAG-page-token").with_account(IG);
    f.on(
        "GET",
        "/me/conversations",
        Reply::json(200, json!({"data": [{"id": "aWdfZAG06"}]})),
    );
    f.on(
        "GET",
        "/aWdfZAG06/messages",
        Reply::json(
            200,
            json!({"data": [
                {"id": "m_theirs", "message": "Thanks, Ana!", "from": {"id": PSID, "username": "ana"}, "created_time": meta_time(1)},
                {"id": "m_before", "message": "Thanks, Ana!", "from": {"id": IG, "username": "northwind"}, "created_time": meta_time(90)}
            ]}),
        ),
    );
    let req = answer(MessageKind::Dm, "m_in", None, PSID);
    // Our only matching message is older than the first attempt: this answer was not sent.
    let found = ig
        .lookup_reply(&creds, &req, minutes_ago(10))
        .await
        .unwrap();
    assert_eq!(found, Lookup::Absent);
    let q = f.requests_to("GET", "/me/conversations")[0].query_pairs();
    assert_eq!(q.get("platform").unwrap(), "instagram");

    // No conversation with the person at all: nothing was sent.
    let f = Fixture::start().await.unwrap();
    let ig = Instagram::new(env(&f)).unwrap();
    f.on(
        "GET",
        "/me/conversations",
        Reply::json(200, json!({"data": []})),
    );
    assert_eq!(
        ig.lookup_reply(&creds, &req, minutes_ago(10))
            .await
            .unwrap(),
        Lookup::Absent
    );
}
