//! Connecting channels with OAuth, as pages: Settings → Network apps (the organisation's OAuth
//! clients, `org:manage`), the connect page and the network's way back (`channels:manage` on the
//! workspace), and the account chooser. The flow itself is [`crate::connect`].

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use owlery_domain::{
    ChannelId, Permission, Target, WorkspaceId,
    org::{AuthKind, Network},
};
use owlery_store::oauth::app_service;
use serde::Deserialize;
use uuid::Uuid;

use super::{form::FormData, lang_of, load_organisation, page_for, render, unprocessable};
use crate::{
    auth::PagePrincipal,
    connect::{self, Finished, OAUTH_NETWORKS, StartRequest},
    error::AppError,
    i18n::{self, Lang},
    state::AppState,
    ui::views::{
        FieldError, Flash, FormErrors, Section, SelectOption,
        channels::{
            ChoiceRow, ChooseView, ConnectNetwork, ConnectResultView, ConnectView, NetworkAppRow,
            NetworkAppsView, ReconnectTarget, ServerAppRow, UpgradeChoice, UpgradeView,
        },
    },
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/network-apps", get(network_apps))
        .route("/settings/network-apps/{network}", post(save_app))
        .route("/settings/network-apps/{network}/remove", post(remove_app))
        .route("/settings/channels/connect", get(connect_page))
        .route("/settings/channels/connect/{network}", post(start))
        .route("/oauth/callback/{network}", get(callback))
        .route(
            "/settings/channels/choose/{attempt}",
            get(choose_page).post(choose),
        )
        .route(
            "/settings/channels/upgrade/{attempt}",
            get(upgrade_page).post(upgrade),
        )
}

fn settings_page(p: &PagePrincipal, path: &str) -> crate::ui::views::Page {
    page_for(p, path).with_section(Section::Settings)
}

fn network_of(code: &str) -> Result<Network, AppError> {
    Network::parse(code)
        .filter(|n| connect::is_oauth(*n))
        .ok_or_else(|| AppError::not_found("network"))
}

/// A flow error in the reader's language: `connect-error-<field>-<code>` or
/// `connect-error-<code>` where there is a translation, else the English message.
fn message_of(lang: Lang, e: &AppError, network: Option<Network>) -> String {
    let code = e.code.replace('_', "-");
    let mut keys: Vec<String> = e
        .field
        .iter()
        .map(|f| format!("connect-error-{}-{code}", f.replace('_', "-")))
        .collect();
    keys.push(format!("connect-error-{code}"));
    let name = network.map(Network::label).unwrap_or("");
    keys.into_iter()
        .find(|k| i18n::has_key(lang, k))
        .map(|k| i18n::tr_args(lang, &k, &[("network", i18n::Arg::Str(name.to_owned()))]))
        .unwrap_or_else(|| e.message.clone())
}

/// Errors whose English message carries the network's own words, shown beside the translation.
fn carries_detail(e: &AppError) -> bool {
    matches!(
        e.code,
        "network_refused" | "network_unreachable" | "registration_refused"
    )
}

/// What tells a network's app for a kind of connection apart on the pages: the network code, or
/// `tiktok-business`.
fn key_of(network: Network, auth: AuthKind) -> String {
    match auth {
        AuthKind::Standard => network.code().to_owned(),
        other => other.code().replace('_', "-"),
    }
}

/// Where each network's apps (for a kind of connection) are made.
fn portal(network: Network, auth: AuthKind) -> &'static str {
    match network {
        Network::X => "https://developer.x.com/en/portal/dashboard",
        Network::FacebookPage | Network::Instagram | Network::Threads => {
            "https://developers.facebook.com/apps/"
        }
        Network::Linkedin => "https://www.linkedin.com/developers/apps",
        Network::Tiktok => match auth {
            AuthKind::TiktokBusiness => "https://business-api.tiktok.com/portal/apps",
            AuthKind::Standard => "https://developers.tiktok.com/apps/",
        },
        Network::Youtube => "https://console.cloud.google.com/apis/credentials",
        Network::Pinterest => "https://developers.pinterest.com/apps/",
        Network::Mastodon | Network::Bluesky | Network::Sandbox => "",
    }
}

// ---- network apps ----

