-- Auto-replies by routing rules (issue 5). An answer a rule sent carries the rule's id: the rule
-- answers a conversation at most once a day (owlery_domain::inbox::rules::auto_reply_gate), which
-- this column lets ingest check. No foreign key: a deleted rule leaves its answers as they were.
ALTER TABLE inbox_messages ADD COLUMN auto_rule_id BLOB;
CREATE INDEX inbox_messages_auto_rule ON inbox_messages (conversation_id, auto_rule_id)
    WHERE auto_rule_id IS NOT NULL;

-- The auto_reply action used to name a saved reply by text and send nothing. It now takes the
-- saved reply's id; the old form is dropped (it never did anything), and a rule left without
-- actions is turned off rather than left unloadable.
UPDATE inbox_rules
SET actions = (
    SELECT COALESCE(json_group_array(json(a.value)), '[]')
    FROM json_each(inbox_rules.actions) AS a
    WHERE json_extract(a.value, '$.type') <> 'auto_reply'
       OR json_extract(a.value, '$.saved_reply_id') IS NOT NULL
)
WHERE actions LIKE '%"auto_reply"%';
UPDATE inbox_rules SET enabled = FALSE WHERE actions = '[]';
