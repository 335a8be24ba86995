//! Owlery's network connectors: one trait, [`Connector`], and one module per network.
//!
//! - [`bluesky`]: the AT Protocol (real and complete; verified live against Bluesky's own
//!   `@atproto/dev-env`, see that module).
//! - [`facebook`]: Facebook Pages on Meta's Graph API (tested against documented fixtures).
//! - [`instagram`]: Instagram professional accounts on Meta's Graph API, with Facebook Login
//!   (tested against documented fixtures).
//! - [`linkedin`]: members and organisation pages through LinkedIn's versioned REST API (posts,
//!   images, video, first comments; fixture-tested, not verified live).
//! - [`pinterest`]: pins on a board through Pinterest API v5 (images, carousels, video;
//!   fixture-tested, not verified live).
//! - [`mastodon`]: Mastodon's REST API on the account's own server (fixture-tested; also run
//!   against the third-party `mastodon_mock`, which is not Mastodon).
//! - [`sandbox`]: the built-in network that never leaves the machine (demo, training, drills).
//! - [`threads`]: Threads through Meta's Threads API (containers, carousels, replies, insights;
//!   tested against documented fixtures only).
//! - [`x`]: X through the X API v2 (posts, media uploads with alt text, threads, metrics; tested
//!   against documented fixtures only).
//! - [`tiktok`]: TikTok's Content Posting API (videos, photo posts) and Display API (fixture-tested).
//! - [`youtube`]: the YouTube Data API v3 (videos, Shorts, first comments; fixture-tested).
//! - [`webhook`]: verifying what networks push (Meta's `X-Hub-Signature-256` and subscription
//!   challenge, X's CRC and `x-twitter-webhooks-signature`), constant-time.
//! - [`registry`]: [`Connectors`], one connector per network with a shared budget book.
//! - [`http`]: the shared HTTP client and how HTTP outcomes become a [`ConnectorError`].
//!
//! What lives here: talking to a network for one account (check the connection, publish one part,
//! look up what a part became, delete). What does not: deciding *when* to publish, retries and
//! backoff, storing results, splitting a post into parts (the publishing engine and the store do
//! that), counting text (`owlery_domain::text`).
//!
//! ## Exactly once
//! Every [`PublishRequest`] carries an idempotency key that is stable for one part of one variant.
//! A connector derives whatever the network offers from it (Bluesky: the record key; Mastodon: the
//! `Idempotency-Key` header) so that a repeated publish cannot create a second post. After
//! [`ConnectorError::Unknown`] the engine calls [`Connector::lookup`] before it decides to send
//! again: [`Lookup::Absent`] means sending is safe, [`Lookup::CannotTell`] leaves the part
//! "unconfirmed" for a person. No connector may report a success it did not receive.
//!
//! ## Rate limits
//! Connectors file what responses say about remaining budgets (`x-rate-limit-*`, `X-App-Usage`,
//! `X-Business-Use-Case-Usage`, `RateLimit-*`) in the shared [`budget::BudgetBook`] they were built
//! with ([`Env`]); the engine asks it before each call and waits instead of failing.
//!
//! ## Static or dynamic dispatch
//! [`Connector`] uses `async fn` in the trait (declared as `-> impl Future + Send`, so every future
//! is checked to be `Send` and can be spawned on a multi-threaded runtime). Such a trait is not
//! object safe, so [`DynConnector`] is its boxed-future twin, implemented for every `Connector`:
//! the engine keeps `Arc<dyn DynConnector>` per network. We chose this over an enum of all
//! connectors because it keeps the set open: the engine's tests can plug in a fake connector of
//! their own, and no extra crate (`async-trait`) is needed. One allocation per call is nothing next
//! to a network round trip.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

pub use owlery_domain::org::{AuthKind, Network};
use secrecy::SecretString;

pub mod bluesky;
pub use registry::Connectors;
pub mod budget;
pub mod facebook;
#[cfg(feature = "fixture")]
pub mod fixture;
pub mod http;
pub mod inbox;
pub mod instagram;
pub mod linkedin;
pub mod mastodon;
pub(crate) mod meta;
pub mod oauth;
pub mod pinterest;
pub mod registry;
pub mod sandbox;
pub mod threads;
pub mod tiktok;
pub mod webhook;
pub mod x;
pub mod youtube;

/// What every connector is built with: the HTTP settings, the shared budget book, and (tests) a
/// base address that replaces the network's API host.
#[derive(Clone, Debug, Default)]
pub struct Env {
    pub http: http::HttpConfig,
    pub budgets: std::sync::Arc<budget::BudgetBook>,
    /// Replaces `https://api.x.com`, `https://graph.facebook.com` … (local fixtures). Never set in
    /// production.
    pub base_url: Option<String>,
}

