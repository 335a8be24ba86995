//! The pipeline end to end on small images made here: orientation, bad files, renditions and
//! their byte limits, and a hand-made MP4 checked against placements.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;

use image::{ImageEncoder, RgbImage, RgbaImage};
use owlery_domain::spec::{MediaKind, Severity, Specs};
use owlery_media::*;

/// A photo-like test image: gradients plus a little texture.
fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let t = ((x * 7 + y * 13) % 17) as u8;
        image::Rgb([
            (x * 255 / w.max(1)) as u8 ^ t,
            (y * 255 / h.max(1)) as u8,
            ((x + y) % 256) as u8,
        ])
    })
}

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A minimal EXIF APP1 segment (little-endian TIFF, one IFD entry: Orientation), inserted
/// right after SOI.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = vec![0xFF, 0xE1];
    let len = u16::try_from(2 + 6 + tiff.len()).unwrap();
    app1.extend_from_slice(&len.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    [&jpeg[..2], &app1[..], &jpeg[2..]].concat()
}

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn exif_orientation_six_swaps_width_and_height() {
    // Stored landscape 64×32 with a red left column; Orientation 6 = rotate 90° clockwise.
    let mut img = photo(64, 32);
    for y in 0..32 {
        for x in 0..8 {
            img.put_pixel(x, y, image::Rgb([255, 0, 0]));
        }
    }
    let file = with_orientation(&jpeg(&img, 95), 6);
    let p = probe(&file, Some("phone.jpg"), &limits()).unwrap();
    assert_eq!((p.width, p.height, p.orientation), (32, 64, 6));
    assert_eq!(p.format, Format::Jpeg);
    assert_eq!(p.kind, MediaKind::Image);
    let d = decode(&file, &limits()).unwrap();
    assert_eq!((d.width(), d.height()), (32, 64));
    // After rotating clockwise, the stored left column is the top row.
    let top = d.thumbnail(64).unwrap();
    let top = image::load_from_memory(&top).unwrap().to_rgb8();
    let px = top.get_pixel(16, 1);
    assert!(
        px[0] > 180 && px[1] < 90,
        "top row should be red, is {px:?}"
    );
}

#[test]
fn a_truncated_jpeg_is_refused() {
    let file = jpeg(&photo(200, 150), 90);
    let cut = &file[..file.len() * 2 / 3];
    let e = probe(cut, Some("a.jpg"), &limits()).unwrap_err();
    assert_eq!(e.code(), "truncated", "{e}");
    assert!(e.to_string().contains("cut short"), "{e}");
    assert_eq!(decode(cut, &limits()).unwrap_err().code(), "truncated");
    // Cut inside the header too.
    assert!(decode(&file[..40], &limits()).is_err());
}

#[test]
fn a_png_claiming_100000_square_is_refused_before_decoding() {
    // A valid signature and IHDR claiming 100000×100000, then nothing: decoding would need 30 GB.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&ihdr);
    let crc = crc32(&chunk);
    let mut file = b"\x89PNG\r\n\x1a\n".to_vec();
    file.extend_from_slice(&13u32.to_be_bytes());
    file.extend_from_slice(&chunk);
    file.extend_from_slice(&crc.to_be_bytes());
    let e = probe(&file, None, &limits()).unwrap_err();
    assert_eq!(e.code(), "dimensions_too_large", "{e}");
    assert!(e.to_string().contains("100000×100000"), "{e}");
    assert_eq!(
        decode(&file, &limits()).unwrap_err().code(),
        "dimensions_too_large"
    );
    // Within the side limit but over the pixel limit.
    let small = Limits {
        max_pixels: 1_000,
        ..Limits::default()
    };
    let e = probe(&png(&photo(50, 50)), None, &small).unwrap_err();
    assert_eq!(e.code(), "too_many_pixels", "{e}");
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_png_named_jpg_is_a_mismatch() {
    let file = png(&photo(40, 30));
    let e = probe(&file, Some("holiday.JPG"), &limits()).unwrap_err();
    assert_eq!(e.code(), "type_mismatch");
    assert_eq!(
        e.to_string(),
        "The file is named .jpg but its contents are PNG; rename it to .png or export it again."
    );
    // Without a name, or with the right one, it is fine.
    assert_eq!(probe(&file, None, &limits()).unwrap().format, Format::Png);
    assert_eq!(probe(&file, Some("x.png"), &limits()).unwrap().width, 40);
}

#[test]
fn heic_unknown_empty_and_oversized_inputs() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    let e = probe(&heic, Some("IMG_0001.HEIC"), &limits()).unwrap_err();
    assert_eq!(e.to_string(), "HEIC is not supported yet; export as JPEG.");
    assert_eq!(e.code(), "heic_not_supported");
    // iPhones sometimes name HEIC files .jpg: the HEIC message still wins.
    assert_eq!(
        probe(&heic, Some("a.jpg"), &limits()).unwrap_err().code(),
        "heic_not_supported"
    );
    assert_eq!(
        probe(b"hello", None, &limits()).unwrap_err().code(),
        "unknown_type"
    );
    assert_eq!(
        probe(b"", None, &limits()).unwrap_err().code(),
        "empty_file"
    );
    let tiny = Limits {
        max_input_bytes: 10,
        ..Limits::default()
    };
    let e = probe(&png(&photo(4, 4)), None, &tiny).unwrap_err();
    assert_eq!(e.code(), "file_too_large");
}

