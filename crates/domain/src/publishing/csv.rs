//! Bulk import and export of posts as CSV.
//!
//! # Importing
//!
//! A UTF-8 CSV file (RFC 4180: comma-separated, fields with commas, quotes or line breaks in double
//! quotes, quotes doubled). A byte-order mark at the start is fine. The first line names the
//! columns; names are case-insensitive and may come in any order. At most 5,000 rows.
//!
//! | column          | required | meaning |
//! |-----------------|----------|---------|
//! | `channels`      | yes      | The channels to post to: handles or ids, separated by semicolons (`@owlery; owlery-bg`). |
//! | `text`          | unless `media` | The post's text. Line breaks are kept. |
//! | `scheduled_at`  | no       | When to publish: RFC 3339 with an offset (`2026-03-29T14:30:00+03:00`) or `YYYY-MM-DD HH:MM` in `time_zone`. Empty: the post stays a draft. Must be in the future. |
//! | `time_zone`     | no       | IANA time zone for `scheduled_at` (`Europe/Sofia`). Default: the importer's time zone. |
//! | `link`          | no       | A link to attach (http or https). |
//! | `first_comment` | no       | A first comment, posted right after the post where the network allows it. |
//! | `campaign`      | no       | The name of a campaign to add the post to. |
//! | `media`         | no       | Ids of media already in the library, separated by semicolons. |
//!
//! Any other column is an error that names it, except the read-only columns an export writes
//! (`post_id`, `variant_id`, `network`, `status`, `published_at`, `author`, `remote_url`), which are
//! ignored, and `channel`, which is read as `channels`: an export can be edited and imported again
//! (as new posts). A problem in a row (an unknown channel, a time that cannot be read or is in the
//! past, no text and no media, a bad media id) is reported with its line and column, and the other
//! rows are still read; a problem with the whole file (not UTF-8, no header, too many rows, unknown
//! columns) stops the import.
//!
//! # Exporting
//!
//! The export is UTF-8 with a byte-order mark (so that spreadsheet programs show non-Latin text
//! correctly), CRLF line endings and RFC 4180 quoting. Columns: `post_id, variant_id, channel,
//! network, status, scheduled_at, published_at, text, link, first_comment, campaign, author,
//! remote_url`; times are RFC 3339 in UTC. A cell that a spreadsheet would run as a formula (one
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return, possibly after apostrophes) gets
//! a leading apostrophe; importing removes exactly that apostrophe again.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::schedule::parse_when;
use crate::{InvalidInput, MediaId, PostId, VariantId};

pub const MAX_IMPORT_ROWS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The line in the file where the row starts (1 is the header).
    pub line: usize,
    pub channels: Vec<String>,
    pub text: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub link: Option<String>,
    pub first_comment: Option<String>,
    pub campaign: Option<String>,
    pub media: Vec<MediaId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: usize,
    pub column: Option<String>,
    pub message: String,
}

/// The rows that can be imported and the problems of the others. A row with any problem is left
/// out of `rows`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    Channels,
    Text,
    ScheduledAt,
    TimeZone,
    Link,
    FirstComment,
    Campaign,
    Media,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Channels => "channels",
            Column::Text => "text",
            Column::ScheduledAt => "scheduled_at",
            Column::TimeZone => "time_zone",
            Column::Link => "link",
            Column::FirstComment => "first_comment",
            Column::Campaign => "campaign",
            Column::Media => "media",
        }
    }

    fn parse(header: &str) -> Option<Column> {
        Some(match header {
            "channels" | "channel" => Column::Channels,
            "text" => Column::Text,
            "scheduled_at" => Column::ScheduledAt,
            "time_zone" => Column::TimeZone,
            "link" => Column::Link,
            "first_comment" => Column::FirstComment,
            "campaign" => Column::Campaign,
            "media" => Column::Media,
            _ => return None,
        })
    }
}

