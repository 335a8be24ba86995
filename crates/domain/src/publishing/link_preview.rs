//! The pure half of link previews: which URLs we may fetch at all (the fetcher must also check
//! every address the host resolves to, and every redirect, with [`is_public_ip`], so that a post
//! cannot make the server read its own network), and reading the preview out of a page's HTML.
//!
//! The HTML reader is a small scanner, not a parser: it looks only at `<meta>` and `<title>` tags,
//! never panics, and gives up quietly on anything it does not understand.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use url::{Host, Url};

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
pub const MAX_SITE_NAME_CHARS: usize = 200;
pub const MAX_IMAGE_URL_CHARS: usize = 2_048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeUrl {
    #[error("That is not a web address.")]
    Invalid,
    #[error("Only http and https links can be previewed.")]
    Scheme,
    #[error("Links with a user name or password cannot be previewed.")]
    Credentials,
    #[error("The link has no host.")]
    NoHost,
    #[error("The link's port is not valid.")]
    Port,
    #[error("The link points at a private or reserved address.")]
    PrivateAddress,
}

impl UnsafeUrl {
    pub fn code(&self) -> &'static str {
        match self {
            UnsafeUrl::Invalid => "invalid_url",
            UnsafeUrl::Scheme => "unsupported_scheme",
            UnsafeUrl::Credentials => "credentials_in_url",
            UnsafeUrl::NoHost => "no_host",
            UnsafeUrl::Port => "bad_port",
            UnsafeUrl::PrivateAddress => "private_address",
        }
    }
}

/// Whether a link may be fetched for a preview, judged from the URL alone: http(s), no user info,
/// a host, a port other than 0, and, when the host is an IP literal, a public one. Host *names* are
/// checked after resolution by the fetcher.
pub fn check_target(url: &str) -> Result<Url, UnsafeUrl> {
    let parsed = Url::parse(url.trim()).map_err(|_| UnsafeUrl::Invalid)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UnsafeUrl::Scheme);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UnsafeUrl::Credentials);
    }
    if parsed.port() == Some(0) {
        return Err(UnsafeUrl::Port);
    }
    match parsed.host() {
        None => return Err(UnsafeUrl::NoHost),
        Some(Host::Domain("")) => return Err(UnsafeUrl::NoHost),
        // RFC 6761: these names are the machine itself, whatever DNS says.
        Some(Host::Domain(d)) if is_localhost_name(d) => return Err(UnsafeUrl::PrivateAddress),
        Some(Host::Ipv4(ip)) if !is_public_ip(IpAddr::V4(ip)) => {
            return Err(UnsafeUrl::PrivateAddress);
        }
        Some(Host::Ipv6(ip)) if !is_public_ip(IpAddr::V6(ip)) => {
            return Err(UnsafeUrl::PrivateAddress);
        }
        Some(_) => {}
    }
    Ok(parsed)
}

fn is_localhost_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

fn v4_in(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn v6_in(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    (u128::from(ip) & mask) == (u128::from(Ipv6Addr::from(net)) & mask)
}

/// IPv4 ranges that are not the public internet (IANA special-purpose registry).
const V4_NOT_PUBLIC: &[([u8; 4], u32)] = &[
    ([0, 0, 0, 0], 8),       // "this network", incl. unspecified
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // carrier-grade NAT
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local (cloud metadata lives here)
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation TEST-NET-1
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast (deprecated)
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation TEST-NET-2
    ([203, 0, 113, 0], 24),  // documentation TEST-NET-3
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, incl. broadcast 255.255.255.255
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !V4_NOT_PUBLIC
        .iter()
        .any(|(net, prefix)| v4_in(ip, *net, *prefix))
}

/// The IPv4 address carried in the low 32 bits.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

/// Whether `ip` is on the public internet, so that fetching from it cannot reach the server's own
/// network. IPv6 is judged by allow-list: only global unicast (2000::/3) outside its special
/// ranges; addresses that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by it.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            // ::ffff:0:0/96 (mapped) and ::/96 (compatible, deprecated; includes :: and ::1,
            // whose embedded 0.0.0.0 and 0.0.0.1 are not public either).
            if v6_in(v6, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) || v6_in(v6, [0; 8], 96) {
                return is_public_v4(low_v4(v6));
            }
            // NAT64 well-known prefix.
            if v6_in(v6, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
                return is_public_v4(low_v4(v6));
            }
            // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
            if v6_in(v6, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
                let [_, hi, lo, ..] = v6.segments();
                let embedded = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
                return is_public_v4(embedded);
            }
            const V6_NOT_PUBLIC: &[([u16; 8], u32)] = &[
                ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo, benchmarking, ORCHID)
                ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
                ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
            ];
            // Global unicast only: this excludes loopback, unspecified, unique local fc00::/7,
            // link-local fe80::/10, site-local fec0::/10, multicast ff00::/8, discard 100::/64 and
            // the local-use NAT64 64:ff9b:1::/48.
            v6_in(v6, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3)
                && !V6_NOT_PUBLIC
                    .iter()
                    .any(|(net, prefix)| v6_in(v6, *net, *prefix))
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub url: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub site_name: Option<String>,
}

