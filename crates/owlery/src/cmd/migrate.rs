//! `owlery migrate`: apply pending migrations and exit. `serve` and `worker` do this at start
//! too; this command is for deployments that migrate in a separate step before rolling nodes.

use std::process::ExitCode;

use crate::config::Config;

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let store = super::open_and_migrate(&config).await?;
    store.close().await;
    crate::out::line(format!(
        "The database is up to date ({}).",
        config.database.describe()
    ));
    Ok(ExitCode::SUCCESS)
}
