//! Connecting channels with OAuth 2.0 (authorization code, PKCE where the network takes it), shared
//! by the settings pages and the network-apps API.
//!
//! 1. [`start`]: a person with `channels:manage` on a workspace picks a network (and, on Mastodon,
//!    a server: Owlery registers its app there the first time). A pending attempt is stored —
//!    the SHA-256 of `state`, the PKCE verifier sealed, who, where, ten minutes, one use — and the
//!    person is sent to the network's authorization address.
//! 2. [`finish`]: the network sends them back to `/oauth/callback/{network}`. The attempt is used
//!    up whatever happens next; it must be the same person's, for the same network. The code is
//!    exchanged for tokens, the connector lists the accounts the grant can post as (its own
//!    follow-up steps: long-lived tokens, Page tokens, organisation roles, boards), and then
//!    either one channel is made, or the accounts wait (sealed) for [`choose`], or — when the
//!    attempt reconnects a channel — that channel's credentials are replaced.
//!
//! A network may offer more than one way to connect ([`AuthKind`]): TikTok's Login Kit (a personal
//! grant, for publishing) and the TikTok API for Business's account authorization (a business
//! account, whose comments the inbox reads and answers). The kind is chosen on the connect page,
//! carried by the attempt, decides the organisation's app (its own app for the API for Business,
//! [`app_service`]) and the connector's flow ([`DynConnector::oauth_for`],
//! [`DynConnector::accounts_from_code`]), and is kept in the channel's credentials; reconnecting
//! keeps the channel's kind.
//!
//! **Upgrading** ([`AuthKind::upgrades_to`]): a TikTok account connected with a personal login can
//! become the same channel connected as a business account — from the channel ("Reconnect as a
//! business account", a reconnect attempt of the business kind) or by connecting the account as a
//! business account anew (its handle is a channel's already: the `channels_identity` index made
//! that a 409 before). The channel keeps its id, so its posts, history and inbox; its credential
//! and kind are replaced ([`owlery_store::Store::upgrade_channel`], audited `channel.upgrade`). The
//! two ways of connecting name the account with different ids (an `open_id` is per app), so the
//! match is usually by handle only, and a handle can change hands: then the grant waits (sealed,
//! as a choice does) for the person to confirm it is the same account ([`upgrade_offer`],
//! [`confirm_upgrade`]). The reverse — a personal login for a channel connected as a business
//! account — is refused with the reason (`would_downgrade`): it would silently stop the channel's
//! comments being read and answered, and a personal login adds nothing a business channel lacks in
//! Owlery but publishing, which is better served by a separate decision than by a side effect.
//!
//! Secrets (client secrets, verifiers, tokens) are sealed by the vault before they are stored,
//! opened only here on the way to the network, and never logged, audited or shown. Errors are
//! [`AppError`]s with stable codes (`app_not_configured`, `unknown_state` …); the pages translate
//! them by code.

use std::time::SystemTime;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, InvalidInput, Permission, Target, WorkspaceId,
    org::{AuthKind, Network, parse_handle},
    user::DisplayName,
};
use owlery_networks::{
    AccountKind, AppCredentials, ConnectorError, DynConnector, GrantedAccount, mastodon, oauth,
};
use owlery_store::{
    StoreError,
    oauth::{
        Attempt, NetworkApp, NewAttempt, NewNetworkApp, Taken, UpgradeMatch, app_service,
        attempt_accounts_purpose, attempt_verifier_purpose, network_app_purpose,
    },
    org::{Channel, ChannelCredential, channel_credential_purpose, channel_refresh_purpose},
    sessions::hash_secret,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{auth::Principal, error::AppError, state::AppState};

/// The networks connected with OAuth 2.0, in the order the pages show them.
pub const OAUTH_NETWORKS: [Network; 9] = [
    Network::X,
    Network::FacebookPage,
    Network::Instagram,
    Network::Threads,
    Network::Linkedin,
    Network::Tiktok,
    Network::Youtube,
    Network::Pinterest,
    Network::Mastodon,
];

/// Whether `network` is connected through OAuth (and has an app to configure or register).
pub fn is_oauth(network: Network) -> bool {
    OAUTH_NETWORKS.contains(&network)
}

/// Whether the network's apps are registered by Owlery on each server (Mastodon) rather than
/// configured by a person.
pub fn registers_itself(network: Network) -> bool {
    network == Network::Mastodon
}

/// The address the network sends people back to: register exactly this at the network.
pub fn redirect_uri(state: &AppState, network: Network) -> String {
    state
        .config
        .link(&format!("/oauth/callback/{}", network.code()))
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
    AppError::new(status, code, message)
}

fn connector_for(
    state: &AppState,
    network: Network,
) -> Result<std::sync::Arc<dyn DynConnector>, AppError> {
    if !is_oauth(network) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_oauth",
            format!(
                "{} is not connected with OAuth: {}",
                network.label(),
                match network {
                    Network::Bluesky => "connect it with the account's app password.",
                    _ => "it needs no app.",
                }
            ),
        ));
    }
    state.connectors.get(network).ok_or_else(|| {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "network_unavailable",
            format!("This server has no {} connector.", network.label()),
        )
    })
}

