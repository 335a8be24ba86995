//! The `notification.mail` job: the e-mail copy of an in-app notification, written in the
//! recipient's language (English or Bulgarian) and sent through the [`Mailer`].
//!
//! The texts are Fluent messages in the web's `locales/{en,bg}/notifications.ftl` (where every
//! text a person reads lives), compiled in: `notification-<kind>-subject` and `-body`, with the
//! notification's params as arguments. A kind without texts gets a generic message rather than
//! no mail. Times among the params (RFC 3339 strings) are shown in the recipient's time zone.
//!
//! The Message-ID comes from the notification's id, so a repeated job is one message to a mail
//! client. Nothing here logs the body; only the recipient's domain.

use std::sync::LazyLock;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use owlery_domain::{mail::OutgoingMail, user::UserStatus};
use owlery_store::{
    Store, StoreError,
    jobs::Job,
    notifications::{MAIL_JOB, Notification},
    users::User,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    mail::Mailer,
    worker::{BoxFuture, JobError, JobHandler},
};

const EN_FTL: &str = include_str!("../../web/locales/en/notifications.ftl");
const BG_FTL: &str = include_str!("../../web/locales/bg/notifications.ftl");

/// The languages notifications are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailLang {
    En,
    Bg,
}

impl MailLang {
    /// A user's language setting (`en`, `bg`, `bg-BG` …); English when unknown.
    pub fn of(setting: &str) -> MailLang {
        if setting.trim().to_ascii_lowercase().starts_with("bg") {
            MailLang::Bg
        } else {
            MailLang::En
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

fn build(lang: MailLang) -> Bundle {
    let (id, source) = match lang {
        MailLang::En => (unic_langid::langid!("en-GB"), EN_FTL),
        MailLang::Bg => (unic_langid::langid!("bg-BG"), BG_FTL),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(r, errors)| {
        tracing::error!(?errors, "notifications.ftl has syntax errors");
        r
    });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(?errors, "notifications.ftl redefines messages");
    }
    bundle
}

static EN: LazyLock<Bundle> = LazyLock::new(|| build(MailLang::En));
static BG: LazyLock<Bundle> = LazyLock::new(|| build(MailLang::Bg));

fn bundle(lang: MailLang) -> &'static Bundle {
    match lang {
        MailLang::En => &EN,
        MailLang::Bg => &BG,
    }
}

fn message(lang: MailLang, key: &str, args: &FluentArgs) -> Option<String> {
    let bundle = bundle(lang);
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(args), &mut errors);
    if !errors.is_empty() {
        tracing::warn!(
            i18n.key = key,
            ?errors,
            "notification text formatted with errors"
        );
    }
    Some(text.into_owned())
}

/// A time among the params, in the reader's zone and their language's shape.
fn local_time(at: DateTime<Utc>, lang: MailLang, tz: chrono_tz::Tz) -> String {
    let local = at.with_timezone(&tz);
    match lang {
        MailLang::En => local.format("%-d %b %Y, %H:%M").to_string(),
        MailLang::Bg => local.format("%d.%m.%Y, %H:%M ч.").to_string(),
    }
}

/// The e-mail for a notification, addressed to `user` in their language. `public_url` makes the
/// notification's link absolute (`https://owlery.example.com`); without it the link is left out.
pub fn render(n: &Notification, user: &User, public_url: Option<&str>) -> OutgoingMail {
    let lang = MailLang::of(&user.language);
    let tz: chrono_tz::Tz = user.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let mut args = FluentArgs::new();
    if let Some(params) = n.params.as_object() {
        for (k, v) in params {
            let value = match v {
                serde_json::Value::String(s) => match DateTime::parse_from_rfc3339(s) {
                    Ok(at) => FluentValue::from(local_time(at.with_timezone(&Utc), lang, tz)),
                    Err(_) => FluentValue::from(s.clone()),
                },
                serde_json::Value::Number(x) => FluentValue::from(x.as_f64().unwrap_or_default()),
                serde_json::Value::Null => FluentValue::from(""),
                other => FluentValue::from(other.to_string()),
            };
            args.set(k.clone(), value);
        }
    }
    args.set("name", FluentValue::from(user.name.clone()));
    let link = match (public_url, &n.link) {
        (Some(base), Some(path)) => format!("{}{path}", base.trim_end_matches('/')),
        _ => String::new(),
    };
    args.set("link", FluentValue::from(link.clone()));
    let kind = &n.kind;
    let (subject, body) = match (
        message(lang, &format!("notification-{kind}-subject"), &args),
        message(lang, &format!("notification-{kind}-body"), &args),
    ) {
        (Some(s), Some(b)) => (s, b),
        _ => {
            tracing::warn!(notification.kind = %kind, "no e-mail text for this kind; sending the generic one");
            (
                message(lang, "notification-other-subject", &args).unwrap_or_default(),
                message(lang, "notification-other-body", &args).unwrap_or_default(),
            )
        }
    };
    let mut text = String::new();
    for part in [
        message(lang, "notification-mail-greeting", &args),
        Some(body),
        (!link.is_empty())
            .then(|| message(lang, "notification-mail-open", &args))
            .flatten(),
        message(lang, "notification-mail-footer", &args),
    ]
    .into_iter()
    .flatten()
    {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&part);
    }
    text.push('\n');
    OutgoingMail {
        to: user.email.clone(),
        // A subject is one line, whatever a title holds.
        subject: subject.replace(['\r', '\n'], " "),
        text,
    }
}

