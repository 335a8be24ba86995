//! Bulk set-up and read-outs for benchmarks (the `test-support` feature only; never in the
//! product).
//!
//! [`Store::bulk_schedule`] writes exactly the rows that [`Store::create_post`] followed by
//! [`Store::submit_post`] write for posts without a campaign on channels no approval workflow
//! covers: each post (version 1) with its first version snapshot, one variant per channel
//! (`scheduled` at the given time, with the validation given), one `publish.variant` job per
//! variant (due at that time, payload `{variant_id, scheduled_at}`, 8 attempts), and the post's
//! two audit events (`post.create`, `post.submit`) in the hash chain. Only the way differs: a few
//! large transactions with multi-row inserts, instead of two transactions and about ten
//! statements per variant, so that 100,000 variants take seconds. The store test
//! `bulk_rows_are_what_the_normal_path_writes` compares the two row by row.
//!
//! The read-outs ([`Store::bench_variant_times`], [`Store::bench_jobs_pending`]) and the reference
//! loop ([`Store::bench_raw_publish_loop`]) are what a benchmark measures with.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, PostId, UserId, VariantId, WorkspaceId,
    audit::Actor,
    post::{Content, Overrides, VariantStatus},
};
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    posts::{COVERING_WORKFLOW, Outcome, PUBLISH_JOB, Snapshot, Validation, VariantInput, to_json},
};

/// Many posts, each to every one of `channels`, all scheduled at `scheduled_at`.
#[derive(Debug, Clone)]
pub struct BulkPosts {
    pub workspace_id: WorkspaceId,
    pub author_id: UserId,
    pub title: String,
    pub content: Content,
    /// One variant per channel on every post (all in the workspace, none under a workflow).
    pub channels: Vec<ChannelId>,
    pub placement: String,
    /// The validation stored with every variant; it must have no errors (the gate would keep
    /// such a variant from being scheduled).
    pub validation: Validation,
    pub posts: usize,
    pub scheduled_at: DateTime<Utc>,
    pub schedule_tz: String,
}

/// Posts per transaction: large enough to be fast, small enough to keep each statement's
/// parameters under both backends' limits (a chunk of variants is at most 500 rows × 13).
const POSTS_PER_TX: usize = 500;
const ROWS_PER_STATEMENT: usize = 500;

/// A variant's times and outcome, as a benchmark reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantTimes {
    pub id: VariantId,
    pub status: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
}

