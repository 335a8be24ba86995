//! The inbox pages: `/inbox` (the unified list with filters, keyset pages and search) and
//! `/inbox/c/{id}` (the thread, the contact card with their history, and status, priority,
//! assignee and tag controls). The list reads the same query parameters as
//! `GET /api/v1/inbox/conversations`; permissions are the API's ([`crate::inbox`]).

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::{DateTime, Utc};
use owlery_domain::{
    ConversationId, Permission, Target, TeamId, UserId,
    inbox::{ConversationStatus, Intent, Priority, Sentiment, SlaState},
    org::Network,
};
use owlery_store::inbox::{ConversationPatch, ConversationSummary};
use owlery_store::inbox_actions::MessageAction;
use serde::Deserialize;
use uuid::Uuid;

use super::{form::FormData, lang_of, page_for, render};
use crate::{
    api::inbox::{ConversationParams, encode_cursor},
    auth::PagePrincipal,
    error::AppError,
    i18n::{self, Lang},
    inbox as shared,
    state::AppState,
    ui::views::{
        Availability, Flash, Section, SelectOption,
        inbox::{
            ContactHitRow, ConversationRow, ConversationView, IdentityRow, InboxFilters, InboxView,
            PostContext, SearchHit, ThreadMessage,
        },
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(list_page))
        .route("/inbox/c/{id}", get(conversation_page).post(update))
}

