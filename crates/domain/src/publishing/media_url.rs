//! Signed, expiring addresses of media files, for networks that download media themselves
//! (Instagram, Threads, TikTok photos, Pinterest images) instead of receiving the bytes.
//!
//! An address is `{public_url}/m/{media id}/{rendition}?e={expiry}&s={signature}`: `rendition` is
//! `original.{ext}` (the file as uploaded: videos) or `{network}.{placement}.{w}x{h}.{ext}` (an
//! image rendered for a placement), `expiry` is a Unix time in seconds, and `signature` is the hex
//! HMAC-SHA-256, under an installation-wide key, of the three values ([`sign`]). Anyone holding the
//! address can fetch the file until it expires, and nobody can make one for another file, another
//! rendition or a later expiry without the key. Checking compares in constant time ([`verify`]),
//! and checks the signature before the expiry, so a forged address never learns whether its
//! expiry would have passed.
//!
//! Whether an installation's public address can be reached by a network at all is judged here too
//! ([`check_reachable`]), from the address alone: it names no DNS lookup, because a name that
//! resolves to a private address inside the network (split-horizon DNS behind NAT) can still be
//! public outside it.
//!
//! Pure: time is a parameter, the key comes from the caller (the store keeps it sealed).

use std::fmt;
use std::net::IpAddr;

use hmac::{Hmac, Mac, digest::KeyInit};
use sha2::Sha256;
use url::{Host, Url};

use crate::ids::MediaId;
use crate::publishing::link_preview::is_public_ip;

/// How long an address given to a network lives: long enough for the network to download the
/// file (Meta fetches within the container call, TikTok within its pull), short enough that a
/// leaked address soon stops working.
pub const LIFETIME_SECS: i64 = 60 * 60;

/// The path prefix of media addresses.
pub const PREFIX: &str = "/m/";

/// The key addresses are signed with: 32 random bytes. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlKey([u8; 32]);

impl UrlKey {
    pub fn from_bytes(bytes: &[u8]) -> Option<UrlKey> {
        <[u8; 32]>::try_from(bytes).ok().map(UrlKey)
    }
}

impl fmt::Debug for UrlKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlKey([redacted])")
    }
}

/// Which bytes of a media item an address serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rendition {
    /// The file as uploaded (videos), with its format's extension (`mp4`, `mov` …).
    Original { ext: String },
    /// An image rendered for a network's placement, at the size stored.
    Placement {
        network: String,
        placement: String,
        width: i64,
        height: i64,
        ext: String,
    },
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Rendition {
    /// The path segment: `original.mp4`, `instagram.feed.1080x1350.jpg`.
    pub fn segment(&self) -> String {
        match self {
            Rendition::Original { ext } => format!("original.{ext}"),
            Rendition::Placement {
                network,
                placement,
                width,
                height,
                ext,
            } => format!("{network}.{placement}.{width}x{height}.{ext}"),
        }
    }

    /// The segment read back; `None` for anything [`Rendition::segment`] does not make.
    pub fn parse(segment: &str) -> Option<Rendition> {
        let parts: Vec<&str> = segment.split('.').collect();
        match parts.as_slice() {
            ["original", ext] if is_code(ext) => Some(Rendition::Original {
                ext: (*ext).to_owned(),
            }),
            [network, placement, size, ext]
                if is_code(network) && is_code(placement) && is_code(ext) =>
            {
                let (w, h) = size.split_once('x')?;
                let width: i64 = w.parse().ok().filter(|v| *v > 0)?;
                let height: i64 = h.parse().ok().filter(|v| *v > 0)?;
                Some(Rendition::Placement {
                    network: (*network).to_owned(),
                    placement: (*placement).to_owned(),
                    width,
                    height,
                    ext: (*ext).to_owned(),
                })
            }
            _ => None,
        }
    }
}

/// The file extension of a stored format code (`jpeg` → `jpg`).
pub fn extension(format: &str) -> &str {
    match format {
        "jpeg" => "jpg",
        other => other,
    }
}

