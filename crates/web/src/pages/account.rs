//! The signed-in person's own account: profile, language, password, two-factor sign-in and
//! personal API tokens.

use axum::{
    Router,
    extract::{Path, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use owlery_domain::{
    Permission, TokenId, totp,
    user::{DisplayName, parse_time_zone},
};
use owlery_store::sessions::SessionStage;
use rand::Rng;

use super::{
    MIN_PASSWORD,
    form::{FormData, safe_next},
    lang_of, page_for, render, unprocessable,
};
use crate::{
    auth::{
        ClientIp, PagePrincipal, SESSION_COOKIE, idle_timeout, password, principal::session_of,
    },
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        FieldError, Flash, FormErrors, Section,
        account::{
            AccountView, NewToken, RecoveryCodesView, TokenRow, TokensView, TwoFactorEnrolView,
        },
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account).post(save_profile))
        .route("/account/password", post(change_password))
        .route("/account/language", post(set_language))
        .route("/account/2fa", get(enrol_form).post(enrol))
        .route("/account/2fa/recovery-codes", post(new_recovery_codes))
        .route("/account/2fa/disable", post(disable_2fa))
        .route("/account/tokens", get(tokens).post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

async fn account_view(state: &AppState, p: &PagePrincipal) -> Result<AccountView, AppError> {
    let user = &p.0.user;
    let policy = state
        .store
        .organisation()
        .await?
        .map(|o| o.security)
        .unwrap_or_default();
    Ok(AccountView {
        page: page_for(p, "/account").with_section(Section::Account),
        name: user.name.clone(),
        email: user.email.clone(),
        lang: lang_of(p),
        time_zone: user.time_zone.clone(),
        two_factor_enabled: user.totp_enabled,
        two_factor_required: policy.requires_2fa(&p.0.access),
        recovery_codes_left: state.store.unused_recovery_codes(user.id).await?,
        min_password_length: MIN_PASSWORD,
        profile_errors: FormErrors::new(),
        password_errors: FormErrors::new(),
        two_factor_errors: FormErrors::new(),
    })
}

async fn account(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    Ok(render(&account_view(&state, &p).await?))
}

async fn save_profile(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let mut errors = Vec::new();
    let name = DisplayName::parse("name", &form.get("name")).map_err(|e| {
        errors.push(FieldError::new(
            "name",
            i18n::tr_or(lang, "name-error-required", &e.message),
        ))
    });
    let new_lang = Lang::parse(&form.get("lang"));
    if new_lang.is_none() {
        errors.push(FieldError::new(
            "lang",
            i18n::tr(lang, "lang-error-unknown"),
        ));
    }
    let tz = parse_time_zone(&form.get("time_zone")).map_err(|e| {
        errors.push(FieldError::new(
            "time_zone",
            i18n::tr_or(lang, "tz-error-unknown", &e.message),
        ))
    });
    let (Ok(name), Some(new_lang), Ok(tz)) = (name, new_lang, tz) else {
        let mut view = account_view(&state, &p).await?;
        view.profile_errors = FormErrors(errors);
        return Ok(unprocessable(render(&view)));
    };
    state
        .store
        .update_profile(&p.0.actor(), p.0.user.id, &name, new_lang.code(), tz.name())
        .await?;
    let mut fresh = p.clone();
    fresh.0.user = state.store.user(p.0.user.id).await?;
    let mut view = account_view(&state, &fresh).await?;
    view.page = view
        .page
        .with_flash(Some(Flash::success(i18n::tr(new_lang, "account-saved"))));
    Ok(render(&view))
}

async fn check_current_password(
    state: &AppState,
    p: &PagePrincipal,
    form: &FormData,
) -> Result<bool, AppError> {
    let creds = state.store.credentials(p.0.user.id).await?;
    password::verify(form.raw("current_password"), creds.password_hash).await
}

async fn change_password(
    State(state): State<AppState>,
    p: PagePrincipal,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let mut errors = Vec::new();
    if !check_current_password(&state, &p, &form).await? {
        errors.push(FieldError::new(
            "current_password",
            i18n::tr(lang, "password-error-current"),
        ));
    }
    let pw = form.raw("password");
    if let Err(e) = owlery_domain::user::check_password(&pw) {
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
    if !errors.is_empty() {
        let mut view = account_view(&state, &p).await?;
        view.password_errors = FormErrors(errors);
        return Ok(unprocessable(render(&view)));
    }
    let hash = password::hash(pw).await?;
    // Other sessions end; this one stays.
    let keep = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
    state
        .store
        .set_password(
            &p.0.actor(),
            p.0.user.id,
            &hash,
            "user.password.change",
            keep.as_deref(),
        )
        .await?;
    let mut view = account_view(&state, &p).await?;
    view.page = view
        .page
        .with_flash(Some(Flash::success(i18n::tr(lang, "password-changed"))));
    Ok(render(&view))
}

/// The language switch in the layout: saved on the profile when signed in, else in a cookie.
async fn set_language(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, AppError> {
    let Some(lang) = Lang::parse(&form.get("lang")) else {
        return Err(AppError::bad_request(
            "unknown_language",
            "Choose English or Bulgarian.",
        ));
    };
    let next = safe_next(&form.get("next"));
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some((_, session)) = session_of(&parts, &state).await?
        && session.stage == SessionStage::Active
    {
        let user = state.store.user(session.user_id).await?;
        let actor = owlery_domain::audit::Actor::user(user.id, &user.email, Some(ip));
        let name = DisplayName::parse("name", &user.name)?;
        state
            .store
            .update_profile(&actor, user.id, &name, lang.code(), &user.time_zone)
            .await?;
    }
    let cookie = Cookie::build(("owlery_lang", lang.code()))
        .path("/")
        .http_only(true)
        .build();
    Ok((jar.add(cookie), Redirect::to(&next)).into_response())
}

// ---- two-factor sign-in ----

async fn enrol_form(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    if p.0.user.totp_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    let mut secret = [0u8; 20];
    rand::rngs::OsRng.fill(&mut secret);
    let sealed = state
        .vault
        .seal(owlery_store::vault::TOTP_PURPOSE, &secret)
        .map_err(AppError::internal)?;
    state.store.set_pending_totp(p.0.user.id, &sealed).await?;
    let issuer = state
        .store
        .organisation()
        .await?
        .map(|o| format!("Owlery ({})", o.name))
        .unwrap_or_else(|| "Owlery".into());
    let url =
        totp::provisioning_url(&secret, &issuer, &p.0.user.email).map_err(AppError::internal)?;
    let qr = qrcode::QrCode::new(url.as_bytes()).map_err(AppError::internal)?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let required =
        p.0.session()
            .is_some_and(|s| s.stage == SessionStage::MustEnrolSecondFactor);
    let view = TwoFactorEnrolView {
        page: page_for(&p, "/account/2fa").with_section(Section::Account),
        qr_svg,
        secret: totp::secret_base32(&secret),
        required,
        errors: FormErrors::new(),
    };
    Ok(render(&view))
}

fn new_recovery_codes_plain() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| {
            let s: String = (0..12)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
        })
        .collect()
}

async fn enrol(
    State(state): State<AppState>,
    p: PagePrincipal,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let creds = state.store.credentials(p.0.user.id).await?;
    let Some(sealed) = creds.totp_secret.filter(|_| !creds.user.totp_enabled) else {
        return Ok(Redirect::to("/account").into_response());
    };
    let secret = state
        .vault
        .open(owlery_store::vault::TOTP_PURPOSE, &sealed)
        .map_err(AppError::internal)?;
    let step = match totp::verify(&secret, &form.get("code"), state.store.now(), None) {
        Ok(step) => step,
        Err(e) => {
            let key = match e {
                totp::TotpError::Malformed => "signin-2fa-error-malformed",
                _ => "signin-2fa-error-code",
            };
            // Show the same secret again so the person can retry without re-scanning.
            let url = totp::provisioning_url(&secret, "Owlery", &p.0.user.email)
                .map_err(AppError::internal)?;
            let qr_svg = qrcode::QrCode::new(url.as_bytes())
                .map_err(AppError::internal)?
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build();
            let view = TwoFactorEnrolView {
                page: page_for(&p, "/account/2fa").with_section(Section::Account),
                qr_svg,
                secret: totp::secret_base32(&secret),
                required: p
                    .0
                    .session()
                    .is_some_and(|s| s.stage == SessionStage::MustEnrolSecondFactor),
                errors: FormErrors(vec![FieldError::new("code", i18n::tr(lang, key))]),
            };
            return Ok(unprocessable(render(&view)));
        }
    };
    let codes = new_recovery_codes_plain();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    state
        .store
        .enable_totp(&p.0.actor(), p.0.user.id, step, &hashes)
        .await?;
    let view = RecoveryCodesView {
        page: page_for(&p, "/account/2fa").with_section(Section::Account),
        codes,
    };
    let res = render(&view);
    // Enrolment that policy demanded completes the sign-in.
    if let Some(session) = p.0.session()
        && session.stage == SessionStage::MustEnrolSecondFactor
        && let Some(cookie) = jar.get(SESSION_COOKIE)
    {
        let idle = idle_timeout(&state).await?;
        let (secret, _) = state
            .store
            .advance_session(cookie.value(), SessionStage::Active, idle)
            .await?;
        state
            .store
            .record_signin(&p.0.actor(), p.0.user.id, "password+totp_enrolment")
            .await?;
        return Ok((jar.add(super::auth::session_cookie(&state, secret)), res).into_response());
    }
    Ok(res)
}

async fn new_recovery_codes(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    if !p.0.user.totp_enabled {
        return Ok(Redirect::to("/account").into_response());
    }
    if !check_current_password(&state, &p, &form).await? {
        let mut view = account_view(&state, &p).await?;
        view.two_factor_errors = FormErrors(vec![FieldError::new(
            "current_password",
            i18n::tr(lang, "password-error-current"),
        )]);
        return Ok(unprocessable(render(&view)));
    }
    let codes = new_recovery_codes_plain();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    state
        .store
        .replace_recovery_codes(&p.0.actor(), p.0.user.id, &hashes)
        .await?;
    Ok(render(&RecoveryCodesView {
        page: page_for(&p, "/account/2fa").with_section(Section::Account),
        codes,
    }))
}

async fn disable_2fa(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let policy = state
        .store
        .organisation()
        .await?
        .map(|o| o.security)
        .unwrap_or_default();
    let mut errors = Vec::new();
    if policy.requires_2fa(&p.0.access) {
        errors.push(FieldError::new(
            "current_password",
            i18n::tr(lang, "twofa-error-required"),
        ));
    } else if !check_current_password(&state, &p, &form).await? {
        errors.push(FieldError::new(
            "current_password",
            i18n::tr(lang, "password-error-current"),
        ));
    }
    if !errors.is_empty() {
        let mut view = account_view(&state, &p).await?;
        view.two_factor_errors = FormErrors(errors);
        return Ok(unprocessable(render(&view)));
    }
    state
        .store
        .disable_totp(&p.0.actor(), p.0.user.id, "user.2fa.disable")
        .await?;
    let mut fresh = p.clone();
    fresh.0.user = state.store.user(p.0.user.id).await?;
    let mut view = account_view(&state, &fresh).await?;
    view.page = view
        .page
        .with_flash(Some(Flash::success(i18n::tr(lang, "twofa-disabled"))));
    Ok(render(&view))
}

// ---- personal API tokens ----

async fn tokens_view(state: &AppState, p: &PagePrincipal) -> Result<TokensView, AppError> {
    let now = state.store.now();
    let tokens = state
        .store
        .list_tokens(p.0.user.id)
        .await?
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name,
            scopes: t.scopes.iter().map(|s| s.code().to_owned()).collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            expired: t.expires_at.is_some_and(|e| e <= now),
        })
        .collect();
    let scope_options = Permission::ALL
        .into_iter()
        .filter(|perm| p.0.access.can_anywhere(*perm))
        .map(|perm| perm.code().to_owned())
        .collect();
    Ok(TokensView {
        page: page_for(p, "/account/tokens").with_section(Section::Account),
        tokens,
        scope_options,
        form_name: String::new(),
        form_expires_in_days: 90,
        form_scopes: vec![],
        errors: FormErrors::new(),
        new_token: None,
    })
}

