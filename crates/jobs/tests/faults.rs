//! The publishing engine under faults: the real X connector talks to a small stateful imitation of
//! X's post endpoints (`POST /2/tweets`, `GET /2/users/:id/tweets` — the documented shapes, not X)
//! through a fault-injecting proxy that, per request, times out before or after the post is made,
//! resets the connection before or after, answers 500, 503 or 429 with `Retry-After`, or answers
//! slowly. The worker runs until every post settles; then no post may exist twice on the
//! "network", none may be missing while Owlery says published, and an outcome that stayed unknown
//! must be flagged `unconfirmed`. SQLite and PostgreSQL (when configured).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{Json, Router, extract::State, routing};
use chrono::{DateTime, TimeZone, Utc};
use owlery_domain::{
    ChannelId, Clock, Grant, Role, Scope, VariantId, WorkspaceId,
    audit::Actor,
    org::Network,
    post::{Content, Overrides, VariantStatus},
    user::{DisplayName, Email},
};
use owlery_jobs::{Worker, publish::Publisher};
use owlery_networks::{Connectors, Env, budget::BudgetBook, http::HttpConfig, x::X};
use owlery_store::{
    Store,
    org::{ChannelCredential, channel_credential_purpose},
    posts::{NewPost, Validation, VariantInput},
    testing::{self, TestDb},
    users::NewUser,
    vault::Vault,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ------------------------------------------------------------------ the imitation of X

#[derive(Default)]
struct Timeline {
    /// (id, text, replied-to id)
    posts: Vec<(String, String, Option<String>)>,
}

type Shared = Arc<Mutex<Timeline>>;

async fn create(
    State(t): State<Shared>,
    Json(body): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    let mut t = t.lock().unwrap();
    let id = format!("{}", 1_000_000 + t.posts.len());
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    let reply = body["reply"]["in_reply_to_tweet_id"]
        .as_str()
        .map(str::to_owned);
    t.posts.push((id.clone(), text.clone(), reply));
    (
        axum::http::StatusCode::CREATED,
        Json(json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}})),
    )
}

async fn timeline(State(t): State<Shared>) -> Json<Value> {
    let t = t.lock().unwrap();
    let data: Vec<Value> = t
        .posts
        .iter()
        .rev()
        .map(|(id, text, reply)| {
            let mut p = json!({"id": id, "text": text, "created_at": "2026-11-27T09:00:00.000Z", "edit_history_tweet_ids": [id]});
            if let Some(r) = reply {
                p["referenced_tweets"] = json!([{"type": "replied_to", "id": r}]);
            }
            p
        })
        .collect();
    let n = data.len();
    Json(json!({"data": data, "meta": {"result_count": n}}))
}

