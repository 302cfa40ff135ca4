-- The endpoints a message was fanned out to (space-separated ids), for "where is my event?".
ALTER TABLE messages ADD COLUMN endpoints TEXT NOT NULL DEFAULT '';
