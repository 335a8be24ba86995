//! Owlery's HTTP edge: the server-rendered UI (askama + htmx), `/api/v1` and operations endpoints.
//! Handlers parse input, call the domain and the store, and render; they hold no business rules.

pub mod i18n;
pub mod ui;
