# The publishing engine's controls: the pause switch, posts that wait for a person ("Needs
# attention"), the late policy, channels that need reconnecting.

## Lateness
engine-late-by = late by { $duration }
engine-dur-m = { $m } min
engine-dur-hm = { $h } h { $m } min
engine-dur-dh = { $d } d { $h } h

## Needs attention
publish-nav-attention = Needs attention
attention-count = { $count ->
        [one] One post needs attention
       *[other] { $count } posts need attention
    }
attention-title = Needs attention
attention-lead = Posts that wait for a person: held by a pause or because they were late, not confirmed by the network, or failed.
attention-empty = Nothing waits for a person. Posts that are paused, held late, unconfirmed or failed show up here.
attention-all = Everything that needs attention
attention-group-paused = Paused
attention-group-paused-hint = A publishing pause covered them at their time. Resuming publishing sends none of them by itself: send each one now, reschedule it or cancel it.
attention-group-late = Held because they were late
attention-group-late-hint = Their time passed while nothing could publish them, and the organisation holds late posts for a person.
attention-group-unconfirmed = Not confirmed by the network
attention-group-unconfirmed-hint = The network did not say whether these arrived. Look at the channel on the network, then say what you found: nothing is sent again until you do.
attention-group-failed = Failed
attention-group-failed-hint = These could not be published. Do what the message says, then try again.
attention-untitled = Untitled post
attention-parts = { $count ->
        [one] Its first part is already on the network; only the rest goes.
       *[other] { $count } of its parts are already on the network; only the rest goes.
    }
attention-send-now = Send now
attention-retry = Retry
attention-reschedule = Reschedule
attention-reschedule-label = New time for “{ $title }” on { $channel }
attention-reschedule-hint = In your time zone ({ $tz })
attention-cancel = Cancel
attention-cancel-confirm = Cancel this post for { $channel }? It will not be published.
attention-edit = Edit
attention-check = Check it on { $network }
attention-url-label = Its address on the network
attention-is-there = It is there
attention-not-there = It is not there, send again
attention-no-actions = You may see this post but not publish it; ask a publisher.
attention-still-paused = Publishing is still paused here: resume publishing first.
attention-done-resumed = Sent again: it goes out now (or at its time, if that is still ahead).
attention-done-rescheduled = Rescheduled.
attention-done-cancelled = Cancelled: it will not be published.
attention-done-resolved = Thank you: Owlery takes it from here.
attention-error-url = Give the post's address on the network (https://…).
attention-error-when = Choose a date and time in the future.
attention-held-pause = Publishing was paused at its time: { $reason }
attention-held-late = Held by the late policy: it was { $late } when Owlery could publish it.
attention-heading-post = Needs attention
attention-post-lead = Some channels of this post wait for a person.

## The pause banner
pause-banner-label = Publishing paused
pause-banner-org = Publishing is paused for the whole organisation — { $reason }
pause-banner-workspace = Publishing is paused for the workspace { $name } — { $reason }
pause-banner-channel = Publishing is paused for the channel { $name } — { $reason }
pause-banner-by = by { $name }, since { $since }
pause-banner-since = since { $since }
pause-banner-link = Publishing settings

## Settings → Publishing
settings-nav-publishing = Publishing
pub-settings-title = Publishing
pub-settings-lead = Stop publishing at once when something goes wrong, and decide what happens to posts whose time passed while nothing could publish them.
pause-active-heading = Paused now
pause-active-empty = Publishing is running everywhere.
pause-col-where = Where
pause-col-reason = Reason
pause-col-by = Paused by
pause-col-since = Since
pause-col-paused = Paused
pause-col-lifted = Resumed
pause-where-org = The whole organisation
pause-where-workspace = Workspace { $name }
pause-where-channel = Channel { $name }
pause-resume = Resume publishing
pause-resume-confirm = Resume publishing here? Posts that waited stay under Needs attention until someone sends them.
pause-resume-hint = Resuming sends nothing that waited: those posts are listed under
pause-org-heading = Pause all publishing
pause-org-hint = Nothing is published anywhere in { $org } until publishing is resumed. Posts due meanwhile wait under Needs attention.
pause-org-confirm = I understand: nothing will be published anywhere until publishing is resumed.
pause-org-confirm-dialog = Pause all publishing in the organisation now?
pause-org-submit = Pause all publishing
pause-reason = Reason
pause-reason-hint = Everyone whose posts wait will read it.
pause-scope-heading = Pause a workspace or a channel
pause-scope-field = Workspace or channel
pause-scope-workspace = Workspace: { $name }
pause-scope-channel = Channel: { $name } ({ $workspace })
pause-scope-submit = Pause publishing there
pause-recent-heading = Recently resumed
pause-error-reason = Say why publishing is paused.
pause-error-confirm = Confirm that you mean to stop all publishing.
pause-error-scope = Choose a workspace or channel you may pause.
pause-done-paused = Publishing is paused.
pause-done-resumed = Publishing is resumed. Posts that waited are under Needs attention.
late-heading = Late posts
late-hint = When a post's time passes while nothing can publish it (an outage, a stopped server):
late-send = Send it at once, marked as late
late-hold = Hold it for a person once it is later than the grace below
late-grace = Grace in minutes
late-grace-hint = Up to this many minutes late, a post still goes out (marked as late). 0 to 10,080 (7 days).
late-submit = Save the late policy
late-error-policy = Choose what happens to late posts.
late-error-grace = Give a number of minutes from 0 to 10,080 (7 days).
late-done = The late policy is saved.

## Channels
channel-needs-reconnect = Needs reconnecting
channel-reconnect-hint = The network no longer accepts this channel's connection; its posts fail until it is reconnected.

## Notifications in the app
notif-publish-unconfirmed = “{ $title }” may or may not be on { $channel }: check it there.
notif-publish-paused = “{ $title }” waits to be published to { $channel }.
notif-channel-needs-reconnect = { $channel } needs reconnecting.
