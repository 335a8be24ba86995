//! The media library in the browser: the grid with the upload form, one item with its metadata,
//! focal point (click the image) and rendition previews, and the bytes behind the `<img>` tags.
//!
//! The upload form is sent by htmx (multipart, with the CSRF header); the answer is a redirect to
//! the new item (`HX-Redirect`) or the reason it was refused, shown above the form.

use axum::{
    Router,
    extract::{DefaultBodyLimit, Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use owlery_domain::{MediaId, Permission, spec::Specs};
use owlery_store::media::{Focal, Media, MediaFilter, MediaUpdate};
use serde::Deserialize;

use super::{form::FormData, lang_of, page_for, render};
use crate::{
    api::media::bytes_response,
    auth::PagePrincipal,
    error::AppError,
    i18n,
    media::{self as service, mime_of},
    state::AppState,
    ui::views::{
        Flash, FormErrors, Section, SelectOption,
        media::{DetailView, LibraryView, MediaCard, NetworkChoice, Preview},
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/media",
            get(library).post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/media/{id}", get(detail).post(save))
        .route("/media/{id}/focal", post(set_focal))
        .route("/media/{id}/delete", post(delete))
        .route("/media/{id}/thumb", get(thumbnail))
        .route("/media/{id}/original", get(original))
        .route(
            "/media/{id}/renditions/{network}/{placement}",
            get(rendition),
        )
}

const PAGE_SIZE: i64 = 48;

fn card(m: &Media, now: chrono::DateTime<chrono::Utc>) -> MediaCard {
    MediaCard {
        id: m.id.to_string(),
        file_name: m.file_name.clone(),
        alt: m.alt.clone(),
        kind: m.kind.clone(),
        width: m.width,
        height: m.height,
        has_thumbnail: m.has_thumbnail(),
        expired: m.is_expired(now),
        tags: m.tags.clone(),
    }
}

#[derive(Debug, Deserialize)]
struct LibraryQuery {
    #[serde(default)]
    tag: String,
    before: Option<String>,
    #[serde(default)]
    uploaded: Option<String>,
    #[serde(default)]
    deleted: Option<String>,
}

async fn library(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<LibraryQuery>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsDraft)?;
    let workspaces = service::media_workspaces(&state, &p.0).await?;
    let ids: Vec<_> = workspaces.iter().map(|w| w.id).collect();
    let filter = MediaFilter {
        tag: Some(q.tag.trim().to_owned()).filter(|t| !t.is_empty()),
        before: q.before.as_deref().and_then(MediaId::parse),
    };
    let mut rows = state.store.list_media(&ids, &filter, PAGE_SIZE + 1).await?;
    let next = if rows.len() > PAGE_SIZE as usize {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|m| m.id.to_string())
    } else {
        None
    };
    let now = state.store.now();
    let lang = lang_of(&p);
    let flash = if q.uploaded.is_some() {
        Some(Flash::success(i18n::tr(lang, "media-uploaded")))
    } else if q.deleted.is_some() {
        Some(Flash::success(i18n::tr(lang, "media-deleted")))
    } else {
        None
    };
    let view = LibraryView {
        page: page_for(&p, "/media")
            .with_section(Section::Media)
            .with_flash(flash),
        items: rows.iter().map(|m| card(m, now)).collect(),
        workspaces: workspaces
            .iter()
            .enumerate()
            .map(|(i, w)| SelectOption::new(w.id.to_string(), w.name.clone(), i == 0))
            .collect(),
        tag: q.tag,
        next,
    };
    Ok(render(&view))
}

/// The reason an upload was refused, as the fragment htmx puts above the form.
fn upload_refused(e: &AppError) -> Response {
    let text = e
        .message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    (
        StatusCode::OK,
        Html(format!(
            "<div class=\"callout callout-danger\" data-code=\"{}\"><p>{text}</p></div>",
            e.code
        )),
    )
        .into_response()
}

async fn upload(State(state): State<AppState>, p: PagePrincipal, req: Request) -> Response {
    let result = async {
        p.0.require_anywhere(Permission::PostsDraft)?;
        let multipart = service::multipart(&state, req).await?;
        let form = service::read_upload(multipart, &["csrf_token"]).await?;
        let workspace =
            service::upload_workspace(&state, &p.0, form.workspace_id.as_deref()).await?;
        service::store_upload(&state, &p.0, workspace, form).await
    }
    .await;
    match result {
        Ok(media) => {
            let to = format!("/media/{}", media.id);
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&to) {
                headers.insert("hx-redirect", v);
            }
            (StatusCode::OK, headers, Redirect::to(&to)).into_response()
        }
        Err(e) if e.status.is_server_error() => super::error_response(&e),
        Err(e) => upload_refused(&e),
    }
}

