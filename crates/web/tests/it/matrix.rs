//! THE permission matrix of the API: every route, the permissions it needs, and for each of the
//! eight roles (granted for the whole organisation) whether it is allowed — exactly as
//! [`Role::permissions`] says. Then the same routes through scoped tokens, and workspace-scoped
//! grants.
//!
//! The table must list every operation: [`the_table_covers_every_operation`] compares it with the
//! OpenAPI document, and the document with what the router serves, so a new endpoint cannot be
//! added without deciding here who may call it.

use std::collections::BTreeSet;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use chrono::Duration;
use owlery_domain::{
    CampaignId, ChannelId, Grant, GrantId, MediaId, Permission,
    Permission::*,
    PostId, Role, Scope, TeamId, TokenId, UserId, VariantId, WorkflowId, WorkspaceId,
    audit::Actor,
    publishing::{
        approval::{Approvers, Step, Workflow},
        schedule::{Queue, QueueSlot},
    },
};
use owlery_store::campaigns::{CampaignInput, ReleaseMode};
use serde_json::{Value, json};

use crate::support::{API, TestApp, TestUser};

/// What one caller's requests act on, made fresh for each caller so that every allowed request
/// succeeds (no request depends on another caller's).
struct Fx {
    /// Unique per caller: goes into names, e-mails and handles.
    n: String,
    target: TestUser,
    /// `target`'s Publisher grant.
    grant: GrantId,
    team: TeamId,
    /// A spare token of the caller's own.
    own_token: TokenId,
    /// A token of `target`'s.
    other_token: TokenId,
    workspace: WorkspaceId,
    /// A workspace of this caller's own, without approval workflow, with channel `channel` and a
    /// draft `post` (by `target`) whose variant is `variant`.
    post_ws: WorkspaceId,
    channel: ChannelId,
    post: PostId,
    variant: VariantId,
    /// A workspace whose workflow has two steps: the caller approves, then someone outside
    /// through a link. `reviewed` (by `target`) is waiting at the first step in `review`.
    /// `workflow` is a spare channel's own workflow, with nothing waiting in it.
    review_ws: WorkspaceId,
    workflow: WorkflowId,
    reviewed: PostId,
    review: uuid::Uuid,
    /// A library item in `workspace`, with one stored rendition (x post).
    media: MediaId,
    /// A staggered campaign in `post_ws`; `campaign_member` (by `target`) is in it, `joiner` is
    /// not.
    campaign: CampaignId,
    campaign_member: PostId,
    joiner: PostId,
    /// A channel of `post_ws` with a queue (slots every day), and a draft variant on it.
    queue_channel: ChannelId,
    queue_variant: VariantId,
    /// A Contributor who may be assigned `post` (not `target`, whom another row disables).
    assignee: UserId,
    /// An active pause of a spare channel in `post_ws`, to lift.
    pause: uuid::Uuid,
    /// A variant on `channel` that failed (to send again) and one left unconfirmed (to resolve).
    failed: VariantId,
    unconfirmed: VariantId,
    /// An inbox conversation on `channel` (one DM).
    conversation: owlery_domain::ConversationId,
    /// Answers by `target` in `conversation`: one that failed (to send again), one waiting for
    /// approval; and a saved reply (changed, then deleted).
    failed_reply: owlery_domain::MessageId,
    pending_reply: owlery_domain::MessageId,
    saved_reply: uuid::Uuid,
    /// The contact's message in `conversation` (to like, and to delete: a practice channel).
    inbound_message: owlery_domain::MessageId,
    /// An inbox routing rule and an SLA policy of the caller's own.
    rule: owlery_domain::RuleId,
    sla_policy: owlery_domain::SlaPolicyId,
    /// A saved inbox view of the caller's own.
    inbox_view: uuid::Uuid,
}

/// A variant of a new draft on `channel`, scheduled and claimed by the publish job (`publishing`):
/// ready to be recorded failed or unconfirmed.
async fn dispatched(
    app: &TestApp,
    author: UserId,
    workspace: WorkspaceId,
    channel: ChannelId,
) -> VariantId {
    let post = draft(app, author, workspace, channel).await;
    let v = app.store().post(post).await.unwrap().unwrap().variants[0].id;
    let at = app.store().now() + Duration::days(1);
    app.store()
        .schedule_variant(&Actor::cli(), v, at, "UTC")
        .await
        .unwrap();
    let claim = app.store().claim_for_publishing(v, at).await.unwrap();
    assert!(
        matches!(claim, owlery_store::publishing::Claim::Go(_)),
        "{claim:?}"
    );
    v
}

/// A draft by `author` in `workspace` for `channel`.
async fn draft(
    app: &TestApp,
    author: UserId,
    workspace: WorkspaceId,
    channel: ChannelId,
) -> PostId {
    app.store()
        .create_post(
            &Actor::cli(),
            author,
            owlery_store::posts::NewPost {
                workspace_id: workspace,
                title: "Fixture".into(),
                content: owlery_domain::post::Content {
                    text: "Hello from the matrix".into(),
                    ..Default::default()
                },
                variants: vec![owlery_store::posts::VariantInput {
                    channel_id: channel,
                    placement: "post".into(),
                    overrides: Default::default(),
                    validation: owlery_store::posts::Validation {
                        findings: json!([]),
                        has_errors: false,
                        spec_version: "test".into(),
                    },
                }],
                campaign_id: None,
                scheduled_at: None,
                schedule_tz: "UTC".into(),
            },
        )
        .await
        .unwrap()
        .id
}

