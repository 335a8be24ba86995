//! Owlery's background workers.
//!
//! - [`worker`]: the loop that claims jobs from the durable queue ([`owlery_store::jobs`]), runs
//!   the [`JobHandler`] registered for the job's kind, and records the outcome with retries and
//!   exponential backoff. Claims are committed before any side effect, so a job whose worker dies
//!   runs again once its lease runs out: handlers must be idempotent (or reconcile).
//! - [`mail`]: delivers [`owlery_domain::mail::OutgoingMail`] through an SMTP relay.
//! - [`notify_mail`]: the e-mail copy of a notification, in the reader's language.
//! - [`publish`]: publishing a variant at its time, releasing campaigns; simulated channels
//!   through the sandbox, connected ones through [`engine`].
//! - [`engine`]: the publishing engine for connected channels (parts, reconciliation, budgets,
//!   token refresh) and the connectors it uses.
//! - [`revalidate`]: re-checking variants after the network spec changed.
//! - [`inbox_poll`]: reading the inbox of channels on networks that do not push (cursor after
//!   ingest, leases shared by every worker process).
//! - [`inbox_reply`]: sending answers from the inbox (stored first; looked up before any resend).
//! - [`housekeeping`]: periodic work (expired sessions, escalation of overdue reviews, inbox SLA
//!   warnings and escalations, automatic away of idle people).
//! - [`inbox_hide`]: hiding an abusive comment on its network.
//!
//! What does not live here: deciding *that* something should happen (the web layer and the domain
//! enqueue jobs in the transaction that decides), and the queue's SQL (the store).
//!
//! Errors are `anyhow` inside handlers; the only distinction the loop needs is whether trying
//! again could help ([`JobError::Retry`]) or not ([`JobError::Permanent`]), or whether the job
//! only waits for a budget ([`JobError::Wait`], which uses up no attempt).

pub mod channel_access;
pub mod engine;
pub mod housekeeping;
pub mod inbox_actions;
pub mod inbox_hide;
pub mod inbox_poll;
pub mod inbox_reply;
pub mod mail;
pub mod media_urls;
pub mod notify_mail;
pub mod publish;
pub mod revalidate;
pub mod webhooks;
pub mod worker;

pub use worker::{JobError, JobHandler, Outcome, Worker, backoff};

/// A shutdown signal: `true` once the process is stopping. Every loop here watches one and ends
/// after finishing the job in hand.
pub type Shutdown = tokio::sync::watch::Receiver<bool>;
