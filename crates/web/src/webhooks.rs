//! Webhook receivers: what Meta (Facebook Pages, Instagram, Messenger, Threads), X and LinkedIn
//! push to the organisation's apps. No session and no CSRF (the networks call these); the
//! signature over the raw body is the permission.
//!
//! - `GET|POST /webhooks/meta/{app}`: Meta's subscription check (`hub.mode=subscribe`, the app's
//!   verify token → `hub.challenge`) and its notifications (`X-Hub-Signature-256`). Threads uses
//!   Meta's format, signature and check, so a Threads app's address is under `/webhooks/meta/` too;
//!   the body tells it apart.
//! - `GET|POST /webhooks/x/{app}`: X's CRC (`crc_token` → `response_token`) and Account Activity
//!   events (`x-twitter-webhooks-signature`).
//! - `GET|POST /webhooks/linkedin/{app}`: LinkedIn's validation (`challengeCode`) and
//!   organisation social action notifications (`X-LI-Signature`).
//!
//! `{app}` is the app's public webhook id (`network_apps.webhook_id`, random, shown on the Network
//! apps page with the exact address): it selects the organisation's app, whose secret checks the
//! signature. An unknown id, or one of another network family, is a `404`.
//!
//! A notification is checked in this order, before anything is parsed: the app (`404`), the size
//! ([`MAX_BODY`]: `413`), the signature over the raw bytes in constant time (`401`), then it is
//! written to `webhook_deliveries` in one small insert and only then answered `200` — durable
//! before 200, and fast: the entries are parsed, classified and ingested by the worker
//! (`owlery_jobs::webhooks`). A correctly signed body kept before for the same app is an **exact
//! repeat** (Meta and X carry no delivery id: the identity is the SHA-256 of the exact signed
//! bytes, within the retention period of processed deliveries). It is answered `200` as well —
//! "already received", nothing stored or processed again, counted in
//! `owlery_webhook_repeats_total` — because a network repeats a delivery exactly when its `200`
//! was lost, and every one of them treats any other answer as a failed delivery: Meta asks for
//! `200 OK` to every notification and retries failed ones for up to 36 hours, then may disable the
//! subscription (Graph API "Webhooks: Getting Started", event notifications); X retries a delivery
//! that gets no `200` (Account Activity API, "Retries"); LinkedIn blocks webhook URLs whose push
//! events keep failing until they are validated again (API guide, "Webhooks" and "Developer
//! Webhooks"). A `409` would make each of them retry, or switch the webhook off, over a delivery
//! Owlery already has. A repeat is still never processed twice: it is not inserted again. Forged
//! or unsigned bodies stay `401`, checked before the repeat is looked for, so a copy of a real
//! body with a wrong signature learns nothing.
//!
//! Entries for accounts that are not channels here are accepted with the delivery and dropped
//! (counted) by the worker, not refused: one Meta delivery may carry entries for several Pages, the
//! receiver does not parse, and a refusal would make Meta retry for 36 hours something that can
//! never succeed (and may disable the subscription, for the known channels too).

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use owlery_domain::{OrgId, audit::Actor, org::Network};
use owlery_networks::webhook::{self, events::Family};
use owlery_store::{
    oauth::network_app_purpose,
    webhooks::{Accepted, WebhookApp, verify_token_purpose},
};
use serde::Deserialize;
use serde_json::json;

use crate::{error::AppError, state::AppState};

/// The largest notification accepted: 1 MiB. Meta batches at most 1,000 updates per delivery and
/// its entries are a few hundred bytes; X and LinkedIn send a handful of events (LinkedIn at most
/// 10). Larger bodies are refused with `413` before their signature is even computed.
pub const MAX_BODY: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/meta/{app}", get(meta_check).post(meta_post))
        .route("/webhooks/x/{app}", get(x_crc).post(x_post))
        .route(
            "/webhooks/linkedin/{app}",
            get(linkedin_check).post(linkedin_post),
        )
}

/// The address of an app's receiver, to paste into the network's developer console.
pub fn url(state: &AppState, network: Network, webhook_id: &str) -> Option<String> {
    Family::of(network).map(|f| {
        state
            .config
            .link(&format!("/webhooks/{}/{webhook_id}", f.segment()))
    })
}

/// The webhook id and verify token of the organisation's app on `network` (made now when it has
/// none). For people who manage network apps only: the caller checks.
pub async fn ensure(
    state: &AppState,
    actor: &Actor,
    org: OrgId,
    network: Network,
) -> Result<(String, String), AppError> {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let fresh_id = hex::encode(id);
    let sealed = state
        .vault
        .seal(&verify_token_purpose(network), token.as_bytes())
        .map_err(AppError::internal)?;
    let (id, token_sealed) = state
        .store
        .ensure_app_webhook(actor, org, network, &fresh_id, &sealed)
        .await?;
    let token = state
        .vault
        .open(&verify_token_purpose(network), &token_sealed)
        .map_err(AppError::internal)?;
    Ok((id, String::from_utf8_lossy(&token).into_owned()))
}

fn unknown() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "unknown_webhook",
        "No app of this organisation receives webhooks at this address.",
    )
}

/// The app at `{app}`, when it is of `family`.
async fn app_of(state: &AppState, id: &str, family: Family) -> Result<WebhookApp, AppError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(unknown());
    }
    match state.store.webhook_app(id).await? {
        Some(app) if Family::of(app.network) == Some(family) => Ok(app),
        _ => Err(unknown()),
    }
}

