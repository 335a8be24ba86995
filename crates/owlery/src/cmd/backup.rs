//! `owlery backup --to FILE`: a consistent copy of the SQLite database (`VACUUM INTO`), safe
//! while Owlery runs. PostgreSQL is backed up with its own tools.

use std::{path::Path, process::ExitCode};

use anyhow::Context as _;

use crate::{UsageError, config::Config, out};

pub async fn run(config: Config, to: &Path) -> anyhow::Result<ExitCode> {
    if !config.database.is_sqlite() {
        eprintln!(
            "owlery backup copies SQLite databases only. Back PostgreSQL up with its own tools, \
             for example:\n\n    pg_dump --format=custom --file=owlery.dump \"$OWLERY_DATABASE_URL\"\n\n\
             and restore with pg_restore. Keep the secret key (OWLERY_SECRET_KEY) with the dump."
        );
        return Err(UsageError("no backup made: the database is PostgreSQL".into()).into());
    }
    if to.exists() {
        return Err(UsageError(format!(
            "{} already exists; choose a new file (a backup never overwrites)",
            to.display()
        ))
        .into());
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(UsageError(format!("the directory {} does not exist", dir.display())).into());
    }
    let store = super::open_existing(&config).await?;
    store
        .backup_sqlite_to(to)
        .await
        .with_context(|| format!("cannot write the backup to {}", to.display()))?;
    store.close().await;
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    out::line(format!(
        "Backed up to {} ({} KiB).",
        to.display(),
        size.div_ceil(1024)
    ));
    out::line(format!(
        "Keep {} (or OWLERY_SECRET_KEY) with it: the secrets in the backup (second-factor secrets, channel credentials) open only with the key of today, even after `owlery admin rotate-key`.",
        config.key_file().display()
    ));
    Ok(ExitCode::SUCCESS)
}
