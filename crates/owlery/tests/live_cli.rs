//! Live inbox updates across processes, end to end: the real `owlery serve`, a browser's
//! `/inbox/events` stream read over HTTP, and the real `owlery inbox import` run as a second
//! process on the same database. The imported conversation's event reaches the open stream — on
//! SQLite through the outbox table the import writes in its transactions, on PostgreSQL through
//! `pg_notify` — and on SQLite an import batch touching many conversations arrives as one `resync`.
//! Likewise an answer sent by the real `owlery worker` process: the open stream hears it go from
//! queued to sending to sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use owlery_domain::{
    Grant, Role, Scope,
    audit::Actor,
    org::Network,
    user::{DisplayName, Email},
};
use owlery_store::{
    DatabaseConfig, Store,
    inbox::{ConversationFilter, InboxScope},
    live::OUTBOX_BATCH,
    sessions::SessionStage,
    testing::{TempDir, drop_postgres, fresh_postgres, postgres_url},
    users::NewUser,
};
use serde_json::Value;

mod support;

use support::process::Proc;

const BIN: &str = env!("CARGO_BIN_EXE_owlery");
/// A vault key for the processes under test (32 bytes, base64).
const KEK: &str = "c2VjcmV0LWtleS1mb3ItdGhlLWxpdmUtY2xpLXRlc3Q=";

const CONFIG_ENV: &[&str] = &[
    "OWLERY_BIND",
    "OWLERY_DATA_DIR",
    "OWLERY_DATABASE_URL",
    "OWLERY_PUBLIC_URL",
    "OWLERY_SMTP_URL",
    "OWLERY_SECRET_KEY",
    "OWLERY_LOG_FORMAT",
    "RUST_LOG",
];

enum Db {
    /// The data directory.
    Sqlite(PathBuf),
    Postgres(String),
}

/// `owlery <args…>` on the test's database (options after the subcommand's own).
fn command(dir: &Path, db: &Db, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir).args(args);
    for k in CONFIG_ENV {
        c.env_remove(k);
    }
    c.env("OWLERY_SECRET_KEY", KEK);
    match db {
        Db::Sqlite(data) => {
            c.arg("--data-dir").arg(data);
        }
        Db::Postgres(url) => {
            c.arg("--data-dir").arg(dir.join("data"));
            c.env("OWLERY_DATABASE_URL", url);
        }
    }
    c
}

/// `owlery serve` without workers on the test's database: the process and its address.
fn start_server(dir: &Path, db: &Db) -> (Proc, String) {
    Proc::serve(command(
        dir,
        db,
        &["serve", "--no-workers", "--bind", "127.0.0.1:0"],
    ))
}

/// The organisation, a channel, and a signed-in owner: the channel id and the session cookie.
async fn setup(store: &Store) -> (String, String) {
    let (channel, cookie, _) = setup_on(store, Network::Mastodon).await;
    (channel, cookie)
}

/// The same on `network`, with the owner's id.
async fn setup_on(store: &Store, network: Network) -> (String, String, owlery_domain::UserId) {
    store.migrate().await.unwrap();
    let actor = Actor::cli();
    let org = store.ensure_organisation(&actor, "Acme").await.unwrap();
    let ws = store
        .create_workspace(&actor, org.id, &DisplayName::parse("name", "Shop").unwrap())
        .await
        .unwrap();
    let ch = store
        .create_channel(
            &actor,
            ws.id,
            network,
            &DisplayName::parse("name", "Shop").unwrap(),
            "shop@example.social",
        )
        .await
        .unwrap();
    let owner = store
        .create_user(
            &actor,
            org.id,
            NewUser {
                email: Email::parse("owner@example.test").unwrap(),
                name: DisplayName::parse("name", "Owner").unwrap(),
                password_hash: Some("not-used: signed in directly".into()),
                language: "en".into(),
                time_zone: "UTC".into(),
            },
            &[Grant {
                role: Role::Owner,
                scope: Scope::Organisation,
            }],
        )
        .await
        .unwrap();
    let (secret, _) = store
        .create_session(
            owner.id,
            SessionStage::Active,
            chrono::Duration::hours(1),
            Some("127.0.0.1"),
            Some("owlery-tests"),
        )
        .await
        .unwrap();
    (
        ch.id.to_string(),
        format!("owlery_session={secret}"),
        owner.id,
    )
}