/// What the page says about itself, by source, first occurrence wins within a source.
#[derive(Default)]
struct Found {
    og_title: Option<String>,
    twitter_title: Option<String>,
    title_tag: Option<String>,
    og_description: Option<String>,
    twitter_description: Option<String>,
    meta_description: Option<String>,
    og_image: Option<String>,
    twitter_image: Option<String>,
    og_site_name: Option<String>,
}

fn set_once(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = Some(value.to_owned());
    }
}

/// The preview of a page: Open Graph first, then Twitter cards, then `<title>` and
/// `<meta name=description>`. Text is entity-decoded, whitespace collapsed and cut to length; the
/// image is resolved against the page and kept only if it is http(s).
pub fn parse_preview(html: &str, page_url: &Url) -> Preview {
    let mut found = Found::default();
    scan(html, &mut found);
    let text = |options: [&Option<String>; 3], max: usize| {
        options
            .into_iter()
            .flatten()
            .map(|raw| clean_text(raw, max))
            .find(|s| !s.is_empty())
    };
    let image = [&found.og_image, &found.twitter_image]
        .into_iter()
        .flatten()
        .find_map(|raw| {
            let decoded = decode_entities(raw.trim());
            let resolved = page_url.join(decoded.trim()).ok()?;
            let s = resolved.to_string();
            (matches!(resolved.scheme(), "http" | "https") && s.len() <= MAX_IMAGE_URL_CHARS)
                .then_some(s)
        });
    Preview {
        url: page_url.to_string(),
        title: text(
            [&found.og_title, &found.twitter_title, &found.title_tag],
            MAX_TITLE_CHARS,
        ),
        description: text(
            [
                &found.og_description,
                &found.twitter_description,
                &found.meta_description,
            ],
            MAX_DESCRIPTION_CHARS,
        ),
        image,
        site_name: text([&found.og_site_name, &None, &None], MAX_SITE_NAME_CHARS),
    }
}

fn clean_text(raw: &str, max_chars: usize) -> String {
    let decoded = decode_entities(raw);
    let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(max_chars) {
        Some((cut, _)) => collapsed
            .get(..cut)
            .unwrap_or_default()
            .trim_end()
            .to_owned(),
        None => collapsed,
    }
}

