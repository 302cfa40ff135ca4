-- A pending delivery whose next attempt waits with no queue message (the sweep wakes it).
-- Locally nothing parks; the column keeps the DeliveryLog contract the same on both stores.
ALTER TABLE deliveries ADD COLUMN parked INTEGER NOT NULL DEFAULT 0;
