//! `/users`: the people of the organisation. Reading needs `users:read`; creating, disabling and
//! renaming need `users:manage` (and granting the first role needs the right to grant it).

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    Permission, Role, Scope, Target, UserId,
    user::{DisplayName, Email, UserStatus, check_password, parse_time_zone},
};
use owlery_store::{
    sessions::LinkPurpose,
    users::{GrantRecord, NewUser},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    Id, Json, Query,
    grants::{Grant, ScopeBody, parse_role, resolve_scope},
    list::{self, list_of},
};
use crate::{
    auth::{ApiPrincipal, password},
    error::{ApiResult, AppError, ErrorBody},
    i18n::Lang,
    state::AppState,
};

const CURSOR_KIND: &str = "users";

/// Whether a person may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created; has not yet set a password through their setup link.
    Invited,
    Active,
    Disabled,
}

impl From<UserStatus> for AccountStatus {
    fn from(s: UserStatus) -> Self {
        match s {
            UserStatus::Invited => AccountStatus::Invited,
            UserStatus::Active => AccountStatus::Active,
            UserStatus::Disabled => AccountStatus::Disabled,
        }
    }
}

/// A person in the organisation, with the roles granted to them.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub status: AccountStatus,
    /// The language of the interface and of e-mails (`en`, `bg`).
    pub language: String,
    /// An IANA time zone such as `Europe/Sofia`.
    pub time_zone: String,
    /// Whether two-factor sign-in is on.
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_signin_at: Option<DateTime<Utc>>,
    pub grants: Vec<Grant>,
}

impl User {
    pub fn new(u: owlery_store::users::User, grants: &[GrantRecord]) -> Self {
        User {
            id: u.id.0,
            email: u.email,
            name: u.name,
            status: u.status.into(),
            language: u.language,
            time_zone: u.time_zone,
            totp_enabled: u.totp_enabled,
            created_at: u.created_at,
            last_signin_at: u.last_signin_at,
            grants: grants
                .iter()
                .filter(|g| g.user_id == u.id)
                .map(Grant::from)
                .collect(),
        }
    }
}

list_of!(UserList, User);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List people, oldest first.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(ListParams),
    responses(
        (status = 200, description = "A page of people", body = UserList),
        (status = 400, description = "Bad limit or cursor", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs users:read", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_users(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<UserList>> {
    principal.require(Permission::UsersRead, Target::Organisation)?;
    let limit = list::limit(params.limit)?;
    let after = match params.cursor.as_deref() {
        Some(c) => Some(
            UserId::parse(&list::decode_cursor(CURSOR_KIND, c)?)
                .ok_or_else(list::invalid_cursor)?,
        ),
        None => None,
    };
    let rows = state.store.list_users(after, limit + 1).await?;
    let (rows, next_cursor) = list::page(rows, limit, |u| list::cursor(CURSOR_KIND, u.id));
    let grants = state.store.all_grants().await?;
    Ok(Json(UserList {
        items: rows.into_iter().map(|u| User::new(u, &grants)).collect(),
        next_cursor,
    }))
}

/// One person.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    params(("id" = Uuid, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The person", body = User),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs users:read", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_user(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<UserId>,
) -> ApiResult<Json<User>> {
    principal.require(Permission::UsersRead, Target::Organisation)?;
    Ok(Json(load(&state, id).await?))
}

pub(super) async fn load(state: &AppState, id: UserId) -> ApiResult<User> {
    let user = state.store.user(id).await?;
    let grants = state.store.grants_of(id).await?;
    Ok(User::new(user, &grants))
}

/// A new person and their first role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(example = "olivia@example.com")]
    pub email: String,
    #[schema(example = "Olivia Ivanova")]
    pub name: String,
    /// The first role (see `GET /roles`). Only an Owner may make another Owner.
    #[schema(example = "publisher")]
    pub role: String,
    /// Where the role applies; the whole organisation when left out.
    pub scope: Option<ScopeBody>,
    /// A first password (12+ characters). Without one the person is invited: the response has a
    /// one-time `setup_url`, valid for 7 days, where they choose their own.
    pub password: Option<String>,
    /// `en` or `bg`; the organisation's default language when left out.
    pub language: Option<String>,
    /// An IANA time zone such as `Europe/Sofia`; the organisation's default when left out.
    pub time_zone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: User,
    /// The one-time link where an invited person sets their password. Shown once; send it to
    /// them. `null` when a password was given.
    #[schema(required = true)]
    pub setup_url: Option<String>,
}

