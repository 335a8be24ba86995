//! A small ISO-BMFF (MP4/MOV) box reader: just enough of `moov` to know a video's duration,
//! display size, codec and frame rate without decoding anything.
//!
//! Every read is bounds-checked (`get`, checked arithmetic): a malformed or hostile file yields
//! an error, never a panic, and nothing is allocated in proportion to what a header claims.
//! Boxes read: `ftyp`, `moov/mvhd`, `moov/trak/{tkhd, mdia/{mdhd, hdlr, minf/stbl/{stsd, stts}}}`;
//! 64-bit sizes (`size == 1`), to-the-end boxes (`size == 0`) and `uuid` boxes are understood.
//! We wrote it rather than take a crate: the maintained MP4 crates either parse whole sample
//! tables eagerly (memory in proportion to the header's claims) or pull in much more than this.

/// What went wrong inside the container, for the person (wrapped in `MediaError` by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BmffError {
    /// A box claims more bytes than the file has, or the movie header is missing after media data.
    Truncated,
    /// Anything else malformed, with what.
    Malformed(String),
    /// A well-formed file without a video track.
    NoVideoTrack,
}

/// What the container says about the video.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// The `ftyp` major brand ("isom", "qt  " …), if there is an `ftyp`.
    pub brand: Option<String>,
    pub duration_ms: Option<u64>,
    /// Display size after the track matrix' rotation.
    pub width: u32,
    pub height: u32,
    /// Clockwise rotation in degrees found in the track matrix (0, 90, 180, 270).
    pub rotation: u16,
    /// The sample entry's four-character code: avc1, hvc1, hev1, av01, vp09 …
    pub codec: String,
    pub frame_rate: Option<f64>,
}

/// One box: its type and its body (the bytes after the header).
#[derive(Debug, Clone, Copy)]
pub struct BoxRef<'a> {
    pub kind: [u8; 4],
    pub body: &'a [u8],
}

/// Iterates the boxes laid one after another in `data`. Stops after the first error.
pub struct Boxes<'a> {
    rest: &'a [u8],
    failed: bool,
}

pub fn boxes(data: &[u8]) -> Boxes<'_> {
    Boxes {
        rest: data,
        failed: false,
    }
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_be_bytes(s.try_into().ok()?))
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(s.try_into().ok()?))
}

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(i32::from_be_bytes(s.try_into().ok()?))
}

fn fourcc(kind: [u8; 4]) -> String {
    kind.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                char::from(c)
            } else {
                '?'
            }
        })
        .collect()
}

