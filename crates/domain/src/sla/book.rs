//! Which SLA policy a conversation follows: an organisation's policies are each for a team, a
//! workspace or everyone, optionally for one priority. The most specific wins: the conversation's
//! team, then its workspace, then the organisation's default; a policy for the conversation's
//! priority beats one for every priority at the same level. No policy: the caller's default
//! (24 hours around the clock).

use chrono::{DateTime, Utc};

use super::{BusinessCalendar, DayHours, Holiday, Schedule, SlaPolicy, WeeklyHours};
use crate::{
    InvalidInput, SlaPolicyId, TeamId, WorkspaceId,
    inbox::{Priority, ResponsePolicy, ResponseTarget},
};

/// A stored policy and what it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedPolicy {
    pub id: SlaPolicyId,
    pub workspace: Option<WorkspaceId>,
    pub team: Option<TeamId>,
    pub priority: Option<Priority>,
    pub policy: SlaPolicy,
}

impl ScopedPolicy {
    /// How specifically it fits a conversation (`None`: it does not apply).
    fn fit(&self, workspace: WorkspaceId, team: Option<TeamId>, priority: Priority) -> Option<u8> {
        if self.workspace.is_some_and(|w| w != workspace) {
            return None;
        }
        if self.priority.is_some_and(|p| p != priority) {
            return None;
        }
        let mut score = 0;
        match (self.team, team) {
            (Some(a), Some(b)) if a == b => score += 4,
            (Some(_), _) => return None,
            (None, _) => {}
        }
        if self.workspace.is_some() {
            score += 2;
        }
        if self.priority.is_some() {
            score += 1;
        }
        Some(score)
    }
}

/// The policy for a conversation: the best fit, the first stored on a tie.
pub fn choose(
    policies: &[ScopedPolicy],
    workspace: WorkspaceId,
    team: Option<TeamId>,
    priority: Priority,
) -> Option<&ScopedPolicy> {
    let mut best: Option<(u8, &ScopedPolicy)> = None;
    for p in policies {
        if let Some(s) = p.fit(workspace, team, priority)
            && best.is_none_or(|(b, _)| s > b)
        {
            best = Some((s, p));
        }
    }
    best.map(|(_, p)| p)
}

impl ResponsePolicy for SlaPolicy {
    fn due(
        &self,
        from: DateTime<Utc>,
        target: ResponseTarget,
        _priority: Priority,
    ) -> DateTime<Utc> {
        match target {
            ResponseTarget::First => self.first_response_due(from).due,
            ResponseTarget::Next => self.next_response_due(from).due,
        }
    }

    fn warn_from(
        &self,
        from: DateTime<Utc>,
        target: ResponseTarget,
        _priority: Priority,
    ) -> DateTime<Utc> {
        match target {
            ResponseTarget::First => self.first_response_due(from).warn_from,
            ResponseTarget::Next => self.next_response_due(from).warn_from,
        }
    }
}

/// At most this many holidays in a calendar.
pub const MAX_HOLIDAYS: usize = 400;

/// Holidays one per line: `2026-12-24 09:00-13:00` (own hours) or `2026-12-25` (closed); blank
/// lines and text after `#` are ignored.
pub fn parse_holidays(text: &str) -> Result<Vec<Holiday>, InvalidInput> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (date, hours) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
            InvalidInput::new(
                "holidays",
                "invalid_holiday",
                format!("“{line}” is not a holiday like 2026-12-25 or 2026-12-24 09:00-13:00"),
            )
        })?;
        let hours = DayHours::parse(hours).map_err(|e| InvalidInput {
            field: "holidays",
            ..e
        })?;
        out.push(Holiday { date, hours });
    }
    if out.len() > MAX_HOLIDAYS {
        return Err(InvalidInput::new(
            "holidays",
            "too_many_holidays",
            format!("At most {MAX_HOLIDAYS} holidays."),
        ));
    }
    Ok(out)
}

/// A team's schedule from its settings: business hours in `zone` when `hours` is set (weekly
/// hours as [`WeeklyHours::parse`] reads them, holidays as [`parse_holidays`]), else around the
/// clock.
pub fn schedule_from(
    zone: &str,
    hours: Option<&str>,
    holidays: &str,
) -> Result<Schedule, InvalidInput> {
    let Some(hours) = hours.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(Schedule::AroundTheClock);
    };
    let tz = crate::user::parse_time_zone(zone)?;
    let week = WeeklyHours::parse(hours)?;
    Ok(Schedule::Business(BusinessCalendar::new(
        tz,
        week,
        parse_holidays(holidays)?,
    )?))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use uuid::Uuid;

    use super::*;
    use crate::sla::Schedule;

    fn p(n: u128, w: Option<u128>, t: Option<u128>, pr: Option<Priority>) -> ScopedPolicy {
        ScopedPolicy {
            id: SlaPolicyId(Uuid::from_u128(n)),
            workspace: w.map(|w| WorkspaceId(Uuid::from_u128(w))),
            team: t.map(|t| TeamId(Uuid::from_u128(t))),
            priority: pr,
            policy: SlaPolicy::new(
                TimeDelta::hours(n as i64),
                TimeDelta::hours(n as i64),
                TimeDelta::zero(),
                Schedule::AroundTheClock,
            )
            .unwrap(),
        }
    }

    #[test]
    fn team_then_workspace_then_default() {
        let ws = WorkspaceId(Uuid::from_u128(10));
        let team = Some(TeamId(Uuid::from_u128(20)));
        let all = vec![
            p(1, None, None, None),
            p(2, Some(10), None, None),
            p(3, None, Some(20), None),
            p(4, Some(10), None, Some(Priority::Urgent)),
            p(5, None, Some(21), None),
        ];
        let id = |x: Option<&ScopedPolicy>| x.map(|p| p.id.0.as_u128());
        assert_eq!(id(choose(&all, ws, team, Priority::Normal)), Some(3));
        assert_eq!(id(choose(&all, ws, None, Priority::Normal)), Some(2));
        assert_eq!(id(choose(&all, ws, None, Priority::Urgent)), Some(4));
        let other = WorkspaceId(Uuid::from_u128(11));
        assert_eq!(id(choose(&all, other, None, Priority::Normal)), Some(1));
        assert_eq!(id(choose(&all[1..2], other, None, Priority::Normal)), None);
        let t = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let h = parse_holidays("2026-12-25\n# note\n2026-12-24 09:00-13:00").unwrap();
        assert_eq!(h.len(), 2);
        assert!(h[0].hours.is_closed());
        assert!(parse_holidays("25.12.2026").is_err());
        assert!(matches!(
            schedule_from("Europe/Sofia", Some("mon-fri 09:00-17:00"), "").unwrap(),
            Schedule::Business(_)
        ));
        assert!(matches!(
            schedule_from("UTC", None, "").unwrap(),
            Schedule::AroundTheClock
        ));
        assert!(schedule_from("Mars/Base", Some("mon 09:00-10:00"), "").is_err());
        let due = all[0]
            .policy
            .due(t, ResponseTarget::First, Priority::Normal)
            - t;
        assert_eq!(due, TimeDelta::hours(1));
    }
}
