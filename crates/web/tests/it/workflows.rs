//! Settings → Approval workflows and practice channels, over HTTP on every backend: creating,
//! editing (steps added, moved and removed by posting the form back), deleting, the domain's
//! rules shown next to the right field, the permission checks; practice channels from the settings
//! form and from `POST /api/v1/channels`.

use axum::http::StatusCode;
use owlery_domain::{
    Grant, Role, Scope,
    audit::Actor,
    org::Network,
    post::{Content, Overrides},
    publishing::approval::{Approvers, Step, Workflow},
};
use owlery_store::posts::{NewPost, Validation, VariantInput};
use serde_json::json;

use crate::support::{CookieJar, TestApp, TestUser};

async fn signed_in(app: &TestApp, user: &TestUser) -> (CookieJar, String) {
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(user, &mut jar).await;
    (jar, csrf)
}

/// The fields of a one-step form; `extra` overrides or adds.
fn fields<'a>(
    csrf: &'a str,
    scope: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![
        ("csrf_token", csrf),
        ("name", "Brand review"),
        ("scope", scope),
        ("step_count", "1"),
        ("step0.name", "Editor"),
        ("step0.kind", "role"),
        ("step0.role", "publisher"),
        ("step0.required", "1"),
        ("step0.backup", ""),
        ("step0.deadline_hours", "24"),
    ];
    for (k, v) in extra {
        out.retain(|(key, _)| key != k);
        out.push((k, v));
    }
    out
}

/// The message shown next to a field: the text of `<p class="field-error" id="{id}-error">`.
fn error_of(body: &str, id: &str) -> Option<String> {
    let start = format!("id=\"{id}-error\">");
    let i = body.find(&start)? + start.len();
    let j = body[i..].find("</p>")?;
    Some(body[i..i + j].to_owned())
}

