//! The audit log's hash chain.
//!
//! Every change writes one [`AuditRecord`] in the same transaction as the change. Record `n`
//! carries the hash of record `n-1`; its own hash covers its sequence number, its content and that
//! previous hash. Editing, deleting or reordering any record breaks the chain at that point, and
//! [`verify_chain`] says where. The store also keeps the head (last sequence and hash) so that
//! cutting records off the end is detected too.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit event as the application describes it, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The person who acted, if any (`None` for the system itself).
    pub actor_id: Option<String>,
    /// How the actor is shown: an e-mail address, or `system`, `cli`.
    pub actor_label: String,
    /// What happened, as a stable dotted code: `user.create`, `session.signin`, `grant.revoke`.
    pub action: String,
    /// What it happened to: `user`, `workspace`, `token`…
    pub target_type: String,
    pub target_id: Option<String>,
    /// Where the request came from (client IP), when there was a request.
    pub ip: Option<String>,
    /// JSON text of the state before and after; stored and hashed as text so that a database that
    /// re-orders JSON keys cannot break the chain.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A chained audit record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The time as the chain sees it: microseconds, the precision both databases keep.
pub fn chain_time(at: DateTime<Utc>) -> DateTime<Utc> {
    let micros = at.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(at)
}

/// The hash of a record: SHA-256 over its fields, each length-prefixed so that no two different
/// records serialise the same way.
pub fn record_hash(seq: i64, at: DateTime<Utc>, entry: &AuditEntry, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "\u{0}none".to_owned());
    field("owlery-audit-v1");
    field(&seq.to_string());
    field(&chain_time(at).to_rfc3339_opts(SecondsFormat::Micros, true));
    field(&opt(&entry.actor_id));
    field(&entry.actor_label);
    field(&entry.action);
    field(&entry.target_type);
    field(&opt(&entry.target_id));
    field(&opt(&entry.ip));
    field(&opt(&entry.before));
    field(&opt(&entry.after));
    field(prev_hash);
    hex::encode(h.finalize())
}

/// Chain a new entry after the head `(seq, hash)` (or after genesis).
pub fn chain(entry: AuditEntry, at: DateTime<Utc>, head: Option<(i64, &str)>) -> AuditRecord {
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash.to_owned()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let at = chain_time(at);
    let hash = record_hash(seq, at, &entry, &prev_hash);
    AuditRecord {
        seq,
        at,
        entry,
        prev_hash,
        hash,
    }
}

/// Where a chain stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {seq} was edited: its content does not match its hash")]
    Edited { seq: i64 },
    #[error(
        "event {seq} does not follow event {previous}: events were deleted or reordered before it"
    )]
    Gap { previous: i64, seq: i64 },
    #[error(
        "event {seq} does not link to the event before it: an event before it was edited, deleted or reordered"
    )]
    Unlinked { seq: i64 },
    #[error(
        "the log ends at event {last} but its head says {head}: events at the end were deleted"
    )]
    Truncated { last: i64, head: i64 },
    #[error("the log's head hash does not match event {seq}")]
    HeadMismatch { seq: i64 },
}

