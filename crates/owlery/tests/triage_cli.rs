//! `owlery triage` through the real binary: one JSON object per input line, in order, whatever
//! the input (several languages, empty lines, a huge line, invalid UTF-8).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_owlery");

fn triage(input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .arg("triage")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: the binary answers while we are still sending.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn one_json_object_per_line_in_each_language() {
    let input = "How much does the annual plan cost?\n\
                 Ужасно обслужване, още чакам поръчката си!\n\
                 Danke, der Service war heute super und das Personal ist sehr freundlich\n\
                 ¿Dónde está mi paquete?\n\
                 \n";
    let output = triage(input.as_bytes());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = lines(&output);
    assert_eq!(out.len(), 5);
    assert_eq!(out[0]["language"], "eng");
    assert_eq!(out[0]["intent"], "lead");
    assert_eq!(out[1]["language"], "bul");
    assert_eq!(out[1]["sentiment"], "negative");
    assert_eq!(out[1]["intent"], "complaint");
    assert_eq!(out[2]["language"], "deu");
    assert_eq!(out[2]["intent"], "praise");
    assert_eq!(out[3]["language"], "spa");
    assert_eq!(out[3]["intent"], "question");
    assert_eq!(out[4]["language"], "und");
    for o in &out {
        let s = &o["scores"]["sentiment"];
        let sum: f64 = ["negative", "neutral", "positive"]
            .iter()
            .map(|k| s[k].as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-3, "{o}");
        assert!(o["urgency"].is_string());
        assert!(o["scores"]["intent"]["other"].is_number());
    }
}

#[test]
fn huge_lines_and_invalid_utf8_do_not_break_the_stream() {
    let mut input = Vec::new();
    input.extend_from_slice("terrible ".repeat(200_000).as_bytes());
    input.push(b'\n');
    input.extend_from_slice(b"caf\xe9 au lait\n");
    input.extend_from_slice("Great job, thank you!\r\n".as_bytes());
    let output = triage(&input);
    assert_eq!(
        output.status.code(),
        Some(1),
        "invalid UTF-8 is reported in the exit status"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 2 is not valid UTF-8"), "{stderr}");
    let out = lines(&output);
    assert_eq!(out.len(), 3);
    assert_eq!(out[0]["sentiment"], "negative");
    assert_eq!(out[1]["line"], 2);
    assert_eq!(out[1]["error"], "not valid UTF-8");
    assert_eq!(out[2]["sentiment"], "positive");
}
