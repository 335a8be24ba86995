//! The `owlery` binary: one program for the web server, the background workers and the
//! administration commands. Each command lives in its own file under `cmd/`; configuration in
//! `config.rs`; the demo organisation in `demo.rs`.
//!
//! Errors: commands return `anyhow` errors, printed once here as `error: …` with their causes.
//! Exit status: 0 success, 1 failure, 2 bad usage or configuration.

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};

mod cmd;
mod config;
mod demo;
mod logging;
mod out;

use config::{Flags, LogFormat};

/// Owlery: self-hosted social media operations — publishing, inbox, crisis response.
///
/// Start here: `owlery serve --demo` runs Owlery with a demo organisation and prints a link to
/// sign in. Settings come from built-in defaults, then ./owlery.toml (or --config FILE), then
/// OWLERY_* environment variables, then flags; each overrides the one before.
#[derive(Debug, Parser)]
#[command(
    name = "owlery",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// Read settings from FILE instead of ./owlery.toml
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    config: Option<PathBuf>,

    /// How to write logs to stderr [env: OWLERY_LOG_FORMAT] [default: human]
    #[arg(
        long,
        global = true,
        value_name = "FORMAT",
        help_heading = "Global options"
    )]
    log_format: Option<LogFormat>,

    #[command(subcommand)]
    command: Command,
}

/// The settings that have no flag, for `serve --help`.
const SERVE_SETTINGS: &str = "\
Settings without a flag (environment variable, or the key in owlery.toml):
  OWLERY_SMTP_URL              smtp_url: mail relay, e.g. smtp://127.0.0.1:25 or
                               smtp://user:pass@mail.example.com:587?tls=required; unset: mail off
  OWLERY_MAIL_FROM             mail_from: sender [default: Owlery <owlery@localhost>]
  OWLERY_TRUST_FORWARDED_FOR   trust_forwarded_for: take client addresses from X-Forwarded-For
                               (only behind a reverse proxy) [default: false]
  OWLERY_MAX_UPLOAD_MB         max_upload_mb: the largest media upload, in MB [default: 100]
  OWLERY_WORKER_CONCURRENCY    worker_concurrency: jobs a worker process runs at once, 1-256
                               [default: 8]
  OWLERY_JOB_LEASE_SECS        job_lease_secs: how long a claimed job is its worker's before
                               others may take it over (10-3600) [default: 300]
  OWLERY_INBOX_POLL_SECS       inbox_poll_secs: how often channels' inboxes are read on networks
                               that do not push (5-3600) [default: 60]
  OWLERY_SANDBOX_TRAFFIC       sandbox_traffic: a simulated audience writing to simulated
                               channels: off, on, or <per hour>[,<bursts per day>]
                               [default: on with serve --demo, off otherwise]
  OWLERY_SECRET_KEY            secret_key: 32 bytes, base64, the key that wraps the keys of
                               secrets at rest (change it with `owlery admin rotate-key`)
                               [default: <data-dir>/secret.key, created on first start]
  OWLERY_BOOTSTRAP_OWNER_EMAIL bootstrap_owner_email: with no users yet, invite this person as
                               owner and print a one-time setup link
  RUST_LOG                     what to log, e.g. info or owlery=debug,info

Stop with Ctrl-C or SIGTERM: requests and jobs in hand are finished first.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web UI, the API and the background workers in one process
    #[command(after_long_help = SERVE_SETTINGS)]
    Serve(ServeArgs),
    /// Run only the background workers (more of them, next to `serve --no-workers` nodes)
    Worker(DataArgs),
    /// Create users and API tokens, list users, rotate the secret key
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Bring the database schema up to date, then exit
    Migrate(DataArgs),
    /// Copy the SQLite database to a file, consistently, while Owlery runs
    Backup(BackupArgs),
    /// Check the audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Work with media files: render the renditions each placement needs
    #[command(subcommand)]
    Media(cmd::media::MediaCommand),
    /// The community inbox: import messages, simulate an audience
    #[command(subcommand)]
    Inbox(InboxCommandArgs),
    /// Triage messages: one per line on stdin, one JSON object per line on stdout
    /// (language, sentiment, intent, urgency, scores)
    Triage,
    /// Print the version
    Version,
}

/// Where the data is. Shared by every command that opens the database.
#[derive(Debug, Clone, Args)]
struct DataArgs {
    /// Directory of the SQLite database and the secret key [env: OWLERY_DATA_DIR] [default:
    /// ./owlery-data]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<String>,

    /// Use this database instead: postgres://user:password@host:5432/db (prefer the environment
    /// variable: flags show up in `ps`) [env: OWLERY_DATABASE_URL]
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,

    /// Address to listen on [env: OWLERY_BIND] [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,

    /// The address people use to reach Owlery, for links in e-mails [env: OWLERY_PUBLIC_URL]
    /// [default: http:// and the bound address]
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,

