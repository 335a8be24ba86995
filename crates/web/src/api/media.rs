//! `/media`: the media library. Upload (multipart), list, read, edit metadata (alt text, tags,
//! usage rights, expiry, focal point), delete; the renditions each network placement needs, made
//! on request around the focal point and kept; the bytes of originals and renditions.
//!
//! Everything needs `posts:draft` on the item's workspace: whoever drafts posts there works with
//! its media.

use axum::{
    extract::{Path, Request, State, rejection::PathRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use owlery_domain::{MediaId, Permission, Target, WorkspaceId, spec::Specs};
use owlery_store::media::{Focal, Media, MediaFilter, MediaUpdate, StoredRendition};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Id, Json, Query, extract::parse_id, list, list::list_of};
use crate::{
    auth::{ApiPrincipal, Principal},
    error::{ApiResult, AppError, ErrorBody},
    media::{self as service, mime_of},
    state::AppState,
};

const CURSOR_KIND: &str = "media";

/// A point every crop keeps, as fractions of the upright image (0,0 is the top left corner).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FocalPoint {
    #[schema(minimum = 0, maximum = 1, example = 0.5)]
    pub x: f64,
    #[schema(minimum = 0, maximum = 1, example = 0.4)]
    pub y: f64,
}

impl From<Focal> for FocalPoint {
    fn from(f: Focal) -> Self {
        FocalPoint { x: f.x, y: f.y }
    }
}

/// An item of the media library.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaItem {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub uploaded_by: Uuid,
    /// The name it was uploaded with.
    pub file_name: String,
    /// From the file's contents: `jpeg`, `png`, `webp`, `gif`, `mp4` or `mov`.
    #[schema(example = "jpeg")]
    pub format: String,
    #[schema(example = "image/jpeg")]
    pub mime_type: String,
    /// `image`, `gif` or `video`.
    #[schema(example = "image")]
    pub kind: String,
    pub byte_size: i64,
    /// Upright (after EXIF orientation), in pixels.
    pub width: i64,
    pub height: i64,
    pub duration_ms: Option<i64>,
    pub video_codec: Option<String>,
    pub frame_rate: Option<f64>,
    /// Hex SHA-256 of the original.
    pub sha256: String,
    pub alt: String,
    pub tags: Vec<String>,
    pub usage_rights: String,
    /// When the right to use it ends.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether `expires_at` has passed.
    pub expired: bool,
    /// The point crops keep; `null` when it is found automatically.
    pub focal_point: Option<FocalPoint>,
    pub created_at: DateTime<Utc>,
    /// The original's bytes.
    #[schema(example = "/api/v1/media/0194d7c2-…/file")]
    pub file_url: String,
}

impl MediaItem {
    pub fn new(m: Media, now: DateTime<Utc>) -> Self {
        MediaItem {
            id: m.id.0,
            workspace_id: m.workspace_id.0,
            uploaded_by: m.uploaded_by.0,
            expired: m.is_expired(now),
            mime_type: mime_of(&m.format).to_owned(),
            file_url: format!("/api/v1/media/{}/file", m.id),
            file_name: m.file_name,
            format: m.format,
            kind: m.kind,
            byte_size: m.byte_size,
            width: m.width,
            height: m.height,
            duration_ms: m.duration_ms,
            video_codec: m.video_codec,
            frame_rate: m.frame_rate,
            sha256: m.sha256,
            alt: m.alt,
            tags: m.tags,
            usage_rights: m.usage_rights,
            expires_at: m.expires_at,
            focal_point: m.focal.map(FocalPoint::from),
            created_at: m.created_at,
        }
    }
}

list_of!(MediaList, MediaItem);

/// The form of an upload (`multipart/form-data`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct Upload {
    /// The image or video: JPEG, PNG, WebP, GIF, MP4 or MOV; its type is read from its bytes.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The workspace it belongs to; may be left out when you can upload to only one.
    pub workspace_id: Option<Uuid>,
    /// Alt text for people who cannot see the image.
    pub alt: Option<String>,
    /// Comma-separated tags (the field may also be repeated).
    pub tags: Option<String>,
    /// Licence, credit line, where it may be used.
    pub usage_rights: Option<String>,
    /// When the right to use it ends: `2027-01-31` or an RFC 3339 time.
    pub expires_at: Option<String>,
}

