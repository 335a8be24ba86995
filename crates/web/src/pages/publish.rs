//! Publishing pages: the list of posts, the composer (live validation per channel, autosave,
//! schedule or submit for approval) and a post's version history with restore.
//!
//! The composer goes through [`crate::compose::compose`] like the API, and scheduling through the
//! store's gate: the page offers, the server decides.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderName, HeaderValue},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, InvalidInput, Permission, PostId, Target, WorkspaceId,
    post::{Content, VariantStatus},
    publishing::{history::diff_words, schedule::parse_when},
    user::parse_time_zone,
};
use owlery_store::{
    StoreError,
    org::Channel,
    posts::{NewPost, Post, ScheduleError},
};
use serde::Deserialize;

use super::{form::FormData, page_for, render, unprocessable};
use crate::{
    auth::{PagePrincipal, Principal},
    compose::{ChannelDraft, Composed, Draft, compose, specs},
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        Flash, FormErrors, Section, SelectOption,
        publish::{
            ChannelBox, CheckView, ChecksFragment, CommentLine, ComposerView, FindingLine,
            HistoryView, LinkPreviewFragment, MediaPick, PostRow, PostsView, ReviewLine,
            SavedFragment, VariantChip, VersionLine,
        },
        tz_options,
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/publish", get(list))
        .route("/publish/new", get(new_post))
        .route("/publish/posts/{id}", get(edit_post))
        .route("/publish/posts/{id}/history", get(history))
        .route("/publish/posts/{id}/restore", post(restore))
        .route("/publish/posts/{id}/comments", post(add_comment))
        .route("/publish/posts/{id}/assign", post(assign))
        .route("/publish/check", post(check))
        .route("/publish/link-preview", get(link_preview))
        .route("/publish/save", post(save))
        // The short address notifications and the calendar link to.
        .route("/posts/{id}", get(short_link))
}

async fn short_link(Path(raw): Path<String>) -> Result<Response, AppError> {
    let id = uuid::Uuid::parse_str(&raw).map_err(|_| AppError::not_found("post"))?;
    Ok(Redirect::to(&format!("/publish/posts/{id}")).into_response())
}

fn lang(p: &Principal) -> Lang {
    Lang::parse(&p.user.language).unwrap_or(Lang::En)
}

fn tz_of(p: &Principal) -> chrono_tz::Tz {
    p.user.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

fn may_draft_in(p: &Principal, ws: WorkspaceId, channels: &[Channel]) -> bool {
    p.access.can(Permission::PostsDraft, Target::Workspace(ws))
        || channels.iter().any(|c| {
            p.access.can(
                Permission::PostsDraft,
                Target::Channel {
                    workspace: ws,
                    channel: c.id,
                },
            )
        })
}

/// The workspaces the person may write in, each with the channels they may write for.
async fn drafting_places(
    state: &AppState,
    p: &Principal,
) -> Result<Vec<(owlery_store::org::Workspace, Vec<Channel>)>, AppError> {
    let channels = state.store.list_channels(None).await?;
    let mut out = Vec::new();
    for ws in state.store.list_workspaces().await? {
        let mine: Vec<Channel> = channels
            .iter()
            .filter(|c| c.workspace_id == ws.id)
            .filter(|c| {
                p.access.can(
                    Permission::PostsDraft,
                    Target::Channel {
                        workspace: ws.id,
                        channel: c.id,
                    },
                )
            })
            .cloned()
            .collect();
        if may_draft_in(p, ws.id, &mine) {
            out.push((ws, mine));
        }
    }
    Ok(out)
}

async fn list(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::OrgRead)?;
    let page = page_for(&p, "/publish").with_section(Section::Publish);
    let workspaces = state.store.list_workspaces().await?;
    let ids: Vec<WorkspaceId> = workspaces.iter().map(|w| w.id).collect();
    let channels = state.store.list_channels(None).await?;
    let posts = state.store.posts(&ids, None, 100).await?;
    let tz = tz_of(&p.0);
    let mut rows = Vec::new();
    for post in posts {
        let chans: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
        if !crate::api::posts::may(&p.0, Permission::PostsDraft, post.workspace_id, &chans)
            && !crate::api::posts::may(&p.0, Permission::PostsApprove, post.workspace_id, &chans)
        {
            continue;
        }
        rows.push(PostRow {
            id: post.id.to_string(),
            title: post.title.clone(),
            excerpt: excerpt(&post.content.text),
            workspace: workspaces
                .iter()
                .find(|w| w.id == post.workspace_id)
                .map(|w| w.name.clone())
                .unwrap_or_default(),
            updated: page.dt(post.updated_at),
            variants: post
                .variants
                .iter()
                .map(|v| {
                    let ch = channels.iter().find(|c| c.id == v.channel_id);
                    VariantChip {
                        network: ch.map(|c| c.network.code().to_owned()).unwrap_or_default(),
                        channel: ch.map(|c| c.name.clone()).unwrap_or_default(),
                        status: v.status.code().to_owned(),
                        when: v
                            .published_at
                            .or(v.scheduled_at)
                            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                        late: super::engine::late_of(page.lang, v),
                    }
                })
                .collect(),
        });
    }
    let can_draft = p.0.access.can_anywhere(Permission::PostsDraft);
    Ok(render(&PostsView {
        page,
        can_draft,
        posts: rows,
    }))
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(140).collect();
    if text.chars().count() > 140 {
        out.push('…');
    }
    out
}

