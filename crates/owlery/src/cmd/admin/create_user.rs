//! `owlery admin create-user`: add a person with one role. With `--password-stdin` they can sign
//! in at once; without, they are invited and a one-time setup link is printed for them. The first
//! user also creates the organisation.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use owlery_domain::{
    Grant, Role, Scope,
    audit::Actor,
    user::{DisplayName, Email, check_password, parse_time_zone},
};
use owlery_store::{StoreError, sessions::LinkPurpose, users::NewUser};
use owlery_web::i18n::Lang;

use crate::{DataArgs, UsageError, config::Config, out};

/// How long a setup link printed here stays valid.
pub const SETUP_LINK_DAYS: i64 = 7;

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    #[command(flatten)]
    pub data: DataArgs,

    /// Their e-mail address, which they sign in with
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// Their name as Owlery shows it
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// Their role: owner, admin, publisher, contributor, approver, community_agent, analyst or
    /// auditor
    #[arg(long, value_name = "ROLE")]
    pub role: String,

    /// Where the role applies: organisation (the default), workspace:<id or name> or
    /// channel:<id or @handle>
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,

    /// Read their password from the first line of stdin (at least 12 characters). Without it
    /// they are invited, and a one-time link to choose a password is printed
    #[arg(long)]
    pub password_stdin: bool,

    /// The organisation's name, when this first user creates it
    #[arg(long, value_name = "NAME", default_value = "My organisation")]
    pub org_name: String,

    /// The language Owlery speaks to them: en or bg
    #[arg(long, value_name = "LANG", default_value = "en")]
    pub language: String,

    /// Their time zone (IANA name, such as Europe/Sofia)
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub time_zone: String,
}

fn usage(flag: &str, message: impl std::fmt::Display) -> anyhow::Error {
    UsageError(format!("{flag}: {message}")).into()
}

pub async fn run(config: Config, args: CreateUserArgs) -> anyhow::Result<ExitCode> {
    let email = Email::parse(&args.email).map_err(|e| usage("--email", e.message))?;
    let name = DisplayName::parse("name", &args.name).map_err(|e| usage("--name", e.message))?;
    let role = Role::parse(&args.role).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        usage(
            "--role",
            format!(
                "'{}' is not a role; the roles are {}",
                args.role,
                roles.join(", ")
            ),
        )
    })?;
    let language = Lang::parse(&args.language).ok_or_else(|| {
        usage(
            "--language",
            format!("'{}' is not offered; use en or bg", args.language),
        )
    })?;
    let time_zone =
        parse_time_zone(&args.time_zone).map_err(|e| usage("--time-zone", e.message))?;
    let password_hash = if args.password_stdin {
        let password = read_password_line()?;
        check_password(&password).map_err(|e| usage("--password-stdin", e.message))?;
        let hash = tokio::task::spawn_blocking(move || {
            owlery_web::auth::password::hash_blocking(&password)
                .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
        })
        .await??;
        Some(hash)
    } else {
        None
    };

    let store = crate::cmd::open_and_migrate(&config).await?;
    let scope = super::resolve_scope(&store, args.scope.as_deref()).await?;
    if role == Role::Owner && scope != Scope::Organisation {
        return Err(usage(
            "--scope",
            "an owner owns the whole organisation; leave --scope out",
        ));
    }
    let actor = Actor::cli();
    let org = store
        .ensure_organisation(&actor, &args.org_name)
        .await
        .context("cannot create the organisation")?;
    let invited = password_hash.is_none();
    let new = NewUser {
        email,
        name,
        password_hash,
        language: language.code().to_owned(),
        time_zone: time_zone.name().to_owned(),
    };
    let user = match store
        .create_user(&actor, org.id, new, &[Grant { role, scope }])
        .await
    {
        Ok(u) => u,
        Err(StoreError::Conflict { message, .. }) => return Err(usage("--email", message)),
        Err(e) => return Err(e.into()),
    };
    let scope_text = super::describe_scope(&store, scope).await;
    out::line(format!(
        "Created {} <{}>: {} of {} in {}.",
        user.name,
        user.email,
        role.code(),
        scope_text,
        org.name
    ));
    if invited {
        let secret = store
            .create_link(
                &actor,
                user.id,
                LinkPurpose::Setup,
                chrono::Duration::days(SETUP_LINK_DAYS),
            )
            .await?;
        out::line(format!(
            "They have no password yet. Send them this one-time link to choose one (valid {SETUP_LINK_DAYS} days):"
        ));
        out::line(setup_link(&config, &secret));
    } else {
        out::line("They can sign in now.");
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The setup page's address for a link secret (the page is `/setup/{token}` in owlery-web).
pub fn setup_link(config: &Config, secret: &str) -> String {
    let base = config.public_url_for(config.bind);
    format!("{base}/setup/{secret}")
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    // Only the line ending goes: spaces may be part of a password.
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(usage(
            "--password-stdin",
            "stdin had no password on its first line",
        ));
    }
    Ok(password)
}
