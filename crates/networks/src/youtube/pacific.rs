//! When YouTube's daily quota resets: midnight Pacific Time
//! (<https://developers.google.com/youtube/v3/determine_quota_cost>).
//!
//! The crate has `chrono` but not `chrono-tz`, so US Pacific time is computed by the US rule in
//! force since 2007 (Energy Policy Act of 2005): standard time UTC−8; daylight time UTC−7 from the
//! second Sunday of March, 02:00 local (10:00 UTC) to the first Sunday of November, 02:00 local
//! (09:00 UTC). A future change of that rule would need this module changed (or `chrono-tz`).

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc};

/// The `n`-th Sunday (1-based) of a month.
fn nth_sunday(year: i32, month: u32, n: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let to_sunday = (7 - first.weekday().num_days_from_sunday()) % 7;
    first.checked_add_days(chrono::Days::new(u64::from(to_sunday + 7 * (n - 1))))
}

/// Daylight time's start and end of `year`, as UTC times.
fn dst_bounds_utc(year: i32) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let start = nth_sunday(year, 3, 2)?.and_hms_opt(10, 0, 0)?;
    let end = nth_sunday(year, 11, 1)?.and_hms_opt(9, 0, 0)?;
    Some((start, end))
}

/// Hours Pacific time is behind UTC at `utc` (7 in daylight time, else 8).
pub fn offset_hours(utc: DateTime<Utc>) -> i64 {
    let at = utc.naive_utc();
    match dst_bounds_utc(at.year()) {
        Some((start, end)) if start <= at && at < end => 7,
        _ => 8,
    }
}

/// Whether local midnight starting `date` falls in daylight time (the switches happen at 02:00,
/// never at midnight): after the second Sunday of March, up to and including the first Sunday of
/// November.
fn dst_at_midnight(date: NaiveDate) -> bool {
    match (
        nth_sunday(date.year(), 3, 2),
        nth_sunday(date.year(), 11, 1),
    ) {
        (Some(start), Some(end)) => start < date && date <= end,
        _ => false,
    }
}

/// The next midnight Pacific Time after `now`.
pub fn next_midnight(now: SystemTime) -> SystemTime {
    let utc: DateTime<Utc> = now.into();
    let local = utc.naive_utc() - TimeDelta::hours(offset_hours(utc));
    let next = local
        .date()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0).map(|m| (d, m)));
    match next {
        Some((date, midnight)) => {
            let offset = if dst_at_midnight(date) { 7 } else { 8 };
            let at = (midnight + TimeDelta::hours(offset)).and_utc();
            at.into()
        }
        // Beyond chrono's calendar: a day is a safe answer.
        None => now + Duration::from_secs(24 * 3600),
    }
}

/// How long from `now` until the next midnight Pacific Time.
pub fn until_next_midnight(now: SystemTime) -> Duration {
    next_midnight(now)
        .duration_since(now)
        .unwrap_or(Duration::from_secs(24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&Utc)
            .into()
    }

    #[test]
    fn the_us_rule_sundays() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        let rule = |y| (nth_sunday(y, 3, 2), nth_sunday(y, 11, 1));
        assert_eq!(rule(2026), (d(2026, 3, 8), d(2026, 11, 1)));
        assert_eq!(rule(2025), (d(2025, 3, 9), d(2025, 11, 2)));
        assert_eq!(rule(2024), (d(2024, 3, 10), d(2024, 11, 3)));
        assert_eq!(rule(2027), (d(2027, 3, 14), d(2027, 11, 7)));
    }

    #[test]
    fn next_midnight_in_summer_and_winter() {
        // 2026-07-01 05:00 PDT → midnight of July 2 PDT = 07:00 UTC
        assert_eq!(
            next_midnight(at("2026-07-01T12:00:00Z")),
            at("2026-07-02T07:00:00Z")
        );
        // 2026-01-14 23:59 PST → midnight of January 15 PST = 08:00 UTC
        assert_eq!(
            next_midnight(at("2026-01-15T07:59:00Z")),
            at("2026-01-15T08:00:00Z")
        );
        // exactly midnight PST: the next one, a day later
        assert_eq!(
            next_midnight(at("2026-01-15T08:00:00Z")),
            at("2026-01-16T08:00:00Z")
        );
        assert_eq!(
            until_next_midnight(at("2026-01-15T07:00:00Z")),
            Duration::from_secs(3600)
        );
    }

    #[test]
    fn next_midnight_across_the_switches() {
        // 2026-03-07 23:30 PST → midnight of March 8 is still PST (the switch is at 02:00)
        assert_eq!(
            next_midnight(at("2026-03-08T07:30:00Z")),
            at("2026-03-08T08:00:00Z")
        );
        // 2026-03-08 05:00 PDT → midnight of March 9 PDT = 07:00 UTC (a 23-hour day)
        assert_eq!(
            next_midnight(at("2026-03-08T12:00:00Z")),
            at("2026-03-09T07:00:00Z")
        );
        // 2026-10-31 23:30 PDT → midnight of November 1 is still PDT
        assert_eq!(
            next_midnight(at("2026-11-01T06:30:00Z")),
            at("2026-11-01T07:00:00Z")
        );
        // 2026-11-01 01:30 PST (after the switch at 09:00 UTC) → midnight of November 2 PST
        assert_eq!(
            next_midnight(at("2026-11-01T09:30:00Z")),
            at("2026-11-02T08:00:00Z")
        );
        // 2026-11-01 01:30 PDT (before the switch) → also midnight of November 2 PST
        assert_eq!(
            next_midnight(at("2026-11-01T08:30:00Z")),
            at("2026-11-02T08:00:00Z")
        );
        // New Year's Eve, 20:00 PST → midnight of January 1
        assert_eq!(
            next_midnight(at("2027-01-01T04:00:00Z")),
            at("2027-01-01T08:00:00Z")
        );
    }

    #[test]
    fn offsets() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(offset_hours(utc("2026-03-08T09:59:59Z")), 8);
        assert_eq!(offset_hours(utc("2026-03-08T10:00:00Z")), 7);
        assert_eq!(offset_hours(utc("2026-11-01T08:59:59Z")), 7);
        assert_eq!(offset_hours(utc("2026-11-01T09:00:00Z")), 8);
    }
}
