//! The composer's one path from what a person wrote to what the store keeps: the master content,
//! one variant per chosen channel (its placement, what it changes from the master) and each
//! variant's validation against its network's rules. The API and the composer page both call
//! [`compose`], so a post saved either way is checked the same way.

use std::{collections::HashMap, sync::OnceLock};

use crate::auth::Principal;

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, InvalidInput, MediaId, Permission, Target, WorkspaceId,
    post::{self, Content, MediaRef, Overrides},
    spec::{Finding, MastodonInstance, MediaFacts, Severity, Specs, validate},
};
use owlery_store::{
    Store, StoreError,
    media::AttachedMedia,
    posts::{Validation, VariantInput},
};

use crate::error::AppError;

/// The network spec file, parsed once.
pub fn specs() -> Result<&'static Specs, AppError> {
    static SPECS: OnceLock<Result<Specs, String>> = OnceLock::new();
    SPECS
        .get_or_init(|| Specs::embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(AppError::internal)
}

/// A post as written: the master and the channels it goes to.
#[derive(Debug, Clone)]
pub struct Draft {
    pub workspace_id: WorkspaceId,
    pub master: Content,
    pub channels: Vec<ChannelDraft>,
}

/// One channel of a draft. Fields left `None` follow the master.
#[derive(Debug, Clone, Default)]
pub struct ChannelDraft {
    pub channel_id: ChannelId,
    /// The network's placement code (`feed`, `story`, `reel` …); the network's first when absent.
    pub placement: Option<String>,
    pub text: Option<String>,
    /// `Some("")` removes the master's value in this variant.
    pub title: Option<String>,
    pub link: Option<String>,
    pub first_comment: Option<String>,
    pub media: Option<Vec<MediaRef>>,
}

/// What [`compose`] makes of a draft: ready for `create_post` / `update_post`.
#[derive(Debug, Clone)]
pub struct Composed {
    pub master: Content,
    pub variants: Vec<VariantInput>,
    /// Per variant, in the same order: the network, the effective content and the findings.
    pub checks: Vec<VariantCheck>,
}

#[derive(Debug, Clone)]
pub struct VariantCheck {
    pub channel_id: ChannelId,
    pub network: String,
    pub placement: String,
    pub content: Content,
    pub findings: Vec<Finding>,
    /// The main text as the network counts it, and its limit (for the composer's meter).
    pub used: u64,
    pub limit: u64,
}

