//! The inbox's routing rules, presence and automatic assignment, SLA policies, escalation and
//! reports (issue 5).
//!
//! - Rules (`inbox_rules`): ordered per organisation; CRUD here, evaluation in
//!   `owlery_domain::inbox::rules`, application inside [`Store::ingest`] (see
//!   [`RoutingSetup`]) so a new message is routed, assigned and given its deadline in the same
//!   transaction that stores it. Every action is audited under the rule's name.
//! - Team settings (`inbox_team_settings`: assignment mode, cap, lead, business hours); a
//!   person's presence is `crate::presence` (with automatic away). Assignment picks with `owlery_domain::inbox::assignment::pick` inside
//!   the ingest transaction; on PostgreSQL an advisory transaction lock serialises assigners (two
//!   ingests at once never exceed a cap), SQLite has one writer.
//! - SLA policies (`inbox_sla_policies`): chosen per conversation by
//!   `owlery_domain::sla::book::choose` (team → workspace → default) and used through the
//!   `ResponsePolicy` seam. [`Store::sla_sweep`] warns and escalates, once per deadline.
//! - Reports: one row per conversation opened in the period, folded by
//!   `owlery_domain::inbox::report::Report::of`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use owlery_domain::{
    ChannelId, ConversationId, InvalidInput, OrgId, RuleId, SlaPolicyId, TeamId, UserId,
    WorkspaceId,
    audit::Actor,
    inbox::{
        ConversationStatus, Priority,
        assignment::{AssignmentMode, MAX_CAP},
        report::{ReplyRow, ReportRow, Turn, reply_waits},
        rules::{Action, Condition, Rule, RuleSpec},
    },
    sla::{
        Schedule, SlaPolicy,
        book::{ScopedPolicy, schedule_from},
    },
};
use serde::Serialize;
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use crate::{Result, Store, StoreError, inbox::InboxScope, notifications::NewNotification};

/// At most this many rules per organisation.
pub const MAX_RULES: i64 = 500;
/// At most this many SLA policies per organisation.
pub const MAX_POLICIES: i64 = 500;
/// The job that hides a message on the network.
pub const HIDE_JOB: &str = "inbox.hide";
/// The PostgreSQL advisory lock key that serialises automatic assignment ("owl-asgn").
const ASSIGN_LOCK: i64 = 0x6f77_6c2d_6173_676e;

pub(crate) fn corrupt_col(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable {what} in the inbox rules tables"))
}

pub use crate::presence::PresenceInfo;

/// A team's inbox settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamInboxSettings {
    pub team_id: TeamId,
    pub team_name: String,
    pub assignment_mode: AssignmentMode,
    pub max_open: Option<u32>,
    pub lead_user_id: Option<UserId>,
    pub time_zone: String,
    /// Weekly hours (`mon-fri 09:00-17:00`); `None`: around the clock.
    pub hours: Option<String>,
    /// One per line: `2026-12-25` or `2026-12-24 09:00-13:00`.
    pub holidays: String,
}

/// A workspace's inbox defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceInboxSettings {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub default_team_id: Option<TeamId>,
    pub hide_abusive: bool,
}

/// An SLA policy as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaPolicyRecord {
    pub id: SlaPolicyId,
    #[serde(flatten)]
    pub spec: SlaPolicySpec,
}

/// An SLA policy as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaPolicySpec {
    pub name: String,
    pub workspace_id: Option<WorkspaceId>,
    pub team_id: Option<TeamId>,
    pub priority: Option<Priority>,
    pub first_response_minutes: u32,
    pub next_response_minutes: u32,
    pub warn_before_minutes: u32,
    /// Counted in the team's business hours (else around the clock).
    pub business_hours: bool,
    pub escalate_notify_lead: bool,
    pub escalate_reassign: bool,
    pub escalate_raise_priority: bool,
}

impl SlaPolicySpec {
    /// Checks the name and the targets (through the domain's [`SlaPolicy::new`]).
    pub fn validate(mut self) -> Result<SlaPolicySpec, InvalidInput> {
        self.name = self.name.trim().to_owned();
        let n = self.name.chars().count();
        if n == 0 || n > 80 {
            return Err(InvalidInput::new(
                "name",
                "invalid_policy_name",
                "A policy's name is 1 to 80 characters.",
            ));
        }
        let max = 60 * 24 * 366;
        if self.first_response_minutes > max || self.next_response_minutes > max {
            return Err(InvalidInput::new(
                "first_response_minutes",
                "invalid_sla_target",
                "A target is at most a year.",
            ));
        }
        self.policy(Schedule::AroundTheClock)?;
        Ok(self)
    }

    pub(crate) fn policy(&self, schedule: Schedule) -> Result<SlaPolicy, InvalidInput> {
        SlaPolicy::new(
            TimeDelta::minutes(i64::from(self.first_response_minutes)),
            TimeDelta::minutes(i64::from(self.next_response_minutes)),
            TimeDelta::minutes(i64::from(self.warn_before_minutes)),
            schedule,
        )
    }
}

/// channel, network, handle, remote id, hidden at.
type HideDbRow = (Uuid, String, String, String, Option<DateTime<Utc>>);

/// channel, assignee, opened, first responded, first response due, team.
type ReportDbRow = (
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<Uuid>,
);

/// conversation, inbound, created, sent, channel, who answered (else the assignee), team.
type ReplyDbRow = (
    Uuid,
    bool,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    String,
    Option<String>,
    Option<Uuid>,
);

/// A message to hide on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HideTarget {
    pub message_id: Uuid,
    pub channel_id: ChannelId,
    pub network: String,
    pub handle: String,
    pub remote_id: String,
    /// Already hidden.
    pub hidden: bool,
}

/// What the rules said when run over a message that is not stored (the "test this rule" preview).
#[derive(Debug, Clone, Serialize)]
pub struct FiredRule {
    pub id: RuleId,
    pub name: String,
    pub actions: Vec<Action>,
}

/// Everything ingest needs to route one organisation's messages, loaded once per batch inside the
/// ingest transaction.
pub(crate) struct RoutingSetup {
    pub rules: Vec<Rule>,
    pub needs_contact_tags: bool,
    pub workspaces: HashMap<Uuid, (Option<TeamId>, bool)>,
    pub teams: HashMap<Uuid, TeamRow>,
    pub policies: Vec<(SlaPolicyRecord, ScopedPolicy)>,
    /// The policies as `owlery_domain::sla::book::choose` takes them.
    pub scoped: Vec<ScopedPolicy>,
    /// Policies counted in business hours (a policy for everyone takes the conversation's
    /// team's hours).
    pub business: HashSet<SlaPolicyId>,
    /// Users a rule may assign or notify: active members of the organisation.
    pub users: HashSet<Uuid>,
}

