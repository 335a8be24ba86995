//! Working the inbox live, for the pages: the event stream (`GET /inbox/events`), presence pings,
//! the stale-reply check, bulk changes, saved views and internal notes — and what the list and
//! conversation pages show of them ([`list_work`], [`conversation_work`]). The rules are shared
//! with the API ([`crate::inbox_live`]); the script is `static/inbox.js`.

use std::{collections::VecDeque, convert::Infallible, time::Duration};

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{
        IntoResponse, Redirect, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::{get, post},
};
use futures::stream::Stream;
use owlery_domain::{
    ConversationId, MessageId, OrgId, Permission, Target, TeamId, UserId,
    inbox::{
        Priority,
        live::{BulkAction, PresenceState, ViewVisibility, normalise_view_query, parse_view_name},
    },
};
use owlery_store::{
    inbox::{ConversationDetail, InboxScope},
    inbox_work::{ConversationPlace, ViewInput},
    live::{Delivery, LiveKind, Replay},
};
use serde::Deserialize;
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use super::{form::FormData, lang_of};
use crate::{
    api::inbox::ConversationParams,
    auth::PagePrincipal,
    error::AppError,
    i18n::{self, Lang},
    inbox as shared,
    inbox_live::{self, BulkResult, may_see},
    state::AppState,
    ui::views::{
        Availability, SelectOption,
        inbox_work::{ConversationWork, InboxWork, NotePart, NoteRow, SavedViewRow},
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox/events", get(events))
        .route("/inbox/bulk", post(bulk))
        .route("/inbox/views", post(save_view))
        .route("/inbox/views/{id}/delete", post(delete_view))
        .route("/inbox/c/{id}/presence", post(presence))
        .route("/inbox/c/{id}/notes", post(add_note))
        .route("/inbox/c/{id}/stale", get(stale))
}

/// How often an idle stream sends a comment line, so proxies keep it open and a dead one is
/// noticed.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// How often an open stream reports its person as active (`crate::activity` writes at most once a
/// minute anyway).
const ALIVE_EVERY: Duration = Duration::from_secs(60);

struct StreamState {
    replay: VecDeque<Delivery>,
    receiver: broadcast::Receiver<Delivery>,
    scope: InboxScope,
    org: owlery_domain::OrgId,
    me: UserId,
    /// An open stream is activity (automatic away): reported every minute while it is open.
    activity: std::sync::Arc<crate::activity::Activity>,
    store: owlery_store::Store,
    alive: tokio::time::Interval,
}

fn sse_event(d: &Delivery) -> Option<Event> {
    match d {
        Delivery::Closing => None,
        Delivery::Gap => Some(Event::default().event("resync").data("{}")),
        Delivery::Event(e) => {
            let data = serde_json::to_string(e.as_ref()).ok()?;
            Some(match e.kind {
                LiveKind::Conversation { .. } => Event::default()
                    .id(e.id.clone())
                    .event("conversation")
                    .data(data),
                // Presence is not replayed: no id, so a reconnect resumes after the last change.
                LiveKind::Presence { .. } => Event::default().event("presence").data(data),
            })
        }
    }
}

fn wanted(st: &StreamState, d: &Delivery) -> bool {
    match d {
        Delivery::Gap | Delivery::Closing => true,
        Delivery::Event(e) => {
            e.org_id == st.org
                && may_see(&st.scope, e)
                && !matches!(&e.kind, LiveKind::Presence { user_id, .. } if *user_id == st.me)
        }
    }
}

/// `GET /inbox/events`: the live stream of the conversations the person may see; while it is open,
/// its person counts as active (automatic away). Events:
/// `conversation` (`{"id", "conversation_id", "change": "message" | "updated" | "reply" | "note" |
/// "action", "status"?, "by"?}` with an SSE id: `reply` is an answer's delivery state, `action` a
/// like, hide or delete asked or settled), `presence` (`{"conversation_id", "user_id", "name",
/// "state"}`) and `resync` (missed events, or many changed at once — an import: re-read). `Last-Event-ID` replays what was missed.
async fn events(
    State(state): State<AppState>,
    p: PagePrincipal,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    p.0.require_anywhere(Permission::InboxRead)?;
    let org = super::load_organisation(&state).await?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64)
        .map(str::to_owned);
    let sub = state.store.live().subscribe(last.as_deref()).await;
    let replay: VecDeque<Delivery> = match sub.replay {
        Replay::Events(es) => es.into_iter().map(Delivery::Event).collect(),
        Replay::Gap => VecDeque::from([Delivery::Gap]),
    };
    let mut alive = tokio::time::interval(ALIVE_EVERY);
    alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The request itself was activity: the first report is a minute from now.
    alive.reset();
    let st = StreamState {
        replay,
        receiver: sub.receiver,
        scope: shared::scope(&p.0, Permission::InboxRead),
        org: org.id,
        me: p.0.user.id,
        activity: state.activity.clone(),
        store: state.store.clone(),
        alive,
    };
    let stream = futures::stream::unfold(st, |mut st| async move {
        loop {
            let next = match st.replay.pop_front() {
                Some(d) => d,
                // Both branches are cancel-safe: a tick loses no event.
                None => tokio::select! {
                    r = st.receiver.recv() => match r {
                        Ok(d) => d,
                        Err(RecvError::Lagged(_)) => Delivery::Gap,
                        Err(RecvError::Closed) => return None,
                    },
                    _ = st.alive.tick() => {
                        if let Err(e) = st.activity.seen(&st.store, st.me).await {
                            tracing::warn!(user.id = %st.me, error = %e, "could not record activity");
                        }
                        continue;
                    }
                },
            };
            if next == Delivery::Closing {
                return None;
            }
            if !wanted(&st, &next) {
                continue;
            }
            if let Some(e) = sse_event(&next) {
                return Some((Ok::<Event, Infallible>(e), st));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

fn parse_conversation_id(raw: &str) -> Result<ConversationId, AppError> {
    Uuid::parse_str(raw.trim())
        .map(ConversationId)
        .map_err(|_| AppError::not_found("conversation"))
}

/// The conversation, if the person may read it.
async fn readable(
    state: &AppState,
    p: &PagePrincipal,
    id: ConversationId,
) -> Result<(owlery_domain::OrgId, ConversationPlace), AppError> {
    p.0.require_anywhere(Permission::InboxRead)?;
    let org = super::load_organisation(state).await?;
    let place = state
        .store
        .conversation_places(org.id, &shared::scope(&p.0, Permission::InboxRead), &[id])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("conversation"))?;
    Ok((org.id, place))
}

#[derive(Debug, Deserialize)]
struct PresenceIn {
    state: String,
}

/// `POST /inbox/c/{id}/presence` with `{"state": "viewing" | "typing" | "left"}` (JSON or a
/// form): tells the others in the conversation. Nothing is stored. The reply box calls
/// `window.owleryInbox.typing()` on input, which posts `typing` (at most every few seconds).
async fn presence(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let id = parse_conversation_id(&raw)?;
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let raw_state = if is_json {
        serde_json::from_slice::<PresenceIn>(&body)
            .map(|b| b.state)
            .map_err(|_| AppError::bad_request("invalid_json", "Send {\"state\": \"viewing\"}."))?
    } else {
        FormData::parse(&body).get("state")
    };
    let presence_state = PresenceState::parse(&raw_state).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_state",
            "state must be one of viewing, typing, left.",
        )
        .with_field("state")
    })?;
    let (org, place) = readable(&state, &p, id).await?;
    state
        .store
        .publish_presence(org, place, p.0.user.id, &p.0.user.name, presence_state)
        .await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
struct StaleQuery {
    seen_message_id: Option<String>,
}

/// `GET /inbox/c/{id}/stale?seen_message_id=…`: whether the contact wrote after that message.
async fn stale(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    q: Result<Query<StaleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let id = parse_conversation_id(&raw)?;
    let Query(q) =
        q.map_err(|_| AppError::bad_request("invalid_parameter", "The address is not valid."))?;
    let seen = match q.seen_message_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(MessageId(Uuid::parse_str(s).map_err(|_| {
            AppError::bad_request("invalid_parameter", "seen_message_id is not a message id.")
                .with_field("seen_message_id")
        })?)),
    };
    let s = inbox_live::staleness(&state, &p.0, id, seen).await?;
    Ok(Json(s).into_response())
}

/// Where to go back to after a form on the list: a local inbox address only.
fn back_to(raw: &str) -> String {
    if raw.starts_with("/inbox") && !raw.starts_with("//") && !raw.contains(['\r', '\n']) {
        raw.to_owned()
    } else {
        "/inbox".to_owned()
    }
}

fn with_flash(href: &str, key: &str, value: &str) -> String {
    let sep = if href.contains('?') { '&' } else { '?' };
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair(key, value);
    format!("{href}{sep}{}", s.finish())
}

/// `POST /inbox/bulk`: the list's bulk bar (and the keyboard's a / c on one conversation). An
/// htmx or script request (`X-CSRF-Token`) gets JSON; a plain form goes back to the list.
async fn bulk(
    State(state): State<AppState>,
    p: PagePrincipal,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::InboxReply)?;
    let lang = lang_of(&p);
    let mut ids: Vec<ConversationId> = Vec::new();
    for raw in form.all("ids") {
        ids.push(parse_conversation_id(&raw).map_err(|_| {
            AppError::bad_request("invalid_parameter", i18n::tr(lang, "inbox-bulk-bad-id"))
        })?);
    }
    let assignee = match form.get("assignee").as_str() {
        "" => None,
        "me" => Some(p.0.user.id),
        s => Some(UserId(Uuid::parse_str(s).map_err(|_| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                i18n::tr(lang, "inbox-error-assignee"),
            )
            .with_field("assignee")
        })?)),
    };
    let tag = form.get("tag");
    let priority = form.get("priority");
    let action = BulkAction::parse(
        &form.get("action"),
        assignee,
        Some(tag.as_str()),
        Some(priority.as_str()),
    )?;
    let results = inbox_live::bulk(&state, &p.0, &ids, &action).await?;
    let changed = results
        .iter()
        .filter(|(_, r)| *r == BulkResult::Changed)
        .count();
    if headers.contains_key("x-csrf-token") {
        let items: Vec<serde_json::Value> = results
            .iter()
            .map(|(id, r)| serde_json::json!({ "id": id, "result": r }))
            .collect();
        return Ok(
            Json(serde_json::json!({ "changed": changed, "results": items })).into_response(),
        );
    }
    let back = back_to(&form.get("return"));
    Ok(Redirect::to(&with_flash(&back, "bulk_changed", &changed.to_string())).into_response())
}

