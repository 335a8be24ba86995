//! The inbox's settings and reports as pages:
//!
//! - Settings → Inbox rules (`/settings/inbox-rules`, `org:manage`): the ordered list (move up
//!   and down, turn on and off, delete), a form for a rule's conditions and actions, and "test"
//!   — the rules (or the rule being written) run over a pasted message, with what triage says.
//! - Settings → Inbox SLA (`/settings/inbox-sla`, `org:manage`): SLA policies, each team's
//!   assignment mode, cap, lead and business hours, each workspace's default team and abuse
//!   setting, and automatic away (after how long idle people go away, or off).
//! - Inbox → Reports (`/inbox/reports`, `analytics:read`).
//! - A person's presence (`POST /account/presence`: the top bar's menu on every page).
//!
//! The API does the same through `api/inbox_rules.rs`; both call the store's one path.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use owlery_domain::{
    ChannelId, Permission, RuleId, SlaPolicyId, Target, TeamId, UserId, WorkspaceId,
    inbox::{
        ConversationStatus, Intent, MessageKind, Priority, Sentiment, Urgency,
        assignment::{AssignmentMode, Presence},
        presence::{AutoAway, DEFAULT_IDLE_MINUTES, MAX_IDLE_MINUTES, MIN_IDLE_MINUTES},
        rules::{Action, Condition, MatchMode, Rule, RuleSpec},
    },
};
use serde::Deserialize;
use uuid::Uuid;

use super::{form::FormData, lang_of, load_organisation, page_for, render, unprocessable};
use crate::{
    api::inbox_rules::{
        FiredOut, PreviewIn, PreviewOut, ReportOut, ReportParams, SlaPolicyIn, policy_spec,
    },
    auth::PagePrincipal,
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{Flash, FormErrors, Page, PresenceMenuView, Section, SelectOption},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/inbox-rules", get(rules_page).post(create_rule))
        .route("/settings/inbox-rules/new", get(new_rule_page))
        .route("/settings/inbox-rules/test", post(test_rules))
        .route(
            "/settings/inbox-rules/{id}",
            get(edit_rule_page).post(save_rule),
        )
        .route("/settings/inbox-rules/{id}/move", post(move_rule))
        .route("/settings/inbox-rules/{id}/toggle", post(toggle_rule))
        .route("/settings/inbox-rules/{id}/delete", post(delete_rule))
        .route("/settings/inbox-sla", get(sla_page))
        .route("/settings/inbox-sla/policies", post(create_policy))
        .route(
            "/settings/inbox-sla/policies/{id}/delete",
            post(delete_policy),
        )
        .route("/settings/inbox-sla/teams/{id}", post(save_team))
        .route("/settings/inbox-sla/workspaces/{id}", post(save_workspace))
        .route("/settings/inbox-sla/auto-away", post(save_auto_away))
        .route("/inbox/reports", get(reports_page))
        .route("/account/presence", post(set_presence))
}

/// Rows of conditions and actions the rule form offers.
const CONDITION_ROWS: usize = 5;
const ACTION_ROWS: usize = 4;

const CONDITION_TYPES: [&str; 12] = [
    "channel",
    "workspace",
    "network",
    "language",
    "intent",
    "sentiment",
    "urgency",
    "keyword",
    "contact_tag",
    "followers_at_least",
    "followers_at_most",
    "kind",
];

const ACTION_TYPES: [&str; 9] = [
    "assign_team",
    "assign_person",
    "tag",
    "set_priority",
    "set_status",
    "hide_on_network",
    "auto_reply",
    "escalate",
    "notify",
];

fn settings_page(p: &PagePrincipal, path: &str) -> Page {
    page_for(p, path).with_section(Section::Settings)
}

fn require_settings(p: &PagePrincipal) -> Result<(), AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)
}

/// One row of the list.
pub struct RuleRow {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub stop: bool,
    /// "When …" in words.
    pub when: String,
    /// "Then …" in words.
    pub then: String,
    pub first: bool,
    pub last: bool,
}

/// One condition or action row of the form.
#[derive(Clone, Default)]
pub struct FormRow {
    pub kind: String,
    pub value: String,
}

/// What the rule form holds (typed back on errors).
#[derive(Clone, Default)]
pub struct RuleForm {
    /// Empty for a new rule.
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub any: bool,
    pub stop: bool,
    pub workspaces: Vec<String>,
    pub conditions: Vec<FormRow>,
    pub actions: Vec<FormRow>,
    pub sample: String,
}

/// The preview's result, shown under the form.
pub struct PreviewView {
    pub language: String,
    pub sentiment: String,
    pub intent: String,
    pub urgency: String,
    pub fired: Vec<FiredRow>,
}

pub struct FiredRow {
    pub name: String,
    pub then: String,
}

/// `GET /settings/inbox-rules` and the rule form.
#[derive(Template)]
#[template(path = "settings/inbox_rules.html")]
pub struct RulesView {
    pub page: Page,
    pub rules: Vec<RuleRow>,
    /// Show the form (new or edit) instead of only the list.
    pub editing: bool,
    pub form: RuleForm,
    pub errors: FormErrors,
    pub workspaces: Vec<SelectOption>,
    pub channels: Vec<SelectOption>,
    pub preview: Option<PreviewView>,
    pub condition_types: Vec<&'static str>,
    pub action_types: Vec<&'static str>,
    /// The saved replies' names: the picker of the auto-reply action.
    pub saved_replies: Vec<String>,
}

impl RulesView {
    fn picked(&self, id: &str) -> bool {
        self.form.workspaces.iter().any(|w| w == id)
    }
}

/// Names for ids, to say rules in words and read the form's values.
struct Names {
    channels: Vec<(Uuid, String, String)>,
    workspaces: Vec<(Uuid, String)>,
    teams: Vec<(Uuid, String)>,
    users: Vec<(Uuid, String, String)>,
    saved_replies: Vec<(Uuid, String)>,
}

