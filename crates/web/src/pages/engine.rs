//! The publishing engine's pages: "Needs attention" (`/publish/attention`: posts held by a pause or
//! because they were late, unconfirmed ones, failed ones, each with what the viewer may do),
//! Settings → Publishing (`/settings/publishing`: the pause switch and the late policy), the pause
//! banner the layout loads on every page, and the count on the Publish sub-navigation.
//!
//! Permissions are checked in [`crate::engine`], the same rules as the API's.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{Duration, Timelike};
use owlery_domain::{
    InvalidInput, Permission, Target, VariantId,
    post::VariantStatus,
    publishing::{
        engine::{HeldBy, LatePolicy, PauseScope},
        schedule::parse_when,
    },
    user::parse_time_zone,
};
use owlery_store::{
    StoreError,
    engine::{Attention, Pause, Resolution},
    posts::{Post, Variant},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{form::FormData, form::safe_next, lang_of, page_for, render, unprocessable};
use crate::{
    api::posts::check_future,
    auth::{PagePrincipal, Principal},
    engine::{self, Names},
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        Flash, FormErrors, Section, SelectOption,
        engine::{
            AttentionItem, AttentionView, PauseBannerFragment, PauseLine, PublishingSettingsView,
        },
        publish::ComposerView,
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/publish/attention", get(attention_page))
        .route("/publish/attention/badge", get(attention_badge))
        .route("/publish/attention/{id}/resume", post(resume))
        .route("/publish/attention/{id}/schedule", post(reschedule))
        .route("/publish/attention/{id}/cancel", post(cancel))
        .route("/publish/attention/{id}/resolve", post(resolve))
        .route("/publishing/banner", get(banner))
        .route("/settings/publishing", get(settings_page))
        .route("/settings/publishing/pauses", post(create_pause))
        .route("/settings/publishing/pauses/{id}/lift", post(lift_pause))
        .route("/settings/publishing/late", post(save_late))
}

const ATTENTION: &str = "/publish/attention";

// ---- shared pieces ----

/// "late by 2 h 5 min" for a variant that went out late; empty otherwise.
pub(crate) fn late_of(lang: Lang, v: &Variant) -> String {
    match (v.status, v.late_by_s) {
        (VariantStatus::Published | VariantStatus::Publishing, Some(s)) if s > 0 => {
            engine::late_text(lang, s)
        }
        _ => String::new(),
    }
}

/// A `datetime-local` value in `tz`: an hour from now, on the minute.
fn an_hour_ahead(state: &AppState, tz: chrono_tz::Tz) -> String {
    let at = state.store.now() + Duration::hours(1);
    let at = at.with_second(0).unwrap_or(at);
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// Why it waits, in the viewer's language where Owlery itself held it (a pause, the late
/// policy); what the network or the engine said otherwise.
fn reason_of(lang: Lang, a: &Attention) -> String {
    let error = a.error.clone().unwrap_or_default();
    match (a.status, a.held_by) {
        (VariantStatus::Paused, Some(HeldBy::Pause)) => {
            let reason = error.strip_prefix("Paused: ").unwrap_or(&error);
            i18n::tr_args(lang, "attention-held-pause", &[("reason", reason.into())])
        }
        (VariantStatus::Paused, Some(HeldBy::Late)) => i18n::tr_args(
            lang,
            "attention-held-late",
            &[(
                "late",
                engine::late_text(lang, a.late_by_s.unwrap_or_default()).into(),
            )],
        ),
        _ => error,
    }
}

fn item_of(state: &AppState, p: &Principal, lang: Lang, a: &Attention) -> AttentionItem {
    let tz: chrono_tz::Tz = p.user.time_zone.parse().unwrap_or(chrono_tz::UTC);
    AttentionItem {
        variant_id: a.variant_id.to_string(),
        post_id: a.post_id.to_string(),
        title: a.title.clone(),
        channel_name: a.channel_name.clone(),
        network: a.network.clone(),
        status: a.status.code().to_owned(),
        held_by: a.held_by.map(|h| h.code().to_owned()).unwrap_or_default(),
        scheduled_at: a.scheduled_at,
        late: a
            .late_by_s
            .filter(|s| *s > 0)
            .map(|s| engine::late_text(lang, s))
            .unwrap_or_default(),
        error: reason_of(lang, a),
        parts_published: a.parts_published,
        profile_url: crate::api::engine::profile_url(a).unwrap_or_default(),
        can_act: engine::may_publish(p, a.workspace_id, a.channel_id),
        reschedule_at: an_hour_ahead(state, tz),
    }
}

/// On a post's page: its channels that wait for a person, and "late by" on those that went out
/// late.
pub(crate) async fn fill_composer(
    state: &AppState,
    p: &Principal,
    post: &Post,
    view: &mut ComposerView,
) -> Result<(), AppError> {
    let lang = view.page.lang;
    for v in &post.variants {
        let late = late_of(lang, v);
        if !late.is_empty()
            && let Some(b) = view
                .channels
                .iter_mut()
                .find(|b| b.id == v.channel_id.to_string())
        {
            b.late = late;
        }
    }
    if !post.variants.iter().any(|v| {
        matches!(
            v.status,
            VariantStatus::Paused | VariantStatus::Unconfirmed | VariantStatus::Failed
        )
    }) {
        return Ok(());
    }
    let org = super::load_organisation(state).await?;
    let waiting = state
        .store
        .needs_attention(org.id, Some(post.workspace_id))
        .await?;
    view.attention = waiting
        .iter()
        .filter(|a| a.post_id == post.id.0)
        .filter(|a| engine::may_see_channel(p, a.workspace_id, a.channel_id))
        .map(|a| item_of(state, p, lang, a))
        .collect();
    Ok(())
}

/// The flash for what an action did (`?engine=` on the page it returns to).
pub(crate) fn done_flash(lang: Lang, code: &str) -> Option<Flash> {
    let key = match code {
        "resumed" => "attention-done-resumed",
        "rescheduled" => "attention-done-rescheduled",
        "cancelled" => "attention-done-cancelled",
        "resolved" => "attention-done-resolved",
        "paused" => "pause-done-paused",
        "lifted" => "pause-done-resumed",
        "late" => "late-done",
        _ => return None,
    };
    Some(Flash::success(i18n::tr(lang, key)))
}

#[derive(Debug, Deserialize, Default)]
struct Done {
    engine: Option<String>,
}

// ---- Needs attention ----

async fn attention_view(
    state: &AppState,
    p: &PagePrincipal,
    flash: Option<Flash>,
) -> Result<AttentionView, AppError> {
    let page = page_for(p, ATTENTION)
        .with_section(Section::Publish)
        .with_flash(flash);
    let lang = page.lang;
    let items = engine::attention(state, &p.0, None).await?;
    let mut view = AttentionView {
        page,
        paused: Vec::new(),
        late: Vec::new(),
        unconfirmed: Vec::new(),
        failed: Vec::new(),
        back: ATTENTION.to_owned(),
        tz: p.0.user.time_zone.clone(),
    };
    for a in &items {
        let item = item_of(state, &p.0, lang, a);
        match (a.status, a.held_by) {
            (VariantStatus::Paused, Some(HeldBy::Late)) => view.late.push(item),
            (VariantStatus::Paused, _) => view.paused.push(item),
            (VariantStatus::Unconfirmed, _) => view.unconfirmed.push(item),
            _ => view.failed.push(item),
        }
    }
    Ok(view)
}

async fn attention_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    let flash = done
        .engine
        .as_deref()
        .and_then(|e| done_flash(lang_of(&p), e));
    Ok(render(&attention_view(&state, &p, flash).await?))
}

/// The count on the "Needs attention" tab: a small fragment, empty at zero.
async fn attention_badge(
    State(state): State<AppState>,
    p: PagePrincipal,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let n = match engine::attention(&state, &p.0, None).await {
        Ok(items) => items.len(),
        Err(e) if e.status == StatusCode::FORBIDDEN => 0,
        Err(e) => return Err(e),
    };
    if n == 0 {
        return Ok(Html(String::from("<span class=\"tab-count\" hidden></span>")).into_response());
    }
    let label = i18n::tr_args(lang, "attention-count", &[("count", n.into())]);
    Ok(Html(format!(
        "<span class=\"tab-count\"><span aria-hidden=\"true\">{}</span><span class=\"visually-hidden\">{}</span></span>",
        i18n::fmt_number(lang, i64::try_from(n).unwrap_or(i64::MAX)),
        escape(&label)
    ))
    .into_response())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Where an action goes back to: the form's `return` (a local path), else Needs attention; with
/// what happened as `?engine=`.
fn back_to(form: &FormData, code: &str) -> Response {
    let raw = form.get("return");
    let back = if raw.is_empty() {
        ATTENTION.to_owned()
    } else {
        safe_next(&raw)
    };
    let path = back.split(['?', '#']).next().unwrap_or(ATTENTION);
    Redirect::to(&format!("{path}?engine={code}")).into_response()
}

/// An action refused: Needs attention again, with why, and the status of the refusal.
async fn refused(state: &AppState, p: &PagePrincipal, e: AppError) -> Result<Response, AppError> {
    if e.status.is_server_error() || e.status == StatusCode::FORBIDDEN {
        return Err(e);
    }
    let lang = lang_of(p);
    let message = match e.code {
        "publishing_paused" => {
            format!("{} {}", i18n::tr(lang, "attention-still-paused"), e.message)
        }
        _ => e.message.clone(),
    };
    let view = attention_view(state, p, Some(Flash::error(message))).await?;
    let mut res = render(&view);
    *res.status_mut() = e.status;
    Ok(res)
}

fn variant_id(raw: &str) -> Result<VariantId, AppError> {
    Uuid::parse_str(raw)
        .map(VariantId)
        .map_err(|_| AppError::not_found("variant"))
}

async fn resume(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = variant_id(&raw)?;
    match engine::resume(&state, &p.0, id).await {
        Ok(_) => Ok(back_to(&form, "resumed")),
        Err(e) => refused(&state, &p, e).await,
    }
}

async fn reschedule(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = variant_id(&raw)?;
    engine::publishable_variant(&state, &p.0, id).await?;
    let lang = lang_of(&p);
    let tz = match parse_time_zone(&form.get("tz")) {
        Ok(tz) => tz,
        Err(_) => p.0.user.time_zone.parse().unwrap_or(chrono_tz::UTC),
    };
    let at = match parse_when(&form.get("when"), tz)
        .map_err(AppError::from)
        .and_then(|at| check_future(at, state.store.now()).map(|()| at))
    {
        Ok(at) => at,
        Err(_) => {
            let e = AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_time",
                i18n::tr(lang, "attention-error-when"),
            );
            return refused(&state, &p, e).await;
        }
    };
    match state
        .store
        .schedule_variant(&p.0.actor(), id, at, tz.name())
        .await
    {
        Ok(_) => Ok(back_to(&form, "rescheduled")),
        Err(e) => refused(&state, &p, crate::api::variants::gate_error(e)).await,
    }
}

async fn cancel(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = variant_id(&raw)?;
    engine::publishable_variant(&state, &p.0, id).await?;
    match state.store.unschedule_variant(&p.0.actor(), id, true).await {
        Ok(_) => Ok(back_to(&form, "cancelled")),
        Err(e) => refused(&state, &p, crate::api::variants::gate_error(e)).await,
    }
}

async fn resolve(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = variant_id(&raw)?;
    engine::publishable_variant(&state, &p.0, id).await?;
    let lang = lang_of(&p);
    let resolution = match form.get("outcome").as_str() {
        "published" => {
            let url = form.get("url");
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                let e = AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_url",
                    i18n::tr(lang, "attention-error-url"),
                );
                return refused(&state, &p, e).await;
            }
            Resolution::Published { url }
        }
        "not_there" => Resolution::NotThere,
        _ => {
            return Err(AppError::bad_request(
                "invalid_outcome",
                "Say whether the post is there.",
            ));
        }
    };
    match state
        .store
        .resolve_unconfirmed(&p.0.actor(), id, resolution)
        .await
    {
        Ok(_) => Ok(back_to(&form, "resolved")),
        Err(e) => refused(&state, &p, e.into()).await,
    }
}