/// What a network error means for the person connecting.
fn network_error(network: Network, e: &ConnectorError) -> AppError {
    match e {
        ConnectorError::Auth { reason } | ConnectorError::Permanent { reason } => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "network_refused",
            format!("{} refused the connection: {reason}", network.label()),
        ),
        other => error(
            StatusCode::BAD_GATEWAY,
            "network_unreachable",
            format!(
                "{} could not be reached to finish connecting ({other}). Try again in a moment.",
                network.label()
            ),
        ),
    }
}

/// An app's secret, opened.
fn open_app(state: &AppState, app: &NetworkApp) -> Result<AppCredentials, AppError> {
    let secret = state
        .vault
        .open(
            &network_app_purpose(app.network, app.service.as_deref()),
            &app.secret_sealed,
        )
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "app_unreadable",
                format!(
                    "The {} app's secret cannot be opened with this server's key: enter it again \
                     under Settings → Network apps.",
                    app.network.label()
                ),
            )
        })?;
    Ok(AppCredentials {
        client_id: app.client_id.clone(),
        client_secret: SecretString::from(secret),
    })
}

/// A Mastodon server address as Owlery keeps it (`https://host[:port]`), or a 422 about `server`.
pub fn mastodon_server(raw: &str) -> Result<String, AppError> {
    if raw.trim().is_empty() {
        return Err(InvalidInput::new(
            "server",
            "required",
            "Enter the Mastodon server's address, such as mastodon.social.",
        )
        .into());
    }
    mastodon::instance_url(raw).map_err(|_| {
        InvalidInput::new(
            "server",
            "invalid_server",
            "This is not a server address: enter one such as mastodon.social or https://hachyderm.io.",
        )
        .into()
    })
}

/// Check and tidy an app's client id and secret as a person typed them.
pub fn parse_app(client_id: &str, client_secret: &str) -> Result<(String, String), AppError> {
    let id = client_id.trim();
    if id.is_empty() {
        return Err(
            InvalidInput::new("client_id", "required", "Enter the app's client id.").into(),
        );
    }
    if id.chars().count() > 300 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidInput::new(
            "client_id",
            "invalid_client_id",
            "A client id has no spaces and is 300 characters at most.",
        )
        .into());
    }
    let secret = client_secret.trim();
    if secret.is_empty() {
        return Err(InvalidInput::new(
            "client_secret",
            "required",
            "Enter the app's client secret.",
        )
        .into());
    }
    if secret.chars().count() > 1000 || secret.chars().any(char::is_control) {
        return Err(InvalidInput::new(
            "client_secret",
            "invalid_client_secret",
            "A client secret is one line of 1,000 characters at most.",
        )
        .into());
    }
    Ok((id.to_owned(), secret.to_owned()))
}

/// The kind of connection a form or request named (`auth`: empty is the standard one), if
/// `network` offers it; else a 422 about `auth`.
pub fn auth_kind(network: Network, raw: &str) -> Result<AuthKind, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(AuthKind::Standard);
    }
    AuthKind::parse(raw)
        .filter(|k| k.fits(network))
        .ok_or_else(|| unfit(network, raw))
}

/// A 422 about `auth`: `network` has no such way of connecting.
fn unfit(network: Network, raw: &str) -> AppError {
    InvalidInput::new(
        "auth",
        "unknown_auth_kind",
        format!(
            "{} has no way of connecting called '{}'.",
            network.label(),
            raw.chars().take(40).collect::<String>()
        ),
    )
    .into()
}

/// What is missing when the organisation has no app for a kind of connection.
fn app_missing(network: Network, auth: AuthKind) -> AppError {
    match auth {
        AuthKind::Standard => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "app_not_configured",
            format!(
                "The organisation's {} app is not set up yet: an administrator adds its client id \
                 and secret under Settings → Network apps.",
                network.label()
            ),
        ),
        AuthKind::TiktokBusiness => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "business_app_not_configured",
            "The organisation's TikTok API for Business app is not set up yet: an administrator \
             adds its app id and secret under Settings → Network apps.",
        ),
    }
}

/// Set the organisation's app on `network` (sealing the secret). Needs `org:manage`.
pub async fn set_app(
    state: &AppState,
    principal: &Principal,
    network: Network,
    service: Option<&str>,
    client_id: &str,
    client_secret: &str,
) -> Result<NetworkApp, AppError> {
    set_app_for(
        state,
        principal,
        network,
        AuthKind::Standard,
        service,
        client_id,
        client_secret,
    )
    .await
}

