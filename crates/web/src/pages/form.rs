//! Form bodies as a list of fields. Parsed by hand rather than into a struct so that repeated
//! fields (check boxes), missing fields and junk never fail extraction: each handler validates what
//! it reads and answers with a form error, never a bare 400/422 from the framework.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
};

use crate::{error::AppError, state::AppState};

#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of a field, trimmed; empty when missing.
    pub fn get(&self, name: &str) -> String {
        self.raw(name).trim().to_owned()
    }

    /// The first value as sent (passwords are not trimmed).
    pub fn raw(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

impl FromRequest<AppState> for FormData {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            AppError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "The form is too large.",
            )
        })?;
        Ok(FormData::parse(&bytes))
    }
}

/// Where to go after a form: a local path only, never another site (open redirects).
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n']);
    if ok { next.to_owned() } else { "/".to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next("/settings/users?x=1"), "/settings/users?x=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), "/");
        }
    }

    proptest::proptest! {
        /// Whatever arrives, the redirect target is a local path.
        #[test]
        fn next_never_leaves_the_site(s in "\\PC*") {
            let n = safe_next(&s);
            proptest::prop_assert!(n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"));
            proptest::prop_assert!(!n.contains(['\r', '\n']));
        }

        /// Any body parses without panicking, and a field written is a field read back.
        #[test]
        fn any_body_parses(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512), v in "\\PC{0,40}") {
            let _ = FormData::parse(&body);
            let encoded: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("f", &v).finish();
            proptest::prop_assert_eq!(FormData::parse(encoded.as_bytes()).raw("f"), v);
        }
    }

    #[test]
    fn repeated_fields() {
        let f = FormData::parse(b"scopes=users%3Aread&scopes=audit%3Aread&name=+CI+");
        assert_eq!(f.all("scopes"), vec!["users:read", "audit:read"]);
        assert_eq!(f.get("name"), "CI");
        assert_eq!(f.get("missing"), "");
    }
}