#[derive(Debug, Deserialize)]
struct Payload {
    notification_id: Uuid,
}

/// The `notification.mail` handler.
#[derive(Debug, Clone)]
pub struct NotificationMailer {
    store: Store,
    mailer: Mailer,
    public_url: Option<String>,
}

impl NotificationMailer {
    pub fn new(store: Store, mailer: Mailer, public_url: Option<String>) -> NotificationMailer {
        NotificationMailer {
            store,
            mailer,
            public_url,
        }
    }

    async fn send(&self, job: &Job) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(job.payload.clone())
            .context("the job's payload is not a notification id")
            .map_err(JobError::Permanent)?;
        let Some(n) = self
            .store
            .notification(p.notification_id)
            .await
            .map_err(JobError::retry)?
        else {
            tracing::debug!(job.id = %job.id, "the notification is gone; nothing to send");
            return Ok(());
        };
        let user = match self.store.user(n.user_id).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(JobError::retry(e)),
        };
        if user.status == UserStatus::Disabled {
            tracing::debug!(job.id = %job.id, user.id = %user.id, "recipient is disabled; not sending");
            return Ok(());
        }
        let mail = render(&n, &user, self.public_url.as_deref());
        self.mailer.deliver(n.id, &mail).await
    }
}

impl JobHandler for NotificationMailer {
    fn kind(&self) -> &'static str {
        MAIL_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.send(job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(src: &str) -> Vec<String> {
        let mut k: Vec<String> = src
            .lines()
            .filter(|l| l.starts_with("notification-"))
            .filter_map(|l| l.split(" =").next().map(str::to_owned))
            .collect();
        k.sort();
        k
    }

    #[test]
    fn both_languages_have_the_same_messages_and_parse() {
        assert_eq!(keys(EN_FTL), keys(BG_FTL));
        for src in [EN_FTL, BG_FTL] {
            assert!(FluentResource::try_new(src.to_owned()).is_ok());
        }
        assert_eq!(MailLang::of("bg-BG"), MailLang::Bg);
        assert_eq!(MailLang::of("de"), MailLang::En);
    }

    /// The kinds the publishing engine writes have their own texts in both languages: no generic
    /// fallback, every argument filled in.
    #[test]
    fn engine_notifications_have_their_own_texts_in_both_languages() {
        let kinds = [
            (
                "publish_unconfirmed",
                "Check the network",
                "Проверете в мрежата",
            ),
            ("publish_paused", "Waiting for a person", "Чака човек"),
            (
                "channel_needs_reconnect",
                "Reconnect Acme on X",
                "Свържете отново Acme on X",
            ),
            ("publish_failed", "Not published", "Не е публикувано"),
        ];
        for (kind, en_subject, bg_subject) in kinds {
            for (language, subject) in [("en", en_subject), ("bg", bg_subject)] {
                let n = Notification {
                    id: Uuid::now_v7(),
                    user_id: owlery_domain::UserId::new(),
                    kind: kind.into(),
                    params: serde_json::json!({
                        "title": "Autumn menu",
                        "channel": "Acme on X",
                        "error": "The network said: try later.",
                    }),
                    link: Some("/posts/1".into()),
                    created_at: Utc::now(),
                    read_at: None,
                };
                let user = User {
                    id: n.user_id,
                    org_id: owlery_domain::OrgId::new(),
                    email: "maria@example.test".into(),
                    name: "Maria".into(),
                    status: UserStatus::Active,
                    language: language.into(),
                    time_zone: "Europe/Sofia".into(),
                    totp_enabled: false,
                    created_at: Utc::now(),
                    last_signin_at: None,
                };
                let mail = render(&n, &user, Some("https://owlery.example.com"));
                let lang = MailLang::of(language);
                let generic = message(lang, "notification-other-subject", &FluentArgs::new());
                assert_ne!(Some(mail.subject.clone()), generic, "{kind} in {language}");
                assert!(
                    mail.subject.starts_with(subject),
                    "{kind} in {language}: {}",
                    mail.subject
                );
                assert!(mail.text.contains("Acme on X"), "{kind}: {}", mail.text);
                assert!(mail.text.contains("try later"), "{kind}: {}", mail.text);
                assert!(
                    mail.text.contains("https://owlery.example.com/posts/1"),
                    "{kind}: {}",
                    mail.text
                );
                assert!(!mail.text.contains("{ $"), "{kind}: {}", mail.text);
                assert!(!mail.text.contains("{$"), "{kind}: {}", mail.text);
            }
        }
    }
}