impl Names {
    async fn load(state: &AppState) -> Result<Names, AppError> {
        let org = load_organisation(state).await?;
        let channels = state
            .store
            .list_channels(None)
            .await?
            .into_iter()
            .map(|c| (c.id.0, c.name, c.handle))
            .collect();
        let workspaces = state
            .store
            .workspace_inbox_settings(org.id)
            .await?
            .into_iter()
            .map(|w| (w.workspace_id.0, w.workspace_name))
            .collect();
        let teams = state
            .store
            .team_inbox_settings(org.id)
            .await?
            .into_iter()
            .map(|t| (t.team_id.0, t.team_name))
            .collect();
        let users = state
            .store
            .list_users(None, 1000)
            .await?
            .into_iter()
            .map(|u| (u.id.0, u.name, u.email.to_string()))
            .collect();
        let saved_replies = state
            .store
            .saved_replies(org.id, None)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
        Ok(Names {
            channels,
            workspaces,
            teams,
            users,
            saved_replies,
        })
    }

    fn channel(&self, id: Uuid) -> String {
        self.channels
            .iter()
            .find(|c| c.0 == id)
            .map(|c| c.1.clone())
            .unwrap_or_else(|| id.to_string())
    }
    fn workspace(&self, id: Uuid) -> String {
        self.workspaces
            .iter()
            .find(|c| c.0 == id)
            .map(|c| c.1.clone())
            .unwrap_or_else(|| id.to_string())
    }
    fn team(&self, id: Uuid) -> String {
        self.teams
            .iter()
            .find(|c| c.0 == id)
            .map(|c| c.1.clone())
            .unwrap_or_else(|| id.to_string())
    }
    fn saved_reply(&self, id: Uuid) -> String {
        self.saved_replies
            .iter()
            .find(|c| c.0 == id)
            .map(|c| c.1.clone())
            .unwrap_or_else(|| id.to_string())
    }
    fn user(&self, id: Uuid) -> String {
        self.users
            .iter()
            .find(|c| c.0 == id)
            .map(|c| c.2.clone())
            .unwrap_or_else(|| id.to_string())
    }

    fn find<'a>(
        &self,
        list: impl Iterator<Item = (Uuid, &'a str, &'a str)>,
        raw: &str,
    ) -> Option<Uuid> {
        let raw = raw.trim();
        if let Ok(id) = Uuid::parse_str(raw) {
            return Some(id);
        }
        let want = raw.trim_start_matches('@').to_lowercase();
        let mut found = None;
        for (id, a, b) in list {
            if a.to_lowercase() == want || b.to_lowercase() == want {
                found = Some(id);
                break;
            }
        }
        found
    }
}

fn num(lang: Lang, n: u64) -> String {
    i18n::fmt_number(lang, i64::try_from(n).unwrap_or(i64::MAX))
}

/// A number with one decimal, the language's way (en `1.5`, bg `1,5`).
fn decimal(lang: Lang, x: f64) -> String {
    let s = format!("{x:.1}");
    let s = s.strip_suffix(".0").map(str::to_owned).unwrap_or(s);
    match lang {
        Lang::Bg => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A condition in words.
fn condition_words(lang: Lang, names: &Names, c: &Condition) -> String {
    let label = |t: &str| i18n::tr(lang, &format!("rules-cond-{}", t.replace('_', "-")));
    let code = |prefix: &str, c: &str| i18n::tr(lang, &format!("{prefix}{c}"));
    let (t, v) = match c {
        Condition::Channel { channel_id } => ("channel", names.channel(channel_id.0)),
        Condition::Workspace { workspace_id } => ("workspace", names.workspace(workspace_id.0)),
        Condition::Network { network } => ("network", network.clone()),
        Condition::Language { language } => ("language", language.clone()),
        Condition::Intent { intent } => ("intent", code("inbox-intent-", intent.code())),
        Condition::Sentiment { sentiment } => {
            ("sentiment", code("inbox-sentiment-", sentiment.code()))
        }
        Condition::Urgency { at_least } => ("urgency", code("rules-urgency-", at_least.code())),
        Condition::Keyword { words } => ("keyword", words.join(", ")),
        Condition::ContactTag { tag } => ("contact_tag", format!("#{tag}")),
        Condition::FollowersAtLeast { count } => ("followers_at_least", num(lang, *count)),
        Condition::FollowersAtMost { count } => ("followers_at_most", num(lang, *count)),
        Condition::Kind { kind } => ("kind", code("inbox-kind-", kind.code())),
    };
    format!("{}: {v}", label(t))
}

/// An action in words.
fn action_words(lang: Lang, names: &Names, a: &Action) -> String {
    let label = |t: &str| i18n::tr(lang, &format!("rules-act-{}", t.replace('_', "-")));
    let v = match a {
        Action::AssignTeam { team_id } => names.team(team_id.0),
        Action::AssignPerson { user_id } | Action::Notify { user_id } => names.user(user_id.0),
        Action::Tag { tag } => format!("#{tag}"),
        Action::SetPriority { priority } => {
            i18n::tr(lang, &format!("rules-priority-{}", priority.code()))
        }
        Action::SetStatus { status } => i18n::tr(lang, &format!("inbox-status-{}", status.code())),
        Action::HideOnNetwork | Action::Escalate => return label(a.code()),
        Action::AutoReply { saved_reply_id } => names.saved_reply(*saved_reply_id),
    };
    format!("{}: {v}", label(a.code()))
}

fn rule_rows(lang: Lang, names: &Names, rules: &[Rule]) -> Vec<RuleRow> {
    let n = rules.len();
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let joiner = i18n::tr(
                lang,
                if r.spec.match_mode == MatchMode::Any {
                    "rules-or"
                } else {
                    "rules-and"
                },
            );
            let mut when: Vec<String> = r
                .spec
                .conditions
                .iter()
                .map(|c| condition_words(lang, names, c))
                .collect();
            if when.is_empty() {
                when.push(i18n::tr(lang, "rules-every-message"));
            }
            let mut when = when.join(&format!(" {joiner} "));
            if !r.spec.workspaces.is_empty() {
                let ws: Vec<String> = r
                    .spec
                    .workspaces
                    .iter()
                    .map(|w| names.workspace(w.0))
                    .collect();
                when.push_str(&format!(
                    " ({})",
                    i18n::tr_args(
                        lang,
                        "rules-only-in",
                        &[("workspaces", ws.join(", ").into())]
                    )
                ));
            }
            RuleRow {
                id: r.id.to_string(),
                name: r.spec.name.clone(),
                enabled: r.spec.enabled,
                stop: r.spec.stop,
                when,
                then: r
                    .spec
                    .actions
                    .iter()
                    .map(|a| action_words(lang, names, a))
                    .collect::<Vec<_>>()
                    .join(" · "),
                first: i == 0,
                last: i + 1 == n,
            }
        })
        .collect()
}

