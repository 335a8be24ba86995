//! Per-channel posting queues: weekly slots in a time zone (`domain::publishing::schedule::Queue`).
//! "Add to queue" gives a variant the channel's next free slot and schedules it through the same
//! gate as `schedule_variant`, in one transaction.

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, VariantId,
    audit::Actor,
    post::GateError,
    publishing::schedule::{self, Queue},
};

use crate::{
    Result, Store, StoreError,
    posts::{ScheduleError, lock_post, schedule_in_tx},
};

impl Store {
    /// Set (or replace) a channel's queue. An empty list of slots keeps the queue but gives nothing.
    pub async fn set_channel_queue(
        &self,
        actor: &Actor,
        channel: ChannelId,
        queue: &Queue,
    ) -> Result<()> {
        queue.validate()?;
        self.channel(channel).await?;
        let value = serde_json::to_value(queue).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let time_zone = value["time_zone"].as_str().unwrap_or("UTC").to_owned();
        let slots = value["slots"].to_string();
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let before: Option<(String, String)> =
                sqlx::query_as("SELECT time_zone, slots FROM channel_queues WHERE channel_id = $1")
                    .bind(channel.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            if before.is_some() {
                sqlx::query(
                    "UPDATE channel_queues SET time_zone = $1, slots = $2, updated_at = $3 WHERE channel_id = $4",
                )
                .bind(&time_zone)
                .bind(&slots)
                .bind(now)
                .bind(channel.0)
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO channel_queues (channel_id, time_zone, slots, updated_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(channel.0)
                .bind(&time_zone)
                .bind(&slots)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "channel.queue_set",
                    "channel",
                    Some(channel.to_string()),
                    before.map(|(tz, s)| serde_json::json!({ "time_zone": tz, "slots": s })),
                    Some(value.clone())
                ),
                now
            );
            Ok(())
        })
    }

    /// A channel's queue, if it has one.
    pub async fn channel_queue(&self, channel: ChannelId) -> Result<Option<Queue>> {
        let row: Option<(String, String)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT time_zone, slots FROM channel_queues WHERE channel_id = $1")
                .bind(channel.0)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(tz, slots)| into_queue(&tz, &slots)).transpose()
    }

    /// Schedule a variant at its channel's next free queue slot after now (a slot is taken when a
    /// variant of that channel is scheduled, publishing or published in that minute). The gate of
    /// `schedule_variant` applies. Returns the time taken.
    pub async fn add_to_queue(
        &self,
        actor: &Actor,
        variant: VariantId,
    ) -> Result<DateTime<Utc>, ScheduleError> {
        let now = self.now();
        let post = self
            .post_of_variant(variant)
            .await?
            .ok_or(StoreError::NotFound("variant"))?;
        let channel = post
            .variant(variant)
            .map(|v| v.channel_id)
            .ok_or(StoreError::NotFound("variant"))?;
        let out: Result<Result<DateTime<Utc>, GateError>> = with_tx!(self, |tx, pg| {
            lock_post!(tx, pg, post.id.0);
            // Two variants of different posts must not take the same slot: the queue row is the
            // channel's lock (SQLite's single writer already serialises this).
            let lock = if pg {
                "SELECT time_zone, slots FROM channel_queues WHERE channel_id = $1 FOR UPDATE"
            } else {
                "SELECT time_zone, slots FROM channel_queues WHERE channel_id = $1"
            };
            let row: Option<(String, String)> = sqlx::query_as(lock)
                .bind(channel.0)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((tz, slots)) = row else {
                return Err(StoreError::Conflict {
                    field: "queue",
                    message: "This channel has no posting queue yet; set its time slots first."
                        .into(),
                });
            };
            let queue = into_queue(&tz, &slots)?;
            let taken: Vec<(DateTime<Utc>,)> = sqlx::query_as(
                "SELECT scheduled_at FROM variants WHERE channel_id = $1 AND id <> $2 \
                 AND status IN ('scheduled', 'publishing', 'published') AND scheduled_at > $3",
            )
            .bind(channel.0)
            .bind(variant.0)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            let taken: Vec<DateTime<Utc>> = taken.into_iter().map(|(t,)| t).collect();
            let Some(at) = schedule::next_free_slot(&queue, now, &taken) else {
                return Err(StoreError::Conflict {
                    field: "queue",
                    message: "Every slot of this channel's queue in the coming year is taken."
                        .into(),
                });
            };
            Ok(schedule_in_tx!(tx, pg, actor, variant, at, &tz, now).map(|_| at))
        });
        out?.map_err(ScheduleError::Gate)
    }
}

fn into_queue(time_zone: &str, slots: &str) -> Result<Queue> {
    let slots: serde_json::Value = crate::posts::json("queue slots", slots)?;
    serde_json::from_value(serde_json::json!({ "time_zone": time_zone, "slots": slots }))
        .map_err(|e| StoreError::Corrupt(format!("channel queue: {e}")))
}
