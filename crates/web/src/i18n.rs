//! Translations and locale-aware formatting for the UI.
//!
//! Messages live in Fluent files under `crates/web/locales/{en,bg}/*.ftl`, compiled into the binary
//! with `include_str!` and parsed once into one bundle per language. A key missing from a bundle
//! renders as the key itself (and is logged once), so a gap is visible but never breaks a page.
//! Unicode isolation marks are turned off: our arguments are names and numbers inside HTML, and the
//! invisible marks would only get in the way of copy-and-paste and of tests.
//!
//! Dates and numbers are formatted here with explicit per-language patterns rather than through
//! Fluent's `DATETIME`/`NUMBER` functions, so that a template shows the same shape everywhere.
//! Numbers passed as Fluent arguments are formatted with the same grouping as [`fmt_number`].
//!
//! What does not live here: choosing the language of a request (the handlers read the user's
//! setting, then the `Accept-Language` header via [`Lang::from_accept_language`]).

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language the UI is translated into.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Bg,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Bg];

    /// The BCP 47 primary language code, as used in `<html lang>` and stored in user settings.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Bg => "bg",
        }
    }

    /// The language's name in itself, for the language switcher ("English", "Български").
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Bg => "Български",
        }
    }

    /// Parses `en`, `bg`, and region or script variants of them (`en-GB`, `bg_BG`), any case.
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "bg" => Some(Lang::Bg),
            _ => None,
        }
    }

    /// The best supported language from an `Accept-Language` header value, by quality; English
    /// when nothing matches or the header is malformed.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (index, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let mut quality = 1.0_f32;
            for param in parts {
                if let Some(q) = param.trim().strip_prefix("q=") {
                    quality = q.trim().parse().unwrap_or(0.0);
                }
            }
            if quality <= 0.0 {
                continue;
            }
            let Some(lang) = Lang::parse(tag) else {
                continue;
            };
            // Higher quality wins; on a tie the earlier entry wins.
            let better = match best {
                None => true,
                Some((q, i, _)) => quality > q || (quality == q && index < i),
            };
            if better {
                best = Some((quality, index, lang));
            }
        }
        best.map(|(_, _, lang)| lang).unwrap_or_default()
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::En => unic_langid::langid!("en-GB"),
            Lang::Bg => unic_langid::langid!("bg-BG"),
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The Fluent sources of one language, in a fixed order. Tests read the same list.
pub(crate) fn sources(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::En => &[
            ("common.ftl", include_str!("../locales/en/common.ftl")),
            ("auth.ftl", include_str!("../locales/en/auth.ftl")),
            ("sections.ftl", include_str!("../locales/en/sections.ftl")),
            ("settings.ftl", include_str!("../locales/en/settings.ftl")),
            ("workflows.ftl", include_str!("../locales/en/workflows.ftl")),
            ("account.ftl", include_str!("../locales/en/account.ftl")),
            ("audit.ftl", include_str!("../locales/en/audit.ftl")),
            ("roles.ftl", include_str!("../locales/en/roles.ftl")),
            ("messages.ftl", include_str!("../locales/en/messages.ftl")),
            ("compose.ftl", include_str!("../locales/en/compose.ftl")),
            (
                "publishing.ftl",
                include_str!("../locales/en/publishing.ftl"),
            ),
            ("media.ftl", include_str!("../locales/en/media.ftl")),
            ("campaigns.ftl", include_str!("../locales/en/campaigns.ftl")),
            ("engine.ftl", include_str!("../locales/en/engine.ftl")),
            ("channels.ftl", include_str!("../locales/en/channels.ftl")),
            ("inbox.ftl", include_str!("../locales/en/inbox.ftl")),
            (
                "inbox_work.ftl",
                include_str!("../locales/en/inbox_work.ftl"),
            ),
            (
                "inbox_rules.ftl",
                include_str!("../locales/en/inbox_rules.ftl"),
            ),
            (
                "inbox_reply.ftl",
                include_str!("../locales/en/inbox_reply.ftl"),
            ),
        ],
        Lang::Bg => &[
            ("common.ftl", include_str!("../locales/bg/common.ftl")),
            ("auth.ftl", include_str!("../locales/bg/auth.ftl")),
            ("sections.ftl", include_str!("../locales/bg/sections.ftl")),
            ("settings.ftl", include_str!("../locales/bg/settings.ftl")),
            ("workflows.ftl", include_str!("../locales/bg/workflows.ftl")),
            ("account.ftl", include_str!("../locales/bg/account.ftl")),
            ("audit.ftl", include_str!("../locales/bg/audit.ftl")),
            ("roles.ftl", include_str!("../locales/bg/roles.ftl")),
            ("messages.ftl", include_str!("../locales/bg/messages.ftl")),
            ("compose.ftl", include_str!("../locales/bg/compose.ftl")),
            (
                "publishing.ftl",
                include_str!("../locales/bg/publishing.ftl"),
            ),
            ("media.ftl", include_str!("../locales/bg/media.ftl")),
            ("campaigns.ftl", include_str!("../locales/bg/campaigns.ftl")),
            ("engine.ftl", include_str!("../locales/bg/engine.ftl")),
            ("channels.ftl", include_str!("../locales/bg/channels.ftl")),
            ("inbox.ftl", include_str!("../locales/bg/inbox.ftl")),
            (
                "inbox_work.ftl",
                include_str!("../locales/bg/inbox_work.ftl"),
            ),
            (
                "inbox_rules.ftl",
                include_str!("../locales/bg/inbox_rules.ftl"),
            ),
            (
                "inbox_reply.ftl",
                include_str!("../locales/bg/inbox_reply.ftl"),
            ),
        ],
    }
}