#[derive(Debug, Deserialize)]
struct NewParams {
    workspace: Option<String>,
}

/// What the composer shows for one channel, before validation.
struct ChannelState {
    selected: bool,
    custom: bool,
    placement: String,
    content: Content,
    status: String,
}

/// Build the composer for a workspace's channels from what is chosen, with their checks.
#[allow(clippy::too_many_arguments)]
async fn composer_view(
    state: &AppState,
    p: &PagePrincipal,
    workspace: WorkspaceId,
    places: &[(owlery_store::org::Workspace, Vec<Channel>)],
    post_id: Option<PostId>,
    version: i64,
    title: String,
    master: Content,
    chosen: &(dyn Fn(&Channel) -> ChannelState + Sync),
    when: String,
    tz: String,
    errors: FormErrors,
) -> Result<ComposerView, AppError> {
    let path = match post_id {
        Some(id) => format!("/publish/posts/{id}"),
        None => "/publish/new".to_owned(),
    };
    let page = page_for(p, &path).with_section(Section::Publish);
    let specs = specs()?;
    let channels: &[Channel] = places
        .iter()
        .find(|(w, _)| w.id == workspace)
        .map(|(_, c)| c.as_slice())
        .unwrap_or(&[]);
    let mut boxes = Vec::new();
    let mut draft_channels = Vec::new();
    for ch in channels {
        let st = chosen(ch);
        let spec = specs.network(ch.network.code());
        let placements: Vec<SelectOption> = spec
            .map(|n| {
                n.placements
                    .iter()
                    .map(|pl| SelectOption::new(&pl.code, &pl.name, pl.code == st.placement))
                    .collect()
            })
            .unwrap_or_default();
        if st.selected {
            draft_channels.push(ChannelDraft {
                channel_id: ch.id,
                placement: Some(st.placement.clone()).filter(|s| !s.is_empty()),
                text: st.custom.then(|| st.content.text.clone()),
                title: None,
                link: st
                    .custom
                    .then(|| st.content.link.clone().unwrap_or_default()),
                first_comment: st
                    .custom
                    .then(|| st.content.first_comment.clone().unwrap_or_default()),
                media: st.custom.then(|| st.content.media.clone()),
            });
        }
        boxes.push(ChannelBox {
            id: ch.id.to_string(),
            name: ch.name.clone(),
            network: ch.network.code().to_owned(),
            network_name: if ch.network.code() == "sandbox" {
                page.network_name("sandbox")
            } else {
                spec.map(|n| n.name.clone()).unwrap_or_default()
            },
            selected: st.selected,
            custom: st.custom,
            placements,
            // Empty unless customised: "Customise" then starts from the master as it is then.
            text: if st.custom {
                st.content.text.clone()
            } else {
                String::new()
            },
            link: if st.custom {
                st.content.link.clone().unwrap_or_default()
            } else {
                String::new()
            },
            first_comment: if st.custom {
                st.content.first_comment.clone().unwrap_or_default()
            } else {
                String::new()
            },
            changed: if st.custom {
                owlery_domain::post::Overrides::between(&master, &st.content).changed_fields()
            } else {
                Vec::new()
            },
            media: if st.custom {
                st.content
                    .media
                    .iter()
                    .map(|m| m.media_id.to_string())
                    .collect()
            } else {
                Vec::new()
            },
            status: st.status,
            check: CheckView::empty(ch.id.to_string()),
            late: String::new(),
            reconnect: (ch.status == owlery_domain::org::ChannelStatus::NeedsReconnect)
                .then(|| ch.status_reason.clone().unwrap_or_default()),
        });
    }
    if !draft_channels.is_empty()
        && let Ok(composed) = compose(
            &state.store,
            Draft {
                workspace_id: workspace,
                master: master.clone(),
                channels: draft_channels,
            },
            state.store.now(),
        )
        .await
    {
        for c in checks_of(&composed) {
            if let Some(b) = boxes.iter_mut().find(|b| b.id == c.channel_id) {
                b.check = c;
            }
        }
    }
    let mut reviews = Vec::new();
    let mut comments = Vec::new();
    let mut assignees = Vec::new();
    let current_campaign = match post_id {
        Some(id) => state.store.post(id).await?.and_then(|p| p.campaign_id),
        None => None,
    };
    let mut campaigns = vec![SelectOption::new(
        "",
        page.t("composer-no-campaign"),
        current_campaign.is_none(),
    )];
    for c in state.store.campaigns(workspace).await? {
        if c.status == owlery_store::campaigns::CampaignStatus::Planned
            || Some(c.id) == current_campaign
        {
            campaigns.push(SelectOption::new(
                c.id.to_string(),
                &c.name,
                Some(c.id) == current_campaign,
            ));
        }
    }
    if let Some(id) = post_id {
        for c in state.store.comments(id).await? {
            comments.push(CommentLine {
                id: c.id.to_string(),
                author: c.author_name,
                at: page.dt(c.created_at),
                body: c.body,
            });
        }
        let current = state.store.post(id).await?.and_then(|p| p.assignee_id);
        assignees.push(SelectOption::new(
            "",
            page.t("composer-nobody"),
            current.is_none(),
        ));
        for u in state.store.list_users(None, 1_000).await? {
            if u.status == owlery_domain::user::UserStatus::Active {
                assignees.push(SelectOption::new(
                    u.id.to_string(),
                    &u.name,
                    current == Some(u.id),
                ));
            }
        }
        let now = state.store.now();
        for r in state.store.reviews_of_post(id).await? {
            let progress = r.progress(now);
            let detail = match &progress {
                owlery_domain::publishing::approval::Progress::Pending {
                    step_name,
                    approvals,
                    required,
                    ..
                } => page.t2(
                    "review-pending-detail",
                    "step",
                    step_name.as_str(),
                    "count",
                    format!("{approvals}/{required}").as_str(),
                ),
                owlery_domain::publishing::approval::Progress::ChangesRequested {
                    reason, ..
                }
                | owlery_domain::publishing::approval::Progress::Rejected { reason, .. } => {
                    reason.clone()
                }
                owlery_domain::publishing::approval::Progress::Approved => String::new(),
            };
            reviews.push(ReviewLine {
                state: progress.code().to_owned(),
                detail,
            });
        }
    }
    let now = state.store.now();
    let library = state
        .store
        .list_media(
            &[workspace],
            &owlery_store::media::MediaFilter::default(),
            60,
        )
        .await?;
    let media = library
        .into_iter()
        .map(|m| {
            let chosen = master.media.iter().find(|r| r.media_id == m.id);
            MediaPick {
                id: m.id.to_string(),
                name: m.file_name.clone(),
                kind: m.kind.clone(),
                has_thumbnail: m.has_thumbnail(),
                selected: chosen.is_some(),
                alt: chosen
                    .map(|r| r.alt.clone())
                    .unwrap_or_else(|| m.alt.clone()),
                expired: m.is_expired(now),
            }
        })
        .collect();
    Ok(ComposerView {
        page,
        campaigns,
        media,
        post_id: post_id.map(|i| i.to_string()).unwrap_or_default(),
        version,
        workspace_id: workspace.to_string(),
        workspaces: places
            .iter()
            .map(|(w, _)| SelectOption::new(w.id.to_string(), &w.name, w.id == workspace))
            .collect(),
        title,
        text: master.text.clone(),
        link: master.link.clone().unwrap_or_default(),
        first_comment: master.first_comment.clone().unwrap_or_default(),
        channels: boxes,
        when,
        tz_options: tz_options(&tz),
        tz,
        can_publish: p.0.access.can_anywhere(Permission::PostsPublish),
        errors,
        reviews,
        comments,
        assignees,
        attention: Vec::new(),
        attention_back: path.clone(),
        viewer_tz: p.0.user.time_zone.clone(),
    })
}

