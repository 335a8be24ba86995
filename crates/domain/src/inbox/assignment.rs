//! Automatic assignment: who of a team gets a new conversation.
//!
//! A person says whether they are available, away or off shift ([`Presence`]); each may hold at
//! most a cap of open conversations (their own, else their team's). A team assigns by
//! [`AssignmentMode`]: not at all (manual), in turn (round-robin), or to whoever has the fewest open
//! conversations (load-balanced) — always among members who are available and under their cap.
//!
//! Pure: the store reads the members, their presence and open counts inside the transaction that
//! assigns (so two ingests at once never exceed a cap) and calls [`pick`].

use serde::{Deserialize, Serialize};

use crate::UserId;

/// Whether a person takes new conversations now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    #[default]
    Available,
    Away,
    OffShift,
}

impl Presence {
    pub const ALL: [Presence; 3] = [Presence::Available, Presence::Away, Presence::OffShift];

    pub fn code(self) -> &'static str {
        match self {
            Presence::Available => "available",
            Presence::Away => "away",
            Presence::OffShift => "off_shift",
        }
    }

    pub fn parse(s: &str) -> Option<Presence> {
        Presence::ALL.into_iter().find(|p| p.code() == s.trim())
    }
}

/// How a team hands out conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMode {
    /// The team's queue: a person takes conversations themselves.
    #[default]
    Manual,
    /// In turn, after the last person who got one.
    RoundRobin,
    /// To whoever holds the fewest open conversations.
    LoadBalanced,
}

impl AssignmentMode {
    pub const ALL: [AssignmentMode; 3] = [
        AssignmentMode::Manual,
        AssignmentMode::RoundRobin,
        AssignmentMode::LoadBalanced,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AssignmentMode::Manual => "manual",
            AssignmentMode::RoundRobin => "round_robin",
            AssignmentMode::LoadBalanced => "load_balanced",
        }
    }

    pub fn parse(s: &str) -> Option<AssignmentMode> {
        AssignmentMode::ALL
            .into_iter()
            .find(|m| m.code() == s.trim())
    }
}

/// The largest cap accepted.
pub const MAX_CAP: u32 = 10_000;

/// A team member as assignment sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub user: UserId,
    pub presence: Presence,
    /// Open conversations assigned to them now (in any team).
    pub open: u32,
    /// At most this many open conversations (`None`: no cap).
    pub cap: Option<u32>,
}

impl Candidate {
    /// Available and under the cap.
    pub fn can_take(&self) -> bool {
        self.presence == Presence::Available && self.cap.is_none_or(|cap| self.open < cap)
    }
}

/// Who gets the next conversation, if anyone. `last` is the person the team last assigned (for
/// round-robin). Candidates are taken in user-id order whatever order they come in, so the result
/// depends only on the set.
pub fn pick(
    mode: AssignmentMode,
    candidates: &[Candidate],
    last: Option<UserId>,
) -> Option<UserId> {
    let mut eligible: Vec<&Candidate> = candidates.iter().filter(|c| c.can_take()).collect();
    eligible.sort_by_key(|c| c.user);
    eligible.dedup_by_key(|c| c.user);
    match mode {
        AssignmentMode::Manual => None,
        AssignmentMode::RoundRobin => {
            let next = last.and_then(|l| eligible.iter().find(|c| c.user > l));
            next.or_else(|| eligible.first()).map(|c| c.user)
        }
        AssignmentMode::LoadBalanced => {
            // Fewest open; on a tie, the first after the last assigned (so ties rotate).
            let min = eligible.iter().map(|c| c.open).min()?;
            let tied: Vec<&&Candidate> = eligible.iter().filter(|c| c.open == min).collect();
            let next = last.and_then(|l| tied.iter().find(|c| c.user > l));
            next.or_else(|| tied.first()).map(|c| c.user)
        }
    }
}

