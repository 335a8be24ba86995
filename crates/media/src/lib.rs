//! Media for posts: what a file is, whether it is safe to read, and the renditions each
//! placement needs.
//!
//! The image pipeline, in order:
//! 1. **Sniff** the type from magic bytes ([`Format::sniff`]); the file name is only compared
//!    with it, and a mismatch is refused with both named.
//! 2. **Header check**: width and height come from the header (and the EXIF orientation with
//!    them) before a single pixel is decoded; anything over [`Limits`] is refused, and
//!    `image::Limits` is set on the decoder as a second guard against decompression bombs.
//! 3. **Decode once** ([`decode`]) into 8-bit RGB (alpha flattened onto white), then **orient**
//!    it upright, so every later step works in what the person sees.
//! 4. **Per target, in parallel** ([`Decoded::render`], one scoped thread per core): crop the
//!    largest rectangle of the target's shape around the focal point ([`crop_rect`]), resize
//!    with the SIMD resizer (`fast_image_resize`, Lanczos3), and encode to JPEG, lowering the
//!    quality step by step until the network's byte limit is met, or say that it cannot be.
//!
//! Videos are not decoded: [`probe`] reads their container ([`bmff`]) for duration, display
//! size, codec and frame rate, and [`validate_video`] checks those against a placement.
//!
//! Not here: storage of uploads, transcoding, and the network uploads themselves.

pub mod bmff;
mod dims;
mod error;
mod focal;
mod format;
mod probe;
mod render;
mod video;

pub use error::MediaError;
pub use focal::{FocalPoint, Rect, crop_rect, energy_centroid};
pub use format::{Format, sniff};
pub use probe::{Probe, probe};
pub use render::{Decoded, Rendition, Target, decode, targets};
pub use video::{aspect_words, validate_video};

/// What Owlery agrees to read. The defaults admit any real camera or phone photo (a 108 MP
/// sensor is about 12,000×9,000) while keeping a decode within a few hundred MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of the uploaded file.
    pub max_input_bytes: u64,
    /// Width × height of an image, checked from its header before decoding.
    pub max_pixels: u64,
    /// Longest side of an image, in pixels.
    pub max_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 200 * 1_048_576,
            max_pixels: 100_000_000,
            max_side: 16_384,
        }
    }
}

impl Limits {
    /// Refuses dimensions over the limits (or zero), naming both numbers.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<(), MediaError> {
        if width > self.max_side || height > self.max_side {
            return Err(MediaError::SideTooLarge {
                width,
                height,
                max_side: self.max_side,
            });
        }
        if u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(MediaError::TooManyPixels {
                width,
                height,
                max_pixels: self.max_pixels,
            });
        }
        Ok(())
    }

    fn check_input(&self, bytes: &[u8]) -> Result<(), MediaError> {
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if len == 0 {
            return Err(MediaError::Empty);
        }
        if len > self.max_input_bytes {
            return Err(MediaError::InputTooLarge {
                bytes: len,
                max: self.max_input_bytes,
            });
        }
        Ok(())
    }
}
