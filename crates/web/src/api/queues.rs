//! Posting queues: `/channels/{id}/queue` (a channel's weekly slots in a time zone) and
//! `/variants/{id}/queue` ("add to queue": the channel's next free slot).
//!
//! Permission: reading a queue needs `channels:read` on the channel; setting it, or queueing a
//! variant, `posts:publish` on the channel. Queueing schedules through the store's approval gate,
//! in the same transaction that picks the slot.

use axum::extract::State;
use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, Permission, Target, VariantId,
    publishing::schedule::{self, Queue, QueueSlot},
    user::parse_time_zone,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Id, Json,
    posts::load_variant,
    variants::{VariantState, gate_error, state_of},
};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, ErrorBody},
    state::AppState,
};

/// How many upcoming slot times a queue shows.
const UPCOMING: usize = 10;

/// One weekly slot, in the queue's time zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotDoc {
    /// `mon` … `sun` (full names and any case are read too).
    #[schema(example = "mon")]
    pub weekday: String,
    /// `HH:MM`, 24-hour.
    #[schema(example = "09:30")]
    pub time: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueOut {
    pub channel_id: Uuid,
    /// The queue's IANA time zone; `null` while the channel has no queue.
    pub time_zone: Option<String>,
    #[schema(value_type = Vec<SlotDoc>)]
    pub slots: Vec<QueueSlot>,
    /// The next slot times (UTC), taken or not.
    pub upcoming: Vec<DateTime<Utc>>,
}

async fn queue_out(state: &AppState, channel: ChannelId) -> ApiResult<QueueOut> {
    let queue = state.store.channel_queue(channel).await?;
    let now = state.store.now();
    Ok(match queue {
        Some(q) => QueueOut {
            channel_id: channel.0,
            time_zone: Some(q.time_zone.name().to_owned()),
            upcoming: schedule::upcoming_slots(&q, now, UPCOMING),
            slots: q.slots,
        },
        None => QueueOut {
            channel_id: channel.0,
            time_zone: None,
            slots: Vec::new(),
            upcoming: Vec::new(),
        },
    })
}

/// A channel's posting queue and its next slot times.
#[utoipa::path(
    get,
    path = "/channels/{id}/queue",
    tag = "queues",
    params(("id" = Uuid, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "The queue (empty slots and no time zone when it has none)", body = QueueOut),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs channels:read on the channel", body = ErrorBody),
        (status = 404, description = "No such channel", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_queue(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<ChannelId>,
) -> ApiResult<Json<QueueOut>> {
    let ch = state.store.channel(id).await?;
    principal.require(
        Permission::ChannelsRead,
        Target::Channel {
            workspace: ch.workspace_id,
            channel: id,
        },
    )?;
    Ok(Json(queue_out(&state, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQueue {
    /// IANA time zone of the slots (`Europe/Sofia`).
    pub time_zone: String,
    /// Weekly slots, at most 500. An empty list keeps the queue but offers no slot.
    #[schema(value_type = Vec<SlotDoc>)]
    pub slots: Vec<QueueSlot>,
}

/// Set or replace a channel's queue. Slots are whole minutes; duplicates are kept once.
#[utoipa::path(
    put,
    path = "/channels/{id}/queue",
    tag = "queues",
    params(("id" = Uuid, Path, description = "The channel's id")),
    request_body = SetQueue,
    responses(
        (status = 200, description = "The queue as saved", body = QueueOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:publish on the channel", body = ErrorBody),
        (status = 404, description = "No such channel", body = ErrorBody),
        (status = 422, description = "An unknown time zone, a bad weekday or time, too many slots", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_queue(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<ChannelId>,
    Json(req): Json<SetQueue>,
) -> ApiResult<Json<QueueOut>> {
    let ch = state.store.channel(id).await?;
    principal.require(
        Permission::PostsPublish,
        Target::Channel {
            workspace: ch.workspace_id,
            channel: id,
        },
    )?;
    let time_zone = parse_time_zone(&req.time_zone)?;
    let mut slots: Vec<QueueSlot> = Vec::with_capacity(req.slots.len());
    for s in req.slots {
        if !slots.contains(&s) {
            slots.push(s);
        }
    }
    slots.sort_by_key(|s| (s.weekday.num_days_from_monday(), s.time));
    let queue = Queue { time_zone, slots };
    state
        .store
        .set_channel_queue(&principal.actor(), id, &queue)
        .await?;
    Ok(Json(queue_out(&state, id).await?))
}

/// Add a variant to its channel's queue: it is scheduled at the first slot after now that no other
/// variant of the channel has taken. Refused like `/variants/{id}/schedule` without approvals
/// (409 `approval_required`) or with validation errors (422 `validation_failed`); 409 `conflict`
/// (field `queue`) when the channel has no queue or no free slot in the coming year.
#[utoipa::path(
    post,
    path = "/variants/{id}/queue",
    tag = "queues",
    params(("id" = Uuid, Path, description = "The variant's id")),
    responses(
        (status = 200, description = "Scheduled at the next free slot", body = VariantState),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:publish on the channel", body = ErrorBody),
        (status = 404, description = "No such variant", body = ErrorBody),
        (status = 409, description = "Needs approval, already out, no queue or no free slot", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn queue_variant(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<VariantId>,
) -> ApiResult<Json<VariantState>> {
    let (post, v) = load_variant(&state, &principal, id).await?;
    principal.require(
        Permission::PostsPublish,
        Target::Channel {
            workspace: post.workspace_id,
            channel: v.channel_id,
        },
    )?;
    state
        .store
        .add_to_queue(&principal.actor(), id)
        .await
        .map_err(gate_error)?;
    Ok(Json(state_of(&state, &principal, id).await?))
}
