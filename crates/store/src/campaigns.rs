//! Campaigns: posts released together, at one instant or staggered by per-variant offsets, with an
//! optional all-or-nothing rule. The release rules are `owlery_domain::publishing::campaign`; this
//! module keeps campaigns and their members and gives the publishing job what `decide` needs.
//!
//! Membership is per post (`posts.campaign_id`): a post's variants are one message across channels
//! and join or leave a campaign together. Each variant has its own offset
//! (`variants.campaign_offset`, minutes after the release time; always 0 in instant mode).

use chrono::{DateTime, Utc};
use owlery_domain::{
    CampaignId, ChannelId, InvalidInput, PostId, UserId, VariantId, WorkspaceId,
    audit::Actor,
    post::{ApprovalNeed, VariantStatus},
    publishing::campaign::{self, Member, Release},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    posts::{lock_post, parse_status},
};

/// The job that releases a campaign at its time. Payload: `{"campaign_id", "release_at"}`; a job
/// whose time no longer matches the campaign's (or a campaign no longer planned) does nothing. A
/// periodic sweep over [`Store::campaigns_due`] backs it up.
pub const CAMPAIGN_JOB: &str = "publish.campaign";

/// Queue a campaign's release job in the caller's transaction.
macro_rules! enqueue_release {
    ($tx:ident, $id:expr, $at:expr, $now:expr) => {{
        let payload = serde_json::json!({ "campaign_id": $id, "release_at": $at });
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, 0, 8, $5, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(CAMPAIGN_JOB)
        .bind(payload.to_string())
        .bind($at)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}

pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_NOTE_CHARS: usize = 2_000;

/// How members are released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseMode {
    /// Every member at the release time.
    Instant,
    /// Each member at its offset after the release time.
    Staggered,
}

impl ReleaseMode {
    pub fn code(self) -> &'static str {
        match self {
            ReleaseMode::Instant => "instant",
            ReleaseMode::Staggered => "staggered",
        }
    }

    pub fn parse(s: &str) -> Option<ReleaseMode> {
        match s {
            "instant" => Some(ReleaseMode::Instant),
            "staggered" => Some(ReleaseMode::Staggered),
            _ => None,
        }
    }
}

/// Where a campaign is. `Planned` until the publishing job acts at release time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Planned,
    /// The job released the ready members.
    Released,
    /// All or nothing, and something was not ready: nothing went; the owner was told.
    Held,
    Cancelled,
}

impl CampaignStatus {
    pub fn code(self) -> &'static str {
        match self {
            CampaignStatus::Planned => "planned",
            CampaignStatus::Released => "released",
            CampaignStatus::Held => "held",
            CampaignStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignStatus> {
        [
            CampaignStatus::Planned,
            CampaignStatus::Released,
            CampaignStatus::Held,
            CampaignStatus::Cancelled,
        ]
        .into_iter()
        .find(|c| c.code() == s)
    }
}

/// What a campaign is made of; used to create one and to replace its settings.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub name: String,
    pub owner_id: UserId,
    pub release_at: Option<DateTime<Utc>>,
    pub release_mode: ReleaseMode,
    pub all_or_nothing: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Campaign {
    pub id: CampaignId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub owner_id: UserId,
    pub release_at: Option<DateTime<Utc>>,
    pub release_mode: ReleaseMode,
    pub all_or_nothing: bool,
    pub status: CampaignStatus,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A member variant as the release job sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignMember {
    pub variant_id: VariantId,
    pub post_id: PostId,
    pub channel_id: ChannelId,
    pub status: VariantStatus,
    pub offset_minutes: i64,
    /// The same reading of approval as the scheduling gate's.
    #[serde(serialize_with = "approval_code")]
    pub approval: ApprovalNeed,
    pub has_errors: bool,
}

fn approval_code<S: serde::Serializer>(a: &ApprovalNeed, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match a {
        ApprovalNeed::NotRequired => "not_required",
        ApprovalNeed::Pending => "pending",
        ApprovalNeed::Approved => "approved",
    })
}

impl CampaignMember {
    /// The domain's view. Approved = ready to go as far as people are concerned: approved or
    /// scheduled, with no pending review. Variants already out (or cancelled) neither go nor block.
    pub fn member(&self) -> Member {
        Member {
            variant_id: self.variant_id,
            offset_minutes: self.offset_minutes,
            approved: matches!(
                self.status,
                VariantStatus::Approved | VariantStatus::Scheduled
            ) && self.approval != ApprovalNeed::Pending,
            valid: !self.has_errors,
            cancelled: self.status == VariantStatus::Cancelled || self.status.is_out(),
        }
    }
}

/// A campaign with its members: what `domain::publishing::campaign::decide` is applied to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignState {
    pub campaign: Campaign,
    pub members: Vec<CampaignMember>,
}

