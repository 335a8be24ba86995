//! Sign-in throttling: how many failed attempts an account or an address may make before it has to
//! wait. Both limits apply; the longer wait wins. The caller passes the recent failures (newest
//! last) and the current time.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures on one account within `window` before it locks.
    pub account_failures: usize,
    /// Failures from one IP address within `window` (across accounts) before it is throttled.
    pub ip_failures: usize,
    pub window: Duration,
    /// How long a lock lasts after the failure that caused it.
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            account_failures: 5,
            ip_failures: 20,
            window: Duration::minutes(15),
            lock_for: Duration::minutes(15),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInGate {
    Open,
    /// Attempts are refused until this time, whatever the password.
    LockedUntil(DateTime<Utc>),
}

impl LockoutPolicy {
    /// The earliest time the window starts: failures before it no longer count.
    pub fn since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    pub fn gate(
        &self,
        account_failures: &[DateTime<Utc>],
        ip_failures: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> SignInGate {
        let until = [
            self.lock_end(account_failures, self.account_failures, now),
            self.lock_end(ip_failures, self.ip_failures, now),
        ]
        .into_iter()
        .flatten()
        .max();
        match until {
            Some(t) => SignInGate::LockedUntil(t),
            None => SignInGate::Open,
        }
    }

    fn lock_end(
        &self,
        failures: &[DateTime<Utc>],
        limit: usize,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let recent: Vec<_> = failures
            .iter()
            .filter(|t| **t > now - self.window)
            .collect();
        if limit == 0 || recent.len() < limit {
            return None;
        }
        let last = recent.iter().max()?;
        let until = **last + self.lock_for;
        (until > now).then_some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn locks_after_the_limit_and_reopens() {
        let p = LockoutPolicy::default();
        let four: Vec<_> = (0..4).map(t).collect();
        assert_eq!(p.gate(&four, &[], t(5)), SignInGate::Open);
        let five: Vec<_> = (0..5).map(t).collect();
        assert_eq!(p.gate(&five, &[], t(5)), SignInGate::LockedUntil(t(19)));
        assert_eq!(p.gate(&five, &[], t(20)), SignInGate::Open);
    }

    #[test]
    fn old_failures_do_not_count() {
        let p = LockoutPolicy::default();
        let spread: Vec<_> = [0, 10, 20, 30, 40].into_iter().map(t).collect();
        assert_eq!(p.gate(&spread, &[], t(41)), SignInGate::Open);
    }

    #[test]
    fn ip_limit_applies_across_accounts() {
        let p = LockoutPolicy::default();
        let many: Vec<_> = (0..20).map(|i| t(0) + Duration::seconds(i)).collect();
        assert!(matches!(
            p.gate(&[], &many, t(1)),
            SignInGate::LockedUntil(_)
        ));
    }
}
