//! Deterministic record keys: a valid TID derived from an idempotency key.
//!
//! A TID (AT Protocol "timestamp identifier") is a 64-bit integer written as 13 characters of the
//! sortable base32 alphabet `234567abcdefghijklmnopqrstuvwxyz`: the top bit 0, then 53 bits of
//! microseconds since the Unix epoch, then a 10-bit clock id. Because the top bit is 0 the first
//! character is one of `234567ab` (the syntax allows `234567abcdefghij`).
//!
//! From a key we derive:
//! - the milliseconds: from a UUIDv7 at the start of the key (`"<variant uuid>:<part>"`), so record
//!   keys sort like the variants were created; otherwise from a hash, within 2023–2033;
//! - the microseconds within that millisecond: `(hash + part index) mod 1000`, so the parts of one
//!   variant never share a key;
//! - the clock id: 10 more bits of the hash.
//!
//! Two different variants collide only if created in the same millisecond *and* 20 bits of their
//! hashes line up (about one in a million); the connector still checks a found record's text
//! before it takes it for its own.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// 2023-01-01T00:00:00Z in milliseconds: the earliest time of a hash-derived key.
const HASH_EPOCH_MS: u64 = 1_672_531_200_000;
/// Ten years of milliseconds: the span of hash-derived keys.
const HASH_SPAN_MS: u64 = 10 * 365 * 24 * 3_600_000;

/// The record key for an idempotency key (always the same for the same key).
pub fn rkey_for(idempotency_key: &str) -> String {
    let hash: [u8; 32] = Sha256::digest(idempotency_key.as_bytes()).into();
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&hash[i..i + 8]);
        u64::from_be_bytes(b)
    };
    let (head, part) = match idempotency_key.rsplit_once(':') {
        Some((head, part)) => (head, part.parse::<u64>().ok()),
        None => (idempotency_key, None),
    };
    let ms = uuid_v7_millis(head).unwrap_or_else(|| HASH_EPOCH_MS + word(0) % HASH_SPAN_MS);
    let micros_in_ms = (word(8) % 1000 + part.unwrap_or(0) % 1000) % 1000;
    let clock_id = word(16) & 0x3FF;
    let micros = (ms * 1000 + micros_in_ms) & ((1u64 << 53) - 1);
    encode((micros << 10) | clock_id)
}

/// The milliseconds of a UUIDv7 (its first 48 bits), if `s` is one.
fn uuid_v7_millis(s: &str) -> Option<u64> {
    let id = uuid::Uuid::parse_str(s).ok()?;
    if id.get_version_num() != 7 {
        return None;
    }
    let b = id.as_bytes();
    Some(
        b.iter()
            .take(6)
            .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte)),
    )
}

/// 13 characters, most significant first.
fn encode(mut n: u64) -> String {
    let mut out = [b'2'; 13];
    for slot in out.iter_mut().rev() {
        // n % 32 < 32: always in range
        *slot = ALPHABET.get((n % 32) as usize).copied().unwrap_or(b'2');
        n /= 32;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// Whether `s` is a syntactically valid TID.
pub fn is_valid_tid(s: &str) -> bool {
    s.len() == 13
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 0 {
                b"234567abcdefghij".contains(&b)
            } else {
                ALPHABET.contains(&b)
            }
        })
}

/// The microseconds since the epoch in a TID (for tests and diagnostics).
pub fn tid_micros(s: &str) -> Option<u64> {
    if !is_valid_tid(s) {
        return None;
    }
    let n = s.bytes().try_fold(0u64, |acc, b| {
        let v = ALPHABET.iter().position(|&a| a == b)?;
        Some((acc << 5) | v as u64)
    })?;
    Some(n >> 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encoding() {
        assert_eq!(encode(0), "2222222222222");
        assert_eq!(encode(u64::MAX >> 1), "bzzzzzzzzzzzz");
        assert!(is_valid_tid("3jzfcijpj2z2a"));
        assert!(!is_valid_tid("3jzfcijpj2z2"));
        assert!(!is_valid_tid("kjzfcijpj2z2a"));
        assert!(!is_valid_tid("3jzfcijpj2z21"));
    }

    #[test]
    fn a_uuid_v7_key_keeps_its_time_and_parts_differ() {
        // 0x0190_0000_0000 ms = 2024-06-…; version 7
        let variant = "01900000-0000-7000-8000-000000000000";
        let keys: Vec<String> = (0..50)
            .map(|i| rkey_for(&format!("{variant}:{i}")))
            .collect();
        for k in &keys {
            assert!(is_valid_tid(k), "{k}");
            let ms = tid_micros(k).unwrap() / 1000;
            assert_eq!(ms, 0x0190_0000_0000);
        }
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
    }

    #[test]
    fn other_keys_land_in_a_sane_time_range() {
        for key in ["x", "", "hello:world", "abc:7", "😀:1"] {
            let k = rkey_for(key);
            assert!(is_valid_tid(&k), "{key} → {k}");
            let ms = tid_micros(&k).unwrap() / 1000;
            assert!((HASH_EPOCH_MS..HASH_EPOCH_MS + HASH_SPAN_MS).contains(&ms));
        }
        // a UUID that is not v7 is hashed too
        let v4 = rkey_for("9b2e8d2c-3f5a-4d1e-8a6b-2c4d5e6f7a8b:0");
        let ms = tid_micros(&v4).unwrap() / 1000;
        assert!((HASH_EPOCH_MS..HASH_EPOCH_MS + HASH_SPAN_MS).contains(&ms));
    }

    proptest! {
        #[test]
        fn deterministic_valid_and_distinct(a in ".{0,40}", b in ".{0,40}") {
            let ka = rkey_for(&a);
            prop_assert!(is_valid_tid(&ka));
            prop_assert_eq!(&ka, &rkey_for(&a));
            if a != b {
                prop_assert_ne!(ka, rkey_for(&b));
            }
        }

        #[test]
        fn uuid_v7_parts_are_distinct(ms in 0u64..9_000_000_000_000, rand in any::<u64>(), i in 0u32..999, j in 0u32..999) {
            let mut bytes = [0u8; 16];
            bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
            bytes[8..].copy_from_slice(&rand.to_be_bytes());
            let id = uuid::Builder::from_bytes(bytes)
                .with_version(uuid::Version::SortRand)
                .with_variant(uuid::Variant::RFC4122)
                .into_uuid();
            let ki = rkey_for(&format!("{id}:{i}"));
            prop_assert!(is_valid_tid(&ki));
            prop_assert_eq!(tid_micros(&ki).unwrap() / 1000, ms);
            if i != j {
                prop_assert_ne!(ki, rkey_for(&format!("{id}:{j}")));
            }
        }
    }
}
