//! Facebook Pages, through Meta's Graph API (`https://graph.facebook.com/v21.0`, the version is
//! [`GRAPH_VERSION`]).
//!
//! The channel's [`Credentials::account_id`] is the Page id and its secret a Page access token
//! (sent as `Authorization: Bearer`, never in an address). Endpoints, from the Pages API guide
//! <https://developers.facebook.com/docs/pages-api/posts>:
//!
//! - **verify**: `GET /{page-id}?fields=id,name`.
//! - **text and links** (`feed_post`, `link_card`): `POST /{page-id}/feed` with `message` and `link`.
//! - **one image**: `POST /{page-id}/photos` with `url` (when [`MediaUpload::url`] is set) or the
//!   bytes as multipart `source`, `caption`, and the alt text as `alt_text_custom` (a documented
//!   field of the Photo node: <https://developers.facebook.com/docs/graph-api/reference/photo/>).
//!   The answer's `post_id` is the post.
//! - **several images**: each `POST /{page-id}/photos` with `published=false` (and its alt text),
//!   then `POST /{page-id}/feed` with `message` and `attached_media[i]={"media_fbid":"…"}`.
//! - **one video**: `POST /{page-id}/videos` on `graph-video.facebook.com` with `file_url` or the
//!   bytes as multipart `source`, `description` and `title`
//!   (<https://developers.facebook.com/docs/video-api/guides/publishing>). The video id is the
//!   post's id; videos take no alt text.
//! - **Stories** (`story`; <https://developers.facebook.com/docs/page-stories-api>): a photo is
//!   uploaded unpublished (`POST /{page-id}/photos`, `published=false`) and published with
//!   `POST /{page-id}/photo_stories` (`photo_id`); a video goes through
//!   `POST /{page-id}/video_stories` (`upload_phase=start`), the upload address Meta returns
//!   (`file_url` header or the bytes, `Authorization: OAuth`), then `upload_phase=finish`. Stories
//!   carry no text or link: a part with either is refused.
//! - **first comments** (`as_comment` with `reply_to`): `POST /{object-id}/comments` with `message`
//!   (and one image as `attachment_url` or `source`).
//! - Where the post is: `GET /{id}?fields=permalink_url` (a video's is relative and made absolute;
//!   if the read fails after a successful publish, `https://www.facebook.com/{id}`).
//! - **delete**: `DELETE /{id}`; "does not exist" (code 100, subcode 33) counts as already gone.
//! - **status**: `GET /{post-id}?fields=permalink_url,shares,reactions.summary(total_count),
//!   comments.summary(total_count)` (videos without `shares`, comments with `like_count`,
//!   `comment_count`); a missing post is `exists: false`.
//! - **lookup**: Facebook has no idempotency key. `GET /{page-id}/posts?since=<unix>&fields=id,
//!   message,created_time,permalink_url&limit=100` (comments: `GET /{object-id}/comments`, newest
//!   first) read back to `since`, matching the exact message (whitespace normalised). The whole
//!   list back to `since` without a match is [`Lookup::Absent`]; a cut-off list, an empty text or a
//!   Story is [`Lookup::CannotTell`].
//! - **OAuth**: Facebook Login (`https://www.facebook.com/v21.0/dialog/oauth`, token at
//!   `/oauth/access_token`), scopes `pages_show_list,pages_manage_posts,pages_read_engagement,
//!   pages_manage_engagement,pages_read_user_engagement` and `publish_video` (the guide lists it for
//!   videos), comma-separated; no PKCE. After the code exchange, [`FacebookPages::long_lived_token`]
//!   and [`FacebookPages::pages`] (`GET /me/accounts`) give each Page's own token. Page tokens
//!   obtained from a long-lived user token do not expire, so `refresh` is `Ok(None)`.
//! - Errors and budgets: see `meta.rs` (codes 190/102/10/200–299 → `Auth`, 4/17/32/613/
//!   80001–80014 → `RateLimited`, 1/2 → `Temporary`, 368 and 100 → `Permanent` with Meta's
//!   message; `X-App-Usage`, `X-Business-Use-Case-Usage`, `X-Page-Usage` filed on every answer).
//!
//! Refused before sending, with a reason: threads (`reply_to` without `as_comment`: Facebook has no
//! threads, publish a first comment instead), Reels (not a placement Owlery offers on Facebook yet),
//! images mixed with a video, more than one video, a link card with an image (a custom link image
//! needs domain ownership on Meta's side), a Story with text, an empty part, unknown placements.
//! Links on photo and video posts are added to the text (Facebook shows no link card on them).
//!
//! Tested against local fixtures that reproduce the documented requests and responses
//! (`tests/facebook_fixture.rs`); not verified against the live network. Not implemented: native
//! scheduling (`scheduled_publish_time`; the engine schedules), Reels (`/video_reels`), resumable
//! uploads of large videos (a video is sent in one request, or fetched by Meta from its URL).

