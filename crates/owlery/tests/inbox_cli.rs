//! `owlery inbox import` through the real binary, on SQLite and PostgreSQL: good lines are
//! imported and threaded, bad lines are reported with their line number and skipped, re-importing
//! adds nothing, an edit updates, and the exit status is non-zero only when nothing could be read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::Path,
    process::{Command, Output},
};

use owlery_domain::{ChannelId, audit::Actor, org::Network, user::DisplayName};
use owlery_store::{
    DatabaseConfig, Store,
    inbox::{ConversationFilter, InboxScope},
    testing::{TempDir, drop_postgres, fresh_postgres, postgres_url},
};

const BIN: &str = env!("CARGO_BIN_EXE_owlery");

const CONFIG_ENV: &[&str] = &[
    "OWLERY_DATA_DIR",
    "OWLERY_DATABASE_URL",
    "OWLERY_LOG_FORMAT",
    "OWLERY_SECRET_KEY",
    "RUST_LOG",
];

fn import(dir: &Path, db: &Db, file: &Path) -> Output {
    let mut c = Command::new(BIN);
    c.current_dir(dir).arg("inbox").arg("import");
    for k in CONFIG_ENV {
        c.env_remove(k);
    }
    match db {
        Db::Sqlite(data) => {
            c.arg("--data-dir").arg(data);
        }
        Db::Postgres(url) => {
            c.env("OWLERY_DATABASE_URL", url);
        }
    }
    c.arg(file).output().unwrap()
}

enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

async fn setup(store: &Store) -> (owlery_domain::OrgId, ChannelId) {
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
            Network::Mastodon,
            &DisplayName::parse("name", "Shop on Mastodon").unwrap(),
            "shop@example.social",
        )
        .await
        .unwrap();
    (org.id, ch.id)
}

fn line(
    ch: &str,
    remote: &str,
    kind: &str,
    author: &str,
    text: &str,
    conv: Option<&str>,
) -> String {
    let mut v = serde_json::json!({
        "channel_id": ch,
        "remote_id": remote,
        "kind": kind,
        "author": {"remote_id": format!("id-{author}"), "handle": author, "name": author.to_uppercase()},
        "text": text,
        "created_at": "2026-11-27T09:30:00Z",
        "source": "zendesk-export",
    });
    if let Some(c) = conv {
        v["conversation_remote_id"] = serde_json::json!(c);
    }
    v.to_string()
}

async fn scenario(tmp: &TempDir, store: &Store, db: Db) {
    let (org, ch) = setup(store).await;
    let ch = ch.to_string();
    let unknown = ChannelId::new().to_string();
    let lines = [
        line(
            &ch,
            "c1",
            "comment",
            "ana",
            "Is the shop open on Sunday?",
            Some("post1"),
        ),
        line(&ch, "c2", "comment", "ana", "Hello??", Some("post1")),
        "this is not json".to_owned(),
        line(
            &ch,
            "d1",
            "dm",
            "bo",
            "Моята поръчка не е пристигнала",
            None,
        ),
        line(&ch, "x1", "reply", "bo", "wrong kind", None),
        String::new(),
        line(&unknown, "u1", "dm", "cy", "unknown channel", None),
        line(&ch, "m1", "mention", "cy", "Love @shop", None).replace("\"text\"", "\"texte\""),
        line(
            &ch,
            "c1",
            "comment",
            "ana",
            "Is the shop open on Sunday?",
            Some("post1"),
        ),
    ];
    let file = tmp.0.join("in.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let o = import(&tmp.0, &db, &file);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains("imported 3, duplicates skipped 1, edited 0, bad lines 4"),
        "{out}"
    );
    assert!(err.contains("line 3: not valid JSON"), "{err}");
    assert!(
        err.contains("line 5: kind: \"reply\" is not one of comment, mention, dm"),
        "{err}"
    );
    assert!(
        err.contains("line 7: channel_id: there is no such channel"),
        "{err}"
    );
    assert!(err.contains("line 8: text: missing"), "{err}");
    assert!(
        !err.contains("line 6"),
        "a blank line is not an error: {err}"
    );
    assert!(
        !err.contains("progress") && !err.contains('%'),
        "no bar off a terminal: {err}"
    );

    // Again: nothing new. An edited line updates its message.
    let o = import(&tmp.0, &db, &file);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("imported 0, duplicates skipped 4, edited 0, bad lines 4"),
        "{out}"
    );
    let edited = lines[1].replace("Hello??", "Hello?? Anyone there?");
    std::fs::write(&file, edited + "\n").unwrap();
    let o = import(&tmp.0, &db, &file);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("imported 0, duplicates skipped 0, edited 1, bad lines 0"),
        "{out}"
    );

    let page = store
        .list_conversations(
            org,
            &InboxScope::All,
            &ConversationFilter::default(),
            None,
            50,
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    let bo = page
        .items
        .iter()
        .find(|c| c.contact.handle == "bo")
        .unwrap();
    assert_eq!(bo.language.as_deref(), Some("bul"));
    let ana = page
        .items
        .iter()
        .find(|c| c.contact.handle == "ana")
        .unwrap();
    assert_eq!(ana.message_count, 2);

    // Nothing readable: non-zero. A missing file: non-zero, and says which.
    std::fs::write(&file, "nope\n{}\n").unwrap();
    let o = import(&tmp.0, &db, &file);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 2: channel_id: missing"), "{err}");
    let o = import(&tmp.0, &db, &tmp.0.join("missing.jsonl"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.jsonl"));
    // An empty file is not a failure.
    std::fs::write(&file, "").unwrap();
    assert!(import(&tmp.0, &db, &file).status.success());

    let events = store
        .audit_events(
            &owlery_store::audit::AuditFilter {
                action: Some("inbox.import".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(!events.is_empty());
}

#[tokio::test]
async fn import_on_sqlite() {
    let tmp = TempDir::new("owlery-inbox-cli").unwrap();
    let data = tmp.0.join("data");
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: data.join("owlery.db"),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    scenario(&tmp, &store, Db::Sqlite(data)).await;
}

#[tokio::test]
async fn import_on_postgres() {
    let Some(server) = postgres_url() else { return };
    let tmp = TempDir::new("owlery-inbox-cli-pg").unwrap();
    let (store, url) = fresh_postgres(&server, "owlery_cli", 4).await.unwrap();
    scenario(&tmp, &store, Db::Postgres(url.clone())).await;
    store.close().await;
    drop_postgres(&server, &url).await.unwrap();
}
