//! Instagram professional accounts, through the Instagram API with Facebook Login (Meta's Graph
//! API, `https://graph.facebook.com/v21.0`; the version is [`GRAPH_VERSION`]).
//!
//! The channel's [`Credentials::account_id`] is the Instagram professional account's id (the IG
//! user id), its secret a Page access token of the linked Page or a long-lived user token (sent as
//! `Authorization: Bearer`, never in an address). Endpoints, from the content publishing guide
//! <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/content-publishing>
//! and the IG User Media reference
//! <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media>:
//!
//! - **verify**: `GET /{ig-user-id}?fields=id,username`.
//! - **publish** is three steps. (1) Containers: `POST /{ig-user-id}/media` with `image_url` (and
//!   `alt_text`, which Meta takes on images of feed posts and carousels, not on Reels or Stories),
//!   or `media_type=REELS`/`STORIES` with `video_url`/`image_url`, and `caption`; a carousel makes
//!   one container per item (`is_carousel_item=true`, videos with `media_type=VIDEO`), then one with
//!   `media_type=CAROUSEL` and `children` (2 to 10). (2) `GET /{container-id}?fields=status_code,
//!   status` until `FINISHED` (every few seconds, at most five minutes by default; `ERROR` is
//!   `Permanent` with Meta's status, `EXPIRED` or still `IN_PROGRESS` is `Temporary`: nothing was
//!   published). (3) `POST /{ig-user-id}/media_publish` with `creation_id`; then
//!   `GET /{media-id}?fields=permalink`.
//! - Media is fetched by Meta from a public address ([`MediaUpload::url`]; the connector declares
//!   [`MediaSource::Url`], so the engine signs an address under `OWLERY_PUBLIC_URL` for each
//!   image rendition and video, valid for an hour, and fails the variant before any call when that
//!   address cannot be reached from the internet): a part with media without one is refused
//!   before anything is sent, as are text-only parts (Instagram has none).
//! - **placements** (`networks.toml`): `feed` (one image; several make a carousel; one video is
//!   published as a Reel, as Meta does with every single feed video since 2023), `carousel`,
//!   `reel` (one video, `share_to_feed=true`), `story` (one image or video, no caption).
//! - **first comments** (`as_comment` with `reply_to`): `POST /{ig-media-id}/comments` with
//!   `message`; Instagram has no threads of posts, so `reply_to` without `as_comment` is refused.
//! - **quota**: before a post, `GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,
//!   config` (50 posts per 24 hours); when it is used up the part is `RateLimited` for
//!   `config.quota_duration` and the budget book says so.
//! - **delete**: the API cannot delete posts: `Permanent`, "delete it in the Instagram app".
//!   First comments can be deleted (`DELETE /{ig-comment-id}`).
//! - **status**: `GET /{media-id}?fields=like_count,comments_count,permalink`, and (when Meta
//!   answers) `GET /{media-id}/insights?metric=saved,shares`.
//! - **lookup**: no idempotency key. `GET /{ig-user-id}/media?fields=id,caption,timestamp,
//!   permalink&since=<unix>` read back to `since`, matching the exact caption (whitespace
//!   normalised); comments through `GET /{ig-media-id}/comments`; Stories (no caption) through
//!   `GET /{ig-user-id}/stories`: none since the attempt is `Absent`, any is `CannotTell`.
//! - **OAuth**: Facebook Login (same dialog as Pages), scopes `instagram_basic,
//!   instagram_content_publish,instagram_manage_comments,instagram_manage_insights,pages_show_list,
//!   pages_read_engagement`; [`Instagram::accounts`] lists the professional accounts linked to the
//!   person's Pages with each Page's token. `refresh`: nothing for a Page token (no `expires_at`);
//!   a user token with an expiry is exchanged with `grant_type=fb_exchange_token`.
//! - Errors and budgets: see `meta.rs` (Instagram's own subcodes included: 2207042 publishing
//!   limit → `RateLimited`, 2207051 spam restriction → `Permanent`, media download/processing
//!   hiccups → `Temporary`).
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/instagram_fixture.rs`); not verified against the live network. That Meta can download
//! Owlery's signed media addresses is shown only by a fixture standing in for Meta, fetching them
//! from a running Owlery (`owlery-web` tests, `media_urls.rs`). Not implemented: the
//! Instagram API with Instagram Login (`graph.instagram.com`), resumable video uploads
//! (`upload_type=resumable`), user and product tags, collaborators, Reel covers, alt text on
//! Stories (the API takes none).

use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, RequestBuilder};
use secrecy::SecretString;
use serde_json::Value;

use crate::budget::{Scope, Window};
use crate::http::Effect;
use crate::meta::{self, Call, Graph, GraphError, Listing, Visit};
pub use crate::meta::{DEFAULT_API_BASE, GRAPH_VERSION};
use crate::oauth::OAuthSpec;
use crate::{
    AccountInfo, AccountKind, AppCredentials, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, MediaSource, MediaUpload, Metrics, Network, PublishRequest,
    Published, RemoteRef, RemoteStatus, TokenGrant,
};

/// What Owlery asks a person to grant: read the account, publish, answer comments, read insights,
/// and see the Pages the account is linked to.
pub const SCOPES: [&str; 6] = [
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
];

/// A caption's limit (characters).
pub const MAX_CAPTION_CHARS: usize = 2_200;
/// Items of a carousel.
pub const MAX_CAROUSEL: usize = 10;
/// How often a container's status is read while Meta processes it (the first read is at once;
/// Meta suggests reading no more than once a minute for at most five minutes, but most images are
/// ready at the first read and short videos within seconds).
pub const DEFAULT_POLL_EVERY: Duration = Duration::from_secs(10);
/// How long a publish waits for Meta to process the media at most.
pub const DEFAULT_POLL_FOR: Duration = Duration::from_secs(5 * 60);
/// Stories stay 24 hours; `/stories` lists only those.
const STORY_LIFETIME: Duration = Duration::from_secs(24 * 3600);

const NETWORK: Network = Network::Instagram;

/// The Instagram connector.
pub struct Instagram {
    graph: Graph,
    poll_every: Duration,
    poll_for: Duration,
}

/// A post made of containers.
#[derive(Debug, PartialEq)]
enum Post<'a> {
    Image(&'a MediaUpload),
    Carousel(&'a [MediaUpload]),
    Reel(&'a MediaUpload),
    Story(&'a MediaUpload),
}

#[derive(Debug, PartialEq)]
enum Kind<'a> {
    Post(Post<'a>),
    Comment { parent: &'a str },
}

/// What a part becomes on Instagram, decided before anything is sent.
#[derive(Debug, PartialEq)]
struct Plan<'a> {
    kind: Kind<'a>,
    caption: String,
}

fn refuse(reason: impl Into<String>) -> ConnectorError {
    ConnectorError::Permanent {
        reason: reason.into(),
    }
}

fn is_public_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// Decides what `req` becomes, refusing what Instagram cannot do.
fn plan(req: &PublishRequest) -> Result<Plan<'_>, ConnectorError> {
    let part = &req.part;
    let link = part.link.as_deref();
    let caption = meta::with_link(&part.text, link);
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(refuse(format!(
            "the caption has {} characters; Instagram takes at most {MAX_CAPTION_CHARS}",
            caption.chars().count()
        )));
    }
    let placement = req.placement.trim();

    if let Some(parent) = &req.reply_to {
        if !req.as_comment {
            return Err(refuse(
                "Instagram has no threads of posts: publish this part as a first comment, or as a \
                 post of its own",
            ));
        }
        if !part.media.is_empty() {
            return Err(refuse("Instagram comments are text only: remove the media"));
        }
        if caption.trim().is_empty() {
            return Err(refuse("the comment is empty: write something"));
        }
        return Ok(Plan {
            kind: Kind::Comment {
                parent: meta::object_id(&parent.id, "the post to comment on")?,
            },
            caption,
        });
    }
    if req.as_comment {
        return Err(refuse(
            "a first comment needs the post it goes under, and none was given",
        ));
    }
    if !matches!(placement, "" | "feed" | "carousel" | "reel" | "story") {
        return Err(refuse(format!(
            "Instagram has no placement {placement:?}: use feed, carousel, reel or story"
        )));
    }
    if part.media.is_empty() {
        return Err(refuse(
            "Instagram cannot publish text alone: add an image or a video",
        ));
    }
    if part.media.len() > MAX_CAROUSEL {
        return Err(refuse(format!(
            "{} images and videos: Instagram takes at most {MAX_CAROUSEL} in a carousel",
            part.media.len()
        )));
    }
    for (i, media) in part.media.iter().enumerate() {
        if !media.url.as_deref().is_some_and(is_public_url) {
            return Err(refuse(format!(
                "Instagram fetches every image and video from a public address, and attachment \
                 {} has none: set OWLERY_PUBLIC_URL to an address reachable from the internet, \
                 then publish again",
                i + 1
            )));
        }
        if media.kind == MediaKind::Image
            && !media.mime.is_empty()
            && !matches!(media.mime.as_str(), "image/jpeg" | "image/jpg")
        {
            return Err(refuse(format!(
                "Instagram takes JPEG images only; attachment {} is {}",
                i + 1,
                media.mime
            )));
        }
    }
    let post = match (placement, part.media.as_slice()) {
        ("story", media) => {
            if !caption.trim().is_empty() {
                return Err(refuse(
                    "Instagram Stories published through the API carry no caption: put the words \
                     into the image or video, and remove the text",
                ));
            }
            match media {
                [one] => Post::Story(one),
                _ => {
                    return Err(refuse(format!(
                        "an Instagram Story is exactly one image or video, not {}",
                        media.len()
                    )));
                }
            }
        }
        ("reel", [one]) if one.kind == MediaKind::Video => Post::Reel(one),
        ("reel", _) => return Err(refuse("an Instagram Reel is exactly one video")),
        ("carousel", [_]) => {
            return Err(refuse(
                "a carousel needs 2 to 10 images or videos; post one image to the feed instead",
            ));
        }
        ("carousel", many) => Post::Carousel(many),
        (_, [one]) if one.kind == MediaKind::Video => Post::Reel(one),
        (_, [one]) => Post::Image(one),
        (_, many) => Post::Carousel(many),
    };
    Ok(Plan {
        kind: Kind::Post(post),
        caption,
    })
}

impl Instagram {
    pub fn new(env: Env) -> Result<Instagram, ConnectorError> {
        Ok(Instagram {
            graph: Graph::new(&env, NETWORK)?,
            poll_every: DEFAULT_POLL_EVERY,
            poll_for: DEFAULT_POLL_FOR,
        })
    }

    /// How often and how long a publish reads a container's status while Meta processes it.
    pub fn with_polling(mut self, every: Duration, at_most: Duration) -> Instagram {
        self.poll_every = every;
        self.poll_for = at_most;
        self
    }

    /// The Instagram professional accounts linked to the Pages a person manages:
    /// `(ig user id, username, page token)`, for the connect flow (`GET /me/accounts` with
    /// `instagram_business_account{id,username}`, using the long-lived user token).
    pub async fn accounts(
        &self,
        user_token: &SecretString,
    ) -> Result<Vec<(String, String, SecretString)>, ConnectorError> {
        let accounts = self
            .graph
            .accounts(user_token, ",instagram_business_account{id,username}")
            .await?;
        Ok(accounts
            .iter()
            .filter_map(|a| {
                let ig = a.get("instagram_business_account")?;
                let id = ig.get("id").and_then(Value::as_str)?;
                let username = ig
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let token = a.get("access_token").and_then(Value::as_str)?;
                Some((
                    id.to_owned(),
                    username.to_owned(),
                    SecretString::from(token.to_owned()),
                ))
            })
            .collect())
    }

    /// Exchanges the short-lived user token from the code exchange for a long-lived one.
    pub async fn long_lived_token(
        &self,
        app: &AppCredentials,
        user_token: &SecretString,
    ) -> Result<TokenGrant, ConnectorError> {
        self.graph.long_lived(app, user_token).await
    }

    async fn send(
        &self,
        creds: &Credentials,
        request: RequestBuilder,
        endpoint: &str,
        effect: Effect,
    ) -> Result<Value, GraphError> {
        let budget = creds.budget_key();
        let secrets = [&creds.secret];
        let call = Call {
            endpoint,
            budget: &budget,
            effect,
            secrets: &secrets,
        };
        self.graph.send(request, &call).await
    }

    async fn call(
        &self,
        creds: &Credentials,
        request: RequestBuilder,
        endpoint: &str,
        effect: Effect,
    ) -> Result<Value, ConnectorError> {
        self.send(creds, request, endpoint, effect)
            .await
            .map_err(|e| e.into_connector(NETWORK))
    }

    fn get(&self, creds: &Credentials, path: &str, fields: &str) -> RequestBuilder {
        self.graph
            .request(Method::GET, path, &creds.secret)
            .query(&[("fields", fields)])
    }

    /// Refuses when the account's publishing quota is used up (and files it in the budget book).
    /// A failure to read it is not a reason to stop, unless it says the token is dead or the
    /// account is rate limited.
    async fn check_quota(&self, creds: &Credentials, ig: &str) -> Result<(), ConnectorError> {
        let request = self.get(
            creds,
            &format!("{ig}/content_publishing_limit"),
            "quota_usage,config",
        );
        let answer = match self
            .call(creds, request, "content_publishing_limit", Effect::Read)
            .await
        {
            Ok(answer) => answer,
            Err(e @ (ConnectorError::Auth { .. } | ConnectorError::RateLimited { .. })) => {
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(network = NETWORK.code(), error = %e, "publishing quota not read");
                return Ok(());
            }
        };
        let Some(entry) = answer.pointer("/data/0") else {
            return Ok(());
        };
        let Some(used) = entry.get("quota_usage").and_then(Value::as_u64) else {
            return Ok(());
        };
        let total = entry
            .pointer("/config/quota_total")
            .and_then(Value::as_u64)
            .unwrap_or(50);
        let per = Duration::from_secs(
            entry
                .pointer("/config/quota_duration")
                .and_then(Value::as_u64)
                .unwrap_or(86_400),
        );
        let now = SystemTime::now();
        let remaining = total.saturating_sub(used);
        self.graph.budgets().observe(
            NETWORK,
            Scope::Account,
            &creds.budget_key(),
            "content_publishing_limit",
            Window {
                remaining,
                limit: Some(total),
                resets_at: now + per,
            },
        );
        if remaining == 0 {
            tracing::info!(
                network = NETWORK.code(),
                quota.used = used,
                quota.total = total,
                "publishing quota used up"
            );
            return Err(ConnectorError::RateLimited {
                retry_after: Some(per),
            });
        }
        Ok(())
    }

    /// Creates one container: its id. Containers are unpublished and expire in 24 hours, so a
    /// repeat is harmless and a failure midway is never `Unknown`.
    async fn container(
        &self,
        creds: &Credentials,
        ig: &str,
        form: &[(&str, String)],
    ) -> Result<String, ConnectorError> {
        let request = self
            .graph
            .request(Method::POST, &format!("{ig}/media"), &creds.secret)
            .form(form);
        let answer = self.call(creds, request, "media", Effect::Read).await?;
        meta::field(&answer, "id", "media", Effect::Read)
    }

    /// Waits (bounded) until Meta has processed a container.
    async fn ready(&self, creds: &Credentials, container: &str) -> Result<(), ConnectorError> {
        let deadline = Instant::now() + self.poll_for;
        loop {
            let request = self.get(creds, container, "status_code,status");
            let answer = self
                .call(creds, request, "container status", Effect::Read)
                .await?;
            let code = answer
                .get("status_code")
                .and_then(Value::as_str)
                .unwrap_or("");
            let status = answer.get("status").and_then(Value::as_str).unwrap_or(code);
            match code {
                "FINISHED" => return Ok(()),
                "ERROR" => {
                    return Err(refuse(format!(
                        "Instagram could not process the media ({status}): check its format, size \
                         and proportions"
                    )));
                }
                "EXPIRED" => {
                    return Err(ConnectorError::Temporary {
                        reason: "the Instagram container expired before it was published; nothing \
                                 was published"
                            .into(),
                        retry_after: None,
                    });
                }
                "PUBLISHED" => {
                    return Err(ConnectorError::Unknown {
                        reason: format!(
                            "Instagram says container {container} is already published; look the \
                             result up before sending it again"
                        ),
                    });
                }
                _ => {}
            }
            if Instant::now() + self.poll_every > deadline {
                return Err(ConnectorError::Temporary {
                    reason: format!(
                        "Instagram was still processing the media after {} s ({status}); nothing \
                         was published",
                        self.poll_for.as_secs()
                    ),
                    retry_after: None,
                });
            }
            tokio::time::sleep(self.poll_every).await;
        }
    }

    /// Where people see a media; a fallback address if Meta does not say (the post exists).
    async fn permalink(&self, creds: &Credentials, id: &str) -> String {
        let fallback = match creds.handle.trim().trim_start_matches('@') {
            "" => "https://www.instagram.com/".to_owned(),
            handle => format!("https://www.instagram.com/{handle}/"),
        };
        let request = self.get(creds, id, "permalink");
        match self.call(creds, request, "permalink", Effect::Read).await {
            Ok(v) => v
                .get("permalink")
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty())
                .map_or(fallback, str::to_owned),
            Err(e) => {
                tracing::warn!(network = NETWORK.code(), media.id = id, error = %e, "permalink not read");
                fallback
            }
        }
    }

    async fn run(
        &self,
        creds: &Credentials,
        ig: &str,
        plan: Plan<'_>,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        let post = match plan.kind {
            Kind::Post(post) => post,
            Kind::Comment { parent } => {
                let request = self
                    .graph
                    .request(Method::POST, &format!("{parent}/comments"), &creds.secret)
                    .form(&[("message", plan.caption.as_str())]);
                let answer = match self.send(creds, request, "comments", Effect::Write).await {
                    Ok(answer) => answer,
                    Err(e) if e.is_missing() => {
                        return Err(refuse(format!(
                            "the post to comment on ({parent}) does not exist any more"
                        )));
                    }
                    Err(e) => return Err(e.into_connector(NETWORK)),
                };
                let id = meta::field(&answer, "id", "comments", Effect::Write)?;
                let url = self.permalink(creds, parent).await;
                return Ok(Published {
                    remote: RemoteRef {
                        id,
                        cid: None,
                        root: req.reply_to.as_ref().map(|r| Box::new(r.clone())),
                    },
                    url,
                });
            }
        };

        self.check_quota(creds, ig).await?;
        let caption = plan.caption;
        let url_of = |m: &MediaUpload| m.url.clone().unwrap_or_default();
        let container = match post {
            Post::Image(m) => {
                let mut form = vec![("image_url", url_of(m)), ("caption", caption)];
                if !m.alt.trim().is_empty() {
                    form.push(("alt_text", m.alt.clone()));
                }
                self.container(creds, ig, &form).await?
            }
            Post::Reel(m) => {
                let form = [
                    ("media_type", "REELS".to_owned()),
                    ("video_url", url_of(m)),
                    ("caption", caption),
                    ("share_to_feed", "true".to_owned()),
                ];
                self.container(creds, ig, &form).await?
            }
            Post::Story(m) => {
                let source = if m.kind == MediaKind::Video {
                    "video_url"
                } else {
                    "image_url"
                };
                let form = [("media_type", "STORIES".to_owned()), (source, url_of(m))];
                self.container(creds, ig, &form).await?
            }
            Post::Carousel(items) => {
                let mut children = Vec::with_capacity(items.len());
                for m in items {
                    let mut form = vec![("is_carousel_item", "true".to_owned())];
                    if m.kind == MediaKind::Video {
                        form.push(("media_type", "VIDEO".to_owned()));
                        form.push(("video_url", url_of(m)));
                    } else {
                        form.push(("image_url", url_of(m)));
                        if !m.alt.trim().is_empty() {
                            form.push(("alt_text", m.alt.clone()));
                        }
                    }
                    let child = self.container(creds, ig, &form).await?;
                    if m.kind == MediaKind::Video {
                        self.ready(creds, &child).await?;
                    }
                    children.push(child);
                }
                let form = [
                    ("media_type", "CAROUSEL".to_owned()),
                    ("children", children.join(",")),
                    ("caption", caption),
                ];
                self.container(creds, ig, &form).await?
            }
        };
        self.ready(creds, &container).await?;
        let request = self
            .graph
            .request(Method::POST, &format!("{ig}/media_publish"), &creds.secret)
            .form(&[("creation_id", container.as_str())]);
        let answer = self
            .call(creds, request, "media_publish", Effect::Write)
            .await?;
        let id = meta::field(&answer, "id", "media_publish", Effect::Write)?;
        let url = self.permalink(creds, &id).await;
        Ok(Published {
            remote: RemoteRef {
                id,
                cid: None,
                root: None,
            },
            url,
        })
    }
}

/// What a person unnamed by Meta is filed under (the author of a comment that mentions the
/// account: `mentioned_comment` has no author field).
pub const UNNAMED_AUTHOR: &str = "instagram:unnamed";

/// The inbox item of a `mentioned_media` or `mentioned_comment` answer.
fn mention_item(
    found: &Value,
    media_id: &str,
    comment_id: Option<&str>,
) -> Result<crate::inbox::InboxItem, ConnectorError> {
    use owlery_domain::inbox::{Author, MessageKind};
    let text = |k: &str| {
        found
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let created_at = text("timestamp")
        .and_then(meta::parse_time)
        .map(chrono::DateTime::<chrono::Utc>::from)
        .ok_or_else(|| refuse("Instagram's mention has no readable time"))?;
    let (remote_id, author, body, media) = match comment_id {
        None => {
            let username = text("username").unwrap_or(UNNAMED_AUTHOR);
            let media = text("media_url")
                .filter(|u| u.starts_with("https://"))
                .map(str::to_owned)
                .into_iter()
                .collect();
            (
                media_id.to_owned(),
                Author {
                    remote_id: username.to_owned(),
                    handle: username.to_owned(),
                    name: username.to_owned(),
                    followers: None,
                },
                text("caption").unwrap_or_default(),
                media,
            )
        }
        Some(comment) => (
            comment.to_owned(),
            Author {
                remote_id: UNNAMED_AUTHOR.to_owned(),
                handle: String::new(),
                name: "Someone on Instagram".to_owned(),
                followers: None,
            },
            text("text").unwrap_or_default(),
            Vec::new(),
        ),
    };
    // Only the documented fields are asked for; neither node lists a permalink.
    let url = None;
    Ok(crate::inbox::InboxItem {
        remote_id,
        kind: MessageKind::Mention,
        author,
        text: body.to_owned(),
        created_at,
        conversation_remote_id: Some(media_id.to_owned()),
        in_reply_to_remote_id: comment_id.map(|_| media_id.to_owned()),
        media,
        url,
    })
}

impl Connector for Instagram {
    fn network(&self) -> Network {
        NETWORK
    }

    /// Meta downloads every image and video from a public address (`image_url`, `video_url`).
    fn media_source(&self, _kind: MediaKind) -> MediaSource {
        MediaSource::Url
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let ig = meta::account_id(creds, "Instagram account")?;
        let request = self.get(creds, ig, "id,username");
        let answer = self.call(creds, request, "ig user", Effect::Read).await?;
        Ok(AccountInfo {
            id: meta::field(&answer, "id", "ig user", Effect::Read)?,
            handle: answer
                .get("username")
                .and_then(Value::as_str)
                .unwrap_or(ig)
                .to_owned(),
        })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        let plan = plan(req)?;
        let ig = meta::account_id(creds, "Instagram account")?;
        self.run(creds, ig, plan, req).await
    }

    /// Comments are answered with a reply to the comment (`POST /{ig-comment-id}/replies` with
    /// `message`); direct messages with the Send API (`POST /{ig-user-id}/messages`, see
    /// `meta::send_message`). Mentions in others' posts are not answered here.
    fn can_reply(&self, kind: owlery_domain::inbox::MessageKind) -> bool {
        kind != owlery_domain::inbox::MessageKind::Mention
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        use owlery_domain::inbox::MessageKind;
        let ig = meta::account_id(creds, "Instagram account")?;
        match req.target.kind {
            MessageKind::Mention => Err(crate::inbox::cannot_reply(NETWORK, req.target.kind)),
            MessageKind::Dm => meta::send_message(&self.graph, creds, NETWORK, ig, req).await,
            MessageKind::Comment => {
                let comment = meta::object_id(&req.target.message_id, "the comment to answer")?;
                let request = self
                    .graph
                    .request(Method::POST, &format!("{comment}/replies"), &creds.secret)
                    .form(&[("message", req.text.as_str())]);
                let answer = match self.send(creds, request, "replies", Effect::Write).await {
                    Ok(answer) => answer,
                    Err(e) if e.is_missing() => {
                        return Err(refuse(format!(
                            "the comment to answer ({comment}) does not exist any more"
                        )));
                    }
                    Err(e) => return Err(e.into_connector(NETWORK)),
                };
                let id = meta::field(&answer, "id", "replies", Effect::Write)?;
                let url = match req.target.root_id.as_deref() {
                    Some(media) => self.permalink(creds, media).await,
                    None => String::new(),
                };
                Ok(Published {
                    remote: RemoteRef {
                        id,
                        cid: None,
                        root: None,
                    },
                    url,
                })
            }
        }
    }

    /// Instagram's `mentions` webhook names only the media (and the comment) the account was
    /// @mentioned in; the content is read as the account, through the IG User node's
    /// `mentioned_media` and `mentioned_comment` fields
    /// (<https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_media>,
    /// <https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_comment>).
    /// A caption mention is a mention whose thread is the media, by the media's author; a comment
    /// mention is a mention in the media's thread — Meta does not say who wrote such a comment,
    /// so its author is one unnamed Instagram contact.
    async fn resolve_pushed(
        &self,
        creds: &Credentials,
        what: &crate::webhook::events::Unresolved,
    ) -> Result<crate::inbox::InboxItem, ConnectorError> {
        let crate::webhook::events::Unresolved::InstagramMention {
            media_id,
            comment_id,
        } = what;
        let ig = meta::account_id(creds, "Instagram account")?;
        let media_id = meta::object_id(media_id, "the media the account is mentioned in")?;
        let (field, fields, key) = match comment_id {
            None => (
                format!("mentioned_media.media_id({media_id})"),
                "id,caption,username,timestamp,media_type,media_url",
                "mentioned_media",
            ),
            Some(comment) => (
                format!(
                    "mentioned_comment.comment_id({})",
                    meta::object_id(comment, "the comment the account is mentioned in")?
                ),
                "id,text,timestamp,like_count,media{id}",
                "mentioned_comment",
            ),
        };
        let request = self.get(creds, ig, &format!("{field}{{{fields}}}"));
        let answer = match self.send(creds, request, key, Effect::Read).await {
            Ok(answer) => answer,
            Err(e) if e.is_missing() => {
                return Err(refuse(format!(
                    "the Instagram {} the account was mentioned in is gone (deleted, or its \
                     comments turned off)",
                    if comment_id.is_some() {
                        "comment"
                    } else {
                        "post"
                    }
                )));
            }
            Err(e) => return Err(e.into_connector(NETWORK)),
        };
        let found = answer
            .get(key)
            .filter(|v| v.is_object())
            .ok_or_else(|| refuse(format!("Instagram answered without {key}")))?;
        mention_item(found, media_id, comment_id.as_deref())
    }

    /// A comment's replies are read back (`GET /{ig-comment-id}/replies`) and matched by text;
    /// a direct message through the Conversations API (`meta::lookup_message`, as the linked
    /// Page: `me`). Mentions are never answered.
    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        match req.target.kind {
            owlery_domain::inbox::MessageKind::Comment => {}
            owlery_domain::inbox::MessageKind::Dm => {
                let ig = meta::account_id(creds, "Instagram account")?;
                return meta::lookup_message(&self.graph, creds, NETWORK, "me", ig, req, since)
                    .await;
            }
            owlery_domain::inbox::MessageKind::Mention => return Ok(Lookup::Absent),
        }
        let comment = meta::object_id(&req.target.message_id, "the comment to answer")?;
        let from = since.checked_sub(meta::SKEW).unwrap_or(since);
        let wanted = meta::normalize(&req.text);
        let budget = creds.budget_key();
        let secrets = [&creds.secret];
        let call = Call {
            endpoint: "replies",
            budget: &budget,
            effect: Effect::Read,
            secrets: &secrets,
        };
        let query = vec![
            ("fields", "id,text,timestamp".to_owned()),
            ("limit", "50".to_owned()),
        ];
        let listing = self
            .graph
            .list(
                &format!("{comment}/replies"),
                &query,
                &creds.secret,
                &call,
                |item| {
                    let older = item
                        .get("timestamp")
                        .and_then(Value::as_str)
                        .and_then(meta::parse_time)
                        .is_some_and(|t| t < from);
                    let text = item.get("text").and_then(Value::as_str).unwrap_or("");
                    if !older && meta::normalize(text) == wanted {
                        Visit::Found
                    } else {
                        Visit::Continue
                    }
                },
            )
            .await;
        match listing {
            Ok(Listing::Found(item)) => Ok(Lookup::Found(Published {
                remote: RemoteRef {
                    id: meta::field(&item, "id", "replies", Effect::Read)?,
                    cid: None,
                    root: None,
                },
                url: String::new(),
            })),
            Ok(Listing::Complete) => Ok(Lookup::Absent),
            Ok(Listing::Incomplete) => Ok(Lookup::CannotTell {
                reason: "the comment has more replies than Owlery reads: check it on Instagram"
                    .into(),
            }),
            Err(e) => Err(e.into_connector(NETWORK)),
        }
    }

    async fn lookup(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        // What publish refuses was never sent.
        let Ok(plan) = plan(req) else {
            return Ok(Lookup::Absent);
        };
        let ig = meta::account_id(creds, "Instagram account")?;
        let from = since.checked_sub(meta::SKEW).unwrap_or(since);
        let budget = creds.budget_key();
        let secrets = [&creds.secret];
        let call = Call {
            endpoint: "lookup",
            budget: &budget,
            effect: Effect::Read,
            secrets: &secrets,
        };
        let at = |item: &Value| {
            item.get("timestamp")
                .and_then(Value::as_str)
                .and_then(meta::parse_time)
        };

        if let Kind::Post(Post::Story(_)) = plan.kind {
            if SystemTime::now()
                .duration_since(from)
                .is_ok_and(|age| age >= STORY_LIFETIME)
            {
                return Ok(Lookup::CannotTell {
                    reason: "the first attempt is more than a day old and Stories last a day"
                        .into(),
                });
            }
            let mut newer = 0usize;
            let listing = self
                .graph
                .list(
                    &format!("{ig}/stories"),
                    &[("fields", "id,timestamp,permalink,media_type".to_owned())],
                    &creds.secret,
                    &call,
                    |item| {
                        if at(item).is_none_or(|t| t >= from) {
                            newer += 1;
                        }
                        Visit::Continue
                    },
                )
                .await
                .map_err(|e| e.into_connector(NETWORK))?;
            return Ok(match (listing, newer) {
                (Listing::Complete, 0) => Lookup::Absent,
                (Listing::Incomplete, _) => Lookup::CannotTell {
                    reason: "could not read all of the account's Stories".into(),
                },
                (_, n) => Lookup::CannotTell {
                    reason: format!(
                        "{n} Stories were published since the first attempt and Stories have no \
                         caption to recognise this one by: check the account's Stories"
                    ),
                },
            });
        }

        let wanted = meta::normalize(&plan.caption);
        if wanted.is_empty() {
            return Ok(Lookup::CannotTell {
                reason: "the post has no caption to recognise it by among the account's posts"
                    .into(),
            });
        }
        let (path, query, parent, text_field) = match plan.kind {
            Kind::Comment { parent } => (
                format!("{parent}/comments"),
                vec![
                    ("fields", "id,text,timestamp".to_owned()),
                    ("limit", "50".to_owned()),
                ],
                Some(parent),
                "text",
            ),
            _ => (
                format!("{ig}/media"),
                vec![
                    ("fields", "id,caption,timestamp,permalink".to_owned()),
                    ("since", meta::unix(from).to_string()),
                    ("limit", "50".to_owned()),
                ],
                None,
                "caption",
            ),
        };
        let listing = self
            .graph
            .list(&path, &query, &creds.secret, &call, |item| {
                let older = at(item).is_some_and(|t| t < from);
                if older && parent.is_none() {
                    // media come newest first: the rest is older too
                    return Visit::Older;
                }
                let text = item.get(text_field).and_then(Value::as_str).unwrap_or("");
                if !older && meta::normalize(text) == wanted {
                    Visit::Found
                } else {
                    Visit::Continue
                }
            })
            .await;
        match listing {
            Ok(Listing::Found(item)) => {
                let id = meta::field(&item, "id", "lookup", Effect::Read)?;
                let url = match (item.get("permalink").and_then(Value::as_str), parent) {
                    (Some(p), None) if !p.is_empty() => p.to_owned(),
                    (_, Some(parent)) => self.permalink(creds, parent).await,
                    _ => self.permalink(creds, &id).await,
                };
                Ok(Lookup::Found(Published {
                    remote: RemoteRef {
                        id,
                        cid: None,
                        root: parent
                            .and(req.reply_to.as_ref())
                            .map(|r| Box::new(r.clone())),
                    },
                    url,
                }))
            }
            Ok(Listing::Complete) => Ok(Lookup::Absent),
            Ok(Listing::Incomplete) => Ok(Lookup::CannotTell {
                reason: format!(
                    "read {} pages of the account's posts without reaching the time of the first \
                     attempt and without a match",
                    meta::MAX_PAGES
                ),
            }),
            Err(e) if e.is_missing() && parent.is_some() => Ok(Lookup::Absent),
            Err(e) => Err(e.into_connector(NETWORK)),
        }
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        if remote.root.is_none() {
            return Err(refuse(
                "Instagram's API cannot delete posts: delete it in the Instagram app",
            ));
        }
        let id = meta::object_id(&remote.id, "the comment")?;
        let request = self.graph.request(Method::DELETE, id, &creds.secret);
        match self
            .send(creds, request, "delete comment", Effect::Read)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_missing() => Ok(()),
            Err(e) => Err(e.into_connector(NETWORK)),
        }
    }

    fn can_hide_comments(&self) -> bool {
        true
    }

    fn can_like(&self, _kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        crate::inbox::Ability::Not(
            "Instagram's API cannot like comments or messages: like it in the Instagram app",
        )
    }

    /// Comments on the account's own media can be deleted; mentions and messages cannot.
    fn can_delete_comment(&self, kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        if kind == owlery_domain::inbox::MessageKind::Comment {
            crate::inbox::Ability::Allowed
        } else {
            crate::inbox::Ability::Not(
                "Instagram's API deletes only comments on the account's own media",
            )
        }
    }

    /// `DELETE /{ig-comment-id}`.
    async fn delete_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        Connector::delete(self, creds, &comment_ref(remote_id)).await
    }

    /// Answers are comments (`/{comment}/replies`): deleted as comments.
    async fn delete_reply(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<(), ConnectorError> {
        Connector::delete(self, creds, &comment_ref(&remote.id)).await
    }

    /// `POST /{ig-comment-id}?hide=true`.
    async fn hide_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        let id = meta::object_id(remote_id, "the comment")?;
        let request = self
            .graph
            .request(Method::POST, id, &creds.secret)
            .query(&[("hide", "true")]);
        match self
            .send(creds, request, "hide comment", Effect::Read)
            .await
        {
            Ok(answer) if answer.get("success").and_then(Value::as_bool) == Some(false) => {
                Err(ConnectorError::Temporary {
                    reason: "Instagram did not confirm hiding the comment".into(),
                    retry_after: None,
                })
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e.into_connector(NETWORK)),
        }
    }

    async fn status(
        &self,
        creds: &Credentials,
        remote: &RemoteRef,
    ) -> Result<RemoteStatus, ConnectorError> {
        let id = meta::object_id(&remote.id, "the post")?;
        let is_comment = remote.root.is_some();
        let fields = if is_comment {
            "id,like_count"
        } else {
            "id,like_count,comments_count,permalink"
        };
        let request = self.get(creds, id, fields);
        let answer = match self.send(creds, request, "status", Effect::Read).await {
            Ok(answer) => answer,
            Err(e) if e.is_missing() => return Ok(RemoteStatus::default()),
            Err(e) => return Err(e.into_connector(NETWORK)),
        };
        let mut metrics = Metrics {
            likes: answer.get("like_count").and_then(Value::as_u64),
            comments: answer.get("comments_count").and_then(Value::as_u64),
            ..Metrics::default()
        };
        if !is_comment {
            let request = self
                .graph
                .request(Method::GET, &format!("{id}/insights"), &creds.secret)
                .query(&[("metric", "saved,shares")]);
            // Insights are a bonus: not every media type has these metrics.
            if let Ok(insights) = self.call(creds, request, "insights", Effect::Read).await {
                let metric = |name: &str| {
                    insights
                        .get("data")
                        .and_then(Value::as_array)
                        .and_then(|d| {
                            d.iter()
                                .find(|m| m.get("name").and_then(Value::as_str) == Some(name))
                        })
                        .and_then(|m| {
                            m.pointer("/values/0/value")
                                .or_else(|| m.pointer("/total_value/value"))
                                .and_then(Value::as_u64)
                        })
                };
                metrics.saves = metric("saved");
                metrics.shares = metric("shares");
            }
        }
        Ok(RemoteStatus {
            exists: true,
            metrics,
        })
    }

    /// A Page token (no `expires_at`) does not expire: nothing to do. A long-lived user token is
    /// exchanged anew before it runs out.
    async fn refresh(&self, creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        if creds.expires_at.is_none() {
            return Ok(None);
        }
        let Some(app) = &creds.app else {
            return Err(refuse(
                "the organisation's Meta app is not configured, so the Instagram token cannot be \
                 renewed: add the app, or reconnect before the token expires",
            ));
        };
        self.graph.long_lived(app, &creds.secret).await.map(Some)
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(meta::oauth_spec(self.graph.base(), &SCOPES))
    }

    /// The professional accounts linked to the Pages the person manages, each with its Page's
    /// token (from the long-lived user token, so they do not expire).
    async fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        _service: Option<&str>,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let user = self.long_lived_token(app, &grant.access).await?;
        Ok(self
            .accounts(&user.access)
            .await?
            .into_iter()
            .map(|(id, username, token)| GrantedAccount {
                kind: AccountKind::Professional,
                handle: if username.is_empty() {
                    id.clone()
                } else {
                    username.clone()
                },
                name: if username.is_empty() {
                    id.clone()
                } else {
                    username
                },
                id,
                secret: token,
                refresh: None,
                expires_at: None,
            })
            .collect())
    }
}

/// A comment as `delete` knows one (a reference with a root: not a post).
fn comment_ref(id: &str) -> RemoteRef {
    RemoteRef {
        id: id.to_owned(),
        cid: None,
        root: Some(Box::new(RemoteRef {
            id: String::new(),
            cid: None,
            root: None,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishPart;

    fn media(kind: MediaKind, url: Option<&str>) -> MediaUpload {
        MediaUpload {
            kind,
            bytes: vec![1],
            mime: if kind == MediaKind::Image {
                "image/jpeg".into()
            } else {
                "video/mp4".into()
            },
            alt: "alt".into(),
            width: 1080,
            height: 1080,
            duration_ms: None,
            url: url.map(str::to_owned),
        }
    }

    fn img() -> MediaUpload {
        media(MediaKind::Image, Some("https://cdn.example/a.jpg"))
    }

    fn vid() -> MediaUpload {
        media(MediaKind::Video, Some("https://cdn.example/a.mp4"))
    }

    fn req(placement: &str, text: &str, media: Vec<MediaUpload>) -> PublishRequest {
        PublishRequest {
            placement: placement.into(),
            part: PublishPart {
                text: text.into(),
                media,
                ..PublishPart::default()
            },
            ..PublishRequest::new("k", text)
        }
    }

    fn kind_of(r: &PublishRequest) -> String {
        match plan(r) {
            Ok(Plan {
                kind: Kind::Post(p),
                ..
            }) => format!("{p:?}").split('(').next().unwrap_or("").to_owned(),
            Ok(_) => "Comment".to_owned(),
            Err(e) => format!("refused: {e}"),
        }
    }

    #[test]
    fn placements_become_container_kinds() {
        assert_eq!(kind_of(&req("", "c", vec![img()])), "Image");
        assert_eq!(kind_of(&req("feed", "c", vec![img(), img()])), "Carousel");
        assert_eq!(
            kind_of(&req("carousel", "c", vec![img(), vid()])),
            "Carousel"
        );
        assert_eq!(kind_of(&req("feed", "c", vec![vid()])), "Reel");
        assert_eq!(kind_of(&req("reel", "c", vec![vid()])), "Reel");
        assert_eq!(kind_of(&req("story", "", vec![vid()])), "Story");
        assert_eq!(kind_of(&req("story", "", vec![img()])), "Story");
    }

    #[test]
    fn what_instagram_cannot_do_is_refused() {
        let refused = |r: &PublishRequest| match plan(r) {
            Err(ConnectorError::Permanent { reason }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(refused(&req("", "just words", vec![])).contains("text alone"));
        assert!(
            refused(&req("", "c", vec![media(MediaKind::Image, None)])).contains("public address")
        );
        assert!(
            refused(&req(
                "",
                "c",
                vec![media(MediaKind::Image, Some("file:///tmp/a.jpg"))]
            ))
            .contains("public address")
        );
        let mut png = img();
        png.mime = "image/png".into();
        assert!(refused(&req("", "c", vec![png])).contains("JPEG"));
        assert!(refused(&req("reel", "c", vec![img()])).contains("one video"));
        assert!(refused(&req("carousel", "c", vec![img()])).contains("2 to 10"));
        assert!(refused(&req("", "c", vec![img(); 11])).contains("at most 10"));
        assert!(refused(&req("story", "words", vec![img()])).contains("no caption"));
        assert!(refused(&req("story", "", vec![img(), img()])).contains("exactly one"));
        assert!(refused(&req("pin", "c", vec![img()])).contains("no placement"));
        assert!(refused(&req("", &"x".repeat(2_201), vec![img()])).contains("2200"));
        let mut thread = req("", "more", vec![]);
        thread.reply_to = Some(RemoteRef {
            id: "179".into(),
            cid: None,
            root: None,
        });
        assert!(refused(&thread).contains("no threads"));
        thread.as_comment = true;
        assert!(plan(&thread).is_ok());
        thread.part.media = vec![img()];
        assert!(refused(&thread).contains("text only"));
    }
}