/// Columns an export writes that an import reads past.
const EXPORT_ONLY: &[&str] = &[
    "post_id",
    "variant_id",
    "network",
    "status",
    "published_at",
    "author",
    "remote_url",
];

fn whole_file(code: &'static str, message: impl Into<String>) -> InvalidInput {
    InvalidInput::new("file", code, message)
}

/// Reads an import file. `resolve_channel` says whether a handle or id names a channel the importer
/// may post to; `now` is when the import happens (scheduled times must be later).
pub fn parse_import(
    bytes: &[u8],
    default_tz: Tz,
    now: DateTime<Utc>,
    resolve_channel: &dyn Fn(&str) -> bool,
) -> Result<ImportReport, InvalidInput> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes
            .get(..e.valid_up_to())
            .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
        return Err(whole_file(
            "not_utf8",
            format!(
                "The file is not UTF-8 text (line {line}); save it as \"CSV UTF-8\" and try again."
            ),
        ));
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.records();

    let header = match records.next() {
        Some(Ok(h)) if h.iter().any(|c| !c.trim().is_empty()) => h,
        Some(Err(e)) => {
            return Err(whole_file(
                "unreadable",
                format!("The file cannot be read as CSV: {e}."),
            ));
        }
        _ => {
            return Err(whole_file(
                "no_header",
                "The file is empty; its first line must name the columns, such as channels,text,scheduled_at.",
            ));
        }
    };
    let mut columns: Vec<Option<Column>> = Vec::with_capacity(header.len());
    let mut seen: BTreeMap<Column, usize> = BTreeMap::new();
    let mut unknown: Vec<String> = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let name = raw.trim().to_lowercase();
        match Column::parse(&name) {
            Some(c) => {
                if seen.insert(c, i).is_some() {
                    return Err(whole_file(
                        "duplicate_column",
                        format!("The column \"{}\" appears twice.", c.name()),
                    ));
                }
                columns.push(Some(c));
            }
            None if EXPORT_ONLY.contains(&name.as_str()) => columns.push(None),
            None if name.is_empty() => {
                return Err(whole_file(
                    "unnamed_column",
                    format!("Column {} has no name in the first line.", i + 1),
                ));
            }
            None => {
                unknown.push(raw.trim().to_owned());
                columns.push(None);
            }
        }
    }
    if !unknown.is_empty() {
        return Err(whole_file(
            "unknown_columns",
            format!(
                "Unknown column{} {}; the columns are channels, text, scheduled_at, time_zone, link, first_comment, campaign and media.",
                if unknown.len() == 1 { "" } else { "s" },
                unknown
                    .iter()
                    .map(|u| format!("\"{u}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if !seen.contains_key(&Column::Channels) {
        return Err(whole_file(
            "missing_column",
            "The file has no \"channels\" column; every post needs its channels.",
        ));
    }

    let mut report = ImportReport::default();
    let mut count = 0usize;
    let mut lines = LineCounter {
        bytes,
        offset: 0,
        line: 1,
    };
    for record in records {
        let record = record.map_err(|e| {
            whole_file(
                "unreadable",
                format!("The file cannot be read as CSV: {e}."),
            )
        })?;
        let line = record
            .position()
            .map_or(0, |p| lines.line_at(p.byte() as usize));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        count += 1;
        if count > MAX_IMPORT_ROWS {
            return Err(whole_file(
                "too_many_rows",
                format!(
                    "The file has more than {MAX_IMPORT_ROWS} rows; split it into several files."
                ),
            ));
        }
        if record.len() > columns.len() {
            report.errors.push(RowError {
                line,
                column: None,
                message: format!(
                    "This row has {} cells but the first line names {} columns.",
                    record.len(),
                    columns.len()
                ),
            });
            continue;
        }
        let cell = |c: Column| -> String {
            seen.get(&c)
                .and_then(|&i| record.get(i))
                .map(unguard_formula)
                .unwrap_or_default()
        };
        match parse_row(line, &cell, default_tz, now, resolve_channel) {
            Ok(row) => report.rows.push(row),
            Err(errors) => report.errors.extend(errors),
        }
    }
    Ok(report)
}

/// Line numbers from byte offsets, counted incrementally (offsets only grow). The reader reports a
/// record's start before the line break that ended the previous one, so line breaks at the start
/// are skipped.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn line_at(&mut self, mut start: usize) -> usize {
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.offset {
            let newlines = self
                .bytes
                .get(self.offset..start)
                .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
            self.line += newlines;
            self.offset = start;
        }
        self.line
    }
}

fn split_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.iter().any(|o| o == part) {
            out.push(part.to_owned());
        }
    }
    out
}

