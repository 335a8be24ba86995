//! `/posts`: a post is one master content fanned out to channels; each channel gets a variant
//! that follows the master except where it says otherwise, validated against its network.
//!
//! Permission: writing a post needs `posts:draft` on its workspace (or on every channel it goes
//! to); scheduling needs `posts:publish` on the variant's channel — unless an approval workflow
//! covers the channel, in which case its approvers decide. The approval gate itself is in the
//! store, inside the transaction that schedules: nothing here can schedule around it.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    ChannelId, InvalidInput, MediaId, Permission, PostId, Target, VariantId, WorkspaceId,
    post::{Content, MediaRef},
    publishing::utm::{Utm, tag_links, tag_url},
    user::parse_time_zone,
};
use owlery_store::posts::{NewPost, Post, Variant};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    Id, Json, Query,
    extract::parse_id,
    list::{cursor, decode_cursor, limit, list_of},
};
use crate::{
    auth::{ApiPrincipal, Principal},
    compose::{ChannelDraft, Draft, compose},
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

/// A media file attached to a post, with the alt text used in this post.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaItem {
    pub media_id: Uuid,
    /// Describes the image for people who cannot see it.
    #[serde(default)]
    pub alt: String,
}

impl From<&MediaRef> for MediaItem {
    fn from(m: &MediaRef) -> Self {
        MediaItem {
            media_id: m.media_id.0,
            alt: m.alt.clone(),
        }
    }
}

fn media_refs(items: Vec<MediaItem>) -> Vec<MediaRef> {
    items
        .into_iter()
        .map(|m| MediaRef {
            media_id: MediaId(m.media_id),
            alt: m.alt,
        })
        .collect()
}

/// One channel's version of the post. Fields left out follow the master; an empty string removes
/// the master's link, title or first comment in this variant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    pub channel_id: Uuid,
    /// The placement on the channel's network (`feed`, `story`, `reel` …; see `/network-specs`).
    /// Default: the network's first placement.
    pub placement: Option<String>,
    pub text: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub first_comment: Option<String>,
    pub media: Option<Vec<MediaItem>>,
    /// Campaign parameters added to every http(s) link in this variant's text and to its link
    /// (before validation, so the lengths counted are the tagged ones).
    pub utm: Option<UtmInput>,
}

/// UTM parameters (`utm_source`, `utm_medium`, `utm_campaign` required; at most 200 characters
/// each). Existing `utm_*` values in a link are replaced; other parameters are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UtmInput {
    #[schema(example = "bluesky")]
    pub source: String,
    #[schema(example = "social")]
    pub medium: String,
    #[schema(example = "autumn-menu")]
    pub campaign: String,
    pub term: Option<String>,
    pub content: Option<String>,
}

/// The content and channels of a post, as sent to create or replace it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    /// An internal title for lists and the calendar (never published).
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    /// A title for networks that have one (YouTube, Pinterest).
    pub post_title: Option<String>,
    pub link: Option<String>,
    /// Posted as the first reply or comment right after the post.
    pub first_comment: Option<String>,
    #[serde(default)]
    pub media: Vec<MediaItem>,
    /// Channels that take the master as it is.
    #[serde(default)]
    pub channel_ids: Vec<Uuid>,
    /// Channels with their own placement or content (a channel may appear here or in
    /// `channel_ids`, or both).
    #[serde(default)]
    pub variants: Vec<VariantInput>,
}

