//! UI pages: the server-rendered HTML (askama templates in `crates/web/templates`, htmx for
//! partial updates), the view structs that feed the templates, and the static assets.

pub mod assets;
pub mod views;