fn checks_of(composed: &Composed) -> Vec<CheckView> {
    composed
        .checks
        .iter()
        .map(|c| CheckView {
            channel_id: c.channel_id.to_string(),
            used: c.used,
            limit: c.limit,
            findings: c
                .findings
                .iter()
                .map(|f| FindingLine {
                    error: f.severity == owlery_domain::spec::Severity::Error,
                    message: f.message.clone(),
                })
                .collect(),
            shown: true,
        })
        .collect()
}

async fn new_post(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(params): Query<NewParams>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsDraft)?;
    let places = drafting_places(&state, &p.0).await?;
    let wanted = params
        .workspace
        .as_deref()
        .and_then(|w| uuid::Uuid::parse_str(w).ok())
        .map(WorkspaceId);
    let Some(workspace) = wanted
        .filter(|w| places.iter().any(|(x, _)| x.id == *w))
        .or_else(|| places.first().map(|(w, _)| w.id))
    else {
        return Err(AppError::forbidden());
    };
    let tz = p.0.user.time_zone.clone();
    let view = composer_view(
        &state,
        &p,
        workspace,
        &places,
        None,
        0,
        String::new(),
        Content::default(),
        &|_| ChannelState {
            selected: false,
            custom: false,
            placement: String::new(),
            content: Content::default(),
            status: String::new(),
        },
        String::new(),
        tz,
        FormErrors::new(),
    )
    .await?;
    Ok(render(&view))
}