/// The list's query: the API's filters plus the search words.
#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    workspace_id: Option<String>,
    channel_id: Option<String>,
    network: Option<String>,
    status: Option<String>,
    assignee: Option<String>,
    team_id: Option<String>,
    tag: Option<String>,
    sentiment: Option<String>,
    intent: Option<String>,
    language: Option<String>,
    sla: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn params(&self) -> ConversationParams {
        ConversationParams {
            workspace_id: self.workspace_id.clone(),
            channel_id: self.channel_id.clone(),
            network: self.network.clone(),
            status: self.status.clone(),
            assignee: self.assignee.clone(),
            team_id: self.team_id.clone(),
            tag: self.tag.clone(),
            sentiment: self.sentiment.clone(),
            intent: self.intent.clone(),
            language: self.language.clone(),
            sla: self.sla.clone(),
            cursor: self.cursor.clone(),
            limit: None,
        }
    }

    /// The filters as a query string (without the cursor), for the pager's links.
    fn filter_query(&self) -> String {
        let pairs = [
            ("workspace_id", &self.workspace_id),
            ("channel_id", &self.channel_id),
            ("network", &self.network),
            ("status", &self.status),
            ("assignee", &self.assignee),
            ("team_id", &self.team_id),
            ("tag", &self.tag),
            ("sentiment", &self.sentiment),
            ("intent", &self.intent),
            ("language", &self.language),
            ("sla", &self.sla),
        ];
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

const PAGE_SIZE: u32 = 50;

fn relative(lang: Lang, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    i18n::fmt_relative(lang, at, now)
}

pub(crate) fn row_of(lang: Lang, c: &ConversationSummary, now: DateTime<Utc>) -> ConversationRow {
    ConversationRow {
        id: c.id.to_string(),
        network: c.network.clone(),
        channel_name: c.channel_name.clone(),
        kind: c.kind.code().to_owned(),
        contact_name: c.contact.name.clone(),
        contact_handle: c.contact.handle.clone(),
        preview: c.preview.clone(),
        status: c.status.code().to_owned(),
        priority: c.priority.code().to_owned(),
        sentiment: c.sentiment.map(|s| s.code().to_owned()).unwrap_or_default(),
        intent: c.intent.map(|s| s.code().to_owned()).unwrap_or_default(),
        language: c.language.clone().unwrap_or_default(),
        tags: c.tags.clone(),
        sla: SlaState::of(c.next_response_due, now).code().to_owned(),
        due: c.next_response_due,
        due_relative: c
            .next_response_due
            .map(|d| relative(lang, d, now))
            .unwrap_or_default(),
        assignee: c.assignee_name.clone().unwrap_or_default(),
        last_message_at: c.last_message_at,
        last_relative: relative(lang, c.last_message_at, now),
        message_count: c.message_count,
    }
}

fn options<T: Copy>(
    lang: Lang,
    all: &[T],
    code: fn(T) -> &'static str,
    key_prefix: &str,
    current: &Option<String>,
) -> Vec<SelectOption> {
    let current = current.as_deref().unwrap_or("");
    let mut out = vec![SelectOption::new(
        "",
        i18n::tr(lang, "inbox-filter-any"),
        current.is_empty(),
    )];
    out.extend(all.iter().map(|v| {
        let c = code(*v);
        SelectOption::new(c, i18n::tr(lang, &format!("{key_prefix}{c}")), c == current)
    }));
    out
}

async fn list_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    query: Result<axum::extract::Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::InboxRead)?;
    let axum::extract::Query(query) = query
        .map_err(|_| AppError::bad_request("invalid_parameter", "The address is not valid."))?;
    let lang = lang_of(&p);
    let page = page_for(&p, "/inbox").with_section(Section::Inbox);
    let org = super::load_organisation(&state).await?;
    let scope = shared::scope(&p.0, Permission::InboxRead);
    let now = state.store.now();
    let q = query.q.clone().unwrap_or_default().trim().to_owned();
    let params = query.params();
    let filter = params.filter(p.0.user.id)?;

    let mut view = InboxView {
        page,
        rows: Vec::new(),
        filters: InboxFilters::default(),
        q: q.clone(),
        hits: Vec::new(),
        contact_hits: Vec::new(),
        next_href: String::new(),
        first_href: String::new(),
        work: Default::default(),
    };
    let current = {
        let mut s = url::form_urlencoded::Serializer::new(query.filter_query());
        if !q.is_empty() {
            s.append_pair("q", &q);
        }
        s.finish()
    };
    // The people one may give a conversation to or filter by, with their availability: read
    // once for the bulk bar and the filter.
    let colleagues = super::inbox_live::colleagues(&state, &p, org.id).await?;
    view.work = super::inbox_live::list_work(&state, &p, org.id, &current, &colleagues).await?;
    if !q.is_empty() {
        let r = state
            .store
            .search_inbox(org.id, &scope, &q.chars().take(200).collect::<String>(), 30)
            .await?;
        view.hits = r
            .messages
            .into_iter()
            .map(|m| SearchHit {
                conversation_id: m.conversation_id.to_string(),
                contact_name: m.contact_name,
                contact_handle: m.contact_handle,
                channel_name: m.channel_name,
                network: m.network,
                text: m.text,
                created_at: m.created_at,
            })
            .collect();
        view.contact_hits = r
            .contacts
            .into_iter()
            .map(|c| ContactHitRow {
                name: c.name,
                handle: c.handle,
                followers: c
                    .followers
                    .map(|f| i18n::tr_args(lang, "inbox-followers", &[("count", f.into())]))
                    .unwrap_or_default(),
                href: c
                    .latest_conversation
                    .map(|id| format!("/inbox/c/{id}"))
                    .unwrap_or_default(),
            })
            .collect();
        return Ok(render(&view));
    }

    let cursor = params.cursor()?;
    let list = state
        .store
        .list_conversations(org.id, &scope, &filter, cursor, PAGE_SIZE)
        .await?;
    view.rows = list.items.iter().map(|c| row_of(lang, c, now)).collect();
    let fq = query.filter_query();
    if let Some(next) = encode_cursor(list.next_cursor) {
        let mut s = url::form_urlencoded::Serializer::new(fq.clone());
        s.append_pair("cursor", &next);
        view.next_href = format!("/inbox?{}", s.finish());
    }
    if cursor.is_some() {
        view.first_href = if fq.is_empty() {
            "/inbox".to_owned()
        } else {
            format!("/inbox?{fq}")
        };
    }

    // The filter form.
    let (languages, tags) = state.store.inbox_facets(org.id).await?;
    let mut f = InboxFilters {
        status: options(
            lang,
            &shared::STATUSES,
            ConversationStatus::code,
            "inbox-status-",
            &query.status,
        ),
        sla: options(
            lang,
            SlaState::ALL,
            SlaState::code,
            "inbox-sla-",
            &query.sla,
        ),
        sentiment: options(
            lang,
            Sentiment::ALL,
            Sentiment::code,
            "inbox-sentiment-",
            &query.sentiment,
        ),
        intent: options(
            lang,
            Intent::ALL,
            Intent::code,
            "inbox-intent-",
            &query.intent,
        ),
        any: !query.filter_query().is_empty(),
        ..InboxFilters::default()
    };
    let any = i18n::tr(lang, "inbox-filter-any");
    let current = |v: &Option<String>| v.clone().unwrap_or_default();
    f.language = std::iter::once(SelectOption::new(
        "",
        any.clone(),
        current(&query.language).is_empty(),
    ))
    .chain(
        languages
            .iter()
            .map(|l| SelectOption::new(l.clone(), l.clone(), *l == current(&query.language))),
    )
    .collect();
    f.tag = std::iter::once(SelectOption::new(
        "",
        any.clone(),
        current(&query.tag).is_empty(),
    ))
    .chain(
        tags.iter()
            .map(|t| SelectOption::new(t.clone(), format!("#{t}"), *t == current(&query.tag))),
    )
    .collect();
    f.network = std::iter::once(SelectOption::new(
        "",
        any.clone(),
        current(&query.network).is_empty(),
    ))
    .chain(Network::ALL.iter().map(|n| {
        SelectOption::new(
            n.code(),
            view.page.network_name(n.code()),
            n.code() == current(&query.network),
        )
    }))
    .collect();
    let visible = p.0.access.visible_workspaces();
    let workspaces = state.store.list_workspaces().await?;
    f.workspace = std::iter::once(SelectOption::new(
        "",
        any.clone(),
        current(&query.workspace_id).is_empty(),
    ))
    .chain(
        workspaces
            .iter()
            .filter(|w| visible.as_ref().is_none_or(|v| v.contains(&w.id)))
            .map(|w| {
                SelectOption::new(
                    w.id.to_string(),
                    w.name.clone(),
                    w.id.to_string() == current(&query.workspace_id),
                )
            }),
    )
    .collect();
    // Channels of the workspaces this person may read, named with their network (two channels
    // of one brand on different networks often share a name).
    let channel_id = current(&query.channel_id);
    f.channel = std::iter::once(SelectOption::new("", any.clone(), channel_id.is_empty()))
        .chain(
            state
                .store
                .list_channels(None)
                .await?
                .into_iter()
                .filter(|c| visible.as_ref().is_none_or(|v| v.contains(&c.workspace_id)))
                .map(|c| {
                    let id = c.id.to_string();
                    let label =
                        format!("{} · {}", c.name, view.page.network_name(c.network.code()));
                    let selected = id == channel_id;
                    SelectOption::new(id, label, selected)
                }),
        )
        .collect();
    let team_id = current(&query.team_id);
    f.team = std::iter::once(SelectOption::new("", any.clone(), team_id.is_empty()))
        .chain(state.store.list_teams().await?.into_iter().map(|t| {
            let id = t.id.to_string();
            let selected = id == team_id;
            SelectOption::new(id, t.name, selected)
        }))
        .collect();
    // Anyone's queue, not only one's own: a lead looks at a colleague's open conversations.
    let assignee = current(&query.assignee);
    f.assignee = vec![
        SelectOption::new("", any, assignee.is_empty()),
        SelectOption::new("me", i18n::tr(lang, "inbox-assignee-me"), assignee == "me"),
        SelectOption::new(
            "none",
            i18n::tr(lang, "inbox-unassigned"),
            assignee == "none",
        ),
    ];
    for c in &colleagues {
        let id = c.id.to_string();
        let selected = id == assignee;
        f.assignee
            .push(SelectOption::new(id, c.label(lang), selected));
    }
    view.filters = f;
    Ok(render(&view))
}

