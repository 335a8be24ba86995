//! Organisation settings: the organisation itself, workspaces and channels, users and their roles,
//! teams, and the security policy. (The audit log is in [`super::audit`]; API tokens, which belong
//! to a person, in [`super::account`].)
//!
//! Form actions (routes for the handler author), each with `csrf_token`:
//! - `POST /settings/organisation` — `name`, `default_language`, `default_time_zone`
//! - `POST /settings/users` — `email`, `name`, `role`, `scope`
//! - `POST /settings/users/{id}/grants` — `role`, `scope`
//! - `POST /settings/users/{id}/grants/{grant_id}/revoke`
//! - `POST /settings/users/{id}/disable`, `/enable`, `/reset-2fa`
//! - `POST /settings/teams` — `name`; `POST /settings/teams/{id}/members` — `user_id`;
//!   `POST /settings/teams/{id}/members/{user_id}/remove`
//! - `POST /settings/workspaces` — `name`; `POST /settings/channels` — `workspace_id`, `name`,
//!   `network` (`sandbox`, or a network code for a practice channel that never leaves the server)
//! - `GET /settings/workflows`, `GET /settings/workflows/new`, `GET /settings/workflows/{id}`;
//!   `POST /settings/workflows` (create) and `POST /settings/workflows/{id}` (save) — see
//!   [`super::workflows`]; `POST /settings/workflows/{id}/delete`
//! - `POST /settings/security` — `require_2fa` (`off` | `everyone` | `roles`),
//!   `require_2fa_roles` (repeated role codes), `session_lifetime_hours`
//!
//! Scope values are `org`, `workspace:<id>` or `channel:<id>` (see [`ScopeOption`]).

use askama::Template;
use chrono::{DateTime, Utc};

use super::{FormErrors, Page, RoleAt, ScopeKind, ScopeOption, SelectOption, tz_options};
use crate::i18n::Lang;

/// `GET /settings/organisation`.
#[derive(Template)]
#[template(path = "settings/organisation.html")]
pub struct OrganisationView {
    pub page: Page,
    pub org_name: String,
    pub default_lang: Lang,
    /// IANA name of the organisation's default time zone (new users start with it).
    pub default_tz: String,
    pub created_at: Option<DateTime<Utc>>,
    pub errors: FormErrors,
}

impl OrganisationView {
    fn tz_options(&self) -> Vec<SelectOption> {
        tz_options(&self.default_tz)
    }
    fn lang_options(&self) -> Vec<SelectOption> {
        Lang::ALL
            .into_iter()
            .map(|l| SelectOption::new(l.code(), l.native_name(), l == self.default_lang))
            .collect()
    }
}

pub use owlery_domain::user::UserStatus;

/// One person in the users table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<RoleAt>,
    pub two_factor: bool,
    pub status: UserStatus,
    pub last_sign_in: Option<DateTime<Utc>>,
}

/// What was typed into the "Create user" form, kept after a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewUserForm {
    pub email: String,
    pub name: String,
    /// Role code.
    pub role: String,
}

/// The result of creating a user: the one-time link to hand over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedUser {
    pub name: String,
    pub email: String,
    /// Absolute URL of `/setup/{token}`.
    pub setup_url: String,
    pub expires_at: DateTime<Utc>,
}

/// `GET /settings/users` (and the response to `POST /settings/users`).
#[derive(Template)]
#[template(path = "settings/users.html")]
pub struct UsersView {
    pub page: Page,
    pub users: Vec<UserRow>,
    /// Role codes the viewer may grant (an Admin does not see `owner`).
    pub role_options: Vec<String>,
    /// The organisation and each workspace; mark the chosen one `selected`.
    pub scope_options: Vec<ScopeOption>,
    pub form: NewUserForm,
    pub errors: FormErrors,
    pub created: Option<CreatedUser>,
}

/// One role grant of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: String,
    pub role: String,
    pub scope_kind: ScopeKind,
    pub scope_name: String,
    /// Name of who granted it; empty when the system did (first Owner, CLI).
    pub granted_by: String,
    pub granted_at: DateTime<Utc>,
    /// False when the viewer may not revoke it (an Admin and an Owner grant).
    pub revocable: bool,
}