/// Create a person with their first role.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = CreatedUser),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs users:manage and the right to grant the role", body = ErrorBody),
        (status = 409, description = "The e-mail address is taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_user(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    principal.require(Permission::UsersManage, Target::Organisation)?;
    let email = Email::parse(&body.email)?;
    let name = DisplayName::parse("name", &body.name)?;
    let role = parse_role(&body.role)?;
    let scope = resolve_scope(&state, body.scope.as_ref(), role).await?;
    if !role.grantable_by(&principal.access) {
        return Err(AppError::forbidden());
    }
    let org =
        state.store.organisation().await?.ok_or_else(|| {
            AppError::internal("an API caller exists but the organisation does not")
        })?;
    let language = match body.language.as_deref() {
        Some(raw) => Lang::parse(raw)
            .ok_or_else(|| {
                AppError::from(owlery_domain::InvalidInput::new(
                    "language",
                    "invalid_language",
                    format!(
                        "'{raw}' is not a language Owlery speaks; use one of: {}.",
                        Lang::ALL.map(Lang::code).join(", ")
                    ),
                ))
            })?
            .code()
            .to_owned(),
        None => org.default_language,
    };
    let time_zone = match body.time_zone.as_deref() {
        Some(raw) => parse_time_zone(raw)?.name().to_owned(),
        None => org.default_time_zone,
    };
    let password_hash = match body.password {
        Some(pw) => {
            check_password(&pw)?;
            Some(password::hash(pw).await?)
        }
        None => None,
    };
    let invited = password_hash.is_none();
    let actor = principal.actor();
    let user = state
        .store
        .create_user(
            &actor,
            principal.user.org_id,
            NewUser {
                email,
                name,
                password_hash,
                language,
                time_zone,
            },
            &[owlery_domain::Grant { role, scope }],
        )
        .await?;
    let setup_url = if invited {
        let secret = state
            .store
            .create_link(&actor, user.id, LinkPurpose::Setup, Duration::days(7))
            .await?;
        Some(state.config.link(&format!("/setup/{secret}")))
    } else {
        None
    };
    let grants = state.store.grants_of(user.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: User::new(user, &grants),
            setup_url,
        }),
    ))
}

/// The status a person can be put in through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusChange {
    /// Re-enable. Someone who never set a password goes back to `invited`.
    Active,
    /// Stop them signing in: their sessions end at once and their API tokens stop working.
    Disabled,
}

/// Changes to a person; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub status: Option<StatusChange>,
    pub name: Option<String>,
}

/// Disable, re-enable or rename a person.
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "users",
    params(("id" = Uuid, Path, description = "The person's id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The person as they are now", body = User),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs users:manage; only an Owner may disable an Owner", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "You cannot disable yourself", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_user(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Id(id): Id<UserId>,
    Json(body): Json<UpdateUser>,
) -> ApiResult<Json<User>> {
    principal.require(Permission::UsersManage, Target::Organisation)?;
    let name = body
        .name
        .as_deref()
        .map(|n| DisplayName::parse("name", n))
        .transpose()?;
    let current = state.store.credentials(id).await?;
    let actor = principal.actor();
    if let Some(change) = body.status {
        let target = match change {
            StatusChange::Disabled => UserStatus::Disabled,
            StatusChange::Active if current.password_hash.is_none() => UserStatus::Invited,
            StatusChange::Active => UserStatus::Active,
        };
        if target == UserStatus::Disabled && id == principal.user.id {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                "cannot_disable_self",
                "You cannot disable yourself; ask another administrator.",
            )
            .with_field("status"));
        }
        // Disabling an Owner is as strong as revoking their Owner grant: only an Owner may. Since
        // an Owner cannot disable themselves, an active Owner always remains.
        if target == UserStatus::Disabled && !principal.access.is_owner() {
            let grants = state.store.grants_of(id).await?;
            if grants
                .iter()
                .any(|g| g.role == Role::Owner && g.scope == Scope::Organisation)
            {
                return Err(AppError::forbidden());
            }
        }
        if target != current.user.status {
            state.store.set_user_status(&actor, id, target).await?;
        }
    }
    if let Some(name) = name
        && name.as_str() != current.user.name
    {
        state
            .store
            .update_profile(
                &actor,
                id,
                &name,
                &current.user.language,
                &current.user.time_zone,
            )
            .await?;
    }
    Ok(Json(load(&state, id).await?))
}