/// Set the organisation's app for one kind of connection on `network` (the TikTok API for
/// Business's app beside TikTok's Login Kit app). Needs `org:manage`.
pub async fn set_app_for(
    state: &AppState,
    principal: &Principal,
    network: Network,
    auth: AuthKind,
    service: Option<&str>,
    client_id: &str,
    client_secret: &str,
) -> Result<NetworkApp, AppError> {
    principal.require(Permission::OrgManage, Target::Organisation)?;
    connector_for(state, network)?;
    if !auth.fits(network) {
        return Err(unfit(network, auth.code()));
    }
    let service = match (
        registers_itself(network) && auth == AuthKind::Standard,
        service.map(str::trim),
    ) {
        (true, Some(raw)) if !raw.is_empty() => Some(mastodon_server(raw)?),
        (true, _) => {
            return Err(InvalidInput::new(
                "service",
                "required",
                "Mastodon apps belong to one server: give its address as `service`.",
            )
            .into());
        }
        (false, _) => None,
    };
    if let Some(server) = &service {
        crate::server_guard::check_field(server, state.config.allow_private_servers, "service")
            .await?;
    }
    let (client_id, client_secret) = parse_app(client_id, client_secret)?;
    let org = crate::pages::load_organisation(state).await?;
    let service = app_service(auth, service.as_deref()).map(str::to_owned);
    let sealed = state
        .vault
        .seal(
            &network_app_purpose(network, service.as_deref()),
            client_secret.as_bytes(),
        )
        .map_err(AppError::internal)?;
    let app = state
        .store
        .set_network_app(
            &principal.actor(),
            org.id,
            &NewNetworkApp {
                network,
                service: service.as_deref(),
                client_id: &client_id,
                secret_sealed: &sealed,
                registered: false,
            },
        )
        .await?;
    // Networks that push get their webhook address (and Meta its verify token) at once.
    if auth == AuthKind::Standard && owlery_networks::webhook::events::Family::of(network).is_some()
    {
        crate::webhooks::ensure(state, &principal.actor(), org.id, network).await?;
    }
    Ok(app)
}

/// What [`start`] needs to know.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    pub workspace: Option<WorkspaceId>,
    /// Reconnect this channel (its workspace and network win).
    pub channel: Option<ChannelId>,
    /// Mastodon: the server, as typed.
    pub server: Option<String>,
    /// Which way to connect (TikTok: a business account). Reconnecting keeps the channel's,
    /// unless this is one the channel's kind upgrades to ("Reconnect as a business account").
    pub auth: AuthKind,
}

/// Begin connecting: returns the network's authorization address to send the person to.
pub async fn start(
    state: &AppState,
    principal: &Principal,
    network: Network,
    req: StartRequest,
) -> Result<String, AppError> {
    let connector = connector_for(state, network)?;
    // Reconnecting: the channel says where, and which server.
    let (workspace, channel, stored_service, auth) = match req.channel {
        Some(id) => {
            let channel = state.store.channel(id).await?;
            principal.require(
                Permission::ChannelsManage,
                Target::Channel {
                    workspace: channel.workspace_id,
                    channel: id,
                },
            )?;
            if channel.network != network || channel.simulated {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "not_reconnectable",
                    format!(
                        "This channel is not a {} account Owlery can reconnect.",
                        network.label()
                    ),
                ));
            }
            let (service, current) = state
                .store
                .channel_credential(id)
                .await?
                .map(|c| (c.service, c.auth))
                .unwrap_or_default();
            let auth = if current.upgrades_to(req.auth) && req.auth.fits(network) {
                req.auth
            } else {
                current
            };
            (channel.workspace_id, Some(id), service, auth)
        }
        None => {
            let workspace = req.workspace.ok_or_else(|| {
                AppError::from(InvalidInput::new(
                    "workspace_id",
                    "required",
                    "Choose the workspace the channel belongs to.",
                ))
            })?;
            principal.require(Permission::ChannelsManage, Target::Workspace(workspace))?;
            match state.store.workspace(workspace).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(InvalidInput::new(
                        "workspace_id",
                        "unknown_workspace",
                        "There is no workspace with this id.",
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
            if !req.auth.fits(network) {
                return Err(unfit(network, req.auth.code()));
            }
            (workspace, None, None, req.auth)
        }
    };
    let org = crate::pages::load_organisation(state).await?;
    let redirect = redirect_uri(state, network);
    let service = if registers_itself(network) && auth == AuthKind::Standard {
        Some(match stored_service {
            Some(s) => s,
            None => mastodon_server(req.server.as_deref().unwrap_or_default())?,
        })
    } else {
        None
    };
    // The server is fetched from here on (registration, the code exchange): never a private one.
    if let Some(server) = &service {
        crate::server_guard::check_field(server, state.config.allow_private_servers, "server")
            .await?;
    }
    let app = match state
        .store
        .network_app(org.id, network, app_service(auth, service.as_deref()))
        .await?
    {
        Some(app) => open_app(state, &app)?,
        None => match service.as_deref() {
            Some(server) => {
                register(state, principal, &*connector, org.id, server, &redirect).await?
            }
            None => return Err(app_missing(network, auth)),
        },
    };
    let spec = connector
        .oauth_for(auth, service.as_deref())
        .ok_or_else(|| {
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "network_unavailable",
                format!("{} cannot be connected with OAuth here.", network.label()),
            )
        })?;
    let pending = oauth::Pending::new();
    let id = Uuid::now_v7();
    let verifier_sealed = state
        .vault
        .seal(
            &attempt_verifier_purpose(id),
            pending.verifier.expose_secret().as_bytes(),
        )
        .map_err(AppError::internal)?;
    let address = oauth::authorize_url(&spec, &app.client_id, &redirect, &pending)
        .map_err(|e| network_error(network, &e))?;
    state
        .store
        .start_oauth_attempt(&NewAttempt {
            id,
            state_hash: hash_secret(&pending.state),
            user_id: principal.user.id,
            workspace_id: workspace,
            channel_id: channel,
            network,
            service,
            auth,
            verifier_sealed,
        })
        .await?;
    tracing::info!(
        channel.network = network.code(),
        channel.auth = auth.code(),
        workspace.id = %workspace,
        reconnect = channel.is_some(),
        "sending a person to the network to connect a channel"
    );
    Ok(address)
}