use std::time::SystemTime;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::http::Effect;
use crate::meta::{self, Call, Graph, GraphError, Listing, Visit};
pub use crate::meta::{DEFAULT_API_BASE, DEFAULT_VIDEO_BASE, GRAPH_VERSION};
use crate::oauth::OAuthSpec;
use crate::{
    AccountInfo, AccountKind, AppCredentials, Connector, ConnectorError, Credentials, Env,
    GrantedAccount, Lookup, MediaKind, MediaUpload, Metrics, Network, PublishRequest, Published,
    RemoteRef, RemoteStatus, TokenGrant,
};

/// What Owlery asks a person to grant: publish, read and answer comments, read engagement, upload
/// videos.
pub const SCOPES: [&str; 6] = [
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "pages_manage_engagement",
    "pages_read_user_engagement",
    "publish_video",
];

const NETWORK: Network = Network::FacebookPage;

/// The Facebook Pages connector.
pub struct FacebookPages {
    graph: Graph,
    /// `graph-video.facebook.com` (or the test base) for `/{page-id}/videos`.
    video_base: String,
}

/// What a part becomes on Facebook, decided before anything is sent.
#[derive(Debug, PartialEq)]
enum Plan<'a> {
    /// `POST /{page-id}/feed`.
    Feed {
        message: String,
        link: Option<&'a str>,
    },
    Photo {
        message: String,
        media: &'a MediaUpload,
    },
    Photos {
        message: String,
        media: &'a [MediaUpload],
    },
    Video {
        message: String,
        title: Option<&'a str>,
        media: &'a MediaUpload,
    },
    PhotoStory(&'a MediaUpload),
    VideoStory(&'a MediaUpload),
    Comment {
        parent: &'a str,
        message: String,
        media: Option<&'a MediaUpload>,
    },
}

impl Plan<'_> {
    /// The text the post shows, as lookup looks for it.
    fn message(&self) -> &str {
        match self {
            Plan::Feed { message, .. }
            | Plan::Photo { message, .. }
            | Plan::Photos { message, .. }
            | Plan::Video { message, .. }
            | Plan::Comment { message, .. } => message,
            Plan::PhotoStory(_) | Plan::VideoStory(_) => "",
        }
    }
}

fn refuse(reason: impl Into<String>) -> ConnectorError {
    ConnectorError::Permanent {
        reason: reason.into(),
    }
}

/// Decides what `req` becomes, refusing what Facebook cannot do.
fn plan(req: &PublishRequest) -> Result<Plan<'_>, ConnectorError> {
    let part = &req.part;
    let link = part
        .link
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    for (i, media) in part.media.iter().enumerate() {
        if media.bytes.is_empty() && media.url.is_none() {
            return Err(refuse(format!(
                "attachment {} has neither content nor an address to fetch it from",
                i + 1
            )));
        }
    }
    let placement = req.placement.trim();
    match placement {
        "" | "feed_post" | "feed" | "link_card" | "story" => {}
        "reel" | "reels" => {
            return Err(refuse(
                "Owlery does not publish Facebook Reels yet: post the video as a feed post",
            ));
        }
        other => {
            return Err(refuse(format!(
                "Facebook Pages have no placement {other:?}: use feed_post, link_card or story"
            )));
        }
    }

    if let Some(parent) = &req.reply_to {
        if !req.as_comment {
            return Err(refuse(
                "Facebook has no threads of posts: publish this part as a first comment under \
                 the post, or as a post of its own",
            ));
        }
        if placement == "story" {
            return Err(refuse("Facebook Stories cannot be comments"));
        }
        if part.media.len() > 1 || part.media.iter().any(|m| m.kind == MediaKind::Video) {
            return Err(refuse(
                "a Facebook comment takes at most one image and no video",
            ));
        }
        let message = meta::with_link(&part.text, link);
        if message.trim().is_empty() && part.media.is_empty() {
            return Err(refuse("the comment is empty: write something"));
        }
        return Ok(Plan::Comment {
            parent: meta::object_id(&parent.id, "the post to comment on")?,
            message,
            media: part.media.first(),
        });
    }
    if req.as_comment {
        return Err(refuse(
            "a first comment needs the post it goes under, and none was given",
        ));
    }

    match placement {
        "story" => {
            if !part.text.trim().is_empty() || link.is_some() {
                return Err(refuse(
                    "Facebook Stories published through the API carry no text or link: put the \
                     words into the image or video, and remove the text",
                ));
            }
            match part.media.as_slice() {
                [one] if one.kind == MediaKind::Image => Ok(Plan::PhotoStory(one)),
                [one] => Ok(Plan::VideoStory(one)),
                _ => Err(refuse(format!(
                    "a Facebook Story is exactly one image or video, not {}",
                    part.media.len()
                ))),
            }
        }
        "link_card" => {
            let Some(link) = link else {
                return Err(refuse("a link card needs a link"));
            };
            if !part.media.is_empty() {
                return Err(refuse(
                    "Facebook builds the link card's picture from the linked page; a custom \
                     picture needs the domain verified with Meta. Remove the image, or post it as \
                     a photo post",
                ));
            }
            Ok(Plan::Feed {
                message: part.text.clone(),
                link: Some(link),
            })
        }
        _ => {
            let videos: Vec<&MediaUpload> = part
                .media
                .iter()
                .filter(|m| m.kind == MediaKind::Video)
                .collect();
            if !videos.is_empty() && videos.len() != part.media.len() {
                return Err(refuse(
                    "a Facebook post carries either photos or one video, not both: split it",
                ));
            }
            match (videos.as_slice(), part.media.as_slice()) {
                ([video], _) => Ok(Plan::Video {
                    message: meta::with_link(&part.text, link),
                    title: part.title.as_deref().filter(|t| !t.trim().is_empty()),
                    media: video,
                }),
                ([_, ..], _) => Err(refuse(format!(
                    "a Facebook post carries one video, not {}: split it",
                    videos.len()
                ))),
                ([], []) => {
                    if part.text.trim().is_empty() && link.is_none() {
                        return Err(refuse("the post is empty: add text, a link or media"));
                    }
                    Ok(Plan::Feed {
                        message: part.text.clone(),
                        link,
                    })
                }
                ([], [one]) => Ok(Plan::Photo {
                    message: meta::with_link(&part.text, link),
                    media: one,
                }),
                ([], many) => Ok(Plan::Photos {
                    message: meta::with_link(&part.text, link),
                    media: many,
                }),
            }
        }
    }
}

