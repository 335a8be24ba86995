//! UI pages.