#[derive(Debug, Deserialize)]
struct DoneParams {
    done: Option<String>,
    /// What an action on a held variant did (see `pages/engine.rs`).
    engine: Option<String>,
}

async fn load_post(state: &AppState, p: &Principal, raw: &str) -> Result<Post, AppError> {
    let id = uuid::Uuid::parse_str(raw)
        .map(PostId)
        .map_err(|_| AppError::not_found("post"))?;
    let post = state
        .store
        .post(id)
        .await?
        .ok_or_else(|| AppError::not_found("post"))?;
    let chans: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    if !crate::api::posts::may(p, Permission::PostsDraft, post.workspace_id, &chans) {
        return Err(AppError::forbidden());
    }
    Ok(post)
}

async fn edit_post(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    Query(done): Query<DoneParams>,
) -> Result<Response, AppError> {
    let post = load_post(&state, &p.0, &raw).await?;
    let places = drafting_places(&state, &p.0).await?;
    let tz = post
        .variants
        .first()
        .map(|v| v.schedule_tz.clone())
        .unwrap_or_else(|| p.0.user.time_zone.clone());
    let when = post
        .variants
        .iter()
        .find_map(|v| v.scheduled_at)
        .map(|t| local_input(t, &tz))
        .unwrap_or_default();
    let master = post.content.clone();
    let view = composer_view(
        &state,
        &p,
        post.workspace_id,
        &places,
        Some(post.id),
        post.version,
        post.title.clone(),
        master.clone(),
        &|ch| match post.variants.iter().find(|v| v.channel_id == ch.id) {
            Some(v) => ChannelState {
                selected: true,
                custom: !v.overrides.is_empty(),
                placement: v.placement.clone(),
                content: v.overrides.apply(&master),
                status: v.status.code().to_owned(),
            },
            None => ChannelState {
                selected: false,
                custom: false,
                placement: String::new(),
                content: master.clone(),
                status: String::new(),
            },
        },
        when,
        tz,
        FormErrors::new(),
    )
    .await?;
    let flash = done
        .done
        .as_deref()
        .map(|d| outcome_flash(lang(&p.0), d, &post))
        .or_else(|| {
            done.engine
                .as_deref()
                .and_then(|e| super::engine::done_flash(lang(&p.0), e))
        });
    let mut view = view;
    view.page = view.page.with_flash(flash);
    super::engine::fill_composer(&state, &p.0, &post, &mut view).await?;
    Ok(render(&view))
}

