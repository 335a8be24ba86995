//! Connecting a TikTok **business account** through the TikTok API for Business ("TikTok account
//! authorization" for organic accounts), renewing its token, and answering comments with it. A
//! channel connected this way has [`AuthKind::TiktokBusiness`] in its credentials: its tokens are
//! for `business-api.tiktok.com` (header `Access-Token`), never for Login Kit's
//! `open.tiktokapis.com`, and they are what the inbox poll ([`super::inbox`]) needs.
//!
//! - **authorize**: the person is sent to `https://www.tiktok.com/v2/auth/authorize/` with
//!   `client_key` = the API for Business app's id, `scope` joined by commas, `response_type=code`,
//!   the app's registered "TikTok account holder redirect URL" and `state`; TikTok sends them back
//!   with `code` (and `scopes`) and the same `state`. No PKCE: none is documented for this flow.
//! - **token**: `POST /open_api/v1.3/tt_user/oauth2/token/`, JSON `{client_id, client_secret,
//!   grant_type: "authorization_code", auth_code, redirect_uri}`, answered in the API for
//!   Business envelope `{code, message, request_id, data: {access_token, expires_in (86,400 s),
//!   open_id, refresh_token, refresh_token_expires_in (a year), scope, token_type}}`. `open_id` is
//!   the account's `business_id` in every later call.
//! - **refresh**: `POST /open_api/v1.3/tt_user/oauth2/refresh_token/`, JSON `{client_id,
//!   client_secret, grant_type: "refresh_token", refresh_token}`, the same answer (the refresh
//!   token rotates).
//! - **naming the account**: `GET /open_api/v1.3/business/get/?business_id=…
//!   &fields=["username","display_name"]`.
//! - **answering**: `POST /open_api/v1.3/business/comment/reply/create/`, JSON `{business_id,
//!   video_id, comment_id, text}` (at most 150 characters); `data.comment_id` is the answer.
//!   `comment_id` is documented as a comment on the owned video "obtained from the `comment_id`
//!   field of `/business/comment/list/`", i.e. a top-level comment: TikTok's comments are two
//!   levels deep (a reply's `parent_comment_id` is its top-level comment, `reply_list` hangs only
//!   under top-level comments) and no reply-to-a-reply target is documented. So an answer to a
//!   reply goes under that reply's top-level comment and starts with an @mention of the person
//!   answered, as TikTok's app addresses a reply within a thread ([`reply_target`]).
//!
//! Scopes asked: `user.info.basic`, `user.info.username` (the name), `video.list` (the videos whose
//! comments are read), `comment.list` (reading comments) and `comment.list.manage` (answering).
//! A grant without `comment.list` is refused at once: reading comments is what this connection is
//! for.
//!
//! Sources: TikTok's API for Business reference pages themselves were not in reach; the requests
//! and responses above are those a third-party SDK mirrors from them (`sns-sdks/python-tiktok`:
//! `pytiktok/business_account_api.py` — `generate_access_token`, `refresh_access_token`,
//! `get_account_data`, `create_reply` — its recorded token answers under
//! `testsdata/business/access_token/`, and its "Authorization for Business" page, which shows the
//! callback `?code=…&scopes=…`), agreeing with several independent integrations of the same
//! endpoints (the authorization address on `www.tiktok.com/v2/auth/authorize/` with the app id as
//! `client_key`, the JSON token request with `auth_code`). Error codes as in [`super::inbox`].
//! **Fixture-verified only** (`tests/tiktok_business_fixture.rs`; the web flow in
//! `web/tests/it/tiktok_business.rs`), never against TikTok.

use std::time::{Duration, SystemTime};

use owlery_domain::inbox::MessageKind;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{Tiktok, business_error, post_url};
use crate::http::Effect;
use crate::inbox::{ReplyRequest, ReplyTarget};
use crate::oauth::{ClientAuth, OAuthSpec};
use crate::{
    AccountKind, AppCredentials, AuthKind, ConnectorError, Credentials, GrantedAccount, Published,
    RemoteRef, TokenGrant,
};

