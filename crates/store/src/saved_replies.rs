//! Saved replies: named answers with variables, per organisation or for one workspace. Their text
//! is checked by `owlery_domain::inbox::reply::SavedReplyText` (unknown variables are refused
//! when saved) and rendered for a conversation by `owlery_domain::inbox::reply::render`.

use chrono::{DateTime, Utc};
use owlery_domain::{OrgId, UserId, WorkspaceId, audit::Actor, inbox::reply::SavedReplyText};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SavedReply {
    pub id: Uuid,
    /// `None`: the whole organisation.
    pub workspace_id: Option<WorkspaceId>,
    pub name: String,
    pub body: String,
    pub shortcut: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

type Row = (
    Uuid,
    Option<Uuid>,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn from_row(r: Row) -> SavedReply {
    SavedReply {
        id: r.0,
        workspace_id: r.1.map(WorkspaceId),
        name: r.2,
        body: r.3,
        shortcut: r.4,
        created_at: r.5,
        updated_at: r.6,
    }
}

const COLUMNS: &str = "id, workspace_id, name, body, shortcut, created_at, updated_at";

const TAKEN: &str = "Another saved reply has this name or shortcut: choose another.";

impl Store {
    /// The organisation's saved replies, by name. `workspaces`: only those for the whole
    /// organisation and for these workspaces (`None`: all).
    pub async fn saved_replies(
        &self,
        org: OrgId,
        workspaces: Option<&[WorkspaceId]>,
    ) -> Result<Vec<SavedReply>> {
        let rows: Vec<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM inbox_saved_replies WHERE org_id = $1 ORDER BY lower(name), id"
            )))
            .bind(org.0)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(from_row)
            .filter(|r| match (workspaces, r.workspace_id) {
                (None, _) | (_, None) => true,
                (Some(ws), Some(w)) => ws.contains(&w),
            })
            .collect())
    }

    pub async fn saved_reply(&self, org: OrgId, id: Uuid) -> Result<SavedReply> {
        let row: Option<Row> = with_pool!(self, |pool, _pg| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM inbox_saved_replies WHERE org_id = $1 AND id = $2"
            )))
            .bind(org.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(from_row).ok_or(StoreError::NotFound("saved reply"))
    }

    /// Create (`id` `None`) or change a saved reply. Audited.
    pub async fn save_saved_reply(
        &self,
        actor: &Actor,
        org: OrgId,
        id: Option<Uuid>,
        workspace: Option<WorkspaceId>,
        text: &SavedReplyText,
        author: Option<UserId>,
    ) -> Result<SavedReply> {
        let now = self.now();
        let id = with_tx!(self, |tx, pg| {
            if let Some(w) = workspace {
                let ok: Option<(Uuid,)> =
                    sqlx::query_as("SELECT id FROM workspaces WHERE id = $1 AND org_id = $2")
                        .bind(w.0)
                        .bind(org.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                if ok.is_none() {
                    return Err(owlery_domain::InvalidInput::new(
                        "workspace_id",
                        "unknown_workspace",
                        "Choose a workspace of the organisation, or none for all of them.",
                    )
                    .into());
                }
            }
            let (id, action, before) = match id {
                None => {
                    let id = Uuid::now_v7();
                    sqlx::query(
                        "INSERT INTO inbox_saved_replies (id, org_id, workspace_id, name, body, shortcut, \
                         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                    )
                    .bind(id)
                    .bind(org.0)
                    .bind(workspace.map(|w| w.0))
                    .bind(&text.name)
                    .bind(&text.body)
                    .bind(&text.shortcut)
                    .bind(author.map(|u| u.0))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::unique("name", TAKEN))?;
                    (id, "saved_reply.create", None)
                }
                Some(id) => {
                    let old: Option<(String, String, Option<String>)> = sqlx::query_as(
                        "SELECT name, body, shortcut FROM inbox_saved_replies WHERE id = $1 AND org_id = $2",
                    )
                    .bind(id)
                    .bind(org.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(old) = old else {
                        return Err(StoreError::NotFound("saved reply"));
                    };
                    sqlx::query(
                        "UPDATE inbox_saved_replies SET workspace_id = $1, name = $2, body = $3, shortcut = $4, \
                         updated_at = $5 WHERE id = $6",
                    )
                    .bind(workspace.map(|w| w.0))
                    .bind(&text.name)
                    .bind(&text.body)
                    .bind(&text.shortcut)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::unique("name", TAKEN))?;
                    (
                        id,
                        "saved_reply.update",
                        Some(
                            serde_json::json!({ "name": old.0, "body": old.1, "shortcut": old.2 }),
                        ),
                    )
                }
            };
            append_audit!(
                tx,
                pg,
                actor.entry(
                    action,
                    "saved_reply",
                    Some(id.to_string()),
                    before,
                    Some(serde_json::json!({
                        "name": text.name,
                        "body": text.body,
                        "shortcut": text.shortcut,
                        "workspace_id": workspace.map(|w| w.to_string()),
                    }))
                ),
                now
            );
            Ok(id)
        })?;
        self.saved_reply(org, id).await
    }

    /// Delete a saved reply. Audited.
    pub async fn delete_saved_reply(&self, actor: &Actor, org: OrgId, id: Uuid) -> Result<()> {
        let now = self.now();
        with_tx!(self, |tx, pg| {
            let old: Option<(String, String)> = sqlx::query_as(
                "SELECT name, body FROM inbox_saved_replies WHERE id = $1 AND org_id = $2",
            )
            .bind(id)
            .bind(org.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(old) = old else {
                return Err(StoreError::NotFound("saved reply"));
            };
            sqlx::query("DELETE FROM inbox_saved_replies WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            append_audit!(
                tx,
                pg,
                actor.entry(
                    "saved_reply.delete",
                    "saved_reply",
                    Some(id.to_string()),
                    Some(serde_json::json!({ "name": old.0, "body": old.1 })),
                    None
                ),
                now
            );
            Ok(())
        })
    }
}