#[tokio::test]
async fn workflows_are_created_edited_and_deleted_with_errors_by_field() {
    for app in TestApp::all_backends().await {
        let admin = app.user("admin@example.test", Role::Admin).await;
        let legal = app.user("legal@example.test", Role::Approver).await;
        let ws = app.workspace("Brand EU").await;
        let ch = app.channel(&ws, "brand_eu").await;
        let (mut jar, csrf) = signed_in(&app, &admin).await;
        let legal_id = legal.id.to_string();
        let ws_scope = format!("workspace:{}", ws.id);
        let ch_scope = format!("channel:{}", ch.id);

        // The overview: nothing yet, every channel offers its own.
        let res = app.get_page("/settings/workflows", &mut jar).await;
        assert_eq!(res.status, StatusCode::OK, "{}", app.backend());
        let body = res.text();
        assert!(body.contains("href=\"/settings/workflows\" aria-current=\"page\""));
        assert!(body.contains(&format!("/settings/workflows/new?scope={ch_scope}")));
        let res = app
            .get_page(
                &format!("/settings/workflows/new?scope={ch_scope}"),
                &mut jar,
            )
            .await;
        assert!(
            res.text()
                .contains(&format!("<option value=\"{ch_scope}\" selected>"))
        );

        // Per-field errors: the domain's rules land on the step's own fields.
        let bad = fields(
            &csrf,
            &ws_scope,
            &[
                ("name", ""),
                ("step0.kind", "people"),
                ("step0.required", "3"),
                ("step0.deadline_hours", "1000"),
            ],
        );
        let mut bad = bad;
        bad.push(("step0.people", &legal_id));
        let res = app.post_form("/settings/workflows", &mut jar, &bad).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = res.text();
        assert!(error_of(&body, "wf-name").is_some(), "name error");
        assert_eq!(
            error_of(&body, "wf-step0-deadline").as_deref(),
            None,
            "the first rule broken is the one shown: required vs people"
        );
        assert!(
            error_of(&body, "wf-step0-required")
                .unwrap()
                .contains("More approvals than people")
        );
        assert!(body.contains("value=\"1000\""), "what was typed stays");
        let res = app
            .post_form(
                "/settings/workflows",
                &mut jar,
                &fields(&csrf, &ws_scope, &[("step0.deadline_hours", "1000")]),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            error_of(&res.text(), "wf-step0-deadline")
                .unwrap()
                .contains("1 to 720")
        );
        let res = app
            .post_form(
                "/settings/workflows",
                &mut jar,
                &fields(
                    &csrf,
                    &ws_scope,
                    &[("step0.name", ""), ("step0.deadline_hours", "")],
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains("Add at least one step with a name."));
        let res = app
            .post_form(
                "/settings/workflows",
                &mut jar,
                &fields(&csrf, &ws_scope, &[("step0.kind", "people")]),
            )
            .await;
        assert!(
            error_of(&res.text(), "wf-step0-approvers")
                .unwrap()
                .contains("at least one person")
        );

        // Without JavaScript: "add another step" posts back and saves nothing.
        let head = app.audit_head().await;
        let res = app
            .post_form(
                "/settings/workflows",
                &mut jar,
                &fields(&csrf, &ws_scope, &[("op", "add")]),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        let body = res.text();
        assert!(body.contains("name=\"step_count\" value=\"2\""));
        assert!(body.contains("id=\"wf-step1-name\""));
        assert_eq!(app.audit_head().await, head, "nothing saved");

        // Two steps, the second moved first, an empty third row ignored.
        let res = app
            .post_form(
                "/settings/workflows",
                &mut jar,
                &fields(
                    &csrf,
                    &ws_scope,
                    &[
                        ("step_count", "3"),
                        ("step1.name", "Legal"),
                        ("step1.kind", "people"),
                        ("step1.people", &legal_id),
                        ("step1.required", "1"),
                        ("step1.backup", &legal_id),
                        ("step2.name", ""),
                        ("step2.kind", "role"),
                        ("step2.required", "1"),
                        ("op", "up:1"),
                    ],
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        let body = res.text();
        let legal_at = body.find("value=\"Legal\"").unwrap();
        let editor_at = body.find("value=\"Editor\"").unwrap();
        assert!(legal_at < editor_at, "Legal moved up");
        let res = app
            .post_form(
                "/settings/workflows",
                &mut jar,
                &fields(
                    &csrf,
                    &ws_scope,
                    &[
                        ("step_count", "3"),
                        ("step0.name", "Legal"),
                        ("step0.kind", "people"),
                        ("step0.people", &legal_id),
                        ("step0.deadline_hours", ""),
                        ("step1.name", "Editor"),
                        ("step1.kind", "role"),
                        ("step1.role", "publisher"),
                        ("step1.required", "1"),
                        ("step1.deadline_hours", "24"),
                        ("step1.backup", &legal_id),
                        ("step2.name", ""),
                        ("op", "save"),
                    ],
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let saved = app.store().workflows(ws.id).await.unwrap();
        assert_eq!(saved.len(), 1);
        let wf = &saved[0];
        assert_eq!(wf.name, "Brand review");
        assert_eq!(wf.channel_id, None);
        assert_eq!(
            wf.workflow.steps,
            vec![
                Step {
                    name: "Legal".into(),
                    approvers: Approvers::People {
                        user_ids: vec![legal.id]
                    },
                    required: 1,
                    backup: None,
                    deadline_hours: None,
                },
                Step {
                    name: "Editor".into(),
                    approvers: Approvers::Role {
                        role: Role::Publisher
                    },
                    required: 1,
                    backup: Some(legal.id),
                    deadline_hours: Some(24),
                },
            ]
        );
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "workflow.set"
        );
        let res = app.get_page(res.location().unwrap(), &mut jar).await;
        let body = res.text();
        assert!(body.contains("Workflow saved."));
        assert!(body.contains("Uses the workspace"));

        // A second workflow on the same scope is refused: edit the first instead.
        let res = app
            .post_form(
                "/settings/workflows",
                &mut jar,
                &fields(&csrf, &ws_scope, &[]),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            error_of(&res.text(), "wf-scope")
                .unwrap()
                .contains("Brand review")
        );

        // Edit: the form shows what is stored; rename and move it to the channel.
        let path = format!("/settings/workflows/{}", wf.id);
        let res = app.get_page(&path, &mut jar).await;
        let body = res.text();
        assert!(body.contains("value=\"Brand review\""));
        assert!(body.contains(&format!("<option value=\"{ws_scope}\" selected>")));
        assert!(body.contains(&format!(
            "name=\"step0.people\" value=\"{legal_id}\" checked"
        )));
        let res = app
            .post_form(
                &path,
                &mut jar,
                &fields(
                    &csrf,
                    &ch_scope,
                    &[("name", "Channel review"), ("op", "save")],
                ),
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let saved = app.store().workflows(ws.id).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].channel_id, Some(ch.id));
        assert_eq!(saved[0].name, "Channel review");

        // Delete refuses while a post waits in it, and says so.
        let channel_wf = saved[0].id;
        let post = app
            .store()
            .create_post(
                &Actor::cli(),
                admin.id,
                NewPost {
                    workspace_id: ws.id,
                    title: "Waiting".into(),
                    content: Content {
                        text: "Waits for review".into(),
                        ..Content::default()
                    },
                    variants: vec![VariantInput {
                        channel_id: ch.id,
                        placement: "post".into(),
                        overrides: Overrides::default(),
                        validation: Validation {
                            findings: json!([]),
                            has_errors: false,
                            spec_version: "test".into(),
                        },
                    }],
                    campaign_id: None,
                    scheduled_at: None,
                    schedule_tz: "Europe/Sofia".into(),
                },
            )
            .await
            .unwrap();
        app.store()
            .submit_post(&Actor::cli(), post.id)
            .await
            .unwrap();
        let delete = format!("/settings/workflows/{channel_wf}/delete");
        let res = app
            .post_form(&delete, &mut jar, &[("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(
            res.text()
                .contains("cannot be deleted while posts wait in it")
        );
        assert_eq!(app.store().workflows(ws.id).await.unwrap().len(), 1);

        // Without a CSRF token nothing happens.
        let res = app.post_form(&delete, &mut jar, &[]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        // A workflow nobody waits in goes.
        let other = app
            .store()
            .set_workflow(
                &Actor::cli(),
                ws.id,
                None,
                "Workspace review",
                &Workflow {
                    steps: vec![Step {
                        name: "Client".into(),
                        approvers: Approvers::External,
                        required: 1,
                        backup: None,
                        deadline_hours: None,
                    }],
                },
            )
            .await
            .unwrap();
        let res = app
            .post_form(
                &format!("/settings/workflows/{}/delete", other.id),
                &mut jar,
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "workflow.delete"
        );
        let res = app
            .get_page(&format!("/settings/workflows/{}", other.id), &mut jar)
            .await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "a deleted workflow is gone"
        );
    }
}

#[tokio::test]
async fn workflows_need_workspaces_manage_on_the_workspace() {
    let app = TestApp::sqlite().await;
    let mine = app.workspace("Mine").await;
    let theirs = app.workspace("Theirs").await;
    let foreign = app
        .store()
        .set_workflow(
            &Actor::cli(),
            theirs.id,
            None,
            "Theirs",
            &Workflow {
                steps: vec![Step {
                    name: "Boss".into(),
                    approvers: Approvers::Role { role: Role::Owner },
                    required: 1,
                    backup: None,
                    deadline_hours: None,
                }],
            },
        )
        .await
        .unwrap();

    let publisher = app.user("pub@example.test", Role::Publisher).await;
    let (mut jar, csrf) = signed_in(&app, &publisher).await;
    assert_eq!(
        app.get_page("/settings/workflows", &mut jar).await.status,
        StatusCode::FORBIDDEN
    );
    let res = app
        .post_form(
            "/settings/workflows",
            &mut jar,
            &fields(&csrf, &format!("workspace:{}", mine.id), &[]),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // An Admin of one workspace sees and changes only that one.
    let local = app
        .user_with_grants(
            "local@example.test",
            &[Grant {
                role: Role::Admin,
                scope: Scope::Workspace(mine.id),
            }],
        )
        .await;
    let (mut jar, csrf) = signed_in(&app, &local).await;
    let body = app.get_page("/settings/workflows", &mut jar).await.text();
    assert!(body.contains("Mine") && !body.contains("Theirs"));
    let res = app
        .post_form(
            "/settings/workflows",
            &mut jar,
            &fields(&csrf, &format!("workspace:{}", theirs.id), &[]),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&res.text(), "wf-scope").is_some());
    for path in [
        format!("/settings/workflows/{}", foreign.id),
        format!("/settings/workflows/{}/delete", foreign.id),
    ] {
        let res = app
            .post_form(&path, &mut jar, &[("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        app.get_page(&format!("/settings/workflows/{}", foreign.id), &mut jar)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.store().workflows(theirs.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn practice_channels_from_settings_never_leave_the_server() {
    for app in TestApp::all_backends().await {
        let admin = app.user("admin@example.test", Role::Admin).await;
        let ws = app.workspace("Training").await;
        let (mut jar, csrf) = signed_in(&app, &admin).await;
        let wid = ws.id.to_string();
        let res = app.get_page("/settings/workspaces", &mut jar).await;
        assert!(res.text().contains("name=\"network\""));

        let res = app
            .post_form(
                "/settings/channels",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &wid),
                    ("network", "instagram"),
                    ("name", "Acme practice"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let ch = app
            .store()
            .list_channels(Some(ws.id))
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            (ch.network, ch.simulated, ch.handle.as_str()),
            (Network::Instagram, true, "acme_practice")
        );
        let event = app.last_audit_event().await.unwrap();
        assert_eq!(event.entry.action, "channel.create");
        let after: serde_json::Value = serde_json::from_str(&event.entry.after.unwrap()).unwrap();
        assert_eq!(after["simulated"], true);
        let body = app.get_page("/settings/workspaces", &mut jar).await.text();
        assert!(body.contains("Practice — never leaves this server"));

        // A sandbox is simulated too; an unknown network is refused next to the field.
        let res = app
            .post_form(
                "/settings/channels",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &wid),
                    ("network", "sandbox"),
                    ("name", "Sandbox"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let res = app
            .post_form(
                "/settings/channels",
                &mut jar,
                &[
                    ("csrf_token", &csrf),
                    ("workspace_id", &wid),
                    ("network", "myspace"),
                    ("name", "Old"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_of(&res.text(), "ch-network").is_some());
        let all = app.store().list_channels(Some(ws.id)).await.unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|c| c.simulated));
    }
}

#[tokio::test]
async fn api_creates_practice_channels_only_when_asked() {
    for app in TestApp::all_backends().await {
        let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
        let ws = app.workspace("EMEA").await;

        let (status, body) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": ws.id, "network": "mastodon", "name": "M", "handle": "m"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "unsupported_network");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("\"simulated\": true")
        );

        let (status, ch) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": ws.id, "network": "mastodon", "name": "M", "handle": "@m", "simulated": true}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ch}");
        assert_eq!(ch["network"], "mastodon");
        assert_eq!(ch["simulated"], true);

        let (status, sb) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": ws.id, "network": "sandbox", "name": "S", "handle": "s"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(sb["simulated"], true, "a sandbox is always simulated");

        let (status, body) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": ws.id, "network": "friendster", "name": "F", "handle": "f", "simulated": true}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["field"], "network");

        let (_, list) = app.get("/channels", &admin).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|c| c["simulated"] == true));
    }
}
