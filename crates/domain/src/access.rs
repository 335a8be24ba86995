//! The one permission check used by every route, page and API call.
//!
//! A person holds [`Grant`]s (a role at a scope). An API token may narrow what its owner holds to
//! a set of permissions. [`Access::can`] answers "may this principal do P to this target?".

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{ChannelId, Permission, Role, UserId, WorkspaceId};

/// Where a role is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Organisation,
    Workspace(WorkspaceId),
    Channel(ChannelId),
}

/// What an action is done to. A channel target names its workspace so that a workspace-wide grant
/// covers the workspace's channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Organisation,
    Workspace(WorkspaceId),
    Channel {
        workspace: WorkspaceId,
        channel: ChannelId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

impl Grant {
    fn covers(&self, target: Target) -> bool {
        match (self.scope, target) {
            (Scope::Organisation, _) => true,
            (Scope::Workspace(w), Target::Workspace(t)) => w == t,
            (Scope::Workspace(w), Target::Channel { workspace, .. }) => w == workspace,
            (Scope::Channel(c), Target::Channel { channel, .. }) => c == channel,
            _ => false,
        }
    }
}

/// Everything one principal may do: a user's grants, optionally narrowed by a token's scopes.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub user_id: Option<UserId>,
    grants: Vec<Grant>,
    /// `None`: the full rights of the grants (a browser session, an unscoped token).
    token_scopes: Option<BTreeSet<Permission>>,
}

impl Access {
    pub fn new(user_id: UserId, grants: Vec<Grant>) -> Self {
        Self {
            user_id: Some(user_id),
            grants,
            token_scopes: None,
        }
    }

