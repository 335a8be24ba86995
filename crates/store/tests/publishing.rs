//! Publishing I on both backends: posts, variants and versions; submit, reviews and decisions; the
//! server-side scheduling gate; calendar; external review links; escalation; notifications and
//! calendar feeds; campaigns, queues and comments.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use owlery_domain::{
    ChannelId, Clock, Grant, Role, Scope, UserId, VariantId, WorkspaceId,
    audit::Actor,
    org::Network,
    post::{ApprovalNeed, Content, GateError, Overrides, VariantStatus},
    publishing::{
        approval::{Approvers, DecisionError, Progress, Step, Verdict, Workflow},
        campaign::{Blocker, Release},
        schedule::Queue,
    },
    user::{DisplayName, Email},
};
use owlery_store::{
    Store, StoreError,
    campaigns::{CampaignInput, CampaignStatus, ReleaseMode},
    notifications::feed_token_hash,
    posts::{CalendarFilter, NewPost, ScheduleError, Validation, VariantInput},
    reviews::{DecideError, Decider},
    testing::{TestDb, all_backends},
    users::NewUser,
};

#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap()
}

/// One organisation with two workspaces: `ws` (channels `ch1` X, `ch2` Bluesky) and `other`
/// (channel `foreign`); an author, two approvers (role Approver on `ws`) and a contributor.
pub struct Fx {
    pub db: TestDb,
    pub clock: Arc<FixedClock>,
    pub ws: WorkspaceId,
    pub other: WorkspaceId,
    pub ch1: ChannelId,
    pub ch2: ChannelId,
    pub foreign: ChannelId,
    pub author: UserId,
    pub appr1: UserId,
    pub appr2: UserId,
    pub outsider: UserId,
}

impl Fx {
    pub fn s(&self) -> &Store {
        &self.db.store
    }
}

pub fn actor(u: UserId) -> Actor {
    Actor::user(u, "someone@example.test", Some("192.0.2.1".into()))
}

fn new_user(email: &str, name: &str) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: DisplayName::parse("name", name).unwrap(),
        password_hash: Some("$argon2id$dummy".into()),
        language: "en".into(),
        time_zone: "Europe/Sofia".into(),
    }
}

pub async fn fixtures() -> Vec<Fx> {
    let mut out = Vec::new();
    for mut db in all_backends().await.unwrap() {
        let clock = Arc::new(FixedClock(std::sync::Mutex::new(t0())));
        db.store = db.store.clone().with_clock(clock.clone());
        let s = &db.store;
        let cli = Actor::cli();
        let org = s.ensure_organisation(&cli, "Acme").await.unwrap();
        let name = |n: &str| DisplayName::parse("name", n).unwrap();
        let ws = s
            .create_workspace(&cli, org.id, &name("Brand A"))
            .await
            .unwrap();
        let other = s
            .create_workspace(&cli, org.id, &name("Brand B"))
            .await
            .unwrap();
        let ch1 = s
            .create_channel(&cli, ws.id, Network::X, &name("Acme on X"), "@acme")
            .await
            .unwrap();
        let ch2 = s
            .create_channel(
                &cli,
                ws.id,
                Network::Bluesky,
                &name("Acme Sky"),
                "acme.bsky",
            )
            .await
            .unwrap();
        let foreign = s
            .create_channel(&cli, other.id, Network::X, &name("B on X"), "@brandb")
            .await
            .unwrap();
        let contributor = Grant {
            role: Role::Contributor,
            scope: Scope::Workspace(ws.id),
        };
        let approver = Grant {
            role: Role::Approver,
            scope: Scope::Workspace(ws.id),
        };
        let author = s
            .create_user(
                &cli,
                org.id,
                new_user("ana@example.test", "Ana Author"),
                &[contributor.clone(), approver.clone()],
            )
            .await
            .unwrap();
        let appr1 = s
            .create_user(
                &cli,
                org.id,
                new_user("bo@example.test", "Bo Approver"),
                std::slice::from_ref(&approver),
            )
            .await
            .unwrap();
        let appr2 = s
            .create_user(
                &cli,
                org.id,
                new_user("cy@example.test", "Cy Second"),
                &[approver],
            )
            .await
            .unwrap();
        let outsider = s
            .create_user(
                &cli,
                org.id,
                new_user("dee@example.test", "Dee Contributor"),
                &[contributor],
            )
            .await
            .unwrap();
        out.push(Fx {
            db,
            clock,
            ws: ws.id,
            other: other.id,
            ch1: ch1.id,
            ch2: ch2.id,
            foreign: foreign.id,
            author: author.id,
            appr1: appr1.id,
            appr2: appr2.id,
            outsider: outsider.id,
        });
    }
    out
}

pub fn valid() -> Validation {
    Validation {
        findings: serde_json::json!([]),
        has_errors: false,
        spec_version: "2026-11".into(),
    }
}

pub fn invalid() -> Validation {
    Validation {
        findings: serde_json::json!([{ "code": "too_long", "field": "text" }]),
        has_errors: true,
        spec_version: "2026-11".into(),
    }
}

pub fn input(ch: ChannelId) -> VariantInput {
    VariantInput {
        channel_id: ch,
        placement: "post".into(),
        overrides: Overrides::default(),
        validation: valid(),
    }
}

pub fn text(t: &str) -> Content {
    Content {
        text: t.into(),
        ..Default::default()
    }
}

pub fn new_post(fx: &Fx, channels: &[ChannelId]) -> NewPost {
    NewPost {
        workspace_id: fx.ws,
        title: "Autumn menu".into(),
        content: text("Autumn menu is here"),
        variants: channels.iter().map(|c| input(*c)).collect(),
        campaign_id: None,
        scheduled_at: None,
        schedule_tz: "Europe/Sofia".into(),
    }
}

pub fn one_step(required: u32, deadline_hours: Option<u32>, backup: Option<UserId>) -> Workflow {
    Workflow {
        steps: vec![Step {
            name: "Marketing".into(),
            approvers: Approvers::Role {
                role: Role::Approver,
            },
            required,
            backup,
            deadline_hours,
        }],
    }
}

pub fn approver(u: UserId) -> Decider {
    Decider::User {
        user_id: u,
        roles_here: vec![Role::Approver],
        teams: vec![],
    }
}

/// How many rows of `table` match `filter` (through a no-op UPDATE, the only raw access tests have).
pub async fn count(s: &Store, table: &str, set: &str, filter: &str) -> u64 {
    s.execute_raw_for_tests(&format!("UPDATE {table} SET {set} = {set} WHERE {filter}"))
        .await
        .unwrap()
}

pub async fn publish_jobs(s: &Store) -> u64 {
    count(s, "jobs", "kind", "kind = 'publish.variant'").await
}

pub async fn chain_ok(s: &Store) {
    let report = s.verify_audit_chain().await.unwrap();
    assert_eq!(report.result, Ok(()), "{}", s.backend_name());
}

