//! What the webhook crash test and the webhook benchmark both need: an Owlery database with one
//! Facebook Page channel and its Meta app, ready to receive signed deliveries. Included by both
//! (`#[path]` from the bench), so the two cannot drift apart.

use owlery_domain::{ChannelId, audit::Actor, org::Network, user::DisplayName};
use owlery_store::{
    Store,
    oauth::{NewNetworkApp, network_app_purpose},
    org::{ChannelCredential, channel_credential_purpose},
    vault::{Kek, Vault},
    webhooks::verify_token_purpose,
};

/// The vault key the server under test is started with.
pub const KEK: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
/// The Facebook Page the deliveries are for.
pub const PAGE: &str = "1001";

/// The organisation, a Facebook Page channel for [`PAGE`], and the Meta app with `secret` and the
/// public webhook id `webhook_id`; returns that id as stored.
pub async fn setup(store: &Store, secret: &[u8], webhook_id: &str) -> String {
    store.migrate().await.unwrap();
    let vault = Vault::load(store, &Kek::from_base64(KEK).unwrap())
        .await
        .unwrap();
    let actor = Actor::cli();
    let org = store.ensure_organisation(&actor, "Acme").await.unwrap();
    let ws = store
        .create_workspace(&actor, org.id, &DisplayName::parse("name", "Shop").unwrap())
        .await
        .unwrap();
    let id = ChannelId::new();
    store
        .create_connected_channel(
            &actor,
            ws.id,
            Network::FacebookPage,
            &DisplayName::parse("name", "Shop").unwrap(),
            "shop-page",
            id,
            &ChannelCredential {
                service: None,
                account_id: PAGE.into(),
                sealed: vault
                    .seal(&channel_credential_purpose(id), b"page-token")
                    .unwrap(),
                refresh_sealed: None,
                expires_at: None,
                auth: owlery_domain::org::AuthKind::Standard,
            },
        )
        .await
        .unwrap();
    let sealed = vault
        .seal(&network_app_purpose(Network::FacebookPage, None), secret)
        .unwrap();
    store
        .set_network_app(
            &actor,
            org.id,
            &NewNetworkApp {
                network: Network::FacebookPage,
                service: None,
                client_id: "meta-app",
                secret_sealed: &sealed,
                registered: false,
            },
        )
        .await
        .unwrap();
    let token = vault
        .seal(&verify_token_purpose(Network::FacebookPage), b"verify")
        .unwrap();
    let (hook, _) = store
        .ensure_app_webhook(&actor, org.id, Network::FacebookPage, webhook_id, &token)
        .await
        .unwrap();
    hook
}
