//! The publishing side of the store: claiming a scheduled variant for its publish attempt,
//! recording what the attempt became, simulated channels, and re-validating variants against a newer network spec.
//!
//! Every decision to publish is made inside one transaction that reads the variant afresh and
//! applies the same gate as scheduling (`owlery_domain::post::gate`), plus the media expiry and the
//! campaign rule. The attempt (`publishing`) is committed before any network call, so a crash
//! mid-call leaves a visible trace instead of a silent double post. What does not live here: the
//! network calls themselves (`owlery-jobs`).

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, PostId, UserId, VariantId, WorkspaceId,
    audit::Actor,
    org::Network,
    post::{self, ApprovalNeed, Content, Overrides, VariantStatus},
    publishing::engine::{self, HeldBy, LatePolicy, Timing},
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    engine::ACTIVE_PAUSE_REASON,
    notifications::NewNotification,
    posts::{
        COVERING_WORKFLOW, VARIANT_COLUMNS, Validation, Variant, VariantRow, approval_need_of,
        json, parse_status,
    },
};

/// The longest error kept on a variant (what people read; the job keeps the full one).
const MAX_ERROR_CHARS: usize = 1000;

/// What the claim decided for one publish job.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Nothing to do: the variant was moved, unscheduled, cancelled, deleted or already went out,
    /// or it belongs to an all-or-nothing campaign that has not been released.
    Stale,
    /// The gate said no at dispatch: the variant went back to `draft` (or `in_review`) and its
    /// author was told.
    Refused(Refusal),
    /// The channel's connection is not usable (needs reconnecting, disconnected): the variant is
    /// `failed` saying so, and its author was told.
    NotConnected,
    /// It waits in `paused` for a person: a pause covers its channel, or it is too late under the
    /// organisation's late policy. Its author was told.
    Held(HeldBy),
    /// The attempt is recorded (`publishing`): go to the network.
    Go(Box<Dispatch>),
}

/// Why a scheduled variant was held back at dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    NeedsApproval,
    Invalid,
    MediaExpired,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NeedsApproval => "approval_required",
            Refusal::Invalid => "validation_failed",
            Refusal::MediaExpired => "media_expired",
        }
    }

    /// What the variant's `error` says, for people.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NeedsApproval => {
                "Not published at its time: it needs its approvals first. Once approved, schedule it again."
            }
            Refusal::Invalid => {
                "Not published at its time: it does not pass the network's checks. Fix it, then schedule it again."
            }
            Refusal::MediaExpired => {
                "Not published at its time: one of its media files has expired or was removed. Replace it, then schedule it again."
            }
        }
    }
}

/// Everything the publish call needs, read in the claim's transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatch {
    pub variant_id: VariantId,
    pub post_id: PostId,
    pub author_id: UserId,
    pub title: String,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: Network,
    pub handle: String,
    pub placement: String,
    /// The variant's effective content (the master with its overrides).
    pub content: Content,
    /// Published through the sandbox, never leaving the machine.
    pub simulated: bool,
    pub workspace_id: WorkspaceId,
    /// How late this dispatch is (seconds after its time), when it is.
    pub late_by_s: Option<i64>,
}

/// A variant whose validation is older than the current spec, with what re-validation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleValidation {
    pub variant: Variant,
    pub author_id: UserId,
    pub title: String,
    pub network: String,
    /// The variant's effective content.
    pub content: Content,
    /// Facts of its media files that still exist: (id, kind, format, bytes, width, height,
    /// duration_ms).
    pub media: Vec<MediaRow>,
}

/// One media file as validation sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MediaRow {
    pub id: Uuid,
    pub kind: String,
    pub format: String,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
    pub duration_ms: Option<i64>,
    pub alt: String,
}

/// What re-validation did to one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revalidated {
    /// Still valid (or still invalid, as before): only the findings and version were refreshed.
    Refreshed,
    /// No longer passes: flagged (`draft`, or kept `in_review` with its errors), author told.
    Flagged(VariantStatus),
    /// Changed since it was read; left for the next round.
    Skipped,
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_ERROR_CHARS).collect()
}

/// Where a refused or flagged variant goes: back to review while a review is under way, else to
/// `draft` — the state whose next step is the author's (as the review's own gate does).
fn held_status(status: VariantStatus, review_pending: bool) -> VariantStatus {
    if status == VariantStatus::InReview || review_pending {
        VariantStatus::InReview
    } else {
        VariantStatus::Draft
    }
}

