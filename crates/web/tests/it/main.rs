//! The web crate's one integration-test binary: the real router, in process, over HTTP requests.
//! `support` builds the app (a fresh database per app, on SQLite and, when configured,
//! PostgreSQL) and sends requests; `api` and `matrix` test `/api/v1`; `pages` the browser UI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop here

mod api;
mod composer;
mod connect;
mod engine;
mod inbox;
mod inbox_live;
mod inbox_replies;
mod inbox_rules;
mod matrix;
mod media;
mod media_urls;
mod oauth;
mod pages;
mod posts;
mod publish_pages2;
mod publishing_api;
mod publishing_pages;
mod support;
mod tiktok_business;
mod webhooks;
mod workflows;
