//! `owlery inbox import FILE.jsonl`: bring messages into the inbox from a file — the migration
//! path from other tools, and the benchmark's way in.
//!
//! One JSON object per line (the contract is in `owlery_domain::inbox::import`). A bad line —
//! unreadable, a field missing or wrong, an unknown channel — is reported on stderr with its line
//! number and reason, and skipped; the rest goes on. Re-importing the same file adds nothing
//! (messages are deduplicated on channel and remote id; a changed text is an edit). On a terminal
//! a progress bar shows the rate and the time left. Ends with a summary on stdout. The exit status
//! is non-zero only when nothing could be read (no such file, or not one good line).
//!
//! The pipeline, for speed on few cores: a reader thread cuts the file into chunks of lines;
//! worker threads parse and classify chunks in parallel; the writer (this task) puts them in file
//! order and ingests each chunk in one transaction, many rows per statement, while the workers
//! classify the next ones.

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, IsTerminal, Write},
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Args;
use owlery_domain::{
    audit::Actor,
    inbox::{AroundTheClock, import::parse_line},
};
use owlery_store::inbox::{Incoming, Outcome};
use owlery_triage::inbox::classification;
use owlery_triage::{BuiltIn, Classifier};

use crate::{config::Config, out};

/// Lines per chunk: one transaction each. Larger transactions write each touched index page
/// once per commit instead of once per few thousand rows (a quarter less CPU than 4,096 in the
/// benchmark), and a chunk still commits within a second or two, so a running server's writers
/// wait no longer than that.
const CHUNK_LINES: usize = 16_384;
/// Lines longer than this are bad lines (no network message comes close).
const MAX_LINE_BYTES: usize = 1 << 20;
/// Bad lines reported one by one; after that only counted.
const MAX_REPORTED: u64 = 1_000;

/// What `owlery inbox` does.
#[derive(Debug)]
pub enum InboxCommand {
    Import(ImportArgs),
}

#[derive(Debug, Args)]
#[command(after_long_help = IMPORT_HELP)]
pub struct ImportArgs {
    /// The file to import (JSON Lines)
    #[arg(value_name = "FILE.jsonl")]
    pub file: PathBuf,

    /// Do not show a progress bar even on a terminal
    #[arg(long)]
    pub quiet: bool,
}

const IMPORT_HELP: &str = "\
Each line is one JSON object:
  {\"channel_id\": \"<an Owlery channel id>\", \"remote_id\": \"<the network's message id>\",
   \"kind\": \"comment\" | \"mention\" | \"dm\",
   \"author\": {\"remote_id\": \"…\", \"handle\": \"…\", \"name\": \"…\", \"followers\": 120},
   \"text\": \"…\", \"created_at\": \"2026-11-27T09:30:00Z\",
   \"conversation_remote_id\": \"…\", \"in_reply_to_remote_id\": \"…\",
   \"media\": [\"https://…\"], \"url\": \"https://…\"}
conversation_remote_id, in_reply_to_remote_id, followers, media and url are optional; other
fields are ignored. Bad lines are reported (line number and reason) and skipped. Importing the
same file again adds nothing. Exit status: 0 when something could be read, 1 otherwise.";

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A channel id to write for (repeat for several; each has its own audience)
    #[arg(long = "channel", value_name = "ID", required = true, value_parser = channel_id)]
    pub channels: Vec<owlery_domain::ChannelId>,

    /// How many hours of traffic, ending now (or at --until)
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=24 * 366))]
    pub hours: u32,

    /// Messages per hour per channel at the daily peak (nights are quieter, bursts louder)
    #[arg(long, default_value_t = 60.0)]
    pub per_hour: f64,

    /// Expected bursts per day per channel (complaint storms of 20–90 minutes)
    #[arg(long, default_value_t = 1.0)]
    pub bursts_per_day: f64,

    /// The end of the span (RFC 3339), default now
    #[arg(long, value_name = "TIME")]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

fn channel_id(s: &str) -> Result<owlery_domain::ChannelId, String> {
    owlery_domain::ChannelId::parse(s).ok_or_else(|| format!("'{s}' is not a channel id (a UUID)"))
}

