//! Sentiment on the development sets: macro-recall and negative recall per dataset/language for
//! the built-in classifier, the lexicon-only baseline and the majority class, plus throughput.
//!
//! ```text
//! cargo bench -p owlery-triage --bench sentiment
//! ```
//! Every model is trained on VADER's tweets and Cinexio train. Cinexio dev (bg) is never trained
//! on: the shipped model is measured on it directly. TweetEval validation (en) and GermEval dev
//! (de) are part of the shipped model's training, so their figures come from 5-fold
//! cross-validation (each fold's model trained on the base corpora plus the other four folds of
//! that set — the shipped recipe minus the fold), and from a model trained without that set at
//! all (held out). The lexicon and majority baselines need no training.

#[path = "../tools/devsets.rs"]
#[allow(
    dead_code,
    reason = "shared with the train binary; each uses part of it"
)]
mod devsets;

use std::io::Write;
use std::time::{Duration, Instant};

use owlery_triage::corpus::Labelled;
use owlery_triage::model::TrainConfig;
use owlery_triage::training::{self, Source};
use owlery_triage::{BuiltIn, Classifier, LexiconOnly, Sentiment};

/// Macro-recall over `classes`, negative recall, accuracy (all in %).
fn score(gold: &[Sentiment], predicted: &[Sentiment], classes: &[Sentiment]) -> (f64, f64, f64) {
    let recall = |c: Sentiment| {
        let total = gold.iter().filter(|g| **g == c).count();
        let hit = gold
            .iter()
            .zip(predicted)
            .filter(|(g, p)| **g == c && **p == c)
            .count();
        if total == 0 {
            0.0
        } else {
            100.0 * hit as f64 / total as f64
        }
    };
    let macro_recall = classes.iter().map(|c| recall(*c)).sum::<f64>() / classes.len() as f64;
    let correct = gold.iter().zip(predicted).filter(|(g, p)| g == p).count();
    (
        macro_recall,
        recall(Sentiment::Negative),
        100.0 * correct as f64 / gold.len().max(1) as f64,
    )
}

