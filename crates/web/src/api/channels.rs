//! `/channels`: accounts on social networks, each in a workspace. Each channel is shown only to
//! those who may read it; connecting one needs `channels:manage` on its workspace.
//!
//! Only the built-in `sandbox` network can be connected for now, plus *practice channels*: any
//! network with `"simulated": true`, whose posts never leave this server. The request is one
//! object whose `network` says which of the network-specific fields apply, so connectors add
//! optional fields (a Bluesky `service_url` and `app_password`, say) without changing what sandbox
//! clients send.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use owlery_domain::{
    InvalidInput, Permission, Target, WorkspaceId,
    org::{ChannelStatus, Network, parse_handle},
    user::DisplayName,
};
use owlery_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Json, Query, extract::parse_id, list::list_of};
use crate::{
    auth::ApiPrincipal,
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

/// A channel's connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connected,
    /// The network refused our credentials; someone has to connect it again.
    NeedsReconnect,
    Disconnected,
}

impl From<ChannelStatus> for ConnectionStatus {
    fn from(s: ChannelStatus) -> Self {
        match s {
            ChannelStatus::Connected => ConnectionStatus::Connected,
            ChannelStatus::NeedsReconnect => ConnectionStatus::NeedsReconnect,
            ChannelStatus::Disconnected => ConnectionStatus::Disconnected,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// The network code (`sandbox`).
    #[schema(example = "sandbox")]
    pub network: String,
    pub name: String,
    /// The account's handle on its network, without `@`.
    pub handle: String,
    pub status: ConnectionStatus,
    pub created_at: DateTime<Utc>,
    /// Posts to this channel never leave this server (the sandbox, or a practice channel).
    pub simulated: bool,
}

impl From<owlery_store::org::Channel> for Channel {
    fn from(c: owlery_store::org::Channel) -> Self {
        Channel {
            id: c.id.0,
            workspace_id: c.workspace_id.0,
            network: c.network.code().to_owned(),
            name: c.name,
            handle: c.handle,
            status: c.status.into(),
            created_at: c.created_at,
            simulated: c.simulated,
        }
    }
}

list_of!(ChannelList, Channel);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the channels of this workspace.
    pub workspace_id: Option<String>,
}

/// The channels the caller may read, by workspace and name.
#[utoipa::path(
    get,
    path = "/channels",
    tag = "channels",
    params(ListParams),
    responses(
        (status = 200, description = "Channels", body = ChannelList),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs channels:read somewhere", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_channels(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<ChannelList>> {
    principal.require_anywhere(Permission::ChannelsRead)?;
    let workspace = params
        .workspace_id
        .as_deref()
        .map(|raw| parse_id::<WorkspaceId>("workspace_id", raw))
        .transpose()?;
    let items = state
        .store
        .list_channels(workspace)
        .await?
        .into_iter()
        .filter(|c| {
            principal.access.can(
                Permission::ChannelsRead,
                Target::Channel {
                    workspace: c.workspace_id,
                    channel: c.id,
                },
            )
        })
        .map(Channel::from)
        .collect();
    Ok(Json(ChannelList::whole(items)))
}

/// A channel to connect. Which fields apply depends on `network`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannel {
    pub workspace_id: Uuid,
    /// The network: `sandbox` (built in, never leaves this server), or with `simulated` any of
    /// `x`, `facebook_page`, `instagram`, `threads`, `linkedin`, `tiktok`, `youtube`,
    /// `pinterest`, `bluesky`, `mastodon`; and `bluesky` connected for real with `service_url`,
    /// `handle` and `app_password`.
    #[schema(example = "sandbox")]
    pub network: String,
    /// A name for people (default: the handle).
    #[schema(example = "Owlery News")]
    #[serde(default)]
    pub name: Option<String>,
    /// The account's handle on its network (a leading `@` is dropped).
    #[schema(example = "owlery_news")]
    pub handle: String,
    /// A practice channel: it behaves like `network` (limits, previews) but its posts never leave
    /// this server. Required for any network but `sandbox`, which is always simulated.
    #[serde(default)]
    #[schema(default = false, example = false)]
    pub simulated: bool,
    /// Bluesky: the account's server (PDS), e.g. `https://bsky.social`.
    #[serde(default)]
    pub service_url: Option<String>,
    /// Bluesky: an app password (Settings → App passwords on Bluesky). Checked with the server
    /// before the channel is saved; stored sealed; never returned.
    #[serde(default)]
    #[schema(format = Password)]
    pub app_password: Option<String>,
}