pub(super) fn parse_conversation_id(raw: &str) -> Result<ConversationId, AppError> {
    Uuid::parse_str(raw.trim())
        .map(ConversationId)
        .map_err(|_| AppError::not_found("conversation"))
}

pub(super) async fn conversation_view(
    state: &AppState,
    p: &PagePrincipal,
    id: ConversationId,
    flash: Option<Flash>,
) -> Result<ConversationView, AppError> {
    p.0.require_anywhere(Permission::InboxRead)?;
    let lang = lang_of(p);
    let org = super::load_organisation(state).await?;
    let scope = shared::scope(&p.0, Permission::InboxRead);
    let d = state.store.conversation(org.id, &scope, id).await?;
    let now = state.store.now();
    let c = &d.conversation;
    let can_change = p.0.access.can(
        Permission::InboxReply,
        Target::Channel {
            workspace: c.workspace_id,
            channel: c.channel_id,
        },
    );
    let row = row_of(lang, c, now);
    let followers = |f: Option<i64>| {
        f.map(|f| i18n::tr_args(lang, "inbox-followers", &[("count", f.into())]))
            .unwrap_or_default()
    };
    let simulated = state
        .store
        .channel(c.channel_id)
        .await
        .map(|ch| ch.simulated)
        .unwrap_or(false);
    let messages = d
        .messages
        .iter()
        .map(|m| ThreadMessage {
            author: if m.author_contact_id == Some(d.contact.id) {
                d.contact.name.clone()
            } else if m.auto_rule_id.is_some() {
                i18n::tr(lang, "inbox-author-rule")
            } else if m.author_user_id.is_some() {
                i18n::tr(lang, "inbox-author-team")
            } else {
                d.contact.name.clone()
            },
            outbound: m.direction == owlery_domain::inbox::Direction::Outbound,
            text: m.text.clone(),
            created_at: m.created_at,
            sentiment: m.sentiment.map(|s| s.code().to_owned()).unwrap_or_default(),
            intent: m.intent.map(|s| s.code().to_owned()).unwrap_or_default(),
            language: m.language.clone().unwrap_or_default(),
            url: m
                .url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .unwrap_or_default(),
            edited: m.edited_at.is_some(),
            hidden: m.hidden_at.is_some(),
            hide_pending: m.hide_requested_at.is_some()
                && m.hidden_at.is_none()
                && m.hide_error.is_none(),
            hide_error: m.hide_error.clone().unwrap_or_default(),
            deleted: m.deleted_at.is_some(),
            media: m
                .media
                .iter()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .cloned()
                .collect(),
            delivery: super::inbox_reply::delivery_view(&p.0, c, m),
            id: m.id.to_string(),
            can_like: can_change
                && m.liked_at.is_none()
                && m.deleted_at.is_none()
                && crate::inbox_actions::ability(
                    state,
                    &c.network,
                    simulated,
                    m.kind,
                    m.direction,
                    MessageAction::Like,
                )
                .allowed(),
            can_delete: can_change
                && m.deleted_at.is_none()
                && (m.direction == owlery_domain::inbox::Direction::Inbound
                    || m.delivery == Some(owlery_domain::inbox::Delivery::Sent))
                && crate::inbox_actions::ability(
                    state,
                    &c.network,
                    simulated,
                    m.kind,
                    m.direction,
                    MessageAction::Delete,
                )
                .allowed(),
            liked: m.liked_at.is_some(),
            like_pending: m.like_requested_at.is_some()
                && m.liked_at.is_none()
                && m.action_error.is_none(),
            delete_pending: m.delete_requested_at.is_some()
                && m.deleted_at.is_none()
                && m.action_error.is_none(),
            action_error: m.action_error.clone().unwrap_or_default(),
        })
        .collect();
    let reply = super::inbox_reply::reply_box(state, &p.0, &d).await?;
    let mut assignee = vec![SelectOption::new(
        "",
        i18n::tr(lang, "inbox-unassigned"),
        c.assignee_id.is_none(),
    )];
    if can_change {
        // Each person with their availability ("Maria Petrova — away"), from one read of the
        // organisation's presences, so a conversation is not handed to someone off shift.
        let users = state.store.list_users(None, 500).await?;
        let presences = state.store.org_presence(org.id).await?;
        assignee.extend(
            users
                .iter()
                .filter(|u| u.status != owlery_domain::user::UserStatus::Disabled)
                .map(|u| {
                    let name = if u.id == p.0.user.id {
                        format!("{} ({})", u.name, i18n::tr(lang, "inbox-assignee-me"))
                    } else {
                        u.name.clone()
                    };
                    let pr = presences.of(u.id);
                    SelectOption::new(
                        u.id.to_string(),
                        Availability::new(lang, pr.status, pr.automatic).label(lang, &name),
                        c.assignee_id == Some(u.id),
                    )
                }),
        );
    }
    let post = match c.post_remote_id.as_deref() {
        Some(remote) => post_context(state, p, c.channel_id, remote).await?,
        None => None,
    };
    let teams = state.store.list_teams().await?;
    let team = if teams.is_empty() {
        Vec::new()
    } else {
        std::iter::once(SelectOption::new(
            "",
            i18n::tr(lang, "inbox-no-team"),
            c.team_id.is_none(),
        ))
        .chain(teams.into_iter().map(|t| {
            let selected = c.team_id == Some(t.id);
            SelectOption::new(t.id.to_string(), t.name, selected)
        }))
        .collect()
    };
    Ok(ConversationView {
        page: page_for(p, &format!("/inbox/c/{id}"))
            .with_section(Section::Inbox)
            .with_flash(flash),
        id: id.to_string(),
        post_remote_id: c.post_remote_id.clone().unwrap_or_default(),
        post,
        messages,
        contact_name: d.contact.name.clone(),
        contact_handle: d.contact.handle.clone(),
        contact_followers: followers(d.contact.followers),
        contact_since: d.contact.created_at,
        identities: d
            .contact
            .identities
            .iter()
            .map(|i| IdentityRow {
                network: i.network.clone(),
                handle: i.handle.clone(),
                followers: followers(i.followers),
            })
            .collect(),
        history: d.history.iter().map(|h| row_of(lang, h, now)).collect(),
        can_change,
        status: shared::STATUSES
            .iter()
            .map(|s| {
                SelectOption::new(
                    s.code(),
                    i18n::tr(lang, &format!("inbox-status-{}", s.code())),
                    *s == c.status,
                )
            })
            .collect(),
        priority: Priority::ALL
            .iter()
            .map(|s| {
                SelectOption::new(
                    s.code(),
                    i18n::tr(lang, &format!("inbox-priority-{}", s.code())),
                    *s == c.priority,
                )
            })
            .collect(),
        assignee,
        team,
        tags: c.tags.join(", "),
        first_response_due: c.first_response_due,
        work: super::inbox_live::conversation_work(state, p, &d).await?,
        row,
        reply,
    })
}

