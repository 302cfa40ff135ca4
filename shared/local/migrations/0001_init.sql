-- Endpoints with their counters (kept in step by the delivery log, in the same transaction).
CREATE TABLE endpoints (
    tenant          TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    event_types     TEXT    NOT NULL, -- JSON array
    enabled         INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL, -- unix milliseconds
    updated_at      INTEGER NOT NULL,
    delivered       INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    failed_messages INTEGER NOT NULL DEFAULT 0,
    in_flight       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

-- The fan-out index: which endpoints of a tenant take an event type.
CREATE TABLE subscriptions (
    tenant      TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    PRIMARY KEY (tenant, event_type, endpoint_id)
) WITHOUT ROWID;

CREATE TABLE secrets (
    tenant         TEXT NOT NULL,
    endpoint_id    TEXT NOT NULL,
    current        TEXT NOT NULL,
    previous       TEXT,
    previous_until INTEGER,
    PRIMARY KEY (tenant, endpoint_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    event_type TEXT    NOT NULL,
    event_id   TEXT,
    body       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    fanned_out INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
-- Idempotency: one message per (tenant, event_id).
CREATE UNIQUE INDEX messages_event_id ON messages (tenant, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX messages_created ON messages (created_at);

-- One row per (message, endpoint): the delivery log.
CREATE TABLE deliveries (
    tenant          TEXT    NOT NULL,
    endpoint_id     TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    attempt_count   INTEGER NOT NULL DEFAULT 0,
    last_attempt_at INTEGER,
    next_attempt_at INTEGER,
    PRIMARY KEY (tenant, endpoint_id, message_id)
) WITHOUT ROWID;
CREATE INDEX deliveries_by_status ON deliveries (tenant, endpoint_id, status, message_id);

CREATE TABLE attempts (
    tenant           TEXT    NOT NULL,
    endpoint_id      TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    number           INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    status_code      INTEGER,
    error            TEXT,
    response_excerpt TEXT,
    succeeded        INTEGER NOT NULL,
    PRIMARY KEY (tenant, endpoint_id, message_id, number)
) WITHOUT ROWID;
CREATE INDEX attempts_by_time ON attempts (tenant, endpoint_id, started_at);

-- The durable task queue. A task is due when not_before <= now and it is not leased.
CREATE TABLE tasks (
    message_id  TEXT    NOT NULL,
    endpoint_id TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,
    not_before  INTEGER NOT NULL,
    leased      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, endpoint_id)
) WITHOUT ROWID;
CREATE INDEX tasks_due ON tasks (leased, not_before);

-- Key-value settings of the local binary (e.g. generated dev tokens).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