impl Env {
    /// The network's API base: the override if set, else `default` (no trailing slash).
    pub fn base(&self, default: &str) -> String {
        self.base_url
            .as_deref()
            .unwrap_or(default)
            .trim_end_matches('/')
            .to_owned()
    }
}

/// What a channel's connection holds, decrypted only on the call path. `Debug` never shows the
/// secrets.
pub struct Credentials {
    /// The account as the network names it: a Bluesky handle (`alice.bsky.social`) or DID, a
    /// Mastodon `user`, an X `@name`, a Page's name.
    pub handle: String,
    /// The account's server, for networks with many (a Bluesky PDS such as
    /// `https://bsky.social`, a Mastodon instance). `None`: the network's default.
    pub service: Option<String>,
    /// The network's stable id of what Owlery posts as, where calls need it: a Facebook Page id,
    /// an Instagram or Threads user id, a LinkedIn person or organization URN
    /// (`urn:li:organization:123`), a YouTube channel id, a Pinterest board id.
    pub account_id: Option<String>,
    /// The secret: a Bluesky app password, an OAuth access token (a Page access token on
    /// Facebook).
    pub secret: SecretString,
    /// An OAuth refresh token, for networks that have one.
    pub refresh: Option<SecretString>,
    /// When `secret` stops working (OAuth access tokens); `None` when unknown or never.
    pub expires_at: Option<SystemTime>,
    /// The organisation's app on this network (OAuth client), for refreshing tokens.
    pub app: Option<AppCredentials>,
    /// Which of the network's sign-in flows the tokens come from: it decides which API they are
    /// for (a TikTok business account's tokens are for the TikTok API for Business).
    pub auth: AuthKind,
}

/// An organisation's app on a network: the OAuth client Owlery acts through.
#[derive(Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &format_args!("[redacted]"))
            .finish()
    }
}

impl Credentials {
    /// Handle and secret, on the network's default server.
    pub fn new(handle: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            handle: handle.into(),
            service: None,
            account_id: None,
            secret: SecretString::from(secret.into()),
            refresh: None,
            expires_at: None,
            app: None,
            auth: AuthKind::Standard,
        }
    }

    /// The same, connected through another of the network's sign-in flows.
    pub fn with_auth(mut self, auth: AuthKind) -> Credentials {
        self.auth = auth;
        self
    }

    /// The same, posting as the account with this network id.
    pub fn with_account(mut self, account_id: impl Into<String>) -> Credentials {
        self.account_id = Some(account_id.into());
        self
    }

    /// What rate-limit budgets of this account are filed under ([`budget::BudgetBook`]).
    pub fn budget_key(&self) -> String {
        match &self.account_id {
            Some(id) => id.clone(),
            None => self.handle.trim().trim_start_matches('@').to_lowercase(),
        }
    }

    /// The same on a given server.
    pub fn with_service(mut self, service: impl Into<String>) -> Credentials {
        self.service = Some(service.into());
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Credentials");
        d.field("handle", &self.handle);
        if let Some(service) = &self.service {
            d.field("service", service);
        }
        if let Some(id) = &self.account_id {
            d.field("account_id", id);
        }
        d.field("secret", &format_args!("[redacted]"));
        if self.refresh.is_some() {
            d.field("refresh", &format_args!("[redacted]"));
        }
        if let Some(app) = &self.app {
            d.field("app", app);
        }
        if self.auth != AuthKind::Standard {
            d.field("auth", &self.auth);
        }
        d.finish()
    }
}

/// The account a connection belongs to, as the network reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    /// The network's stable id of the account (a DID on Bluesky).
    pub id: String,
    /// Its current handle (may change; `id` does not).
    pub handle: String,
}

/// What kind of account a grant can post as, for a person choosing among several.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    /// A person's own profile (X, Threads, TikTok, Mastodon, a LinkedIn member).
    Profile,
    /// A Facebook Page.
    Page,
    /// An Instagram professional account, linked to a Facebook Page.
    Professional,
    /// A LinkedIn organisation page.
    Organization,
    /// A Pinterest board.
    Board,
    /// A YouTube channel.
    Channel,
}

