//! HTML pages: one file per area. Each handler takes a [`PagePrincipal`] (or none, for sign-in),
//! checks permission, loads what its view needs, and renders a template from `ui::views`.

use askama::Template;
use axum::{
    Router,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
};

use crate::{
    auth::PagePrincipal,
    error::AppError,
    i18n::Lang,
    state::AppState,
    ui::views::{NavPresence, NavUser, Page},
};

mod account;
mod approvals;
mod auth;
pub(crate) mod calendar;
mod campaigns;
mod channels;
mod engine;
pub mod form;
mod home;
mod inbox;
mod inbox_live;
mod inbox_reply;
mod inbox_settings;
mod media;
mod notifications;
mod publish;
mod queues;
mod review_link;
mod settings;
mod workflows;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(home::routes())
        .merge(account::routes())
        .merge(settings::routes())
        .merge(workflows::routes())
        .merge(publish::routes())
        .merge(queues::routes())
        .merge(campaigns::routes())
        // Publishing: calendar, approvals, external review, notifications.
        .merge(calendar::routes())
        .merge(approvals::routes())
        .merge(review_link::routes())
        .merge(notifications::routes())
        .merge(media::routes())
        .merge(engine::routes())
        .merge(channels::routes())
        .merge(inbox::routes())
        .merge(inbox_live::routes())
        .merge(inbox_settings::routes())
        .merge(inbox_reply::routes())
}

/// The page context for a signed-in person.
pub fn page_for(p: &PagePrincipal, path: &str) -> Page {
    let user = &p.0.user;
    let lang = Lang::parse(&user.language).unwrap_or(Lang::En);
    let tz = user.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let access = &p.0.access;
    use owlery_domain::{Permission, Target};
    Page::new(lang, tz, p.0.csrf_token())
        .with_user(NavUser {
            id: user.id.to_string(),
            name: user.name.clone(),
            email: user.email.clone(),
            can_see_governance: access.can(Permission::AuditRead, Target::Organisation)
                || access.can(Permission::UsersManage, Target::Organisation),
            can_manage_settings: access.can(Permission::UsersManage, Target::Organisation)
                || access.can(Permission::OrgManage, Target::Organisation),
            can_read_audit: access.can(Permission::AuditRead, Target::Organisation),
            can_see_posts: calendar::require_posts_anywhere(access).is_ok(),
            can_approve: access.can_anywhere(Permission::PostsApprove),
            presence: access
                .can_anywhere(Permission::InboxRead)
                .then(|| NavPresence::new(lang, p.1.status, p.1.automatic)),
        })
        .with_path(path)
}

/// The signed-in person's language.
pub fn lang_of(p: &PagePrincipal) -> Lang {
    Lang::parse(&p.0.user.language).unwrap_or(Lang::En)
}

/// The shortest password, as the forms show it.
pub const MIN_PASSWORD: i64 = owlery_domain::user::MIN_PASSWORD_CHARS as i64;

/// A form shown again with its errors.
pub fn unprocessable(mut res: Response) -> Response {
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}

/// The organisation: every signed-in page has one, since users belong to it.
pub async fn load_organisation(
    state: &AppState,
) -> Result<owlery_store::org::Organisation, AppError> {
    state
        .store
        .organisation()
        .await?
        .ok_or_else(|| AppError::not_found("organisation"))
}

/// The language for someone not signed in: the `owlery_lang` cookie, else the browser's.
pub fn guest_lang(headers: &HeaderMap) -> Lang {
    let jar = axum_extra::extract::CookieJar::from_headers(headers);
    if let Some(l) = jar.get("owlery_lang").and_then(|c| Lang::parse(c.value())) {
        return l;
    }
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or(Lang::En)
}

/// Render a template, or a plain 500 if the template itself fails.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            )
                .into_response()
        }
    }
}

/// An error as a page (status code kept).
pub fn error_response(e: &AppError) -> Response {
    let page = Page::new(Lang::En, chrono_tz::UTC, "");
    let view = crate::ui::views::auth::ErrorView::new(page, e.status.as_u16())
        .with_message(e.message.clone());
    let mut res = render(&view);
    *res.status_mut() = e.status;
    res
}

pub async fn not_found() -> Response {
    error_response(&AppError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no page at this address.",
    ))
}
