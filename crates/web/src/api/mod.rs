//! `/api/v1`: JSON over HTTP, authenticated with personal API tokens (`Authorization: Bearer`).
//!
//! Conventions: errors are `{"error": {"code", "message", "field"?}}` (see [`crate::error`]);
//! lists are `{"items": [...], "next_cursor": "..."|null}` with `?cursor=&limit=`; unknown JSON
//! fields are refused; times are RFC 3339 UTC. The OpenAPI 3.1 document at
//! `/api/v1/openapi.json` is generated from these handlers.

use axum::{Json, Router, routing::get};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

#[derive(utoipa::OpenApi)]
#[openapi(info(
    title = "Owlery API",
    version = "1",
    description = "The Owlery HTTP API."
))]
pub struct ApiDoc;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}
