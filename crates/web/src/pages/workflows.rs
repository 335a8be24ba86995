//! Settings → Approval workflows: per workspace its workspace-wide workflow and any channel's own
//! (which wins), and the form that creates, edits and deletes one. Needs `workspaces:manage` on the
//! workspace; only those workspaces are shown. The rules are `Workflow::validate` in the domain;
//! the store audits every change. Steps are added, removed and moved by posting the form back (no
//! JavaScript needed); see [`crate::ui::views::workflows`].

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use owlery_domain::{
    ChannelId, InvalidInput, Permission, Role, Target, TeamId, UserId, WorkflowId, WorkspaceId,
    publishing::approval::{
        Approvers, MAX_DEADLINE_HOURS, MAX_REQUIRED, MAX_STEP_NAME_CHARS, MAX_STEPS, Step, Workflow,
    },
    user::UserStatus,
};
use owlery_store::{StoreError, reviews::WorkflowRecord};
use serde::Deserialize;

use super::{form::FormData, lang_of, page_for, render, unprocessable};
use crate::{
    auth::PagePrincipal,
    error::AppError,
    i18n::{self, Arg, Lang},
    state::AppState,
    ui::views::{
        self, FieldError, Flash, FormErrors, Section, SelectOption,
        workflows::{
            ChannelCover, ScopeGroup, StepForm, StepSummary, WorkflowFormView, WorkflowSummary,
            WorkflowsView, WorkspaceWorkflows,
        },
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/workflows", get(list).post(create))
        .route("/settings/workflows/new", get(new_form))
        .route("/settings/workflows/{id}", get(edit_form).post(save))
        .route("/settings/workflows/{id}/delete", post(delete))
}

fn settings_page(p: &PagePrincipal, path: &str) -> views::Page {
    page_for(p, path).with_section(Section::Settings)
}

/// Who the page is about: the workspaces the viewer manages, their channels, teams and people.
struct Context {
    workspaces: Vec<owlery_store::org::Workspace>,
    channels: Vec<owlery_store::org::Channel>,
    teams: Vec<owlery_store::org::Team>,
    users: Vec<owlery_store::users::User>,
}

async fn context(state: &AppState, p: &PagePrincipal) -> Result<Context, AppError> {
    p.0.require_anywhere(Permission::WorkspacesManage)?;
    let workspaces: Vec<_> = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|w| {
            p.0.access
                .can(Permission::WorkspacesManage, Target::Workspace(w.id))
        })
        .collect();
    let channels = state
        .store
        .list_channels(None)
        .await?
        .into_iter()
        .filter(|c| workspaces.iter().any(|w| w.id == c.workspace_id))
        .collect();
    let teams = state.store.list_teams().await?;
    let mut users = Vec::new();
    let mut after = None;
    loop {
        let page = state.store.list_users(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        users.extend(page);
    }
    users.sort_by_key(|u| u.name.to_lowercase());
    Ok(Context {
        workspaces,
        channels,
        teams,
        users,
    })
}

impl Context {
    fn user_name(&self, id: &UserId) -> String {
        self.users
            .iter()
            .find(|u| u.id == *id)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// `workspace:<id>` or `channel:<id>`, among what the viewer manages.
    fn parse_scope(&self, value: &str) -> Option<(WorkspaceId, Option<ChannelId>)> {
        match value.split_once(':')? {
            ("workspace", id) => WorkspaceId::parse(id)
                .filter(|w| self.workspaces.iter().any(|x| x.id == *w))
                .map(|w| (w, None)),
            ("channel", id) => {
                let c = ChannelId::parse(id)?;
                self.channels
                    .iter()
                    .find(|x| x.id == c)
                    .map(|x| (x.workspace_id, Some(c)))
            }
            _ => None,
        }
    }

    fn scope_groups(&self) -> Vec<ScopeGroup> {
        self.workspaces
            .iter()
            .map(|w| ScopeGroup {
                name: w.name.clone(),
                workspace_value: format!("workspace:{}", w.id),
                channels: self
                    .channels
                    .iter()
                    .filter(|c| c.workspace_id == w.id)
                    .map(|c| {
                        SelectOption::new(
                            format!("channel:{}", c.id),
                            format!("{} (@{})", c.name, c.handle),
                            false,
                        )
                    })
                    .collect(),
            })
            .collect()
    }

    fn describe(&self, page: &views::Page, step: &Step) -> String {
        match &step.approvers {
            Approvers::Role { role } => {
                page.t1("wf-approvers-role", "role", page.role_name(role.code()))
            }
            Approvers::Team { team_id } => {
                let name = self
                    .teams
                    .iter()
                    .find(|t| t.id == *team_id)
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| team_id.to_string());
                page.t1("wf-approvers-team", "team", name)
            }
            Approvers::People { user_ids } => user_ids
                .iter()
                .map(|u| self.user_name(u))
                .collect::<Vec<_>>()
                .join(", "),
            Approvers::External => page.t("wf-approvers-external"),
        }
    }

    fn summary(&self, page: &views::Page, r: &WorkflowRecord) -> WorkflowSummary {
        WorkflowSummary {
            id: r.id.to_string(),
            name: r.name.clone(),
            steps: r
                .workflow
                .steps
                .iter()
                .map(|s| StepSummary {
                    name: s.name.clone(),
                    approvers: self.describe(page, s),
                    required: s.required,
                    deadline_hours: s.deadline_hours.unwrap_or(0),
                    backup: s.backup.map(|b| self.user_name(&b)).unwrap_or_default(),
                })
                .collect(),
            updated_at: r.updated_at,
        }
    }
}

// ---- the overview ----

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    deleted: String,
}

