//! `owlery admin …`: people, tokens and the secret key from the command line, for the first
//! owner, for automation, and for when nobody can sign in. Every change is audited with the
//! actor `cli`.

pub mod create_user;
pub mod list_users;
pub mod rotate_key;
pub mod token;

use owlery_domain::{ChannelId, Scope, WorkspaceId};
use owlery_store::Store;

use crate::UsageError;

/// Parse `--scope`: `organisation`, `workspace:<id or name>` or `channel:<id or @handle>`.
pub async fn resolve_scope(store: &Store, raw: Option<&str>) -> anyhow::Result<Scope> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Scope::Organisation);
    };
    if matches!(raw, "organisation" | "organization" | "org") {
        return Ok(Scope::Organisation);
    }
    if let Some(w) = raw.strip_prefix("workspace:") {
        let all = store.list_workspaces().await?;
        let found = WorkspaceId::parse(w)
            .and_then(|id| all.iter().find(|ws| ws.id == id))
            .or_else(|| all.iter().find(|ws| ws.name.eq_ignore_ascii_case(w.trim())));
        return match found {
            Some(ws) => Ok(Scope::Workspace(ws.id)),
            None => Err(UsageError(format!(
                "--scope: there is no workspace '{w}'{}",
                listing("workspaces", all.iter().map(|ws| ws.name.clone()))
            ))
            .into()),
        };
    }
    if let Some(c) = raw.strip_prefix("channel:") {
        let all = store.list_channels(None).await?;
        let handle = c.trim().trim_start_matches('@');
        let found = ChannelId::parse(c)
            .and_then(|id| all.iter().find(|ch| ch.id == id))
            .or_else(|| all.iter().find(|ch| ch.handle.eq_ignore_ascii_case(handle)));
        return match found {
            Some(ch) => Ok(Scope::Channel(ch.id)),
            None => Err(UsageError(format!(
                "--scope: there is no channel '{c}'{}",
                listing("channels", all.iter().map(|ch| format!("@{}", ch.handle)))
            ))
            .into()),
        };
    }
    Err(UsageError(format!(
        "--scope: '{raw}' is not a scope; use organisation, workspace:<id or name> or channel:<id or @handle>"
    ))
    .into())
}

fn listing(what: &str, names: impl Iterator<Item = String>) -> String {
    let names: Vec<String> = names.collect();
    if names.is_empty() {
        format!(" (there are no {what} yet)")
    } else {
        format!("; the {what} are: {}", names.join(", "))
    }
}

/// How a scope reads in output: `the organisation`, `Northwind Europe`, `@northwind_uk`.
pub async fn describe_scope(store: &Store, scope: Scope) -> String {
    match scope {
        Scope::Organisation => "the organisation".to_owned(),
        Scope::Workspace(id) => store
            .workspace(id)
            .await
            .map(|w| w.name)
            .unwrap_or_else(|_| format!("workspace {id}")),
        Scope::Channel(id) => store
            .channel(id)
            .await
            .map(|c| format!("@{}", c.handle))
            .unwrap_or_else(|_| format!("channel {id}")),
    }
}
