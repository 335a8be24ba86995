//! What each network accepts, as data: `specs/networks.toml` (one versioned file, every value with
//! its source), parsed into [`Specs`], and the pure check of a draft against one [`Placement`].
//!
//! A platform change is a data update: bump `version` in the file and re-validate scheduled posts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text;

pub use text::CountRule;

/// The embedded data file.
pub const NETWORKS_TOML: &str = include_str!("../specs/networks.toml");

/// The spec file does not say what it must; `Display` names where (network, placement, field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("networks.toml is not valid TOML: {0}")]
    Syntax(String),
    #[error("networks.toml has no top-level `version` (a date such as \"2026-11-26\")")]
    MissingVersion,
    #[error("networks.toml: `version` must be a date such as \"2026-11-26\", not {0:?}")]
    BadVersion(String),
    #[error("networks.toml, {location}: {message}")]
    Invalid { location: String, message: String },
}

fn invalid(location: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        location: location.into(),
        message: message.into(),
    }
}

/// How sure we are of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The network's own documentation or schema.
    Official,
    /// A vendor's guide or a news report.
    ThirdParty,
    /// To be checked before relying on it.
    Unverified,
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub url: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Gif,
    Video,
}

impl MediaKind {
    pub fn code(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Gif => "gif",
            MediaKind::Video => "video",
        }
    }
}

/// A width:height ratio such as "4:5" or "1.91:1".
#[derive(Debug, Clone, PartialEq)]
pub struct AspectRatio {
    pub width: f64,
    pub height: f64,
}

impl AspectRatio {
    pub fn parse(s: &str) -> Result<AspectRatio, String> {
        let bad = || {
            format!(
                "invalid aspect ratio {s:?}: expected \"width:height\" such as \"4:5\" or \"1.91:1\""
            )
        };
        let (w, h) = s.trim().split_once(':').ok_or_else(bad)?;
        let parse = |part: &str| -> Result<f64, String> {
            let part = part.trim();
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return Err(bad());
            }
            match part.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
                _ => Err(bad()),
            }
        };
        Ok(AspectRatio {
            width: parse(w)?,
            height: parse(h)?,
        })
    }

    /// Width divided by height.
    pub fn value(&self) -> f64 {
        self.width / self.height
    }
}

impl fmt::Display for AspectRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.width, self.height)
    }
}

impl<'de> Deserialize<'de> for AspectRatio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AspectRatio::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for AspectRatio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A pixel size such as "1080x1350".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u64,
    pub height: u64,
}

