//! The job loop: claim, run, record the outcome; sleep when there is nothing to do.
//!
//! One [`Worker`] runs the job kinds it has handlers for, up to its concurrency at a time (one by
//! default; [`Worker::with_concurrency`]): while one job waits on a network, others run. Each job
//! is claimed on its own, in its own committed transaction, exactly as with one at a time, so the
//! store's claim still guarantees that no two jobs in flight — in this worker or any other, in this
//! process or another — are the same job. Run several workers (in one process or many) for more
//! throughput still. A claim carries a lease; a job whose worker died is claimed again once the
//! lease has run out, which is why handlers must be idempotent.

use std::{collections::BTreeMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use owlery_store::{Store, jobs::Job};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::Shutdown;

/// A boxed future, so that handlers of different types can sit in one map.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs the jobs of one kind.
pub trait JobHandler: Send + Sync + 'static {
    /// The job kind this handler runs (`mail.send`).
    fn kind(&self) -> &'static str;

    /// Do the job. Called after the claim is committed; may be called again for the same job if
    /// an earlier run failed or its worker died, so it must be safe to repeat.
    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>>;
}

/// Why a job did not succeed, and so whether to try again.
#[derive(Debug)]
pub enum JobError {
    /// Might work later (the relay is down, a 4xx answer, a timeout): retried with backoff until
    /// the job's `max_attempts` is used up.
    Retry(anyhow::Error),
    /// Will never work (a malformed payload, a 5xx answer): failed at once.
    Permanent(anyhow::Error),
    /// Not now, and not a failure: run again at `until` without using up an attempt (a rate-limit
    /// budget, a posting quota). `reason` is kept on the job for people.
    Wait {
        until: DateTime<Utc>,
        reason: String,
    },
}

impl JobError {
    pub fn retry(e: impl Into<anyhow::Error>) -> Self {
        JobError::Retry(e.into())
    }

    pub fn permanent(e: impl Into<anyhow::Error>) -> Self {
        JobError::Permanent(e.into())
    }

    /// Run again at `until` without using up an attempt.
    pub fn wait_until(until: DateTime<Utc>, reason: impl Into<String>) -> Self {
        JobError::Wait {
            until,
            reason: reason.into(),
        }
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, JobError::Permanent(_))
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // `{:#}` prints the whole cause chain on one line.
            JobError::Retry(e) | JobError::Permanent(e) => write!(f, "{e:#}"),
            JobError::Wait { until, reason } => write!(f, "waiting until {until}: {reason}"),
        }
    }
}

impl std::error::Error for JobError {}

/// What became of one job run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// Failed this time; queued again for this time.
    Retrying {
        at: DateTime<Utc>,
    },
    /// Failed for good (a permanent error, or the last attempt).
    Failed,
    /// Waits for a budget until this time; the attempt does not count.
    Waiting {
        at: DateTime<Utc>,
    },
}

impl Outcome {
    /// The `outcome` label of `owlery_jobs_completed_total`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Retrying { .. } => "retry",
            Outcome::Failed => "failed",
            Outcome::Waiting { .. } => "waiting",
        }
    }
}

/// The first retry waits this long; each further one twice as long as the one before.
pub const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// No retry waits longer than this.
pub const BACKOFF_CAP: Duration = Duration::from_secs(60 * 60);

/// How long to wait after the `attempt`-th failed attempt (1 for the first): 30 s × 2^(attempt−1),
/// capped at an hour, then shortened by up to a quarter according to `jitter` (in `[0, 1)`), so
/// that jobs that failed together (a relay outage) do not all come back in the same second.
/// Jitter only ever shortens, so the cap holds.
pub fn backoff(attempt: i64, jitter: f64) -> chrono::Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let base = BACKOFF_BASE.as_secs_f64() * f64::from(2u32.pow(exponent));
    let capped = base.min(BACKOFF_CAP.as_secs_f64());
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let secs = capped * (1.0 - 0.25 * jitter);
    chrono::Duration::milliseconds((secs * 1000.0).round() as i64)
}

/// Sleep for `d`, or less if shutdown is signalled. Returns true when stopping.
pub(crate) async fn sleep_or_shutdown(d: Duration, shutdown: &mut Shutdown) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        () = tokio::time::sleep(d) => *shutdown.borrow(),
        // An error means the sender is gone: nobody can ask us to keep going, so stop.
        changed = shutdown.changed() => changed.is_err() || *shutdown.borrow(),
    }
}

