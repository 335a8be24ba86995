//! Inbox settings and reports: routing rules (with a preview over a pasted message), SLA
//! policies, teams' assignment and business hours, workspaces' defaults, a person's presence and
//! the organisation's automatic away, and the response-time report.
//!
//! Permissions: rules, policies and team/workspace settings are organisation settings
//! (`org:manage`), and so is the organisation's automatic away; reports need `analytics:read`;
//! presence is a person's own (any valid token).

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use owlery_domain::{
    Permission, RuleId, SlaPolicyId, Target, TeamId, UserId, WorkspaceId,
    inbox::{
        Priority,
        assignment::{AssignmentMode, Presence},
        presence::{AutoAway, MAX_IDLE_MINUTES, MIN_IDLE_MINUTES},
        report::{Figures, Group, Report, Split},
        rules::{Action, Condition, Facts, MatchMode, Rule, RuleSpec, fold_words},
    },
};
use owlery_store::inbox_rules::{
    FiredRule, PresenceInfo, SlaPolicyRecord, SlaPolicySpec, TeamInboxSettings,
    WorkspaceInboxSettings,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use owlery_triage::Classifier;

use super::{
    Json, Query,
    extract::{ApiId, parse_id},
    list::list_of,
};
use crate::{
    auth::{ApiPrincipal, QuietApiPrincipal},
    error::{ApiResult, AppError, ErrorBody},
    inbox as shared,
    state::AppState,
};

impl ApiId for RuleId {
    fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
}

impl ApiId for SlaPolicyId {
    fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
}

/// A routing rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    pub id: Uuid,
    /// Rules run in this order (smallest first).
    pub position: i64,
    pub name: String,
    pub enabled: bool,
    /// `all` or `any` of the conditions.
    #[schema(example = "all")]
    pub match_mode: String,
    /// Each `{"type": …}`: `channel` (`channel_id`), `workspace` (`workspace_id`), `network`,
    /// `language`, `intent`, `sentiment`, `urgency` (`at_least`), `keyword` (`words`: whole
    /// words or phrases, case and accents ignored), `contact_tag` (`tag`), `followers_at_least` /
    /// `followers_at_most` (`count`), `kind`.
    #[schema(value_type = Vec<Object>)]
    pub conditions: Vec<Condition>,
    /// Each `{"type": …}`: `assign_team` (`team_id`), `assign_person` (`user_id`), `tag`
    /// (`tag`), `set_priority` (`priority`), `set_status` (`status`), `hide_on_network`,
    /// `auto_reply` (`saved_reply_id`: a saved reply of the organisation — one kept for a single
    /// workspace needs the rule limited to it; sent without reply approval, since only people
    /// with `org:manage` write rules; at most once a day per conversation and rule, never to the
    /// channel's own messages, where the network cannot answer, or to spam or abuse unless a
    /// condition names that intent), `escalate` (urgent, and the team's lead — else the
    /// organisation's inbox managers — is told), `notify` (`user_id`).
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Action>,
    /// Stop processing further rules when this one fires.
    pub stop: bool,
    /// Only for these workspaces (empty: all).
    pub workspaces: Vec<Uuid>,
}

impl From<Rule> for RuleOut {
    fn from(r: Rule) -> Self {
        RuleOut {
            id: r.id.0,
            position: r.position,
            name: r.spec.name,
            enabled: r.spec.enabled,
            match_mode: r.spec.match_mode.code().to_owned(),
            conditions: r.spec.conditions,
            actions: r.spec.actions,
            stop: r.spec.stop,
            workspaces: r.spec.workspaces.into_iter().map(|w| w.0).collect(),
        }
    }
}

list_of!(RuleList, RuleOut);

/// A rule as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `all` (default) or `any`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub match_mode: Option<MatchMode>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub conditions: Vec<Condition>,
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub stop: bool,
    #[serde(default)]
    pub workspaces: Vec<Uuid>,
}

fn yes() -> bool {
    true
}

