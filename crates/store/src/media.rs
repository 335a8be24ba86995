//! The media library: uploaded files (their bytes in `blobs`), their metadata, and the renditions
//! made from them for each network placement.
//!
//! An upload, its thumbnail and its audit event commit together. Metadata edits are audited;
//! renditions are derived data (remade from the original at any time) and are not. Changing the
//! focal point drops the stored renditions, since their crops no longer match it. Deleting is soft:
//! the row and the bytes stay (posts may still refer to them) but the item leaves every listing
//! and lookup.
//!
//! What is not here: reading or rendering images (`owlery-media`), permission checks (callers).

use chrono::{DateTime, Utc};
use owlery_domain::{InvalidInput, MediaId, UserId, WorkspaceId, audit::Actor};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError};

/// Most tags one item may carry, and the longest tag.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
/// The longest alt text (the strictest network, X, allows 1,000 characters).
pub const MAX_ALT_CHARS: usize = 1_000;
pub const MAX_USAGE_RIGHTS_CHARS: usize = 2_000;

/// One item of the media library.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Media {
    pub id: MediaId,
    pub workspace_id: WorkspaceId,
    pub uploaded_by: UserId,
    /// As uploaded (only for showing; the type comes from the bytes).
    pub file_name: String,
    /// `jpeg`, `png`, `webp`, `gif`, `mp4`, `mov` (as `owlery_media::Format::code`).
    pub format: String,
    /// `image`, `gif` or `video` (as `owlery_domain::spec::MediaKind::code`).
    pub kind: String,
    pub byte_size: i64,
    /// Upright (after EXIF orientation).
    pub width: i64,
    pub height: i64,
    pub duration_ms: Option<i64>,
    pub video_codec: Option<String>,
    pub frame_rate: Option<f64>,
    /// Hex SHA-256 of the original bytes.
    pub sha256: String,
    pub alt: String,
    pub tags: Vec<String>,
    /// Who owns it and where it may be used (licence, credit line), free text.
    pub usage_rights: String,
    /// When the right to use it ends; the item stays, marked expired.
    pub expires_at: Option<DateTime<Utc>>,
    /// The point every crop keeps, as fractions of the upright image; `None`: found automatically.
    pub focal: Option<Focal>,
    #[serde(skip)]
    pub blob_key: String,
    #[serde(skip)]
    pub thumb_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Media {
    /// Whether the right to use it has ended at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }

    pub fn has_thumbnail(&self) -> bool {
        self.thumb_key.is_some()
    }
}

/// A focal point: fractions of the upright image's width and height, each within 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Focal {
    pub x: f64,
    pub y: f64,
}

impl Focal {
    /// Both coordinates within 0..=1 (NaN refused).
    pub fn parse(x: f64, y: f64) -> Result<Focal, InvalidInput> {
        if (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y) {
            Ok(Focal { x, y })
        } else {
            Err(InvalidInput::new(
                "focal_point",
                "invalid_focal_point",
                "The focal point needs x and y between 0 and 1 (0,0 is the top left corner).",
            ))
        }
    }
}

/// The metadata a person gives an item (at upload, and in edits).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaMeta {
    pub alt: String,
    pub tags: Vec<String>,
    pub usage_rights: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub focal: Option<Focal>,
}

impl MediaMeta {
    /// Trimmed, tags lower-cased and de-duplicated, lengths checked.
    pub fn normalised(mut self) -> Result<MediaMeta, InvalidInput> {
        self.alt = self.alt.trim().to_owned();
        if self.alt.chars().count() > MAX_ALT_CHARS {
            return Err(InvalidInput::new(
                "alt",
                "alt_too_long",
                format!("Alt text can be at most {MAX_ALT_CHARS} characters."),
            ));
        }
        self.usage_rights = self.usage_rights.trim().to_owned();
        if self.usage_rights.chars().count() > MAX_USAGE_RIGHTS_CHARS {
            return Err(InvalidInput::new(
                "usage_rights",
                "usage_rights_too_long",
                format!("Usage rights can be at most {MAX_USAGE_RIGHTS_CHARS} characters."),
            ));
        }
        self.tags = normalise_tags(self.tags.iter().map(String::as_str))?;
        if let Some(f) = self.focal {
            Focal::parse(f.x, f.y)?;
        }
        Ok(self)
    }
}

