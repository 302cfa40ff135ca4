-- The attempt a task was queued for, when its enqueuer knew it (a new message's fan-out: 1),
-- so a delivery leased from the table need not read a log entry that does not exist yet.
-- Rescheduling a task clears it: the log entry is then the authority.
ALTER TABLE tasks ADD COLUMN attempt INTEGER;