/// The form's rows from a stored rule.
fn form_of(names: &Names, r: &Rule) -> RuleForm {
    let mut conditions: Vec<FormRow> = r
        .spec
        .conditions
        .iter()
        .map(|c| {
            let (kind, value) = match c {
                Condition::Channel { channel_id } => ("channel", names.channel(channel_id.0)),
                Condition::Workspace { workspace_id } => {
                    ("workspace", names.workspace(workspace_id.0))
                }
                Condition::Network { network } => ("network", network.clone()),
                Condition::Language { language } => ("language", language.clone()),
                Condition::Intent { intent } => ("intent", intent.code().to_owned()),
                Condition::Sentiment { sentiment } => ("sentiment", sentiment.code().to_owned()),
                Condition::Urgency { at_least } => ("urgency", at_least.code().to_owned()),
                Condition::Keyword { words } => ("keyword", words.join(", ")),
                Condition::ContactTag { tag } => ("contact_tag", tag.clone()),
                Condition::FollowersAtLeast { count } => ("followers_at_least", count.to_string()),
                Condition::FollowersAtMost { count } => ("followers_at_most", count.to_string()),
                Condition::Kind { kind } => ("kind", kind.code().to_owned()),
            };
            FormRow {
                kind: kind.into(),
                value,
            }
        })
        .collect();
    conditions.resize(CONDITION_ROWS.max(conditions.len()), FormRow::default());
    let mut actions: Vec<FormRow> = r
        .spec
        .actions
        .iter()
        .map(|a| {
            let value = match a {
                Action::AssignTeam { team_id } => names.team(team_id.0),
                Action::AssignPerson { user_id } | Action::Notify { user_id } => {
                    names.user(user_id.0)
                }
                Action::Tag { tag } => tag.clone(),
                Action::SetPriority { priority } => priority.code().to_owned(),
                Action::SetStatus { status } => status.code().to_owned(),
                Action::HideOnNetwork | Action::Escalate => String::new(),
                Action::AutoReply { saved_reply_id } => names.saved_reply(*saved_reply_id),
            };
            FormRow {
                kind: a.code().into(),
                value,
            }
        })
        .collect();
    actions.resize(ACTION_ROWS.max(actions.len()), FormRow::default());
    RuleForm {
        id: r.id.to_string(),
        name: r.spec.name.clone(),
        enabled: r.spec.enabled,
        any: r.spec.match_mode == MatchMode::Any,
        stop: r.spec.stop,
        workspaces: r.spec.workspaces.iter().map(|w| w.to_string()).collect(),
        conditions,
        actions,
        sample: String::new(),
    }
}

fn blank_form() -> RuleForm {
    RuleForm {
        enabled: true,
        conditions: vec![FormRow::default(); CONDITION_ROWS],
        actions: vec![FormRow::default(); ACTION_ROWS],
        ..RuleForm::default()
    }
}

/// What was typed, as it was typed.
fn form_from(form: &FormData, id: &str) -> RuleForm {
    let rows = |kind: &str, value: &str, n: usize| -> Vec<FormRow> {
        (0..n)
            .map(|i| FormRow {
                kind: form.get(&format!("{kind}{i}")),
                value: form.get(&format!("{value}{i}")),
            })
            .collect()
    };
    RuleForm {
        id: id.to_owned(),
        name: form.get("name"),
        enabled: form.get("enabled") == "on",
        any: form.get("match_mode") == "any",
        stop: form.get("stop") == "on",
        workspaces: form.all("workspaces"),
        conditions: rows("cond_type_", "cond_value_", CONDITION_ROWS),
        actions: rows("act_type_", "act_value_", ACTION_ROWS),
        sample: form.raw("sample"),
    }
}

