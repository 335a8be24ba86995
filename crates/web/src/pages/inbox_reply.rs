//! Answering on the conversation page: the reply box (send, send and close, a saved reply put in
//! the box, the live character count), answers' delivery states in the thread (retry a failed
//! one, approve or reject one waiting), the answers awaiting approval (`/inbox/approvals`), and
//! saved replies under Settings. The rules are the API's ([`crate::inbox_reply`]).

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use owlery_domain::{
    ConversationId, MessageId, Permission, Target, WorkspaceId,
    inbox::{
        Delivery,
        reply::{ReplyContext, SavedReplyText, VARIABLES, render as render_saved},
    },
    text,
};
use owlery_store::inbox::{ConversationDetail, ConversationSummary, Message};
use uuid::Uuid;

use super::{
    form::FormData, inbox::conversation_view, inbox::parse_conversation_id, lang_of, page_for,
    render, unprocessable,
};
use crate::{
    auth::{PagePrincipal, Principal},
    error::AppError,
    i18n::{self, Lang},
    inbox_reply as shared,
    state::AppState,
    ui::views::{
        Flash, FormErrors, Section, SelectOption,
        inbox_reply::{
            DeliveryView, PendingRow, ReplyApprovalsView, ReplyBox, ReplyCountView, SavedOption,
            SavedRepliesView, SavedReplyRow,
        },
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox/c/{id}/reply", post(reply))
        .route("/inbox/c/{id}/reply/count", post(count))
        .route("/inbox/c/{id}/replies/{message}/retry", post(retry))
        .route("/inbox/c/{id}/replies/{message}/review", post(review))
        .route("/inbox/c/{id}/m/{message}/like", post(like))
        .route("/inbox/c/{id}/m/{message}/delete", post(delete_on_network))
        .route("/inbox/approvals", get(approvals))
        .route(
            "/settings/saved-replies",
            get(saved_list).post(saved_create),
        )
        .route(
            "/settings/saved-replies/{id}",
            get(saved_edit).post(saved_update),
        )
        .route("/settings/saved-replies/{id}/delete", post(saved_delete))
}

fn target(c: &ConversationSummary) -> Target {
    Target::Channel {
        workspace: c.workspace_id,
        channel: c.channel_id,
    }
}

/// Where an answer stands, for the thread (`None` for inbound messages).
pub(super) fn delivery_view(
    principal: &Principal,
    c: &ConversationSummary,
    m: &Message,
) -> Option<DeliveryView> {
    let d = m.delivery?;
    Some(DeliveryView {
        message_id: m.id.to_string(),
        state: d.code().to_owned(),
        error: m.delivery_error.clone().unwrap_or_default(),
        close_on_send: m.close_on_send,
        can_retry: d == Delivery::Failed && principal.access.can(Permission::InboxReply, target(c)),
        can_review: d == Delivery::PendingApproval
            && principal.access.can(Permission::InboxApprove, target(c)),
    })
}

fn count_rule_code(rule: text::CountRule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// How much of the network's limit `text` uses: (used, limit, rule code); limit 0 when unknown.
fn usage(network: &str, sandbox: bool, t: &str) -> (u64, u64, String) {
    match (!sandbox).then(|| shared::reply_field(network)).flatten() {
        Some(f) => (
            text::count(f.count, t.trim()) as u64,
            f.limit,
            count_rule_code(f.count),
        ),
        None => (t.trim().chars().count() as u64, 0, String::new()),
    }
}

/// The reply box for a conversation the person sees.
pub(super) async fn reply_box(
    state: &AppState,
    principal: &Principal,
    d: &ConversationDetail,
) -> Result<ReplyBox, AppError> {
    let c = &d.conversation;
    if !principal.access.can(Permission::InboxReply, target(c)) {
        return Ok(ReplyBox::default());
    }
    let simulated = state
        .store
        .channel(c.channel_id)
        .await
        .map(|ch| ch.simulated)
        .unwrap_or(false);
    let org = super::load_organisation(state).await?;
    let ctx = ReplyContext {
        contact_name: Some(d.contact.name.clone()),
        contact_handle: Some(c.contact.handle.clone()),
        agent_name: Some(principal.user.name.clone()),
        channel_name: Some(c.channel_name.clone()),
    };
    let saved = state
        .store
        .saved_replies(org.id, Some(&[c.workspace_id]))
        .await?
        .into_iter()
        .map(|r| SavedOption {
            id: r.id.to_string(),
            text: render_saved(&r.body, &ctx),
            name: r.name,
            shortcut: r.shortcut.unwrap_or_default(),
        })
        .collect();
    let (_, limit, count_rule) = usage(&c.network, c.network == "sandbox", "");
    Ok(ReplyBox {
        allowed: true,
        supported: shared::can_reply(state, c, simulated).await?,
        needs_approval: org
            .security
            .reply_needs_approval(&principal.access, target(c)),
        can_approve: principal.access.can(Permission::InboxApprove, target(c)),
        limit,
        count_rule,
        used: 0,
        text: String::new(),
        client_key: Uuid::now_v7().to_string(),
        seen_message_id: d
            .messages
            .last()
            .map(|m| m.id.to_string())
            .unwrap_or_default(),
        saved,
        error: String::new(),
    })
}

/// The message after an answer was stored (`?replied=queued|approval`).
pub(super) fn replied_flash(lang: Lang, replied: Option<&str>) -> Option<Flash> {
    match replied? {
        "queued" => Some(Flash::success(i18n::tr(lang, "reply-queued"))),
        "approval" => Some(Flash::info(i18n::tr(lang, "reply-awaiting-approval"))),
        _ => None,
    }
}

/// A person's words for an error of sending an answer.
fn reply_error(lang: Lang, e: &AppError, used: u64, limit: u64) -> String {
    match e.code {
        "empty_reply" => i18n::tr(lang, "reply-error-empty"),
        "reply_too_long" if limit > 0 => i18n::tr_args(
            lang,
            "reply-error-too-long",
            &[("used", used.into()), ("limit", limit.into())],
        ),
        "cannot_reply" => i18n::tr(lang, "reply-error-unsupported"),
        "conflict" => i18n::tr(lang, "reply-error-key"),
        "stale_view" => i18n::tr(lang, "reply-error-stale"),
        _ => e.message.clone(),
    }
}

async fn reply(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = parse_conversation_id(&raw)?;
    let lang = lang_of(&p);
    let text = form.get("text");
    let action = form.get("action");
    if action == "insert" {
        let mut view = conversation_view(&state, &p, id, None).await?;
        let chosen = form.get("saved_reply");
        let insert = view
            .reply
            .saved
            .iter()
            .find(|s| s.id == chosen)
            .map(|s| s.text.clone())
            .unwrap_or_default();
        view.reply.text = match (text.trim().is_empty(), insert.is_empty()) {
            (true, _) => insert,
            (false, true) => text,
            (false, false) => format!("{}\n{insert}", text.trim_end()),
        };
        let (used, _, _) = usage(
            &view.row.network,
            view.row.network == "sandbox",
            &view.reply.text,
        );
        view.reply.used = used;
        return Ok(render(&view));
    }
    let close = action == "send_close";
    let key = match form.get("client_key") {
        k if k.trim().is_empty() => Uuid::now_v7().to_string(),
        k => k,
    };
    // The reply box carries the newest message it showed: the server refuses an answer written
    // before the contact wrote again (the page re-renders with the new messages and the text).
    let seen = match form.get("seen_message_id") {
        s if s.trim().is_empty() => None,
        s => Some(crate::api::extract::parse_id::<MessageId>(
            "seen_message_id",
            s.trim(),
        )?),
    };
    let out = shared::Outgoing {
        text: &text,
        close,
        client_key: &key,
        seen_message_id: seen,
        send_anyway: false,
    };
    match shared::send(&state, &p.0, id, &out).await {
        Ok(created) => {
            let flag = if created.message.delivery == Some(Delivery::PendingApproval) {
                "approval"
            } else {
                "queued"
            };
            Ok(Redirect::to(&format!("/inbox/c/{id}?replied={flag}#reply")).into_response())
        }
        Err(e)
            if e.status.is_client_error()
                && e.status != axum::http::StatusCode::FORBIDDEN
                && e.status != axum::http::StatusCode::NOT_FOUND =>
        {
            let mut view = conversation_view(&state, &p, id, None).await?;
            let (used, limit, _) = usage(&view.row.network, view.row.network == "sandbox", &text);
            view.reply.error = reply_error(lang, &e, used, limit);
            view.reply.text = text;
            view.reply.used = used;
            Ok(unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}

async fn count(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = parse_conversation_id(&raw)?;
    p.0.require_anywhere(Permission::InboxReply)?;
    let org = super::load_organisation(&state).await?;
    let scope = crate::inbox::scope(&p.0, Permission::InboxReply);
    let c = state.store.conversation_summary(org.id, &scope, id).await?;
    let (used, limit, count_rule) = usage(&c.network, c.network == "sandbox", &form.get("text"));
    Ok(render(&ReplyCountView {
        page: page_for(&p, &format!("/inbox/c/{id}")),
        reply: ReplyBox {
            allowed: true,
            supported: true,
            used,
            limit,
            count_rule,
            ..ReplyBox::default()
        },
    }))
}

fn ids(raw: &str, message: &str) -> Result<(ConversationId, MessageId), AppError> {
    let id = parse_conversation_id(raw)?;
    let m = Uuid::parse_str(message.trim())
        .map(MessageId)
        .map_err(|_| AppError::not_found("answer"))?;
    Ok((id, m))
}

async fn retry(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path((raw, message)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (id, m) = ids(&raw, &message)?;
    match shared::retry(&state, &p.0, id, m).await {
        Ok(_) => Ok(Redirect::to(&format!("/inbox/c/{id}?replied=queued#reply")).into_response()),
        Err(e) if e.status == axum::http::StatusCode::CONFLICT => {
            let view = conversation_view(&state, &p, id, Some(Flash::error(e.message))).await?;
            Ok(super::unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}

/// Like or delete a message on its network (the buttons under a message), then back to the
/// conversation; what cannot be done is said there.
async fn act(
    state: &AppState,
    p: &PagePrincipal,
    raw: &str,
    message: &str,
    action: owlery_store::inbox_actions::MessageAction,
) -> Result<Response, AppError> {
    let (id, m) = ids(raw, message)?;
    match crate::inbox_actions::request(state, &p.0, id, m, action).await {
        Ok(_) => Ok(Redirect::to(&format!("/inbox/c/{id}")).into_response()),
        Err(e)
            if e.status == axum::http::StatusCode::CONFLICT
                || e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY =>
        {
            let view = conversation_view(state, p, id, Some(Flash::error(e.message))).await?;
            Ok(super::unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}

async fn like(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path((raw, message)): Path<(String, String)>,
) -> Result<Response, AppError> {
    act(
        &state,
        &p,
        &raw,
        &message,
        owlery_store::inbox_actions::MessageAction::Like,
    )
    .await
}

async fn delete_on_network(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path((raw, message)): Path<(String, String)>,
) -> Result<Response, AppError> {
    act(
        &state,
        &p,
        &raw,
        &message,
        owlery_store::inbox_actions::MessageAction::Delete,
    )
    .await
}

async fn review(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path((raw, message)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    let (id, m) = ids(&raw, &message)?;
    let lang = lang_of(&p);
    let approve = match form.get("decision").as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::bad_request(
                "invalid_decision",
                i18n::tr(lang, "reply-error-decision"),
            ));
        }
    };
    let note = form.get("note");
    let back = if form.get("back") == "approvals" {
        "/inbox/approvals".to_owned()
    } else {
        format!("/inbox/c/{id}#reply")
    };
    match shared::review(&state, &p.0, id, m, approve, Some(note.as_str())).await {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(e)
            if e.status == axum::http::StatusCode::CONFLICT
                || e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY =>
        {
            let message = if e.code == "reason_required" {
                i18n::tr(lang, "reply-error-reason")
            } else {
                e.message
            };
            let view = conversation_view(&state, &p, id, Some(Flash::error(message))).await?;
            Ok(super::unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}

async fn approvals(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::InboxApprove)?;
    let org = super::load_organisation(&state).await?;
    let scope = crate::inbox::scope(&p.0, Permission::InboxApprove);
    let rows = state
        .store
        .pending_replies(org.id, &scope)
        .await?
        .into_iter()
        .map(|(m, c)| PendingRow {
            conversation_id: c.id.to_string(),
            message_id: m.id.to_string(),
            network: c.network,
            channel_name: c.channel_name,
            contact_name: c.contact.name,
            text: m.text,
            created_at: m.created_at,
        })
        .collect();
    Ok(render(&ReplyApprovalsView {
        page: page_for(&p, "/inbox/approvals").with_section(Section::Inbox),
        rows,
    }))
}

// --- Saved replies under Settings -------------------------------------------------------------

async fn saved_view(
    state: &AppState,
    p: &PagePrincipal,
    editing: Option<Uuid>,
) -> Result<SavedRepliesView, AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)?;
    let org = super::load_organisation(state).await?;
    let workspaces = state.store.list_workspaces().await?;
    let name_of = |w: Option<WorkspaceId>| {
        w.and_then(|w| workspaces.iter().find(|x| x.id == w))
            .map(|w| w.name.clone())
            .unwrap_or_default()
    };
    let replies = state.store.saved_replies(org.id, None).await?;
    let current = editing.and_then(|id| replies.iter().find(|r| r.id == id).cloned());
    if editing.is_some() && current.is_none() {
        return Err(AppError::not_found("saved reply"));
    }
    let lang = lang_of(p);
    let mut ws = vec![SelectOption::new(
        "",
        i18n::tr(lang, "saved-replies-all-workspaces"),
        current.as_ref().is_none_or(|c| c.workspace_id.is_none()),
    )];
    ws.extend(workspaces.iter().map(|w| {
        SelectOption::new(
            w.id.to_string(),
            w.name.clone(),
            current
                .as_ref()
                .is_some_and(|c| c.workspace_id == Some(w.id)),
        )
    }));
    Ok(SavedRepliesView {
        page: page_for(p, "/settings/saved-replies").with_section(Section::Settings),
        rows: replies
            .iter()
            .map(|r| SavedReplyRow {
                id: r.id.to_string(),
                name: r.name.clone(),
                body: r.body.clone(),
                shortcut: r.shortcut.clone().unwrap_or_default(),
                workspace: name_of(r.workspace_id),
            })
            .collect(),
        editing: current
            .as_ref()
            .map(|c| c.id.to_string())
            .unwrap_or_default(),
        form_name: current.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        form_body: current.as_ref().map(|c| c.body.clone()).unwrap_or_default(),
        form_shortcut: current
            .as_ref()
            .and_then(|c| c.shortcut.clone())
            .unwrap_or_default(),
        workspaces: ws,
        variables: VARIABLES.iter().map(|v| format!("{{{v}}}")).collect(),
        errors: FormErrors::new(),
    })
}

async fn saved_list(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    Ok(render(&saved_view(&state, &p, None).await?))
}

async fn saved_edit(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found("saved reply"))?;
    Ok(render(&saved_view(&state, &p, Some(id)).await?))
}

async fn saved_save(
    state: &AppState,
    p: &PagePrincipal,
    id: Option<Uuid>,
    form: &FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)?;
    let lang = lang_of(p);
    let name = form.get("name");
    let body = form.get("body");
    let shortcut = form.get("shortcut");
    let workspace = match form.get("workspace_id").trim() {
        "" => None,
        w => Some(WorkspaceId(Uuid::parse_str(w).map_err(|_| {
            AppError::bad_request("invalid_id", "workspace_id")
        })?)),
    };
    let org = super::load_organisation(state).await?;
    let result = match SavedReplyText::parse(&name, &body, Some(shortcut.as_str())) {
        Ok(text) => state
            .store
            .save_saved_reply(
                &p.0.actor(),
                org.id,
                id,
                workspace,
                &text,
                Some(p.0.user.id),
            )
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::from(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/settings/saved-replies?saved=1").into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != axum::http::StatusCode::NOT_FOUND
                && e.status != axum::http::StatusCode::FORBIDDEN =>
        {
            let mut view = saved_view(state, p, id).await?;
            view.form_name = name;
            view.form_body = body;
            view.form_shortcut = shortcut;
            let field = e.field.clone().unwrap_or_else(|| "name".into());
            let message = match e.code {
                "unknown_variable" | "unclosed_variable" => e.message.clone(),
                "invalid_name" => i18n::tr(lang, "saved-replies-error-name"),
                "invalid_body" => i18n::tr(lang, "saved-replies-error-body"),
                "invalid_shortcut" => i18n::tr(lang, "saved-replies-error-shortcut"),
                "conflict" => i18n::tr(lang, "saved-replies-error-taken"),
                _ => e.message.clone(),
            };
            view.errors.push(field, message);
            Ok(unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}

async fn saved_create(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    saved_save(&state, &p, None, &form).await
}

async fn saved_update(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found("saved reply"))?;
    saved_save(&state, &p, Some(id), &form).await
}

async fn saved_delete(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)?;
    let id = Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found("saved reply"))?;
    let org = super::load_organisation(&state).await?;
    state
        .store
        .delete_saved_reply(&p.0.actor(), org.id, id)
        .await?;
    Ok(Redirect::to("/settings/saved-replies").into_response())
}
