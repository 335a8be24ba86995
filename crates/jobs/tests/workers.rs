//! The workers against real databases and real SMTP conversations: a real relay for delivery
//! (`OWLERY_TEST_SMTP` + `OWLERY_TEST_MAILDIR`, started by scripts/test), and a scripted relay in
//! this file for the answers a real one rarely gives (4xx, 5xx).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{path::PathBuf, time::Duration};

use owlery_domain::{
    audit::Actor,
    mail::{JOB_KIND, OutgoingMail},
    user::{DisplayName, Email},
};
use owlery_jobs::{Outcome, Worker, housekeeping, mail::Mailer};
use owlery_store::{
    Store,
    jobs::{NewJob, QueueDepth},
    sessions::SessionStage,
    testing,
    users::NewUser,
};
use secrecy::SecretString;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

fn mail_job(to: &str, subject: &str) -> NewJob {
    let mail = OutgoingMail {
        to: to.into(),
        subject: subject.into(),
        text: "Set your password: http://127.0.0.1:8080/setup/SECRET\n".into(),
    };
    NewJob::new(JOB_KIND, serde_json::to_value(mail).unwrap())
}

/// The real relay from the environment, or `None` with a loud note (a failure under CI_SERVICES=1).
fn real_relay() -> Option<(String, PathBuf)> {
    let smtp = std::env::var("OWLERY_TEST_SMTP")
        .ok()
        .filter(|s| !s.is_empty());
    let maildir = std::env::var("OWLERY_TEST_MAILDIR")
        .ok()
        .filter(|s| !s.is_empty());
    match (smtp, maildir) {
        (Some(s), Some(m)) => Some((s, PathBuf::from(m))),
        _ => {
            assert!(
                std::env::var("CI_SERVICES").is_err(),
                "CI_SERVICES is set but OWLERY_TEST_SMTP / OWLERY_TEST_MAILDIR are not: the mail test cannot be skipped here"
            );
            eprintln!(
                "\n*** note: OWLERY_TEST_SMTP / OWLERY_TEST_MAILDIR are not set: SKIPPING the real-SMTP \
                 delivery test (scripts/test sets them; or `eval \"$(scripts/services up)\"`) ***\n"
            );
            None
        }
    }
}

/// The Maildir file whose text contains `needle`, if it has arrived.
fn find_mail(maildir: &std::path::Path, needle: &str) -> Option<String> {
    let entries = std::fs::read_dir(maildir.join("new")).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .find(|text| text.contains(needle))
}

