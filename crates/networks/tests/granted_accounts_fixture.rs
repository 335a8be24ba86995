//! What each connector finds a fresh OAuth grant can post as ([`Connector::granted_accounts`]),
//! and the small helpers that list them (LinkedIn organisation pages, Pinterest boards, YouTube
//! channels), against local **fixtures** that mirror the documented answers: Meta's long-lived
//! token exchange and `GET /me/accounts`, Threads' `th_exchange_token` and `/me`, LinkedIn's
//! `/v2/userinfo`, `organizationAcls` and `organizations/{id}`, Pinterest's `GET /v5/boards`,
//! YouTube's `channels?mine=true`, X's `/2/users/me`. They prove the connectors speak the documented
//! protocol, not that the networks answer this way today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, SystemTime};

use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::{
    AccountKind, AppCredentials, Connector, ConnectorError, Env, GrantedAccount, TokenGrant,
    facebook::FacebookPages, instagram::Instagram, linkedin::Linkedin, mastodon::Mastodon,
    pinterest::Pinterest, threads::Threads, x::X, youtube::Youtube,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

fn env(server: &Fixture) -> Env {
    Env {
        base_url: Some(server.url()),
        ..Env::default()
    }
}

fn app() -> AppCredentials {
    AppCredentials {
        client_id: "app-id-1".into(),
        client_secret: SecretString::from("app-secret-shh".to_owned()),
    }
}

fn grant(access: &str, refresh: Option<&str>) -> TokenGrant {
    TokenGrant {
        access: SecretString::from(access.to_owned()),
        refresh: refresh.map(|r| SecretString::from(r.to_owned())),
        expires_at: Some(SystemTime::now() + Duration::from_secs(7200)),
        scopes: vec![],
    }
}

fn summary(accounts: &[GrantedAccount]) -> Vec<(AccountKind, &str, &str, &str)> {
    accounts
        .iter()
        .map(|a| (a.kind, a.id.as_str(), a.handle.as_str(), a.name.as_str()))
        .collect()
}

#[tokio::test]
async fn x_grants_its_own_account_with_the_grants_tokens() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        "/2/users/me",
        Reply::json(
            200,
            json!({"data": {"id": "2244994945", "name": "Owlery", "username": "owlery_hq"}}),
        ),
    );
    let x = X::new(env(&server)).unwrap();
    let accounts = x
        .granted_accounts(&app(), grant("x-access-1", Some("x-refresh-1")), None)
        .await
        .unwrap();
    assert_eq!(
        summary(&accounts),
        [(AccountKind::Profile, "2244994945", "owlery_hq", "owlery_hq")]
    );
    assert_eq!(accounts[0].secret.expose_secret(), "x-access-1");
    assert_eq!(
        accounts[0].refresh.as_ref().unwrap().expose_secret(),
        "x-refresh-1"
    );
    assert!(accounts[0].expires_at.is_some());
    let shown = format!("{:?}", accounts[0]);
    assert!(
        !shown.contains("x-access-1") && !shown.contains("x-refresh-1"),
        "{shown}"
    );
    assert_eq!(
        server.requests_to("GET", "/2/users/me")[0].header("authorization"),
        Some("Bearer x-access-1")
    );
}

