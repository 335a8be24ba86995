//! OAuth 2.0 authorization code flow with PKCE (RFC 6749, RFC 7636), as most networks use it to
//! connect an account: build the authorization address, exchange the code, refresh a token.
//!
//! Each connector describes its network in an [`OAuthSpec`] (endpoints, scopes, how the client
//! authenticates, what the client id is called); the functions here do the rest. Networks whose
//! flow differs (Meta's long-lived tokens, Mastodon's per-server apps) add their own steps in their
//! module around these.
//!
//! A token endpoint's `invalid_grant` (and `invalid_client`, `unauthorized_client`) means the grant
//! is gone: [`ConnectorError::Auth`], the channel needs reconnecting. Anything else that fails is
//! passing and never disconnects a channel.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::http::{self, Effect};
use crate::{AppCredentials, ConnectorError, TokenGrant};

/// How the client proves itself at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with id and secret (X, Pinterest).
    Basic,
    /// `client_id` and `client_secret` in the form body (LinkedIn, Google, Meta, Mastodon,
    /// TikTok with `client_key`).
    Body,
}

/// One network's OAuth 2.0 endpoints and habits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthSpec {
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: Vec<String>,
    /// How scopes are joined in the authorization address (`" "` by the RFC; `","` on TikTok,
    /// Meta).
    pub scope_separator: &'static str,
    /// Whether to send a PKCE challenge (S256).
    pub pkce: bool,
    pub client_auth: ClientAuth,
    /// The name of the client id parameter (`client_id`; TikTok: `client_key`).
    pub client_id_param: &'static str,
    /// Extra parameters of the authorization address (Google: `access_type=offline`,
    /// `prompt=consent` to get a refresh token).
    pub extra_authorize: Vec<(String, String)>,
}

impl OAuthSpec {
    /// The usual shape: scopes joined by spaces, PKCE, id and secret in the body.
    pub fn standard(authorize_url: &str, token_url: &str, scopes: &[&str]) -> OAuthSpec {
        OAuthSpec {
            authorize_url: authorize_url.to_owned(),
            token_url: token_url.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            scope_separator: " ",
            pkce: true,
            client_auth: ClientAuth::Body,
            client_id_param: "client_id",
            extra_authorize: Vec::new(),
        }
    }
}

/// A fresh `state` and PKCE verifier for one connection attempt. Both are secrets until the
/// callback: keep them server-side (the session), never in the address bar except `state`.
pub struct Pending {
    pub state: String,
    pub verifier: SecretString,
}

impl Pending {
    pub fn new() -> Pending {
        Pending {
            state: random_token(24),
            // RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 -._~]; 32 random bytes → 43.
            verifier: SecretString::from(random_token(32)),
        }
    }
}

impl Default for Pending {
    fn default() -> Self {
        Pending::new()
    }
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The address to send the person to.
pub fn authorize_url(
    spec: &OAuthSpec,
    client_id: &str,
    redirect_uri: &str,
    pending: &Pending,
) -> Result<String, ConnectorError> {
    let mut url = url::Url::parse(&spec.authorize_url).map_err(|e| ConnectorError::Permanent {
        reason: format!("the authorization address is not a URL: {e}"),
    })?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair(spec.client_id_param, client_id);
        q.append_pair("redirect_uri", redirect_uri);
        q.append_pair("scope", &spec.scopes.join(spec.scope_separator));
        q.append_pair("state", &pending.state);
        if spec.pkce {
            q.append_pair(
                "code_challenge",
                &challenge(pending.verifier.expose_secret()),
            );
            q.append_pair("code_challenge_method", "S256");
        }
        for (k, v) in &spec.extra_authorize {
            q.append_pair(k, v);
        }
    }
    Ok(url.into())
}

/// Exchanges an authorization code for tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    spec: &OAuthSpec,
    app: &AppCredentials,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&SecretString>,
    now: SystemTime,
) -> Result<TokenGrant, ConnectorError> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    if spec.pkce
        && let Some(v) = verifier
    {
        form.push(("code_verifier", v.expose_secret().to_owned()));
    }
    token_request(http, spec, app, form, now).await
}

/// Exchanges a refresh token for new tokens.
pub async fn refresh(
    http: &reqwest::Client,
    spec: &OAuthSpec,
    app: &AppCredentials,
    refresh_token: &SecretString,
    now: SystemTime,
) -> Result<TokenGrant, ConnectorError> {
    let form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token.expose_secret().to_owned()),
    ];
    token_request(http, spec, app, form, now).await
}

async fn token_request(
    http: &reqwest::Client,
    spec: &OAuthSpec,
    app: &AppCredentials,
    mut form: Vec<(&str, String)>,
    now: SystemTime,
) -> Result<TokenGrant, ConnectorError> {
    let mut request = http.post(&spec.token_url);
    match spec.client_auth {
        ClientAuth::Basic => {
            request = request.basic_auth(&app.client_id, Some(app.client_secret.expose_secret()));
        }
        ClientAuth::Body => {
            form.push((spec.client_id_param, app.client_id.clone()));
            form.push((
                "client_secret",
                app.client_secret.expose_secret().to_owned(),
            ));
        }
    }
    // A token request has no effect worth protecting: repeating a refresh at worst rotates again.
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|e| http::classify_transport(&e, Effect::Read))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body: Value = response
        .json()
        .await
        .map_err(|e| http::classify_transport(&e, Effect::Read))
        .unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(classify_token_error(status, &headers, &body, now));
    }
    grant_from(&body, now)
}

