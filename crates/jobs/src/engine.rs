//! The publishing engine for connected channels: one variant, its parts in order, exactly once in
//! practice.
//!
//! For each part (the post, then its first comment or thread reply):
//! 1. A part already `published` is skipped; its remote reference is what the next part answers.
//! 2. A part found `sending` was tried before and its outcome is unknown (a crash, a timeout): the
//!    connector looks it up first. Found → recorded; absent → sent again; the network cannot
//!    tell → the variant is `unconfirmed` for a person, never sent blindly.
//! 3. Otherwise `sending` is committed, then the call is made (with the network's idempotency
//!    where it has one), then the result is recorded.
//!
//! Before any call: the token is refreshed when it is about to expire (a dead grant marks the
//! channel "needs reconnecting"; a passing error retries, never disconnects), and the budgets are
//! checked — what the network's headers said ([`BudgetBook`]) and its documented posting quota —
//! so a job waits for its budget instead of failing. After a failure: rate limits wait for the
//! time the network gave; passing errors back off exponentially with jitter (the worker's
//! backoff); permanent errors fail at once with a reason a person can act on; unknown outcomes are
//! reconciled on the next attempt.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use owlery_domain::{
    VariantId,
    publishing::engine::{self as plan, PartPlan},
    spec::Specs,
};
pub use owlery_networks::Connectors;
use owlery_networks::{
    ConnectorError, Credentials, DynConnector, Lookup, MediaKind, MediaSource, MediaUpload,
    PublishPart, PublishRequest, Published, RemoteRef, budget,
};
use owlery_store::{
    Store,
    engine::{PartRecord, PartRemote, PartStatus},
    jobs::Job,
    publishing::Dispatch,
    vault::Vault,
};

use crate::{
    channel_access::{ChannelAccess, Renewal, Unusable},
    media_urls::{MediaUrls, unreachable_message},
    worker::JobError,
};
use owlery_domain::publishing::media_url::{Rendition, extension};

/// What the engine decides after an error from the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterError {
    /// Wait until this time, without using up an attempt (rate limits).
    WaitUntil(DateTime<Utc>),
    /// Try again with backoff (passing errors), or fail if this was the last attempt.
    Retry,
    /// Fail now, with this message for people.
    Fail(String),
    /// The channel needs reconnecting.
    Reconnect(String),
    /// The outcome is unknown: reconcile on the next attempt (or, after the last one, ask a
    /// person).
    Reconcile,
}

/// The pure decision for an error of a publish call.
pub fn after_error(e: &ConnectorError, now: DateTime<Utc>) -> AfterError {
    match e {
        ConnectorError::RateLimited { retry_after } => {
            let wait = retry_after.unwrap_or(std::time::Duration::from_secs(60));
            AfterError::WaitUntil(now + chrono::Duration::from_std(wait).unwrap_or_default())
        }
        ConnectorError::Temporary { .. } => AfterError::Retry,
        ConnectorError::Permanent { reason } => AfterError::Fail(reason.clone()),
        ConnectorError::Auth { reason } => AfterError::Reconnect(reason.clone()),
        ConnectorError::Unknown { .. } => AfterError::Reconcile,
    }
}

/// A part's reference as the next part needs it.
fn remote_of(rec: &PartRecord) -> Option<RemoteRef> {
    let id = rec.remote_id.clone()?;
    let root = rec.root_id.clone().map(|rid| {
        Box::new(RemoteRef {
            id: rid,
            cid: rec.root_cid.clone(),
            root: None,
        })
    });
    Some(RemoteRef {
        id,
        cid: rec.remote_cid.clone(),
        root,
    })
}

fn part_remote(p: &Published) -> PartRemote {
    PartRemote {
        id: p.remote.id.clone(),
        cid: p.remote.cid.clone(),
        url: p.url.clone(),
        root_id: p.remote.root.as_ref().map(|r| r.id.clone()),
        root_cid: p.remote.root.as_ref().and_then(|r| r.cid.clone()),
    }
}

fn published_of(rec: &PartRecord) -> Option<Published> {
    Some(Published {
        remote: remote_of(rec)?,
        url: rec.remote_url.clone().unwrap_or_default(),
    })
}

