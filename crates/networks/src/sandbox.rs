//! The sandbox network: accepts everything, keeps posts in memory, never leaves the machine. For the
//! demo, training and crisis drills, and as a stand-in in the engine's tests.
//!
//! It behaves like a well-mannered network: any non-empty handle and secret are accepted, a publish
//! gets a local id (`sandbox:<n>`) and is idempotent by its key, replies keep the thread's root,
//! `lookup` and `delete` work. [`Sandbox::fail_next`] makes the next call fail with a given error,
//! to rehearse failures.

use std::collections::HashMap;
use std::sync::Mutex;

pub mod traffic;

use crate::{
    AccountInfo, Connector, ConnectorError, Credentials, Lookup, Metrics, Network, PublishRequest,
    Published, RemoteRef, RemoteStatus,
};

/// The in-memory network. Cheap to create; share it (`Arc`) to see one timeline.
#[derive(Default)]
pub struct Sandbox {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// idempotency key → what it became
    by_key: HashMap<String, Published>,
    /// id → the part's text (what "the network" holds)
    posts: HashMap<String, SandboxPost>,
    fail_next: Vec<ConnectorError>,
}

/// A post as the sandbox holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxPost {
    pub handle: String,
    pub text: String,
    pub media: usize,
    pub reply_to: Option<String>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::default()
    }

    /// The next call (any method but `network`) fails with `err`; queued in order.
    pub fn fail_next(&self, err: ConnectorError) {
        self.lock().fail_next.push(err);
    }

    /// The post with this id, if it exists.
    pub fn post(&self, id: &str) -> Option<SandboxPost> {
        self.lock().posts.get(id).cloned()
    }

    /// How many posts exist.
    pub fn len(&self) -> usize {
        self.lock().posts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every change is one insert.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn injected(&self) -> Result<(), ConnectorError> {
        let mut state = self.lock();
        if state.fail_next.is_empty() {
            Ok(())
        } else {
            Err(state.fail_next.remove(0))
        }
    }
}

fn check(creds: &Credentials) -> Result<(), ConnectorError> {
    use secrecy::ExposeSecret;
    if creds.handle.trim().is_empty() || creds.secret.expose_secret().is_empty() {
        return Err(ConnectorError::Auth {
            reason: "the sandbox needs a handle and any non-empty secret".into(),
        });
    }
    Ok(())
}

