//! Posts and their variants: one master content, fanned out to channels; each channel's variant
//! starts from the master and may override any field. A variant that overrides nothing follows
//! later edits of the master; one that overrides a field keeps its own value for that field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    InvalidInput, MediaId,
    spec::{Draft, MediaFacts, Placement},
};

/// Longest text a post or variant may hold, whatever the network: networks' own limits are far
/// lower and are checked by validation; this only bounds what we store.
pub const MAX_TEXT_CHARS: usize = 70_000;
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_LINK_CHARS: usize = 2_048;
pub const MAX_MEDIA: usize = 20;
pub const MAX_ALT_CHARS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub media_id: MediaId,
    #[serde(default)]
    pub alt: String,
}

/// What a post says: the master, or a variant's effective content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    #[serde(default)]
    pub text: String,
    /// For networks with a title (YouTube, Pinterest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Posted as the first reply/comment right after the post (Instagram, LinkedIn, X thread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_comment: Option<String>,
    #[serde(default)]
    pub media: Vec<MediaRef>,
}

impl Content {
    /// Trim and bound every field; blank optional fields become `None`.
    pub fn normalised(self) -> Result<Content, InvalidInput> {
        let text = self.text.trim_end().to_owned();
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(InvalidInput::new(
                "text",
                "too_long",
                format!("The text is longer than {MAX_TEXT_CHARS} characters."),
            ));
        }
        let title = optional(self.title, "title", MAX_TITLE_CHARS)?;
        let link = optional(self.link, "link", MAX_LINK_CHARS)?;
        if let Some(link) = &link {
            check_link(link)?;
        }
        let first_comment = optional(self.first_comment, "first_comment", MAX_TEXT_CHARS)?;
        if self.media.len() > MAX_MEDIA {
            return Err(InvalidInput::new(
                "media",
                "too_many",
                format!("A post can hold at most {MAX_MEDIA} media files."),
            ));
        }
        let mut media = Vec::with_capacity(self.media.len());
        for m in self.media {
            if media.iter().any(|x: &MediaRef| x.media_id == m.media_id) {
                return Err(InvalidInput::new(
                    "media",
                    "duplicate",
                    "The same media file is attached twice.",
                ));
            }
            let alt = m.alt.trim().to_owned();
            if alt.chars().count() > MAX_ALT_CHARS {
                return Err(InvalidInput::new(
                    "media",
                    "alt_too_long",
                    format!("Alt text is longer than {MAX_ALT_CHARS} characters."),
                ));
            }
            media.push(MediaRef {
                media_id: m.media_id,
                alt,
            });
        }
        Ok(Content {
            text,
            title,
            link,
            first_comment,
            media,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.media.is_empty() && self.link.is_none()
    }
}

fn optional(
    value: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, InvalidInput> {
    let Some(v) = value else { return Ok(None) };
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max {
        return Err(InvalidInput::new(
            field,
            "too_long",
            format!("This is longer than {max} characters."),
        ));
    }
    Ok(Some(v.to_owned()))
}

fn check_link(link: &str) -> Result<(), InvalidInput> {
    match url::Url::parse(link) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(InvalidInput::new(
            "link",
            "invalid_link",
            "The link must be a full web address starting with http:// or https://.",
        )),
    }
}

/// The fields a variant changes from the master. `None` = follows the master; for the optional
/// fields `Some(None)` means "removed in this variant".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_comment: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<MediaRef>>,
}

impl Overrides {
    /// The overrides that turn `master` into `wanted`: only fields that differ are kept, so a
    /// variant edited back to the master's value follows the master again.
    pub fn between(master: &Content, wanted: &Content) -> Overrides {
        Overrides {
            text: (wanted.text != master.text).then(|| wanted.text.clone()),
            title: (wanted.title != master.title).then(|| wanted.title.clone()),
            link: (wanted.link != master.link).then(|| wanted.link.clone()),
            first_comment: (wanted.first_comment != master.first_comment)
                .then(|| wanted.first_comment.clone()),
            media: (wanted.media != master.media).then(|| wanted.media.clone()),
        }
    }

