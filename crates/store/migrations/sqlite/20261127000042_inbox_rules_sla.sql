-- The inbox's routing rules, presence and assignment, SLA policies and abuse protection (issue 5).

-- Ordered routing rules of an organisation (owlery_domain::inbox::rules). Conditions, actions and
-- the workspaces a rule is limited to are JSON (the domain's serde form).
CREATE TABLE inbox_rules (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    match_mode  TEXT NOT NULL DEFAULT 'all',
    conditions  TEXT NOT NULL DEFAULT '[]',
    actions     TEXT NOT NULL DEFAULT '[]',
    stop        BOOLEAN NOT NULL DEFAULT FALSE,
    workspaces  TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX inbox_rules_org ON inbox_rules (org_id, position);

-- Whether a person takes new conversations (available / away / off_shift), and their own cap of
-- open conversations (NULL: their team's).
CREATE TABLE inbox_presence (
    user_id    BLOB PRIMARY KEY REFERENCES users(id),
    status     TEXT NOT NULL DEFAULT 'available',
    max_open   INTEGER,
    updated_at TEXT NOT NULL
);

-- A team's inbox settings: how it assigns, the cap per member, its lead (told on SLA escalation),
-- and its business hours (an IANA zone, weekly hours as owlery_domain::sla::WeeklyHours::parse
-- reads them, holidays one per line `YYYY-MM-DD [hours]`; no hours: around the clock).
CREATE TABLE inbox_team_settings (
    team_id               BLOB PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    assignment_mode       TEXT NOT NULL DEFAULT 'manual',
    max_open              INTEGER,
    lead_user_id          BLOB REFERENCES users(id),
    time_zone             TEXT NOT NULL DEFAULT 'UTC',
    hours                 TEXT,
    holidays              TEXT NOT NULL DEFAULT '',
    last_assigned_user_id BLOB,
    updated_at            TEXT NOT NULL
);

-- A workspace's inbox defaults: the team new conversations go to, and whether abusive comments are
-- hidden on the network automatically.
CREATE TABLE inbox_workspace_settings (
    workspace_id    BLOB PRIMARY KEY REFERENCES workspaces(id),
    default_team_id BLOB REFERENCES teams(id) ON DELETE SET NULL,
    hide_abusive    BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at      TEXT NOT NULL
);

-- SLA policies: for a team, a workspace or everyone, optionally one priority (the most specific
-- wins: owlery_domain::sla::book). Targets in minutes, counted in the team's business hours or
-- around the clock; what to do at breach.
CREATE TABLE inbox_sla_policies (
    id                      BLOB PRIMARY KEY,
    org_id                  BLOB NOT NULL REFERENCES organisations(id),
    name                    TEXT NOT NULL,
    workspace_id            BLOB REFERENCES workspaces(id),
    team_id                 BLOB REFERENCES teams(id) ON DELETE CASCADE,
    priority                TEXT,
    first_response_minutes  INTEGER NOT NULL,
    next_response_minutes   INTEGER NOT NULL,
    warn_before_minutes     INTEGER NOT NULL,
    business_hours          BOOLEAN NOT NULL DEFAULT FALSE,
    escalate_notify_lead    BOOLEAN NOT NULL DEFAULT TRUE,
    escalate_reassign       BOOLEAN NOT NULL DEFAULT FALSE,
    escalate_raise_priority BOOLEAN NOT NULL DEFAULT FALSE,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX inbox_sla_policies_org ON inbox_sla_policies (org_id);

-- Per conversation: when its first inbound message was written (reports), the policy its
-- deadlines come from, when to warn, and the deadline already warned about / escalated (once per
-- episode: a new deadline is a new episode).
ALTER TABLE inbox_conversations ADD COLUMN opened_at TEXT;
ALTER TABLE inbox_conversations ADD COLUMN sla_policy_id BLOB;
ALTER TABLE inbox_conversations ADD COLUMN next_response_warn_at TEXT;
ALTER TABLE inbox_conversations ADD COLUMN sla_warned_for TEXT;
ALTER TABLE inbox_conversations ADD COLUMN sla_escalated_for TEXT;
UPDATE inbox_conversations SET opened_at = (
    SELECT MIN(m.created_at) FROM inbox_messages m
    WHERE m.conversation_id = inbox_conversations.id AND m.direction = 'inbound'
);
CREATE INDEX inbox_conversations_warn ON inbox_conversations (next_response_warn_at);
CREATE INDEX inbox_conversations_opened ON inbox_conversations (opened_at);

-- Hiding a message on the network: requested (by a rule or the abuse setting), done (hidden_at),
-- or not possible / failed (hide_error).
ALTER TABLE inbox_messages ADD COLUMN hide_requested_at TEXT;
ALTER TABLE inbox_messages ADD COLUMN hide_error TEXT;
