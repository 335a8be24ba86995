//! Personal API tokens: their format and expiry rules. Tokens are random, shown once, and stored
//! only as a SHA-256 hash (they carry 256 bits of entropy, so a fast hash is the right tool).

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::{InvalidInput, Permission};

/// Every token starts with this, so secret scanners can recognise a leaked Owlery token.
pub const TOKEN_PREFIX: &str = "owl_";

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Tokens expire; a year at most, so that a forgotten token does not live for ever.
pub fn parse_expiry(
    days: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, InvalidInput> {
    match days {
        None => Ok(Some(now + Duration::days(90))),
        Some(d) if (1..=366).contains(&d) => Ok(Some(now + Duration::days(d))),
        Some(_) => Err(InvalidInput::new(
            "expires_in_days",
            "out_of_range",
            "A token lasts between 1 and 366 days.",
        )),
    }
}

/// Parse scope codes such as `users:read`. Empty means "the owner's own permissions".
pub fn parse_scopes<'a>(
    codes: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Permission>, InvalidInput> {
    let mut out = Vec::new();
    for code in codes {
        for part in code.split([',', ' ']).filter(|s| !s.is_empty()) {
            let p = Permission::parse(part).ok_or_else(|| {
                InvalidInput::new(
                    "scopes",
                    "unknown_scope",
                    format!("'{part}' is not a scope."),
                )
            })?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn expiry_bounds() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            parse_expiry(Some(30), now).unwrap(),
            Some(now + Duration::days(30))
        );
        assert!(parse_expiry(Some(0), now).is_err());
        assert!(parse_expiry(Some(1000), now).is_err());
    }

    #[test]
    fn scopes() {
        assert_eq!(
            parse_scopes(["users:read, audit:read"]).unwrap(),
            vec![Permission::UsersRead, Permission::AuditRead]
        );
        assert!(parse_scopes(["users:destroy"]).is_err());
    }
}