type Bundle = FluentBundle<FluentResource>;

fn build_bundle(lang: Lang) -> Bundle {
    let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
    bundle.set_use_isolating(false);
    match lang {
        Lang::En => bundle.set_formatter(Some(|value, _| format_fluent_number(Lang::En, value))),
        Lang::Bg => bundle.set_formatter(Some(|value, _| format_fluent_number(Lang::Bg, value))),
    }
    for (name, source) in sources(lang) {
        let resource = match FluentResource::try_new((*source).to_owned()) {
            Ok(resource) => resource,
            Err((resource, errors)) => {
                // Unit tests fail on this; at run time we keep what parsed.
                tracing::error!(
                    locale = lang.code(),
                    file = name,
                    ?errors,
                    "Fluent file has syntax errors"
                );
                resource
            }
        };
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(
                locale = lang.code(),
                file = name,
                ?errors,
                "Fluent file redefines messages"
            );
        }
    }
    bundle
}

static EN: LazyLock<Bundle> = LazyLock::new(|| build_bundle(Lang::En));
static BG: LazyLock<Bundle> = LazyLock::new(|| build_bundle(Lang::Bg));

fn bundle(lang: Lang) -> &'static Bundle {
    match lang {
        Lang::En => &EN,
        Lang::Bg => &BG,
    }
}

/// Keys already reported as missing, so a busy page does not flood the log.
static WARNED: LazyLock<Mutex<HashSet<(Lang, String)>>> =
    LazyLock::new(|| Mutex::new(HashSet::new()));

fn warn_once(lang: Lang, key: &str, what: &str) {
    let first = match WARNED.lock() {
        Ok(mut seen) => seen.insert((lang, key.to_owned())),
        Err(_) => true,
    };
    if first {
        tracing::warn!(i18n.locale = lang.code(), i18n.key = key, "{what}");
    }
}

/// An argument to a translated message.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Str(String),
    /// A number: selects the plural form and is shown with the language's digit grouping.
    Num(i64),
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Str(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Str(v.clone())
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Str(v.to_owned())
    }
}
impl From<&&str> for Arg {
    fn from(v: &&str) -> Self {
        Arg::Str((*v).to_owned())
    }
}
macro_rules! arg_from_int {
    ($($t:ty)*) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Self {
                Arg::Num(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        impl From<&$t> for Arg {
            fn from(v: &$t) -> Self {
                Arg::Num(i64::try_from(*v).unwrap_or(i64::MAX))
            }
        }
    )*};
}
arg_from_int!(i8 i16 i32 i64 u8 u16 u32 u64 usize isize);

/// The message `key` in `lang`, or the key itself when it is missing.
pub fn tr(lang: Lang, key: &str) -> String {
    format(lang, key, None)
}

/// The message `key` in `lang` with named arguments, or the key itself when it is missing.
///
/// ```ignore
/// tr_args(Lang::En, "users-count", &[("count", 3.into())]);
/// ```
pub fn tr_args(lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        match value {
            Arg::Str(s) => fluent_args.set(*name, FluentValue::from(s.clone())),
            Arg::Num(n) => fluent_args.set(*name, FluentValue::from(*n)),
        }
    }
    format(lang, key, Some(&fluent_args))
}