/// The rule the form describes, or the errors per field.
fn spec_from(lang: Lang, names: &Names, f: &RuleForm) -> Result<RuleSpec, FormErrors> {
    let mut errors = FormErrors::new();
    let mut conditions = Vec::new();
    let bad = |errors: &mut FormErrors, field: String, key: &str| {
        errors.push(field, i18n::tr(lang, key));
    };
    for (i, row) in f.conditions.iter().enumerate() {
        let field = format!("cond_value_{i}");
        let v = row.value.trim();
        if row.kind.is_empty() {
            continue;
        }
        if v.is_empty() {
            bad(&mut errors, field, "rules-error-value-needed");
            continue;
        }
        let c = match row.kind.as_str() {
            "channel" => names
                .find(
                    names
                        .channels
                        .iter()
                        .map(|c| (c.0, c.1.as_str(), c.2.as_str())),
                    v,
                )
                .map(|id| Condition::Channel {
                    channel_id: ChannelId(id),
                }),
            "workspace" => names
                .find(
                    names
                        .workspaces
                        .iter()
                        .map(|c| (c.0, c.1.as_str(), c.1.as_str())),
                    v,
                )
                .map(|id| Condition::Workspace {
                    workspace_id: WorkspaceId(id),
                }),
            "network" => Some(Condition::Network { network: v.into() }),
            "language" => Some(Condition::Language { language: v.into() }),
            "intent" => Intent::parse(&v.to_lowercase()).map(|intent| Condition::Intent { intent }),
            "sentiment" => Sentiment::parse(&v.to_lowercase())
                .map(|sentiment| Condition::Sentiment { sentiment }),
            "urgency" => {
                Urgency::parse(&v.to_lowercase()).map(|at_least| Condition::Urgency { at_least })
            }
            "keyword" => Some(Condition::Keyword {
                words: v.split(',').map(|w| w.trim().to_owned()).collect(),
            }),
            "contact_tag" => Some(Condition::ContactTag { tag: v.into() }),
            "followers_at_least" => v
                .replace([' ', ',', '.'], "")
                .parse()
                .ok()
                .map(|count| Condition::FollowersAtLeast { count }),
            "followers_at_most" => v
                .replace([' ', ',', '.'], "")
                .parse()
                .ok()
                .map(|count| Condition::FollowersAtMost { count }),
            "kind" => MessageKind::parse(&v.to_lowercase()).map(|kind| Condition::Kind { kind }),
            _ => None,
        };
        match c {
            Some(c) => conditions.push(c),
            None => bad(
                &mut errors,
                field,
                &format!("rules-error-cond-{}", row.kind.replace('_', "-")),
            ),
        }
    }
    let mut actions = Vec::new();
    for (i, row) in f.actions.iter().enumerate() {
        let field = format!("act_value_{i}");
        let v = row.value.trim();
        if row.kind.is_empty() {
            continue;
        }
        if v.is_empty() && row.kind != "hide_on_network" && row.kind != "escalate" {
            bad(&mut errors, field, "rules-error-value-needed");
            continue;
        }
        let person = || {
            names.find(
                names
                    .users
                    .iter()
                    .map(|u| (u.0, u.1.as_str(), u.2.as_str())),
                v,
            )
        };
        let a = match row.kind.as_str() {
            "assign_team" => names
                .find(
                    names
                        .teams
                        .iter()
                        .map(|t| (t.0, t.1.as_str(), t.1.as_str())),
                    v,
                )
                .map(|id| Action::AssignTeam {
                    team_id: TeamId(id),
                }),
            "assign_person" => person().map(|id| Action::AssignPerson {
                user_id: UserId(id),
            }),
            "notify" => person().map(|id| Action::Notify {
                user_id: UserId(id),
            }),
            "tag" => Some(Action::Tag { tag: v.into() }),
            "set_priority" => {
                Priority::parse(&v.to_lowercase()).map(|priority| Action::SetPriority { priority })
            }
            "set_status" => ConversationStatus::parse(&v.to_lowercase())
                .map(|status| Action::SetStatus { status }),
            "hide_on_network" => Some(Action::HideOnNetwork),
            "auto_reply" => names
                .find(
                    names
                        .saved_replies
                        .iter()
                        .map(|r| (r.0, r.1.as_str(), r.1.as_str())),
                    v,
                )
                .map(|id| Action::AutoReply { saved_reply_id: id }),
            "escalate" => Some(Action::Escalate),
            _ => None,
        };
        match a {
            Some(a) => actions.push(a),
            None => bad(
                &mut errors,
                field,
                &format!("rules-error-act-{}", row.kind.replace('_', "-")),
            ),
        }
    }
    let mut workspaces = Vec::new();
    for w in &f.workspaces {
        match Uuid::parse_str(w) {
            Ok(id) => workspaces.push(WorkspaceId(id)),
            Err(_) => bad(&mut errors, "workspaces".into(), "rules-error-workspaces"),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let spec = RuleSpec {
        name: f.name.clone(),
        enabled: f.enabled,
        match_mode: if f.any {
            MatchMode::Any
        } else {
            MatchMode::All
        },
        conditions,
        actions,
        stop: f.stop,
        workspaces,
    };
    spec.validate().map_err(|e| {
        let mut errors = FormErrors::new();
        let key = format!("rules-error-{}", e.code.replace('_', "-"));
        errors.push(e.field, i18n::tr_or(lang, &key, &e.message));
        errors
    })
}

async fn view(
    state: &AppState,
    p: &PagePrincipal,
    editing: bool,
    form: RuleForm,
) -> Result<RulesView, AppError> {
    let lang = lang_of(p);
    let org = load_organisation(state).await?;
    let names = Names::load(state).await?;
    let rules = state.store.inbox_rules(org.id).await?;
    let workspaces = names
        .workspaces
        .iter()
        .map(|(id, name)| SelectOption::new(id.to_string(), name.clone(), false))
        .collect();
    let mut channels = vec![SelectOption::new(
        "",
        i18n::tr(lang, "rules-any-channel"),
        true,
    )];
    channels.extend(
        names
            .channels
            .iter()
            .map(|(id, name, _)| SelectOption::new(id.to_string(), name.clone(), false)),
    );
    Ok(RulesView {
        page: settings_page(p, "/settings/inbox-rules"),
        rules: rule_rows(lang, &names, &rules),
        editing,
        form,
        errors: FormErrors::new(),
        workspaces,
        channels,
        preview: None,
        condition_types: CONDITION_TYPES.to_vec(),
        action_types: ACTION_TYPES.to_vec(),
        saved_replies: names.saved_replies.iter().map(|r| r.1.clone()).collect(),
    })
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: String,
}

fn flash_of(lang: Lang, done: &str) -> Option<Flash> {
    let key = match done {
        "created" => "rules-flash-created",
        "saved" => "rules-flash-saved",
        "deleted" => "rules-flash-deleted",
        "moved" => "rules-flash-moved",
        "toggled" => "rules-flash-toggled",
        "sla" => "sla-flash-saved",
        _ => return None,
    };
    Some(Flash::success(i18n::tr(lang, key)))
}

async fn rules_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let mut v = view(&state, &p, false, blank_form()).await?;
    v.page = v.page.with_flash(flash_of(lang_of(&p), &q.done));
    Ok(render(&v))
}

async fn new_rule_page(
    State(state): State<AppState>,
    p: PagePrincipal,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    Ok(render(&view(&state, &p, true, blank_form()).await?))
}

async fn edit_rule_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = rule_id(&id)?;
    let org = load_organisation(&state).await?;
    let rule = state.store.inbox_rule(org.id, id).await?;
    let names = Names::load(&state).await?;
    let form = form_of(&names, &rule);
    Ok(render(&view(&state, &p, true, form).await?))
}

fn rule_id(raw: &str) -> Result<RuleId, AppError> {
    RuleId::parse(raw).ok_or_else(|| AppError::not_found("rule"))
}

