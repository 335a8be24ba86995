//! `owlery admin list-users`: everyone, with their roles, as a table.

use std::{collections::BTreeMap, process::ExitCode};

use owlery_domain::{Scope, UserId};

use crate::{config::Config, out};

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let store = crate::cmd::open_and_migrate(&config).await?;
    let mut users = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_users(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        users.extend(page);
    }
    if users.is_empty() {
        out::line(
            "No users yet. Create the first owner with:\n  owlery admin create-user --email you@example.com --name 'Your Name' --role owner",
        );
        return Ok(ExitCode::SUCCESS);
    }
    let workspaces: BTreeMap<_, _> = store
        .list_workspaces()
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let channels: BTreeMap<_, _> = store
        .list_channels(None)
        .await?
        .into_iter()
        .map(|c| (c.id, format!("@{}", c.handle)))
        .collect();
    let mut roles: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
    for g in store.all_grants().await? {
        let text = match g.scope {
            Scope::Organisation => g.role.code().to_owned(),
            Scope::Workspace(w) => format!(
                "{} ({})",
                g.role.code(),
                workspaces
                    .get(&w)
                    .map_or("archived workspace", String::as_str)
            ),
            Scope::Channel(c) => format!(
                "{} ({})",
                g.role.code(),
                channels.get(&c).map_or("removed channel", String::as_str)
            ),
        };
        roles.entry(g.user_id).or_default().push(text);
    }
    store.close().await;

    let mut rows = vec![[
        "EMAIL".to_owned(),
        "NAME".to_owned(),
        "STATUS".to_owned(),
        "ROLES".to_owned(),
        "2FA".to_owned(),
        "LAST SIGN-IN (UTC)".to_owned(),
    ]];
    for u in &users {
        rows.push([
            u.email.clone(),
            u.name.clone(),
            u.status.code().to_owned(),
            roles
                .get(&u.id)
                .map(|r| r.join(", "))
                .unwrap_or_else(|| "-".into()),
            if u.totp_enabled { "on" } else { "off" }.to_owned(),
            u.last_signin_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "never".into()),
        ]);
    }
    for line in table(&rows) {
        out::line(line);
    }
    out::line(format!("{} users", users.len()));
    Ok(ExitCode::SUCCESS)
}

/// Columns padded to their widest cell (in characters), two spaces apart.
fn table<const N: usize>(rows: &[[String; N]]) -> Vec<String> {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_pads_by_characters() {
        let rows = [
            ["A".to_owned(), "Б".to_owned()],
            ["Ана".to_owned(), "x".to_owned()],
        ];
        assert_eq!(super::table(&rows), vec!["A    Б", "Ана  x"]);
    }
}
