//! The store conformance suite: every scenario runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use owlery_domain::{
    Clock, Grant, Permission, Role, Scope, Target,
    audit::{Actor, ChainBreak},
    org::{Network, SecurityPolicy},
    user::{DisplayName, Email, UserStatus},
};
use owlery_store::{
    Store, StoreError,
    audit::AuditFilter,
    jobs::NewJob,
    sessions::{LinkProblem, LinkPurpose, SessionStage},
    testing::{TestDb, all_backends},
    tokens::TokenRefusal,
    users::NewUser,
};

#[derive(Debug)]
struct FixedClock(std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(std::sync::Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
    )))
}

async fn backends() -> Vec<(TestDb, Arc<FixedClock>)> {
    all_backends()
        .await
        .unwrap()
        .into_iter()
        .map(|mut db| {
            let c = clock();
            db.store = db.store.clone().with_clock(c.clone());
            (db, c)
        })
        .collect()
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: DisplayName::parse("name", "Test Person").unwrap(),
        password_hash: Some("$argon2id$dummy".into()),
        language: "en".into(),
        time_zone: "Europe/Sofia".into(),
    }
}

async fn org(store: &Store) -> owlery_store::org::Organisation {
    store
        .ensure_organisation(&Actor::cli(), "Acme")
        .await
        .unwrap()
}

#[tokio::test]
async fn users_grants_and_access() {
    for (db, _) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        let owner = s
            .create_user(
                &Actor::cli(),
                org.id,
                new_user("Owner@Example.test"),
                &[Grant {
                    role: Role::Owner,
                    scope: Scope::Organisation,
                }],
            )
            .await
            .unwrap();
        assert_eq!(owner.email, "owner@example.test");
        assert_eq!(owner.status, UserStatus::Active);

        let dup = s
            .create_user(&Actor::cli(), org.id, new_user("owner@example.test"), &[])
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict { field: "email", .. })),
            "{}",
            s.backend_name()
        );
        assert_eq!(
            s.count_users().await.unwrap(),
            1,
            "a refused user leaves nothing behind"
        );

        let ws = s
            .create_workspace(
                &Actor::cli(),
                org.id,
                &DisplayName::parse("name", "Brand A").unwrap(),
            )
            .await
            .unwrap();
        let mut invite = new_user("agent@example.test");
        invite.password_hash = None;
        let agent = s
            .create_user(
                &Actor::cli(),
                org.id,
                invite,
                &[Grant {
                    role: Role::CommunityAgent,
                    scope: Scope::Workspace(ws.id),
                }],
            )
            .await
            .unwrap();
        assert_eq!(agent.status, UserStatus::Invited);
        let access = s.access_of(agent.id).await.unwrap();
        assert!(access.can(Permission::InboxReply, Target::Workspace(ws.id)));
        assert!(!access.can(Permission::UsersManage, Target::Organisation));

        let g = s
            .grant_role(
                &Actor::cli(),
                agent.id,
                Grant {
                    role: Role::Analyst,
                    scope: Scope::Organisation,
                },
            )
            .await
            .unwrap();
        let again = s
            .grant_role(
                &Actor::cli(),
                agent.id,
                Grant {
                    role: Role::Analyst,
                    scope: Scope::Organisation,
                },
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict { .. })));
        assert_eq!(s.grants_of(agent.id).await.unwrap().len(), 2);
        s.revoke_grant(&Actor::cli(), g.id).await.unwrap();
        assert_eq!(s.grants_of(agent.id).await.unwrap().len(), 1);

        // The last owner cannot be removed.
        let owner_grant = s.grants_of(owner.id).await.unwrap().remove(0);
        let refused = s.revoke_grant(&Actor::cli(), owner_grant.id).await;
        assert!(matches!(
            refused,
            Err(StoreError::Conflict { field: "grant", .. })
        ));

        // Pagination by id.
        let page1 = s.list_users(None, 1).await.unwrap();
        let page2 = s.list_users(Some(page1[0].id), 10).await.unwrap();
        assert_eq!(page1.len() + page2.len(), 2);
        assert_ne!(page1[0].id, page2[0].id);

        s.set_user_status(&Actor::cli(), agent.id, UserStatus::Disabled)
            .await
            .unwrap();
        assert_eq!(s.user(agent.id).await.unwrap().status, UserStatus::Disabled);
    }
}

