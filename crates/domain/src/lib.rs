//! Owlery's domain: the types and rules of the product, free of IO, async, SQL and HTTP.
//!
//! Time is always a parameter (`now: DateTime<Utc>`); `clippy.toml` forbids reading the clock here,
//! so every clock-dependent rule is testable. Inputs from outside are parsed into the newtypes
//! below (`Email::parse`, `DisplayName::parse` …) so that the rest of the code never sees raw strings.

pub mod access;
pub mod audit;
pub mod ids;
pub mod inbox;
pub mod lockout;
pub mod mail;
pub mod org;
pub mod post;
pub mod publishing;
pub mod role;
pub mod sla;
pub mod spec;
pub mod text;
pub mod token;
pub mod totp;
pub mod user;

pub use access::{Access, Grant, Scope, Target};
pub use ids::*;
pub use role::{Permission, Role};

/// A value from outside that does not satisfy the rule it must: what is wrong, in words for a person,
/// and which field it concerns (for form and API errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl InvalidInput {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// The clock, passed to whatever needs the time so that tests can fix it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
}