/// Publishes one claimed variant on a connected channel.
pub struct Engine<'a> {
    pub store: &'a Store,
    pub connectors: &'a Connectors,
    pub vault: Option<&'a Vault>,
    pub specs: &'a Specs,
    /// Public addresses of media, for networks that download it ([`MediaSource::Url`]).
    pub media_urls: &'a MediaUrls,
}

impl Engine<'_> {
    pub async fn run(&self, job: &Job, d: &Dispatch) -> Result<(), JobError> {
        let last_attempt = job.attempts >= job.max_attempts;
        let Some(connector) = self.connectors.get(d.network) else {
            self.fail(
                d,
                &format!(
                    "Not published: this Owlery has no connection to {} yet.",
                    d.network.label()
                ),
            )
            .await?;
            return Ok(());
        };
        // A network that downloads media needs a public address it can reach: say so before any
        // call, rather than let the network fail to fetch.
        if let Some(message) = self.unreachable_media(d, &*connector).await? {
            self.fail(d, &message).await?;
            return Ok(());
        }
        let access = ChannelAccess {
            store: self.store,
            vault: self.vault,
        };
        let mut creds = match access.open(d.channel_id, &d.handle).await? {
            Ok(c) => c,
            Err(Unusable::NotConnected) => {
                self.fail(
                    d,
                    "Not published: the channel has no connection to its account. Connect it, then retry.",
                )
                .await?;
                return Ok(());
            }
            Err(Unusable::CannotOpen) => {
                self.fail(
                    d,
                    "Not published: the channel's stored secret cannot be opened with this server's key. Reconnect the channel.",
                )
                .await?;
                return Ok(());
            }
        };

        // Renew an access token that is about to expire.
        if let Renewal::DeadGrant(reason) = access
            .renew_if_due(&*connector, d.channel_id, d.network, &mut creds)
            .await?
        {
            self.store
                .record_needs_reconnect(d.variant_id, d.channel_id, &reason)
                .await
                .map_err(JobError::retry)?;
            return Ok(());
        }

        let has_link_field = self
            .specs
            .placement(d.network.code(), &d.placement)
            .is_some_and(|p| p.texts.iter().any(|t| t.name == "link"));
        let parts = plan::parts(&d.content, d.network, has_link_field);
        let records = self
            .store
            .variant_parts(d.variant_id)
            .await
            .map_err(JobError::retry)?;

        // Wait for the budget (headers, documented quota) before the first call of this run.
        if let Some(at) = self.budget_wait(d, &creds, &records).await? {
            return Err(JobError::wait_until(
                at,
                format!(
                    "waiting for {}'s rate limit (until {})",
                    d.network.label(),
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
            ));
        }

        let mut first: Option<Published> = None;
        let mut prev: Option<RemoteRef> = None;
        for (idx, part) in parts.iter().enumerate() {
            let i = idx as i64;
            let rec = records.iter().find(|r| r.idx == i);
            if let Some(rec) = rec.filter(|r| r.status == PartStatus::Published) {
                let p = published_of(rec);
                if idx == 0 {
                    first = p.clone();
                }
                prev = p.map(|p| p.remote);
                continue;
            }
            let req = self
                .request(d, &*connector, idx, part, first.as_ref(), prev.as_ref())
                .await?;

            // An earlier attempt of this part has no recorded outcome: reconcile first.
            if let Some(rec) = rec.filter(|r| r.status == PartStatus::Sending) {
                let since: SystemTime = (rec.attempted_at - chrono::Duration::minutes(5)).into();
                match connector.lookup(&creds, &req, since).await {
                    Ok(Lookup::Found(p)) => {
                        self.record_part(d, i, &p).await?;
                        tracing::info!(variant.id = %d.variant_id, part = idx, remote.id = %p.remote.id, "reconciled: the network had the part");
                        if idx == 0 {
                            first = Some(p.clone());
                        }
                        prev = Some(p.remote);
                        continue;
                    }
                    Ok(Lookup::Absent) => {
                        self.store
                            .forget_part_attempt(d.variant_id, i)
                            .await
                            .map_err(JobError::retry)?;
                        tracing::info!(variant.id = %d.variant_id, part = idx, "reconciled: the network does not have the part; sending it");
                    }
                    Ok(Lookup::CannotTell { reason }) => {
                        self.unconfirmed(d, idx, &reason).await?;
                        return Ok(());
                    }
                    Err(ConnectorError::Auth { reason }) => {
                        self.store
                            .record_needs_reconnect(d.variant_id, d.channel_id, &reason)
                            .await
                            .map_err(JobError::retry)?;
                        return Ok(());
                    }
                    Err(e) if e.is_retryable() && !last_attempt => {
                        return Err(JobError::retry(
                            anyhow::Error::new(e).context("looking up an earlier attempt"),
                        ));
                    }
                    Err(e) => {
                        self.unconfirmed(d, idx, &e.to_string()).await?;
                        return Ok(());
                    }
                }
            }

            if !self
                .store
                .mark_part_sending(d.variant_id, i)
                .await
                .map_err(JobError::retry)?
            {
                // Cancelled, paused or settled meanwhile: send nothing.
                return Ok(());
            }
            match connector.publish(&creds, &req).await {
                Ok(p) => {
                    self.record_part(d, i, &p).await?;
                    if idx == 0 {
                        first = Some(p.clone());
                    }
                    prev = Some(p.remote);
                }
                Err(e) => {
                    return self
                        .after_failure(d, idx, e, first.as_ref(), last_attempt)
                        .await;
                }
            }
        }

        let Some(first) = first else {
            return Err(JobError::permanent(anyhow::anyhow!(
                "variant {} has no first part after publishing",
                d.variant_id
            )));
        };
        let changed = self
            .store
            .record_published(d.variant_id, &first.remote.id, &first.url)
            .await
            .map_err(JobError::retry)?;
        if changed {
            metrics::counter!("owlery_variants_published_total", "network" => d.network.code(), "simulated" => "false").increment(1);
            tracing::info!(
                variant.id = %d.variant_id, post.id = %d.post_id, channel.id = %d.channel_id,
                channel.network = d.network.code(), remote.id = %first.remote.id,
                parts = parts.len(), late_by_s = ?d.late_by_s, "published"
            );
        }
        Ok(())
    }

    async fn after_failure(
        &self,
        d: &Dispatch,
        idx: usize,
        e: ConnectorError,
        first: Option<&Published>,
        last_attempt: bool,
    ) -> Result<(), JobError> {
        let i = idx as i64;
        let now = self.store.now();
        let decision = after_error(&e, now);
        // The network answered with a refusal: nothing was created, the attempt is void.
        if !matches!(decision, AfterError::Reconcile) {
            self.store
                .forget_part_attempt(d.variant_id, i)
                .await
                .map_err(JobError::retry)?;
        }
        let partial = |what: &str| match (idx, first) {
            (0, _) | (_, None) => what.to_owned(),
            (_, Some(p)) => format!(
                "The post is on {} ({}), but its follow-up part {} was not published: {what} \
                 Retrying sends only what is missing.",
                d.network.label(),
                p.url,
                idx + 1
            ),
        };
        match decision {
            AfterError::WaitUntil(at) => Err(JobError::wait_until(at, e.to_string())),
            AfterError::Retry if !last_attempt => {
                Err(JobError::retry(anyhow::Error::new(e).context(format!(
                    "publishing part {} of {}",
                    idx + 1,
                    d.variant_id
                ))))
            }
            AfterError::Retry => {
                self.fail(
                    d,
                    &partial(&format!(
                        "{} kept failing at every attempt ({e}). Retry it later.",
                        d.network.label()
                    )),
                )
                .await
            }
            AfterError::Fail(reason) => {
                self.fail(
                    d,
                    &partial(&format!(
                        "{} refused it: {reason}. Change the post, then retry.",
                        d.network.label()
                    )),
                )
                .await
            }
            AfterError::Reconnect(reason) => {
                self.store
                    .record_needs_reconnect(d.variant_id, d.channel_id, &reason)
                    .await
                    .map_err(JobError::retry)?;
                Ok(())
            }
            AfterError::Reconcile if !last_attempt => Err(JobError::retry(
                anyhow::Error::new(e)
                    .context("the outcome is unknown; the next attempt looks it up first"),
            )),
            AfterError::Reconcile => self.unconfirmed(d, idx, &e.to_string()).await,
        }
    }

    async fn fail(&self, d: &Dispatch, message: &str) -> Result<(), JobError> {
        let changed = self
            .store
            .record_failed_for_owners(d.variant_id, message)
            .await
            .map_err(JobError::retry)?;
        if changed {
            metrics::counter!("owlery_variants_failed_total", "network" => d.network.code())
                .increment(1);
            tracing::warn!(variant.id = %d.variant_id, channel.network = d.network.code(), error = message, "publishing failed; the author and the channel's owners were told");
        }
        Ok(())
    }

    async fn unconfirmed(&self, d: &Dispatch, idx: usize, reason: &str) -> Result<(), JobError> {
        let message = format!(
            "It is not known whether {} took part {} of this post ({reason}). Check the channel on \
             {}: if the post is there, mark it published with its address; if not, send it again.",
            d.network.label(),
            idx + 1,
            d.network.label()
        );
        self.store
            .record_unconfirmed(d.variant_id, &message)
            .await
            .map_err(JobError::retry)?;
        metrics::counter!("owlery_variants_unconfirmed_total", "network" => d.network.code())
            .increment(1);
        tracing::warn!(variant.id = %d.variant_id, channel.network = d.network.code(), "outcome unknown and the network cannot tell; marked unconfirmed");
        Ok(())
    }

    async fn record_part(&self, d: &Dispatch, idx: i64, p: &Published) -> Result<(), JobError> {
        self.store
            .record_part_published(d.variant_id, idx, &part_remote(p))
            .await
            .map_err(JobError::retry)?;
        Ok(())
    }

    /// When the budget allows the next call, if not now: the book's wait, and (before the first
    /// part) the documented posting quota against the channel's own recent posts.
    async fn budget_wait(
        &self,
        d: &Dispatch,
        creds: &Credentials,
        records: &[PartRecord],
    ) -> Result<Option<DateTime<Utc>>, JobError> {
        let now = self.store.now();
        let mut wait = self
            .connectors
            .budgets()
            .wait(d.network, &creds.budget_key(), now.into());
        if records.is_empty()
            && let Some(quota) = budget::documented(d.network)
        {
            let per = chrono::Duration::from_std(quota.per).unwrap_or_default();
            let recent: Vec<SystemTime> = self
                .store
                .channel_posts_since(d.channel_id, now - per)
                .await
                .map_err(JobError::retry)?
                .into_iter()
                .map(Into::into)
                .collect();
            if let Some(q) = budget::quota_wait(quota, &recent, now.into()) {
                wait = Some(wait.map_or(q, |w| w.max(q)));
            }
        }
        Ok(wait.map(|w| now + chrono::Duration::from_std(w).unwrap_or_default()))
    }

    async fn request(
        &self,
        d: &Dispatch,
        connector: &dyn DynConnector,
        idx: usize,
        part: &PartPlan,
        first: Option<&Published>,
        prev: Option<&RemoteRef>,
    ) -> Result<PublishRequest, JobError> {
        let media = if part.with_media {
            self.media(d, connector).await?
        } else {
            Vec::new()
        };
        let reply_to = match idx {
            0 => None,
            _ if part.as_comment => first.map(|p| p.remote.clone()),
            _ => prev.cloned(),
        };
        Ok(PublishRequest {
            idempotency_key: plan::part_key(d.variant_id, idx),
            placement: d.placement.clone(),
            part: PublishPart {
                text: part.text.clone(),
                media,
                link: d.content.link.clone(),
                langs: Vec::new(),
                title: d.content.title.clone(),
            },
            reply_to,
            as_comment: part.as_comment,
            target: None,
        })
    }

    /// The variant's media as the network gets them: images as their stored rendition for this
    /// placement (made now if missing), videos as uploaded.
    async fn media(
        &self,
        d: &Dispatch,
        connector: &dyn DynConnector,
    ) -> Result<Vec<MediaUpload>, JobError> {
        let mut out = Vec::new();
        for m in &d.content.media {
            let Some(item) = self
                .store
                .media(m.media_id)
                .await
                .map_err(JobError::retry)?
            else {
                return Err(JobError::permanent(anyhow::anyhow!(
                    "media {} is gone",
                    m.media_id
                )));
            };
            let alt = if m.alt.trim().is_empty() {
                item.alt.clone()
            } else {
                m.alt.clone()
            };
            if item.kind == "video" {
                let bytes = self
                    .store
                    .media_bytes(&item)
                    .await
                    .map_err(JobError::retry)?;
                let url = if self.wants_url(connector, MediaKind::Video) {
                    let original = Rendition::Original {
                        ext: extension(&item.format).to_owned(),
                    };
                    self.sign(item.id, &original).await?
                } else {
                    None
                };
                out.push(MediaUpload {
                    kind: MediaKind::Video,
                    bytes,
                    mime: mime_of(&item.format).to_owned(),
                    alt,
                    width: u32::try_from(item.width).unwrap_or(0),
                    height: u32::try_from(item.height).unwrap_or(0),
                    duration_ms: item.duration_ms.and_then(|v| u64::try_from(v).ok()),
                    url,
                });
                continue;
            }
            let want_url = self.wants_url(connector, MediaKind::Image);
            let stored = self
                .store
                .renditions(item.id)
                .await
                .map_err(JobError::retry)?
                .into_iter()
                .find(|r| r.network == d.network.code() && r.placement == d.placement);
            let found = match stored {
                Some(r) => self
                    .store
                    .blob(&r.blob_key)
                    .await
                    .map_err(JobError::retry)?
                    .map(|b| (b, r)),
                None => None,
            };
            let (bytes, format, width, height) = match found {
                Some((b, r)) => (b, r.format, r.width, r.height),
                // Served at an address, a rendition must be stored; else it is only sent.
                None => self.render_now(d, &item, want_url).await?,
            };
            let mime = mime_of(&format);
            let url = if want_url {
                let rendition = Rendition::Placement {
                    network: d.network.code().to_owned(),
                    placement: d.placement.clone(),
                    width,
                    height,
                    ext: extension(&format).to_owned(),
                };
                self.sign(item.id, &rendition).await?
            } else {
                None
            };
            out.push(MediaUpload {
                kind: MediaKind::Image,
                bytes,
                mime: mime.to_owned(),
                alt,
                width: u32::try_from(width).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
                duration_ms: None,
                url,
            });
        }
        Ok(out)
    }

    /// Whether the network gets media of `kind` by address, and an address it can reach exists.
    fn wants_url(&self, connector: &dyn DynConnector, kind: MediaKind) -> bool {
        match connector.media_source(kind) {
            MediaSource::Bytes => false,
            MediaSource::Url | MediaSource::UrlIfPublic => self.media_urls.base().is_ok(),
        }
    }

    async fn sign(
        &self,
        media: owlery_domain::MediaId,
        rendition: &Rendition,
    ) -> Result<Option<String>, JobError> {
        let Some(vault) = self.vault else {
            return Err(JobError::retry(anyhow::anyhow!(
                "this worker has no vault to sign media addresses with"
            )));
        };
        self.media_urls
            .sign(self.store, vault, media, rendition)
            .await
            .map_err(JobError::retry)
    }

    /// When the variant has media this network only downloads from an address, and the public
    /// address is not one it can reach: what to tell people.
    async fn unreachable_media(
        &self,
        d: &Dispatch,
        connector: &dyn DynConnector,
    ) -> Result<Option<String>, JobError> {
        let Err(why) = self.media_urls.base() else {
            return Ok(None);
        };
        for m in &d.content.media {
            let Some(item) = self
                .store
                .media(m.media_id)
                .await
                .map_err(JobError::retry)?
            else {
                continue;
            };
            let kind = if item.kind == "video" {
                MediaKind::Video
            } else {
                MediaKind::Image
            };
            if connector.media_source(kind) == MediaSource::Url {
                return Ok(Some(unreachable_message(d.network.label(), &why)));
            }
        }
        Ok(None)
    }

    /// Render an image for this placement now (its rendition was not prepared in advance); kept
    /// as a stored rendition when `keep` (it is then served at a signed address). Returns the
    /// bytes, the format code, and the size.
    async fn render_now(
        &self,
        d: &Dispatch,
        item: &owlery_store::media::Media,
        keep: bool,
    ) -> Result<(Vec<u8>, String, i64, i64), JobError> {
        let target = owlery_media::targets(self.specs, &[d.network.code()])
            .into_iter()
            .find(|t| t.placement == d.placement)
            .ok_or_else(|| {
                JobError::permanent(anyhow::anyhow!(
                    "no image size is known for {} {}",
                    d.network.code(),
                    d.placement
                ))
            })?;
        let bytes = self
            .store
            .media_bytes(item)
            .await
            .map_err(JobError::retry)?;
        let focal = item.focal;
        let (point, rendered) = tokio::task::spawn_blocking(move || {
            let decoded = owlery_media::decode(&bytes, &owlery_media::Limits::default())?;
            let point = match focal {
                Some(f) => owlery_media::FocalPoint::new(f.x as f32, f.y as f32)?,
                None => decoded.auto_focal(),
            };
            decoded
                .render(std::slice::from_ref(&target), point)
                .into_iter()
                .next()
                .unwrap_or(Err(owlery_media::MediaError::NotRenderable {
                    format: owlery_media::Format::Jpeg,
                }))
                .map(|r| (point, r))
        })
        .await
        .map_err(|e| JobError::retry(anyhow::anyhow!("rendering an image: {e}")))?
        .map_err(|e| JobError::permanent(anyhow::anyhow!("the image cannot be rendered: {e}")))?;
        let format = if rendered.target.format.code() == "png" {
            "png"
        } else {
            "jpeg"
        };
        let (width, height) = (i64::from(rendered.width), i64::from(rendered.height));
        if keep {
            let used = item.focal.unwrap_or(owlery_store::media::Focal {
                x: f64::from(point.x),
                y: f64::from(point.y),
            });
            self.store
                .store_renditions(
                    item.id,
                    item.focal,
                    used,
                    vec![owlery_store::media::NewRendition {
                        network: d.network.code().to_owned(),
                        placement: d.placement.clone(),
                        width,
                        height,
                        format: format.to_owned(),
                        quality: rendered.quality.map(i64::from),
                        crop: owlery_store::media::Crop {
                            x: i64::from(rendered.crop.x),
                            y: i64::from(rendered.crop.y),
                            width: i64::from(rendered.crop.width),
                            height: i64::from(rendered.crop.height),
                        },
                        bytes: rendered.bytes.clone(),
                    }],
                )
                .await
                .map_err(JobError::retry)?;
        }
        Ok((rendered.bytes, format.to_owned(), width, height))
    }
}

