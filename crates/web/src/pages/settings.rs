//! Settings: the organisation and its security policy, people and their roles, teams,
//! workspaces and channels, and the audit log.

use std::collections::HashMap;

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, NaiveDate, Utc};
use owlery_domain::{
    ChannelId, Grant, GrantId, Permission, Role, Scope, Target, TeamId, UserId, WorkspaceId,
    org::{ChannelStatus, Network, SecurityPolicy, parse_handle},
    user::{DisplayName, Email, UserStatus},
};
use owlery_store::{audit::AuditFilter, sessions::LinkPurpose, users::NewUser};
use serde::Deserialize;

use super::{form::FormData, lang_of, load_organisation, page_for, render, unprocessable};
use crate::{
    auth::PagePrincipal,
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        self, Availability, FieldError, Flash, FormErrors, RoleAt, ScopeKind, ScopeOption, Section,
        SelectOption,
        audit::{AuditFilters, AuditRow, AuditView, ChainStatus},
        settings::{
            ChannelRow, CreatedUser, GrantRow, NewUserForm, OrganisationView, SecurityView,
            TeamMember, TeamRow, TeamsView, TwoFactorPolicy, UserDetailView, UserRow, UsersView,
            WorkspaceRow, WorkspacesView,
        },
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_home))
        .route(
            "/settings/organisation",
            get(organisation).post(save_organisation),
        )
        .route("/settings/security", get(security).post(save_security))
        .route("/settings/users", get(users).post(create_user))
        .route("/settings/users/{id}", get(user_detail))
        .route("/settings/users/{id}/grants", post(grant))
        .route("/settings/users/{id}/grants/{grant}/revoke", post(revoke))
        .route(
            "/settings/users/{id}/disable",
            post(|s, p, i| set_status(s, p, i, UserStatus::Disabled)),
        )
        .route(
            "/settings/users/{id}/enable",
            post(|s, p, i| set_status(s, p, i, UserStatus::Active)),
        )
        .route("/settings/users/{id}/reset-2fa", post(reset_2fa))
        .route("/settings/teams", get(teams).post(create_team))
        .route("/settings/teams/{id}/members", post(add_member))
        .route(
            "/settings/teams/{id}/members/{user}/remove",
            post(remove_member),
        )
        .route(
            "/settings/workspaces",
            get(workspaces).post(create_workspace),
        )
        // Notifications about a channel link here.
        .route(
            "/settings/channels",
            get(|| async { Redirect::to("/settings/workspaces") }).post(create_channel),
        )
        .route("/settings/audit", get(audit))
        .route("/settings/audit.csv", get(audit_csv))
}

const ORG: Target = Target::Organisation;

fn settings_page(p: &PagePrincipal, path: &str) -> views::Page {
    page_for(p, path).with_section(Section::Settings)
}

fn parse_id<T>(raw: &str, parse: fn(&str) -> Option<T>, what: &str) -> Result<T, AppError> {
    parse(raw).ok_or_else(|| AppError::not_found(what))
}

async fn settings_home(p: PagePrincipal) -> Result<Response, AppError> {
    let to = if p.0.access.can(Permission::UsersRead, ORG) {
        "/settings/users"
    } else if p.0.access.can(Permission::AuditRead, ORG) {
        "/settings/audit"
    } else if p.0.access.can_anywhere(Permission::ChannelsRead) {
        "/settings/workspaces"
    } else {
        return Err(AppError::forbidden());
    };
    Ok(Redirect::to(to).into_response())
}

// ---- organisation and security ----

async fn organisation(
    State(state): State<AppState>,
    p: PagePrincipal,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, ORG)?;
    let org = load_organisation(&state).await?;
    Ok(render(&org_view(&p, &org, FormErrors::new())))
}

fn org_view(
    p: &PagePrincipal,
    org: &owlery_store::org::Organisation,
    errors: FormErrors,
) -> OrganisationView {
    OrganisationView {
        page: settings_page(p, "/settings/organisation"),
        org_name: org.name.clone(),
        default_lang: Lang::parse(&org.default_language).unwrap_or(Lang::En),
        default_tz: org.default_time_zone.clone(),
        created_at: Some(org.created_at),
        errors,
    }
}

