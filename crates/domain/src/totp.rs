//! Time-based one-time passwords (RFC 6238) for two-factor sign-in, and recovery codes.
//!
//! The code check takes `now` and the last time step already used, so that a code can never be
//! used twice (RFC 6238 §5.2) and tests can fix the time.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

pub const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// Codes one step either side of now are accepted, for clocks that drift a little.
const SKEW: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the secret is not valid")]
    BadSecret,
    #[error("enter the 6-digit code from your authenticator app")]
    Malformed,
    #[error("that code is not right, or it has expired; try the current code")]
    Wrong,
    #[error("that code was already used; wait for the next one")]
    Replayed,
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<TOTP, TotpError> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW,
        STEP_SECONDS,
        secret.to_vec(),
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .map_err(|_| TotpError::BadSecret)
}

/// The `otpauth://` URL an authenticator app reads from the QR code.
pub fn provisioning_url(secret: &[u8], issuer: &str, account: &str) -> Result<String, TotpError> {
    Ok(totp(secret, issuer, account)?.get_url())
}

/// The secret as base32 for manual entry.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::Raw(secret.to_vec())
        .to_encoded()
        .to_string()
}

/// Check a code. On success returns the time step it belongs to; store it, and pass it back as
/// `last_step` next time so the same code is refused.
pub fn verify(
    secret: &[u8],
    code: &str,
    now: DateTime<Utc>,
    last_step: Option<i64>,
) -> Result<i64, TotpError> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Malformed);
    }
    let t = totp(secret, "Owlery", "check")?;
    let now_s = u64::try_from(now.timestamp()).map_err(|_| TotpError::Wrong)?;
    let step = (now_s / STEP_SECONDS) as i64;
    for offset in [0i64, -1, 1] {
        let s = step + offset;
        if s < 0 {
            continue;
        }
        let at = (s as u64) * STEP_SECONDS;
        if constant_time_eq(t.generate(at).as_bytes(), code.as_bytes()) {
            if last_step.is_some_and(|l| s <= l) {
                return Err(TotpError::Replayed);
            }
            return Ok(s);
        }
    }
    Err(TotpError::Wrong)
}

/// The code for a given time; for tests and for the CLI's diagnostics.
pub fn code_at(secret: &[u8], now: DateTime<Utc>) -> Result<String, TotpError> {
    let t = totp(secret, "Owlery", "check")?;
    Ok(t.generate(u64::try_from(now.timestamp()).unwrap_or(0)))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Normalise a recovery code as typed (spaces, dashes, case) and hash it for storage.
pub fn recovery_code_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(format!("owlery-recovery:{norm}")))
}

/// Whether a typed string looks like a recovery code rather than a TOTP code.
pub fn looks_like_recovery_code(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    // RFC 6238 appendix B, SHA-1 secret "12345678901234567890"; 8-digit vectors end in these 6.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1234567890, "005924"),
        ] {
            let now = Utc.timestamp_opt(t, 0).unwrap();
            assert_eq!(code_at(secret, now).unwrap(), code);
            assert!(verify(secret, code, now, None).is_ok());
        }
    }

    #[test]
    fn codes_are_single_use_and_skew_is_one_step() {
        let secret = b"12345678901234567890";
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let code = code_at(secret, now).unwrap();
        let step = verify(secret, &code, now, None).unwrap();
        assert_eq!(
            verify(secret, &code, now, Some(step)),
            Err(TotpError::Replayed)
        );
        let later = now + chrono::Duration::seconds(31);
        assert!(verify(secret, &code, later, None).is_ok());
        let much_later = now + chrono::Duration::seconds(120);
        assert_eq!(
            verify(secret, &code, much_later, None),
            Err(TotpError::Wrong)
        );
        assert_eq!(
            verify(secret, "12ab56", now, None),
            Err(TotpError::Malformed)
        );
        assert!(verify(secret, &format!("{} {}", &code[..3], &code[3..]), now, None).is_ok());
    }

    #[test]
    fn recovery_codes_normalise() {
        assert_eq!(
            recovery_code_hash("ABCD-EFGH-12"),
            recovery_code_hash("abcd efgh 12")
        );
        assert!(looks_like_recovery_code("abcd-efgh-ijkl"));
        assert!(!looks_like_recovery_code("123456"));
    }
}
