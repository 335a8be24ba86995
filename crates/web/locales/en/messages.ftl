# Messages the handlers show: validation errors next to fields, confirmations after an action,
# and e-mails. Keys follow `<thing>-error-<what>` for errors. Domain error codes map in with
# `i18n::tr_or(lang, &format!("password-error-{code}"), &english_fallback)`.

form-has-errors = Some fields need attention. Check the messages below.

## Validation
name-error-required = Enter a name.
name-error-too_long = Names are 100 characters at most.
name-error-invalid = Names cannot contain control characters.
email-error-invalid = Enter an email address like name@example.com.
password-error-current = That is not your current password.
password-error-mismatch = The two passwords are not the same.
password-error-too_short = Use at least 12 characters; a few unrelated words make a strong password.
password-error-too_long = Passwords are 256 characters at most.
password-error-too_simple = That password uses too few different characters. Choose something less predictable.
lang-error-unknown = Choose a language from the list.
tz-error-unknown = Choose a time zone from the list.
role-error-not-grantable = You cannot grant this role.
scope-error-unknown = Choose where the role applies from the list.
grant-error-exists = They already have this role there.
grant-error-last-owner = This is the last Owner. Make someone else an Owner first.
user-error-exists = Someone in this organisation already uses this email address.
team-error-exists = A team with this name already exists.
workspace-error-exists = A workspace with this name already exists.
channel-error-exists = This workspace already has a channel with this name.
security-error-role = Choose roles from the list.
security-error-policy = Choose who must use two-factor authentication.
security-error-lifetime = Enter a whole number of hours from 1 to 720.
tokens-error-expiry = Choose how long the token lasts.
tokens-error-scope = Choose scopes from the list.
twofa-error-required = Your organisation requires two-factor authentication, so it cannot be turned off.
signin-error-missing = Enter your email address and password.
signin-2fa-error-code = That code did not work. Check the time on your phone and try the next code.
signin-2fa-error-malformed = Enter the six digits from your authenticator app, or a recovery code.
signin-2fa-error-recovery = That recovery code is not valid or was already used.
signin-2fa-error-replayed = That code was already used. Wait for the next one.
link-error-unknown = This link is not valid. Check that you copied all of it, or ask for a new one.
link-error-expired = This link has expired. Ask for a new one.
link-error-used = This link was already used. Sign in, or ask for a new link.

## Confirmations
settings-saved = Settings saved.
account-saved = Your profile is saved.
password-changed = Password changed. Your other sessions were signed out.
reset-done = Your password is changed. Sign in with the new one.
signout-done = You have signed out.
twofa-enabled = Two-factor authentication is on.
twofa-disabled = Two-factor authentication is off.
user-created = User created.
user-disabled = User disabled. Their sessions and API tokens stopped working.
user-enabled = User enabled.
user-2fa-reset = Two-factor authentication reset. They will set it up again at their next sign-in.
role-granted = Role granted.
role-revoked = Role revoked.
team-created = Team created.
team-member-added = Member added.
team-member-removed = Member removed.
workspace-created = Workspace created.
channel-created = Sandbox channel created.
token-revoked = Token revoked.
language-changed = Language changed.

## E-mail
reset-mail-subject = Reset your Owlery password
reset-mail-body =
    Hello { $name },

    To choose a new password for Owlery, open this link within one hour:

    { $link }

    If you did not ask for this, ignore this message; your password stays as it is.