impl CampaignState {
    /// What to do at the release time; `None` while the campaign has no release time.
    pub fn decide(&self) -> Option<Release> {
        let at = self.campaign.release_at?;
        let members: Vec<Member> = self.members.iter().map(CampaignMember::member).collect();
        Some(campaign::decide(at, self.campaign.all_or_nothing, &members))
    }
}

type CampaignRow = (
    Uuid,
    Uuid,
    String,
    Uuid,
    Option<DateTime<Utc>>,
    String,
    bool,
    String,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
);

const COLUMNS: &str = "id, workspace_id, name, owner_id, release_at, release_mode, all_or_nothing, \
                       status, note, created_at, updated_at";

fn into_campaign(r: CampaignRow) -> Result<Campaign> {
    Ok(Campaign {
        id: CampaignId(r.0),
        workspace_id: WorkspaceId(r.1),
        name: r.2,
        owner_id: UserId(r.3),
        release_at: r.4,
        release_mode: ReleaseMode::parse(&r.5)
            .ok_or_else(|| StoreError::Corrupt(format!("campaign release mode '{}'", r.5)))?,
        all_or_nothing: r.6,
        status: CampaignStatus::parse(&r.7)
            .ok_or_else(|| StoreError::Corrupt(format!("campaign status '{}'", r.7)))?,
        note: r.8,
        created_at: r.9,
        updated_at: r.10,
    })
}

/// Trim and bound the input.
fn checked(input: CampaignInput) -> Result<CampaignInput> {
    let name = input.name.trim().to_owned();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(InvalidInput::new(
            "name",
            "invalid",
            format!("Give the campaign a name of 1 to {MAX_NAME_CHARS} characters."),
        )
        .into());
    }
    let note = input
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(InvalidInput::new(
            "note",
            "too_long",
            format!("The note is longer than {MAX_NOTE_CHARS} characters."),
        )
        .into());
    }
    Ok(CampaignInput {
        name,
        note,
        ..input
    })
}

fn audit_value(c: &CampaignInput) -> serde_json::Value {
    serde_json::json!({
        "name": c.name,
        "owner_id": c.owner_id,
        "release_at": c.release_at,
        "release_mode": c.release_mode.code(),
        "all_or_nothing": c.all_or_nothing,
    })
}

type MemberRow = (Uuid, Uuid, Uuid, String, i64, bool, Option<String>, bool);

/// A campaign's member variants with what the gate reads: review state, and whether a workflow
/// covers the channel (`$1`: the campaign).
const MEMBERS_SQL: &str = "SELECT v.id, v.post_id, v.channel_id, v.status, v.campaign_offset, \
     v.has_errors, r.state, \
     EXISTS (SELECT 1 FROM approval_workflows w JOIN channels c ON c.id = v.channel_id \
       WHERE w.archived_at IS NULL AND (w.channel_id = c.id OR \
       (w.channel_id IS NULL AND w.workspace_id = c.workspace_id))) \
     FROM variants v JOIN posts p ON p.id = v.post_id \
     LEFT JOIN reviews r ON r.id = v.review_id \
     WHERE p.campaign_id = $1 AND p.deleted_at IS NULL \
     ORDER BY v.campaign_offset, v.created_at, v.id";

fn into_members(rows: Vec<MemberRow>) -> Result<Vec<CampaignMember>> {
    rows.into_iter()
        .map(
            |(vid, pid, cid, status, offset, has_errors, review_state, covered)| {
                // The gate's reading (`posts::approval_need!`): a review decides; without one, a
                // covering workflow means approval is still needed.
                let approval = match review_state.as_deref() {
                    Some("approved") => ApprovalNeed::Approved,
                    Some(_) => ApprovalNeed::Pending,
                    None if covered => ApprovalNeed::Pending,
                    None => ApprovalNeed::NotRequired,
                };
                Ok(CampaignMember {
                    variant_id: VariantId(vid),
                    post_id: PostId(pid),
                    channel_id: ChannelId(cid),
                    status: parse_status(&status)?,
                    offset_minutes: offset,
                    approval,
                    has_errors,
                })
            },
        )
        .collect()
}