pub(crate) struct TeamRow {
    pub mode: AssignmentMode,
    pub max_open: Option<u32>,
    pub lead: Option<UserId>,
    pub schedule: Schedule,
    pub last_assigned: Option<UserId>,
}

/// A JSON column into a value, or `Corrupt`.
pub(crate) fn json_col<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|_| corrupt_col(what))
}

fn cap_of(v: Option<i64>) -> Option<u32> {
    v.and_then(|n| u32::try_from(n).ok())
}

macro_rules! rule_from_row {
    ($row:ident) => {{
        let match_mode: String = $row.try_get(4)?;
        let conditions: String = $row.try_get(5)?;
        let actions: String = $row.try_get(6)?;
        let workspaces: String = $row.try_get(8)?;
        owlery_domain::inbox::rules::Rule {
            id: owlery_domain::RuleId($row.try_get(0)?),
            position: $row.try_get(1)?,
            spec: owlery_domain::inbox::rules::RuleSpec {
                name: $row.try_get(2)?,
                enabled: $row.try_get(3)?,
                match_mode: owlery_domain::inbox::rules::MatchMode::parse(&match_mode)
                    .ok_or_else(|| $crate::inbox_rules::corrupt_col("match mode"))?,
                conditions: $crate::inbox_rules::json_col(&conditions, "conditions")?,
                actions: $crate::inbox_rules::json_col(&actions, "actions")?,
                stop: $row.try_get(7)?,
                workspaces: $crate::inbox_rules::json_col(&workspaces, "workspaces")?,
            },
        }
    }};
}

pub(crate) use rule_from_row;

pub(crate) const RULE_SELECT: &str = "SELECT id, position, name, enabled, match_mode, conditions, actions, \
     stop, workspaces FROM inbox_rules";

macro_rules! policy_from_row {
    ($row:ident) => {{
        let priority: Option<String> = $row.try_get(4)?;
        let minutes =
            |v: i64| u32::try_from(v).map_err(|_| $crate::inbox_rules::corrupt_col("minutes"));
        $crate::inbox_rules::SlaPolicyRecord {
            id: owlery_domain::SlaPolicyId($row.try_get(0)?),
            spec: $crate::inbox_rules::SlaPolicySpec {
                name: $row.try_get(1)?,
                workspace_id: $row
                    .try_get::<Option<uuid::Uuid>, _>(2)?
                    .map(owlery_domain::WorkspaceId),
                team_id: $row
                    .try_get::<Option<uuid::Uuid>, _>(3)?
                    .map(owlery_domain::TeamId),
                priority: match priority {
                    Some(p) => Some(
                        owlery_domain::inbox::Priority::parse(&p)
                            .ok_or_else(|| $crate::inbox_rules::corrupt_col("priority"))?,
                    ),
                    None => None,
                },
                first_response_minutes: minutes($row.try_get(5)?)?,
                next_response_minutes: minutes($row.try_get(6)?)?,
                warn_before_minutes: minutes($row.try_get(7)?)?,
                business_hours: $row.try_get(8)?,
                escalate_notify_lead: $row.try_get(9)?,
                escalate_reassign: $row.try_get(10)?,
                escalate_raise_priority: $row.try_get(11)?,
            },
        }
    }};
}

pub(crate) use policy_from_row;

pub(crate) const POLICY_SELECT: &str = "SELECT id, name, workspace_id, team_id, priority, \
     first_response_minutes, next_response_minutes, warn_before_minutes, business_hours, \
     escalate_notify_lead, escalate_reassign, escalate_raise_priority FROM inbox_sla_policies";

/// Load what routing needs for `org` inside a transaction (a macro: the transaction type differs
/// per backend).
macro_rules! load_routing {
    ($tx:ident, $org:expr) => {{
        let org: owlery_domain::OrgId = $org;
        let mut rules = Vec::new();
        for row in sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE org_id = $1 AND enabled = $2 ORDER BY position, id",
            $crate::inbox_rules::RULE_SELECT
        )))
        .bind(org.0)
        .bind(true)
        .fetch_all(&mut *$tx)
        .await?
        {
            rules.push($crate::inbox_rules::rule_from_row!(row));
        }
        let needs_contact_tags = rules.iter().any(|r| {
            r.spec
                .conditions
                .iter()
                .any(|c| matches!(c, owlery_domain::inbox::rules::Condition::ContactTag { .. }))
        });
        let mut workspaces = std::collections::HashMap::new();
        for row in sqlx::query(
            "SELECT s.workspace_id, s.default_team_id, s.hide_abusive FROM inbox_workspace_settings s \
             JOIN workspaces w ON w.id = s.workspace_id WHERE w.org_id = $1",
        )
        .bind(org.0)
        .fetch_all(&mut *$tx)
        .await?
        {
            let w: uuid::Uuid = row.try_get(0)?;
            let team: Option<uuid::Uuid> = row.try_get(1)?;
            workspaces.insert(w, (team.map(owlery_domain::TeamId), row.try_get::<bool, _>(2)?));
        }
        let mut teams = std::collections::HashMap::new();
        for row in sqlx::query(
            "SELECT t.id, s.assignment_mode, s.max_open, s.lead_user_id, s.time_zone, s.hours, \
             s.holidays, s.last_assigned_user_id FROM teams t \
             LEFT JOIN inbox_team_settings s ON s.team_id = t.id WHERE t.org_id = $1",
        )
        .bind(org.0)
        .fetch_all(&mut *$tx)
        .await?
        {
            let id: uuid::Uuid = row.try_get(0)?;
            let mode: Option<String> = row.try_get(1)?;
            let zone: Option<String> = row.try_get(4)?;
            let hours: Option<String> = row.try_get(5)?;
            let holidays: Option<String> = row.try_get(6)?;
            // Stored settings were checked when saved; should one no longer parse (a zone
            // removed from the database), count around the clock rather than stop ingesting.
            let schedule = owlery_domain::sla::book::schedule_from(
                zone.as_deref().unwrap_or("UTC"),
                hours.as_deref(),
                holidays.as_deref().unwrap_or(""),
            )
            .unwrap_or(owlery_domain::sla::Schedule::AroundTheClock);
            teams.insert(
                id,
                $crate::inbox_rules::TeamRow {
                    mode: mode
                        .as_deref()
                        .and_then(owlery_domain::inbox::assignment::AssignmentMode::parse)
                        .unwrap_or_default(),
                    max_open: $crate::inbox_rules::cap_of_pub(row.try_get(2)?),
                    lead: row.try_get::<Option<uuid::Uuid>, _>(3)?.map(owlery_domain::UserId),
                    schedule,
                    last_assigned: row.try_get::<Option<uuid::Uuid>, _>(7)?.map(owlery_domain::UserId),
                },
            );
        }
        let mut policies = Vec::new();
        for row in sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE org_id = $1 ORDER BY created_at, id",
            $crate::inbox_rules::POLICY_SELECT
        )))
        .bind(org.0)
        .fetch_all(&mut *$tx)
        .await?
        {
            let rec = $crate::inbox_rules::policy_from_row!(row);
            let schedule = match (rec.spec.business_hours, rec.spec.team_id) {
                (true, Some(t)) => teams
                    .get(&t.0)
                    .map(|t: &$crate::inbox_rules::TeamRow| t.schedule.clone())
                    .unwrap_or(owlery_domain::sla::Schedule::AroundTheClock),
                _ => owlery_domain::sla::Schedule::AroundTheClock,
            };
            if let Ok(policy) = rec.spec.policy(schedule) {
                let scoped = owlery_domain::sla::book::ScopedPolicy {
                    id: rec.id,
                    workspace: rec.spec.workspace_id,
                    team: rec.spec.team_id,
                    priority: rec.spec.priority,
                    policy,
                };
                policies.push((rec, scoped));
            }
        }
        let mut users = std::collections::HashSet::new();
        let wanted: Vec<uuid::Uuid> = rules
            .iter()
            .flat_map(|r| r.spec.actions.iter())
            .filter_map(|a| match a {
                owlery_domain::inbox::rules::Action::AssignPerson { user_id } | owlery_domain::inbox::rules::Action::Notify { user_id } => Some(user_id.0),
                _ => None,
            })
            .chain(teams.values().filter_map(|t: &$crate::inbox_rules::TeamRow| t.lead.map(|u| u.0)))
            .collect();
        if !wanted.is_empty() {
            let mut q = sqlx::QueryBuilder::new("SELECT id FROM users WHERE status <> 'disabled' AND org_id = ");
            q.push_bind(org.0).push(" AND id IN (");
            let mut sep = q.separated(", ");
            for u in &wanted {
                sep.push_bind(*u);
            }
            q.push(")");
            for row in q.build().fetch_all(&mut *$tx).await? {
                users.insert(row.try_get::<uuid::Uuid, _>(0)?);
            }
        }
        let scoped = policies.iter().map(|(_, p)| p.clone()).collect();
        let business = policies
            .iter()
            .filter(|(r, _)| r.spec.business_hours)
            .map(|(r, _)| r.id)
            .collect();
        $crate::inbox_rules::RoutingSetup {
            rules,
            needs_contact_tags,
            workspaces,
            teams,
            policies,
            scoped,
            business,
            users,
        }
    }};
}
pub(crate) use load_routing;