    /// Narrow to the permissions a token was created with. Narrowing never widens.
    pub fn with_token_scopes(mut self, scopes: impl IntoIterator<Item = Permission>) -> Self {
        let new: BTreeSet<Permission> = scopes.into_iter().collect();
        self.token_scopes = Some(match self.token_scopes.take() {
            Some(old) => old.intersection(&new).copied().collect(),
            None => new,
        });
        self
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn can(&self, permission: Permission, target: Target) -> bool {
        if let Some(scopes) = &self.token_scopes
            && !scopes.contains(&permission)
        {
            return false;
        }
        self.grants.iter().any(|g| {
            g.role.has(permission)
                && if permission.is_org_level() {
                    g.scope == Scope::Organisation
                } else {
                    g.covers(target)
                }
        })
    }

    /// Whether the permission is held anywhere (some workspace or channel): used to show a
    /// section in the navigation, while each item inside is still checked with [`Access::can`].
    pub fn can_anywhere(&self, permission: Permission) -> bool {
        if let Some(scopes) = &self.token_scopes
            && !scopes.contains(&permission)
        {
            return false;
        }
        self.grants.iter().any(|g| {
            g.role.has(permission) && (!permission.is_org_level() || g.scope == Scope::Organisation)
        })
    }

    pub fn is_owner(&self) -> bool {
        self.token_scopes.is_none()
            && self
                .grants
                .iter()
                .any(|g| g.role == Role::Owner && g.scope == Scope::Organisation)
    }

    /// The workspaces this principal sees everything of, or `None` for "all of them".
    pub fn visible_workspaces(&self) -> Option<BTreeSet<WorkspaceId>> {
        if self.grants.iter().any(|g| g.scope == Scope::Organisation) {
            return None;
        }
        Some(
            self.grants
                .iter()
                .filter_map(|g| match g.scope {
                    Scope::Workspace(w) => Some(w),
                    _ => None,
                })
                .collect(),
        )
    }

    pub fn roles(&self) -> BTreeSet<Role> {
        self.grants.iter().map(|g| g.role).collect()
    }

    /// The roles held where `target` is: organisation grants cover everything, workspace grants
    /// their workspace and its channels, channel grants their channel. Sorted, without repeats.
    /// Token scopes do not narrow roles; they narrow permissions, which [`Access::can`] checks.
    pub fn roles_at(&self, target: Target) -> Vec<Role> {
        let roles: BTreeSet<Role> = self
            .grants
            .iter()
            .filter(|g| g.covers(target))
            .map(|g| g.role)
            .collect();
        roles.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> (WorkspaceId, WorkspaceId, ChannelId) {
        (WorkspaceId::new(), WorkspaceId::new(), ChannelId::new())
    }

    #[test]
    fn workspace_grant_covers_its_channels_only() {
        let (a, b, c) = ws();
        let access = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Publisher,
                scope: Scope::Workspace(a),
            }],
        );
        assert!(access.can(Permission::PostsPublish, Target::Workspace(a)));
        assert!(access.can(
            Permission::PostsPublish,
            Target::Channel {
                workspace: a,
                channel: c
            }
        ));
        assert!(!access.can(Permission::PostsPublish, Target::Workspace(b)));
        assert!(!access.can(Permission::PostsPublish, Target::Organisation));
    }

    #[test]
    fn org_level_permissions_need_org_grants() {
        let (a, _, _) = ws();
        let ws_admin = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Admin,
                scope: Scope::Workspace(a),
            }],
        );
        assert!(ws_admin.can(Permission::ChannelsManage, Target::Workspace(a)));
        assert!(!ws_admin.can(Permission::UsersManage, Target::Organisation));
        assert!(!ws_admin.can(Permission::UsersManage, Target::Workspace(a)));
        assert!(!ws_admin.can_anywhere(Permission::AuditRead));
        let org_admin = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Admin,
                scope: Scope::Organisation,
            }],
        );
        assert!(org_admin.can(Permission::UsersManage, Target::Organisation));
    }

    #[test]
    fn channel_grant_does_not_cover_the_workspace() {
        let (a, _, c) = ws();
        let other = ChannelId::new();
        let agent = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::CommunityAgent,
                scope: Scope::Channel(c),
            }],
        );
        assert!(agent.can(
            Permission::InboxReply,
            Target::Channel {
                workspace: a,
                channel: c
            }
        ));
        assert!(!agent.can(
            Permission::InboxReply,
            Target::Channel {
                workspace: a,
                channel: other
            }
        ));
        assert!(!agent.can(Permission::InboxReply, Target::Workspace(a)));
    }

    #[test]
    fn token_scopes_only_narrow() {
        let owner = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Owner,
                scope: Scope::Organisation,
            }],
        );
        assert!(owner.is_owner());
        let scoped = owner.with_token_scopes([Permission::UsersRead]);
        assert!(scoped.can(Permission::UsersRead, Target::Organisation));
        assert!(!scoped.can(Permission::UsersManage, Target::Organisation));
        assert!(!scoped.is_owner(), "a scoped token is never an owner");

        let analyst = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Analyst,
                scope: Scope::Organisation,
            }],
        )
        .with_token_scopes([Permission::UsersManage, Permission::AnalyticsRead]);
        assert!(!analyst.can(Permission::UsersManage, Target::Organisation));
        assert!(analyst.can(Permission::AnalyticsRead, Target::Organisation));
    }

    #[test]
    fn roles_at_a_target() {
        let (a, b, c) = ws();
        let access = Access::new(
            UserId::new(),
            vec![
                Grant {
                    role: Role::Analyst,
                    scope: Scope::Organisation,
                },
                Grant {
                    role: Role::Approver,
                    scope: Scope::Workspace(a),
                },
                Grant {
                    role: Role::Publisher,
                    scope: Scope::Channel(c),
                },
            ],
        );
        let channel = Target::Channel {
            workspace: a,
            channel: c,
        };
        assert_eq!(
            access.roles_at(channel),
            vec![Role::Publisher, Role::Approver, Role::Analyst]
        );
        assert_eq!(
            access.roles_at(Target::Workspace(a)),
            vec![Role::Approver, Role::Analyst]
        );
        assert_eq!(access.roles_at(Target::Workspace(b)), vec![Role::Analyst]);
    }

    #[test]
    fn only_owners_make_owners() {
        let admin = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Admin,
                scope: Scope::Organisation,
            }],
        );
        assert!(!Role::Owner.grantable_by(&admin));
        assert!(Role::Publisher.grantable_by(&admin));
        let owner = Access::new(
            UserId::new(),
            vec![Grant {
                role: Role::Owner,
                scope: Scope::Organisation,
            }],
        );
        assert!(Role::Owner.grantable_by(&owner));
    }
}
