//! The YouTube inbox poll against **fixtures** of the Data API v3: `commentThreads.list`
//! (`allThreadsRelatedToChannelId`, `part=snippet,replies`) and `comments.list` (`parentId`), with
//! the `commentThread` and `comment` resources and the error body as the reference documents them.
//! The pages are scripted so that paging, the watermark, shared timestamps, edits and quota can be
//! checked exactly; they prove the connector speaks the documented protocol, not that YouTube
//! behaves so today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::SystemTime;

use owlery_domain::inbox::MessageKind;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::inbox::{InboxPoll, MAX_PAGES_PER_POLL};
use owlery_networks::youtube::Youtube;
use owlery_networks::{Connector, ConnectorError, Credentials, Env, Network};
use serde_json::{Value, json};

const TOKEN: &str = "ya29.a0AfH6SMBexampleexampleexample";
const CHANNEL: &str = "UC_x5XG1OV2P6uZZ5FSM9Ttw";
const THREADS: &str = "/youtube/v3/commentThreads";
const REPLIES: &str = "/youtube/v3/comments";

fn creds() -> Credentials {
    Credentials::new("@owlerytest", TOKEN).with_account(CHANNEL)
}

fn at(minute: u32) -> String {
    format!("2026-11-27T10:{minute:02}:00Z")
}

/// Fixture: a `youtube#comment` resource (snippet as the reference shows it).
fn comment(id: &str, author: &str, text: &str, published: u32, updated: u32) -> Value {
    let mut snippet = json!({
        "channelId": CHANNEL,
        "videoId": "vidA",
        "textDisplay": text,
        "authorDisplayName": format!("@{author}"),
        "authorProfileImageUrl": "https://yt3.ggpht.com/a.jpg",
        "authorChannelUrl": format!("http://www.youtube.com/@{author}"),
        "authorChannelId": { "value": if author == "owlerytest" { CHANNEL.to_owned() } else { format!("UC{author}") } },
        "canRate": true,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": at(published),
        "updatedAt": at(updated),
    });
    if let Some((parent, _)) = id.split_once('.') {
        snippet["parentId"] = json!(parent);
    }
    json!({ "kind": "youtube#comment", "etag": "e", "id": id, "snippet": snippet })
}

/// Fixture: a `youtube#commentThread` with its top-level comment, the included replies and the
/// total count of replies.
fn thread(top: Value, replies: Vec<Value>, total: u64) -> Value {
    let id = top["id"].clone();
    let mut t = json!({
        "kind": "youtube#commentThread",
        "etag": "t",
        "id": id,
        "snippet": {
            "channelId": CHANNEL,
            "videoId": "vidA",
            "topLevelComment": top,
            "canReply": true,
            "totalReplyCount": total,
            "isPublic": true
        }
    });
    if !replies.is_empty() {
        t["replies"] = json!({ "comments": replies });
    }
    t
}

/// Fixture: a `youtube#commentThreadListResponse` (or comments) page.
fn page(kind: &str, items: Vec<Value>, next: Option<&str>) -> Reply {
    let mut body = json!({
        "kind": kind,
        "etag": "p",
        "pageInfo": { "totalResults": items.len(), "resultsPerPage": 100 },
        "items": items,
    });
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Reply::json(200, body)
}

fn threads_page(items: Vec<Value>, next: Option<&str>) -> Reply {
    page("youtube#commentThreadListResponse", items, next)
}

async fn setup() -> (Fixture, Youtube, Env) {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        base_url: Some(server.url()),
        ..Env::default()
    };
    let youtube = Youtube::new(env.clone()).unwrap();
    (server, youtube, env)
}

fn texts(poll: &InboxPoll) -> Vec<&str> {
    poll.items.iter().map(|i| i.text.as_str()).collect()
}

fn page_tokens(f: &Fixture) -> Vec<Option<String>> {
    f.requests_to("GET", THREADS)
        .iter()
        .map(|r| r.query_pairs().get("pageToken").cloned())
        .collect()
}

