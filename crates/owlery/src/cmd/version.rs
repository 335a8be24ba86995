//! `owlery version`.

use std::process::ExitCode;

pub fn run() -> ExitCode {
    crate::out::line(format!("owlery {}", env!("CARGO_PKG_VERSION")));
    ExitCode::SUCCESS
}