/// Where a person authorizes the API for Business app for their TikTok account.
pub const BUSINESS_AUTHORIZE_URL: &str = "https://www.tiktok.com/v2/auth/authorize/";
/// What a business channel asks for: its name, its videos, reading and answering comments.
pub const BUSINESS_SCOPES: [&str; 5] = [
    "user.info.basic",
    "user.info.username",
    "video.list",
    "comment.list",
    "comment.list.manage",
];
/// The longest comment (or reply) the API for Business creates.
pub const MAX_BUSINESS_COMMENT: usize = 150;
const PREFIX: &str = "/open_api/v1.3";
const TOKEN_PATH: &str = "/tt_user/oauth2/token/";
const REFRESH_PATH: &str = "/tt_user/oauth2/refresh_token/";

/// The business account's id, which every API for Business call names (kept as the channel's
/// account id when it was connected).
pub(super) fn business_id(creds: &Credentials) -> Result<&str, ConnectorError> {
    creds
        .account_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ConnectorError::Permanent {
            reason: "the TikTok business channel has no business id: reconnect it".into(),
        })
}

/// A token endpoint's envelope as a grant, with the account it is for (`open_id`).
pub fn business_grant(
    body: &Value,
    now: SystemTime,
) -> Result<(TokenGrant, String), ConnectorError> {
    let data = body.get("data").unwrap_or(&Value::Null);
    let text = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let access = text("access_token").ok_or_else(|| ConnectorError::Temporary {
        reason: "TikTok's token endpoint answered without an access token".into(),
        retry_after: None,
    })?;
    let open_id = text("open_id").ok_or_else(|| ConnectorError::Permanent {
        reason: "TikTok's token endpoint did not say which account was authorized (no open_id)"
            .into(),
    })?;
    let expires_in = data.get("expires_in").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let scopes = text("scope")
        .map(|s| {
            s.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok((
        TokenGrant {
            access: SecretString::from(access.to_owned()),
            refresh: text("refresh_token").map(|r| SecretString::from(r.to_owned())),
            expires_at: expires_in.map(|s| now + Duration::from_secs(s)),
            scopes,
        },
        open_id.to_owned(),
    ))
}

/// Where an answer to `target` goes through `comment/reply/create` and what it says: under the
/// comment itself when it is a top-level comment (its parent is the video, or unknown), else
/// under its top-level comment (its parent: TikTok threads replies one level deep, and the API
/// takes only a comment `comment/list` lists) with `@handle ` before the text, unless the text
/// already starts with it, so the person answered is named as TikTok shows it.
pub fn reply_target<'a>(target: &'a ReplyTarget, text: &str) -> (&'a str, String) {
    let video = target.root_id.as_deref().filter(|s| !s.is_empty());
    let parent = target
        .parent_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty() && Some(*p) != video && *p != target.message_id);
    let Some(parent) = parent else {
        return (target.message_id.as_str(), text.to_owned());
    };
    let handle = target.contact_handle.trim().trim_start_matches('@');
    let mention = format!("@{handle}");
    let named = text
        .get(..mention.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(&mention));
    let text = if handle.is_empty() || named {
        text.to_owned()
    } else {
        format!("{mention} {text}")
    };
    (parent, text)
}

/// A token endpoint's refusal: a rate limit waits, TikTok's own trouble passes, anything else means
/// the code or grant is not (or no longer) good — a person must connect again.
fn token_error(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
) -> ConnectorError {
    match business_error(status, headers, body) {
        e @ (ConnectorError::RateLimited { .. }
        | ConnectorError::Temporary { .. }
        | ConnectorError::Auth { .. }) => e,
        ConnectorError::Permanent { reason } | ConnectorError::Unknown { reason } => {
            ConnectorError::Auth {
                reason: format!("TikTok refused the authorization: {reason}"),
            }
        }
    }
}

impl Tiktok {
    /// The API for Business account authorization ([`AuthKind::TiktokBusiness`]).
    pub(super) fn business_oauth(&self) -> OAuthSpec {
        OAuthSpec {
            authorize_url: BUSINESS_AUTHORIZE_URL.to_owned(),
            token_url: format!("{}{PREFIX}{TOKEN_PATH}", self.business_base),
            scopes: BUSINESS_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            scope_separator: ",",
            pkce: false,
            client_auth: ClientAuth::Body,
            client_id_param: "client_key",
            extra_authorize: Vec::new(),
        }
    }

