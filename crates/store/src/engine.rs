//! The publishing engine's state: each part's attempt (committed before the network call), the
//! pause switch, the late policy, outcomes that need a person (unconfirmed, reconnect), and what
//! a person does about them (resume, retry, resolve). The claim itself is in `publishing.rs`; the
//! network calls in `owlery-jobs`.

use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    ChannelId, OrgId, UserId, VariantId, WorkspaceId,
    audit::Actor,
    post::VariantStatus,
    publishing::engine::{HeldBy, LatePolicy, PauseScope},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError, notifications::NewNotification, posts::enqueue_publish};

/// How far a part got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    /// The call was (about to be) made; its outcome is not recorded. Found by a later attempt,
    /// this means "unknown": look it up before sending again.
    Sending,
    Published,
}

/// One part's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartRecord {
    pub idx: i64,
    pub status: PartStatus,
    pub attempted_at: DateTime<Utc>,
    pub remote_id: Option<String>,
    pub remote_cid: Option<String>,
    pub remote_url: Option<String>,
    pub root_id: Option<String>,
    pub root_cid: Option<String>,
}

/// What the network said a published part became.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartRemote {
    pub id: String,
    pub cid: Option<String>,
    pub url: String,
    pub root_id: Option<String>,
    pub root_cid: Option<String>,
}

/// An active or lifted pause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub id: Uuid,
    pub scope: PauseScope,
    pub scope_id: Uuid,
    pub reason: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<UserId>,
}

/// A variant that waits for a person: paused, held late, unconfirmed or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attention {
    pub variant_id: VariantId,
    pub post_id: Uuid,
    pub title: String,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: String,
    /// The account's handle on its network (for a link to check it there).
    pub handle: String,
    /// Practice or sandbox channel: nothing is on a real network.
    pub simulated: bool,
    pub status: VariantStatus,
    pub held_by: Option<HeldBy>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub late_by_s: Option<i64>,
    pub error: Option<String>,
    /// Parts already on the network (a partial thread), with their addresses.
    pub parts_published: i64,
    pub remote_url: Option<String>,
}

/// How a person settles an unconfirmed variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// It is on the network, at this address.
    Published { url: String },
    /// It is not there: send it again.
    NotThere,
}

/// The owners of a channel: active organisation owners and admins, and admins of its workspace.
/// (Organisation grants carry no organisation id: one installation is one organisation.)
macro_rules! channel_owners {
    ($tx:ident, $channel:expr) => {{
        let rows: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT DISTINCT g.user_id FROM grants g JOIN users u ON u.id = g.user_id \
             JOIN channels c ON c.id = $1 JOIN workspaces w ON w.id = c.workspace_id \
             WHERE u.status = 'active' AND g.role IN ('owner', 'admin') \
             AND (g.scope_kind = 'organisation' OR (g.scope_kind = 'workspace' AND g.scope_id = w.id))",
        )
        .bind($channel)
        .fetch_all(&mut *$tx)
        .await?;
        rows.into_iter().map(|(u,)| UserId(u)).collect::<Vec<UserId>>()
    }};
}

/// The reason of an active pause covering a channel (by itself, its workspace or its
/// organisation), inside the caller's transaction.
macro_rules! active_pause {
    ($tx:ident, $channel:expr) => {{
        let row: Option<(Option<String>,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM channels c JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = $1",
            $crate::engine::ACTIVE_PAUSE_REASON
        )))
        .bind($channel)
        .fetch_optional(&mut *$tx)
        .await?;
        row.and_then(|(r,)| r)
    }};
}

/// The reason of the earliest active pause covering a channel — by itself, its workspace or its
/// organisation — as a scalar subquery over `c` (the channel's row) and `w` (its workspace's).
pub(crate) const ACTIVE_PAUSE_REASON: &str = "(SELECT p.reason FROM publishing_pauses p \
     WHERE p.lifted_at IS NULL AND ( \
       (p.scope = 'channel' AND p.scope_id = c.id) OR \
       (p.scope = 'workspace' AND p.scope_id = w.id) OR \
       (p.scope = 'organisation' AND p.scope_id = w.org_id)) \
     ORDER BY p.created_at LIMIT 1)";