impl RuleIn {
    fn spec(self) -> RuleSpec {
        RuleSpec {
            name: self.name,
            enabled: self.enabled,
            match_mode: self.match_mode.unwrap_or_default(),
            conditions: self.conditions,
            actions: self.actions,
            stop: self.stop,
            workspaces: self.workspaces.into_iter().map(WorkspaceId).collect(),
        }
    }
}

fn settings(principal: &crate::auth::Principal) -> Result<(), AppError> {
    principal.require(Permission::OrgManage, Target::Organisation)
}

/// The organisation's routing rules, in order.
#[utoipa::path(
    get,
    path = "/inbox/rules",
    tag = "inbox",
    responses(
        (status = 200, description = "The rules in order", body = RuleList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_rules(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<RuleList>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let rules = state.store.inbox_rules(org.id).await?;
    Ok(Json(RuleList::whole(
        rules.into_iter().map(RuleOut::from).collect(),
    )))
}

/// Add a rule at the end of the order. Audited.
#[utoipa::path(
    post,
    path = "/inbox/rules",
    tag = "inbox",
    request_body = RuleIn,
    responses(
        (status = 201, description = "Created", body = RuleOut),
        (status = 400, description = "Malformed JSON, or an unknown condition or action", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 422, description = "A bad name, no actions, conflicting actions, or a channel, workspace, team or person not of the organisation", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_rule(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<RuleIn>,
) -> ApiResult<(StatusCode, Json<RuleOut>)> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let rule = state
        .store
        .create_inbox_rule(&principal.actor(), org.id, body.spec())
        .await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

/// Replace a rule's definition (its place stays). Audited.
#[utoipa::path(
    put,
    path = "/inbox/rules/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The rule")),
    request_body = RuleIn,
    responses(
        (status = 200, description = "The rule as it is now", body = RuleOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 422, description = "The rule is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_rule(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<RuleId>,
    Json(body): Json<RuleIn>,
) -> ApiResult<Json<RuleOut>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let rule = state
        .store
        .update_inbox_rule(&principal.actor(), org.id, id, body.spec())
        .await?;
    Ok(Json(rule.into()))
}

/// Delete a rule. Audited.
#[utoipa::path(
    delete,
    path = "/inbox/rules/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The rule")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_rule(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<RuleId>,
) -> ApiResult<StatusCode> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    state
        .store
        .delete_inbox_rule(&principal.actor(), org.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRule {
    /// `up` (earlier) or `down` (later).
    #[schema(example = "up")]
    pub direction: String,
}

/// Move a rule one place earlier or later in the order. Audited.
#[utoipa::path(
    post,
    path = "/inbox/rules/{id}/move",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The rule")),
    request_body = MoveRule,
    responses(
        (status = 200, description = "All rules in their new order", body = RuleList),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 422, description = "direction is neither up nor down", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn move_rule(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<RuleId>,
    Json(body): Json<MoveRule>,
) -> ApiResult<Json<RuleList>> {
    settings(&principal)?;
    let up = match body.direction.trim() {
        "up" => true,
        "down" => false,
        other => {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_direction",
                format!("direction is up or down; '{other}' is neither."),
            )
            .with_field("direction"));
        }
    };
    let org = crate::pages::load_organisation(&state).await?;
    let rules = state
        .store
        .move_inbox_rule(&principal.actor(), org.id, id, up)
        .await?;
    Ok(Json(RuleList::whole(
        rules.into_iter().map(RuleOut::from).collect(),
    )))
}

/// A message to try the rules on: its text is classified as an inbound message would be; the
/// rest says where it came from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewIn {
    pub text: String,
    pub channel_id: Option<Uuid>,
    /// `comment` (default), `mention` or `dm`.
    #[schema(value_type = Option<String>)]
    pub kind: Option<owlery_domain::inbox::MessageKind>,
    pub followers: Option<u64>,
    #[serde(default)]
    pub contact_tags: Vec<String>,
    /// Try this rule (unsaved) instead of the stored ones. Without `channel_id`, rules limited to
    /// some workspaces are tried as if the message were in one of theirs.
    pub rule: Option<RuleIn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiredOut {
    /// The rule's id (`null` for an unsaved rule).
    pub id: Option<Uuid>,
    pub name: String,
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Action>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    /// What triage says of the text.
    #[schema(example = "eng")]
    pub language: String,
    #[schema(example = "negative")]
    pub sentiment: String,
    #[schema(example = "abuse")]
    pub intent: String,
    #[schema(example = "high")]
    pub urgency: String,
    /// The rules that would fire, in order (after a rule that stops, none).
    pub fired: Vec<FiredOut>,
}

/// Run the rules over a message that is not stored: what triage says of it and which rules fire.
/// Changes nothing.
#[utoipa::path(
    post,
    path = "/inbox/rules/preview",
    tag = "inbox",
    request_body = PreviewIn,
    responses(
        (status = 200, description = "What would happen", body = PreviewOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 422, description = "No text, too long, an unknown channel, or the rule is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn preview_rules(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<PreviewIn>,
) -> ApiResult<Json<PreviewOut>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let out = preview(&state, org.id, body).await?;
    Ok(Json(out))
}

/// The preview, shared by the API and the settings page.
pub async fn preview(
    state: &AppState,
    org: owlery_domain::OrgId,
    body: PreviewIn,
) -> Result<PreviewOut, AppError> {
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > 5000 {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_text",
            "Paste a message of 1 to 5,000 characters.",
        )
        .with_field("text"));
    }
    let (channel, workspace, network) = match body.channel_id {
        Some(id) => {
            let channels = state.store.list_channels(None).await?;
            let ch = channels.into_iter().find(|c| c.id.0 == id).ok_or_else(|| {
                AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_channel",
                    "Choose a channel of the organisation.",
                )
                .with_field("channel_id")
            })?;
            (ch.id, ch.workspace_id, ch.network.code().to_owned())
        }
        None => (
            owlery_domain::ChannelId(Uuid::nil()),
            WorkspaceId(Uuid::nil()),
            String::new(),
        ),
    };
    let triage = owlery_triage::inbox::classification(&classifier()?.classify(text));
    let facts = Facts {
        channel,
        workspace,
        network,
        language: triage.language.clone(),
        intent: triage.intent,
        sentiment: triage.sentiment,
        urgency: triage.urgency,
        kind: body
            .kind
            .unwrap_or(owlery_domain::inbox::MessageKind::Comment),
        contact_tags: body
            .contact_tags
            .iter()
            .map(|t| t.trim().to_lowercase())
            .collect(),
        followers: body.followers,
        words: fold_words(text),
    };
    // Without a channel the message is from nowhere in particular: rules limited to some
    // workspaces are tried as if it were in theirs.
    let anywhere = body.channel_id.is_none();
    let unlimited = |mut r: Rule| {
        if anywhere {
            r.spec.workspaces.clear();
        }
        r
    };
    let fired: Vec<FiredOut> = match body.rule {
        Some(rule) => {
            let spec = rule.spec().validate()?;
            let r = unlimited(Rule {
                id: RuleId(Uuid::nil()),
                position: 0,
                spec: RuleSpec {
                    enabled: true,
                    ..spec
                },
            });
            owlery_store::inbox_rules::preview(std::slice::from_ref(&r), &facts)
                .into_iter()
                .map(|f| FiredOut {
                    id: None,
                    name: f.name,
                    actions: f.actions,
                })
                .collect()
        }
        None => {
            let rules: Vec<Rule> = state
                .store
                .inbox_rules(org)
                .await?
                .into_iter()
                .map(unlimited)
                .collect();
            owlery_store::inbox_rules::preview(&rules, &facts)
                .into_iter()
                .map(|f: FiredRule| FiredOut {
                    id: Some(f.id.0),
                    name: f.name,
                    actions: f.actions,
                })
                .collect()
        }
    };
    Ok(PreviewOut {
        language: triage.language,
        sentiment: triage.sentiment.code().to_owned(),
        intent: triage.intent.code().to_owned(),
        urgency: triage.urgency.code().to_owned(),
        fired,
    })
}

