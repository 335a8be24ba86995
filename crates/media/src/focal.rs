//! Where to crop: the focal point (chosen by a person, or found automatically) and the pure
//! geometry of the largest crop of a target's shape centred on it.

use crate::MediaError;

/// A point of interest in the oriented image, as fractions of its width and height (0..=1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocalPoint {
    pub x: f32,
    pub y: f32,
}

impl FocalPoint {
    pub const CENTRE: FocalPoint = FocalPoint { x: 0.5, y: 0.5 };

    /// A point with both coordinates within 0..=1 (NaN refused).
    pub fn new(x: f32, y: f32) -> Result<FocalPoint, MediaError> {
        let ok = |v: f32| (0.0..=1.0).contains(&v);
        if ok(x) && ok(y) {
            Ok(FocalPoint { x, y })
        } else {
            Err(MediaError::BadFocalPoint(format!("{x},{y}")))
        }
    }

    /// Parses "0.3,0.6".
    pub fn parse(s: &str) -> Result<FocalPoint, MediaError> {
        let bad = || MediaError::BadFocalPoint(s.to_owned());
        let (x, y) = s.trim().split_once(',').ok_or_else(bad)?;
        let x: f32 = x.trim().parse().map_err(|_| bad())?;
        let y: f32 = y.trim().parse().map_err(|_| bad())?;
        FocalPoint::new(x, y).map_err(|_| bad())
    }
}

impl Default for FocalPoint {
    fn default() -> Self {
        FocalPoint::CENTRE
    }
}

/// A rectangle in pixels of the oriented source image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The largest rectangle of the target's aspect ratio inside a `src_w`×`src_h` image, centred on
/// the focal point as far as the image edges allow. Pure; never empty for non-empty input.
pub fn crop_rect(src_w: u32, src_h: u32, target_w: u32, target_h: u32, focal: FocalPoint) -> Rect {
    let (sw, sh) = (u64::from(src_w.max(1)), u64::from(src_h.max(1)));
    let (tw, th) = (u64::from(target_w.max(1)), u64::from(target_h.max(1)));
    // Compare sw/sh with tw/th in integers: is the source wider than the target?
    let (w, h) = if sw * th >= sh * tw {
        let w = ((sh * tw + th / 2) / th).clamp(1, sw);
        (w, sh)
    } else {
        let h = ((sw * th + tw / 2) / tw).clamp(1, sh);
        (sw, h)
    };
    let place = |size: u64, span: u64, at: f32| -> u64 {
        let centre = f64::from(at.clamp(0.0, 1.0)) * span as f64;
        let start = (centre - size as f64 / 2.0).round().max(0.0);
        let start = start.min(span as f64) as u64;
        start.min(span - size)
    };
    let x = place(w, sw, focal.x);
    let y = place(h, sh, focal.y);
    let fit = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Rect {
        x: fit(x),
        y: fit(y),
        width: fit(w),
        height: fit(h),
    }
}