fn mac(key: &UrlKey, media: MediaId, rendition: &str, expires: i64) -> Hmac<Sha256> {
    // HMAC pads a key shorter than the hash's block with zeros (RFC 2104), so the 32-byte key
    // padded to SHA-256's 64-byte block is the same key, and this constructor cannot fail.
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(&key.0);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    // Unambiguous: the id is fixed-length, the rendition has no newline, the expiry is last.
    mac.update(format!("owlery-media-url/1\n{}\n{rendition}\n{expires}", media.0).as_bytes());
    mac
}

/// The hex signature of (`media`, `rendition` segment, `expires`).
pub fn sign(key: &UrlKey, media: MediaId, rendition: &str, expires: i64) -> String {
    hex::encode(mac(key, media, rendition, expires).finalize().into_bytes())
}

/// The path and query of a signed address (append to the public URL).
pub fn signed_path(key: &UrlKey, media: MediaId, rendition: &Rendition, expires: i64) -> String {
    let segment = rendition.segment();
    let s = sign(key, media, &segment, expires);
    format!("{PREFIX}{}/{segment}?e={expires}&s={s}", media.0)
}

/// Why an address is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Missing, malformed, or not made with the key (forged or tampered).
    #[error("this media address is not valid")]
    BadSignature,
    /// Signed, but its time has passed.
    #[error("this media address has expired")]
    Expired,
}

/// Checks an address's parts at `now` (Unix seconds). `expires` and `signature` are the raw query
/// values. The signature is checked first and in constant time.
pub fn verify(
    key: &UrlKey,
    media: MediaId,
    rendition: &str,
    expires: Option<&str>,
    signature: Option<&str>,
    now: i64,
) -> Result<(), Refusal> {
    let expires: i64 = expires
        .and_then(|e| e.parse().ok())
        .ok_or(Refusal::BadSignature)?;
    let given = signature
        .and_then(|s| hex::decode(s).ok())
        .ok_or(Refusal::BadSignature)?;
    mac(key, media, rendition, expires)
        .verify_slice(&given)
        .map_err(|_| Refusal::BadSignature)?;
    if now > expires {
        return Err(Refusal::Expired);
    }
    Ok(())
}

/// Why a network cannot download from the installation's public address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    #[error("no public address is set (OWLERY_PUBLIC_URL)")]
    NotSet,
    #[error("the public address {0} is not an http(s) address")]
    NotHttp(String),
    #[error("the public address {0} is on this machine or a private network")]
    Private(String),
}

