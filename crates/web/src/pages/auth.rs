//! Sign-in (password, then the second factor), sign-out, forgotten passwords, and first-time setup
//! through a one-time link.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use owlery_domain::{
    audit::Actor,
    lockout::SignInGate,
    mail::{JOB_KIND, OutgoingMail},
    totp,
    user::{DisplayName, UserStatus, check_password},
};
use owlery_store::{
    jobs::NewJob,
    sessions::{LinkProblem, LinkPurpose, SessionStage},
    users::Credentials,
};
use serde::Deserialize;

use super::{
    MIN_PASSWORD,
    form::{FormData, safe_next},
    guest_lang, render,
};
use crate::{
    auth::{ClientIp, SESSION_COOKIE, csrf, idle_timeout, password, principal::session_of},
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        FieldError, Flash, FormErrors, Page,
        auth::{
            ErrorView, ForgotPasswordView, ResetPasswordView, SetupView, SignInTwoFactorView,
            SignInView,
        },
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin", get(signin_form).post(signin))
        .route("/signin/2fa", get(second_factor_form).post(second_factor))
        .route("/signout", post(signout))
        .route("/forgot-password", get(forgot_form).post(forgot))
        .route("/reset-password/{token}", get(reset_form).post(reset))
        .route("/setup/{token}", get(setup_form).post(setup))
}

/// A page for someone not (fully) signed in: guest language, pre-session CSRF token.
fn guest_page(
    headers: &HeaderMap,
    jar: &CookieJar,
    state: &AppState,
    path: &str,
) -> (Page, Option<Cookie<'static>>) {
    let (token, cookie) = csrf::pre_session_token(jar, state.config.secure_cookies());
    (
        Page::new(guest_lang(headers), chrono_tz::UTC, token).with_path(path),
        cookie,
    )
}

fn with_cookie(res: Response, cookie: Option<Cookie<'static>>) -> Response {
    match cookie {
        Some(c) => (CookieJar::new().add(c), res).into_response(),
        None => res,
    }
}

fn with_status(mut res: Response, status: StatusCode) -> Response {
    *res.status_mut() = status;
    res
}

pub(crate) fn session_cookie(state: &AppState, secret: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .secure(state.config.secure_cookies())
        .same_site(SameSite::Lax)
        .build()
}

#[derive(Deserialize)]
struct SignInQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    notice: String,
}

async fn signin_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<SignInQuery>,
) -> Response {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/signin");
    let flash = match q.notice.as_str() {
        "password-reset" => Some(Flash::success(i18n::tr(page.lang, "reset-done"))),
        "signed-out" => Some(Flash::info(i18n::tr(page.lang, "signout-done"))),
        _ => None,
    };
    let view = SignInView {
        page: page.with_flash(flash),
        email: String::new(),
        error: None,
        errors: FormErrors::new(),
        next: safe_next(&q.next),
    };
    with_cookie(render(&view), cookie)
}

/// When the account or address is locked, the sentence that says until when.
fn locked_message(
    lang: Lang,
    until: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let minutes = ((until - now).num_seconds() + 59) / 60;
    i18n::tr_args(
        lang,
        "signin-error-locked",
        &[("minutes", i18n::Arg::from(minutes.max(1)))],
    )
}