async fn list_view(
    state: &AppState,
    p: &PagePrincipal,
    ctx: &Context,
) -> Result<WorkflowsView, AppError> {
    let page = settings_page(p, "/settings/workflows");
    let mut workspaces = Vec::new();
    for w in &ctx.workspaces {
        let records = state.store.workflows(w.id).await?;
        let workspace_wide = records
            .iter()
            .find(|r| r.channel_id.is_none())
            .map(|r| ctx.summary(&page, r));
        let channels = ctx
            .channels
            .iter()
            .filter(|c| c.workspace_id == w.id)
            .map(|c| ChannelCover {
                id: c.id.to_string(),
                network: c.network.code().to_owned(),
                name: c.name.clone(),
                handle: c.handle.clone(),
                own: records
                    .iter()
                    .find(|r| r.channel_id == Some(c.id))
                    .map(|r| ctx.summary(&page, r)),
            })
            .collect();
        workspaces.push(WorkspaceWorkflows {
            id: w.id.to_string(),
            name: w.name.clone(),
            workspace_wide,
            channels,
        });
    }
    Ok(WorkflowsView {
        page,
        workspaces,
        saved_id: String::new(),
    })
}

async fn list(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &p).await?;
    let lang = lang_of(&p);
    let mut view = list_view(&state, &p, &ctx).await?;
    let flash = if !q.saved.is_empty() {
        Some(Flash::success(i18n::tr(lang, "wf-saved")))
    } else if !q.deleted.is_empty() {
        Some(Flash::success(i18n::tr(lang, "wf-deleted")))
    } else {
        None
    };
    view.page = view.page.with_flash(flash);
    view.saved_id = q.saved;
    Ok(render(&view))
}

// ---- the form ----

fn form_view(
    p: &PagePrincipal,
    ctx: &Context,
    editing: Option<WorkflowId>,
    name: String,
    scope: String,
    steps: Vec<StepForm>,
    errors: FormErrors,
) -> WorkflowFormView {
    let path = match editing {
        Some(id) => format!("/settings/workflows/{id}"),
        None => "/settings/workflows/new".to_owned(),
    };
    WorkflowFormView {
        page: settings_page(p, &path),
        editing: editing.map(|id| id.to_string()),
        name,
        scope,
        scope_groups: ctx.scope_groups(),
        steps,
        roles: Role::ALL.iter().map(|r| r.code().to_owned()).collect(),
        teams: ctx
            .teams
            .iter()
            .map(|t| SelectOption::new(t.id.to_string(), t.name.clone(), false))
            .collect(),
        people: ctx
            .users
            .iter()
            .filter(|u| u.status != UserStatus::Disabled)
            .map(|u| SelectOption::new(u.id.to_string(), u.name.clone(), false))
            .collect(),
        errors,
        max_steps: MAX_STEPS,
    }
}

#[derive(Deserialize, Default)]
struct NewQuery {
    #[serde(default)]
    scope: String,
}

async fn new_form(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &p).await?;
    // An unknown or foreign scope in the link just leaves the first one chosen.
    let scope = if ctx.parse_scope(&q.scope).is_some() {
        q.scope
    } else {
        String::new()
    };
    Ok(render(&form_view(
        &p,
        &ctx,
        None,
        String::new(),
        scope,
        vec![StepForm::default()],
        FormErrors::new(),
    )))
}