    /// Serve only; leave background jobs to `owlery worker` processes
    #[arg(long)]
    no_workers: bool,

    /// Fill an empty database with a demo organisation (Northwind Coffee) and print a one-time
    /// link to sign in as its owner
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a user; the first one also creates the organisation
    #[command(name = "create-user")]
    CreateUser(cmd::admin::create_user::CreateUserArgs),
    /// List users with their roles and status
    #[command(name = "list-users")]
    ListUsers(DataArgs),
    /// Personal API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Move the vault to a new secret key (OWLERY_SECRET_KEY or secret.key) without downtime
    #[command(name = "rotate-key")]
    RotateKey(cmd::admin::rotate_key::RotateKeyArgs),
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (once: it is stored only as a hash)
    Create(cmd::admin::token::TokenCreateArgs),
}

#[derive(Debug, Subcommand)]
enum InboxCommandArgs {
    /// Import messages from a JSON Lines file (one message per line): bad lines are reported and
    /// skipped; importing the same file again adds nothing
    Import {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        args: cmd::inbox::ImportArgs,
    },
    /// Write a simulated audience's messages (comments, mentions, DMs in four languages, with
    /// bursts) as JSON Lines for `owlery inbox import`: for load tests and rehearsals
    Simulate(cmd::inbox::SimulateArgs),
}

#[derive(Debug, Args)]
struct BackupArgs {
    #[command(flatten)]
    data: DataArgs,

    /// The file to write; it must not exist yet
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the hash chain of the whole audit log: exit status 0 if intact, 1 if not
    Verify(DataArgs),
}

impl Cli {
    fn flags(&self, data: Option<&DataArgs>) -> Flags {
        Flags {
            config: self.config.clone(),
            log_format: self.log_format,
            data_dir: data.and_then(|d| d.data_dir.clone()),
            database_url: data.and_then(|d| d.database_url.clone()),
            ..Flags::default()
        }
    }
}

/// A failure that is the user's to fix (bad configuration or arguments): exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (flags, long_running) = match &cli.command {
        Command::Version => return cmd::version::run(),
        Command::Triage => return finish(cmd::triage::run()),
        Command::Media(m) => return finish(cmd::media::run(m)),
        Command::Inbox(InboxCommandArgs::Simulate(a)) => return finish(cmd::inbox::simulate(a)),
        Command::Serve(a) => (
            Flags {
                bind: a.bind.clone(),
                public_url: a.public_url.clone(),
                ..cli.flags(Some(&a.data))
            },
            true,
        ),
        Command::Worker(d) => (cli.flags(Some(d)), true),
        Command::Migrate(d)
        | Command::Admin(AdminCommand::ListUsers(d))
        | Command::Audit(AuditCommand::Verify(d)) => (cli.flags(Some(d)), false),
        Command::Admin(AdminCommand::CreateUser(a)) => (cli.flags(Some(&a.data)), false),
        Command::Admin(AdminCommand::RotateKey(a)) => (cli.flags(Some(&a.data)), false),
        Command::Admin(AdminCommand::Token(TokenCommand::Create(a))) => {
            (cli.flags(Some(&a.data)), false)
        }
        Command::Backup(a) => (cli.flags(Some(&a.data)), false),
        Command::Inbox(InboxCommandArgs::Import { data, .. }) => (cli.flags(Some(data)), false),
    };
    let config = match config::load(&flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(config.log_format, long_running);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(a) => cmd::serve::run(config, a.no_workers, a.demo).await,
            Command::Worker(_) => cmd::worker::run(config).await,
            Command::Migrate(_) => cmd::migrate::run(config).await,
            Command::Backup(a) => cmd::backup::run(config, &a.to).await,
            Command::Inbox(InboxCommandArgs::Import { args, .. }) => {
                cmd::inbox::run(config, cmd::inbox::InboxCommand::Import(args)).await
            }
            Command::Audit(AuditCommand::Verify(_)) => cmd::audit::verify(config).await,
            Command::Admin(AdminCommand::CreateUser(a)) => {
                cmd::admin::create_user::run(config, a).await
            }
            Command::Admin(AdminCommand::ListUsers(_)) => cmd::admin::list_users::run(config).await,
            Command::Admin(AdminCommand::RotateKey(a)) => {
                cmd::admin::rotate_key::run(config, a).await
            }
            Command::Admin(AdminCommand::Token(TokenCommand::Create(a))) => {
                cmd::admin::token::create(config, a).await
            }
            Command::Version
            | Command::Triage
            | Command::Media(_)
            | Command::Inbox(InboxCommandArgs::Simulate(_)) => Ok(ExitCode::SUCCESS),
        }
    });
    finish(result)
}

/// Prints a command's error once and turns it into the exit status.
fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