/// Connect a channel in a workspace.
#[utoipa::path(
    post,
    path = "/channels",
    tag = "channels",
    request_body = CreateChannel,
    responses(
        (status = 201, description = "Connected", body = Channel),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs channels:manage on the workspace", body = ErrorBody),
        (status = 409, description = "This account is already a channel", body = ErrorBody),
        (status = 422, description = "A field is not valid, the workspace does not exist, the network is not supported, or the server refused the app password. A `service_url` that is not https or is (or resolves to) a loopback, private, link-local or reserved address is refused before anything is sent to it (`server_not_https`, `server_not_public`, `server_not_found`), unless the installation allows private servers", body = ErrorBody),
        (status = 502, description = "The network's server could not be reached to check the account", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_channel(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Json(body): Json<CreateChannel>,
) -> ApiResult<(StatusCode, Json<Channel>)> {
    let workspace = WorkspaceId(body.workspace_id);
    principal.require(Permission::ChannelsManage, Target::Workspace(workspace))?;
    let connectable = |n: &Network| *n == Network::Bluesky && body.app_password.is_some();
    let network = Network::parse(&body.network)
        .filter(|n| body.simulated || *n == Network::Sandbox || connectable(n))
        .ok_or_else(|| {
            let message = if Network::parse(&body.network).is_some() {
                format!(
                    "Owlery cannot connect to '{}' yet (connectors for other networks come later): \
                     only 'sandbox' is available now. Send \"simulated\": true for a practice \
                     channel whose posts never leave this server.",
                    body.network.trim()
                )
            } else {
                format!(
                    "'{}' is not a network Owlery knows: use 'sandbox', or with \"simulated\": true \
                     one of x, facebook_page, instagram, threads, linkedin, tiktok, youtube, \
                     pinterest, bluesky, mastodon.",
                    body.network.trim()
                )
            };
            AppError::from(InvalidInput::new(
                "network",
                "unsupported_network",
                message,
            ))
        })?;
    let handle = parse_handle(&body.handle)?;
    let name = DisplayName::parse("name", body.name.as_deref().unwrap_or(&handle))?;
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
    let channel = if network == Network::Bluesky && !body.simulated {
        connect_bluesky(&state, &principal, workspace, &name, &handle, &body).await?
    } else if body.simulated {
        state
            .store
            .create_practice_channel(&principal.actor(), workspace, network, &name, &handle)
            .await?
    } else {
        state
            .store
            .create_channel(&principal.actor(), workspace, network, &name, &handle)
            .await?
    };
    Ok((StatusCode::CREATED, Json(channel.into())))
}

/// Check a Bluesky handle and app password with its server, then keep the channel with the
/// password sealed under the channel's id. A refused password is a 422 that says so; a server
/// that cannot be reached is a 502 — and in neither case is anything saved.
async fn connect_bluesky(
    state: &AppState,
    principal: &crate::auth::Principal,
    workspace: WorkspaceId,
    name: &DisplayName,
    handle: &str,
    body: &CreateChannel,
) -> ApiResult<owlery_store::org::Channel> {
    use owlery_networks::{ConnectorError, Credentials};
    let service = body
        .service_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("https://bsky.social");
    match url::Url::parse(service) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => {
            return Err(InvalidInput::new(
                "service_url",
                "invalid_service_url",
                "The server must be a web address such as https://bsky.social.",
            )
            .into());
        }
    }
    let password = body.app_password.as_deref().unwrap_or_default().trim();
    if password.is_empty() {
        return Err(InvalidInput::new(
            "app_password",
            "required",
            "Give the account's app password (Bluesky → Settings → App passwords).",
        )
        .into());
    }
    // The password is sent to this server: never one on Owlery's own network.
    crate::server_guard::check_field(service, state.config.allow_private_servers, "service_url")
        .await?;
    let creds = Credentials::new(handle, password).with_service(service.trim_end_matches('/'));
    let connector = state.connectors.get(Network::Bluesky).ok_or_else(|| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "network_unavailable",
            "This server has no Bluesky connector.",
        )
    })?;
    let account = match connector.verify(&creds).await {
        Ok(account) => account,
        Err(ConnectorError::Auth { .. }) => {
            return Err(InvalidInput::new(
                "app_password",
                "credentials_refused",
                "The server refused this handle and app password; check both and try again.",
            )
            .into());
        }
        Err(e) => {
            return Err(AppError::new(
                StatusCode::BAD_GATEWAY,
                "network_unreachable",
                format!("The Bluesky server could not check the account: {e}"),
            ));
        }
    };
    let id = owlery_domain::ChannelId::new();
    let sealed = state
        .vault
        .seal(
            &owlery_store::org::channel_credential_purpose(id),
            password.as_bytes(),
        )
        .map_err(AppError::internal)?;
    let credential = owlery_store::org::ChannelCredential {
        service: Some(service.trim_end_matches('/').to_owned()),
        account_id: account.id,
        sealed,
        refresh_sealed: None,
        expires_at: None,
        auth: owlery_domain::org::AuthKind::Standard,
    };
    let canonical = parse_handle(&account.handle).unwrap_or_else(|_| handle.to_owned());
    Ok(state
        .store
        .create_connected_channel(
            &principal.actor(),
            workspace,
            Network::Bluesky,
            name,
            &canonical,
            id,
            &credential,
        )
        .await?)
}