#[test]
fn transparent_png_becomes_white_behind() {
    let img = RgbaImage::from_pixel(20, 20, image::Rgba([0, 0, 0, 0]));
    let mut file = Vec::new();
    image::codecs::png::PngEncoder::new(&mut file)
        .write_image(img.as_raw(), 20, 20, image::ExtendedColorType::Rgba8)
        .unwrap();
    let d = decode(&file, &limits()).unwrap();
    let thumb = image::load_from_memory(&d.thumbnail(20).unwrap())
        .unwrap()
        .to_rgb8();
    assert!(thumb.get_pixel(10, 10)[0] > 245);
}

#[test]
fn webp_is_read() {
    let img = photo(30, 20);
    let mut file = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut file)
        .write_image(img.as_raw(), 30, 20, image::ExtendedColorType::Rgb8)
        .unwrap();
    let p = probe(&file, Some("a.webp"), &limits()).unwrap();
    assert_eq!((p.format, p.width, p.height), (Format::Webp, 30, 20));
    assert_eq!(decode(&file, &limits()).unwrap().width(), 30);
}

fn target(w: u32, h: u32, max: Option<u64>) -> Target {
    Target {
        network: "test".to_owned(),
        placement: "p".to_owned(),
        width: w,
        height: h,
        max_bytes: max,
        format: Format::Jpeg,
    }
}

#[test]
fn renditions_have_the_target_size_and_fit_their_byte_limits() {
    let d = Decoded::from_rgb(photo(1200, 800));
    let specs = Specs::embedded().unwrap();
    let all = targets(&specs, &[]);
    assert!(all.len() >= 6, "{all:?}");
    let results = d.render(&all, FocalPoint::CENTRE);
    assert_eq!(results.len(), all.len());
    for (t, r) in all.iter().zip(&results) {
        let r = r.as_ref().unwrap();
        assert_eq!(&r.target, t);
        // Never enlarged; same shape as the target.
        assert!(r.width <= t.width && r.height <= t.height);
        let want = f64::from(r.width) * f64::from(t.height) / f64::from(t.width);
        assert!((f64::from(r.height) - want).abs() <= 1.0, "{r:?}");
        if let Some(max) = t.max_bytes {
            assert!(r.bytes.len() as u64 <= max);
        }
        let back = image::load_from_memory(&r.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (r.width, r.height));
        assert!(r.quality.is_some());
    }
    // A big source gets exactly the target sizes.
    let big = Decoded::from_rgb(photo(2400, 2400));
    let r = big.render(&[target(1080, 1350, None)], FocalPoint::CENTRE);
    let r = r[0].as_ref().unwrap();
    assert_eq!((r.width, r.height, r.quality), (1080, 1350, Some(85)));
    assert_eq!(
        r.crop,
        Rect {
            x: 240,
            y: 0,
            width: 1920,
            height: 2400
        }
    );
}