impl<'a> Boxes<'a> {
    fn next_box(&mut self) -> Result<Option<BoxRef<'a>>, BmffError> {
        let data = self.rest;
        if data.is_empty() {
            return Ok(None);
        }
        let size32 = be_u32(data, 0).ok_or(BmffError::Truncated)?;
        let kind: [u8; 4] = data
            .get(4..8)
            .and_then(|k| k.try_into().ok())
            .ok_or(BmffError::Truncated)?;
        let (mut header, size): (usize, u64) = match size32 {
            1 => (16, be_u64(data, 8).ok_or(BmffError::Truncated)?),
            0 => (8, data.len() as u64),
            n => (8, u64::from(n)),
        };
        if &kind == b"uuid" {
            header += 16;
        }
        if size < header as u64 {
            return Err(BmffError::Malformed(format!(
                "the `{}` box says it is {size} bytes, less than its own header",
                fourcc(kind)
            )));
        }
        let size = usize::try_from(size).map_err(|_| BmffError::Truncated)?;
        let whole = data.get(..size).ok_or(BmffError::Truncated)?;
        let body = whole.get(header..).ok_or(BmffError::Truncated)?;
        self.rest = data.get(size..).unwrap_or_default();
        Ok(Some(BoxRef { kind, body }))
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<BoxRef<'a>, BmffError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_box() {
            Ok(Some(b)) => Some(Ok(b)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The first child of `kind` in `data` (a box body holding boxes).
fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>, BmffError> {
    for b in boxes(data) {
        let b = b?;
        if &b.kind == kind {
            return Ok(Some(b.body));
        }
    }
    Ok(None)
}

fn malformed(what: &str) -> BmffError {
    BmffError::Malformed(format!("the `{what}` box is too short"))
}

/// (timescale, duration) from an `mvhd` or `mdhd` body (both share this layout).
fn timescale_duration(body: &[u8], what: &str) -> Result<(u32, Option<u64>), BmffError> {
    let version = *body.first().ok_or_else(|| malformed(what))?;
    let (timescale, duration) = if version == 1 {
        let ts = be_u32(body, 20).ok_or_else(|| malformed(what))?;
        let d = be_u64(body, 24).ok_or_else(|| malformed(what))?;
        (ts, (d != u64::MAX).then_some(d))
    } else {
        let ts = be_u32(body, 12).ok_or_else(|| malformed(what))?;
        let d = be_u32(body, 16).ok_or_else(|| malformed(what))?;
        (ts, (d != u32::MAX).then_some(u64::from(d)))
    };
    Ok((timescale, duration))
}

fn to_ms(duration: u64, timescale: u32) -> Option<u64> {
    if timescale == 0 {
        return None;
    }
    let ms = u128::from(duration) * 1000 / u128::from(timescale);
    u64::try_from(ms).ok()
}

struct Track {
    handler: [u8; 4],
    width: u32,
    height: u32,
    rotation: u16,
    codec: Option<[u8; 4]>,
    entry_size: Option<(u16, u16)>,
    timescale: u32,
    duration: Option<u64>,
    frame_rate: Option<f64>,
}

/// Width, height (16.16 fixed point, integer part) and rotation from a `tkhd` body.
fn tkhd(body: &[u8]) -> Result<(u32, u32, u16), BmffError> {
    let version = *body.first().ok_or_else(|| malformed("tkhd"))?;
    let matrix_at = if version == 1 { 52 } else { 40 };
    let m = |i: usize| be_i32(body, matrix_at + 4 * i).ok_or_else(|| malformed("tkhd"));
    let (a, b, c, d) = (m(0)?, m(1)?, m(3)?, m(4)?);
    let w = be_u32(body, matrix_at + 36).ok_or_else(|| malformed("tkhd"))? >> 16;
    let h = be_u32(body, matrix_at + 40).ok_or_else(|| malformed("tkhd"))? >> 16;
    // The matrix is [a b u; c d v; x y w]; a pure rotation has a = cos, b = sin, c = -sin, d = cos.
    let rotation = match (a.signum(), b.signum(), c.signum(), d.signum()) {
        (0, 1, -1, 0) => 90,
        (-1, 0, 0, -1) => 180,
        (0, -1, 1, 0) => 270,
        _ => 0,
    };
    Ok((w, h, rotation))
}

/// Frames per second from `stts`: samples ÷ (total delta ÷ timescale).
fn stts_rate(body: &[u8], timescale: u32) -> Option<f64> {
    let count = be_u32(body, 4)?;
    let mut samples: u64 = 0;
    let mut ticks: u64 = 0;
    // Bounded by the body, whatever `count` claims.
    for i in 0..usize::try_from(count).ok()? {
        let at = 8usize.checked_add(i.checked_mul(8)?)?;
        let (Some(n), Some(delta)) = (be_u32(body, at), be_u32(body, at + 4)) else {
            break;
        };
        samples = samples.saturating_add(u64::from(n));
        ticks = ticks.saturating_add(u64::from(n).saturating_mul(u64::from(delta)));
    }
    if samples == 0 || ticks == 0 || timescale == 0 {
        return None;
    }
    let fps = samples as f64 * f64::from(timescale) / ticks as f64;
    Some((fps * 1000.0).round() / 1000.0)
}

fn track(trak: &[u8]) -> Result<Track, BmffError> {
    let (width, height, rotation) = match child(trak, b"tkhd")? {
        Some(b) => tkhd(b)?,
        None => (0, 0, 0),
    };
    let mut t = Track {
        handler: [0; 4],
        width,
        height,
        rotation,
        codec: None,
        entry_size: None,
        timescale: 0,
        duration: None,
        frame_rate: None,
    };
    let Some(mdia) = child(trak, b"mdia")? else {
        return Ok(t);
    };
    if let Some(hdlr) = child(mdia, b"hdlr")? {
        t.handler = hdlr
            .get(8..12)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| malformed("hdlr"))?;
    }
    if let Some(mdhd) = child(mdia, b"mdhd")? {
        (t.timescale, t.duration) = timescale_duration(mdhd, "mdhd")?;
    }
    let Some(stbl) = child(mdia, b"minf")?
        .map(|minf| child(minf, b"stbl"))
        .transpose()?
        .flatten()
    else {
        return Ok(t);
    };
    if let Some(stsd) = child(stbl, b"stsd")? {
        // version/flags, entry_count, then sample entries as boxes; the first one names the codec.
        if let Some(Ok(entry)) = boxes(stsd.get(8..).unwrap_or_default()).next() {
            t.codec = Some(entry.kind);
            // VisualSampleEntry: 8 bytes SampleEntry + 16 pre-defined/reserved, then width, height.
            if let (Some(w), Some(h)) = (be_u16(entry.body, 24), be_u16(entry.body, 26)) {
                t.entry_size = Some((w, h));
            }
        }
    }
    if let Some(stts) = child(stbl, b"stts")? {
        t.frame_rate = stts_rate(stts, t.timescale);
    }
    Ok(t)
}

/// Reads a whole MP4/MOV file held in memory.
pub fn read_video(data: &[u8]) -> Result<VideoInfo, BmffError> {
    let mut brand = None;
    let mut moov = None;
    let mut saw_media = false;
    for b in boxes(data) {
        let b = match b {
            Ok(b) => b,
            // A cut-short final box (usually `mdat`) is harmless once the movie header is read.
            Err(BmffError::Truncated) if moov.is_some() => break,
            Err(e) => return Err(e),
        };
        match &b.kind {
            b"ftyp" => brand = b.body.get(..4).and_then(|k| k.try_into().ok()).map(fourcc),
            b"moov" => moov = Some(b.body),
            b"mdat" => saw_media = true,
            _ => {}
        }
    }
    let Some(moov) = moov else {
        return Err(if saw_media {
            BmffError::Truncated
        } else {
            BmffError::Malformed("there is no movie header (`moov` box)".to_owned())
        });
    };
    let movie = match child(moov, b"mvhd")? {
        Some(mvhd) => Some(timescale_duration(mvhd, "mvhd")?),
        None => None,
    };
    let mut video = None;
    for b in boxes(moov) {
        let b = b?;
        if &b.kind == b"trak" {
            let t = track(b.body)?;
            if &t.handler == b"vide" {
                video = Some(t);
                break;
            }
        }
    }
    let video = video.ok_or(BmffError::NoVideoTrack)?;
    let duration_ms = movie
        .and_then(|(ts, d)| d.filter(|d| *d > 0).and_then(|d| to_ms(d, ts)))
        .or_else(|| video.duration.and_then(|d| to_ms(d, video.timescale)));
    let (mut width, mut height) = (video.width, video.height);
    if width == 0 || height == 0 {
        let (w, h) = video.entry_size.unwrap_or((0, 0));
        (width, height) = (u32::from(w), u32::from(h));
    }
    if video.rotation % 180 == 90 {
        (width, height) = (height, width);
    }
    Ok(VideoInfo {
        brand,
        duration_ms,
        width,
        height,
        rotation: video.rotation,
        codec: video.codec.map(fourcc).unwrap_or_default(),
        frame_rate: video.frame_rate,
    })
}

/// Builders for hand-made MP4 files (tests here and in the crate's other tests).
#[cfg(test)]
pub(crate) mod build {
    pub fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(body.len() + 8);
        let size = u32::try_from(body.len() + 8).unwrap_or(u32::MAX);
        v.extend_from_slice(&size.to_be_bytes());
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    pub fn full(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
        let mut b = vec![version, 0, 0, 0];
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    const IDENTITY: [i32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];
    pub const ROT90: [i32; 9] = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x4000_0000];

