-- How a campaign releases its variants: all at `release_at` ('instant'), or each at its own
-- `variants.campaign_offset` minutes after it ('staggered').
ALTER TABLE campaigns ADD COLUMN release_mode TEXT NOT NULL DEFAULT 'instant';
