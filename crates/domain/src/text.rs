//! How each network counts the length of a post, and the entities (URLs, hashtags, mentions) that the
//! counts depend on.
//!
//! - X follows twitter-text v3 (`parseTweet`): the text is NFC-normalised, each code point weighs
//!   `default_weight` (200) unless it falls in one of the ranges that weigh 100 (Latin, general
//!   punctuation …), every URL weighs `transformed_url_length` (23) × scale whatever its length, and an
//!   emoji sequence (one grapheme cluster: ZWJ families, flags, skin tones, keycaps, tag sequences)
//!   weighs 200 in total. Checked against twitter-text's own conformance cases
//!   (`tests/twitter_text_conformance.rs`).
//! - The other rules are plain Unicode measures (scalar values, grapheme clusters, UTF-8 bytes,
//!   UTF-16 units) or small variations of them (Threads' emoji bytes, Mastodon's URLs and remote mentions).
//!
//! URL, hashtag and mention extraction follow twitter-text too and are checked against its
//! `extract.yml` cases (all but two, listed in the test with the reason).
//!
//! Limitations, by design: URL detection is a hand-written scanner after twitter-text's rules, not its
//! full regular expression. A top-level domain must be a common gTLD or one of the two-letter ccTLDs
//! (the full IANA list, with its ~1,400 newer gTLDs, is not embedded: `example.photography` is, but
//! `example.barclaycard` is not a URL without a protocol); after `http://` or `https://` any non-ASCII
//! alphabetic label is also accepted, which covers IDN TLDs such as `پاکستان`. Without a protocol a
//! domain must be ASCII or accented Latin. Mentions include Mastodon's `@user@domain.tld`, which
//! twitter-text rejects as too close to an e-mail address.
//! Emoji are recognised as grapheme clusters that start with an `Extended_Pictographic` code point, a
//! regional indicator, or form a keycap; the `Extended_Pictographic` table is the Unicode 15 one, so a
//! newer emoji outside its ranges counts as its code points do.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// How a network measures the length of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountRule {
    /// X / twitter-text v3: NFC, weights per code point range (default 200, scale 100, ranges of weight
    /// 100 per config-v3.json), every URL = 23, emoji sequences weigh 200 total.
    XWeighted,
    /// Unicode extended grapheme clusters (Bluesky's 300 limit).
    Graphemes,
    /// UTF-8 bytes (Bluesky's 3,000-byte limit).
    Utf8Bytes,
    /// Unicode scalar values (most networks' "characters": LinkedIn, Instagram, Facebook, TikTok,
    /// YouTube, Pinterest).
    Chars,
    /// UTF-16 code units (TikTok caption per its docs).
    Utf16,
    /// Threads: characters, but each emoji counts as its UTF-8 byte length.
    ThreadsEmojiBytes,
    /// Mastodon: characters, every URL counts as `characters_reserved_per_url` (23 by default), and a
    /// mention `@user@domain` counts only `@user`.
    Mastodon,
}

/// Mastodon's default `characters_reserved_per_url`.
pub const MASTODON_URL_LENGTH: usize = 23;

/// The length of `text` as the network with `rule` counts it.
pub fn count(rule: CountRule, text: &str) -> usize {
    match rule {
        CountRule::XWeighted => parse_x(text).weighted_length,
        CountRule::Graphemes => text.graphemes(true).count(),
        CountRule::Utf8Bytes => text.len(),
        CountRule::Chars => text.chars().count(),
        CountRule::Utf16 => text.encode_utf16().count(),
        CountRule::ThreadsEmojiBytes => text
            .graphemes(true)
            .map(|g| {
                if is_emoji_cluster(g) {
                    g.len()
                } else {
                    g.chars().count()
                }
            })
            .sum(),
        CountRule::Mastodon => mastodon_count(text),
    }
}

// ---------------------------------------------------------------------------------------------------
// X

/// A range of code points (inclusive) and its weight, as in twitter-text's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightRange {
    pub start: u32,
    pub end: u32,
    pub weight: usize,
}

/// twitter-text's counting configuration (`config-v2.json` / `config-v3.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XConfig {
    pub max_weighted_length: usize,
    pub scale: usize,
    pub default_weight: usize,
    pub transformed_url_length: usize,
    /// Whether an emoji sequence weighs `default_weight` in total (v3) or per code point (v2).
    pub emoji_parsing: bool,
    pub ranges: &'static [WeightRange],
}

const X_RANGES: &[WeightRange] = &[
    WeightRange {
        start: 0,
        end: 4351,
        weight: 100,
    },
    WeightRange {
        start: 8192,
        end: 8205,
        weight: 100,
    },
    WeightRange {
        start: 8208,
        end: 8223,
        weight: 100,
    },
    WeightRange {
        start: 8242,
        end: 8247,
        weight: 100,
    },
];

