//! What a file is and how big, read from its header only (never a full decode).

use std::io::Cursor;

use image::{ImageDecoder, ImageError, ImageReader};
use owlery_domain::spec::{MediaFacts, MediaKind};

use crate::bmff::{self, BmffError};
use crate::{Format, Limits, MediaError};

/// The facts of one upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub format: Format,
    pub kind: MediaKind,
    /// As the person sees it: after EXIF orientation (images) or the track matrix (videos).
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// EXIF orientation 1..=8 (1 when absent; always 1 for videos).
    pub orientation: u8,
    pub duration_ms: Option<u64>,
    /// Sample entry code of the video track: avc1, hvc1, hev1, av01, vp09 …
    pub video_codec: Option<String>,
    pub frame_rate: Option<f64>,
}

impl Probe {
    /// The facts `owlery_domain::spec::validate` checks a draft with.
    pub fn facts(&self, alt: Option<String>) -> MediaFacts {
        MediaFacts {
            kind: self.kind,
            bytes: self.bytes,
            width: u64::from(self.width),
            height: u64::from(self.height),
            duration_ms: self.duration_ms,
            format: self.format.code().to_owned(),
            alt,
        }
    }
}

/// Sniffs, checks the declared name against the contents, and reads the header.
/// `declared_name` is only compared, never trusted.
pub fn probe(
    bytes: &[u8],
    declared_name: Option<&str>,
    limits: &Limits,
) -> Result<Probe, MediaError> {
    let format = sniff_checked(bytes, limits)?;
    if let Some(claimed) = declared_name.and_then(Format::from_name)
        && !claimed.compatible_with(format)
    {
        let extension = declared_name
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        return Err(MediaError::TypeMismatch {
            extension,
            actual: format,
        });
    }
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    match format {
        Format::Jpeg | Format::Png | Format::Webp => {
            let header = image_header(bytes, format, limits)?;
            let (width, height) = header.oriented();
            Ok(Probe {
                format,
                kind: MediaKind::Image,
                width,
                height,
                bytes: len,
                orientation: header.orientation,
                duration_ms: None,
                video_codec: None,
                frame_rate: None,
            })
        }
        Format::Gif => {
            // Logical screen descriptor: little-endian width and height after the signature.
            let dim = |at: usize| {
                bytes
                    .get(at..at + 2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
            };
            let (Some(width), Some(height)) = (dim(6), dim(8)) else {
                return Err(MediaError::Truncated { format });
            };
            let (width, height) = (u32::from(width), u32::from(height));
            check_nonempty(width, height, format)?;
            limits.check_dimensions(width, height)?;
            Ok(Probe {
                format,
                kind: MediaKind::Gif,
                width,
                height,
                bytes: len,
                orientation: 1,
                duration_ms: None,
                video_codec: None,
                frame_rate: None,
            })
        }
        Format::Mp4 | Format::Mov => {
            let v = bmff::read_video(bytes).map_err(|e| match e {
                BmffError::Truncated => MediaError::Truncated { format },
                BmffError::Malformed(detail) => MediaError::Corrupt { format, detail },
                BmffError::NoVideoTrack => MediaError::Unsupported {
                    what: format!("An {format} file without a video track (audio only?)"),
                },
            })?;
            Ok(Probe {
                format,
                kind: MediaKind::Video,
                width: v.width,
                height: v.height,
                bytes: len,
                orientation: 1,
                duration_ms: v.duration_ms,
                video_codec: Some(v.codec).filter(|c| !c.is_empty()),
                frame_rate: v.frame_rate,
            })
        }
        Format::Heic => Err(MediaError::HeicUnsupported),
    }
}

/// Input size, then the magic bytes; HEIC is refused here with its own message.
pub(crate) fn sniff_checked(bytes: &[u8], limits: &Limits) -> Result<Format, MediaError> {
    limits.check_input(bytes)?;
    match Format::sniff(bytes) {
        None => Err(MediaError::UnknownType),
        Some(Format::Heic) => Err(MediaError::HeicUnsupported),
        Some(f) => Ok(f),
    }
}

fn check_nonempty(width: u32, height: u32, format: Format) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt {
            format,
            detail: format!("its header says it is {width}×{height} pixels"),
        });
    }
    Ok(())
}

pub(crate) fn image_format(format: Format) -> Option<image::ImageFormat> {
    match format {
        Format::Jpeg => Some(image::ImageFormat::Jpeg),
        Format::Png => Some(image::ImageFormat::Png),
        Format::Webp => Some(image::ImageFormat::WebP),
        _ => None,
    }
}

/// The header of a still image, as stored (before orientation).
pub(crate) struct Header {
    pub width: u32,
    pub height: u32,
    pub orientation: u8,
}