#[tokio::test]
async fn sessions_links_and_lockout_records() {
    for (db, clock) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        let u = s
            .create_user(&Actor::cli(), org.id, new_user("a@example.test"), &[])
            .await
            .unwrap();

        let (secret, sess) = s
            .create_session(
                u.id,
                SessionStage::PendingSecondFactor,
                Duration::hours(1),
                Some("127.0.0.1"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            s.session(&secret).await.unwrap().unwrap().stage,
            SessionStage::PendingSecondFactor
        );
        let (secret2, sess2) = s
            .advance_session(&secret, SessionStage::Active, Duration::hours(1))
            .await
            .unwrap();
        assert_ne!(sess.id_hash, sess2.id_hash, "session id rotates on sign-in");
        assert!(s.session(&secret).await.unwrap().is_none());
        assert_eq!(
            s.session(&secret2).await.unwrap().unwrap().stage,
            SessionStage::Active
        );
        clock.advance(Duration::hours(2));
        assert!(
            s.session(&secret2).await.unwrap().is_none(),
            "expired sessions are not returned"
        );

        let link = s
            .create_link(
                &Actor::cli(),
                u.id,
                LinkPurpose::PasswordReset,
                Duration::hours(1),
            )
            .await
            .unwrap();
        assert_eq!(
            s.check_link(&link, LinkPurpose::PasswordReset)
                .await
                .unwrap(),
            Ok(u.id)
        );
        assert_eq!(
            s.check_link(&link, LinkPurpose::Setup).await.unwrap(),
            Err(LinkProblem::Unknown)
        );
        assert!(
            s.consume_link(&link, LinkPurpose::PasswordReset)
                .await
                .unwrap()
        );
        assert!(
            !s.consume_link(&link, LinkPurpose::PasswordReset)
                .await
                .unwrap(),
            "links work once"
        );
        assert_eq!(
            s.check_link(&link, LinkPurpose::PasswordReset)
                .await
                .unwrap(),
            Err(LinkProblem::Used)
        );
        let link2 = s
            .create_link(
                &Actor::cli(),
                u.id,
                LinkPurpose::PasswordReset,
                Duration::hours(1),
            )
            .await
            .unwrap();
        clock.advance(Duration::hours(2));
        assert_eq!(
            s.check_link(&link2, LinkPurpose::PasswordReset)
                .await
                .unwrap(),
            Err(LinkProblem::Expired)
        );
        assert!(
            !s.consume_link(&link2, LinkPurpose::PasswordReset)
                .await
                .unwrap()
        );

        for _ in 0..3 {
            s.record_signin_failure(
                &Actor::system(),
                "a@example.test",
                "10.0.0.1",
                "bad_password",
            )
            .await
            .unwrap();
        }
        let since = s.now() - Duration::minutes(15);
        let (by_email, by_ip) = s
            .signin_failures("a@example.test", "10.0.0.1", since)
            .await
            .unwrap();
        assert_eq!((by_email.len(), by_ip.len()), (3, 3));
    }
}

#[tokio::test]
async fn totp_steps_and_recovery_codes_are_single_use() {
    for (db, _) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        let u = s
            .create_user(&Actor::cli(), org.id, new_user("t@example.test"), &[])
            .await
            .unwrap();
        s.set_pending_totp(u.id, b"sealed-secret").await.unwrap();
        s.enable_totp(&Actor::cli(), u.id, 100, &["h1".into(), "h2".into()])
            .await
            .unwrap();
        assert!(s.user(u.id).await.unwrap().totp_enabled);
        assert!(s.enable_totp(&Actor::cli(), u.id, 101, &[]).await.is_err());
        assert!(
            !s.consume_totp_step(u.id, 100).await.unwrap(),
            "a used step is refused"
        );
        assert!(s.consume_totp_step(u.id, 101).await.unwrap());
        assert!(s.consume_recovery_code(u.id, "h1").await.unwrap());
        assert!(!s.consume_recovery_code(u.id, "h1").await.unwrap());
        assert_eq!(s.unused_recovery_codes(u.id).await.unwrap(), 1);
        s.disable_totp(&Actor::cli(), u.id, "user.2fa.reset")
            .await
            .unwrap();
        let c = s.credentials(u.id).await.unwrap();
        assert!(!c.user.totp_enabled && c.totp_secret.is_none());
    }
}