/// A datetime-local value for `at` in time zone `tz`.
fn local_input(at: DateTime<Utc>, tz: &str) -> String {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// What happened after a save, from the variants as they are now.
fn outcome_flash(lang: Lang, done: &str, post: &Post) -> Flash {
    let count = |s: VariantStatus| post.variants.iter().filter(|v| v.status == s).count();
    let scheduled = count(VariantStatus::Scheduled) + count(VariantStatus::Published);
    let review = count(VariantStatus::InReview);
    let blocked = post.variants.iter().filter(|v| v.has_errors).count();
    let summary = i18n::tr_args(
        lang,
        "composer-outcome",
        &[
            ("scheduled", scheduled.into()),
            ("review", review.into()),
            ("blocked", blocked.into()),
        ],
    );
    match done {
        "draft" => Flash::success(i18n::tr(lang, "composer-saved-draft")),
        "queued" => {
            let queued = count(VariantStatus::Scheduled);
            let message = i18n::tr_args(
                lang,
                "composer-queued",
                &[
                    ("queued", queued.into()),
                    ("left", (post.variants.len() - queued).into()),
                ],
            );
            if queued == post.variants.len() {
                Flash::success(message)
            } else {
                Flash::info(message)
            }
        }
        _ if blocked > 0 => Flash::error(summary),
        _ => Flash::success(summary),
    }
}

/// The composer's fields as a draft (unknown or malformed channel ids are skipped: the form only
/// offers real ones).
fn draft_from(form: &FormData, workspace: WorkspaceId) -> Draft {
    let opt = |v: String| Some(v).filter(|s| !s.trim().is_empty());
    let master = Content {
        text: form.raw("text").replace("\r\n", "\n"),
        title: None,
        link: opt(form.get("link")),
        first_comment: opt(form.get("first_comment")),
        media: media_of(form, "media"),
    };
    let mut channels = Vec::new();
    for raw in form.all("channel") {
        let Ok(id) = uuid::Uuid::parse_str(&raw) else {
            continue;
        };
        if channels.iter().any(|c: &ChannelDraft| c.channel_id.0 == id) {
            continue;
        }
        let custom = !form.get(&format!("custom_{id}")).is_empty();
        let mut text = custom.then(|| form.raw(&format!("text_{id}")).replace("\r\n", "\n"));
        let mut link = custom.then(|| form.get(&format!("link_{id}")));
        // UTM tags for this channel's links, when all three are given and valid.
        let utm = owlery_domain::publishing::utm::Utm {
            source: form.get(&format!("utm_source_{id}")),
            medium: form.get(&format!("utm_medium_{id}")),
            campaign: form.get(&format!("utm_campaign_{id}")),
            term: None,
            content: None,
        };
        if custom && utm.validate().is_ok() {
            text = text.map(|t| owlery_domain::publishing::utm::tag_links(&t, &utm));
            link = link.map(|l| owlery_domain::publishing::utm::tag_url(&l, &utm).unwrap_or(l));
        }
        channels.push(ChannelDraft {
            channel_id: ChannelId(id),
            placement: opt(form.get(&format!("placement_{id}"))),
            text,
            title: None,
            link,
            first_comment: custom.then(|| form.get(&format!("first_comment_{id}"))),
            media: custom.then(|| media_of(form, &format!("media_{id}"))),
        });
    }
    Draft {
        workspace_id: workspace,
        master,
        channels,
    }
}

/// The media chosen in field `name` (repeated ids), each with the alt text written for it.
fn media_of(form: &FormData, name: &str) -> Vec<owlery_domain::post::MediaRef> {
    let mut out: Vec<owlery_domain::post::MediaRef> = Vec::new();
    for raw in form.all(name) {
        let Ok(id) = uuid::Uuid::parse_str(&raw) else {
            continue;
        };
        if out.iter().any(|m| m.media_id.0 == id) {
            continue;
        }
        out.push(owlery_domain::post::MediaRef {
            media_id: owlery_domain::MediaId(id),
            alt: form.get(&format!("alt_{id}")),
        });
    }
    out
}

fn workspace_of(form: &FormData) -> Result<WorkspaceId, AppError> {
    uuid::Uuid::parse_str(&form.get("workspace_id"))
        .map(WorkspaceId)
        .map_err(|_| AppError::bad_request("invalid_workspace", "The form lost its workspace."))
}

/// `POST /publish/check`: each chosen channel's meter and findings, as out-of-band fragments.
async fn check(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsDraft)?;
    let workspace = workspace_of(&form)?;
    let draft = draft_from(&form, workspace);
    let chosen: Vec<ChannelId> = draft.channels.iter().map(|c| c.channel_id).collect();
    if !crate::api::posts::may(&p.0, Permission::PostsDraft, workspace, &chosen) {
        return Err(AppError::forbidden());
    }
    let all_channels: Vec<String> = state
        .store
        .list_channels(Some(workspace))
        .await?
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    let page = page_for(&p, "/publish/check");
    let mut checks: Vec<CheckView> = all_channels.into_iter().map(CheckView::empty).collect();
    match compose(&state.store, draft, state.store.now()).await {
        Ok(composed) => {
            for c in checks_of(&composed) {
                if let Some(slot) = checks.iter_mut().find(|x| x.channel_id == c.channel_id) {
                    *slot = c;
                }
            }
        }
        // A field that cannot be stored at all (a malformed link…): say so on every channel.
        Err(e) if e.status.is_client_error() => {
            for slot in checks
                .iter_mut()
                .filter(|s| chosen.iter().any(|c| c.to_string() == s.channel_id))
            {
                slot.shown = true;
                slot.findings = vec![FindingLine {
                    error: true,
                    message: e.message.clone(),
                }];
            }
        }
        Err(e) => return Err(e),
    }
    Ok(render(&ChecksFragment { page, checks }))
}

