//! `/audit-events`: the audit log, newest first, for those with `audit:read`.

use axum::extract::State;
use chrono::{DateTime, Utc};
use owlery_domain::{Permission, Target, audit::AuditRecord};
use owlery_store::audit::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    Json, Query,
    list::{self, list_of},
};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

const CURSOR_KIND: &str = "audit";

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Position in the log, from 1 with no gaps.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The acting user's id; `null` for the system or the command line.
    pub actor_id: Option<String>,
    /// How the actor is shown: an e-mail address, `system` or `cli`.
    pub actor_label: String,
    /// What happened, a dotted code such as `user.create` or `grant.revoke`.
    #[schema(example = "user.create")]
    pub action: String,
    /// What kind of thing it happened to (`user`, `token`, `workspace` …).
    pub target_type: String,
    pub target_id: Option<String>,
    /// The client's address, when the change came through a request.
    pub ip: Option<String>,
    /// The state before the change, as recorded.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The state after the change, as recorded.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// SHA-256 of the previous event's record (the hash chain).
    pub prev_hash: String,
    /// SHA-256 of this event's record.
    pub hash: String,
}

/// Recorded JSON text as JSON (as text should it ever not parse, so nothing is hidden).
fn as_json(text: Option<String>) -> Option<serde_json::Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

impl From<AuditRecord> for AuditEvent {
    fn from(r: AuditRecord) -> Self {
        AuditEvent {
            seq: r.seq,
            at: r.at,
            actor_id: r.entry.actor_id,
            actor_label: r.entry.actor_label,
            action: r.entry.action,
            target_type: r.entry.target_type,
            target_id: r.entry.target_id,
            ip: r.entry.ip,
            before: as_json(r.entry.before),
            after: as_json(r.entry.after),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

list_of!(AuditEventList, AuditEvent);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The actor's label exactly (an e-mail address, `system`, `cli`).
    pub actor: Option<String>,
    /// An action (`user.create`), or a prefix ending in `.` (`user.`) for all of a kind.
    pub action: Option<String>,
    /// Events about this target id.
    pub target_id: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Events before this time (RFC 3339).
    pub to: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn time(field: &'static str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                AppError::bad_request(
                    "invalid_parameter",
                    format!("'{r}' is not an RFC 3339 time such as 2026-11-26T09:00:00Z."),
                )
                .with_field(field)
            })
    })
    .transpose()
}

/// The audit log, newest first, filtered.
#[utoipa::path(
    get,
    path = "/audit-events",
    tag = "audit",
    params(ListParams),
    responses(
        (status = 200, description = "A page of events", body = AuditEventList),
        (status = 400, description = "Bad filter, limit or cursor", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs audit:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_audit_events(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<AuditEventList>> {
    principal.require(Permission::AuditRead, Target::Organisation)?;
    let limit = list::limit(params.limit)?;
    let before_seq = match params.cursor.as_deref() {
        Some(c) => Some(
            list::decode_cursor(CURSOR_KIND, c)?
                .parse::<i64>()
                .map_err(|_| list::invalid_cursor())?,
        ),
        None => None,
    };
    let filter = AuditFilter {
        actor: params.actor.filter(|s| !s.is_empty()),
        action: params.action.filter(|s| !s.is_empty()),
        target_id: params.target_id.filter(|s| !s.is_empty()),
        from: time("from", params.from.as_deref())?,
        to: time("to", params.to.as_deref())?,
        before_seq,
    };
    let rows = state.store.audit_events(&filter, limit + 1).await?;
    let (rows, next_cursor) = list::page(rows, limit, |r| list::cursor(CURSOR_KIND, r.seq));
    Ok(Json(AuditEventList {
        items: rows.into_iter().map(AuditEvent::from).collect(),
        next_cursor,
    }))
}
