//! Inbox reports: first-response times and the time every reply took (median, 90th percentile),
//! how often the SLA was met, and volume per channel and per agent — each split by whether the
//! customer wrote within business hours or outside them.
//!
//! Pure: the store fetches one [`ReportRow`] per conversation opened in the period and one
//! [`ReplyRow`] per reply sent in it (found with [`reply_waits`]), and [`Report::of`] folds them
//! in one pass plus a sort per group for the percentiles: O(n log n), fine to a few hundred
//! thousand conversations a period.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One conversation opened in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub channel: String,
    /// The assignee's name (`None`: unassigned).
    pub agent: Option<String>,
    /// The first inbound message.
    pub opened_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_due: Option<DateTime<Utc>>,
    /// Whether it opened within its team's business hours (always true around the clock).
    pub business_hours: bool,
}

/// One reply a person sent in the period, and since when the customer had been waiting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRow {
    pub channel: String,
    /// Who answered (else the conversation's assignee; `None`: unknown).
    pub agent: Option<String>,
    /// The customer's earliest message the reply answered.
    pub asked_at: DateTime<Utc>,
    pub answered_at: DateTime<Utc>,
    /// Whether the customer wrote within the team's business hours.
    pub business_hours: bool,
}

/// Who wrote a message of a thread, for [`reply_waits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    Customer,
    /// A person's reply (not a rule's automatic answer, which does not end the wait).
    Reply,
}

/// A reply and the wait it ended: indexes into the thread given to [`reply_waits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// The customer's earliest message since the previous reply.
    pub asked: usize,
    pub reply: usize,
}

/// The waits in one conversation: each reply answers the customer's earliest message since the
/// previous reply (the next-response clock, as the SLA counts it); a reply with nothing
/// unanswered before it (a second reply in a row, or an opening message) ends no wait. Messages
/// may come in any order; at the same instant the customer's message counts first.
pub fn reply_waits(thread: &[(DateTime<Utc>, Turn)]) -> Vec<Wait> {
    let mut order: Vec<usize> = (0..thread.len()).collect();
    order.sort_by_key(|&i| (thread[i].0, thread[i].1 == Turn::Reply));
    let mut waiting: Option<usize> = None;
    let mut out = Vec::new();
    for i in order {
        match thread[i].1 {
            Turn::Customer => {
                waiting.get_or_insert(i);
            }
            Turn::Reply => {
                if let Some(asked) = waiting.take() {
                    out.push(Wait { asked, reply: i });
                }
            }
        }
    }
    out
}

/// Figures for one group of conversations.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub conversations: u64,
    pub answered: u64,
    /// Seconds from the first inbound message to the first reply.
    pub first_response_median_secs: Option<i64>,
    pub first_response_p90_secs: Option<i64>,
    /// Of the conversations whose first response was due by now (answered or not), the share
    /// answered by the deadline, 0–100.
    pub sla_met_pct: Option<f64>,
    /// Replies people sent in the period (first and later ones).
    pub replies: u64,
    /// Seconds each reply took: from the customer's earliest unanswered message to the reply.
    pub reply_median_secs: Option<i64>,
    pub reply_p90_secs: Option<i64>,
}

/// Figures with the business-hours / off-hours split.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Split {
    pub all: Figures,
    pub business_hours: Figures,
    pub off_hours: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// A channel's or an agent's name (`None`: unassigned).
    pub name: Option<String>,
    #[serde(flatten)]
    pub figures: Split,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub total: Split,
    pub by_channel: Vec<Group>,
    pub by_agent: Vec<Group>,
}

/// The nearest-rank percentile (`p` in 0–100) of sorted values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // Nearest rank: ceil(p/100 · n), at least 1.
    let rank = (usize::try_from(p.min(100)).unwrap_or(100) * n)
        .div_ceil(100)
        .max(1);
    sorted.get(rank - 1).copied()
}

#[derive(Default)]
struct Acc {
    conversations: u64,
    times: Vec<i64>,
    due: u64,
    met: u64,
    waits: Vec<i64>,
}

impl Acc {
    fn add(&mut self, r: &ReportRow, now: DateTime<Utc>) {
        self.conversations += 1;
        if let Some(at) = r.first_responded_at {
            self.times.push((at - r.opened_at).num_seconds().max(0));
        }
        if let Some(due) = r.first_response_due {
            match r.first_responded_at {
                Some(at) => {
                    self.due += 1;
                    if at <= due {
                        self.met += 1;
                    }
                }
                None if due <= now => self.due += 1,
                None => {}
            }
        }
    }

    fn add_reply(&mut self, r: &ReplyRow) {
        self.waits
            .push((r.answered_at - r.asked_at).num_seconds().max(0));
    }

