//! `/api/v1`: JSON over HTTP, authenticated with personal API tokens (`Authorization: Bearer`).
//!
//! Conventions: errors are `{"error": {"code", "message", "field"?}}` (see [`crate::error`]);
//! lists are `{"items": [...], "next_cursor": "..."|null}` with `?cursor=&limit=`; unknown JSON
//! fields are refused; times are RFC 3339 UTC. The OpenAPI 3.1 document at
//! `/api/v1/openapi.json` is generated from these handlers.
//!
//! Layout: one file per resource (`users.rs`, `grants.rs` …) holding its handlers and the request
//! and response types of its endpoints; `extract.rs` the extractors that turn every client mistake
//! into a JSON [`AppError`] (never a plain-text rejection or a 500); `list.rs` pagination.
//!
//! Every handler takes an [`ApiPrincipal`](crate::auth::ApiPrincipal) and calls
//! `principal.require(..)` (or `require_anywhere`) before it reads or changes anything. Extractors
//! run before the handler, so a request that is malformed on its face (bad JSON, bad id, bad query)
//! is refused with 4xx before permission is checked; they look at nothing but the request itself.
//!
//! Routes are registered with [`Endpoints::add`], which takes the path and method from the
//! handler's `#[utoipa::path]`: a handler cannot be routed without being documented. The
//! integration tests compare [`operations`] with the OpenAPI document and with the permission
//! matrix, so an endpoint added here but not listed in [`ApiDoc`] or in the matrix fails a test.

use axum::{
    Router,
    extract::DefaultBodyLimit,
    handler::Handler,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{MethodFilter, MethodRouter, get},
};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        path::HttpMethod,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::{error::AppError, state::AppState};

pub mod audit;
pub mod calendar;
pub mod campaigns;
pub mod channels;
pub mod comments;
pub mod engine;
pub mod extract;
pub mod grants;
pub mod inbox;
pub mod inbox_replies;
pub mod inbox_rules;
pub mod inbox_work;
pub mod link_preview;
pub mod list;
pub mod me;
pub mod media;
pub mod network_apps;
pub mod networks;
pub mod posts;
pub mod posts_csv;
pub mod queues;
pub mod reviews;
pub mod roles;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod variants;
pub mod workspaces;

pub use extract::{Id, Ids, Json, Query};

