//! Automatic away: a person set *available* who has shown no signed-in activity for the
//! organisation's idle time becomes *away* by themselves, and their next activity makes them
//! available again — only when the away was automatic. A manual away or off shift is never
//! overridden, in either direction.
//!
//! Pure: the web layer observes activity (page requests, an open live inbox stream) and the store
//! writes it at most once a minute per person and node; the worker's sweep asks [`idle_change`]
//! and the activity path asks [`on_activity`]. Assignment ([`super::assignment`]) takes only
//! people who are available, so someone away automatically gets no new conversations.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::assignment::Presence;
use crate::InvalidInput;

/// The default idle time, in minutes.
pub const DEFAULT_IDLE_MINUTES: u32 = 15;
/// The shortest idle time accepted: activity is written at most once a minute and the sweep runs
/// every minute, so anything shorter would flap.
pub const MIN_IDLE_MINUTES: u32 = 5;
/// The longest idle time accepted (12 hours).
pub const MAX_IDLE_MINUTES: u32 = 720;

/// The organisation's setting: whether, and after how long, idle people go away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "minutes")]
pub enum AutoAway {
    Off,
    /// After this many minutes without activity ([`MIN_IDLE_MINUTES`]..=[`MAX_IDLE_MINUTES`]).
    After(u32),
}

impl Default for AutoAway {
    fn default() -> Self {
        AutoAway::After(DEFAULT_IDLE_MINUTES)
    }
}

impl AutoAway {
    /// From the stored number: 0 is off.
    pub fn from_minutes(minutes: u32) -> Result<AutoAway, InvalidInput> {
        if minutes == 0 {
            return Ok(AutoAway::Off);
        }
        if !(MIN_IDLE_MINUTES..=MAX_IDLE_MINUTES).contains(&minutes) {
            return Err(InvalidInput::new(
                "idle_minutes",
                "invalid_idle_minutes",
                format!(
                    "The idle time is {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} minutes (or off)."
                ),
            ));
        }
        Ok(AutoAway::After(minutes))
    }

    /// The stored number: 0 when off.
    pub fn minutes(self) -> u32 {
        match self {
            AutoAway::Off => 0,
            AutoAway::After(m) => m,
        }
    }

    /// How long without activity makes someone away; `None` when off.
    pub fn idle(self) -> Option<Duration> {
        match self {
            AutoAway::Off => None,
            AutoAway::After(m) => Some(Duration::minutes(i64::from(m))),
        }
    }
}

/// A person's presence as stored: the status, and whether an away was set automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Standing {
    pub status: Presence,
    /// Away because they were idle (not because they said so). Only ever true with `Away`.
    pub automatic: bool,
}

impl Standing {
    /// Set by the person themselves (never automatic).
    pub fn manual(status: Presence) -> Standing {
        Standing {
            status,
            automatic: false,
        }
    }

    /// Away because idle.
    pub fn auto_away() -> Standing {
        Standing {
            status: Presence::Away,
            automatic: true,
        }
    }

    /// Whether this is an automatic away.
    pub fn is_auto_away(self) -> bool {
        self.status == Presence::Away && self.automatic
    }
}

/// What automatic away changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Available → away (automatic).
    GoAway,
    /// Away (automatic) → available.
    ComeBack,
}

impl Change {
    /// What the person is after the change.
    pub fn after(self) -> Standing {
        match self {
            Change::GoAway => Standing::auto_away(),
            Change::ComeBack => Standing::manual(Presence::Available),
        }
    }

    /// The audit action.
    pub fn audit_action(self) -> &'static str {
        match self {
            Change::GoAway => "presence.auto_away",
            Change::ComeBack => "presence.auto_back",
        }
    }
}

/// The sweep's question: does this person go away now? Only someone available, only when the
/// setting is on, only once `last_active` is at least the idle time ago.
pub fn idle_change(
    standing: Standing,
    last_active: DateTime<Utc>,
    now: DateTime<Utc>,
    setting: AutoAway,
) -> Option<Change> {
    let idle = setting.idle()?;
    (standing.status == Presence::Available && now - last_active >= idle).then_some(Change::GoAway)
}

/// The last moment of activity that still counts as idle at `now`: the sweep selects people whose
/// last activity is at or before it (the same rule as [`idle_change`], for a query).
pub fn idle_cutoff(now: DateTime<Utc>, setting: AutoAway) -> Option<DateTime<Utc>> {
    setting.idle().map(|idle| now - idle)
}

