//! HTTP benchmark (not a test): latency and throughput of a signed-in page and an API list
//! endpoint under concurrent load, and the server's memory when idle and after the demo loads.
//!
//!     cargo bench -p owlery --bench http [-- --seconds 10 --concurrency 32]
//!
//! It starts the real `owlery` binary on loopback (release build under `cargo bench`), creates a
//! user and an API token through the CLI, signs in through the sign-in form like a browser, then
//! keeps `concurrency` keep-alive connections busy for `seconds` per endpoint.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)] // a bench binary

use std::{
    io::Write,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use http_body_util::{BodyExt, Empty, Full};
use hyper::{Request, body::Bytes, header};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

const BIN: &str = env!("CARGO_BIN_EXE_owlery");
const PASSWORD: &str = "benchmark passphrase 2026";

struct Args {
    seconds: u64,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10,
        concurrency: 32,
    };
    let v: Vec<String> = std::env::args().collect();
    for w in v.windows(2) {
        match w[0].as_str() {
            "--seconds" => a.seconds = w[1].parse().unwrap_or(a.seconds),
            "--concurrency" => a.concurrency = w[1].parse().unwrap_or(a.concurrency),
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

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

struct Server {
    child: Child,
    base: String,
    _dir: tempdir::Dir,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let p = std::env::temp_dir().join(format!("owlery-bench-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn cli(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "owlery {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn start(
    tag: &str,
    demo: bool,
    prepare: impl FnOnce(&std::path::Path),
) -> (Server, Duration) {
    let dir = tempdir::Dir::new(tag);
    prepare(&dir.0);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--public-url",
        &base,
    ])
    .arg("--data-dir")
    .arg(&dir.0)
    .env("RUST_LOG", "warn")
    // Figures comparable across runs: no simulated audience writing to the demo meanwhile.
    .env("OWLERY_SANDBOX_TRAFFIC", "off")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if demo {
        cmd.arg("--demo");
    }
    let started = Instant::now();
    let child = cmd.spawn().unwrap();
    let server = Server {
        child,
        base,
        _dir: dir,
    };
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    for _ in 0..600 {
        let req = Request::get(format!("{}/readyz", server.base))
            .body(Empty::new())
            .unwrap();
        if let Ok(res) = client.request(req).await
            && res.status() == 200
        {
            return (server, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready in 60 s");
}

/// Sign in through the form like a browser; returns the Cookie header value.
async fn sign_in(base: &str, email: &str) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let res = client
        .request(
            Request::get(format!("{base}/signin"))
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let i = body.find(marker).unwrap() + marker.len();
    let csrf = &body[i..i + body[i..].find('"').unwrap()];
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", csrf),
        ])
        .finish();
    let req = Request::post(format!("{base}/signin"))
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::from(form))
        .unwrap();
    let res = client.request(req).await.unwrap();
    assert_eq!(res.status(), 303, "sign-in failed");
    let session = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("owlery_session="))
        .unwrap();
    format!("{cookie}; {session}")
}

struct Result_ {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

async fn load(url: String, header: (header::HeaderName, String), a: &Args) -> Result_ {
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(a.concurrency)
        .build_http::<Empty<Bytes>>();
    // Warm up.
    for _ in 0..50 {
        let req = Request::get(&url)
            .header(header.0.clone(), &header.1)
            .body(Empty::new())
            .unwrap();
        let _ = client
            .request(req)
            .await
            .unwrap()
            .into_body()
            .collect()
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (client, url, header) = (client.clone(), url.clone(), header.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                let req = Request::get(&url)
                    .header(header.0.clone(), &header.1)
                    .body(Empty::new())
                    .unwrap();
                match client.request(req).await {
                    Ok(res) => {
                        let ok = res.status() == 200;
                        let _ = res.into_body().collect().await;
                        if ok {
                            lat.push(t.elapsed())
                        } else {
                            errors += 1
                        }
                    }
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    Result_ {
        requests: latencies.len(),
        errors,
        elapsed: started.elapsed(),
        latencies,
    }
}

fn pct(v: &[Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn report(name: &str, r: &Result_) {
    println!(
        "{name:<34} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors)",
        r.requests as f64 / r.elapsed.as_secs_f64(),
        pct(&r.latencies, 0.50),
        pct(&r.latencies, 0.99),
        r.requests,
        r.errors
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    println!(
        "Owlery HTTP benchmark: {} s per endpoint, {} concurrent connections, {} cores",
        a.seconds,
        a.concurrency,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    let mut token = String::new();
    let (server, ready) = start("plain", false, |dir| {
        cli(
            dir,
            &[
                "admin",
                "create-user",
                "--email",
                "bench@example.test",
                "--name",
                "Bench Owner",
                "--role",
                "owner",
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        );
        let out = cli(
            dir,
            &[
                "admin",
                "token",
                "create",
                "--user",
                "bench@example.test",
                "--name",
                "bench",
            ],
            None,
        );
        token = out.lines().last().unwrap_or_default().trim().to_owned();
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_kib(server.child.id());
    println!(
        "ready in {:.2} s; idle RSS {:.1} MiB",
        ready.as_secs_f64(),
        idle as f64 / 1024.0
    );

    let cookie = sign_in(&server.base, "bench@example.test").await;
    let page = load(format!("{}/", server.base), (header::COOKIE, cookie), &a).await;
    report("GET / (signed-in page)", &page);
    let api = load(
        format!("{}/api/v1/users?limit=50", server.base),
        (header::AUTHORIZATION, format!("Bearer {token}")),
        &a,
    )
    .await;
    report("GET /api/v1/users (API list)", &api);
    println!(
        "RSS after load {:.1} MiB",
        rss_kib(server.child.id()) as f64 / 1024.0
    );
    drop(server);

    let (demo, ready) = start("demo", true, |_| {}).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "demo: ready in {:.2} s; RSS after the demo loads {:.1} MiB",
        ready.as_secs_f64(),
        rss_kib(demo.child.id()) as f64 / 1024.0
    );
}