/// Register Owlery on a Mastodon server and keep the app (sealed, audited as registered).
async fn register(
    state: &AppState,
    principal: &Principal,
    connector: &dyn DynConnector,
    org: owlery_domain::OrgId,
    server: &str,
    redirect: &str,
) -> Result<AppCredentials, AppError> {
    let network = connector.network();
    let app = connector
        .register_client(server, redirect)
        .await
        .map_err(|e| match e {
            ConnectorError::Auth { reason } | ConnectorError::Permanent { reason } => {
                AppError::from(InvalidInput::new(
                    "server",
                    "registration_refused",
                    format!("The server {server} did not let Owlery register: {reason}"),
                ))
            }
            other => error(
                StatusCode::BAD_GATEWAY,
                "network_unreachable",
                format!("The server {server} could not be reached ({other}). Check the address."),
            ),
        })?
        .ok_or_else(|| {
            error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "app_not_configured",
                format!("{} apps are not registered automatically.", network.label()),
            )
        })?;
    let sealed = state
        .vault
        .seal(
            &network_app_purpose(network, Some(server)),
            app.client_secret.expose_secret().as_bytes(),
        )
        .map_err(AppError::internal)?;
    state
        .store
        .set_network_app(
            &principal.actor(),
            org,
            &NewNetworkApp {
                network,
                service: Some(server),
                client_id: &app.client_id,
                secret_sealed: &sealed,
                registered: true,
            },
        )
        .await?;
    tracing::info!(
        channel.network = network.code(),
        network.server = server,
        "registered Owlery's app on the server"
    );
    Ok(app)
}

/// The query of `/oauth/callback/{network}`: the code and state, or the network's error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// How a callback ended.
#[derive(Debug)]
pub enum Finished {
    /// New channels.
    Connected(Vec<Channel>),
    /// The channel being reconnected, connected again.
    Reconnected(Channel),
    /// A channel connected another way (a personal TikTok login) is now connected this way (the
    /// same account as a business account): same channel, new credential and kind.
    Upgraded(Channel),
    /// The grant's account has the handle of a channel connected another way, and only the handle
    /// matches: the person confirms it is the same account first ([`upgrade_offer`]).
    ConfirmUpgrade(Uuid),
    /// Several accounts: the person chooses ([`choices`], [`choose`]).
    Choose(Uuid),
    /// The person (or the network) said no; `error` is the network's code.
    Declined {
        error: String,
        description: Option<String>,
    },
}

