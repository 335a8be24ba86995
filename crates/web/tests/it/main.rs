//! The web crate's one integration-test binary: the real router, in process, over HTTP requests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

mod pages;