/// What the audit keeps of a release, with the campaign's new status.
fn release_summary(status: CampaignStatus, release: &Release) -> serde_json::Value {
    match release {
        Release::Go(times) => serde_json::json!({
            "status": status.code(),
            "go": times
                .iter()
                .map(|(v, at)| serde_json::json!({ "variant_id": v, "at": at }))
                .collect::<Vec<_>>(),
        }),
        Release::HoldAll { blockers } => serde_json::json!({
            "status": status.code(),
            "blockers": blockers
                .iter()
                .map(|(v, b)| serde_json::json!({ "variant_id": v, "blocker": b.code() }))
                .collect::<Vec<_>>(),
        }),
    }
}

/// The owner's notice that a campaign was held, naming the blockers.
fn held_notification(
    c: &Campaign,
    blockers: &[(VariantId, campaign::Blocker)],
) -> crate::notifications::NewNotification {
    crate::notifications::NewNotification {
        user_id: c.owner_id,
        kind: "campaign_held".into(),
        params: serde_json::json!({
            "campaign": c.name,
            "blockers": blockers
                .iter()
                .map(|(v, b)| serde_json::json!({ "variant_id": v, "blocker": b.code() }))
                .collect::<Vec<_>>(),
        }),
        link: Some(format!("/campaigns/{}", c.id)),
        email: true,
    }
}

/// Queue the publish jobs of the scheduled variants of posts matching `$filter` (SQL on `posts p`,
/// binding `$1`): for posts that leave an all-or-nothing campaign, whose release job would otherwise
/// have published them, so that they go at their own time again.
macro_rules! release_held_variants {
    ($tx:ident, $filter:expr, $bind:expr, $now:expr) => {{
        let rows: Vec<(Uuid, DateTime<Utc>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT v.id, v.scheduled_at FROM variants v JOIN posts p ON p.id = v.post_id \
             WHERE {} AND v.status = 'scheduled' AND v.scheduled_at IS NOT NULL",
            $filter
        )))
        .bind($bind)
        .fetch_all(&mut *$tx)
        .await?;
        for (vid, at) in rows {
            $crate::posts::enqueue_publish!($tx, VariantId(vid), at, $now);
        }
    }};
}

