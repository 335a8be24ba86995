//! `owlery media render` through the real binary: renditions on disk, one line each, and clear
//! refusals with a non-zero exit status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use image::{ImageEncoder, RgbImage};

const BIN: &str = env!("CARGO_BIN_EXE_owlery");

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p =
            std::env::temp_dir().join(format!("owlery-media-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x ^ y) % 256) as u8,
        ])
    })
}

fn write_jpeg(path: &Path, img: &RgbImage) {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    std::fs::write(path, out).unwrap();
}

fn owlery(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn renders_every_placement_of_the_chosen_networks() {
    let d = Dir::new("render");
    write_jpeg(&d.0.join("photo.jpg"), &photo(1600, 1200));
    let o = owlery(
        &d.0,
        &[
            "media",
            "render",
            "photo.jpg",
            "--out",
            "out",
            "--network",
            "instagram,linkedin",
            "--focal",
            "0.4,0.5",
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let mut files: Vec<String> = std::fs::read_dir(d.0.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(lines.len(), files.len(), "{stdout}");
    assert!(
        files.contains(&"instagram-feed-1080x1350.jpg".to_owned()),
        "{files:?}"
    );
    assert!(
        files.contains(&"instagram-story-1080x1920.jpg".to_owned()),
        "{files:?}"
    );
    assert!(
        files.contains(&"linkedin-post-1200x627.jpg".to_owned()),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .all(|f| f.starts_with("instagram-") || f.starts_with("linkedin-"))
    );
    let story = lines
        .iter()
        .find(|l| l.contains("instagram-story-1080x1920.jpg"))
        .unwrap();
    // The source is 1200 high: a 9:16 crop of it is 675×1200, never enlarged.
    assert!(story.contains("675x1200"), "{story}");
    assert!(
        story.contains(" bytes") && story.contains("quality 85"),
        "{story}"
    );
    let jpeg = std::fs::read(d.0.join("out/linkedin-post-1200x627.jpg")).unwrap();
    let img = image::load_from_memory(&jpeg).unwrap();
    assert_eq!((img.width(), img.height()), (1200, 627));
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let d = Dir::new("bad");
    // A PNG named .jpg.
    let mut png = Vec::new();
    let img = photo(40, 30);
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(img.as_raw(), 40, 30, image::ExtendedColorType::Rgb8)
        .unwrap();
    std::fs::write(d.0.join("renamed.jpg"), &png).unwrap();
    let o = owlery(&d.0, &["media", "render", "renamed.jpg", "--out", "out"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("named .jpg but its contents are PNG"),
        "{stderr}"
    );

    // A JPEG cut short.
    write_jpeg(&d.0.join("whole.jpg"), &photo(300, 200));
    let whole = std::fs::read(d.0.join("whole.jpg")).unwrap();
    std::fs::write(d.0.join("cut.jpg"), &whole[..whole.len() / 2]).unwrap();
    let o = owlery(&d.0, &["media", "render", "cut.jpg", "--out", "out"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cut short"), "{stderr}");

    // Not an image at all; an unknown network; a focal point out of range.
    std::fs::write(d.0.join("notes.jpg"), b"just some text").unwrap();
    let o = owlery(&d.0, &["media", "render", "notes.jpg", "--out", "out"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an image or a video"));
    let o = owlery(
        &d.0,
        &[
            "media",
            "render",
            "whole.jpg",
            "--out",
            "out",
            "--network",
            "myspace",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown network myspace"));
    let o = owlery(
        &d.0,
        &[
            "media",
            "render",
            "whole.jpg",
            "--out",
            "out",
            "--focal",
            "1.5,0",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--focal"));
    assert!(
        !d.0.join("out").exists(),
        "nothing is written for refused input"
    );
}