/// One account as it waits for a choice, tokens included (sealed as a whole).
#[derive(Serialize, Deserialize)]
struct Stored {
    kind: String,
    id: String,
    handle: String,
    name: String,
    secret: String,
    refresh: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

impl From<&GrantedAccount> for Stored {
    fn from(a: &GrantedAccount) -> Stored {
        Stored {
            kind: a.kind.code().to_owned(),
            id: a.id.clone(),
            handle: a.handle.clone(),
            name: a.name.clone(),
            secret: a.secret.expose_secret().to_owned(),
            refresh: a.refresh.as_ref().map(|r| r.expose_secret().to_owned()),
            expires_at: a.expires_at.map(Into::into),
        }
    }
}

impl Stored {
    fn into_account(self) -> GrantedAccount {
        GrantedAccount {
            kind: AccountKind::parse(&self.kind).unwrap_or(AccountKind::Profile),
            id: self.id,
            handle: self.handle,
            name: self.name,
            secret: SecretString::from(self.secret),
            refresh: self.refresh.map(SecretString::from),
            expires_at: self.expires_at.map(Into::into),
        }
    }
}

/// Finish connecting, where the network sent the person back.
pub async fn finish(
    state: &AppState,
    principal: &Principal,
    network: Network,
    query: Callback,
) -> Result<Finished, AppError> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let state_param = nonempty(&query.state);
    if let Some(code) = nonempty(&query.error) {
        // Use the attempt up, whoever's it is: the same state never works again.
        if let Some(s) = &state_param {
            state.store.take_oauth_attempt(&hash_secret(s)).await?;
        }
        return Ok(Finished::Declined {
            error: code.chars().take(100).collect(),
            description: nonempty(&query.error_description).map(|d| d.chars().take(300).collect()),
        });
    }
    let Some(state_param) = state_param else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "missing_state",
            "The network sent you back without the connection's state: start connecting again.",
        ));
    };
    let attempt = match state
        .store
        .take_oauth_attempt(&hash_secret(&state_param))
        .await?
    {
        Taken::Attempt(a) => a,
        Taken::Expired => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "expired_state",
                "Connecting took longer than 10 minutes, so this link no longer works: start again.",
            ));
        }
        Taken::Unknown => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "unknown_state",
                "This connection link was already used or is not one Owlery made: start connecting again.",
            ));
        }
    };
    if attempt.network != network {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "wrong_network",
            "This connection was started for another network: start connecting again.",
        ));
    }
    if attempt.user_id != principal.user.id {
        return Err(error(
            StatusCode::FORBIDDEN,
            "not_your_connection",
            "Someone else started this connection; only they can finish it.",
        ));
    }
    let Some(code) = nonempty(&query.code) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "missing_code",
            "The network sent you back without an authorization code: start connecting again.",
        ));
    };
    let target = match attempt.channel_id {
        Some(channel) => Target::Channel {
            workspace: attempt.workspace_id,
            channel,
        },
        None => Target::Workspace(attempt.workspace_id),
    };
    principal.require(Permission::ChannelsManage, target)?;

    let connector = connector_for(state, network)?;
    let service = attempt.service.as_deref();
    let org = crate::pages::load_organisation(state).await?;
    let app = match state
        .store
        .network_app(org.id, network, app_service(attempt.auth, service))
        .await?
    {
        Some(app) => open_app(state, &app)?,
        None => {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "app_not_configured",
                format!(
                    "The organisation's {} app was removed while you were connecting.",
                    network.label()
                ),
            ));
        }
    };
    let redirect = redirect_uri(state, network);
    // A kind of connection whose token endpoint is the network's own: it exchanges the code and
    // names the account itself.
    if let Some(accounts) = connector
        .accounts_from_code(attempt.auth, &app, &code, &redirect)
        .await
        .map_err(|e| network_error(network, &e))?
    {
        return connected(state, principal, &attempt, network, accounts).await;
    }
    let verifier = state
        .vault
        .open(
            &attempt_verifier_purpose(attempt.id),
            &attempt.verifier_sealed,
        )
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(SecretString::from)
        .ok_or_else(|| AppError::internal("an attempt's verifier does not open"))?;
    let spec = connector
        .oauth_for(attempt.auth, service)
        .ok_or_else(|| AppError::internal("the connector lost its OAuth spec"))?;
    let http = owlery_networks::http::client(Default::default()).map_err(AppError::internal)?;
    let grant = oauth::exchange_code(
        &http,
        &spec,
        &app,
        &code,
        &redirect,
        Some(&verifier),
        SystemTime::now(),
    )
    .await
    .map_err(|e| network_error(network, &e))?;
    let accounts = connector
        .granted_accounts(&app, grant, service)
        .await
        .map_err(|e| network_error(network, &e))?;
    connected(state, principal, &attempt, network, accounts).await
}

/// What the grant's accounts become: the channel reconnected, one channel, or a choice.
async fn connected(
    state: &AppState,
    principal: &Principal,
    attempt: &Attempt,
    network: Network,
    accounts: Vec<GrantedAccount>,
) -> Result<Finished, AppError> {
    if accounts.is_empty() {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_accounts",
            no_accounts_message(network),
        ));
    }
    if let Some(channel) = attempt.channel_id {
        return reconnect(state, principal, attempt, channel, accounts).await;
    }
    if let [only] = accounts.as_slice() {
        if let Some(done) = same_handle(state, principal, attempt, only).await? {
            return Ok(done);
        }
        let channel = create(state, principal, attempt, only).await?;
        return Ok(Finished::Connected(vec![channel]));
    }
    keep_waiting(state, attempt, &accounts).await?;
    Ok(Finished::Choose(attempt.id))
}

/// Keep a used attempt's accounts (sealed) for the person's next step: a choice, or confirming an
/// upgrade.
async fn keep_waiting(
    state: &AppState,
    attempt: &Attempt,
    accounts: &[GrantedAccount],
) -> Result<(), AppError> {
    let stored: Vec<Stored> = accounts.iter().map(Stored::from).collect();
    let json = serde_json::to_vec(&stored).map_err(AppError::internal)?;
    let sealed = state
        .vault
        .seal(&attempt_accounts_purpose(attempt.id), &json)
        .map_err(AppError::internal)?;
    state.store.keep_oauth_choices(attempt.id, &sealed).await?;
    Ok(())
}

