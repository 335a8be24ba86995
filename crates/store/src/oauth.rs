//! Connecting channels with OAuth 2.0: the organisation's network apps (OAuth clients, their
//! secrets sealed) and the pending connection attempts (state hashed, PKCE verifier sealed, one
//! use, ten minutes), and replacing a channel's credentials when it is reconnected.
//!
//! What does not live here: sealing and opening (the caller holds the vault: this module stores
//! bytes it cannot read), talking to networks, deciding who may connect what.

use chrono::{DateTime, Duration, Utc};
use owlery_domain::{
    ChannelId, OrgId, UserId, WorkspaceId,
    audit::Actor,
    org::{AuthKind, ChannelStatus, Network},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    org::{Channel, ChannelCredential},
};

/// How long a person has between starting a connection and coming back from the network, and
/// then again to choose among the accounts found.
pub const ATTEMPT_LIFETIME: Duration = Duration::minutes(10);

/// The vault purpose (associated data) of a network app's client secret: per network, and per
/// server for networks with many (Mastodon), so a sealed secret moved to another row does not open.
pub fn network_app_purpose(network: Network, service: Option<&str>) -> String {
    match service.filter(|s| !s.is_empty()) {
        Some(service) => format!("network-app:{}:{service}", network.code()),
        None => format!("network-app:{}", network.code()),
    }
}

/// Which of the organisation's apps on a network a kind of connection goes through, as the key
/// `network_apps.service` keeps it: the server for networks with an app per server (Mastodon), the
/// kind's code for a second sign-in flow with apps of its own (`tiktok_business`: the TikTok API for
/// Business's app, made in its own portal, beside the Login Kit app), none for the network's one
/// app. The one place this key is made, so the connect flow, the settings and token renewal find
/// the same app.
pub fn app_service(auth: AuthKind, service: Option<&str>) -> Option<&str> {
    match auth {
        AuthKind::Standard => service,
        other => Some(other.code()),
    }
}

/// How an upgraded channel's account was known to be the one the new grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeMatch {
    /// The network named the same account id.
    Account,
    /// Only the handle matched (the two ways of connecting give different ids), and the person
    /// confirmed it is the same account.
    HandleConfirmed,
}

impl UpgradeMatch {
    pub fn code(self) -> &'static str {
        match self {
            UpgradeMatch::Account => "account_id",
            UpgradeMatch::HandleConfirmed => "handle_confirmed",
        }
    }
}

/// The vault purpose of an attempt's PKCE verifier.
pub fn attempt_verifier_purpose(id: Uuid) -> String {
    format!("oauth-attempt:{id}:verifier")
}

/// The vault purpose of the accounts (and their tokens) an attempt found, while a person chooses.
pub fn attempt_accounts_purpose(id: Uuid) -> String {
    format!("oauth-attempt:{id}:accounts")
}

/// An organisation's app on a network. Its `Debug` shows no secret bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct NetworkApp {
    pub network: Network,
    /// The server, for networks with an app per server (Mastodon).
    pub service: Option<String>,
    pub client_id: String,
    pub secret_sealed: Vec<u8>,
    /// Registered by Owlery itself (Mastodon), not typed in by a person.
    pub registered: bool,
    pub updated_at: DateTime<Utc>,
}

impl NetworkApp {
    /// The kind of connection that goes through this app ([`app_service`]).
    pub fn auth(&self) -> AuthKind {
        AuthKind::ALL
            .into_iter()
            .find(|k| {
                *k != AuthKind::Standard
                    && k.fits(self.network)
                    && self.service.as_deref() == Some(k.code())
            })
            .unwrap_or(AuthKind::Standard)
    }

    /// The server of a per-server app (Mastodon): not an app of another sign-in flow.
    pub fn server(&self) -> Option<&str> {
        match self.auth() {
            AuthKind::Standard => self.service.as_deref(),
            _ => None,
        }
    }
}

impl std::fmt::Debug for NetworkApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkApp")
            .field("network", &self.network)
            .field("service", &self.service)
            .field("client_id", &self.client_id)
            .field("secret_sealed", &"[sealed]")
            .field("registered", &self.registered)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// An app to set: what [`Store::set_network_app`] stores.