#[tokio::test]
async fn posts_are_created_with_variants_in_their_own_workspace() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, fx.ch2]))
            .await
            .unwrap();
        assert_eq!(post.version, 1);
        assert_eq!(post.author_id, fx.author);
        assert_eq!(post.variants.len(), 2, "{b}");
        assert!(
            post.variants
                .iter()
                .all(|v| v.status == VariantStatus::Draft && v.spec_version == "2026-11")
        );
        assert_eq!(s.post(post.id).await.unwrap().unwrap(), post);
        let v = post.variants[0].id;
        assert_eq!(s.post_of_variant(v).await.unwrap().unwrap().id, post.id);

        // A channel of another workspace is refused, and nothing is left behind.
        let before = count(s, "posts", "title", "1 = 1").await;
        let err = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, fx.foreign]))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    field: "channel_ids",
                    ..
                }
            ),
            "{b}: {err:?}"
        );
        let err = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, ChannelId::new()]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound("channel")), "{b}");
        let err = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, fx.ch1]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{b}: {err:?}");
        let err = s
            .create_post(&a, fx.author, new_post(&fx, &[]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{b}");
        assert_eq!(count(s, "posts", "title", "1 = 1").await, before, "{b}");
        assert_eq!(count(s, "variants", "status", "1 = 1").await, 2, "{b}");

        // Lists: only the asked workspaces, newest change first, with a cursor.
        fx.clock.advance(Duration::minutes(1));
        let second = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch2]))
            .await
            .unwrap();
        let mut other = new_post(&fx, &[fx.foreign]);
        other.workspace_id = fx.other;
        let foreign_post = s.create_post(&a, fx.author, other).await.unwrap();
        let listed = s.posts(&[fx.ws], None, 10).await.unwrap();
        assert_eq!(
            listed.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![second.id, post.id],
            "{b}"
        );
        let page2 = s
            .posts(&[fx.ws], Some(second.updated_at), 10)
            .await
            .unwrap();
        assert_eq!(page2.len(), 1);
        assert_eq!(page2[0].id, post.id);
        assert_eq!(s.posts(&[fx.ws, fx.other], None, 1).await.unwrap().len(), 1);
        assert_eq!(
            s.posts(&[fx.other], None, 10).await.unwrap()[0].id,
            foreign_post.id
        );
        assert!(s.posts(&[], None, 10).await.unwrap().is_empty());
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn updates_need_the_current_version_and_keep_history() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, fx.ch2]))
            .await
            .unwrap();
        fx.clock.advance(Duration::minutes(5));
        let mut short = input(fx.ch1);
        short.overrides.text = Some("Short for X".into());
        let updated = s
            .update_post(
                &a,
                fx.outsider,
                post.id,
                1,
                "Autumn menu v2".into(),
                text("The autumn menu is here"),
                vec![short.clone(), input(fx.ch2)],
            )
            .await
            .unwrap();
        assert_eq!(updated.version, 2, "{b}");
        assert_eq!(updated.title, "Autumn menu v2");
        let v1 = updated.variants.iter().find(|v| v.channel_id == fx.ch1);
        assert_eq!(
            v1.unwrap().overrides.text.as_deref(),
            Some("Short for X"),
            "{b}"
        );
        // The same ids survive an edit.
        assert_eq!(
            updated.variants.iter().map(|v| v.id).collect::<Vec<_>>(),
            post.variants.iter().map(|v| v.id).collect::<Vec<_>>()
        );

        // A stale version is refused and nothing of the edit is written.
        let audit_before = s.verify_audit_chain().await.unwrap().checked;
        let err = s
            .update_post(
                &a,
                fx.author,
                post.id,
                1,
                "Lost edit".into(),
                text("Lost"),
                vec![input(fx.ch1)],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    field: "version",
                    ..
                }
            ),
            "{b}: {err:?}"
        );
        let again = s.post(post.id).await.unwrap().unwrap();
        assert_eq!(
            again, updated,
            "{b}: a refused edit leaves the post as it was"
        );
        assert_eq!(
            s.verify_audit_chain().await.unwrap().checked,
            audit_before,
            "{b}"
        );

        // A foreign channel in an edit fails the whole edit (the version too).
        let err = s
            .update_post(
                &a,
                fx.author,
                post.id,
                2,
                "Half".into(),
                text("Half"),
                vec![input(fx.ch1), input(fx.foreign)],
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{b}");
        assert_eq!(s.post(post.id).await.unwrap().unwrap().version, 2, "{b}");

        // Dropping a channel removes its variant; adding one creates it.
        let third = s
            .update_post(
                &a,
                fx.author,
                post.id,
                2,
                "Only X".into(),
                text("The autumn menu is here"),
                vec![short],
            )
            .await
            .unwrap();
        assert_eq!(third.variants.len(), 1, "{b}");
        assert_eq!(third.variants[0].channel_id, fx.ch1);

        let versions = s.post_versions(post.id).await.unwrap();
        assert_eq!(
            versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            vec![3, 2, 1],
            "{b}"
        );
        assert_eq!(versions[1].author_id, fx.outsider);
        assert_eq!(versions[1].snapshot.title, "Autumn menu v2");
        assert_eq!(versions[1].snapshot.content.text, "The autumn menu is here");
        assert_eq!(versions[1].snapshot.variants.len(), 2);
        assert_eq!(
            versions[1].snapshot.variants[0].overrides.text.as_deref(),
            Some("Short for X")
        );
        assert_eq!(versions[2].snapshot.content.text, "Autumn menu is here");
        assert_eq!(versions[2].created_at, t0());
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn reviews_follow_the_workflow_and_segregate_duties() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let wf = s
            .set_workflow(&a, fx.ws, None, "Brand review", &one_step(1, None, None))
            .await
            .unwrap();
        assert_eq!(
            s.workflow_for_channel(fx.ch1).await.unwrap().unwrap().id,
            wf.id
        );
        assert!(s.workflow_for_channel(fx.foreign).await.unwrap().is_none());

        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, fx.ch2]))
            .await
            .unwrap();
        let outcomes = s.submit_post(&a, post.id).await.unwrap();
        assert!(
            outcomes
                .iter()
                .all(|o| o.status == VariantStatus::InReview && o.blocked.is_none()),
            "{b}: {outcomes:?}"
        );
        let reviews = s.reviews_of_post(post.id).await.unwrap();
        assert_eq!(reviews.len(), 1, "{b}: one review per workflow");
        let review = &reviews[0];
        assert_eq!(review.round, 1);
        assert!(matches!(
            review.progress(s.now()),
            Progress::Pending { step: 0, .. }
        ));
        let post = s.post(post.id).await.unwrap().unwrap();
        assert!(
            post.variants
                .iter()
                .all(|v| v.review_id == Some(review.id) && v.status == VariantStatus::InReview)
        );
        assert_eq!(s.pending_reviews().await.unwrap().len(), 1);

        // The author is an approver too, but cannot approve their own post.
        let err = s
            .decide(&a, review.id, approver(fx.author), Verdict::Approve, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::OwnPost)),
            "{b}: {err:?}"
        );
        // Someone without the role cannot decide.
        let err = s
            .decide(
                &actor(fx.outsider),
                review.id,
                Decider::User {
                    user_id: fx.outsider,
                    roles_here: vec![Role::Contributor],
                    teams: vec![],
                },
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::NotYourStep { .. })),
            "{b}: {err:?}"
        );
        // Request changes needs a reason.
        let err = s
            .decide(
                &actor(fx.appr1),
                review.id,
                approver(fx.appr1),
                Verdict::RequestChanges,
                Some("  ".into()),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::ReasonRequired)),
            "{b}"
        );
        assert!(
            s.review(review.id)
                .await
                .unwrap()
                .unwrap()
                .decisions
                .is_empty()
        );

        let p = s
            .decide(
                &actor(fx.appr1),
                review.id,
                approver(fx.appr1),
                Verdict::RequestChanges,
                Some("Mention the vegan option".into()),
            )
            .await
            .unwrap();
        assert!(
            matches!(&p, Progress::ChangesRequested { reason, .. } if reason == "Mention the vegan option"),
            "{b}: {p:?}"
        );
        let post = s.post(post.id).await.unwrap().unwrap();
        assert!(
            post.variants
                .iter()
                .all(|v| v.status == VariantStatus::ChangesRequested),
            "{b}"
        );
        let notes = s.notifications(fx.author, 10).await.unwrap();
        assert_eq!(notes.len(), 1, "{b}");
        assert_eq!(notes[0].kind, "review_changes_requested");
        assert_eq!(notes[0].params["reason"], "Mention the vegan option");
        assert_eq!(
            count(s, "jobs", "kind", "kind = 'notification.mail'").await,
            3,
            "{b}: two approvers asked, the author told"
        );
        for u in [fx.appr1, fx.appr2] {
            let n = s.notifications(u, 10).await.unwrap();
            assert_eq!(n.len(), 1, "{b}");
            assert_eq!(n[0].kind, "review_requested");
            assert_eq!(n[0].params["step"], "Marketing");
        }
        assert!(
            s.notifications(fx.outsider, 10).await.unwrap().is_empty(),
            "{b}: not an approver"
        );
        // No more decisions on an ended round.
        let err = s
            .decide(
                &actor(fx.appr2),
                review.id,
                approver(fx.appr2),
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::NotPending)),
            "{b}"
        );

        // Resubmitting starts round 2; an approval then approves (no time: approved, not scheduled).
        fx.clock.advance(Duration::minutes(10));
        s.submit_post(&a, post.id).await.unwrap();
        let review = s.review(review.id).await.unwrap().unwrap();
        assert_eq!(review.round, 2, "{b}");
        assert!(review.decisions.is_empty());
        let p = s
            .decide(
                &actor(fx.appr2),
                review.id,
                approver(fx.appr2),
                Verdict::Approve,
                Some("Nice".into()),
            )
            .await
            .unwrap();
        assert_eq!(p, Progress::Approved, "{b}");
        let post = s.post(post.id).await.unwrap().unwrap();
        assert!(
            post.variants
                .iter()
                .all(|v| v.status == VariantStatus::Approved),
            "{b}: {:?}",
            post.variants
        );
        assert!(s.pending_reviews().await.unwrap().is_empty(), "{b}");

        // Reject ends a round too (on another post), with its reason.
        let other = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        s.submit_post(&a, other.id).await.unwrap();
        let r2 = s.reviews_of_post(other.id).await.unwrap().remove(0);
        let p = s
            .decide(
                &actor(fx.appr1),
                r2.id,
                approver(fx.appr1),
                Verdict::Reject,
                Some("Off brand".into()),
            )
            .await
            .unwrap();
        assert!(matches!(p, Progress::Rejected { .. }), "{b}");
        assert_eq!(
            s.post(other.id).await.unwrap().unwrap().variants[0].status,
            VariantStatus::Rejected
        );
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn multi_step_workflows_need_every_approval_and_channel_workflows_win() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        s.set_workflow(&a, fx.ws, None, "Brand", &one_step(1, None, None))
            .await
            .unwrap();
        let two_steps = Workflow {
            steps: vec![
                Step {
                    name: "Two approvers".into(),
                    approvers: Approvers::Role {
                        role: Role::Approver,
                    },
                    required: 2,
                    backup: None,
                    deadline_hours: None,
                },
                Step {
                    name: "Named".into(),
                    approvers: Approvers::People {
                        user_ids: vec![fx.outsider],
                    },
                    required: 1,
                    backup: None,
                    deadline_hours: None,
                },
            ],
        };
        let channel_wf = s
            .set_workflow(&a, fx.ws, Some(fx.ch1), "X channel", &two_steps)
            .await
            .unwrap();
        assert_eq!(
            s.workflow_for_channel(fx.ch1).await.unwrap().unwrap().id,
            channel_wf.id,
            "{b}: the channel's own workflow wins"
        );
        assert_eq!(s.workflows(fx.ws).await.unwrap().len(), 2);
        // A channel of another workspace cannot get this workspace's workflow.
        assert!(
            s.set_workflow(&a, fx.ws, Some(fx.foreign), "Bad", &two_steps)
                .await
                .is_err()
        );

        let at = t0() + Duration::days(2);
        let mut np = new_post(&fx, &[fx.ch1, fx.ch2]);
        np.scheduled_at = Some(at);
        let post = s.create_post(&a, fx.author, np).await.unwrap();
        s.submit_post(&a, post.id).await.unwrap();
        let reviews = s.reviews_of_post(post.id).await.unwrap();
        assert_eq!(reviews.len(), 2, "{b}: one review per workflow");
        let review = reviews
            .into_iter()
            .find(|r| r.workflow_id == channel_wf.id)
            .unwrap();

        let p = s
            .decide(
                &actor(fx.appr1),
                review.id,
                approver(fx.appr1),
                Verdict::Approve,
                None,
            )
            .await
            .unwrap();
        assert!(
            matches!(
                p,
                Progress::Pending {
                    step: 0,
                    approvals: 1,
                    required: 2,
                    ..
                }
            ),
            "{b}: {p:?}"
        );
        // The same person cannot count twice.
        let err = s
            .decide(
                &actor(fx.appr1),
                review.id,
                approver(fx.appr1),
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::AlreadyDecided { .. })),
            "{b}"
        );
        fx.clock.advance(Duration::seconds(1));
        let p = s
            .decide(
                &actor(fx.appr2),
                review.id,
                approver(fx.appr2),
                Verdict::Approve,
                None,
            )
            .await
            .unwrap();
        assert!(matches!(p, Progress::Pending { step: 1, .. }), "{b}: {p:?}");
        // An approver of step 1 is not a named person of step 2.
        let err = s
            .decide(
                &actor(fx.appr1),
                review.id,
                approver(fx.appr1),
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::NotYourStep { .. })),
            "{b}"
        );
        let x = s.post(post.id).await.unwrap().unwrap();
        assert_eq!(x.variants[0].status, VariantStatus::InReview, "{b}");
        assert_eq!(publish_jobs(s).await, 0, "{b}");
        // The named person of step 2 is asked when it becomes current.
        let asked = s.notifications(fx.outsider, 10).await.unwrap();
        assert_eq!(asked.len(), 1, "{b}");
        assert_eq!(asked[0].kind, "review_requested");
        assert_eq!(asked[0].params["step"], "Named");
        fx.clock.advance(Duration::seconds(1));
        let p = s
            .decide(
                &actor(fx.outsider),
                review.id,
                Decider::User {
                    user_id: fx.outsider,
                    roles_here: vec![],
                    teams: vec![],
                },
                Verdict::Approve,
                None,
            )
            .await
            .unwrap();
        assert_eq!(p, Progress::Approved, "{b}");
        let x = s.post(post.id).await.unwrap().unwrap();
        let v1 = x.variants.iter().find(|v| v.channel_id == fx.ch1).unwrap();
        let v2 = x.variants.iter().find(|v| v.channel_id == fx.ch2).unwrap();
        assert_eq!(
            v1.status,
            VariantStatus::Scheduled,
            "{b}: approved with a time = scheduled"
        );
        assert_eq!(
            v2.status,
            VariantStatus::InReview,
            "{b}: the workspace review is still pending"
        );
        assert_eq!(publish_jobs(s).await, 1, "{b}");
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn editing_an_approved_post_sends_it_back_for_approval() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        s.set_workflow(&a, fx.ws, None, "Brand", &one_step(1, None, None))
            .await
            .unwrap();
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, fx.ch2]))
            .await
            .unwrap();
        s.submit_post(&a, post.id).await.unwrap();
        let review = s.reviews_of_post(post.id).await.unwrap().remove(0);
        s.decide(
            &actor(fx.appr1),
            review.id,
            approver(fx.appr1),
            Verdict::Approve,
            None,
        )
        .await
        .unwrap();
        let x = s.post(post.id).await.unwrap().unwrap();
        let v1 = x
            .variants
            .iter()
            .find(|v| v.channel_id == fx.ch1)
            .unwrap()
            .id;
        let v2 = x
            .variants
            .iter()
            .find(|v| v.channel_id == fx.ch2)
            .unwrap()
            .id;
        let at = t0() + Duration::days(1);
        assert_eq!(
            s.schedule_variant(&a, v1, at, "Europe/Sofia")
                .await
                .unwrap(),
            VariantStatus::Scheduled
        );
        assert_eq!(
            s.schedule_variant(&a, v2, at, "Europe/Sofia")
                .await
                .unwrap(),
            VariantStatus::Scheduled
        );

        // Only X's text changes, but the post goes back for approval as a whole.
        fx.clock.advance(Duration::hours(1));
        let mut short = input(fx.ch1);
        short.overrides.text = Some("Short for X".into());
        let edited = s
            .update_post(
                &a,
                fx.author,
                post.id,
                x.version,
                x.title.clone(),
                x.content.clone(),
                vec![short, input(fx.ch2)],
            )
            .await
            .unwrap();
        assert!(
            edited
                .variants
                .iter()
                .all(|v| v.status == VariantStatus::InReview),
            "{b}: {:?}",
            edited.variants
        );
        let review = s.review(review.id).await.unwrap().unwrap();
        assert_eq!(review.round, 2, "{b}");
        assert!(review.decisions.is_empty(), "{b}: a new round starts empty");
        assert_eq!(review.round_started_at, s.now());
        // The old approval no longer lets it be scheduled.
        let err = s
            .schedule_variant(&a, v2, at, "Europe/Sofia")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ScheduleError::Gate(GateError::NeedsApproval)),
            "{b}: {err:?}"
        );
        // The new round's approval puts both back on the schedule at their time.
        let jobs_before = publish_jobs(s).await;
        s.decide(
            &actor(fx.appr2),
            review.id,
            approver(fx.appr2),
            Verdict::Approve,
            None,
        )
        .await
        .unwrap();
        let x = s.post(post.id).await.unwrap().unwrap();
        assert!(
            x.variants
                .iter()
                .all(|v| v.status == VariantStatus::Scheduled && v.scheduled_at == Some(at)),
            "{b}"
        );
        assert_eq!(publish_jobs(s).await, jobs_before + 2, "{b}");

        // Saving with only refreshed validation (same content) does not restart the review.
        let again = s
            .update_post(
                &a,
                fx.author,
                post.id,
                x.version,
                x.title.clone(),
                x.content.clone(),
                x.variants
                    .iter()
                    .map(|v| VariantInput {
                        channel_id: v.channel_id,
                        placement: v.placement.clone(),
                        overrides: v.overrides.clone(),
                        validation: valid(),
                    })
                    .collect(),
            )
            .await
            .unwrap();
        assert!(
            again
                .variants
                .iter()
                .all(|v| v.status == VariantStatus::Scheduled),
            "{b}"
        );
        assert_eq!(s.review(review.id).await.unwrap().unwrap().round, 2);

        // Adding a channel is new content for the review: a new round, everyone waits again.
        let ch3 = s
            .create_channel(
                &Actor::cli(),
                fx.ws,
                Network::Mastodon,
                &DisplayName::parse("name", "Acme Toots").unwrap(),
                "@acme@social.example",
            )
            .await
            .unwrap();
        let mut inputs: Vec<VariantInput> = again
            .variants
            .iter()
            .map(|v| VariantInput {
                channel_id: v.channel_id,
                placement: v.placement.clone(),
                overrides: v.overrides.clone(),
                validation: valid(),
            })
            .collect();
        inputs.push(input(ch3.id));
        let widened = s
            .update_post(
                &a,
                fx.author,
                post.id,
                again.version,
                again.title.clone(),
                again.content.clone(),
                inputs,
            )
            .await
            .unwrap();
        assert_eq!(s.review(review.id).await.unwrap().unwrap().round, 3, "{b}");
        let statuses: Vec<VariantStatus> = widened.variants.iter().map(|v| v.status).collect();
        assert_eq!(
            statuses,
            vec![
                VariantStatus::InReview,
                VariantStatus::InReview,
                VariantStatus::Draft
            ],
            "{b}"
        );
        let out = s.submit_post(&a, post.id).await.unwrap();
        assert!(
            out.iter().all(|o| o.status == VariantStatus::InReview),
            "{b}: {out:?}"
        );
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn the_server_gate_decides_scheduling_whatever_the_caller_claims() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let at = t0() + Duration::days(3);

        // No workflow, valid: scheduling works and enqueues the publish job.
        let free = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        let fv = free.variants[0].id;
        assert_eq!(
            s.schedule_variant(&a, fv, at, "UTC").await.unwrap(),
            VariantStatus::Scheduled,
            "{b}"
        );
        assert_eq!(publish_jobs(s).await, 1);

        // Validation errors: refused, whatever the status.
        let mut np = new_post(&fx, &[fx.ch2]);
        np.variants[0].validation = invalid();
        let bad = s.create_post(&a, fx.author, np).await.unwrap();
        let err = s
            .schedule_variant(&a, bad.variants[0].id, at, "UTC")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ScheduleError::Gate(GateError::Invalid)),
            "{b}: {err:?}"
        );
        let outcomes = s.submit_post(&a, bad.id).await.unwrap();
        assert_eq!(outcomes[0].blocked, Some("validation_failed"), "{b}");
        assert_eq!(outcomes[0].status, VariantStatus::Draft);

        // A workflow now covers the channel: even the free post's variant cannot be rescheduled.
        s.set_workflow(&a, fx.ws, None, "Brand", &one_step(1, None, None))
            .await
            .unwrap();
        let err = s
            .schedule_variant(&a, fv, at + Duration::hours(1), "UTC")
            .await
            .unwrap_err();
        assert!(
            matches!(err, ScheduleError::Gate(GateError::NeedsApproval)),
            "{b}: {err:?}"
        );
        // Its content changes: it leaves the schedule for review (it has no review yet).
        let x = s.post(free.id).await.unwrap().unwrap();
        let edited = s
            .update_post(
                &a,
                fx.author,
                free.id,
                x.version,
                x.title,
                text("A new text"),
                vec![input(fx.ch1)],
            )
            .await
            .unwrap();
        assert_eq!(edited.variants[0].status, VariantStatus::InReview, "{b}");
        let gated = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        let gv = gated.variants[0].id;
        let err = s.schedule_variant(&a, gv, at, "UTC").await.unwrap_err();
        assert!(
            matches!(err, ScheduleError::Gate(GateError::NeedsApproval)),
            "{b}"
        );
        s.submit_post(&a, gated.id).await.unwrap();
        let err = s.schedule_variant(&a, gv, at, "UTC").await.unwrap_err();
        assert!(
            matches!(err, ScheduleError::Gate(GateError::NeedsApproval)),
            "{b}: in review is not approved"
        );
        let v = &s.post(gated.id).await.unwrap().unwrap().variants[0];
        assert_eq!(v.status, VariantStatus::InReview);
        assert_eq!(v.scheduled_at, None, "{b}: a refusal changes nothing");
        let review = s.reviews_of_post(gated.id).await.unwrap().remove(0);
        s.decide(
            &actor(fx.appr1),
            review.id,
            approver(fx.appr1),
            Verdict::Approve,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            s.schedule_variant(&a, gv, at, "Europe/Sofia")
                .await
                .unwrap(),
            VariantStatus::Scheduled,
            "{b}"
        );
        let v = &s.post(gated.id).await.unwrap().unwrap().variants[0];
        assert_eq!(v.scheduled_at, Some(at));
        assert_eq!(v.schedule_tz, "Europe/Sofia");
        assert_eq!(publish_jobs(s).await, 2, "{b}");

        // Approved but with validation errors after an edit: refused.
        let x = s.post(gated.id).await.unwrap().unwrap();
        let mut broken = input(fx.ch1);
        broken.validation = invalid();
        s.update_post(
            &a,
            fx.author,
            gated.id,
            x.version,
            x.title,
            x.content,
            vec![broken],
        )
        .await
        .unwrap();
        let err = s.schedule_variant(&a, gv, at, "UTC").await.unwrap_err();
        assert!(
            matches!(
                err,
                ScheduleError::Gate(GateError::Invalid | GateError::NeedsApproval)
            ),
            "{b}: {err:?}"
        );
        assert!(
            s.schedule_variant(&a, owlery_domain::VariantId::new(), at, "UTC")
                .await
                .is_err()
        );
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn moving_and_unscheduling() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let at = t0() + Duration::days(1);
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        let v = post.variants[0].id;
        // A draft can get an intended time without being scheduled.
        assert_eq!(
            s.move_variant(&a, v, Some(at), "UTC").await.unwrap(),
            VariantStatus::Draft,
            "{b}"
        );
        assert_eq!(
            s.post(post.id).await.unwrap().unwrap().variants[0].scheduled_at,
            Some(at)
        );
        assert_eq!(publish_jobs(s).await, 0);
        // Submitting without a workflow schedules it at that time.
        let out = s.submit_post(&a, post.id).await.unwrap();
        assert_eq!(out[0].status, VariantStatus::Scheduled, "{b}");
        assert_eq!(publish_jobs(s).await, 1);
        // Moving a scheduled variant reschedules it (a new job for the new time).
        let later = at + Duration::hours(2);
        assert_eq!(
            s.move_variant(&a, v, Some(later), "UTC").await.unwrap(),
            VariantStatus::Scheduled
        );
        assert_eq!(
            s.post(post.id).await.unwrap().unwrap().variants[0].scheduled_at,
            Some(later)
        );
        assert_eq!(publish_jobs(s).await, 2, "{b}");
        // Unscheduling keeps it approved, without a time.
        assert_eq!(
            s.unschedule_variant(&a, v, false).await.unwrap(),
            VariantStatus::Approved,
            "{b}"
        );
        let x = &s.post(post.id).await.unwrap().unwrap().variants[0];
        assert_eq!(x.status, VariantStatus::Approved);
        assert_eq!(x.scheduled_at, None);
        // Cancelling ends it; a cancelled variant cannot be moved or scheduled.
        assert_eq!(
            s.unschedule_variant(&a, v, true).await.unwrap(),
            VariantStatus::Cancelled
        );
        assert!(matches!(
            s.move_variant(&a, v, Some(at), "UTC").await,
            Err(ScheduleError::Gate(GateError::NotEditable))
        ));
        assert!(matches!(
            s.schedule_variant(&a, v, at, "UTC").await,
            Err(ScheduleError::Gate(GateError::NotEditable))
        ));
        assert!(matches!(
            s.unschedule_variant(&a, v, false).await,
            Err(ScheduleError::Gate(GateError::NotEditable))
        ));
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn the_calendar_shows_times_in_range_with_filters() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let day = t0() + Duration::days(1);
        let mut np = new_post(&fx, &[fx.ch1, fx.ch2]);
        np.scheduled_at = Some(day);
        np.variants[0].overrides.text = Some("Short for X".into());
        let p1 = s.create_post(&a, fx.author, np).await.unwrap();
        let mut np = new_post(&fx, &[fx.ch1]);
        np.title = "By Bo".into();
        np.scheduled_at = Some(day + Duration::hours(3));
        let p2 = s.create_post(&a, fx.appr1, np).await.unwrap();
        let mut np = new_post(&fx, &[fx.ch1]);
        np.scheduled_at = Some(day + Duration::days(10));
        s.create_post(&a, fx.author, np).await.unwrap();
        let mut np = new_post(&fx, &[fx.foreign]);
        np.workspace_id = fx.other;
        np.scheduled_at = Some(day);
        s.create_post(&a, fx.author, np).await.unwrap();

        let from = day - Duration::hours(1);
        let to = day + Duration::days(1);
        let all = CalendarFilter {
            workspaces: vec![fx.ws],
            ..Default::default()
        };
        let entries = s.calendar(from, to, &all).await.unwrap();
        assert_eq!(entries.len(), 3, "{b}: {entries:?}");
        assert_eq!(entries[2].post_id, p2.id, "{b}: ordered by time");
        assert_eq!(entries[2].author_name, "Bo Approver");
        let x = entries
            .iter()
            .find(|e| e.post_id == p1.id && e.channel_id == fx.ch1)
            .unwrap();
        assert_eq!(x.text, "Short for X", "{b}: the variant's own text");
        assert_eq!(x.network, "x");
        assert_eq!(x.channel_name, "Acme on X");
        assert_eq!(x.status, VariantStatus::Draft);

        let f = CalendarFilter {
            channels: vec![fx.ch2],
            ..all.clone()
        };
        assert_eq!(s.calendar(from, to, &f).await.unwrap().len(), 1);
        let f = CalendarFilter {
            networks: vec!["bluesky".into()],
            ..all.clone()
        };
        assert_eq!(s.calendar(from, to, &f).await.unwrap().len(), 1);
        let f = CalendarFilter {
            author: Some(fx.appr1),
            ..all.clone()
        };
        assert_eq!(s.calendar(from, to, &f).await.unwrap().len(), 1);
        let f = CalendarFilter {
            statuses: vec![VariantStatus::Scheduled],
            ..all.clone()
        };
        assert!(s.calendar(from, to, &f).await.unwrap().is_empty());
        let f = CalendarFilter {
            workspaces: vec![fx.ws, fx.other],
            ..Default::default()
        };
        assert_eq!(s.calendar(from, to, &f).await.unwrap().len(), 4, "{b}");
        assert!(
            s.calendar(from, to, &CalendarFilter::default())
                .await
                .unwrap()
                .is_empty(),
            "{b}: no workspaces, nothing"
        );
        // The range is half-open.
        assert_eq!(
            s.calendar(day + Duration::hours(3), to, &all)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(s.calendar(from, day, &all).await.unwrap().is_empty(), "{b}");

        // A variant shows at its publication time, in the range that holds that time only.
        let published = day + Duration::days(2);
        s.execute_raw_for_tests(&format!(
            "UPDATE variants SET status = 'published', published_at = '{}' \
             WHERE post_id IN (SELECT id FROM posts WHERE title = 'By Bo')",
            published.format("%Y-%m-%dT%H:%M:%S+00:00")
        ))
        .await
        .unwrap();
        let entries = s.calendar(from, to, &all).await.unwrap();
        assert_eq!(entries.len(), 2, "{b}: {entries:?}");
        assert!(entries.iter().all(|e| e.post_id != p2.id));
        let later = s
            .calendar(published, published + Duration::hours(1), &all)
            .await
            .unwrap();
        assert_eq!(later.len(), 1, "{b}");
        assert_eq!(later[0].at, published);
        assert_eq!(later[0].status, VariantStatus::Published);
    }
}

