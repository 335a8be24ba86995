//! Extractors for the person behind a request.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;
use owlery_domain::{Access, Permission, Target, audit::Actor, user::UserStatus};
use owlery_store::{
    presence::PresenceInfo,
    sessions::{Session, SessionStage},
    tokens::TokenRefusal,
    users::User,
};

use crate::{error::AppError, state::AppState};

pub const SESSION_COOKIE: &str = "owlery_session";

/// How the principal proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Session(Session),
    Token(owlery_domain::TokenId),
}

/// A signed-in person and what they may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub access: Access,
    pub via: Via,
    pub ip: String,
}

impl Principal {
    /// The permission check: every handler calls this before it acts.
    pub fn require(&self, permission: Permission, target: Target) -> Result<(), AppError> {
        if self.access.can(permission, target) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    /// For listings: held somewhere (each item is still filtered by `can`).
    pub fn require_anywhere(&self, permission: Permission) -> Result<(), AppError> {
        if self.access.can_anywhere(permission) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.email, Some(self.ip.clone()))
    }

    pub fn csrf_token(&self) -> &str {
        match &self.via {
            Via::Session(s) => &s.csrf_token,
            Via::Token(_) => "",
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match &self.via {
            Via::Session(s) => Some(s),
            Via::Token(_) => None,
        }
    }
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when configured to
/// trust a reverse proxy.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}

pub fn client_ip(parts: &Parts, state: &AppState) -> String {
    if state.config.trust_forwarded_for
        && let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|s| s.parse::<std::net::IpAddr>().is_ok())
    {
        return first.to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The session behind the request's cookie, at any stage.
pub async fn session_of(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<(String, Session)>, AppError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(secret) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    Ok(state.store.session(&secret).await?.map(|s| (secret, s)))
}

async fn principal_for_user(
    state: &AppState,
    user_id: owlery_domain::UserId,
    via: Via,
    ip: String,
) -> Result<Option<Principal>, AppError> {
    let user = match state.store.user(user_id).await {
        Ok(u) => u,
        Err(owlery_store::StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if user.status != UserStatus::Active {
        return Ok(None);
    }
    let access = state.store.access_of(user.id).await?;
    Ok(Some(Principal {
        user,
        access,
        via,
        ip,
    }))
}

/// A fully signed-in person on a page, and their presence (for the top bar). Without one, pages
/// redirect to sign-in (or to the second step, or to 2FA enrolment when policy requires it).
///
/// Every page request is activity: it is written at most once a minute (`crate::activity`), which
/// also brings the person back from an automatic away.
#[derive(Debug, Clone)]
pub struct PagePrincipal(pub Principal, pub PresenceInfo);

/// Where a page request without a usable session goes.
#[derive(Debug)]
pub enum PageRejection {
    Redirect(String),
    Error(AppError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Redirect(to) => Redirect::to(&to).into_response(),
            PageRejection::Error(e) => crate::pages::error_response(&e),
        }
    }
}

impl FromRequestParts<AppState> for PagePrincipal {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let signin = format!("/signin?next={}", urlencode(next));
        let Some((_, session)) = session_of(parts, state)
            .await
            .map_err(PageRejection::Error)?
        else {
            return Err(PageRejection::Redirect(signin));
        };
        match session.stage {
            SessionStage::Active => {}
            SessionStage::PendingSecondFactor => {
                return Err(PageRejection::Redirect("/signin/2fa".into()));
            }
            SessionStage::MustEnrolSecondFactor => {
                // Only the enrolment page itself (and sign-out) is reachable.
                if !parts.uri.path().starts_with("/account/2fa") {
                    return Err(PageRejection::Redirect("/account/2fa".into()));
                }
            }
        }
        // Slide the idle timeout, at most once a minute.
        let idle = idle_timeout(state).await.map_err(PageRejection::Error)?;
        if state.store.now() - session.last_seen_at > chrono::Duration::minutes(1) {
            state
                .store
                .touch_session(&session.id_hash, idle)
                .await
                .map_err(|e| PageRejection::Error(e.into()))?;
        }
        let ip = client_ip(parts, state);
        let Some(principal) = principal_for_user(state, session.user_id, Via::Session(session), ip)
            .await
            .map_err(PageRejection::Error)?
        else {
            return Err(PageRejection::Redirect(signin));
        };
        let user = principal.user.id;
        // A failed activity write costs at most a late return from away: the page goes on.
        let written = match state.activity.seen(&state.store, user).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(user.id = %user, error = %e, "could not record activity");
                None
            }
        };
        let presence = match written {
            Some(p) => p,
            None => state
                .store
                .presence(user)
                .await
                .map_err(|e| PageRejection::Error(e.into()))?,
        };
        Ok(PagePrincipal(principal, presence))
    }
}

pub async fn idle_timeout(state: &AppState) -> Result<chrono::Duration, AppError> {
    let hours = state
        .store
        .organisation()
        .await?
        .map(|o| o.security.session_idle_hours)
        .unwrap_or(12);
    Ok(chrono::Duration::hours(i64::from(hours)))
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An API caller, authenticated by `Authorization: Bearer owl_…`.
///
/// A request is activity of the token's owner (every API token is a personal token: it belongs
/// to a person and acts as them), written as a page request is — at most once a minute per person
/// and node (`crate::activity`) — so an integration that works the inbox with someone's token
/// keeps them available, and brings them back from an automatic away. Should tokens that act for
/// no person ever exist, they must not count.
#[derive(Debug, Clone)]
pub struct ApiPrincipal(pub Principal);

/// The same caller, authenticated the same way, whose request is *not* activity: for reading
/// one's own presence (`GET /me/presence`), which a status widget may poll all day — it must
/// neither keep its person available nor hide an automatic away by ending it.
#[derive(Debug, Clone)]
pub struct QuietApiPrincipal(pub Principal);

impl FromRequestParts<AppState> for ApiPrincipal {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let p = api_principal(parts, state).await?;
        if let Via::Token(_) = p.via {
            let user = p.user.id;
            // A failed activity write costs at most a late return from away: the request goes on.
            if let Err(e) = state.activity.seen(&state.store, user).await {
                tracing::warn!(user.id = %user, error = %e, "could not record API activity");
            }
        }
        Ok(ApiPrincipal(p))
    }
}

impl FromRequestParts<AppState> for QuietApiPrincipal {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(QuietApiPrincipal(api_principal(parts, state).await?))
    }
}