    /// The variant's content: the master with these overrides applied.
    pub fn apply(&self, master: &Content) -> Content {
        Content {
            text: self.text.clone().unwrap_or_else(|| master.text.clone()),
            title: self.title.clone().unwrap_or_else(|| master.title.clone()),
            link: self.link.clone().unwrap_or_else(|| master.link.clone()),
            first_comment: self
                .first_comment
                .clone()
                .unwrap_or_else(|| master.first_comment.clone()),
            media: self.media.clone().unwrap_or_else(|| master.media.clone()),
        }
    }

    /// Names of the fields that differ from the master, for "differences from the master" in the UI.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.text.is_some() {
            out.push("text");
        }
        if self.title.is_some() {
            out.push("title");
        }
        if self.link.is_some() {
            out.push("link");
        }
        if self.first_comment.is_some() {
            out.push("first_comment");
        }
        if self.media.is_some() {
            out.push("media");
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.changed_fields().is_empty()
    }
}

/// Where a variant is on its way to the network. The engine's states (publishing, unconfirmed …)
/// are here too so that one column tells the whole story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantStatus {
    Draft,
    InReview,
    ChangesRequested,
    Rejected,
    /// Approved (or no approval needed) but not given a time yet.
    Approved,
    Scheduled,
    Publishing,
    Published,
    Failed,
    /// The network may or may not have the post (timeout mid-call); a person must check.
    Unconfirmed,
    Cancelled,
    Paused,
}

impl VariantStatus {
    pub const ALL: [VariantStatus; 12] = [
        VariantStatus::Draft,
        VariantStatus::InReview,
        VariantStatus::ChangesRequested,
        VariantStatus::Rejected,
        VariantStatus::Approved,
        VariantStatus::Scheduled,
        VariantStatus::Publishing,
        VariantStatus::Published,
        VariantStatus::Failed,
        VariantStatus::Unconfirmed,
        VariantStatus::Cancelled,
        VariantStatus::Paused,
    ];

    pub fn code(self) -> &'static str {
        match self {
            VariantStatus::Draft => "draft",
            VariantStatus::InReview => "in_review",
            VariantStatus::ChangesRequested => "changes_requested",
            VariantStatus::Rejected => "rejected",
            VariantStatus::Approved => "approved",
            VariantStatus::Scheduled => "scheduled",
            VariantStatus::Publishing => "publishing",
            VariantStatus::Published => "published",
            VariantStatus::Failed => "failed",
            VariantStatus::Unconfirmed => "unconfirmed",
            VariantStatus::Cancelled => "cancelled",
            VariantStatus::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<VariantStatus> {
        VariantStatus::ALL.into_iter().find(|v| v.code() == s)
    }

    /// Content can still change: nothing has gone to the network.
    pub fn is_editable(self) -> bool {
        !matches!(
            self,
            VariantStatus::Publishing
                | VariantStatus::Published
                | VariantStatus::Unconfirmed
                | VariantStatus::Cancelled
        )
    }

    /// On the network, or on its way there: the variant can no longer be edited or unscheduled.
    pub fn is_out(self) -> bool {
        matches!(
            self,
            VariantStatus::Publishing | VariantStatus::Published | VariantStatus::Unconfirmed
        )
    }
}

/// Why a variant may not be scheduled (or published) now. Checked by the server whatever the UI
/// shows, and again at dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("This post needs its approvals before it can be scheduled.")]
    NeedsApproval,
    #[error("This post has validation errors; fix them before scheduling.")]
    Invalid,
    #[error("This post has already gone to the network or was cancelled.")]
    NotEditable,
    #[error("Give the post a time first.")]
    NoTime,
}