/// `POST /inbox/views`: save the list's current filters as a view.
async fn save_view(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::InboxRead)?;
    let org = super::load_organisation(&state).await?;
    let visibility =
        ViewVisibility::parse(&form.get("visibility")).unwrap_or(ViewVisibility::Private);
    let team_id = match form.get("team_id").as_str() {
        "" => None,
        s => Some(TeamId(Uuid::parse_str(s).map_err(|_| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                i18n::tr(lang_of(&p), "inbox-views-error-team"),
            )
            .with_field("team_id")
        })?)),
    };
    let input = ViewInput {
        name: parse_view_name(&form.get("name"))?,
        query: normalise_view_query(&form.get("query"))?,
        visibility,
        team_id,
    };
    let v = state
        .store
        .create_view(&p.0.actor(), org.id, p.0.user.id, &input)
        .await?;
    let href = if v.query.is_empty() {
        "/inbox".to_owned()
    } else {
        format!("/inbox?{}", v.query)
    };
    Ok(Redirect::to(&href).into_response())
}

/// `POST /inbox/views/{id}/delete`.
async fn delete_view(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::InboxRead)?;
    let id = Uuid::parse_str(raw.trim()).map_err(|_| AppError::not_found("view"))?;
    let org = super::load_organisation(&state).await?;
    let view = state.store.view(org.id, p.0.user.id, id).await?;
    if !crate::api::inbox_work::may_manage_view(&p.0, &view) {
        return Err(AppError::forbidden());
    }
    state
        .store
        .delete_view(&p.0.actor(), org.id, p.0.user.id, id)
        .await?;
    Ok(Redirect::to("/inbox").into_response())
}