    /// A minimal MP4: ftyp + moov(mvhd, trak(tkhd, mdia(mdhd, hdlr, minf(stbl(stsd, stts)))))
    /// and a small mdat. `fps` frames per second at timescale 15360 (an exact divisor for 30/60).
    pub fn mp4(
        width: u16,
        height: u16,
        duration_ms: u32,
        fps: u32,
        codec: &[u8; 4],
        rotation_matrix: Option<[i32; 9]>,
    ) -> Vec<u8> {
        let timescale: u32 = 15_360;
        let mut ftyp = b"isom".to_vec();
        ftyp.extend_from_slice(&512u32.to_be_bytes());
        ftyp.extend_from_slice(b"isomiso2avc1mp41");
        // mvhd v0: creation, modification, timescale (1000), duration, then rate… (zeros ok).
        let mut mvhd = Vec::new();
        for v in [0u32, 0, 1000, duration_ms] {
            mvhd.extend_from_slice(&v.to_be_bytes());
        }
        mvhd.extend_from_slice(&[0; 80]);
        // tkhd v0: creation, modification, track id, reserved, duration, 8 reserved, layer,
        // alternate group, volume, reserved, matrix, width, height.
        let mut tkhd = Vec::new();
        for v in [0u32, 0, 1, 0, duration_ms] {
            tkhd.extend_from_slice(&v.to_be_bytes());
        }
        tkhd.extend_from_slice(&[0; 16]);
        for m in rotation_matrix.unwrap_or(IDENTITY) {
            tkhd.extend_from_slice(&m.to_be_bytes());
        }
        tkhd.extend_from_slice(&(u32::from(width) << 16).to_be_bytes());
        tkhd.extend_from_slice(&(u32::from(height) << 16).to_be_bytes());
        let media_duration = u64::from(duration_ms) * u64::from(timescale) / 1000;
        let mut mdhd = Vec::new();
        for v in [
            0u32,
            0,
            timescale,
            u32::try_from(media_duration).unwrap_or(0),
        ] {
            mdhd.extend_from_slice(&v.to_be_bytes());
        }
        mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]);
        let mut hdlr = vec![0; 4];
        hdlr.extend_from_slice(b"vide");
        hdlr.extend_from_slice(&[0; 12]);
        hdlr.extend_from_slice(b"VideoHandler\0");
        let mut entry = vec![0; 6];
        entry.extend_from_slice(&1u16.to_be_bytes());
        entry.extend_from_slice(&[0; 16]);
        entry.extend_from_slice(&width.to_be_bytes());
        entry.extend_from_slice(&height.to_be_bytes());
        entry.extend_from_slice(&[0; 50]);
        let mut stsd = 1u32.to_be_bytes().to_vec();
        stsd.extend_from_slice(&bx(codec, &entry));
        let delta = timescale / fps.max(1);
        let frames = u32::try_from(media_duration / u64::from(delta.max(1))).unwrap_or(0);
        let mut stts = 1u32.to_be_bytes().to_vec();
        stts.extend_from_slice(&frames.to_be_bytes());
        stts.extend_from_slice(&delta.to_be_bytes());
        let stbl = [full(b"stsd", 0, &stsd), full(b"stts", 0, &stts)].concat();
        let minf = bx(b"stbl", &stbl);
        let mdia = [
            full(b"mdhd", 0, &mdhd),
            full(b"hdlr", 0, &hdlr),
            bx(b"minf", &minf),
        ]
        .concat();
        let trak = [full(b"tkhd", 0, &tkhd), bx(b"mdia", &mdia)].concat();
        let moov = [full(b"mvhd", 0, &mvhd), bx(b"trak", &trak)].concat();
        [
            bx(b"ftyp", &ftyp),
            bx(b"moov", &moov),
            bx(b"mdat", &[0; 64]),
        ]
        .concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_hand_made_mp4_reads_back() {
        let file = mp4(1920, 1080, 12_500, 30, b"avc1", None);
        let v = read_video(&file).unwrap();
        assert_eq!(v.brand.as_deref(), Some("isom"));
        assert_eq!(v.duration_ms, Some(12_500));
        assert_eq!((v.width, v.height), (1920, 1080));
        assert_eq!(v.codec, "avc1");
        assert_eq!(v.frame_rate, Some(30.0));
        assert_eq!(v.rotation, 0);
    }

