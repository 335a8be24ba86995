//! Renders every placement rendition (all networks) of one 12-megapixel JPEG, beside libvips
//! doing the same renditions with `vipsthumbnail`, one process per rendition as people script it.
//!
//! Both sides run as child processes of a small measuring shim (this same binary, re-run in
//! another role) so wall time and peak RSS (`getrusage(RUSAGE_CHILDREN)`) are taken the same
//! way. Source: `OWLERY_BENCH_IMAGE=path.jpg`, or a deterministic photo-like 4000×3000 JPEG made
//! here (smooth gradients, texture and noise, so its size and entropy are realistic).
//!
//! Run: `cargo bench -p owlery-media --bench render`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use nix::sys::resource::{UsageWho, getrusage};
use owlery_domain::spec::Specs;
use owlery_media::{Limits, Target, decode, probe, targets};

const ROLE: &str = "OWLERY_BENCH_ROLE";
const OURS_RUNS: usize = 5;
const VIPS_ROUNDS: usize = 3;

fn main() -> ExitCode {
    match std::env::var(ROLE).as_deref() {
        Ok("render") => render_role(),
        Ok("shim") => shim_role(),
        _ => {
            // `cargo bench` passes `--bench`; anything else (e.g. a test filter) is ignored.
            bench();
            ExitCode::SUCCESS
        }
    }
}

fn all_targets() -> Vec<Target> {
    targets(&Specs::embedded().expect("specs"), &[])
}