/// Whether `network` only takes media from Owlery's public address, and if so whether it can reach
/// it (as the engine judges it: `domain::publishing::media_url::check_reachable`, or allowed
/// explicitly), and what it downloads (`photos` or `all`). `None`: the network can receive bytes.
fn media_reachable(state: &AppState, network: Network) -> (Option<bool>, &'static str) {
    use owlery_networks::{MediaKind, MediaSource};
    let Some(connector) = state.connectors.get(network) else {
        return (None, "all");
    };
    let by_address = |k| connector.media_source(k) == MediaSource::Url;
    let what = if by_address(MediaKind::Video) {
        "all"
    } else {
        "photos"
    };
    let needed = by_address(MediaKind::Image) || by_address(MediaKind::Video);
    let reachable = needed.then(|| {
        state.config.media_urls_allow_private
            || owlery_domain::publishing::media_url::check_reachable(Some(&state.config.public_url))
                .is_ok()
    });
    (reachable, what)
}

#[derive(Deserialize, Default)]
struct AppsQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    removed: String,
}

async fn apps_view(state: &AppState, p: &PagePrincipal) -> Result<NetworkAppsView, AppError> {
    let org = load_organisation(state).await?;
    let stored = state.store.network_apps(org.id).await?;
    let mut apps: Vec<NetworkAppRow> = OAUTH_NETWORKS
        .into_iter()
        .flat_map(|network| AuthKind::of(network).into_iter().map(move |a| (network, a)))
        .map(|(network, auth)| {
            let own = stored
                .iter()
                .find(|a| a.network == network && a.service.as_deref() == app_service(auth, None));
            let scopes = state
                .connectors
                .get(network)
                .and_then(|c| c.oauth_for(auth, Some("https://mastodon.example")))
                .map(|spec| spec.scopes)
                .unwrap_or_default();
            let media = match auth {
                AuthKind::Standard => media_reachable(state, network),
                // The business app reads and answers comments: it publishes nothing.
                _ => (None, "all"),
            };
            let automatic = connect::registers_itself(network) && auth == AuthKind::Standard;
            NetworkAppRow {
                network: network.code().to_owned(),
                auth: auth.code().to_owned(),
                key: key_of(network, auth),
                automatic,
                configured: own.is_some() || automatic,
                client_id: own.map(|a| a.client_id.clone()).unwrap_or_default(),
                redirect_uri: connect::redirect_uri(state, network),
                portal: portal(network, auth).to_owned(),
                scopes,
                updated_at: own.map(|a| a.updated_at),
                media_reachable: media.0,
                media_what: media.1.to_owned(),
                webhook_url: None,
                verify_token: None,
            }
        })
        .collect();
    // Webhook addresses (and Meta's verify token) of the apps that are set, made on first sight.
    for app in &mut apps {
        let Some(network) = Network::parse(&app.network) else {
            continue;
        };
        if app.auth != AuthKind::Standard.code() {
            continue;
        }
        let own = stored
            .iter()
            .any(|a| a.network == network && a.service.is_none());
        if !own || owlery_networks::webhook::events::Family::of(network).is_none() {
            continue;
        }
        let (id, token) = crate::webhooks::ensure(state, &p.0.actor(), org.id, network).await?;
        app.webhook_url = crate::webhooks::url(state, network, &id);
        if owlery_networks::webhook::events::Family::of(network)
            == Some(owlery_networks::webhook::events::Family::Meta)
        {
            app.verify_token = Some(token);
        }
    }
    let servers = stored
        .iter()
        .filter_map(|a| {
            Some(ServerAppRow {
                server: a.server()?.to_owned(),
                client_id: a.client_id.clone(),
                updated_at: a.updated_at,
            })
        })
        .collect();
    Ok(NetworkAppsView {
        page: settings_page(p, "/settings/network-apps"),
        apps,
        servers,
        form_network: String::new(),
        form_client_id: String::new(),
        errors: FormErrors::new(),
    })
}

async fn network_apps(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<AppsQuery>,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)?;
    let lang = lang_of(&p);
    let mut view = apps_view(&state, &p).await?;
    let done = [("napp-saved", &q.saved), ("napp-removed", &q.removed)]
        .into_iter()
        .find_map(|(key, code)| Some((key, Network::parse(code)?)));
    let flash = done.map(|(key, n)| {
        let network = view.page.network_name(n.code());
        Flash::success(i18n::tr_args(lang, key, &[("network", network.into())]))
    });
    view.page = view.page.with_flash(flash);
    Ok(render(&view))
}