#[test]
fn the_quality_falls_to_meet_a_limit_and_says_when_it_cannot() {
    // Noise compresses badly.
    let mut seed = 1u32;
    let noisy = RgbImage::from_fn(600, 600, |_, _| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let b = seed.to_le_bytes();
        image::Rgb([b[1], b[2], b[3]])
    });
    let d = Decoded::from_rgb(noisy);
    let at85 = d.render(&[target(600, 600, None)], FocalPoint::CENTRE);
    let full = at85[0].as_ref().unwrap().bytes.len() as u64;
    let r = d.render(&[target(600, 600, Some(full * 3 / 4))], FocalPoint::CENTRE);
    let r = r[0].as_ref().unwrap();
    assert!(r.quality.unwrap() < 85);
    assert!(r.bytes.len() as u64 <= full * 3 / 4);
    let r = d.render(&[target(600, 600, Some(1_000))], FocalPoint::CENTRE);
    let e = r[0].as_ref().unwrap_err();
    assert_eq!(e.code(), "over_byte_limit");
    assert!(e.to_string().contains("quality 40"), "{e}");
    assert!(e.to_string().contains("allows 1000 bytes"), "{e}");
}

#[test]
fn the_focal_point_moves_the_crop_and_auto_focal_finds_detail() {
    let d = Decoded::from_rgb(photo(400, 200));
    let left = d.render(&[target(100, 100, None)], FocalPoint { x: 0.0, y: 0.5 });
    assert_eq!(left[0].as_ref().unwrap().crop.x, 0);
    let right = d.render(&[target(100, 100, None)], FocalPoint { x: 1.0, y: 0.5 });
    assert_eq!(right[0].as_ref().unwrap().crop.x, 200);
    // A flat image with a busy patch at the lower left.
    let mut img = RgbImage::from_pixel(800, 400, image::Rgb([120, 140, 160]));
    for y in 250..380 {
        for x in 40..200 {
            let v = if (x / 4 + y / 4) % 2 == 0 { 0 } else { 255 };
            img.put_pixel(x, y, image::Rgb([v, v, v]));
        }
    }
    let f = Decoded::from_rgb(img).auto_focal();
    assert!(f.x < 0.35 && f.y > 0.6, "{f:?}");
}

#[test]
fn targets_follow_the_spec_file() {
    let specs = Specs::embedded().unwrap();
    let ig = targets(&specs, &["instagram"]);
    assert!(
        ig.iter()
            .all(|t| t.network == "instagram" && t.format == Format::Jpeg)
    );
    assert!(
        ig.iter()
            .any(|t| (t.placement.as_str(), t.width, t.height) == ("feed", 1080, 1350))
    );
    assert!(
        ig.iter()
            .any(|t| (t.placement.as_str(), t.width, t.height) == ("story", 1080, 1920))
    );
    assert!(ig.iter().all(|t| t.max_bytes == Some(8_388_608)));
    // Reels take only video.
    assert!(!ig.iter().any(|t| t.placement == "reel"));
    assert!(targets(&specs, &["no-such-network"]).is_empty());
    assert_eq!(ig[0].file_name(), "instagram-feed-1080x1350.jpg");
}

#[test]
fn a_hand_made_mp4_is_probed() {
    let file = mp4(1920, 1080, 12_500, 30, b"avc1");
    let p = probe(&file, Some("clip.mp4"), &limits()).unwrap();
    assert_eq!(p.format, Format::Mp4);
    assert_eq!(p.kind, MediaKind::Video);
    assert_eq!((p.width, p.height), (1920, 1080));
    assert_eq!(p.duration_ms, Some(12_500));
    assert_eq!(p.video_codec.as_deref(), Some("avc1"));
    assert_eq!(p.frame_rate, Some(30.0));
    assert_eq!(p.bytes, file.len() as u64);
    let facts = p.facts(Some("a clip".to_owned()));
    assert_eq!(facts.format, "mp4");
    assert_eq!(facts.duration_ms, Some(12_500));
    assert_eq!(
        decode(&file, &limits()).unwrap_err().code(),
        "not_renderable"
    );
    // The same movie with a QuickTime brand is a MOV; .mov and .mp4 names are both accepted.
    let mut mov = file.clone();
    mov[8..12].copy_from_slice(b"qt  ");
    let p = probe(&mov, Some("clip.mp4"), &limits()).unwrap();
    assert_eq!(
        (p.format, p.format.mime()),
        (Format::Mov, "video/quicktime")
    );
    // But a movie named .jpg is not.
    let e = probe(&mov, Some("clip.jpg"), &limits()).unwrap_err();
    assert_eq!(e.code(), "type_mismatch");
}