/// Create (no id) or save (an id) from the form; errors show the form again.
async fn store_rule(
    state: &AppState,
    p: &PagePrincipal,
    id: Option<RuleId>,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(p);
    let names = Names::load(state).await?;
    let f = form_from(&form, &id.map(|i| i.to_string()).unwrap_or_default());
    let org = load_organisation(state).await?;
    let spec = match spec_from(lang, &names, &f) {
        Ok(s) => s,
        Err(errors) => {
            let mut v = view(state, p, true, f).await?;
            v.errors = errors;
            return Ok(unprocessable(render(&v)));
        }
    };
    let actor = p.0.actor();
    let result = match id {
        None => state.store.create_inbox_rule(&actor, org.id, spec).await,
        Some(id) => {
            state
                .store
                .update_inbox_rule(&actor, org.id, id, spec)
                .await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/settings/inbox-rules?done={}",
            if id.is_some() { "saved" } else { "created" }
        ))
        .into_response()),
        Err(owlery_store::StoreError::Invalid(e)) => {
            let mut v = view(state, p, true, f).await?;
            let key = format!("rules-error-{}", e.code.replace('_', "-"));
            v.errors.push(e.field, i18n::tr_or(lang, &key, &e.message));
            Ok(unprocessable(render(&v)))
        }
        Err(e) => Err(e.into()),
    }
}

async fn create_rule(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    store_rule(&state, &p, None, form).await
}

async fn save_rule(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = rule_id(&id)?;
    store_rule(&state, &p, Some(id), form).await
}

/// "Test": the rule being written (when the form has any condition or action) or else every
/// stored rule, over the pasted message.
async fn test_rules(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let lang = lang_of(&p);
    let names = Names::load(&state).await?;
    let id = form.get("id");
    let f = form_from(&form, &id);
    let editing = form.get("editing") == "1";
    let mut v = view(&state, &p, editing, f.clone()).await?;
    if f.sample.trim().is_empty() {
        v.errors
            .push("sample", i18n::tr(lang, "rules-error-sample"));
        return Ok(unprocessable(render(&v)));
    }
    let rule = if editing {
        let mut draft = f.clone();
        if draft.name.trim().is_empty() {
            draft.name = i18n::tr(lang, "rules-unsaved");
        }
        match spec_from(lang, &names, &draft) {
            Ok(spec) => Some(spec),
            Err(errors) => {
                v.errors = errors;
                return Ok(unprocessable(render(&v)));
            }
        }
    } else {
        None
    };
    let channel = form.get("channel");
    let body = PreviewIn {
        text: f.sample.clone(),
        channel_id: Uuid::parse_str(&channel).ok(),
        kind: MessageKind::parse(&form.get("kind")),
        followers: form.get("followers").parse().ok(),
        contact_tags: Vec::new(),
        rule: rule.map(|s| crate::api::inbox_rules::RuleIn {
            name: s.name,
            enabled: true,
            match_mode: Some(s.match_mode),
            conditions: s.conditions,
            actions: s.actions,
            stop: s.stop,
            workspaces: s.workspaces.into_iter().map(|w| w.0).collect(),
        }),
    };
    let org = load_organisation(&state).await?;
    let out: PreviewOut = match crate::api::inbox_rules::preview(&state, org.id, body).await {
        Ok(o) => o,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            v.errors.push("sample", e.message.clone());
            return Ok(unprocessable(render(&v)));
        }
        Err(e) => return Err(e),
    };
    for o in &mut v.channels {
        o.selected = o.value == channel;
    }
    v.preview = Some(PreviewView {
        language: out.language,
        sentiment: out.sentiment,
        intent: out.intent,
        urgency: out.urgency,
        fired: out
            .fired
            .into_iter()
            .map(|f: FiredOut| FiredRow {
                name: f.name,
                then: f
                    .actions
                    .iter()
                    .map(|a| action_words(lang, &names, a))
                    .collect::<Vec<_>>()
                    .join(" · "),
            })
            .collect(),
    });
    Ok(render(&v))
}

async fn move_rule(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = rule_id(&id)?;
    let org = load_organisation(&state).await?;
    state
        .store
        .move_inbox_rule(&p.0.actor(), org.id, id, form.get("direction") == "up")
        .await?;
    Ok(Redirect::to("/settings/inbox-rules?done=moved").into_response())
}

async fn toggle_rule(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = rule_id(&id)?;
    let org = load_organisation(&state).await?;
    let rule = state.store.inbox_rule(org.id, id).await?;
    state
        .store
        .set_inbox_rule_enabled(&p.0.actor(), org.id, id, !rule.spec.enabled)
        .await?;
    Ok(Redirect::to("/settings/inbox-rules?done=toggled").into_response())
}

async fn delete_rule(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = rule_id(&id)?;
    let org = load_organisation(&state).await?;
    state
        .store
        .delete_inbox_rule(&p.0.actor(), org.id, id)
        .await?;
    Ok(Redirect::to("/settings/inbox-rules?done=deleted").into_response())
}

// ---- SLA, teams, workspaces ----------------------------------------------------------------

pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub applies: String,
    pub first: String,
    pub next: String,
    pub warn: String,
    pub hours: String,
    pub escalation: String,
}

pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub modes: Vec<SelectOption>,
    pub max_open: String,
    pub leads: Vec<SelectOption>,
    pub time_zone: String,
    pub hours: String,
    pub holidays: String,
}

pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub teams: Vec<SelectOption>,
    pub hide_abusive: bool,
}

/// `GET /settings/inbox-sla`.
#[derive(Template)]
#[template(path = "settings/inbox_sla.html")]
pub struct SlaView {
    pub page: Page,
    pub policies: Vec<PolicyRow>,
    pub teams: Vec<TeamRow>,
    pub workspaces: Vec<WorkspaceRow>,
    /// The new policy form's choices.
    pub workspace_options: Vec<SelectOption>,
    pub team_options: Vec<SelectOption>,
    pub priority_options: Vec<SelectOption>,
    /// Automatic away: on, and after how many minutes (the field's value).
    pub auto_away_on: bool,
    pub auto_away_minutes: String,
    /// The field's `min` and `max` attributes.
    pub auto_away_bounds: String,
    /// Which form the errors are for (`policy`, `team-<id>`, `workspace-<id>`, `auto-away`).
    pub errors_for: String,
    pub errors: FormErrors,
}