// ---- the banner ----

/// The pauses a person who can publish should know about, as a banner (empty when none).
async fn banner(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    let page = page_for(&p, "/");
    if !p.0.access.can_anywhere(Permission::PostsPublish) {
        return Ok(render(&PauseBannerFragment {
            page,
            pauses: Vec::new(),
        }));
    }
    let names = Names::load(&state).await?;
    let pauses = engine::visible_pauses(&state, &p.0, &names, true).await?;
    let names = names.with_people(&state, &pauses).await;
    Ok(render(&PauseBannerFragment {
        page,
        pauses: pauses.iter().map(|x| pause_line(&p.0, &names, x)).collect(),
    }))
}

// ---- Settings → Publishing ----

fn pause_line(p: &Principal, names: &Names, x: &Pause) -> PauseLine {
    PauseLine {
        id: x.id.to_string(),
        scope: x.scope.code().to_owned(),
        scope_name: names.scope_name(x),
        reason: x.reason.clone(),
        by: names.person(x.created_by),
        since: x.created_at,
        lifted_at: x.lifted_at,
        lifted_by: names.person(x.lifted_by),
        can_lift: x.lifted_at.is_none() && engine::may_manage(p, names, x.scope, x.scope_id),
    }
}

/// May this person open Settings → Publishing: pause something, or set the late policy.
fn require_settings(p: &Principal) -> Result<(), AppError> {
    if p.access.can_anywhere(Permission::CrisisManage)
        || p.access.can(Permission::OrgManage, Target::Organisation)
    {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

async fn settings_view(
    state: &AppState,
    p: &PagePrincipal,
    flash: Option<Flash>,
) -> Result<PublishingSettingsView, AppError> {
    let page = page_for(p, "/settings/publishing")
        .with_section(Section::Settings)
        .with_flash(flash);
    let org = super::load_organisation(state).await?;
    let names = Names::load(state).await?;
    let all = engine::visible_pauses(state, &p.0, &names, false).await?;
    let names = names.with_people(state, &all).await;
    let mut scopes = Vec::new();
    let mut workspaces = state.store.list_workspaces().await?;
    workspaces.sort_by_key(|a| a.name.to_lowercase());
    let channels = state.store.list_channels(None).await?;
    for w in &workspaces {
        if engine::may_manage(&p.0, &names, PauseScope::Workspace, w.id.0) {
            scopes.push(SelectOption::new(
                format!("workspace:{}", w.id),
                page.t1("pause-scope-workspace", "name", w.name.as_str()),
                false,
            ));
        }
        for c in channels.iter().filter(|c| c.workspace_id == w.id) {
            if engine::may_manage(&p.0, &names, PauseScope::Channel, c.id.0) {
                scopes.push(SelectOption::new(
                    format!("channel:{}", c.id),
                    page.t2(
                        "pause-scope-channel",
                        "name",
                        c.name.as_str(),
                        "workspace",
                        w.name.as_str(),
                    ),
                    false,
                ));
            }
        }
    }
    let can_late = p.0.access.can(Permission::OrgManage, Target::Organisation);
    let (policy, grace) = state.store.late_policy(org.id).await?;
    Ok(PublishingSettingsView {
        page,
        org_name: org.name.clone(),
        can_pause_org: engine::may_manage(&p.0, &names, PauseScope::Organisation, org.id.0),
        org_paused: all
            .iter()
            .any(|x| x.lifted_at.is_none() && x.scope == PauseScope::Organisation),
        scopes,
        active: all
            .iter()
            .filter(|x| x.lifted_at.is_none())
            .map(|x| pause_line(&p.0, &names, x))
            .collect(),
        lifted: all
            .iter()
            .filter(|x| x.lifted_at.is_some())
            .take(10)
            .map(|x| pause_line(&p.0, &names, x))
            .collect(),
        can_late,
        late_policy: policy.code().to_owned(),
        late_grace_minutes: grace.num_minutes(),
        org_errors: FormErrors::new(),
        org_reason: String::new(),
        scope_errors: FormErrors::new(),
        scope_reason: String::new(),
        late_errors: FormErrors::new(),
    })
}

async fn settings_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(done): Query<Done>,
) -> Result<Response, AppError> {
    require_settings(&p.0)?;
    let flash = done
        .engine
        .as_deref()
        .and_then(|e| done_flash(lang_of(&p), e));
    Ok(render(&settings_view(&state, &p, flash).await?))
}

/// `scope` as the forms send it: `organisation`, `workspace:<id>` or `channel:<id>`.
fn parse_scope(raw: &str) -> Option<(PauseScope, Option<Uuid>)> {
    if raw == "organisation" {
        return Some((PauseScope::Organisation, None));
    }
    let (kind, id) = raw.split_once(':')?;
    let id = Uuid::parse_str(id.trim()).ok()?;
    match kind {
        "workspace" => Some((PauseScope::Workspace, Some(id))),
        "channel" => Some((PauseScope::Channel, Some(id))),
        _ => None,
    }
}

async fn create_pause(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::CrisisManage)?;
    let lang = lang_of(&p);
    let raw_scope = form.get("scope");
    let reason = form.get("reason");
    let scope = parse_scope(&raw_scope);
    let is_org = matches!(scope, Some((PauseScope::Organisation, _)));
    let mut errors = FormErrors::new();
    if scope.is_none() {
        errors.push("scope", i18n::tr(lang, "pause-error-scope"));
    }
    if reason.is_empty() {
        errors.push("reason", i18n::tr(lang, "pause-error-reason"));
    }
    if is_org && form.get("confirm") != "yes" {
        errors.push("confirm", i18n::tr(lang, "pause-error-confirm"));
    }
    if let (Some((scope, scope_id)), true) = (scope, errors.is_empty()) {
        let names = Names::load(&state).await?;
        let org = super::load_organisation(&state).await?;
        match engine::check_new_pause(&p.0, &names, org.id, scope, scope_id) {
            Ok(id) => {
                match state
                    .store
                    .create_pause(&p.0.actor(), org.id, scope, id, &reason)
                    .await
                {
                    Ok(_) => {
                        return Ok(
                            Redirect::to("/settings/publishing?engine=paused").into_response()
                        );
                    }
                    Err(StoreError::Invalid(_)) => {
                        errors.push("reason", i18n::tr(lang, "pause-error-reason"));
                    }
                    Err(StoreError::NotFound(_)) => {
                        errors.push("scope", i18n::tr(lang, "pause-error-scope"));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) if e.status == StatusCode::FORBIDDEN => return Err(e),
            Err(_) => errors.push("scope", i18n::tr(lang, "pause-error-scope")),
        }
    }
    let mut view = settings_view(&state, &p, None).await?;
    if is_org {
        view.org_errors = errors;
        view.org_reason = reason;
    } else {
        view.scope_errors = errors;
        view.scope_reason = reason;
        for o in &mut view.scopes {
            o.selected = o.value == raw_scope;
        }
    }
    Ok(unprocessable(render(&view)))
}

async fn lift_pause(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(&raw).map_err(|_| AppError::not_found("pause"))?;
    let names = Names::load(&state).await?;
    match engine::lift(&state, &p.0, &names, id).await {
        Ok(_) => Ok(Redirect::to("/settings/publishing?engine=lifted").into_response()),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let view = settings_view(&state, &p, Some(Flash::info(e.message))).await?;
            let mut res = render(&view);
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

async fn save_late(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)?;
    let lang = lang_of(&p);
    let org = super::load_organisation(&state).await?;
    let mut errors = FormErrors::new();
    let policy = LatePolicy::parse(&form.get("late_policy"));
    if policy.is_none() {
        errors.push("late_policy", i18n::tr(lang, "late-error-policy"));
    }
    let grace = form.get("late_grace_minutes").parse::<i64>().ok();
    if grace.is_none_or(|g| !(0..=7 * 24 * 60).contains(&g)) {
        errors.push("late_grace_minutes", i18n::tr(lang, "late-error-grace"));
    }
    if let (Some(policy), Some(grace), true) = (policy, grace, errors.is_empty()) {
        match state
            .store
            .set_late_policy(&p.0.actor(), org.id, policy, grace)
            .await
        {
            Ok(()) => return Ok(Redirect::to("/settings/publishing?engine=late").into_response()),
            Err(StoreError::Invalid(InvalidInput { .. })) => {
                errors.push("late_grace_minutes", i18n::tr(lang, "late-error-grace"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut view = settings_view(&state, &p, None).await?;
    view.late_errors = errors;
    if let Some(policy) = policy {
        view.late_policy = policy.code().to_owned();
    }
    if let Some(grace) = grace {
        view.late_grace_minutes = grace;
    }
    Ok(unprocessable(render(&view)))
}