type PartRow = (
    i64,
    String,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn part_from(r: PartRow) -> Result<PartRecord> {
    let status = match r.1.as_str() {
        "sending" => PartStatus::Sending,
        "published" => PartStatus::Published,
        other => return Err(StoreError::Corrupt(format!("part status '{other}'"))),
    };
    Ok(PartRecord {
        idx: r.0,
        status,
        attempted_at: r.2,
        remote_id: r.3,
        remote_cid: r.4,
        remote_url: r.5,
        root_id: r.6,
        root_cid: r.7,
    })
}

fn cut(s: &str) -> String {
    s.chars().take(1000).collect()
}

const PAUSE_COLUMNS: &str =
    "id, scope, scope_id, reason, created_by, created_at, lifted_at, lifted_by";

type PauseRow = (
    Uuid,
    String,
    Uuid,
    String,
    Option<Uuid>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<Uuid>,
);

fn pause_from(r: PauseRow) -> Result<Pause> {
    Ok(Pause {
        id: r.0,
        scope: PauseScope::parse(&r.1)
            .ok_or_else(|| StoreError::Corrupt(format!("pause scope '{}'", r.1)))?,
        scope_id: r.2,
        reason: r.3,
        created_by: r.4.map(UserId),
        created_at: r.5,
        lifted_at: r.6,
        lifted_by: r.7.map(UserId),
    })
}

impl Store {
    /// The parts of a variant recorded so far, in order.
    pub async fn variant_parts(&self, id: VariantId) -> Result<Vec<PartRecord>> {
        let rows: Vec<PartRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT idx, status, attempted_at, remote_id, remote_cid, remote_url, root_id, root_cid \
                 FROM variant_parts WHERE variant_id = $1 ORDER BY idx",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(part_from).collect()
    }

    /// Record that part `idx` is about to be sent, committed before the call. Only a variant still
    /// `publishing` gets it; returns false otherwise (it was cancelled, paused or settled
    /// meanwhile: do not send). A part already published is left alone (returns false).
    pub async fn mark_part_sending(&self, id: VariantId, idx: i64) -> Result<bool> {
        let now = self.now();
        // One statement, its own transaction: the variant's row is read and locked (PostgreSQL:
        // `FOR UPDATE`, so a cancel or pause either commits first and nothing is inserted, or
        // waits for this; SQLite: the statement holds the write lock) and the part is written
        // only while the variant is `publishing`.
        let n = with_writer!(self, |pool, pg| {
            let lock = if pg { " FOR UPDATE" } else { "" };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO variant_parts (variant_id, idx, status, attempted_at, updated_at) \
                 SELECT id, $2, 'sending', $3, $3 FROM variants WHERE id = $1 AND status = 'publishing'{lock} \
                 ON CONFLICT (variant_id, idx) DO UPDATE SET status = 'sending', attempted_at = $3, updated_at = $3 \
                 WHERE variant_parts.status = 'sending'"
            )))
            .bind(id.0)
            .bind(idx)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    /// Part `idx` is on the network. Returns whether this call recorded it.
    pub async fn record_part_published(
        &self,
        id: VariantId,
        idx: i64,
        remote: &PartRemote,
    ) -> Result<bool> {
        let now = self.now();
        with_writer!(self, |pool, _pg| {
            let n = sqlx::query(
                "UPDATE variant_parts SET status = 'published', remote_id = $1, remote_cid = $2, remote_url = $3, \
                 root_id = $4, root_cid = $5, updated_at = $6 WHERE variant_id = $7 AND idx = $8 AND status = 'sending'",
            )
            .bind(&remote.id)
            .bind(&remote.cid)
            .bind(&remote.url)
            .bind(&remote.root_id)
            .bind(&remote.root_cid)
            .bind(now)
            .bind(id.0)
            .bind(idx)
            .execute(pool)
            .await?
            .rows_affected();
            Ok::<bool, StoreError>(n > 0)
        })
    }

    /// Forget an attempt the network confirmed never arrived (lookup said absent), so it is sent
    /// again.
    pub async fn forget_part_attempt(&self, id: VariantId, idx: i64) -> Result<()> {
        with_writer!(self, |pool, _pg| {
            sqlx::query(
                "DELETE FROM variant_parts WHERE variant_id = $1 AND idx = $2 AND status = 'sending'",
            )
            .bind(id.0)
            .bind(idx)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Times of the channel's posts (first parts) published since `since`: what documented quotas
    /// count.
    pub async fn channel_posts_since(
        &self,
        channel: ChannelId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>> {
        let rows: Vec<(DateTime<Utc>,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT p.attempted_at FROM variant_parts p JOIN variants v ON v.id = p.variant_id \
                 WHERE v.channel_id = $1 AND p.idx = 0 AND p.attempted_at >= $2",
            )
            .bind(channel.0)
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }

    /// The outcome of a part is unknown and the network cannot tell: `unconfirmed`, for a person
    /// to check; the author and the channel's owners are told.
    pub async fn record_unconfirmed(&self, id: VariantId, message: &str) -> Result<bool> {
        self.settle_with_people(
            id,
            VariantStatus::Unconfirmed,
            message,
            "publish_unconfirmed",
        )
        .await
    }

    /// Failed for good; the author and the channel's owners are told.
    pub async fn record_failed_for_owners(&self, id: VariantId, message: &str) -> Result<bool> {
        self.settle_with_people(id, VariantStatus::Failed, message, "publish_failed")
            .await
    }

    async fn settle_with_people(
        &self,
        id: VariantId,
        status: VariantStatus,
        message: &str,
        kind: &str,
    ) -> Result<bool> {
        let now = self.now();
        let message = cut(message);
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE variants SET status = $1, error = $2, updated_at = $3 WHERE id = $4 AND status = 'publishing'",
            )
            .bind(status.code())
            .bind(&message)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            let (post_id, author, title, channel_id, channel): (Uuid, Uuid, String, Uuid, String) =
                sqlx::query_as(
                    "SELECT p.id, p.author_id, p.title, c.id, c.name FROM variants v JOIN posts p ON p.id = v.post_id \
                     JOIN channels c ON c.id = v.channel_id WHERE v.id = $1",
                )
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await?;
            let mut people = channel_owners!(tx, channel_id);
            people.push(UserId(author));
            people.sort_by_key(|u| u.0);
            people.dedup();
            for user in people {
                let note = NewNotification {
                    user_id: user,
                    kind: kind.into(),
                    params: serde_json::json!({ "title": title, "channel": channel, "error": message }),
                    link: Some(format!("/posts/{post_id}")),
                    email: true,
                };
                insert_notification!(tx, &note, now);
            }
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    if status == VariantStatus::Unconfirmed {
                        "variant.unconfirmed"
                    } else {
                        "variant.fail"
                    },
                    "variant",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": "publishing" })),
                    Some(serde_json::json!({ "status": status.code(), "error": message }))
                ),
                now
            );
            Ok(true)
        })
    }

    /// The network refused the channel's credentials for good: the channel needs reconnecting,
    /// its owners are told (once: only when it was connected), and this variant fails saying so.
    pub async fn record_needs_reconnect(
        &self,
        variant: VariantId,
        channel: ChannelId,
        reason: &str,
    ) -> Result<()> {
        self.mark_channel_needs_reconnect(channel, reason).await?;
        let reason = cut(reason);
        let message = format!(
            "Not published: the channel's connection needs renewing ({reason}). Reconnect the channel, then retry."
        );
        self.record_failed_for_owners(variant, &message).await?;
        Ok(())
    }

    /// The network refused the channel's grant (revoked, expired): mark the channel "needs
    /// reconnecting", tell its owners (in-app and e-mail) and audit it — once, when it changes.
    pub async fn mark_channel_needs_reconnect(
        &self,
        channel: ChannelId,
        reason: &str,
    ) -> Result<()> {
        let now = self.now();
        let reason = cut(reason);
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE channels SET status = 'needs_reconnect', status_reason = $1 WHERE id = $2 AND status = 'connected'",
            )
            .bind(&reason)
            .bind(channel.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                let name: (String,) = sqlx::query_as("SELECT name FROM channels WHERE id = $1")
                    .bind(channel.0)
                    .fetch_one(&mut *tx)
                    .await?;
                for user in channel_owners!(tx, channel.0) {
                    let note = NewNotification {
                        user_id: user,
                        kind: "channel_needs_reconnect".into(),
                        params: serde_json::json!({ "channel": name.0, "error": reason }),
                        link: Some("/settings/channels".into()),
                        email: true,
                    };
                    insert_notification!(tx, &note, now);
                }
                append_audit!(
                    tx,
                    pg,
                    Actor::system().entry(
                        "channel.needs_reconnect",
                        "channel",
                        Some(channel.to_string()),
                        Some(serde_json::json!({ "status": "connected" })),
                        Some(serde_json::json!({ "status": "needs_reconnect", "reason": reason }))
                    ),
                    now
                );
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Store refreshed tokens for a channel (sealed by the caller).
    pub async fn update_channel_tokens(
        &self,
        channel: ChannelId,
        sealed: &[u8],
        refresh_sealed: Option<&[u8]>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = self.now();
        with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE channel_credentials SET sealed = $1, refresh_sealed = COALESCE($2, refresh_sealed), \
                 expires_at = $3, updated_at = $4 WHERE channel_id = $5",
            )
            .bind(sealed)
            .bind(refresh_sealed)
            .bind(expires_at)
            .bind(now)
            .bind(channel.0)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    // ------------------------------------------------------------------ pause switch

    /// Pause publishing for an organisation, a workspace or a channel (`scope_id`), with a reason.
    /// Takes effect at the next dispatch: variants due while it lasts wait in `paused`.
    pub async fn create_pause(
        &self,
        actor: &Actor,
        org: OrgId,
        scope: PauseScope,
        scope_id: Uuid,
        reason: &str,
    ) -> Result<Pause> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(owlery_domain::InvalidInput::new(
                "reason",
                "required",
                "Say why publishing is paused: the people who find their posts waiting will read it.",
            )
            .into());
        }
        let reason = cut(reason);
        let now = self.now();
        let id = Uuid::now_v7();
        with_tx!(self, |tx, pg| {
            let exists: Option<(Uuid,)> =
                match scope {
                    PauseScope::Organisation => {
                        sqlx::query_as("SELECT id FROM organisations WHERE id = $1 AND id = $2")
                            .bind(scope_id)
                            .bind(org.0)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    PauseScope::Workspace => {
                        sqlx::query_as("SELECT id FROM workspaces WHERE id = $1 AND org_id = $2")
                            .bind(scope_id)
                            .bind(org.0)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    PauseScope::Channel => sqlx::query_as(
                        "SELECT c.id FROM channels c JOIN workspaces w ON w.id = c.workspace_id \
                     WHERE c.id = $1 AND w.org_id = $2",
                    )
                    .bind(scope_id)
                    .bind(org.0)
                    .fetch_optional(&mut *tx)
                    .await?,
                };
            if exists.is_none() {
                return Err(StoreError::NotFound(scope.code()));
            }
            sqlx::query(
                "INSERT INTO publishing_pauses (id, org_id, scope, scope_id, reason, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(org.0)
            .bind(scope.code())
            .bind(scope_id)
            .bind(&reason)
            .bind(actor.user_id.map(|u| u.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "publishing.pause",
                    scope.code(),
                    Some(scope_id.to_string()),
                    None,
                    Some(serde_json::json!({ "pause_id": id, "reason": reason }))
                ),
                now
            );
            Ok(())
        })?;
        Ok(Pause {
            id,
            scope,
            scope_id,
            reason,
            created_by: actor.user_id,
            created_at: now,
            lifted_at: None,
            lifted_by: None,
        })
    }

    /// Lift a pause. Variants it held stay `paused` for a person to resume, reschedule or cancel:
    /// lifting a crisis pause must not flood the networks with everything that waited.
    pub async fn lift_pause(&self, actor: &Actor, org: OrgId, id: Uuid) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE publishing_pauses SET lifted_at = $1, lifted_by = $2 \
                 WHERE id = $3 AND org_id = $4 AND lifted_at IS NULL",
            )
            .bind(now)
            .bind(actor.user_id.map(|u| u.0))
            .bind(id)
            .bind(org.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("pause"));
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "publishing.resume",
                    "pause",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "active": true })),
                    Some(serde_json::json!({ "active": false }))
                ),
                now
            );
            Ok(())
        })
    }

    /// The organisation's pauses: the active ones, or all (newest first).
    pub async fn pauses(&self, org: OrgId, active_only: bool) -> Result<Vec<Pause>> {
        let rows: Vec<PauseRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {PAUSE_COLUMNS} FROM publishing_pauses \
                 WHERE org_id = $1 AND ($2 = FALSE OR lifted_at IS NULL) ORDER BY created_at DESC LIMIT 200"
            )))
            .bind(org.0)
            .bind(active_only)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(pause_from).collect()
    }

    /// One pause of the organisation, active or lifted.
    pub async fn pause(&self, org: OrgId, id: Uuid) -> Result<Option<Pause>> {
        let row: Option<PauseRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {PAUSE_COLUMNS} FROM publishing_pauses WHERE id = $1 AND org_id = $2"
            )))
            .bind(id)
            .bind(org.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(pause_from).transpose()
    }

    /// The active pauses that cover a channel (by itself, its workspace or its organisation),
    /// oldest first: what holds its posts back.
    pub async fn pauses_covering(&self, channel: ChannelId) -> Result<Vec<Pause>> {
        let rows: Vec<PauseRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT p.id, p.scope, p.scope_id, p.reason, p.created_by, p.created_at, p.lifted_at, p.lifted_by \
                 FROM publishing_pauses p, channels c JOIN workspaces w ON w.id = c.workspace_id \
                 WHERE c.id = $1 AND p.lifted_at IS NULL AND ( \
                   (p.scope = 'channel' AND p.scope_id = c.id) OR \
                   (p.scope = 'workspace' AND p.scope_id = w.id) OR \
                   (p.scope = 'organisation' AND p.scope_id = w.org_id)) \
                 ORDER BY p.created_at",
            )
            .bind(channel.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(pause_from).collect()
    }

    // ------------------------------------------------------------------ late policy

    pub async fn late_policy(&self, org: OrgId) -> Result<(LatePolicy, Duration)> {
        let row: Option<(String, i64)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT late_policy, late_grace_minutes FROM organisations WHERE id = $1",
            )
            .bind(org.0)
            .fetch_optional(pool)
            .await?
        });
        let (policy, grace) = row.ok_or(StoreError::NotFound("organisation"))?;
        Ok((
            LatePolicy::parse(&policy).unwrap_or_default(),
            Duration::minutes(grace),
        ))
    }

    pub async fn set_late_policy(
        &self,
        actor: &Actor,
        org: OrgId,
        policy: LatePolicy,
        grace_minutes: i64,
    ) -> Result<()> {
        if !(0..=7 * 24 * 60).contains(&grace_minutes) {
            return Err(owlery_domain::InvalidInput::new(
                "late_grace_minutes",
                "out_of_range",
                "The grace is between 0 minutes and 7 days (10,080 minutes).",
            )
            .into());
        }
        let now = self.now();
        let (old, old_grace) = self.late_policy(org).await?;
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE organisations SET late_policy = $1, late_grace_minutes = $2 WHERE id = $3",
            )
            .bind(policy.code())
            .bind(grace_minutes)
            .bind(org.0)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "org.late_policy",
                    "organisation",
                    Some(org.to_string()),
                    Some(serde_json::json!({ "late_policy": old.code(), "late_grace_minutes": old_grace.num_minutes() })),
                    Some(serde_json::json!({ "late_policy": policy.code(), "late_grace_minutes": grace_minutes }))
                ),
                now
            );
            Ok(())
        })
    }

    // ------------------------------------------------------------------ what people do

    /// Variants of the organisation that wait for a person: paused (by a pause or late), unconfirmed,
    /// failed. `workspace`: only that one.
    pub async fn needs_attention(
        &self,
        org: OrgId,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<Attention>> {
        type Row = (
            Uuid,
            Uuid,
            String,
            Uuid,
            String,
            String,
            String,
            Option<String>,
            Option<DateTime<Utc>>,
            Option<i64>,
            Option<String>,
            i64,
            Option<String>,
            Uuid,
            String,
            bool,
        );
        let rows: Vec<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT v.id, p.id, p.title, c.id, c.name, c.network, v.status, v.held_by, v.scheduled_at, \
                 v.late_by_s, v.error, \
                 (SELECT COUNT(*) FROM variant_parts vp WHERE vp.variant_id = v.id AND vp.status = 'published'), \
                 v.remote_url, w.id, c.handle, c.simulated \
                 FROM variants v JOIN posts p ON p.id = v.post_id JOIN channels c ON c.id = v.channel_id \
                 JOIN workspaces w ON w.id = c.workspace_id \
                 WHERE w.org_id = $1 AND ($2 IS NULL OR w.id = $2) AND p.deleted_at IS NULL \
                 AND v.status IN ('paused', 'unconfirmed', 'failed') \
                 ORDER BY v.scheduled_at NULLS LAST, v.id LIMIT 500",
            )
            .bind(org.0)
            .bind(workspace.map(|w| w.0))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(Attention {
                    variant_id: VariantId(r.0),
                    post_id: r.1,
                    title: r.2,
                    workspace_id: WorkspaceId(r.13),
                    channel_id: ChannelId(r.3),
                    channel_name: r.4,
                    network: r.5,
                    handle: r.14,
                    simulated: r.15,
                    status: crate::posts::parse_status(&r.6)?,
                    held_by: r.7.as_deref().and_then(HeldBy::parse),
                    scheduled_at: r.8,
                    late_by_s: r.9,
                    error: r.10,
                    parts_published: r.11,
                    remote_url: r.12,
                })
            })
            .collect()
    }

    /// Send a paused, failed or unconfirmed-and-checked variant again: `scheduled` for now (or its
    /// own time if that is still ahead), resuming after the parts already on the network. Refused
    /// while a pause still covers its channel, and for other statuses.
    pub async fn resume_variant(&self, actor: &Actor, id: VariantId) -> Result<DateTime<Utc>> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let lock = if pg { " FOR UPDATE" } else { "" };
            let row: Option<(String, Option<DateTime<Utc>>, Uuid)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT status, scheduled_at, channel_id FROM variants WHERE id = $1{lock}"
                )))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((status, scheduled_at, channel)) = row else {
                return Err(StoreError::NotFound("variant"));
            };
            if !matches!(status.as_str(), "paused" | "failed") {
                return Err(StoreError::Conflict {
                    field: "status",
                    message: format!(
                        "Only paused or failed posts can be sent again (this one is {status})."
                    ),
                });
            }
            if let Some(reason) = active_pause!(tx, channel) {
                return Err(StoreError::Conflict {
                    field: "status",
                    message: format!("Publishing is still paused for this channel: {reason}"),
                });
            }
            let at = scheduled_at.filter(|t| *t > now).unwrap_or(now);
            sqlx::query(
                "UPDATE variants SET status = 'scheduled', scheduled_at = $1, held_by = NULL, error = NULL, \
                 updated_at = $2 WHERE id = $3",
            )
            .bind(at)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            enqueue_publish!(tx, id, at, now);
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "variant.resume",
                    "variant",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": status, "scheduled_at": scheduled_at })),
                    Some(serde_json::json!({ "status": "scheduled", "scheduled_at": at }))
                ),
                now
            );
            Ok(at)
        })
    }

    /// A person checked an unconfirmed variant on the network. Published: its unknown part is
    /// recorded with the address they give, and the rest of its parts (if any) go now. Not there:
    /// the unknown attempt is forgotten and the variant goes again now.
    pub async fn resolve_unconfirmed(
        &self,
        actor: &Actor,
        id: VariantId,
        resolution: Resolution,
    ) -> Result<VariantStatus> {
        let now = self.now();
        if let Resolution::Published { url } = &resolution
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(owlery_domain::InvalidInput::new(
                "url",
                "invalid",
                "Give the post's address on the network (https://…).",
            )
            .into());
        }
        with_tx!(self, |tx, pg| {
            let lock = if pg { " FOR UPDATE" } else { "" };
            let row: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT status FROM variants WHERE id = $1{lock}"
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((status,)) = row else {
                return Err(StoreError::NotFound("variant"));
            };
            if status != "unconfirmed" {
                return Err(StoreError::Conflict {
                    field: "status",
                    message: format!("Only unconfirmed posts are resolved (this one is {status})."),
                });
            }
            let next = match &resolution {
                Resolution::Published { url } => {
                    sqlx::query(
                        "UPDATE variant_parts SET status = 'published', remote_id = $1, remote_url = $1, \
                         updated_at = $2 WHERE variant_id = $3 AND status = 'sending'",
                    )
                    .bind(url)
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    VariantStatus::Scheduled
                }
                Resolution::NotThere => {
                    sqlx::query(
                        "DELETE FROM variant_parts WHERE variant_id = $1 AND status = 'sending'",
                    )
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    VariantStatus::Scheduled
                }
            };
            // Either way the engine takes it from here: it skips published parts, records the
            // variant published once every part is, and sends what is missing.
            sqlx::query(
                "UPDATE variants SET status = 'scheduled', scheduled_at = $1, error = NULL, updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            enqueue_publish!(tx, id, now, now);
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "variant.resolve",
                    "variant",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": "unconfirmed" })),
                    Some(match &resolution {
                        Resolution::Published { url } =>
                            serde_json::json!({ "outcome": "published", "url": url }),
                        Resolution::NotThere => serde_json::json!({ "outcome": "not_there" }),
                    })
                ),
                now
            );
            Ok(next)
        })
    }
}