fn non_empty(s: String) -> Option<String> {
    if s.trim().is_empty() { None } else { Some(s) }
}

fn parse_row(
    line: usize,
    cell: &dyn Fn(Column) -> String,
    default_tz: Tz,
    now: DateTime<Utc>,
    resolve_channel: &dyn Fn(&str) -> bool,
) -> Result<ImportRow, Vec<RowError>> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut fail = |column: Column, message: String| {
        errors.push(RowError {
            line,
            column: Some(column.name().to_owned()),
            message,
        });
    };

    let channels = split_list(&cell(Column::Channels));
    if channels.is_empty() {
        fail(
            Column::Channels,
            "Name at least one channel; separate several with semicolons.".into(),
        );
    }
    for c in &channels {
        if !resolve_channel(c) {
            fail(
                Column::Channels,
                format!("There is no channel \"{c}\" that you can post to."),
            );
        }
    }

    let mut media: Vec<MediaId> = Vec::new();
    for m in split_list(&cell(Column::Media)) {
        match MediaId::parse(&m) {
            Some(id) => media.push(id),
            None => fail(Column::Media, format!("\"{m}\" is not a media id.")),
        }
    }

    let text = cell(Column::Text);
    if text.trim().is_empty() && media.is_empty() {
        fail(
            Column::Text,
            "The text is empty and there is no media.".into(),
        );
    }

    let tz_cell = cell(Column::TimeZone);
    let tz = if tz_cell.trim().is_empty() {
        Some(default_tz)
    } else {
        match tz_cell.trim().parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                fail(
                    Column::TimeZone,
                    format!(
                        "\"{}\" is not a time zone; use an IANA name such as Europe/Sofia.",
                        tz_cell.trim()
                    ),
                );
                None
            }
        }
    };
    let when = cell(Column::ScheduledAt);
    let mut scheduled_at = None;
    if let Some(tz) = tz
        && !when.trim().is_empty()
    {
        match parse_when(&when, tz) {
            Ok(t) if t <= now => fail(
                Column::ScheduledAt,
                format!(
                    "{} is in the past; choose a later time or leave it empty for a draft.",
                    when.trim()
                ),
            ),
            Ok(t) => scheduled_at = Some(t),
            Err(e) => fail(Column::ScheduledAt, e.message),
        }
    }

    let link = non_empty(cell(Column::Link)).map(|l| l.trim().to_owned());
    if let Some(l) = &link {
        let ok = url::Url::parse(l).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            fail(
                Column::Link,
                format!("\"{l}\" is not a web address; links start with https:// or http://."),
            );
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ImportRow {
        line,
        channels,
        text,
        scheduled_at,
        link,
        first_comment: non_empty(cell(Column::FirstComment)),
        campaign: non_empty(cell(Column::Campaign)).map(|c| c.trim().to_owned()),
        media,
    })
}

/// A row of the export: one variant (one post on one channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRow {
    pub post_id: PostId,
    pub variant_id: VariantId,
    pub channel: String,
    pub network: String,
    pub status: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub text: String,
    pub link: Option<String>,
    pub first_comment: Option<String>,
    pub campaign: Option<String>,
    pub author: String,
    pub remote_url: Option<String>,
}