/// A streaming verifier, so that millions of records can be checked without holding them all.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    last: Option<(i64, String)>,
    pub checked: u64,
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Check the next record (in ascending `seq` order).
    pub fn push(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        let (expected_seq, expected_prev) = match &self.last {
            Some((seq, hash)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        if r.seq != expected_seq {
            return Err(ChainBreak::Gap {
                previous: expected_seq - 1,
                seq: r.seq,
            });
        }
        if record_hash(r.seq, r.at, &r.entry, &r.prev_hash) != r.hash {
            return Err(ChainBreak::Edited { seq: r.seq });
        }
        if r.prev_hash != expected_prev {
            return Err(ChainBreak::Unlinked { seq: r.seq });
        }
        self.last = Some((r.seq, r.hash.clone()));
        self.checked += 1;
        Ok(())
    }

    /// Compare the end of the chain with the stored head.
    pub fn finish(&self, head: Option<(i64, &str)>) -> Result<(), ChainBreak> {
        // A head at sequence 0 is the empty log's head.
        let head = head.filter(|(seq, _)| *seq > 0);
        match (&self.last, head) {
            (None, None) => Ok(()),
            (None, Some((head, _))) => Err(ChainBreak::Truncated { last: 0, head }),
            (Some((last, _)), None) => Err(ChainBreak::HeadMismatch { seq: *last }),
            (Some((last, hash)), Some((head_seq, head_hash))) => {
                if *last < head_seq {
                    Err(ChainBreak::Truncated {
                        last: *last,
                        head: head_seq,
                    })
                } else if *last > head_seq || hash != head_hash {
                    Err(ChainBreak::HeadMismatch { seq: *last })
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Verify a whole chain held in memory.
pub fn verify_chain(records: &[AuditRecord], head: Option<(i64, &str)>) -> Result<(), ChainBreak> {
    let mut v = ChainVerifier::new();
    for r in records {
        v.push(r)?;
    }
    v.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            actor_id: Some("u1".into()),
            actor_label: "olivia@example.test".into(),
            action: action.into(),
            target_type: "user".into(),
            target_id: Some("u2".into()),
            ip: Some("127.0.0.1".into()),
            before: None,
            after: Some(r#"{"role":"admin"}"#.into()),
        }
    }

    fn build(n: usize) -> Vec<AuditRecord> {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let head = out.last().map(|r| (r.seq, r.hash.as_str()));
            let rec = chain(
                entry(&format!("a.{i}")),
                t0 + chrono::Duration::seconds(i as i64),
                head,
            );
            out.push(rec);
        }
        out
    }

    fn head(v: &[AuditRecord]) -> Option<(i64, &str)> {
        v.last().map(|r| (r.seq, r.hash.as_str()))
    }

    #[test]
    fn intact_chain_verifies() {
        let v = build(5);
        assert_eq!(verify_chain(&v, head(&v)), Ok(()));
        assert_eq!(verify_chain(&[], None), Ok(()));
    }

    #[test]
    fn edit_is_found_at_the_edited_event() {
        let mut v = build(5);
        let h = head(&v).map(|(s, h)| (s, h.to_owned()));
        v[2].entry.after = Some(r#"{"role":"owner"}"#.into());
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(verify_chain(&v, h), Err(ChainBreak::Edited { seq: 3 }));
    }

    #[test]
    fn rehashed_edit_breaks_the_link_after_it() {
        let mut v = build(5);
        let h = head(&v).map(|(s, h)| (s, h.to_owned()));
        v[1].entry.action = "forged".into();
        v[1].hash = record_hash(v[1].seq, v[1].at, &v[1].entry, &v[1].prev_hash);
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(verify_chain(&v, h), Err(ChainBreak::Unlinked { seq: 3 }));
    }

    #[test]
    fn deletion_and_reordering_are_found() {
        let v = build(5);
        let h = head(&v).map(|(s, h)| (s, h.to_owned()));
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        let mut deleted = v.clone();
        deleted.remove(2);
        assert_eq!(
            verify_chain(&deleted, h),
            Err(ChainBreak::Gap {
                previous: 2,
                seq: 4
            })
        );
        let mut reordered = v.clone();
        reordered.swap(1, 2);
        assert_eq!(
            verify_chain(&reordered, h),
            Err(ChainBreak::Gap {
                previous: 1,
                seq: 3
            })
        );
        let mut truncated = v.clone();
        truncated.pop();
        assert_eq!(
            verify_chain(&truncated, h),
            Err(ChainBreak::Truncated { last: 4, head: 5 })
        );
    }

    #[test]
    fn time_is_hashed_at_microsecond_precision() {
        let t = Utc.timestamp_nanos(1_700_000_000_123_456_789);
        let r = chain(entry("x"), t, None);
        assert_eq!(r.at.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(
            verify_chain(std::slice::from_ref(&r), Some((1, &r.hash))),
            Ok(())
        );
    }
}

/// Who did something, and from where: attached to every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<crate::UserId>,
    /// An e-mail address, or `system` / `cli`.
    pub label: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            user_id: None,
            label: "system".into(),
            ip: None,
        }
    }

    pub fn cli() -> Self {
        Self {
            user_id: None,
            label: "cli".into(),
            ip: None,
        }
    }

    /// A routing rule acting on its own (an automatic answer): audited under the rule's name.
    pub fn rule(name: &str) -> Self {
        Self {
            user_id: None,
            label: format!("rule: {name}"),
            ip: None,
        }
    }

    pub fn user(id: crate::UserId, email: &str, ip: Option<String>) -> Self {
        Self {
            user_id: Some(id),
            label: email.to_owned(),
            ip,
        }
    }

    /// An audit entry for an action done by this actor.
    pub fn entry(
        &self,
        action: &str,
        target_type: &str,
        target_id: Option<String>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditEntry {
        AuditEntry {
            actor_id: self.user_id.map(|u| u.to_string()),
            actor_label: self.label.clone(),
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id,
            ip: self.ip.clone(),
            before: before.map(|v| v.to_string()),
            after: after.map(|v| v.to_string()),
        }
    }
}
