//! The content calendar: month, week and list views of the variants the viewer may see, in the
//! viewer's time zone; moving a variant to another day (drag and drop, or the move form); and the
//! per-user iCalendar feed (`GET /calendar/feed/{token}.ics`).
//!
//! Who sees what: a variant is shown when the viewer may draft, publish or approve posts on its
//! channel. Moving needs `posts:publish` on the channel for a variant that is (or would be)
//! scheduled, `posts:draft` for one that only has an intended time. The approval gate is the
//! store's: a move never schedules a variant that still needs its approvals.

use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use owlery_domain::{
    Access, CampaignId, ChannelId, Permission, Target, UserId, VariantId, WorkspaceId,
    post::{GateError, VariantStatus},
    publishing::{
        ical::{self, CalendarEvent},
        schedule,
    },
};
use owlery_store::posts::{CalendarEntry, CalendarFilter, ScheduleError};

use super::{form::FormData, page_for, render};
use crate::{
    auth::PagePrincipal,
    error::AppError,
    i18n,
    state::AppState,
    ui::views::{
        Flash, SelectOption,
        publishing::{CalDay, CalEntry, CalFilters, CalMode, CalendarView},
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendar", get(calendar))
        .route("/calendar/variants/{id}/move", post(move_variant))
        .route("/calendar/feed/{file}", get(feed))
}

/// The permissions that let someone see posts on a channel.
const SEE_POSTS: [Permission; 3] = [
    Permission::PostsDraft,
    Permission::PostsPublish,
    Permission::PostsApprove,
];

pub(crate) fn may_see_posts(access: &Access, workspace: WorkspaceId, channel: ChannelId) -> bool {
    SEE_POSTS
        .iter()
        .any(|p| access.can(*p, Target::Channel { workspace, channel }))
}

pub(crate) fn require_posts_anywhere(access: &Access) -> Result<(), AppError> {
    if SEE_POSTS.iter().any(|p| access.can_anywhere(*p)) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// The first instant of a local day (midnight, or the first time that exists when a clock change
/// skips midnight).
fn day_start(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    for minutes in [0, 30, 60, 90, 120, 180] {
        let t = date.and_time(NaiveTime::MIN) + Duration::minutes(minutes);
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return at.with_timezone(&Utc);
        }
    }
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The calendar's query: view, anchor date and filters. Unknown or malformed values are ignored
/// (the calendar shows without that filter) rather than refused.
#[derive(Debug, Clone, Default)]
struct CalQuery {
    mode: Option<CalMode>,
    date: Option<NaiveDate>,
    workspace: Option<WorkspaceId>,
    channel: Option<ChannelId>,
    network: Option<String>,
    campaign: Option<CampaignId>,
    status: Option<VariantStatus>,
    author: Option<UserId>,
    notice: Option<String>,
    error: Option<String>,
}

impl CalQuery {
    fn parse(raw: Option<&str>) -> CalQuery {
        let form = FormData::parse(raw.unwrap_or_default().as_bytes());
        let nonempty = |k: &str| Some(form.get(k)).filter(|v| !v.is_empty());
        CalQuery {
            mode: nonempty("view").and_then(|v| CalMode::parse(&v)),
            date: nonempty("date").and_then(|v| NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()),
            workspace: nonempty("workspace").and_then(|v| WorkspaceId::parse(&v)),
            channel: nonempty("channel").and_then(|v| ChannelId::parse(&v)),
            network: nonempty("network")
                .filter(|v| owlery_domain::org::Network::parse(v).is_some()),
            campaign: nonempty("campaign").and_then(|v| CampaignId::parse(&v)),
            status: nonempty("status").and_then(|v| VariantStatus::parse(&v)),
            author: nonempty("author").and_then(|v| UserId::parse(&v)),
            notice: nonempty("notice"),
            error: nonempty("error"),
        }
    }

    /// The query string for these filters with another mode and date.
    fn href(&self, mode: CalMode, date: NaiveDate) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("view", mode.code());
        s.append_pair("date", &date.format("%Y-%m-%d").to_string());
        if let Some(w) = self.workspace {
            s.append_pair("workspace", &w.to_string());
        }
        if let Some(c) = self.channel {
            s.append_pair("channel", &c.to_string());
        }
        if let Some(n) = &self.network {
            s.append_pair("network", n);
        }
        if let Some(c) = self.campaign {
            s.append_pair("campaign", &c.to_string());
        }
        if let Some(st) = self.status {
            s.append_pair("status", st.code());
        }
        if let Some(a) = self.author {
            s.append_pair("author", &a.to_string());
        }
        format!("/calendar?{}", s.finish())
    }

    fn has_filters(&self) -> bool {
        self.workspace.is_some()
            || self.channel.is_some()
            || self.network.is_some()
            || self.campaign.is_some()
            || self.status.is_some()
            || self.author.is_some()
    }
}

/// The entries in `[from, to)` the viewer may see, with the query's filters.
async fn visible_entries(
    state: &AppState,
    access: &Access,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    q: &CalQuery,
) -> Result<Vec<CalendarEntry>, AppError> {
    let workspaces: Vec<WorkspaceId> = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .map(|w| w.id)
        .filter(|w| q.workspace.is_none_or(|only| only == *w))
        .collect();
    let filter = CalendarFilter {
        workspaces,
        channels: q.channel.into_iter().collect(),
        networks: q.network.clone().into_iter().collect(),
        campaign: q.campaign,
        statuses: q.status.into_iter().collect(),
        author: q.author,
    };
    Ok(state
        .store
        .calendar(from, to, &filter)
        .await?
        .into_iter()
        .filter(|e| may_see_posts(access, e.workspace_id, e.channel_id))
        .collect())
}

fn snippet(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The permission a move of this variant needs.
fn move_permission(status: VariantStatus) -> Permission {
    match status {
        VariantStatus::Approved | VariantStatus::Scheduled | VariantStatus::Failed => {
            Permission::PostsPublish
        }
        _ => Permission::PostsDraft,
    }
}

fn to_cal_entry(e: &CalendarEntry, access: &Access, tz: Tz) -> CalEntry {
    let local = e.at.with_timezone(&tz);
    let target = Target::Channel {
        workspace: e.workspace_id,
        channel: e.channel_id,
    };
    CalEntry {
        variant_id: e.variant_id.to_string(),
        post_id: e.post_id.to_string(),
        network: e.network.clone(),
        channel_name: e.channel_name.clone(),
        author_name: e.author_name.clone(),
        title: e.title.clone(),
        snippet: snippet(&e.text, 90),
        status: e.status.code().to_owned(),
        at: e.at,
        time: local.format("%H:%M").to_string(),
        date: local.format("%Y-%m-%d").to_string(),
        has_errors: e.has_errors,
        can_move: !e.status.is_out()
            && e.status != VariantStatus::Cancelled
            && access.can(move_permission(e.status), target),
    }
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

fn flash_for(lang: i18n::Lang, q: &CalQuery) -> Option<Flash> {
    if let Some(code) = &q.error {
        let key = format!("cal-error-{}", code.replace('_', "-"));
        let msg = if i18n::has_key(lang, &key) {
            i18n::tr(lang, &key)
        } else {
            i18n::tr(lang, "cal-error-unknown")
        };
        return Some(Flash::error(msg));
    }
    match q.notice.as_deref() {
        Some("moved") => Some(Flash::success(i18n::tr(lang, "cal-moved"))),
        Some("moved_intended") => Some(Flash::success(i18n::tr(lang, "cal-moved-intended"))),
        _ => None,
    }
}

async fn calendar(
    State(state): State<AppState>,
    p: PagePrincipal,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    require_posts_anywhere(&p.0.access)?;
    let q = CalQuery::parse(raw.as_deref());
    let path = match &raw {
        Some(r) if !r.is_empty() => format!("/calendar?{r}"),
        _ => "/calendar".to_owned(),
    };
    let mut page = page_for(&p, &path);
    let tz = page.tz;
    let lang = page.lang;
    let today = state.store.now().with_timezone(&tz).date_naive();
    let anchor = q.date.unwrap_or(today);
    let mode = q.mode.unwrap_or(CalMode::Month);
    let (first, last, in_range_from, in_range_to, prev, next) = match mode {
        CalMode::Month => {
            let m1 = first_of_month(anchor);
            let m_next = add_months(m1, 1);
            let grid_from = monday_of(m1);
            let grid_to = monday_of(m_next - Duration::days(1)) + Duration::days(6);
            (
                grid_from,
                grid_to,
                m1,
                m_next - Duration::days(1),
                add_months(m1, -1),
                m_next,
            )
        }
        CalMode::Week => {
            let mon = monday_of(anchor);
            let sun = mon + Duration::days(6);
            (
                mon,
                sun,
                mon,
                sun,
                mon - Duration::days(7),
                mon + Duration::days(7),
            )
        }
        CalMode::List => {
            let m1 = first_of_month(anchor);
            let end = add_months(m1, 1) - Duration::days(1);
            (m1, end, m1, end, add_months(m1, -1), add_months(m1, 1))
        }
    };
    let from = day_start(first, tz);
    let to = day_start(last + Duration::days(1), tz);
    let entries = visible_entries(&state, &p.0.access, from, to, &q).await?;
    let entry_count = entries.len();
    let mut days = Vec::new();
    let mut d = first;
    while d <= last {
        let key = d.format("%Y-%m-%d").to_string();
        let day_entries: Vec<CalEntry> = entries
            .iter()
            .map(|e| to_cal_entry(e, &p.0.access, tz))
            .filter(|e| e.date == key)
            .collect();
        days.push(CalDay {
            date: key,
            day: d.day(),
            weekday: d.weekday().number_from_monday(),
            month: d.month(),
            year: d.year(),
            in_range: d >= in_range_from && d <= in_range_to,
            today: d == today,
            entries: day_entries,
        });
        d += Duration::days(1);
    }
    let heading = match mode {
        CalMode::Month | CalMode::List => i18n::tr_args(
            lang,
            "cal-heading-month",
            &[
                (
                    "month",
                    i18n::tr(lang, &format!("cal-month-{}", anchor.month())).into(),
                ),
                ("year", anchor.year().to_string().into()),
            ],
        ),
        CalMode::Week => {
            let short = |d: NaiveDate| {
                format!(
                    "{} {}",
                    d.day(),
                    i18n::tr(lang, &format!("cal-month-short-{}", d.month()))
                )
            };
            i18n::tr_args(
                lang,
                "cal-heading-week",
                &[
                    ("from", short(first).into()),
                    ("to", short(last).into()),
                    ("year", last.year().to_string().into()),
                ],
            )
        }
    };
    let heading = crate::ui::views::publishing::capitalised(&heading);
    let weeks = if mode == CalMode::Month {
        days.chunks(7).map(<[CalDay]>::to_vec).collect()
    } else {
        Vec::new()
    };
    let filters = filter_options(&state, &p.0.access, &q, lang).await?;
    page = page.with_flash(flash_for(lang, &q));
    let modes = [CalMode::Month, CalMode::Week, CalMode::List]
        .into_iter()
        .map(|m| (m.code(), q.href(m, anchor), m == mode))
        .collect();
    let view = CalendarView {
        time_zone: tz.name().to_owned(),
        page,
        mode,
        heading,
        weeks,
        days,
        prev_href: q.href(mode, prev),
        next_href: q.href(mode, next),
        today_href: q.href(mode, today),
        modes,
        filters,
        return_to: q.href(mode, anchor),
        entry_count,
        anchor_date: anchor.format("%Y-%m-%d").to_string(),
    };
    Ok(render(&view))
}

async fn filter_options(
    state: &AppState,
    access: &Access,
    q: &CalQuery,
    lang: i18n::Lang,
) -> Result<CalFilters, AppError> {
    let workspaces = state.store.list_workspaces().await?;
    let channels: Vec<_> = state
        .store
        .list_channels(None)
        .await?
        .into_iter()
        .filter(|c| may_see_posts(access, c.workspace_id, c.id))
        .collect();
    let ws_options = workspaces
        .iter()
        .filter(|w| channels.iter().any(|c| c.workspace_id == w.id))
        .map(|w| SelectOption::new(w.id.to_string(), &w.name, q.workspace == Some(w.id)))
        .collect();
    let channel_options = channels
        .iter()
        .filter(|c| q.workspace.is_none_or(|w| w == c.workspace_id))
        .map(|c| SelectOption::new(c.id.to_string(), &c.name, q.channel == Some(c.id)))
        .collect();
    let mut networks: Vec<&str> = channels.iter().map(|c| c.network.code()).collect();
    networks.sort_unstable();
    networks.dedup();
    let page = crate::ui::views::Page::new(lang, Tz::UTC, "");
    let network_options = networks
        .into_iter()
        .map(|n| SelectOption::new(n, page.network_name(n), q.network.as_deref() == Some(n)))
        .collect();
    let status_options = VariantStatus::ALL
        .into_iter()
        .map(|s| SelectOption::new(s.code(), page.variant_status(s.code()), q.status == Some(s)))
        .collect();
    let authors = state
        .store
        .list_users(None, 500)
        .await?
        .into_iter()
        .map(|u| SelectOption::new(u.id.to_string(), &u.name, q.author == Some(u.id)))
        .collect();
    let mut campaigns = Vec::new();
    for w in workspaces
        .iter()
        .filter(|w| channels.iter().any(|c| c.workspace_id == w.id))
    {
        for c in state.store.campaigns(w.id).await? {
            campaigns.push(SelectOption::new(
                c.id.to_string(),
                &c.name,
                q.campaign == Some(c.id),
            ));
        }
    }
    Ok(CalFilters {
        workspaces: ws_options,
        channels: channel_options,
        networks: network_options,
        statuses: status_options,
        authors,
        campaigns,
        active: q.has_filters(),
    })
}

/// The new instant of a variant moved to `new_date` (a day of the viewer's calendar): the same
/// number of days later or earlier, at the same wall-clock time in the variant's own zone, so a
/// 09:00 post stays at 09:00 across a clock change. With `time`, the wall-clock time in the
/// viewer's zone on that day instead.
fn moved_instant(
    old: DateTime<Utc>,
    schedule_tz: Tz,
    viewer_tz: Tz,
    new_date: NaiveDate,
    time: Option<NaiveTime>,
) -> Result<DateTime<Utc>, schedule::ScheduleError> {
    match time {
        Some(t) => schedule::local_to_utc(new_date.and_time(t), viewer_tz),
        None => {
            let days = (new_date - old.with_timezone(&viewer_tz).date_naive()).num_days();
            let local = old.with_timezone(&schedule_tz).naive_local() + Duration::days(days);
            schedule::local_to_utc(local, schedule_tz)
        }
    }
}

fn back(to: &str, key: &str, value: &str) -> Response {
    let to = super::form::safe_next(to);
    let to = if to.starts_with("/calendar") {
        to
    } else {
        "/calendar".to_owned()
    };
    // Drop an earlier notice or error from the URL before adding this one.
    let (path, query) = to.split_once('?').unwrap_or((to.as_str(), ""));
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k != "notice" && k != "error" {
            s.append_pair(&k, &v);
        }
    }
    s.append_pair(key, value);
    Redirect::to(&format!("{path}?{}", s.finish())).into_response()
}

async fn move_variant(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    require_posts_anywhere(&p.0.access)?;
    let id = VariantId::parse(&id).ok_or_else(|| AppError::not_found("post"))?;
    let post = state
        .store
        .post_of_variant(id)
        .await?
        .ok_or_else(|| AppError::not_found("post"))?;
    let variant = post
        .variant(id)
        .cloned()
        .ok_or_else(|| AppError::not_found("post"))?;
    let channel = state.store.channel(variant.channel_id).await?;
    let target = Target::Channel {
        workspace: channel.workspace_id,
        channel: channel.id,
    };
    if !may_see_posts(&p.0.access, channel.workspace_id, channel.id) {
        return Err(AppError::not_found("post"));
    }
    p.0.require(move_permission(variant.status), target)?;
    let return_to = form.get("return");
    let Ok(date) = NaiveDate::parse_from_str(&form.get("date"), "%Y-%m-%d") else {
        return Ok(back(&return_to, "error", "invalid_date"));
    };
    let time_raw = form.get("time");
    let time = if time_raw.is_empty() {
        None
    } else {
        match NaiveTime::parse_from_str(&time_raw, "%H:%M") {
            Ok(t) => Some(t),
            Err(_) => return Ok(back(&return_to, "error", "invalid_time")),
        }
    };
    let viewer_tz: Tz = p.0.user.time_zone.parse().unwrap_or(Tz::UTC);
    let schedule_tz: Tz = variant.schedule_tz.parse().unwrap_or(viewer_tz);
    let Some(old) = variant.scheduled_at.or(variant.published_at) else {
        return Ok(back(&return_to, "error", "no_time"));
    };
    let at = match moved_instant(old, schedule_tz, viewer_tz, date, time) {
        Ok(at) => at,
        Err(e) => return Ok(back(&return_to, "error", e.code())),
    };
    match state
        .store
        .move_variant(&p.0.actor(), id, Some(at), schedule_tz.name())
        .await
    {
        Ok(VariantStatus::Scheduled) => Ok(back(&return_to, "notice", "moved")),
        Ok(_) => Ok(back(&return_to, "notice", "moved_intended")),
        Err(ScheduleError::Gate(e)) => Ok(back(&return_to, "error", gate_code(e))),
        Err(ScheduleError::Store(e)) => Err(e.into()),
    }
}

fn gate_code(e: GateError) -> &'static str {
    e.code()
}

/// `GET /calendar/feed/{token}.ics`: the feed owner's calendar from 30 days back to a year ahead.
/// The token is the only credential; an unknown or revoked one is a plain 404.
async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    match feed_body(&state, &file).await {
        Ok(Some(body)) => {
            let mut res = body.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            );
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            );
            res
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "This calendar feed does not exist or was revoked.",
        )
            .into_response(),
        Err(e) => (e.status, e.message).into_response(),
    }
}