/// A server's own limits, as validation uses them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServerLimits {
    pub max_characters: u64,
    pub max_media_attachments: u64,
    pub characters_reserved_per_url: u64,
}

/// The address of a Mastodon account's server's instance document: `name@server` → its
/// `https://server/api/v2/instance`.
pub(crate) fn instance_url(handle: &str) -> Option<String> {
    let server = handle.rsplit_once('@').map(|(_, s)| s)?.trim();
    let url = url::Url::parse(&format!("https://{server}/api/v2/instance")).ok()?;
    (url.host_str() == Some(server) && !server.is_empty()).then(|| url.to_string())
}

/// Read a Mastodon channel's limits (characters, attachments, what a link counts) from its
/// server's `GET /api/v2/instance`, keep them with the channel, and use them when validating.
/// The fetch is guarded like a link preview: public addresses only, 5 s, 1 MiB.
#[utoipa::path(
    post,
    path = "/channels/{id}/server-limits",
    tag = "channels",
    params(("id" = Uuid, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "The limits now used for this channel", body = ServerLimits),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs channels:manage on the channel", body = ErrorBody),
        (status = 404, description = "No such channel", body = ErrorBody),
        (status = 422, description = "Not a Mastodon channel, or its server could not be read (code says why)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn refresh_server_limits(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    super::Id(id): super::Id<owlery_domain::ChannelId>,
) -> ApiResult<Json<ServerLimits>> {
    let channel = state.store.channel(id).await?;
    principal.require(
        Permission::ChannelsManage,
        owlery_domain::Target::Channel {
            workspace: channel.workspace_id,
            channel: id,
        },
    )?;
    if channel.network != Network::Mastodon {
        return Err(InvalidInput::new(
            "id",
            "no_server_limits",
            "Only Mastodon channels have limits of their own server.",
        )
        .into());
    }
    let url = instance_url(&channel.handle).ok_or_else(|| {
        InvalidInput::new(
            "handle",
            "invalid_handle",
            "The channel's handle has no server (expected name@server).",
        )
    })?;
    let doc = crate::link_preview::Fetcher::new()
        .fetch_json(&url)
        .await
        .map_err(|e| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()))?;
    let limits = owlery_domain::spec::MastodonInstance::from_instance(&doc)?;
    state
        .store
        .set_channel_server_limits(&principal.actor(), id, Some(&limits))
        .await?;
    Ok(Json(ServerLimits {
        max_characters: limits.max_characters,
        max_media_attachments: limits.max_media_attachments,
        characters_reserved_per_url: limits.characters_reserved_per_url,
    }))
}

#[cfg(test)]
mod tests {
    use super::instance_url;

    #[test]
    fn the_instance_document_is_on_the_accounts_server() {
        assert_eq!(
            instance_url("brand@hachyderm.io").as_deref(),
            Some("https://hachyderm.io/api/v2/instance")
        );
        assert_eq!(instance_url("brand"), None);
        assert_eq!(instance_url("brand@"), None);
        assert_eq!(instance_url("a@evil.example/path?x=@"), None);
    }
}