pub const EXPORT_COLUMNS: [&str; 13] = [
    "post_id",
    "variant_id",
    "channel",
    "network",
    "status",
    "scheduled_at",
    "published_at",
    "text",
    "link",
    "first_comment",
    "campaign",
    "author",
    "remote_url",
];

/// The export file (see the module documentation for its format).
pub fn write_export(rows: &[ExportRow]) -> Vec<u8> {
    let mut out = String::from("\u{FEFF}");
    write_record(&mut out, EXPORT_COLUMNS.iter().map(|c| (*c).to_owned()));
    let time = |t: &Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    for r in rows {
        write_record(
            &mut out,
            [
                r.post_id.to_string(),
                r.variant_id.to_string(),
                r.channel.clone(),
                r.network.clone(),
                r.status.clone(),
                time(&r.scheduled_at),
                time(&r.published_at),
                r.text.clone(),
                r.link.clone().unwrap_or_default(),
                r.first_comment.clone().unwrap_or_default(),
                r.campaign.clone().unwrap_or_default(),
                r.author.clone(),
                r.remote_url.clone().unwrap_or_default(),
            ]
            .into_iter(),
        );
    }
    out.into_bytes()
}

fn write_record(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = guard_formula(&cell);
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// Whether a spreadsheet would treat the cell as a formula once apostrophes in front are removed.
fn looks_like_formula(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Guards against CSV formula injection (OWASP): a leading apostrophe makes a spreadsheet show the
/// cell as text. Apostrophes already in front are counted in, so that [`unguard_formula`] undoes
/// exactly this and nothing else.
fn guard_formula(cell: &str) -> String {
    if looks_like_formula(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn unguard_formula(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Europe::Sofia;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
    }

    fn known(c: &str) -> bool {
        matches!(c, "@owlery" | "owlery-bg")
    }

    fn import(s: &str) -> Result<ImportReport, InvalidInput> {
        parse_import(s.as_bytes(), Sofia, now(), &known)
    }

    #[test]
    fn reads_a_good_file() {
        let media = MediaId::new();
        let csv = format!(
            "\u{FEFF}Channels,TEXT,scheduled_at,time_zone,link,first_comment,campaign,media\r\n\
             @owlery; owlery-bg,\"Hello, \"\"world\"\"\nline two\",2026-06-01 14:30,,https://example.com/a,First!,Launch,{media}\r\n\
             @owlery,Draft,,,,,,\r\n"
        );
        let report = import(&csv).unwrap();
        assert_eq!(report.errors, vec![]);
        assert_eq!(report.rows.len(), 2);
        let r = &report.rows[0];
        assert_eq!(r.line, 2);
        assert_eq!(r.channels, vec!["@owlery", "owlery-bg"]);
        assert_eq!(r.text, "Hello, \"world\"\nline two");
        assert_eq!(
            r.scheduled_at,
            Some(Utc.with_ymd_and_hms(2026, 6, 1, 11, 30, 0).unwrap())
        );
        assert_eq!(r.link.as_deref(), Some("https://example.com/a"));
        assert_eq!(r.first_comment.as_deref(), Some("First!"));
        assert_eq!(r.campaign.as_deref(), Some("Launch"));
        assert_eq!(r.media, vec![media]);
        // The quoted cell spans two lines, so the next row starts on line 4.
        assert_eq!(report.rows[1].line, 4);
        assert_eq!(report.rows[1].scheduled_at, None);
    }

    #[test]
    fn row_errors_are_collected_with_line_and_column() {
        let csv = "channels,text,scheduled_at,time_zone,media\n\
                   @nobody,Hi,,,\n\
                   @owlery,Hi,2020-01-01 10:00,,\n\
                   @owlery,,,,\n\
                   @owlery,Hi,soon,,\n\
                   @owlery,Hi,2026-06-01 10:00,Mars/Base,\n\
                   @owlery,Hi,,,not-an-id\n\
                   @owlery,Hi,2027-03-28 03:30,,\n\
                   @owlery,Fine,,,\n";
        let report = import(csv).unwrap();
        assert_eq!(report.rows.len(), 1);
        assert_eq!(report.rows[0].line, 9);
        let got: Vec<(usize, Option<&str>)> = report
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, Some("channels")),
                (3, Some("scheduled_at")),
                (4, Some("text")),
                (5, Some("scheduled_at")),
                (6, Some("time_zone")),
                (7, Some("media")),
                (8, Some("scheduled_at")),
            ]
        );
        assert!(report.errors[0].message.contains("\"@nobody\""));
        assert!(report.errors[1].message.contains("in the past"));
        assert!(report.errors[6].message.contains("clocks go forward"));
    }

    #[test]
    fn media_alone_is_enough() {
        let csv = format!("channels,media\n@owlery,{}\n", MediaId::new());
        let report = import(&csv).unwrap();
        assert_eq!(report.errors, vec![]);
        assert_eq!(report.rows[0].text, "");
    }

    #[test]
    fn whole_file_errors() {
        assert_eq!(import("").unwrap_err().code, "no_header");
        assert_eq!(import("\u{FEFF}").unwrap_err().code, "no_header");
        let err = import("channels,text,colour,Size\n").unwrap_err();
        assert_eq!(err.code, "unknown_columns");
        assert!(
            err.message.contains("\"colour\", \"Size\""),
            "{}",
            err.message
        );
        assert_eq!(import("text\nhello\n").unwrap_err().code, "missing_column");
        assert_eq!(
            import("channels,Channels\n").unwrap_err().code,
            "duplicate_column"
        );
        let err = parse_import(b"channels,text\n@owlery,\xff\n", Sofia, now(), &known).unwrap_err();
        assert_eq!(err.code, "not_utf8");
        assert!(err.message.contains("line 2"));
        let mut big = String::from("channels,text\n");
        for _ in 0..=MAX_IMPORT_ROWS {
            big.push_str("@owlery,x\n");
        }
        assert_eq!(import(&big).unwrap_err().code, "too_many_rows");
        // One row fewer is accepted.
        let ok = big.replacen("@owlery,x\n", "", 1);
        assert_eq!(import(&ok).unwrap().rows.len(), MAX_IMPORT_ROWS);
    }

    #[test]
    fn export_is_rfc4180_and_formula_safe() {
        let row = ExportRow {
            post_id: PostId::new(),
            variant_id: VariantId::new(),
            channel: "@owlery".into(),
            network: "x".into(),
            status: "scheduled".into(),
            scheduled_at: Some(Utc.with_ymd_and_hms(2026, 6, 1, 11, 30, 0).unwrap()),
            published_at: None,
            text: "=HYPERLINK(\"http://evil\")".into(),
            link: None,
            first_comment: Some("-1, really".into()),
            campaign: Some("@launch".into()),
            author: "Ана".into(),
            remote_url: None,
        };
        let out = String::from_utf8(write_export(std::slice::from_ref(&row))).unwrap();
        assert!(out.starts_with("\u{FEFF}post_id,variant_id,channel,"));
        assert!(out.ends_with("\r\n"));
        assert!(out.contains(",2026-06-01T11:30:00Z,,\"'=HYPERLINK(\"\"http://evil\"\")\",,\"'-1, really\",'@launch,Ана,\r\n"), "{out}");
    }

    #[test]
    fn formula_guard_round_trips() {
        for s in ["=1", "'=1", "''+x", "'tis", "", "plain", "\tx", "-"] {
            assert_eq!(unguard_formula(&guard_formula(s)), s, "{s:?}");
            assert!(!looks_like_formula(&guard_formula(s)) || guard_formula(s).starts_with('\''));
        }
        // Apostrophes that guard nothing are the person's own.
        assert_eq!(unguard_formula("'tis"), "'tis");
    }
}