async fn save_app(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(code): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)?;
    let network = network_of(&code)?;
    let auth = connect::auth_kind(network, &form.get("auth"))?;
    let lang = lang_of(&p);
    match connect::set_app_for(
        &state,
        &p.0,
        network,
        auth,
        None,
        &form.get("client_id"),
        &form.raw("client_secret"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/settings/network-apps?saved={}#napp-{}",
            network.code(),
            key_of(network, auth)
        ))
        .into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut view = apps_view(&state, &p).await?;
            view.form_network = key_of(network, auth);
            view.form_client_id = form.get("client_id");
            let field = e.field.clone().unwrap_or_default();
            let key = format!("napp-error-{}", field.replace('_', "-"));
            view.errors = FormErrors(vec![FieldError::new(
                field,
                i18n::tr_or(lang, &key, &e.message),
            )]);
            Ok(unprocessable(render(&view)))
        }
        Err(e) => Err(e),
    }
}

async fn remove_app(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(code): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require(Permission::OrgManage, Target::Organisation)?;
    let network = network_of(&code)?;
    let auth = connect::auth_kind(network, &form.get("auth"))?;
    let service = match form.get("service") {
        s if s.is_empty() => None,
        s => Some(connect::mastodon_server(&s)?),
    };
    let org = load_organisation(&state).await?;
    state
        .store
        .delete_network_app(
            &p.0.actor(),
            org.id,
            network,
            app_service(auth, service.as_deref()),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/settings/network-apps?removed={}",
        network.code()
    ))
    .into_response())
}

// ---- connecting ----

#[derive(Deserialize, Default)]
struct ConnectQuery {
    #[serde(default)]
    workspace: String,
    #[serde(default)]
    channel: String,
}

/// The connect page sends people to the networks' own sites: its forms may go there (a form's
/// redirect is held to the page's `form-action`). Everything else stays as strict as elsewhere.
fn with_connect_csp(state: &AppState, mut res: Response) -> Response {
    let plain_http = if state.config.public_url.starts_with("http://") {
        " http:"
    } else {
        ""
    };
    let csp = format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         frame-ancestors 'none'; form-action 'self' https:{plain_http}; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    res
}

async fn connect_view(
    state: &AppState,
    p: &PagePrincipal,
    q: &ConnectQuery,
) -> Result<ConnectView, AppError> {
    let org = load_organisation(state).await?;
    let apps = state.store.network_apps(org.id).await?;
    let ready = |n: Network, auth: AuthKind| {
        state.connectors.get(n).is_some()
            && ((connect::registers_itself(n) && auth == AuthKind::Standard)
                || apps
                    .iter()
                    .any(|a| a.network == n && a.service.as_deref() == app_service(auth, None)))
    };
    let reconnect = match ChannelId::parse(&q.channel) {
        Some(id) => {
            let channel = state.store.channel(id).await?;
            p.0.require(
                Permission::ChannelsManage,
                Target::Channel {
                    workspace: channel.workspace_id,
                    channel: id,
                },
            )?;
            if channel.simulated || !connect::is_oauth(channel.network) {
                return Err(AppError::not_found("channel to reconnect"));
            }
            let auth = state
                .store
                .channel_credential(id)
                .await?
                .map(|c| c.auth)
                .unwrap_or_default();
            let upgrade = AuthKind::of(channel.network)
                .into_iter()
                .find(|k| auth.upgrades_to(*k))
                .map(|k| UpgradeChoice {
                    auth: k.code().to_owned(),
                    ready: ready(channel.network, k),
                    app_key: key_of(channel.network, k),
                });
            Some(ReconnectTarget {
                upgrade,
                channel_id: id.to_string(),
                network: channel.network.code().to_owned(),
                name: channel.name.clone(),
                handle: channel.handle.clone(),
                reason: state
                    .store
                    .channel_status_reason(id)
                    .await?
                    .unwrap_or_default(),
                ready: ready(channel.network, auth),
                app_key: key_of(channel.network, auth),
            })
        }
        None => None,
    };
    let chosen = WorkspaceId::parse(&q.workspace);
    let workspaces = state
        .store
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|w| {
            p.0.access
                .can(Permission::ChannelsManage, Target::Workspace(w.id))
        })
        .map(|w| SelectOption::new(w.id.to_string(), w.name, Some(w.id) == chosen))
        .collect();
    Ok(ConnectView {
        page: settings_page(p, "/settings/channels/connect"),
        workspaces,
        networks: OAUTH_NETWORKS
            .into_iter()
            .flat_map(|n| AuthKind::of(n).into_iter().map(move |a| (n, a)))
            .map(|(n, auth)| ConnectNetwork {
                code: n.code().to_owned(),
                auth: auth.code().to_owned(),
                key: key_of(n, auth),
                ready: ready(n, auth),
                needs_server: connect::registers_itself(n) && auth == AuthKind::Standard,
            })
            .collect(),
        reconnect,
        can_configure: p.0.access.can(Permission::OrgManage, Target::Organisation),
        server: String::new(),
        errors: FormErrors::new(),
    })
}

