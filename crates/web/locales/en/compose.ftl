## Publishing: the list of posts, the composer and version history.

publish-title = Posts
publish-lead = Write once, fan out to every channel, and see where each version stands.
publish-new = New post
publish-empty = No posts yet. Start one with “New post”.
publish-untitled = Untitled post
col-post = Post
col-channels = Channels
col-updated = Last change

review-state-pending = Waiting for approval:
review-state-approved = Approved.
review-state-changes-requested = Changes requested:
review-state-rejected = Rejected:
review-pending-detail = step “{ $step }”, { $count } approvals

composer-new-title = New post
composer-edit-title = Edit post
composer-lead = The master text goes to every chosen channel; customise a channel to give it its own version. Each channel is checked against its network’s rules as you type.
composer-history = Version history
composer-workspace = Workspace
composer-switch = Switch
composer-master = Master
composer-field-title = Internal title
composer-field-title-hint = For lists and the calendar; never published.
composer-field-text = Text
composer-field-link = Link
composer-field-link-hint = Networks without a link field get it at the end of the text.
composer-field-first-comment = First comment
composer-field-first-comment-hint = Posted as the first reply right after the post, where the network allows.
composer-channels = Channels
composer-no-channels = There are no channels in this workspace you may write for.
composer-placement = Placement
composer-customise = Customise for this channel
composer-variant-text = Text for { $channel }
composer-when = When
composer-field-when = Date and time
composer-field-tz = Time zone
composer-when-hint = The time is kept in this zone, so a post stays at 09:00 across daylight-saving changes.
composer-schedule = Schedule
composer-now = Publish now
composer-save-draft = Save draft
composer-outcome = { $scheduled } scheduled, { $review } waiting for approval, { $blocked } with errors to fix.
composer-saved-draft = Draft saved.
composer-when-required = Choose a date and time to schedule, or publish now.
composer-when-past = This time is in the past; choose a later one or publish now.
composer-needs-publisher = You may write for these channels but not publish to them, and no approval workflow covers them: save a draft and ask a publisher.

publish-meter = { $used }/{ $limit }
publish-check-ok = Fits the network’s rules.
finding-error = Error
finding-warning = Warning
publish-saved-at = Saved { $time }

history-title = Version history
history-lead = Every saved version, newest first, with what changed in the text.
history-version = Version { $version }
history-current = current
history-restore = Restore version { $version }

composer-comments = Comments
composer-no-comments = No comments yet. Mention a colleague with @ and their name to ask them.
composer-add-comment = Add a comment
composer-comment-hint = @anna or @"Anna Ivanova" notifies Anna, in Owlery and by e-mail.
composer-comment-send = Comment
composer-assignee = Assigned to
composer-assign = Assign
composer-nobody = Nobody

composer-media = Media
composer-media-empty = No media in this workspace yet.
composer-media-hint = Tick what goes with the post and describe each image for people who cannot see it.
composer-media-library = Open the media library
composer-media-expired = rights expired
composer-alt-for = Alt text for { $name }
composer-alt-placeholder = Alt text: what the image shows
composer-variant-media = Media for this channel

composer-field-campaign = Campaign
composer-no-campaign = No campaign
composer-queue = Add to queue
composer-queued = { $queued } added to their channel’s queue; { $left } could not be (no queue, no free slot, or waiting for approval).

composer-differs = Own version
composer-differs-hint = This channel's version differs from the master in these fields.
composer-diff-text = text
composer-diff-title = title
composer-diff-link = link
composer-diff-first_comment = first comment
composer-diff-media = media

composer-utm = UTM tags for this channel's links
composer-utm-hint = Fill in all three and save: every link in this channel's text and its link field get them (existing utm_ values are replaced).
