//! A connected channel's credentials, opened from the vault for a call to its network, and
//! renewed when they are about to expire: shared by everything that calls a network for a channel
//! (the publishing engine, the inbox poller).

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId,
    org::{AuthKind, Network},
};
use owlery_networks::{AppCredentials, ConnectorError, Credentials, DynConnector, oauth};
use owlery_store::{
    Store,
    oauth::{app_service, network_app_purpose},
    org::{channel_credential_purpose, channel_refresh_purpose},
    vault::Vault,
};
use secrecy::{ExposeSecret, SecretString};

use crate::worker::JobError;

/// Why a channel's credentials cannot be used (for the caller to say in its own words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// The channel has no stored connection.
    NotConnected,
    /// The stored secret does not open with this server's key.
    CannotOpen,
}

impl Unusable {
    /// The reason, for people.
    pub fn reason(self) -> &'static str {
        match self {
            Unusable::NotConnected => "the channel has no connection to its account",
            Unusable::CannotOpen => {
                "the channel's stored secret cannot be opened with this server's key"
            }
        }
    }
}

/// What renewing before a call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// Nothing was due, or the token was renewed and stored.
    Ready,
    /// The network refused the grant: the channel must be reconnected (the reason, for people).
    DeadGrant(String),
}

/// Opens and renews one channel's credentials.
#[derive(Clone, Copy)]
pub struct ChannelAccess<'a> {
    pub store: &'a Store,
    pub vault: Option<&'a Vault>,
}

impl ChannelAccess<'_> {
    /// The channel's credentials, opened from the vault.
    pub async fn open(
        &self,
        channel: ChannelId,
        handle: &str,
    ) -> Result<Result<Credentials, Unusable>, JobError> {
        let Some(stored) = self
            .store
            .channel_credential(channel)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(Err(Unusable::NotConnected));
        };
        let Some(vault) = self.vault else {
            return Err(JobError::retry(anyhow::anyhow!(
                "this worker has no vault to open channel secrets"
            )));
        };
        let open = |purpose: &str, sealed: &[u8]| {
            vault
                .open(purpose, sealed)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .map(SecretString::from)
        };
        let Some(secret) = open(&channel_credential_purpose(channel), &stored.sealed) else {
            return Ok(Err(Unusable::CannotOpen));
        };
        let refresh = stored
            .refresh_sealed
            .as_deref()
            .and_then(|s| open(&channel_refresh_purpose(channel), s));
        // The organisation's app is what renewing a token needs, and nothing else: it is read
        // (two queries and an opening) only when a renewal is due, in `renew_if_due`.
        Ok(Ok(Credentials {
            handle: handle.to_owned(),
            service: stored.service.clone(),
            account_id: Some(stored.account_id.clone()),
            secret,
            refresh,
            expires_at: stored.expires_at.map(Into::into),
            app: None,
            auth: stored.auth,
        }))
    }

    /// The channel's credentials, opened and renewed when due: ready for a call. `Ok(Err(reason))`
    /// when the channel cannot be called until someone (re)connects it: not connected, a secret
    /// this server cannot open, or a grant the network refused.
    pub async fn ready(
        &self,
        connector: &dyn DynConnector,
        channel: ChannelId,
        handle: &str,
        network: Network,
    ) -> Result<Result<Credentials, String>, JobError> {
        let mut creds = match self.open(channel, handle).await? {
            Ok(c) => c,
            Err(why) => return Ok(Err(why.reason().to_owned())),
        };
        Ok(
            match self
                .renew_if_due(connector, channel, network, &mut creds)
                .await?
            {
                Renewal::Ready => Ok(creds),
                Renewal::DeadGrant(reason) => Err(reason),
            },
        )
    }

    /// Renew the access token when it is about to expire, and store the new one. A temporary
    /// failure is an error to retry (it never disconnects the channel).
    pub async fn renew_if_due(
        &self,
        connector: &dyn DynConnector,
        channel: ChannelId,
        network: Network,
        creds: &mut Credentials,
    ) -> Result<Renewal, JobError> {
        let now = self.store.now();
        if !oauth::due_for_refresh(creds.expires_at, now.into()) {
            return Ok(Renewal::Ready);
        }
        if let Some(vault) = self.vault {
            creds.app = self
                .network_app(vault, network, creds.auth, creds.service.as_deref())
                .await?;
        }
        match connector.refresh(creds).await {
            Ok(Some(grant)) => {
                self.save_grant(channel, creds, grant).await?;
                Ok(Renewal::Ready)
            }
            Ok(None) => Ok(Renewal::Ready),
            Err(ConnectorError::Auth { reason }) => Ok(Renewal::DeadGrant(reason)),
            Err(e) => Err(JobError::retry(anyhow::Error::new(e).context(
                "renewing the channel's token failed for now; the channel stays connected",
            ))),
        }
    }

    /// The organisation's app on the channel's network that its kind of connection goes through
    /// (its server, on Mastodon; the TikTok API for Business's app for a TikTok business
    /// account), opened: what renewing a token needs. `None` when none is configured or it does
    /// not open with this server's key (the connector then says the app is missing).
    async fn network_app(
        &self,
        vault: &Vault,
        network: Network,
        auth: AuthKind,
        service: Option<&str>,
    ) -> Result<Option<AppCredentials>, JobError> {
        let service = app_service(auth, service);
        let Some(org) = self.store.organisation().await.map_err(JobError::retry)? else {
            return Ok(None);
        };
        let Some(app) = self
            .store
            .network_app(org.id, network, service)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(None);
        };
        let secret = vault
            .open(&network_app_purpose(network, service), &app.secret_sealed)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        Ok(secret.map(|s| AppCredentials {
            client_id: app.client_id,
            client_secret: SecretString::from(s),
        }))
    }

    async fn save_grant(
        &self,
        channel: ChannelId,
        creds: &mut Credentials,
        grant: owlery_networks::TokenGrant,
    ) -> Result<(), JobError> {
        let Some(vault) = self.vault else {
            return Ok(());
        };
        let seal = |purpose: &str, plain: &str| {
            vault
                .seal(purpose, plain.as_bytes())
                .map_err(|e| JobError::retry(anyhow::anyhow!("sealing a renewed token: {e}")))
        };
        let sealed = seal(
            &channel_credential_purpose(channel),
            grant.access.expose_secret(),
        )?;
        let refresh_sealed = match &grant.refresh {
            Some(r) => Some(seal(&channel_refresh_purpose(channel), r.expose_secret())?),
            None => None,
        };
        let expires_at: Option<DateTime<Utc>> = grant.expires_at.map(Into::into);
        self.store
            .update_channel_tokens(channel, &sealed, refresh_sealed.as_deref(), expires_at)
            .await
            .map_err(JobError::retry)?;
        creds.secret = grant.access;
        if grant.refresh.is_some() {
            creds.refresh = grant.refresh;
        }
        creds.expires_at = grant.expires_at;
        tracing::info!(channel.id = %channel, "renewed the channel's access token");
        Ok(())
    }
}