#[tokio::test]
async fn the_first_poll_reads_the_newest_page_with_all_replies_and_skips_the_channels_own() {
    let (f, youtube, _) = setup().await;
    f.on(
        "GET",
        THREADS,
        threads_page(
            vec![
                thread(
                    comment("UgB", "bo", "Love the mist", 30, 30),
                    vec![
                        comment("UgB.r2", "owlerytest", "Thank you!", 32, 32),
                        comment("UgB.r1", "cy", "Same here", 31, 31),
                    ],
                    3,
                ),
                thread(comment("UgA", "ana", "Where is this?", 20, 20), vec![], 0),
            ],
            Some("older"),
        ),
    );
    f.on(
        "GET",
        REPLIES,
        page(
            "youtube#commentListResponse",
            vec![
                comment("UgB.r2", "owlerytest", "Thank you!", 32, 32),
                comment("UgB.r1", "cy", "Same here", 31, 31),
                comment("UgB.r0", "di", "First!", 30, 30),
            ],
            None,
        ),
    );
    let poll = youtube.poll_inbox(&creds(), None).await.unwrap();
    assert!(youtube.polls_inbox());
    // Oldest first; the channel's own reply is not a message; one page only on a first poll.
    assert_eq!(
        texts(&poll),
        vec!["Where is this?", "Love the mist", "First!", "Same here"]
    );
    assert!(!poll.more);
    assert!(poll.cursor.is_some());
    let sent = f.requests_to("GET", THREADS);
    assert_eq!(sent.len(), 1);
    let q = sent[0].query_pairs();
    assert_eq!(q.get("allThreadsRelatedToChannelId").unwrap(), CHANNEL);
    assert_eq!(q.get("part").unwrap(), "snippet,replies");
    assert_eq!(q.get("order").unwrap(), "time");
    assert_eq!(q.get("maxResults").unwrap(), "100");
    assert_eq!(q.get("textFormat").unwrap(), "plainText");
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // Only the thread with more replies than included is read further.
    let replies = f.requests_to("GET", REPLIES);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].query_pairs().get("parentId").unwrap(), "UgB");

    let reply = poll.items.iter().find(|i| i.remote_id == "UgB.r1").unwrap();
    assert_eq!(reply.kind, MessageKind::Comment);
    assert_eq!(reply.conversation_remote_id.as_deref(), Some("vidA"));
    assert_eq!(reply.in_reply_to_remote_id.as_deref(), Some("UgB"));
    assert_eq!(reply.author.remote_id, "UCcy");
    assert_eq!(reply.author.handle, "cy");
    let top = poll.items.iter().find(|i| i.remote_id == "UgA").unwrap();
    assert_eq!(top.in_reply_to_remote_id.as_deref(), Some("vidA"));
    assert_eq!(
        top.url.as_deref(),
        Some("https://www.youtube.com/watch?v=vidA&lc=UgA")
    );
}

