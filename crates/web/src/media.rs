//! The media library's work that the API and the pages share: reading a multipart upload,
//! checking and storing it, and making (or reusing) the renditions of an item for some networks.
//!
//! CPU-heavy steps (probing, decoding, thumbnails, rendering) run on the blocking pool, so a
//! large image never stalls the request threads. Every `MediaError` the uploader can fix becomes a
//! 4xx with its own code; only our own failures become a 500.

use axum::{
    body::Body,
    extract::{FromRequest, Multipart, Request, multipart::MultipartError},
    http::{StatusCode, header},
};
use chrono::{DateTime, Utc};
use owlery_domain::{Permission, Target, WorkspaceId, spec::Specs};
use owlery_media::{FocalPoint, Format, Limits, MediaError};
use owlery_store::media::{Crop, Focal, Media, MediaMeta, NewMedia, NewRendition, StoredRendition};

use crate::{auth::Principal, error::AppError, state::AppState};

/// Longest side of the library's thumbnails.
pub const THUMBNAIL_SIDE: u32 = 480;

/// The request's multipart body, limited to the configured upload size (the route itself has no
/// default body limit). A declared length over the limit is refused before anything is read.
pub async fn multipart(state: &AppState, req: Request) -> Result<Multipart, AppError> {
    let max = state.config.max_upload_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
        return Err(too_large(max));
    }
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts, Body::new(http_body_util::Limited::new(body, max)));
    Multipart::from_request(req, state).await.map_err(|_| {
        AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart_required",
            "Send the upload as multipart/form-data with the file in the field 'file'.",
        )
    })
}

/// What a multipart upload carried.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub file_name: String,
    pub bytes: Option<Vec<u8>>,
    pub workspace_id: Option<String>,
    pub alt: String,
    pub tags: Vec<String>,
    pub usage_rights: String,
    pub expires_at: Option<String>,
}

/// Read every field of a multipart upload. `extra` lists further text fields the caller accepts
/// (such as the pages' `csrf_token`); any other field is refused.
pub async fn read_upload(mut multipart: Multipart, extra: &[&str]) -> Result<UploadForm, AppError> {
    let mut form = UploadForm::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                form.file_name = field.file_name().unwrap_or_default().trim().to_owned();
                let bytes = field.bytes().await.map_err(multipart_error)?;
                form.bytes = Some(bytes.to_vec());
            }
            _ => {
                let text = field.text().await.map_err(multipart_error)?;
                match name.as_str() {
                    "workspace_id" => {
                        form.workspace_id = Some(text).filter(|t| !t.trim().is_empty())
                    }
                    "alt" => form.alt = text,
                    "tags" => form.tags.extend(text.split(',').map(str::to_owned)),
                    "usage_rights" => form.usage_rights = text,
                    "expires_at" => form.expires_at = Some(text).filter(|t| !t.trim().is_empty()),
                    other if extra.contains(&other) => {}
                    other => {
                        return Err(AppError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "unknown_field",
                            format!(
                                "Unknown field '{other}'; an upload has file, workspace_id, alt, \
                                 tags, usage_rights and expires_at."
                            ),
                        )
                        .with_field(other.to_owned()));
                    }
                }
            }
        }
    }
    Ok(form)
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            "The upload is larger than this server accepts.",
        )
        .with_field("file")
    } else {
        AppError::bad_request(
            "malformed_multipart",
            format!("The upload could not be read: {}.", e.body_text()),
        )
    }
}

/// The 413 for an upload over the configured limit, with the limit in MB.
pub fn too_large(max: usize) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "The upload is larger than this server accepts ({} MB at most).",
            max / 1_000_000
        ),
    )
    .with_field("file")
}

/// A media error at the edge: the uploader's mistakes as 4xx with the error's own code.
pub fn media_error(e: MediaError) -> AppError {
    match &e {
        MediaError::Internal(_) => AppError::internal(e),
        MediaError::InputTooLarge { .. } => {
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, e.code(), e.to_string()).with_field("file")
        }
        _ => AppError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
            .with_field("file"),
    }
}

