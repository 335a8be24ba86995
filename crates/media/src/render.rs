//! Renditions: decode once, then crop, resize and encode one image per target, in parallel.

use std::sync::atomic::{AtomicUsize, Ordering};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, RgbImage};
use owlery_domain::spec::{MediaKind, Specs};

use crate::probe::{image_error, sniff_checked, with_decoder};
use crate::{FocalPoint, Format, Limits, MediaError, Rect, crop_rect, energy_centroid};

/// One file to make: a placement's recommended size, with its byte limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub network: String,
    pub placement: String,
    pub width: u32,
    pub height: u32,
    pub max_bytes: Option<u64>,
    /// Jpeg, or Png for a placement that does not take JPEG.
    pub format: Format,
}

impl Target {
    /// `<network>-<placement>-<W>x<H>.<ext>`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}x{}.{}",
            self.network,
            self.placement,
            self.width,
            self.height,
            self.format.extension()
        )
    }
}

/// Every image target of the given networks (all when `networks` is empty): one per distinct
/// recommended size of each placement that takes images, in the spec file's order.
pub fn targets(specs: &Specs, networks: &[&str]) -> Vec<Target> {
    let mut out = Vec::new();
    for n in &specs.networks {
        if !networks.is_empty() && !networks.contains(&n.code.as_str()) {
            continue;
        }
        for p in &n.placements {
            let Some(m) = &p.media else { continue };
            if !m.kinds.contains(&MediaKind::Image) {
                continue;
            }
            let takes = |f: &str| m.formats.is_empty() || m.formats.iter().any(|x| x == f);
            let format = if takes("jpeg") {
                Format::Jpeg
            } else if takes("png") {
                Format::Png
            } else {
                continue;
            };
            let mut seen = Vec::new();
            for size in &m.recommended {
                let (Ok(width), Ok(height)) =
                    (u32::try_from(size.width), u32::try_from(size.height))
                else {
                    continue;
                };
                if seen.contains(&(width, height)) {
                    continue;
                }
                seen.push((width, height));
                out.push(Target {
                    network: n.code.clone(),
                    placement: p.code.clone(),
                    width,
                    height,
                    max_bytes: m.image_max_bytes,
                    format,
                });
            }
        }
    }
    out
}

/// One encoded rendition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub target: Target,
    pub bytes: Vec<u8>,
    /// The size made: the target's, or smaller (same shape) when the source is too small to fill
    /// it — we never enlarge, networks take smaller images and upscaling only adds blur.
    pub width: u32,
    pub height: u32,
    /// JPEG quality used (None for PNG).
    pub quality: Option<u8>,
    /// The part of the oriented source that was used.
    pub crop: Rect,
}

/// A decoded image, upright (EXIF orientation applied), 8-bit RGB.
#[derive(Clone)]
pub struct Decoded {
    rgb: RgbImage,
    source: Format,
}

/// Size and source only: the pixels (tens of MB) have no place in a log line.
impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("width", &self.width())
            .field("height", &self.height())
            .field("source", &self.source)
            .finish()
    }
}

/// JPEG qualities tried in turn until a rendition fits its byte limit. 85 matches common
/// publishing defaults (and `vipsthumbnail … [Q=85]`); below 40 artefacts are plain to see.
const QUALITIES: &[u8] = &[85, 80, 75, 70, 65, 60, 55, 50, 45, 40];

/// Sniffs, checks the header against `limits`, then decodes the whole image once.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let format = sniff_checked(bytes, limits)?;
    if !matches!(format, Format::Jpeg | Format::Png | Format::Webp) {
        return Err(MediaError::NotRenderable { format });
    }
    with_decoder(bytes, format, limits, |header, decoder| {
        let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(format, e))?;
        let rgb = flatten(image);
        let mut upright = DynamicImage::ImageRgb8(rgb);
        if let Some(o) = image::metadata::Orientation::from_exif(header.orientation) {
            upright.apply_orientation(o);
        }
        Ok(Decoded {
            rgb: upright.into_rgb8(),
            source: format,
        })
    })
}

