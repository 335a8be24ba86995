//! Signed media addresses (`GET /m/{id}/{rendition}?e=…&s=…`), served without a session to the
//! networks that download media: the bytes with their type and length, ranges, and refusals for
//! forged, tampered, expired and unknown addresses.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::Duration;
use owlery_domain::{
    MediaId, Role,
    audit::Actor,
    publishing::media_url::{self, Rendition},
};

use crate::media::{fixture, jpeg};
use crate::support::TestApp;

async fn key(app: &TestApp) -> media_url::UrlKey {
    owlery_web::media_url::url_key(&app.state).await.unwrap()
}

fn x_post() -> Rendition {
    Rendition::Placement {
        network: "x".into(),
        placement: "post".into(),
        width: 40,
        height: 22,
        ext: "jpg".into(),
    }
}

async fn get(app: &TestApp, path: &str, range: Option<&str>) -> crate::support::TestResponse {
    let mut req = Request::get(path);
    if let Some(r) = range {
        req = req.header(header::RANGE, r);
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn a_signed_address_serves_the_rendition_without_a_session() {
    for app in TestApp::all_backends().await {
        let owner = app.user("owner@example.test", Role::Owner).await;
        let ws = app.workspace("Brand").await;
        let id = fixture(&app, &owner, ws.id).await;
        let key = key(&app).await;
        let expires = app.store().now().timestamp() + 3600;
        let path = media_url::signed_path(&key, id, &x_post(), expires);

        let res = get(&app, &path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", app.backend());
        assert_eq!(res.header("content-type"), Some("image/jpeg"));
        let bytes = jpeg(40, 22);
        assert_eq!(res.body.as_ref(), bytes.as_slice());
        assert_eq!(
            res.header("content-length"),
            Some(bytes.len().to_string().as_str())
        );
        let cache = res.header("cache-control").unwrap();
        assert!(cache.starts_with("private, max-age="), "{cache}");
        let age: i64 = cache
            .trim_start_matches("private, max-age=")
            .parse()
            .unwrap();
        assert!((3590..=3600).contains(&age), "{age}");
        assert_eq!(res.header("accept-ranges"), Some("bytes"));
        assert!(res.header("set-cookie").is_none(), "no session is made");

        // One range.
        let part = get(&app, &path, Some("bytes=0-9")).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.body.as_ref(), &bytes[..10]);
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes 0-9/{}", bytes.len()).as_str())
        );
        let beyond = get(&app, &path, Some("bytes=999999-")).await;
        assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);

        // The original, by its own address.
        let original = Rendition::Original { ext: "jpg".into() };
        let res = get(
            &app,
            &media_url::signed_path(&key, id, &original, expires),
            None,
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.body.as_ref(), jpeg(40, 30).as_slice());
    }
}

