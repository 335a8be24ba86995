//! Posts, their per-channel variants, version history and scheduling.
//!
//! The approval gate lives here, inside the transactions that change a variant's status: whatever
//! a caller asks, a variant only becomes `scheduled` (and later `publishing`) when
//! `owlery_domain::post::gate` passes on the data read in that same transaction.

use chrono::{DateTime, Utc};
use owlery_domain::{
    CampaignId, ChannelId, PostId, UserId, VariantId, WorkspaceId,
    audit::Actor,
    post::{self, ApprovalNeed, Content, GateError, Overrides, VariantStatus},
    publishing::engine::HeldBy,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError};

/// The job that publishes one variant at its time. Payload: `{"variant_id", "scheduled_at"}`; a job
/// whose time no longer matches the variant's is stale and does nothing.
pub const PUBLISH_JOB: &str = "publish.variant";

/// The workflow that covers channel `$1`: its own, else its workspace's (the `SELECT` list is the
/// caller's).
pub(crate) const COVERING_WORKFLOW: &str = "FROM approval_workflows w JOIN channels c ON c.id = $1 \
     WHERE w.archived_at IS NULL AND (w.channel_id = c.id OR (w.channel_id IS NULL AND w.workspace_id = c.workspace_id)) \
     ORDER BY (w.channel_id IS NULL) LIMIT 1";

/// The result of validating a variant against its network's spec, kept with the variant so that
/// lists and the gate need not re-validate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Validation {
    pub findings: serde_json::Value,
    pub has_errors: bool,
    pub spec_version: String,
}

#[derive(Debug, Clone)]
pub struct VariantInput {
    pub channel_id: ChannelId,
    pub placement: String,
    pub overrides: Overrides,
    pub validation: Validation,
}

#[derive(Debug, Clone)]
pub struct NewPost {
    pub workspace_id: WorkspaceId,
    pub title: String,
    pub content: Content,
    pub variants: Vec<VariantInput>,
    pub campaign_id: Option<CampaignId>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub schedule_tz: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Variant {
    pub id: VariantId,
    pub post_id: PostId,
    pub channel_id: ChannelId,
    pub placement: String,
    pub overrides: Overrides,
    pub status: VariantStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub schedule_tz: String,
    pub review_id: Option<Uuid>,
    pub campaign_offset_minutes: i64,
    pub findings: serde_json::Value,
    pub has_errors: bool,
    pub spec_version: String,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub error: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// How late it went out (seconds after its time), when it was late; kept while it waits.
    pub late_by_s: Option<i64>,
    /// Why it waits, when it is `paused`: a pause covered it, or it was too late.
    pub held_by: Option<HeldBy>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Post {
    pub id: PostId,
    pub workspace_id: WorkspaceId,
    pub author_id: UserId,
    pub assignee_id: Option<UserId>,
    pub campaign_id: Option<CampaignId>,
    pub title: String,
    pub content: Content,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub variants: Vec<Variant>,
}

impl Post {
    pub fn variant(&self, id: VariantId) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == id)
    }
}

/// A saved version of a post (master and variants), for history and restore.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Snapshot {
    pub title: String,
    pub content: Content,
    pub variants: Vec<SnapshotVariant>,
}

