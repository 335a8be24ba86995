-- How a channel's account was connected (issue 5): which of its network's sign-in flows, and so
-- which API and which of the organisation's apps, its tokens belong to (`domain::org::AuthKind`:
-- 'standard', or 'tiktok_business' for a TikTok business account authorized through the TikTok
-- API for Business). Every channel connected so far is 'standard'. A connection attempt carries
-- the kind from the connect form to the callback.
ALTER TABLE channel_credentials ADD COLUMN auth_kind TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE oauth_attempts ADD COLUMN auth_kind TEXT NOT NULL DEFAULT 'standard';