async fn save_organisation(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, ORG)?;
    let lang = lang_of(&p);
    let org = load_organisation(&state).await?;
    let mut errors = Vec::new();
    let name = DisplayName::parse("name", &form.get("name")).map_err(|_| {
        errors.push(FieldError::new(
            "name",
            i18n::tr(lang, "name-error-required"),
        ))
    });
    let default_lang = Lang::parse(&form.get("default_language"));
    if default_lang.is_none() {
        errors.push(FieldError::new(
            "default_language",
            i18n::tr(lang, "lang-error-unknown"),
        ));
    }
    let tz = owlery_domain::user::parse_time_zone(&form.get("default_time_zone")).map_err(|e| {
        errors.push(FieldError::new(
            "default_time_zone",
            i18n::tr_or(lang, "tz-error-unknown", &e.message),
        ))
    });
    let (Ok(name), Some(default_lang), Ok(tz)) = (name, default_lang, tz) else {
        let mut view = org_view(&p, &org, FormErrors(errors));
        view.org_name = form.get("name");
        return Ok(unprocessable(render(&view)));
    };
    let org = state
        .store
        .update_organisation(
            &p.0.actor(),
            &name,
            &org.security,
            default_lang.code(),
            tz.name(),
        )
        .await?;
    let mut view = org_view(&p, &org, FormErrors::new());
    view.page = view
        .page
        .with_flash(Some(Flash::success(i18n::tr(lang, "settings-saved"))));
    Ok(render(&view))
}

fn security_view(p: &PagePrincipal, state: &AppState, policy: &SecurityPolicy) -> SecurityView {
    let require_2fa = if policy.require_2fa_roles.is_empty() {
        TwoFactorPolicy::Off
    } else if policy.requires_2fa_for_everyone() {
        TwoFactorPolicy::Everyone
    } else {
        TwoFactorPolicy::Roles
    };
    SecurityView {
        page: settings_page(p, "/settings/security"),
        require_2fa,
        require_2fa_roles: policy
            .require_2fa_roles
            .iter()
            .map(|r| r.code().to_owned())
            .collect(),
        reply_approval_roles: policy
            .reply_approval_roles
            .iter()
            .map(|r| r.code().to_owned())
            .collect(),
        session_lifetime_hours: i64::from(policy.session_idle_hours),
        lockout_max_attempts: state.lockout.account_failures as i64,
        lockout_window_minutes: state.lockout.window.num_minutes(),
        lockout_minutes: state.lockout.lock_for.num_minutes(),
        errors: FormErrors::new(),
    }
}

async fn security(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, ORG)?;
    let org = load_organisation(&state).await?;
    Ok(render(&security_view(&p, &state, &org.security)))
}

async fn save_security(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, ORG)?;
    let lang = lang_of(&p);
    let org = load_organisation(&state).await?;
    let mut errors = Vec::new();
    let roles = match form.get("require_2fa").as_str() {
        "off" | "" => Default::default(),
        "everyone" => Role::ALL.into_iter().collect(),
        "roles" => {
            let mut set = std::collections::BTreeSet::new();
            for code in form.all("require_2fa_roles") {
                match Role::parse(&code) {
                    Some(r) => {
                        set.insert(r);
                    }
                    None => errors.push(FieldError::new(
                        "require_2fa_roles",
                        i18n::tr(lang, "security-error-role"),
                    )),
                }
            }
            set
        }
        _ => {
            errors.push(FieldError::new(
                "require_2fa",
                i18n::tr(lang, "security-error-policy"),
            ));
            Default::default()
        }
    };
    let hours = form
        .get("session_lifetime_hours")
        .parse::<u32>()
        .unwrap_or(0);
    let mut reply_approval_roles = std::collections::BTreeSet::new();
    for code in form.all("reply_approval_roles") {
        match Role::parse(&code) {
            Some(r) => {
                reply_approval_roles.insert(r);
            }
            None => errors.push(FieldError::new(
                "reply_approval_roles",
                i18n::tr(lang, "security-error-role"),
            )),
        }
    }
    let policy = SecurityPolicy {
        require_2fa_roles: roles,
        session_idle_hours: hours,
        reply_approval_roles,
    };
    if policy.validate().is_err() {
        errors.push(FieldError::new(
            "session_lifetime_hours",
            i18n::tr(lang, "security-error-lifetime"),
        ));
    }
    if !errors.is_empty() {
        let mut view = security_view(&p, &state, &policy);
        view.session_lifetime_hours = i64::from(hours);
        view.errors = FormErrors(errors);
        return Ok(unprocessable(render(&view)));
    }
    let name = DisplayName::parse("name", &org.name)?;
    let org = state
        .store
        .update_organisation(
            &p.0.actor(),
            &name,
            &policy,
            &org.default_language,
            &org.default_time_zone,
        )
        .await?;
    let mut view = security_view(&p, &state, &org.security);
    view.page = view
        .page
        .with_flash(Some(Flash::success(i18n::tr(lang, "settings-saved"))));
    Ok(render(&view))
}

// ---- people ----

