//! The organisation, its workspaces, channels and teams.

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, OrgId, TeamId, UserId, WorkspaceId,
    audit::Actor,
    org::{AuthKind, ChannelStatus, Network, SecurityPolicy},
    user::DisplayName,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub security: SecurityPolicy,
    pub default_language: String,
    pub default_time_zone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub workspace_id: WorkspaceId,
    pub network: Network,
    pub name: String,
    pub handle: String,
    pub status: ChannelStatus,
    pub created_at: DateTime<Utc>,
    /// Posts never leave this server: the sandbox network, or a practice channel that looks like
    /// a real network (for training and drills).
    pub simulated: bool,
    /// Why the channel is not connected (what the network said), when it needs reconnecting.
    pub status_reason: Option<String>,
}

/// A channel's secret as stored: sealed, with where it is valid and whose it is. Its `Debug`
/// shows no bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelCredential {
    /// The account's server (a Bluesky PDS), when the network has many.
    pub service: Option<String>,
    /// The account's id on the network (a Bluesky DID).
    pub account_id: String,
    pub sealed: Vec<u8>,
    /// An OAuth refresh token, sealed under the same purpose with `:refresh` appended.
    pub refresh_sealed: Option<Vec<u8>>,
    /// When the access token expires (OAuth); `None` for app passwords.
    pub expires_at: Option<DateTime<Utc>>,
    /// Which of the network's sign-in flows the tokens come from (a TikTok business account's
    /// are for the TikTok API for Business).
    pub auth: AuthKind,
}

impl std::fmt::Debug for ChannelCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelCredential")
            .field("service", &self.service)
            .field("account_id", &self.account_id)
            .field("sealed", &"[sealed]")
            .field(
                "refresh_sealed",
                &self.refresh_sealed.as_ref().map(|_| "[sealed]"),
            )
            .field("expires_at", &self.expires_at)
            .field("auth", &self.auth)
            .finish()
    }
}

/// The vault purpose (associated data) a channel's credential is sealed under: a sealed secret
/// moved to another channel does not open.
pub fn channel_credential_purpose(id: ChannelId) -> String {
    format!("channel-credential:{id}")
}

/// The vault purpose of a channel's OAuth refresh token.
pub fn channel_refresh_purpose(id: ChannelId) -> String {
    format!("channel-credential:{id}:refresh")
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub member_ids: Vec<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: Uuid,
    workspace_id: Uuid,
    network: String,
    name: String,
    handle: String,
    status: String,
    created_at: DateTime<Utc>,
    simulated: bool,
    status_reason: Option<String>,
}

impl ChannelRow {
    fn into_channel(self) -> Result<Channel> {
        Ok(Channel {
            id: ChannelId(self.id),
            workspace_id: WorkspaceId(self.workspace_id),
            network: Network::parse(&self.network)
                .ok_or_else(|| StoreError::Corrupt(format!("network '{}'", self.network)))?,
            name: self.name,
            handle: self.handle,
            status: ChannelStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("channel status '{}'", self.status)))?,
            created_at: self.created_at,
            simulated: self.simulated,
            status_reason: self.status_reason,
        })
    }
}

const CHANNEL_COLUMNS: &str =
    "id, workspace_id, network, name, handle, status, created_at, simulated, status_reason";

