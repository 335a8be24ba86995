//! `/roles`: the built-in roles and the permissions each carries (the matrix of
//! [`owlery_domain::Role::permissions`]), for clients that show or choose roles.

use axum::extract::State;
use owlery_domain::{Permission, Role};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Json, list::list_of};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, ErrorBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleInfo {
    /// The role's code, as used in grants.
    #[schema(example = "publisher")]
    pub code: String,
    /// The permission codes the role carries, such as `posts:publish`. Organisation-level ones
    /// (`users:*`, `roles:grant`, `teams:manage`, `org:manage`, `audit:read`) apply only when the
    /// role is granted for the whole organisation.
    pub permissions: Vec<String>,
    /// Whether the caller may grant this role.
    pub grantable: bool,
}

list_of!(RoleList, RoleInfo);

/// Every role and its permissions.
#[utoipa::path(
    get,
    path = "/roles",
    tag = "roles",
    responses(
        (status = 200, description = "Every role", body = RoleList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_roles(
    ApiPrincipal(principal): ApiPrincipal,
    State(_state): State<AppState>,
) -> ApiResult<Json<RoleList>> {
    principal.require_anywhere(Permission::OrgRead)?;
    let items = Role::ALL
        .into_iter()
        .map(|role| RoleInfo {
            code: role.code().to_owned(),
            permissions: role
                .permissions()
                .iter()
                .map(|p| p.code().to_owned())
                .collect(),
            grantable: role.grantable_by(&principal.access),
        })
        .collect();
    Ok(Json(RoleList::whole(items)))
}
