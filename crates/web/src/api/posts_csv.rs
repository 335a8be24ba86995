//! `/posts/import` and `/posts/export.csv`: posts in bulk as CSV. The file format (columns, time
//! formats, the formula guard) is `owlery_domain::publishing::csv`.
//!
//! An import is checked whole before anything is written: every row is read, resolved (channels the
//! caller may draft for in the workspace, the campaign by name) and composed exactly like
//! `POST /posts` (so network rules are checked the same way). A dry run stops there. A real run
//! imports only when no row has a problem — all or nothing — and then creates each post; rows with
//! a time are submitted like `POST /posts` (to review where a workflow covers the channel, else
//! scheduled), which needs `posts:publish` on channels that no workflow covers. Rows are written
//! one post at a time: a server failure midway (not a problem in the file) can leave the earlier
//! rows created, and the response then is a 500.

use std::collections::{BTreeMap, HashMap};

use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use owlery_domain::{
    CampaignId, ChannelId, MediaId, Permission, Target, UserId, WorkspaceId,
    post::{Content, MediaRef},
    publishing::csv::{ExportRow, ImportRow, RowError, parse_import, write_export},
};
use owlery_store::{campaigns::CampaignStatus, posts::NewPost};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Json, Query, extract::parse_id, posts::may};
use crate::{
    auth::{ApiPrincipal, Principal},
    compose::{ChannelDraft, Draft, compose},
    error::{ApiResult, AppError, ErrorBody},
    state::AppState,
};

/// An export holds at most this many posts; narrow the range for more.
pub const MAX_EXPORT_POSTS: i64 = 10_000;

/// A `text/csv` request body, within the server's body size limit (413 `body_too_large` beyond
/// it). Any other content type is refused with 415.
pub struct CsvBody(pub Bytes);

impl FromRequest<AppState> for CsvBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_csv(req.headers()) {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the file as the request body with 'Content-Type: text/csv'.",
            ));
        }
        let limit = state.config.max_body_bytes;
        Bytes::from_request(req, state)
            .await
            .map(CsvBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        format!(
                            "The file is larger than this server accepts ({} KiB); split it into \
                             several files.",
                            limit / 1024
                        ),
                    )
                    .with_field("file")
                } else {
                    AppError::bad_request(
                        "unreadable_body",
                        format!("The request body could not be read: {}.", e.body_text()),
                    )
                }
            })
    }
}

fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|e| e.trim().to_ascii_lowercase())
        .is_some_and(|e| e == "text/csv" || e == "application/csv")
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The workspace the posts go to.
    pub workspace_id: String,
    /// Only check the file (default `true`): send `dry_run=false` to import.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowProblem {
    /// The CSV column the problem is in, when it is one.
    pub column: Option<String>,
    pub message: String,
}

/// One row of the file and what became (or would become) of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowOut {
    /// The line in the file where the row starts (1 is the header).
    pub line: usize,
    /// No problem: the row can be imported.
    pub ok: bool,
    pub problems: Vec<RowProblem>,
    pub channel_ids: Vec<Uuid>,
    /// `null`: the post stays a draft.
    pub scheduled_at: Option<DateTime<Utc>>,
    pub campaign_id: Option<Uuid>,
    /// What the networks' rules find wrong (as `POST /posts`): the post is still created, but
    /// these variants are not scheduled until fixed.
    pub validation_errors: Vec<String>,
    /// The created post (real runs only).
    pub post_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub dry_run: bool,
    /// Whether posts were created: only in a real run where every row is fine.
    pub imported: bool,
    pub rows_total: usize,
    pub rows_with_problems: usize,
    pub rows: Vec<ImportRowOut>,
}

/// A row ready to be created.
struct Prepared {
    line: usize,
    draft: Draft,
    scheduled_at: Option<DateTime<Utc>>,
    campaign: Option<CampaignId>,
}

fn normalise_key(s: &str) -> String {
    s.trim().trim_start_matches('@').to_lowercase()
}

fn problem(line: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        column: Some(column.to_owned()),
        message: message.into(),
    }
}