/// Our side, as a user would run it: read, probe, decode once, find the focal point, render
/// every target in parallel, write the files.
fn render_role() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(src), Some(out)) = (args.get(1), args.get(2)) else {
        return ExitCode::from(2);
    };
    let limits = Limits::default();
    let bytes = std::fs::read(src).expect("read source");
    probe(&bytes, Some(src), &limits).expect("probe");
    let decoded = decode(&bytes, &limits).expect("decode");
    drop(bytes);
    let focal = decoded.auto_focal();
    let ts = all_targets();
    let mut failed = false;
    for (t, r) in ts.iter().zip(decoded.render(&ts, focal)) {
        match r {
            Ok(r) => std::fs::write(Path::new(out).join(t.file_name()), &r.bytes).expect("write"),
            Err(e) => {
                eprintln!("{}: {e}", t.file_name());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs the commands given as argument groups separated by `--`, one after another, timing
/// each; prints `t <ms>` per command, then `rss <KiB>`: the largest peak RSS of any of them.
fn shim_role() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for cmd in args.split(|a| a == "--").filter(|c| !c.is_empty()) {
        let start = Instant::now();
        let mut c = Command::new(&cmd[0]);
        c.args(&cmd[1..]).env_remove(ROLE);
        if std::env::var("OWLERY_BENCH_SELF").as_deref() == Ok(cmd[0].as_str()) {
            c.env(ROLE, "render");
        }
        let status = c.status().expect("spawn");
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        if !status.success() {
            eprintln!("{:?} failed: {status}", cmd);
            return ExitCode::FAILURE;
        }
        println!("t {ms:.3}");
    }
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    println!("rss {}", usage.max_rss());
    ExitCode::SUCCESS
}

struct Measured {
    times_ms: Vec<f64>,
    rss_kib: i64,
}

fn run_shim(commands: &[Vec<String>]) -> Measured {
    let me = std::env::current_exe().expect("current exe");
    let mut args = Vec::new();
    for c in commands {
        args.extend(c.iter().cloned());
        args.push("--".to_owned());
    }
    let out = Command::new(&me)
        .env(ROLE, "shim")
        .env("OWLERY_BENCH_SELF", &me)
        .args(&args)
        .output()
        .expect("run shim");
    assert!(
        out.status.success(),
        "measuring failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m = Measured {
        times_ms: Vec::new(),
        rss_kib: 0,
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(t) = line.strip_prefix("t ") {
            m.times_ms.push(t.parse().expect("time"));
        } else if let Some(r) = line.strip_prefix("rss ") {
            m.rss_kib = r.parse().expect("rss");
        }
    }
    m
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// A deterministic photo-like 4000×3000 image: large smooth shapes, mid-frequency texture and
/// fine noise, so it compresses like a real photo (a few MB at quality 90).
fn synthetic_photo(w: u32, h: u32) -> Vec<u8> {
    let mut seed: u32 = 0x5EED_1234;
    let mut px = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let sky = 1.0 - fy / f64::from(h);
            let hills = ((fx / 530.0).sin() * (fy / 410.0).cos() + 1.0) * 0.5;
            let texture = (fx * 0.043 + fy * 0.021).sin() * (fy * 0.057 - fx * 0.012).cos();
            let leaves = ((fx * 0.21).sin() + (fy * 0.17 + fx * 0.05).sin()) * 0.5;
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = f64::from((seed >> 24) as u8) / 255.0 - 0.5;
            let detail = 26.0 * texture + 14.0 * leaves * hills + 22.0 * noise;
            let r = 70.0 + 120.0 * hills + 40.0 * sky + detail;
            let g = 60.0 + 100.0 * (1.0 - hills) + 60.0 * sky + detail;
            let b = 50.0 + 170.0 * sky * sky + 0.6 * detail;
            for c in [r, g, b] {
                px.push(c.clamp(0.0, 255.0) as u8);
            }
        }
    }
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, 90);
    enc.encode(&px, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

fn bench() {
    let dir = std::env::temp_dir().join(format!("owlery-media-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (source, described): (PathBuf, String) = match std::env::var("OWLERY_BENCH_IMAGE") {
        Ok(p) => (PathBuf::from(&p), p),
        Err(_) => {
            let path = dir.join("source.jpg");
            let t = Instant::now();
            let bytes = synthetic_photo(4000, 3000);
            std::fs::write(&path, &bytes).expect("write source");
            (
                path,
                format!(
                    "synthetic 4000x3000 JPEG q90 (made in {:.1} s)",
                    t.elapsed().as_secs_f64()
                ),
            )
        }
    };
    let bytes = std::fs::read(&source).expect("read source");
    let p = probe(&bytes, None, &Limits::default()).expect("probe source");
    let ts = all_targets();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("owlery-media render benchmark");
    println!(
        "source: {described}: {}x{}, {:.2} MB ({} bytes)",
        p.width,
        p.height,
        bytes.len() as f64 / 1_048_576.0,
        bytes.len()
    );
    println!(
        "renditions: {} (every image placement of every network); cores: {cores}",
        ts.len()
    );
    drop(bytes);

    let me = std::env::current_exe().expect("current exe");
    let ours_dir = dir.join("ours");
    std::fs::create_dir_all(&ours_dir).expect("out dir");
    let ours_cmd = vec![vec![
        me.display().to_string(),
        source.display().to_string(),
        ours_dir.display().to_string(),
    ]];
    // One warm-up run (page cache), then the measured ones.
    run_shim(&ours_cmd);
    let mut ours_times = Vec::new();
    let mut ours_rss = 0;
    for _ in 0..OURS_RUNS {
        let m = run_shim(&ours_cmd);
        ours_times.extend(m.times_ms);
        ours_rss = ours_rss.max(m.rss_kib);
    }
    let ours = median(ours_times.clone());
    let ours_out: u64 = ts
        .iter()
        .filter_map(|t| std::fs::metadata(ours_dir.join(t.file_name())).ok())
        .map(|m| m.len())
        .sum();
    println!();
    println!(
        "owlery-media (one process: decode once, {} renditions in parallel), median of {OURS_RUNS} runs:",
        ts.len()
    );
    println!(
        "  wall {ours:8.1} ms   (runs: {})   peak RSS {:.1} MiB   output {:.2} MB",
        ours_times
            .iter()
            .map(|t| format!("{t:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        ours_rss as f64 / 1024.0,
        ours_out as f64 / 1_048_576.0
    );

    let vips = Command::new("vipsthumbnail").arg("--version").output();
    let Ok(version) = vips else {
        println!();
        println!("vipsthumbnail not found (apt-get install libvips-tools)");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    let vips_dir = dir.join("vips");
    std::fs::create_dir_all(&vips_dir).expect("out dir");
    let vips_cmds: Vec<Vec<String>> = ts
        .iter()
        .map(|t| {
            vec![
                "vipsthumbnail".to_owned(),
                source.display().to_string(),
                "-s".to_owned(),
                format!("{}x{}", t.width, t.height),
                "-c".to_owned(),
                "-o".to_owned(),
                format!("{}[Q=85]", vips_dir.join(t.file_name()).display()),
            ]
        })
        .collect();
    run_shim(&vips_cmds[..1]);
    let mut per_target: Vec<Vec<f64>> = vec![Vec::new(); ts.len()];
    let mut sums = Vec::new();
    let mut vips_rss = 0;
    for _ in 0..VIPS_ROUNDS {
        let m = run_shim(&vips_cmds);
        for (i, t) in m.times_ms.iter().enumerate() {
            if let Some(v) = per_target.get_mut(i) {
                v.push(*t);
            }
        }
        sums.push(m.times_ms.iter().sum::<f64>());
        vips_rss = vips_rss.max(m.rss_kib);
    }
    let vips_sum = median(sums.clone());
    let vips_out: u64 = ts
        .iter()
        .filter_map(|t| std::fs::metadata(vips_dir.join(t.file_name())).ok())
        .map(|m| m.len())
        .sum();
    println!();
    println!(
        "{} (one process per rendition, as scripted), median of {VIPS_ROUNDS} rounds:",
        String::from_utf8_lossy(&version.stdout).trim()
    );
    for (t, times) in ts.iter().zip(per_target) {
        println!("  {:<40} {:8.1} ms", t.file_name(), median(times));
    }
    println!(
        "  {:<40} {vips_sum:8.1} ms   (rounds: {})   peak RSS {:.1} MiB (largest process)   output {:.2} MB",
        "sum",
        sums.iter()
            .map(|t| format!("{t:.0}"))
            .collect::<Vec<_>>()
            .join(", "),
        vips_rss as f64 / 1024.0,
        vips_out as f64 / 1_048_576.0
    );
    println!();
    println!(
        "ratio: owlery-media {ours:.1} ms vs vipsthumbnail {vips_sum:.1} ms = {:.2}x the time ({:.2}x faster); peak RSS {:.2}x vips' largest process",
        ours / vips_sum,
        vips_sum / ours,
        ours_rss as f64 / vips_rss.max(1) as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
