//! The signed-in person's notifications (with the unread badge the layout loads), and their secret
//! calendar feed URL (create, replace, revoke) under the account pages.
//!
//! Every signed-in person has notifications, so these pages need no permission beyond being signed
//! in; the feed page needs a posts permission somewhere (the feed shows what the calendar shows).

use axum::{
    Router,
    extract::State,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use owlery_store::notifications::Notification;

use super::{calendar::require_posts_anywhere, form::safe_next, lang_of, page_for, render};
use crate::{
    auth::PagePrincipal,
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        Flash, Section,
        publishing::{CalendarFeedView, NotificationRow, NotificationsView},
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read", post(mark_read))
        .route("/notifications/badge", get(badge))
        .route("/account/calendar-feed", get(feed_page).post(create_feed))
        .route("/account/calendar-feed/revoke", post(revoke_feed))
}

fn param(n: &Notification, key: &str) -> String {
    n.params
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn row(lang: Lang, n: &Notification) -> NotificationRow {
    let key = format!("notif-{}", n.kind.replace('_', "-"));
    let title = param(n, "title");
    let message = if i18n::has_key(lang, &key) {
        i18n::tr_args(
            lang,
            &key,
            &[
                ("title", title.clone().into()),
                ("step", param(n, "step").into()),
                ("author", param(n, "author").into()),
                ("by", param(n, "by").into()),
                ("channel", param(n, "channel").into()),
                ("campaign", param(n, "campaign").into()),
            ],
        )
    } else {
        i18n::tr_args(lang, "notif-generic", &[("title", title.into())])
    };
    // Why it happened: a refusal's reason code, or what the network (or the engine) said.
    let detail = match param(n, "reason") {
        r if r.is_empty() => param(n, "error"),
        r => r,
    };
    NotificationRow {
        message,
        detail,
        // Only a path inside Owlery is ever linked.
        link: n
            .link
            .as_deref()
            .map(safe_next)
            .filter(|l| l.as_str() != "/"),
        at: n.created_at,
        unread: n.read_at.is_none(),
    }
}

async fn list(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let items = state.store.notifications(p.0.user.id, 100).await?;
    let unread = state.store.unread_notifications(p.0.user.id).await?;
    let view = NotificationsView {
        page: page_for(&p, "/notifications"),
        notifications: items.iter().map(|n| row(lang, n)).collect(),
        unread,
    };
    Ok(render(&view))
}

async fn mark_read(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    state.store.mark_notifications_read(p.0.user.id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// The unread count for the layout's bell, loaded by htmx: a small fragment, empty at zero.
async fn badge(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let n = state.store.unread_notifications(p.0.user.id).await?;
    if n == 0 {
        return Ok(Html(String::from("<span class=\"bell-count\" hidden></span>")).into_response());
    }
    let shown = if n > 99 {
        "99+".to_owned()
    } else {
        i18n::fmt_number(lang, n)
    };
    let label = i18n::tr_args(lang, "notif-unread-count", &[("count", n.into())]);
    Ok(Html(format!(
        "<span class=\"bell-count\"><span aria-hidden=\"true\">{shown}</span><span class=\"visually-hidden\">{}</span></span>",
        escape(&label)
    ))
    .into_response())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn feed_view(
    state: &AppState,
    p: &PagePrincipal,
    new_url: Option<String>,
) -> Result<CalendarFeedView, AppError> {
    Ok(CalendarFeedView {
        page: page_for(p, "/account/calendar-feed").with_section(Section::Account),
        active: state.store.has_calendar_feed(p.0.user.id).await?,
        new_url,
    })
}

async fn feed_page(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    require_posts_anywhere(&p.0.access)?;
    Ok(render(&feed_view(&state, &p, None).await?))
}

async fn create_feed(
    State(state): State<AppState>,
    p: PagePrincipal,
) -> Result<Response, AppError> {
    require_posts_anywhere(&p.0.access)?;
    let token = state
        .store
        .create_calendar_feed(&p.0.actor(), p.0.user.id)
        .await?;
    let url = state.config.link(&format!("/calendar/feed/{token}.ics"));
    let mut view = feed_view(&state, &p, Some(url)).await?;
    view.page = view
        .page
        .with_flash(Some(Flash::success(i18n::tr(lang_of(&p), "feed-created"))));
    Ok(render(&view))
}

async fn revoke_feed(
    State(state): State<AppState>,
    p: PagePrincipal,
) -> Result<Response, AppError> {
    require_posts_anywhere(&p.0.access)?;
    state
        .store
        .revoke_calendar_feed(&p.0.actor(), p.0.user.id)
        .await?;
    let mut view = feed_view(&state, &p, None).await?;
    view.page = view
        .page
        .with_flash(Some(Flash::success(i18n::tr(lang_of(&p), "feed-revoked"))));
    Ok(render(&view))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kinds the publishing engine writes read as themselves in both languages, with their
    /// arguments and the network's message, never the generic "Update on …".
    #[test]
    fn engine_notifications_read_as_themselves_in_both_languages() {
        for kind in [
            "publish_unconfirmed",
            "publish_paused",
            "channel_needs_reconnect",
            "publish_failed",
        ] {
            for lang in Lang::ALL {
                let n = Notification {
                    id: uuid::Uuid::now_v7(),
                    user_id: owlery_domain::UserId::new(),
                    kind: kind.into(),
                    params: serde_json::json!({
                        "title": "Autumn menu",
                        "channel": "Acme on X",
                        "error": "The network said: try later.",
                    }),
                    link: Some("/posts/5".into()),
                    created_at: chrono::Utc::now(),
                    read_at: None,
                };
                let key = format!("notif-{}", kind.replace('_', "-"));
                assert!(i18n::has_key(lang, &key), "{key} in {lang}");
                let r = row(lang, &n);
                let generic =
                    i18n::tr_args(lang, "notif-generic", &[("title", "Autumn menu".into())]);
                assert_ne!(r.message, generic, "{kind} in {lang}");
                assert!(
                    r.message.contains("Acme on X"),
                    "{kind} in {lang}: {}",
                    r.message
                );
                assert!(!r.message.contains('{'), "{kind} in {lang}: {}", r.message);
                assert_eq!(r.detail, "The network said: try later.");
                assert_eq!(r.link.as_deref(), Some("/posts/5"));
            }
        }
    }
}
