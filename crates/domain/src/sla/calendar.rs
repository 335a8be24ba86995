//! Business time: which instants a team is open, and time counted only while it is.
//!
//! A [`BusinessCalendar`] is weekly wall-clock hours in an IANA zone plus dated exceptions. Each
//! local date becomes half-open UTC intervals `[open, close)`:
//! - a range's edges are read in the zone on that date; on the autumn day an hour repeats, a
//!   range covers every instant whose wall clock falls in it (start at the earlier reading, end
//!   at the later: 00:00–24:00 is 25 hours that day), and on the spring day a wall-clock time that
//!   does not exist is read as the moment the clocks jump (00:00–24:00 is 23 hours);
//! - intervals never overlap (a start is never before the previous end), so nothing is counted
//!   twice.
//!
//! On the other 363 days no edge needs the zone database: a date's midnight is converted once and
//! the ranges are minutes after it. [`Schedule::AroundTheClock`] is plain time.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

use super::hours::{DAY_MINUTES, DayHours, Holiday, WeeklyHours};
use crate::InvalidInput;

/// How far a search walks before giving up (a calendar open once in 20 years is a mistake; an
/// open one always answers long before).
const MAX_DAYS: u32 = 20 * 366;

/// When time counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Every instant: business time is plain time.
    AroundTheClock,
    /// Only a team's business hours.
    Business(BusinessCalendar),
}

/// Weekly hours in a time zone, with holidays. Build with [`BusinessCalendar::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    tz: Tz,
    week: WeeklyHours,
    /// Sorted by date, one per date.
    holidays: Vec<Holiday>,
}

/// An instant as nanoseconds since the Unix epoch: the walk below is integer arithmetic (chrono's
/// checked date arithmetic was most of a deadline's cost). `i128` holds every `DateTime<Utc>`.
type Nanos = i128;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_MINUTE: i128 = 60 * NANOS_PER_SECOND;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND;

fn nanos(t: DateTime<Utc>) -> Nanos {
    i128::from(t.timestamp()) * NANOS_PER_SECOND + i128::from(t.timestamp_subsec_nanos())
}

