//! `/workspaces`: groups of channels (a brand, a region). People with an organisation-wide role
//! see every workspace; others see the workspaces they hold a role in.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{Permission, Target, user::DisplayName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Json, list::list_of};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, ErrorBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<owlery_store::org::Workspace> for Workspace {
    fn from(w: owlery_store::org::Workspace) -> Self {
        Workspace {
            id: w.id.0,
            name: w.name,
            created_at: w.created_at,
        }
    }
}

list_of!(WorkspaceList, Workspace);

/// The workspaces the caller can see, by name.
#[utoipa::path(
    get,
    path = "/workspaces",
    tag = "workspaces",
    responses(
        (status = 200, description = "Workspaces", body = WorkspaceList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_workspaces(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<WorkspaceList>> {
    principal.require_anywhere(Permission::OrgRead)?;
    let visible = principal.access.visible_workspaces();
    let items = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|w| visible.as_ref().is_none_or(|v| v.contains(&w.id)))
        .map(Workspace::from)
        .collect();
    Ok(Json(WorkspaceList::whole(items)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspace {
    #[schema(example = "EMEA")]
    pub name: String,
}

/// Create a workspace.
#[utoipa::path(
    post,
    path = "/workspaces",
    tag = "workspaces",
    request_body = CreateWorkspace,
    responses(
        (status = 201, description = "Created", body = Workspace),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs workspaces:manage for the organisation", body = ErrorBody),
        (status = 409, description = "A workspace with this name exists", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_workspace(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<CreateWorkspace>,
) -> ApiResult<(StatusCode, Json<Workspace>)> {
    principal.require(Permission::WorkspacesManage, Target::Organisation)?;
    let name = DisplayName::parse("name", &body.name)?;
    let ws = state
        .store
        .create_workspace(&principal.actor(), principal.user.org_id, &name)
        .await?;
    Ok((StatusCode::CREATED, Json(ws.into())))
}