/// The router mounted at `/api/v1`.
pub fn routes() -> Router<AppState> {
    endpoints()
        .router
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// Every operation the router serves, as `(METHOD, path)` with `{placeholders}`: for the tests
/// that hold the router, the OpenAPI document and the permission matrix to one list.
pub fn operations() -> Vec<(String, String)> {
    endpoints().operations
}

/// Every endpoint, once.
fn endpoints() -> Endpoints {
    Endpoints::default()
        .add::<me::__path_get_me, _, _>(me::get_me)
        .add::<users::__path_list_users, _, _>(users::list_users)
        .add::<users::__path_create_user, _, _>(users::create_user)
        .add::<users::__path_get_user, _, _>(users::get_user)
        .add::<users::__path_update_user, _, _>(users::update_user)
        .add::<grants::__path_list_grants, _, _>(grants::list_grants)
        .add::<grants::__path_create_grant, _, _>(grants::create_grant)
        .add::<grants::__path_revoke_grant, _, _>(grants::revoke_grant)
        .add::<teams::__path_list_teams, _, _>(teams::list_teams)
        .add::<teams::__path_create_team, _, _>(teams::create_team)
        .add::<teams::__path_add_member, _, _>(teams::add_member)
        .add::<teams::__path_remove_member, _, _>(teams::remove_member)
        .add::<workspaces::__path_list_workspaces, _, _>(workspaces::list_workspaces)
        .add::<workspaces::__path_create_workspace, _, _>(workspaces::create_workspace)
        .add::<channels::__path_list_channels, _, _>(channels::list_channels)
        .add::<channels::__path_create_channel, _, _>(channels::create_channel)
        .add::<channels::__path_refresh_server_limits, _, _>(channels::refresh_server_limits)
        .add::<roles::__path_list_roles, _, _>(roles::list_roles)
        .add::<tokens::__path_list_tokens, _, _>(tokens::list_tokens)
        .add::<tokens::__path_create_token, _, _>(tokens::create_token)
        .add::<tokens::__path_revoke_token, _, _>(tokens::revoke_token)
        .add::<audit::__path_list_audit_events, _, _>(audit::list_audit_events)
        .add::<networks::__path_get_network_specs, _, _>(networks::get_network_specs)
        .add::<networks::__path_validate_draft, _, _>(networks::validate_draft)
        .add::<posts::__path_create_post, _, _>(posts::create_post)
        .add::<posts::__path_list_posts, _, _>(posts::list_posts)
        .add::<posts::__path_get_post, _, _>(posts::get_post)
        .add::<posts::__path_update_post, _, _>(posts::update_post)
        .add::<posts::__path_list_versions, _, _>(posts::list_versions)
        .add::<posts::__path_submit_post, _, _>(posts::submit_post)
        .add::<variants::__path_schedule_variant, _, _>(variants::schedule_variant)
        .add::<variants::__path_unschedule_variant, _, _>(variants::unschedule_variant)
        .add::<reviews::__path_list_workflows, _, _>(reviews::list_workflows)
        .add::<reviews::__path_set_workflow, _, _>(reviews::set_workflow)
        .add::<reviews::__path_delete_workflow, _, _>(reviews::delete_workflow)
        .add::<reviews::__path_list_reviews, _, _>(reviews::list_reviews)
        .add::<reviews::__path_decide, _, _>(reviews::decide)
        .add::<reviews::__path_create_review_link, _, _>(reviews::create_review_link)
        .add_without_body_limit::<media::__path_upload_media, _, _>(media::upload_media)
        .add::<media::__path_list_media, _, _>(media::list_media)
        .add::<media::__path_get_media, _, _>(media::get_media)
        .add::<media::__path_update_media, _, _>(media::update_media)
        .add::<media::__path_delete_media, _, _>(media::delete_media)
        .add::<media::__path_get_media_file, _, _>(media::get_media_file)
        .add::<media::__path_get_renditions, _, _>(media::get_renditions)
        .add::<media::__path_get_rendition_file, _, _>(media::get_rendition_file)
        .add::<campaigns::__path_list_campaigns, _, _>(campaigns::list_campaigns)
        .add::<campaigns::__path_create_campaign, _, _>(campaigns::create_campaign)
        .add::<campaigns::__path_get_campaign, _, _>(campaigns::get_campaign)
        .add::<campaigns::__path_update_campaign, _, _>(campaigns::update_campaign)
        .add::<campaigns::__path_add_post, _, _>(campaigns::add_post)
        .add::<campaigns::__path_remove_post, _, _>(campaigns::remove_post)
        .add::<queues::__path_get_queue, _, _>(queues::get_queue)
        .add::<queues::__path_set_queue, _, _>(queues::set_queue)
        .add::<queues::__path_queue_variant, _, _>(queues::queue_variant)
        .add::<comments::__path_list_comments, _, _>(comments::list_comments)
        .add::<comments::__path_add_comment, _, _>(comments::add_comment)
        .add::<comments::__path_set_assignee, _, _>(comments::set_assignee)
        .add::<calendar::__path_calendar, _, _>(calendar::calendar)
        .add::<posts_csv::__path_import_posts, _, _>(posts_csv::import_posts)
        .add::<posts_csv::__path_export_posts, _, _>(posts_csv::export_posts)
        .add::<link_preview::__path_link_preview, _, _>(link_preview::link_preview)
        .add::<engine::__path_list_pauses, _, _>(engine::list_pauses)
        .add::<engine::__path_create_pause, _, _>(engine::create_pause)
        .add::<engine::__path_lift_pause, _, _>(engine::lift_pause)
        .add::<engine::__path_get_publishing_settings, _, _>(engine::get_publishing_settings)
        .add::<engine::__path_set_publishing_settings, _, _>(engine::set_publishing_settings)
        .add::<engine::__path_list_attention, _, _>(engine::list_attention)
        .add::<engine::__path_resume_variant, _, _>(engine::resume_variant)
        .add::<engine::__path_resolve_variant, _, _>(engine::resolve_variant)
        .add::<network_apps::__path_list_network_apps, _, _>(network_apps::list_network_apps)
        .add::<network_apps::__path_set_network_app, _, _>(network_apps::set_network_app)
        .add::<network_apps::__path_delete_network_app, _, _>(network_apps::delete_network_app)
        .add::<inbox::__path_list_conversations, _, _>(inbox::list_conversations)
        .add::<inbox::__path_get_conversation, _, _>(inbox::get_conversation)
        .add::<inbox::__path_update_conversation, _, _>(inbox::update_conversation)
        .add::<inbox::__path_search, _, _>(inbox::search)
        .add::<inbox_work::__path_bulk_update, _, _>(inbox_work::bulk_update)
        .add::<inbox_work::__path_list_views, _, _>(inbox_work::list_views)
        .add::<inbox_work::__path_create_view, _, _>(inbox_work::create_view)
        .add::<inbox_work::__path_update_view, _, _>(inbox_work::update_view)
        .add::<inbox_work::__path_delete_view, _, _>(inbox_work::delete_view)
        .add::<inbox_work::__path_list_notes, _, _>(inbox_work::list_notes)
        .add::<inbox_work::__path_add_note, _, _>(inbox_work::add_note)
        // Inbox settings and reports (routing rules, SLA policies, presence).
        .add::<inbox_rules::__path_list_rules, _, _>(inbox_rules::list_rules)
        .add::<inbox_rules::__path_create_rule, _, _>(inbox_rules::create_rule)
        .add::<inbox_rules::__path_update_rule, _, _>(inbox_rules::update_rule)
        .add::<inbox_rules::__path_delete_rule, _, _>(inbox_rules::delete_rule)
        .add::<inbox_rules::__path_move_rule, _, _>(inbox_rules::move_rule)
        .add::<inbox_rules::__path_preview_rules, _, _>(inbox_rules::preview_rules)
        .add::<inbox_rules::__path_get_presence, _, _>(inbox_rules::get_presence)
        .add::<inbox_rules::__path_set_presence, _, _>(inbox_rules::set_presence)
        .add::<inbox_rules::__path_get_auto_away, _, _>(inbox_rules::get_auto_away)
        .add::<inbox_rules::__path_set_auto_away, _, _>(inbox_rules::set_auto_away)
        .add::<inbox_rules::__path_list_sla_policies, _, _>(inbox_rules::list_sla_policies)
        .add::<inbox_rules::__path_create_sla_policy, _, _>(inbox_rules::create_sla_policy)
        .add::<inbox_rules::__path_delete_sla_policy, _, _>(inbox_rules::delete_sla_policy)
        .add::<inbox_rules::__path_get_inbox_settings, _, _>(inbox_rules::get_inbox_settings)
        .add::<inbox_rules::__path_set_team_settings, _, _>(inbox_rules::set_team_settings)
        .add::<inbox_rules::__path_set_workspace_settings, _, _>(
            inbox_rules::set_workspace_settings,
        )
        .add::<inbox_rules::__path_get_report, _, _>(inbox_rules::get_report)
        .add::<inbox_replies::__path_create_reply, _, _>(inbox_replies::create_reply)
        .add::<inbox_replies::__path_retry_reply, _, _>(inbox_replies::retry_reply)
        .add::<inbox_replies::__path_review_reply, _, _>(inbox_replies::review_reply)
        .add::<inbox_replies::__path_like_message, _, _>(inbox_replies::like_message)
        .add::<inbox_replies::__path_delete_message, _, _>(inbox_replies::delete_message)
        .add::<inbox_replies::__path_list_pending_replies, _, _>(
            inbox_replies::list_pending_replies,
        )
        .add::<inbox_replies::__path_list_saved_replies, _, _>(inbox_replies::list_saved_replies)
        .add::<inbox_replies::__path_create_saved_reply, _, _>(inbox_replies::create_saved_reply)
        .add::<inbox_replies::__path_update_saved_reply, _, _>(inbox_replies::update_saved_reply)
        .add::<inbox_replies::__path_delete_saved_reply, _, _>(inbox_replies::delete_saved_reply)
}

/// Routes and the operations they serve, built together.
#[derive(Default)]
struct Endpoints {
    router: Router<AppState>,
    operations: Vec<(String, String)>,
}

impl Endpoints {
    /// Route `handler` at the path and methods of its OpenAPI description `P`.
    fn add<P, H, T>(self, handler: H) -> Self
    where
        P: utoipa::Path,
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_layered::<P, H, T>(handler, |m| m)
    }

    /// As [`Endpoints::add`], without the default body limit: for uploads, whose handler applies
    /// its own (configured) limit.
    fn add_without_body_limit<P, H, T>(self, handler: H) -> Self
    where
        P: utoipa::Path,
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_layered::<P, H, T>(handler, |m| m.layer(DefaultBodyLimit::disable()))
    }

    fn add_layered<P, H, T>(
        mut self,
        handler: H,
        layer: impl FnOnce(MethodRouter<AppState>) -> MethodRouter<AppState>,
    ) -> Self
    where
        P: utoipa::Path,
        H: Handler<T, AppState>,
        T: 'static,
    {
        let path = P::path();
        let mut method_router = MethodRouter::new();
        for method in P::methods() {
            let (filter, name) = method_filter(&method);
            method_router = method_router.on(filter, handler.clone());
            self.operations.push((name.to_owned(), path.clone()));
        }
        self.router = self.router.route(&path, layer(method_router));
        self
    }
}

