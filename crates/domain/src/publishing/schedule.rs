//! Time zones and posting queues.
//!
//! People schedule in their own wall-clock time; we store UTC. Two days a year the wall clock
//! misbehaves: when clocks go forward an hour of local times does not exist (we refuse it and say
//! so, rather than silently moving a post), and when they go back an hour happens twice (we take the
//! first, so a post never goes out an hour later than the person could have meant).
//!
//! Queues are weekly wall-clock slots ("Mondays 09:30") in the queue's zone. A slot that falls in
//! a spring-forward gap is *moved*, not skipped: it happens at the same elapsed time as if the clocks
//! had not changed yet (02:30 on a day the clock jumps 02:00 → 03:00 becomes 03:30), as
//! `java.time` does. Skipping would silently lose a week's post in that slot.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::InvalidInput;

/// How far ahead a queue is searched for a free slot.
pub const QUEUE_SEARCH_DAYS: i64 = 366;
/// A queue with more slots than this is a mistake (that is a post every 20 minutes, all week).
pub const MAX_QUEUE_SLOTS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The local time falls in a spring-forward gap.
    #[error(
        "{} does not exist on {} in {time_zone}: clocks go forward",
        local.format("%H:%M"),
        local.format("%-d %B %Y")
    )]
    NonexistentLocalTime {
        local: NaiveDateTime,
        time_zone: String,
    },
}

impl ScheduleError {
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::NonexistentLocalTime { .. } => "nonexistent_local_time",
        }
    }
}

/// The instant a wall-clock time in `tz` stands for. In the autumn's repeated hour, the earlier
/// instant.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, ScheduleError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Ok(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
        LocalResult::None => Err(ScheduleError::NonexistentLocalTime {
            local,
            time_zone: tz.name().to_owned(),
        }),
    }
}

/// Like [`local_to_utc`], but a time in a gap is moved forward by the gap's length: it is read with
/// the UTC offset in force just before the gap.
fn local_to_utc_moving_gaps(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = local_to_utc(local, tz) {
        return Some(t);
    }
    // Find the offset before the gap: step back until the wall clock exists (gaps are an hour or
    // so; Samoa skipped a whole day in 2011, hence the two days).
    let mut probe = local;
    for _ in 0..(2 * 24 * 4) {
        probe -= Duration::minutes(15);
        if let LocalResult::Single(t) | LocalResult::Ambiguous(_, t) =
            tz.from_local_datetime(&probe)
        {
            let offset = t.offset().fix();
            let naive_utc = local - Duration::seconds(i64::from(offset.local_minus_utc()));
            return Some(naive_utc.and_utc());
        }
    }
    None
}

/// When a person means, from a form or a CSV cell: RFC 3339 with an offset
/// (`2026-03-29T14:30:00+03:00`), or a wall-clock time in `tz` as `2026-03-29 14:30` or
/// `2026-03-29T14:30` (seconds allowed).
pub fn parse_when(input: &str, tz: Tz) -> Result<DateTime<Utc>, InvalidInput> {
    let s = input.trim();
    if s.is_empty() {
        return Err(InvalidInput::new(
            "scheduled_at",
            "required",
            "Enter a date and time, like 2026-03-29 14:30.",
        ));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok());
    let Some(local) = local else {
        return Err(InvalidInput::new(
            "scheduled_at",
            "invalid_time",
            format!(
                "'{s}' is not a date and time; use 2026-03-29 14:30 (in {}) or RFC 3339 like 2026-03-29T14:30:00+03:00.",
                tz.name()
            ),
        ));
    };
    local_to_utc(local, tz).map_err(|e| {
        InvalidInput::new(
            "scheduled_at",
            e.code(),
            format!("{e}; choose another time."),
        )
    })
}

/// One weekly slot of a queue, in the queue's time zone. JSON: `{"weekday":"mon","time":"09:30"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QueueSlot {
    #[serde(with = "weekday_code")]
    pub weekday: Weekday,
    #[serde(with = "hh_mm")]
    pub time: NaiveTime,
}

/// A posting queue: weekly slots in one time zone. JSON: `{"time_zone":"Europe/Sofia","slots":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    #[serde(with = "tz_name")]
    pub time_zone: Tz,
    pub slots: Vec<QueueSlot>,
}

impl Queue {
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.slots.len() > MAX_QUEUE_SLOTS {
            return Err(InvalidInput::new(
                "slots",
                "too_many",
                format!(
                    "A queue has at most {MAX_QUEUE_SLOTS} weekly slots; this one has {}.",
                    self.slots.len()
                ),
            ));
        }
        Ok(())
    }
}