    #[test]
    fn the_rotation_matrix_swaps_the_display_size() {
        let file = mp4(1920, 1080, 4_000, 60, b"hvc1", Some(ROT90));
        let v = read_video(&file).unwrap();
        assert_eq!((v.width, v.height, v.rotation), (1080, 1920, 90));
        assert_eq!(v.codec, "hvc1");
        assert_eq!(v.frame_rate, Some(60.0));
    }

    #[test]
    fn sixty_four_bit_and_to_the_end_sizes() {
        let mut large = 1u32.to_be_bytes().to_vec();
        large.extend_from_slice(b"free");
        large.extend_from_slice(&20u64.to_be_bytes());
        large.extend_from_slice(&[0; 4]);
        let mut rest = 0u32.to_be_bytes().to_vec();
        rest.extend_from_slice(b"mdat");
        rest.extend_from_slice(&[7; 10]);
        let data = [large, rest].concat();
        let got: Vec<_> = boxes(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(&got[0].kind, b"free");
        assert_eq!(got[0].body.len(), 4);
        assert_eq!(got[1].body, &[7; 10]);
    }

    #[test]
    fn lies_and_truncation_are_errors() {
        // Claims 1 GiB.
        let mut lie = 0x4000_0000u32.to_be_bytes().to_vec();
        lie.extend_from_slice(b"moov");
        assert_eq!(read_video(&lie), Err(BmffError::Truncated));
        // Smaller than its header.
        let mut tiny = 4u32.to_be_bytes().to_vec();
        tiny.extend_from_slice(b"moov");
        assert!(matches!(read_video(&tiny), Err(BmffError::Malformed(_))));
        // Cut in the middle of the movie header.
        let file = mp4(640, 360, 1_000, 25, b"avc1", None);
        let cut = &file[..file.len() / 2];
        assert!(read_video(cut).is_err());
        // Media data but no movie header (a recording that was interrupted).
        let mdat_only = build::bx(b"mdat", &[0; 32]);
        assert_eq!(read_video(&mdat_only), Err(BmffError::Truncated));
    }

    #[test]
    fn audio_only_is_not_a_video() {
        let file = mp4(0, 0, 1_000, 25, b"mp4a", None);
        let file = {
            // Rewrite the handler type from vide to soun.
            let mut f = file;
            if let Some(at) = f.windows(4).position(|w| w == b"vide") {
                f[at..at + 4].copy_from_slice(b"soun");
            }
            f
        };
        assert_eq!(read_video(&file), Err(BmffError::NoVideoTrack));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = read_video(&data);
        }

        #[test]
        fn damaged_real_files_never_panic(
            at in 0usize..400,
            byte in any::<u8>(),
            cut in 0usize..400,
        ) {
            let mut file = mp4(1280, 720, 3_000, 30, b"avc1", None);
            if let Some(b) = file.get_mut(at) {
                *b = byte;
            }
            file.truncate(cut.max(1).min(file.len()));
            let _ = read_video(&file);
        }
    }
}
