//! Owlery's HTTP edge: the server-rendered UI (askama + htmx), `/api/v1` with its OpenAPI
//! document, and the operations endpoints. Handlers parse input, check permission through
//! [`auth::Principal::require`], call the store, and render; the rules live in `owlery-domain`.
//!
//! Layout: `pages/` HTML handlers (one file per area), `api/` JSON handlers, `ui/views` the data
//! each template renders, `templates/` and `static/` what the browser gets, `auth/` identity and
//! CSRF, `error.rs` the one error type at the edge.

pub mod activity;
pub mod api;
pub mod auth;
pub mod compose;
pub mod connect;
pub mod engine;
pub mod error;
pub mod i18n;
pub mod inbox;
pub mod inbox_actions;
pub mod inbox_live;
pub mod inbox_reply;
pub mod link_preview;
pub mod media;
pub mod media_url;
pub mod ops;
pub mod pages;
pub mod server_guard;
pub mod state;
pub mod ui;
pub mod webhooks;

use axum::{Router, extract::DefaultBodyLimit, http::HeaderValue, middleware, routing::get};
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::{AppState, WebConfig};

/// The whole application.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(ui::assets::routes())
        .merge(media_url::routes())
        .merge(webhooks::routes())
        // route_layer: only matched routes have a route template for the latency label.
        .route_layer(middleware::from_fn(ops::track))
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::csrf::protect,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .with_state(state)
}