impl Header {
    pub fn oriented(&self) -> (u32, u32) {
        if (5..=8).contains(&self.orientation) {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Opens a decoder far enough to read the header, and checks it against `limits`. The decoder
/// is handed to `then` (to decode) only once the header passed.
pub(crate) fn with_decoder<T>(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    then: impl FnOnce(Header, Box<dyn ImageDecoder + '_>) -> Result<T, MediaError>,
) -> Result<T, MediaError> {
    let fmt = image_format(format).ok_or(MediaError::NotRenderable { format })?;
    if let Some((w, h)) = crate::dims::header_dimensions(bytes, format) {
        check_nonempty(w, h, format)?;
        limits.check_dimensions(w, h)?;
    }
    if format == Format::Jpeg && !jpeg_is_complete(bytes) {
        return Err(MediaError::Truncated { format });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    // Header first with no limits of image's own, so that our own check (with its clearer
    // message) is the one that speaks; image::Limits is set before any pixel is decoded.
    reader.limits(image::Limits::no_limits());
    let mut decoder = reader.into_decoder().map_err(|e| image_error(format, e))?;
    let (width, height) = decoder.dimensions();
    check_nonempty(width, height, format)?;
    limits.check_dimensions(width, height)?;
    let orientation = decoder.orientation().map(|o| o.to_exif()).unwrap_or(1);
    let mut guard = image::Limits::default();
    guard.max_image_width = Some(limits.max_side);
    guard.max_image_height = Some(limits.max_side);
    // 8 bytes per pixel covers 16-bit RGBA, the widest colour type these codecs produce.
    guard.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    decoder
        .set_limits(guard)
        .map_err(|e| image_error(format, e))?;
    then(
        Header {
            width,
            height,
            orientation,
        },
        Box::new(decoder),
    )
}

fn image_header(bytes: &[u8], format: Format, limits: &Limits) -> Result<Header, MediaError> {
    with_decoder(bytes, format, limits, |header, _| Ok(header))
}

/// A JPEG must end with EOI (FF D9) after its image data. Lenient decoders fill a cut-short
/// file with grey; we would rather say it is cut short. Trailing bytes after EOI (some cameras
/// append data) are tolerated by looking in the last 64 KiB.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let tail = bytes.len().saturating_sub(65_536);
    bytes
        .get(tail..)
        .is_some_and(|t| t.windows(2).any(|w| w == [0xFF, 0xD9]))
}

pub(crate) fn image_error(format: Format, e: ImageError) -> MediaError {
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::Truncated { format }
        }
        ImageError::Limits(l) => MediaError::Corrupt {
            format,
            detail: format!("decoding it would exceed the memory allowed ({l})"),
        },
        ImageError::Unsupported(u) => MediaError::Unsupported {
            what: format!("This kind of {format} ({u})"),
        },
        other => {
            let detail = other.to_string();
            if detail.contains("EOF") || detail.to_ascii_lowercase().contains("eof") {
                MediaError::Truncated { format }
            } else {
                MediaError::Corrupt { format, detail }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn orientations_five_to_eight_swap_the_sides() {
        for o in 1..=8u8 {
            let h = Header {
                width: 40,
                height: 30,
                orientation: o,
            };
            let want = if o >= 5 { (30, 40) } else { (40, 30) };
            assert_eq!(h.oriented(), want, "orientation {o}");
        }
    }

    #[test]
    fn a_jpeg_needs_its_end_marker() {
        assert!(jpeg_is_complete(&[0xFF, 0xD8, 1, 2, 0xFF, 0xD9]));
        assert!(jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xD9, 0, 0, 0]));
        assert!(!jpeg_is_complete(&[0xFF, 0xD8, 1, 2, 3]));
    }

    fn magic() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(vec![0xFF, 0xD8, 0xFF]),
            Just(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
            Just(b"GIF89a".to_vec()),
            Just(b"RIFF\0\0\0\0WEBPVP8X".to_vec()),
            Just(b"RIFF\0\0\0\0WEBPVP8L".to_vec()),
            Just(b"\0\0\0\x18ftypisom".to_vec()),
            Just(b"\0\0\0\x14ftypqt  ".to_vec()),
            Just(Vec::new()),
        ]
    }

    proptest! {
        #[test]
        fn probe_never_panics_on_arbitrary_bytes(
            head in magic(),
            tail in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let bytes = [head, tail].concat();
            let limits = Limits::default();
            let _ = probe(&bytes, Some("x.jpg"), &limits);
            let _ = probe(&bytes, None, &limits);
            let _ = crate::decode(&bytes, &limits);
        }
    }
}
