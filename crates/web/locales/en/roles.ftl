# Roles and permissions (API token scopes). Codes: see ROLE_CODES and PERMISSION_CODES in ui/views.

role-owner = Owner
role-owner-desc = Everything, including making other Owners and changing security policy.
role-admin = Admin
role-admin-desc = Manages users, teams, workspaces, channels and settings; cannot make Owners.
role-publisher = Publisher
role-publisher-desc = Writes, schedules and publishes posts; reads the inbox and analytics.
role-contributor = Contributor
role-contributor-desc = Writes drafts for others to approve and publish.
role-approver = Approver
role-approver-desc = Approves or rejects posts waiting for approval.
role-community-agent = Community agent
role-community-agent-desc = Answers, assigns and closes conversations in the inbox.
role-analyst = Analyst
role-analyst-desc = Reads analytics, reports and the inbox; changes nothing.
role-auditor = Auditor
role-auditor-desc = Reads the audit log and who has which role; changes nothing.
roles-help-summary = What can each role do?

perm-org-read = See the organisation
perm-org-manage = Manage organisation settings
perm-users-read = See users and roles
perm-users-manage = Manage users
perm-roles-grant = Grant and revoke roles
perm-teams-manage = Manage teams
perm-workspaces-manage = Manage workspaces
perm-channels-read = See channels
perm-channels-manage = Manage channels
perm-posts-draft = Write drafts
perm-posts-publish = Schedule and publish posts
perm-posts-approve = Approve posts
perm-inbox-read = Read the inbox
perm-inbox-reply = Reply in the inbox
perm-analytics-read = Read analytics
perm-audit-read = Read the audit log
perm-crisis-manage = Run incidents
perm-oncall-manage = Manage on-call schedules
