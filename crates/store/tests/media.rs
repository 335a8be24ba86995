//! The media library's store methods, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use chrono::{Duration, TimeZone, Utc};
use owlery_domain::{
    MediaId,
    audit::Actor,
    user::{DisplayName, Email},
};
use owlery_store::{
    Store, StoreError,
    audit::AuditFilter,
    media::{Crop, Focal, MediaFilter, MediaMeta, MediaUpdate, NewMedia, NewRendition},
    org::Workspace,
    testing::all_backends,
    users::{NewUser, User},
};

async fn setup(s: &Store) -> (Workspace, User) {
    let org = s.ensure_organisation(&Actor::cli(), "Acme").await.unwrap();
    let ws = s
        .create_workspace(
            &Actor::cli(),
            org.id,
            &DisplayName::parse("name", "Brand A").unwrap(),
        )
        .await
        .unwrap();
    let user = s
        .create_user(
            &Actor::cli(),
            org.id,
            NewUser {
                email: Email::parse("maria@example.test").unwrap(),
                name: DisplayName::parse("name", "Maria").unwrap(),
                password_hash: None,
                language: "en".into(),
                time_zone: "UTC".into(),
            },
            &[],
        )
        .await
        .unwrap();
    (ws, user)
}

fn upload(ws: &Workspace, user: &User, name: &str, tags: &[&str]) -> NewMedia {
    NewMedia {
        workspace_id: ws.id,
        uploaded_by: user.id,
        file_name: name.into(),
        format: "jpeg".into(),
        kind: "image".into(),
        width: 640,
        height: 480,
        duration_ms: None,
        video_codec: None,
        frame_rate: None,
        meta: MediaMeta {
            alt: "  A red owl  ".into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            usage_rights: "© Acme".into(),
            expires_at: None,
            focal: None,
        },
        bytes: format!("bytes of {name}").into_bytes(),
        thumbnail: Some(b"thumb".to_vec()),
    }
}

fn rendition(network: &str, placement: &str, w: i64, h: i64) -> NewRendition {
    NewRendition {
        network: network.into(),
        placement: placement.into(),
        width: w,
        height: h,
        format: "jpeg".into(),
        quality: Some(85),
        crop: Crop {
            x: 80,
            y: 0,
            width: 480,
            height: 480,
        },
        bytes: format!("{network}-{placement}-{w}x{h}").into_bytes(),
    }
}

