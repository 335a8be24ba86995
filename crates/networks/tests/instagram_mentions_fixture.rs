//! Reading what Instagram's `mentions` webhook announces by ids, against **fixtures** of the IG
//! User node's `mentioned_media` and `mentioned_comment` fields (shapes from Meta's reference
//! pages for those fields; error bodies from Meta's Graph API error reference). They prove the
//! connector asks as documented, not that Instagram answers this way today.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use owlery_domain::inbox::MessageKind;
use owlery_networks::fixture::{Fixture, Reply};
use owlery_networks::instagram::{Instagram, UNNAMED_AUTHOR};
use owlery_networks::webhook::events::Unresolved;
use owlery_networks::{Connector, ConnectorError, Credentials, Env};
use serde_json::json;

const IG: &str = "17841400008460056";
const TOKEN: &str = "EAAGm0PX4ZCpsBAInstagramPageToken77";

async fn start() -> (Fixture, Instagram) {
    let server = Fixture::start().await.unwrap();
    let env = Env {
        base_url: Some(server.url()),
        ..Env::default()
    };
    (server, Instagram::new(env).unwrap())
}

fn creds() -> Credentials {
    Credentials::new("owlery", TOKEN).with_account(IG)
}

#[tokio::test]
async fn a_caption_mention_is_read_from_mentioned_media() {
    let (server, ig) = start().await;
    server.on(
        "GET",
        &format!("/{IG}"),
        Reply::json(
            200,
            json!({
                "mentioned_media": {
                    "id": "17920112008063024",
                    "caption": "Brunch at owlery.coffee, best flat white in town",
                    "username": "mila.b",
                    "timestamp": "2026-11-27T09:12:44+0000",
                    "media_type": "IMAGE",
                    "media_url": "https://scontent.cdninstagram.com/v/t51/1.jpg"
                },
                "id": IG
            }),
        ),
    );
    let item = ig
        .resolve_pushed(
            &creds(),
            &Unresolved::InstagramMention {
                media_id: "17920112008063024".into(),
                comment_id: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(item.kind, MessageKind::Mention);
    assert_eq!(item.remote_id, "17920112008063024");
    assert_eq!(item.author.handle, "mila.b");
    assert_eq!(
        item.text,
        "Brunch at owlery.coffee, best flat white in town"
    );
    assert_eq!(
        item.conversation_remote_id.as_deref(),
        Some("17920112008063024")
    );
    assert_eq!(item.created_at.to_rfc3339(), "2026-11-27T09:12:44+00:00");
    assert_eq!(item.media.len(), 1);
    let sent = &server.requests_to("GET", &format!("/{IG}"))[0];
    assert_eq!(
        sent.query_pairs().get("fields").unwrap(),
        "mentioned_media.media_id(17920112008063024){id,caption,username,timestamp,media_type,media_url}"
    );
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(
        !sent.query.contains(TOKEN),
        "the token never goes in an address"
    );
}

#[tokio::test]
async fn a_comment_mention_is_read_from_mentioned_comment() {
    let (server, ig) = start().await;
    server.on(
        "GET",
        &format!("/{IG}"),
        Reply::json(
            200,
            json!({
                "mentioned_comment": {
                    "id": "17865799348089040",
                    "text": "@owlery do you ship to Sofia?",
                    "timestamp": "2026-11-27T10:00:00+0000",
                    "like_count": 0,
                    "media": { "id": "18000000000000099" }
                },
                "id": IG
            }),
        ),
    );
    let item = ig
        .resolve_pushed(
            &creds(),
            &Unresolved::InstagramMention {
                media_id: "18000000000000099".into(),
                comment_id: Some("17865799348089040".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(item.kind, MessageKind::Mention);
    assert_eq!(item.remote_id, "17865799348089040");
    assert_eq!(item.text, "@owlery do you ship to Sofia?");
    assert_eq!(item.author.remote_id, UNNAMED_AUTHOR);
    assert_eq!(
        item.conversation_remote_id.as_deref(),
        Some("18000000000000099")
    );
    assert_eq!(
        server.requests_to("GET", &format!("/{IG}"))[0]
            .query_pairs()
            .get("fields")
            .unwrap(),
        "mentioned_comment.comment_id(17865799348089040){id,text,timestamp,like_count,media{id}}"
    );
}

#[tokio::test]
async fn gone_media_refused_grants_and_outages_are_told_apart() {
    let unresolved = Unresolved::InstagramMention {
        media_id: "17920112008063024".into(),
        comment_id: None,
    };
    // A deleted media: Graph API error 100, subcode 33 (object does not exist) → permanent.
    let (server, ig) = start().await;
    server.on(
        "GET",
        &format!("/{IG}"),
        Reply::json(
            400,
            json!({"error": {"message": "Unsupported get request. Object with ID '17920112008063024' does not exist", "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "A1"}}),
        ),
    );
    let err = ig.resolve_pushed(&creds(), &unresolved).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Permanent { .. }), "{err:?}");
    // An expired token: code 190 → the grant is dead.
    let (server, ig) = start().await;
    server.on(
        "GET",
        &format!("/{IG}"),
        Reply::json(
            401,
            json!({"error": {"message": "Error validating access token: Session has expired", "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "A2"}}),
        ),
    );
    let err = ig.resolve_pushed(&creds(), &unresolved).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains(TOKEN));
    // Meta down: temporary, the delivery is tried again.
    let (server, ig) = start().await;
    server.on(
        "GET",
        &format!("/{IG}"),
        Reply::json(
            500,
            json!({"error": {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1, "is_transient": true, "fbtrace_id": "A3"}}),
        ),
    );
    let err = ig.resolve_pushed(&creds(), &unresolved).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}
