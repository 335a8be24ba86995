//! `owlery audit verify`: walk the audit log's hash chain and say whether it is intact, or
//! where it breaks.

use std::process::ExitCode;

use crate::{config::Config, out};

pub async fn verify(config: Config) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(&config).await?;
    let report = store.verify_audit_chain().await?;
    store.close().await;
    match report.result {
        Ok(()) => {
            out::line(format!("{} events, chain intact", report.checked));
            Ok(ExitCode::SUCCESS)
        }
        Err(brk) => {
            eprintln!(
                "audit log is NOT intact: {brk} ({} events before it verified)",
                report.checked
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
