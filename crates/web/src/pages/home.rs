//! The home page and the sections that later issues fill.

use axum::{Router, extract::State, response::Response, routing::get};
use owlery_domain::{Permission, Target};

use super::{page_for, render};
use crate::{
    auth::PagePrincipal,
    error::AppError,
    state::AppState,
    ui::views::{
        Section,
        sections::{HomeView, SectionView},
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/crisis", get(|p| section(p, Section::Crisis)))
        .route("/oncall", get(|p| section(p, Section::OnCall)))
        .route("/analytics", get(|p| section(p, Section::Analytics)))
        .route("/governance", get(|p| section(p, Section::Governance)))
}

async fn home(State(state): State<AppState>, p: PagePrincipal) -> Result<Response, AppError> {
    p.0.require(Permission::OrgRead, Target::Organisation)
        .or_else(|_| p.0.require_anywhere(Permission::OrgRead))?;
    let org = state.store.organisation().await?;
    let visible = p.0.access.visible_workspaces();
    let workspaces = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|w| visible.as_ref().is_none_or(|v| v.contains(&w.id)))
        .count();
    let channels = state
        .store
        .list_channels(None)
        .await?
        .into_iter()
        .filter(|c| {
            p.0.access.can(
                Permission::ChannelsRead,
                Target::Channel {
                    workspace: c.workspace_id,
                    channel: c.id,
                },
            )
        })
        .count();
    let view = HomeView {
        page: page_for(&p, "/"),
        org_name: org.map(|o| o.name).unwrap_or_default(),
        workspace_count: workspaces as i64,
        channel_count: channels as i64,
        user_count: state.store.count_users().await?,
    };
    Ok(render(&view))
}

async fn section(p: PagePrincipal, section: Section) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::OrgRead)?;
    let page = page_for(&p, section.href()).with_section(section);
    Ok(render(&SectionView::new(page)))
}
