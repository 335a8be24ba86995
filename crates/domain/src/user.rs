//! People: their identity, how they are shown, the rules their inputs must meet.

use serde::{Deserialize, Serialize};

use crate::InvalidInput;

/// An e-mail address, trimmed and lower-cased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, InvalidInput> {
        let s = raw.trim().to_lowercase();
        let bad = |m: &str| Err(InvalidInput::new("email", "invalid_email", m));
        if s.is_empty() {
            return bad("Enter an e-mail address.");
        }
        if s.len() > 254 {
            return bad("That e-mail address is too long (254 characters at most).");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("An e-mail address needs an @, like name@example.com.");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return bad("That does not look like an e-mail address, like name@example.com.");
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        {
            return bad("An e-mail address cannot contain spaces, commas or angle brackets.");
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's or thing's display name: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &'static str, raw: &str) -> Result<DisplayName, InvalidInput> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(InvalidInput::new(field, "required", "Enter a name."));
        }
        if s.chars().count() > 100 {
            return Err(InvalidInput::new(
                field,
                "too_long",
                "Names are 100 characters at most.",
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(InvalidInput::new(
                field,
                "invalid",
                "Names cannot contain control characters.",
            ));
        }
        Ok(DisplayName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Password rules (NIST SP 800-63B): long enough, not absurdly long, not trivially repetitive.
/// Composition rules are deliberately absent: they make passwords worse, not better.
pub fn check_password(password: &str) -> Result<(), InvalidInput> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(InvalidInput::new(
            "password",
            "too_short",
            "Use at least 12 characters; a few unrelated words make a strong password.",
        ));
    }
    if n > 256 {
        return Err(InvalidInput::new(
            "password",
            "too_long",
            "Passwords are 256 characters at most.",
        ));
    }
    let distinct: std::collections::BTreeSet<char> = password.chars().collect();
    if distinct.len() < 4 {
        return Err(InvalidInput::new(
            "password",
            "too_simple",
            "That password repeats too few characters; choose something less predictable.",
        ));
    }
    Ok(())
}

/// Whether a person may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Created, but has not yet set a password through the setup link.
    Invited,
    Active,
    Disabled,
}

impl UserStatus {
    pub fn code(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        match s {
            "invited" => Some(UserStatus::Invited),
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }
}

/// An IANA time zone name, checked against the tz database.
pub fn parse_time_zone(raw: &str) -> Result<chrono_tz::Tz, InvalidInput> {
    raw.trim().parse::<chrono_tz::Tz>().map_err(|_| {
        InvalidInput::new(
            "time_zone",
            "invalid_time_zone",
            format!(
                "'{}' is not a time zone; use an IANA name such as Europe/Sofia.",
                raw.trim()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Olivia@Example.COM ").unwrap().as_str(),
            "olivia@example.com"
        );
        for bad in [
            "",
            "x",
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@example..com",
            "a@.example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_password("short").is_err());
        assert!(check_password("aaaaaaaaaaaaaaaa").is_err());
        assert!(check_password("correct horse battery").is_ok());
    }

    #[test]
    fn names_and_zones() {
        assert!(DisplayName::parse("name", "  ").is_err());
        assert_eq!(DisplayName::parse("name", " Ана ").unwrap().as_str(), "Ана");
        assert!(parse_time_zone("Europe/Sofia").is_ok());
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }
}
