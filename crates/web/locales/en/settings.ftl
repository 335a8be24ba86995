# Settings: organisation, workspaces and channels, users, teams, security.

settings-nav-label = Settings
settings-nav-organisation = Organisation
settings-nav-workspaces = Workspaces & channels
settings-nav-users = Users
settings-nav-teams = Teams
settings-nav-security = Security
settings-nav-tokens = API tokens
settings-nav-audit = Audit log

## Organisation
org-title = Organisation
org-lead = The name and defaults everyone in the organisation starts with.
org-field-name = Organisation name
org-field-language = Default language
org-field-language-hint = For new users and for emails to people who have not chosen one.
org-field-timezone = Default time zone
org-field-timezone-hint = New users start with it; schedules and reports use it unless set otherwise.
org-created = Organisation created on { $date }.

## Users
users-title = Users
users-create = Create user
users-create-heading = Create a user
users-create-hint = They get a one-time link to choose their password. You can add more roles afterwards.
users-create-submit = Create user
users-created-heading = { $name } can now set up their account
users-created-body = Give this link to { $email } yourself, through a channel you trust. It works once and expires on { $date }.
users-created-link = One-time setup link
users-empty = No users yet.
users-no-roles = No roles
user-status-active = Active
user-status-invited = Invited
user-status-disabled = Disabled

## User detail
user-roles-heading = Roles
user-roles-empty = No roles. This person can sign in but sees nothing until you grant a role.
user-grant-heading = Grant a role
user-grant-submit = Grant role
user-revoke-confirm = Revoke { $role } from { $name }?
user-account-heading = Account
user-created-at = Created
user-danger-heading = Access
user-reset-2fa = Reset two-factor
user-reset-2fa-desc = For a lost phone: they will set up two-factor authentication again at their next sign-in.
user-reset-2fa-confirm = Reset two-factor authentication for { $name }?
user-disable = Disable user
user-disable-desc = Signs them out everywhere and stops their API tokens. Their history stays.
user-disable-confirm = Disable { $name }? They will be signed out everywhere.
user-enable = Enable user
user-enable-desc = Lets them sign in again with their existing password and roles.

## Teams
teams-title = Teams
teams-lead = Groups of people for assigning conversations, approvals and on-call duty.
teams-create-heading = Create a team
teams-field-name = Team name
teams-create-submit = Create team
teams-empty = No teams yet. Create one above, then add members.
teams-no-members = No members yet.
teams-members-of = Members of { $team }
teams-add-member = Add a member

## Workspaces and channels
ws-title = Workspaces & channels
ws-lead = A workspace groups the channels of one brand, market or team; roles can be granted per workspace.
ws-empty = No workspaces yet. Create the first one below.
ws-no-channels = No channels in this workspace yet.
ws-channels-of = Channels of { $workspace }
ws-create-heading = Create a workspace
ws-create-hint = For example a brand, a country or a department.
ws-field-name = Workspace name
ws-create-submit = Create workspace
ch-create-heading = Create a sandbox or practice channel
ch-create-hint = Use it to try publishing, the inbox and crisis drills safely: its posts never leave this server.
ch-create-needs-workspace = Create a workspace first.
ch-field-workspace = Workspace
ch-field-name = Channel name
ch-create-submit = Create channel
channel-status-active = Active
channel-status-paused = Paused
channel-status-needs-attention = Needs attention
channel-status-disconnected = Disconnected

## Security
security-title = Security
security-lead = Sign-in rules for everyone in the organisation.
security-2fa-legend = Require two-factor authentication
security-2fa-hint = People who must use it and have not set it up yet are asked to do so right after signing in.
security-2fa-off = Not required
security-2fa-everyone = For everyone
security-2fa-roles = For people with these roles
security-2fa-roles-legend = Roles that require two-factor authentication
security-sessions-legend = Sessions
security-session-lifetime = Session lifetime (hours without activity)
security-session-lifetime-hint = After this many hours without activity, people sign in again. From 1 to 720 hours (30 days).
security-lockout-heading = Sign-in lockout
security-lockout-body = After { $attempts } failed sign-in attempts within { $window } minutes, the account is locked.
security-lockout-duration = The lock lifts by itself after { $minutes } minutes.
security-lockout-hint = Set by the server configuration. Locked accounts and failed attempts appear in the audit log.
security-reply-approval-legend = Inbox replies that need approval
security-reply-approval-hint = Replies written by people with these roles wait until someone who may approve inbox replies (Owner, Admin) approves them. People who may approve send their own replies directly.