impl Store {
    pub async fn create_campaign(
        &self,
        actor: &Actor,
        workspace: WorkspaceId,
        input: CampaignInput,
    ) -> Result<Campaign> {
        let input = checked(input)?;
        self.workspace(workspace).await?;
        let id = CampaignId::new();
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO campaigns (id, workspace_id, name, owner_id, release_at, release_mode, \
                 all_or_nothing, status, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'planned', $8, $9, $9)",
            )
            .bind(id.0)
            .bind(workspace.0)
            .bind(&input.name)
            .bind(input.owner_id.0)
            .bind(input.release_at)
            .bind(input.release_mode.code())
            .bind(input.all_or_nothing)
            .bind(&input.note)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(at) = input.release_at {
                enqueue_release!(tx, id, at, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "campaign.create",
                    "campaign",
                    Some(id.to_string()),
                    None,
                    Some(audit_value(&input))
                ),
                now
            );
            Ok(())
        })?;
        self.campaign(id)
            .await?
            .ok_or(StoreError::NotFound("campaign"))
    }

    /// Replace a campaign's settings. Switching to instant mode sets every member's offset to 0.
    pub async fn update_campaign(
        &self,
        actor: &Actor,
        id: CampaignId,
        input: CampaignInput,
    ) -> Result<Campaign> {
        let input = checked(input)?;
        let before = self
            .campaign(id)
            .await?
            .ok_or(StoreError::NotFound("campaign"))?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE campaigns SET name = $1, owner_id = $2, release_at = $3, release_mode = $4, \
                 all_or_nothing = $5, note = $6, updated_at = $7 WHERE id = $8 AND status = 'planned'",
            )
            .bind(&input.name)
            .bind(input.owner_id.0)
            .bind(input.release_at)
            .bind(input.release_mode.code())
            .bind(input.all_or_nothing)
            .bind(&input.note)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict {
                    field: "status",
                    message: "This campaign has been released, held or cancelled; it can no longer change."
                        .into(),
                });
            }
            if before.all_or_nothing && !input.all_or_nothing {
                release_held_variants!(tx, "p.campaign_id = $1", id.0, now);
            }
            if let Some(at) = input.release_at
                && before.release_at != Some(at)
            {
                enqueue_release!(tx, id, at, now);
            }
            if input.release_mode == ReleaseMode::Instant {
                sqlx::query(
                    "UPDATE variants SET campaign_offset = 0, updated_at = $1 WHERE campaign_offset <> 0 \
                     AND post_id IN (SELECT id FROM posts WHERE campaign_id = $2)",
                )
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "campaign.update",
                    "campaign",
                    Some(id.to_string()),
                    Some(serde_json::json!({
                        "name": before.name,
                        "owner_id": before.owner_id,
                        "release_at": before.release_at,
                        "release_mode": before.release_mode.code(),
                        "all_or_nothing": before.all_or_nothing,
                    })),
                    Some(audit_value(&input))
                ),
                now
            );
            Ok(())
        })?;
        self.campaign(id)
            .await?
            .ok_or(StoreError::NotFound("campaign"))
    }

    pub async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
        let row: Option<CampaignRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.map(into_campaign).transpose()
    }

    /// Campaigns of a workspace, by release time (unset last), then name.
    pub async fn campaigns(&self, workspace: WorkspaceId) -> Result<Vec<Campaign>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM campaigns WHERE workspace_id = $1 \
             ORDER BY release_at IS NULL, release_at, lower(name), id"
        );
        let rows: Vec<CampaignRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(workspace.0)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(into_campaign).collect()
    }

    /// Put a post (all its variants) into a campaign of its workspace, with offsets in minutes for
    /// some of its variants (the others go at offset 0). Instant campaigns take no offsets.
    pub async fn add_to_campaign(
        &self,
        actor: &Actor,
        id: CampaignId,
        post: PostId,
        offsets: &[(VariantId, i64)],
    ) -> Result<()> {
        let c = self
            .campaign(id)
            .await?
            .ok_or(StoreError::NotFound("campaign"))?;
        if c.status != CampaignStatus::Planned {
            return Err(StoreError::Conflict {
                field: "campaign_id",
                message: "This campaign has been released, held or cancelled.".into(),
            });
        }
        for (variant_id, offset_minutes) in offsets {
            if c.release_mode == ReleaseMode::Instant && *offset_minutes != 0 {
                return Err(InvalidInput::new(
                    "offset_minutes",
                    "instant_campaign",
                    "This campaign releases everything at one instant; make it staggered to use offsets.",
                )
                .into());
            }
            Member {
                variant_id: *variant_id,
                offset_minutes: *offset_minutes,
                approved: false,
                valid: false,
                cancelled: false,
            }
            .validate()?;
        }
        let now = self.now();
        with_tx!(self, |tx, pg| {
            lock_post!(tx, pg, post.0);
            let row: Option<(Uuid, Option<Uuid>)> = sqlx::query_as(
                "SELECT workspace_id, campaign_id FROM posts WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(post.0)
            .fetch_optional(&mut *tx)
            .await?;
            match &row {
                None => return Err(StoreError::NotFound("post")),
                Some((ws, _)) if *ws != c.workspace_id.0 => {
                    return Err(StoreError::NotFound("post"));
                }
                Some((_, Some(other))) if *other != id.0 => {
                    return Err(StoreError::Conflict {
                        field: "campaign_id",
                        message: "This post is already part of another campaign.".into(),
                    });
                }
                Some(_) => {}
            }
            let was_held = in_held_campaign!(tx, row.and_then(|(_, c)| c).map(CampaignId));
            if was_held && !c.all_or_nothing {
                release_held_variants!(tx, "p.id = $1", post.0, now);
            }
            sqlx::query("UPDATE posts SET campaign_id = $1, updated_at = $2 WHERE id = $3")
                .bind(id.0)
                .bind(now)
                .bind(post.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE variants SET campaign_offset = 0, updated_at = $1 WHERE post_id = $2",
            )
            .bind(now)
            .bind(post.0)
            .execute(&mut *tx)
            .await?;
            for (variant_id, offset_minutes) in offsets {
                let n = sqlx::query(
                    "UPDATE variants SET campaign_offset = $1 WHERE id = $2 AND post_id = $3",
                )
                .bind(offset_minutes)
                .bind(variant_id.0)
                .bind(post.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound("variant"));
                }
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "campaign.add_post",
                    "campaign",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({ "post_id": post, "offsets": offsets }))
                ),
                now
            );
            Ok(())
        })
    }

    /// Take a post out of a campaign (its offsets are reset).
    pub async fn remove_from_campaign(
        &self,
        actor: &Actor,
        id: CampaignId,
        post: PostId,
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            lock_post!(tx, pg, post.0);
            if in_held_campaign!(tx, Some(id)) {
                release_held_variants!(tx, "p.id = $1", post.0, now);
            }
            let n = sqlx::query(
                "UPDATE posts SET campaign_id = NULL, updated_at = $1 WHERE id = $2 AND campaign_id = $3",
            )
            .bind(now)
            .bind(post.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("post"));
            }
            sqlx::query(
                "UPDATE variants SET campaign_offset = 0, updated_at = $1 WHERE post_id = $2",
            )
            .bind(now)
            .bind(post.0)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "campaign.remove_post",
                    "campaign",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "post_id": post })),
                    None
                ),
                now
            );
            Ok(())
        })
    }

    /// The campaign with every member variant, its status, offset, approval and validity: what
    /// the release job applies `CampaignState::decide` to.
    pub async fn campaign_state(&self, id: CampaignId) -> Result<Option<CampaignState>> {
        let Some(campaign) = self.campaign(id).await? else {
            return Ok(None);
        };
        let rows: Vec<MemberRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(MEMBERS_SQL)
                .bind(id.0)
                .fetch_all(pool)
                .await?
        });
        Ok(Some(CampaignState {
            campaign,
            members: into_members(rows)?,
        }))
    }

    /// Planned campaigns whose release time has come (oldest first), for the release job.
    pub async fn campaigns_due(&self, now: DateTime<Utc>) -> Result<Vec<CampaignId>> {
        let rows: Vec<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id FROM campaigns WHERE status = 'planned' AND release_at IS NOT NULL \
                 AND release_at <= $1 ORDER BY release_at, id",
            )
            .bind(now)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| CampaignId(id)).collect())
    }

    /// Release a planned campaign, all in one transaction: `CampaignState::decide` on its members
    /// as they are now; `Go` schedules each ready member at its time (queuing its publish job) and
    /// marks the campaign released; `HoldAll` marks it held and tells the owner who blocks.
    /// Refused for a campaign without a release time or no longer planned.
    pub async fn release_campaign(&self, actor: &Actor, id: CampaignId) -> Result<Release> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let sql = if pg {
                format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1 FOR UPDATE")
            } else {
                format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1")
            };
            let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
            let campaign = into_campaign(row.ok_or(StoreError::NotFound("campaign"))?)?;
            if campaign.status != CampaignStatus::Planned || campaign.release_at.is_none() {
                return Err(StoreError::Conflict {
                    field: "status",
                    message: "Only a planned campaign with a release time can be released.".into(),
                });
            }
            if pg {
                // Member posts in one order, so that this never deadlocks with their editors.
                sqlx::query("SELECT id FROM posts WHERE campaign_id = $1 ORDER BY id FOR UPDATE")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let rows: Vec<MemberRow> = sqlx::query_as(MEMBERS_SQL)
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?;
            let state = CampaignState {
                campaign,
                members: into_members(rows)?,
            };
            let Some(release) = state.decide() else {
                return Err(StoreError::NotFound("release time"));
            };
            let status = match &release {
                Release::Go(times) => {
                    for (variant, at) in times {
                        sqlx::query(
                            "UPDATE variants SET status = 'scheduled', scheduled_at = $1, updated_at = $2 WHERE id = $3",
                        )
                        .bind(at)
                        .bind(now)
                        .bind(variant.0)
                        .execute(&mut *tx)
                        .await?;
                        crate::posts::enqueue_publish!(tx, *variant, *at, now);
                    }
                    CampaignStatus::Released
                }
                Release::HoldAll { blockers } => {
                    let n = held_notification(&state.campaign, blockers);
                    insert_notification!(tx, &n, now);
                    CampaignStatus::Held
                }
            };
            sqlx::query("UPDATE campaigns SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.code())
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "campaign.release",
                    "campaign",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": "planned" })),
                    Some(release_summary(status, &release))
                ),
                now
            );
            Ok(release)
        })
    }

    /// Record what the release job did (released or held) or a cancellation. Holding tells the
    /// owner which members blocked, in the app and by e-mail.
    pub async fn set_campaign_status(
        &self,
        actor: &Actor,
        id: CampaignId,
        status: CampaignStatus,
        blockers: &[(VariantId, campaign::Blocker)],
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
            let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
            let campaign = into_campaign(row.ok_or(StoreError::NotFound("campaign"))?)?;
            let before = campaign.status.code();
            sqlx::query("UPDATE campaigns SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.code())
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            if status == CampaignStatus::Held {
                let n = held_notification(&campaign, blockers);
                insert_notification!(tx, &n, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "campaign.status",
                    "campaign",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": before })),
                    Some(
                        serde_json::json!({ "status": status.code(), "blockers": blockers.len() })
                    )
                ),
                now
            );
            Ok(())
        })
    }
}