/// Names of workspaces and channels, for showing scopes.
struct ScopeNames {
    workspaces: HashMap<WorkspaceId, String>,
    channels: HashMap<ChannelId, String>,
    options: Vec<ScopeOption>,
}

async fn scope_names(state: &AppState) -> Result<ScopeNames, AppError> {
    let ws = state.store.list_workspaces().await?;
    let chs = state.store.list_channels(None).await?;
    let mut options = vec![ScopeOption::organisation()];
    options.extend(ws.iter().map(|w| ScopeOption::workspace(w.id, &w.name)));
    options.extend(
        chs.iter()
            .map(|c| ScopeOption::channel(c.id, format!("{} (@{})", c.name, c.handle))),
    );
    Ok(ScopeNames {
        workspaces: ws.into_iter().map(|w| (w.id, w.name)).collect(),
        channels: chs
            .into_iter()
            .map(|c| (c.id, format!("@{}", c.handle)))
            .collect(),
        options,
    })
}

impl ScopeNames {
    fn describe(&self, scope: Scope) -> (ScopeKind, String) {
        match scope {
            Scope::Organisation => (ScopeKind::Organisation, String::new()),
            Scope::Workspace(w) => (
                ScopeKind::Workspace,
                self.workspaces.get(&w).cloned().unwrap_or_default(),
            ),
            Scope::Channel(c) => (
                ScopeKind::Channel,
                self.channels.get(&c).cloned().unwrap_or_default(),
            ),
        }
    }

    /// `org`, `workspace:<id>` or `channel:<id>`, checked against what exists.
    fn parse(&self, value: &str) -> Option<Scope> {
        match value.split_once(':') {
            None if value == "org" || value == "organisation" => Some(Scope::Organisation),
            Some(("workspace", id)) => WorkspaceId::parse(id)
                .filter(|w| self.workspaces.contains_key(w))
                .map(Scope::Workspace),
            Some(("channel", id)) => ChannelId::parse(id)
                .filter(|c| self.channels.contains_key(c))
                .map(Scope::Channel),
            _ => None,
        }
    }
}

fn role_options(p: &PagePrincipal) -> Vec<String> {
    Role::ALL
        .into_iter()
        .filter(|r| r.grantable_by(&p.0.access))
        .map(|r| r.code().to_owned())
        .collect()
}

async fn users_view(state: &AppState, p: &PagePrincipal) -> Result<UsersView, AppError> {
    let names = scope_names(state).await?;
    let grants = state.store.all_grants().await?;
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = state.store.list_users(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for u in page {
            let roles = grants
                .iter()
                .filter(|g| g.user_id == u.id)
                .map(|g| {
                    let (scope_kind, scope_name) = names.describe(g.scope);
                    RoleAt {
                        role: g.role.code().to_owned(),
                        scope_kind,
                        scope_name,
                    }
                })
                .collect();
            rows.push(UserRow {
                id: u.id.to_string(),
                name: u.name,
                email: u.email,
                roles,
                two_factor: u.totp_enabled,
                status: u.status,
                last_sign_in: u.last_signin_at,
            });
        }
    }
    rows.sort_by_key(|r| r.name.to_lowercase());
    Ok(UsersView {
        page: settings_page(p, "/settings/users"),
        users: rows,
        role_options: role_options(p),
        scope_options: ScopeOption::select(names.options, "org"),
        form: NewUserForm::default(),
        errors: FormErrors::new(),
        created: None,
    })
}

async fn users(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    p.0.require(Permission::UsersRead, ORG)?;
    Ok(render(&users_view(&state, &p).await?))
}