/// A stored workflow the viewer may manage (archived ones are gone).
async fn load(state: &AppState, p: &PagePrincipal, raw: &str) -> Result<WorkflowRecord, AppError> {
    let id = WorkflowId::parse(raw).ok_or_else(|| AppError::not_found("workflow"))?;
    let record = state
        .store
        .workflow(id)
        .await?
        .ok_or_else(|| AppError::not_found("workflow"))?;
    p.0.require(
        Permission::WorkspacesManage,
        Target::Workspace(record.workspace_id),
    )?;
    let live = state.store.workflows(record.workspace_id).await?;
    live.into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::not_found("workflow"))
}

fn scope_value(r: &WorkflowRecord) -> String {
    match r.channel_id {
        Some(c) => format!("channel:{c}"),
        None => format!("workspace:{}", r.workspace_id),
    }
}

fn step_form(s: &Step) -> StepForm {
    let mut f = StepForm {
        name: s.name.clone(),
        required: s.required.to_string(),
        backup: s.backup.map(|b| b.to_string()).unwrap_or_default(),
        deadline_hours: s.deadline_hours.map(|h| h.to_string()).unwrap_or_default(),
        ..StepForm::default()
    };
    match &s.approvers {
        Approvers::Role { role } => {
            f.kind = "role".into();
            f.role = role.code().to_owned();
        }
        Approvers::Team { team_id } => {
            f.kind = "team".into();
            f.team = team_id.to_string();
        }
        Approvers::People { user_ids } => {
            f.kind = "people".into();
            f.people = user_ids.iter().map(|u| u.to_string()).collect();
        }
        Approvers::External => f.kind = "external".into(),
    }
    f
}

async fn edit_form(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &p).await?;
    let record = load(&state, &p, &id).await?;
    Ok(render(&form_view(
        &p,
        &ctx,
        Some(record.id),
        record.name.clone(),
        scope_value(&record),
        record.workflow.steps.iter().map(step_form).collect(),
        FormErrors::new(),
    )))
}

/// The step rows as posted, at most [`MAX_STEPS`].
fn read_steps(form: &FormData) -> Vec<StepForm> {
    let count = form
        .get("step_count")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, MAX_STEPS);
    (0..count)
        .map(|i| {
            let f = |field: &str| form.get(&format!("step{i}.{field}"));
            StepForm {
                name: f("name"),
                kind: f("kind"),
                role: f("role"),
                team: f("team"),
                people: form
                    .all(&format!("step{i}.people"))
                    .into_iter()
                    .filter(|v| !v.is_empty())
                    .collect(),
                required: f("required"),
                backup: f("backup"),
                deadline_hours: f("deadline_hours"),
            }
        })
        .collect()
}

/// Add, remove or move a step row; `false` when `op` is not one of those (i.e. save).
fn rearrange(steps: &mut Vec<StepForm>, op: &str) -> bool {
    let (verb, index) = match op.split_once(':') {
        Some((v, i)) => (v, i.parse::<usize>().ok()),
        None => (op, None),
    };
    match (verb, index) {
        ("add", _) => {
            if steps.len() < MAX_STEPS {
                steps.push(StepForm::default());
            }
        }
        ("remove", Some(i)) if i < steps.len() => {
            steps.remove(i);
            if steps.is_empty() {
                steps.push(StepForm::default());
            }
        }
        ("up", Some(i)) if i > 0 && i < steps.len() => steps.swap(i - 1, i),
        ("down", Some(i)) if i + 1 < steps.len() => steps.swap(i, i + 1),
        ("remove" | "up" | "down", _) => {}
        _ => return false,
    }
    true
}

fn tr_n(lang: Lang, key: &str, name: &str, n: impl Into<Arg>) -> String {
    i18n::tr_args(lang, key, &[(name, n.into())])
}

/// A domain message for one step, put next to its field and said in the viewer's language.
fn step_error(lang: Lang, i: usize, e: &InvalidInput) -> FieldError {
    let field = e.field.strip_prefix("steps.").unwrap_or(e.field);
    let message = match (field, e.code) {
        ("name", "required") => i18n::tr(lang, "wf-error-step-name-required"),
        ("name", "too_long") => tr_n(
            lang,
            "wf-error-step-name-too-long",
            "max",
            MAX_STEP_NAME_CHARS,
        ),
        ("name", "invalid") => i18n::tr(lang, "wf-error-step-name-invalid"),
        ("required", "out_of_range") => tr_n(lang, "wf-error-required-range", "max", MAX_REQUIRED),
        ("required", "more_than_people") => i18n::tr(lang, "wf-error-required-more-than-people"),
        ("approvers", "required") => i18n::tr(lang, "wf-error-people-required"),
        ("deadline_hours", "out_of_range") => {
            tr_n(lang, "wf-error-deadline-range", "max", MAX_DEADLINE_HOURS)
        }
        _ => e.message.clone(),
    };
    FieldError::new(format!("step{i}.{field}"), message)
}