async fn load(state: &AppState, p: &PagePrincipal, id: &str) -> Result<Media, AppError> {
    let id = MediaId::parse(id).ok_or_else(|| AppError::not_found("media item"))?;
    crate::api::media::load(state, &p.0, id).await
}

#[derive(Debug, Deserialize)]
struct DetailQuery {
    saved: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let media = load(&state, &p, &id).await?;
    let lang = lang_of(&p);
    let flash = match q.saved.as_deref() {
        Some("focal") => Some(Flash::success(i18n::tr(lang, "media-focal-saved"))),
        Some(_) => Some(Flash::success(i18n::tr(lang, "media-saved"))),
        None => None,
    };
    let chosen: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "network")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut view = detail_view(&state, &p, &media, &chosen, FormErrors::new()).await?;
    view.page = view.page.with_flash(flash);
    Ok(render(&view))
}

async fn detail_view(
    state: &AppState,
    p: &PagePrincipal,
    media: &Media,
    chosen: &[&str],
    errors: FormErrors,
) -> Result<DetailView, AppError> {
    let specs = Specs::embedded().map_err(AppError::internal)?;
    let renderable = matches!(media.format.as_str(), "jpeg" | "png" | "webp");
    let mut networks: Vec<NetworkChoice> = specs
        .networks
        .iter()
        .filter(|n| !owlery_media::targets(&specs, &[n.code.as_str()]).is_empty())
        .map(|n| NetworkChoice {
            code: n.code.clone(),
            name: n.name.clone(),
            checked: chosen.contains(&n.code.as_str()),
        })
        .collect();
    networks.retain(|n| n.code != "sandbox" || n.checked);
    let mut previews = Vec::new();
    let mut failures = Vec::new();
    let mut focal = media.focal;
    let wanted: Vec<String> = networks
        .iter()
        .filter(|n| n.checked)
        .map(|n| n.code.clone())
        .collect();
    if renderable && !wanted.is_empty() {
        let made = service::renditions(state, media, &wanted).await?;
        focal = Some(made.focal);
        let base = format!("/media/{}", media.id);
        previews = made
            .items
            .into_iter()
            .map(|(tw, th, r)| Preview {
                url: service::rendition_path(&base, &r, ""),
                network: r.network,
                placement: r.placement,
                target_width: tw,
                target_height: th,
                width: r.width,
                height: r.height,
                byte_size: r.byte_size,
                crop: format!(
                    "{},{} {}×{}",
                    r.crop.x, r.crop.y, r.crop.width, r.crop.height
                ),
            })
            .collect();
        failures = made
            .failures
            .into_iter()
            .map(|f| format!("{} {}: {}", f.network, f.placement, f.error))
            .collect();
    }
    let focal = focal.unwrap_or(Focal { x: 0.5, y: 0.5 });
    let now = state.store.now();
    Ok(DetailView {
        page: page_for(p, &format!("/media/{}", media.id)).with_section(Section::Media),
        item: card(media, now),
        format: media.format.clone(),
        byte_size: media.byte_size,
        usage_rights: media.usage_rights.clone(),
        expires_on: media
            .expires_at
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        uploaded_at: media.created_at,
        focal_x: focal.x,
        focal_y: focal.y,
        focal_set: media.focal.is_some(),
        renderable,
        networks,
        previews,
        failures,
        errors,
    })
}

