//! Cross-site request forgery protection for the browser UI.
//!
//! Every state-changing request (POST, PUT, PATCH, DELETE) outside `/api/` and `/hooks/` must carry
//! a token: the hidden form field `csrf_token`, or the header `X-CSRF-Token` (htmx sends it). With
//! a session, the token is the session's own; before sign-in (sign-in, forgot-password, setup and
//! reset forms) it is a random value that is also in the `owlery_csrf` cookie (double submit).
//! The API is exempt because it authenticates with a bearer token, which a browser never sends by
//! itself.

use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use subtle::ConstantTimeEq;

use crate::{auth::principal::session_of, error::AppError, state::AppState};

pub const PRE_SESSION_COOKIE: &str = "owlery_csrf";
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The pre-session token for a form shown to someone not signed in: the cookie's value, or a new
/// one with the cookie to set.
pub fn pre_session_token(jar: &CookieJar, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(c) = jar.get(PRE_SESSION_COOKIE)
        && c.value().len() >= 32
    {
        return (c.value().to_owned(), None);
    }
    let token = owlery_store::sessions::new_secret();
    let cookie = Cookie::build((PRE_SESSION_COOKIE, token.clone()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build();
    (token, Some(cookie))
}

fn needs_check(req: &Request) -> bool {
    let path = req.uri().path();
    matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && !path.starts_with("/api/")
        && !path.starts_with("/hooks/")
        && !path.starts_with("/webhooks/")
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn csrf_failed() -> AppError {
    AppError::new(
        axum::http::StatusCode::FORBIDDEN,
        "csrf_failed",
        "This form has expired or did not come from Owlery. Reload the page and try again.",
    )
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !needs_check(&req) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let expected = match session_of(&parts, &state).await {
        Ok(Some((_, s))) => Some(s.csrf_token),
        Ok(None) => CookieJar::from_headers(&parts.headers)
            .get(PRE_SESSION_COOKIE)
            .map(|c| c.value().to_owned()),
        Err(e) => return crate::pages::error_response(&e),
    };
    let header = parts
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // With the header there is nothing to read from the body: it passes on unread, so uploads
    // (multipart, sent by htmx with the header) are held only to their own route's limit.
    if let Some(presented) = &header {
        if expected
            .as_deref()
            .is_some_and(|e| !e.is_empty() && bool::from(e.as_bytes().ct_eq(presented.as_bytes())))
        {
            return next.run(Request::from_parts(parts, body)).await;
        }
        return crate::pages::error_response(&csrf_failed());
    }
    let is_form = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let bytes = match to_bytes(body, state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return AppError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "The request is too large.",
            )
            .into_response();
        }
    };
    let presented = header.or_else(|| {
        if is_form {
            form_field(&bytes, FIELD)
        } else {
            None
        }
    });
    let ok = match (expected, presented) {
        (Some(e), Some(p)) => !e.is_empty() && bool::from(e.as_bytes().ct_eq(p.as_bytes())),
        _ => false,
    };
    if !ok {
        return crate::pages::error_response(&csrf_failed());
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
