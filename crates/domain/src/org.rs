//! The organisation, its workspaces and channels, and the organisation's security policy.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{Access, InvalidInput, Role};

/// The networks a channel can be on; the one place new networks are added. Each code is also the
/// network's code in the spec file (`specs/networks.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    X,
    FacebookPage,
    Instagram,
    Threads,
    Linkedin,
    Tiktok,
    Youtube,
    Pinterest,
    Bluesky,
    Mastodon,
    /// Built in, never leaves the machine: for the demo, training and crisis drills.
    Sandbox,
}

impl Network {
    pub const ALL: [Network; 11] = [
        Network::X,
        Network::FacebookPage,
        Network::Instagram,
        Network::Threads,
        Network::Linkedin,
        Network::Tiktok,
        Network::Youtube,
        Network::Pinterest,
        Network::Bluesky,
        Network::Mastodon,
        Network::Sandbox,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Network::X => "x",
            Network::FacebookPage => "facebook_page",
            Network::Instagram => "instagram",
            Network::Threads => "threads",
            Network::Linkedin => "linkedin",
            Network::Tiktok => "tiktok",
            Network::Youtube => "youtube",
            Network::Pinterest => "pinterest",
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::Sandbox => "sandbox",
        }
    }

    pub fn parse(s: &str) -> Option<Network> {
        let s = s.trim();
        Network::ALL.into_iter().find(|n| n.code() == s)
    }

    /// The network's own name, as people write it (the same in every language).
    pub fn label(self) -> &'static str {
        match self {
            Network::X => "X",
            Network::FacebookPage => "Facebook",
            Network::Instagram => "Instagram",
            Network::Threads => "Threads",
            Network::Linkedin => "LinkedIn",
            Network::Tiktok => "TikTok",
            Network::Youtube => "YouTube",
            Network::Pinterest => "Pinterest",
            Network::Bluesky => "Bluesky",
            Network::Mastodon => "Mastodon",
            Network::Sandbox => "the sandbox",
        }
    }

    /// The public page of the account with this handle on the network, where a person can check
    /// what was posted; `None` for the sandbox (nothing leaves the machine) or a handle that makes
    /// no address (a Mastodon handle without its server).
    pub fn profile_url(self, handle: &str) -> Option<String> {
        let h = handle.trim().trim_start_matches('@');
        if h.is_empty() {
            return None;
        }
        let seg = |s: &str| -> String {
            url::form_urlencoded::byte_serialize(s.as_bytes())
                .collect::<String>()
                .replace("%40", "@")
        };
        let url = match self {
            Network::X => format!("https://x.com/{}", seg(h)),
            Network::FacebookPage => format!("https://www.facebook.com/{}", seg(h)),
            Network::Instagram => format!("https://www.instagram.com/{}/", seg(h)),
            Network::Threads => format!("https://www.threads.com/@{}", seg(h)),
            Network::Linkedin => format!("https://www.linkedin.com/company/{}/", seg(h)),
            Network::Tiktok => format!("https://www.tiktok.com/@{}", seg(h)),
            Network::Youtube if h.starts_with("UC") && h.len() == 24 => {
                format!("https://www.youtube.com/channel/{}", seg(h))
            }
            Network::Youtube => format!("https://www.youtube.com/@{}", seg(h)),
            Network::Pinterest => format!("https://www.pinterest.com/{}/", seg(h)),
            Network::Bluesky => format!("https://bsky.app/profile/{}", seg(h)),
            Network::Mastodon => {
                let (name, server) = h.rsplit_once('@')?;
                let server = server.trim();
                if name.is_empty()
                    || server.is_empty()
                    || !server
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':')
                {
                    return None;
                }
                format!("https://{server}/@{}", seg(name))
            }
            Network::Sandbox => return None,
        };
        Some(url)
    }
}