async fn save(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let media = load(&state, &p, &id).await?;
    let expires = form.get("expires_at");
    let expires_at = if expires.is_empty() {
        None
    } else {
        match service::parse_expiry(&expires) {
            Ok(t) => Some(t),
            Err(e) => return refuse(&state, &p, &media, e).await,
        }
    };
    let update = MediaUpdate {
        alt: Some(form.raw("alt")),
        tags: Some(form.get("tags").split(',').map(str::to_owned).collect()),
        usage_rights: Some(form.get("usage_rights")),
        expires_at: Some(expires_at),
        focal: None,
    };
    match state
        .store
        .update_media(&p.0.actor(), media.id, update)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/media/{}?saved=1", media.id)).into_response()),
        Err(owlery_store::StoreError::Invalid(i)) => {
            refuse(&state, &p, &media, AppError::from(i)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The item's page again with the error on its field.
async fn refuse(
    state: &AppState,
    p: &PagePrincipal,
    media: &Media,
    e: AppError,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    errors.push(e.field.clone().unwrap_or_default(), e.message.clone());
    let view = detail_view(state, p, media, &[], errors).await?;
    Ok(super::unprocessable(render(&view)))
}

async fn set_focal(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    form: FormData,
) -> Result<Response, AppError> {
    let media = load(&state, &p, &id).await?;
    let focal = if form.get("reset").is_empty() {
        let x = form.get("x").parse::<f64>().ok();
        let y = form.get("y").parse::<f64>().ok();
        match (x, y) {
            (Some(x), Some(y)) if Focal::parse(x, y).is_ok() => Some(Focal { x, y }),
            _ => {
                let mut errors = FormErrors::new();
                errors.push("x", i18n::tr(lang_of(&p), "media-focal-error"));
                let view = detail_view(&state, &p, &media, &[], errors).await?;
                return Ok(super::unprocessable(render(&view)));
            }
        }
    } else {
        None
    };
    state
        .store
        .update_media(
            &p.0.actor(),
            media.id,
            MediaUpdate {
                focal: Some(focal),
                ..Default::default()
            },
        )
        .await?;
    let networks: String = pairs
        .iter()
        .filter(|(k, v)| k == "network" && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|(_, v)| format!("&network={v}"))
        .collect();
    Ok(Redirect::to(&format!("/media/{}?saved=focal{networks}", media.id)).into_response())
}

async fn delete(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let media = load(&state, &p, &id).await?;
    state.store.delete_media(&p.0.actor(), media.id).await?;
    Ok(Redirect::to("/media?deleted=1").into_response())
}

async fn thumbnail(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let media = load(&state, &p, &id).await?;
    let bytes = state
        .store
        .media_thumbnail(&media)
        .await?
        .ok_or_else(|| AppError::not_found("thumbnail"))?;
    Ok(bytes_response(bytes, "image/jpeg"))
}

async fn original(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let media = load(&state, &p, &id).await?;
    let bytes = state.store.media_bytes(&media).await?;
    Ok(bytes_response(bytes, mime_of(&media.format)))
}

#[derive(Debug, Deserialize)]
struct SizeQuery {
    size: Option<String>,
}

async fn rendition(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path((id, network, placement)): Path<(String, String, String)>,
    Query(q): Query<SizeQuery>,
) -> Result<Response, AppError> {
    let media = load(&state, &p, &id).await?;
    let r =
        service::stored_rendition(&state, &media, &network, &placement, q.size.as_deref()).await?;
    let bytes = state
        .store
        .blob(&r.blob_key)
        .await?
        .ok_or_else(|| AppError::not_found("rendition"))?;
    Ok(bytes_response(bytes, mime_of(&r.format)))
}
