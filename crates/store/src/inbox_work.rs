//! Working the inbox as a team: bulk changes to many conversations, internal notes with
//! @mentions, and saved views. Every change is audited in its transaction and announced on the
//! live bus after it commits. Whether a person may do it is the caller's decision (the web
//! layer's [`InboxScope`] and permission checks); the store applies the scope in SQL.

use chrono::{DateTime, Utc};
use owlery_domain::{
    ChannelId, ConversationId, InvalidInput, OrgId, TeamId, UserId, WorkspaceId,
    audit::Actor,
    inbox::{
        ConversationStatus,
        live::{BulkAction, ViewVisibility},
    },
};
use serde::Serialize;
use sqlx::{QueryBuilder, Row};
use uuid::Uuid;

use crate::{
    Result, Store, StoreError,
    inbox::{InboxScope, push_scope},
    live::{Change, LiveEvent, LiveKind, Outbox},
    notifications::NewNotification,
};

/// Where a conversation lives: what permission checks need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationPlace {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
}

/// What became of one conversation in a bulk change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    Changed,
    /// Not in the organisation, or not one the caller may change.
    NotFound,
    /// Adding the tag would pass 20 tags.
    TooManyTags,
}

/// An internal note in a conversation's thread.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Note {
    pub id: Uuid,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub author_name: String,
    pub text: String,
    pub mentions: Vec<UserId>,
    pub created_at: DateTime<Utc>,
}

/// A note to add: `text` already parsed ([`owlery_domain::inbox::live::parse_note`]),
/// `mentions` active people of the organisation.
#[derive(Debug, Clone, Copy)]
pub struct NewNote<'a> {
    pub conversation: ConversationId,
    pub author: UserId,
    pub text: &'a str,
    pub mentions: &'a [UserId],
}

/// A saved set of list filters.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SavedView {
    pub id: Uuid,
    pub owner_id: UserId,
    pub owner_name: String,
    pub name: String,
    /// The list's query string (`status=open&sentiment=negative`).
    pub query: String,
    pub visibility: ViewVisibility,
    pub team_id: Option<TeamId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new view, or a view's new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewInput {
    pub name: String,
    pub query: String,
    pub visibility: ViewVisibility,
    pub team_id: Option<TeamId>,
}

const MAX_TAGS: i64 = 20;

type ViewRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    Option<Uuid>,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn view_of(r: ViewRow) -> Result<SavedView> {
    Ok(SavedView {
        id: r.0,
        owner_id: UserId(r.1),
        owner_name: r.2,
        name: r.3,
        query: r.4,
        visibility: ViewVisibility::parse(&r.5)
            .ok_or_else(|| StoreError::Corrupt("unknown view visibility".into()))?,
        team_id: r.6.map(TeamId),
        created_at: r.7,
        updated_at: r.8,
    })
}

