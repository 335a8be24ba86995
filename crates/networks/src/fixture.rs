//! A scripted local HTTP server for connector tests against **fixtures**: it answers each
//! `(method, path)` with the responses a test queued (copied from the network's published API
//! reference: bodies, error bodies, rate-limit headers) and records every request it received, so
//! a test can assert what the connector sent. Behind the `fixture` feature (tests only); it is not
//! a network and proves only that a connector speaks the documented protocol.
//!
//! ```ignore
//! let server = Fixture::start().await?;
//! server.on("POST", "/2/tweets", Reply::json(201, json!({"data": {"id": "1"}})));
//! let env = Env { base_url: Some(server.url()), ..Env::default() };
//! // … call the connector …
//! let sent = server.requests();
//! ```
//!
//! Unscripted requests get `404 {"error":"no fixture for METHOD PATH"}` and are recorded too. A
//! reply may be [`Reply::hang`]: the server reads the request and never answers (timeouts).
//!
//! Networks that download media from an address (Meta's `image_url`, TikTok's `photo_images`) are
//! played by [`Fixture::download_on`]: before answering such a request, the fixture `GET`s every
//! address in the named fields (form, query or JSON body, at any depth) as the network would, and
//! keeps what came back ([`Fixture::fetched`]).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering (slow responses, timeouts).
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            delay: None,
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
            delay: None,
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
        }
    }

    /// Never answers in a test's lifetime (an hour): the client's timeout decides.
    pub fn hang() -> Reply {
        Reply::empty(200).delayed(Duration::from_secs(3600))
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn delayed(mut self, by: Duration) -> Reply {
        self.delay = Some(by);
        self
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The raw query string (without `?`), empty if none.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    /// The body as JSON (`Null` if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as `application/x-www-form-urlencoded` pairs.
    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// The query as pairs.
    pub fn query_pairs(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (multipart bodies included), lossy.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the fixture downloaded from an address it was given ([`Fixture::download_on`]).
#[derive(Clone, Debug)]
pub struct Fetched {
    pub url: String,
    /// The HTTP status, or 0 when the address could not be reached at all.
    pub status: u16,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
struct Script {
    /// (METHOD, path) → replies in order; the last one repeats.
    replies: HashMap<(String, String), VecDeque<Reply>>,
    received: Vec<Received>,
    /// (METHOD, path) → the fields whose addresses are downloaded before answering.
    downloads: HashMap<(String, String), Vec<String>>,
    fetched: Vec<Fetched>,
}

/// The running server. Dropping it stops it.
pub struct Fixture {
    addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fixture {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<Fixture> {
        let script = Arc::new(Mutex::new(Script::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Fixture { addr, script, task })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a reply for `method path` (path without query). Several replies are used in order;
    /// the last one keeps answering.
    pub fn on(&self, method: &str, path: &str, reply: Reply) {
        self.lock()
            .replies
            .entry((method.to_ascii_uppercase(), path.to_owned()))
            .or_default()
            .push_back(reply);
    }

    /// Before answering `method path`, download every address in `fields` (form, query or JSON
    /// body) as a network that fetches media would.
    pub fn download_on(&self, method: &str, path: &str, fields: &[&str]) {
        self.lock().downloads.insert(
            (method.to_ascii_uppercase(), path.to_owned()),
            fields.iter().map(|f| (*f).to_owned()).collect(),
        );
    }

    /// What was downloaded so far, in order.
    pub fn fetched(&self) -> Vec<Fetched> {
        self.lock().fetched.clone()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The requests to `method path`.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .collect()
    }
}

async fn answer(State(script): State<Arc<Mutex<Script>>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 256 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let received = Received {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers.clone(),
        body: body.to_vec(),
    };
    let fields = {
        let s = script.lock().unwrap_or_else(|p| p.into_inner());
        s.downloads
            .get(&(method.clone(), path.clone()))
            .cloned()
            .unwrap_or_default()
    };
    if !fields.is_empty() {
        for url in addresses_in(&received, &fields) {
            let fetched = download(&url).await;
            script
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .fetched
                .push(fetched);
        }
    }
    let reply = {
        let mut s = script.lock().unwrap_or_else(|p| p.into_inner());
        s.received.push(received);
        match s.replies.get_mut(&(method.clone(), path.clone())) {
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    };
    let Some(reply) = reply else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "error": format!("no fixture for {method} {path}") })),
        )
            .into_response();
    };
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    let mut response = Response::new(axum::body::Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            response.headers_mut().append(k, v);
        }
    }
    response
}

/// The addresses in `fields` of a request: form pairs, query pairs, and JSON members at any depth
/// (a string, or an array of strings).
fn addresses_in(r: &Received, fields: &[String]) -> Vec<String> {
    fn walk(v: &serde_json::Value, fields: &[String], out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if fields.contains(k) {
                        match v {
                            serde_json::Value::String(s) => out.push(s.clone()),
                            serde_json::Value::Array(items) => out
                                .extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned))),
                            _ => {}
                        }
                    }
                    walk(v, fields, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, fields, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&r.json(), fields, &mut out);
    let pairs = url::form_urlencoded::parse(&r.body)
        .into_owned()
        .chain(url::form_urlencoded::parse(r.query.as_bytes()).into_owned());
    if !r.body.starts_with(b"{") {
        out.extend(pairs.filter(|(k, _)| fields.contains(k)).map(|(_, v)| v));
    } else {
        out.extend(
            url::form_urlencoded::parse(r.query.as_bytes())
                .into_owned()
                .filter(|(k, _)| fields.contains(k))
                .map(|(_, v)| v),
        );
    }
    out
}

async fn download(url: &str) -> Fetched {
    let failed = || Fetched {
        url: url.to_owned(),
        status: 0,
        content_type: None,
        content_length: None,
        bytes: Vec::new(),
    };
    let Ok(client) = crate::http::client(crate::http::HttpConfig::default()) else {
        return failed();
    };
    let Ok(res) = client.get(url).send().await else {
        return failed();
    };
    let status = res.status().as_u16();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let content_length = header("content-length").and_then(|v| v.parse().ok());
    let bytes = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    Fetched {
        url: url.to_owned(),
        status,
        content_type,
        content_length,
        bytes,
    }
}
