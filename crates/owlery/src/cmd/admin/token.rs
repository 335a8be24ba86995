//! `owlery admin token create`: a personal API token for a user, printed once. Scopes only
//! narrow what the user may do; without `--scope` the token carries the user's own permissions.

use std::process::ExitCode;

use clap::Args;
use owlery_domain::{
    audit::Actor,
    token::{parse_expiry, parse_scopes},
    user::UserStatus,
};

use crate::{DataArgs, UsageError, config::Config, out};

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    #[command(flatten)]
    pub data: DataArgs,

    /// The user the token acts for (their e-mail address)
    #[arg(long, value_name = "EMAIL")]
    pub user: String,

    /// Limit the token to this permission, such as users:read (repeat the flag, or separate with
    /// commas). Without it the token may do whatever the user may
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,

    /// Days until the token expires, 1 to 366 [default: 90]
    #[arg(long, value_name = "DAYS")]
    pub expires: Option<i64>,

    /// A name to recognise the token by in the user's account page
    #[arg(long, value_name = "NAME", default_value = "CLI token")]
    pub name: String,
}

fn usage(flag: &str, message: impl std::fmt::Display) -> anyhow::Error {
    UsageError(format!("{flag}: {message}")).into()
}

pub async fn create(config: Config, args: TokenCreateArgs) -> anyhow::Result<ExitCode> {
    let scopes = parse_scopes(args.scopes.iter().map(String::as_str))
        .map_err(|e| usage("--scope", e.message))?;
    let store = crate::cmd::open_and_migrate(&config).await?;
    let Some(creds) = store.credentials_by_email(&args.user).await? else {
        return Err(usage(
            "--user",
            format!("there is no user {}", args.user.trim()),
        ));
    };
    let user = creds.user;
    if user.status == UserStatus::Disabled {
        return Err(usage("--user", format!("{} is disabled", user.email)));
    }
    let access = store.access_of(user.id).await?;
    if let Some(p) = scopes.iter().find(|p| !access.can_anywhere(**p)) {
        return Err(usage(
            "--scope",
            format!(
                "{} does not hold {}, so a token of theirs could not use it",
                user.email,
                p.code()
            ),
        ));
    }
    let expires_at =
        parse_expiry(args.expires, store.now()).map_err(|e| usage("--expires", e.message))?;
    let (secret, token) = store
        .create_token(&Actor::cli(), user.id, &args.name, &scopes, expires_at)
        .await
        .map_err(|e| match e {
            owlery_store::StoreError::Invalid(i) => usage("--name", i.message),
            e => e.into(),
        })?;
    store.close().await;
    let scope_text = if token.scopes.is_empty() {
        "the user's own permissions".to_owned()
    } else {
        token
            .scopes
            .iter()
            .map(|p| p.code())
            .collect::<Vec<_>>()
            .join(" ")
    };
    out::line(format!(
        "Created token \"{}\" for {} (scopes: {scope_text}; expires {}).",
        token.name,
        user.email,
        token
            .expires_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into())
    ));
    out::line("It is shown only this once. Send it as `Authorization: Bearer <token>`:");
    out::line(secret);
    Ok(ExitCode::SUCCESS)
}
