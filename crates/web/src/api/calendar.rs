//! `/calendar`: the variants with a time in a range (scheduled, intended or published), filtered.
//!
//! Who sees what is the calendar page's rule: a variant is listed when the caller may draft,
//! publish or approve posts on its channel. The range is at most 400 days.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    CampaignId, ChannelId, UserId, WorkspaceId, org::Network, post::VariantStatus,
};
use owlery_store::posts::{CalendarEntry, CalendarFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Json, Query, extract::parse_id, list::list_of};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    pages::calendar::{may_see_posts, require_posts_anywhere},
    state::AppState,
};

/// The longest range one request may ask for.
pub const MAX_RANGE_DAYS: i64 = 400;

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarEntryOut {
    pub variant_id: Uuid,
    pub post_id: Uuid,
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    pub channel_name: String,
    pub network: String,
    pub author_id: Uuid,
    pub author_name: String,
    pub campaign_id: Option<Uuid>,
    pub title: String,
    /// The variant's effective text.
    pub text: String,
    #[schema(example = "scheduled")]
    pub status: String,
    /// When it was published, else when it is (or is meant to be) scheduled.
    pub at: DateTime<Utc>,
    pub has_errors: bool,
}

impl From<CalendarEntry> for CalendarEntryOut {
    fn from(e: CalendarEntry) -> Self {
        CalendarEntryOut {
            variant_id: e.variant_id.0,
            post_id: e.post_id.0,
            workspace_id: e.workspace_id.0,
            channel_id: e.channel_id.0,
            channel_name: e.channel_name,
            network: e.network,
            author_id: e.author_id.0,
            author_name: e.author_name,
            campaign_id: e.campaign_id.map(|c| c.0),
            title: e.title,
            text: e.text,
            status: e.status.code().to_owned(),
            at: e.at,
            has_errors: e.has_errors,
        }
    }
}

list_of!(CalendarList, CalendarEntryOut);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarParams {
    /// Start of the range, inclusive (RFC 3339).
    #[param(value_type = String, format = DateTime)]
    pub from: DateTime<Utc>,
    /// End of the range, exclusive (RFC 3339); at most 400 days after `from`.
    #[param(value_type = String, format = DateTime)]
    pub to: DateTime<Utc>,
    pub workspace_id: Option<String>,
    pub channel_id: Option<String>,
    /// A network code (`bluesky`, `x` …).
    pub network: Option<String>,
    pub campaign_id: Option<String>,
    /// A variant status (`draft`, `scheduled`, `published` …).
    pub status: Option<String>,
    pub author_id: Option<String>,
}

fn invalid(field: &'static str, code: &'static str, message: String) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_field(field)
}

/// Calendar entries in `[from, to)`, oldest first, that the caller may see.
#[utoipa::path(
    get,
    path = "/calendar",
    tag = "posts",
    params(CalendarParams),
    responses(
        (status = 200, description = "Entries, in time order (the whole range in one page)", body = CalendarList),
        (status = 400, description = "A missing or malformed parameter or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft, posts:publish or posts:approve somewhere", body = ErrorBody),
        (status = 422, description = "An empty or too long range, an unknown network or status", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn calendar(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<CalendarParams>,
) -> ApiResult<Json<CalendarList>> {
    require_posts_anywhere(&principal.access)?;
    if params.to <= params.from {
        return Err(invalid(
            "to",
            "invalid_range",
            "'to' must be later than 'from'.".into(),
        ));
    }
    if params.to - params.from > Duration::days(MAX_RANGE_DAYS) {
        return Err(invalid(
            "to",
            "range_too_long",
            format!("Ask for at most {MAX_RANGE_DAYS} days at a time."),
        ));
    }
    let id = |field: &str, raw: &Option<String>| -> ApiResult<Option<Uuid>> {
        raw.as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| parse_id::<Uuid>(field, r))
            .transpose()
    };
    let workspace = id("workspace_id", &params.workspace_id)?.map(WorkspaceId);
    let channel = id("channel_id", &params.channel_id)?.map(ChannelId);
    let campaign = id("campaign_id", &params.campaign_id)?.map(CampaignId);
    let author = id("author_id", &params.author_id)?.map(UserId);
    let network = params
        .network
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            Network::parse(n.trim())
                .map(|n| n.code().to_owned())
                .ok_or_else(|| {
                    invalid(
                        "network",
                        "unknown_network",
                        format!("'{n}' is not a network."),
                    )
                })
        })
        .transpose()?;
    let status = params
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            VariantStatus::parse(s.trim()).ok_or_else(|| {
                invalid(
                    "status",
                    "unknown_status",
                    format!("'{s}' is not a variant status."),
                )
            })
        })
        .transpose()?;
    let workspaces: Vec<WorkspaceId> = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .map(|w| w.id)
        .filter(|w| workspace.is_none_or(|only| only == *w))
        .collect();
    let filter = CalendarFilter {
        workspaces,
        channels: channel.into_iter().collect(),
        networks: network.into_iter().collect(),
        campaign,
        statuses: status.into_iter().collect(),
        author,
    };
    let items = state
        .store
        .calendar(params.from, params.to, &filter)
        .await?
        .into_iter()
        .filter(|e| may_see_posts(&principal.access, e.workspace_id, e.channel_id))
        .map(CalendarEntryOut::from)
        .collect();
    Ok(Json(CalendarList::whole(items)))
}
