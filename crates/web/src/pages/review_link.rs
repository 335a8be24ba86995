//! The page an outside reviewer (a client, legal) opens from a single-purpose review link:
//! `GET /review/{token}` shows the post as it will go out; `POST` approves or requests changes.
//!
//! No account: the link's secret is the credential, checked again by the store when the decision
//! is recorded (it is used up by it). CSRF uses the pre-sign-in double-submit cookie, or the
//! session's token when the visitor happens to be signed in. An unknown link is a 404, an expired,
//! used or no-longer-current one a 410 — never a 500.

use axum::{
    Router,
    extract::{Path, State, rejection::PathRejection},
    http::{HeaderMap, StatusCode, request::Parts},
    response::{IntoResponse, Response},
    routing::get,
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use owlery_domain::publishing::approval::{Progress, Verdict};
use owlery_store::reviews::{DecideError, Decider, ReviewLink};

use super::{approvals::review_variants, form::FormData, guest_lang, render, unprocessable};
use crate::{
    auth::{ClientIp, csrf, principal::session_of},
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{FormErrors, Page, auth::ErrorView, publishing::ReviewLinkView},
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/review/{token}", get(show).post(submit))
}

/// Why a link cannot be used.
enum Refusal {
    Unknown,
    Expired,
    Used,
    NotWaiting,
}

fn refusal_page(lang: Lang, r: Refusal) -> Response {
    let (status, key) = match r {
        Refusal::Unknown => (StatusCode::NOT_FOUND, "review-link-unknown"),
        Refusal::Expired => (StatusCode::GONE, "review-link-expired"),
        Refusal::Used => (StatusCode::GONE, "review-link-used"),
        Refusal::NotWaiting => (StatusCode::GONE, "review-link-not-waiting"),
    };
    let page = Page::new(lang, chrono_tz::UTC, "");
    let view = ErrorView::new(page, status.as_u16()).with_message(i18n::tr(lang, key));
    let mut res = render(&view);
    *res.status_mut() = status;
    res
}

/// The CSRF token for the form: the session's when signed in (the middleware then expects it),
/// else the pre-session cookie's.
async fn csrf_for(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, Option<Cookie<'static>>), AppError> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers.clone();
    if let Some((_, s)) = session_of(&parts as &Parts, state).await? {
        return Ok((s.csrf_token, None));
    }
    let jar = CookieJar::from_headers(headers);
    Ok(csrf::pre_session_token(&jar, state.config.secure_cookies()))
}

/// A link that can decide now, or why not.
async fn usable_link(
    state: &AppState,
    token: &str,
) -> Result<Result<ReviewLink, Refusal>, AppError> {
    if token.len() > 200 {
        return Ok(Err(Refusal::Unknown));
    }
    let Some(link) = state.store.review_link(token).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    if link.used_at.is_some() {
        return Ok(Err(Refusal::Used));
    }
    if link.expires_at <= state.store.now() {
        return Ok(Err(Refusal::Expired));
    }
    Ok(Ok(link))
}

async fn view_for(
    state: &AppState,
    lang: Lang,
    csrf_token: String,
    token: &str,
    link: &ReviewLink,
) -> Result<Result<ReviewLinkView, Refusal>, AppError> {
    let Some(review) = state.store.review(link.review_id).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    let progress = review.progress(state.store.now());
    let step_name = match &progress {
        Progress::Pending {
            step, step_name, ..
        } if *step == link.step => step_name.clone(),
        _ => return Ok(Err(Refusal::NotWaiting)),
    };
    let Some(post) = state.store.post(review.post_id).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    let page = Page::new(lang, chrono_tz::UTC, csrf_token)
        .with_path(format!("/review/{token}"))
        .with_title(i18n::tr(lang, "review-link-title"));
    Ok(Ok(ReviewLinkView {
        page,
        token: token.to_owned(),
        label: link.label.clone(),
        step_name,
        title: post.title.clone(),
        expires_at: link.expires_at,
        variants: review_variants(state, &post, review.id).await?,
        name: link.label.clone(),
        reason: String::new(),
        errors: FormErrors::new(),
        done: None,
    }))
}

fn with_cookie(res: Response, cookie: Option<Cookie<'static>>) -> Response {
    match cookie {
        Some(c) => (CookieJar::new().add(c), res).into_response(),
        None => res,
    }
}

async fn show(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let lang = guest_lang(&headers);
    let Ok(Path(token)) = token else {
        return Ok(refusal_page(lang, Refusal::Unknown));
    };
    let link = match usable_link(&state, &token).await? {
        Ok(l) => l,
        Err(r) => return Ok(refusal_page(lang, r)),
    };
    let (csrf_token, cookie) = csrf_for(&state, &headers).await?;
    match view_for(&state, lang, csrf_token, &token, &link).await? {
        Ok(view) => Ok(with_cookie(render(&view), cookie)),
        Err(r) => Ok(refusal_page(lang, r)),
    }
}

async fn submit(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = guest_lang(&headers);
    let Ok(Path(token)) = token else {
        return Ok(refusal_page(lang, Refusal::Unknown));
    };
    let link = match usable_link(&state, &token).await? {
        Ok(l) => l,
        Err(r) => return Ok(refusal_page(lang, r)),
    };
    let (csrf_token, cookie) = csrf_for(&state, &headers).await?;
    let mut view = match view_for(&state, lang, csrf_token, &token, &link).await? {
        Ok(v) => v,
        Err(r) => return Ok(refusal_page(lang, r)),
    };
    let name = form.get("name");
    let reason = form.get("reason");
    view.name = name.clone();
    view.reason = reason.clone();
    let mut errors = FormErrors::new();
    let verdict = match Verdict::parse(&form.get("verdict")) {
        Some(v @ (Verdict::Approve | Verdict::RequestChanges)) => Some(v),
        _ => {
            errors.push("verdict", i18n::tr(lang, "approval-error-verdict"));
            None
        }
    };
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("name", i18n::tr(lang, "review-link-error-name"));
    }
    let (Some(verdict), true) = (verdict, errors.is_empty()) else {
        view.errors = errors;
        return Ok(with_cookie(unprocessable(render(&view)), cookie));
    };
    // The link names the reviewer; the person who actually decided signs the reason.
    let signed = if name.trim().eq_ignore_ascii_case(link.label.trim()) {
        reason.clone()
    } else if reason.is_empty() {
        i18n::tr_args(
            lang,
            "review-link-signed-empty",
            &[("name", name.clone().into())],
        )
    } else {
        format!("{reason}\n— {name}")
    };
    let reason_arg = Some(signed).filter(|r| !r.trim().is_empty());
    let reason_arg = if verdict == Verdict::RequestChanges && reason.is_empty() {
        None
    } else {
        reason_arg
    };
    match state
        .store
        .decide(
            &owlery_domain::audit::Actor {
                user_id: None,
                label: format!("review link: {}", link.label),
                ip: Some(ip),
            },
            link.review_id,
            Decider::Link {
                secret: token.clone(),
            },
            verdict,
            reason_arg,
        )
        .await
    {
        Ok(_) => {
            view.done = Some(i18n::tr(
                lang,
                if verdict == Verdict::Approve {
                    "review-link-done-approve"
                } else {
                    "review-link-done-changes"
                },
            ));
            Ok(with_cookie(render(&view), cookie))
        }
        Err(DecideError::LinkInvalid) => Ok(refusal_page(lang, Refusal::Used)),
        Err(DecideError::Rule(e)) => {
            view.errors
                .push("reason", super::approvals::decision_error(lang, &e));
            Ok(with_cookie(unprocessable(render(&view)), cookie))
        }
        Err(DecideError::Store(e)) => Err(e.into()),
    }
}