#[tokio::test]
async fn mail_is_delivered_through_a_real_relay() {
    let Some((relay, maildir)) = real_relay() else {
        return;
    };
    let db = testing::sqlite().await.unwrap();
    let store = db.store.clone();
    let subject = format!("Owlery worker test {}", uuid::Uuid::now_v7().simple());
    let job_id = store
        .enqueue(mail_job("ana.petrova@example.test", &subject))
        .await
        .unwrap();

    let mailer = Mailer::new(
        &SecretString::from(format!("smtp://{relay}")),
        "Owlery <owlery@example.test>",
    )
    .unwrap();
    let worker = Worker::new(store.clone(), "test-worker")
        .with_handler(mailer)
        .with_max_idle(Duration::from_millis(200));
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(shutdown));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let message = loop {
        if let Some(m) = find_mail(&maildir, &subject) {
            break m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no message with subject '{subject}' in {}/new within 20 s",
            maildir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        message.contains(&format!("Subject: {subject}")),
        "{message}"
    );
    assert!(
        message.contains("To: ana.petrova@example.test"),
        "{message}"
    );
    assert!(
        message.contains("From: Owlery <owlery@example.test>"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Message-ID: <{job_id}@example.test>")),
        "the Message-ID comes from the job: {message}"
    );

    // The job is recorded as done (the worker records after sending; allow it a moment).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while store.queue_depth().await.unwrap() != QueueDepth::default() {
        assert!(tokio::time::Instant::now() < deadline, "job not completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the worker stops promptly on shutdown")
        .unwrap();
}

/// A relay that answers RCPT TO with `rcpt_reply` (e.g. `550 5.1.1 no such user`).
async fn scripted_relay(rcpt_reply: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 scripted ESMTP\r\n").await.ok();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            write.write_all(b"250 2.0.0 queued\r\n").await.ok();
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" | "HELO" => "250 scripted\r\n".to_owned(),
                        "RCPT" => format!("{rcpt_reply}\r\n"),
                        "DATA" => {
                            in_data = true;
                            "354 go ahead\r\n".to_owned()
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            return;
                        }
                        _ => "250 ok\r\n".to_owned(),
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("smtp://{addr}")
}

fn worker_for(store: &Store, relay: &str) -> Worker {
    Worker::new(store.clone(), "test-worker").with_handler(
        Mailer::new(&SecretString::from(relay.to_owned()), "owlery@example.test").unwrap(),
    )
}

#[tokio::test]
async fn relay_answers_decide_between_retry_and_failure() {
    for db in testing::all_backends().await.unwrap() {
        let store = &db.store;

        // 5xx: the address is refused for good, so the job fails at its first attempt.
        let worker = worker_for(store, &scripted_relay("550 5.1.1 no such user").await);
        store
            .enqueue(mail_job("gone@example.test", "x"))
            .await
            .unwrap();
        let (_, outcome) = worker.run_once().await.unwrap().unwrap();
        assert_eq!(outcome, Outcome::Failed, "{}", store.backend_name());
        assert_eq!(store.queue_depth().await.unwrap().failed, 1);

        // 4xx: try again later, 30 s (less up to a quarter of jitter) after the first attempt.
        let worker = worker_for(store, &scripted_relay("451 4.3.0 try again later").await);
        store
            .enqueue(mail_job("busy@example.test", "x"))
            .await
            .unwrap();
        let before = store.now();
        let (_, outcome) = worker.run_once().await.unwrap().unwrap();
        let Outcome::Retrying { at } = outcome else {
            panic!("expected a retry, got {outcome:?}");
        };
        let wait = (at - before).num_milliseconds();
        assert!((22_000..=31_000).contains(&wait), "retry in {wait} ms");
        let depth = store.queue_depth().await.unwrap();
        assert_eq!((depth.queued, depth.running), (1, 0));
        // Not due yet: nothing to claim now.
        assert!(worker.run_once().await.unwrap().is_none());
        assert_eq!(
            store.next_job_due(&[JOB_KIND]).await.unwrap(),
            Some(at),
            "the worker sleeps until then"
        );
    }
}

#[tokio::test]
async fn unreachable_relay_retries_and_the_last_attempt_gives_up() {
    let db = testing::sqlite().await.unwrap();
    let store = &db.store;
    // A port that was just free: connections are refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let worker = worker_for(store, &format!("smtp://127.0.0.1:{port}"));
    store
        .enqueue(mail_job("ana@example.test", "x"))
        .await
        .unwrap();
    let (_, outcome) = worker.run_once().await.unwrap().unwrap();
    assert!(matches!(outcome, Outcome::Retrying { .. }), "{outcome:?}");

    let mut last = mail_job("ana@example.test", "x");
    last.max_attempts = 1;
    let id = store.enqueue(last).await.unwrap();
    let (claimed, outcome) = worker.run_once().await.unwrap().unwrap();
    assert_eq!((claimed, outcome), (id, Outcome::Failed));
}

#[tokio::test]
async fn malformed_jobs_fail_at_once() {
    let db = testing::sqlite().await.unwrap();
    let store = &db.store;
    let worker = worker_for(store, &scripted_relay("250 ok").await);
    store
        .enqueue(NewJob::new(
            JOB_KIND,
            serde_json::json!({ "not": "an e-mail" }),
        ))
        .await
        .unwrap();
    store
        .enqueue(mail_job("not an address", "x"))
        .await
        .unwrap();
    for _ in 0..2 {
        let (_, outcome) = worker.run_once().await.unwrap().unwrap();
        assert_eq!(outcome, Outcome::Failed);
    }
    // And a good one goes through the scripted relay.
    store
        .enqueue(mail_job("ana@example.test", "x"))
        .await
        .unwrap();
    let (_, outcome) = worker.run_once().await.unwrap().unwrap();
    assert_eq!(outcome, Outcome::Completed);
}

#[tokio::test]
async fn an_idle_worker_stops_at_once_on_shutdown() {
    let db = testing::sqlite().await.unwrap();
    let worker = worker_for(&db.store, "smtp://127.0.0.1:9").with_max_idle(Duration::from_secs(60));
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(shutdown));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), running)
        .await
        .expect("stops without waiting out its idle sleep")
        .unwrap();
}