/// `POST /inbox/c/{id}/notes`: add an internal note.
async fn add_note(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = parse_conversation_id(&raw)?;
    let note = inbox_live::add_note(&state, &p.0, id, &form.raw("text")).await?;
    Ok(Redirect::to(&format!("/inbox/c/{id}#note-{}", note.id.simple())).into_response())
}

/// The list's query parameters out of a saved view's query string.
fn params_of(query: &str) -> (ConversationParams, String) {
    let mut p = ConversationParams {
        workspace_id: None,
        channel_id: None,
        network: None,
        status: None,
        assignee: None,
        team_id: None,
        tag: None,
        sentiment: None,
        intent: None,
        language: None,
        sla: None,
        cursor: None,
        limit: None,
    };
    let mut q = String::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k == "q" {
            q = v.into_owned();
            continue;
        }
        let v = Some(v.into_owned());
        match k.as_ref() {
            "workspace_id" => p.workspace_id = v,
            "channel_id" => p.channel_id = v,
            "network" => p.network = v,
            "status" => p.status = v,
            "assignee" => p.assignee = v,
            "team_id" => p.team_id = v,
            "tag" => p.tag = v,
            "sentiment" => p.sentiment = v,
            "intent" => p.intent = v,
            "language" => p.language = v,
            "sla" => p.sla = v,
            _ => {}
        }
    }
    (p, q)
}

