//! View structs: the plain data each page template renders, and the [`Page`] context every page
//! carries (language, time zone, CSRF token, signed-in user, current section, flash message).
//!
//! Views hold Strings, numbers, booleans, dates and small row structs that handlers fill; they do
//! no IO and hold no business rules. The only logic here is presentation: translating, formatting
//! dates and numbers in the user's language and time zone, and building URLs from filters.
//! Every page struct derives `askama::Template`; call `.render()` (or use askama's axum glue) in
//! the handler.

pub mod account;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod channels;
pub mod engine;
pub mod inbox;
pub mod inbox_reply;
pub mod inbox_work;
pub mod media;
pub mod publish;
pub mod publishing;
pub mod sections;
pub mod settings;
pub mod workflows;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::i18n::{self, Arg, Lang};

/// A point in time as templates hand it over: by value or behind any number of references
/// (askama passes loop variables and macro arguments by reference).
pub trait Moment {
    fn utc(&self) -> DateTime<Utc>;
}

impl Moment for DateTime<Utc> {
    fn utc(&self) -> DateTime<Utc> {
        *self
    }
}

impl<T: Moment + ?Sized> Moment for &T {
    fn utc(&self) -> DateTime<Utc> {
        (**self).utc()
    }
}

/// The top-level areas of the app, one per item in the primary navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Section {
    Publish,
    Inbox,
    Crisis,
    OnCall,
    Analytics,
    Governance,
    Media,
    Settings,
    Account,
    /// Pages outside every section: home, sign-in, errors.
    #[default]
    None,
}

impl Section {
    /// Stable code, used in CSS classes and compared by the navigation template.
    pub fn code(self) -> &'static str {
        match self {
            Section::Publish => "publish",
            Section::Inbox => "inbox",
            Section::Crisis => "crisis",
            Section::OnCall => "oncall",
            Section::Analytics => "analytics",
            Section::Governance => "governance",
            Section::Media => "media",
            Section::Settings => "settings",
            Section::Account => "account",
            Section::None => "none",
        }
    }

    /// The path of the section's landing page.
    pub fn href(self) -> &'static str {
        match self {
            Section::Publish => "/publish",
            Section::Inbox => "/inbox",
            Section::Crisis => "/crisis",
            Section::OnCall => "/oncall",
            Section::Analytics => "/analytics",
            Section::Governance => "/governance",
            Section::Media => "/media",
            Section::Settings => "/settings",
            Section::Account => "/account",
            Section::None => "/",
        }
    }
}

/// The signed-in person, as the layout needs them: for the user menu and for which navigation
/// items to show. Showing is not allowing: handlers check permissions on every request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NavUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub can_see_governance: bool,
    /// Organisation, workspaces, users, teams and security settings.
    pub can_manage_settings: bool,
    /// The audit log (Auditors have this without `can_manage_settings`).
    pub can_read_audit: bool,
    /// Drafts, publishes or approves posts somewhere: the calendar.
    pub can_see_posts: bool,
    /// Approves posts somewhere: the approvals page.
    pub can_approve: bool,
    /// Their presence, for the top bar's menu: shown to people who work the inbox somewhere.
    pub presence: Option<NavPresence>,
}

/// The signed-in person's presence in the top bar: a dot and a label that open a small menu.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NavPresence {
    /// `available`, `away` or `off_shift` (the dot's colour).
    pub code: &'static str,
    pub label: String,
    /// Away because idle (said in the menu: their next activity brings them back).
    pub automatic: bool,
    pub choices: Vec<PresenceChoice>,
    /// Rendered as the answer to a change from the menu itself (the script puts the focus back
    /// on it).
    pub just_set: bool,
}

/// One choice of the presence menu.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresenceChoice {
    pub code: &'static str,
    pub label: String,
    pub current: bool,
}

