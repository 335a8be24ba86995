//! The vault against a real database, on SQLite and on PostgreSQL: data keys loaded and created
//! once, wrong keys refused, old-format values opened and re-sealed by rotation, rotation without
//! downtime, tampering detected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use owlery_domain::{
    ChannelId, Grant, Role, Scope, UserId,
    audit::Actor,
    org::Network,
    user::{DisplayName, Email},
};
use owlery_store::{
    Store,
    audit::AuditFilter,
    org::{ChannelCredential, channel_credential_purpose, channel_refresh_purpose},
    testing::all_backends,
    users::NewUser,
    vault::{Kek, TOTP_PURPOSE, Vault, VaultError},
};

async fn user(store: &Store, email: &str) -> UserId {
    let org = store
        .ensure_organisation(&Actor::cli(), "Acme")
        .await
        .unwrap();
    let new = NewUser {
        email: Email::parse(email).unwrap(),
        name: DisplayName::parse("name", "Test Person").unwrap(),
        password_hash: Some("$argon2id$dummy".into()),
        language: "en".into(),
        time_zone: "UTC".into(),
    };
    let grant = Grant {
        role: Role::Publisher,
        scope: Scope::Organisation,
    };
    store
        .create_user(&Actor::cli(), org.id, new, &[grant])
        .await
        .unwrap()
        .id
}

async fn totp_of(store: &Store, email: &str) -> Vec<u8> {
    store
        .credentials_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap()
}

/// A connected channel whose credential is `seal(purpose of its id)`.
async fn channel(store: &Store, handle: &str, seal: impl Fn(&str) -> Vec<u8>) -> ChannelId {
    let org = store
        .ensure_organisation(&Actor::cli(), "Acme")
        .await
        .unwrap();
    let ws = match store.list_workspaces().await.unwrap().into_iter().next() {
        Some(ws) => ws,
        None => store
            .create_workspace(
                &Actor::cli(),
                org.id,
                &DisplayName::parse("name", "Main").unwrap(),
            )
            .await
            .unwrap(),
    };
    let id = ChannelId::new();
    let credential = ChannelCredential {
        service: Some("https://bsky.example".into()),
        account_id: format!("did:plc:{handle}"),
        sealed: seal(&channel_credential_purpose(id)),
        refresh_sealed: Some(seal(&channel_refresh_purpose(id))),
        expires_at: None,
        auth: owlery_domain::org::AuthKind::Standard,
    };
    store
        .create_connected_channel(
            &Actor::cli(),
            ws.id,
            Network::Bluesky,
            &DisplayName::parse("name", handle).unwrap(),
            handle,
            id,
            &credential,
        )
        .await
        .unwrap();
    id
}

async fn sealed_credential(store: &Store, id: ChannelId) -> Vec<u8> {
    store.channel_credential(id).await.unwrap().unwrap().sealed
}

async fn audited(store: &Store, action: &str) -> Vec<owlery_domain::audit::AuditRecord> {
    store
        .audit_events(
            &AuditFilter {
                action: Some(action.into()),
                ..AuditFilter::default()
            },
            100,
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn loaded_keys_seal_and_open_and_concurrent_first_loads_make_one_key() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let kek = Kek::generate();
        assert_eq!(Vault::stored_fingerprint(s).await.unwrap(), None);
        // Several processes starting at once on an empty table.
        let loads = load_at_once(s, &kek, 4).await;
        let vaults: Vec<Vault> = loads.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            audited(s, "vault.key.create").await.len(),
            1,
            "one data key, on {}",
            s.backend_name()
        );
        assert_eq!(
            Vault::stored_fingerprint(s).await.unwrap().as_deref(),
            Some(kek.fingerprint())
        );
        let sealed = vaults[0].seal("p", b"hello").unwrap();
        assert_eq!(sealed[0], 2, "the envelope format");
        for v in &vaults {
            assert_eq!(v.open("p", &sealed).unwrap(), b"hello", "the same key");
            assert_eq!(v.kek_fingerprint(), kek.fingerprint());
        }
        let later = Vault::load(s, &kek).await.unwrap();
        assert_eq!(later.open("p", &sealed).unwrap(), b"hello");
        assert!(later.open("q", &sealed).is_err(), "purpose is bound");
        assert_eq!(audited(s, "vault.key.create").await.len(), 1);
        assert_eq!(s.verify_audit_chain().await.unwrap().result, Ok(()));
    }
}