/// Back to an instant (saturating at chrono's range, which the walk never leaves).
fn instant_of(n: Nanos) -> DateTime<Utc> {
    let secs = n.div_euclid(NANOS_PER_SECOND);
    let sub = n.rem_euclid(NANOS_PER_SECOND);
    i64::try_from(secs)
        .ok()
        .zip(u32::try_from(sub).ok())
        .and_then(|(s, n)| DateTime::from_timestamp(s, n))
        .unwrap_or(if n < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

fn delta_nanos(d: TimeDelta) -> Nanos {
    i128::from(d.num_seconds()) * NANOS_PER_SECOND + i128::from(d.subsec_nanos())
}

fn delta_of(n: Nanos) -> TimeDelta {
    let secs = n.div_euclid(NANOS_PER_SECOND);
    let sub = n.rem_euclid(NANOS_PER_SECOND);
    i64::try_from(secs)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .map(|d| d + TimeDelta::nanoseconds(sub as i64))
        .unwrap_or(TimeDelta::MAX)
}

/// A local date's 00:00 as nanoseconds of wall-clock time since the epoch.
fn local_midnight(date: NaiveDate) -> Nanos {
    // 719_163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    i128::from(date.num_days_from_ce() - 719_163) * NANOS_PER_DAY
}

/// Which edge of a range a wall-clock time is (decides the repeated and the missing hour).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Edge {
    Start,
    End,
}

impl BusinessCalendar {
    /// Refuses a week with no open hours at all (nothing would ever be due).
    pub fn new(
        tz: Tz,
        week: WeeklyHours,
        holidays: impl IntoIterator<Item = Holiday>,
    ) -> Result<BusinessCalendar, InvalidInput> {
        if week.minutes() == 0 {
            return Err(InvalidInput::new(
                "hours",
                "no_business_hours",
                "business hours need at least one open range in the week",
            ));
        }
        let mut holidays: Vec<Holiday> = holidays.into_iter().collect();
        holidays.sort_by_key(|h| h.date);
        // One entry per date: a later one for the same date wins.
        let mut unique: Vec<Holiday> = Vec::with_capacity(holidays.len());
        for h in holidays {
            match unique.last_mut() {
                Some(last) if last.date == h.date => *last = h,
                _ => unique.push(h),
            }
        }
        Ok(BusinessCalendar {
            tz,
            week,
            holidays: unique,
        })
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    pub fn week(&self) -> &WeeklyHours {
        &self.week
    }

    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The hours that apply on a local date.
    fn hours_on(&self, date: NaiveDate) -> &DayHours {
        let in_range = self
            .holidays
            .first()
            .zip(self.holidays.last())
            .is_some_and(|(first, last)| first.date <= date && date <= last.date);
        if in_range
            && let Ok(i) = self.holidays.binary_search_by_key(&date, |h| h.date)
            && let Some(h) = self.holidays.get(i)
        {
            return &h.hours;
        }
        self.week.day(date.weekday())
    }

    /// The instant of a wall-clock time on a date (see the module comment for the two odd days).
    fn instant(&self, date: NaiveDate, minute: u16, edge: Edge) -> DateTime<Utc> {
        // "Until 24:00" ends at the next date's midnight, read as that date's start reads it,
        // so a date's intervals never reach into the next date's.
        let edge = if minute >= DAY_MINUTES {
            Edge::Start
        } else {
            edge
        };
        let local = local_time(date, minute);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                match edge {
                    Edge::Start => a.min(b),
                    Edge::End => a.max(b),
                }
            }
            LocalResult::None => {
                // In the gap: the first wall-clock minute after it is when the clocks jumped.
                let mut probe = local;
                for _ in 0..2 * 24 * 60 {
                    probe += TimeDelta::minutes(1);
                    if let LocalResult::Single(t) | LocalResult::Ambiguous(t, _) =
                        self.tz.from_local_datetime(&probe)
                    {
                        return t.with_timezone(&Utc);
                    }
                }
                // No zone has a gap of two days; read it as UTC rather than fail.
                local.and_utc()
            }
        }
    }

    /// Visits the open intervals of a local date with these hours, given the instants of its
    /// midnight and the next date's; `floor` is the end of the previous interval (and becomes
    /// this date's last). Returns `false` when the visitor is done.
    fn visit_day(
        &self,
        date: NaiveDate,
        hours: &DayHours,
        midnight: Nanos,
        next_midnight: Nanos,
        floor: &mut Option<Nanos>,
        visit: &mut impl FnMut(Nanos, Nanos) -> bool,
    ) -> bool {
        let plain = next_midnight - midnight == NANOS_PER_DAY;
        for range in hours.ranges() {
            let (start, end) = if plain {
                // No clock change that day: minutes after midnight.
                (
                    midnight + i128::from(range.start_minute()) * NANOS_PER_MINUTE,
                    midnight + i128::from(range.end_minute()) * NANOS_PER_MINUTE,
                )
            } else {
                (
                    nanos(self.instant(date, range.start_minute(), Edge::Start)),
                    nanos(self.instant(date, range.end_minute(), Edge::End)),
                )
            };
            let start = floor.map_or(start, |f| start.max(f));
            if end <= start {
                continue;
            }
            *floor = Some(end);
            if !visit(start, end) {
                return false;
            }
        }
        true
    }

    /// A date's midnight, through `cache` when it can vouch for the offset.
    fn midnight(&self, date: NaiveDate, cache: &mut OffsetCache) -> Nanos {
        let local = local_midnight(date);
        if let Some((offset, from, until)) = cache.0 {
            let guess = local - offset;
            if from <= guess && guess <= until {
                return guess;
            }
        }
        let at = self.instant(date, 0, Edge::Start);
        cache.refresh(self.tz, at);
        nanos(at)
    }

    /// Walks the open intervals (as nanoseconds) from the local date of `from` on, calling
    /// `visit` with each until it returns `false` (or [`MAX_DAYS`] have passed).
    fn walk(&self, from: DateTime<Utc>, mut visit: impl FnMut(Nanos, Nanos) -> bool) {
        let mut cache = OffsetCache(None);
        cache.refresh(self.tz, from);
        let mut date = from.with_timezone(&self.tz).date_naive();
        // The instant of `date`'s midnight, when the previous date computed it.
        let mut midnight: Option<Nanos> = None;
        let mut floor: Option<Nanos> = None;
        for _ in 0..MAX_DAYS {
            let Some(next) = date.succ_opt() else { return };
            let hours = self.hours_on(date);
            if hours.is_closed() {
                date = next;
                midnight = None;
                continue;
            }
            let this_midnight = midnight.unwrap_or_else(|| self.midnight(date, &mut cache));
            let next_midnight = self.midnight(next, &mut cache);
            if !self.visit_day(
                date,
                hours,
                this_midnight,
                next_midnight,
                &mut floor,
                &mut visit,
            ) {
                return;
            }
            date = next;
            midnight = Some(next_midnight);
        }
    }
}