/// A file name for a multipart upload (Meta reads the type from the bytes and the name).
fn file_name(media: &MediaUpload) -> &'static str {
    match media.mime.as_str() {
        "image/png" => "image.png",
        "image/gif" => "image.gif",
        "image/webp" => "image.webp",
        "video/quicktime" => "video.mov",
        m if m.starts_with("video/") => "video.mp4",
        _ => "image.jpg",
    }
}

fn multipart_source(media: &MediaUpload) -> Result<Part, ConnectorError> {
    let part = Part::bytes(media.bytes.clone()).file_name(file_name(media));
    if media.mime.is_empty() {
        return Ok(part);
    }
    part.mime_str(&media.mime)
        .map_err(|e| refuse(format!("the media type {:?} is not valid: {e}", media.mime)))
}

/// A form with text fields and, when the media has no public address, its bytes as `source`.
/// `url_field` names the parameter that takes the address (`url`, `file_url`, `attachment_url`).
fn with_media(
    request: RequestBuilder,
    fields: Vec<(&'static str, String)>,
    media: &MediaUpload,
    url_field: &'static str,
) -> Result<RequestBuilder, ConnectorError> {
    match &media.url {
        Some(url) => {
            let mut fields = fields;
            fields.push((url_field, url.clone()));
            Ok(request.form(&fields))
        }
        None => {
            let mut form = Form::new();
            for (k, v) in fields {
                form = form.text(k, v);
            }
            Ok(request.multipart(form.part("source", multipart_source(media)?)))
        }
    }
}

/// A Graph `permalink_url` made absolute (videos answer `/{page}/videos/{id}/`).
fn absolute(permalink: &str) -> String {
    if permalink.starts_with('/') {
        format!("https://www.facebook.com{permalink}")
    } else {
        permalink.to_owned()
    }
}

impl FacebookPages {
    pub fn new(env: Env) -> Result<FacebookPages, ConnectorError> {
        Ok(FacebookPages {
            graph: Graph::new(&env, NETWORK)?,
            video_base: env.base(DEFAULT_VIDEO_BASE),
        })
    }

    /// The Pages a person manages, with each Page's access token: `(page id, name, page token)`,
    /// for the connect flow (`GET /me/accounts`, with the long-lived user token).
    pub async fn pages(
        &self,
        user_token: &SecretString,
    ) -> Result<Vec<(String, String, SecretString)>, ConnectorError> {
        let accounts = self.graph.accounts(user_token, "").await?;
        Ok(accounts
            .iter()
            .filter_map(|a| {
                let id = a.get("id").and_then(Value::as_str)?;
                let name = a.get("name").and_then(Value::as_str).unwrap_or_default();
                let token = a.get("access_token").and_then(Value::as_str)?;
                Some((
                    id.to_owned(),
                    name.to_owned(),
                    SecretString::from(token.to_owned()),
                ))
            })
            .collect())
    }

    /// Exchanges the short-lived user token from the code exchange for a long-lived one (about 60
    /// days), whose Page tokens do not expire.
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

    /// A call whose failure is simply a connector error.
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

    fn post(&self, creds: &Credentials, path: &str) -> RequestBuilder {
        self.graph.request(Method::POST, path, &creds.secret)
    }

    /// Where people see `id`; a fallback address if Facebook does not say (the post exists: a
    /// failed read must not turn a publish into an error).
    async fn permalink(&self, creds: &Credentials, id: &str) -> String {
        let request = self
            .graph
            .request(Method::GET, id, &creds.secret)
            .query(&[("fields", "permalink_url")]);
        match self
            .call(creds, request, "permalink_url", Effect::Read)
            .await
        {
            Ok(v) => match v.get("permalink_url").and_then(Value::as_str) {
                Some(p) if !p.is_empty() => absolute(p),
                _ => format!("https://www.facebook.com/{id}"),
            },
            Err(e) => {
                tracing::warn!(network = NETWORK.code(), post.id = id, error = %e, "permalink not read");
                format!("https://www.facebook.com/{id}")
            }
        }
    }

    async fn published(
        &self,
        creds: &Credentials,
        id: String,
        root: Option<&RemoteRef>,
    ) -> Published {
        let url = self.permalink(creds, &id).await;
        Published {
            remote: RemoteRef {
                id,
                cid: None,
                root: root.map(|r| Box::new(r.clone())),
            },
            url,
        }
    }

    /// Uploads one photo unpublished (for a multi-photo post or a Story): its id. Repeating it
    /// leaves at most an invisible unpublished photo, so a failure is never `Unknown`.
    async fn unpublished_photo(
        &self,
        creds: &Credentials,
        page: &str,
        media: &MediaUpload,
        alt: bool,
    ) -> Result<String, ConnectorError> {
        let mut fields = vec![("published", "false".to_owned())];
        if alt && !media.alt.trim().is_empty() {
            fields.push(("alt_text_custom", media.alt.clone()));
        }
        let request = with_media(
            self.post(creds, &format!("{page}/photos")),
            fields,
            media,
            "url",
        )?;
        let answer = self.call(creds, request, "photos", Effect::Read).await?;
        meta::field(&answer, "id", "photos", Effect::Read)
    }

    async fn video_story(
        &self,
        creds: &Credentials,
        page: &str,
        media: &MediaUpload,
    ) -> Result<String, ConnectorError> {
        let path = format!("{page}/video_stories");
        let start = self.post(creds, &path).form(&[("upload_phase", "start")]);
        let session = self
            .call(creds, start, "video_stories", Effect::Read)
            .await?;
        let video_id = meta::field(&session, "video_id", "video_stories", Effect::Read)?;
        let upload_url = meta::field(&session, "upload_url", "video_stories", Effect::Read)?;
        let target = self.upload_target(&upload_url)?;
        // Meta's upload host takes the token as `Authorization: OAuth …`.
        let mut upload = self.graph.http().post(target).header(
            reqwest::header::AUTHORIZATION,
            format!("OAuth {}", creds.secret.expose_secret()),
        );
        upload = match &media.url {
            Some(url) => upload.header("file_url", url.as_str()),
            None => upload
                .header("offset", "0")
                .header("file_size", media.bytes.len().to_string())
                .body(media.bytes.clone()),
        };
        let uploaded = self
            .call(creds, upload, "video_stories upload", Effect::Read)
            .await?;
        if uploaded.get("success").and_then(Value::as_bool) != Some(true) {
            return Err(ConnectorError::Temporary {
                reason: "Facebook did not confirm the Story's video upload".into(),
                retry_after: None,
            });
        }
        let finish = self
            .post(creds, &path)
            .form(&[("video_id", video_id.as_str()), ("upload_phase", "finish")]);
        let done = self
            .call(creds, finish, "video_stories", Effect::Write)
            .await?;
        meta::field(&done, "post_id", "video_stories", Effect::Write)
    }

    /// The upload address Meta answered, if it is Meta's (or the test server's): the token goes
    /// nowhere else.
    fn upload_target(&self, upload_url: &str) -> Result<String, ConnectorError> {
        let parsed = url::Url::parse(upload_url).ok();
        let base = url::Url::parse(self.graph.base()).ok();
        let ok = parsed.as_ref().is_some_and(|u| {
            let meta_host = u.scheme() == "https"
                && u.host_str()
                    .is_some_and(|h| h == "facebook.com" || h.ends_with(".facebook.com"));
            meta_host || base.as_ref().is_some_and(|b| b.origin() == u.origin())
        });
        if ok {
            Ok(upload_url.to_owned())
        } else {
            Err(ConnectorError::Temporary {
                reason: format!(
                    "Facebook answered an upload address outside facebook.com ({}); nothing was \
                     published",
                    parsed
                        .as_ref()
                        .and_then(|u| u.host_str())
                        .unwrap_or("unreadable")
                ),
                retry_after: None,
            })
        }
    }

    async fn run(
        &self,
        creds: &Credentials,
        page: &str,
        plan: Plan<'_>,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        match plan {
            Plan::Feed { message, link } => {
                let mut form = vec![("message", message)];
                if let Some(link) = link {
                    form.push(("link", link.to_owned()));
                }
                let request = self.post(creds, &format!("{page}/feed")).form(&form);
                let answer = self.call(creds, request, "feed", Effect::Write).await?;
                let id = meta::field(&answer, "id", "feed", Effect::Write)?;
                Ok(self.published(creds, id, None).await)
            }
            Plan::Photo { message, media } => {
                let mut fields = vec![("caption", message)];
                if !media.alt.trim().is_empty() {
                    fields.push(("alt_text_custom", media.alt.clone()));
                }
                let request = with_media(
                    self.post(creds, &format!("{page}/photos")),
                    fields,
                    media,
                    "url",
                )?;
                let answer = self.call(creds, request, "photos", Effect::Write).await?;
                let id = match meta::field(&answer, "post_id", "photos", Effect::Write) {
                    Ok(post) => post,
                    Err(e) => meta::field(&answer, "id", "photos", Effect::Write).map_err(|_| e)?,
                };
                Ok(self.published(creds, id, None).await)
            }
            Plan::Photos { message, media } => {
                let mut form = vec![("message".to_owned(), message)];
                for (i, m) in media.iter().enumerate() {
                    let id = self.unpublished_photo(creds, page, m, true).await?;
                    form.push((
                        format!("attached_media[{i}]"),
                        json!({ "media_fbid": id }).to_string(),
                    ));
                }
                let request = self.post(creds, &format!("{page}/feed")).form(&form);
                let answer = self.call(creds, request, "feed", Effect::Write).await?;
                let id = meta::field(&answer, "id", "feed", Effect::Write)?;
                Ok(self.published(creds, id, None).await)
            }
            Plan::Video {
                message,
                title,
                media,
            } => {
                let mut fields = vec![("description", message)];
                if let Some(title) = title {
                    fields.push(("title", title.to_owned()));
                }
                let url = format!("{}/{page}/videos", self.video_base);
                let request = self
                    .graph
                    .http()
                    .post(url)
                    .bearer_auth(creds.secret.expose_secret());
                let request = with_media(request, fields, media, "file_url")?;
                let answer = self.call(creds, request, "videos", Effect::Write).await?;
                let id = meta::field(&answer, "id", "videos", Effect::Write)?;
                Ok(self.published(creds, id, None).await)
            }
            Plan::PhotoStory(media) => {
                let photo = self.unpublished_photo(creds, page, media, false).await?;
                let request = self
                    .post(creds, &format!("{page}/photo_stories"))
                    .form(&[("photo_id", photo.as_str())]);
                let answer = self
                    .call(creds, request, "photo_stories", Effect::Write)
                    .await?;
                let id = meta::field(&answer, "post_id", "photo_stories", Effect::Write)?;
                Ok(self.published(creds, id, None).await)
            }
            Plan::VideoStory(media) => {
                let id = self.video_story(creds, page, media).await?;
                Ok(self.published(creds, id, None).await)
            }
            Plan::Comment {
                parent,
                message,
                media,
            } => {
                let path = format!("{parent}/comments");
                let fields = vec![("message", message)];
                let request = match media {
                    Some(m) => with_media(self.post(creds, &path), fields, m, "attachment_url")?,
                    None => self.post(creds, &path).form(&fields),
                };
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
                Ok(self.published(creds, id, req.reply_to.as_ref()).await)
            }
        }
    }
}