/// The message `key` in `lang`, or `fallback` when there is none: for messages that come from the
/// domain in English and have a translation only for the common cases.
pub fn tr_or(lang: Lang, key: &str, fallback: &str) -> String {
    if has_key(lang, key) {
        tr(lang, key)
    } else {
        fallback.to_owned()
    }
}

fn format(lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
    let bundle = bundle(lang);
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        warn_once(lang, key, "translation missing");
        return key.to_owned();
    };
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        warn_once(
            lang,
            key,
            "translation formatted with errors (a missing argument?)",
        );
    }
    text.into_owned()
}

/// Whether `key` exists in the bundle of `lang`.
pub fn has_key(lang: Lang, key: &str) -> bool {
    bundle(lang).has_message(key)
}

fn format_fluent_number(lang: Lang, value: &FluentValue) -> Option<String> {
    match value {
        FluentValue::Number(n) if n.value.fract() == 0.0 && n.value.abs() < 9.0e15 => {
            // Exact: the magnitude check above keeps the value inside i64's exact range.
            #[expect(
                clippy::cast_possible_truncation,
                reason = "integral and in range, checked above"
            )]
            let int = n.value as i64;
            Some(fmt_number(lang, int))
        }
        _ => None,
    }
}

/// An integer with the language's digit grouping: en `12,345`; bg `12 345` (no-break space;
/// Bulgarian, like CLDR, leaves four-digit numbers ungrouped: `1234`).
pub fn fmt_number(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let (separator, min_digits) = match lang {
        Lang::En => (',', 4),
        Lang::Bg => ('\u{a0}', 5),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    if digits.len() < min_digits {
        out.push_str(&digits);
        return out;
    }
    let first = digits.len() % 3;
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (i + 3 - first).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(ch);
    }
    out
}

/// A moment shown in a time zone: en `26 Nov 2026, 15:45`; bg `26.11.2026 г., 15:45`.
pub fn fmt_datetime(lang: Lang, at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    match lang {
        Lang::En => local.format("%-d %b %Y, %H:%M").to_string(),
        Lang::Bg => local.format("%d.%m.%Y г., %H:%M").to_string(),
    }
}

/// The calendar date of a moment in a time zone: en `26 Nov 2026`; bg `26.11.2026 г.`.
pub fn fmt_date(lang: Lang, at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    match lang {
        Lang::En => local.format("%-d %b %Y").to_string(),
        Lang::Bg => local.format("%d.%m.%Y г.").to_string(),
    }
}

