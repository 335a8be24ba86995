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
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            require_2fa_roles: BTreeSet::new(),
            session_idle_hours: 12,
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
