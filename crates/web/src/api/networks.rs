//! `/network-specs` and `/validate`: what each network and placement accepts (the versioned spec
//! file in `owlery-domain`), and a preflight check of a draft against it — the same check the
//! composer runs live and the scheduler runs before anything is sent.

use std::collections::BTreeMap;

use axum::extract::State;
use owlery_domain::{
    Permission,
    spec::{Draft, MastodonInstance, MediaFacts, MediaKind, Severity, Specs, validate},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Json;
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

fn specs() -> Result<Specs, AppError> {
    Specs::embedded().map_err(AppError::internal)
}

/// Every network, its placements and their limits, with the source of each value.
#[utoipa::path(
    get,
    path = "/network-specs",
    tag = "networks",
    responses(
        (status = 200, description = "The spec file as JSON: `version`, and `networks` with their `placements`", body = Object),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft somewhere", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_network_specs(ApiPrincipal(principal): ApiPrincipal) -> ApiResult<Json<Specs>> {
    principal.require_anywhere(Permission::PostsDraft)?;
    Ok(Json(specs()?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// Network code, e.g. `x`, `bluesky`, `instagram`.
    #[schema(example = "x")]
    pub network: String,
    /// Placement code on that network, e.g. `post`, `reel`, `story`.
    #[schema(example = "post")]
    pub placement: String,
    /// The draft's text fields by name (`text`, `caption`, `title` … as the placement names them).
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
    #[serde(default)]
    pub media: Vec<MediaInput>,
    /// A Mastodon server's own limits (from its `/api/v2/instance`), when validating for Mastodon.
    #[serde(default)]
    pub mastodon_instance: Option<MastodonLimits>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaInput {
    /// `image`, `gif` or `video`.
    pub kind: String,
    pub bytes: u64,
    pub width: u64,
    pub height: u64,
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// `jpeg`, `png`, `mp4` …
    pub format: String,
    #[serde(default)]
    pub alt: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MastodonLimits {
    pub max_characters: u64,
    pub max_media_attachments: u64,
    pub characters_reserved_per_url: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateResponse {
    /// The spec file version the draft was checked against.
    pub spec_version: String,
    /// True when nothing blocks scheduling (warnings may remain).
    pub ok: bool,
    /// Errors first, then warnings.
    pub findings: Vec<FindingOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingOut {
    /// `error` blocks scheduling; `warning` explains.
    pub severity: String,
    /// The text field, `media`, or `media[i]`.
    pub field: String,
    /// Stable code, e.g. `text_too_long`, `too_many_hashtags`, `alt_required`, `aspect_out_of_range`.
    pub code: String,
    /// What is wrong, with the numbers.
    pub message: String,
    pub limit: Option<u64>,
    pub actual: Option<u64>,
}

/// Check a draft against a network placement's rules, counting text the way that network does.
#[utoipa::path(
    post,
    path = "/validate",
    tag = "networks",
    request_body = ValidateRequest,
    responses(
        (status = 200, description = "The findings (an empty list: the draft fits)", body = ValidateResponse),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft somewhere", body = ErrorBody),
        (status = 404, description = "Unknown network or placement", body = ErrorBody),
        (status = 422, description = "Malformed draft", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn validate_draft(
    ApiPrincipal(principal): ApiPrincipal,
    State(_state): State<AppState>,
    Json(req): Json<ValidateRequest>,
) -> ApiResult<Json<ValidateResponse>> {
    principal.require_anywhere(Permission::PostsDraft)?;
    let specs = specs()?;
    let Some(placement) = specs.placement(&req.network, &req.placement) else {
        return Err(AppError::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown_placement",
            format!(
                "No placement '{}' on network '{}'; GET /network-specs lists them.",
                req.placement, req.network
            ),
        )
        .with_field("placement"));
    };
    let mut media = Vec::with_capacity(req.media.len());
    for (i, m) in req.media.into_iter().enumerate() {
        let kind = match m.kind.as_str() {
            "image" => MediaKind::Image,
            "gif" => MediaKind::Gif,
            "video" => MediaKind::Video,
            other => {
                return Err(AppError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_media_kind",
                    format!("media[{i}].kind '{other}' is not image, gif or video."),
                )
                .with_field(format!("media[{i}].kind")));
            }
        };
        media.push(MediaFacts {
            kind,
            bytes: m.bytes,
            width: m.width,
            height: m.height,
            duration_ms: m.duration_ms,
            format: m.format,
            alt: m.alt,
        });
    }
    let server = req.mastodon_instance.map(|s| MastodonInstance {
        max_characters: s.max_characters,
        max_media_attachments: s.max_media_attachments,
        characters_reserved_per_url: s.characters_reserved_per_url,
    });
    let findings = validate(
        placement,
        &Draft {
            texts: req.texts,
            media,
        },
        server.as_ref(),
    );
    let ok = !findings.iter().any(|f| f.severity == Severity::Error);
    Ok(Json(ValidateResponse {
        spec_version: specs.version.clone(),
        ok,
        findings: findings
            .into_iter()
            .map(|f| FindingOut {
                severity: match f.severity {
                    Severity::Error => "error".into(),
                    Severity::Warning => "warning".into(),
                },
                field: f.field,
                code: f.code.to_owned(),
                message: f.message,
                limit: f.limit,
                actual: f.actual,
            })
            .collect(),
    }))
}