#[tokio::test]
async fn housekeeping_deletes_expired_sessions_only() {
    let db = testing::sqlite().await.unwrap();
    let store = &db.store;
    let org = store
        .ensure_organisation(&Actor::system(), "Test org")
        .await
        .unwrap();
    let user = store
        .create_user(
            &Actor::system(),
            org.id,
            NewUser {
                email: Email::parse("ana@example.test").unwrap(),
                name: DisplayName::parse("name", "Ana").unwrap(),
                password_hash: None,
                language: "en".into(),
                time_zone: "UTC".into(),
            },
            &[],
        )
        .await
        .unwrap();
    let (expired, _) = store
        .create_session(
            user.id,
            SessionStage::Active,
            chrono::Duration::hours(-1),
            None,
            None,
        )
        .await
        .unwrap();
    let (live, _) = store
        .create_session(
            user.id,
            SessionStage::Active,
            chrono::Duration::hours(1),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(housekeeping::run_once(store).await.unwrap(), 1);
    assert_eq!(housekeeping::run_once(store).await.unwrap(), 0);
    assert!(store.session(&live).await.unwrap().is_some());
    assert!(store.session(&expired).await.unwrap().is_none());

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(housekeeping::run(
        store.clone(),
        Duration::from_secs(3600),
        shutdown,
    ));
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), running)
        .await
        .unwrap()
        .unwrap();
}

// ------------------------------------------------------------------ concurrency

/// A handler for `test.concurrent` jobs that counts runs per job and can hold every run until a
/// number of them are in flight at once (`gate`), or until released (`hold`).
struct Probe {
    runs: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, u32>>,
    in_flight: std::sync::atomic::AtomicUsize,
    most_at_once: std::sync::atomic::AtomicUsize,
    gate: Option<tokio::sync::Barrier>,
    hold: tokio::sync::Semaphore,
    holding: bool,
}

const PROBE_JOB: &str = "test.concurrent";

impl Probe {
    fn new(gate: Option<usize>, holding: bool) -> std::sync::Arc<Probe> {
        std::sync::Arc::new(Probe {
            runs: Default::default(),
            in_flight: Default::default(),
            most_at_once: Default::default(),
            gate: gate.map(tokio::sync::Barrier::new),
            hold: tokio::sync::Semaphore::new(0),
            holding,
        })
    }

    fn runs(&self) -> std::collections::HashMap<uuid::Uuid, u32> {
        self.runs.lock().unwrap().clone()
    }

    fn in_flight(&self) -> usize {
        self.in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }
}

struct ProbeHandler(std::sync::Arc<Probe>);

impl owlery_jobs::JobHandler for ProbeHandler {
    fn kind(&self) -> &'static str {
        PROBE_JOB
    }

    fn run<'a>(
        &'a self,
        job: &'a owlery_store::jobs::Job,
    ) -> owlery_jobs::worker::BoxFuture<'a, Result<(), owlery_jobs::JobError>> {
        use std::sync::atomic::Ordering::SeqCst;
        Box::pin(async move {
            let p = &self.0;
            *p.runs.lock().unwrap().entry(job.id).or_default() += 1;
            let now = p.in_flight.fetch_add(1, SeqCst) + 1;
            p.most_at_once.fetch_max(now, SeqCst);
            if let Some(gate) = &p.gate {
                gate.wait().await;
            }
            if p.holding {
                p.hold.acquire().await.unwrap().forget();
            } else {
                // A little work, so that claims and runs interleave.
                tokio::time::sleep(Duration::from_millis(u64::from(rand::random::<u8>() % 4)))
                    .await;
            }
            p.in_flight.fetch_sub(1, SeqCst);
            Ok(())
        })
    }
}

async fn enqueue_probes(store: &Store, n: usize) -> Vec<uuid::Uuid> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            store
                .enqueue(NewJob::new(PROBE_JOB, serde_json::json!({ "i": i })))
                .await
                .unwrap(),
        );
    }
    ids
}