/// Turn the rows into steps (blank rows skipped), with every problem next to its field.
fn parse_steps(lang: Lang, ctx: &Context, rows: &[StepForm]) -> (Vec<Step>, Vec<FieldError>) {
    let mut steps = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        let before = errors.len();
        let approvers = match row.kind.as_str() {
            "role" => Role::parse(&row.role).map(|role| Approvers::Role { role }),
            "team" => TeamId::parse(&row.team)
                .filter(|t| ctx.teams.iter().any(|x| x.id == *t))
                .map(|team_id| Approvers::Team { team_id }),
            "people" => {
                let ids: Option<Vec<UserId>> =
                    row.people.iter().map(|u| UserId::parse(u)).collect();
                ids.filter(|ids| ids.iter().all(|u| ctx.users.iter().any(|x| x.id == *u)))
                    .map(|user_ids| Approvers::People { user_ids })
            }
            "external" => Some(Approvers::External),
            _ => None,
        };
        if approvers.is_none() {
            errors.push(FieldError::new(
                format!("step{i}.approvers"),
                i18n::tr(lang, "wf-error-approvers"),
            ));
        }
        let required = row.required.parse::<u32>();
        if required.is_err() {
            errors.push(FieldError::new(
                format!("step{i}.required"),
                tr_n(lang, "wf-error-required-range", "max", MAX_REQUIRED),
            ));
        }
        let deadline_hours = if row.deadline_hours.is_empty() {
            Ok(None)
        } else {
            row.deadline_hours.parse::<u32>().map(Some)
        };
        if deadline_hours.is_err() {
            errors.push(FieldError::new(
                format!("step{i}.deadline_hours"),
                tr_n(lang, "wf-error-deadline-range", "max", MAX_DEADLINE_HOURS),
            ));
        }
        let backup = if row.backup.is_empty() {
            Some(None)
        } else {
            UserId::parse(&row.backup)
                .filter(|u| ctx.users.iter().any(|x| x.id == *u))
                .map(Some)
        };
        if backup.is_none() {
            errors.push(FieldError::new(
                format!("step{i}.backup"),
                i18n::tr(lang, "wf-error-backup"),
            ));
        }
        let (Some(approvers), Ok(required), Ok(deadline_hours), Some(backup)) =
            (approvers, required, deadline_hours, backup)
        else {
            continue;
        };
        let step = Step {
            name: row.name.trim().to_owned(),
            approvers,
            required,
            backup,
            deadline_hours,
        };
        // The domain's rules, one step at a time, so each message lands on its own row.
        if let Err(e) = (Workflow {
            steps: vec![step.clone()],
        })
        .validate()
        {
            errors.push(step_error(lang, i, &e));
        }
        if errors.len() == before {
            steps.push(step);
        }
    }
    (steps, errors)
}

async fn create(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    submit(state, p, None, form).await
}

async fn save(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let record = load(&state, &p, &id).await?;
    submit(state, p, Some(record), form).await
}

