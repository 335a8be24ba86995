## Publishing: calendar, approvals, external review, notifications, calendar feed.

nav-calendar = Calendar
nav-approvals = Approvals
nav-notifications = Notifications
account-nav-calendar-feed = Calendar feed

## Variant statuses
vstatus-draft = Draft
vstatus-in-review = In review
vstatus-changes-requested = Changes requested
vstatus-rejected = Rejected
vstatus-approved = Approved
vstatus-scheduled = Scheduled
vstatus-publishing = Publishing
vstatus-published = Published
vstatus-failed = Failed
vstatus-unconfirmed = Unconfirmed
vstatus-cancelled = Cancelled
vstatus-paused = Paused

## Verdicts
verdict-approve = Approved
verdict-request-changes = Requested changes
verdict-reject = Rejected

## Calendar
cal-title = Calendar
cal-lead = Scheduled and published posts across your workspaces. Times are in { $zone }.
cal-subscribe = Subscribe in your calendar app
cal-nav-label = Calendar period
cal-prev = Previous
cal-today = Today
cal-next = Next
cal-modes-label = Calendar view
cal-view-month = Month
cal-view-week = Week
cal-view-list = List
cal-filters = Filters
cal-filters-on = On
cal-filter-workspace = Workspace
cal-filter-channel = Channel
cal-filter-network = Network
cal-filter-status = Status
cal-filter-author = Author
cal-filter-any = Any
cal-filter-apply = Apply filters
cal-filter-clear = Clear filters
cal-filter-campaign = Campaign
cal-empty = Nothing is scheduled or published in this period.
cal-empty-filtered = No posts match these filters in this period.
cal-drop-hint = Drop on a day to move the post there
cal-drag-help = Drag a post to another day to move it; it keeps its time of day. Or use “Move” on the post to choose a date and time.
cal-has-errors = Has errors
cal-move = Move
cal-move-date = New date
cal-move-time = Time ({ $zone })
cal-move-submit = Move post
cal-day-label = { $weekday } { $date }
cal-heading-month = { $month } { $year }
cal-heading-week = { $from } – { $to } { $year }
cal-moved = The post was moved and is scheduled for its new time.
cal-moved-intended = The post’s planned time was changed. It is scheduled once it is approved.
cal-error-approval-required = This post needs its approvals before it can be scheduled, so it was not moved.
cal-error-validation-failed = This post has validation errors; fix them before scheduling it.
cal-error-not-editable = This post has already gone to the network or was cancelled, so it cannot be moved.
cal-error-no-time = This post has no time yet; give it one in the composer.
cal-error-nonexistent-local-time = That time does not exist on that day (the clocks go forward). Choose another time.
cal-error-invalid-date = Choose a date to move the post to.
cal-error-invalid-time = Enter the time as hours and minutes, like 14:30.
cal-error-unknown = The post could not be moved.
cal-wd-1 = Mon
cal-wd-2 = Tue
cal-wd-3 = Wed
cal-wd-4 = Thu
cal-wd-5 = Fri
cal-wd-6 = Sat
cal-wd-7 = Sun
cal-month-1 = January
cal-month-2 = February
cal-month-3 = March
cal-month-4 = April
cal-month-5 = May
cal-month-6 = June
cal-month-7 = July
cal-month-8 = August
cal-month-9 = September
cal-month-10 = October
cal-month-11 = November
cal-month-12 = December
cal-month-short-1 = Jan
cal-month-short-2 = Feb
cal-month-short-3 = Mar
cal-month-short-4 = Apr
cal-month-short-5 = May
cal-month-short-6 = Jun
cal-month-short-7 = Jul
cal-month-short-8 = Aug
cal-month-short-9 = Sep
cal-month-short-10 = Oct
cal-month-short-11 = Nov
cal-month-short-12 = Dec