/// Case-insensitive search for an ASCII `needle` in `hay` from `from`; returns the byte index.
fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Walks the tags of the document. Only delimiters that are ASCII are looked for, so every index
/// it slices at is a character boundary; `get` is used all the same.
fn scan(html: &str, found: &mut Found) {
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(lt) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|c| *c == b'<'))
    {
        let start = i + lt;
        // Comments: skip to their end.
        if bytes.get(start..start + 4) == Some(b"<!--") {
            i = find_ci(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let name_start = start + 1;
        let mut name_end = name_start;
        while bytes
            .get(name_end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b':')
        {
            name_end += 1;
        }
        if name_end == name_start {
            i = start + 1;
            continue;
        }
        let name = bytes
            .get(name_start..name_end)
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        let (attributes, tag_end) = read_attributes(html, name_end);
        i = tag_end;
        match name.as_slice() {
            b"meta" => meta(&attributes, found),
            b"title" => {
                let end = find_ci(bytes, tag_end, b"</title").unwrap_or(bytes.len());
                if let Some(t) = html.get(tag_end..end) {
                    set_once(&mut found.title_tag, t);
                }
                i = end;
            }
            // Raw-text elements: their content is not markup.
            b"script" | b"style" | b"textarea" | b"template" => {
                let close = format!("</{}", String::from_utf8_lossy(&name));
                i = find_ci(bytes, tag_end, close.as_bytes()).unwrap_or(bytes.len());
            }
            // Everything worth previewing is in the head.
            b"body" => return,
            _ => {}
        }
    }
}

/// Reads `name=value` pairs from `from` up to the end of the tag; returns them (names lower-case,
/// values raw) and the index just after the tag.
fn read_attributes(html: &str, from: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut attributes = Vec::new();
    let mut i = from;
    loop {
        while bytes.get(i).is_some_and(|b| is_space(*b) || *b == b'/') {
            i += 1;
        }
        match bytes.get(i) {
            None => return (attributes, bytes.len()),
            Some(b'>') => return (attributes, i + 1),
            _ => {}
        }
        let name_start = i;
        while bytes
            .get(i)
            .is_some_and(|b| !is_space(*b) && !matches!(b, b'=' | b'>' | b'/'))
        {
            i += 1;
        }
        // A stray character we cannot take as a name (e.g. "=" alone): step over it.
        if i == name_start {
            i += 1;
            continue;
        }
        let name = html
            .get(name_start..i)
            .unwrap_or_default()
            .to_ascii_lowercase();
        while bytes.get(i).is_some_and(|b| is_space(*b)) {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while bytes.get(i).is_some_and(|b| is_space(*b)) {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = bytes
                        .get(i + 1..)
                        .and_then(|b| b.iter().position(|c| *c == q))
                        .map_or(bytes.len(), |p| i + 1 + p);
                    value = html.get(i + 1..end).unwrap_or_default().to_owned();
                    i = (end + 1).min(bytes.len());
                }
                _ => {
                    let start = i;
                    while bytes.get(i).is_some_and(|b| !is_space(*b) && *b != b'>') {
                        i += 1;
                    }
                    value = html.get(start..i).unwrap_or_default().to_owned();
                }
            }
        }
        attributes.push((name, value));
    }
}