/// Tags as stored: trimmed, lower case, inner whitespace collapsed, empty ones dropped, each once.
pub fn normalise_tags<'a>(
    tags: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, InvalidInput> {
    let mut out: Vec<String> = Vec::new();
    for raw in tags {
        let tag = raw
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if tag.is_empty() || out.contains(&tag) {
            continue;
        }
        if tag.chars().count() > MAX_TAG_CHARS || tag.contains(['"', '\\', ',']) {
            return Err(InvalidInput::new(
                "tags",
                "invalid_tag",
                format!(
                    "A tag has at most {MAX_TAG_CHARS} characters and no quotes, commas or backslashes."
                ),
            ));
        }
        out.push(tag);
    }
    if out.len() > MAX_TAGS {
        return Err(InvalidInput::new(
            "tags",
            "too_many_tags",
            format!("An item can have at most {MAX_TAGS} tags."),
        ));
    }
    Ok(out)
}

/// A new upload: what was read from the file, the metadata, and the bytes.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub workspace_id: WorkspaceId,
    pub uploaded_by: UserId,
    pub file_name: String,
    pub format: String,
    pub kind: String,
    pub width: i64,
    pub height: i64,
    pub duration_ms: Option<i64>,
    pub video_codec: Option<String>,
    pub frame_rate: Option<f64>,
    pub meta: MediaMeta,
    pub bytes: Vec<u8>,
    /// A small JPEG for the library grid (images only).
    pub thumbnail: Option<Vec<u8>>,
}

/// A change of metadata: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaUpdate {
    pub alt: Option<String>,
    pub tags: Option<Vec<String>>,
    pub usage_rights: Option<String>,
    /// `Some(None)` removes the expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// `Some(None)` goes back to the automatic focal point.
    pub focal: Option<Option<Focal>>,
}

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct MediaFilter {
    /// Only items carrying this tag (compared after the same normalisation as stored tags).
    pub tag: Option<String>,
    /// The cursor: only items older than this one.
    pub before: Option<MediaId>,
}

/// A stored rendition's metadata (the bytes are in the blob `blob_key`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRendition {
    pub media_id: MediaId,
    pub network: String,
    pub placement: String,
    /// The size made (the placement's, or smaller with the same shape for a small source).
    pub width: i64,
    pub height: i64,
    /// `jpeg` or `png`.
    pub format: String,
    pub byte_size: i64,
    pub quality: Option<i64>,
    /// The part of the upright original used.
    pub crop: Crop,
    /// The focal point it was made with.
    pub focal: Focal,
    #[serde(skip)]
    pub blob_key: String,
    pub created_at: DateTime<Utc>,
}

/// A rectangle of the upright original, in pixels. Stored as `x,y,width,height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Crop {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
}

impl Crop {
    fn to_text(self) -> String {
        format!("{},{},{},{}", self.x, self.y, self.width, self.height)
    }

    fn parse(s: &str) -> Option<Crop> {
        let mut it = s.split(',').map(|p| p.trim().parse::<i64>().ok());
        let crop = Crop {
            x: it.next()??,
            y: it.next()??,
            width: it.next()??,
            height: it.next()??,
        };
        it.next().is_none().then_some(crop)
    }
}

