//! Delivers [`OutgoingMail`] jobs through an SMTP relay.
//!
//! The relay is given as a URL (lettre's format):
//! - `smtp://127.0.0.1:2525` — plain SMTP, for a relay on this machine (a local Postfix, a test
//!   server). Credentials over plain SMTP would travel in the clear: use this only on loopback.
//! - `smtp://user:password@mail.example.com:587?tls=required` — STARTTLS, refused without it.
//! - `smtps://user:password@mail.example.com:465` — TLS from the first byte.
//!
//! User and password are percent-encoded in the URL (`@` as `%40`). Certificates are checked
//! against the Mozilla roots built into the binary.
//!
//! A 5xx answer from the relay fails the job at once (the address is refused and will stay
//! refused); anything else (4xx, connection trouble, timeouts, TLS) is retried with backoff.
//! Bodies hold one-time links, so nothing here logs them: only the job id and the recipient's
//! domain are ever logged.

use std::time::Duration;

use anyhow::Context as _;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use owlery_domain::mail::{JOB_KIND, OutgoingMail};
use owlery_store::jobs::Job;
use secrecy::{ExposeSecret, SecretString};

use crate::worker::{BoxFuture, JobError, JobHandler};

/// How long one SMTP command may take before the attempt is given up (and retried later).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A configuration problem, found at start-up.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error(
        "not a relay URL like smtp://127.0.0.1:2525, smtp://user:pass@host:587?tls=required or \
         smtps://user:pass@host:465 ({0})"
    )]
    BadUrl(String),
    #[error("'{0}' is not a sender address like Owlery <owlery@example.com> ({1})")]
    BadFrom(String, String),
}

/// Check a sender address such as `Owlery <owlery@example.com>` or `owlery@example.com`.
pub fn parse_from(from: &str) -> Result<Mailbox, MailConfigError> {
    from.trim()
        .parse::<Mailbox>()
        .map_err(|e| MailConfigError::BadFrom(from.to_owned(), e.to_string()))
}

/// Where the relay is, for logs and the start-up banner: scheme, host and port, never the
/// credentials.
pub fn describe_relay(smtp_url: &str) -> String {
    match url::Url::parse(smtp_url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "(invalid relay URL)".to_owned(),
    }
}

/// Check a relay URL without connecting.
pub fn check_smtp_url(smtp_url: &str) -> Result<(), MailConfigError> {
    let u = url::Url::parse(smtp_url).map_err(|e| MailConfigError::BadUrl(e.to_string()))?;
    if !matches!(u.scheme(), "smtp" | "smtps") {
        return Err(MailConfigError::BadUrl(format!(
            "the scheme must be smtp or smtps, not '{}'",
            u.scheme()
        )));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(MailConfigError::BadUrl("it names no host".into()));
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
        .map(|_| ())
        .map_err(|e| MailConfigError::BadUrl(e.to_string()))
}

/// The `mail.send` handler. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay: String,
}

impl std::fmt::Debug for Mailer {
    // The transport's own Debug could show credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("relay", &self.relay)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    pub fn new(smtp_url: &SecretString, from: &str) -> Result<Mailer, MailConfigError> {
        let url = smtp_url.expose_secret();
        check_smtp_url(url)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailConfigError::BadUrl(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer {
            transport,
            from: parse_from(from)?,
            relay: describe_relay(url),
        })
    }

    /// The relay, without credentials.
    pub fn relay(&self) -> &str {
        &self.relay
    }

    /// Build the message. The Message-ID comes from `key` (the job's or the notification's id), so
    /// a message that is sent twice (its worker died after sending, before recording it) is
    /// recognisable as one message.
    fn message(&self, key: uuid::Uuid, mail: &OutgoingMail) -> Result<Message, JobError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| JobError::permanent(anyhow::anyhow!("bad recipient address: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{key}@{}>", self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| JobError::permanent(anyhow::anyhow!("cannot build the message: {e}")))
    }

    async fn send(&self, job: &Job) -> Result<(), JobError> {
        let mail: OutgoingMail = serde_json::from_value(job.payload.clone())
            .context("the job's payload is not an e-mail")
            .map_err(JobError::Permanent)?;
        self.deliver(job.id, &mail).await
    }

    /// Send one e-mail now. `key` names the message (its Message-ID): the same key for the same
    /// message. A 5xx answer is a permanent error, anything else may be retried.
    pub async fn deliver(&self, key: uuid::Uuid, mail: &OutgoingMail) -> Result<(), JobError> {
        let message = self.message(key, mail)?;
        let domain = recipient_domain(&mail.to);
        match self.transport.send(message).await {
            Ok(response) => {
                tracing::debug!(
                    mail.key = %key, mail.to_domain = %domain, smtp.code = %response.code(),
                    "relay accepted the message"
                );
                Ok(())
            }
            Err(e) => {
                let err = anyhow::Error::new(e).context(format!(
                    "sending to a recipient at {domain} via {}",
                    self.relay
                ));
                let permanent = err
                    .downcast_ref::<lettre::transport::smtp::Error>()
                    .is_some_and(lettre::transport::smtp::Error::is_permanent);
                Err(if permanent {
                    JobError::Permanent(err)
                } else {
                    JobError::Retry(err)
                })
            }
        }
    }
}

impl JobHandler for Mailer {
    fn kind(&self) -> &'static str {
        JOB_KIND
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(self.send(job))
    }
}

/// The part after the `@`, which is all that is logged about a recipient.
pub fn recipient_domain(to: &str) -> &str {
    to.rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls() {
        assert!(check_smtp_url("smtp://127.0.0.1:2525").is_ok());
        assert!(check_smtp_url("smtp://user:p%40ss@mail.example.com:587?tls=required").is_ok());
        assert!(check_smtp_url("smtps://mail.example.com").is_ok());
        assert!(check_smtp_url("http://mail.example.com").is_err());
        assert!(check_smtp_url("127.0.0.1:2525").is_err());
        assert!(check_smtp_url("smtp://h?tls=sometimes").is_err());
        assert_eq!(
            describe_relay("smtp://user:secret@mail.example.com:587?tls=required"),
            "smtp://mail.example.com:587"
        );
    }

    #[test]
    fn senders_and_domains() {
        assert!(parse_from("Owlery <owlery@example.com>").is_ok());
        assert!(parse_from("owlery@localhost").is_ok());
        assert!(parse_from("not an address").is_err());
        assert_eq!(recipient_domain("ana@example.bg"), "example.bg");
        assert_eq!(recipient_domain("Ana <ana@example.bg>"), "example.bg");
        assert_eq!(recipient_domain("nobody"), "?");
    }

    #[test]
    fn debug_hides_credentials() {
        let m = Mailer::new(
            &SecretString::from("smtp://user:hunter2hunter2@127.0.0.1:2525"),
            "owlery@example.com",
        )
        .unwrap();
        let shown = format!("{m:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("127.0.0.1:2525"));
    }
}
