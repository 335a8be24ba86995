//! The Bluesky inbox poll's paging against **fixtures** of `app.bsky.notification.listNotifications`
//! (the shapes of the lexicon's documented answers, listed by `sortAt`: the earlier of
//! `indexedAt` and the record's `createdAt`). The real server is covered by `bluesky_devenv.rs`;
//! here the pages are scripted so that long sweeps, shared timestamps, the margin re-read below the
//! watermark and the page limit per poll can be checked exactly. Times are in minutes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use owlery_networks::bluesky::Bluesky;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::inbox::{InboxPoll, MAX_PAGES_PER_POLL};
use owlery_networks::{Connector, ConnectorError, Credentials};
use serde_json::{Value, json};

const OWN: &str = "did:plc:brand";
const LIST: &str = "/xrpc/app.bsky.notification.listNotifications";

/// 2026-11-27 10:00 plus `minute` minutes.
fn at(minute: u32) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z").unwrap();
    (base + chrono::Duration::minutes(i64::from(minute)))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn uri(n: u32) -> String {
    format!("at://did:plc:ana/app.bsky.feed.post/n{n}")
}

/// A mention created and indexed at `at(minute)`, with id `n`.
fn mention(n: u32, minute: u32) -> Value {
    late_mention(n, minute, minute)
}

/// A mention whose record says it was created at `created` but that the AppView indexed at
/// `indexed` (a slow relay, or an author's clock behind): listed at the earlier.
fn late_mention(n: u32, created: u32, indexed: u32) -> Value {
    json!({
        "uri": uri(n),
        "cid": format!("bafy{n}"),
        "author": { "did": "did:plc:ana", "handle": "ana.test" },
        "reason": "mention",
        "record": { "$type": "app.bsky.feed.post", "text": format!("message {n}"), "createdAt": at(created) },
        "isRead": false,
        "indexedAt": at(indexed),
    })
}

fn like(n: u32, minute: u32) -> Value {
    json!({
        "uri": format!("at://did:plc:ana/app.bsky.feed.like/l{n}"),
        "cid": "bafyl",
        "author": { "did": "did:plc:ana", "handle": "ana.test" },
        "reason": "like",
        "record": { "$type": "app.bsky.feed.like" },
        "isRead": false,
        "indexedAt": at(minute),
    })
}

fn page(items: Vec<Value>, cursor: Option<&str>) -> Reply {
    let mut body = json!({ "notifications": items });
    if let Some(c) = cursor {
        body["cursor"] = json!(c);
    }
    Reply::json(200, body)
}

async fn server() -> (Fixture, Credentials) {
    let f = Fixture::start().await.unwrap();
    f.on(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        Reply::json(
            200,
            json!({ "did": OWN, "handle": "brand.test", "accessJwt": "a.b.c", "refreshJwt": "d.e.f" }),
        ),
    );
    f.on(
        "GET",
        "/xrpc/app.bsky.feed.getPosts",
        Reply::json(200, json!({ "posts": [] })),
    );
    f.on(
        "GET",
        "/xrpc/app.bsky.actor.getProfiles",
        Reply::json(200, json!({ "profiles": [ { "did": "did:plc:ana", "handle": "ana.test", "followersCount": 7 } ] })),
    );
    let creds = Credentials::new("brand.test", "app-pass-word-1234").with_service(f.url());
    (f, creds)
}

fn texts(poll: &InboxPoll) -> Vec<&str> {
    poll.items.iter().map(|i| i.text.as_str()).collect()
}

fn list_cursors(f: &Fixture) -> Vec<Option<String>> {
    f.requests_to("GET", LIST)
        .iter()
        .map(|r| r.query_pairs().get("cursor").cloned())
        .collect()
}