impl Connector for FacebookPages {
    fn network(&self) -> Network {
        NETWORK
    }

    async fn verify(&self, creds: &Credentials) -> Result<AccountInfo, ConnectorError> {
        let page = meta::account_id(creds, "Facebook Page")?;
        let request = self
            .graph
            .request(Method::GET, page, &creds.secret)
            .query(&[("fields", "id,name")]);
        let answer = self.call(creds, request, "page", Effect::Read).await?;
        Ok(AccountInfo {
            id: meta::field(&answer, "id", "page", Effect::Read)?,
            handle: answer
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(page)
                .to_owned(),
        })
    }

    async fn publish(
        &self,
        creds: &Credentials,
        req: &PublishRequest,
    ) -> Result<Published, ConnectorError> {
        let plan = plan(req)?;
        let page = meta::account_id(creds, "Facebook Page")?;
        self.run(creds, page, plan, req).await
    }

    /// Comments and mentions are answered with a comment on the message (`POST
    /// /{comment-id}/comments`), as a first comment is made on a post; messages to the Page with
    /// Messenger's Send API (`POST /{page-id}/messages`, see `meta::send_message`).
    fn can_reply(&self, _kind: owlery_domain::inbox::MessageKind) -> bool {
        true
    }

    async fn reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
    ) -> Result<Published, ConnectorError> {
        if req.target.kind == owlery_domain::inbox::MessageKind::Dm {
            let page = meta::account_id(creds, "Facebook Page")?;
            return meta::send_message(&self.graph, creds, NETWORK, page, req).await;
        }
        Connector::publish(self, creds, &req.as_publish(true)).await
    }

    async fn lookup_reply(
        &self,
        creds: &Credentials,
        req: &crate::inbox::ReplyRequest,
        since: SystemTime,
    ) -> Result<Lookup, ConnectorError> {
        if req.target.kind == owlery_domain::inbox::MessageKind::Dm {
            let page = meta::account_id(creds, "Facebook Page")?;
            return meta::lookup_message(&self.graph, creds, NETWORK, page, page, req, since).await;
        }
        Connector::lookup(self, creds, &req.as_publish(true), since).await
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
        let page = meta::account_id(creds, "Facebook Page")?;
        if matches!(plan, Plan::PhotoStory(_) | Plan::VideoStory(_)) {
            return Ok(Lookup::CannotTell {
                reason: "Facebook lists Stories without anything to recognise this one by: check \
                         the Page's Stories"
                    .into(),
            });
        }
        let wanted = meta::normalize(plan.message());
        if wanted.is_empty() {
            return Ok(Lookup::CannotTell {
                reason: "the post has no text to recognise it by among the Page's posts".into(),
            });
        }
        let from = since.checked_sub(meta::SKEW).unwrap_or(since);
        let (path, query, parent) = match &plan {
            Plan::Comment { parent, .. } => (
                format!("{parent}/comments"),
                vec![
                    ("fields", "id,message,created_time,permalink_url".to_owned()),
                    ("order", "reverse_chronological".to_owned()),
                    ("limit", "100".to_owned()),
                ],
                req.reply_to.as_ref(),
            ),
            _ => (
                format!("{page}/posts"),
                vec![
                    ("since", meta::unix(from).to_string()),
                    ("fields", "id,message,created_time,permalink_url".to_owned()),
                    ("limit", "100".to_owned()),
                ],
                None,
            ),
        };
        let budget = creds.budget_key();
        let secrets = [&creds.secret];
        let call = Call {
            endpoint: "lookup",
            budget: &budget,
            effect: Effect::Read,
            secrets: &secrets,
        };
        let listing = self
            .graph
            .list(&path, &query, &creds.secret, &call, |item| {
                let at = item
                    .get("created_time")
                    .and_then(Value::as_str)
                    .and_then(meta::parse_time);
                if at.is_some_and(|t| t < from) {
                    return Visit::Older;
                }
                let text = item.get("message").and_then(Value::as_str).unwrap_or("");
                if meta::normalize(text) == wanted {
                    Visit::Found
                } else {
                    Visit::Continue
                }
            })
            .await;
        match listing {
            Ok(Listing::Found(item)) => {
                let id = meta::field(&item, "id", "lookup", Effect::Read)?;
                let url = match item.get("permalink_url").and_then(Value::as_str) {
                    Some(p) if !p.is_empty() => absolute(p),
                    _ => format!("https://www.facebook.com/{id}"),
                };
                Ok(Lookup::Found(Published {
                    remote: RemoteRef {
                        id,
                        cid: None,
                        root: parent.map(|p| Box::new(p.clone())),
                    },
                    url,
                }))
            }
            Ok(Listing::Complete) => Ok(Lookup::Absent),
            Ok(Listing::Incomplete) => Ok(Lookup::CannotTell {
                reason: format!(
                    "read {} pages of the Page's posts without reaching the time of the first \
                     attempt and without a match",
                    meta::MAX_PAGES
                ),
            }),
            Err(e) if e.is_missing() && parent.is_some() => Ok(Lookup::Absent),
            Err(e) => Err(e.into_connector(NETWORK)),
        }
    }

    async fn delete(&self, creds: &Credentials, remote: &RemoteRef) -> Result<(), ConnectorError> {
        let id = meta::object_id(&remote.id, "the post")?;
        let request = self.graph.request(Method::DELETE, id, &creds.secret);
        // Deleting twice is harmless: a failure midway is simply retried.
        match self.send(creds, request, "delete", Effect::Read).await {
            Ok(answer) if answer.get("success").and_then(Value::as_bool) == Some(false) => {
                Err(ConnectorError::Temporary {
                    reason: "Facebook did not confirm the deletion".into(),
                    retry_after: None,
                })
            }
            Ok(_) => Ok(()),
            Err(e) if e.is_missing() => Ok(()),
            Err(e) => Err(e.into_connector(NETWORK)),
        }
    }

    fn can_hide_comments(&self) -> bool {
        true
    }

    /// Comments and mentions can be liked as the Page; Messenger messages cannot.
    fn can_like(&self, kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        if kind == owlery_domain::inbox::MessageKind::Dm {
            crate::inbox::Ability::Not("Messenger's API cannot like a message")
        } else {
            crate::inbox::Ability::Allowed
        }
    }

    /// `POST /{comment-id}/likes` (answers `{"success": true}`; liking twice succeeds).
    async fn like(&self, creds: &Credentials, remote_id: &str) -> Result<(), ConnectorError> {
        let id = meta::object_id(remote_id, "the comment")?;
        let request = self.post(creds, &format!("{id}/likes"));
        match self.send(creds, request, "like", Effect::Read).await {
            Ok(answer) if answer.get("success").and_then(Value::as_bool) == Some(false) => {
                Err(ConnectorError::Temporary {
                    reason: "Facebook did not confirm the like".into(),
                    retry_after: None,
                })
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e.into_connector(NETWORK)),
        }
    }

    /// A Page may delete comments on its own posts; not a mention elsewhere, nor a message.
    fn can_delete_comment(&self, kind: owlery_domain::inbox::MessageKind) -> crate::inbox::Ability {
        match kind {
            owlery_domain::inbox::MessageKind::Comment => crate::inbox::Ability::Allowed,
            owlery_domain::inbox::MessageKind::Mention => crate::inbox::Ability::Not(
                "a mention is someone else's post: Facebook lets only its author delete it",
            ),
            owlery_domain::inbox::MessageKind::Dm => {
                crate::inbox::Ability::Not("Messenger's API cannot delete a message")
            }
        }
    }

    /// `DELETE /{comment-id}`, as for a post.
    async fn delete_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        let remote = RemoteRef {
            id: remote_id.to_owned(),
            cid: None,
            root: None,
        };
        Connector::delete(self, creds, &remote).await
    }

    /// `POST /{comment-id}?is_hidden=true`: hidden from everyone but its author and their friends.
    async fn hide_comment(
        &self,
        creds: &Credentials,
        remote_id: &str,
    ) -> Result<(), ConnectorError> {
        let id = meta::object_id(remote_id, "the comment")?;
        let request = self.post(creds, id).query(&[("is_hidden", "true")]);
        match self
            .send(creds, request, "hide comment", Effect::Read)
            .await
        {
            Ok(answer) if answer.get("success").and_then(Value::as_bool) == Some(false) => {
                Err(ConnectorError::Temporary {
                    reason: "Facebook did not confirm hiding the comment".into(),
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
        let fields = if remote.root.is_some() {
            "id,permalink_url,like_count,comment_count"
        } else if !id.contains('_') {
            // a video (or photo) object: no `shares`
            "id,permalink_url,reactions.summary(total_count),comments.summary(total_count)"
        } else {
            "id,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count)"
        };
        let request = self
            .graph
            .request(Method::GET, id, &creds.secret)
            .query(&[("fields", fields)]);
        let answer = match self.send(creds, request, "status", Effect::Read).await {
            Ok(answer) => answer,
            Err(e) if e.is_missing() => return Ok(RemoteStatus::default()),
            Err(e) => return Err(e.into_connector(NETWORK)),
        };
        let count = |pointer: &str| answer.pointer(pointer).and_then(Value::as_u64);
        Ok(RemoteStatus {
            exists: true,
            metrics: Metrics {
                likes: count("/reactions/summary/total_count").or_else(|| count("/like_count")),
                shares: count("/shares/count"),
                comments: count("/comments/summary/total_count")
                    .or_else(|| count("/comment_count")),
                views: None,
                saves: None,
            },
        })
    }

    /// Page access tokens obtained from a long-lived user token do not expire
    /// (<https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/>):
    /// nothing to refresh.
    async fn refresh(&self, _creds: &Credentials) -> Result<Option<TokenGrant>, ConnectorError> {
        Ok(None)
    }

    fn oauth(&self, _service: Option<&str>) -> Option<OAuthSpec> {
        Some(meta::oauth_spec(self.graph.base(), &SCOPES))
    }

    /// The Pages the person manages, each with its own token: the short-lived user token of the
    /// code exchange is first exchanged for a long-lived one, whose Page tokens do not expire.
    async fn granted_accounts(
        &self,
        app: &AppCredentials,
        grant: TokenGrant,
        _service: Option<&str>,
    ) -> Result<Vec<GrantedAccount>, ConnectorError> {
        let user = self.long_lived_token(app, &grant.access).await?;
        Ok(self
            .pages(&user.access)
            .await?
            .into_iter()
            .map(|(id, name, token)| GrantedAccount {
                kind: AccountKind::Page,
                handle: id.clone(),
                id,
                name,
                secret: token,
                refresh: None,
                expires_at: None,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublishPart;

    fn image(url: Option<&str>) -> MediaUpload {
        MediaUpload {
            kind: MediaKind::Image,
            bytes: vec![1, 2, 3],
            mime: "image/jpeg".into(),
            alt: "a cat".into(),
            width: 1,
            height: 1,
            duration_ms: None,
            url: url.map(str::to_owned),
        }
    }

    fn video() -> MediaUpload {
        MediaUpload {
            kind: MediaKind::Video,
            mime: "video/mp4".into(),
            ..image(Some("https://cdn.example/v.mp4"))
        }
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

    #[test]
    fn parts_become_plans() {
        assert!(matches!(
            plan(&req("", "hi", vec![])),
            Ok(Plan::Feed { .. })
        ));
        assert!(matches!(
            plan(&req("feed_post", "hi", vec![image(None)])),
            Ok(Plan::Photo { .. })
        ));
        assert!(matches!(
            plan(&req("", "hi", vec![image(None), image(None)])),
            Ok(Plan::Photos { .. })
        ));
        assert!(matches!(
            plan(&req("", "hi", vec![video()])),
            Ok(Plan::Video { .. })
        ));
        assert!(matches!(
            plan(&req("story", "", vec![image(None)])),
            Ok(Plan::PhotoStory(_))
        ));
        assert!(matches!(
            plan(&req("story", "", vec![video()])),
            Ok(Plan::VideoStory(_))
        ));
        let mut link = req("link_card", "read", vec![]);
        link.part.link = Some("https://a.example".into());
        assert_eq!(
            plan(&link).unwrap(),
            Plan::Feed {
                message: "read".into(),
                link: Some("https://a.example")
            }
        );
        // a link on a photo post goes into the caption
        let mut photo = req("", "look", vec![image(None)]);
        photo.part.link = Some("https://a.example".into());
        assert_eq!(plan(&photo).unwrap().message(), "look\n\nhttps://a.example");
    }

    #[test]
    fn what_facebook_cannot_do_is_refused() {
        let refused = |r: &PublishRequest| match plan(r) {
            Err(ConnectorError::Permanent { reason }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(refused(&req("", "", vec![])).contains("empty"));
        assert!(refused(&req("", "x", vec![image(None), video()])).contains("not both"));
        assert!(refused(&req("", "x", vec![video(), video()])).contains("one video"));
        assert!(refused(&req("reel", "x", vec![video()])).contains("Reels"));
        assert!(refused(&req("carousel", "x", vec![])).contains("no placement"));
        assert!(refused(&req("story", "words", vec![image(None)])).contains("no text"));
        assert!(refused(&req("story", "", vec![])).contains("exactly one"));
        assert!(refused(&req("link_card", "x", vec![])).contains("needs a link"));
        let mut card = req("link_card", "x", vec![image(None)]);
        card.part.link = Some("https://a.example".into());
        assert!(refused(&card).contains("custom"));
        let mut thread = req("", "second", vec![]);
        thread.reply_to = Some(RemoteRef {
            id: "1_2".into(),
            cid: None,
            root: None,
        });
        assert!(refused(&thread).contains("no threads"));
        let mut orphan = req("", "first comment", vec![]);
        orphan.as_comment = true;
        assert!(refused(&orphan).contains("needs the post"));
        let mut empty = image(None);
        empty.bytes.clear();
        assert!(refused(&req("", "x", vec![empty])).contains("neither content"));
    }

    #[test]
    fn permalinks_are_made_absolute() {
        assert_eq!(
            absolute("/owlery/videos/123/"),
            "https://www.facebook.com/owlery/videos/123/"
        );
        assert_eq!(
            absolute("https://www.facebook.com/1/posts/2"),
            "https://www.facebook.com/1/posts/2"
        );
    }
}
