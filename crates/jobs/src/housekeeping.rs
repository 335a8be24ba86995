//! Periodic clean-up that no request triggers: expired browser sessions today; old finished jobs
//! and sign-in failures belong here later.
//!
//! Every process with workers runs it. The work is idempotent deletes, so several nodes doing it
//! at once only repeat a cheap query.

use std::time::Duration;

use owlery_store::Store;

use crate::{Shutdown, worker::sleep_or_shutdown};

/// How often housekeeping runs.
pub const EVERY: Duration = Duration::from_secs(60 * 60);

/// One round: delete expired sessions. Returns how many went.
pub async fn run_once(store: &Store) -> anyhow::Result<u64> {
    let deleted = store.delete_expired_sessions().await?;
    if deleted > 0 {
        tracing::info!(sessions.deleted = deleted, "deleted expired sessions");
    } else {
        tracing::debug!("no expired sessions to delete");
    }
    metrics::counter!("owlery_sessions_expired_deleted_total").increment(deleted);
    Ok(deleted)
}

/// Run at start and then every `every`, until shutdown.
pub async fn run(store: Store, every: Duration, mut shutdown: Shutdown) {
    loop {
        if let Err(e) = run_once(&store).await {
            tracing::warn!(
                error = format!("{e:#}"),
                "housekeeping failed; will try again next round"
            );
        }
        if sleep_or_shutdown(every, &mut shutdown).await {
            break;
        }
    }
}
