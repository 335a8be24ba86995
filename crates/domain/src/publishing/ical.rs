//! The content calendar as an iCalendar feed (RFC 5545), for Google Calendar, Outlook and Apple
//! Calendar subscriptions. Each post is a 15-minute event at its publishing time, in UTC so that no
//! time zone definitions are needed.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const PRODID: &str = "-//Owlery//Content calendar//EN";
/// RFC 5545 §3.1: lines longer than 75 octets are folded.
const MAX_LINE_OCTETS: usize = 75;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarEvent {
    /// Globally unique and stable across feeds, e.g. `<variant id>@<host>`.
    pub uid: String,
    pub start: DateTime<Utc>,
    pub summary: String,
    pub description: String,
    pub url: Option<String>,
    /// The post's status (`draft`, `scheduled`, `published`, `cancelled` …). Written as a category,
    /// and mapped onto iCalendar's STATUS (tentative, confirmed, cancelled).
    pub status: String,
    pub last_modified: DateTime<Utc>,
}

/// iCalendar's three event states, from Owlery's post statuses: done or booked is confirmed,
/// withdrawn or failed is cancelled, anything still moving is tentative.
fn ical_status(status: &str) -> &'static str {
    match status.trim().to_ascii_lowercase().as_str() {
        "scheduled" | "published" | "publishing" | "confirmed" | "approved" => "CONFIRMED",
        "cancelled" | "canceled" | "rejected" | "failed" | "deleted" | "archived" => "CANCELLED",
        _ => "TENTATIVE",
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks. Other control
/// characters are not allowed in content lines and are dropped.
fn escape_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Values that are not TEXT (UID, URL) are not escaped, but must stay on one logical line.
fn strip_controls(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Appends one content line, folded so that no physical line exceeds 75 octets (continuation lines
/// start with a space, which counts) and no UTF-8 character is split.
fn push_line(out: &mut String, line: &str) {
    let mut budget = MAX_LINE_OCTETS;
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > budget {
            out.push_str("\r\n ");
            budget = MAX_LINE_OCTETS - 1;
            used = 0;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// The calendar named `name` with `events`. `now` is the DTSTAMP (when the feed was made).
pub fn write_calendar(name: &str, events: &[CalendarEvent], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: String| push_line(&mut out, &s);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!("PRODID:{PRODID}"));
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape_text(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", strip_controls(&e.uid)));
        line(format!("DTSTAMP:{}", stamp(now)));
        line(format!("DTSTART:{}", stamp(e.start)));
        let end = e
            .start
            .checked_add_signed(Duration::minutes(15))
            .unwrap_or(e.start);
        line(format!("DTEND:{}", stamp(end)));
        line(format!("SUMMARY:{}", escape_text(&e.summary)));
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape_text(&e.description)));
        }
        if let Some(url) = &e.url {
            line(format!("URL:{}", strip_controls(url)));
        }
        line(format!("STATUS:{}", ical_status(&e.status)));
        if !e.status.trim().is_empty() {
            line(format!("CATEGORIES:{}", escape_text(e.status.trim())));
        }
        line(format!("LAST-MODIFIED:{}", stamp(e.last_modified)));
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn event() -> CalendarEvent {
        CalendarEvent {
            uid: "0190-abc@owlery.example".into(),
            start: Utc.with_ymd_and_hms(2026, 6, 1, 11, 30, 0).unwrap(),
            summary: "X: Launch day, finally; \\o/".into(),
            description: "Line one\r\nLine two".into(),
            url: Some("https://owlery.example/posts/1".into()),
            status: "scheduled".into(),
            last_modified: Utc.with_ymd_and_hms(2026, 5, 30, 8, 0, 0).unwrap(),
        }
    }

    /// Unfolds as a reader does: CRLF followed by a space joins lines.
    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "")
    }

    #[test]
    fn writes_a_calendar() {
        let now = Utc.with_ymd_and_hms(2026, 5, 31, 0, 0, 0).unwrap();
        let ics = write_calendar("Owlery, Sofia", &[event()], now);
        assert!(ics.starts_with(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Owlery//Content calendar//EN\r\n"
        ));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "only CRLF line endings"
        );
        let lines = unfold(&ics);
        for want in [
            "X-WR-CALNAME:Owlery\\, Sofia\r\n",
            "DTSTAMP:20260531T000000Z\r\n",
            "DTSTART:20260601T113000Z\r\n",
            "DTEND:20260601T114500Z\r\n",
            "SUMMARY:X: Launch day\\, finally\\; \\\\o/\r\n",
            "DESCRIPTION:Line one\\nLine two\r\n",
            "URL:https://owlery.example/posts/1\r\n",
            "STATUS:CONFIRMED\r\n",
            "CATEGORIES:scheduled\r\n",
            "LAST-MODIFIED:20260530T080000Z\r\n",
        ] {
            assert!(lines.contains(want), "missing {want:?} in {lines}");
        }
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut e = event();
        e.summary = "Здравейте, свят! 🦉 ".repeat(20);
        e.description = "a".repeat(300);
        let ics = write_calendar("c", &[e.clone()], e.start);
        for physical in ics.split("\r\n") {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical}",
                physical.len()
            );
        }
        // Splitting at a byte inside a character would not even be a str; unfolding restores the text.
        let unfolded = unfold(&ics);
        assert!(unfolded.contains(&format!("SUMMARY:{}\r\n", escape_text(&e.summary))));
        assert!(unfolded.contains(&format!("DESCRIPTION:{}\r\n", e.description)));
        // A 75-octet line is not folded; 76 is.
        let mut out = String::new();
        push_line(&mut out, &"x".repeat(75));
        assert_eq!(out, format!("{}\r\n", "x".repeat(75)));
        let mut out = String::new();
        push_line(&mut out, &"x".repeat(76));
        assert_eq!(out, format!("{}\r\n x\r\n", "x".repeat(75)));
    }

    #[test]
    fn statuses_map_onto_icalendar() {
        assert_eq!(ical_status("published"), "CONFIRMED");
        assert_eq!(ical_status("failed"), "CANCELLED");
        assert_eq!(ical_status("pending_approval"), "TENTATIVE");
        assert_eq!(ical_status("draft"), "TENTATIVE");
    }
}