impl GateError {
    pub fn code(self) -> &'static str {
        match self {
            GateError::NeedsApproval => "approval_required",
            GateError::Invalid => "validation_failed",
            GateError::NotEditable => "not_editable",
            GateError::NoTime => "no_time",
        }
    }
}

/// Whether a review must approve this variant, and whether it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalNeed {
    NotRequired,
    Pending,
    Approved,
}

/// The one rule for "may this variant be scheduled/published": approved (or no workflow), valid,
/// and not already out.
pub fn gate(status: VariantStatus, need: ApprovalNeed, has_errors: bool) -> Result<(), GateError> {
    if !status.is_editable() {
        return Err(GateError::NotEditable);
    }
    if need == ApprovalNeed::Pending {
        return Err(GateError::NeedsApproval);
    }
    if has_errors {
        return Err(GateError::Invalid);
    }
    Ok(())
}

/// The status a variant takes once nothing blocks it: scheduled when it has a time, else approved.
pub fn ready_status(has_time: bool) -> VariantStatus {
    if has_time {
        VariantStatus::Scheduled
    } else {
        VariantStatus::Approved
    }
}

/// After its content changed: a variant that had entered review (or passed it) goes back to review
/// when its workflow requires approval — "editing an approved post sends it back for approval".
pub fn status_after_edit(status: VariantStatus, review_required: bool) -> VariantStatus {
    use VariantStatus::*;
    match status {
        InReview | Approved | Scheduled | ChangesRequested | Rejected | Paused
            if review_required =>
        {
            InReview
        }
        other => other,
    }
}

/// Text to count for a placement: the main text field gets the text (with the link appended when
/// the placement has no link field of its own), `title` and `link` fields get theirs.
pub fn draft_for(placement: &Placement, content: &Content, media: Vec<MediaFacts>) -> Draft {
    let mut texts = BTreeMap::new();
    let has_link_field = placement.texts.iter().any(|t| t.name == "link");
    let mut main_done = false;
    for field in &placement.texts {
        match field.name.as_str() {
            "title" => {
                if let Some(t) = &content.title {
                    texts.insert(field.name.clone(), t.clone());
                }
            }
            "link" => {
                if let Some(l) = &content.link {
                    texts.insert(field.name.clone(), l.clone());
                }
            }
            _ if !main_done => {
                main_done = true;
                texts.insert(field.name.clone(), main_text(content, has_link_field));
            }
            _ => {}
        }
    }
    Draft { texts, media }
}

/// What an image becomes once Owlery renders it for `placement`: a JPEG of the placement's first
/// recommended size (cropped around the focal point) within its byte limit. Validation checks the
/// rendition, not the upload — a PNG goes to Instagram as a JPEG, a 4:3 photo to a Story as 9:16.
/// An image smaller than that size is not enlarged, so it keeps its own size (and its own
/// warnings); GIFs and videos are sent as they are.
pub fn as_rendered(placement: &Placement, facts: MediaFacts) -> MediaFacts {
    use crate::spec::MediaKind;
    let Some(rules) = &placement.media else {
        return facts;
    };
    if facts.kind != MediaKind::Image {
        return facts;
    }
    let format = if rules.formats.is_empty() || rules.formats.iter().any(|f| f == "jpeg") {
        "jpeg".to_owned()
    } else {
        facts.format.clone()
    };
    let bytes = rules
        .image_max_bytes
        .map_or(facts.bytes, |max| facts.bytes.min(max));
    match rules.recommended.first() {
        Some(size) if facts.width >= size.width && facts.height >= size.height => MediaFacts {
            width: size.width,
            height: size.height,
            format,
            bytes,
            ..facts
        },
        _ => MediaFacts {
            format,
            bytes,
            ..facts
        },
    }
}