async fn wait_until(what: &str, secs: u64, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_runs_up_to_its_concurrency_at_once() {
    for db in testing::all_backends().await.unwrap() {
        let store = &db.store;
        let n = 4;
        // Every run waits at the barrier until n runs are in flight: a worker running fewer at
        // once never gets past it.
        let probe = Probe::new(Some(n), false);
        let ids = enqueue_probes(store, n).await;
        let worker = Worker::new(store.clone(), "concurrent")
            .with_handler(ProbeHandler(probe.clone()))
            .with_concurrency(n)
            .with_max_idle(Duration::from_millis(100));
        assert_eq!(worker.concurrency(), n);
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(worker.run(shutdown));
        wait_until(
            &format!("{n} jobs at once on {}", store.backend_name()),
            20,
            async || store.queue_depth().await.unwrap() == QueueDepth::default(),
        )
        .await;
        assert_eq!(
            probe.most_at_once.load(std::sync::atomic::Ordering::SeqCst),
            n
        );
        let runs = probe.runs();
        assert_eq!(runs.len(), n);
        assert!(ids.iter().all(|id| runs.get(id) == Some(&1)), "{runs:?}");
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_never_run_a_job_twice() {
    for db in testing::all_backends().await.unwrap() {
        let store = &db.store;
        let probe = Probe::new(None, false);
        let ids = enqueue_probes(store, 150).await;
        // Two workers on the same queue, eight jobs in flight each.
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let mut running = Vec::new();
        for name in ["one", "two"] {
            let worker = Worker::new(store.clone(), name)
                .with_handler(ProbeHandler(probe.clone()))
                .with_concurrency(8)
                .with_max_idle(Duration::from_millis(100));
            running.push(tokio::spawn(worker.run(shutdown.clone())));
        }
        wait_until(
            &format!("150 jobs done on {}", store.backend_name()),
            60,
            async || store.queue_depth().await.unwrap() == QueueDepth::default(),
        )
        .await;
        let runs = probe.runs();
        assert_eq!(runs.len(), ids.len(), "{}", store.backend_name());
        let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
        assert!(twice.is_empty(), "ran more than once: {twice:?}");
        assert!(probe.most_at_once.load(std::sync::atomic::Ordering::SeqCst) > 1);
        stop.send(true).unwrap();
        for r in running {
            tokio::time::timeout(Duration::from_secs(5), r)
                .await
                .unwrap()
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_jobs_in_hand_and_claims_no_more() {
    for db in testing::all_backends().await.unwrap() {
        let store = &db.store;
        let probe = Probe::new(None, true);
        // Four jobs, three slots: the fourth waits in the queue.
        enqueue_probes(store, 4).await;
        let worker = Worker::new(store.clone(), "stopping")
            .with_handler(ProbeHandler(probe.clone()))
            .with_concurrency(3)
            .with_max_idle(Duration::from_millis(100));
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(worker.run(shutdown));
        wait_until("three jobs in hand", 20, async || probe.in_flight() == 3).await;

        stop.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !running.is_finished(),
            "the worker must wait for its jobs in hand"
        );
        let depth = store.queue_depth().await.unwrap();
        assert_eq!((depth.queued, depth.running), (1, 3));

        probe.hold.add_permits(3);
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .expect("stops once its jobs are done")
            .unwrap();
        let depth = store.queue_depth().await.unwrap();
        assert_eq!(
            (depth.queued, depth.running, depth.failed),
            (1, 0, 0),
            "the three finished and were recorded; the fourth was not claimed after shutdown ({})",
            store.backend_name()
        );
        assert_eq!(probe.runs().len(), 3);
    }
}

/// A clock that reads the wall clock plus an offset a test moves.
#[derive(Debug, Default)]
struct Later(std::sync::Mutex<chrono::Duration>);

impl owlery_domain::Clock for Later {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn housekeeping_deletes_expired_oauth_attempts_only() {
    for db in testing::all_backends().await.unwrap() {
        let clock = std::sync::Arc::new(Later::default());
        let store = db.store.clone().with_clock(clock.clone());
        let org = store
            .ensure_organisation(&Actor::system(), "Test org")
            .await
            .unwrap();
        let user = store
            .create_user(
                &Actor::system(),
                org.id,
                NewUser {
                    email: Email::parse("ana@example.test").unwrap(),
                    name: DisplayName::parse("name", "Ana").unwrap(),
                    password_hash: None,
                    language: "en".into(),
                    time_zone: "UTC".into(),
                },
                &[],
            )
            .await
            .unwrap();
        let ws = store
            .create_workspace(
                &Actor::system(),
                org.id,
                &DisplayName::parse("name", "Brand").unwrap(),
            )
            .await
            .unwrap();
        let attempt = |state: &str| owlery_store::oauth::NewAttempt {
            id: uuid::Uuid::now_v7(),
            state_hash: state.to_owned(),
            user_id: user.id,
            workspace_id: ws.id,
            channel_id: None,
            network: owlery_domain::org::Network::X,
            service: None,
            auth: owlery_domain::org::AuthKind::Standard,
            verifier_sealed: vec![1, 2, 3],
        };
        store.start_oauth_attempt(&attempt("old")).await.unwrap();
        // Eleven minutes later the first has run out (ten minutes); a new one has not.
        *clock.0.lock().unwrap() = chrono::Duration::minutes(11);
        store.start_oauth_attempt(&attempt("new")).await.unwrap();
        housekeeping::run_once(&store).await.unwrap();
        // Deleted, not merely expired: taking it finds nothing at all.
        assert!(
            matches!(
                store.take_oauth_attempt("old").await.unwrap(),
                owlery_store::oauth::Taken::Unknown
            ),
            "{}",
            store.backend_name()
        );
        assert!(matches!(
            store.take_oauth_attempt("new").await.unwrap(),
            owlery_store::oauth::Taken::Attempt(_)
        ));
    }
}