fn meta(attributes: &[(String, String)], found: &mut Found) {
    let get = |n: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let Some(content) = get("content") else {
        return;
    };
    let key = get("property")
        .or_else(|| get("name"))
        .map(|k| k.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let slot = match key.as_str() {
        "og:title" => &mut found.og_title,
        "twitter:title" => &mut found.twitter_title,
        "og:description" => &mut found.og_description,
        "twitter:description" => &mut found.twitter_description,
        "description" => &mut found.meta_description,
        "og:image" | "og:image:url" | "og:image:secure_url" => &mut found.og_image,
        "twitter:image" | "twitter:image:src" => &mut found.twitter_image,
        "og:site_name" => &mut found.og_site_name,
        _ => return,
    };
    set_once(slot, content);
}

/// Decodes the entities pages use in titles: the XML five, `&nbsp;`, and numeric references.
/// Anything else is left as written.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        // Entities are short; look for the ';' within a few characters.
        let semi = after
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|semi| {
            let name = after.get(..semi)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse::<u32>().ok()?,
                    };
                    char::from_u32(code).filter(|c| *c != '\0')?
                }
            };
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = after.get(semi + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_non_public_range_is_refused() {
        for s in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::192.168.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::8.8.8.8",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "2002:c0a8:0101::1",
            "2002:7f00:0001::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
        ] {
            assert!(!is_public_ip(ip(s)), "{s} should not be public");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "169.253.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:82a::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(is_public_ip(ip(s)), "{s} should be public");
        }
    }

    #[test]
    fn check_target_rules() {
        assert!(check_target("https://example.com/a?b#c").is_ok());
        assert_eq!(
            check_target("ftp://example.com").unwrap_err(),
            UnsafeUrl::Scheme
        );
        assert_eq!(
            check_target("file:///etc/passwd").unwrap_err(),
            UnsafeUrl::Scheme
        );
        assert_eq!(
            check_target("https://user:pw@example.com").unwrap_err(),
            UnsafeUrl::Credentials
        );
        assert_eq!(
            check_target("https://user@example.com").unwrap_err(),
            UnsafeUrl::Credentials
        );
        assert_eq!(
            check_target("https://example.com:0/").unwrap_err(),
            UnsafeUrl::Port
        );
        assert_eq!(check_target("nonsense").unwrap_err(), UnsafeUrl::Invalid);
        assert_eq!(
            check_target("http://LocalHost./x").unwrap_err(),
            UnsafeUrl::PrivateAddress
        );
        assert_eq!(
            check_target("http://app.localhost:8080/").unwrap_err(),
            UnsafeUrl::PrivateAddress
        );
        assert_eq!(
            check_target("http://127.0.0.1/").unwrap_err(),
            UnsafeUrl::PrivateAddress
        );
        assert_eq!(
            check_target("http://[::ffff:7f00:1]/").unwrap_err().code(),
            "private_address"
        );
        // Numeric hosts in odd spellings are normalised by the URL parser first.
        assert_eq!(
            check_target("http://2130706433/").unwrap_err(),
            UnsafeUrl::PrivateAddress
        );
        assert_eq!(
            check_target("http://0x7f.1/").unwrap_err(),
            UnsafeUrl::PrivateAddress
        );
    }

    fn page() -> Url {
        Url::parse("https://news.example/articles/1").unwrap()
    }

    #[test]
    fn reads_open_graph_in_any_attribute_order_and_quoting() {
        let html = r#"<!doctype html><html><head>
            <title>Fallback</title>
            <meta content="The  &quot;real&quot;
                title" property="og:title">
            <meta property='og:description' content='Tom &amp; Jerry&#39;s &#x27;day&#x27; &lt;3'>
            <META NAME=twitter:image CONTENT=/img/b.png>
            <meta property="og:image" content="../img/a.png" />
            <meta property="og:site_name" content="News">
            </head><body><meta property="og:title" content="ignored"></body>"#;
        let p = parse_preview(html, &page());
        assert_eq!(p.url, "https://news.example/articles/1");
        assert_eq!(p.title.as_deref(), Some("The \"real\" title"));
        assert_eq!(p.description.as_deref(), Some("Tom & Jerry's 'day' <3"));
        assert_eq!(p.image.as_deref(), Some("https://news.example/img/a.png"));
        assert_eq!(p.site_name.as_deref(), Some("News"));
    }

    #[test]
    fn falls_back_to_title_and_meta_description() {
        let html = "<head><!-- <meta property=og:title content=commented> --><script>var t='<title>no</title>'</script>\
                    <title>\n  Hello\t world  </title><meta name=\"description\" content=\"Plain one\"><meta name=twitter:image content=\"javascript:alert(1)\"></head>";
        let p = parse_preview(html, &page());
        assert_eq!(p.title.as_deref(), Some("Hello world"));
        assert_eq!(p.description.as_deref(), Some("Plain one"));
        assert_eq!(p.image, None, "only http(s) images are kept");
        assert_eq!(p.site_name, None);
    }

    #[test]
    fn lengths_are_cut_on_character_boundaries() {
        let long = "ж".repeat(400);
        let html = format!(
            "<meta property=og:title content=\"{long}\"><meta name=description content=\"{}\">",
            "é ".repeat(800)
        );
        let p = parse_preview(&html, &page());
        assert_eq!(p.title.unwrap().chars().count(), MAX_TITLE_CHARS);
        assert!(p.description.unwrap().chars().count() <= MAX_DESCRIPTION_CHARS);
    }

    #[test]
    fn entities() {
        assert_eq!(decode_entities("a &amp; b"), "a & b");
        assert_eq!(decode_entities("&#128037;&#x1F989;"), "🐥🦉");
        assert_eq!(
            decode_entities("&unknown; & &#xZZ; &#0; &"),
            "&unknown; & &#xZZ; &#0; &"
        );
        assert_eq!(decode_entities("&amp;amp;"), "&amp;");
    }

    #[test]
    fn broken_html_does_not_panic() {
        for html in [
            "<",
            "<meta",
            "<meta content=\"x",
            "<title>unterminated",
            "<!--",
            "<a =>",
            "<meta property=og:title content='é",
            "&#",
            "<script>",
        ] {
            let _ = parse_preview(html, &page());
        }
        let p = parse_preview("<title>unterminated é", &page());
        assert_eq!(p.title.as_deref(), Some("unterminated é"));
    }
}
