//! Trains the embedded sentiment model from `shared/data/sentiment-dev` and writes
//! `crates/triage/data/sentiment.model`. Reproducible: fixed seed, fixed order, fixed settings.
//!
//! ```text
//! cargo run --release -p owlery-triage --bin train [-- OUT]
//! ```
//! The data folder is `$OWLERY_SENTIMENT_DEV` or found beside the workspace.

#[path = "../../tools/devsets.rs"]
#[allow(dead_code, reason = "shared with the benchmark; each uses part of it")]
mod devsets;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use owlery_triage::model::TrainConfig;
use owlery_triage::training;

fn main() -> ExitCode {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sentiment.model"))
        });
    let Some(dir) = devsets::locate() else {
        eprintln!("train: shared/data/sentiment-dev not found (set OWLERY_SENTIMENT_DEV)");
        return ExitCode::FAILURE;
    };
    let sets = match devsets::load(&dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("train: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sources = devsets::shipped_sources(&sets);
    let config = TrainConfig::default();
    let model = training::train(&sources, &config);
    let bytes = model.to_bytes();
    if let Err(e) = std::fs::write(&out, &bytes) {
        eprintln!("train: {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let n: usize = sources.iter().map(|s| s.items.len()).sum();
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "train: {n} messages (en_vader_tweets_groundtruth, bg_cinexio_train, en_tweeteval_val, de_germeval2017_dev), {config:?} → {} ({} bytes)",
        out.display(),
        bytes.len()
    );
    ExitCode::SUCCESS
}