#[tokio::test]
async fn sweeps_down_to_what_it_saw_and_its_margin_skipping_what_it_read() {
    let (f, creds) = server().await;
    let bluesky = Bluesky::new().unwrap();
    // First poll: the newest page only, likes are not messages.
    // The fixture answers a route's queued pages in order (the last one keeps answering), so
    // every poll's pages are queued up front.
    f.on(
        "GET",
        LIST,
        page(
            vec![mention(2, 40), like(1, 39), mention(1, 30)],
            Some("c-older"),
        ),
    );
    f.on(
        "GET",
        LIST,
        page(vec![mention(5, 70), mention(4, 60)], Some("c2")),
    );
    // Message 3 shares message 2's minute and was not read before; 2 and 1 were (1 is within the
    // 15-minute margin below the watermark, 40); 0 is below the margin, where the sweep stops.
    f.on(
        "GET",
        LIST,
        page(
            vec![
                mention(3, 40),
                mention(2, 40),
                mention(1, 30),
                mention(0, 10),
            ],
            Some("c3"),
        ),
    );
    f.on(
        "GET",
        LIST,
        page(
            vec![mention(5, 70), mention(4, 60), mention(3, 40)],
            Some("c4"),
        ),
    );
    let first = bluesky.poll_inbox(&creds, None).await.unwrap();
    assert_eq!(texts(&first), ["message 1", "message 2"]);
    assert_eq!(first.items[0].author.followers, Some(7));
    assert!(!first.more);
    assert_eq!(list_cursors(&f), [None]);

    let second = bluesky
        .poll_inbox(&creds, first.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(texts(&second), ["message 3", "message 4", "message 5"]);
    assert!(!second.more);
    assert_eq!(list_cursors(&f), [None, None, Some("c2".into())]);

    // Third poll: nothing new — message 3 is below the new watermark's margin (70 - 15).
    let third = bluesky
        .poll_inbox(&creds, second.cursor.as_deref())
        .await
        .unwrap();
    assert!(third.items.is_empty(), "{:?}", third.items);
    assert_eq!(list_cursors(&f).len(), 4);
    // The cursor stays small: only what is within the margin is remembered.
    let cursor: Value = serde_json::from_str(third.cursor.as_deref().unwrap()).unwrap();
    assert_eq!(cursor["read"].as_array().map(Vec::len), Some(2), "{cursor}");
}

#[tokio::test]
async fn a_late_notification_below_the_watermark_is_read_once() {
    let (f, creds) = server().await;
    let bluesky = Bluesky::new().unwrap();
    f.on(
        "GET",
        LIST,
        page(vec![mention(2, 40), mention(1, 30)], Some("c-older")),
    );
    // Message 9 was written at minute 28 but indexed at 50, after the first poll set the
    // watermark at 40: the AppView lists it by minute 28, below the watermark and below message 1
    // — where a sweep stopping at the watermark never looks.
    f.on(
        "GET",
        LIST,
        page(
            vec![
                mention(3, 45),
                mention(2, 40),
                mention(1, 30),
                late_mention(9, 28, 50),
                mention(0, 10),
            ],
            Some("c2"),
        ),
    );
    // The next poll sees the same listing: message 9 was read, and is not read again.
    f.on(
        "GET",
        LIST,
        page(
            vec![
                mention(3, 45),
                mention(2, 40),
                mention(1, 30),
                late_mention(9, 28, 50),
                mention(0, 10),
            ],
            Some("c2"),
        ),
    );
    let first = bluesky.poll_inbox(&creds, None).await.unwrap();
    assert_eq!(texts(&first), ["message 1", "message 2"]);
    let second = bluesky
        .poll_inbox(&creds, first.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(texts(&second), ["message 9", "message 3"]);
    let third = bluesky
        .poll_inbox(&creds, second.cursor.as_deref())
        .await
        .unwrap();
    assert!(third.items.is_empty(), "{:?}", texts(&third));
    // Each poll read one page: the margin costs no extra calls here.
    assert_eq!(list_cursors(&f), [None, None, None]);
}

#[tokio::test]
async fn a_sweep_longer_than_one_poll_goes_on_where_it_stopped() {
    let (f, creds) = server().await;
    let bluesky = Bluesky::new().unwrap();
    f.on("GET", LIST, page(vec![mention(1, 30)], Some("c-older")));

    // Then 12 new pages of one mention each, newest first: 2 + 12 .. 2 + 1.
    let pages = MAX_PAGES_PER_POLL as u32 + 2;
    for p in 0..pages {
        let n = 1 + pages - p;
        f.on(
            "GET",
            LIST,
            page(vec![mention(n, 100 + n)], Some(&format!("p{}", p + 1))),
        );
    }
    f.on("GET", LIST, page(vec![mention(1, 30), mention(0, 0)], None));
    // Then one more, for the poll after the sweep: down to the sweep's newest (message 13) and
    // its margin.
    f.on(
        "GET",
        LIST,
        page(
            vec![
                mention(20, 500),
                mention(pages + 1, 100 + pages + 1),
                mention(2, 102),
                mention(1, 30),
            ],
            Some("x"),
        ),
    );
    let first = bluesky.poll_inbox(&creds, None).await.unwrap();
    assert_eq!(texts(&first), ["message 1"]);
    let part = bluesky
        .poll_inbox(&creds, first.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(part.items.len(), MAX_PAGES_PER_POLL);
    assert!(part.more, "the sweep is not finished");
    let rest = bluesky
        .poll_inbox(&creds, part.cursor.as_deref())
        .await
        .unwrap();
    assert!(!rest.more);
    let mut all: Vec<&str> = texts(&part);
    all.extend(texts(&rest));
    let expected: Vec<String> = (2..2 + pages)
        .rev()
        .collect::<Vec<_>>()
        .chunks(MAX_PAGES_PER_POLL)
        .flat_map(|c| {
            c.iter()
                .rev()
                .map(|n| format!("message {n}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(all, expected);
    // The rest of the sweep went on from the page where the poll before it stopped.
    let cursors = list_cursors(&f);
    assert_eq!(
        cursors[1 + MAX_PAGES_PER_POLL],
        Some(format!("p{MAX_PAGES_PER_POLL}"))
    );

    let after = bluesky
        .poll_inbox(&creds, rest.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(texts(&after), ["message 20"]);
}

#[tokio::test]
async fn an_unreadable_cursor_is_refused_and_server_errors_keep_their_class() {
    let (f, creds) = server().await;
    let bluesky = Bluesky::new().unwrap();
    assert!(matches!(
        bluesky.poll_inbox(&creds, Some("not json")).await,
        Err(ConnectorError::Permanent { .. })
    ));
    f.on(
        "GET",
        LIST,
        Reply::json(
            502,
            json!({ "error": "UpstreamFailure", "message": "appview down" }),
        ),
    );
    let err = bluesky.poll_inbox(&creds, None).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

/// Fixture: an answer is an `app.bsky.feed.post` whose `reply.parent` is the message (URI and the
/// CID the AppView gives for it) and `reply.root` the root its own record names — read through
/// `app.bsky.feed.getPosts`, so nothing needs to be stored at ingest. Bluesky DMs (the chat
/// service) are not answered.
#[tokio::test]
async fn an_answer_replies_to_the_message_under_its_threads_root() {
    use owlery_domain::inbox::MessageKind;
    let f = Fixture::start().await.unwrap();
    f.on(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        Reply::json(
            200,
            json!({ "did": OWN, "handle": "brand.test", "accessJwt": "a.b.c", "refreshJwt": "d.e.f" }),
        ),
    );
    let root = "at://did:plc:brand/app.bsky.feed.post/3root";
    f.on(
        "GET",
        "/xrpc/app.bsky.feed.getPosts",
        Reply::json(
            200,
            json!({ "posts": [ {
                "uri": uri(7), "cid": "bafyparent", "author": { "did": "did:plc:ana", "handle": "ana.test" },
                "record": { "$type": "app.bsky.feed.post", "text": "Sundays too?", "createdAt": at(1),
                            "reply": { "root": { "uri": root, "cid": "bafyroot" },
                                       "parent": { "uri": root, "cid": "bafyroot" } } },
                "indexedAt": at(1)
            } ] }),
        ),
    );
    f.on(
        "POST",
        "/xrpc/com.atproto.repo.createRecord",
        Reply::json(
            200,
            json!({ "uri": "at://did:plc:brand/app.bsky.feed.post/3answer", "cid": "bafyanswer" }),
        ),
    );
    let creds = Credentials::new("brand.test", "app-pass-word-1234").with_service(f.url());
    let sky = Bluesky::new().unwrap();
    let mut req = owlery_networks::inbox::ReplyRequest {
        idempotency_key: "reply:0190a3f2-7c1e-7000-8000-00000000000a".into(),
        target: owlery_networks::inbox::ReplyTarget {
            kind: MessageKind::Comment,
            message_id: uri(7),
            parent_id: None,
            root_id: Some(root.into()),
            thread_id: None,
            contact_id: "did:plc:ana".into(),
            contact_handle: "ana.test".into(),
        },
        text: "Yes, 10 to 4.".into(),
    };
    let p = sky.reply(&creds, &req).await.unwrap();
    assert_eq!(p.remote.id, "at://did:plc:brand/app.bsky.feed.post/3answer");
    let sent = f.requests_to("POST", "/xrpc/com.atproto.repo.createRecord");
    let record = &sent[0].json()["record"];
    assert_eq!(record["text"], "Yes, 10 to 4.");
    assert_eq!(
        record["reply"]["parent"],
        json!({ "uri": uri(7), "cid": "bafyparent" })
    );
    assert_eq!(
        record["reply"]["root"],
        json!({ "uri": root, "cid": "bafyroot" })
    );
    req.target.kind = MessageKind::Dm;
    assert!(!sky.can_reply(MessageKind::Dm));
    assert!(matches!(
        sky.reply(&creds, &req).await.unwrap_err(),
        ConnectorError::Permanent { .. }
    ));
}
