//! `owlery admin rotate-key` through the real binary, on a temporary data directory: the key file
//! replaced (the old one kept), every value opening with the new key, a process started with the
//! old key refused with both fingerprints, one started with the new key running; and the
//! environment-variable variant, which only says what to set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use owlery_store::{
    DatabaseConfig, Store,
    audit::AuditFilter,
    testing::TempDir,
    vault::{Kek, TOTP_PURPOSE, Vault},
};

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
    "OWLERY_SECRET_KEY",
    "OWLERY_BOOTSTRAP_OWNER_EMAIL",
    "RUST_LOG",
];

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir).args(args).stdin(Stdio::null());
    for k in CONFIG_ENV {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let o = run(dir, args, env);
    assert!(
        o.status.success(),
        "owlery {args:?} failed ({}):\n{}{}",
        o.status,
        text(&o.stderr),
        text(&o.stdout)
    );
    text(&o.stdout)
}

async fn open(db: &Path) -> Store {
    Store::connect(&DatabaseConfig::Sqlite {
        path: db.to_owned(),
    })
    .await
    .unwrap()
}

fn create_user(tmp: &Path, dir: &str, email: &str) {
    ok(
        tmp,
        &[
            "admin",
            "create-user",
            "--data-dir",
            dir,
            "--email",
            email,
            "--name",
            "Someone",
            "--role",
            "owner",
        ],
        &[],
    );
}

async fn totp_of(store: &Store, email: &str) -> Vec<u8> {
    store
        .credentials_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap()
}

/// Seal a TOTP secret for `email`, in the old format or through `vault`.
async fn set_totp(store: &Store, email: &str, sealed: Vec<u8>) {
    let id = store
        .credentials_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    store.set_pending_totp(id, &sealed).await.unwrap();
}

