-- A channel's own server limits, where its network has per-server limits (Mastodon's
-- `GET /api/v2/instance`): JSON {max_characters, max_media_attachments,
-- characters_reserved_per_url}, or NULL for the network's defaults.
ALTER TABLE channels ADD COLUMN server_limits TEXT;
