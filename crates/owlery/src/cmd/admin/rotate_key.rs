//! `owlery admin rotate-key`: move the vault to a new key-encryption key without downtime.
//!
//! In one transaction every data key is re-wrapped under the new key and every secret still in
//! the old format (sealed directly under the old key) is re-sealed under the active data key, so
//! nothing needs the old key afterwards. Then, when the key came from `<data-dir>/secret.key`,
//! that file is replaced atomically (the previous key kept as `secret.key.old`); when it came
//! from `OWLERY_SECRET_KEY` (or `secret_key` in owlery.toml), the command says what to set.
//! Running processes keep their unwrapped data keys and keep working; restarted with the new key
//! they start, with the old one they are refused with a message naming both fingerprints. If the
//! file cannot be replaced after the database changed, running the command again finishes it.

use std::{path::PathBuf, process::ExitCode};

use clap::{ArgGroup, Args};
use owlery_domain::audit::Actor;
use owlery_store::vault::Kek;

use crate::{
    DataArgs, UsageError,
    cmd::{KekSource, current_kek, vault_error},
    config::Config,
    out,
};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("new_key").required(true).args(["new_key_file", "new_key_env"])))]
pub struct RotateKeyArgs {
    #[command(flatten)]
    pub data: DataArgs,

    /// Take the new key from FILE (32 bytes, base64), or generate one there (mode 0600) if FILE
    /// does not exist
    #[arg(long, value_name = "FILE")]
    pub new_key_file: Option<PathBuf>,

    /// Take the new key from the environment variable VAR (32 bytes, base64), for example
    /// OWLERY_NEW_SECRET_KEY; make one with `head -c 32 /dev/urandom | base64`
    #[arg(long, value_name = "VAR")]
    pub new_key_env: Option<String>,
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Where the new key came from, for the closing advice.
enum NewKeyFrom {
    File(PathBuf),
    Env(String),
}

pub async fn run(config: Config, args: RotateKeyArgs) -> anyhow::Result<ExitCode> {
    let Some((old, source)) = current_kek(&config)? else {
        return Err(usage(format!(
            "there is no current secret key to rotate: {} does not exist and OWLERY_SECRET_KEY \
             is not set (wrong --data-dir?)",
            config.key_file().display()
        )));
    };
    let (new, from) = match (&args.new_key_file, &args.new_key_env) {
        (Some(path), _) => {
            let (kek, created) = Kek::read_or_create_file(path)
                .map_err(|e| usage(format!("--new-key-file: {e}")))?;
            if created {
                out::line(format!(
                    "Generated a new key in {} (readable by you only).",
                    path.display()
                ));
            }
            (kek, NewKeyFrom::File(path.clone()))
        }
        (None, Some(var)) => {
            let text = std::env::var(var)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| usage(format!("--new-key-env: {var} is not set")))?;
            let kek = Kek::from_base64(&text).map_err(|e| {
                usage(format!(
                    "--new-key-env: {var}: {e}; make one with `head -c 32 /dev/urandom | base64`"
                ))
            })?;
            (kek, NewKeyFrom::Env(var.clone()))
        }
        (None, None) => return Err(usage("give --new-key-file FILE or --new-key-env VAR")),
    };
    if new.fingerprint() == old.fingerprint() {
        return Err(usage(format!(
            "the new key is the current key (fingerprint {}); give a different one",
            old.fingerprint()
        )));
    }

    let store = crate::cmd::open_and_migrate(&config).await?;
    let rotation = store
        .rotate_vault_kek(&Actor::cli(), &old, &new)
        .await
        .map_err(vault_error)?;
    store.close().await;

    out::line(format!(
        "Rotated the secret key: fingerprint {} → {}.",
        rotation.old_fingerprint, rotation.new_fingerprint
    ));
    let mut counts = format!(
        "Data keys re-wrapped: {}. Secrets re-sealed from the old format: {}.",
        rotation.keys_rewrapped, rotation.values_resealed
    );
    if rotation.keys_already_new > 0 {
        counts.push_str(&format!(
            " Already under the new key: {}.",
            rotation.keys_already_new
        ));
    }
    out::line(counts);

    match source {
        KekSource::File(path) => {
            let kept = new.replace_file(&path).map_err(|e| {
                anyhow::Error::new(e).context(format!(
                    "the database now needs the new key, but {} could not be replaced; run this \
                     command again to finish",
                    path.display()
                ))
            })?;
            out::line(format!("{} now holds the new key.", path.display()));
            if let Some(kept) = kept {
                out::line(format!(
                    "The previous key is kept in {}: backups made before now need it.",
                    kept.display()
                ));
            }
            if let NewKeyFrom::File(f) = &from {
                out::line(format!(
                    "{} is a copy of the new key; delete it or keep it somewhere safe.",
                    f.display()
                ));
            }
            if !config.database.is_sqlite() {
                out::line(
                    "Other nodes with their own key file need the new key too: copy it to them.",
                );
            }
        }
        KekSource::Setting(origin) => {
            let value = match &from {
                NewKeyFrom::File(f) => format!("the contents of {}", f.display()),
                NewKeyFrom::Env(var) => format!("the value of {var}"),
            };
            out::line(format!(
                "Now set {origin} to {value} on every node, and keep the old key with backups \
                 made before now."
            ));
        }
    }
    out::line(
        "Running processes keep working; restart them with the new key when convenient \
         (a process started with the old key is refused).",
    );
    Ok(ExitCode::SUCCESS)
}