fn external_step_workflow() -> Workflow {
    Workflow {
        steps: vec![
            Step {
                name: "Client".into(),
                approvers: Approvers::External,
                required: 1,
                backup: None,
                deadline_hours: None,
            },
            Step {
                name: "Legal".into(),
                approvers: Approvers::External,
                required: 1,
                backup: None,
                deadline_hours: None,
            },
        ],
    }
}

#[tokio::test]
async fn external_review_links_are_single_purpose_and_expire() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        s.set_workflow(&a, fx.ws, None, "Client", &external_step_workflow())
            .await
            .unwrap();
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        s.submit_post(&a, post.id).await.unwrap();
        let review = s.reviews_of_post(post.id).await.unwrap().remove(0);
        let other = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch2]))
            .await
            .unwrap();
        s.submit_post(&a, other.id).await.unwrap();
        let other_review = s.reviews_of_post(other.id).await.unwrap().remove(0);

        assert!(matches!(
            s.create_review_link(&a, fx.author, review.id, 7, "Client", Duration::days(1))
                .await,
            Err(StoreError::NotFound("step"))
        ));
        assert!(matches!(
            s.create_review_link(&a, fx.author, review.id, 0, "  ", Duration::days(1))
                .await,
            Err(StoreError::Invalid(_))
        ));
        let secret = s
            .create_review_link(&a, fx.author, review.id, 0, "Client Co", Duration::days(1))
            .await
            .unwrap();
        assert!(secret.len() >= 40);
        // Only the hash is stored.
        assert_eq!(
            count(
                s,
                "review_links",
                "label",
                &format!("token_hash = '{}'", secret.replace('\'', ""))
            )
            .await,
            0,
            "{b}"
        );
        assert_eq!(
            count(
                s,
                "review_links",
                "label",
                &format!("token_hash = '{}'", feed_token_hash(&secret))
            )
            .await,
            1,
            "{b}"
        );
        let link = s.review_link(&secret).await.unwrap().unwrap();
        assert_eq!(link.review_id, review.id);
        assert_eq!(link.step, 0);
        assert_eq!(link.expires_at, t0() + Duration::days(1));
        assert!(s.review_link("not-a-secret").await.unwrap().is_none());

        // Not for another review, not for a person to misuse on step 2 later.
        let err = s
            .decide(
                &Actor::system(),
                other_review.id,
                Decider::Link {
                    secret: secret.clone(),
                },
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::LinkInvalid), "{b}: {err:?}");
        // A link for step 1 (Legal) cannot decide step 0.
        let legal = s
            .create_review_link(&a, fx.author, review.id, 1, "Legal", Duration::days(1))
            .await
            .unwrap();
        let err = s
            .decide(
                &Actor::system(),
                review.id,
                Decider::Link {
                    secret: legal.clone(),
                },
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::LinkForAnotherStep)),
            "{b}: {err:?}"
        );
        // A signed-in person cannot decide an external step.
        let err = s
            .decide(
                &actor(fx.appr1),
                review.id,
                approver(fx.appr1),
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Rule(DecisionError::NotYourStep { .. })),
            "{b}"
        );

        let p = s
            .decide(
                &Actor::system(),
                review.id,
                Decider::Link {
                    secret: secret.clone(),
                },
                Verdict::Approve,
                None,
            )
            .await
            .unwrap();
        assert!(matches!(p, Progress::Pending { step: 1, .. }), "{b}: {p:?}");
        assert!(
            s.review_link(&secret)
                .await
                .unwrap()
                .unwrap()
                .used_at
                .is_some()
        );
        let r = s.review(review.id).await.unwrap().unwrap();
        assert_eq!(
            r.decisions[0].reviewer,
            owlery_domain::publishing::approval::Reviewer::External {
                label: "Client Co".into()
            }
        );
        // Used once only.
        let err = s
            .decide(
                &Actor::system(),
                review.id,
                Decider::Link { secret },
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::LinkInvalid), "{b}");
        // Expired links do nothing.
        fx.clock.advance(Duration::days(1));
        let err = s
            .decide(
                &Actor::system(),
                review.id,
                Decider::Link { secret: legal },
                Verdict::Approve,
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::LinkInvalid), "{b}");
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn overdue_reviews_are_escalated_once_and_notify() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        s.set_workflow(
            &a,
            fx.ws,
            None,
            "Brand",
            &one_step(1, Some(4), Some(fx.outsider)),
        )
        .await
        .unwrap();
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        s.submit_post(&a, post.id).await.unwrap();
        let review = s.reviews_of_post(post.id).await.unwrap().remove(0);
        fx.clock.advance(Duration::hours(3));
        assert_eq!(s.escalate_due_reviews().await.unwrap(), 0, "{b}");
        // The backup may not decide before the deadline.
        let backup = Decider::User {
            user_id: fx.outsider,
            roles_here: vec![Role::Contributor],
            teams: vec![],
        };
        assert!(
            s.decide(
                &actor(fx.outsider),
                review.id,
                backup.clone(),
                Verdict::Approve,
                None
            )
            .await
            .is_err()
        );
        fx.clock.advance(Duration::hours(1));
        assert_eq!(s.escalate_due_reviews().await.unwrap(), 1, "{b}");
        assert_eq!(
            s.escalate_due_reviews().await.unwrap(),
            0,
            "{b}: only once per step"
        );
        let author_notes = s.notifications(fx.author, 10).await.unwrap();
        assert_eq!(author_notes.len(), 1, "{b}");
        assert_eq!(author_notes[0].kind, "review_escalated");
        assert_eq!(author_notes[0].params["step"], "Marketing");
        let backup_notes = s.notifications(fx.outsider, 10).await.unwrap();
        assert_eq!(backup_notes.len(), 1);
        assert_eq!(backup_notes[0].kind, "review_backup");
        assert_eq!(
            backup_notes[0].link.as_deref(),
            Some(format!("/posts/{}", post.id).as_str())
        );
        assert_eq!(
            count(s, "jobs", "kind", "kind = 'notification.mail'").await,
            4,
            "{b}: two approvers asked at submit, then author and backup"
        );
        // Now the backup may decide.
        let p = s
            .decide(
                &actor(fx.outsider),
                review.id,
                backup,
                Verdict::Approve,
                None,
            )
            .await
            .unwrap();
        assert_eq!(p, Progress::Approved, "{b}");
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn notifications_and_calendar_feeds() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let n1 = s
            .notify(&owlery_store::notifications::NewNotification {
                user_id: fx.appr1,
                kind: "assigned".into(),
                params: serde_json::json!({ "title": "Autumn" }),
                link: Some("/posts/x".into()),
                email: false,
            })
            .await
            .unwrap();
        fx.clock.advance(Duration::seconds(1));
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        s.assign_post(
            &a,
            post.id,
            Some(fx.appr1),
            Some(owlery_store::notifications::NewNotification {
                user_id: fx.appr1,
                kind: "assigned".into(),
                params: serde_json::json!({ "title": post.title }),
                link: Some(format!("/posts/{}", post.id)),
                email: true,
            }),
        )
        .await
        .unwrap();
        assert_eq!(
            s.post(post.id).await.unwrap().unwrap().assignee_id,
            Some(fx.appr1)
        );
        assert!(matches!(
            s.assign_post(&a, owlery_domain::PostId::new(), None, None)
                .await,
            Err(StoreError::NotFound("post"))
        ));
        assert_eq!(
            count(s, "jobs", "kind", "kind = 'notification.mail'").await,
            1,
            "{b}: only the e-mailed one has a mail job"
        );
        let list = s.notifications(fx.appr1, 10).await.unwrap();
        assert_eq!(list.len(), 2, "{b}");
        assert_eq!(list[1].id, n1, "{b}: newest first");
        assert_eq!(list[1].params["title"], "Autumn");
        assert_eq!(s.notifications(fx.appr1, 1).await.unwrap().len(), 1);
        assert_eq!(s.unread_notifications(fx.appr1).await.unwrap(), 2);
        assert_eq!(s.unread_notifications(fx.appr2).await.unwrap(), 0);
        // Marking one read: only the owner can, only that one.
        assert!(!s.mark_notification_read(fx.appr2, n1).await.unwrap());
        assert!(s.mark_notification_read(fx.appr1, n1).await.unwrap());
        assert_eq!(s.unread_notifications(fx.appr1).await.unwrap(), 1);
        s.mark_notifications_read(fx.appr1).await.unwrap();
        assert_eq!(s.unread_notifications(fx.appr1).await.unwrap(), 0, "{b}");
        assert_eq!(
            s.notification(n1).await.unwrap().unwrap().read_at,
            Some(s.now())
        );

        // Calendar feeds: a secret, stored hashed; a new one revokes the old.
        assert!(!s.has_calendar_feed(fx.author).await.unwrap());
        let t1 = s.create_calendar_feed(&a, fx.author).await.unwrap();
        assert_eq!(
            s.calendar_feed_user(&t1).await.unwrap(),
            Some(fx.author),
            "{b}"
        );
        assert_eq!(
            count(
                s,
                "calendar_feeds",
                "user_id",
                &format!("token_hash = '{}'", t1.replace('\'', ""))
            )
            .await,
            0
        );
        let t2 = s.create_calendar_feed(&a, fx.author).await.unwrap();
        assert_ne!(t1, t2);
        assert_eq!(s.calendar_feed_user(&t1).await.unwrap(), None, "{b}");
        assert_eq!(s.calendar_feed_user(&t2).await.unwrap(), Some(fx.author));
        assert!(s.has_calendar_feed(fx.author).await.unwrap());
        s.revoke_calendar_feed(&a, fx.author).await.unwrap();
        assert_eq!(s.calendar_feed_user(&t2).await.unwrap(), None);
        assert!(!s.has_calendar_feed(fx.author).await.unwrap());
        assert_eq!(s.calendar_feed_user("").await.unwrap(), None);
        chain_ok(s).await;
    }
}