impl SlaView {
    fn errors_of(&self, form: &str) -> FormErrors {
        if self.errors_for == form {
            self.errors.clone()
        } else {
            FormErrors::new()
        }
    }
}

fn minutes_words(lang: Lang, m: u32) -> String {
    if m.is_multiple_of(60) {
        i18n::tr_args(lang, "sla-hours", &[("count", (m / 60).into())])
    } else {
        i18n::tr_args(lang, "sla-minutes", &[("count", m.into())])
    }
}

async fn sla_view(state: &AppState, p: &PagePrincipal) -> Result<SlaView, AppError> {
    let lang = lang_of(p);
    let org = load_organisation(state).await?;
    let names = Names::load(state).await?;
    let policies = state.store.sla_policies(org.id).await?;
    let teams = state.store.team_inbox_settings(org.id).await?;
    let workspaces = state.store.workspace_inbox_settings(org.id).await?;
    let auto_away = state.store.auto_away(org.id).await?;
    let policy_rows = policies
        .iter()
        .map(|r| {
            let s = &r.spec;
            let mut applies: Vec<String> = Vec::new();
            if let Some(t) = s.team_id {
                applies.push(i18n::tr_args(
                    lang,
                    "sla-for-team",
                    &[("team", names.team(t.0).into())],
                ));
            }
            if let Some(w) = s.workspace_id {
                applies.push(i18n::tr_args(
                    lang,
                    "sla-for-workspace",
                    &[("workspace", names.workspace(w.0).into())],
                ));
            }
            if let Some(pr) = s.priority {
                applies.push(i18n::tr(lang, &format!("rules-priority-{}", pr.code())));
            }
            if applies.is_empty() {
                applies.push(i18n::tr(lang, "sla-for-everyone"));
            }
            let mut esc = Vec::new();
            if s.escalate_notify_lead {
                esc.push(i18n::tr(lang, "sla-escalate-notify-lead"));
            }
            if s.escalate_reassign {
                esc.push(i18n::tr(lang, "sla-escalate-reassign"));
            }
            if s.escalate_raise_priority {
                esc.push(i18n::tr(lang, "sla-escalate-raise-priority"));
            }
            PolicyRow {
                id: r.id.to_string(),
                name: s.name.clone(),
                applies: applies.join(" · "),
                first: minutes_words(lang, s.first_response_minutes),
                next: minutes_words(lang, s.next_response_minutes),
                warn: minutes_words(lang, s.warn_before_minutes),
                hours: i18n::tr(
                    lang,
                    if s.business_hours {
                        "sla-business-hours"
                    } else {
                        "sla-around-the-clock"
                    },
                ),
                escalation: esc.join(", "),
            }
        })
        .collect();
    let team_rows = teams
        .iter()
        .map(|t| {
            let mut leads = vec![SelectOption::new(
                "",
                i18n::tr(lang, "sla-no-lead"),
                t.lead_user_id.is_none(),
            )];
            leads.extend(names.users.iter().map(|(id, name, email)| {
                SelectOption::new(
                    id.to_string(),
                    format!("{name} ({email})"),
                    t.lead_user_id.map(|u| u.0) == Some(*id),
                )
            }));
            TeamRow {
                id: t.team_id.to_string(),
                name: t.team_name.clone(),
                modes: AssignmentMode::ALL
                    .iter()
                    .map(|m| {
                        SelectOption::new(
                            m.code(),
                            i18n::tr(lang, &format!("sla-mode-{}", m.code().replace('_', "-"))),
                            *m == t.assignment_mode,
                        )
                    })
                    .collect(),
                max_open: t.max_open.map(|m| m.to_string()).unwrap_or_default(),
                leads,
                time_zone: t.time_zone.clone(),
                hours: t.hours.clone().unwrap_or_default(),
                holidays: t.holidays.clone(),
            }
        })
        .collect();
    let workspace_rows = workspaces
        .iter()
        .map(|w| {
            let mut opts = vec![SelectOption::new(
                "",
                i18n::tr(lang, "sla-no-team"),
                w.default_team_id.is_none(),
            )];
            opts.extend(teams.iter().map(|t| {
                SelectOption::new(
                    t.team_id.to_string(),
                    t.team_name.clone(),
                    w.default_team_id == Some(t.team_id),
                )
            }));
            WorkspaceRow {
                id: w.workspace_id.to_string(),
                name: w.workspace_name.clone(),
                teams: opts,
                hide_abusive: w.hide_abusive,
            }
        })
        .collect();
    let mut workspace_options = vec![SelectOption::new(
        "",
        i18n::tr(lang, "sla-any-workspace"),
        true,
    )];
    workspace_options.extend(
        workspaces.iter().map(|w| {
            SelectOption::new(w.workspace_id.to_string(), w.workspace_name.clone(), false)
        }),
    );
    let mut team_options = vec![SelectOption::new("", i18n::tr(lang, "sla-any-team"), true)];
    team_options.extend(
        teams
            .iter()
            .map(|t| SelectOption::new(t.team_id.to_string(), t.team_name.clone(), false)),
    );
    let mut priority_options = vec![SelectOption::new(
        "",
        i18n::tr(lang, "sla-any-priority"),
        true,
    )];
    priority_options.extend(Priority::ALL.iter().map(|pr| {
        SelectOption::new(
            pr.code(),
            i18n::tr(lang, &format!("rules-priority-{}", pr.code())),
            false,
        )
    }));
    Ok(SlaView {
        page: settings_page(p, "/settings/inbox-sla"),
        policies: policy_rows,
        teams: team_rows,
        workspaces: workspace_rows,
        workspace_options,
        team_options,
        priority_options,
        auto_away_on: auto_away != AutoAway::Off,
        auto_away_minutes: match auto_away {
            AutoAway::Off => DEFAULT_IDLE_MINUTES,
            AutoAway::After(m) => m,
        }
        .to_string(),
        auto_away_bounds: format!("min='{MIN_IDLE_MINUTES}' max='{MAX_IDLE_MINUTES}'"),
        errors_for: String::new(),
        errors: FormErrors::new(),
    })
}

