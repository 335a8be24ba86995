//! Opening hours as people write them: ranges of wall-clock time in a day ("09:00–12:30"),
//! a day's ranges, a week of days (Monday first), and dated exceptions (holidays, closed or with
//! their own hours). Parsed and normalised here; turned into instants by
//! [`super::calendar::BusinessCalendar`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::InvalidInput;

/// Minutes in a day: the end of a range that runs to midnight ("24:00").
pub const DAY_MINUTES: u16 = 24 * 60;

/// At most this many separate ranges in a day (after touching ones are joined).
pub const MAX_RANGES_PER_DAY: usize = 8;

/// A range of wall-clock time within one day, `[start, end)` in minutes after midnight;
/// `end` may be 24:00. Empty ranges (start = end) are allowed and mean nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    /// From minutes after midnight. A range past midnight ("22:00–06:00") is refused: write it
    /// as two days' ranges.
    pub fn new(start: u16, end: u16) -> Result<TimeRange, InvalidInput> {
        if end > DAY_MINUTES || start > end {
            return Err(InvalidInput::new(
                "hours",
                "invalid_time_range",
                format!(
                    "{}–{} is not a range within one day: it must start before it ends, by 24:00 \
                     at the latest (split hours past midnight across two days)",
                    clock(start),
                    clock(end)
                ),
            ));
        }
        Ok(TimeRange { start, end })
    }

    /// From `HH:MM-HH:MM` (an en dash also separates).
    pub fn parse(text: &str) -> Result<TimeRange, InvalidInput> {
        let text = text.trim();
        let (a, b) = text
            .split_once('-')
            .or_else(|| text.split_once('–'))
            .ok_or_else(|| {
                InvalidInput::new(
                    "hours",
                    "invalid_time_range",
                    format!("“{text}” is not a range like 09:00-17:30"),
                )
            })?;
        TimeRange::new(parse_clock(a)?, parse_clock(b)?)
    }

    pub fn start_minute(self) -> u16 {
        self.start
    }

    pub fn end_minute(self) -> u16 {
        self.end
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// `HH:MM` as minutes after midnight (24:00 allowed).
fn parse_clock(text: &str) -> Result<u16, InvalidInput> {
    let bad = || {
        InvalidInput::new(
            "hours",
            "invalid_time",
            format!("“{}” is not a time like 09:30", text.trim()),
        )
    };
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One day's opening hours: sorted, disjoint, non-touching, non-empty ranges (empty = closed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<TimeRange>", into = "Vec<TimeRange>")]
pub struct DayHours(Vec<TimeRange>);

impl DayHours {
    /// Closed all day.
    pub fn closed() -> DayHours {
        DayHours(Vec::new())
    }

    /// Open all day.
    pub fn all_day() -> DayHours {
        DayHours(vec![TimeRange {
            start: 0,
            end: DAY_MINUTES,
        }])
    }

    /// Normalises: empty ranges dropped, overlapping or touching ranges joined, sorted.
    pub fn new(ranges: impl IntoIterator<Item = TimeRange>) -> Result<DayHours, InvalidInput> {
        let mut ranges: Vec<TimeRange> = ranges.into_iter().filter(|r| !r.is_empty()).collect();
        ranges.sort_unstable();
        let mut joined: Vec<TimeRange> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match joined.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => joined.push(r),
            }
        }
        if joined.len() > MAX_RANGES_PER_DAY {
            return Err(InvalidInput::new(
                "hours",
                "too_many_ranges",
                format!("at most {MAX_RANGES_PER_DAY} separate ranges a day"),
            ));
        }
        Ok(DayHours(joined))
    }

    /// From `09:00-12:30, 13:30-18:00`; `closed` or nothing for a closed day.
    pub fn parse(text: &str) -> Result<DayHours, InvalidInput> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("closed") {
            return Ok(DayHours::closed());
        }
        DayHours::new(
            text.split(',')
                .map(TimeRange::parse)
                .collect::<Result<Vec<_>, _>>()?,
        )
    }

    pub fn ranges(&self) -> &[TimeRange] {
        &self.0
    }

    pub fn is_closed(&self) -> bool {
        self.0.is_empty()
    }

    /// Open minutes in the day (wall clock).
    pub fn minutes(&self) -> u32 {
        self.0.iter().map(|r| u32::from(r.end - r.start)).sum()
    }
}