impl Snapshot {
    pub(crate) fn of(title: &str, content: &Content, variants: &[VariantInput]) -> Snapshot {
        Snapshot {
            title: title.to_owned(),
            content: content.clone(),
            variants: variants
                .iter()
                .map(|v| SnapshotVariant {
                    channel_id: v.channel_id,
                    placement: v.placement.clone(),
                    overrides: v.overrides.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct SnapshotVariant {
    pub channel_id: ChannelId,
    pub placement: String,
    pub overrides: Overrides,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Version {
    pub version: i64,
    pub snapshot: Snapshot,
    pub author_id: UserId,
    pub created_at: DateTime<Utc>,
}

/// One line of the calendar: a variant with what the calendar shows of its post and channel.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CalendarEntry {
    pub variant_id: VariantId,
    pub post_id: PostId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: String,
    pub author_id: UserId,
    pub author_name: String,
    pub campaign_id: Option<CampaignId>,
    pub title: String,
    pub text: String,
    pub status: VariantStatus,
    pub at: DateTime<Utc>,
    pub has_errors: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CalendarFilter {
    /// Only these workspaces (the ones the viewer may see). Empty = none.
    pub workspaces: Vec<WorkspaceId>,
    pub channels: Vec<ChannelId>,
    pub networks: Vec<String>,
    pub campaign: Option<CampaignId>,
    pub statuses: Vec<VariantStatus>,
    pub author: Option<UserId>,
}

/// What happened to each variant when a post was submitted or scheduled.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outcome {
    pub variant_id: VariantId,
    pub status: VariantStatus,
    /// Why it did not move on, if it did not.
    pub blocked: Option<&'static str>,
}

#[derive(sqlx::FromRow)]
struct PostRow {
    id: Uuid,
    workspace_id: Uuid,
    author_id: Uuid,
    assignee_id: Option<Uuid>,
    campaign_id: Option<Uuid>,
    title: String,
    content: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const POST_COLUMNS: &str = "id, workspace_id, author_id, assignee_id, campaign_id, title, content, \
                            version, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct VariantRow {
    id: Uuid,
    post_id: Uuid,
    channel_id: Uuid,
    placement: String,
    overrides: String,
    status: String,
    scheduled_at: Option<DateTime<Utc>>,
    schedule_tz: String,
    review_id: Option<Uuid>,
    campaign_offset: i64,
    findings: String,
    has_errors: bool,
    spec_version: String,
    remote_id: Option<String>,
    remote_url: Option<String>,
    error: Option<String>,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    late_by_s: Option<i64>,
    held_by: Option<String>,
}

pub(crate) const VARIANT_COLUMNS: &str = "id, post_id, channel_id, placement, overrides, status, scheduled_at, \
     schedule_tz, review_id, campaign_offset, findings, has_errors, spec_version, remote_id, \
     remote_url, error, published_at, updated_at, late_by_s, held_by";

pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn parse_status(s: &str) -> Result<VariantStatus> {
    VariantStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("variant status '{s}'")))
}

impl VariantRow {
    pub(crate) fn into_variant(self) -> Result<Variant> {
        Ok(Variant {
            id: VariantId(self.id),
            post_id: PostId(self.post_id),
            channel_id: ChannelId(self.channel_id),
            placement: self.placement,
            overrides: json("variant overrides", &self.overrides)?,
            status: parse_status(&self.status)?,
            scheduled_at: self.scheduled_at,
            schedule_tz: self.schedule_tz,
            review_id: self.review_id,
            campaign_offset_minutes: self.campaign_offset,
            findings: json("variant findings", &self.findings)?,
            has_errors: self.has_errors,
            spec_version: self.spec_version,
            remote_id: self.remote_id,
            remote_url: self.remote_url,
            error: self.error,
            published_at: self.published_at,
            updated_at: self.updated_at,
            late_by_s: self.late_by_s,
            held_by: self.held_by.as_deref().and_then(HeldBy::parse),
        })
    }
}

impl PostRow {
    fn into_post(self, variants: Vec<Variant>) -> Result<Post> {
        Ok(Post {
            id: PostId(self.id),
            workspace_id: WorkspaceId(self.workspace_id),
            author_id: UserId(self.author_id),
            assignee_id: self.assignee_id.map(UserId),
            campaign_id: self.campaign_id.map(CampaignId),
            title: self.title,
            content: json("post content", &self.content)?,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            variants,
        })
    }
}

/// Insert a draft variant of post `$post` (in workspace `$workspace`) in the caller's transaction,
/// after checking that its channel belongs to that workspace.
macro_rules! insert_variant {
    ($tx:ident, $post:expr, $workspace:expr, $input:expr, $at:expr, $tz:expr, $now:expr) => {{
        let input: &VariantInput = $input;
        let ws: Option<(Uuid,)> = sqlx::query_as("SELECT workspace_id FROM channels WHERE id = $1")
            .bind(input.channel_id.0)
            .fetch_optional(&mut *$tx)
            .await?;
        match ws {
            Some((w,)) if w == $workspace.0 => {}
            Some(_) => {
                return Err(StoreError::Conflict {
                    field: "channel_ids",
                    message: "A channel belongs to another workspace.".into(),
                });
            }
            None => return Err(StoreError::NotFound("channel")),
        }
        sqlx::query(
            "INSERT INTO variants (id, post_id, channel_id, placement, overrides, status, scheduled_at, \
             schedule_tz, findings, has_errors, spec_version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(VariantId::new().0)
        .bind($post.0)
        .bind(input.channel_id.0)
        .bind(&input.placement)
        .bind(to_json(&input.overrides)?)
        .bind($at)
        .bind($tz)
        .bind(input.validation.findings.to_string())
        .bind(input.validation.has_errors)
        .bind(&input.validation.spec_version)
        .bind($now)
        .execute(&mut *$tx)
        .await
        .map_err(StoreError::unique("channel_ids", "The same channel is chosen twice."))?;
    }};
}

/// Insert a publish job in the caller's transaction.
macro_rules! enqueue_publish {
    ($tx:ident, $variant:expr, $at:expr, $now:expr) => {{
        let payload = serde_json::json!({ "variant_id": $variant, "scheduled_at": $at });
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, 0, 8, $5, $5)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind($crate::posts::PUBLISH_JOB)
        .bind(payload.to_string())
        .bind($at)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use enqueue_publish;

/// A variant's approval need from what the database holds: with a review, whether that review
/// (`review_state`) is approved; without one, whether a workflow now covers its channel (a
/// workflow added after scheduling still holds the post back).
pub(crate) fn approval_need_of(
    review_id: Option<Uuid>,
    review_state: Option<&str>,
    covering_workflow: bool,
) -> ApprovalNeed {
    match review_id {
        Some(_) if review_state == Some("approved") => ApprovalNeed::Approved,
        Some(_) => ApprovalNeed::Pending,
        None if covering_workflow => ApprovalNeed::Pending,
        None => ApprovalNeed::NotRequired,
    }
}

/// Load a variant's approval need inside a transaction: its review's state, or whether a workflow
/// now covers its channel (a workflow added after scheduling still holds the post back).
macro_rules! approval_need {
    ($tx:ident, $variant:expr) => {{
        let v: &$crate::posts::Variant = $variant;
        match v.review_id {
            Some(review_id) => {
                let state: Option<(String, i64)> =
                    sqlx::query_as("SELECT state, round FROM reviews WHERE id = $1")
                        .bind(review_id)
                        .fetch_optional(&mut *$tx)
                        .await?;
                $crate::posts::approval_need_of(
                    Some(review_id),
                    state.as_ref().map(|(s, _)| s.as_str()),
                    false,
                )
            }
            None => {
                let covered: Option<(uuid::Uuid,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT w.id {}",
                    $crate::posts::COVERING_WORKFLOW
                )))
                .bind(v.channel_id.0)
                .fetch_optional(&mut *$tx)
                .await?;
                $crate::posts::approval_need_of(None, None, covered.is_some())
            }
        }
    }};
}
#[allow(unused_imports)]
pub(crate) use approval_need;

/// Lock a post's row for the rest of the transaction (PostgreSQL; SQLite's `BEGIN IMMEDIATE`
/// already serialises writers). Every change to a post's variants or reviews takes this lock first,
/// so that a decision, an edit and a scheduling of the same post never interleave.
macro_rules! lock_post {
    ($tx:ident, $pg:ident, $post:expr) => {{
        if $pg {
            sqlx::query("SELECT id FROM posts WHERE id = $1 FOR UPDATE")
                .bind($post)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use lock_post;

/// Schedule variant `$id` at `$at` inside the caller's transaction (the caller holds the post's
/// lock): the gate is checked on the variant as it is now; on success the variant is scheduled,
/// its publish job queued (unless an all-or-nothing campaign releases it) and the change audited.
/// Yields `Result<VariantStatus, GateError>`; store errors propagate with `?`.
macro_rules! schedule_in_tx {
    ($tx:ident, $pg:ident, $actor:expr, $id:expr, $at:expr, $tz:expr, $now:expr) => {{
        let id: owlery_domain::VariantId = $id;
        let at: chrono::DateTime<chrono::Utc> = $at;
        let time_zone: &str = $tz;
        'gate: {
            let fresh: Option<$crate::posts::VariantRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM variants WHERE id = $1",
                $crate::posts::VARIANT_COLUMNS
            )))
            .bind(id.0)
            .fetch_optional(&mut *$tx)
            .await?;
            let fresh = fresh.ok_or($crate::StoreError::NotFound("variant"))?.into_variant()?;
            let need = $crate::posts::approval_need!($tx, &fresh);
            if let Err(e) = owlery_domain::post::gate(fresh.status, need, fresh.has_errors) {
                break 'gate Err(e);
            }
            sqlx::query(
                "UPDATE variants SET status = 'scheduled', scheduled_at = $1, schedule_tz = $2, error = NULL, \
                 held_by = NULL, late_by_s = NULL, updated_at = $3 WHERE id = $4",
            )
            .bind(at)
            .bind(time_zone)
            .bind($now)
            .bind(id.0)
            .execute(&mut *$tx)
            .await?;
            let campaign: Option<(Option<uuid::Uuid>,)> =
                sqlx::query_as("SELECT campaign_id FROM posts WHERE id = $1")
                    .bind(fresh.post_id.0)
                    .fetch_optional(&mut *$tx)
                    .await?;
            let campaign = campaign.and_then(|(c,)| c).map(owlery_domain::CampaignId);
            if !in_held_campaign!($tx, campaign) {
                $crate::posts::enqueue_publish!($tx, id, at, $now);
            }
            append_audit!(
                $tx,
                $pg,
                $actor.entry(
                    "variant.schedule",
                    "variant",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": fresh.status.code(), "scheduled_at": fresh.scheduled_at })),
                    Some(serde_json::json!({ "status": "scheduled", "scheduled_at": at, "time_zone": time_zone }))
                ),
                $now
            );
            Ok(owlery_domain::post::VariantStatus::Scheduled)
        }
    }};
}
pub(crate) use schedule_in_tx;

impl Store {
    pub async fn create_post(&self, actor: &Actor, author: UserId, new: NewPost) -> Result<Post> {
        if new.variants.is_empty() {
            return Err(owlery_domain::InvalidInput::new(
                "channel_ids",
                "required",
                "Choose at least one channel.",
            )
            .into());
        }
        let content = new.content.clone().normalised()?;
        let now = self.now();
        let id = PostId::new();
        let content_json = to_json(&content)?;
        let snapshot_json = to_json(&Snapshot::of(&new.title, &content, &new.variants))?;
        with_tx!(self, |tx, pg| {
            if let Some(c) = new.campaign_id {
                let ws: Option<(Uuid,)> =
                    sqlx::query_as("SELECT workspace_id FROM campaigns WHERE id = $1")
                        .bind(c.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                if ws.map(|(w,)| w) != Some(new.workspace_id.0) {
                    return Err(StoreError::NotFound("campaign"));
                }
            }
            sqlx::query(
                "INSERT INTO posts (id, workspace_id, author_id, campaign_id, title, content, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
            )
            .bind(id.0)
            .bind(new.workspace_id.0)
            .bind(author.0)
            .bind(new.campaign_id.map(|c| c.0))
            .bind(&new.title)
            .bind(&content_json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for v in &new.variants {
                insert_variant!(
                    tx,
                    id,
                    new.workspace_id,
                    v,
                    new.scheduled_at,
                    &new.schedule_tz,
                    now
                );
            }
            sqlx::query(
                "INSERT INTO post_versions (post_id, version, snapshot, author_id, created_at) VALUES ($1, 1, $2, $3, $4)",
            )
            .bind(id.0)
            .bind(&snapshot_json)
            .bind(author.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "post.create",
                    "post",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({ "workspace_id": new.workspace_id, "channels": new.variants.len() }))
                ),
                now
            );
            Ok(())
        })?;
        self.post(id).await?.ok_or(StoreError::NotFound("post"))
    }

    async fn variants_of(&self, id: PostId) -> Result<Vec<Variant>> {
        let rows: Vec<VariantRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {VARIANT_COLUMNS} FROM variants WHERE post_id = $1 ORDER BY created_at, id"
            )))
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(VariantRow::into_variant).collect()
    }

    pub async fn post(&self, id: PostId) -> Result<Option<Post>> {
        let row: Option<PostRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {POST_COLUMNS} FROM posts WHERE id = $1 AND deleted_at IS NULL"
            )))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else { return Ok(None) };
        let variants = self.variants_of(id).await?;
        row.into_post(variants).map(Some)
    }

    /// The post a variant belongs to.
    pub async fn post_of_variant(&self, variant: VariantId) -> Result<Option<Post>> {
        let id: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT post_id FROM variants WHERE id = $1")
                .bind(variant.0)
                .fetch_optional(pool)
                .await?
        });
        match id {
            Some((p,)) => self.post(PostId(p)).await,
            None => Ok(None),
        }
    }

    /// The post Owlery published on `channel` as `remote_id` (the post itself or a later part of
    /// it: a thread's next post, its first comment), with that variant — for the inbox, which
    /// shows the post a comment thread is on. `None` when it was not published from here.
    pub async fn published_post(
        &self,
        channel: ChannelId,
        remote_id: &str,
    ) -> Result<Option<(Post, VariantId)>> {
        let found: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id FROM variants WHERE remote_id = $1 AND channel_id = $2 \
                 UNION ALL \
                 SELECT v.id FROM variant_parts p JOIN variants v ON v.id = p.variant_id \
                 WHERE p.remote_id = $1 AND v.channel_id = $2 \
                 LIMIT 1",
            )
            .bind(remote_id)
            .bind(channel.0)
            .fetch_optional(pool)
            .await?
        });
        let Some((variant,)) = found else {
            return Ok(None);
        };
        let variant = VariantId(variant);
        Ok(self.post_of_variant(variant).await?.map(|p| (p, variant)))
    }

    /// Posts of these workspaces, newest change first; `before` is the cursor (an `updated_at`).
    pub async fn posts(
        &self,
        workspaces: &[WorkspaceId],
        before: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<Post>> {
        if workspaces.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = (0..workspaces.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM posts WHERE deleted_at IS NULL AND ($1 IS NULL OR updated_at < $1) \
             AND workspace_id IN ({placeholders}) ORDER BY updated_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<PostRow> = with_pool!(self, |pool, _pg| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(before)
                .bind(limit);
            for w in workspaces {
                q = q.bind(w.0);
            }
            q.fetch_all(pool).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id = PostId(row.id);
            let variants = self.variants_of(id).await?;
            out.push(row.into_post(variants)?);
        }
        Ok(out)
    }

    /// Save an edit of the whole post: master content, title and the set of variants. Fails with a
    /// conflict if someone saved since `expected_version` (nothing is lost: the caller shows both).
    /// Variants whose content changed go back to review where a workflow requires it; variants no
    /// longer listed are removed (or cancelled if they were scheduled).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_post(
        &self,
        actor: &Actor,
        editor: UserId,
        id: PostId,
        expected_version: i64,
        title: String,
        content: Content,
        variants: Vec<VariantInput>,
    ) -> Result<Post> {
        if variants.is_empty() {
            return Err(owlery_domain::InvalidInput::new(
                "channel_ids",
                "required",
                "Choose at least one channel.",
            )
            .into());
        }
        let content = content.normalised()?;
        let before = self.post(id).await?.ok_or(StoreError::NotFound("post"))?;
        let now = self.now();
        let snapshot_json = to_json(&Snapshot::of(&title, &content, &variants))?;
        let content_json = to_json(&content)?;
        with_tx!(self, |tx, pg| {
            let updated = sqlx::query(
                "UPDATE posts SET title = $1, content = $2, version = version + 1, updated_at = $3 \
                 WHERE id = $4 AND version = $5 AND deleted_at IS NULL",
            )
            .bind(&title)
            .bind(&content_json)
            .bind(now)
            .bind(id.0)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::Conflict {
                    field: "version",
                    message:
                        "Someone else saved this post in the meantime. Reload to see their changes."
                            .into(),
                });
            }
            let rows: Vec<VariantRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {VARIANT_COLUMNS} FROM variants WHERE post_id = $1"
            )))
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
            let current = rows
                .into_iter()
                .map(VariantRow::into_variant)
                .collect::<Result<Vec<_>>>()?;
            let mut reviews_to_restart: Vec<Uuid> = Vec::new();
            for input in &variants {
                let old = current.iter().find(|v| v.channel_id == input.channel_id);
                match old {
                    Some(old) => {
                        let changed = old.placement != input.placement
                            || old.overrides.apply(&before.content)
                                != input.overrides.apply(&content);
                        if !changed && old.overrides == input.overrides {
                            // Same content; validation may still have been refreshed.
                            sqlx::query("UPDATE variants SET findings = $1, has_errors = $2, spec_version = $3 WHERE id = $4")
                                .bind(input.validation.findings.to_string())
                                .bind(input.validation.has_errors)
                                .bind(&input.validation.spec_version)
                                .bind(old.id.0)
                                .execute(&mut *tx)
                                .await?;
                            continue;
                        }
                        if !old.status.is_editable() {
                            return Err(StoreError::Conflict {
                                field: "channel_ids",
                                message: "A variant that has gone to the network cannot be edited."
                                    .into(),
                            });
                        }
                        let status = if changed {
                            // Approval is required when the variant has a review, or when a
                            // workflow covers its channel now (added after it was scheduled).
                            let covered: Option<(Uuid,)> = sqlx::query_as(sqlx::AssertSqlSafe(
                                format!("SELECT w.id {COVERING_WORKFLOW}"),
                            ))
                            .bind(old.channel_id.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                            post::status_after_edit(
                                old.status,
                                old.review_id.is_some() || covered.is_some(),
                            )
                        } else {
                            old.status
                        };
                        if changed
                            && let Some(r) = old.review_id
                            && !reviews_to_restart.contains(&r)
                        {
                            reviews_to_restart.push(r);
                        }
                        sqlx::query(
                            "UPDATE variants SET placement = $1, overrides = $2, status = $3, findings = $4, \
                             has_errors = $5, spec_version = $6, updated_at = $7 WHERE id = $8",
                        )
                        .bind(&input.placement)
                        .bind(to_json(&input.overrides)?)
                        .bind(status.code())
                        .bind(input.validation.findings.to_string())
                        .bind(input.validation.has_errors)
                        .bind(&input.validation.spec_version)
                        .bind(now)
                        .bind(old.id.0)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        // A channel added to the post takes the post's intended time.
                        let tz = current
                            .first()
                            .map(|v| v.schedule_tz.clone())
                            .unwrap_or_else(|| "UTC".into());
                        let at = current.first().and_then(|v| v.scheduled_at);
                        insert_variant!(tx, id, before.workspace_id, input, at, &tz, now);
                        // A new channel is new content for the review that covers it: an approval
                        // given before it existed must not cover it.
                        let review: Option<(Uuid,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "SELECT r.id FROM reviews r WHERE r.post_id = $2 AND r.workflow_id = \
                             (SELECT w.id {COVERING_WORKFLOW})"
                        )))
                        .bind(input.channel_id.0)
                        .bind(id.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if let Some((r,)) = review
                            && !reviews_to_restart.contains(&r)
                        {
                            reviews_to_restart.push(r);
                        }
                    }
                }
            }
            for old in &current {
                if variants.iter().any(|v| v.channel_id == old.channel_id) {
                    continue;
                }
                if old.status.is_out() {
                    return Err(StoreError::Conflict {
                        field: "channel_ids",
                        message:
                            "A channel whose variant has gone to the network cannot be removed."
                                .into(),
                    });
                }
                sqlx::query("DELETE FROM variants WHERE id = $1")
                    .bind(old.id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            for review in &reviews_to_restart {
                sqlx::query(
                    "UPDATE reviews SET round = round + 1, round_started_at = $1, state = 'pending', \
                     escalated_step = NULL, updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(review)
                .execute(&mut *tx)
                .await?;
                // The approval covered the post as a whole: every variant it had let through waits
                // for the new round, not only the ones whose text changed.
                sqlx::query(
                    "UPDATE variants SET status = 'in_review', updated_at = $1 WHERE review_id = $2 \
                     AND status IN ('approved', 'scheduled', 'changes_requested', 'rejected', 'paused')",
                )
                .bind(now)
                .bind(review)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO post_versions (post_id, version, snapshot, author_id, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.0)
            .bind(expected_version + 1)
            .bind(&snapshot_json)
            .bind(editor.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "post.update",
                    "post",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "version": expected_version })),
                    Some(serde_json::json!({ "version": expected_version + 1, "reviews_restarted": reviews_to_restart.len() }))
                ),
                now
            );
            Ok(())
        })?;
        self.post(id).await?.ok_or(StoreError::NotFound("post"))
    }

    pub async fn post_versions(&self, id: PostId) -> Result<Vec<Version>> {
        let rows: Vec<(i64, String, Uuid, DateTime<Utc>)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT version, snapshot, author_id, created_at FROM post_versions WHERE post_id = $1 ORDER BY version DESC",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(version, snapshot, author, created_at)| {
                Ok(Version {
                    version,
                    snapshot: json("post version", &snapshot)?,
                    author_id: UserId(author),
                    created_at,
                })
            })
            .collect()
    }

    /// Submit a post: variants under an approval workflow go to review (one review per workflow,
    /// restarted if it had ended); the others are scheduled (or approved, without a time) if they
    /// pass the gate.
    pub async fn submit_post(&self, actor: &Actor, id: PostId) -> Result<Vec<Outcome>> {
        let now = self.now();
        let post = self.post(id).await?.ok_or(StoreError::NotFound("post"))?;
        with_tx!(self, |tx, pg| {
            // Decide on the variants as they are now, under the post's lock.
            lock_post!(tx, pg, id.0);
            let rows: Vec<VariantRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {VARIANT_COLUMNS} FROM variants WHERE post_id = $1 ORDER BY created_at, id"
            )))
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
            let variants = rows
                .into_iter()
                .map(VariantRow::into_variant)
                .collect::<Result<Vec<_>>>()?;
            let mut outcomes = Vec::new();
            // Reviews this submission started (new, or a new round): their first step is told.
            let mut to_notify: Vec<Uuid> = Vec::new();
            for v in &variants {
                if !v.status.is_editable() || v.status == VariantStatus::Scheduled {
                    outcomes.push(Outcome {
                        variant_id: v.id,
                        status: v.status,
                        blocked: None,
                    });
                    continue;
                }
                let workflow: Option<(Uuid, String)> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("SELECT w.id, w.definition {COVERING_WORKFLOW}"),
                ))
                .bind(v.channel_id.0)
                .fetch_optional(&mut *tx)
                .await?;
                let (status, review_id, blocked) = match workflow {
                    Some((workflow_id, definition)) => {
                        let existing: Option<(Uuid, String)> = sqlx::query_as(
                            "SELECT id, state FROM reviews WHERE post_id = $1 AND workflow_id = $2",
                        )
                        .bind(id.0)
                        .bind(workflow_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let (review_id, state) = match existing {
                            Some((rid, state)) if state == "pending" || state == "approved" => {
                                (rid, state)
                            }
                            Some((rid, _)) => {
                                sqlx::query(
                                    "UPDATE reviews SET round = round + 1, round_started_at = $1, state = 'pending', \
                                     escalated_step = NULL, definition = $2, updated_at = $1 WHERE id = $3",
                                )
                                .bind(now)
                                .bind(&definition)
                                .bind(rid)
                                .execute(&mut *tx)
                                .await?;
                                if !to_notify.contains(&rid) {
                                    to_notify.push(rid);
                                }
                                (rid, "pending".to_owned())
                            }
                            None => {
                                let rid = Uuid::now_v7();
                                sqlx::query(
                                    "INSERT INTO reviews (id, post_id, workflow_id, definition, round, round_started_at, state, updated_at) \
                                     VALUES ($1, $2, $3, $4, 1, $5, 'pending', $5)",
                                )
                                .bind(rid)
                                .bind(id.0)
                                .bind(workflow_id)
                                .bind(&definition)
                                .bind(now)
                                .execute(&mut *tx)
                                .await?;
                                if !to_notify.contains(&rid) {
                                    to_notify.push(rid);
                                }
                                (rid, "pending".to_owned())
                            }
                        };
                        if state == "approved" {
                            match post::gate(v.status, ApprovalNeed::Approved, v.has_errors) {
                                Ok(()) => (
                                    post::ready_status(v.scheduled_at.is_some()),
                                    Some(review_id),
                                    None,
                                ),
                                Err(e) => (v.status, Some(review_id), Some(e.code())),
                            }
                        } else {
                            (VariantStatus::InReview, Some(review_id), None)
                        }
                    }
                    None => match post::gate(v.status, ApprovalNeed::NotRequired, v.has_errors) {
                        Ok(()) => (post::ready_status(v.scheduled_at.is_some()), None, None),
                        Err(e) => (v.status, None, Some(e.code())),
                    },
                };
                sqlx::query("UPDATE variants SET status = $1, review_id = $2, updated_at = $3 WHERE id = $4")
                    .bind(status.code())
                    .bind(review_id)
                    .bind(now)
                    .bind(v.id.0)
                    .execute(&mut *tx)
                    .await?;
                if status == VariantStatus::Scheduled
                    && let Some(at) = v.scheduled_at
                    && !in_held_campaign!(tx, post.campaign_id)
                {
                    enqueue_publish!(tx, v.id, at, now);
                }
                outcomes.push(Outcome {
                    variant_id: v.id,
                    status,
                    blocked,
                });
            }
            for review in to_notify {
                crate::reviews::notify_step_approvers!(tx, review, 0, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "post.submit",
                    "post",
                    Some(id.to_string()),
                    None,
                    serde_json::to_value(&outcomes).ok()
                ),
                now
            );
            Ok(outcomes)
        })
    }

    /// Schedule (or reschedule) one variant at `at`. Refused unless the gate passes: approved (or no
    /// workflow), valid, not gone. Returns the variant's new status.
    pub async fn schedule_variant(
        &self,
        actor: &Actor,
        id: VariantId,
        at: DateTime<Utc>,
        time_zone: &str,
    ) -> Result<VariantStatus, ScheduleError> {
        let now = self.now();
        let post = self
            .post_of_variant(id)
            .await?
            .ok_or(StoreError::NotFound("variant"))?;
        let out: Result<Result<VariantStatus, GateError>> = with_tx!(self, |tx, pg| {
            lock_post!(tx, pg, post.id.0);
            Ok(schedule_in_tx!(tx, pg, actor, id, at, time_zone, now))
        });
        out?.map_err(ScheduleError::Gate)
    }

    /// Change the intended time of a variant that is not yet approved (it is scheduled at that time
    /// once approved), or reschedule one that is. The gate still decides the status.
    pub async fn move_variant(
        &self,
        actor: &Actor,
        id: VariantId,
        at: Option<DateTime<Utc>>,
        time_zone: &str,
    ) -> Result<VariantStatus, ScheduleError> {
        let post = self
            .post_of_variant(id)
            .await?
            .ok_or(StoreError::NotFound("variant"))?;
        let v = post
            .variant(id)
            .cloned()
            .ok_or(StoreError::NotFound("variant"))?;
        if v.status.is_out() || v.status == VariantStatus::Cancelled {
            return Err(ScheduleError::Gate(GateError::NotEditable));
        }
        match (v.status, at) {
            (
                VariantStatus::Approved
                | VariantStatus::Scheduled
                | VariantStatus::Failed
                | VariantStatus::Paused,
                Some(at),
            ) => self.schedule_variant(actor, id, at, time_zone).await,
            _ => {
                let now = self.now();
                let status = match (v.status, at) {
                    (VariantStatus::Scheduled, None) => VariantStatus::Approved,
                    (s, _) => s,
                };
                with_tx!(self, |tx, pg| {
                    let n = sqlx::query(
                        "UPDATE variants SET scheduled_at = $1, schedule_tz = $2, status = $3, updated_at = $4 \
                         WHERE id = $5 AND status = $6",
                    )
                    .bind(at)
                    .bind(time_zone)
                    .bind(status.code())
                    .bind(now)
                    .bind(id.0)
                    .bind(v.status.code())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Err(StoreError::Conflict {
                            field: "status",
                            message: "This post changed in the meantime; reload and try again."
                                .into(),
                        });
                    }
                    append_audit!(
                        tx,
                        pg,
                        actor.entry(
                            "variant.move",
                            "variant",
                            Some(id.to_string()),
                            Some(serde_json::json!({ "scheduled_at": v.scheduled_at })),
                            Some(serde_json::json!({ "scheduled_at": at, "time_zone": time_zone }))
                        ),
                        now
                    );
                    Ok(())
                })?;
                Ok(status)
            }
        }
    }

    /// Take a scheduled variant off the schedule (it stays approved) or cancel it outright.
    pub async fn unschedule_variant(
        &self,
        actor: &Actor,
        id: VariantId,
        cancel: bool,
    ) -> Result<VariantStatus, ScheduleError> {
        let now = self.now();
        let post = self
            .post_of_variant(id)
            .await?
            .ok_or(StoreError::NotFound("variant"))?;
        let v = post
            .variant(id)
            .cloned()
            .ok_or(StoreError::NotFound("variant"))?;
        if v.status.is_out() || v.status == VariantStatus::Cancelled {
            return Err(ScheduleError::Gate(GateError::NotEditable));
        }
        let status = if cancel {
            VariantStatus::Cancelled
        } else if matches!(v.status, VariantStatus::Scheduled | VariantStatus::Paused) {
            // A held variant taken off the schedule waits, approved, for a new time.
            VariantStatus::Approved
        } else {
            v.status
        };
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE variants SET status = $1, scheduled_at = CASE WHEN $2 THEN scheduled_at ELSE NULL END, held_by = NULL, updated_at = $3 \
                 WHERE id = $4 AND status NOT IN ('publishing', 'published', 'unconfirmed')",
            )
            .bind(status.code())
            .bind(cancel)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict {
                    field: "status",
                    message: GateError::NotEditable.to_string(),
                });
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    if cancel { "variant.cancel" } else { "variant.unschedule" },
                    "variant",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": v.status.code(), "scheduled_at": v.scheduled_at })),
                    Some(serde_json::json!({ "status": status.code() }))
                ),
                now
            );
            Ok(())
        })?;
        Ok(status)
    }

    /// Variants with a time in `[from, to)` (scheduled, intended or published), for the calendar.
    pub async fn calendar(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &CalendarFilter,
    ) -> Result<Vec<CalendarEntry>> {
        type Row = (
            Uuid,
            Uuid,
            Uuid,
            Uuid,
            String,
            String,
            Uuid,
            String,
            Option<Uuid>,
            String,
            String,
            String,
            String,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            bool,
        );
        if filter.workspaces.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT v.id, p.id, p.workspace_id, c.id, c.name, c.network, p.author_id, u.name, p.campaign_id, \
                 p.title, p.content, v.overrides, v.status, v.scheduled_at, v.published_at, v.has_errors \
                 FROM variants v JOIN posts p ON p.id = v.post_id JOIN channels c ON c.id = v.channel_id \
                 JOIN users u ON u.id = p.author_id \
                 WHERE p.deleted_at IS NULL AND \
                 ((v.scheduled_at >= $1 AND v.scheduled_at < $2) OR (v.published_at >= $1 AND v.published_at < $2)) \
                 ORDER BY COALESCE(v.published_at, v.scheduled_at), v.id",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::new();
        for r in rows {
            let (
                vid,
                pid,
                ws,
                cid,
                cname,
                network,
                author,
                author_name,
                campaign,
                title,
                content,
                overrides,
                status,
                sched,
                published,
                has_errors,
            ) = r;
            let ws = WorkspaceId(ws);
            if !filter.workspaces.contains(&ws) {
                continue;
            }
            let cid = ChannelId(cid);
            if !filter.channels.is_empty() && !filter.channels.contains(&cid) {
                continue;
            }
            if !filter.networks.is_empty() && !filter.networks.contains(&network) {
                continue;
            }
            let campaign = campaign.map(CampaignId);
            if filter.campaign.is_some() && filter.campaign != campaign {
                continue;
            }
            let status = parse_status(&status)?;
            if !filter.statuses.is_empty() && !filter.statuses.contains(&status) {
                continue;
            }
            if filter.author.is_some_and(|a| a.0 != author) {
                continue;
            }
            let master: Content = json("post content", &content)?;
            let overrides: Overrides = json("variant overrides", &overrides)?;
            let text = overrides.apply(&master).text;
            // A variant is shown at one time (published, else scheduled), and only in the range
            // that holds that time.
            let Some(at) = published.or(sched).filter(|t| *t >= from && *t < to) else {
                continue;
            };
            out.push(CalendarEntry {
                variant_id: VariantId(vid),
                post_id: PostId(pid),
                workspace_id: ws,
                channel_id: cid,
                channel_name: cname,
                network,
                author_id: UserId(author),
                author_name,
                campaign_id: campaign,
                title,
                text,
                status,
                at,
                has_errors,
            });
        }
        Ok(out)
    }

    /// Assign a post to someone (or nobody); they are notified.
    pub async fn assign_post(
        &self,
        actor: &Actor,
        id: PostId,
        assignee: Option<UserId>,
        notification: Option<crate::notifications::NewNotification>,
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let n = sqlx::query("UPDATE posts SET assignee_id = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL")
                .bind(assignee.map(|u| u.0))
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("post"));
            }
            if let Some(n) = &notification {
                insert_notification!(tx, n, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "post.assign",
                    "post",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({ "assignee_id": assignee }))
                ),
                now
            );
            Ok(())
        })
    }
}

/// Why scheduling did not happen: the gate said no, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Gate(GateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ScheduleError {
    fn from(e: sqlx::Error) -> Self {
        ScheduleError::Store(StoreError::Database(e))
    }
}