/// How long ago (or how far ahead) `at` is from `now`, in words: "3 minutes ago", "in 2 days".
/// Coarse on purpose: for exact times use [`fmt_datetime`].
pub fn fmt_relative(lang: Lang, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    let future = seconds < 0;
    let s = seconds.unsigned_abs();
    let (key, count) = if s < 60 {
        return tr(lang, "time-just-now");
    } else if s < 3600 {
        ("time-minutes", s / 60)
    } else if s < 86_400 {
        ("time-hours", s / 3600)
    } else {
        ("time-days", s / 86_400)
    };
    let amount = tr_args(lang, key, &[("count", count.into())]);
    let wrapper = if future { "time-in" } else { "time-ago" };
    tr_args(lang, wrapper, &[("amount", amount.into())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};

    /// Every message id and the variables its value and attributes use, per language.
    fn messages(lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for (name, source) in sources(lang) {
            let resource = fluent_syntax::parser::parse(*source)
                .unwrap_or_else(|(_, errors)| panic!("{}/{name}: {errors:?}", lang.code()));
            for entry in resource.body {
                match entry {
                    ast::Entry::Message(m) => {
                        let mut vars = BTreeSet::new();
                        if let Some(p) = &m.value {
                            pattern_vars(p, &mut vars);
                        }
                        let id = m.id.name.to_owned();
                        assert!(
                            out.insert(id.clone(), vars).is_none(),
                            "{}/{name}: duplicate key {id}",
                            lang.code()
                        );
                    }
                    ast::Entry::Junk { content } => {
                        panic!("{}/{name}: junk: {content}", lang.code())
                    }
                    _ => {}
                }
            }
        }
        out
    }

    fn pattern_vars(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for el in &p.elements {
            if let ast::PatternElement::Placeable { expression } = el {
                expression_vars(expression, out);
            }
        }
    }

    fn expression_vars(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            ast::Expression::Select { selector, variants } => {
                inline_vars(selector, out);
                for v in variants {
                    pattern_vars(&v.value, out);
                }
            }
            ast::Expression::Inline(i) => inline_vars(i, out),
        }
    }

    fn inline_vars(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match i {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_owned());
            }
            ast::InlineExpression::Placeable { expression } => expression_vars(expression, out),
            ast::InlineExpression::FunctionReference { arguments, .. } => {
                for a in &arguments.positional {
                    inline_vars(a, out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_key_exists_in_every_language_with_the_same_variables() {
        let en = messages(Lang::En);
        let bg = messages(Lang::Bg);
        let en_keys: BTreeSet<_> = en.keys().collect();
        let bg_keys: BTreeSet<_> = bg.keys().collect();
        let only_en: Vec<_> = en_keys.difference(&bg_keys).collect();
        let only_bg: Vec<_> = bg_keys.difference(&en_keys).collect();
        assert!(only_en.is_empty(), "missing in bg: {only_en:?}");
        assert!(only_bg.is_empty(), "missing in en: {only_bg:?}");
        for (key, vars) in &en {
            assert_eq!(Some(vars), bg.get(key), "variables differ for {key}");
        }
    }

    #[test]
    fn bundles_parse_without_errors() {
        for lang in Lang::ALL {
            for (name, source) in sources(lang) {
                assert!(
                    FluentResource::try_new((*source).to_owned()).is_ok(),
                    "{}/{name} has syntax errors",
                    lang.code()
                );
            }
            assert!(has_key(lang, "app-name"));
        }
    }

    #[test]
    fn bulgarian_is_not_english() {
        // A translation left in English is a likely oversight; the few legitimate ones are listed.
        // `person-with-availability` is only punctuation around two arguments in both languages.
        let allowed: BTreeSet<&str> = ["app-name", "person-with-availability"].into();
        let en = messages(Lang::En);
        let mut same = Vec::new();
        for key in en.keys() {
            if allowed.contains(key.as_str()) {
                continue;
            }
            let e = tr(Lang::En, key);
            let b = tr(Lang::Bg, key);
            if e == b
                && e.chars().any(|c| c.is_ascii_alphabetic())
                && e.split_whitespace().count() > 1
            {
                same.push(key.clone());
            }
        }
        assert!(same.is_empty(), "untranslated in bg: {same:?}");
    }

    /// Finds `t("key")`, `t1("key", …)` and `t2("key", …)` calls in the templates and checks that
    /// each key exists in both languages.
    #[test]
    fn every_key_used_in_templates_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut files = Vec::new();
        collect_html(&root, &mut files);
        assert!(
            files.len() > 10,
            "templates not found under {}",
            root.display()
        );
        let mut used = BTreeSet::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for call in ["t(\"", "t1(\"", "t2(\""] {
                for (pos, _) in text.match_indices(call) {
                    // `page.t(` or `.t1(`: require a preceding dot to skip words ending in "t".
                    if pos == 0 || &text[pos - 1..pos] != "." {
                        continue;
                    }
                    let rest = &text[pos + call.len()..];
                    let end = rest.find('"').unwrap();
                    used.insert((rest[..end].to_owned(), file.display().to_string()));
                }
            }
        }
        assert!(
            used.len() > 100,
            "suspiciously few keys found: {}",
            used.len()
        );
        for lang in Lang::ALL {
            for (key, file) in &used {
                assert!(
                    has_key(lang, key),
                    "{key} used in {file} is missing in {}",
                    lang.code()
                );
            }
        }
    }

    fn collect_html(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect_html(&path, out);
            } else if path.extension().is_some_and(|e| e == "html") {
                out.push(path);
            }
        }
    }

    #[test]
    fn missing_key_returns_the_key() {
        assert_eq!(tr(Lang::En, "no-such-key-anywhere"), "no-such-key-anywhere");
        assert_eq!(tr(Lang::Bg, "no-such-key-anywhere"), "no-such-key-anywhere");
    }

    #[test]
    fn arguments_and_plurals() {
        assert_eq!(
            tr_args(Lang::En, "count-users", &[("count", 1.into())]),
            "1 user"
        );
        assert_eq!(
            tr_args(Lang::En, "count-users", &[("count", 12_345.into())]),
            "12,345 users"
        );
        assert_eq!(
            tr_args(Lang::Bg, "count-users", &[("count", 1.into())]),
            "1 потребител"
        );
        assert_eq!(
            tr_args(Lang::Bg, "count-users", &[("count", 12_345.into())]),
            "12\u{a0}345 потребители"
        );
        let mail = tr_args(
            Lang::En,
            "reset-mail-body",
            &[
                ("name", "Maria".into()),
                ("link", "https://x.test/r/1".into()),
            ],
        );
        assert!(mail.starts_with("Hello Maria,\n\n"), "{mail:?}");
        assert!(mail.contains("\n\nhttps://x.test/r/1\n\n"), "{mail:?}");
        let hello = tr_args(Lang::Bg, "home-welcome", &[("org", "Acme".into())]);
        assert!(
            hello.contains("Acme") && !hello.contains('\u{2068}'),
            "{hello:?}"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(fmt_number(Lang::En, 0), "0");
        assert_eq!(fmt_number(Lang::En, 999), "999");
        assert_eq!(fmt_number(Lang::En, 1234), "1,234");
        assert_eq!(fmt_number(Lang::En, 12_345), "12,345");
        assert_eq!(fmt_number(Lang::En, -1_234_567), "-1,234,567");
        assert_eq!(fmt_number(Lang::Bg, 1234), "1234");
        assert_eq!(fmt_number(Lang::Bg, 12_345), "12\u{a0}345");
        assert_eq!(fmt_number(Lang::Bg, 1_234_567), "1\u{a0}234\u{a0}567");
        assert_eq!(
            fmt_number(Lang::Bg, i64::MIN),
            "-9\u{a0}223\u{a0}372\u{a0}036\u{a0}854\u{a0}775\u{a0}808"
        );
    }

    #[test]
    fn dates_in_the_users_time_zone() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 13, 45, 0).unwrap();
        let sofia: Tz = "Europe/Sofia".parse().unwrap();
        assert_eq!(fmt_datetime(Lang::En, at, sofia), "26 Nov 2026, 15:45");
        assert_eq!(fmt_datetime(Lang::Bg, at, sofia), "26.11.2026 г., 15:45");
        assert_eq!(fmt_datetime(Lang::En, at, Tz::UTC), "26 Nov 2026, 13:45");
        assert_eq!(fmt_date(Lang::En, at, sofia), "26 Nov 2026");
        assert_eq!(fmt_date(Lang::Bg, at, sofia), "26.11.2026 г.");
        // Late evening in New York is already the next day in Sofia.
        let late = Utc.with_ymd_and_hms(2026, 3, 5, 23, 30, 0).unwrap();
        assert_eq!(fmt_date(Lang::Bg, late, sofia), "06.03.2026 г.");
        assert_eq!(
            fmt_date(Lang::En, late, Tz::America__New_York),
            "5 Mar 2026"
        );
    }

    #[test]
    fn relative_times() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        assert_eq!(fmt_relative(Lang::En, now, now), "just now");
        assert_eq!(
            fmt_relative(Lang::En, now - chrono::Duration::minutes(5), now),
            "5 minutes ago"
        );
        assert_eq!(
            fmt_relative(Lang::En, now + chrono::Duration::hours(1), now),
            "in 1 hour"
        );
        assert_eq!(
            fmt_relative(Lang::Bg, now - chrono::Duration::days(2), now),
            "преди 2 дни"
        );
        assert_eq!(
            fmt_relative(Lang::Bg, now + chrono::Duration::minutes(1), now),
            "след 1 минута"
        );
    }

    #[test]
    fn language_negotiation() {
        assert_eq!(Lang::parse("bg-BG"), Some(Lang::Bg));
        assert_eq!(Lang::parse("EN_us"), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::from_accept_language("bg,en;q=0.8"), Lang::Bg);
        assert_eq!(
            Lang::from_accept_language("de-DE,de;q=0.9,bg;q=0.5,en;q=0.4"),
            Lang::Bg
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.3, bg-BG;q=0.9"),
            Lang::Bg
        );
        assert_eq!(Lang::from_accept_language("fr, de"), Lang::En);
        assert_eq!(Lang::from_accept_language("bg;q=0"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language(";;;,q=x"), Lang::En);
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
    }
}
