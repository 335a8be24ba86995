//! Publish → Campaigns and Publish → Import: campaigns (posts released together) with their
//! members and offsets, and posts in bulk as CSV (check, then import all or nothing; export).
//!
//! Permission as the API (`api::campaigns`, `api::posts_csv`): campaigns need `posts:draft` on the
//! workspace; import and export `posts:draft` on the workspace or one of its channels (an import
//! then only reaches those channels).
//! Campaigns and the import go through the same store functions and the same import code as the
//! API; the page only shows what they decide.

use std::collections::HashMap;

use axum::{
    Router,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use owlery_domain::{
    CampaignId, Permission, PostId, Target, VariantId, WorkspaceId,
    publishing::schedule::parse_when, user::parse_time_zone,
};
use owlery_store::{
    StoreError,
    campaigns::{Campaign, CampaignInput, CampaignStatus, ReleaseMode},
    org::Workspace,
};
use serde::Deserialize;

use super::{form::FormData, page_for, render, unprocessable};
use crate::{
    auth::{PagePrincipal, Principal},
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        Flash, FormErrors, Section, SelectOption,
        campaigns::{
            CampaignForm, CampaignRow, CampaignView, CampaignsView, ImportReport, ImportView,
            MemberLine, MemberPost, ProblemLine, TAB_CAMPAIGNS, TAB_IMPORT,
        },
        tz_options,
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/publish/campaigns", get(list).post(create))
        .route("/publish/campaigns/{id}", get(show).post(update))
        .route("/publish/campaigns/{id}/offsets", post(offsets))
        .route("/publish/campaigns/{id}/remove", post(remove))
        .route("/publish/import", get(import_form).post(import))
        .route("/publish/export.csv", get(export))
}

fn lang(p: &Principal) -> Lang {
    Lang::parse(&p.user.language).unwrap_or(Lang::En)
}

fn tz_of(p: &Principal) -> chrono_tz::Tz {
    p.user.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// The workspaces where the person may draft (and so manage campaigns and import).
async fn drafting_workspaces(state: &AppState, p: &Principal) -> Result<Vec<Workspace>, AppError> {
    p.require_anywhere(Permission::PostsDraft)?;
    let list: Vec<Workspace> = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|w| {
            p.access
                .can(Permission::PostsDraft, Target::Workspace(w.id))
        })
        .collect();
    if list.is_empty() {
        return Err(AppError::forbidden());
    }
    Ok(list)
}

/// The workspaces the person may import into and export from: `posts:draft` on the workspace or
/// on one of its channels, as the API's import and export.
async fn csv_workspaces(state: &AppState, p: &Principal) -> Result<Vec<Workspace>, AppError> {
    p.require_anywhere(Permission::PostsDraft)?;
    let channels = state.store.list_channels(None).await?;
    let list: Vec<Workspace> = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|w| {
            p.access
                .can(Permission::PostsDraft, Target::Workspace(w.id))
                || channels.iter().filter(|c| c.workspace_id == w.id).any(|c| {
                    p.access.can(
                        Permission::PostsDraft,
                        Target::Channel {
                            workspace: w.id,
                            channel: c.id,
                        },
                    )
                })
        })
        .collect();
    if list.is_empty() {
        return Err(AppError::forbidden());
    }
    Ok(list)
}

fn workspace_options(list: &[Workspace], chosen: Option<WorkspaceId>) -> Vec<SelectOption> {
    list.iter()
        .map(|w| SelectOption::new(w.id.to_string(), &w.name, Some(w.id) == chosen))
        .collect()
}

/// A workspace id from a form, among the given ones.
fn chosen_workspace(list: &[Workspace], raw: &str) -> Result<WorkspaceId, AppError> {
    WorkspaceId::parse(raw)
        .filter(|w| list.iter().any(|x| x.id == *w))
        .ok_or_else(AppError::forbidden)
}

