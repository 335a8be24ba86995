-- Indexes for the inbox's read side at scale (a million messages and more).

-- The language filter's choices are read off this index one value at a time (see
-- Store::inbox_facets), and checked against the organisation's workspaces without a table read.
CREATE INDEX inbox_conversations_language ON inbox_conversations (language, workspace_id);

-- Only assigned conversations in the assignee index: most arrive unassigned, and each would
-- otherwise cost the ingest one more index entry. "Assigned to X" (x = …) implies NOT NULL, so
-- both databases still use it; "unassigned" reads the recency index.
DROP INDEX inbox_conversations_assignee;
CREATE INDEX inbox_conversations_assignee ON inbox_conversations (assignee_id, last_message_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
