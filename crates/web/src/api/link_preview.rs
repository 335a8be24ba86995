//! `/link-preview`: the title, description, image and site name of a web page, for the composer's
//! link card. The fetch is guarded against reaching the server's own network (see
//! [`crate::link_preview`]); needs `posts:draft` somewhere.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Json;
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    link_preview::{Fetcher, PreviewError},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// An http or https address on the public internet.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    /// The page the preview was read from (after redirects).
    pub url: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Absolute http(s) address of the page's preview image; not fetched by Owlery.
    pub image_url: Option<String>,
    pub site_name: Option<String>,
}

impl From<PreviewError> for AppError {
    fn from(e: PreviewError) -> Self {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()).with_field("url")
    }
}

/// Read a page's preview (Open Graph, Twitter card, or title and description). Only public
/// addresses are fetched (every address the name resolves to, and every redirect, is checked; at
/// most 3 redirects), within 5 seconds, at most 1 MiB, HTML only.
#[utoipa::path(
    post,
    path = "/link-preview",
    tag = "posts",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "The preview; fields the page does not give are null", body = PreviewOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft somewhere", body = ErrorBody),
        (status = 422, description = "`link_not_public` (a private, loopback, link-local or reserved address, directly, by DNS or by redirect), `link_unreachable`, `link_not_html`, `link_too_large`, or not an http(s) link (`invalid_url`, `unsupported_scheme`, `credentials_in_url`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn link_preview(
    ApiPrincipal(principal): ApiPrincipal,
    Json(req): Json<PreviewRequest>,
) -> ApiResult<Json<PreviewOut>> {
    principal.require_anywhere(owlery_domain::Permission::PostsDraft)?;
    let p = Fetcher::new().fetch(&req.url).await?;
    Ok(Json(PreviewOut {
        url: p.url,
        title: p.title,
        description: p.description,
        image_url: p.image,
        site_name: p.site_name,
    }))
}
