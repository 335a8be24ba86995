//! The browser UI over HTTP, in process: sign-in with lockout and the second factor, password
//! reset, setup links, settings pages and their permission checks, CSRF, the audit log.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use owlery_domain::{
    Grant, Role, Scope,
    audit::Actor,
    user::{DisplayName, Email},
};
use owlery_store::{Store, testing::TestDb, users::NewUser, vault::Vault};
use owlery_web::{AppState, WebConfig, auth::password::hash_blocking};
use tower::ServiceExt;

/// A minimal browser: keeps cookies, follows nothing, reads CSRF tokens from pages.
struct Browser {
    app: Router,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Browser {
    fn new(app: Router) -> Self {
        Self {
            app,
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    async fn send(&mut self, req: Request<Body>) -> Page {
        let res = self.app.clone().oneshot(req).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap();
        if let Some(token) = extract(&body, "name=\"csrf_token\" value=\"", "\"") {
            self.csrf = token;
        }
        Page {
            status,
            location,
            body,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// Post a form with the page's CSRF token.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("csrf_token", &csrf));
        self.post_raw(path, &all).await
    }

    async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/signin").await;
        self.post(
            "/signin",
            &[("email", email), ("password", password), ("next", "/")],
        )
        .await
    }
}

fn extract(body: &str, start: &str, end: &str) -> Option<String> {
    let i = body.find(start)? + start.len();
    let j = body[i..].find(end)?;
    Some(body[i..i + j].to_owned())
}

const PASSWORD: &str = "correct horse battery staple";

struct Fixture {
    store: Store,
    app: Router,
    _db: TestDb,
}

async fn fixture_on(db: TestDb) -> Fixture {
    let store = db.store.clone();
    let org = store
        .ensure_organisation(&Actor::cli(), "Northwind")
        .await
        .unwrap();
    for (email, role) in [
        ("owner@example.test", Role::Owner),
        ("analyst@example.test", Role::Analyst),
        ("contributor@example.test", Role::Contributor),
        ("auditor@example.test", Role::Auditor),
    ] {
        store
            .create_user(
                &Actor::cli(),
                org.id,
                NewUser {
                    email: Email::parse(email).unwrap(),
                    name: DisplayName::parse("name", &format!("{role:?} Person")).unwrap(),
                    password_hash: Some(hash_blocking(PASSWORD).unwrap()),
                    language: "en".into(),
                    time_zone: "Europe/Sofia".into(),
                },
                &[Grant {
                    role,
                    scope: Scope::Organisation,
                }],
            )
            .await
            .unwrap();
    }
    let config = WebConfig {
        mail_enabled: true,
        public_url: "http://owlery.test".into(),
        ..Default::default()
    };
    let app = owlery_web::router(AppState::new(
        store.clone(),
        Arc::new(Vault::ephemeral()),
        config,
    ));
    Fixture {
        store,
        app,
        _db: db,
    }
}

async fn fixture() -> Fixture {
    fixture_on(owlery_store::testing::sqlite().await.unwrap()).await
}

#[tokio::test]
async fn sign_in_and_out_on_both_backends() {
    for db in owlery_store::testing::all_backends().await.unwrap() {
        let f = fixture_on(db).await;
        let mut b = Browser::new(f.app.clone());
        let res = b.get("/").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(res.location.unwrap().starts_with("/signin?next="));

        let res = b.sign_in("Owner@Example.test", PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location.as_deref(), Some("/"));
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("Northwind"));

        let out = b.post("/signout", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER, "signed out");
        let signins = f
            .store
            .audit_events(
                &owlery_store::audit::AuditFilter {
                    action: Some("session.signin".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(signins.len(), 1);
        assert_eq!(signins[0].entry.actor_label, "owner@example.test");
    }
}

#[tokio::test]
async fn forms_without_csrf_are_refused_and_change_nothing() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.get("/signin").await;
    let res = b
        .post_raw(
            "/signin",
            &[("email", "owner@example.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(!b.cookies.contains_key("owlery_session"));

    b.sign_in("owner@example.test", PASSWORD).await;
    b.get("/settings/workspaces").await;
    let before = f.store.list_workspaces().await.unwrap().len();
    let res = b
        .post_raw(
            "/settings/workspaces",
            &[("name", "Sneaky"), ("csrf_token", "forged")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(f.store.list_workspaces().await.unwrap().len(), before);
    let ok = b.post("/settings/workspaces", &[("name", "EMEA")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(f.store.list_workspaces().await.unwrap().len(), before + 1);
}

#[tokio::test]
async fn wrong_passwords_lock_the_account() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    let res = b
        .sign_in("owner@example.test", "not the password at all")
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(
        res.body.contains("not right") || res.body.contains("incorrect"),
        "{}",
        res.body
    );
    let unknown = b.sign_in("nobody@example.test", PASSWORD).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNAUTHORIZED,
        "unknown accounts read the same"
    );
    for _ in 0..4 {
        b.sign_in("owner@example.test", "still not the password")
            .await;
    }
    let locked = b.sign_in("owner@example.test", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert!(!b.cookies.contains_key("owlery_session"));
    let missing = b.sign_in("", "").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn totp_secret_from(body: &str) -> Vec<u8> {
    let grouped = extract(body, "data-secret=\"", "\"")
        .or_else(|| {
            extract(body, "class=\"secret mono\"", "</p>")
                .and_then(|s| s.split_once('>').map(|(_, v)| v.to_owned()))
        })
        .or_else(|| extract(body, "<code class=\"totp-secret\">", "<"))
        .expect("the enrolment page shows the secret");
    let b32: String = grouped.chars().filter(|c| !c.is_whitespace()).collect();
    base32_decode(&b32)
}

fn base32_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').bytes() {
        let v = A
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32") as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

#[tokio::test]
async fn two_factor_enrolment_sign_in_and_recovery_codes() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_in("owner@example.test", PASSWORD).await;
    let enrol = b.get("/account/2fa").await;
    assert_eq!(enrol.status, StatusCode::OK);
    assert!(enrol.body.contains("<svg"), "a QR code is shown");
    let secret = totp_secret_from(&enrol.body);

    let wrong = b.post("/account/2fa", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = owlery_domain::totp::code_at(&secret, chrono::Utc::now()).unwrap();
    let done = b.post("/account/2fa", &[("code", &code)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes: Vec<String> = done
        .body
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.len() == 14 && w.matches('-').count() == 2)
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes are shown once");

    b.post("/signout", &[]).await;
    let step1 = b.sign_in("owner@example.test", PASSWORD).await;
    assert_eq!(step1.location.as_deref(), Some("/signin/2fa"));
    assert_eq!(
        b.get("/").await.location.as_deref(),
        Some("/signin/2fa"),
        "half signed-in cannot see pages"
    );
    b.get("/signin/2fa").await;
    let replay = b.post("/signin/2fa", &[("code", &code)]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "a code works once");
    let bad = b.post("/signin/2fa", &[("code", "12ab")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = b.post("/signin/2fa", &[("code", &codes[0])]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location.as_deref(), Some("/"));
    assert_eq!(b.get("/").await.status, StatusCode::OK);

    b.post("/signout", &[]).await;
    b.sign_in("owner@example.test", PASSWORD).await;
    b.get("/signin/2fa").await;
    assert_eq!(
        b.post("/signin/2fa", &[("code", &codes[0])]).await.status,
        StatusCode::UNAUTHORIZED,
        "recovery codes work once"
    );
    assert_eq!(
        b.post("/signin/2fa", &[("code", &codes[1])]).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn policy_can_require_two_factor() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_in("owner@example.test", PASSWORD).await;
    b.get("/settings/security").await;
    let saved = b
        .post(
            "/settings/security",
            &[
                ("require_2fa", "roles"),
                ("require_2fa_roles", "analyst"),
                ("session_lifetime_hours", "8"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let bad = b
        .post(
            "/settings/security",
            &[("require_2fa", "roles"), ("session_lifetime_hours", "0")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut analyst = Browser::new(f.app.clone());
    let res = analyst.sign_in("analyst@example.test", PASSWORD).await;
    assert_eq!(res.location.as_deref(), Some("/account/2fa"));
    assert_eq!(
        analyst.get("/").await.location.as_deref(),
        Some("/account/2fa"),
        "only enrolment is reachable"
    );
    let enrol = analyst.get("/account/2fa").await;
    let secret = totp_secret_from(&enrol.body);
    let code = owlery_domain::totp::code_at(&secret, chrono::Utc::now()).unwrap();
    assert_eq!(
        analyst
            .post("/account/2fa", &[("code", &code)])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        analyst.get("/").await.status,
        StatusCode::OK,
        "enrolment completes the sign-in"
    );
}

#[tokio::test]
async fn password_reset_by_email_link() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.get("/forgot-password").await;
    let sent = b
        .post("/forgot-password", &[("email", "owner@example.test")])
        .await;
    assert_eq!(sent.status, StatusCode::OK);
    let neutral = b
        .post("/forgot-password", &[("email", "nobody@example.test")])
        .await;
    assert_eq!(neutral.status, StatusCode::OK);
    assert_eq!(
        neutral.body.len(),
        sent.body.len(),
        "the answer does not reveal who has an account"
    );

    let job = f
        .store
        .claim_job(
            "t",
            &[owlery_domain::mail::JOB_KIND],
            chrono::Duration::minutes(1),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        f.store
            .claim_job(
                "t",
                &[owlery_domain::mail::JOB_KIND],
                chrono::Duration::minutes(1)
            )
            .await
            .unwrap()
            .is_none(),
        "one mail only"
    );
    let mail: owlery_domain::mail::OutgoingMail = serde_json::from_value(job.payload).unwrap();
    assert_eq!(mail.to, "owner@example.test");
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.starts_with("http://owlery.test/reset-password/"))
        .unwrap()
        .to_owned();
    let path = link.trim_start_matches("http://owlery.test");

    let mut other = Browser::new(f.app.clone());
    other.sign_in("owner@example.test", PASSWORD).await;
    assert_eq!(other.get("/").await.status, StatusCode::OK);

    assert_eq!(b.get(path).await.status, StatusCode::OK);
    let short = b
        .post(
            path,
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let new_pw = "a brand new passphrase";
    let done = b
        .post(path, &[("password", new_pw), ("password_confirm", new_pw)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        b.get(path).await.status,
        StatusCode::GONE,
        "a reset link works once"
    );
    assert_eq!(
        other.get("/").await.status,
        StatusCode::SEE_OTHER,
        "a reset ends other sessions"
    );
    assert_eq!(
        b.sign_in("owner@example.test", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.sign_in("owner@example.test", new_pw).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        b.get("/reset-password/not-a-real-token").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn creating_a_user_gives_a_setup_link() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_in("owner@example.test", PASSWORD).await;
    b.get("/settings/users").await;
    let bad = b
        .post(
            "/settings/users",
            &[
                ("email", "not-an-email"),
                ("name", "X"),
                ("role", "publisher"),
                ("scope", "org"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let dup = b
        .post(
            "/settings/users",
            &[
                ("email", "analyst@example.test"),
                ("name", "X"),
                ("role", "publisher"),
                ("scope", "org"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = b
        .post(
            "/settings/users",
            &[
                ("email", "new@example.test"),
                ("name", "Nia New"),
                ("role", "publisher"),
                ("scope", "org"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let link = extract(&res.body, "http://owlery.test/setup/", "\"").unwrap();
    let path = format!("/setup/{link}");

    let mut newbie = Browser::new(f.app.clone());
    let form = newbie.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("new@example.test"));
    let pw = "my own long passphrase";
    let done = newbie
        .post(
            &path,
            &[
                ("name", "Nia New"),
                ("password", pw),
                ("password_confirm", pw),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        newbie.get("/").await.status,
        StatusCode::OK,
        "set up and signed in"
    );
    let mut again = Browser::new(f.app.clone());
    assert_eq!(again.get(&path).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn settings_pages_check_permissions() {
    let f = fixture().await;
    let mut analyst = Browser::new(f.app.clone());
    analyst.sign_in("analyst@example.test", PASSWORD).await;
    for path in [
        "/settings/users",
        "/settings/security",
        "/settings/organisation",
        "/settings/audit",
        "/settings/audit.csv",
    ] {
        assert_eq!(
            analyst.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        analyst.get("/settings/workspaces").await.status,
        StatusCode::OK
    );
    let before = f.store.list_workspaces().await.unwrap().len();
    assert_eq!(
        analyst
            .post("/settings/workspaces", &[("name", "Nope")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(f.store.list_workspaces().await.unwrap().len(), before);

    let mut auditor = Browser::new(f.app.clone());
    auditor.sign_in("auditor@example.test", PASSWORD).await;
    assert_eq!(auditor.get("/settings/audit").await.status, StatusCode::OK);
    assert_eq!(
        auditor.get("/settings/security").await.status,
        StatusCode::FORBIDDEN
    );

    let mut owner = Browser::new(f.app.clone());
    owner.sign_in("owner@example.test", PASSWORD).await;
    for path in [
        "/",
        "/publish",
        "/inbox",
        "/crisis",
        "/oncall",
        "/analytics",
        "/governance",
        "/account",
        "/account/tokens",
        "/settings/users",
        "/settings/teams",
        "/settings/workspaces",
        "/settings/security",
        "/settings/organisation",
        "/settings/audit",
    ] {
        let p = owner.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
        assert!(p.body.contains("<main"), "{path} renders the layout");
    }
    assert_eq!(
        owner.get("/no/such/page").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        owner.get("/settings/users/not-a-uuid").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn grants_teams_channels_and_the_audit_log() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_in("owner@example.test", PASSWORD).await;
    b.get("/settings/workspaces").await;
    b.post("/settings/workspaces", &[("name", "Brand EU")])
        .await;
    let ws = f.store.list_workspaces().await.unwrap().remove(0);
    let res = b
        .post(
            "/settings/channels",
            &[("workspace_id", &ws.id.to_string()), ("name", "EU News")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let ch = f.store.list_channels(Some(ws.id)).await.unwrap();
    assert_eq!(ch[0].handle, "eu_news");

    let analyst = f
        .store
        .credentials_by_email("analyst@example.test")
        .await
        .unwrap()
        .unwrap()
        .user;
    let detail = format!("/settings/users/{}", analyst.id);
    assert_eq!(b.get(&detail).await.status, StatusCode::OK);
    let g = b
        .post(
            &format!("{detail}/grants"),
            &[
                ("role", "community_agent"),
                ("scope", &format!("workspace:{}", ws.id)),
            ],
        )
        .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    let again = b
        .post(
            &format!("{detail}/grants"),
            &[
                ("role", "community_agent"),
                ("scope", &format!("workspace:{}", ws.id)),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(f.store.grants_of(analyst.id).await.unwrap().len(), 2);

    b.get("/settings/teams").await;
    b.post("/settings/teams", &[("name", "Care EMEA")]).await;
    let team = f.store.list_teams().await.unwrap().remove(0);
    b.post(
        &format!("/settings/teams/{}/members", team.id),
        &[("user_id", &analyst.id.to_string())],
    )
    .await;
    assert_eq!(
        f.store.list_teams().await.unwrap()[0].member_ids,
        vec![analyst.id]
    );

    let disable = b.post(&format!("{detail}/disable"), &[]).await;
    assert_eq!(disable.status, StatusCode::SEE_OTHER);
    let mut gone = Browser::new(f.app.clone());
    assert_eq!(
        gone.sign_in("analyst@example.test", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );

    let audit = b.get("/settings/audit?action=grant.").await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("grant.create"));
    let csv = b.get("/settings/audit.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("seq,at,actor,action"));
    assert!(csv.body.contains("user.disable"));
    f.store
        .execute_raw_for_tests("UPDATE audit_events SET action = 'forged' WHERE seq = 2")
        .await
        .unwrap();
    let broken = b.get("/settings/audit").await;
    assert!(
        broken.body.contains("chain-broken") || broken.body.to_lowercase().contains("broken"),
        "the page shows the break"
    );
}

#[tokio::test]
async fn language_switch_and_tokens() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.get("/signin").await;
    let res = b
        .post("/account/language", &[("lang", "bg"), ("next", "/signin")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let bg = b.get("/signin").await;
    assert!(
        bg.body.contains("lang=\"bg\""),
        "guests get the chosen language"
    );
    b.sign_in("owner@example.test", PASSWORD).await;
    b.get("/account").await;
    b.post("/account/language", &[("lang", "bg"), ("next", "/account")])
        .await;
    let page = b.get("/account").await;
    assert!(page.body.contains("lang=\"bg\""));

    b.get("/account/tokens").await;
    let created = b
        .post(
            "/account/tokens",
            &[
                ("name", "CI"),
                ("expires_in_days", "30"),
                ("scopes", "users:read"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert!(created.body.contains("owl_"), "the token is shown once");
    let bad = b
        .post(
            "/account/tokens",
            &[
                ("name", "CI"),
                ("expires_in_days", "30"),
                ("scopes", "users:nuke"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Every page route against every role: allowed exactly when the role carries the permission the
/// route needs (a role granted organisation-wide). Routes that only need a signed-in person have
/// no permission; every role reaches them.
#[tokio::test]
async fn page_matrix_every_role_every_route() {
    use owlery_domain::Permission as P;
    let f = fixture().await;
    let org = f.store.organisation().await.unwrap().unwrap();
    let ws = f
        .store
        .create_workspace(
            &Actor::cli(),
            org.id,
            &DisplayName::parse("name", "Matrix WS").unwrap(),
        )
        .await
        .unwrap();
    let team = f
        .store
        .create_team(
            &Actor::cli(),
            org.id,
            &DisplayName::parse("name", "Matrix team").unwrap(),
        )
        .await
        .unwrap();
    let target = f
        .store
        .credentials_by_email("contributor@example.test")
        .await
        .unwrap()
        .unwrap()
        .user;
    let grant = f
        .store
        .grant_role(
            &Actor::cli(),
            target.id,
            Grant {
                role: Role::Analyst,
                scope: Scope::Workspace(ws.id),
            },
        )
        .await
        .unwrap();
    let (t, w, tm, g) = (
        target.id.to_string(),
        ws.id.to_string(),
        team.id.to_string(),
        grant.id.to_string(),
    );
    let gets: Vec<(String, Option<P>)> = vec![
        ("/".into(), Some(P::OrgRead)),
        ("/publish".into(), Some(P::OrgRead)),
        ("/inbox".into(), Some(P::InboxRead)),
        ("/crisis".into(), Some(P::OrgRead)),
        ("/oncall".into(), Some(P::OrgRead)),
        ("/analytics".into(), Some(P::OrgRead)),
        ("/governance".into(), Some(P::OrgRead)),
        ("/media".into(), Some(P::PostsDraft)),
        ("/account".into(), None),
        ("/account/tokens".into(), None),
        ("/account/2fa".into(), None),
        ("/settings/organisation".into(), Some(P::OrgManage)),
        ("/settings/security".into(), Some(P::OrgManage)),
        ("/settings/users".into(), Some(P::UsersRead)),
        (format!("/settings/users/{t}"), Some(P::UsersRead)),
        ("/settings/teams".into(), Some(P::UsersRead)),
        ("/settings/workspaces".into(), Some(P::ChannelsRead)),
        ("/settings/network-apps".into(), Some(P::OrgManage)),
        ("/settings/channels/connect".into(), Some(P::ChannelsManage)),
        ("/settings/audit".into(), Some(P::AuditRead)),
        ("/settings/audit.csv".into(), Some(P::AuditRead)),
    ];
    type PostRoute = (String, Vec<(&'static str, String)>, P);
    let posts: Vec<PostRoute> = vec![
        (
            "/settings/organisation".into(),
            vec![("name", String::new())],
            P::OrgManage,
        ),
        (
            "/settings/security".into(),
            vec![
                ("require_2fa", "off".into()),
                ("session_lifetime_hours", "0".into()),
            ],
            P::OrgManage,
        ),
        (
            "/settings/users".into(),
            vec![("email", "x".into())],
            P::UsersManage,
        ),
        (
            format!("/settings/users/{t}/grants"),
            vec![("role", "nope".into())],
            P::RolesGrant,
        ),
        (
            format!("/settings/users/{t}/grants/{g}/revoke"),
            vec![],
            P::RolesGrant,
        ),
        (
            format!("/settings/users/{t}/enable"),
            vec![],
            P::UsersManage,
        ),
        (
            format!("/settings/users/{t}/reset-2fa"),
            vec![],
            P::UsersManage,
        ),
        (
            "/settings/teams".into(),
            vec![("name", String::new())],
            P::TeamsManage,
        ),
        (
            format!("/settings/teams/{tm}/members"),
            vec![("user_id", t.clone())],
            P::TeamsManage,
        ),
        (
            format!("/settings/teams/{tm}/members/{t}/remove"),
            vec![],
            P::TeamsManage,
        ),
        (
            "/settings/workspaces".into(),
            vec![("name", String::new())],
            P::WorkspacesManage,
        ),
        (
            "/settings/channels".into(),
            vec![("workspace_id", w.clone()), ("name", String::new())],
            P::ChannelsManage,
        ),
        (
            "/settings/network-apps/x".into(),
            vec![("client_id", String::new())],
            P::OrgManage,
        ),
        (
            "/settings/network-apps/x/remove".into(),
            vec![],
            P::OrgManage,
        ),
        // Allowed callers learn that the X app is not set up.
        (
            "/settings/channels/connect/x".into(),
            vec![("workspace_id", w.clone())],
            P::ChannelsManage,
        ),
        // Confirming an upgrade: allowed callers learn there is nothing (left) to confirm.
        (
            format!("/settings/channels/upgrade/{}", uuid::Uuid::now_v7()),
            vec![],
            P::ChannelsManage,
        ),
        // The inbox's working forms: allowed callers learn what is missing or unknown.
        (
            "/inbox/bulk".into(),
            vec![("action", "close".into())],
            P::InboxReply,
        ),
        (
            "/inbox/views".into(),
            vec![("name", String::new())],
            P::InboxRead,
        ),
        (
            format!("/inbox/views/{}/delete", uuid::Uuid::now_v7()),
            vec![],
            P::InboxRead,
        ),
        (
            format!("/inbox/c/{}/presence", uuid::Uuid::now_v7()),
            vec![("state", "viewing".into())],
            P::InboxRead,
        ),
        (
            format!("/inbox/c/{}/notes", uuid::Uuid::now_v7()),
            vec![("text", "hi".into())],
            P::InboxReply,
        ),
    ];
    // Pages that allowed callers reach but that answer with what is wrong (an upgrade to confirm
    // that is not, or no longer, waiting: 410).
    let gets_explained: Vec<(String, P)> = vec![(
        format!("/settings/channels/upgrade/{}", uuid::Uuid::now_v7()),
        P::ChannelsManage,
    )];
    for role in Role::ALL {
        let email = format!("matrix-{}@example.test", role.code());
        f.store
            .create_user(
                &Actor::cli(),
                org.id,
                NewUser {
                    email: Email::parse(&email).unwrap(),
                    name: DisplayName::parse("name", "Matrix").unwrap(),
                    password_hash: Some(hash_blocking(PASSWORD).unwrap()),
                    language: "en".into(),
                    time_zone: "UTC".into(),
                },
                &[Grant {
                    role,
                    scope: Scope::Organisation,
                }],
            )
            .await
            .unwrap();
        let mut b = Browser::new(f.app.clone());
        assert_eq!(
            b.sign_in(&email, PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        for (path, need) in &gets {
            let res = b.get(path).await;
            let allowed = need.is_none_or(|p| role.has(p));
            assert_eq!(
                res.status == StatusCode::FORBIDDEN,
                !allowed,
                "{role:?} GET {path}: {}",
                res.status
            );
            if allowed {
                assert!(
                    res.status.is_success() || res.status.is_redirection(),
                    "{role:?} GET {path}: {}",
                    res.status
                );
            }
        }
        for (path, need) in &gets_explained {
            let res = b.get(path).await;
            let allowed = role.has(*need);
            assert_eq!(
                res.status == StatusCode::FORBIDDEN,
                !allowed,
                "{role:?} GET {path}: {}",
                res.status
            );
            if allowed {
                assert_eq!(res.status, StatusCode::GONE, "{role:?} GET {path}");
            }
        }
        for (path, fields, need) in &posts {
            b.get("/account").await;
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = b.post(path, &fields).await;
            let allowed = role.has(*need);
            assert_eq!(
                res.status == StatusCode::FORBIDDEN,
                !allowed,
                "{role:?} POST {path}: {}",
                res.status
            );
            assert_ne!(
                res.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{role:?} POST {path}"
            );
        }
    }
}
