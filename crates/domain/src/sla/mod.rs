//! Service-level agreements for the inbox: how soon a message must be answered, counted in a
//! team's business hours or around the clock, and where a conversation stands against that.
//!
//! - [`hours`]: opening hours as people write them (ranges, days, weeks, holidays), parsed and
//!   normalised;
//! - [`calendar`]: a [`Schedule`] (business hours in an IANA zone with holidays, or around the
//!   clock) answers the four questions everything else asks — the deadline a business duration
//!   after an instant, the business time between two instants, whether an instant is open, and
//!   the next opening — correctly across clock changes;
//! - this module: [`SlaPolicy`] (first- and next-response targets, the warning before breach) and
//!   [`SlaState`] (ok / due soon / breached / met) of a target, from its deadlines and `now`.
//!
//! Pure: time is always a parameter. What a conversation's policy is (per workspace, team and
//! priority) and what happens on breach (escalation) are the store's and the jobs' business.

pub mod book;
pub mod calendar;
pub mod hours;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

pub use calendar::{BusinessCalendar, Schedule};
pub use hours::{DayHours, Holiday, TimeRange, WeeklyHours};

use crate::InvalidInput;

/// The default response target: "most consumers expect a response within 24 hours".
pub const DEFAULT_TARGET: TimeDelta = TimeDelta::hours(24);

/// Response targets and when to warn, counted on a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    /// From the first inbound message of a conversation to the first reply.
    pub first_response: TimeDelta,
    /// From a customer's message after a reply to the next reply.
    pub next_response: TimeDelta,
    /// Warn when this much (business) time is left before the deadline.
    pub warn_before: TimeDelta,
    pub schedule: Schedule,
}

impl SlaPolicy {
    /// Targets must be positive; the warning shorter than the shortest target.
    pub fn new(
        first_response: TimeDelta,
        next_response: TimeDelta,
        warn_before: TimeDelta,
        schedule: Schedule,
    ) -> Result<SlaPolicy, InvalidInput> {
        if first_response <= TimeDelta::zero() || next_response <= TimeDelta::zero() {
            return Err(InvalidInput::new(
                "target",
                "invalid_sla_target",
                "response targets must be longer than zero",
            ));
        }
        if warn_before < TimeDelta::zero() || warn_before >= first_response.min(next_response) {
            return Err(InvalidInput::new(
                "warn_before",
                "invalid_sla_warning",
                "the warning must come after the message arrives: shorter than the targets",
            ));
        }
        Ok(SlaPolicy {
            first_response,
            next_response,
            warn_before,
            schedule,
        })
    }

    /// 24 hours around the clock for both targets, warning 2 hours before.
    pub fn default_around_the_clock() -> SlaPolicy {
        SlaPolicy {
            first_response: DEFAULT_TARGET,
            next_response: DEFAULT_TARGET,
            warn_before: TimeDelta::hours(2),
            schedule: Schedule::AroundTheClock,
        }
    }

    /// The deadlines of a first response to a message received at `received_at`.
    pub fn first_response_due(&self, received_at: DateTime<Utc>) -> Deadlines {
        self.deadlines(received_at, self.first_response)
    }

    /// The deadlines of the next response to a message received at `received_at`.
    pub fn next_response_due(&self, received_at: DateTime<Utc>) -> Deadlines {
        self.deadlines(received_at, self.next_response)
    }

    fn deadlines(&self, from: DateTime<Utc>, target: TimeDelta) -> Deadlines {
        let due = self.schedule.deadline(from, target);
        let warn_from = self
            .schedule
            .deadline(from, (target - self.warn_before).max(TimeDelta::zero()));
        Deadlines { due, warn_from }
    }
}

/// When a response is due, and from when to warn that it soon will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub due: DateTime<Utc>,
    pub warn_from: DateTime<Utc>,
}

/// Where a response target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Answered in time.
    Met,
    /// Not answered, deadline not near.
    Ok,
    /// Not answered, within the warning before the deadline.
    DueSoon,
    /// Not answered in time (answered late, or not yet and past due).
    Breached,
}