async fn connect_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Query(q): Query<ConnectQuery>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::ChannelsManage)?;
    let view = connect_view(&state, &p, &q).await?;
    Ok(with_connect_csp(&state, render(&view)))
}

async fn start(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(code): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let network = network_of(&code)?;
    let channel = match form.get("channel_id") {
        s if s.is_empty() => None,
        s => Some(ChannelId::parse(&s).ok_or_else(|| AppError::not_found("channel"))?),
    };
    let workspace = WorkspaceId::parse(&form.get("workspace_id"));
    match workspace {
        Some(ws) if channel.is_none() => {
            p.0.require(Permission::ChannelsManage, Target::Workspace(ws))?;
        }
        _ => p.0.require_anywhere(Permission::ChannelsManage)?,
    }
    let server = form.get("server");
    let auth = match connect::auth_kind(network, &form.get("auth")) {
        Ok(a) => a,
        Err(e) => return Ok(result_page(&p, Some(network), &e)),
    };
    let request = StartRequest {
        workspace,
        channel,
        server: Some(server.clone()).filter(|s| !s.is_empty()),
        auth,
    };
    match connect::start(&state, &p.0, network, request).await {
        Ok(address) => Ok(Redirect::to(&address).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            let lang = lang_of(&p);
            let q = ConnectQuery {
                workspace: form.get("workspace_id"),
                channel: form.get("channel_id"),
            };
            // The page cannot be shown again (a channel that cannot be reconnected): the error
            // on a page of its own.
            let Ok(mut view) = connect_view(&state, &p, &q).await else {
                return Ok(result_page(&p, Some(network), &e));
            };
            view.server = server;
            let field = match e.field.as_deref() {
                Some("server") => "server",
                Some("workspace_id") => "workspace_id",
                _ => "",
            };
            let mut message = message_of(lang, &e, Some(network));
            if carries_detail(&e) {
                message = format!("{message} ({})", e.message);
            }
            view.errors = FormErrors(vec![FieldError::new(field, message)]);
            let mut res = unprocessable(render(&view));
            *res.status_mut() = e.status;
            Ok(with_connect_csp(&state, res))
        }
        Err(e) if e.status.is_server_error() && e.code == "network_unreachable" => {
            Ok(result_page(&p, Some(network), &e))
        }
        Err(e) => Err(e),
    }
}

/// A flow error as a page: what happened and what to do, in the reader's language.
fn result_page(p: &PagePrincipal, network: Option<Network>, e: &AppError) -> Response {
    let view = ConnectResultView {
        page: settings_page(p, "/settings/channels/connect"),
        network: network.map(|n| n.code().to_owned()).unwrap_or_default(),
        declined: false,
        message: message_of(lang_of(p), e, network),
        detail: if carries_detail(e) {
            e.message.clone()
        } else {
            String::new()
        },
    };
    let mut res = render(&view);
    *res.status_mut() = e.status;
    res
}

async fn callback(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(code): Path<String>,
    Query(q): Query<connect::Callback>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::ChannelsManage)?;
    let network = network_of(&code)?;
    match connect::finish(&state, &p.0, network, q).await {
        Ok(Finished::Connected(channels)) => Ok(Redirect::to(&format!(
            "/settings/workspaces?connected={}",
            channels.len()
        ))
        .into_response()),
        Ok(Finished::Reconnected(channel)) => Ok(Redirect::to(&format!(
            "/settings/workspaces?reconnected={}",
            channel.id
        ))
        .into_response()),
        Ok(Finished::Upgraded(channel)) => Ok(Redirect::to(&format!(
            "/settings/workspaces?upgraded={}",
            channel.id
        ))
        .into_response()),
        Ok(Finished::ConfirmUpgrade(id)) => {
            Ok(Redirect::to(&format!("/settings/channels/upgrade/{id}")).into_response())
        }
        Ok(Finished::Choose(id)) => {
            Ok(Redirect::to(&format!("/settings/channels/choose/{id}")).into_response())
        }
        Ok(Finished::Declined { error, description }) => {
            let lang = lang_of(&p);
            let key = if error == "access_denied" {
                "connect-declined-access-denied"
            } else {
                "connect-declined"
            };
            let view = ConnectResultView {
                page: settings_page(&p, "/settings/channels/connect"),
                network: network.code().to_owned(),
                declined: true,
                message: i18n::tr_args(
                    lang,
                    key,
                    &[("network", crate::i18n::Arg::Str(network.label().to_owned()))],
                ),
                // A bare `access_denied` says nothing the message does not.
                detail: description.unwrap_or_else(|| {
                    if error == "access_denied" {
                        String::new()
                    } else {
                        error
                    }
                }),
            };
            Ok(render(&view))
        }
        Err(e) if e.status != StatusCode::INTERNAL_SERVER_ERROR => {
            Ok(result_page(&p, Some(network), &e))
        }
        Err(e) => Err(e),
    }
}