impl Store {
    /// The organisation of this installation, if it has been set up.
    pub async fn organisation(&self) -> Result<Option<Organisation>> {
        type OrgRow = (Uuid, String, String, String, String, DateTime<Utc>);
        let row: Option<OrgRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, name, security_policy, default_language, default_time_zone, created_at \
                 FROM organisations ORDER BY created_at LIMIT 1",
            )
            .fetch_optional(pool)
            .await?
        });
        row.map(
            |(id, name, policy, default_language, default_time_zone, created_at)| {
                let security = serde_json::from_str(&policy)
                    .map_err(|e| StoreError::Corrupt(format!("security policy: {e}")))?;
                Ok(Organisation {
                    id: OrgId(id),
                    name,
                    security,
                    default_language,
                    default_time_zone,
                    created_at,
                })
            },
        )
        .transpose()
    }

    /// The organisation, created with this name on first use.
    pub async fn ensure_organisation(&self, actor: &Actor, name: &str) -> Result<Organisation> {
        if let Some(org) = self.organisation().await? {
            return Ok(org);
        }
        let name = DisplayName::parse("name", name)?;
        let now = self.now();
        let org = Organisation {
            id: OrgId::new(),
            name: name.as_str().to_owned(),
            security: SecurityPolicy::default(),
            default_language: "en".into(),
            default_time_zone: "UTC".into(),
            created_at: now,
        };
        let policy =
            serde_json::to_string(&org.security).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO organisations (id, name, security_policy, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(org.id.0)
            .bind(&org.name)
            .bind(&policy)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "org.create",
                    "organisation",
                    Some(org.id.to_string()),
                    None,
                    Some(serde_json::json!({ "name": org.name }))
                ),
                now
            );
            Ok(org.clone())
        })
    }

    pub async fn update_organisation(
        &self,
        actor: &Actor,
        name: &DisplayName,
        security: &SecurityPolicy,
        default_language: &str,
        default_time_zone: &str,
    ) -> Result<Organisation> {
        security.validate()?;
        owlery_domain::user::parse_time_zone(default_time_zone)?;
        let before = self
            .organisation()
            .await?
            .ok_or(StoreError::NotFound("organisation"))?;
        let now = self.now();
        let policy =
            serde_json::to_string(security).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let after = Organisation {
            name: name.as_str().to_owned(),
            security: security.clone(),
            default_language: default_language.to_owned(),
            default_time_zone: default_time_zone.to_owned(),
            ..before.clone()
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE organisations SET name = $1, security_policy = $2, default_language = $3, \
                 default_time_zone = $4 WHERE id = $5",
            )
            .bind(&after.name)
            .bind(&policy)
            .bind(&after.default_language)
            .bind(&after.default_time_zone)
            .bind(after.id.0)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "org.update",
                    "organisation",
                    Some(after.id.to_string()),
                    serde_json::to_value(&before).ok(),
                    serde_json::to_value(&after).ok()
                ),
                now
            );
            Ok(after.clone())
        })
    }

    // ---- workspaces ----

    pub async fn create_workspace(
        &self,
        actor: &Actor,
        org: OrgId,
        name: &DisplayName,
    ) -> Result<Workspace> {
        let now = self.now();
        let ws = Workspace {
            id: WorkspaceId::new(),
            name: name.as_str().to_owned(),
            created_at: now,
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO workspaces (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(ws.id.0)
            .bind(org.0)
            .bind(&ws.name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique(
                "name",
                "A workspace with this name already exists.",
            ))?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "workspace.create",
                    "workspace",
                    Some(ws.id.to_string()),
                    None,
                    Some(serde_json::json!({ "name": ws.name }))
                ),
                now
            );
            Ok(ws.clone())
        })
    }

    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>> {
        let rows: Vec<(Uuid, String, DateTime<Utc>)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT id, name, created_at FROM workspaces WHERE archived_at IS NULL ORDER BY lower(name)",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at)| Workspace {
                id: WorkspaceId(id),
                name,
                created_at,
            })
            .collect())
    }

    pub async fn workspace(&self, id: WorkspaceId) -> Result<Workspace> {
        let row: Option<(Uuid, String, DateTime<Utc>)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT id, name, created_at FROM workspaces WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        let (id, name, created_at) = row.ok_or(StoreError::NotFound("workspace"))?;
        Ok(Workspace {
            id: WorkspaceId(id),
            name,
            created_at,
        })
    }

    // ---- channels ----

    /// Connect a channel. A `sandbox` channel is always simulated; any other network is real.
    pub async fn create_channel(
        &self,
        actor: &Actor,
        workspace: WorkspaceId,
        network: Network,
        name: &DisplayName,
        handle: &str,
    ) -> Result<Channel> {
        self.insert_channel(
            actor,
            workspace,
            network,
            name,
            handle,
            network == Network::Sandbox,
            ChannelId::new(),
            None,
        )
        .await
    }

    /// A practice channel: it looks like `network` (its limits and previews apply) but is
    /// simulated, so its posts never leave this server. The audit event says `simulated: true`.
    pub async fn create_practice_channel(
        &self,
        actor: &Actor,
        workspace: WorkspaceId,
        network: Network,
        name: &DisplayName,
        handle: &str,
    ) -> Result<Channel> {
        self.insert_channel(
            actor,
            workspace,
            network,
            name,
            handle,
            true,
            ChannelId::new(),
            None,
        )
        .await
    }

    /// Connect a channel to its real account: the channel and its sealed credential in one
    /// transaction. The caller verified the credential with the network and sealed it with the
    /// vault under `id` (see [`channel_credential_purpose`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_connected_channel(
        &self,
        actor: &Actor,
        workspace: WorkspaceId,
        network: Network,
        name: &DisplayName,
        handle: &str,
        id: ChannelId,
        credential: &ChannelCredential,
    ) -> Result<Channel> {
        self.insert_channel(
            actor,
            workspace,
            network,
            name,
            handle,
            false,
            id,
            Some(credential),
        )
        .await
    }

    /// A channel's sealed credential, for the connector call path only.
    pub async fn channel_credential(&self, id: ChannelId) -> Result<Option<ChannelCredential>> {
        type Row = (
            Option<String>,
            String,
            Vec<u8>,
            Option<Vec<u8>>,
            Option<DateTime<Utc>>,
            String,
        );
        let row: Option<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT service, account_id, sealed, refresh_sealed, expires_at, auth_kind \
                 FROM channel_credentials WHERE channel_id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(
            |(service, account_id, sealed, refresh_sealed, expires_at, auth)| {
                Ok(ChannelCredential {
                    service,
                    account_id,
                    sealed,
                    refresh_sealed,
                    expires_at,
                    auth: AuthKind::parse(&auth)
                        .ok_or_else(|| StoreError::Corrupt(format!("auth kind '{auth}'")))?,
                })
            },
        )
        .transpose()
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_channel(
        &self,
        actor: &Actor,
        workspace: WorkspaceId,
        network: Network,
        name: &DisplayName,
        handle: &str,
        simulated: bool,
        id: ChannelId,
        credential: Option<&ChannelCredential>,
    ) -> Result<Channel> {
        self.workspace(workspace).await?;
        let now = self.now();
        let ch = Channel {
            id,
            workspace_id: workspace,
            network,
            name: name.as_str().to_owned(),
            handle: handle.to_owned(),
            status: ChannelStatus::Connected,
            created_at: now,
            simulated,
            status_reason: None,
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO channels (id, workspace_id, network, name, handle, status, created_at, simulated) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(ch.id.0)
            .bind(workspace.0)
            .bind(network.code())
            .bind(&ch.name)
            .bind(&ch.handle)
            .bind(ch.status.code())
            .bind(now)
            .bind(simulated)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::unique("handle", "This account is already connected as a channel."))?;
            if let Some(c) = credential {
                sqlx::query(
                    "INSERT INTO channel_credentials (channel_id, service, account_id, sealed, refresh_sealed, \
                     expires_at, created_at, updated_at, auth_kind) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
                )
                .bind(ch.id.0)
                .bind(&c.service)
                .bind(&c.account_id)
                .bind(&c.sealed)
                .bind(&c.refresh_sealed)
                .bind(c.expires_at)
                .bind(now)
                .bind(c.auth.code())
                .execute(&mut *tx)
                .await?;
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "channel.create",
                    "channel",
                    Some(ch.id.to_string()),
                    None,
                    serde_json::to_value(&ch).ok()
                ),
                now
            );
            Ok(ch.clone())
        })
    }

    /// Channels, optionally of one workspace, ordered by workspace then name.
    pub async fn list_channels(&self, workspace: Option<WorkspaceId>) -> Result<Vec<Channel>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE ($1 IS NULL OR workspace_id = $1) \
             ORDER BY workspace_id, lower(name)"
        );
        let ws = workspace.map(|w| w.0);
        let rows: Vec<ChannelRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(ws)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(ChannelRow::into_channel).collect()
    }

    pub async fn channel(&self, id: ChannelId) -> Result<Channel> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1");
        let row: Option<ChannelRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound("channel"))?.into_channel()
    }

    /// A channel's own server limits (Mastodon), or `None` for its network's defaults.
    pub async fn channel_server_limits(
        &self,
        id: ChannelId,
    ) -> Result<Option<owlery_domain::spec::MastodonInstance>> {
        let row: Option<(Option<String>,)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT server_limits FROM channels WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        match row {
            None => Err(StoreError::NotFound("channel")),
            Some((None,)) => Ok(None),
            Some((Some(json),)) => crate::posts::json("channel server limits", &json).map(Some),
        }
    }

    /// Record the limits a channel's server announced (read when it is connected or refreshed).
    pub async fn set_channel_server_limits(
        &self,
        actor: &Actor,
        id: ChannelId,
        limits: Option<&owlery_domain::spec::MastodonInstance>,
    ) -> Result<()> {
        let now = self.now();
        let json = limits.map(crate::posts::to_json).transpose()?;
        with_tx!(self, |tx, pg| {
            let n = sqlx::query("UPDATE channels SET server_limits = $1 WHERE id = $2")
                .bind(&json)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("channel"));
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "channel.server_limits",
                    "channel",
                    Some(id.to_string()),
                    None,
                    serde_json::to_value(limits).ok()
                ),
                now
            );
            Ok(())
        })
    }

    pub async fn count_channels(&self) -> Result<i64> {
        Ok(with_pool!(self, |pool, _pg| {
            sqlx::query_scalar("SELECT COUNT(*) FROM channels")
                .fetch_one(pool)
                .await?
        }))
    }

    // ---- teams ----

    pub async fn create_team(&self, actor: &Actor, org: OrgId, name: &DisplayName) -> Result<Team> {
        let now = self.now();
        let team = Team {
            id: TeamId::new(),
            name: name.as_str().to_owned(),
            member_ids: vec![],
            created_at: now,
        };
        with_tx!(self, |tx, pg| {
            sqlx::query("INSERT INTO teams (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
                .bind(team.id.0)
                .bind(org.0)
                .bind(&team.name)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::unique(
                    "name",
                    "A team with this name already exists.",
                ))?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "team.create",
                    "team",
                    Some(team.id.to_string()),
                    None,
                    Some(serde_json::json!({ "name": team.name }))
                ),
                now
            );
            Ok(team.clone())
        })
    }

    pub async fn list_teams(&self) -> Result<Vec<Team>> {
        type TeamRow = (Uuid, String, DateTime<Utc>);
        let (teams, members): (Vec<TeamRow>, Vec<(Uuid, Uuid)>) = with_pool!(self, |pool, _pg| {
            (
                sqlx::query_as("SELECT id, name, created_at FROM teams ORDER BY lower(name)")
                    .fetch_all(pool)
                    .await?,
                sqlx::query_as("SELECT team_id, user_id FROM team_members ORDER BY added_at")
                    .fetch_all(pool)
                    .await?,
            )
        });
        Ok(teams
            .into_iter()
            .map(|(id, name, created_at)| Team {
                id: TeamId(id),
                name,
                member_ids: members
                    .iter()
                    .filter(|(t, _)| *t == id)
                    .map(|(_, u)| UserId(*u))
                    .collect(),
                created_at,
            })
            .collect())
    }

    pub async fn set_team_member(
        &self,
        actor: &Actor,
        team: TeamId,
        user: UserId,
        member: bool,
    ) -> Result<()> {
        let now = self.now();
        self.user(user).await?;
        with_tx!(self, |tx, pg| {
            let exists: Option<Uuid> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1")
                .bind(team.0)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound("team"));
            }
            let changed = if member {
                sqlx::query(
                    "INSERT INTO team_members (team_id, user_id, added_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (team_id, user_id) DO NOTHING",
                )
                .bind(team.0)
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?
            } else {
                sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
                    .bind(team.0)
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?
            };
            if changed.rows_affected() > 0 {
                let action = if member {
                    "team.member.add"
                } else {
                    "team.member.remove"
                };
                append_audit!(
                    tx,
                    pg,
                    actor.entry(
                        action,
                        "team",
                        Some(team.to_string()),
                        None,
                        Some(serde_json::json!({ "user_id": user }))
                    ),
                    now
                );
            }
            Ok(())
        })
    }
}