/// Whole minutes since the epoch: "taken" means "something is already scheduled in that minute".
fn minute(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

/// The queue's slot instants strictly after `after`, in order, for up to [`QUEUE_SEARCH_DAYS`].
fn slot_instants(queue: &Queue, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    let tz = queue.time_zone;
    // Start a day early: the local date of `after` may be behind in zones west of UTC.
    let first_day: NaiveDate = after.with_timezone(&tz).date_naive() - Duration::days(1);
    let mut times: Vec<QueueSlot> = queue.slots.clone();
    times.sort_by_key(|s| (s.weekday.num_days_from_monday(), s.time));
    times.dedup();
    (0..=QUEUE_SEARCH_DAYS + 1).flat_map(move |d| {
        let day = first_day + Duration::days(d);
        let mut instants: Vec<DateTime<Utc>> = times
            .iter()
            .filter(|s| s.weekday == day.weekday())
            .filter_map(|s| local_to_utc_moving_gaps(day.and_time(s.time), tz))
            .filter(|t| *t > after)
            .collect();
        instants.sort();
        instants.dedup_by_key(|t| minute(*t));
        instants
    })
}

/// The first slot after `after` whose minute is not taken, searching a year ahead. `None` when the
/// queue has no slots or every slot in that year is taken.
pub fn next_free_slot(
    queue: &Queue,
    after: DateTime<Utc>,
    taken: &[DateTime<Utc>],
) -> Option<DateTime<Utc>> {
    let taken: std::collections::HashSet<i64> = taken.iter().map(|t| minute(*t)).collect();
    slot_instants(queue, after).find(|t| !taken.contains(&minute(*t)))
}

/// The next `count` slots after `after` (fewer if the year ahead has fewer), for showing a queue.
pub fn upcoming_slots(queue: &Queue, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
    let mut out: Vec<DateTime<Utc>> = Vec::new();
    for t in slot_instants(queue, after) {
        if out.len() >= count {
            break;
        }
        // Two slots can land in the same minute when one is moved out of a gap.
        if out.last().is_some_and(|last| minute(*last) == minute(t)) {
            continue;
        }
        out.push(t);
    }
    out
}

/// Weekdays as three lower-case letters: "mon" … "sun". Reading also accepts full names and any case.
mod weekday_code {
    use super::*;

    pub fn code(w: Weekday) -> &'static str {
        match w {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    pub fn serialize<S: Serializer>(w: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(code(*w))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let raw = String::deserialize(d)?;
        raw.trim().parse::<Weekday>().map_err(|_| {
            serde::de::Error::custom(format!("'{raw}' is not a weekday; use mon, tue … sun"))
        })
    }
}

/// Times of day as "HH:MM"; reading also accepts "HH:MM:SS" and drops the seconds (slots are
/// whole minutes, like "taken").
mod hh_mm {
    use super::*;

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let raw = String::deserialize(d)?;
        NaiveTime::parse_from_str(raw.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(raw.trim(), "%H:%M:%S"))
            .map(|t| t.with_second(0).unwrap_or(t))
            .map_err(|_| {
                serde::de::Error::custom(format!("'{raw}' is not a time of day; use HH:MM"))
            })
    }
}

/// Time zones by IANA name.
pub mod tz_name {
    use super::*;

    pub fn serialize<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let raw = String::deserialize(d)?;
        raw.trim()
            .parse::<Tz>()
            .map_err(|_| serde::de::Error::custom(format!("'{raw}' is not an IANA time zone")))
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Sofia;

    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn gaps_are_refused_with_words() {
        let err = local_to_utc(local("2026-03-29 03:30"), Sofia).unwrap_err();
        assert_eq!(
            err.to_string(),
            "03:30 does not exist on 29 March 2026 in Europe/Sofia: clocks go forward"
        );
        // Sofia jumps 03:00 → 04:00; 02:30 exists.
        assert_eq!(
            local_to_utc(local("2026-03-29 02:30"), Sofia).unwrap(),
            utc("2026-03-29T00:30:00Z")
        );
        let berlin = chrono_tz::Europe::Berlin;
        let err = local_to_utc(local("2026-03-29 02:30"), berlin).unwrap_err();
        assert_eq!(
            err.to_string(),
            "02:30 does not exist on 29 March 2026 in Europe/Berlin: clocks go forward"
        );
        assert_eq!(err.code(), "nonexistent_local_time");
    }

    #[test]
    fn the_repeated_hour_takes_the_earlier_instant() {
        // Sofia: 25 October 2026, 04:00 EEST → 03:00 EET, so 03:30 happens twice.
        assert_eq!(
            local_to_utc(local("2026-10-25 03:30"), Sofia).unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn parse_when_accepts_the_documented_forms() {
        let want = utc("2026-06-01T11:30:00Z");
        for s in [
            "2026-06-01 14:30",
            "2026-06-01T14:30",
            " 2026-06-01T14:30:00 ",
            "2026-06-01T14:30:00+03:00",
            "2026-06-01T11:30:00Z",
        ] {
            assert_eq!(parse_when(s, Sofia).unwrap(), want, "{s}");
        }
        let err = parse_when("tomorrow", Sofia).unwrap_err();
        assert_eq!(err.code, "invalid_time");
        assert!(err.message.contains("'tomorrow'"));
        let err = parse_when("2026-03-29 03:15", Sofia).unwrap_err();
        assert_eq!(err.code, "nonexistent_local_time");
        assert!(
            err.message
                .starts_with("03:15 does not exist on 29 March 2026")
        );
        assert_eq!(parse_when("", Sofia).unwrap_err().code, "required");
    }

    fn queue(slots: &[(Weekday, &str)]) -> Queue {
        Queue {
            time_zone: Sofia,
            slots: slots
                .iter()
                .map(|(w, t)| QueueSlot {
                    weekday: *w,
                    time: NaiveTime::parse_from_str(t, "%H:%M").unwrap(),
                })
                .collect(),
        }
    }

    #[test]
    fn queue_serde_shape() {
        let q = queue(&[(Weekday::Mon, "09:30")]);
        let json = serde_json::to_value(&q).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"time_zone": "Europe/Sofia", "slots": [{"weekday": "mon", "time": "09:30"}]})
        );
        assert_eq!(serde_json::from_value::<Queue>(json).unwrap(), q);
        assert!(
            serde_json::from_str::<QueueSlot>(r#"{"weekday":"Funday","time":"09:30"}"#).is_err()
        );
        assert!(serde_json::from_str::<QueueSlot>(r#"{"weekday":"Tue","time":"25:00"}"#).is_err());
        let slot: QueueSlot =
            serde_json::from_str(r#"{"weekday":"Tuesday","time":"07:05:59"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&slot).unwrap(),
            r#"{"weekday":"tue","time":"07:05"}"#
        );
    }

    #[test]
    fn next_free_slot_skips_taken_minutes() {
        // Monday 2026-06-01.
        let q = queue(&[(Weekday::Mon, "09:30"), (Weekday::Wed, "18:00")]);
        let after = utc("2026-06-01T05:00:00Z"); // 08:00 in Sofia
        assert_eq!(
            next_free_slot(&q, after, &[]),
            Some(utc("2026-06-01T06:30:00Z"))
        );
        // Taken compares to the minute: a post at 09:30:40 takes the 09:30 slot.
        let taken = [utc("2026-06-01T06:30:40Z")];
        assert_eq!(
            next_free_slot(&q, after, &taken),
            Some(utc("2026-06-03T15:00:00Z"))
        );
        // Strictly after.
        assert_eq!(
            next_free_slot(&q, utc("2026-06-01T06:30:00Z"), &[]),
            Some(utc("2026-06-03T15:00:00Z"))
        );
        assert_eq!(next_free_slot(&queue(&[]), after, &[]), None);
        assert_eq!(
            upcoming_slots(&q, after, 3),
            vec![
                utc("2026-06-01T06:30:00Z"),
                utc("2026-06-03T15:00:00Z"),
                utc("2026-06-08T06:30:00Z"),
            ]
        );
    }

    #[test]
    fn every_slot_taken_for_a_year_means_none() {
        let q = queue(&[(Weekday::Fri, "12:00")]);
        let after = utc("2026-01-01T00:00:00Z");
        let taken = upcoming_slots(&q, after, 100);
        assert!(taken.len() >= 52);
        assert_eq!(next_free_slot(&q, after, &taken), None);
    }

    #[test]
    fn slots_follow_daylight_saving() {
        let q = queue(&[(Weekday::Sun, "09:00")]);
        let slots = upcoming_slots(&q, utc("2026-03-21T00:00:00Z"), 2);
        // 22 March: EET (+2); 29 March: EEST (+3).
        assert_eq!(
            slots,
            vec![utc("2026-03-22T07:00:00Z"), utc("2026-03-29T06:00:00Z")]
        );
    }

    #[test]
    fn a_slot_in_the_gap_is_moved_by_the_gap() {
        // Sunday 29 March 2026, Sofia: 03:00 → 04:00. A 03:30 slot happens at 04:30 EEST (01:30Z),
        // the same elapsed time as 03:30 EET.
        let q = queue(&[(Weekday::Sun, "03:30"), (Weekday::Sun, "04:30")]);
        let after = utc("2026-03-28T00:00:00Z");
        assert_eq!(
            next_free_slot(&q, after, &[]),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        // 04:30 EEST is that same minute, so the two collapse into one slot that day.
        assert_eq!(
            upcoming_slots(&q, after, 2),
            vec![utc("2026-03-29T01:30:00Z"), utc("2026-04-05T00:30:00Z")]
        );
        let taken = [utc("2026-03-29T01:30:00Z")];
        assert_eq!(
            next_free_slot(&q, after, &taken),
            Some(utc("2026-04-05T00:30:00Z"))
        );
    }

    #[test]
    fn zones_west_of_utc() {
        let q = Queue {
            time_zone: chrono_tz::America::Los_Angeles,
            slots: vec![QueueSlot {
                weekday: Weekday::Mon,
                time: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            }],
        };
        // Tuesday 02:00Z is still Monday 19:00 in Los Angeles.
        assert_eq!(
            next_free_slot(&q, utc("2026-06-02T02:00:00Z"), &[]),
            Some(utc("2026-06-02T03:00:00Z"))
        );
    }
}