async fn sla_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let mut v = sla_view(&state, &p).await?;
    v.page = v.page.with_flash(flash_of(lang_of(&p), &q.done));
    Ok(render(&v))
}

/// Show the SLA page again with an error for one form.
async fn sla_error(
    state: &AppState,
    p: &PagePrincipal,
    form: &str,
    e: &owlery_domain::InvalidInput,
) -> Result<Response, AppError> {
    let lang = lang_of(p);
    let mut v = sla_view(state, p).await?;
    v.errors_for = form.to_owned();
    let key = format!("sla-error-{}", e.code.replace('_', "-"));
    v.errors.push(e.field, i18n::tr_or(lang, &key, &e.message));
    Ok(unprocessable(render(&v)))
}

fn hours_to_minutes(raw: &str, field: &'static str) -> Result<u32, owlery_domain::InvalidInput> {
    let raw = raw.trim().replace(',', ".");
    let h: f64 = raw.parse().map_err(|_| {
        owlery_domain::InvalidInput::new(
            field,
            "invalid_hours",
            "Write a number of hours, such as 24 or 1.5.",
        )
    })?;
    if !(0.0..=8784.0).contains(&h) {
        return Err(owlery_domain::InvalidInput::new(
            field,
            "invalid_hours",
            "Write a number of hours, such as 24 or 1.5.",
        ));
    }
    Ok((h * 60.0).round() as u32)
}

async fn create_policy(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let parsed = (|| {
        Ok::<_, owlery_domain::InvalidInput>(SlaPolicyIn {
            name: form.get("name"),
            workspace_id: Uuid::parse_str(&form.get("workspace_id")).ok(),
            team_id: Uuid::parse_str(&form.get("team_id")).ok(),
            priority: Priority::parse(&form.get("priority")),
            first_response_minutes: hours_to_minutes(&form.get("first_hours"), "first_hours")?,
            next_response_minutes: hours_to_minutes(&form.get("next_hours"), "next_hours")?,
            warn_before_minutes: hours_to_minutes(&form.get("warn_hours"), "warn_hours")?,
            business_hours: form.get("business_hours") == "on",
            escalate_notify_lead: form.get("escalate_notify_lead") == "on",
            escalate_reassign: form.get("escalate_reassign") == "on",
            escalate_raise_priority: form.get("escalate_raise_priority") == "on",
        })
    })();
    let body = match parsed {
        Ok(b) => b,
        Err(e) => return sla_error(&state, &p, "policy", &e).await,
    };
    let org = load_organisation(&state).await?;
    match state
        .store
        .create_sla_policy(&p.0.actor(), org.id, policy_spec(body))
        .await
    {
        Ok(_) => Ok(Redirect::to("/settings/inbox-sla?done=sla").into_response()),
        Err(owlery_store::StoreError::Invalid(e)) => sla_error(&state, &p, "policy", &e).await,
        Err(e) => Err(e.into()),
    }
}

async fn delete_policy(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = SlaPolicyId::parse(&id).ok_or_else(|| AppError::not_found("SLA policy"))?;
    let org = load_organisation(&state).await?;
    state
        .store
        .delete_sla_policy(&p.0.actor(), org.id, id)
        .await?;
    Ok(Redirect::to("/settings/inbox-sla?done=sla").into_response())
}

async fn save_team(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = TeamId::parse(&id).ok_or_else(|| AppError::not_found("team"))?;
    let form_name = format!("team-{id}");
    let cap = form.get("max_open");
    let max_open = if cap.trim().is_empty() {
        None
    } else {
        match cap.trim().parse::<u32>() {
            Ok(c) => Some(c),
            Err(_) => {
                let e = owlery_domain::InvalidInput::new(
                    "max_open",
                    "invalid_cap",
                    "A cap is a whole number of open conversations.",
                );
                return sla_error(&state, &p, &form_name, &e).await;
            }
        }
    };
    let hours = form.get("hours");
    let settings = owlery_store::inbox_rules::TeamInboxSettings {
        team_id: id,
        team_name: String::new(),
        assignment_mode: AssignmentMode::parse(&form.get("assignment_mode")).unwrap_or_default(),
        max_open,
        lead_user_id: UserId::parse(&form.get("lead_user_id")),
        time_zone: form.get("time_zone"),
        hours: (!hours.trim().is_empty()).then_some(hours),
        holidays: form.raw("holidays"),
    };
    let org = load_organisation(&state).await?;
    match state
        .store
        .set_team_inbox_settings(&p.0.actor(), org.id, &settings)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/settings/inbox-sla?done=sla#team-{id}")).into_response())
        }
        Err(owlery_store::StoreError::Invalid(e)) => sla_error(&state, &p, &form_name, &e).await,
        Err(e) => Err(e.into()),
    }
}