/// The workspaces where the principal may work with media (upload, edit, read).
pub async fn media_workspaces(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<owlery_store::org::Workspace>, AppError> {
    Ok(state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|w| {
            principal
                .access
                .can(Permission::PostsDraft, Target::Workspace(w.id))
        })
        .collect())
}

/// The workspace an upload goes to: the one named, or the only one the caller may upload to.
pub async fn upload_workspace(
    state: &AppState,
    principal: &Principal,
    raw: Option<&str>,
) -> Result<WorkspaceId, AppError> {
    match raw {
        Some(raw) => {
            let id = WorkspaceId::parse(raw).ok_or_else(|| {
                AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_id",
                    format!("'{raw}' is not a valid id; ids are UUIDs."),
                )
                .with_field("workspace_id")
            })?;
            principal.require(Permission::PostsDraft, Target::Workspace(id))?;
            Ok(id)
        }
        None => {
            principal.require_anywhere(Permission::PostsDraft)?;
            match media_workspaces(state, principal).await?.as_slice() {
                [only] => Ok(only.id),
                _ => Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "workspace_required",
                    "You can upload to more than one workspace: say which with workspace_id.",
                )
                .with_field("workspace_id")),
            }
        }
    }
}

/// An RFC 3339 time, or a date (meaning its start, UTC).
pub fn parse_expiry(raw: &str) -> Result<DateTime<Utc>, AppError> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_expires_at",
                format!("'{raw}' is not a date: write 2027-01-31 or 2027-01-31T00:00:00Z."),
            )
            .with_field("expires_at")
        })
}

