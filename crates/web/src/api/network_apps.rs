//! `/network-apps`: the organisation's app (OAuth client) on each network that connects with
//! OAuth 2.0 — whether it is set up, its client id, and the exact redirect address to register
//! at the network. The client secret goes in (`PUT`) and never comes out. Mastodon apps are
//! registered by Owlery on each server when someone connects an account there; they are listed
//! with their `service`. TikTok has a second app, for business accounts connected through the
//! TikTok API for Business (`auth_kind` `tiktok_business`). Everything here needs `org:manage`;
//! changes are audited without secrets.

use axum::{
    extract::{Path, State, rejection::PathRejection},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use owlery_domain::{
    Permission, Target,
    org::{AuthKind, Network},
};
use owlery_store::oauth::app_service;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Json, Query, list::list_of};
use crate::{
    auth::ApiPrincipal,
    connect,
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

/// How a network's apps come to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Setup {
    /// A person creates the app in the network's developer portal and enters it here.
    Manual,
    /// Owlery registers its own app on each server (Mastodon).
    Automatic,
}

/// The organisation's app on one network (on one server, for Mastodon).
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkApp {
    /// The network code (`x`, `facebook_page`, `instagram`, `threads`, `linkedin`, `tiktok`,
    /// `youtube`, `pinterest`, `mastodon`).
    #[schema(example = "x")]
    pub network: String,
    /// The server, for Mastodon's per-server apps; `null` for the network as a whole.
    pub service: Option<String>,
    /// The kind of connection the app is for: `standard`, or `tiktok_business` (TikTok business
    /// accounts, through the TikTok API for Business, whose comments the inbox reads).
    #[schema(example = "standard")]
    pub auth_kind: String,
    pub setup: Setup,
    /// Whether channels can be connected: an app is set up (always, for automatic setup).
    pub configured: bool,
    /// The app's client id, when set up. The secret is never returned.
    pub client_id: Option<String>,
    /// The address to register as the app's redirect (callback) URI at the network, exactly.
    #[schema(example = "https://owlery.example.com/oauth/callback/x")]
    pub redirect_uri: String,
    pub updated_at: Option<DateTime<Utc>>,
}

list_of!(NetworkAppList, NetworkApp);

fn item(
    state: &AppState,
    network: Network,
    auth: AuthKind,
    app: Option<&owlery_store::oauth::NetworkApp>,
) -> NetworkApp {
    let automatic = connect::registers_itself(network) && auth == AuthKind::Standard;
    NetworkApp {
        network: network.code().to_owned(),
        service: app.and_then(|a| a.server().map(str::to_owned)),
        auth_kind: auth.code().to_owned(),
        setup: if automatic {
            Setup::Automatic
        } else {
            Setup::Manual
        },
        configured: automatic || app.is_some(),
        client_id: app.map(|a| a.client_id.clone()),
        redirect_uri: connect::redirect_uri(state, network),
        updated_at: app.map(|a| a.updated_at),
    }
}

/// Every network connected with OAuth and the organisation's app on it, then Mastodon's
/// per-server apps.
#[utoipa::path(
    get,
    path = "/network-apps",
    tag = "network-apps",
    responses(
        (status = 200, description = "The networks and their apps", body = NetworkAppList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_network_apps(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
) -> ApiResult<Json<NetworkAppList>> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    let org = crate::pages::load_organisation(&state).await?;
    let apps = state.store.network_apps(org.id).await?;
    let mut items = Vec::new();
    for network in connect::OAUTH_NETWORKS {
        for auth in AuthKind::of(network) {
            let own = apps
                .iter()
                .find(|a| a.network == network && a.service.as_deref() == app_service(auth, None));
            items.push(item(&state, network, auth, own));
        }
    }
    items.extend(
        apps.iter()
            .filter(|a| a.server().is_some())
            .map(|a| item(&state, a.network, AuthKind::Standard, Some(a))),
    );
    Ok(Json(NetworkAppList::whole(items)))
}

/// The app's credentials, from the network's developer portal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetNetworkApp {
    pub client_id: String,
    /// Stored sealed; never returned or logged.
    #[schema(format = Password)]
    pub client_secret: String,
    /// Mastodon only: the server the app belongs to (`mastodon.social`).
    #[serde(default)]
    pub service: Option<String>,
    /// TikTok only: `tiktok_business` for the TikTok API for Business's app (business accounts);
    /// absent or `standard` for the network's usual app.
    #[serde(default)]
    pub auth_kind: Option<String>,
}

fn network_of(path: Result<Path<String>, PathRejection>) -> Result<Network, AppError> {
    let Path(code) = path.map_err(|_| AppError::not_found("network"))?;
    Network::parse(&code).ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("'{code}' is not a network Owlery knows."),
        )
    })
}

/// Set (or replace) the organisation's app on a network.
#[utoipa::path(
    put,
    path = "/network-apps/{network}",
    tag = "network-apps",
    params(("network" = String, Path, description = "The network code")),
    request_body = SetNetworkApp,
    responses(
        (status = 200, description = "Set", body = NetworkApp),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such network", body = ErrorBody),
        (status = 422, description = "A field is not valid, or the network is not connected with OAuth", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_network_app(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    Json(body): Json<SetNetworkApp>,
) -> ApiResult<Json<NetworkApp>> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    let network = network_of(path)?;
    let auth = connect::auth_kind(network, body.auth_kind.as_deref().unwrap_or_default())?;
    let app = connect::set_app_for(
        &state,
        &principal,
        network,
        auth,
        body.service.as_deref(),
        &body.client_id,
        &body.client_secret,
    )
    .await?;
    Ok(Json(item(&state, network, auth, Some(&app))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Mastodon: the server whose app to forget.
    pub service: Option<String>,
    /// TikTok: `tiktok_business` to forget the TikTok API for Business's app.
    pub auth_kind: Option<String>,
}

/// Remove the organisation's app on a network. Connected channels keep working until their
/// tokens need renewing; new ones cannot be connected until an app is set up again.
#[utoipa::path(
    delete,
    path = "/network-apps/{network}",
    tag = "network-apps",
    params(("network" = String, Path, description = "The network code"), DeleteParams),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs org:manage", body = ErrorBody),
        (status = 404, description = "No such network, or no app set up on it", body = ErrorBody),
        (status = 422, description = "The server address is not valid", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_network_app(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    Query(params): Query<DeleteParams>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    let network = network_of(path)?;
    let service = params
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(connect::mastodon_server)
        .transpose()?;
    let auth = connect::auth_kind(network, params.auth_kind.as_deref().unwrap_or_default())?;
    let org = crate::pages::load_organisation(&state).await?;
    state
        .store
        .delete_network_app(
            &principal.actor(),
            org.id,
            network,
            app_service(auth, service.as_deref()),
        )
        .await
        .map_err(|e| match e {
            owlery_store::StoreError::NotFound(_) => AppError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("No {} app is set up.", network.label()),
            ),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