/// `POST /publish/save`: create or update the post, then (for `schedule` and `now`) submit it.
async fn save(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsDraft)?;
    let lang = lang(&p.0);
    let action = form.get("action");
    let autosave = action == "autosave";
    let workspace = workspace_of(&form)?;
    let post_id = match form.get("post_id").as_str() {
        "" => None,
        raw => Some(
            uuid::Uuid::parse_str(raw)
                .map(PostId)
                .map_err(|_| AppError::not_found("post"))?,
        ),
    };
    if let Some(id) = post_id {
        let post = load_post(&state, &p.0, &id.to_string()).await?;
        if post.workspace_id != workspace {
            return Err(AppError::bad_request(
                "invalid_workspace",
                "The form's workspace is not the post's.",
            ));
        }
    }
    let draft = draft_from(&form, workspace);
    let chosen: Vec<ChannelId> = draft.channels.iter().map(|c| c.channel_id).collect();
    if !crate::api::posts::may(&p.0, Permission::PostsDraft, workspace, &chosen) {
        return Err(AppError::forbidden());
    }
    let mut errors = FormErrors::new();
    let tz = match parse_time_zone(&form.get("tz")) {
        Ok(tz) => tz,
        Err(_) => tz_of(&p.0),
    };
    let now = state.store.now();
    let when = match (action.as_str(), form.get("when").as_str()) {
        ("now", _) => Some(now),
        (_, "") if action == "schedule" => {
            errors.push("when", i18n::tr(lang, "composer-when-required"));
            None
        }
        (_, "") => None,
        (_, raw) => match parse_when(raw, tz) {
            Ok(at) if at < now - chrono::Duration::minutes(1) && !autosave && action != "draft" => {
                errors.push("when", i18n::tr(lang, "composer-when-past"));
                None
            }
            Ok(at) => Some(at),
            Err(e) => {
                errors.push("when", e.message);
                None
            }
        },
    };
    let title = form.get("title");
    let campaign = match form.get("campaign_id").as_str() {
        "" => None,
        raw => Some(
            uuid::Uuid::parse_str(raw)
                .map(owlery_domain::CampaignId)
                .map_err(|_| AppError::not_found("campaign"))?,
        ),
    };
    let composed = if errors.is_empty() {
        match compose(&state.store, draft.clone(), now).await {
            Ok(c) => Some(c),
            Err(e) if e.status.is_client_error() => {
                let field = e.field.clone().unwrap_or_default();
                errors.push(
                    if field == "channel_ids" {
                        "channel_ids"
                    } else {
                        "text"
                    },
                    e.message,
                );
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let Some(composed) = composed else {
        if autosave {
            let first = errors
                .0
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            return Ok(saved_fragment(&p, post_id, form_version(&form), first, now));
        }
        return rerender(&state, &p, workspace, post_id, &form, draft, tz, errors).await;
    };
    let actor = p.0.actor();
    let saved: Result<Post, StoreError> = match post_id {
        None => {
            state
                .store
                .create_post(
                    &actor,
                    p.0.user.id,
                    NewPost {
                        workspace_id: workspace,
                        title: title.clone(),
                        content: composed.master,
                        variants: composed.variants,
                        campaign_id: campaign,
                        scheduled_at: when,
                        schedule_tz: tz.name().to_owned(),
                    },
                )
                .await
        }
        Some(id) => {
            state
                .store
                .update_post(
                    &actor,
                    p.0.user.id,
                    id,
                    form_version(&form),
                    title.clone(),
                    composed.master,
                    composed.variants,
                )
                .await
        }
    };
    let post = match saved {
        Ok(post) => post,
        Err(StoreError::Conflict { message, .. }) => {
            if autosave {
                return Ok(saved_fragment(
                    &p,
                    post_id,
                    form_version(&form),
                    message,
                    now,
                ));
            }
            errors.push("", message);
            return rerender(&state, &p, workspace, post_id, &form, draft, tz, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    if autosave {
        let mut res = saved_fragment(&p, Some(post.id), post.version, String::new(), now);
        if post_id.is_none()
            && let Ok(v) = HeaderValue::from_str(&format!("/publish/posts/{}", post.id))
        {
            res.headers_mut()
                .insert(HeaderName::from_static("hx-replace-url"), v);
        }
        return Ok(res);
    }
    if post_id.is_some() && post.campaign_id != campaign {
        if let Some(old) = post.campaign_id {
            state
                .store
                .remove_from_campaign(&actor, old, post.id)
                .await?;
        }
        if let Some(new) = campaign {
            state
                .store
                .add_to_campaign(&actor, new, post.id, &[])
                .await?;
        }
    }
    crate::media::prepare_renditions(&state, &post);
    // A time chosen for an existing post applies to each variant that is not yet out.
    if post_id.is_some()
        && let Some(at) = when
    {
        for v in &post.variants {
            if v.status.is_editable() && v.scheduled_at != Some(at) {
                match state
                    .store
                    .move_variant(&actor, v.id, Some(at), tz.name())
                    .await
                {
                    Ok(_) | Err(ScheduleError::Gate(_)) => {}
                    Err(ScheduleError::Store(e)) => return Err(e.into()),
                }
            }
        }
    }
    let done = if matches!(action.as_str(), "schedule" | "now" | "queue") {
        if let Err(e) = require_publish_where_unreviewed(&state, &p.0, &post).await {
            let mut errors = FormErrors::new();
            errors.push("", e.message);
            return rerender(
                &state,
                &p,
                workspace,
                Some(post.id),
                &form,
                draft,
                tz,
                errors,
            )
            .await;
        }
        let outcomes = state.store.submit_post(&actor, post.id).await?;
        if action == "queue" {
            // Each variant that is ready (approved, no time yet) takes its channel's next free
            // slot; the queue refuses the rest (no queue, no slot, not approved), which keep
            // their status and are counted in the message.
            for o in outcomes
                .iter()
                .filter(|o| o.status == VariantStatus::Approved)
            {
                match state.store.add_to_queue(&actor, o.variant_id).await {
                    Ok(_)
                    | Err(ScheduleError::Gate(_))
                    | Err(ScheduleError::Store(StoreError::Conflict { .. })) => {}
                    Err(ScheduleError::Store(e)) => return Err(e.into()),
                }
            }
            "queued"
        } else {
            "submitted"
        }
    } else {
        "draft"
    };
    Ok(Redirect::to(&format!("/publish/posts/{}?done={done}", post.id)).into_response())
}

fn form_version(form: &FormData) -> i64 {
    form.get("version").parse().unwrap_or(0)
}

fn saved_fragment(
    p: &PagePrincipal,
    id: Option<PostId>,
    version: i64,
    error: String,
    now: DateTime<Utc>,
) -> Response {
    let page = page_for(p, "/publish/save");
    let saved_at = page.dt(now);
    render(&SavedFragment {
        page,
        post_id: id.map(|i| i.to_string()).unwrap_or_default(),
        version,
        saved_at,
        error,
    })
}

/// Show the composer again with what was sent and what is wrong.
#[allow(clippy::too_many_arguments)]
async fn rerender(
    state: &AppState,
    p: &PagePrincipal,
    workspace: WorkspaceId,
    post_id: Option<PostId>,
    form: &FormData,
    draft: Draft,
    tz: chrono_tz::Tz,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let places = drafting_places(state, &p.0).await?;
    let master = draft.master.clone();
    let view = composer_view(
        state,
        p,
        workspace,
        &places,
        post_id,
        form_version(form),
        form.get("title"),
        master.clone(),
        &|ch| match draft.channels.iter().find(|c| c.channel_id == ch.id) {
            Some(c) => ChannelState {
                selected: true,
                custom: c.text.is_some(),
                placement: c.placement.clone().unwrap_or_default(),
                content: Content {
                    text: c.text.clone().unwrap_or_else(|| master.text.clone()),
                    title: None,
                    link: c.link.clone().or_else(|| master.link.clone()),
                    first_comment: c
                        .first_comment
                        .clone()
                        .or_else(|| master.first_comment.clone()),
                    media: c.media.clone().unwrap_or_else(|| master.media.clone()),
                },
                status: String::new(),
            },
            None => ChannelState {
                selected: false,
                custom: false,
                placement: String::new(),
                content: master.clone(),
                status: String::new(),
            },
        },
        form.get("when"),
        tz.name().to_owned(),
        errors,
    )
    .await?;
    Ok(unprocessable(render(&view)))
}

/// Channels no workflow covers are scheduled on the person's say-so: that needs `posts:publish`.
async fn require_publish_where_unreviewed(
    state: &AppState,
    p: &Principal,
    post: &Post,
) -> Result<(), AppError> {
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    let mut covered = std::collections::HashMap::new();
    if crate::compose::needs_publisher(&state.store, p, post.workspace_id, &channels, &mut covered)
        .await?
    {
        return Err(AppError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            i18n::tr(lang(p), "composer-needs-publisher"),
        ));
    }
    Ok(())
}

async fn history(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let post = load_post(&state, &p.0, &raw).await?;
    let page =
        page_for(&p, &format!("/publish/posts/{}/history", post.id)).with_section(Section::Publish);
    let mut versions = state.store.post_versions(post.id).await?;
    versions.sort_by_key(|v| v.version);
    let users = state.store.list_users(None, 10_000).await?;
    let mut lines = Vec::new();
    let mut previous = String::new();
    for v in &versions {
        let text = &v.snapshot.content.text;
        lines.push(VersionLine {
            version: v.version,
            author: users
                .iter()
                .find(|u| u.id == v.author_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            at: page.dt(v.created_at),
            changes: diff_words(&previous, text),
            channels: v.snapshot.variants.len(),
        });
        previous = text.clone();
    }
    lines.reverse();
    Ok(render(&HistoryView {
        page,
        post_id: post.id.to_string(),
        title: post.title.clone(),
        current: post.version,
        versions: lines,
    }))
}

async fn restore(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let post = load_post(&state, &p.0, &raw).await?;
    let wanted: i64 = form.get("version").parse().map_err(|_| {
        AppError::from(InvalidInput::new("version", "invalid", "Choose a version."))
    })?;
    let version = state
        .store
        .post_versions(post.id)
        .await?
        .into_iter()
        .find(|v| v.version == wanted)
        .ok_or_else(|| AppError::not_found("version"))?;
    let snapshot = version.snapshot;
    let draft = Draft {
        workspace_id: post.workspace_id,
        master: snapshot.content.clone(),
        channels: snapshot
            .variants
            .iter()
            .map(|v| {
                let content = v.overrides.apply(&snapshot.content);
                let custom = !v.overrides.is_empty();
                ChannelDraft {
                    channel_id: v.channel_id,
                    placement: Some(v.placement.clone()),
                    text: custom.then(|| content.text.clone()),
                    title: None,
                    link: custom.then(|| content.link.clone().unwrap_or_default()),
                    first_comment: custom
                        .then(|| content.first_comment.clone().unwrap_or_default()),
                    media: custom.then(|| content.media.clone()),
                }
            })
            .collect(),
    };
    let composed = compose(&state.store, draft, state.store.now()).await?;
    state
        .store
        .update_post(
            &p.0.actor(),
            p.0.user.id,
            post.id,
            post.version,
            snapshot.title,
            composed.master,
            composed.variants,
        )
        .await?;
    Ok(Redirect::to(&format!("/publish/posts/{}?done=draft", post.id)).into_response())
}

async fn add_comment(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let post = load_post(&state, &p.0, &raw).await?;
    state
        .store
        .add_comment(&p.0.actor(), p.0.user.id, post.id, &form.get("body"))
        .await?;
    Ok(Redirect::to(&format!("/publish/posts/{}#comments", post.id)).into_response())
}

async fn assign(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let post = load_post(&state, &p.0, &raw).await?;
    let assignee = match form.get("user_id").as_str() {
        "" => None,
        raw => Some(
            uuid::Uuid::parse_str(raw)
                .map(owlery_domain::UserId)
                .map_err(|_| AppError::not_found("user"))?,
        ),
    };
    let notification = match assignee {
        Some(user) if user != p.0.user.id => {
            state.store.user(user).await?;
            Some(owlery_store::notifications::NewNotification {
                user_id: user,
                kind: "assigned".into(),
                params: serde_json::json!({ "title": post.title, "by": p.0.user.name }),
                link: Some(format!("/posts/{}", post.id)),
                email: true,
            })
        }
        _ => None,
    };
    state
        .store
        .assign_post(&p.0.actor(), post.id, assignee, notification)
        .await?;
    Ok(Redirect::to(&format!("/publish/posts/{}", post.id)).into_response())
}

#[derive(Debug, Deserialize)]
struct LinkParams {
    link: Option<String>,
}

/// `GET /publish/link-preview?link=`: the linked page's title, description and site, fetched
/// with the same safety rules as the API (public addresses only, 5 s, 1 MiB).
async fn link_preview(
    p: PagePrincipal,
    Query(params): Query<LinkParams>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::PostsDraft)?;
    let page = page_for(&p, "/publish/link-preview");
    let url = params.link.unwrap_or_default().trim().to_owned();
    let mut view = LinkPreviewFragment {
        page,
        title: String::new(),
        description: String::new(),
        site: String::new(),
        url: String::new(),
        error: String::new(),
    };
    if !url.is_empty() {
        match crate::link_preview::Fetcher::new().fetch(&url).await {
            Ok(preview) => {
                view.title = preview.title.unwrap_or_default();
                view.description = preview.description.unwrap_or_default();
                view.site = preview.site_name.unwrap_or_default();
                view.url = preview.url;
            }
            Err(e) => view.error = e.to_string(),
        }
    }
    Ok(render(&view))
}
