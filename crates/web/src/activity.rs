//! Who is using the app, for automatic away (`owlery_domain::inbox::presence`).
//!
//! Activity is a signed-in page request (the [`crate::auth::PagePrincipal`] extractor), an API
//! request with a person's token (the [`crate::auth::ApiPrincipal`] extractor; reading one's own
//! presence is not activity), or an open live inbox stream (`GET /inbox/events` reports itself
//! every minute while open). Pages and the API share this throttle. Writing on
//! every request would cost a write per click, so each node remembers in memory when it last
//! wrote each person's activity and writes again at most once every [`FLUSH_EVERY`]
//! ([`owlery_store::Store::note_activity`], which also brings them back from an automatic away).
//! The idle time is at least five minutes, so a minute of delay never sends an active person
//! away; and since an automatic away needs the idle time without any write, the first request
//! after one always writes, so people come back on their very next page.

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Duration, Utc};
use owlery_domain::UserId;
use owlery_store::{Result, Store, presence::PresenceInfo};

/// At most one activity write per person and node in this time.
pub const FLUSH_EVERY: Duration = Duration::minutes(1);

/// Past this many remembered people, entries older than [`FLUSH_EVERY`] are dropped (they would
/// write on their next request anyway).
const PRUNE_AT: usize = 4096;

/// The last activity write per person, on this node.
#[derive(Debug, Default)]
pub struct Activity {
    written: Mutex<HashMap<UserId, DateTime<Utc>>>,
}

impl Activity {
    /// `user` is active now: write it when this node has not in the last minute. Returns their
    /// presence when it wrote (it is read in the same statement), `None` when it did not.
    pub async fn seen(&self, store: &Store, user: UserId) -> Result<Option<PresenceInfo>> {
        let now = store.now();
        if !self.claim(user, now) {
            return Ok(None);
        }
        match store.note_activity(user).await {
            Ok(info) => Ok(Some(info)),
            Err(e) => {
                // Not written: let the next request try again.
                self.forget(user);
                Err(e)
            }
        }
    }

    /// Whether this call should write (and if so, mark it written now).
    fn claim(&self, user: UserId, now: DateTime<Utc>) -> bool {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = written.get(&user)
            && now - *at < FLUSH_EVERY
            && *at <= now
        {
            return false;
        }
        if written.len() >= PRUNE_AT {
            written.retain(|_, at| now - *at < FLUSH_EVERY);
        }
        written.insert(user, now);
        true
    }

    fn forget(&self, user: UserId) {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.remove(&user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    #[test]
    fn writes_at_most_once_a_minute_per_person() {
        let a = Activity::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
        let ana = UserId(Uuid::from_u128(1));
        let bo = UserId(Uuid::from_u128(2));
        assert!(a.claim(ana, t0));
        assert!(!a.claim(ana, t0 + Duration::seconds(59)));
        assert!(a.claim(bo, t0 + Duration::seconds(10)));
        assert!(a.claim(ana, t0 + Duration::seconds(60)));
        assert!(!a.claim(ana, t0 + Duration::seconds(61)));
        // A clock that went back (a test clock, a corrected node) writes rather than wait.
        assert!(a.claim(ana, t0));
        a.forget(bo);
        assert!(a.claim(bo, t0 + Duration::seconds(11)));
    }
}