/// The energy centroid of a small grey copy (`w`×`h`, one byte per pixel): where edges and
/// texture are, which is usually where the subject is. Squared gradient magnitudes weigh strong
/// detail over noise; the result is pulled a little towards the centre so a busy border does not
/// win, and flat images get the centre.
pub fn energy_centroid(grey: &[u8], w: usize, h: usize) -> FocalPoint {
    if w < 3 || h < 3 || grey.len() < w * h {
        return FocalPoint::CENTRE;
    }
    let at = |x: usize, y: usize| f64::from(grey.get(y * w + x).copied().unwrap_or(0));
    let (mut sum, mut sx, mut sy) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let gx = at(x + 1, y) - at(x - 1, y);
            let gy = at(x, y + 1) - at(x, y - 1);
            let e = gx * gx + gy * gy;
            let e = e * e.sqrt();
            sum += e;
            sx += e * (x as f64 + 0.5);
            sy += e * (y as f64 + 0.5);
        }
    }
    if sum <= f64::EPSILON {
        return FocalPoint::CENTRE;
    }
    let pull = 0.8;
    let fx = pull * (sx / sum) / w as f64 + (1.0 - pull) * 0.5;
    let fy = pull * (sy / sum) / h as f64 + (1.0 - pull) * 0.5;
    FocalPoint {
        x: fx.clamp(0.0, 1.0) as f32,
        y: fy.clamp(0.0, 1.0) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn focal_points_parse_strictly() {
        assert_eq!(
            FocalPoint::parse("0.3, 0.6").unwrap(),
            FocalPoint { x: 0.3, y: 0.6 }
        );
        for bad in ["", "0.5", "1.1,0.5", "-0.1,0", "a,b", "NaN,0.5", "0.5;0.5"] {
            let e = FocalPoint::parse(bad).unwrap_err();
            assert_eq!(e.code(), "bad_focal_point", "{bad}");
        }
    }

    #[test]
    fn wide_source_to_square_crops_the_sides_around_the_focus() {
        let r = crop_rect(4000, 3000, 1080, 1080, FocalPoint::CENTRE);
        assert_eq!(
            r,
            Rect {
                x: 500,
                y: 0,
                width: 3000,
                height: 3000
            }
        );
        let left = crop_rect(4000, 3000, 1080, 1080, FocalPoint { x: 0.0, y: 0.5 });
        assert_eq!(left.x, 0);
        let right = crop_rect(4000, 3000, 1080, 1080, FocalPoint { x: 1.0, y: 0.5 });
        assert_eq!(right.x, 1000);
        let near = crop_rect(4000, 3000, 1080, 1080, FocalPoint { x: 0.3, y: 0.5 });
        assert_eq!(near.x, 0, "1200 - 1500 clamps to the left edge");
    }

    #[test]
    fn tall_target_from_wide_source() {
        let r = crop_rect(4000, 3000, 1080, 1920, FocalPoint { x: 0.75, y: 0.5 });
        assert_eq!((r.width, r.height), (1688, 3000));
        assert_eq!(r.x, 3000 - 844);
        let r = crop_rect(3000, 4000, 1200, 630, FocalPoint { x: 0.5, y: 0.2 });
        assert_eq!((r.width, r.height), (3000, 1575));
        assert_eq!(r.y, 13, "800 - 787.5, rounded");
    }

    #[test]
    fn degenerate_inputs_still_give_a_pixel() {
        let r = crop_rect(1, 1, 1080, 1920, FocalPoint::CENTRE);
        assert_eq!(
            r,
            Rect {
                x: 0,
                y: 0,
                width: 1,
                height: 1
            }
        );
        let r = crop_rect(0, 0, 0, 0, FocalPoint::CENTRE);
        assert_eq!((r.width, r.height), (1, 1));
    }

    #[test]
    fn energy_finds_the_detail() {
        let (w, h) = (64, 48);
        let mut grey = vec![128u8; w * h];
        // A checkerboard patch in the upper right quarter.
        for y in 5..15 {
            for x in 45..60 {
                grey[y * w + x] = if (x + y) % 2 == 0 { 0 } else { 255 };
            }
        }
        let f = energy_centroid(&grey, w, h);
        assert!(f.x > 0.65 && f.y < 0.4, "{f:?}");
        assert_eq!(energy_centroid(&vec![9; w * h], w, h), FocalPoint::CENTRE);
    }

    proptest! {
        #[test]
        fn crops_are_inside_of_the_right_shape_and_hold_the_focus(
            sw in 1u32..20_000, sh in 1u32..20_000,
            tw in 1u32..4_000, th in 1u32..4_000,
            fx in 0.0f32..=1.0, fy in 0.0f32..=1.0,
        ) {
            let r = crop_rect(sw, sh, tw, th, FocalPoint { x: fx, y: fy });
            prop_assert!(r.width >= 1 && r.height >= 1);
            prop_assert!(u64::from(r.x) + u64::from(r.width) <= u64::from(sw));
            prop_assert!(u64::from(r.y) + u64::from(r.height) <= u64::from(sh));
            // One side spans the source; the other matches the aspect within a pixel (unless
            // clamped to a single pixel by a very thin source).
            prop_assert!(r.width == sw || r.height == sh);
            let want_w = f64::from(r.height) * f64::from(tw) / f64::from(th);
            let want_h = f64::from(r.width) * f64::from(th) / f64::from(tw);
            let exact = (f64::from(r.width) - want_w).abs() <= 1.0
                || (f64::from(r.height) - want_h).abs() <= 1.0;
            prop_assert!(exact || r.width == 1 || r.height == 1 || r.width == sw && r.height == sh,
                "{r:?} for {tw}x{th}");
            let (px, py) = (f64::from(fx) * f64::from(sw), f64::from(fy) * f64::from(sh));
            prop_assert!(f64::from(r.x) <= px + 0.5 && px <= f64::from(r.x + r.width) + 0.5, "{r:?} x {px}");
            prop_assert!(f64::from(r.y) <= py + 0.5 && py <= f64::from(r.y + r.height) + 0.5, "{r:?} y {py}");
        }
    }
}
