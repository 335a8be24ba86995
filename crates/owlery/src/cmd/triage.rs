//! `owlery triage`: one message per line on stdin, one JSON object per line on stdout —
//! `language`, `sentiment`, `intent`, `urgency` and their `scores` — for checking routing rules
//! and for measuring the classifier.
//!
//! Every input line gets exactly one output line, so the two files line up. A line that is not
//! UTF-8 gets `{"line": N, "error": "…"}` (and a note on stderr; exit status 1 at the end). Lines
//! longer than [`MAX_LINE`] bytes are classified on their first part (the classifier reads only
//! the opening of a message anyway) without holding the rest in memory.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use owlery_triage::{BuiltIn, Classifier, Triage};
use serde::Serialize;

/// The most of one line kept in memory.
pub const MAX_LINE: usize = 64 * 1024;

#[derive(Serialize)]
struct Output<'a> {
    language: &'a str,
    sentiment: owlery_triage::Sentiment,
    intent: owlery_triage::Intent,
    urgency: owlery_triage::Urgency,
    scores: Scores,
}

#[derive(Serialize)]
struct Scores {
    language: f64,
    sentiment: [(&'static str, f64); 3],
    intent: Vec<(&'static str, f64)>,
}

/// Four decimals: enough to compare, short to read.
fn round(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

fn json(t: &Triage) -> serde_json::Result<String> {
    let s = &t.sentiment_scores;
    let i = &t.intent_scores;
    let output = Output {
        language: t.language.code,
        sentiment: t.sentiment,
        intent: t.intent,
        urgency: t.urgency,
        scores: Scores {
            language: round(t.language.confidence),
            sentiment: [
                ("negative", round(s.negative)),
                ("neutral", round(s.neutral)),
                ("positive", round(s.positive)),
            ],
            intent: vec![
                ("question", round(i.question)),
                ("complaint", round(i.complaint)),
                ("praise", round(i.praise)),
                ("lead", round(i.lead)),
                ("spam", round(i.spam)),
                ("abuse", round(i.abuse)),
                ("other", round(i.other)),
            ],
        },
    };
    // Pairs → a JSON object, keys in this order.
    let mut value = serde_json::to_value(&output)?;
    if let Some(scores) = value.get_mut("scores") {
        for key in ["sentiment", "intent"] {
            if let Some(serde_json::Value::Array(pairs)) = scores.get(key).cloned() {
                let object: serde_json::Map<String, serde_json::Value> = pairs
                    .into_iter()
                    .filter_map(|p| match p {
                        serde_json::Value::Array(mut kv) if kv.len() == 2 => {
                            let v = kv.pop()?;
                            let k = kv.pop()?.as_str()?.to_owned();
                            Some((k, v))
                        }
                        _ => None,
                    })
                    .collect();
                scores[key] = serde_json::Value::Object(object);
            }
        }
    }
    serde_json::to_string(&value)
}

/// Reads one line (without its `\n` or `\r\n`) into `buf`, keeping at most `MAX_LINE` bytes.
/// Returns false at the end of input.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    let mut any = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            break;
        }
        any = true;
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(at) => (&available[..at], Some(at + 1)),
            None => (available, None),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = done.unwrap_or(available.len());
        input.consume(used);
        if done.is_some() {
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(any)
}

/// The text of a line: its UTF-8, minus a character cut in half by the length limit.
fn text(buf: &[u8], clipped: bool) -> Option<&str> {
    match std::str::from_utf8(buf) {
        Ok(s) => Some(s),
        Err(e) if clipped && e.error_len().is_none() => {
            std::str::from_utf8(&buf[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

pub fn run() -> anyhow::Result<ExitCode> {
    let classifier = BuiltIn::new().context("the embedded triage model does not load")?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut bad = 0u64;
    while read_line(&mut input, &mut buf).context("cannot read standard input")? {
        line += 1;
        let printed = match text(&buf, buf.len() >= MAX_LINE) {
            Some(message) => json(&classifier.classify(message))?,
            None => {
                bad += 1;
                eprintln!("owlery triage: line {line} is not valid UTF-8");
                serde_json::json!({ "line": line, "error": "not valid UTF-8" }).to_string()
            }
        };
        if let Err(e) = writeln!(out, "{printed}") {
            // A closed pipe (`| head`) ends the run quietly.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e).context("cannot write standard output");
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(e).context("cannot write standard output");
        }
        _ => {}
    }
    if bad > 0 {
        eprintln!("owlery triage: {bad} of {line} lines were not valid UTF-8");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_clipped_and_decoded() {
        let long = "a".repeat(MAX_LINE + 10);
        let data = format!("one\r\n{long}\nthree");
        let mut input = std::io::Cursor::new(data.into_bytes());
        let mut buf = Vec::new();
        assert!(read_line(&mut input, &mut buf).unwrap());
        assert_eq!(buf, b"one");
        assert!(read_line(&mut input, &mut buf).unwrap());
        assert_eq!(buf.len(), MAX_LINE);
        assert!(read_line(&mut input, &mut buf).unwrap());
        assert_eq!(buf, b"three");
        assert!(!read_line(&mut input, &mut buf).unwrap());
        // A character cut by the limit is dropped; a broken one elsewhere is an error.
        assert_eq!(
            text("ab\u{e9}".as_bytes().get(..3).unwrap(), true),
            Some("ab")
        );
        assert_eq!(text(b"a\xffb", false), None);
    }
}
