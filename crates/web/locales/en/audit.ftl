# The audit log.

audit-title = Audit log
audit-lead = Every change in the organisation: who made it, when, from where, and what it changed.
audit-filters-label = Filter the audit log
audit-filter-actor = Who
audit-filter-action = Action
audit-filter-from = From
audit-filter-to = To
audit-filter-apply = Filter
audit-filter-clear = Clear filters
audit-export = Export CSV
audit-empty = No events match these filters.
audit-older = Older events
audit-actor-system = System
audit-details-summary = Changes in #{ $seq }
audit-before = Before
audit-after = After
audit-chain-verified = Chain verified
audit-chain-verified-detail = { $count ->
    [one] { $count } event checked: none was changed or removed.
   *[other] { $count } events checked: none was changed or removed.
}
audit-chain-broken = Chain broken at event { $seq }
audit-chain-broken-detail = Event { $seq } does not match the event before it: the log may have been altered from that point. Export the log and tell whoever is responsible for security.
audit-chain-unknown = Chain not checked yet