impl Size {
    pub fn parse(s: &str) -> Result<Size, String> {
        let bad = || format!("invalid size {s:?}: expected \"WIDTHxHEIGHT\" such as \"1080x1350\"");
        let (w, h) = s.trim().split_once('x').ok_or_else(bad)?;
        let width: u64 = w.parse().map_err(|_| bad())?;
        let height: u64 = h.parse().map_err(|_| bad())?;
        if width == 0 || height == 0 {
            return Err(bad());
        }
        Ok(Size { width, height })
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Size::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A text field of a placement (caption, title, description …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextField {
    pub name: String,
    pub limit: u64,
    /// How the network counts towards `limit`.
    pub count: CountRule,
    #[serde(default)]
    pub required: bool,
    /// A second limit in UTF-8 bytes (Bluesky: 300 graphemes and 3,000 bytes).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// What one URL counts as (X: 23; Mastodon: the server's `characters_reserved_per_url`).
    #[serde(default)]
    pub url_length: Option<u64>,
}

/// A cap on hashtags or mentions, and what the network does over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagCap {
    pub max: u64,
    /// `error`: refused; `warning`: published but the tags are ignored.
    pub over: Severity,
    /// What happens over the cap, in words for a person.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaRules {
    pub kinds: Vec<MediaKind>,
    #[serde(default)]
    pub min_count: Option<u64>,
    #[serde(default)]
    pub max_count: Option<u64>,
    #[serde(default)]
    pub max_videos: Option<u64>,
    #[serde(default)]
    pub max_gifs: Option<u64>,
    /// All media of a post must be of one kind (images or a video, not both).
    #[serde(default)]
    pub single_kind: bool,
    #[serde(default)]
    pub image_max_bytes: Option<u64>,
    #[serde(default)]
    pub gif_max_bytes: Option<u64>,
    #[serde(default)]
    pub video_max_bytes: Option<u64>,
    /// Lower-case format names; empty = not restricted.
    #[serde(default)]
    pub formats: Vec<String>,
    #[serde(default)]
    pub aspect_min: Option<AspectRatio>,
    #[serde(default)]
    pub aspect_max: Option<AspectRatio>,
    /// How bad a shape outside the range is (default: error).
    #[serde(default)]
    pub aspect_severity: Option<Severity>,
    #[serde(default)]
    pub min_width: Option<u64>,
    #[serde(default)]
    pub max_width: Option<u64>,
    #[serde(default)]
    pub recommended: Vec<Size>,
    #[serde(default)]
    pub video_min_seconds: Option<f64>,
    #[serde(default)]
    pub video_max_seconds: Option<f64>,
    /// Alt text limit in characters.
    #[serde(default)]
    pub alt_max: Option<u64>,
    /// Images and GIFs must have alt text.
    #[serde(default)]
    pub alt_required: bool,
}

/// One way of posting on a network (X post, Instagram Reel, YouTube video …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    pub network_code: String,
    pub network_name: String,
    pub code: String,
    pub name: String,
    pub texts: Vec<TextField>,
    pub hashtags: Option<TagCap>,
    pub mentions: Option<TagCap>,
    pub media: Option<MediaRules>,
    /// Field path ("text.caption.limit", "media.max_count" …) → where the value comes from.
    pub sources: BTreeMap<String, Source>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkSpec {
    pub code: String,
    pub name: String,
    pub placements: Vec<Placement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Specs {
    /// A date such as "2026-11-26", bumped whenever a value changes.
    pub version: String,
    pub networks: Vec<NetworkSpec>,
}

fn take<T: DeserializeOwned>(
    table: &mut toml::Table,
    key: &str,
    location: &str,
) -> Result<Option<T>, SpecError> {
    match table.remove(key) {
        None => Ok(None),
        Some(value) => T::deserialize(value)
            .map(Some)
            .map_err(|e| invalid(format!("{location}, `{key}`"), e.message().to_owned())),
    }
}

fn take_string(table: &mut toml::Table, key: &str, location: &str) -> Result<String, SpecError> {
    match take::<String>(table, key, location)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(invalid(location, format!("`{key}` is missing or empty"))),
    }
}

fn no_unknown_keys(table: &toml::Table, location: &str) -> Result<(), SpecError> {
    match table.keys().next() {
        Some(key) => Err(invalid(location, format!("unknown key `{key}`"))),
        None => Ok(()),
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn parse_placement(
    mut table: toml::Table,
    network: &NetworkSpec,
    index: usize,
) -> Result<Placement, SpecError> {
    let at = format!("network `{}`, placement #{}", network.code, index + 1);
    let code = take_string(&mut table, "code", &at)?;
    let at = format!("network `{}`, placement `{code}`", network.code);
    let name = take_string(&mut table, "name", &at)?;
    let mut texts: Vec<TextField> = Vec::new();
    if let Some(toml::Value::Array(items)) = table.remove("text") {
        for (i, item) in items.into_iter().enumerate() {
            let field_name = item
                .get("name")
                .and_then(toml::Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), |n| format!("`{n}`"));
            let field = TextField::deserialize(item).map_err(|e| {
                invalid(
                    format!("{at}, text field {field_name}"),
                    e.message().to_owned(),
                )
            })?;
            texts.push(field);
        }
    } else if table.contains_key("text") {
        return Err(invalid(&at, "`text` must be an array of text fields"));
    }
    let hashtags = take::<TagCap>(&mut table, "hashtags", &at)?;
    let mentions = take::<TagCap>(&mut table, "mentions", &at)?;
    let media = take::<MediaRules>(&mut table, "media", &at)?;
    let sources = take::<BTreeMap<String, Source>>(&mut table, "sources", &at)?.unwrap_or_default();
    no_unknown_keys(&table, &at)?;

    let mut seen = BTreeSet::new();
    for t in &texts {
        if !seen.insert(t.name.as_str()) {
            return Err(invalid(
                &at,
                format!("text field `{}` appears twice", t.name),
            ));
        }
    }
    if let Some(m) = &media {
        if let (Some(min), Some(max)) = (m.min_count, m.max_count)
            && min > max
        {
            return Err(invalid(
                format!("{at}, `media`"),
                format!("min_count {min} is above max_count {max}"),
            ));
        }
        if let (Some(min), Some(max)) = (&m.aspect_min, &m.aspect_max)
            && min.value() > max.value()
        {
            return Err(invalid(
                format!("{at}, `media`"),
                format!("aspect_min {min} is wider than aspect_max {max}"),
            ));
        }
    }
    for (key, source) in &sources {
        if source.url.trim().is_empty() {
            return Err(invalid(
                format!("{at}, `sources`"),
                format!("`{key}` has an empty url"),
            ));
        }
    }
    Ok(Placement {
        network_code: network.code.clone(),
        network_name: network.name.clone(),
        code,
        name,
        texts,
        hashtags,
        mentions,
        media,
        sources,
    })
}

impl Specs {
    /// The file built into the binary.
    pub fn embedded() -> Result<Specs, SpecError> {
        Specs::parse(NETWORKS_TOML)
    }

    /// Parses a spec file; errors name the network, placement and field.
    pub fn parse(source: &str) -> Result<Specs, SpecError> {
        let mut root: toml::Table =
            toml::from_str(source).map_err(|e| SpecError::Syntax(e.message().to_owned()))?;
        let version = match root.remove("version") {
            None => return Err(SpecError::MissingVersion),
            Some(toml::Value::String(v)) if is_date(&v) => v,
            Some(other) => return Err(SpecError::BadVersion(other.to_string())),
        };
        let networks = match root.remove("network") {
            Some(toml::Value::Array(items)) => items,
            _ => return Err(invalid("top level", "no [[network]] entries")),
        };
        no_unknown_keys(&root, "top level")?;
        let mut out: Vec<NetworkSpec> = Vec::new();
        for (i, item) in networks.into_iter().enumerate() {
            let toml::Value::Table(mut table) = item else {
                return Err(invalid(format!("network #{}", i + 1), "is not a table"));
            };
            let at = format!("network #{}", i + 1);
            let code = take_string(&mut table, "code", &at)?;
            let at = format!("network `{code}`");
            if out.iter().any(|n| n.code == code) {
                return Err(invalid(&at, "appears twice"));
            }
            let name = take_string(&mut table, "name", &at)?;
            let placements = match table.remove("placement") {
                Some(toml::Value::Array(items)) => items,
                _ => return Err(invalid(&at, "has no [[network.placement]] entries")),
            };
            no_unknown_keys(&table, &at)?;
            let mut network = NetworkSpec {
                code,
                name,
                placements: Vec::new(),
            };
            for (j, p) in placements.into_iter().enumerate() {
                let toml::Value::Table(p) = p else {
                    return Err(invalid(
                        format!("{at}, placement #{}", j + 1),
                        "is not a table",
                    ));
                };
                let placement = parse_placement(p, &network, j)?;
                if network.placements.iter().any(|q| q.code == placement.code) {
                    return Err(invalid(
                        &at,
                        format!("placement `{}` appears twice", placement.code),
                    ));
                }
                network.placements.push(placement);
            }
            out.push(network);
        }
        Ok(Specs {
            version,
            networks: out,
        })
    }

    pub fn network(&self, code: &str) -> Option<&NetworkSpec> {
        self.networks.iter().find(|n| n.code == code)
    }

    /// The text rule an answer in the inbox is held to on `network_code`: the main text field of
    /// its main placement (`None`: unknown network, or one without text).
    pub fn reply_text_rule(&self, network_code: &str) -> Option<&TextField> {
        self.network(network_code)?
            .placements
            .first()?
            .texts
            .first()
    }

    pub fn placement(&self, network_code: &str, placement_code: &str) -> Option<&Placement> {
        self.network(network_code)?
            .placements
            .iter()
            .find(|p| p.code == placement_code)
    }
}

impl Placement {
    /// The paths of every value this placement sets (the keys its `sources` table must hold).
    pub fn value_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.texts {
            out.push(format!("text.{}.limit", t.name));
            if t.max_bytes.is_some() {
                out.push(format!("text.{}.max_bytes", t.name));
            }
            if t.url_length.is_some() {
                out.push(format!("text.{}.url_length", t.name));
            }
        }
        if self.hashtags.is_some() {
            out.push("hashtags.max".to_owned());
        }
        if self.mentions.is_some() {
            out.push("mentions.max".to_owned());
        }
        if let Some(m) = &self.media {
            let set = [
                ("min_count", m.min_count.is_some()),
                ("max_count", m.max_count.is_some()),
                ("max_videos", m.max_videos.is_some()),
                ("max_gifs", m.max_gifs.is_some()),
                ("single_kind", m.single_kind),
                ("image_max_bytes", m.image_max_bytes.is_some()),
                ("gif_max_bytes", m.gif_max_bytes.is_some()),
                ("video_max_bytes", m.video_max_bytes.is_some()),
                ("formats", !m.formats.is_empty()),
                ("aspect_min", m.aspect_min.is_some()),
                ("aspect_max", m.aspect_max.is_some()),
                ("min_width", m.min_width.is_some()),
                ("max_width", m.max_width.is_some()),
                ("recommended", !m.recommended.is_empty()),
                ("video_min_seconds", m.video_min_seconds.is_some()),
                ("video_max_seconds", m.video_max_seconds.is_some()),
                ("alt_max", m.alt_max.is_some()),
                ("alt_required", m.alt_required),
            ];
            out.extend(
                set.iter()
                    .filter(|(_, present)| *present)
                    .map(|(k, _)| format!("media.{k}")),
            );
        }
        out
    }

    /// Values without an entry in `sources`.
    pub fn unsourced(&self) -> Vec<String> {
        self.value_fields()
            .into_iter()
            .filter(|f| !self.sources.contains_key(f))
            .collect()
    }

    fn label(&self) -> String {
        format!("{} {}", self.network_name, self.name)
    }
}

/// A Mastodon server's own limits (`GET /api/v2/instance`, `configuration.statuses` and
/// `configuration.statuses.max_media_attachments`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MastodonInstance {
    pub max_characters: u64,
    pub max_media_attachments: u64,
    pub characters_reserved_per_url: u64,
}

impl MastodonInstance {
    /// The limits in a server's `GET /api/v2/instance` answer (`configuration.statuses` and
    /// `configuration.media_attachments`, as documented at docs.joinmastodon.org/entities/Instance).
    /// A server that leaves a value out keeps Mastodon's default for it; a value that is not a
    /// sensible positive number is refused rather than trusted.
    pub fn from_instance(v: &serde_json::Value) -> Result<MastodonInstance, crate::InvalidInput> {
        let statuses = &v["configuration"]["statuses"];
        let read =
            |key: &'static str, default: u64, max: u64| -> Result<u64, crate::InvalidInput> {
                match &statuses[key] {
                    serde_json::Value::Null => Ok(default),
                    value => value
                        .as_u64()
                        .filter(|n| (1..=max).contains(n))
                        .ok_or_else(|| {
                            crate::InvalidInput::new(
                                "instance",
                                "invalid_instance_limits",
                                format!("The server's {key} is not a number between 1 and {max}."),
                            )
                        }),
                }
            };
        Ok(MastodonInstance {
            max_characters: read("max_characters", 500, 1_000_000)?,
            max_media_attachments: read("max_media_attachments", 4, 100)?,
            characters_reserved_per_url: read("characters_reserved_per_url", 23, 10_000)?,
        })
    }
}