fn campaign_input(owner: UserId, mode: ReleaseMode, aon: bool) -> CampaignInput {
    CampaignInput {
        name: "  Autumn launch ".into(),
        owner_id: owner,
        release_at: Some(t0() + Duration::days(7)),
        release_mode: mode,
        all_or_nothing: aon,
        note: Some("   ".into()),
    }
}

#[tokio::test]
async fn campaigns_hold_or_release_their_members() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let c = s
            .create_campaign(
                &a,
                fx.ws,
                campaign_input(fx.author, ReleaseMode::Instant, true),
            )
            .await
            .unwrap();
        assert_eq!(c.name, "Autumn launch", "{b}");
        assert_eq!(c.note, None);
        assert_eq!(c.status, CampaignStatus::Planned);
        assert_eq!(c.release_mode, ReleaseMode::Instant);
        assert!(c.all_or_nothing);
        assert_eq!(s.campaign(c.id).await.unwrap().unwrap(), c);
        let mut bad = campaign_input(fx.author, ReleaseMode::Instant, true);
        bad.name = " ".into();
        assert!(matches!(
            s.create_campaign(&a, fx.ws, bad).await,
            Err(StoreError::Invalid(_))
        ));
        let other_c = s
            .create_campaign(
                &a,
                fx.other,
                campaign_input(fx.author, ReleaseMode::Instant, false),
            )
            .await
            .unwrap();
        let mut np = new_post(&fx, &[fx.ch1]);
        np.campaign_id = Some(other_c.id);
        assert!(
            matches!(
                s.create_post(&a, fx.author, np).await,
                Err(StoreError::NotFound("campaign"))
            ),
            "{b}: a campaign of another workspace"
        );
        assert_eq!(s.campaigns(fx.ws).await.unwrap(), vec![c.clone()], "{b}");

        // A post with no workflow, submitted (approved, scheduled at its own time).
        let mut np = new_post(&fx, &[fx.ch1, fx.ch2]);
        np.scheduled_at = Some(t0() + Duration::days(7));
        let p1 = s.create_post(&a, fx.author, np).await.unwrap();
        let v_x = p1.variant_id_for(fx.ch1);
        let v_sky = p1.variant_id_for(fx.ch2);
        // Instant campaigns take no offsets.
        assert!(matches!(
            s.add_to_campaign(&a, c.id, p1.id, &[(v_x, 30)]).await,
            Err(StoreError::Invalid(_))
        ));
        // A campaign of another workspace is refused.
        assert!(matches!(
            s.add_to_campaign(&a, other_c.id, p1.id, &[]).await,
            Err(StoreError::NotFound("post"))
        ));
        s.add_to_campaign(&a, c.id, p1.id, &[]).await.unwrap();
        assert_eq!(
            s.post(p1.id).await.unwrap().unwrap().campaign_id,
            Some(c.id)
        );
        assert!(matches!(
            s.add_to_campaign(&a, other_c.id, p1.id, &[]).await,
            Err(StoreError::Conflict { .. } | StoreError::NotFound(_))
        ));

        // In an all-or-nothing campaign, submitting schedules without a job of its own.
        s.submit_post(&a, p1.id).await.unwrap();
        assert_eq!(publish_jobs(s).await, 0, "{b}: the campaign releases it");
        let state = s.campaign_state(c.id).await.unwrap().unwrap();
        assert_eq!(state.members.len(), 2, "{b}");
        assert!(
            state
                .members
                .iter()
                .all(|m| m.status == VariantStatus::Scheduled)
        );
        let release_at = t0() + Duration::days(7);
        assert_eq!(
            state.decide(),
            Some(Release::Go(vec![(v_x, release_at), (v_sky, release_at)])),
            "{b}"
        );

        // A second post under a workflow, not yet approved: the whole campaign is held.
        s.set_workflow(&a, fx.ws, Some(fx.ch2), "Sky", &one_step(1, None, None))
            .await
            .unwrap();
        let mut np = new_post(&fx, &[fx.ch2]);
        np.campaign_id = Some(c.id);
        let p2 = s.create_post(&a, fx.author, np).await.unwrap();
        let v2 = p2.variants[0].id;
        s.submit_post(&a, p2.id).await.unwrap();
        let state = s.campaign_state(c.id).await.unwrap().unwrap();
        assert_eq!(state.members.len(), 3);
        let m2 = state.members.iter().find(|m| m.variant_id == v2).unwrap();
        assert_eq!(m2.approval, ApprovalNeed::Pending, "{b}");
        // The workflow added later also holds back p1's Bluesky variant (no review of its own).
        assert_eq!(
            state.decide(),
            Some(Release::HoldAll {
                blockers: vec![(v_sky, Blocker::NotApproved), (v2, Blocker::NotApproved)]
            }),
            "{b}"
        );
        s.set_campaign_status(
            &Actor::system(),
            c.id,
            CampaignStatus::Held,
            &[(v2, Blocker::NotApproved)],
        )
        .await
        .unwrap();
        let notes = s.notifications(fx.author, 10).await.unwrap();
        assert_eq!(notes[0].kind, "campaign_held", "{b}");
        assert_eq!(notes[0].params["blockers"][0]["blocker"], "not_approved");
        assert!(matches!(
            s.update_campaign(
                &a,
                c.id,
                campaign_input(fx.author, ReleaseMode::Staggered, false)
            )
            .await,
            Err(StoreError::Conflict { .. })
        ));

        // Staggered, not all or nothing: the ready ones go at their offsets.
        let c2 = s
            .create_campaign(
                &a,
                fx.ws,
                campaign_input(fx.appr1, ReleaseMode::Instant, false),
            )
            .await
            .unwrap();
        let c2 = s
            .update_campaign(
                &a,
                c2.id,
                campaign_input(fx.appr1, ReleaseMode::Staggered, false),
            )
            .await
            .unwrap();
        assert_eq!(c2.release_mode, ReleaseMode::Staggered, "{b}");
        assert_eq!(c2.owner_id, fx.appr1);
        s.remove_from_campaign(&a, c.id, p1.id).await.unwrap();
        assert_eq!(
            publish_jobs(s).await,
            2,
            "{b}: out of the all-or-nothing campaign, its scheduled variants get their jobs"
        );
        assert!(matches!(
            s.remove_from_campaign(&a, c.id, p1.id).await,
            Err(StoreError::NotFound("post"))
        ));
        assert!(matches!(
            s.add_to_campaign(&a, c2.id, p1.id, &[(v_x, -5)]).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.add_to_campaign(&a, c2.id, p1.id, &[(VariantId::new(), 5)])
                .await,
            Err(StoreError::NotFound("variant"))
        ));
        assert_eq!(
            s.post(p1.id).await.unwrap().unwrap().campaign_id,
            None,
            "{b}: a refused add leaves nothing behind"
        );
        s.add_to_campaign(&a, c2.id, p1.id, &[(v_x, 45)])
            .await
            .unwrap();
        let state = s.campaign_state(c2.id).await.unwrap().unwrap();
        let x = state.members.iter().find(|m| m.variant_id == v_x).unwrap();
        assert_eq!(x.offset_minutes, 45);
        assert_eq!(
            state.decide(),
            Some(Release::Go(vec![(v_x, release_at + Duration::minutes(45))])),
            "{b}: the unapproved Bluesky variant stays behind"
        );
        // Back to instant: offsets reset.
        s.update_campaign(
            &a,
            c2.id,
            campaign_input(fx.appr1, ReleaseMode::Instant, false),
        )
        .await
        .unwrap();
        let state = s.campaign_state(c2.id).await.unwrap().unwrap();
        assert!(state.members.iter().all(|m| m.offset_minutes == 0), "{b}");

        // The release job: due campaigns, then one transaction per release.
        assert!(s.campaigns_due(t0()).await.unwrap().is_empty(), "{b}");
        assert_eq!(
            s.campaigns_due(release_at).await.unwrap(),
            vec![other_c.id, c2.id],
            "{b}: planned ones only (c is held)"
        );
        let jobs = publish_jobs(s).await;
        let release = s.release_campaign(&Actor::system(), c2.id).await.unwrap();
        assert_eq!(release, Release::Go(vec![(v_x, release_at)]), "{b}");
        assert_eq!(publish_jobs(s).await, jobs + 1);
        let x = s.post(p1.id).await.unwrap().unwrap();
        assert_eq!(x.variant(v_x).unwrap().scheduled_at, Some(release_at));
        assert_eq!(x.variant(v_x).unwrap().status, VariantStatus::Scheduled);
        assert_eq!(
            s.campaign(c2.id).await.unwrap().unwrap().status,
            CampaignStatus::Released
        );
        assert!(matches!(
            s.release_campaign(&Actor::system(), c2.id).await,
            Err(StoreError::Conflict { .. })
        ));
        // All or nothing with an unapproved member: held, the owner (Bo) is told.
        let c3 = s
            .create_campaign(
                &a,
                fx.ws,
                campaign_input(fx.appr1, ReleaseMode::Instant, true),
            )
            .await
            .unwrap();
        s.remove_from_campaign(&a, c.id, p2.id).await.unwrap();
        s.add_to_campaign(&a, c3.id, p2.id, &[]).await.unwrap();
        let release = s.release_campaign(&Actor::system(), c3.id).await.unwrap();
        assert_eq!(
            release,
            Release::HoldAll {
                blockers: vec![(v2, Blocker::NotApproved)]
            },
            "{b}"
        );
        assert_eq!(
            s.campaign(c3.id).await.unwrap().unwrap().status,
            CampaignStatus::Held
        );
        let notes = s.notifications(fx.appr1, 10).await.unwrap();
        assert_eq!(notes[0].kind, "campaign_held", "{b}");
        assert_eq!(notes[0].link, Some(format!("/campaigns/{}", c3.id)));
        chain_ok(s).await;
    }
}

