//! Publishing: the pure rules behind approvals, schedules, campaigns, bulk import/export, the
//! calendar feed, link tagging and previews, and version history. Time is always a parameter.

pub mod approval;
pub mod campaign;
pub mod csv;
pub mod engine;
pub mod history;
pub mod ical;
pub mod link_preview;
pub mod media_url;
pub mod schedule;
pub mod utm;