impl NavPresence {
    pub fn new(
        lang: Lang,
        status: owlery_domain::inbox::assignment::Presence,
        automatic: bool,
    ) -> NavPresence {
        use owlery_domain::inbox::assignment::Presence;
        let label =
            |p: Presence| i18n::tr(lang, &format!("presence-{}", p.code().replace('_', "-")));
        NavPresence {
            code: status.code(),
            label: if automatic {
                i18n::tr(lang, "presence-away-auto")
            } else {
                label(status)
            },
            automatic,
            choices: Presence::ALL
                .into_iter()
                .map(|p| PresenceChoice {
                    code: p.code(),
                    label: label(p),
                    current: p == status,
                })
                .collect(),
            just_set: false,
        }
    }
}

/// A colleague's availability where a person is chosen for a conversation (the assignee field,
/// the bulk bar, the list's person filter, team members): a word, never colour alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Availability {
    /// `available`, `away` or `off_shift` (a dot's colour, beside the word).
    pub code: &'static str,
    /// "available", "away", "away (idle)", "off shift".
    pub word: String,
}

impl Availability {
    pub fn new(
        lang: Lang,
        status: owlery_domain::inbox::assignment::Presence,
        automatic: bool,
    ) -> Availability {
        use owlery_domain::inbox::assignment::Presence;
        let key = match status {
            Presence::Away if automatic => "availability-away-auto",
            Presence::Away => "availability-away",
            Presence::Available => "availability-available",
            Presence::OffShift => "availability-off-shift",
        };
        Availability {
            code: status.code(),
            word: i18n::tr(lang, key),
        }
    }

    /// "Maria Petrova — away": a person with their availability, as the text of a select's
    /// option (options hold text only).
    pub fn label(&self, lang: Lang, name: &str) -> String {
        i18n::tr_args(
            lang,
            "person-with-availability",
            &[
                ("name", name.into()),
                ("availability", self.word.as_str().into()),
            ],
        )
    }
}

/// The presence menu alone: the answer to a change made from it with htmx.
#[derive(askama::Template)]
#[template(path = "_presence_partial.html")]
pub struct PresenceMenuView {
    pub page: Page,
}

impl NavUser {
    /// Up to two initials for the avatar circle ("Maria Ivanova" → "MI").
    pub fn initials(&self) -> String {
        let source = if self.name.trim().is_empty() {
            &self.email
        } else {
            &self.name
        };
        source
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect()
    }

    /// Whether the Settings item shows in the primary navigation.
    pub fn sees_settings(&self) -> bool {
        self.can_manage_settings || self.can_read_audit
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
    Info,
}

impl FlashKind {
    pub fn code(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
            FlashKind::Info => "info",
        }
    }
}

/// A one-time message shown at the top of the next page ("User created."). `message` is already
/// translated (use [`i18n::tr`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Success,
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Error,
            message: message.into(),
        }
    }
    pub fn info(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Info,
            message: message.into(),
        }
    }
}

/// What every page template needs besides its own data.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    /// The viewer's time zone; every date on the page is shown in it.
    pub tz: Tz,
    /// Goes into every form as the hidden field `csrf_token`, into `<meta name="csrf-token">`,
    /// and (through `static/app.js`) into every htmx request as the header `X-CSRF-Token`.
    pub csrf_token: String,
    pub user: Option<NavUser>,
    pub section: Section,
    /// The document title, when the handler wants one; otherwise the template's own title.
    pub title: String,
    pub flash: Option<Flash>,
    /// The current path and query, sent as `next` by the language switcher so the handler can
    /// redirect back. Handlers must accept only local paths (starting with one `/`).
    pub path: String,
}

impl Page {
    pub fn new(lang: Lang, tz: Tz, csrf_token: impl Into<String>) -> Self {
        Self {
            lang,
            tz,
            csrf_token: csrf_token.into(),
            user: None,
            section: Section::None,
            title: String::new(),
            flash: None,
            path: "/".to_owned(),
        }
    }