impl PostBody {
    fn into_draft(self, workspace: WorkspaceId) -> ApiResult<Draft> {
        let master = Content {
            text: self.text,
            title: self.post_title,
            link: self.link,
            first_comment: self.first_comment,
            media: media_refs(self.media),
        };
        let mut channels: Vec<ChannelDraft> = self
            .channel_ids
            .into_iter()
            .map(|id| ChannelDraft {
                channel_id: ChannelId(id),
                ..ChannelDraft::default()
            })
            .collect();
        for v in self.variants {
            let (text, link) = match &v.utm {
                None => (v.text, v.link),
                Some(u) => {
                    let utm = Utm {
                        source: u.source.clone(),
                        medium: u.medium.clone(),
                        campaign: u.campaign.clone(),
                        term: u.term.clone(),
                        content: u.content.clone(),
                    };
                    utm.validate()?;
                    let text = tag_links(v.text.as_deref().unwrap_or(&master.text), &utm);
                    let link = match v.link.as_deref().or(master.link.as_deref()) {
                        Some(l) if !l.trim().is_empty() => Some(tag_url(l, &utm)?),
                        _ => v.link,
                    };
                    (Some(text), link)
                }
            };
            let draft = ChannelDraft {
                channel_id: ChannelId(v.channel_id),
                placement: v.placement,
                text,
                title: v.title,
                link,
                first_comment: v.first_comment,
                media: v.media.map(media_refs),
            };
            match channels
                .iter_mut()
                .find(|c| c.channel_id == draft.channel_id)
            {
                Some(existing) => *existing = draft,
                None => channels.push(draft),
            }
        }
        Ok(Draft {
            workspace_id: workspace,
            master,
            channels,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePost {
    pub workspace_id: Uuid,
    #[serde(flatten)]
    pub body: PostBody,
    /// When to publish (RFC 3339). `null` or absent: now. For a draft, the intended time.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The IANA time zone the time was chosen in (kept for rescheduling across DST); default:
    /// the caller's.
    pub time_zone: Option<String>,
    /// Keep it as a draft: nothing is submitted or scheduled.
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePost {
    /// The `version` this edit starts from; a newer version on the server is a 409 conflict.
    pub version: i64,
    #[serde(flatten)]
    pub body: PostBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostOut {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub author_id: Uuid,
    pub assignee_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub title: String,
    pub text: String,
    pub post_title: Option<String>,
    pub link: Option<String>,
    pub first_comment: Option<String>,
    pub media: Vec<MediaItem>,
    /// Increases with every saved edit; send it back with the next edit.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub variants: Vec<VariantOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VariantOut {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub placement: String,
    /// `draft`, `in_review`, `changes_requested`, `rejected`, `approved`, `scheduled`, `paused`,
    /// `publishing`, `published`, `failed`, `unconfirmed`, `cancelled`.
    #[schema(example = "scheduled")]
    pub status: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub time_zone: String,
    /// The variant's effective content (the master with its changes).
    pub text: String,
    pub post_title: Option<String>,
    pub link: Option<String>,
    pub first_comment: Option<String>,
    pub media: Vec<MediaItem>,
    /// The fields this variant changes from the master.
    pub changed_fields: Vec<String>,
    /// What validation found against the network's rules; errors block scheduling.
    #[schema(value_type = Vec<Object>)]
    pub findings: serde_json::Value,
    pub has_errors: bool,
    /// The spec file version the findings come from.
    pub spec_version: String,
    pub review_id: Option<Uuid>,
    /// The post's id on the network, once published.
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    /// Why publishing failed, or why it waits, in words a person understands.
    pub error: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// How late it went out (seconds after its time), when it was late.
    pub late_by_s: Option<i64>,
    /// Why a `paused` variant waits: `pause` (a publishing pause) or `late` (held by the late
    /// policy).
    #[schema(value_type = Option<String>, example = "pause")]
    pub held_by: Option<owlery_domain::publishing::engine::HeldBy>,
}

impl VariantOut {
    fn of(v: &Variant, master: &Content) -> VariantOut {
        let content = v.overrides.apply(master);
        VariantOut {
            id: v.id.0,
            channel_id: v.channel_id.0,
            placement: v.placement.clone(),
            status: v.status.code().to_owned(),
            scheduled_at: v.scheduled_at,
            time_zone: v.schedule_tz.clone(),
            text: content.text,
            post_title: content.title,
            link: content.link,
            first_comment: content.first_comment,
            media: content.media.iter().map(MediaItem::from).collect(),
            changed_fields: v
                .overrides
                .changed_fields()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            findings: v.findings.clone(),
            has_errors: v.has_errors,
            spec_version: v.spec_version.clone(),
            review_id: v.review_id,
            remote_id: v.remote_id.clone(),
            remote_url: v.remote_url.clone(),
            error: v.error.clone(),
            published_at: v.published_at,
            late_by_s: v.late_by_s,
            held_by: v.held_by,
        }
    }
}

impl From<&Post> for PostOut {
    fn from(p: &Post) -> Self {
        PostOut {
            id: p.id.0,
            workspace_id: p.workspace_id.0,
            author_id: p.author_id.0,
            assignee_id: p.assignee_id.map(|u| u.0),
            campaign_id: p.campaign_id.map(|c| c.0),
            title: p.title.clone(),
            text: p.content.text.clone(),
            post_title: p.content.title.clone(),
            link: p.content.link.clone(),
            first_comment: p.content.first_comment.clone(),
            media: p.content.media.iter().map(MediaItem::from).collect(),
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
            variants: p
                .variants
                .iter()
                .map(|v| VariantOut::of(v, &p.content))
                .collect(),
        }
    }
}

list_of!(PostList, PostOut);

/// May `principal` do `permission` to a post in `workspace` going to `channels`: on the
/// workspace, or on every one of the channels.
pub(crate) fn may(
    principal: &Principal,
    permission: Permission,
    workspace: WorkspaceId,
    channels: &[ChannelId],
) -> bool {
    principal
        .access
        .can(permission, Target::Workspace(workspace))
        || (!channels.is_empty()
            && channels.iter().all(|c| {
                principal.access.can(
                    permission,
                    Target::Channel {
                        workspace,
                        channel: *c,
                    },
                )
            }))
}

fn require_post(principal: &Principal, permission: Permission, post: &Post) -> ApiResult<()> {
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    if may(principal, permission, post.workspace_id, &channels) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A post the caller may read: a writer (`posts:draft`) or an approver (`posts:approve`) of its
/// workspace or of all its channels.
pub(crate) async fn load_readable(
    state: &AppState,
    principal: &Principal,
    id: PostId,
) -> ApiResult<Post> {
    let post = state
        .store
        .post(id)
        .await?
        .ok_or_else(|| AppError::not_found("post"))?;
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    if !may(
        principal,
        Permission::PostsDraft,
        post.workspace_id,
        &channels,
    ) && !may(
        principal,
        Permission::PostsApprove,
        post.workspace_id,
        &channels,
    ) {
        return Err(AppError::forbidden());
    }
    Ok(post)
}

/// The caller's time zone, or the one they chose.
fn time_zone(principal: &Principal, chosen: Option<&str>) -> ApiResult<String> {
    match chosen.map(str::trim).filter(|z| !z.is_empty()) {
        Some(z) => Ok(parse_time_zone(z)?.name().to_owned()),
        None => Ok(principal.user.time_zone.clone()),
    }
}

/// A time to publish at: not in the past (a minute's slack for clocks and typing).
pub(crate) fn check_future(at: DateTime<Utc>, now: DateTime<Utc>) -> ApiResult<()> {
    if at < now - Duration::minutes(1) {
        return Err(InvalidInput::new(
            "scheduled_at",
            "in_the_past",
            format!("{at} is in the past; choose a later time, or leave it out to publish now."),
        )
        .into());
    }
    Ok(())
}

/// Before submitting: a variant that no approval workflow covers is scheduled on the caller's
/// say-so, which needs `posts:publish` on its channel.
async fn require_publish_where_unreviewed(
    state: &AppState,
    principal: &Principal,
    post: &Post,
) -> ApiResult<()> {
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    let mut covered = std::collections::HashMap::new();
    if crate::compose::needs_publisher(
        &state.store,
        principal,
        post.workspace_id,
        &channels,
        &mut covered,
    )
    .await?
    {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You may draft for this channel but not publish to it, and no approval workflow \
             covers it: save the post as a draft and ask a publisher.",
        )
        .with_field("channel_ids"));
    }
    Ok(())
}

/// Write a post and, unless it is a draft, submit it: variants under an approval workflow go to
/// review; the others are scheduled at `scheduled_at` (now when absent).
#[utoipa::path(
    post,
    path = "/posts",
    tag = "posts",
    request_body = CreatePost,
    responses(
        (status = 201, description = "The post with each variant's status and findings", body = PostOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace or its channels (and posts:publish to schedule without review)", body = ErrorBody),
        (status = 422, description = "A field is not valid: unknown channel or media, a channel of another workspace, a time in the past", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_post(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(req): Json<CreatePost>,
) -> ApiResult<(StatusCode, Json<PostOut>)> {
    let workspace = WorkspaceId(req.workspace_id);
    let title = req.body.title.clone();
    let draft = req.body.into_draft(workspace)?;
    let channels: Vec<ChannelId> = draft.channels.iter().map(|c| c.channel_id).collect();
    if !may(&principal, Permission::PostsDraft, workspace, &channels) {
        return Err(AppError::forbidden());
    }
    let now = state.store.now();
    let tz = time_zone(&principal, req.time_zone.as_deref())?;
    let scheduled_at = match (req.scheduled_at, req.draft) {
        (Some(at), _) => {
            check_future(at, now)?;
            Some(at)
        }
        (None, false) => Some(now),
        (None, true) => None,
    };
    let composed = compose(&state.store, draft, now).await?;
    let new = NewPost {
        workspace_id: workspace,
        title,
        content: composed.master,
        variants: composed.variants,
        campaign_id: None,
        scheduled_at,
        schedule_tz: tz,
    };
    let actor = principal.actor();
    let post = state
        .store
        .create_post(&actor, principal.user.id, new)
        .await?;
    if !req.draft {
        require_publish_where_unreviewed(&state, &principal, &post).await?;
        state.store.submit_post(&actor, post.id).await?;
    }
    let post = state
        .store
        .post(post.id)
        .await?
        .ok_or_else(|| AppError::not_found("post"))?;
    crate::media::prepare_renditions(&state, &post);
    Ok((StatusCode::CREATED, Json(PostOut::from(&post))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the posts of this workspace.
    pub workspace_id: Option<String>,
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// Posts the caller may read, most recently changed first.
#[utoipa::path(
    get,
    path = "/posts",
    tag = "posts",
    params(ListParams),
    responses(
        (status = 200, description = "Posts with their variants", body = PostList),
        (status = 400, description = "Bad query parameter or cursor", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft somewhere", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_posts(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<PostList>> {
    principal.require_anywhere(Permission::PostsDraft)?;
    let limit = limit(params.limit)?;
    let before = params
        .cursor
        .as_deref()
        .map(|raw| {
            decode_cursor("posts", raw).and_then(|pos| {
                DateTime::parse_from_rfc3339(&pos)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| super::list::invalid_cursor())
            })
        })
        .transpose()?;
    let only = params
        .workspace_id
        .as_deref()
        .map(|raw| parse_id::<WorkspaceId>("workspace_id", raw))
        .transpose()?;
    let workspaces: Vec<WorkspaceId> = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .map(|w| w.id)
        .filter(|w| only.is_none_or(|o| o == *w))
        .collect();
    let posts = state.store.posts(&workspaces, before, limit + 1).await?;
    let mut items: Vec<PostOut> = Vec::new();
    let mut next_cursor = None;
    for p in &posts {
        if items.len() as i64 == limit {
            next_cursor = items
                .last()
                .map(|last: &PostOut| cursor("posts", last.updated_at.to_rfc3339()));
            break;
        }
        let channels: Vec<ChannelId> = p.variants.iter().map(|v| v.channel_id).collect();
        if may(
            &principal,
            Permission::PostsDraft,
            p.workspace_id,
            &channels,
        ) {
            items.push(PostOut::from(p));
        }
    }
    Ok(Json(PostList { items, next_cursor }))
}

/// A post with each variant's status, findings, and (once published) remote id and URL.
#[utoipa::path(
    get,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = PostOut),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft (or posts:approve, to read) on the post's workspace or channels", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_post(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
) -> ApiResult<Json<PostOut>> {
    let post = load_readable(&state, &principal, id).await?;
    Ok(Json(PostOut::from(&post)))
}

/// Replace a post's content and channels. Variants whose content changes go back to review where
/// a workflow requires it ("editing an approved post sends it back for approval").
#[utoipa::path(
    put,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The post's id")),
    request_body = UpdatePost,
    responses(
        (status = 200, description = "The post as saved", body = PostOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the post's workspace or channels", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 409, description = "Someone saved a newer version", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_post(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
    Json(req): Json<UpdatePost>,
) -> ApiResult<Json<PostOut>> {
    let before = load_readable(&state, &principal, id).await?;
    require_post(&principal, Permission::PostsDraft, &before)?;
    let title = req.body.title.clone();
    let draft = req.body.into_draft(before.workspace_id)?;
    let channels: Vec<ChannelId> = draft.channels.iter().map(|c| c.channel_id).collect();
    if !may(
        &principal,
        Permission::PostsDraft,
        before.workspace_id,
        &channels,
    ) {
        return Err(AppError::forbidden());
    }
    let composed = compose(&state.store, draft, state.store.now()).await?;
    let post = state
        .store
        .update_post(
            &principal.actor(),
            principal.user.id,
            id,
            req.version,
            title,
            composed.master,
            composed.variants,
        )
        .await?;
    crate::media::prepare_renditions(&state, &post);
    Ok(Json(PostOut::from(&post)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub title: String,
    pub text: String,
    /// The channels of this version.
    pub channel_ids: Vec<Uuid>,
}

list_of!(VersionList, VersionOut);

/// Every saved version of a post, newest first.
#[utoipa::path(
    get,
    path = "/posts/{id}/versions",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The post's id")),
    responses(
        (status = 200, description = "Versions", body = VersionList),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the post's workspace or channels", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_versions(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
) -> ApiResult<Json<VersionList>> {
    let post = load_readable(&state, &principal, id).await?;
    require_post(&principal, Permission::PostsDraft, &post)?;
    let mut versions = state.store.post_versions(id).await?;
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    Ok(Json(VersionList::whole(
        versions
            .into_iter()
            .map(|v| VersionOut {
                version: v.version,
                author_id: v.author_id.0,
                created_at: v.created_at,
                title: v.snapshot.title,
                text: v.snapshot.content.text,
                channel_ids: v.snapshot.variants.iter().map(|x| x.channel_id.0).collect(),
            })
            .collect(),
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmitOutcome {
    pub variant_id: Uuid,
    pub status: String,
    /// Why the variant did not move on: `approval_required`, `validation_failed` …
    pub blocked: Option<String>,
}

list_of!(SubmitResult, SubmitOutcome);

/// Submit a post: variants under an approval workflow go to review; the others are scheduled at
/// their time (or approved, without one) if they are valid.
#[utoipa::path(
    post,
    path = "/posts/{id}/submit",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The post's id")),
    responses(
        (status = 200, description = "What happened to each variant", body = SubmitResult),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft, and posts:publish for channels that no workflow covers", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit_post(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
) -> ApiResult<Json<SubmitResult>> {
    let post = load_readable(&state, &principal, id).await?;
    require_post(&principal, Permission::PostsDraft, &post)?;
    require_publish_where_unreviewed(&state, &principal, &post).await?;
    let outcomes = state.store.submit_post(&principal.actor(), id).await?;
    Ok(Json(SubmitResult::whole(
        outcomes
            .into_iter()
            .map(|o| SubmitOutcome {
                variant_id: o.variant_id.0,
                status: o.status.code().to_owned(),
                blocked: o.blocked.map(str::to_owned),
            })
            .collect(),
    )))
}

/// The post and variant for a variant id, if the caller may read the post.
pub(crate) async fn load_variant(
    state: &AppState,
    principal: &Principal,
    id: VariantId,
) -> ApiResult<(Post, Variant)> {
    let post = state
        .store
        .post_of_variant(id)
        .await?
        .ok_or_else(|| AppError::not_found("variant"))?;
    let post = load_readable(state, principal, post.id).await?;
    let variant = post
        .variant(id)
        .cloned()
        .ok_or_else(|| AppError::not_found("variant"))?;
    Ok((post, variant))
}