impl AccountKind {
    /// A stable code (`profile`, `page`, `professional`, `organization`, `board`, `channel`).
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Profile => "profile",
            AccountKind::Page => "page",
            AccountKind::Professional => "professional",
            AccountKind::Organization => "organization",
            AccountKind::Board => "board",
            AccountKind::Channel => "channel",
        }
    }

    pub fn parse(code: &str) -> Option<AccountKind> {
        [
            AccountKind::Profile,
            AccountKind::Page,
            AccountKind::Professional,
            AccountKind::Organization,
            AccountKind::Board,
            AccountKind::Channel,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// One account a fresh OAuth grant can post as, with the credentials to post as it (a Facebook
/// Page's own token, a long-lived Threads token …). `Debug` never shows the secrets.
pub struct GrantedAccount {
    pub kind: AccountKind,
    /// What the channel keeps as [`Credentials::account_id`]: the network's stable id of the
    /// account (an X user id, a Page id, a LinkedIn URN, a Pinterest board id).
    pub id: String,
    /// A handle for the channel: no spaces, unique on its network (a username, `name@server` on
    /// Mastodon, the id where the network has no handle).
    pub handle: String,
    /// A name for people ("Northwind Coffee", "Jane Doe").
    pub name: String,
    pub secret: SecretString,
    pub refresh: Option<SecretString>,
    pub expires_at: Option<SystemTime>,
}

impl GrantedAccount {
    /// The account with `grant`'s own tokens.
    pub fn with_grant(
        kind: AccountKind,
        id: impl Into<String>,
        handle: impl Into<String>,
        name: impl Into<String>,
        grant: &TokenGrant,
    ) -> GrantedAccount {
        GrantedAccount {
            kind,
            id: id.into(),
            handle: handle.into(),
            name: name.into(),
            secret: grant.access.clone(),
            refresh: grant.refresh.clone(),
            expires_at: grant.expires_at,
        }
    }
}

impl fmt::Debug for GrantedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantedAccount")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("handle", &self.handle)
            .field("name", &self.name)
            .field("secret", &format_args!("[redacted]"))
            .field("refresh", &self.refresh.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Credentials made of a fresh grant, to call the network as the person who granted it.
pub fn grant_credentials(
    grant: &TokenGrant,
    service: Option<&str>,
    app: &AppCredentials,
) -> Credentials {
    Credentials {
        handle: String::new(),
        service: service.map(str::to_owned),
        account_id: None,
        secret: grant.access.clone(),
        refresh: grant.refresh.clone(),
        expires_at: grant.expires_at,
        app: Some(app.clone()),
        auth: AuthKind::Standard,
    }
}

/// Image or video.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MediaKind {
    #[default]
    Image,
    Video,
}

/// How a network takes a kind of media ([`Connector::media_source`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MediaSource {
    /// The bytes, uploaded by the connector ([`MediaUpload::bytes`]).
    #[default]
    Bytes,
    /// Only from a public address the network downloads ([`MediaUpload::url`]): without one the
    /// engine fails the variant before any call, saying what to set.
    Url,
    /// A public address when the installation has one the network can reach, else the bytes
    /// (Pinterest images: `image_url` or `image_base64`).
    UrlIfPublic,
}

/// One image or video to attach, already rendered for the placement.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MediaUpload {
    pub kind: MediaKind,
    pub bytes: Vec<u8>,
    pub mime: String,
    /// Alt text (required by Bluesky's schema; may be empty).
    pub alt: String,
    pub width: u32,
    pub height: u32,
    /// Videos: the length.
    pub duration_ms: Option<u64>,
    /// A public, time-limited address of the same bytes (`/m/…?e=…&s=…`, signed by the engine,
    /// an hour), for networks that download media themselves instead of receiving it
    /// ([`Connector::media_source`]: Instagram, Threads, TikTok photos, Pinterest images). `None`
    /// when the connector takes bytes, or the installation has no public address: a connector
    /// that needs one then refuses the part with a clear `Permanent` error.
    pub url: Option<String>,
}

impl fmt::Debug for MediaUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaUpload")
            .field("kind", &self.kind)
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("mime", &self.mime)
            .field("alt", &self.alt)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("duration_ms", &self.duration_ms)
            .field("url", &self.url)
            .finish()
    }
}

/// One post of a thread, as the network will show it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishPart {
    pub text: String,
    pub media: Vec<MediaUpload>,
    /// A link to show as a card. Bluesky: not sent yet (the link stays in the text, as a facet).
    pub link: Option<String>,
    /// Languages of the text (BCP 47, e.g. `en`, `bg`); empty when unknown.
    pub langs: Vec<String>,
    /// A title, where the network has one (YouTube, Pinterest, TikTok); `None`: derived from the
    /// text by the connector if the network requires one.
    pub title: Option<String>,
}

/// Publish one part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishRequest {
    /// Stable for this part of this variant (e.g. `"<variant uuid>:<part index>"`): a repeat with
    /// the same key must never create a second post.
    pub idempotency_key: String,
    /// The placement from `networks.toml` (`feed`, `carousel`, `reel`, `story`, `short`, `pin`,
    /// `video`, …); empty: the network's main one.
    pub placement: String,
    pub part: PublishPart,
    /// The post this part answers (the previous part of a thread, or the post a first comment is
    /// on).
    pub reply_to: Option<RemoteRef>,
    /// This part is a comment on `reply_to` (Instagram, Facebook, LinkedIn, YouTube first
    /// comments), not a threaded post of its own (X, Bluesky, Threads, Mastodon replies).
    pub as_comment: bool,
    /// Where inside the account, for networks that need it: a Pinterest board id. `None`: the
    /// account itself (`Credentials::account_id`).
    pub target: Option<String>,
}