#[derive(Clone, Copy)]
pub struct NewNetworkApp<'a> {
    pub network: Network,
    /// The server, for networks with an app per server (Mastodon).
    pub service: Option<&'a str>,
    pub client_id: &'a str,
    /// The client secret, sealed under [`network_app_purpose`].
    pub secret_sealed: &'a [u8],
    /// Registered by Owlery itself rather than entered by a person.
    pub registered: bool,
}

/// What the audit log says about an app: never the secret.
fn app_audit(network: Network, service: Option<&str>, client_id: &str) -> serde_json::Value {
    json!({ "network": network.code(), "service": service, "client_id": client_id })
}

/// A connection attempt to store when a person starts.
#[derive(Clone)]
pub struct NewAttempt {
    pub id: Uuid,
    /// SHA-256 (hex) of the `state` sent to the network.
    pub state_hash: String,
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    /// Reconnecting this channel, rather than connecting a new one.
    pub channel_id: Option<ChannelId>,
    pub network: Network,
    pub service: Option<String>,
    /// Which of the network's sign-in flows the person chose.
    pub auth: AuthKind,
    pub verifier_sealed: Vec<u8>,
}

/// A stored attempt. Its `Debug` shows no sealed bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: Uuid,
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub channel_id: Option<ChannelId>,
    pub network: Network,
    pub service: Option<String>,
    pub auth: AuthKind,
    pub verifier_sealed: Vec<u8>,
    /// The accounts found, waiting for a choice (sealed).
    pub accounts_sealed: Option<Vec<u8>>,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("workspace_id", &self.workspace_id)
            .field("channel_id", &self.channel_id)
            .field("network", &self.network)
            .field("service", &self.service)
            .field("auth", &self.auth)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the callback's `state` turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// The attempt, now used: the same state never works again.
    Attempt(Attempt),
    /// It was real but older than [`ATTEMPT_LIFETIME`] (now used up too).
    Expired,
    /// Unknown, or already used.
    Unknown,
}

type AppRow = (String, String, String, Vec<u8>, bool, DateTime<Utc>);

fn app_of(row: AppRow) -> Result<NetworkApp> {
    let (network, service, client_id, secret_sealed, registered, updated_at) = row;
    Ok(NetworkApp {
        network: Network::parse(&network)
            .ok_or_else(|| StoreError::Corrupt(format!("network '{network}'")))?,
        service: (!service.is_empty()).then_some(service),
        client_id,
        secret_sealed,
        registered,
        updated_at,
    })
}

type AttemptRow = (
    Uuid,
    Uuid,
    Uuid,
    Option<Uuid>,
    String,
    Option<String>,
    Vec<u8>,
    Option<Vec<u8>>,
    DateTime<Utc>,
    String,
);

const ATTEMPT_COLUMNS: &str = "id, user_id, workspace_id, channel_id, network, service, \
                               verifier_sealed, accounts_sealed, expires_at, auth_kind";

fn attempt_of(row: AttemptRow) -> Result<Attempt> {
    let (id, user, workspace, channel, network, service, verifier, accounts, expires_at, auth) =
        row;
    Ok(Attempt {
        id,
        user_id: UserId(user),
        workspace_id: WorkspaceId(workspace),
        channel_id: channel.map(ChannelId),
        network: Network::parse(&network)
            .ok_or_else(|| StoreError::Corrupt(format!("network '{network}'")))?,
        service,
        auth: AuthKind::parse(&auth)
            .ok_or_else(|| StoreError::Corrupt(format!("auth kind '{auth}'")))?,
        verifier_sealed: verifier,
        accounts_sealed: accounts,
        expires_at,
    })
}

