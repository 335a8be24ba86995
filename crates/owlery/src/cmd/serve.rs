//! `owlery serve`: the web UI, the API and (unless `--no-workers`) the background workers in one
//! process. Migrates at start; on SIGINT or SIGTERM stops taking connections, finishes the
//! requests and jobs in hand, then exits 0.

use std::{net::SocketAddr, process::ExitCode, sync::Arc, time::Duration};

use anyhow::Context as _;
use owlery_domain::{
    Grant, Role, Scope,
    audit::Actor,
    user::{DisplayName, UserStatus},
};
use owlery_store::{Store, sessions::LinkPurpose, users::NewUser};
use owlery_web::{AppState, WebConfig};
use secrecy::ExposeSecret;

use crate::config::Config;

/// How long requests in flight may take to finish after a stop signal.
const HTTP_DRAIN: Duration = Duration::from_secs(30);
/// How long the job in hand may take to finish after a stop signal.
const JOBS_DRAIN: Duration = Duration::from_secs(60);

pub async fn run(mut config: Config, no_workers: bool, demo: bool) -> anyhow::Result<ExitCode> {
    // The demo's simulated channels hear from a simulated audience unless configured otherwise.
    config.sandbox_traffic = match config.sandbox_traffic.profile(demo) {
        Some(p) => crate::config::SandboxTraffic::On(p),
        None => crate::config::SandboxTraffic::Off,
    };
    let store = super::answering(super::open_and_migrate(&config).await?)?;
    let vault = super::open_vault(&config, &store).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let bound = listener.local_addr()?;
    let public_url = config.public_url_for(bound);

    let web_config = WebConfig {
        public_url: public_url.clone(),
        mail_enabled: config.smtp_url.is_some(),
        trust_forwarded_for: config.trust_forwarded_for,
        allow_private_servers: config.allow_private_servers,
        media_urls_allow_private: config.media_urls_allow_private,
        max_upload_bytes: usize::try_from(config.max_upload_mb)
            .unwrap_or(usize::MAX)
            .saturating_mul(1_000_000),
        ..WebConfig::default()
    };
    let mut state = AppState::new(store.clone(), vault.clone(), web_config)
        .with_connectors(Arc::new(super::connectors()?));
    state.metrics = owlery_web::ops::install_metrics();
    if state.metrics.is_none() {
        tracing::warn!("the metrics recorder could not be installed; /metrics is off");
    }

    let mut notes = if demo {
        crate::demo::prepare(&store, &public_url).await?
    } else {
        first_start(&store, &config, &public_url).await?
    };
    if config.public_url.is_none() && bound.ip().is_unspecified() {
        notes.push(format!(
            "Note: links in e-mails point to {public_url}, which works only on this machine; \
             set OWLERY_PUBLIC_URL to the address people use."
        ));
    }

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let tasks = if no_workers {
        tracing::info!("workers are off (--no-workers): run `owlery worker` for background jobs");
        Vec::new()
    } else {
        super::worker::spawn(&store, &config, &vault, Some(public_url.clone()), &shutdown)?
    };

    let app = owlery_web::router(state);
    let mut http_stop = shutdown.clone();
    let mut server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = http_stop.wait_for(|stopping| *stopping).await;
        })
        .await
    });

    tracing::info!(
        http.addr = %bound, public_url = %public_url, database = %config.database.describe(),
        workers = !no_workers, config_file = ?config.file, "listening"
    );
    banner(&config, &public_url, !no_workers, &notes);

    let ended_early = tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal, "stopping: finishing requests and jobs in hand");
            None
        }
        result = &mut server => Some(result),
    };
    let _ = stop.send(true);
    // Live streams (/inbox/events) never end by themselves: end them so the drain does not wait.
    store.live().close();
    let result = match ended_early {
        Some(r) => r,
        None => match tokio::time::timeout(HTTP_DRAIN, &mut server).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(
                    limit_s = HTTP_DRAIN.as_secs(),
                    "requests still running; stopping without them"
                );
                server.abort();
                Ok(Ok(()))
            }
        },
    };
    super::worker::join(tasks, JOBS_DRAIN).await;
    store.close().await;
    match result {
        Ok(Ok(())) => {
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Err(e)) => Err(anyhow::Error::new(e).context("the HTTP server failed")),
        Err(e) => Err(anyhow::anyhow!("the HTTP server stopped unexpectedly: {e}")),
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, naming which.
pub async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "SIGINT",
        () = term => "SIGTERM",
    }
}