/// 8-bit RGB; transparent pixels are composed onto white (JPEG has no alpha, and black
/// behind a logo's transparent background is the usual surprise).
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return match image {
            DynamicImage::ImageRgb8(rgb) => rgb,
            other => other.to_rgb8(),
        };
    }
    let rgba = image.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = Vec::with_capacity(rgba.as_raw().len() / 4 * 3);
    for px in rgba.as_raw().chunks_exact(4) {
        let a = u16::from(px[3]);
        for &c in &px[..3] {
            let v = (u16::from(c) * a + 255 * (255 - a) + 127) / 255;
            out.push(u8::try_from(v).unwrap_or(u8::MAX));
        }
    }
    RgbImage::from_raw(w, h, out).unwrap_or_else(|| RgbImage::new(w, h))
}

fn internal(e: impl std::fmt::Display) -> MediaError {
    MediaError::Internal(e.to_string())
}

impl Decoded {
    pub fn width(&self) -> u32 {
        self.rgb.width()
    }

    pub fn height(&self) -> u32 {
        self.rgb.height()
    }

    /// The format the image was decoded from.
    pub fn source_format(&self) -> Format {
        self.source
    }

    /// Builds from pixels already upright (for tests and callers that generate images).
    pub fn from_rgb(rgb: RgbImage) -> Decoded {
        Decoded {
            rgb,
            source: Format::Png,
        }
    }

    /// `src` cropped to `crop` and resized to `w`×`h` with the SIMD resizer.
    fn resize(
        &self,
        resizer: &mut Resizer,
        crop: Rect,
        w: u32,
        h: u32,
    ) -> Result<Vec<u8>, MediaError> {
        let src = ImageRef::new(
            self.width(),
            self.height(),
            self.rgb.as_raw(),
            PixelType::U8x3,
        )
        .map_err(internal)?;
        let mut dst = Image::new(w, h, PixelType::U8x3);
        let options = ResizeOptions::new()
            .crop(
                f64::from(crop.x),
                f64::from(crop.y),
                f64::from(crop.width),
                f64::from(crop.height),
            )
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        resizer.resize(&src, &mut dst, &options).map_err(internal)?;
        Ok(dst.into_vec())
    }