/// How a channel's account was connected: which of its network's sign-in flows (and so which of
/// its APIs and which of the organisation's apps there) its credentials belong to. Most networks
/// have one; TikTok has two that give tokens for different APIs: Login Kit (a personal grant for
/// the Content Posting and Display APIs) and the TikTok API for Business's account authorization
/// (a business account's grant, the only one that can read and answer comments). Kept with the
/// channel's credentials, so what a token can do is decided by this value, never guessed from an
/// address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// The network's usual connection (OAuth with the network's app, or an app password).
    #[default]
    Standard,
    /// A TikTok business account, authorized through the TikTok API for Business.
    TiktokBusiness,
}

impl AuthKind {
    pub const ALL: [AuthKind; 2] = [AuthKind::Standard, AuthKind::TiktokBusiness];

    /// A stable code (`standard`, `tiktok_business`): what the database keeps.
    pub fn code(self) -> &'static str {
        match self {
            AuthKind::Standard => "standard",
            AuthKind::TiktokBusiness => "tiktok_business",
        }
    }

    pub fn parse(s: &str) -> Option<AuthKind> {
        let s = s.trim();
        AuthKind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Whether this kind of connection exists on `network`.
    pub fn fits(self, network: Network) -> bool {
        match self {
            AuthKind::Standard => true,
            AuthKind::TiktokBusiness => network == Network::Tiktok,
        }
    }

    /// Whether a channel connected this way may become connected `to` that way, keeping the
    /// channel (its posts, history, inbox): only towards the kind that does more with the same
    /// account — a personal TikTok login (publishing only) → the account as a TikTok business
    /// account (its comments read and answered). Never back: that would silently stop a channel
    /// from answering comments, so the connect flow refuses it.
    pub fn upgrades_to(self, to: AuthKind) -> bool {
        matches!((self, to), (AuthKind::Standard, AuthKind::TiktokBusiness))
    }

    /// The kinds of connection `network` offers, the usual one first.
    pub fn of(network: Network) -> Vec<AuthKind> {
        AuthKind::ALL
            .into_iter()
            .filter(|k| k.fits(network))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Connected,
    /// The network refused our credentials; someone has to connect it again.
    NeedsReconnect,
    Disconnected,
}

impl ChannelStatus {
    pub fn code(self) -> &'static str {
        match self {
            ChannelStatus::Connected => "connected",
            ChannelStatus::NeedsReconnect => "needs_reconnect",
            ChannelStatus::Disconnected => "disconnected",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelStatus> {
        match s {
            "connected" => Some(ChannelStatus::Connected),
            "needs_reconnect" => Some(ChannelStatus::NeedsReconnect),
            "disconnected" => Some(ChannelStatus::Disconnected),
            _ => None,
        }
    }
}

/// A channel's handle on its network (`@owlery_news`): 1–100 visible characters.
pub fn parse_handle(raw: &str) -> Result<String, InvalidInput> {
    let s = raw.trim().trim_start_matches('@');
    if s.is_empty() {
        return Err(InvalidInput::new(
            "handle",
            "required",
            "Enter the account's handle.",
        ));
    }
    if s.chars().count() > 100 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidInput::new(
            "handle",
            "invalid_handle",
            "A handle has no spaces and is 100 characters at most.",
        ));
    }
    Ok(s.to_owned())
}

/// The organisation's security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    /// People holding any of these roles (anywhere) must use two-factor sign-in.
    pub require_2fa_roles: BTreeSet<Role>,
    /// How long a browser session lasts without activity, in hours.
    pub session_idle_hours: u32,
    /// Inbox replies by people holding any of these roles wait for someone with `inbox:approve`
    /// (unless they hold it themselves) before they are sent.
    #[serde(default)]
    pub reply_approval_roles: BTreeSet<Role>,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            require_2fa_roles: BTreeSet::new(),
            session_idle_hours: 12,
            reply_approval_roles: BTreeSet::new(),
        }
    }
}