impl PublishRequest {
    /// A main post with this key and text, on the network's main placement.
    pub fn new(idempotency_key: impl Into<String>, text: impl Into<String>) -> PublishRequest {
        PublishRequest {
            idempotency_key: idempotency_key.into(),
            placement: String::new(),
            part: PublishPart {
                text: text.into(),
                ..PublishPart::default()
            },
            reply_to: None,
            as_comment: false,
            target: None,
        }
    }
}

/// What [`Connector::lookup`] found out about an earlier publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The network has it.
    Found(Published),
    /// The network confirms it does not have it: sending again cannot duplicate.
    Absent,
    /// The network's API cannot tell (no idempotency, no way to search the account's posts): a
    /// person must check. `reason` says what was tried.
    CannotTell { reason: String },
}

/// A published post as the network shows it now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteStatus {
    /// Still there (false: deleted on the network, or hidden from us).
    pub exists: bool,
    pub metrics: Metrics,
}

/// Public counts of a post, where the network reports them (`None`: not reported).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub likes: Option<u64>,
    /// Reposts, retweets, boosts, shares.
    pub shares: Option<u64>,
    /// Replies or comments.
    pub comments: Option<u64>,
    /// Views or impressions.
    pub views: Option<u64>,
    /// Saves, bookmarks, pin saves.
    pub saves: Option<u64>,
}

