//! Finding and reading `shared/data/sentiment-dev` (shared by the `train` binary and the
//! `sentiment` benchmark; the library itself never touches files).

use std::path::{Path, PathBuf};

use owlery_triage::corpus::{self, Labelled};
use owlery_triage::training::Source;

/// The sets, parsed.
pub struct DevSets {
    pub dir: PathBuf,
    pub en_tweeteval_val: Vec<Labelled>,
    pub en_vader: Vec<Labelled>,
    pub bg_train: Vec<Labelled>,
    pub bg_dev: Vec<Labelled>,
    pub de_germeval_dev: Vec<Labelled>,
}

/// `$OWLERY_SENTIMENT_DEV`, else `shared/data/sentiment-dev` beside the workspace or one of its
/// parents (the repository's `../shared`, or `../../shared` from a worktree).
pub fn locate() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OWLERY_SENTIMENT_DEV") {
        return Some(PathBuf::from(dir));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .skip(2)
        .take(4)
        .map(|a| a.join("shared/data/sentiment-dev"))
        .find(|d| d.join("README.md").is_file())
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(name))
        .map_err(|e| format!("{}: {e}", dir.join(name).display()))
}

fn parsed<T>(name: &str, r: Result<T, corpus::CorpusError>) -> Result<T, String> {
    r.map_err(|e| format!("{name}: {e}"))
}

pub fn load(dir: &Path) -> Result<DevSets, String> {
    Ok(DevSets {
        dir: dir.to_owned(),
        en_tweeteval_val: parsed(
            "en_tweeteval_val.tsv",
            corpus::tweeteval(&read(dir, "en_tweeteval_val.tsv")?),
        )?,
        en_vader: parsed(
            "en_vader_tweets_groundtruth.tsv",
            corpus::vader(&read(dir, "en_vader_tweets_groundtruth.tsv")?),
        )?,
        bg_train: parsed(
            "bg_cinexio_train.csv",
            corpus::cinexio(&read(dir, "bg_cinexio_train.csv")?),
        )?,
        bg_dev: parsed(
            "bg_cinexio_dev.csv",
            corpus::cinexio(&read(dir, "bg_cinexio_dev.csv")?),
        )?,
        de_germeval_dev: parsed(
            "de_germeval2017_dev.tsv",
            corpus::germeval(&read(dir, "de_germeval2017_dev.tsv")?),
        )?,
    })
}

/// The corpora every model is trained on: VADER's tweets (three classes by the paper's
/// thresholds) and Cinexio train (two classes).
pub fn base_sources(sets: &DevSets) -> Vec<Source<'_>> {
    vec![
        Source {
            items: &sets.en_vader,
            binary: false,
        },
        Source {
            items: &sets.bg_train,
            binary: true,
        },
    ]
}

/// The recipe of the shipped model: the base corpora plus TweetEval validation and GermEval dev.
/// Cinexio dev is never trained on (held out); TweetEval and GermEval figures are therefore
/// reported by 5-fold cross-validation, and by a model trained without that set.
pub fn shipped_sources(sets: &DevSets) -> Vec<Source<'_>> {
    let mut sources = base_sources(sets);
    sources.push(Source {
        items: &sets.en_tweeteval_val,
        binary: false,
    });
    sources.push(Source {
        items: &sets.de_germeval_dev,
        binary: false,
    });
    sources
}