/// A name for this worker in the queue's `locked_by` column: host, process and a random suffix,
/// so that an operator can tell which process holds a job.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "owlery".to_owned());
    let suffix: u16 = rand::random();
    format!("{host}-{}-{suffix:04x}", std::process::id())
}

/// Claims and runs jobs of the kinds it has handlers for.
pub struct Worker {
    store: Store,
    id: String,
    handlers: BTreeMap<&'static str, Arc<dyn JobHandler>>,
    lease: Duration,
    max_idle: Duration,
    concurrency: usize,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("kinds", &self.kinds())
            .field("lease", &self.lease)
            .field("max_idle", &self.max_idle)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl Worker {
    /// A worker with no handlers yet. Defaults: one job at a time, a 5-minute lease, and a look
    /// at the queue at least every 3 seconds when idle.
    pub fn new(store: Store, id: impl Into<String>) -> Self {
        Self {
            store,
            id: id.into(),
            handlers: BTreeMap::new(),
            lease: Duration::from_secs(5 * 60),
            max_idle: Duration::from_secs(3),
            concurrency: 1,
        }
    }

    /// Up to `n` jobs in flight at once (at least 1). Each is claimed as with one at a time (its
    /// own committed claim, `FOR UPDATE SKIP LOCKED` on PostgreSQL); a free slot is filled as soon
    /// as a job ends. What it buys: a worker with 100 posts due at 9:00 and half a second per
    /// network call is done in about 50 s / n instead of 50 s.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    pub fn with_handler(mut self, handler: impl JobHandler) -> Self {
        self.handlers.insert(handler.kind(), Arc::new(handler));
        self
    }

    /// How long a claimed job is ours. A handler gets 90 % of it, so that it is stopped before
    /// another worker could take the job over.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The longest an idle worker sleeps before looking at the queue again. Jobs due earlier wake
    /// it earlier; this bounds how late a job enqueued by another process is noticed.
    pub fn with_max_idle(mut self, max_idle: Duration) -> Self {
        self.max_idle = max_idle;
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.keys().copied().collect()
    }

    /// Claim one due job and run it. `Ok(None)`: nothing was due. An error means the queue could
    /// not be reached or the outcome could not be recorded.
    pub async fn run_once(&self) -> anyhow::Result<Option<(Uuid, Outcome)>> {
        let Some(job) = self.claim(&self.kinds()).await? else {
            return Ok(None);
        };
        let id = job.id;
        Ok(Some((id, self.execute(job).await?)))
    }