/// `owlery inbox simulate`: the sandbox audience's messages as import lines on stdout.
pub fn simulate(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    use owlery_networks::sandbox::traffic::{Profile, Traffic};
    if !(0.0..=100_000.0).contains(&args.per_hour) || !(0.0..=100.0).contains(&args.bursts_per_day)
    {
        return Err(crate::UsageError(
            "--per-hour must be 0–100000 and --bursts-per-day 0–100".into(),
        )
        .into());
    }
    let until = args.until.unwrap_or_else(chrono::Utc::now);
    let from = until - chrono::Duration::hours(i64::from(args.hours));
    let profile = Profile {
        per_hour: args.per_hour,
        bursts_per_day: args.bursts_per_day,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut written = 0u64;
    for channel in &args.channels {
        let traffic = Traffic::new(&channel.to_string(), profile);
        // A day at a time: a year of a busy channel never sits in memory at once.
        let mut at = from;
        while at < until {
            let next = (at + chrono::Duration::days(1)).min(until);
            for m in traffic.between(at, next, &[]) {
                let line = serde_json::json!({
                    "channel_id": channel,
                    "remote_id": m.remote_id,
                    "kind": m.kind.code(),
                    "author": {
                        "remote_id": m.author.remote_id,
                        "handle": m.author.handle,
                        "name": m.author.name,
                        "followers": m.author.followers,
                    },
                    "text": m.text,
                    "created_at": m.created_at.to_rfc3339(),
                    "conversation_remote_id": m.conversation_remote_id,
                    "in_reply_to_remote_id": m.in_reply_to_remote_id,
                    "url": m.url,
                });
                match writeln!(out, "{line}") {
                    Ok(()) => written += 1,
                    // A closed pipe (`| head`) is the reader's choice, not an error.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        return Ok(ExitCode::SUCCESS);
                    }
                    Err(e) => return Err(anyhow::anyhow!("cannot write: {e}")),
                }
            }
            at = next;
        }
    }
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(anyhow::anyhow!("cannot write: {e}"));
    }
    let _ = writeln!(
        std::io::stderr(),
        "{written} messages for {} channel(s), {} to {}",
        args.channels.len(),
        from.to_rfc3339(),
        until.to_rfc3339()
    );
    Ok(ExitCode::SUCCESS)
}

/// What one chunk became after parsing and classification.
struct Parsed {
    seq: u64,
    /// Good lines: (line number, message).
    good: Vec<(u64, Incoming)>,
    /// Bad lines: (line number, reason).
    bad: Vec<(u64, String)>,
    bytes: u64,
}

struct Raw {
    seq: u64,
    first_line: u64,
    lines: Vec<Result<String, String>>,
    bytes: u64,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub lines: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub edited: u64,
    pub bad: u64,
}

pub async fn run(config: Config, command: InboxCommand) -> anyhow::Result<ExitCode> {
    match command {
        InboxCommand::Import(args) => import(config, &args).await,
    }
}

