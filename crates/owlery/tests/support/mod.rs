//! Helpers shared by integration tests (and, through `#[path]`, benches).

pub mod meta_page;