fn mime_of(format: &str) -> &'static str {
    match format {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

/// The idempotency key of a variant's part, as the engine sends it (tests reconcile with it).
pub fn part_key(variant: VariantId, idx: usize) -> String {
    plan::part_key(variant, idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn errors_decide_what_happens_next() {
        let now = Utc::now();
        assert_eq!(
            after_error(
                &ConnectorError::RateLimited {
                    retry_after: Some(Duration::from_secs(90))
                },
                now
            ),
            AfterError::WaitUntil(now + chrono::Duration::seconds(90))
        );
        assert_eq!(
            after_error(&ConnectorError::RateLimited { retry_after: None }, now),
            AfterError::WaitUntil(now + chrono::Duration::seconds(60))
        );
        assert_eq!(
            after_error(
                &ConnectorError::Temporary {
                    reason: "503".into(),
                    retry_after: None
                },
                now
            ),
            AfterError::Retry
        );
        assert_eq!(
            after_error(&ConnectorError::Unknown { reason: "t".into() }, now),
            AfterError::Reconcile
        );
        assert!(matches!(
            after_error(&ConnectorError::Auth { reason: "r".into() }, now),
            AfterError::Reconnect(_)
        ));
        assert!(matches!(
            after_error(&ConnectorError::Permanent { reason: "r".into() }, now),
            AfterError::Fail(_)
        ));
    }

    #[test]
    fn parts_keep_their_thread() {
        let rec = PartRecord {
            idx: 1,
            status: PartStatus::Published,
            attempted_at: Utc::now(),
            remote_id: Some("at://did/p/2".into()),
            remote_cid: Some("c2".into()),
            remote_url: Some("https://x/2".into()),
            root_id: Some("at://did/p/1".into()),
            root_cid: Some("c1".into()),
        };
        let r = remote_of(&rec).unwrap();
        assert_eq!(r.id, "at://did/p/2");
        assert_eq!(r.root.unwrap().cid.as_deref(), Some("c1"));
        let p = published_of(&rec).unwrap();
        assert_eq!(part_remote(&p).root_id.as_deref(), Some("at://did/p/1"));
    }
}
