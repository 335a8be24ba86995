//! A person's presence (`inbox_presence`: available, away, off shift; their own cap) and
//! automatic away (issue 5). The rules are `owlery_domain::inbox::presence`; here:
//!
//! - [`Store::set_presence`]: the person sets it (page, top bar, API). Clears any automatic away
//!   and counts as activity.
//! - [`Store::note_activity`]: the web layer calls it at most once a minute per person and node
//!   while they use the app (pages, the API with their token, the live inbox stream). It records when they were last active
//!   and brings them back from an *automatic* away.
//! - [`Store::presence_idle_sweep`]: the worker's sweep. Team members (the people assignment
//!   picks from) set available with no activity for the organisation's idle time become away,
//!   marked automatic. Each change is its own small transaction, guarded in SQL by the same rule
//!   (still available, still idle), so sweeps on several nodes — or a request arriving
//!   meanwhile — never double an away nor override activity.
//!
//! - [`Store::org_presence`]: everyone's presence in one query, for the pages that choose a person
//!   (assignee fields, the list's filter and bulk bar, team members).
//!
//! Automatic changes are audited with the actor `system`. Availability is not on the live bus:
//! pages show other people's availability as it was when they were made, not live.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use owlery_domain::{
    OrgId, UserId,
    audit::Actor,
    inbox::{
        assignment::{MAX_CAP, Presence},
        presence::{AutoAway, Change, Standing, idle_change, idle_cutoff, on_activity},
    },
};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::{Result, Store, StoreError, inbox_rules::corrupt_col};

/// A person's presence and own cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PresenceInfo {
    pub status: Presence,
    pub max_open: Option<u32>,
    /// Away because they were idle, not because they said so.
    pub automatic: bool,
    /// When the automatic away began (`None` unless `automatic`).
    pub automatic_since: Option<DateTime<Utc>>,
}

impl PresenceInfo {
    pub fn standing(&self) -> Standing {
        Standing {
            status: self.status,
            automatic: self.automatic,
        }
    }
}

impl Default for PresenceInfo {
    fn default() -> Self {
        PresenceInfo {
            status: Presence::Available,
            max_open: None,
            automatic: false,
            automatic_since: None,
        }
    }
}

fn info_of(
    status: &str,
    max_open: Option<i64>,
    auto_at: Option<DateTime<Utc>>,
) -> Result<PresenceInfo> {
    let status = Presence::parse(status).ok_or_else(|| corrupt_col("presence"))?;
    let automatic_since = auto_at.filter(|_| status == Presence::Away);
    Ok(PresenceInfo {
        status,
        max_open: max_open.and_then(|n| u32::try_from(n).ok()),
        automatic: automatic_since.is_some(),
        automatic_since,
    })
}

/// The organisation's presences, read once per page ([`Store::org_presence`]).
#[derive(Debug, Clone, Default)]
pub struct Presences(HashMap<UserId, PresenceInfo>);

impl Presences {
    /// A person's presence: available when they never set one.
    pub fn of(&self, user: UserId) -> PresenceInfo {
        self.0.get(&user).copied().unwrap_or_default()
    }
}

/// One person the sweep found idle.
struct Idle {
    user: Uuid,
    email: String,
    standing: Standing,
    last_active: DateTime<Utc>,
}

