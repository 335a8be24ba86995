//! The real `owlery` binary, run as a person or a script would: admin commands, backup, audit
//! verification, configuration errors, and `serve --demo` from start to SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use owlery_domain::Permission;
use owlery_store::{DatabaseConfig, Store, audit::AuditFilter, testing::TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_owlery");

/// Settings that the developer's shell may have set and that would change what these tests see.
const CONFIG_ENV: &[&str] = &[
    "OWLERY_BIND",
    "OWLERY_DATA_DIR",
    "OWLERY_DATABASE_URL",
    "OWLERY_PUBLIC_URL",
    "OWLERY_SMTP_URL",
    "OWLERY_MAIL_FROM",
    "OWLERY_LOG_FORMAT",
    "OWLERY_TRUST_FORWARDED_FOR",
    "OWLERY_MAX_UPLOAD_MB",
    "OWLERY_WORKER_CONCURRENCY",
    "OWLERY_SECRET_KEY",
    "OWLERY_BOOTSTRAP_OWNER_EMAIL",
    "RUST_LOG",
];

/// `owlery ARGS` in `dir` (so no stray ./owlery.toml is read), with a clean configuration
/// environment plus `env`.
fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir).args(args);
    for k in CONFIG_ENV {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut c = command(dir, args, env);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run and require success.
fn ok(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let o = run(dir, args, &[], stdin);
    assert!(
        o.status.success(),
        "owlery {args:?} failed ({}):\n{}{}",
        o.status,
        stderr(&o),
        stdout(&o)
    );
    stdout(&o)
}

async fn open(db: &Path) -> Store {
    Store::connect(&DatabaseConfig::Sqlite {
        path: db.to_owned(),
    })
    .await
    .unwrap()
}

fn data_dir(tmp: &TempDir) -> (String, PathBuf) {
    let d = tmp.0.join("data");
    (d.display().to_string(), d.join("owlery.db"))
}

const PASSWORD: &str = "correct horse battery staple 42\n";

#[tokio::test]
async fn admin_commands_create_list_and_issue_tokens() {
    let tmp = TempDir::new("owlery-cli").unwrap();
    let (dir, db) = data_dir(&tmp);
    let owner = ok(
        &tmp.0,
        &[
            "admin",
            "create-user",
            "--data-dir",
            &dir,
            "--email",
            "Ana@Example.test",
            "--name",
            "Ана Петрова",
            "--role",
            "owner",
            "--password-stdin",
            "--org-name",
            "Acme Social",
            "--language",
            "bg",
            "--time-zone",
            "Europe/Sofia",
        ],
        Some(PASSWORD),
    );
    assert!(
        owner.contains(
            "Created Ана Петрова <ana@example.test>: owner of the organisation in Acme Social."
        ),
        "{owner}"
    );
    assert!(owner.contains("They can sign in now."));

    // Invited: no password, a setup link on the last line.
    let invited = ok(
        &tmp.0,
        &[
            "admin",
            "create-user",
            "--data-dir",
            &dir,
            "--email",
            "bob@example.test",
            "--name",
            "Bob",
            "--role",
            "community_agent",
        ],
        None,
    );
    let link = invited.lines().last().unwrap();
    assert!(
        link.starts_with("http://127.0.0.1:8080/setup/"),
        "{invited}"
    );

    // Mistakes are refused with the flag named, and exit status 2.
    for (args, expected) in [
        (
            vec![
                "--email",
                "ana@example.test",
                "--name",
                "Again",
                "--role",
                "admin",
            ],
            "--email: A user with this e-mail",
        ),
        (
            vec![
                "--email",
                "c@example.test",
                "--name",
                "C",
                "--role",
                "superuser",
            ],
            "--role: 'superuser' is not a role",
        ),
        (
            vec![
                "--email",
                "c@example.test",
                "--name",
                "C",
                "--role",
                "admin",
                "--scope",
                "workspace:Nope",
            ],
            "--scope: there is no workspace 'Nope'",
        ),
        (
            vec!["--email", "nope", "--name", "C", "--role", "admin"],
            "--email:",
        ),
    ] {
        let mut full = vec!["admin", "create-user", "--data-dir", &dir];
        full.extend(args);
        let o = run(&tmp.0, &full, &[], None);
        assert_eq!(o.status.code(), Some(2), "{full:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{full:?}: {}", stderr(&o));
    }
    let weak = run(
        &tmp.0,
        &[
            "admin",
            "create-user",
            "--data-dir",
            &dir,
            "--email",
            "c@example.test",
            "--name",
            "C",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &[],
        Some("short\n"),
    );
    assert_eq!(weak.status.code(), Some(2));
    assert!(
        stderr(&weak).contains("--password-stdin: Use at least 12 characters"),
        "{}",
        stderr(&weak)
    );

    let list = ok(&tmp.0, &["admin", "list-users", "--data-dir", &dir], None);
    assert!(list.starts_with("EMAIL"), "{list}");
    assert!(list.contains("ana@example.test"), "{list}");
    assert!(list.contains("Ана Петрова"));
    assert!(list.contains("bob@example.test"));
    assert!(list.contains("community_agent"));
    assert!(list.contains("invited"));
    assert!(list.trim_end().ends_with("2 users"), "{list}");

    let out = ok(
        &tmp.0,
        &[
            "admin",
            "token",
            "create",
            "--data-dir",
            &dir,
            "--user",
            "ana@example.test",
            "--scope",
            "users:read",
            "--expires",
            "7",
            "--name",
            "Reporting",
        ],
        None,
    );
    let token = out.lines().last().unwrap().to_owned();
    assert!(token.starts_with("owl_"), "{out}");
    let unscoped = ok(
        &tmp.0,
        &[
            "admin",
            "token",
            "create",
            "--data-dir",
            &dir,
            "--user",
            "ana@example.test",
        ],
        None,
    );
    assert!(unscoped.lines().last().unwrap().starts_with("owl_"));
    assert!(
        unscoped.contains("the user's own permissions"),
        "{unscoped}"
    );

    // Bob may not read users, so neither may a token of his.
    let o = run(
        &tmp.0,
        &[
            "admin",
            "token",
            "create",
            "--data-dir",
            &dir,
            "--user",
            "bob@example.test",
            "--scope",
            "users:read",
        ],
        &[],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("does not hold users:read"),
        "{}",
        stderr(&o)
    );

    let store = open(&db).await;
    let t = store.authenticate_token(&token).await.unwrap().unwrap();
    assert_eq!(t.scopes, vec![Permission::UsersRead]);
    assert_eq!(t.name, "Reporting");
    let by_cli = store
        .audit_events(
            &AuditFilter {
                actor: Some("cli".into()),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .unwrap();
    let actions: Vec<&str> = by_cli.iter().map(|e| e.entry.action.as_str()).collect();
    for a in [
        "org.create",
        "user.create",
        "link.setup.create",
        "token.create",
    ] {
        assert!(actions.contains(&a), "{a} not audited as cli: {actions:?}");
    }
    store.close().await;
}

#[tokio::test]
async fn backup_makes_a_usable_copy_and_never_overwrites() {
    let tmp = TempDir::new("owlery-cli").unwrap();
    let (dir, _) = data_dir(&tmp);
    ok(
        &tmp.0,
        &[
            "admin",
            "create-user",
            "--data-dir",
            &dir,
            "--email",
            "ana@example.test",
            "--name",
            "Ana",
            "--role",
            "owner",
        ],
        None,
    );
    let target = tmp.0.join("backup.db");
    let target_s = target.display().to_string();
    let out = ok(
        &tmp.0,
        &["backup", "--data-dir", &dir, "--to", &target_s],
        None,
    );
    assert!(out.contains("Backed up to"), "{out}");
    assert!(
        out.contains("secret.key"),
        "the key's importance is said: {out}"
    );

    let copy = open(&target).await;
    assert_eq!(copy.count_users().await.unwrap(), 1);
    assert_eq!(copy.verify_audit_chain().await.unwrap().result, Ok(()));
    copy.close().await;

    let again = run(
        &tmp.0,
        &["backup", "--data-dir", &dir, "--to", &target_s],
        &[],
        None,
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    let missing = run(
        &tmp.0,
        &[
            "backup",
            "--data-dir",
            &tmp.0.join("nothing-here").display().to_string(),
            "--to",
            "x.db",
        ],
        &[],
        None,
    );
    assert_ne!(missing.status.code(), Some(0));
    assert!(
        stderr(&missing).contains("there is no database at"),
        "{}",
        stderr(&missing)
    );

    // PostgreSQL is pg_dump's job: guidance, a non-zero exit, and no connection attempt.
    let pg = run(
        &tmp.0,
        &["backup", "--to", "x.dump"],
        &[(
            "OWLERY_DATABASE_URL",
            "postgres://owlery@127.0.0.1:1/owlery",
        )],
        None,
    );
    assert_ne!(pg.status.code(), Some(0));
    assert!(stderr(&pg).contains("pg_dump"), "{}", stderr(&pg));
}

#[tokio::test]
async fn audit_verify_passes_then_names_the_tampered_event() {
    let tmp = TempDir::new("owlery-cli").unwrap();
    let (dir, db) = data_dir(&tmp);
    ok(
        &tmp.0,
        &[
            "admin",
            "create-user",
            "--data-dir",
            &dir,
            "--email",
            "ana@example.test",
            "--name",
            "Ana",
            "--role",
            "owner",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    ok(
        &tmp.0,
        &[
            "admin",
            "token",
            "create",
            "--data-dir",
            &dir,
            "--user",
            "ana@example.test",
        ],
        None,
    );
    let out = ok(&tmp.0, &["audit", "verify", "--data-dir", &dir], None);
    assert_eq!(out.trim(), "3 events, chain intact");

    let store = open(&db).await;
    let changed = store
        .execute_raw_for_tests("UPDATE audit_events SET actor_label = 'mallory' WHERE seq = 2")
        .await
        .unwrap();
    assert_eq!(changed, 1);
    store.close().await;

    let o = run(&tmp.0, &["audit", "verify", "--data-dir", &dir], &[], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("event 2 was edited: its content does not match its hash"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_configuration_fails_at_start_naming_the_key() {
    let tmp = TempDir::new("owlery-cli").unwrap();
    // (arguments, environment, what stderr must say)
    type Case = (
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
        &'static str,
    );
    let cases: &[Case] = &[
        (
            &["admin", "list-users"],
            &[("OWLERY_BIND", "abc")],
            "error: OWLERY_BIND: 'abc' is not an address like 127.0.0.1:8080",
        ),
        (
            &["serve", "--bind", "abc"],
            &[],
            "error: --bind: 'abc' is not an address like 127.0.0.1:8080",
        ),
        (
            &["migrate"],
            &[("OWLERY_LOG_FORMAT", "xml")],
            "error: OWLERY_LOG_FORMAT: 'xml' is not a log format; use human or json",
        ),
        (
            &["migrate"],
            &[("OWLERY_SMTP_URL", "http://user:hunter2@mail.example.com")],
            "error: OWLERY_SMTP_URL:",
        ),
        (
            &["migrate", "--config", "nowhere.toml"],
            &[],
            "nowhere.toml: no such file",
        ),
    ];
    for (args, env, expected) in cases {
        let o = run(&tmp.0, args, env, None);
        assert_eq!(o.status.code(), Some(2), "{args:?} {env:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(expected),
            "{args:?} {env:?}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("hunter2"), "secrets are never echoed");
    }
    std::fs::write(
        tmp.0.join("owlery.toml"),
        "bind = \"127.0.0.1:1\"\ndata_dirr = \"x\"\n",
    )
    .unwrap();
    let o = run(&tmp.0, &["migrate"], &[], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown key data_dirr"),
        "{}",
        stderr(&o)
    );
    assert!(
        !tmp.0.join("owlery-data").exists(),
        "nothing is created when the configuration is bad"
    );
}

#[test]
fn version_and_help() {
    let tmp = TempDir::new("owlery-cli").unwrap();
    assert_eq!(
        ok(&tmp.0, &["version"], None).trim(),
        format!("owlery {}", env!("CARGO_PKG_VERSION"))
    );
    let help = ok(&tmp.0, &["--help"], None);
    for cmd in [
        "serve", "worker", "admin", "migrate", "backup", "audit", "version",
    ] {
        assert!(
            help.contains(&format!("  {cmd} ")),
            "{cmd} in --help:\n{help}"
        );
    }
    let serve = ok(&tmp.0, &["serve", "--help"], None);
    for word in [
        "--bind",
        "--data-dir",
        "--database-url",
        "--demo",
        "--no-workers",
        "--public-url",
        "OWLERY_SMTP_URL",
    ] {
        assert!(serve.contains(word), "{word} in serve --help");
    }
}

// ---- serve ----

/// A running `owlery serve`, killed if a test fails before stopping it.
struct Server {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut c = command(dir, args, env);
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Server { child, stderr }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait (bounded) for a line of stderr containing `needle`; returns that line.
    fn wait_for_line(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self.log().lines().find(|l| l.contains(needle)) {
                return line.trim().to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "owlery serve exited ({status}) before printing '{needle}':\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no '{needle}' within {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running 10 s after SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET: (status, body).
fn get(url: &str) -> std::io::Result<(u16, String)> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn url_in(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in '{line}'"))
        .trim_end_matches(['.', ','])
        .to_owned()
}

#[test]
fn serve_demo_starts_answers_and_stops_cleanly_on_sigterm() {
    let tmp = TempDir::new("owlery-cli").unwrap();
    let (dir, _) = data_dir(&tmp);
    let mut server = Server::start(
        &tmp.0,
        &[
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            &dir,
        ],
        &[],
    );
    let base = url_in(&server.wait_for_line("is running at http://", Duration::from_secs(60)));
    let setup = url_in(&server.wait_for_line("/setup/", Duration::from_secs(5)));
    assert!(setup.starts_with(&format!("{base}/setup/")), "{setup}");
    assert!(server.log().contains("Northwind Coffee"));

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if matches!(get(&format!("{base}/readyz")), Ok((200, _))) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz not 200 within 30 s:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let (status, body) = get(&setup).unwrap();
    assert_eq!(status, 200, "the setup link answers: {body}");
    assert!(
        body.contains("mira.kostova@northwind-coffee.example"),
        "{body}"
    );

    let (status, metrics) = get(&format!("{base}/metrics")).unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("owlery_http_request_duration_seconds"),
        "{metrics}"
    );

    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "{}", server.log());
    assert!(server.log().contains("stopped"), "{}", server.log());

    // A second start finds the demo and prints a fresh link; the old one was replaced.
    let mut again = Server::start(
        &tmp.0,
        &[
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            &dir,
            "--no-workers",
        ],
        &[],
    );
    let fresh = url_in(&again.wait_for_line("/setup/", Duration::from_secs(60)));
    assert_ne!(fresh, setup);
    assert!(!again.log().contains("shown only now"), "not seeded twice");
    assert_eq!(again.terminate().code(), Some(0));
}

#[test]
fn serve_on_an_empty_database_says_how_to_create_the_first_owner() {
    let tmp = TempDir::new("owlery-cli").unwrap();
    let (dir, _) = data_dir(&tmp);
    let mut plain = Server::start(
        &tmp.0,
        &["serve", "--bind", "127.0.0.1:0", "--data-dir", &dir],
        &[],
    );
    let hint = plain.wait_for_line("owlery admin create-user", Duration::from_secs(60));
    assert!(hint.contains("--role owner"), "{hint}");
    assert_eq!(plain.terminate().code(), Some(0));

    let mut boot = Server::start(
        &tmp.0,
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            &dir,
            "--log-format",
            "json",
        ],
        &[
            ("OWLERY_BOOTSTRAP_OWNER_EMAIL", "boss@example.test"),
            ("OWLERY_PUBLIC_URL", "https://owlery.example.test"),
        ],
    );
    boot.wait_for_line("First owner: boss@example.test", Duration::from_secs(60));
    let link = url_in(
        &boot
            .wait_for_line("https://owlery.example.test/setup/", Duration::from_secs(5))
            .replace("https://", "http://"),
    );
    assert!(link.contains("/setup/"));
    let listening = boot.wait_for_line("\"listening\"", Duration::from_secs(5));
    let v: serde_json::Value = serde_json::from_str(&listening).expect("JSON log lines");
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["public_url"], "https://owlery.example.test");
    assert_eq!(boot.terminate().code(), Some(0));
}

#[tokio::test]
async fn worker_delivers_queued_mail_and_stops_on_sigterm() {
    let (smtp, maildir) = match (
        std::env::var("OWLERY_TEST_SMTP")
            .ok()
            .filter(|s| !s.is_empty()),
        std::env::var("OWLERY_TEST_MAILDIR")
            .ok()
            .filter(|s| !s.is_empty()),
    ) {
        (Some(s), Some(m)) => (s, PathBuf::from(m)),
        _ => {
            assert!(
                std::env::var("CI_SERVICES").is_err(),
                "CI_SERVICES is set but OWLERY_TEST_SMTP / OWLERY_TEST_MAILDIR are not"
            );
            eprintln!(
                "\n*** note: OWLERY_TEST_SMTP / OWLERY_TEST_MAILDIR are not set: SKIPPING the \
                 `owlery worker` mail test (scripts/test sets them) ***\n"
            );
            return;
        }
    };
    let tmp = TempDir::new("owlery-cli").unwrap();
    let (dir, db) = data_dir(&tmp);
    let relay = format!("smtp://{smtp}");
    let mut worker = Server::start(
        &tmp.0,
        &["worker", "--data-dir", &dir],
        &[
            ("OWLERY_SMTP_URL", &relay),
            (
                "OWLERY_MAIL_FROM",
                "Northwind Owlery <owlery@northwind.example>",
            ),
        ],
    );
    worker.wait_for_line("workers running", Duration::from_secs(60));
    assert!(
        worker.log().contains("mail delivery on"),
        "{}",
        worker.log()
    );

    let subject = format!("Owlery CLI worker test {}", uuid::Uuid::now_v7().simple());
    let store = open(&db).await;
    let mail = owlery_domain::mail::OutgoingMail {
        to: "elena@example.test".into(),
        subject: subject.clone(),
        text: "Reset your password: http://127.0.0.1:8080/reset-password/SECRET-IN-BODY\n".into(),
    };
    store
        .enqueue(owlery_store::jobs::NewJob::new(
            owlery_domain::mail::JOB_KIND,
            serde_json::to_value(&mail).unwrap(),
        ))
        .await
        .unwrap();
    store.close().await;

    let deadline = Instant::now() + Duration::from_secs(20);
    let message = loop {
        let found = std::fs::read_dir(maildir.join("new"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|m| m.contains(&subject));
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "no mail within 20 s:\n{}",
            worker.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(message.contains("To: elena@example.test"), "{message}");
    assert!(
        message.contains("From: \"Northwind Owlery\" <owlery@northwind.example>"),
        "{message}"
    );
    worker.wait_for_line("job completed", Duration::from_secs(10));

    assert_eq!(worker.terminate().code(), Some(0), "{}", worker.log());
    let log = worker.log();
    assert!(
        !log.contains("SECRET-IN-BODY"),
        "the body is never logged:\n{log}"
    );
    assert!(
        !log.contains("elena@"),
        "only the recipient's domain is logged:\n{log}"
    );
}