fn method_filter(method: &HttpMethod) -> (MethodFilter, &'static str) {
    match method {
        HttpMethod::Get => (MethodFilter::GET, "GET"),
        HttpMethod::Post => (MethodFilter::POST, "POST"),
        HttpMethod::Put => (MethodFilter::PUT, "PUT"),
        HttpMethod::Delete => (MethodFilter::DELETE, "DELETE"),
        HttpMethod::Options => (MethodFilter::OPTIONS, "OPTIONS"),
        HttpMethod::Head => (MethodFilter::HEAD, "HEAD"),
        HttpMethod::Patch => (MethodFilter::PATCH, "PATCH"),
        HttpMethod::Trace => (MethodFilter::TRACE, "TRACE"),
    }
}

/// The OpenAPI document. Paths are relative to the server URL `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Owlery API",
        version = "1",
        description = "The Owlery HTTP API.\n\nAuthenticate with a personal API token: \
            `Authorization: Bearer owl_…` (create one under Account → API tokens, or with \
            `POST /tokens`). Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}` with a \
            stable `code`. Lists are `{\"items\": [...], \"next_cursor\": string|null}`; pass \
            `next_cursor` back as `?cursor=` for the next page. Request bodies are JSON \
            (`Content-Type: application/json`); unknown fields are refused."
    ),
    servers((url = "/api/v1")),
    paths(
        me::get_me,
        users::list_users,
        users::create_user,
        users::get_user,
        users::update_user,
        grants::list_grants,
        grants::create_grant,
        grants::revoke_grant,
        teams::list_teams,
        teams::create_team,
        teams::add_member,
        teams::remove_member,
        workspaces::list_workspaces,
        workspaces::create_workspace,
        channels::list_channels,
        channels::create_channel,
        channels::refresh_server_limits,
        roles::list_roles,
        tokens::list_tokens,
        tokens::create_token,
        tokens::revoke_token,
        audit::list_audit_events,
        networks::get_network_specs,
        networks::validate_draft,
        posts::create_post,
        posts::list_posts,
        posts::get_post,
        posts::update_post,
        posts::list_versions,
        posts::submit_post,
        variants::schedule_variant,
        variants::unschedule_variant,
        reviews::list_workflows,
        reviews::set_workflow,
        reviews::delete_workflow,
        reviews::list_reviews,
        reviews::decide,
        reviews::create_review_link,
        media::upload_media,
        media::list_media,
        media::get_media,
        media::update_media,
        media::delete_media,
        media::get_media_file,
        media::get_renditions,
        media::get_rendition_file,
        campaigns::list_campaigns,
        campaigns::create_campaign,
        campaigns::get_campaign,
        campaigns::update_campaign,
        campaigns::add_post,
        campaigns::remove_post,
        queues::get_queue,
        queues::set_queue,
        queues::queue_variant,
        comments::list_comments,
        comments::add_comment,
        comments::set_assignee,
        calendar::calendar,
        posts_csv::import_posts,
        posts_csv::export_posts,
        link_preview::link_preview,
        engine::list_pauses,
        engine::create_pause,
        engine::lift_pause,
        engine::get_publishing_settings,
        engine::set_publishing_settings,
        engine::list_attention,
        engine::resume_variant,
        engine::resolve_variant,
        network_apps::list_network_apps,
        network_apps::set_network_app,
        network_apps::delete_network_app,
        inbox::list_conversations,
        inbox::get_conversation,
        inbox::update_conversation,
        inbox::search,
        inbox_work::bulk_update,
        inbox_work::list_views,
        inbox_work::create_view,
        inbox_work::update_view,
        inbox_work::delete_view,
        inbox_work::list_notes,
        inbox_work::add_note,
        inbox_rules::list_rules,
        inbox_rules::create_rule,
        inbox_rules::update_rule,
        inbox_rules::delete_rule,
        inbox_rules::move_rule,
        inbox_rules::preview_rules,
        inbox_rules::get_presence,
        inbox_rules::set_presence,
        inbox_rules::get_auto_away,
        inbox_rules::set_auto_away,
        inbox_rules::list_sla_policies,
        inbox_rules::create_sla_policy,
        inbox_rules::delete_sla_policy,
        inbox_rules::get_inbox_settings,
        inbox_rules::set_team_settings,
        inbox_rules::set_workspace_settings,
        inbox_rules::get_report,
        inbox_replies::create_reply,
        inbox_replies::retry_reply,
        inbox_replies::review_reply,
        inbox_replies::like_message,
        inbox_replies::delete_message,
        inbox_replies::list_pending_replies,
        inbox_replies::list_saved_replies,
        inbox_replies::create_saved_reply,
        inbox_replies::update_saved_reply,
        inbox_replies::delete_saved_reply,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "me", description = "The caller"),
        (name = "users", description = "People in the organisation"),
        (name = "grants", description = "Roles granted to people, at the organisation, a workspace or a channel"),
        (name = "teams", description = "Teams of people"),
        (name = "workspaces", description = "Workspaces group channels"),
        (name = "channels", description = "Accounts on social networks"),
        (name = "roles", description = "The built-in roles and their permissions"),
        (name = "tokens", description = "Personal API tokens"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "networks", description = "What each network accepts, and preflight checks of drafts"),
        (name = "posts", description = "Posts, their per-channel variants, and scheduling"),
        (name = "approvals", description = "Approval workflows, reviews and decisions"),
        (name = "media", description = "The media library: uploads, their metadata and their renditions per network placement"),
        (name = "campaigns", description = "Posts released together, at one instant or staggered"),
        (name = "queues", description = "Per-channel posting queues: weekly slots, and adding a variant to the next free one"),
        (name = "engine", description = "The publishing engine's controls: the pause switch, the late policy, and posts that wait for a person (paused, unconfirmed, failed)"),
        (name = "network-apps", description = "The organisation's apps (OAuth clients) on networks connected with OAuth 2.0"),
        (name = "inbox", description = "The community inbox: conversations (comments, mentions, DMs) across channels, their messages and contacts, search"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme that every operation refers to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("owl_…")
                    .description(Some(
                        "A personal API token. It acts with its owner's roles, narrowed to its \
                         scopes when it has any.",
                    ))
                    .build(),
            ),
        );
    }
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no API endpoint at this address; see /api/v1/openapi.json.",
    )
}

async fn method_not_allowed() -> Response {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept this method; see /api/v1/openapi.json.",
    )
    .into_response()
}