/// What we know about one media file of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFacts {
    pub kind: MediaKind,
    pub bytes: u64,
    pub width: u64,
    pub height: u64,
    pub duration_ms: Option<u64>,
    /// "jpeg", "png", "mp4" … ("jpg" is read as "jpeg").
    pub format: String,
    pub alt: Option<String>,
}

/// A post as written for one placement: its text fields by name, and its media.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub texts: BTreeMap<String, String>,
    pub media: Vec<MediaFacts>,
}

/// One thing wrong (or worth knowing) about a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// The text field name, "media", or "media[2]" (zero-based).
    pub field: String,
    /// Stable code: text_required, text_too_long, text_too_many_bytes, too_many_hashtags,
    /// too_many_mentions, media_not_allowed, too_few_media, too_many_media, too_many_videos,
    /// too_many_gifs, mixed_media, media_kind_not_allowed, format_not_allowed, file_too_large,
    /// aspect_out_of_range, too_narrow, too_wide, video_too_short, video_too_long, alt_required,
    /// alt_too_long.
    pub code: &'static str,
    /// Plain English, with the numbers.
    pub message: String,
    pub limit: Option<u64>,
    pub actual: Option<u64>,
}

fn finding(
    severity: Severity,
    field: impl Into<String>,
    code: &'static str,
    message: String,
    limit: Option<u64>,
    actual: Option<u64>,
) -> Finding {
    Finding {
        severity,
        field: field.into(),
        code,
        message,
        limit,
        actual,
    }
}