/// `GET /settings/users/{id}`.
#[derive(Template)]
#[template(path = "settings/user_detail.html")]
pub struct UserDetailView {
    pub page: Page,
    pub user: UserRow,
    pub created_at: DateTime<Utc>,
    pub grants: Vec<GrantRow>,
    pub role_options: Vec<String>,
    pub scope_options: Vec<ScopeOption>,
    /// The role chosen in the grant form (kept after an error).
    pub form_role: String,
    pub errors: FormErrors,
    /// Whether the viewer may change this user (roles, disable, reset 2FA).
    pub can_manage: bool,
    /// The viewer is looking at themselves: no disabling oneself.
    pub is_self: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub user_id: String,
    pub name: String,
    pub email: String,
    /// Whether they take conversations now (a dot and a word).
    pub availability: super::Availability,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub members: Vec<TeamMember>,
    /// People who can be added (users not yet in the team).
    pub candidates: Vec<SelectOption>,
}

/// `GET /settings/teams`.
#[derive(Template)]
#[template(path = "settings/teams.html")]
pub struct TeamsView {
    pub page: Page,
    pub teams: Vec<TeamRow>,
    /// The name typed into "Create team", kept after an error.
    pub form_name: String,
    pub errors: FormErrors,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelStatus {
    #[default]
    Active,
    Paused,
    /// The network rejected our credentials or a call keeps failing.
    NeedsAttention,
    Disconnected,
}

impl ChannelStatus {
    pub fn code(self) -> &'static str {
        match self {
            ChannelStatus::Active => "active",
            ChannelStatus::Paused => "paused",
            ChannelStatus::NeedsAttention => "needs-attention",
            ChannelStatus::Disconnected => "disconnected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRow {
    pub id: String,
    /// Network code: `sandbox`, `mastodon`, `bluesky`, `linkedin`, …
    pub network: String,
    pub name: String,
    /// `@handle` or page name on the network; may be empty.
    pub handle: String,
    pub status: ChannelStatus,
    /// Posts never leave this server (a sandbox or a practice channel).
    pub simulated: bool,
    /// Why it needs reconnecting (what the network said); may be empty.
    pub status_reason: String,
    /// Connected another way than the network's fullest (a personal TikTok login): it gets a
    /// "Reconnect as a business account" link.
    pub upgradable: bool,
}

impl ChannelRow {
    pub fn is_sandbox(&self) -> bool {
        self.network == "sandbox"
    }
    /// A simulated channel on a real network's rules: "Practice — never leaves this server".
    pub fn is_practice(&self) -> bool {
        self.simulated && !self.is_sandbox()
    }
    /// A real channel whose connection must be renewed, on a network connected with OAuth: it
    /// gets a "Reconnect" link.
    pub fn can_reconnect(&self) -> bool {
        !self.simulated
            && matches!(
                self.status,
                ChannelStatus::NeedsAttention | ChannelStatus::Disconnected
            )
            && owlery_domain::org::Network::parse(&self.network)
                .is_some_and(crate::connect::is_oauth)
    }
}

/// The networks a practice channel can imitate, in the order the form offers them.
pub const PRACTICE_NETWORKS: [&str; 10] = [
    "x",
    "facebook_page",
    "instagram",
    "threads",
    "linkedin",
    "tiktok",
    "youtube",
    "pinterest",
    "bluesky",
    "mastodon",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub channels: Vec<ChannelRow>,
}

/// `GET /settings/workspaces`.
#[derive(Template)]
#[template(path = "settings/workspaces.html")]
pub struct WorkspacesView {
    pub page: Page,
    pub workspaces: Vec<WorkspaceRow>,
    pub workspace_form_name: String,
    pub workspace_errors: FormErrors,
    pub channel_form_name: String,
    /// The workspace chosen in "Create sandbox channel", kept after an error.
    pub channel_form_workspace_id: String,
    /// The network chosen there: `sandbox` or a practice network code.
    pub channel_form_network: String,
    pub channel_errors: FormErrors,
    /// May connect accounts with OAuth somewhere: the page links to the connect page.
    pub can_connect: bool,
}

impl WorkspacesView {
    fn practice_networks(&self) -> [&'static str; 10] {
        PRACTICE_NETWORKS
    }
}

impl Page {
    /// The display name of a network code ("Sandbox", "Mastodon"); unknown codes show as given.
    pub fn network_name(&self, code: &str) -> String {
        match code {
            "sandbox" => self.t("network-sandbox"),
            "mastodon" => "Mastodon".to_owned(),
            "bluesky" => "Bluesky".to_owned(),
            "linkedin" => "LinkedIn".to_owned(),
            "facebook" => "Facebook".to_owned(),
            "facebook_page" => self.t("network-facebook-page"),
            "pinterest" => "Pinterest".to_owned(),
            "instagram" => "Instagram".to_owned(),
            "threads" => "Threads".to_owned(),
            "x" => "X".to_owned(),
            "youtube" => "YouTube".to_owned(),
            "tiktok" => "TikTok".to_owned(),
            other => other.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TwoFactorPolicy {
    #[default]
    Off,
    Everyone,
    /// Required for the roles in `SecurityView::require_2fa_roles`.
    Roles,
}

impl TwoFactorPolicy {
    pub fn code(self) -> &'static str {
        match self {
            TwoFactorPolicy::Off => "off",
            TwoFactorPolicy::Everyone => "everyone",
            TwoFactorPolicy::Roles => "roles",
        }
    }
}

/// `GET /settings/security`.
#[derive(Template)]
#[template(path = "settings/security.html")]
pub struct SecurityView {
    pub page: Page,
    pub require_2fa: TwoFactorPolicy,
    /// Role codes for [`TwoFactorPolicy::Roles`].
    pub require_2fa_roles: Vec<String>,
    /// Roles whose inbox replies wait for approval (codes).
    pub reply_approval_roles: Vec<String>,
    pub session_lifetime_hours: i64,
    /// Sign-in lockout policy (display only): this many failures …
    pub lockout_max_attempts: i64,
    /// … within this many minutes …
    pub lockout_window_minutes: i64,
    /// … lock the account for this long.
    pub lockout_minutes: i64,
    pub errors: FormErrors,
}

impl SecurityView {
    fn role_required(&self, code: &str) -> bool {
        self.require_2fa_roles.iter().any(|r| r == code)
    }

    /// Whether replies by `code` wait for approval.
    pub fn reply_approval(&self, code: &str) -> bool {
        self.reply_approval_roles.iter().any(|r| r == code)
    }
    fn roles(&self) -> [&'static str; 8] {
        super::ROLE_CODES
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, page, render};
    use super::super::{FieldError, Section};
    use super::*;
    use crate::i18n::{Lang, tr};

    fn users() -> Vec<UserRow> {
        vec![
            UserRow {
                id: "u1".into(),
                name: "Maria Ivanova".into(),
                email: "maria@example.com".into(),
                roles: vec![RoleAt {
                    role: "owner".into(),
                    scope_kind: ScopeKind::Organisation,
                    scope_name: String::new(),
                }],
                two_factor: true,
                status: UserStatus::Active,
                last_sign_in: Some(at(26, 9, 12)),
            },
            UserRow {
                id: "u2".into(),
                name: "Georgi Petrov".into(),
                email: "georgi@example.com".into(),
                roles: vec![
                    RoleAt {
                        role: "publisher".into(),
                        scope_kind: ScopeKind::Workspace,
                        scope_name: "Brand EU".into(),
                    },
                    RoleAt {
                        role: "community_agent".into(),
                        scope_kind: ScopeKind::Workspace,
                        scope_name: "Support".into(),
                    },
                ],
                two_factor: false,
                status: UserStatus::Active,
                last_sign_in: Some(at(25, 16, 40)),
            },
            UserRow {
                id: "u3".into(),
                name: "Elena Dimitrova".into(),
                email: "elena@example.com".into(),
                roles: vec![RoleAt {
                    role: "analyst".into(),
                    scope_kind: ScopeKind::Organisation,
                    scope_name: String::new(),
                }],
                two_factor: false,
                status: UserStatus::Invited,
                last_sign_in: None,
            },
            UserRow {
                id: "u4".into(),
                name: "Ivan Kolev".into(),
                email: "ivan@example.com".into(),
                roles: vec![],
                two_factor: true,
                status: UserStatus::Disabled,
                last_sign_in: Some(at(2, 8, 0)),
            },
        ]
    }

    fn scopes() -> Vec<ScopeOption> {
        ScopeOption::select(
            vec![
                ScopeOption::organisation(),
                ScopeOption::workspace("w1", "Brand EU"),
                ScopeOption::workspace("w2", "Support"),
            ],
            "workspace:w1",
        )
    }

    fn roles() -> Vec<String> {
        super::super::ROLE_CODES
            .iter()
            .map(|r| (*r).to_owned())
            .collect()
    }

    #[test]
    fn organisation_renders() {
        for lang in Lang::ALL {
            let html = render(
                "settings_organisation",
                &OrganisationView {
                    page: page(lang, Section::Settings),
                    org_name: "Acme Corp".into(),
                    default_lang: Lang::Bg,
                    default_tz: "Europe/Sofia".into(),
                    created_at: Some(at(1, 10, 0)),
                    errors: FormErrors::new(),
                },
                lang,
            );
            assert!(html.contains("value=\"Acme Corp\""));
            assert!(html.contains("<option value=\"Europe/Sofia\" selected>"));
            assert!(html.contains("<option value=\"bg\" lang=\"bg\" selected>"));
            assert!(html.contains("href=\"/settings/organisation\" aria-current=\"page\""));
        }
    }

    #[test]
    fn users_list_and_create_form() {
        for lang in Lang::ALL {
            let html = render(
                "settings_users",
                &UsersView {
                    page: page(lang, Section::Settings),
                    users: users(),
                    role_options: roles(),
                    scope_options: scopes(),
                    form: NewUserForm {
                        email: "new@".into(),
                        name: String::new(),
                        role: "publisher".into(),
                    },
                    errors: vec![
                        FieldError::new("email", tr(lang, "email-error-invalid")),
                        FieldError::new("name", tr(lang, "name-error-required")),
                    ]
                    .into(),
                    created: None,
                },
                lang,
            );
            for field in ["email", "name", "role", "scope"] {
                assert!(html.contains(&format!("name=\"{field}\"")), "{field}");
            }
            assert!(html.contains("<option value=\"publisher\" selected>"));
            assert!(html.contains("<option value=\"workspace:w1\" selected>"));
            assert!(html.contains("href=\"/settings/users/u2\""));
            assert!(html.contains("aria-invalid=\"true\""));
            assert!(
                html.contains(" open"),
                "the create form is open when it has errors"
            );
            if lang == Lang::Bg {
                assert!(html.contains("Агент на общността") && html.contains("Деактивиран"));
            }

            let html = render(
                "settings_users_created",
                &UsersView {
                    page: page(lang, Section::Settings),
                    users: users(),
                    role_options: roles(),
                    scope_options: scopes(),
                    form: NewUserForm::default(),
                    errors: FormErrors::new(),
                    created: Some(CreatedUser {
                        name: "Elena Dimitrova".into(),
                        email: "elena@example.com".into(),
                        setup_url: "https://owlery.example.com/setup/abc123".into(),
                        expires_at: at(29, 12, 0),
                    }),
                },
                lang,
            );
            assert!(html.contains("value=\"https://owlery.example.com/setup/abc123\""));
            assert!(html.contains("readonly"));
        }
    }

    #[test]
    fn user_detail_renders_grants_and_actions() {
        for lang in Lang::ALL {
            let user = users().remove(1);
            let html = render(
                "settings_user_detail",
                &UserDetailView {
                    page: page(lang, Section::Settings),
                    user,
                    created_at: at(3, 9, 0),
                    grants: vec![
                        GrantRow {
                            id: "g1".into(),
                            role: "publisher".into(),
                            scope_kind: ScopeKind::Workspace,
                            scope_name: "Brand EU".into(),
                            granted_by: "Maria Ivanova".into(),
                            granted_at: at(3, 9, 5),
                            revocable: true,
                        },
                        GrantRow {
                            id: "g2".into(),
                            role: "community_agent".into(),
                            scope_kind: ScopeKind::Workspace,
                            scope_name: "Support".into(),
                            granted_by: String::new(),
                            granted_at: at(4, 11, 30),
                            revocable: false,
                        },
                    ],
                    role_options: roles(),
                    scope_options: scopes(),
                    form_role: String::new(),
                    errors: FormErrors::new(),
                    can_manage: true,
                    is_self: false,
                },
                lang,
            );
            assert!(html.contains("action=\"/settings/users/u2/grants/g1/revoke\""));
            assert!(!html.contains("/grants/g2/revoke"));
            assert!(html.contains("action=\"/settings/users/u2/grants\""));
            assert!(html.contains("action=\"/settings/users/u2/disable\""));
            assert!(
                !html.contains("action=\"/settings/users/u2/reset-2fa\""),
                "no 2FA to reset"
            );
            assert!(html.contains("Brand EU"));
        }
    }

    #[test]
    fn teams_render() {
        for lang in Lang::ALL {
            let html = render(
                "settings_teams",
                &TeamsView {
                    page: page(lang, Section::Settings),
                    teams: vec![
                        TeamRow {
                            id: "t1".into(),
                            name: "Social EU".into(),
                            members: vec![
                                TeamMember {
                                    user_id: "u1".into(),
                                    name: "Maria Ivanova".into(),
                                    email: "maria@example.com".into(),
                                    availability: crate::ui::views::Availability::new(
                                        lang,
                                        owlery_domain::inbox::assignment::Presence::Away,
                                        true,
                                    ),
                                },
                                TeamMember {
                                    user_id: "u2".into(),
                                    name: "Georgi Petrov".into(),
                                    email: "georgi@example.com".into(),
                                    availability: crate::ui::views::Availability::new(
                                        lang,
                                        owlery_domain::inbox::assignment::Presence::Available,
                                        false,
                                    ),
                                },
                            ],
                            candidates: vec![SelectOption::new("u3", "Elena Dimitrova", false)],
                        },
                        TeamRow {
                            id: "t2".into(),
                            name: "Night shift".into(),
                            members: vec![],
                            candidates: vec![],
                        },
                    ],
                    form_name: String::new(),
                    errors: FormErrors::new(),
                },
                lang,
            );
            assert!(html.contains("action=\"/settings/teams\""));
            assert!(html.contains("action=\"/settings/teams/t1/members\""));
            assert!(html.contains("action=\"/settings/teams/t1/members/u2/remove\""));
            // Availability in words beside the dot, never the colour alone.
            assert!(html.contains(&format!(
                "presence-dot-away\" aria-hidden=\"true\"></span>{}</span>",
                tr(lang, "availability-away-auto")
            )));
            assert!(html.contains("name=\"user_id\""));
            let html = render(
                "settings_teams_empty",
                &TeamsView {
                    page: page(lang, Section::Settings),
                    teams: vec![],
                    form_name: String::new(),
                    errors: FormErrors::new(),
                },
                lang,
            );
            assert!(html.contains(&tr(lang, "teams-empty")));
        }
    }

    #[test]
    fn workspaces_render_with_sandbox_label() {
        for lang in Lang::ALL {
            let html = render(
                "settings_workspaces",
                &WorkspacesView {
                    page: page(lang, Section::Settings),
                    workspaces: vec![
                        WorkspaceRow {
                            id: "w1".into(),
                            name: "Brand EU".into(),
                            channels: vec![
                                ChannelRow {
                                    id: "c1".into(),
                                    network: "sandbox".into(),
                                    name: "Acme Sandbox".into(),
                                    handle: "@acme".into(),
                                    status: ChannelStatus::Active,
                                    simulated: true,
                                    status_reason: String::new(),
                                    upgradable: false,
                                },
                                ChannelRow {
                                    id: "c3".into(),
                                    network: "instagram".into(),
                                    name: "Acme practice".into(),
                                    handle: "@acme_practice".into(),
                                    status: ChannelStatus::Active,
                                    simulated: true,
                                    status_reason: String::new(),
                                    upgradable: false,
                                },
                                ChannelRow {
                                    id: "c2".into(),
                                    network: "mastodon".into(),
                                    name: "Acme on Mastodon".into(),
                                    handle: "@acme@mastodon.social".into(),
                                    status: ChannelStatus::NeedsAttention,
                                    simulated: false,
                                    status_reason: "The server revoked the token.".into(),
                                    upgradable: false,
                                },
                            ],
                        },
                        WorkspaceRow {
                            id: "w2".into(),
                            name: "Support".into(),
                            channels: vec![],
                        },
                    ],
                    workspace_form_name: String::new(),
                    workspace_errors: FormErrors::new(),
                    channel_form_name: "Test".into(),
                    channel_form_workspace_id: "w2".into(),
                    channel_form_network: "instagram".into(),
                    channel_errors: FormErrors::new(),
                    can_connect: true,
                },
                lang,
            );
            assert!(html.contains(&tr(lang, "network-sandbox-note")));
            assert_eq!(html.matches(&tr(lang, "network-practice-note")).count(), 1);
            assert!(html.contains("<option value=\"instagram\" selected>"));
            assert!(html.contains("name=\"network\""));
            assert!(html.contains("name=\"workspace_id\""));
            assert!(html.contains("<option value=\"w2\" selected>"));
            assert!(html.contains("Mastodon"));
            assert!(html.contains(&tr(lang, "channel-needs-reconnect")));
            assert!(html.contains("The server revoked the token."));
        }
    }

    #[test]
    fn security_renders_policy() {
        for lang in Lang::ALL {
            let html = render(
                "settings_security",
                &SecurityView {
                    page: page(lang, Section::Settings),
                    require_2fa: TwoFactorPolicy::Roles,
                    require_2fa_roles: vec!["owner".into(), "admin".into()],
                    reply_approval_roles: vec![],
                    session_lifetime_hours: 12,
                    lockout_max_attempts: 5,
                    lockout_window_minutes: 15,
                    lockout_minutes: 30,
                    errors: FormErrors::new(),
                },
                lang,
            );
            assert!(html.contains("name=\"require_2fa_roles\" value=\"owner\" checked"));
            assert!(!html.contains("name=\"require_2fa_roles\" value=\"analyst\" checked"));
            assert!(html.contains("name=\"require_2fa\" value=\"roles\" checked"));
            assert!(html.contains("name=\"session_lifetime_hours\""));
            assert!(html.contains("<legend"));
        }
    }
}