/// How much of the post's text the conversation shows (the post is a link away).
const POST_CONTEXT_CHARS: usize = 500;

/// The post a comment thread is on, when Owlery published it: what it said, when, and where to
/// open it (on the network; in Owlery for people who may draft there).
async fn post_context(
    state: &AppState,
    p: &PagePrincipal,
    channel: owlery_domain::ChannelId,
    remote: &str,
) -> Result<Option<PostContext>, AppError> {
    let Some((post, variant)) = state.store.published_post(channel, remote).await? else {
        return Ok(None);
    };
    let Some(v) = post.variant(variant) else {
        return Ok(None);
    };
    let text = v.overrides.apply(&post.content).text;
    let mut shown: String = text.chars().take(POST_CONTEXT_CHARS).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    let channels: Vec<_> = post.variants.iter().map(|v| v.channel_id).collect();
    let may_open =
        crate::api::posts::may(&p.0, Permission::PostsDraft, post.workspace_id, &channels);
    Ok(Some(PostContext {
        text: shown,
        published_at: v.published_at,
        remote_url: v
            .remote_url
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .unwrap_or_default(),
        owlery_href: if may_open {
            format!("/publish/posts/{}", post.id)
        } else {
            String::new()
        },
    }))
}

#[derive(Debug, Deserialize, Default)]
struct Saved {
    saved: Option<String>,
    /// After an answer: `queued` or `approval` (see `pages/inbox_reply.rs`).
    replied: Option<String>,
}