async fn import(config: Config, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let store = super::open_and_migrate_for_bulk_writes(&config).await?;
    let started = Instant::now();

    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(total_bytes));

    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let (raw_tx, raw_rx) = mpsc::sync_channel::<Raw>(workers * 2);
    let raw_rx = Arc::new(Mutex::new(raw_rx));
    let (parsed_tx, mut parsed_rx) = tokio::sync::mpsc::channel::<Parsed>(workers * 2);

    let reader = {
        let path = args.file.clone();
        std::thread::spawn(move || read_chunks(file, &path, &raw_tx))
    };
    let classifier =
        Arc::new(BuiltIn::new().map_err(|e| anyhow::anyhow!("cannot load the triage model: {e}"))?);
    let mut pool = Vec::new();
    for _ in 0..workers {
        let rx = raw_rx.clone();
        let tx = parsed_tx.clone();
        let classifier = classifier.clone();
        pool.push(std::thread::spawn(move || {
            loop {
                let raw = {
                    let Ok(guard) = rx.lock() else { return };
                    match guard.recv() {
                        Ok(r) => r,
                        Err(_) => return,
                    }
                };
                if tx
                    .blocking_send(parse_chunk(raw, classifier.as_ref()))
                    .is_err()
                {
                    return;
                }
            }
        }));
    }
    drop(parsed_tx);

    let policy = AroundTheClock::default();
    let mut summary = Summary::default();
    let mut pending: BTreeMap<u64, Parsed> = BTreeMap::new();
    let mut next = 0u64;
    let mut done_bytes = 0u64;
    while let Some(parsed) = parsed_rx.recv().await {
        pending.insert(parsed.seq, parsed);
        while let Some(chunk) = pending.remove(&next) {
            next += 1;
            let (lines, items): (Vec<u64>, Vec<Incoming>) = chunk.good.into_iter().unzip();
            let report = store
                .ingest(&items, &policy)
                .await
                .context("cannot write to the database")?;
            let mut bad = chunk.bad;
            for (line, outcome) in lines.iter().zip(&report.outcomes) {
                match outcome {
                    Outcome::Imported => summary.imported += 1,
                    Outcome::Duplicate => summary.duplicates += 1,
                    Outcome::Edited => summary.edited += 1,
                    Outcome::UnknownChannel => {
                        bad.push((*line, "channel_id: there is no such channel".to_owned()));
                    }
                }
            }
            bad.sort_by_key(|(l, _)| *l);
            summary.lines +=
                (lines.len() + bad.len()) as u64 - report.count(Outcome::UnknownChannel) as u64;
            for (line, reason) in bad {
                summary.bad += 1;
                if summary.bad <= MAX_REPORTED {
                    let text = format!("line {line}: {reason}");
                    match &bar {
                        Some(b) => b.suspend(|| report_bad(&text)),
                        None => report_bad(&text),
                    }
                } else if summary.bad == MAX_REPORTED + 1 {
                    report_bad("(more bad lines: only counted from here on, see the summary)");
                }
            }
            done_bytes += chunk.bytes;
            if let Some(b) = &bar {
                b.set_position(done_bytes);
                let secs = started.elapsed().as_secs_f64().max(1e-3);
                b.set_message(format!(
                    "{} imported · {:.0} messages/s",
                    summary.imported,
                    (summary.imported + summary.duplicates + summary.edited) as f64 / secs
                ));
            }
        }
    }
    for w in pool {
        let _ = w.join();
    }
    let read_error = match reader.join() {
        Ok(r) => r.err(),
        Err(_) => Some(anyhow::anyhow!("the file reader stopped unexpectedly")),
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let elapsed = started.elapsed();
    let read = summary.imported + summary.duplicates + summary.edited;
    out::line(format!(
        "imported {}, duplicates skipped {}, edited {}, bad lines {} ({} lines in {:.1} s, {:.0} messages/s)",
        summary.imported,
        summary.duplicates,
        summary.edited,
        summary.bad,
        summary.lines,
        elapsed.as_secs_f64(),
        read as f64 / elapsed.as_secs_f64().max(1e-3)
    ));
    store
        .audit_inbox_import(
            &Actor::cli(),
            serde_json::json!({
                "file": args.file.display().to_string(),
                "imported": summary.imported,
                "duplicates": summary.duplicates,
                "edited": summary.edited,
                "bad_lines": summary.bad,
            }),
        )
        .await
        .context("cannot record the import in the audit log")?;
    if let Some(e) = read_error {
        eprintln!("error: reading {} stopped: {e:#}", args.file.display());
        if read == 0 {
            return Ok(ExitCode::FAILURE);
        }
    }
    if read == 0 && summary.bad > 0 {
        eprintln!(
            "error: no line of {} could be imported",
            args.file.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// A bad line on stderr (a closed stderr is not worth failing for).
fn report_bad(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{bar:30} {percent:>3}% {msg} · {elapsed_precise} elapsed, ETA {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Read the file in chunks of lines. A line that is not UTF-8 or too long is a bad line here.
fn read_chunks(file: std::fs::File, path: &Path, tx: &mpsc::SyncSender<Raw>) -> anyhow::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut seq = 0u64;
    let mut line_no = 0u64;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let first_line = line_no + 1;
        let mut lines = Vec::with_capacity(CHUNK_LINES);
        let mut bytes = 0u64;
        let mut eof = false;
        while lines.len() < CHUNK_LINES {
            buf.clear();
            let n = read_line_capped(&mut reader, &mut buf)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if n == 0 {
                eof = true;
                break;
            }
            bytes += n as u64;
            line_no += 1;
            if buf.len() > MAX_LINE_BYTES {
                lines.push(Err(format!("longer than {MAX_LINE_BYTES} bytes")));
                continue;
            }
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            match std::str::from_utf8(&buf) {
                Ok(s) => lines.push(Ok(s.to_owned())),
                Err(e) => lines.push(Err(format!("not UTF-8 ({e})"))),
            }
        }
        if !lines.is_empty() {
            let raw = Raw {
                seq,
                first_line,
                lines,
                bytes,
            };
            seq += 1;
            if tx.send(raw).is_err() {
                return Ok(());
            }
        }
        if eof {
            return Ok(());
        }
    }
}

/// One line into `buf` (with its newline), keeping at most a little over [`MAX_LINE_BYTES`] of it
/// in memory. Returns the bytes consumed (0 at the end of the file).
fn read_line_capped(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut consumed = 0;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(consumed);
        }
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if buf.len() <= MAX_LINE_BYTES {
            buf.extend_from_slice(&available[..take]);
        }
        reader.consume(take);
        consumed += take;
        if done {
            return Ok(consumed);
        }
    }
}

fn parse_chunk(raw: Raw, classifier: &dyn Classifier) -> Parsed {
    let mut good = Vec::with_capacity(raw.lines.len());
    let mut bad = Vec::new();
    for (i, line) in raw.lines.into_iter().enumerate() {
        let n = raw.first_line + i as u64;
        let line = match line {
            Ok(l) => l,
            Err(reason) => {
                bad.push((n, reason));
                continue;
            }
        };
        if line.trim().is_empty() {
            // Blank lines (a trailing newline, spacing) are not messages, and not errors.
            continue;
        }
        match parse_line(&line) {
            Ok(message) => {
                let triage = classification(&classifier.classify(&message.text));
                good.push((n, Incoming { message, triage }));
            }
            Err(e) => bad.push((n, e.to_string())),
        }
    }
    Parsed {
        seq: raw.seq,
        good,
        bad,
        bytes: raw.bytes,
    }
}