/// A new connection whose account has the handle of a channel connected another way: an upgrade
/// (at once when the network named the same account id, else once the person confirms), or a
/// refused downgrade. `None`: no such channel (or one of the same kind, which [`create`] refuses
/// as already connected).
async fn same_handle(
    state: &AppState,
    principal: &Principal,
    attempt: &Attempt,
    account: &GrantedAccount,
) -> Result<Option<Finished>, AppError> {
    let Ok(handle) = parse_handle(&account.handle) else {
        return Ok(None);
    };
    let Some(existing) = state
        .store
        .channel_by_handle(attempt.network, &handle)
        .await?
        .filter(|c| !c.simulated)
    else {
        return Ok(None);
    };
    let Some(credential) = state.store.channel_credential(existing.id).await? else {
        return Ok(None);
    };
    if attempt.auth.upgrades_to(credential.auth) {
        return Err(downgrade_refused(&existing));
    }
    if !credential.auth.upgrades_to(attempt.auth) {
        return Ok(None);
    }
    if !principal.access.can(
        Permission::ChannelsManage,
        Target::Channel {
            workspace: existing.workspace_id,
            channel: existing.id,
        },
    ) {
        return Err(error(
            StatusCode::CONFLICT,
            "upgrade_not_allowed",
            format!(
                "@{handle} is already a channel, connected with a personal login, in a workspace \
                 where you cannot manage channels: ask someone who can to use \"Reconnect as a \
                 business account\" on it."
            ),
        ));
    }
    if credential.account_id == account.id {
        let channel = upgrade(
            state,
            principal,
            attempt,
            &existing,
            account,
            UpgradeMatch::Account,
        )
        .await?;
        return Ok(Some(Finished::Upgraded(channel)));
    }
    keep_waiting(state, attempt, std::slice::from_ref(account)).await?;
    Ok(Some(Finished::ConfirmUpgrade(attempt.id)))
}

/// A personal login for a channel connected as a business account: refused, nothing changed.
fn downgrade_refused(channel: &Channel) -> AppError {
    error(
        StatusCode::CONFLICT,
        "would_downgrade",
        format!(
            "@{} is connected as a {} business account, whose comments Owlery reads and answers. \
             A personal login cannot do that, so Owlery keeps the business connection and \
             changed nothing. To renew it, use Reconnect on that channel.",
            channel.handle,
            channel.network.label()
        ),
    )
}

/// Replace a channel's credential and kind with the grant's (sealed under the channel's id).
async fn upgrade(
    state: &AppState,
    principal: &Principal,
    attempt: &Attempt,
    channel: &Channel,
    account: &GrantedAccount,
    matched: UpgradeMatch,
) -> Result<Channel, AppError> {
    let credential = credential_for(state, channel.id, account, attempt)?;
    let upgraded = state
        .store
        .upgrade_channel(&principal.actor(), channel.id, &credential, matched)
        .await?;
    tracing::info!(
        channel.id = %channel.id,
        channel.network = attempt.network.code(),
        channel.auth = attempt.auth.code(),
        same_account_by = matched.code(),
        "upgraded a channel's connection"
    );
    Ok(upgraded)
}

fn no_accounts_message(network: Network) -> String {
    match network {
        Network::FacebookPage => {
            "This Facebook login manages no Page Owlery may post to: sign in as a Page's admin, and \
             allow every Page when Facebook asks."
                .into()
        }
        Network::Instagram => {
            "No Instagram professional account is linked to a Page this login manages: link the \
             Instagram account to a Facebook Page first."
                .into()
        }
        Network::Pinterest => "This Pinterest account has no board yet: create one first.".into(),
        Network::Youtube => {
            "This Google account has no YouTube channel: create one, then connect again.".into()
        }
        other => format!("{} named no account Owlery can post as.", other.label()),
    }
}

/// Seal an account's tokens under a channel's id.
fn credential_for(
    state: &AppState,
    id: ChannelId,
    account: &GrantedAccount,
    attempt: &Attempt,
) -> Result<ChannelCredential, AppError> {
    let service = attempt.service.as_deref();
    let sealed = state
        .vault
        .seal(
            &channel_credential_purpose(id),
            account.secret.expose_secret().as_bytes(),
        )
        .map_err(AppError::internal)?;
    let refresh_sealed = account
        .refresh
        .as_ref()
        .map(|r| {
            state
                .vault
                .seal(&channel_refresh_purpose(id), r.expose_secret().as_bytes())
                .map_err(AppError::internal)
        })
        .transpose()?;
    Ok(ChannelCredential {
        service: service.map(str::to_owned),
        account_id: account.id.clone(),
        sealed,
        refresh_sealed,
        expires_at: account.expires_at.map(Into::into),
        auth: attempt.auth,
    })
}