/// JSON lines for `owlery inbox import`: one DM per author.
fn lines(channel: &str, authors: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for author in authors {
        let v = serde_json::json!({
            "channel_id": channel,
            "remote_id": format!("dm-{author}"),
            "kind": "dm",
            "author": {"remote_id": format!("id-{author}"), "handle": author, "name": author},
            "text": format!("Where is my order, {author} here"),
            "created_at": "2026-11-27T09:30:00Z",
        });
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

fn import(dir: &Path, db: &Db, name: &str, contents: &str) {
    let file = dir.join(name);
    std::fs::write(&file, contents).unwrap();
    let o = command(dir, db, &["inbox", "import", "--quiet"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// An open `/inbox/events` stream, read event by event.
struct Events {
    response: reqwest::Response,
    buf: String,
}

impl Events {
    /// Opened once the server answers with its headers: it has subscribed by then.
    async fn open(base: &str, cookie: &str) -> Events {
        // The shared client (it installs the TLS provider reqwest is built without); the stream
        // is read for well under its whole-request timeout.
        let http = owlery_networks::http::client(owlery_networks::http::HttpConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
        })
        .unwrap();
        let response = http
            .get(format!("{base}/inbox/events"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Events {
            response,
            buf: String::new(),
        }
    }

    /// The next event's name and data (heartbeats skipped), or `None` after `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some((event, serde_json::from_str(&data).unwrap()));
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                _ => return None,
            }
        }
    }
}

async fn scenario(tmp: &TempDir, store: &Store, db: Db) {
    let (channel, cookie) = setup(store).await;
    let (server, base) = start_server(&tmp.0, &db);
    let mut events = Events::open(&base, &cookie).await;

    // Another process imports a message: the open page hears of its conversation.
    import(
        &tmp.0,
        &db,
        "one.jsonl",
        &lines(&channel, std::iter::once("ana".to_owned())),
    );
    let (event, data) = events
        .next(Duration::from_secs(15))
        .await
        .unwrap_or_else(|| panic!("no event:\n{}", server.log()));
    assert_eq!(event, "conversation", "{data}");
    assert_eq!(data["change"], "message");
    let org = store.organisation().await.unwrap().unwrap();
    let listed = store
        .list_conversations(
            org.id,
            &InboxScope::All,
            &ConversationFilter::default(),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        data["conversation_id"].as_str().unwrap(),
        listed.items[0].id.to_string()
    );

    // A batch of many conversations: on SQLite one `resync` (the page re-reads its list); on
    // PostgreSQL one event per conversation, as before.
    import(
        &tmp.0,
        &db,
        "many.jsonl",
        &lines(&channel, (0..=OUTBOX_BATCH).map(|i| format!("author{i}"))),
    );
    let (event, _) = events.next(Duration::from_secs(15)).await.unwrap();
    match db {
        Db::Sqlite(_) => {
            assert_eq!(event, "resync");
            assert!(
                events.next(Duration::from_secs(2)).await.is_none(),
                "one resync for the batch"
            );
        }
        Db::Postgres(_) => assert_eq!(event, "conversation"),
    }
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reaches_an_open_inbox_page_on_sqlite() {
    let tmp = TempDir::new("owlery-live-cli").unwrap();
    let data = tmp.0.join("data");
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: data.join("owlery.db"),
    })
    .await
    .unwrap();
    scenario(&tmp, &store, Db::Sqlite(data)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reaches_an_open_inbox_page_on_postgres() {
    let Some(base) = postgres_url() else {
        eprintln!("OWLERY_TEST_POSTGRES_URL is not set: skipping the PostgreSQL half");
        return;
    };
    let tmp = TempDir::new("owlery-live-cli-pg").unwrap();
    let (store, url) = fresh_postgres(&base, "owlery_live_cli", 4).await.unwrap();
    scenario(&tmp, &store, Db::Postgres(url.clone())).await;
    store.close().await;
    drop_postgres(&base, &url).await.unwrap();
}

async fn worker_scenario(tmp: &TempDir, store: &Store, db: Db) {
    let (channel, cookie, owner) = setup_on(store, Network::Sandbox).await;
    let (server, base) = start_server(&tmp.0, &db);
    let mut events = Events::open(&base, &cookie).await;
    import(
        &tmp.0,
        &db,
        "one.jsonl",
        &lines(&channel, std::iter::once("ana".to_owned())),
    );
    let (_, data) = events.next(Duration::from_secs(15)).await.unwrap();
    assert_eq!(data["change"], "message");
    let conversation = data["conversation_id"].as_str().unwrap().to_owned();

    // An answer stored by this process (a third one): queued.
    let org = store.organisation().await.unwrap().unwrap();
    let summary = store
        .conversation_summary(
            org.id,
            &InboxScope::All,
            owlery_domain::ConversationId(conversation.parse().unwrap()),
        )
        .await
        .unwrap();
    store
        .create_reply(
            &Actor::cli(),
            owner,
            &summary,
            &owlery_store::inbox_replies::NewReply {
                text: "It left this morning.",
                close: false,
                client_key: "live-cli",
                needs_approval: false,
            },
        )
        .await
        .unwrap();
    let (event, data) = events.next(Duration::from_secs(15)).await.unwrap();
    assert_eq!(
        (event.as_str(), &data["change"]),
        ("conversation", &"reply".into())
    );

    // The worker, a process of its own, sends it: sending, then sent (the conversation pending).
    let worker = Proc::spawn(command(&tmp.0, &db, &["worker"]));
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let Some((event, data)) = events.next(Duration::from_secs(30)).await else {
            panic!("heard {seen:?}, then nothing:\n{}", server.log())
        };
        assert_eq!(event, "conversation", "{data}");
        assert_eq!(data["conversation_id"], conversation.as_str());
        assert_eq!(data["change"], "reply", "{data}");
        seen.push(data);
    }
    assert_eq!(seen[1]["status"], "pending", "{seen:?}");
    assert!(
        events.next(Duration::from_secs(2)).await.is_none(),
        "one event per state"
    );
    drop(worker);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_process_answer_reaches_an_open_inbox_page_on_sqlite() {
    let tmp = TempDir::new("owlery-live-worker").unwrap();
    let data = tmp.0.join("data");
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: data.join("owlery.db"),
    })
    .await
    .unwrap();
    worker_scenario(&tmp, &store, Db::Sqlite(data)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_process_answer_reaches_an_open_inbox_page_on_postgres() {
    let Some(base) = postgres_url() else {
        eprintln!("OWLERY_TEST_POSTGRES_URL is not set: skipping the PostgreSQL half");
        return;
    };
    let tmp = TempDir::new("owlery-live-worker-pg").unwrap();
    let (store, url) = fresh_postgres(&base, "owlery_live_worker", 4)
        .await
        .unwrap();
    worker_scenario(&tmp, &store, Db::Postgres(url.clone())).await;
    store.close().await;
    drop_postgres(&base, &url).await.unwrap();
}
