-- Automatic disabling of failing endpoints, and replays (new series of attempts).
ALTER TABLE endpoints ADD COLUMN disabled_reason TEXT;
ALTER TABLE endpoints ADD COLUMN failing_since INTEGER; -- unix ms of the first failure of the current run
ALTER TABLE deliveries ADD COLUMN series_start INTEGER NOT NULL DEFAULT 0;
-- Finds pending deliveries that lost their task (see SqliteTaskQueue::requeue_orphans).
CREATE INDEX deliveries_pending ON deliveries (status) WHERE status = 'pending';
-- Retention purge.
CREATE INDEX deliveries_by_message ON deliveries (tenant, message_id);
CREATE INDEX deliveries_created ON deliveries (created_at);