/// The activity path's question: does this person come back now? Only from an automatic away —
/// whatever the setting is now (turning it off must not strand anyone away).
pub fn on_activity(standing: Standing) -> Option<Change> {
    standing.is_auto_away().then_some(Change::ComeBack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn the_setting_parses_with_bounds_and_off() {
        assert_eq!(AutoAway::default(), AutoAway::After(15));
        assert_eq!(AutoAway::from_minutes(0).unwrap(), AutoAway::Off);
        assert_eq!(AutoAway::from_minutes(5).unwrap(), AutoAway::After(5));
        assert_eq!(AutoAway::from_minutes(720).unwrap(), AutoAway::After(720));
        for bad in [1, 4, 721, u32::MAX] {
            let e = AutoAway::from_minutes(bad).unwrap_err();
            assert_eq!(e.code, "invalid_idle_minutes", "{bad}");
        }
        assert_eq!(AutoAway::Off.minutes(), 0);
        assert_eq!(AutoAway::Off.idle(), None);
        assert_eq!(AutoAway::After(15).idle(), Some(Duration::minutes(15)));
    }

    #[test]
    fn available_goes_away_once_idle_for_the_whole_time() {
        let available = Standing::manual(Presence::Available);
        let s = AutoAway::After(15);
        assert_eq!(idle_change(available, t(0), t(14), s), None);
        assert_eq!(idle_change(available, t(0), t(15), s), Some(Change::GoAway));
        assert_eq!(idle_change(available, t(0), t(90), s), Some(Change::GoAway));
        // Activity in the future of the sweep's clock (another node's clock) is not idle.
        assert_eq!(idle_change(available, t(30), t(20), s), None);
        assert_eq!(idle_cutoff(t(15), s), Some(t(0)));
        assert_eq!(Change::GoAway.after(), Standing::auto_away());
    }

    #[test]
    fn off_never_sends_anyone_away() {
        let available = Standing::manual(Presence::Available);
        assert_eq!(
            idle_change(available, t(0), t(100_000), AutoAway::Off),
            None
        );
        assert_eq!(idle_cutoff(t(0), AutoAway::Off), None);
    }

    #[test]
    fn manual_away_and_off_shift_are_never_overridden() {
        let s = AutoAway::After(5);
        for status in [Presence::Away, Presence::OffShift] {
            let manual = Standing::manual(status);
            // The sweep leaves them alone …
            assert_eq!(idle_change(manual, t(0), t(600), s), None, "{status:?}");
            // … and so does their activity.
            assert_eq!(on_activity(manual), None, "{status:?}");
        }
        // Already away automatically: the sweep has nothing more to do.
        assert_eq!(idle_change(Standing::auto_away(), t(0), t(600), s), None);
    }

    #[test]
    fn activity_brings_back_only_an_automatic_away() {
        assert_eq!(on_activity(Standing::auto_away()), Some(Change::ComeBack));
        assert_eq!(
            Change::ComeBack.after(),
            Standing::manual(Presence::Available)
        );
        assert_eq!(on_activity(Standing::manual(Presence::Available)), None);
        // A stray flag on a status other than away means nothing.
        let odd = Standing {
            status: Presence::OffShift,
            automatic: true,
        };
        assert!(!odd.is_auto_away());
        assert_eq!(on_activity(odd), None);
    }

    proptest::proptest! {
        /// Whatever the times and setting: only available people go away, only automatic aways
        /// come back, and going away then coming back ends available.
        #[test]
        fn the_rules_hold_for_any_times(
            status in proptest::sample::select(Presence::ALL.to_vec()),
            automatic in proptest::bool::ANY,
            last in -10_000i64..10_000,
            now in -10_000i64..10_000,
            minutes in 0u32..800,
        ) {
            let standing = Standing { status, automatic };
            let setting = AutoAway::from_minutes(minutes).unwrap_or_default();
            if let Some(c) = idle_change(standing, t(last), t(now), setting) {
                proptest::prop_assert_eq!(c, Change::GoAway);
                proptest::prop_assert_eq!(status, Presence::Available);
                proptest::prop_assert!(now - last >= i64::from(setting.minutes()));
                proptest::prop_assert_eq!(on_activity(c.after()), Some(Change::ComeBack));
                proptest::prop_assert_eq!(Change::ComeBack.after().status, Presence::Available);
            }
            if on_activity(standing).is_some() {
                proptest::prop_assert!(status == Presence::Away && automatic);
            }
        }
    }
}