#[tokio::test]
async fn facebook_exchanges_for_a_long_lived_token_and_lists_each_page_with_its_own() {
    let server = Fixture::start().await.unwrap();
    // POST /oauth/access_token with grant_type=fb_exchange_token (long-lived user token guide).
    server.on(
        "POST",
        "/oauth/access_token",
        Reply::json(
            200,
            json!({"access_token": "EAAUserLongLived", "token_type": "bearer", "expires_in": 5183944}),
        ),
    );
    server.on(
        "GET",
        "/me/accounts",
        Reply::json(
            200,
            json!({"data": [
                {"access_token": "EAAPageOne", "name": "Owlery Café", "id": "111", "tasks": ["CREATE_CONTENT"]},
                {"access_token": "EAAPageTwo", "name": "Owlery Shop", "id": "222", "tasks": ["CREATE_CONTENT"]}
            ], "paging": {"cursors": {"before": "a", "after": "b"}}}),
        ),
    );
    let fb = FacebookPages::new(env(&server)).unwrap();
    let accounts = fb
        .granted_accounts(&app(), grant("EAAShortLived", None), None)
        .await
        .unwrap();
    assert_eq!(
        summary(&accounts),
        [
            (AccountKind::Page, "111", "111", "Owlery Café"),
            (AccountKind::Page, "222", "222", "Owlery Shop"),
        ]
    );
    assert_eq!(accounts[0].secret.expose_secret(), "EAAPageOne");
    assert_eq!(accounts[1].secret.expose_secret(), "EAAPageTwo");
    assert!(
        accounts
            .iter()
            .all(|a| a.expires_at.is_none() && a.refresh.is_none()),
        "Page tokens from a long-lived user token do not expire"
    );
    let exchange = &server.requests_to("POST", "/oauth/access_token")[0];
    let form = exchange.form();
    assert_eq!(form["grant_type"], "fb_exchange_token");
    assert_eq!(form["fb_exchange_token"], "EAAShortLived");
    assert_eq!(form["client_id"], "app-id-1");
    assert_eq!(
        server.requests_to("GET", "/me/accounts")[0].header("authorization"),
        Some("Bearer EAAUserLongLived")
    );
}

#[tokio::test]
async fn instagram_lists_the_professional_accounts_linked_to_the_pages() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "POST",
        "/oauth/access_token",
        Reply::json(
            200,
            json!({"access_token": "EAAUserLongLived", "expires_in": 5183944}),
        ),
    );
    server.on(
        "GET",
        "/me/accounts",
        Reply::json(
            200,
            json!({"data": [
                {"access_token": "EAAPageOne", "name": "Owlery Café", "id": "111",
                 "instagram_business_account": {"id": "17841400000000001", "username": "owlery.cafe"}},
                {"access_token": "EAAPageTwo", "name": "No Instagram", "id": "222"}
            ]}),
        ),
    );
    let ig = Instagram::new(env(&server)).unwrap();
    let accounts = ig
        .granted_accounts(&app(), grant("EAAShortLived", None), None)
        .await
        .unwrap();
    assert_eq!(
        summary(&accounts),
        [(
            AccountKind::Professional,
            "17841400000000001",
            "owlery.cafe",
            "owlery.cafe"
        )]
    );
    assert_eq!(accounts[0].secret.expose_secret(), "EAAPageOne");
    let fields = server.requests_to("GET", "/me/accounts")[0].query_pairs()["fields"].clone();
    assert!(
        fields.contains("instagram_business_account{id,username}"),
        "{fields}"
    );
}

#[tokio::test]
async fn threads_swaps_the_hour_token_for_a_long_lived_one() {
    let server = Fixture::start().await.unwrap();
    // GET /access_token?grant_type=th_exchange_token (long-lived tokens guide).
    server.on(
        "GET",
        "/access_token",
        Reply::json(
            200,
            json!({"access_token": "THLongLived", "token_type": "bearer", "expires_in": 5183944}),
        ),
    );
    server.on(
        "GET",
        "/v1.0/me",
        Reply::json(200, json!({"id": "1234567", "username": "owlery"})),
    );
    let th = Threads::new(env(&server)).unwrap();
    let accounts = th
        .granted_accounts(&app(), grant("THShort", None), None)
        .await
        .unwrap();
    assert_eq!(
        summary(&accounts),
        [(AccountKind::Profile, "1234567", "owlery", "owlery")]
    );
    assert_eq!(accounts[0].secret.expose_secret(), "THLongLived");
    let expires = accounts[0].expires_at.unwrap();
    assert!(expires > SystemTime::now() + Duration::from_secs(50 * 24 * 3600));
    assert_eq!(
        server.requests_to("GET", "/access_token")[0].query_pairs()["grant_type"],
        "th_exchange_token"
    );
}