    fn figures(mut self) -> Figures {
        self.times.sort_unstable();
        self.waits.sort_unstable();
        Figures {
            conversations: self.conversations,
            answered: self.times.len() as u64,
            first_response_median_secs: percentile(&self.times, 50),
            first_response_p90_secs: percentile(&self.times, 90),
            sla_met_pct: (self.due > 0).then(|| self.met as f64 * 100.0 / self.due as f64),
            replies: self.waits.len() as u64,
            reply_median_secs: percentile(&self.waits, 50),
            reply_p90_secs: percentile(&self.waits, 90),
        }
    }
}

#[derive(Default)]
struct SplitAcc {
    all: Acc,
    business: Acc,
    off: Acc,
}

impl SplitAcc {
    fn add(&mut self, r: &ReportRow, now: DateTime<Utc>) {
        self.all.add(r, now);
        if r.business_hours {
            self.business.add(r, now);
        } else {
            self.off.add(r, now);
        }
    }

    fn add_reply(&mut self, r: &ReplyRow) {
        self.all.add_reply(r);
        if r.business_hours {
            self.business.add_reply(r);
        } else {
            self.off.add_reply(r);
        }
    }

    fn split(self) -> Split {
        Split {
            all: self.all.figures(),
            business_hours: self.business.figures(),
            off_hours: self.off.figures(),
        }
    }
}