impl Connector for Sandbox {
    fn network(&self) -> Network {
        Network::Sandbox
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        self.injected()?;
        check(creds)?;
        Ok(AccountInfo {
            id: format!("sandbox:{}", creds.handle),
            handle: creds.handle.clone(),
        })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        self.injected()?;
        check(creds)?;
        let mut state = self.lock();
        if let Some(done) = state.by_key.get(&req.idempotency_key) {
            return Ok(done.clone());
        }
        if let Some(parent) = &req.reply_to
            && !state.posts.contains_key(&parent.id)
        {
            return Err(ConnectorError::Permanent {
                reason: format!("the post to reply to ({}) does not exist", parent.id),
            });
        }
        state.next_id += 1;
        let id = format!("sandbox:{}", state.next_id);
        let root = req.reply_to.as_ref().map(|parent| {
            parent
                .root
                .clone()
                .unwrap_or_else(|| Box::new(parent.clone()))
        });
        let published = Published {
            remote: RemoteRef {
                id: id.clone(),
                cid: None,
                root,
            },
            url: format!("sandbox://{}/posts/{}", creds.handle, state.next_id),
        };
        state.posts.insert(
            id,
            SandboxPost {
                handle: creds.handle.clone(),
                text: req.part.text.clone(),
                media: req.part.media.len(),
                reply_to: req.reply_to.as_ref().map(|r| r.id.clone()),
            },
        );
        state
            .by_key
            .insert(req.idempotency_key.clone(), published.clone());
        Ok(published)
    }

    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        _since: std::time::SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        self.injected()?;
        check(creds)?;
        let state = self.lock();
        Ok(state
            .by_key
            .get(&req.idempotency_key)
            .filter(|p| state.posts.contains_key(&p.remote.id))
            .cloned()
            .map_or(Lookup::Absent, Lookup::Found))
    }

    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        self.injected()?;
        check(creds)?;
        Ok(RemoteStatus {
            exists: self.lock().posts.contains_key(&remote.id),
            metrics: Metrics::default(),
        })
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        self.injected()?;
        check(creds)?;
        self.lock().posts.remove(&remote.id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DynConnector;
    use std::sync::Arc;

    fn req(key: &str, text: &str, reply_to: Option<RemoteRef>) -> PublishRequest {
        PublishRequest {
            reply_to,
            ..PublishRequest::new(key, text)
        }
    }

    #[tokio::test]
    async fn publishes_threads_idempotently_and_deletes() {
        let sandbox = Arc::new(Sandbox::new());
        // used the way the engine will: as a trait object
        let conn: Arc<dyn DynConnector> = sandbox.clone();
        let creds = Credentials::new("owl", "anything");
        assert_eq!(conn.network(), Network::Sandbox);
        assert_eq!(conn.verify(&creds).await.unwrap().handle, "owl");
        assert!(matches!(
            conn.verify(&Credentials::new("owl", "")).await,
            Err(ConnectorError::Auth { .. })
        ));

        let first = conn
            .publish(&creds, &req("v:0", "one", None))
            .await
            .unwrap();
        let again = conn
            .publish(&creds, &req("v:0", "one", None))
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(sandbox.len(), 1);

        let second = conn
            .publish(&creds, &req("v:1", "two", Some(first.remote.clone())))
            .await
            .unwrap();
        let third = conn
            .publish(&creds, &req("v:2", "three", Some(second.remote.clone())))
            .await
            .unwrap();
        assert_eq!(second.remote.root.as_deref().unwrap().id, first.remote.id);
        assert_eq!(third.remote.root.as_deref().unwrap().id, first.remote.id);
        assert_eq!(
            sandbox.post(&third.remote.id).unwrap().reply_to.as_deref(),
            Some(second.remote.id.as_str())
        );

        let since = std::time::SystemTime::now();
        assert_eq!(
            conn.lookup(&creds, &req("v:1", "", None), since)
                .await
                .unwrap(),
            Lookup::Found(second.clone())
        );
        assert_eq!(
            conn.lookup(&creds, &req("v:9", "", None), since)
                .await
                .unwrap(),
            Lookup::Absent
        );
        assert!(conn.status(&creds, &second.remote).await.unwrap().exists);
        conn.delete(&creds, &second.remote).await.unwrap();
        conn.delete(&creds, &second.remote).await.unwrap();
        assert!(!conn.status(&creds, &second.remote).await.unwrap().exists);
        assert_eq!(
            conn.lookup(&creds, &req("v:1", "", None), since)
                .await
                .unwrap(),
            Lookup::Absent
        );
        assert_eq!(sandbox.len(), 2);
    }

    #[tokio::test]
    async fn injected_failures_come_once_in_order() {
        let sandbox = Sandbox::new();
        let creds = Credentials::new("owl", "x");
        sandbox.fail_next(ConnectorError::RateLimited { retry_after: None });
        sandbox.fail_next(ConnectorError::Unknown {
            reason: "timeout".into(),
        });
        assert!(matches!(
            Connector::publish(&sandbox, &creds, &req("k", "t", None)).await,
            Err(ConnectorError::RateLimited { .. })
        ));
        assert!(matches!(
            Connector::publish(&sandbox, &creds, &req("k", "t", None)).await,
            Err(ConnectorError::Unknown { .. })
        ));
        assert!(
            Connector::publish(&sandbox, &creds, &req("k", "t", None))
                .await
                .is_ok()
        );
        assert!(matches!(
            Connector::publish(
                &sandbox,
                &creds,
                &req(
                    "r",
                    "t",
                    Some(RemoteRef {
                        id: "sandbox:404".into(),
                        cid: None,
                        root: None
                    })
                )
            )
            .await,
            Err(ConnectorError::Permanent { .. })
        ));
    }
}
