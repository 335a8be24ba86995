-- Auto-replies by routing rules (issue 5). An answer a rule sent carries the rule's id: the rule
-- answers a conversation at most once a day (owlery_domain::inbox::rules::auto_reply_gate), which
-- this column lets ingest check. No foreign key: a deleted rule leaves its answers as they were.
ALTER TABLE inbox_messages ADD COLUMN auto_rule_id UUID;
CREATE INDEX inbox_messages_auto_rule ON inbox_messages (conversation_id, auto_rule_id)
    WHERE auto_rule_id IS NOT NULL;

-- The auto_reply action used to name a saved reply by text and send nothing. It now takes the
-- saved reply's id; the old form is dropped (it never did anything), and a rule left without
-- actions is turned off rather than left unloadable.
UPDATE inbox_rules
SET actions = COALESCE((
    SELECT jsonb_agg(a)::text
    FROM jsonb_array_elements(inbox_rules.actions::jsonb) AS a
    WHERE a->>'type' <> 'auto_reply' OR a ? 'saved_reply_id'
), '[]')
WHERE actions LIKE '%"auto_reply"%';
UPDATE inbox_rules SET enabled = FALSE WHERE actions = '[]';
