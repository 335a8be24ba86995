# Settings → Approval workflows.

settings-nav-workflows = Approval workflows
wf-title = Approval workflows
wf-lead = Who approves posts before they are published. A channel's own workflow wins over its workspace's.
wf-new = New workflow
wf-new-title = New approval workflow
wf-edit-title = Edit approval workflow
wf-no-workspaces = There are no workspaces you manage. Workflows are set per workspace or channel.
wf-caption = Approval workflows of { $workspace }
wf-col-applies-to = Applies to
wf-col-workflow = Workflow
wf-whole-workspace = Whole workspace
wf-whole-workspace-hint = Every channel without its own workflow
wf-none-workspace = None: posts publish without approval
wf-none-channel = None: posts publish without approval
wf-inherits = Uses the workspace's workflow
wf-add = Set up a workflow
wf-add-own = Add its own
wf-edit = Edit
wf-delete = Delete
wf-delete-confirm = Delete the workflow “{ $name }”? Posts that are already approved stay approved.
wf-needs-approvals = { $count ->
    [one] needs { $count } approval
   *[other] needs { $count } approvals
}
wf-within-hours = { $count ->
    [one] within { $count } hour
   *[other] within { $count } hours
}
wf-backup-is = backup: { $name }
wf-approvers-role = anyone with the role { $role }
wf-approvers-team = team { $team }
wf-approvers-external = external reviewers, by link
wf-saved = Workflow saved.
wf-deleted = Workflow deleted.

## The form
wf-form-lead = Steps run in order: a step starts when the one before it has all its approvals.
wf-about-heading = Name and scope
wf-field-name = Workflow name
wf-field-name-hint = For example “Brand review” or “Legal sign-off”.
wf-field-scope = Applies to
wf-field-scope-hint = A whole workspace, or one channel (which then ignores the workspace's workflow).
wf-scope-whole = { $workspace } — whole workspace
wf-steps-heading = Steps
wf-steps-hint = Rows left without a name are ignored.
wf-step-legend = Step { $number }
wf-step-name = Step name
wf-step-name-placeholder = e.g. Editor review
wf-step-required = Approvals needed
wf-step-deadline = Deadline (hours, optional)
wf-step-deadline-hint = After this, the step is escalated and the backup may decide.
wf-step-approvers = Who approves
wf-kind-role = Anyone with a role:
wf-kind-role-which = Role
wf-kind-team = A team:
wf-kind-team-which = Team
wf-kind-people = Named people
wf-kind-external = External reviewers, by link
wf-kind-external-hint = For a client or an outside lawyer: you send each of them a single-use link.
wf-step-backup = Backup person (optional)
wf-step-backup-hint = May decide once the deadline has passed.
wf-no-backup = No backup
wf-step-up = Move up
wf-step-down = Move down
wf-step-remove = Remove step
wf-step-add = Add another step
wf-step-add-hint = Up to { $count } steps.
wf-save = Save workflow
wf-create = Create workflow
wf-cancel = Cancel

## Errors
wf-error-name = Give the workflow a name of at most 80 characters.
wf-error-scope = Choose a workspace or a channel that you manage.
wf-error-scope-taken = This already has a workflow, “{ $name }”. Edit that one instead, or choose another scope.
wf-error-steps-required = Add at least one step with a name.
wf-error-steps-too-many = A workflow has at most { $max } steps.
wf-error-step-name-required = Give this step a name.
wf-error-step-name-too-long = At most { $max } characters.
wf-error-step-name-invalid = The name cannot contain control characters.
wf-error-required-range = A whole number from 1 to { $max }.
wf-error-required-more-than-people = More approvals than people named: name more people or lower the number.
wf-error-people-required = Choose at least one person.
wf-error-approvers = Choose who approves this step.
wf-error-backup = Choose a backup from the list.
wf-error-deadline-range = A whole number of hours from 1 to { $max } (30 days), or leave it empty.
wf-error-move-waiting = Posts are waiting in this workflow, so it cannot move yet; decide them first.
wf-error-delete-waiting = “{ $name }” cannot be deleted while posts wait in it: decide them first.

## Practice channels (workspaces page)
network-facebook-page = Facebook Page
network-practice-note = Practice — never leaves this server
ch-field-network = Network
ch-field-network-hint = A sandbox, or a practice channel that follows a real network's rules. Neither ever posts outside this server.
ch-network-practice-group = Practice channel (never leaves this server)
ch-network-practice = Practice: { $network }
ch-error-network = Choose the sandbox or one of the networks listed.
ch-error-handle = Use a name with letters or digits, so the channel gets a handle.
