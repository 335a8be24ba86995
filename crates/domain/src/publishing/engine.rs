//! The publishing engine's pure rules: what parts a variant sends and in which order, whether a
//! post is late and what then, and the pause switch's scopes. The engine itself (claims, network
//! calls, retries) lives in `owlery-jobs`; the state in `owlery-store`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::org::Network;
use crate::post::{self, Content};

/// One part of a variant, in publishing order: the post itself, then its follow-ups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartPlan {
    pub text: String,
    /// Whether the variant's media go with this part (only the first).
    pub with_media: bool,
    /// A comment on the first part (Instagram, Facebook, LinkedIn, YouTube) rather than a
    /// threaded post answering the previous part (X, Bluesky, Threads, Mastodon).
    pub as_comment: bool,
}

/// Networks whose "first comment" is a comment under the post rather than a reply in a thread.
pub fn comments_are_separate(network: Network) -> bool {
    matches!(
        network,
        Network::Instagram
            | Network::FacebookPage
            | Network::Linkedin
            | Network::Youtube
            | Network::Tiktok
            | Network::Pinterest
    )
}

/// The parts of a variant with this effective content: the post (with the link appended when the
/// placement has no link field), then its first comment if it has one. Each later part answers the
/// one before it; a comment answers the first part.
pub fn parts(content: &Content, network: Network, has_link_field: bool) -> Vec<PartPlan> {
    let mut out = vec![PartPlan {
        text: post::main_text(content, has_link_field),
        with_media: true,
        as_comment: false,
    }];
    if let Some(comment) = content
        .first_comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        out.push(PartPlan {
            text: comment.to_owned(),
            with_media: false,
            as_comment: comments_are_separate(network),
        });
    }
    out
}

/// The idempotency key of one part: stable across attempts, processes and machines.
pub fn part_key(variant: impl std::fmt::Display, idx: usize) -> String {
    format!("{variant}:{idx}")
}

/// What an organisation does with a post whose time passed while nothing could publish it (an
/// outage, a stopped server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LatePolicy {
    /// Send it at once, flagged as late.
    #[default]
    Send,
    /// Hold it for a person (resume, reschedule or cancel), once later than the grace.
    Hold,
}

impl LatePolicy {
    pub fn code(self) -> &'static str {
        match self {
            LatePolicy::Send => "send",
            LatePolicy::Hold => "hold",
        }
    }

    pub fn parse(s: &str) -> Option<LatePolicy> {
        match s {
            "send" => Some(LatePolicy::Send),
            "hold" => Some(LatePolicy::Hold),
            _ => None,
        }
    }
}

/// A dispatch within this much of its time is on time: claiming and calling take a moment.
pub const ON_TIME: Duration = Duration::seconds(60);

/// How a dispatch relates to its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    OnTime,
    /// Goes out, flagged late by this many seconds.
    Late {
        by_s: i64,
    },
    /// Held for a person: later than the grace under [`LatePolicy::Hold`].
    Hold {
        by_s: i64,
    },
}

/// Whether a dispatch at `now` for `scheduled_at` is on time, late, or to be held.
pub fn timing(
    scheduled_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: LatePolicy,
    grace: Duration,
) -> Timing {
    let late = now - scheduled_at;
    if late <= ON_TIME {
        return Timing::OnTime;
    }
    let by_s = late.num_seconds();
    if policy == LatePolicy::Hold && late > grace {
        Timing::Hold { by_s }
    } else {
        Timing::Late { by_s }
    }
}

/// Where a publishing pause applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseScope {
    Organisation,
    Workspace,
    Channel,
}

impl PauseScope {
    pub fn code(self) -> &'static str {
        match self {
            PauseScope::Organisation => "organisation",
            PauseScope::Workspace => "workspace",
            PauseScope::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<PauseScope> {
        match s {
            "organisation" | "organization" => Some(PauseScope::Organisation),
            "workspace" => Some(PauseScope::Workspace),
            "channel" => Some(PauseScope::Channel),
            _ => None,
        }
    }
}

/// Why a variant waits in `paused`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldBy {
    /// A publishing pause covered it at its time.
    Pause,
    /// It was too late under the organisation's late policy.
    Late,
}

impl HeldBy {
    pub fn code(self) -> &'static str {
        match self {
            HeldBy::Pause => "pause",
            HeldBy::Late => "late",
        }
    }

    pub fn parse(s: &str) -> Option<HeldBy> {
        match s {
            "pause" => Some(HeldBy::Pause),
            "late" => Some(HeldBy::Late),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(first_comment: Option<&str>) -> Content {
        Content {
            text: "Autumn menu".into(),
            title: None,
            link: Some("https://example.com/m".into()),
            first_comment: first_comment.map(str::to_owned),
            media: vec![],
        }
    }

    #[test]
    fn a_first_comment_is_a_reply_or_a_comment_by_network() {
        let c = content(Some("  More at the counter  "));
        let x = parts(&c, Network::X, false);
        assert_eq!(x.len(), 2);
        assert_eq!(x[0].text, "Autumn menu\n\nhttps://example.com/m");
        assert!(x[0].with_media && !x[0].as_comment);
        assert_eq!(x[1].text, "More at the counter");
        assert!(!x[1].with_media && !x[1].as_comment);
        let ig = parts(&c, Network::Instagram, false);
        assert!(ig[1].as_comment);
        let fb = parts(&c, Network::FacebookPage, true);
        assert_eq!(fb[0].text, "Autumn menu");
        assert_eq!(parts(&content(Some("   ")), Network::X, false).len(), 1);
        assert_eq!(parts(&content(None), Network::Bluesky, false).len(), 1);
    }

    #[test]
    fn lateness_follows_the_policy_and_grace() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let grace = Duration::minutes(15);
        assert_eq!(
            timing(at, at + Duration::seconds(30), LatePolicy::Hold, grace),
            Timing::OnTime
        );
        assert_eq!(
            timing(at, at + Duration::minutes(5), LatePolicy::Hold, grace),
            Timing::Late { by_s: 300 }
        );
        assert_eq!(
            timing(at, at + Duration::hours(2), LatePolicy::Hold, grace),
            Timing::Hold { by_s: 7200 }
        );
        assert_eq!(
            timing(at, at + Duration::hours(2), LatePolicy::Send, grace),
            Timing::Late { by_s: 7200 }
        );
        // early (a clock a little behind) is on time
        assert_eq!(
            timing(at, at - Duration::seconds(5), LatePolicy::Send, grace),
            Timing::OnTime
        );
    }

    #[test]
    fn codes_round_trip() {
        for p in [LatePolicy::Send, LatePolicy::Hold] {
            assert_eq!(LatePolicy::parse(p.code()), Some(p));
        }
        for s in [
            PauseScope::Organisation,
            PauseScope::Workspace,
            PauseScope::Channel,
        ] {
            assert_eq!(PauseScope::parse(s.code()), Some(s));
        }
        for h in [HeldBy::Pause, HeldBy::Late] {
            assert_eq!(HeldBy::parse(h.code()), Some(h));
        }
        assert_eq!(part_key("v", 2), "v:2");
    }
}
