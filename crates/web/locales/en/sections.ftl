# Home page and the placeholder pages of sections still to come.

home-title = Home
home-welcome = Welcome to { $org }
home-lead = Owlery is where your team publishes, answers and keeps watch over every social channel. This is what is in place so far.
home-at-a-glance = At a glance
home-manage-workspaces = Manage workspaces
home-manage-channels = Manage channels
home-manage-users = Manage users
home-now-heading = Ready now
home-now-users = Users, roles and teams
home-now-users-desc = Invite colleagues and give each the role they need, for the whole organisation or one workspace.
home-now-workspaces = Workspaces and channels
home-now-workspaces-desc = Group channels by brand, market or team. Sandbox channels let you try everything safely.
home-now-security = Security policy
home-now-security-desc = Require two-factor authentication and set how long sessions last.
home-now-tokens = API tokens
home-now-tokens-desc = Personal tokens with limited scopes for scripts and integrations.
home-now-audit = Audit log
home-now-audit-desc = Every change, who made it and when, in a tamper-evident chain.
home-next-heading = Coming next
home-next-publish = Compose once, tailor per channel, approve and schedule.
home-next-inbox = Comments, mentions and messages in one list with SLA clocks.
home-next-crisis = Spike detection, incidents and a one-switch publishing pause.
home-next-oncall = Rotations, escalation and who is on duty right now.
home-next-analytics = Reach, engagement and response times, with exports.
home-next-governance = Approval rules, content policies and retention.

section-not-yet = Not here yet
section-will-hold = What this section will hold
section-back-home = Back to the start page
section-set-up-channels = Set up workspaces and channels

section-publish-title = Publish
section-publish-lead = Write a post once, adapt it for each channel, get it approved and schedule it on a shared calendar.
section-publish-arrives = Arrives with the publishing release. Until then, no post can be written or sent from Owlery.
section-publish-item1 = A composer with one variant per channel, checked against each network's limits as you type.
section-publish-item2 = Approval workflows per workspace, so nothing goes out without the sign-off it needs.
section-publish-item3 = A calendar of scheduled and published posts across all channels, in your time zone.
section-publish-item4 = Campaigns that release a group of posts together, and a record of what was published where.

section-inbox-title = Inbox
section-inbox-lead = Every comment, mention and direct message from all your channels in one list, with SLA clocks, assignment and saved replies.
section-inbox-arrives = Arrives with the community inbox. Messages are not collected yet.
section-inbox-item1 = Conversations from every connected channel, threaded and without duplicates.
section-inbox-item2 = Response-time targets per workspace, with a clock on every conversation that is waiting.
section-inbox-item3 = Routing rules and assignment to people or teams, with saved replies in several languages.
section-inbox-item4 = Language, sentiment and abuse detection to put urgent messages first.

section-crisis-title = Crisis
section-crisis-lead = Notice trouble early, pause publishing with one switch and run the response from a shared timeline.
section-crisis-arrives = Arrives with crisis management. Nothing is being monitored yet.
section-crisis-item1 = Detection of unusual spikes in mentions, negative sentiment or chosen keywords.
section-crisis-item2 = Incidents with a playbook, an owner and a timeline everyone can follow.
section-crisis-item3 = A crisis mode that holds every scheduled post until the incident is resolved.
section-crisis-item4 = A post-incident report built from the timeline.

section-oncall-title = On-call
section-oncall-lead = Who is on duty for your channels right now, and who is next when an alert goes unanswered.
section-oncall-arrives = Arrives with on-call scheduling. No one is paged yet.
section-oncall-item1 = Rotations across time zones, with handovers at the hours you choose.
section-oncall-item2 = Escalation to the next person when an alert is not acknowledged in time.
section-oncall-item3 = Overrides for holidays and sick days without rewriting the schedule.
section-oncall-item4 = A clear view of who is on call now and for the week ahead.

section-analytics-title = Analytics
section-analytics-lead = How your channels, campaigns and community team are doing, in numbers you can export.
section-analytics-arrives = Arrives with analytics. No metrics are collected yet.
section-analytics-item1 = Reach, engagement and follower growth per channel and campaign.
section-analytics-item2 = Inbox response times against your SLA targets, per team and workspace.
section-analytics-item3 = Comparison across networks and periods.
section-analytics-item4 = Scheduled reports and CSV exports.

section-governance-title = Governance
section-governance-lead = The rules your organisation publishes and answers by, and the evidence that they are kept.
section-governance-arrives = Arrives with governance. Until then, roles and the audit log are in Settings.
section-governance-item1 = Approval rules per workspace and per channel.
section-governance-item2 = Content policies: banned words, required disclaimers, brand terms.
section-governance-item3 = Retention rules for messages and drafts.
section-governance-item4 = Compliance reports drawn from the audit log.