/// Check an upload, make its thumbnail and store it.
pub async fn store_upload(
    state: &AppState,
    principal: &Principal,
    workspace: WorkspaceId,
    form: UploadForm,
) -> Result<Media, AppError> {
    let Some(bytes) = form.bytes else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_file",
            "Choose a file to upload (the field 'file').",
        )
        .with_field("file"));
    };
    let expires_at = form.expires_at.as_deref().map(parse_expiry).transpose()?;
    let meta = MediaMeta {
        alt: form.alt,
        tags: form.tags,
        usage_rights: form.usage_rights,
        expires_at,
        focal: None,
    }
    .normalised()?;
    let name = if form.file_name.is_empty() {
        None
    } else {
        Some(form.file_name.clone())
    };
    let (probe, thumbnail, bytes) = tokio::task::spawn_blocking(move || {
        let limits = Limits::default();
        let probe = owlery_media::probe(&bytes, name.as_deref(), &limits)?;
        let thumbnail = match probe.format {
            Format::Jpeg | Format::Png | Format::Webp => {
                Some(owlery_media::decode(&bytes, &limits)?.thumbnail(THUMBNAIL_SIDE)?)
            }
            _ => None,
        };
        Ok::<_, MediaError>((probe, thumbnail, bytes))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(media_error)?;
    let file_name = if form.file_name.is_empty() {
        format!("upload.{}", probe.format.extension())
    } else {
        form.file_name.chars().take(255).collect()
    };
    let new = NewMedia {
        workspace_id: workspace,
        uploaded_by: principal.user.id,
        file_name,
        format: probe.format.code().to_owned(),
        kind: probe.kind.code().to_owned(),
        width: i64::from(probe.width),
        height: i64::from(probe.height),
        duration_ms: probe.duration_ms.and_then(|d| i64::try_from(d).ok()),
        video_codec: probe.video_codec.clone(),
        frame_rate: probe.frame_rate,
        meta,
        bytes,
        thumbnail,
    };
    Ok(state.store.insert_media(&principal.actor(), new).await?)
}

/// The MIME type of a stored format code.
pub fn mime_of(format: &str) -> &'static str {
    match format {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

/// Networks named in `?network=` (comma-separated, or repeated), checked against the specs.
pub fn parse_networks<'a>(
    specs: &Specs,
    raw: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for code in raw.into_iter().flat_map(|r| r.split(',')) {
        let code = code.trim();
        if code.is_empty() || out.iter().any(|c| c == code) {
            continue;
        }
        if specs.network(code).is_none() {
            let known: Vec<&str> = specs.networks.iter().map(|n| n.code.as_str()).collect();
            return Err(AppError::bad_request(
                "unknown_network",
                format!("'{code}' is not a network; known: {}.", known.join(", ")),
            )
            .with_field("network"));
        }
        out.push(code.to_owned());
    }
    if out.is_empty() {
        return Err(AppError::bad_request(
            "network_required",
            "Name one or more networks, e.g. ?network=instagram,x.",
        )
        .with_field("network"));
    }
    Ok(out)
}

/// A rendition that could not be made (over the network's byte limit, say).
#[derive(Debug, Clone)]
pub struct RenditionFailure {
    pub network: String,
    pub placement: String,
    pub width: u32,
    pub height: u32,
    pub error: MediaError,
}

/// The renditions of an item for some networks.
#[derive(Debug, Clone)]
pub struct Renditions {
    /// The focal point they keep.
    pub focal: Focal,
    /// Whether it was found automatically (no one has set one).
    pub automatic: bool,
    /// Each made rendition with the placement size it was made for, in spec order.
    pub items: Vec<(u32, u32, StoredRendition)>,
    pub failures: Vec<RenditionFailure>,
}

/// Whether stored rendition `r` was made for target size `tw`×`th`: that size, or smaller with
/// the same shape (for a source too small to fill it).
fn made_for(r: &StoredRendition, network: &str, placement: &str, tw: u32, th: u32) -> bool {
    if r.network != network || r.placement != placement {
        return false;
    }
    let (tw, th) = (i64::from(tw), i64::from(th));
    if r.width == tw && r.height == th {
        return true;
    }
    let shape = |w: i64, h: i64| w as f64 / h.max(1) as f64;
    r.width <= tw
        && r.height <= th
        && (shape(r.width, r.height) - shape(tw, th)).abs() / shape(tw, th) < 0.02
}

/// The renditions of `media` for `networks`: the stored ones that still fit, and the missing ones
/// made now (decoded once, rendered in parallel on the blocking pool) and stored.
pub async fn renditions(
    state: &AppState,
    media: &Media,
    networks: &[String],
) -> Result<Renditions, AppError> {
    if !matches!(media.format.as_str(), "jpeg" | "png" | "webp") {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_renderable",
            format!(
                "Renditions are made of still images (JPEG, PNG, WebP); this item is {}.",
                media.format.to_uppercase()
            ),
        ));
    }
    let specs = Specs::embedded().map_err(AppError::internal)?;
    let codes: Vec<&str> = networks.iter().map(String::as_str).collect();
    let targets = owlery_media::targets(&specs, &codes);
    let stored = state.store.renditions(media.id).await?;
    let mut have: Vec<Option<StoredRendition>> = targets
        .iter()
        .map(|t| {
            stored
                .iter()
                .find(|r| made_for(r, &t.network, &t.placement, t.width, t.height))
                .cloned()
        })
        .collect();
    let missing: Vec<owlery_media::Target> = targets
        .iter()
        .zip(&have)
        .filter(|(_, h)| h.is_none())
        .map(|(t, _)| t.clone())
        .collect();
    let mut failures = Vec::new();
    let mut focal = media
        .focal
        .or_else(|| have.iter().flatten().next().map(|r| r.focal));
    if !missing.is_empty() {
        let bytes = state.store.media_bytes(media).await?;
        let chosen = media.focal;
        let (used, results) = tokio::task::spawn_blocking(move || {
            let decoded = owlery_media::decode(&bytes, &Limits::default())?;
            let point = match chosen {
                Some(f) => FocalPoint::new(f.x as f32, f.y as f32)?,
                None => decoded.auto_focal(),
            };
            let results = decoded.render(&missing, point);
            Ok::<_, MediaError>((point, results.into_iter().zip(missing).collect::<Vec<_>>()))
        })
        .await
        .map_err(AppError::internal)?
        .map_err(media_error)?;
        let used = media.focal.unwrap_or(Focal {
            x: f64::from(used.x),
            y: f64::from(used.y),
        });
        focal = Some(used);
        let mut new = Vec::new();
        for (result, target) in results {
            match result {
                Ok(r) => new.push(NewRendition {
                    network: target.network.clone(),
                    placement: target.placement.clone(),
                    width: i64::from(r.width),
                    height: i64::from(r.height),
                    format: target.format.code().to_owned(),
                    quality: r.quality.map(i64::from),
                    crop: Crop {
                        x: i64::from(r.crop.x),
                        y: i64::from(r.crop.y),
                        width: i64::from(r.crop.width),
                        height: i64::from(r.crop.height),
                    },
                    bytes: r.bytes,
                }),
                Err(e) if e.is_client_error() => failures.push(RenditionFailure {
                    network: target.network.clone(),
                    placement: target.placement.clone(),
                    width: target.width,
                    height: target.height,
                    error: e,
                }),
                Err(e) => return Err(AppError::internal(e)),
            }
        }
        let made = state
            .store
            .store_renditions(media.id, media.focal, used, new)
            .await?;
        for r in made {
            if let Some(slot) = targets
                .iter()
                .zip(have.iter_mut())
                .find(|(t, h)| {
                    h.is_none() && made_for(&r, &t.network, &t.placement, t.width, t.height)
                })
                .map(|(_, h)| h)
            {
                *slot = Some(r);
            }
        }
    }
    let items = targets
        .iter()
        .zip(have)
        .filter_map(|(t, h)| h.map(|r| (t.width, t.height, r)))
        .collect();
    Ok(Renditions {
        focal: focal.unwrap_or(Focal { x: 0.5, y: 0.5 }),
        automatic: media.focal.is_none(),
        items,
        failures,
    })
}