impl XConfig {
    /// twitter-text `config-v2.json`: weighted, emoji counted per code point.
    pub const V2: XConfig = XConfig {
        max_weighted_length: 280,
        scale: 100,
        default_weight: 200,
        transformed_url_length: 23,
        emoji_parsing: false,
        ranges: X_RANGES,
    };
    /// twitter-text `config-v3.json`, what X uses today.
    pub const V3: XConfig = XConfig {
        emoji_parsing: true,
        ..XConfig::V2
    };

    fn weight(&self, c: char) -> usize {
        let cp = u32::from(c);
        self.ranges
            .iter()
            .find(|r| r.start <= cp && cp <= r.end)
            .map_or(self.default_weight, |r| r.weight)
    }
}

/// X's full result, as twitter-text's `parseTweet`: weighted length, whether valid (≤ 280, no invalid
/// characters, non-empty), permillage, display/valid ranges.
///
/// The ranges are inclusive UTF-16 indices into the text as given (not normalised), as twitter-text
/// reports them: `display_range` covers the whole text, `valid_range` the part that fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct XParse {
    pub weighted_length: usize,
    pub valid: bool,
    pub permillage: usize,
    pub display_range: (usize, usize),
    pub valid_range: (usize, usize),
}

/// X's count of `text` with the current configuration (v3).
pub fn parse_x(text: &str) -> XParse {
    parse_x_with(text, &XConfig::V3)
}

/// twitter-text's `parseTweet` with a given configuration.
pub fn parse_x_with(text: &str, config: &XConfig) -> XParse {
    let normalized: String = text.nfc().collect();
    if normalized.is_empty() {
        return XParse {
            weighted_length: 0,
            valid: false,
            permillage: 0,
            display_range: (0, 0),
            valid_range: (0, 0),
        };
    }
    let urls = find_urls(&normalized, false);
    let emoji: Vec<Range<usize>> = if config.emoji_parsing {
        emoji_ranges(&normalized)
    } else {
        Vec::new()
    };
    let max_scaled = config.max_weighted_length.saturating_mul(config.scale);
    let url_weight = config.transformed_url_length.saturating_mul(config.scale);

    let mut weighted = 0usize;
    let mut valid = true;
    let mut valid_index = 0usize;
    let mut utf16_pos = 0usize;
    let mut i = 0usize;
    while i < normalized.len() {
        let (end, weight) = if let Some(r) = starting_at(&urls, i) {
            (r.end, url_weight)
        } else if let Some(r) = starting_at(&emoji, i) {
            (r.end, config.default_weight)
        } else {
            match normalized[i..].chars().next() {
                Some(c) => (i + c.len_utf8(), config.weight(c)),
                None => break,
            }
        };
        let piece = &normalized[i..end];
        weighted = weighted.saturating_add(weight);
        utf16_pos += piece.encode_utf16().count();
        if valid {
            valid = !piece.chars().next_back().is_some_and(is_invalid_char);
        }
        if valid && weighted <= max_scaled {
            valid_index = utf16_pos.saturating_sub(1);
        }
        i = end;
    }

    let weighted_length = weighted / config.scale.max(1);
    let valid = valid && weighted_length > 0 && weighted_length <= config.max_weighted_length;
    let permillage = weighted_length.saturating_mul(1000) / config.max_weighted_length.max(1);
    let original_len = text.encode_utf16().count();
    // twitter-text shifts the valid end by the difference that normalisation made to the length.
    let valid_end = (valid_index + original_len).saturating_sub(utf16_pos);
    XParse {
        weighted_length,
        valid,
        permillage,
        display_range: (0, original_len.saturating_sub(1)),
        valid_range: (0, valid_end),
    }
}

fn starting_at(ranges: &[Range<usize>], at: usize) -> Option<&Range<usize>> {
    ranges
        .binary_search_by_key(&at, |r| r.start)
        .ok()
        .and_then(|k| ranges.get(k))
}

/// Characters that make a post invalid on X.
fn is_invalid_char(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}')
}

// ---------------------------------------------------------------------------------------------------
// Emoji