/// A rendition to store.
#[derive(Debug, Clone)]
pub struct NewRendition {
    pub network: String,
    pub placement: String,
    pub width: i64,
    pub height: i64,
    pub format: String,
    pub quality: Option<i64>,
    pub crop: Crop,
    pub bytes: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct MediaRow {
    id: Uuid,
    workspace_id: Uuid,
    uploaded_by: Uuid,
    file_name: String,
    format: String,
    kind: String,
    byte_size: i64,
    width: i64,
    height: i64,
    duration_ms: Option<i64>,
    video_codec: Option<String>,
    frame_rate: Option<f64>,
    sha256: String,
    alt: String,
    tags: String,
    usage_rights: String,
    expires_at: Option<DateTime<Utc>>,
    focal_x: Option<f64>,
    focal_y: Option<f64>,
    blob_key: String,
    thumb_key: Option<String>,
    created_at: DateTime<Utc>,
}

impl MediaRow {
    fn into_media(self) -> Result<Media> {
        let tags: Vec<String> = serde_json::from_str(&self.tags)
            .map_err(|e| StoreError::Corrupt(format!("media tags: {e}")))?;
        Ok(Media {
            id: MediaId(self.id),
            workspace_id: WorkspaceId(self.workspace_id),
            uploaded_by: UserId(self.uploaded_by),
            file_name: self.file_name,
            format: self.format,
            kind: self.kind,
            byte_size: self.byte_size,
            width: self.width,
            height: self.height,
            duration_ms: self.duration_ms,
            video_codec: self.video_codec,
            frame_rate: self.frame_rate,
            sha256: self.sha256,
            alt: self.alt,
            tags,
            usage_rights: self.usage_rights,
            expires_at: self.expires_at,
            focal: match (self.focal_x, self.focal_y) {
                (Some(x), Some(y)) => Some(Focal { x, y }),
                _ => None,
            },
            blob_key: self.blob_key,
            thumb_key: self.thumb_key,
            created_at: self.created_at,
        })
    }
}

const MEDIA_COLUMNS: &str = "id, workspace_id, uploaded_by, file_name, format, kind, byte_size, \
     width, height, duration_ms, video_codec, frame_rate, sha256, alt, tags, usage_rights, \
     expires_at, focal_x, focal_y, blob_key, thumb_key, created_at";

#[derive(sqlx::FromRow)]
struct RenditionRow {
    media_id: Uuid,
    network: String,
    placement: String,
    width: i64,
    height: i64,
    format: String,
    byte_size: i64,
    quality: Option<i64>,
    crop: String,
    focal_x: f64,
    focal_y: f64,
    blob_key: String,
    created_at: DateTime<Utc>,
}

impl RenditionRow {
    fn into_rendition(self) -> Result<StoredRendition> {
        Ok(StoredRendition {
            media_id: MediaId(self.media_id),
            crop: Crop::parse(&self.crop)
                .ok_or_else(|| StoreError::Corrupt(format!("rendition crop '{}'", self.crop)))?,
            network: self.network,
            placement: self.placement,
            width: self.width,
            height: self.height,
            format: self.format,
            byte_size: self.byte_size,
            quality: self.quality,
            focal: Focal {
                x: self.focal_x,
                y: self.focal_y,
            },
            blob_key: self.blob_key,
            created_at: self.created_at,
        })
    }
}

const RENDITION_COLUMNS: &str = "media_id, network, placement, width, height, format, byte_size, \
     quality, crop, focal_x, focal_y, blob_key, created_at";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// What the audit log keeps of an item: its metadata, never its bytes.
fn audit_view(m: &Media) -> Option<serde_json::Value> {
    serde_json::to_value(m).ok()
}

impl Store {
    /// Store an upload, its bytes and its thumbnail, with the audit event, in one transaction.
    pub async fn insert_media(&self, actor: &Actor, new: NewMedia) -> Result<Media> {
        let meta = new.meta.normalised()?;
        let now = self.now();
        let id = MediaId::new();
        let blob_key = format!("media/{id}/original");
        let thumb_key = new.thumbnail.as_ref().map(|_| format!("media/{id}/thumb"));
        let media = Media {
            id,
            workspace_id: new.workspace_id,
            uploaded_by: new.uploaded_by,
            file_name: new.file_name,
            format: new.format,
            kind: new.kind,
            byte_size: i64::try_from(new.bytes.len()).unwrap_or(i64::MAX),
            width: new.width,
            height: new.height,
            duration_ms: new.duration_ms,
            video_codec: new.video_codec,
            frame_rate: new.frame_rate,
            sha256: sha256_hex(&new.bytes),
            alt: meta.alt,
            tags: meta.tags,
            usage_rights: meta.usage_rights,
            expires_at: meta.expires_at,
            focal: meta.focal,
            blob_key,
            thumb_key,
            created_at: now,
        };
        let tags =
            serde_json::to_string(&media.tags).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let bytes = new.bytes;
        let thumbnail = new.thumbnail;
        with_tx!(self, |tx, pg| {
            let ws: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM workspaces WHERE id = $1")
                .bind(media.workspace_id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if ws.is_none() {
                return Err(InvalidInput::new(
                    "workspace_id",
                    "unknown_workspace",
                    "There is no workspace with this id.",
                )
                .into());
            }
            sqlx::query("INSERT INTO blobs (key, bytes, created_at) VALUES ($1, $2, $3)")
                .bind(&media.blob_key)
                .bind(&bytes)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if let (Some(key), Some(thumb)) = (&media.thumb_key, &thumbnail) {
                sqlx::query("INSERT INTO blobs (key, bytes, created_at) VALUES ($1, $2, $3)")
                    .bind(key)
                    .bind(thumb)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO media (id, workspace_id, uploaded_by, file_name, format, kind, \
                 byte_size, width, height, duration_ms, video_codec, frame_rate, sha256, alt, tags, \
                 usage_rights, expires_at, focal_x, focal_y, blob_key, thumb_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20, $21, $22)",
            )
            .bind(media.id.0)
            .bind(media.workspace_id.0)
            .bind(media.uploaded_by.0)
            .bind(&media.file_name)
            .bind(&media.format)
            .bind(&media.kind)
            .bind(media.byte_size)
            .bind(media.width)
            .bind(media.height)
            .bind(media.duration_ms)
            .bind(&media.video_codec)
            .bind(media.frame_rate)
            .bind(&media.sha256)
            .bind(&media.alt)
            .bind(&tags)
            .bind(&media.usage_rights)
            .bind(media.expires_at)
            .bind(media.focal.map(|f| f.x))
            .bind(media.focal.map(|f| f.y))
            .bind(&media.blob_key)
            .bind(&media.thumb_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "media.upload",
                    "media",
                    Some(media.id.to_string()),
                    None,
                    audit_view(&media)
                ),
                now
            );
            Ok(media.clone())
        })
    }

