//! Webhook ingestion benchmark (not a test): sustained signed webhook requests per second over HTTP
//! on loopback against the real `owlery serve` (its workers on), with latency p50/p99, and the time
//! until every accepted delivery is processed into the inbox.
//!
//!     cargo bench -p owlery --bench webhooks [-- --requests 20000 --clients 16 --postgres URL]
//!
//! Each request is a distinct Meta Messenger delivery (one DM, signed with the app's secret, as
//! Meta sends it) to one Facebook Page channel; the server verifies the signature over the raw
//! body, stores the delivery and answers 200, and its webhook worker parses, classifies and
//! ingests it. The clients keep their connections alive. On SQLite by default; `--postgres URL`
//! runs the same against a fresh database on that server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)] // a bench binary

use std::{
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use owlery_store::{
    DatabaseConfig, Store,
    testing::{drop_postgres, fresh_postgres},
};

#[path = "../tests/support/meta_page.rs"]
mod meta_page;

use meta_page::{KEK, PAGE, setup};

const BIN: &str = env!("CARGO_BIN_EXE_owlery");
const SECRET: &[u8] = b"meta-app-secret-bench";

struct Args {
    requests: usize,
    clients: usize,
    postgres: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        requests: 20_000,
        clients: 16,
        postgres: None,
    };
    let v: Vec<String> = std::env::args().collect();
    for w in v.windows(2) {
        match w[0].as_str() {
            "--requests" => a.requests = w[1].parse().unwrap_or(a.requests),
            "--clients" => a.clients = w[1].parse().unwrap_or(a.clients),
            "--postgres" => a.postgres = Some(w[1].clone()),
            _ => {}
        }
    }
    a
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn body(i: usize) -> String {
    let texts = [
        "Hi, is my order shipped yet?",
        "Здравейте, кога отваряте в неделя?",
        "Love the new collection!",
        "This is the third time my delivery is late. Terrible.",
        "¿Tienen envío a Valencia?",
    ];
    format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":1764244800,"messaging":[{{"sender":{{"id":"u{}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{},"message":{{"mid":"bench_{i}","text":"{} #{i}"}}}}]}}]}}"#,
        i % 5000,
        1_764_244_800_000u64 + i as u64,
        texts[i % texts.len()]
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

async fn run(a: &Args, store: Store, db_args: &[String], dir: &std::path::Path) {
    let hook = setup(&store, SECRET, "be7cbe7cbe7cbe7cbe7cbe7cbe7cbe7c").await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(db_args)
        .arg("--data-dir")
        .arg(dir)
        .env("OWLERY_SECRET_KEY", KEK)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _server = Server(cmd.spawn().unwrap());
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the server did not become ready in 60 s");

    let bodies: Arc<Vec<(String, String)>> = Arc::new(
        (0..a.requests)
            .map(|i| {
                let b = body(i);
                let s = owlery_networks::webhook::meta_signature(SECRET, b.as_bytes());
                (b, s)
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(a.requests)));
    let url = format!("{base}/webhooks/meta/{hook}");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let (bodies, next, latencies, url) =
            (bodies.clone(), next.clone(), latencies.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((b, s)) = bodies.get(i) else { break };
                let t = Instant::now();
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", s)
                    .body(b.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "delivery {i}");
                let _ = r.bytes().await;
                mine.push(t.elapsed());
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let sending = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (messages, _) = store.inbox_counts().await.unwrap();
        if messages as usize >= a.requests {
            break;
        }
        assert!(Instant::now() < deadline, "not processed in 10 minutes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let processed = started.elapsed();
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:<10} {:>8} {:>8} {:>12} {:>9} {:>9} {:>16} {:>14}",
        store.backend_name(),
        a.requests,
        a.clients,
        format!("{:.0}", a.requests as f64 / sending.as_secs_f64()),
        format!("{:.2}", ms(percentile(&l, 0.5))),
        format!("{:.2}", ms(percentile(&l, 0.99))),
        format!("{:.2}", processed.as_secs_f64()),
        format!("{:.0}", a.requests as f64 / processed.as_secs_f64()),
    );
}

#[tokio::main]
async fn main() {
    // Installs the TLS crypto provider reqwest needs (the clients here speak plain HTTP).
    let _ = owlery_networks::http::client(owlery_networks::http::HttpConfig::default());
    let a = args();
    println!("# Webhook ingestion over HTTP on loopback (Meta Messenger deliveries, signed)");
    println!(
        "# cargo bench -p owlery --bench webhooks -- --requests {} --clients {}{}",
        a.requests,
        a.clients,
        a.postgres
            .as_ref()
            .map(|_| " --postgres URL".to_owned())
            .unwrap_or_default()
    );
    println!(
        "# req/s: accepted (verified + stored + 200) per second while sending; processed: time from \
         the first request until every message is in the inbox (parsed, classified, ingested)"
    );
    println!(
        "{:<10} {:>8} {:>8} {:>12} {:>9} {:>9} {:>16} {:>14}",
        "database",
        "requests",
        "clients",
        "req/s",
        "p50 ms",
        "p99 ms",
        "all in inbox s",
        "ingested/s"
    );
    let dir = std::env::temp_dir().join(format!("owlery-bench-webhooks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: dir.join("owlery.db"),
    })
    .await
    .unwrap();
    run(&a, store.clone(), &[], &dir).await;
    store.close().await;
    if let Some(server) = &a.postgres {
        let pg_dir = dir.join("pg");
        std::fs::create_dir_all(&pg_dir).unwrap();
        let (store, url) = fresh_postgres(server, "owlery_bench_webhooks", 8)
            .await
            .unwrap();
        run(
            &a,
            store.clone(),
            &["--database-url".to_owned(), url.clone()],
            &pg_dir,
        )
        .await;
        store.close().await;
        drop_postgres(server, &url).await.unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