impl SecurityPolicy {
    pub fn requires_2fa(&self, access: &Access) -> bool {
        access
            .roles()
            .iter()
            .any(|r| self.require_2fa_roles.contains(r))
    }

    /// Whether an inbox reply by `access` on `target` (a channel) waits for approval: they hold a
    /// role the policy names, and cannot approve there themselves.
    pub fn reply_needs_approval(&self, access: &Access, target: crate::Target) -> bool {
        access
            .roles_at(target)
            .iter()
            .any(|r| self.reply_approval_roles.contains(r))
            && !access.can(crate::Permission::InboxApprove, target)
    }

    pub fn requires_2fa_for_everyone(&self) -> bool {
        Role::ALL.iter().all(|r| self.require_2fa_roles.contains(r))
    }

    pub fn validate(&self) -> Result<(), InvalidInput> {
        if !(1..=24 * 30).contains(&self.session_idle_hours) {
            return Err(InvalidInput::new(
                "session_idle_hours",
                "out_of_range",
                "Session lifetime must be between 1 hour and 30 days (720 hours).",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Grant, Scope, UserId};

    #[test]
    fn auth_kinds_round_trip_and_fit_their_networks() {
        for k in AuthKind::ALL {
            assert_eq!(AuthKind::parse(k.code()), Some(k));
        }
        assert_eq!(AuthKind::parse("business"), None);
        assert_eq!(AuthKind::default(), AuthKind::Standard);
        assert_eq!(
            AuthKind::of(Network::Tiktok),
            vec![AuthKind::Standard, AuthKind::TiktokBusiness]
        );
        assert_eq!(AuthKind::of(Network::X), vec![AuthKind::Standard]);
        assert!(!AuthKind::TiktokBusiness.fits(Network::Instagram));
        assert!(AuthKind::Standard.upgrades_to(AuthKind::TiktokBusiness));
        assert!(!AuthKind::TiktokBusiness.upgrades_to(AuthKind::Standard));
        assert!(!AuthKind::Standard.upgrades_to(AuthKind::Standard));
        assert!(!AuthKind::TiktokBusiness.upgrades_to(AuthKind::TiktokBusiness));
    }

    #[test]
    fn profiles_are_where_people_check_a_post() {
        assert_eq!(
            Network::X.profile_url("@owlery").as_deref(),
            Some("https://x.com/owlery")
        );
        assert_eq!(
            Network::Bluesky.profile_url("owl.bsky.social").as_deref(),
            Some("https://bsky.app/profile/owl.bsky.social")
        );
        assert_eq!(
            Network::Mastodon
                .profile_url("owl@mastodon.social")
                .as_deref(),
            Some("https://mastodon.social/@owl")
        );
        assert_eq!(Network::Mastodon.profile_url("owl"), None);
        assert_eq!(Network::Mastodon.profile_url("owl@evil/x"), None);
        assert_eq!(Network::Sandbox.profile_url("owl"), None);
        assert_eq!(Network::X.profile_url("  "), None);
        assert_eq!(
            Network::Instagram.profile_url("a/b?c").as_deref(),
            Some("https://www.instagram.com/a%2Fb%3Fc/")
        );
    }

    #[test]
    fn two_factor_requirement_follows_roles() {
        let policy = SecurityPolicy {
            require_2fa_roles: [Role::Owner, Role::Admin].into_iter().collect(),
            ..Default::default()
        };
        let admin = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Admin,
                scope: Scope::Organisation,
            }],
        );
        let agent = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::CommunityAgent,
                scope: Scope::Organisation,
            }],
        );
        assert!(policy.requires_2fa(&admin));
        assert!(!policy.requires_2fa(&agent));
        assert!(!policy.requires_2fa_for_everyone());
    }

    #[test]
    fn handles() {
        assert_eq!(parse_handle(" @owlery ").unwrap(), "owlery");
        assert!(parse_handle("a b").is_err());
        assert!(parse_handle("@").is_err());
    }
}