#[tokio::test]
async fn tokens_expire_and_revoke() {
    for (db, clock) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        let u = s
            .create_user(&Actor::cli(), org.id, new_user("api@example.test"), &[])
            .await
            .unwrap();
        let (secret, tok) = s
            .create_token(
                &Actor::cli(),
                u.id,
                "CI",
                &[Permission::UsersRead],
                Some(s.now() + Duration::days(1)),
            )
            .await
            .unwrap();
        assert!(secret.starts_with("owl_"));
        let found = s.authenticate_token(&secret).await.unwrap().unwrap();
        assert_eq!(found.scopes, vec![Permission::UsersRead]);
        assert_eq!(
            s.authenticate_token("owl_nope").await.unwrap(),
            Err(TokenRefusal::Unknown)
        );
        clock.advance(Duration::days(2));
        assert_eq!(
            s.authenticate_token(&secret).await.unwrap(),
            Err(TokenRefusal::Expired)
        );
        let (secret2, tok2) = s
            .create_token(&Actor::cli(), u.id, "Other", &[], None)
            .await
            .unwrap();
        s.revoke_token(&Actor::cli(), tok2.id).await.unwrap();
        assert_eq!(
            s.authenticate_token(&secret2).await.unwrap(),
            Err(TokenRefusal::Revoked)
        );
        assert!(matches!(
            s.revoke_token(&Actor::cli(), tok2.id).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(s.list_tokens(u.id).await.unwrap().len(), 2);
        let _ = tok;
    }
}

#[tokio::test]
async fn workspaces_channels_teams() {
    for (db, _) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        let name = |n: &str| DisplayName::parse("name", n).unwrap();
        let ws = s
            .create_workspace(&Actor::cli(), org.id, &name("EMEA"))
            .await
            .unwrap();
        assert!(matches!(
            s.create_workspace(&Actor::cli(), org.id, &name("emea"))
                .await,
            Err(StoreError::Conflict { field: "name", .. })
        ));
        let ch = s
            .create_channel(
                &Actor::cli(),
                ws.id,
                Network::Sandbox,
                &name("News"),
                "news",
            )
            .await
            .unwrap();
        assert!(matches!(
            s.create_channel(
                &Actor::cli(),
                ws.id,
                Network::Sandbox,
                &name("News 2"),
                "news"
            )
            .await,
            Err(StoreError::Conflict {
                field: "handle",
                ..
            })
        ));
        assert_eq!(
            s.list_channels(Some(ws.id)).await.unwrap(),
            vec![ch.clone()]
        );
        assert_eq!(s.channel(ch.id).await.unwrap(), ch);
        let u = s
            .create_user(&Actor::cli(), org.id, new_user("m@example.test"), &[])
            .await
            .unwrap();
        let team = s
            .create_team(&Actor::cli(), org.id, &name("Care"))
            .await
            .unwrap();
        s.set_team_member(&Actor::cli(), team.id, u.id, true)
            .await
            .unwrap();
        s.set_team_member(&Actor::cli(), team.id, u.id, true)
            .await
            .unwrap();
        assert_eq!(s.list_teams().await.unwrap()[0].member_ids, vec![u.id]);
        s.set_team_member(&Actor::cli(), team.id, u.id, false)
            .await
            .unwrap();
        assert!(s.list_teams().await.unwrap()[0].member_ids.is_empty());

        let policy = SecurityPolicy {
            require_2fa_roles: [Role::Owner].into_iter().collect(),
            session_idle_hours: 8,
            reply_approval_roles: [Role::CommunityAgent].into_iter().collect(),
        };
        let updated = s
            .update_organisation(
                &Actor::cli(),
                &name("Acme Corp"),
                &policy,
                "bg",
                "Europe/Sofia",
            )
            .await
            .unwrap();
        assert_eq!(
            s.organisation().await.unwrap().unwrap().security,
            updated.security
        );
        let bad = SecurityPolicy {
            session_idle_hours: 0,
            ..policy
        };
        assert!(matches!(
            s.update_organisation(&Actor::cli(), &name("x"), &bad, "en", "UTC")
                .await,
            Err(StoreError::Invalid(_))
        ));
        let good = updated.security.clone();
        assert!(matches!(
            s.update_organisation(&Actor::cli(), &name("x"), &good, "en", "Mars/Base")
                .await,
            Err(StoreError::Invalid(_))
        ));
        let org = s.organisation().await.unwrap().unwrap();
        assert_eq!(
            (
                org.default_language.as_str(),
                org.default_time_zone.as_str()
            ),
            ("bg", "Europe/Sofia")
        );
    }
}