fn local(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

fn empty_form(p: &Principal, workspaces: Vec<SelectOption>) -> CampaignForm {
    CampaignForm {
        workspaces,
        name: String::new(),
        when: String::new(),
        tz_options: tz_options(tz_of(p).name()),
        staggered: false,
        all_or_nothing: false,
        note: String::new(),
        errors: FormErrors::new(),
    }
}

fn form_of(c: &Campaign, tz: chrono_tz::Tz) -> CampaignForm {
    CampaignForm {
        workspaces: Vec::new(),
        name: c.name.clone(),
        when: c.release_at.map(|t| local(t, tz)).unwrap_or_default(),
        tz_options: tz_options(tz.name()),
        staggered: c.release_mode == ReleaseMode::Staggered,
        all_or_nothing: c.all_or_nothing,
        note: c.note.clone().unwrap_or_default(),
        errors: FormErrors::new(),
    }
}

/// Read the create/edit form: the input for the store, or the form again with its errors.
fn read_form(
    p: &Principal,
    form: &FormData,
    mut shown: CampaignForm,
) -> (CampaignForm, Option<CampaignInput>) {
    let lang = lang(p);
    let tz = parse_time_zone(&form.get("tz")).unwrap_or_else(|_| tz_of(p));
    shown.name = form.get("name");
    shown.when = form.get("when");
    shown.tz_options = tz_options(tz.name());
    shown.staggered = form.get("release_mode") == "staggered";
    shown.all_or_nothing = !form.get("all_or_nothing").is_empty();
    shown.note = form.get("note");
    if shown.name.is_empty() {
        shown
            .errors
            .push("name", i18n::tr(lang, "campaign-name-required"));
    }
    let release_at = match shown.when.as_str() {
        "" => None,
        raw => match parse_when(raw, tz) {
            Ok(at) => Some(at),
            Err(e) => {
                shown.errors.push("when", e.message);
                None
            }
        },
    };
    if !shown.errors.is_empty() {
        return (shown, None);
    }
    let input = CampaignInput {
        name: shown.name.clone(),
        owner_id: p.user.id,
        release_at,
        release_mode: if shown.staggered {
            ReleaseMode::Staggered
        } else {
            ReleaseMode::Instant
        },
        all_or_nothing: shown.all_or_nothing,
        note: Some(shown.note.clone()).filter(|n| !n.is_empty()),
    };
    (shown, Some(input))
}

/// A store refusal of the form's values as a form error; anything else passes.
fn store_refusal(e: StoreError, form: &mut CampaignForm) -> Result<(), AppError> {
    match e {
        StoreError::Invalid(i) => {
            let field = match i.field {
                "release_at" => "when",
                f => f,
            };
            form.errors.push(field, i.message);
            Ok(())
        }
        StoreError::Conflict { message, .. } => {
            form.errors.push("", message);
            Ok(())
        }
        e => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct Saved {
    #[serde(default)]
    saved: String,
}

async fn list_view(
    state: &AppState,
    p: &PagePrincipal,
    form: Option<CampaignForm>,
) -> Result<CampaignsView, AppError> {
    let workspaces = drafting_workspaces(state, &p.0).await?;
    let page = page_for(p, "/publish/campaigns").with_section(Section::Publish);
    let mut campaigns = Vec::new();
    for w in &workspaces {
        for c in state.store.campaigns(w.id).await? {
            let members = state
                .store
                .campaign_state(c.id)
                .await?
                .map(|s| {
                    let mut posts: Vec<PostId> = s.members.iter().map(|m| m.post_id).collect();
                    posts.sort_by_key(|p| p.0);
                    posts.dedup();
                    posts.len()
                })
                .unwrap_or_default();
            campaigns.push(CampaignRow {
                id: c.id.to_string(),
                name: c.name.clone(),
                workspace: w.name.clone(),
                release: c.release_at.map(|t| page.dt(t)).unwrap_or_default(),
                mode: c.release_mode.code().to_owned(),
                all_or_nothing: c.all_or_nothing,
                status: c.status.code().to_owned(),
                members,
            });
        }
    }
    let form = form.unwrap_or_else(|| {
        empty_form(
            &p.0,
            workspace_options(&workspaces, workspaces.first().map(|w| w.id)),
        )
    });
    Ok(CampaignsView {
        page,
        tab: TAB_CAMPAIGNS,
        campaigns,
        form,
    })
}

async fn list(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    Ok(render(&list_view(&state, &p, None).await?))
}

async fn create(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    let workspaces = drafting_workspaces(&state, &p.0).await?;
    let workspace = chosen_workspace(&workspaces, &form.get("workspace_id"))?;
    let shown = empty_form(&p.0, workspace_options(&workspaces, Some(workspace)));
    let (mut shown, input) = read_form(&p.0, &form, shown);
    if let Some(input) = input {
        match state
            .store
            .create_campaign(&p.0.actor(), workspace, input)
            .await
        {
            Ok(c) => {
                return Ok(
                    Redirect::to(&format!("/publish/campaigns/{}?saved=1", c.id)).into_response(),
                );
            }
            Err(e) => store_refusal(e, &mut shown)?,
        }
    }
    shown.workspaces = workspace_options(&workspaces, Some(workspace));
    let view = list_view(&state, &p, Some(shown)).await?;
    Ok(unprocessable(render(&view)))
}

/// The campaign, if the person may draft in its workspace.
async fn load(state: &AppState, p: &Principal, raw: &str) -> Result<Campaign, AppError> {
    let id = CampaignId::parse(raw).ok_or_else(|| AppError::not_found("campaign"))?;
    let c = state
        .store
        .campaign(id)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    p.require(Permission::PostsDraft, Target::Workspace(c.workspace_id))?;
    Ok(c)
}

async fn detail_view(
    state: &AppState,
    p: &PagePrincipal,
    c: &Campaign,
    form: Option<CampaignForm>,
) -> Result<CampaignView, AppError> {
    let path = format!("/publish/campaigns/{}", c.id);
    let page = page_for(p, &path).with_section(Section::Publish);
    let workspace = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .find(|w| w.id == c.workspace_id)
        .map(|w| w.name)
        .unwrap_or_default();
    let channels = state.store.list_channels(Some(c.workspace_id)).await?;
    let st = state
        .store
        .campaign_state(c.id)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let mut posts: Vec<MemberPost> = Vec::new();
    let mut titles: HashMap<PostId, String> = HashMap::new();
    for m in &st.members {
        let title = match titles.get(&m.post_id) {
            Some(t) => t.clone(),
            None => {
                let t = state
                    .store
                    .post(m.post_id)
                    .await?
                    .map(|p| p.title)
                    .unwrap_or_default();
                titles.insert(m.post_id, t.clone());
                t
            }
        };
        let member = m.member();
        let ch = channels.iter().find(|x| x.id == m.channel_id);
        let line = MemberLine {
            variant_id: m.variant_id.to_string(),
            network: ch.map(|x| x.network.code().to_owned()).unwrap_or_default(),
            channel: ch.map(|x| x.name.clone()).unwrap_or_default(),
            status: m.status.code().to_owned(),
            offset_minutes: m.offset_minutes,
            blocker: if member.cancelled {
                String::new()
            } else {
                member
                    .blocker()
                    .map(|b| b.code().to_owned())
                    .unwrap_or_default()
            },
        };
        let id = m.post_id.to_string();
        match posts.iter_mut().find(|x| x.post_id == id) {
            Some(x) => x.members.push(line),
            None => posts.push(MemberPost {
                post_id: id,
                title,
                members: vec![line],
            }),
        }
    }
    Ok(CampaignView {
        page,
        tab: TAB_CAMPAIGNS,
        id: c.id.to_string(),
        name: c.name.clone(),
        workspace,
        status: c.status.code().to_owned(),
        status_key: format!("campaign-status-{}", c.status.code()),
        editable: c.status == CampaignStatus::Planned,
        staggered: c.release_mode == ReleaseMode::Staggered,
        all_or_nothing: c.all_or_nothing,
        form: form.unwrap_or_else(|| form_of(c, tz_of(&p.0))),
        posts,
    })
}

async fn show(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    let c = load(&state, &p.0, &raw).await?;
    let mut view = detail_view(&state, &p, &c, None).await?;
    if !q.saved.is_empty() {
        view.page = view
            .page
            .with_flash(Some(Flash::success(i18n::tr(lang(&p.0), "campaign-saved"))));
    }
    Ok(render(&view))
}

async fn update(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let c = load(&state, &p.0, &raw).await?;
    let (mut shown, input) = read_form(&p.0, &form, form_of(&c, tz_of(&p.0)));
    if let Some(mut input) = input {
        input.owner_id = c.owner_id;
        match state.store.update_campaign(&p.0.actor(), c.id, input).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/publish/campaigns/{}?saved=1", c.id)).into_response(),
                );
            }
            Err(e) => store_refusal(e, &mut shown)?,
        }
    }
    let view = detail_view(&state, &p, &c, Some(shown)).await?;
    Ok(unprocessable(render(&view)))
}