/// The built-in classifier, made once per process (its word tables are hashed at start-up).
fn classifier() -> Result<&'static owlery_triage::BuiltIn, AppError> {
    static BUILT_IN: std::sync::OnceLock<Option<owlery_triage::BuiltIn>> =
        std::sync::OnceLock::new();
    BUILT_IN
        .get_or_init(|| owlery_triage::BuiltIn::new().ok())
        .as_ref()
        .ok_or_else(|| AppError::internal("the built-in classifier did not load"))
}

// ---- Presence ------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceIn {
    /// `available`, `away` or `off_shift`.
    #[schema(value_type = String, example = "away")]
    pub status: Presence,
    /// Your own cap of open conversations (`null`: your team's).
    #[serde(default, deserialize_with = "super::campaigns::nullable")]
    #[schema(value_type = Option<u32>)]
    pub max_open: Option<Option<u32>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceOut {
    #[schema(value_type = String, example = "available")]
    pub status: Presence,
    pub max_open: Option<u32>,
    /// Away because of no activity for the organisation's idle time (`GET`/`PUT
    /// /inbox/auto-away`), not because you said so: your next page, or your next request with
    /// your token other than reading your presence, makes you available again. Always `false`
    /// unless `status` is `away`.
    pub automatic: bool,
    /// When the automatic away began (`null` unless `automatic`).
    pub automatic_since: Option<DateTime<Utc>>,
}

