//! A probed video against one placement: what is wrong, in words with the numbers.

use owlery_domain::spec::{Finding, MediaKind, Placement, Severity};

use crate::Probe;

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A shape in words: 1920×1080 → "16:9", 1080×1350 → "4:5"; when the reduced ratio has terms
/// over 64 it means nothing to people, so a decimal: 1001×563 → "1.78:1" (as `spec::validate`).
pub fn aspect_words(width: u32, height: u32) -> String {
    let (w, h) = (u64::from(width), u64::from(height));
    if w == 0 || h == 0 {
        return "unknown".to_owned();
    }
    let g = gcd(w, h).max(1);
    if w / g <= 64 && h / g <= 64 {
        return format!("{}:{}", w / g, h / g);
    }
    let r = f64::from(width) / f64::from(height);
    format!("{r:.2}:1")
}

fn seconds(v: f64) -> String {
    let s = format!("{v:.1}");
    s.trim_end_matches(".0").to_owned()
}

/// "Instagram Reels", "TikTok videos", "Facebook Page Stories": how people name a placement's posts.
fn plural(p: &Placement) -> String {
    let name = p.name.trim();
    let noun = match name {
        "Reel" | "Story" => name.to_owned(),
        other => other.to_lowercase(),
    };
    let noun = match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ if noun.ends_with('s') => noun,
        _ => format!("{noun}s"),
    };
    format!("{} {noun}", p.network_name)
}

fn finding(
    severity: Severity,
    code: &'static str,
    message: String,
    limit: Option<u64>,
    actual: Option<u64>,
) -> Finding {
    Finding {
        severity,
        field: "media".to_owned(),
        code,
        message,
        limit,
        actual,
    }
}

/// Checks a probed video against a placement: kind, format, size, shape, width and duration.
/// Errors first, then warnings; empty when it fits.
pub fn validate_video(probe: &Probe, placement: &Placement) -> Vec<Finding> {
    let who = plural(placement);
    let mut out = Vec::new();
    let Some(m) = &placement.media else {
        out.push(finding(
            Severity::Error,
            "media_not_allowed",
            format!("{who} take no media."),
            None,
            None,
        ));
        return out;
    };
    if probe.kind != MediaKind::Video {
        out.push(finding(
            Severity::Error,
            "media_kind_not_allowed",
            format!("This is a {} file, not a video.", probe.format),
            None,
            None,
        ));
        return out;
    }
    if !m.kinds.contains(&MediaKind::Video) {
        out.push(finding(
            Severity::Error,
            "media_kind_not_allowed",
            format!("{who} take no videos."),
            None,
            None,
        ));
    }
    let code = probe.format.code();
    if !m.formats.is_empty() && !m.formats.iter().any(|f| f == code) {
        out.push(finding(
            Severity::Error,
            "format_not_allowed",
            format!(
                "{who} take {}; this is {}.",
                m.formats.join(", "),
                probe.format
            ),
            None,
            None,
        ));
    }
    if let Some(max) = m.video_max_bytes
        && probe.bytes > max
    {
        out.push(finding(
            Severity::Error,
            "file_too_large",
            format!(
                "{who} can be at most {:.1} MB; this is {:.1} MB.",
                max as f64 / 1_048_576.0,
                probe.bytes as f64 / 1_048_576.0
            ),
            Some(max),
            Some(probe.bytes),
        ));
    }
    if probe.width > 0 && probe.height > 0 {
        let r = f64::from(probe.width) / f64::from(probe.height);
        // 1% tolerance, as in spec::validate: encoders round sizes to even numbers.
        let below = m.aspect_min.as_ref().is_some_and(|a| r < a.value() * 0.99);
        let above = m.aspect_max.as_ref().is_some_and(|a| r > a.value() * 1.01);
        if below || above {
            let wanted = match (&m.aspect_min, &m.aspect_max) {
                (Some(a), Some(b)) if a == b => format!("need {a}"),
                (Some(a), Some(b)) => format!("take {a} to {b}"),
                (Some(a), None) => format!("take {a} or wider"),
                (None, Some(b)) => format!("take {b} or narrower"),
                (None, None) => String::new(),
            };
            out.push(finding(
                m.aspect_severity.unwrap_or(Severity::Error),
                "aspect_out_of_range",
                format!(
                    "{who} {wanted}; this is {} ({}×{}).",
                    aspect_words(probe.width, probe.height),
                    probe.width,
                    probe.height
                ),
                None,
                None,
            ));
        }
        if let Some(min) = m.min_width
            && u64::from(probe.width) < min
        {
            out.push(finding(
                Severity::Error,
                "too_narrow",
                format!(
                    "{who} must be at least {min} pixels wide; this is {}.",
                    probe.width
                ),
                Some(min),
                Some(u64::from(probe.width)),
            ));
        }
    }
    if let Some(ms) = probe.duration_ms {
        let secs = ms as f64 / 1000.0;
        let as_ms = |s: f64| (s * 1000.0).round() as u64;
        if let Some(min) = m.video_min_seconds.filter(|min| secs < *min) {
            out.push(finding(
                Severity::Error,
                "video_too_short",
                format!(
                    "{who} must be at least {} s; this is {} s.",
                    seconds(min),
                    seconds(secs)
                ),
                Some(as_ms(min)),
                Some(ms),
            ));
        }
        if let Some(max) = m.video_max_seconds.filter(|max| secs > *max) {
            out.push(finding(
                Severity::Error,
                "video_too_long",
                format!(
                    "{who} can be at most {} s; this is {} s.",
                    seconds(max),
                    seconds(secs)
                ),
                Some(as_ms(max)),
                Some(ms),
            ));
        }
    }
    out.sort_by_key(|f| f.severity);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_in_words() {
        assert_eq!(aspect_words(1920, 1080), "16:9");
        assert_eq!(aspect_words(1080, 1920), "9:16");
        assert_eq!(aspect_words(1080, 1350), "4:5");
        assert_eq!(aspect_words(1080, 1080), "1:1");
        assert_eq!(aspect_words(1001, 563), "1.78:1");
        assert_eq!(aspect_words(2350, 1000), "47:20");
        assert_eq!(aspect_words(2351, 1000), "2.35:1");
        assert_eq!(aspect_words(0, 10), "unknown");
    }

    #[test]
    fn seconds_read_naturally() {
        assert_eq!(seconds(1.2), "1.2");
        assert_eq!(seconds(3.0), "3");
        assert_eq!(seconds(0.5), "0.5");
    }
}