/// Pick assignees for `wanted` conversations of `team` (in order), counting open conversations
/// and updating the team's round-robin position. Inside the ingest (or sweep) transaction.
macro_rules! assign_in_team {
    ($tx:ident, $pg:ident, $team:expr, $row:expr, $n:expr) => {{
        let team: owlery_domain::TeamId = $team;
        let row: &$crate::inbox_rules::TeamRow = $row;
        let n: usize = $n;
        if $pg {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind($crate::inbox_rules::assign_lock())
                .execute(&mut *$tx)
                .await?;
        }
        let rows = sqlx::query(
            "SELECT m.user_id, p.status, p.max_open, \
             (SELECT COUNT(*) FROM inbox_conversations c WHERE c.assignee_id = m.user_id AND c.status = 'open') \
             FROM team_members m JOIN users u ON u.id = m.user_id \
             LEFT JOIN inbox_presence p ON p.user_id = m.user_id \
             WHERE m.team_id = $1 AND u.status <> 'disabled'",
        )
        .bind(team.0)
        .fetch_all(&mut *$tx)
        .await?;
        let mut candidates = Vec::with_capacity(rows.len());
        for r in rows {
            let status: Option<String> = r.try_get(1)?;
            let own: Option<i64> = r.try_get(2)?;
            let open: i64 = r.try_get(3)?;
            candidates.push(owlery_domain::inbox::assignment::Candidate {
                user: owlery_domain::UserId(r.try_get(0)?),
                presence: status
                    .as_deref()
                    .and_then(owlery_domain::inbox::assignment::Presence::parse)
                    .unwrap_or_default(),
                open: u32::try_from(open).unwrap_or(u32::MAX),
                cap: $crate::inbox_rules::cap_of_pub(own).or(row.max_open),
            });
        }
        let picks = owlery_domain::inbox::assignment::pick_many(
            row.mode,
            &mut candidates,
            row.last_assigned,
            n,
        );
        if let Some(last) = picks.iter().rev().flatten().next() {
            sqlx::query(
                "UPDATE inbox_team_settings SET last_assigned_user_id = $1 WHERE team_id = $2",
            )
            .bind(last.0)
            .bind(team.0)
            .execute(&mut *$tx)
            .await?;
        }
        picks
    }};
}
pub(crate) use assign_in_team;

pub(crate) fn assign_lock() -> i64 {
    ASSIGN_LOCK
}

pub(crate) fn cap_of_pub(v: Option<i64>) -> Option<u32> {
    cap_of(v)
}

impl Store {
    // ---- Rules ---------------------------------------------------------------------------