/// 1234567 → "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in MB (1 MB = 1,048,576 bytes, as the networks mean it) with the exact count.
fn megabytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let mb = n as f64 / 1_048_576.0;
    let shown = format!("{mb:.2}");
    let shown = shown.trim_end_matches('0').trim_end_matches('.');
    format!("{shown} MB ({} bytes)", thousands(n))
}

fn seconds(ms: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let s = ms as f64 / 1000.0;
    let shown = format!("{s:.1}");
    shown.trim_end_matches(".0").to_owned()
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// 1920×1080 → "16:9"; odd sizes → "1.78:1".
fn ratio_of(width: u64, height: u64) -> String {
    let g = gcd(width, height).max(1);
    let (w, h) = (width / g, height / g);
    if w <= 64 && h <= 64 {
        format!("{w}:{h}")
    } else {
        #[allow(clippy::cast_precision_loss)]
        let r = width as f64 / height as f64;
        format!("{r:.2}:1")
    }
}

fn count_rule_explained(rule: CountRule, url_length: Option<u64>) -> String {
    match rule {
        CountRule::XWeighted => format!(
            ": URLs count {} each, emoji and CJK characters 2",
            url_length.unwrap_or(23)
        ),
        CountRule::Graphemes => " characters (as people see them)".to_owned(),
        CountRule::Utf8Bytes => " bytes (UTF-8)".to_owned(),
        CountRule::Chars => " characters".to_owned(),
        CountRule::Utf16 => " UTF-16 units (emoji count 2)".to_owned(),
        CountRule::ThreadsEmojiBytes => ": emoji count as their UTF-8 bytes (usually 4)".to_owned(),
        CountRule::Mastodon => format!(": every URL counts {}", url_length.unwrap_or(23)),
    }
}

fn url_count(text: &str) -> u64 {
    let n = text
        .split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .count();
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn len(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn check_texts(
    p: &Placement,
    draft: &Draft,
    server: Option<&MastodonInstance>,
    out: &mut Vec<Finding>,
) {
    for field in &p.texts {
        let value = draft.texts.get(&field.name).map_or("", String::as_str);
        if value.trim().is_empty() {
            if field.required {
                out.push(finding(
                    Severity::Error,
                    &field.name,
                    "text_required",
                    format!("{} needs a {}.", p.label(), field.name),
                    None,
                    None,
                ));
            }
            continue;
        }
        let mastodon = matches!(field.count, CountRule::Mastodon);
        let (limit, url_length) = match (server, mastodon) {
            (Some(s), true) => (s.max_characters, Some(s.characters_reserved_per_url)),
            _ => (field.limit, field.url_length),
        };
        let mut actual = len(text::count(field.count, value));
        if let (true, Some(default_url), Some(server_url)) =
            (mastodon, field.url_length, url_length)
        {
            let urls = url_count(value);
            actual = actual
                .saturating_sub(urls.saturating_mul(default_url))
                .saturating_add(urls.saturating_mul(server_url));
        }
        if actual > limit {
            out.push(finding(
                Severity::Error,
                &field.name,
                "text_too_long",
                format!(
                    "{} counts this {} as {} of {}{}; {} over.",
                    p.network_name,
                    field.name,
                    thousands(actual),
                    thousands(limit),
                    count_rule_explained(field.count, url_length),
                    thousands(actual - limit)
                ),
                Some(limit),
                Some(actual),
            ));
        }
        if let Some(max_bytes) = field.max_bytes {
            let bytes = len(value.len());
            if bytes > max_bytes {
                out.push(finding(
                    Severity::Error,
                    &field.name,
                    "text_too_many_bytes",
                    format!(
                        "{} allows {} bytes (UTF-8) in the {}; this is {} bytes.",
                        p.network_name,
                        thousands(max_bytes),
                        field.name,
                        thousands(bytes)
                    ),
                    Some(max_bytes),
                    Some(bytes),
                ));
            }
        }
    }
}

fn check_tags(p: &Placement, draft: &Draft, out: &mut Vec<Finding>) {
    let caps = [
        (
            &p.hashtags,
            "hashtags",
            "too_many_hashtags",
            text::hashtags as fn(&str) -> Vec<String>,
        ),
        (
            &p.mentions,
            "mentions",
            "too_many_mentions",
            text::mentions as fn(&str) -> Vec<String>,
        ),
    ];
    for (cap, what, code, extract) in caps {
        let Some(cap) = cap else { continue };
        let n: usize = p
            .texts
            .iter()
            .filter_map(|f| draft.texts.get(&f.name))
            .map(|t| extract(t).len())
            .sum();
        let n = len(n);
        if n > cap.max {
            let consequence = match (&cap.note, cap.over) {
                (Some(note), _) => format!(" {note}."),
                (None, Severity::Error) => format!(" {} refuses the post.", p.network_name),
                (None, Severity::Warning) => " The extra ones are ignored.".to_owned(),
            };
            out.push(finding(
                cap.over,
                what,
                code,
                format!(
                    "{} allows {} {what}; this has {n}.{consequence}",
                    p.label(),
                    cap.max
                ),
                Some(cap.max),
                Some(n),
            ));
        }
    }
}

fn check_media(
    p: &Placement,
    draft: &Draft,
    server: Option<&MastodonInstance>,
    out: &mut Vec<Finding>,
) {
    let label = p.label();
    let Some(m) = &p.media else {
        if !draft.media.is_empty() {
            out.push(finding(
                Severity::Error,
                "media",
                "media_not_allowed",
                format!("{label} takes no media; this has {}.", draft.media.len()),
                Some(0),
                Some(len(draft.media.len())),
            ));
        }
        return;
    };
    let n = len(draft.media.len());
    if let Some(min) = m.min_count
        && n < min
    {
        out.push(finding(
            Severity::Error,
            "media",
            "too_few_media",
            format!("{label} needs at least {min} media item(s); this has {n}."),
            Some(min),
            Some(n),
        ));
    }
    let max = match server {
        Some(s) if p.network_code == "mastodon" => Some(s.max_media_attachments),
        _ => m.max_count,
    };
    if let Some(max) = max
        && n > max
    {
        out.push(finding(
            Severity::Error,
            "media",
            "too_many_media",
            format!("{label} takes at most {max} media item(s); this has {n}."),
            Some(max),
            Some(n),
        ));
    }
    let of_kind = |k: MediaKind| len(draft.media.iter().filter(|f| f.kind == k).count());
    for (cap, kind, code) in [
        (m.max_videos, MediaKind::Video, "too_many_videos"),
        (m.max_gifs, MediaKind::Gif, "too_many_gifs"),
    ] {
        if let Some(cap) = cap {
            let have = of_kind(kind);
            if have > cap {
                out.push(finding(
                    Severity::Error,
                    "media",
                    code,
                    format!(
                        "{label} takes at most {cap} {}(s); this has {have}.",
                        kind.code()
                    ),
                    Some(cap),
                    Some(have),
                ));
            }
        }
    }
    if m.single_kind {
        let kinds: BTreeSet<MediaKind> = draft.media.iter().map(|f| f.kind).collect();
        if kinds.len() > 1 {
            let names: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
            out.push(finding(
                Severity::Error,
                "media",
                "mixed_media",
                format!(
                    "{label} takes one kind of media per post; this mixes {}.",
                    names.join(" and ")
                ),
                None,
                None,
            ));
        }
    }
    for (i, item) in draft.media.iter().enumerate() {
        check_item(p, m, i, item, out);
    }
}

fn check_item(p: &Placement, m: &MediaRules, i: usize, item: &MediaFacts, out: &mut Vec<Finding>) {
    let label = p.label();
    let field = format!("media[{i}]");
    let which = format!("Media {} ({})", i + 1, item.kind.code());
    if !m.kinds.contains(&item.kind) {
        let allowed: Vec<&str> = m.kinds.iter().map(|k| k.code()).collect();
        out.push(finding(
            Severity::Error,
            &field,
            "media_kind_not_allowed",
            format!(
                "{label} takes {}; media {} is {}.",
                allowed.join(", "),
                i + 1,
                match item.kind {
                    MediaKind::Image => "an image",
                    MediaKind::Gif => "a GIF",
                    MediaKind::Video => "a video",
                }
            ),
            None,
            None,
        ));
    }
    let format = item.format.trim().to_ascii_lowercase();
    let format = if format == "jpg" {
        "jpeg".to_owned()
    } else {
        format
    };
    if !m.formats.is_empty() && !m.formats.contains(&format) {
        out.push(finding(
            Severity::Error,
            &field,
            "format_not_allowed",
            format!(
                "{label} takes {}; {which} is {format:?}.",
                m.formats.join(", ")
            ),
            None,
            None,
        ));
    }
    let byte_limit = match item.kind {
        MediaKind::Image => m.image_max_bytes,
        MediaKind::Gif => m.gif_max_bytes.or(m.image_max_bytes),
        MediaKind::Video => m.video_max_bytes,
    };
    if let Some(limit) = byte_limit
        && item.bytes > limit
    {
        out.push(finding(
            Severity::Error,
            &field,
            "file_too_large",
            format!(
                "{which} is {}; {label} allows {} per {}.",
                megabytes(item.bytes),
                megabytes(limit),
                item.kind.code()
            ),
            Some(limit),
            Some(item.bytes),
        ));
    }
    if item.width > 0 && item.height > 0 {
        #[allow(clippy::cast_precision_loss)]
        let r = item.width as f64 / item.height as f64;
        // 1% tolerance: 1080x1920 is 9:16, 1080x1350 is 4:5 after encoder rounding.
        let below = m.aspect_min.as_ref().is_some_and(|a| r < a.value() * 0.99);
        let above = m.aspect_max.as_ref().is_some_and(|a| r > a.value() * 1.01);
        if below || above {
            let actual = ratio_of(item.width, item.height);
            let wanted = match (&m.aspect_min, &m.aspect_max) {
                (Some(a), Some(b)) if a == b => format!("needs {a}"),
                (Some(a), Some(b)) => format!("takes {a} to {b}"),
                (Some(a), None) => format!("takes {a} or wider"),
                (None, Some(b)) => format!("takes {b} or narrower"),
                (None, None) => String::new(),
            };
            out.push(finding(
                m.aspect_severity.unwrap_or(Severity::Error),
                &field,
                "aspect_out_of_range",
                format!(
                    "{label} {wanted}; {which} is {actual} ({}x{}).",
                    item.width, item.height
                ),
                None,
                None,
            ));
        }
        if let Some(min) = m.min_width
            && item.width < min
        {
            out.push(finding(
                Severity::Error,
                &field,
                "too_narrow",
                format!(
                    "{label} needs at least {min} pixels wide; {which} is {}.",
                    item.width
                ),
                Some(min),
                Some(item.width),
            ));
        }
        if let Some(max) = m.max_width
            && item.width > max
        {
            out.push(finding(
                Severity::Warning,
                &field,
                "too_wide",
                format!(
                    "{label} shows at most {max} pixels wide; {which} is {} and will be scaled down.",
                    item.width
                ),
                Some(max),
                Some(item.width),
            ));
        }
    }
    if let (MediaKind::Video, Some(ms)) = (item.kind, item.duration_ms) {
        #[allow(clippy::cast_precision_loss)]
        let secs = ms as f64 / 1000.0;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let as_ms = |s: f64| (s * 1000.0).round() as u64;
        if let Some(min) = m.video_min_seconds.filter(|min| secs < *min) {
            out.push(finding(
                Severity::Error,
                &field,
                "video_too_short",
                format!(
                    "{label} needs a video of at least {min} s; {which} is {} s.",
                    seconds(ms)
                ),
                Some(as_ms(min)),
                Some(ms),
            ));
        }
        if let Some(max) = m.video_max_seconds.filter(|max| secs > *max) {
            out.push(finding(
                Severity::Error,
                &field,
                "video_too_long",
                format!(
                    "{label} takes videos up to {max} s; {which} is {} s.",
                    seconds(ms)
                ),
                Some(as_ms(max)),
                Some(ms),
            ));
        }
    }
    let alt = item.alt.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if m.alt_required && matches!(item.kind, MediaKind::Image | MediaKind::Gif) && alt.is_none() {
        out.push(finding(
            Severity::Error,
            &field,
            "alt_required",
            format!(
                "{} requires alt text on every image; {which} has none.",
                p.network_name
            ),
            None,
            None,
        ));
    }
    if let (Some(max), Some(alt)) = (m.alt_max, alt) {
        let n = len(alt.chars().count());
        if n > max {
            out.push(finding(
                Severity::Error,
                &field,
                "alt_too_long",
                format!("{label} allows {max} characters of alt text; {which} has {n}."),
                Some(max),
                Some(n),
            ));
        }
    }
}

/// Checks a draft against a placement. `server` holds a Mastodon server's own limits and is
/// used only for Mastodon placements. Errors first, then warnings.
pub fn validate(
    placement: &Placement,
    draft: &Draft,
    server: Option<&MastodonInstance>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let server = server.filter(|_| placement.network_code == "mastodon");
    check_texts(placement, draft, server, &mut out);
    check_tags(placement, draft, &mut out);
    check_media(placement, draft, server, &mut out);
    out.sort_by_key(|f| f.severity);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_limits_come_from_the_servers_instance_document() {
        // Shaped like the documented `GET /api/v2/instance` answer (abridged).
        let doc = serde_json::json!({
            "domain": "hachyderm.io",
            "configuration": {
                "statuses": {
                    "max_characters": 1000,
                    "max_media_attachments": 6,
                    "characters_reserved_per_url": 23
                },
                "media_attachments": { "image_size_limit": 16777216 }
            }
        });
        let limits = MastodonInstance::from_instance(&doc).unwrap();
        assert_eq!(limits.max_characters, 1000);
        assert_eq!(limits.max_media_attachments, 6);
        // Missing values keep the defaults; nonsense is refused.
        let bare = MastodonInstance::from_instance(&serde_json::json!({})).unwrap();
        assert_eq!(bare.max_characters, 500);
        let bad = serde_json::json!({"configuration": {"statuses": {"max_characters": -5}}});
        assert!(MastodonInstance::from_instance(&bad).is_err());
        // A 600-character status fails the default server and passes this one.
        let specs = Specs::embedded().unwrap();
        let p = specs
            .placement("mastodon", "post")
            .or_else(|| specs.network("mastodon").and_then(|n| n.placements.first()))
            .unwrap();
        let mut texts = BTreeMap::new();
        texts.insert(p.texts[0].name.clone(), "a".repeat(600));
        let draft = Draft {
            texts,
            media: vec![],
        };
        assert!(
            validate(p, &draft, None)
                .iter()
                .any(|f| f.code == "text_too_long")
        );
        assert!(
            !validate(p, &draft, Some(&limits))
                .iter()
                .any(|f| f.code == "text_too_long")
        );
    }

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(8_388_608), "8,388,608");
        assert_eq!(megabytes(8_388_608), "8 MB (8,388,608 bytes)");
        assert_eq!(megabytes(1_000_000), "0.95 MB (1,000,000 bytes)");
        assert_eq!(seconds(1_500), "1.5");
        assert_eq!(seconds(90_000), "90");
    }

    #[test]
    fn ratios_are_reduced_or_shown_as_decimals() {
        assert_eq!(ratio_of(1920, 1080), "16:9");
        assert_eq!(ratio_of(1080, 1350), "4:5");
        assert_eq!(ratio_of(1001, 563), "1.78:1");
        assert_eq!(ratio_of(u64::MAX, 1), format!("{:.2}:1", u64::MAX as f64));
    }

    #[test]
    fn sizes_and_versions_parse_strictly() {
        assert_eq!(
            Size::parse("1080x1350"),
            Ok(Size {
                width: 1080,
                height: 1350
            })
        );
        assert!(Size::parse("1080*1350").is_err());
        assert!(Size::parse("0x10").is_err());
        assert!(is_date("2026-11-26"));
        assert!(!is_date("v1"));
        let version = Specs::embedded().unwrap().version;
        let src = NETWORKS_TOML.replacen(&version, "latest", 1);
        assert!(matches!(Specs::parse(&src), Err(SpecError::BadVersion(_))));
    }

    #[test]
    fn a_bad_recommended_size_names_where() {
        let src = NETWORKS_TOML.replacen(
            "recommended = [\"1200x675\"]",
            "recommended = [\"1200-675\"]",
            1,
        );
        let err = Specs::parse(&src)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("network `x`, placement `post`, `media`"),
            "{err}"
        );
        assert!(err.contains("1200-675"), "{err}");
    }

    #[test]
    fn a_duplicate_placement_is_refused() {
        let src = NETWORKS_TOML.replacen("code = \"feed\"", "code = \"carousel\"", 1);
        let err = Specs::parse(&src)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("placement `carousel` appears twice"), "{err}");
    }

    #[test]
    fn mastodon_server_url_length_changes_the_count() {
        let specs = Specs::embedded().unwrap();
        let p = specs.placement("mastodon", "status").unwrap();
        let body = format!("{} https://example.com/a/very/long/path", "m".repeat(470));
        let draft = Draft {
            texts: BTreeMap::from([("status".to_owned(), body)]),
            media: Vec::new(),
        };
        assert!(validate(p, &draft, None).is_empty());
        let server = MastodonInstance {
            max_characters: 500,
            max_media_attachments: 4,
            characters_reserved_per_url: 40,
        };
        let f = validate(p, &draft, Some(&server));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].actual, Some(471 + 40));
        assert!(
            f[0].message.contains("every URL counts 40"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn the_server_override_is_ignored_off_mastodon() {
        let specs = Specs::embedded().unwrap();
        let p = specs.placement("x", "post").unwrap();
        let draft = Draft {
            texts: BTreeMap::from([("text".to_owned(), "a".repeat(281))]),
            media: Vec::new(),
        };
        let server = MastodonInstance {
            max_characters: 10_000,
            max_media_attachments: 40,
            characters_reserved_per_url: 23,
        };
        assert_eq!(validate(p, &draft, Some(&server))[0].limit, Some(280));
    }
}
