//! Owlery's network connectors: one trait, [`Connector`], and one module per network.
//!
//! - [`bluesky`]: the AT Protocol (real and complete; verified live against Bluesky's own
//!   `@atproto/dev-env`, see that module).
//! - [`sandbox`]: the built-in network that never leaves the machine (demo, training, drills).
//! - [`http`]: the shared HTTP client and how HTTP outcomes become a [`ConnectorError`].
//!
//! What lives here: talking to a network for one account (check the connection, publish one part,
//! look up what a part became, delete). What does not: deciding *when* to publish, retries and
//! backoff, storing results, splitting a post into parts (the publishing engine and the store do
//! that), counting text (`owlery_domain::text`).
//!
//! ## Exactly once
//! Every [`PublishRequest`] carries an idempotency key that is stable for one part of one variant.
//! A connector derives whatever the network offers from it (Bluesky: the record key) so that a
//! repeated publish cannot create a second post. After [`ConnectorError::Unknown`] the engine must
//! call [`Connector::lookup`] with the same key before it decides to send again.
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
use std::time::Duration;

pub use owlery_domain::org::Network;
use secrecy::SecretString;

pub mod bluesky;
pub mod http;
pub mod sandbox;

/// What a channel's connection holds, decrypted only on the call path. `Debug` never shows the
/// secrets.
pub struct Credentials {
    /// The account as the network names it: a Bluesky handle (`alice.bsky.social`) or DID.
    pub handle: String,
    /// The account's server, for networks with many (a Bluesky PDS such as
    /// `https://bsky.social`, a Mastodon instance). `None`: the network's default.
    pub service: Option<String>,
    /// The secret: a Bluesky app password, an OAuth access token.
    pub secret: SecretString,
    /// An OAuth refresh token, for networks that have one.
    pub refresh: Option<SecretString>,
}

impl Credentials {
    /// Handle and secret, on the network's default server.
    pub fn new(handle: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            handle: handle.into(),
            service: None,
            secret: SecretString::from(secret.into()),
            refresh: None,
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
        d.field("secret", &format_args!("[redacted]"));
        if self.refresh.is_some() {
            d.field("refresh", &format_args!("[redacted]"));
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

/// One image to attach.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaUpload {
    pub bytes: Vec<u8>,
    pub mime: String,
    /// Alt text (required by Bluesky's schema; may be empty).
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

impl fmt::Debug for MediaUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaUpload")
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("mime", &self.mime)
            .field("alt", &self.alt)
            .field("width", &self.width)
            .field("height", &self.height)
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
}

/// Publish one part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishRequest {
    /// Stable for this part of this variant (e.g. `"<variant uuid>:<part index>"`): a repeat with
    /// the same key must never create a second post.
    pub idempotency_key: String,
    pub part: PublishPart,
    /// The post this part answers (the previous part of a thread).
    pub reply_to: Option<RemoteRef>,
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
/// Implementations may write `async fn`; the futures must be `Send`.
pub trait Connector: Send + Sync {
    fn network(&self) -> Network;

    /// Checks the credentials and says whose they are.
    fn verify(
        &self,
        creds: &Credentials,
    ) -> impl Future<Output = Result<AccountInfo, ConnectorError>> + Send;

    /// Publishes one part. Repeating it with the same idempotency key never makes a second post:
    /// it returns the first one or fails.
    fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> impl Future<Output = Result<Published, ConnectorError>> + Send;

    /// What the publish with this idempotency key became, if it happened (reconcile after
    /// [`ConnectorError::Unknown`]).
    fn lookup(
        &self,
        creds: &Credentials,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<Published>, ConnectorError>> + Send;

    /// Deletes a post. Deleting what is already gone succeeds.
    fn delete(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send;
}

/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Connector`] as a trait object (`Arc<dyn DynConnector>`): the same methods with boxed futures.
/// Implemented for every `Connector`; do not implement it by hand. The method names are the same,
/// so import one of the two traits per module (or call `Connector::publish(&c, …)`).
pub trait DynConnector: Send + Sync {
    fn network(&self) -> Network;
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
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Published>, ConnectorError>>;
    fn delete<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<(), ConnectorError>>;
}

impl<C: Connector> DynConnector for C {
    fn network(&self) -> Network {
        Connector::network(self)
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
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Published>, ConnectorError>> {
        Box::pin(Connector::lookup(self, creds, idempotency_key))
    }
    fn delete<'a>(
        &'a self,
        creds: &'a Credentials,
        remote: &'a RemoteRef,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(Connector::delete(self, creds, remote))
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