fn linkedin_member(server: &Fixture) {
    server.on(
        "GET",
        "/v2/userinfo",
        Reply::json(
            200,
            json!({"sub": "782bbtaQ", "name": "John Doe", "given_name": "John", "family_name": "Doe", "locale": "en-US"}),
        ),
    );
}

#[tokio::test]
async fn linkedin_offers_the_member_and_the_pages_they_may_post_for() {
    let server = Fixture::start().await.unwrap();
    linkedin_member(&server);
    server.on(
        "GET",
        "/rest/organizationAcls",
        Reply::json(
            200,
            json!({"paging": {"count": 100, "start": 0, "links": []}, "elements": [
                {"roleAssignee": "urn:li:person:782bbtaQ", "state": "APPROVED", "role": "ADMINISTRATOR", "organization": "urn:li:organization:2414183"},
                {"roleAssignee": "urn:li:person:782bbtaQ", "state": "APPROVED", "role": "ANALYST", "organization": "urn:li:organization:1"},
                {"roleAssignee": "urn:li:person:782bbtaQ", "state": "APPROVED", "role": "CONTENT_ADMIN", "organization": "urn:li:organization:5"}
            ]}),
        ),
    );
    server.on(
        "GET",
        "/rest/organizations/2414183",
        Reply::json(
            200,
            json!({"id": 2414183, "localizedName": "Devtestco", "vanityName": "devtestco"}),
        ),
    );
    server.on(
        "GET",
        "/rest/organizations/5",
        Reply::json(200, json!({"id": 5, "localizedName": "Five Ltd"})),
    );
    let li = Linkedin::new(env(&server)).unwrap();
    let accounts = li
        .granted_accounts(&app(), grant("AQXtoken", Some("AQXrefresh")), None)
        .await
        .unwrap();
    assert_eq!(
        summary(&accounts),
        [
            (
                AccountKind::Profile,
                "urn:li:person:782bbtaQ",
                "urn:li:person:782bbtaQ",
                "John Doe"
            ),
            (
                AccountKind::Organization,
                "urn:li:organization:2414183",
                "devtestco",
                "Devtestco"
            ),
            (
                AccountKind::Organization,
                "urn:li:organization:5",
                "urn:li:organization:5",
                "Five Ltd"
            ),
        ]
    );
    assert!(
        accounts
            .iter()
            .all(|a| a.secret.expose_secret() == "AQXtoken"
                && a.refresh.as_ref().unwrap().expose_secret() == "AQXrefresh")
    );
    assert!(
        server
            .requests_to("GET", "/rest/organizations/1")
            .is_empty(),
        "an analyst role is not offered"
    );
    let acl = &server.requests_to("GET", "/rest/organizationAcls")[0];
    assert_eq!(acl.query_pairs()["q"], "roleAssignee");
    assert_eq!(acl.header("x-restli-protocol-version"), Some("2.0.0"));
}

#[tokio::test]
async fn linkedin_organizations_fail_as_the_network_says() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        "/rest/organizationAcls",
        Reply::json(
            403,
            json!({"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED", "message": "Not enough permissions to access: organizationAcls.FINDER-roleAssignee"}),
        ),
    );
    let li = Linkedin::new(env(&server)).unwrap();
    let creds = owlery_networks::Credentials::new("John", "AQXtoken");
    let err = li.organizations(&creds).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(!err.to_string().contains("AQXtoken"));
}