/// The person behind `Authorization: Bearer owl_…`, with their access narrowed by the token's
/// scopes.
async fn api_principal(parts: &Parts, state: &AppState) -> Result<Principal, AppError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(AppError::unauthorized(
            "missing_token",
            "Send a personal API token as 'Authorization: Bearer <token>'.",
        ));
    };
    let Some(secret) = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return Err(AppError::unauthorized(
            "malformed_authorization",
            "The Authorization header must be 'Bearer <token>'.",
        ));
    };
    let token = match state.store.authenticate_token(secret).await? {
        Ok(t) => t,
        Err(TokenRefusal::Unknown) => {
            return Err(AppError::unauthorized(
                "invalid_token",
                "This API token is not valid.",
            ));
        }
        Err(TokenRefusal::Revoked) => {
            return Err(AppError::unauthorized(
                "revoked_token",
                "This API token has been revoked.",
            ));
        }
        Err(TokenRefusal::Expired) => {
            return Err(AppError::unauthorized(
                "expired_token",
                "This API token has expired; create a new one.",
            ));
        }
    };
    let ip = client_ip(parts, state);
    let Some(mut p) = principal_for_user(state, token.user_id, Via::Token(token.id), ip).await?
    else {
        return Err(AppError::unauthorized(
            "account_disabled",
            "The account that owns this token is disabled.",
        ));
    };
    if !token.scopes.is_empty() {
        p.access = p.access.with_token_scopes(token.scopes.iter().copied());
    }
    Ok(p)
}

/// The status for "not signed in" on a page-ish endpoint that must not redirect (htmx, CSV).
pub const UNAUTHENTICATED: StatusCode = StatusCode::UNAUTHORIZED;
