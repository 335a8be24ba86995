# A person's own account: profile, password, two-factor authentication, API tokens.

account-title = Your account
account-nav-label = Account
account-nav-profile = Profile and security
account-nav-tokens = API tokens
account-profile-heading = Profile and preferences
account-field-language = Language
account-field-timezone = Time zone
account-field-timezone-hint = Dates and times are shown in this time zone.
account-password-heading = Change password
account-password-submit = Change password

## Two-factor authentication
twofa-heading = Two-factor authentication
twofa-on-body = Signing in asks for a code from your authenticator app after your password.
twofa-off-body = Add a second step to signing in: a six-digit code from an authenticator app on your phone.
twofa-codes-left = { $count ->
    [one] You have { $count } unused recovery code left.
   *[other] You have { $count } unused recovery codes left.
}
twofa-regenerate = Get new recovery codes
twofa-disable = Turn off two-factor
twofa-disable-confirm = Turn off two-factor authentication? Your account will be protected by your password alone.
twofa-required-cannot-disable = Your organisation requires two-factor authentication, so it cannot be turned off.
twofa-required-notice = Your organisation requires two-factor authentication. Set it up to continue.
twofa-set-up = Set up two-factor authentication
twofa-enrol-title = Set up two-factor authentication
twofa-enrol-lead = You need an authenticator app, such as Aegis, Google Authenticator, Microsoft Authenticator or 1Password.
twofa-step-scan = Scan this code with the app
twofa-qr-label = QR code with your two-factor secret
twofa-step-manual = Or type this key into the app
twofa-manual-hint = Choose "time-based" if the app asks. Spaces do not matter.
twofa-secret-label = Two-factor secret key
twofa-step-confirm = Enter the code the app shows
twofa-confirm-submit = Turn on two-factor

## Recovery codes
codes-title = Your recovery codes
codes-lead = Each code signs you in once if you lose your phone. Keep them somewhere safe, such as a password manager.
codes-warning = These codes are shown only now. Save them before you leave this page.
codes-download = Download as text
codes-done = I have saved them

## API tokens
tokens-title = API tokens
tokens-lead = Personal tokens for scripts and integrations. A token acts as you, limited to the scopes you choose and to your own roles.
tokens-list-heading = Your tokens
tokens-empty = You have no API tokens.
tokens-revoke = Revoke
tokens-expired = Expired
tokens-revoke-confirm = Revoke the token "{ $name }"? Anything using it will stop working at once.
tokens-create-heading = Create a token
tokens-field-name = Token name
tokens-field-name-hint = What it is for, so you recognise it later.
tokens-field-expiry = Expires after
tokens-field-scopes = Scopes
tokens-field-scopes-hint = Choose only what the script needs.
tokens-create-submit = Create token
tokens-new-heading = Token "{ $name }" created
tokens-new-warning = Copy it now. It will not be shown again.
tokens-new-label = Your new token