/// A token endpoint's error as a connector error: a dead grant needs a person, the rest passes.
pub fn classify_token_error(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
    now: SystemTime,
) -> ConnectorError {
    let code = body.get("error").and_then(Value::as_str).unwrap_or("");
    let description = body
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let said = if description.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {description}")
    };
    match code {
        "invalid_grant" | "invalid_client" | "unauthorized_client" | "access_denied" => {
            ConnectorError::Auth {
                reason: format!("the network no longer accepts this connection ({said})"),
            }
        }
        "invalid_request" | "unsupported_grant_type" | "invalid_scope" => {
            ConnectorError::Permanent {
                reason: format!("the token request was refused ({said})"),
            }
        }
        "temporarily_unavailable" | "server_error" => ConnectorError::Temporary {
            reason: said,
            retry_after: http::retry_after(headers, now),
        },
        _ => http::classify_status(status, headers, &said, now),
    }
}

/// Reads `{access_token, refresh_token?, expires_in?, scope?}`.
pub fn grant_from(body: &Value, now: SystemTime) -> Result<TokenGrant, ConnectorError> {
    let access = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ConnectorError::Temporary {
            reason: "the token endpoint answered without an access token".into(),
            retry_after: None,
        })?;
    let refresh = body
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| SecretString::from(s.to_owned()));
    let expires_in = body.get("expires_in").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let scopes = body
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| {
            s.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(TokenGrant {
        access: SecretString::from(access.to_owned()),
        refresh,
        expires_at: expires_in.map(|s| now + Duration::from_secs(s)),
        scopes,
    })
}

/// Whether a token that expires at `expires_at` should be refreshed now: within the last tenth of a
/// typical lifetime, and at least ten minutes ahead.
pub fn due_for_refresh(expires_at: Option<SystemTime>, now: SystemTime) -> bool {
    match expires_at {
        None => false,
        Some(at) => at
            .duration_since(now)
            .map(|left| left < Duration::from_secs(10 * 60))
            .unwrap_or(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;
    use serde_json::json;

    #[test]
    fn pkce_challenge_matches_rfc7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = Pending::new();
        assert_eq!(p.verifier.expose_secret().len(), 43);
        assert_ne!(p.state, Pending::new().state);
    }

    #[test]
    fn authorization_address_carries_everything() {
        let mut spec = OAuthSpec::standard(
            "https://x.com/i/oauth2/authorize",
            "https://api.x.com/2/oauth2/token",
            &["tweet.write", "offline.access"],
        );
        spec.extra_authorize
            .push(("prompt".into(), "consent".into()));
        let p = Pending::new();
        let url = authorize_url(&spec, "cid", "https://owl.example/cb", &p).unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "cid");
        assert_eq!(q["scope"], "tweet.write offline.access");
        assert_eq!(q["state"], p.state);
        assert_eq!(q["code_challenge"], challenge(p.verifier.expose_secret()));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["prompt"], "consent");
        assert!(!url.contains(p.verifier.expose_secret()));
    }

    #[test]
    fn dead_grants_need_a_person_and_the_rest_passes() {
        let now = SystemTime::UNIX_EPOCH;
        let h = HeaderMap::new();
        let e = classify_token_error(
            StatusCode::BAD_REQUEST,
            &h,
            &json!({"error": "invalid_grant", "error_description": "revoked"}),
            now,
        );
        assert!(matches!(e, ConnectorError::Auth { .. }), "{e:?}");
        let e = classify_token_error(StatusCode::SERVICE_UNAVAILABLE, &h, &Value::Null, now);
        assert!(e.is_retryable(), "{e:?}");
        let e = classify_token_error(
            StatusCode::BAD_REQUEST,
            &h,
            &json!({"error": "temporarily_unavailable"}),
            now,
        );
        assert!(e.is_retryable(), "{e:?}");
    }

    #[test]
    fn grants_are_read_with_their_expiry() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let g = grant_from(
            &json!({"access_token": "acc-123", "refresh_token": "ref-456", "expires_in": "7200", "scope": "a b"}),
            now,
        )
        .unwrap();
        assert_eq!(g.access.expose_secret(), "acc-123");
        assert_eq!(
            g.refresh.as_ref().map(|r| r.expose_secret().to_owned()),
            Some("ref-456".into())
        );
        assert_eq!(g.expires_at, Some(now + Duration::from_secs(7200)));
        assert_eq!(g.scopes, vec!["a", "b"]);
        assert!(grant_from(&json!({"token_type": "bearer"}), now).is_err());
        let shown = format!("{g:?}");
        assert!(
            !shown.contains("acc-123") && !shown.contains("ref-456"),
            "{shown}"
        );
    }

    #[test]
    fn refresh_is_due_in_the_last_ten_minutes() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        assert!(!due_for_refresh(None, now));
        assert!(!due_for_refresh(Some(now + Duration::from_secs(3600)), now));
        assert!(due_for_refresh(Some(now + Duration::from_secs(60)), now));
        assert!(due_for_refresh(Some(now - Duration::from_secs(60)), now));
    }
}