impl SlaState {
    /// The state of one target: `answered_at` is the reply that met it, if any.
    pub fn of(
        deadlines: &Deadlines,
        answered_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> SlaState {
        match answered_at {
            Some(at) if at <= deadlines.due => SlaState::Met,
            Some(_) => SlaState::Breached,
            None if now >= deadlines.due => SlaState::Breached,
            None if now >= deadlines.warn_from => SlaState::DueSoon,
            None => SlaState::Ok,
        }
    }

    /// How much attention it needs: met < ok < due soon < breached.
    fn severity(self) -> u8 {
        match self {
            SlaState::Met => 0,
            SlaState::Ok => 1,
            SlaState::DueSoon => 2,
            SlaState::Breached => 3,
        }
    }

    /// The state of a conversation with several targets: the one needing most attention.
    pub fn worst(self, other: SlaState) -> SlaState {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Met => "met",
            SlaState::Ok => "ok",
            SlaState::DueSoon => "due_soon",
            SlaState::Breached => "breached",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Sofia;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn business_hours_policy() {
        let calendar = BusinessCalendar::new(
            Sofia,
            WeeklyHours::parse("mon-fri 09:00-17:00").unwrap(),
            [],
        )
        .unwrap();
        let policy = SlaPolicy::new(
            TimeDelta::hours(8),
            TimeDelta::hours(4),
            TimeDelta::hours(1),
            Schedule::Business(calendar),
        )
        .unwrap();
        // Friday 16:00 Sofia: 1h Friday, 7h Monday → Monday 16:00; warn from Monday 15:00.
        let received = utc("2026-11-27T14:00:00Z");
        let first = policy.first_response_due(received);
        assert_eq!(first.due, utc("2026-11-30T14:00:00Z"));
        assert_eq!(first.warn_from, utc("2026-11-30T13:00:00Z"));
        // Over the weekend it is still fine: the clock is stopped.
        assert_eq!(
            SlaState::of(&first, None, utc("2026-11-29T12:00:00Z")),
            SlaState::Ok
        );
        assert_eq!(
            SlaState::of(&first, None, utc("2026-11-30T13:30:00Z")),
            SlaState::DueSoon
        );
        assert_eq!(
            SlaState::of(&first, None, utc("2026-11-30T14:00:00Z")),
            SlaState::Breached
        );
        assert_eq!(
            SlaState::of(
                &first,
                Some(utc("2026-11-30T08:00:00Z")),
                utc("2026-12-10T00:00:00Z")
            ),
            SlaState::Met
        );
        assert_eq!(
            SlaState::of(
                &first,
                Some(utc("2026-11-30T15:00:00Z")),
                utc("2026-12-10T00:00:00Z")
            ),
            SlaState::Breached,
            "answered late stays breached"
        );
        let next = policy.next_response_due(utc("2026-11-30T08:00:00Z"));
        assert_eq!(next.due, utc("2026-11-30T12:00:00Z"));
    }

    #[test]
    fn around_the_clock_default_and_worst_state() {
        let policy = SlaPolicy::default_around_the_clock();
        let d = policy.first_response_due(utc("2026-11-27T14:00:00Z"));
        assert_eq!(d.due, utc("2026-11-28T14:00:00Z"));
        assert_eq!(d.warn_from, utc("2026-11-28T12:00:00Z"));
        assert_eq!(SlaState::Met.worst(SlaState::DueSoon), SlaState::DueSoon);
        assert_eq!(SlaState::Breached.worst(SlaState::Ok), SlaState::Breached);
    }

    #[test]
    fn policies_refuse_nonsense() {
        let h = TimeDelta::hours;
        assert!(SlaPolicy::new(h(0), h(4), h(1), Schedule::AroundTheClock).is_err());
        assert!(SlaPolicy::new(h(8), h(4), h(4), Schedule::AroundTheClock).is_err());
        assert!(SlaPolicy::new(h(8), h(4), h(-1), Schedule::AroundTheClock).is_err());
        assert!(SlaPolicy::new(h(8), h(4), h(0), Schedule::AroundTheClock).is_ok());
    }
}
