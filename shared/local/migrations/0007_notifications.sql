-- Operational events and tenant notifications. `failing_announced`: the `failing_since` of
-- the last run of failures announced by WEBHOOK_ENDPOINT_FAILING (ms).
ALTER TABLE endpoints ADD COLUMN failing_announced INTEGER;
-- One row per tenant: its settings as JSON (recipients, events, language).
CREATE TABLE notification_settings (
    tenant TEXT PRIMARY KEY,
    settings TEXT NOT NULL
);
-- The mails sent (or not), one per operational message, as JSON; purged with messages.
CREATE TABLE notifications (
    tenant TEXT NOT NULL,
    message_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant, message_id)
);
CREATE INDEX notifications_by_time ON notifications (tenant, created_at);