async fn conversation_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    axum::extract::Query(saved): axum::extract::Query<Saved>,
) -> Result<Response, AppError> {
    let id = parse_conversation_id(&raw)?;
    let flash = saved
        .saved
        .is_some()
        .then(|| Flash::success(i18n::tr(lang_of(&p), "inbox-saved")))
        .or_else(|| super::inbox_reply::replied_flash(lang_of(&p), saved.replied.as_deref()));
    Ok(render(&conversation_view(&state, &p, id, flash).await?))
}

async fn update(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let id = parse_conversation_id(&raw)?;
    let lang = lang_of(&p);
    let bad = |field: &'static str, key: &str| {
        AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            i18n::tr(lang, key),
        )
        .with_field(field)
    };
    let status = match form.get("status").as_str() {
        "" => None,
        s => Some(ConversationStatus::parse(s).ok_or_else(|| bad("status", "inbox-error-status"))?),
    };
    let priority = match form.get("priority").as_str() {
        "" => None,
        s => Some(Priority::parse(s).ok_or_else(|| bad("priority", "inbox-error-priority"))?),
    };
    let assignee = match form.get("assignee").as_str() {
        "" => Some(None),
        s => Some(Some(UserId(
            Uuid::parse_str(s).map_err(|_| bad("assignee", "inbox-error-assignee"))?,
        ))),
    };
    // A form without the field (no teams exist) leaves the team as it is.
    let team = if form.all("team_id").is_empty() {
        None
    } else {
        match form.get("team_id").as_str() {
            "" => Some(None),
            s => Some(Some(TeamId(
                Uuid::parse_str(s).map_err(|_| bad("team_id", "inbox-error-team"))?,
            ))),
        }
    };
    let tags: Vec<String> = form
        .get("tags")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_start_matches('#').to_owned())
        .collect();
    let patch = ConversationPatch {
        status,
        priority,
        assignee,
        team,
        tags: Some(tags),
    };
    match shared::update(&state, &p.0, id, &patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/inbox/c/{id}?saved=1")).into_response()),
        Err(e) if e.status == axum::http::StatusCode::UNPROCESSABLE_ENTITY => {
            let view = conversation_view(&state, &p, id, Some(Flash::error(e.message))).await?;
            Ok(super::unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}