/// Import posts from a CSV file (see `owlery_domain::publishing::csv` for the columns:
/// `channels` (handles or ids, `;`-separated), `text`, `scheduled_at`, `time_zone`, `link`,
/// `first_comment`, `campaign` (a planned campaign's name), `media` (ids, `;`-separated); the
/// read-only columns of an export are ignored). All or nothing: a real run creates posts only when
/// every row is fine; otherwise (and in a dry run) nothing is created and each row's problems are
/// reported with their line and column. Rows with a time are submitted as `POST /posts` does.
#[utoipa::path(
    post,
    path = "/posts/import",
    tag = "posts",
    params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The CSV file (UTF-8, header line first, at most 5,000 rows)"),
    responses(
        (status = 200, description = "The report; `imported` says whether posts were created", body = ImportResult),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft in the workspace", body = ErrorBody),
        (status = 413, description = "The file is larger than the server's request body limit", body = ErrorBody),
        (status = 415, description = "Not sent as text/csv", body = ErrorBody),
        (status = 422, description = "The file as a whole cannot be read (field `file`): not UTF-8, no header, unknown or missing columns, too many rows", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import_posts(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ImportParams>,
    CsvBody(bytes): CsvBody,
) -> ApiResult<Json<ImportResult>> {
    let workspace: WorkspaceId = parse_id("workspace_id", &params.workspace_id)?;
    let dry_run = params.dry_run.unwrap_or(true);
    Ok(Json(
        run_import(&state, &principal, workspace, &bytes, dry_run).await?,
    ))
}

/// Check (and, unless `dry_run`, import) a CSV file into a workspace: the API's and the import
/// page's one implementation.
pub(crate) async fn run_import(
    state: &AppState,
    principal: &Principal,
    workspace: WorkspaceId,
    bytes: &[u8],
    dry_run: bool,
) -> ApiResult<ImportResult> {
    let channels: Vec<_> = state
        .store
        .list_channels(Some(workspace))
        .await?
        .into_iter()
        .filter(|c| {
            principal.access.can(
                Permission::PostsDraft,
                Target::Channel {
                    workspace,
                    channel: c.id,
                },
            )
        })
        .collect();
    if channels.is_empty()
        && !principal
            .access
            .can(Permission::PostsDraft, Target::Workspace(workspace))
    {
        return Err(AppError::forbidden());
    }
    let mut by_key: HashMap<String, ChannelId> = HashMap::new();
    for c in &channels {
        by_key.insert(c.id.to_string(), c.id);
        by_key.insert(normalise_key(&c.handle), c.id);
    }
    let tz: Tz = principal.user.time_zone.parse().unwrap_or(Tz::UTC);
    let now = state.store.now();
    let report = parse_import(bytes, tz, now, &|c: &str| {
        by_key.contains_key(&normalise_key(c))
    })?;

    let campaigns: HashMap<String, (CampaignId, CampaignStatus)> = state
        .store
        .campaigns(workspace)
        .await?
        .into_iter()
        .map(|c| (c.name.trim().to_lowercase(), (c.id, c.status)))
        .collect();
    let mut problems: BTreeMap<usize, Vec<RowError>> = BTreeMap::new();
    for e in report.errors {
        problems.entry(e.line).or_default().push(e);
    }
    let mut outs: BTreeMap<usize, ImportRowOut> = BTreeMap::new();
    let mut prepared: Vec<Prepared> = Vec::new();
    let mut covered: HashMap<ChannelId, bool> = HashMap::new();
    for row in report.rows {
        let (out, ready, errors) = check_row(
            state,
            principal,
            workspace,
            &by_key,
            &campaigns,
            &mut covered,
            row,
            now,
        )
        .await?;
        if !errors.is_empty() {
            problems.entry(out.line).or_default().extend(errors);
        } else if let Some(p) = ready {
            prepared.push(p);
        }
        outs.insert(out.line, out);
    }
    for (line, errors) in &problems {
        let out = outs.entry(*line).or_insert_with(|| ImportRowOut {
            line: *line,
            ok: false,
            problems: Vec::new(),
            channel_ids: Vec::new(),
            scheduled_at: None,
            campaign_id: None,
            validation_errors: Vec::new(),
            post_id: None,
        });
        out.ok = false;
        out.problems = errors
            .iter()
            .map(|e| RowProblem {
                column: e.column.clone(),
                message: e.message.clone(),
            })
            .collect();
    }
    let rows_with_problems = problems.len();
    let import = !dry_run && rows_with_problems == 0;
    if import {
        let actor = principal.actor();
        for p in prepared {
            let composed = compose(&state.store, p.draft, now).await?;
            let post = state
                .store
                .create_post(
                    &actor,
                    principal.user.id,
                    NewPost {
                        workspace_id: workspace,
                        title: String::new(),
                        content: composed.master,
                        variants: composed.variants,
                        campaign_id: p.campaign,
                        scheduled_at: p.scheduled_at,
                        schedule_tz: tz.name().to_owned(),
                    },
                )
                .await?;
            if p.scheduled_at.is_some() {
                state.store.submit_post(&actor, post.id).await?;
            }
            if let Some(out) = outs.get_mut(&p.line) {
                out.post_id = Some(post.id.0);
            }
        }
    }
    Ok(ImportResult {
        dry_run,
        imported: import,
        rows_total: outs.len(),
        rows_with_problems,
        rows: outs.into_values().collect(),
    })
}

/// Resolve and compose one row that the file format accepted.
#[expect(
    clippy::too_many_arguments,
    reason = "the row's context, looked up once per import"
)]
async fn check_row(
    state: &AppState,
    principal: &Principal,
    workspace: WorkspaceId,
    by_key: &HashMap<String, ChannelId>,
    campaigns: &HashMap<String, (CampaignId, CampaignStatus)>,
    covered: &mut HashMap<ChannelId, bool>,
    row: ImportRow,
    now: DateTime<Utc>,
) -> ApiResult<(ImportRowOut, Option<Prepared>, Vec<RowError>)> {
    let line = row.line;
    let mut errors: Vec<RowError> = Vec::new();
    let channel_ids: Vec<ChannelId> = row
        .channels
        .iter()
        .filter_map(|c| by_key.get(&normalise_key(c)).copied())
        .fold(Vec::new(), |mut acc, c| {
            if !acc.contains(&c) {
                acc.push(c);
            }
            acc
        });
    let campaign = match row.campaign.as_deref() {
        None => None,
        Some(name) => match campaigns.get(&name.trim().to_lowercase()) {
            Some((id, CampaignStatus::Planned)) => Some(*id),
            Some(_) => {
                errors.push(problem(
                    line,
                    "campaign",
                    format!("The campaign \"{name}\" has been released, held or cancelled."),
                ));
                None
            }
            None => {
                errors.push(problem(
                    line,
                    "campaign",
                    format!("There is no campaign \"{name}\" in this workspace."),
                ));
                None
            }
        },
    };
    // A row with a time is submitted: as POST /posts, a channel that no workflow covers needs
    // posts:publish.
    if row.scheduled_at.is_some()
        && crate::compose::needs_publisher(
            &state.store,
            principal,
            workspace,
            &channel_ids,
            covered,
        )
        .await?
    {
        errors.push(problem(
            line,
            "scheduled_at",
            "You may draft for this row's channels but not publish to them, and no \
             approval workflow covers them: leave scheduled_at empty to import a draft.",
        ));
    }
    let media: Vec<MediaRef> = row
        .media
        .iter()
        .map(|m: &MediaId| MediaRef {
            media_id: *m,
            alt: String::new(),
        })
        .collect();
    let draft = Draft {
        workspace_id: workspace,
        master: Content {
            text: row.text.clone(),
            title: None,
            link: row.link.clone(),
            first_comment: row.first_comment.clone(),
            media,
        },
        channels: channel_ids
            .iter()
            .map(|c| ChannelDraft {
                channel_id: *c,
                ..ChannelDraft::default()
            })
            .collect(),
    };
    let mut validation_errors = Vec::new();
    match compose(&state.store, draft.clone(), now).await {
        Ok(composed) => {
            for check in &composed.checks {
                for f in check
                    .findings
                    .iter()
                    .filter(|f| f.severity == owlery_domain::spec::Severity::Error)
                {
                    validation_errors.push(format!("{}: {}", check.network, f.message));
                }
            }
        }
        // A client mistake in the row (unknown media, a text too long to store …).
        Err(e) if e.status.is_client_error() => {
            let column = match e.field.as_deref() {
                Some("media") => "media",
                Some("link") => "link",
                Some("first_comment") => "first_comment",
                Some("channel_ids") => "channels",
                _ => "text",
            };
            errors.push(problem(line, column, e.message));
        }
        Err(e) => return Err(e),
    }
    let out = ImportRowOut {
        line,
        ok: errors.is_empty(),
        problems: Vec::new(),
        channel_ids: channel_ids.iter().map(|c| c.0).collect(),
        scheduled_at: row.scheduled_at,
        campaign_id: campaign.map(|c| c.0),
        validation_errors,
        post_id: None,
    };
    let ready = errors.is_empty().then_some(Prepared {
        line,
        draft,
        scheduled_at: row.scheduled_at,
        campaign,
    });
    Ok((out, ready, errors))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    pub workspace_id: String,
    /// Only variants published or scheduled at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<Utc>>,
    /// Only variants published or scheduled before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<Utc>>,
}