async fn submit(
    state: AppState,
    p: PagePrincipal,
    editing: Option<WorkflowRecord>,
    form: FormData,
) -> Result<Response, AppError> {
    let ctx = context(&state, &p).await?;
    let lang = lang_of(&p);
    let editing_id = editing.as_ref().map(|r| r.id);
    let name = form.get("name");
    let scope_raw = form.get("scope");
    let mut rows = read_steps(&form);
    let show = |rows: Vec<StepForm>, errors: Vec<FieldError>| {
        form_view(
            &p,
            &ctx,
            editing_id,
            name.clone(),
            scope_raw.clone(),
            rows,
            FormErrors(errors),
        )
    };
    if rearrange(&mut rows, &form.get("op")) {
        return Ok(render(&show(rows, vec![])));
    }

    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        errors.push(FieldError::new("name", i18n::tr(lang, "wf-error-name")));
    }
    let scope = ctx.parse_scope(&scope_raw);
    if scope.is_none() {
        errors.push(FieldError::new("scope", i18n::tr(lang, "wf-error-scope")));
    }
    let (steps, step_errors) = parse_steps(lang, &ctx, &rows);
    let rows_with_errors = !step_errors.is_empty();
    errors.extend(step_errors);
    let workflow = Workflow { steps };
    if !rows_with_errors && let Err(e) = workflow.validate() {
        let message = match e.code {
            "required" => i18n::tr(lang, "wf-error-steps-required"),
            "too_many" => tr_n(lang, "wf-error-steps-too-many", "max", MAX_STEPS),
            _ => e.message,
        };
        errors.push(FieldError::new("steps", message));
    }
    // One workflow per scope: creating (or moving onto) a taken scope would silently replace it.
    if let Some((ws, channel)) = scope {
        p.0.require(Permission::WorkspacesManage, Target::Workspace(ws))?;
        let taken = state
            .store
            .workflows(ws)
            .await?
            .into_iter()
            .find(|r| r.channel_id == channel && Some(r.id) != editing_id);
        if let Some(other) = taken {
            errors.push(FieldError::new(
                "scope",
                i18n::tr_args(
                    lang,
                    "wf-error-scope-taken",
                    &[("name", Arg::from(other.name.as_str()))],
                ),
            ));
        }
    }
    let Some((ws, channel)) = scope.filter(|_| errors.is_empty()) else {
        return Ok(unprocessable(render(&show(rows, errors))));
    };

    // Moved to another scope: the old one goes first (it refuses while posts wait in it).
    if let Some(old) = &editing
        && (old.workspace_id, old.channel_id) != (ws, channel)
    {
        match state.store.delete_workflow(&p.0.actor(), old.id).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                let errors = vec![FieldError::new(
                    "scope",
                    i18n::tr(lang, "wf-error-move-waiting"),
                )];
                return Ok(unprocessable(render(&show(rows, errors))));
            }
            Err(e) => return Err(e.into()),
        }
    }
    match state
        .store
        .set_workflow(&p.0.actor(), ws, channel, &name, &workflow)
        .await
    {
        Ok(saved) => {
            Ok(Redirect::to(&format!("/settings/workflows?saved={}", saved.id)).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let field = if e.field == "name" { "name" } else { "" };
            Ok(unprocessable(render(&show(
                rows,
                vec![FieldError::new(field, e.message)],
            ))))
        }
        Err(StoreError::NotFound("channel")) => Ok(unprocessable(render(&show(
            rows,
            vec![FieldError::new("scope", i18n::tr(lang, "wf-error-scope"))],
        )))),
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let ctx = context(&state, &p).await?;
    let record = load(&state, &p, &id).await?;
    match state.store.delete_workflow(&p.0.actor(), record.id).await {
        Ok(()) => Ok(Redirect::to("/settings/workflows?deleted=1").into_response()),
        Err(StoreError::Conflict { .. }) => {
            let lang = lang_of(&p);
            let mut view = list_view(&state, &p, &ctx).await?;
            view.page = view.page.with_flash(Some(Flash::error(i18n::tr_args(
                lang,
                "wf-error-delete-waiting",
                &[("name", Arg::from(record.name.as_str()))],
            ))));
            let mut res = render(&view);
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> StepForm {
        StepForm {
            name: n.into(),
            ..StepForm::default()
        }
    }

    fn names(steps: &[StepForm]) -> Vec<&str> {
        steps.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn rows_are_added_removed_and_moved() {
        let mut steps = vec![named("a"), named("b"), named("c")];
        assert!(rearrange(&mut steps, "up:2"));
        assert_eq!(names(&steps), ["a", "c", "b"]);
        assert!(rearrange(&mut steps, "down:0"));
        assert_eq!(names(&steps), ["c", "a", "b"]);
        assert!(rearrange(&mut steps, "up:0"), "a no-op, still not a save");
        assert!(rearrange(&mut steps, "remove:1"));
        assert_eq!(names(&steps), ["c", "b"]);
        assert!(rearrange(&mut steps, "add"));
        assert_eq!(names(&steps), ["c", "b", ""]);
        assert!(rearrange(&mut steps, "remove:99"));
        assert_eq!(steps.len(), 3);
        assert!(!rearrange(&mut steps, "save"));
        assert!(!rearrange(&mut steps, ""));
        let mut one = vec![named("x")];
        rearrange(&mut one, "remove:0");
        assert_eq!(one.len(), 1, "always one row to fill in");
        let mut full: Vec<StepForm> = (0..MAX_STEPS).map(|_| named("s")).collect();
        rearrange(&mut full, "add");
        assert_eq!(full.len(), MAX_STEPS);
    }
}