/// How far apart two readings of a zone's offset may be to vouch for the time between them.
const OFFSET_SPAN: TimeDelta = TimeDelta::days(7);

/// A UTC offset known to hold from one instant to another: when a zone has the same offset at
/// both ends of a week it has no clock change within it (no zone changes its clocks twice in a
/// week), so midnights in between are plain arithmetic instead of zone-database lookups.
struct OffsetCache(Option<(Nanos, Nanos, Nanos)>);

impl OffsetCache {
    /// Reads the offset at `at` and a week later; vouches for the week when they agree.
    fn refresh(&mut self, tz: Tz, at: DateTime<Utc>) {
        let offset_at = |t: DateTime<Utc>| {
            i128::from(
                tz.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ) * NANOS_PER_SECOND
        };
        let offset = offset_at(at);
        self.0 = at
            .checked_add_signed(OFFSET_SPAN)
            .filter(|later| offset_at(*later) == offset)
            .map(|later| (offset, nanos(at), nanos(later)));
    }
}

/// `date` at `minute` after midnight (24:00 is the next date's 00:00).
fn local_time(date: NaiveDate, minute: u16) -> NaiveDateTime {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    if minute >= DAY_MINUTES {
        midnight + TimeDelta::days(1)
    } else {
        midnight + TimeDelta::minutes(i64::from(minute))
    }
}

impl Schedule {
    /// The instant `duration` of business time after `start` (`start` itself for zero or less).
    /// With business hours the deadline is never in closed hours: it is at most an interval's
    /// closing instant.
    pub fn deadline(&self, start: DateTime<Utc>, duration: TimeDelta) -> DateTime<Utc> {
        if duration <= TimeDelta::zero() {
            return start;
        }
        let calendar = match self {
            Schedule::AroundTheClock => return start + duration,
            Schedule::Business(c) => c,
        };
        let start_n = nanos(start);
        let mut left = delta_nanos(duration);
        let mut due = DateTime::<Utc>::MAX_UTC;
        calendar.walk(start, |open, close| {
            if close <= start_n {
                return true;
            }
            let from = open.max(start_n);
            let available = close - from;
            if left <= available {
                due = instant_of(from + left);
                return false;
            }
            left -= available;
            true
        });
        due
    }