async fn create_user(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::UsersManage, ORG)?;
    let lang = lang_of(&p);
    let mut view = users_view(&state, &p).await?;
    let names = scope_names(&state).await?;
    let mut errors = Vec::new();
    let email = Email::parse(&form.get("email")).map_err(|e| {
        errors.push(FieldError::new(
            "email",
            i18n::tr_or(lang, "email-error-invalid", &e.message),
        ))
    });
    let name = DisplayName::parse("name", &form.get("name")).map_err(|_| {
        errors.push(FieldError::new(
            "name",
            i18n::tr(lang, "name-error-required"),
        ))
    });
    let role = Role::parse(&form.get("role")).filter(|r| r.grantable_by(&p.0.access));
    if role.is_none() {
        errors.push(FieldError::new(
            "role",
            i18n::tr(lang, "role-error-not-grantable"),
        ));
    }
    let scope = names.parse(&form.get("scope"));
    if scope.is_none() {
        errors.push(FieldError::new(
            "scope",
            i18n::tr(lang, "scope-error-unknown"),
        ));
    }
    let org = load_organisation(&state).await?;
    let result = match (email, name, role, scope) {
        (Ok(email), Ok(name), Some(role), Some(scope)) if errors.is_empty() => {
            let new = NewUser {
                email,
                name,
                password_hash: None,
                language: org.default_language.clone(),
                time_zone: org.default_time_zone.clone(),
            };
            match state
                .store
                .create_user(&p.0.actor(), org.id, new, &[Grant { role, scope }])
                .await
            {
                Ok(u) => Some(u),
                Err(owlery_store::StoreError::Conflict { field, .. }) => {
                    errors.push(FieldError::new(field, i18n::tr(lang, "user-error-exists")));
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
        _ => None,
    };
    let Some(user) = result else {
        view.form = NewUserForm {
            email: form.get("email"),
            name: form.get("name"),
            role: form.get("role"),
        };
        view.scope_options = ScopeOption::select(view.scope_options, &form.get("scope"));
        view.errors = FormErrors(errors);
        return Ok(unprocessable(render(&view)));
    };
    let valid = chrono::Duration::days(7);
    let secret = state
        .store
        .create_link(&p.0.actor(), user.id, LinkPurpose::Setup, valid)
        .await?;
    let mut view = users_view(&state, &p).await?;
    view.created = Some(CreatedUser {
        name: user.name,
        email: user.email,
        setup_url: state.config.link(&format!("/setup/{secret}")),
        expires_at: state.store.now() + valid,
    });
    Ok(render(&view))
}

async fn user_detail_view(
    state: &AppState,
    p: &PagePrincipal,
    id: UserId,
) -> Result<UserDetailView, AppError> {
    let user = state.store.user(id).await?;
    let names = scope_names(state).await?;
    let grants = state.store.grants_of(id).await?;
    let mut granters = HashMap::new();
    for g in &grants {
        if let Some(by) = g.granted_by
            && !granters.contains_key(&by)
        {
            let label = state
                .store
                .user(by)
                .await
                .map(|u| u.name)
                .unwrap_or_default();
            granters.insert(by, label);
        }
    }
    let can_grant = p.0.access.can(Permission::RolesGrant, ORG);
    let roles = grants
        .iter()
        .map(|g| {
            let (scope_kind, scope_name) = names.describe(g.scope);
            RoleAt {
                role: g.role.code().to_owned(),
                scope_kind,
                scope_name,
            }
        })
        .collect();
    let grant_rows = grants
        .iter()
        .map(|g| {
            let (scope_kind, scope_name) = names.describe(g.scope);
            GrantRow {
                id: g.id.to_string(),
                role: g.role.code().to_owned(),
                scope_kind,
                scope_name,
                granted_by: g
                    .granted_by
                    .and_then(|b| granters.get(&b).cloned())
                    .unwrap_or_else(|| "—".into()),
                granted_at: g.created_at,
                revocable: can_grant && g.role.grantable_by(&p.0.access),
            }
        })
        .collect();
    Ok(UserDetailView {
        page: settings_page(p, "/settings/users"),
        user: UserRow {
            id: user.id.to_string(),
            name: user.name.clone(),
            email: user.email.clone(),
            roles,
            two_factor: user.totp_enabled,
            status: user.status,
            last_sign_in: user.last_signin_at,
        },
        created_at: user.created_at,
        grants: grant_rows,
        role_options: role_options(p),
        scope_options: ScopeOption::select(names.options, "org"),
        form_role: String::new(),
        errors: FormErrors::new(),
        can_manage: p.0.access.can(Permission::UsersManage, ORG),
        is_self: user.id == p.0.user.id,
    })
}

async fn user_detail(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    p.0.require(Permission::UsersRead, ORG)?;
    let id = parse_id(&id, UserId::parse, "user")?;
    Ok(render(&user_detail_view(&state, &p, id).await?))
}

async fn grant(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::RolesGrant, ORG)?;
    let lang = lang_of(&p);
    let id = parse_id(&id, UserId::parse, "user")?;
    let names = scope_names(&state).await?;
    let role = Role::parse(&form.get("role")).filter(|r| r.grantable_by(&p.0.access));
    let scope = names.parse(&form.get("scope"));
    let mut errors = Vec::new();
    match (role, scope) {
        (Some(role), Some(scope)) => match state
            .store
            .grant_role(&p.0.actor(), id, Grant { role, scope })
            .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/settings/users/{id}")).into_response()),
            Err(owlery_store::StoreError::Conflict { .. }) => {
                errors.push(FieldError::new(
                    "role",
                    i18n::tr(lang, "grant-error-exists"),
                ));
            }
            Err(e) => return Err(e.into()),
        },
        (r, s) => {
            if r.is_none() {
                errors.push(FieldError::new(
                    "role",
                    i18n::tr(lang, "role-error-not-grantable"),
                ));
            }
            if s.is_none() {
                errors.push(FieldError::new(
                    "scope",
                    i18n::tr(lang, "scope-error-unknown"),
                ));
            }
        }
    }
    let mut view = user_detail_view(&state, &p, id).await?;
    view.form_role = form.get("role");
    view.scope_options = ScopeOption::select(view.scope_options, &form.get("scope"));
    view.errors = FormErrors(errors);
    Ok(unprocessable(render(&view)))
}