impl Report {
    /// The report over the conversations opened in the period (`rows`) and the replies sent in
    /// it (`replies`) at `now` (unanswered conversations past their deadline count as missed).
    /// Groups are sorted by volume, then name.
    pub fn of(rows: &[ReportRow], replies: &[ReplyRow], now: DateTime<Utc>) -> Report {
        let mut total = SplitAcc::default();
        let mut channels: BTreeMap<Option<String>, SplitAcc> = BTreeMap::new();
        let mut agents: BTreeMap<Option<String>, SplitAcc> = BTreeMap::new();
        for r in rows {
            total.add(r, now);
            channels
                .entry(Some(r.channel.clone()))
                .or_default()
                .add(r, now);
            agents.entry(r.agent.clone()).or_default().add(r, now);
        }
        for r in replies {
            total.add_reply(r);
            channels
                .entry(Some(r.channel.clone()))
                .or_default()
                .add_reply(r);
            agents.entry(r.agent.clone()).or_default().add_reply(r);
        }
        let groups = |m: BTreeMap<Option<String>, SplitAcc>| {
            let mut v: Vec<Group> = m
                .into_iter()
                .map(|(name, acc)| Group {
                    name,
                    figures: acc.split(),
                })
                .collect();
            v.sort_by(|a, b| {
                b.figures
                    .all
                    .conversations
                    .cmp(&a.figures.all.conversations)
                    .then_with(|| a.name.cmp(&b.name))
            });
            v
        };
        Report {
            total: total.split(),
            by_channel: groups(channels),
            by_agent: groups(agents),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    fn row(ch: &str, agent: Option<&str>, answered_min: Option<i64>, business: bool) -> ReportRow {
        ReportRow {
            channel: ch.into(),
            agent: agent.map(str::to_owned),
            opened_at: t0(),
            first_responded_at: answered_min.map(|m| t0() + Duration::minutes(m)),
            first_response_due: Some(t0() + Duration::minutes(60)),
            business_hours: business,
        }
    }

    #[test]
    fn percentiles_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&v, 100), Some(10));
    }

    #[test]
    fn figures_and_split() {
        let rows = vec![
            row("Bluesky", Some("Ana"), Some(10), true),
            row("Bluesky", Some("Ana"), Some(30), true),
            row("Bluesky", Some("Bo"), Some(90), false),
            row("Mastodon", None, None, false),
        ];
        let now = t0() + Duration::hours(5);
        let r = Report::of(&rows, &[], now);
        assert_eq!(r.total.all.conversations, 4);
        assert_eq!(r.total.all.answered, 3);
        assert_eq!(r.total.all.first_response_median_secs, Some(30 * 60));
        assert_eq!(r.total.all.first_response_p90_secs, Some(90 * 60));
        // Met: 10 and 30 minutes; missed: 90 minutes, and the unanswered one past due.
        assert_eq!(r.total.all.sla_met_pct, Some(50.0));
        assert_eq!(r.total.business_hours.conversations, 2);
        assert_eq!(r.total.business_hours.sla_met_pct, Some(100.0));
        assert_eq!(r.total.off_hours.sla_met_pct, Some(0.0));
        assert_eq!(r.by_channel[0].name.as_deref(), Some("Bluesky"));
        assert_eq!(r.by_channel[0].figures.all.conversations, 3);
        assert_eq!(r.by_agent[0].name.as_deref(), Some("Ana"));
        // Not yet due and unanswered: not counted either way.
        let early = Report::of(&rows[3..], &[], t0());
        assert_eq!(early.total.all.sla_met_pct, None);
    }

    fn at(min: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(min)
    }

    #[test]
    fn each_reply_answers_the_earliest_unanswered_message() {
        use Turn::{Customer, Reply};
        // Asked at 0 and 5, answered at 20; asked again at 30, answered at 90 and once more at 95
        // (nothing was waiting); a question at 100 is still open.
        let thread = [
            (at(20), Reply),
            (at(0), Customer),
            (at(5), Customer),
            (at(30), Customer),
            (at(90), Reply),
            (at(95), Reply),
            (at(100), Customer),
        ];
        let w = reply_waits(&thread);
        assert_eq!(
            w,
            vec![Wait { asked: 1, reply: 0 }, Wait { asked: 3, reply: 4 }]
        );
        // A reply before anyone wrote (an opening message) ends nothing.
        assert!(reply_waits(&[(at(0), Reply), (at(1), Reply)]).is_empty());
        // At the same instant the customer's message comes first: a wait of zero.
        assert_eq!(
            reply_waits(&[(at(7), Reply), (at(7), Customer)]),
            vec![Wait { asked: 1, reply: 0 }]
        );
    }

    #[test]
    fn reply_times_per_group_and_split() {
        let reply = |ch: &str, agent: &str, asked: i64, answered: i64, business: bool| ReplyRow {
            channel: ch.into(),
            agent: Some(agent.into()),
            asked_at: at(asked),
            answered_at: at(answered),
            business_hours: business,
        };
        let replies = vec![
            reply("Bluesky", "Ana", 0, 10, true),
            reply("Bluesky", "Ana", 100, 130, true),
            reply("Mastodon", "Bo", 0, 120, false),
        ];
        let r = Report::of(&[], &replies, at(500));
        assert_eq!(r.total.all.replies, 3);
        assert_eq!(r.total.all.reply_median_secs, Some(30 * 60));
        assert_eq!(r.total.all.reply_p90_secs, Some(120 * 60));
        assert_eq!(r.total.business_hours.replies, 2);
        assert_eq!(r.total.off_hours.reply_median_secs, Some(120 * 60));
        // A channel with replies but no conversation opened in the period still shows them.
        let mastodon = r
            .by_channel
            .iter()
            .find(|g| g.name.as_deref() == Some("Mastodon"))
            .unwrap();
        assert_eq!(mastodon.figures.all.conversations, 0);
        assert_eq!(mastodon.figures.all.replies, 1);
        let ana = r
            .by_agent
            .iter()
            .find(|g| g.name.as_deref() == Some("Ana"))
            .unwrap();
        assert_eq!(ana.figures.all.reply_median_secs, Some(10 * 60));
    }

    proptest! {
        #[test]
        fn waits_are_ordered_and_never_share_a_message(
            turns in prop::collection::vec((0i64..300, any::<bool>()), 0..40)
        ) {
            let thread: Vec<(DateTime<Utc>, Turn)> = turns
                .iter()
                .map(|(m, reply)| (at(*m), if *reply { Turn::Reply } else { Turn::Customer }))
                .collect();
            let waits = reply_waits(&thread);
            let replies = thread.iter().filter(|t| t.1 == Turn::Reply).count();
            let asked = thread.len() - replies;
            prop_assert!(waits.len() <= replies.min(asked));
            let mut used = std::collections::HashSet::new();
            for w in &waits {
                prop_assert_eq!(thread[w.asked].1, Turn::Customer);
                prop_assert_eq!(thread[w.reply].1, Turn::Reply);
                prop_assert!(thread[w.asked].0 <= thread[w.reply].0);
                prop_assert!(used.insert(w.asked) && used.insert(w.reply));
            }
            // Every reply after some customer message ends a wait unless one just ended.
            if let (Some(first_ask), Some(last_reply)) = (
                thread.iter().filter(|t| t.1 == Turn::Customer).map(|t| t.0).min(),
                thread.iter().filter(|t| t.1 == Turn::Reply).map(|t| t.0).max(),
            ) && first_ask <= last_reply
            {
                prop_assert!(!waits.is_empty());
            }
        }

        #[test]
        fn groups_add_up(answers in prop::collection::vec((0u8..3, prop::option::of(0i64..500), any::<bool>()), 0..60)) {
            let rows: Vec<ReportRow> = answers
                .iter()
                .map(|(ch, a, b)| row(&format!("c{ch}"), Some("x"), *a, *b))
                .collect();
            let r = Report::of(&rows, &[], t0() + Duration::days(1));
            let sum: u64 = r.by_channel.iter().map(|g| g.figures.all.conversations).sum();
            prop_assert_eq!(sum, rows.len() as u64);
            prop_assert_eq!(
                r.total.business_hours.conversations + r.total.off_hours.conversations,
                r.total.all.conversations
            );
            if let (Some(m), Some(p)) = (r.total.all.first_response_median_secs, r.total.all.first_response_p90_secs) {
                prop_assert!(m <= p);
            }
            if let Some(pct) = r.total.all.sla_met_pct {
                prop_assert!((0.0..=100.0).contains(&pct));
            }
        }
    }
}