/// The stored rendition of a placement: of the size `WxH` when given, else the largest.
pub async fn stored_rendition(
    state: &AppState,
    media: &Media,
    network: &str,
    placement: &str,
    size: Option<&str>,
) -> Result<StoredRendition, AppError> {
    let size = match size.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.split_once('x')
                .and_then(|(w, h)| Some((w.parse::<i64>().ok()?, h.parse::<i64>().ok()?)))
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_size",
                        format!("'{s}' is not a size; write WIDTHxHEIGHT, e.g. 1080x1350."),
                    )
                    .with_field("size")
                })?,
        ),
        None => None,
    };
    state
        .store
        .renditions(media.id)
        .await?
        .into_iter()
        .filter(|r| r.network == network && r.placement == placement)
        .find(|r| size.is_none_or(|(w, h)| r.width == w && r.height == h))
        .ok_or_else(|| AppError::not_found("rendition (ask for the renditions first)"))
}

/// The URL path of a rendition's bytes under `base` (`/api/v1/media/{id}` or `/media/{id}`).
pub fn rendition_path(base: &str, r: &StoredRendition, suffix: &str) -> String {
    format!(
        "{base}/renditions/{}/{}{suffix}?size={}x{}",
        r.network, r.placement, r.width, r.height
    )
}

/// After a post is saved: make, in the background, the renditions its variants will need (every
/// placement of each channel's network, for each still image the variant uses), so they are ready
/// to preview and to send before the post goes out. Only missing ones are made. Failures are
/// logged: the composer's checks have already told the person what a network would refuse.
pub fn prepare_renditions(state: &AppState, post: &owlery_store::posts::Post) {
    let state = state.clone();
    let post = post.clone();
    tokio::spawn(async move {
        let mut by_media: std::collections::BTreeMap<
            owlery_domain::MediaId,
            std::collections::BTreeSet<String>,
        > = std::collections::BTreeMap::new();
        for v in &post.variants {
            let Ok(channel) = state.store.channel(v.channel_id).await else {
                continue;
            };
            for m in v.overrides.apply(&post.content).media {
                by_media
                    .entry(m.media_id)
                    .or_default()
                    .insert(channel.network.code().to_owned());
            }
        }
        for (id, networks) in by_media {
            let media = match state.store.media(id).await {
                Ok(Some(m)) if matches!(m.format.as_str(), "jpeg" | "png" | "webp") => m,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(media.id = %id, error = %e, "could not load media to render");
                    continue;
                }
            };
            let networks: Vec<String> = networks.into_iter().collect();
            match renditions(&state, &media, &networks).await {
                Ok(r) if !r.failures.is_empty() => tracing::info!(
                    media.id = %id, failures = r.failures.len(), "some renditions could not be made"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(media.id = %id, error = %e.message, "renditions failed"),
            }
        }
    });
}