async fn revoke(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path((id, grant_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    p.0.require(Permission::RolesGrant, ORG)?;
    let lang = lang_of(&p);
    let id = parse_id(&id, UserId::parse, "user")?;
    let grant_id = parse_id(&grant_id, GrantId::parse, "grant")?;
    let grants = state.store.grants_of(id).await?;
    let Some(g) = grants.iter().find(|g| g.id == grant_id) else {
        return Err(AppError::not_found("grant"));
    };
    if !g.role.grantable_by(&p.0.access) {
        return Err(AppError::forbidden());
    }
    match state.store.revoke_grant(&p.0.actor(), grant_id).await {
        Ok(_) => Ok(Redirect::to(&format!("/settings/users/{id}")).into_response()),
        Err(owlery_store::StoreError::Conflict { .. }) => {
            let mut view = user_detail_view(&state, &p, id).await?;
            view.errors = FormErrors(vec![FieldError::new(
                "grant",
                i18n::tr(lang, "grant-error-last-owner"),
            )]);
            let mut res = render(&view);
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_status(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    status: UserStatus,
) -> Result<Response, AppError> {
    p.0.require(Permission::UsersManage, ORG)?;
    let id = parse_id(&id, UserId::parse, "user")?;
    if id == p.0.user.id {
        return Err(AppError::conflict(
            "status",
            "You cannot disable your own account.",
        ));
    }
    let target = state.store.access_of(id).await?;
    if target.is_owner() && !p.0.access.is_owner() {
        return Err(AppError::forbidden());
    }
    state
        .store
        .set_user_status(&p.0.actor(), id, status)
        .await?;
    Ok(Redirect::to(&format!("/settings/users/{id}")).into_response())
}

async fn reset_2fa(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    p.0.require(Permission::UsersManage, ORG)?;
    let id = parse_id(&id, UserId::parse, "user")?;
    let target = state.store.access_of(id).await?;
    if target.is_owner() && !p.0.access.is_owner() {
        return Err(AppError::forbidden());
    }
    state
        .store
        .disable_totp(&p.0.actor(), id, "user.2fa.reset")
        .await?;
    Ok(Redirect::to(&format!("/settings/users/{id}")).into_response())
}

// ---- teams ----

async fn teams_view(state: &AppState, p: &PagePrincipal) -> Result<TeamsView, AppError> {
    let teams = state.store.list_teams().await?;
    let users = state.store.list_users(None, 10_000).await?;
    let by_id: HashMap<UserId, &owlery_store::users::User> =
        users.iter().map(|u| (u.id, u)).collect();
    // Each member's availability, from one read of the organisation's presences.
    let org = load_organisation(state).await?;
    let presences = state.store.org_presence(org.id).await?;
    let lang = lang_of(p);
    let rows = teams
        .into_iter()
        .map(|t| TeamRow {
            id: t.id.to_string(),
            name: t.name,
            members: t
                .member_ids
                .iter()
                .filter_map(|id| by_id.get(id))
                .map(|u| {
                    let pr = presences.of(u.id);
                    TeamMember {
                        user_id: u.id.to_string(),
                        name: u.name.clone(),
                        email: u.email.clone(),
                        availability: Availability::new(lang, pr.status, pr.automatic),
                    }
                })
                .collect(),
            candidates: users
                .iter()
                .filter(|u| !t.member_ids.contains(&u.id) && u.status != UserStatus::Disabled)
                .map(|u| {
                    SelectOption::new(u.id.to_string(), format!("{} <{}>", u.name, u.email), false)
                })
                .collect(),
        })
        .collect();
    Ok(TeamsView {
        page: settings_page(p, "/settings/teams"),
        teams: rows,
        form_name: String::new(),
        errors: FormErrors::new(),
    })
}

async fn teams(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    p.0.require(Permission::UsersRead, ORG)?;
    Ok(render(&teams_view(&state, &p).await?))
}

async fn create_team(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::TeamsManage, ORG)?;
    let lang = lang_of(&p);
    let org = load_organisation(&state).await?;
    let error = match DisplayName::parse("name", &form.get("name")) {
        Ok(name) => match state.store.create_team(&p.0.actor(), org.id, &name).await {
            Ok(_) => return Ok(Redirect::to("/settings/teams").into_response()),
            Err(owlery_store::StoreError::Conflict { .. }) => i18n::tr(lang, "team-error-exists"),
            Err(e) => return Err(e.into()),
        },
        Err(_) => i18n::tr(lang, "name-error-required"),
    };
    let mut view = teams_view(&state, &p).await?;
    view.form_name = form.get("name");
    view.errors = FormErrors(vec![FieldError::new("name", error)]);
    Ok(unprocessable(render(&view)))
}

async fn add_member(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::TeamsManage, ORG)?;
    let team = parse_id(&id, TeamId::parse, "team")?;
    let user = UserId::parse(&form.get("user_id"))
        .ok_or_else(|| AppError::bad_request("invalid_user", "Choose a person to add."))?;
    state
        .store
        .set_team_member(&p.0.actor(), team, user, true)
        .await?;
    Ok(Redirect::to("/settings/teams").into_response())
}

async fn remove_member(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path((id, user)): Path<(String, String)>,
) -> Result<Response, AppError> {
    p.0.require(Permission::TeamsManage, ORG)?;
    let team = parse_id(&id, TeamId::parse, "team")?;
    let user = parse_id(&user, UserId::parse, "user")?;
    state
        .store
        .set_team_member(&p.0.actor(), team, user, false)
        .await?;
    Ok(Redirect::to("/settings/teams").into_response())
}

// ---- workspaces and channels ----

fn view_channel_status(s: ChannelStatus) -> views::settings::ChannelStatus {
    match s {
        ChannelStatus::Connected => views::settings::ChannelStatus::Active,
        ChannelStatus::NeedsReconnect => views::settings::ChannelStatus::NeedsAttention,
        ChannelStatus::Disconnected => views::settings::ChannelStatus::Disconnected,
    }
}

async fn workspaces_view(state: &AppState, p: &PagePrincipal) -> Result<WorkspacesView, AppError> {
    let channels = state.store.list_channels(None).await?;
    // Channels whose kind of connection upgrades to another of their network's (a personal
    // TikTok login → a business account).
    let mut upgradable = std::collections::HashSet::new();
    for c in channels.iter().filter(|c| !c.simulated) {
        let kinds = owlery_domain::org::AuthKind::of(c.network);
        if kinds.len() < 2 {
            continue;
        }
        if let Some(cred) = state.store.channel_credential(c.id).await?
            && kinds.iter().any(|k| cred.auth.upgrades_to(*k))
        {
            upgradable.insert(c.id);
        }
    }
    let rows = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter_map(|w| {
            let chans: Vec<ChannelRow> = channels
                .iter()
                .filter(|c| c.workspace_id == w.id)
                .filter(|c| {
                    p.0.access.can(
                        Permission::ChannelsRead,
                        Target::Channel {
                            workspace: w.id,
                            channel: c.id,
                        },
                    )
                })
                .map(|c| ChannelRow {
                    id: c.id.to_string(),
                    network: c.network.code().to_owned(),
                    name: c.name.clone(),
                    handle: c.handle.clone(),
                    status: view_channel_status(c.status),
                    simulated: c.simulated,
                    status_reason: c.status_reason.clone().unwrap_or_default(),
                    upgradable: upgradable.contains(&c.id),
                })
                .collect();
            let sees_workspace =
                p.0.access
                    .can(Permission::ChannelsRead, Target::Workspace(w.id));
            (sees_workspace || !chans.is_empty()).then(|| WorkspaceRow {
                id: w.id.to_string(),
                name: w.name,
                channels: chans,
            })
        })
        .collect();
    Ok(WorkspacesView {
        page: settings_page(p, "/settings/workspaces"),
        workspaces: rows,
        workspace_form_name: String::new(),
        workspace_errors: FormErrors::new(),
        channel_form_name: String::new(),
        channel_form_workspace_id: String::new(),
        channel_form_network: String::new(),
        channel_errors: FormErrors::new(),
        can_connect: p.0.access.can_anywhere(Permission::ChannelsManage),
    })
}

/// `?connected=N`, `?reconnected=<channel id>` and `?upgraded=<channel id>`: where the connect
/// flow lands.
#[derive(Deserialize, Default)]
struct WorkspacesQuery {
    #[serde(default)]
    connected: String,
    #[serde(default)]
    reconnected: String,
    #[serde(default)]
    upgraded: String,
}

async fn workspaces(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<WorkspacesQuery>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::ChannelsRead)?;
    let lang = lang_of(&p);
    let mut view = workspaces_view(&state, &p).await?;
    let flash = if let Ok(n) = q.connected.parse::<i64>() {
        Some(if n > 0 {
            Flash::success(i18n::tr_args(lang, "connect-done", &[("count", n.into())]))
        } else {
            Flash::info(i18n::tr(lang, "connect-done-none"))
        })
    } else if ChannelId::parse(&q.reconnected).is_some() {
        Some(Flash::success(i18n::tr(lang, "connect-reconnected")))
    } else if ChannelId::parse(&q.upgraded).is_some() {
        Some(Flash::success(i18n::tr(lang, "connect-upgraded")))
    } else {
        None
    };
    view.page = view.page.with_flash(flash);
    Ok(render(&view))
}

async fn create_workspace(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::WorkspacesManage, ORG)?;
    let lang = lang_of(&p);
    let org = load_organisation(&state).await?;
    let error = match DisplayName::parse("name", &form.get("name")) {
        Ok(name) => match state
            .store
            .create_workspace(&p.0.actor(), org.id, &name)
            .await
        {
            Ok(_) => return Ok(Redirect::to("/settings/workspaces").into_response()),
            Err(owlery_store::StoreError::Conflict { .. }) => {
                i18n::tr(lang, "workspace-error-exists")
            }
            Err(e) => return Err(e.into()),
        },
        Err(_) => i18n::tr(lang, "name-error-required"),
    };
    let mut view = workspaces_view(&state, &p).await?;
    view.workspace_form_name = form.get("name");
    view.workspace_errors = FormErrors(vec![FieldError::new("name", error)]);
    Ok(unprocessable(render(&view)))
}

/// A handle for a sandbox channel made from its name, when none is given.
fn handle_from_name(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    s.split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

async fn create_channel(
    State(state): State<AppState>,
    p: PagePrincipal,
    form: FormData,
) -> Result<Response, AppError> {
    let lang = lang_of(&p);
    let ws = WorkspaceId::parse(&form.get("workspace_id"));
    if let Some(ws) = ws {
        p.0.require(Permission::ChannelsManage, Target::Workspace(ws))?;
    } else {
        p.0.require_anywhere(Permission::ChannelsManage)?;
    }
    let mut errors = Vec::new();
    let name = DisplayName::parse("name", &form.get("name"));
    if name.is_err() {
        errors.push(FieldError::new(
            "name",
            i18n::tr(lang, "name-error-required"),
        ));
    }
    let raw_handle = form.get("handle");
    let handle_source = if raw_handle.is_empty() {
        handle_from_name(&form.get("name"))
    } else {
        raw_handle.clone()
    };
    let handle = parse_handle(&handle_source);
    // Sandbox (the default), or a practice channel: simulated, on any network's rules.
    let raw_network = form.get("network");
    let network = if raw_network.is_empty() {
        Some(Network::Sandbox)
    } else {
        Network::parse(&raw_network)
    };
    if network.is_none() {
        errors.push(FieldError::new(
            "network",
            i18n::tr(lang, "ch-error-network"),
        ));
    }
    if handle.is_err() && name.is_ok() {
        errors.push(FieldError::new("name", i18n::tr(lang, "ch-error-handle")));
    }
    if ws.is_none() {
        errors.push(FieldError::new(
            "workspace_id",
            i18n::tr(lang, "scope-error-unknown"),
        ));
    }
    if let (Some(ws), Ok(name), Ok(handle), Some(network), true) =
        (ws, &name, &handle, network, errors.is_empty())
    {
        let created = if network == Network::Sandbox {
            state
                .store
                .create_channel(&p.0.actor(), ws, network, name, handle)
                .await
        } else {
            state
                .store
                .create_practice_channel(&p.0.actor(), ws, network, name, handle)
                .await
        };
        match created {
            Ok(_) => return Ok(Redirect::to("/settings/workspaces").into_response()),
            Err(owlery_store::StoreError::Conflict { .. }) => {
                errors.push(FieldError::new(
                    "name",
                    i18n::tr(lang, "channel-error-exists"),
                ));
            }
            Err(owlery_store::StoreError::NotFound(_)) => {
                errors.push(FieldError::new(
                    "workspace_id",
                    i18n::tr(lang, "scope-error-unknown"),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut view = workspaces_view(&state, &p).await?;
    view.channel_form_name = form.get("name");
    view.channel_form_workspace_id = form.get("workspace_id");
    view.channel_form_network = raw_network;
    view.channel_errors = FormErrors(errors);
    Ok(unprocessable(render(&view)))
}

// ---- audit log ----

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

fn parse_day(s: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let d = if end_of_day { d.succ_opt()? } else { d };
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

fn audit_filter(q: &AuditQuery) -> AuditFilter {
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    AuditFilter {
        actor: opt(&q.actor).map(|a| a.to_lowercase()),
        action: opt(&q.action),
        target_id: None,
        from: parse_day(&q.from, false),
        to: parse_day(&q.to, true),
        before_seq: q.cursor.parse().ok(),
    }
}

const AUDIT_PAGE: i64 = 100;

async fn audit(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    p.0.require(Permission::AuditRead, ORG)?;
    let events = state
        .store
        .audit_events(&audit_filter(&q), AUDIT_PAGE + 1)
        .await?;
    let next_cursor =
        (events.len() as i64 > AUDIT_PAGE).then(|| events[AUDIT_PAGE as usize - 1].seq.to_string());
    let report = state.store.verify_audit_chain().await?;
    let chain = match report.result {
        Ok(()) => ChainStatus::Verified {
            events: report.checked as i64,
        },
        Err(b) => ChainStatus::Broken {
            at_seq: break_seq(&b),
        },
    };
    // People are shown by e-mail, workspaces and channels by name; anything else by its id.
    let mut names: HashMap<String, String> = HashMap::new();
    for u in state.store.list_users(None, 100_000).await? {
        names.insert(u.id.to_string(), u.email);
    }
    for w in state.store.list_workspaces().await? {
        names.insert(w.id.to_string(), w.name);
    }
    for c in state.store.list_channels(None).await? {
        names.insert(c.id.to_string(), format!("@{}", c.handle));
    }
    let rows = events
        .into_iter()
        .take(AUDIT_PAGE as usize)
        .map(|e| AuditRow {
            seq: e.seq,
            at: e.at,
            actor: e.entry.actor_label,
            action: e.entry.action,
            target: match e.entry.target_id {
                Some(id) => match names.get(&id) {
                    Some(name) => format!("{} {name}", e.entry.target_type),
                    None => format!("{} {id}", e.entry.target_type),
                },
                None => e.entry.target_type,
            },
            ip: e.entry.ip.unwrap_or_default(),
            before: e.entry.before,
            after: e.entry.after,
        })
        .collect();
    let action_codes = AUDIT_ACTIONS.iter().map(|s| (*s).to_owned()).collect();
    Ok(render(&AuditView {
        page: settings_page(&p, "/settings/audit"),
        filters: AuditFilters {
            actor: q.actor,
            action: q.action,
            from: q.from,
            to: q.to,
        },
        events: rows,
        next_cursor,
        chain,
        action_codes,
    }))
}

fn break_seq(b: &owlery_domain::audit::ChainBreak) -> i64 {
    use owlery_domain::audit::ChainBreak::*;
    match b {
        Edited { seq } | Unlinked { seq } | HeadMismatch { seq } => *seq,
        Gap { seq, .. } => *seq,
        Truncated { last, .. } => *last + 1,
    }
}

/// The action codes offered in the filter (prefixes end in `.`).
const AUDIT_ACTIONS: &[&str] = &[
    "session.",
    "session.signin",
    "session.signin_failed",
    "user.",
    "user.create",
    "user.disable",
    "user.enable",
    "user.2fa.enable",
    "user.2fa.reset",
    "user.password.reset",
    "grant.",
    "grant.create",
    "grant.revoke",
    "token.",
    "team.",
    "workspace.",
    "channel.",
    "org.",
    "link.",
];

/// CSV export of the filtered log, all pages, oldest last (as shown).
async fn audit_csv(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    p.0.require(Permission::AuditRead, ORG)?;
    let mut filter = audit_filter(&q);
    let mut out = String::from("seq,at,actor,action,target_type,target_id,ip,before,after,hash\n");
    loop {
        let events = state.store.audit_events(&filter, 1000).await?;
        let Some(last) = events.last() else { break };
        filter.before_seq = Some(last.seq);
        for e in &events {
            let fields = [
                e.seq.to_string(),
                e.at.to_rfc3339(),
                e.entry.actor_label.clone(),
                e.entry.action.clone(),
                e.entry.target_type.clone(),
                e.entry.target_id.clone().unwrap_or_default(),
                e.entry.ip.clone().unwrap_or_default(),
                e.entry.before.clone().unwrap_or_default(),
                e.entry.after.clone().unwrap_or_default(),
                e.hash.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"owlery-audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// RFC 4180 quoting, and a leading apostrophe for cells a spreadsheet would run as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn handles_from_names() {
        assert_eq!(handle_from_name("Northwind News (EU)"), "northwind_news_eu");
    }
}