async fn tokens(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    Ok(render(&tokens_view(&state, &p).await?))
}

async fn create_token(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let mut view = tokens_view(&state, &p).await?;
    let name = form.get("name");
    let days = form.get("expires_in_days").parse::<i64>().ok();
    let scopes_raw = form.all("scopes");
    let mut errors = Vec::new();
    if DisplayName::parse("name", &name).is_err() {
        errors.push(FieldError::new(
            "name",
            i18n::tr(lang, "name-error-required"),
        ));
    }
    let expires = owlery_domain::token::parse_expiry(days, state.store.now());
    if expires.is_err() {
        errors.push(FieldError::new(
            "expires_in_days",
            i18n::tr(lang, "tokens-error-expiry"),
        ));
    }
    let scopes = owlery_domain::token::parse_scopes(scopes_raw.iter().map(String::as_str));
    match &scopes {
        Ok(s) if s.iter().any(|perm| !p.0.access.can_anywhere(*perm)) => {
            errors.push(FieldError::new(
                "scopes",
                i18n::tr(lang, "tokens-error-scope"),
            ));
        }
        Err(_) => errors.push(FieldError::new(
            "scopes",
            i18n::tr(lang, "tokens-error-scope"),
        )),
        Ok(_) => {}
    }
    let (Ok(expires), Ok(scopes), true) = (expires, scopes, errors.is_empty()) else {
        view.form_name = name;
        view.form_expires_in_days = days.unwrap_or(90);
        view.form_scopes = scopes_raw;
        view.errors = FormErrors(errors);
        return Ok(unprocessable(render(&view)));
    };
    let (secret, token) = state
        .store
        .create_token(&p.0.actor(), p.0.user.id, &name, &scopes, expires)
        .await?;
    let mut view = tokens_view(&state, &p).await?;
    view.new_token = Some(NewToken {
        name: token.name,
        secret,
    });
    Ok(render(&view))
}

async fn revoke_token(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = TokenId::parse(&id).ok_or_else(|| AppError::not_found("token"))?;
    let token = state.store.token(id).await?;
    if token.user_id != p.0.user.id {
        return Err(AppError::not_found("token"));
    }
    state.store.revoke_token(&p.0.actor(), id).await?;
    Ok(Redirect::to("/account/tokens").into_response())
}