#[tokio::test]
async fn pinterest_offers_one_channel_per_board() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        "/v5/user_account",
        Reply::json(
            200,
            json!({"account_type": "BUSINESS", "id": "9876", "username": "owlery"}),
        ),
    );
    // GET /v5/boards (List boards), two pages joined by `bookmark`.
    server.on(
        "GET",
        "/v5/boards",
        Reply::json(
            200,
            json!({"items": [{"id": "549755885175", "name": "Summer Recipes", "privacy": "PUBLIC", "owner": {"username": "owlery"}}], "bookmark": "Ym9va21hcms="}),
        ),
    );
    server.on(
        "GET",
        "/v5/boards",
        Reply::json(
            200,
            json!({"items": [{"id": "549755885176", "name": "Café & Co.", "privacy": "PUBLIC"}], "bookmark": null}),
        ),
    );
    let pin = Pinterest::new(env(&server)).unwrap();
    let accounts = pin
        .granted_accounts(&app(), grant("pina_token", Some("pinr_token")), None)
        .await
        .unwrap();
    assert_eq!(
        summary(&accounts),
        [
            (
                AccountKind::Board,
                "549755885175",
                "owlery/summer-recipes",
                "Summer Recipes"
            ),
            (
                AccountKind::Board,
                "549755885176",
                "owlery/café-co",
                "Café & Co."
            ),
        ]
    );
    let lists = server.requests_to("GET", "/v5/boards");
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0].query_pairs()["page_size"], "100");
    assert_eq!(lists[1].query_pairs()["bookmark"], "Ym9va21hcms=");
    assert_eq!(lists[0].header("authorization"), Some("Bearer pina_token"));
}

#[tokio::test]
async fn youtube_offers_each_channel_of_the_google_account() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        "/youtube/v3/channels",
        Reply::json(
            200,
            json!({"kind": "youtube#channelListResponse", "items": [
                {"kind": "youtube#channel", "id": "UC_x5XG1OV2P6uZZ5FSM9Ttw", "snippet": {"title": "Owlery", "customUrl": "@owlery"}},
                {"kind": "youtube#channel", "id": "UC_brand_2", "snippet": {"title": "Owlery Labs"}}
            ]}),
        ),
    );
    let yt = Youtube::new(env(&server)).unwrap();
    let accounts = yt
        .granted_accounts(&app(), grant("ya29.token", Some("1//refresh")), None)
        .await
        .unwrap();
    assert_eq!(
        summary(&accounts),
        [
            (
                AccountKind::Channel,
                "UC_x5XG1OV2P6uZZ5FSM9Ttw",
                "@owlery",
                "Owlery"
            ),
            (
                AccountKind::Channel,
                "UC_brand_2",
                "UC_brand_2",
                "Owlery Labs"
            ),
        ]
    );
    let q = server.requests_to("GET", "/youtube/v3/channels")[0].query_pairs();
    assert_eq!(q["mine"], "true");
    assert_eq!(q["part"], "snippet");
}

#[tokio::test]
async fn mastodon_writes_the_handle_with_its_server_and_registers_its_app() {
    let server = Fixture::start().await.unwrap();
    server.on(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Reply::json(
            200,
            json!({"id": "109", "username": "brand", "acct": "brand"}),
        ),
    );
    server.on(
        "POST",
        "/api/v1/apps",
        Reply::json(
            200,
            json!({"id": "563419", "name": "Owlery", "client_id": "mastodon-cid", "client_secret": "mastodon-secret", "redirect_uri": "https://owl.example/oauth/callback/mastodon"}),
        ),
    );
    let m = Mastodon::new(Env::default()).unwrap();
    let accounts = m
        .granted_accounts(&app(), grant("mast-token", None), Some(&server.url()))
        .await
        .unwrap();
    let host = server.url().trim_start_matches("http://").to_owned();
    assert_eq!(accounts[0].kind, AccountKind::Profile);
    assert_eq!(accounts[0].id, "109");
    assert_eq!(accounts[0].handle, format!("brand@{host}"));
    let registered = m
        .register_client(&server.url(), "https://owl.example/oauth/callback/mastodon")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(registered.client_id, "mastodon-cid");
    assert_eq!(registered.client_secret.expose_secret(), "mastodon-secret");
    // Networks whose apps people make register nothing.
    let x = X::new(env(&server)).unwrap();
    assert!(
        x.register_client("https://x.com", "https://owl.example/cb")
            .await
            .unwrap()
            .is_none()
    );
}
