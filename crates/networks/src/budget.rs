//! Rate-limit budgets: what the networks' responses say is left, and what their documentation
//! promises, so that the engine waits for a budget instead of failing a post.
//!
//! - [`BudgetBook`] is filled by the connectors from response headers (`x-rate-limit-*` on X,
//!   `X-RateLimit-*` on Mastodon, `RateLimit-*` on Bluesky, `X-App-Usage` and
//!   `X-Business-Use-Case-Usage` on Meta) and after a 429. The engine asks [`BudgetBook::wait`]
//!   before a call. One book per process, shared by every connector ([`crate::Env`]); a second
//!   worker process learns the same facts from its own first response (or 429).
//! - [`documented`] lists the posting quotas the networks document but do not announce in
//!   headers (Instagram 50 posts / 24 h, Threads 250 / 24 h, Bluesky points, X 300 posts / 3 h);
//!   the engine counts the channel's own recent posts against them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::Network;
use crate::http::RateLimit;

/// Whose budget: the organisation's app on the network (shared by all its accounts), or one
/// account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    App,
    Account,
}

/// One window of a budget, as last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Calls left in the window (for percentage budgets such as Meta's: percent left).
    pub remaining: u64,
    pub limit: Option<u64>,
    /// When the window starts afresh.
    pub resets_at: SystemTime,
}

type Key = (Network, Scope, String, String);

/// What is left of each budget, learned from responses. Thread-safe; cheap to share in an `Arc`.
#[derive(Debug, Default)]
pub struct BudgetBook {
    windows: Mutex<HashMap<Key, Window>>,
}

/// A percentage budget (Meta) counts as empty from this share on: Meta throttles at 100 %, and the
/// last few percent are left for reads and people working in Meta's own tools.
const META_CEILING_PERCENT: u64 = 95;
/// Meta's usage headers describe a rolling hour without saying when it frees up: wait this long
/// and look again.
const META_ROLLING_WAIT: Duration = Duration::from_secs(10 * 60);