async fn save_workspace(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let id = WorkspaceId::parse(&id).ok_or_else(|| AppError::not_found("workspace"))?;
    let org = load_organisation(&state).await?;
    match state
        .store
        .set_workspace_inbox_settings(
            &p.0.actor(),
            org.id,
            id,
            TeamId::parse(&form.get("default_team_id")),
            form.get("hide_abusive") == "on",
        )
        .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/settings/inbox-sla?done=sla#workspace-{id}")).into_response(),
        ),
        Err(owlery_store::StoreError::Invalid(e)) => {
            sla_error(&state, &p, &format!("workspace-{id}"), &e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/inbox-sla/auto-away`: `on` (a check box) and `minutes`.
async fn save_auto_away(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    require_settings(&p)?;
    let parsed = if form.get("on") == "on" {
        form.get("minutes")
            .parse::<u32>()
            .ok()
            .filter(|m| *m > 0)
            .ok_or_else(|| {
                owlery_domain::InvalidInput::new(
                    "minutes",
                    "invalid_idle_minutes",
                    "The idle time is a whole number of minutes.",
                )
            })
            .and_then(AutoAway::from_minutes)
    } else {
        Ok(AutoAway::Off)
    };
    let setting = match parsed {
        Ok(s) => s,
        Err(mut e) => {
            e.field = "minutes";
            return sla_error(&state, &p, "auto-away", &e).await;
        }
    };
    let org = load_organisation(&state).await?;
    match state
        .store
        .set_auto_away(&p.0.actor(), org.id, setting)
        .await
    {
        Ok(_) => Ok(Redirect::to("/settings/inbox-sla?done=sla#auto-away").into_response()),
        Err(owlery_store::StoreError::Invalid(mut e)) => {
            e.field = "minutes";
            sla_error(&state, &p, "auto-away", &e).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- Reports -------------------------------------------------------------------------------

pub struct FigureRow {
    pub name: String,
    pub conversations: String,
    pub business: String,
    pub off: String,
    /// First response: median · 90th percentile.
    pub first: String,
    pub replies: String,
    /// Every reply: median · 90th percentile.
    pub reply: String,
    pub met: String,
}

/// `GET /inbox/reports`.
#[derive(Template)]
#[template(path = "inbox/reports.html")]
pub struct ReportsView {
    pub page: Page,
    pub from: String,
    pub to: String,
    pub workspaces: Vec<SelectOption>,
    pub total: Vec<FigureRow>,
    pub channels: Vec<FigureRow>,
    pub agents: Vec<FigureRow>,
    pub error: String,
}

fn duration_words(lang: Lang, secs: Option<i64>) -> String {
    match secs {
        None => "—".into(),
        Some(s) if s < 3600 => {
            i18n::tr_args(lang, "reports-minutes", &[("count", (s / 60).into())])
        }
        Some(s) => i18n::tr_args(
            lang,
            "reports-hours",
            &[("count", decimal(lang, s as f64 / 3600.0).into())],
        ),
    }
}

/// A median and a 90th percentile in one cell ("—" when nothing was answered).
fn times(lang: Lang, median: Option<i64>, p90: Option<i64>) -> String {
    match (median, p90) {
        (None, _) => "—".into(),
        (m, p) => format!("{} · {}", duration_words(lang, m), duration_words(lang, p)),
    }
}

fn figures_row(
    lang: Lang,
    name: String,
    f: &crate::api::inbox_rules::FiguresOut,
    split: Option<(u64, u64)>,
) -> FigureRow {
    FigureRow {
        name,
        conversations: num(lang, f.conversations),
        business: split.map(|(b, _)| num(lang, b)).unwrap_or_default(),
        off: split.map(|(_, o)| num(lang, o)).unwrap_or_default(),
        first: times(
            lang,
            f.first_response_median_secs,
            f.first_response_p90_secs,
        ),
        replies: num(lang, f.replies),
        reply: times(lang, f.reply_median_secs, f.reply_p90_secs),
        met: f
            .sla_met_pct
            .map(|p| format!("{} %", decimal(lang, p)))
            .unwrap_or_else(|| "—".into()),
    }
}

fn figure_row(lang: Lang, name: String, s: &crate::api::inbox_rules::SplitOut) -> FigureRow {
    figures_row(
        lang,
        name,
        &s.all,
        Some((s.business_hours.conversations, s.off_hours.conversations)),
    )
}

async fn reports_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<ReportParams>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::AnalyticsRead)?;
    let lang = lang_of(&p);
    let names = Names::load(&state).await?;
    let mut workspaces = vec![SelectOption::new(
        "",
        i18n::tr(lang, "sla-any-workspace"),
        true,
    )];
    workspaces.extend(names.workspaces.iter().map(|(id, name)| {
        SelectOption::new(
            id.to_string(),
            name.clone(),
            q.workspace.as_deref() == Some(id.to_string().as_str()),
        )
    }));
    let mut v = ReportsView {
        page: page_for(&p, "/inbox/reports").with_section(Section::Inbox),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        workspaces,
        total: Vec::new(),
        channels: Vec::new(),
        agents: Vec::new(),
        error: String::new(),
    };
    let report: ReportOut = match crate::api::inbox_rules::report(&state, &p.0, &q).await {
        Ok(r) => r,
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            v.error = e.message;
            return Ok(unprocessable(render(&v)));
        }
        Err(e) => return Err(e),
    };
    if v.from.is_empty() {
        v.from = report.from.date_naive().to_string();
    }
    if v.to.is_empty() {
        v.to = (report.to - chrono::Duration::days(1))
            .date_naive()
            .to_string();
    }
    // The whole, then the same figures for what came in within business hours and outside.
    v.total = vec![
        figure_row(lang, i18n::tr(lang, "reports-all"), &report.total),
        figures_row(
            lang,
            i18n::tr(lang, "reports-business-hours"),
            &report.total.business_hours,
            None,
        ),
        figures_row(
            lang,
            i18n::tr(lang, "reports-off-hours"),
            &report.total.off_hours,
            None,
        ),
    ];
    v.channels = report
        .by_channel
        .iter()
        .map(|g| figure_row(lang, g.name.clone().unwrap_or_default(), &g.figures))
        .collect();
    v.agents = report
        .by_agent
        .iter()
        .map(|g| {
            figure_row(
                lang,
                g.name
                    .clone()
                    .unwrap_or_else(|| i18n::tr(lang, "inbox-unassigned")),
                &g.figures,
            )
        })
        .collect();
    Ok(render(&v))
}

/// `POST /account/presence` (the top bar's menu): the person's own presence,
/// so no permission beyond being signed in. Back to `next` (the page it was sent from); an htmx
/// request gets the top bar's menu again instead.
async fn set_presence(
    State(state): State<AppState>,
    p: PagePrincipal,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, AppError> {
    let status = Presence::parse(&form.get("status")).ok_or_else(|| {
        AppError::bad_request("invalid_presence", "Choose available, away or off shift.")
    })?;
    let info = state
        .store
        .set_presence(&p.0.actor(), p.0.user.id, status, None)
        .await?;
    let next = form.get("next");
    let back = if next.is_empty() {
        "/inbox/reports".to_owned()
    } else {
        super::form::safe_next(&next)
    };
    if headers.get("hx-request").is_some() {
        let mut page = page_for(&PagePrincipal(p.0, info), &back);
        if let Some(pr) = page.user.as_mut().and_then(|u| u.presence.as_mut()) {
            pr.just_set = true;
        }
        return Ok(render(&PresenceMenuView { page }));
    }
    Ok(Redirect::to(&back).into_response())
}
