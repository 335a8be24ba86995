//! The set of connectors a process works with: one per network, sharing one rate-limit budget
//! book. The publishing engine publishes through it; the web layer connects channels through it.
//! Tests build their own with [`Connectors::empty`] and [`Connectors::with`] (fixtures, fakes).

use std::collections::HashMap;
use std::sync::Arc;

use crate::budget::BudgetBook;
use crate::{ConnectorError, DynConnector, Env, Network};

/// The connectors a process works with, one per network, sharing one budget book.
pub struct Connectors {
    by_network: HashMap<Network, Arc<dyn DynConnector>>,
    budgets: Arc<BudgetBook>,
}

impl std::fmt::Debug for Connectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut networks: Vec<&str> = self.by_network.keys().map(|n| n.code()).collect();
        networks.sort_unstable();
        f.debug_struct("Connectors")
            .field("networks", &networks)
            .finish()
    }
}

impl Connectors {
    /// The networks with a connector.
    pub fn networks(&self) -> Vec<Network> {
        let mut n: Vec<Network> = self.by_network.keys().copied().collect();
        n.sort_by_key(|n| n.code());
        n
    }

    /// None yet: add them with [`Connectors::with`].
    pub fn empty(budgets: Arc<BudgetBook>) -> Connectors {
        Connectors {
            by_network: HashMap::new(),
            budgets,
        }
    }

    /// Every network Owlery has a connector for, built with `env` (one shared budget book).
    pub fn standard(env: Env) -> Result<Connectors, ConnectorError> {
        use crate::{
            bluesky::Bluesky, facebook::FacebookPages, instagram::Instagram, linkedin::Linkedin,
            mastodon::Mastodon, pinterest::Pinterest, threads::Threads, tiktok::Tiktok, x::X,
            youtube::Youtube,
        };
        let budgets = env.budgets.clone();
        Ok(Connectors::empty(budgets)
            .with(Arc::new(Bluesky::with_env(env.clone())?))
            .with(Arc::new(Mastodon::new(env.clone())?))
            .with(Arc::new(X::new(env.clone())?))
            .with(Arc::new(Threads::new(env.clone())?))
            .with(Arc::new(FacebookPages::new(env.clone())?))
            .with(Arc::new(Instagram::new(env.clone())?))
            .with(Arc::new(Linkedin::new(env.clone())?))
            .with(Arc::new(Pinterest::new(env.clone())?))
            .with(Arc::new(Tiktok::new(env.clone())?))
            .with(Arc::new(Youtube::new(env)?)))
    }

    /// Adds (or replaces) the connector of its network.
    pub fn with(mut self, connector: Arc<dyn DynConnector>) -> Connectors {
        self.by_network.insert(connector.network(), connector);
        self
    }

    pub fn get(&self, network: Network) -> Option<Arc<dyn DynConnector>> {
        self.by_network.get(&network).cloned()
    }

    /// Whether the connector of `network` (a network code) can answer messages of `kind` for a
    /// channel connected as `auth`: what the store asks before a routing rule answers
    /// automatically.
    pub fn can_reply(
        &self,
        network: &str,
        auth: crate::AuthKind,
        kind: owlery_domain::inbox::MessageKind,
    ) -> bool {
        Network::parse(network)
            .and_then(|n| self.by_network.get(&n))
            .is_some_and(|c| c.can_reply_as(auth, kind))
    }

    pub fn budgets(&self) -> &Arc<BudgetBook> {
        &self.budgets
    }
}

#[cfg(test)]
mod standard_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_real_network_has_a_connector() {
        let c = Connectors::standard(Env::default()).unwrap();
        let expected: Vec<Network> = Network::ALL
            .into_iter()
            .filter(|n| *n != Network::Sandbox)
            .collect();
        for n in &expected {
            assert!(c.get(*n).is_some(), "no connector for {}", n.code());
            assert_eq!(c.get(*n).unwrap().network(), *n);
        }
        assert_eq!(c.networks().len(), expected.len());
    }
}
