//! The inbox import benchmark (not a test): `cargo bench -p owlery --bench inbox_import`.
//!
//! 1. Generates N lines (default 1,000,000; `INBOX_BENCH_N` to change): several languages,
//!    comments / mentions / DMs, threads and follow-ups, ~1% repeated lines (duplicates) and ~0.5%
//!    bad lines, on 12 channels.
//! 2. Runs the real `owlery inbox import` on a fresh SQLite database end to end (parse, dedupe,
//!    classification, contacts, threading, deadlines, full-text index) and reports messages/s.
//! 3. In the same run, inserts the same rows into a plain SQLite table (parsed, no index beyond
//!    the rowid, same batching) and prints the ratio; and writes the same messages' rows into a
//!    copy of the database with Owlery's schema by plain batched inserts (the floor: every index
//!    and the full-text index, but no reads, classification, routing or deadlines), so the
//!    import's cost is seen beside the least that storing these rows costs.
//! 4. Measures the first page of the list (a few filter combinations) and search (a handful of
//!    terms) over the imported messages: p50 / p99; and the import's peak RSS.
//!
//! Prints `uptime` first and last: the machine is shared.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::{
    collections::{HashMap, HashSet},
    io::{BufWriter, Write},
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use owlery_domain::{
    audit::Actor,
    inbox::{ConversationStatus, Intent, Sentiment, SlaState},
    org::Network,
    user::DisplayName,
};
use owlery_store::{
    DatabaseConfig, Store,
    inbox::{ConversationFilter, InboxScope},
    testing::TempDir,
};
use rand::{Rng, SeedableRng, rngs::StdRng};

const BIN: &str = env!("CARGO_BIN_EXE_owlery");

const EN: &[&str] = &[
    "Where is my order? It was supposed to arrive on Monday",
    "How much does the annual plan cost for a team",
    "Love the new roast, best coffee in town",
    "Terrible service today, waited forty minutes for one espresso",
    "Is the shop open on Sunday morning",
    "Can I change the delivery address for my next shipment",
    "I was charged twice this month, please refund",
    "Thanks for the quick reply, all sorted now",
    "Do you offer wholesale pricing for offices",
    "Make money fast from home click here now",
];
const BG: &[&str] = &[
    "Кога ще пристигне поръчката ми, чакам вече две седмици",
    "Страхотно кафе, благодаря, ще дойда пак в събота",
    "Ужасно обслужване днес, половин час чакане",
    "Имате ли вегански сладкиши в магазина",
    "Колко струва годишният абонамент",
];
const DE: &[&str] = &[
    "Wann kommt die neue Espressomaschine wieder auf Lager",
    "Meine Lieferung war beschädigt und die Verpackung nass",
    "Danke, der Service war heute super und sehr freundlich",
    "Gibt es Rabatt für Studenten",
];
const ES: &[&str] = &[
    "Dónde está mi pedido, lo pedí hace diez días",
    "Me encanta el nuevo tueste, enhorabuena al equipo",
    "Tenéis descuentos para estudiantes",
    "El café llegó frío y el servicio fue pésimo",
];
const WORDS: &[&str] = &[
    "today",
    "again",
    "please",
    "thanks",
    "latte",
    "cappuccino",
    "beans",
    "store",
    "app",
    "delivery",
    "refund",
    "price",
    "weekend",
    "friends",
    "gift",
    "card",
];

fn text(rng: &mut StdRng) -> String {
    let set = match rng.gen_range(0..10) {
        0..=4 => EN,
        5..=6 => BG,
        7..=8 => DE,
        _ => ES,
    };
    let mut t = set[rng.gen_range(0..set.len())].to_owned();
    for _ in 0..rng.gen_range(0..4) {
        t.push(' ');
        t.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
    }
    if rng.gen_bool(0.3) {
        t.push('?');
    }
    t
}