/// `Extended_Pictographic` (Unicode 15.1 emoji-data.txt), merged ranges.
const EXTENDED_PICTOGRAPHIC: &[(u32, u32)] = &[
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x2199),
    (0x21A9, 0x21AA),
    (0x231A, 0x231B),
    (0x2328, 0x2328),
    (0x2388, 0x2388),
    (0x23CF, 0x23CF),
    (0x23E9, 0x23F3),
    (0x23F8, 0x23FA),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25AB),
    (0x25B6, 0x25B6),
    (0x25C0, 0x25C0),
    (0x25FB, 0x25FE),
    (0x2600, 0x2605),
    (0x2607, 0x2612),
    (0x2614, 0x2685),
    (0x2690, 0x2705),
    (0x2708, 0x2712),
    (0x2714, 0x2714),
    (0x2716, 0x2716),
    (0x271D, 0x271D),
    (0x2721, 0x2721),
    (0x2728, 0x2728),
    (0x2733, 0x2734),
    (0x2744, 0x2744),
    (0x2747, 0x2747),
    (0x274C, 0x274C),
    (0x274E, 0x274E),
    (0x2753, 0x2755),
    (0x2757, 0x2757),
    (0x2763, 0x2767),
    (0x2795, 0x2797),
    (0x27A1, 0x27A1),
    (0x27B0, 0x27B0),
    (0x27BF, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x1F000, 0x1F0FF),
    (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F),
    (0x1F16C, 0x1F171),
    (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F),
    (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F23A),
    (0x1F23C, 0x1F23F),
    (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D),
    (0x1F546, 0x1F64F),
    (0x1F680, 0x1F6FF),
    (0x1F774, 0x1F77F),
    (0x1F7D5, 0x1F7FF),
    (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F),
    (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F),
    (0x1F8AE, 0x1F8FF),
    (0x1F90C, 0x1F93A),
    (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
];

fn is_extended_pictographic(c: char) -> bool {
    let cp = u32::from(c);
    EXTENDED_PICTOGRAPHIC
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Whether a grapheme cluster is an emoji (sequence).
fn is_emoji_cluster(g: &str) -> bool {
    let mut chars = g.chars();
    match chars.next() {
        Some(c) if is_extended_pictographic(c) || is_regional_indicator(c) => true,
        Some('0'..='9' | '#' | '*') => g.contains('\u{20E3}'),
        _ => false,
    }
}

/// Byte ranges of the emoji sequences in `text`.
fn emoji_ranges(text: &str) -> Vec<Range<usize>> {
    text.grapheme_indices(true)
        .filter(|(_, g)| is_emoji_cluster(g))
        .map(|(i, g)| i..i + g.len())
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// URLs

/// Byte ranges of the URLs in `text`, with or without protocol, after twitter-text's rules as far as
/// practical (see the module documentation for the limits of the TLD list).
pub fn urls(text: &str) -> Vec<Range<usize>> {
    find_urls(text, false)
}

const GTLDS: &[&str] = &[
    "com",
    "org",
    "net",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "name",
    "pro",
    "aero",
    "asia",
    "cat",
    "coop",
    "jobs",
    "mobi",
    "museum",
    "post",
    "tel",
    "travel",
    "xxx",
    "app",
    "dev",
    "io",
    "blog",
    "shop",
    "store",
    "online",
    "site",
    "website",
    "tech",
    "cloud",
    "page",
    "news",
    "live",
    "media",
    "social",
    "art",
    "design",
    "agency",
    "digital",
    "email",
    "link",
    "club",
    "xyz",
    "top",
    "space",
    "studio",
    "world",
    "today",
    "life",
    "love",
    "company",
    "global",
    "group",
    "network",
    "solutions",
    "services",
    "systems",
    "software",
    "academy",
    "center",
    "community",
    "events",
    "photo",
    "photos",
    "photography",
    "pics",
    "video",
    "tv",
    "music",
    "film",
    "game",
    "games",
    "fun",
    "team",
    "work",
    "works",
    "zone",
    "help",
    "guide",
    "wiki",
    "run",
    "ninja",
    "rocks",
    "cool",
    "co",
    "me",
    "ly",
    "gl",
    "gd",
    "am",
    "fm",
    "google",
    "youtube",
    "apple",
    "amazon",
    "microsoft",
    "bank",
    "insurance",
    "law",
    "legal",
    "health",
    "care",
    "clinic",
    "dental",
    "finance",
    "money",
    "capital",
    "fund",
    "investments",
    "market",
    "markets",
    "trade",
    "business",
    "consulting",
    "marketing",
    "press",
    "report",
    "reviews",
    "science",
    "school",
    "university",
    "education",
    "training",
    "institute",
    "foundation",
    "charity",
    "church",
    "city",
    "town",
    "land",
    "house",
    "home",
    "property",
    "realestate",
    "restaurant",
    "cafe",
    "bar",
    "pub",
    "pizza",
    "kitchen",
    "recipes",
    "wine",
    "beer",
    "fashion",
    "clothing",
    "shoes",
    "style",
    "beauty",
    "fitness",
    "yoga",
    "golf",
    "football",
    "soccer",
    "bike",
    "auto",
    "car",
    "cars",
    "taxi",
    "flights",
    "hotel",
    "holiday",
    "tours",
    "vacations",
    "eco",
    "green",
    "earth",
    "energy",
    "solar",
    "tools",
    "build",
    "engineering",
    "ai",
    "mx",
    "new",
    "one",
    "plus",
    "vip",
    "red",
    "blue",
    "pink",
    "black",
    "gold",
    "moe",
    "lol",
    "wtf",
    "berlin",
    "london",
    "paris",
    "nyc",
    "tokyo",
    "amsterdam",
    "africa",
    "eus",
    "scot",
    "wales",
];

const CCTLDS: &str = "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo \
br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es \
et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im \
in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg \
mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl \
pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td \
tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";

fn is_known_tld(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    (lower.len() == 2 && CCTLDS.split(' ').any(|t| t == lower))
        || GTLDS.contains(&lower.as_str())
        || (lower.starts_with("xn--") && lower.len() > 4)
}

/// Characters that may not stand right before a URL (twitter-text's `validUrlPrecedingChars`).
fn blocks_url_start(prev: char, with_protocol: bool) -> bool {
    prev.is_ascii_alphanumeric()
        || matches!(prev, '@' | '＠' | '$' | '#' | '＃')
        || is_invalid_char(prev)
        || (!with_protocol && matches!(prev, '-' | '_' | '.' | '/'))
}

/// A character of a domain label. Without a protocol, twitter-text accepts only ASCII and accented
/// Latin letters; with one, anything but spaces, punctuation, controls and directional marks (so
/// `http://✪df.ws` is a URL).
fn is_domain_char(c: char, ascii_only: bool) -> bool {
    if c == '-' || c == '_' || c.is_ascii_alphanumeric() || is_latin_accent(c) {
        return true;
    }
    if ascii_only || c.is_ascii() {
        return false;
    }
    !(c.is_whitespace()
        || c.is_control()
        || is_invalid_char(c)
        || matches!(u32::from(c), 0x2000..=0x206F | 0x3000..=0x3003 | 0x3008..=0x3011 | 0x3014..=0x301F
            | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 | 0x061C | 0x00A0..=0x00BF
            | 0x00D7 | 0x00F7))
}

/// Label shape: starts and ends with a letter or digit; `_` only in subdomains.
fn label_shape_ok(label: &str, is_subdomain: bool) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c != '-' && c != '_');
    edge(label.chars().next())
        && edge(label.chars().next_back())
        && (is_subdomain || !label.contains('_'))
        && (!label
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
            || label.is_ascii())
}