/// Predictions for every item of `items` by models trained on `base` plus the other folds.
fn cross_validate(base: &[Source<'_>], items: &[Labelled], config: &TrainConfig) -> Vec<Sentiment> {
    const FOLDS: usize = 5;
    let mut predicted = vec![Sentiment::Neutral; items.len()];
    for fold in 0..FOLDS {
        let rest: Vec<Labelled> = items
            .iter()
            .enumerate()
            .filter(|(i, _)| i % FOLDS != fold)
            .map(|(_, l)| l.clone())
            .collect();
        let mut sources = base.to_vec();
        sources.push(Source {
            items: &rest,
            binary: false,
        });
        let classifier = BuiltIn::with_model(training::train(&sources, config));
        for (i, item) in items.iter().enumerate().filter(|(i, _)| i % FOLDS == fold) {
            if let Some(slot) = predicted.get_mut(i) {
                *slot = classifier.sentiment(&item.text).label();
            }
        }
    }
    predicted
}

fn majority(gold: &[Sentiment]) -> Vec<Sentiment> {
    let top = Sentiment::ALL
        .into_iter()
        .max_by_key(|c| gold.iter().filter(|g| *g == c).count())
        .unwrap_or(Sentiment::Neutral);
    vec![top; gold.len()]
}

/// This thread's CPU time in seconds (Linux: `/proc/thread-self/schedstat`), if known.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// Runs `f` over `texts` repeatedly for two seconds: (messages, wall seconds, CPU seconds).
fn throughput(texts: &[&str], f: impl Fn(&str)) -> (usize, f64, Option<f64>) {
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < Duration::from_secs(2) {
        for t in texts {
            f(t);
        }
        done += texts.len();
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_start
        .zip(thread_cpu_seconds())
        .map(|(a, b)| b - a)
        .filter(|s| *s > 0.0);
    (done, wall, cpu)
}

struct Table(std::io::StdoutLock<'static>);

impl Table {
    fn row(&mut self, set: &str, method: &str, n: usize, (m, neg, acc): (f64, f64, f64)) {
        let _ = writeln!(
            self.0,
            "| {set:<34} | {method:<40} | {n:>5} | {m:>5.1} | {neg:>5.1} | {acc:>5.1} |"
        );
    }
}

fn main() {
    let mut out = Table(std::io::stdout().lock());
    let Some(dir) = devsets::locate() else {
        let _ = writeln!(
            out.0,
            "sentiment bench: shared/data/sentiment-dev not found (set OWLERY_SENTIMENT_DEV); nothing measured"
        );
        return;
    };
    let sets = match devsets::load(&dir) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(out.0, "sentiment bench: {e}; nothing measured");
            return;
        }
    };
    let builtin = match BuiltIn::new() {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(out.0, "sentiment bench: embedded model: {e}");
            std::process::exit(1);
        }
    };
    let lexicon = LexiconOnly::default();
    let three = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];
    let two = [Sentiment::Negative, Sentiment::Positive];
    let gold = |items: &[Labelled]| items.iter().map(|i| i.label).collect::<Vec<_>>();

    let _ = writeln!(out.0, "data: {}", sets.dir.display());
    let _ = writeln!(
        out.0,
        "| {:<34} | {:<40} | {:>5} | {:>5} | {:>5} | {:>5} |",
        "set (language)", "method", "n", "macR", "negR", "acc"
    );
    let _ = writeln!(
        out.0,
        "|{}|{}|{}|{}|{}|{}|",
        "-".repeat(36),
        "-".repeat(42),
        "-".repeat(7),
        "-".repeat(7),
        "-".repeat(7),
        "-".repeat(7)
    );

    let config = TrainConfig::default();
    let base = devsets::base_sources(&sets);

    // English: TweetEval validation.
    let set = "en tweeteval val";
    let items = &sets.en_tweeteval_val;
    let g = gold(items);
    let p = cross_validate(&base, items, &config);
    out.row(
        &format!("{set} (5-fold CV)"),
        "built-in recipe, trained on other folds",
        items.len(),
        score(&g, &p, &three),
    );
    let without = BuiltIn::with_model(training::train(&base, &config));
    let p: Vec<_> = items
        .iter()
        .map(|i| without.sentiment(&i.text).label())
        .collect();
    out.row(
        &format!("{set} (held out)"),
        "built-in recipe without TweetEval",
        items.len(),
        score(&g, &p, &three),
    );
    let p: Vec<_> = items.iter().map(|i| lexicon.sentiment(&i.text)).collect();
    out.row(
        &format!("{set} (held out)"),
        "lexicon only (VADER words, ±0.05)",
        items.len(),
        score(&g, &p, &three),
    );
    out.row(
        &format!("{set} (held out)"),
        "majority class",
        items.len(),
        score(&g, &majority(&g), &three),
    );

    // Bulgarian: Cinexio dev, held out, two classes.
    let set = "bg cinexio dev (held out, 2 classes)";
    let items = &sets.bg_dev;
    let g = gold(items);
    let p: Vec<_> = items
        .iter()
        .map(|i| builtin.sentiment(&i.text).polarity())
        .collect();
    out.row(
        set,
        "built-in (shipped model, neg vs pos)",
        items.len(),
        score(&g, &p, &two),
    );
    let p: Vec<_> = items.iter().map(|i| lexicon.polarity(&i.text)).collect();
    out.row(
        set,
        "lexicon only (AFINN-bg, sign)",
        items.len(),
        score(&g, &p, &two),
    );
    out.row(
        set,
        "majority class",
        items.len(),
        score(&g, &majority(&g), &two),
    );

    // German: GermEval 2017 dev, in the shipped model's training → cross-validation.
    let set = "de germeval2017 dev";
    let items = &sets.de_germeval_dev;
    let g = gold(items);
    let p = cross_validate(&base, items, &config);
    out.row(
        &format!("{set} (5-fold CV)"),
        "built-in recipe, trained on other folds",
        items.len(),
        score(&g, &p, &three),
    );
    let mut no_german = base.clone();
    no_german.push(Source {
        items: &sets.en_tweeteval_val,
        binary: false,
    });
    let no_german = BuiltIn::with_model(training::train(&no_german, &config));
    let p: Vec<_> = items
        .iter()
        .map(|i| no_german.sentiment(&i.text).label())
        .collect();
    out.row(
        &format!("{set} (held out)"),
        "built-in recipe without GermEval",
        items.len(),
        score(&g, &p, &three),
    );
    let p: Vec<_> = items.iter().map(|i| lexicon.sentiment(&i.text)).collect();
    out.row(
        &format!("{set} (held out)"),
        "lexicon only (AFINN-de, ±0.05)",
        items.len(),
        score(&g, &p, &three),
    );
    out.row(
        &format!("{set} (held out)"),
        "majority class",
        items.len(),
        score(&g, &majority(&g), &three),
    );

    // Throughput: the full triage (language, sentiment, intent, urgency), one thread. The machine
    // may be shared: besides wall-clock time, the thread's own CPU time (Linux) gives the rate
    // per core.
    let texts: Vec<&str> = [&sets.en_tweeteval_val, &sets.bg_dev, &sets.de_germeval_dev]
        .into_iter()
        .flat_map(|s| s.iter().map(|i| i.text.as_str()))
        .collect();
    let mean_bytes = texts.iter().map(|t| t.len()).sum::<usize>() / texts.len().max(1);
    let (done, wall, cpu) = throughput(&texts, |t| {
        std::hint::black_box(builtin.classify(t));
    });
    let _ = writeln!(
        out.0,
        "throughput: {:.0} messages/s per core ({:.0}/s wall-clock; full triage; {done} messages of {mean_bytes} bytes on average)",
        done as f64 / cpu.unwrap_or(wall),
        done as f64 / wall,
    );
    // Typical social messages: the same texts cut to 20–300 characters.
    let social: Vec<&str> = texts
        .iter()
        .map(|t| match t.char_indices().nth(300) {
            Some((end, _)) => &t[..end],
            None => t,
        })
        .filter(|t| t.chars().count() >= 20)
        .collect();
    let social_bytes = social.iter().map(|t| t.len()).sum::<usize>() / social.len().max(1);
    let (done, wall, cpu) = throughput(&social, |t| {
        std::hint::black_box(builtin.classify(t));
    });
    let _ = writeln!(
        out.0,
        "throughput: {:.0} messages/s per core ({:.0}/s wall-clock; 20–300 characters, {social_bytes} bytes on average)",
        done as f64 / cpu.unwrap_or(wall),
        done as f64 / wall,
    );
    let (done, wall, cpu) = throughput(&social, |t| {
        std::hint::black_box(lexicon.sentiment(t));
    });
    let _ = writeln!(
        out.0,
        "throughput: {:.0} messages/s per core ({:.0}/s wall-clock; lexicon-only sentiment, same messages)",
        done as f64 / cpu.unwrap_or(wall),
        done as f64 / wall,
    );
    let _ = writeln!(
        out.0,
        "macR = macro-averaged recall over the set's classes, negR = negative recall, acc = accuracy (%)"
    );
}