/// The text as it will go out: the link is appended when the network has no separate link field.
pub fn main_text(content: &Content, has_link_field: bool) -> String {
    match (&content.link, has_link_field) {
        (Some(link), false) if !content.text.contains(link.as_str()) => {
            if content.text.is_empty() {
                link.clone()
            } else {
                format!("{}\n\n{link}", content.text)
            }
        }
        _ => content.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> Content {
        Content {
            text: "Autumn menu is here".into(),
            title: None,
            link: Some("https://example.com/menu".into()),
            first_comment: None,
            media: vec![],
        }
    }

    #[test]
    fn images_are_checked_as_their_renditions() {
        use crate::spec::{MediaKind, Specs};
        let specs = Specs::embedded().unwrap();
        let story = specs.placement("instagram", "story").unwrap();
        let png = MediaFacts {
            kind: MediaKind::Image,
            bytes: 40_000_000,
            width: 4000,
            height: 3000,
            duration_ms: None,
            format: "png".into(),
            alt: None,
        };
        let r = as_rendered(story, png.clone());
        assert_eq!(r.format, "jpeg");
        assert!(r.width * 16 == r.height * 9, "{}x{}", r.width, r.height);
        assert!(
            r.bytes
                <= story
                    .media
                    .as_ref()
                    .unwrap()
                    .image_max_bytes
                    .unwrap_or(u64::MAX)
        );
        // Too small to fill the size: kept as it is (no enlarging), so its own checks apply.
        let tiny = MediaFacts {
            width: 200,
            height: 150,
            ..png.clone()
        };
        assert_eq!(as_rendered(story, tiny.clone()).width, 200);
        // Videos go as they are.
        let video = MediaFacts {
            kind: MediaKind::Video,
            format: "mov".into(),
            ..png
        };
        assert_eq!(as_rendered(story, video.clone()), video);
    }

    #[test]
    fn overrides_keep_only_real_differences() {
        let m = master();
        let mut wanted = m.clone();
        assert!(Overrides::between(&m, &wanted).is_empty());
        wanted.text = "Short for X".into();
        wanted.link = None;
        let o = Overrides::between(&m, &wanted);
        assert_eq!(o.changed_fields(), vec!["text", "link"]);
        assert_eq!(o.apply(&m), wanted);
        // The master changes later: the variant keeps its own text, follows the rest.
        let mut m2 = m.clone();
        m2.first_comment = Some("Details in the bio".into());
        let v = o.apply(&m2);
        assert_eq!(v.text, "Short for X");
        assert_eq!(v.first_comment.as_deref(), Some("Details in the bio"));
    }

    #[test]
    fn normalising_rejects_bad_links_and_blank_fields_vanish() {
        let mut c = master();
        c.title = Some("   ".into());
        let n = c.clone().normalised().unwrap_or_default();
        assert_eq!(n.title, None);
        c.link = Some("javascript:alert(1)".into());
        assert_eq!(c.normalised().err().map(|e| e.code), Some("invalid_link"));
    }

    #[test]
    fn the_gate_refuses_unapproved_invalid_and_gone() {
        use VariantStatus::*;
        assert_eq!(
            gate(Draft, ApprovalNeed::Pending, false),
            Err(GateError::NeedsApproval)
        );
        assert_eq!(
            gate(InReview, ApprovalNeed::Approved, true),
            Err(GateError::Invalid)
        );
        assert_eq!(
            gate(Published, ApprovalNeed::NotRequired, false),
            Err(GateError::NotEditable)
        );
        assert_eq!(gate(Draft, ApprovalNeed::NotRequired, false), Ok(()));
        assert_eq!(status_after_edit(Scheduled, true), InReview);
        assert_eq!(status_after_edit(Scheduled, false), Scheduled);
        assert_eq!(status_after_edit(Draft, true), Draft);
    }

    #[test]
    fn statuses_round_trip() {
        for s in VariantStatus::ALL {
            assert_eq!(VariantStatus::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn link_is_appended_only_without_a_link_field() {
        let c = master();
        assert_eq!(
            main_text(&c, false),
            "Autumn menu is here\n\nhttps://example.com/menu"
        );
        assert_eq!(main_text(&c, true), "Autumn menu is here");
    }
}
