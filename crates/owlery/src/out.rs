//! Command output. It goes to stdout, one line at a time, so that scripts can read it (a token is
//! always alone on the last line); logs and progress go to stderr. A closed pipe (`| head`) is
//! not an error worth reporting.

use std::{fmt::Display, io::Write};

pub fn line(text: impl Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}