/// Whether a network on the internet can reach `public_url`, judged from the address: http(s),
/// not `localhost` (or a `.localhost`, `.local`, `.internal`, `.lan`, `.home.arpa` name, or a
/// name without a dot), not a loopback, private, link-local or otherwise reserved IP address.
pub fn check_reachable(public_url: Option<&str>) -> Result<Url, Unreachable> {
    let raw = public_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or(Unreachable::NotSet)?;
    let url = Url::parse(raw).map_err(|_| Unreachable::NotHttp(raw.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Unreachable::NotHttp(raw.to_owned()));
    }
    let public = match url.host() {
        Some(Host::Ipv4(ip)) => is_public_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_public_ip(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            const LOCAL_SUFFIXES: [&str; 5] =
                [".localhost", ".local", ".internal", ".lan", ".home.arpa"];
            name.contains('.')
                && name != "localhost"
                && !LOCAL_SUFFIXES.iter().any(|s| name.ends_with(s))
        }
        None => false,
    };
    if public {
        Ok(url)
    } else {
        Err(Unreachable::Private(raw.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> UrlKey {
        UrlKey::from_bytes(&[7u8; 32]).unwrap()
    }

    fn id() -> MediaId {
        MediaId(uuid::Uuid::from_u128(
            0x0193_aaaa_bbbb_7ccc_8ddd_eeee_ffff_0001,
        ))
    }

    fn parts(path: &str) -> (String, String, String) {
        let (p, q) = path.split_once('?').unwrap();
        let segment = p.rsplit('/').next().unwrap().to_owned();
        let pairs: std::collections::HashMap<_, _> = url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
        (segment, pairs["e"].clone(), pairs["s"].clone())
    }

    #[test]
    fn a_signed_address_verifies_until_it_expires() {
        let r = Rendition::Placement {
            network: "instagram".into(),
            placement: "feed".into(),
            width: 1080,
            height: 1350,
            ext: "jpg".into(),
        };
        let path = signed_path(&key(), id(), &r, 1_000);
        assert!(path.starts_with(&format!(
            "/m/{}/instagram.feed.1080x1350.jpg?e=1000&s=",
            id().0
        )));
        let (seg, e, s) = parts(&path);
        assert_eq!(Rendition::parse(&seg), Some(r));
        assert_eq!(verify(&key(), id(), &seg, Some(&e), Some(&s), 999), Ok(()));
        assert_eq!(
            verify(&key(), id(), &seg, Some(&e), Some(&s), 1_000),
            Ok(())
        );
        assert_eq!(
            verify(&key(), id(), &seg, Some(&e), Some(&s), 1_001),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn anything_changed_or_forged_is_refused_as_a_bad_signature() {
        let seg = "original.mp4";
        let s = sign(&key(), id(), seg, 1_000);
        let bad = |media: MediaId, seg: &str, e: Option<&str>, s: Option<&str>| {
            verify(&key(), media, seg, e, s, 500)
        };
        let other = MediaId(uuid::Uuid::from_u128(2));
        assert_eq!(
            bad(other, seg, Some("1000"), Some(&s)),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            bad(id(), "original.mov", Some("1000"), Some(&s)),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            bad(id(), seg, Some("1001"), Some(&s)),
            Err(Refusal::BadSignature)
        );
        assert_eq!(bad(id(), seg, None, Some(&s)), Err(Refusal::BadSignature));
        assert_eq!(
            bad(id(), seg, Some("1000"), None),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            bad(id(), seg, Some("1000"), Some("zz")),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            bad(id(), seg, Some("1000"), Some(&s[..62])),
            Err(Refusal::BadSignature)
        );
        let other_key = UrlKey::from_bytes(&[8u8; 32]).unwrap();
        let forged = sign(&other_key, id(), seg, 1_000);
        assert_eq!(
            bad(id(), seg, Some("1000"), Some(&forged)),
            Err(Refusal::BadSignature)
        );
        // An expired forgery says "bad signature", not "expired".
        assert_eq!(
            verify(&key(), id(), seg, Some("10"), Some(&forged), 500),
            Err(Refusal::BadSignature)
        );
        assert_eq!(format!("{:?}", key()), "UrlKey([redacted])");
    }

    #[test]
    fn renditions_parse_only_what_is_made() {
        assert_eq!(
            Rendition::parse("original.mp4"),
            Some(Rendition::Original { ext: "mp4".into() })
        );
        for bad in [
            "",
            "original",
            "original.",
            "x.y.0x1.jpg",
            "x.y.10.jpg",
            "X.feed.1x1.jpg",
            "a.b.1x1.jpg.png",
            "../etc.passwd",
            "a.b.-1x2.jpg",
        ] {
            assert_eq!(Rendition::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_addresses_reachable_from_the_internet_pass() {
        for ok in [
            "https://owlery.example.com",
            "http://owlery.example.com:8080/",
            "https://93.184.216.34",
            "https://[2606:2800:220:1:248:1893:25c8:1946]",
        ] {
            assert!(check_reachable(Some(ok)).is_ok(), "{ok}");
        }
        assert_eq!(check_reachable(None), Err(Unreachable::NotSet));
        assert_eq!(check_reachable(Some(" ")), Err(Unreachable::NotSet));
        assert!(matches!(
            check_reachable(Some("ftp://owlery.example.com")),
            Err(Unreachable::NotHttp(_))
        ));
        for private in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://LOCALHOST.:8080",
            "http://owlery.localhost",
            "http://nas.local",
            "http://owlery",
            "http://10.1.2.3",
            "http://192.168.1.20",
            "http://169.254.169.254",
            "http://[::1]:8080",
            "http://[fd00::1]",
            "http://0.0.0.0:8080",
            "http://owlery.internal",
        ] {
            assert!(
                matches!(check_reachable(Some(private)), Err(Unreachable::Private(_))),
                "{private}"
            );
        }
    }
}