fn queue(json: serde_json::Value) -> Queue {
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn queues_give_the_next_free_slot_through_the_gate() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        // 2026-11-26 is a Thursday; 09:00 UTC = 11:00 in Sofia.
        let q = queue(serde_json::json!({
            "time_zone": "Europe/Sofia",
            "slots": [{ "weekday": "thu", "time": "10:00" }, { "weekday": "thu", "time": "12:00" },
                      { "weekday": "fri", "time": "09:30" }]
        }));
        assert_eq!(s.channel_queue(fx.ch1).await.unwrap(), None);
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        assert!(matches!(
            s.add_to_queue(&a, post.variants[0].id).await,
            Err(ScheduleError::Store(StoreError::Conflict {
                field: "queue",
                ..
            }))
        ));
        s.set_channel_queue(&a, fx.ch1, &q).await.unwrap();
        assert_eq!(
            s.channel_queue(fx.ch1).await.unwrap(),
            Some(q.clone()),
            "{b}"
        );
        assert!(matches!(
            s.set_channel_queue(&a, ChannelId::new(), &q).await,
            Err(StoreError::NotFound("channel"))
        ));

        let at = s.add_to_queue(&a, post.variants[0].id).await.unwrap();
        assert_eq!(
            at,
            Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap(),
            "{b}"
        );
        let v = &s.post(post.id).await.unwrap().unwrap().variants[0];
        assert_eq!(v.status, VariantStatus::Scheduled);
        assert_eq!(v.scheduled_at, Some(at));
        assert_eq!(v.schedule_tz, "Europe/Sofia");
        assert_eq!(publish_jobs(s).await, 1);

        let second = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        let at2 = s.add_to_queue(&a, second.variants[0].id).await.unwrap();
        assert_eq!(
            at2,
            Utc.with_ymd_and_hms(2026, 11, 27, 7, 30, 0).unwrap(),
            "{b}"
        );
        // Re-queuing a variant does not count its own slot as taken.
        assert_eq!(
            s.add_to_queue(&a, second.variants[0].id).await.unwrap(),
            at2
        );

        // The gate applies: invalid or unapproved variants are not queued.
        let mut np = new_post(&fx, &[fx.ch1]);
        np.variants[0].validation = invalid();
        let bad = s.create_post(&a, fx.author, np).await.unwrap();
        assert!(matches!(
            s.add_to_queue(&a, bad.variants[0].id).await,
            Err(ScheduleError::Gate(GateError::Invalid))
        ));
        s.set_workflow(&a, fx.ws, None, "Brand", &one_step(1, None, None))
            .await
            .unwrap();
        let third = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        assert!(matches!(
            s.add_to_queue(&a, third.variants[0].id).await,
            Err(ScheduleError::Gate(GateError::NeedsApproval))
        ));
        assert_eq!(
            s.post(third.id).await.unwrap().unwrap().variants[0].scheduled_at,
            None,
            "{b}"
        );
        assert_eq!(publish_jobs(s).await, 3);
        chain_ok(s).await;
    }
}

