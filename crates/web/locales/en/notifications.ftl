# Notifications: what they say in the app and in their e-mail copies. One subject and one body per
# notification kind (`notification-<kind>-subject`, `notification-<kind>-body`). Arguments are the
# notification's params plus `$name` (the reader) and `$link` (where to act, empty if none).
# Read by owlery-jobs (notification e-mails); keep every key in both languages.

notification-mail-greeting = Hello { $name },
notification-mail-open = Open it in Owlery: { $link }
notification-mail-footer = You get this e-mail because you use Owlery. Notifications also show in the app.

notification-review_escalated-subject = Review overdue: { $title }
notification-review_escalated-body = The review of "{ $title }" is past its deadline at the step "{ $step }" (due { $due }). It has been passed on to the backup reviewer.

notification-review_backup-subject = Please review: { $title }
notification-review_backup-body = You are the backup reviewer for the step "{ $step }" of "{ $title }", which is past its deadline (due { $due }). Please review it.

notification-publish_failed-subject = Not published: { $title }
notification-publish_failed-body = "{ $title }" could not be published to { $channel }. { $error }

notification-publish_unconfirmed-subject = Check the network: { $title }
notification-publish_unconfirmed-body = "{ $title }" was sent to { $channel }, but the network did not confirm that it arrived. { $error } Look at the channel on the network, then tell Owlery under Needs attention whether it is there: nothing is sent again until someone does.

notification-publish_paused-subject = Waiting for a person: { $title }
notification-publish_paused-body = "{ $title }" was not published to { $channel } at its time and waits for a person. { $error } Send it now, reschedule it or cancel it under Needs attention.

notification-channel_needs_reconnect-subject = Reconnect { $channel }
notification-channel_needs_reconnect-body = The network no longer accepts Owlery's connection to { $channel }: { $error } Its posts fail until someone reconnects it under Settings → Workspaces & channels.

notification-publish_held-subject = Held back: { $title }
notification-publish_held-body = "{ $title }" was not published to { $channel } at its time: { $reason ->
        [approval_required] it still needs its approvals.
        [validation_failed] it no longer passes the network's checks.
        [media_expired] one of its media files has expired or was removed.
       *[other] it was held back ({ $reason }).
    } Fix it and schedule it again.

notification-campaign_held-subject = Campaign held: { $campaign }
notification-campaign_held-body = The campaign "{ $campaign }" is all or nothing, and { $count ->
        [one] one post was
       *[other] { $count } posts were
    } not approved or not valid at its release time, so nothing was published. Blocking: { $posts }.

notification-spec_changed-subject = Needs another look: { $title }
notification-spec_changed-body = The rules of the networks changed (version { $version }), and "{ $title }" for { $channel } no longer passes them. It has been taken off the schedule until it is fixed.

notification-other-subject = Something in Owlery needs your attention
notification-other-body = There is something new for you in Owlery.

notification-mention-subject = { $author } mentioned you: { $title }
notification-mention-body = { $author } mentioned you in a comment on "{ $title }": { $excerpt }

notification-assigned-subject = Assigned to you: { $title }
notification-assigned-body = { $by } assigned "{ $title }" to you.

notification-review_requested-subject = Waiting for your approval: { $title }
notification-review_requested-body = "{ $title }" waits for your approval at the step "{ $step }".

notification-inbox_mention-subject = { $author } mentioned you: { $title }
notification-inbox_mention-body = { $author } mentioned you in an internal note on the conversation with { $title }: { $excerpt }

notification-inbox_rule-subject = Please look at: { $title }
notification-inbox_rule-body = A routing rule ({ $step }) asks you to look at a conversation: "{ $title }".

notification-inbox_assigned-subject = Assigned to you: { $title }
notification-inbox_assigned-body = A conversation was assigned to you: "{ $title }".

notification-inbox_sla_warning-subject = Response due soon: { $title }
notification-inbox_sla_warning-body = The response to "{ $title }" is due soon ({ $due }).

notification-inbox_sla_breached-subject = Response overdue: { $title }
notification-inbox_sla_breached-body = The response to "{ $title }" was due { $due } and has not been sent. It has been escalated.

notification-inbox_escalated-subject = Escalated to you: { $title }
notification-inbox_escalated-body = A routing rule ({ $step }) escalated a conversation to you; it is now urgent: "{ $title }".

notification-inbox_reply_pending-subject = An answer waits for your approval: { $title }
notification-inbox_reply_pending-body = { $author } wrote an answer on { $channel } that waits for your approval: "{ $title }".
