//! Periodic work that no request triggers: expired browser sessions and OAuth connection attempts
//! (hourly; an attempt holds a sealed PKCE verifier, and maybe sealed tokens) and overdue reviews
//! (every few minutes: [`owlery_store::Store::escalate_due_reviews`] tells the author and the
//! step's backup), and webhook deliveries processed more than a week ago (the replay window:
//! `webhooks::RETENTION`), and automatic away (every minute: [`presence_once`]). Old finished
//! jobs and sign-in failures belong here later.
//!
//! Every process with workers runs it. The work is idempotent (deletes; an escalation is recorded
//! per review round and step, so a second node finds nothing left to do), so several nodes doing it
//! at once only repeat a cheap query.

use std::time::Duration;

use owlery_store::{Store, jobs::Job, reviews::ESCALATION_JOB};

use crate::{
    Shutdown,
    worker::{BoxFuture, JobError, JobHandler, sleep_or_shutdown},
};

/// How often housekeeping runs.
pub const EVERY: Duration = Duration::from_secs(60 * 60);

/// How often overdue reviews are looked for: deadlines are in hours, so a few minutes late is
/// on time.
pub const ESCALATE_EVERY: Duration = Duration::from_secs(5 * 60);

/// How often idle people are looked for (automatic away): activity is written at most once a
/// minute and the idle time is at least five, so a person goes away within a minute of it.
pub const PRESENCE_EVERY: Duration = Duration::from_secs(60);

/// At most this many people go away in one round (the rest in the next).
const PRESENCE_BATCH: usize = 500;

/// One round: delete expired sessions and expired OAuth attempts. Returns how many sessions went.
pub async fn run_once(store: &Store) -> anyhow::Result<u64> {
    let deleted = store.delete_expired_sessions().await?;
    if deleted > 0 {
        tracing::info!(sessions.deleted = deleted, "deleted expired sessions");
    } else {
        tracing::debug!("no expired sessions to delete");
    }
    metrics::counter!("owlery_sessions_expired_deleted_total").increment(deleted);
    let attempts = store.delete_expired_oauth_attempts().await?;
    if attempts > 0 {
        tracing::info!(
            oauth_attempts.deleted = attempts,
            "deleted expired OAuth connection attempts"
        );
    }
    metrics::counter!("owlery_oauth_attempts_expired_deleted_total").increment(attempts);
    let deliveries = crate::webhooks::prune(store).await?;
    if deliveries > 0 {
        tracing::info!(
            webhook_deliveries.deleted = deliveries,
            "deleted processed webhook deliveries past their retention"
        );
    }
    metrics::counter!("owlery_webhook_deliveries_pruned_total").increment(deliveries);
    Ok(deleted)
}

/// One round of the publishing sweeps: campaigns past their release time (a safety net behind
/// their release jobs), then reviews past a step's deadline. Returns how many were escalated.
pub async fn escalate_once(store: &Store) -> anyhow::Result<usize> {
    let released = crate::publish::release_due_campaigns(store).await?;
    if released > 0 {
        tracing::info!(
            campaigns.released = released,
            "released campaigns past their time"
        );
    }
    let n = store.escalate_due_reviews().await?;
    if n > 0 {
        tracing::info!(reviews.escalated = n, "escalated overdue reviews");
    }
    metrics::counter!("owlery_reviews_escalated_total").increment(n as u64);
    sla_once(store).await?;
    Ok(n)
}

/// Inbox SLA: warn before deadlines and escalate breaches (each once per deadline; see
/// [`owlery_store::Store::sla_sweep`]). Returns (warned, escalated).
pub async fn sla_once(store: &Store) -> anyhow::Result<(usize, usize)> {
    let (warned, escalated) = store.sla_sweep(500).await?;
    if warned + escalated > 0 {
        tracing::info!(
            inbox.sla_warned = warned,
            inbox.sla_escalated = escalated,
            "inbox SLA warnings and escalations"
        );
    }
    metrics::counter!("owlery_inbox_sla_escalated_total").increment(escalated as u64);
    Ok((warned, escalated))
}

/// Automatic away: team members set available who have been idle for the organisation's idle time
/// become away ([`owlery_store::Store::presence_idle_sweep`]; each change guarded, so several
/// nodes sweeping at once change each person once). Returns how many went away.
pub async fn presence_once(store: &Store) -> anyhow::Result<usize> {
    let n = store.presence_idle_sweep(PRESENCE_BATCH).await?;
    if n > 0 {
        tracing::info!(presence.auto_away = n, "idle people set away");
    }
    metrics::counter!("owlery_presence_auto_away_total").increment(n as u64);
    Ok(n)
}

/// The automatic-away sweep at start and then every `every`, until shutdown.
pub async fn run_presence(store: Store, every: Duration, shutdown: Shutdown) {
    periodically("automatic away", every, shutdown, || async {
        presence_once(&store).await.map(|_| ())
    })
    .await;
}

/// Run at start and then every `every`, until shutdown.
pub async fn run(store: Store, every: Duration, shutdown: Shutdown) {
    periodically("housekeeping", every, shutdown, || async {
        run_once(&store).await.map(|_| ())
    })
    .await;
}

/// Escalate overdue reviews at start and then every `every`, until shutdown.
pub async fn run_escalations(store: Store, every: Duration, shutdown: Shutdown) {
    periodically("review escalation", every, shutdown, || async {
        escalate_once(&store).await.map(|_| ())
    })
    .await;
}

async fn periodically<F, Fut>(what: &str, every: Duration, mut shutdown: Shutdown, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    loop {
        if let Err(e) = f().await {
            tracing::warn!(
                task = what,
                error = format!("{e:#}"),
                "periodic task failed; will try again next round"
            );
        }
        if sleep_or_shutdown(every, &mut shutdown).await {
            break;
        }
    }
}

/// The `reviews.escalate` job, for anyone who enqueues one (an operator, a test): the same round
/// the periodic loop runs.
#[derive(Debug, Clone)]
pub struct Escalator {
    store: Store,
}

impl Escalator {
    pub fn new(store: Store) -> Escalator {
        Escalator { store }
    }
}

impl JobHandler for Escalator {
    fn kind(&self) -> &'static str {
        ESCALATION_JOB
    }

    fn run<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            escalate_once(&self.store)
                .await
                .map(|_| ())
                .map_err(JobError::Retry)
        })
    }
}