    /// An item that has not been deleted.
    pub async fn media(&self, id: MediaId) -> Result<Option<Media>> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media WHERE id = $1 AND deleted_at IS NULL");
        let row: Option<MediaRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.map(MediaRow::into_media).transpose()
    }

    /// Items of these workspaces, newest first, `limit` at most.
    pub async fn list_media(
        &self,
        workspaces: &[WorkspaceId],
        filter: &MediaFilter,
        limit: i64,
    ) -> Result<Vec<Media>> {
        if workspaces.is_empty() {
            return Ok(Vec::new());
        }
        // Tags are a JSON array of strings without quotes or backslashes: `"tag"` occurs in it
        // exactly when the tag does. LIKE's own wildcards are escaped.
        let tag_pattern = match &filter.tag {
            Some(t) => normalise_tags([t.as_str()])?.into_iter().next().map(|tag| {
                format!(
                    "%\"{}\"%",
                    tag.replace('!', "!!").replace('%', "!%").replace('_', "!_")
                )
            }),
            None => None,
        };
        let placeholders = (0..workspaces.len())
            .map(|i| format!("${}", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {MEDIA_COLUMNS} FROM media WHERE deleted_at IS NULL \
             AND ($1 IS NULL OR id < $1) AND ($2 IS NULL OR tags LIKE $2 ESCAPE '!') \
             AND workspace_id IN ({placeholders}) ORDER BY id DESC LIMIT $3"
        );
        let before = filter.before.map(|m| m.0);
        let rows: Vec<MediaRow> = with_pool!(self, |pool, _pg| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(before)
                .bind(tag_pattern.clone())
                .bind(limit);
            for w in workspaces {
                q = q.bind(w.0);
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter().map(MediaRow::into_media).collect()
    }

    /// Change an item's metadata. A new focal point drops the renditions made with the old one.
    pub async fn update_media(
        &self,
        actor: &Actor,
        id: MediaId,
        update: MediaUpdate,
    ) -> Result<Media> {
        let before = self.media(id).await?.ok_or(StoreError::NotFound("media"))?;
        let meta = MediaMeta {
            alt: update.alt.unwrap_or_else(|| before.alt.clone()),
            tags: update.tags.unwrap_or_else(|| before.tags.clone()),
            usage_rights: update
                .usage_rights
                .unwrap_or_else(|| before.usage_rights.clone()),
            expires_at: update.expires_at.unwrap_or(before.expires_at),
            focal: update.focal.unwrap_or(before.focal),
        }
        .normalised()?;
        let after = Media {
            alt: meta.alt,
            tags: meta.tags,
            usage_rights: meta.usage_rights,
            expires_at: meta.expires_at,
            focal: meta.focal,
            ..before.clone()
        };
        if after == before {
            return Ok(after);
        }
        let focal_changed = after.focal != before.focal;
        let tags =
            serde_json::to_string(&after.tags).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let changed = sqlx::query(
                "UPDATE media SET alt = $1, tags = $2, usage_rights = $3, expires_at = $4, \
                 focal_x = $5, focal_y = $6 WHERE id = $7 AND deleted_at IS NULL",
            )
            .bind(&after.alt)
            .bind(&tags)
            .bind(&after.usage_rights)
            .bind(after.expires_at)
            .bind(after.focal.map(|f| f.x))
            .bind(after.focal.map(|f| f.y))
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound("media"));
            }
            if focal_changed {
                sqlx::query(
                    "DELETE FROM blobs WHERE key IN (SELECT blob_key FROM renditions WHERE media_id = $1)",
                )
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM renditions WHERE media_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "media.update",
                    "media",
                    Some(id.to_string()),
                    audit_view(&before),
                    audit_view(&after)
                ),
                now
            );
            Ok(after.clone())
        })
    }

    /// Remove an item from the library (soft: the row and bytes stay for posts that use it).
    pub async fn delete_media(&self, actor: &Actor, id: MediaId) -> Result<()> {
        let before = self.media(id).await?.ok_or(StoreError::NotFound("media"))?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let changed = sqlx::query(
                "UPDATE media SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound("media"));
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "media.delete",
                    "media",
                    Some(id.to_string()),
                    audit_view(&before),
                    None
                ),
                now
            );
            Ok(())
        })
    }

    /// The bytes stored under `key` (a `Media::blob_key`, `thumb_key` or rendition's key).
    pub async fn blob(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT bytes FROM blobs WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(b,)| b))
    }

    /// The original file of an item.
    pub async fn media_bytes(&self, media: &Media) -> Result<Vec<u8>> {
        self.blob(&media.blob_key)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("the bytes of media {}", media.id)))
    }

    /// The thumbnail of an item, if it has one.
    pub async fn media_thumbnail(&self, media: &Media) -> Result<Option<Vec<u8>>> {
        match &media.thumb_key {
            Some(key) => self.blob(key).await,
            None => Ok(None),
        }
    }

    /// The stored renditions of an item, by network, placement and size.
    pub async fn renditions(&self, id: MediaId) -> Result<Vec<StoredRendition>> {
        let sql = format!(
            "SELECT {RENDITION_COLUMNS} FROM renditions WHERE media_id = $1 \
             ORDER BY network, placement, width DESC, height DESC"
        );
        let rows: Vec<RenditionRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(RenditionRow::into_rendition).collect()
    }

    /// Store renditions made with `focal` (replacing any of the same placement and size). Fails
    /// with a conflict when the item's focal point is no longer `expected_focal` (someone moved it
    /// while these were being made), so that no rendition with a stale crop is kept.
    pub async fn store_renditions(
        &self,
        id: MediaId,
        expected_focal: Option<Focal>,
        focal: Focal,
        renditions: Vec<NewRendition>,
    ) -> Result<Vec<StoredRendition>> {
        let now = self.now();
        let stored: Vec<(StoredRendition, Vec<u8>)> = renditions
            .into_iter()
            .map(|r| {
                let blob_key = format!(
                    "media/{id}/renditions/{}/{}/{}x{}",
                    r.network, r.placement, r.width, r.height
                );
                (
                    StoredRendition {
                        media_id: id,
                        byte_size: i64::try_from(r.bytes.len()).unwrap_or(i64::MAX),
                        network: r.network,
                        placement: r.placement,
                        width: r.width,
                        height: r.height,
                        format: r.format,
                        quality: r.quality,
                        crop: r.crop,
                        focal,
                        blob_key,
                        created_at: now,
                    },
                    r.bytes,
                )
            })
            .collect();
        with_tx!(self, |tx, _pg| {
            let row: Option<(Option<f64>, Option<f64>)> = sqlx::query_as(
                "SELECT focal_x, focal_y FROM media WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((x, y)) = row else {
                return Err(StoreError::NotFound("media"));
            };
            let current = match (x, y) {
                (Some(x), Some(y)) => Some(Focal { x, y }),
                _ => None,
            };
            if current != expected_focal {
                return Err(StoreError::Conflict {
                    field: "focal_point",
                    message: "The focal point changed while the renditions were being made; \
                              ask for them again."
                        .to_owned(),
                });
            }
            for (r, bytes) in &stored {
                sqlx::query(
                    "INSERT INTO blobs (key, bytes, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes, created_at = excluded.created_at",
                )
                .bind(&r.blob_key)
                .bind(bytes)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO renditions (media_id, network, placement, width, height, format, \
                     byte_size, quality, crop, focal_x, focal_y, blob_key, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (media_id, network, placement, width, height) DO UPDATE SET \
                     format = excluded.format, byte_size = excluded.byte_size, \
                     quality = excluded.quality, crop = excluded.crop, focal_x = excluded.focal_x, \
                     focal_y = excluded.focal_y, blob_key = excluded.blob_key, \
                     created_at = excluded.created_at",
                )
                .bind(id.0)
                .bind(&r.network)
                .bind(&r.placement)
                .bind(r.width)
                .bind(r.height)
                .bind(&r.format)
                .bind(r.byte_size)
                .bind(r.quality)
                .bind(r.crop.to_text())
                .bind(r.focal.x)
                .bind(r.focal.y)
                .bind(&r.blob_key)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            Ok(())
        })?;
        Ok(stored.into_iter().map(|(r, _)| r).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        assert_eq!(
            normalise_tags(["  Summer  Sale ", "summer sale", "", "Logo"]).ok(),
            Some(vec!["summer sale".to_owned(), "logo".to_owned()])
        );
        assert!(normalise_tags(["a\"b"]).is_err());
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert!(normalise_tags(many.iter().map(String::as_str)).is_err());
    }

    #[test]
    fn crops_round_trip() {
        let c = Crop {
            x: 1,
            y: 2,
            width: 300,
            height: 400,
        };
        assert_eq!(Crop::parse(&c.to_text()), Some(c));
        assert_eq!(Crop::parse("1,2,3"), None);
        assert_eq!(Crop::parse("1,2,3,4,5"), None);
    }

    #[test]
    fn focal_points_are_checked() {
        assert!(Focal::parse(0.0, 1.0).is_ok());
        assert!(Focal::parse(1.1, 0.5).is_err());
        assert!(Focal::parse(f64::NAN, 0.5).is_err());
    }
}

// ---- What the composer needs to validate a variant's media ----

type AttachedRow = (
    Uuid,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<DateTime<Utc>>,
);

/// One usable media file as validation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachedMedia {
    pub id: MediaId,
    pub facts: owlery_domain::spec::MediaFacts,
    /// After this instant the file may not be scheduled (usage rights ran out).
    pub expires_at: Option<DateTime<Utc>>,
}