#[tokio::test]
async fn upload_read_list_and_delete() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let backend = s.backend_name();
        let (ws, user) = setup(s).await;
        let actor = Actor::user(user.id, &user.email, None);
        let m = s
            .insert_media(
                &actor,
                upload(&ws, &user, "owl.jpg", &["Owls", " owls ", "Logo"]),
            )
            .await
            .unwrap();
        assert_eq!(m.alt, "A red owl", "{backend}");
        assert_eq!(m.tags, ["owls", "logo"]);
        assert_eq!(m.byte_size, 16);
        assert_eq!(m.sha256.len(), 64);
        let event = s
            .audit_events(&AuditFilter::default(), 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(event.entry.action, "media.upload");
        assert_eq!(
            event.entry.target_id.as_deref(),
            Some(m.id.to_string().as_str())
        );

        let got = s.media(m.id).await.unwrap().unwrap();
        assert_eq!(got, m, "{backend}: what is read is what was written");
        assert_eq!(s.media_bytes(&got).await.unwrap(), b"bytes of owl.jpg");
        assert_eq!(
            s.media_thumbnail(&got).await.unwrap().as_deref(),
            Some(&b"thumb"[..])
        );
        assert!(s.media(MediaId::new()).await.unwrap().is_none());

        // Paging, newest first; tag filter.
        let mut ids = vec![m.id];
        for i in 0..4 {
            let tags: &[&str] = if i % 2 == 0 { &["summer_sale"] } else { &[] };
            ids.push(
                s.insert_media(&actor, upload(&ws, &user, &format!("{i}.jpg"), tags))
                    .await
                    .unwrap()
                    .id,
            );
        }
        ids.reverse();
        let page1 = s
            .list_media(&[ws.id], &MediaFilter::default(), 3)
            .await
            .unwrap();
        assert_eq!(page1.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..3]);
        let page2 = s
            .list_media(
                &[ws.id],
                &MediaFilter {
                    before: Some(page1[2].id),
                    ..Default::default()
                },
                3,
            )
            .await
            .unwrap();
        assert_eq!(page2.iter().map(|m| m.id).collect::<Vec<_>>(), ids[3..]);
        let tagged = s
            .list_media(
                &[ws.id],
                &MediaFilter {
                    tag: Some("Summer_Sale".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(tagged.len(), 2, "{backend}");
        // `_` is not a wildcard: "summerxsale" matches nothing.
        let none = s
            .list_media(
                &[ws.id],
                &MediaFilter {
                    tag: Some("summerxsale".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
        assert!(none.is_empty(), "{backend}");
        assert!(
            s.list_media(&[], &MediaFilter::default(), 10)
                .await
                .unwrap()
                .is_empty()
        );

        s.delete_media(&actor, m.id).await.unwrap();
        assert!(s.media(m.id).await.unwrap().is_none());
        assert!(matches!(
            s.delete_media(&actor, m.id).await,
            Err(StoreError::NotFound(_))
        ));
        let all = s
            .list_media(&[ws.id], &MediaFilter::default(), 10)
            .await
            .unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(
            s.audit_events(&AuditFilter::default(), 1).await.unwrap()[0]
                .entry
                .action,
            "media.delete"
        );
    }
}

#[tokio::test]
async fn refuses_what_is_not_valid() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let (ws, user) = setup(s).await;
        let mut bad = upload(&ws, &user, "x.jpg", &[]);
        bad.workspace_id = owlery_domain::WorkspaceId::new();
        assert!(matches!(
            s.insert_media(&Actor::cli(), bad).await,
            Err(StoreError::Invalid(i)) if i.code == "unknown_workspace"
        ));
        let mut bad = upload(&ws, &user, "x.jpg", &[]);
        bad.meta.focal = Some(Focal { x: 1.5, y: 0.2 });
        assert!(matches!(
            s.insert_media(&Actor::cli(), bad).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(
            s.list_media(&[ws.id], &MediaFilter::default(), 10)
                .await
                .unwrap()
                .is_empty(),
            "nothing is left of refused uploads"
        );
    }
}

#[tokio::test]
async fn metadata_edits_and_renditions() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let backend = s.backend_name();
        let (ws, user) = setup(s).await;
        let actor = Actor::user(user.id, &user.email, None);
        let m = s
            .insert_media(&actor, upload(&ws, &user, "owl.jpg", &[]))
            .await
            .unwrap();
        let auto = Focal { x: 0.5, y: 0.5 };
        let stored = s
            .store_renditions(
                m.id,
                None,
                auto,
                vec![
                    rendition("instagram", "feed", 1080, 1350),
                    rendition("x", "post", 1200, 675),
                ],
            )
            .await
            .unwrap();
        assert_eq!(stored.len(), 2);
        let read = s.renditions(m.id).await.unwrap();
        assert_eq!(read.len(), 2, "{backend}");
        assert_eq!(read[0].network, "instagram");
        assert_eq!(read[0].crop.width, 480);
        assert_eq!(read[0].focal, auto);
        assert_eq!(
            s.blob(&read[1].blob_key).await.unwrap().as_deref(),
            Some(&b"x-post-1200x675"[..])
        );
        // Stored again (two requests racing): replaced, not duplicated.
        s.store_renditions(m.id, None, auto, vec![rendition("x", "post", 1200, 675)])
            .await
            .unwrap();
        assert_eq!(s.renditions(m.id).await.unwrap().len(), 2, "{backend}");

        // Metadata without a new focal point keeps the renditions.
        let expires = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let edited = s
            .update_media(
                &actor,
                m.id,
                MediaUpdate {
                    alt: Some("An owl at night".into()),
                    tags: Some(vec!["Night".into()]),
                    expires_at: Some(Some(expires)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(edited.alt, "An owl at night");
        assert_eq!(edited.tags, ["night"]);
        assert_eq!(edited.usage_rights, "© Acme", "untouched fields stay");
        assert!(!edited.is_expired(expires - Duration::seconds(1)));
        assert!(edited.is_expired(expires));
        assert_eq!(s.media(m.id).await.unwrap().unwrap(), edited, "{backend}");
        assert_eq!(s.renditions(m.id).await.unwrap().len(), 2);
        let event = &s.audit_events(&AuditFilter::default(), 1).await.unwrap()[0];
        assert_eq!(event.entry.action, "media.update");
        assert!(
            event
                .entry
                .after
                .as_ref()
                .unwrap()
                .contains("An owl at night")
        );

        // A new focal point drops them (and their bytes).
        let focal = Focal { x: 0.2, y: 0.3 };
        let moved = s
            .update_media(
                &actor,
                m.id,
                MediaUpdate {
                    focal: Some(Some(focal)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(moved.focal, Some(focal));
        assert!(s.renditions(m.id).await.unwrap().is_empty(), "{backend}");
        assert!(s.blob(&read[0].blob_key).await.unwrap().is_none());

        // Renditions made for the old focal point are refused.
        let stale = s
            .store_renditions(m.id, None, auto, vec![rendition("x", "post", 1200, 675)])
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::Conflict {
                    field: "focal_point",
                    ..
                })
            ),
            "{backend}: {stale:?}"
        );
        s.store_renditions(
            m.id,
            Some(focal),
            focal,
            vec![rendition("x", "post", 1200, 675)],
        )
        .await
        .unwrap();
        assert_eq!(s.renditions(m.id).await.unwrap()[0].focal, focal);

        // Bad edits are refused; the item is unchanged.
        let bad = s
            .update_media(
                &actor,
                m.id,
                MediaUpdate {
                    alt: Some("x".repeat(1001)),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Invalid(i)) if i.field == "alt"));
        assert!(matches!(
            s.update_media(&actor, MediaId::new(), MediaUpdate::default())
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
}