#[tokio::test]
async fn audit_chain_detects_tampering() {
    for (db, _) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        for i in 0..5 {
            s.create_user(
                &Actor::cli(),
                org.id,
                new_user(&format!("u{i}@example.test")),
                &[],
            )
            .await
            .unwrap();
        }
        let report = s.verify_audit_chain().await.unwrap();
        assert_eq!(report.result, Ok(()));
        assert_eq!(report.checked, 6);

        let users = s
            .audit_events(
                &AuditFilter {
                    action: Some("user.".into()),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
        assert_eq!(users.len(), 5);
        assert!(
            users.windows(2).all(|w| w[0].seq > w[1].seq),
            "newest first"
        );
        let older = s
            .audit_events(
                &AuditFilter {
                    before_seq: Some(users[1].seq),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
        assert!(older.iter().all(|e| e.seq < users[1].seq));

        s.execute_raw_for_tests("UPDATE audit_events SET actor_label = 'mallory' WHERE seq = 3")
            .await
            .unwrap();
        assert_eq!(
            s.verify_audit_chain().await.unwrap().result,
            Err(ChainBreak::Edited { seq: 3 })
        );
    }
    for (db, _) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        for i in 0..4 {
            s.create_user(
                &Actor::cli(),
                org.id,
                new_user(&format!("u{i}@example.test")),
                &[],
            )
            .await
            .unwrap();
        }
        s.execute_raw_for_tests("DELETE FROM audit_events WHERE seq = 2")
            .await
            .unwrap();
        assert_eq!(
            s.verify_audit_chain().await.unwrap().result,
            Err(ChainBreak::Gap {
                previous: 1,
                seq: 3
            })
        );
        s.execute_raw_for_tests("DELETE FROM audit_events WHERE seq >= 2")
            .await
            .unwrap();
        assert_eq!(
            s.verify_audit_chain().await.unwrap().result,
            Err(ChainBreak::Truncated { last: 1, head: 5 })
        );
    }
}

#[tokio::test]
async fn concurrent_writers_keep_the_chain_whole() {
    for (db, _) in backends().await {
        let s = db.store.clone();
        let org = org(&s).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.create_user(
                    &Actor::cli(),
                    org.id,
                    new_user(&format!("c{i}@example.test")),
                    &[],
                )
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let report = s.verify_audit_chain().await.unwrap();
        assert_eq!(report.result, Ok(()), "{}", s.backend_name());
        assert_eq!(report.checked, 41);
    }
}

#[tokio::test]
async fn jobs_are_claimed_once_and_leases_expire() {
    for (db, clock) in backends().await {
        let s = db.store.clone();
        for i in 0..20 {
            s.enqueue(NewJob::new("mail", serde_json::json!({ "n": i })))
                .await
                .unwrap();
        }
        s.enqueue(NewJob::new("other", serde_json::json!({})))
            .await
            .unwrap();
        assert_eq!(s.queue_depth().await.unwrap().queued, 21);

        // Four workers race for 20 jobs: each job is claimed exactly once.
        let mut tasks = Vec::new();
        for w in 0..4 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(job) = s
                    .claim_job(&format!("w{w}"), &["mail"], Duration::minutes(5))
                    .await
                    .unwrap()
                {
                    got.push(job.payload["n"].as_i64().unwrap());
                }
                got
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort();
        assert_eq!(all, (0..20).collect::<Vec<_>>(), "{}", s.backend_name());
        assert_eq!(s.queue_depth().await.unwrap().running, 20);

        // A lapsed lease makes a job claimable again (its worker died).
        clock.advance(Duration::minutes(6));
        let again = s
            .claim_job("w9", &["mail"], Duration::minutes(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.attempts, 2);
        s.complete_job(again.id).await.unwrap();

        let retry = s
            .claim_job("w9", &["mail"], Duration::minutes(5))
            .await
            .unwrap()
            .unwrap();
        let later = s.now() + Duration::minutes(1);
        s.fail_job(retry.id, "smtp down", Some(later))
            .await
            .unwrap();
        assert_eq!(s.next_job_due(&["mail"]).await.unwrap(), Some(later));
        let other = s
            .claim_job("w9", &["other"], Duration::minutes(5))
            .await
            .unwrap()
            .unwrap();
        s.fail_job(other.id, "gave up", None).await.unwrap();
        assert_eq!(s.queue_depth().await.unwrap().failed, 1);
    }
}

#[tokio::test]
async fn claims_take_the_most_overdue_job_whether_queued_or_lapsed() {
    for (db, clock) in backends().await {
        let s = db.store.clone();
        let at = |mins: i64| {
            let mut j = NewJob::new("mail", serde_json::json!({ "m": mins }));
            j.run_at = Some(s.now() + Duration::minutes(mins));
            j
        };
        let lease = Duration::minutes(5);
        // A (due 10 min ago) is claimed; its worker dies. B is due 5 min ago; C in 3 min.
        let a = s.enqueue(at(-10)).await.unwrap();
        assert_eq!(
            s.claim_job("w1", &["mail"], lease)
                .await
                .unwrap()
                .unwrap()
                .id,
            a
        );
        let b = s.enqueue(at(-5)).await.unwrap();
        let c = s.enqueue(at(3)).await.unwrap();
        assert_eq!(
            s.next_job_due(&["mail"])
                .await
                .unwrap()
                .map(|t| t < s.now()),
            Some(true)
        );
        clock.advance(Duration::minutes(6));
        // A's lease lapsed and it is the most overdue: it goes first, then B, then C.
        let order: Vec<_> = [
            s.claim_job("w2", &["mail"], lease).await.unwrap().unwrap(),
            s.claim_job("w2", &["mail"], lease).await.unwrap().unwrap(),
            s.claim_job("w2", &["mail"], lease).await.unwrap().unwrap(),
        ]
        .into_iter()
        .map(|j| (j.id, j.attempts))
        .collect();
        assert_eq!(order, vec![(a, 2), (b, 1), (c, 1)], "{}", s.backend_name());
        assert!(s.claim_job("w2", &["mail"], lease).await.unwrap().is_none());
        assert_eq!(s.next_job_due(&["mail"]).await.unwrap(), None);

        // A queued job more overdue than a lapsed one goes first.
        clock.advance(Duration::minutes(6));
        let d = s.enqueue(at(-60)).await.unwrap();
        let next = s.claim_job("w3", &["mail"], lease).await.unwrap().unwrap();
        assert_eq!(next.id, d, "{}", s.backend_name());
        // Only the kinds asked for.
        assert!(
            s.claim_job("w3", &["other"], lease)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_grant_is_found_by_its_id() {
    for (db, _) in backends().await {
        let s = &db.store;
        let org = org(s).await;
        let u = s
            .create_user(&Actor::cli(), org.id, new_user("g@example.test"), &[])
            .await
            .unwrap();
        let granted = s
            .grant_role(
                &Actor::cli(),
                u.id,
                Grant {
                    role: Role::Approver,
                    scope: Scope::Organisation,
                },
            )
            .await
            .unwrap();
        assert_eq!(s.grant(granted.id).await.unwrap(), granted);
        s.revoke_grant(&Actor::cli(), granted.id).await.unwrap();
        assert!(matches!(
            s.grant(granted.id).await,
            Err(StoreError::NotFound("grant"))
        ));
    }
}