async fn feed_body(state: &AppState, file: &str) -> Result<Option<String>, AppError> {
    let Some(token) = file.strip_suffix(".ics").filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let Some(user_id) = state.store.calendar_feed_user(token).await? else {
        return Ok(None);
    };
    let user = match state.store.user(user_id).await {
        Ok(u) => u,
        Err(owlery_store::StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if user.status != owlery_domain::user::UserStatus::Active {
        return Ok(None);
    }
    let access = state.store.access_of(user.id).await?;
    let now = state.store.now();
    let entries = visible_entries(
        state,
        &access,
        now - Duration::days(30),
        now + Duration::days(366),
        &CalQuery::default(),
    )
    .await?;
    let host = url::Url::parse(&state.config.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "owlery".to_owned());
    let events: Vec<CalendarEvent> = entries
        .iter()
        .map(|e| CalendarEvent {
            uid: format!("{}@{host}", e.variant_id),
            start: e.at,
            summary: format!("[{}] {}", e.channel_name, snippet(&e.text, 60)),
            description: e.text.clone(),
            url: Some(state.config.link(&format!("/posts/{}", e.post_id))),
            status: e.status.code().to_owned(),
            last_modified: e.at,
        })
        .collect();
    let org = state
        .store
        .organisation()
        .await?
        .map(|o| o.name)
        .unwrap_or_else(|| "Owlery".into());
    Ok(Some(ical::write_calendar(
        &format!("{org} — Owlery"),
        &events,
        now,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_keeps_the_wall_clock_time_across_a_clock_change() {
        let sofia: Tz = "Europe/Sofia".parse().unwrap();
        // 09:00 in Sofia on 24 Oct 2026 (UTC+3) is 06:00 UTC.
        let old = Utc.with_ymd_and_hms(2026, 10, 24, 6, 0, 0).unwrap();
        let new_date = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
        let at = moved_instant(old, sofia, sofia, new_date, None).unwrap();
        // After the clocks go back (UTC+2), 09:00 is 07:00 UTC.
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 10, 26, 7, 0, 0).unwrap());
    }

    #[test]
    fn moving_with_a_time_uses_the_viewers_zone_and_refuses_a_gap() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let old = Utc.with_ymd_and_hms(2026, 3, 1, 15, 0, 0).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let gap = NaiveTime::from_hms_opt(2, 30, 0);
        assert!(moved_instant(old, ny, ny, date, gap).is_err());
        let t = NaiveTime::from_hms_opt(10, 0, 0);
        assert_eq!(
            moved_instant(old, ny, ny, date, t).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 8, 14, 0, 0).unwrap()
        );
    }

    #[test]
    fn query_ignores_junk_and_round_trips() {
        let q = CalQuery::parse(Some(
            "view=week&date=2026-13-40&status=nope&network=x&author=1",
        ));
        assert_eq!(q.mode, Some(CalMode::Week));
        assert_eq!(q.date, None);
        assert_eq!(q.status, None);
        assert_eq!(q.network.as_deref(), Some("x"));
        assert_eq!(q.author, None);
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        assert_eq!(
            q.href(CalMode::List, d),
            "/calendar?view=list&date=2026-11-02&network=x"
        );
    }

    #[test]
    fn month_arithmetic() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(
            add_months(d, -1),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
        assert_eq!(
            add_months(d, 1),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(
            monday_of(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()).day(),
            26
        );
    }
}