fn secret(state: &AppState, app: &WebhookApp) -> Result<Vec<u8>, AppError> {
    state
        .vault
        .open(&network_app_purpose(app.network, None), &app.secret_sealed)
        .map_err(AppError::internal)
}

/// A network's signature check: (secret, raw body, header value) → valid.
type SignatureCheck = fn(&[u8], &[u8], &str) -> bool;

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Read, verify and keep a notification; see the module documentation for the order.
async fn receive(
    state: AppState,
    id: String,
    family: Family,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match receive_inner(&state, &id, family, &headers, body).await {
        Ok(r) => r,
        Err(e) => {
            metrics::counter!("owlery_webhook_refused_total", "family" => family.segment(), "code" => e.code)
                .increment(1);
            e.into_response()
        }
    }
}

async fn receive_inner(
    state: &AppState,
    id: &str,
    family: Family,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let app = app_of(state, id, family).await?;
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "A webhook notification is at most 1 MiB.",
        )
    })?;
    let secret = secret(state, &app)?;
    let (name, valid): (&str, SignatureCheck) = match family {
        Family::Meta => ("x-hub-signature-256", webhook::meta_signature_valid),
        Family::X => ("x-twitter-webhooks-signature", webhook::x_signature_valid),
        Family::Linkedin => ("x-li-signature", webhook::linkedin_signature_valid),
    };
    let signed = header_str(headers, name).is_some_and(|sig| valid(&secret, &bytes, sig));
    if !signed {
        tracing::warn!(
            webhook.family = family.segment(),
            network = app.network.code(),
            "a webhook notification with a missing or wrong signature was refused"
        );
        return Err(AppError::unauthorized(
            "webhook_signature_invalid",
            format!("The {name} header does not sign this body with the app's secret."),
        ));
    }
    match state
        .store
        .accept_webhook(app.org_id, app.network, &bytes)
        .await?
    {
        Accepted::Stored => {
            metrics::counter!("owlery_webhook_accepted_total", "family" => family.segment())
                .increment(1);
            Ok((StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ok").into_response())
        }
        Accepted::Replay => {
            // Signed, and stored before: the network did not get our 200 and sent it again.
            metrics::counter!("owlery_webhook_repeats_total", "family" => family.segment())
                .increment(1);
            tracing::info!(
                webhook.family = family.segment(),
                network = app.network.code(),
                "a webhook notification received before came again: answered 200, not processed again"
            );
            Ok((
                StatusCode::OK,
                [(header::CACHE_CONTROL, "no-store")],
                "already received",
            )
                .into_response())
        }
    }
}

async fn meta_post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, id, Family::Meta, headers, body).await
}

async fn x_post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, id, Family::X, headers, body).await
}

async fn linkedin_post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, id, Family::Linkedin, headers, body).await
}

#[derive(Debug, Deserialize)]
struct MetaCheck {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

async fn meta_check(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<MetaCheck>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let app = app_of(&state, &id, Family::Meta).await?;
    let Ok(Query(q)) = query else {
        return Err(AppError::bad_request(
            "invalid_query",
            "Expected hub.mode, hub.verify_token and hub.challenge.",
        ));
    };
    let challenge = q.challenge.as_deref().unwrap_or_default();
    if challenge.is_empty() || challenge.len() > 256 || challenge.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "invalid_challenge",
            "hub.challenge is missing or not a short token.",
        ));
    }
    let expected = match &app.verify_token_sealed {
        Some(sealed) => state
            .vault
            .open(&verify_token_purpose(app.network), sealed)
            .map_err(AppError::internal)?,
        None => Vec::new(),
    };
    let expected = String::from_utf8_lossy(&expected);
    match webhook::meta_challenge(
        q.mode.as_deref(),
        q.verify_token.as_deref(),
        Some(challenge),
        &expected,
    ) {
        Some(c) => Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            c.to_owned(),
        )
            .into_response()),
        None => Err(AppError::new(
            StatusCode::FORBIDDEN,
            "webhook_verify_token_invalid",
            "hub.mode is not \"subscribe\" or hub.verify_token is not this app's verify token.",
        )),
    }
}

#[derive(Debug, Deserialize)]
struct XCrc {
    crc_token: Option<String>,
}

async fn x_crc(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<XCrc>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let app = app_of(&state, &id, Family::X).await?;
    let token = query
        .ok()
        .and_then(|Query(q)| q.crc_token)
        .filter(|t| webhook::x_crc_token_ok(t))
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_crc_token",
                "crc_token is missing or not a token X sends (1–255 letters, digits, -_=+/.).",
            )
        })?;
    let secret = secret(&state, &app)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({ "response_token": webhook::x_crc_response(&secret, &token) })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkedinChallenge {
    challenge_code: Option<String>,
}

async fn linkedin_check(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<LinkedinChallenge>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let app = app_of(&state, &id, Family::Linkedin).await?;
    let code = query
        .ok()
        .and_then(|Query(q)| q.challenge_code)
        .filter(|c| webhook::linkedin_challenge_ok(c))
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_challenge",
                "challengeCode is missing or not a UUID, as LinkedIn sends.",
            )
        })?;
    let secret = secret(&state, &app)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({
            "challengeCode": code,
            "challengeResponse": webhook::linkedin_challenge_response(&secret, &code),
        })),
    )
        .into_response())
}