/// Make the channel of one account in the attempt's workspace.
async fn create(
    state: &AppState,
    principal: &Principal,
    attempt: &Attempt,
    account: &GrantedAccount,
) -> Result<Channel, AppError> {
    let handle = parse_handle(&account.handle)
        .or_else(|_| parse_handle(&account.id))
        .map_err(|_| AppError::internal("the network named an account without a usable handle"))?;
    let name = DisplayName::parse("name", &account.name)
        .or_else(|_| DisplayName::parse("name", &handle))
        .map_err(AppError::from)?;
    let id = ChannelId::new();
    let credential = credential_for(state, id, account, attempt)?;
    let channel = state
        .store
        .create_connected_channel(
            &principal.actor(),
            attempt.workspace_id,
            attempt.network,
            &name,
            &handle,
            id,
            &credential,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => error(
                StatusCode::CONFLICT,
                "already_connected",
                format!(
                    "@{handle} is already a channel. To renew its connection, use Reconnect on \
                     that channel."
                ),
            ),
            other => other.into(),
        })?;
    tracing::info!(channel.id = %channel.id, channel.network = attempt.network.code(), "connected a channel");
    Ok(channel)
}

/// Replace a channel's credentials with the grant's for the same account.
async fn reconnect(
    state: &AppState,
    principal: &Principal,
    attempt: &Attempt,
    channel: ChannelId,
    accounts: Vec<GrantedAccount>,
) -> Result<Finished, AppError> {
    let current = state.store.channel(channel).await?;
    let stored = state.store.channel_credential(channel).await?;
    let kind = stored.as_ref().map(|c| c.auth).unwrap_or_default();
    if kind != attempt.auth {
        if !kind.upgrades_to(attempt.auth) {
            // Started before the channel changed kind (it was upgraded meanwhile).
            return Err(downgrade_refused(&current));
        }
        // "Reconnect as a business account": the same account id, or the channel's handle once
        // the person confirms.
        let known = stored.map(|c| c.account_id);
        if let Some(account) = accounts
            .iter()
            .find(|a| known.as_deref() == Some(a.id.as_str()))
        {
            let channel = upgrade(
                state,
                principal,
                attempt,
                &current,
                account,
                UpgradeMatch::Account,
            )
            .await?;
            return Ok(Finished::Upgraded(channel));
        }
        if let Some(account) = accounts
            .iter()
            .find(|a| parse_handle(&a.handle).is_ok_and(|h| h == current.handle))
        {
            keep_waiting(state, attempt, std::slice::from_ref(account)).await?;
            return Ok(Finished::ConfirmUpgrade(attempt.id));
        }
        return Err(different_account(attempt, &current));
    }
    let known = stored.map(|c| c.account_id);
    let account = accounts.into_iter().find(|a| match &known {
        Some(id) => a.id == *id,
        None => parse_handle(&a.handle).is_ok_and(|h| h == current.handle),
    });
    let Some(account) = account else {
        return Err(different_account(attempt, &current));
    };
    let credential = credential_for(state, channel, &account, attempt)?;
    let channel = state
        .store
        .reconnect_channel(&principal.actor(), channel, &credential)
        .await?;
    tracing::info!(channel.id = %channel.id, channel.network = attempt.network.code(), "reconnected a channel");
    Ok(Finished::Reconnected(channel))
}

fn different_account(attempt: &Attempt, current: &Channel) -> AppError {
    error(
        StatusCode::CONFLICT,
        "different_account",
        format!(
            "You signed in to {} as another account than @{}'s. Sign in as @{} (sign out of {} \
             first if needed), then reconnect again.",
            attempt.network.label(),
            current.handle,
            current.handle,
            attempt.network.label()
        ),
    )
}

/// An upgrade waiting for the person to confirm the account is the channel's.
#[derive(Debug, Clone)]
pub struct UpgradeOffer {
    pub attempt: Attempt,
    /// The channel that would be upgraded.
    pub channel: Channel,
    /// The account the network signed in, as it named it.
    pub handle: String,
    pub name: String,
}