    /// The organisation's rules in order.
    pub async fn inbox_rules(&self, org: OrgId) -> Result<Vec<Rule>> {
        with_pool!(self, |pool, _pg| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{RULE_SELECT} WHERE org_id = $1 ORDER BY position, id"
            )))
            .bind(org.0)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(rule_from_row!(row));
            }
            Ok(out)
        })
    }

    pub async fn inbox_rule(&self, org: OrgId, id: RuleId) -> Result<Rule> {
        self.inbox_rules(org)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound("rule"))
    }

    /// Check that what a rule names (channels, workspaces, teams, people) is the organisation's.
    async fn check_rule_refs(&self, org: OrgId, spec: &RuleSpec) -> Result<()> {
        let mut channels: Vec<Uuid> = Vec::new();
        let mut workspaces: Vec<Uuid> = spec.workspaces.iter().map(|w| w.0).collect();
        let mut teams: Vec<Uuid> = Vec::new();
        let mut users: Vec<Uuid> = Vec::new();
        for c in &spec.conditions {
            match c {
                Condition::Channel { channel_id } => channels.push(channel_id.0),
                Condition::Workspace { workspace_id } => workspaces.push(workspace_id.0),
                _ => {}
            }
        }
        for a in &spec.actions {
            match a {
                Action::AssignTeam { team_id } => teams.push(team_id.0),
                Action::AssignPerson { user_id } | Action::Notify { user_id } => {
                    users.push(user_id.0)
                }
                _ => {}
            }
        }
        let checks: [(&str, &[Uuid], &str, &'static str, &str); 4] = [
            (
                "SELECT c.id FROM channels c JOIN workspaces w ON w.id = c.workspace_id WHERE w.org_id = $1 AND c.id = $2",
                &channels,
                "unknown_channel",
                "conditions",
                "a channel",
            ),
            (
                "SELECT id FROM workspaces WHERE org_id = $1 AND id = $2",
                &workspaces,
                "unknown_workspace",
                "workspaces",
                "a workspace",
            ),
            (
                "SELECT id FROM teams WHERE org_id = $1 AND id = $2",
                &teams,
                "unknown_team",
                "actions",
                "a team",
            ),
            (
                "SELECT id FROM users WHERE org_id = $1 AND id = $2 AND status <> 'disabled'",
                &users,
                "unknown_user",
                "actions",
                "an active person",
            ),
        ];
        // An automatic answer names a saved reply of the organisation; one kept for a single
        // workspace may only answer there, so the rule must be limited to that workspace.
        for a in &spec.actions {
            if let Action::AutoReply { saved_reply_id } = a {
                let found: Option<(Option<Uuid>,)> = with_pool!(self, |pool, _pg| {
                    sqlx::query_as(
                        "SELECT workspace_id FROM inbox_saved_replies WHERE org_id = $1 AND id = $2",
                    )
                    .bind(org.0)
                    .bind(*saved_reply_id)
                    .fetch_optional(pool)
                    .await?
                });
                match found {
                    None => {
                        return Err(InvalidInput::new(
                            "actions",
                            "unknown_saved_reply",
                            format!("{saved_reply_id} is not a saved reply of the organisation."),
                        )
                        .into());
                    }
                    Some((Some(w),)) if spec.workspaces != [WorkspaceId(w)] => {
                        return Err(InvalidInput::new(
                            "actions",
                            "saved_reply_workspace",
                            "This saved reply is kept for one workspace: limit the rule to that \
                             workspace, or choose a saved reply for the whole organisation.",
                        )
                        .into());
                    }
                    Some(_) => {}
                }
            }
        }
        for (sql, ids, code, field, what) in checks {
            for id in ids {
                let found: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
                    sqlx::query_as(sql)
                        .bind(org.0)
                        .bind(*id)
                        .fetch_optional(pool)
                        .await?
                });
                if found.is_none() {
                    return Err(InvalidInput::new(
                        field,
                        code,
                        format!("{id} is not {what} of the organisation."),
                    )
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Add a rule at the end of the order (audited).
    pub async fn create_inbox_rule(
        &self,
        actor: &Actor,
        org: OrgId,
        spec: RuleSpec,
    ) -> Result<Rule> {
        let spec = spec.validate()?;
        self.check_rule_refs(org, &spec).await?;
        let id = RuleId::new();
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let (count, max): (i64, Option<i64>) =
                sqlx::query_as("SELECT COUNT(*), MAX(position) FROM inbox_rules WHERE org_id = $1")
                    .bind(org.0)
                    .fetch_one(&mut *tx)
                    .await?;
            if count >= MAX_RULES {
                return Err(InvalidInput::new(
                    "rules",
                    "too_many_rules",
                    format!("An organisation has at most {MAX_RULES} rules."),
                )
                .into());
            }
            let position = max.unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO inbox_rules (id, org_id, position, name, enabled, match_mode, conditions, \
                 actions, stop, workspaces, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
            )
            .bind(id.0)
            .bind(org.0)
            .bind(position)
            .bind(&spec.name)
            .bind(spec.enabled)
            .bind(spec.match_mode.code())
            .bind(serde_json::to_string(&spec.conditions).map_err(|_| corrupt_col("conditions"))?)
            .bind(serde_json::to_string(&spec.actions).map_err(|_| corrupt_col("actions"))?)
            .bind(spec.stop)
            .bind(serde_json::to_string(&spec.workspaces).map_err(|_| corrupt_col("workspaces"))?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox_rule.create",
                    "inbox_rule",
                    Some(id.to_string()),
                    None,
                    serde_json::to_value(&spec).ok()
                ),
                now
            );
            Ok(())
        })?;
        self.inbox_rule(org, id).await
    }

    /// Replace a rule's definition (its place stays; audited).
    pub async fn update_inbox_rule(
        &self,
        actor: &Actor,
        org: OrgId,
        id: RuleId,
        spec: RuleSpec,
    ) -> Result<Rule> {
        let spec = spec.validate()?;
        let before = self.inbox_rule(org, id).await?;
        self.check_rule_refs(org, &spec).await?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE inbox_rules SET name = $1, enabled = $2, match_mode = $3, conditions = $4, \
                 actions = $5, stop = $6, workspaces = $7, updated_at = $8 WHERE id = $9 AND org_id = $10",
            )
            .bind(&spec.name)
            .bind(spec.enabled)
            .bind(spec.match_mode.code())
            .bind(serde_json::to_string(&spec.conditions).map_err(|_| corrupt_col("conditions"))?)
            .bind(serde_json::to_string(&spec.actions).map_err(|_| corrupt_col("actions"))?)
            .bind(spec.stop)
            .bind(serde_json::to_string(&spec.workspaces).map_err(|_| corrupt_col("workspaces"))?)
            .bind(now)
            .bind(id.0)
            .bind(org.0)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox_rule.update",
                    "inbox_rule",
                    Some(id.to_string()),
                    serde_json::to_value(&before.spec).ok(),
                    serde_json::to_value(&spec).ok()
                ),
                now
            );
            Ok(())
        })?;
        self.inbox_rule(org, id).await
    }

    /// Turn a rule on or off (audited).
    pub async fn set_inbox_rule_enabled(
        &self,
        actor: &Actor,
        org: OrgId,
        id: RuleId,
        enabled: bool,
    ) -> Result<Rule> {
        let mut rule = self.inbox_rule(org, id).await?;
        rule.spec.enabled = enabled;
        self.update_inbox_rule(actor, org, id, rule.spec).await
    }

    /// Delete a rule (audited).
    pub async fn delete_inbox_rule(&self, actor: &Actor, org: OrgId, id: RuleId) -> Result<()> {
        let before = self.inbox_rule(org, id).await?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query("DELETE FROM inbox_rules WHERE id = $1 AND org_id = $2")
                .bind(id.0)
                .bind(org.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox_rule.delete",
                    "inbox_rule",
                    Some(id.to_string()),
                    serde_json::to_value(&before.spec).ok(),
                    None
                ),
                now
            );
            Ok(())
        })
    }

    /// Move a rule one place earlier (`up`) or later in the order (audited). At either end it
    /// stays.
    pub async fn move_inbox_rule(
        &self,
        actor: &Actor,
        org: OrgId,
        id: RuleId,
        up: bool,
    ) -> Result<Vec<Rule>> {
        let rules = self.inbox_rules(org).await?;
        let i = rules
            .iter()
            .position(|r| r.id == id)
            .ok_or(StoreError::NotFound("rule"))?;
        let j = if up { i.checked_sub(1) } else { Some(i + 1) };
        let Some(other) = j.and_then(|j| rules.get(j)) else {
            return Ok(rules);
        };
        let me = &rules[i];
        let now = self.now();
        with_tx!(self, |tx, pg| {
            // Renumber densely, then swap: positions may have gaps or ties.
            for (k, r) in rules.iter().enumerate() {
                let pos = if r.id == me.id {
                    j.unwrap_or(k)
                } else if r.id == other.id {
                    i
                } else {
                    k
                };
                sqlx::query("UPDATE inbox_rules SET position = $1 WHERE id = $2")
                    .bind(i64::try_from(pos).unwrap_or(i64::MAX) + 1)
                    .bind(r.id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox_rule.move",
                    "inbox_rule",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "position": i + 1 })),
                    Some(serde_json::json!({ "position": j.map(|j| j + 1) }))
                ),
                now
            );
            Ok(())
        })?;
        self.inbox_rules(org).await
    }

    // ---- Team settings (presence: `crate::presence`) ------------------------------------

    /// Every team's inbox settings (defaults for teams never configured).
    pub async fn team_inbox_settings(&self, org: OrgId) -> Result<Vec<TeamInboxSettings>> {
        with_pool!(self, |pool, _pg| {
            let rows = sqlx::query(
                "SELECT t.id, t.name, s.assignment_mode, s.max_open, s.lead_user_id, s.time_zone, \
                 s.hours, s.holidays FROM teams t LEFT JOIN inbox_team_settings s ON s.team_id = t.id \
                 WHERE t.org_id = $1 ORDER BY lower(t.name), t.id",
            )
            .bind(org.0)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let mode: Option<String> = row.try_get(2)?;
                out.push(TeamInboxSettings {
                    team_id: TeamId(row.try_get(0)?),
                    team_name: row.try_get(1)?,
                    assignment_mode: mode
                        .as_deref()
                        .and_then(AssignmentMode::parse)
                        .unwrap_or_default(),
                    max_open: cap_of(row.try_get(3)?),
                    lead_user_id: row.try_get::<Option<Uuid>, _>(4)?.map(UserId),
                    time_zone: row
                        .try_get::<Option<String>, _>(5)?
                        .unwrap_or_else(|| "UTC".into()),
                    hours: row.try_get(6)?,
                    holidays: row.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
                });
            }
            Ok(out)
        })
    }

    /// Change a team's inbox settings (checked: zone, hours, holidays, cap, lead). Audited.
    pub async fn set_team_inbox_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        settings: &TeamInboxSettings,
    ) -> Result<TeamInboxSettings> {
        let all = self.team_inbox_settings(org).await?;
        let before = all
            .iter()
            .find(|t| t.team_id == settings.team_id)
            .ok_or(StoreError::NotFound("team"))?;
        let hours = settings
            .hours
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned);
        schedule_from(&settings.time_zone, hours.as_deref(), &settings.holidays)?;
        if settings.max_open.is_some_and(|c| c > MAX_CAP) {
            return Err(InvalidInput::new(
                "max_open",
                "invalid_cap",
                format!("A cap is at most {MAX_CAP} open conversations."),
            )
            .into());
        }
        if let Some(lead) = settings.lead_user_id {
            let ok: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
                sqlx::query_as(
                    "SELECT id FROM users WHERE id = $1 AND org_id = $2 AND status <> 'disabled'",
                )
                .bind(lead.0)
                .bind(org.0)
                .fetch_optional(pool)
                .await?
            });
            if ok.is_none() {
                return Err(InvalidInput::new(
                    "lead_user_id",
                    "unknown_user",
                    "The lead must be an active person of the organisation.",
                )
                .into());
            }
        }
        let now = self.now();
        let after = TeamInboxSettings {
            team_name: before.team_name.clone(),
            hours,
            time_zone: settings.time_zone.trim().to_owned(),
            holidays: settings.holidays.trim().to_owned(),
            ..settings.clone()
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO inbox_team_settings (team_id, assignment_mode, max_open, lead_user_id, \
                 time_zone, hours, holidays, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (team_id) DO UPDATE SET assignment_mode = excluded.assignment_mode, \
                 max_open = excluded.max_open, lead_user_id = excluded.lead_user_id, \
                 time_zone = excluded.time_zone, hours = excluded.hours, holidays = excluded.holidays, \
                 updated_at = excluded.updated_at",
            )
            .bind(after.team_id.0)
            .bind(after.assignment_mode.code())
            .bind(after.max_open.map(i64::from))
            .bind(after.lead_user_id.map(|u| u.0))
            .bind(&after.time_zone)
            .bind(after.hours.as_deref())
            .bind(&after.holidays)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "team.inbox_settings",
                    "team",
                    Some(after.team_id.to_string()),
                    serde_json::to_value(before).ok(),
                    serde_json::to_value(&after).ok()
                ),
                now
            );
            Ok(())
        })?;
        Ok(after)
    }

    /// Every workspace's inbox defaults.
    pub async fn workspace_inbox_settings(
        &self,
        org: OrgId,
    ) -> Result<Vec<WorkspaceInboxSettings>> {
        with_pool!(self, |pool, _pg| {
            let rows = sqlx::query(
                "SELECT w.id, w.name, s.default_team_id, s.hide_abusive FROM workspaces w \
                 LEFT JOIN inbox_workspace_settings s ON s.workspace_id = w.id \
                 WHERE w.org_id = $1 ORDER BY lower(w.name), w.id",
            )
            .bind(org.0)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(WorkspaceInboxSettings {
                    workspace_id: WorkspaceId(row.try_get(0)?),
                    workspace_name: row.try_get(1)?,
                    default_team_id: row.try_get::<Option<Uuid>, _>(2)?.map(TeamId),
                    hide_abusive: row.try_get::<Option<bool>, _>(3)?.unwrap_or(false),
                });
            }
            Ok(out)
        })
    }

    /// Change a workspace's default team and abuse setting (audited).
    pub async fn set_workspace_inbox_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        workspace: WorkspaceId,
        default_team: Option<TeamId>,
        hide_abusive: bool,
    ) -> Result<WorkspaceInboxSettings> {
        let all = self.workspace_inbox_settings(org).await?;
        let before = all
            .iter()
            .find(|w| w.workspace_id == workspace)
            .ok_or(StoreError::NotFound("workspace"))?;
        if let Some(t) = default_team {
            let ok: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
                sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND org_id = $2")
                    .bind(t.0)
                    .bind(org.0)
                    .fetch_optional(pool)
                    .await?
            });
            if ok.is_none() {
                return Err(InvalidInput::new(
                    "default_team_id",
                    "unknown_team",
                    "Choose a team of the organisation.",
                )
                .into());
            }
        }
        let now = self.now();
        let after = WorkspaceInboxSettings {
            default_team_id: default_team,
            hide_abusive,
            ..before.clone()
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO inbox_workspace_settings (workspace_id, default_team_id, hide_abusive, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id) DO UPDATE SET \
                 default_team_id = excluded.default_team_id, hide_abusive = excluded.hide_abusive, \
                 updated_at = excluded.updated_at",
            )
            .bind(workspace.0)
            .bind(default_team.map(|t| t.0))
            .bind(hide_abusive)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "workspace.inbox_settings",
                    "workspace",
                    Some(workspace.to_string()),
                    serde_json::to_value(before).ok(),
                    serde_json::to_value(&after).ok()
                ),
                now
            );
            Ok(())
        })?;
        Ok(after)
    }

    // ---- SLA policies --------------------------------------------------------------------

    pub async fn sla_policies(&self, org: OrgId) -> Result<Vec<SlaPolicyRecord>> {
        with_pool!(self, |pool, _pg| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{POLICY_SELECT} WHERE org_id = $1 ORDER BY created_at, id"
            )))
            .bind(org.0)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(policy_from_row!(row));
            }
            Ok(out)
        })
    }

    /// Add an SLA policy (checked; audited).
    pub async fn create_sla_policy(
        &self,
        actor: &Actor,
        org: OrgId,
        spec: SlaPolicySpec,
    ) -> Result<SlaPolicyRecord> {
        let spec = spec.validate()?;
        if let Some(w) = spec.workspace_id {
            let ok: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
                sqlx::query_as("SELECT id FROM workspaces WHERE id = $1 AND org_id = $2")
                    .bind(w.0)
                    .bind(org.0)
                    .fetch_optional(pool)
                    .await?
            });
            if ok.is_none() {
                return Err(InvalidInput::new(
                    "workspace_id",
                    "unknown_workspace",
                    "Choose a workspace of the organisation.",
                )
                .into());
            }
        }
        if let Some(t) = spec.team_id {
            let ok: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
                sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND org_id = $2")
                    .bind(t.0)
                    .bind(org.0)
                    .fetch_optional(pool)
                    .await?
            });
            if ok.is_none() {
                return Err(InvalidInput::new(
                    "team_id",
                    "unknown_team",
                    "Choose a team of the organisation.",
                )
                .into());
            }
        }
        let id = SlaPolicyId::new();
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let (count,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM inbox_sla_policies WHERE org_id = $1")
                    .bind(org.0)
                    .fetch_one(&mut *tx)
                    .await?;
            if count >= MAX_POLICIES {
                return Err(InvalidInput::new(
                    "policies",
                    "too_many_policies",
                    format!("An organisation has at most {MAX_POLICIES} SLA policies."),
                )
                .into());
            }
            sqlx::query(
                "INSERT INTO inbox_sla_policies (id, org_id, name, workspace_id, team_id, priority, \
                 first_response_minutes, next_response_minutes, warn_before_minutes, business_hours, \
                 escalate_notify_lead, escalate_reassign, escalate_raise_priority, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
            )
            .bind(id.0)
            .bind(org.0)
            .bind(&spec.name)
            .bind(spec.workspace_id.map(|w| w.0))
            .bind(spec.team_id.map(|t| t.0))
            .bind(spec.priority.map(|p| p.code()))
            .bind(i64::from(spec.first_response_minutes))
            .bind(i64::from(spec.next_response_minutes))
            .bind(i64::from(spec.warn_before_minutes))
            .bind(spec.business_hours)
            .bind(spec.escalate_notify_lead)
            .bind(spec.escalate_reassign)
            .bind(spec.escalate_raise_priority)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "sla_policy.create",
                    "sla_policy",
                    Some(id.to_string()),
                    None,
                    serde_json::to_value(&spec).ok()
                ),
                now
            );
            Ok(())
        })?;
        Ok(SlaPolicyRecord { id, spec })
    }

    /// Delete an SLA policy (audited). Conversations keep the deadlines they have.
    pub async fn delete_sla_policy(
        &self,
        actor: &Actor,
        org: OrgId,
        id: SlaPolicyId,
    ) -> Result<()> {
        let before = self
            .sla_policies(org)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(StoreError::NotFound("SLA policy"))?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query("DELETE FROM inbox_sla_policies WHERE id = $1 AND org_id = $2")
                .bind(id.0)
                .bind(org.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "sla_policy.delete",
                    "sla_policy",
                    Some(id.to_string()),
                    serde_json::to_value(&before.spec).ok(),
                    None
                ),
                now
            );
            Ok(())
        })
    }

    // ---- Escalation ----------------------------------------------------------------------

    /// Warn about deadlines close to breach and escalate breached ones, each once per deadline
    /// (a new deadline is a new episode). Warning: the assignee (else the team's lead) is told.
    /// Breach: per the conversation's policy, the lead is told, the conversation re-assigned
    /// within its team, its priority raised. Audited. Returns (warned, escalated).
    pub async fn sla_sweep(&self, limit: i64) -> Result<(usize, usize)> {
        let now = self.now();
        // Candidates first (cheap, indexed), then each handled in its own transaction that
        // re-checks, so two sweepers never act twice.
        let due: Vec<(Uuid, bool)> = with_pool!(self, |pool, _pg| {
            let rows = sqlx::query(
                "SELECT id, next_response_due <= $1 FROM inbox_conversations \
                 WHERE next_response_warn_at <= $1 AND status = 'open' AND next_response_due IS NOT NULL \
                 AND ((sla_warned_for IS NULL OR sla_warned_for <> next_response_due) \
                   OR (next_response_due <= $1 AND (sla_escalated_for IS NULL OR sla_escalated_for <> next_response_due))) \
                 ORDER BY next_response_warn_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get(0)?, r.try_get(1)?));
            }
            out
        });
        let (mut warned, mut escalated) = (0, 0);
        for (id, breached) in due {
            match self.sla_step(ConversationId(id), breached, now).await? {
                Some(true) => escalated += 1,
                Some(false) => warned += 1,
                None => {}
            }
        }
        Ok((warned, escalated))
    }

    /// One conversation's warning or escalation. `Some(true)`: escalated; `Some(false)`: warned.
    async fn sla_step(
        &self,
        id: ConversationId,
        breached: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>> {
        let actor = Actor::system();
        with_tx!(self, |tx, pg| {
            let lock = if pg { " FOR UPDATE OF c" } else { "" };
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT c.next_response_due, c.sla_warned_for, c.sla_escalated_for, c.assignee_id, \
                 c.team_id, c.priority, c.sla_policy_id, c.preview, w.org_id, c.status \
                 FROM inbox_conversations c JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = $1{lock}"
            )))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let due: Option<DateTime<Utc>> = row.try_get(0)?;
            let warned_for: Option<DateTime<Utc>> = row.try_get(1)?;
            let escalated_for: Option<DateTime<Utc>> = row.try_get(2)?;
            let assignee: Option<Uuid> = row.try_get(3)?;
            let team: Option<Uuid> = row.try_get(4)?;
            let priority: String = row.try_get(5)?;
            let policy: Option<Uuid> = row.try_get(6)?;
            let preview: String = row.try_get(7)?;
            let org = OrgId(row.try_get(8)?);
            let status: String = row.try_get(9)?;
            let Some(due) = due else { return Ok(None) };
            if status != ConversationStatus::Open.code() {
                return Ok(None);
            }
            let setup = load_routing!(tx, org);
            let team_row = team.and_then(|t| setup.teams.get(&t));
            let lead = team_row
                .and_then(|t| t.lead)
                .filter(|u| setup.users.contains(&u.0));
            let link = format!("/inbox/c/{id}");
            let params = serde_json::json!({ "title": preview, "due": due.to_rfc3339() });
            if breached && due <= now && escalated_for != Some(due) {
                let spec = policy
                    .and_then(|p| setup.policies.iter().find(|(r, _)| r.id.0 == p))
                    .map(|(r, _)| r.spec.clone());
                let (notify_lead, reassign, raise) = spec
                    .as_ref()
                    .map(|s| {
                        (
                            s.escalate_notify_lead,
                            s.escalate_reassign,
                            s.escalate_raise_priority,
                        )
                    })
                    .unwrap_or((true, false, false));
                let mut done = serde_json::Map::new();
                if notify_lead {
                    let who = lead.map(|l| l.0).or(assignee);
                    if let Some(u) = who {
                        insert_notification!(
                            tx,
                            &NewNotification {
                                user_id: UserId(u),
                                kind: "inbox_sla_breached".into(),
                                params: params.clone(),
                                link: Some(link.clone()),
                                email: true,
                            },
                            now
                        );
                        done.insert("notified".into(), serde_json::json!(u.to_string()));
                    }
                }
                let mut new_assignee = assignee;
                if reassign && let (Some(t), Some(tr)) = (team, team_row) {
                    // Someone else of the team, by its mode (round-robin when it is manual).
                    let mode = match tr.mode {
                        AssignmentMode::Manual => AssignmentMode::RoundRobin,
                        m => m,
                    };
                    let helper = TeamRow {
                        mode,
                        max_open: tr.max_open,
                        lead: tr.lead,
                        schedule: Schedule::AroundTheClock,
                        last_assigned: assignee.map(UserId).or(tr.last_assigned),
                    };
                    let picks = assign_in_team!(tx, pg, TeamId(t), &helper, 1);
                    if let Some(Some(u)) = picks.first()
                        && Some(u.0) != assignee
                    {
                        new_assignee = Some(u.0);
                        done.insert("reassigned_to".into(), serde_json::json!(u.to_string()));
                    }
                }
                let current = Priority::parse(&priority).unwrap_or(Priority::Normal);
                let new_priority = if raise {
                    match current {
                        Priority::Low => Priority::Normal,
                        Priority::Normal => Priority::High,
                        Priority::High | Priority::Urgent => Priority::Urgent,
                    }
                } else {
                    current
                };
                if new_priority != current {
                    done.insert("priority".into(), serde_json::json!(new_priority.code()));
                }
                sqlx::query(
                    "UPDATE inbox_conversations SET sla_escalated_for = $1, sla_warned_for = $1, \
                     assignee_id = $2, priority = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(due)
                .bind(new_assignee)
                .bind(new_priority.code())
                .bind(now)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                if new_assignee != assignee
                    && let Some(u) = new_assignee
                {
                    insert_notification!(
                        tx,
                        &NewNotification {
                            user_id: UserId(u),
                            kind: "inbox_assigned".into(),
                            params: params.clone(),
                            link: Some(link.clone()),
                            email: true,
                        },
                        now
                    );
                }
                append_audit!(
                    tx,
                    pg,
                    actor.entry(
                        "conversation.sla_escalate",
                        "conversation",
                        Some(id.to_string()),
                        Some(serde_json::json!({
                            "due": due,
                            "assignee_id": assignee.map(|u| u.to_string()),
                            "priority": current.code(),
                        })),
                        Some(serde_json::Value::Object(done))
                    ),
                    now
                );
                return Ok(Some(true));
            }
            if warned_for == Some(due) {
                return Ok(None);
            }
            let who = assignee.or(lead.map(|l| l.0));
            if let Some(u) = who {
                insert_notification!(
                    tx,
                    &NewNotification {
                        user_id: UserId(u),
                        kind: "inbox_sla_warning".into(),
                        params: params.clone(),
                        link: Some(link.clone()),
                        email: true,
                    },
                    now
                );
            }
            sqlx::query("UPDATE inbox_conversations SET sla_warned_for = $1 WHERE id = $2")
                .bind(due)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "conversation.sla_warn",
                    "conversation",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({
                        "due": due,
                        "notified": who.map(|u| u.to_string()),
                    }))
                ),
                now
            );
            Ok(Some(false))
        })
    }

    // ---- Hiding on the network ---------------------------------------------------------------

    /// What the hide job needs of a message: its channel and the network's id.
    pub async fn hide_target(&self, message: Uuid) -> Result<Option<HideTarget>> {
        let row: Option<HideDbRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                    "SELECT m.channel_id, ch.network, ch.handle, m.remote_id, m.hidden_at \
                     FROM inbox_messages m JOIN channels ch ON ch.id = m.channel_id WHERE m.id = $1",
                )
                .bind(message)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(
            |(channel, network, handle, remote_id, hidden_at)| HideTarget {
                message_id: message,
                channel_id: ChannelId(channel),
                network,
                handle,
                remote_id,
                hidden: hidden_at.is_some(),
            },
        ))
    }

    /// Record that a message was hidden on the network (`Ok`) or could not be (`Err(reason)`);
    /// audited and announced on the live bus (the request itself came with the ingest's event).
    pub async fn finish_hide(&self, message: Uuid, outcome: Result<(), String>) -> Result<()> {
        let now = self.now();
        let actor = Actor::system();
        let event = with_tx!(self, |tx, pg| {
            match &outcome {
                Ok(()) => {
                    sqlx::query(
                        "UPDATE inbox_messages SET hidden_at = $1, hide_error = NULL WHERE id = $2",
                    )
                    .bind(now)
                    .bind(message)
                    .execute(&mut *tx)
                    .await?;
                }
                Err(reason) => {
                    sqlx::query("UPDATE inbox_messages SET hide_error = $1 WHERE id = $2")
                        .bind(reason.chars().take(500).collect::<String>())
                        .bind(message)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    if outcome.is_ok() {
                        "message.hidden"
                    } else {
                        "message.hide_failed"
                    },
                    "message",
                    Some(message.to_string()),
                    None,
                    outcome
                        .as_ref()
                        .err()
                        .map(|r| serde_json::json!({ "reason": r }))
                ),
                now
            );
            Ok(message_event!(
                tx,
                self,
                message,
                crate::live::Change::Action,
                None
            ))
        })?;
        self.announce(event).await;
        Ok(())
    }

    // ---- Reports -------------------------------------------------------------------------

    /// One row per conversation opened in `[from, to)` (by its first inbound message) that the
    /// reader may see, with whether it opened within its team's business hours.
    pub async fn inbox_report_rows(
        &self,
        org: OrgId,
        scope: &InboxScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<ReportRow>> {
        let schedules = self.team_schedules(org).await?;
        let raw: Vec<ReportDbRow> = with_pool!(self, |pool, pg| {
            let mut q = QueryBuilder::new(
                "SELECT ch.name, u.name, c.opened_at, c.first_responded_at, c.first_response_due, c.team_id \
                     FROM inbox_conversations c JOIN channels ch ON ch.id = c.channel_id \
                     JOIN workspaces w ON w.id = c.workspace_id LEFT JOIN users u ON u.id = c.assignee_id \
                     WHERE w.org_id = ",
            );
            q.push_bind(org.0);
            crate::inbox::push_scope(&mut q, scope, pg);
            q.push(" AND c.opened_at >= ").push_bind(from);
            q.push(" AND c.opened_at < ").push_bind(to);
            if let Some(w) = workspace {
                q.push(" AND c.workspace_id = ").push_bind(w.0);
            }
            q.push(" LIMIT 500000");
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(raw
            .into_iter()
            .map(|(channel, agent, opened_at, responded, due, team)| {
                let business_hours = team
                    .and_then(|t| schedules.get(&t))
                    .is_none_or(|s| s.is_open(opened_at));
                ReportRow {
                    channel,
                    agent,
                    opened_at,
                    first_responded_at: responded,
                    first_response_due: due,
                    business_hours,
                }
            })
            .collect())
    }

    /// One row per reply a person sent in `[from, to)` on a conversation the reader may see,
    /// with since when the customer had been waiting ([`reply_waits`]: the earliest message
    /// since the previous reply; a rule's automatic answer does not end a wait) and whether
    /// they wrote within the team's business hours. Sent replies move the conversation's latest
    /// activity, so only conversations active since `from` are read, whole.
    pub async fn inbox_report_replies(
        &self,
        org: OrgId,
        scope: &InboxScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<ReplyRow>> {
        let schedules = self.team_schedules(org).await?;
        let raw: Vec<ReplyDbRow> = with_pool!(self, |pool, pg| {
            let mut q = QueryBuilder::new(
                "SELECT m.conversation_id, m.direction = 'inbound', m.created_at, m.sent_at, ch.name, \
                 COALESCE(ua.name, u.name), c.team_id \
                 FROM inbox_conversations c JOIN inbox_messages m ON m.conversation_id = c.id \
                 JOIN channels ch ON ch.id = c.channel_id JOIN workspaces w ON w.id = c.workspace_id \
                 LEFT JOIN users u ON u.id = c.assignee_id LEFT JOIN users ua ON ua.id = m.author_user_id \
                 WHERE w.org_id = ",
            );
            q.push_bind(org.0);
            crate::inbox::push_scope(&mut q, scope, pg);
            q.push(" AND c.last_message_at >= ").push_bind(from);
            q.push(" AND m.created_at < ").push_bind(to);
            q.push(
                " AND (m.direction = 'inbound' OR (m.auto_rule_id IS NULL \
                 AND (m.delivery IS NULL OR m.delivery = 'sent')))",
            );
            if let Some(w) = workspace {
                q.push(" AND c.workspace_id = ").push_bind(w.0);
            }
            q.push(" ORDER BY m.conversation_id LIMIT 2000000");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut out = Vec::new();
        for thread in raw.chunk_by(|a, b| a.0 == b.0) {
            let turns: Vec<(DateTime<Utc>, Turn)> = thread
                .iter()
                .map(|(_, inbound, created, sent, ..)| {
                    if *inbound {
                        (*created, Turn::Customer)
                    } else {
                        (sent.unwrap_or(*created), Turn::Reply)
                    }
                })
                .collect();
            for w in reply_waits(&turns) {
                let (asked_at, answered_at) = (turns[w.asked].0, turns[w.reply].0);
                if answered_at < from || answered_at >= to {
                    continue;
                }
                let (_, _, _, _, channel, agent, team) = &thread[w.reply];
                out.push(ReplyRow {
                    channel: channel.clone(),
                    agent: agent.clone(),
                    asked_at,
                    answered_at,
                    business_hours: team
                        .and_then(|t| schedules.get(&t))
                        .is_none_or(|s| s.is_open(asked_at)),
                });
            }
        }
        Ok(out)
    }

    /// Each team's business hours (around the clock when unset or unreadable).
    async fn team_schedules(&self, org: OrgId) -> Result<HashMap<Uuid, Schedule>> {
        Ok(self
            .team_inbox_settings(org)
            .await?
            .into_iter()
            .map(|t| {
                let s = schedule_from(&t.time_zone, t.hours.as_deref(), &t.holidays)
                    .unwrap_or(Schedule::AroundTheClock);
                (t.team_id.0, s)
            })
            .collect())
    }
}

/// The conversations a rule evaluation preview would touch: none — this only says which rules
/// fire for a message that is not stored.
pub fn preview(rules: &[Rule], facts: &owlery_domain::inbox::rules::Facts) -> Vec<FiredRule> {
    owlery_domain::inbox::rules::evaluate(rules, facts)
        .into_iter()
        .map(|r| FiredRule {
            id: r.id,
            name: r.spec.name.clone(),
            actions: r.spec.actions.clone(),
        })
        .collect()
}