impl VariantCheck {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Turn a draft into variants with their validation. Client mistakes (a channel of another
/// workspace, an unknown placement, media that does not exist) are 4xx errors naming the field;
/// what a network would refuse (too long, wrong aspect ratio, expired media) are findings, kept
/// with the variant, that block scheduling.
pub async fn compose(
    store: &Store,
    draft: Draft,
    now: DateTime<Utc>,
) -> Result<Composed, AppError> {
    let specs = specs()?;
    let master = draft.master.normalised()?;
    if draft.channels.is_empty() {
        return Err(
            InvalidInput::new("channel_ids", "required", "Choose at least one channel.").into(),
        );
    }
    let mut wanted = Vec::with_capacity(draft.channels.len());
    let mut media_ids: Vec<MediaId> = master.media.iter().map(|m| m.media_id).collect();
    for (i, c) in draft.channels.into_iter().enumerate() {
        if wanted
            .iter()
            .any(|(ch, ..): &(ChannelId, _, _, _, _)| *ch == c.channel_id)
        {
            return Err(InvalidInput::new(
                "channel_ids",
                "duplicate",
                "The same channel is chosen twice.",
            )
            .into());
        }
        let channel = match store.channel(c.channel_id).await {
            Ok(ch) => ch,
            Err(StoreError::NotFound(_)) => {
                return Err(InvalidInput::new(
                    "channel_ids",
                    "unknown_channel",
                    format!(
                        "Channel {} (number {} in the list) does not exist.",
                        c.channel_id,
                        i + 1
                    ),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        if channel.workspace_id != draft.workspace_id {
            return Err(InvalidInput::new(
                "channel_ids",
                "wrong_workspace",
                format!("Channel '{}' belongs to another workspace.", channel.name),
            )
            .into());
        }
        let network = channel.network.code();
        let Some(spec) = specs.network(network) else {
            return Err(AppError::internal(format!("no spec for network {network}")));
        };
        let placement = match c
            .placement
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(code) => spec
                .placements
                .iter()
                .find(|p| p.code == code)
                .ok_or_else(|| {
                    InvalidInput::new(
                        "placement",
                        "unknown_placement",
                        format!(
                            "{} has no placement '{code}'; it has: {}.",
                            spec.name,
                            spec.placements
                                .iter()
                                .map(|p| p.code.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
            None => spec
                .placements
                .first()
                .ok_or_else(|| AppError::internal(format!("network {network} has no placement")))?,
        };
        let content = Content {
            text: c.text.unwrap_or_else(|| master.text.clone()),
            title: c.title.or_else(|| master.title.clone()),
            link: c.link.or_else(|| master.link.clone()),
            first_comment: c.first_comment.or_else(|| master.first_comment.clone()),
            media: c.media.unwrap_or_else(|| master.media.clone()),
        }
        .normalised()?;
        for m in &content.media {
            if !media_ids.contains(&m.media_id) {
                media_ids.push(m.media_id);
            }
        }
        let server = if network == "mastodon" {
            store.channel_server_limits(c.channel_id).await?
        } else {
            None
        };
        wanted.push((c.channel_id, network.to_owned(), placement, content, server));
    }
    let media: HashMap<MediaId, AttachedMedia> =
        match store.attached_media(draft.workspace_id, &media_ids).await {
            Ok(found) => found.into_iter().map(|m| (m.id, m)).collect(),
            Err(StoreError::NotFound(_)) => {
                return Err(InvalidInput::new(
                "media",
                "unknown_media",
                "A media file does not exist in this workspace (or was deleted); upload it first.",
            )
            .into());
            }
            Err(e) => return Err(e.into()),
        };
    let mut variants = Vec::with_capacity(wanted.len());
    let mut checks = Vec::with_capacity(wanted.len());
    for (channel_id, network, placement, content, server) in wanted {
        let findings = check(placement, &content, &media, server.as_ref(), now);
        let (used, limit) = meter(placement, &content, server.as_ref());
        let has_errors = findings.iter().any(|f| f.severity == Severity::Error);
        variants.push(VariantInput {
            channel_id,
            placement: placement.code.clone(),
            overrides: Overrides::between(&master, &content),
            validation: Validation {
                findings: serde_json::to_value(&findings).map_err(AppError::internal)?,
                has_errors,
                spec_version: specs.version.clone(),
            },
        });
        checks.push(VariantCheck {
            channel_id,
            network,
            placement: placement.code.clone(),
            content,
            findings,
            used,
            limit,
        });
    }
    Ok(Composed {
        master,
        variants,
        checks,
    })
}

/// How much of its main text field a variant uses, counted the network's way.
fn meter(
    placement: &owlery_domain::spec::Placement,
    content: &Content,
    server: Option<&MastodonInstance>,
) -> (u64, u64) {
    let draft = post::draft_for(placement, content, Vec::new());
    placement
        .texts
        .iter()
        .find(|f| f.name != "title" && f.name != "link")
        .map(|field| {
            let text = draft.texts.get(&field.name).map_or("", String::as_str);
            let used = owlery_domain::text::count(field.count, text);
            let limit = server.map_or(field.limit, |s| s.max_characters);
            (u64::try_from(used).unwrap_or(u64::MAX), limit)
        })
        .unwrap_or((0, 0))
}

/// The findings of one variant: the network's rules (a Mastodon server's own limits where the
/// channel has them), and media whose usage rights have run out.
fn check(
    placement: &owlery_domain::spec::Placement,
    content: &Content,
    media: &HashMap<MediaId, AttachedMedia>,
    server: Option<&MastodonInstance>,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut facts: Vec<MediaFacts> = Vec::with_capacity(content.media.len());
    let mut expired = Vec::new();
    for (i, m) in content.media.iter().enumerate() {
        if let Some(found) = media.get(&m.media_id) {
            let mut f = post::as_rendered(placement, found.facts.clone());
            f.alt = Some(m.alt.clone()).filter(|a| !a.is_empty());
            facts.push(f);
            if found.expires_at.is_some_and(|at| at <= now) {
                expired.push(i);
            }
        }
    }
    let mut findings = validate(
        placement,
        &post::draft_for(placement, content, facts),
        server,
    );
    for i in expired {
        findings.insert(
            0,
            Finding {
                severity: Severity::Error,
                field: format!("media[{i}]"),
                code: "media_expired",
                message:
                    "The usage rights of this media file have expired; it cannot be scheduled."
                        .into(),
                limit: None,
                actual: None,
            },
        );
    }
    findings
}

/// Whether submitting to `channels` of `workspace` would schedule something on `principal`'s
/// say-so without the right to: a channel that no approval workflow covers is scheduled at once,
/// which needs `posts:publish` on it. `covered` remembers each channel's answer across calls (a
/// CSV import asks for many rows).
pub async fn needs_publisher(
    store: &Store,
    principal: &Principal,
    workspace: WorkspaceId,
    channels: &[ChannelId],
    covered: &mut HashMap<ChannelId, bool>,
) -> Result<bool, StoreError> {
    for c in channels {
        let target = Target::Channel {
            workspace,
            channel: *c,
        };
        if principal.access.can(Permission::PostsPublish, target) {
            continue;
        }
        let is_covered = match covered.get(c) {
            Some(v) => *v,
            None => {
                let v = store.workflow_for_channel(*c).await?.is_some();
                covered.insert(*c, v);
                v
            }
        };
        if !is_covered {
            return Ok(true);
        }
    }
    Ok(false)
}
