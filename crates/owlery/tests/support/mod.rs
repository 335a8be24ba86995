//! Helpers shared by integration tests (and, through `#[path]`, benches).

#[allow(dead_code, reason = "each test binary uses part of it")]
pub mod meta_page;
#[allow(dead_code, reason = "each test binary uses part of it")]
pub mod process;
