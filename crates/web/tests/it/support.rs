//! The test application, shared by every module of this test binary (API, permission matrix,
//! pages): a fresh database per app on SQLite (and on PostgreSQL when `OWLERY_TEST_POSTGRES_URL`
//! is set), the real router, requests sent in-process with `tower::ServiceExt::oneshot`.
//!
//! ```ignore
//! for app in TestApp::all_backends().await {
//!     let (owner, token) = app.user_with_token("olivia@example.test", Role::Owner).await;
//!     let (status, body) = app.get("/users", &token).await;          // GET /api/v1/users
//!     let mut jar = CookieJar::default();
//!     let page = app.get_page("/signin", &mut jar).await;            // any path, cookies kept
//!     let res = app.post_form("/signin", &mut jar, &[("email", &owner.email)]).await;
//! }
//! ```
//!
//! Every request comes from [`TEST_IP`] unless it carries its own `ConnectInfo`. The clock is the
//! wall clock plus an offset that [`TestClock::advance`] moves, for expiry tests.

#![allow(
    dead_code,
    reason = "shared by the API, matrix and pages tests: not every helper is used by each"
)]

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header},
};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use owlery_domain::{
    Clock, Grant, Permission, Role, Scope,
    audit::Actor,
    org::Network,
    user::{DisplayName, Email},
};
use owlery_store::{
    Store,
    org::{Channel, Organisation, Team, Workspace},
    sessions::SessionStage,
    testing::TestDb,
    users::NewUser,
    vault::Vault,
};
use owlery_web::{AppState, WebConfig, auth::password};
use serde_json::Value;
use tower::ServiceExt;

/// Where every test request comes from (a documentation address, RFC 5737).
pub const TEST_IP: [u8; 4] = [203, 0, 113, 7];
pub const TEST_IP_TEXT: &str = "203.0.113.7";
/// The password of every user made by the helpers.
pub const PASSWORD: &str = "correct horse battery staple";
/// Where the API is mounted; the API helpers take paths below it.
pub const API: &str = "/api/v1";

/// The wall clock plus an offset that tests move forward.
#[derive(Debug, Default)]
pub struct TestClock {
    offset: Mutex<Duration>,
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap();
        *offset += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap();
        owlery_domain::audit::chain_time(Utc::now() + offset)
    }
}

/// One Argon2 hash of [`PASSWORD`] for all test users: hashing per user would be slow.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash_blocking(PASSWORD).unwrap())
        .clone()
}

/// A person made by the helpers.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: owlery_domain::UserId,
    pub email: String,
    pub password: String,
}

pub struct TestAppBuilder {
    config: WebConfig,
    organisation: bool,
}

impl TestAppBuilder {
    /// Change the web configuration (public URL, body limit …).
    pub fn config(mut self, change: impl FnOnce(&mut WebConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// Start without an organisation, as a fresh installation does.
    pub fn without_organisation(mut self) -> Self {
        self.organisation = false;
        self
    }

    /// On SQLite only.
    pub async fn sqlite(self) -> TestApp {
        let db = owlery_store::testing::sqlite().await.unwrap();
        self.build(db).await
    }

    /// On every available backend: SQLite, and PostgreSQL when configured.
    pub async fn all_backends(self) -> Vec<TestApp> {
        let mut apps = Vec::new();
        for db in owlery_store::testing::all_backends().await.unwrap() {
            apps.push(
                TestAppBuilder {
                    config: self.config.clone(),
                    organisation: self.organisation,
                }
                .build(db)
                .await,
            );
        }
        apps
    }

    async fn build(self, mut db: TestDb) -> TestApp {
        let clock = Arc::new(TestClock::default());
        db.store = db.store.clone().with_clock(clock.clone());
        let org = if self.organisation {
            Some(
                db.store
                    .ensure_organisation(&Actor::cli(), "Acme")
                    .await
                    .unwrap(),
            )
        } else {
            None
        };
        let state = AppState::new(db.store.clone(), Arc::new(Vault::ephemeral()), self.config);
        TestApp {
            router: owlery_web::router(state.clone()),
            state,
            clock,
            org,
            _db: db,
        }
    }
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: Arc<TestClock>,
    org: Option<Organisation>,
    _db: TestDb,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            config: WebConfig::default(),
            organisation: true,
        }
    }

    pub async fn sqlite() -> TestApp {
        Self::builder().sqlite().await
    }

    pub async fn all_backends() -> Vec<TestApp> {
        Self::builder().all_backends().await
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The same app with these network connectors (fixtures instead of the real networks).
    pub fn with_connectors(mut self, connectors: Arc<owlery_networks::Connectors>) -> TestApp {
        self.state = self.state.clone().with_connectors(connectors);
        self.router = owlery_web::router(self.state.clone());
        self
    }

    pub fn backend(&self) -> &'static str {
        self.state.store.backend_name()
    }