#[tokio::test]
async fn comments_mention_people_who_are_notified() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1]))
            .await
            .unwrap();
        let c1 = s
            .add_comment(
                &a,
                fx.author,
                post.id,
                "@bo please check, and @\"Cy Second\" too. Mail ana@example.test; @nobody; @ana",
            )
            .await
            .unwrap();
        assert_eq!(c1.mentions, vec![fx.appr1, fx.appr2, fx.author], "{b}");
        assert_eq!(c1.author_name, "Ana Author");
        for u in [fx.appr1, fx.appr2] {
            let n = s.notifications(u, 10).await.unwrap();
            assert_eq!(n.len(), 1, "{b}");
            assert_eq!(n[0].kind, "mention");
            assert_eq!(n[0].params["author"], "Ana Author");
            assert_eq!(n[0].params["title"], "Autumn menu");
        }
        assert!(
            s.notifications(fx.author, 10).await.unwrap().is_empty(),
            "{b}: not notified of one's own mention"
        );
        assert_eq!(
            count(s, "jobs", "kind", "kind = 'notification.mail'").await,
            2
        );
        fx.clock.advance(Duration::seconds(1));
        let c2 = s
            .add_comment(
                &actor(fx.appr1),
                fx.appr1,
                post.id,
                "Done @dee@example.test",
            )
            .await
            .unwrap();
        assert_eq!(c2.mentions, vec![fx.outsider]);
        assert!(matches!(
            s.add_comment(&a, fx.author, post.id, "   ").await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.add_comment(&a, fx.author, owlery_domain::PostId::new(), "hi @bo")
                .await,
            Err(StoreError::NotFound("post"))
        ));
        assert_eq!(s.comments(post.id).await.unwrap(), vec![c1, c2], "{b}");
        chain_ok(s).await;
    }
}