/// Save every member's offset: per post, through the same store call as the API's `PUT`.
async fn offsets(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let c = load(&state, &p.0, &raw).await?;
    let st = state
        .store
        .campaign_state(c.id)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let mut by_post: Vec<(PostId, Vec<(VariantId, i64)>)> = Vec::new();
    let mut errors = FormErrors::new();
    for m in &st.members {
        let field = format!("offset_{}", m.variant_id);
        let raw = form.get(&field);
        let minutes = if raw.is_empty() {
            m.offset_minutes
        } else {
            match raw.parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    errors.push(field, i18n::tr(lang(&p.0), "campaign-offset-invalid"));
                    continue;
                }
            }
        };
        match by_post.iter_mut().find(|(id, _)| *id == m.post_id) {
            Some((_, list)) => list.push((m.variant_id, minutes)),
            None => by_post.push((m.post_id, vec![(m.variant_id, minutes)])),
        }
    }
    if errors.is_empty() {
        for (post, list) in &by_post {
            if let Err(e) = state
                .store
                .add_to_campaign(&p.0.actor(), c.id, *post, list)
                .await
            {
                match e {
                    StoreError::Invalid(i) => errors.push("", i.message),
                    StoreError::Conflict { message, .. } => errors.push("", message),
                    e => return Err(e.into()),
                }
                break;
            }
        }
    }
    if errors.is_empty() {
        return Ok(Redirect::to(&format!("/publish/campaigns/{}?saved=1", c.id)).into_response());
    }
    let mut form = form_of(&c, tz_of(&p.0));
    form.errors = errors;
    let view = detail_view(&state, &p, &c, Some(form)).await?;
    Ok(unprocessable(render(&view)))
}

