//! Connecting channels with OAuth: the organisation's network apps, the connect page, the account
//! chooser and the result of a connection (see [`crate::connect`]).
//!
//! Form actions, each with `csrf_token`:
//! - `POST /settings/network-apps/{network}` — `client_id`, `client_secret`
//! - `POST /settings/network-apps/{network}/remove` — `service` (Mastodon servers)
//! - `POST /settings/channels/connect/{network}` — `workspace_id`, `server` (Mastodon),
//!   `channel_id` (reconnecting); answers with a redirect to the network
//! - `POST /settings/channels/choose/{attempt}` — `account` (repeated account ids)

use askama::Template;
use chrono::{DateTime, Utc};

use super::{FormErrors, Page, SelectOption};

/// One network's app, as the network-apps page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAppRow {
    /// The network code.
    pub network: String,
    /// The kind of connection the app is for (`standard`; `tiktok_business`: TikTok's API for
    /// Business app).
    pub auth: String,
    /// What tells this row apart on the page (element ids, the form that came back): the network
    /// code, or `tiktok-business`.
    pub key: String,
    /// Owlery registers its own app on each server (Mastodon): nothing to configure.
    pub automatic: bool,
    pub configured: bool,
    pub client_id: String,
    /// What to register at the network as the redirect URI.
    pub redirect_uri: String,
    /// Where the network's apps are made.
    pub portal: String,
    /// The scopes (permissions) Owlery asks for.
    pub scopes: Vec<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// For networks that only download media from Owlery (Instagram, Threads, TikTok photos):
    /// whether they can reach its public address. `None`: media is uploaded (or, Pinterest, sent as
    /// bytes when there is no public address).
    pub media_reachable: Option<bool>,
    /// What such a network downloads: `photos` (TikTok) or `all` (images and videos).
    pub media_what: String,
    /// Networks that push (Meta, X, LinkedIn), once the app is set: the address of its webhook
    /// receiver to paste into the network's developer console.
    pub webhook_url: Option<String>,
    /// Meta's verify token for that address (shown only to people who manage network apps).
    pub verify_token: Option<String>,
}

/// An app Owlery registered on a Mastodon server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAppRow {
    pub server: String,
    pub client_id: String,
    pub updated_at: DateTime<Utc>,
}

/// `GET /settings/network-apps`.
#[derive(Template)]
#[template(path = "settings/network_apps.html")]
pub struct NetworkAppsView {
    pub page: Page,
    pub apps: Vec<NetworkAppRow>,
    pub servers: Vec<ServerAppRow>,
    /// The network whose form came back with errors, and what was typed in it.
    pub form_network: String,
    pub form_client_id: String,
    pub errors: FormErrors,
}

impl NetworkAppsView {
    fn errors_for(&self, network: &str) -> FormErrors {
        if self.form_network == network {
            self.errors.clone()
        } else {
            FormErrors::new()
        }
    }

    fn client_id_value(&self, app: &NetworkAppRow) -> String {
        if self.form_network == app.key {
            self.form_client_id.clone()
        } else {
            app.client_id.clone()
        }
    }
}

/// A network on the connect page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectNetwork {
    pub code: String,
    /// The kind of connection (`standard`; `tiktok_business`: a TikTok business account).
    pub auth: String,
    /// The network code, or `tiktok-business`: names the row's description.
    pub key: String,
    /// An app is set up (or registers itself): the button works.
    pub ready: bool,
    /// Needs a server address (Mastodon).
    pub needs_server: bool,
}

/// The channel being reconnected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconnectTarget {
    pub channel_id: String,
    pub network: String,
    pub name: String,
    pub handle: String,
    /// Why it needs reconnecting, as the network said.
    pub reason: String,
    pub ready: bool,
    /// The card of the app this channel connects through on the network apps page (`tiktok`,
    /// `tiktok_business`).
    pub app_key: String,
    /// The kind of connection the channel upgrades to ("Reconnect as a business account"), when
    /// it has one.
    pub upgrade: Option<UpgradeChoice>,
}

/// Reconnecting a channel as another kind of connection of the same account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeChoice {
    /// The kind's code, sent as `auth` (`tiktok_business`).
    pub auth: String,
    /// The organisation's app for it is set up.
    pub ready: bool,
    /// Its app's card on the network apps page (`tiktok-business`).
    pub app_key: String,
}

/// `GET /settings/channels/upgrade/{attempt}`: is the account signed in the channel's?
#[derive(Template)]
#[template(path = "settings/connect_upgrade.html")]
pub struct UpgradeView {
    pub page: Page,
    pub attempt_id: String,
    pub network: String,
    /// The channel that would be upgraded.
    pub channel_name: String,
    pub channel_handle: String,
    pub workspace: String,
    /// The account the network signed in.
    pub account_name: String,
    pub account_handle: String,
}

/// `GET /settings/channels/connect`.
#[derive(Template)]
#[template(path = "settings/connect.html")]
pub struct ConnectView {
    pub page: Page,
    /// Workspaces the person may connect channels in.
    pub workspaces: Vec<SelectOption>,
    pub networks: Vec<ConnectNetwork>,
    pub reconnect: Option<ReconnectTarget>,
    /// The person may set up network apps (shown a link where one is missing).
    pub can_configure: bool,
    /// What was typed as the Mastodon server.
    pub server: String,
    pub errors: FormErrors,
}

/// One account to choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceRow {
    pub id: String,
    /// `profile`, `page`, `professional`, `organization`, `board`, `channel`.
    pub kind: String,
    pub name: String,
    pub handle: String,
    /// Already a channel: not offered again.
    pub connected: bool,
}

/// `GET /settings/channels/choose/{attempt}`.
#[derive(Template)]
#[template(path = "settings/connect_choose.html")]
pub struct ChooseView {
    pub page: Page,
    pub attempt_id: String,
    pub network: String,
    pub workspace: String,
    pub choices: Vec<ChoiceRow>,
    pub errors: FormErrors,
}

impl ChooseView {
    fn any_open(&self) -> bool {
        self.choices.iter().any(|c| !c.connected)
    }
}

/// A connection that did not go through (or was cancelled), explained.
#[derive(Template)]
#[template(path = "settings/connect_result.html")]
pub struct ConnectResultView {
    pub page: Page,
    pub network: String,
    /// The person (or the network) said no: a calm note rather than an error.
    pub declined: bool,
    pub message: String,
    /// The network's own words, when it sent any.
    pub detail: String,
}