impl TryFrom<Vec<TimeRange>> for DayHours {
    type Error = InvalidInput;
    fn try_from(ranges: Vec<TimeRange>) -> Result<Self, Self::Error> {
        DayHours::new(ranges)
    }
}

impl From<DayHours> for Vec<TimeRange> {
    fn from(d: DayHours) -> Self {
        d.0
    }
}

/// A week of opening hours, Monday first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeeklyHours(pub [DayHours; 7]);

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WeeklyHours {
    /// The same hours Monday to Friday, closed at the weekend.
    pub fn weekdays(hours: DayHours) -> WeeklyHours {
        let mut week: [DayHours; 7] = Default::default();
        for day in week.iter_mut().take(5) {
            *day = hours.clone();
        }
        WeeklyHours(week)
    }

    /// From lines or `;`-separated parts like `mon-fri 09:00-12:30, 13:30-18:00; sat 10:00-14:00`
    /// (days not named are closed; a later part for the same day replaces an earlier one).
    pub fn parse(text: &str) -> Result<WeeklyHours, InvalidInput> {
        let mut week: [DayHours; 7] = Default::default();
        for part in text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (days, hours) = part.split_once(char::is_whitespace).unwrap_or((part, ""));
            let hours = DayHours::parse(hours)?;
            let day = |name: &str| {
                DAY_NAMES
                    .iter()
                    .position(|d| name.trim().eq_ignore_ascii_case(d))
                    .ok_or_else(|| {
                        InvalidInput::new(
                            "hours",
                            "invalid_day",
                            format!("“{name}” is not a day (mon, tue, wed, thu, fri, sat, sun)"),
                        )
                    })
            };
            let (first, last) = match days.split_once('-') {
                Some((a, b)) => (day(a)?, day(b)?),
                None => (day(days)?, day(days)?),
            };
            if first > last {
                return Err(InvalidInput::new(
                    "hours",
                    "invalid_day",
                    format!("“{days}”: write day ranges Monday first (mon-fri)"),
                ));
            }
            for d in week.iter_mut().take(last + 1).skip(first) {
                *d = hours.clone();
            }
        }
        Ok(WeeklyHours(week))
    }

    /// Open minutes in a week (wall clock).
    pub fn minutes(&self) -> u32 {
        self.0.iter().map(DayHours::minutes).sum()
    }

    pub fn day(&self, weekday: chrono::Weekday) -> &DayHours {
        // `num_days_from_monday` is 0..=6.
        &self.0[weekday.num_days_from_monday() as usize]
    }
}

/// A dated exception to the weekly hours: a holiday (closed) or a day with its own hours
/// (Christmas Eve until 13:00).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    /// The hours that day; closed when empty.
    pub hours: DayHours,
}

impl Holiday {
    pub fn closed(date: NaiveDate) -> Holiday {
        Holiday {
            date,
            hours: DayHours::closed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_refuse_nonsense() {
        let r = TimeRange::parse("09:00-12:30").unwrap();
        assert_eq!((r.start_minute(), r.end_minute()), (540, 750));
        assert_eq!(TimeRange::parse("13:30–24:00").unwrap().end_minute(), 1440);
        assert!(TimeRange::parse("10:00-10:00").unwrap().is_empty());
        for bad in ["18:00-09:00", "9-17", "09:60-10:00", "24:01-24:30", "x"] {
            assert!(TimeRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_join_touching_and_drop_empty_ranges() {
        let d = DayHours::parse("13:00-18:00, 09:00-12:00, 12:00-13:00, 20:00-20:00").unwrap();
        assert_eq!(d.ranges(), &[TimeRange::new(540, 1080).unwrap()]);
        assert!(DayHours::parse("closed").unwrap().is_closed());
        assert_eq!(
            DayHours::parse("09:00-12:30,13:30-18:00")
                .unwrap()
                .minutes(),
            8 * 60
        );
    }

    #[test]
    fn weeks_parse() {
        let w = WeeklyHours::parse("mon-fri 09:00-12:30, 13:30-18:00; sat 10:00-14:00").unwrap();
        assert_eq!(w.minutes(), 5 * 480 + 240);
        assert!(w.day(chrono::Weekday::Sun).is_closed());
        assert!(WeeklyHours::parse("fri-mon 09:00-10:00").is_err());
        assert!(WeeklyHours::parse("someday 09:00-10:00").is_err());
        let round: WeeklyHours = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
        assert_eq!(round, w);
    }
}