async fn load_at_once(s: &Store, kek: &Kek, n: usize) -> Vec<Result<Vault, VaultError>> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (s, kek) = (s.clone(), kek.clone());
        tasks.push(tokio::spawn(async move { Vault::load(&s, &kek).await }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_wrong_key_is_refused_naming_both_fingerprints() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let right = Kek::generate();
        let wrong = Kek::generate();
        Vault::load(s, &right).await.unwrap();
        let e = Vault::load(s, &wrong).await.unwrap_err();
        match &e {
            VaultError::KekMismatch { stored, given } => {
                assert_eq!(stored, right.fingerprint());
                assert_eq!(given, wrong.fingerprint());
            }
            other => panic!("{other:?}"),
        }
        let text = e.to_string();
        assert!(text.contains(right.fingerprint()), "{text}");
        assert!(text.contains(wrong.fingerprint()), "{text}");
        assert!(text.contains("rotate-key"), "says what to do: {text}");
        assert_eq!(
            audited(s, "vault.key.create").await.len(),
            1,
            "no second key"
        );
        Vault::load(s, &right).await.unwrap();
    }
}

#[tokio::test]
async fn old_format_values_open_and_a_wrong_first_key_stamps_nothing() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let kek = Kek::generate();
        let ana = user(s, "ana@example.test").await;
        s.set_pending_totp(ana, &kek.seal_v1_for_tests(TOTP_PURPOSE, b"ana-totp"))
            .await
            .unwrap();

        // Upgrading with the wrong key: refused before any data key is made with it.
        let e = Vault::load(s, &Kek::generate()).await.unwrap_err();
        assert!(
            matches!(e, VaultError::LegacyKekMismatch { count: 1, .. }),
            "{e:?}"
        );
        assert_eq!(Vault::stored_fingerprint(s).await.unwrap(), None);

        let vault = Vault::load(s, &kek).await.unwrap();
        let sealed = totp_of(s, "ana@example.test").await;
        assert_eq!(sealed[0], 1, "still the old format until rotation");
        assert_eq!(vault.open(TOTP_PURPOSE, &sealed).unwrap(), b"ana-totp");
    }
}

#[tokio::test]
async fn rotation_rewraps_reseals_and_keeps_running_vaults_working() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let old = Kek::generate();
        let new = Kek::generate();

        // Secrets from before envelope encryption: a TOTP secret and a channel credential (its
        // secret and refresh token).
        let ana = user(s, "ana@example.test").await;
        s.set_pending_totp(ana, &old.seal_v1_for_tests(TOTP_PURPOSE, b"ana-totp"))
            .await
            .unwrap();
        let legacy_channel = channel(s, "legacy", |p| old.seal_v1_for_tests(p, b"app-pw-1")).await;

        // A process running since before the rotation seals new ones in the envelope format.
        let running = Vault::load(s, &old).await.unwrap();
        let bob = user(s, "bob@example.test").await;
        s.set_pending_totp(bob, &running.seal(TOTP_PURPOSE, b"bob-totp").unwrap())
            .await
            .unwrap();
        let new_channel = channel(s, "fresh", |p| running.seal(p, b"app-pw-2").unwrap()).await;

        let same = s.rotate_vault_kek(&Actor::cli(), &old, &old).await;
        assert!(matches!(same, Err(VaultError::SameKey(_))), "{same:?}");

        let r = s.rotate_vault_kek(&Actor::cli(), &old, &new).await.unwrap();
        assert_eq!(r.old_fingerprint, old.fingerprint());
        assert_eq!(r.new_fingerprint, new.fingerprint());
        assert_eq!(r.keys_rewrapped, 1);
        assert_eq!(r.keys_already_new, 0);
        assert_eq!(
            r.values_resealed, 3,
            "the old-format values: a TOTP secret, a channel secret and its refresh token"
        );

        // Nothing is left in the old format.
        for sealed in [
            totp_of(s, "ana@example.test").await,
            totp_of(s, "bob@example.test").await,
            sealed_credential(s, legacy_channel).await,
            sealed_credential(s, new_channel).await,
        ] {
            assert_eq!(sealed[0], 2);
        }

        // The old key no longer starts anything.
        let e = Vault::load(s, &old).await.unwrap_err();
        assert!(
            matches!(&e, VaultError::KekMismatch { stored, given }
                if stored == new.fingerprint() && given == old.fingerprint()),
            "{e:?}"
        );

        // The new key opens every value; so does the vault loaded before the rotation.
        let restarted = Vault::load(s, &new).await.unwrap();
        let after = restarted.seal(TOTP_PURPOSE, b"carl-totp").unwrap();
        for v in [&restarted, &running] {
            let open = |p: &str, sealed: &[u8]| v.open(p, sealed).unwrap();
            assert_eq!(
                open(TOTP_PURPOSE, &totp_of(s, "ana@example.test").await),
                b"ana-totp"
            );
            assert_eq!(
                open(TOTP_PURPOSE, &totp_of(s, "bob@example.test").await),
                b"bob-totp"
            );
            assert_eq!(
                open(
                    &channel_credential_purpose(legacy_channel),
                    &sealed_credential(s, legacy_channel).await
                ),
                b"app-pw-1"
            );
            assert_eq!(
                open(
                    &channel_credential_purpose(new_channel),
                    &sealed_credential(s, new_channel).await
                ),
                b"app-pw-2"
            );
            assert_eq!(open(TOTP_PURPOSE, &after), b"carl-totp");
        }
        // A credential still cannot be passed off as another channel's.
        assert!(
            restarted
                .open(
                    &channel_credential_purpose(new_channel),
                    &sealed_credential(s, legacy_channel).await
                )
                .is_err()
        );

        // Audited, without any key material.
        let events = audited(s, "vault.rotate").await;
        assert_eq!(events.len(), 1);
        let e = &events[0].entry;
        assert_eq!(e.actor_label, "cli");
        let text = format!(
            "{} {}",
            e.before.as_deref().unwrap(),
            e.after.as_deref().unwrap()
        );
        assert!(text.contains(old.fingerprint()) && text.contains(new.fingerprint()));
        assert!(text.contains("\"values_resealed\":3"), "{text}");
        assert_eq!(s.verify_audit_chain().await.unwrap().result, Ok(()));

        // Running it again (say, after the key file could not be replaced) changes nothing.
        let again = s.rotate_vault_kek(&Actor::cli(), &old, &new).await.unwrap();
        assert_eq!(
            (
                again.keys_rewrapped,
                again.keys_already_new,
                again.values_resealed
            ),
            (0, 1, 0)
        );
        // A key that is neither is refused, and nothing changes.
        let stranger = Kek::generate();
        let e = s
            .rotate_vault_kek(&Actor::cli(), &stranger, &Kek::generate())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, VaultError::KekMismatch { stored, .. } if stored == new.fingerprint()),
            "{e:?}"
        );
        Vault::load(s, &new).await.unwrap();
    }
}

