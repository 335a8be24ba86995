//! `/api/v1` behaviour, endpoint by endpoint, including what clients get wrong. The tests that
//! guard data (conflicts, last owner, audit, pagination, authentication) run on every backend.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use chrono::Duration;
use owlery_domain::{Grant, Permission, Role, Scope, audit::Actor, user::UserStatus};
use owlery_store::sessions::LinkPurpose;
use serde_json::{Value, json};

use crate::support::{API, TEST_IP_TEXT, TestApp};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("<no field>")
}

fn new_user(email: &str) -> Value {
    json!({"email": email, "name": "New Person", "role": "publisher"})
}

// ---- the document ----

#[tokio::test]
async fn openapi_document_is_3_1_and_unchanged() {
    let app = TestApp::sqlite().await;
    let res = app
        .send(
            Request::get(format!("{API}/openapi.json"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let doc = res.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // Every operation is authenticated and documents its errors with the error body.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(
                op["security"],
                json!([{"bearer": []}]),
                "{method} {path} has no bearer security"
            );
            assert!(
                op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("/ErrorBody")),
                "{method} {path} does not document 401 with ErrorBody"
            );
        }
    }
    insta::assert_json_snapshot!("openapi", doc);
}

// ---- authentication ----

#[tokio::test]
async fn tokens_are_refused_for_specific_reasons() {
    for app in TestApp::all_backends().await {
        let (user, token) = app
            .user_with_token("olivia@example.test", Role::Admin)
            .await;

        let (status, body) = app.api(Method::GET, "/me", None, None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "missing_token")
        );

        let req = Request::get(format!("{API}/me"))
            .header(header::AUTHORIZATION, format!("Basic {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, body) = app.send(req).await.json_pair();
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "malformed_authorization")
        );

        let (status, body) = app.get("/me", "owl_not-a-real-token").await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "invalid_token")
        );

        // Revoked.
        let revoked = app.token(&user).await;
        let (status, me) = app.get("/me", &revoked).await;
        assert_eq!(status, StatusCode::OK);
        let newest = me["token"]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            app.delete(&format!("/tokens/{newest}"), &revoked).await.0,
            StatusCode::NO_CONTENT
        );
        let (status, body) = app.get("/me", &revoked).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "revoked_token")
        );

        // Disabled owner.
        let (_, owner) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (status, _) = app
            .patch_json(
                &format!("/users/{}", user.id),
                &owner,
                json!({"status": "disabled"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = app.get("/me", &token).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "account_disabled")
        );

        // Expired: tokens made by the helpers last 90 days.
        app.clock.advance(Duration::days(91));
        let (status, body) = app.get("/me", &owner).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "expired_token")
        );
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_json() {
    let app = TestApp::sqlite().await;
    let (_, token) = app.user_with_token("o@example.test", Role::Owner).await;
    let (status, body) = app.get("/no-such-thing", &token).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.api(Method::PATCH, "/me", Some(&token), None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

// ---- me, roles ----

#[tokio::test]
async fn me_shows_the_caller_their_grants_and_permissions() {
    let app = TestApp::sqlite().await;
    let ws = app.workspace("EMEA").await;
    let user = app
        .user_with_grants(
            "pia@example.test",
            &[
                Grant {
                    role: Role::Contributor,
                    scope: Scope::Organisation,
                },
                Grant {
                    role: Role::Publisher,
                    scope: Scope::Workspace(ws.id),
                },
            ],
        )
        .await;
    let token = app.token(&user).await;
    let (status, me) = app.get("/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], "pia@example.test");
    assert_eq!(me["user"]["status"], "active");
    assert_eq!(me["user"]["grants"].as_array().unwrap().len(), 2);
    assert_eq!(
        me["user"]["grants"][1]["scope"],
        json!({"kind": "workspace", "id": ws.id})
    );
    assert_eq!(me["token"]["scopes"], json!([]));
    assert_eq!(me["is_owner"], false);
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(perms.contains(&"posts:publish"), "{perms:?}");
    assert!(!perms.contains(&"users:read"), "{perms:?}");
}

#[tokio::test]
async fn roles_list_the_matrix() {
    let app = TestApp::sqlite().await;
    let (_, admin) = app.user_with_token("a@example.test", Role::Admin).await;
    let (status, body) = app.get("/roles", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), Role::ALL.len());
    for (item, role) in items.iter().zip(Role::ALL) {
        assert_eq!(item["code"], role.code());
        let codes: Vec<&str> = role.permissions().iter().map(|p| p.code()).collect();
        assert_eq!(item["permissions"], json!(codes));
        assert_eq!(item["grantable"], role != Role::Owner, "{}", role.code());
    }
    assert_eq!(body["next_cursor"], Value::Null);
}

// ---- users ----

#[tokio::test]
async fn creating_a_user_invites_them_or_sets_their_password() {
    for app in TestApp::all_backends().await {
        let (admin, token) = app.user_with_token("admin@example.test", Role::Admin).await;

        let (status, body) = app
            .post_json(
                "/users",
                &token,
                json!({"email": " Nia@Example.TEST ", "name": "Nia", "role": "community agent",
                       "language": "bg", "time_zone": "Europe/Sofia"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let user = &body["user"];
        assert_eq!(user["email"], "nia@example.test");
        assert_eq!(user["status"], "invited");
        assert_eq!(user["language"], "bg");
        assert_eq!(user["time_zone"], "Europe/Sofia");
        assert_eq!(user["grants"][0]["role"], "community_agent");
        assert_eq!(user["grants"][0]["scope"], json!({"kind": "organisation"}));
        assert_eq!(user["grants"][0]["granted_by"], json!(admin.id));
        let url = body["setup_url"].as_str().unwrap();
        let secret = url
            .strip_prefix("http://127.0.0.1:8080/setup/")
            .unwrap_or_else(|| panic!("unexpected setup url {url}"));
        let id = owlery_domain::UserId::parse(user["id"].as_str().unwrap()).unwrap();
        assert_eq!(
            app.store()
                .check_link(secret, LinkPurpose::Setup)
                .await
                .unwrap(),
            Ok(id)
        );

        let (status, body) = app
            .post_json(
                "/users",
                &token,
                json!({"email": "pat@example.test", "name": "Pat", "role": "analyst",
                       "password": "a long enough passphrase"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["user"]["status"], "active");
        assert_eq!(body["user"]["language"], "en");
        assert_eq!(body["user"]["time_zone"], "UTC");
        assert_eq!(body["setup_url"], Value::Null);

        let (status, got) = app
            .get(
                &format!("/users/{}", body["user"]["id"].as_str().unwrap()),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got, body["user"]);
    }
}

#[tokio::test]
async fn duplicate_email_conflicts_and_writes_nothing() {
    for app in TestApp::all_backends().await {
        let (_, token) = app.user_with_token("admin@example.test", Role::Admin).await;
        let (status, _) = app
            .post_json("/users", &token, new_user("dup@example.test"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let users = app.store().count_users().await.unwrap();
        let head = app.audit_head().await;

        let (status, body) = app
            .post_json("/users", &token, new_user("DUP@example.test"))
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "conflict"),
            "{body}"
        );
        assert_eq!(field(&body), "email");
        assert_eq!(app.store().count_users().await.unwrap(), users);
        assert_eq!(
            app.audit_head().await,
            head,
            "no audit event for a refused change"
        );
    }
}

#[tokio::test]
async fn bad_request_bodies_get_json_errors() {
    let app = TestApp::builder()
        .config(|c| c.max_body_bytes = 4096)
        .sqlite()
        .await;
    let (_, token) = app.user_with_token("admin@example.test", Role::Admin).await;
    let users_before = app.store().count_users().await.unwrap();
    let raw = |ct: Option<&'static str>, body: String| {
        let token = token.clone();
        let app = &app;
        async move { app.api_raw(Method::POST, "/users", &token, ct, body).await }
    };
    let json_ct = Some("application/json");

    let (status, body) = raw(json_ct, r#"{"email": "a@example.test", "name": }"#.into()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 1 column"), "{message}");

    let (status, body) = raw(json_ct, String::new()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );

    let (status, body) = raw(json_ct, format!("{} trailing", new_user("t@example.test"))).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );

    let mut unknown = new_user("u@example.test");
    unknown["colour"] = json!("blue");
    let (status, body) = raw(json_ct, unknown.to_string()).await;
    assert_eq!(
        (status, code(&body), field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_field", "colour")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );

    let mut nested = new_user("u@example.test");
    nested["scope"] = json!({"kind": "organisation", "extra": 1});
    let (status, body) = raw(json_ct, nested.to_string()).await;
    assert_eq!(
        (status, code(&body), field(&body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            "scope.extra"
        )
    );

    let (status, body) = raw(json_ct, json!({"email": "u@example.test"}).to_string()).await;
    assert_eq!(
        (status, code(&body), field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "missing_field", "name")
    );

    let mut wrong_type = new_user("u@example.test");
    wrong_type["role"] = json!(5);
    let (status, body) = raw(json_ct, wrong_type.to_string()).await;
    assert_eq!(
        (status, code(&body), field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "role")
    );

    let mut bad_kind = new_user("u@example.test");
    bad_kind["scope"] = json!({"kind": "galaxy"});
    let (status, body) = raw(json_ct, bad_kind.to_string()).await;
    assert_eq!(
        (status, code(&body), field(&body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "scope.kind"
        )
    );

    // serde would read a struct from an array by position; the API wants names.
    let (status, body) = raw(
        json_ct,
        json!(["u@example.test", "U", "publisher"]).to_string(),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let (status, body) = raw(json_ct, "[1, 2".into()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_json")
    );
    let (status, _) = raw(
        Some("application/merge-patch+json; charset=utf-8"),
        "null".into(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "+json types are JSON"
    );

    let (status, body) = raw(Some("text/plain"), new_user("u@example.test").to_string()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let (status, _) = raw(None, new_user("u@example.test").to_string()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let mut big = new_user("u@example.test");
    big["name"] = json!("x".repeat(10_000));
    let (status, body) = raw(json_ct, big.to_string()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );

    // Valid JSON, invalid values: parsed by the domain, 422 with the field.
    for (patch, want_code, want_field) in [
        (json!({"email": "not-an-address"}), "invalid_email", "email"),
        (json!({"name": "   "}), "required", "name"),
        (json!({"role": "superuser"}), "invalid_role", "role"),
        (
            json!({"time_zone": "Mars/Olympus"}),
            "invalid_time_zone",
            "time_zone",
        ),
        (json!({"language": "tlh"}), "invalid_language", "language"),
        (json!({"password": "short"}), "too_short", "password"),
        (
            json!({"scope": {"kind": "workspace"}}),
            "required",
            "scope.id",
        ),
    ] {
        let mut body = new_user("valid@example.test");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, res) = app.post_json("/users", &token, body).await;
        assert_eq!(
            (status, code(&res), field(&res)),
            (StatusCode::UNPROCESSABLE_ENTITY, want_code, want_field),
            "{patch}"
        );
    }
    assert_eq!(app.store().count_users().await.unwrap(), users_before);
}

#[tokio::test]
async fn ids_in_paths_are_checked() {
    let app = TestApp::sqlite().await;
    let (_, token) = app.user_with_token("o@example.test", Role::Owner).await;
    let (status, body) = app.get("/users/not-a-uuid", &token).await;
    assert_eq!(
        (status, code(&body), field(&body)),
        (StatusCode::BAD_REQUEST, "invalid_id", "id")
    );
    let (status, body) = app.delete("/grants/42", &token).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_id")
    );
    let team = app.team("Care").await;
    let (status, body) = app
        .put(&format!("/teams/{}/members/nobody", team.id), &token)
        .await;
    assert_eq!(
        (status, code(&body), field(&body)),
        (StatusCode::BAD_REQUEST, "invalid_id", "user_id")
    );
    let missing = uuid::Uuid::now_v7();
    for path in [
        format!("/users/{missing}"),
        format!("/users/{missing}/grants"),
    ] {
        let (status, body) = app.get(&path, &token).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
    let (status, _) = app.delete(&format!("/grants/{missing}"), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_are_paginated_with_cursors() {
    for app in TestApp::all_backends().await {
        let (_, token) = app
            .user_with_token("auditor@example.test", Role::Auditor)
            .await;
        for i in 0..7 {
            app.user(&format!("p{i}@example.test"), Role::Contributor)
                .await;
        }
        let total = app.store().count_users().await.unwrap() as usize;
        assert_eq!(total, 8);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/users?limit=3&cursor={c}"),
                None => "/users?limit=3".to_owned(),
            };
            let (status, body) = app.get(&path, &token).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let items = body["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
            pages += 1;
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), total);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen, "ids come once each, in order");

        let (status, body) = app.get("/users", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["items"].as_array().unwrap().len(), total);
        assert_eq!(body["next_cursor"], Value::Null);

        for (query, want) in [
            ("limit=0", "invalid_limit"),
            ("limit=201", "invalid_limit"),
            ("limit=many", "invalid_parameter"),
            ("cursor=bm9wZQ", "invalid_cursor"),
            ("cursor=%25%25", "invalid_cursor"),
            ("page=2", "invalid_parameter"),
        ] {
            let (status, body) = app.get(&format!("/users?{query}"), &token).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::BAD_REQUEST, want),
                "{query}"
            );
        }
        // A cursor from another list is refused too.
        let (_, audit) = app.get("/audit-events?limit=1", &token).await;
        let audit_cursor = audit["next_cursor"].as_str().unwrap();
        let (status, body) = app
            .get(&format!("/users?cursor={audit_cursor}"), &token)
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_cursor")
        );
    }
}

#[tokio::test]
async fn disabling_and_renaming_users() {
    for app in TestApp::all_backends().await {
        let (admin, token) = app.user_with_token("admin@example.test", Role::Admin).await;
        let (owner, owner_token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (pub_user, pub_token) = app
            .user_with_token("pub@example.test", Role::Publisher)
            .await;

        let (status, body) = app
            .patch_json(
                &format!("/users/{}", admin.id),
                &token,
                json!({"status": "disabled"}),
            )
            .await;
        assert_eq!(
            (status, code(&body), field(&body)),
            (StatusCode::CONFLICT, "cannot_disable_self", "status")
        );

        let (status, body) = app
            .patch_json(
                &format!("/users/{}", owner.id),
                &token,
                json!({"status": "disabled"}),
            )
            .await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));

        let path = format!("/users/{}", pub_user.id);
        let (status, body) = app
            .patch_json(&path, &token, json!({"status": "disabled"}))
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("disabled"))
        );
        assert_eq!(app.get("/me", &pub_token).await.0, StatusCode::UNAUTHORIZED);
        let event = app.last_audit_event().await.unwrap();
        assert_eq!(event.entry.action, "user.disable");

        let (status, body) = app
            .patch_json(
                &path,
                &token,
                json!({"status": "active", "name": "Pub Lisher"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["status"].as_str(), body["name"].as_str()),
            (Some("active"), Some("Pub Lisher"))
        );
        assert_eq!(app.get("/me", &pub_token).await.0, StatusCode::OK);
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "user.profile"
        );

        let (status, body) = app
            .patch_json(&path, &token, json!({"status": "invited"}))
            .await;
        assert_eq!(
            (status, code(&body), field(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "status")
        );

        // An Owner may disable another Owner.
        let other_owner = app.user("owner2@example.test", Role::Owner).await;
        let (status, _) = app
            .patch_json(
                &format!("/users/{}", other_owner.id),
                &owner_token,
                json!({"status": "disabled"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);

        // Re-enabling someone who never set a password makes them invited again.
        let (_, created) = app
            .post_json("/users", &token, new_user("fresh@example.test"))
            .await;
        let fresh = format!("/users/{}", created["user"]["id"].as_str().unwrap());
        app.patch_json(&fresh, &token, json!({"status": "disabled"}))
            .await;
        let (_, body) = app
            .patch_json(&fresh, &token, json!({"status": "active"}))
            .await;
        assert_eq!(body["status"], "invited");
    }
}

// ---- grants ----

#[tokio::test]
async fn only_owners_grant_and_revoke_owner() {
    for app in TestApp::all_backends().await {
        let (owner, owner_token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
        let target = app.user("t@example.test", Role::Contributor).await;
        let grants = format!("/users/{}/grants", target.id);
        let org = json!({"kind": "organisation"});

        let (status, _) = app
            .post_json(
                "/users",
                &admin,
                json!({"email": "o2@example.test", "name": "O", "role": "owner"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .post_json(&grants, &admin, json!({"role": "owner", "scope": org}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (status, granted) = app
            .post_json(
                &grants,
                &owner_token,
                json!({"role": "owner", "scope": org}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{granted}");
        assert_eq!(granted["granted_by"], json!(owner.id));
        let grant_path = format!("/grants/{}", granted["id"].as_str().unwrap());

        let (status, _) = app.delete(&grant_path, &admin).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.delete(&grant_path, &owner_token).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let event = app.last_audit_event().await.unwrap();
        assert_eq!(event.entry.action, "grant.revoke");
        assert_eq!(event.entry.target_id, Some(target.id.to_string()));

        // Admins grant and revoke everything else.
        let (status, granted) = app
            .post_json(&grants, &admin, json!({"role": "approver", "scope": org}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body) = app
            .post_json(&grants, &admin, json!({"role": "approver", "scope": org}))
            .await;
        assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "conflict"));
        let (_, list) = app.get(&grants, &admin).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        let (status, _) = app
            .delete(
                &format!("/grants/{}", granted["id"].as_str().unwrap()),
                &admin,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

#[tokio::test]
async fn the_last_owner_stays() {
    for app in TestApp::all_backends().await {
        let (owner, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let grant = app.store().grants_of(owner.id).await.unwrap()[0].id;
        let head = app.audit_head().await;
        let (status, body) = app.delete(&format!("/grants/{grant}"), &token).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "conflict"),
            "{body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("last Owner")
        );
        assert_eq!(app.audit_head().await, head);
        assert_eq!(app.get("/me", &token).await.1["is_owner"], true);
    }
}

#[tokio::test]
async fn grant_scopes_must_exist_and_fit_the_role() {
    let app = TestApp::sqlite().await;
    let (_, owner) = app.user_with_token("owner@example.test", Role::Owner).await;
    let target = app.user("t@example.test", Role::Contributor).await;
    let ws = app.workspace("EMEA").await;
    let ch = app.channel(&ws, "news").await;
    let grants = format!("/users/{}/grants", target.id);
    let missing = uuid::Uuid::now_v7();

    for (body, want_code, want_field) in [
        (
            json!({"role": "publisher", "scope": {"kind": "workspace", "id": missing}}),
            "unknown_scope_target",
            "scope.id",
        ),
        (
            json!({"role": "publisher", "scope": {"kind": "channel", "id": missing}}),
            "unknown_scope_target",
            "scope.id",
        ),
        (
            json!({"role": "publisher", "scope": {"kind": "channel"}}),
            "required",
            "scope.id",
        ),
        (
            json!({"role": "publisher", "scope": {"kind": "organisation", "id": ws.id}}),
            "unexpected_id",
            "scope.id",
        ),
        (
            json!({"role": "owner", "scope": {"kind": "workspace", "id": ws.id}}),
            "owner_scope",
            "scope",
        ),
        (json!({"role": "publisher"}), "missing_field", "scope"),
        (
            json!({"role": "boss", "scope": {"kind": "organisation"}}),
            "invalid_role",
            "role",
        ),
    ] {
        let (status, res) = app.post_json(&grants, &owner, body.clone()).await;
        assert_eq!(
            (status, code(&res), field(&res)),
            (StatusCode::UNPROCESSABLE_ENTITY, want_code, want_field),
            "{body}"
        );
    }
    let (status, body) = app
        .post_json(
            &grants,
            &owner,
            json!({"role": "publisher", "scope": {"kind": "workspace", "id": ws.id}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["scope"], json!({"kind": "workspace", "id": ws.id}));
    let (status, _) = app
        .post_json(
            &grants,
            &owner,
            json!({"role": "community_agent", "scope": {"kind": "channel", "id": ch.id}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post_json(
            &format!("/users/{missing}/grants"),
            &owner,
            json!({"role": "publisher", "scope": {"kind": "organisation"}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---- scoped tokens ----

#[tokio::test]
async fn scoped_tokens_only_narrow() {
    for app in TestApp::all_backends().await {
        let owner = app.user("owner@example.test", Role::Owner).await;
        let read_only = app.scoped_token(&owner, &[Permission::UsersRead]).await;

        assert_eq!(app.get("/users", &read_only).await.0, StatusCode::OK);
        let (status, body) = app
            .post_json("/users", &read_only, new_user("x@example.test"))
            .await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(
            app.get("/audit-events", &read_only).await.0,
            StatusCode::FORBIDDEN
        );

        let (_, me) = app.get("/me", &read_only).await;
        assert_eq!(me["permissions"], json!(["users:read"]));
        assert_eq!(me["is_owner"], false);

        // A scoped token cannot mint a wider one.
        let (status, body) = app
            .post_json(
                "/tokens",
                &read_only,
                json!({"name": "wider", "scopes": ["users:manage"]}),
            )
            .await;
        assert_eq!(
            (status, code(&body), field(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "scope_not_held", "scopes")
        );
        let (status, body) = app
            .post_json("/tokens", &read_only, json!({"name": "unscoped?"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            body["scopes"],
            json!(["users:read"]),
            "inherits the caller's scopes"
        );
        let minted = body["token"].as_str().unwrap();
        let (status, _) = app
            .post_json("/users", minted, new_user("y@example.test"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

// ---- tokens ----

#[tokio::test]
async fn tokens_are_created_listed_and_revoked() {
    let app = TestApp::sqlite().await;
    let (analyst, token) = app.user_with_token("an@example.test", Role::Analyst).await;
    let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;

    let (status, body) = app
        .post_json(
            "/tokens",
            &token,
            json!({"name": "Reports", "scopes": ["analytics:read", "inbox:read"], "expires_in_days": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let secret = body["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("owl_"));
    assert_eq!(body["scopes"], json!(["analytics:read", "inbox:read"]));
    assert_eq!(body["name"], "Reports");
    let id = body["id"].as_str().unwrap().to_owned();
    let (_, me) = app.get("/me", &secret).await;
    assert_eq!(me["user"]["id"], json!(analyst.id));

    let (status, list) = app.get("/tokens", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(
        !list.to_string().contains(&secret),
        "secrets are shown once"
    );

    for (body, want_code, want_field) in [
        (
            json!({"name": "x", "expires_in_days": 0}),
            "out_of_range",
            "expires_in_days",
        ),
        (
            json!({"name": "x", "expires_in_days": 400}),
            "out_of_range",
            "expires_in_days",
        ),
        (
            json!({"name": "x", "scopes": ["users:destroy"]}),
            "unknown_scope",
            "scopes",
        ),
        (
            json!({"name": "x", "scopes": ["users:read"]}),
            "scope_not_held",
            "scopes",
        ),
        (json!({"name": ""}), "required", "name"),
        (
            json!({"name": "x", "expires_in_days": "soon"}),
            "invalid_field",
            "expires_in_days",
        ),
    ] {
        let (status, res) = app.post_json("/tokens", &token, body.clone()).await;
        assert_eq!(
            (status, code(&res), field(&res)),
            (StatusCode::UNPROCESSABLE_ENTITY, want_code, want_field),
            "{body}"
        );
    }

    // Someone else's token needs users:manage.
    let (_, other) = app
        .user_with_token("other@example.test", Role::Publisher)
        .await;
    let (status, _) = app.delete(&format!("/tokens/{id}"), &other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.delete(&format!("/tokens/{id}"), &admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/me", &secret).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = app.delete(&format!("/tokens/{id}"), &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "revoking twice is fine");
    let (status, _) = app
        .delete(&format!("/tokens/{}", uuid::Uuid::now_v7()), &token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---- teams, workspaces, channels ----

#[tokio::test]
async fn teams_and_members() {
    let app = TestApp::sqlite().await;
    let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
    let (_, agent) = app
        .user_with_token("agent@example.test", Role::CommunityAgent)
        .await;
    let member = app.user("m@example.test", Role::CommunityAgent).await;

    let (status, team) = app
        .post_json("/teams", &admin, json!({"name": "Care"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .post_json("/teams", &admin, json!({"name": "care"}))
        .await;
    assert_eq!((status, field(&body)), (StatusCode::CONFLICT, "name"));
    let members = format!(
        "/teams/{}/members/{}",
        team["id"].as_str().unwrap(),
        member.id
    );
    assert_eq!(app.put(&members, &admin).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.put(&members, &admin).await.0, StatusCode::NO_CONTENT);
    let (status, list) = app.get("/teams", &agent).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"][0]["member_ids"], json!([member.id]));
    assert_eq!(app.delete(&members, &admin).await.0, StatusCode::NO_CONTENT);
    let (_, list) = app.get("/teams", &agent).await;
    assert_eq!(list["items"][0]["member_ids"], json!([]));

    let missing = uuid::Uuid::now_v7();
    let (status, _) = app
        .put(&format!("/teams/{missing}/members/{}", member.id), &admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .put(
            &format!("/teams/{}/members/{missing}", team["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn workspaces_are_shown_to_those_who_work_in_them() {
    let app = TestApp::sqlite().await;
    let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
    let (status, emea) = app
        .post_json("/workspaces", &admin, json!({"name": "EMEA"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .post_json("/workspaces", &admin, json!({"name": "emea"}))
        .await;
    assert_eq!((status, field(&body)), (StatusCode::CONFLICT, "name"));
    let (_, _apac) = app
        .post_json("/workspaces", &admin, json!({"name": "APAC"}))
        .await;
    let (_, all) = app.get("/workspaces", &admin).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);

    let emea_id = owlery_domain::WorkspaceId::parse(emea["id"].as_str().unwrap()).unwrap();
    let local = app
        .user_with_grants(
            "local@example.test",
            &[Grant {
                role: Role::Publisher,
                scope: Scope::Workspace(emea_id),
            }],
        )
        .await;
    let local = app.token(&local).await;
    let (status, mine) = app.get("/workspaces", &local).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["name"], "EMEA");
    let (status, _) = app
        .post_json("/workspaces", &local, json!({"name": "Mine"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn channels_are_sandbox_only_for_now_and_filtered_per_reader() {
    for app in TestApp::all_backends().await {
        let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
        let emea = app.workspace("EMEA").await;
        let apac = app.workspace("APAC").await;

        let (status, ch) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": emea.id, "network": "sandbox", "name": "News", "handle": "@news"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ch}");
        assert_eq!(ch["handle"], "news");
        assert_eq!(ch["status"], "connected");
        assert_eq!(ch["network"], "sandbox");

        let (status, body) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": emea.id, "network": "bluesky", "name": "B", "handle": "b"}),
            )
            .await;
        assert_eq!(
            (status, code(&body), field(&body)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_network",
                "network"
            )
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("come later")
        );
        let (status, body) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": uuid::Uuid::now_v7(), "network": "sandbox", "name": "X", "handle": "x"}),
            )
            .await;
        assert_eq!(
            (status, code(&body), field(&body)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_workspace",
                "workspace_id"
            )
        );
        let (status, body) = app
            .post_json(
                "/channels",
                &admin,
                json!({"workspace_id": emea.id, "network": "sandbox", "name": "News 2", "handle": "news"}),
            )
            .await;
        assert_eq!((status, field(&body)), (StatusCode::CONFLICT, "handle"));

        let other = app.channel(&apac, "apac_news").await;
        let (_, all) = app.get("/channels", &admin).await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let (_, only) = app
            .get(&format!("/channels?workspace_id={}", apac.id), &admin)
            .await;
        assert_eq!(only["items"][0]["id"], json!(other.id));
        assert_eq!(only["items"].as_array().unwrap().len(), 1);
        let (status, body) = app.get("/channels?workspace_id=nope", &admin).await;
        assert_eq!(
            (status, code(&body), field(&body)),
            (StatusCode::BAD_REQUEST, "invalid_id", "workspace_id")
        );

        // A channel-scoped agent reads their channel only.
        let agent = app
            .user_with_grants(
                "agent@example.test",
                &[Grant {
                    role: Role::CommunityAgent,
                    scope: Scope::Channel(other.id),
                }],
            )
            .await;
        let agent = app.token(&agent).await;
        let (status, mine) = app.get("/channels", &agent).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        assert_eq!(mine["items"][0]["handle"], "apac_news");
    }
}

// ---- audit ----

/// Every mutation through the API records who did it and from where.
#[tokio::test]
async fn every_mutation_is_audited_with_actor_and_ip() {
    for app in TestApp::all_backends().await {
        let (owner, token) = app.user_with_token("owner@example.test", Role::Owner).await;
        let ws = app.workspace("EMEA").await;
        let target = app.user("t@example.test", Role::Contributor).await;
        let team = app.team("Care").await;
        let spare = app.token(&owner).await;
        let (_, spare_info) = app.get("/me", &spare).await;
        let spare_id = spare_info["token"]["id"].as_str().unwrap().to_owned();
        let grant = app.store().grants_of(target.id).await.unwrap()[0].id;

        let steps: Vec<(Method, String, Option<Value>, &str)> = vec![
            (
                Method::POST,
                "/users".into(),
                Some(
                    json!({"email": "n@example.test", "name": "N", "role": "analyst", "password": "long enough password"}),
                ),
                "user.create",
            ),
            (
                Method::PATCH,
                format!("/users/{}", target.id),
                Some(json!({"status": "disabled"})),
                "user.disable",
            ),
            (
                Method::PATCH,
                format!("/users/{}", target.id),
                Some(json!({"name": "Tee"})),
                "user.profile",
            ),
            (
                Method::POST,
                format!("/users/{}/grants", target.id),
                Some(json!({"role": "analyst", "scope": {"kind": "workspace", "id": ws.id}})),
                "grant.create",
            ),
            (
                Method::DELETE,
                format!("/grants/{grant}"),
                None,
                "grant.revoke",
            ),
            (
                Method::POST,
                "/teams".into(),
                Some(json!({"name": "Press"})),
                "team.create",
            ),
            (
                Method::PUT,
                format!("/teams/{}/members/{}", team.id, target.id),
                None,
                "team.member.add",
            ),
            (
                Method::DELETE,
                format!("/teams/{}/members/{}", team.id, target.id),
                None,
                "team.member.remove",
            ),
            (
                Method::POST,
                "/workspaces".into(),
                Some(json!({"name": "APAC"})),
                "workspace.create",
            ),
            (
                Method::POST,
                "/channels".into(),
                Some(
                    json!({"workspace_id": ws.id, "network": "sandbox", "name": "News", "handle": "news"}),
                ),
                "channel.create",
            ),
            (
                Method::POST,
                "/tokens".into(),
                Some(json!({"name": "CI"})),
                "token.create",
            ),
            (
                Method::DELETE,
                format!("/tokens/{spare_id}"),
                None,
                "token.revoke",
            ),
        ];
        for (method, path, body, action) in steps {
            let before = app.audit_head().await;
            let (status, res) = app.api(method.clone(), &path, Some(&token), body).await;
            assert!(status.is_success(), "{method} {path}: {status} {res}");
            let event = app.last_audit_event().await.unwrap();
            assert!(event.seq > before, "{method} {path} wrote no audit event");
            assert_eq!(event.entry.action, action, "{method} {path}");
            assert_eq!(event.entry.actor_id, Some(owner.id.to_string()));
            assert_eq!(event.entry.actor_label, "owner@example.test");
            assert_eq!(event.entry.ip.as_deref(), Some(TEST_IP_TEXT));
        }
        // The invite link is audited too.
        app.post_json("/users", &token, new_user("inv@example.test"))
            .await;
        assert_eq!(
            app.last_audit_event().await.unwrap().entry.action,
            "link.setup.create"
        );
        let report = app.store().verify_audit_chain().await.unwrap();
        assert_eq!(report.result, Ok(()));
    }
}

#[tokio::test]
async fn audit_events_filter_and_page_newest_first() {
    for app in TestApp::all_backends().await {
        let (_, token) = app
            .user_with_token("auditor@example.test", Role::Auditor)
            .await;
        let (_, admin) = app.user_with_token("admin@example.test", Role::Admin).await;
        for i in 0..5 {
            app.post_json("/workspaces", &admin, json!({"name": format!("W{i}")}))
                .await;
        }
        let (status, body) = app
            .get("/audit-events?action=workspace.create&limit=2", &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut names = Vec::new();
        let mut body = body;
        loop {
            for e in body["items"].as_array().unwrap() {
                assert_eq!(e["action"], "workspace.create");
                assert_eq!(e["actor_label"], "admin@example.test");
                assert_eq!(e["ip"], TEST_IP_TEXT);
                names.push(e["after"]["name"].as_str().unwrap().to_owned());
            }
            let Some(c) = body["next_cursor"].as_str() else {
                break;
            };
            let (status, next) = app
                .get(
                    &format!("/audit-events?action=workspace.create&limit=2&cursor={c}"),
                    &token,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            body = next;
        }
        assert_eq!(names, ["W4", "W3", "W2", "W1", "W0"]);

        let (_, by_prefix) = app.get("/audit-events?action=user.", &token).await;
        assert_eq!(by_prefix["items"].as_array().unwrap().len(), 2);
        let (_, by_actor) = app
            .get("/audit-events?actor=admin%40example.test", &token)
            .await;
        assert_eq!(by_actor["items"].as_array().unwrap().len(), 5);
        let future = (app.store().now() + Duration::hours(1)).to_rfc3339();
        let (status, none) = app
            .get(
                &format!("/audit-events?from={}", future.replace('+', "%2B")),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{none}");
        assert_eq!(none["items"], json!([]));
        let (status, body) = app.get("/audit-events?to=yesterday", &token).await;
        assert_eq!(
            (status, code(&body), field(&body)),
            (StatusCode::BAD_REQUEST, "invalid_parameter", "to")
        );
        let (status, _) = app.get("/audit-events", &admin).await;
        assert_eq!(status, StatusCode::OK);
        let (_, publisher) = app.user_with_token("p@example.test", Role::Publisher).await;
        assert_eq!(
            app.get("/audit-events", &publisher).await.0,
            StatusCode::FORBIDDEN
        );
    }
}

/// A disabled person's status through the store (not the API) also stops their token.
#[tokio::test]
async fn store_side_disable_stops_tokens() {
    let app = TestApp::sqlite().await;
    let (user, token) = app.user_with_token("x@example.test", Role::Analyst).await;
    app.store()
        .set_user_status(&Actor::cli(), user.id, UserStatus::Disabled)
        .await
        .unwrap();
    let (status, body) = app.get("/me", &token).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "account_disabled")
    );
}

/// A cheap fuzzer for the JSON edge: random bytes and randomly shaped JSON sent to every write
/// endpoint never get a 5xx; every refusal is a JSON error and writes nothing. (A random body can
/// happen to be valid, e.g. a team with a random name: that is allowed to succeed.)
#[tokio::test]
async fn junk_bodies_never_reach_a_500() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let app = TestApp::sqlite().await;
    let (_, token) = app.user_with_token("fuzz@example.test", Role::Owner).await;
    let ws = app.workspace("Fuzz WS").await;
    let endpoints = [
        (Method::POST, "/users".to_owned()),
        (Method::POST, "/teams".to_owned()),
        (Method::POST, "/workspaces".to_owned()),
        (Method::POST, "/channels".to_owned()),
        (Method::POST, "/tokens".to_owned()),
        (Method::PATCH, format!("/users/{}", ws.id)),
    ];
    let mut rng = StdRng::seed_from_u64(2026);
    let mut refused = 0;
    for i in 0..400 {
        let head = app.audit_head().await;
        let (method, path) = &endpoints[i % endpoints.len()];
        let body: Vec<u8> = match i % 4 {
            0 => (0..rng.gen_range(0..200))
                .map(|_| rng.r#gen::<u8>())
                .collect(),
            1 => random_json(&mut rng, 3).to_string().into_bytes(),
            2 => {
                let keys = [
                    "email",
                    "name",
                    "role",
                    "scope",
                    "network",
                    "workspace_id",
                    "handle",
                    "scopes",
                    "status",
                    "expires_in_days",
                ];
                let mut obj = serde_json::Map::new();
                for _ in 0..rng.gen_range(0..5) {
                    obj.insert(
                        keys[rng.gen_range(0..keys.len())].to_owned(),
                        random_json(&mut rng, 2),
                    );
                }
                Value::Object(obj).to_string().into_bytes()
            }
            _ => {
                let mut s = random_json(&mut rng, 3).to_string().into_bytes();
                s.truncate(rng.gen_range(0..=s.len()));
                s
            }
        };
        let (status, json) = app
            .api_raw(
                method.clone(),
                path,
                &token,
                Some("application/json"),
                body.clone(),
            )
            .await;
        assert!(
            !status.is_server_error(),
            "{method} {path} with {:?} answered {status}: {json}",
            String::from_utf8_lossy(&body)
        );
        if status.is_client_error() {
            refused += 1;
            assert!(
                json["error"]["code"].is_string(),
                "{method} {path}: not a JSON error: {json}"
            );
            assert_eq!(
                app.audit_head().await,
                head,
                "a refused request wrote nothing"
            );
        }
    }
    assert!(refused > 300, "most junk is refused ({refused}/400)");
}

fn random_json(rng: &mut rand::rngs::StdRng, depth: u32) -> Value {
    use rand::Rng;
    match rng.gen_range(0..if depth == 0 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.r#gen()),
        2 => json!(rng.r#gen::<i64>()),
        3 => json!(rng.r#gen::<f64>()),
        4 => {
            let len = rng.gen_range(0..12);
            Value::String(
                (0..len)
                    .map(|_| char::from_u32(rng.gen_range(0x20..0x2FFF)).unwrap_or('?'))
                    .collect(),
            )
        }
        5 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for i in 0..rng.gen_range(0..4) {
                m.insert(format!("k{i}"), random_json(rng, depth - 1));
            }
            Value::Object(m)
        }
    }
}

#[tokio::test]
async fn drafts_are_validated_the_way_each_network_counts() {
    let app = TestApp::sqlite().await;
    let (_, token) = app
        .user_with_token("writer@example.test", Role::Contributor)
        .await;
    let (status, specs) = app.get("/network-specs", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(specs["version"].is_string());
    let networks: Vec<&str> = specs["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    for n in [
        "x",
        "bluesky",
        "mastodon",
        "instagram",
        "linkedin",
        "sandbox",
    ] {
        assert!(networks.contains(&n), "{n} in {networks:?}");
    }

    // 260 letters + a URL (23) = 284 weighted on X: too long, though it is 260 + 28 characters.
    let text = format!("{} https://example.com/abc", "a".repeat(260));
    let (status, body) = app
        .post_json(
            "/validate",
            &token,
            json!({"network": "x", "placement": "post", "texts": {"text": text}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], false);
    assert_eq!(body["findings"][0]["code"], "text_too_long");
    assert_eq!(body["findings"][0]["actual"], 284);
    assert_eq!(body["findings"][0]["limit"], 280);

    // The same text fits Mastodon's default 500, and a Bluesky image without alt text does not pass.
    let (_, body) = app
        .post_json(
            "/validate",
            &token,
            json!({"network": "mastodon", "placement": "status", "texts": {"status": text}}),
        )
        .await;
    assert_eq!(body["ok"], true, "{body}");
    let (_, body) = app
        .post_json(
            "/validate",
            &token,
            json!({"network": "bluesky", "placement": "post", "texts": {"text": "hi"},
                   "media": [{"kind": "image", "bytes": 500000, "width": 1000, "height": 1000, "format": "jpeg"}]}),
        )
        .await;
    assert!(
        body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "alt_required"),
        "{body}"
    );

    let (status, body) = app
        .post_json(
            "/validate",
            &token,
            json!({"network": "x", "placement": "reel"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "unknown_placement")
    );
    let (status, body) = app
        .post_json(
            "/validate",
            &token,
            json!({"network": "x", "placement": "post", "media": [{"kind": "hologram", "bytes": 1, "width": 1, "height": 1, "format": "x"}]}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_media_kind")
    );
}