    pub fn with_user(mut self, user: NavUser) -> Self {
        self.user = Some(user);
        self
    }
    pub fn with_section(mut self, section: Section) -> Self {
        self.section = section;
        self
    }
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }
    pub fn with_flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash;
        self
    }
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// A translated message.
    pub fn t(&self, key: &str) -> String {
        i18n::tr(self.lang, key)
    }

    /// A translated message with one argument (a string or an integer).
    pub fn t1(&self, key: &str, name: &str, value: impl Into<Arg>) -> String {
        i18n::tr_args(self.lang, key, &[(name, value.into())])
    }

    /// A translated message with two arguments.
    pub fn t2(
        &self,
        key: &str,
        name1: &str,
        value1: impl Into<Arg>,
        name2: &str,
        value2: impl Into<Arg>,
    ) -> String {
        i18n::tr_args(
            self.lang,
            key,
            &[(name1, value1.into()), (name2, value2.into())],
        )
    }

    /// Date and time in the viewer's time zone and language.
    pub fn dt(&self, at: impl Moment) -> String {
        i18n::fmt_datetime(self.lang, at.utc(), self.tz)
    }

    /// Date in the viewer's time zone and language.
    pub fn date(&self, at: impl Moment) -> String {
        i18n::fmt_date(self.lang, at.utc(), self.tz)
    }

    /// The machine-readable form for `<time datetime>` (UTC, RFC 3339).
    pub fn iso(&self, at: impl Moment) -> String {
        at.utc().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// A number with the language's digit grouping.
    pub fn num(&self, n: impl Into<Arg>) -> String {
        match n.into() {
            Arg::Num(n) => i18n::fmt_number(self.lang, n),
            Arg::Str(s) => s,
        }
    }

    /// The display name of a role code (`community_agent` → "Community agent").
    pub fn role_name(&self, code: &str) -> String {
        self.code_message("role-", code, "")
    }

    /// One sentence on what a role may do.
    pub fn role_desc(&self, code: &str) -> String {
        self.code_message("role-", code, "-desc")
    }

    /// The display name of a permission / API token scope code (`posts:publish`).
    pub fn perm_name(&self, code: &str) -> String {
        self.code_message("perm-", code, "")
    }

    fn code_message(&self, prefix: &str, code: &str, suffix: &str) -> String {
        let key = format!("{prefix}{}{suffix}", code.replace(['_', ':'], "-"));
        if i18n::has_key(self.lang, &key) {
            i18n::tr(self.lang, &key)
        } else {
            code.to_owned()
        }
    }

    /// Whether the primary-navigation item with this section code is the current one.
    pub fn is_section(&self, code: &str) -> bool {
        self.section.code() == code
    }

    /// The URL of a static asset with its content hash (see [`crate::ui::assets`]).
    pub fn asset(&self, name: &str) -> String {
        crate::ui::assets::asset_url(name)
    }

    /// The languages for the switcher, the current one selected.
    pub fn lang_options(&self) -> Vec<LangOption> {
        Lang::ALL
            .into_iter()
            .map(|l| LangOption {
                code: l.code(),
                name: l.native_name(),
                selected: l == self.lang,
            })
            .collect()
    }

    pub fn user_name(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.name.as_str())
            .unwrap_or_default()
    }

    pub fn can_manage_settings(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.can_manage_settings)
    }

    pub fn can_read_audit(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.can_read_audit || u.can_manage_settings)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LangOption {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

/// One `<option>` of a select whose labels the handler already knows (workspace names, users).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// A validation message for one form field; `field` is the input's `name`, or empty for a
/// message about the whole form. `message` is already translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The validation messages of one form. Templates ask by field name; the input then gets
/// `aria-invalid="true"` and `aria-describedby` pointing at its message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// The first message for `field`.
    pub fn get(&self, field: impl AsRef<str>) -> Option<&str> {
        let field = field.as_ref();
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn has(&self, field: impl AsRef<str>) -> bool {
        self.get(field).is_some()
    }

    /// Messages that belong to no single field.
    pub fn general(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter(|e| e.field.is_empty())
            .map(|e| e.message.as_str())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<FieldError>> for FormErrors {
    fn from(v: Vec<FieldError>) -> Self {
        Self(v)
    }
}

/// The role codes, in display order (from the domain, so there is one list).
pub const ROLE_CODES: [&str; 8] = {
    let mut out = [""; 8];
    let mut i = 0;
    while i < out.len() {
        out[i] = owlery_domain::Role::ALL[i].code();
        i += 1;
    }
    out
};

/// The permission codes that may be API token scopes (from the domain).
pub const PERMISSION_CODES: [&str; 19] = {
    let mut out = [""; 19];
    let mut i = 0;
    while i < out.len() {
        out[i] = owlery_domain::Permission::ALL[i].code();
        i += 1;
    }
    out
};

/// Where a role applies. `value` is what the scope `<select>` submits: `org`,
/// `workspace:<id>` or `channel:<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeOption {
    pub value: String,
    /// The workspace or channel name; empty for the organisation.
    pub name: String,
    pub kind: ScopeKind,
    pub selected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Organisation,
    Workspace,
    Channel,
}

impl ScopeKind {
    pub fn code(self) -> &'static str {
        match self {
            ScopeKind::Organisation => "organisation",
            ScopeKind::Workspace => "workspace",
            ScopeKind::Channel => "channel",
        }
    }
}

impl ScopeOption {
    pub fn organisation() -> Self {
        Self {
            value: "org".to_owned(),
            name: String::new(),
            kind: ScopeKind::Organisation,
            selected: false,
        }
    }
    pub fn workspace(id: impl std::fmt::Display, name: impl Into<String>) -> Self {
        Self {
            value: format!("workspace:{id}"),
            name: name.into(),
            kind: ScopeKind::Workspace,
            selected: false,
        }
    }
    pub fn channel(id: impl std::fmt::Display, name: impl Into<String>) -> Self {
        Self {
            value: format!("channel:{id}"),
            name: name.into(),
            kind: ScopeKind::Channel,
            selected: false,
        }
    }
    /// Marks the option whose value equals `value` as selected.
    pub fn select(mut options: Vec<ScopeOption>, value: &str) -> Vec<ScopeOption> {
        for o in &mut options {
            o.selected = o.value == value;
        }
        options
    }
}

/// A role granted at a scope, as shown in lists ("Publisher · Brand EU").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAt {
    /// Role code (`publisher`).
    pub role: String,
    pub scope_kind: ScopeKind,
    /// Workspace or channel name; empty for the organisation.
    pub scope_name: String,
}