#[tokio::test]
async fn rotation_without_data_keys_makes_one_under_the_new_key() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let old = Kek::generate();
        let new = Kek::generate();
        let ana = user(s, "ana@example.test").await;
        s.set_pending_totp(ana, &old.seal_v1_for_tests(TOTP_PURPOSE, b"ana-totp"))
            .await
            .unwrap();
        let r = s.rotate_vault_kek(&Actor::cli(), &old, &new).await.unwrap();
        assert_eq!((r.keys_rewrapped, r.values_resealed), (0, 1));
        let v = Vault::load(s, &new).await.unwrap();
        assert_eq!(
            v.open(TOTP_PURPOSE, &totp_of(s, "ana@example.test").await)
                .unwrap(),
            b"ana-totp"
        );
        assert!(matches!(
            Vault::load(s, &old).await,
            Err(VaultError::KekMismatch { .. })
        ));
    }
}

#[tokio::test]
async fn an_unreadable_old_value_stops_rotation_with_nothing_changed() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let old = Kek::generate();
        let new = Kek::generate();
        let ana = user(s, "ana@example.test").await;
        let bob = user(s, "bob@example.test").await;
        s.set_pending_totp(ana, &old.seal_v1_for_tests(TOTP_PURPOSE, b"ana-totp"))
            .await
            .unwrap();
        Vault::load(s, &old).await.unwrap();
        // Sealed under some other key: cannot be re-sealed.
        s.set_pending_totp(bob, &Kek::generate().seal_v1_for_tests(TOTP_PURPOSE, b"x"))
            .await
            .unwrap();
        let e = s
            .rotate_vault_kek(&Actor::cli(), &old, &new)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, VaultError::LegacyUnreadable { table: "users", id, .. } if *id == bob.0),
            "{e:?}"
        );
        // Rolled back: the old key still loads, Ana's value is untouched.
        Vault::load(s, &old).await.unwrap();
        assert_eq!(totp_of(s, "ana@example.test").await[0], 1);
        assert!(audited(s, "vault.rotate").await.is_empty());
    }
}

#[tokio::test]
async fn tampering_is_detected() {
    for db in all_backends().await.unwrap() {
        let s = &db.store;
        let kek = Kek::generate();
        let v = Vault::load(s, &kek).await.unwrap();
        let ana = user(s, "ana@example.test").await;
        let mut sealed = v.seal(TOTP_PURPOSE, b"ana-totp").unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 0x80;
        s.set_pending_totp(ana, &sealed).await.unwrap();
        assert!(matches!(
            v.open(TOTP_PURPOSE, &totp_of(s, "ana@example.test").await),
            Err(VaultError::Open)
        ));

        // A data key replaced in the table does not unwrap, although the fingerprint matches.
        let junk = "ab".repeat(72);
        let sql = if s.backend_name() == "postgres" {
            format!("UPDATE vault_keys SET wrapped = '\\x{junk}'::bytea")
        } else {
            format!("UPDATE vault_keys SET wrapped = X'{junk}'")
        };
        assert_eq!(s.execute_raw_for_tests(&sql).await.unwrap(), 1);
        let e = Vault::load(s, &kek).await.unwrap_err();
        assert!(matches!(e, VaultError::DekUnwrap { id: 1 }), "{e:?}");
        assert!(
            !format!("{e} {e:?}").contains("abab"),
            "no key material in errors"
        );
    }
}