/// Views show counts up to this; more reads "100+".
const COUNT_CAP: u32 = 100;

/// What the list page shows of saved views and bulk changes. `query` is the list's current
/// filters and search words as a query string.
pub(super) async fn list_work(
    state: &AppState,
    p: &PagePrincipal,
    org: OrgId,
    query: &str,
    colleagues: &[Colleague],
) -> Result<InboxWork, AppError> {
    let lang = lang_of(p);
    let scope = shared::scope(&p.0, Permission::InboxRead);
    let current = normalise_view_query(query).unwrap_or_default();
    let mut views = Vec::new();
    for v in state.store.list_views(org, p.0.user.id).await? {
        let (params, q) = params_of(&v.query);
        // A view whose filters no longer parse (a deleted workspace…) shows no count.
        let count = if !q.is_empty() {
            let r = state.store.search_inbox(org, &scope, &q, COUNT_CAP).await?;
            count_label(r.messages.len(), false)
        } else if let Ok(filter) = params.filter(p.0.user.id) {
            let page = state
                .store
                .list_conversations(org, &scope, &filter, None, COUNT_CAP)
                .await?;
            count_label(page.items.len(), page.next_cursor.is_some())
        } else {
            String::new()
        };
        views.push(SavedViewRow {
            id: v.id.to_string(),
            href: if v.query.is_empty() {
                "/inbox".into()
            } else {
                format!("/inbox?{}", v.query)
            },
            count,
            shared: match v.visibility {
                ViewVisibility::Private => String::new(),
                ViewVisibility::Team => i18n::tr(lang, "inbox-views-shared-team"),
                ViewVisibility::Organisation => i18n::tr(lang, "inbox-views-shared-org"),
            },
            active: v.query == current,
            can_delete: crate::api::inbox_work::may_manage_view(&p.0, &v),
            name: v.name,
        });
    }
    let can_bulk = p.0.access.can_anywhere(Permission::InboxReply);
    let mut work = InboxWork {
        views,
        query: current.clone(),
        can_bulk,
        here: if current.is_empty() {
            "/inbox".into()
        } else {
            format!("/inbox?{current}")
        },
        ..InboxWork::default()
    };
    if can_bulk {
        work.assignees = assignee_options(lang, colleagues);
        work.priorities = Priority::ALL
            .iter()
            .map(|pr| {
                SelectOption::new(
                    pr.code(),
                    i18n::tr(lang, &format!("inbox-priority-{}", pr.code())),
                    false,
                )
            })
            .collect();
    }
    let mine: Vec<_> = state
        .store
        .list_teams()
        .await?
        .into_iter()
        .filter(|t| t.member_ids.contains(&p.0.user.id))
        .collect();
    work.teams = mine
        .into_iter()
        .map(|t| SelectOption::new(t.id.to_string(), t.name, false))
        .collect();
    Ok(work)
}

fn count_label(n: usize, more: bool) -> String {
    if more || n >= COUNT_CAP as usize {
        format!("{COUNT_CAP}+")
    } else {
        n.to_string()
    }
}

fn assignee_options(lang: Lang, colleagues: &[Colleague]) -> Vec<SelectOption> {
    let mut out = vec![
        SelectOption::new("me", i18n::tr(lang, "inbox-assignee-me"), true),
        SelectOption::new("", i18n::tr(lang, "inbox-unassigned"), false),
    ];
    for c in colleagues {
        out.push(SelectOption::new(c.id.to_string(), c.label(lang), false));
    }
    out
}

/// A person a conversation can be given to or filtered by, with their availability as read
/// when the page was made (not live), so a lead does not hand work to someone off shift.
#[derive(Debug, Clone)]
pub(super) struct Colleague {
    pub id: UserId,
    pub name: String,
    pub availability: Availability,
}