    pub fn org(&self) -> &Organisation {
        self.org
            .as_ref()
            .expect("this app was built without an organisation")
    }

    // ---- fixtures ----

    /// An active person with the password [`PASSWORD`] and `role` for the whole organisation.
    pub async fn user(&self, email: &str, role: Role) -> TestUser {
        self.user_with_grants(
            email,
            &[Grant {
                role,
                scope: Scope::Organisation,
            }],
        )
        .await
    }

    /// An active person with these grants (possibly none).
    pub async fn user_with_grants(&self, email: &str, grants: &[Grant]) -> TestUser {
        let user = self
            .store()
            .create_user(
                &Actor::cli(),
                self.org().id,
                NewUser {
                    email: Email::parse(email).unwrap(),
                    name: DisplayName::parse("name", email.split('@').next().unwrap()).unwrap(),
                    password_hash: Some(password_hash()),
                    language: "en".into(),
                    time_zone: "UTC".into(),
                },
                grants,
            )
            .await
            .unwrap();
        TestUser {
            id: user.id,
            email: user.email,
            password: PASSWORD.into(),
        }
    }

    /// An unscoped API token of `user`, valid for 90 days.
    pub async fn token(&self, user: &TestUser) -> String {
        self.scoped_token(user, &[]).await
    }

    /// A token narrowed to `scopes` (empty: unscoped).
    pub async fn scoped_token(&self, user: &TestUser, scopes: &[Permission]) -> String {
        let expires = self.store().now() + Duration::days(90);
        self.store()
            .create_token(&Actor::cli(), user.id, "test", scopes, Some(expires))
            .await
            .unwrap()
            .0
    }

    /// A person with `role` for the organisation and an unscoped token.
    pub async fn user_with_token(&self, email: &str, role: Role) -> (TestUser, String) {
        let user = self.user(email, role).await;
        let token = self.token(&user).await;
        (user, token)
    }

    pub async fn workspace(&self, name: &str) -> Workspace {
        self.store()
            .create_workspace(
                &Actor::cli(),
                self.org().id,
                &DisplayName::parse("name", name).unwrap(),
            )
            .await
            .unwrap()
    }

    pub async fn channel(&self, workspace: &Workspace, handle: &str) -> Channel {
        self.channel_on(workspace.id, Network::Sandbox, handle)
            .await
    }

    /// A channel on `network` (named after its handle), made through the store.
    pub async fn channel_on(
        &self,
        workspace: owlery_domain::WorkspaceId,
        network: Network,
        handle: &str,
    ) -> Channel {
        self.store()
            .create_channel(
                &Actor::cli(),
                workspace,
                network,
                &DisplayName::parse("name", handle).unwrap(),
                handle,
            )
            .await
            .unwrap()
    }

    pub async fn team(&self, name: &str) -> Team {
        self.store()
            .create_team(
                &Actor::cli(),
                self.org().id,
                &DisplayName::parse("name", name).unwrap(),
            )
            .await
            .unwrap()
    }

    /// Sign `user` in without the sign-in form: a fresh, fully signed-in session whose cookie goes
    /// into `jar`. Returns the session's CSRF token, for form posts (`csrf_token` field or the
    /// `X-CSRF-Token` header).
    pub async fn sign_in_directly(&self, user: &TestUser, jar: &mut CookieJar) -> String {
        let (secret, session) = self
            .store()
            .create_session(
                user.id,
                SessionStage::Active,
                Duration::hours(12),
                Some(TEST_IP_TEXT),
                Some("owlery-tests"),
            )
            .await
            .unwrap();
        jar.set(owlery_web::auth::SESSION_COOKIE, &secret);
        session.csrf_token
    }

    /// The newest audit event, if any.
    pub async fn last_audit_event(&self) -> Option<owlery_domain::audit::AuditRecord> {
        self.store()
            .audit_events(&Default::default(), 1)
            .await
            .unwrap()
            .into_iter()
            .next()
    }

    /// The sequence number of the newest audit event (0 for none).
    pub async fn audit_head(&self) -> i64 {
        self.last_audit_event().await.map_or(0, |e| e.seq)
    }

    // ---- requests ----