#[test]
fn a_wide_video_is_wrong_for_reels_and_a_short_one_for_tiktok() {
    let specs = Specs::embedded().unwrap();
    let reel = specs.placement("instagram", "reel").unwrap();
    let wide = probe(&mp4(1920, 1080, 12_500, 30, b"avc1"), None, &limits()).unwrap();
    let f = validate_video(&wide, reel);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].code, "aspect_out_of_range");
    assert_eq!(f[0].severity, Severity::Error);
    assert!(
        f[0].message.contains("Reels need 9:16; this is 16:9"),
        "{}",
        f[0].message
    );

    let tiktok = specs.placement("tiktok", "video").unwrap();
    let short = probe(&mp4(1080, 1920, 1_200, 30, b"hvc1"), None, &limits()).unwrap();
    let f = validate_video(&short, tiktok);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        f[0].message,
        "TikTok videos must be at least 3 s; this is 1.2 s."
    );
    assert_eq!((f[0].limit, f[0].actual), (Some(3_000), Some(1_200)));

    let upright = probe(&mp4(1080, 1920, 20_000, 30, b"avc1"), None, &limits()).unwrap();
    assert!(validate_video(&upright, reel).is_empty());
    assert!(validate_video(&upright, tiktok).is_empty());
    // An image placement takes no video.
    let feed = specs.placement("instagram", "feed").unwrap();
    let f = validate_video(&upright, feed);
    assert!(
        f.iter().any(|f| f.code == "media_kind_not_allowed"),
        "{f:?}"
    );
}

/// The same minimal MP4 as the crate's unit tests build (kept here so this file stands alone).
fn mp4(width: u16, height: u16, duration_ms: u32, fps: u32, codec: &[u8; 4]) -> Vec<u8> {
    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(body.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }
    fn full(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        bx(kind, &[&[0, 0, 0, 0], body].concat())
    }
    let be = |v: &[u32]| v.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<u8>>();
    let ts = 15_360u32;
    let media = duration_ms * (ts / 1000) + duration_ms * (ts % 1000) / 1000;
    let ftyp = [
        b"isom".as_slice(),
        &512u32.to_be_bytes(),
        b"isomiso2avc1mp41",
    ]
    .concat();
    let mvhd = [be(&[0, 0, 1000, duration_ms]), vec![0; 80]].concat();
    let matrix = be(&[0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000]);
    let tkhd = [
        be(&[0, 0, 1, 0, duration_ms]),
        vec![0; 16],
        matrix,
        be(&[u32::from(width) << 16, u32::from(height) << 16]),
    ]
    .concat();
    let mdhd = [be(&[0, 0, ts, media]), vec![0x55, 0xC4, 0, 0]].concat();
    let hdlr = [
        vec![0; 4],
        b"vide".to_vec(),
        vec![0; 12],
        b"VideoHandler\0".to_vec(),
    ]
    .concat();
    let entry = [
        vec![0; 6],
        1u16.to_be_bytes().to_vec(),
        vec![0; 16],
        width.to_be_bytes().to_vec(),
        height.to_be_bytes().to_vec(),
        vec![0; 50],
    ]
    .concat();
    let stsd = [be(&[1]), bx(codec, &entry)].concat();
    let delta = ts / fps;
    let stts = be(&[1, media / delta, delta]);
    let stbl = bx(
        b"stbl",
        &[full(b"stsd", &stsd), full(b"stts", &stts)].concat(),
    );
    let mdia = [
        full(b"mdhd", &mdhd),
        full(b"hdlr", &hdlr),
        bx(b"minf", &stbl),
    ]
    .concat();
    let trak = [full(b"tkhd", &tkhd), bx(b"mdia", &mdia)].concat();
    let moov = [full(b"mvhd", &mvhd), bx(b"trak", &trak)].concat();
    [
        bx(b"ftyp", &ftyp),
        bx(b"moov", &moov),
        bx(b"mdat", &[0; 64]),
    ]
    .concat()
}

#[test]
fn probe_never_panics_on_damaged_files() {
    let files = [
        jpeg(&photo(64, 48), 80),
        png(&photo(64, 48)),
        mp4(640, 360, 2_000, 25, b"av01"),
    ];
    let mut seed = 7u32;
    for file in &files {
        for round in 0..300 {
            let mut f = file.clone();
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let at = seed as usize % f.len();
            f[at] = (seed >> 16) as u8;
            if round % 3 == 0 {
                f.truncate(at.max(1));
            }
            let _ = probe(&f, None, &limits());
            let _ = decode(&f, &limits());
        }
    }
    let _ = Cursor::new(());
}