    /// A token request (code or refresh) and its envelope.
    async fn business_token(
        &self,
        path: &str,
        body: Value,
    ) -> Result<(TokenGrant, String), ConnectorError> {
        let request = self
            .http
            .post(format!("{}{PREFIX}{path}", self.business_base))
            .json(&body);
        // Not filed under an account's budget: there is no account yet, or the call renews it.
        let anonymous = Credentials::new("", "");
        let answer = self.send(&anonymous, request, path, Effect::Read).await?;
        let code = answer.body.get("code").and_then(Value::as_i64);
        if !answer.status.is_success() || code != Some(0) {
            return Err(token_error(answer.status, &answer.headers, &answer.body));
        }
        business_grant(&answer.body, SystemTime::now())
    }

    /// The business account an authorization code grants, named by `business/get`.
    pub(super) async fn business_accounts(
        &self,
        app: &AppCredentials,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let (grant, open_id) = self
            .business_token(
                TOKEN_PATH,
                json!({
                    "client_id": app.client_id,
                    "client_secret": app.client_secret.expose_secret(),
                    "grant_type": "authorization_code",
                    "auth_code": code,
                    "redirect_uri": redirect_uri,
                }),
            )
            .await?;
        if !grant.scopes.is_empty() && !grant.scopes.iter().any(|s| s == "comment.list") {
            return Err(ConnectorError::Permanent {
                reason: "the TikTok account did not allow reading its comments (comment.list): \
                         connect again and allow it when TikTok asks"
                    .into(),
            });
        }
        let creds = Credentials {
            handle: String::new(),
            service: None,
            account_id: Some(open_id.clone()),
            secret: grant.access.clone(),
            refresh: None,
            expires_at: grant.expires_at,
            app: Some(app.clone()),
            auth: AuthKind::TiktokBusiness,
        };
        let data = self
            .business_get(
                &creds,
                "/business/get/",
                &[
                    ("business_id", open_id.as_str()),
                    ("fields", r#"["username","display_name"]"#),
                ],
            )
            .await?;
        let field = |k: &str| {
            data.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let handle = field("username").unwrap_or_else(|| open_id.clone());
        let name = field("display_name").unwrap_or_else(|| handle.clone());
        Ok(vec![GrantedAccount::with_grant(
            AccountKind::Profile,
            open_id,
            handle,
            name,
            &grant,
        )])
    }

    /// New tokens for a business channel (the refresh token rotates).
    pub(super) async fn business_refresh(
        &self,
        creds: &Credentials,
    ) -> Result<Option<TokenGrant>, ConnectorError> {
        let Some(refresh) = &creds.refresh else {
            return Ok(None);
        };
        let Some(app) = &creds.app else {
            return Err(ConnectorError::Permanent {
                reason: "no TikTok API for Business app is configured for this organisation: the \
                         business account's token cannot be renewed"
                    .into(),
            });
        };
        let (grant, _) = self
            .business_token(
                REFRESH_PATH,
                json!({
                    "client_id": app.client_id,
                    "client_secret": app.client_secret.expose_secret(),
                    "grant_type": "refresh_token",
                    "refresh_token": refresh.expose_secret(),
                }),
            )
            .await?;
        Ok(Some(grant))
    }

    /// Answers a comment on the business account's video, under the comment.
    pub(super) async fn business_reply(
        &self,
        creds: &Credentials,
        req: &ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        if creds.auth != AuthKind::TiktokBusiness {
            return Err(ConnectorError::Permanent {
                reason: "this TikTok channel is connected with a personal TikTok login, which \
                         cannot answer comments: connect the account as a TikTok business account"
                    .into(),
            });
        }
        if req.target.kind != MessageKind::Comment {
            return Err(crate::inbox::cannot_reply(
                crate::Network::Tiktok,
                req.target.kind,
            ));
        }
        let (comment, text) = reply_target(&req.target, &req.text);
        let length = text.chars().count();
        if length > MAX_BUSINESS_COMMENT {
            let mention = if text == req.text {
                String::new()
            } else {
                " with the @mention that names the person in the thread".to_owned()
            };
            return Err(ConnectorError::Permanent {
                reason: format!(
                    "TikTok answers are at most {MAX_BUSINESS_COMMENT} characters; this one has \
                     {length}{mention}"
                ),
            });
        }
        let business = business_id(creds)?;
        let video = req
            .target
            .root_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConnectorError::Permanent {
                reason: "the video this TikTok comment is on is not known: it cannot be answered"
                    .into(),
            })?;
        let path = "/business/comment/reply/create/";
        let request = self
            .http
            .post(format!("{}{PREFIX}{path}", self.business_base))
            .header("Access-Token", creds.secret.expose_secret())
            .json(&json!({
                "business_id": business,
                "video_id": video,
                "comment_id": comment,
                "text": text,
            }));
        let answer = self.send(creds, request, path, Effect::Write).await?;
        let code = answer.body.get("code").and_then(Value::as_i64);
        if !answer.status.is_success() || code != Some(0) {
            return Err(business_error(answer.status, &answer.headers, &answer.body));
        }
        let id = answer
            .body
            .pointer("/data/comment_id")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            })
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConnectorError::Unknown {
                reason: "TikTok accepted the answer but did not say its comment id".into(),
            })?;
        Ok(Published {
            remote: RemoteRef {
                id,
                cid: None,
                root: Some(Box::new(RemoteRef {
                    id: video.to_owned(),
                    cid: None,
                    root: None,
                })),
            },
            url: post_url(&creds.handle, video, false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    #[test]
    fn a_token_envelope_is_a_grant_for_its_open_id() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let (grant, open_id) = business_grant(
            &json!({"code": 0, "message": "OK", "request_id": "r", "data": {
                "access_token": "act.b1", "expires_in": 86400, "open_id": "-000Xopen",
                "refresh_token": "rft.b1", "refresh_token_expires_in": 31536000,
                "scope": "user.info.basic,comment.list,comment.list.manage", "token_type": "Bearer"
            }}),
            now,
        )
        .unwrap();
        assert_eq!(open_id, "-000Xopen");
        assert_eq!(grant.access.expose_secret(), "act.b1");
        assert_eq!(
            grant.refresh.as_ref().map(|r| r.expose_secret().to_owned()),
            Some("rft.b1".into())
        );
        assert_eq!(grant.expires_at, Some(now + Duration::from_secs(86_400)));
        assert_eq!(
            grant.scopes,
            vec!["user.info.basic", "comment.list", "comment.list.manage"]
        );
        assert!(business_grant(&json!({"code": 0, "data": {"open_id": "x"}}), now).is_err());
        assert!(matches!(
            business_grant(&json!({"code": 0, "data": {"access_token": "a"}}), now),
            Err(ConnectorError::Permanent { .. })
        ));
    }

    fn target(message: &str, parent: Option<&str>) -> ReplyTarget {
        ReplyTarget {
            kind: MessageKind::Comment,
            message_id: message.into(),
            parent_id: parent.map(str::to_owned),
            root_id: Some("v1".into()),
            thread_id: None,
            contact_id: "+bo".into(),
            contact_handle: "bo.rin".into(),
        }
    }

    #[test]
    fn a_reply_is_answered_under_its_top_level_comment_naming_the_person() {
        // A top-level comment (its parent is the video, or not known): answered under itself.
        for parent in [Some("v1"), None, Some("")] {
            let t = target("7301", parent);
            assert_eq!(reply_target(&t, "Thanks!"), ("7301", "Thanks!".to_owned()));
        }
        // A reply to comment 7300: under 7300, with an @mention of its author.
        let t = target("7302", Some("7300"));
        assert_eq!(
            reply_target(&t, "Tomorrow."),
            ("7300", "@bo.rin Tomorrow.".to_owned())
        );
        // Already named (any case): not named twice.
        assert_eq!(
            reply_target(&t, "@Bo.Rin tomorrow."),
            ("7300", "@Bo.Rin tomorrow.".to_owned())
        );
        // No handle to name: the text as written.
        let mut t = target("7302", Some("7300"));
        t.contact_handle = " @ ".into();
        assert_eq!(reply_target(&t, "Hi"), ("7300", "Hi".to_owned()));
    }

    #[test]
    fn a_refused_code_needs_a_person_and_tiktoks_trouble_passes() {
        let h = HeaderMap::new();
        let e = |code: i64| {
            token_error(
                StatusCode::OK,
                &h,
                &json!({"code": code, "message": "auth_code is expired", "request_id": "r"}),
            )
        };
        assert!(
            matches!(e(40002), ConnectorError::Auth { reason } if reason.contains("auth_code is expired"))
        );
        assert!(matches!(e(40105), ConnectorError::Auth { .. }));
        assert!(matches!(e(40100), ConnectorError::RateLimited { .. }));
        assert!(matches!(e(50000), ConnectorError::Temporary { .. }));
        assert!(
            token_error(StatusCode::BAD_GATEWAY, &h, &Value::Null).is_retryable(),
            "a gateway error without an envelope passes"
        );
    }
}
