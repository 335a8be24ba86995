-- Automatic away (issue 5): a person set available who shows no signed-in activity for the
-- organisation's idle time becomes away by themselves; their next activity brings them back, but
-- only from an automatic away (owlery_domain::inbox::presence).
--
-- When the person was last active (a page request or an open live inbox stream), written at most
-- once a minute per person and node; NULL: not seen since this column was added.
ALTER TABLE inbox_presence ADD COLUMN last_active_at TEXT;
-- When an away was set automatically; NULL for every status set by the person.
ALTER TABLE inbox_presence ADD COLUMN auto_away_at TEXT;
UPDATE inbox_presence SET last_active_at = updated_at;
-- The idle time in minutes (5 to 720); 0 turns automatic away off.
ALTER TABLE organisations ADD COLUMN auto_away_minutes INTEGER NOT NULL DEFAULT 15;