impl Page {
    /// For table cells under a "Where" heading: "Whole organisation", "Brand EU",
    /// "@acme (channel)".
    pub fn scope_short(&self, kind: &ScopeKind, name: &str) -> String {
        match kind {
            ScopeKind::Organisation => self.t("scope-organisation"),
            ScopeKind::Workspace => name.to_owned(),
            ScopeKind::Channel => self.t1("scope-channel-short", "name", name),
        }
    }

    /// Whether any scope option is of this kind (`organisation`, `workspace`, `channel`), to
    /// leave out empty `<optgroup>`s.
    pub fn has_scope_kind(&self, options: &[ScopeOption], kind: &str) -> bool {
        options.iter().any(|o| o.kind.code() == kind)
    }

    /// "Whole organisation", "Workspace: Brand EU", "Channel: @acme".
    pub fn scope_label(&self, kind: &ScopeKind, name: &str) -> String {
        match kind {
            ScopeKind::Organisation => self.t("scope-organisation"),
            ScopeKind::Workspace => self.t1("scope-workspace-named", "name", name),
            ScopeKind::Channel => self.t1("scope-channel-named", "name", name),
        }
    }
}

/// A curated list of IANA time zones for pickers, with `current` added when it is not in it.
pub fn tz_options(current: &str) -> Vec<SelectOption> {
    const ZONES: &[&str] = &[
        "UTC",
        "Europe/London",
        "Europe/Dublin",
        "Europe/Lisbon",
        "Europe/Madrid",
        "Europe/Paris",
        "Europe/Brussels",
        "Europe/Amsterdam",
        "Europe/Berlin",
        "Europe/Zurich",
        "Europe/Rome",
        "Europe/Vienna",
        "Europe/Prague",
        "Europe/Warsaw",
        "Europe/Stockholm",
        "Europe/Copenhagen",
        "Europe/Oslo",
        "Europe/Helsinki",
        "Europe/Athens",
        "Europe/Sofia",
        "Europe/Bucharest",
        "Europe/Belgrade",
        "Europe/Istanbul",
        "Europe/Kyiv",
        "Africa/Cairo",
        "Africa/Johannesburg",
        "Africa/Lagos",
        "Africa/Nairobi",
        "Asia/Dubai",
        "Asia/Kolkata",
        "Asia/Singapore",
        "Asia/Hong_Kong",
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Asia/Seoul",
        "Australia/Perth",
        "Australia/Sydney",
        "Pacific/Auckland",
        "America/St_Johns",
        "America/Halifax",
        "America/New_York",
        "America/Toronto",
        "America/Chicago",
        "America/Mexico_City",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "America/Bogota",
        "America/Lima",
        "America/Santiago",
        "America/Sao_Paulo",
        "America/Argentina/Buenos_Aires",
    ];
    let mut options: Vec<SelectOption> = ZONES
        .iter()
        .map(|z| SelectOption::new(*z, z.replace('_', " "), *z == current))
        .collect();
    if !current.is_empty() && !ZONES.contains(&current) {
        options.insert(
            0,
            SelectOption::new(current, current.replace('_', " "), true),
        );
    }
    options
}

