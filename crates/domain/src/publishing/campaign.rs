//! Campaigns: variants released together, at one instant or staggered by offsets from the release
//! time. With *all or nothing*, a campaign goes out whole or not at all: if any member is not
//! approved or not valid at release time, every member is held and the owner is told (the caller
//! tells; [`decide`] says who blocks).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{InvalidInput, VariantId};

/// 30 days: a longer stagger is two campaigns.
pub const MAX_OFFSET_MINUTES: i64 = 30 * 24 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub variant_id: VariantId,
    /// Minutes after the campaign's release time, 0 to [`MAX_OFFSET_MINUTES`].
    pub offset_minutes: i64,
    pub approved: bool,
    pub valid: bool,
    /// Cancelled members are left out of the campaign entirely: they neither go nor block.
    pub cancelled: bool,
}

impl Member {
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if !(0..=MAX_OFFSET_MINUTES).contains(&self.offset_minutes) {
            return Err(InvalidInput::new(
                "offset_minutes",
                "out_of_range",
                format!(
                    "A campaign member goes 0 to {MAX_OFFSET_MINUTES} minutes (30 days) after the release time, not {} minutes.",
                    self.offset_minutes
                ),
            ));
        }
        Ok(())
    }

    /// What keeps this member from going, if anything. An unapproved member is reported as such
    /// even when it is also invalid: approval is what the owner chases first.
    pub fn blocker(&self) -> Option<Blocker> {
        if !self.approved {
            Some(Blocker::NotApproved)
        } else if !self.valid {
            Some(Blocker::Invalid)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blocker {
    NotApproved,
    Invalid,
}

impl Blocker {
    pub fn code(self) -> &'static str {
        match self {
            Blocker::NotApproved => "not_approved",
            Blocker::Invalid => "invalid",
        }
    }
}

/// JSON: `{"decision": "go", "go": [{"variant_id", "at"}]}` or
/// `{"decision": "hold_all", "blockers": [{"variant_id", "blocker"}]}` (through [`ReleaseJson`]:
/// an internally tagged enum cannot hold `Go`'s list directly, and serialising it would fail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ReleaseJson", from = "ReleaseJson")]
pub enum Release {
    /// Publish these variants at these instants (sorted by time).
    Go(Vec<(VariantId, DateTime<Utc>)>),
    /// All or nothing, and something is not ready: publish none.
    HoldAll { blockers: Vec<(VariantId, Blocker)> },
}

/// The JSON form of [`Release`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReleaseJson {
    Go { go: Vec<Timed> },
    HoldAll { blockers: Vec<Blocked> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timed {
    pub variant_id: VariantId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub variant_id: VariantId,
    pub blocker: Blocker,
}

impl From<Release> for ReleaseJson {
    fn from(r: Release) -> Self {
        match r {
            Release::Go(times) => ReleaseJson::Go {
                go: times
                    .into_iter()
                    .map(|(variant_id, at)| Timed { variant_id, at })
                    .collect(),
            },
            Release::HoldAll { blockers } => ReleaseJson::HoldAll {
                blockers: blockers
                    .into_iter()
                    .map(|(variant_id, blocker)| Blocked {
                        variant_id,
                        blocker,
                    })
                    .collect(),
            },
        }
    }
}

impl From<ReleaseJson> for Release {
    fn from(r: ReleaseJson) -> Self {
        match r {
            ReleaseJson::Go { go } => {
                Release::Go(go.into_iter().map(|t| (t.variant_id, t.at)).collect())
            }
            ReleaseJson::HoldAll { blockers } => Release::HoldAll {
                blockers: blockers
                    .into_iter()
                    .map(|b| (b.variant_id, b.blocker))
                    .collect(),
            },
        }
    }
}

/// When each (not cancelled) member goes out, sorted by time; members with the same time keep
/// their order. Offsets outside 0–30 days are clamped into it (they are refused on input; see
/// [`Member::validate`]).
pub fn release_times(
    release_at: DateTime<Utc>,
    members: &[Member],
) -> Vec<(VariantId, DateTime<Utc>)> {
    let mut times: Vec<(VariantId, DateTime<Utc>)> = members
        .iter()
        .filter(|m| !m.cancelled)
        .map(|m| {
            let offset = Duration::minutes(m.offset_minutes.clamp(0, MAX_OFFSET_MINUTES));
            (
                m.variant_id,
                release_at.checked_add_signed(offset).unwrap_or(release_at),
            )
        })
        .collect();
    times.sort_by_key(|(_, t)| *t);
    times
}

/// What to do at release time. All or nothing: everything goes, or nothing does and the blockers
/// are named. Otherwise: the ready members go and the others stay behind (cancelled members are
/// ignored either way).
pub fn decide(release_at: DateTime<Utc>, all_or_nothing: bool, members: &[Member]) -> Release {
    let active: Vec<&Member> = members.iter().filter(|m| !m.cancelled).collect();
    if all_or_nothing {
        let blockers: Vec<(VariantId, Blocker)> = active
            .iter()
            .filter_map(|m| m.blocker().map(|b| (m.variant_id, b)))
            .collect();
        if !blockers.is_empty() {
            return Release::HoldAll { blockers };
        }
    }
    let ready: Vec<Member> = active
        .into_iter()
        .filter(|m| m.blocker().is_none())
        .cloned()
        .collect();
    Release::Go(release_times(release_at, &ready))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn member(offset: i64, approved: bool, valid: bool) -> Member {
        Member {
            variant_id: VariantId::new(),
            offset_minutes: offset,
            approved,
            valid,
            cancelled: false,
        }
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()
    }

    #[test]
    fn staggered_times() {
        let ms = [member(30, true, true), member(0, true, true)];
        assert_eq!(
            release_times(at(), &ms),
            vec![
                (ms[1].variant_id, at()),
                (ms[0].variant_id, at() + Duration::minutes(30))
            ]
        );
    }

    #[test]
    fn all_or_nothing_holds_everything_and_names_blockers() {
        let mut ms = vec![
            member(0, true, true),
            member(10, false, true),
            member(20, true, false),
        ];
        assert_eq!(
            decide(at(), true, &ms),
            Release::HoldAll {
                blockers: vec![
                    (ms[1].variant_id, Blocker::NotApproved),
                    (ms[2].variant_id, Blocker::Invalid)
                ]
            }
        );
        // Not all or nothing: the ready ones go.
        assert_eq!(
            decide(at(), false, &ms),
            Release::Go(vec![(ms[0].variant_id, at())])
        );
        // Cancelled members neither go nor block.
        ms[1].cancelled = true;
        ms[2].cancelled = true;
        assert_eq!(
            decide(at(), true, &ms),
            Release::Go(vec![(ms[0].variant_id, at())])
        );
    }

    #[test]
    fn releases_serialise_and_read_back() {
        let go = Release::Go(vec![(VariantId::new(), at())]);
        let json = serde_json::to_value(&go).unwrap();
        assert_eq!(json["decision"], "go");
        assert_eq!(json["go"][0]["at"], "2026-05-04T09:00:00Z");
        assert_eq!(serde_json::from_value::<Release>(json).unwrap(), go);
        let hold = Release::HoldAll {
            blockers: vec![(VariantId::new(), Blocker::NotApproved)],
        };
        let json = serde_json::json!({ "release": hold });
        assert_eq!(json["release"]["decision"], "hold_all");
        assert_eq!(json["release"]["blockers"][0]["blocker"], "not_approved");
        assert_eq!(
            serde_json::from_value::<Release>(json["release"].clone()).unwrap(),
            hold
        );
    }

    #[test]
    fn offsets_are_bounded() {
        assert!(member(MAX_OFFSET_MINUTES, true, true).validate().is_ok());
        let err = member(-1, true, true).validate().unwrap_err();
        assert!(err.message.contains("not -1 minutes"));
        assert!(
            member(MAX_OFFSET_MINUTES + 1, true, true)
                .validate()
                .is_err()
        );
        let far = member(i64::MAX, true, true);
        assert_eq!(
            release_times(at(), std::slice::from_ref(&far)),
            vec![(far.variant_id, at() + Duration::minutes(MAX_OFFSET_MINUTES))]
        );
    }
}