#[tokio::test]
async fn later_polls_sweep_down_to_the_watermark_once_and_read_edits_again() {
    let (f, youtube, _) = setup().await;
    // Poll 1: two comments share the newest minute.
    f.on(
        "GET",
        THREADS,
        threads_page(
            vec![
                thread(comment("UgC", "cy", "same minute 1", 20, 20), vec![], 0),
                thread(comment("UgD", "di", "same minute 2", 20, 20), vec![], 0),
                thread(comment("UgA", "ana", "old", 10, 10), vec![], 0),
            ],
            Some("p-old"),
        ),
    );
    // Poll 2: two new pages; a third comment at the watermark's minute (arrived late), the two
    // already read, an edit of an old comment and then the old page below the watermark.
    f.on(
        "GET",
        THREADS,
        threads_page(
            vec![
                thread(comment("UgF", "fa", "newest", 40, 40), vec![], 0),
                thread(
                    comment("UgA", "ana", "old, edited", 10, 35),
                    vec![comment("UgA.r1", "bo", "a new reply", 33, 33)],
                    1,
                ),
            ],
            Some("p2"),
        ),
    );
    f.on(
        "GET",
        THREADS,
        threads_page(
            vec![
                thread(comment("UgE", "ed", "same minute 3", 20, 20), vec![], 0),
                thread(comment("UgC", "cy", "same minute 1", 20, 20), vec![], 0),
                thread(comment("UgD", "di", "same minute 2", 20, 20), vec![], 0),
                thread(comment("UgZ", "zed", "below", 5, 5), vec![], 0),
            ],
            Some("p3"),
        ),
    );
    // Poll 3: nothing new.
    f.on(
        "GET",
        THREADS,
        threads_page(
            vec![
                thread(comment("UgF", "fa", "newest", 40, 40), vec![], 0),
                thread(comment("UgA", "ana", "old, edited", 10, 35), vec![], 0),
            ],
            Some("p2"),
        ),
    );
    let first = youtube.poll_inbox(&creds(), None).await.unwrap();
    assert_eq!(texts(&first), vec!["old", "same minute 1", "same minute 2"]);

    let second = youtube
        .poll_inbox(&creds(), first.cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(
        texts(&second),
        vec!["old, edited", "same minute 3", "a new reply", "newest"]
    );
    let edited = second.items.iter().find(|i| i.remote_id == "UgA").unwrap();
    assert_eq!(edited.created_at.to_rfc3339(), "2026-11-27T10:10:00+00:00");
    assert!(!second.more);
    assert_eq!(page_tokens(&f), vec![None, None, Some("p2".into())]);

    let third = youtube
        .poll_inbox(&creds(), second.cursor.as_deref())
        .await
        .unwrap();
    assert!(third.items.is_empty(), "{:?}", texts(&third));
    assert_eq!(third.cursor, None, "nothing new: the cursor stands");
    // No thread needed comments.list: every reply was included.
    assert!(f.requests_to("GET", REPLIES).is_empty());
}

#[tokio::test]
async fn a_sweep_longer_than_a_poll_goes_on_from_its_page_token() {
    let (f, youtube, _) = setup().await;
    f.on(
        "GET",
        THREADS,
        threads_page(
            vec![thread(comment("Ug0", "ana", "seed", 1, 1), vec![], 0)],
            None,
        ),
    );
    // MAX_PAGES_PER_POLL + 2 pages of new comments, newest first, then the seed.
    let pages = MAX_PAGES_PER_POLL as u32 + 2;
    for p in 0..pages {
        let minute = 59 - p * 2;
        f.on(
            "GET",
            THREADS,
            threads_page(
                vec![
                    thread(
                        comment(
                            &format!("Ug{p}a"),
                            "bo",
                            &format!("m{minute}"),
                            minute,
                            minute,
                        ),
                        vec![],
                        0,
                    ),
                    thread(
                        comment(
                            &format!("Ug{p}b"),
                            "bo",
                            &format!("m{}", minute - 1),
                            minute - 1,
                            minute - 1,
                        ),
                        vec![],
                        0,
                    ),
                ],
                Some(&format!("t{}", p + 1)),
            ),
        );
    }
    f.on(
        "GET",
        THREADS,
        threads_page(
            vec![thread(comment("Ug0", "ana", "seed", 1, 1), vec![], 0)],
            None,
        ),
    );
    let seed = youtube.poll_inbox(&creds(), None).await.unwrap();
    let long = youtube
        .poll_inbox(&creds(), seed.cursor.as_deref())
        .await
        .unwrap();
    assert!(long.more);
    assert_eq!(long.items.len(), MAX_PAGES_PER_POLL * 2);
    let rest = youtube
        .poll_inbox(&creds(), long.cursor.as_deref())
        .await
        .unwrap();
    assert!(!rest.more);
    assert_eq!(texts(&rest), vec!["m36", "m37", "m38", "m39"]);
    let tokens = page_tokens(&f);
    assert_eq!(
        tokens[MAX_PAGES_PER_POLL + 1],
        Some(format!("t{MAX_PAGES_PER_POLL}"))
    );
    // The sweep's newest comment is the watermark of the next.
    let cursor: Value = serde_json::from_str(rest.cursor.as_deref().unwrap()).unwrap();
    assert_eq!(
        cursor,
        json!({"seen": "2026-11-27T10:59:00Z", "at_seen": ["Ug0a"]})
    );
}

#[tokio::test]
async fn quota_exceeded_waits_for_the_reset_without_spending_calls() {
    let (f, youtube, env) = setup().await;
    f.on(
        "GET",
        THREADS,
        Reply::json(
            403,
            json!({"error": {"code": 403, "message": "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}]}}),
        ),
    );
    let err = youtube.poll_inbox(&creds(), None).await.unwrap_err();
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
    let again = youtube.poll_inbox(&creds(), None).await.unwrap_err();
    assert!(matches!(again, ConnectorError::RateLimited { .. }));
    assert_eq!(
        f.requests_to("GET", THREADS).len(),
        1,
        "no call while empty"
    );

    // The channel's upload limit says nothing about reading comments.
    let (f, youtube, env) = setup().await;
    env.budgets.exhausted(
        Network::Youtube,
        owlery_networks::budget::Scope::Account,
        CHANNEL,
        "uploads",
        Some(std::time::Duration::from_secs(3600)),
        SystemTime::now(),
    );
    f.on("GET", THREADS, threads_page(vec![], None));
    assert!(youtube.poll_inbox(&creds(), None).await.is_ok());
}

#[tokio::test]
async fn refused_tokens_and_broken_cursors_are_clear_errors() {
    let (f, youtube, _) = setup().await;
    f.on(
        "GET",
        THREADS,
        Reply::json(
            403,
            json!({"error": {"code": 403, "message": "Insufficient Permission",
                "errors": [{"message": "Insufficient Permission", "domain": "global", "reason": "insufficientPermissions"}]}}),
        ),
    );
    let err = youtube.poll_inbox(&creds(), None).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains(TOKEN));
    let err = youtube
        .poll_inbox(&creds(), Some("not json"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
}

#[tokio::test]
async fn an_expired_page_token_restarts_the_sweep_from_the_newest() {
    let (f, youtube, _) = setup().await;
    f.on(
        "GET",
        THREADS,
        Reply::json(
            400,
            json!({"error": {"code": 400, "message": "The page token is not valid.",
                "errors": [{"message": "The page token is not valid.", "domain": "youtube.parameter", "reason": "invalidPageToken"}]}}),
        ),
    );
    let cursor =
        json!({"seen": "2026-11-27T10:05:00Z", "next": "stale", "top": "2026-11-27T10:30:00Z"})
            .to_string();
    let poll = youtube.poll_inbox(&creds(), Some(&cursor)).await.unwrap();
    assert!(poll.more && poll.items.is_empty());
    let restarted: Value = serde_json::from_str(poll.cursor.as_deref().unwrap()).unwrap();
    assert_eq!(restarted, json!({"seen": "2026-11-27T10:05:00Z"}));
}