async fn serve_x(t: Shared) -> SocketAddr {
    let app = Router::new()
        .route("/2/tweets", routing::post(create))
        .route("/2/users/{id}/tweets", routing::get(timeline))
        .with_state(t);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

// ------------------------------------------------------------------ the fault-injecting proxy

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Fault {
    Pass,
    Slow,
    HangBefore,
    HangAfter,
    ResetBefore,
    ResetAfter,
    Status500,
    Status503,
    RateLimited,
}

const FAULTS: [Fault; 9] = [
    Fault::Pass,
    Fault::Slow,
    Fault::HangBefore,
    Fault::HangAfter,
    Fault::ResetBefore,
    Fault::ResetAfter,
    Fault::Status500,
    Fault::Status503,
    Fault::RateLimited,
];

struct Proxy {
    /// A fixed sequence of choices (xorshift), so a failure can be replayed.
    state: u64,
    seen: HashMap<Fault, usize>,
}

impl Proxy {
    fn next(&mut self, write: bool) -> Fault {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let f = if write {
            // half the writes meet a fault
            if self.state.is_multiple_of(2) {
                Fault::Pass
            } else {
                FAULTS[1 + (self.state / 2 % 8) as usize]
            }
        } else if self.state.is_multiple_of(10) {
            Fault::Slow
        } else {
            Fault::Pass
        };
        *self.seen.entry(f).or_default() += 1;
        f
    }
}

/// Reads one HTTP/1.1 request: head and body (by Content-Length).
async fn read_request(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

/// Sends the request to the imitation with `Connection: close` and returns its whole answer.
async fn forward(upstream: SocketAddr, request: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(request);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let head: Vec<&str> = head
        .split("\r\n")
        .filter(|l| !l.to_lowercase().starts_with("connection:"))
        .collect();
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    out.extend_from_slice(body.as_bytes());
    let mut s = TcpStream::connect(upstream).await.unwrap();
    s.write_all(&out).await.unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await.unwrap();
    answer
}

/// Close with a TCP reset (RST) instead of an orderly close: a zero linger. Tokio deprecates
/// `set_linger` because a non-zero linger blocks on drop; zero never blocks.
#[allow(deprecated)]
fn reset(s: &TcpStream) {
    let _ = s.set_linger(Some(Duration::ZERO));
}

fn canned(status: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve_proxy(upstream: SocketAddr, proxy: Arc<Mutex<Proxy>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let proxy = proxy.clone();
            tokio::spawn(async move {
                let Some(req) = read_request(&mut s).await else {
                    return;
                };
                let write = req.starts_with(b"POST");
                let fault = proxy.lock().unwrap().next(write);
                let answer = match fault {
                    Fault::Pass => forward(upstream, &req).await,
                    Fault::Slow => {
                        tokio::time::sleep(Duration::from_millis(120)).await;
                        forward(upstream, &req).await
                    }
                    Fault::HangBefore => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        return;
                    }
                    Fault::HangAfter => {
                        forward(upstream, &req).await;
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        return;
                    }
                    Fault::ResetBefore => {
                        reset(&s);
                        return;
                    }
                    Fault::ResetAfter => {
                        forward(upstream, &req).await;
                        reset(&s);
                        return;
                    }
                    Fault::Status500 => canned(
                        "500 Internal Server Error",
                        "",
                        r#"{"title":"Internal Server Error","detail":"Something went wrong","type":"about:blank","status":500}"#,
                    ),
                    Fault::Status503 => canned(
                        "503 Service Unavailable",
                        "",
                        r#"{"title":"Service Unavailable","detail":"Over capacity","type":"about:blank","status":503}"#,
                    ),
                    Fault::RateLimited => canned(
                        "429 Too Many Requests",
                        "retry-after: 1\r\nx-rate-limit-limit: 100\r\nx-rate-limit-remaining: 0\r\n",
                        r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#,
                    ),
                };
                let _ = s.write_all(&answer).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

// ------------------------------------------------------------------ the world

#[derive(Debug)]
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

async fn user(store: &Store, org: owlery_domain::OrgId) -> owlery_domain::UserId {
    store
        .create_user(
            &Actor::cli(),
            org,
            NewUser {
                email: Email::parse("owner@example.test").unwrap(),
                name: DisplayName::parse("name", "Owner").unwrap(),
                password_hash: Some("$argon2id$dummy".into()),
                language: "en".into(),
                time_zone: "UTC".into(),
            },
            &[Grant {
                role: Role::Owner,
                scope: Scope::Organisation,
            }],
        )
        .await
        .unwrap()
        .id
}

async fn post(
    store: &Store,
    author: owlery_domain::UserId,
    ws: WorkspaceId,
    ch: ChannelId,
    text: &str,
    comment: &str,
) -> VariantId {
    let p = store
        .create_post(
            &Actor::cli(),
            author,
            NewPost {
                workspace_id: ws,
                title: text.into(),
                content: Content {
                    text: text.into(),
                    first_comment: Some(comment.into()),
                    ..Content::default()
                },
                variants: vec![VariantInput {
                    channel_id: ch,
                    placement: "post".into(),
                    overrides: Overrides::default(),
                    validation: Validation {
                        findings: json!([]),
                        has_errors: false,
                        spec_version: owlery_domain::spec::Specs::embedded().unwrap().version,
                    },
                }],
                campaign_id: None,
                scheduled_at: Some(store.now()),
                schedule_tz: "UTC".into(),
            },
        )
        .await
        .unwrap();
    store.submit_post(&Actor::cli(), p.id).await.unwrap();
    p.variants[0].id
}

async fn run_once(db: TestDb, seed: u64) {
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
    )));
    let store = db.store.clone().with_clock(clock.clone());
    let org = store
        .ensure_organisation(&Actor::cli(), "Acme")
        .await
        .unwrap();
    let ws = store
        .create_workspace(
            &Actor::cli(),
            org.id,
            &DisplayName::parse("n", "Main").unwrap(),
        )
        .await
        .unwrap();
    let author = user(&store, org.id).await;
    let vault = Arc::new(Vault::ephemeral());
    let ch = ChannelId::new();
    store
        .create_connected_channel(
            &Actor::cli(),
            ws.id,
            Network::X,
            &DisplayName::parse("n", "northwind").unwrap(),
            "northwind",
            ch,
            &ChannelCredential {
                service: None,
                account_id: "42".into(),
                sealed: vault
                    .seal(&channel_credential_purpose(ch), b"token")
                    .unwrap(),
                refresh_sealed: None,
                expires_at: None,
                auth: owlery_domain::org::AuthKind::Standard,
            },
        )
        .await
        .unwrap();

    let timeline: Shared = Arc::default();
    let upstream = serve_x(timeline.clone()).await;
    let proxy = Arc::new(Mutex::new(Proxy {
        state: seed,
        seen: HashMap::new(),
    }));
    let front = serve_proxy(upstream, proxy.clone()).await;
    let env = Env {
        http: HttpConfig {
            connect_timeout: Duration::from_millis(500),
            timeout: Duration::from_millis(600),
        },
        budgets: Arc::new(BudgetBook::new()),
        base_url: Some(format!("http://{front}")),
    };
    let connectors = Connectors::empty(env.budgets.clone()).with(Arc::new(X::new(env).unwrap()));
    let worker = Worker::new(store.clone(), "faults")
        .with_handler(Publisher::new(store.clone()).connected(Arc::new(connectors), vault));

    const N: usize = 30;
    let mut variants = Vec::new();
    for i in 0..N {
        let v = post(
            &store,
            author,
            ws.id,
            ch,
            &format!("Fault drill post {i}"),
            &format!("Fault drill reply {i}"),
        )
        .await;
        variants.push((i, v));
    }

    // Run until nothing is due any more, moving the clock past every backoff.
    for _ in 0..400 {
        let mut ran = 0;
        while worker.run_once().await.unwrap().is_some() {
            ran += 1;
        }
        let settled = {
            let mut all = true;
            for (_, v) in &variants {
                let s = store.variant_status(*v).await.unwrap().unwrap();
                all &= matches!(
                    s,
                    VariantStatus::Published | VariantStatus::Failed | VariantStatus::Unconfirmed
                );
            }
            all
        };
        if settled && ran == 0 {
            break;
        }
        *clock.0.lock().unwrap() += chrono::Duration::minutes(70);
    }

    let posts = timeline.lock().unwrap().posts.clone();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (_, text, _) in &posts {
        *count.entry(text.as_str()).or_default() += 1;
    }
    let duplicates: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "duplicates on the network: {duplicates:?}"
    );

    let mut tally: HashMap<String, usize> = HashMap::new();
    for (i, v) in &variants {
        let status = store.variant_status(*v).await.unwrap().unwrap();
        *tally.entry(status.code().to_owned()).or_default() += 1;
        let main = format!("Fault drill post {i}");
        let reply = format!("Fault drill reply {i}");
        match status {
            VariantStatus::Published => {
                // both parts are there, once, and the reply answers the post
                let p = posts
                    .iter()
                    .find(|(_, t, _)| *t == main)
                    .unwrap_or_else(|| panic!("{main} published but not on the network"));
                let r = posts
                    .iter()
                    .find(|(_, t, _)| *t == reply)
                    .unwrap_or_else(|| panic!("{reply} missing"));
                assert_eq!(
                    r.2.as_deref(),
                    Some(p.0.as_str()),
                    "{reply} answers its post"
                );
                let parts = store.variant_parts(*v).await.unwrap();
                assert_eq!(parts[0].remote_id.as_deref(), Some(p.0.as_str()));
            }
            // flagged: a person checks; at most one copy exists (asserted above)
            VariantStatus::Unconfirmed => {}
            VariantStatus::Failed => {
                // failed for good: the reply at least was never made twice; the main post may
                // be on the network only if the failure was of the reply (the error says so)
            }
            other => panic!("{main} did not settle: {other:?}"),
        }
    }
    let seen = proxy.lock().unwrap().seen.clone();
    eprintln!(
        "seed {seed}: outcomes {tally:?}; faults injected {seen:?}; {} posts on the network",
        posts.len()
    );
    for f in FAULTS {
        assert!(
            seen.get(&f).copied().unwrap_or(0) > 0,
            "fault {f:?} was never injected: {seen:?}"
        );
    }
    let published = tally.get("published").copied().unwrap_or(0);
    assert!(
        published * 10 >= N * 8,
        "most posts get through the faults: {tally:?}"
    );
}

#[tokio::test]
async fn no_duplicate_no_lost_post_and_unknown_outcomes_flagged_under_faults() {
    for (n, db) in testing::all_backends()
        .await
        .unwrap()
        .into_iter()
        .enumerate()
    {
        run_once(db, 0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1)).await;
    }
}