    /// Claim one due job of `kinds` (committed before this returns).
    async fn claim(&self, kinds: &[&str]) -> anyhow::Result<Option<Job>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let lease = chrono::Duration::from_std(self.lease)?;
        Ok(self.store.claim_job(&self.id, kinds, lease).await?)
    }

    async fn execute(&self, job: Job) -> anyhow::Result<Outcome> {
        let started = std::time::Instant::now();
        let result = match self.handlers.get(job.kind.as_str()) {
            Some(handler) => {
                let limit = self.lease.mul_f64(0.9);
                match tokio::time::timeout(limit, handler.run(&job)).await {
                    Ok(r) => r,
                    Err(_) => Err(JobError::retry(anyhow::anyhow!(
                        "timed out after {} s",
                        limit.as_secs()
                    ))),
                }
            }
            // Only our kinds are claimed, so this is a bug; keep the job for a person to see.
            None => Err(JobError::permanent(anyhow::anyhow!(
                "no handler for job kind '{}'",
                job.kind
            ))),
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        let outcome = match &result {
            Ok(()) => Outcome::Completed,
            Err(JobError::Wait { until, .. }) => Outcome::Waiting { at: *until },
            Err(e) if e.is_permanent() || job.attempts >= job.max_attempts => Outcome::Failed,
            Err(_) => Outcome::Retrying {
                at: self.store.now() + backoff(job.attempts, rand::random::<f64>()),
            },
        };
        self.record(&job, &result, outcome).await?;
        metrics::counter!(
            "owlery_jobs_completed_total",
            "kind" => job.kind.clone(),
            "outcome" => outcome.label()
        )
        .increment(1);
        metrics::histogram!("owlery_job_duration_seconds", "kind" => job.kind.clone())
            .record(started.elapsed().as_secs_f64());
        // The error is logged here, where it is handled, and nowhere else.
        match (&result, outcome) {
            (Ok(()), _) => tracing::info!(
                job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, duration_ms,
                "job completed"
            ),
            (Err(e), Outcome::Waiting { at }) => tracing::info!(
                job.id = %job.id, job.kind = %job.kind, job.run_at = %at, duration_ms, reason = %e,
                "job waits for a budget"
            ),
            (Err(e), Outcome::Retrying { at }) => tracing::warn!(
                job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts,
                job.max_attempts = job.max_attempts, job.retry_at = %at, duration_ms, error = %e,
                "job failed; will retry"
            ),
            (Err(e), _) => tracing::error!(
                job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts,
                job.permanent = e.is_permanent(), duration_ms, error = %e,
                "job failed for good"
            ),
        }
        Ok(outcome)
    }

    /// Write the outcome. Its side effects have happened, so a brief database hiccup here must
    /// not make the job run again: try a few times before giving up (the lease then expires and
    /// the job is retried, which idempotent handlers tolerate).
    async fn record(
        &self,
        job: &Job,
        result: &Result<(), JobError>,
        outcome: Outcome,
    ) -> anyhow::Result<()> {
        let mut attempt = 0u32;
        loop {
            let written = match (result, outcome) {
                (Ok(()), _) => self.store.complete_job(job.id).await,
                (Err(e), Outcome::Waiting { at }) => {
                    self.store.defer_job(job.id, &e.to_string(), at).await
                }
                (Err(e), Outcome::Retrying { at }) => {
                    self.store.fail_job(job.id, &e.to_string(), Some(at)).await
                }
                (Err(e), _) => self.store.fail_job(job.id, &e.to_string(), None).await,
            };
            match written {
                Ok(()) => return Ok(()),
                Err(e) if attempt < 3 => {
                    attempt += 1;
                    tracing::warn!(job.id = %job.id, error = %e, attempt, "could not record a job's outcome; trying again");
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// How long to sleep when nothing was due: until the next job is due, at most `max_idle`,
    /// at least a moment (another worker may have taken the job we saw as due).
    async fn idle_wait(&self, kinds: &[&str]) -> Duration {
        let floor = Duration::from_millis(50);
        match self.store.next_job_due(kinds).await {
            Ok(Some(at)) => (at - self.store.now())
                .to_std()
                .unwrap_or(floor)
                .clamp(floor, self.max_idle.max(floor)),
            _ => self.max_idle,
        }
    }

    /// Run until shutdown is signalled. Jobs in hand are finished (or time out) first; no new
    /// one is claimed once shutdown is signalled.
    ///
    /// The loop fills free slots with claims while jobs are due. When none is due it sleeps until
    /// the next one is (at most `max_idle`), waking early when a job in flight ends (it may have
    /// queued work that is due now) or on shutdown. With every slot taken it waits for one to free.
    pub async fn run(self, mut shutdown: Shutdown) {
        let kinds = self.kinds();
        if kinds.is_empty() {
            tracing::info!(worker.id = %self.id, "no job kinds configured; worker idle");
            while !sleep_or_shutdown(Duration::from_secs(3600), &mut shutdown).await {}
            return;
        }
        tracing::info!(
            worker.id = %self.id, worker.kinds = ?kinds, worker.concurrency = self.concurrency,
            "worker started"
        );
        let me = Arc::new(self);
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let mut failures_in_row = 0u32;
        loop {
            while let Some(done) = in_flight.try_join_next() {
                me.reaped(done);
            }
            if *shutdown.borrow() {
                break;
            }
            // Fill the free slots while jobs are due.
            let mut wait = None;
            while in_flight.len() < me.concurrency {
                match me.claim(&kinds).await {
                    Ok(Some(job)) => {
                        failures_in_row = 0;
                        let w = Arc::clone(&me);
                        in_flight.spawn(async move {
                            // Errors here are about recording the outcome; the job's lease runs
                            // out and it is claimed again.
                            if let Err(e) = w.execute(job).await {
                                tracing::error!(
                                    worker.id = %w.id, error = format!("{e:#}"),
                                    "could not record a job's outcome; it runs again after its lease"
                                );
                            }
                        });
                    }
                    Ok(None) => {
                        failures_in_row = 0;
                        wait = Some(me.idle_wait(&kinds).await);
                        break;
                    }
                    Err(e) => {
                        failures_in_row = failures_in_row.saturating_add(1);
                        let d = Duration::from_secs(1u64 << failures_in_row.min(5))
                            .min(Duration::from_secs(30));
                        tracing::error!(
                            worker.id = %me.id, error = format!("{e:#}"), retry_in_ms = d.as_millis() as u64,
                            "the job queue is unavailable"
                        );
                        wait = Some(d);
                        break;
                    }
                }
                if *shutdown.borrow() {
                    break;
                }
            }
            if *shutdown.borrow() {
                break;
            }
            // Every slot is taken: wait for one to free. Otherwise sleep, but wake when a job in
            // flight ends.
            let stop = match wait {
                None => tokio::select! {
                    done = in_flight.join_next() => {
                        if let Some(done) = done {
                            me.reaped(done);
                        }
                        false
                    }
                    changed = shutdown.changed() => changed.is_err() || *shutdown.borrow(),
                },
                Some(wait) if in_flight.is_empty() => sleep_or_shutdown(wait, &mut shutdown).await,
                Some(wait) => tokio::select! {
                    stop = sleep_or_shutdown(wait, &mut shutdown) => stop,
                    Some(done) = in_flight.join_next() => {
                        me.reaped(done);
                        false
                    }
                },
            };
            if stop {
                break;
            }
        }
        if !in_flight.is_empty() {
            tracing::info!(
                worker.id = %me.id, jobs = in_flight.len(),
                "stopping: finishing the jobs in hand"
            );
        }
        while let Some(done) = in_flight.join_next().await {
            me.reaped(done);
        }
        tracing::info!(worker.id = %me.id, "worker stopped");
    }

    /// A job's task ended: only a panic is news (the job stays `running` until its lease runs
    /// out, then runs again).
    fn reaped(&self, done: Result<(), tokio::task::JoinError>) {
        if let Err(e) = done {
            tracing::error!(
                worker.id = %self.id, error = %e,
                "a job's task panicked; the job runs again after its lease"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: chrono::Duration) -> f64 {
        d.num_milliseconds() as f64 / 1000.0
    }

    #[test]
    fn backoff_doubles_from_thirty_seconds_and_caps_at_an_hour() {
        let schedule: Vec<f64> = (1..=10).map(|n| secs(backoff(n, 0.0))).collect();
        assert_eq!(
            schedule,
            vec![
                30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0, 3600.0, 3600.0
            ]
        );
        // Absurd attempt counts neither overflow nor exceed the cap.
        assert_eq!(secs(backoff(i64::MAX, 0.0)), 3600.0);
        assert_eq!(secs(backoff(0, 0.0)), 30.0);
        assert_eq!(secs(backoff(-5, 0.0)), 30.0);
    }

    #[test]
    fn jitter_only_shortens_by_up_to_a_quarter() {
        for n in 1..=12 {
            let full = secs(backoff(n, 0.0));
            for j in [0.0, 0.1, 0.5, 0.999, 1.0, 7.0, -1.0, f64::NAN] {
                let d = secs(backoff(n, j));
                assert!(
                    d <= full && d >= full * 0.75,
                    "attempt {n}, jitter {j}: {d}"
                );
            }
        }
        assert_eq!(secs(backoff(1, 0.5)), 26.25);
        assert!(secs(backoff(20, 0.999)) <= 3600.0);
    }

    #[tokio::test]
    async fn sleep_ends_early_on_shutdown_and_when_the_sender_is_gone() {
        let (tx, mut rx) = tokio::sync::watch::channel(false);
        let t =
            tokio::spawn(async move { sleep_or_shutdown(Duration::from_secs(60), &mut rx).await });
        tx.send(true).unwrap();
        assert!(
            tokio::time::timeout(Duration::from_secs(5), t)
                .await
                .unwrap()
                .unwrap()
        );

        let (tx, mut rx) = tokio::sync::watch::channel(false);
        drop(tx);
        assert!(sleep_or_shutdown(Duration::from_secs(60), &mut rx).await);
    }
}
