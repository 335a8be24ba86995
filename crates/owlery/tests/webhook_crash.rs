//! A webhook burst is never lost across a crash: the real `owlery serve` (with its workers) on
//! SQLite (and PostgreSQL when `OWLERY_TEST_POSTGRES_URL` is set) receives a burst of distinct,
//! signed Meta deliveries from several concurrent clients; the server is killed with SIGKILL while
//! the burst is in flight, restarted, and every delivery that did not get an answer is sent again
//! (as Meta would retry). Then every delivery is in the inbox exactly once: each one that got a 200
//! before the kill, and each one resent after it (a resent delivery that the dead server had
//! already stored is answered 200 "already received", an exact repeat, and is in the inbox once
//! too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::Path,
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use owlery_store::{
    DatabaseConfig, Store,
    testing::{TempDir, drop_postgres, fresh_postgres, postgres_url},
};

mod support;

use support::meta_page::{KEK, PAGE, setup};
use support::process::Proc;

const BIN: &str = env!("CARGO_BIN_EXE_owlery");
/// A fixed key-encryption key for the server and the test's own vault (32 bytes, base64).
const SECRET: &[u8] = b"meta-app-secret-crash";
const BURST: usize = 2000;
const CLIENTS: usize = 8;

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

/// `owlery serve` (with its workers) on the test's database: the process and its address.
fn start_server(dir: &Path, db: &Db) -> (Proc, String) {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for k in CONFIG_ENV {
        c.env_remove(k);
    }
    c.args(["serve", "--bind", "127.0.0.1:0"])
        .env("OWLERY_SECRET_KEY", KEK)
        .env("OWLERY_JOB_LEASE_SECS", "10");
    match db {
        Db::Sqlite(data) => {
            c.arg("--data-dir").arg(data);
        }
        Db::Postgres(url) => {
            c.arg("--data-dir").arg(dir.join("data"));
            c.env("OWLERY_DATABASE_URL", url);
        }
    }
    Proc::serve(c)
}

enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

/// Delivery `i`: one Messenger DM, distinct per `i`.
fn body(i: usize) -> String {
    format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1764244800,"messaging":[{{"sender":{{"id":"u{}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{},"message":{{"mid":"m_{i}","text":"burst message {i}"}}}}]}}]}}"#,
        i % 97,
        1_764_244_800_000u64 + i as u64
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Unsent,
    Ok,
    Replay,
    Failed,
}

/// Send deliveries `todo` from `CLIENTS` concurrent clients; `sent` counts answers.
async fn fire(
    base: String,
    hook: String,
    todo: Vec<usize>,
    answers: Arc<Mutex<Vec<Answer>>>,
    sent: Arc<AtomicUsize>,
) {
    let todo = Arc::new(Mutex::new(todo));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let todo = todo.clone();
        let answers = answers.clone();
        let sent = sent.clone();
        let url = format!("{base}/webhooks/meta/{hook}");
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            loop {
                let Some(i) = todo.lock().unwrap().pop() else {
                    return;
                };
                let b = body(i);
                let sig = owlery_networks::webhook::meta_signature(SECRET, b.as_bytes());
                let answer = match http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", sig)
                    .body(b)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => match r.text().await.as_deref() {
                        Ok("already received") => Answer::Replay,
                        Ok(_) => Answer::Ok,
                        Err(_) => Answer::Failed,
                    },
                    Ok(r) => panic!("delivery {i}: {}", r.status()),
                    Err(_) => Answer::Failed,
                };
                answers.lock().unwrap()[i] = answer;
                sent.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn burst_survives_kill_9(db: Db, store: Store, tmp: &TempDir) {
    // Installs the TLS crypto provider reqwest needs (the clients here speak plain HTTP).
    let _ = owlery_networks::http::client(owlery_networks::http::HttpConfig::default());
    let hook = setup(&store, SECRET, "c0ffee00c0ffee00c0ffee00c0ffee00").await;
    let (mut server, base) = start_server(&tmp.0, &db);
    let answers = Arc::new(Mutex::new(vec![Answer::Unsent; BURST]));
    let sent = Arc::new(AtomicUsize::new(0));
    let burst = tokio::spawn(fire(
        base.clone(),
        hook.clone(),
        (0..BURST).rev().collect(),
        answers.clone(),
        sent.clone(),
    ));
    // Kill while the burst is in flight: after a third has been answered.
    let deadline = Instant::now() + Duration::from_secs(120);
    while sent.load(Ordering::SeqCst) < BURST / 3 {
        assert!(Instant::now() < deadline, "the burst is too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill9();
    burst.await.unwrap();
    let first: Vec<Answer> = answers.lock().unwrap().clone();
    let acked = first.iter().filter(|a| **a == Answer::Ok).count();
    let failed = first.iter().filter(|a| **a != Answer::Ok).count();
    assert!(
        acked >= BURST / 3 && failed > 0,
        "the kill came mid-burst: {acked} acknowledged"
    );

    // Restart; resend whatever got no 200, as the network would.
    let (server, base) = start_server(&tmp.0, &db);
    let resend: Vec<usize> = (0..BURST).filter(|i| first[*i] != Answer::Ok).collect();
    let resent = resend.len();
    fire(
        base.clone(),
        hook.clone(),
        resend,
        answers.clone(),
        sent.clone(),
    )
    .await;
    let second: Vec<Answer> = answers.lock().unwrap().clone();
    assert!(
        second
            .iter()
            .all(|a| matches!(a, Answer::Ok | Answer::Replay)),
        "every resent delivery is answered 200: new, or already received (stored before the kill)"
    );
    let replays = second.iter().filter(|a| **a == Answer::Replay).count();

    // Wait for the worker to process everything.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let c = store.webhook_delivery_counts().await.unwrap();
        if c.pending == 0 {
            assert_eq!(c.failed, 0);
            assert_eq!(
                c.done, BURST as i64,
                "one stored delivery per distinct body"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} deliveries still pending:\n{}",
            c.pending,
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every delivery is in the inbox, exactly once (the unique (channel, remote id) makes "at most
    // once" structural; the count makes it "exactly").
    let (messages, conversations) = store.inbox_counts().await.unwrap();
    assert_eq!(messages, BURST as i64);
    assert_eq!(conversations, 97, "one DM thread per sender");
    eprintln!(
        "{}: {BURST} deliveries, {acked} acknowledged before kill -9, {resent} resent after the \
         restart ({replays} of them already stored: 200, already received), {messages} messages \
         in the inbox",
        store.backend_name()
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_burst_is_never_lost_across_kill_9_on_sqlite() {
    let tmp = TempDir::new("owlery-webhook-crash").unwrap();
    let data = tmp.0.join("data");
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: data.join("owlery.db"),
    })
    .await
    .unwrap();
    burst_survives_kill_9(Db::Sqlite(data), store, &tmp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_burst_is_never_lost_across_kill_9_on_postgres() {
    let Some(base) = postgres_url() else {
        eprintln!("OWLERY_TEST_POSTGRES_URL is not set: skipping the PostgreSQL crash test");
        return;
    };
    let tmp = TempDir::new("owlery-webhook-crash-pg").unwrap();
    let (store, url) = fresh_postgres(&base, "owlery_webhook_crash", 4)
        .await
        .unwrap();
    burst_survives_kill_9(Db::Postgres(url.clone()), store.clone(), &tmp).await;
    store.close().await;
    drop_postgres(&base, &url).await.unwrap();
}