/// What to tell whoever started a server with nobody in it yet. With
/// `OWLERY_BOOTSTRAP_OWNER_EMAIL`, that person is created as an invited owner and gets a fresh
/// setup link at every start until they have used one.
async fn first_start(
    store: &Store,
    config: &Config,
    public_url: &str,
) -> anyhow::Result<Vec<String>> {
    let users = store.count_users().await?;
    let Some(email) = &config.bootstrap_owner_email else {
        if users > 0 {
            return Ok(vec![]);
        }
        let dir = if config.data_dir.ends_with("owlery-data") && config.database.is_sqlite() {
            String::new()
        } else if config.database.is_sqlite() {
            format!(" --data-dir {}", config.data_dir.display())
        } else {
            " --database-url \"$OWLERY_DATABASE_URL\"".to_owned()
        };
        return Ok(vec![
            "No users yet. Create the first owner with:".into(),
            format!(
                "    owlery admin create-user{dir} --email you@example.com --name 'Your Name' --role owner"
            ),
            "or start with OWLERY_BOOTSTRAP_OWNER_EMAIL=you@example.com to get a setup link here."
                .into(),
        ]);
    };
    let user = match store.credentials_by_email(email.as_str()).await? {
        Some(c) => c.user,
        None if users == 0 => {
            let actor = Actor::system();
            let org = store.ensure_organisation(&actor, "My organisation").await?;
            let new = NewUser {
                email: email.clone(),
                name: DisplayName::parse("name", "Owner")?,
                password_hash: None,
                language: "en".into(),
                time_zone: "UTC".into(),
            };
            let grant = Grant {
                role: Role::Owner,
                scope: Scope::Organisation,
            };
            match store.create_user(&actor, org.id, new, &[grant]).await {
                Ok(u) => u,
                // Another node bootstrapped the same person a moment ago.
                Err(owlery_store::StoreError::Conflict { .. }) => {
                    return Ok(vec![]);
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Someone else is already in: the bootstrap variable no longer matters.
        None => return Ok(vec![]),
    };
    if user.status != UserStatus::Invited {
        return Ok(vec![]);
    }
    let days = crate::cmd::admin::create_user::SETUP_LINK_DAYS;
    let secret = store
        .create_link(
            &Actor::system(),
            user.id,
            LinkPurpose::Setup,
            chrono::Duration::days(days),
        )
        .await?;
    Ok(vec![
        format!(
            "First owner: {}. Open this one-time link to choose a password (valid {days} days; a new one is printed at each start until it is used):",
            user.email
        ),
        format!("    {public_url}/setup/{secret}"),
    ])
}

/// The start-up banner, on stderr so that it stays out of anything reading stdout.
fn banner(config: &Config, public_url: &str, workers: bool, notes: &[String]) {
    let mail = match &config.smtp_url {
        Some(url) => owlery_jobs::mail::describe_relay(url.expose_secret()),
        None => "off (set OWLERY_SMTP_URL)".into(),
    };
    let mut text = format!(
        "\nOwlery {} is running at {public_url}\n  database: {}\n  workers:  {}\n  mail:     {mail}\n",
        env!("CARGO_PKG_VERSION"),
        config.database.describe(),
        if workers { "on" } else { "off (--no-workers)" },
    );
    for n in notes {
        text.push_str("\n  ");
        text.push_str(n);
    }
    if !notes.is_empty() {
        text.push('\n');
    }
    text.push_str("\nStop with Ctrl-C.\n");
    eprintln!("{text}");
}