/// How much of `label` is a top-level domain: all of it, or (as twitter-text's look-ahead allows) a
/// known ASCII TLD directly followed by a non-ASCII character, as in `example.comだよね`.
fn tld_len(label: &str, with_protocol: bool) -> Option<usize> {
    if is_known_tld(label) {
        return Some(label.len());
    }
    let ascii = label.len()
        - label
            .trim_start_matches(|c: char| c.is_ascii_alphanumeric())
            .len();
    if ascii > 0
        && label[ascii..].starts_with(|c: char| !c.is_ascii())
        && is_known_tld(&label[..ascii])
    {
        return Some(ascii);
    }
    // IDN top-level domains (`پاکستان`, `みんな` …), not embedded as a list: any non-ASCII alphabetic
    // label, after a protocol.
    (with_protocol
        && label.chars().count() >= 2
        && label.chars().all(|c| c.is_alphabetic() && !c.is_ascii()))
    .then_some(label.len())
}

fn is_latin_accent(c: char) -> bool {
    matches!(u32::from(c), 0x00C0..=0x00D6 | 0x00D8..=0x00F6 | 0x00F8..=0x024F | 0x0253..=0x0254
        | 0x0256..=0x0257 | 0x0259 | 0x025B | 0x0263 | 0x0268 | 0x026F | 0x0272 | 0x0289 | 0x028B
        | 0x02BB | 0x0300..=0x036F | 0x1E00..=0x1EFF)
}

fn is_cyrillic(c: char) -> bool {
    matches!(u32::from(c), 0x0400..=0x04FF)
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!*';:=+,.$/%#[]-_~&|@\u{2013}".contains(c)
        || is_latin_accent(c)
        || is_cyrillic(c)
}

fn is_path_end_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "=_#/-+)".contains(c) || is_latin_accent(c) || is_cyrillic(c)
}

fn is_query_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!?*'();:&=+$/%#[]-_.,~|@".contains(c)
}

fn is_query_end_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_&=#/".contains(c)
}

/// Length of the protocol (`http://`, `https://`) at the start of `s`, if any.
fn protocol_len(s: &str) -> Option<usize> {
    ["https://", "http://"].iter().find_map(|p| {
        s.get(..p.len())
            .filter(|head| head.eq_ignore_ascii_case(p))
            .map(|_| p.len())
    })
}

/// What the scanner found at a position: nothing that looks like a URL, or a URL-shaped span that is
/// valid or not (an invalid one is skipped whole, as twitter-text's regex consumes it).
enum Candidate {
    None,
    Span { end: usize, valid: bool },
}

