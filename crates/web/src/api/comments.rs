//! `/posts/{id}/comments` (the team's discussion of a post, with @mentions) and
//! `/posts/{id}/assignee` (who is working on it).
//!
//! Permission: reading and writing comments needs what reading the post needs (`posts:draft` or
//! `posts:approve` on its workspace or channels): reviewers discuss too. Assigning needs
//! `posts:draft`, and the assignee must be able to read the post. Mentions are resolved by the
//! store (`@name`, `@name@example.com`, `@"Full Name"`); each person mentioned is notified in the
//! same transaction as the comment, so a comment may only mention people who can read the post.

use axum::extract::State;
use chrono::{DateTime, Utc};
use owlery_domain::{Access, ChannelId, Permission, PostId, Target, UserId, user::UserStatus};
use owlery_store::{
    StoreError,
    comments::{Comment, parse_mentions, resolve_mentions},
    notifications::NewNotification,
    posts::Post,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Id, Json,
    list::list_of,
    posts::{PostOut, load_readable, may},
};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOut {
    pub id: Uuid,
    pub post_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    pub body: String,
    /// The people the comment mentions (each was notified).
    pub mentions: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<&Comment> for CommentOut {
    fn from(c: &Comment) -> Self {
        CommentOut {
            id: c.id.0,
            post_id: c.post_id.0,
            author_id: c.author_id.0,
            author_name: c.author_name.clone(),
            body: c.body.clone(),
            mentions: c.mentions.iter().map(|u| u.0).collect(),
            created_at: c.created_at,
        }
    }
}

list_of!(CommentList, CommentOut);

/// Whether someone with `access` may read `post`: the rule of `load_readable`.
fn can_read(access: &Access, post: &Post) -> bool {
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    [Permission::PostsDraft, Permission::PostsApprove]
        .into_iter()
        .any(|p| {
            access.can(p, Target::Workspace(post.workspace_id))
                || (!channels.is_empty()
                    && channels.iter().all(|c| {
                        access.can(
                            p,
                            Target::Channel {
                                workspace: post.workspace_id,
                                channel: *c,
                            },
                        )
                    }))
        })
}

/// Everyone a comment mentions must be able to read the post: a mention notifies them with the
/// post's title and an excerpt, which someone without access must not see. Resolved the way the
/// store resolves them (active people, by e-mail, its local part, or full name).
async fn check_mentions(state: &AppState, post: &Post, body: &str) -> ApiResult<()> {
    const PAGE: i64 = 500;
    let tokens = parse_mentions(body);
    if tokens.is_empty() {
        return Ok(());
    }
    let mut people: Vec<(UserId, String, String)> = Vec::new();
    let mut after = None;
    loop {
        let page = state.store.list_users(after, PAGE).await?;
        let full = page.len() as i64 == PAGE;
        after = page.last().map(|u| u.id);
        people.extend(
            page.into_iter()
                .filter(|u| u.status != UserStatus::Disabled)
                .map(|u| (u.id, u.email, u.name)),
        );
        if !full {
            break;
        }
    }
    for user in resolve_mentions(&tokens, &people) {
        let access = state.store.access_of(user).await?;
        if !can_read(&access, post) {
            let name = people
                .iter()
                .find(|(id, ..)| *id == user)
                .map(|(_, _, name)| name.clone())
                .unwrap_or_default();
            return Err(AppError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "mention_cannot_read",
                format!(
                    "{name} cannot see this post, so they cannot be mentioned in its comments; \
                     remove the mention or ask an admin to give them access."
                ),
            )
            .with_field("body"));
        }
    }
    Ok(())
}

/// A post's comments, oldest first.
#[utoipa::path(
    get,
    path = "/posts/{id}/comments",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The post's id")),
    responses(
        (status = 200, description = "Comments", body = CommentList),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft or posts:approve on the post's workspace or channels", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_comments(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
) -> ApiResult<Json<CommentList>> {
    load_readable(&state, &principal, id).await?;
    let comments = state.store.comments(id).await?;
    Ok(Json(CommentList::whole(
        comments.iter().map(CommentOut::from).collect(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// 1–5,000 characters. `@ana`, `@ana@example.com` or `@"Ana Author"` mention a person, who is
    /// notified (at most 20 per comment; a name that fits several people mentions nobody). Only
    /// people who can read the post may be mentioned.
    pub body: String,
}

/// Comment on a post.
#[utoipa::path(
    post,
    path = "/posts/{id}/comments",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The post's id")),
    request_body = NewComment,
    responses(
        (status = 201, description = "The comment, with the people it mentions", body = CommentOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft or posts:approve on the post's workspace or channels", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "An empty or too long comment, or a mention of someone who cannot read the post (`mention_cannot_read`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_comment(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
    Json(req): Json<NewComment>,
) -> ApiResult<(axum::http::StatusCode, Json<CommentOut>)> {
    let post = load_readable(&state, &principal, id).await?;
    check_mentions(&state, &post, &req.body).await?;
    let comment = state
        .store
        .add_comment(&principal.actor(), principal.user.id, id, &req.body)
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(CommentOut::from(&comment)),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAssignee {
    /// The person to assign; `null` leaves the post unassigned.
    pub user_id: Option<Uuid>,
}

/// Assign a post to someone who can read it, or to nobody. The assignee is notified (unless they
/// assign themselves).
#[utoipa::path(
    put,
    path = "/posts/{id}/assignee",
    tag = "posts",
    params(("id" = Uuid, Path, description = "The post's id")),
    request_body = SetAssignee,
    responses(
        (status = 200, description = "The post", body = PostOut),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the post's workspace or channels", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "No such active person, or one who cannot read this post", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_assignee(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<PostId>,
    Json(req): Json<SetAssignee>,
) -> ApiResult<Json<PostOut>> {
    let post = load_readable(&state, &principal, id).await?;
    let channels: Vec<ChannelId> = post.variants.iter().map(|v| v.channel_id).collect();
    if !may(
        &principal,
        Permission::PostsDraft,
        post.workspace_id,
        &channels,
    ) {
        return Err(AppError::forbidden());
    }
    let assignee = req.user_id.map(UserId);
    let notification = match assignee {
        None => None,
        Some(user) => {
            let cannot = || {
                AppError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_assignee",
                    "Assign the post to an active person who can read it (posts:draft or \
                     posts:approve on its workspace or channels).",
                )
                .with_field("user_id")
            };
            let person = match state.store.user(user).await {
                Ok(p) if p.status != UserStatus::Disabled => p,
                Ok(_) | Err(StoreError::NotFound(_)) => return Err(cannot()),
                Err(e) => return Err(e.into()),
            };
            let readable = can_read(&state.store.access_of(user).await?, &post);
            if !readable {
                return Err(cannot());
            }
            (person.id != principal.user.id).then(|| NewNotification {
                user_id: person.id,
                kind: "assigned".into(),
                params: serde_json::json!({
                    "title": post.title,
                    "by": principal.user.name,
                }),
                link: Some(format!("/posts/{id}")),
                email: true,
            })
        }
    };
    state
        .store
        .assign_post(&principal.actor(), id, assignee, notification)
        .await?;
    let post = state
        .store
        .post(id)
        .await?
        .ok_or_else(|| AppError::not_found("post"))?;
    Ok(Json(PostOut::from(&post)))
}
