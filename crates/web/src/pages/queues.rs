//! `/publish/queues`: each channel's posting queue — weekly times in one time zone. "Add to
//! queue" in the composer (and `POST /api/v1/variants/{id}/queue`) takes the next free one.
//! Setting a queue needs `posts:publish` on the channel, as queueing does.

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{NaiveTime, Weekday};
use owlery_domain::{
    ChannelId, Permission, Target,
    publishing::schedule::{Queue, QueueSlot, upcoming_slots},
    user::parse_time_zone,
};
use owlery_store::org::Channel;

use super::{form::FormData, page_for, render, unprocessable};
use crate::{
    auth::{PagePrincipal, Principal},
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        FormErrors, Section,
        publish::{QueueChannel, QueueDay, QueuesView},
        tz_options,
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/publish/queues", get(list))
        .route("/publish/queues/{id}", post(save))
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

fn may_queue(p: &Principal, c: &Channel) -> bool {
    p.access.can(
        Permission::PostsPublish,
        Target::Channel {
            workspace: c.workspace_id,
            channel: c.id,
        },
    )
}

/// The form's times for one weekday ("09:30, 13:00"), each checked.
fn parse_times(raw: &str) -> Result<Vec<NaiveTime>, String> {
    let mut out = Vec::new();
    for part in raw
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let t = NaiveTime::parse_from_str(part, "%H:%M").map_err(|_| part.to_owned())?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out.sort();
    Ok(out)
}

async fn view_of(
    state: &AppState,
    p: &PagePrincipal,
    failed: Option<(ChannelId, &FormData, FormErrors)>,
) -> Result<QueuesView, AppError> {
    let page = page_for(p, "/publish/queues").with_section(Section::Publish);
    let workspaces = state.store.list_workspaces().await?;
    let now = state.store.now();
    let mut channels = Vec::new();
    for c in state.store.list_channels(None).await? {
        if !may_queue(&p.0, &c) {
            continue;
        }
        let queue = state.store.channel_queue(c.id).await?;
        let tz = queue
            .as_ref()
            .map(|q| q.time_zone.name().to_owned())
            .unwrap_or_else(|| p.0.user.time_zone.clone());
        let (days, errors, tz) = match &failed {
            Some((id, form, errors)) if *id == c.id => (
                DAYS.iter()
                    .map(|(_, code)| QueueDay {
                        code,
                        label_key: format!("queues-day-{code}"),
                        times: form.get(code),
                    })
                    .collect(),
                errors.clone(),
                form.get("tz"),
            ),
            _ => (
                DAYS.iter()
                    .map(|(day, code)| QueueDay {
                        code,
                        label_key: format!("queues-day-{code}"),
                        times: queue
                            .as_ref()
                            .map(|q| {
                                q.slots
                                    .iter()
                                    .filter(|s| s.weekday == *day)
                                    .map(|s| s.time.format("%H:%M").to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default(),
                    })
                    .collect(),
                FormErrors::new(),
                tz,
            ),
        };
        let next = queue
            .as_ref()
            .map(|q| {
                upcoming_slots(q, now, 3)
                    .into_iter()
                    .map(|t| {
                        t.with_timezone(&q.time_zone)
                            .format("%a %d %b %H:%M")
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        channels.push(QueueChannel {
            id: c.id.to_string(),
            name: c.name.clone(),
            network: c.network.code().to_owned(),
            workspace: workspaces
                .iter()
                .find(|w| w.id == c.workspace_id)
                .map(|w| w.name.clone())
                .unwrap_or_default(),
            days,
            tz_options: tz_options(&tz),
            next,
            errors,
        });
    }
    Ok(QueuesView { page, channels })
}

async fn list(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsPublish)?;
    Ok(render(&view_of(&state, &p, None).await?))
}

async fn save(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = uuid::Uuid::parse_str(&raw)
        .map(ChannelId)
        .map_err(|_| AppError::not_found("channel"))?;
    let channel = state.store.channel(id).await?;
    if !may_queue(&p.0, &channel) {
        return Err(AppError::forbidden());
    }
    let lang = Lang::parse(&p.0.user.language).unwrap_or(Lang::En);
    let mut errors = FormErrors::new();
    let mut slots = Vec::new();
    for (day, code) in DAYS {
        match parse_times(&form.get(code)) {
            Ok(times) => slots.extend(
                times
                    .into_iter()
                    .map(|time| QueueSlot { weekday: day, time }),
            ),
            Err(bad) => errors.push(
                code,
                i18n::tr_args(lang, "queues-bad-time", &[("value", bad.into())]),
            ),
        }
    }
    let tz = match parse_time_zone(&form.get("tz")) {
        Ok(tz) => Some(tz),
        Err(e) => {
            errors.push("tz", e.message);
            None
        }
    };
    if let (true, Some(time_zone)) = (errors.is_empty(), tz) {
        let queue = Queue { time_zone, slots };
        match state
            .store
            .set_channel_queue(&p.0.actor(), id, &queue)
            .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/publish/queues#queue-{id}")).into_response());
            }
            Err(owlery_store::StoreError::Invalid(e)) => errors.push("", e.message),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(unprocessable(render(
        &view_of(&state, &p, Some((id, &form, errors))).await?,
    )))
}

#[cfg(test)]
mod tests {
    use super::parse_times;

    #[test]
    fn times_are_read_sorted_without_repeats_and_refused_when_not_hh_mm() {
        let t = parse_times("13:00, 09:30 09:30;").unwrap();
        assert_eq!(
            t.iter()
                .map(|t| t.format("%H:%M").to_string())
                .collect::<Vec<_>>(),
            ["09:30", "13:00"]
        );
        assert_eq!(parse_times("").unwrap(), vec![]);
        assert_eq!(parse_times("9.30"), Err("9.30".to_owned()));
        assert_eq!(parse_times("25:00"), Err("25:00".to_owned()));
    }
}