async fn signin(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> Result<Response, AppError> {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/signin");
    let lang = page.lang;
    let email = form.get("email").to_lowercase();
    let next = safe_next(&form.get("next"));
    let again = |page: Page, error: String, status: StatusCode| {
        let view = SignInView {
            page,
            email: email.clone(),
            error: Some(error),
            errors: FormErrors::new(),
            next: next.clone(),
        };
        with_status(with_cookie(render(&view), cookie.clone()), status)
    };
    if email.is_empty() || form.raw("password").is_empty() {
        return Ok(again(
            page,
            i18n::tr(lang, "signin-error-missing"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let now = state.store.now();
    let (by_email, by_ip) = state
        .store
        .signin_failures(&email, &ip, state.lockout.since(now))
        .await?;
    if let SignInGate::LockedUntil(until) = state.lockout.gate(&by_email, &by_ip, now) {
        return Ok(again(
            page,
            locked_message(lang, until, now),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let creds = state.store.credentials_by_email(&email).await?;
    let ok = password::verify(
        form.raw("password"),
        creds.as_ref().and_then(|c| c.password_hash.clone()),
    )
    .await?;
    let actor = Actor {
        user_id: creds.as_ref().map(|c| c.user.id),
        label: email.clone(),
        ip: Some(ip.clone()),
    };
    let creds = match creds {
        Some(c) if ok && c.user.status == UserStatus::Active => c,
        Some(c) if ok && c.user.status == UserStatus::Disabled => {
            state
                .store
                .record_signin_failure(&actor, &email, &ip, "disabled")
                .await?;
            return Ok(again(
                page,
                i18n::tr(lang, "signin-error-disabled"),
                StatusCode::FORBIDDEN,
            ));
        }
        _ => {
            state
                .store
                .record_signin_failure(&actor, &email, &ip, "bad_credentials")
                .await?;
            return Ok(again(
                page,
                i18n::tr(lang, "signin-error-credentials"),
                StatusCode::UNAUTHORIZED,
            ));
        }
    };
    let stage = stage_after_password(&state, &creds).await?;
    let idle = idle_timeout(&state).await?;
    let ua = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let (secret, _) = state
        .store
        .create_session(creds.user.id, stage, idle, Some(&ip), ua)
        .await?;
    let to = match stage {
        SessionStage::Active => {
            state
                .store
                .record_signin(&actor, creds.user.id, "password")
                .await?;
            next
        }
        SessionStage::PendingSecondFactor => "/signin/2fa".to_owned(),
        SessionStage::MustEnrolSecondFactor => "/account/2fa".to_owned(),
    };
    Ok((jar.add(session_cookie(&state, secret)), Redirect::to(&to)).into_response())
}

/// After a correct password: the second factor if the person has one; enrolment if policy demands
/// one they lack; otherwise fully in.
async fn stage_after_password(
    state: &AppState,
    creds: &Credentials,
) -> Result<SessionStage, AppError> {
    if creds.user.totp_enabled {
        return Ok(SessionStage::PendingSecondFactor);
    }
    let access = state.store.access_of(creds.user.id).await?;
    let policy = state
        .store
        .organisation()
        .await?
        .map(|o| o.security)
        .unwrap_or_default();
    Ok(if policy.requires_2fa(&access) {
        SessionStage::MustEnrolSecondFactor
    } else {
        SessionStage::Active
    })
}

async fn pending_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, owlery_store::sessions::Session)>, AppError> {
    let (parts, _) = axum::http::Request::builder()
        .uri("/signin/2fa")
        .body(())
        .map_err(AppError::internal)?
        .into_parts();
    let mut parts = parts;
    parts.headers = headers.clone();
    Ok(session_of(&parts, state)
        .await?
        .filter(|(_, s)| s.stage == SessionStage::PendingSecondFactor))
}

fn second_factor_page(
    state: &AppState,
    headers: &HeaderMap,
    session: &owlery_store::sessions::Session,
) -> Page {
    let _ = state;
    Page::new(
        guest_lang(headers),
        chrono_tz::UTC,
        session.csrf_token.clone(),
    )
    .with_path("/signin/2fa")
}

async fn second_factor_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some((_, session)) = pending_session(&state, &headers).await? else {
        return Ok(Redirect::to("/signin").into_response());
    };
    let view = SignInTwoFactorView {
        page: second_factor_page(&state, &headers, &session),
        errors: FormErrors::new(),
    };
    Ok(render(&view))
}

async fn second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> Result<Response, AppError> {
    let Some((secret, session)) = pending_session(&state, &headers).await? else {
        return Ok(Redirect::to("/signin").into_response());
    };
    let page = second_factor_page(&state, &headers, &session);
    let lang = page.lang;
    let creds = state.store.credentials(session.user_id).await?;
    let actor = Actor::user(creds.user.id, &creds.user.email, Some(ip.clone()));
    let fail = |page: Page, key: &str, status: StatusCode| {
        let errors = FormErrors(vec![FieldError::new("code", i18n::tr(lang, key))]);
        with_status(render(&SignInTwoFactorView { page, errors }), status)
    };
    let now = state.store.now();
    let (by_email, by_ip) = state
        .store
        .signin_failures(&creds.user.email, &ip, state.lockout.since(now))
        .await?;
    if let SignInGate::LockedUntil(until) = state.lockout.gate(&by_email, &by_ip, now) {
        let errors = FormErrors(vec![FieldError::new(
            "code",
            locked_message(lang, until, now),
        )]);
        return Ok(with_status(
            render(&SignInTwoFactorView { page, errors }),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let code = form.get("code");
    let method = if totp::looks_like_recovery_code(&code) {
        if !state
            .store
            .consume_recovery_code(creds.user.id, &totp::recovery_code_hash(&code))
            .await?
        {
            state
                .store
                .record_signin_failure(&actor, &creds.user.email, &ip, "bad_recovery_code")
                .await?;
            return Ok(fail(
                page,
                "signin-2fa-error-recovery",
                StatusCode::UNAUTHORIZED,
            ));
        }
        "password+recovery_code"
    } else {
        let Some(sealed) = &creds.totp_secret else {
            return Ok(Redirect::to("/signin").into_response());
        };
        let plain = state
            .vault
            .open(owlery_store::vault::TOTP_PURPOSE, sealed)
            .map_err(AppError::internal)?;
        match totp::verify(&plain, &code, now, creds.totp_last_step) {
            Ok(step) if state.store.consume_totp_step(creds.user.id, step).await? => {
                "password+totp"
            }
            Ok(_) | Err(totp::TotpError::Replayed) => {
                state
                    .store
                    .record_signin_failure(&actor, &creds.user.email, &ip, "replayed_code")
                    .await?;
                return Ok(fail(
                    page,
                    "signin-2fa-error-replayed",
                    StatusCode::UNAUTHORIZED,
                ));
            }
            Err(totp::TotpError::Malformed) => {
                return Ok(fail(
                    page,
                    "signin-2fa-error-malformed",
                    StatusCode::UNPROCESSABLE_ENTITY,
                ));
            }
            Err(_) => {
                state
                    .store
                    .record_signin_failure(&actor, &creds.user.email, &ip, "bad_code")
                    .await?;
                return Ok(fail(
                    page,
                    "signin-2fa-error-code",
                    StatusCode::UNAUTHORIZED,
                ));
            }
        }
    };
    let idle = idle_timeout(&state).await?;
    let (new_secret, _) = state
        .store
        .advance_session(&secret, SessionStage::Active, idle)
        .await?;
    state
        .store
        .record_signin(&actor, creds.user.id, method)
        .await?;
    Ok((
        jar.add(session_cookie(&state, new_secret)),
        Redirect::to("/"),
    )
        .into_response())
}

async fn signout(State(state): State<AppState>, jar: CookieJar) -> Result<Response, AppError> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        state.store.end_session(c.value()).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/signin?notice=signed-out")).into_response())
}

// ---- forgotten password ----

async fn forgot_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/forgot-password");
    let view = ForgotPasswordView {
        page,
        email: String::new(),
        sent: false,
        errors: FormErrors::new(),
    };
    with_cookie(render(&view), cookie)
}

/// Always answers the same way, whether or not the address has an account.
async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> Result<Response, AppError> {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/forgot-password");
    let lang = page.lang;
    let email = form.get("email");
    if let Err(e) = owlery_domain::user::Email::parse(&email) {
        let errors = FormErrors(vec![FieldError::new("email", e.message)]);
        let view = ForgotPasswordView {
            page,
            email,
            sent: false,
            errors,
        };
        return Ok(with_status(
            with_cookie(render(&view), cookie),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if let Some(c) = state.store.credentials_by_email(&email).await?
        && c.user.status != UserStatus::Disabled
    {
        if state.config.mail_enabled {
            let actor = Actor {
                user_id: Some(c.user.id),
                label: c.user.email.clone(),
                ip: Some(ip),
            };
            let secret = state
                .store
                .create_link(
                    &actor,
                    c.user.id,
                    LinkPurpose::PasswordReset,
                    chrono::Duration::hours(1),
                )
                .await?;
            let user_lang = Lang::parse(&c.user.language).unwrap_or(lang);
            let link = state.config.link(&format!("/reset-password/{secret}"));
            let mail = OutgoingMail {
                to: c.user.email.clone(),
                subject: i18n::tr(user_lang, "reset-mail-subject"),
                text: i18n::tr_args(
                    user_lang,
                    "reset-mail-body",
                    &[
                        ("name", i18n::Arg::from(c.user.name.clone())),
                        ("link", i18n::Arg::from(link)),
                    ],
                ),
            };
            let payload = serde_json::to_value(&mail).map_err(AppError::internal)?;
            state.store.enqueue(NewJob::new(JOB_KIND, payload)).await?;
        } else {
            tracing::warn!(user.id = %c.user.id, "password reset requested but outgoing mail is not configured");
        }
    }
    let view = ForgotPasswordView {
        page,
        email,
        sent: true,
        errors: FormErrors::new(),
    };
    Ok(with_cookie(render(&view), cookie))
}

fn link_problem_page(page: Page, problem: LinkProblem) -> Response {
    let lang = page.lang;
    let (status, key) = match problem {
        LinkProblem::Unknown => (404, "link-error-unknown"),
        LinkProblem::Expired => (410, "link-error-expired"),
        LinkProblem::Used => (410, "link-error-used"),
    };
    let view = ErrorView::new(page, status).with_message(i18n::tr(lang, key));
    with_status(
        render(&view),
        StatusCode::from_u16(status).unwrap_or(StatusCode::GONE),
    )
}

/// Check a new password and its confirmation; the form errors, if any.
fn check_new_password(lang: Lang, form: &FormData) -> FormErrors {
    let mut errors = Vec::new();
    let pw = form.raw("password");
    if let Err(e) = check_password(&pw) {
        errors.push(FieldError::new(
            "password",
            i18n::tr_or(lang, &format!("password-error-{}", e.code), &e.message),
        ));
    } else if pw != form.raw("password_confirm") {
        errors.push(FieldError::new(
            "password_confirm",
            i18n::tr(lang, "password-error-mismatch"),
        ));
    }
    FormErrors(errors)
}

async fn reset_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/reset-password");
    if let Err(problem) = state
        .store
        .check_link(&token, LinkPurpose::PasswordReset)
        .await?
    {
        return Ok(link_problem_page(page, problem));
    }
    let view = ResetPasswordView {
        page,
        token,
        min_password_length: MIN_PASSWORD,
        errors: FormErrors::new(),
    };
    Ok(with_cookie(render(&view), cookie))
}

async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/reset-password");
    let user_id = match state
        .store
        .check_link(&token, LinkPurpose::PasswordReset)
        .await?
    {
        Ok(u) => u,
        Err(problem) => return Ok(link_problem_page(page, problem)),
    };
    let errors = check_new_password(page.lang, &form);
    if !errors.0.is_empty() {
        let view = ResetPasswordView {
            page,
            token,
            min_password_length: MIN_PASSWORD,
            errors,
        };
        return Ok(with_status(
            with_cookie(render(&view), cookie),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let hash = password::hash(form.raw("password")).await?;
    if !state
        .store
        .consume_link(&token, LinkPurpose::PasswordReset)
        .await?
    {
        return Ok(link_problem_page(page, LinkProblem::Used));
    }
    let user = state.store.user(user_id).await?;
    let actor = Actor::user(user.id, &user.email, Some(ip));
    state
        .store
        .set_password(&actor, user.id, &hash, "user.password.reset", None)
        .await?;
    Ok(Redirect::to("/signin?notice=password-reset").into_response())
}

// ---- first-time setup ----

async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/setup");
    let user_id = match state.store.check_link(&token, LinkPurpose::Setup).await? {
        Ok(u) => u,
        Err(problem) => return Ok(link_problem_page(page, problem)),
    };
    let user = state.store.user(user_id).await?;
    let org_name = state
        .store
        .organisation()
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let first_owner = state.store.count_users().await? == 1;
    let view = SetupView {
        page,
        token,
        first_owner,
        org_name,
        email: user.email,
        name: user.name,
        min_password_length: MIN_PASSWORD,
        errors: FormErrors::new(),
    };
    Ok(with_cookie(render(&view), cookie))
}

async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let (page, cookie) = guest_page(&headers, &jar, &state, "/setup");
    let user_id = match state.store.check_link(&token, LinkPurpose::Setup).await? {
        Ok(u) => u,
        Err(problem) => return Ok(link_problem_page(page, problem)),
    };
    let user = state.store.user(user_id).await?;
    let mut errors = check_new_password(page.lang, &form);
    let name = DisplayName::parse("name", &form.get("name"));
    if let Err(e) = &name {
        errors.0.insert(
            0,
            FieldError::new(
                "name",
                i18n::tr_or(page.lang, "name-error-required", &e.message),
            ),
        );
    }
    let (Ok(name), true) = (name, errors.0.is_empty()) else {
        let org_name = state
            .store
            .organisation()
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let view = SetupView {
            page,
            token,
            first_owner: false,
            org_name,
            email: user.email,
            name: form.get("name"),
            min_password_length: MIN_PASSWORD,
            errors,
        };
        return Ok(with_status(
            with_cookie(render(&view), cookie),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let hash = password::hash(form.raw("password")).await?;
    if !state.store.consume_link(&token, LinkPurpose::Setup).await? {
        return Ok(link_problem_page(page, LinkProblem::Used));
    }
    let actor = Actor::user(user.id, &user.email, Some(ip.clone()));
    state
        .store
        .set_password(&actor, user.id, &hash, "user.setup", None)
        .await?;
    state
        .store
        .update_profile(&actor, user.id, &name, &user.language, &user.time_zone)
        .await?;
    // Signed in straight away, subject to the same second-factor policy as any sign-in.
    let creds = state.store.credentials(user.id).await?;
    let stage = stage_after_password(&state, &creds).await?;
    let idle = idle_timeout(&state).await?;
    let (secret, _) = state
        .store
        .create_session(user.id, stage, idle, Some(&ip), None)
        .await?;
    let to = match stage {
        SessionStage::Active => {
            state
                .store
                .record_signin(&actor, user.id, "setup_link")
                .await?;
            "/"
        }
        SessionStage::PendingSecondFactor => "/signin/2fa",
        SessionStage::MustEnrolSecondFactor => "/account/2fa",
    };
    Ok((jar.add(session_cookie(&state, secret)), Redirect::to(to)).into_response())
}