#[cfg(test)]
pub(crate) mod testing {
    //! Sample data shared by the view tests, and a helper that writes rendered pages for preview.
    use super::*;
    use chrono::TimeZone;

    pub fn page(lang: Lang, section: Section) -> Page {
        Page::new(lang, "Europe/Sofia".parse().unwrap(), "csrf-test-token-123")
            .with_user(NavUser {
                id: "u1".into(),
                name: "Maria Ivanova".into(),
                email: "maria@example.com".into(),
                can_see_governance: true,
                can_manage_settings: true,
                can_read_audit: true,
                can_see_posts: true,
                can_approve: true,
                presence: Some(NavPresence::new(
                    lang,
                    owlery_domain::inbox::assignment::Presence::Available,
                    false,
                )),
            })
            .with_section(section)
            .with_path("/somewhere?x=1")
    }

    pub fn anon(lang: Lang) -> Page {
        Page::new(lang, Tz::UTC, "csrf-test-token-123")
    }

    pub fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
            .unwrap()
    }

    /// Renders, checks what every page must have, and (when `OWLERY_UI_PREVIEW` names a folder)
    /// writes the HTML there for screenshots.
    pub fn render<T: askama::Template>(name: &str, view: &T, lang: Lang) -> String {
        let html = view.render().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(html.starts_with("<!doctype html>"), "{name}: no doctype");
        assert!(
            html.contains(&format!("<html lang=\"{}\"", lang.code())),
            "{name}: lang attribute"
        );
        assert!(html.contains("<main id=\"main\""), "{name}: main landmark");
        assert_eq!(html.matches("<h1").count(), 1, "{name}: exactly one h1");
        // Every POST form carries the CSRF token.
        let posts = html.matches("method=\"post\"").count();
        let tokens = html
            .matches("name=\"csrf_token\" value=\"csrf-test-token-123\"")
            .count();
        assert_eq!(
            posts, tokens,
            "{name}: {posts} POST forms but {tokens} CSRF fields"
        );
        // Labels: every visible input, select and textarea has an id that a label points at.
        for id in ids_of_fields(&html) {
            assert!(
                html.contains(&format!("for=\"{id}\"")),
                "{name}: field #{id} has no <label for>"
            );
        }
        // No message key leaked because of a typo in a dynamic lookup.
        for fragment in ["role-", "perm-", "nav-", "settings-", "section-"] {
            let leaked = html.split(['>', '<']).any(|text| {
                text.trim().starts_with(fragment) && !text.contains(' ') && !text.contains('=')
            });
            assert!(
                !leaked,
                "{name}: a raw message key starting with {fragment} is visible"
            );
        }
        if lang == Lang::Bg && html.contains("class=\"nav-primary\"") {
            assert!(
                html.contains(">Входящи<"),
                "{name}: Bulgarian navigation missing"
            );
        }
        if lang == Lang::Bg {
            assert!(
                html.contains("Към съдържанието"),
                "{name}: Bulgarian skip link missing"
            );
        }
        if let Ok(dir) = std::env::var("OWLERY_UI_PREVIEW") {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(format!("{dir}/{name}.{}.html", lang.code()), &html).unwrap();
        }
        html
    }

    fn ids_of_fields(html: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for tag in ["<input", "<select", "<textarea"] {
            for (pos, _) in html.match_indices(tag) {
                let end = html[pos..].find('>').map_or(html.len(), |e| pos + e);
                let element = &html[pos..end];
                if element.contains("type=\"hidden\"")
                    || element.contains("type=\"submit\"")
                    || element.ends_with(" hidden")
                {
                    continue;
                }
                let Some(i) = element.find(" id=\"") else {
                    panic!("field without id: {element}");
                };
                let rest = &element[i + 5..];
                ids.push(rest[..rest.find('"').unwrap()].to_owned());
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let page = testing::page(Lang::Bg, Section::Inbox);
        assert_eq!(page.role_name("community_agent"), "Агент на общността");
        assert_eq!(page.role_name("no_such_role"), "no_such_role");
        assert_eq!(
            page.perm_name("posts:publish"),
            i18n::tr(Lang::Bg, "perm-posts-publish")
        );
        assert_eq!(page.num(12_345_i64), "12\u{a0}345");
        assert_eq!(page.dt(testing::at(26, 13, 45)), "26.11.2026 г., 15:45");
        assert_eq!(page.iso(testing::at(26, 13, 45)), "2026-11-26T13:45:00Z");
        assert!(page.is_section("inbox"));
        assert_eq!(page.user.as_ref().unwrap().initials(), "MI");
        let mut errors = FormErrors::new();
        errors.push("email", "bad");
        assert_eq!(errors.get("email"), Some("bad"));
        assert!(!errors.has("name"));
    }

    #[test]
    fn availability_is_said_in_words_in_both_languages() {
        use owlery_domain::inbox::assignment::Presence;
        let a = Availability::new(Lang::En, Presence::Away, false);
        assert_eq!((a.code, a.word.as_str()), ("away", "away"));
        assert_eq!(a.label(Lang::En, "Maria Petrova"), "Maria Petrova — away");
        let idle = Availability::new(Lang::En, Presence::Away, true);
        assert_eq!(idle.label(Lang::En, "Bo"), "Bo — away (idle)");
        // `automatic` means nothing on a status other than away.
        let off = Availability::new(Lang::En, Presence::OffShift, true);
        assert_eq!((off.code, off.word.as_str()), ("off_shift", "off shift"));
        assert_eq!(
            Availability::new(Lang::Bg, Presence::OffShift, false).label(Lang::Bg, "Мария"),
            "Мария — извън смяна"
        );
        for lang in Lang::ALL {
            for p in Presence::ALL {
                for automatic in [false, true] {
                    let a = Availability::new(lang, p, automatic);
                    assert!(!a.word.starts_with("availability-"), "{lang}: {p:?}");
                    assert_eq!(a.code, p.code());
                }
            }
        }
    }

    #[test]
    fn every_role_and_permission_has_names_in_both_languages() {
        for lang in Lang::ALL {
            let page = Page::new(lang, Tz::UTC, "");
            for code in ROLE_CODES {
                assert_ne!(page.role_name(code), code, "{lang}: {code}");
                assert_ne!(page.role_desc(code), code, "{lang}: {code} description");
            }
            for code in PERMISSION_CODES {
                assert_ne!(page.perm_name(code), code, "{lang}: {code}");
            }
        }
    }

    #[test]
    fn time_zone_options_keep_the_current_value() {
        let options = tz_options("Asia/Kathmandu");
        assert_eq!(options[0].value, "Asia/Kathmandu");
        assert!(options[0].selected);
        assert_eq!(
            tz_options("Europe/Sofia")
                .iter()
                .filter(|o| o.selected)
                .count(),
            1
        );
        for o in tz_options("") {
            assert!(
                o.value.parse::<Tz>().is_ok(),
                "{} is not a time zone",
                o.value
            );
        }
    }
}