/// Start `owlery ARGS`, wait (bounded) for `needle` on stderr, then SIGTERM it; its exit status.
fn start_and_stop(dir: &Path, args: &[&str], env: &[(&str, &str)], needle: &str) -> String {
    let mut child = command(dir, args, env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let pipe = child.stderr.take().unwrap();
    let sink = log.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log.lock().unwrap().contains(needle) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "owlery {args:?} exited ({status}) before '{needle}':\n{}",
                log.lock().unwrap()
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("no '{needle}' within 60 s:\n{}", log.lock().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(status.success(), "{status}:\n{log}");
    log
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn rotate_key_replaces_the_key_file_and_the_old_key_is_refused() {
    let tmp = TempDir::new("owlery-vault-cli").unwrap();
    let data = tmp.0.join("data");
    let dir = data.display().to_string();
    let db = data.join("owlery.db");
    create_user(&tmp.0, &dir, "ana@example.test");
    create_user(&tmp.0, &dir, "bob@example.test");

    // As an installation upgraded from before envelope encryption would be: Ana's secret sealed
    // directly under the key, Bob's under a data key loaded at start.
    let key_file = data.join("secret.key");
    let (old, created) = Kek::read_or_create_file(&key_file).unwrap();
    assert!(created);
    let old_text = std::fs::read_to_string(&key_file).unwrap();
    let store = open(&db).await;
    set_totp(
        &store,
        "ana@example.test",
        old.seal_v1_for_tests(TOTP_PURPOSE, b"ana-secret"),
    )
    .await;
    let running = Vault::load(&store, &old).await.unwrap();
    set_totp(
        &store,
        "bob@example.test",
        running.seal(TOTP_PURPOSE, b"bob-secret").unwrap(),
    )
    .await;
    store.close().await;

    let new_file = tmp.0.join("new.key");
    let new_file_s = new_file.display().to_string();
    let out = ok(
        &tmp.0,
        &[
            "admin",
            "rotate-key",
            "--data-dir",
            &dir,
            "--new-key-file",
            &new_file_s,
        ],
        &[],
    );
    let new = Kek::read_file(&new_file).unwrap().expect("generated");
    assert!(out.contains("Generated a new key in"), "{out}");
    assert!(
        out.contains(&format!(
            "fingerprint {} → {}",
            old.fingerprint(),
            new.fingerprint()
        )),
        "{out}"
    );
    assert!(
        out.contains("Data keys re-wrapped: 1. Secrets re-sealed from the old format: 1."),
        "{out}"
    );
    assert!(out.contains("secret.key.old"), "{out}");
    assert!(!out.contains(old_text.trim()), "no key is printed");

    // The key file now holds the new key; the old one is kept beside it; both private.
    assert_eq!(
        Kek::read_file(&key_file).unwrap().unwrap().fingerprint(),
        new.fingerprint()
    );
    let kept = data.join("secret.key.old");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), old_text);
    #[cfg(unix)]
    for p in [&key_file, &kept, &new_file] {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }

    // A process started with the old key is refused, naming both keys.
    let refused = run(
        &tmp.0,
        &["worker", "--data-dir", &dir],
        &[("OWLERY_SECRET_KEY", old_text.trim())],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    let err = text(&refused.stderr);
    assert!(
        err.contains(old.fingerprint()) && err.contains(new.fingerprint()),
        "{err}"
    );
    assert!(!err.contains(old_text.trim()), "no key in messages");

    // One started with the new key (the replaced file) runs.
    start_and_stop(
        &tmp.0,
        &["worker", "--data-dir", &dir],
        &[],
        "workers running",
    );

    // Every value opens with the new key; the vault loaded before the rotation still works.
    let store = open(&db).await;
    let restarted = Vault::load(&store, &new).await.unwrap();
    for v in [&restarted, &running] {
        let ana = totp_of(&store, "ana@example.test").await;
        assert_eq!(ana[0], 2, "re-sealed in the envelope format");
        assert_eq!(v.open(TOTP_PURPOSE, &ana).unwrap(), b"ana-secret");
        let bob = totp_of(&store, "bob@example.test").await;
        assert_eq!(v.open(TOTP_PURPOSE, &bob).unwrap(), b"bob-secret");
    }
    let rotations = store
        .audit_events(
            &AuditFilter {
                action: Some("vault.rotate".into()),
                ..AuditFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0].entry.actor_label, "cli");
    store.close().await;

    // Rotating to the key already in use is refused.
    let again = run(
        &tmp.0,
        &[
            "admin",
            "rotate-key",
            "--data-dir",
            &dir,
            "--new-key-file",
            &new_file_s,
        ],
        &[],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("the new key is the current key"),
        "{}",
        text(&again.stderr)
    );
}

#[tokio::test]
async fn rotate_key_from_the_environment_says_what_to_set() {
    let tmp = TempDir::new("owlery-vault-cli").unwrap();
    let data = tmp.0.join("data");
    let dir = data.display().to_string();
    create_user(&tmp.0, &dir, "ana@example.test");
    let old_text = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let new_text = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let old = Kek::from_base64(old_text).unwrap();
    let new = Kek::from_base64(new_text).unwrap();
    let store = open(&data.join("owlery.db")).await;
    set_totp(
        &store,
        "ana@example.test",
        old.seal_v1_for_tests(TOTP_PURPOSE, b"ana-secret"),
    )
    .await;
    store.close().await;

    let args = [
        "admin",
        "rotate-key",
        "--data-dir",
        &dir,
        "--new-key-env",
        "OWLERY_NEW_SECRET_KEY",
    ];
    // Mistakes first: no such variable, not a key, no current key at all.
    let missing = run(&tmp.0, &args, &[("OWLERY_SECRET_KEY", old_text)]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("--new-key-env: OWLERY_NEW_SECRET_KEY is not set"),
        "{}",
        text(&missing.stderr)
    );
    let bad = run(
        &tmp.0,
        &args,
        &[
            ("OWLERY_SECRET_KEY", old_text),
            ("OWLERY_NEW_SECRET_KEY", "hunter2"),
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(!text(&bad.stderr).contains("hunter2"), "never echoed");
    let none = run(&tmp.0, &args, &[("OWLERY_NEW_SECRET_KEY", new_text)]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).contains("there is no current secret key"),
        "{}",
        text(&none.stderr)
    );
    let neither = run(&tmp.0, &["admin", "rotate-key", "--data-dir", &dir], &[]);
    assert_eq!(
        neither.status.code(),
        Some(2),
        "one of the two flags is needed"
    );

    let out = ok(
        &tmp.0,
        &args,
        &[
            ("OWLERY_SECRET_KEY", old_text),
            ("OWLERY_NEW_SECRET_KEY", new_text),
        ],
    );
    assert!(
        out.contains(&format!(
            "fingerprint {} → {}",
            old.fingerprint(),
            new.fingerprint()
        )),
        "{out}"
    );
    assert!(
        out.contains("Now set OWLERY_SECRET_KEY to the value of OWLERY_NEW_SECRET_KEY"),
        "{out}"
    );
    assert!(!out.contains(new_text) && !out.contains(old_text), "{out}");
    assert!(
        !data.join("secret.key").exists(),
        "no key file when the key comes from the environment"
    );

    let refused = run(
        &tmp.0,
        &["worker", "--data-dir", &dir],
        &[("OWLERY_SECRET_KEY", old_text)],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    start_and_stop(
        &tmp.0,
        &["worker", "--data-dir", &dir],
        &[("OWLERY_SECRET_KEY", new_text)],
        "workers running",
    );
    let store = open(&data.join("owlery.db")).await;
    let v = Vault::load(&store, &new).await.unwrap();
    assert_eq!(
        v.open(TOTP_PURPOSE, &totp_of(&store, "ana@example.test").await)
            .unwrap(),
        b"ana-secret"
    );
    store.close().await;
}
