//! Approvals waiting for the viewer: each pending review whose current step they may decide
//! (`approval::may_decide`), with the post, its variants per channel, validation findings and the
//! workflow's progress; approve, request changes or reject (with a reason).
//!
//! The rules — who may decide, segregation of duties, reasons — are the domain's, checked again by
//! the store inside the decision's transaction; this page only shows their answer.

use std::collections::HashMap;

use axum::{
    Router,
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use owlery_domain::{
    Permission, Role, Target, TeamId, UserId,
    publishing::approval::{Candidate, DecisionError, Progress, Reviewer, Verdict, may_decide},
};
use owlery_store::{
    posts::{Post, Variant},
    reviews::{DecideError, Decider, Review},
};
use uuid::Uuid;

use super::{form::FormData, page_for, render, unprocessable};
use crate::{
    auth::PagePrincipal,
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        Flash, FormErrors,
        publishing::{ApprovalsView, DecisionRow, FindingRow, ReviewCard, ReviewVariant, StepRow},
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/approvals", get(approvals))
        .route("/approvals/{id}/decide", post(decide))
}

/// The variants a review covers, as the review pages show them.
pub(crate) async fn review_variants(
    state: &AppState,
    post: &Post,
    review_id: Uuid,
) -> Result<Vec<ReviewVariant>, AppError> {
    let mut out = Vec::new();
    for v in post
        .variants
        .iter()
        .filter(|v| v.review_id == Some(review_id))
    {
        out.push(review_variant(state, post, v).await?);
    }
    Ok(out)
}

async fn review_variant(
    state: &AppState,
    post: &Post,
    v: &Variant,
) -> Result<ReviewVariant, AppError> {
    let channel = state.store.channel(v.channel_id).await?;
    let content = v.overrides.apply(&post.content);
    let findings = v
        .findings
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| {
                    let message = f.get("message")?.as_str()?.to_owned();
                    let error = f.get("severity").and_then(|s| s.as_str()) == Some("error");
                    Some(FindingRow { error, message })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ReviewVariant {
        network: channel.network.code().to_owned(),
        channel_name: channel.name,
        placement: v.placement.clone(),
        status: v.status.code().to_owned(),
        text: content.text,
        link: content.link,
        scheduled_at: v.scheduled_at,
        has_errors: v.has_errors,
        findings,
    })
}

/// A decision refused by the rules, in the viewer's language.
pub(crate) fn decision_error(lang: Lang, e: &DecisionError) -> String {
    let key = format!("approval-error-{}", e.code().replace('_', "-"));
    let step = match e {
        DecisionError::NotYourStep { step_name } | DecisionError::AlreadyDecided { step_name } => {
            step_name.clone()
        }
        _ => String::new(),
    };
    if i18n::has_key(lang, &key) {
        i18n::tr_args(lang, &key, &[("step", step.into())])
    } else {
        e.to_string()
    }
}

fn steps_of(review: &Review, progress: &Progress) -> Vec<StepRow> {
    review
        .workflow
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let (state, approvals, due, escalated) = match progress {
                Progress::Pending {
                    step,
                    approvals,
                    due,
                    escalated,
                    ..
                } => {
                    if i < *step {
                        ("done", s.required, None, false)
                    } else if i == *step {
                        ("current", *approvals, *due, *escalated)
                    } else {
                        ("upcoming", 0, None, false)
                    }
                }
                Progress::Approved => ("done", s.required, None, false),
                _ => ("upcoming", 0, None, false),
            };
            StepRow {
                name: s.name.clone(),
                state,
                approvals,
                required: s.required,
                due,
                escalated,
            }
        })
        .collect()
}

fn reviewer_name(r: &Reviewer, users: &HashMap<UserId, String>) -> String {
    match r {
        Reviewer::User { user_id } => users.get(user_id).cloned().unwrap_or_default(),
        Reviewer::External { label } => label.clone(),
    }
}

/// What the viewer holds where a review's variants go.
struct Standing {
    roles: Vec<Role>,
    teams: Vec<TeamId>,
    may_approve: bool,
}