fn generate(path: &Path, n: usize, channels: &[String]) -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(5);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let base = chrono::Utc::now() - chrono::Duration::days(30);
    let mut last: Vec<String> = Vec::new();
    let (mut dups, mut bad) = (0, 0);
    for i in 0..n {
        if i > 0 && rng.gen_bool(0.01) && !last.is_empty() {
            let l = &last[rng.gen_range(0..last.len())];
            writeln!(out, "{l}").unwrap();
            dups += 1;
            continue;
        }
        if rng.gen_bool(0.005) {
            let junk = match rng.gen_range(0..3) {
                0 => "{\"channel_id\": 42}".to_owned(),
                1 => "not json at all".to_owned(),
                _ => format!("{{\"channel_id\":\"{}\",\"kind\":\"reply\"}}", channels[0]),
            };
            writeln!(out, "{junk}").unwrap();
            bad += 1;
            continue;
        }
        let ch = &channels[rng.gen_range(0..channels.len())];
        let author = rng.gen_range(0..200_000u32);
        let (kind, conv) = match rng.gen_range(0..10) {
            0..=5 => ("comment", Some(format!("post-{}", rng.gen_range(0..3_000)))),
            6..=7 => ("dm", Some(format!("dm-{author}"))),
            _ => (
                "mention",
                rng.gen_bool(0.3)
                    .then(|| format!("m-{}", rng.gen_range(0..50_000))),
            ),
        };
        let created = base + chrono::Duration::seconds(i as i64 * 2);
        let line = serde_json::json!({
            "channel_id": ch,
            "remote_id": format!("r{i}"),
            "kind": kind,
            "author": {"remote_id": format!("u{author}"), "handle": format!("user{author}"), "name": format!("User {author}"), "followers": author % 5000},
            "text": text(&mut rng),
            "created_at": created.to_rfc3339(),
            "conversation_remote_id": conv,
            "source": "bench",
        })
        .to_string();
        writeln!(out, "{line}").unwrap();
        if last.len() < 1000 {
            last.push(line);
        } else {
            let k = rng.gen_range(0..last.len());
            last[k] = line;
        }
    }
    out.flush().unwrap();
    (dups, bad)
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn uptime() -> String {
    Command::new("uptime")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

async fn raw_insert(dir: &Path, file: &Path) -> (usize, Duration) {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let opts = SqliteConnectOptions::new()
        .filename(dir.join("raw.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    sqlx::query(
        "CREATE TABLE raw (channel_id BLOB, remote_id TEXT, kind TEXT, author_remote_id TEXT, \
         handle TEXT, name TEXT, text TEXT, created_at TEXT, conversation_remote_id TEXT)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let started = Instant::now();
    let content = std::fs::read_to_string(file).unwrap();
    let mut rows = Vec::new();
    for line in content.lines() {
        if let Ok(m) = owlery_domain::inbox::import::parse_line(line) {
            rows.push(m);
        }
    }
    let n = rows.len();
    for chunk in rows.chunks(4096) {
        let mut tx = pool.begin().await.unwrap();
        for part in chunk.chunks(400) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO raw (channel_id, remote_id, kind, author_remote_id, handle, name, text, created_at, conversation_remote_id) ",
            );
            q.push_values(part, |mut b, m| {
                b.push_bind(m.channel.0)
                    .push_bind(m.remote_id.as_str())
                    .push_bind(m.kind.code())
                    .push_bind(m.author.remote_id.as_str())
                    .push_bind(m.author.handle.as_str())
                    .push_bind(m.author.name.as_str())
                    .push_bind(m.text.as_str())
                    .push_bind(m.created_at)
                    .push_bind(m.conversation_remote_id.as_deref());
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let took = started.elapsed();
    pool.close().await;
    (n, took)
}

/// The floor: the rows the import must write — contacts with their identities, conversations,
/// messages, with Owlery's schema (every index, the full-text triggers, foreign keys) — inserted
/// by plain batched statements in chunks the size of the import's, knowing in memory what is new
/// (no reads, no classification, no routing or deadlines). No importer can write these rows for
/// less on this machine; the import's cost above it is its own.
async fn schema_floor(
    db: &Path,
    file: &Path,
    org: uuid::Uuid,
    workspaces: &HashMap<uuid::Uuid, uuid::Uuid>,
) -> (usize, Duration) {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    const CHUNK: usize = 16_384;
    const ROWS: usize = 400;
    let opts = SqliteConnectOptions::new()
        .filename(db)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .pragma("temp_store", "memory")
        .pragma("cache_size", (-256 * 1024).to_string());
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap();
    // Experiments: `INBOX_BENCH_FLOOR_SQL="DROP INDEX a; DROP TRIGGER b"` runs before the floor.
    if let Ok(sql) = std::env::var("INBOX_BENCH_FLOOR_SQL") {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    let started = Instant::now();
    let content = std::fs::read_to_string(file).unwrap();
    let mut seen: HashSet<(uuid::Uuid, String)> = HashSet::new();
    let mut messages = Vec::new();
    for line in content.lines() {
        if let Ok(m) = owlery_domain::inbox::import::parse_line(line)
            && seen.insert((m.channel.0, m.remote_id.clone()))
        {
            messages.push(m);
        }
    }
    let now = chrono::Utc::now();
    let mut contacts: HashMap<String, uuid::Uuid> = HashMap::new();
    let mut conversations: HashMap<(uuid::Uuid, String), uuid::Uuid> = HashMap::new();
    for chunk in messages.chunks(CHUNK) {
        let mut tx = pool.begin().await.unwrap();
        let mut new_contacts = Vec::new();
        // Conversation of each message, and each touched conversation's latest message.
        let mut conv_of = Vec::with_capacity(chunk.len());
        let mut touched: HashMap<uuid::Uuid, usize> = HashMap::new();
        for (i, m) in chunk.iter().enumerate() {
            let contact = *contacts
                .entry(m.author.remote_id.clone())
                .or_insert_with(|| {
                    new_contacts.push(i);
                    uuid::Uuid::now_v7()
                });
            let key = m.thread_key();
            let conv = *conversations
                .entry((m.channel.0, key))
                .or_insert_with(uuid::Uuid::now_v7);
            conv_of.push((conv, contact));
            touched.insert(conv, i);
        }
        for part in new_contacts.chunks(ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO inbox_contacts (id, org_id, name, handle, followers, created_at, updated_at) ",
            );
            q.push_values(part, |mut b, &i| {
                let a = &chunk[i].author;
                b.push_bind(conv_of[i].1)
                    .push_bind(org)
                    .push_bind(a.name.as_str())
                    .push_bind(a.handle.as_str())
                    .push_bind(a.followers.map(|f| f as i64))
                    .push_bind(now)
                    .push_bind(now);
            });
            q.build().execute(&mut *tx).await.unwrap();
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO inbox_contact_identities (org_id, network, remote_id, contact_id, handle, name, followers) ",
            );
            q.push_values(part, |mut b, &i| {
                let a = &chunk[i].author;
                b.push_bind(org)
                    .push_bind("x")
                    .push_bind(a.remote_id.as_str())
                    .push_bind(conv_of[i].1)
                    .push_bind(a.handle.as_str())
                    .push_bind(a.name.as_str())
                    .push_bind(a.followers.map(|f| f as i64));
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
        let touched: Vec<(uuid::Uuid, usize)> = touched.into_iter().collect();
        for part in touched.chunks(ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO inbox_conversations (id, workspace_id, channel_id, kind, remote_key, \
                 contact_id, status, priority, language, sentiment, intent, urgency, preview, \
                 first_response_due, next_response_due, last_message_at, last_inbound_at, \
                 message_count, unanswered_count, created_at, updated_at, opened_at, \
                 next_response_warn_at) ",
            );
            q.push_values(part, |mut b, &(conv, i)| {
                let m = &chunk[i];
                let due = m.created_at + chrono::Duration::hours(24);
                b.push_bind(conv)
                    .push_bind(workspaces[&m.channel.0])
                    .push_bind(m.channel.0)
                    .push_bind(m.kind.code())
                    .push_bind(m.thread_key())
                    .push_bind(conv_of[i].1)
                    .push_bind("open")
                    .push_bind("normal")
                    .push_bind("eng")
                    .push_bind("neutral")
                    .push_bind("question")
                    .push_bind("normal")
                    .push_bind(owlery_domain::inbox::first_line(&m.text, 140))
                    .push_bind(due)
                    .push_bind(due)
                    .push_bind(m.created_at)
                    .push_bind(m.created_at)
                    .push_bind(1_i64)
                    .push_bind(1_i64)
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(m.created_at)
                    .push_bind(due - chrono::Duration::hours(2));
            });
            q.push(
                " ON CONFLICT (channel_id, remote_key) DO UPDATE SET \
                 preview = excluded.preview, last_message_at = excluded.last_message_at, \
                 last_inbound_at = excluded.last_inbound_at, \
                 message_count = inbox_conversations.message_count + 1, \
                 unanswered_count = inbox_conversations.unanswered_count + 1, \
                 updated_at = excluded.updated_at",
            );
            q.build().execute(&mut *tx).await.unwrap();
        }
        let indexed: Vec<usize> = (0..chunk.len()).collect();
        for part in indexed.chunks(ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO inbox_messages (id, conversation_id, channel_id, remote_id, direction, \
                 kind, author_contact_id, text, media, url, in_reply_to, created_at, received_at, \
                 language, sentiment, intent, urgency, scores) ",
            );
            q.push_values(part, |mut b, &i| {
                let m = &chunk[i];
                b.push_bind(uuid::Uuid::now_v7())
                    .push_bind(conv_of[i].0)
                    .push_bind(m.channel.0)
                    .push_bind(m.remote_id.as_str())
                    .push_bind("inbound")
                    .push_bind(m.kind.code())
                    .push_bind(conv_of[i].1)
                    .push_bind(m.text.as_str())
                    .push_bind("[]")
                    .push_bind(m.url.as_deref())
                    .push_bind(m.in_reply_to_remote_id.as_deref())
                    .push_bind(m.created_at)
                    .push_bind(now)
                    .push_bind("eng")
                    .push_bind("neutral")
                    .push_bind("question")
                    .push_bind("normal")
                    .push_bind(
                        "{\"negative\":0.1000,\"neutral\":0.8000,\"positive\":0.1000,\"intent\":0.5000}",
                    );
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let took = started.elapsed();
    pool.close().await;
    (messages.len(), took)
}

/// CPU seconds (user + system) used so far by this process, or by its finished children. On a
/// shared machine the wall clock measures the neighbours too; CPU time is what the work cost.
fn cpu_seconds(who: nix::sys::resource::UsageWho) -> f64 {
    nix::sys::resource::getrusage(who)
        .map(|u| {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0.0)
}

fn child_peak_rss_mb() -> f64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| u.max_rss() as f64 / 1024.0)
        .unwrap_or(0.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("INBOX_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!("inbox import benchmark, N = {n}");
    println!("uptime at start: {}", uptime());
    let tmp = TempDir::new("owlery-inbox-bench").unwrap();
    let data = tmp.0.join("data");
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: data.join("owlery.db"),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let actor = Actor::cli();
    let org = store.ensure_organisation(&actor, "Bench").await.unwrap();
    let mut channels = Vec::new();
    let mut workspace_of = HashMap::new();
    for w in 0..3 {
        let ws = store
            .create_workspace(
                &actor,
                org.id,
                &DisplayName::parse("name", &format!("Workspace {w}")).unwrap(),
            )
            .await
            .unwrap();
        for (c, net) in [
            Network::X,
            Network::Bluesky,
            Network::Instagram,
            Network::FacebookPage,
        ]
        .into_iter()
        .enumerate()
        {
            let ch = store
                .create_channel(
                    &actor,
                    ws.id,
                    net,
                    &DisplayName::parse("name", &format!("Channel {w}-{c}")).unwrap(),
                    &format!("bench_{w}_{c}"),
                )
                .await
                .unwrap();
            channels.push(ch.id.to_string());
            workspace_of.insert(ch.id.0, ws.id.0);
        }
    }
    store.close().await;
    // The floor's database: the same organisation and channels, before the import.
    let floor_db = tmp.0.join("floor.db");
    std::fs::copy(data.join("owlery.db"), &floor_db).unwrap();

    let file = tmp.0.join("inbox.jsonl");
    let t = Instant::now();
    let (dups, bad) = generate(&file, n, &channels);
    let size = std::fs::metadata(&file).unwrap().len();
    println!(
        "generated {n} lines ({:.0} MB; {dups} repeated, {bad} bad) in {:.1} s",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // End to end, through the real binary.
    let t = Instant::now();
    let out = Command::new(BIN)
        .args(["inbox", "import", "--quiet", "--data-dir"])
        .arg(&data)
        .arg(&file)
        .env_remove("OWLERY_DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let e2e = t.elapsed();
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{summary}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let good = n - bad;
    let rate = good as f64 / e2e.as_secs_f64();
    println!("owlery inbox import: {}", summary.trim());
    let e2e_cpu = cpu_seconds(nix::sys::resource::UsageWho::RUSAGE_CHILDREN);
    println!(
        "end to end (process start to exit, incl. migrations and the audit event): {:.1} s, {rate:.0} lines/s, peak RSS {:.0} MB",
        e2e.as_secs_f64(),
        child_peak_rss_mb()
    );
    println!(
        "  CPU time {e2e_cpu:.1} s (all threads: reading, classifying, writing): {:.1} µs per message, {:.0} messages per CPU-second",
        e2e_cpu * 1e6 / good as f64,
        good as f64 / e2e_cpu.max(1e-9)
    );

    // Raw: the same rows into a plain table.
    let cpu_before = cpu_seconds(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let (raw_n, raw) = raw_insert(&tmp.0, &file).await;
    let raw_cpu = cpu_seconds(nix::sys::resource::UsageWho::RUSAGE_SELF) - cpu_before;
    let raw_rate = raw_n as f64 / raw.as_secs_f64();
    println!(
        "raw SQLite insert of the same {raw_n} rows (parse + insert, no index): {:.1} s, {raw_rate:.0} rows/s; end to end is {:.1}x slower",
        raw.as_secs_f64(),
        raw_rate / rate
    );
    println!(
        "  raw CPU time {raw_cpu:.1} s: {:.1} µs per row; end to end costs {:.1}x the raw insert's CPU per message",
        raw_cpu * 1e6 / raw_n as f64,
        (e2e_cpu / good as f64) / (raw_cpu / raw_n as f64).max(1e-12)
    );

    let cpu_before = cpu_seconds(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let (floor_n, floor) = schema_floor(&floor_db, &file, org.id.0, &workspace_of).await;
    let floor_cpu = cpu_seconds(nix::sys::resource::UsageWho::RUSAGE_SELF) - cpu_before;
    println!(
        "floor: the same {floor_n} messages' rows into Owlery's schema (contacts, conversations, messages; every index and the full-text index; no reads, no classification): {:.1} s, {:.0} messages/s",
        floor.as_secs_f64(),
        floor_n as f64 / floor.as_secs_f64()
    );
    println!(
        "  floor CPU time {floor_cpu:.1} s: {:.1} µs per message ({:.0} per CPU-second); end to end costs {:.1}x the floor's CPU per message",
        floor_cpu * 1e6 / floor_n as f64,
        floor_n as f64 / floor_cpu.max(1e-9),
        (e2e_cpu / good as f64) / (floor_cpu / floor_n as f64).max(1e-12)
    );

    // Reading.
    let store = Store::connect(&DatabaseConfig::Sqlite {
        path: data.join("owlery.db"),
    })
    .await
    .unwrap();
    let (messages, conversations) = store.inbox_counts().await.unwrap();
    println!("stored: {messages} messages in {conversations} conversations");
    let filters: Vec<(&str, ConversationFilter)> = vec![
        ("no filter", ConversationFilter::default()),
        (
            "status=open",
            ConversationFilter {
                status: Some(ConversationStatus::Open),
                ..Default::default()
            },
        ),
        (
            "sentiment=negative",
            ConversationFilter {
                sentiment: Some(Sentiment::Negative),
                ..Default::default()
            },
        ),
        (
            "sla=breached",
            ConversationFilter {
                sla: Some(SlaState::Breached),
                ..Default::default()
            },
        ),
        (
            "language=bul intent=complaint",
            ConversationFilter {
                language: Some("bul".into()),
                intent: Some(Intent::Complaint),
                ..Default::default()
            },
        ),
        (
            "network=bluesky status=open",
            ConversationFilter {
                network: Some("bluesky".into()),
                status: Some(ConversationStatus::Open),
                ..Default::default()
            },
        ),
    ];
    println!("list, first page of 50 (30 runs each):");
    for (name, f) in &filters {
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let page = store
                .list_conversations(org.id, &InboxScope::All, f, None, 50)
                .await
                .unwrap();
            times.push(t.elapsed());
            std::hint::black_box(page);
        }
        println!(
            "  {name:<32} p50 {:>7.2} ms  p99 {:>7.2} ms",
            percentile(&mut times, 0.5).as_secs_f64() * 1e3,
            percentile(&mut times, 0.99).as_secs_f64() * 1e3
        );
    }
    println!("search, 20 results (30 runs each):");
    for q in [
        "поръчката",
        "refund",
        "Lieferung",
        "pedido",
        "coffee town",
        "user1234",
    ] {
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let r = store
                .search_inbox(org.id, &InboxScope::All, q, 20)
                .await
                .unwrap();
            times.push(t.elapsed());
            hits = r.messages.len() + r.contacts.len();
        }
        println!(
            "  {q:<32} p50 {:>7.2} ms  p99 {:>7.2} ms  ({hits} hits)",
            percentile(&mut times, 0.5).as_secs_f64() * 1e3,
            percentile(&mut times, 0.99).as_secs_f64() * 1e3
        );
    }
    let rss = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("")
        .to_owned();
    println!("bench process (list and search) peak RSS: {rss}");
    println!("uptime at end: {}", uptime());
    store.close().await;
}
