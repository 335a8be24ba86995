//! What a file is, from its first bytes. The name and the declared MIME type are never trusted:
//! they are only compared with what the bytes say, so a mismatch can be reported.

use std::fmt;

/// The formats Owlery recognises (HEIC only to refuse it with a useful message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Heic,
    Mp4,
    Mov,
}

/// ISO-BMFF major brands of HEIF stills (HEIC and friends).
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
];

impl Format {
    /// Recognises a file from its magic bytes; `None` when it is nothing we know.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Format::Jpeg);
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Format::Png);
        }
        if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            return Some(Format::Gif);
        }
        if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
            return Some(Format::Webp);
        }
        let kind = bytes.get(4..8)?;
        if kind == b"ftyp" {
            let brand: &[u8; 4] = bytes.get(8..12)?.try_into().ok()?;
            if HEIF_BRANDS.contains(&brand) {
                return Some(Format::Heic);
            }
            if brand == b"qt  " {
                return Some(Format::Mov);
            }
            // AVIF stills share the container but are not video; refuse them as unknown.
            if brand == b"avif" || brand == b"avis" {
                return None;
            }
            return Some(Format::Mp4);
        }
        // Old QuickTime files start straight with a movie, data or padding atom.
        if matches!(
            kind,
            b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot"
        ) {
            return Some(Format::Mov);
        }
        None
    }

    /// Lower-case name as used in `networks.toml` and `MediaFacts::format`.
    pub fn code(&self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Heic => "heic",
            Format::Mp4 => "mp4",
            Format::Mov => "mov",
        }
    }

    pub fn mime(&self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Heic => "image/heic",
            Format::Mp4 => "video/mp4",
            Format::Mov => "video/quicktime",
        }
    }

    /// The usual file extension (without the dot).
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            other => other.code(),
        }
    }

    /// The format a file name claims by its extension, if we know the extension.
    pub fn from_name(name: &str) -> Option<Format> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "jpe" | "jfif" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            "gif" => Some(Format::Gif),
            "heic" | "heif" => Some(Format::Heic),
            "mp4" | "m4v" => Some(Format::Mp4),
            "mov" | "qt" => Some(Format::Mov),
            _ => None,
        }
    }

    /// Whether a name claiming `self` fits contents that are `actual`. MP4 and MOV are the same
    /// container family and players take either, so they are not a mismatch.
    pub fn compatible_with(self, actual: Format) -> bool {
        self == actual
            || matches!(
                (self, actual),
                (Format::Mp4 | Format::Mov, Format::Mp4 | Format::Mov)
            )
    }

    pub fn is_video(self) -> bool {
        matches!(self, Format::Mp4 | Format::Mov)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Webp => "WebP",
            Format::Gif => "GIF",
            Format::Heic => "HEIC",
            Format::Mp4 => "MP4",
            Format::Mov => "MOV",
        })
    }
}

/// `Format::sniff`, as a free function for callers that prefer one.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    Format::sniff(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(Format::Png));
        assert_eq!(sniff(b"GIF89a\x01\x00"), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(Format::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"), Some(Format::Heic));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"), Some(Format::Mov));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), Some(Format::Mp4));
        assert_eq!(sniff(b"\0\0\0\x18ftypavif\0\0\0\0"), None);
        assert_eq!(sniff(b"\0\0\0\x08moov"), Some(Format::Mov));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
    }

    #[test]
    fn names_are_only_claims() {
        assert_eq!(Format::from_name("IMG_1.JPG"), Some(Format::Jpeg));
        assert_eq!(Format::from_name("clip.m4v"), Some(Format::Mp4));
        assert_eq!(Format::from_name("noext"), None);
        assert_eq!(Format::from_name("x.txt"), None);
        assert!(Format::Mov.compatible_with(Format::Mp4));
        assert!(!Format::Jpeg.compatible_with(Format::Png));
        assert_eq!(Format::Jpeg.code(), "jpeg");
        assert_eq!(Format::Mov.mime(), "video/quicktime");
    }
}