/// Assign `n` conversations in a row, updating open counts: what a burst does.
pub fn pick_many(
    mode: AssignmentMode,
    candidates: &mut [Candidate],
    mut last: Option<UserId>,
    n: usize,
) -> Vec<Option<UserId>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let who = pick(mode, candidates, last);
        if let Some(u) = who {
            if let Some(c) = candidates.iter_mut().find(|c| c.user == u) {
                c.open = c.open.saturating_add(1);
            }
            last = Some(u);
        }
        out.push(who);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn c(n: u128, presence: Presence, open: u32, cap: Option<u32>) -> Candidate {
        Candidate {
            user: UserId(Uuid::from_u128(n)),
            presence,
            open,
            cap,
        }
    }

    fn u(n: u128) -> UserId {
        UserId(Uuid::from_u128(n))
    }

    #[test]
    fn round_robin_skips_away_and_full() {
        let cs = [
            c(1, Presence::Available, 0, None),
            c(2, Presence::Away, 0, None),
            c(3, Presence::Available, 5, Some(5)),
            c(4, Presence::Available, 0, Some(5)),
        ];
        assert_eq!(pick(AssignmentMode::RoundRobin, &cs, None), Some(u(1)));
        assert_eq!(
            pick(AssignmentMode::RoundRobin, &cs, Some(u(1))),
            Some(u(4))
        );
        assert_eq!(
            pick(AssignmentMode::RoundRobin, &cs, Some(u(4))),
            Some(u(1))
        );
        assert_eq!(pick(AssignmentMode::Manual, &cs, None), None);
    }

    #[test]
    fn load_balanced_takes_the_least_loaded() {
        let cs = [
            c(1, Presence::Available, 4, None),
            c(2, Presence::Available, 1, None),
            c(3, Presence::OffShift, 0, None),
        ];
        assert_eq!(pick(AssignmentMode::LoadBalanced, &cs, None), Some(u(2)));
        let none = [
            c(1, Presence::Away, 0, None),
            c(2, Presence::Available, 2, Some(2)),
        ];
        assert_eq!(pick(AssignmentMode::LoadBalanced, &none, None), None);
    }

    fn arb_candidates() -> impl Strategy<Value = Vec<Candidate>> {
        prop::collection::vec(
            (
                0u128..12,
                prop::sample::select(Presence::ALL.to_vec()),
                0u32..8,
                prop::option::of(0u32..8),
            )
                .prop_map(|(n, p, open, cap)| c(n, p, open, cap)),
            0..10,
        )
        .prop_map(|mut v| {
            v.sort_by_key(|c| c.user);
            v.dedup_by_key(|c| c.user);
            v
        })
    }

    proptest! {
        /// Nobody who is away, off shift or at their cap is ever picked; nobody ends over a cap.
        #[test]
        fn never_over_cap_nor_unavailable(
            mut cs in arb_candidates(),
            rr in any::<bool>(),
            n in 0usize..40,
        ) {
            let mode = if rr { AssignmentMode::RoundRobin } else { AssignmentMode::LoadBalanced };
            let before = cs.clone();
            let picks = pick_many(mode, &mut cs, None, n);
            for p in picks.iter().flatten() {
                let orig = before.iter().find(|c| c.user == *p).unwrap();
                prop_assert_eq!(orig.presence, Presence::Available);
            }
            for (b, a) in before.iter().zip(&cs) {
                if let Some(cap) = b.cap {
                    prop_assert!(a.open <= cap.max(b.open));
                }
            }
            // Someone is picked exactly while someone can take one.
            let mut replay = before.clone();
            let mut last = None;
            for p in &picks {
                let possible = replay.iter().any(Candidate::can_take);
                prop_assert_eq!(p.is_some(), possible);
                if let Some(u) = p {
                    for c in replay.iter_mut().filter(|c| c.user == *u).take(1) { c.open += 1; }
                    last = Some(*u);
                }
            }
            let _ = last;
        }

        /// Round-robin with no caps is fair: over k full rounds each available member gets k.
        #[test]
        fn round_robin_is_fair(n_members in 1u128..8, rounds in 1usize..5) {
            let mut cs: Vec<Candidate> =
                (0..n_members).map(|i| c(i, Presence::Available, 0, None)).collect();
            let picks = pick_many(AssignmentMode::RoundRobin, &mut cs, None, rounds * n_members as usize);
            for i in 0..n_members {
                prop_assert_eq!(picks.iter().filter(|p| **p == Some(u(i))).count(), rounds);
            }
        }

        /// Load-balanced keeps the available members within one of each other when they start
        /// level.
        #[test]
        fn load_balanced_stays_level(n_members in 1u128..8, n in 0usize..50) {
            let mut cs: Vec<Candidate> =
                (0..n_members).map(|i| c(i, Presence::Available, 0, None)).collect();
            pick_many(AssignmentMode::LoadBalanced, &mut cs, None, n);
            let max = cs.iter().map(|c| c.open).max().unwrap_or(0);
            let min = cs.iter().map(|c| c.open).min().unwrap_or(0);
            prop_assert!(max - min <= 1);
        }
    }
}