#[tokio::test]
async fn forged_tampered_expired_and_unknown_addresses_are_refused() {
    for app in TestApp::all_backends().await {
        let owner = app.user("owner@example.test", Role::Owner).await;
        let ws = app.workspace("Brand").await;
        let id = fixture(&app, &owner, ws.id).await;
        let key = key(&app).await;
        let now = app.store().now().timestamp();
        let expires = now + 3600;
        let good = media_url::signed_path(&key, id, &x_post(), expires);
        let sig = good.rsplit("s=").next().unwrap().to_owned();
        let base = format!("/m/{}/x.post.40x22.jpg", id.0);

        // Forged: signed with another key.
        let other = media_url::UrlKey::from_bytes(&[9u8; 32]).unwrap();
        let forged = media_url::signed_path(&other, id, &x_post(), expires);
        // Tampered: a later expiry, another rendition, another item, a changed signature.
        let later = format!("{base}?e={}&s={sig}", expires + 86_400);
        let other_rendition = format!("/m/{}/x.post.40x23.jpg?e={expires}&s={sig}", id.0);
        let other_item = format!(
            "/m/{}/x.post.40x22.jpg?e={expires}&s={sig}",
            MediaId::new().0
        );
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let bad_sig = format!(
            "{base}?e={expires}&s={}",
            String::from_utf8(flipped).unwrap()
        );
        for (what, path) in [
            ("forged", forged),
            ("later expiry", later),
            ("other rendition", other_rendition),
            ("other item", other_item),
            ("changed signature", bad_sig),
            ("no signature", format!("{base}?e={expires}")),
            ("no expiry", format!("{base}?s={sig}")),
            ("nothing", base.clone()),
            ("not hex", format!("{base}?e={expires}&s=zzzz")),
            (
                "not an id",
                format!("/m/not-an-id/x.post.40x22.jpg?e={expires}&s={sig}"),
            ),
        ] {
            let res = get(&app, &path, None).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {path}");
            assert_eq!(res.header("cache-control"), Some("no-store"), "{what}");
            assert!(!res.text().contains(&sig), "{what}");
        }

        // Expired: genuine, but its time has passed (410); an expired forgery is still 403.
        let past = media_url::signed_path(&key, id, &x_post(), now - 1);
        assert_eq!(get(&app, &past, None).await.status, StatusCode::GONE);
        let past_forged = media_url::signed_path(&other, id, &x_post(), now - 1);
        assert_eq!(
            get(&app, &past_forged, None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(get(&app, &good, None).await.status, StatusCode::OK);
        app.clock.advance(Duration::hours(2));
        assert_eq!(get(&app, &good, None).await.status, StatusCode::GONE);

        // Unknown: a genuine signature for an item that does not exist, a rendition not stored, the
        // original under another extension.
        let expires = app.store().now().timestamp() + 3600;
        let unknown = media_url::signed_path(&key, MediaId::new(), &x_post(), expires);
        assert_eq!(
            get(&app, &unknown, None).await.status,
            StatusCode::NOT_FOUND
        );
        let not_made = Rendition::Placement {
            network: "instagram".into(),
            placement: "feed".into(),
            width: 1080,
            height: 1350,
            ext: "jpg".into(),
        };
        let path = media_url::signed_path(&key, id, &not_made, expires);
        assert_eq!(get(&app, &path, None).await.status, StatusCode::NOT_FOUND);
        let png = Rendition::Original { ext: "png".into() };
        let path = media_url::signed_path(&key, id, &png, expires);
        assert_eq!(get(&app, &path, None).await.status, StatusCode::NOT_FOUND);

        // Deleted: its addresses stop working at once.
        let path = media_url::signed_path(&key, id, &x_post(), expires);
        assert_eq!(get(&app, &path, None).await.status, StatusCode::OK);
        app.store().delete_media(&Actor::cli(), id).await.unwrap();
        assert_eq!(get(&app, &path, None).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_key_is_made_once_sealed_and_the_same_for_every_process() {
    for app in TestApp::all_backends().await {
        let vault = &app.state.vault;
        let a = app
            .store()
            .signing_key(vault, owlery_store::signing::MEDIA_URL_KEY)
            .await
            .unwrap();
        let b = app
            .store()
            .signing_key(vault, owlery_store::signing::MEDIA_URL_KEY)
            .await
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            owlery_web::media_url::url_key(&app.state).await.unwrap(),
            media_url::UrlKey::from_bytes(&a).unwrap()
        );
        let audit = app.last_audit_event().await.unwrap();
        assert_eq!(audit.entry.action, "signing_key.created");
        assert!(
            !audit
                .entry
                .after
                .unwrap_or_default()
                .contains(&hex::encode(a))
        );
    }
}

// ------------------------------------------------------------ end to end, as Meta downloads

mod end_to_end {
    use std::{net::SocketAddr, sync::Arc};

    use owlery_domain::{
        ChannelId, Role,
        audit::Actor,
        org::Network,
        post::{Content, MediaRef, Overrides, VariantStatus},
        user::DisplayName,
    };
    use owlery_jobs::media_urls::MediaUrls;
    use owlery_networks::{
        Connectors, Env,
        fixture::{Fixture, Reply},
    };
    use owlery_store::{
        org::{ChannelCredential, channel_credential_purpose},
        posts::{NewPost, Validation, VariantInput},
    };
    use serde_json::json;

    use crate::media::fixture;
    use crate::support::TestApp;

    const IG: &str = "17841400008460056";
    const CONTAINER: &str = "17889455560051444";
    const PUBLISHED: &str = "17920238422030506";

    /// The router on a real socket, as a network on the internet would reach it.
    async fn serve(app: &TestApp) -> (String, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app.router.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        (format!("http://{addr}"), task)
    }

    /// Instagram's Graph API as the content publishing guide documents it; the container call
    /// downloads `image_url` first, as Meta does.
    fn instagram(server: &Fixture) {
        server.on(
            "GET",
            &format!("/{IG}/content_publishing_limit"),
            Reply::json(
                200,
                json!({ "data": [ { "quota_usage": 0, "config": { "quota_total": 50, "quota_duration": 86400 } } ] }),
            ),
        );
        server.download_on("POST", &format!("/{IG}/media"), &["image_url", "video_url"]);
        server.on(
            "POST",
            &format!("/{IG}/media"),
            Reply::json(200, json!({ "id": CONTAINER })),
        );
        server.on(
            "GET",
            &format!("/{CONTAINER}"),
            Reply::json(200, json!({ "status_code": "FINISHED", "id": CONTAINER })),
        );
        server.on(
            "POST",
            &format!("/{IG}/media_publish"),
            Reply::json(200, json!({ "id": PUBLISHED })),
        );
        server.on(
            "GET",
            &format!("/{PUBLISHED}"),
            Reply::json(
                200,
                json!({ "permalink": "https://www.instagram.com/p/C9xYz12AbCd/", "id": PUBLISHED }),
            ),
        );
    }

    /// An Instagram channel, a post with one image due now, and a worker publishing it with
    /// these media addresses. Returns the variant and the media id.
    async fn publish(
        app: &TestApp,
        server: &Fixture,
        urls: MediaUrls,
    ) -> (owlery_domain::VariantId, owlery_domain::MediaId) {
        let owner = app.user("owner@example.test", Role::Owner).await;
        let ws = app.workspace("Brand").await;
        let media = fixture(app, &owner, ws.id).await;
        let id = ChannelId::new();
        let sealed = app
            .state
            .vault
            .seal(
                &channel_credential_purpose(id),
                b"EAAGm0PX4ZCpsBAInstagramPageToken77",
            )
            .unwrap();
        app.store()
            .create_connected_channel(
                &Actor::cli(),
                ws.id,
                Network::Instagram,
                &DisplayName::parse("name", "owlery").unwrap(),
                "owlery",
                id,
                &ChannelCredential {
                    service: None,
                    account_id: IG.into(),
                    sealed,
                    refresh_sealed: None,
                    expires_at: None,
                    auth: owlery_domain::org::AuthKind::Standard,
                },
            )
            .await
            .unwrap();
        let post = app
            .store()
            .create_post(
                &Actor::cli(),
                owner.id,
                NewPost {
                    workspace_id: ws.id,
                    title: "Dusk".into(),
                    content: Content {
                        text: "Dusk at the owlery #owls".into(),
                        media: vec![MediaRef {
                            media_id: media,
                            alt: "A barn owl at dusk".into(),
                        }],
                        ..Content::default()
                    },
                    variants: vec![VariantInput {
                        channel_id: id,
                        placement: "feed".into(),
                        overrides: Overrides::default(),
                        validation: Validation {
                            findings: json!([]),
                            has_errors: false,
                            spec_version: owlery_domain::spec::Specs::embedded().unwrap().version,
                        },
                    }],
                    campaign_id: None,
                    scheduled_at: Some(app.store().now()),
                    schedule_tz: "UTC".into(),
                },
            )
            .await
            .unwrap();
        app.store()
            .submit_post(&Actor::cli(), post.id)
            .await
            .unwrap();
        let connectors = Connectors::standard(Env {
            base_url: Some(server.url()),
            ..Env::default()
        })
        .unwrap();
        let worker = owlery_jobs::Worker::new(app.store().clone(), "media-url-test").with_handler(
            owlery_jobs::publish::Publisher::new(app.store().clone())
                .connected(Arc::new(connectors), app.state.vault.clone())
                .with_media_urls(urls),
        );
        while worker.run_once().await.unwrap().is_some() {}
        (post.variants[0].id, media)
    }

    #[tokio::test]
    async fn instagram_downloads_the_rendition_from_the_running_owlery() {
        for app in TestApp::all_backends().await {
            let server = Fixture::start().await.unwrap();
            instagram(&server);
            let (base, task) = serve(&app).await;
            let (variant, media) =
                publish(&app, &server, MediaUrls::new(Some(base.clone()), true)).await;
            assert_eq!(
                app.store().variant_status(variant).await.unwrap(),
                Some(VariantStatus::Published),
                "{}",
                app.backend()
            );

            // The container carried a signed address of Owlery's, and Meta's stand-in fetched it.
            let container = server.requests_to("POST", &format!("/{IG}/media"))[0].form();
            let address = container["image_url"].clone();
            let prefix = format!("{base}/m/{}/instagram.feed.", media.0);
            assert!(address.starts_with(&prefix), "{address}");
            assert!(
                address.contains("?e=") && address.contains("&s="),
                "{address}"
            );
            assert_eq!(container["caption"], "Dusk at the owlery #owls");
            assert_eq!(container["alt_text"], "A barn owl at dusk");
            let fetched = server.fetched();
            assert_eq!(fetched.len(), 1, "{fetched:?}");
            let got = &fetched[0];
            assert_eq!(got.url, address);
            assert_eq!(got.status, 200);
            assert_eq!(got.content_type.as_deref(), Some("image/jpeg"));
            assert_eq!(got.content_length, Some(got.bytes.len() as u64));

            // Exactly the bytes of the rendition the engine made and kept for Instagram's feed.
            let kept = app
                .store()
                .renditions(media)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.network == "instagram" && r.placement == "feed")
                .expect("the rendition is stored, so the address can serve it");
            let bytes = app.store().blob(&kept.blob_key).await.unwrap().unwrap();
            assert!(got.bytes == bytes, "the downloaded bytes are the rendition");
            assert_eq!(
                &got.bytes[..3],
                b"\xff\xd8\xff",
                "a JPEG, as Instagram wants"
            );

            // The address is for this file only and expires: tampering is refused.
            let tampered = address.replace("instagram.feed.", "instagram.story.");
            let res = reqwest::get(&tampered).await.unwrap();
            assert_eq!(res.status(), 403);
            task.abort();
        }
    }

    #[tokio::test]
    async fn without_a_reachable_public_address_the_variant_fails_before_any_call() {
        let cases: [(Option<&str>, &str); 3] = [
            (None, "no public address is set"),
            (
                Some("http://127.0.0.1:8080"),
                "on this machine or a private network",
            ),
            (
                Some("http://localhost:8080"),
                "on this machine or a private network",
            ),
        ];
        for (public_url, why) in cases {
            for app in TestApp::all_backends().await {
                let server = Fixture::start().await.unwrap();
                instagram(&server);
                let urls = MediaUrls::new(public_url.map(str::to_owned), false);
                let (variant, _) = publish(&app, &server, urls).await;
                assert_eq!(
                    app.store().variant_status(variant).await.unwrap(),
                    Some(VariantStatus::Failed)
                );
                let post = app.store().post_of_variant(variant).await.unwrap().unwrap();
                let error = post.variant(variant).unwrap().error.clone().unwrap();
                assert!(
                    error.contains("Instagram downloads media from Owlery's public address"),
                    "{error}"
                );
                assert!(error.contains("OWLERY_PUBLIC_URL"), "{error}");
                assert!(error.contains(why), "{error}");
                assert!(
                    server.requests().is_empty(),
                    "nothing was sent to Instagram: {:?}",
                    server.requests()
                );
            }
        }
    }
}