fn attempt_of(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found("connection"))
}

async fn choose_view(
    state: &AppState,
    p: &PagePrincipal,
    id: Uuid,
) -> Result<ChooseView, AppError> {
    let (attempt, choices) = connect::choices(state, &p.0, id).await?;
    let workspace = state.store.workspace(attempt.workspace_id).await?.name;
    Ok(ChooseView {
        page: settings_page(p, "/settings/channels/connect"),
        attempt_id: id.to_string(),
        network: attempt.network.code().to_owned(),
        workspace,
        choices: choices
            .into_iter()
            .map(|c| ChoiceRow {
                id: c.id,
                kind: c.kind.code().to_owned(),
                name: c.name,
                handle: c.handle,
                connected: c.connected,
            })
            .collect(),
        errors: FormErrors::new(),
    })
}

async fn choose_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::ChannelsManage)?;
    let id = attempt_of(&raw)?;
    match choose_view(&state, &p, id).await {
        Ok(view) => Ok(render(&view)),
        Err(e) if e.code == "choice_expired" => Ok(result_page(&p, None, &e)),
        Err(e) => Err(e),
    }
}

async fn choose(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::ChannelsManage)?;
    let id = attempt_of(&raw)?;
    let chosen = form.all("account");
    match connect::choose(&state, &p.0, id, &chosen).await {
        Ok((created, _skipped)) => Ok(Redirect::to(&format!(
            "/settings/workspaces?connected={}",
            created.len()
        ))
        .into_response()),
        Err(e) if e.code == "choose_one" => {
            let mut view = choose_view(&state, &p, id).await?;
            view.errors = FormErrors(vec![FieldError::new(
                "account",
                message_of(lang_of(&p), &e, None),
            )]);
            Ok(unprocessable(render(&view)))
        }
        Err(e) if e.code == "choice_expired" => Ok(result_page(&p, None, &e)),
        Err(e)
            if e.status != StatusCode::INTERNAL_SERVER_ERROR
                && e.status != StatusCode::FORBIDDEN =>
        {
            Ok(result_page(&p, None, &e))
        }
        Err(e) => Err(e),
    }
}

// ---- upgrading a channel's connection ----

async fn upgrade_page(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::ChannelsManage)?;
    let id = attempt_of(&raw)?;
    let offer = match connect::upgrade_offer(&state, &p.0, id).await {
        Ok(offer) => offer,
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            return Ok(result_page(&p, None, &e));
        }
        Err(e) => return Err(e),
    };
    let workspace = state
        .store
        .workspace(offer.channel.workspace_id)
        .await?
        .name;
    Ok(render(&UpgradeView {
        page: settings_page(&p, "/settings/channels/connect"),
        attempt_id: id.to_string(),
        network: offer.channel.network.code().to_owned(),
        channel_name: offer.channel.name,
        channel_handle: offer.channel.handle,
        workspace,
        account_name: offer.name,
        account_handle: offer.handle,
    }))
}

async fn upgrade(
    State(state): State<AppState>,
    p: PagePrincipal,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    p.0.require_anywhere(Permission::ChannelsManage)?;
    let id = attempt_of(&raw)?;
    match connect::confirm_upgrade(&state, &p.0, id).await {
        Ok(channel) => Ok(
            Redirect::to(&format!("/settings/workspaces?upgraded={}", channel.id)).into_response(),
        ),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            Ok(result_page(&p, None, &e))
        }
        Err(e) => Err(e),
    }
}
