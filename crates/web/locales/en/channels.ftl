# Connecting channels with OAuth: network apps, the connect page, the account chooser.

settings-nav-network-apps = Network apps

## Network apps
napp-title = Network apps
napp-lead = Owlery connects accounts on each network through your organisation's own app there. Create the app in the network's developer portal, register the redirect address shown, and enter its client id and secret here. Secrets are stored encrypted and never shown again.
napp-status-configured = Set up
napp-status-missing = Not set up
napp-status-automatic = Automatic
napp-client-id = Client id
napp-client-secret = Client secret
napp-client-secret-hint = Stored encrypted; enter it again to change it.
napp-redirect-uri = Redirect URI
napp-scopes = Permissions asked for
napp-media = Media
napp-media-reachable = Downloaded from this Owlery
napp-media-reachable-help = { $network } downloads { $what ->
        [photos] photos
       *[all] images and videos
    } from Owlery's public address, through links that expire after an hour.
napp-media-unreachable = Public address needed
napp-media-unreachable-help = { $network } downloads { $what ->
        [photos] photos
       *[all] images and videos
    } from Owlery's public address, and cannot reach this one: posts with { $what ->
        [photos] photos
       *[all] media
    } will fail until OWLERY_PUBLIC_URL is set to an address reachable from the internet.
napp-updated = Last changed
napp-setup = Set up the app
napp-change = Change the app
napp-save = Save app
napp-remove = Remove app
napp-portal = Open the { $network } developer portal
napp-saved = The { $network } app is saved.
napp-removed = The { $network } app is removed. Connected channels keep working until their tokens need renewing.
napp-error-client-id = Enter the client id exactly as the network shows it (no spaces).
napp-error-client-secret = Enter the app's client secret (one line).
napp-help-x = In the X developer portal, create a Project and an App. Under "User authentication settings" choose OAuth 2.0, app type "Web App (confidential client)", permissions "Read and write", and add the redirect URI below. Enter the OAuth 2.0 Client ID and Client Secret.
napp-help-facebook-page = At Meta for Developers, create a Business app and add the "Facebook Login for Business" product. Add the redirect URI below under "Valid OAuth Redirect URIs" and request the permissions listed. Enter the App ID and App Secret (Settings → Basic).
napp-help-instagram = Use a Meta Business app with "Facebook Login for Business" and the Instagram product (Instagram API with Facebook Login). Add the redirect URI below under "Valid OAuth Redirect URIs"; it may be the same app as for Facebook Pages. Enter the App ID and App Secret.
napp-help-threads = At Meta for Developers, create an app with the "Access the Threads API" use case. Add the redirect URI below under Threads → Settings → "Redirect Callback URLs". Enter the Threads App ID and Threads App Secret.
napp-help-linkedin = In LinkedIn's developer portal, create an app linked to your company page and add the products "Share on LinkedIn", "Sign In with LinkedIn using OpenID Connect" and "Community Management API". Add the redirect URI below under Auth → "Authorized redirect URLs". Enter the Client ID and Primary Client Secret.
napp-help-tiktok = In TikTok for Developers, create an app with "Login Kit" and the "Content Posting API" (Direct Post). Add the redirect URI below to Login Kit. Enter the Client key and Client secret.
napp-help-tiktok-business = For reading and answering a business account's comments: in the TikTok API for Business portal, create an app for TikTok accounts with the permissions to read the account's info and videos and to read and manage its comments. Set its TikTok account holder redirect URL to the address below. Enter the App ID and Secret.
napp-kind-tiktok-business = API for Business
napp-help-youtube = In Google Cloud, enable the "YouTube Data API v3" for a project, set up its OAuth consent screen, and create an OAuth client ID of type "Web application" with the redirect URI below as an authorised redirect URI. Enter the Client ID and Client secret.
napp-help-pinterest = In Pinterest's developer portal, create an app (Standard access needs Pinterest's review) and add the redirect URI below. Enter the App ID and App secret key.
napp-help-mastodon = Nothing to set up: every Mastodon server has its own apps, and Owlery registers one on a server the first time someone connects an account there.
napp-servers-none = No server yet.
napp-servers-caption = Owlery's apps on Mastodon servers
napp-col-server = Server
napp-col-registered = Registered
napp-servers-remove-hint = A removed server app is registered again at the next connection.

