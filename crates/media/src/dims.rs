//! Width and height straight from a still image's header bytes, before any decoder runs, so a
//! file claiming absurd dimensions is refused even if the rest of it is missing or hostile.
//! `None` means "could not tell here"; the decoder's own header read (checked again) follows.

use crate::Format;

fn be16(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u32::from(u16::from_be_bytes([*s.first()?, *s.get(1)?])))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u32::from(u16::from_le_bytes([*s.first()?, *s.get(1)?])))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from_le_bytes([*s.first()?, *s.get(1)?, *s.get(2)?, 0]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

pub(crate) fn header_dimensions(bytes: &[u8], format: Format) -> Option<(u32, u32)> {
    match format {
        // Signature, then IHDR: length, "IHDR", width, height.
        Format::Png => {
            (bytes.get(12..16)? == b"IHDR").then_some((be32(bytes, 16)?, be32(bytes, 20)?))
        }
        Format::Gif => Some((le16(bytes, 6)?, le16(bytes, 8)?)),
        Format::Jpeg => jpeg(bytes),
        Format::Webp => webp(bytes),
        _ => None,
    }
}

/// Walks the marker segments to the first SOFn (frame header: precision, height, width).
fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2usize;
    loop {
        if *b.get(at)? != 0xFF {
            return None;
        }
        let marker = *b.get(at + 1)?;
        match marker {
            0xFF => at += 1, // fill byte
            0xD0..=0xD9 | 0x01 => at += 2,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Some((be16(b, at + 7)?, be16(b, at + 5)?));
            }
            _ => {
                at = at
                    .checked_add(2)?
                    .checked_add(usize::try_from(be16(b, at + 2)?).ok()?)?
            }
        }
    }
}

fn webp(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        // Extended: 24-bit canvas width-1 and height-1.
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        // Lossless: signature 0x2f, then 14-bit width-1 and height-1.
        b"VP8L" => {
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        // Lossy: frame tag (3), start code (3), then 14-bit width and height.
        b"VP8 " => Some((le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    #[test]
    fn headers_give_the_same_size_as_the_decoders() {
        let img = image::RgbImage::from_pixel(37, 23, image::Rgb([1, 2, 3]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
            .write_image(img.as_raw(), 37, 23, image::ExtendedColorType::Rgb8)
            .unwrap_or_default();
        assert_eq!(header_dimensions(&jpeg, Format::Jpeg), Some((37, 23)));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 37, 23, image::ExtendedColorType::Rgb8)
            .unwrap_or_default();
        assert_eq!(header_dimensions(&png, Format::Png), Some((37, 23)));
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .write_image(img.as_raw(), 37, 23, image::ExtendedColorType::Rgb8)
            .unwrap_or_default();
        assert_eq!(header_dimensions(&webp, Format::Webp), Some((37, 23)));
        assert_eq!(
            header_dimensions(b"GIF89a\x10\x00\x20\x00", Format::Gif),
            Some((16, 32))
        );
        assert_eq!(header_dimensions(&[0xFF, 0xD8, 0xFF], Format::Jpeg), None);
    }
}