/// `$a, $b, …` groups for `rows` rows of `cols` parameters each.
fn values(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let ps: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", ps.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Create `new.posts` posts and schedule them, writing what `create_post` + `submit_post`
    /// write (see the module's comment). Returns the variants' ids, post by post.
    pub async fn bulk_schedule(&self, actor: &Actor, new: &BulkPosts) -> Result<Vec<VariantId>> {
        if new.channels.is_empty() {
            return Err(owlery_domain::InvalidInput::new(
                "channel_ids",
                "required",
                "Choose at least one channel.",
            )
            .into());
        }
        if new.validation.has_errors {
            return Err(owlery_domain::InvalidInput::new(
                "validation",
                "invalid",
                "Variants with validation errors are not scheduled.",
            )
            .into());
        }
        let content = new.content.clone().normalised()?;
        let content_json = to_json(&content)?;
        let inputs: Vec<VariantInput> = new
            .channels
            .iter()
            .map(|c| VariantInput {
                channel_id: *c,
                placement: new.placement.clone(),
                overrides: Overrides::default(),
                validation: new.validation.clone(),
            })
            .collect();
        let snapshot_json = to_json(&Snapshot::of(&new.title, &content, &inputs))?;
        let overrides_json = to_json(&Overrides::default())?;
        let findings = new.validation.findings.to_string();
        let at = new.scheduled_at;
        let mut all = Vec::with_capacity(new.posts * new.channels.len());
        let mut done = 0;
        while done < new.posts {
            let count = POSTS_PER_TX.min(new.posts - done);
            done += count;
            let now = self.now();
            let posts: Vec<(PostId, Vec<VariantId>)> = (0..count)
                .map(|_| {
                    (
                        PostId::new(),
                        new.channels.iter().map(|_| VariantId::new()).collect(),
                    )
                })
                .collect();
            with_tx!(self, |tx, pg| {
                // What create_post and submit_post check, once for the batch.
                for c in &new.channels {
                    let ws: Option<(Uuid,)> =
                        sqlx::query_as("SELECT workspace_id FROM channels WHERE id = $1")
                            .bind(c.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                    match ws {
                        Some((w,)) if w == new.workspace_id.0 => {}
                        Some(_) => {
                            return Err(StoreError::Conflict {
                                field: "channel_ids",
                                message: "A channel belongs to another workspace.".into(),
                            });
                        }
                        None => return Err(StoreError::NotFound("channel")),
                    }
                    let covered: Option<(Uuid,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT w.id {COVERING_WORKFLOW}"
                    )))
                    .bind(c.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if covered.is_some() {
                        return Err(StoreError::Conflict {
                            field: "channel_ids",
                            message: "A channel is under an approval workflow: its variants would go to review, not be scheduled.".into(),
                        });
                    }
                }

                for chunk in posts.chunks(ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "INSERT INTO posts (id, workspace_id, author_id, campaign_id, title, content, version, created_at, updated_at) VALUES {}",
                        values(chunk.len(), 9)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (id, _) in chunk {
                        q = q
                            .bind(id.0)
                            .bind(new.workspace_id.0)
                            .bind(new.author_id.0)
                            .bind(None::<Uuid>)
                            .bind(&new.title)
                            .bind(&content_json)
                            .bind(1_i64)
                            .bind(now)
                            .bind(now);
                    }
                    q.execute(&mut *tx).await?;

                    let sql = format!(
                        "INSERT INTO post_versions (post_id, version, snapshot, author_id, created_at) VALUES {}",
                        values(chunk.len(), 5)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (id, _) in chunk {
                        q = q
                            .bind(id.0)
                            .bind(1_i64)
                            .bind(&snapshot_json)
                            .bind(new.author_id.0)
                            .bind(now);
                    }
                    q.execute(&mut *tx).await?;
                }

                let variants: Vec<(PostId, VariantId, ChannelId)> = posts
                    .iter()
                    .flat_map(|(p, vs)| {
                        vs.iter().zip(&new.channels).map(move |(v, c)| (*p, *v, *c))
                    })
                    .collect();
                for chunk in variants.chunks(ROWS_PER_STATEMENT) {
                    // As inserted by create_post (`draft`) and then updated by submit_post
                    // (`scheduled`, no review).
                    let sql = format!(
                        "INSERT INTO variants (id, post_id, channel_id, placement, overrides, status, scheduled_at, \
                         schedule_tz, findings, has_errors, spec_version, created_at, updated_at) VALUES {}",
                        values(chunk.len(), 13)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (p, v, c) in chunk {
                        q = q
                            .bind(v.0)
                            .bind(p.0)
                            .bind(c.0)
                            .bind(&new.placement)
                            .bind(&overrides_json)
                            .bind(VariantStatus::Scheduled.code())
                            .bind(at)
                            .bind(&new.schedule_tz)
                            .bind(&findings)
                            .bind(false)
                            .bind(&new.validation.spec_version)
                            .bind(now)
                            .bind(now);
                    }
                    q.execute(&mut *tx).await?;

                    // As enqueue_publish! writes them.
                    let sql = format!(
                        "INSERT INTO jobs (id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) VALUES {}",
                        values(chunk.len(), 9)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (_, v, _) in chunk {
                        let payload = serde_json::json!({ "variant_id": v, "scheduled_at": at });
                        q = q
                            .bind(Uuid::now_v7())
                            .bind(PUBLISH_JOB)
                            .bind(payload.to_string())
                            .bind("queued")
                            .bind(at)
                            .bind(0_i64)
                            .bind(8_i64)
                            .bind(now)
                            .bind(now);
                    }
                    q.execute(&mut *tx).await?;
                }

                for (id, vs) in &posts {
                    append_audit!(
                        tx,
                        pg,
                        actor.entry(
                            "post.create",
                            "post",
                            Some(id.to_string()),
                            None,
                            Some(serde_json::json!({ "workspace_id": new.workspace_id, "channels": vs.len() }))
                        ),
                        now
                    );
                    let outcomes: Vec<Outcome> = vs
                        .iter()
                        .map(|v| Outcome {
                            variant_id: *v,
                            status: VariantStatus::Scheduled,
                            blocked: None,
                        })
                        .collect();
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
                }
                Ok(())
            })?;
            all.extend(posts.into_iter().flat_map(|(_, vs)| vs));
        }
        Ok(all)
    }

    /// Every variant's status and times (a benchmark's lateness read-out).
    pub async fn bench_variant_times(&self) -> Result<Vec<VariantTimes>> {
        type Row = (Uuid, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
        let rows: Vec<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT id, status, scheduled_at, published_at FROM variants")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, status, scheduled_at, published_at)| VariantTimes {
                id: VariantId(id),
                status,
                scheduled_at,
                published_at,
            })
            .collect())
    }

    /// How many jobs of one kind are queued or running (a benchmark waits for 0).
    pub async fn bench_jobs_pending(&self, kind: &str) -> Result<i64> {
        Ok(with_pool!(self, |pool, _pg| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running') AND kind = $1",
            )
            .bind(kind)
            .fetch_one(pool)
            .await?
        }))
    }

    /// The storage reference: mark each of `ids` published in a transaction of its own, one after
    /// the other (`UPDATE variants SET status = 'published', published_at, updated_at WHERE id`),
    /// with the store's own settings and transactions (`BEGIN IMMEDIATE` on SQLite). Returns the
    /// time it took.
    pub async fn bench_raw_publish_loop(&self, ids: &[VariantId]) -> Result<StdDuration> {
        let started = Instant::now();
        for id in ids {
            let now = self.now();
            with_tx!(self, |tx, _pg| {
                sqlx::query(
                    "UPDATE variants SET status = 'published', published_at = $1, updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                Ok(())
            })?;
        }
        Ok(started.elapsed())
    }
}