/// The posts of a workspace as CSV, one row per variant: UTF-8 with a byte-order mark, CRLF,
/// columns `post_id, variant_id, channel, network, status, scheduled_at, published_at, text, link,
/// first_comment, campaign, author, remote_url`. Cells a spreadsheet would run as a formula get a
/// leading apostrophe (an import removes it again). With `from`/`to`, only variants with a time in
/// the range. The file can be edited and imported again, as new posts.
#[utoipa::path(
    get,
    path = "/posts/export.csv",
    tag = "posts",
    params(ExportParams),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Needs posts:draft on the workspace or its channels", body = ErrorBody),
        (status = 422, description = "More than 10,000 posts: narrow the range", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export_posts(
    ApiPrincipal(principal): ApiPrincipal,
    State(state): State<AppState>,
    Query(params): Query<ExportParams>,
) -> ApiResult<Response> {
    let workspace: WorkspaceId = parse_id("workspace_id", &params.workspace_id)?;
    export_response(&state, &principal, workspace, params.from, params.to).await
}

/// The export as a downloadable `text/csv` response: the API's and the import page's one
/// implementation.
pub(crate) async fn export_response(
    state: &AppState,
    principal: &Principal,
    workspace: WorkspaceId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<Response> {
    let channels = state.store.list_channels(Some(workspace)).await?;
    let allowed = principal
        .access
        .can(Permission::PostsDraft, Target::Workspace(workspace))
        || channels.iter().any(|c| {
            principal.access.can(
                Permission::PostsDraft,
                Target::Channel {
                    workspace,
                    channel: c.id,
                },
            )
        });
    if !allowed {
        return Err(AppError::forbidden());
    }
    let channels: HashMap<ChannelId, (String, String)> = channels
        .into_iter()
        .map(|c| (c.id, (c.handle, c.network.code().to_owned())))
        .collect();
    let campaigns: HashMap<CampaignId, String> = state
        .store
        .campaigns(workspace)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let posts = state
        .store
        .posts(&[workspace], None, MAX_EXPORT_POSTS + 1)
        .await?;
    if posts.len() as i64 > MAX_EXPORT_POSTS {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "export_too_large",
            format!("More than {MAX_EXPORT_POSTS} posts: narrow the range with from and to."),
        ));
    }
    let mut authors: HashMap<UserId, String> = HashMap::new();
    let mut rows: Vec<ExportRow> = Vec::new();
    for p in &posts {
        let post_channels: Vec<ChannelId> = p.variants.iter().map(|v| v.channel_id).collect();
        if !may(
            principal,
            Permission::PostsDraft,
            p.workspace_id,
            &post_channels,
        ) {
            continue;
        }
        let author = match authors.get(&p.author_id) {
            Some(a) => a.clone(),
            None => {
                let name = state
                    .store
                    .user(p.author_id)
                    .await
                    .map(|u| u.name)
                    .unwrap_or_default();
                authors.insert(p.author_id, name.clone());
                name
            }
        };
        for v in &p.variants {
            let at = v.published_at.or(v.scheduled_at);
            let in_range = match (from, to) {
                (None, None) => true,
                (from, to) => {
                    at.is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|end| t < end))
                }
            };
            if !in_range {
                continue;
            }
            let content = v.overrides.apply(&p.content);
            let (handle, network) = channels.get(&v.channel_id).cloned().unwrap_or_default();
            rows.push(ExportRow {
                post_id: p.id,
                variant_id: v.id,
                channel: handle,
                network,
                status: v.status.code().to_owned(),
                scheduled_at: v.scheduled_at,
                published_at: v.published_at,
                text: content.text,
                link: content.link,
                first_comment: content.first_comment,
                campaign: p.campaign_id.and_then(|c| campaigns.get(&c).cloned()),
                author: author.clone(),
                remote_url: v.remote_url.clone(),
            });
        }
    }
    rows.sort_by_key(|r| {
        (
            r.published_at.or(r.scheduled_at).is_none(),
            r.published_at.or(r.scheduled_at),
            r.post_id.0,
        )
    });
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"owlery-posts.csv\"",
            ),
        ],
        write_export(&rows),
    )
        .into_response())
}
