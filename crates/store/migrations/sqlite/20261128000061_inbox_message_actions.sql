-- Liking and deleting messages on their network from the inbox (issue 5): asked for by a person,
-- done by the `inbox.like` / `inbox.delete` jobs. `deleted_at` (already there) records that the
-- message is gone from the network, whoever deleted it.
ALTER TABLE inbox_messages ADD COLUMN like_requested_at TEXT;
ALTER TABLE inbox_messages ADD COLUMN liked_at TEXT;
ALTER TABLE inbox_messages ADD COLUMN delete_requested_at TEXT;
-- Why the last like or delete could not be done (said to people).
ALTER TABLE inbox_messages ADD COLUMN action_error TEXT;