/// Put the variant being claimed in `paused` (why, how late, the message), tell its author, audit.
/// Used inside `claim_for_publishing`; `$ctx` is `(id, v, now, author, params, link)` there.
macro_rules! hold {
    ($tx:ident, $pg:ident, ($id:ident, $v:ident, $now:ident, $author:ident, $params:ident, $link:ident), $by:expr, $late:expr, $message:expr, $email:expr) => {{
        let (id, v, now, author, params, link) = (&$id, &$v, $now, $author, &$params, &$link);
        let by: HeldBy = $by;
        let message: String = $message;
        sqlx::query(
            "UPDATE variants SET status = 'paused', held_by = $1, late_by_s = $2, error = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(by.code())
        .bind($late)
        .bind(&message)
        .bind(now)
        .bind(id.0)
        .execute(&mut *$tx)
        .await?;
        let note = NewNotification {
            user_id: author,
            kind: "publish_paused".into(),
            params: params(serde_json::json!({ "error": message })),
            link: link.clone(),
            email: $email,
        };
        insert_notification!($tx, &note, now);
        append_audit!(
            $tx,
            $pg,
            Actor::system().entry(
                "variant.hold",
                "variant",
                Some(id.to_string()),
                Some(serde_json::json!({ "status": v.status.code() })),
                Some(serde_json::json!({ "status": "paused", "held_by": by.code(), "late_by_s": $late }))
            ),
            now
        );
    }};
}

/// What a claim reads besides the variant (one row; the post's columns are `None` when the post is
/// gone).
#[derive(sqlx::FromRow)]
struct DispatchContext {
    author_id: Option<Uuid>,
    title: Option<String>,
    content: Option<String>,
    campaign_id: Option<Uuid>,
    network: String,
    channel_name: String,
    handle: String,
    simulated: bool,
    channel_status: String,
    workspace_id: Uuid,
    late_policy: String,
    late_grace_minutes: i64,
    pause_reason: Option<String>,
    review_state: Option<String>,
    workflow_id: Option<Uuid>,
}

/// A media file's expiry and deletion times.
type MediaTimes = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

impl Store {
    /// Mark a channel as simulated (its posts stay on this machine) or not.
    pub async fn set_channel_simulated(
        &self,
        actor: &Actor,
        channel: ChannelId,
        simulated: bool,
    ) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let n = sqlx::query("UPDATE channels SET simulated = $1 WHERE id = $2")
                .bind(simulated)
                .bind(channel.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("channel"));
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "channel.simulated",
                    "channel",
                    Some(channel.to_string()),
                    None,
                    Some(serde_json::json!({ "simulated": simulated }))
                ),
                now
            );
            Ok(())
        })
    }

    pub async fn channel_is_simulated(&self, channel: ChannelId) -> Result<bool> {
        let row: Option<(bool,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT simulated FROM channels WHERE id = $1")
                .bind(channel.0)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(s,)| s).ok_or(StoreError::NotFound("channel"))
    }

    /// Claim a variant for its publish attempt, in one transaction: the job must still match
    /// (`scheduled` at `scheduled_at`), the gate must pass again (approval, validity), its media
    /// must not have expired, and an all-or-nothing campaign must have been released. On success
    /// the variant is `publishing` before this returns. A variant already `publishing` at that
    /// time (an earlier attempt died mid-call) is handed out again: the publish is idempotent by
    /// the variant's id, so the retry reconciles instead of posting twice.
    pub async fn claim_for_publishing(
        &self,
        id: VariantId,
        scheduled_at: DateTime<Utc>,
    ) -> Result<Claim> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let lock = if pg { " FOR UPDATE" } else { "" };
            let row: Option<VariantRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {VARIANT_COLUMNS} FROM variants WHERE id = $1{lock}"
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(v) = row.map(VariantRow::into_variant).transpose()? else {
                return Ok(Claim::Stale);
            };
            if v.scheduled_at != Some(scheduled_at)
                || !matches!(
                    v.status,
                    VariantStatus::Scheduled | VariantStatus::Publishing
                )
            {
                return Ok(Claim::Stale);
            }
            // Everything else the decision reads, in one statement after the variant's lock (so
            // on PostgreSQL it sees whatever a transaction holding that lock committed): the post,
            // the channel, the organisation's late policy, an active pause covering the channel,
            // the variant's review state and a workflow covering the channel.
            let ctx: DispatchContext = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT p.author_id, p.title, p.content, p.campaign_id, c.network, c.name AS channel_name, \
                 c.handle, c.simulated, c.status AS channel_status, c.workspace_id, o.late_policy, \
                 o.late_grace_minutes, {ACTIVE_PAUSE_REASON} AS pause_reason, \
                 (SELECT r.state FROM reviews r WHERE r.id = $3) AS review_state, \
                 (SELECT w.id {COVERING_WORKFLOW}) AS workflow_id \
                 FROM channels c JOIN workspaces w ON w.id = c.workspace_id \
                 JOIN organisations o ON o.id = w.org_id \
                 LEFT JOIN posts p ON p.id = $2 AND p.deleted_at IS NULL WHERE c.id = $1"
            )))
            .bind(v.channel_id.0)
            .bind(v.post_id.0)
            .bind(v.review_id)
            .fetch_one(&mut *tx)
            .await?;
            let (Some(author), Some(title), Some(content)) =
                (ctx.author_id, ctx.title, ctx.content)
            else {
                return Ok(Claim::Stale);
            };
            let campaign_id = ctx.campaign_id;
            let author = UserId(author);
            if let Some(c) = campaign_id {
                let camp: Option<(bool, String)> =
                    sqlx::query_as("SELECT all_or_nothing, status FROM campaigns WHERE id = $1")
                        .bind(c)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some((true, status)) = camp
                    && status != "released"
                {
                    return Ok(Claim::Stale);
                }
            }
            let DispatchContext {
                network,
                channel_name,
                handle,
                simulated,
                channel_status,
                workspace_id,
                ..
            } = ctx;
            let network = Network::parse(&network)
                .ok_or_else(|| StoreError::Corrupt(format!("network '{network}'")))?;
            let master: Content = json("post content", &content)?;
            let content = v.overrides.apply(&master);
            let link = Some(format!("/posts/{}", v.post_id));
            let params = |extra: serde_json::Value| {
                let mut p = serde_json::json!({ "title": title, "channel": channel_name });
                if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
                    p.extend(extra.clone());
                }
                p
            };

            let mut late_by_s = None;
            // A person (or the crisis playbook) paused publishing here: wait, visibly.
            if let Some(reason) = ctx.pause_reason {
                let message = format!("Paused: {reason}");
                hold!(
                    tx,
                    pg,
                    (id, v, now, author, params, link),
                    HeldBy::Pause,
                    None::<i64>,
                    message,
                    false
                );
                return Ok(Claim::Held(HeldBy::Pause));
            }
            if !simulated && channel_status != "connected" {
                let message = if channel_status == "needs_reconnect" {
                    "Not published: the channel's connection needs renewing. Reconnect the channel, then retry."
                        .to_owned()
                } else {
                    "Not published: the channel is disconnected. Connect it again, then retry."
                        .to_owned()
                };
                sqlx::query(
                    "UPDATE variants SET status = 'failed', error = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(&message)
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                let note = NewNotification {
                    user_id: author,
                    kind: "publish_failed".into(),
                    params: params(serde_json::json!({ "error": message })),
                    link: link.clone(),
                    email: true,
                };
                insert_notification!(tx, &note, now);
                append_audit!(
                    tx,
                    pg,
                    Actor::system().entry(
                        "variant.fail",
                        "variant",
                        Some(id.to_string()),
                        Some(serde_json::json!({ "status": v.status.code() })),
                        Some(serde_json::json!({ "status": "failed", "error": "not_connected" }))
                    ),
                    now
                );
                return Ok(Claim::NotConnected);
            }
            if v.status == VariantStatus::Scheduled {
                let need = approval_need_of(
                    v.review_id,
                    ctx.review_state.as_deref(),
                    ctx.workflow_id.is_some(),
                );
                let refusal = match post::gate(v.status, need, v.has_errors) {
                    Err(post::GateError::NeedsApproval) => Some(Refusal::NeedsApproval),
                    Err(post::GateError::Invalid) => Some(Refusal::Invalid),
                    Err(_) => return Ok(Claim::Stale),
                    Ok(()) => {
                        let mut expired = false;
                        for m in &content.media {
                            let e: Option<MediaTimes> = sqlx::query_as(
                                "SELECT expires_at, deleted_at FROM media WHERE id = $1",
                            )
                            .bind(m.media_id.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                            expired |= match e {
                                Some((exp, deleted)) => {
                                    deleted.is_some() || exp.is_some_and(|x| x <= now)
                                }
                                None => true,
                            };
                        }
                        expired.then_some(Refusal::MediaExpired)
                    }
                };
                if let Some(refusal) = refusal {
                    // Back to review only if a review is under way; without one (a workflow added after
                    // scheduling) the author submits it again from `draft`.
                    let next = held_status(
                        v.status,
                        v.review_id.is_some() && need == ApprovalNeed::Pending,
                    );
                    sqlx::query(
                        "UPDATE variants SET status = $1, error = $2, updated_at = $3 WHERE id = $4",
                    )
                    .bind(next.code())
                    .bind(refusal.message())
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                    let note = NewNotification {
                        user_id: author,
                        kind: "publish_held".into(),
                        params: params(serde_json::json!({ "reason": refusal.code() })),
                        link: link.clone(),
                        email: true,
                    };
                    insert_notification!(tx, &note, now);
                    append_audit!(
                        tx,
                        pg,
                        Actor::system().entry(
                            "variant.hold",
                            "variant",
                            Some(id.to_string()),
                            Some(serde_json::json!({ "status": v.status.code() })),
                            Some(serde_json::json!({ "status": next.code(), "reason": refusal.code() }))
                        ),
                        now
                    );
                    return Ok(Claim::Refused(refusal));
                }
                // The organisation's late policy: sent at once (flagged), or held for a person.
                let policy = LatePolicy::parse(&ctx.late_policy).unwrap_or_default();
                let grace = chrono::Duration::minutes(ctx.late_grace_minutes);
                match engine::timing(scheduled_at, now, policy, grace) {
                    Timing::OnTime => {}
                    Timing::Late { by_s } => late_by_s = Some(by_s),
                    Timing::Hold { by_s } => {
                        let message = format!(
                            "Held: its time passed {} minutes ago while nothing could publish it, and \
                             the organisation holds late posts for a person. Send it now, reschedule or cancel it.",
                            by_s / 60
                        );
                        hold!(
                            tx,
                            pg,
                            (id, v, now, author, params, link),
                            HeldBy::Late,
                            Some(by_s),
                            message,
                            true
                        );
                        return Ok(Claim::Held(HeldBy::Late));
                    }
                }
                sqlx::query(
                    "UPDATE variants SET status = 'publishing', error = NULL, late_by_s = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(late_by_s)
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                append_audit!(
                    tx,
                    pg,
                    Actor::system().entry(
                        "variant.publishing",
                        "variant",
                        Some(id.to_string()),
                        Some(serde_json::json!({ "status": "scheduled" })),
                        Some(serde_json::json!({ "status": "publishing", "channel_id": v.channel_id }))
                    ),
                    now
                );
            }
            Ok(Claim::Go(Box::new(Dispatch {
                variant_id: id,
                post_id: v.post_id,
                author_id: author,
                title,
                channel_id: v.channel_id,
                channel_name,
                network,
                handle,
                placement: v.placement,
                content,
                simulated,
                workspace_id: WorkspaceId(workspace_id),
                late_by_s,
            })))
        })
    }

    /// The network has the post: `published` with its id and address. Only a variant that is
    /// `publishing` changes; returns whether this call changed it.
    pub async fn record_published(
        &self,
        id: VariantId,
        remote_id: &str,
        remote_url: &str,
    ) -> Result<bool> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE variants SET status = 'published', remote_id = $1, remote_url = $2, published_at = $3, \
                 error = NULL, updated_at = $3 WHERE id = $4 AND status = 'publishing'",
            )
            .bind(remote_id)
            .bind(remote_url)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    "variant.publish",
                    "variant",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": "publishing" })),
                    Some(serde_json::json!({ "status": "published", "remote_id": remote_id, "remote_url": remote_url }))
                ),
                now
            );
            Ok(true)
        })
    }

    /// The attempt failed for good: `failed` with `error` (for people to read), and the author is
    /// told. Only a variant that is `publishing` changes; returns whether this call changed it.
    pub async fn record_publish_failed(&self, id: VariantId, error: &str) -> Result<bool> {
        let now = self.now();
        let error = cut(error);
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE variants SET status = 'failed', error = $1, updated_at = $2 WHERE id = $3 AND status = 'publishing'",
            )
            .bind(&error)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            let (post_id, author, title, channel): (Uuid, Uuid, String, String) = sqlx::query_as(
                "SELECT p.id, p.author_id, p.title, c.name FROM variants v JOIN posts p ON p.id = v.post_id \
                 JOIN channels c ON c.id = v.channel_id WHERE v.id = $1",
            )
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
            let note = NewNotification {
                user_id: UserId(author),
                kind: "publish_failed".into(),
                params: serde_json::json!({ "title": title, "channel": channel, "error": error }),
                link: Some(format!("/posts/{post_id}")),
                email: true,
            };
            insert_notification!(tx, &note, now);
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    "variant.fail",
                    "variant",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "status": "publishing" })),
                    Some(serde_json::json!({ "status": "failed", "error": error }))
                ),
                now
            );
            Ok(true)
        })
    }

    /// Variants on their way out (in review, approved, scheduled) whose validation was made
    /// against another spec version than `current`.
    pub async fn variants_to_revalidate(
        &self,
        current: &str,
        limit: i64,
    ) -> Result<Vec<StaleValidation>> {
        #[derive(sqlx::FromRow)]
        struct Extra {
            author_id: Uuid,
            title: String,
            content: String,
            network: String,
        }
        let rows: Vec<VariantRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {VARIANT_COLUMNS} FROM variants WHERE spec_version <> $1 \
                 AND status IN ('in_review', 'approved', 'scheduled') ORDER BY id LIMIT $2"
            )))
            .bind(current)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let variant = r.into_variant()?;
            let extra: Option<Extra> = with_pool!(self, |pool, _pg| {
                sqlx::query_as(
                    "SELECT p.author_id, p.title, p.content, c.network FROM posts p \
                     JOIN channels c ON c.id = $2 WHERE p.id = $1 AND p.deleted_at IS NULL",
                )
                .bind(variant.post_id.0)
                .bind(variant.channel_id.0)
                .fetch_optional(pool)
                .await?
            });
            let Some(extra) = extra else { continue };
            let master: Content = json("post content", &extra.content)?;
            let content = variant.overrides.apply(&master);
            let mut media = Vec::with_capacity(content.media.len());
            for m in &content.media {
                let row: Option<MediaRow> = with_pool!(self, |pool, _pg| {
                    sqlx::query_as(
                        "SELECT id, kind, format, byte_size, width, height, duration_ms, alt FROM media \
                         WHERE id = $1 AND deleted_at IS NULL",
                    )
                    .bind(m.media_id.0)
                    .fetch_optional(pool)
                    .await?
                });
                media.extend(row);
            }
            out.push(StaleValidation {
                variant,
                author_id: UserId(extra.author_id),
                title: extra.title,
                network: extra.network,
                content,
                media,
            });
        }
        Ok(out)
    }

    /// Store a re-validation. Applied only if the variant is unchanged since `seen` was read (same
    /// status, overrides and spec version). A variant that no longer passes is flagged — `draft`
    /// if it was approved or scheduled (its publish job then finds it stale), kept `in_review`
    /// with its errors otherwise — and its author is told.
    pub async fn apply_revalidation(
        &self,
        seen: &Variant,
        author: UserId,
        title: &str,
        validation: &Validation,
    ) -> Result<Revalidated> {
        let now = self.now();
        let newly_invalid = validation.has_errors && !seen.has_errors;
        let next = if newly_invalid {
            held_status(seen.status, false)
        } else {
            seen.status
        };
        let overrides = crate::posts::to_json::<Overrides>(&seen.overrides)?;
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "UPDATE variants SET findings = $1, has_errors = $2, spec_version = $3, status = $4, \
                 error = CASE WHEN $5 THEN 'validation_failed' ELSE error END, updated_at = $6 \
                 WHERE id = $7 AND status = $8 AND spec_version = $9 AND overrides = $10",
            )
            .bind(validation.findings.to_string())
            .bind(validation.has_errors)
            .bind(&validation.spec_version)
            .bind(next.code())
            .bind(newly_invalid)
            .bind(now)
            .bind(seen.id.0)
            .bind(seen.status.code())
            .bind(&seen.spec_version)
            .bind(&overrides)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(Revalidated::Skipped);
            }
            if !newly_invalid {
                return Ok(Revalidated::Refreshed);
            }
            let channel: Option<(String,)> =
                sqlx::query_as("SELECT name FROM channels WHERE id = $1")
                    .bind(seen.channel_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let note = NewNotification {
                user_id: author,
                kind: "spec_changed".into(),
                params: serde_json::json!({
                    "title": title,
                    "channel": channel.map(|(c,)| c).unwrap_or_default(),
                    "version": validation.spec_version,
                }),
                link: Some(format!("/posts/{}", seen.post_id)),
                email: true,
            };
            insert_notification!(tx, &note, now);
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    "variant.revalidate",
                    "variant",
                    Some(seen.id.to_string()),
                    Some(serde_json::json!({ "status": seen.status.code(), "spec_version": seen.spec_version })),
                    Some(serde_json::json!({ "status": next.code(), "spec_version": validation.spec_version, "has_errors": true }))
                ),
                now
            );
            Ok(Revalidated::Flagged(next))
        })
    }

    /// A variant's status as stored (tests, the engine).
    pub async fn variant_status(&self, id: VariantId) -> Result<Option<VariantStatus>> {
        let row: Option<(String,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT status FROM variants WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(s,)| parse_status(&s)).transpose()
    }
}
