# Shared words: layout, navigation, actions, field and column labels, counts, errors.
# Keep each key in bg/ too; `cargo test -p owlery-web i18n` checks both sides.

app-name = Owlery
skip-to-content = Skip to content

## Navigation
nav-primary-label = Main
nav-publish = Publish
nav-inbox = Inbox
nav-crisis = Crisis
nav-oncall = On-call
nav-analytics = Analytics
nav-governance = Governance
nav-settings = Settings
nav-account = Account
nav-tokens = API tokens
nav-signout = Sign out
nav-signin = Sign in
nav-menu = Menu
breadcrumb-label = Breadcrumb
pager-label = Pages

## Language switcher
lang-switch-label = Language
lang-switch-apply = Apply

## Actions
action-save = Save changes
action-add = Add
action-remove = Remove
action-revoke = Revoke
action-copy = Copy
action-copied = Copied

## Form fields
field-email = Email
field-password = Password
field-new-password = New password
field-current-password = Current password
field-password-confirm = Repeat the password
field-name = Name
field-role = Role
field-scope = Where
field-code = Code
field-code-6 = Six-digit code
password-rules = Use at least { $min } characters. A few unrelated words make a strong password.

## Table columns
col-name = Name
col-email = Email
col-roles = Roles
col-role = Role
col-scope = Where
col-2fa = Two-factor
col-status = Status
col-last-signin = Last sign-in
col-granted-by = Granted by
col-granted-at = Granted
col-actions = Actions
col-network = Network
col-channel = Channel
col-scopes = Scopes
col-created = Created
col-expires = Expires
col-last-used = Last used
col-time = Time
col-actor = Who
col-action = Action
col-target = Target
col-ip = IP address
col-details = Details

## States
status-on = On
status-off = Off
never = Never
granted-by-system = System

## Counts
count-users = { $count ->
    [one] { $count } user
   *[other] { $count } users
}
count-members = { $count ->
    [one] { $count } member
   *[other] { $count } members
}
count-channels = { $count ->
    [one] { $count } channel
   *[other] { $count } channels
}
count-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
stat-workspaces = { $count ->
    [one] Workspace
   *[other] Workspaces
}
stat-channels = { $count ->
    [one] Channel
   *[other] Channels
}
stat-users = { $count ->
    [one] User
   *[other] Users
}

## Relative time
time-just-now = just now
time-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
time-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
time-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
time-ago = { $amount } ago
time-in = in { $amount }

## Where a role applies
scope-organisation = Whole organisation
scope-workspace-named = Workspace: { $name }
scope-channel-named = Channel: { $name }
scope-channel-short = { $name } (channel)
scope-group-workspaces = Workspaces
scope-group-channels = Channels

## Networks
network-sandbox = Sandbox
network-sandbox-label = Sandbox — never leaves this server
network-sandbox-note = never leaves this server

## Error pages
error-home = Go to the start page
error-400-title = That request did not make sense
error-400-message = Something in the address or the form was not what we expected. Go back and try again.
error-403-title = You do not have access to this
error-403-message = Your roles do not include this page or action. If you need it, ask an administrator of your organisation.
error-404-title = Page not found
error-404-message = There is nothing at this address. It may have been moved or deleted, or the link may be mistyped.
error-410-title = This link has expired
error-410-message = One-time links work once and for a limited time. Ask for a new one.
error-429-title = Too many requests
error-429-message = Please wait a moment before trying again.
error-500-title = Something went wrong on our side
error-500-message = The problem has been logged. Try again in a moment; if it keeps happening, tell your administrator.