async fn remove(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let c = load(&state, &p.0, &raw).await?;
    let post = PostId::parse(&form.get("post_id")).ok_or_else(|| AppError::not_found("post"))?;
    state
        .store
        .remove_from_campaign(&p.0.actor(), c.id, post)
        .await?;
    Ok(Redirect::to(&format!("/publish/campaigns/{}?saved=1", c.id)).into_response())
}

fn import_view(
    p: &PagePrincipal,
    workspaces: &[Workspace],
    chosen: Option<WorkspaceId>,
) -> ImportView {
    ImportView {
        page: page_for(p, "/publish/import").with_section(Section::Publish),
        tab: TAB_IMPORT,
        workspaces: workspace_options(workspaces, chosen.or(workspaces.first().map(|w| w.id))),
        csv: String::new(),
        errors: FormErrors::new(),
        report: None,
        from: String::new(),
        to: String::new(),
    }
}

async fn import_form(
    State(state): State<AppState>,
    p: PagePrincipal,
) -> Result<Response, AppError> {
    let workspaces = csv_workspaces(&state, &p.0).await?;
    Ok(render(&import_view(&p, &workspaces, None)))
}

/// Check the pasted CSV (a dry run) or, with `action=import`, import it — all or nothing, through
/// the API's import code.
async fn import(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    let workspaces = csv_workspaces(&state, &p.0).await?;
    let workspace = chosen_workspace(&workspaces, &form.get("workspace_id"))?;
    let mut view = import_view(&p, &workspaces, Some(workspace));
    let lang = lang(&p.0);
    view.csv = form.raw("csv");
    let dry_run = form.get("action") != "import";
    if view.csv.trim().is_empty() {
        view.errors
            .push("csv", i18n::tr(lang, "import-csv-required"));
        return Ok(unprocessable(render(&view)));
    }
    match crate::api::posts_csv::run_import(&state, &p.0, workspace, view.csv.as_bytes(), dry_run)
        .await
    {
        Ok(result) => {
            let mut problems = Vec::new();
            let mut warnings = Vec::new();
            for r in &result.rows {
                for pr in &r.problems {
                    problems.push(ProblemLine {
                        line: r.line,
                        column: pr.column.clone().unwrap_or_default(),
                        message: pr.message.clone(),
                    });
                }
                for w in &r.validation_errors {
                    warnings.push(ProblemLine {
                        line: r.line,
                        column: String::new(),
                        message: w.clone(),
                    });
                }
            }
            let flash = if result.imported {
                Flash::success(i18n::tr_args(
                    lang,
                    "import-done",
                    &[("count", result.rows_total.into())],
                ))
            } else if result.rows_with_problems > 0 {
                Flash::error(i18n::tr_args(
                    lang,
                    "import-has-problems",
                    &[
                        ("count", result.rows_with_problems.into()),
                        ("total", result.rows_total.into()),
                    ],
                ))
            } else {
                Flash::success(i18n::tr_args(
                    lang,
                    "import-clean",
                    &[("count", result.rows_total.into())],
                ))
            };
            view.page = view.page.with_flash(Some(flash));
            if result.imported {
                view.csv = String::new();
            }
            let bad = result.rows_with_problems > 0;
            view.report = Some(ImportReport {
                imported: result.imported,
                rows_total: result.rows_total,
                rows_with_problems: result.rows_with_problems,
                problems,
                warnings,
            });
            let res = render(&view);
            Ok(if bad { unprocessable(res) } else { res })
        }
        // The file as a whole cannot be read: said on the form.
        Err(e) if e.status.is_client_error() && e.status.as_u16() != 403 => {
            view.errors.push("csv", e.message);
            Ok(unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    #[serde(default)]
    workspace_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// A date (`YYYY-MM-DD`) as the start of that day in the viewer's time zone.
fn day_start(
    raw: &str,
    tz: chrono_tz::Tz,
    days_after: i64,
) -> Result<Option<DateTime<Utc>>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::bad_request("invalid_date", "Dates are written as YYYY-MM-DD."))?;
    let d = d + chrono::Duration::days(days_after);
    Ok(d.and_time(NaiveTime::MIN)
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&Utc)))
}

/// The workspace's posts as CSV (the API's export); `to` includes that whole day.
async fn export(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let workspaces = csv_workspaces(&state, &p.0).await?;
    let workspace = chosen_workspace(&workspaces, &q.workspace_id)?;
    let tz = tz_of(&p.0);
    let from = day_start(&q.from, tz, 0)?;
    let to = day_start(&q.to, tz, 1)?;
    crate::api::posts_csv::export_response(&state, &p.0, workspace, from, to).await
}