impl From<PresenceInfo> for PresenceOut {
    fn from(p: PresenceInfo) -> Self {
        PresenceOut {
            status: p.status,
            max_open: p.max_open,
            automatic: p.automatic,
            automatic_since: p.automatic_since,
        }
    }
}

/// Your presence: whether automatic assignment gives you new conversations, and whether an away
/// was automatic.
///
/// Unlike every other request made with your token, asking this is not activity: a status
/// widget may poll it without keeping you available, and it sees an automatic away as such.
#[utoipa::path(
    get,
    path = "/me/presence",
    tag = "me",
    responses(
        (status = 200, description = "Your presence", body = PresenceOut),
        (status = 401, description = "No valid token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_presence(
    QuietApiPrincipal(principal): QuietApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<PresenceOut>> {
    // One's own presence: any valid token may read it.
    let p = state.store.presence(principal.user.id).await?;
    Ok(Json(p.into()))
}

/// Set your presence: whether automatic assignment gives you new conversations. Audited.
#[utoipa::path(
    put,
    path = "/me/presence",
    tag = "me",
    request_body = PresenceIn,
    responses(
        (status = 200, description = "Your presence now", body = PresenceOut),
        (status = 400, description = "Malformed JSON or an unknown status", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 422, description = "The cap is too large", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_presence(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<PresenceIn>,
) -> ApiResult<Json<PresenceOut>> {
    // One's own presence: any valid token may set it.
    let p = state
        .store
        .set_presence(
            &principal.actor(),
            principal.user.id,
            body.status,
            body.max_open,
        )
        .await?;
    Ok(Json(p.into()))
}

// ---- Automatic away ------------------------------------------------------------------------

/// The organisation's automatic away: whether, and after how long without activity, people set
/// available become away by themselves (team members only; a manual away or off shift is never
/// changed).
#[derive(Debug, Serialize, ToSchema)]
pub struct AutoAwayOut {
    pub enabled: bool,
    /// Minutes without activity before someone goes away (`null` when off).
    #[schema(example = 15)]
    pub idle_minutes: Option<u32>,
    /// The shortest idle time accepted.
    #[schema(example = 5)]
    pub min_idle_minutes: u32,
    /// The longest idle time accepted.
    #[schema(example = 720)]
    pub max_idle_minutes: u32,
}

impl From<AutoAway> for AutoAwayOut {
    fn from(a: AutoAway) -> Self {
        AutoAwayOut {
            enabled: a != AutoAway::Off,
            idle_minutes: match a {
                AutoAway::Off => None,
                AutoAway::After(m) => Some(m),
            },
            min_idle_minutes: MIN_IDLE_MINUTES,
            max_idle_minutes: MAX_IDLE_MINUTES,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAwayIn {
    /// `false`: nobody goes away by themselves (`idle_minutes` is then ignored).
    pub enabled: bool,
    /// Required when enabled: 5 to 720.
    #[schema(value_type = Option<u32>, example = 20)]
    pub idle_minutes: Option<i64>,
}

impl AutoAwayIn {
    /// The setting asked for, or why not (`invalid_idle_minutes`, field `idle_minutes`).
    fn setting(&self) -> Result<AutoAway, owlery_domain::InvalidInput> {
        if !self.enabled {
            return Ok(AutoAway::Off);
        }
        let bounds = || {
            owlery_domain::InvalidInput::new(
                "idle_minutes",
                "invalid_idle_minutes",
                format!(
                    "With automatic away enabled, idle_minutes is {MIN_IDLE_MINUTES} to \
                     {MAX_IDLE_MINUTES} minutes (to turn it off, send \"enabled\": false)."
                ),
            )
        };
        let minutes = self.idle_minutes.ok_or_else(bounds)?;
        match u32::try_from(minutes) {
            // 0 is "off" in storage; here it is a mistake: off is said with `enabled`.
            Ok(m) if m > 0 => AutoAway::from_minutes(m).map_err(|_| bounds()),
            _ => Err(bounds()),
        }
    }
}

/// The organisation's automatic-away setting.
#[utoipa::path(
    get,
    path = "/inbox/auto-away",
    tag = "inbox",
    responses(
        (status = 200, description = "The setting", body = AutoAwayOut),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_auto_away(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<AutoAwayOut>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    Ok(Json(state.store.auto_away(org.id).await?.into()))
}

/// Change the organisation's automatic-away setting (the same as Settings → Inbox SLA). Audited.
#[utoipa::path(
    put,
    path = "/inbox/auto-away",
    tag = "inbox",
    request_body = AutoAwayIn,
    responses(
        (status = 200, description = "The setting now", body = AutoAwayOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 422, description = "Enabled without an idle time of 5 to 720 minutes", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_auto_away(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<AutoAwayIn>,
) -> ApiResult<Json<AutoAwayOut>> {
    settings(&principal)?;
    let setting = body.setting()?;
    let org = crate::pages::load_organisation(&state).await?;
    let now = state
        .store
        .set_auto_away(&principal.actor(), org.id, setting)
        .await?;
    Ok(Json(now.into()))
}

// ---- SLA policies --------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicyIn {
    pub name: String,
    /// For conversations in this workspace (none: every workspace).
    pub workspace_id: Option<Uuid>,
    /// For conversations of this team (wins over a workspace's policy).
    pub team_id: Option<Uuid>,
    /// For this priority only.
    #[schema(value_type = Option<String>)]
    pub priority: Option<Priority>,
    /// Default 1440 (24 hours).
    #[serde(default = "day")]
    pub first_response_minutes: u32,
    #[serde(default = "day")]
    pub next_response_minutes: u32,
    /// Warn this long before the deadline (default 120).
    #[serde(default = "two_hours")]
    pub warn_before_minutes: u32,
    /// Count in the team's business hours (else around the clock).
    #[serde(default)]
    pub business_hours: bool,
    /// At breach: tell the team's lead (default on).
    #[serde(default = "yes")]
    pub escalate_notify_lead: bool,
    /// At breach: give the conversation to someone else of the team.
    #[serde(default)]
    pub escalate_reassign: bool,
    /// At breach: raise the priority one step.
    #[serde(default)]
    pub escalate_raise_priority: bool,
}

fn day() -> u32 {
    24 * 60
}

fn two_hours() -> u32 {
    120
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaPolicyOut {
    pub id: Uuid,
    #[serde(flatten)]
    pub policy: SlaPolicyIn,
}

impl From<SlaPolicyRecord> for SlaPolicyOut {
    fn from(r: SlaPolicyRecord) -> Self {
        let s = r.spec;
        SlaPolicyOut {
            id: r.id.0,
            policy: SlaPolicyIn {
                name: s.name,
                workspace_id: s.workspace_id.map(|w| w.0),
                team_id: s.team_id.map(|t| t.0),
                priority: s.priority,
                first_response_minutes: s.first_response_minutes,
                next_response_minutes: s.next_response_minutes,
                warn_before_minutes: s.warn_before_minutes,
                business_hours: s.business_hours,
                escalate_notify_lead: s.escalate_notify_lead,
                escalate_reassign: s.escalate_reassign,
                escalate_raise_priority: s.escalate_raise_priority,
            },
        }
    }
}

list_of!(SlaPolicyList, SlaPolicyOut);

/// The organisation's SLA policies. A conversation follows its team's, else its workspace's,
/// else the default (no workspace, no team); a policy for its priority wins at the same level.
/// Without any: 24 hours around the clock.
#[utoipa::path(
    get,
    path = "/inbox/sla-policies",
    tag = "inbox",
    responses(
        (status = 200, description = "The policies", body = SlaPolicyList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_sla_policies(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<SlaPolicyList>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let items = state.store.sla_policies(org.id).await?;
    Ok(Json(SlaPolicyList::whole(
        items.into_iter().map(SlaPolicyOut::from).collect(),
    )))
}

/// Add an SLA policy (applies to conversations from their next deadline). Audited.
#[utoipa::path(
    post,
    path = "/inbox/sla-policies",
    tag = "inbox",
    request_body = SlaPolicyIn,
    responses(
        (status = 201, description = "Created", body = SlaPolicyOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 422, description = "A bad name or target, or an unknown workspace or team", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_sla_policy(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<SlaPolicyIn>,
) -> ApiResult<(StatusCode, Json<SlaPolicyOut>)> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let rec = state
        .store
        .create_sla_policy(&principal.actor(), org.id, policy_spec(body))
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

pub fn policy_spec(b: SlaPolicyIn) -> SlaPolicySpec {
    SlaPolicySpec {
        name: b.name,
        workspace_id: b.workspace_id.map(WorkspaceId),
        team_id: b.team_id.map(TeamId),
        priority: b.priority,
        first_response_minutes: b.first_response_minutes,
        next_response_minutes: b.next_response_minutes,
        warn_before_minutes: b.warn_before_minutes,
        business_hours: b.business_hours,
        escalate_notify_lead: b.escalate_notify_lead,
        escalate_reassign: b.escalate_reassign,
        escalate_raise_priority: b.escalate_raise_priority,
    }
}

/// Delete an SLA policy (conversations keep the deadlines they have). Audited.
#[utoipa::path(
    delete,
    path = "/inbox/sla-policies/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The policy")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such policy", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_sla_policy(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<SlaPolicyId>,
) -> ApiResult<StatusCode> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    state
        .store
        .delete_sla_policy(&principal.actor(), org.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Team and workspace settings -----------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamSettingsIn {
    /// `manual`, `round_robin` or `load_balanced`.
    #[schema(value_type = String, example = "round_robin")]
    pub assignment_mode: AssignmentMode,
    /// Open conversations per member at most (a member's own cap wins).
    pub max_open: Option<u32>,
    /// Told when a conversation of the team breaches its SLA.
    pub lead_user_id: Option<Uuid>,
    /// IANA zone of the business hours.
    #[serde(default = "utc")]
    #[schema(example = "Europe/Sofia")]
    pub time_zone: String,
    /// Weekly hours, `mon-fri 09:00-17:00; sat 10:00-14:00`; `null`: around the clock.
    pub hours: Option<String>,
    /// One per line: `2026-12-25` (closed) or `2026-12-24 09:00-13:00`.
    #[serde(default)]
    pub holidays: String,
}

fn utc() -> String {
    "UTC".into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamSettingsOut {
    pub team_id: Uuid,
    pub team_name: String,
    #[serde(flatten)]
    pub settings: TeamSettingsIn,
}

impl From<TeamInboxSettings> for TeamSettingsOut {
    fn from(t: TeamInboxSettings) -> Self {
        TeamSettingsOut {
            team_id: t.team_id.0,
            team_name: t.team_name,
            settings: TeamSettingsIn {
                assignment_mode: t.assignment_mode,
                max_open: t.max_open,
                lead_user_id: t.lead_user_id.map(|u| u.0),
                time_zone: t.time_zone,
                hours: t.hours,
                holidays: t.holidays,
            },
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSettingsIn {
    /// New conversations of the workspace go to this team.
    pub default_team_id: Option<Uuid>,
    /// Hide comments triage calls abuse on the network automatically (where it can).
    #[serde(default)]
    pub hide_abusive: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceSettingsOut {
    pub workspace_id: Uuid,
    pub workspace_name: String,
    #[serde(flatten)]
    pub settings: WorkspaceSettingsIn,
}

impl From<WorkspaceInboxSettings> for WorkspaceSettingsOut {
    fn from(w: WorkspaceInboxSettings) -> Self {
        WorkspaceSettingsOut {
            workspace_id: w.workspace_id.0,
            workspace_name: w.workspace_name,
            settings: WorkspaceSettingsIn {
                default_team_id: w.default_team_id.map(|t| t.0),
                hide_abusive: w.hide_abusive,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxSettingsOut {
    pub teams: Vec<TeamSettingsOut>,
    pub workspaces: Vec<WorkspaceSettingsOut>,
}

/// Teams' assignment, caps, leads and business hours; workspaces' default team and abuse setting.
#[utoipa::path(
    get,
    path = "/inbox/settings",
    tag = "inbox",
    responses(
        (status = 200, description = "The settings", body = InboxSettingsOut),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_inbox_settings(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<InboxSettingsOut>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let teams = state.store.team_inbox_settings(org.id).await?;
    let workspaces = state.store.workspace_inbox_settings(org.id).await?;
    Ok(Json(InboxSettingsOut {
        teams: teams.into_iter().map(Into::into).collect(),
        workspaces: workspaces.into_iter().map(Into::into).collect(),
    }))
}

/// Set a team's assignment mode, cap, lead and business hours. Audited.
#[utoipa::path(
    put,
    path = "/inbox/teams/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The team")),
    request_body = TeamSettingsIn,
    responses(
        (status = 200, description = "The settings now", body = TeamSettingsOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such team", body = ErrorBody),
        (status = 422, description = "An unknown zone, unreadable hours or holidays, a cap too large, or an unknown lead", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_team_settings(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<TeamId>,
    Json(body): Json<TeamSettingsIn>,
) -> ApiResult<Json<TeamSettingsOut>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let out = state
        .store
        .set_team_inbox_settings(
            &principal.actor(),
            org.id,
            &TeamInboxSettings {
                team_id: id,
                team_name: String::new(),
                assignment_mode: body.assignment_mode,
                max_open: body.max_open,
                lead_user_id: body.lead_user_id.map(UserId),
                time_zone: body.time_zone,
                hours: body.hours,
                holidays: body.holidays,
            },
        )
        .await?;
    Ok(Json(out.into()))
}

/// Set a workspace's default team and whether abusive comments are hidden automatically. Audited.
#[utoipa::path(
    put,
    path = "/inbox/workspaces/{id}",
    tag = "inbox",
    params(("id" = Uuid, Path, description = "The workspace")),
    request_body = WorkspaceSettingsIn,
    responses(
        (status = 200, description = "The settings now", body = WorkspaceSettingsOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such workspace", body = ErrorBody),
        (status = 422, description = "An unknown team", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_workspace_settings(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<WorkspaceId>,
    Json(body): Json<WorkspaceSettingsIn>,
) -> ApiResult<Json<WorkspaceSettingsOut>> {
    settings(&principal)?;
    let org = crate::pages::load_organisation(&state).await?;
    let out = state
        .store
        .set_workspace_inbox_settings(
            &principal.actor(),
            org.id,
            id,
            body.default_team_id.map(TeamId),
            body.hide_abusive,
        )
        .await?;
    Ok(Json(out.into()))
}

// ---- Reports -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day (UTC), `YYYY-MM-DD`; default 30 days before `to`.
    pub from: Option<String>,
    /// Last day (UTC, included), `YYYY-MM-DD`; default today.
    pub to: Option<String>,
    pub workspace: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresOut {
    pub conversations: u64,
    pub answered: u64,
    pub first_response_median_secs: Option<i64>,
    pub first_response_p90_secs: Option<i64>,
    /// 0–100 of the conversations whose first response was due.
    pub sla_met_pct: Option<f64>,
    /// Replies people sent in the period, first and later ones (a rule's automatic answers are
    /// not counted).
    pub replies: u64,
    /// Seconds from the customer's earliest unanswered message to each reply.
    pub reply_median_secs: Option<i64>,
    pub reply_p90_secs: Option<i64>,
}

impl From<Figures> for FiguresOut {
    fn from(f: Figures) -> Self {
        FiguresOut {
            conversations: f.conversations,
            answered: f.answered,
            first_response_median_secs: f.first_response_median_secs,
            first_response_p90_secs: f.first_response_p90_secs,
            sla_met_pct: f.sla_met_pct,
            replies: f.replies,
            reply_median_secs: f.reply_median_secs,
            reply_p90_secs: f.reply_p90_secs,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SplitOut {
    pub all: FiguresOut,
    /// Conversations opened, and replies to messages written, within their team's business
    /// hours (around the clock: all).
    pub business_hours: FiguresOut,
    pub off_hours: FiguresOut,
}

impl From<Split> for SplitOut {
    fn from(s: Split) -> Self {
        SplitOut {
            all: s.all.into(),
            business_hours: s.business_hours.into(),
            off_hours: s.off_hours.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// The channel's or agent's name (`null`: unassigned).
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: SplitOut,
}

impl From<Group> for GroupOut {
    fn from(g: Group) -> Self {
        GroupOut {
            name: g.name,
            figures: g.figures.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
    pub total: SplitOut,
    pub by_channel: Vec<GroupOut>,
    pub by_agent: Vec<GroupOut>,
}

/// The period of a report from its parameters (at most a year).
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(DateTime<Utc>, DateTime<Utc>), AppError> {
    let day = |field: &'static str, s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::bad_request(
                "invalid_parameter",
                format!("{field} is a date like 2026-11-01; '{s}' is not."),
            )
            .with_field(field)
        })
    };
    let to = match to.filter(|s| !s.trim().is_empty()) {
        Some(s) => day("to", s)?,
        None => today,
    };
    let from = match from.filter(|s| !s.trim().is_empty()) {
        Some(s) => day("from", s)?,
        None => to - chrono::Days::new(29),
    };
    if from > to || (to - from).num_days() > 366 {
        return Err(AppError::bad_request(
            "invalid_period",
            "from must be on or before to, and the period at most a year.",
        )
        .with_field("from"));
    }
    let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = (to + chrono::Days::new(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    Ok((start, end))
}

/// The report, shared by the API and the page.
pub async fn report(
    state: &AppState,
    principal: &crate::auth::Principal,
    params: &ReportParams,
) -> Result<ReportOut, AppError> {
    let now = state.store.now();
    let (from, to) = period(
        params.from.as_deref(),
        params.to.as_deref(),
        now.date_naive(),
    )?;
    let workspace = match params.workspace.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(parse_id::<WorkspaceId>("workspace", s)?),
    };
    let org = crate::pages::load_organisation(state).await?;
    let scope = shared::scope(principal, Permission::AnalyticsRead);
    let rows = state
        .store
        .inbox_report_rows(org.id, &scope, from, to, workspace)
        .await?;
    let replies = state
        .store
        .inbox_report_replies(org.id, &scope, from, to, workspace)
        .await?;
    let r = Report::of(&rows, &replies, now);
    Ok(ReportOut {
        from,
        to,
        total: r.total.into(),
        by_channel: r.by_channel.into_iter().map(Into::into).collect(),
        by_agent: r.by_agent.into_iter().map(Into::into).collect(),
    })
}

/// Response times (median, 90th percentile) of first responses to the conversations opened in a
/// period and of every reply sent in it, SLA met, and volume per channel and agent, with the
/// business-hours / off-hours split.
#[utoipa::path(
    get,
    path = "/inbox/reports",
    tag = "inbox",
    params(ReportParams),
    responses(
        (status = 200, description = "The report", body = ReportOut),
        (status = 400, description = "A bad date, period or workspace", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs analytics:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_report(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ReportParams>,
) -> ApiResult<Json<ReportOut>> {
    principal.require_anywhere(Permission::AnalyticsRead)?;
    Ok(Json(report(&state, &principal, &params).await?))
}