/// Upload an image or a video to the library.
#[utoipa::path(
    post,
    path = "/media",
    tag = "media",
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = MediaItem),
        (status = 400, description = "The multipart body is malformed", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace", body = ErrorBody),
        (status = 413, description = "Larger than the server accepts (`file_too_large`)", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
        (status = 422, description = "No file, or a file Owlery cannot read: `unknown_type`, `type_mismatch`, `truncated`, `corrupt`, `dimensions_too_large`, `too_many_pixels`, `heic_not_supported` …; or a bad field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upload_media(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    req: Request,
) -> ApiResult<(StatusCode, Json<MediaItem>)> {
    principal.require_anywhere(Permission::PostsDraft)?;
    let multipart = service::multipart(&state, req).await?;
    let form = service::read_upload(multipart, &[]).await?;
    let workspace =
        service::upload_workspace(&state, &principal, form.workspace_id.as_deref()).await?;
    let media = service::store_upload(&state, &principal, workspace, form).await?;
    Ok((
        StatusCode::CREATED,
        Json(MediaItem::new(media, state.store.now())),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this workspace's items.
    pub workspace_id: Option<String>,
    /// Only items with this tag.
    pub tag: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The library items the caller may use, newest first.
#[utoipa::path(
    get,
    path = "/media",
    tag = "media",
    params(ListParams),
    responses(
        (status = 200, description = "A page of items", body = MediaList),
        (status = 400, description = "Bad parameter or cursor", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft (on the workspace, when one is named)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_media(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<MediaList>> {
    principal.require_anywhere(Permission::PostsDraft)?;
    let limit = list::limit(params.limit)?;
    let workspaces: Vec<WorkspaceId> = match params.workspace_id.as_deref() {
        Some(raw) => {
            let id = parse_id::<WorkspaceId>("workspace_id", raw)?;
            principal.require(Permission::PostsDraft, Target::Workspace(id))?;
            vec![id]
        }
        None => service::media_workspaces(&state, &principal)
            .await?
            .into_iter()
            .map(|w| w.id)
            .collect(),
    };
    let before = match params.cursor.as_deref() {
        Some(c) => Some(
            MediaId::parse(&list::decode_cursor(CURSOR_KIND, c)?)
                .ok_or_else(list::invalid_cursor)?,
        ),
        None => None,
    };
    let filter = MediaFilter {
        tag: params.tag.filter(|t| !t.trim().is_empty()),
        before,
    };
    let rows = state
        .store
        .list_media(&workspaces, &filter, limit + 1)
        .await?;
    let (rows, next_cursor) = list::page(rows, limit, |m| list::cursor(CURSOR_KIND, m.id));
    let now = state.store.now();
    Ok(Json(MediaList {
        items: rows.into_iter().map(|m| MediaItem::new(m, now)).collect(),
        next_cursor,
    }))
}

/// The item, if it exists and the caller may use it.
pub async fn load(state: &AppState, principal: &Principal, id: MediaId) -> ApiResult<Media> {
    let media = state
        .store
        .media(id)
        .await?
        .ok_or_else(|| AppError::not_found("media item"))?;
    principal.require(
        Permission::PostsDraft,
        Target::Workspace(media.workspace_id),
    )?;
    Ok(media)
}

/// One library item.
#[utoipa::path(
    get,
    path = "/media/{id}",
    tag = "media",
    params(("id" = Uuid, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The item", body = MediaItem),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on its workspace", body = ErrorBody),
        (status = 404, description = "No such item (or it was deleted)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_media(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<MediaId>,
) -> ApiResult<Json<MediaItem>> {
    let media = load(&state, &principal, id).await?;
    Ok(Json(MediaItem::new(media, state.store.now())))
}

/// `null` and absent are different here: `null` clears the field.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A change of metadata; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMedia {
    pub alt: Option<String>,
    pub tags: Option<Vec<String>>,
    pub usage_rights: Option<String>,
    /// `null` removes the expiry.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// `null` goes back to the automatic focal point. A new point drops the stored renditions.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<FocalPoint>)]
    pub focal_point: Option<Option<FocalPoint>>,
}

/// Change an item's alt text, tags, usage rights, expiry or focal point.
#[utoipa::path(
    patch,
    path = "/media/{id}",
    tag = "media",
    params(("id" = Uuid, Path, description = "The item's id")),
    request_body = UpdateMedia,
    responses(
        (status = 200, description = "Changed", body = MediaItem),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on its workspace", body = ErrorBody),
        (status = 404, description = "No such item", body = ErrorBody),
        (status = 422, description = "A field is not valid (a focal point outside 0..1, a tag too long …)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_media(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<MediaId>,
    Json(body): Json<UpdateMedia>,
) -> ApiResult<Json<MediaItem>> {
    load(&state, &principal, id).await?;
    let focal = match body.focal_point {
        Some(Some(p)) => Some(Some(Focal::parse(p.x, p.y)?)),
        Some(None) => Some(None),
        None => None,
    };
    let media = state
        .store
        .update_media(
            &principal.actor(),
            id,
            MediaUpdate {
                alt: body.alt,
                tags: body.tags,
                usage_rights: body.usage_rights,
                expires_at: body.expires_at,
                focal,
            },
        )
        .await?;
    Ok(Json(MediaItem::new(media, state.store.now())))
}

/// Remove an item from the library. Posts that already use it keep it.
#[utoipa::path(
    delete,
    path = "/media/{id}",
    tag = "media",
    params(("id" = Uuid, Path, description = "The item's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on its workspace", body = ErrorBody),
        (status = 404, description = "No such item", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_media(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<MediaId>,
) -> ApiResult<StatusCode> {
    load(&state, &principal, id).await?;
    state.store.delete_media(&principal.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bytes with their type, for the browser to show and never to sniff.
pub fn bytes_response(bytes: Vec<u8>, mime: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The original file.
#[utoipa::path(
    get,
    path = "/media/{id}/file",
    tag = "media",
    params(("id" = Uuid, Path, description = "The item's id")),
    responses(
        (status = 200, description = "The bytes, with the item's Content-Type", content_type = "application/octet-stream", body = String),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on its workspace", body = ErrorBody),
        (status = 404, description = "No such item", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_media_file(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<MediaId>,
) -> ApiResult<Response> {
    let media = load(&state, &principal, id).await?;
    let bytes = state.store.media_bytes(&media).await?;
    Ok(bytes_response(bytes, mime_of(&media.format)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RenditionParams {
    /// The networks, comma-separated (`instagram,x`).
    #[param(example = "instagram,x")]
    pub network: String,
}

/// A crop of the upright original, in pixels.
#[derive(Debug, Serialize, ToSchema)]
pub struct CropBox {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
}

/// One rendition.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenditionItem {
    #[schema(example = "instagram")]
    pub network: String,
    #[schema(example = "feed")]
    pub placement: String,
    /// The placement's recommended size.
    pub target_width: u32,
    pub target_height: u32,
    /// The size made: the target, or smaller with the same shape when the original is smaller
    /// (never enlarged).
    pub width: i64,
    pub height: i64,
    pub format: String,
    pub mime_type: String,
    pub byte_size: i64,
    /// JPEG quality used to fit the network's byte limit.
    pub quality: Option<i64>,
    /// The part of the original used.
    pub crop: CropBox,
    pub url: String,
}

impl RenditionItem {
    fn new(base: &str, target: (u32, u32), r: StoredRendition) -> Self {
        RenditionItem {
            url: service::rendition_path(base, &r, "/file"),
            network: r.network,
            placement: r.placement,
            target_width: target.0,
            target_height: target.1,
            width: r.width,
            height: r.height,
            mime_type: mime_of(&r.format).to_owned(),
            format: r.format,
            byte_size: r.byte_size,
            quality: r.quality,
            crop: CropBox {
                x: r.crop.x,
                y: r.crop.y,
                width: r.crop.width,
                height: r.crop.height,
            },
        }
    }
}

/// A rendition that cannot be made, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenditionFailure {
    pub network: String,
    pub placement: String,
    pub target_width: u32,
    pub target_height: u32,
    /// `over_byte_limit` …
    pub code: String,
    pub message: String,
}

/// The renditions of an item for some networks.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenditionSet {
    pub media_id: Uuid,
    /// The focal point every crop keeps.
    pub focal_point: FocalPoint,
    /// Whether it was found automatically (no one has set one).
    pub focal_point_automatic: bool,
    pub items: Vec<RenditionItem>,
    pub failures: Vec<RenditionFailure>,
}

/// The renditions each placement of the networks needs (made now if not made yet), cropped
/// around the focal point and within each network's byte limit.
#[utoipa::path(
    get,
    path = "/media/{id}/renditions",
    tag = "media",
    params(("id" = Uuid, Path, description = "The item's id"), RenditionParams),
    responses(
        (status = 200, description = "The renditions, and those that cannot be made", body = RenditionSet),
        (status = 400, description = "No or unknown network", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on its workspace", body = ErrorBody),
        (status = 404, description = "No such item", body = ErrorBody),
        (status = 409, description = "The focal point changed meanwhile; ask again", body = ErrorBody),
        (status = 422, description = "Not a still image (`not_renderable`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_renditions(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<MediaId>,
    Query(params): Query<RenditionParams>,
) -> ApiResult<Json<RenditionSet>> {
    let media = load(&state, &principal, id).await?;
    let specs = Specs::embedded().map_err(AppError::internal)?;
    let networks = service::parse_networks(&specs, [params.network.as_str()])?;
    let made = service::renditions(&state, &media, &networks).await?;
    let base = format!("/api/v1/media/{id}");
    Ok(Json(RenditionSet {
        media_id: id.0,
        focal_point: made.focal.into(),
        focal_point_automatic: made.automatic,
        items: made
            .items
            .into_iter()
            .map(|(w, h, r)| RenditionItem::new(&base, (w, h), r))
            .collect(),
        failures: made
            .failures
            .into_iter()
            .map(|f| RenditionFailure {
                network: f.network,
                placement: f.placement,
                target_width: f.width,
                target_height: f.height,
                code: f.error.code().to_owned(),
                message: f.error.to_string(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RenditionFileParams {
    /// `WIDTHxHEIGHT` of the rendition, for placements with several sizes (default: the largest).
    #[param(example = "1080x1350")]
    pub size: Option<String>,
}

/// The bytes of a rendition made by `GET /media/{id}/renditions`.
#[utoipa::path(
    get,
    path = "/media/{id}/renditions/{network}/{placement}/file",
    tag = "media",
    params(
        ("id" = Uuid, Path, description = "The item's id"),
        ("network" = String, Path, description = "The network code"),
        ("placement" = String, Path, description = "The placement code"),
        RenditionFileParams,
    ),
    responses(
        (status = 200, description = "The bytes (image/jpeg or image/png)", content_type = "application/octet-stream", body = String),
        (status = 400, description = "Bad id or size", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on its workspace", body = ErrorBody),
        (status = 404, description = "No such item or rendition", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_rendition_file(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    Query(params): Query<RenditionFileParams>,
) -> ApiResult<Response> {
    let Path((id, network, placement)) = path.map_err(|e| {
        AppError::bad_request(
            "invalid_path",
            format!("The address is not valid: {}.", e.body_text()),
        )
    })?;
    let id = parse_id::<MediaId>("id", &id)?;
    let media = load(&state, &principal, id).await?;
    let r = service::stored_rendition(&state, &media, &network, &placement, params.size.as_deref())
        .await?;
    let bytes = state
        .store
        .blob(&r.blob_key)
        .await?
        .ok_or_else(|| AppError::not_found("rendition"))?;
    Ok(bytes_response(bytes, mime_of(&r.format)))
}