    /// Send any request through the router.
    pub async fn send(&self, mut req: Request<Body>) -> TestResponse {
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from((TEST_IP, 50000))));
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// An API request (path below `/api/v1`), with a bearer token and optionally a JSON body.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{API}{path}"));
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(json) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.send(req).await.json_pair()
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::GET, path, Some(token), None).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.api(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.api(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::PUT, path, Some(token), None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.api(Method::DELETE, path, Some(token), None).await
    }

    /// An API request with a raw body and content type, for malformed-input tests.
    pub async fn api_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{API}{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        self.send(req.body(body.into()).unwrap()).await.json_pair()
    }

    // ---- pages: any path, with cookies ----

    /// `GET path` with the jar's cookies; the response's cookies go into the jar.
    pub async fn get_page(&self, path: &str, jar: &mut CookieJar) -> TestResponse {
        self.with_cookies(Method::GET, path, jar, None, Body::empty())
            .await
    }

    /// `POST path` with a form body (`application/x-www-form-urlencoded`) and the jar's cookies;
    /// the response's cookies go into the jar. Fields are sent as given (add `csrf_token`
    /// yourself, e.g. from [`CookieJar::get`] or the page's hidden field).
    pub async fn post_form(
        &self,
        path: &str,
        jar: &mut CookieJar,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.with_cookies(
            Method::POST,
            path,
            jar,
            Some("application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    /// Any request with the jar's cookies (and extra headers, such as `HX-Request`).
    pub async fn with_cookies(
        &self,
        method: Method,
        path: &str,
        jar: &mut CookieJar,
        content_type: Option<&str>,
        body: Body,
    ) -> TestResponse {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(cookie) = jar.header() {
            req = req.header(header::COOKIE, cookie);
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let res = self.send(req.body(body).unwrap()).await;
        jar.absorb(&res.headers);
        res
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON; `Value::Null` for an empty body. Panics if it is not JSON.
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response ({}) is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }

    pub fn json_pair(self) -> (StatusCode, Value) {
        (self.status, self.json())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Where a redirect points.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }
}

/// Cookies a browser would hold: set from `Set-Cookie`, sent as `Cookie`.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: BTreeMap<String, String>,
}

impl CookieJar {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    pub fn remove(&mut self, name: &str) {
        self.cookies.remove(name);
    }

    /// The `Cookie` header value, if there are cookies.
    pub fn header(&self) -> Option<HeaderValue> {
        if self.cookies.is_empty() {
            return None;
        }
        let text = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        Some(HeaderValue::from_str(&text).unwrap())
    }

    /// Apply a response's `Set-Cookie` headers: set, replace, or remove (empty value, `Max-Age=0`
    /// or an `Expires` in the past, as removal cookies are written).
    pub fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';').map(str::trim);
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let removed = value.is_empty()
                || parts.any(|attr| {
                    let lower = attr.to_ascii_lowercase();
                    lower == "max-age=0"
                        || lower.starts_with("max-age=-")
                        || lower.starts_with("expires=") && lower.contains("1970")
                });
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

#[test]
fn cookie_jar_follows_set_cookie() {
    let mut jar = CookieJar::default();
    let mut headers = HeaderMap::new();
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static("owlery_session=abc; Path=/; HttpOnly; SameSite=Lax"),
    );
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static("owlery_csrf=xyz; Path=/"),
    );
    jar.absorb(&headers);
    assert_eq!(jar.get("owlery_session"), Some("abc"));
    assert_eq!(
        jar.header().unwrap().to_str().unwrap(),
        "owlery_csrf=xyz; owlery_session=abc"
    );
    let mut removal = HeaderMap::new();
    removal.append(
        header::SET_COOKIE,
        HeaderValue::from_static("owlery_session=; Path=/; Max-Age=0"),
    );
    jar.absorb(&removal);
    assert_eq!(jar.get("owlery_session"), None);
}

/// The helpers for forms work end to end: a form post without a CSRF token is refused before
/// routing; with the pre-session cookie and field it gets through to the router.
#[tokio::test]
async fn form_posts_carry_cookies_and_csrf() {
    let app = TestApp::sqlite().await;
    let mut jar = CookieJar::default();
    let refused = app
        .post_form("/no-such-page", &mut jar, &[("a", "b")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let token = "t".repeat(43);
    jar.set(owlery_web::auth::csrf::PRE_SESSION_COOKIE, &token);
    let passed = app
        .post_form(
            "/no-such-page",
            &mut jar,
            &[(owlery_web::auth::csrf::FIELD, &token), ("a", "b")],
        )
        .await;
    assert_eq!(passed.status, StatusCode::NOT_FOUND);

    // Signed in, the session's own token is the one that counts.
    let user = app
        .user("s@example.test", owlery_domain::Role::Analyst)
        .await;
    let mut jar = CookieJar::default();
    let csrf = app.sign_in_directly(&user, &mut jar).await;
    let stale = app
        .post_form(
            "/no-such-page",
            &mut jar,
            &[(owlery_web::auth::csrf::FIELD, &token)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    let fresh = app
        .post_form(
            "/no-such-page",
            &mut jar,
            &[(owlery_web::auth::csrf::FIELD, &csrf)],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::NOT_FOUND);
}

/// The id (as the API writes it) of a new channel on `network` in `workspace`.
pub async fn channel_id(
    app: &TestApp,
    workspace: owlery_domain::WorkspaceId,
    network: Network,
    handle: &str,
) -> String {
    app.channel_on(workspace, network, handle)
        .await
        .id
        .to_string()
}