trait VariantOf {
    fn variant_id_for(&self, ch: ChannelId) -> VariantId;
}

impl VariantOf for owlery_store::posts::Post {
    fn variant_id_for(&self, ch: ChannelId) -> VariantId {
        self.variants
            .iter()
            .find(|v| v.channel_id == ch)
            .unwrap()
            .id
    }
}

#[tokio::test]
async fn concurrent_approvals_both_count() {
    for fx in fixtures().await {
        let s = fx.s();
        let b = s.backend_name();
        let a = actor(fx.author);
        s.set_workflow(&a, fx.ws, None, "Two", &one_step(2, None, None))
            .await
            .unwrap();
        let post = s
            .create_post(&a, fx.author, new_post(&fx, &[fx.ch1, fx.ch2]))
            .await
            .unwrap();
        s.submit_post(&a, post.id).await.unwrap();
        let review = s.reviews_of_post(post.id).await.unwrap().remove(0);
        let (a1, a2) = (actor(fx.appr1), actor(fx.appr2));
        let (r1, r2) = tokio::join!(
            s.decide(&a1, review.id, approver(fx.appr1), Verdict::Approve, None),
            s.decide(&a2, review.id, approver(fx.appr2), Verdict::Approve, None),
        );
        let mut outcomes = vec![r1.unwrap(), r2.unwrap()];
        outcomes.sort_by_key(|p| p.code());
        assert_eq!(outcomes[0], Progress::Approved, "{b}: {outcomes:?}");
        assert_eq!(outcomes[1].code(), "pending");
        let x = s.post(post.id).await.unwrap().unwrap();
        assert!(
            x.variants
                .iter()
                .all(|v| v.status == VariantStatus::Approved),
            "{b}: the second approval saw the first"
        );
        assert!(s.pending_reviews().await.unwrap().is_empty(), "{b}");
    }
}