impl Store {
    /// The facts of media files `ids` of workspace `workspace`, in the order asked. A file that
    /// does not exist, was deleted or belongs to another workspace is `NotFound("media")`.
    pub async fn attached_media(
        &self,
        workspace: WorkspaceId,
        ids: &[MediaId],
    ) -> Result<Vec<AttachedMedia>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<AttachedRow> = with_pool!(self, |pool, _pg| {
                sqlx::query_as(
                    "SELECT id, kind, format, byte_size, width, height, duration_ms, expires_at \
                     FROM media WHERE id = $1 AND workspace_id = $2 AND deleted_at IS NULL",
                )
                .bind(id.0)
                .bind(workspace.0)
                .fetch_optional(pool)
                .await?
            });
            let Some((id, kind, format, bytes, width, height, duration_ms, expires_at)) = row
            else {
                return Err(StoreError::NotFound("media"));
            };
            let kind = match kind.as_str() {
                "image" => owlery_domain::spec::MediaKind::Image,
                "gif" => owlery_domain::spec::MediaKind::Gif,
                "video" => owlery_domain::spec::MediaKind::Video,
                other => return Err(StoreError::Corrupt(format!("media kind '{other}'"))),
            };
            let non_negative = |v: i64| u64::try_from(v).unwrap_or(0);
            out.push(AttachedMedia {
                id: MediaId(id),
                facts: owlery_domain::spec::MediaFacts {
                    kind,
                    bytes: non_negative(bytes),
                    width: non_negative(width),
                    height: non_negative(height),
                    duration_ms: duration_ms.map(non_negative),
                    format,
                    alt: None,
                },
                expires_at,
            });
        }
        Ok(out)
    }
}
