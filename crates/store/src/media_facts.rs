//! What the composer needs to know about attached media to validate a variant: kind, size,
//! dimensions, duration and format, plus whether the file may still be used.

use chrono::{DateTime, Utc};
use owlery_domain::{
    MediaId, WorkspaceId,
    spec::{MediaFacts, MediaKind},
};
use uuid::Uuid;

use crate::{Result, Store, StoreError};

/// One usable media file as validation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachedMedia {
    pub id: MediaId,
    pub facts: MediaFacts,
    /// After this instant the file may not be scheduled (usage rights ran out).
    pub expires_at: Option<DateTime<Utc>>,
}

type Row = (
    Uuid,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<DateTime<Utc>>,
);

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
            let row: Option<Row> = with_pool!(self, |pool, _pg| {
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
                "image" => MediaKind::Image,
                "gif" => MediaKind::Gif,
                "video" => MediaKind::Video,
                other => return Err(StoreError::Corrupt(format!("media kind '{other}'"))),
            };
            let non_negative = |v: i64| u64::try_from(v).unwrap_or(0);
            out.push(AttachedMedia {
                id: MediaId(id),
                facts: MediaFacts {
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
