//! Lists: `{"items": [...], "next_cursor": string|null}` with `?limit=` (1–200, default 50) and
//! `?cursor=`. Cursors are opaque to clients (base64 of a kind and a position) so that the
//! position can change form without breaking them; a cursor of another list, or one that was
//! tampered with, is refused with 400 `invalid_cursor`.
//!
//! Lists that are small by nature (workspaces, channels, teams, tokens, grants, roles) come whole,
//! in the same envelope with `next_cursor: null`, so that a client's paging loop works everywhere.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::AppError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A concrete list type for the OpenAPI document (one per item type, so each has a clear name).
macro_rules! list_of {
    ($name:ident, $item:ty) => {
        #[doc = concat!("A list of `", stringify!($item), "`.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass back as `?cursor=` for the next page; `null` on the last page.
            #[schema(required = true)]
            pub next_cursor: Option<String>,
        }

        impl $name {
            /// A list that is complete in one response.
            #[allow(dead_code)]
            pub fn whole(items: Vec<$item>) -> Self {
                Self {
                    items,
                    next_cursor: None,
                }
            }
        }
    };
}
pub(crate) use list_of;

/// The page size asked for, checked.
pub fn limit(raw: Option<i64>) -> Result<i64, AppError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(AppError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_LIMIT}; {n} is not."),
        )
        .with_field("limit")),
    }
}

/// An opaque cursor for position `value` in a list of `kind`.
pub fn cursor(kind: &str, value: impl std::fmt::Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{value}"))
}

/// The position in a cursor made by [`cursor`] for the same `kind`.
pub fn decode_cursor(kind: &str, raw: &str) -> Result<String, AppError> {
    URL_SAFE_NO_PAD
        .decode(raw.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix(kind)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(str::to_owned)
        })
        .ok_or_else(invalid_cursor)
}

pub fn invalid_cursor() -> AppError {
    AppError::bad_request(
        "invalid_cursor",
        "This cursor is not valid here; use the next_cursor of the previous page.",
    )
    .with_field("cursor")
}

/// Split a page fetched with `limit + 1` rows into the page and the cursor of its last item when
/// there are more.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    position: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(position);
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_kind_checked() {
        let c = cursor("users", "abc");
        assert_eq!(decode_cursor("users", &c).ok().as_deref(), Some("abc"));
        assert!(decode_cursor("audit", &c).is_err());
        assert!(decode_cursor("users", "!!!").is_err());
        assert!(decode_cursor("users", "").is_err());
    }

    #[test]
    fn limits() {
        assert_eq!(limit(None).ok(), Some(DEFAULT_LIMIT));
        assert_eq!(limit(Some(200)).ok(), Some(200));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(201)).is_err());
    }

    #[test]
    fn pages() {
        let (items, next) = page(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!((items, next.as_deref()), (vec![1, 2], Some("2")));
        let (items, next) = page(vec![1, 2], 2, |n| n.to_string());
        assert_eq!((items, next), (vec![1, 2], None));
    }
}