    /// Business time between two instants (zero when `to` is not after `from`).
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        if to <= from {
            return TimeDelta::zero();
        }
        let calendar = match self {
            Schedule::AroundTheClock => return to - from,
            Schedule::Business(c) => c,
        };
        let (from_n, to_n) = (nanos(from), nanos(to));
        let mut total: Nanos = 0;
        calendar.walk(from, |open, close| {
            if open >= to_n {
                return false;
            }
            let (a, b) = (open.max(from_n), close.min(to_n));
            if b > a {
                total += b - a;
            }
            true
        });
        delta_of(total)
    }

    /// Whether `at` is within business hours.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let calendar = match self {
            Schedule::AroundTheClock => return true,
            Schedule::Business(c) => c,
        };
        let at_n = nanos(at);
        let mut open = false;
        calendar.walk(at, |start, end| {
            if start > at_n {
                return false;
            }
            if at_n < end {
                open = true;
                return false;
            }
            true
        });
        open
    }

    /// The first instant at or after `at` that is within business hours (`at` itself when
    /// open now; `None` only for a calendar that never opens again within 20 years).
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let calendar = match self {
            Schedule::AroundTheClock => return Some(at),
            Schedule::Business(c) => c,
        };
        let at_n = nanos(at);
        let mut found = None;
        calendar.walk(at, |start, end| {
            if end <= at_n {
                return true;
            }
            found = Some(instant_of(start.max(at_n)));
            false
        });
        found
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::Sofia;
    use proptest::prelude::*;

    use super::*;
    use crate::sla::hours::TimeRange;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn hours(h: i64) -> TimeDelta {
        TimeDelta::hours(h)
    }

    /// Mon–Fri 09:00–12:30 and 13:30–18:00 (8 hours a day) in Sofia.
    fn office(holidays: Vec<Holiday>) -> Schedule {
        Schedule::Business(
            BusinessCalendar::new(
                Sofia,
                WeeklyHours::parse("mon-fri 09:00-12:30, 13:30-18:00").unwrap(),
                holidays,
            )
            .unwrap(),
        )
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_day_with_a_lunch_break() {
        let s = office(vec![]);
        // Wed 2026-11-25 10:00 Sofia (EET, UTC+2) = 08:00 UTC. 8 business hours: 2h30 until
        // 12:30, 4h30 until 18:00, 1h on Thursday from 09:00 → Thu 10:00 Sofia = 08:00 UTC.
        let start = utc("2026-11-25T08:00:00Z");
        assert_eq!(s.deadline(start, hours(8)), utc("2026-11-26T08:00:00Z"));
        // Exactly the rest of the morning: due at 12:30, closing time, not after lunch.
        assert_eq!(
            s.deadline(start, TimeDelta::minutes(150)),
            utc("2026-11-25T10:30:00Z")
        );
        assert_eq!(
            s.elapsed(start, utc("2026-11-26T08:00:00Z")),
            hours(8),
            "lunch and the night do not count"
        );
        assert!(!s.is_open(utc("2026-11-25T11:00:00Z")), "13:00, lunch");
        assert_eq!(
            s.next_opening(utc("2026-11-25T11:00:00Z")),
            Some(utc("2026-11-25T11:30:00Z"))
        );
        assert!(s.is_open(utc("2026-11-25T11:30:00Z")), "13:30 opens");
        assert!(!s.is_open(utc("2026-11-25T16:00:00Z")), "18:00 closes");
    }

    #[test]
    fn first_response_in_24_business_hours_over_a_weekend() {
        let s = office(vec![]);
        // Friday 2026-11-27 17:00 Sofia: 1h Fri, 8h Mon, Tue, 7h Wed → Wed 17:00 Sofia.
        let received = utc("2026-11-27T15:00:00Z");
        assert_eq!(s.deadline(received, hours(24)), utc("2026-12-02T15:00:00Z"));
        // Received on Saturday: counting starts Monday 09:00 → Wed 18:00 Sofia.
        let saturday = utc("2026-11-28T10:00:00Z");
        assert_eq!(s.deadline(saturday, hours(24)), utc("2026-12-02T16:00:00Z"));
        assert_eq!(s.next_opening(saturday), Some(utc("2026-11-30T07:00:00Z")));
    }

    #[test]
    fn holidays_and_a_long_weekend() {
        // Christmas 2026 in Bulgaria: Thu 24 Dec until 12:00, Fri 25 closed (and the weekend).
        let s = office(vec![
            Holiday {
                date: date("2026-12-24"),
                hours: DayHours::parse("09:00-12:00").unwrap(),
            },
            Holiday::closed(date("2026-12-25")),
        ]);
        // Thu 24 Dec 10:00 Sofia: 2h that morning, then nothing until Mon 28 Dec 09:00;
        // 6 more hours there: 3h30 until 12:30, 2h30 from 13:30 → Mon 16:00 Sofia.
        let start = utc("2026-12-24T08:00:00Z");
        assert_eq!(s.deadline(start, hours(8)), utc("2026-12-28T14:00:00Z"));
        assert_eq!(s.elapsed(start, utc("2026-12-28T14:00:00Z")), hours(8));
        assert!(!s.is_open(utc("2026-12-25T10:00:00Z")));
        assert!(
            !s.is_open(utc("2026-12-24T10:30:00Z")),
            "12:30 on Christmas Eve"
        );
    }

    #[test]
    fn spring_forward_in_sofia() {
        // Sunday 2026-03-29 clocks jump 03:00 → 04:00. A team open around the clock on Sundays
        // gets a 23-hour Sunday.
        let week = WeeklyHours::parse("sun 00:00-24:00").unwrap();
        let s = Schedule::Business(BusinessCalendar::new(Sofia, week, []).unwrap());
        let sat_midnight = utc("2026-03-28T22:00:00Z"); // Sun 00:00 EET
        let mon_midnight = utc("2026-03-29T21:00:00Z"); // Mon 00:00 EEST
        assert_eq!(s.elapsed(sat_midnight, mon_midnight), hours(23));
        assert_eq!(s.deadline(sat_midnight, hours(23)), mon_midnight);
        // A range starting inside the gap opens when the clocks jump (04:00 EEST = 01:00 UTC).
        let week = WeeklyHours::parse("sun 03:30-05:00").unwrap();
        let s = Schedule::Business(BusinessCalendar::new(Sofia, week, []).unwrap());
        assert_eq!(
            s.next_opening(sat_midnight),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        assert_eq!(
            s.elapsed(sat_midnight, mon_midnight),
            hours(1),
            "04:00–05:00 only"
        );
    }

    #[test]
    fn fall_back_in_sofia_and_new_york() {
        // Sunday 2026-10-25 in Sofia: 04:00 EEST → 03:00 EET, the hour 03:00–04:00 twice.
        let week = WeeklyHours::parse("sun 00:00-24:00").unwrap();
        let s = Schedule::Business(BusinessCalendar::new(Sofia, week.clone(), []).unwrap());
        let sun = utc("2026-10-24T21:00:00Z"); // Sun 00:00 EEST
        let mon = utc("2026-10-25T22:00:00Z"); // Mon 00:00 EET
        assert_eq!(s.elapsed(sun, mon), hours(25));
        // 03:00–04:00 covers both readings of the hour: two hours.
        let s = Schedule::Business(
            BusinessCalendar::new(Sofia, WeeklyHours::parse("sun 03:00-04:00").unwrap(), [])
                .unwrap(),
        );
        assert_eq!(s.elapsed(sun, mon), hours(2));
        // New York, Sunday 2026-11-01 02:00 EDT → 01:00 EST; weekday hours are untouched:
        // Fri 30 Oct 17:00 EDT + 2h = Mon 2 Nov 10:00 EST (15:00 UTC).
        let ny = Schedule::Business(
            BusinessCalendar::new(
                New_York,
                WeeklyHours::parse("mon-fri 09:00-18:00").unwrap(),
                [],
            )
            .unwrap(),
        );
        assert_eq!(
            ny.deadline(utc("2026-10-30T21:00:00Z"), hours(2)),
            utc("2026-11-02T15:00:00Z")
        );
        // And spring: Fri 6 Mar 2026 17:00 EST + 2h = Mon 9 Mar 10:00 EDT (14:00 UTC).
        assert_eq!(
            ny.deadline(utc("2026-03-06T22:00:00Z"), hours(2)),
            utc("2026-03-09T14:00:00Z")
        );
    }

    #[test]
    fn ranges_that_touch_across_midnight_count_once() {
        // Open 18:00–24:00 Monday and 00:00–02:00 Tuesday: one stretch of 8 hours.
        let week = WeeklyHours::parse("mon 18:00-24:00; tue 00:00-02:00").unwrap();
        let s = Schedule::Business(BusinessCalendar::new(Sofia, week, []).unwrap());
        let mon_18 = utc("2026-11-30T16:00:00Z");
        assert_eq!(s.deadline(mon_18, hours(8)), utc("2026-12-01T00:00:00Z"));
        assert!(s.is_open(utc("2026-11-30T22:00:00Z")), "Tue 00:00 local");
    }

    #[test]
    fn around_the_clock_is_plain_time() {
        let s = Schedule::AroundTheClock;
        let t = utc("2026-11-27T10:00:00Z");
        assert_eq!(s.deadline(t, hours(24)), t + hours(24));
        assert_eq!(s.elapsed(t, t + hours(5)), hours(5));
        assert!(s.is_open(t));
        assert_eq!(s.next_opening(t), Some(t));
    }

    #[test]
    fn a_week_without_hours_is_refused() {
        assert!(BusinessCalendar::new(Sofia, WeeklyHours::default(), []).is_err());
        // Empty ranges are no hours either.
        let empty =
            WeeklyHours::weekdays(DayHours::new([TimeRange::new(600, 600).unwrap()]).unwrap());
        assert!(BusinessCalendar::new(Sofia, empty, []).is_err());
    }

    /// Not a test: how long a deadline takes (the inbox import computes one per message).
    /// `cargo test --release -p owlery-domain sla::calendar::tests::speed -- --ignored --nocapture`
    #[test]
    #[ignore = "a timing, run by hand in release"]
    #[expect(clippy::disallowed_methods, reason = "timing the calendar, not a rule")]
    fn speed() {
        let plain = office(vec![]);
        let holidays = office(
            (0..40)
                .map(|i| Holiday::closed(date("2026-01-01") + TimeDelta::days(i * 17)))
                .collect(),
        );
        let starts: Vec<DateTime<Utc>> = (0..100_000i64)
            .map(|i| utc("2026-01-01T00:00:00Z") + TimeDelta::seconds(i * 6_007 % 31_536_000))
            .collect();
        for (name, s, target) in [
            ("24 business hours", &plain, hours(24)),
            ("24 business hours, 40 holidays", &holidays, hours(24)),
            ("4 business hours", &plain, hours(4)),
            (
                "24 hours around the clock",
                &Schedule::AroundTheClock,
                hours(24),
            ),
        ] {
            let t = std::time::Instant::now();
            for start in &starts {
                std::hint::black_box(s.deadline(*start, target));
            }
            let ns = t.elapsed().as_nanos() as f64 / starts.len() as f64;
            println!("deadline, {name}: {ns:.0} ns");
        }
    }

    fn zone() -> impl Strategy<Value = Tz> {
        prop_oneof![
            Just(Sofia),
            Just(New_York),
            Just(chrono_tz::Australia::Lord_Howe),
            Just(chrono_tz::UTC)
        ]
    }

    fn day_hours() -> impl Strategy<Value = DayHours> {
        // Ranges on a 30-minute grid, including empty and touching ones.
        prop::collection::vec((0u16..=48, 0u16..=48), 0..4).prop_map(|pairs| {
            DayHours::new(pairs.into_iter().map(|(a, b)| {
                let (a, b) = (a.min(b) * 30, a.max(b) * 30);
                TimeRange::new(a, b).unwrap()
            }))
            .unwrap()
        })
    }

    fn schedule() -> impl Strategy<Value = Schedule> {
        (
            zone(),
            prop::array::uniform7(day_hours()),
            prop::collection::vec((0i64..800, day_hours()), 0..6),
        )
            .prop_filter_map("a week with hours", |(tz, days, holidays)| {
                let base = date("2026-01-01");
                let holidays = holidays.into_iter().map(|(d, hours)| Holiday {
                    date: base + TimeDelta::days(d),
                    hours,
                });
                BusinessCalendar::new(tz, WeeklyHours(days), holidays)
                    .ok()
                    .map(Schedule::Business)
            })
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2026–2027 (both DST changes of each zone), to the second.
        (0i64..2 * 365 * 86_400).prop_map(|s| utc("2026-01-01T00:00:00Z") + TimeDelta::seconds(s))
    }

    fn duration() -> impl Strategy<Value = TimeDelta> {
        (0i64..200 * 3600).prop_map(TimeDelta::seconds)
    }

    proptest! {
        #[test]
        fn deadline_then_elapsed_is_the_duration(s in schedule(), start in instant(), d in duration()) {
            let due = s.deadline(start, d);
            prop_assert_eq!(s.elapsed(start, due), d);
        }

        #[test]
        fn deadline_is_monotonic(s in schedule(), start in instant(), d in duration(),
                                 more in duration(), later in 0i64..7 * 86_400) {
            let due = s.deadline(start, d);
            prop_assert!(s.deadline(start, d + more) >= due);
            prop_assert!(s.deadline(start + TimeDelta::seconds(later), d) >= due);
        }

        #[test]
        fn deadline_is_never_in_closed_hours(s in schedule(), start in instant(), d in duration()) {
            let due = s.deadline(start, d);
            if d > TimeDelta::zero() {
                // Due at most at a closing instant: the moment just before is open.
                prop_assert!(s.is_open(due - TimeDelta::nanoseconds(1)));
            } else {
                prop_assert_eq!(due, start);
            }
        }

        #[test]
        fn next_opening_is_open_and_nothing_before_it_is(s in schedule(), at in instant()) {
            let next = s.next_opening(at).unwrap();
            prop_assert!(next >= at);
            prop_assert!(s.is_open(next));
            prop_assert_eq!(s.elapsed(at, next), TimeDelta::zero());
        }

        #[test]
        fn elapsed_adds_up(s in schedule(), a in instant(), ab in 0i64..30 * 86_400, bc in 0i64..30 * 86_400) {
            let b = a + TimeDelta::seconds(ab);
            let c = b + TimeDelta::seconds(bc);
            prop_assert_eq!(s.elapsed(a, c), s.elapsed(a, b) + s.elapsed(b, c));
            prop_assert!(s.elapsed(a, c) <= c - a);
        }

        #[test]
        fn around_the_clock_is_addition(start in instant(), d in duration()) {
            let s = Schedule::AroundTheClock;
            prop_assert_eq!(s.deadline(start, d), start + d);
            prop_assert_eq!(s.elapsed(start, start + d), d);
            // And a calendar open all week in UTC agrees.
            let all = Schedule::Business(BusinessCalendar::new(
                chrono_tz::UTC,
                WeeklyHours(std::array::from_fn(|_| DayHours::all_day())),
                [],
            ).unwrap());
            prop_assert_eq!(all.deadline(start, d), start + d);
        }
    }
}
