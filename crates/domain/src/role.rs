//! Built-in roles and the permissions each one carries.
//!
//! The matrix lives in one function, [`Role::permissions`], so that what a role may do is read in
//! one place and tested as a table. Later issues add permissions; roles keep their meaning.

use serde::{Deserialize, Serialize};

/// Something a person (or an API token) may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See the organisation, its workspaces and the sections of the app.
    OrgRead,
    /// Change organisation settings and security policy.
    OrgManage,
    /// See who is in the organisation and their roles.
    UsersRead,
    /// Create, disable and re-enable users; reset their second factor.
    UsersManage,
    /// Grant and revoke roles (an Admin can never grant Owner).
    RolesGrant,
    /// Create teams and change their members.
    TeamsManage,
    /// Create, rename and archive workspaces.
    WorkspacesManage,
    /// See channels and their status.
    ChannelsRead,
    /// Connect, rename and disconnect channels.
    ChannelsManage,
    /// Write drafts.
    PostsDraft,
    /// Schedule and publish posts.
    PostsPublish,
    /// Approve or reject posts waiting for approval.
    PostsApprove,
    /// Read the inbox.
    InboxRead,
    /// Reply, assign and close conversations.
    InboxReply,
    /// Approve or reject inbox replies written by people whose replies need approval.
    InboxApprove,
    /// Read analytics and reports.
    AnalyticsRead,
    /// Read the audit log.
    AuditRead,
    /// Declare and run incidents; pause publishing.
    CrisisManage,
    /// Change on-call schedules.
    OnCallManage,
}

impl Permission {
    pub const ALL: [Permission; 19] = [
        Permission::OrgRead,
        Permission::OrgManage,
        Permission::UsersRead,
        Permission::UsersManage,
        Permission::RolesGrant,
        Permission::TeamsManage,
        Permission::WorkspacesManage,
        Permission::ChannelsRead,
        Permission::ChannelsManage,
        Permission::PostsDraft,
        Permission::PostsPublish,
        Permission::PostsApprove,
        Permission::InboxRead,
        Permission::InboxReply,
        Permission::InboxApprove,
        Permission::AnalyticsRead,
        Permission::AuditRead,
        Permission::CrisisManage,
        Permission::OnCallManage,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Permission::OrgRead => "org:read",
            Permission::OrgManage => "org:manage",
            Permission::UsersRead => "users:read",
            Permission::UsersManage => "users:manage",
            Permission::RolesGrant => "roles:grant",
            Permission::TeamsManage => "teams:manage",
            Permission::WorkspacesManage => "workspaces:manage",
            Permission::ChannelsRead => "channels:read",
            Permission::ChannelsManage => "channels:manage",
            Permission::PostsDraft => "posts:draft",
            Permission::PostsPublish => "posts:publish",
            Permission::PostsApprove => "posts:approve",
            Permission::InboxRead => "inbox:read",
            Permission::InboxReply => "inbox:reply",
            Permission::InboxApprove => "inbox:approve",
            Permission::AnalyticsRead => "analytics:read",
            Permission::AuditRead => "audit:read",
            Permission::CrisisManage => "crisis:manage",
            Permission::OnCallManage => "oncall:manage",
        }
    }

    pub fn parse(code: &str) -> Option<Permission> {
        Permission::ALL
            .into_iter()
            .find(|p| p.code() == code.trim())
    }

    /// Whether this permission is about the organisation as a whole. Such permissions only come
    /// from organisation-wide grants: an Admin of one workspace does not manage the company's users.
    pub fn is_org_level(self) -> bool {
        matches!(
            self,
            Permission::OrgManage
                | Permission::UsersRead
                | Permission::UsersManage
                | Permission::RolesGrant
                | Permission::TeamsManage
                | Permission::AuditRead
        )
    }
}

/// The built-in roles. A role is granted at a [`crate::Scope`]: the whole organisation, one
/// workspace or one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Publisher,
    Contributor,
    Approver,
    CommunityAgent,
    Analyst,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Owner,
        Role::Admin,
        Role::Publisher,
        Role::Contributor,
        Role::Approver,
        Role::CommunityAgent,
        Role::Analyst,
        Role::Auditor,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Publisher => "publisher",
            Role::Contributor => "contributor",
            Role::Approver => "approver",
            Role::CommunityAgent => "community_agent",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        let code = code.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The permission matrix.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Owner => &Permission::ALL,
            Role::Admin => &Permission::ALL,
            Role::Publisher => &[
                OrgRead,
                ChannelsRead,
                PostsDraft,
                PostsPublish,
                InboxRead,
                AnalyticsRead,
            ],
            Role::Contributor => &[OrgRead, ChannelsRead, PostsDraft],
            Role::Approver => &[OrgRead, ChannelsRead, PostsApprove, AnalyticsRead],
            Role::CommunityAgent => &[OrgRead, ChannelsRead, InboxRead, InboxReply],
            Role::Analyst => &[OrgRead, ChannelsRead, InboxRead, AnalyticsRead],
            Role::Auditor => &[OrgRead, UsersRead, ChannelsRead, AuditRead],
        }
    }

    pub fn has(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// Who may grant this role. Only an Owner makes another Owner; anyone who may grant roles may
    /// grant the others.
    pub fn grantable_by(self, granter: &crate::Access) -> bool {
        match self {
            Role::Owner => granter.is_owner(),
            _ => granter.can(Permission::RolesGrant, crate::Target::Organisation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.code()), Some(p));
        }
        assert_eq!(Role::parse("Community agent"), Some(Role::CommunityAgent));
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn contributor_drafts_but_never_publishes() {
        assert!(Role::Contributor.has(Permission::PostsDraft));
        assert!(!Role::Contributor.has(Permission::PostsPublish));
        assert!(!Role::Analyst.has(Permission::InboxReply));
        assert!(!Role::Auditor.has(Permission::UsersManage));
        assert!(Role::Auditor.has(Permission::AuditRead));
    }
}