impl BudgetBook {
    pub fn new() -> BudgetBook {
        BudgetBook::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Window>> {
        // Plain values: still consistent if a holder panicked.
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Files one window. `account` is [`crate::Credentials::budget_key`] (ignored for
    /// [`Scope::App`]); `bucket` names the endpoint or limit (`"POST /2/tweets"`, `"app"`).
    pub fn observe(
        &self,
        network: Network,
        scope: Scope,
        account: &str,
        bucket: &str,
        window: Window,
    ) {
        let account = if scope == Scope::App { "" } else { account };
        self.lock().insert(
            (network, scope, account.to_owned(), bucket.to_owned()),
            window,
        );
    }

    /// Files what the standard rate-limit headers said (see [`crate::http::rate_limit`]). A
    /// response without `remaining` or `reset` says nothing usable.
    pub fn observe_headers(
        &self,
        network: Network,
        scope: Scope,
        account: &str,
        bucket: &str,
        limit: RateLimit,
        now: SystemTime,
    ) {
        if let (Some(remaining), Some(reset)) = (limit.remaining, limit.reset) {
            self.observe(
                network,
                scope,
                account,
                bucket,
                Window {
                    remaining,
                    limit: limit.limit,
                    resets_at: now + reset,
                },
            );
        }
    }

    /// The network said 429: nothing is left until `retry_after` (or a minute, when it did not
    /// say).
    pub fn exhausted(
        &self,
        network: Network,
        scope: Scope,
        account: &str,
        bucket: &str,
        retry_after: Option<Duration>,
        now: SystemTime,
    ) {
        self.observe(
            network,
            scope,
            account,
            bucket,
            Window {
                remaining: 0,
                limit: None,
                resets_at: now + retry_after.unwrap_or(Duration::from_secs(60)),
            },
        );
    }

    /// Files Meta's usage headers: `X-App-Usage` (the app, percentages of its hourly budget) and
    /// `X-Business-Use-Case-Usage` (per Page or Instagram account, with
    /// `estimated_time_to_regain_access` in minutes).
    pub fn observe_meta(
        &self,
        network: Network,
        account: &str,
        headers: &HeaderMap,
        now: SystemTime,
    ) {
        if let Some(used) = header(headers, "x-app-usage").and_then(|v| meta_app_usage(&v)) {
            self.observe(network, Scope::App, "", "app", meta_window(used, None, now));
        }
        if let Some(cases) =
            header(headers, "x-business-use-case-usage").and_then(|v| meta_business_usage(&v))
        {
            for case in cases {
                self.observe(
                    network,
                    Scope::Account,
                    account,
                    &format!("buc:{}", case.kind),
                    meta_window(case.used_percent, case.regain, now),
                );
            }
        }
    }

    /// How long a call for `account` on `network` must wait: the longest wait of any empty window
    /// of the app or of that account that has not reset yet. `None`: go now.
    pub fn wait(&self, network: Network, account: &str, now: SystemTime) -> Option<Duration> {
        let mut windows = self.lock();
        // Forget windows that have reset: they say nothing any more.
        windows.retain(|_, w| w.resets_at > now);
        windows
            .iter()
            .filter(|((n, scope, acc, _), w)| {
                *n == network
                    && w.remaining == 0
                    && (*scope == Scope::App || acc.as_str() == account)
            })
            .filter_map(|(_, w)| w.resets_at.duration_since(now).ok())
            .max()
    }

    /// How long a call must wait for the named buckets only (`(scope, bucket)`; the account is
    /// ignored for [`Scope::App`]): for callers that must not be held by an unrelated empty
    /// budget of the same account (YouTube's comment polling, by its upload limit). `None`: go now.
    pub fn wait_for(
        &self,
        network: Network,
        account: &str,
        buckets: &[(Scope, &str)],
        now: SystemTime,
    ) -> Option<Duration> {
        let windows = self.lock();
        buckets
            .iter()
            .filter_map(|(scope, bucket)| {
                let account = if *scope == Scope::App { "" } else { account };
                windows.get(&(network, *scope, account.to_owned(), (*bucket).to_owned()))
            })
            .filter(|w| w.remaining == 0)
            .filter_map(|w| w.resets_at.duration_since(now).ok())
            .max()
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn meta_window(used_percent: u64, regain: Option<Duration>, now: SystemTime) -> Window {
    let remaining = if used_percent >= META_CEILING_PERCENT {
        0
    } else {
        100 - used_percent
    };
    let wait = match regain {
        Some(d) if !d.is_zero() => d,
        _ => META_ROLLING_WAIT,
    };
    Window {
        remaining,
        limit: Some(100),
        resets_at: now + wait,
    }
}

/// `{"call_count":28,"total_time":25,"total_cputime":25}` → the largest share used (28).
pub fn meta_app_usage(value: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(value).ok()?;
    ["call_count", "total_time", "total_cputime"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(serde_json::Value::as_u64))
        .max()
}

/// One entry of `X-Business-Use-Case-Usage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusinessUsage {
    /// `pages`, `instagram`, `ads_management` …
    pub kind: String,
    pub used_percent: u64,
    /// `estimated_time_to_regain_access` (minutes in the header).
    pub regain: Option<Duration>,
}

/// `{"<id>":[{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,
/// "estimated_time_to_regain_access":5}]}` → one entry per object and type.
pub fn meta_business_usage(value: &str) -> Option<Vec<BusinessUsage>> {
    let v: serde_json::Value = serde_json::from_str(value).ok()?;
    let mut out = Vec::new();
    for entries in v.as_object()?.values() {
        for e in entries.as_array().into_iter().flatten() {
            let used = ["call_count", "total_time", "total_cputime"]
                .iter()
                .filter_map(|k| e.get(*k).and_then(serde_json::Value::as_u64))
                .max()
                .unwrap_or(0);
            let regain = e
                .get("estimated_time_to_regain_access")
                .and_then(serde_json::Value::as_u64)
                .map(|m| Duration::from_secs(m * 60));
            out.push(BusinessUsage {
                kind: e
                    .get("type")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("unknown")
                    .to_owned(),
                used_percent: used,
                regain,
            });
        }
    }
    Some(out)
}

/// A posting quota a network documents: at most `posts` per account in any `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub posts: u32,
    pub per: Duration,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// The documented posting quota of an account on `network` (sources in `design/networks.md`);
/// `None` when the network documents none that a team could reach by posting.
pub fn documented(network: Network) -> Option<Quota> {
    Some(match network {
        // content_publishing_limit: quota_total 50, quota_duration 86400
        Network::Instagram => Quota {
            posts: 50,
            per: DAY,
        },
        // threads_publishing_limit: 250 posts per profile per 24 h (a carousel counts once)
        Network::Threads => Quota {
            posts: 250,
            per: DAY,
        },
        // 35,000 points a day per account, a create costs 3
        Network::Bluesky => Quota {
            posts: 11_666,
            per: DAY,
        },
        // 300 posts per 3 hours per user per app (shared with reposts)
        Network::X => Quota {
            posts: 300,
            per: Duration::from_secs(3 * 3600),
        },
        // default quota: 100 videos.insert calls a day for the project
        Network::Youtube => Quota {
            posts: 100,
            per: DAY,
        },
        _ => return None,
    })
}

/// When the next post may go under `quota`, given the times of the account's posts so far
/// (any order). `None`: now.
pub fn quota_wait(quota: Quota, recent: &[SystemTime], now: SystemTime) -> Option<Duration> {
    let window_start = now.checked_sub(quota.per)?;
    let mut inside: Vec<SystemTime> = recent
        .iter()
        .copied()
        .filter(|t| *t > window_start && *t <= now)
        .collect();
    if inside.len() < quota.posts as usize {
        return None;
    }
    inside.sort();
    // The window frees a slot when its oldest posts age out: after the (n - posts + 1)-th oldest.
    let frees = inside[inside.len() - quota.posts as usize];
    (frees + quota.per).duration_since(now).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    #[test]
    fn an_empty_window_makes_its_account_wait_until_it_resets() {
        let book = BudgetBook::new();
        let w = |remaining, at| Window {
            remaining,
            limit: Some(300),
            resets_at: at,
        };
        book.observe(
            Network::X,
            Scope::Account,
            "alice",
            "POST /2/tweets",
            w(0, t(900)),
        );
        book.observe(
            Network::X,
            Scope::Account,
            "bob",
            "POST /2/tweets",
            w(12, t(900)),
        );
        assert_eq!(
            book.wait(Network::X, "alice", t(0)),
            Some(Duration::from_secs(900))
        );
        assert_eq!(book.wait(Network::X, "bob", t(0)), None);
        assert_eq!(book.wait(Network::Mastodon, "alice", t(0)), None);
        // once reset, forgotten
        assert_eq!(book.wait(Network::X, "alice", t(901)), None);
    }

    #[test]
    fn an_empty_app_budget_holds_every_account_of_the_network() {
        let book = BudgetBook::new();
        book.exhausted(
            Network::FacebookPage,
            Scope::App,
            "ignored",
            "app",
            Some(Duration::from_secs(30)),
            t(0),
        );
        assert_eq!(
            book.wait(Network::FacebookPage, "page-1", t(0)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            book.wait(Network::FacebookPage, "page-2", t(10)),
            Some(Duration::from_secs(20))
        );
        // a 429 without Retry-After still waits a minute
        book.exhausted(Network::X, Scope::Account, "a", "x", None, t(0));
        assert_eq!(
            book.wait(Network::X, "a", t(0)),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn meta_usage_headers_are_read() {
        assert_eq!(
            meta_app_usage(r#"{"call_count":28,"total_time":25,"total_cputime":96}"#),
            Some(96)
        );
        assert_eq!(meta_app_usage("not json"), None);
        let buc = meta_business_usage(
            r#"{"1234":[{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":5}]}"#,
        )
        .unwrap();
        assert_eq!(
            buc,
            vec![BusinessUsage {
                kind: "pages".into(),
                used_percent: 100,
                regain: Some(Duration::from_secs(300)),
            }]
        );

        let book = BudgetBook::new();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-business-use-case-usage",
            HeaderValue::from_static(
                r#"{"1234":[{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":5}]}"#,
            ),
        );
        headers.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":40,"total_time":1,"total_cputime":1}"#),
        );
        book.observe_meta(Network::FacebookPage, "1234", &headers, t(0));
        assert_eq!(
            book.wait(Network::FacebookPage, "1234", t(0)),
            Some(Duration::from_secs(300))
        );
        assert_eq!(book.wait(Network::FacebookPage, "other-page", t(0)), None);
    }

    #[test]
    fn standard_headers_without_a_reset_say_nothing() {
        let book = BudgetBook::new();
        let rl = RateLimit {
            limit: Some(300),
            remaining: Some(0),
            reset: None,
        };
        book.observe_headers(Network::Mastodon, Scope::Account, "a", "api", rl, t(0));
        assert_eq!(book.wait(Network::Mastodon, "a", t(0)), None);
        let rl = RateLimit {
            reset: Some(Duration::from_secs(42)),
            ..rl
        };
        book.observe_headers(Network::Mastodon, Scope::Account, "a", "api", rl, t(0));
        assert_eq!(
            book.wait(Network::Mastodon, "a", t(0)),
            Some(Duration::from_secs(42))
        );
    }

    #[test]
    fn documented_quotas_wait_for_the_oldest_post_to_age_out() {
        let q = Quota {
            posts: 3,
            per: Duration::from_secs(100),
        };
        let now = t(1000);
        assert_eq!(quota_wait(q, &[t(950), t(960)], now), None);
        // three in the window: the oldest (950) leaves it at 1050
        assert_eq!(
            quota_wait(q, &[t(960), t(950), t(990), t(100)], now),
            Some(Duration::from_secs(50))
        );
        // four in the window: two must age out, the second oldest (960) at 1060
        assert_eq!(
            quota_wait(q, &[t(960), t(950), t(990), t(999)], now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(documented(Network::Instagram).map(|q| q.posts), Some(50));
        assert_eq!(documented(Network::Sandbox), None);
    }
}
