//! Connecting a real Bluesky account through `POST /channels`: the app password is checked with
//! the server before anything is saved, kept sealed, and never returned. Against the real
//! Bluesky stack (`@atproto/dev-env`, started by scripts/test) when it is there.

use axum::http::StatusCode;
use owlery_domain::{ChannelId, Role};
use serde_json::{Value, json};

use crate::support::TestApp;

fn devenv_pds() -> Option<String> {
    match std::env::var("OWLERY_TEST_BLUESKY_PDS") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI_SERVICES").is_err()
                    || std::env::var("OWLERY_TEST_BLUESKY_APPVIEW").is_err(),
                "CI_SERVICES is set with the Bluesky stack but OWLERY_TEST_BLUESKY_PDS is not"
            );
            eprintln!(
                "note: OWLERY_TEST_BLUESKY_PDS is not set; skipping the live connect test (scripts/test starts the stack)"
            );
            None
        }
    }
}

/// A fresh account on the dev-env PDS, and an app password for it.
async fn account(pds: &str) -> (String, String) {
    let http = reqwest::Client::new();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let handle = format!("con{}.test", &id[id.len() - 10..]);
    let created: Value = http
        .post(format!("{pds}/xrpc/com.atproto.server.createAccount"))
        .json(&json!({"handle": handle, "email": format!("{handle}@example.test"), "password": format!("main-{id}")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = created["accessJwt"].as_str().unwrap().to_owned();
    let app: Value = http
        .post(format!("{pds}/xrpc/com.atproto.server.createAppPassword"))
        .bearer_auth(access)
        .json(&json!({"name": "owlery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (handle, app["password"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_bluesky_account_is_connected_only_with_a_password_its_server_accepts() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("Brand").await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;

    // Mistakes the client can fix, before any network call.
    for (body, code) in [
        (
            json!({"workspace_id": ws.id, "network": "bluesky", "handle": "a.test", "app_password": "", "service_url": "https://bsky.social"}),
            "required",
        ),
        (
            json!({"workspace_id": ws.id, "network": "bluesky", "handle": "a.test", "app_password": "x", "service_url": "ftp://pds"}),
            "invalid_service_url",
        ),
        (
            json!({"workspace_id": ws.id, "network": "bluesky", "handle": "a.test"}),
            "unsupported_network",
        ),
    ] {
        let (status, res) = app.post_json("/channels", &token, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {res}");
        assert_eq!(res["error"]["code"], code, "{res}");
    }
    // A server on Owlery's own network, or over plain http, is never sent a password (SSRF).
    for (service, code) in [
        ("http://127.0.0.1:9", "server_not_https"),
        ("https://127.0.0.1:9", "server_not_public"),
        ("https://localhost:2583", "server_not_public"),
        ("https://169.254.169.254", "server_not_public"),
        ("https://10.0.0.7", "server_not_public"),
        ("https://[::1]:2583", "server_not_public"),
    ] {
        let (status, res) = app
            .post_json(
                "/channels",
                &token,
                json!({"workspace_id": ws.id, "network": "bluesky", "handle": "a.test", "app_password": "abcd-efgh-ijkl-mnop", "service_url": service}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{service}: {res}");
        assert_eq!(res["error"]["code"], code, "{service}: {res}");
        assert_eq!(res["error"]["field"], "service_url");
    }
    assert_eq!(app.store().count_channels().await.unwrap(), 0);

    // Allowed explicitly (a PDS on a LAN, the test servers): a server that cannot be reached is a
    // 502, nothing saved.
    let app = TestApp::builder()
        .config(|c| c.allow_private_servers = true)
        .sqlite()
        .await;
    let ws = app.workspace("Brand").await;
    let (_, token) = app.user_with_token("owner@example.test", Role::Owner).await;
    let (status, res) = app
        .post_json(
            "/channels",
            &token,
            json!({"workspace_id": ws.id, "network": "bluesky", "handle": "a.test", "app_password": "abcd-efgh-ijkl-mnop", "service_url": "http://127.0.0.1:9"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{res}");
    assert_eq!(app.store().count_channels().await.unwrap(), 0);

    let Some(pds) = devenv_pds() else { return };
    let (handle, password) = account(&pds).await;
    let (status, res) = app
        .post_json(
            "/channels",
            &token,
            json!({"workspace_id": ws.id, "network": "bluesky", "handle": handle, "app_password": "wrong-wrong-wrong-wrong", "service_url": pds}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert_eq!(res["error"]["code"], "credentials_refused");

    let (status, channel) = app
        .post_json(
            "/channels",
            &token,
            json!({"workspace_id": ws.id, "network": "bluesky", "handle": handle, "app_password": password, "service_url": pds}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    assert_eq!(channel["network"], "bluesky");
    assert_eq!(channel["handle"], json!(handle));
    assert_eq!(channel["status"], "connected");
    assert_eq!(channel["simulated"], false);
    assert!(
        !channel.to_string().contains(&password),
        "the password is never returned"
    );
    // Stored sealed: not the password's bytes, and it opens only as this channel's.
    let id = ChannelId(channel["id"].as_str().unwrap().parse().unwrap());
    let stored = app.store().channel_credential(id).await.unwrap().unwrap();
    assert!(stored.account_id.starts_with("did:"), "{stored:?}");
    assert!(!String::from_utf8_lossy(&stored.sealed).contains(&password));
    assert!(!format!("{stored:?}").contains(&password));
    let (_, listed) = app.get("/channels", &token).await;
    assert!(!listed.to_string().contains(&password));
    let audit = app.last_audit_event().await.unwrap();
    assert!(!format!("{audit:?}").contains(&password), "nor audited");
}