impl Store {
    /// Where each of `ids` lives, for those in the organisation and `scope` (others are left out).
    pub async fn conversation_places(
        &self,
        org: OrgId,
        scope: &InboxScope,
        ids: &[ConversationId],
    ) -> Result<Vec<ConversationPlace>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, |pool, pg| {
            let mut q = QueryBuilder::new(
                "SELECT c.id, c.workspace_id, c.channel_id FROM inbox_conversations c \
                 JOIN workspaces w ON w.id = c.workspace_id WHERE w.org_id = ",
            );
            q.push_bind(org.0);
            push_scope(&mut q, scope, pg);
            q.push(" AND c.id IN (");
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(id.0);
            }
            q.push(")");
            let rows = q.build().fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(ConversationPlace {
                    id: ConversationId(row.try_get(0)?),
                    workspace_id: WorkspaceId(row.try_get(1)?),
                    channel_id: ChannelId(row.try_get(2)?),
                });
            }
            Ok(out)
        })
    }

    /// Apply one change to many conversations, all or nothing: one transaction, one audit event
    /// per conversation changed. Conversations outside the organisation or `scope` are reported
    /// `NotFound` and left alone; a database error rolls the whole batch back.
    pub async fn bulk_update_conversations(
        &self,
        actor: &Actor,
        org: OrgId,
        scope: &InboxScope,
        ids: &[ConversationId],
        action: &BulkAction,
    ) -> Result<Vec<(ConversationId, BulkOutcome)>> {
        let now = self.now();
        let mut outcomes: Vec<(ConversationId, BulkOutcome)> = Vec::with_capacity(ids.len());
        let mut changed: Vec<ConversationPlace> = Vec::new();
        let events = with_tx!(self, |tx, pg| {
            outcomes.clear();
            changed.clear();
            if let BulkAction::Assign(Some(user)) = action {
                let ok: Option<(Uuid,)> = sqlx::query_as(
                    "SELECT id FROM users WHERE id = $1 AND org_id = $2 AND status <> 'disabled'",
                )
                .bind(user.0)
                .bind(org.0)
                .fetch_optional(&mut *tx)
                .await?;
                if ok.is_none() {
                    return Err(InvalidInput::new(
                        "assignee_id",
                        "unknown_user",
                        "Assign the conversations to an active person of the organisation.",
                    )
                    .into());
                }
            }
            let mut seen: Vec<ConversationId> = Vec::new();
            for &id in ids {
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                let mut q = QueryBuilder::new(
                    "SELECT c.workspace_id, c.channel_id, c.status, c.priority, c.assignee_id, \
                     (SELECT COUNT(*) FROM inbox_conversation_tags t WHERE t.conversation_id = c.id) \
                     FROM inbox_conversations c JOIN workspaces w ON w.id = c.workspace_id WHERE w.org_id = ",
                );
                q.push_bind(org.0);
                push_scope(&mut q, scope, pg);
                q.push(" AND c.id = ").push_bind(id.0);
                let Some(row) = q.build().fetch_optional(&mut *tx).await? else {
                    outcomes.push((id, BulkOutcome::NotFound));
                    continue;
                };
                let place = ConversationPlace {
                    id,
                    workspace_id: WorkspaceId(row.try_get(0)?),
                    channel_id: ChannelId(row.try_get(1)?),
                };
                let status: String = row.try_get(2)?;
                let priority: String = row.try_get(3)?;
                let assignee: Option<Uuid> = row.try_get(4)?;
                let tag_count: i64 = row.try_get(5)?;
                let (before, after) = match action {
                    BulkAction::Close | BulkAction::Reopen => {
                        let to = if *action == BulkAction::Close {
                            ConversationStatus::Closed
                        } else {
                            ConversationStatus::Open
                        };
                        sqlx::query(if to == ConversationStatus::Closed {
                            "UPDATE inbox_conversations SET status = $1, next_response_due = NULL, updated_at = $2 WHERE id = $3"
                        } else {
                            "UPDATE inbox_conversations SET status = $1, updated_at = $2 WHERE id = $3"
                        })
                        .bind(to.code())
                        .bind(now)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                        (
                            serde_json::json!({ "status": status }),
                            serde_json::json!({ "status": to.code() }),
                        )
                    }
                    BulkAction::Priority(p) => {
                        sqlx::query(
                            "UPDATE inbox_conversations SET priority = $1, updated_at = $2 WHERE id = $3",
                        )
                        .bind(p.code())
                        .bind(now)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                        (
                            serde_json::json!({ "priority": priority }),
                            serde_json::json!({ "priority": p.code() }),
                        )
                    }
                    BulkAction::Assign(user) => {
                        sqlx::query(
                            "UPDATE inbox_conversations SET assignee_id = $1, updated_at = $2 WHERE id = $3",
                        )
                        .bind(user.map(|u| u.0))
                        .bind(now)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                        (
                            serde_json::json!({ "assignee_id": assignee.map(|u| u.to_string()) }),
                            serde_json::json!({ "assignee_id": user.map(|u| u.to_string()) }),
                        )
                    }
                    BulkAction::Tag(tag) => {
                        let has: Option<(String,)> = sqlx::query_as(
                            "SELECT tag FROM inbox_conversation_tags WHERE conversation_id = $1 AND tag = $2",
                        )
                        .bind(id.0)
                        .bind(tag)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if has.is_none() {
                            if tag_count >= MAX_TAGS {
                                outcomes.push((id, BulkOutcome::TooManyTags));
                                continue;
                            }
                            sqlx::query(
                                "INSERT INTO inbox_conversation_tags (conversation_id, tag) VALUES ($1, $2)",
                            )
                            .bind(id.0)
                            .bind(tag)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query(
                                "UPDATE inbox_conversations SET updated_at = $1 WHERE id = $2",
                            )
                            .bind(now)
                            .bind(id.0)
                            .execute(&mut *tx)
                            .await?;
                        }
                        (serde_json::json!({}), serde_json::json!({ "add_tag": tag }))
                    }
                };
                let mut after = after;
                after["bulk"] = serde_json::json!(true);
                append_audit!(
                    tx,
                    pg,
                    actor.entry(
                        "conversation.update",
                        "conversation",
                        Some(id.to_string()),
                        Some(before),
                        Some(after)
                    ),
                    now
                );
                outcomes.push((id, BulkOutcome::Changed));
                changed.push(place);
            }
            let status = match action {
                BulkAction::Close => Some(ConversationStatus::Closed.code().to_owned()),
                BulkAction::Reopen => Some(ConversationStatus::Open.code().to_owned()),
                _ => None,
            };
            let events: Vec<LiveEvent> = changed
                .iter()
                .map(|p| {
                    LiveEvent::new(
                        org,
                        p.workspace_id,
                        p.channel_id,
                        p.id,
                        LiveKind::Conversation {
                            change: Change::Updated,
                            status: status.clone(),
                            by: actor.user_id,
                        },
                    )
                })
                .collect();
            Outbox::record(&mut *tx, self.live(), &events).await?;
            Ok(events)
        })?;
        self.live().publish(events).await;
        Ok(outcomes)
    }

    /// Add an internal note to a conversation (in `scope`), notify each mentioned person (in the
    /// app and by e-mail), audit it, and announce it. `text` is already parsed
    /// ([`owlery_domain::inbox::live::parse_note`]); `mentions` are active people of the
    /// organisation (the author is never notified of their own note).
    pub async fn add_note(
        &self,
        actor: &Actor,
        org: OrgId,
        scope: &InboxScope,
        note: &NewNote<'_>,
    ) -> Result<Note> {
        let NewNote {
            conversation,
            author,
            text,
            mentions,
        } = *note;
        let now = self.now();
        let c = self.conversation_summary(org, scope, conversation).await?;
        let id = Uuid::now_v7();
        let mut mentions: Vec<UserId> = mentions.to_vec();
        let mut seen = std::collections::HashSet::new();
        mentions.retain(|u| seen.insert(*u));
        let mentions_json =
            serde_json::to_string(&mentions.iter().map(|u| u.0.to_string()).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into());
        let event = LiveEvent::new(
            org,
            c.workspace_id,
            c.channel_id,
            conversation,
            LiveKind::Conversation {
                change: Change::Note,
                status: Some(c.status.code().to_owned()),
                by: Some(author),
            },
        );
        let author_name: String = with_tx!(self, |tx, pg| {
            let (name,): (String,) =
                sqlx::query_as("SELECT name FROM users WHERE id = $1 AND org_id = $2")
                    .bind(author.0)
                    .bind(org.0)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("user"))?;
            sqlx::query(
                "INSERT INTO inbox_notes (id, conversation_id, author_id, text, mentions, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(conversation.0)
            .bind(author.0)
            .bind(text)
            .bind(&mentions_json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let excerpt: String = text.chars().take(200).collect();
            for user in mentions.iter().filter(|u| **u != author) {
                let n = NewNotification {
                    user_id: *user,
                    kind: "inbox_mention".into(),
                    params: serde_json::json!({
                        "author": name,
                        "title": c.contact.name,
                        "excerpt": excerpt,
                    }),
                    link: Some(format!("/inbox/c/{conversation}#note-{}", id.simple())),
                    email: true,
                };
                insert_notification!(tx, &n, now);
            }
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "conversation.note",
                    "conversation",
                    Some(conversation.to_string()),
                    None,
                    Some(serde_json::json!({
                        "note_id": id.to_string(),
                        "mentions": mentions.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
                    }))
                ),
                now
            );
            Outbox::record(&mut *tx, self.live(), std::slice::from_ref(&event)).await?;
            Ok(name)
        })?;
        self.live().publish(vec![event]).await;
        Ok(Note {
            id,
            conversation_id: conversation,
            author_id: author,
            author_name,
            text: text.to_owned(),
            mentions,
            created_at: now,
        })
    }

    /// A conversation's notes, oldest first (the latest 500). The caller has checked that the
    /// reader may see the conversation.
    pub async fn notes(&self, conversation: ConversationId) -> Result<Vec<Note>> {
        let rows: Vec<(Uuid, Uuid, String, String, String, DateTime<Utc>)> =
            with_pool!(self, |pool, _pg| {
                sqlx::query_as(
                    "SELECT n.id, n.author_id, u.name, n.text, n.mentions, n.created_at \
                     FROM inbox_notes n JOIN users u ON u.id = n.author_id \
                     WHERE n.conversation_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT 500",
                )
                .bind(conversation.0)
                .fetch_all(pool)
                .await?
            });
        let mut out: Vec<Note> = rows
            .into_iter()
            .map(|r| {
                let ids: Vec<String> = serde_json::from_str(&r.4).unwrap_or_default();
                Note {
                    id: r.0,
                    conversation_id: conversation,
                    author_id: UserId(r.1),
                    author_name: r.2,
                    text: r.3,
                    mentions: ids
                        .iter()
                        .filter_map(|s| Uuid::parse_str(s).ok().map(UserId))
                        .collect(),
                    created_at: r.5,
                }
            })
            .collect();
        out.reverse();
        Ok(out)
    }

    /// The views `user` sees: their own, their teams' and the organisation's, by name.
    pub async fn list_views(&self, org: OrgId, user: UserId) -> Result<Vec<SavedView>> {
        let rows: Vec<ViewRow> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(
                "SELECT v.id, v.owner_id, u.name, v.name, v.query, v.visibility, v.team_id, \
                 v.created_at, v.updated_at FROM inbox_views v JOIN users u ON u.id = v.owner_id \
                 WHERE v.org_id = $1 AND (v.owner_id = $2 OR v.visibility = 'organisation' \
                 OR (v.visibility = 'team' AND v.team_id IN (SELECT team_id FROM team_members WHERE user_id = $2))) \
                 ORDER BY lower(v.name), v.id LIMIT 200",
            )
            .bind(org.0)
            .bind(user.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(view_of).collect()
    }

    /// One view, if `user` sees it.
    pub async fn view(&self, org: OrgId, user: UserId, id: Uuid) -> Result<SavedView> {
        self.list_views(org, user)
            .await?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or(StoreError::NotFound("view"))
    }

    async fn check_view_team(&self, org: OrgId, input: &ViewInput) -> Result<()> {
        match (input.visibility, input.team_id) {
            (ViewVisibility::Team, None) => Err(InvalidInput::new(
                "team_id",
                "team_required",
                "Choose the team to share the view with.",
            )
            .into()),
            (ViewVisibility::Team, Some(team)) => {
                let ok: Option<(Uuid,)> = with_pool!(self, |pool, _pg| {
                    sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND org_id = $2")
                        .bind(team.0)
                        .bind(org.0)
                        .fetch_optional(pool)
                        .await?
                });
                ok.map(|_| ()).ok_or_else(|| {
                    InvalidInput::new(
                        "team_id",
                        "unknown_team",
                        "Choose a team of the organisation.",
                    )
                    .into()
                })
            }
            _ => Ok(()),
        }
    }

    /// Save a view (audited).
    pub async fn create_view(
        &self,
        actor: &Actor,
        org: OrgId,
        owner: UserId,
        input: &ViewInput,
    ) -> Result<SavedView> {
        self.check_view_team(org, input).await?;
        let now = self.now();
        let id = Uuid::now_v7();
        let team = match input.visibility {
            ViewVisibility::Team => input.team_id,
            _ => None,
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO inbox_views (id, org_id, owner_id, name, query, visibility, team_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            )
            .bind(id)
            .bind(org.0)
            .bind(owner.0)
            .bind(&input.name)
            .bind(&input.query)
            .bind(input.visibility.code())
            .bind(team.map(|t| t.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox_view.create",
                    "inbox_view",
                    Some(id.to_string()),
                    None,
                    Some(serde_json::json!({
                        "name": input.name,
                        "query": input.query,
                        "visibility": input.visibility.code(),
                        "team_id": team.map(|t| t.to_string()),
                    }))
                ),
                now
            );
            Ok(())
        })?;
        self.view(org, owner, id).await
    }

    /// Change a view (audited). `viewer` must see it; who may change it is the caller's decision.
    pub async fn update_view(
        &self,
        actor: &Actor,
        org: OrgId,
        viewer: UserId,
        id: Uuid,
        input: &ViewInput,
    ) -> Result<SavedView> {
        let before = self.view(org, viewer, id).await?;
        self.check_view_team(org, input).await?;
        let now = self.now();
        let team = match input.visibility {
            ViewVisibility::Team => input.team_id,
            _ => None,
        };
        with_tx!(self, |tx, pg| {
            sqlx::query(
                "UPDATE inbox_views SET name = $1, query = $2, visibility = $3, team_id = $4, updated_at = $5 \
                 WHERE id = $6 AND org_id = $7",
            )
            .bind(&input.name)
            .bind(&input.query)
            .bind(input.visibility.code())
            .bind(team.map(|t| t.0))
            .bind(now)
            .bind(id)
            .bind(org.0)
            .execute(&mut *tx)
            .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox_view.update",
                    "inbox_view",
                    Some(id.to_string()),
                    Some(serde_json::json!({
                        "name": before.name,
                        "query": before.query,
                        "visibility": before.visibility.code(),
                        "team_id": before.team_id.map(|t| t.to_string()),
                    })),
                    Some(serde_json::json!({
                        "name": input.name,
                        "query": input.query,
                        "visibility": input.visibility.code(),
                        "team_id": team.map(|t| t.to_string()),
                    }))
                ),
                now
            );
            Ok(())
        })?;
        self.view(org, viewer, id).await
    }

    /// Delete a view (audited).
    pub async fn delete_view(
        &self,
        actor: &Actor,
        org: OrgId,
        viewer: UserId,
        id: Uuid,
    ) -> Result<()> {
        let before = self.view(org, viewer, id).await?;
        let now = self.now();
        with_tx!(self, |tx, pg| {
            sqlx::query("DELETE FROM inbox_views WHERE id = $1 AND org_id = $2")
                .bind(id)
                .bind(org.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "inbox_view.delete",
                    "inbox_view",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "name": before.name, "query": before.query })),
                    None
                ),
                now
            );
            Ok(())
        })
    }

    /// Announce a person's presence in a conversation to every node (nothing is stored).
    pub async fn publish_presence(
        &self,
        org: OrgId,
        place: ConversationPlace,
        user: UserId,
        name: &str,
        state: owlery_domain::inbox::live::PresenceState,
    ) {
        self.live()
            .publish(vec![LiveEvent::new(
                org,
                place.workspace_id,
                place.channel_id,
                place.id,
                LiveKind::Presence {
                    user_id: user,
                    name: name.to_owned(),
                    state,
                },
            )])
            .await;
    }
}