/// Inside a transaction: channel `$id` is connected again with `$credential` (sealed under its
/// id), replacing whatever credential it had — for a reconnect and for an upgrade alike.
macro_rules! replace_credential {
    ($tx:ident, $id:expr, $credential:expr, $now:expr) => {{
        let id: ChannelId = $id;
        let credential: &ChannelCredential = $credential;
        sqlx::query("UPDATE channels SET status = $1, status_reason = NULL WHERE id = $2")
            .bind(ChannelStatus::Connected.code())
            .bind(id.0)
            .execute(&mut *$tx)
            .await?;
        sqlx::query("DELETE FROM channel_credentials WHERE channel_id = $1")
            .bind(id.0)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(
            "INSERT INTO channel_credentials (channel_id, service, account_id, sealed, \
             refresh_sealed, expires_at, created_at, updated_at, auth_kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
        )
        .bind(id.0)
        .bind(&credential.service)
        .bind(&credential.account_id)
        .bind(&credential.sealed)
        .bind(&credential.refresh_sealed)
        .bind(credential.expires_at)
        .bind($now)
        .bind(credential.auth.code())
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Store {
    // ------------------------------------------------------------------ network apps

    /// Every app of the organisation, by network then server.
    pub async fn network_apps(&self, org: OrgId) -> Result<Vec<NetworkApp>> {
        let rows: Vec<AppRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT network, service, client_id, secret_sealed, registered, updated_at \
                 FROM network_apps WHERE org_id = $1 ORDER BY network, service",
            )
            .bind(org.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(app_of).collect()
    }

    /// The organisation's app on `network` (on `service`, for Mastodon).
    pub async fn network_app(
        &self,
        org: OrgId,
        network: Network,
        service: Option<&str>,
    ) -> Result<Option<NetworkApp>> {
        let service = service.unwrap_or_default();
        let row: Option<AppRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT network, service, client_id, secret_sealed, registered, updated_at \
                 FROM network_apps WHERE org_id = $1 AND network = $2 AND service = $3",
            )
            .bind(org.0)
            .bind(network.code())
            .bind(service)
            .fetch_optional(pool)
            .await?
        });
        row.map(app_of).transpose()
    }

    /// Set (or replace) the organisation's app on its network. The caller sealed the secret under
    /// [`network_app_purpose`]. Audited as `network_app.set` (`network_app.register` when Owlery
    /// registered it), with the client id and never the secret.
    pub async fn set_network_app(
        &self,
        actor: &Actor,
        org: OrgId,
        app: &NewNetworkApp<'_>,
    ) -> Result<NetworkApp> {
        let NewNetworkApp {
            network,
            service,
            client_id,
            secret_sealed,
            registered,
        } = *app;
        let now = self.now();
        let service_key = service.unwrap_or_default().to_owned();
        let before = self.network_app(org, network, service).await?;
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO network_apps (org_id, network, service, client_id, secret_sealed, \
                 registered, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (org_id, network, service) DO UPDATE SET client_id = $4, \
                 secret_sealed = $5, registered = $6, updated_at = $7",
            )
            .bind(org.0)
            .bind(network.code())
            .bind(&service_key)
            .bind(client_id)
            .bind(secret_sealed)
            .bind(registered)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    if registered {
                        "network_app.register"
                    } else {
                        "network_app.set"
                    },
                    "network_app",
                    Some(network_app_purpose(network, service).replacen("network-app:", "", 1)),
                    before
                        .as_ref()
                        .map(|b| app_audit(network, service, &b.client_id)),
                    Some(app_audit(network, service, client_id))
                ),
                now
            );
            Ok(())
        })?;
        Ok(NetworkApp {
            network,
            service: service.map(str::to_owned).filter(|s| !s.is_empty()),
            client_id: client_id.to_owned(),
            secret_sealed: secret_sealed.to_vec(),
            registered,
            updated_at: now,
        })
    }

    /// Remove the organisation's app on `network`. Channels already connected keep working until
    /// their tokens need renewing. `NotFound` when there is none.
    pub async fn delete_network_app(
        &self,
        actor: &Actor,
        org: OrgId,
        network: Network,
        service: Option<&str>,
    ) -> Result<()> {
        let now = self.now();
        let before = self
            .network_app(org, network, service)
            .await?
            .ok_or(StoreError::NotFound("network app"))?;
        let service_key = service.unwrap_or_default().to_owned();
        with_tx!(self, |tx, pg| {
            let n = sqlx::query(
                "DELETE FROM network_apps WHERE org_id = $1 AND network = $2 AND service = $3",
            )
            .bind(org.0)
            .bind(network.code())
            .bind(&service_key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("network app"));
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "network_app.delete",
                    "network_app",
                    Some(network_app_purpose(network, service).replacen("network-app:", "", 1)),
                    Some(app_audit(network, service, &before.client_id)),
                    None
                ),
                now
            );
            Ok(())
        })
    }

    // ------------------------------------------------------------------ attempts

    /// Keep a new attempt for [`ATTEMPT_LIFETIME`]; attempts that ran out are dropped on the way.
    pub async fn start_oauth_attempt(&self, a: &NewAttempt) -> Result<DateTime<Utc>> {
        let now = self.now();
        let expires_at = now + ATTEMPT_LIFETIME;
        with_tx!(self, |tx, _pg| {
            sqlx::query("DELETE FROM oauth_attempts WHERE expires_at < $1")
                .bind(now - ATTEMPT_LIFETIME)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO oauth_attempts (id, state_hash, user_id, workspace_id, channel_id, \
                 network, service, verifier_sealed, created_at, expires_at, auth_kind) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(a.id)
            .bind(&a.state_hash)
            .bind(a.user_id.0)
            .bind(a.workspace_id.0)
            .bind(a.channel_id.map(|c| c.0))
            .bind(a.network.code())
            .bind(&a.service)
            .bind(&a.verifier_sealed)
            .bind(now)
            .bind(expires_at)
            .bind(a.auth.code())
            .execute(&mut *tx)
            .await?;
            Ok(expires_at)
        })
    }

    /// Delete attempts that ran out (housekeeping): a person who never came back from the network
    /// leaves a sealed PKCE verifier (and maybe sealed tokens of accounts to choose from) that no
    /// one can use any more. Returns how many went.
    pub async fn delete_expired_oauth_attempts(&self) -> Result<u64> {
        let now = self.now();
        let n = with_pool!(self, |pool, _pg| {
            sqlx::query("DELETE FROM oauth_attempts WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// Use the attempt whose state hashes to `state_hash`: once, whoever asks (a replayed or
    /// expired state is used up all the same).
    pub async fn take_oauth_attempt(&self, state_hash: &str) -> Result<Taken> {
        let now = self.now();
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM oauth_attempts WHERE state_hash = $1 AND used_at IS NULL"
        );
        with_tx!(self, |tx, _pg| {
            let row: Option<AttemptRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(state_hash)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Ok(Taken::Unknown);
            };
            let attempt = attempt_of(row)?;
            let n = sqlx::query(
                "UPDATE oauth_attempts SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
            )
            .bind(now)
            .bind(attempt.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(Taken::Unknown);
            }
            if attempt.expires_at < now {
                return Ok(Taken::Expired);
            }
            Ok(Taken::Attempt(attempt))
        })
    }

    /// Keep the accounts a used attempt found (sealed by the caller) for a person to choose from,
    /// for another [`ATTEMPT_LIFETIME`].
    pub async fn keep_oauth_choices(&self, id: Uuid, accounts_sealed: &[u8]) -> Result<()> {
        let now = self.now();
        let n = with_pool!(self, |pool, _pg| {
            sqlx::query(
                "UPDATE oauth_attempts SET accounts_sealed = $1, expires_at = $2 \
                 WHERE id = $3 AND used_at IS NOT NULL",
            )
            .bind(accounts_sealed)
            .bind(now + ATTEMPT_LIFETIME)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("connection attempt"));
        }
        Ok(())
    }

    /// An attempt waiting for a choice (not expired), if there is one.
    pub async fn oauth_choices(&self, id: Uuid) -> Result<Option<Attempt>> {
        let now = self.now();
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM oauth_attempts WHERE id = $1 \
             AND accounts_sealed IS NOT NULL AND expires_at >= $2"
        );
        let row: Option<AttemptRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        row.map(attempt_of).transpose()
    }

    /// Forget an attempt (its choice is made, or abandoned). Whether it was still there: only one
    /// of two simultaneous choices gets `true`.
    pub async fn finish_oauth_attempt(&self, id: Uuid) -> Result<bool> {
        let n = with_pool!(self, |pool, _pg| {
            sqlx::query("DELETE FROM oauth_attempts WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    // ------------------------------------------------------------------ reconnecting

    /// Replace a channel's credential with a fresh one (the caller verified and sealed it under
    /// the channel's id) and mark it connected again. Audited as `channel.reconnect` without
    /// secrets.
    pub async fn reconnect_channel(
        &self,
        actor: &Actor,
        id: ChannelId,
        credential: &ChannelCredential,
    ) -> Result<Channel> {
        let before = self.channel(id).await?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            replace_credential!(tx, id, credential, now);
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "channel.reconnect",
                    "channel",
                    Some(id.to_string()),
                    Some(json!({ "status": before.status.code() })),
                    Some(json!({
                        "status": ChannelStatus::Connected.code(),
                        "account_id": credential.account_id,
                        "service": credential.service,
                        "auth_kind": credential.auth.code(),
                    }))
                ),
                now
            );
            Ok(())
        })?;
        Ok(Channel {
            status: ChannelStatus::Connected,
            ..before
        })
    }

    /// Upgrade a channel to another kind of connection of the same account (a personal TikTok
    /// login → the same account as a TikTok business account): its credential is replaced (the
    /// caller verified and sealed it under the channel's id) and its kind with it, and it is
    /// connected again — same channel id, so its posts, history and inbox stay its own. Its inbox
    /// poll starts over at once (a personal login could not read comments: whatever the poll
    /// recorded was a refusal). Audited as `channel.upgrade` with both kinds, the account ids and
    /// how the account was known to be the same; never secrets.
    pub async fn upgrade_channel(
        &self,
        actor: &Actor,
        id: ChannelId,
        credential: &ChannelCredential,
        matched: UpgradeMatch,
    ) -> Result<Channel> {
        let before = self.channel(id).await?;
        let previous = self.channel_credential(id).await?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            replace_credential!(tx, id, credential, now);
            sqlx::query(
                "UPDATE inbox_polls SET cursor = NULL, due_at = $1, failures = 0, last_error = NULL \
                 WHERE channel_id = $2",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "channel.upgrade",
                    "channel",
                    Some(id.to_string()),
                    Some(json!({
                        "status": before.status.code(),
                        "auth_kind": previous.as_ref().map(|c| c.auth.code()),
                        "account_id": previous.as_ref().map(|c| c.account_id.as_str()),
                    })),
                    Some(json!({
                        "status": ChannelStatus::Connected.code(),
                        "auth_kind": credential.auth.code(),
                        "account_id": credential.account_id,
                        "same_account_by": matched.code(),
                    }))
                ),
                now
            );
            Ok(())
        })?;
        Ok(Channel {
            status: ChannelStatus::Connected,
            status_reason: None,
            ..before
        })
    }

    /// The channel with `handle` on `network`, if there is one (a handle is one channel per
    /// network: the `channels_identity` index).
    pub async fn channel_by_handle(
        &self,
        network: Network,
        handle: &str,
    ) -> Result<Option<Channel>> {
        let id: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT id FROM channels WHERE network = $1 AND handle = $2")
                .bind(network.code())
                .bind(handle)
                .fetch_optional(pool)
                .await?
        });
        match id {
            Some((id,)) => Ok(Some(self.channel(ChannelId(id)).await?)),
            None => Ok(None),
        }
    }

    /// Why a channel needs reconnecting, as the network said (`None` when connected).
    pub async fn channel_status_reason(&self, id: ChannelId) -> Result<Option<String>> {
        let row: Option<(Option<String>,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT status_reason FROM channels WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.ok_or(StoreError::NotFound("channel"))?.0)
    }

    /// A channel's credential's account and server, without its secrets: to check that a
    /// reconnection signs in as the same account.
    pub async fn channel_account(&self, id: ChannelId) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .channel_credential(id)
            .await?
            .map(|c| (c.account_id, c.service)))
    }
}