/// New tokens from a refresh (or a code exchange).
pub struct TokenGrant {
    pub access: SecretString,
    /// A new refresh token, when the network rotates them; `None`: keep the old one.
    pub refresh: Option<SecretString>,
    pub expires_at: Option<SystemTime>,
    /// Scopes granted, as the network lists them.
    pub scopes: Vec<String>,
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGrant")
            .field("access", &format_args!("[redacted]"))
            .field("refresh", &self.refresh.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A post on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRef {
    /// The network's id: an `at://` URI on Bluesky.
    pub id: String,
    /// A content hash, where the network has one (Bluesky's CID, needed to reply).
    pub cid: Option<String>,
    /// The first post of the thread, when this one is a reply.
    pub root: Option<Box<RemoteRef>>,
}

/// What a publish became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub remote: RemoteRef,
    /// Where people see it.
    pub url: String,
}

/// Why a call failed, sorted by what the caller should do next.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The credentials are revoked, expired or wrong: a person must reconnect the channel.
    #[error("the connection needs to be renewed: {reason}")]
    Auth { reason: String },
    /// Too many requests: try again after `retry_after` (when the network said).
    #[error("rate limited by the network{}", wait(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// A passing failure (server error, connection refused): try again later.
    #[error("temporary failure: {reason}{}", wait(*.retry_after))]
    Temporary {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The request itself is wrong; repeating it will fail again. `reason` says what to change.
    #[error("rejected: {reason}")]
    Permanent { reason: String },
    /// The outcome is unknown (timeout after sending, connection reset): never repeat blindly;
    /// reconcile with [`Connector::lookup`] first.
    #[error("outcome unknown: {reason}")]
    Unknown { reason: String },
}

fn wait(d: Option<Duration>) -> String {
    d.map(|d| format!(" (retry after {} s)", d.as_secs()))
        .unwrap_or_default()
}

impl ConnectorError {
    /// Whether trying the same call again later can succeed without a person acting.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ConnectorError::RateLimited { .. } | ConnectorError::Temporary { .. }
        )
    }

    /// How long the network asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ConnectorError::RateLimited { retry_after }
            | ConnectorError::Temporary { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A network, for one account at a time (the credentials come with each call).
///
/// Implementations may write `async fn`; the futures must be `Send`. `status`, `refresh` and
/// `oauth` have defaults for networks without such a thing.
pub trait Connector: Send + Sync {
    fn network(&self) -> Network;

    /// How this network takes media of `kind`: uploaded bytes (the default), or downloaded from a
    /// public address the engine signs ([`MediaUpload::url`]). One place, so the engine knows
    /// before any call whether the installation's public address must be reachable.
    fn media_source(&self, kind: MediaKind) -> MediaSource {
        let _ = kind;
        MediaSource::Bytes
    }

    /// Checks the credentials and says whose they are.
    fn verify(
        &self,
        creds: &Credentials,
    ) -> impl Future<Output = Result<AccountInfo, ConnectorError>> + Send;

    /// Publishes one part. Repeating it with the same idempotency key never makes a second post
    /// on networks with idempotency; on the others, the engine never repeats a part whose outcome
    /// is unknown without [`Connector::lookup`] first.
    fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> impl Future<Output = Result<Published, ConnectorError>> + Send;

    /// What an earlier `publish` of `req` (first tried at `since`) became: by its idempotency key
    /// where the network has one, else by looking through the account's recent posts for the same
    /// text, else [`Lookup::CannotTell`].
    fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> impl Future<Output = Result<Lookup, ConnectorError>> + Send;

    /// Deletes a post. Deleting what is already gone succeeds.
    fn delete(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send;

    /// Whether a published post still exists, and its public counts.
    fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> impl Future<Output = Result<RemoteStatus, ConnectorError>> + Send {
        let _ = (creds, remote);
        async {
            Err(ConnectorError::Permanent {
                reason: "this network's connector cannot read a post's status".into(),
            })
        }
    }

    /// New tokens before `creds.expires_at`. `Ok(None)`: nothing to refresh (app passwords, tokens
    /// that do not expire). A revoked or expired grant is `Auth`; anything passing is `Temporary`
    /// (a temporary error must never disconnect a channel).
    fn refresh(
        &self,
        creds: &Credentials,
    ) -> impl Future<Output = Result<Option<TokenGrant>, ConnectorError>> + Send {
        let _ = creds;
        async { Ok(None) }
    }

    /// How to connect an account with OAuth 2.0 (authorization code, PKCE where the network
    /// supports it); `None` for networks connected otherwise (Bluesky app passwords, the
    /// sandbox). `service`: the account's server, for networks with many (Mastodon).
    fn oauth(&self, service: Option<&str>) -> Option<oauth::OAuthSpec> {
        let _ = service;
        None
    }

    /// How to send a person to connect an account through the network's sign-in flow `auth`
    /// (TikTok: Login Kit, or the TikTok API for Business's account authorization). Default: the
    /// standard kind is [`Connector::oauth`]; the network has no other.
    fn oauth_for(&self, auth: AuthKind, service: Option<&str>) -> Option<oauth::OAuthSpec> {
        match auth {
            AuthKind::Standard => self.oauth(service),
            _ => None,
        }
    }

    /// The accounts an authorization code of a sign-in flow whose token endpoint is not OAuth
    /// 2.0's grants (TikTok API for Business: a JSON request with `auth_code`, answered in an
    /// envelope that names the account), each with its credentials, as
    /// [`Connector::granted_accounts`] gives them. `Ok(None)`: `auth` is exchanged the OAuth 2.0
    /// way ([`oauth::exchange_code`], then `granted_accounts`) — every network's standard kind.
    fn accounts_from_code(
        &self,
        auth: AuthKind,
        app: &AppCredentials,
        code: &str,
        redirect_uri: &str,
    ) -> impl Future<Output = Result<Option<Vec<GrantedAccount>>, ConnectorError>> + Send {
        let _ = (auth, app, code, redirect_uri);
        async { Ok(None) }
    }

    /// After the code exchange: the accounts the new `grant` can post as, each with the
    /// credentials to do it — after the network's own follow-up steps (Meta's long-lived tokens and
    /// a Page's own token, LinkedIn's organisation roles, Pinterest's boards). An empty list: the
    /// grant can post as nothing Owlery can use (a Facebook login that manages no Page).
    /// Default: the one account [`Connector::verify`] names, with the grant's tokens.
    fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        service: Option<&str>,
    ) -> impl Future<Output = Result<Vec<GrantedAccount>, ConnectorError>> + Send {
        async move {
            let creds = grant_credentials(&grant, service, app);
            let me = self.verify(&creds).await?;
            Ok(vec![GrantedAccount::with_grant(
                AccountKind::Profile,
                me.id,
                me.handle.clone(),
                me.handle,
                &grant,
            )])
        }
    }

    /// Registers Owlery as an OAuth client on `service`, for networks where every server has its
    /// own apps (Mastodon). `Ok(None)`: this network's apps are made by people, in its developer
    /// portal, and configured in Owlery.
    fn register_client(
        &self,
        service: &str,
        redirect_uri: &str,
    ) -> impl Future<Output = Result<Option<AppCredentials>, ConnectorError>> + Send {
        let _ = (service, redirect_uri);
        async { Ok(None) }
    }

    /// Whether this network's inbox is read by polling ([`Connector::poll_inbox`]); networks that
    /// push deliver through webhooks instead.
    fn polls_inbox(&self) -> bool {
        false
    }

    /// What people sent the account (comments on its posts, mentions, DMs where a poll can read
    /// them) after `cursor`, oldest first, with the cursor for next time (see [`inbox`]). `None`:
    /// the first poll of a channel, which starts from the newest page rather than years back.
    fn poll_inbox(
        &self,
        creds: &Credentials,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<inbox::InboxPoll, ConnectorError>> + Send {
        let _ = (creds, cursor);
        async {
            Err(ConnectorError::Permanent {
                reason: "this network delivers its inbox through webhooks, not by polling".into(),
            })
        }
    }

    /// The message behind an event the network pushed by ids only (Instagram's `mentions`), read
    /// from the network by the webhook processor before it ingests the delivery. Default: the
    /// network pushes no such events.
    fn resolve_pushed(
        &self,
        creds: &Credentials,
        what: &webhook::events::Unresolved,
    ) -> impl Future<Output = Result<inbox::InboxItem, ConnectorError>> + Send {
        let _ = (creds, what);
        async {
            Err(ConnectorError::Permanent {
                reason: "this network's connector cannot read what its webhooks announce".into(),
            })
        }
    }

    /// Whether [`Connector::hide_comment`] can work on this network.
    fn can_hide_comments(&self) -> bool {
        false
    }

    /// Whether Owlery can like (favourite, react to) someone's message of `kind` here, and if
    /// not, why.
    fn can_like(&self, kind: owlery_domain::inbox::MessageKind) -> inbox::Ability {
        let _ = kind;
        inbox::Ability::Not("this network's API cannot like messages")
    }

    /// Likes someone's message (`remote_id`: the network's id of it). Liking twice succeeds.
    fn like(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send {
        let _ = (creds, remote_id);
        async {
            Err(ConnectorError::Permanent {
                reason: "this network's API cannot like messages".into(),
            })
        }
    }

    /// Whether Owlery can delete someone else's message of `kind` (a comment on the account's own
    /// content), and if not, why.
    fn can_delete_comment(&self, kind: owlery_domain::inbox::MessageKind) -> inbox::Ability {
        let _ = kind;
        inbox::Ability::Not("on this network only its author can delete a message")
    }

    /// Deletes (or, where that is the API's word for it, rejects) someone else's comment on the
    /// account's content. Deleting what is gone succeeds.
    fn delete_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send {
        let _ = (creds, remote_id);
        async {
            Err(ConnectorError::Permanent {
                reason: "on this network only its author can delete a message".into(),
            })
        }
    }

    /// Deletes one of Owlery's own answers ([`Connector::reply`]'s result). Most networks delete
    /// an answer as they delete a post (the default); those whose answers are comments override.
    fn delete_reply(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send {
        self.delete(creds, remote)
    }

    /// Hides a comment or reply someone else wrote under the account's post, where the network
    /// allows it (Facebook, Instagram, Threads, X; YouTube holds it for review). Hiding what is
    /// already hidden succeeds. Bluesky and Mastodon have no such thing (nobody can hide another
    /// account's reply there): the default says so with a permanent error.
    fn hide_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send {
        let _ = (creds, remote_id);
        async {
            Err(ConnectorError::Permanent {
                reason: "this network cannot hide someone else's comment".into(),
            })
        }
    }

    /// Whether Owlery can answer messages of `kind` on this network ([`Connector::reply`]); the
    /// inbox hides its reply box where it cannot.
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        let _ = kind;
        false
    }

    /// [`Connector::can_reply`] for a channel connected in a particular way: on most networks the
    /// same; TikTok answers comments only for business accounts.
    fn can_reply_as(&self, auth: AuthKind, kind: owlery_domain::inbox::MessageKind) -> bool {
        let _ = auth;
        self.can_reply(kind)
    }

    /// Sends an answer to a message of the inbox, threaded as the network threads it (see
    /// [`inbox::ReplyTarget`]), and says what it became. Same discipline as `publish`: a repeat
    /// with the same key never makes a second answer on networks with idempotency; after
    /// [`ConnectorError::Unknown`] the caller asks [`Connector::lookup_reply`] first.
    fn reply(
        &self,
        creds: &Credentials,
        req: &inbox::ReplyRequest,
    ) -> impl Future<Output = Result<Published, ConnectorError>> + Send {
        let _ = creds;
        let err = inbox::cannot_reply(self.network(), req.target.kind);
        async move { Err(err) }
    }

    /// What an earlier `reply` (first tried at `since`) became. Default: the network cannot tell.
    fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &inbox::ReplyRequest,
        since: SystemTime,
    ) -> impl Future<Output = Result<Lookup, ConnectorError>> + Send {
        let _ = (creds, req, since);
        async {
            Ok(Lookup::CannotTell {
                reason: "this network cannot look an answer up".into(),
            })
        }
    }
}

/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Connector`] as a trait object (`Arc<dyn DynConnector>`): the same methods with boxed futures.
/// Implemented for every `Connector`; do not implement it by hand. The method names are the same,
/// so import one of the two traits per module (or call `Connector::publish(&c, …)`).
pub trait DynConnector: Send + Sync {
    fn network(&self) -> Network;
    fn media_source(&self, kind: MediaKind) -> MediaSource;
    fn verify<'a>(
        &'a self,
        creds: &'a Credentials,
    ) -> BoxFuture<'a, Result<AccountInfo, ConnectorError>>;
    fn publish<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Published, ConnectorError>>;
    fn lookup<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a PublishRequest,
        since: SystemTime,
    ) -> BoxFuture<'a, Result<Lookup, ConnectorError>>;
    fn delete<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<(), ConnectorError>>;
    fn status<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<RemoteStatus, ConnectorError>>;
    fn refresh<'a>(
        &'a self,
        creds: &'a Credentials,
    ) -> BoxFuture<'a, Result<Option<TokenGrant>, ConnectorError>>;
    fn oauth(&self, service: Option<&str>) -> Option<oauth::OAuthSpec>;
    fn oauth_for(&self, auth: AuthKind, service: Option<&str>) -> Option<oauth::OAuthSpec>;
    fn accounts_from_code<'a>(
        &'a self,
        auth: AuthKind,
        app: &'a AppCredentials,
        code: &'a str,
        redirect_uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<GrantedAccount>>, ConnectorError>>;
    fn granted_accounts<'a>(
        &'a self,
        app: &'a AppCredentials,
        grant: TokenGrant,
        service: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<GrantedAccount>, ConnectorError>>;
    fn register_client<'a>(
        &'a self,
        service: &'a str,
        redirect_uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<AppCredentials>, ConnectorError>>;
    fn polls_inbox(&self) -> bool;
    fn poll_inbox<'a>(
        &'a self,
        creds: &'a Credentials,
        cursor: Option<&'a str>,
    ) -> BoxFuture<'a, Result<inbox::InboxPoll, ConnectorError>>;
    fn resolve_pushed<'a>(
        &'a self,
        creds: &'a Credentials,
        what: &'a webhook::events::Unresolved,
    ) -> BoxFuture<'a, Result<inbox::InboxItem, ConnectorError>>;
    fn can_hide_comments(&self) -> bool;
    fn can_like(&self, kind: owlery_domain::inbox::MessageKind) -> inbox::Ability;
    fn like<'a>(
        &'a self,
        creds: &'a Credentials,
        remote_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ConnectorError>>;
    fn can_delete_comment(&self, kind: owlery_domain::inbox::MessageKind) -> inbox::Ability;
    fn delete_comment<'a>(
        &'a self,
        creds: &'a Credentials,
        remote_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ConnectorError>>;
    fn delete_reply<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<(), ConnectorError>>;
    fn hide_comment<'a>(
        &'a self,
        creds: &'a Credentials,
        remote_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ConnectorError>>;
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool;
    fn can_reply_as(&self, auth: AuthKind, kind: owlery_domain::inbox::MessageKind) -> bool;
    fn reply<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a inbox::ReplyRequest,
    ) -> BoxFuture<'a, Result<Published, ConnectorError>>;
    fn lookup_reply<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a inbox::ReplyRequest,
        since: SystemTime,
    ) -> BoxFuture<'a, Result<Lookup, ConnectorError>>;
}

impl<C: Connector> DynConnector for C {
    fn network(&self) -> Network {
        Connector::network(self)
    }
    fn media_source(&self, kind: MediaKind) -> MediaSource {
        Connector::media_source(self, kind)
    }
    fn verify<'a>(
        &'a self,
        creds: &'a Credentials,
    ) -> BoxFuture<'a, Result<AccountInfo, ConnectorError>> {
        Box::pin(Connector::verify(self, creds))
    }
    fn publish<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Published, ConnectorError>> {
        Box::pin(Connector::publish(self, creds, req))
    }
    fn lookup<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a PublishRequest,
        since: SystemTime,
    ) -> BoxFuture<'a, Result<Lookup, ConnectorError>> {
        Box::pin(Connector::lookup(self, creds, req, since))
    }
    fn delete<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(Connector::delete(self, creds, remote))
    }
    fn status<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<RemoteStatus, ConnectorError>> {
        Box::pin(Connector::status(self, creds, remote))
    }
    fn refresh<'a>(
        &'a self,
        creds: &'a Credentials,
    ) -> BoxFuture<'a, Result<Option<TokenGrant>, ConnectorError>> {
        Box::pin(Connector::refresh(self, creds))
    }
    fn oauth(&self, service: Option<&str>) -> Option<oauth::OAuthSpec> {
        Connector::oauth(self, service)
    }
    fn oauth_for(&self, auth: AuthKind, service: Option<&str>) -> Option<oauth::OAuthSpec> {
        Connector::oauth_for(self, auth, service)
    }
    fn accounts_from_code<'a>(
        &'a self,
        auth: AuthKind,
        app: &'a AppCredentials,
        code: &'a str,
        redirect_uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<GrantedAccount>>, ConnectorError>> {
        Box::pin(Connector::accounts_from_code(
            self,
            auth,
            app,
            code,
            redirect_uri,
        ))
    }
    fn granted_accounts<'a>(
        &'a self,
        app: &'a AppCredentials,
        grant: TokenGrant,
        service: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<GrantedAccount>, ConnectorError>> {
        Box::pin(Connector::granted_accounts(self, app, grant, service))
    }
    fn register_client<'a>(
        &'a self,
        service: &'a str,
        redirect_uri: &'a str,
    ) -> BoxFuture<'a, Result<Option<AppCredentials>, ConnectorError>> {
        Box::pin(Connector::register_client(self, service, redirect_uri))
    }
    fn polls_inbox(&self) -> bool {
        Connector::polls_inbox(self)
    }
    fn poll_inbox<'a>(
        &'a self,
        creds: &'a Credentials,
        cursor: Option<&'a str>,
    ) -> BoxFuture<'a, Result<inbox::InboxPoll, ConnectorError>> {
        Box::pin(Connector::poll_inbox(self, creds, cursor))
    }
    fn resolve_pushed<'a>(
        &'a self,
        creds: &'a Credentials,
        what: &'a webhook::events::Unresolved,
    ) -> BoxFuture<'a, Result<inbox::InboxItem, ConnectorError>> {
        Box::pin(Connector::resolve_pushed(self, creds, what))
    }
    fn can_hide_comments(&self) -> bool {
        Connector::can_hide_comments(self)
    }
    fn can_like(&self, kind: owlery_domain::inbox::MessageKind) -> inbox::Ability {
        Connector::can_like(self, kind)
    }
    fn like<'a>(
        &'a self,
        creds: &'a Credentials,
        remote_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(Connector::like(self, creds, remote_id))
    }
    fn can_delete_comment(&self, kind: owlery_domain::inbox::MessageKind) -> inbox::Ability {
        Connector::can_delete_comment(self, kind)
    }
    fn delete_comment<'a>(
        &'a self,
        creds: &'a Credentials,
        remote_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(Connector::delete_comment(self, creds, remote_id))
    }
    fn delete_reply<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(Connector::delete_reply(self, creds, remote))
    }
    fn hide_comment<'a>(
        &'a self,
        creds: &'a Credentials,
        remote_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(Connector::hide_comment(self, creds, remote_id))
    }
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        Connector::can_reply(self, kind)
    }
    fn can_reply_as(&self, auth: AuthKind, kind: owlery_domain::inbox::MessageKind) -> bool {
        Connector::can_reply_as(self, auth, kind)
    }
    fn reply<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a inbox::ReplyRequest,
    ) -> BoxFuture<'a, Result<Published, ConnectorError>> {
        Box::pin(Connector::reply(self, creds, req))
    }
    fn lookup_reply<'a>(
        &'a self,
        creds: &'a Credentials,
        req: &'a inbox::ReplyRequest,
        since: SystemTime,
    ) -> BoxFuture<'a, Result<Lookup, ConnectorError>> {
        Box::pin(Connector::lookup_reply(self, creds, req, since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_credentials_never_shows_the_secrets() {
        let mut creds =
            Credentials::new("alice.test", "abcd-efgh-ijkl-mnop").with_service("http://pds");
        creds.refresh = Some(SecretString::from("refresh-me-please".to_owned()));
        let shown = format!("{creds:?} {creds:#?}");
        assert!(!shown.contains("abcd-efgh"), "{shown}");
        assert!(!shown.contains("refresh-me"), "{shown}");
        assert_eq!(
            format!("{:?}", Credentials::new("alice.test", "hunter2")),
            r#"Credentials { handle: "alice.test", secret: [redacted] }"#
        );
    }

    #[test]
    fn errors_say_whether_to_retry() {
        let rl = ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(9)),
        };
        assert!(rl.is_retryable());
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(9)));
        assert_eq!(
            rl.to_string(),
            "rate limited by the network (retry after 9 s)"
        );
        assert!(
            !ConnectorError::Unknown {
                reason: "timeout".into()
            }
            .is_retryable()
        );
        assert!(
            !ConnectorError::Auth {
                reason: "revoked".into()
            }
            .is_retryable()
        );
    }
}
