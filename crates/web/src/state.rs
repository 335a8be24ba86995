//! What every handler shares: the store, the vault, the network connectors, configuration and
//! metrics.

use std::sync::Arc;

use owlery_domain::lockout::LockoutPolicy;
use owlery_store::{Store, vault::Vault};

/// Settings of the HTTP edge, built by the binary from its configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address people use to reach Owlery, without a trailing slash (`https://owlery.example.com`).
    /// Links in e-mails are built from it; cookies are `Secure` when it is https.
    pub public_url: String,
    /// Whether outgoing e-mail is configured (password reset needs it).
    pub mail_enabled: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest media upload accepted, in bytes (images are further held to
    /// `owlery_media::Limits`).
    pub max_upload_bytes: usize,
    /// Connect accounts on servers at private addresses, and over plain http (`server_guard`):
    /// a self-hosted fediverse on a LAN, tests against local servers.
    pub allow_private_servers: bool,
    /// Networks that download media get addresses under `public_url` even when it is private
    /// (tests, development): shown on the Network apps page as the engine will judge it.
    pub media_urls_allow_private: bool,
}

impl WebConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim_end_matches('/'))
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            mail_enabled: false,
            trust_forwarded_for: false,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 100 * 1_000_000,
            allow_private_servers: false,
            media_urls_allow_private: false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub vault: Arc<Vault>,
    pub config: Arc<WebConfig>,
    pub lockout: LockoutPolicy,
    /// The Prometheus recorder's handle, when metrics are on.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// One connector per network: connecting channels (Bluesky app passwords, OAuth) goes through
    /// them. The binary builds the standard set; tests put in fixtures.
    pub connectors: Arc<owlery_networks::Connectors>,
    /// The key of signed media addresses (`media_url.rs`), opened on first use.
    pub media_url_key: Arc<tokio::sync::OnceCell<owlery_domain::publishing::media_url::UrlKey>>,
    /// When this node last wrote each person's activity (automatic away, `activity.rs`).
    pub activity: Arc<crate::activity::Activity>,
}

impl AppState {
    pub fn new(store: Store, vault: Arc<Vault>, config: WebConfig) -> Self {
        Self {
            store,
            vault,
            config: Arc::new(config),
            lockout: LockoutPolicy::default(),
            metrics: None,
            connectors: Arc::new(standard_connectors()),
            media_url_key: Arc::default(),
            activity: Arc::default(),
        }
    }

    /// The same with these connectors (tests: fixtures instead of the real networks).
    pub fn with_connectors(mut self, connectors: Arc<owlery_networks::Connectors>) -> Self {
        self.connectors = connectors;
        self
    }
}

/// Every network's connector with default settings; none if the HTTP client cannot be built
/// (connecting then says the network is not available, nothing else is affected).
fn standard_connectors() -> owlery_networks::Connectors {
    match owlery_networks::Connectors::standard(owlery_networks::Env::default()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the network connectors could not be built");
            owlery_networks::Connectors::empty(Default::default())
        }
    }
}