impl Colleague {
    /// "Maria Petrova — away", for a select's option.
    pub fn label(&self, lang: Lang) -> String {
        self.availability.label(lang, &self.name)
    }
}

/// The people a conversation can be given to or filtered by, besides oneself: everyone not
/// disabled, with their availability. Two queries whatever the number of people (the people,
/// then the organisation's presences): call it once per page.
pub(super) async fn colleagues(
    state: &AppState,
    p: &PagePrincipal,
    org: OrgId,
) -> Result<Vec<Colleague>, AppError> {
    let lang = lang_of(p);
    let users = state.store.list_users(None, 500).await?;
    let presences = state.store.org_presence(org).await?;
    Ok(users
        .into_iter()
        .filter(|u| u.status != owlery_domain::user::UserStatus::Disabled && u.id != p.0.user.id)
        .map(|u| {
            let pr = presences.of(u.id);
            Colleague {
                id: u.id,
                name: u.name,
                availability: Availability::new(lang, pr.status, pr.automatic),
            }
        })
        .collect())
}

/// Split a note into plain text and the mentions of known people.
fn note_parts(text: &str, handles: &[String]) -> Vec<NotePart> {
    let mut parts: Vec<NotePart> = Vec::new();
    let mut plain = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '@')) {
            // The longest known handle that starts here.
            let rest: String = chars[i + 1..].iter().collect::<String>().to_lowercase();
            let found = handles
                .iter()
                .filter(|h| {
                    rest.starts_with(h.as_str())
                        && !rest[h.len()..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '+')
                })
                .max_by_key(|h| h.len());
            if let Some(h) = found {
                if !plain.is_empty() {
                    parts.push(NotePart {
                        text: std::mem::take(&mut plain),
                        mention: false,
                    });
                }
                let end = (i + 1 + h.chars().count()).min(chars.len());
                parts.push(NotePart {
                    text: chars[i..end].iter().collect(),
                    mention: true,
                });
                i = end;
                continue;
            }
        }
        plain.push(chars[i]);
        i += 1;
    }
    if !plain.is_empty() {
        parts.push(NotePart {
            text: plain,
            mention: false,
        });
    }
    parts
}

/// What the conversation page shows of notes, presence and the stale-reply check.
pub(super) async fn conversation_work(
    state: &AppState,
    p: &PagePrincipal,
    d: &ConversationDetail,
) -> Result<ConversationWork, AppError> {
    let c = &d.conversation;
    let can_change = p.0.access.can(
        Permission::InboxReply,
        Target::Channel {
            workspace: c.workspace_id,
            channel: c.channel_id,
        },
    );
    let people = inbox_live::mentionable(state).await?;
    let handles: Vec<String> = people.iter().map(|u| u.handle.clone()).collect();
    let notes = state
        .store
        .notes(c.id)
        .await?
        .into_iter()
        .map(|n| NoteRow {
            anchor: format!("note-{}", n.id.simple()),
            author: n.author_name,
            parts: note_parts(&n.text, &handles),
            created_at: n.created_at,
        })
        .collect();
    let mentionable: Vec<serde_json::Value> = people
        .iter()
        .filter(|u| u.id != p.0.user.id)
        .map(|u| serde_json::json!({ "name": u.name, "handle": u.handle }))
        .collect();
    Ok(ConversationWork {
        notes,
        can_note: can_change,
        can_change,
        seen_message_id: d
            .messages
            .last()
            .map(|m| m.id.to_string())
            .unwrap_or_default(),
        mentionable_json: serde_json::to_string(&mentionable).unwrap_or_else(|_| "[]".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_mark_known_mentions_only() {
        let handles = vec!["maria".to_owned(), "maria.ivanova".to_owned()];
        let parts = note_parts("@maria.ivanova and @bob, mail x@maria", &handles);
        assert_eq!(
            parts,
            vec![
                NotePart {
                    text: "@maria.ivanova".into(),
                    mention: true
                },
                NotePart {
                    text: " and @bob, mail x@maria".into(),
                    mention: false
                },
            ]
        );
        assert_eq!(
            owlery_domain::inbox::live::mention_handle("Maria@x.org"),
            "maria"
        );
        assert!(note_parts("", &handles).is_empty());
    }
}