    /// An automatic focal point: the energy centroid of a ≤128 px copy (see
    /// [`energy_centroid`]). Cheap: one small resize.
    pub fn auto_focal(&self) -> FocalPoint {
        let (w, h) = (self.width(), self.height());
        let scale = 128.0 / f64::from(w.max(h));
        let (sw, sh) = if scale >= 1.0 {
            (w, h)
        } else {
            (
                ((f64::from(w) * scale).round() as u32).max(1),
                ((f64::from(h) * scale).round() as u32).max(1),
            )
        };
        let full = Rect {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        let mut resizer = Resizer::new();
        let Ok(small) = self.resize(&mut resizer, full, sw, sh) else {
            return FocalPoint::CENTRE;
        };
        let grey: Vec<u8> = small
            .chunks_exact(3)
            .map(|p| {
                let l = (u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8;
                u8::try_from(l).unwrap_or(u8::MAX)
            })
            .collect();
        energy_centroid(&grey, sw as usize, sh as usize)
    }

    /// Makes every target, in parallel (one scoped thread per core, pulling from a shared
    /// counter); results come back in the order of `targets`.
    pub fn render(
        &self,
        targets: &[Target],
        focal: FocalPoint,
    ) -> Vec<Result<Rendition, MediaError>> {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(targets.len())
            .max(1);
        let next = AtomicUsize::new(0);
        let mut done: Vec<(usize, Result<Rendition, MediaError>)> =
            Vec::with_capacity(targets.len());
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut resizer = Resizer::new();
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(t) = targets.get(i) else { break };
                            out.push((i, self.render_one(&mut resizer, t, focal)));
                        }
                        out
                    })
                })
                .collect();
            for w in workers {
                if let Ok(part) = w.join() {
                    done.extend(part);
                }
            }
        });
        let mut results: Vec<Option<Result<Rendition, MediaError>>> =
            (0..targets.len()).map(|_| None).collect();
        for (i, r) in done {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(MediaError::Internal("a rendering thread failed".to_owned()))
                })
            })
            .collect()
    }

    fn render_one(
        &self,
        resizer: &mut Resizer,
        t: &Target,
        focal: FocalPoint,
    ) -> Result<Rendition, MediaError> {
        let crop = crop_rect(self.width(), self.height(), t.width, t.height, focal);
        let (w, h) = if crop.width < t.width || crop.height < t.height {
            (crop.width, crop.height)
        } else {
            (t.width, t.height)
        };
        let pixels = self.resize(resizer, crop, w, h)?;
        let (bytes, quality) = match t.format {
            Format::Png => (encode_png(&pixels, w, h)?, None),
            _ => {
                let (bytes, q) = encode_jpeg_within(&pixels, w, h, t.max_bytes)?;
                (bytes, Some(q))
            }
        };
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if let Some(max) = t.max_bytes
            && len > max
        {
            return Err(MediaError::OverByteLimit {
                network: t.network.clone(),
                placement: t.placement.clone(),
                width: w,
                height: h,
                bytes: len,
                quality: quality.unwrap_or(0),
                max_bytes: max,
            });
        }
        Ok(Rendition {
            target: t.clone(),
            bytes,
            width: w,
            height: h,
            quality,
            crop,
        })
    }

    /// A JPEG that fits in `max_side`×`max_side`, shape kept, for the media library grid.
    pub fn thumbnail(&self, max_side: u32) -> Result<Vec<u8>, MediaError> {
        let (w, h) = (self.width(), self.height());
        let max_side = max_side.max(1);
        let scale = (f64::from(max_side) / f64::from(w.max(h))).min(1.0);
        let tw = ((f64::from(w) * scale).round() as u32).max(1);
        let th = ((f64::from(h) * scale).round() as u32).max(1);
        let full = Rect {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        let pixels = self.resize(&mut Resizer::new(), full, tw, th)?;
        encode_jpeg(&pixels, tw, th, 80)
    }
}

/// Baseline JPEG, 4:2:0 chroma (what networks serve anyway), SIMD encoder.
fn encode_jpeg(rgb: &[u8], w: u32, h: u32, quality: u8) -> Result<Vec<u8>, MediaError> {
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(MediaError::Internal(format!(
            "{w}×{h} is too large for JPEG"
        )));
    };
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder
        .encode(rgb, w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(internal)?;
    Ok(out)
}

/// Encodes at falling qualities until the result fits `max_bytes`; returns the last attempt
/// (possibly still too big: the caller says so) and its quality. From the size at one quality
/// it skips steps that clearly cannot fit, so a far-too-big image costs few encodes.
fn encode_jpeg_within(
    rgb: &[u8],
    w: u32,
    h: u32,
    max_bytes: Option<u64>,
) -> Result<(Vec<u8>, u8), MediaError> {
    let mut i = 0;
    loop {
        let q = QUALITIES.get(i).copied().unwrap_or(40);
        let bytes = encode_jpeg(rgb, w, h, q)?;
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let Some(max) = max_bytes else {
            return Ok((bytes, q));
        };
        if len <= max || i + 1 >= QUALITIES.len() {
            return Ok((bytes, q));
        }
        // Each step of 5 saves roughly 10–15%; skip ahead when far over.
        let ratio = len as f64 / max as f64;
        let steps = if ratio > 1.6 {
            3
        } else if ratio > 1.25 {
            2
        } else {
            1
        };
        i = (i + steps).min(QUALITIES.len() - 1);
    }
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, MediaError> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(rgb, w, h, image::ExtendedColorType::Rgb8)
        .map_err(internal)?;
    Ok(out)
}
