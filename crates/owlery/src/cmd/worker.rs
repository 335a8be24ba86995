//! `owlery worker`: background workers only, for installations that run them apart from the web
//! nodes (PostgreSQL, many nodes; it also works on SQLite). [`spawn`] is shared with `serve`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use owlery_jobs::{
    Shutdown, Worker, housekeeping,
    inbox_poll::Poller,
    inbox_reply::Replier,
    mail::Mailer,
    media_urls::MediaUrls,
    notify_mail::NotificationMailer,
    publish::{CampaignReleaser, Publisher},
    revalidate,
    worker::default_worker_id,
};
use owlery_store::{Store, vault::Vault};
use tokio::task::JoinHandle;

use crate::config::Config;

/// Start the job loop, the inbox poller, the webhook processor and housekeeping; they stop when `shutdown` turns true.
/// `public_url` is where people reach Owlery, for links in notification e-mails.
pub fn spawn(
    store: &Store,
    config: &Config,
    vault: &Arc<Vault>,
    public_url: Option<String>,
    shutdown: &Shutdown,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    // Media addresses point at the configured public address; in development (allowed
    // explicitly) at the server's own when none is configured.
    let media_base = match &config.public_url {
        Some(u) => Some(u.clone()),
        None if config.media_urls_allow_private => public_url.clone(),
        None => None,
    };
    let media_urls = MediaUrls::new(media_base, config.media_urls_allow_private);
    if let Err(why) = media_urls.base() {
        tracing::info!(
            reason = %why,
            "networks that download media (Instagram, Threads, TikTok photos) cannot reach this \
             Owlery: their posts with media fail until OWLERY_PUBLIC_URL is reachable from the internet"
        );
    }
    let connectors = Arc::new(super::connectors()?);
    let publisher = Publisher::new(store.clone())
        .connected(connectors.clone(), vault.clone())
        .with_media_urls(media_urls);
    let classifier = owlery_triage::BuiltIn::new()
        .map_err(|e| anyhow::anyhow!("the built-in inbox classifier: {e}"))?;
    let replier = Replier::new(store.clone(), connectors.clone(), Some(vault.clone()));
    let hider =
        owlery_jobs::inbox_hide::Hider::new(store.clone(), connectors.clone(), Some(vault.clone()));
    let message_actor = |action| {
        owlery_jobs::inbox_actions::MessageActor::new(
            action,
            store.clone(),
            connectors.clone(),
            Some(vault.clone()),
        )
    };
    let liker = message_actor(owlery_store::inbox_actions::MessageAction::Like);
    let deleter = message_actor(owlery_store::inbox_actions::MessageAction::Delete);
    let classifier: Arc<dyn owlery_triage::Classifier> = Arc::new(classifier);
    let webhooks = owlery_jobs::webhooks::Processor::new(store.clone(), classifier.clone())
        .with_lease(std::time::Duration::from_secs(u64::from(
            config.job_lease_secs,
        )))
        .with_network(connectors.clone(), Some(vault.clone()));
    let poller = Poller::new(store.clone(), connectors, Some(vault.clone()), classifier)
        .with_interval(std::time::Duration::from_secs(u64::from(
            config.inbox_poll_secs,
        )))
        .with_simulation(config.sandbox_traffic.profile(false));
    let mut worker = Worker::new(store.clone(), default_worker_id())
        .with_lease(std::time::Duration::from_secs(u64::from(
            config.job_lease_secs,
        )))
        .with_concurrency(config.worker_concurrency)
        .with_handler(publisher)
        .with_handler(replier)
        .with_handler(CampaignReleaser::new(store.clone()))
        .with_handler(housekeeping::Escalator::new(store.clone()))
        .with_handler(hider)
        .with_handler(liker)
        .with_handler(deleter);
    match &config.smtp_url {
        Some(url) => {
            let mailer =
                Mailer::new(url, &config.mail_from).context("the mail relay (OWLERY_SMTP_URL)")?;
            tracing::info!(mail.relay = %mailer.relay(), mail.from = %config.mail_from, "mail delivery on");
            worker = worker
                .with_handler(NotificationMailer::new(
                    store.clone(),
                    mailer.clone(),
                    public_url,
                ))
                .with_handler(mailer);
        }
        None => tracing::info!(
            "mail is off: set OWLERY_SMTP_URL to send password resets and invitations"
        ),
    }
    Ok(vec![
        tokio::spawn(worker.run(shutdown.clone())),
        tokio::spawn(poller.run(shutdown.clone())),
        tokio::spawn(webhooks.run(shutdown.clone())),
        tokio::spawn(housekeeping::run(
            store.clone(),
            housekeeping::EVERY,
            shutdown.clone(),
        )),
        tokio::spawn(housekeeping::run_escalations(
            store.clone(),
            housekeeping::ESCALATE_EVERY,
            shutdown.clone(),
        )),
        tokio::spawn(housekeeping::run_presence(
            store.clone(),
            housekeeping::PRESENCE_EVERY,
            shutdown.clone(),
        )),
        tokio::spawn(revalidate_once(store.clone())),
    ])
}

/// Re-validate variants made against an older network spec, once per start (in the background:
/// start-up does not wait for it).
async fn revalidate_once(store: Store) {
    let specs = match owlery_domain::spec::Specs::embedded() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "the embedded network spec does not parse; not re-validating");
            return;
        }
    };
    if let Err(e) = revalidate::run_once(&store, &specs).await {
        tracing::warn!(
            error = format!("{e:#}"),
            "re-validation against the network spec failed; it runs again at the next start"
        );
    }
}

/// Wait for spawned tasks to finish, at most `limit`; say so if they did not.
pub async fn join(tasks: Vec<JoinHandle<()>>, limit: std::time::Duration) {
    let all = async {
        for t in tasks {
            if let Err(e) = t.await {
                tracing::error!(error = %e, "a background task panicked");
            }
        }
    };
    if tokio::time::timeout(limit, all).await.is_err() {
        tracing::warn!(
            limit_s = limit.as_secs(),
            "background tasks did not stop in time; their jobs will be retried when their leases run out"
        );
    }
}

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let store = super::answering(super::open_and_migrate(&config).await?)?;
    // Opened at start, as `serve` does, so that a worker with the wrong secret key stops here
    // rather than at its first job.
    let vault = super::open_vault(&config, &store).await?;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let tasks = spawn(
        &store,
        &config,
        &vault,
        config.public_url.clone(),
        &shutdown,
    )?;
    tracing::info!(database = %config.database.describe(), "workers running; stop with Ctrl-C or SIGTERM");
    let signal = super::serve::shutdown_signal().await;
    tracing::info!(signal, "stopping: finishing the jobs in hand");
    let _ = stop.send(true);
    join(tasks, std::time::Duration::from_secs(60)).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