/// The upgrade attempt `id` waits for: which channel, which account.
pub async fn upgrade_offer(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<UpgradeOffer, AppError> {
    let (attempt, account) = waiting_upgrade(state, principal, id).await?;
    let channel = upgrade_target(state, principal, &attempt, &account).await?;
    Ok(UpgradeOffer {
        attempt,
        channel,
        handle: parse_handle(&account.handle).unwrap_or_else(|_| account.handle.clone()),
        name: account.name,
    })
}

/// The person confirmed the account is the channel's: upgrade it (once).
pub async fn confirm_upgrade(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Channel, AppError> {
    let (attempt, account) = waiting_upgrade(state, principal, id).await?;
    let channel = upgrade_target(state, principal, &attempt, &account).await?;
    if !state.store.finish_oauth_attempt(attempt.id).await? {
        return Err(error(
            StatusCode::GONE,
            "choice_expired",
            "This confirmation was already given: look for the channel under Workspaces & channels.",
        ));
    }
    upgrade(
        state,
        principal,
        &attempt,
        &channel,
        &account,
        UpgradeMatch::HandleConfirmed,
    )
    .await
}

async fn waiting_upgrade(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(Attempt, GrantedAccount), AppError> {
    let (attempt, accounts) = waiting(state, principal, id).await?;
    let mut accounts = accounts.into_iter();
    match (accounts.next(), accounts.next()) {
        (Some(only), None) => Ok((attempt, only)),
        _ => Err(AppError::not_found("upgrade to confirm")),
    }
}

/// The channel an upgrade attempt is for, checked again: the person may manage it, it is still
/// connected the kind that upgrades to the attempt's, with the account's handle.
async fn upgrade_target(
    state: &AppState,
    principal: &Principal,
    attempt: &Attempt,
    account: &GrantedAccount,
) -> Result<Channel, AppError> {
    let handle = parse_handle(&account.handle).ok();
    let channel = match attempt.channel_id {
        Some(id) => Some(state.store.channel(id).await?),
        None => match &handle {
            Some(h) => state.store.channel_by_handle(attempt.network, h).await?,
            None => None,
        },
    };
    let stale = || {
        error(
            StatusCode::CONFLICT,
            "upgrade_stale",
            "The channel changed since you signed in (it was upgraded, removed or renamed): \
             connect again.",
        )
    };
    let channel = channel.ok_or_else(stale)?;
    principal.require(
        Permission::ChannelsManage,
        Target::Channel {
            workspace: channel.workspace_id,
            channel: channel.id,
        },
    )?;
    let kind = state
        .store
        .channel_credential(channel.id)
        .await?
        .map(|c| c.auth)
        .ok_or_else(stale)?;
    if !kind.upgrades_to(attempt.auth) || handle.as_deref() != Some(channel.handle.as_str()) {
        return Err(stale());
    }
    Ok(channel)
}

/// An account to choose, as the chooser shows it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub kind: AccountKind,
    pub id: String,
    pub handle: String,
    pub name: String,
    /// Already a channel (on this network, with this handle).
    pub connected: bool,
}

/// The attempt waiting for the person's choice, and its accounts.
pub async fn choices(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(Attempt, Vec<Choice>), AppError> {
    let (attempt, accounts) = waiting(state, principal, id).await?;
    let existing: Vec<String> = state
        .store
        .list_channels(None)
        .await?
        .into_iter()
        .filter(|c| c.network == attempt.network)
        .map(|c| c.handle)
        .collect();
    let choices = accounts
        .into_iter()
        .map(|a| {
            let handle = parse_handle(&a.handle).unwrap_or_else(|_| a.id.clone());
            Choice {
                connected: existing.contains(&handle),
                kind: a.kind,
                id: a.id,
                handle,
                name: a.name,
            }
        })
        .collect();
    Ok((attempt, choices))
}

async fn waiting(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(Attempt, Vec<GrantedAccount>), AppError> {
    let attempt = state.store.oauth_choices(id).await?.ok_or_else(|| {
        error(
            StatusCode::GONE,
            "choice_expired",
            "This choice is no longer open (it was made, or 10 minutes passed): connect again.",
        )
    })?;
    if attempt.user_id != principal.user.id {
        return Err(error(
            StatusCode::FORBIDDEN,
            "not_your_connection",
            "Someone else started this connection; only they can finish it.",
        ));
    }
    principal.require(
        Permission::ChannelsManage,
        Target::Workspace(attempt.workspace_id),
    )?;
    let sealed = attempt
        .accounts_sealed
        .as_deref()
        .ok_or_else(|| AppError::internal("a waiting attempt without accounts"))?;
    let opened = state
        .vault
        .open(&attempt_accounts_purpose(attempt.id), sealed)
        .map_err(AppError::internal)?;
    let stored: Vec<Stored> = serde_json::from_slice(&opened).map_err(AppError::internal)?;
    Ok((
        attempt,
        stored.into_iter().map(Stored::into_account).collect(),
    ))
}

/// Connect the accounts chosen (by their ids). The choice is made once; accounts that are
/// already channels are skipped and named.
pub async fn choose(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    chosen: &[String],
) -> Result<(Vec<Channel>, Vec<String>), AppError> {
    let (attempt, accounts) = waiting(state, principal, id).await?;
    let picked: Vec<GrantedAccount> = accounts
        .into_iter()
        .filter(|a| chosen.contains(&a.id))
        .collect();
    if picked.is_empty() {
        return Err(InvalidInput::new(
            "account",
            "choose_one",
            "Choose at least one account to connect.",
        )
        .into());
    }
    if !state.store.finish_oauth_attempt(attempt.id).await? {
        return Err(error(
            StatusCode::GONE,
            "choice_expired",
            "This choice was already made: look for the channels under Workspaces & channels.",
        ));
    }
    let mut created = Vec::new();
    let mut skipped = Vec::new();
    for account in &picked {
        match create(state, principal, &attempt, account).await {
            Ok(c) => created.push(c),
            Err(e) if e.code == "already_connected" => skipped.push(account.handle.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok((created, skipped))
}