## Connecting
connect-open = Connect an account
connect-title = Connect an account
connect-lead = Owlery sends you to the network to sign in and allow posting, then back here. Nobody at Owlery sees your password there.
connect-no-workspace = Create a workspace first: channels belong to one.
connect-networks-heading = Networks
connect-button = Connect
connect-what-x = A profile
connect-what-facebook-page = Pages you manage
connect-what-instagram = Professional accounts linked to your Pages
connect-what-threads = A profile
connect-what-linkedin = Your profile or company pages
connect-what-tiktok = A creator account
connect-what-tiktok-business = A business account: its comments in the inbox
connect-what-youtube = A channel
connect-what-pinterest = Boards
connect-mastodon-hint = Enter the account's server. Owlery registers itself there the first time.
connect-server = Server
connect-other-hint = Bluesky accounts connect with an app password (through the API); practice channels, which never post outside this server, are made under Workspaces & channels.
connect-app-missing = The organisation's { $network } app is not set up yet, so accounts cannot be connected.
connect-app-setup-link = Set it up
connect-cancel = Cancel
connect-reconnect = Reconnect
connect-reconnect-title = Reconnect a channel
connect-reconnect-lead = Sign in to { $network } again as the channel's account: Owlery replaces its connection and publishing resumes.
connect-reconnect-why = The network said:
connect-reconnect-hint = Sign in as { $handle }; another account is refused.
connect-reconnect-with = Reconnect with { $network }
connect-choose-title = Choose accounts to connect
connect-choose-lead = { $network } lets Owlery post as these accounts. Each one you choose becomes a channel in { $workspace }.
connect-choose-legend = Accounts
connect-choose-connected = already a channel
connect-choose-submit = Connect selected
account-kind-profile = Profile
account-kind-page = Page
account-kind-professional = Professional account
account-kind-organization = Company page
account-kind-board = Board
account-kind-channel = Channel
connect-done = { $count ->
    [one] One channel connected.
   *[other] { $count } channels connected.
}
connect-done-none = No new channel: the accounts chosen were channels already.
connect-reconnected = The channel is connected again.
connect-declined-title = Not connected
connect-failed-title = The account could not be connected
connect-declined-access-denied = You did not allow Owlery on { $network }, so nothing was connected. You can try again whenever you like.
connect-declined = { $network } did not connect the account, so nothing changed.
connect-network-said = The network said:
connect-try-again = Connect an account
connect-back = Back to workspaces & channels

## What went wrong
connect-error-app-not-configured = The organisation's { $network } app is not set up yet: an administrator adds it under Settings → Network apps.
connect-error-business-app-not-configured = The organisation's TikTok API for Business app is not set up yet: an administrator adds it under Settings → Network apps.
connect-error-unknown-auth-kind = { $network } cannot be connected that way.
connect-error-app-unreadable = The { $network } app's secret cannot be opened with this server's key: enter it again under Settings → Network apps.
connect-error-missing-state = { $network } sent you back without the connection's state: start again.
connect-error-missing-code = { $network } sent you back without an authorization code: start again.
connect-error-unknown-state = This connection link was already used or is not one Owlery made: start again.
connect-error-expired-state = Connecting took longer than 10 minutes, so this link no longer works: start again.
connect-error-wrong-network = This connection was started for another network: start again.
connect-error-not-your-connection = Someone else started this connection; only they can finish it.
connect-error-network-refused = { $network } refused the connection.
connect-error-network-unreachable = { $network } could not be reached. Try again in a moment.
connect-error-no-accounts = { $network } named no account Owlery can post as with this sign-in.
connect-error-already-connected = This account is already a channel. To renew its connection, use Reconnect on that channel.
connect-error-different-account = You signed in as another account than the channel's. Sign out of { $network }, sign in as the channel's account, then reconnect.
connect-error-choice-expired = This choice is no longer open (it was made, or 10 minutes passed): connect again.
connect-error-choose-one = Choose at least one account to connect.
connect-error-not-reconnectable = This channel cannot be reconnected here.
connect-error-workspace-id-required = Choose the workspace the channel belongs to.
connect-error-workspace-id-unknown-workspace = Choose one of the workspaces listed.
connect-error-server-required = Enter the Mastodon server's address, such as mastodon.social.
connect-error-server-invalid-server = This is not a server address: enter one such as mastodon.social.
connect-error-server-server-not-https = The server must be reached over https:// (tokens never travel unencrypted).
connect-error-server-server-not-public = This address is on this machine or a private network, which Owlery does not connect to. Enter the server's public address.
connect-error-server-server-not-found = No server answers to this name: check the address.
connect-error-server-registration-refused = The server did not let Owlery register.
napp-webhook-url = Webhook address
napp-webhook-help = Paste it as the callback URL of the app's webhooks; comments, mentions and messages then arrive as they happen.
napp-verify-token = Verify token

## Upgrading a personal TikTok channel to the same account as a business account
connect-upgrade-link = Reconnect as a business account
connect-upgrade-heading = Is it a business account?
connect-upgrade-why = If { $handle } is a TikTok business account, connect it through the TikTok API for Business: Owlery then reads its comments into the inbox and answers them from there.
connect-upgrade-keeps = The channel stays the same: its posts, history and inbox conversations are kept.
connect-upgrade-publishing = Owlery does not publish through a business connection: posts scheduled to the channel then fail, saying so, and are posted in the TikTok app.
connect-upgrade-app-missing = The organisation's TikTok API for Business app is not set up yet.
connect-upgrade-title = Is this the same account?
connect-upgrade-lead = { $network } signed you in as the business account { $handle }.
connect-upgrade-channel = This channel is connected with a personal login. Connect it as the business account { $account } instead? It stays in { $workspace }.
connect-upgrade-handle-only = Only the handle shows they are the same: the two ways of connecting name an account differently, and a handle can pass to someone else. Confirm only if it is the same TikTok account.
connect-upgrade-inbox = Owlery reads the account's comments into the inbox and answers them from there.
connect-upgrade-submit = Yes, upgrade { $handle }
connect-upgrade-cancel = No, leave it as it is
connect-upgraded = The channel is now connected as a business account: its comments come into the inbox.
connect-error-would-downgrade = This account is a channel connected as a business account, whose comments Owlery reads and answers. A personal login cannot do that, so nothing was changed. To renew the connection, use Reconnect on that channel.
connect-error-upgrade-not-allowed = This account is already a channel, connected with a personal login, in a workspace where you cannot manage channels: ask someone who can to reconnect it as a business account.
connect-error-upgrade-stale = The channel changed since you signed in (it was upgraded, removed or renamed): connect again.