fn find_urls(text: &str, require_protocol: bool) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let candidate = if let Some(plen) = protocol_len(&text[i..]) {
            if prev.is_some_and(|p| blocks_url_start(p, true)) {
                Candidate::None
            } else {
                url_after(text, i, i + plen, false)
            }
        } else if !require_protocol
            && (c.is_ascii_alphanumeric() || is_latin_accent(c))
            && !prev.is_some_and(|p| blocks_url_start(p, false))
        {
            url_after(text, i, i, true)
        } else {
            Candidate::None
        };
        match candidate {
            Candidate::Span { end, valid } if end > i => {
                if valid {
                    found.push(i..end);
                }
                prev = text[..end].chars().next_back();
                i = end;
            }
            _ => {
                prev = Some(c);
                i += c.len_utf8();
            }
        }
    }
    found
}

/// Parses host, port, path and query from `host_start`; `start` is where the URL (with its protocol)
/// begins.
fn url_after(text: &str, start: usize, host_start: usize, ascii_only: bool) -> Candidate {
    // Labels separated by single dots.
    let mut labels: Vec<Range<usize>> = Vec::new();
    let mut pos = host_start;
    loop {
        let label_len: usize = text[pos..]
            .chars()
            .take_while(|&c| is_domain_char(c, ascii_only))
            .map(char::len_utf8)
            .sum();
        if label_len == 0 {
            break;
        }
        labels.push(pos..pos + label_len);
        pos += label_len;
        let mut rest = text[pos..].chars();
        if rest.next() == Some('.') && rest.next().is_some_and(|c| is_domain_char(c, ascii_only)) {
            pos += 1;
        } else {
            break;
        }
    }
    // The rightmost label that is a top-level domain ends the host.
    let tld =
        labels.iter().enumerate().skip(1).rev().find_map(|(k, r)| {
            tld_len(&text[r.clone()], !ascii_only).map(|len| (k, r.start + len))
        });
    let Some((tld_index, mut end)) = tld else {
        return Candidate::None;
    };
    let mut host: Vec<Range<usize>> = labels.iter().take(tld_index).cloned().collect();
    let shapes_ok = host
        .iter()
        .enumerate()
        .all(|(k, r)| label_shape_ok(&text[r.clone()], k + 1 < tld_index));
    host.extend(labels.get(tld_index).map(|r| r.start..end));
    // A host followed by `@`, `+` or `-` is part of an e-mail address or a mention, not a URL.
    if !shapes_ok || text[end..].starts_with(['@', '+', '-']) {
        return Candidate::None;
    }
    let labels_ok = host.iter().all(|r| {
        let label = &text[r.clone()];
        let encoded = if label.is_ascii() {
            Some(label.len())
        } else {
            let cps: Vec<u32> = label.chars().map(u32::from).collect();
            punycode_len(&cps).map(|n| n + 4)
        };
        encoded.is_some_and(|n| (1..=63).contains(&n))
    });

    // Port.
    if let Some(rest) = text[end..].strip_prefix(':') {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    let is_tco = text[host_start..end].eq_ignore_ascii_case("t.co");
    let mut tco_ok = true;
    // Path; a t.co path is a slug of at most 40 letters and digits.
    if is_tco && text[end..].starts_with('/') {
        let slug = text[end + 1..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .count();
        end += 1 + slug;
        tco_ok = slug <= 40;
    } else if text[end..].starts_with('/') {
        end = scan_path(text, end);
    }
    // Query.
    if text[end..].starts_with('?') {
        let body_start = end + 1;
        let run: usize = text[body_start..]
            .chars()
            .take_while(|&c| is_query_char(c))
            .map(char::len_utf8)
            .sum();
        let trimmed = text[body_start..body_start + run]
            .trim_end_matches(|c: char| !is_query_end_char(c))
            .len();
        if trimmed > 0 {
            end = body_start + trimmed;
        }
    }
    Candidate::Span {
        end,
        valid: labels_ok && tco_ok && end - start <= 4096,
    }
}

/// The end of a path that starts with `/` at `from`: path characters with balanced parentheses,
/// ending in a character that may end a path.
fn scan_path(text: &str, from: usize) -> usize {
    let mut pos = from;
    let mut open_paren: Option<usize> = None;
    for (k, c) in text[from..].char_indices() {
        let at = from + k;
        if c == '(' {
            if open_paren.is_some() {
                break;
            }
            open_paren = Some(at);
        } else if c == ')' {
            if open_paren.is_none() {
                break;
            }
            open_paren = None;
        } else if !is_path_char(c) {
            break;
        }
        pos = at + c.len_utf8();
    }
    if let Some(open) = open_paren {
        pos = open;
    }
    let kept = text[from..pos].trim_end_matches(|c: char| !is_path_end_char(c));
    from + kept.len().max(1)
}

/// Length of the Punycode (RFC 3492) encoding of `input`, without the `xn--` prefix.
fn punycode_len(input: &[u32]) -> Option<usize> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(delta: u32, points: u32, first: bool) -> u32 {
        let mut delta = if first { delta / DAMP } else { delta / 2 };
        delta += delta / points.max(1);
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + SKEW)
    }
    let basic = input.iter().filter(|&&c| c < 0x80).count();
    let mut out = basic + usize::from(basic > 0);
    let mut h = basic;
    let mut n: u32 = 0x80;
    let mut delta: u32 = 0;
    let mut bias: u32 = 72;
    while h < input.len() {
        let m = input.iter().copied().filter(|&c| c >= n).min()?;
        let h32 = u32::try_from(h).ok()?;
        delta = delta.checked_add((m - n).checked_mul(h32 + 1)?)?;
        n = m;
        for &c in input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out += 1;
                bias = adapt(delta, u32::try_from(h + 1).ok()?, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------------
// Hashtags and mentions

/// The `#tags` in `text`, without the `#`, in order: letters, marks, digits and `_`, at least one
/// letter, not preceded by a letter or digit, not inside a URL.
pub fn hashtags(text: &str) -> Vec<String> {
    let url_ranges = urls(text);
    let mut tags = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let previous = prev;
        prev = Some(c);
        if !matches!(c, '#' | '＃')
            || previous.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '&')
            || url_ranges.iter().any(|r| r.contains(&i))
        {
            continue;
        }
        let body_start = i + c.len_utf8();
        let rest = &text[body_start..];
        if rest.starts_with(['\u{FE0F}', '\u{20E3}']) {
            continue;
        }
        let len: usize = rest
            .graphemes(true)
            .take_while(|g| {
                g.chars()
                    .next()
                    .is_some_and(|f| f.is_alphanumeric() || is_hashtag_special(f))
            })
            .map(str::len)
            .sum();
        let tag = &rest[..len];
        let after = &rest[len..];
        if tag.chars().any(char::is_alphabetic)
            && !after.starts_with(['#', '＃'])
            && !after.starts_with("://")
        {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// Characters that twitter-text allows inside a hashtag besides letters, marks and digits (joiners,
/// Hebrew geresh and maqaf, Japanese wave dashes and iteration marks, Tibetan tsheg, middle dot).
fn is_hashtag_special(c: char) -> bool {
    matches!(
        c,
        '_' | '\u{200C}'
            | '\u{200D}'
            | '\u{A67E}'
            | '\u{05BE}'
            | '\u{05F3}'
            | '\u{05F4}'
            | '\u{FF5E}'
            | '\u{301C}'
            | '\u{309B}'
            | '\u{309C}'
            | '\u{30A0}'
            | '\u{30FB}'
            | '\u{3003}'
            | '\u{0F0B}'
            | '\u{0F0C}'
            | '\u{00B7}'
    )
}

/// A mention found in text: the byte range of the whole mention (with `@`) and where its local part
/// (`@user`) ends.
struct Mention {
    range: Range<usize>,
    local_end: usize,
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn find_mentions(text: &str) -> Vec<Mention> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let previous = prev;
        prev = Some(c);
        if !matches!(c, '@' | '＠')
            || previous.is_some_and(|p| p.is_ascii_alphanumeric() || "_!#$%&*@＠=/".contains(p))
                && !after_rt(&text[..i])
        {
            continue;
        }
        let start_local = i + c.len_utf8();
        // user, or a dotted handle (Bluesky `alice.bsky.social`, Mastodon `first.last`).
        let local_end = dotted_end(text, start_local, is_handle_char);
        if local_end == start_local {
            continue;
        }
        let mut end = local_end;
        // Mastodon remote part: `@domain.tld`.
        if let Some(rest) = text[end..].strip_prefix('@') {
            let domain_start = end + 1;
            let domain_end = dotted_end(text, domain_start, |c| c.is_alphanumeric() || c == '_');
            if domain_end > domain_start && text[domain_start..domain_end].contains('.') {
                end = domain_end;
            } else if !rest.is_empty() {
                // `@a@b` without a domain: not a mention.
                continue;
            }
        }
        if text[end..].starts_with("://") || text[end..].starts_with(is_latin_accent) {
            continue;
        }
        found.push(Mention {
            range: i..end,
            local_end,
        });
        while iter.peek().is_some_and(|&(k, _)| k < end) {
            if let Some((_, ch)) = iter.next() {
                prev = Some(ch);
            }
        }
    }
    found
}

/// Whether `before` ends in a retweet marker `RT` (any case) that stands alone, as in `RT@user`.
fn after_rt(before: &str) -> bool {
    let n = before.len();
    n >= 2
        && before
            .get(n - 2..)
            .is_some_and(|t| t.eq_ignore_ascii_case("rt"))
        && !before[..n - 2]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_alphanumeric() || "_+~.-".contains(p))
}

/// End of a run of `word` characters joined by single `.` or `-`, starting at `from` (a trailing `.` or
/// `-` is not part of it).
fn dotted_end(text: &str, from: usize, word: impl Fn(char) -> bool) -> usize {
    let mut end = from;
    let mut pos = from;
    let mut chars = text[from..].chars().peekable();
    while let Some(c) = chars.next() {
        if word(c) {
            pos += c.len_utf8();
            end = pos;
        } else if (c == '.' || c == '-')
            && end == pos
            && end > from
            && chars.peek().is_some_and(|&n| word(n))
        {
            pos += 1;
        } else {
            break;
        }
    }
    end
}

/// The `@handles` in `text`, without the leading `@`: `user`, `alice.bsky.social`,
/// `user@mastodon.social`. Not preceded by a letter or digit (so e-mail addresses are not mentions),
/// not inside a URL.
pub fn mentions(text: &str) -> Vec<String> {
    let url_ranges = urls(text);
    find_mentions(text)
        .into_iter()
        .filter(|m| !url_ranges.iter().any(|r| r.contains(&m.range.start)))
        .filter_map(|m| text.get(m.range.start + 1..m.range.end).map(str::to_owned))
        .collect()
}

fn mastodon_count(text: &str) -> usize {
    let url_ranges = find_urls(text, true);
    let mut total = text.chars().count();
    for r in &url_ranges {
        total = total.saturating_sub(text[r.clone()].chars().count()) + MASTODON_URL_LENGTH;
    }
    for m in find_mentions(text) {
        if url_ranges.iter().any(|r| r.contains(&m.range.start)) {
            continue;
        }
        total = total.saturating_sub(text[m.local_end..m.range.end].chars().count());
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_counts_latin_as_one_and_cjk_as_two() {
        assert_eq!(count(CountRule::XWeighted, "hello"), 5);
        assert_eq!(count(CountRule::XWeighted, "日本語"), 6);
        // Bulgarian Cyrillic lies below U+10FF: weight 1.
        assert_eq!(count(CountRule::XWeighted, "Здравей, свят"), 13);
    }

    #[test]
    fn x_counts_emoji_sequences_as_two() {
        // family: 4 people joined by 3 ZWJ, one grapheme.
        assert_eq!(count(CountRule::XWeighted, "👨‍👩‍👧‍👦"), 2);
        // flag: two regional indicators.
        assert_eq!(count(CountRule::XWeighted, "🇧🇬"), 2);
        // skin tone.
        assert_eq!(count(CountRule::XWeighted, "👍🏽"), 2);
        assert_eq!(parse_x_with("👨‍👩‍👧‍👦", &XConfig::V2).weighted_length, 11);
    }

    #[test]
    fn x_normalises_combining_marks() {
        // "é" as e + U+0301 becomes one code point.
        assert_eq!(count(CountRule::XWeighted, "e\u{301}"), 1);
        assert_eq!(count(CountRule::Chars, "e\u{301}"), 2);
        assert_eq!(count(CountRule::Graphemes, "e\u{301}"), 1);
    }

    #[test]
    fn x_counts_urls_as_23() {
        assert_eq!(
            count(
                CountRule::XWeighted,
                "see https://example.com/a/very/long/path?q=1"
            ),
            27
        );
        assert_eq!(count(CountRule::XWeighted, "see example.com"), 27);
        assert_eq!(count(CountRule::XWeighted, "e.g. this"), 9);
    }

    #[test]
    fn x_validity() {
        assert!(!parse_x("").valid);
        assert!(parse_x("hi").valid);
        assert!(!parse_x(&"a".repeat(281)).valid);
        assert!(parse_x(&"a".repeat(280)).valid);
        assert!(!parse_x("a\u{FFFF}").valid);
    }

    #[test]
    fn unicode_measures() {
        let family = "👨‍👩‍👧‍👦";
        assert_eq!(count(CountRule::Graphemes, family), 1);
        assert_eq!(count(CountRule::Chars, family), 7);
        assert_eq!(count(CountRule::Utf16, family), 11);
        assert_eq!(count(CountRule::Utf8Bytes, family), 25);
        let flag = "🇧🇬";
        assert_eq!(count(CountRule::Graphemes, flag), 1);
        assert_eq!(count(CountRule::Chars, flag), 2);
        assert_eq!(count(CountRule::Utf16, flag), 4);
        assert_eq!(count(CountRule::Utf8Bytes, flag), 8);
        let bg = "Здравей";
        assert_eq!(count(CountRule::Chars, bg), 7);
        assert_eq!(count(CountRule::Utf8Bytes, bg), 14);
        assert_eq!(count(CountRule::Utf16, bg), 7);
        assert_eq!(count(CountRule::Utf16, "日本"), 2);
    }

    #[test]
    fn threads_counts_emoji_bytes() {
        assert_eq!(count(CountRule::ThreadsEmojiBytes, "hi 👍"), 3 + 4);
        assert_eq!(count(CountRule::ThreadsEmojiBytes, "👨‍👩‍👧‍👦"), 25);
        assert_eq!(count(CountRule::ThreadsEmojiBytes, "Здравей"), 7);
    }

    #[test]
    fn mastodon_counts_urls_and_local_mentions() {
        assert_eq!(count(CountRule::Mastodon, "hi @alice@mastodon.social"), 9);
        assert_eq!(count(CountRule::Mastodon, "hi @alice"), 9);
        assert_eq!(
            count(
                CountRule::Mastodon,
                "read https://example.com/a/really/long/path/that/goes/on"
            ),
            5 + 23
        );
        // Mastodon does not link URLs without a protocol.
        assert_eq!(count(CountRule::Mastodon, "example.com"), 11);
    }

    #[test]
    fn finds_urls() {
        let text = "a http://test.co b www.example.org/x. c (https://en.wikipedia.org/wiki/Foo_(bar)) me@mail.com";
        let found: Vec<&str> = urls(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            found,
            [
                "http://test.co",
                "www.example.org/x",
                "https://en.wikipedia.org/wiki/Foo_(bar)"
            ]
        );
        assert!(urls("foo.notatld bar").is_empty());
    }

    #[test]
    fn finds_hashtags_and_mentions() {
        assert_eq!(
            hashtags("#rust and #Ünïcode #日本語 #123 a#b https://x.com/#frag #café"),
            ["rust", "Ünïcode", "日本語", "café"]
        );
        assert_eq!(
            mentions("hi @jack, @alice.bsky.social and @bob@mastodon.social; mail me@example.com"),
            ["jack", "alice.bsky.social", "bob@mastodon.social"]
        );
    }

    #[test]
    fn punycode_lengths() {
        let enc = |s: &str| punycode_len(&s.chars().map(u32::from).collect::<Vec<_>>());
        // RFC 3492 sample: "bücher" → "bcher-kva".
        assert_eq!(enc("bücher"), Some(9));
        // "münchen" → "mnchen-3ya".
        assert_eq!(enc("münchen"), Some(10));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        const ALL: [CountRule; 7] = [
            CountRule::XWeighted,
            CountRule::Graphemes,
            CountRule::Utf8Bytes,
            CountRule::Chars,
            CountRule::Utf16,
            CountRule::ThreadsEmojiBytes,
            CountRule::Mastodon,
        ];

        /// Text mixing scripts, emoji, combining marks, URL-ish and mention-ish pieces.
        fn texty() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    any::<char>().prop_map(String::from),
                    "[a-z]{1,8}",
                    Just(" ".to_owned()),
                    Just("e\u{301}".to_owned()),
                    Just("👨‍👩‍👧‍👦".to_owned()),
                    Just("🇧🇬".to_owned()),
                    Just("Здравей".to_owned()),
                    Just("日本".to_owned()),
                    Just("http://".to_owned()),
                    Just(".com".to_owned()),
                    Just("@".to_owned()),
                    Just("#".to_owned()),
                    Just("/".to_owned()),
                ],
                0..24,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #[test]
            fn never_panics(text in texty(), raw in any::<String>()) {
                for rule in ALL {
                    let _ = count(rule, &text);
                    let _ = count(rule, &raw);
                }
                let _ = (urls(&text), hashtags(&text), mentions(&text), parse_x(&raw));
            }

            #[test]
            fn nfc_equivalent_texts_count_the_same_on_x(text in texty()) {
                let nfd: String = text.nfd().collect();
                let nfc: String = text.nfc().collect();
                prop_assert_eq!(count(CountRule::XWeighted, &nfd), count(CountRule::XWeighted, &nfc));
                prop_assert_eq!(count(CountRule::XWeighted, &text), count(CountRule::XWeighted, &nfc));
            }

            #[test]
            fn unicode_measures_are_ordered(text in texty()) {
                prop_assert_eq!(count(CountRule::Utf8Bytes, &text), text.len());
                let graphemes = count(CountRule::Graphemes, &text);
                let chars = count(CountRule::Chars, &text);
                prop_assert!(graphemes <= chars);
                prop_assert!(chars <= text.len());
                prop_assert!(count(CountRule::ThreadsEmojiBytes, &text) >= chars);
                prop_assert!(count(CountRule::Utf16, &text) >= chars);
            }

            #[test]
            fn a_url_weighs_23(text in texty(), path in "[a-z0-9/]{0,60}") {
                let url = format!("https://example.com/{path}");
                let with = format!("{text} {url}");
                prop_assert_eq!(
                    count(CountRule::XWeighted, &with),
                    count(CountRule::XWeighted, &text) + 1 + 23
                );
                prop_assert_eq!(
                    count(CountRule::Mastodon, &with),
                    count(CountRule::Mastodon, &text) + 1 + 23
                );
            }
        }
    }
}