## Approvals
approvals-title = Approvals
approvals-lead = Posts waiting for your decision. Approve them, ask for changes, or reject them with a reason.
approvals-count = { $count ->
    [one] { $count } waiting
   *[other] { $count } waiting
}
approvals-empty = Nothing is waiting for you.
approvals-empty-hint = Posts appear here when they reach an approval step you are one of the approvers of.
approval-done-approve = Approved. The author has been told.
approval-done-request-changes = Changes requested. The author has been told what to change.
approval-done-reject = Rejected. The author has been told why.
approval-refused = Your decision was not recorded; see the message on the post.
approval-error-not-pending = This post is no longer waiting for approval.
approval-error-not-your-step = You are not one of the approvers of the step “{ $step }”.
approval-error-link-for-another-step = This link was made for another approval step; ask for a new link.
approval-error-already-decided = You have already approved the step “{ $step }”.
approval-error-reason-required = Say why, so the author knows what to change.
approval-error-reason-too-long = The reason is too long; 2,000 characters at most.
approval-error-invalid-external-label = The reviewer’s name is missing or too long.
approval-error-own-post = You wrote this post, so someone else must review it.
approval-error-verdict = Choose approve or request changes.
rv-planned = Planned for
rv-no-text = No text.
rv-findings = Validation findings
rv-finding-error = Error
rv-finding-warning = Warning
rv-valid = Passes the network’s checks.
rv-untitled = Untitled post
rv-meta = By { $author } in { $workspace }
rv-round = round { $round }
rv-step-now = Step: { $step }
rv-steps = Approval steps
rv-step-done = Done
rv-step-progress = { $approvals } of { $required } approvals
rv-step-upcoming = Later
rv-overdue = Overdue since
rv-due = Due
rv-decisions = Decisions so far
rv-own-post = You wrote this post, so someone else must review it.
rv-reason = Reason
rv-reason-hint = Required when you request changes or reject. The author sees it.
rv-approve = Approve
rv-request-changes = Request changes
rv-reject = Reject

## External review page
review-link-title = Review a post
review-link-lead = { $label }, you are asked to review this post for the step “{ $step }”.
review-link-expires = This link works until
review-link-name = Your name
review-link-reason-hint = Required when you request changes: say what should change.
review-link-error-name = Enter your name (at most 100 characters).
review-link-signed-empty = Approved by { $name }
review-link-done-approve = Thank you. Your approval has been recorded, and this link no longer works.
review-link-done-changes = Thank you. Your request for changes has been sent to the author, and this link no longer works.
review-link-unknown = This review link does not exist. Check that you copied the whole address.
review-link-expired = This review link has expired. Ask the person who sent it for a new one.
review-link-used = This review link has already been used. Each link records one decision.
review-link-not-waiting = This post is no longer waiting for this review, so the link cannot be used.
review-link-invalid = This review link has expired or was already used.

## Notifications
notif-title = Notifications
notif-all-read = You are all caught up.
notif-unread-count = { $count ->
    [one] { $count } unread notification
   *[other] { $count } unread notifications
}
notif-mark-all = Mark all as read
notif-empty = No notifications yet.
notif-new = New:
notif-generic = Update on “{ $title }”
notif-review-approved = “{ $title }” was approved.
notif-review-pending = “{ $title }” moved on to the next approval step.
notif-review-changes-requested = Changes were requested on “{ $title }”.
notif-review-rejected = “{ $title }” was rejected.
notif-review-escalated = The approval step “{ $step }” of “{ $title }” is overdue.
notif-review-backup = You are the backup for the overdue step “{ $step }” of “{ $title }”.
notif-review-requested = “{ $title }” waits for your approval at the step “{ $step }”.
notif-mention = { $author } mentioned you in a comment on “{ $title }”.
notif-assigned = { $by } assigned “{ $title }” to you.
notif-publish-failed = “{ $title }” could not be published to { $channel }.
notif-publish-held = “{ $title }” was held back from { $channel }.
notif-campaign-held = The campaign “{ $campaign }” was held: not every post in it was ready.
notif-spec-changed = “{ $title }” no longer passes { $channel }’s rules and was taken off the schedule.

## Calendar feed
feed-title = Calendar feed
feed-lead = Subscribe to the content calendar from Google Calendar, Outlook or Apple Calendar with a secret address.
feed-heading = Your feed address
feed-active = You have a feed address. Anyone who has it can see the posts you can see, so keep it private.
feed-inactive = You have no feed address yet.
feed-create = Create a feed address
feed-replace = Replace the address
feed-replace-confirm = The current address will stop working. Continue?
feed-revoke = Turn off the feed
feed-revoke-confirm = The current address will stop working. Continue?
feed-new-heading = Your new feed address
feed-new-warning = Copy it now and add it to your calendar app as a subscription. It is shown only this once.
feed-url = Feed address
feed-created = A new feed address was created; any earlier one no longer works.
feed-revoked = The feed was turned off.