#[tokio::test]
async fn bulk_rows_are_what_the_normal_path_writes() {
    use owlery_store::{audit::AuditFilter, bulk::BulkPosts, posts::PUBLISH_JOB};
    for fx in fixtures().await {
        let s = fx.s();
        let who = actor(fx.author);
        let at = t0() + Duration::hours(2);
        let mut np = new_post(&fx, &[fx.ch1, fx.ch2]);
        np.scheduled_at = Some(at);
        // The normal path: create, then submit (no workflow covers the channels: scheduled).
        let normal = s.create_post(&who, fx.author, np.clone()).await.unwrap();
        s.submit_post(&who, normal.id).await.unwrap();
        let normal = s.post(normal.id).await.unwrap().unwrap();
        let bulk_ids = s
            .bulk_schedule(
                &who,
                &BulkPosts {
                    workspace_id: fx.ws,
                    author_id: fx.author,
                    title: np.title.clone(),
                    content: np.content.clone(),
                    channels: vec![fx.ch1, fx.ch2],
                    placement: "post".into(),
                    validation: valid(),
                    posts: 3,
                    scheduled_at: at,
                    schedule_tz: np.schedule_tz.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(bulk_ids.len(), 6);
        let mut bulk_posts = Vec::new();
        for v in bulk_ids.chunks(2) {
            let p = s.post_of_variant(v[0]).await.unwrap().unwrap();
            assert_eq!(p.variants.iter().map(|x| x.id).collect::<Vec<_>>(), v);
            bulk_posts.push(p);
        }

        let post_facts = |p: &owlery_store::posts::Post| {
            (
                p.workspace_id,
                p.author_id,
                p.assignee_id,
                p.campaign_id,
                p.title.clone(),
                p.content.clone(),
                p.version,
            )
        };
        let variant_facts = |p: &owlery_store::posts::Post| {
            let mut v: Vec<_> = p
                .variants
                .iter()
                .map(|v| {
                    (
                        (
                            v.channel_id,
                            v.placement.clone(),
                            v.overrides.clone(),
                            v.status,
                        ),
                        (
                            v.scheduled_at,
                            v.schedule_tz.clone(),
                            v.review_id,
                            v.campaign_offset_minutes,
                        ),
                        (v.findings.clone(), v.has_errors, v.spec_version.clone()),
                        (
                            v.remote_id.clone(),
                            v.remote_url.clone(),
                            v.error.clone(),
                            v.published_at,
                        ),
                    )
                })
                .collect();
            v.sort_by_key(|x| x.0.0.0);
            v
        };
        for b in &bulk_posts {
            assert_eq!(post_facts(b), post_facts(&normal), "{}", s.backend_name());
            assert_eq!(variant_facts(b), variant_facts(&normal));
            assert_eq!(variant_facts(b)[0].0.3, VariantStatus::Scheduled);
            let (bv, nv) = (
                s.post_versions(b.id).await.unwrap(),
                s.post_versions(normal.id).await.unwrap(),
            );
            assert_eq!(bv.len(), 1);
            assert_eq!(
                (bv[0].version, &bv[0].author_id),
                (nv[0].version, &nv[0].author_id)
            );
            // The snapshot names the same channels, placements and overrides.
            assert_eq!(bv[0].snapshot, nv[0].snapshot);

            // The same audit events, with the same shapes.
            let events = |id: String| async move {
                let mut e = s
                    .audit_events(
                        &AuditFilter {
                            target_id: Some(id),
                            ..AuditFilter::default()
                        },
                        10,
                    )
                    .await
                    .unwrap();
                e.reverse();
                e.into_iter()
                    .map(|r| {
                        let after: serde_json::Value = r
                            .entry
                            .after
                            .as_deref()
                            .map(|a| serde_json::from_str(a).unwrap())
                            .unwrap_or_default();
                        // Variant ids differ; what each became must not.
                        let shape = match after {
                            serde_json::Value::Array(items) => serde_json::Value::Array(
                                items
                                    .into_iter()
                                    .map(|mut i| {
                                        i["variant_id"] = serde_json::Value::Null;
                                        i
                                    })
                                    .collect(),
                            ),
                            other => other,
                        };
                        (
                            r.entry.action,
                            r.entry.actor_label,
                            r.entry.target_type,
                            shape,
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                events(b.id.to_string()).await,
                events(normal.id.to_string()).await
            );
        }

        // One publish job per variant, due at its time, with the same payload and attempts.
        fx.clock.advance(Duration::hours(3));
        let mut jobs = Vec::new();
        while let Some(j) = s
            .claim_job("t", &[PUBLISH_JOB], Duration::minutes(5))
            .await
            .unwrap()
        {
            jobs.push(j);
        }
        assert_eq!(jobs.len(), 8, "{}", s.backend_name());
        let mut seen: Vec<VariantId> = jobs
            .iter()
            .map(|j| {
                let v: VariantId = serde_json::from_value(j.payload["variant_id"].clone()).unwrap();
                assert_eq!(
                    j.payload,
                    serde_json::json!({ "variant_id": v, "scheduled_at": at })
                );
                assert_eq!((j.kind.as_str(), j.run_at), (PUBLISH_JOB, at));
                assert_eq!((j.attempts, j.max_attempts), (1, 8));
                v
            })
            .collect();
        let mut all: Vec<VariantId> = bulk_ids.clone();
        all.extend(normal.variants.iter().map(|v| v.id));
        seen.sort_by_key(|v| v.0);
        all.sort_by_key(|v| v.0);
        assert_eq!(seen, all);
        chain_ok(s).await;

        // What the normal path refuses, bulk refuses too.
        let mut refused = BulkPosts {
            workspace_id: fx.ws,
            author_id: fx.author,
            title: "x".into(),
            content: text("x"),
            channels: vec![fx.foreign],
            placement: "post".into(),
            validation: valid(),
            posts: 1,
            scheduled_at: at,
            schedule_tz: "UTC".into(),
        };
        assert!(matches!(
            s.bulk_schedule(&who, &refused).await,
            Err(StoreError::Conflict { .. })
        ));
        refused.channels = vec![fx.ch1];
        refused.validation = invalid();
        assert!(s.bulk_schedule(&who, &refused).await.is_err());
        s.set_workflow(
            &Actor::cli(),
            fx.ws,
            Some(fx.ch2),
            "Legal",
            &one_step(1, None, None),
        )
        .await
        .unwrap();
        refused.channels = vec![fx.ch2];
        refused.validation = valid();
        assert!(matches!(
            s.bulk_schedule(&who, &refused).await,
            Err(StoreError::Conflict { .. })
        ));
    }
}