impl Store {
    pub async fn presence(&self, user: UserId) -> Result<PresenceInfo> {
        type Row = (String, Option<i64>, Option<DateTime<Utc>>);
        let row: Option<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT status, max_open, auto_away_at FROM inbox_presence WHERE user_id = $1",
            )
            .bind(user.0)
            .fetch_optional(pool)
            .await?
        });
        match row {
            None => Ok(PresenceInfo::default()),
            Some((s, m, a)) => info_of(&s, m, a),
        }
    }

    /// Everyone's presence in the organisation, in one query: for the pages that choose a person
    /// (assignee fields, filters, team members). People missing from the map have never set one
    /// and are available ([`PresenceInfo::default`]; see [`Presences::of`]).
    pub async fn org_presence(&self, org: OrgId) -> Result<Presences> {
        type Row = (Uuid, String, Option<i64>, Option<DateTime<Utc>>);
        let rows: Vec<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT p.user_id, p.status, p.max_open, p.auto_away_at FROM inbox_presence p \
                 JOIN users u ON u.id = p.user_id WHERE u.org_id = $1",
            )
            .bind(org.0)
            .fetch_all(pool)
            .await?
        });
        let mut map = HashMap::with_capacity(rows.len());
        for (user, status, max_open, auto_at) in rows {
            map.insert(UserId(user), info_of(&status, max_open, auto_at)?);
        }
        Ok(Presences(map))
    }

    /// Set a person's presence (and, when given, their own cap; `Some(None)` clears it), as they
    /// chose it: never automatic, and it counts as activity. Audited.
    pub async fn set_presence(
        &self,
        actor: &Actor,
        user: UserId,
        status: Presence,
        max_open: Option<Option<u32>>,
    ) -> Result<PresenceInfo> {
        if let Some(Some(cap)) = max_open
            && cap > MAX_CAP
        {
            return Err(owlery_domain::InvalidInput::new(
                "max_open",
                "invalid_cap",
                format!("A cap is at most {MAX_CAP} open conversations."),
            )
            .into());
        }
        let before = self.presence(user).await?;
        let cap = match max_open {
            Some(c) => c,
            None => before.max_open,
        };
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO inbox_presence (user_id, status, max_open, updated_at, last_active_at, \
                 auto_away_at) VALUES ($1, $2, $3, $4, $4, NULL) \
                 ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, \
                 max_open = excluded.max_open, updated_at = excluded.updated_at, \
                 last_active_at = excluded.last_active_at, auto_away_at = NULL",
            )
            .bind(user.0)
            .bind(status.code())
            .bind(cap.map(i64::from))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "presence.update",
                    "user",
                    Some(user.to_string()),
                    Some(serde_json::json!({"status": before.status.code(), "max_open": before.max_open, "automatic": before.automatic})),
                    Some(serde_json::json!({"status": status.code(), "max_open": cap}))
                ),
                now
            );
            Ok(())
        })?;
        Ok(PresenceInfo {
            status,
            max_open: cap,
            automatic: false,
            automatic_since: None,
        })
    }

    /// The person was active now (a page, the live inbox stream): remember it, and bring them
    /// back from an automatic away (audited, actor `system`). The caller writes at most once a
    /// minute per person; this is the only write on their requests. Returns their presence after.
    pub async fn note_activity(&self, user: UserId) -> Result<PresenceInfo> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let row = sqlx::query(
                "INSERT INTO inbox_presence (user_id, status, max_open, updated_at, last_active_at) \
                 VALUES ($1, 'available', NULL, $2, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET last_active_at = excluded.last_active_at \
                 RETURNING status, max_open, auto_away_at",
            )
            .bind(user.0)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let info = info_of(
                &row.try_get::<String, _>(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
            )?;
            let Some(change) = on_activity(info.standing()) else {
                return Ok(info);
            };
            let after = change.after();
            let changed = sqlx::query(
                "UPDATE inbox_presence SET status = $1, auto_away_at = NULL, updated_at = $2 \
                 WHERE user_id = $3 AND status = 'away' AND auto_away_at IS NOT NULL",
            )
            .bind(after.status.code())
            .bind(now)
            .bind(user.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(info);
            }
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    change.audit_action(),
                    "user",
                    Some(user.to_string()),
                    Some(serde_json::json!({"status": info.status.code(), "automatic": true})),
                    Some(serde_json::json!({"status": after.status.code(), "reason": "activity"}))
                ),
                now
            );
            Ok(PresenceInfo {
                status: after.status,
                automatic: false,
                automatic_since: None,
                ..info
            })
        })
    }

    /// The organisation's automatic-away setting.
    pub async fn auto_away(&self, org: OrgId) -> Result<AutoAway> {
        let minutes: Option<i64> = with_pool!(self, |pool, _pg| {
            sqlx::query_scalar("SELECT auto_away_minutes FROM organisations WHERE id = $1")
                .bind(org.0)
                .fetch_optional(pool)
                .await?
        });
        let minutes = minutes.ok_or(StoreError::NotFound("organisation"))?;
        let minutes = u32::try_from(minutes).map_err(|_| corrupt_col("auto_away_minutes"))?;
        // A stored value outside today's bounds is read as the nearest sensible one, not an error.
        Ok(AutoAway::from_minutes(minutes).unwrap_or_default())
    }

    /// Change the organisation's automatic-away setting. Audited.
    pub async fn set_auto_away(
        &self,
        actor: &Actor,
        org: OrgId,
        setting: AutoAway,
    ) -> Result<AutoAway> {
        // Checked again here: a caller that built `After(n)` by hand gets the same bounds.
        let setting = AutoAway::from_minutes(setting.minutes())?;
        let before = self.auto_away(org).await?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query("UPDATE organisations SET auto_away_minutes = $1 WHERE id = $2")
                .bind(i64::from(setting.minutes()))
                .bind(org.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "org.auto_away",
                    "organisation",
                    Some(org.to_string()),
                    Some(serde_json::json!({ "idle_minutes": before.minutes() })),
                    Some(serde_json::json!({ "idle_minutes": setting.minutes() }))
                ),
                now
            );
            Ok(setting)
        })
    }

    /// The sweep: team members set available with no activity for their organisation's idle time
    /// become away, marked automatic (audited, actor `system`). At most `limit` people a round.
    /// Returns how many went away.
    pub async fn presence_idle_sweep(&self, limit: usize) -> Result<usize> {
        let now = self.now();
        let orgs: Vec<(Uuid, i64)> = with_pool!(self, |pool, _pg| {
            sqlx::query_as("SELECT id, auto_away_minutes FROM organisations")
                .fetch_all(pool)
                .await?
        });
        let mut changed = 0;
        for (org, minutes) in orgs {
            let setting = u32::try_from(minutes)
                .ok()
                .and_then(|m| AutoAway::from_minutes(m).ok())
                .unwrap_or_default();
            let Some(cutoff) = idle_cutoff(now, setting) else {
                continue;
            };
            let idle = self
                .idle_people(OrgId(org), cutoff, limit.saturating_sub(changed))
                .await?;
            for person in idle {
                let Some(change) = idle_change(person.standing, person.last_active, now, setting)
                else {
                    continue;
                };
                if self.go_away(&person, change, cutoff, setting, now).await? {
                    changed += 1;
                }
            }
            if changed >= limit {
                break;
            }
        }
        Ok(changed)
    }

    async fn idle_people(
        &self,
        org: OrgId,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Idle>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // No presence row: available by default, never seen — idle since they were created.
        with_pool!(self, |pool, _pg| {
            let rows = sqlx::query(
                "SELECT u.id, u.email, p.status, p.max_open, p.auto_away_at, \
                 COALESCE(p.last_active_at, p.updated_at, u.created_at) AS last_active \
                 FROM users u LEFT JOIN inbox_presence p ON p.user_id = u.id \
                 WHERE u.org_id = $1 AND u.status = 'active' \
                 AND EXISTS (SELECT 1 FROM team_members m WHERE m.user_id = u.id) \
                 AND COALESCE(p.status, 'available') = 'available' \
                 AND COALESCE(p.last_active_at, p.updated_at, u.created_at) <= $2 \
                 ORDER BY u.id LIMIT $3",
            )
            .bind(org.0)
            .bind(cutoff)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let status: Option<String> = r.try_get(2)?;
                let info = match status {
                    Some(s) => info_of(&s, r.try_get(3)?, r.try_get(4)?)?,
                    None => PresenceInfo::default(),
                };
                out.push(Idle {
                    user: r.try_get(0)?,
                    email: r.try_get(1)?,
                    standing: info.standing(),
                    last_active: r.try_get(5)?,
                });
            }
            Ok(out)
        })
    }

    /// One person away, in its own transaction (so a sweep never holds one person's row while
    /// waiting for another's). The SQL re-checks the rule: another node's sweep or a request that
    /// arrived since the select leaves nothing to do. Returns whether it changed anything.
    async fn go_away(
        &self,
        person: &Idle,
        change: Change,
        cutoff: DateTime<Utc>,
        setting: AutoAway,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let after = change.after();
        with_tx!(self, |tx, pg| {
            let changed = sqlx::query(
                "INSERT INTO inbox_presence (user_id, status, max_open, updated_at, auto_away_at) \
                 VALUES ($1, $2, NULL, $3, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, \
                 auto_away_at = excluded.auto_away_at, updated_at = excluded.updated_at \
                 WHERE inbox_presence.status = 'available' \
                 AND COALESCE(inbox_presence.last_active_at, inbox_presence.updated_at) <= $4",
            )
            .bind(person.user)
            .bind(after.status.code())
            .bind(now)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            append_audit!(
                tx,
                pg,
                Actor::system().entry(
                    change.audit_action(),
                    "user",
                    Some(UserId(person.user).to_string()),
                    Some(serde_json::json!({"status": person.standing.status.code(), "email": person.email})),
                    Some(serde_json::json!({
                        "status": after.status.code(),
                        "automatic": true,
                        "idle_minutes": setting.minutes(),
                        "last_active_at": person.last_active,
                    }))
                ),
                now
            );
            Ok(true)
        })
    }
}
