//! `/teams`: groups of people, used to share work (assignment, approvals). Anyone who works in
//! the organisation (`org:read`) sees them; `teams:manage` creates them and changes members.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{Permission, Target, TeamId, UserId, user::DisplayName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Ids, Json, list::list_of};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, ErrorBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    /// The members' user ids, in the order they were added.
    pub member_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<owlery_store::org::Team> for Team {
    fn from(t: owlery_store::org::Team) -> Self {
        Team {
            id: t.id.0,
            name: t.name,
            member_ids: t.member_ids.into_iter().map(|u| u.0).collect(),
            created_at: t.created_at,
        }
    }
}

list_of!(TeamList, Team);

/// Every team, by name.
#[utoipa::path(
    get,
    path = "/teams",
    tag = "teams",
    responses(
        (status = 200, description = "Every team", body = TeamList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_teams(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<TeamList>> {
    principal.require_anywhere(Permission::OrgRead)?;
    let teams = state.store.list_teams().await?;
    Ok(Json(TeamList::whole(
        teams.into_iter().map(Team::from).collect(),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    #[schema(example = "Customer care")]
    pub name: String,
}

/// Create a team (without members).
#[utoipa::path(
    post,
    path = "/teams",
    tag = "teams",
    request_body = CreateTeam,
    responses(
        (status = 201, description = "Created", body = Team),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs teams:manage", body = ErrorBody),
        (status = 409, description = "A team with this name exists", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_team(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<CreateTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    principal.require(Permission::TeamsManage, Target::Organisation)?;
    let name = DisplayName::parse("name", &body.name)?;
    let team = state
        .store
        .create_team(&principal.actor(), principal.user.org_id, &name)
        .await?;
    Ok((StatusCode::CREATED, Json(team.into())))
}

/// Add a person to a team (nothing changes if they are already in it).
#[utoipa::path(
    put,
    path = "/teams/{id}/members/{user_id}",
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "The team's id"),
        ("user_id" = Uuid, Path, description = "The person's id"),
    ),
    responses(
        (status = 204, description = "They are a member"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs teams:manage", body = ErrorBody),
        (status = 404, description = "No such team or person", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_member(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Ids(team, user): Ids<TeamId, UserId>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::TeamsManage, Target::Organisation)?;
    state
        .store
        .set_team_member(&principal.actor(), team, user, true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a person from a team (nothing changes if they are not in it).
#[utoipa::path(
    delete,
    path = "/teams/{id}/members/{user_id}",
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "The team's id"),
        ("user_id" = Uuid, Path, description = "The person's id"),
    ),
    responses(
        (status = 204, description = "They are not a member"),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs teams:manage", body = ErrorBody),
        (status = 404, description = "No such team or person", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_member(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Ids(team, user): Ids<TeamId, UserId>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::TeamsManage, Target::Organisation)?;
    state
        .store
        .set_team_member(&principal.actor(), team, user, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
