//! Who is asking, and may they: sessions, API tokens, CSRF, and the permission check.
//!
//! Every handler that does anything gets a [`Principal`] (from a session cookie for pages, from a
//! bearer token for `/api/v1`) and calls [`Principal::require`] — the one place where a request
//! meets [`owlery_domain::Access::can`].

pub mod csrf;
pub mod password;
pub mod principal;

pub use principal::{
    ApiPrincipal, ClientIp, PagePrincipal, Principal, QuietApiPrincipal, SESSION_COOKIE,
    idle_timeout,
};