async fn standing(
    state: &AppState,
    p: &PagePrincipal,
    post: &Post,
    review_id: Uuid,
    teams: &[TeamId],
) -> Result<Option<Standing>, AppError> {
    let mut roles: Vec<Role> = Vec::new();
    let mut may_approve = false;
    let mut any = false;
    for v in post
        .variants
        .iter()
        .filter(|v| v.review_id == Some(review_id))
    {
        any = true;
        let channel = state.store.channel(v.channel_id).await?;
        let target = Target::Channel {
            workspace: channel.workspace_id,
            channel: channel.id,
        };
        may_approve |= p.0.access.can(Permission::PostsApprove, target);
        for r in p.0.access.roles_at(target) {
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
    }
    if !any {
        return Ok(None);
    }
    Ok(Some(Standing {
        roles,
        teams: teams.to_vec(),
        may_approve,
    }))
}

async fn my_teams(state: &AppState, me: UserId) -> Result<Vec<TeamId>, AppError> {
    Ok(state
        .store
        .list_teams()
        .await?
        .into_iter()
        .filter(|t| t.member_ids.contains(&me))
        .map(|t| t.id)
        .collect())
}

/// The reviews waiting for the viewer, oldest first.
async fn cards(
    state: &AppState,
    p: &PagePrincipal,
    now: DateTime<Utc>,
) -> Result<Vec<ReviewCard>, AppError> {
    let me = p.0.user.id;
    let teams = my_teams(state, me).await?;
    let users: HashMap<UserId, String> = state
        .store
        .list_users(None, 1000)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let workspaces: HashMap<_, _> = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let mut out = Vec::new();
    for review in state.store.pending_reviews().await? {
        let progress = review.progress(now);
        let Progress::Pending {
            step, escalated, ..
        } = &progress
        else {
            continue;
        };
        let Some(step_def) = review.workflow.steps.get(*step as usize) else {
            continue;
        };
        let Some(post) = state.store.post(review.post_id).await? else {
            continue;
        };
        let Some(standing) = standing(state, p, &post, review.id, &teams).await? else {
            continue;
        };
        if !standing.may_approve {
            continue;
        }
        let candidate = Candidate {
            user_id: me,
            roles_here: &standing.roles,
            teams: &standing.teams,
        };
        if !may_decide(step_def, &candidate, *escalated) {
            continue;
        }
        out.push(card(state, &review, &progress, &post, &users, &workspaces, me).await?);
    }
    Ok(out)
}

async fn card(
    state: &AppState,
    review: &Review,
    progress: &Progress,
    post: &Post,
    users: &HashMap<UserId, String>,
    workspaces: &HashMap<owlery_domain::WorkspaceId, String>,
    me: UserId,
) -> Result<ReviewCard, AppError> {
    let current_step = match progress {
        Progress::Pending { step_name, .. } => step_name.clone(),
        _ => String::new(),
    };
    Ok(ReviewCard {
        review_id: review.id.to_string(),
        post_id: post.id.to_string(),
        title: post.title.clone(),
        author_name: users.get(&post.author_id).cloned().unwrap_or_default(),
        workspace_name: workspaces
            .get(&post.workspace_id)
            .cloned()
            .unwrap_or_default(),
        round: review.round,
        steps: steps_of(review, progress),
        current_step,
        variants: review_variants(state, post, review.id).await?,
        decisions: review
            .decisions
            .iter()
            .map(|d| DecisionRow {
                who: reviewer_name(&d.reviewer, users),
                verdict: d.verdict.code().to_owned(),
                reason: d.reason.clone().unwrap_or_default(),
                at: d.at,
            })
            .collect(),
        own_post: post.author_id == me,
        errors: FormErrors::new(),
        reason: String::new(),
    })
}

async fn approvals(
    State(state): State<AppState>,
    p: PagePrincipal,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsApprove)?;
    let lang = super::lang_of(&p);
    let form = FormData::parse(raw.unwrap_or_default().as_bytes());
    let flash = match form.get("decided").as_str() {
        "approve" => Some(Flash::success(i18n::tr(lang, "approval-done-approve"))),
        "request_changes" => Some(Flash::success(i18n::tr(
            lang,
            "approval-done-request-changes",
        ))),
        "reject" => Some(Flash::success(i18n::tr(lang, "approval-done-reject"))),
        _ => None,
    };
    let now = state.store.now();
    let view = ApprovalsView {
        page: page_for(&p, "/approvals").with_flash(flash),
        reviews: cards(&state, &p, now).await?,
    };
    Ok(render(&view))
}

async fn decide(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsApprove)?;
    let lang = super::lang_of(&p);
    let id = Uuid::parse_str(&id).map_err(|_| AppError::not_found("review"))?;
    let review = state
        .store
        .review(id)
        .await?
        .ok_or_else(|| AppError::not_found("review"))?;
    let post = state
        .store
        .post(review.post_id)
        .await?
        .ok_or_else(|| AppError::not_found("review"))?;
    let teams = my_teams(&state, p.0.user.id).await?;
    let standing = standing(&state, &p, &post, review.id, &teams)
        .await?
        .ok_or_else(|| AppError::not_found("review"))?;
    if !standing.may_approve {
        return Err(AppError::forbidden());
    }
    let reason = form.get("reason");
    let result = match Verdict::parse(&form.get("verdict")) {
        None => Err(i18n::tr(lang, "approval-error-verdict")),
        Some(verdict) => {
            let decider = Decider::User {
                user_id: p.0.user.id,
                roles_here: standing.roles.clone(),
                teams: standing.teams.clone(),
            };
            match state
                .store
                .decide(
                    &p.0.actor(),
                    id,
                    decider,
                    verdict,
                    Some(reason.clone()).filter(|r| !r.is_empty()),
                )
                .await
            {
                Ok(_) => Ok(verdict),
                Err(DecideError::Rule(e)) => Err(decision_error(lang, &e)),
                Err(DecideError::LinkInvalid) => Err(i18n::tr(lang, "review-link-invalid")),
                Err(DecideError::Store(e)) => return Err(e.into()),
            }
        }
    };
    match result {
        Ok(verdict) => {
            Ok(Redirect::to(&format!("/approvals?decided={}", verdict.code())).into_response())
        }
        Err(message) => {
            let now = state.store.now();
            let mut reviews = cards(&state, &p, now).await?;
            let key = id.to_string();
            let mut errors = FormErrors::new();
            errors.push("reason", message.clone());
            match reviews.iter_mut().find(|c| c.review_id == key) {
                Some(c) => {
                    c.errors = errors;
                    c.reason = reason;
                }
                None => {
                    // Not (or no longer) one of the viewer's: show the refusal above the list.
                    let view = ApprovalsView {
                        page: page_for(&p, "/approvals").with_flash(Some(Flash::error(message))),
                        reviews,
                    };
                    return Ok(unprocessable(render(&view)));
                }
            }
            let view = ApprovalsView {
                page: page_for(&p, "/approvals")
                    .with_flash(Some(Flash::error(i18n::tr(lang, "approval-refused")))),
                reviews,
            };
            Ok(unprocessable(render(&view)))
        }
    }
}
