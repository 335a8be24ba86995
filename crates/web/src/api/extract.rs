//! Extractors for the API whose every rejection is a JSON [`AppError`]: a client's mistake is
//! always a 4xx with a stable code, never axum's plain-text rejection or a 500.
//!
//! - [`Json`]: malformed JSON → 400 `malformed_json` (with serde's line and column); an unknown
//!   field → 422 `unknown_field`; a missing one → 422 `missing_field`; a wrong type or value →
//!   422 `invalid_field` (each with the field's path); no JSON content type → 415; too large → 413.
//! - [`Query`]: a malformed or unknown query parameter → 400 `invalid_parameter`.
//! - [`Id`] / [`Ids`]: a path id that is not a UUID → 400 `invalid_id`.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use owlery_domain::{
    CampaignId, ChannelId, GrantId, MediaId, PostId, TeamId, TokenId, UserId, VariantId,
    WorkspaceId,
};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::AppError;

/// A JSON request body or response. As an extractor it refuses what axum's `Json` refuses, with
/// our error shape; as a response it is axum's `Json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(json_rejection(JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| json_rejection(JsonRejection::BytesRejection(e)))?;
        // serde reads a struct from an array too (by position); a body is an object with names.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                    Ok(_) => AppError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_body",
                        "The request body must be a JSON object.",
                    ),
                    Err(e) => malformed(&e),
                },
            );
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `application/json`, or `application/<something>+json`, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The text of the error behind a rejection: serde's message, prefixed by the path of the field
/// (`scope.kind: unknown variant …`) when it is not at the top level.
fn cause(e: &dyn std::error::Error) -> String {
    e.source()
        .map(ToString::to_string)
        .unwrap_or_else(|| e.to_string())
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonSyntaxError(e) => malformed(&cause(&e)),
        JsonRejection::JsonDataError(e) => data_error(&cause(&e)),
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the request body as JSON with 'Content-Type: application/json'.",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "The request body is too large.",
            )
        }
        other => AppError::bad_request(
            "unreadable_body",
            format!("The request body could not be read: {}.", other.body_text()),
        ),
    }
}

fn malformed(why: &dyn std::fmt::Display) -> AppError {
    AppError::bad_request(
        "malformed_json",
        format!("The request body is not valid JSON: {why}."),
    )
}

/// Split `path: message` as `serde_path_to_error` writes it. A path has no spaces or backticks;
/// serde's own messages that contain `: ` ("invalid type: …") always have a space before it.
fn split_path(text: &str) -> (Option<&str>, &str) {
    if let Some((head, rest)) = text.split_once(": ")
        && !head.is_empty()
        && !head.contains(char::is_whitespace)
        && !head.contains('`')
    {
        return (Some(head), rest);
    }
    (None, text)
}

/// The name between the first pair of backticks: serde writes "unknown field `x`, expected …".
fn quoted(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let len = text.get(start..)?.find('`')?;
    text.get(start..start + len)
}

/// The full path of field `name` reported at `path`. For an unknown field the path already ends
/// with the field itself; for a missing one it is the object that lacks it.
fn join(path: Option<&str>, name: &str) -> String {
    match path {
        Some(p) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        Some(p) => format!("{p}.{name}"),
        None => name.to_owned(),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Valid JSON that does not fit the request: which field, and why.
fn data_error(text: &str) -> AppError {
    let (path, message) = split_path(text);
    let (code, field) = if message.starts_with("unknown field `") {
        ("unknown_field", quoted(message).map(|n| join(path, n)))
    } else if message.starts_with("missing field `") {
        ("missing_field", quoted(message).map(|n| join(path, n)))
    } else {
        ("invalid_field", path.map(str::to_owned))
    };
    let message = match &field {
        Some(f) if code == "invalid_field" => format!("'{f}': {message}."),
        _ => format!("{}.", capitalised(message)),
    };
    let error = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
    match field {
        Some(f) => error.with_field(f),
        None => error,
    }
}

/// Query parameters, refused with 400 `invalid_parameter` when they do not parse.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => {
                let text = cause(&rejection);
                let (path, message) = split_path(&text);
                let field = if message.starts_with("unknown field `") {
                    quoted(message).map(|n| join(path, n))
                } else {
                    path.map(str::to_owned)
                };
                let error = AppError::bad_request(
                    "invalid_parameter",
                    format!("The query string is not valid: {text}."),
                );
                Err(match field {
                    Some(f) => error.with_field(f),
                    None => error,
                })
            }
        }
    }
}

