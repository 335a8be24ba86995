# Signing in, passwords, one-time setup links.

signin-title = Sign in
signin-heading = Sign in to Owlery
signin-submit = Sign in
signin-forgot = Forgot password?
signin-error-credentials = The email address or password is not right.
signin-error-locked = { $minutes ->
    [one] Too many failed attempts. Try again in { $minutes } minute.
   *[other] Too many failed attempts. Try again in { $minutes } minutes.
}
signin-error-disabled = This account is disabled. Ask an administrator of your organisation.

signin-2fa-title = Two-factor authentication
signin-2fa-heading = Enter your code
signin-2fa-lead = Open your authenticator app and enter the six-digit code for Owlery.
signin-2fa-hint = No phone at hand? A recovery code works here too.
signin-2fa-submit = Verify
signin-2fa-back = Sign in as someone else

back-to-signin = Back to sign-in

forgot-title = Forgot password
forgot-heading = Reset your password
forgot-lead = Enter the email address you sign in with. We will send you a link to choose a new password.
forgot-submit = Send the link
forgot-sent = If an account exists for that address, we sent a link to it.
forgot-sent-detail = The link works once, for one hour. Check your spam folder if it does not arrive within a few minutes.

reset-title = Choose a new password
reset-heading = Choose a new password
reset-submit = Save the new password

setup-title = Set up your account
setup-heading-owner = Set up Owlery
setup-lead-owner = You are the first person here, so you will be the Owner: you can invite others and change every setting.
setup-heading-invited = Welcome to { $org }
setup-lead-invited = Choose the name your colleagues will see, and a password.
setup-submit = Create my account
setup-link-once = This link works once. After that, sign in with your email address and password.