async fn fixtures(app: &TestApp, caller: &TestUser, n: &str, workspace: WorkspaceId) -> Fx {
    let target = app
        .user(&format!("target-{n}@example.test"), Role::Publisher)
        .await;
    let grant = app.store().grants_of(target.id).await.unwrap()[0].id;
    let team = app.team(&format!("Team {n}")).await.id;
    let media = crate::media::fixture(app, caller, workspace).await;
    let expires = Some(app.store().now() + Duration::days(1));
    let token = |user| async move {
        app.store()
            .create_token(&Actor::cli(), user, "spare", &[], expires)
            .await
            .unwrap()
            .1
            .id
    };
    let post_ws = app.workspace(&format!("Posts {n}")).await;
    let channel = app.channel(&post_ws, &format!("posts_{n}")).await.id;
    let post = draft(app, target.id, post_ws.id, channel).await;
    let variant = app.store().post(post).await.unwrap().unwrap().variants[0].id;
    let review_ws = app.workspace(&format!("Reviewed {n}")).await;
    let review_channel = app.channel(&review_ws, &format!("reviewed_{n}")).await.id;
    let steps = vec![
        Step {
            name: "Caller".into(),
            approvers: Approvers::People {
                user_ids: vec![caller.id],
            },
            required: 1,
            backup: None,
            deadline_hours: None,
        },
        Step {
            name: "Outside".into(),
            approvers: Approvers::External,
            required: 1,
            backup: None,
            deadline_hours: None,
        },
    ];
    app.store()
        .set_workflow(
            &Actor::cli(),
            review_ws.id,
            None,
            "Two steps",
            &Workflow {
                steps: steps.clone(),
            },
        )
        .await
        .unwrap();
    // A workflow with no post waiting in it, which may be deleted.
    let spare = app.channel(&review_ws, &format!("spare_{n}")).await.id;
    let workflow = app
        .store()
        .set_workflow(
            &Actor::cli(),
            review_ws.id,
            Some(spare),
            "Spare",
            &Workflow { steps },
        )
        .await
        .unwrap()
        .id;
    let reviewed = draft(app, target.id, review_ws.id, review_channel).await;
    app.store()
        .submit_post(&Actor::cli(), reviewed)
        .await
        .unwrap();
    let review = app.store().reviews_of_post(reviewed).await.unwrap()[0].id;
    let campaign = app
        .store()
        .create_campaign(
            &Actor::cli(),
            post_ws.id,
            CampaignInput {
                name: format!("Campaign {n}"),
                owner_id: caller.id,
                release_at: None,
                release_mode: ReleaseMode::Staggered,
                all_or_nothing: false,
                note: None,
            },
        )
        .await
        .unwrap()
        .id;
    let campaign_member = draft(app, target.id, post_ws.id, channel).await;
    app.store()
        .add_to_campaign(&Actor::cli(), campaign, campaign_member, &[])
        .await
        .unwrap();
    let joiner = draft(app, target.id, post_ws.id, channel).await;
    let queue_channel = app.channel(&post_ws, &format!("queued_{n}")).await.id;
    let slots: Vec<QueueSlot> = (0..7)
        .map(|d| QueueSlot {
            weekday: chrono::Weekday::try_from(d).unwrap(),
            time: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        })
        .collect();
    app.store()
        .set_channel_queue(
            &Actor::cli(),
            queue_channel,
            &Queue {
                time_zone: chrono_tz::UTC,
                slots,
            },
        )
        .await
        .unwrap();
    let queued_post = draft(app, target.id, post_ws.id, queue_channel).await;
    let queue_variant = app
        .store()
        .post(queued_post)
        .await
        .unwrap()
        .unwrap()
        .variants[0]
        .id;
    let paused_channel = app.channel(&post_ws, &format!("paused_{n}")).await.id;
    let pause = app
        .store()
        .create_pause(
            &Actor::cli(),
            app.org().id,
            owlery_domain::publishing::engine::PauseScope::Channel,
            paused_channel.0,
            "Fixture pause",
        )
        .await
        .unwrap()
        .id;
    let failed = dispatched(app, target.id, post_ws.id, channel).await;
    app.store()
        .record_failed_for_owners(failed, "Fixture failure")
        .await
        .unwrap();
    let unconfirmed = dispatched(app, target.id, post_ws.id, channel).await;
    app.store()
        .record_unconfirmed(unconfirmed, "Fixture: no answer")
        .await
        .unwrap();
    let conversation = crate::inbox::conversation_on(app, channel, &format!("matrix-{n}")).await;
    let (failed_reply, pending_reply, saved_reply) =
        crate::inbox_replies::matrix_fixtures(app, target.id, conversation, n).await;
    let inbound_message = app
        .store()
        .conversation(
            app.org().id,
            &owlery_store::inbox::InboxScope::All,
            conversation,
        )
        .await
        .unwrap()
        .messages
        .iter()
        .find(|m| m.direction == owlery_domain::inbox::Direction::Inbound)
        .unwrap()
        .id;
    let rule = app
        .store()
        .create_inbox_rule(
            &Actor::cli(),
            app.org().id,
            owlery_domain::inbox::rules::RuleSpec {
                name: format!("Rule {n}"),
                enabled: false,
                match_mode: Default::default(),
                conditions: vec![],
                actions: vec![owlery_domain::inbox::rules::Action::Tag { tag: "m".into() }],
                stop: false,
                workspaces: vec![],
            },
        )
        .await
        .unwrap()
        .id;
    let sla_policy = app
        .store()
        .create_sla_policy(
            &Actor::cli(),
            app.org().id,
            owlery_store::inbox_rules::SlaPolicySpec {
                name: format!("Policy {n}"),
                workspace_id: Some(post_ws.id),
                team_id: None,
                priority: None,
                first_response_minutes: 60,
                next_response_minutes: 60,
                warn_before_minutes: 10,
                business_hours: false,
                escalate_notify_lead: true,
                escalate_reassign: false,
                escalate_raise_priority: false,
            },
        )
        .await
        .unwrap()
        .id;
    let inbox_view = app
        .store()
        .create_view(
            &Actor::cli(),
            app.org().id,
            caller.id,
            &owlery_store::inbox_work::ViewInput {
                name: format!("Matrix {n}"),
                query: "status=open".into(),
                visibility: owlery_domain::inbox::live::ViewVisibility::Private,
                team_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    Fx {
        inbound_message,
        failed_reply,
        pending_reply,
        saved_reply,
        rule,
        sla_policy,
        conversation,
        inbox_view,
        pause,
        failed,
        unconfirmed,
        n: n.to_owned(),
        grant,
        team,
        own_token: token(caller.id).await,
        other_token: token(target.id).await,
        target,
        workspace,
        post_ws: post_ws.id,
        channel,
        post,
        variant,
        review_ws: review_ws.id,
        workflow,
        reviewed,
        review,
        media,
        campaign,
        campaign_member,
        joiner,
        queue_channel,
        queue_variant,
        assignee: app
            .user(&format!("assignee-{n}@example.test"), Role::Contributor)
            .await
            .id,
    }
}

struct Row {
    method: Method,
    /// The path as the OpenAPI document writes it.
    template: &'static str,
    /// Every permission the call needs (at organisation scope for these callers).
    needs: &'static [Permission],
    /// And, when not empty, at least one of these.
    any: &'static [Permission],
    /// The status when allowed.
    ok: StatusCode,
    path: fn(&Fx) -> String,
    body: Option<fn(&Fx) -> Value>,
    /// Send `body` as a multipart upload (its string fields, plus a small JPEG as `file`).
    multipart: bool,
    /// A `text/csv` body instead of JSON.
    csv: Option<fn(&Fx) -> String>,
}

fn row(
    method: Method,
    template: &'static str,
    needs: &'static [Permission],
    ok: u16,
    path: fn(&Fx) -> String,
    body: Option<fn(&Fx) -> Value>,
) -> Row {
    Row {
        method,
        template,
        needs,
        any: &[],
        ok: StatusCode::from_u16(ok).unwrap(),
        path,
        body,
        multipart: false,
        csv: None,
    }
}

/// A row allowed to whoever holds any one of `any`.
fn row_any(
    method: Method,
    template: &'static str,
    any: &'static [Permission],
    ok: u16,
    path: fn(&Fx) -> String,
    body: Option<fn(&Fx) -> Value>,
) -> Row {
    Row {
        any,
        ..row(method, template, &[], ok, path, body)
    }
}

impl Row {
    fn allows(&self, has: impl Fn(Permission) -> bool) -> bool {
        self.needs.iter().all(|p| has(*p))
            && (self.any.is_empty() || self.any.iter().any(|p| has(*p)))
    }
}

/// Every API operation and who may call it.
fn table() -> Vec<Row> {
    use Method as M;
    vec![
        row(M::GET, "/me", &[], 200, |_| "/me".into(), None),
        row(M::GET, "/roles", &[OrgRead], 200, |_| "/roles".into(), None),
        row(
            M::GET,
            "/network-specs",
            &[PostsDraft],
            200,
            |_| "/network-specs".into(),
            None,
        ),
        row(
            M::POST,
            "/validate",
            &[PostsDraft],
            200,
            |_| "/validate".into(),
            Some(|_| json!({"network": "x", "placement": "post", "texts": {"text": "hello"}})),
        ),
        row(
            M::GET,
            "/users",
            &[UsersRead],
            200,
            |_| "/users".into(),
            None,
        ),
        row(
            M::POST,
            "/users",
            // Creating a person grants their first role: both are needed.
            &[UsersManage, RolesGrant],
            201,
            |_| "/users".into(),
            Some(
                |f| json!({"email": format!("new-{}@example.test", f.n), "name": "New", "role": "publisher"}),
            ),
        ),
        row(
            M::GET,
            "/users/{id}",
            &[UsersRead],
            200,
            |f| format!("/users/{}", f.target.id),
            None,
        ),
        row(
            M::PATCH,
            "/users/{id}",
            &[UsersManage],
            200,
            |f| format!("/users/{}", f.target.id),
            Some(|_| json!({"status": "disabled", "name": "Renamed"})),
        ),
        row(
            M::GET,
            "/users/{id}/grants",
            &[UsersRead],
            200,
            |f| format!("/users/{}/grants", f.target.id),
            None,
        ),
        row(
            M::POST,
            "/users/{id}/grants",
            &[RolesGrant],
            201,
            |f| format!("/users/{}/grants", f.target.id),
            Some(|_| json!({"role": "approver", "scope": {"kind": "organisation"}})),
        ),
        row(
            M::DELETE,
            "/grants/{id}",
            &[RolesGrant],
            204,
            |f| format!("/grants/{}", f.grant),
            None,
        ),
        row(M::GET, "/teams", &[OrgRead], 200, |_| "/teams".into(), None),
        row(
            M::POST,
            "/teams",
            &[TeamsManage],
            201,
            |_| "/teams".into(),
            Some(|f| json!({"name": format!("New team {}", f.n)})),
        ),
        row(
            M::PUT,
            "/teams/{id}/members/{user_id}",
            &[TeamsManage],
            204,
            |f| format!("/teams/{}/members/{}", f.team, f.target.id),
            None,
        ),
        row(
            M::DELETE,
            "/teams/{id}/members/{user_id}",
            &[TeamsManage],
            204,
            |f| format!("/teams/{}/members/{}", f.team, f.target.id),
            None,
        ),
        row(
            M::GET,
            "/workspaces",
            &[OrgRead],
            200,
            |_| "/workspaces".into(),
            None,
        ),
        row(
            M::POST,
            "/workspaces",
            &[WorkspacesManage],
            201,
            |_| "/workspaces".into(),
            Some(|f| json!({"name": format!("Workspace {}", f.n)})),
        ),
        row(
            M::GET,
            "/channels",
            &[ChannelsRead],
            200,
            |_| "/channels".into(),
            None,
        ),
        row(
            M::POST,
            "/channels",
            &[ChannelsManage],
            201,
            |_| "/channels".into(),
            Some(
                |f| json!({"workspace_id": f.workspace, "network": "sandbox", "name": "Ch", "handle": format!("ch_{}", f.n)}),
            ),
        ),
        // Allowed callers reach the check that a sandbox channel has no server of its own.
        row(
            M::POST,
            "/channels/{id}/server-limits",
            &[ChannelsManage],
            422,
            |f| format!("/channels/{}/server-limits", f.channel),
            None,
        ),
        row(M::GET, "/tokens", &[], 200, |_| "/tokens".into(), None),
        row(
            M::POST,
            "/tokens",
            &[],
            201,
            |_| "/tokens".into(),
            Some(|_| json!({"name": "New token"})),
        ),
        // One's own token: no permission needed. Someone else's: users:manage.
        row(
            M::DELETE,
            "/tokens/{id}",
            &[],
            204,
            |f| format!("/tokens/{}", f.own_token),
            None,
        ),
        row(
            M::DELETE,
            "/tokens/{id}",
            &[UsersManage],
            204,
            |f| format!("/tokens/{}", f.other_token),
            None,
        ),
        Row {
            multipart: true,
            ..row(
                M::POST,
                "/media",
                &[PostsDraft],
                201,
                |_| "/media".into(),
                Some(|f| json!({"workspace_id": f.workspace, "alt": "An owl"})),
            )
        },
        row(
            M::GET,
            "/media",
            &[PostsDraft],
            200,
            |_| "/media".into(),
            None,
        ),
        row(
            M::GET,
            "/media/{id}",
            &[PostsDraft],
            200,
            |f| format!("/media/{}", f.media),
            None,
        ),
        row(
            M::PATCH,
            "/media/{id}",
            &[PostsDraft],
            200,
            |f| format!("/media/{}", f.media),
            Some(|_| json!({"alt": "A better description"})),
        ),
        row(
            M::GET,
            "/media/{id}/file",
            &[PostsDraft],
            200,
            |f| format!("/media/{}/file", f.media),
            None,
        ),
        row(
            M::GET,
            "/media/{id}/renditions/{network}/{placement}/file",
            &[PostsDraft],
            200,
            |f| format!("/media/{}/renditions/x/post/file", f.media),
            None,
        ),
        row(
            M::GET,
            "/media/{id}/renditions",
            &[PostsDraft],
            200,
            |f| format!("/media/{}/renditions?network=bluesky", f.media),
            None,
        ),
        row(
            M::DELETE,
            "/media/{id}",
            &[PostsDraft],
            204,
            |f| format!("/media/{}", f.media),
            None,
        ),
        row(
            M::GET,
            "/audit-events",
            &[AuditRead],
            200,
            |_| "/audit-events".into(),
            None,
        ),
        row(
            M::POST,
            "/posts",
            &[PostsDraft],
            201,
            |_| "/posts".into(),
            Some(
                |f| json!({"workspace_id": f.post_ws, "text": "New", "channel_ids": [f.channel], "draft": true}),
            ),
        ),
        row(
            M::GET,
            "/posts",
            &[PostsDraft],
            200,
            |_| "/posts".into(),
            None,
        ),
        row_any(
            M::GET,
            "/posts/{id}",
            &[PostsDraft, PostsApprove],
            200,
            |f| format!("/posts/{}", f.post),
            None,
        ),
        row(
            M::PUT,
            "/posts/{id}",
            &[PostsDraft],
            200,
            |f| format!("/posts/{}", f.post),
            Some(|f| json!({"version": 1, "text": "Edited", "channel_ids": [f.channel]})),
        ),
        row(
            M::GET,
            "/posts/{id}/versions",
            &[PostsDraft],
            200,
            |f| format!("/posts/{}/versions", f.post),
            None,
        ),
        // No workflow covers the channel: submitting schedules on the caller's say-so.
        row(
            M::POST,
            "/posts/{id}/submit",
            &[PostsDraft, PostsPublish],
            200,
            |f| format!("/posts/{}/submit", f.post),
            None,
        ),
        row(
            M::POST,
            "/variants/{id}/schedule",
            &[PostsDraft, PostsPublish],
            200,
            |f| format!("/variants/{}/schedule", f.variant),
            Some(
                |_| json!({"scheduled_at": (chrono::Utc::now() + Duration::days(2)).to_rfc3339()}),
            ),
        ),
        row(
            M::POST,
            "/variants/{id}/unschedule",
            &[PostsDraft, PostsPublish],
            200,
            |f| format!("/variants/{}/unschedule", f.variant),
            Some(|_| json!({})),
        ),
        row(
            M::GET,
            "/workflows",
            &[PostsDraft],
            200,
            |f| format!("/workflows?workspace_id={}", f.review_ws),
            None,
        ),
        row_any(
            M::GET,
            "/posts/{id}/reviews",
            &[PostsDraft, PostsApprove],
            200,
            |f| format!("/posts/{}/reviews", f.reviewed),
            None,
        ),
        row(
            M::POST,
            "/reviews/{id}/decisions",
            &[PostsApprove],
            200,
            |f| format!("/reviews/{}/decisions", f.review),
            Some(|_| json!({"verdict": "approve"})),
        ),
        row(
            M::POST,
            "/reviews/{id}/links",
            &[PostsDraft],
            201,
            |f| format!("/reviews/{}/links", f.review),
            Some(|_| json!({"label": "Legal", "step": 1})),
        ),
        row(
            M::PUT,
            "/workflows",
            &[WorkspacesManage],
            200,
            |_| "/workflows".into(),
            Some(
                |f| json!({"workspace_id": f.review_ws, "name": "Replaced", "steps": [{"name": "Check", "approvers": {"kind": "role", "role": "approver"}, "required": 1}]}),
            ),
        ),
        row(
            M::DELETE,
            "/workflows/{id}",
            &[WorkspacesManage],
            204,
            |f| format!("/workflows/{}", f.workflow),
            None,
        ),
        row_any(
            M::GET,
            "/campaigns",
            &[PostsDraft, PostsApprove],
            200,
            |f| format!("/campaigns?workspace_id={}", f.post_ws),
            None,
        ),
        row(
            M::POST,
            "/campaigns",
            &[PostsDraft],
            201,
            |_| "/campaigns".into(),
            Some(
                |f| json!({"workspace_id": f.post_ws, "name": format!("Launch {}", f.n), "release_mode": "staggered"}),
            ),
        ),
        row_any(
            M::GET,
            "/campaigns/{id}",
            &[PostsDraft, PostsApprove],
            200,
            |f| format!("/campaigns/{}", f.campaign),
            None,
        ),
        row(
            M::PATCH,
            "/campaigns/{id}",
            &[PostsDraft],
            200,
            |f| format!("/campaigns/{}", f.campaign),
            Some(|_| json!({"note": "Renamed in the matrix"})),
        ),
        row(
            M::PUT,
            "/campaigns/{id}/posts/{post_id}",
            &[PostsDraft],
            200,
            |f| format!("/campaigns/{}/posts/{}", f.campaign, f.joiner),
            Some(|_| json!({})),
        ),
        row(
            M::DELETE,
            "/campaigns/{id}/posts/{post_id}",
            &[PostsDraft],
            204,
            |f| format!("/campaigns/{}/posts/{}", f.campaign, f.campaign_member),
            None,
        ),
        row(
            M::GET,
            "/channels/{id}/queue",
            &[ChannelsRead],
            200,
            |f| format!("/channels/{}/queue", f.queue_channel),
            None,
        ),
        row(
            M::PUT,
            "/channels/{id}/queue",
            &[PostsPublish],
            200,
            |f| format!("/channels/{}/queue", f.channel),
            Some(
                |_| json!({"time_zone": "Europe/Sofia", "slots": [{"weekday": "mon", "time": "09:30"}]}),
            ),
        ),
        row(
            M::POST,
            "/variants/{id}/queue",
            &[PostsDraft, PostsPublish],
            200,
            |f| format!("/variants/{}/queue", f.queue_variant),
            None,
        ),
        row_any(
            M::GET,
            "/posts/{id}/comments",
            &[PostsDraft, PostsApprove],
            200,
            |f| format!("/posts/{}/comments", f.post),
            None,
        ),
        row_any(
            M::POST,
            "/posts/{id}/comments",
            &[PostsDraft, PostsApprove],
            201,
            |f| format!("/posts/{}/comments", f.post),
            Some(|_| json!({"body": "Looks good"})),
        ),
        row(
            M::PUT,
            "/posts/{id}/assignee",
            &[PostsDraft],
            200,
            |f| format!("/posts/{}/assignee", f.post),
            Some(|f| json!({"user_id": f.assignee})),
        ),
        row_any(
            M::GET,
            "/calendar",
            &[PostsDraft, PostsPublish, PostsApprove],
            200,
            |_| {
                let from = chrono::Utc::now() - Duration::days(1);
                format!(
                    "/calendar?from={}&to={}",
                    urlencode(&from.to_rfc3339()),
                    urlencode(&(from + Duration::days(30)).to_rfc3339())
                )
            },
            None,
        ),
        Row {
            csv: Some(|f| format!("channels,text\nposts_{},Imported\n", f.n)),
            ..row(
                M::POST,
                "/posts/import",
                &[PostsDraft],
                200,
                |f| format!("/posts/import?workspace_id={}&dry_run=true", f.post_ws),
                None,
            )
        },
        row(
            M::GET,
            "/posts/export.csv",
            &[PostsDraft],
            200,
            |f| format!("/posts/export.csv?workspace_id={}", f.post_ws),
            None,
        ),
        row(
            M::GET,
            "/pauses",
            &[OrgRead],
            200,
            |_| "/pauses?active=true".into(),
            None,
        ),
        // A workspace of its own (posts elsewhere are not held by it).
        row(
            M::POST,
            "/pauses",
            &[CrisisManage],
            201,
            |_| "/pauses".into(),
            Some(
                |f| json!({"scope": "workspace", "scope_id": f.workspace, "reason": format!("Matrix {}", f.n)}),
            ),
        ),
        row(
            M::DELETE,
            "/pauses/{id}",
            &[CrisisManage],
            204,
            |f| format!("/pauses/{}", f.pause),
            None,
        ),
        row(
            M::GET,
            "/organisation/publishing",
            &[OrgManage],
            200,
            |_| "/organisation/publishing".into(),
            None,
        ),
        row(
            M::PUT,
            "/organisation/publishing",
            &[OrgManage],
            200,
            |_| "/organisation/publishing".into(),
            Some(|_| json!({"late_policy": "hold", "late_grace_minutes": 30})),
        ),
        row_any(
            M::GET,
            "/attention",
            &[PostsDraft, PostsPublish, PostsApprove],
            200,
            |f| format!("/attention?workspace_id={}", f.post_ws),
            None,
        ),
        row(
            M::POST,
            "/variants/{id}/resume",
            &[PostsPublish],
            200,
            |f| format!("/variants/{}/resume", f.failed),
            None,
        ),
        row(
            M::POST,
            "/variants/{id}/resolve",
            &[PostsPublish],
            200,
            |f| format!("/variants/{}/resolve", f.unconfirmed),
            Some(|_| json!({"outcome": "not_there"})),
        ),
        // Allowed callers get as far as the fetch, which refuses a loopback address.
        row(
            M::POST,
            "/link-preview",
            &[PostsDraft],
            422,
            |_| "/link-preview".into(),
            Some(|_| json!({"url": "http://127.0.0.1/"})),
        ),
        row(
            M::GET,
            "/network-apps",
            &[OrgManage],
            200,
            |_| "/network-apps".into(),
            None,
        ),
        // Set, then (the next row) removed again: the app exists when it is removed.
        row(
            M::PUT,
            "/network-apps/{network}",
            &[OrgManage],
            200,
            |_| "/network-apps/x".into(),
            Some(|f| json!({"client_id": format!("cid-{}", f.n), "client_secret": "s3cret"})),
        ),
        row(
            M::DELETE,
            "/network-apps/{network}",
            &[OrgManage],
            204,
            |_| "/network-apps/x".into(),
            None,
        ),
        row(
            M::GET,
            "/inbox/conversations",
            &[InboxRead],
            200,
            |_| "/inbox/conversations?status=open&sla=ok".into(),
            None,
        ),
        row(
            M::GET,
            "/inbox/conversations/{id}",
            &[InboxRead],
            200,
            |f| format!("/inbox/conversations/{}", f.conversation),
            None,
        ),
        row(
            M::PATCH,
            "/inbox/conversations/{id}",
            &[InboxReply],
            200,
            |f| format!("/inbox/conversations/{}", f.conversation),
            Some(|_| json!({"status": "pending", "tags": ["matrix"]})),
        ),
        row(
            M::GET,
            "/inbox/search",
            &[InboxRead],
            200,
            |_| "/inbox/search?q=hello".into(),
            None,
        ),
        row(
            M::POST,
            "/inbox/conversations/bulk",
            &[InboxReply],
            200,
            |_| "/inbox/conversations/bulk".into(),
            Some(|f| json!({"ids": [f.conversation], "action": "tag", "tag": "matrix"})),
        ),
        row(
            M::GET,
            "/inbox/views",
            &[InboxRead],
            200,
            |_| "/inbox/views".into(),
            None,
        ),
        row(
            M::POST,
            "/inbox/views",
            &[InboxRead],
            201,
            |_| "/inbox/views".into(),
            Some(|f| json!({"name": format!("New {}", f.n), "query": "sla=breached"})),
        ),
        // Changed, then (the next row) deleted: the view exists when it is deleted.
        row(
            M::PATCH,
            "/inbox/views/{id}",
            &[InboxRead],
            200,
            |f| format!("/inbox/views/{}", f.inbox_view),
            Some(|_| json!({"name": "Renamed", "query": "status=pending"})),
        ),
        row(
            M::DELETE,
            "/inbox/views/{id}",
            &[InboxRead],
            204,
            |f| format!("/inbox/views/{}", f.inbox_view),
            None,
        ),
        row(
            M::GET,
            "/inbox/conversations/{id}/notes",
            &[InboxRead],
            200,
            |f| format!("/inbox/conversations/{}/notes", f.conversation),
            None,
        ),
        row(
            M::POST,
            "/inbox/conversations/{id}/notes",
            &[InboxReply],
            201,
            |f| format!("/inbox/conversations/{}/notes", f.conversation),
            Some(|_| json!({"text": "A matrix note"})),
        ),
        // Inbox settings and reports (routing rules, SLA, presence).
        row(
            M::GET,
            "/inbox/rules",
            &[OrgManage],
            200,
            |_| "/inbox/rules".into(),
            None,
        ),
        row(
            M::POST,
            "/inbox/rules",
            &[OrgManage],
            201,
            |_| "/inbox/rules".into(),
            Some(
                |f| json!({"name": format!("New {}", f.n), "enabled": false, "actions": [{"type": "tag", "tag": "x"}]}),
            ),
        ),
        row(
            M::PUT,
            "/inbox/rules/{id}",
            &[OrgManage],
            200,
            |f| format!("/inbox/rules/{}", f.rule),
            Some(
                |f| json!({"name": format!("Changed {}", f.n), "enabled": false, "actions": [{"type": "tag", "tag": "y"}]}),
            ),
        ),
        row(
            M::POST,
            "/inbox/rules/{id}/move",
            &[OrgManage],
            200,
            |f| format!("/inbox/rules/{}/move", f.rule),
            Some(|_| json!({"direction": "down"})),
        ),
        row(
            M::POST,
            "/inbox/rules/preview",
            &[OrgManage],
            200,
            |_| "/inbox/rules/preview".into(),
            Some(|_| json!({"text": "hello there"})),
        ),
        row(
            M::DELETE,
            "/inbox/rules/{id}",
            &[OrgManage],
            204,
            |f| format!("/inbox/rules/{}", f.rule),
            None,
        ),
        row(
            M::GET,
            "/me/presence",
            &[],
            200,
            |_| "/me/presence".into(),
            None,
        ),
        row(
            M::PUT,
            "/me/presence",
            &[],
            200,
            |_| "/me/presence".into(),
            Some(|_| json!({"status": "available"})),
        ),
        row(
            M::GET,
            "/inbox/auto-away",
            &[OrgManage],
            200,
            |_| "/inbox/auto-away".into(),
            None,
        ),
        row(
            M::PUT,
            "/inbox/auto-away",
            &[OrgManage],
            200,
            |_| "/inbox/auto-away".into(),
            Some(|_| json!({"enabled": true, "idle_minutes": 15})),
        ),
        row(
            M::GET,
            "/inbox/sla-policies",
            &[OrgManage],
            200,
            |_| "/inbox/sla-policies".into(),
            None,
        ),
        row(
            M::POST,
            "/inbox/sla-policies",
            &[OrgManage],
            201,
            |_| "/inbox/sla-policies".into(),
            Some(|f| json!({"name": format!("P {}", f.n), "workspace_id": f.post_ws})),
        ),
        row(
            M::DELETE,
            "/inbox/sla-policies/{id}",
            &[OrgManage],
            204,
            |f| format!("/inbox/sla-policies/{}", f.sla_policy),
            None,
        ),
        row(
            M::GET,
            "/inbox/settings",
            &[OrgManage],
            200,
            |_| "/inbox/settings".into(),
            None,
        ),
        row(
            M::PUT,
            "/inbox/teams/{id}",
            &[OrgManage],
            200,
            |f| format!("/inbox/teams/{}", f.team),
            Some(|_| json!({"assignment_mode": "round_robin", "max_open": 3})),
        ),
        row(
            M::PUT,
            "/inbox/workspaces/{id}",
            &[OrgManage],
            200,
            |f| format!("/inbox/workspaces/{}", f.post_ws),
            Some(|_| json!({"hide_abusive": false})),
        ),
        row(
            M::GET,
            "/inbox/reports",
            &[AnalyticsRead],
            200,
            |_| "/inbox/reports".into(),
            None,
        ),
        row(
            M::POST,
            "/inbox/conversations/{id}/replies",
            &[InboxReply],
            201,
            |f| format!("/inbox/conversations/{}/replies", f.conversation),
            Some(
                |f| json!({"text": "Thanks, we are on it.", "client_key": format!("matrix-{}", f.n)}),
            ),
        ),
        row(
            M::POST,
            "/inbox/conversations/{id}/replies/{message_id}/retry",
            &[InboxReply],
            200,
            |f| {
                format!(
                    "/inbox/conversations/{}/replies/{}/retry",
                    f.conversation, f.failed_reply
                )
            },
            None,
        ),
        row(
            M::POST,
            "/inbox/conversations/{id}/messages/{message_id}/like",
            &[InboxReply],
            202,
            |f| {
                format!(
                    "/inbox/conversations/{}/messages/{}/like",
                    f.conversation, f.inbound_message
                )
            },
            None,
        ),
        row(
            M::DELETE,
            "/inbox/conversations/{id}/messages/{message_id}",
            &[InboxReply],
            202,
            |f| {
                format!(
                    "/inbox/conversations/{}/messages/{}",
                    f.conversation, f.inbound_message
                )
            },
            None,
        ),
        row(
            M::POST,
            "/inbox/conversations/{id}/replies/{message_id}/review",
            &[InboxApprove],
            200,
            |f| {
                format!(
                    "/inbox/conversations/{}/replies/{}/review",
                    f.conversation, f.pending_reply
                )
            },
            Some(|_| json!({"approve": true})),
        ),
        row(
            M::GET,
            "/inbox/replies/pending",
            &[InboxApprove],
            200,
            |_| "/inbox/replies/pending".into(),
            None,
        ),
        row(
            M::GET,
            "/inbox/saved-replies",
            &[InboxReply],
            200,
            |f| format!("/inbox/saved-replies?conversation_id={}", f.conversation),
            None,
        ),
        row(
            M::POST,
            "/inbox/saved-replies",
            &[OrgManage],
            201,
            |_| "/inbox/saved-replies".into(),
            Some(
                |f| json!({"name": format!("Thanks {}", f.n), "body": "Hi {contact.first_name}!"}),
            ),
        ),
        row(
            M::PUT,
            "/inbox/saved-replies/{id}",
            &[OrgManage],
            200,
            |f| format!("/inbox/saved-replies/{}", f.saved_reply),
            Some(|f| json!({"name": format!("Sorry {}", f.n), "body": "Sorry, {contact.name}."})),
        ),
        row(
            M::DELETE,
            "/inbox/saved-replies/{id}",
            &[OrgManage],
            204,
            |f| format!("/inbox/saved-replies/{}", f.saved_reply),
            None,
        ),
    ]
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn call(app: &TestApp, token: &str, row: &Row, fx: &Fx) -> (StatusCode, Value) {
    if row.multipart {
        let fields = row.body.map(|b| b(fx)).unwrap_or_default();
        let texts: Vec<(String, String)> = fields
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
        let photo = crate::media::jpeg(40, 30);
        let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("file", Some("owl.jpg"), &photo)];
        parts.extend(texts.iter().map(|(k, v)| (k.as_str(), None, v.as_bytes())));
        return crate::media::upload(app, token, &parts).await;
    }
    let mut req = Request::builder()
        .method(row.method.clone())
        .uri(format!("{API}{}", (row.path)(fx)))
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = if let Some(csv) = row.csv {
        req = req.header(header::CONTENT_TYPE, "text/csv");
        Body::from(csv(fx))
    } else if let Some(json) = row.body {
        req = req.header(header::CONTENT_TYPE, "application/json");
        Body::from(json(fx).to_string())
    } else {
        Body::empty()
    };
    let res = app.send(req.body(body).unwrap()).await;
    // Not every success is JSON (the CSV export); errors always are.
    let json = if res
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"))
    {
        res.json()
    } else {
        Value::Null
    };
    (res.status, json)
}

fn check(who: &str, row: &Row, allowed: bool, status: StatusCode, body: &Value) {
    let what = format!("{who}: {} {}", row.method, row.template);
    if allowed {
        assert_eq!(status, row.ok, "{what} should be allowed; got {body}");
    } else {
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{what} should be forbidden; got {body}"
        );
        assert_eq!(body["error"]["code"], "forbidden", "{what}");
    }
}

fn operations_of(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

async fn openapi(app: &TestApp) -> Value {
    app.send(
        Request::get(format!("{API}/openapi.json"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json()
}

#[tokio::test]
async fn the_table_covers_every_operation() {
    let app = TestApp::sqlite().await;
    let documented = operations_of(&openapi(&app).await);
    let in_table: BTreeSet<(String, String)> = table()
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_owned()))
        .collect();
    assert_eq!(
        in_table, documented,
        "the matrix and the OpenAPI document list different operations"
    );
    let served: BTreeSet<(String, String)> = owlery_web::api::operations().into_iter().collect();
    assert_eq!(
        served, documented,
        "the router serves operations the OpenAPI document does not list, or the reverse"
    );
    // Every documented operation is routed and authenticated.
    for (method, path) in &documented {
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{user_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{post_id}", &uuid::Uuid::now_v7().to_string());
        let (status, body) = app
            .api(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &concrete,
                None,
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("missing_token")),
            "{method} {path}"
        );
    }
}

/// Each role, granted for the whole organisation, against every route.
#[tokio::test]
async fn every_role_against_every_route() {
    for app in TestApp::all_backends().await {
        let workspace = app.workspace("Main").await.id;
        for role in Role::ALL {
            let n = role.code().replace('_', "-");
            let (caller, token) = app
                .user_with_token(&format!("{n}@example.test"), role)
                .await;
            let fx = fixtures(&app, &caller, &n, workspace).await;
            for row in table() {
                let allowed = row.allows(|p| role.has(p));
                let (status, body) = call(&app, &token, &row, &fx).await;
                check(
                    &format!("{} on {}", role.code(), app.backend()),
                    &row,
                    allowed,
                    status,
                    &body,
                );
            }
        }
    }
}

/// An Owner's token scoped to exactly what a route needs may call it; scoped to anything else it
/// may not — a scope never widens and the owner's rights never leak past it.
#[tokio::test]
async fn scoped_tokens_against_every_route() {
    let app = TestApp::sqlite().await;
    let workspace = app.workspace("Main").await.id;
    for (i, row) in table().into_iter().enumerate() {
        for (variant, scopes, allowed) in [
            (
                "exact",
                row.needs.iter().chain(row.any.first()).copied().collect(),
                true,
            ),
            // On-call management is needed by no route here.
            (
                "unrelated",
                vec![OnCallManage],
                row.needs.is_empty() && row.any.is_empty(),
            ),
        ] {
            let n = format!("{variant}-{i}");
            let caller = app
                .user(&format!("owner-{n}@example.test"), Role::Owner)
                .await;
            let token = app.scoped_token(&caller, &scopes).await;
            let fx = fixtures(&app, &caller, &n, workspace).await;
            let (status, body) = call(&app, &token, &row, &fx).await;
            check(
                &format!("owner token scoped {scopes:?}"),
                &row,
                allowed,
                status,
                &body,
            );
        }
        // One permission short of what is needed.
        if row.needs.len() > 1 {
            for missing in row.needs {
                let scopes: Vec<Permission> =
                    row.needs.iter().copied().filter(|p| p != missing).collect();
                let n = format!("short-{i}-{}", missing.code().replace(':', "-"));
                let caller = app
                    .user(&format!("owner-{n}@example.test"), Role::Owner)
                    .await;
                let token = app.scoped_token(&caller, &scopes).await;
                let fx = fixtures(&app, &caller, &n, workspace).await;
                let (status, body) = call(&app, &token, &row, &fx).await;
                check(
                    &format!("owner token scoped {scopes:?}"),
                    &row,
                    false,
                    status,
                    &body,
                );
            }
        }
    }
}

/// Grants for one workspace reach that workspace only, and never organisation-level rights.
#[tokio::test]
async fn workspace_scoped_grants_stay_in_their_workspace() {
    for app in TestApp::all_backends().await {
        let mine = app.workspace("Mine").await;
        let theirs = app.workspace("Theirs").await;
        app.channel(&mine, "mine_news").await;
        app.channel(&theirs, "their_news").await;
        let ws_admin = app
            .user_with_grants(
                "ws-admin@example.test",
                &[Grant {
                    role: Role::Admin,
                    scope: Scope::Workspace(mine.id),
                }],
            )
            .await;
        let token = app.token(&ws_admin).await;
        let someone = app.user("someone@example.test", Role::Contributor).await;
        let channel = |ws: WorkspaceId, handle: &str| json!({"workspace_id": ws, "network": "sandbox", "name": "New", "handle": handle});

        let (status, body) = app
            .post_json("/channels", &token, channel(mine.id, "mine_2"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, _) = app
            .post_json("/channels", &token, channel(theirs.id, "their_2"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (status, listed) = app.get("/channels", &token).await;
        assert_eq!(status, StatusCode::OK);
        let mut handles: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["handle"].as_str().unwrap())
            .collect();
        handles.sort_unstable();
        assert_eq!(handles, ["mine_2", "mine_news"]);
        let (_, workspaces) = app.get("/workspaces", &token).await;
        assert_eq!(workspaces["items"].as_array().unwrap().len(), 1);
        assert_eq!(workspaces["items"][0]["id"], json!(mine.id));

        // Organisation-level rights do not come from a workspace grant, even as Admin.
        for (method, path, body) in [
            (Method::GET, "/users".to_owned(), None),
            (
                Method::POST,
                "/users".to_owned(),
                Some(json!({"email": "x@example.test", "name": "X", "role": "publisher"})),
            ),
            (
                Method::PATCH,
                format!("/users/{}", someone.id),
                Some(json!({"status": "disabled"})),
            ),
            (
                Method::POST,
                format!("/users/{}/grants", someone.id),
                Some(json!({"role": "publisher", "scope": {"kind": "workspace", "id": mine.id}})),
            ),
            (
                Method::POST,
                "/teams".to_owned(),
                Some(json!({"name": "T"})),
            ),
            (
                Method::POST,
                "/workspaces".to_owned(),
                Some(json!({"name": "W"})),
            ),
            (Method::GET, "/audit-events".to_owned(), None),
        ] {
            let (status, res) = app.api(method.clone(), &path, Some(&token), body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {res}");
        }
        let (_, me) = app.get("/me", &token).await;
        let perms = me["permissions"].as_array().unwrap();
        assert!(perms.contains(&json!("channels:manage")));
        assert!(!perms.contains(&json!("users:manage")));
    }
}
