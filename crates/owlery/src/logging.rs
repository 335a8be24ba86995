//! Logs go to stderr (stdout is for command output, such as a token), as readable lines or as
//! one JSON object per line. `RUST_LOG` chooses what is logged (`RUST_LOG=owlery=debug,info`).
//! Fields are dotted and carry their unit: `user.id`, `job.kind`, `duration_ms`.

use std::io::IsTerminal as _;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// What is logged when `RUST_LOG` is not set: the servers say what they do, one-shot commands
/// only warn, so that their own output stays readable.
pub fn default_filter(long_running: bool) -> &'static str {
    if long_running {
        "info,sqlx=warn,hyper=warn,tower_http=warn"
    } else {
        "warn,sqlx=error"
    }
}

pub fn init(format: LogFormat, long_running: bool) {
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => match EnvFilter::try_new(&v) {
            Ok(f) => (f, None),
            Err(e) => (
                EnvFilter::new(default_filter(long_running)),
                Some(e.to_string()),
            ),
        },
        _ => (EnvFilter::new(default_filter(long_running)), None),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Human => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_target(false),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    if result.is_err() {
        eprintln!("warning: logging was already set up");
    }
    if let Some(e) = bad_filter {
        tracing::warn!(error = %e, "RUST_LOG is not a valid filter; using the default");
    }
}