/// An id type that can appear in an API path.
pub trait ApiId: Sized {
    fn from_uuid(id: uuid::Uuid) -> Self;
}

macro_rules! api_id {
    ($($t:ty),*) => {$(
        impl ApiId for $t {
            fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }
    )*};
}

api_id!(
    UserId,
    GrantId,
    TeamId,
    TokenId,
    WorkspaceId,
    ChannelId,
    PostId,
    VariantId,
    MediaId,
    CampaignId
);

/// Reviews are identified by a plain UUID.
impl ApiId for uuid::Uuid {
    fn from_uuid(id: uuid::Uuid) -> Self {
        id
    }
}

/// Parse one id, as found in a path or a query string.
pub fn parse_id<T: ApiId>(field: &str, raw: &str) -> Result<T, AppError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(T::from_uuid)
        .map_err(|_| {
            AppError::bad_request(
                "invalid_id",
                format!("'{raw}' is not a valid id; ids are UUIDs."),
            )
            .with_field(field)
        })
}

async fn path_params(parts: &mut Parts) -> Result<Vec<(String, String)>, AppError> {
    axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, &())
        .await
        .map(|axum::extract::Path(params)| params)
        .map_err(|e| {
            AppError::bad_request(
                "invalid_path",
                format!("The address is not valid: {}.", e.body_text()),
            )
        })
}

/// The one id in a path such as `/users/{id}`.
#[derive(Debug, Clone, Copy)]
pub struct Id<T>(pub T);

impl<T: ApiId, S: Send + Sync> FromRequestParts<S> for Id<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let params = path_params(parts).await?;
        match params.as_slice() {
            [(name, value)] => parse_id(name, value).map(Id),
            _ => Err(AppError::internal(
                "Id<T> used on a route without exactly one id",
            )),
        }
    }
}

/// The two ids in a path such as `/teams/{id}/members/{user_id}`, in order.
#[derive(Debug, Clone, Copy)]
pub struct Ids<A, B>(pub A, pub B);

impl<A: ApiId, B: ApiId, S: Send + Sync> FromRequestParts<S> for Ids<A, B> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let params = path_params(parts).await?;
        match params.as_slice() {
            [(n1, v1), (n2, v2)] => Ok(Ids(parse_id(n1, v1)?, parse_id(n2, v2)?)),
            _ => Err(AppError::internal(
                "Ids<A, B> used on a route without two ids",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_split_from_serde_messages() {
        assert_eq!(
            split_path("scope.kind: unknown variant `x`"),
            (Some("scope.kind"), "unknown variant `x`")
        );
        assert_eq!(
            split_path("invalid type: string \"a\", expected u32"),
            (None, "invalid type: string \"a\", expected u32")
        );
        assert_eq!(
            split_path("unknown field `a: b`, expected `c`"),
            (None, "unknown field `a: b`, expected `c`")
        );
    }

    #[test]
    fn data_errors_name_the_field() {
        let e = data_error("unknown field `colour`, expected `name` at line 1 column 9");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("unknown_field", Some("colour"))
        );
        let e = data_error("scope.extra: unknown field `extra`, expected `kind` or `id`");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("unknown_field", Some("scope.extra"))
        );
        let e = data_error("scope: missing field `kind` at line 1 column 30");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("missing_field", Some("scope.kind"))
        );
        let e = data_error("expires_in_days: invalid type: string \"x\", expected i64");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("invalid_field", Some("expires_in_days"))
        );
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
